import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6 } from '@dmm/testkit';
import { PbuFlag, type PbaRepr, type PbuRepr } from '@dmm/wire';
import {
  PbuTransactions,
  sequenceNewer,
  type TimerService,
  type TransactionResult,
} from '@dmm/pmip';

/** A manual clock: timers fire only when the test advances time. */
class FakeTimers implements TimerService {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private id = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.id;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

const MAG = parseIpv6('fd00:100::2');
const LMA = parseIpv6('fd00:100::1');

function setup() {
  const timers = new FakeTimers();
  const sent: { at: number; pbu: PbuRepr }[] = [];
  const tx = new PbuTransactions(
    (_s, _d, pbu) => {
      sent.push({ at: timers.now(), pbu });
      return true;
    },
    timers,
    undefined,
    0xfffe,
  );
  const results: TransactionResult[] = [];
  const start = (first = true) =>
    tx.start({
      key: 'mn1@lma',
      src: MAG,
      dst: LMA,
      firstRegistration: first,
      build: (sequence, nowMs) => ({
        sequence,
        flags: PbuFlag.A | PbuFlag.P,
        lifetime: nowMs % 1000,
        options: [],
      }),
      done: (r) => results.push(r),
    });
  return { timers, sent, tx, results, start };
}

function pba(sequence: number, status = 0): PbaRepr {
  return { status, flags: 0x20, sequence, lifetime: 15, options: [] };
}

test('transactions: waits 1.5, 3, 6, 12, 24 s (first registration), gives up when the next wait would pass 32 s', () => {
  const { timers, sent, results, start } = setup();
  const t0 = timers.now();
  start(true);
  timers.advance(120_000);
  assert.deepEqual(
    sent.map((s) => s.at - t0),
    [0, 1500, 4500, 10500, 22500],
  );
  assert.equal(results.length, 1);
  assert.equal(results[0]!.outcome, 'timeout');
  assert.equal(results[0]!.attempts, 5);
  assert.equal(results[0]!.elapsedMs, 46500, 'after the last 24 s wait');
});

test('transactions: refresh starts at 1 s; every transmission has a new sequence number, wrapping at 2^16', () => {
  const { timers, sent, start } = setup();
  const t0 = timers.now();
  start(false);
  timers.advance(3500);
  assert.deepEqual(
    sent.map((s) => s.at - t0),
    [0, 1000, 3000],
  );
  assert.deepEqual(
    sent.map((s) => s.pbu.sequence),
    [0xffff, 0, 1],
  );
  assert.ok(sequenceNewer(0, 0xffff) && sequenceNewer(1, 0) && !sequenceNewer(0xffff, 0));
});

test('transactions: a PBA for any transmitted sequence completes it and stops retransmissions', () => {
  const { timers, sent, tx, results, start } = setup();
  start(true);
  timers.advance(1600); // one retransmission
  assert.equal(sent.length, 2);
  assert.equal(tx.handlePba(LMA, pba(sent[0]!.pbu.sequence)), true, 'the answer to the first try');
  timers.advance(60_000);
  assert.equal(sent.length, 2, 'no more retransmissions');
  assert.equal(results[0]!.outcome, 'acknowledged');
  assert.equal(
    tx.handlePba(LMA, pba(sent[1]!.pbu.sequence)),
    false,
    'a late duplicate matches nothing',
  );
  assert.equal(tx.counters.unmatchedPba, 1);
});

test('transactions: a PBA from another peer or with a foreign sequence does not match', () => {
  const { sent, tx, results, start } = setup();
  start(true);
  assert.equal(tx.handlePba(MAG, pba(sent[0]!.pbu.sequence)), false);
  assert.equal(tx.handlePba(LMA, pba(1234)), false);
  assert.equal(results.length, 0);
});

test('transactions: a new request for the same key cancels the old one', () => {
  const { results, start, tx } = setup();
  start(true);
  start(false);
  assert.deepEqual(
    results.map((r) => r.outcome),
    ['cancelled'],
  );
  assert.equal(tx.size, 1);
  tx.cancelAll();
  assert.deepEqual(
    results.map((r) => r.outcome),
    ['cancelled', 'cancelled'],
  );
});
