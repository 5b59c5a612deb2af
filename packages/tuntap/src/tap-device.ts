/**
 * `TunTapNetDevice`: a TAP or TUN queue as a `Device` of the packet core.
 *
 * Receive reads a batch straight into pool buffers at their headroom offset (no copy):
 * the device keeps a small reserve of buffers allocated from the pool, hands their
 * offsets to `readBatch`, and passes on the ones that were filled; the rest stay in
 * reserve for the next breath, so an idle poll costs no alloc/free churn. Transmit
 * hands the vector's offsets and lengths to `writeBatch` in one native call.
 *
 * With offloads (a device opened with `vnetHdr`) every frame travels with a 10-byte
 * virtio-net header (<linux/virtio_net.h>, little-endian). It is read into and written
 * from the 10 bytes of headroom just in front of the packet, so the frame itself stays
 * where it was and nothing is copied: receive turns the header into the buffer's offload
 * metadata (super-packet type and segment size, partial checksum start and offset), and
 * transmit writes the metadata back as a header. Offload devices read into the pool's
 * large buffers (super-packets are up to 64 KB).
 */
import {
  GsoType,
  VirtioNetFlag,
  type BufferPool,
  type Device,
  type DeviceKind,
  type DeviceStats,
  type PacketBuffer,
  type PacketVector,
  VECTOR_SIZE,
  emptyDeviceStats,
} from '@dmm/core';
import type { Tap, TunTapDevice } from './device.js';

/**
 * Frames read per breath on an offload device: each takes a large (64 KB) buffer, so the
 * reserve stays small; one breath still moves up to 64 super-packets (~4 MB).
 */
const OFFLOAD_RX_BATCH = 64;

/** Implements `Device` over one TAP/TUN queue. */
export class TunTapNetDevice implements Device {
  readonly dev: TunTapDevice;
  readonly kind: DeviceKind;
  readonly name: string;
  /** The device carries a virtio-net header (TUNSETOFFLOAD): super-packets both ways. */
  readonly offload: boolean;

  private readonly vnetLen: number;
  private readonly counters: DeviceStats = emptyDeviceStats();
  private readonly reserve: (PacketBuffer | null)[] = new Array<PacketBuffer | null>(
    VECTOR_SIZE,
  ).fill(null);
  private reserveCount = 0;
  private reservePool: BufferPool | null = null;
  private attachedSlab: ArrayBuffer | null = null;
  private readonly rxOffsets = new Uint32Array(VECTOR_SIZE);
  private readonly rxLengths = new Uint32Array(VECTOR_SIZE);
  private readonly txOffsets = new Uint32Array(VECTOR_SIZE);
  private readonly txLengths = new Uint32Array(VECTOR_SIZE);
  private cachedMac: Uint8Array | undefined;

  constructor(dev: TunTapDevice) {
    this.dev = dev;
    this.kind = dev.kind === 'tap' ? 'ethernet' : 'ip';
    this.name = dev.name;
    this.vnetLen = dev.vnetHdrSize;
    this.offload = this.vnetLen > 0;
    this.cachedMac = dev.kind === 'tap' ? (dev as Tap).mac : undefined;
  }

  get mtu(): number {
    return this.dev.mtu;
  }

  /** The MAC read when the device was wrapped (or after `refreshMac`). */
  get mac(): Uint8Array | undefined {
    return this.cachedMac;
  }

  /** Re-reads the MAC from the kernel after a change. */
  refreshMac(): void {
    if (this.dev.kind === 'tap') this.cachedMac = (this.dev as Tap).mac;
  }

  get stats(): DeviceStats {
    if (!this.dev.closed) {
      const n = this.dev.stats();
      this.counters.rxTruncated = n.readTruncated;
    }
    return this.counters;
  }

