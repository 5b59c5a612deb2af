/**
 * ICMPv6 Echo (RFC 4443 §4.1, §4.2) over IPv6 (RFC 8200 §3), optionally inside an
 * Ethernet II header (IEEE 802.3, EtherType 0x86dd), built in place into a slab with
 * @dmm/wire's Ipv6 codec and checksum (RFC 8200 §8.1 pseudo-header), for talking to the
 * kernel through TAP and TUN devices.
 *
 * ```
 *  Ethernet: dst(6) src(6) type(2)      ICMPv6 Echo: type(1) code(1) checksum(2)
 *                                                    identifier(2) sequence(2) data...
 * ```
 */
import {
  EtherType,
  Icmpv6Type,
  IpProto,
  Ipv6,
  Ipv6View,
  IPV6_HEADER_LEN,
  upperLayerChecksum,
} from '@dmm/wire';

export const ETH_HEADER_LEN = 14;
export const ECHO_HEADER_LEN = 8;

export interface EchoSpec {
  /** Ethernet addresses; omit both for a TUN packet (no link-layer header). */
  dstMac?: Uint8Array;
  srcMac?: Uint8Array;
  src: Uint8Array;
  dst: Uint8Array;
  type: number;
  id: number;
  seq: number;
  data: Uint8Array;
  hopLimit?: number;
}

/** Writes the frame at bytes[off..] and returns its length. */
export function emitEcho(bytes: Uint8Array, dv: DataView, off: number, s: EchoSpec): number {
  let ip6 = off;
  if (s.dstMac !== undefined && s.srcMac !== undefined) {
    bytes.set(s.dstMac, off);
    bytes.set(s.srcMac, off + 6);
    dv.setUint16(off + 12, EtherType.Ipv6);
    ip6 = off + ETH_HEADER_LEN;
  }
  const icmpLen = ECHO_HEADER_LEN + s.data.length;
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: icmpLen,
      nextHeader: IpProto.Icmpv6,
      hopLimit: s.hopLimit ?? 64,
      src: s.src,
      dst: s.dst,
    },
    new Ipv6View(bytes, dv, ip6, ip6 + IPV6_HEADER_LEN + icmpLen),
  );
  const l4 = ip6 + IPV6_HEADER_LEN;
  bytes[l4] = s.type;
  bytes[l4 + 1] = 0;
  dv.setUint16(l4 + 2, 0);
  dv.setUint16(l4 + 4, s.id);
  dv.setUint16(l4 + 6, s.seq);
  bytes.set(s.data, l4 + ECHO_HEADER_LEN);
  dv.setUint16(l4 + 2, upperLayerChecksum(bytes, ip6, l4, icmpLen, IpProto.Icmpv6));
  return l4 + icmpLen - off;
}

/** Fields of an ICMPv6 Echo message in `frame` (a TAP frame when `l3` is 14, TUN when 0). */
export interface EchoSeen {
  ip: Ipv6View;
  type: number;
  code: number;
  checksum: number;
  id: number;
  seq: number;
  data: Uint8Array;
  /** The checksum verifies (sum over pseudo-header and message is 0). */
  checksumOk: boolean;
}

/** Parses an ICMPv6 Echo Request/Reply at `l3`, or null if `frame` is not one. */
export function parseEcho(frame: Uint8Array, l3: number): EchoSeen | null {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (l3 === ETH_HEADER_LEN && (frame.length < l3 || dv.getUint16(12) !== EtherType.Ipv6)) {
    return null;
  }
  const ip = new Ipv6View(frame, dv, l3, frame.length);
  if (ip.check() !== 0 || ip.nextHeader() !== IpProto.Icmpv6) return null;
  const l4 = ip.payloadOffset();
  const len = ip.payloadLength();
  if (len < ECHO_HEADER_LEN) return null;
  const type = frame[l4]!;
  if (type !== Icmpv6Type.EchoRequest && type !== Icmpv6Type.EchoReply) return null;
  return {
    ip,
    type,
    code: frame[l4 + 1]!,
    checksum: dv.getUint16(l4 + 2),
    id: dv.getUint16(l4 + 4),
    seq: dv.getUint16(l4 + 6),
    data: frame.slice(l4 + ECHO_HEADER_LEN, l4 + len),
    checksumOk: upperLayerChecksum(frame, l3, l4, len, IpProto.Icmpv6) === 0,
  };
}

/** A matcher for `collect`: Echo Replies with this identifier. */
export function isEchoReply(l3: number, id: number): (f: Uint8Array) => boolean {
  return (f) => {
    const e = parseEcho(f, l3);
    return e !== null && e.type === Icmpv6Type.EchoReply && e.id === id;
  };
}
