/**
 * The central inter-operator LMA (draft-bernardos-dmm-distributed-anchoring-02 §5; the design
 * is docs/dgw.md "Several operators"). Operators do not tunnel to each other; when a node
 * served by a D-GW of operator Y still uses a prefix anchored by a D-GW of operator X, the
 * serving D-GW signals this LMA, which signals the anchor:
 *
 * ```
 *   serving D-GW S ══ tunnel S⇄LMA ══ [ central LMA ] ══ tunnel LMA⇄A ══ anchoring D-GW A
 *   (treats the LMA as the anchor)      BCE  p → S         (A treats the LMA as the node's
 *                                       BUL  p → A          serving D-GW)
 *   ──PBU [AP p, Previous MAAR (A, p)]──▶ policy ──PBU [AP p]──▶
 *   ◀──PBA [AP p, PMAAR, LP, DLIF LLA/L2]── ◀──PBA [AP p, LP, DLIF LLA/L2]──
 *
 *   downlink  A ══▶ decap ─ route p → tunnel(S) ══▶ S
 *   uplink    S ══▶ decap ─ rule `from p lookup T(A)`, T(A) ::/0 → tunnel(A) ══▶ A
 * ```
 *
 * One binding per (node, anchoring D-GW): the serving leg is a Binding Cache Entry
 * (Proxy-CoA S, the lifetime we granted S), the anchor leg a Binding Update List entry (LMA
 * address A, the lifetime A granted us). Every PBU from S is relayed to A and answered once
 * A has answered (a registration, a move of S, a refresh); a de-registration is answered at
 * once and relayed; a refusal by A is relayed to S and tears both legs down, as does A's
 * silence; a leg whose lifetime runs out tears both down (a de-registration goes to A when
 * the serving leg ran out — and it runs out first: A is asked one unit more than S, S is
 * granted one unit less than A). Forwarding is prepared as soon as a PBU passes the policy,
 * so the anchor's first downlink packets find their way before its PBA reaches us; what the
 * D-GWs tunnel to us from an operator's prefix with no binding here is dropped (Tunbound).
 *
 * When a node moves, the binding follows the PBUs: a PBU from another D-GW of the same
 * operator as S moves the serving leg; a PBU from a D-GW of the anchor's own operator (the
 * node went back into X, which signals A directly) makes every binding of the node towards
 * that operator stale, and they go without a word to A (A hears from the new serving D-GW).
 */
