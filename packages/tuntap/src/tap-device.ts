/**
 * `TunTapNetDevice`: a TAP or TUN queue as a `Device` of the packet core.
 *
 * Receive reads a batch straight into pool buffers at their headroom offset (no copy):
 * the device keeps a small reserve of buffers allocated from the pool, hands their
 * offsets to `readBatch`, and passes on the ones that were filled; the rest stay in
 * reserve for the next breath, so an idle poll costs no alloc/free churn. Transmit
 * hands the vector's offsets and lengths to `writeBatch` in one native call.
 */
import {
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

/** Implements `Device` over one TAP/TUN queue. */
export class TunTapNetDevice implements Device {
  readonly dev: TunTapDevice;
  readonly kind: DeviceKind;
  readonly name: string;

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
    const reserve = this.reserve;
    const offsets = this.rxOffsets;
    // top up the reserve to `want` buffers
    while (this.reserveCount < want) {
      const pb = pool.alloc();
      if (pb === null) break;
      reserve[this.reserveCount++] = pb;
    }
    if (this.reserveCount < want) {
      this.counters.rxNoBuffer++;
      want = this.reserveCount;
      if (want === 0) return 0;
    }
    for (let i = 0; i < want; i++) offsets[i] = reserve[i]!.start;
    const got = this.dev.readBatch(offsets, pool.maxPacket, this.rxLengths, want);
    const lengths = this.rxLengths;
    let bytes = 0;
    for (let i = 0; i < got; i++) {
      const pb = reserve[i]!;
      const len = lengths[i]!;
      pb.end = pb.start + len;
      bytes += len;
      out.items[out.length++] = pb;
    }
    // keep the unfilled buffers at the front of the reserve
    let k = 0;
    for (let i = got; i < this.reserveCount; i++) {
      reserve[k++] = reserve[i]!;
      reserve[i] = null;
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
    for (let i = 0; i < count; i++) {
      const pb = v.items[i]!;
      offsets[i] = pb.start;
      lengths[i] = pb.end - pb.start;
    }
    const done = this.dev.writeBatch(offsets, lengths, count);
    let bytes = 0;
    for (let i = 0; i < done; i++) bytes += lengths[i]!;
    this.counters.txPackets += done;
    this.counters.txBytes += bytes;
    this.counters.txDropped += v.length - done;
    return done;
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
