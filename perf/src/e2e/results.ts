/**
 * The pure part of the end-to-end harness: parsing what the tools print (iperf3 -J,
 * udpgen's JSON line, a sysfs counter), medians, ratios, the per-path summary record (one
 * JSON line each) and the markdown table. No I/O here, so all of it is unit-tested.
 */
import type { RouterReport } from './dmmd.js';
import { BASELINE, KERNEL, PATHS, type PathId } from './paths.js';

/** Median of the finite values; NaN when there are none. Even counts average the middle two. */
export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** a / b, or null when either is missing, not finite, or b is not positive. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

/** What one iperf3 client run measured. */
export interface IperfResult {
  /** Receiver-side throughput, Mbit/s (10^6 bits per second). */
  mbps: number;
  /** Sender-side TCP retransmissions (0 when iperf3 does not say). */
  retransmits: number;
  /** Seconds the receiver's figure covers. */
  seconds: number;
}

/**
 * Reads the client's `iperf3 -J` output. Throws with iperf3's own message when it reports
 * an error (it does so in the JSON, sometimes with exit status 0), and when the receiver
 * figure is missing or not positive: a zero is a broken path, never a result.
 */
export function parseIperf3Json(text: string): IperfResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`iperf3 printed no JSON: ${text.slice(0, 200)}`);
  }
  const d = doc as {
    error?: unknown;
    end?: {
      sum_received?: { bits_per_second?: unknown; seconds?: unknown };
      sum_sent?: { retransmits?: unknown };
    };
  };
  if (typeof d.error === 'string') throw new Error(`iperf3: ${d.error}`);
  const rx = d.end?.sum_received;
  const bps = rx?.bits_per_second;
  if (typeof bps !== 'number' || !Number.isFinite(bps)) {
    throw new Error('iperf3 JSON has no end.sum_received.bits_per_second');
  }
  if (bps <= 0) throw new Error('iperf3 measured 0 bit/s: nothing crossed the path');
  const rt = d.end?.sum_sent?.retransmits;
  const secs = rx?.seconds;
  return {
    mbps: bps / 1e6,
    retransmits: typeof rt === 'number' ? rt : 0,
    seconds: typeof secs === 'number' ? secs : NaN,
  };
}

/** The line perf/c/udpgen.c prints when it stops. */
export interface UdpgenResult {
  /** Frames the socket accepted. */
  sent: number;
  /** sendmmsg calls refused (ENOBUFS: the device queue was full). */
  errors: number;
  seconds: number;
  /** sent / seconds. */
  pps: number;
  frameLen: number;
}

/** Parses udpgen's last JSON line; throws when there is none or a field is missing. */
export function parseUdpgenOutput(text: string): UdpgenResult {
  const line = text
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`udpgen printed no result: ${text.slice(0, 200)}`);
  const o = JSON.parse(line) as Record<string, unknown>;
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`udpgen result lacks ${k}`);
    return v;
  };
  return {
    sent: num('sent'),
    errors: num('errors'),
    seconds: num('seconds'),
    pps: num('pps'),
    frameLen: num('frameLen'),
  };
}

