/**
 * How the ND/RA module hands the packets it makes (or queued) to the router's IPv6 path,
 * and the builders of Neighbor Solicitations and Advertisements (RFC 4861 §4.3, §4.4,
 * §7.2.2, §7.2.4; RFC 4862 §5.4.2 for DAD probes).
 *
 * `PacketOut` knows whether it runs inside a graph dispatch (our input nodes, the resolver
 * that `ip6-rewrite` calls) or outside (timers, API calls). Inside, packets are enqueued to
 * their node and the running dispatch carries them; outside, `router.sendIp6` /
 * `router.reinject` run the graph at once, or — inside a batch (a timer tick that expires
 * many entries) — one dispatch runs at the end of the batch.
 *
 * The builders write headers with the @dmm/wire views over the pool's slab: one buffer per
 * message, no other allocation.
 */
import { PacketFlag, Ip6Node, type BufferPool, type PacketBuffer, type Router } from '@dmm/core';
import {
  Icmpv6Type,
  IpProto,
  Ipv6View,
  NdOptionType,
  NdOptionView,
  NeighborAdvertView,
  NeighborSolicitView,
  ND_NA_LEN,
  ND_NS_LEN,
} from '@dmm/wire';
import { ND_HOP_LIMIT } from './constants.js';

export class PacketOut {
  /** > 0 while inside a graph dispatch (our nodes, the resolver): enqueue only. */
  private dispatchDepth = 0;
  /** > 0 inside a batch (timer work outside any dispatch): enqueue, run the graph at the end. */
  private batchDepth = 0;
  /** Checkpoints since the graph last ran inside the current batch. */
  private sinceRun = 0;
  private readonly router: Router;
  private readonly lookup: number;
  private readonly rewrite: number;
  private readonly icmpError: number;

  constructor(router: Router) {
    this.router = router;
    this.lookup = router.graph.indexOf(Ip6Node.Lookup);
    this.rewrite = router.graph.indexOf(Ip6Node.Rewrite);
    this.icmpError = router.graph.indexOf(Ip6Node.Icmp6Error);
  }

  /** Entering code that runs inside a graph dispatch (a node's `process`, the resolver). */
  enter(): void {
    this.dispatchDepth++;
  }
  leave(): void {
    this.dispatchDepth--;
  }

  /** Starts a batch outside any dispatch (a timer tick, an API call). */
  beginBatch(): void {
    this.batchDepth++;
  }

  /** Ends a batch: runs the graph once for everything the batch enqueued. */
  endBatch(): void {
    this.batchDepth--;
    if (this.batchDepth === 0) this.run();
  }

  /**
   * Inside a long batch (thousands of timers expiring in one tick), runs the graph every
   * 64 checkpoints so that the packets made so far leave and their buffers return to the
   * pool instead of piling up.
   */
  checkpoint(): void {
    if (this.batchDepth > 0 && ++this.sinceRun >= 64) this.run();
  }

  private run(): void {
    this.sinceRun = 0;
    if (this.dispatchDepth === 0 && this.router.graph.pending) {
      this.router.graph.dispatch();
      this.router.scheduler.flushTx();
    }
  }

  private get deferred(): boolean {
    return this.dispatchDepth > 0 || this.batchDepth > 0;
  }

  /** A router-originated IPv6 packet at `pb.start` (`router.sendIp6` semantics). */
  sendIp6(pb: PacketBuffer, txIf: number): void {
    if (!this.deferred) {
      this.router.sendIp6(pb, txIf);
      return;
    }
    pb.l3 = pb.start;
    pb.flags |= PacketFlag.LocalOrigin;
    if (txIf >= 0) {
      pb.txIf = txIf;
      pb.flags |= PacketFlag.TxIfFixed;
    }
    this.router.graph.enqueue(this.lookup, pb);
  }

  /** A packet that waited for its neighbour goes back to `ip6-rewrite`. */
  toRewrite(pb: PacketBuffer): void {
    if (!this.deferred) this.router.reinject(Ip6Node.Rewrite, pb);
    else this.router.graph.enqueue(this.rewrite, pb);
  }

  /** Hands `pb` to `icmp6-error` with the error to send about it (RFC 4443). */
  toIcmpError(pb: PacketBuffer, type: number, code: number): void {
    pb.icmpType = type;
    pb.icmpCode = code;
    pb.icmpParam = 0;
    if (!this.deferred) this.router.reinject(Ip6Node.Icmp6Error, pb);
    else this.router.graph.enqueue(this.icmpError, pb);
  }
}

/** Builds NS and NA packets into pool buffers with reusable views. */
export class NdBuilder {
  private readonly pool: BufferPool;
  private readonly ip: Ipv6View;
  private readonly ns: NeighborSolicitView;
  private readonly na: NeighborAdvertView;
  private readonly opt: NdOptionView;