  receive(pool: BufferPool, out: PacketVector, max: number): number {
    if (this.reservePool !== pool) this.attach(pool);
    let want = max;
    const room = out.capacity - out.length;
    if (want > room) want = room;
    if (want > VECTOR_SIZE) want = VECTOR_SIZE;
    const vnet = this.vnetLen;
    if (vnet > 0 && want > OFFLOAD_RX_BATCH) want = OFFLOAD_RX_BATCH;
    const reserve = this.reserve;
    const offsets = this.rxOffsets;
    // top up the reserve to `want` buffers
    while (this.reserveCount < want) {
      const pb = vnet > 0 ? pool.allocLarge() : pool.alloc();
      if (pb === null) break;
      reserve[this.reserveCount++] = pb;
    }
    if (this.reserveCount < want) {
      this.counters.rxNoBuffer++;
      want = this.reserveCount;
      if (want === 0) return 0;
    }
    // with offloads the header lands in the headroom just before the frame
    for (let i = 0; i < want; i++) offsets[i] = reserve[i]!.start - vnet;
    const capacity = vnet > 0 ? pool.maxLargePacket + vnet : pool.maxPacket;
    const got = this.dev.readBatch(offsets, capacity, this.rxLengths, want);
    const lengths = this.rxLengths;
    let bytes = 0;
    // large buffers whose frame was copied out stay in the reserve, at its front
    let k = 0;
    for (let i = 0; i < got; i++) {
      const pb = reserve[i]!;
      // the kernel always writes the whole header (tun_put_user)
      const len = lengths[i]! - vnet;
      pb.end = pb.start + len;
      bytes += len;
      if (vnet > 0) {
        this.readVnetHeader(pb);
        if (pb.gsoType === GsoType.None && len <= pool.maxPacket) {
          const small = this.copyBreak(pool, pb);
          if (small !== null) {
            reserve[k++] = pb;
            out.items[out.length++] = small;
            continue;
          }
        }
      }
      out.items[out.length++] = pb;
    }
    // keep the unfilled buffers at the front of the reserve, after the recycled ones
    for (let i = got; i < this.reserveCount; i++) {
      if (k !== i) {
        reserve[k] = reserve[i]!;
        reserve[i] = null;
      }
      k++;
    }
    for (let i = k; i < got; i++) reserve[i] = null;
    this.reserveCount = k;
    this.counters.rxPackets += got;
    this.counters.rxBytes += bytes;
    return got;
  }

  transmit(v: PacketVector): number {
    if (v.length === 0) return 0;
    const slab = v.items[0]!.bytes.buffer as ArrayBuffer;
    if (this.attachedSlab !== slab) {
      // a packet pool's slab; normally attached by the first receive already
      this.dev.attachSlab(slab);
      this.attachedSlab = slab;
    }
    const offsets = this.txOffsets;
    const lengths = this.txLengths;
    const count = v.length < VECTOR_SIZE ? v.length : VECTOR_SIZE;
    const vnet = this.vnetLen;
    for (let i = 0; i < count; i++) {
      const pb = v.items[i]!;
      if (vnet > 0) {
        if (pb.start - vnet < pb.base) {
          // no room for the header (never with the pool's headroom): a zero-length write,
          // which the kernel refuses (EINVAL) and the native counters record
          offsets[i] = pb.start;
          lengths[i] = 0;
          continue;
        }
        this.writeVnetHeader(pb);
      }
      offsets[i] = pb.start - vnet;
      lengths[i] = pb.end - pb.start + vnet;
    }
    const done = this.dev.writeBatch(offsets, lengths, count);
    let bytes = 0;
    for (let i = 0; i < done; i++) bytes += lengths[i]! - vnet;
    this.counters.txPackets += done;
    this.counters.txBytes += bytes;
    this.counters.txDropped += v.length - done;
    return done;
  }

