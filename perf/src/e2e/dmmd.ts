/**
 * The `dmmd` path of the end-to-end harness, pure parts: the router's config, the command
 * lines of dmmd and dmmctl, and reading what they and the hosts report (dmmctl --json
 * results, /proc/net/snmp6, a tshark capture of routed frames). No I/O here, so all of it
 * is unit-tested; router.ts does the I/O.
 *
 * One dmmd routes between two point-to-point TAP links, one per host namespace (RFC 8200
 * forwarding: hop limit decremented, Ethernet header rewritten for the next link):
 * ```
 *   dmmp-a                                  root ns                                 dmmp-b
 *   dmmp-ra fd00:a::1/64 ⇄ queue ⇄ [dmmd: fd00:a::2 dmmp-ra | dmmp-rb fd00:b::2] ⇄ queue ⇄ dmmp-rb fd00:b::1/64
 *   default via fd00:a::2                       (taskset: forwarder CPU)           default via fd00:b::2
 * ```
 * dmmd creates each TAP and moves its netdev into the host's namespace (`netns:`); the
 * netdev is the host's NIC, dmmd is the other end of the link with its own MAC. Every
 * neighbour is static on both sides and no interface has `ra`, so no Neighbor Discovery
 * or Router Advertisement runs once the addresses have passed DAD (RFC 4862 §5.4).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_DIR } from './cbuild.js';

/** dmmd's entry point and dmmctl's (built by `pnpm build`). */
export const DMMD = join(REPO_DIR, 'packages', 'cli', 'dist', 'src', 'dmmd.js');
export const DMMCTL = join(REPO_DIR, 'packages', 'cli', 'dist', 'src', 'dmmctl.js');

/** Hop limit of udpgen's frames (perf/c/udpgen.c); dmmd must forward them with one less. */
export const GENERATOR_HOP_LIMIT = 64;

/** One of the router's links: its end (interface, MAC, address) and the host's. */
export interface RouterLink {
  /** The TAP netdev's name, also the router's interface name. */
  ifName: string;
  /** The host namespace the netdev is moved into. */
  netns: string;
  routerMac: string;
  routerIp: string;
  hostMac: string;
  hostIp: string;
  prefixLen: number;
}

/** What the harness needs to talk to a running dmmd. */
export interface RouterControl {
  socket: string;
  /** dmmctl's entry point. */
  dmmctl: string;
  /** The generator's link (A) and the sink's (B). */
  a: RouterLink;
  b: RouterLink;
  configFile: string;
}

/** The router of the dmmd path: name, control socket, its two links. */
export interface DmmdSetup {
  name: string;
  socket: string;
  a: RouterLink;
  b: RouterLink;
  /** Both TAPs with virtio-net header offloads (`offload: true`, docs/config.md). */
  offload?: boolean;
}

/**
 * The dmmd config (docs/config.md) for the two-link router: both interfaces in their host
 * namespaces with a global address each, both hosts as static neighbours, no `ra` (no RA
 * timer), everything else at its default (pool 8192 × 2048, rxBudget 256, forwarding on).
 */
export function dmmdConfig(s: DmmdSetup): Record<string, unknown> {
  const iface = (l: RouterLink): Record<string, unknown> => ({
    name: l.ifName,
    type: 'tap',
    mac: l.routerMac,
    netns: l.netns,
    addresses: [`${l.routerIp}/${l.prefixLen}`],
    ...(s.offload === true ? { offload: true } : {}),
  });
  return {
    router: { name: s.name },
    control: { socket: s.socket },
    log: { level: 'info' },
    interfaces: [iface(s.a), iface(s.b)],
    neighbors: {
      static: [s.a, s.b].map((l) => ({ interface: l.ifName, address: l.hostIp, mac: l.hostMac })),
    },
  };
}

/** The config file's text: JSON, which YAML 1.2 (dmmd's format) reads as it is. */
export function dmmdConfigText(s: DmmdSetup): string {
  return `${JSON.stringify(dmmdConfig(s), null, 2)}\n`;
}

/**
 * dmmd's command line for `configFile` with extra Node flags (profiling), or why it cannot
 * run (the path is then "missing"): dmmd or dmmctl not built.
 */
