/**
 * Steady-state tunnelling allocates nothing per packet: 100,000 packets go H0 → A (encap)
 * → B (decap, forward) → H1 over MemoryDevices while the test counts garbage collections
 * and watches the V8 heap, as packages/core/test/heap-flat.test.ts does for plain
 * forwarding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { hex } from '@dmm/testkit';
import { TunnelCounter } from '@dmm/tunnel';
import { A_LAN_MAC, H0_MAC, echoH0toH1, eth, twoRouters } from './lab.js';

const WARMUP = 800;
/** Breaths after the forced GC and before measuring: the first ones after a full GC
 * recompile flushed code, a fixed cost that is not per packet. */
const SETTLE = 50;

test('encap + decap of 100,000 packets keeps the heap flat (no GC)', async () => {
  const { a, b, aLan, bLan, tAB, tBA } = await twoRouters({ poolCount: 4096 });
  const frame = eth(A_LAN_MAC, H0_MAC, echoH0toH1(64, 1, hex`61626364`));
  const aLanIf = a.router.requireInterface('lan0');
  const bWanIf = b.router.requireInterface('wan0');
  const run = (breaths: number): void => {
    for (let n = 0; n < breaths; n++) {
      for (let i = 0; i < 256; i++) aLan.inject(frame);
      a.router.scheduler.breathe(aLanIf); // → encapsulated into the pair's ring
      b.router.scheduler.breathe(bWanIf); // → decapsulated, forwarded to lan1
      bLan.drain();
    }
  };

  run(WARMUP); // warm up: JIT tiers (optimised code lands in the heap), graph frame free lists
  await new Promise((r) => setImmediate(r));
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  await new Promise((r) => setTimeout(r, 20));
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  await new Promise((r) => setImmediate(r));
  run(SETTLE);
  const before = process.memoryUsage().heapUsed;
  const breaths = 391; // 100,096 packets
  run(breaths);
  const after = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 50)); // let GC entries arrive
  obs.disconnect();

  const packets = (WARMUP + SETTLE + breaths) * 256;
  const perPacket = (after - before) / (breaths * 256);
  console.log(
    `heap: before ${before} B, after ${after} B (${perPacket.toFixed(4)} B/packet), GCs: ${gcs}`,
  );
  assert.equal(a.tunnels.counter(tAB, TunnelCounter.EncapPackets), packets);
  assert.equal(b.tunnels.counter(tBA, TunnelCounter.DecapPackets), packets);
  assert.equal(bLan.stats.txPackets, packets, "every packet reached H1's link");
  assert.deepEqual(a.router.counters(), {});
  assert.deepEqual(b.router.counters(), {});
  assert.equal(a.router.pool.inUse, 0);
  assert.equal(b.router.pool.inUse, 0);
  assert.equal(gcs, 0, 'no garbage collection while tunnelling');
  assert.ok(perPacket < 0.1, `heap grew ${perPacket} B per packet`);
});
