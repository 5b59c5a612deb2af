/**
 * ICMPv6 — RFC 4443: §2.1 message format, §2.3 checksum (IPv6 pseudo-header of RFC 8200
 * §8.1, next header 58), §2.4(c) size limit of error messages, §3.1 Destination
 * Unreachable, §3.2 Packet Too Big, §3.3 Time Exceeded, §3.4 Parameter Problem,
 * §4.1/§4.2 Echo Request/Reply.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |   0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  body word: Unused / MTU / Pointer / Identifier + Sequence    |   4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  data: as much of the invoking packet as fits / echo data ... |   8
 * ```
 *
 * The view covers bytes [off, end) where `end` is the end of the IPv6 packet (not of the
 * frame: Ethernet padding would enter the checksum). Checksums need the IPv6 addresses, so
 * they are not part of `check()` or of `Icmpv6.parse`; the data path calls
 * `verifyChecksum(srcOff, dstOff)` after `check()`.
 */
import { WireCheck } from './check.js';
import { WireError, ensureOk } from './errors.js';
import { finishChecksum, onesSum, pseudoHeaderSum } from './checksum.js';
import { IPV6_HEADER_LEN, IPV6_MIN_MTU } from './ipv6.js';
import { IpProto, Icmpv6Type } from './proto.js';
import { copyOut } from './view.js';
import type { HeaderView, ReprCodec } from './view.js';

const F = { TYPE: 0, CODE: 1, CKSUM: 2, WORD: 4, DATA: 8 } as const;

/**
 * Type, Code, Checksum and the 32-bit word that every message of RFC 4443 and RFC 4861
 * carries: the least `check()` accepts.
 */
export const ICMPV6_HEADER_LEN = F.DATA;
/** Field offsets, for assertBytes layouts and in-place code. */
export const ICMPV6_FIELDS = F;

/**
 * RFC 4443 §2.4(c): an ICMPv6 error message carries as much of the invoking packet as
 * possible without the whole error packet (IPv6 header included) exceeding the minimum
 * IPv6 MTU, 1280 bytes.
 */
export const ICMPV6_ERROR_PACKET_LIMIT = IPV6_MIN_MTU;

/**
 * How many bytes of an `invokingLen`-byte invoking packet fit in an error message whose
 * IPv6 header plus extension headers take `ipHeadersLen` bytes (default: a bare 40-byte
 * IPv6 header, which leaves 1232 bytes).
 */
export function icmpv6InvokingFit(invokingLen: number, ipHeadersLen = IPV6_HEADER_LEN): number {
  const room = ICMPV6_ERROR_PACKET_LIMIT - ipHeadersLen - ICMPV6_HEADER_LEN;
  return Math.max(0, Math.min(invokingLen, room));
}

/** Error messages are types 0–127, informational 128–255 (RFC 4443 §2.1). */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}

/** Read-only surface of an ICMPv6 view. */
export interface Icmpv6Reader {
  readonly off: number;
  readonly end: number;
  type(): number;
  code(): number;
  checksum(): number;
  /** The 32 bits at offset 4 (Unused, MTU, Pointer, or Identifier and Sequence). */
  bodyWord(): number;
  /** Offset of the Message Body (RFC 4443 §2.1): right after the checksum. */
  bodyOffset(): number;
  /** Offset after the 32-bit word: the invoking packet of an error, or the echo data. */
  dataOffset(): number;
  /** Length of the message, [off, end). */
  messageLength(): number;
  verifyChecksum(srcOff: number, dstOff: number): boolean;
}

/** View of any ICMPv6 message. Implements `HeaderView`. */
export class Icmpv6View implements HeaderView, Icmpv6Reader {
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

  /** Ok when the 8-byte header is present. Type-specific rules live in the ND views. */
  check(): number {
    if (this.end - this.off < ICMPV6_HEADER_LEN) return WireCheck.Truncated;
    return WireCheck.Ok;
  }

  type(): number {
    return this.bytes[this.off + F.TYPE]!;
  }
  code(): number {
    return this.bytes[this.off + F.CODE]!;
  }
  checksum(): number {
    return this.dv.getUint16(this.off + F.CKSUM);
  }
  bodyWord(): number {
    return this.dv.getUint32(this.off + F.WORD);
  }
  bodyOffset(): number {
    return this.off + F.WORD;
  }
  dataOffset(): number {
    return this.off + F.DATA;
  }
  messageLength(): number {
    return this.end - this.off;
  }
  /** Echo Request/Reply identifier (high half of the body word). */
  echoId(): number {
    return this.dv.getUint16(this.off + F.WORD);
  }
  /** Echo Request/Reply sequence number (low half of the body word). */
  echoSeq(): number {
    return this.dv.getUint16(this.off + F.WORD + 2);
  }
  /** Packet Too Big MTU (the body word). */
  mtu(): number {
    return this.dv.getUint32(this.off + F.WORD);
  }
  /** Parameter Problem pointer (the body word): offset into the invoking packet. */
  pointer(): number {
    return this.dv.getUint32(this.off + F.WORD);
  }

  setType(v: number): void {
    this.bytes[this.off + F.TYPE] = v;
  }
  setCode(v: number): void {
    this.bytes[this.off + F.CODE] = v;
  }
  setChecksum(v: number): void {
    this.dv.setUint16(this.off + F.CKSUM, v);
  }
  setBodyWord(v: number): void {
    this.dv.setUint32(this.off + F.WORD, v >>> 0);
  }
  setEchoId(v: number): void {
    this.dv.setUint16(this.off + F.WORD, v);
  }
  setEchoSeq(v: number): void {
    this.dv.setUint16(this.off + F.WORD + 2, v);
  }

