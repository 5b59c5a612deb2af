/**
 * The handover probe's bookkeeping and analysis (src/ring.ts) on synthetic time lines
 * whose expected figures are worked out by hand in the comments: what the demo prints as
 * "lost", "outage", "trigger → first echo" and "TCP stall" must mean exactly that.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Ctrl,
  analyseStream,
  analyseWindow,
  createProbeRing,
  createStreamRing,
  recordChunk,
  recordEcho,
  recordSent,
  type ProbeRing,
} from '@dmm/example-dmm';

const T0 = 1_000_000_000n; // 1 s on the monotonic clock
const PERIOD = 250_000n; // 250 µs
const RTT = 100_000n; // 100 µs

/**
 * 400 datagrams every 250 µs from T0, echoed after 100 µs, except: 100..139 lost (a
 * 40-datagram outage), 300 lost (a single loss), and a 5 ms pause of the sender between
 * 199 and 200 with nothing lost.
 */
function walkRing(): { ring: ProbeRing; sent: bigint[] } {
  const ring = createProbeRing(10);
  const sent: bigint[] = [];
  let t = T0;
  for (let seq = 0; seq < 400; seq++) {
    if (seq === 200) t += 5_000_000n;
    recordSent(ring, seq, t);
    Atomics.store(ring.ctrl, Ctrl.head, seq + 1);
    sent.push(t);
    if (!((seq >= 100 && seq < 140) || seq === 300)) recordEcho(ring, seq, t + RTT);
    t += PERIOD;
  }
  return { ring, sent };
}

test('analyseWindow: loss, the outage between answered datagrams, first echo after the mark', () => {
  const { ring, sent } = walkRing();
  const w = analyseWindow(ring, sent[0]!, sent[399]!, sent[399]! + 1_000_000_000n, {
    mark: sent[120]!,
  });
  assert.equal(w.sent, 400);
  assert.equal(w.answered, 359);
  assert.equal(w.lost, 41);
  assert.equal(w.firstSeq, 0);
  assert.equal(w.lastSeq, 399);
  // 99 answered, 100..139 lost, 140 answered: 41 periods between their send times
  assert.equal(w.gapNs, 41 * 250_000);
  assert.equal(w.gapLost, 40);
  assert.equal(w.gapFrom, Number(sent[99]!));
  assert.equal(w.gapTo, Number(sent[140]!));
  assert.equal(w.gapToEcho, Number(sent[140]! + RTT));
  // lossy gaps of 1 ms or more: the outage only (300's loss is a 0.5 ms gap, 299 → 301)
  assert.deepEqual(w.lossyGaps, [{ from: Number(sent[99]!), to: Number(sent[140]!), lost: 40 }]);
  const all = analyseWindow(ring, sent[0]!, sent[399]!, sent[399]! + 1_000_000_000n, {
    minGapNs: 0n,
  });
  assert.deepEqual(all.lossyGaps, [
    { from: Number(sent[99]!), to: Number(sent[140]!), lost: 40 },
    { from: Number(sent[299]!), to: Number(sent[301]!), lost: 1 },
  ]);
  // the sender's 5 ms pause (nothing lost in it) is no outage, but it is reported
  assert.equal(w.maxSendGapNs, 5_250_000);
  // echoes: the longest silence is the outage's (10.25 ms), longer than the pause's 5.25
  assert.equal(w.silenceNs, 41 * 250_000);
  assert.equal(w.rttMedianNs, 100_000);
  assert.equal(w.rttMaxNs, 100_000);
  // the first datagram sent at or after the mark (seq 120, lost) that came back: 140
  assert.deepEqual(w.firstAfterMark, {
    seq: 140,
    sent: Number(sent[140]!),
    echo: Number(sent[140]! + RTT),
  });
  // the whole walk lasts 104.75 ms, all within the last 500 ms
  assert.equal(w.tailAnsweredShare, 359 / 400);
});

