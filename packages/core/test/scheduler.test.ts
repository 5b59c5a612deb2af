import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BufferPool,
  Graph,
  MemoryDevice,
  Scheduler,
  crossConnectNode,
  isDmmError,
} from '@dmm/core';

function forwarder(pool: BufferPool, opts: { rxBudget?: number } = {}) {
  const graph = new Graph(pool);
  const sched = new Scheduler(graph, opts);
  graph.addNode(sched.outputNodeDef());
  graph.addNode(crossConnectNode(Int32Array.of(1, 0)));
  graph.finalise();
  const a = new MemoryDevice({ name: 'a' });
  const b = new MemoryDevice({ name: 'b' });
  sched.addInterface('a', a, 'cross-connect');
  sched.addInterface('b', b, 'cross-connect');
  return { graph, sched, a, b };
}

test('scheduler: a breath moves a batch from one interface to its peer, bytes unchanged', () => {
  const pool = new BufferPool({ count: 512, debug: true });
  const { sched, a, b } = forwarder(pool);
  for (let i = 0; i < 300; i++) a.inject(Uint8Array.of(i & 0xff, 1, 2, 3, 4, 5, 6, 7));
  assert.equal(sched.breathe(sched.interfaces[0]!), 256, 'one breath reads at most 256');
  assert.equal(sched.breathe(sched.interfaces[0]!), 44);
  const out = b.take();
  assert.equal(out.length, 300);
  assert.deepEqual([...out[299]!], [299 & 0xff, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(a.stats.rxPackets, 300);
  assert.equal(b.stats.txPackets, 300);
  assert.equal(pool.inUse, 0);
});

test('scheduler: rxBudget 1 reads one frame per breath', () => {
  const pool = new BufferPool({ count: 16 });
  const { sched, a, b } = forwarder(pool, { rxBudget: 1 });
  for (let i = 0; i < 3; i++) a.inject(Uint8Array.of(i));
  assert.equal(sched.breathe(sched.interfaces[0]!), 1);
  assert.equal(b.take().length, 1);
});

test('scheduler: readiness drives breaths once started, and stops when stopped', async () => {
  const pool = new BufferPool({ count: 64 });
  const { sched, a, b } = forwarder(pool);
  sched.start();
  a.inject(Uint8Array.of(1, 2, 3));
  await new Promise((r) => setImmediate(r));
  assert.equal(b.take().length, 1);
  sched.stop();
  a.inject(Uint8Array.of(4));
  await new Promise((r) => setImmediate(r));
  assert.equal(b.take().length, 0);
  assert.equal(a.pendingRx, 1);
});

test('scheduler: an exhausted pool leaves frames waiting instead of losing them', () => {
  const pool = new BufferPool({ count: 2 });
  const { sched, a, b } = forwarder(pool);
  const held = [pool.alloc()!, pool.alloc()!];
  a.inject(Uint8Array.of(1));
  assert.equal(sched.breathe(sched.interfaces[0]!), 0);
  assert.equal(a.stats.rxNoBuffer, 1);
  for (const pb of held) pool.free(pb);
  assert.equal(sched.breathe(sched.interfaces[0]!), 1);
  assert.equal(b.take().length, 1);
});

test('scheduler: a down interface drops at interface-output with a named counter', () => {
  const pool = new BufferPool({ count: 8 });
  const { graph, sched, a, b } = forwarder(pool);
  sched.setAdminUp(1, false);
  a.inject(Uint8Array.of(1));
  sched.poll();
  assert.equal(b.take().length, 0);
  assert.equal(graph.dropCounters().get('interface-output.interface-down'), 1);
  assert.equal(pool.inUse, 0);
});

test('scheduler: cross-connect without a peer counts no-peer', () => {
  const pool = new BufferPool({ count: 8 });
  const graph = new Graph(pool);
  const sched = new Scheduler(graph);
  graph.addNode(sched.outputNodeDef());
  graph.addNode(crossConnectNode(Int32Array.of(-1)));
  graph.finalise();
  const a = new MemoryDevice({ name: 'a' });
  sched.addInterface('a', a, 'cross-connect');
  a.inject(Uint8Array.of(1));
  sched.poll();
  assert.equal(graph.dropCounters().get('cross-connect.no-peer'), 1);
});

test('scheduler: bad rxBudget and duplicate interface names are config errors', () => {
  const pool = new BufferPool({ count: 8 });
  const graph = new Graph(pool);
  assert.throws(
    () => new Scheduler(graph, { rxBudget: 0 }),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
  assert.throws(
    () => new Scheduler(graph, { rxBudget: 257 }),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
  const { sched, a } = forwarder(pool);
  assert.throws(
    () => sched.addInterface('a', a, 'cross-connect'),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
});

test('memory device: oversize frames and full rings are counted', () => {
  const d = new MemoryDevice({ ringSize: 2, slotSize: 2048 });
  assert.ok(d.inject(new Uint8Array(10)));
  assert.ok(d.inject(new Uint8Array(10)));
  assert.equal(d.inject(new Uint8Array(10)), false);
  assert.equal(d.ringDrops, 1);
  const pool = new BufferPool({ count: 4, slotSize: 256, headroom: 128 });
  const e = new MemoryDevice();
  e.inject(new Uint8Array(200));
  const graph = new Graph(pool);
  const sched = new Scheduler(graph);
  graph.addNode(sched.outputNodeDef());
  graph.addNode(crossConnectNode(Int32Array.of(-1)));
  graph.finalise();
  sched.addInterface('e', e, 'cross-connect');
  sched.poll();
  assert.equal(e.stats.rxTruncated, 1, '200 bytes do not fit 256-128');
});
