/**
 * What every header view shares. A view is `(bytes, dv, off, end)` over a region that it
 * does not own and never copies: `bytes` and `dv` index the same memory (usually the
 * pool's whole slab), `off` is where the header starts and `end` is one past the last
 * byte that belongs to the packet. Views are cheap objects; hot loops re-point one view
 * with `at()` instead of allocating.
 */
export interface HeaderView {
  bytes: Uint8Array;
  dv: DataView;
  off: number;
  end: number;
  /** 0 when every reader is safe, else a `WireCheck` reason. Never throws. */
  check(): number;
}

/** A view's constructor shape, so generic code (tests, walkers) can build any view. */
export type ViewFactory<V extends HeaderView> = (
  bytes: Uint8Array,
  dv: DataView,
  off: number,
  end: number,
) => V;

/** A DataView over exactly the bytes of `u8`, honouring its byteOffset. */
export function dataViewOf(u8: Uint8Array): DataView {
  return new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
}

/**
 * A Repr codec: the meaning of a header as a plain value, and the two directions between
 * it and bytes. `parse` validates and throws a WireError (control plane, tests); `emit`
 * writes every byte of the header (never leaves stale bytes); `bufferLen` says how many.
 * The caller owns the memory; codecs never allocate buffers.
 */
export interface ReprCodec<R, V extends HeaderView> {
  bufferLen(repr: R): number;
  parse(view: V): R;
  emit(repr: R, view: V): void;
}

/**
 * A new, independent copy of `bytes[start, end)` (control plane: keeping option data).
 * Not `bytes.slice`, which on a Node Buffer returns a view of the same memory.
 */
export function copyOut(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}
