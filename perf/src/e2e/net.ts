/**
 * The test networks, built from scratch for each path and torn down after it.
 *
 * Kernel path (IPv6 routing by Linux, RFC 8200 forwarding in ns R):
 * ```
 *   dmmp-a                      dmmp-r (forwarding=1)                    dmmp-b
 *   dmmp-a0 fd00:a::1/64 ── veth ── dmmp-r0 fd00:a::2   dmmp-r1 fd00:b::2 ── veth ── dmmp-b0 fd00:b::1/64
 * ```
 * TAP paths (a userspace forwarder patches two TAP devices together, layer 2):
 * ```
 *   dmmp-a                                   root ns                        dmmp-b
 *   dmmp-ta fd00:ab::1/64  ⇄ fd ⇄  forwarder (--a dmmp-ta --b dmmp-tb)  ⇄ fd ⇄  dmmp-tb fd00:ab::2/64
 * ```
 * The forwarder creates both TAP devices in the root namespace and prints `ready`; the
 * harness then moves each netdev into its namespace (the file descriptors stay attached)
 * and configures it. Neighbour entries are static (no ND traffic in the measurement) and
 * addresses skip DAD, so the path works the moment it is up.
 *
 * The dmmd path (the whole router, layer 3) is built by router.ts; see dmmd.ts.
 */
import type { RouterControl } from './dmmd.js';
import type { Lab } from './lab.js';
import type { PathId } from './paths.js';
import { inNs, must, pinned, run, waitForLine, type Child } from './sys.js';

export interface Endpoint {
  ns: string;
  dev: string;
  mac: string;
  ip: string;
}

export interface Topology {
  path: PathId;
  /** Where the generator and the iperf3 client run. */
  a: Endpoint;
  /** Where frames are counted and the iperf3 server runs. */
  b: Endpoint;
  /** Destination MAC of the generator's frames: the next hop seen from A. */
  nextHopMac: string;
  /** The forwarder process of a TAP path or dmmd (null for the kernel). */
  forwarder: Child | null;
  /** The dmmd path: how to reach the router's control socket, and its links. */
  router?: RouterControl;
  /** More processes of the path (the tunnel path's second router): checked and counted as ours. */
  others?: Child[];
  namespaces: string[];
  notes: string[];
}

export const MAC = {
  a: '02:00:00:00:0a:01',
  r0: '02:00:00:00:0a:02',
  r1: '02:00:00:00:0b:02',
  b: '02:00:00:00:0b:01',
} as const;

/** Names of the TAP devices a forwarder is asked to create. */
export const TAP_A = 'dmmp-ta';
export const TAP_B = 'dmmp-tb';

/** No DAD, no router solicitations: a quiet link that is usable at once. */
export function quietIpv6(ns: string): void {
  must(
    inNs(ns, [
      'sysctl',
      '-qw',
      'net.ipv6.conf.all.accept_dad=0',
      'net.ipv6.conf.default.accept_dad=0',
      'net.ipv6.conf.all.router_solicitations=0',
      'net.ipv6.conf.default.router_solicitations=0',
    ]),
  );
}

function upWithAddress(ep: Endpoint, prefixLen = 64): void {
  must(['ip', '-n', ep.ns, 'link', 'set', 'dev', ep.dev, 'address', ep.mac]);
  must(['ip', '-n', ep.ns, 'link', 'set', 'dev', ep.dev, 'up']);
  must(['ip', '-n', ep.ns, '-6', 'addr', 'add', `${ep.ip}/${prefixLen}`, 'dev', ep.dev, 'nodad']);
}

export function staticNeighbour(ns: string, dev: string, ip: string, mac: string): void {
  must([
    'ip',
    '-n',
    ns,
    '-6',
    'neigh',
    'replace',
    ip,
    'lladdr',
    mac,
    'dev',
    dev,
    'nud',
    'permanent',
  ]);
}

/** The offload flags that matter for TCP throughput, as `ethtool -k` reports them. */
export function offloadState(ns: string, dev: string): string {
  const r = run(inNs(ns, ['ethtool', '-k', dev]));
  if (r.code !== 0) return 'unknown (ethtool failed)';
  const want: Record<string, string> = {
    'tcp-segmentation-offload': 'tso',
    'generic-segmentation-offload': 'gso',
    'generic-receive-offload': 'gro',
    'tx-checksumming': 'tx-csum',
    'scatter-gather': 'sg',
  };
  const parts: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^([a-z-]+):\s+(on|off)/.exec(line);
    if (m && want[m[1]!]) parts.push(`${want[m[1]!]} ${m[2]}`);
  }
  return parts.join(', ');
}

export interface KernelOptions {
  offloadsOff: boolean;
  /** CPU the router's receive processing is steered to with RPS (null: no steering). */
  fwdCpu: number | null;
  /** ethtool's path, or null when it is not installed. */
  ethtool: string | null;
}

