/**
 * `ip6-rewrite`: puts the link-layer header on a routed packet. On Ethernet links the
 * next hop (the route's gateway, or the destination itself when on-link or link-scoped)
 * is resolved in the neighbour table; group destinations map to 33:33:xx:xx:xx:xx (RFC 2464
 * §7). A missing or incomplete neighbour hands the packet to the Neighbor Discovery
 * resolver, which queues it and solicits (RFC 4861 §7.2.2); sending to a STALE neighbour
 * tells the resolver (§7.3.3). TUN links need no header.
 */
import { arcStart } from '../graph.js';
import { dropReasons, type NodeDef } from '../graph-node.js';
import { NeighborState } from '../route/neighbor-table.js';
import { Ip6Arc, Ip6Node, type Ip6Context } from './context.js';

export const IP6_REWRITE = dropReasons([
  ['no-headroom', 'no room in front of the packet for the link-layer header'],
  ['neighbor-unresolved', 'next hop has no link-layer address and no resolver is loaded'],
] as const);

export function ip6RewriteNode(ctx: Ip6Context): NodeDef {
  const E = IP6_REWRITE.code;
  return {
    name: Ip6Node.Rewrite,
    next: [arcStart(Ip6Arc.Output)],
    errors: IP6_REWRITE.errors,
    process(v, rt) {
      const ifaces = ctx.interfaces;
      const routes = ctx.routes.routes;
      const nbrs = ctx.neighbors;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const iface = ifaces[pb.txIf]!;
        if (iface.kind === 'ip') {
          rt.next(0, pb);
          continue;
        }
        const b = pb.bytes;
        const l3 = pb.l3;
        let nhBytes: Uint8Array = b;
        let nhOff = l3 + 24;
        if (pb.adjacency >= 0) {
          const gw = routes[pb.adjacency]!.gateway;
          if (gw !== null) {
            nhBytes = gw;
            nhOff = 0;
          }
        }
        const s = l3 - 14;
        if (s < pb.base) {
          rt.drop(pb, E['no-headroom']);
          continue;
        }
        if (nhBytes[nhOff] === 0xff) {
          b[s] = 0x33;
          b[s + 1] = 0x33;
          b[s + 2] = nhBytes[nhOff + 12]!;
          b[s + 3] = nhBytes[nhOff + 13]!;
          b[s + 4] = nhBytes[nhOff + 14]!;
          b[s + 5] = nhBytes[nhOff + 15]!;
        } else {
          const id = nbrs.lookup(pb.txIf, nhBytes, nhOff);
          const state = id >= 0 ? nbrs.state[id]! : 0;
          if (state === 0 || state === NeighborState.Incomplete) {
            const resolver = nbrs.resolver;
            if (resolver === null) {
              rt.drop(pb, E['neighbor-unresolved']);
            } else {
              pb.start = l3;
              resolver.resolve(pb, pb.txIf, nhBytes, nhOff);
            }
            continue;
          }
          if (state === NeighborState.Stale) nbrs.resolver?.staleUsed(id);
          const macs = nbrs.macs;
          const m = id * 6;
          b[s] = macs[m]!;
          b[s + 1] = macs[m + 1]!;
          b[s + 2] = macs[m + 2]!;
          b[s + 3] = macs[m + 3]!;
          b[s + 4] = macs[m + 4]!;
          b[s + 5] = macs[m + 5]!;
        }
        const mac = iface.mac!;
        b[s + 6] = mac[0]!;
        b[s + 7] = mac[1]!;
        b[s + 8] = mac[2]!;
        b[s + 9] = mac[3]!;
        b[s + 10] = mac[4]!;
        b[s + 11] = mac[5]!;
        b[s + 12] = 0x86;
        b[s + 13] = 0xdd;
        pb.start = s;
        rt.next(0, pb);
      }
    },
  };
}
