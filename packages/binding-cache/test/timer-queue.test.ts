/**
 * The timer heap: order, ties, re-scheduling, cancelling, callbacks that schedule, and a
 * randomised run against a plain sorted-list model (seeded, so every run is the same).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerQueue } from '@dmm/binding-cache';

function recorder(): { fired: number[]; q: TimerQueue } {
  const fired: number[] = [];
  const q = new TimerQueue((k) => fired.push(k), 4);
  return { fired, q };
}

test('timers fire in due order, ties in scheduling order, only when due', () => {
  const { fired, q } = recorder();
  q.schedule(5, 300);
  q.schedule(1, 100);
  q.schedule(7, 200);
  q.schedule(2, 100);
  q.schedule(3, 100);
  assert.equal(q.size, 5);
  assert.equal(q.nextDue(), 100);
  assert.equal(q.run(99), 0);
  assert.deepEqual(fired, []);
  assert.equal(q.run(100), 3);
  assert.deepEqual(fired, [1, 2, 3]);
  assert.equal(q.run(250), 1);
  assert.deepEqual(fired, [1, 2, 3, 7]);
  assert.equal(q.nextDue(), 300);
  assert.equal(q.run(1e9), 1);
  assert.deepEqual(fired, [1, 2, 3, 7, 5]);
  assert.equal(q.size, 0);
  assert.equal(q.nextDue(), Infinity);
});

test('10,000 timers at the same time fire together in the order they were scheduled', () => {
  const { fired, q } = recorder();
  for (let k = 9999; k >= 0; k--) q.schedule(k, 5000);
  assert.equal(q.run(4999), 0);
  assert.equal(q.run(5000), 10_000);
  assert.deepEqual(
    fired,
    Array.from({ length: 10_000 }, (_, i) => 9999 - i),
  );
});

test('re-scheduling moves a timer later or earlier and keeps one timer per key', () => {
  const { fired, q } = recorder();
  q.schedule(1, 100);
  q.schedule(2, 200);
  q.schedule(3, 300);
  q.schedule(1, 400); // later
  q.schedule(3, 50); // earlier
  assert.equal(q.size, 3);
  assert.equal(q.dueOf(1), 400);
  assert.equal(q.dueOf(3), 50);
  q.run(1000);
  assert.deepEqual(fired, [3, 2, 1]);
  // re-scheduling to the same time puts the key behind the others already due then
  fired.length = 0;
  q.schedule(1, 10);
  q.schedule(2, 10);
  q.schedule(1, 10);
  q.run(10);
  assert.deepEqual(fired, [2, 1]);
});

test('cancel removes exactly one timer, anywhere in the heap', () => {
  const { fired, q } = recorder();
  for (let k = 0; k < 100; k++) q.schedule(k, 1000 - k * 7);
  assert.equal(q.cancel(50), true);
  assert.equal(q.cancel(50), false);
  assert.equal(q.cancel(0), true); // the latest
  assert.equal(q.cancel(99), true); // the earliest (heap top)
  assert.equal(q.cancel(12345), false); // never scheduled, beyond the key arrays
  assert.equal(q.has(50), false);
  assert.equal(q.dueOf(50), undefined);
  assert.equal(q.size, 97);
  q.run(1e9);
  const expected = Array.from({ length: 100 }, (_, k) => 99 - k).filter(
    (k) => k !== 50 && k !== 0 && k !== 99,
  );
  assert.deepEqual(fired, expected);
});

test('a callback may schedule and cancel; timers it makes due now fire in the same run', () => {
  const fired: number[] = [];
  const q: TimerQueue = new TimerQueue((k) => {
    fired.push(k);
    if (k === 1) {
      q.schedule(10, 150); // due already: fires in this run
      q.schedule(11, 500); // not yet
      q.cancel(2);
    }
  });
  q.schedule(1, 100);
  q.schedule(2, 120);
  q.schedule(3, 200);
  assert.equal(q.run(200), 3);
  assert.deepEqual(fired, [1, 10, 3]);
  assert.equal(q.nextDue(), 500);
});

test('an exception in a callback propagates and leaves the later timers scheduled', () => {
  const fired: number[] = [];
  const q = new TimerQueue((k) => {
    fired.push(k);
    if (k === 2) throw new Error('listener failed');
  });
  q.schedule(1, 1);
  q.schedule(2, 2);
  q.schedule(3, 3);
  assert.throws(() => q.run(10), /listener failed/);
  assert.deepEqual(fired, [1, 2]);
  assert.equal(q.size, 1);
  q.run(10);
  assert.deepEqual(fired, [1, 2, 3]);
});

test('bad keys and NaN times are refused', () => {
  const { q } = recorder();
  assert.throws(() => q.schedule(-1, 0), RangeError);
  assert.throws(() => q.schedule(1.5, 0), RangeError);
  assert.throws(() => q.schedule(1, NaN), RangeError);
});

test('randomised schedule/re-schedule/cancel/run matches a sorted-list model', () => {
  // xorshift32, seed fixed: the same sequence on every run
  let s = 0x2545f491;
  const rnd = (n: number): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
  const fired: number[] = [];
  const q = new TimerQueue((k) => fired.push(k));
  const model = new Map<number, { due: number; seq: number }>();
  let seq = 0;
  let now = 0;
  for (let step = 0; step < 50_000; step++) {
    const op = rnd(10);
    const key = rnd(1000);
    if (op < 6) {
      const due = now + rnd(2000);
      q.schedule(key, due);
      model.set(key, { due, seq: seq++ });
    } else if (op < 8) {
      assert.equal(q.cancel(key), model.delete(key));
    } else {
      now += rnd(300);
      const expected = [...model.entries()]
        .filter(([, v]) => v.due <= now)
        .sort((a, b) => a[1].due - b[1].due || a[1].seq - b[1].seq)
        .map(([k]) => k);
      for (const k of expected) model.delete(k);
      fired.length = 0;
      assert.equal(q.run(now), expected.length);
      assert.deepEqual(fired, expected);
    }
    assert.equal(q.size, model.size);
  }
});
