/**
 * IPv6-in-IPv6 tunnelling — RFC 2473 §3 (encapsulation), §3.1/§3.2 (outer header fields).
 *
 * ```
 * +----------------------------+-----------------------------------+
 * | outer IPv6 header (40)     | inner IPv6 packet (unchanged)     |
 * | NH 41, src = entry point,  |                                   |
 * | dst = exit point           |                                   |
 * +----------------------------+-----------------------------------+
 * ```
 *
 * Encapsulation follows the template idea: each tunnel keeps a 40-byte outer header with
 * version, Next Header 41, hop limit and both addresses already written, and per packet
 * only copies it in front of the inner packet (into headroom) and patches Payload Length.
 * Decapsulation checks that the outer header is IPv6 with Next Header 41, comes from the
 * expected peer and carries a well-formed inner IPv6 packet that fills the payload exactly.
 * Hop-limit handling of the inner packet, the Tunnel Encapsulation Limit option (§4.1) and
 * tunnel MTU (§6.7) belong to the tunnel, not to this file.
 */
import { WireCheck } from './check.js';
import { IPV6_FIELDS, IPV6_HEADER_LEN, Ipv6, Ipv6View } from './ipv6.js';
import { ipv6Equals } from './address.js';
import { IpProto } from './proto.js';
import { dataViewOf } from './view.js';

/** Bytes the encapsulation adds in front of the inner packet. */
export const IP6IP6_OVERHEAD = IPV6_HEADER_LEN;

/** Settings of an outer header template. */
export interface Ip6ip6TemplateSpec {
  /** Tunnel entry point (this node). */
  src: Uint8Array;
  /** Tunnel exit point (the peer). */
  dst: Uint8Array;
  /** Outer hop limit: the entry point's own default (RFC 2473 §3.1); 64 if absent. */
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
}

/**
 * Builds the 40-byte outer header of a tunnel (control plane, once per tunnel). Payload
 * Length is left 0; `encapsulateInPlace` writes it per packet.
 */
export function ip6ip6Template(spec: Ip6ip6TemplateSpec): Uint8Array {
  const tpl = new Uint8Array(IP6IP6_OVERHEAD);
  Ipv6.emit(
    {
      trafficClass: spec.trafficClass ?? 0,
      flowLabel: spec.flowLabel ?? 0,
      payloadLength: 0,
      nextHeader: IpProto.Ipv6,
      hopLimit: spec.hopLimit ?? 64,
      src: spec.src,
      dst: spec.dst,
    },
    new Ipv6View(tpl, dataViewOf(tpl), 0, IP6IP6_OVERHEAD),
  );
  return tpl;
}

/**
 * Writes the outer header at `bytes[outerOff, outerOff + 40)` — the caller has made that
 * room in front of the inner packet, normally in headroom — by copying `template` and
 * patching Payload Length to `innerLen`. No allocation. Returns 0, or BadLength (nothing
 * written) when `innerLen` does not fit the 16-bit Payload Length (no jumbograms).
 */
export function encapsulateInPlace(
  template: Uint8Array,
  bytes: Uint8Array,
  dv: DataView,
  outerOff: number,
  innerLen: number,
): number {
  if (innerLen > 0xffff) return WireCheck.BadLength;
  bytes.set(template, outerOff);
  dv.setUint16(outerOff + IPV6_FIELDS.PLEN, innerLen);
  return WireCheck.Ok;
}

/** Results of `checkIp6ip6Decap`, one counter each in the tunnel. */
export const Ip6ip6Decap = {
  Ok: 0,
  /** Outer header shorter than 40 bytes, or its Payload Length runs past the bytes. */
  OuterTruncated: 1,
  /** Outer version is not 6. */
  OuterBadVersion: 2,
  /** Outer Next Header is not 41. */
  NotIp6ip6: 3,
  /** Outer source is not the expected tunnel peer. */
  UnexpectedPeer: 4,
  /** The payload is not one IPv6 packet: too short, version not 6, or length mismatch. */
  InnerMalformed: 5,
} as const;

const DECAP_NAMES: readonly string[] = [
  'ok',
  'outer-truncated',
  'outer-bad-version',
  'not-ip6ip6',
  'unexpected-peer',
  'inner-malformed',
];

/** Stable kebab-case name of a decap result, for counters. */
export function ip6ip6DecapName(code: number): string {
  return DECAP_NAMES[code] ?? `unknown-${code}`;
}

/**
 * Checks an IPv6-in-IPv6 packet whose outer header starts at `off` (bytes up to `end`):
 * outer IPv6 well-formed, Next Header 41, source equal to the 16 bytes at
 * `peer[peerOff]`, and the payload exactly one well-formed IPv6 packet (40 + its Payload
 * Length = the outer Payload Length). On 0 the inner packet is at `off + 40` and ends at
 * `off + 40 + outer Payload Length`. Never throws, never allocates.
 */
export function checkIp6ip6Decap(
  bytes: Uint8Array,
  dv: DataView,
  off: number,
  end: number,
  peer: Uint8Array,
  peerOff = 0,
): number {
  if (end - off < IPV6_HEADER_LEN) return Ip6ip6Decap.OuterTruncated;
  if (bytes[off]! >>> 4 !== 6) return Ip6ip6Decap.OuterBadVersion;
  const outerPlen = dv.getUint16(off + IPV6_FIELDS.PLEN);
  if (IPV6_HEADER_LEN + outerPlen > end - off) return Ip6ip6Decap.OuterTruncated;
  if (bytes[off + IPV6_FIELDS.NXT] !== IpProto.Ipv6) return Ip6ip6Decap.NotIp6ip6;
  if (!ipv6Equals(bytes, off + IPV6_FIELDS.SRC, peer, peerOff)) return Ip6ip6Decap.UnexpectedPeer;
  const inner = off + IPV6_HEADER_LEN;
  if (outerPlen < IPV6_HEADER_LEN) return Ip6ip6Decap.InnerMalformed;
  if (bytes[inner]! >>> 4 !== 6) return Ip6ip6Decap.InnerMalformed;
  if (IPV6_HEADER_LEN + dv.getUint16(inner + IPV6_FIELDS.PLEN) !== outerPlen) {
    return Ip6ip6Decap.InnerMalformed;
  }
  return Ip6ip6Decap.Ok;
}