/** A non-negative integer counter as sysfs prints it (`123\n`). */
export function parseCounter(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new Error(`not a counter: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(t);
}

/** Packets per second from two counter readings and the times (ns) they were taken. */
export function rate(c0: number, t0ns: bigint, c1: number, t1ns: bigint): number {
  const secs = Number(t1ns - t0ns) / 1e9;
  if (!(secs > 0)) throw new Error('measurement window has no length');
  if (c1 < c0) throw new Error(`counter went backwards (${c0} → ${c1}): the device was reset`);
  return (c1 - c0) / secs;
}

/** Jiffies a CPU spent busy, in user space (user + nice), and in total, from one `cpuN` line of /proc/stat. */
export interface CpuTimes {
  busy: number;
  user: number;
  total: number;
}

/**
 * Per-CPU times from /proc/stat (proc(5): user nice system idle iowait irq softirq steal
 * ...). Busy is everything but idle and iowait; steal counts as busy (the CPU was not ours
 * to give, and a forwarder starved by the hypervisor shows up as saturated, not idle).
 */
export function parseProcStat(text: string): Map<number, CpuTimes> {
  const out = new Map<number, CpuTimes>();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    // guest and guest_nice (fields 9, 10) are already included in user and nice.
    const fields = f.slice(0, 8);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    out.set(Number(m[1]), { busy: total - idle, user: (fields[0] ?? 0) + (fields[1] ?? 0), total });
  }
  return out;
}

/** Fraction (0..1) of the time CPU `cpu` was busy between two /proc/stat readings; NaN if unknown. */
export function cpuBusy(
  before: Map<number, CpuTimes>,
  after: Map<number, CpuTimes>,
  cpu: number,
): number {
  const a = before.get(cpu);
  const b = after.get(cpu);
  if (a === undefined || b === undefined || b.total <= a.total) return NaN;
  return (b.busy - a.busy) / (b.total - a.total);
}

/**
 * User-space jiffies of one process from its proc(5) /proc/PID/stat line: `utime` (field
 * 14) and `cutime` (field 16, the user time of its children that it has waited for).
 */
export function parsePidStat(text: string): { utime: number; cutime: number } {
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state), so field 14 is f[11] and field 16 is f[13].
  const utime = Number(f[11]);
  const cutime = Number(f[13]);
  if (close < 0 || !Number.isFinite(utime) || !Number.isFinite(cutime)) {
    throw new Error(`not a /proc/PID/stat line: ${text.slice(0, 60)}`);
  }
  return { utime, cutime };
}

/**
 * CPU used in user space by processes other than ours between two readings, as a
 * fraction of one CPU: (Σ user jiffies of every CPU − user jiffies of our processes) ÷ the
 * window's length in jiffies. Other work on the machine (a build, a test run) shows up
 * here; kernel-side packet processing does not (it is system and softirq time).
 */
export function otherUserCpu(
  before: Map<number, CpuTimes>,
  after: Map<number, CpuTimes>,
  oursUserJiffies: number,
): number {
  let user = 0;
  let window = 0;
  for (const [cpu, b] of after) {
    const a = before.get(cpu);
    if (a === undefined) continue;
    user += b.user - a.user;
    window = Math.max(window, b.total - a.total);
  }
  if (window <= 0) return NaN;
  return Math.max(0, user - oursUserJiffies) / window;
}

/** Above this share of a CPU taken by other processes, a measurement is marked disturbed. */
export const DISTURBED = 0.05;

/**
 * Below this busy fraction of the forwarding CPU, a path took everything the generator
 * offered: its figure is a lower bound ("≥" in the table), not its capacity.
 */
export const SATURATED = 0.9;

export type PathStatus = 'ok' | 'missing' | 'failed';

/** Everything measured on one path, before ratios. */
export interface PathMeasurement {
  path: PathId;
  status: PathStatus;
  /** Why the path is missing or failed. */
  reason?: string;
  /** Frames per second arriving in ns B, one per repetition. */
  pps: number[];
  /** Measurements thrown away and taken again because other work disturbed them. */
  discarded: number;
  /** Frames per second the generator's socket accepted, one per repetition. */
  generatorPps: number[];
  /** sendmmsg calls refused per repetition (device queue full). */
  generatorRefused: number[];
  /**
   * Busy fraction of the forwarding CPU (the forwarder's, or where RPS steers the kernel's
   * forwarding) during each UDP window; empty without pinning.
   */
  fwdCpuBusy: number[];
  /** Busy fraction of the generator's CPU during each UDP window; empty without pinning. */
  genCpuBusy: number[];
  /**
   * User-space CPU of processes other than ours during each UDP window and TCP test, as a
   * fraction of one CPU (`otherUserCpu`): how much other work disturbed the run.
   */
  otherCpu: number[];
  /** TCP Mbit/s, one per repetition (empty with --no-tcp). */
  tcpMbps: number[];
  tcpRetransmits: number[];
  /** How the path was set up: pinning, offloads, the command run. */
  notes: string[];
  /** The dmmd path only: what the router's own counters say about the measurements. */
  router?: RouterReport;
}

/** One JSON line of perf/results/e2e-<date>.jsonl. */
export interface PathSummary extends PathMeasurement {
  kind: 'e2e';
  label: string;
  ppsMedian: number | null;
  generatorPpsMedian: number | null;
  tcpMbpsMedian: number | null;
  /** Median busy fraction of the forwarding CPU during the UDP windows (null: unknown). */
  fwdCpuBusyMedian: number | null;
  /**
   * True when the forwarding CPU was not saturated (< SATURATED busy): the generator, not
   * the path, set the UDP rate, and ppsMedian is a lower bound.
   */
  generatorBound: boolean;
  /** Largest `otherCpu` of the path's measurements (null: none). */
  otherCpuMax: number | null;
  /** This path ÷ the C baseline (batched), for pps and TCP. */
  vsC: { pps: number | null; tcp: number | null };
  /** This path ÷ the kernel's routing (veth, default offloads), for pps and TCP. */
  vsKernel: { pps: number | null; tcp: number | null };
  /** This path ÷ the same forwarder's one-frame-per-readiness mode. */
  vsOnePerReadiness: { pps: number | null; tcp: number | null };
}

/** Context every line carries so runs can be told apart. */
export interface RunContext {
  date: string;
  node: string;
  cpu: string;
  nproc: number;
  kernel: string;
  durationS: number;
  warmupS: number;
  repeat: number;
  udpPayload: number;
  frameLen: number;
  pinning: string;
  /**
   * Busy fraction of the busiest CPU over one second before the run, with nothing of ours
   * running: other work on the machine skews the figures.
   */
  backgroundBusy: number;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Medians and ratios for every measured path (ratios only between paths of this run). */
export function summarise(ms: readonly PathMeasurement[]): PathSummary[] {
  const base = ms.map((m) => ({
    ...m,
    kind: 'e2e' as const,
    label: PATHS[m.path].label,
    ppsMedian: m.status === 'ok' ? finiteOrNull(median(m.pps)) : null,
    generatorPpsMedian: m.status === 'ok' ? finiteOrNull(median(m.generatorPps)) : null,
    tcpMbpsMedian: m.status === 'ok' ? finiteOrNull(median(m.tcpMbps)) : null,
    fwdCpuBusyMedian: m.status === 'ok' ? finiteOrNull(median(m.fwdCpuBusy)) : null,
    otherCpuMax: m.otherCpu.length > 0 ? Math.max(...m.otherCpu) : null,
  }));
  const byId = new Map(base.map((s) => [s.path, s]));
  return base.map((s) => {
    const c = byId.get(BASELINE);
    const k = byId.get(KERNEL);
    const oneId = PATHS[s.path].onePerReadiness;
    const one = oneId === null ? undefined : byId.get(oneId);
    return {
      ...s,
      generatorBound: s.fwdCpuBusyMedian !== null && s.fwdCpuBusyMedian < SATURATED,
      vsC: { pps: ratio(s.ppsMedian, c?.ppsMedian), tcp: ratio(s.tcpMbpsMedian, c?.tcpMbpsMedian) },
      vsKernel: {
        pps: ratio(s.ppsMedian, k?.ppsMedian),
        tcp: ratio(s.tcpMbpsMedian, k?.tcpMbpsMedian),
      },
      vsOnePerReadiness: {
        pps: ratio(s.ppsMedian, one?.ppsMedian),
        tcp: ratio(s.tcpMbpsMedian, one?.tcpMbpsMedian),
      },
    };
  });
}

/** `1234567` → `1 234 567` (thin groups, as in the README tables). */
export function formatInt(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/**
 * One ratio cell. A generator-bound pps figure is a lower bound, so the ratio is one too
 * (`≥`) when this row is bound, an upper bound (`≤`) when the reference row is, and
 * unknown (`~`) when both are.
 */
function formatRatio(
  r: { pps: number | null; tcp: number | null },
  tcp: boolean,
  rowBound: boolean,
  refBound: boolean,
): string {
  if (r.pps === null && r.tcp === null) return '—';
  const f = (x: number | null): string => (x === null ? '—' : x.toFixed(2));
  const mark = rowBound ? (refBound ? '~ ' : '≥ ') : refBound ? '≤ ' : '';
  const pps = r.pps !== null ? `${mark}${f(r.pps)}` : f(r.pps);
  return tcp ? `${pps} / ${f(r.tcp)}` : pps;
}

/**
 * The markdown table: path, pps (64 B UDP), Mbit/s TCP, ratio vs C baseline batched,
 * ratio vs kernel, ratio vs one-per-readiness. With TCP, each ratio cell is
 * `pps ratio / TCP ratio`. A generator-bound pps figure is marked `≥`: the path was faster
 * than the generator could feed it (see formatRatio for the ratios). Missing and failed
 * paths keep their row and say so.
 */
export function formatTable(rows: readonly PathSummary[], tcp: boolean): string {
  const rh = tcp ? ' (pps / TCP)' : ' (pps)';
  const head = [
    'path',
    'pps (64 B UDP)',
    'Mbit/s TCP',
    `ratio vs C batched${rh}`,
    `ratio vs kernel${rh}`,
    `ratio vs one-per-readiness${rh}`,
  ];
  const bound = new Map(rows.map((r) => [r.path, r.status === 'ok' && r.generatorBound]));
  const refBound = (id: PathId | null): boolean => (id === null ? false : (bound.get(id) ?? false));
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    let cells: string[];
    if (r.status !== 'ok') {
      const what = r.status === 'missing' ? 'missing' : 'FAILED';
      cells = [r.label, what, what, '—', '—', '—'];
    } else {
      const ge = r.generatorBound ? '≥ ' : '';
      const self = (id: PathId | null): boolean => id === r.path;
      const one = PATHS[r.path].onePerReadiness;
      cells = [
        r.label,
        r.ppsMedian === null ? '—' : `${ge}${formatInt(r.ppsMedian)}`,
        !tcp ? 'not run' : r.tcpMbpsMedian === null ? '—' : formatInt(r.tcpMbpsMedian),
        formatRatio(
          r.vsC,
          tcp,
          r.generatorBound && !self(BASELINE),
          refBound(BASELINE) && !self(BASELINE),
        ),
        formatRatio(
          r.vsKernel,
          tcp,
          r.generatorBound && !self(KERNEL),
          refBound(KERNEL) && !self(KERNEL),
        ),
        formatRatio(
          r.vsOnePerReadiness,
          tcp,
          r.generatorBound && !self(one),
          refBound(one) && !self(one),
        ),
      ];
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