test('analyseWindow: a window inside the walk, and datagrams still in flight left out', () => {
  const { ring, sent } = walkRing();
  // 150..299: nothing lost, the pause inside
  const w = analyseWindow(ring, sent[150]!, sent[299]!, sent[399]! + 1_000_000_000n);
  assert.equal(w.sent, 150);
  assert.equal(w.lost, 0);
  assert.equal(w.gapNs, 0, 'no outage without loss');
  assert.deepEqual(w.lossyGaps, []);
  assert.equal(w.maxSendGapNs, 5_250_000);
  assert.equal(w.firstAfterMark, null);
  // asked 250 ms after the last send: the 200 ms grace covers nothing
  const late = analyseWindow(ring, sent[0]!, sent[399]!, sent[399]! + 250_000_000n);
  assert.equal(late.sent, 400);
  // asked right away: every datagram is younger than the grace, none counted
  const early = analyseWindow(ring, sent[0]!, sent[399]!, sent[399]!);
  assert.equal(early.sent, 0);
  assert.equal(early.firstSeq, -1);
  // with a grace of 0: all of them
  assert.equal(analyseWindow(ring, sent[0]!, sent[399]!, sent[399]!, { graceNs: 0n }).sent, 400);
});

test('recordEcho: strays (unknown or overwritten slots) and duplicates are counted, never recorded', () => {
  const ring = createProbeRing(2); // 4 slots
  for (let seq = 0; seq < 6; seq++) {
    recordSent(ring, seq, T0 + BigInt(seq) * PERIOD);
    Atomics.store(ring.ctrl, Ctrl.head, seq + 1);
  }
  recordEcho(ring, 5, T0 + 10n * PERIOD);
  recordEcho(ring, 5, T0 + 11n * PERIOD); // again
  recordEcho(ring, 1, T0 + 12n * PERIOD); // slot 1 now holds seq 5
  recordEcho(ring, 6, T0 + 13n * PERIOD); // not sent yet
  assert.equal(ring.recv[5 & ring.mask], T0 + 10n * PERIOD);
  assert.equal(ring.ctrl[Ctrl.duplicates], 1);
  assert.equal(ring.ctrl[Ctrl.strays], 2);
  // only the last 4 sends are in the ring, and the oldest slot (seq 2) is the one the
  // sender overwrites next, maybe right now: a window over all 6 sees seqs 3..5
  const w = analyseWindow(ring, T0, T0 + 6n * PERIOD, T0 + 1_000_000_000n);
  assert.equal(w.firstSeq, 3);
  assert.equal(w.sent, 3);
  assert.equal(w.answered, 1);
});

test('analyseStream: bytes before and after the mark, the longest stall up to the window end', () => {
  const r = createStreamRing(4); // 16 entries
  // a 5000-byte chunk every 10 ms from T0, then nothing from 40 ms to 100 ms, then 3 more
  const at = [0, 10, 20, 30, 40, 100, 110, 120].map((ms) => T0 + BigInt(ms) * 1_000_000n);
  at.forEach((t, i) => recordChunk(r, t, 5000 * (i + 1)));
  const ms = (x: number): bigint => T0 + BigInt(x) * 1_000_000n;
  const w = analyseStream(r, ms(5), ms(150), ms(50));
  assert.equal(w.bytesBefore, 25_000); // chunks at 0..40
  assert.equal(w.bytesAfter, 15_000); // at 100, 110, 120
  assert.equal(w.stallNs, 60_000_000); // 40 → 100
  assert.equal(w.firstAfterMark, Number(ms(100)));
  // a stream that stopped: the stall runs to the window's end
  const stopped = analyseStream(r, ms(5), ms(300), ms(50));
  assert.equal(stopped.stallNs, 180_000_000); // 120 → 300
  // the ring keeps the last 16 chunks: older ones are gone, the totals stay right
  for (let i = 8; i < 40; i++) recordChunk(r, ms(200 + i), 5000 * (i + 1));
  const wrapped = analyseStream(r, ms(0), ms(260), ms(230));
  assert.equal(wrapped.bytesBefore + wrapped.bytesAfter, 5000 * 40);
  assert.equal(wrapped.bytesAfter, 5000 * 10); // 230..239
});
