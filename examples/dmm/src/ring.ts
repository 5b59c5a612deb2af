/**
 * The handover probe's records: what was sent when, and what came back when, kept in
 * rings of shared memory that the busy-waiting sender (sender.ts, a worker thread) and
 * the receiving thread (agent.ts) write without allocating, and that the analysis below
 * reads on request.
 *
 *   slot = seq & mask
 *   ┌──────────┬──────────────────┬──────────────────┐
 *   │ seq u32  │ sent ns (i64)    │ recv ns (i64)    │   0n in recv: no echo (yet)
 *   └──────────┴──────────────────┴──────────────────┘
 *   ctrl: [head = next seq to send, stop flag, duplicate echoes, stray echoes]
 *
 * Times are `process.hrtime.bigint()`: CLOCK_MONOTONIC, one clock for every process on
 * the machine whatever network namespace it runs in, so the demo (root namespace) can
 * place its own events — the layer-2 move, the L2 trigger — on the probe's time line.
 *
 * The TCP stream keeps a ring too: the time of every chunk the correspondent echoed back
 * and the byte count so far.
 */

/** Index of each counter in `ctrl`. */
export const Ctrl = {
  head: 0,
  stop: 1,
  duplicates: 2,
  strays: 3,
} as const;

/** The shared buffers of one probe ring (what crosses to the worker thread). */
export interface ProbeRingBuffers {
  bits: number;
  seq: SharedArrayBuffer;
  sent: SharedArrayBuffer;
  recv: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
}

/** Typed views of a probe ring. */
export interface ProbeRing {
  size: number;
  mask: number;
  seq: Uint32Array;
  sent: BigInt64Array;
  recv: BigInt64Array;
  ctrl: Int32Array;
  buffers: ProbeRingBuffers;
}

/** 2^20 datagrams: 4.4 minutes at one every 250 µs. */
export const DEFAULT_RING_BITS = 20;

export function createProbeRing(bits = DEFAULT_RING_BITS): ProbeRing {
  const size = 1 << bits;
  return attachProbeRing({
    bits,
    seq: new SharedArrayBuffer(size * 4),
    sent: new SharedArrayBuffer(size * 8),
    recv: new SharedArrayBuffer(size * 8),
    ctrl: new SharedArrayBuffer(16),
  });
}

export function attachProbeRing(b: ProbeRingBuffers): ProbeRing {
  const size = 1 << b.bits;
  return {
    size,
    mask: size - 1,
    seq: new Uint32Array(b.seq),
    sent: new BigInt64Array(b.sent),
    recv: new BigInt64Array(b.recv),
    ctrl: new Int32Array(b.ctrl),
    buffers: b,
  };
}

/** Records that datagram `seq` is being sent at `now` (sender thread; no allocation). */
export function recordSent(r: ProbeRing, seq: number, now: bigint): void {
  const slot = seq & r.mask;
  r.seq[slot] = seq;
  r.recv[slot] = 0n;
  r.sent[slot] = now;
}

/**
 * Records the echo of `seq` received at `now` (receiving thread; no allocation). An echo
 * of a datagram whose slot was re-used, or that was never sent, counts as a stray; a second
 * echo of the same datagram as a duplicate.
 */
export function recordEcho(r: ProbeRing, seq: number, now: bigint): void {
  const slot = seq & r.mask;
  if (seq >= Atomics.load(r.ctrl, Ctrl.head) || r.seq[slot] !== seq) {
    r.ctrl[Ctrl.strays]!++;
  } else if (r.recv[slot] !== 0n) {
    r.ctrl[Ctrl.duplicates]!++;
  } else {
    r.recv[slot] = now;
  }
}

