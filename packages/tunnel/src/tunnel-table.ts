/**
 * The tunnel table: IPv6-in-IPv6 tunnels (RFC 2473) keyed by (local, remote) address, shared
 * and reference counted — PMIPv6 keeps one bidirectional tunnel per MAG–LMA pair for all the
 * mobile nodes of that pair (RFC 5213 §5.6.1), the distributed gateways one per pair of
 * gateways. Per tunnel: the precomputed outer header (RFC 2473 §3.1), the path MTU to the
 * exit point and the tunnel MTU derived from it (§6.7, RFC 8201 §4), counters, and events.
 *
 * ```
 *  entry point (local)                                  exit point (remote)
 *  +-------------+   outer IPv6: src local, dst remote, NH 41   +-------------+
 *  | ip6ip6-encap| ===========================================> | ip6ip6-decap|
 *  | ip6ip6-decap| <=========================================== | ip6ip6-encap|
 *  +-------------+   outer IPv6: src remote, dst local, NH 41   +-------------+
 * ```
 *
 * Everything the data path reads is plain data in typed arrays indexed by slot: the nodes
 * read `ids`, `templates`, `pathMtu`, `mtu`, `counters`, `drops` per packet and never
 * allocate. A tunnel id is `generation * TUNNEL_SLOTS + slot`: when a slot is reused the id
 * changes, so a route still naming a removed tunnel can never reach its successor (the
 * encapsulation node drops such packets and counts `no-tunnel`).
 */
import { EventEmitter } from 'eventemitter3';
import {
  IP6IP6_OVERHEAD,
  IPV6_MIN_MTU,
  ip6ip6Template,
  ipv6Equals,
  isIpv6LinkLocal,
  isIpv6Multicast,
  isIpv6Unspecified,
} from '@dmm/wire';
import {
  AddressMap,
  ConfigError,
  RouteKind,
  formatIpv6Address,
  silentLogger,
  type Logger,
  type Router,
} from '@dmm/core';

/** Slots a table can hold; ids carry a generation above them. */
export const TUNNEL_SLOTS = 0x10000;
/** `id & TUNNEL_SLOT_MASK` is the slot of tunnel `id`. */
export const TUNNEL_SLOT_MASK = TUNNEL_SLOTS - 1;
/** Generations before an id repeats (ids stay below 2^31, as route tunnel ids must be ≥ 0). */
const GENERATIONS = 0x8000;

/** Largest IPv6 packet without a jumbogram (RFC 2675): the 16-bit Payload Length + 40. */
const MAX_PATH_MTU = 0xffff;

/** RFC 8201 §4: recommended time before trying a larger path MTU again (10 minutes). */
export const DEFAULT_PMTU_AGE_MS = 600_000;

/** Per-tunnel counters (not drops), `counters[slot * TUNNEL_COUNTER_COUNT + k]`. */
export const TunnelCounter = {
  /** Inner packets encapsulated (a fragmented one counts once). */
  EncapPackets: 0,
  /** Inner bytes encapsulated (outer headers not included). */
  EncapBytes: 1,
  /** Inner packets decapsulated and handed to ip6-input. */
  DecapPackets: 2,
  /** Inner bytes decapsulated. */
  DecapBytes: 3,
  /** Inner packets sent as two outer fragments (RFC 2473 §7.1). */
  Fragmented: 4,
  /** Packet Too Big messages received about this tunnel's packets. */
  PtbReceived: 5,
  /** Other ICMPv6 errors about this tunnel's packets, relayed to the inner source. */
  ErrorsRelayed: 6,
} as const;
export const TUNNEL_COUNTER_COUNT = 7;

