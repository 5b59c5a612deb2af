/**
 * `icmp6-error`: turns the packet in hand into the ICMPv6 error about it (RFC 4443 §2.4,
 * §3), in place: the invoking packet stays where it is, truncated so the error fits the
 * IPv6 minimum MTU (§2.4(c)), and a new IPv6 + ICMPv6 header is written into the headroom
 * in front of it. Never sent about an ICMPv6 error, to or about a group or unspecified
 * address, or about a link-layer multicast frame, except Packet Too Big and Parameter
 * Problem code 2 (§2.4(e)); rate-limited by a token bucket (§2.4(f)).
 *
 * The caller sets `icmpType`, `icmpCode` and `icmpParam` (pointer or MTU) on the buffer.
 */
import { Icmpv6Type, IpProto, ParamProblemCode, upperLayerChecksum } from '@dmm/wire';
import { dropReasons, type NodeDef } from '../graph-node.js';
import { PacketFlag, type PacketBuffer } from '../packet-buffer.js';
import { Ip6Node, type Ip6Context } from './context.js';

export const ICMP6_ERROR = dropReasons([
  ['sent', 'ICMPv6 errors generated (not a drop: counts the errors sent)', 'event'],
  ['rate-limited', 'error suppressed by the rate limit (RFC 4443 §2.4(f))'],
  ['about-error', 'no error about an ICMPv6 error (RFC 4443 §2.4(e.1))'],
  [
    'about-multicast',
    'no error about a packet to a group or link-layer multicast (RFC 4443 §2.4(e.2-3))',
  ],
  ['bad-source', 'invoking source is unspecified or multicast (RFC 4443 §2.4(e.4))'],
  ['about-local', 'no error about a packet this router originated'],
  ['no-source-address', 'no address to send the error from'],
  ['no-headroom', 'no room in front of the packet for the error headers'],
] as const);

/** IPv6 (40) + ICMPv6 error header (8). */
const ERR_HDRS = 48;
/** RFC 4443 §2.4(c): the error packet must not exceed the minimum IPv6 MTU. */
const MAX_ERROR_PACKET = 1280;

export function icmp6ErrorNode(ctx: Ip6Context): NodeDef {
  const E = ICMP6_ERROR.code;

  /** RFC 4443 §2.2: the source address of the error, or null. */
  function chooseSource(pb: PacketBuffer): Uint8Array | null {
    const b = pb.bytes;
    const l3 = pb.l3;
    // (a) a unicast address of ours the invoking packet was sent to
    if (b[l3 + 24] !== 0xff && ctx.local.isLocalUnicast(pb.rxIf, b, l3 + 24)) return null;
    const iface = pb.rxIf >= 0 ? ctx.interfaces[pb.rxIf] : undefined;
    const srcLinkLocal = b[l3 + 8] === 0xfe && (b[l3 + 9]! & 0xc0) === 0x80;
    if (iface !== undefined) {
      const a = srcLinkLocal ? iface.linkLocal : (iface.primaryGlobal() ?? iface.linkLocal);
      if (a !== null) return a;
    }
    if (!srcLinkLocal) {
      for (const f of ctx.interfaces) {
        const a = f.primaryGlobal();
        if (a !== null) return a;
      }
    }
    return NO_SOURCE;
  }

  return {
    name: Ip6Node.Icmp6Error,
    next: [Ip6Node.Lookup],
    errors: ICMP6_ERROR.errors,
    process(v, rt) {
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const l3 = pb.l3;
        const type = pb.icmpType;
        const exempt =
          type === Icmpv6Type.PacketTooBig ||
          (type === Icmpv6Type.ParameterProblem && pb.icmpCode === ParamProblemCode.UnknownOption);
        if ((pb.flags & PacketFlag.LocalOrigin) !== 0) {
          rt.drop(pb, E['about-local']);
          continue;
        }
        if (b[l3 + 6] === IpProto.Icmpv6 && pb.end - l3 > 40 && b[l3 + 40]! < 128) {
          rt.drop(pb, E['about-error']);
          continue;
        }
        if (!exempt && (b[l3 + 24] === 0xff || (pb.flags & PacketFlag.L2Multicast) !== 0)) {
          rt.drop(pb, E['about-multicast']);
          continue;
        }
        if (b[l3 + 8] === 0xff || isUnspecified(b, l3 + 8)) {
          rt.drop(pb, E['bad-source']);
          continue;
        }
        if (!ctx.icmpErrorLimiter.take()) {
          rt.drop(pb, E['rate-limited']);
          continue;
        }
        const src = chooseSource(pb);
        if (src === NO_SOURCE) {
          rt.drop(pb, E['no-source-address']);
          continue;
        }
        const start = l3 - ERR_HDRS;
        if (start < pb.base) {
          rt.drop(pb, E['no-headroom']);
          continue;
        }
        let invokingLen = pb.end - l3;
        if (invokingLen > MAX_ERROR_PACKET - ERR_HDRS) invokingLen = MAX_ERROR_PACKET - ERR_HDRS;
        pb.end = l3 + invokingLen;
        const icmpLen = 8 + invokingLen;
        // IPv6 header
        b[start] = 0x60;
        b[start + 1] = 0;
        b[start + 2] = 0;
        b[start + 3] = 0;
        b[start + 4] = icmpLen >>> 8;
        b[start + 5] = icmpLen & 0xff;
        b[start + 6] = IpProto.Icmpv6;
        b[start + 7] = ctx.defaultHopLimit;
        for (let k = 0; k < 16; k++) {
          b[start + 8 + k] = src === null ? b[l3 + 24 + k]! : src[k]!;
          b[start + 24 + k] = b[l3 + 8 + k]!;
        }
        // ICMPv6 header: type, code, checksum, 32-bit MTU / pointer / unused
        const h = start + 40;
        b[h] = type;
        b[h + 1] = pb.icmpCode;
        b[h + 2] = 0;
        b[h + 3] = 0;
        const p = pb.icmpParam >>> 0;
        b[h + 4] = p >>> 24;
        b[h + 5] = (p >>> 16) & 0xff;
        b[h + 6] = (p >>> 8) & 0xff;
        b[h + 7] = p & 0xff;
        const ck = upperLayerChecksum(b, start, h, icmpLen, IpProto.Icmpv6);
        b[h + 2] = ck >>> 8;
        b[h + 3] = ck & 0xff;
        pb.start = start;
        pb.l3 = start;
        pb.l4 = h;
        pb.flags = PacketFlag.LocalOrigin;
        // the error is a new, complete packet: no super-packet or partial checksum left
        pb.clearOffload();
        pb.txIf = -1;
        pb.adjacency = -1;
        rt.count(E.sent);
        rt.next(0, pb);
      }
    },
  };
}

/** Sentinel: no usable source address (null means "the invoking destination"). */
const NO_SOURCE = new Uint8Array(0);

function isUnspecified(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (b[off + i] !== 0) return false;
  return true;
}