  /**
   * struct virtio_net_hdr at `pb.start - 10` → offload metadata. Only NEEDS_CSUM and
   * gso_type matter to a router; DATA_VALID (checksum already verified) is dropped, and
   * hdr_len is a hint the segment length is recomputed from (gso.ts).
   */
  /**
   * A frame that is no super-packet and fits a regular buffer is copied into one, and its
   * large buffer goes back to the reserve (what NIC drivers call rx copybreak): a stream of
   * small datagrams then cycles a few large buffers instead of handing one 64 KB slot per
   * frame down the graph. Null when the pool has no regular buffer left (the frame then
   * stays where it is).
   */
  private copyBreak(pool: BufferPool, big: PacketBuffer): PacketBuffer | null {
    const small = pool.alloc();
    if (small === null) return null;
    const len = big.end - big.start;
    // both live in the pool's one slab
    big.bytes.copyWithin(small.start, big.start, big.end);
    small.end = small.start + len;
    if (big.csumStart >= 0) {
      small.csumStart = big.csumStart - big.start + small.start;
      small.csumOffset = big.csumOffset;
    }
    big.clearOffload();
    this.counters.rxCopied++;
    return small;
  }

  private readVnetHeader(pb: PacketBuffer): void {
    const dv = pb.dv;
    const h = pb.start - 10;
    const flags = pb.bytes[h]!;
    const gsoType = pb.bytes[h + 1]!;
    if ((flags & VirtioNetFlag.NeedsCsum) !== 0) {
      pb.csumStart = pb.start + dv.getUint16(h + 6, true);
      pb.csumOffset = dv.getUint16(h + 8, true);
      this.counters.rxCsumPartial++;
    }
    if (gsoType !== GsoType.None) {
      pb.gsoType = gsoType;
      pb.gsoSize = dv.getUint16(h + 4, true);
      this.counters.rxGso++;
    }
  }

  /** Offload metadata → struct virtio_net_hdr at `pb.start - 10` (all zero for a plain frame). */
  private writeVnetHeader(pb: PacketBuffer): void {
    const b = pb.bytes;
    const dv = pb.dv;
    const h = pb.start - 10;
    const cs = pb.csumStart;
    if (cs < 0 && pb.gsoType === 0) {
      dv.setUint32(h, 0);
      dv.setUint32(h + 4, 0);
      dv.setUint16(h + 8, 0);
      return;
    }
    b[h] = cs >= 0 ? VirtioNetFlag.NeedsCsum : 0;
    b[h + 1] = pb.gsoType;
    let hdrLen = 0;
    if (pb.gsoType !== 0 && cs >= 0) {
      // hdr_len: link + network + TCP headers (virtio spec §5.1.6.2)
      hdrLen = cs + ((b[cs + 12]! >>> 4) << 2) - pb.start;
      this.counters.txGso++;
    } else if (cs >= 0) {
      hdrLen = cs + pb.csumOffset + 2 - pb.start;
    }
    dv.setUint16(h + 2, hdrLen, true);
    dv.setUint16(h + 4, pb.gsoSize, true);
    dv.setUint16(h + 6, cs >= 0 ? cs - pb.start : 0, true);
    dv.setUint16(h + 8, cs >= 0 ? pb.csumOffset : 0, true);
  }

  onReadable(cb: () => void): void {
    this.dev.onReadable(() => cb());
  }

  offReadable(): void {
    this.dev.offReadable();
  }

  /** Returns reserved buffers to the pool and closes the queue. Idempotent. */
  close(): void {
    const pool = this.reservePool;
    if (pool !== null) {
      for (let i = 0; i < this.reserveCount; i++) {
        pool.free(this.reserve[i]!);
        this.reserve[i] = null;
      }
      this.reserveCount = 0;
    }
    this.dev.close();
  }

  private attach(pool: BufferPool): void {
    if (this.reservePool !== null && this.reservePool !== pool) {
      for (let i = 0; i < this.reserveCount; i++) this.reservePool.free(this.reserve[i]!);
      this.reserveCount = 0;
    }
    this.reservePool = pool;
    if (this.attachedSlab !== pool.slab) {
      this.dev.attachSlab(pool.slab);
      this.attachedSlab = pool.slab;
    }
  }
}