/** Per-tunnel drop reasons, `drops[slot * TUNNEL_DROP_COUNT + k]`. */
export const TunnelDrop = {
  /** Inner packet larger than the tunnel MTU and than 1280: Packet Too Big sent. */
  TooBig: 0,
  /** Router-originated inner packet larger than the tunnel MTU and than 1280. */
  TooBigLocal: 1,
  /** No room in front of the packet for the outer header. */
  NoHeadroom: 2,
  /** Fragmentation needed a second buffer and the pool was empty. */
  NoBuffer: 3,
  /** Decapsulated payload is not exactly one IPv6 packet. */
  InnerMalformed: 4,
} as const;
export const TUNNEL_DROP_COUNT = 5;

/** Names of `TunnelDrop`, in code order (kebab-case, as every counter). */
export const TUNNEL_DROP_NAMES: readonly string[] = [
  'too-big',
  'too-big-local',
  'no-headroom',
  'no-buffer',
  'inner-malformed',
];

/** Result of `applyPacketTooBig`. */
export const PtbResult = {
  /** The path MTU went down to the reported value. */
  Lowered: 0,
  /** The reported MTU is not below the current path MTU (RFC 8201 §4: never raise). */
  NotLower: 1,
  /** The reported MTU is below 1280: discarded (RFC 8201 §4). */
  BelowMinimum: 2,
  /** No such tunnel. */
  NoTunnel: 3,
} as const;

/** Why a tunnel's MTU changed. */
export type TunnelMtuCause = 'packet-too-big' | 'route' | 'expired';

export type TunnelEvents = {
  /** A tunnel was created (first `acquire` of its address pair). */
  'tunnel:up': [id: number, local: Uint8Array, remote: Uint8Array];
  /** A tunnel was removed (last `release`). */
  'tunnel:down': [id: number, local: Uint8Array, remote: Uint8Array];
  /** The tunnel MTU changed (`mtu` = tunnel MTU, `pathMtu` = path MTU to the exit point). */
  'tunnel:mtu': [id: number, mtu: number, pathMtu: number, cause: TunnelMtuCause];
};

export interface AcquireOptions {
  /** Outer hop limit (RFC 2473 §3.1); default: the table's, i.e. the router's default. */
  hopLimit?: number;
}

export interface TunnelTableOptions {
  /** Outer hop limit of new tunnels; default `router.ip6.defaultHopLimit`. */
  hopLimit?: number;
  /** Time before a path MTU learned from Packet Too Big is forgotten (RFC 8201 §4). */
  pmtuAgeMs?: number;
  /** Clock in ms (tests); default `Date.now`. */
  now?: () => number;
  /** First Identification of outer fragments (RFC 8200 §4.5); default random. */
  fragmentId?: number;
  logger?: Logger;
}

/** A tunnel as the control plane sees it (`show tunnels`, tests). */
export interface TunnelInfo {
  id: number;
  local: string;
  remote: string;
  refs: number;
  hopLimit: number;
  /** MTU of the link the route to the exit point leaves by. */
  linkMtu: number;
  /** Path MTU to the exit point: the link MTU, lowered by Packet Too Big. */
  pathMtu: number;
  /** Tunnel MTU: largest inner packet sent unfragmented, at least 1280 (RFC 2473 §6.7). */
  mtu: number;
  /** Path MTU learned from Packet Too Big, or null. */
  learnedPathMtu: number | null;
  encap: { packets: number; bytes: number; fragmented: number };
  decap: { packets: number; bytes: number };
  ptbReceived: number;
  errorsRelayed: number;
  drops: Record<string, number>;
}

/**
 * Tunnels of one router. Control-plane methods (`acquire`, `release`, `refresh`, `list`)
 * may allocate; `find`, `slotOf`, `isLive`, `applyPacketTooBig` and `nextFragmentId` run
 * per packet and do not.
 */
export class TunnelTable {
  readonly events = new EventEmitter<TunnelEvents>();
  /** Outer hop limit of tunnels acquired without one. */
  readonly hopLimit: number;
  readonly pmtuAgeMs: number;