import {
  ConfigError,
  MAIN_TABLE,
  NeighborState,
  RouteKind,
  formatIpv6Address,
  formatIpv6Prefix,
  maskPrefix,
  prefixContains,
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
import {
  PbuTransactions,
  checkTimestamp,
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
  optionsOfKind,
  pbaStatusAccepted,
  pbaStatusName,
  type PbaRepr,
} from '@dmm/wire';
import { defaultDgwName, type InterOperatorLmaConfig } from './config.js';
import { buildAnchorPbu, buildServingPba, samePrefix, type ServingPbaFields } from './messages.js';

const ORIGIN = 'inter-operator-lma';
/** PBUs re-sent to an anchor after TIMESTAMP_MISMATCH (156) before the binding is given up. */
const MISMATCH_RETRIES = 2;
/** How often, and how long at most, a tunnel route waits for its peer's ND resolution (ms). */
const ND_POLL_MS = 2;
const ND_WAIT_MS = 2000;

/** A D-GW of the policy. */
export interface PolicyDgw {
  readonly id: number;
  readonly name: string;
  readonly address: Uint8Array;
  readonly operator: string;
  /** T(A) here: the table of the tunnel to this D-GW as an anchor. */
  readonly table: number;
}

/** Why a binding went. */
export type TeardownCause =
  /** The serving D-GW de-registered it (relayed to the anchor). */
  | 'dereg'
  /** The serving leg's lifetime ran out without a refresh (de-registration sent to the anchor). */
  | 'lifetime'
  /** The anchor leg's lifetime ran out. */
  | 'anchor-lifetime'
  /** The anchor refused the binding (its status relayed to the serving D-GW). */
  | 'refused'
  /** The anchor did not answer (128 to the serving D-GW). */
  | 'anchor-timeout'
  /** The anchor's PBA did not fit (other prefixes, lifetime 0). */
  | 'invalid'
  /** The node is bound elsewhere now (157 from the anchor, or a PBU showing it moved). */
  | 'superseded'
  | 'stop';

/** Refusal reasons and their status codes (RFC 5213 §8.9; docs/dgw.md "Several operators"). */
export const REFUSAL: Record<string, number> = {
  'unknown-dgw': PbaStatus.MagNotAuthorizedForProxyReg,
  'not-proxy': PbaStatus.ProxyRegNotEnabled,
  'not-distributed': PbaStatus.NotLmaForThisMobileNode,
  'no-mn-id': PbaStatus.MissingMnIdentifierOption,
  'mn-id-not-nai': PbaStatus.NotLmaForThisMobileNode,
  'no-anchored-prefix': PbaStatus.MissingHomeNetworkPrefixOption,
  'no-handoff-indicator': PbaStatus.MissingHandoffIndicatorOption,
  'no-access-technology': PbaStatus.MissingAccessTechTypeOption,
  'no-timestamp': PbaStatus.TimestampMismatch,
  'timestamp-window': PbaStatus.TimestampMismatch,
  'no-previous-maar': PbaStatus.NotLmaForThisMobileNode,
  'several-anchors': PbaStatus.ReasonUnspecified,
  'unknown-anchor': PbaStatus.AdministrativelyProhibited,
  'same-operator': PbaStatus.AdministrativelyProhibited,
  'operator-not-relayed': PbaStatus.AdministrativelyProhibited,
  'prefix-not-in-policy': PbaStatus.NotAuthorizedForHomeNetworkPrefix,
  'stale-timestamp': PbaStatus.TimestampLowerThanPrevAccepted,
  'too-many-bindings': PbaStatus.InsufficientResources,
};

type RelayKind = 'register' | 'move' | 'refresh';

/** The serving D-GW's PBU we answer once the anchor has answered ours. */
interface Request {
  m: PbuMessage;
  /** Lifetime it asked for, 4-second units. */
  units: number;
  kind: RelayKind;
  /** When it arrived, on the binding tables' clock: the serving leg's lifetime counts from here. */
  arrivedAt: number;
}

interface Binding {
  readonly key: string;
  readonly nai: string;
  readonly mnId: MnIdentifier;
  readonly anchor: PolicyDgw;
  serving: PolicyDgw;
  readonly prefixes: Ipv6Prefix[];
  state: 'pending' | 'active';
  /** Serving leg (Proxy-CoA = S), once the anchor accepted. */
  bce: BindingCacheEntry | null;
  /** Anchor leg (LMA address = A). */
  bul: BindingUpdateListEntry;
  servingTunnel: number;
  anchorTunnel: number;
  request: Request | null;
  mnLinkLayerId: Uint8Array | null;
  handoffIndicator: number;
  accessTechnology: number;
  /** Timestamp of the last PBU accepted from a serving D-GW (ms since 1970). */
  lastTsMs: number;
  dlifLinkLocal: Uint8Array | null;
  dlifMac: Uint8Array | null;
  localNetworks: Ipv6Prefix[];
  mismatchRetries: number;
  /** Monotonic ms of the first PBU and of the anchor's first accepting PBA. */
  openedAt: number;
  acceptedAt: number;
}

export interface InterOperatorCounters {
  pbuReceived: number;
  /** PBUs of serving D-GWs accepted by what they did. */
  accepted: Record<string, number>;
  /** Refusals of ours by reason (each maps to one status code). */
  refused: Record<string, number>;
  /** Our PBUs to anchors by kind (retransmissions included). */
  pbuSent: Record<'register' | 'move' | 'refresh' | 'dereg', number>;
  /** PBAs from anchors by status. */
  pbaFromAnchor: Map<number, number>;
  /** Anchor refusals relayed to the serving D-GW, by status. */
  relayedRefusals: Map<number, number>;
  /** PBAs to serving D-GWs by status (ours and relayed). */
  pbaToServing: Map<number, number>;
  anchorTimeouts: number;
  /** PBUs re-sent to an anchor after its 156. */
  mismatchRetries: number;
  /** Accepting PBAs from anchors we could not use, by reason (`no-d-flag` is tolerated). */
  pbaInvalid: Record<string, number>;
  /** Bindings gone, by cause. */
  teardowns: Record<string, number>;
  /** Tunnel routes held back (blackhole) until the peer's neighbour entry resolved. */
  heldForNd: number;
  pbaSendFailed: number;
}

export interface InterOperatorLmaOptions {
  router: Router;
  tunnels: TunnelTable;
  config: InterOperatorLmaConfig;
  log: Logger;
  sendPbu(src: Uint8Array, dst: Uint8Array, pbu: ReturnType<typeof buildAnchorPbu>): boolean;
  sendPba(src: Uint8Array, dst: Uint8Array, pba: PbaRepr): boolean;
  timers: {
    setTimeout(fn: () => void, ms: number): TimerHandle;
    clear(h: TimerHandle): void;
  };
  /** ms since 1970 (RFC 5213 §5.5 timestamps). */
  wallClock?: () => number;
  /** The binding tables' clock (default monotonic). */
  clock?: Clock;
  /** Monotonic ms for relay timings (default performance.now). */
  now?: () => number;
  /** Sequence number before our first PBU's. */
  firstSequence?: number;
}

/** One leg of a binding in `show bindings`. */
export interface LegRow {
  dgw: string;
  operator: string;
  address: string;
  tunnel: number | null;
  /** Seconds left of the lifetime granted on this leg; null before the first grant. */
  lifetimeLeft: number | null;
  state: string;
}

/** `show bindings`: one row per (node, prefix), with both legs. */
export interface InterOperatorBindingRow {
  mn: string;
  prefix: string;
  state: 'pending' | 'active';
  serving: LegRow;
  anchor: LegRow;
}

export interface InterOperatorStats {
  name: string;
  address: string;
  operators: { name: string; dgws: string[] }[];
  relay: { from: string; to: string }[];
  bindings: number;
  /** Bindings per (serving operator → anchoring operator). */
  bindingsByPair: Record<string, number>;
  pbuReceived: number;
  accepted: Record<string, number>;
  refused: Record<string, number>;
  pbuSent: Record<string, number>;
  pbaFromAnchor: Record<string, number>;
  relayedRefusals: Record<string, number>;
  pbaToServing: Record<string, number>;
  anchorTimeouts: number;
  mismatchRetries: number;
  pbaInvalid: Record<string, number>;
  teardowns: Record<string, number>;
  heldForNd: number;
  pbaSendFailed: number;
  /** Packets from an operator's prefixes with no binding here, dropped (Tunbound's hits). */
  unboundDropped: number;
  transactions: Record<string, number>;
  /** First PBU of a serving D-GW → our PBA accepting it (ms). */
  relayMs: { count: number; minMs: number | null; avgMs: number | null; maxMs: number | null };
}

export class InterOperatorLma {
  readonly config: InterOperatorLmaConfig;
  readonly address: Uint8Array;
  readonly cache: BindingCache;
  readonly bul: BindingUpdateList;
  readonly transactions: PbuTransactions;
  readonly counters: InterOperatorCounters;
  private readonly router: Router;
  private readonly tunnels: TunnelTable;
  private readonly log: Logger;
  private readonly timers: InterOperatorLmaOptions['timers'];
  private readonly wall: () => number;
  private readonly now: () => number;
  private readonly sendPbaFn: InterOperatorLmaOptions['sendPba'];
  private readonly dgws: PolicyDgw[] = [];
  private readonly dgwByAddr = new Map<string, PolicyDgw>();
  private readonly prefixesOf = new Map<string, readonly Ipv6Prefix[]>();
  private readonly relayPairs = new Set<string>();
  private readonly bindingsMap = new Map<string, Binding>();
  private readonly byNai = new Map<string, Set<Binding>>();
  private readonly byPrefix = new Map<string, Binding>();
  private readonly byBce = new Map<BindingCacheEntry, Binding>();
  private readonly byBul = new Map<BindingUpdateListEntry, Binding>();
  private readonly tables = new Map<string, { table: number; tunnelId: number; users: number }>();
  private readonly maxUnits: number;
  /** Tunbound: `::/0` blackhole, for the sources of the policy's prefixes with no binding. */
  private readonly unboundTable: number;
  private readonly guards = new Map<string, Ipv6Prefix>();
  private unboundRoute: Route | null = null;
  private readonly relayTimes = { count: 0, min: Infinity, max: -Infinity, sum: 0 };
  private running = false;

  constructor(o: InterOperatorLmaOptions) {
    const c = o.config;
    this.config = c;
    this.router = o.router;
    this.tunnels = o.tunnels;
    this.log = o.log;
    this.timers = o.timers;
    this.wall = o.wallClock ?? Date.now;
    this.now = o.now ?? (() => performance.now());
    this.sendPbaFn = o.sendPba;
    this.address = Uint8Array.from(c.address);
    if (!this.router.interfaces.some((i) => i.addresses.some((x) => same(x.address, c.address)))) {
      throw new ConfigError(
        `address ${formatIpv6Address(c.address)} is not an address of this router`,
        { path: ['address'] },
      );
    }
    for (const op of c.operators) {
      this.prefixesOf.set(op.name, op.prefixes);
      for (const d of op.dgws) {
        const dgw: PolicyDgw = {
          id: d.id,
          name: d.name ?? defaultDgwName(d.id),
          address: Uint8Array.from(d.address),
          operator: op.name,
          table: c.tableBase + this.dgws.length,
        };
        this.dgws.push(dgw);
        this.dgwByAddr.set(hex16(dgw.address), dgw);
      }
    }
    if (c.relay === undefined) {
      for (const a of c.operators)
        for (const b of c.operators) if (a !== b) this.relayPairs.add(pairKey(a.name, b.name));
    } else {
      for (const r of c.relay) this.relayPairs.add(pairKey(r.from, r.to));
    }
    this.maxUnits = lifetimeFromSeconds(c.maxLifetime);
    this.unboundTable = c.tableBase + this.dgws.length;
    for (const op of c.operators) {
      for (const p of op.prefixes) if (p.prefixLen > 0) this.guards.set(prefixKey(p), p);
    }
    this.counters = {
      pbuReceived: 0,
      accepted: {},
      refused: {},
      pbuSent: { register: 0, move: 0, refresh: 0, dereg: 0 },
      pbaFromAnchor: new Map(),
      relayedRefusals: new Map(),
      pbaToServing: new Map(),
      anchorTimeouts: 0,
      mismatchRetries: 0,
      pbaInvalid: {},
      teardowns: {},
      heldForNd: 0,
      pbaSendFailed: 0,
    };
    const tables = { ...(o.clock ? { clock: o.clock } : {}), variables: c.pmip };
    this.cache = new BindingCache(tables);
    this.bul = new BindingUpdateList(tables);
    this.cache.events.on('bce:removed', (e, reason) => {
      const b = this.byBce.get(e);
      if (b !== undefined && reason === 'lifetime') this.teardown(b, 'lifetime', true);
    });
    this.bul.events.on('bul:expired', (e) => {
      const b = this.byBul.get(e);
      if (b !== undefined) this.teardown(b, 'anchor-lifetime', false);
    });
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
  }

  start(): void {
    this.running = true;
    // RFC 5213 §5.6.2 in spirit: the LMA forwards what the D-GWs tunnel to it only for the
    // prefixes it holds a binding for. A packet from an operator's prefix with no binding
    // here (its rule `from p lookup T(A)` is more specific than these) is dropped and
    // counted, rather than forwarded untunnelled far from its anchor.
    this.unboundRoute = this.router.addRoute({
      table: this.unboundTable,
      prefix: new Uint8Array(16),
      prefixLen: 0,
      kind: RouteKind.Blackhole,
      origin: ORIGIN,
    });
    for (const g of this.guards.values()) this.addGuard(g);
    this.log.info(
      {
        name: this.config.name,
        address: formatIpv6Address(this.address),
        dgws: this.dgws.map((d) => `${d.name} (${d.operator})`),
      },
      'inter-operator LMA ready',
    );
  }

  /** Drops every binding (no signalling: the D-GWs' lifetimes run out) and transaction. */
  stop(): void {
    this.running = false;
    for (const b of [...this.bindingsMap.values()]) this.teardown(b, 'stop', false);
    this.transactions.cancelAll();
    this.bul.clear('admin');
    this.cache.clear('admin');
    for (const name of [...this.tables.keys()]) this.dropTable(name);
    for (const g of this.guards.values()) {
      if (this.ownRule(g)) this.router.routes.removeRule(g.prefix, g.prefixLen);
    }
    if (this.unboundRoute !== null) {
      this.router.removeRoute(new Uint8Array(16), 0, this.unboundTable);
      this.unboundRoute = null;
    }
  }

  private addGuard(g: Ipv6Prefix): void {
    this.router.routes.addRule(g.prefix, g.prefixLen, this.unboundTable, ORIGIN);
  }

  /** The rule for exactly `p` is ours. */
  private ownRule(p: Ipv6Prefix): boolean {
    return this.router.routes
      .listRules()
      .some((r) => r.prefixLen === p.prefixLen && same(r.prefix, p.prefix) && r.origin === ORIGIN);
  }

  // ── the serving D-GW's PBU (first exchange) ───────────────────────────────────────────

  /** Processes one PBU; returns the status sent, or -1 while it waits for the anchor. */
  handlePbu(m: PbuMessage): number {
    this.counters.pbuReceived++;
    const pbu = m.pbu;
    const s = this.dgwByAddr.get(hex16(m.src));
    if (s === undefined) return this.refuse(m, 'unknown-dgw');
    if ((pbu.flags & PbuFlag.P) === 0) return this.refuse(m, 'not-proxy');
    // a plain RFC 5213 PBU: we relay between D-GWs only
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
    const nowWall = this.wall();
    const ts = findOption(pbu, 'timestamp');
    let tsMs = NaN;
    if (v.TimestampBasedApproachInUse) {
      if (ts === undefined) return this.refuse(m, 'no-timestamp', nowWall);
      tsMs = timestampMs(ts);
      if (checkTimestamp(tsMs, nowWall, v.TimestampValidityWindow, null) !== 'ok') {
        return this.refuse(m, 'timestamp-window', nowWall);
      }
    }
    // every Anchored Prefix names its anchor with a Previous MAAR option (RFC 8885 §4.5)
    const maars = optionsOfKind(pbu.options, 'previous-maar');
    let anchorAddr: Uint8Array | null = null;
    const prefixes: Ipv6Prefix[] = [];
    for (const ap of aps) {
      const pm = maars.find(
        (x) =>
          x.prefixLength === ap.prefixLength && samePrefix(x.prefix, ap.prefix, ap.prefixLength),
      );
      if (pm === undefined) return this.refuse(m, 'no-previous-maar');
      if (anchorAddr === null) anchorAddr = pm.address;
      else if (!same(anchorAddr, pm.address)) return this.refuse(m, 'several-anchors');
      const p = { prefix: maskPrefix(ap.prefix, ap.prefixLength), prefixLen: ap.prefixLength };
      if (!prefixes.some((x) => x.prefixLen === p.prefixLen && same(x.prefix, p.prefix)))
        prefixes.push(p);
    }
    const a = this.dgwByAddr.get(hex16(anchorAddr!));
    if (a === undefined) return this.refuse(m, 'unknown-anchor');
    if (a.operator === s.operator) return this.refuse(m, 'same-operator');
    if (!this.relayPairs.has(pairKey(s.operator, a.operator))) {
      return this.refuse(m, 'operator-not-relayed');
    }
    const allowed = this.prefixesOf.get(a.operator) ?? [];
    for (const p of prefixes) {
      if (
        !allowed.some(
          (x) => x.prefixLen <= p.prefixLen && prefixContains(x.prefix, x.prefixLen, p.prefix),
        )
      )
        return this.refuse(m, 'prefix-not-in-policy');
    }
    const nai = mnId.nai;
    const key = `${nai}\u0000${a.name}`;
    let b = this.bindingsMap.get(key);
    // RFC 5213 §5.5: strictly newer than the last PBU accepted for this binding
    if (b !== undefined && v.TimestampBasedApproachInUse && !(tsMs > b.lastTsMs)) {
      return this.refuse(m, 'stale-timestamp');
    }
    if (pbu.lifetime === 0) return this.deregistration(m, s, b);
    if (b === undefined && this.bindingsMap.size >= this.config.maxBindings) {
      return this.refuse(m, 'too-many-bindings');
    }
    // the node is at `s` now: bindings towards s's own operator are stale (s signals directly)
    this.supersede(nai, s);
    if (b !== undefined && !samePrefixSet(b.prefixes, prefixes)) {
      this.teardown(b, 'superseded', false);
      b = undefined;
    }
    const lli = findOption(pbu, 'mn-link-layer-id')?.identifier ?? null;
    let kind: RelayKind;
    if (b === undefined) {
      b = this.open(key, nai, s, a, prefixes, lli);
      kind = 'register';
    } else if (b.serving !== s) {
      this.moveServing(b, s);
      kind = 'move';
    } else kind = b.state === 'active' ? 'refresh' : 'register';
    if (lli !== null) b.mnLinkLayerId = Uint8Array.from(lli);
    b.handoffIndicator = hi.value;
    b.accessTechnology = att.value;
    if (Number.isFinite(tsMs)) b.lastTsMs = tsMs;
    b.request = {
      m,
      units: Math.min(pbu.lifetime, this.maxUnits),
      kind,
      arrivedAt: this.cache.clock.now(),
    };
    b.mismatchRetries = 0;
    this.sendAnchorPbu(b, kind);
    return -1;
  }

  /** A lifetime-0 PBU from a serving D-GW: answered at once, relayed to the anchor. */
  private deregistration(m: PbuMessage, s: PolicyDgw, b: Binding | undefined): number {
    if (b === undefined || b.serving !== s) {
      // RFC 5213 §5.3.5: a late de-registration from where the node no longer is
      bumpRec(this.counters.accepted, 'dereg-ignored');
      return this.answer(m, PbaStatus.Accepted, 0, {});
    }
    bumpRec(this.counters.accepted, 'deregistered');
    const status = this.answer(m, PbaStatus.Accepted, 0, {});
    this.teardown(b, 'dereg', true);
    return status;
  }

  /** Bindings of `nai` served elsewhere whose anchor `s` reaches directly: the node left. */
  private supersede(nai: string, s: PolicyDgw): void {
    for (const b of [...(this.byNai.get(nai) ?? [])]) {
      if (b.serving !== s && b.anchor.operator === s.operator) {
        this.log.info(
          { mn: nai, anchor: b.anchor.name, from: b.serving.name, to: s.name },
          'the node is in its anchor operator again: relayed binding dropped',
        );
        this.teardown(b, 'superseded', false);
      }
    }
  }

  // ── the two legs ──────────────────────────────────────────────────────────────────────

  /** A new binding: both tunnels, the downlink route and the uplink rule, prepared at once. */
  private open(
    key: string,
    nai: string,
    s: PolicyDgw,
    a: PolicyDgw,
    prefixes: Ipv6Prefix[],
    lli: Uint8Array | null,
  ): Binding {
    for (const p of prefixes) {
      const other = this.byPrefix.get(prefixKey(p));
      if (other !== undefined) this.teardown(other, 'superseded', false);
    }
    // a de-registration of an earlier binding still in flight must not follow this one
    this.transactions.cancel(`${key}\u0000dereg`);
    const mnId = mnIdNai(nai);
    const t = this.useTable(a);
    const bul = this.bul.create(
      {
        mnId,
        ...(lli !== null ? { mnLinkLayerId: lli } : {}),
        prefixes,
        lmaAddress: a.address,
        accessIfIndex: -1,
        requestedLifetimeMs: this.maxUnits * 4000,
        tunnelId: t.tunnelId,
      },
      { replace: true },
    );
    const b: Binding = {
      key,
      nai,
      mnId,
      anchor: a,
      serving: s,
      prefixes,
      state: 'pending',
      bce: null,
      bul,
      servingTunnel: -1,
      anchorTunnel: t.tunnelId,
      request: null,
      mnLinkLayerId: lli === null ? null : Uint8Array.from(lli),
      handoffIndicator: HandoffIndicator.MagChangeSameInterface,
      accessTechnology: 0,
      lastTsMs: -Infinity,
      dlifLinkLocal: null,
      dlifMac: null,
      localNetworks: [],
      mismatchRetries: 0,
      openedAt: this.now(),
      acceptedAt: NaN,
    };
    this.bindingsMap.set(key, b);
    this.byBul.set(bul, b);
    let set = this.byNai.get(nai);
    if (set === undefined) this.byNai.set(nai, (set = new Set()));
    set.add(b);
    for (const p of prefixes) {
      this.byPrefix.set(prefixKey(p), b);
      // uplink: what the serving D-GW tunnels to us from p leaves through p's anchor
      this.router.routes.addRule(p.prefix, p.prefixLen, a.table, ORIGIN);
    }
    this.pointDownlink(b, s);
    this.log.info(
      {
        mn: nai,
        prefixes: prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
        serving: `${s.name} (${s.operator})`,
        anchor: `${a.name} (${a.operator})`,
      },
      'relaying a binding between operators',
    );
    return b;
  }

  /** The node moved between D-GWs of the serving operator: the serving leg follows. */
  private moveServing(b: Binding, s: PolicyDgw): void {
    this.log.info({ mn: b.nai, from: b.serving.name, to: s.name }, 'serving leg moved');
    b.serving = s;
    this.pointDownlink(b, s);
    if (b.bce !== null)
      this.cache.update(b.bce, { proxyCoa: s.address, tunnelId: b.servingTunnel });
  }

  /** Downlink: route p → tunnel(LMA, S), held while S's neighbour entry is unresolved. */
  private pointDownlink(b: Binding, s: PolicyDgw): void {
    const old = b.servingTunnel;
    const t = this.tunnels.acquire(this.address, s.address);
    b.servingTunnel = t;
    const route = (kind: typeof RouteKind.Tunnel | typeof RouteKind.Blackhole): void => {
      for (const p of b.prefixes) {
        this.router.addRoute({
          prefix: p.prefix,
          prefixLen: p.prefixLen,
          kind,
          ...(kind === RouteKind.Tunnel ? { tunnel: t } : {}),
          origin: ORIGIN,
        });
      }
    };
    if (this.nextHopReady(s.address)) route(RouteKind.Tunnel);
    else {
      // the PBA to S first: downlink waiting for the same neighbour would push it out of
      // ND's small queue (oldest dropped)
      this.counters.heldForNd++;
      route(RouteKind.Blackhole);
      this.whenNextHopReady(s.address, () => {
        if (this.bindingsMap.get(b.key) === b && b.servingTunnel === t) route(RouteKind.Tunnel);
      });
    }
    // the new route is in place before the old tunnel loses this binding's reference
    if (old >= 0 && this.tunnels.isLive(old)) this.tunnels.release(old);
  }

  private sendAnchorPbu(b: Binding, kind: RelayKind): void {
    const bul = b.bul;
    let attempt = 0;
    this.counters.pbuSent[kind]++;
    this.transactions.start({
      key: b.key,
      src: this.address,
      dst: b.anchor.address,
      firstRegistration: kind !== 'refresh',
      build: (sequence, nowMs) => {
        attempt++;
        if (attempt > 1) this.counters.pbuSent[kind]++;
        if (this.bul.get(bul.id) === bul) {
          this.bul.pbuSent(bul, {
            sequence,
            lifetimeMs: this.maxUnits * 4000,
            retransmission: attempt > 1,
          });
        }
        return buildAnchorPbu({
          sequence,
          lifetime: anchorUnits(b.request?.units ?? this.maxUnits),
          nai: b.nai,
          mnLinkLayerId: b.mnLinkLayerId,
          handoffIndicator: b.handoffIndicator,
          accessTechnology: b.accessTechnology,
          nowMs,
          prefixes: b.prefixes,
        });
      },
      done: (r) => this.onAnchorAnswer(b, kind, r),
    });
  }

  /** A PBA for this router (the `mobility-input` node's handler). */
  handlePba(m: PbaMessage): boolean {
    return this.transactions.handlePba(m.src, m.pba);
  }

  /** The anchor answered (or did not): the serving D-GW gets its PBA now. */
  private onAnchorAnswer(b: Binding, kind: RelayKind, r: TransactionResult): void {
    if (r.outcome === 'cancelled') return;
    if (this.bindingsMap.get(b.key) !== b) return;
    if (r.outcome === 'timeout') {
      this.counters.anchorTimeouts++;
      this.log.warn({ mn: b.nai, anchor: b.anchor.name, kind }, 'no PBA from the anchor');
      this.answerServing(b, PbaStatus.ReasonUnspecified, 0, {});
      this.teardown(b, 'anchor-timeout', false);
      return;
    }
    const pba = r.pba;
    bump(this.counters.pbaFromAnchor, pba.status);
    if (pba.status === PbaStatus.TimestampMismatch && b.mismatchRetries < MISMATCH_RETRIES) {
      // RFC 5213 §5.5: outside the anchor's window; our clock against another operator's —
      // once more with a fresh timestamp before giving up
      b.mismatchRetries++;
      this.counters.mismatchRetries++;
      this.sendAnchorPbu(b, kind);
      return;
    }
    if (!pbaStatusAccepted(pba.status)) {
      this.log.warn(
        { mn: b.nai, anchor: b.anchor.name, status: pba.status, name: pbaStatusName(pba.status) },
        'the anchor refused: relayed to the serving D-GW',
      );
      bump(this.counters.relayedRefusals, pba.status);
      this.answerServing(b, pba.status, 0, {});
      this.teardown(
        b,
        pba.status === PbaStatus.TimestampLowerThanPrevAccepted ? 'superseded' : 'refused',
        false,
      );
      return;
    }
    if ((pba.flags & PbaFlag.D) === 0) bumpRec(this.counters.pbaInvalid, 'no-d-flag');
    const named = findAnchoredPrefixes(pba);
    const fits =
      named.length === 0 ||
      b.prefixes.every((p) =>
        named.some(
          (x) => x.prefixLength === p.prefixLen && samePrefix(x.prefix, p.prefix, p.prefixLen),
        ),
      );
    if (!fits || pba.lifetime === 0) {
      bumpRec(this.counters.pbaInvalid, fits ? 'zero-lifetime' : 'prefix-mismatch');
      this.answerServing(b, PbaStatus.ReasonUnspecified, 0, {});
      this.teardown(b, 'invalid', fits);
      return;
    }
    // the anchor's DLIF identity and local networks, for the serving D-GW's DLIF (§4.1)
    const ll = findOption(pba, 'dlif-link-local-address')?.address;
    const l2 = findOption(pba, 'dlif-link-layer-address')?.address;
    const locals = findLocalPrefixes(pba);
    if (ll !== undefined) b.dlifLinkLocal = Uint8Array.from(ll);
    if (l2 !== undefined) b.dlifMac = Uint8Array.from(l2);
    if (locals.length > 0 || ll !== undefined || l2 !== undefined) {
      b.localNetworks = locals.map((l) => ({
        prefix: maskPrefix(l.prefix, l.prefixLength),
        prefixLen: l.prefixLength,
      }));
    }
    // the serving leg ends at least one unit before the anchor leg (see `anchorUnits`)
    const units = Math.min(
      Math.max(1, pba.lifetime - 1),
      b.request?.units ?? this.maxUnits,
      this.maxUnits,
    );
    this.bul.registered(b.bul, lifetimeToSeconds(pba.lifetime) * 1000, {
      dgw: {
        dlifLinkLocal: b.dlifLinkLocal,
        dlifLinkLayer: b.dlifMac,
        localPrefixes: b.localNetworks,
      },
    });
    // The serving leg counts from the serving D-GW's PBU, not from the anchor's PBA (as any
    // LMA accepting at arrival, RFC 5213 §5.3): it then never outlives the anchor leg, which
    // counts from our PBU, sent after that one arrived (RFC 6275 §11.7.1). A serving D-GW
    // falling silent lets the serving leg expire first, and the anchor hears a
    // de-registration rather than watching its own binding run out.
    const waited = b.request === null ? 0 : this.cache.clock.now() - b.request.arrivedAt;
    const lifetimeMs = Math.max(1, units * 4000 - Math.max(0, waited));
    const ts = b.request === null ? undefined : findOption(b.request.m.pbu, 'timestamp');
    const order = ts && this.config.pmip.TimestampBasedApproachInUse ? { timestamp: ts } : {};
    if (b.bce === null) {
      b.bce = this.cache.create(
        {
          mnId: b.mnId,
          ...(b.mnLinkLayerId ? { mnLinkLayerId: b.mnLinkLayerId } : {}),
          prefixes: b.prefixes,
          proxyCoa: b.serving.address,
          lifetimeMs,
          tunnelId: b.servingTunnel,
          accessTechnology: b.accessTechnology,
          handoffIndicator: b.handoffIndicator,
          sequence: b.request?.m.pbu.sequence ?? 0,
          ...order,
          dgw: {
            distributed: true,
            dlifLinkLocal: b.dlifLinkLocal,
            dlifLinkLayer: b.dlifMac,
            localPrefixes: b.localNetworks,
          },
        },
        { replace: true },
      );
      this.byBce.set(b.bce, b);
    } else {
      this.cache.update(b.bce, {
        proxyCoa: b.serving.address,
        tunnelId: b.servingTunnel,
        lifetimeMs,
        accessTechnology: b.accessTechnology,
        handoffIndicator: b.handoffIndicator,
        sequence: b.request?.m.pbu.sequence ?? 0,
        ...order,
      });
    }
    bumpRec(
      this.counters.accepted,
      kind === 'register' ? 'registered' : kind === 'move' ? 'moved' : 'refreshed',
    );
    if (b.state === 'pending') {
      b.state = 'active';
      b.acceptedAt = this.now();
      const ms = b.acceptedAt - b.openedAt;
      const t = this.relayTimes;
      t.count++;
      t.sum += ms;
      t.min = Math.min(t.min, ms);
      t.max = Math.max(t.max, ms);
      this.log.info(
        {
          mn: b.nai,
          anchor: b.anchor.name,
          serving: b.serving.name,
          lifetime: units * 4,
          ms: Math.round(ms),
        },
        'binding relayed: both legs up',
      );
    }
    this.answerServing(b, PbaStatus.Accepted, units, {
      localNetworks: b.localNetworks,
      dlifLinkLocal: b.dlifLinkLocal,
      dlifMac: b.dlifMac,
    });
  }

  /**
   * Both legs go: routes, rule, tunnel references, table entries. `dereg` sends the anchor
   * a de-registration first (RFC 5213 §6.9.1.3: we, its serving D-GW, let it go).
   */
  private teardown(b: Binding, cause: TeardownCause, dereg: boolean): void {
    if (this.bindingsMap.get(b.key) !== b) return;
    this.bindingsMap.delete(b.key);
    const set = this.byNai.get(b.nai);
    set?.delete(b);
    if (set !== undefined && set.size === 0) this.byNai.delete(b.nai);
    this.transactions.cancel(b.key);
    for (const p of b.prefixes) {
      if (this.byPrefix.get(prefixKey(p)) === b) this.byPrefix.delete(prefixKey(p));
      const rule = this.router.routes
        .listRules()
        .find(
          (r) => r.prefixLen === p.prefixLen && same(r.prefix, p.prefix) && r.origin === ORIGIN,
        );
      if (rule !== undefined) this.router.routes.removeRule(p.prefix, p.prefixLen);
      // a bound prefix that is exactly one of the policy's replaced its guard rule
      const g = this.guards.get(prefixKey(p));
      if (g !== undefined && this.running) this.addGuard(g);
      removeOwnRoute(this.router, p.prefix, p.prefixLen);
    }
    if (b.servingTunnel >= 0 && this.tunnels.isLive(b.servingTunnel)) {
      this.tunnels.release(b.servingTunnel);
    }
    b.servingTunnel = -1;
    this.releaseTable(b.anchor);
    if (b.bce !== null) {
      this.byBce.delete(b.bce);
      this.cache.remove(b.bce, cause === 'dereg' ? 'dereg' : 'admin');
    }
    this.byBul.delete(b.bul);
    bumpRec(this.counters.teardowns, cause);
    if (dereg && this.running && this.bul.get(b.bul.id) === b.bul) this.sendAnchorDereg(b);
    else this.bul.remove(b.bul, 'admin');
    this.log.info(
      {
        mn: b.nai,
        prefixes: b.prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
        serving: b.serving.name,
        anchor: b.anchor.name,
        cause,
      },
      'relayed binding removed',
    );
  }

  /** De-registration PBU (lifetime 0) to the anchor (RFC 5213 §6.9.1.3). */
  private sendAnchorDereg(b: Binding): void {
    const bul = b.bul;
    this.counters.pbuSent.dereg++;
    let attempt = 0;
    this.transactions.start({
      key: `${b.key}\u0000dereg`,
      src: this.address,
      dst: b.anchor.address,
      firstRegistration: false,
      build: (sequence, nowMs) => {
        attempt++;
        if (attempt > 1) this.counters.pbuSent.dereg++;
        if (this.bul.get(bul.id) === bul) {
          this.bul.pbuSent(bul, { sequence, lifetimeMs: 0, retransmission: attempt > 1 });
        }
        return buildAnchorPbu({
          sequence,
          lifetime: 0,
          nai: b.nai,
          mnLinkLayerId: b.mnLinkLayerId,
          handoffIndicator: HandoffIndicator.NotChanged,
          accessTechnology: b.accessTechnology,
          nowMs,
          prefixes: b.prefixes,
        });
      },
      done: (r) => {
        if (this.bul.get(bul.id) === bul) this.bul.remove(bul, 'dereg');
        if (r.outcome === 'acknowledged') bump(this.counters.pbaFromAnchor, r.pba.status);
      },
    });
  }

  // ── T(A): the anchors' tables ─────────────────────────────────────────────────────────

  /** T(A) with its ::/0 route into the tunnel to A; one reference per binding using it. */
  private useTable(a: PolicyDgw): { table: number; tunnelId: number; users: number } {
    let t = this.tables.get(a.name);
    if (t === undefined) {
      const tunnelId = this.tunnels.acquire(this.address, a.address);
      const table = { table: a.table, tunnelId, users: 0 };
      t = table;
      this.tables.set(a.name, table);
      const route = (kind: typeof RouteKind.Tunnel | typeof RouteKind.Blackhole): void => {
        this.router.addRoute({
          table: a.table,
          prefix: new Uint8Array(16),
          prefixLen: 0,
          kind,
          ...(kind === RouteKind.Tunnel ? { tunnel: tunnelId } : {}),
          origin: ORIGIN,
        });
      };
      if (this.nextHopReady(a.address)) route(RouteKind.Tunnel);
      else {
        // our PBU to A must not lose its place in A's ND queue to the node's uplink
        this.counters.heldForNd++;
        route(RouteKind.Blackhole);
        this.whenNextHopReady(a.address, () => {
          if (this.tables.get(a.name) === table) route(RouteKind.Tunnel);
        });
      }
    }
    t.users++;
    return t;
  }

  private releaseTable(a: PolicyDgw): void {
    const t = this.tables.get(a.name);
    if (t !== undefined && --t.users <= 0) this.dropTable(a.name);
  }

  private dropTable(name: string): void {
    const t = this.tables.get(name);
    if (t === undefined) return;
    this.tables.delete(name);
    this.router.removeRoute(new Uint8Array(16), 0, t.table);
    if (this.tunnels.isLive(t.tunnelId)) this.tunnels.release(t.tunnelId);
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

  // ── PBAs to serving D-GWs ─────────────────────────────────────────────────────────────

  private answerServing(
    b: Binding,
    status: number,
    units: number,
    f: Omit<ServingPbaFields, 'status' | 'lifetime'>,
  ): void {
    const r = b.request;
    if (r === null) return;
    b.request = null;
    this.answer(r.m, status, units, f);
  }

  private answer(
    m: PbuMessage,
    status: number,
    units: number,
    f: Omit<ServingPbaFields, 'status' | 'lifetime'>,
    sequence: number | null = null,
  ): number {
    const pba = buildServingPba(m.pbu, { status, lifetime: units, ...f });
    if (sequence !== null) pba.sequence = sequence;
    bump(this.counters.pbaToServing, status);
    if (!this.sendPbaFn(m.dst, m.src, pba)) this.counters.pbaSendFailed++;
    return status;
  }

  private refuse(m: PbuMessage, reason: string, timestampNow: number | null = null): number {
    const status = REFUSAL[reason]!;
    bumpRec(this.counters.refused, reason);
    this.log.debug(
      { from: formatIpv6Address(m.src), status, name: pbaStatusName(status), reason },
      'PBU refused',
    );
    return this.answer(m, status, 0, timestampNow === null ? {} : { timestampNowMs: timestampNow });
  }

  // ── views ─────────────────────────────────────────────────────────────────────────────

  /** `show bindings`: per (node, prefix), the serving leg and the anchor leg. */
  bindings(mn?: string): InterOperatorBindingRow[] {
    const rows: InterOperatorBindingRow[] = [];
    const cacheNow = this.cache.clock.now();
    const bulNow = this.bul.clock.now();
    for (const b of this.bindingsMap.values()) {
      if (mn !== undefined && b.nai !== mn) continue;
      const e = b.bce;
      const u = b.bul;
      const serving: LegRow = {
        dgw: b.serving.name,
        operator: b.serving.operator,
        address: formatIpv6Address(b.serving.address),
        tunnel: b.servingTunnel >= 0 ? b.servingTunnel : null,
        lifetimeLeft: e === null ? null : Math.max(0, Math.ceil((e.expiresAt - cacheNow) / 1000)),
        state: e === null ? 'pending' : e.state,
      };
      const anchor: LegRow = {
        dgw: b.anchor.name,
        operator: b.anchor.operator,
        address: formatIpv6Address(b.anchor.address),
        tunnel: this.tables.get(b.anchor.name)?.tunnelId ?? null,
        lifetimeLeft: Number.isNaN(u.expiresAt)
          ? null
          : Math.max(0, Math.ceil((u.expiresAt - bulNow) / 1000)),
        state: u.state,
      };
      for (const p of b.prefixes) {
        rows.push({
          mn: b.nai,
          prefix: formatIpv6Prefix(p.prefix, p.prefixLen),
          state: b.state,
          serving: { ...serving },
          anchor: { ...anchor },
        });
      }
    }
    rows.sort((x, y) => x.mn.localeCompare(y.mn) || x.prefix.localeCompare(y.prefix));
    return rows;
  }

  /** `show inter-operator`. */
  stats(): InterOperatorStats {
    const c = this.counters;
    const byCode = (m: Map<number, number>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [k, n] of [...m].sort((x, y) => x[0] - y[0])) out[`${k} ${pbaStatusName(k)}`] = n;
      return out;
    };
    const refused: Record<string, number> = {};
    for (const [k, n] of Object.entries(c.refused)) refused[`${k} (${REFUSAL[k]})`] = n;
    const pairs: Record<string, number> = {};
    for (const b of this.bindingsMap.values()) {
      const k = `${b.serving.operator} → ${b.anchor.operator}`;
      pairs[k] = (pairs[k] ?? 0) + 1;
    }
    const t = this.relayTimes;
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    return {
      name: this.config.name,
      address: formatIpv6Address(this.address),
      operators: this.config.operators.map((o) => ({
        name: o.name,
        dgws: this.dgws.filter((d) => d.operator === o.name).map((d) => d.name),
      })),
      relay: [...this.relayPairs].map((k) => {
        const [from, to] = k.split('\u0000') as [string, string];
        return { from, to };
      }),
      bindings: this.bindingsMap.size,
      bindingsByPair: pairs,
      pbuReceived: c.pbuReceived,
      accepted: { ...c.accepted },
      refused,
      pbuSent: { ...c.pbuSent },
      pbaFromAnchor: byCode(c.pbaFromAnchor),
      relayedRefusals: byCode(c.relayedRefusals),
      pbaToServing: byCode(c.pbaToServing),
      anchorTimeouts: c.anchorTimeouts,
      mismatchRetries: c.mismatchRetries,
      pbaInvalid: { ...c.pbaInvalid },
      teardowns: { ...c.teardowns },
      heldForNd: c.heldForNd,
      pbaSendFailed: c.pbaSendFailed,
      unboundDropped:
        this.unboundRoute === null ? 0 : (this.router.routes.hits[this.unboundRoute.id] ?? 0),
      transactions: { ...this.transactions.counters },
      relayMs:
        t.count === 0
          ? { count: 0, minMs: null, avgMs: null, maxMs: null }
          : { count: t.count, minMs: r2(t.min), avgMs: r2(t.sum / t.count), maxMs: r2(t.max) },
    };
  }
}

/**
 * The lifetime we ask of the anchor (4-second units): one unit more than the serving D-GW
 * asked of us, and the serving leg is granted at most one unit less than the anchor granted.
 * The anchor leg thus outlives the serving leg, so the de-registration that follows a
 * serving leg running out (RFC 5213 §6.9.1.3) reaches an anchor still holding the binding,
 * rather than racing the anchor's own expiry by a round trip.
 */
function anchorUnits(servingUnits: number): number {
  return Math.min(0xffff, servingUnits + 1);
}

function pairKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function prefixKey(p: Ipv6Prefix): string {
  return formatIpv6Prefix(p.prefix, p.prefixLen);
}

function samePrefixSet(a: readonly Ipv6Prefix[], b: readonly Ipv6Prefix[]): boolean {
  return (
    a.length === b.length &&
    a.every((x) => b.some((y) => y.prefixLen === x.prefixLen && same(x.prefix, y.prefix)))
  );
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

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Removes a main-table route of ours for prefix/len (tunnel or ND placeholder). */
function removeOwnRoute(router: Router, prefix: Uint8Array, len: number): void {
  const id = router.routes.table(MAIN_TABLE).getExact(prefix, len);
  if (id < 0) return;
  const r = router.routes.routes[id];
  if (!r || r.origin !== ORIGIN) return;
  router.removeRoute(prefix, len);
}
