/**
 * The home network prefix pool of an LMA (RFC 5213 §5.2: the LMA assigns one or more
 * prefixes per mobility session, §5.3.2 on initial attachment). A pool prefix (e.g.
 * 2001:db8:100::/48) is cut into delegated prefixes of one length (/64 for SLAAC); prefix
 * number `i` carries `i` in the bits between the two lengths:
 *
 * ```
 *   |<-- pool length -->|<-- index bits -->|<-- host bits -->|
 *    2001:0db8:0100      :0001              ::/64              index 1
 * ```
 *
 * A bitmap says which are in use; allocation moves a cursor round the pool so a freed
 * prefix is handed out again as late as possible (a node's old prefix does not reappear
 * at once at another node, whose correspondents may still send to it).
 */
import { maskPrefix, prefixContains, type Ipv6Prefix } from '@dmm/core';

export class HnpPool {
  readonly base: Uint8Array;
  readonly poolLen: number;
  readonly hnpLen: number;
  /** Prefixes in the pool. */
  readonly size: number;
  private readonly used: Uint8Array;
  private cursor = 0;
  private inUse = 0;

  constructor(pool: Ipv6Prefix, hnpLen: number) {
    const bits = hnpLen - pool.prefixLen;
    if (bits < 0 || bits > 30)
      throw new RangeError(`cannot cut /${hnpLen}s from a /${pool.prefixLen}`);
    this.base = maskPrefix(pool.prefix, pool.prefixLen);
    this.poolLen = pool.prefixLen;
    this.hnpLen = hnpLen;
    this.size = 2 ** bits;
    this.used = new Uint8Array(Math.ceil(this.size / 8));
  }

  /** Prefixes handed out (or reserved). */
  get allocated(): number {
    return this.inUse;
  }

  /** The next free prefix, marked used; null when the pool is exhausted (status 130). */
  allocate(): Uint8Array | null {
    if (this.inUse === this.size) return null;
    for (let n = 0; n < this.size; n++) {
      const i = this.cursor;
      this.cursor = this.cursor + 1 === this.size ? 0 : this.cursor + 1;
      if ((this.used[i >>> 3]! & (1 << (i & 7))) === 0) {
        this.used[i >>> 3]! |= 1 << (i & 7);
        this.inUse++;
        return this.prefixAt(i);
      }
    }
    return null;
  }

  /** True when `prefix` (of the delegated length) lies in the pool. */
  contains(prefix: Uint8Array, prefixLen: number): boolean {
    return prefixLen === this.hnpLen && prefixContains(this.base, this.poolLen, prefix);
  }

  /** Marks a prefix of the pool used (a static HNP); false when it is not in the pool. */
  reserve(prefix: Uint8Array, prefixLen: number): boolean {
    if (!this.contains(prefix, prefixLen)) return false;
    const i = this.indexOf(prefix);
    if ((this.used[i >>> 3]! & (1 << (i & 7))) === 0) {
      this.used[i >>> 3]! |= 1 << (i & 7);
      this.inUse++;
    }
    return true;
  }

  /** Gives a prefix back; false when it was not in use. */
  release(prefix: Uint8Array, prefixLen: number): boolean {
    if (!this.contains(prefix, prefixLen)) return false;
    const i = this.indexOf(prefix);
    if ((this.used[i >>> 3]! & (1 << (i & 7))) === 0) return false;
    this.used[i >>> 3]! &= ~(1 << (i & 7));
    this.inUse--;
    return true;
  }

  /** True when a prefix of the pool is in use. */
  isUsed(prefix: Uint8Array, prefixLen: number): boolean {
    if (!this.contains(prefix, prefixLen)) return false;
    const i = this.indexOf(prefix);
    return (this.used[i >>> 3]! & (1 << (i & 7))) !== 0;
  }

  /** Prefix number `i` of the pool. */
  prefixAt(i: number): Uint8Array {
    const p = Uint8Array.from(this.base);
    // write i into bits [poolLen, hnpLen), most significant bit first
    for (let b = this.hnpLen - 1, v = i; b >= this.poolLen; b--, v = Math.floor(v / 2)) {
      if (v % 2 === 1) p[b >>> 3]! |= 0x80 >>> (b & 7);
    }
    return p;
  }

  private indexOf(prefix: Uint8Array): number {
    let i = 0;
    for (let b = this.poolLen; b < this.hnpLen; b++) {
      i = i * 2 + ((prefix[b >>> 3]! >>> (7 - (b & 7))) & 1);
    }
    return i;
  }
}
