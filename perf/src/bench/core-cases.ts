/**
 * Micro benchmarks of @dmm/core: the buffer pool, the graph's per-packet overhead
 * (enqueue + dispatch of 256-packet vectors through trivial nodes, no device), and one
 * whole breath through the scheduler with in-memory devices (Snabb's basic1 in our terms).
 * The `/64` fixture is the packet size; graph cases touch only metadata, never the bytes.
 */
import assert from 'node:assert/strict';
import {
  BufferPool,
  Graph,
  INTERFACE_OUTPUT,
  MemoryDevice,
  Scheduler,
  VECTOR_SIZE,
  crossConnectNode,
  type NodeDef,
  type PacketBuffer,
} from '@dmm/core';
import { BATCH, sink, type BenchCase } from './case.js';
import { UDP_126 } from './fixtures.js';

/** Vectors per call in the graph cases (4 × 256 = 1,024 packets). */
const VECTORS_PER_CALL = 4;
const FRAME_64 = UDP_126.slice(0, 64);

/** A node that only counts what reaches it and keeps no buffer (the bench owns them). */
function countingNode(name: string, counter: { n: number }): NodeDef {
  return {
    name,
    next: [],
    errors: [],
    process(v) {
      counter.n += v.length;
    },
  };
}

/** 256 buffers holding a 64-byte packet, owned by the benchmark for its whole life. */
function vectorOfBuffers(pool: BufferPool): PacketBuffer[] {
  const pbs: PacketBuffer[] = [];
  for (let i = 0; i < VECTOR_SIZE; i++) pbs.push(pool.fromBytes(FRAME_64)!);
  return pbs;
}

function poolCases(): BenchCase[] {
  const pool = new BufferPool({ count: 1024 });
  const held: PacketBuffer[] = new Array<PacketBuffer>(VECTOR_SIZE);
  return [
    {
      name: 'core/pool.alloc-free',
      opsPerCall: BATCH.fast,
      verify() {
        const pb = pool.alloc();
        assert.ok(pb);
        pool.free(pb);
        assert.equal(pool.inUse, 0);
      },
      run() {
        let acc = 0;
        for (let i = 0; i < BATCH.fast; i++) {
          const pb = pool.alloc()!;
          acc += pb.index;
          pool.free(pb);
        }
        sink.n += acc;
      },
    },
    {
      // A vector's worth allocated, then freed: the receive/transmit pattern of a breath.
      name: 'core/pool.alloc-free/burst-256',
      opsPerCall: VECTOR_SIZE,
      verify() {
        assert.ok(pool.available >= VECTOR_SIZE);
      },
      run() {
        for (let i = 0; i < VECTOR_SIZE; i++) held[i] = pool.alloc()!;
        for (let i = 0; i < VECTOR_SIZE; i++) pool.free(held[i]!);
        sink.n += pool.frees;
      },
    },
  ];
}

function graphCases(): BenchCase[] {
  // One trivial node: the cost of enqueue + dispatch alone.
  const pool1 = new BufferPool({ count: 512 });
  const g1 = new Graph(pool1);
  const seen1 = { n: 0 };
  g1.addNode(countingNode('count', seen1));
  g1.finalise();
  const in1 = g1.indexOf('count');
  const pbs1 = vectorOfBuffers(pool1);

  // Two nodes: cross-connect picks the peer interface, then a counting stand-in for
  // interface-output (no device behind it).
  const pool2 = new BufferPool({ count: 512 });
  const g2 = new Graph(pool2);
  const seen2 = { n: 0 };
  g2.addNode(crossConnectNode(Int32Array.of(1, 0)));
  g2.addNode(countingNode(INTERFACE_OUTPUT, seen2));
  g2.finalise();
  const in2 = g2.indexOf('cross-connect');
  const pbs2 = vectorOfBuffers(pool2);

  return [
    {
      name: 'core/graph.one-node/64',
      opsPerCall: VECTORS_PER_CALL * VECTOR_SIZE,
      verify() {
        const before = seen1.n;
        this.run();
        assert.equal(seen1.n - before, VECTORS_PER_CALL * VECTOR_SIZE);
        assert.equal(g1.node('count')!.calls % VECTORS_PER_CALL, 0, 'one call per vector');
      },
      run() {
        for (let k = 0; k < VECTORS_PER_CALL; k++) {
          for (let i = 0; i < VECTOR_SIZE; i++) g1.enqueue(in1, pbs1[i]!);
          g1.dispatch();
        }
        sink.n += seen1.n;
      },
    },
    {
      name: 'core/graph.cross-connect/64',
      opsPerCall: VECTORS_PER_CALL * VECTOR_SIZE,
      verify() {
        const before = seen2.n;
        this.run();
        assert.equal(seen2.n - before, VECTORS_PER_CALL * VECTOR_SIZE, 'nothing dropped');
        assert.ok(
          pbs2.every((pb) => pb.txIf === 1),
          'sent to the peer interface',
        );
        assert.equal(g2.dropCounters().size, 0);
      },
      run() {
        for (let k = 0; k < VECTORS_PER_CALL; k++) {
          for (let i = 0; i < VECTOR_SIZE; i++) {
            const pb = pbs2[i]!;
            pb.rxIf = 0; // what the scheduler sets on receive
            g2.enqueue(in2, pb);
          }
          g2.dispatch();
        }
        sink.n += seen2.n;
      },
    },
  ];
}

/**
 * A whole breath: 256 frames injected into a MemoryDevice, read into pool buffers, through
 * cross-connect and interface-output, written to the peer device and freed. Includes the
 * MemoryDevice's three byte copies per frame (inject, receive, transmit), so it is an
 * upper bound of the scheduler's own cost.
 */
function breathCases(): BenchCase[] {
  const pool = new BufferPool({ count: 1024 });
  const g = new Graph(pool);
  const sched = new Scheduler(g);
  g.addNode(sched.outputNodeDef());
  g.addNode(crossConnectNode(Int32Array.of(1, 0)));
  g.finalise();
  const a = new MemoryDevice({ name: 'a', ringSize: 512 });
  const b = new MemoryDevice({ name: 'b', ringSize: 512 });
  const ia = sched.addInterface('a', a, 'cross-connect');
  sched.addInterface('b', b, 'cross-connect');
  const run = (): number => {
    for (let i = 0; i < VECTOR_SIZE; i++) a.inject(FRAME_64);
    sched.breathe(ia);
    return b.drain();
  };
  return [
    {
      name: 'core/breath.memory-cross-connect/64',
      opsPerCall: VECTOR_SIZE,
      verify() {
        assert.equal(run(), VECTOR_SIZE, 'every frame came out of b');
        assert.equal(pool.inUse, 0, 'every buffer back in the pool');
      },
      run() {
        sink.n += run();
      },
    },
  ];
}

/** Every core case. */
export function coreCases(): BenchCase[] {
  return [...poolCases(), ...graphCases(), ...breathCases()];
}
