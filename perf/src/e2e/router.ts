/**
 * The dmmd path's I/O: builds the two-link network around one dmmd (see dmmd.ts for the
 * picture), checks that the probe frames are really routed by it, and reads its counters
 * (through dmmctl) and the hosts' around the measurements.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GENERATOR_HOP_LIMIT,
  addressesNotReady,
  checkRoutedFrames,
  dmmctlArgv,
  dmmdConfigText,
  interfaceDeltas,
  isReadyLine,
  parseShowCounters,
  parseShowInterfaces,
  parseSnmp6,
  raEnabled,
  tsharkArgv,
  type RouterControl,
  type RouterLink,
  type RouterSnapshot,
} from './dmmd.js';
import type { Lab } from './lab.js';
import { PROBE_FRAMES, generatorArgv, verifyPath } from './measure.js';
import { MAC, offloadState, quietIpv6, staticNeighbour, type Topology } from './net.js';
import type { PathId } from './paths.js';
import { parseCounter } from './results.js';
import { inNs, must, pinned, run, sleep, stopChild, waitExit, waitForStdout } from './sys.js';

/** Where the dmmd path keeps its config and control socket (removed and remade per run). */
export const DMMD_DIR = join(tmpdir(), 'dmmp-dmmd');
export const DMMD_CONFIG = join(DMMD_DIR, 'dmmp-r.yaml');
const DMMD_SOCKET = join(DMMD_DIR, 'dmmp-r.sock');
const ROUTER_NAME = 'dmmp-r';

/** Frames tshark must capture in B to pass the routing check. */
const CAPTURED = 5;

export interface RouterOptions {
  /** dmmd's command line (node, dmmd.js, --config DMMD_CONFIG), without pinning. */
  argv: readonly string[];
  dmmctl: string;
  label: string;
  fwdCpu: number | null;
  ethtool: string | null;
  readyTimeoutMs?: number;
  /** Open both TAPs with offloads (the `dmmd-offload` path). */
  offload?: boolean;
}

/** Runs `dmmctl --json COMMAND` against the path's router; its stdout. */
export function dmmctl(ctl: RouterControl, command: string): string {
  return must(dmmctlArgv(ctl, command), 20_000);
}

