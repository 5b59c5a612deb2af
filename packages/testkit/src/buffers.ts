/**
 * Buffer fixtures for the standard header tests: every emitter is checked on memory that
 * is pre-filled with 0xff, at offset 0, at an odd offset and deep inside a larger slab,
 * and on a Node `Buffer` whose `byteOffset` is not zero.
 */

/** A fresh buffer of `len` bytes, every byte `fill` (0xff by default). */
export function filled(len: number, fill = 0xff): Uint8Array {
  return new Uint8Array(len).fill(fill);
}

/** A byte region plus the DataView that indexes it the same way. */
export interface Region {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
}

/** A DataView over exactly the bytes of `u8`, honouring its byteOffset. */
export function dataViewOf(u8: Uint8Array): DataView {
  return new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** `bytes` copied into a 0xff-filled region of `before + bytes.length + after` bytes at `before`. */
export function placeAt(bytes: Uint8Array, before: number, after = 7): Region {
  const out = filled(before + bytes.length + after);
  out.set(bytes, before);
  return { bytes: out, dv: dataViewOf(out) };
}

/**
 * A region carved from Node's shared Buffer pool, so `byteOffset` is not zero: catches a
 * DataView built from `buf.buffer` alone.
 */
export function pooledRegion(len: number): Region {
  const pad = Buffer.allocUnsafe(13); // moves the pool cursor so the next slice is unaligned
  pad.fill(0);
  const b = Buffer.allocUnsafe(len);
  b.fill(0xff);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return { bytes, dv: dataViewOf(bytes) };
}

/** Offsets at which every header is emitted and parsed in the standard tests. */
export const STANDARD_OFFSETS: readonly number[] = [0, 10, 128];
