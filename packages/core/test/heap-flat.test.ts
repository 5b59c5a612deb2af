/**
 * Steady-state forwarding allocates nothing per packet: 1,000,000 frames go through two
 * MemoryDevices and the graph (device → cross-connect → interface-output → device) while
 * the test watches the V8 heap and counts garbage collections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { hex } from '@dmm/testkit';
import { BufferPool, Graph, MemoryDevice, Scheduler, crossConnectNode } from '@dmm/core';

// 64-byte UDP payload in Ethernet + IPv6 + UDP (hand-written; content is irrelevant here).
const FRAME = hex`
  02:00:00:00:00:02 02:00:00:00:00:01 86dd
  60000000 00481140 2001:db8:1::2 2001:db8:2::2
  c000 1389 0048 0000`;
const FULL = new Uint8Array(FRAME.length + 64);
FULL.set(FRAME);

test('forwarding 1,000,000 packets through the graph keeps the heap flat', async () => {
  const pool = new BufferPool({ count: 4096 });
  const graph = new Graph(pool);
  const sched = new Scheduler(graph);
  graph.addNode(sched.outputNodeDef());
  graph.addNode(crossConnectNode(Int32Array.of(1, 0)));
  graph.finalise();
  const a = new MemoryDevice({ name: 'a', ringSize: 512 });
  const b = new MemoryDevice({ name: 'b', ringSize: 512 });
  const ia = sched.addInterface('a', a, 'cross-connect');
  sched.addInterface('b', b, 'cross-connect');

  // 3,907 breaths of 256 = 1,000,192 packets; the warm-up is 782 breaths.
  const run = (breaths: number): void => {
    for (let n = 0; n < breaths; n++) {
      for (let i = 0; i < 256; i++) a.inject(FULL);
      sched.breathe(ia);
      b.drain();
    }
  };

  run(782); // warm up: JIT tiers, frame free lists
  await new Promise((r) => setImmediate(r));
  // start from an empty young generation, so a few bytes of unrelated allocation cannot
  // tip it into a scavenge during the measured run
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  await new Promise((r) => setTimeout(r, 20));
  let minorGcs = 0;
  let majorGcs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (kind === 1) minorGcs++;
      else majorGcs++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  await new Promise((r) => setImmediate(r));
  const before = process.memoryUsage().heapUsed;
  const startGcs = minorGcs + majorGcs;
  run(3907);
  const after = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 50)); // let GC entries arrive
  obs.disconnect();

  const growth = after - before;
  const perPacket = growth / (3907 * 256);
  console.log(
    `heap: before ${before} B, after ${after} B, growth ${growth} B (${perPacket.toFixed(4)} B/packet), ` +
      `GCs during run: minor ${minorGcs}, major ${majorGcs}`,
  );
  assert.equal(a.stats.rxPackets, (782 + 3907) * 256);
  assert.equal(b.stats.txPackets, (782 + 3907) * 256);
  assert.equal(pool.inUse, 0);
  assert.equal(minorGcs + majorGcs - startGcs, 0, 'no garbage collection while forwarding');
  assert.ok(perPacket < 0.1, `heap grew ${perPacket} B per packet`);
});
