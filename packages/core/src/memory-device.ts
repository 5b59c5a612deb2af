import type { BufferPool } from './buffer-pool.js';
import { type Device, type DeviceKind, type DeviceStats, emptyDeviceStats } from './device.js';
import { ConfigError } from './errors.js';
import type { PacketVector } from './packet-vector.js';

export interface MemoryDeviceOptions {
  name?: string;
  kind?: DeviceKind;
  mtu?: number;
  mac?: Uint8Array;
  /** Frames the receive ring holds (default 4096). */
  ringSize?: number;
  /** Largest frame a ring slot holds (default 2048). */
  slotSize?: number;
}

/**
 * An in-memory device for tests and benchmarks. Implements `Device`.
 *
 * Frames arrive through `inject()` (the test plays the far end) or from a peer device
 * (`MemoryDevice.pair()`), land in a preallocated ring, and `receive` copies them into
 * pool buffers. Transmitted frames go to the peer's ring, or to this device's own
 * outbox ring when unpaired, where `take()`/`drain()` collect them. Copies, but no
 * allocation per frame: the rings are fixed arenas.
 */
export class MemoryDevice implements Device {
  readonly name: string;
  readonly kind: DeviceKind;
  readonly mtu: number;
  readonly mac: Uint8Array | undefined;
  readonly stats: DeviceStats = emptyDeviceStats();

  /** Frames dropped because the receive ring was full. */
  ringDrops = 0;

  private peer: MemoryDevice | null = null;
  private readonly rx: FrameRing;
  private readonly outbox: FrameRing;
  private readableCb: (() => void) | null = null;
  private notifyScheduled = false;
  private closed = false;

  constructor(opts: MemoryDeviceOptions = {}) {
    this.name = opts.name ?? 'mem0';
    this.kind = opts.kind ?? 'ethernet';
    this.mtu = opts.mtu ?? 1500;
    this.mac = this.kind === 'ethernet' ? (opts.mac ?? Uint8Array.of(2, 0, 0, 0, 0, 1)) : undefined;
    const ringSize = opts.ringSize ?? 4096;
    const slotSize = opts.slotSize ?? 2048;
    this.rx = new FrameRing(ringSize, slotSize);
    this.outbox = new FrameRing(ringSize, slotSize);
  }

  /** Two devices wired back to back: what one transmits, the other receives. */
  static pair(
    a: MemoryDeviceOptions = {},
    b: MemoryDeviceOptions = {},
  ): [MemoryDevice, MemoryDevice] {
    const da = new MemoryDevice({ name: 'mem-a', ...a });
    const db = new MemoryDevice({ name: 'mem-b', mac: Uint8Array.of(2, 0, 0, 0, 0, 2), ...b });
    da.peer = db;
    db.peer = da;
    return [da, db];
  }

  /** Frames waiting to be received. */
  get pendingRx(): number {
    return this.rx.count;
  }

  /** Queues a frame as if it arrived on the wire; false (and counted) when the ring is full. */
  inject(frame: Uint8Array, off = 0, len = frame.length - off): boolean {
    if (this.closed) return false;
    if (!this.rx.put(frame, off, len)) {
      this.ringDrops++;
      return false;
    }
    this.scheduleNotify();
    return true;
  }

  receive(pool: BufferPool, out: PacketVector, max: number): number {
    let n = 0;
    const ring = this.rx;
    while (n < max && ring.count > 0 && out.length < out.capacity) {
      const len = ring.headLength();
      if (len > pool.maxPacket) {
        ring.dropHead();
        this.stats.rxTruncated++;
        continue;
      }
      const pb = pool.alloc();
      if (pb === null) {
        this.stats.rxNoBuffer++;
        break;
      }
      ring.takeHead(pool.bytes, pb.start);
      pb.end = pb.start + len;
      out.items[out.length++] = pb;
      this.stats.rxPackets++;
      this.stats.rxBytes += len;
      n++;
    }
    return n;
  }

  transmit(v: PacketVector): number {
    let sent = 0;
    const target = this.peer !== null ? this.peer : null;
    for (let i = 0; i < v.length; i++) {
      const pb = v.items[i]!;
      const len = pb.end - pb.start;
      let ok: boolean;
      if (target !== null) ok = target.inject(pb.bytes, pb.start, len);
      else ok = this.outbox.put(pb.bytes, pb.start, len);
      if (ok) {
        sent++;
        this.stats.txPackets++;
        this.stats.txBytes += len;
      } else {
        this.stats.txDropped++;
      }
    }
    return sent;
  }

  /** Frames transmitted by an unpaired device, as copies (tests). */
  take(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.outbox.count > 0) {
      const buf = new Uint8Array(this.outbox.headLength());
      this.outbox.takeHead(buf, 0);
      out.push(buf);
    }
    return out;
  }

  /** Discards transmitted frames of an unpaired device, or received ones of a paired sink; returns how many. */
  drain(): number {
    let n = 0;
    while (this.outbox.count > 0) {
      this.outbox.dropHead();
      n++;
    }
    while (this.rx.count > 0) {
      this.rx.dropHead();
      n++;
    }
    return n;
  }

  onReadable(cb: () => void): void {
    this.readableCb = cb;
    if (this.rx.count > 0) this.scheduleNotify();
  }

  offReadable(): void {
    this.readableCb = null;
  }

  close(): void {
    this.closed = true;
    this.readableCb = null;
  }

  private scheduleNotify(): void {
    if (this.readableCb === null || this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      // level-triggered: keep calling while frames wait
      while (this.readableCb !== null && this.rx.count > 0) {
        const before = this.rx.count;
        this.readableCb();
        if (this.rx.count >= before) break; // the consumer made no progress (pool empty)
      }
    });
  }
}

/** A ring of fixed-size frame slots in one arena. */
class FrameRing {
  readonly arena: Uint8Array;
  readonly lengths: Uint32Array;
  readonly slots: number;
  readonly slotSize: number;
  head = 0;
  count = 0;

  constructor(slots: number, slotSize: number) {
    if (!Number.isInteger(slots) || slots < 1) {
      throw new ConfigError(`ring size must be a positive integer, got ${slots}`);
    }
    this.slots = slots;
    this.slotSize = slotSize;
    this.arena = new Uint8Array(slots * slotSize);
    this.lengths = new Uint32Array(slots);
  }

  put(src: Uint8Array, off: number, len: number): boolean {
    if (this.count === this.slots || len > this.slotSize) return false;
    const slot = (this.head + this.count) % this.slots;
    copyBytes(src, off, this.arena, slot * this.slotSize, len);
    this.lengths[slot] = len;
    this.count++;
    return true;
  }

  headLength(): number {
    return this.lengths[this.head]!;
  }

  takeHead(dst: Uint8Array, dstOff: number): void {
    const base = this.head * this.slotSize;
    copyBytes(this.arena, base, dst, dstOff, this.lengths[this.head]!);
    this.dropHead();
  }

  dropHead(): void {
    this.head = (this.head + 1) % this.slots;
    this.count--;
  }
}

/** Byte copy without creating typed-array views (no allocation per frame). */
function copyBytes(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  len: number,
): void {
  for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
}
