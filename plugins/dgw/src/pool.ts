/**
 * The D-GW's pool of locally anchored prefixes (draft-bernardos-dmm-distributed-anchoring-02
 * §4.2 steps 2 and 6: "an IPv6 prefix from the pool of locally anchored prefixes is selected
 * … to be delegated to MN1"): /64s cut from one configured prefix, one per node and never
 * shared (§3), handed out round the pool so a prefix just released is the last to come back
 * (a node that still holds it from a two-hour RFC 4862 §5.5.3(e) rule meets it later rather
 * than at once). A bitmap: one bit per /64.
 */
import { maskPrefix, type Ipv6Prefix } from '@dmm/core';

export class PrefixPool {
  readonly base: Uint8Array;
  readonly baseLen: number;
  readonly size: number;
  private readonly bits: Uint8Array;
  private next = 0;
  private used = 0;

  constructor(pool: Ipv6Prefix) {
    this.base = maskPrefix(pool.prefix, pool.prefixLen);
    this.baseLen = pool.prefixLen;
    this.size = 2 ** (64 - pool.prefixLen);
    this.bits = new Uint8Array(Math.ceil(this.size / 8));
  }

  get allocated(): number {
    return this.used;
  }

  /** The n-th /64 of the pool. */
  prefixAt(n: number): Uint8Array {
    const p = Uint8Array.from(this.base);
    // the index occupies bits baseLen..63: bytes 4..7 hold at most 24 of them
    let v = n;
    for (let byte = 7; byte >= 0 && v > 0; byte--) {
      p[byte] = p[byte]! | (v & 0xff);
      v = Math.floor(v / 256);
    }
    return p;
  }

  /** The index of a /64 in the pool, or -1 when it is not one of ours. */
  indexOf(prefix: Uint8Array, prefixLen: number): number {
    if (prefixLen !== 64) return -1;
    const m = maskPrefix(prefix, this.baseLen);
    for (let i = 0; i < 16; i++) if (m[i] !== this.base[i]) return -1;
    // the index bits lie in the low 24 bits of the /64 (MAX_POOL_BITS); the pool's size
    // divides 2^24, so the remainder keeps exactly the bits below the pool's length
    const n = (prefix[5]! << 16) | (prefix[6]! << 8) | prefix[7]!;
    return n % this.size;
  }

  /** Whether the /64 is one of the pool's. */
  contains(prefix: Uint8Array, prefixLen: number): boolean {
    return this.indexOf(prefix, prefixLen) >= 0;
  }

  isAllocated(prefix: Uint8Array, prefixLen: number): boolean {
    const i = this.indexOf(prefix, prefixLen);
    return i >= 0 && (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  /** A free /64, marked used; null when the pool is exhausted. */
  allocate(): Uint8Array | null {
    if (this.used >= this.size) return null;
    for (let k = 0; k < this.size; k++) {
      const i = (this.next + k) % this.size;
      if ((this.bits[i >> 3]! & (1 << (i & 7))) === 0) {
        this.bits[i >> 3] = this.bits[i >> 3]! | (1 << (i & 7));
        this.used++;
        this.next = (i + 1) % this.size;
        return this.prefixAt(i);
      }
    }
    return null;
  }

  /** Marks a /64 used (a delegation read back from the context store); false if not ours. */
  reserve(prefix: Uint8Array, prefixLen: number): boolean {
    const i = this.indexOf(prefix, prefixLen);
    if (i < 0) return false;
    if ((this.bits[i >> 3]! & (1 << (i & 7))) === 0) {
      this.bits[i >> 3] = this.bits[i >> 3]! | (1 << (i & 7));
      this.used++;
    }
    return true;
  }

  /** Gives a /64 back; false when it was not in use. */
  release(prefix: Uint8Array, prefixLen: number): boolean {
    const i = this.indexOf(prefix, prefixLen);
    if (i < 0 || (this.bits[i >> 3]! & (1 << (i & 7))) === 0) return false;
    this.bits[i >> 3] = this.bits[i >> 3]! & ~(1 << (i & 7));
    this.used--;
    return true;
  }
}
