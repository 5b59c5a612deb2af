/**
 * The tunnel paths of the end-to-end harness: host A's traffic to host B crosses an
 * IPv6-in-IPv6 tunnel (RFC 2473) between two routers over a backbone of MTU 1500, every
 * link at MTU 1500. The tunnel MTU is 1460 (§7: 40 bytes of outer header); A's TCP learns it
 * from the entry point's Packet Too Big.
 *
 * `dmmd-tunnel` — two dmmd, each with the `tunnel` module and the static-tunnel plugin
 * (static-tunnel-plugin.ts), both pinned to the forwarder CPU:
 * ```
 *  dmmp-a                    dmmp-bb (bridge dmmp-br, MTU 1500)                 dmmp-b
 *  dmmp-ra fd00:a::1 ⇄ [dmmd t1 fd00:a::2 | fd00:100::1 dmmp-t1bb] ─ br ─ [dmmp-t2bb fd00:100::2 | fd00:b::2 dmmd t2] ⇄ dmmp-rb fd00:b::1
 *                      fd00:b::/64 → tunnel fd00:100::1 → fd00:100::2     fd00:a::/64 → tunnel fd00:100::2 → fd00:100::1
 * ```
 * `kernel-tunnel` — the kernel reference, offloads off on every veth end. This kernel has
 * no ip6_tunnel (`ip -6 tunnel add … mode ip6ip6`: "No such device", CONFIG_IPV6_TUNNEL
 * unset), so the tunnel is SRv6 H.Encaps.Red with one segment (`encap seg6 mode encap.red`):
 * the segment is the outer destination and no Segment Routing Header is written, so on the
 * wire it is exactly IPv6-in-IPv6 (outer Next Header 41, 40 bytes). The exit point
 * decapsulates with `seg6local action End.DX6` towards the host:
 * ```
 *  dmmp-a ─veth─ dmmp-r (entry) ─veth, MTU 1500─ dmmp-r2 (exit) ─veth─ dmmp-b
 *  fd00:b::/64 encap seg6 mode encap.red segs fd00:ff::2      fd00:ff::2 seg6local End.DX6 nh6 fd00:b::1
 *  fd00:ff::1 seg6local End.DX6 nh6 fd00:a::1                 fd00:a::/64 encap seg6 mode encap.red segs fd00:ff::1
 * ```
 * Linux encapsulates on the input path and then forwards the 1540-byte outer packet, whose
 * Packet Too Big goes to the outer source — itself — so the host never hears of it and a
 * full-size packet is dropped silently (measured: a 1500-byte ping gets no answer and no
 * error). The hosts' routes therefore carry `mtu 1460` by hand on this path.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PERF_DIR } from './cbuild.js';
import {
  addressesNotReady,
  dmmctlArgv,
  dmmdArgv,
  isReadyLine,
  raEnabled,
  DMMCTL,
  type RouterLink,
} from './dmmd.js';
import type { Lab } from './lab.js';
import { PROBE_FRAMES, verifyPath } from './measure.js';
import {
  MAC,
  offloadState,
  quietIpv6,
  staticNeighbour,
  type Endpoint,
  type Topology,
} from './net.js';
import type { PathId } from './paths.js';
import { parseCounter } from './results.js';
import { inNs, must, pinned, run, sleep, waitForStdout, type Child } from './sys.js';

/** Where the dmmd tunnel path keeps its configs and sockets (removed after the path). */
export const TUNNEL_DIR = join(tmpdir(), 'dmmp-tunnel');

/** The static-tunnel plugin as dmmd loads it (an absolute module path). */
export const STATIC_TUNNEL_PLUGIN = join(PERF_DIR, 'dist', 'src', 'e2e', 'static-tunnel-plugin.js');

/** MTU of every link, the backbone included; the tunnel MTU is 40 less (RFC 2473 §7). */
export const LINK_MTU = 1500;
export const TUNNEL_MTU = LINK_MTU - 40;

const BB = 'dmmp-bb';
const BRIDGE = 'dmmp-br';
const MAC_T1_BB = '02:00:00:00:01:01';
const MAC_T2_BB = '02:00:00:00:02:01';

