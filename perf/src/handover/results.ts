/**
 * The pure part of the handover measurement: options, the medians of the figures of each
 * handover of the walk across N walks (one JSON line each), and the distribution of the
 * outage and of the L2 trigger → first packet times over every handover measured. No I/O
 * here.
 */
import type { HandoverFigures } from '@dmm/example-dmm';
import { median } from '../e2e/results.js';

export interface HandoverOptions {
  walks: number;
  /** Handovers in all (the last walk cut short), or null: 3 per walk. */
  handovers: number | null;
  periodUs: number;
  settleMs: number;
  senderNice: number | null;
  /** The sender sleeps until this many µs before each send (null: busy-waits throughout). */
  spinUs: number | null;
  /** The walks one after the other on one lab (medians without the first walk). */
  sameLab: boolean;
  save: boolean;
  out: string | null;
}

export class UsageError extends Error {}

export const HANDOVER_USAGE = `usage: handover [--walks N | --handovers N] [--same-lab] [--period-us US] [--spin-us US]
                [--sender-nice N] [--settle MS] [--no-save] [--out FILE]
  --walks N      walks D-GW1 → D-GW2 → D-GW3 → D-GW1, each on a fresh lab (default 3)
  --handovers N  N handovers in all: ceil(N / 3) walks, the last one cut short
  --period-us US the UDP probe's period (default 250)
  --settle MS    how long each handover is watched after its L2 trigger (default 1500)
  --sender-nice N  nice value of the probe's busy-waiting sender thread (default: inherited)
  --spin-us US   the sender sleeps until US µs before each send instead of busy-waiting
                 the whole period (a lighter load on a machine with few CPUs)
  --same-lab     the walks one after the other on one lab; the medians leave the first out
  --no-save      do not append the JSON lines to perf/results/handover-<date>.jsonl
  --out FILE     append them there instead
`;

export function parseHandoverArgs(argv: readonly string[]): HandoverOptions {
  const o: HandoverOptions = {
    walks: 3,
    handovers: null,
    periodUs: 250,
    settleMs: 1500,
    senderNice: null,
    spinUs: null,
    sameLab: false,
    save: true,
    out: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (lo: number, hi: number): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < lo || v > hi)
        throw new UsageError(`${a}: an integer ${lo}..${hi}`);
      return v;
    };
    if (a === '--walks') o.walks = num(1, 100);
    else if (a === '--handovers') {
      o.handovers = num(1, 300);
      o.walks = Math.ceil(o.handovers / 3);
    } else if (a === '--period-us') o.periodUs = num(50, 1_000_000);
    else if (a === '--settle') o.settleMs = num(500, 60_000);
    else if (a === '--sender-nice') o.senderNice = num(-20, 19);
    else if (a === '--spin-us') o.spinUs = num(0, 1_000_000);
    else if (a === '--same-lab') o.sameLab = true;
    else if (a === '--no-save') o.save = false;
    else if (a === '--out') {
      const f = argv[++i];
      if (!f) throw new UsageError('--out FILE');
      o.out = f;
    } else throw new UsageError(`unknown argument ${a}`);
  }
  return o;
}

/** The numeric figures a median is taken of. */
export const MEDIAN_KEYS = [
  'outageMs',
  'outageLost',
  'silenceMs',
  'lost',
  'triggerToFirstPacketMs',
  'triggerToFirstEchoMs',
  'moveMs',
  'breakToTriggerMs',
  'triggerToRestoreMs',
  'triggerToPbuMs',
  'pbuToPbaMs',
  'attachMs',
  'maxSendGapMs',
  'breakSendGapMs',
  'tcpStallMs',
] as const;

export type MedianKey = (typeof MEDIAN_KEYS)[number];

export interface HandoverMedian {
  kind: 'median';
  handover: string;
  walks: number;
  /** Walks in which every session survived this handover. */
  survived: number;
  /** Where the figure "trigger → first packet" comes from: the D-GW's timing or the probe's. */
  firstPacketBy: string;
  median: Record<MedianKey, number | null>;
  min: Record<MedianKey, number | null>;
  max: Record<MedianKey, number | null>;
}

