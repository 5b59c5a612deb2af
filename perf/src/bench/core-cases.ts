/**
 * Micro benchmarks of @dmm/core: the buffer pool, the graph's per-packet overhead
 * (enqueue + dispatch of 256-packet vectors through trivial nodes, no device), and one
 * whole breath through the scheduler with in-memory devices (Snabb's basic1 in our terms).
 * The `/64` fixture is the packet size; graph cases touch only metadata, never the bytes.
 */
import assert from 'node:assert/strict';
import {
  BufferPool,
  Fib,
  Graph,
  INTERFACE_OUTPUT,
  MemoryDevice,
  NeighborState,
  Router,
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

/**
 * The whole IPv6 path of a Router, per frame: ethernet-input → ip6-input → ip6-lookup →
 * ip6-rewrite → interface-output, UDP_126 from fd00:a::1 to fd00:b::1 (neighbour
 * configured), with MemoryDevices (whose byte copies are included: an upper bound).
 */
function routerCases(): BenchCase[] {
  const router = new Router({ pool: { count: 1024 } });
  const a = new MemoryDevice({ name: 'a', ringSize: 512, mac: UDP_126.slice(0, 6) });
  const b = new MemoryDevice({ name: 'b', ringSize: 512 });
  const ia = router.addInterface({ name: 'a', device: a });
  const ib = router.addInterface({ name: 'b', device: b });
  const addr = (last: number, net: number): Uint8Array => {
    const x = new Uint8Array(16);
    x.set([0xfd, 0, 0, net]);
    x[15] = last;
    return x;
  };
  router.addAddress(ia, addr(0xfe, 0x0a), 64);
  router.addAddress(ib, addr(0xfe, 0x0b), 64);
  const n = router.neighbors.create(ib.index, addr(1, 0x0b), 0, NeighborState.Permanent);
  router.neighbors.setMac(n, Uint8Array.of(2, 0, 0, 0, 0x0c, 1));
  const run = (): number => {
    for (let i = 0; i < VECTOR_SIZE; i++) a.inject(UDP_126);
    router.scheduler.breathe(ia);
    return b.drain();
  };
  return [
    {
      name: 'core/breath.router-forward/126',
      opsPerCall: VECTOR_SIZE,
      verify() {
        assert.equal(run(), VECTOR_SIZE, 'every frame forwarded');
        assert.equal(router.pool.inUse, 0);
        assert.deepEqual(router.counters(), {});
      },
      run() {
        sink.n += run();
      },
    },
  ];
}

/**
 * FIB longest-prefix match: N random /64 routes inside 2001:db8::/32, a few /48s and a
 * default route, looked up for 1,024 destinations that hit the /64s (the common case of
 * a router full of per-node prefixes). One operation is one lookup.
 */
function fibCases(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const [label, n] of [
    ['1k', 1_000],
    ['100k', 100_000],
  ] as const) {
    const fib = new Fib();
    let x = 0x12345678;
    const next = (): number => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>>= 0);
    };
    const prefixes: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const p = new Uint8Array(16);
      p[0] = 0x20;
      p[1] = 0x01;
      p[2] = 0x0d;
      p[3] = 0xb8;
      // a bijection of i, so the /64s are distinct yet spread over the hash
      const v = Math.imul(i + 1, 0x9e3779b1) >>> 0;
      p[4] = v >>> 24;
      p[5] = (v >>> 16) & 0xff;
      p[6] = (v >>> 8) & 0xff;
      p[7] = v & 0xff;
      fib.insert(p, 64, i);
      prefixes.push(p);
    }
    for (let i = 0; i < 8; i++) {
      const p = new Uint8Array(16);
      p.set([0x20, 0x01, 0x0d, 0xb8, i, 0]);
      fib.insert(p, 48, n + i);
    }
    fib.insert(new Uint8Array(16), 0, n + 100);
    const dsts = new Uint8Array(1024 * 16);
    for (let i = 0; i < 1024; i++) {
      dsts.set(prefixes[next() % n]!, i * 16);
      for (let k = 8; k < 16; k++) dsts[i * 16 + k] = next() & 0xff;
    }
    out.push({
      name: `core/fib.lookup/${label}`,
      opsPerCall: 1024,
      verify() {
        for (let i = 0; i < 1024; i++) assert.ok(fib.lookup(dsts, i * 16) < n, 'hits a /64');
        assert.equal(fib.size, n + 9);
      },
      run() {
        let acc = 0;
        for (let i = 0; i < 1024; i++) acc += fib.lookup(dsts, i * 16);
        sink.n += acc;
      },
    });
  }
  return out;
}

/** Every core case. */
export function coreCases(): BenchCase[] {
  return [...poolCases(), ...graphCases(), ...breathCases(), ...routerCases(), ...fibCases()];
}
