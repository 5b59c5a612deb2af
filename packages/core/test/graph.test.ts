import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BufferPool,
  Graph,
  dropReasons,
  isDmmError,
  type NodeDef,
  type PacketBuffer,
} from '@dmm/core';

/** A sink node that records what reaches it, in order. */
function sink(name: string, seen: number[], pool: BufferPool): NodeDef {
  return {
    name,
    next: [],
    errors: [],
    process(v) {
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        seen.push(pool.bytes[pb.start]!);
        pool.free(pb);
      }
    },
  };
}

const SPLIT = dropReasons([
  ['odd', 'first byte is odd'],
  ['zero', 'first byte is zero'],
] as const);

/** Sends even first bytes to `even`, drops odd ones and zeros under named reasons. */
function splitter(pool: BufferPool): NodeDef {
  return {
    name: 'splitter',
    next: ['even'],
    errors: SPLIT.errors,
    process(v, rt) {
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pool.bytes[pb.start]!;
        if (b === 0) rt.drop(pb, SPLIT.code.zero);
        else if (b & 1) rt.drop(pb, SPLIT.code.odd);
        else rt.next(0, pb);
      }
    },
  };
}

function packet(pool: BufferPool, first: number): PacketBuffer {
  return pool.fromBytes(Uint8Array.of(first, 0, 0, 0))!;
}

test('graph: packets follow arcs and drops are counted by reason and freed', () => {
  const pool = new BufferPool({ count: 64, debug: true });
  const g = new Graph(pool);
  const seen: number[] = [];
  g.addNode(splitter(pool));
  g.addNode(sink('even', seen, pool));
  g.finalise();
  const s = g.indexOf('splitter');
  for (const b of [2, 3, 0, 4, 5, 7]) g.enqueue(s, packet(pool, b));
  g.dispatch();
  assert.deepEqual(seen, [2, 4]);
  assert.deepEqual(Object.fromEntries(g.dropCounters()), { 'splitter.odd': 3, 'splitter.zero': 1 });
  assert.equal(pool.inUse, 0, 'every buffer returned');
  const n = g.node('splitter')!;
  assert.equal(n.calls, 1);
  assert.equal(n.packets, 6);
});

test('graph: a burst larger than one vector is split into frames, none lost', () => {
  const pool = new BufferPool({ count: 2048 });
  const g = new Graph(pool);
  const seen: number[] = [];
  g.addNode(splitter(pool));
  g.addNode(sink('even', seen, pool));
  g.finalise();
  const s = g.indexOf('splitter');
  for (let i = 0; i < 1000; i++) g.enqueue(s, packet(pool, 2));
  g.dispatch();
  assert.equal(seen.length, 1000);
  assert.equal(g.node('splitter')!.calls, 4, '1000 packets = 4 vectors of ≤256');
  assert.equal(pool.inUse, 0);
});

test('graph: a node may loop packets back to an earlier node (decapsulation shape)', () => {
  const pool = new BufferPool({ count: 16 });
  const g = new Graph(pool);
  const seen: number[] = [];
  g.addNode({
    name: 'input',
    next: ['decap', 'out'],
    errors: [],
    process(v, rt) {
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        rt.next(pool.bytes[pb.start] === 41 ? 0 : 1, pb);
      }
    },
  });
  g.addNode({
    name: 'decap',
    next: ['input'],
    errors: [],
    process(v, rt) {
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        pb.consume(1);
        rt.next(0, pb);
      }
    },
  });
  g.addNode(sink('out', seen, pool));
  g.finalise();
  const pb = pool.fromBytes(Uint8Array.of(41, 41, 7))!;
  g.enqueue(g.indexOf('input'), pb);
  g.dispatch();
  assert.deepEqual(seen, [7]);
  assert.equal(g.node('input')!.calls, 3);
});