/** Medians (and ranges) per handover of the walk, in walk order. */
export function handoverMedians(walks: readonly (readonly HandoverFigures[])[]): HandoverMedian[] {
  const names: string[] = [];
  for (const w of walks) for (const f of w) if (!names.includes(f.handover)) names.push(f.handover);
  return names.map((name) => {
    const fs = walks.flatMap((w) => w.filter((f) => f.handover === name));
    const pick = (k: MedianKey): number[] =>
      fs.map((f) => f[k]).filter((x): x is number => typeof x === 'number');
    const stat = (g: (xs: number[]) => number): Record<MedianKey, number | null> =>
      Object.fromEntries(
        MEDIAN_KEYS.map((k) => {
          const xs = pick(k);
          return [k, xs.length === 0 ? null : Math.round(g(xs) * 100) / 100];
        }),
      ) as Record<MedianKey, number | null>;
    return {
      kind: 'median',
      handover: name,
      walks: fs.length,
      survived: fs.filter((f) => f.survived).length,
      firstPacketBy: [...new Set(fs.map((f) => f.firstPacketBy))].join('/'),
      median: stat(median),
      min: stat((xs) => Math.min(...xs)),
      max: stat((xs) => Math.max(...xs)),
    };
  });
}

/** A few lines for people (stderr). */
export function formatMedians(ms: readonly HandoverMedian[]): string {
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
  const rows = ms.map((m) => [
    m.handover,
    `${m.survived}/${m.walks}`,
    f(m.median.outageMs),
    `${f(m.min.outageMs)}–${f(m.max.outageMs)}`,
    f(m.median.outageLost),
    f(m.median.silenceMs),
    `${f(m.median.triggerToFirstPacketMs)} (${m.firstPacketBy})`,
    f(m.median.breakToTriggerMs),
    f(m.median.triggerToPbuMs),
    f(m.median.pbuToPbaMs),
    f(m.median.triggerToRestoreMs),
    f(m.median.moveMs),
  ]);
  const header = [
    'handover',
    'survived',
    'outage ms',
    'range',
    'lost',
    'no echo ms',
    'trigger→1st packet ms',
    'break→trigger',
    'trigger→PBU',
    'PBU→PBA',
    'trigger→path back',
    'lab move',
  ];
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Nearest-rank percentile (`q` in 0..1) of numbers, NaN for none. */
export function percentile(xs: readonly number[], q: number): number {
  const v = [...xs].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length, Math.max(1, Math.ceil(q * v.length))) - 1]!;
}

export interface Spread {
  count: number;
  median: number | null;
  p90: number | null;
  max: number | null;
}

function spread(xs: readonly number[]): Spread {
  const r = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);
  return {
    count: xs.length,
    median: r(median(xs)),
    p90: r(percentile(xs, 0.9)),
    max: xs.length === 0 ? null : r(Math.max(...xs)),
  };
}

/** An outage this long is a stall (the reference design's failure mode: ~1 s). */
export const STALL_MS = 1000;

/** The distribution over every handover measured (one JSON line). */
export interface HandoverDistribution {
  kind: 'distribution';
  handovers: number;
  survived: number;
  /** Probe outage (ms): the longest gap between answered datagrams. */
  outageMs: Spread;
  /** Outages longer than STALL_MS. */
  stalls: number;
  /**
   * Handovers whose outage is known to be under 2 ms. The break falls either inside the
   * longest lossy gap (the outage is at most that gap) or inside a pause of the sender
   * (at most that pause): both must be under 2 ms.
   */
  under2ms: number;
  /**
   * Handovers where the sender's pause around the break was at least 2 ms and at least as
   * long as the outage seen: the outage may hide in that pause (nothing sent, nothing lost).
   */
  unresolved: number;
  /**
   * L2 trigger → first packet of the probe's prefix through the new tunnel, timed by the
   * serving D-GW (handovers where that prefix is tunnelled).
   */
  triggerToFirstPacketMs: Spread;
  /** L2 trigger → the first probe echo back at the node (every handover). */
  triggerToFirstEchoMs: Spread;
  /** Where the outage goes: break → trigger, trigger → PBU, PBU → PBA, trigger → path back. */
  breakToTriggerMs: Spread;
  triggerToPbuMs: Spread;
  pbuToPbaMs: Spread;
  triggerToRestoreMs: Spread;
  /** The probe sender's own longest pause per handover, and around the break. */
  maxSendGapMs: Spread;
  breakSendGapMs: Spread;
  pingLost: Spread;
}

