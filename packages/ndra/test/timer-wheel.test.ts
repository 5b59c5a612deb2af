/**
 * The timer wheel on a hand-driven clock: timers fire on the first tick at or after their
 * deadline, in any slot and any number of revolutions ahead, can be re-armed (also from
 * their own expiry) and cancelled, the periodic tick runs only while something is armed,
 * and ids beyond the initial capacity work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TimerHandle } from '@dmm/core';
import { TimerWheel } from '@dmm/ndra';

/** A clock and an interval registry driven by the test. */
function rig(tickMs = 10, slots = 8) {
  let now = 0;
  let active: (() => void) | null = null;
  let started = 0;
  const fired: [number, number][] = [];
  const wheel = new TimerWheel(
    {
      setInterval(fn) {
        active = fn;
        started++;
        return 1 as unknown as TimerHandle;
      },
      clear() {
        active = null;
      },
    },
    tickMs,
    () => now,
    (id) => fired.push([id, now]),
    4,
    slots,
  );
  return {
    wheel,
    fired,
    /** Advances the clock in tick steps, running the interval like a timer would. */
    advance(ms: number) {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + tickMs);
        (active as (() => void) | null)?.();
      }
    },
    get running() {
      return active !== null;
    },
    get started() {
      return started;
    },
  };
}

test('timers fire at their deadline, including several revolutions ahead', () => {
  const r = rig(10, 8); // one revolution = 80 ms
  r.wheel.arm(1, 25);
  r.wheel.arm(2, 10);
  r.wheel.arm(3, 300);
  assert.equal(r.wheel.armed, 3);
  r.advance(400);
  assert.deepEqual(r.fired, [
    [2, 10],
    [1, 30],
    [3, 300],
  ]);
  assert.equal(r.wheel.armed, 0);
  assert.equal(r.running, false, 'no tick while idle');
});

test('re-arming moves a timer; cancelling removes it; the tick restarts on demand', () => {
  const r = rig();
  r.wheel.arm(0, 50);
  r.wheel.arm(0, 120);
  r.wheel.arm(1, 60);
  r.wheel.cancel(1);
  assert.equal(r.wheel.deadlineOf(1), -1);
  assert.equal(r.wheel.deadlineOf(0), 120);
  r.advance(200);
  assert.deepEqual(r.fired, [[0, 120]]);
  assert.equal(r.running, false);
  r.wheel.arm(2, 5);
  assert.equal(r.running, true);
  r.advance(10);
  assert.deepEqual(r.fired.at(-1), [2, 210]);
  assert.equal(r.started, 2);
});

test('a timer re-armed from its own expiry fires again later', () => {
  let now = 0;
  let tick: (() => void) | null = null;
  const fired: number[] = [];
  const w: TimerWheel = new TimerWheel(
    {
      setInterval: (fn) => ((tick = fn), 1 as unknown as TimerHandle),
      clear: () => (tick = null),
    },
    10,
    () => now,
    (id) => {
      fired.push(now);
      if (fired.length < 3) w.arm(id, 100);
    },
  );
  w.arm(7, 100);
  while (tick !== null && now < 1000) {
    now += 10;
    (tick as () => void)();
  }
  assert.deepEqual(fired, [100, 200, 300]);
  assert.equal(tick, null, 'idle once nothing is armed');
});

test('ids beyond the initial capacity grow the wheel', () => {
  const r = rig();
  for (let id = 0; id < 100; id++) r.wheel.arm(id, 10 + id);
  r.advance(200);
  assert.equal(r.fired.length, 100);
  for (const [id, at] of r.fired) assert.ok(at >= 10 + id && at < 20 + id, `${id} at ${at}`);
});

test('a long stall runs everything that came due, once', () => {
  const r = rig(10, 8);
  for (let id = 0; id < 20; id++) r.wheel.arm(id, 10 * id + 5);
  // jump the clock 1 s without ticks, then one tick
  r.advance(0);
  const w = r.wheel;
  (w as unknown as { now: () => number }).now = () => 1000;
  w.tick();
  assert.equal(r.fired.length, 20);
  assert.equal(w.armed, 0);
});
