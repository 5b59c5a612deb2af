/**
 * The neighbour cache state machine — RFC 4861 §7.2.2 (address resolution), §7.2.3 and
 * §6.2.6 (NS/RS with a Source Link-Layer Address), §7.2.5 (NA processing), §7.3.2–§7.3.3
 * (Neighbor Unreachability Detection) and Appendix C (the state table), over core's
 * `NeighborTable`, which stores the entries the data path reads.
 *
 * ```
 *            packet, no entry                 NA S=1 / TLLA
 *   (none) ─────────────────▶ INCOMPLETE ───────────────────────▶ REACHABLE
 *                              │  │ NA S=0 / NS,RS,RA with LLA          │ ReachableTime
 *       MAX_MULTICAST_SOLICIT  │  └────────────────▶ STALE ◀──────────┘
 *       NSs unanswered: ICMPv6 │                      │ packet sent
 *       dest. unreachable (3)  ▼                      ▼
 *                           (none) ◀── MAX_UNICAST ─ PROBE ◀─ DELAY_FIRST_PROBE_TIME ─ DELAY
 *                                      _SOLICIT NSs          (NA S=1 → REACHABLE from any)
 * ```
 *
 * Implements core's `NeighborResolver`: `ip6-rewrite` hands over packets whose next hop has
 * no link-layer address; they wait in a fixed per-entry ring (`queueLength` slots, the oldest
 * dropped and counted when full) while multicast Neighbor Solicitations go out every
 * RetransTimer, and then either leave through `ip6-rewrite` or each cause an ICMPv6
 * Destination Unreachable, code 3 (§7.2.2). Every timer (RetransTimer, ReachableTime,
 * DELAY_FIRST_PROBE_TIME, stale garbage collection) runs on one timer wheel.
 *
 * Entries this cache created are "owned": it removes them when the plugin stops. Static
 * entries from the config are PERMANENT and never touched by ND messages.
 */
import { DestUnreachCode, Icmpv6Type, isIpv6LinkLocal } from '@dmm/wire';
import {
  NeighborState,
  PacketFlag,
  type GraphNode,
  type NeighborResolver,
  type NeighborStateValue,
  type NeighborTable,
  type PacketBuffer,
  type Router,
} from '@dmm/core';
import {
  MAX_RANDOM_FACTOR,
  MIN_RANDOM_FACTOR,
  REACHABLE_TIME_RECOMPUTE,
  STALE_GC_TIME,
} from './constants.js';
import { AddrState, type AddressBook } from './dad.js';
import type { NdBuilder, PacketOut } from './packet-out.js';
import { TimerWheel, type IntervalTimers } from './timer-wheel.js';

/** RFC 4861 §10 variables of the cache, in milliseconds. */
export interface NeighborCacheParams {
  /** BaseReachableTime. */
  reachableTime: number;
  /** RetransTimer. */
  retransTimer: number;
  /** DELAY_FIRST_PROBE_TIME. */
  delayFirstProbeTime: number;
  maxMulticastSolicit: number;
  maxUnicastSolicit: number;
  /** Packets queued per INCOMPLETE entry. */
  queueLength: number;
}

/** Counter codes of the `nd-cache` node. */
export const ND_CACHE_COUNTERS = [
  ['queue-overflow', 'oldest packet waiting for address resolution dropped: queue full'],
  [
    'resolution-failed',
    'packet dropped after MAX_MULTICAST_SOLICIT unanswered NSs (ICMPv6 address unreachable sent)',
  ],
  ['probe-failed', 'entry removed after MAX_UNICAST_SOLICIT unanswered NUD probes'],
  ['gc', 'STALE entry unused for 20 minutes removed'],
  ['no-buffer', 'no buffer for a Neighbor Solicitation'],
  ['no-source-address', 'no address on the interface to solicit from'],
  ['unexpected-state', 'resolver asked about an entry that has a link-layer address'],
  ['ns-sent', 'Neighbor Solicitations sent (not a drop)'],
  ['resolved', 'INCOMPLETE entries resolved (not a drop)'],
  [
    'primed',
    'resolutions started with no packet waiting, for a peer about to be signalled (not a drop)',
  ],
  ['unexpected', 'packet sent to a counter node'],
] as const;
type CacheCounter = (typeof ND_CACHE_COUNTERS)[number][0];
const C: { [K in CacheCounter]: number } = Object.fromEntries(
  ND_CACHE_COUNTERS.map(([n], i) => [n, i]),
) as { [K in CacheCounter]: number };
export const ND_CACHE_CODE = C;