export function handoverDistribution(all: readonly HandoverFigures[]): HandoverDistribution {
  const nums = (g: (f: HandoverFigures) => number | null, fs = all): number[] =>
    fs.map(g).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const tunnelled = all.filter((f) => f.firstPacketBy !== 'probe');
  return {
    kind: 'distribution',
    handovers: all.length,
    survived: all.filter((f) => f.survived).length,
    outageMs: spread(nums((f) => f.outageMs)),
    stalls: all.filter((f) => f.outageMs > STALL_MS).length,
    under2ms: all.filter((f) => f.outageMs < 2 && f.breakSendGapMs < 2).length,
    unresolved: all.filter((f) => f.breakSendGapMs >= 2 && f.breakSendGapMs >= f.outageMs).length,
    triggerToFirstPacketMs: spread(nums((f) => f.triggerToFirstPacketMs, tunnelled)),
    triggerToFirstEchoMs: spread(nums((f) => f.triggerToFirstEchoMs)),
    breakToTriggerMs: spread(nums((f) => f.breakToTriggerMs)),
    triggerToPbuMs: spread(nums((f) => f.triggerToPbuMs)),
    pbuToPbaMs: spread(nums((f) => f.pbuToPbaMs)),
    triggerToRestoreMs: spread(nums((f) => f.triggerToRestoreMs)),
    maxSendGapMs: spread(nums((f) => f.maxSendGapMs)),
    breakSendGapMs: spread(nums((f) => f.breakSendGapMs)),
    pingLost: spread(nums((f) => f.pingLost)),
  };
}

/** The distribution for people (stderr). */
export function formatDistribution(d: HandoverDistribution): string {
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
  const rows: [string, Spread][] = [
    ['outage (probe, 250 µs)', d.outageMs],
    ['trigger → 1st packet in new tunnel (D-GW)', d.triggerToFirstPacketMs],
    ['trigger → 1st probe echo', d.triggerToFirstEchoMs],
    ['break → trigger', d.breakToTriggerMs],
    ['trigger → PBU sent', d.triggerToPbuMs],
    ['PBU → PBA', d.pbuToPbaMs],
    ['trigger → path back', d.triggerToRestoreMs],
    ['probe sender pause (window)', d.maxSendGapMs],
    ['probe sender pause (around the break)', d.breakSendGapMs],
    ['ping (10 ms) lost', d.pingLost],
  ];
  const name = Math.max(...rows.map((r) => r[0].length));
  const lines = [
    `${d.handovers} handovers, ${d.survived} with every session surviving; ` +
      `${d.stalls} stall${d.stalls === 1 ? '' : 's'} > ${STALL_MS / 1000} s; ${d.under2ms} under 2 ms; ` +
      `${d.unresolved} not resolved (the probe's sender paused around the break as long as the outage seen)`,
    `${''.padEnd(name)}  ${'n'.padStart(3)}  ${'median'.padStart(7)}  ${'p90'.padStart(7)}  ${'max'.padStart(7)}`,
  ];
  for (const [label, s] of rows) {
    lines.push(
      `${label.padEnd(name)}  ${String(s.count).padStart(3)}  ${f(s.median).padStart(7)}  ` +
        `${f(s.p90).padStart(7)}  ${f(s.max).padStart(7)}`,
    );
  }
  return lines.join('\n');
}