export interface TunnelOptions {
  fwdCpu: number | null;
  ethtool: string | null;
  /** Node flags for dmmd (profiling). */
  dmmdNodeFlags?: readonly string[];
  readyTimeoutMs?: number;
}

/** A tunnel router of the dmmd path. */
interface TunnelRouter {
  name: string;
  socket: string;
  child: Child;
}

/** The dmmd tunnel path's routers, by topology (for the checks and the report). */
const ROUTERS = new WeakMap<Topology, TunnelRouter[]>();

/** One `show tunnels` row, as much as the report reads. */
export interface TunnelRow {
  local: string;
  remote: string;
  mtu: number;
  pathMtu: number;
  encap: { packets: number; bytes: number; fragmented: number };
  decap: { packets: number; bytes: number };
  ptbReceived: number;
  drops: Record<string, number>;
}

/** The dmmd config of one tunnel router: two links, static neighbours, the tunnel. */
export function tunnelRouterConfig(o: {
  name: string;
  socket: string;
  host: RouterLink;
  backbone: RouterLink;
  remote: string;
  farPrefix: string;
  plugin: string;
}): Record<string, unknown> {
  const iface = (l: RouterLink): Record<string, unknown> => ({
    name: l.ifName,
    type: 'tap',
    mac: l.routerMac,
    netns: l.netns,
    addresses: [`${l.routerIp}/${l.prefixLen}`],
  });
  return {
    router: { name: o.name },
    control: { socket: o.socket },
    log: { level: 'info' },
    interfaces: [iface(o.host), iface(o.backbone)],
    neighbors: {
      static: [o.host, o.backbone].map((l) => ({
        interface: l.ifName,
        address: l.hostIp,
        mac: l.hostMac,
      })),
    },
    plugins: [
      { module: '@dmm/tunnel' },
      {
        module: o.plugin,
        config: {
          tunnels: [{ local: o.backbone.routerIp, remote: o.remote, prefixes: [o.farPrefix] }],
        },
      },
    ],
  };
}

function ctl(r: TunnelRouter, command: string): string {
  return must(dmmctlArgv({ socket: r.socket, dmmctl: DMMCTL }, command), 20_000);
}

function showTunnels(r: TunnelRouter): TunnelRow[] {
  return JSON.parse(ctl(r, 'show tunnels')) as TunnelRow[];
}

/** Frees the dmmd tunnel path's files (after the path). */
export function removeTunnelFiles(): void {
  rmSync(TUNNEL_DIR, { recursive: true, force: true });
}

/** Builds a tunnel path: `dmmd-tunnel` or `kernel-tunnel`. */
export async function tunnelTopology(lab: Lab, path: PathId, o: TunnelOptions): Promise<Topology> {
  return path === 'kernel-tunnel' ? kernelTunnelTopology(lab, path, o) : dmmdTunnel(lab, path, o);
}

