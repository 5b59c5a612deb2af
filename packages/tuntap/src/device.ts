/**
 * TAP and TUN devices (Linux, Documentation/networking/tuntap.rst).
 *
 * A device object is one queue of a TAP (Ethernet frames) or TUN (IP packets) netdev,
 * opened non-blocking with IFF_NO_PI, so a frame read or written is exactly the Ethernet
 * frame (TAP) or the IP packet (TUN), with nothing in front.
 *
 * Data path: `attachSlab` once (the packet pool's ArrayBuffer), then `readBatch` /
 * `writeBatch` move many frames per call directly between the kernel and the slab at the
 * offsets the caller chooses, with no copy and no allocation. `onReadable` calls back once
 * per libuv readiness event; the callback drains with `readBatch`.
 *
 * Control plane: name, ifindex, MAC (TAP), MTU, up, persistence, and `moveToNetns` to hand
 * the netdev to another network namespace while this process keeps the queue.
 */
import { Buffer } from 'node:buffer';
import { DmmError } from '@dmm/core';
import { TuntapErrorCode } from './errors.js';
import { checkUnicastMac, formatMacAddress, parseMacAddress } from './mac.js';
import { nativeBinding, type NativeDevice, type NativeStats } from './native.js';

/** Options for opening or creating a device. */
export interface TunTapOptions {
  /**
   * Interface name, at most 15 bytes (IFNAMSIZ - 1). An existing device of the same kind is
   * opened (attached to), a missing one is created. A `%d` in the name lets the kernel pick
   * the number; without a name the kernel picks `tapN` / `tunN`.
   */
  name?: string;
  /** IFF_MULTI_QUEUE: each object opened on the name is one more queue. */
  multiQueue?: boolean;
  /** TUNSETPERSIST: the netdev stays after the last queue is closed. */
  persist?: boolean;
  /** IFF_TUN_EXCL: fail with NAME_IN_USE if the name exists instead of attaching. */
  exclusive?: boolean;
  /**
   * Offloads: IFF_VNET_HDR puts a 10-byte struct virtio_net_hdr (<linux/virtio_net.h>,
   * little-endian, TUNSETVNETHDRSZ/TUNSETVNETLE) in front of every frame read and
   * written, and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO6) lets the kernel hand over TCP/IPv6
   * super-packets of up to 64 KB with partial checksums and take them back. `readBatch` /
   * `writeBatch` then move the header with each frame (point the offsets 10 bytes early).
   */
  vnetHdr?: boolean;
}

/**
 * Native counters of one device object.
 * - `reads` / `writes`: batch calls; `readFrames` / `writeFrames`: frames moved.
 * - `readEagain` / `writeEagain`: batches ended because the kernel said "try again".
 * - `readTruncated`: frames longer than `capacity`, dropped.
 * - `writeErrors`: frames the kernel refused (skipped); `lastWriteErrno` says why.
 * - `pollReadable` / `pollWritable`: readiness callbacks delivered.
 */
export type TunTapStats = NativeStats;

/** Readiness callback; `err` (DEVICE_GONE) when the kernel reported an error on the fd. */
export type ReadinessCallback = (err?: DmmError) => void;

const IFNAMSIZ = 16;
/** sizeof(struct virtio_net_hdr) (<linux/virtio_net.h>). */
export const VNET_HDR_SIZE = 10;

function badArgument(message: string, details: Record<string, unknown> = {}): DmmError {
  return new DmmError(TuntapErrorCode.BadArgument, message, details);
}

/** Throws BAD_ARGUMENT unless `name` is a valid Linux interface name (dev_valid_name). */
export function checkInterfaceName(name: string): void {
  if (typeof name !== 'string') throw badArgument('interface name must be a string');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > IFNAMSIZ - 1) {
    throw badArgument(
      `interface name ${JSON.stringify(name)} is ${bytes} bytes, longer than ${IFNAMSIZ - 1}`,
      { name, bytes, max: IFNAMSIZ - 1 },
    );
  }
  if (name === '.' || name === '..' || /[/:\s\0]/.test(name)) {
    throw badArgument(`interface name ${JSON.stringify(name)} is not valid`, { name });
  }
}

/** What Tap and Tun share: one queue of a TAP/TUN netdev. */
export abstract class TunTapDevice {
  /** `tap` (Ethernet frames) or `tun` (IP packets). */
  readonly kind: 'tap' | 'tun';
  /** Bytes of virtio-net header in front of every frame: 10 with `vnetHdr`, else 0. */
  readonly vnetHdrSize: number;
  protected readonly native: NativeDevice;

  protected constructor(kind: 'tap' | 'tun', options: TunTapOptions) {
    if (options.name !== undefined && options.name !== '') checkInterfaceName(options.name);
    const { Device } = nativeBinding();
    this.kind = kind;
    this.native = new Device({
      name: options.name ?? '',
      tap: kind === 'tap',
      multiQueue: options.multiQueue === true,
      persist: options.persist === true,
      exclusive: options.exclusive === true,
      vnetHdr: options.vnetHdr === true,
    });
    this.vnetHdrSize = options.vnetHdr === true ? VNET_HDR_SIZE : 0;
  }

  /** The interface name now (read from the kernel, so a rename is seen). */
  get name(): string {
    return this.native.getName();
  }

  /** The interface index in the namespace the device is in now. */
  get ifindex(): number {
    return this.native.getIfindex();
  }

