import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, DEFAULT_HEADROOM, isDmmError } from '@dmm/core';

test('pool: alloc hands out buffers at the default headroom until exhausted', () => {
  const pool = new BufferPool({ count: 4, slotSize: 512 });
  const got = [];
  for (let i = 0; i < 4; i++) {
    const pb = pool.alloc();
    assert.ok(pb);
    assert.equal(pb.headroom, DEFAULT_HEADROOM);
    assert.equal(pb.length, 0);
    assert.equal(pb.tailroom, 512 - DEFAULT_HEADROOM);
    got.push(pb);
  }
  assert.equal(pool.alloc(), null);
  assert.equal(pool.exhausted, 1);
  assert.equal(new Set(got.map((b) => b.base)).size, 4, 'distinct slots');
  for (const pb of got) pool.free(pb);
  assert.equal(pool.available, 4);
});

test('pool: free resets metadata to sentinels', () => {
  const pool = new BufferPool({ count: 2 });
  const pb = pool.alloc()!;
  pb.rxIf = 3;
  pb.txIf = 4;
  pb.l3 = pb.start + 14;
  pb.dlif = 9;
  pb.traced = true;
  pool.free(pb);
  assert.equal(pb.rxIf, -1);
  assert.equal(pb.txIf, -1);
  assert.equal(pb.l3, -1);
  assert.equal(pb.dlif, -1);
  assert.equal(pb.traced, false);
});

test('pool: debug mode catches a double free and poisons freed slots', () => {
  const pool = new BufferPool({ count: 2, debug: true });
  const pb = pool.alloc()!;
  pool.bytes[pb.start] = 0x42;
  pool.free(pb);
  assert.equal(pool.bytes[pb.start], 0xdb);
  assert.throws(
    () => pool.free(pb),
    (e) => isDmmError(e, 'DMM_ERR_BUFFER_OWNERSHIP'),
  );
  assert.equal(pool.available, 2, 'free stack not corrupted');
});

test('pool: without debug a double free is ignored, not corrupting the free list', () => {
  const pool = new BufferPool({ count: 2 });
  const pb = pool.alloc()!;
  pool.free(pb);
  pool.free(pb);
  assert.equal(pool.available, 2);
  const a = pool.alloc()!;
  const b = pool.alloc()!;
  assert.notEqual(a.index, b.index);
});

test('pool: prepend uses the headroom without copying, consume strips', () => {
  const pool = new BufferPool({ count: 1 });
  const pb = pool.fromBytes(Uint8Array.of(1, 2, 3, 4))!;
  const oldStart = pb.start;
  const s = pb.prepend(40);
  assert.equal(s, oldStart - 40);
  assert.equal(pb.length, 44);
  assert.equal(pool.bytes[pb.start + 40], 1, 'payload did not move');
  assert.equal(pb.prepend(DEFAULT_HEADROOM), -1, 'not enough headroom left');
  pb.consume(40);
  assert.deepEqual([...pool.toBytes(pb)], [1, 2, 3, 4]);
});

test('pool: append and trim respect the tailroom', () => {
  const pool = new BufferPool({ count: 1, slotSize: 256, headroom: 64 });
  const pb = pool.alloc()!;
  assert.equal(pb.append(192), pb.start);
  assert.equal(pb.append(1), -1);
  pb.trim(2);
  assert.equal(pb.length, 190);
});

test('pool: clone copies bytes, headroom and metadata into another slot', () => {
  const pool = new BufferPool({ count: 2 });
  const pb = pool.fromBytes(Uint8Array.of(9, 8, 7))!;
  pb.rxIf = 1;
  pb.l3 = pb.start + 1;
  const c = pool.clone(pb)!;
  assert.notEqual(c.index, pb.index);
  assert.deepEqual([...pool.toBytes(c)], [9, 8, 7]);
  assert.equal(c.rxIf, 1);
  assert.equal(c.l3 - c.start, 1);
  assert.equal(pool.clone(pb), null, 'pool empty');
});

test('pool: bad options are refused with a config error', () => {
  for (const opts of [{ count: 0 }, { slotSize: 100 }, { headroom: 10 }, { count: 1.5 }]) {
    assert.throws(
      () => new BufferPool(opts),
      (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
      JSON.stringify(opts),
    );
  }
});
