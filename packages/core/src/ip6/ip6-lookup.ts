/**
 * `ip6-lookup`: the end of the `ip6-forward` arc and the entry of router-originated
 * packets. For forwarded packets: hop limit (RFC 8200 §3; Time Exceeded, RFC 4443 §3.3),
 * link-local scope (RFC 4291 §2.5.6, RFC 4443 §3.1 code 2), the route lookup (source rules,
 * then the destination's longest prefix), route type, and the link MTU (a router never
 * fragments: Packet Too Big, RFC 8200 §5, RFC 4443 §3.2). Router-originated packets skip
 * the hop-limit step; those marked `TxIfFixed` (link scope) skip the lookup too. A TCP
 * super-packet (offloads, gso.ts) passes the MTU check when one of its segments fits.
 */
import { DestUnreachCode, Icmpv6Type, TimeExceededCode } from '@dmm/wire';
import { arcStart } from '../graph.js';
import { dropReasons, type NodeDef } from '../graph-node.js';
import { ip6SegmentLength } from '../gso.js';
import { PacketFlag, type PacketBuffer } from '../packet-buffer.js';
import { RouteKind } from '../route/route-table.js';
import { Ip6Arc, Ip6Node, type Ip6Context } from './context.js';

export const IP6_LOOKUP = dropReasons([
  ['hop-limit-exceeded', 'hop limit would reach 0: turned into Time Exceeded', 'event'],
  [
    'no-route-error',
    'no route for a forwarded packet: turned into Destination Unreachable',
    'event',
  ],
  ['no-route', 'no route for a router-originated packet'],
  ['link-local-destination', 'link-local destination that is not ours: never forwarded'],
  [
    'link-local-source',
    'link-local source cannot leave its link: turned into Destination Unreachable code 2',
    'event',
  ],
  ['blackhole', 'blackhole route'],
  ['unreachable', 'unreachable route for a router-originated packet'],
  ['prohibited', 'prohibit route for a router-originated packet'],
  ['unreachable-error', 'unreachable route: turned into Destination Unreachable', 'event'],
  ['prohibited-error', 'prohibit route: turned into Destination Unreachable code 1', 'event'],
  ['too-big', 'larger than the outgoing link MTU: turned into Packet Too Big', 'event'],
  ['too-big-local', 'router-originated packet larger than the link MTU'],
  ['bad-interface', 'route or fixed interface does not exist'],
  ['no-tunnel-handler', 'tunnel route but no tunnel module is loaded'],
] as const);

const NEXT_REWRITE = 0;
const NEXT_ICMP_ERROR = 1;
const NEXT_LOCAL = 2;

export function ip6LookupNode(ctx: Ip6Context): NodeDef {
  const E = IP6_LOOKUP.code;

  function icmp(pb: PacketBuffer, type: number, code: number, param: number): void {
    pb.icmpType = type;
    pb.icmpCode = code;
    pb.icmpParam = param;
  }

  return {
    name: Ip6Node.Lookup,
    next: [Ip6Node.Rewrite, Ip6Node.Icmp6Error, arcStart(Ip6Arc.Local)],
    errors: IP6_LOOKUP.errors,
    process(v, rt) {
      const routes = ctx.routes;
      const table = routes.routes;
      const ifaces = ctx.interfaces;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const l3 = pb.l3;
        const local = (pb.flags & PacketFlag.LocalOrigin) !== 0;
        if (!local) {
          const hl = b[l3 + 7]!;
          if (hl <= 1) {
            rt.count(E['hop-limit-exceeded']);
            icmp(pb, Icmpv6Type.TimeExceeded, TimeExceededCode.HopLimit, 0);
            rt.next(NEXT_ICMP_ERROR, pb);
            continue;
          }
          if (b[l3 + 24] === 0xfe && (b[l3 + 25]! & 0xc0) === 0x80) {
            rt.drop(pb, E['link-local-destination']);
            continue;
          }
          if (b[l3 + 8] === 0xfe && (b[l3 + 9]! & 0xc0) === 0x80) {
            rt.count(E['link-local-source']);
            icmp(pb, Icmpv6Type.DestinationUnreachable, DestUnreachCode.BeyondScope, 0);
            rt.next(NEXT_ICMP_ERROR, pb);
            continue;
          }
        }
        if ((pb.flags & PacketFlag.TxIfFixed) !== 0) {
          if (ifaces[pb.txIf] === undefined) {
            rt.drop(pb, E['bad-interface']);
            continue;
          }
          pb.adjacency = -1;
        } else {
          const inTable = pb.rxIf >= 0 && !local ? ifaces[pb.rxIf]!.inputTable : -1;
          const id = routes.lookup(b, l3 + 8, l3 + 24, inTable);
          if (id < 0) {
            if (local) {
              rt.drop(pb, E['no-route']);
              continue;
            }
            rt.count(E['no-route-error']);
            icmp(pb, Icmpv6Type.DestinationUnreachable, DestUnreachCode.NoRoute, 0);
            rt.next(NEXT_ICMP_ERROR, pb);
            continue;
          }
          const route = table[id]!;
          const kind = route.kind;
          if (kind !== RouteKind.Unicast) {
            if (kind === RouteKind.Tunnel) {
              const arc = ctx.tunnelArc;
              if (arc < 0) {
                rt.drop(pb, E['no-tunnel-handler']);
                continue;
              }
              // the tunnel module checks the tunnel MTU; the forwarding step is done here
              if (!local) b[l3 + 7] = b[l3 + 7]! - 1;
              pb.tunnel = route.tunnel;
              pb.adjacency = id;
              rt.next(arc, pb);
              continue;
            }
            if (kind === RouteKind.Local) {
              rt.next(NEXT_LOCAL, pb);
            } else if (kind === RouteKind.Blackhole) {
              rt.drop(pb, E.blackhole);
            } else if (local) {
              rt.drop(pb, kind === RouteKind.Prohibit ? E.prohibited : E.unreachable);
            } else {
              rt.count(
                kind === RouteKind.Prohibit ? E['prohibited-error'] : E['unreachable-error'],
              );
              icmp(
                pb,
                Icmpv6Type.DestinationUnreachable,
                kind === RouteKind.Prohibit
                  ? DestUnreachCode.AdminProhibited
                  : DestUnreachCode.NoRoute,
                0,
              );
              rt.next(NEXT_ICMP_ERROR, pb);
            }
            continue;
          }
          pb.txIf = route.ifIndex;
          pb.adjacency = id;
          if (ifaces[pb.txIf] === undefined) {
            rt.drop(pb, E['bad-interface']);
            continue;
          }
        }
        const mtu = ifaces[pb.txIf]!.mtu;
        // a super-packet is judged by the segments it stands for (hdr_len + gso_size)
        if (ip6SegmentLength(pb) > mtu) {
          if (local) {
            rt.drop(pb, E['too-big-local']);
            continue;
          }
          rt.count(E['too-big']);
          icmp(pb, Icmpv6Type.PacketTooBig, 0, mtu);
          rt.next(NEXT_ICMP_ERROR, pb);
          continue;
        }
        if (!local) b[l3 + 7] = b[l3 + 7]! - 1;
        rt.next(NEXT_REWRITE, pb);
      }
    },
  };
}