  // --- data-path arrays, indexed by slot (replaced when the table grows) ---
  /** Full id of the tunnel in each slot, -1 when the slot is free. */
  ids: Int32Array;
  /** 40-byte outer header templates (Payload Length 0), null when the slot is free. */
  templates: (Uint8Array | null)[];
  /** Path MTU to the exit point. */
  pathMtu: Int32Array;
  /** Tunnel MTU = max(1280, path MTU − 40). */
  mtu: Int32Array;
  counters: Float64Array;
  drops: Float64Array;

  // --- control-plane state ---
  private refs: Int32Array;
  private linkMtu: Int32Array;
  /** Path MTU learned from Packet Too Big (0: none) and when (ms). */
  private learnedMtu: Int32Array;
  private learnedAt: Float64Array;
  private hopLimits: Uint8Array;
  /** Next tunnel in the same-remote chain, -1 at the end (slots). */
  private nextSameRemote: Int32Array;
  /** MTU changed by the data path, event not emitted yet. */
  private mtuPending: Uint8Array;
  private generation: Int32Array;
  /** Remote address → first slot with that remote. */
  private readonly byRemote = new AddressMap();
  private readonly freeSlots: number[] = [];
  private used = 0;
  private capacity: number;
  private fragId: number;
  private flushScheduled = false;
  private readonly router: Router;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly scratch = new Uint8Array(32);
  private refreshScheduled = false;

