import { PacketBuffer } from './packet-buffer.js';
import { ConfigError, BufferOwnershipError } from './errors.js';

export interface BufferPoolOptions {
  /** Number of buffers (default 8192). */
  count?: number;
  /** Slot size in bytes, headroom included (default 2048). */
  slotSize?: number;
  /** Bytes reserved in front of a received packet (default 128, at least 64). */
  headroom?: number;
  /**
   * Large buffers for TCP super-packets of interfaces with offloads (default 0): a
   * second region of the same slab, with its own free list (`allocLarge`), so devices
   * read into and write from one ArrayBuffer either way.
   */
  largeCount?: number;
  /** Large slot size, headroom included (default 65536 + 512: a 64 KB super-packet, its Ethernet header and headroom). */
  largeSlotSize?: number;
  /**
   * Debug mode: poison freed slots with 0xdb and detect double frees and use of freed
   * buffers by enqueue. For tests; off in benchmarks.
   */
  debug?: boolean;
}

/** Default headroom: room for Ethernet (14) + outer IPv6 (40) + an extension header, as VPP. */
export const DEFAULT_HEADROOM = 128;

/** Default large slot: 64 KiB of packet (the kernel's GSO_LEGACY_MAX_SIZE) plus headroom and Ethernet. */
export const DEFAULT_LARGE_SLOT = 65536 + 512;

/**
 * A fixed pool of packet buffers carved from one ArrayBuffer slab (Snabb's freelist).
 * `alloc` pops a free stack and returns null when exhausted (the data path counts it,
 * never throws); `free` resets metadata and pushes back. Every PacketBuffer object is
 * created up front, so steady-state forwarding allocates nothing.
 */
export class BufferPool {
  readonly slab: ArrayBuffer;
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly count: number;
  readonly slotSize: number;
  readonly headroom: number;
  readonly debug: boolean;
  /** Large buffers (`allocLarge`); their slot indices follow the `count` small ones. */
  readonly largeCount: number;
  readonly largeSlotSize: number;
  /** Every buffer by slot index. */
  readonly buffers: readonly PacketBuffer[];

  /** Counters: allocations, frees, failed allocations. */
  allocs = 0;
  frees = 0;
  exhausted = 0;
  /** Failed `allocLarge` calls. */
  largeExhausted = 0;

  private readonly freeStack: Int32Array;
  private freeTop: number;
  private readonly largeStack: Int32Array;
  private largeTop: number;