test('graph: an arc to an unknown node and a duplicate name are setup errors', () => {
  const pool = new BufferPool({ count: 1 });
  const g = new Graph(pool);
  g.addNode({ name: 'a', next: ['nowhere'], errors: [], process() {} });
  assert.throws(
    () => g.finalise(),
    (e) => isDmmError(e, 'DMM_ERR_GRAPH'),
  );
  assert.throws(
    () => g.addNode({ name: 'a', next: [], errors: [], process() {} }),
    (e) => isDmmError(e, 'DMM_ERR_GRAPH'),
  );
});

test('graph: runtime stats measure time per node when enabled', () => {
  const pool = new BufferPool({ count: 8 });
  const g = new Graph(pool, { runtimeStats: true });
  const seen: number[] = [];
  g.addNode(sink('s', seen, pool));
  g.finalise();
  g.enqueue(0, packet(pool, 1));
  g.dispatch();
  assert.ok(g.node('s')!.timeNs > 0);
});

test('graph: feature arcs visit features in declared order, an empty arc goes straight to its end', async () => {
  const { ARC_NEXT, arcStart } = await import('@dmm/core');
  const pool = new BufferPool({ count: 8 });
  const g = new Graph(pool);
  const seen: number[] = [];
  const visits: string[] = [];
  const feature = (name: string): NodeDef => ({
    name,
    next: [ARC_NEXT],
    errors: [],
    process(v, rt) {
      for (let i = 0; i < v.length; i++) {
        visits.push(name);
        rt.next(0, v.items[i]!);
      }
    },
  });
  g.addNode({
    name: 'entry',
    next: [arcStart('demo')],
    errors: [],
    process(v, rt) {
      for (let i = 0; i < v.length; i++) rt.next(0, v.items[i]!);
    },
  });
  g.addNode(sink('end', seen, pool));
  g.addArc('demo', 'end');
  g.finalise();
  g.enqueue(g.indexOf('entry'), packet(pool, 1));
  g.dispatch();
  assert.deepEqual(visits, [], 'no features: straight to the end');
  assert.deepEqual(seen, [1]);

  g.addFeature('demo', feature('f-late'), { runsAfter: ['f-early'] });
  g.addFeature('demo', feature('f-early'));
  g.addFeature('demo', feature('f-first'), { runsBefore: ['f-early'] });
  assert.deepEqual(g.arcFeatures('demo'), ['f-first', 'f-early', 'f-late']);
  g.enqueue(g.indexOf('entry'), packet(pool, 2));
  g.dispatch();
  assert.deepEqual(visits, ['f-first', 'f-early', 'f-late']);
  assert.deepEqual(seen, [1, 2]);

  g.removeFeature('f-early');
  visits.length = 0;
  g.enqueue(g.indexOf('entry'), packet(pool, 3));
  g.dispatch();
  // with f-early gone nothing orders the other two: registration order applies
  assert.deepEqual(visits, ['f-late', 'f-first']);
  assert.throws(
    () =>
      g.addFeature('demo', feature('f-cycle'), { runsBefore: ['f-first'], runsAfter: ['f-first'] }),
    (e) => isDmmError(e, 'DMM_ERR_GRAPH'),
  );
  assert.deepEqual(
    g.arcFeatures('demo'),
    ['f-late', 'f-first'],
    'a refused feature leaves the arc as it was',
  );
});

test('graph: addNextArc grows a dispatcher after finalise', () => {
  const pool = new BufferPool({ count: 8 });
  const g = new Graph(pool);
  const seen: number[] = [];
  let arc = -1;
  g.addNode({
    name: 'dispatch',
    next: [],
    errors: [],
    process(v, rt) {
      for (let i = 0; i < v.length; i++) rt.next(arc, v.items[i]!);
    },
  });
  g.finalise();
  g.addNode(sink('late', seen, pool));
  arc = g.addNextArc('dispatch', 'late');
  assert.equal(g.addNextArc('dispatch', 'late'), arc, 'idempotent');
  g.enqueue(0, packet(pool, 9));
  g.dispatch();
  assert.deepEqual(seen, [9]);
});
