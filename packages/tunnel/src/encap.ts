/**
 * `ip6ip6-encap`: IPv6-in-IPv6 encapsulation at the tunnel entry point — RFC 2473 §3
 * (encapsulation), §3.1 (hop limit: the inner one was decremented by `ip6-lookup` as the
 * forwarding step; the outer one is ours), §6.7 and §7/§7.1 (tunnel MTU, Packet Too Big,
 * fragmentation of the outer packet), RFC 8200 §4.5 (Fragment header), RFC 4443 §3.2.
 *
 * ```
 *        headroom               pb.l3 (inner, unchanged)            pb.end
 *  ...|<-- 40 -->|<---------------- inner IPv6 packet ------------------>|
 *     | template |   copied in front, Payload Length patched: no copy of the inner packet
 *
 *  fragmented (inner ≤ 1280 but outer > path MTU), two buffers:
 *   [outer 40, NH 44][frag: NH 41, off 0, M=1, id][inner bytes 0 .. d)       (this buffer)
 *   [outer 40, NH 44][frag: NH 41, off d/8, M=0, id][inner bytes d .. end)   (pool buffer)
 * ```
 *
 * `ip6-lookup` sends here packets whose route is `RouteKind.Tunnel`, with `pb.tunnel` set.
 * The encapsulated packet is router-originated for the outer hop (`LocalOrigin`: no second
 * hop-limit decrement, no ICMPv6 error about it) and goes back to `ip6-lookup` for the
 * route to the exit point.
 */
import { IP6IP6_OVERHEAD, IPV6_MIN_MTU, Icmpv6Type, IpProto, encapsulateInPlace } from '@dmm/wire';
import {
  GsoFail,
  Ip6Node,
  PacketFlag,
  PacketVector,
  VECTOR_SIZE,
  completeChecksum,
  dropReasons,
  ip6SegmentLength,
  segmentTcp,
  type NodeDef,
  type NodeRuntime,
  type PacketBuffer,
  type Router,
} from '@dmm/core';
import {
  TUNNEL_COUNTER_COUNT,
  TUNNEL_DROP_COUNT,
  TUNNEL_SLOT_MASK,
  TunnelCounter,
  TunnelDrop,
  type TunnelTable,
} from './tunnel-table.js';

export const IP6IP6_ENCAP_NODE = 'ip6ip6-encap';

export const IP6IP6_ENCAP = dropReasons([
  ['no-tunnel', 'the route names a tunnel that does not exist (removed): dropped'],
  ['too-big', 'inner packet over the tunnel MTU and 1280 bytes (Packet Too Big sent)'],
  ['too-big-local', 'router-originated inner packet over the tunnel MTU and 1280 bytes'],
  ['no-headroom', 'no room in front of the packet for the outer header'],
  ['no-buffer', 'no pool buffer for the second fragment'],
  ['fragmented', 'inner packets sent as two outer fragments (not a drop, RFC 2473 §7.1)'],
  ['fragment-buffers', 'pool buffers taken for second fragments (not a drop)'],
  ['gso-unsupported', 'super-packet (offloads) that is not TCP/IPv6'],
  ['gso-bad-header', 'super-packet or partial checksum whose offsets lie outside the packet'],
  ['gso-no-buffer', 'no pool buffer for a software segment'],
  ['gso-too-many-segments', 'super-packet with more segments than a vector holds'],
  ['gso-segmented', 'super-packets cut into segments before encapsulation (not a drop)', 'event'],
] as const);

/** `GsoFail` → drop reason. */
const GSO_DROP = new Int32Array(8);
GSO_DROP[GsoFail.Unsupported] = IP6IP6_ENCAP.code['gso-unsupported'];
GSO_DROP[GsoFail.BadHeader] = IP6IP6_ENCAP.code['gso-bad-header'];
GSO_DROP[GsoFail.NoBuffer] = IP6IP6_ENCAP.code['gso-no-buffer'];
GSO_DROP[GsoFail.TooManySegments] = IP6IP6_ENCAP.code['gso-too-many-segments'];

