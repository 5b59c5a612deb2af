/**
 * `ip6ip6-icmp-error`: ICMPv6 errors about our tunnel packets — RFC 2473 §8 (tunnel entry
 * point handling of ICMP messages from inside the tunnel), §8.1/§8.2, RFC 8201 §4 (Packet
 * Too Big), RFC 4443 §3.1 (Destination Unreachable, code 3 address unreachable).
 *
 * ```
 *  pb.l3            pb.l4          +8: invoking packet = our outer packet (as quoted)
 *   | IPv6 (to us) | type code ck word | outer IPv6 | [ext] | inner IPv6 | inner payload ...
 *                                       src local    NH 41   src = original source
 *                                       dst remote
 * ```
 *
 * The invoking packet is one of ours when its source/destination are a tunnel's local and
 * remote address and the error was sent to that local address. Then:
 *  - Packet Too Big (2) lowers the tunnel's path MTU (never below 1280, never up); the next
 *    inner packet that no longer fits gets a Packet Too Big from the encapsulation node;
 *  - Destination Unreachable (1), Time Exceeded (3), Parameter Problem (4) are relayed to
 *    the original source as Destination Unreachable code 3, built in place around the inner
 *    packet found in the quote (at least its 40-byte header must be there).
 * Errors about anything else are counted and dropped: the tunnel module owns the ICMPv6
 * error types it registers for (one handler per type and router).
 */
import {
  DestUnreachCode,
  IPV6_HEADER_LEN,
  Icmpv6Type,
  IpProto,
  Ipv6ChainCursor,
  ipv6Equals,
  walkIpv6Chain,
} from '@dmm/wire';
import { Ip6Node, dropReasons, type NodeDef } from '@dmm/core';
import {
  PtbResult,
  TUNNEL_COUNTER_COUNT,
  TUNNEL_SLOT_MASK,
  TunnelCounter,
  type TunnelTable,
} from './tunnel-table.js';

export const IP6IP6_ICMP_ERROR_NODE = 'ip6ip6-icmp-error';

export const IP6IP6_ICMP_ERROR = dropReasons([
  ['ptb-applied', 'Packet Too Big lowered a tunnel path MTU (consumed, not an error)'],
  ['ptb-not-lower', 'Packet Too Big not below the current path MTU (RFC 8201 §4: ignored)'],
  ['ptb-below-minimum', 'Packet Too Big reporting less than 1280 (RFC 8201 §4: discarded)'],
  ['relayed', 'handed to icmp6-error as Destination Unreachable for the inner source (not a drop)'],
  ['inner-not-quoted', 'error about a tunnel packet whose quote lacks the inner IPv6 header'],
  ['not-tunnel', 'error about a packet that is not one of our tunnel packets'],
  ['truncated', 'error too short to quote an IPv6 header'],
] as const);

const NEXT_ICMP_ERROR = 0;
/** ICMPv6 error header: type, code, checksum, 32-bit word. */
const ICMP_ERR_HDR = 8;

export function ip6ip6IcmpErrorNode(table: TunnelTable): NodeDef {
  const E = IP6IP6_ICMP_ERROR.code;
  const cur = new Ipv6ChainCursor();
  return {
    name: IP6IP6_ICMP_ERROR_NODE,
    next: [Ip6Node.Icmp6Error],
    errors: IP6IP6_ICMP_ERROR.errors,
    process(v, rt) {
      const counters = table.counters;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const l4 = pb.l4;
        const end = pb.end;
        const q = l4 + ICMP_ERR_HDR;
        if (end - q < IPV6_HEADER_LEN) {
          rt.drop(pb, E.truncated);
          continue;
        }
        // quoted source = our local address, quoted destination = the remote
        const id = table.find(b, q + 24, q + 8);
        // RFC 5927 §4: the error must have been sent to the address that sent the packet
        if (id < 0 || !ipv6Equals(b, pb.l3 + 24, b, q + 8)) {
          rt.drop(pb, E['not-tunnel']);
          continue;
        }
        if (b[l4] === Icmpv6Type.PacketTooBig) {
          const r = table.applyPacketTooBig(id, pb.dv.getUint32(l4 + 4));
          rt.drop(
            pb,
            r === PtbResult.Lowered
              ? E['ptb-applied']
              : r === PtbResult.BelowMinimum
                ? E['ptb-below-minimum']
                : E['ptb-not-lower'],
          );
          continue;
        }
        // the inner packet: past the quoted outer header and any extension headers
        if (walkIpv6Chain(b, q, end, cur) !== 0 || cur.upperProto !== IpProto.Ipv6) {
          rt.drop(pb, E['inner-not-quoted']);
          continue;
        }
        const inner = cur.upperOff;
        if (cur.laterFragment || end - inner < IPV6_HEADER_LEN) {
          rt.drop(pb, E['inner-not-quoted']);
          continue;
        }
        counters[(id & TUNNEL_SLOT_MASK) * TUNNEL_COUNTER_COUNT + TunnelCounter.ErrorsRelayed]!++;
        // RFC 2473 §8.2: report to the original source as address unreachable; icmp6-error
        // writes the new headers into the bytes in front of the inner packet
        pb.start = inner;
        pb.l3 = inner;
        pb.l4 = -1;
        pb.flags = 0;
        pb.txIf = -1;
        pb.adjacency = -1;
        pb.icmpType = Icmpv6Type.DestinationUnreachable;
        pb.icmpCode = DestUnreachCode.AddressUnreachable;
        pb.icmpParam = 0;
        rt.count(E.relayed);
        rt.next(NEXT_ICMP_ERROR, pb);
      }
    },
  };
}
