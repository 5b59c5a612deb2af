/**
 * A hash map from 48-bit MAC addresses to non-negative int32 values, in typed arrays
 * (open addressing, linear probing, tombstones): the link-layer demultiplexer of logical
 * interfaces reads the MAC in place from the frame and allocates nothing.
 */
const EMPTY = -1;
const TOMBSTONE = -2;

export class MacMap {
  size = 0;
  private hi: Int32Array;
  private lo: Int32Array;
  private values: Int32Array;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 16) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  /** Value for the MAC at `b[off..off+6)`, or -1. */
  get(b: Uint8Array, off: number): number {
    const h = (b[off]! << 8) | b[off + 1]!;
    const l = (b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!;
    let i = hash(h, l) & this.mask;
    for (;;) {
      const v = this.values[i]!;
      if (v === EMPTY) return -1;
      if (v !== TOMBSTONE && this.hi[i] === h && this.lo[i] === l) return v;
      i = (i + 1) & this.mask;
    }
  }

  /** Sets the value (≥ 0) for a MAC; returns the previous value or -1. */
  set(b: Uint8Array, off: number, value: number): number {
    if (value < 0) throw new RangeError('MacMap values must be >= 0');
    if ((this.used + 1) * 4 > (this.mask + 1) * 3) this.rehash();
    const h = (b[off]! << 8) | b[off + 1]!;
    const l = (b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!;
    let i = hash(h, l) & this.mask;
    let free = -1;
    for (;;) {
      const v = this.values[i]!;
      if (v === EMPTY) break;
      if (v === TOMBSTONE) {
        if (free < 0) free = i;
      } else if (this.hi[i] === h && this.lo[i] === l) {
        this.values[i] = value;
        return v;
      }
      i = (i + 1) & this.mask;
    }
    const slot = free >= 0 ? free : i;
    if (free < 0) this.used++;
    this.hi[slot] = h;
    this.lo[slot] = l;
    this.values[slot] = value;
    this.size++;
    return -1;
  }

  /** Removes a MAC; returns its value or -1. */
  delete(b: Uint8Array, off: number): number {
    const h = (b[off]! << 8) | b[off + 1]!;
    const l = (b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!;
    let i = hash(h, l) & this.mask;
    for (;;) {
      const v = this.values[i]!;
      if (v === EMPTY) return -1;
      if (v !== TOMBSTONE && this.hi[i] === h && this.lo[i] === l) {
        this.values[i] = TOMBSTONE;
        this.size--;
        return v;
      }
      i = (i + 1) & this.mask;
    }
  }

  private rehash(): void {
    const oh = this.hi;
    const ol = this.lo;
    const ov = this.values;
    const cap = (this.size + 1) * 2 > ov.length ? ov.length * 2 : ov.length;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.used = 0;
    this.size = 0;
    const key = new Uint8Array(6);
    for (let i = 0; i < ov.length; i++) {
      if (ov[i]! < 0) continue;
      key[0] = oh[i]! >> 8;
      key[1] = oh[i]! & 0xff;
      key[2] = ol[i]! >>> 24;
      key[3] = (ol[i]! >>> 16) & 0xff;
      key[4] = (ol[i]! >>> 8) & 0xff;
      key[5] = ol[i]! & 0xff;
      this.set(key, 0, ov[i]!);
    }
  }
}

function hash(h: number, l: number): number {
  let x = Math.imul(l ^ (h << 16) ^ h, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  return (x ^ (x >>> 13)) & 0x7fffffff;
}
