/**
 * A distributed gateway (draft-bernardos-dmm-distributed-anchoring-02 §3 and §4.1–4.3, with
 * RFC 8885's numbers; the design is docs/dgw.md). Per mobile node and per prefix, this D-GW
 * is one of:
 *
 * ```
 *   access router  the prefix it delegated, the node attached here: serving DLIF, on-link
 *                  route out of it, RAs with normal lifetimes (§4.2 steps 2, 4, 6)
 *   MAG            another anchor's prefix, the node attached here: anchor DLIF with that
 *                  anchor's MAC and link-local, table T(A) ::/0 → tunnel to A, rule
 *                  `from p lookup T(A)`, inputTable of the DLIF = Tin(A) (A's local
 *                  networks → tunnel to A), route p out of the DLIF, PBU with the D flag,
 *                  refresh (§4.2 steps 7, 8)
 *   LMA            the prefix it delegated, the node attached elsewhere: a Binding Cache
 *                  Entry (Proxy-CoA = the serving D-GW) and route p → tunnel (§3)
 * ```
 *
 * ```
 *   node ─L2/RS/frame─▶ S: context store: register, claim (compare-and-set)
 *                         own prefix (the one S delegated before, or a new /64): serving DLIF
 *                         for each other anchor A: prepare (DLIF, tunnel, rules, routes) at once
 *                         ──PBU A|P|D [MN-ID, MN-LLI, HI 3, ATT, TS, Anchored Prefix p]──▶ A
 *                                            A: 154 / 155 / 156 / 157 … checks, BCE p → S,
 *                                               route p → tunnel(A,S); serving state dropped
 *                                               when A served the node (it left)
 *                         ◀──PBA P|D [MN-ID, AP p, Local Prefix …, DLIF LLA, DLIF L2, TS]──
 *                         accepted: confirm DLIF, RIOs, refresh scheduled
 *                         refused / no answer: preparation undone, p released
 * ```
 *
 * Ordering of PBUs (RFC 5213 §5.5): timestamps. An anchor keeps, per prefix it delegated,
 * the highest timestamp it accepted — and, when the node attaches to it again, the time it
 * took the node back — so a late refresh from a D-GW the node has left is refused with 157
 * instead of pulling the binding away from where the node is.
 *
 * Everything that waits on the context store is asynchronous and serialised per node; a
 * node's generation number, bumped whenever its serving state is built or dropped, makes a
 * step that resumes after an await give up when the node moved on in the meantime.
 */
