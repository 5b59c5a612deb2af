/**
 * `ip6-local-dispatch`: the end of the `ip6-local` arc. Walks the extension headers
 * (RFC 8200 §4) to the upper-layer protocol and hands the packet to the node registered
 * for it (`Router.registerLocalProtocol`): ICMPv6 is built in; plugins add the Mobility
 * Header (135), IPv6-in-IPv6 (41) and others. Unknown protocols get the answer RFC 8200
 * §4 and RFC 4443 ask for.
 */
import {
  DestUnreachCode,
  IPV6_CHAIN_UNKNOWN_NEXT_HEADER,
  Icmpv6Type,
  IpProto,
  Ipv6ChainCursor,
  ParamProblemCode,
  walkIpv6Chain,
} from '@dmm/wire';
import { dropReasons, type NodeDef } from '../graph-node.js';
import { Ip6Node, type Ip6Context } from './context.js';

export const IP6_LOCAL = dropReasons([
  ['bad-extension-header', 'extension header chain truncated or Hop-by-Hop misplaced'],
  ['fragment', 'fragment for this router (reassembly is not supported)'],
  ['no-next-header', 'Next Header 59: nothing to deliver'],
  ['unknown-protocol', 'no handler for the upper-layer protocol'],
] as const);

/** Arc 0 is the ICMPv6 error generator, 1 is `icmp6-input`; handlers add more. */
export const LOCAL_ARC_ICMP_ERROR = 0;
export const LOCAL_ARC_ICMP6_INPUT = 1;

export function ip6LocalDispatchNode(ctx: Ip6Context): NodeDef {
  const E = IP6_LOCAL.code;
  const cur = new Ipv6ChainCursor();
  return {
    name: Ip6Node.LocalDispatch,
    next: [Ip6Node.Icmp6Error, Ip6Node.Icmp6Input],
    errors: IP6_LOCAL.errors,
    process(v, rt) {
      const arcs = ctx.localProtocolArc;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const l3 = pb.l3;
        const r = walkIpv6Chain(b, l3, pb.end, cur);
        if (r === IPV6_CHAIN_UNKNOWN_NEXT_HEADER) {
          pb.icmpType = Icmpv6Type.ParameterProblem;
          pb.icmpCode = ParamProblemCode.UnknownNextHeader;
          pb.icmpParam = cur.nhFieldOff - l3;
          rt.next(LOCAL_ARC_ICMP_ERROR, pb);
          continue;
        }
        if (r !== 0) {
          rt.drop(pb, E['bad-extension-header']);
          continue;
        }
        if (cur.fragmentOff >= 0) {
          rt.drop(pb, E.fragment);
          continue;
        }
        const proto = cur.upperProto;
        pb.l4 = cur.upperOff;
        const arc = arcs[proto]!;
        if (arc >= 0) {
          rt.next(arc, pb);
          continue;
        }
        if (proto === IpProto.NoNext) {
          rt.drop(pb, E['no-next-header']);
          continue;
        }
        if (proto === IpProto.Udp || proto === IpProto.Tcp) {
          // RFC 4443 §3.1: port unreachable, no listener (we run no transport services)
          pb.icmpType = Icmpv6Type.DestinationUnreachable;
          pb.icmpCode = DestUnreachCode.PortUnreachable;
          pb.icmpParam = 0;
          rt.next(LOCAL_ARC_ICMP_ERROR, pb);
          continue;
        }
        // RFC 8200 §4: an unrecognised Next Header → Parameter Problem code 1
        pb.icmpType = Icmpv6Type.ParameterProblem;
        pb.icmpCode = ParamProblemCode.UnknownNextHeader;
        pb.icmpParam = cur.nhFieldOff - l3;
        rt.next(LOCAL_ARC_ICMP_ERROR, pb);
      }
    },
  };
}