const NEXT_LOOKUP = 0;
const NEXT_ICMP_ERROR = 1;

/** Outer IPv6 header + Fragment header. */
const FRAG_HDRS = IP6IP6_OVERHEAD + 8;

/** Flags a packet keeps when it becomes the payload of a router-originated outer packet. */
const CLEAR_FLAGS = ~(PacketFlag.L2Multicast | PacketFlag.TxIfFixed);

export function ip6ip6EncapNode(table: TunnelTable, router: Router): NodeDef {
  const E = IP6IP6_ENCAP.code;
  const pool = router.pool;
  const segs = new PacketVector(VECTOR_SIZE);

  /**
   * Encapsulates one ordinary packet (not a super-packet) of tunnel `id` in slot `slot`
   * and passes it on, or turns it into Packet Too Big, or drops it.
   */
  function encapOne(pb: PacketBuffer, id: number, slot: number, rt: NodeRuntime): void {
    const templates = table.templates;
    const counters = table.counters;
    const drops = table.drops;
    // a partial checksum (offloads) is completed here: once inside the tunnel it could be
    // split across outer fragments, and the far end cannot complete it (gso.ts)
    if (pb.csumStart >= 0 && !completeChecksum(pb)) {
      rt.drop(pb, E['gso-bad-header']);
      return;
    }
    const b = pb.bytes;
    const l3 = pb.l3;
    const innerLen = pb.end - l3;
    const pathMtu = table.pathMtu[slot]!;
    const local = (pb.flags & PacketFlag.LocalOrigin) !== 0;
    const c = slot * TUNNEL_COUNTER_COUNT;
    const d = slot * TUNNEL_DROP_COUNT;

    if (innerLen + IP6IP6_OVERHEAD > pathMtu) {
      if (innerLen > IPV6_MIN_MTU) {
        // RFC 2473 §7: too big for the tunnel and more than the minimum MTU
        if (local) {
          drops[d + TunnelDrop.TooBigLocal]!++;
          rt.drop(pb, E['too-big-local']);
          return;
        }
        drops[d + TunnelDrop.TooBig]!++;
        // undo the forwarding decrement of ip6-lookup: the error quotes the packet as
        // it arrived, as ip6-lookup's own Packet Too Big does
        b[l3 + 7] = b[l3 + 7]! + 1;
        pb.icmpType = Icmpv6Type.PacketTooBig;
        pb.icmpCode = 0;
        pb.icmpParam = table.mtu[slot]!;
        rt.count(E['too-big']);
        rt.next(NEXT_ICMP_ERROR, pb);
        return;
      }
      // RFC 2473 §7.1: ≤ 1280 bytes — encapsulate, then fragment the outer packet
      const s = l3 - FRAG_HDRS;
      if (s < pb.base) {
        drops[d + TunnelDrop.NoHeadroom]!++;
        rt.drop(pb, E['no-headroom']);
        return;
      }
      const p2 = pool.alloc();
      if (p2 === null) {
        drops[d + TunnelDrop.NoBuffer]!++;
        rt.drop(pb, E['no-buffer']);
        return;
      }
      rt.count(E['fragment-buffers']);
      // fragment data: multiples of 8 except the last (RFC 8200 §4.5); the path MTU is
      // at least 1280, so the first fragment carries ≥ 1232 bytes and two suffice
      const first = ((pathMtu - FRAG_HDRS) >>> 3) << 3;
      const rest = innerLen - first;
      const fragId = table.nextFragmentId();
      const tpl = templates[slot]!;
      const s2 = p2.start;
      b.copyWithin(s2 + FRAG_HDRS, l3 + first, pb.end);
      writeFragmentHeaders(tpl, b, pb.dv, s2, rest, first >>> 3, false, fragId);
      p2.end = s2 + FRAG_HDRS + rest;
      p2.l3 = s2;
      p2.rxIf = pb.rxIf;
      p2.tunnel = id;
      p2.flags = PacketFlag.LocalOrigin;
      writeFragmentHeaders(tpl, b, pb.dv, s, first, 0, true, fragId);
      pb.start = s;
      pb.l3 = s;
      pb.l4 = -1;
      pb.end = l3 + first;
      pb.flags = (pb.flags & CLEAR_FLAGS) | PacketFlag.LocalOrigin;
      pb.txIf = -1;
      pb.adjacency = -1;
      counters[c + TunnelCounter.EncapPackets]!++;
      counters[c + TunnelCounter.EncapBytes]! += innerLen;
      counters[c + TunnelCounter.Fragmented]!++;
      rt.count(E.fragmented);
      rt.next(NEXT_LOOKUP, pb);
      rt.next(NEXT_LOOKUP, p2);
      return;
    }

    const s = l3 - IP6IP6_OVERHEAD;
    if (s < pb.base) {
      drops[d + TunnelDrop.NoHeadroom]!++;
      rt.drop(pb, E['no-headroom']);
      return;
    }
    // innerLen + 40 ≤ path MTU ≤ 65535, so Payload Length always fits
    encapsulateInPlace(templates[slot]!, b, pb.dv, s, innerLen);
    pb.start = s;
    pb.l3 = s;
    pb.l4 = -1;
    pb.flags = (pb.flags & CLEAR_FLAGS) | PacketFlag.LocalOrigin;
    pb.txIf = -1;
    pb.adjacency = -1;
    counters[c + TunnelCounter.EncapPackets]!++;
    counters[c + TunnelCounter.EncapBytes]! += innerLen;
    rt.next(NEXT_LOOKUP, pb);
  }

  return {
    name: IP6IP6_ENCAP_NODE,
    next: [Ip6Node.Lookup, Ip6Node.Icmp6Error],
    errors: IP6IP6_ENCAP.errors,
    process(v, rt) {
      const ids = table.ids;
      const pathMtus = table.pathMtu;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const id = pb.tunnel;
        const slot = id & TUNNEL_SLOT_MASK;
        if (id < 0 || slot >= ids.length || ids[slot] !== id) {
          rt.drop(pb, E['no-tunnel']);
          continue;
        }
        if (pb.gsoType !== 0) {
          // A super-packet (offloads) is judged by its segment size (RFC 2473 §7 applies to
          // the packets the link would carry), then cut into segments here: the kernel
          // cannot segment IPv6-in-IPv6 from a virtio-net header.
          const segLen = ip6SegmentLength(pb);
          if (segLen + IP6IP6_OVERHEAD > pathMtus[slot]! && segLen > IPV6_MIN_MTU) {
            encapOne(pb, id, slot, rt); // the Packet Too Big (or too-big-local) path
            continue;
          }
          const n = segmentTcp(pool, pb, segs);
          if (n < 0) {
            rt.drop(pb, GSO_DROP[-n]!);
            continue;
          }
          if (n > 0) {
            rt.count(E['gso-segmented']);
            for (let k = 0; k < n; k++) {
              const seg = segs.items[k]!;
              segs.items[k] = null;
              encapOne(seg, id, slot, rt);
            }
            segs.length = 0;
            continue;
          }
        }
        encapOne(pb, id, slot, rt);
      }
    },
  };
}

/**
 * Writes the outer header (from the template, Next Header 44, Payload Length 8 + `dataLen`)
 * and the Fragment header (Next Header 41, `offset8` in 8-octet units, M, Identification)
 * at `bytes[off]`.
 */
function writeFragmentHeaders(
  tpl: Uint8Array,
  bytes: Uint8Array,
  dv: DataView,
  off: number,
  dataLen: number,
  offset8: number,
  more: boolean,
  fragId: number,
): void {
  encapsulateInPlace(tpl, bytes, dv, off, 8 + dataLen);
  bytes[off + 6] = IpProto.Fragment;
  const f = off + IP6IP6_OVERHEAD;
  bytes[f] = IpProto.Ipv6;
  bytes[f + 1] = 0;
  dv.setUint16(f + 2, (offset8 << 3) | (more ? 1 : 0));
  dv.setUint32(f + 4, fragId);
}
