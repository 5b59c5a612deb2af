/**
 * Per-interface packet counters for DLIFs. A logical interface shares its parent's device,
 * so the device's counters cannot tell DLIFs apart; three feature nodes count by interface
 * index instead, with one typed-array increment per packet and no allocation:
 *
 * ```
 *   ip6-input ─▶ ip6-local   arc: [dlif-rx-local]   ─▶ ip6-local-dispatch   in[rxIf]++
 *             └▶ ip6-forward arc: [dlif-rx-forward] ─▶ ip6-lookup           in[rxIf]++
 *   ip6-rewrite ─▶ ip6-output arc: [dlif-tx]        ─▶ interface-output     out[txIf]++,
 *                                                      Neighbor Advertisements na[txIf]++
 * ```
 *
 * Router Advertisements go straight to the device (written to the node's MAC without the
 * IPv6 path) and are counted by the manager that sends them.
 */
import { ARC_NEXT, type NodeDef } from '@dmm/core';
import { IpProto, Icmpv6Type } from '@dmm/wire';

export const DlifNode = {
  RxLocal: 'dlif-rx-local',
  RxForward: 'dlif-rx-forward',
  Tx: 'dlif-tx',
} as const;

/** Counts per interface index (grown on demand; zeroed when a DLIF gives its index back). */
export class IfCounters {
  packetsIn = new Float64Array(64);
  packetsOut = new Float64Array(64);
  nasOut = new Float64Array(64);

  /** Makes room for index `i` (what was counted there before the room existed is lost). */
  ensure(i: number): void {
    if (i < this.packetsIn.length) return;
    let n = this.packetsIn.length;
    while (n <= i) n *= 2;
    this.packetsIn = grow(this.packetsIn, n);
    this.packetsOut = grow(this.packetsOut, n);
    this.nasOut = grow(this.nasOut, n);
  }

  /** Zeroes index `i` (its DLIF is gone; the next one to take the index starts from 0). */
  reset(i: number): void {
    if (i >= this.packetsIn.length) return;
    this.packetsIn[i] = 0;
    this.packetsOut[i] = 0;
    this.nasOut[i] = 0;
  }
}

function grow(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/** Counts packets received per `rxIf` (one node on the local arc, one on the forward arc). */
export function dlifRxNode(name: string, c: IfCounters): NodeDef {
  return {
    name,
    next: [ARC_NEXT],
    errors: [],
    process(v, rt) {
      const a = c.packetsIn;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const k = pb.rxIf;
        if (k >= 0 && k < a.length) a[k]!++;
        rt.next(0, pb);
      }
    },
  };
}

/** Counts packets sent per `txIf`, and the Neighbor Advertisements among them. */
export function dlifTxNode(c: IfCounters): NodeDef {
  return {
    name: DlifNode.Tx,
    next: [ARC_NEXT],
    errors: [],
    process(v, rt) {
      const out = c.packetsOut;
      const na = c.nasOut;
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const k = pb.txIf;
        if (k >= 0 && k < out.length) {
          out[k]!++;
          const b = pb.bytes;
          const l3 = pb.l3;
          // ND messages never carry extension headers (RFC 4861 §6.1, §7.1 hop limit 255 rule)
          if (
            b[l3 + 6] === IpProto.Icmpv6 &&
            l3 + 40 < pb.end &&
            b[l3 + 40] === Icmpv6Type.NeighborAdvertisement
          ) {
            na[k]!++;
          }
        }
        rt.next(0, pb);
      }
    },
  };
}
