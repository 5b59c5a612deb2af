/**
 * A hash map from 128-bit keys (IPv6 addresses or masked prefixes) to non-negative int32
 * values, in typed arrays: open addressing with linear probing, tombstones on delete,
 * doubling on growth. Lookups read the key straight from packet bytes (optionally masked
 * to a prefix length) and allocate nothing, so the FIB, the local-address table and the
 * neighbour table all use it on the data path.
 */

const EMPTY = -1;
const TOMBSTONE = -2;

export class AddressMap {
  /** Entries stored. */
  size = 0;
  private keys: Int32Array;
  private values: Int32Array;
  private mask: number;
  private used = 0; // entries + tombstones

  constructor(initialCapacity = 16) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Int32Array(cap * 4);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  /** Value stored for the 16 bytes at `bytes[off]` masked to `prefixLen` bits, or -1. */
  get(bytes: Uint8Array, off: number, prefixLen = 128): number {
    const w0 = word(bytes, off, 0, prefixLen);
    const w1 = word(bytes, off, 1, prefixLen);
    const w2 = word(bytes, off, 2, prefixLen);
    const w3 = word(bytes, off, 3, prefixLen);
    return this.getWords(w0, w1, w2, w3);
  }

  /** Value stored for the key given as four big-endian 32-bit words, or -1. */
  getWords(w0: number, w1: number, w2: number, w3: number): number {
    const keys = this.keys;
    const values = this.values;
    let i = hash(w0, w1, w2, w3) & this.mask;
    for (;;) {
      const v = values[i]!;
      if (v === EMPTY) return -1;
      if (v !== TOMBSTONE) {
        const k = i << 2;
        if (keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3)
          return v;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Sets the value (≥ 0) for the key at `bytes[off]` masked to `prefixLen`; returns the previous value or -1. */
  set(bytes: Uint8Array, off: number, value: number, prefixLen = 128): number {
    if (value < 0) throw new RangeError('AddressMap values must be >= 0');
    if ((this.used + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const w0 = word(bytes, off, 0, prefixLen);
    const w1 = word(bytes, off, 1, prefixLen);
    const w2 = word(bytes, off, 2, prefixLen);
    const w3 = word(bytes, off, 3, prefixLen);
    const keys = this.keys;
    const values = this.values;
    let i = hash(w0, w1, w2, w3) & this.mask;
    let firstFree = -1;
    for (;;) {
      const v = values[i]!;
      if (v === EMPTY) break;
      if (v === TOMBSTONE) {
        if (firstFree < 0) firstFree = i;
      } else {
        const k = i << 2;
        if (keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) {
          values[i] = value;
          return v;
        }
      }
      i = (i + 1) & this.mask;
    }
    const slot = firstFree >= 0 ? firstFree : i;
    if (firstFree < 0) this.used++;
    const k = slot << 2;
    keys[k] = w0;
    keys[k + 1] = w1;
    keys[k + 2] = w2;
    keys[k + 3] = w3;
    values[slot] = value;
    this.size++;
    return -1;
  }

  /** Removes the key; returns its value or -1 when absent. */
  delete(bytes: Uint8Array, off: number, prefixLen = 128): number {
    const w0 = word(bytes, off, 0, prefixLen);
    const w1 = word(bytes, off, 1, prefixLen);
    const w2 = word(bytes, off, 2, prefixLen);
    const w3 = word(bytes, off, 3, prefixLen);
    const keys = this.keys;
    const values = this.values;
    let i = hash(w0, w1, w2, w3) & this.mask;
    for (;;) {
      const v = values[i]!;
      if (v === EMPTY) return -1;
      if (v !== TOMBSTONE) {
        const k = i << 2;
        if (keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) {
          values[i] = TOMBSTONE;
          this.size--;
          return v;
        }
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Calls `fn(keyBytes, value)` for every entry (control plane; allocates the key copies). */
  forEach(fn: (key: Uint8Array, value: number) => void): void {
    const cap = this.mask + 1;
    for (let i = 0; i < cap; i++) {
      const v = this.values[i]!;
      if (v < 0) continue;
      const key = new Uint8Array(16);
      const dv = new DataView(key.buffer);
      for (let w = 0; w < 4; w++) dv.setInt32(w * 4, this.keys[i * 4 + w]!);
      fn(key, v);
    }
  }

  clear(): void {
    this.values.fill(EMPTY);
    this.size = 0;
    this.used = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const oldCap = this.mask + 1;
    // double when live entries fill half the table; otherwise only clear the tombstones
    const cap = (this.size + 1) * 2 > oldCap ? oldCap * 2 : oldCap;
    this.keys = new Int32Array(cap * 4);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.used = 0;
    this.size = 0;
    for (let i = 0; i < oldCap; i++) {
      const v = oldValues[i]!;
      if (v < 0) continue;
      const k = i << 2;
      this.insertWords(oldKeys[k]!, oldKeys[k + 1]!, oldKeys[k + 2]!, oldKeys[k + 3]!, v);
    }
  }

  private insertWords(w0: number, w1: number, w2: number, w3: number, value: number): void {
    let i = hash(w0, w1, w2, w3) & this.mask;
    while (this.values[i] !== EMPTY) i = (i + 1) & this.mask;
    const k = i << 2;
    this.keys[k] = w0;
    this.keys[k + 1] = w1;
    this.keys[k + 2] = w2;
    this.keys[k + 3] = w3;
    this.values[i] = value;
    this.size++;
    this.used++;
  }
}

/** Big-endian 32-bit word `w` (0..3) of the address at `off`, masked to `prefixLen` bits. */
function word(bytes: Uint8Array, off: number, w: number, prefixLen: number): number {
  const bitStart = w * 32;
  if (prefixLen <= bitStart) return 0;
  const o = off + w * 4;
  const v = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
  const keep = prefixLen - bitStart;
  if (keep >= 32) return v;
  return v & ~(0xffffffff >>> keep);
}

/** Mixes four words into a 31-bit hash (murmur3-style finaliser per word). */
function hash(w0: number, w1: number, w2: number, w3: number): number {
  let h = 0x9e3779b9 ^ w0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= w1;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= w2;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= w3;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x7fffffff;
}