  constructor(router: Router, opts: TunnelTableOptions = {}) {
    this.router = router;
    this.hopLimit = opts.hopLimit ?? router.ip6.defaultHopLimit;
    checkHopLimit(this.hopLimit);
    this.pmtuAgeMs = opts.pmtuAgeMs ?? DEFAULT_PMTU_AGE_MS;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger ?? silentLogger();
    this.fragId = (opts.fragmentId ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
    this.capacity = 16;
    const cap = this.capacity;
    this.ids = new Int32Array(cap).fill(-1);
    this.templates = new Array<Uint8Array | null>(cap).fill(null);
    this.pathMtu = new Int32Array(cap);
    this.mtu = new Int32Array(cap);
    this.counters = new Float64Array(cap * TUNNEL_COUNTER_COUNT);
    this.drops = new Float64Array(cap * TUNNEL_DROP_COUNT);
    this.refs = new Int32Array(cap);
    this.linkMtu = new Int32Array(cap);
    this.learnedMtu = new Int32Array(cap);
    this.learnedAt = new Float64Array(cap);
    this.hopLimits = new Uint8Array(cap);
    this.nextSameRemote = new Int32Array(cap).fill(-1);
    this.mtuPending = new Uint8Array(cap);
    this.generation = new Int32Array(cap);
  }

  /** Number of tunnels. */
  get size(): number {
    return this.used - this.freeSlots.length;
  }

  // ------------------------------------------------------------------------------------
  // Data path (no allocation)
  // ------------------------------------------------------------------------------------

  /**
   * Id of the tunnel whose remote (exit point, the peer) is the 16 bytes at
   * `bytes[remoteOff]` and whose local address is at `bytes[localOff]`, or -1. For a
   * received tunnel packet: remote = outer source, local = outer destination.
   */
  find(bytes: Uint8Array, remoteOff: number, localOff: number): number {
    let slot = this.byRemote.get(bytes, remoteOff);
    while (slot >= 0) {
      // the template's source (offset 8) is the local address
      if (ipv6Equals(bytes, localOff, this.templates[slot]!, 8)) return this.ids[slot]!;
      slot = this.nextSameRemote[slot]!;
    }
    return -1;
  }

  /** Slot of a live tunnel id, or -1 (removed, never existed, or not an id at all). */
  slotOf(id: number): number {
    if (id < 0) return -1;
    const slot = id & TUNNEL_SLOT_MASK;
    return slot < this.capacity && this.ids[slot] === id ? slot : -1;
  }

  isLive(id: number): boolean {
    return this.slotOf(id) >= 0;
  }

  /**
   * Applies a Packet Too Big about tunnel `id` reporting `mtu` (RFC 2473 §8, RFC 8201 §4):
   * below 1280 → discarded; not below the current path MTU → ignored (a PTB never raises
   * it); otherwise the path MTU becomes `mtu` and the tunnel MTU follows. The `tunnel:mtu`
   * event is emitted after the current breath. Returns a `PtbResult`.
   */
  applyPacketTooBig(id: number, mtu: number): number {
    const slot = this.slotOf(id);
    if (slot < 0) return PtbResult.NoTunnel;
    this.counters[slot * TUNNEL_COUNTER_COUNT + TunnelCounter.PtbReceived]!++;
    if (mtu < IPV6_MIN_MTU) return PtbResult.BelowMinimum;
    if (mtu >= this.pathMtu[slot]!) return PtbResult.NotLower;
    this.learnedMtu[slot] = mtu;
    this.learnedAt[slot] = this.now();
    this.recompute(slot);
    this.mtuPending[slot] = 1;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushMtuEvents);
    }
    return PtbResult.Lowered;
  }

  /** Identification for the next fragmented outer packet (RFC 8200 §4.5). */
  nextFragmentId(): number {
    const id = this.fragId;
    this.fragId = (this.fragId + 1) >>> 0;
    return id;
  }

  // ------------------------------------------------------------------------------------
  // Control plane
  // ------------------------------------------------------------------------------------

  /**
   * The tunnel from `local` (an address of this router: the entry point) to `remote` (the
   * exit point), created on first use and shared afterwards: every call adds a reference
   * that `release` gives back. Options apply when the tunnel is created.
   */
  acquire(local: Uint8Array, remote: Uint8Array, opts: AcquireOptions = {}): number {
    checkEndpoint(local, 'local');
    checkEndpoint(remote, 'remote');
    if (ipv6Equals(local, 0, remote, 0)) {
      throw new ConfigError('a tunnel needs two different endpoints', {
        local: formatIpv6Address(local),
      });
    }
    if (!this.router.local.isOurs(local, 0)) {
      throw new ConfigError(`tunnel source ${formatIpv6Address(local)} is not an address of ours`, {
        local: formatIpv6Address(local),
      });
    }
    const sc = this.scratch;
    sc.set(remote, 0);
    sc.set(local, 16);
    const existing = this.find(sc, 0, 16);
    if (existing >= 0) {
      this.refs[this.slotOf(existing)]!++;
      return existing;
    }
    const hopLimit = opts.hopLimit ?? this.hopLimit;
    checkHopLimit(hopLimit);
    const slot = this.allocSlot();
    const id = this.generation[slot]! * TUNNEL_SLOTS + slot;
    this.ids[slot] = id;
    this.templates[slot] = ip6ip6Template({ src: local, dst: remote, hopLimit });
    this.hopLimits[slot] = hopLimit;
    this.refs[slot] = 1;
    this.counters.fill(0, slot * TUNNEL_COUNTER_COUNT, (slot + 1) * TUNNEL_COUNTER_COUNT);
    this.drops.fill(0, slot * TUNNEL_DROP_COUNT, (slot + 1) * TUNNEL_DROP_COUNT);
    this.learnedMtu[slot] = 0;
    this.learnedAt[slot] = 0;
    this.mtuPending[slot] = 0;
    this.linkMtu[slot] = this.linkMtuFor(slot);
    this.recompute(slot);
    const head = this.byRemote.get(remote, 0);
    this.nextSameRemote[slot] = head;
    this.byRemote.set(remote, 0, slot);
    this.log.info(
      {
        tunnel: id,
        local: formatIpv6Address(local),
        remote: formatIpv6Address(remote),
        mtu: this.mtu[slot],
      },
      'tunnel up',
    );
    this.emit('tunnel:up', id, Uint8Array.from(local), Uint8Array.from(remote));
    return id;
  }

  /**
   * Gives back one reference; the last one removes the tunnel. Returns the references
   * left. Routes that still name the tunnel stay, but their packets are dropped (the id
   * never comes back: a reused slot gets a new id).
   */
  release(id: number): number {
    const slot = this.slotOf(id);
    if (slot < 0) throw new ConfigError(`no tunnel with id ${id}`, { tunnel: id });
    const left = --this.refs[slot]!;
    if (left > 0) return left;
    const tpl = this.templates[slot]!;
    const local = tpl.slice(8, 24);
    const remote = tpl.slice(24, 40);
    this.unlink(slot, remote);
    this.ids[slot] = -1;
    this.templates[slot] = null;
    this.mtuPending[slot] = 0;
    this.generation[slot] = (this.generation[slot]! + 1) % GENERATIONS;
    this.freeSlots.push(slot);
    this.log.info(
      { tunnel: id, local: formatIpv6Address(local), remote: formatIpv6Address(remote) },
      'tunnel down',
    );
    this.emit('tunnel:down', id, local, remote);
    return 0;
  }

  /** References held on tunnel `id` (0 when it does not exist). */
  refCount(id: number): number {
    const slot = this.slotOf(id);
    return slot < 0 ? 0 : this.refs[slot]!;
  }

  /** Every live tunnel id, in slot order. */
  tunnelIds(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.used; s++) if (this.ids[s]! >= 0) out.push(this.ids[s]!);
    return out;
  }

  /** A tunnel's state and counters, or undefined. */
  info(id: number): TunnelInfo | undefined {
    const slot = this.slotOf(id);
    if (slot < 0) return undefined;
    const tpl = this.templates[slot]!;
    const c = (k: number): number => this.counters[slot * TUNNEL_COUNTER_COUNT + k]!;
    const drops: Record<string, number> = {};
    TUNNEL_DROP_NAMES.forEach((name, k) => {
      drops[name] = this.drops[slot * TUNNEL_DROP_COUNT + k]!;
    });
    const learned = this.learnedMtu[slot]!;
    return {
      id,
      local: formatIpv6Address(tpl, 8),
      remote: formatIpv6Address(tpl, 24),
      refs: this.refs[slot]!,
      hopLimit: this.hopLimits[slot]!,
      linkMtu: this.linkMtu[slot]!,
      pathMtu: this.pathMtu[slot]!,
      mtu: this.mtu[slot]!,
      learnedPathMtu: learned === 0 ? null : learned,
      encap: {
        packets: c(TunnelCounter.EncapPackets),
        bytes: c(TunnelCounter.EncapBytes),
        fragmented: c(TunnelCounter.Fragmented),
      },
      decap: { packets: c(TunnelCounter.DecapPackets), bytes: c(TunnelCounter.DecapBytes) },
      ptbReceived: c(TunnelCounter.PtbReceived),
      errorsRelayed: c(TunnelCounter.ErrorsRelayed),
      drops,
    };
  }

  /** Every tunnel, by id. */
  list(): TunnelInfo[] {
    return this.tunnelIds()
      .map((id) => this.info(id)!)
      .sort((a, b) => a.id - b.id);
  }

  /** Counter `k` (`TunnelCounter`) of tunnel `id` (0 when it does not exist). */
  counter(id: number, k: number): number {
    const slot = this.slotOf(id);
    return slot < 0 ? 0 : this.counters[slot * TUNNEL_COUNTER_COUNT + k]!;
  }

  /** Drop counter `k` (`TunnelDrop`) of tunnel `id` (0 when it does not exist). */
  dropCount(id: number, k: number): number {
    const slot = this.slotOf(id);
    return slot < 0 ? 0 : this.drops[slot * TUNNEL_DROP_COUNT + k]!;
  }

  /**
   * Looks up the route to every exit point again and takes the outgoing link's MTU as the
   * start of the path MTU (routes and interfaces changed). Emits `tunnel:mtu` for tunnels
   * whose MTU moved.
   */
  refresh(): void {
    for (let s = 0; s < this.used; s++) {
      if (this.ids[s]! < 0) continue;
      const before = this.mtu[s]!;
      const beforePath = this.pathMtu[s]!;
      this.linkMtu[s] = this.linkMtuFor(s);
      this.recompute(s);
      if (this.mtu[s] !== before || this.pathMtu[s] !== beforePath) {
        this.emit('tunnel:mtu', this.ids[s]!, this.mtu[s]!, this.pathMtu[s]!, 'route');
      }
    }
  }

  /** `refresh()` once, after the current breath (many route changes in a row cost one). */
  scheduleRefresh(): void {
    if (this.refreshScheduled) return;
    this.refreshScheduled = true;
    setImmediate(() => {
      this.refreshScheduled = false;
      this.refresh();
    });
  }

  /**
   * Forgets path MTUs learned from Packet Too Big longer than `pmtuAgeMs` ago, so a larger
   * path MTU is tried again (RFC 8201 §4). Returns how many tunnels changed.
   */
  expirePathMtu(): number {
    const now = this.now();
    let n = 0;
    for (let s = 0; s < this.used; s++) {
      if (this.ids[s]! < 0 || this.learnedMtu[s] === 0) continue;
      if (now - this.learnedAt[s]! < this.pmtuAgeMs) continue;
      this.learnedMtu[s] = 0;
      this.mtuPending[s] = 0;
      this.recompute(s);
      n++;
      this.emit('tunnel:mtu', this.ids[s]!, this.mtu[s]!, this.pathMtu[s]!, 'expired');
    }
    return n;
  }

  /** Removes every tunnel whatever its references (module teardown). */
  clear(): void {
    for (const id of this.tunnelIds()) {
      this.refs[this.slotOf(id)] = 1;
      this.release(id);
    }
  }

  // ------------------------------------------------------------------------------------

  private readonly flushMtuEvents = (): void => {
    this.flushScheduled = false;
    for (let s = 0; s < this.used; s++) {
      if (this.mtuPending[s] === 0) continue;
      this.mtuPending[s] = 0;
      if (this.ids[s]! < 0) continue;
      this.log.info(
        { tunnel: this.ids[s], mtu: this.mtu[s], pathMtu: this.pathMtu[s] },
        'tunnel MTU lowered by Packet Too Big',
      );
      this.emit('tunnel:mtu', this.ids[s]!, this.mtu[s]!, this.pathMtu[s]!, 'packet-too-big');
    }
  };

  /** Listener exceptions are logged, never thrown into table operations or the data path. */
  private emit<E extends keyof TunnelEvents>(event: E, ...args: TunnelEvents[E]): void {
    for (const fn of this.events.listeners(event)) {
      try {
        (fn as (...a: TunnelEvents[E]) => void)(...args);
      } catch (e) {
        this.log.error({ event, err: e }, 'tunnel event listener failed');
      }
    }
  }

  /** Path MTU and tunnel MTU of `slot` from its link MTU and learned MTU. */
  private recompute(slot: number): void {
    const learned = this.learnedMtu[slot]!;
    const link = this.linkMtu[slot]!;
    const path = learned !== 0 && learned < link ? learned : link;
    this.pathMtu[slot] = path;
    // RFC 2473 §6.7 / §7.1: inner packets up to 1280 are always accepted (and fragmented
    // when the path needs it), so the tunnel MTU never goes below the IPv6 minimum.
    this.mtu[slot] = Math.max(IPV6_MIN_MTU, path - IP6IP6_OVERHEAD);
  }

  /**
   * The MTU of the link that the route to the exit point (looked up from the local address,
   * source rules included) leaves by; another tunnel's MTU when that route is a tunnel; 1280
   * when there is no usable route yet. Kept within [1280, 65535]: IPv6 needs links of at
   * least 1280 (RFC 8200 §5) and we send no jumbograms.
   */
  private linkMtuFor(slot: number): number {
    const tpl = this.templates[slot]!;
    const sc = this.scratch;
    sc.set(tpl.subarray(8, 40), 0);
    const routes = this.router.routes;
    const rid = routes.lookup(sc, 0, 16);
    let mtu = IPV6_MIN_MTU;
    if (rid >= 0) {
      const r = routes.routes[rid]!;
      if (r.kind === RouteKind.Unicast) {
        mtu = this.router.interfaces[r.ifIndex]?.mtu ?? IPV6_MIN_MTU;
      } else if (r.kind === RouteKind.Tunnel) {
        const inner = this.slotOf(r.tunnel);
        if (inner >= 0 && inner !== slot) mtu = this.mtu[inner]!;
      }
    }
    return Math.min(MAX_PATH_MTU, Math.max(IPV6_MIN_MTU, mtu));
  }

  private unlink(slot: number, remote: Uint8Array): void {
    const head = this.byRemote.get(remote, 0);
    const next = this.nextSameRemote[slot]!;
    if (head === slot) {
      if (next >= 0) this.byRemote.set(remote, 0, next);
      else this.byRemote.delete(remote, 0);
    } else {
      let s = head;
      while (s >= 0 && this.nextSameRemote[s] !== slot) s = this.nextSameRemote[s]!;
      if (s >= 0) this.nextSameRemote[s] = next;
    }
    this.nextSameRemote[slot] = -1;
  }

  private allocSlot(): number {
    const free = this.freeSlots.shift();
    if (free !== undefined) return free;
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  private grow(): void {
    if (this.capacity >= TUNNEL_SLOTS) {
      throw new ConfigError(`tunnel table full (${TUNNEL_SLOTS} tunnels)`);
    }
    const cap = this.capacity * 2;
    this.ids = growI32(this.ids, cap, -1);
    const t = new Array<Uint8Array | null>(cap).fill(null);
    for (let i = 0; i < this.capacity; i++) t[i] = this.templates[i]!;
    this.templates = t;
    this.pathMtu = growI32(this.pathMtu, cap, 0);
    this.mtu = growI32(this.mtu, cap, 0);
    this.counters = growF64(this.counters, cap * TUNNEL_COUNTER_COUNT);
    this.drops = growF64(this.drops, cap * TUNNEL_DROP_COUNT);
    this.refs = growI32(this.refs, cap, 0);
    this.linkMtu = growI32(this.linkMtu, cap, 0);
    this.learnedMtu = growI32(this.learnedMtu, cap, 0);
    this.learnedAt = growF64(this.learnedAt, cap);
    const hl = new Uint8Array(cap);
    hl.set(this.hopLimits);
    this.hopLimits = hl;
    this.nextSameRemote = growI32(this.nextSameRemote, cap, -1);
    const mp = new Uint8Array(cap);
    mp.set(this.mtuPending);
    this.mtuPending = mp;
    this.generation = growI32(this.generation, cap, 0);
    this.capacity = cap;
  }
}

function growI32(a: Int32Array, cap: number, fill: number): Int32Array {
  const out = new Int32Array(cap).fill(fill);
  out.set(a);
  return out;
}

function growF64(a: Float64Array, len: number): Float64Array {
  const out = new Float64Array(len);
  out.set(a);
  return out;
}

function checkEndpoint(addr: Uint8Array, which: string): void {
  if (!(addr instanceof Uint8Array) || addr.length !== 16) {
    throw new ConfigError(`tunnel ${which} address must be 16 bytes`, { which });
  }
  // RFC 2473 §3: entry and exit points are unicast nodes; link-local ones cannot be routed.
  if (isIpv6Unspecified(addr, 0) || isIpv6Multicast(addr, 0) || isIpv6LinkLocal(addr, 0)) {
    throw new ConfigError(
      `tunnel ${which} address ${formatIpv6Address(addr)} must be a routable unicast address`,
      { which, address: formatIpv6Address(addr) },
    );
  }
}

function checkHopLimit(v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 255) {
    throw new ConfigError(`tunnel hop limit must be an integer in 1..255, got ${v}`, {
      hopLimit: v,
    });
  }
}
