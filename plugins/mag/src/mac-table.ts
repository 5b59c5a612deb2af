/**
 * MAC address → small integer, read in place from a frame without allocating: the data
 * path's way of recognising a mobile node by the Ethernet source of its frames (RFC 5213
 * §6.9.1.1 attachment detection; the MN link-layer identifier of §8.6).
 *
 * Open addressing with linear probing over typed arrays: a 48-bit MAC is kept as its high
 * 16 bits and low 32 bits (two small integers, never a heap number), hashed with one
 * multiply. Deleted slots become tombstones so probe chains stay intact; the table is
 * rebuilt (control plane) when tombstones pile up.
 */

const EMPTY = 0;
const USED = 1;
const DELETED = 2;

export class MacTable {
  private cap: number;
  private mask: number;
  private hi: Uint16Array;
  private lo: Uint32Array;
  private val: Int32Array;
  private st: Uint8Array;
  private count = 0;
  private dead = 0;

  constructor(initialCapacity = 64) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.cap = cap;
    this.mask = cap - 1;
    this.hi = new Uint16Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap);
    this.st = new Uint8Array(cap);
  }

  /** Entries in the table. */
  get size(): number {
    return this.count;
  }

  /** The value for the MAC at `b[off]`, or -1. Allocation-free (the data path). */
  lookup(b: Uint8Array, off: number): number {
    const h = (b[off]! << 8) | b[off + 1]!;
    const l = ((b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!) >>> 0;
    let i = hash(h, l) & this.mask;
    const st = this.st;
    for (let n = 0; n < this.cap; n++) {
      const s = st[i]!;
      if (s === EMPTY) return -1;
      if (s === USED && this.lo[i] === l && this.hi[i] === h) return this.val[i]!;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** Sets the value of a MAC (6 bytes at `mac[off]`); replaces an existing one. */
  set(mac: Uint8Array, value: number, off = 0): void {
    if (value < 0) throw new RangeError('MacTable values are non-negative');
    const existing = this.find(mac, off);
    if (existing >= 0) {
      this.val[existing] = value;
      return;
    }
    if ((this.count + this.dead + 1) * 2 > this.cap) this.rebuild(this.count + 1);
    const h = (mac[off]! << 8) | mac[off + 1]!;
    const l = macLo(mac, off);
    let i = hash(h, l) & this.mask;
    while (this.st[i] === USED) i = (i + 1) & this.mask;
    if (this.st[i] === DELETED) this.dead--;
    this.st[i] = USED;
    this.hi[i] = h;
    this.lo[i] = l;
    this.val[i] = value;
    this.count++;
  }

  /** Removes a MAC; returns its value or -1. */
  delete(mac: Uint8Array, off = 0): number {
    const i = this.find(mac, off);
    if (i < 0) return -1;
    const v = this.val[i]!;
    this.st[i] = DELETED;
    this.count--;
    this.dead++;
    return v;
  }

  private find(mac: Uint8Array, off: number): number {
    const h = (mac[off]! << 8) | mac[off + 1]!;
    const l = macLo(mac, off);
    let i = hash(h, l) & this.mask;
    for (let n = 0; n < this.cap; n++) {
      const s = this.st[i]!;
      if (s === EMPTY) return -1;
      if (s === USED && this.lo[i] === l && this.hi[i] === h) return i;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  private rebuild(need: number): void {
    const old = { hi: this.hi, lo: this.lo, val: this.val, st: this.st, cap: this.cap };
    let cap = 16;
    while (cap < need * 4) cap *= 2;
    this.cap = cap;
    this.mask = cap - 1;
    this.hi = new Uint16Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap);
    this.st = new Uint8Array(cap);
    this.count = 0;
    this.dead = 0;
    for (let i = 0; i < old.cap; i++) {
      if (old.st[i] !== USED) continue;
      let j = hash(old.hi[i]!, old.lo[i]!) & this.mask;
      while (this.st[j] === USED) j = (j + 1) & this.mask;
      this.st[j] = USED;
      this.hi[j] = old.hi[i]!;
      this.lo[j] = old.lo[i]!;
      this.val[j] = old.val[i]!;
      this.count++;
    }
  }
}

function macLo(m: Uint8Array, off: number): number {
  return ((m[off + 2]! << 24) | (m[off + 3]! << 16) | (m[off + 4]! << 8) | m[off + 5]!) >>> 0;
}

/** A 32-bit mix of the two halves (small integers only). */
function hash(h: number, l: number): number {
  const x = Math.imul(l ^ (h << 16) ^ (l >>> 16), 0x9e3779b1);
  return (x ^ (x >>> 15)) >>> 0;
}