import {
  ConfigError,
  DmmError,
  MAIN_TABLE,
  NeighborState,
  RouteKind,
  formatIpv6Address,
  formatIpv6Prefix,
  formatMacAddress,
  maskPrefix,
  parseMacAddress,
  type Interface,
  type Ipv6Prefix,
  type Logger,
  type Route,
  type Router,
  type TimerHandle,
} from '@dmm/core';
import {
  BindingCache,
  BindingUpdateList,
  mnIdNai,
  type BindingCacheEntry,
  type BindingUpdateListEntry,
  type Clock,
  type MnIdentifier,
} from '@dmm/binding-cache';
import type { Dlif, DlifManager, DlifPrefixSpec, DlifRouteSpec } from '@dmm/dlif';
import {
  groupByAnchor,
  type AnchorGroup,
  type MobilityContextStore,
  type PrefixRecord,
} from '@dmm/mobility-context';
import {
  PbuTransactions,
  checkTimestamp,
  sequenceNewer,
  timestampMs,
  type PbaMessage,
  type PbuMessage,
  type TimerService,
  type TransactionResult,
} from '@dmm/pmip';
import type { TunnelTable } from '@dmm/tunnel';
import {
  HandoffIndicator,
  PbaFlag,
  PbaStatus,
  PbuFlag,
  findAnchoredPrefixes,
  findLocalPrefixes,
  findMnId,
  findOption,
  lifetimeFromSeconds,
  lifetimeToSeconds,
  pbaStatusAccepted,
  pbaStatusName,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';
import { defaultDgwName, defaultLmaName, type DgwConfig } from './config.js';
import { AccessWatch, HandoverWatch, NodeStatus } from './datapath.js';
import { buildDgwPba, buildDgwPbu } from './messages.js';
import { PrefixPool } from './pool.js';

const ORIGIN = 'dgw';
/** PBUs re-sent after TIMESTAMP_MISMATCH (156) before the link is given up. */
const MISMATCH_RETRIES = 2;
/**
 * Attachments started per turn of the event loop. A burst of L2 triggers (a train full of
 * nodes changing D-GW) must not hold the data path, nor keep the first nodes' PBUs waiting
 * behind the last nodes' DLIFs: each turn sets up this many, then packets and timers run.
 */
const ATTACH_BATCH = 16;
/** How often, and how long at most, a tunnel route waits for its peer's ND resolution (ms). */
const ND_POLL_MS = 2;
/**
 * How often the backbone neighbour of every peer we may signal is checked, and resolved
 * again if its entry went away (ms). Resolving ahead keeps ND off a handover's critical path.
 */
const PEER_PRIME_MS = 5000;
const ND_WAIT_MS = 2000;

/** Why an attachment began. */
export type AttachCause = 'rs' | 'frame' | 'l2';
/** Why this D-GW stopped serving a node. */
export type DropCause = 'moved' | 'detach' | 'interface' | 'stop';
/** Why an anchored prefix's MAG state went at the serving D-GW. */
export type LinkEnd = 'idle' | 'lifetime' | 'refused' | 'superseded' | 'timeout' | 'invalid';
/** Why this D-GW released a prefix it anchors. */
export type OwnRelease = 'dereg' | 'lifetime' | 'unserved';

/** A D-GW we may signal, or a central LMA (draft §5) that relays to another operator's. */
export interface Peer {
  /** The D-GW id (0 for a central LMA). */
  readonly id: number;
  readonly name: string;
  readonly address: Uint8Array;
  /** The D-GW's operator ('' for a central LMA). */
  readonly operator: string;
  /** T(A) at this D-GW: the table of the tunnel to `address`. */
  readonly table: number;
  /** Tin(A): the input table of A's DLIFs, A's local networks only (-1 for a central LMA). */
  readonly inTable: number;
  /** A central inter-operator LMA (`centralLmas`), not a D-GW. */
  readonly relay: boolean;
}

/** A prefix this D-GW delegated (anchor side). */
export interface OwnPrefix {
  readonly key: string;
  readonly prefix: Uint8Array;
  readonly prefixLen: number;
  readonly nai: string;
  readonly mnId: MnIdentifier;
  dlifMac: Uint8Array;
  dlifLinkLocal: Uint8Array;
  /** The binding to the serving D-GW while the node is attached elsewhere. */
  bce: BindingCacheEntry | null;
  servedLocally: boolean;
  /** Highest accepted PBU timestamp, or the time we took the node back (ms since 1970). */
  lastTsMs: number;
  /** Monotonic ms since neither served here nor bound elsewhere (NaN otherwise). */
  unservedSince: number;
}

/** Handover timing of one anchor link (monotonic ms). */
export interface HandoverTiming {
  node: string;
  anchor: string;
  cause: AttachCause;
  trigger: number;
  pbuSent: number;
  pba: number;
  firstPacket: number;
  firstDirection: 'uplink' | 'downlink' | null;
  status: number | null;
}

/** MAG state at the serving D-GW for the prefixes of one anchor. */
interface AnchorLink {
  slot: number;
  node: NodeRec;
  /** The anchoring D-GW: the DLIF's identity, the prefixes' anchor. */
  peer: Peer;
  /**
   * Where the PBUs and the tunnel go: `peer` itself, or the central LMA relaying to it when
   * it belongs to another operator (draft §5: the LMA is the anchor as far as we can tell).
   */
  via: Peer;
  dlif: Dlif;
  prefixes: Ipv6Prefix[];
  localNetworks: Ipv6Prefix[];
  /** The link holds a reference on Tin(peer) (its DLIF's input table). */
  inTable: boolean;
  bul: BindingUpdateListEntry;
  key: string;
  state: 'pending' | 'active';
  downRoutes: Route[];
  lastHits: number;
  lastActive: number;
  grantedUntil: number;
  /** PBUs re-sent after status 156 in a row. */
  mismatchRetries: number;
  timing: HandoverTiming;
}

interface ServingState {
  ifIndex: number;
  dlif: Dlif | null;
  own: OwnPrefix | null;
  links: Map<string, AnchorLink>;
  cause: AttachCause;
  trigger: number;
  /** The attach is still setting up our own prefix: the attach command is not answered yet. */
  delegating: boolean;
}

/** A node this D-GW knows (a profile, or one seen under `mobileNodes.default: allow`). */
interface NodeRec {
  readonly slot: number;
  readonly nai: string;
  readonly mnId: MnIdentifier;
  readonly mac: Uint8Array;
  readonly allowed: boolean;
  readonly dynamic: boolean;
  gen: number;
  serving: ServingState | null;
  attaching: boolean;
  waiters: ((r: AttachResult) => void)[];
  busy: Promise<void>;
}

/** What `dmmctl attach` reports. */
export interface AttachResult {
  mn: string;
  mac: string;
  state: string;
  prefixes: { prefix: string; anchor: string; role: string; state: string }[];
}

/** `show bindings`, one row per (node, prefix). */
export interface DgwBindingRow {
  mn: string;
  mac: string | null;
  prefix: string;
  anchor: string;
  /** `access-router` (ours, node here), `mag` (another anchor's, node here), `lma` (ours, node elsewhere). */
  role: 'access-router' | 'mag' | 'lma';
  /** Serving D-GW for `lma` rows (name when a peer or a central LMA). */
  servingDgw: string | null;
  /** `mag` rows of another operator's anchor: the central LMA the binding goes through. */
  via: string | null;
  dlif: string | null;
  tunnel: number | null;
  /** Seconds left of the binding; null when none applies (served here). */
  lifetimeLeft: number | null;
  state: string;
}

interface PhaseStats {
  count: number;
  min: number;
  max: number;
  sum: number;
}

export interface DgwCounters {
  attachments: Record<AttachCause, number>;
  /** Attachments that found prefixes anchored elsewhere. */
  handovers: number;
  /** Attachments of a node whose own prefix we anchored for another serving D-GW. */
  returns: number;
  /** Attachments that did not happen, by reason. */
  attachFailed: Record<string, number>;
  pbuSent: { register: number; refresh: number; dereg: number };
  /** PBAs matched to our PBUs, by status. */
  pbaReceived: Map<number, number>;
  pbaTimeout: number;
  /** Accepted PBAs we could not use, by reason (`no-d-flag` is counted and tolerated). */
  pbaInvalid: Record<string, number>;
  /** First packet through a prepared anchor link before its PBA. */
  preparationHits: number;
  /** Preparations undone, by cause. */
  rollbacks: Record<string, number>;
  /** MAG links released, by cause. */
  linkReleases: Record<string, number>;
  /** Our own prefixes released, by cause. */
  ownReleases: Record<OwnRelease, number>;
  servingDropped: Record<DropCause, number>;
  /** Anchor groups of the context not signalled, by reason. */
  linkSkipped: Record<string, number>;
  /** Anchor links opened through a central LMA (another operator's anchor, draft §5). */
  relayedLinks: number;
  /** A PBA named another DLIF identity than the context store. */
  dlifCorrected: number;
  /** PBUs sent again after status 156 (TIMESTAMP_MISMATCH). */
  mismatchRetries: number;
  /** Tunnel routes held back (blackhole) until the peer's neighbour entry resolved. */
  heldForNd: number;
  storeErrors: number;
  anchor: {
    pbuReceived: number;
    accepted: Record<string, number>;
    /** Refusals by reason name (each maps to one status code). */
    refused: Record<string, number>;
    pbaSendFailed: number;
  };
}

export interface DgwOptions {
  router: Router;
  tunnels: TunnelTable;
  dlifs: DlifManager;
  store: MobilityContextStore;
  config: DgwConfig;
  /** `deprecate` or `low-preference`, resolved against the dlif plugin. */
  anchorMode: 'deprecate' | 'low-preference';
  log: Logger;
  sendPbu(src: Uint8Array, dst: Uint8Array, pbu: PbuRepr): boolean;
  sendPba(src: Uint8Array, dst: Uint8Array, pba: PbaRepr): boolean;
  timers: {
    setTimeout(fn: () => void, ms: number): TimerHandle;
    setInterval(fn: () => void, ms: number): TimerHandle;
    clear(h: TimerHandle): void;
  };
  /** ms since 1970 (RFC 5213 §5.5 timestamps, the context store). */
  wallClock?: () => number;
  /** The binding tables' clock (default monotonic). */
  clock?: Clock;
  /** Monotonic ms for handover timings and idle detection (default performance.now). */
  now?: () => number;
  /** Sequence number before the first PBU's. */
  firstSequence?: number;
}

/** Refusal reasons of the anchor and their status codes (docs/dgw.md). */
const REFUSAL: Record<string, number> = {
  'unknown-dgw': PbaStatus.MagNotAuthorizedForProxyReg,
  'other-operator': PbaStatus.MagNotAuthorizedForProxyReg,
  'not-proxy': PbaStatus.ProxyRegNotEnabled,
  'not-distributed': PbaStatus.NotLmaForThisMobileNode,
  'no-mn-id': PbaStatus.MissingMnIdentifierOption,
  'mn-id-not-nai': PbaStatus.NotLmaForThisMobileNode,
  'no-anchored-prefix': PbaStatus.MissingHomeNetworkPrefixOption,
  'no-handoff-indicator': PbaStatus.MissingHandoffIndicatorOption,
  'no-access-technology': PbaStatus.MissingAccessTechTypeOption,
  'no-timestamp': PbaStatus.TimestampMismatch,
  'timestamp-window': PbaStatus.TimestampMismatch,
  'stale-timestamp': PbaStatus.TimestampLowerThanPrevAccepted,
  'stale-sequence': PbaStatus.SequenceNumberOutOfWindow,
  'not-anchored-here': PbaStatus.NotAuthorizedForHomeNetworkPrefix,
};

export class DistributedGateway {
  readonly config: DgwConfig;
  readonly name: string;
  readonly address: Uint8Array;
  readonly cache: BindingCache;
  readonly bul: BindingUpdateList;
  readonly pool: PrefixPool;
  readonly transactions: PbuTransactions;
  readonly access: AccessWatch;
  readonly handover: HandoverWatch;
  readonly store: MobilityContextStore;
  readonly counters: DgwCounters;
  /** The last handovers (newest last). */
  readonly recent: HandoverTiming[] = [];
  private readonly phases = {
    triggerToPbu: emptyPhase(),
    pbuToPba: emptyPhase(),
    triggerToPba: emptyPhase(),
    triggerToFirstPacket: emptyPhase(),
  };
  private readonly router: Router;
  private readonly tunnels: TunnelTable;
  private readonly dlifs: DlifManager;
  private readonly log: Logger;
  private readonly timers: DgwOptions['timers'];
  private readonly wall: () => number;
  private readonly now: () => number;
  private readonly sendPbaFn: DgwOptions['sendPba'];
  private readonly anchorMode: 'deprecate' | 'low-preference';
  private readonly peers = new Map<string, Peer>();
  private readonly peersByAddr = new Map<string, Peer>();
  /** Central LMAs by address, by the operator they relay to, and the default one. */
  private readonly lmaByAddr = new Map<string, Peer>();
  private readonly lmaByOperator = new Map<string, Peer>();
  private defaultLma: Peer | null = null;
  private readonly own = new Map<string, OwnPrefix>();
  private readonly ownByNai = new Map<string, OwnPrefix>();
  private readonly nodes: (NodeRec | null)[] = [];
  private readonly byNai = new Map<string, NodeRec>();
  private readonly freeSlots: number[] = [];
  private readonly links: (AnchorLink | null)[] = [];
  private readonly freeLinks: number[] = [];
  private readonly tables = new Map<string, { table: number; tunnelId: number; users: number }>();
  /** Tin(A) by anchor name: its local networks routed into the tunnel of T(A)'s peer. */
  private readonly inTables = new Map<
    string,
    { table: number; tunnelId: number; users: number; nets: Map<string, Ipv6Prefix> }
  >();
  private readonly accessIfs: Interface[];
  private readonly maxUnits: number;
  private poolRouteInstalled = false;
  private flushScheduled = false;
  private readonly gateQueue: (() => void)[] = [];
  private gateScheduled = false;
  private attachesThisTurn = 0;
  private sweepTimer: TimerHandle | null = null;
  private primeTimer: TimerHandle | null = null;
  private running = false;

  constructor(o: DgwOptions) {
    const c = o.config;
    this.config = c;
    this.name = c.name ?? defaultDgwName(c.id);
    this.router = o.router;
    this.tunnels = o.tunnels;
    this.dlifs = o.dlifs;
    this.store = o.store;
    this.log = o.log;
    this.timers = o.timers;
    this.wall = o.wallClock ?? Date.now;
    this.now = o.now ?? (() => performance.now());
    this.sendPbaFn = o.sendPba;
    this.anchorMode = o.anchorMode;
    this.address = Uint8Array.from(c.address);
    if (!isRouterAddress(this.router, this.address)) {
      throw new ConfigError(
        `address ${formatIpv6Address(c.address)} is not an address of this router`,
        { path: ['address'] },
      );
    }
    this.accessIfs = c.accessInterfaces.map((n, i) => {
      const iface = this.router.interface(n);
      if (iface === undefined) {
        throw new ConfigError(`no interface named ${n}`, { path: ['accessInterfaces', i] });
      }
      if (iface.kind !== 'ethernet' || iface.parent >= 0) {
        throw new ConfigError(`access interface ${n} is not a physical Ethernet (TAP) interface`, {
          path: ['accessInterfaces', i],
        });
      }
      return iface;
    });
    c.peers.forEach((p, i) => {
      const peer: Peer = {
        id: p.id,
        name: p.name ?? defaultDgwName(p.id),
        address: Uint8Array.from(p.address),
        operator: p.operator,
        table: c.tableBase + i,
        inTable: c.tableBase + c.peers.length + c.centralLmas.length + i,
        relay: false,
      };
      this.peers.set(peer.name, peer);
      this.peersByAddr.set(hex16(peer.address), peer);
    });
    c.centralLmas.forEach((l, i) => {
      const lma: Peer = {
        id: 0,
        name: l.name ?? defaultLmaName(i),
        address: Uint8Array.from(l.address),
        operator: '',
        table: c.tableBase + c.peers.length + i,
        inTable: -1,
        relay: true,
      };
      this.lmaByAddr.set(hex16(lma.address), lma);
      if (l.operators === undefined) this.defaultLma = lma;
      for (const op of l.operators ?? []) this.lmaByOperator.set(op, lma);
    });
    this.maxUnits = lifetimeFromSeconds(c.bindingLifetime);
    this.pool = new PrefixPool(c.prefixPool);
    this.counters = {
      attachments: { rs: 0, frame: 0, l2: 0 },
      handovers: 0,
      returns: 0,
      attachFailed: {},
      pbuSent: { register: 0, refresh: 0, dereg: 0 },
      pbaReceived: new Map(),
      pbaTimeout: 0,
      pbaInvalid: {},
      preparationHits: 0,
      rollbacks: {},
      linkReleases: {},
      ownReleases: { dereg: 0, lifetime: 0, unserved: 0 },
      servingDropped: { moved: 0, detach: 0, interface: 0, stop: 0 },
      linkSkipped: {},
      relayedLinks: 0,
      dlifCorrected: 0,
      mismatchRetries: 0,
      heldForNd: 0,
      storeErrors: 0,
      anchor: { pbuReceived: 0, accepted: {}, refused: {}, pbaSendFailed: 0 },
    };
    const tables = { ...(o.clock ? { clock: o.clock } : {}), variables: c.pmip };
    this.cache = new BindingCache(tables);
    this.bul = new BindingUpdateList(tables);
    this.cache.events.on('bce:removed', (e, reason) => this.onBceRemoved(e, reason));
    this.bul.events.on('bul:refresh-due', (e) => this.onRefreshDue(e));
    this.bul.events.on('bul:expired', (e) => this.onBulExpired(e));
    const timerService: TimerService = {
      now: this.wall,
      setTimeout: (fn, ms) => this.timers.setTimeout(fn, ms),
      clearTimeout: (h) => this.timers.clear(h as TimerHandle),
    };
    this.transactions = new PbuTransactions(
      o.sendPbu,
      timerService,
      c.retransmission,
      ...(o.firstSequence === undefined ? [] : [o.firstSequence]),
    );
    this.access = new AccessWatch(c.mobileNodes.max, () => this.scheduleFlush());
    this.access.firstFrame = c.attach.firstFrame;
    this.access.queueUnknown = c.mobileNodes.default === 'allow';
    for (const i of this.accessIfs) this.access.setAccess(i.index);
    this.handover = new HandoverWatch(this.now, (slot, down, at) =>
      this.onFirstPacket(slot, down, at),
    );
    for (const p of c.mobileNodes.profiles) this.addNode(p.id, p.mac, p.allowed, false);
    if (c.poolRoute !== 'none') {
      this.router.addRoute({
        prefix: c.prefixPool.prefix,
        prefixLen: c.prefixPool.prefixLen,
        kind: c.poolRoute === 'blackhole' ? RouteKind.Blackhole : RouteKind.Unreachable,
        origin: ORIGIN,
      });
      this.poolRouteInstalled = true;
    }
  }

  // ── life cycle ────────────────────────────────────────────────────────────────────────

  /**
   * Reads back what this D-GW anchors from the context store (its pool after a restart:
   * the nodes still use those prefixes wherever they are), watches the access interfaces
   * and starts the idle sweep.
   */
  async start(): Promise<void> {
    const mine = await this.store.listAnchoredBy(this.name);
    const t = this.now();
    for (const r of mine) {
      if (!this.pool.reserve(r.prefix, r.prefixLen)) {
        this.log.warn(
          { prefix: formatIpv6Prefix(r.prefix, r.prefixLen) },
          'context store: a prefix anchored here lies outside the pool (ignored)',
        );
        continue;
      }
      // a serving D-GW elsewhere refreshes within the binding lifetime: wait that long first
      this.ownFromRecord(r).unservedSince = t + this.config.bindingLifetime * 1000;
    }
    for (const i of this.accessIfs) {
      this.dlifs.watch(i);
      i.foreignUnicast = this.access;
    }
    this.running = true;
    this.primePeers();
    this.primeTimer = this.timers.setInterval(() => this.primePeers(), PEER_PRIME_MS);
    this.primeTimer.unref?.();
    const idle = this.config.idleTimeout * 1000;
    if (idle > 0) {
      const every = Math.min(10_000, Math.max(50, idle / 4));
      this.sweepTimer = this.timers.setInterval(() => this.sweep(), every);
      this.sweepTimer.unref?.();
    }
    this.log.info(
      {
        name: this.name,
        address: formatIpv6Address(this.address),
        anchored: mine.length,
        peers: [...this.peers.keys()],
      },
      'D-GW ready',
    );
  }

  /** Stops serving (DLIFs withdraw their routes), drops every binding and transaction. */
  stop(): void {
    this.running = false;
    for (const i of this.accessIfs) if (i.foreignUnicast === this.access) i.foreignUnicast = null;
    if (this.sweepTimer !== null) this.timers.clear(this.sweepTimer);
    this.sweepTimer = null;
    if (this.primeTimer !== null) this.timers.clear(this.primeTimer);
    this.primeTimer = null;
    for (const n of this.nodes) if (n?.serving) this.dropServing(n, 'stop');
    this.transactions.cancelAll();
    this.bul.clear('admin');
    this.cache.clear('admin');
    for (const t of [...this.tables.keys()]) this.dropTable(t);
    for (const [name, t] of [...this.inTables]) {
      this.inTables.delete(name);
      for (const p of t.nets.values()) this.router.removeRoute(p.prefix, p.prefixLen, t.table);
    }
    if (this.poolRouteInstalled) {
      removeOwnRoute(this.router, this.config.prefixPool.prefix, this.config.prefixPool.prefixLen);
      this.poolRouteInstalled = false;
    }
  }

  // ── nodes ─────────────────────────────────────────────────────────────────────────────

  private addNode(
    nai: string,
    mac: Uint8Array,
    allowed: boolean,
    dynamic: boolean,
  ): NodeRec | null {
    const slot = this.freeSlots.pop() ?? this.nodes.length;
    if (slot >= this.config.mobileNodes.max) return null;
    const n: NodeRec = {
      slot,
      nai,
      mnId: mnIdNai(nai),
      mac: Uint8Array.from(mac),
      allowed,
      dynamic,
      gen: 0,
      serving: null,
      attaching: false,
      waiters: [],
      busy: Promise.resolve(),
    };
    this.nodes[slot] = n;
    this.byNai.set(nai, n);
    this.access.ensure(slot);
    this.access.macs.set(n.mac, 0, slot);
    this.access.status[slot] = allowed ? NodeStatus.Idle : NodeStatus.Refused;
    this.access.triggered[slot] = 0;
    return n;
  }

  /** The node with this MAC, or undefined. */
  nodeByMac(mac: Uint8Array): NodeRec | undefined {
    const s = this.access.macs.get(mac, 0);
    return s >= 0 ? (this.nodes[s] ?? undefined) : undefined;
  }

  /**
   * A node with no profile (`mobileNodes.default: allow`): the MN-ID the context store has
   * for its MAC (it was served elsewhere), else `<mac>@<realm>`.
   */
  private async learn(mac: Uint8Array): Promise<NodeRec | null> {
    const known = this.nodeByMac(mac);
    if (known) return known;
    if (this.config.mobileNodes.default !== 'allow') {
      this.failed('unknown-mn');
      return null;
    }
    let nai: string | null = null;
    try {
      nai = await this.store.findNodeByMac(mac);
    } catch (e) {
      this.storeError(e, 'findNodeByMac');
    }
    const again = this.nodeByMac(mac);
    if (again) return again;
    nai ??= `${formatMacAddress(mac).replaceAll(':', '')}@${this.config.mobileNodes.realm}`;
    if (this.byNai.has(nai)) {
      this.failed('mac-mismatch');
      return null;
    }
    const n = this.addNode(nai, mac, true, true);
    if (n === null) this.failed('too-many-nodes');
    return n;
  }

  // ── attachment detection ──────────────────────────────────────────────────────────────

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Handles what the data path queued (first frames of idle or unknown nodes). */
  flush(): void {
    const t = this.now();
    const { nodes, unknown } = this.access.drain();
    for (const d of nodes) {
      const n = this.nodes[d.slot];
      if (n) void this.attach(n, d.ifIndex, 'frame', t);
    }
    for (const u of unknown) {
      void this.learn(u.mac).then((n) => {
        if (n && n.allowed) return this.attach(n, u.ifIndex, 'frame', t);
        return undefined;
      });
    }
  }

  /**
   * A Router Solicitation from a MAC no DLIF serves, on an access interface (dlif's
   * `onUnknownSolicitation`): claimed for a node we may serve, which is attached.
   */
  onSolicitation(parent: Interface, mac: Uint8Array): boolean {
    if (!this.running || !this.config.attach.routerSolicitation) return false;
    if (!this.accessIfs.includes(parent)) return false;
    const t = this.now();
    const n = this.nodeByMac(mac);
    if (n !== undefined) {
      if (n.allowed) void this.attach(n, parent.index, 'rs', t);
      return true;
    }
    if (this.config.mobileNodes.default !== 'allow') {
      this.failed('unknown-mn');
      return false;
    }
    void this.learn(mac).then((x) =>
      x && x.allowed ? this.attach(x, parent.index, 'rs', t) : undefined,
    );
    return true;
  }

  /** `dmmctl attach --mn ID --mac MAC [--interface IF]`: a link-layer attach event. */
  async attachCommand(
    nai: string,
    mac: Uint8Array,
    ifName: string | undefined,
  ): Promise<AttachResult> {
    const t = this.now();
    let n = this.byNai.get(nai);
    if (n === undefined) {
      if (this.config.mobileNodes.default !== 'allow') {
        throw new DmmError('DMM_ERR_DGW_UNKNOWN_MN', `no profile for ${nai}`, { mn: nai });
      }
      const other = this.nodeByMac(mac);
      if (other) {
        throw new DmmError(
          'DMM_ERR_DGW_REFUSED',
          `${formatMacAddress(mac)} belongs to ${other.nai}`,
          { mn: nai },
        );
      }
      n = this.addNode(nai, mac, true, true) ?? undefined;
      if (n === undefined) throw new DmmError('DMM_ERR_DGW_REFUSED', 'mobileNodes.max reached');
    } else if (!sameBytes(n.mac, mac)) {
      throw new DmmError(
        'DMM_ERR_DGW_REFUSED',
        `${nai} has MAC ${formatMacAddress(n.mac)}, not ${formatMacAddress(mac)}`,
        { mn: nai },
      );
    }
    if (!n.allowed)
      throw new DmmError('DMM_ERR_DGW_REFUSED', `${nai} is not allowed here`, { mn: nai });
    let iface: Interface | undefined;
    if (ifName !== undefined) {
      iface = this.accessIfs.find((i) => i.name === ifName);
      if (!iface)
        throw new ConfigError(`${ifName} is not an access interface`, { interface: ifName });
    } else if (this.accessIfs.length === 1) iface = this.accessIfs[0];
    else throw new ConfigError('several access interfaces: give --interface');
    const node = n;
    const done = new Promise<AttachResult>((resolve) => node.waiters.push(resolve));
    await this.attach(node, iface!.index, 'l2', t);
    this.settle(node);
    return done;
  }

  /** `dmmctl detach --mn ID`: the node left this D-GW's access link. */
  async detachCommand(nai: string): Promise<AttachResult> {
    const n = this.byNai.get(nai);
    if (n === undefined)
      throw new DmmError('DMM_ERR_DGW_UNKNOWN_MN', `no node ${nai}`, { mn: nai });
    await this.serialise(n, async () => {
      if (n.serving === null) return;
      this.dropServing(n, 'detach');
      try {
        await this.store.compareAndSetServing(n.nai, this.name, null);
      } catch (e) {
        this.storeError(e, 'compareAndSetServing');
      }
    });
    return this.result(n);
  }

  private serialise(n: NodeRec, fn: () => Promise<void>): Promise<void> {
    const p = n.busy.then(fn).catch((e: unknown) => {
      this.log.error({ err: e, mn: n.nai }, 'D-GW step failed');
    });
    n.busy = p;
    return p;
  }

  // ── the serving side (draft §4.2 steps 1–8) ───────────────────────────────────────────

  /** Attaches `n` on access interface `ifIndex` (serialised per node). */
  attach(n: NodeRec, ifIndex: number, cause: AttachCause, trigger: number): Promise<void> {
    if (!this.running || !n.allowed) return Promise.resolve();
    // from now on a PBU timestamped earlier comes from a D-GW the node has left (§5.5)
    const o = this.ownByNai.get(n.nai);
    if (o !== undefined) o.lastTsMs = Math.max(o.lastTsMs, this.wall());
    if (n.serving === null && !n.attaching) {
      n.attaching = true;
      this.access.status[n.slot] = NodeStatus.Attaching;
    }
    return this.serialise(n, () => this.doAttach(n, ifIndex, cause, trigger));
  }

  /** Resolves in a later turn of the event loop, at most ATTACH_BATCH per turn. */
  private gate(): Promise<void> {
    return new Promise((resolve) => {
      this.gateQueue.push(resolve);
      if (!this.gateScheduled) {
        this.gateScheduled = true;
        setImmediate(() => this.openGate());
      }
    });
  }

  private openGate(): void {
    this.gateScheduled = false;
    for (const r of this.gateQueue.splice(0, ATTACH_BATCH)) r();
    if (this.gateQueue.length > 0) {
      this.gateScheduled = true;
      setImmediate(() => this.openGate());
    }
  }

  private async doAttach(
    n: NodeRec,
    ifIndex: number,
    cause: AttachCause,
    trigger: number,
  ): Promise<void> {
    if (!this.running) return;
    if (this.gateQueue.length > 0 || this.attachesThisTurn >= ATTACH_BATCH) {
      await this.gate();
      if (!this.running) return;
    } else if (this.attachesThisTurn++ === 0) {
      setImmediate(() => (this.attachesThisTurn = 0));
    }
    if (n.serving !== null) {
      if (n.serving.ifIndex === ifIndex) {
        // an L2 event or a frame for a node we serve: tell it its routers again
        n.attaching = false;
        for (const d of this.dlifs.byNode(n.nai)) this.dlifs.advertise(d);
        return;
      }
      this.dropServing(n, 'interface');
    }
    const gen = ++n.gen;
    this.counters.attachments[cause]++;
    let ctxPrefixes: readonly PrefixRecord[];
    try {
      const ctx = await this.store.registerAttachment({ mnId: n.nai, mac: n.mac }, this.name);
      if (gen !== n.gen || !this.running) return;
      const cas = await this.store.compareAndSetServing(n.nai, ctx.servingDgw, this.name);
      if (gen !== n.gen || !this.running) return;
      if (!cas.won) {
        // another D-GW claimed the node between our read and our write (docs/dgw.md step 1)
        this.failed('lost-race');
        this.log.warn({ mn: n.nai, winner: cas.servingDgw }, 'attach lost to another D-GW');
        this.idle(n);
        return;
      }
      ctxPrefixes = ctx.prefixes;
    } catch (e) {
      this.storeError(e, 'attach');
      if (gen === n.gen) this.idle(n);
      return;
    }
    const s: ServingState = {
      ifIndex,
      dlif: null,
      own: null,
      links: new Map(),
      cause,
      trigger,
      delegating: true,
    };
    n.serving = s;
    n.attaching = false;
    this.access.status[n.slot] = NodeStatus.Served;
    const iface = this.router.interfaces[ifIndex]!;
    this.log.info(
      { mn: n.nai, mac: formatMacAddress(n.mac), interface: iface.name, cause },
      'node attached',
    );
    // the other anchors first: their preparation is what keeps the node's old sessions going
    const others = groupByAnchor(ctxPrefixes.filter((r) => r.anchor.dgwId !== this.name));
    if (others.length > 0) this.counters.handovers++;
    for (const g of others) this.openLink(n, s, g);
    if (others.length > 0) {
      // the PBUs are out: let the PBAs, ND and the node's queued packets in before the
      // delegation of a new prefix (DLIF, RA, store write), which the old sessions do not need
      await new Promise<void>((r) => setImmediate(r));
      if (gen !== n.gen || !this.running || n.serving !== s) {
        s.delegating = false;
        this.settle(n);
        return;
      }
    }
    // our own prefix: the one we delegated before (the node comes back), or a new /64
    const mine = ctxPrefixes.find((r) => r.anchor.dgwId === this.name);
    if (mine !== undefined) {
      this.takeBack(n, s, this.ownFromRecord(mine));
    } else {
      await this.delegateNew(n, s, gen);
    }
    s.delegating = false;
    this.settle(n);
  }

  /** Node `n` returns: our prefix is local again (docs/dgw.md "Moving back to an anchor"). */
  private takeBack(n: NodeRec, s: ServingState, o: OwnPrefix): void {
    if (o.bce !== null) {
      this.counters.returns++;
      const e = o.bce;
      o.bce = null;
      this.cache.remove(e, 'admin');
    }
    o.servedLocally = true;
    o.unservedSince = NaN;
    // a PBU timestamped before this moment comes from a D-GW the node has left (§5.5)
    o.lastTsMs = Math.max(o.lastTsMs, this.wall());
    this.serveOwn(n, s, o, { mac: o.dlifMac, linkLocal: o.dlifLinkLocal });
  }

  /** A new /64 for node `n`, its serving DLIF, and the delegation in the context store. */
  private async delegateNew(n: NodeRec, s: ServingState, gen: number): Promise<void> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const p = this.pool.allocate();
      if (p === null) {
        this.failed('pool-exhausted');
        this.log.warn({ mn: n.nai }, 'prefix pool exhausted: the node gets no prefix of ours');
        return;
      }
      const o: OwnPrefix = {
        key: formatIpv6Prefix(p, 64),
        prefix: p,
        prefixLen: 64,
        nai: n.nai,
        mnId: n.mnId,
        dlifMac: new Uint8Array(6),
        dlifLinkLocal: new Uint8Array(16),
        bce: null,
        servedLocally: true,
        lastTsMs: this.wall(),
        unservedSince: NaN,
      };
      this.setOwn(o);
      if (!this.serveOwn(n, s, o, null)) {
        this.deleteOwn(o);
        this.pool.release(p, 64);
        return;
      }
      try {
        await this.store.delegatePrefix(n.nai, {
          prefix: { prefix: p, prefixLen: 64 },
          anchor: { dgwId: this.name, address: this.address, operator: this.config.operator },
          dlifMac: o.dlifMac,
          dlifLinkLocal: o.dlifLinkLocal,
          localNetworks: this.config.localNetworks,
          lifetimeMs: Infinity,
        });
        return;
      } catch (e) {
        const conflict = e instanceof DmmError && e.code === 'DMM_ERR_CONTEXT_CONFLICT';
        if (!conflict) this.storeError(e, 'delegatePrefix');
        else this.log.warn({ prefix: o.key }, 'prefix in use for another node: trying another');
        // the store refused: undo (unless the node moved on meanwhile, which undid it)
        if (gen === n.gen && s.own === o) {
          if (s.dlif !== null) this.dlifs.remove(s.dlif, { reason: 'released' });
          s.dlif = null;
          s.own = null;
        }
        this.deleteOwn(o);
        if (!conflict) {
          this.pool.release(p, 64);
          return;
        }
        // keep the conflicting prefix reserved: someone uses it
        if (gen !== n.gen) return;
      }
    }
  }

  /** The serving DLIF for our prefix and its on-link route (draft §4.2 steps 2, 4, 6). */
  private serveOwn(
    n: NodeRec,
    s: ServingState,
    o: OwnPrefix,
    identity: { mac: Uint8Array; linkLocal: Uint8Array } | null,
  ): boolean {
    let d: Dlif;
    try {
      d = this.dlifs.create({
        parent: this.router.interfaces[s.ifIndex]!,
        node: { id: n.nai, mac: n.mac },
        anchor: { id: this.name, address: this.address },
        role: 'serving',
        ...(identity ? { mac: identity.mac, linkLocal: identity.linkLocal } : {}),
        prefixes: [{ prefix: o.prefix, prefixLen: o.prefixLen }],
        // our local networks by RFC 4191 routes via this DLIF already: the node's route to
        // them is then the same before and after it leaves (draft §4.1 LIPA)
        routes: routeSpecs(this.config.localNetworks),
      });
    } catch (e) {
      this.failed('dlif-refused');
      this.log.warn({ err: e, mn: n.nai }, 'serving DLIF refused');
      return false;
    }
    o.dlifMac = Uint8Array.from(d.mac);
    o.dlifLinkLocal = Uint8Array.from(d.linkLocal);
    this.dlifs.addPrefixRoute(d, o.prefix, o.prefixLen, { origin: ORIGIN });
    s.dlif = d;
    s.own = o;
    return true;
  }

  /**
   * MAG state for the prefixes of one other anchor (docs/dgw.md step 3): prepared at once
   * from the context store — anchor DLIF, tunnel, table, rule, input table, downlink route —
   * then the PBU.
   */
  private openLink(n: NodeRec, s: ServingState, g: AnchorGroup): void {
    const peer = this.peers.get(g.anchor.dgwId);
    if (peer === undefined || !sameBytes(peer.address, g.anchor.address)) {
      this.skipped('unknown-anchor', n, g);
      return;
    }
    let via = peer;
    if (peer.operator !== this.config.operator || g.anchor.operator !== this.config.operator) {
      // draft §5: no tunnel between operators; the central LMA stands for the anchor
      if (g.anchor.operator !== peer.operator) {
        this.skipped('operator-mismatch', n, g);
        return;
      }
      const lma = this.lmaByOperator.get(peer.operator) ?? this.defaultLma;
      if (lma === null) {
        this.skipped('other-operator', n, g);
        return;
      }
      via = lma;
    }
    const t = this.useTable(via);
    const inTable = this.acquireInTable(peer, t.tunnelId, g.localNetworks, false);
    const prefixes = g.prefixes.map((r) => ({
      prefix: maskPrefix(r.prefix, r.prefixLen),
      prefixLen: r.prefixLen,
    }));
    let dlif: Dlif;
    try {
      dlif = this.dlifs.create({
        parent: this.router.interfaces[s.ifIndex]!,
        node: { id: n.nai, mac: n.mac },
        anchor: { id: peer.name, address: peer.address },
        role: 'anchor',
        mac: g.dlifMac,
        linkLocal: g.dlifLinkLocal,
        prefixes: this.anchorPrefixSpecs(prefixes, this.config.bindingLifetime),
        routes: routeSpecs(g.localNetworks),
        ...(inTable >= 0 ? { inputTable: inTable } : {}),
        ...(this.anchorMode === 'deprecate' ? { preference: 'low' as const } : {}),
      });
    } catch (e) {
      if (inTable >= 0) this.releaseInTable(peer);
      this.releaseTable(via);
      this.skipped('dlif-refused', n, g);
      this.log.warn({ err: e, mn: n.nai, anchor: peer.name }, 'anchor DLIF refused');
      return;
    }
    const downRoutes: Route[] = [];
    for (const p of prefixes) {
      this.router.routes.addRule(p.prefix, p.prefixLen, t.table, ORIGIN);
      downRoutes.push(this.dlifs.addPrefixRoute(dlif, p.prefix, p.prefixLen, { origin: ORIGIN }));
    }
    const bul = this.bul.create(
      {
        mnId: n.mnId,
        mnLinkLayerId: n.mac,
        prefixes,
        lmaAddress: via.address,
        accessIfIndex: s.ifIndex,
        requestedLifetimeMs: this.maxUnits * 4000,
        tunnelId: t.tunnelId,
        accessTechnology: this.config.accessTechnology,
        handoffIndicator: HandoffIndicator.MagChangeSameInterface,
        dgw: {
          dlifIfIndex: dlif.iface.index,
          dlifLinkLocal: dlif.linkLocal,
          dlifLinkLayer: dlif.mac,
          localPrefixes: g.localNetworks,
        },
      },
      { replace: true },
    );
    const slot = this.freeLinks.pop() ?? this.links.length;
    const now = this.now();
    const link: AnchorLink = {
      slot,
      node: n,
      peer,
      via,
      dlif,
      prefixes,
      localNetworks: [...g.localNetworks],
      inTable: inTable >= 0,
      bul,
      key: `${n.nai}\u0000${peer.name}`,
      state: 'pending',
      downRoutes,
      lastHits: 0,
      lastActive: now,
      grantedUntil: NaN,
      mismatchRetries: 0,
      timing: {
        node: n.nai,
        anchor: peer.name,
        cause: s.cause,
        trigger: s.trigger,
        pbuSent: NaN,
        pba: NaN,
        firstPacket: NaN,
        firstDirection: null,
        status: null,
      },
    };
    this.links[slot] = link;
    s.links.set(peer.name, link);
    if (via.relay) this.counters.relayedLinks++;
    link.lastHits = this.linkHits(link);
    for (const p of prefixes) this.handover.watch(p.prefix, p.prefixLen, slot);
    this.sendLinkPbu(link, 'register');
  }

  private skipped(reason: string, n: NodeRec, g: AnchorGroup): void {
    this.counters.linkSkipped[reason] = (this.counters.linkSkipped[reason] ?? 0) + 1;
    this.log.warn(
      {
        mn: n.nai,
        anchor: g.anchor.dgwId,
        prefixes: g.prefixes.map((r) => formatIpv6Prefix(r.prefix, r.prefixLen)),
        reason,
      },
      'anchored prefixes not signalled',
    );
  }

  /** DLIF prefix specs of an anchor's prefixes: deprecated or low-preference (draft §4.1, §4.2 step 8). */
  private anchorPrefixSpecs(
    prefixes: readonly Ipv6Prefix[],
    validSeconds: number,
  ): DlifPrefixSpec[] {
    const valid = Math.max(0, Math.floor(validSeconds));
    return prefixes.map((p) => ({
      prefix: p.prefix,
      prefixLen: p.prefixLen,
      validLifetime: valid,
      preferredLifetime: this.anchorMode === 'deprecate' ? 0 : valid,
    }));
  }

  private sendLinkPbu(link: AnchorLink, kind: 'register' | 'refresh'): void {
    const n = link.node;
    const bul = link.bul;
    const hi =
      kind === 'register' ? HandoffIndicator.MagChangeSameInterface : HandoffIndicator.NotChanged;
    let attempt = 0;
    this.counters.pbuSent[kind]++;
    this.transactions.start({
      key: link.key,
      src: this.address,
      dst: link.via.address,
      firstRegistration: kind === 'register',
      build: (sequence, nowMs) => {
        attempt++;
        if (this.bul.get(bul.id) === bul) {
          this.bul.pbuSent(bul, {
            sequence,
            lifetimeMs: this.maxUnits * 4000,
            retransmission: attempt > 1,
          });
        }
        if (Number.isNaN(link.timing.pbuSent)) link.timing.pbuSent = this.now();
        if (attempt > 1) this.counters.pbuSent[kind]++;
        return buildDgwPbu({
          sequence,
          lifetime: this.maxUnits,
          nai: n.nai,
          mac: n.mac,
          handoffIndicator: hi,
          accessTechnology: this.config.accessTechnology,
          nowMs,
          prefixes: link.prefixes,
          ...(link.via.relay ? { previousMaar: link.peer.address } : {}),
        });
      },
      done: (r) => this.onLinkPbuDone(link, kind, r),
    });
  }

  /** A PBA for this router (the `mobility-input` node's handler). */
  handlePba(m: PbaMessage): boolean {
    return this.transactions.handlePba(m.src, m.pba);
  }

  private onLinkPbuDone(
    link: AnchorLink,
    kind: 'register' | 'refresh',
    r: TransactionResult,
  ): void {
    if (r.outcome === 'cancelled') return;
    if (this.links[link.slot] !== link) return;
    if (r.outcome === 'timeout') {
      this.counters.pbaTimeout++;
      this.log.warn(
        { mn: link.node.nai, anchor: link.peer.name, attempts: r.attempts, kind },
        'no PBA from the anchor',
      );
      this.endLink(link, 'timeout');
      return;
    }
    const pba = r.pba;
    bump(this.counters.pbaReceived, pba.status);
    link.timing.status = pba.status;
    if (pba.status === PbaStatus.TimestampMismatch && link.mismatchRetries < MISMATCH_RETRIES) {
      // RFC 5213 §5.5: the anchor found our timestamp outside its window. Our clocks are
      // those of one operator; what usually puts a PBU outside 300 ms is its wait in a queue
      // (a burst of handovers), so it goes again with a fresh timestamp before giving up.
      link.mismatchRetries++;
      this.counters.mismatchRetries++;
      this.sendLinkPbu(link, kind);
      return;
    }
    link.mismatchRetries = 0;
    if (!pbaStatusAccepted(pba.status)) {
      this.log.warn(
        {
          mn: link.node.nai,
          anchor: link.peer.name,
          status: pba.status,
          name: pbaStatusName(pba.status),
          kind,
        },
        'the anchor refused the binding',
      );
      // 157: the anchor accepted a newer PBU, from the D-GW the node is at now
      this.endLink(
        link,
        pba.status === PbaStatus.TimestampLowerThanPrevAccepted ? 'superseded' : 'refused',
      );
      return;
    }
    if ((pba.flags & PbaFlag.D) === 0) this.invalid('no-d-flag');
    const named = findAnchoredPrefixes(pba);
    if (
      named.length > 0 &&
      !link.prefixes.every((p) =>
        named.some(
          (a) =>
            a.prefixLength === p.prefixLen &&
            sameBytes(maskPrefix(a.prefix, a.prefixLength), p.prefix),
        ),
      )
    ) {
      this.invalid('prefix-mismatch');
      this.endLink(link, 'invalid');
      return;
    }
    if (pba.lifetime === 0) {
      this.invalid('zero-lifetime');
      this.endLink(link, 'invalid');
      return;
    }
    const granted = lifetimeToSeconds(pba.lifetime);
    // the DLIF identity the anchor uses (options 69 and 70) wins over the context store's
    const ll = findOption(pba, 'dlif-link-local-address')?.address;
    const l2 = findOption(pba, 'dlif-link-layer-address')?.address;
    const locals = findLocalPrefixes(pba).map((l) => ({
      prefix: maskPrefix(l.prefix, l.prefixLength),
      prefixLen: l.prefixLength,
    }));
    const hasLocals = findLocalPrefixes(pba).length > 0 || ll !== undefined || l2 !== undefined;
    const localNetworks = hasLocals ? locals : link.localNetworks;
    if (
      (ll !== undefined && !sameBytes(ll, link.dlif.linkLocal)) ||
      (l2 !== undefined && !sameBytes(l2, link.dlif.mac))
    ) {
      if (
        !this.recreateDlif(
          link,
          l2 ?? link.dlif.mac,
          ll ?? link.dlif.linkLocal,
          localNetworks,
          granted,
        )
      ) {
        this.endLink(link, 'invalid');
        return;
      }
    } else {
      link.localNetworks = localNetworks;
      const inTable = this.linkInTable(link, localNetworks);
      this.dlifs.update(link.dlif, {
        prefixes: this.anchorPrefixSpecs(link.prefixes, granted),
        routes: routeSpecs(localNetworks),
        ...(inTable >= 0 && inTable !== link.dlif.iface.inputTable ? { inputTable: inTable } : {}),
      });
    }
    const grantedMs = granted * 1000;
    this.bul.registered(link.bul, grantedMs, {
      dgw: {
        dlifIfIndex: link.dlif.iface.index,
        dlifLinkLocal: link.dlif.linkLocal,
        dlifLinkLayer: link.dlif.mac,
        localPrefixes: localNetworks,
      },
    });
    link.grantedUntil = this.now() + grantedMs;
    if (link.state === 'pending') {
      link.state = 'active';
      link.timing.pba = this.now();
      this.recordPba(link);
      this.log.info(
        {
          mn: link.node.nai,
          anchor: link.peer.name,
          prefixes: link.prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
          lifetime: granted,
          ms: Math.round(link.timing.pba - link.timing.trigger),
        },
        'anchor accepted: prefixes tunnelled',
      );
      this.settle(link.node);
    }
  }

  /** Replaces a prepared anchor DLIF by one with the identity the PBA names. */
  private recreateDlif(
    link: AnchorLink,
    mac: Uint8Array,
    linkLocal: Uint8Array,
    localNetworks: Ipv6Prefix[],
    granted: number,
  ): boolean {
    this.counters.dlifCorrected++;
    const n = link.node;
    const s = n.serving!;
    const inTable = this.linkInTable(link, localNetworks);
    this.dlifs.remove(link.dlif, { reason: 'moved' });
    let d: Dlif;
    try {
      d = this.dlifs.create({
        parent: this.router.interfaces[s.ifIndex]!,
        node: { id: n.nai, mac: n.mac },
        anchor: { id: link.peer.name, address: link.peer.address },
        role: 'anchor',
        mac,
        linkLocal,
        prefixes: this.anchorPrefixSpecs(link.prefixes, granted),
        routes: routeSpecs(localNetworks),
        ...(inTable >= 0 ? { inputTable: inTable } : {}),
        ...(this.anchorMode === 'deprecate' ? { preference: 'low' as const } : {}),
      });
    } catch (e) {
      this.log.warn({ err: e, mn: n.nai }, 'the DLIF identity named by the PBA is refused here');
      // keep the link consistent for endLink: a removed DLIF is skipped there
      return false;
    }
    link.dlif = d;
    link.localNetworks = localNetworks;
    link.downRoutes = link.prefixes.map((p) =>
      this.dlifs.addPrefixRoute(d, p.prefix, p.prefixLen, { origin: ORIGIN }),
    );
    link.lastHits = this.linkHits(link);
    this.log.info(
      {
        mn: n.nai,
        anchor: link.peer.name,
        mac: formatMacAddress(mac),
        ll: formatIpv6Address(linkLocal),
      },
      'anchor DLIF re-created with the identity of the PBA',
    );
    return true;
  }

  private onRefreshDue(e: BindingUpdateListEntry): void {
    const link = this.linkOfBul(e);
    if (link && link.state === 'active') this.sendLinkPbu(link, 'refresh');
  }

  private onBulExpired(e: BindingUpdateListEntry): void {
    const link = this.linkOfBul(e);
    if (link) {
      this.log.warn(
        { mn: link.node.nai, anchor: link.peer.name },
        'binding ran out without refresh',
      );
      this.endLink(link, 'lifetime');
    }
  }

  private linkOfBul(e: BindingUpdateListEntry): AnchorLink | undefined {
    const n = this.byNai.get(e.mnKey);
    for (const l of n?.serving?.links.values() ?? []) if (l.bul === e) return l;
    return undefined;
  }

  /**
   * The MAG state of one anchor goes while the node stays (docs/dgw.md "Release", and the
   * rollback of step 3): last RA on the anchor DLIF (lifetimes 0), DLIF, rules and routes
   * removed, the table's and the tunnel's references given back. A release the anchor does
   * not know of yet (idle, lifetime) is de-registered; a refusal or a silent anchor marks
   * the prefix released in the context store (nobody else will); `superseded` (157: the
   * node is served elsewhere now) goes without a word.
   */
  private endLink(link: AnchorLink, why: LinkEnd): void {
    const n = link.node;
    const s = n.serving;
    if (s === null || s.links.get(link.peer.name) !== link) return;
    s.links.delete(link.peer.name);
    const rollback =
      why === 'refused' || why === 'timeout' || why === 'invalid' || why === 'superseded';
    if (rollback && link.state === 'pending') bumpRec(this.counters.rollbacks, why);
    else bumpRec(this.counters.linkReleases, why);
    this.transactions.cancel(link.key);
    if (why === 'idle' || why === 'lifetime') this.sendDereg(link);
    else this.bul.remove(link.bul, 'admin');
    this.teardownLink(link, why === 'superseded' ? 'moved' : 'released');
    if (why === 'refused' || why === 'timeout' || why === 'invalid') {
      for (const p of link.prefixes) void this.releaseInStore(p, null);
    }
    this.log.info(
      {
        mn: n.nai,
        anchor: link.peer.name,
        prefixes: link.prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
        why,
      },
      'anchored prefixes released here',
    );
    this.settle(n);
  }

  /** De-registration PBU (lifetime 0) for a link's binding (RFC 5213 §6.9.1.3). */
  private sendDereg(link: AnchorLink): void {
    const bul = link.bul;
    if (this.bul.get(bul.id) !== bul) return;
    const n = link.node;
    this.counters.pbuSent.dereg++;
    let attempt = 0;
    this.transactions.start({
      key: link.key,
      src: this.address,
      dst: link.via.address,
      firstRegistration: false,
      build: (sequence, nowMs) => {
        attempt++;
        if (attempt > 1) this.counters.pbuSent.dereg++;
        if (this.bul.get(bul.id) === bul) {
          this.bul.pbuSent(bul, { sequence, lifetimeMs: 0, retransmission: attempt > 1 });
        }
        return buildDgwPbu({
          sequence,
          lifetime: 0,
          nai: n.nai,
          mac: n.mac,
          handoffIndicator: HandoffIndicator.NotChanged,
          accessTechnology: this.config.accessTechnology,
          nowMs,
          prefixes: link.prefixes,
          ...(link.via.relay ? { previousMaar: link.peer.address } : {}),
        });
      },
      done: (r) => {
        if (this.bul.get(bul.id) === bul) this.bul.remove(bul, 'dereg');
        if (r.outcome === 'timeout') {
          // the anchor is silent: nobody else will mark the prefixes released
          for (const p of link.prefixes) void this.releaseInStore(p, null);
        }
      },
    });
  }

  /** Removes a link's forwarding state and DLIF; frees its slot. */
  private teardownLink(link: AnchorLink, ra: 'released' | 'moved' | 'shutdown'): void {
    for (const p of link.prefixes) {
      this.handover.unwatch(p.prefix, p.prefixLen);
      this.router.routes.removeRule(p.prefix, p.prefixLen);
    }
    if (!link.dlif.removed) this.dlifs.remove(link.dlif, { reason: ra });
    if (link.inTable) this.releaseInTable(link.peer);
    link.inTable = false;
    this.releaseTable(link.via);
    this.links[link.slot] = null;
    this.freeLinks.push(link.slot);
  }

  /**
   * This D-GW no longer serves node `n` (it moved on, was detached, or we stop): DLIFs
   * removed without a last RA (`moved`: the node is not here to hear it; `shutdown` at stop),
   * MAG links dropped (their anchors hear from the next serving D-GW; a detach
   * de-registers them, RFC 5213 §6.9.1.3), our own prefix left to the caller.
   */
  private dropServing(n: NodeRec, cause: DropCause): void {
    const s = n.serving;
    n.gen++;
    if (s === null) {
      this.idle(n);
      return;
    }
    n.serving = null;
    this.counters.servingDropped[cause]++;
    const ra = cause === 'stop' ? 'shutdown' : 'moved';
    for (const link of s.links.values()) {
      this.transactions.cancel(link.key);
      if (cause === 'detach' && link.state === 'active') this.sendDereg(link);
      else this.bul.remove(link.bul, 'admin');
      this.teardownLink(link, ra);
    }
    s.links.clear();
    if (s.dlif !== null && !s.dlif.removed) this.dlifs.remove(s.dlif, { reason: ra });
    if (s.own !== null) {
      s.own.servedLocally = false;
      if (s.own.bce === null) s.own.unservedSince = this.now();
    }
    this.idle(n);
    this.log.info({ mn: n.nai, cause }, 'node no longer served here');
    this.settle(n);
  }

  private idle(n: NodeRec): void {
    n.attaching = false;
    if (n.allowed) this.access.status[n.slot] = NodeStatus.Idle;
    this.access.triggered[n.slot] = 0;
  }

  // ── per-anchor tables (T(A)) ──────────────────────────────────────────────────────────

  /** T(A) with its ::/0 route into the tunnel to A; one reference per link using it. */
  private useTable(peer: Peer): { table: number; tunnelId: number; users: number } {
    let t = this.tables.get(peer.name);
    if (t === undefined) {
      const tunnelId = this.tunnels.acquire(this.address, peer.address);
      const table = { table: peer.table, tunnelId, users: 0 };
      t = table;
      this.tables.set(peer.name, table);
      const route = (): void => {
        this.router.addRoute({
          table: peer.table,
          prefix: new Uint8Array(16),
          prefixLen: 0,
          kind: RouteKind.Tunnel,
          tunnel: tunnelId,
          origin: ORIGIN,
        });
      };
      if (this.nextHopReady(peer.address)) route();
      else {
        // the PBU about to leave must not lose its place in the peer's ND queue to the
        // node's uplink (ndra keeps a few packets per unresolved neighbour, oldest dropped):
        // the uplink is dropped here for the millisecond ND takes
        this.holdForNd();
        this.router.addRoute({
          table: peer.table,
          prefix: new Uint8Array(16),
          prefixLen: 0,
          kind: RouteKind.Blackhole,
          origin: ORIGIN,
        });
        this.whenNextHopReady(peer.address, () => {
          if (this.tables.get(peer.name) === table) route();
        });
      }
    }
    t.users++;
    return t;
  }

  /**
   * Tin(A), the input table of A's DLIFs: A's local networks into the tunnel of T(A)'s peer
   * (A itself, or the central LMA relaying to A). What the node sends to A's DLIF for those
   * networks goes to A whatever its source (the LIPA case, draft §4.1); anything else misses
   * Tin(A) and falls through to the source rules **(ours)**: a packet from A's prefix goes to
   * A by its rule, and one from a prefix anchored here leaves here directly — as when a node
   * is back at its anchor and its kernel still sends an established flow to the router it
   * used last (an RA changing a router's preference leaves the flow's cached route alone).
   * A central LMA, which holds no binding for that prefix, never sees it. Returns the table,
   * or -1 when A has no local networks and `held` is false. Networks only join a Tin(A)
   * while it lives: they are A's, the same for every node.
   */
  private acquireInTable(
    peer: Peer,
    tunnelId: number,
    nets: readonly Ipv6Prefix[],
    held: boolean,
  ): number {
    let t = this.inTables.get(peer.name);
    if (!held && nets.length === 0) return -1;
    if (t === undefined) {
      if (held) return -1;
      t = { table: peer.inTable, tunnelId, users: 0, nets: new Map() };
      this.inTables.set(peer.name, t);
    }
    if (!held) t.users++;
    for (const p of nets) {
      const k = formatIpv6Prefix(p.prefix, p.prefixLen);
      if (t.nets.has(k)) continue;
      t.nets.set(k, p);
      this.router.addRoute({
        table: t.table,
        prefix: p.prefix,
        prefixLen: p.prefixLen,
        kind: RouteKind.Tunnel,
        tunnel: t.tunnelId,
        origin: ORIGIN,
      });
    }
    return t.table;
  }

  /** Tin(link.peer) with `nets` in it, the link holding a reference when it has one. */
  private linkInTable(link: AnchorLink, nets: readonly Ipv6Prefix[]): number {
    const tunnelId = this.tables.get(link.via.name)!.tunnelId;
    const t = this.acquireInTable(link.peer, tunnelId, nets, link.inTable);
    if (t >= 0) link.inTable = true;
    return t;
  }

  private releaseInTable(peer: Peer): void {
    const t = this.inTables.get(peer.name);
    if (t === undefined || --t.users > 0) return;
    this.inTables.delete(peer.name);
    for (const p of t.nets.values()) this.router.removeRoute(p.prefix, p.prefixLen, t.table);
  }

  private releaseTable(peer: Peer): void {
    const t = this.tables.get(peer.name);
    if (t !== undefined && --t.users <= 0) this.dropTable(peer.name);
  }

  private dropTable(name: string): void {
    const t = this.tables.get(name);
    if (t === undefined) return;
    this.tables.delete(name);
    this.router.removeRoute(new Uint8Array(16), 0, t.table);
    if (this.tunnels.isLive(t.tunnelId)) this.tunnels.release(t.tunnelId);
  }

  // ── the anchor side (docs/dgw.md "At the anchor A") ──────────────────────────────────

  /** Processes one PBU and sends its PBA; returns the status sent. */
  handlePbu(m: PbuMessage): number {
    const a = this.counters.anchor;
    a.pbuReceived++;
    const pbu = m.pbu;
    // a D-GW of ours, or a central LMA standing for another operator's (draft §5)
    const peer = this.peersByAddr.get(hex16(m.src)) ?? this.lmaByAddr.get(hex16(m.src));
    if (peer === undefined) return this.refuse(m, 'unknown-dgw');
    if (!peer.relay && peer.operator !== this.config.operator) {
      return this.refuse(m, 'other-operator');
    }
    if ((pbu.flags & PbuFlag.P) === 0) return this.refuse(m, 'not-proxy');
    // a plain RFC 5213 PBU: we are no LMA for nodes outside the distributed scheme
    if ((pbu.flags & PbuFlag.D) === 0) return this.refuse(m, 'not-distributed');
    const mnId = findMnId(pbu);
    if (mnId === undefined) return this.refuse(m, 'no-mn-id');
    if (mnId.kind !== 'mn-id') return this.refuse(m, 'mn-id-not-nai');
    const aps = findAnchoredPrefixes(pbu);
    if (aps.length === 0) return this.refuse(m, 'no-anchored-prefix');
    const hi = findOption(pbu, 'handoff-indicator');
    if (hi === undefined) return this.refuse(m, 'no-handoff-indicator');
    const att = findOption(pbu, 'access-technology-type');
    if (att === undefined) return this.refuse(m, 'no-access-technology');
    const v = this.config.pmip;
    const now = this.wall();
    const ts = findOption(pbu, 'timestamp');
    let tsMs = NaN;
    if (v.TimestampBasedApproachInUse) {
      if (ts === undefined) return this.refuse(m, 'no-timestamp', now);
      tsMs = timestampMs(ts);
      if (checkTimestamp(tsMs, now, v.TimestampValidityWindow, null) !== 'ok') {
        return this.refuse(m, 'timestamp-window', now);
      }
    }
    const owned: OwnPrefix[] = [];
    for (const ap of aps) {
      const o = this.own.get(
        formatIpv6Prefix(maskPrefix(ap.prefix, ap.prefixLength), ap.prefixLength),
      );
      if (o === undefined || o.nai !== mnId.nai || o.prefixLen !== ap.prefixLength) {
        return this.refuse(m, 'not-anchored-here');
      }
      if (!owned.includes(o)) owned.push(o);
    }
    for (const o of owned) {
      if (v.TimestampBasedApproachInUse) {
        // RFC 5213 §5.5: strictly newer than the last accepted (a replay is not)
        if (
          checkTimestamp(
            tsMs,
            now,
            Infinity,
            Number.isFinite(o.lastTsMs) ? o.lastTsMs : null,
            true,
          ) !== 'ok'
        ) {
          return this.refuse(m, 'stale-timestamp');
        }
      } else if (
        o.bce !== null &&
        sameBytes(o.bce.proxyCoa, m.src) &&
        !sequenceNewer(pbu.sequence, o.bce.sequence)
      ) {
        // RFC 6275 §9.5.1 orders one sender's PBUs: another D-GW's numbers are its own
        return this.refuse(m, 'stale-sequence', null, o.bce.sequence);
      }
    }
    const prefixes = owned.map((o) => ({ prefix: o.prefix, prefixLen: o.prefixLen }));
    if (pbu.lifetime === 0) return this.deregistration(m, owned, prefixes, tsMs);
    const units = Math.min(pbu.lifetime, this.maxUnits);
    const lli = findOption(pbu, 'mn-link-layer-id');
    for (const o of owned) {
      const n = this.byNai.get(o.nai);
      if (n !== undefined && (n.serving !== null || n.attaching)) {
        // the node attached to `peer` after anything we did for it: whatever we serve it
        // with here goes, and an attach still waiting on the context store gives up
        this.dropServing(n, 'moved');
      }
      o.servedLocally = false;
      this.bindRemote(o, m.src, {
        units,
        hi: hi.value,
        att: att.value,
        sequence: pbu.sequence,
        ts: ts ?? null,
        lli: lli?.identifier ?? null,
      });
      if (Number.isFinite(tsMs)) o.lastTsMs = tsMs;
      o.unservedSince = NaN;
    }
    const first = owned[0]!;
    return this.answer(m, 0, units, {
      prefixes,
      localNetworks: this.config.localNetworks,
      dlifLinkLocal: first.dlifLinkLocal,
      dlifMac: first.dlifMac,
    });
  }

  /** An accepted lifetime-0 PBU (RFC 5213 §5.3.5, docs/dgw.md). */
  private deregistration(
    m: PbuMessage,
    owned: OwnPrefix[],
    prefixes: Ipv6Prefix[],
    tsMs: number,
  ): number {
    let acted = false;
    for (const o of owned) {
      const e = o.bce;
      if (e === null || !sameBytes(e.proxyCoa, m.src)) continue;
      acted = true;
      if (Number.isFinite(tsMs)) o.lastTsMs = tsMs;
      // the serving D-GW removed its state: tunnelling there would loop back; the pool
      // route drops what still comes until the entry goes
      this.dropRemoteForwarding(e);
      this.cache.update(e, { tunnelId: -1, sequence: m.pbu.sequence });
      if (e.state !== 'deregistering') this.cache.deregister(e);
    }
    return this.answer(m, 0, 0, { prefixes }, acted ? 'deregistered' : 'dereg-ignored');
  }

  /** BCE (node, prefix) → Proxy-CoA `src`, and the route p → tunnel(A, S). */
  private bindRemote(
    o: OwnPrefix,
    src: Uint8Array,
    f: {
      units: number;
      hi: number;
      att: number;
      sequence: number;
      ts: { seconds: number; fraction: number } | null;
      lli: Uint8Array | null;
    },
  ): void {
    const lifetimeMs = f.units * 4000;
    const order = f.ts && this.config.pmip.TimestampBasedApproachInUse ? { timestamp: f.ts } : {};
    let e = o.bce;
    let outcome: string;
    if (e === null) {
      e = this.cache.create(
        {
          mnId: o.mnId,
          ...(f.lli ? { mnLinkLayerId: f.lli } : {}),
          prefixes: [{ prefix: o.prefix, prefixLen: o.prefixLen }],
          proxyCoa: src,
          lifetimeMs,
          accessTechnology: f.att,
          handoffIndicator: f.hi,
          sequence: f.sequence,
          ...order,
          dgw: {
            distributed: true,
            servedLocally: false,
            dlifLinkLocal: o.dlifLinkLocal,
            dlifLinkLayer: o.dlifMac,
            localPrefixes: this.config.localNetworks,
          },
        },
        { replace: true },
      );
      o.bce = e;
      this.bindRemoteForwarding(e, src);
      outcome = 'registered';
    } else {
      const moved = !sameBytes(e.proxyCoa, src);
      const changes = this.cache.update(e, {
        proxyCoa: src,
        lifetimeMs,
        accessTechnology: f.att,
        handoffIndicator: f.hi,
        sequence: f.sequence,
        ...order,
        ...(f.lli ? { mnLinkLayerId: f.lli } : {}),
      });
      if (moved || e.tunnelId < 0) this.bindRemoteForwarding(e, src);
      outcome = moved ? 'moved' : changes.revived ? 'revived' : 'refreshed';
    }
    bumpRec(this.counters.anchor.accepted, outcome);
    if (outcome !== 'refreshed') {
      this.log.info(
        {
          mn: o.nai,
          prefix: o.key,
          servingDgw: this.peerName(src),
          outcome,
        },
        'anchored prefix bound to its serving D-GW',
      );
    }
  }

  private bindRemoteForwarding(e: BindingCacheEntry, to: Uint8Array): void {
    const old = e.tunnelId;
    const t = this.tunnels.acquire(this.address, to);
    const route = (kind: typeof RouteKind.Tunnel | typeof RouteKind.Blackhole): void => {
      for (const p of e.prefixes) {
        this.router.addRoute({
          prefix: p.prefix,
          prefixLen: p.prefixLen,
          kind,
          ...(kind === RouteKind.Tunnel ? { tunnel: t } : {}),
          origin: ORIGIN,
        });
      }
    };
    if (this.nextHopReady(to)) route(RouteKind.Tunnel);
    else {
      // the PBA first: downlink waiting for the same neighbour would push it out of ND's queue
      this.holdForNd();
      route(RouteKind.Blackhole);
      this.whenNextHopReady(to, () => {
        if (this.cache.get(e.id) === e && e.tunnelId === t) route(RouteKind.Tunnel);
      });
    }
    this.cache.update(e, { tunnelId: t });
    // the new route is in place before the old tunnel loses this binding's reference
    if (old >= 0 && this.tunnels.isLive(old)) this.tunnels.release(old);
  }

  private dropRemoteForwarding(e: BindingCacheEntry): void {
    if (e.tunnelId < 0) return;
    for (const p of e.prefixes) removeOwnRoute(this.router, p.prefix, p.prefixLen, e.tunnelId);
    if (this.tunnels.isLive(e.tunnelId)) this.tunnels.release(e.tunnelId);
  }

  private onBceRemoved(e: BindingCacheEntry, reason: string): void {
    this.dropRemoteForwarding(e);
    const p = e.prefixes[0];
    if (p === undefined) return;
    const o = this.own.get(formatIpv6Prefix(p.prefix, p.prefixLen));
    if (o === undefined || o.bce !== e) return;
    o.bce = null;
    if (reason === 'dereg' || reason === 'lifetime') this.releaseOwn(o, reason);
    else if (!o.servedLocally) o.unservedSince = this.now();
  }

  /** Our prefix is no longer used: back to the pool, released in the context store. */
  private releaseOwn(o: OwnPrefix, why: OwnRelease): void {
    if (this.own.get(o.key) !== o) return;
    this.deleteOwn(o);
    this.counters.ownReleases[why]++;
    void this.releaseInStore({ prefix: o.prefix, prefixLen: o.prefixLen }, this.name).then(() =>
      this.pool.release(o.prefix, o.prefixLen),
    );
    this.log.info({ mn: o.nai, prefix: o.key, why }, 'prefix released');
  }

  private async releaseInStore(p: Ipv6Prefix, anchorDgw: string | null): Promise<void> {
    try {
      await this.store.releasePrefix(p, anchorDgw === null ? {} : { anchorDgw });
    } catch (e) {
      this.storeError(e, 'releasePrefix');
    }
  }

  private refuse(
    m: PbuMessage,
    reason: string,
    timestampNow: number | null = null,
    sequence: number | null = null,
  ): number {
    const status = REFUSAL[reason]!;
    bumpRec(this.counters.anchor.refused, reason);
    this.log.debug(
      { from: formatIpv6Address(m.src), status, name: pbaStatusName(status), reason },
      'PBU refused',
    );
    const pba = buildDgwPba(m.pbu, {
      status,
      lifetime: 0,
      ...(timestampNow === null ? {} : { timestampNowMs: timestampNow }),
    });
    if (sequence !== null) pba.sequence = sequence;
    if (!this.sendPbaFn(m.dst, m.src, pba)) this.counters.anchor.pbaSendFailed++;
    return status;
  }

  private answer(
    m: PbuMessage,
    status: number,
    units: number,
    f: {
      prefixes: Ipv6Prefix[];
      localNetworks?: readonly Ipv6Prefix[];
      dlifLinkLocal?: Uint8Array;
      dlifMac?: Uint8Array;
    },
    outcome?: string,
  ): number {
    if (outcome !== undefined) bumpRec(this.counters.anchor.accepted, outcome);
    const pba = buildDgwPba(m.pbu, { status, lifetime: units, ...f });
    if (!this.sendPbaFn(m.dst, m.src, pba)) this.counters.anchor.pbaSendFailed++;
    return status;
  }

  /** Packets to `addr` leave at once: its next hop has a link-layer address (or none is needed). */
  private nextHopReady(addr: Uint8Array): boolean {
    const rt = this.router.routes;
    const id = rt.lookupIn(MAIN_TABLE, addr, 0);
    if (id < 0) return true;
    const r = rt.routes[id]!;
    if (r.kind !== RouteKind.Unicast) return true;
    const nb = this.router.neighbors;
    const n = nb.lookup(r.ifIndex, r.gateway ?? addr, 0);
    return n >= 0 && nb.state[n] !== NeighborState.Incomplete;
  }

  /** Runs `fn` once `addr`'s next hop is resolved, or after ND_WAIT_MS whatever happened. */
  private whenNextHopReady(addr: Uint8Array, fn: () => void): void {
    const until = this.now() + ND_WAIT_MS;
    const check = (): void => {
      if (!this.running) return;
      if (this.nextHopReady(addr) || this.now() >= until) fn();
      else this.timers.setTimeout(check, ND_POLL_MS);
    };
    this.timers.setTimeout(check, ND_POLL_MS);
  }

  /**
   * Starts ND for the backbone next hop of every D-GW of our operator and every central
   * LMA, unless an entry exists (any state: STALE is usable at once, RFC 4861 §7.3.3), so
   * that a handover's first PBU, its PBA and the first tunnelled packets never wait for a
   * resolution (docs/dgw.md "Handover latency").
   */
  private primePeers(): void {
    if (!this.running) return;
    const resolver = this.router.neighbors.resolver;
    if (resolver?.prime === undefined) return;
    const rt = this.router.routes;
    for (const p of [...this.peersByAddr.values(), ...this.lmaByAddr.values()]) {
      if (!p.relay && p.operator !== this.config.operator) continue;
      const id = rt.lookupIn(MAIN_TABLE, p.address, 0);
      if (id < 0) continue;
      const r = rt.routes[id]!;
      if (r.kind !== RouteKind.Unicast) continue;
      resolver.prime(r.ifIndex, r.gateway ?? p.address, 0);
    }
  }

  private holdForNd(): void {
    this.counters.heldForNd++;
  }

  // ── own prefixes ──────────────────────────────────────────────────────────────────────

  private ownFromRecord(r: PrefixRecord): OwnPrefix {
    const key = formatIpv6Prefix(r.prefix, r.prefixLen);
    let o = this.own.get(key);
    if (o === undefined || o.nai !== r.mnId) {
      o = {
        key,
        prefix: maskPrefix(r.prefix, r.prefixLen),
        prefixLen: r.prefixLen,
        nai: r.mnId,
        mnId: mnIdNai(r.mnId),
        dlifMac: Uint8Array.from(r.dlifMac),
        dlifLinkLocal: Uint8Array.from(r.dlifLinkLocal),
        bce: null,
        servedLocally: false,
        lastTsMs: -Infinity,
        unservedSince: NaN,
      };
      this.setOwn(o);
      this.pool.reserve(o.prefix, o.prefixLen);
    }
    return o;
  }

  private setOwn(o: OwnPrefix): void {
    this.own.set(o.key, o);
    this.ownByNai.set(o.nai, o);
  }

  private deleteOwn(o: OwnPrefix): void {
    if (this.own.get(o.key) === o) this.own.delete(o.key);
    if (this.ownByNai.get(o.nai) === o) this.ownByNai.delete(o.nai);
  }

  // ── release of unused prefixes, handover timings ──────────────────────────────────────

  /** Packets that used a link's routes so far (downlink route hits + packets in on its DLIF). */
  private linkHits(link: AnchorLink): number {
    const rt = this.router.routes;
    let h = 0;
    for (const r of link.downRoutes) if (rt.routes[r.id] === r) h += rt.hits[r.id]!;
    if (!link.dlif.removed) h += link.dlif.counters().packetsIn;
    return h;
  }

  /** Idle anchored prefixes at the serving side; unserved prefixes of ours. */
  sweep(): void {
    const idle = this.config.idleTimeout * 1000;
    if (!(idle > 0)) return;
    const now = this.now();
    for (const n of this.nodes) {
      const s = n?.serving;
      if (!s) continue;
      for (const link of [...s.links.values()]) {
        const h = this.linkHits(link);
        if (h !== link.lastHits) {
          link.lastHits = h;
          link.lastActive = now;
        } else if (link.state === 'active' && now - link.lastActive >= idle) {
          this.endLink(link, 'idle');
        }
      }
    }
    for (const o of [...this.own.values()]) {
      if (!o.servedLocally && o.bce === null && now - o.unservedSince >= idle) {
        this.releaseOwn(o, 'unserved');
      }
    }
  }

  private onFirstPacket(slot: number, downlink: boolean, at: number): void {
    const link = this.links[slot];
    if (!link || !Number.isNaN(link.timing.firstPacket)) return;
    link.timing.firstPacket = at;
    link.timing.firstDirection = downlink ? 'downlink' : 'uplink';
    if (link.state === 'pending') this.counters.preparationHits++;
    addPhase(this.phases.triggerToFirstPacket, at - link.timing.trigger);
  }

  private recordPba(link: AnchorLink): void {
    const t = link.timing;
    addPhase(this.phases.triggerToPbu, t.pbuSent - t.trigger);
    addPhase(this.phases.pbuToPba, t.pba - t.pbuSent);
    addPhase(this.phases.triggerToPba, t.pba - t.trigger);
    this.recent.push(t);
    if (this.recent.length > 100) this.recent.shift();
  }

  // ── helpers and views ────────────────────────────────────────────────────────────────

  /** A peer's or central LMA's name for an address, else the address. */
  private peerName(a: Uint8Array): string {
    const k = hex16(a);
    return this.peersByAddr.get(k)?.name ?? this.lmaByAddr.get(k)?.name ?? formatIpv6Address(a);
  }

  private failed(reason: string): void {
    bumpRec(this.counters.attachFailed, reason);
  }

  private invalid(reason: string): void {
    bumpRec(this.counters.pbaInvalid, reason);
  }

  private storeError(e: unknown, what: string): void {
    if (!this.running) return;
    this.counters.storeErrors++;
    this.log.error({ err: e, what }, 'mobility context store failed');
  }

  /** Resolves `dmmctl attach` once no link of the node waits for its PBA. */
  private settle(n: NodeRec): void {
    if (n.waiters.length === 0) return;
    if (n.attaching || n.serving?.delegating === true) return;
    for (const l of n.serving?.links.values() ?? []) if (l.state === 'pending') return;
    const r = this.result(n);
    for (const w of n.waiters.splice(0)) w(r);
  }

  private result(n: NodeRec): AttachResult {
    const st =
      n.serving !== null ? 'served' : n.attaching ? 'attaching' : n.allowed ? 'idle' : 'refused';
    return {
      mn: n.nai,
      mac: formatMacAddress(n.mac),
      state: st,
      prefixes: this.rowsOf(n).map((r) => ({
        prefix: r.prefix,
        anchor: r.anchor,
        role: r.role,
        state: r.state,
      })),
    };
  }

  private rowsOf(n: NodeRec): DgwBindingRow[] {
    const rows: DgwBindingRow[] = [];
    const mac = formatMacAddress(n.mac);
    const s = n.serving;
    if (s?.own) {
      rows.push({
        mn: n.nai,
        mac,
        prefix: s.own.key,
        anchor: this.name,
        role: 'access-router',
        servingDgw: this.name,
        via: null,
        dlif: s.dlif?.name ?? null,
        tunnel: null,
        lifetimeLeft: null,
        state: 'served',
      });
    }
    for (const l of s?.links.values() ?? []) {
      const now = this.bul.clock.now();
      const left = Number.isNaN(l.bul.expiresAt)
        ? null
        : Math.max(0, Math.ceil((l.bul.expiresAt - now) / 1000));
      const t = this.tables.get(l.via.name);
      for (const p of l.prefixes) {
        rows.push({
          mn: n.nai,
          mac,
          prefix: formatIpv6Prefix(p.prefix, p.prefixLen),
          anchor: l.peer.name,
          role: 'mag',
          servingDgw: this.name,
          via: l.via.relay ? l.via.name : null,
          dlif: l.dlif.name,
          tunnel: t?.tunnelId ?? null,
          lifetimeLeft: left,
          state: l.state,
        });
      }
    }
    return rows;
  }

  /** `show bindings`: per node, every prefix with its anchor, role, DLIF, tunnel, lifetime, state. */
  bindings(mn?: string): DgwBindingRow[] {
    const rows: DgwBindingRow[] = [];
    for (const n of this.nodes) {
      if (n === null || (mn !== undefined && n.nai !== mn)) continue;
      rows.push(...this.rowsOf(n));
    }
    const now = this.cache.clock.now();
    for (const o of this.own.values()) {
      if (o.servedLocally || (mn !== undefined && o.nai !== mn)) continue;
      const e = o.bce;
      const served = e === null ? null : this.peerName(e.proxyCoa);
      rows.push({
        mn: o.nai,
        mac: this.byNai.has(o.nai) ? formatMacAddress(this.byNai.get(o.nai)!.mac) : null,
        prefix: o.key,
        anchor: this.name,
        role: 'lma',
        servingDgw: served,
        via: null,
        dlif: null,
        tunnel: e === null || e.tunnelId < 0 ? null : e.tunnelId,
        lifetimeLeft:
          e === null
            ? null
            : Math.max(
                0,
                Math.ceil(((e.state === 'deregistering' ? e.deleteAt : e.expiresAt) - now) / 1000),
              ),
        state: e === null ? 'unserved' : e.state,
      });
    }
    rows.sort((a, b) => a.mn.localeCompare(b.mn) || a.prefix.localeCompare(b.prefix));
    return rows;
  }

  /** `show dgw`. */
  stats(): DgwStats {
    const c = this.counters;
    const pba: Record<string, number> = {};
    for (const [k, n] of [...c.pbaReceived].sort((a, b) => a[0] - b[0]))
      pba[`${k} ${pbaStatusName(k)}`] = n;
    const refused: Record<string, number> = {};
    for (const [k, n] of Object.entries(c.anchor.refused)) refused[`${k} (${REFUSAL[k]})`] = n;
    let served = 0;
    let links = 0;
    for (const n of this.nodes) {
      if (n?.serving) {
        served++;
        links += n.serving.links.size;
      }
    }
    return {
      name: this.name,
      id: this.config.id,
      address: formatIpv6Address(this.address),
      operator: this.config.operator,
      pool: {
        prefix: formatIpv6Prefix(this.config.prefixPool.prefix, this.config.prefixPool.prefixLen),
        size: this.pool.size,
        allocated: this.pool.allocated,
      },
      nodesServed: served,
      anchorLinks: links,
      bindings: this.cache.size,
      attachments: { ...c.attachments },
      handovers: c.handovers,
      returns: c.returns,
      attachFailed: { ...c.attachFailed },
      pbuSent: { ...c.pbuSent },
      pbaReceived: pba,
      pbaTimeout: c.pbaTimeout,
      pbaInvalid: { ...c.pbaInvalid },
      preparationHits: c.preparationHits,
      rollbacks: { ...c.rollbacks },
      linkReleases: { ...c.linkReleases },
      ownReleases: { ...c.ownReleases },
      servingDropped: { ...c.servingDropped },
      linkSkipped: { ...c.linkSkipped },
      relayedLinks: c.relayedLinks,
      dlifCorrected: c.dlifCorrected,
      mismatchRetries: c.mismatchRetries,
      heldForNd: c.heldForNd,
      storeErrors: c.storeErrors,
      detectionOverflow: this.access.overflow,
      detectedByForeignFrame: this.access.foreignDetected,
      transactions: { ...this.transactions.counters },
      anchor: {
        pbuReceived: c.anchor.pbuReceived,
        accepted: { ...c.anchor.accepted },
        refused,
        pbaSendFailed: c.anchor.pbaSendFailed,
      },
      timings: {
        triggerToPbu: phaseOut(this.phases.triggerToPbu),
        pbuToPba: phaseOut(this.phases.pbuToPba),
        triggerToPba: phaseOut(this.phases.triggerToPba),
        triggerToFirstPacket: phaseOut(this.phases.triggerToFirstPacket),
      },
      recent: this.recent.slice(-10).map((t) => ({
        node: t.node,
        anchor: t.anchor,
        cause: t.cause,
        pbuSentMs: round2(t.pbuSent - t.trigger),
        pbaMs: round2(t.pba - t.trigger),
        firstPacketMs: Number.isNaN(t.firstPacket) ? null : round2(t.firstPacket - t.trigger),
        firstDirection: t.firstDirection,
      })),
    };
  }
}