/** What the probe saw between two instants (all times ns on the shared clock). */
export interface ProbeWindow {
  /** Window asked for. */
  from: number;
  to: number;
  /** Datagrams sent in the window (the last `graceMs` before the request excluded). */
  sent: number;
  answered: number;
  lost: number;
  /** Sequence numbers of the first and last datagram counted (-1: none). */
  firstSeq: number;
  lastSeq: number;
  /**
   * The outage at the probe's resolution: the longest gap between the send times of two
   * answered datagrams with lost ones (only) between them; 0 when none was lost. A gap
   * with nothing lost in it is a pause of the sender, not of the path (`maxSendGapNs`).
   * `gapFrom` is the send time of the last answered datagram before it, `gapTo` that of
   * the first answered after it; `gapLost` the datagrams lost inside.
   */
  gapNs: number;
  gapFrom: number;
  gapTo: number;
  gapLost: number;
  /** When the first answered datagram after the gap was echoed back. */
  gapToEcho: number;
  /**
   * Every gap with loss in it of at least `minGapNs` (default 1 ms), in time order, the
   * first 20: the outage above and any other (a second burst after a handover).
   */
  lossyGaps: { from: number; to: number; lost: number }[];
  /** The longest time between two consecutive echoes received (the silence as the node's application saw it). */
  silenceNs: number;
  /** The longest time between two consecutive sends (the sender's own stalls). */
  maxSendGapNs: number;
  /** Round-trip times of the answered datagrams. */
  rttMedianNs: number;
  rttMaxNs: number;
  /** The first datagram sent at or after `mark` that was answered (when a mark was given). */
  firstAfterMark: { seq: number; sent: number; echo: number } | null;
  /** Share of datagrams answered in the window's last 500 ms. */
  tailAnsweredShare: number;
}