  constructor(opts: BufferPoolOptions = {}) {
    const count = opts.count ?? 8192;
    const slotSize = opts.slotSize ?? 2048;
    const headroom = opts.headroom ?? DEFAULT_HEADROOM;
    if (!Number.isInteger(count) || count < 1 || count > 1 << 20) {
      throw new ConfigError(`pool count must be an integer in 1..1048576, got ${count}`, { count });
    }
    if (!Number.isInteger(slotSize) || slotSize < 256 || slotSize > 65536 + headroom) {
      throw new ConfigError(
        `pool slotSize must be an integer in 256..65536+headroom, got ${slotSize}`,
        {
          slotSize,
        },
      );
    }
    if (!Number.isInteger(headroom) || headroom < 64 || headroom > slotSize - 128) {
      throw new ConfigError(
        `pool headroom must be an integer in 64..slotSize-128, got ${headroom}`,
        {
          headroom,
        },
      );
    }
    const largeCount = opts.largeCount ?? 0;
    const largeSlotSize = opts.largeSlotSize ?? DEFAULT_LARGE_SLOT;
    if (!Number.isInteger(largeCount) || largeCount < 0 || largeCount > 1 << 14) {
      throw new ConfigError(`pool largeCount must be an integer in 0..16384, got ${largeCount}`, {
        largeCount,
      });
    }
    if (!Number.isInteger(largeSlotSize) || largeSlotSize < slotSize || largeSlotSize > 65536 * 2) {
      throw new ConfigError(
        `pool largeSlotSize must be an integer in slotSize..131072, got ${largeSlotSize}`,
        { largeSlotSize },
      );
    }
    this.count = count;
    this.slotSize = slotSize;
    this.headroom = headroom;
    this.largeCount = largeCount;
    this.largeSlotSize = largeSlotSize;
    this.debug = opts.debug ?? false;
    this.slab = new ArrayBuffer(count * slotSize + largeCount * largeSlotSize);
    this.bytes = new Uint8Array(this.slab);
    this.dv = new DataView(this.slab, 0, this.slab.byteLength);
    const buffers: PacketBuffer[] = [];
    this.freeStack = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      buffers.push(new PacketBuffer(i, this.bytes, this.dv, i * slotSize, slotSize));
      this.freeStack[i] = count - 1 - i; // slot 0 is handed out first
    }
    this.largeStack = new Int32Array(largeCount);
    const largeBase = count * slotSize;
    for (let i = 0; i < largeCount; i++) {
      buffers.push(
        new PacketBuffer(
          count + i,
          this.bytes,
          this.dv,
          largeBase + i * largeSlotSize,
          largeSlotSize,
        ),
      );
      this.largeStack[i] = count + largeCount - 1 - i;
    }
    this.buffers = buffers;
    this.freeTop = count;
    this.largeTop = largeCount;
  }

  /** Buffers currently free. */
  get available(): number {
    return this.freeTop;
  }

  /** Buffers currently handed out (small and large). */
  get inUse(): number {
    return this.count - this.freeTop + this.largeCount - this.largeTop;
  }

  /** Large buffers currently free. */
  get largeAvailable(): number {
    return this.largeTop;
  }

  /** Largest packet a large buffer holds after the default headroom (0 without large buffers). */
  get maxLargePacket(): number {
    return this.largeCount === 0 ? 0 : this.largeSlotSize - this.headroom;
  }

  /** A large buffer (super-packets) with an empty packet at the default headroom, or null. */
  allocLarge(): PacketBuffer | null {
    if (this.largeTop === 0) {
      this.largeExhausted++;
      return null;
    }
    const pb = this.buffers[this.largeStack[--this.largeTop]!]!;
    pb.isFree = false;
    pb.start = pb.base + this.headroom;
    pb.end = pb.start;
    this.allocs++;
    return pb;
  }

  /** Largest packet a buffer holds after the default headroom. */
  get maxPacket(): number {
    return this.slotSize - this.headroom;
  }

  /** A buffer with an empty packet at the default headroom, or null when the pool is empty. */
  alloc(): PacketBuffer | null {
    if (this.freeTop === 0) {
      this.exhausted++;
      return null;
    }
    const pb = this.buffers[this.freeStack[--this.freeTop]!]!;
    pb.isFree = false;
    pb.start = pb.base + this.headroom;
    pb.end = pb.start;
    this.allocs++;
    return pb;
  }

  /** Returns a buffer to the pool. The caller must not touch it afterwards. */
  free(pb: PacketBuffer): void {
    if (pb.isFree) {
      if (this.debug) {
        throw new BufferOwnershipError(`double free of buffer ${pb.index}`, { index: pb.index });
      }
      return; // never corrupt the free stack, even without debug checks
    }
    pb.isFree = true;
    pb.clearMeta();
    if (this.debug) this.bytes.fill(0xdb, pb.base, pb.base + pb.capacity);
    if (pb.index >= this.count) this.largeStack[this.largeTop++] = pb.index;
    else this.freeStack[this.freeTop++] = pb.index;
    this.frees++;
  }

  /**
   * A copy of `src` in a new buffer with the same headroom, length and metadata
   * (fan-out: clone for every output but the last). Null when the pool is empty.
   */
  clone(src: PacketBuffer): PacketBuffer | null {
    const pb = src.index >= this.count ? this.allocLarge() : this.alloc();
    if (pb === null) return null;
    const headroom = src.start - src.base;
    pb.start = pb.base + headroom;
    pb.end = pb.start + (src.end - src.start);
    this.bytes.copyWithin(pb.start, src.start, src.end);
    pb.rxIf = src.rxIf;
    pb.txIf = src.txIf;
    pb.l3 = src.l3 < 0 ? -1 : src.l3 - src.start + pb.start;
    pb.l4 = src.l4 < 0 ? -1 : src.l4 - src.start + pb.start;
    pb.dlif = src.dlif;
    pb.table = src.table;
    pb.adjacency = src.adjacency;
    pb.tunnel = src.tunnel;
    pb.flags = src.flags;
    pb.traced = src.traced;
    pb.gsoType = src.gsoType;
    pb.gsoSize = src.gsoSize;
    pb.csumStart = src.csumStart < 0 ? -1 : src.csumStart - src.start + pb.start;
    pb.csumOffset = src.csumOffset;
    return pb;
  }

  /** Allocates a buffer and copies `frame` into it at the default headroom (tests, control plane). */
  fromBytes(frame: Uint8Array): PacketBuffer | null {
    if (frame.length > this.maxPacket) return null;
    const pb = this.alloc();
    if (pb === null) return null;
    this.bytes.set(frame, pb.start);
    pb.end = pb.start + frame.length;
    return pb;
  }

  /** A copy of the packet's bytes (tests, control plane). */
  toBytes(pb: PacketBuffer): Uint8Array {
    return this.bytes.slice(pb.start, pb.end);
  }
}