/** What `onAdvert` did with a Neighbor Advertisement (RFC 4861 §7.2.5). */
export const NaResult = {
  /** The entry was updated (or confirmed). */
  Processed: 0,
  /** No entry for the target: silently discarded. */
  NoEntry: 1,
  /** INCOMPLETE entry and no Target Link-Layer Address option: discarded. */
  IncompleteNoTlla: 2,
  /** A static entry: ND does not change it. */
  Permanent: 3,
  /** O clear and a different link-layer address: not updated (REACHABLE → STALE). */
  NoOverride: 4,
} as const;

export class NeighborCache implements NeighborResolver {
  readonly table: NeighborTable;
  readonly params: NeighborCacheParams;
  readonly wheel: TimerWheel;
  /** Current ReachableTime (BaseReachableTime × [0.5, 1.5], RFC 4861 §6.3.2). */
  reachableTime = 0;
  private reachableComputedAt = -Infinity;

  private readonly router: Router;
  private readonly out: PacketOut;
  private readonly builder: NdBuilder;
  private readonly book: AddressBook;
  private readonly counters: GraphNode;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Per entry: solicitations sent in the current INCOMPLETE or PROBE phase. */
  private probes: Uint8Array;
  /** Per entry: 1 when this cache created it. */
  private owned: Uint8Array;
  /** Per entry: ring of `queueLength` waiting packets at `id * queueLength`. */
  private queue: (PacketBuffer | null)[];
  private qHead: Uint8Array;
  private qCount: Uint8Array;
  private capacity = 0;

  constructor(
    router: Router,
    params: NeighborCacheParams,
    out: PacketOut,
    builder: NdBuilder,
    book: AddressBook,
    counters: GraphNode,
    timers: IntervalTimers,
    now: () => number = () => Date.now(),
    random: () => number = () => Math.random(),
  ) {
    this.router = router;
    this.table = router.neighbors;
    this.params = params;
    this.out = out;
    this.builder = builder;
    this.book = book;
    this.counters = counters;
    this.now = now;
    this.random = random;
    this.probes = new Uint8Array(0);
    this.owned = new Uint8Array(0);
    this.queue = [];
    this.qHead = new Uint8Array(0);
    this.qCount = new Uint8Array(0);
    this.ensure(this.table.state.length);
    // a tenth of RetransTimer, at most 100 ms: retransmissions are late by at most that
    const tick = Math.max(10, Math.min(100, Math.floor(params.retransTimer / 10)));
    this.wheel = new TimerWheel(timers, tick, now, (id) => this.expire(id), this.capacity, 512, {
      begin: () => out.beginBatch(),
      end: () => out.endBatch(),
    });
    this.recomputeReachable();
  }

  // -------------------------------------------------------------------------------------
  // NeighborResolver (called by ip6-rewrite, inside a dispatch)
  // -------------------------------------------------------------------------------------

  resolve(pb: PacketBuffer, ifIndex: number, addr: Uint8Array, addrOff: number): void {
    this.out.enter();
    try {
      const t = this.table;
      let id = t.lookup(ifIndex, addr, addrOff);
      if (id < 0) {
        id = this.createOwned(ifIndex, addr, addrOff, NeighborState.Incomplete);
        this.enqueue(id, pb);
        this.probes[id] = 1;
        this.solicit(id, false, pb);
        this.wheel.arm(id, this.params.retransTimer);
        this.changed(id);
        return;
      }
      if (t.state[id] === NeighborState.Incomplete) {
        this.enqueue(id, pb);
        return;
      }
      this.counters.drop(pb, C['unexpected-state']);
    } finally {
      this.out.leave();
    }
  }

