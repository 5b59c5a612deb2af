import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, type FieldSpan } from './assert-bytes.js';
import { dataViewOf, filled, pooledRegion } from './buffers.js';
import { toHex } from './hex.js';

/** The structural shape of a wire view, as the suite needs it. */
export interface CheckableView {
  off: number;
  end: number;
  check(): number;
}

/** The structural shape of a wire Repr codec. */
export interface CodecLike<R, V> {
  bufferLen(repr: R): number;
  parse(view: V): R;
  emit(repr: R, view: V): void;
}

export interface HeaderSuite<R, V extends CheckableView> {
  /** Test-name prefix, e.g. `ipv6 (scapy vector)`. */
  name: string;
  /** The header's bytes exactly (what `bufferLen(repr)` covers). */
  vector: Uint8Array;
  /** Where the vector comes from: a vector we emitted ourselves proves nothing alone. */
  provenance: string;
  /**
   * Bytes that follow the header in the packet (e.g. the payload an IPv6 Payload Length
   * covers), present in every buffer so `check()` can pass; they are not emitted or compared.
   */
  payload?: Uint8Array;
  /** The Repr the vector means. */
  repr: R;
  codec: CodecLike<R, V>;
  view(bytes: Uint8Array, dv: DataView, off: number, end: number): V;
  /** Every reader on the vector, asserted against known values (the "deconstruct" test). */
  readers(view: V): void;
  /** Writes the header with setters only (the "construct" test); optional. */
  construct?(view: V): void;
  /** Field layout for assertBytes messages. */
  layout?: readonly FieldSpan[];
  /**
   * Prefix lengths for which `check()` may return 0 (e.g. a header that is complete at
   * its fixed part and whose remaining bytes are optional). Default: none.
   */
  validPrefixes?: readonly number[];
  /** Deep-equality of Reprs when `assert.deepEqual` is not right (default deepEqual). */
  reprEqual?(a: R, b: R): void;
}

/**
 * Registers the standard tests of a header view + codec (style guide §8.10): readers on
 * the vector, setters into 0xff memory, parse, emit into 0xff memory, round trip twice,
 * emit/parse at offsets 10 and 128 and in a pooled Node Buffer, and every truncated
 * prefix rejected by `check()` without throwing.
 */
export function headerSuite<R, V extends CheckableView>(s: HeaderSuite<R, V>): void {
  const eq = s.reprEqual ?? ((a: R, b: R) => assert.deepEqual(a, b));
  const len = s.vector.length;
  const payload = s.payload ?? new Uint8Array(0);
  const total = len + payload.length;
  const whole = new Uint8Array(total);
  whole.set(s.vector, 0);
  whole.set(payload, len);
  const fresh = (bytes: Uint8Array, off: number, end: number): V =>
    s.view(bytes, dataViewOf(bytes), off, end);
  /** 0xff memory of `before + total + 7` bytes with the payload already in place. */
  const blank = (before: number): Uint8Array => {
    const b = filled(before + total + 7);
    b.set(payload, before + len);
    return b;
  };

  test(`${s.name}: vector provenance is recorded`, () => {
    assert.ok(s.provenance.length > 0);
  });

  test(`${s.name}: check() accepts the vector and readers decode it`, () => {
    const bytes = Uint8Array.from(whole);
    const v = fresh(bytes, 0, total);
    assert.equal(v.check(), 0);
    s.readers(v);
  });

  if (s.construct) {
    const construct = s.construct;
    test(`${s.name}: setters into 0xff-filled memory give the vector`, () => {
      const bytes = blank(0);
      construct(fresh(bytes, 0, total));
      assertBytes(bytes.subarray(0, len), s.vector, s.layout);
    });
  }

  test(`${s.name}: parse gives the expected Repr`, () => {
    const bytes = Uint8Array.from(whole);
    eq(s.codec.parse(fresh(bytes, 0, total)), s.repr);
  });

  test(`${s.name}: emit into 0xff-filled memory gives the vector`, () => {
    assert.equal(s.codec.bufferLen(s.repr), len);
    const bytes = blank(0);
    s.codec.emit(s.repr, fresh(bytes, 0, total));
    assertBytes(bytes.subarray(0, len), s.vector, s.layout);
    assert.equal(bytes[total], 0xff, 'emit wrote past the header and payload');
  });

  test(`${s.name}: emit then parse round-trips twice`, () => {
    let r = s.repr;
    for (let i = 0; i < 2; i++) {
      const bytes = blank(0);
      s.codec.emit(r, fresh(bytes, 0, total));
      const back = s.codec.parse(fresh(bytes, 0, total));
      eq(back, s.repr);
      r = back;
    }
  });

  for (const off of [10, 128]) {
    test(`${s.name}: emit and parse at offset ${off} inside a larger buffer`, () => {
      const bytes = blank(off);
      const dv = dataViewOf(bytes);
      s.codec.emit(s.repr, s.view(bytes, dv, off, off + total));
      assertBytes(bytes.subarray(off, off + len), s.vector, s.layout);
      assert.equal(bytes[off - 1], 0xff, 'byte before the header untouched');
      assert.equal(bytes[off + total], 0xff, 'byte after the packet untouched');
      eq(s.codec.parse(s.view(bytes, dv, off, off + total)), s.repr);
    });
  }

  test(`${s.name}: emit and parse in a pooled Buffer (byteOffset != 0)`, () => {
    const region = pooledRegion(total + 3);
    region.bytes.set(payload, 3 + len);
    s.codec.emit(s.repr, s.view(region.bytes, region.dv, 3, 3 + total));
    assertBytes(region.bytes.subarray(3, 3 + len), s.vector, s.layout);
    eq(s.codec.parse(s.view(region.bytes, region.dv, 3, 3 + total)), s.repr);
  });

  test(`${s.name}: every truncated prefix is rejected by check() without throwing`, () => {
    const valid = new Set(s.validPrefixes ?? []);
    for (let n = 0; n < total; n++) {
      const bytes = Uint8Array.from(whole.subarray(0, n));
      const v = fresh(bytes, 0, n);
      let r: number;
      try {
        r = v.check();
      } catch (e) {
        assert.fail(`check() threw on a ${n}-byte prefix: ${String(e)}`);
      }
      if (!valid.has(n)) {
        assert.notEqual(r, 0, `check() accepted a ${n}-byte prefix of ${toHex(s.vector)}`);
        assert.throws(() => s.codec.parse(v), `parse accepted a ${n}-byte prefix`);
      }
    }
  });
}
