/**
 * `ethernet-input`: the entry of frames from Ethernet (TAP) interfaces. Accepts frames for
 * the interface's MAC and group-addressed frames (marked `L2Multicast`, RFC 4443
 * §2.4(e.3) needs it later), strips the Ethernet header and passes IPv6 on.
 */
import { dropReasons, type NodeDef } from '../graph-node.js';
import { PacketFlag } from '../packet-buffer.js';
import type { Ip6Context } from './context.js';
import { Ip6Arc, Ip6Node } from './context.js';
import { arcStart } from '../graph.js';

export const ETHERNET_INPUT = dropReasons([
  ['truncated', 'frame shorter than an Ethernet header'],
  ['not-for-us', 'unicast frame for another MAC address'],
  ['unsupported-ethertype', 'not IPv6 (IPv4, ARP, VLAN tags are not handled)'],
  ['interface-down', 'frame on an administratively down interface'],
  [
    'no-buffer-for-copy',
    'no buffer to copy a group-addressed frame to one more logical interface',
    'event',
  ],
] as const);

const ETH_HLEN = 14;

export function ethernetInputNode(ctx: Ip6Context): NodeDef {
  const E = ETHERNET_INPUT.code;
  return {
    name: Ip6Node.EthernetInput,
    next: [arcStart(Ip6Arc.Input)],
    errors: ETHERNET_INPUT.errors,
    process(v, rt) {
      const ifaces = ctx.interfaces;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const s = pb.start;
        if (pb.end - s < ETH_HLEN) {
          rt.drop(pb, E.truncated);
          continue;
        }
        let iface = ifaces[pb.rxIf]!;
        if ((b[s]! & 1) === 1) {
          pb.flags |= PacketFlag.L2Multicast;
          // group-addressed frames from a node served by logical interfaces go to each of
          // them (a copy for all but the last): every DLIF is a router the node talks to
          const demux = iface.multicastDemux;
          if (demux !== null) {
            const slot = demux.get(b, s + 6);
            if (slot >= 0 && b[s + 12] === 0x86 && b[s + 13] === 0xdd) {
              const members = iface.multicastMembers[slot]!;
              const last = members.length - 1;
              for (let m = 0; m < last; m++) {
                const copy = ctx.pool.clone(pb);
                if (copy === null) {
                  rt.count(E['no-buffer-for-copy']);
                  continue;
                }
                const to = members[m]!;
                if (!ifaces[to]!.adminUp) {
                  rt.drop(copy, E['interface-down']);
                  continue;
                }
                copy.rxIf = to;
                copy.start += ETH_HLEN;
                copy.l3 = copy.start;
                rt.next(0, copy);
              }
              pb.rxIf = members[last]!;
              iface = ifaces[pb.rxIf]!;
            }
          }
        } else {
          const mac = iface.mac!;
          if (
            b[s] !== mac[0] ||
            b[s + 1] !== mac[1] ||
            b[s + 2] !== mac[2] ||
            b[s + 3] !== mac[3] ||
            b[s + 4] !== mac[4] ||
            b[s + 5] !== mac[5]
          ) {
            // a logical interface's MAC (a DLIF), or not for us
            const demux = iface.unicastDemux;
            const to = demux === null ? -1 : demux.get(b, s);
            if (to < 0) {
              const w = iface.foreignUnicast;
              if (w !== null) w.foreignFrame(b, s, pb.rxIf);
              rt.drop(pb, E['not-for-us']);
              continue;
            }
            pb.rxIf = to;
            iface = ifaces[to]!;
          }
        }
        if (!iface.adminUp) {
          rt.drop(pb, E['interface-down']);
          continue;
        }
        if (b[s + 12] !== 0x86 || b[s + 13] !== 0xdd) {
          rt.drop(pb, E['unsupported-ethertype']);
          continue;
        }
        pb.start = s + ETH_HLEN;
        pb.l3 = pb.start;
        rt.next(0, pb);
      }
    },
  };
}