  prime(ifIndex: number, addr: Uint8Array, addrOff: number): boolean {
    if (this.table.lookup(ifIndex, addr, addrOff) >= 0) return true;
    if (this.router.interfaces[ifIndex] === undefined) return false;
    // control plane, or inside a dispatch: a batch sends at its end, or lets the dispatch
    this.out.beginBatch();
    try {
      // RFC 4861 §7.2.2 without a queued packet: INCOMPLETE, multicast NS, retransmissions
      const id = this.createOwned(ifIndex, addr, addrOff, NeighborState.Incomplete);
      this.probes[id] = 1;
      this.solicit(id, false, null);
      this.wheel.arm(id, this.params.retransTimer);
      this.changed(id);
      this.counters.count(C['primed']);
      return true;
    } finally {
      this.out.endBatch();
    }
  }

  staleUsed(id: number): void {
    if (this.table.state[id] !== NeighborState.Stale) return;
    this.table.setState(id, NeighborState.Delay);
    this.wheel.arm(id, this.params.delayFirstProbeTime);
    this.changed(id);
  }

  // -------------------------------------------------------------------------------------
  // Input from ND messages (inside a dispatch)
  // -------------------------------------------------------------------------------------

  /**
   * A Neighbor Advertisement for the target at `tb[toff]` on `ifIndex` (RFC 4861 §7.2.5);
   * `mb[moff]` is the Target Link-Layer Address (moff < 0: no TLLA option). Returns a NaResult.
   */
  onAdvert(
    ifIndex: number,
    tb: Uint8Array,
    toff: number,
    mb: Uint8Array,
    moff: number,
    isRouter: boolean,
    solicited: boolean,
    override: boolean,
  ): number {
    const t = this.table;
    const id = t.lookup(ifIndex, tb, toff);
    if (id < 0) return NaResult.NoEntry;
    const st = t.state[id]!;
    if (st === NeighborState.Permanent) return NaResult.Permanent;
    if (st === NeighborState.Incomplete) {
      if (moff < 0) return NaResult.IncompleteNoTlla;
      t.setMac(id, mb, moff);
      t.isRouter[id] = isRouter ? 1 : 0;
      this.enterState(id, solicited ? NeighborState.Reachable : NeighborState.Stale);
      this.counters.count(C.resolved);
      this.flushQueue(id);
      return NaResult.Processed;
    }
    const sameMac = moff < 0 || t.macEquals(id, mb, moff);
    if (!override && !sameMac) {
      // §7.2.5: keep the cached address; a REACHABLE entry becomes STALE
      if (st === NeighborState.Reachable) this.enterState(id, NeighborState.Stale);
      return NaResult.NoOverride;
    }
    const macChanged = moff >= 0 && !sameMac && t.setMac(id, mb, moff);
    t.isRouter[id] = isRouter ? 1 : 0;
    if (solicited) this.enterState(id, NeighborState.Reachable);
    else if (macChanged) this.enterState(id, NeighborState.Stale);
    return NaResult.Processed;
  }

