import type { BufferPool } from './buffer-pool.js';
import type { PacketVector } from './packet-vector.js';

/** What a device carries: Ethernet frames (TAP) or bare IP packets (TUN). */
export type DeviceKind = 'ethernet' | 'ip';

/** Counters every device keeps. */
export interface DeviceStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Frames the device could not take on transmit (queue full, kernel refused). */
  txDropped: number;
  /** Received frames that did not fit a buffer. */
  rxTruncated: number;
  /** Receive attempts that found no free buffer in the pool. */
  rxNoBuffer: number;
  /** TCP super-packets received (offload devices: virtio-net gso_type set). */
  rxGso: number;
  /** Received packets whose upper-layer checksum was left partial (NEEDS_CSUM). */
  rxCsumPartial: number;
  /**
   * Frames read into a large buffer (offload devices) and copied into a regular one, the
   * large one kept for the next read (rx copybreak; not a drop).
   */
  rxCopied: number;
  /** Super-packets sent as such (offload devices). */
  txGso: number;
}

/** A fresh, zeroed stats record. */
export function emptyDeviceStats(): DeviceStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    txDropped: 0,
    rxTruncated: 0,
    rxNoBuffer: 0,
    rxGso: 0,
    rxCsumPartial: 0,
    rxCopied: 0,
    txGso: 0,
  };
}

/**
 * A packet device: the link layer under an interface. Implemented by TAP/TUN devices
 * (`@dmm/tuntap`) and by `MemoryDevice` for tests (gVisor's LinkEndpoint, in our terms).
 *
 * Ownership: `receive` hands the caller freshly allocated buffers; `transmit` reads the
 * buffers of the vector and leaves them to the caller, who frees them.
 */
export interface Device {
  readonly name: string;
  readonly kind: DeviceKind;
  /** Link MTU (IPv6 payload + header, without the Ethernet header). */
  readonly mtu: number;
  /**
   * True when the device exchanges offload metadata with its link (a TAP with the
   * virtio-net header): it may deliver TCP super-packets and partial checksums, which need
   * large buffers (`BufferPoolOptions.largeCount`), and it takes them back on transmit.
   * Packets with offload metadata leaving any other device are segmented and checksummed
   * in software first (gso.ts).
   */
  readonly offload?: boolean;
  /** MAC address of an Ethernet device (6 bytes); undefined for `ip` devices. */
  readonly mac: Uint8Array | undefined;
  readonly stats: DeviceStats;

  /**
   * Reads up to `max` frames into buffers allocated from `pool`, appending them to
   * `out`; returns how many. Never blocks, never throws for packet-level problems.
   */
  receive(pool: BufferPool, out: PacketVector, max: number): number;

  /** Writes `v.items[0 .. v.length)`; returns how many the device took. */
  transmit(v: PacketVector): number;

  /** Calls `cb` whenever frames are waiting (level-triggered); replaces a previous `cb`. */
  onReadable(cb: () => void): void;
  offReadable(): void;

  /** Releases the device; idempotent. */
  close(): void;
}
