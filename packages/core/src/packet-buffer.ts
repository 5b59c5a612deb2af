/**
 * A packet: bytes in one slot of the pool's slab, cursors, and fixed metadata.
 *
 * ```
 *   base                start                  end           base+capacity
 *    |<--- headroom --->|<------ packet ------>|<-- tailroom -->|
 * ```
 *
 * `bytes` and `dv` span the WHOLE slab (shared by every buffer of the pool), so headers
 * are read in place with absolute offsets and no typed array is ever created per packet.
 * Receive places the frame at `base + headroom`, which is what lets an encapsulation
 * prepend its outer header without copying (Snabb's headroom, VPP's pre-data).
 *
 * Metadata fields are all initialised here and reset on free; -1 means "unset".
 */
export class PacketBuffer {
  /** Slot number in the pool. */
  readonly index: number;
  /** The pool's slab (shared). */
  readonly bytes: Uint8Array;
  /** DataView over the whole slab (shared). */
  readonly dv: DataView;
  /** First byte of this buffer's slot. */
  readonly base: number;
  /** Slot size in bytes. */
  readonly capacity: number;

  /** Absolute offset of the first valid byte. */
  start: number;
  /** Absolute offset one past the last valid byte. */
  end: number;

  /** Interface the packet arrived on (-1: generated locally). */
  rxIf = -1;
  /** Interface the packet leaves by (-1: not decided). */
  txIf = -1;
  /** Absolute offset of the network-layer header (-1: not parsed). */
  l3 = -1;
  /** Absolute offset of the transport/upper-layer header (-1). */
  l4 = -1;
  /** Logical interface (DLIF) the packet belongs to (-1: none). */
  dlif = -1;
  /** Routing table chosen for this packet (0: main). */
  table = 0;
  /** Index of the neighbour / adjacency chosen by lookup (-1). */
  adjacency = -1;
  /** Tunnel the packet came from or goes into (-1). */
  tunnel = -1;
  /** Drop or error reason recorded by the last node (0: none). */
  error = 0;
  /** Record this packet in the trace ring. */
  traced = false;
  /** Debug: true while the buffer sits in the pool's free list. */
  isFree = true;

  constructor(index: number, bytes: Uint8Array, dv: DataView, base: number, capacity: number) {
    this.index = index;
    this.bytes = bytes;
    this.dv = dv;
    this.base = base;
    this.capacity = capacity;
    this.start = base;
    this.end = base;
  }

  /** Number of valid bytes. */
  get length(): number {
    return this.end - this.start;
  }
  /** Free bytes in front of the packet. */
  get headroom(): number {
    return this.start - this.base;
  }
  /** Free bytes after the packet. */
  get tailroom(): number {
    return this.base + this.capacity - this.end;
  }

  /**
   * Makes room for `n` header bytes in front and returns the new start. Returns -1 when
   * the headroom is too small (the caller counts a drop); the pool's headroom is sized so
   * that this does not happen for the encapsulations we build.
   */
  prepend(n: number): number {
    if (this.start - this.base < n) return -1;
    this.start -= n;
    return this.start;
  }

  /** Strips `n` bytes from the front (decapsulation). */
  consume(n: number): void {
    this.start += n;
  }

  /** Grows the packet by `n` bytes at the tail; returns the old end, or -1 when there is no room. */
  append(n: number): number {
    if (this.base + this.capacity - this.end < n) return -1;
    const old = this.end;
    this.end += n;
    return old;
  }

  /** Cuts `n` bytes from the tail. */
  trim(n: number): void {
    this.end -= n;
  }

  /** Sets the packet to `len` bytes starting at `base + headroom`. */
  reset(headroom: number, len = 0): void {
    this.start = this.base + headroom;
    this.end = this.start + len;
  }

  /** Clears metadata to the sentinels (called by the pool on free). */
  clearMeta(): void {
    this.rxIf = -1;
    this.txIf = -1;
    this.l3 = -1;
    this.l4 = -1;
    this.dlif = -1;
    this.table = 0;
    this.adjacency = -1;
    this.tunnel = -1;
    this.error = 0;
    this.traced = false;
  }
}