export interface PhaseOut {
  count: number;
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
}

export interface DgwStats {
  name: string;
  id: number;
  address: string;
  operator: string;
  pool: { prefix: string; size: number; allocated: number };
  nodesServed: number;
  anchorLinks: number;
  bindings: number;
  attachments: Record<AttachCause, number>;
  handovers: number;
  returns: number;
  attachFailed: Record<string, number>;
  pbuSent: { register: number; refresh: number; dereg: number };
  pbaReceived: Record<string, number>;
  pbaTimeout: number;
  pbaInvalid: Record<string, number>;
  preparationHits: number;
  rollbacks: Record<string, number>;
  linkReleases: Record<string, number>;
  ownReleases: Record<string, number>;
  servingDropped: Record<string, number>;
  linkSkipped: Record<string, number>;
  relayedLinks: number;
  dlifCorrected: number;
  mismatchRetries: number;
  heldForNd: number;
  storeErrors: number;
  detectionOverflow: number;
  /** Attachments detected by a frame for another router's MAC (docs/dgw.md). */
  detectedByForeignFrame: number;
  transactions: Record<string, number>;
  anchor: {
    pbuReceived: number;
    accepted: Record<string, number>;
    refused: Record<string, number>;
    pbaSendFailed: number;
  };
  timings: {
    triggerToPbu: PhaseOut;
    pbuToPba: PhaseOut;
    triggerToPba: PhaseOut;
    triggerToFirstPacket: PhaseOut;
  };
  recent: {
    node: string;
    anchor: string;
    cause: AttachCause;
    pbuSentMs: number;
    pbaMs: number;
    firstPacketMs: number | null;
    firstDirection: string | null;
  }[];
}