export async function routerTopology(lab: Lab, path: PathId, o: RouterOptions): Promise<Topology> {
  const A = lab.addNamespace('dmmp-a');
  const B = lab.addNamespace('dmmp-b');
  // The hosts: no DAD, no Router Solicitations (so no ND of theirs in the measurement).
  for (const ns of [A, B]) quietIpv6(ns);
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
  rmSync(DMMD_DIR, { recursive: true, force: true });
  mkdirSync(DMMD_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(
    DMMD_CONFIG,
    dmmdConfigText({
      name: ROUTER_NAME,
      socket: DMMD_SOCKET,
      a: la,
      b: lb,
      offload: o.offload === true,
    }),
  );
  const argv = pinned(o.fwdCpu, o.argv);
  const fwd = lab.start(argv, o.label);
  const ctl: RouterControl = {
    socket: DMMD_SOCKET,
    dmmctl: o.dmmctl,
    a: la,
    b: lb,
    configFile: DMMD_CONFIG,
  };
  const topo: Topology = {
    path,
    a: { ns: A, dev: la.ifName, mac: la.hostMac, ip: la.hostIp },
    b: { ns: B, dev: lb.ifName, mac: lb.hostMac, ip: lb.hostIp },
    // The generator's frames go to the router's MAC on A's link, for B's address.
    nextHopMac: la.routerMac,
    forwarder: fwd,
    namespaces: [A, B],
    notes: [],
    router: ctl,
  };
  try {
    await waitForStdout(fwd, isReadyLine, 'its "ready" log line', o.readyTimeoutMs ?? 30_000);
  } catch (e) {
    const tail = fwd.stdout.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${(e as Error).message}${tail ? `; last log lines: ${tail}` : ''}`);
  }
  for (const l of [la, lb]) {
    // dmmd moved the netdev into the host's namespace and brought it up: the host's end of
    // the point-to-point link gets its MAC, its address, a default route via the router.
    must(['ip', '-n', l.netns, 'link', 'set', 'dev', l.ifName, 'address', l.hostMac]);
    must([
      'ip',
      '-n',
      l.netns,
      '-6',
      'addr',
      'add',
      `${l.hostIp}/${l.prefixLen}`,
      'dev',
      l.ifName,
      'nodad',
    ]);
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
  // dmmd runs DAD on its own addresses at start (RFC 4862 §5.4, one NS each, RetransTimer
  // 1 s): wait for it to finish so its NSs fall before the measurements.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pending = addressesNotReady(dmmctl(ctl, 'show nd'));
    if (pending.length === 0) break;
    if (Date.now() > deadline)
      throw new Error(`dmmd addresses still not ready: ${pending.join(', ')}`);
    await sleep(200);
  }
  const ra = raEnabled(dmmctl(ctl, 'show ra'));
  if (ra.length > 0) throw new Error(`dmmd sends Router Advertisements on ${ra.join(', ')}`);
  topo.notes.push(`command: ${argv.join(' ')}`);
  topo.notes.push(
    `config: ${la.ifName} ${la.routerIp}/${la.prefixLen} in ${A}, ${lb.ifName} ${lb.routerIp}/${lb.prefixLen} in ${B}, ` +
      'static neighbours on both sides, no RA, pool and rxBudget at their defaults' +
      (o.offload === true ? ', offload: true on both TAPs' : ''),
  );
  if (o.ethtool !== null) topo.notes.push(`TAP offloads: ${offloadState(A, la.ifName)}`);
  return topo;
}

/** Reads everything watched on the dmmd path: its counters and interfaces, the hosts'. */
export function routerSnapshot(ctl: RouterControl): RouterSnapshot {
  const counters = parseShowCounters(dmmctl(ctl, 'show counters'));
  const interfaces = parseShowInterfaces(dmmctl(ctl, 'show interfaces'));
  const snmp6: Record<string, Record<string, number>> = {};
  const hostCounters: Record<string, number> = {};
  for (const l of [ctl.a, ctl.b]) {
    snmp6[l.netns] = parseSnmp6(must(inNs(l.netns, ['cat', '/proc/net/snmp6'])));
    for (const c of ['tx_dropped', 'rx_dropped']) {
      const f = `/sys/class/net/${l.ifName}/statistics/${c}`;
      hostCounters[`${l.netns}/${l.ifName}.${c}`] = parseCounter(must(inNs(l.netns, ['cat', f])));
    }
  }
  return { counters, interfaces, snmp6, hostCounters };
}

/**
 * The dmmd path's setup check: the common one (probe frames from A counted in B), plus
 * dmmd's own counters must show them entering on A's link and leaving on B's, plus (with
 * tshark) frames captured in B must carry the router's rewrite: source MAC = dmmd's on B's
 * link, destination MAC = B's, hop limit one less than the generator's (RFC 8200 §3).
 * Hands each passed check to `note`; throws when traffic does not really cross dmmd.
 */
export async function verifyRouted(
  lab: Lab,
  topo: Topology,
  udpgen: string,
  tshark: string | null,
  note: (s: string) => void,
): Promise<void> {
  const ctl = topo.router;
  if (ctl === undefined) throw new Error('not a dmmd topology');
  const i0 = parseShowInterfaces(dmmctl(ctl, 'show interfaces'));
  note(await verifyPath(topo, udpgen));
  const d = interfaceDeltas(i0, parseShowInterfaces(dmmctl(ctl, 'show interfaces')));
  const rxA = d.find((i) => i.name === ctl.a.ifName)?.rxPackets ?? 0;
  const txB = d.find((i) => i.name === ctl.b.ifName)?.txPackets ?? 0;
  if (rxA < PROBE_FRAMES * 0.99 || txB < PROBE_FRAMES * 0.99) {
    throw new Error(
      `setup check: dmmd's counters do not show the ${PROBE_FRAMES} probes crossing it ` +
        `(${ctl.a.ifName} rx +${rxA}, ${ctl.b.ifName} tx +${txB})`,
    );
  }
  note(`dmmd counted the probes: ${ctl.a.ifName} rx +${rxA}, ${ctl.b.ifName} tx +${txB}`);
  if (tshark === null) {
    note('tshark not installed: MAC rewrite and hop limit not checked by a capture');
    return;
  }
  const cap = lab.start(inNs(topo.b.ns, tsharkArgv(topo.b.dev, CAPTURED)), 'tshark');
  let sent = 0;
  try {
    for (let i = 0; !cap.stderr.includes('Capturing on'); i++) {
      if (cap.exitCode !== null)
        throw new Error(`tshark exited with ${cap.exitCode}: ${cap.stderr.trim()}`);
      if (i > 150) throw new Error('tshark did not start capturing within 15 s');
      await sleep(100);
    }
    // tshark says "Capturing on" a moment before its capture socket is open: a single
    // burst may come too early, so send 10 probes every 100 ms until it has its frames.
    for (let i = 0; ; i++) {
      const gen = run(inNs(topo.a.ns, generatorArgv(topo, udpgen, ['--count', '10'])));
      if (gen.code !== 0) throw new Error(`probe generator failed: ${gen.stderr.trim()}`);
      sent += 10;
      if ((await waitExit(cap, 100)) !== null) break;
      if (i >= 50) {
        throw new Error(
          `tshark in ${topo.b.ns} captured fewer than ${CAPTURED} of ${sent} probes in 5 s`,
        );
      }
    }
  } finally {
    await stopChild(cap);
  }
  const want = {
    srcMac: ctl.b.routerMac,
    dstMac: ctl.b.hostMac,
    src: ctl.a.hostIp,
    dst: ctl.b.hostIp,
    hopLimit: GENERATOR_HOP_LIMIT - 1,
  };
  const r = checkRoutedFrames(cap.stdout, want);
  if (r.problems.length > 0) {
    throw new Error(
      `setup check: frames in ${topo.b.ns} were not routed by dmmd: ${r.problems.join('; ')}`,
    );
  }
  note(
    `tshark in ${topo.b.ns}: ${r.frames} of ${sent} probes captured, all routed (source MAC ` +
      `${want.srcMac} = dmmd's, destination MAC ${want.dstMac} = B's, hop limit ` +
      `${GENERATOR_HOP_LIMIT} → ${want.hopLimit})`,
  );
}