export function dmmdArgv(
  configFile: string,
  nodeFlags: readonly string[] = [],
  dmmd = DMMD,
  dmmctl = DMMCTL,
): string[] | { missing: string } {
  for (const f of [dmmd, dmmctl]) {
    if (!existsSync(f)) {
      return { missing: `${relative(REPO_DIR, f)} not found (build packages/cli with pnpm build)` };
    }
  }
  return [process.execPath, ...nodeFlags, dmmd, '--config', configFile];
}

/** `dmmctl --socket SOCKET --json WORDS…` (e.g. `show counters`). */
export function dmmctlArgv(
  ctl: Pick<RouterControl, 'socket' | 'dmmctl'>,
  command: string,
): string[] {
  return [
    process.execPath,
    ctl.dmmctl,
    '--socket',
    ctl.socket,
    '--json',
    ...command.split(' ').filter((w) => w !== ''),
  ];
}

/** True for dmmd's `ready` log line (pino JSON, `"msg":"ready"`). */
export function isReadyLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === 'ready';
  } catch {
    return false;
  }
}

const num = (o: Record<string, unknown>, k: string, what: string): number => {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what} lacks ${k}`);
  return v;
};

const object = (v: unknown, what: string): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`${what} is not an object`);
  return v as Record<string, unknown>;
};

/** `dmmctl --json show counters`: the non-zero node counters, the pool, the breaths. */
export interface RouterCounters {
  nodes: Record<string, number>;
  pool: { buffers: number; inUse: number; exhausted: number };
  breaths: number;
}

export function parseShowCounters(text: string): RouterCounters {
  const o = object(JSON.parse(text), 'show counters');
  const nodes: Record<string, number> = {};
  for (const [k, v] of Object.entries(object(o['nodes'], 'show counters .nodes'))) {
    if (typeof v !== 'number') throw new Error(`show counters: ${k} is not a number`);
    nodes[k] = v;
  }
  const pool = object(o['pool'], 'show counters .pool');
  return {
    nodes,
    pool: {
      buffers: num(pool, 'buffers', 'show counters .pool'),
      inUse: num(pool, 'inUse', 'show counters .pool'),
      exhausted: num(pool, 'exhausted', 'show counters .pool'),
    },
    breaths: num(o, 'breaths', 'show counters'),
  };
}

/** One row of `dmmctl --json show interfaces`, the fields the harness reads. */
export interface RouterInterface {
  name: string;
  mac: string | null;
  rxPackets: number;
  txPackets: number;
  txDropped: number;
}

export function parseShowInterfaces(text: string): RouterInterface[] {
  const rows = JSON.parse(text) as unknown;
  if (!Array.isArray(rows)) throw new Error('show interfaces is not a list');
  return rows.map((r: unknown) => {
    const o = object(r, 'show interfaces row');
    if (typeof o['name'] !== 'string') throw new Error('show interfaces row lacks name');
    return {
      name: o['name'],
      mac: typeof o['mac'] === 'string' ? o['mac'] : null,
      rxPackets: num(o, 'rxPackets', `interface ${o['name']}`),
      txPackets: num(o, 'txPackets', `interface ${o['name']}`),
      txDropped: num(o, 'txDropped', `interface ${o['name']}`),
    };
  });
}

/** `dmmctl --json show runtime`: packets per call of each node that ran (its vector size). */
export function parseShowRuntime(text: string): Record<string, number> {
  const rows = JSON.parse(text) as unknown;
  if (!Array.isArray(rows)) throw new Error('show runtime is not a list');
  const out: Record<string, number> = {};
  for (const r of rows) {
    const o = object(r, 'show runtime row');
    if (typeof o['node'] !== 'string') throw new Error('show runtime row lacks node');
    out[o['node']] = num(o, 'vectorSize', `node ${o['node']}`);
  }
  return out;
}

/**
 * Addresses of `dmmctl --json show nd` that have not finished DAD (state other than
 * `preferred`), as `interface address state`.
 */
export function addressesNotReady(text: string): string[] {
  const o = object(JSON.parse(text), 'show nd');
  const addrs = o['addresses'];
  if (!Array.isArray(addrs)) throw new Error('show nd lacks addresses');
  return addrs
    .map((a: unknown) => object(a, 'show nd address'))
    .filter((a) => a['state'] !== 'preferred')
    .map((a) => `${String(a['interface'])} ${String(a['address'])} ${String(a['state'])}`);
}

/** Interfaces of `dmmctl --json show ra` that send Router Advertisements. */
export function raEnabled(text: string): string[] {
  const rows = JSON.parse(text) as unknown;
  if (!Array.isArray(rows)) throw new Error('show ra is not a list');
  return rows
    .map((r: unknown) => object(r, 'show ra row'))
    .filter((r) => r['enabled'] === true)
    .map((r) => String(r['interface']));
}

/** `after − before` for every key of either side, non-zero ones only, sorted by name. */
export function counterDeltas(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const k of keys) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** `a +3, b +12`, or `none`. */
export function formatDeltas(d: Readonly<Record<string, number>>): string {
  const parts = Object.entries(d).map(([k, v]) => `${k} ${v > 0 ? '+' : ''}${v}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** /proc/net/snmp6 (`Name   value` per line) as a map. */