async function dmmdTunnel(lab: Lab, path: PathId, o: TunnelOptions): Promise<Topology> {
  const argvOf = (cfg: string): string[] => {
    const a = dmmdArgv(cfg, o.dmmdNodeFlags ?? []);
    if (!Array.isArray(a)) throw new Error(a.missing);
    return a;
  };
  const A = lab.addNamespace('dmmp-a');
  const B = lab.addNamespace('dmmp-b');
  const N = lab.addNamespace(BB);
  for (const ns of [A, B]) quietIpv6(ns);
  // the backbone namespace only bridges: no IPv6 of its own on the bridge or the TAPs
  must(
    inNs(N, [
      'sysctl',
      '-qw',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]),
  );
  must([
    'ip', '-n', N, 'link', 'add', BRIDGE, 'mtu', String(LINK_MTU), 'type', 'bridge',
    'forward_delay', '0', 'mcast_snooping', '0',
  ]); // prettier-ignore
  must(['ip', '-n', N, 'link', 'set', BRIDGE, 'up']);
  const la: RouterLink = {
    ifName: 'dmmp-ra',
    netns: A,
    routerMac: MAC.r0,
    routerIp: 'fd00:a::2',
    hostMac: MAC.a,
    hostIp: 'fd00:a::1',
    prefixLen: 64,
  };
  const lb: RouterLink = {
    ifName: 'dmmp-rb',
    netns: B,
    routerMac: MAC.r1,
    routerIp: 'fd00:b::2',
    hostMac: MAC.b,
    hostIp: 'fd00:b::1',
    prefixLen: 64,
  };
  // each router's backbone link: its neighbour is the other router
  const bb1: RouterLink = {
    ifName: 'dmmp-t1bb',
    netns: N,
    routerMac: MAC_T1_BB,
    routerIp: 'fd00:100::1',
    hostMac: MAC_T2_BB,
    hostIp: 'fd00:100::2',
    prefixLen: 64,
  };
  const bb2: RouterLink = {
    ifName: 'dmmp-t2bb',
    netns: N,
    routerMac: MAC_T2_BB,
    routerIp: 'fd00:100::2',
    hostMac: MAC_T1_BB,
    hostIp: 'fd00:100::1',
    prefixLen: 64,
  };
  removeTunnelFiles();
  mkdirSync(TUNNEL_DIR, { recursive: true, mode: 0o700 });
  const specs = [
    { name: 'dmmp-t1', host: la, backbone: bb1, remote: bb2.routerIp, farPrefix: 'fd00:b::/64' },
    { name: 'dmmp-t2', host: lb, backbone: bb2, remote: bb1.routerIp, farPrefix: 'fd00:a::/64' },
  ];
  const routers: TunnelRouter[] = [];
  const commands: string[] = [];
  for (const s of specs) {
    const socket = join(TUNNEL_DIR, `${s.name}.sock`);
    const cfg = join(TUNNEL_DIR, `${s.name}.yaml`);
    const text = tunnelRouterConfig({
      name: s.name,
      socket,
      host: s.host,
      backbone: s.backbone,
      remote: s.remote,
      farPrefix: s.farPrefix,
      plugin: STATIC_TUNNEL_PLUGIN,
    });
    writeFileSync(cfg, `${JSON.stringify(text, null, 2)}\n`);
    const argv = pinned(o.fwdCpu, argvOf(cfg));
    commands.push(argv.join(' '));
    routers.push({ name: s.name, socket, child: lab.start(argv, `dmmd ${s.name}`) });
  }
  const topo: Topology = {
    path,
    a: { ns: A, dev: la.ifName, mac: la.hostMac, ip: la.hostIp },
    b: { ns: B, dev: lb.ifName, mac: lb.hostMac, ip: lb.hostIp },
    nextHopMac: la.routerMac,
    forwarder: routers[0]!.child,
    others: [routers[1]!.child],
    namespaces: [A, B, N],
    notes: [],
  };
  ROUTERS.set(topo, routers);
  for (const r of routers) {
    try {
      await waitForStdout(r.child, isReadyLine, 'its "ready" log line', o.readyTimeoutMs ?? 30_000);
    } catch (e) {
      const tail = r.child.stdout.trim().split('\n').slice(-3).join(' | ');
      throw new Error(
        `${r.name}: ${(e as Error).message}${tail ? `; last log lines: ${tail}` : ''}`,
      );
    }
  }
  for (const l of [bb1, bb2]) {
    must(['ip', '-n', N, 'link', 'set', 'dev', l.ifName, 'master', BRIDGE, 'up']);
  }
  for (const l of [la, lb]) {
    must(['ip', '-n', l.netns, 'link', 'set', 'dev', l.ifName, 'address', l.hostMac]);
    must(['ip', '-n', l.netns, '-6', 'addr', 'add', `${l.hostIp}/64`, 'dev', l.ifName, 'nodad']);
    must([
      'ip',
      '-n',
      l.netns,
      '-6',
      'route',
      'add',
      'default',
      'via',
      l.routerIp,
      'dev',
      l.ifName,
    ]);
    staticNeighbour(l.netns, l.ifName, l.routerIp, l.routerMac);
  }
  // both routers' DAD over (RFC 4862 §5.4), so its messages fall before the measurements
  const deadline = Date.now() + 10_000;
  for (const r of routers) {
    for (;;) {
      const pending = addressesNotReady(ctl(r, 'show nd'));
      if (pending.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(`${r.name}: addresses not ready: ${pending.join(', ')}`);
      await sleep(200);
    }
    const ra = raEnabled(ctl(r, 'show ra'));
    if (ra.length > 0) throw new Error(`${r.name} sends Router Advertisements on ${ra.join(', ')}`);
  }
  // the tunnel MTU each router derived from the backbone link (RFC 2473 §6.7)
  for (const r of routers) {
    const t = showTunnels(r);
    if (t.length !== 1 || t[0]!.mtu !== TUNNEL_MTU || t[0]!.pathMtu !== LINK_MTU) {
      throw new Error(`${r.name}: expected one tunnel of MTU ${TUNNEL_MTU}: ${JSON.stringify(t)}`);
    }
  }
  topo.notes.push(`commands: ${commands.join(' ; ')}`);
  topo.notes.push(
    `tunnels fd00:100::1 ⇄ fd00:100::2 over bridge ${BRIDGE} (MTU ${LINK_MTU}) in ${N}, tunnel MTU ${TUNNEL_MTU} on both; ` +
      'static neighbours everywhere, no RA; both dmmd on the forwarder CPU',
  );
  if (o.ethtool !== null) topo.notes.push(`TAP offloads: ${offloadState(A, la.ifName)}`);
  return topo;
}

/** The entry router's encapsulated and the exit router's decapsulated packets (dmmd path). */
function tunnelCounters(routers: TunnelRouter[]): { encap: number; decap: number } {
  const t1 = showTunnels(routers[0]!)[0];
  const t2 = showTunnels(routers[1]!)[0];
  return { encap: t1?.encap.packets ?? 0, decap: t2?.decap.packets ?? 0 };
}

/** rx_packets of the kernel tunnel's exit point on the backbone. */
function backboneRx(): number {
  return parseCounter(
    must(inNs('dmmp-r2', ['cat', '/sys/class/net/dmmp-x1/statistics/rx_packets'])),
  );
}

/**
 * What keeps a tunnel path from running (it is then "missing"), or null: dmmd, dmmctl or
 * the static-tunnel plugin not built; ethtool absent for the kernel reference.
 */
export function tunnelMissing(path: PathId, ethtool: string | null): string | null {
  if (path === 'kernel-tunnel') {
    return ethtool === null ? 'ethtool is not installed (apt-get install ethtool)' : null;
  }
  const a = dmmdArgv(STATIC_TUNNEL_PLUGIN);
  if (!Array.isArray(a)) return a.missing;
  if (!existsSync(STATIC_TUNNEL_PLUGIN)) return `${STATIC_TUNNEL_PLUGIN} not found (pnpm build)`;
  return null;
}

/**
 * The setup check of a tunnel path: the common one (PROBE_FRAMES probes from A counted in
 * B), and the probes must have crossed the tunnel — on `dmmd-tunnel` the entry router's
 * tunnel encapsulated and the exit router's decapsulated ≥ 99 % of them, on
 * `kernel-tunnel` the exit point's backbone veth received them. Returns notes; throws
 * otherwise.
 */
export async function verifyTunnel(topo: Topology, udpgen: string): Promise<string[]> {
  const want = PROBE_FRAMES * 0.99;
  const routers = ROUTERS.get(topo);
  if (routers === undefined) {
    const before = backboneRx();
    const common = await verifyPath(topo, udpgen);
    const seen = backboneRx() - before;
    if (seen < want) throw new Error(`setup check: only ${seen} frames crossed the backbone`);
    return [common, `${seen} frames crossed the backbone into the exit point`];
  }
  const before = tunnelCounters(routers);
  const common = await verifyPath(topo, udpgen);
  const now = tunnelCounters(routers);
  const enc = now.encap - before.encap;
  const dec = now.decap - before.decap;
  if (enc < want || dec < want) {
    throw new Error(
      `setup check: the probes did not cross the tunnel (encapsulated ${enc}, decapsulated ${dec})`,
    );
  }
  return [common, `dmmp-t1 encapsulated ${enc} of them, dmmp-t2 decapsulated ${dec}`];
}

/**
 * The dmmd tunnel path's report after the measurements: per router, the tunnel's packets
 * each way, fragments, Packet Too Big messages sent (`too-big`) and other drops.
 */
export function tunnelReport(topo: Topology): string[] {
  const routers = ROUTERS.get(topo);
  if (routers === undefined) return [];
  const out: string[] = [];
  // frames the kernel could not queue towards a router (its TAP queue was full)
  const queued = [
    [topo.a.ns, topo.a.dev],
    [BB, 'dmmp-t1bb'],
    [BB, 'dmmp-t2bb'],
    [topo.b.ns, topo.b.dev],
  ].map(([ns, dev]) => {
    const r = run(inNs(ns!, ['cat', `/sys/class/net/${dev}/statistics/tx_dropped`]));
    return `${dev} ${r.code === 0 ? r.stdout.trim() : '?'}`;
  });
  out.push(`TAP tx_dropped (kernel → router queue full): ${queued.join(', ')}`);
  for (const r of routers) {
    if (r.child.exitCode !== null) {
      out.push(`${r.name} exited with ${r.child.exitCode}`);
      continue;
    }
    for (const t of showTunnels(r)) {
      const drops = Object.entries(t.drops)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`);
      out.push(
        `${r.name} tunnel ${t.local} → ${t.remote} (MTU ${t.mtu}, path MTU ${t.pathMtu}): ` +
          `encapsulated ${t.encap.packets}, decapsulated ${t.decap.packets}, fragmented ${t.encap.fragmented}, ` +
          `Packet Too Big received ${t.ptbReceived}; ${drops.length > 0 ? `drops: ${drops.join(', ')} (too-big = Packet Too Big sent to the host)` : 'no drops'}`,
      );
    }
  }
  return out;
}

/** The kernel reference: SRv6 H.Encaps.Red with one segment = IPv6-in-IPv6 (see above). */
function kernelTunnelTopology(lab: Lab, path: PathId, o: TunnelOptions): Topology {
  if (o.ethtool === null) throw new Error('ethtool is not installed: cannot turn offloads off');
  const A = lab.addNamespace('dmmp-a');
  const R1 = lab.addNamespace('dmmp-r');
  const R2 = lab.addNamespace('dmmp-r2');
  const B = lab.addNamespace('dmmp-b');
  for (const ns of [A, R1, R2, B]) quietIpv6(ns);
  const veth = (n1: string, ns1: string, n2: string, ns2: string): void => {
    must(['ip', 'link', 'add', n1, 'netns', ns1, 'type', 'veth', 'peer', 'name', n2, 'netns', ns2]);
  };
  veth('dmmp-a0', A, 'dmmp-r0', R1);
  veth('dmmp-x0', R1, 'dmmp-x1', R2);
  veth('dmmp-r1', R2, 'dmmp-b0', B);
  const a: Endpoint = { ns: A, dev: 'dmmp-a0', mac: MAC.a, ip: 'fd00:a::1' };
  const r0: Endpoint = { ns: R1, dev: 'dmmp-r0', mac: MAC.r0, ip: 'fd00:a::2' };
  const x0: Endpoint = { ns: R1, dev: 'dmmp-x0', mac: MAC_T1_BB, ip: 'fd00:100::1' };
  const x1: Endpoint = { ns: R2, dev: 'dmmp-x1', mac: MAC_T2_BB, ip: 'fd00:100::2' };
  const r1: Endpoint = { ns: R2, dev: 'dmmp-r1', mac: MAC.r1, ip: 'fd00:b::2' };
  const b: Endpoint = { ns: B, dev: 'dmmp-b0', mac: MAC.b, ip: 'fd00:b::1' };
  const all = [a, r0, x0, x1, r1, b];
  for (const ep of all) {
    must([
      'ip',
      '-n',
      ep.ns,
      'link',
      'set',
      'dev',
      ep.dev,
      'address',
      ep.mac,
      'mtu',
      String(LINK_MTU),
    ]);
    must(['ip', '-n', ep.ns, 'link', 'set', 'dev', ep.dev, 'up']);
    must(['ip', '-n', ep.ns, '-6', 'addr', 'add', `${ep.ip}/64`, 'dev', ep.dev, 'nodad']);
  }
  for (const ns of [R1, R2]) {
    must(
      inNs(ns, [
        'sysctl',
        '-qw',
        'net.ipv6.conf.all.forwarding=1',
        'net.ipv6.conf.all.seg6_enabled=1',
      ]),
    );
  }
  const ip6 = (ns: string, ...args: string[]): void => {
    must(['ip', '-n', ns, '-6', ...args]);
  };
  ip6(
    R1,
    'route',
    'add',
    'fd00:b::/64',
    'encap',
    'seg6',
    'mode',
    'encap.red',
    'segs',
    'fd00:ff::2',
    'dev',
    x0.dev,
  );
  ip6(R1, 'route', 'add', 'fd00:ff::2/128', 'via', x1.ip, 'dev', x0.dev);
  ip6(
    R1,
    'route',
    'add',
    'fd00:ff::1/128',
    'encap',
    'seg6local',
    'action',
    'End.DX6',
    'nh6',
    a.ip,
    'dev',
    r0.dev,
  );
  ip6(
    R2,
    'route',
    'add',
    'fd00:a::/64',
    'encap',
    'seg6',
    'mode',
    'encap.red',
    'segs',
    'fd00:ff::1',
    'dev',
    x1.dev,
  );
  ip6(R2, 'route', 'add', 'fd00:ff::1/128', 'via', x0.ip, 'dev', x1.dev);
  ip6(
    R2,
    'route',
    'add',
    'fd00:ff::2/128',
    'encap',
    'seg6local',
    'action',
    'End.DX6',
    'nh6',
    b.ip,
    'dev',
    r1.dev,
  );
  must(['ip', '-n', R1, 'sr', 'tunsrc', 'set', x0.ip]);
  must(['ip', '-n', R2, 'sr', 'tunsrc', 'set', x1.ip]);
  // the hosts: the tunnel MTU by hand (the kernel's entry point sends no usable Packet Too Big)
  ip6(A, 'route', 'add', 'default', 'via', r0.ip, 'dev', a.dev, 'mtu', String(TUNNEL_MTU));
  ip6(B, 'route', 'add', 'default', 'via', r1.ip, 'dev', b.dev, 'mtu', String(TUNNEL_MTU));
  staticNeighbour(A, a.dev, r0.ip, r0.mac);
  staticNeighbour(R1, r0.dev, a.ip, a.mac);
  staticNeighbour(R1, x0.dev, x1.ip, x1.mac);
  staticNeighbour(R2, x1.dev, x0.ip, x0.mac);
  staticNeighbour(R2, r1.dev, b.ip, b.mac);
  staticNeighbour(B, b.dev, r1.ip, r1.mac);
  const notes: string[] = [];
  if (o.fwdCpu !== null) {
    const mask = (1 << o.fwdCpu).toString(16);
    for (const ep of [r0, x0, x1, r1]) {
      must(
        inNs(ep.ns, ['sh', '-c', `echo ${mask} > /sys/class/net/${ep.dev}/queues/rx-0/rps_cpus`]),
      );
    }
    notes.push(`both routers' receive steered to cpu${o.fwdCpu} by RPS`);
  }
  for (const ep of all) {
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
  notes.push(`veth offloads: ${offloadState(A, a.dev)} (all six ends)`);
  notes.push(
    'kernel tunnel: SRv6 H.Encaps.Red, one segment, no SRH (outer Next Header 41), End.DX6 at the exit; ' +
      `hosts' default routes at mtu ${TUNNEL_MTU}`,
  );
  return { path, a, b, nextHopMac: r0.mac, forwarder: null, namespaces: [A, R1, R2, B], notes };
}
