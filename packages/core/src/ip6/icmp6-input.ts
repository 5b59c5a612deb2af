/**
 * `icmp6-input`: ICMPv6 messages for this router (RFC 4443). Verifies the checksum,
 * answers Echo Requests in place (§4.2), and hands every other type to the node
 * registered for it (`Router.registerIcmpHandler`): Neighbor Discovery (133–137) comes from
 * the ND module, error messages go to whoever asked for them (tunnels want Packet Too Big).
 * Unknown informational messages are dropped silently (§2.4(b)).
 */
import { Icmpv6Type, IpProto, upperLayerChecksum } from '@dmm/wire';
import { dropReasons, type NodeDef } from '../graph-node.js';
import { PacketFlag, type PacketBuffer } from '../packet-buffer.js';
import { Ip6Node, type Ip6Context } from './context.js';

export const ICMP6_INPUT = dropReasons([
  ['truncated', 'shorter than an ICMPv6 header'],
  ['bad-checksum', 'ICMPv6 checksum does not verify'],
  ['no-source-address', 'echo request to a group, and the interface has no address to answer from'],
  ['unhandled-error', 'ICMPv6 error message nobody registered for'],
  ['unhandled-informational', 'informational message of a type nobody handles (RFC 4443 §2.4(b))'],
] as const);

export const ICMP_ARC_LOOKUP = 0;

export function icmp6InputNode(ctx: Ip6Context): NodeDef {
  const E = ICMP6_INPUT.code;
  return {
    name: Ip6Node.Icmp6Input,
    next: [Ip6Node.Lookup],
    errors: ICMP6_INPUT.errors,
    process(v, rt) {
      const arcs = ctx.icmpTypeArc;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const l3 = pb.l3;
        const l4 = pb.l4;
        const len = pb.end - l4;
        if (len < 4) {
          rt.drop(pb, E.truncated);
          continue;
        }
        if (upperLayerChecksum(b, l3, l4, len, IpProto.Icmpv6) !== 0) {
          rt.drop(pb, E['bad-checksum']);
          continue;
        }
        const type = b[l4]!;
        const arc = arcs[type]!;
        if (arc >= 0) {
          rt.next(arc, pb);
          continue;
        }
        if (type === Icmpv6Type.EchoRequest && len >= 8) {
          if (!echoReply(ctx, pb)) {
            rt.drop(pb, E['no-source-address']);
            continue;
          }
          rt.next(ICMP_ARC_LOOKUP, pb);
          continue;
        }
        rt.drop(pb, type < 128 ? E['unhandled-error'] : E['unhandled-informational']);
      }
    },
  };
}

/**
 * Turns the Echo Request in `pb` into its Echo Reply in place (RFC 4443 §4.2): the
 * destination becomes the requester; the source is the address the request was sent to,
 * or, for a request to a group, an address of the receiving interface of the requester's
 * scope. Extension headers of the request are dropped. Returns false without a source.
 */
function echoReply(ctx: Ip6Context, pb: PacketBuffer): boolean {
  const b = pb.bytes;
  const l3 = pb.l3;
  const l4 = pb.l4;
  const icmpLen = pb.end - l4;
  const iface = ctx.interfaces[pb.rxIf]!;
  let srcAddr: Uint8Array | null = null;
  if (b[l3 + 24] === 0xff) {
    const requesterLinkLocal = b[l3 + 8] === 0xfe && (b[l3 + 9]! & 0xc0) === 0x80;
    srcAddr = requesterLinkLocal ? iface.linkLocal : (iface.primaryGlobal() ?? iface.linkLocal);
    if (srcAddr === null) return false;
  }
  // move the ICMPv6 message right behind a fresh 40-byte header at l3 (drops ext headers)
  const newL4 = l3 + 40;
  if (l4 !== newL4) {
    b.copyWithin(newL4, l4, pb.end);
    pb.end = newL4 + icmpLen;
    pb.l4 = newL4;
  }
  // swap addresses: new dst = old src; new src = old dst (or the chosen interface address)
  for (let k = 0; k < 16; k++) {
    const s = b[l3 + 8 + k]!;
    b[l3 + 8 + k] = srcAddr === null ? b[l3 + 24 + k]! : srcAddr[k]!;
    b[l3 + 24 + k] = s;
  }
  b[l3 + 4] = icmpLen >>> 8;
  b[l3 + 5] = icmpLen & 0xff;
  b[l3 + 6] = IpProto.Icmpv6;
  b[l3 + 7] = ctx.defaultHopLimit;
  b[newL4] = Icmpv6Type.EchoReply;
  b[newL4 + 2] = 0;
  b[newL4 + 3] = 0;
  const ck = upperLayerChecksum(b, l3, newL4, icmpLen, IpProto.Icmpv6);
  b[newL4 + 2] = ck >>> 8;
  b[newL4 + 3] = ck & 0xff;
  pb.flags = (pb.flags & ~PacketFlag.L2Multicast) | PacketFlag.LocalOrigin;
  // a reply to a link-local requester goes back out of the interface it came in on
  if (b[l3 + 24] === 0xfe && (b[l3 + 25]! & 0xc0) === 0x80) {
    pb.txIf = pb.rxIf;
    pb.flags |= PacketFlag.TxIfFixed;
  }
  return true;
}