  /**
   * A Neighbor Solicitation (RFC 4861 §7.2.3), Router Solicitation (§6.2.6) or Router
   * Advertisement (§6.3.4, `isRouter`) from the unicast source at `sb[soff]` carrying the
   * Source Link-Layer Address `mb[moff]`: create a STALE entry, or update the address
   * (→ STALE when it changed); an INCOMPLETE entry becomes STALE and sends its queue.
   */
  onSourceLla(
    ifIndex: number,
    sb: Uint8Array,
    soff: number,
    mb: Uint8Array,
    moff: number,
    isRouter: boolean,
  ): void {
    const t = this.table;
    let id = t.lookup(ifIndex, sb, soff);
    if (id < 0) {
      id = this.createOwned(ifIndex, sb, soff, NeighborState.Stale);
      t.setMac(id, mb, moff);
      t.isRouter[id] = isRouter ? 1 : 0;
      this.wheel.arm(id, STALE_GC_TIME);
      this.changed(id);
      return;
    }
    const st = t.state[id]!;
    if (st === NeighborState.Permanent) return;
    if (isRouter) t.isRouter[id] = 1;
    if (st === NeighborState.Incomplete) {
      t.setMac(id, mb, moff);
      this.enterState(id, NeighborState.Stale);
      this.counters.count(C.resolved);
      this.flushQueue(id);
      return;
    }
    if (t.setMac(id, mb, moff)) this.enterState(id, NeighborState.Stale);
  }

  // -------------------------------------------------------------------------------------
  // Control plane
  // -------------------------------------------------------------------------------------

  /** A static entry (PERMANENT): replaces whatever the cache had for the address. */
  addStatic(ifIndex: number, addr: Uint8Array, mac: Uint8Array): number {
    const t = this.table;
    let id = t.lookup(ifIndex, addr, 0);
    if (id < 0) id = this.createOwned(ifIndex, addr, 0, NeighborState.Permanent);
    this.owned[id] = 1;
    this.wheel.cancel(id);
    t.setMac(id, mac, 0);
    t.setState(id, NeighborState.Permanent);
    this.flushQueue(id);
    this.changed(id);
    return id;
  }

  /** Removes entry `id` (dropping its queue, see `removing`). */
  remove(id: number): void {
    if (this.table.state[id] === 0) return;
    this.table.remove(id);
  }

  /**
   * The table is removing entry `id` (through `remove`, or because its interface went
   * away): free the packets queued on it, cancel its timer, report it.
   */
  removing(id: number): void {
    const ifIndex = this.table.ifIndex[id]!;
    this.wheel.cancel(id);
    this.freeQueue(id);
    this.owned[id] = 0;
    this.router.events.emit('neighbor:changed', id, ifIndex, 0);
  }

  /** Removes every entry this cache created and stops the wheel (plugin stop). */
  clear(): void {
    const t = this.table;
    for (let id = 0; id < this.capacity; id++) {
      if (this.owned[id] === 1 && t.state[id] !== 0) this.remove(id);
      this.owned[id] = 0;
    }
    this.wheel.clear();
  }

  /** Packets waiting for resolution (all entries). */
  queued(): number {
    let n = 0;
    for (let id = 0; id < this.capacity; id++) n += this.qCount[id]!;
    return n;
  }

  /** Entries per state name (control plane). */
  census(): Record<string, number> {
    const names = ['incomplete', 'reachable', 'stale', 'delay', 'probe', 'permanent'];
    const out: Record<string, number> = {};
    for (const n of names) out[n] = 0;
    const st = this.table.state;
    for (let id = 0; id < st.length; id++) {
      const s = st[id]!;
      if (s !== 0) out[names[s - 1]!]!++;
    }
    return out;
  }

  /** Runs the wheel (the periodic tick; tests call it to step time). */
  tick(): void {
    this.wheel.tick();
  }

  // -------------------------------------------------------------------------------------
  // Timers
  // -------------------------------------------------------------------------------------

