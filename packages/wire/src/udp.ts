/**
 * UDP — RFC 768, with the IPv6 rules of RFC 8200 §8.1: the checksum covers the IPv6
 * pseudo-header (next header 17), is mandatory, a computed 0 is sent as 0xffff, and a
 * received 0 is invalid.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |   0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Length             |           Checksum            |   4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          data ...                                 8
 * ```
 *
 * Length counts header and data. The datagram is [off, off + Length); bytes after it up to
 * `end` are not UDP's (the view tolerates them, like Ethernet padding after IPv6).
 */
import { WireCheck } from './check.js';
import { ensureOk } from './errors.js';
import { finishChecksum, onesSum, pseudoHeaderSum } from './checksum.js';
import { IpProto } from './proto.js';
import type { HeaderView, ReprCodec } from './view.js';

const F = { SPORT: 0, DPORT: 2, LEN: 4, CKSUM: 6 } as const;

/** Length of the UDP header. */
export const UDP_HEADER_LEN = 8;
/** Field offsets, for assertBytes layouts and in-place code. */
export const UDP_FIELDS = F;

/** Read-only surface of a UDP view. */
export interface UdpReader {
  readonly off: number;
  srcPort(): number;
  dstPort(): number;
  length(): number;
  checksum(): number;
  payloadOffset(): number;
  payloadLength(): number;
  /** One past the datagram's last byte (off + Length). */
  datagramEnd(): number;
  verifyChecksum(srcOff: number, dstOff: number): boolean;
}

/** View of a UDP datagram. Implements `HeaderView`. */
export class UdpView implements HeaderView, UdpReader {
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

  at(off: number, end: number): this {
    this.off = off;
    this.end = end;
    return this;
  }

  /**
   * Ok when the header is present, Length ≥ 8 (else BadLength; the jumbogram Length 0 of
   * RFC 2675 is not supported) and the datagram fits before `end` (else Truncated). The
   * checksum is checked by `verifyChecksum`. Voided by `setLength`.
   */
  check(): number {
    const left = this.end - this.off;
    if (left < UDP_HEADER_LEN) return WireCheck.Truncated;
    const len = this.length();
    if (len < UDP_HEADER_LEN) return WireCheck.BadLength;
    if (len > left) return WireCheck.Truncated;
    return WireCheck.Ok;
  }

  srcPort(): number {
    return this.dv.getUint16(this.off + F.SPORT);
  }
  dstPort(): number {
    return this.dv.getUint16(this.off + F.DPORT);
  }
  length(): number {
    return this.dv.getUint16(this.off + F.LEN);
  }
  checksum(): number {
    return this.dv.getUint16(this.off + F.CKSUM);
  }
  payloadOffset(): number {
    return this.off + UDP_HEADER_LEN;
  }
  payloadLength(): number {
    return this.length() - UDP_HEADER_LEN;
  }
  datagramEnd(): number {
    return this.off + this.length();
  }

  setSrcPort(v: number): void {
    this.dv.setUint16(this.off + F.SPORT, v);
  }
  setDstPort(v: number): void {
    this.dv.setUint16(this.off + F.DPORT, v);
  }
  /** Voids `check()`. */
  setLength(v: number): void {
    this.dv.setUint16(this.off + F.LEN, v);
  }
  setChecksum(v: number): void {
    this.dv.setUint16(this.off + F.CKSUM, v);
  }

  /**
   * Computes the checksum over [off, off + Length) under the pseudo-header whose addresses
   * are the 16 bytes at `this.bytes[srcOff]` and `[dstOff]`, and writes it; a computed 0 is
   * written as 0xffff (RFC 768, RFC 8200 §8.1).
   */
  fillChecksum(srcOff: number, dstOff: number): void {
    this.setChecksum(0);
    const c = this.sumWith(srcOff, dstOff);
    this.setChecksum(c === 0 ? 0xffff : c);
  }

  /** True when the checksum verifies; a zero checksum field is invalid over IPv6 (RFC 8200 §8.1). */
  verifyChecksum(srcOff: number, dstOff: number): boolean {
    if (this.checksum() === 0) return false;
    return this.sumWith(srcOff, dstOff) === 0;
  }

  private sumWith(srcOff: number, dstOff: number): number {
    const len = this.length();
    const acc = pseudoHeaderSum(this.bytes, srcOff, this.bytes, dstOff, len, IpProto.Udp);
    return finishChecksum(onesSum(this.bytes, this.off, len, acc));
  }
}

/** The meaning of a UDP header; the data follows it in the packet. */
export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  /** The Length field: 8 + data length. */
  length: number;
}

/**
 * Header-only codec (like `Ipv6`). `emit` writes the checksum field as 0; the caller writes
 * the data and then calls `fillChecksum`. `parse` does not verify the checksum.
 */
export const Udp: ReprCodec<UdpRepr, UdpView> = {
  bufferLen: () => UDP_HEADER_LEN,
  parse(v) {
    ensureOk('udp', v.check());
    return { srcPort: v.srcPort(), dstPort: v.dstPort(), length: v.length() };
  },
  emit(r, v) {
    v.setSrcPort(r.srcPort);
    v.setDstPort(r.dstPort);
    v.setLength(r.length);
    v.setChecksum(0);
  },
};

/** One-line text form: `udp 40000 > 9, length 17`. */
export function formatUdp(r: UdpRepr): string {
  return `udp ${r.srcPort} > ${r.dstPort}, length ${r.length}`;
}