  /** The queue file descriptor (non-blocking). Owned by this object. */
  get fd(): number {
    return this.native.getFd();
  }

  get mtu(): number {
    return this.native.getMtu();
  }

  /** SIOCSIFMTU; BAD_ARGUMENT outside the device's range (68..65535). */
  set mtu(v: number) {
    if (!Number.isInteger(v) || v < 0) throw badArgument(`bad MTU ${v}`, { mtu: v });
    this.native.setMtu(v);
  }

  /** IFF_UP. */
  get up(): boolean {
    return this.native.getUp();
  }

  set up(v: boolean) {
    this.native.setUp(v === true);
  }

  /** TUNSETPERSIST: whether the netdev outlives its last open queue. */
  get persist(): boolean {
    return this.native.getPersist();
  }

  set persist(v: boolean) {
    this.native.setPersist(v === true);
  }

  /** The named namespace the netdev was moved to, or null while it is where it was opened. */
  get netns(): string | null {
    return this.native.getNetns();
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.native.isClosed();
  }

  /**
   * Moves the netdev into the network namespace `/var/run/netns/<name>` (rtnetlink
   * RTM_NEWLINK with IFLA_NET_NS_FD). This object keeps its queue; MAC/MTU/up keep working
   * through a control socket made inside that namespace. The kernel takes the device down
   * while moving it. DEVICE_GONE if the namespace does not exist, NAME_IN_USE if it has a
   * device with this name.
   */
  moveToNetns(name: string): void {
    this.native.moveToNetns(name);
  }

  /**
   * Sets the ArrayBuffer that `readBatch` reads into and `writeBatch` writes from (the packet
   * pool's slab). Keeps it alive until `close()` or the next `attachSlab`.
   */
  attachSlab(ab: ArrayBuffer): void {
    this.native.attachSlab(ab);
  }

  /**
   * Reads up to `max` frames, one readv(2) each, until the queue is empty: frame i goes to
   * `slab[offsets[i] .. offsets[i] + lengths[i])`, at most `capacity` bytes. Returns how many
   * frames were read (0 if none was waiting). Frames longer than `capacity` are dropped and
   * counted in `stats().readTruncated`. BAD_ARGUMENT (once per call, before any read) if no
   * slab is attached or some `offsets[i] + capacity` for i < max is outside the slab.
   */
  readBatch(offsets: Uint32Array, capacity: number, lengths: Uint32Array, max: number): number {
    return this.native.readBatch(offsets, capacity, lengths, max);
  }

  /**
   * Writes frames 0..count-1 (`slab[offsets[i] .. offsets[i] + lengths[i])`), one write(2)
   * each, in one native call. Returns how many frames are finished: `[0, n)` were sent, or
   * refused by the kernel and skipped (counted in `stats().writeErrors`); `[n, count)` were
   * not tried because the kernel said "try again" (EAGAIN/ENOBUFS) — wait for `onWritable`.
   */
  writeBatch(offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    return this.native.writeBatch(offsets, lengths, count);
  }

  /**
   * Calls `cb` once per readiness event while frames wait to be read (level-triggered:
   * drain with `readBatch` until it returns less than `max`, or the callback comes again).
   * Replaces any previous readable callback. An active poll keeps the process alive unless
   * `unref()` was called.
   */
  onReadable(cb: ReadinessCallback): void {
    this.native.onReadable(cb);
  }

  offReadable(): void {
    this.native.offReadable();
  }

  /**
   * Calls `cb` once per loop iteration while the kernel accepts frames. A TAP/TUN queue is
   * writable whenever the device is up (and never while it is down), so register this only
   * while frames wait for `writeBatch`.
   */
  onWritable(cb: ReadinessCallback): void {
    this.native.onWritable(cb);
  }

  offWritable(): void {
    this.native.offWritable();
  }

  /** Lets polling keep the event loop alive (the default). */
  ref(): void {
    this.native.ref();
  }

  /** Polling no longer keeps the event loop alive. */
  unref(): void {
    this.native.unref();
  }

  /** A snapshot of the native counters. */
  stats(): TunTapStats {
    return this.native.stats();
  }

  /**
   * Stops polling, closes the queue and the control socket, releases the slab. Idempotent
   * and safe inside a readiness callback. The netdev disappears with its last queue unless
   * it is persistent. Any later call but `close`, `closed`, `netns` and `stats` throws
   * DEVICE_GONE with `details.closed === true`.
   */
  close(): void {
    this.native.close();
  }
}

/** A TAP device: Ethernet frames. Implements the common device surface. */
export class Tap extends TunTapDevice {
  constructor(options: TunTapOptions = {}) {
    super('tap', options);
  }

  /** The device's MAC address, as a new 6-byte array. */
  get mac(): Uint8Array {
    return this.native.getMac();
  }

  /** SIOCSIFHWADDR; BAD_ARGUMENT unless 6 bytes of a non-zero unicast address. */
  set mac(v: Uint8Array) {
    checkUnicastMac(v);
    this.native.setMac(v);
  }

  /** The MAC as `aa:bb:cc:dd:ee:ff`. */
  get macString(): string {
    return formatMacAddress(this.native.getMac());
  }

  set macString(v: string) {
    this.mac = parseMacAddress(v);
  }
}

/** A TUN device: IP packets, no link-layer header, no MAC. */
export class Tun extends TunTapDevice {
  constructor(options: TunTapOptions = {}) {
    super('tun', options);
  }
}