export function parseSnmp6(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s*$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/**
 * The /proc/net/snmp6 counters of Neighbor Discovery and Router Discovery messages (RFC
 * 4861 §4: RS, RA, NS, NA, Redirect), both directions: a host sees every such message the
 * router sends on its link, and counts every one it sends.
 */
export const ND_SNMP6 = [
  'Icmp6InRouterSolicits',
  'Icmp6InRouterAdvertisements',
  'Icmp6InNeighborSolicits',
  'Icmp6InNeighborAdvertisements',
  'Icmp6InRedirects',
  'Icmp6OutRouterSolicits',
  'Icmp6OutRouterAdvertisements',
  'Icmp6OutNeighborSolicits',
  'Icmp6OutNeighborAdvertisements',
  'Icmp6OutRedirects',
] as const;

/** ND/RD messages a host sent or received between two /proc/net/snmp6 readings (non-zero only). */
export function ndMessages(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const pick = (o: Readonly<Record<string, number>>): Record<string, number> =>
    Object.fromEntries(ND_SNMP6.map((k) => [k, o[k] ?? 0]));
  return counterDeltas(pick(before), pick(after));
}

/** What a routed frame must look like when it reaches B. */
export interface RoutedFrame {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  hopLimit: number;
}

/** The tshark command line whose output `checkRoutedFrames` reads (run inside ns B). */
export function tsharkArgv(dev: string, count: number, udpDstPort = 9): string[] {
  return [
    'tshark',
    '-n',
    '-i',
    dev,
    '-c',
    String(count),
    '-f',
    `ip6 and udp dst port ${udpDstPort}`,
    '-T',
    'fields',
    '-E',
    'separator=,',
    '-e',
    'eth.src',
    '-e',
    'eth.dst',
    '-e',
    'ipv6.src',
    '-e',
    'ipv6.dst',
    '-e',
    'ipv6.hlim',
  ];
}

/**
 * Checks captured frames (tshark fields `eth.src,eth.dst,ipv6.src,ipv6.dst,ipv6.hlim`, one
 * line each) against what a router makes of the generator's frames: source MAC = the
 * router's on B's link, destination MAC = B's, addresses unchanged, hop limit one less
 * (RFC 8200 §3). Returns the number of frames and one problem per mismatching field.
 */
export function checkRoutedFrames(
  text: string,
  want: RoutedFrame,
): { frames: number; problems: string[] } {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const problems: string[] = [];
  lines.forEach((l, i) => {
    const f = l.split(',');
    if (f.length !== 5) {
      problems.push(`frame ${i + 1}: not 5 fields: ${l}`);
      return;
    }
    const [srcMac, dstMac, src, dst, hlim] = f as [string, string, string, string, string];
    const bad = (what: string, got: string, exp: string | number): void => {
      if (got.toLowerCase() !== String(exp).toLowerCase()) {
        problems.push(`frame ${i + 1}: ${what} ${got}, expected ${exp}`);
      }
    };
    bad('source MAC', srcMac, want.srcMac);
    bad('destination MAC', dstMac, want.dstMac);
    bad('source address', src, want.src);
    bad('destination address', dst, want.dst);
    bad('hop limit', hlim, want.hopLimit);
  });
  if (lines.length === 0) problems.push('no frame captured');
  return { frames: lines.length, problems };
}

/** One reading of everything the harness watches on the dmmd path. */
export interface RouterSnapshot {
  counters: RouterCounters;
  interfaces: RouterInterface[];
  /** /proc/net/snmp6 of each host namespace, by namespace name. */
  snmp6: Record<string, Record<string, number>>;
  /** The hosts' TAP netdev counters, as `netns/dev.counter` (tx_dropped, rx_dropped). */
  hostCounters: Record<string, number>;
}

/** What changed between two snapshots: one phase of the measurements (UDP or TCP). */
export interface PhaseReport {
  /** Node counters that moved (drops by reason, and events such as ICMPv6 errors sent). */
  counters: Record<string, number>;
  /** dmmd's per-interface packet counters. */
  interfaces: { name: string; rxPackets: number; txPackets: number; txDropped: number }[];
  /** Scheduler breaths. */
  breaths: number;
  /** Growth of the pool's exhaustion counter. */
  poolExhausted: number;
  /**
   * Frames the hosts' kernels dropped at the TAP netdevs (`tx_dropped`: the queue towards
   * dmmd was full; `rx_dropped`: a frame dmmd wrote was refused), non-zero only.
   */
  hostDrops: Record<string, number>;
  /** ND and RD messages the hosts sent or received (should be none). */
  ndMessages: Record<string, number>;
}

/** What the dmmd path's JSON line says about the router. */
export interface RouterReport {
  udp: PhaseReport | null;
  tcp: PhaseReport | null;
  /** The pool after the measurements. */
  pool: { buffers: number; inUse: number; exhausted: number };
  /** Packets per call of each node after the measurements (whole life of the router). */
  vectorSizes: Record<string, number>;
}

/** Per-interface deltas of two `show interfaces` readings (by name). */
export function interfaceDeltas(
  before: readonly RouterInterface[],
  after: readonly RouterInterface[],
): PhaseReport['interfaces'] {
  return after.map((a) => {
    const b = before.find((x) => x.name === a.name);
    return {
      name: a.name,
      rxPackets: a.rxPackets - (b?.rxPackets ?? 0),
      txPackets: a.txPackets - (b?.txPackets ?? 0),
      txDropped: a.txDropped - (b?.txDropped ?? 0),
    };
  });
}

export function phaseReport(s0: RouterSnapshot, s1: RouterSnapshot): PhaseReport {
  const nd: Record<string, number> = {};
  for (const [ns, after] of Object.entries(s1.snmp6)) {
    for (const [k, v] of Object.entries(ndMessages(s0.snmp6[ns] ?? {}, after)))
      nd[`${ns}.${k}`] = v;
  }
  return {
    counters: counterDeltas(s0.counters.nodes, s1.counters.nodes),
    interfaces: interfaceDeltas(s0.interfaces, s1.interfaces),
    breaths: s1.counters.breaths - s0.counters.breaths,
    poolExhausted: s1.counters.pool.exhausted - s0.counters.pool.exhausted,
    hostDrops: counterDeltas(s0.hostCounters, s1.hostCounters),
    ndMessages: nd,
  };
}

/** The notes of the dmmd row: per phase, counters by reason, interfaces, host drops, ND. */
export function formatRouterReport(r: RouterReport): string[] {
  const out: string[] = [];
  for (const [name, p] of [
    ['UDP', r.udp],
    ['TCP', r.tcp],
  ] as const) {
    if (p === null) continue;
    const ifs = p.interfaces
      .map((i) => `${i.name} rx ${i.rxPackets} tx ${i.txPackets} tx-drop ${i.txDropped}`)
      .join(', ');
    out.push(
      `dmmd during ${name}: counters ${formatDeltas(p.counters)}; ${ifs}; ${p.breaths} breaths; ` +
        `pool exhausted +${p.poolExhausted}; host TAP drops ${formatDeltas(p.hostDrops)}; ` +
        `ND/RD messages ${formatDeltas(p.ndMessages)}`,
    );
  }
  const vec = Object.entries(r.vectorSizes)
    .filter(([n]) => /^(ethernet-input|ip6-input|ip6-lookup|ip6-rewrite|interface-output)$/.test(n))
    .map(([n, v]) => `${n} ${v.toFixed(1)}`)
    .join(', ');
  if (vec !== '') out.push(`dmmd packets per node call: ${vec}`);
  out.push(
    `dmmd pool after: ${r.pool.inUse}/${r.pool.buffers} in use, ${r.pool.exhausted} exhausted`,
  );
  return out;
}