  /** The timer of entry `id` fired (from the wheel's tick, inside its batch). */
  private expire(id: number): void {
    const t = this.table;
    const st = t.state[id]!;
    this.out.beginBatch();
    try {
      switch (st) {
        case NeighborState.Incomplete:
          if (this.probes[id]! < this.params.maxMulticastSolicit) {
            this.probes[id]!++;
            this.solicit(id, false, this.queueHead(id));
            this.wheel.arm(id, this.params.retransTimer);
          } else {
            this.fail(id);
          }
          break;
        case NeighborState.Reachable:
          this.enterState(id, NeighborState.Stale);
          break;
        case NeighborState.Stale:
          this.counters.count(C.gc);
          this.remove(id);
          break;
        case NeighborState.Delay:
          t.setState(id, NeighborState.Probe);
          this.probes[id] = 1;
          this.solicit(id, true, null);
          this.wheel.arm(id, this.params.retransTimer);
          this.changed(id);
          break;
        case NeighborState.Probe:
          if (this.probes[id]! < this.params.maxUnicastSolicit) {
            this.probes[id]!++;
            this.solicit(id, true, null);
            this.wheel.arm(id, this.params.retransTimer);
          } else {
            this.counters.count(C['probe-failed']);
            this.remove(id);
          }
          break;
        default:
          break; // free or PERMANENT: nothing to do
      }
    } finally {
      this.out.endBatch();
    }
    this.out.checkpoint();
  }

  /**
   * Address resolution failed (RFC 4861 §7.2.2): every queued packet causes an ICMPv6
   * Destination Unreachable, code 3 (address unreachable), and the entry goes.
   */
  private fail(id: number): void {
    const Q = this.params.queueLength;
    const base = id * Q;
    while (this.qCount[id]! > 0) {
      const h = this.qHead[id]!;
      const pb = this.queue[base + h]!;
      this.queue[base + h] = null;
      this.qHead[id] = (h + 1) % Q;
      this.qCount[id]!--;
      this.counters.count(C['resolution-failed']);
      this.out.toIcmpError(
        pb,
        Icmpv6Type.DestinationUnreachable,
        DestUnreachCode.AddressUnreachable,
      );
    }
    this.remove(id);
  }

  /** Moves entry `id` to `st`, arms the state's timer, and reports a change of state. */
  private enterState(id: number, st: NeighborStateValue): void {
    const old = this.table.state[id];
    this.table.setState(id, st);
    if (st === NeighborState.Reachable) {
      if (this.now() - this.reachableComputedAt > REACHABLE_TIME_RECOMPUTE)
        this.recomputeReachable();
      this.wheel.arm(id, this.reachableTime);
    } else if (st === NeighborState.Stale) {
      this.wheel.arm(id, STALE_GC_TIME);
    }
    if (old !== st) this.changed(id);
  }

  /** RFC 4861 §6.3.2: ReachableTime = BaseReachableTime × uniform[MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR]. */
  recomputeReachable(): void {
    const f = MIN_RANDOM_FACTOR + (MAX_RANDOM_FACTOR - MIN_RANDOM_FACTOR) * this.random();
    this.reachableTime = Math.round(this.params.reachableTime * f);
    this.reachableComputedAt = this.now();
  }

  // -------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------

  /**
   * Sends a Neighbor Solicitation for entry `id`: multicast to the solicited-node group
   * (resolution) or unicast to the cached address (NUD probe). Source per RFC 4861 §7.2.2:
   * the source of the packet that prompted it when that address belongs to the outgoing
   * interface, else an address of the interface (of the target's scope when possible).
   */
  private solicit(id: number, unicast: boolean, prompt: PacketBuffer | null): void {
    const t = this.table;
    const ifIndex = t.ifIndex[id]!;
    const iface = this.router.interfaces[ifIndex];
    if (iface === undefined) return;
    const addrs = t.addrs;
    const toff = id * 16;
    let src: Uint8Array | null = null;
    if (prompt !== null && prompt.l3 >= 0) {
      const rec = this.book.find(ifIndex, prompt.bytes, prompt.l3 + 8);
      if (rec !== null && rec.state !== AddrState.Duplicate) src = rec.address;
    }
    src ??= this.book.pickSource(ifIndex, isIpv6LinkLocal(addrs, toff));
    if (src === null) {
      this.counters.count(C['no-source-address']);
      return;
    }
    const pb = this.builder.neighborSolicit(src, addrs, toff, unicast, iface.mac);
    if (pb === null) {
      this.counters.count(C['no-buffer']);
      return;
    }
    this.counters.count(C['ns-sent']);
    this.out.sendIp6(pb, ifIndex);
  }

