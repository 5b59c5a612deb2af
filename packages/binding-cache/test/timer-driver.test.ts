/**
 * `driveTimers`: one timeout, armed for the earliest due timer of all the tables, re-armed
 * after each tick and when a table gains an earlier timer; stop() clears it. A fake host
 * records every setTimeout/clear; one last test uses the process's real timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '@dmm/testkit';
import {
  BindingCache,
  BindingUpdateList,
  ManualClock,
  driveTimers,
  mnIdNai,
  processTimerHost,
  type TimerHost,
} from '@dmm/binding-cache';

class FakeHost implements TimerHost<number> {
  pending = new Map<number, { fn: () => void; ms: number }>();
  calls: string[] = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number): number {
    const h = this.next++;
    this.pending.set(h, { fn, ms });
    this.calls.push(`set ${ms}`);
    return h;
  }
  clear(h: number): void {
    if (this.pending.delete(h)) this.calls.push('clear');
  }
  /** Fires the one pending timeout after moving `clock` by its delay. */
  fire(clock: ManualClock): void {
    assert.equal(this.pending.size, 1, 'exactly one timeout is armed');
    const [h, t] = [...this.pending.entries()][0]!;
    this.pending.delete(h);
    clock.advance(t.ms);
    t.fn();
  }
}

const MAG = hex`2001:db8:ffff::1`;
const LMA = hex`2001:db8:ffff::100`;
const bce = (cache: BindingCache, n: number, lifetimeMs: number) =>
  cache.create({
    mnId: mnIdNai(`mn${n}@example.net`),
    prefixes: [
      {
        prefix: Uint8Array.of(0x20, 1, 0x0d, 0xb8, 0, n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        prefixLen: 64,
      },
    ],
    proxyCoa: MAG,
    lifetimeMs,
  });

test('one timeout for two tables, armed for the earliest timer and re-armed as they change', () => {
  const clock = new ManualClock(0);
  const cache = new BindingCache({ clock });
  const bul = new BindingUpdateList({ clock });
  const host = new FakeHost();
  const driver = driveTimers([cache, bul], host, clock);
  assert.deepEqual(host.calls, [], 'nothing to wait for, nothing armed');

  bce(cache, 1, 5000);
  assert.deepEqual(host.calls, ['set 5000']);
  bce(cache, 2, 8000); // later: no re-arm
  assert.deepEqual(host.calls, ['set 5000']);
  const b = bul.create({
    mnId: mnIdNai('mn9@example.net'),
    lmaAddress: LMA,
    accessIfIndex: 1,
    requestedLifetimeMs: 1000,
  });
  bul.pbuSent(b, { sequence: 1, retransmitAfterMs: 1500 }); // earlier: re-armed
  assert.deepEqual(host.calls, ['set 5000', 'clear', 'set 1500']);

  const due: string[] = [];
  bul.events.on('bul:retransmit-due', () => due.push('retransmit'));
  cache.events.on('bce:expired', (e) => due.push(`expired ${e.mnKey}`));
  host.fire(clock); // t = 1500
  assert.deepEqual(due, ['retransmit']);
  assert.deepEqual(host.calls.slice(3), ['set 3500']);
  host.fire(clock); // t = 5000
  assert.deepEqual(due, ['retransmit', 'expired mn1@example.net']);
  host.fire(clock); // t = 8000
  assert.deepEqual(due, ['retransmit', 'expired mn1@example.net', 'expired mn2@example.net']);
  assert.equal(host.pending.size, 0, 'idle again: nothing armed');

  bce(cache, 3, 100);
  assert.equal(host.pending.size, 1);
  driver.stop();
  assert.equal(host.pending.size, 0);
  bce(cache, 4, 50); // no longer driven
  assert.equal(host.pending.size, 0);
});

test('long waits are taken in steps of maxSleepMs', () => {
  const clock = new ManualClock(0);
  const cache = new BindingCache({ clock });
  const host = new FakeHost();
  driveTimers([cache], host, clock, { maxSleepMs: 60_000 });
  bce(cache, 1, 150_000);
  assert.deepEqual(host.calls, ['set 60000']);
  host.fire(clock);
  host.fire(clock);
  assert.deepEqual(host.calls, ['set 60000', 'set 60000', 'set 30000']);
  assert.equal(cache.size, 1);
  host.fire(clock);
  assert.equal(cache.size, 0);
});

test('a listener that throws is reported, and the driver keeps going', () => {
  const clock = new ManualClock(0);
  const cache = new BindingCache({ clock });
  const host = new FakeHost();
  const errors: unknown[] = [];
  driveTimers([cache], host, clock, { onError: (e) => errors.push(e) });
  let first = true;
  cache.events.on('bce:removed', () => {
    if (first) {
      first = false;
      throw new Error('listener bug');
    }
  });
  bce(cache, 1, 1000);
  bce(cache, 2, 1000);
  host.fire(clock);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /listener bug/);
  // the second entry, due at the same time, is served by the immediate re-arm
  assert.deepEqual(host.calls.at(-1), 'set 0');
  host.fire(clock);
  assert.equal(cache.size, 0);
});

test('with the process timers and the monotonic clock an entry expires on its own', async () => {
  const cache = new BindingCache();
  const driver = driveTimers([cache], processTimerHost, cache.clock);
  const gone = new Promise<string>((resolve) =>
    cache.events.on('bce:removed', (_e, r) => resolve(r)),
  );
  bce(cache, 1, 30);
  assert.equal(await gone, 'lifetime');
  assert.equal(cache.size, 0);
  driver.stop();
});
