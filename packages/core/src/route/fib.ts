/**
 * A forwarding table: longest-prefix match over IPv6 prefixes.
 *
 * One `AddressMap` per prefix length in use, and the lengths in use kept sorted longest
 * first: a lookup masks the destination to each length in turn and probes that length's
 * hash until one hits. Real tables use few distinct lengths (/128, /64, /56, /48, /0 …),
 * so a lookup is a handful of probes whatever the number of routes, and it reads the
 * address in place from the packet without allocating.
 */
import { AddressMap } from './address-map.js';

export class Fib {
  /** Number of prefixes stored. */
  size = 0;
  private readonly byLength: (AddressMap | null)[] = new Array<AddressMap | null>(129).fill(null);
  /** Prefix lengths with at least one entry, longest first. */
  private lengths = new Int32Array(0);

  /** Value (≥ 0) of the longest prefix containing the address at `bytes[off]`, or -1. */
  lookup(bytes: Uint8Array, off: number): number {
    const lengths = this.lengths;
    const byLength = this.byLength;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      const v = byLength[len]!.get(bytes, off, len);
      if (v >= 0) return v;
    }
    return -1;
  }

  /** Prefix length of the match `lookup` would find, or -1 (control plane). */
  matchLength(bytes: Uint8Array, off: number): number {
    for (let i = 0; i < this.lengths.length; i++) {
      const len = this.lengths[i]!;
      if (this.byLength[len]!.get(bytes, off, len) >= 0) return len;
    }
    return -1;
  }

  /** Value stored for exactly `prefix/len`, or -1. */
  getExact(prefix: Uint8Array, len: number, off = 0): number {
    const m = this.byLength[len];
    return m ? m.get(prefix, off, len) : -1;
  }

  /** Adds or replaces `prefix/len` → value; returns the previous value or -1. Host bits are ignored. */
  insert(prefix: Uint8Array, len: number, value: number, off = 0): number {
    checkLength(len);
    let m = this.byLength[len];
    if (!m) {
      m = new AddressMap();
      this.byLength[len] = m;
      this.rebuildLengths();
    }
    const prev = m.set(prefix, off, value, len);
    if (prev < 0) this.size++;
    return prev;
  }

  /** Removes `prefix/len`; returns its value or -1. */
  remove(prefix: Uint8Array, len: number, off = 0): number {
    checkLength(len);
    const m = this.byLength[len];
    if (!m) return -1;
    const prev = m.delete(prefix, off, len);
    if (prev >= 0) {
      this.size--;
      if (m.size === 0) {
        this.byLength[len] = null;
        this.rebuildLengths();
      }
    }
    return prev;
  }

  /** Every entry as (prefix, length, value), longest prefixes first (control plane). */
  entries(): { prefix: Uint8Array; length: number; value: number }[] {
    const out: { prefix: Uint8Array; length: number; value: number }[] = [];
    for (const len of this.lengths) {
      this.byLength[len]!.forEach((prefix, value) => out.push({ prefix, length: len, value }));
    }
    return out;
  }

  clear(): void {
    this.byLength.fill(null);
    this.lengths = new Int32Array(0);
    this.size = 0;
  }

  private rebuildLengths(): void {
    const ls: number[] = [];
    for (let len = 128; len >= 0; len--) if (this.byLength[len]) ls.push(len);
    this.lengths = Int32Array.from(ls);
  }
}

function checkLength(len: number): void {
  if (!Number.isInteger(len) || len < 0 || len > 128) {
    throw new RangeError(`prefix length must be an integer in 0..128, got ${len}`);
  }
}