  private createOwned(ifIndex: number, b: Uint8Array, off: number, st: NeighborStateValue): number {
    const id = this.table.create(ifIndex, b, off, st);
    if (id >= this.capacity) this.ensure(this.table.state.length);
    this.owned[id] = 1;
    this.probes[id] = 0;
    this.qHead[id] = 0;
    this.qCount[id] = 0;
    return id;
  }

  /**
   * Queues `pb` on entry `id`. A full queue gives up its oldest forwarded packet — never a
   * packet this router originated (a PBU, an NA, an ICMPv6 error) while a forwarded one
   * could go instead: a burst of data waiting for the same next hop must not push out the
   * signalling that makes the data flow.
   */
  private enqueue(id: number, pb: PacketBuffer): void {
    const Q = this.params.queueLength;
    const base = id * Q;
    const h = this.qHead[id]!;
    if (this.qCount[id] === Q) {
      // the oldest forwarded packet in ring order, or -1
      let victim = -1;
      for (let k = 0; k < Q; k++) {
        const q = this.queue[base + ((h + k) % Q)]!;
        if ((q.flags & PacketFlag.LocalOrigin) === 0) {
          victim = k;
          break;
        }
      }
      if (victim < 0) {
        if ((pb.flags & PacketFlag.LocalOrigin) === 0) {
          this.counters.drop(pb, C['queue-overflow']);
          return;
        }
        victim = 0;
      }
      const dropped = this.queue[base + ((h + victim) % Q)]!;
      // close the gap: move the packets after the victim one slot towards the head
      for (let k = victim; k < Q - 1; k++) {
        this.queue[base + ((h + k) % Q)] = this.queue[base + ((h + k + 1) % Q)]!;
      }
      this.queue[base + ((h + Q - 1) % Q)] = null;
      this.qCount[id]!--;
      this.counters.drop(dropped, C['queue-overflow']);
    }
    this.queue[base + ((h + this.qCount[id]!) % Q)] = pb;
    this.qCount[id]!++;
  }

  private queueHead(id: number): PacketBuffer | null {
    if (this.qCount[id] === 0) return null;
    return this.queue[id * this.params.queueLength + this.qHead[id]!] ?? null;
  }

  /** Sends entry `id`'s queued packets through `ip6-rewrite` (it has an address now). */
  private flushQueue(id: number): void {
    const Q = this.params.queueLength;
    const base = id * Q;
    while (this.qCount[id]! > 0) {
      const h = this.qHead[id]!;
      const pb = this.queue[base + h]!;
      this.queue[base + h] = null;
      this.qHead[id] = (h + 1) % Q;
      this.qCount[id]!--;
      this.out.toRewrite(pb);
    }
  }

  private freeQueue(id: number): void {
    const Q = this.params.queueLength;
    const base = id * Q;
    const pool = this.router.pool;
    while (this.qCount[id]! > 0) {
      const h = this.qHead[id]!;
      const pb = this.queue[base + h]!;
      this.queue[base + h] = null;
      this.qHead[id] = (h + 1) % Q;
      this.qCount[id]!--;
      pool.free(pb);
    }
  }

  private changed(id: number): void {
    this.router.events.emit('neighbor:changed', id, this.table.ifIndex[id]!, this.table.state[id]!);
  }

  /** Grows the per-entry arrays with the table (it doubles; we follow). */
  private ensure(cap: number): void {
    if (cap <= this.capacity) return;
    const Q = this.params.queueLength;
    const g8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.probes = g8(this.probes);
    this.owned = g8(this.owned);
    this.qHead = g8(this.qHead);
    this.qCount = g8(this.qCount);
    const q = new Array<PacketBuffer | null>(cap * Q).fill(null);
    for (let i = 0; i < this.queue.length; i++) q[i] = this.queue[i]!;
    this.queue = q;
    this.capacity = cap;
  }
}
