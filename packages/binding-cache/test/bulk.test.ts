/**
 * Scale: 100,000 bindings (one /64 each, spread over 100 MAGs / LMAs) inserted, looked up
 * through every index, expired in bulk by one tick, and every index empty afterwards; the
 * data-path lookup allocates nothing. Hand-written addresses under 2001:db8::/32 (RFC 3849).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  BindingCache,
  BindingUpdateList,
  ManualClock,
  mnIdNai,
  type RemovalReason,
} from '@dmm/binding-cache';

const N = 100_000;
const MAGS = 100;

/** 2001:db8:<i>::/64, i in 0 … 2^32-1, spread over groups 3 and 4. */
function prefixOf(i: number): Uint8Array {
  const p = new Uint8Array(16);
  p.set([0x20, 0x01, 0x0d, 0xb8, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]);
  return p;
}
/** 2001:db8:ffff::<m+1>. */
function magOf(m: number): Uint8Array {
  const a = new Uint8Array(16);
  a.set([0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff]);
  a[14] = (m + 1) >> 8;
  a[15] = (m + 1) & 255;
  return a;
}
const MAG_ADDRS = Array.from({ length: MAGS }, (_, m) => magOf(m));

test('100,000 BCEs: inserted, found through every index, expired in bulk, nothing left behind', () => {
  const clock = new ManualClock(0);
  const cache = new BindingCache({ clock });
  let removed = 0;
  let expired = 0;
  const reasons = new Set<RemovalReason>();
  cache.events.on('bce:removed', (_e, r) => {
    removed++;
    reasons.add(r);
  });
  cache.events.on('bce:expired', () => expired++);
  // lifetimes from 60 s to 60 s + 99,999 ms: all distinct, all expire by t = 160 s
  for (let i = 0; i < N; i++) {
    cache.create({
      mnId: mnIdNai(`mn${i}@example.net`),
      mnLinkLayerId: Uint8Array.of(2, 0, 0, (i >>> 16) & 255, (i >>> 8) & 255, i & 255),
      prefixes: [{ prefix: prefixOf(i), prefixLen: 64 }],
      proxyCoa: MAG_ADDRS[i % MAGS]!,
      lifetimeMs: 60_000 + i,
    });
  }
  assert.equal(cache.size, N);
  assert.deepEqual(cache.indexSizes(), {
    entries: N,
    mnIds: N,
    prefixes: N,
    peers: MAGS,
    linkLocals: 0,
    timers: N,
  });
  for (let m = 0; m < MAGS; m++) assert.equal(cache.countByProxyCoa(MAG_ADDRS[m]!), N / MAGS);
  const addr = new Uint8Array(16);
  for (let i = 0; i < N; i += 997) {
    const e = cache.findByMnId(mnIdNai(`mn${i}@example.net`))!;
    assert.equal(cache.findByPrefix(prefixOf(i), 64), e);
    addr.set(prefixOf(i));
    addr[15] = 0x42;
    assert.equal(cache.lookupByAddress(addr, 0), e.id);
  }

  // the first half expires at once; the second half one by one later
  clock.set(60_000 + N / 2 - 1);
  assert.equal(cache.tick(), N / 2);
  assert.equal(cache.size, N / 2);
  assert.equal(cache.findByMnId(mnIdNai('mn0@example.net')), undefined);
  assert.ok(cache.findByMnId(mnIdNai(`mn${N / 2}@example.net`)));
  clock.set(200_000);
  assert.equal(cache.tick(), N / 2);
  assert.equal(removed, N);
  assert.equal(expired, N);
  assert.deepEqual([...reasons], ['lifetime']);
  assert.deepEqual(cache.indexSizes(), {
    entries: 0,
    mnIds: 0,
    prefixes: 0,
    peers: 0,
    linkLocals: 0,
    timers: 0,
  });
  // and no lookup finds anything any more
  for (let i = 0; i < N; i++) {
    addr.set(prefixOf(i));
    assert.equal(cache.lookupByAddress(addr, 0), -1);
  }
  for (let m = 0; m < MAGS; m++) assert.equal(cache.countByProxyCoa(MAG_ADDRS[m]!), 0);
  assert.equal(cache.findByMnId(mnIdNai(`mn${N - 1}@example.net`)), undefined);
  assert.equal(cache.nextDue(), Infinity);
});

test('100,000 BUL entries: registered, refreshed in bulk, expired in bulk, nothing left behind', () => {
  const clock = new ManualClock(0);
  const bul = new BindingUpdateList({ clock });
  let refreshes = 0;
  let removed = 0;
  bul.events.on('bul:refresh-due', () => refreshes++);
  bul.events.on('bul:removed', () => removed++);
  for (let i = 0; i < N; i++) {
    const e = bul.create({
      mnId: mnIdNai(`mn${i}@example.net`),
      prefixes: [{ prefix: prefixOf(i), prefixLen: 64 }],
      lmaAddress: MAG_ADDRS[i % MAGS]!,
      accessIfIndex: 1,
      requestedLifetimeMs: 10_000,
    });
    bul.pbuSent(e, { sequence: i, retransmitAfterMs: 1500 });
    bul.registered(e, 10_000);
  }
  clock.set(8000);
  assert.equal(bul.tick(), N);
  assert.equal(refreshes, N);
  clock.set(10_000);
  assert.equal(bul.tick(), N);
  assert.equal(removed, N);
  assert.deepEqual(bul.indexSizes(), {
    entries: 0,
    mnIds: 0,
    prefixes: 0,
    peers: 0,
    linkLocals: 0,
    timers: 0,
  });
});

test('lookupByAddress allocates nothing: 1,000,000 lookups, no garbage collection', async () => {
  const cache = new BindingCache({ clock: new ManualClock(0) });
  for (let i = 0; i < 10_000; i++) {
    cache.create({
      mnId: mnIdNai(`mn${i}@example.net`),
      prefixes: [{ prefix: prefixOf(i), prefixLen: 64 }],
      proxyCoa: MAG_ADDRS[i % MAGS]!,
      lifetimeMs: 60_000,
      tunnelId: i % MAGS,
    });
  }
  // a 40-byte "header" whose destination (offset 24) is rewritten in place
  const hdr = new Uint8Array(40);
  const run = (n: number): number => {
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const i = k % 20_000; // half hit, half miss
      hdr[28] = (i >>> 24) & 255;
      hdr[29] = (i >>> 16) & 255;
      hdr[30] = (i >>> 8) & 255;
      hdr[31] = i & 255;
      const id = cache.lookupByAddress(hdr, 24);
      sum += id >= 0 ? cache.tunnelIdOf(id) + 1 : 0;
    }
    return sum;
  };
  hdr.set([0x20, 0x01, 0x0d, 0xb8], 24);
  hdr[39] = 1;
  run(200_000); // warm up
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  await new Promise((r) => setTimeout(r, 20));
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  await new Promise((r) => setImmediate(r));
  const sum = run(1_000_000);
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  // every hit adds tunnelId + 1; 500,000 hits cycle evenly over tunnel ids 0…99
  assert.equal(sum, 500_000 * 50.5);
  assert.equal(gcs, 0, `${gcs} garbage collections during the lookups`);
});