  /**
   * Computes the checksum of the message [off, end) under the pseudo-header whose source and
   * destination addresses are the 16 bytes at `this.bytes[srcOff]` and `[dstOff]` (for an
   * IPv6 header at `ip`: `ip + 8`, `ip + 24`), and writes it. RFC 4443 §2.3: no 0 → 0xffff
   * substitution for ICMPv6.
   */
  fillChecksum(srcOff: number, dstOff: number): void {
    this.setChecksum(0);
    this.setChecksum(this.sumWith(srcOff, dstOff));
  }

  /** True when the message checksums correctly under that pseudo-header. */
  verifyChecksum(srcOff: number, dstOff: number): boolean {
    return this.sumWith(srcOff, dstOff) === 0;
  }

  private sumWith(srcOff: number, dstOff: number): number {
    const len = this.end - this.off;
    const acc = pseudoHeaderSum(this.bytes, srcOff, this.bytes, dstOff, len, IpProto.Icmpv6);
    return finishChecksum(onesSum(this.bytes, this.off, len, acc));
  }
}

/** The messages of RFC 4443 as values. Byte arrays are copies. */
export type Icmpv6Repr =
  | { kind: 'echo-request'; id: number; seq: number; data: Uint8Array }
  | { kind: 'echo-reply'; id: number; seq: number; data: Uint8Array }
  | { kind: 'dest-unreachable'; code: number; invoking: Uint8Array }
  | { kind: 'packet-too-big'; mtu: number; invoking: Uint8Array }
  | { kind: 'time-exceeded'; code: number; invoking: Uint8Array }
  | { kind: 'param-problem'; code: number; pointer: number; invoking: Uint8Array };

function payloadOf(r: Icmpv6Repr): Uint8Array {
  return r.kind === 'echo-request' || r.kind === 'echo-reply' ? r.data : r.invoking;
}

/**
 * Codec of the RFC 4443 messages above (ND messages have their own codecs in ndisc.ts).
 * `parse` throws WireError(WrongType) for any other type and does not verify the checksum
 * (it needs the IPv6 addresses: use `verifyChecksum`). `emit` writes every byte with the
 * checksum field set to 0; the caller then calls `fillChecksum` on the final packet.
 * Unused fields and the codes RFC 4443 fixes at 0 (Packet Too Big, Echo) are written as 0
 * and ignored on parse.
 */
export const Icmpv6: ReprCodec<Icmpv6Repr, Icmpv6View> = {
  bufferLen: (r) => ICMPV6_HEADER_LEN + payloadOf(r).length,
  parse(v) {
    ensureOk('icmpv6', v.check());
    const b = v.bytes;
    const data = copyOut(b, v.dataOffset(), v.end);
    switch (v.type()) {
      case Icmpv6Type.EchoRequest:
        return { kind: 'echo-request', id: v.echoId(), seq: v.echoSeq(), data };
      case Icmpv6Type.EchoReply:
        return { kind: 'echo-reply', id: v.echoId(), seq: v.echoSeq(), data };
      case Icmpv6Type.DestinationUnreachable:
        return { kind: 'dest-unreachable', code: v.code(), invoking: data };
      case Icmpv6Type.PacketTooBig:
        return { kind: 'packet-too-big', mtu: v.mtu(), invoking: data };
      case Icmpv6Type.TimeExceeded:
        return { kind: 'time-exceeded', code: v.code(), invoking: data };
      case Icmpv6Type.ParameterProblem:
        return { kind: 'param-problem', code: v.code(), pointer: v.pointer(), invoking: data };
      default:
        throw new WireError('icmpv6', WireCheck.WrongType, `type ${v.type()}`);
    }
  },
  emit(r, v) {
    switch (r.kind) {
      case 'echo-request':
      case 'echo-reply':
        v.setType(r.kind === 'echo-request' ? Icmpv6Type.EchoRequest : Icmpv6Type.EchoReply);
        v.setCode(0);
        v.setEchoId(r.id);
        v.setEchoSeq(r.seq);
        break;
      case 'dest-unreachable':
        v.setType(Icmpv6Type.DestinationUnreachable);
        v.setCode(r.code);
        v.setBodyWord(0);
        break;
      case 'packet-too-big':
        v.setType(Icmpv6Type.PacketTooBig);
        v.setCode(0);
        v.setBodyWord(r.mtu);
        break;
      case 'time-exceeded':
        v.setType(Icmpv6Type.TimeExceeded);
        v.setCode(r.code);
        v.setBodyWord(0);
        break;
      case 'param-problem':
        v.setType(Icmpv6Type.ParameterProblem);
        v.setCode(r.code);
        v.setBodyWord(r.pointer);
        break;
    }
    v.setChecksum(0);
    v.bytes.set(payloadOf(r), v.dataOffset());
  },
};

/**
 * One-line text form, e.g. `echo-request id 1 seq 1, 4 data bytes` or
 * `packet-too-big mtu 1452, 52 invoking bytes`.
 */
export function formatIcmpv6(r: Icmpv6Repr): string {
  switch (r.kind) {
    case 'echo-request':
    case 'echo-reply':
      return `${r.kind} id ${r.id} seq ${r.seq}, ${r.data.length} data bytes`;
    case 'dest-unreachable':
    case 'time-exceeded':
      return `${r.kind} code ${r.code}, ${r.invoking.length} invoking bytes`;
    case 'packet-too-big':
      return `${r.kind} mtu ${r.mtu}, ${r.invoking.length} invoking bytes`;
    case 'param-problem':
      return `${r.kind} code ${r.code} pointer ${r.pointer}, ${r.invoking.length} invoking bytes`;
  }
}
