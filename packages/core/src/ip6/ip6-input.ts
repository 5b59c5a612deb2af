/**
 * `ip6-input`: validates the IPv6 header (RFC 8200 §3), processes the Hop-by-Hop Options
 * header (§4.3, §4.2 action bits), and decides between local delivery (a unicast address of
 * ours, or a group the receiving interface joined) and forwarding. Entered by
 * `ethernet-input` (TAP) or straight from a TUN interface.
 */
import { Icmpv6Type, IpProto, ParamProblemCode, ipv6OptionAction } from '@dmm/wire';
import { dropReasons, type NodeDef } from '../graph-node.js';
import { arcStart } from '../graph.js';
import { completeChecksum } from '../gso.js';
import type { PacketBuffer } from '../packet-buffer.js';
import { Ip6Arc, Ip6Node, type Ip6Context } from './context.js';

export const IP6_INPUT = dropReasons([
  ['truncated', 'shorter than an IPv6 header or than its Payload Length'],
  ['bad-version', 'IP version is not 6'],
  ['source-multicast', 'source address is multicast (RFC 4291 §2.7)'],
  ['loopback-address', 'source or destination is ::1 on the wire (RFC 4291 §2.5.3)'],
  ['source-unspecified-forward', 'source :: on a packet that is not for us'],
  ['multicast-not-joined', 'multicast destination the interface has not joined'],
  ['forwarding-disabled', 'not for us and forwarding is off'],
  ['bad-hop-by-hop', 'malformed Hop-by-Hop Options header'],
  [
    'hop-by-hop-unknown-option',
    'unknown Hop-by-Hop option whose action says discard (RFC 8200 §4.2)',
  ],
  ['interface-down', 'packet on an administratively down interface'],
  ['bad-partial-checksum', 'partial checksum (offloads) whose offsets lie outside the packet'],
] as const);

export function ip6InputNode(ctx: Ip6Context): NodeDef {
  const E = IP6_INPUT.code;
  const NEXT_LOCAL = 0;
  const NEXT_FORWARD = 1;
  const NEXT_ICMP_ERROR = 2;

  /**
   * Walks the Hop-by-Hop options at `off` (header length known valid); returns 0 to go on,
   * or a drop reason; for action 10/11 sets up a Parameter Problem and returns -1.
   */
  function hopByHop(pb: PacketBuffer, off: number, end: number): number {
    const b = pb.bytes;
    if (end - off < 8) return E['bad-hop-by-hop'];
    const hlen = (b[off + 1]! + 1) * 8;
    if (off + hlen > end) return E['bad-hop-by-hop'];
    let p = off + 2;
    const stop = off + hlen;
    while (p < stop) {
      const type = b[p]!;
      if (type === 0) {
        p++;
        continue;
      }
      if (p + 2 > stop) return E['bad-hop-by-hop'];
      const len = b[p + 1]!;
      if (p + 2 + len > stop) return E['bad-hop-by-hop'];
      // PadN (1) and Router Alert (5, RFC 2711) are understood; everything else is unknown.
      if (type !== 1 && type !== 5) {
        const action = ipv6OptionAction(type);
        if (action === 1) return E['hop-by-hop-unknown-option'];
        if (action === 2 || action === 3) {
          // action 11: no ICMPv6 error when the destination is multicast
          if (action === 3 && b[pb.l3 + 24] === 0xff) return E['hop-by-hop-unknown-option'];
          pb.icmpType = Icmpv6Type.ParameterProblem;
          pb.icmpCode = ParamProblemCode.UnknownOption;
          pb.icmpParam = p - pb.l3;
          return -1;
        }
      }
      p += 2 + len;
    }
    return 0;
  }

  return {
    name: Ip6Node.Ip6Input,
    next: [arcStart(Ip6Arc.Local), arcStart(Ip6Arc.Forward), Ip6Node.Icmp6Error],
    errors: IP6_INPUT.errors,
    process(v, rt) {
      const local = ctx.local;
      const ifaces = ctx.interfaces;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const l3 = pb.start;
        pb.l3 = l3;
        const avail = pb.end - l3;
        if (avail < 40) {
          rt.drop(pb, E.truncated);
          continue;
        }
        if (b[l3]! >>> 4 !== 6) {
          rt.drop(pb, E['bad-version']);
          continue;
        }
        const plen = (b[l3 + 4]! << 8) | b[l3 + 5]!;
        if (40 + plen > avail) {
          rt.drop(pb, E.truncated);
          continue;
        }
        // Ethernet pads short frames: keep exactly what Payload Length covers.
        pb.end = l3 + 40 + plen;
        if (!ifaces[pb.rxIf]!.adminUp) {
          rt.drop(pb, E['interface-down']);
          continue;
        }
        if (b[l3 + 8] === 0xff) {
          rt.drop(pb, E['source-multicast']);
          continue;
        }
        if (isLoopback(b, l3 + 8) || isLoopback(b, l3 + 24)) {
          rt.drop(pb, E['loopback-address']);
          continue;
        }
        if (b[l3 + 6] === IpProto.HopByHop) {
          const r = hopByHop(pb, l3 + 40, pb.end);
          if (r === -1) {
            rt.next(NEXT_ICMP_ERROR, pb);
            continue;
          }
          if (r !== 0) {
            rt.drop(pb, r);
            continue;
          }
        }
        const dst = l3 + 24;
        // A partial checksum (offloads, gso.ts) is completed before local delivery so that
        // the protocol handlers verify a whole one; forwarded packets keep it.
        if (
          pb.csumStart >= 0 &&
          pb.gsoType === 0 &&
          (b[dst] === 0xff || local.isLocalUnicast(pb.rxIf, b, dst)) &&
          !completeChecksum(pb)
        ) {
          rt.drop(pb, E['bad-partial-checksum']);
          continue;
        }
        if (b[dst] === 0xff) {
          if (local.isJoined(pb.rxIf, b, dst)) rt.next(NEXT_LOCAL, pb);
          else rt.drop(pb, E['multicast-not-joined']);
          continue;
        }
        if (local.isLocalUnicast(pb.rxIf, b, dst)) {
          rt.next(NEXT_LOCAL, pb);
          continue;
        }
        if (!ctx.forwarding) {
          rt.drop(pb, E['forwarding-disabled']);
          continue;
        }
        if (isUnspecified(b, l3 + 8)) {
          rt.drop(pb, E['source-unspecified-forward']);
          continue;
        }
        rt.next(NEXT_FORWARD, pb);
      }
    },
  };
}

function isLoopback(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 15; i++) if (b[off + i] !== 0) return false;
  return b[off + 15] === 1;
}

function isUnspecified(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (b[off + i] !== 0) return false;
  return true;
}
