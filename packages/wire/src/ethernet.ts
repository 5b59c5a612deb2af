/**
 * Ethernet II frame header — IEEE 802.3 §3.2 (Length/Type field used as a Type, RFC 894),
 * carrying IPv6 per RFC 2464 (EtherType 0x86dd, multicast MAC 33:33:xx:xx:xx:xx in §7).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Destination MAC address (48)                   |   0
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |   4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                   Source MAC address (48)                     |   8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           EtherType           |   payload ...                    12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * No preamble, no FCS: TAP devices hand over frames without them. A Type value below
 * 0x0600 is an IEEE 802.3 length (an LLC frame, not Ethernet II); the view reads it as is
 * and leaves the decision to the classifier.
 */
import { WireCheck } from './check.js';
import { ensureOk } from './errors.js';
import { copy6, copyMac, formatMac, isMacMulticast, macEquals } from './address.js';
import { EtherType } from './proto.js';
import type { HeaderView, ReprCodec } from './view.js';

const F = { DST: 0, SRC: 6, TYPE: 12 } as const;

/** Length of the Ethernet II header (two MACs and the EtherType). */
export const ETH_HEADER_LEN = F.TYPE + 2;
/** Field offsets, for assertBytes layouts and in-place code. */
export const ETH_FIELDS = F;

/** Read-only surface of an Ethernet header view. */
export interface EthernetReader {
  readonly off: number;
  etherType(): number;
  dstOffset(): number;
  srcOffset(): number;
  /** Offset of the first payload byte (the IPv6 header for EtherType 0x86dd). */
  payloadOffset(): number;
  dstEquals(mac: Uint8Array, macOff?: number): boolean;
  srcEquals(mac: Uint8Array, macOff?: number): boolean;
  /** Group bit of the destination (multicast or broadcast). */
  isDstMulticast(): boolean;
}

/** View of an Ethernet II header. Implements `HeaderView`. */
export class EthernetView implements HeaderView, EthernetReader {
  bytes: Uint8Array;
  dv: DataView;
  off: number;
  end: number;

  constructor(bytes: Uint8Array, dv: DataView, off = 0, end = bytes.length) {
    this.bytes = bytes;
    this.dv = dv;
    this.off = off;
    this.end = end;
  }

  /** Re-points this view (flyweight use in loops). */
  at(off: number, end: number): this {
    this.off = off;
    this.end = end;
    return this;
  }

  /** Ok when the 14 header bytes are present. No setter voids it. */
  check(): number {
    if (this.end - this.off < ETH_HEADER_LEN) return WireCheck.Truncated;
    return WireCheck.Ok;
  }

  etherType(): number {
    return this.dv.getUint16(this.off + F.TYPE);
  }
  dstOffset(): number {
    return this.off + F.DST;
  }
  srcOffset(): number {
    return this.off + F.SRC;
  }
  payloadOffset(): number {
    return this.off + ETH_HEADER_LEN;
  }
  dstEquals(mac: Uint8Array, macOff = 0): boolean {
    return macEquals(this.bytes, this.off + F.DST, mac, macOff);
  }
  srcEquals(mac: Uint8Array, macOff = 0): boolean {
    return macEquals(this.bytes, this.off + F.SRC, mac, macOff);
  }
  isDstMulticast(): boolean {
    return isMacMulticast(this.bytes, this.off + F.DST);
  }

  setDst(mac: Uint8Array, macOff = 0): void {
    copy6(mac, macOff, this.bytes, this.off + F.DST);
  }
  setSrc(mac: Uint8Array, macOff = 0): void {
    copy6(mac, macOff, this.bytes, this.off + F.SRC);
  }
  setEtherType(v: number): void {
    this.dv.setUint16(this.off + F.TYPE, v);
  }
  /** Copies the destination MAC into `out[outOff..+6)` without allocating. */
  copyDstInto(out: Uint8Array, outOff = 0): void {
    copy6(this.bytes, this.off + F.DST, out, outOff);
  }
  /** Copies the source MAC into `out[outOff..+6)` without allocating. */
  copySrcInto(out: Uint8Array, outOff = 0): void {
    copy6(this.bytes, this.off + F.SRC, out, outOff);
  }
}

/** The meaning of an Ethernet II header. MACs are 6-byte copies. */
export interface EthernetRepr {
  dst: Uint8Array;
  src: Uint8Array;
  etherType: number;
}

export const Ethernet: ReprCodec<EthernetRepr, EthernetView> = {
  bufferLen: () => ETH_HEADER_LEN,
  parse(v) {
    ensureOk('ethernet', v.check());
    return {
      dst: copyMac(v.bytes, v.dstOffset()),
      src: copyMac(v.bytes, v.srcOffset()),
      etherType: v.etherType(),
    };
  },
  emit(r, v) {
    v.setDst(r.dst);
    v.setSrc(r.src);
    v.setEtherType(r.etherType);
  },
};

const ETHER_TYPE_NAMES = new Map<number, string>(
  Object.entries(EtherType).map(([k, v]) => [v, k.toLowerCase()]),
);

/**
 * One-line text form in the tcpdump `-e` order:
 * `02:00:00:00:00:0a > 33:33:00:00:00:01, ethertype 0x86dd (ipv6)`.
 */
export function formatEthernet(r: EthernetRepr): string {
  const t = `0x${r.etherType.toString(16).padStart(4, '0')}`;
  const name = ETHER_TYPE_NAMES.get(r.etherType);
  return `${formatMac(r.src)} > ${formatMac(r.dst)}, ethertype ${t}${name ? ` (${name})` : ''}`;
}
