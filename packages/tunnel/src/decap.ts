/**
 * `ip6ip6-decap`: IPv6-in-IPv6 decapsulation at the tunnel exit point — RFC 2473 §3
 * (the exit point strips the tunnel headers and forwards the original packet), §3.2 (the
 * inner packet is then processed as any received packet: its hop limit is decremented by
 * our own forwarding, or it is delivered locally).
 *
 * ```
 *  pb.l3                 pb.l4 (after any extension headers)          pb.end
 *   |<- outer IPv6 40 ->|<- ext hdrs ->|<------- inner IPv6 packet -------->|
 *                                       ^ pb.start, pb.l3 afterwards; on to ip6-input
 * ```
 *
 * Registered as the local handler of Next Header 41. Only packets from a tunnel of ours
 * are accepted: outer source = the tunnel's remote, outer destination = its local address
 * (anything else is dropped and counted `unknown-tunnel-peer`, never decapsulated: an open
 * decapsulator would let anyone inject packets behind our filters). The payload must be
 * exactly one well-formed IPv6 packet.
 *
 * The inner packet keeps `pb.rxIf` — the physical interface the outer packet arrived on —
 * and gets `pb.tunnel` = the tunnel id. ICMPv6 errors about the inner packet (Time Exceeded
 * for an inner hop limit of 0 or 1, no route…) are therefore sent from that interface's
 * address, and link-scoped inner destinations are judged against that interface.
 */
import { IPV6_HEADER_LEN, checkIp6ip6Decap } from '@dmm/wire';
import { Ip6Node, dropReasons, type NodeDef } from '@dmm/core';
import {
  TUNNEL_COUNTER_COUNT,
  TUNNEL_DROP_COUNT,
  TUNNEL_SLOT_MASK,
  TunnelCounter,
  TunnelDrop,
  type TunnelTable,
} from './tunnel-table.js';

export const IP6IP6_DECAP_NODE = 'ip6ip6-decap';

export const IP6IP6_DECAP = dropReasons([
  ['unknown-tunnel-peer', 'outer source/destination pair is not one of our tunnels'],
  ['inner-malformed', 'payload is not exactly one well-formed IPv6 packet'],
] as const);

export function ip6ip6DecapNode(table: TunnelTable): NodeDef {
  const E = IP6IP6_DECAP.code;
  return {
    name: IP6IP6_DECAP_NODE,
    next: [Ip6Node.Ip6Input],
    errors: IP6IP6_DECAP.errors,
    process(v, rt) {
      const counters = table.counters;
      const drops = table.drops;
      const templates = table.templates;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const l3 = pb.l3;
        const end = pb.end;
        // remote = outer source, local = outer destination
        const id = table.find(b, l3 + 8, l3 + 24);
        if (id < 0) {
          rt.drop(pb, E['unknown-tunnel-peer']);
          continue;
        }
        const slot = id & TUNNEL_SLOT_MASK;
        const inner = pb.l4;
        let ok: boolean;
        if (inner === l3 + IPV6_HEADER_LEN) {
          // the template's destination (offset 24) is the peer
          ok = checkIp6ip6Decap(b, pb.dv, l3, end, templates[slot]!, 24) === 0;
        } else {
          // extension headers between (e.g. a Tunnel Encapsulation Limit, RFC 2473 §4.1):
          // the same inner rules as checkIp6ip6Decap, from where the chain walk ended
          ok =
            end - inner >= IPV6_HEADER_LEN &&
            b[inner]! >>> 4 === 6 &&
            IPV6_HEADER_LEN + ((b[inner + 4]! << 8) | b[inner + 5]!) === end - inner;
        }
        if (!ok) {
          drops[slot * TUNNEL_DROP_COUNT + TunnelDrop.InnerMalformed]!++;
          rt.drop(pb, E['inner-malformed']);
          continue;
        }
        const c = slot * TUNNEL_COUNTER_COUNT;
        counters[c + TunnelCounter.DecapPackets]!++;
        counters[c + TunnelCounter.DecapBytes]! += end - inner;
        pb.start = inner;
        pb.l3 = inner;
        pb.l4 = -1;
        pb.tunnel = id;
        // the inner packet did not arrive in a link-layer frame of its own
        pb.flags = 0;
        pb.txIf = -1;
        pb.adjacency = -1;
        rt.next(0, pb);
      }
    },
  };
}