/** First seq in [lo, hi) whose send time is ≥ t (sent times grow with seq). */
function lowerBound(r: ProbeRing, lo: number, hi: number, t: bigint): number {
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    if (r.sent[mid & r.mask]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Analyses the datagrams sent in [from, to]. Datagrams sent in the last `graceNs` before
 * `now` are left out (their echo may still be on its way). Control plane: allocates.
 */
export function analyseWindow(
  r: ProbeRing,
  from: bigint,
  to: bigint,
  now: bigint,
  opts: { graceNs?: bigint; mark?: bigint; minGapNs?: bigint } = {},
): ProbeWindow {
  const minGap = Number(opts.minGapNs ?? 1_000_000n);
  const head = Atomics.load(r.ctrl, Ctrl.head);
  // the slot of seq head - size is the one the sender overwrites next (maybe right now)
  const oldest = Math.max(0, head - r.size + 1);
  const settled = now - (opts.graceNs ?? 200_000_000n);
  const end = to < settled ? to : settled;
  const first = lowerBound(r, oldest, head, from);
  const last = lowerBound(r, first, head, end + 1n) - 1;
  const w: ProbeWindow = {
    from: Number(from),
    to: Number(end),
    sent: 0,
    answered: 0,
    lost: 0,
    firstSeq: -1,
    lastSeq: -1,
    gapNs: 0,
    gapFrom: 0,
    gapTo: 0,
    gapLost: 0,
    gapToEcho: 0,
    lossyGaps: [],
    silenceNs: 0,
    maxSendGapNs: 0,
    rttMedianNs: 0,
    rttMaxNs: 0,
    firstAfterMark: null,
    tailAnsweredShare: 0,
  };
  if (last < first) return w;
  w.firstSeq = first;
  w.lastSeq = last;
  const rtts: number[] = [];
  const echoes: bigint[] = [];
  let prevAnswered = -1n;
  let lostSince = 0;
  let prevSent = -1n;
  const tailFrom = end - 500_000_000n;
  let tailSent = 0;
  let tailAnswered = 0;
  for (let s = first; s <= last; s++) {
    const slot = s & r.mask;
    const sent = r.sent[slot]!;
    const recv = r.recv[slot]!;
    w.sent++;
    if (prevSent >= 0n && Number(sent - prevSent) > w.maxSendGapNs) {
      w.maxSendGapNs = Number(sent - prevSent);
    }
    prevSent = sent;
    const tail = sent >= tailFrom;
    if (tail) tailSent++;
    if (recv === 0n) {
      w.lost++;
      lostSince++;
      continue;
    }
    w.answered++;
    if (tail) tailAnswered++;
    rtts.push(Number(recv - sent));
    echoes.push(recv);
    // a gap with nothing lost in it is the sender's own pause, not an outage
    if (prevAnswered >= 0n && lostSince > 0) {
      const gap = Number(sent - prevAnswered);
      if (gap >= minGap && w.lossyGaps.length < 20) {
        w.lossyGaps.push({ from: Number(prevAnswered), to: Number(sent), lost: lostSince });
      }
      if (gap > w.gapNs) {
        w.gapNs = gap;
        w.gapFrom = Number(prevAnswered);
        w.gapTo = Number(sent);
        w.gapLost = lostSince;
        w.gapToEcho = Number(recv);
      }
    }
    prevAnswered = sent;
    lostSince = 0;
    if (opts.mark !== undefined && w.firstAfterMark === null && sent >= opts.mark) {
      w.firstAfterMark = { seq: s, sent: Number(sent), echo: Number(recv) };
    }
  }
  echoes.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 1; i < echoes.length; i++) {
    const g = Number(echoes[i]! - echoes[i - 1]!);
    if (g > w.silenceNs) w.silenceNs = g;
  }
  rtts.sort((a, b) => a - b);
  if (rtts.length > 0) {
    w.rttMedianNs = rtts[rtts.length >> 1]!;
    w.rttMaxNs = rtts[rtts.length - 1]!;
  }
  w.tailAnsweredShare = tailSent === 0 ? 0 : tailAnswered / tailSent;
  return w;
}

/** The TCP stream's ring: when each echoed chunk arrived and the bytes echoed so far. */
export interface StreamRing {
  size: number;
  mask: number;
  at: BigInt64Array;
  bytes: Float64Array;
  /** Next index to write. */
  head: number;
}

export function createStreamRing(bits = 18): StreamRing {
  const size = 1 << bits;
  return {
    size,
    mask: size - 1,
    at: new BigInt64Array(size),
    bytes: new Float64Array(size),
    head: 0,
  };
}

/** Records `total` bytes echoed so far at `now` (no allocation). */
export function recordChunk(r: StreamRing, now: bigint, total: number): void {
  const i = r.head & r.mask;
  r.at[i] = now;
  r.bytes[i] = total;
  r.head++;
}

/** The TCP stream around a handover. */
export interface StreamWindow {
  /** Bytes echoed back before `mark` (since the stream started). */
  bytesBefore: number;
  /** Bytes echoed back from `mark` to the end of the window. */
  bytesAfter: number;
  /** The longest time in [from, to] with no echoed byte arriving (ns). */
  stallNs: number;
  /** When the first chunk after `mark` arrived (0: none). */
  firstAfterMark: number;
}

/** Analyses the stream ring over [from, to], split at `mark`. */
export function analyseStream(r: StreamRing, from: bigint, to: bigint, mark: bigint): StreamWindow {
  const oldest = Math.max(0, r.head - r.size);
  let before = 0;
  let total = 0;
  let prev = from;
  let stall = 0n;
  let firstAfter = 0n;
  for (let k = oldest; k < r.head; k++) {
    const i = k & r.mask;
    const at = r.at[i]!;
    if (at > to) break;
    total = r.bytes[i]!;
    if (at < mark) before = total;
    else if (firstAfter === 0n) firstAfter = at;
    if (at < from) continue;
    if (at - prev > stall) stall = at - prev;
    prev = at;
  }
  if (to - prev > stall) stall = to - prev;
  return {
    bytesBefore: before,
    bytesAfter: total - before,
    stallNs: Number(stall),
    firstAfterMark: Number(firstAfter),
  };
}
