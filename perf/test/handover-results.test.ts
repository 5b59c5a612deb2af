/**
 * The pure part of the handover measurement (src/handover/results.ts): its options and the
 * medians per handover across walks, on hand-made figures whose medians are worked out in
 * the comments. The measurement itself needs root and a lab; the demo's test
 * (examples/dmm/test/demo.test.ts) runs the same code against the kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HandoverFigures } from '@dmm/example-dmm';
import {
  STALL_MS,
  UsageError,
  formatDistribution,
  formatMedians,
  handoverDistribution,
  handoverMedians,
  parseHandoverArgs,
  percentile,
} from '@dmm/perf/handover/results.js';

function fig(
  handover: string,
  outageMs: number,
  extra: Partial<HandoverFigures> = {},
): HandoverFigures {
  return {
    handover,
    from: 1,
    to: 2,
    lost: 10,
    outageLost: 10,
    outageMs,
    silenceMs: outageMs + 5,
    triggerToFirstPacketMs: outageMs / 2,
    firstPacketBy: 'dgw2',
    firstDirection: 'uplink',
    triggerToFirstEchoMs: outageMs,
    pingLost: 1,
    moveMs: 30,
    triggerBy: 'netlink',
    breakToTriggerMs: 10,
    triggerToRestoreMs: 20,
    triggerToPbuMs: 5,
    pbuToPbaMs: 15,
    attachMs: 25,
    maxSendGapMs: 2,
    breakSendGapMs: 0.3,
    tcpStallMs: 50,
    survived: true,
    udpSurvived: true,
    tcpSurvived: true,
    lhReachable: true,
    ...extra,
  };
}

test('parseHandoverArgs: defaults, values, and bad input as UsageError', () => {
  assert.deepEqual(parseHandoverArgs([]), {
    walks: 3,
    handovers: null,
    periodUs: 250,
    settleMs: 1500,
    senderNice: null,
    spinUs: null,
    sameLab: false,
    save: true,
    out: null,
  });
  assert.deepEqual(
    parseHandoverArgs([
      '--walks',
      '5',
      '--period-us',
      '500',
      '--settle',
      '3000',
      '--sender-nice',
      '19',
      '--same-lab',
      '--spin-us',
      '60',
      '--no-save',
    ]),
    {
      walks: 5,
      handovers: null,
      periodUs: 500,
      settleMs: 3000,
      senderNice: 19,
      spinUs: 60,
      sameLab: true,
      save: false,
      out: null,
    },
  );
  assert.equal(parseHandoverArgs(['--out', '/tmp/x.jsonl']).out, '/tmp/x.jsonl');
  // 20 handovers: 7 walks, the last one of 2
  const h = parseHandoverArgs(['--handovers', '20']);
  assert.deepEqual([h.walks, h.handovers], [7, 20]);
  for (const bad of [
    ['--walks', '0'],
    ['--walks', '2.5'],
    ['--out'],
    ['--bogus'],
    ['--settle', '10'],
    ['--handovers', '0'],
  ]) {
    assert.throws(() => parseHandoverArgs(bad), UsageError, bad.join(' '));
  }
});

test('handoverMedians: per handover in walk order, median of odd and even counts, nulls skipped', () => {
  const walks = [
    [
      fig('dgw1→dgw2', 30),
      fig('dgw2→dgw3', 40),
      fig('dgw3→dgw1', 50, { triggerToPbuMs: null, firstPacketBy: 'probe' }),
    ],
    [
      fig('dgw1→dgw2', 10),
      fig('dgw2→dgw3', 44, { survived: false, tcpSurvived: false }),
      fig('dgw3→dgw1', 52, { triggerToPbuMs: null, firstPacketBy: 'probe' }),
    ],
    [
      fig('dgw1→dgw2', 20),
      fig('dgw2→dgw3', 48),
      fig('dgw3→dgw1', 60, { triggerToPbuMs: null, firstPacketBy: 'probe' }),
    ],
  ];
  const m = handoverMedians(walks);
  assert.deepEqual(
    m.map((x) => x.handover),
    ['dgw1→dgw2', 'dgw2→dgw3', 'dgw3→dgw1'],
  );
  // 30, 10, 20 → 20; 40, 44, 48 → 44; 50, 52, 60 → 52
  assert.deepEqual(
    m.map((x) => x.median.outageMs),
    [20, 44, 52],
  );
  assert.deepEqual(
    m.map((x) => [x.min.outageMs, x.max.outageMs]),
    [
      [10, 30],
      [40, 48],
      [50, 60],
    ],
  );
  assert.deepEqual(
    m.map((x) => x.survived),
    [3, 2, 3],
  );
  assert.equal(m[2]!.median.triggerToPbuMs, null, 'no signalling for a prefix served locally');
  assert.equal(m[2]!.firstPacketBy, 'probe');
  assert.equal(m[0]!.walks, 3);
  // two walks: the mean of the middle two
  const two = handoverMedians([[fig('a', 10)], [fig('a', 13)]]);
  assert.equal(two[0]!.median.outageMs, 11.5);
  const text = formatMedians(m);
  assert.match(text, /^handover\s+survived\s+outage ms/);
  // outage 44, its range, 10 lost, no echo 44 + 5
  assert.match(text, /dgw2→dgw3\s+2\/3\s+44\.0\s+40\.0–48\.0\s+10\.0\s+49\.0/);
});

test('percentile: nearest rank', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  // sorted 1..10: p90 is the 9th value, the median rank (ceil(5)) the 5th, p100 the max
  assert.equal(percentile(xs, 0.9), 9);
  assert.equal(percentile(xs, 0.5), 5);
  assert.equal(percentile(xs, 1), 10);
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile([7], 0.9), 7);
  assert.ok(Number.isNaN(percentile([], 0.9)));
});

test('handoverDistribution: outage spread, stalls over 1 s, first packet from the D-GW only', () => {
  const all = [
    fig('dgw1→dgw2', 1.5),
    // no loss seen, but the sender paused 5 ms around the break: not a resolved 0
    fig('dgw1→dgw2', 0, { outageLost: 0, lost: 0, breakSendGapMs: 5 }),
    fig('dgw2→dgw3', 30),
    fig('dgw3→dgw1', 20, { firstPacketBy: 'probe', triggerToFirstPacketMs: 99 }),
    fig('dgw1→dgw2', 1200, { survived: false }),
    fig('dgw2→dgw3', 10, { triggerToPbuMs: null }),
  ];
  const d = handoverDistribution(all);
  assert.equal(d.kind, 'distribution');
  assert.equal(d.handovers, 6);
  assert.equal(d.survived, 5);
  // outages sorted: 0, 1.5, 10, 20, 30, 1200 → median (10 + 20) / 2, p90 rank ceil(5.4) = 6th
  assert.deepEqual(d.outageMs, { count: 6, median: 15, p90: 1200, max: 1200 });
  assert.equal(STALL_MS, 1000);
  assert.equal(d.stalls, 1);
  // 1.5 ms resolved (sender pause 0.3 ms); the 0 ms one is not (a 5 ms pause hides it)
  assert.equal(d.under2ms, 1);
  assert.equal(d.unresolved, 1);
  assert.deepEqual(d.breakSendGapMs, { count: 6, median: 0.3, p90: 5, max: 5 });
  // outage / 2 of the five tunnelled ones: 0.75, 0, 15, 600, 5 → median 5, p90 the 5th
  assert.deepEqual(d.triggerToFirstPacketMs, { count: 5, median: 5, p90: 600, max: 600 });
  assert.equal(d.triggerToFirstEchoMs.count, 6);
  assert.equal(d.triggerToPbuMs.count, 5, 'nulls are left out');
  assert.deepEqual(handoverDistribution([]).outageMs, {
    count: 0,
    median: null,
    p90: null,
    max: null,
  });
  const text = formatDistribution(d);
  assert.match(
    text,
    /^6 handovers, 5 with every session surviving; 1 stall > 1 s; 1 under 2 ms; 1 not resolved/,
  );
  assert.match(text, /outage \(probe, 250 µs\)\s+6\s+15\.0\s+1200\.0\s+1200\.0/);
});