export function kernelTopology(lab: Lab, path: PathId, o: KernelOptions): Topology {
  const A = lab.addNamespace('dmmp-a');
  const R = lab.addNamespace('dmmp-r');
  const B = lab.addNamespace('dmmp-b');
  for (const ns of [A, R, B]) quietIpv6(ns);
  must([
    'ip',
    'link',
    'add',
    'dmmp-a0',
    'netns',
    A,
    'type',
    'veth',
    'peer',
    'name',
    'dmmp-r0',
    'netns',
    R,
  ]);
  must([
    'ip',
    'link',
    'add',
    'dmmp-r1',
    'netns',
    R,
    'type',
    'veth',
    'peer',
    'name',
    'dmmp-b0',
    'netns',
    B,
  ]);
  const a: Endpoint = { ns: A, dev: 'dmmp-a0', mac: MAC.a, ip: 'fd00:a::1' };
  const r0: Endpoint = { ns: R, dev: 'dmmp-r0', mac: MAC.r0, ip: 'fd00:a::2' };
  const r1: Endpoint = { ns: R, dev: 'dmmp-r1', mac: MAC.r1, ip: 'fd00:b::2' };
  const b: Endpoint = { ns: B, dev: 'dmmp-b0', mac: MAC.b, ip: 'fd00:b::1' };
  for (const ep of [a, r0, r1, b]) upWithAddress(ep);
  must(inNs(R, ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']));
  must(['ip', '-n', A, '-6', 'route', 'add', 'default', 'via', r0.ip, 'dev', a.dev]);
  must(['ip', '-n', B, '-6', 'route', 'add', 'default', 'via', r1.ip, 'dev', b.dev]);
  staticNeighbour(A, a.dev, r0.ip, r0.mac);
  staticNeighbour(R, r0.dev, a.ip, a.mac);
  staticNeighbour(R, r1.dev, b.ip, b.mac);
  staticNeighbour(B, b.dev, r1.ip, r1.mac);

  const notes: string[] = [];
  if (o.fwdCpu !== null) {
    // veth delivers on the sending CPU; RPS moves the router's receive (and so its
    // forwarding) to the forwarder CPU, as a forwarding process would be pinned there.
    const mask = (1 << o.fwdCpu).toString(16);
    for (const dev of [r0.dev, r1.dev]) {
      must(inNs(R, ['sh', '-c', `echo ${mask} > /sys/class/net/${dev}/queues/rx-0/rps_cpus`]));
    }
    notes.push(`router receive steered to cpu${o.fwdCpu} by RPS on dmmp-r0 and dmmp-r1`);
  }
  if (o.offloadsOff) {
    if (o.ethtool === null) throw new Error('ethtool is not installed: cannot turn offloads off');
    for (const ep of [a, r0, r1, b]) {
      // ethtool exits non-zero only when it could change nothing; the state is read back.
      run(
        inNs(ep.ns, [
          'ethtool',
          '-K',
          ep.dev,
          'tso',
          'off',
          'gso',
          'off',
          'gro',
          'off',
          'tx',
          'off',
          'rx',
          'off',
          'sg',
          'off',
        ]),
      );
      const st = offloadState(ep.ns, ep.dev);
      if (!/tso off/.test(st) || !/gso off/.test(st) || !/gro off/.test(st)) {
        throw new Error(`offloads still on for ${ep.dev}: ${st}`);
      }
    }
    notes.push(`veth offloads: ${offloadState(A, a.dev)} (all four ends)`);
  } else if (o.ethtool !== null) {
    notes.push(`veth offloads (default): ${offloadState(A, a.dev)}`);
  } else {
    notes.push('veth offloads: default (ethtool not installed, state not read)');
  }
  return { path, a, b, nextHopMac: r0.mac, forwarder: null, namespaces: [A, R, B], notes };
}

export interface TapOptions {
  /** The forwarder's command line, without `--a`/`--b`. */
  argv: readonly string[];
  label: string;
  fwdCpu: number | null;
  ethtool: string | null;
  /** How long the forwarder may take to print `ready`. */
  readyTimeoutMs?: number;
}

export async function tapTopology(lab: Lab, path: PathId, o: TapOptions): Promise<Topology> {
  const A = lab.addNamespace('dmmp-a');
  const B = lab.addNamespace('dmmp-b');
  for (const ns of [A, B]) quietIpv6(ns);
  const argv = pinned(o.fwdCpu, [...o.argv, '--a', TAP_A, '--b', TAP_B]);
  const fwd = lab.start(argv, o.label);
  const a: Endpoint = { ns: A, dev: TAP_A, mac: MAC.a, ip: 'fd00:ab::1' };
  const b: Endpoint = { ns: B, dev: TAP_B, mac: MAC.b, ip: 'fd00:ab::2' };
  const topo: Topology = {
    path,
    a,
    b,
    nextHopMac: b.mac,
    forwarder: fwd,
    namespaces: [A, B],
    notes: [],
  };
  await waitForLine(fwd, 'ready', o.readyTimeoutMs ?? 30_000);
  for (const ep of [a, b]) {
    const shown = run(['ip', 'link', 'show', 'dev', ep.dev]);
    if (shown.code !== 0) {
      throw new Error(`${o.label} printed ready but ${ep.dev} is not in the root namespace`);
    }
    must(['ip', 'link', 'set', 'dev', ep.dev, 'netns', ep.ns]);
    upWithAddress(ep);
  }
  staticNeighbour(A, a.dev, b.ip, b.mac);
  staticNeighbour(B, b.dev, a.ip, a.mac);
  topo.notes.push(`command: ${argv.join(' ')}`);
  if (o.ethtool !== null) topo.notes.push(`TAP offloads: ${offloadState(A, a.dev)}`);
  return topo;
}
