/**
 * IPv6 fixed header — RFC 8200 §3.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |   0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |   4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Source Address (128)                     |   8
 * |                   Destination Address (128)                   |  24
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { WireCheck } from './check.js';
import { ensureOk } from './errors.js';
import { copy16, copyIpv6, ipv6Equals } from './address.js';
import type { HeaderView, ReprCodec } from './view.js';

const F = { VTF: 0, PLEN: 4, NXT: 6, HLIM: 7, SRC: 8, DST: 24 } as const;

/** Length of the fixed header. */
export const IPV6_HEADER_LEN = 40;
/** Field offsets, for assertBytes layouts and in-place code. */
export const IPV6_FIELDS = F;
/** The minimum link MTU every IPv6 link supports (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;

/** Read-only surface of an IPv6 header view. */
export interface Ipv6Reader {
  readonly off: number;
  version(): number;
  trafficClass(): number;
  flowLabel(): number;
  payloadLength(): number;
  nextHeader(): number;
  hopLimit(): number;
  /** Offset of the first byte after the fixed header. */
  payloadOffset(): number;
  /** One past the last byte the Payload Length covers. */
  packetEnd(): number;
  srcOffset(): number;
  dstOffset(): number;
  srcEquals(addr: Uint8Array, addrOff?: number): boolean;
  dstEquals(addr: Uint8Array, addrOff?: number): boolean;
}

/** View of an IPv6 fixed header. Implements `HeaderView`. */
export class Ipv6View implements HeaderView, Ipv6Reader {
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

  /**
   * Ok when the fixed header is present, the version is 6 and the payload fits in the
   * bytes given. Bytes past the payload (Ethernet padding) are allowed. Voided by
   * `setPayloadLength`.
   */
  check(): number {
    if (this.end - this.off < IPV6_HEADER_LEN) return WireCheck.Truncated;
    if (this.bytes[this.off]! >>> 4 !== 6) return WireCheck.BadVersion;
    if (IPV6_HEADER_LEN + this.payloadLength() > this.end - this.off) return WireCheck.Truncated;
    return WireCheck.Ok;
  }

  version(): number {
    return this.bytes[this.off]! >>> 4;
  }
  trafficClass(): number {
    return (this.dv.getUint16(this.off + F.VTF) >>> 4) & 0xff;
  }
  flowLabel(): number {
    return this.dv.getUint32(this.off + F.VTF) & 0xfffff;
  }
  payloadLength(): number {
    return this.dv.getUint16(this.off + F.PLEN);
  }
  nextHeader(): number {
    return this.bytes[this.off + F.NXT]!;
  }
  hopLimit(): number {
    return this.bytes[this.off + F.HLIM]!;
  }
  payloadOffset(): number {
    return this.off + IPV6_HEADER_LEN;
  }
  packetEnd(): number {
    return this.off + IPV6_HEADER_LEN + this.payloadLength();
  }
  srcOffset(): number {
    return this.off + F.SRC;
  }
  dstOffset(): number {
    return this.off + F.DST;
  }
  srcEquals(addr: Uint8Array, addrOff = 0): boolean {
    return ipv6Equals(this.bytes, this.off + F.SRC, addr, addrOff);
  }
  dstEquals(addr: Uint8Array, addrOff = 0): boolean {
    return ipv6Equals(this.bytes, this.off + F.DST, addr, addrOff);
  }

  /** Writes version 6 with the given traffic class and flow label. */
  setVersionClassFlow(trafficClass: number, flowLabel: number): void {
    this.dv.setUint32(
      this.off + F.VTF,
      ((6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff)) >>> 0,
    );
  }
  /** Voids `check()`. */
  setPayloadLength(v: number): void {
    this.dv.setUint16(this.off + F.PLEN, v);
  }
  setNextHeader(v: number): void {
    this.bytes[this.off + F.NXT] = v;
  }
  setHopLimit(v: number): void {
    this.bytes[this.off + F.HLIM] = v;
  }
  setSrc(addr: Uint8Array, addrOff = 0): void {
    copy16(addr, addrOff, this.bytes, this.off + F.SRC);
  }
  setDst(addr: Uint8Array, addrOff = 0): void {
    copy16(addr, addrOff, this.bytes, this.off + F.DST);
  }
  /** Copies the source address into `out[outOff..+16)` without allocating. */
  copySrcInto(out: Uint8Array, outOff = 0): void {
    copy16(this.bytes, this.off + F.SRC, out, outOff);
  }
  /** Copies the destination address into `out[outOff..+16)`. */
  copyDstInto(out: Uint8Array, outOff = 0): void {
    copy16(this.bytes, this.off + F.DST, out, outOff);
  }
}

/** The meaning of an IPv6 fixed header. Addresses are 16-byte copies. */
export interface Ipv6Repr {
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

export const Ipv6: ReprCodec<Ipv6Repr, Ipv6View> = {
  bufferLen: () => IPV6_HEADER_LEN,
  parse(v) {
    ensureOk('ipv6', v.check());
    return {
      trafficClass: v.trafficClass(),
      flowLabel: v.flowLabel(),
      payloadLength: v.payloadLength(),
      nextHeader: v.nextHeader(),
      hopLimit: v.hopLimit(),
      src: copyIpv6(v.bytes, v.srcOffset()),
      dst: copyIpv6(v.bytes, v.dstOffset()),
    };
  },
  emit(r, v) {
    v.setVersionClassFlow(r.trafficClass, r.flowLabel);
    v.setPayloadLength(r.payloadLength);
    v.setNextHeader(r.nextHeader);
    v.setHopLimit(r.hopLimit);
    v.setSrc(r.src);
    v.setDst(r.dst);
  },
};