/** Parses `--mac` text (control commands). */
export function macArg(v: unknown): Uint8Array {
  if (typeof v !== 'string') throw new ConfigError('--mac MAC is required');
  try {
    return parseMacAddress(v);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

function routeSpecs(nets: readonly Ipv6Prefix[]): DlifRouteSpec[] {
  return nets.map((l) => ({ prefix: l.prefix, prefixLen: l.prefixLen }));
}

function emptyPhase(): PhaseStats {
  return { count: 0, min: Infinity, max: -Infinity, sum: 0 };
}

function addPhase(p: PhaseStats, ms: number): void {
  if (!Number.isFinite(ms)) return;
  p.count++;
  p.sum += ms;
  if (ms < p.min) p.min = ms;
  if (ms > p.max) p.max = ms;
}

function phaseOut(p: PhaseStats): PhaseOut {
  return p.count === 0
    ? { count: 0, minMs: null, avgMs: null, maxMs: null }
    : {
        count: p.count,
        minMs: round2(p.min),
        avgMs: round2(p.sum / p.count),
        maxMs: round2(p.max),
      };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function bump(m: Map<number, number>, k: number): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function bumpRec(r: Record<string, number>, k: string): void {
  r[k] = (r[k] ?? 0) + 1;
}

function hex16(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += a[i]!.toString(16).padStart(2, '0');
  return s;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isRouterAddress(router: Router, a: Uint8Array): boolean {
  return router.interfaces.some((i) => i.addresses.some((x) => sameBytes(x.address, a)));
}

/** Removes a route of ours (into tunnel `tunnel`, when given) from the main table. */
function removeOwnRoute(router: Router, prefix: Uint8Array, len: number, tunnel = -1): void {
  const id = router.routes.table(MAIN_TABLE).getExact(prefix, len);
  if (id < 0) return;
  const r = router.routes.routes[id];
  if (!r || r.origin !== ORIGIN) return;
  // a tunnel route of another binding stays; our ND placeholder (blackhole) goes too
  if (tunnel >= 0 && r.kind === RouteKind.Tunnel && r.tunnel !== tunnel) return;
  router.removeRoute(prefix, len);
}