  constructor(pool: BufferPool) {
    this.pool = pool;
    this.ip = new Ipv6View(pool.bytes, pool.dv);
    this.ns = new NeighborSolicitView(pool.bytes, pool.dv);
    this.na = new NeighborAdvertView(pool.bytes, pool.dv);
    this.opt = new NdOptionView(pool.bytes, pool.dv);
  }

  /**
   * A Neighbor Solicitation for the target at `tb[toff]` (RFC 4861 §4.3). `src` null means
   * the unspecified address (a DAD probe, RFC 4862 §5.4.2: then no SLLA is allowed, §7.1.1).
   * Multicast: to the target's solicited-node group (§7.2.2); `unicast`: to the target itself
   * (a NUD probe, §7.3.3). The SLLA is `mac` when given. Null when the pool is empty.
   */
  neighborSolicit(
    src: Uint8Array | null,
    tb: Uint8Array,
    toff: number,
    unicast: boolean,
    mac: Uint8Array | null,
  ): PacketBuffer | null {
    const pb = this.pool.alloc();
    if (pb === null) return null;
    const slla = src !== null && mac !== null;
    const icmpLen = ND_NS_LEN + (slla ? 8 : 0);
    const l3 = pb.start;
    const l4 = l3 + 40;
    pb.end = l4 + icmpLen;
    const b = pb.bytes;
    // the target first: `tb` may be the pool's slab and must be read before anything moves
    const ns = this.ns.at(l4, pb.end);
    ns.setType(Icmpv6Type.NeighborSolicitation);
    ns.setCode(0);
    ns.setChecksum(0);
    ns.setBodyWord(0);
    ns.setTarget(tb, toff);
    const ip = this.ip.at(l3, pb.end);
    ip.setVersionClassFlow(0, 0);
    ip.setPayloadLength(icmpLen);
    ip.setNextHeader(IpProto.Icmpv6);
    ip.setHopLimit(ND_HOP_LIMIT);
    if (src === null) b.fill(0, l3 + 8, l3 + 24);
    else ip.setSrc(src);
    if (unicast) {
      ip.setDst(b, l4 + 8);
    } else {
      // ff02::1:ffXX:XXXX (RFC 4291 §2.7.1), written in place
      const d = l3 + 24;
      b.fill(0, d, d + 16);
      b[d] = 0xff;
      b[d + 1] = 0x02;
      b[d + 11] = 0x01;
      b[d + 12] = 0xff;
      b[d + 13] = b[l4 + 8 + 13]!;
      b[d + 14] = b[l4 + 8 + 14]!;
      b[d + 15] = b[l4 + 8 + 15]!;
    }
    if (slla) this.lla(NdOptionType.SourceLinkLayerAddr, l4 + ND_NS_LEN, mac);
    ns.fillChecksum(l3 + 8, l3 + 24);
    return pb;
  }

  /**
   * A Neighbor Advertisement for our address `target` (RFC 4861 §4.4, §7.2.4) from `target`
   * to `dst` (16 bytes at `db[doff]`), with R, S, O and a Target Link-Layer Address option.
   */
  neighborAdvert(
    target: Uint8Array,
    db: Uint8Array,
    doff: number,
    router: boolean,
    solicited: boolean,
    override: boolean,
    mac: Uint8Array,
  ): PacketBuffer | null {
    const pb = this.pool.alloc();
    if (pb === null) return null;
    const icmpLen = ND_NA_LEN + 8;
    const l3 = pb.start;
    const l4 = l3 + 40;
    pb.end = l4 + icmpLen;
    const ip = this.ip.at(l3, pb.end);
    ip.setVersionClassFlow(0, 0);
    ip.setPayloadLength(icmpLen);
    ip.setNextHeader(IpProto.Icmpv6);
    ip.setHopLimit(ND_HOP_LIMIT);
    ip.setSrc(target);
    ip.setDst(db, doff);
    const na = this.na.at(l4, pb.end);
    na.setType(Icmpv6Type.NeighborAdvertisement);
    na.setCode(0);
    na.setChecksum(0);
    na.setFlags(router, solicited, override);
    na.setTarget(target);
    this.lla(NdOptionType.TargetLinkLayerAddr, l4 + ND_NA_LEN, mac);
    na.fillChecksum(l3 + 8, l3 + 24);
    return pb;
  }

  /** A Source/Target Link-layer Address option for Ethernet (RFC 4861 §4.6.1, RFC 2464 §6). */
  private lla(type: number, off: number, mac: Uint8Array): void {
    const o = this.opt.at(off, off + 8);
    o.setOptionType(type);
    o.setLengthUnits(1);
    o.setLinkLayerAddr(mac);
  }
}
