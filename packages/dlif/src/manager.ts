/**
 * Distributed Logical Interfaces — draft-bernardos-dmm-distributed-anchoring-02 §4.1 (the
 * concept), §4.2 steps 2, 6 and 8 (what each DLIF advertises), Appendix A (one logical
 * interface per anchor over the physical one, demultiplexed by MAC) — on core logical
 * interfaces, with their Router Advertisements (RFC 4861 §6.2, RFC 4191 §2.2–2.3) sent
 * through ndra's RaService.
 *
 * ```
 *            D-GW2 (serving MN1)                          what MN1 sees on its link
 *   ┌──────────────────────────────────────────┐
 *   │ mn1/dgw2  role serving  MAC m2  fe80::m2 │ ──RA──▶  router fe80::m2: prefB preferred,
 *   │ mn1/dgw1  role anchor   MAC m1  fe80::m1 │ ──RA──▶  router fe80::m1: prefA deprecated
 *   │             (m1 as D-GW1 itself used)    │          (+ RIO localnet via fe80::m1)
 *   │ parent acc0 (TAP)  demux: dst MAC → DLIF; │
 *   │   group frames from MN1's MAC → each DLIF │
 *   └──────────────────────────────────────────┘
 * ```
 *
 * Rules this file implements:
 * - every RA of a DLIF is for its node only: Ethernet destination the node's MAC, IPv6
 *   destination its link-local (or ff02::1 while unknown: RFC 6085 unicast MAC mapping),
 *   source the DLIF's link-local and MAC — another node on the same parent never hears a
 *   prefix that is not its own (draft §3: a delegated prefix belongs to one node);
 * - RAs go out at creation, on every change, periodically (uniform in [Min, Max]RtrAdvInterval,
 *   the first three at most 16 s apart, RFC 4861 §6.2.4) and in answer to the node's Router
 *   Solicitations (after a random 0..MAX_RA_DELAY_TIME, RFC 4861 §6.2.6; one answer per DLIF
 *   for all RSs inside that delay, and at most one per `solicitedInterval`);
 * - an RS reaches every DLIF of its node (the parent copies group-addressed frames to each),
 *   so each DLIF answers for itself; an RS on the parent from a served node's MAC (unicast to
 *   the parent) is answered by all of the node's DLIFs; one from an unknown MAC goes to the
 *   `onUnknownSolicitation` listeners (attachment detection, draft §4.2 step 1);
 * - lifetimes: serving prefixes as given; anchor prefixes deprecated (preferred lifetime 0,
 *   draft §4.1) with the valid lifetime counting down with the binding (RFC 4861 §6.2.1
 *   "decrement in real time"), or in `low-preference` mode preferred as given with a low
 *   Default Router Preference (draft §4.2 step 8, RFC 4191 §2.2);
 * - a DLIF's last RA depends on why it goes (`DlifRemoveReason`).
 *
 * Neighbor Discovery for the DLIF's own link-local is ndra's: the address is in the router's
 * local addresses on that logical interface and its solicited-node group is joined there.
 */
import {
  ConfigError,
  NeighborState,
  formatIpv6Address,
  formatIpv6Prefix,
  formatMacAddress,
  maskPrefix,
  type Interface,
  type Logger,
  type Route,
  type Router,
  type TimerHandle,
} from '@dmm/core';
import {
  ALL_NODES,
  MAX_INITIAL_RTR_ADVERTISEMENTS,
  MAX_INITIAL_RTR_ADVERT_INTERVAL,
  MAX_RA_DELAY_TIME,
  type RaPrefix,
  type RaRoute,
  type RaService,
  type SolicitationHandler,
} from '@dmm/ndra';
import { isIpv6LinkLocal, ipv6Equals, linkLocalFromMac, macEquals } from '@dmm/wire';
import { INFINITE, type DlifConfig, type DlifPreference } from './config.js';
import type { IfCounters } from './counters.js';
import { deriveDlifIdentity, dlifLinkLocal, isUnicastMac } from './identity.js';
import type {
  CreateDlifOptions,
  Dlif,
  DlifAnchor,
  DlifCounters,
  DlifManager,
  DlifNode,
  DlifNodeStatus,
  DlifPrefixInfo,
  DlifPrefixSpec,
  DlifRemoveReason,
  DlifRole,
  DlifRouteInfo,
  DlifRouteSpec,
  DlifStatus,
  DlifUpdate,
  UnknownSolicitationListener,
} from './types.js';

export interface DlifTimers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clear(h: TimerHandle): void;
}

/** A lifetime in seconds, fixed (`until` null) or reaching 0 at `until` (ms). */
interface Lifetime {
  seconds: number;
  until: number | null;
}

function lifetime(seconds: number, decrement: boolean, now: number): Lifetime {
  return {
    seconds,
    until: decrement && seconds !== INFINITE ? now + seconds * 1000 : null,
  };
}

/** What is left of `l` at `now`, whole seconds rounded down (never more than remains). */
function left(l: Lifetime, now: number): number {
  if (l.until === null) return l.seconds;
  return Math.max(0, Math.floor((l.until - now) / 1000));
}

interface PrefixState {
  prefix: Uint8Array;
  prefixLen: number;
  onLink: boolean;
  autonomous: boolean;
  valid: Lifetime;
  preferred: Lifetime;
  decrement: boolean;
}

interface RouteState {
  prefix: Uint8Array;
  prefixLen: number;
  preference: DlifPreference;
  lifetime: Lifetime | null;
  decrement: boolean;
}

/** A served node: its MAC on one parent, its DLIFs by anchor id. */
class NodeEntry implements DlifNode {
  readonly id: string;
  readonly mac: Uint8Array;
  readonly parent: Interface;
  readonly key: string;
  linkLocal: Uint8Array | null = null;
  readonly dlifs = new Map<string, DlifImpl>();

  constructor(id: string, mac: Uint8Array, parent: Interface) {
    this.id = id;
    this.mac = Uint8Array.from(mac);
    this.parent = parent;
    this.key = macKey(parent.index, mac, 0);
  }
}

class DlifImpl implements Dlif {
  readonly name: string;
  readonly iface: Interface;
  readonly parent: Interface;
  readonly nodeEntry: NodeEntry;
  readonly anchor: DlifAnchor;
  role: DlifRole;
  readonly mac: Uint8Array;
  readonly linkLocal: Uint8Array;
  readonly nodeNextHop: Uint8Array;
  readonly createdAt: number;
  removed = false;
  routerLifetimeSet: number | null;
  preferenceSet: DlifPreference | null;
  prefixState: PrefixState[] = [];
  routeState: RouteState[] = [];
  // RA schedule
  periodic: TimerHandle | null = null;
  nextAt = -1;
  initialSent = 0;
  solicit: TimerHandle | null = null;
  lastSolicitedAt = -Infinity;
  // counters kept here (the others are per interface index in IfCounters)
  rasSent = 0;
  rasFailed = 0;
  rsReceived = 0;
  rsIgnored = 0;
  /** Counters frozen at removal. */
  finalCounters: DlifCounters | null = null;
  readonly firePeriodic: () => void;
  readonly fireSolicited: () => void;
  private readonly mgr: DlifManagerImpl;

  constructor(
    mgr: DlifManagerImpl,
    iface: Interface,
    parent: Interface,
    node: NodeEntry,
    anchor: DlifAnchor,
    role: DlifRole,
    nodeNextHop: Uint8Array,
    routerLifetime: number | null,
    preference: DlifPreference | null,
    now: number,
  ) {
    this.mgr = mgr;
    this.name = iface.name;
    this.iface = iface;
    this.parent = parent;
    this.nodeEntry = node;
    this.anchor = anchor;
    this.role = role;
    this.mac = Uint8Array.from(iface.mac!);
    this.linkLocal = Uint8Array.from(iface.linkLocal!);
    this.nodeNextHop = nodeNextHop;
    this.routerLifetimeSet = routerLifetime;
    this.preferenceSet = preference;
    this.createdAt = now;
    this.firePeriodic = () => mgr.onPeriodic(this);
    this.fireSolicited = () => mgr.onSolicitedTimer(this);
  }

  get node(): DlifNode {
    return this.nodeEntry;
  }
  get routerLifetime(): number {
    return this.routerLifetimeSet ?? this.mgr.config.routerLifetime;
  }
  get preference(): DlifPreference {
    return this.preferenceSet ?? this.mgr.defaultPreference(this.role);
  }
  prefixes(): DlifPrefixInfo[] {
    return this.mgr.prefixInfo(this);
  }
  routes(): DlifRouteInfo[] {
    return this.mgr.routeInfo(this);
  }
  counters(): DlifCounters {
    return this.mgr.countersOf(this);
  }
}

function macKey(parentIndex: number, b: Uint8Array, off: number): string {
  let s = `${parentIndex}/`;
  for (let i = 0; i < 6; i++) s += b[off + i]!.toString(16).padStart(2, '0');
  return s;
}

function prefixKey(p: Uint8Array, len: number): string {
  return formatIpv6Prefix(maskPrefix(p, len), len);
}

function lifetimeText(s: number): string {
  return s === INFINITE ? 'infinite' : `${s}s`;
}

export class DlifManagerImpl implements DlifManager {
  readonly config: DlifConfig;
  private readonly router: Router;
  private readonly ra: RaService;
  private readonly timers: DlifTimers;
  private readonly log: Logger;
  private readonly ifc: IfCounters | null;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly byIf: (DlifImpl | undefined)[] = [];
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly nodesByMac = new Map<string, NodeEntry>();
  private readonly watched = new Set<number>();
  private readonly listeners = new Set<UnknownSolicitationListener>();
  private running = false;
  private readonly onRs: SolicitationHandler;

  constructor(
    router: Router,
    ra: RaService,
    timers: DlifTimers,
    config: DlifConfig,
    log: Logger,
    counters: IfCounters | null,
    now: () => number = () => Date.now(),
    random: () => number = () => Math.random(),
  ) {
    this.router = router;
    this.ra = ra;
    this.timers = timers;
    this.config = config;
    this.log = log;
    this.ifc = counters;
    this.now = now;
    this.random = random;
    this.onRs = (ifIndex, sb, soff, mb, moff) => this.solicitation(ifIndex, sb, soff, mb, moff);
  }

  // -------------------------------------------------------------------------------------
  // Life cycle (the plugin's start/stop/teardown)
  // -------------------------------------------------------------------------------------

  /** Sends every DLIF's RA and starts the periodic ones. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const name of this.config.interfaces) this.watch(name);
    for (const d of this.dlifs()) this.advertiseFirst(d);
  }

  /** Final RAs (Router Lifetime 0, RFC 4861 §6.2.5) and every timer stopped; DLIFs stay. */
  stop(): void {
    if (!this.running) return;
    for (const d of this.dlifs()) {
      this.cancelTimers(d);
      this.send(d, this.lastRa(d, 'shutdown'));
    }
    this.running = false;
  }

  /** Removes every DLIF silently and unhooks the parents (plugin teardown). */
  teardown(): void {
    for (const d of this.dlifs()) this.remove(d, { reason: 'moved' });
    for (const i of this.watched) {
      const p = this.router.interfaces[i];
      if (p !== undefined && !p.removed) this.ra.setSolicitationHandler(i, null);
    }
    this.watched.clear();
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------------------
  // DlifManager
  // -------------------------------------------------------------------------------------

  create(o: CreateDlifOptions): Dlif {
    const parent = this.parentOf(o.parent);
    const nodeId = o.node.id;
    const anchorId = o.anchor.id;
    if (typeof nodeId !== 'string' || nodeId.length === 0)
      throw new ConfigError('a DLIF needs a node id');
    if (typeof anchorId !== 'string' || anchorId.length === 0)
      throw new ConfigError('a DLIF needs an anchor id', { node: nodeId });
    if (o.role !== 'serving' && o.role !== 'anchor')
      throw new ConfigError(`role must be serving or anchor, got ${String(o.role)}`);
    if (!isUnicastMac(o.node.mac))
      throw new ConfigError(`node ${nodeId}: its MAC must be a unicast MAC`, { node: nodeId });
    if (o.node.linkLocal !== undefined) checkLinkLocal(o.node.linkLocal, 'node.linkLocal');

    // the node: one MAC, one parent, whatever its number of DLIFs
    let node = this.nodes.get(nodeId);
    if (node !== undefined) {
      if (node.parent !== parent || !macEquals(node.mac, 0, o.node.mac, 0)) {
        throw new ConfigError(
          `node ${nodeId} is served on ${node.parent.name} with MAC ${formatMacAddress(node.mac)}`,
          { node: nodeId },
        );
      }
      if (node.dlifs.has(anchorId)) {
        throw new ConfigError(`node ${nodeId} already has a DLIF for anchor ${anchorId}`, {
          node: nodeId,
          anchor: anchorId,
        });
      }
    } else {
      const other = this.nodesByMac.get(macKey(parent.index, o.node.mac, 0));
      if (other !== undefined) {
        throw new ConfigError(
          `MAC ${formatMacAddress(o.node.mac)} on ${parent.name} belongs to node ${other.id}`,
          { node: nodeId },
        );
      }
    }
    const prefixes = this.prefixStates(o.prefixes ?? [], o.role);
    const routes = this.routeStates(o.routes ?? [], o.role);
    if (o.routerLifetime !== undefined) checkRouterLifetime(o.routerLifetime);

    // identity (draft §4.1): given by the anchor (PBA options), or derived
    const taken = (mac: Uint8Array): boolean =>
      (parent.mac !== null && macEquals(parent.mac, 0, mac, 0)) ||
      (parent.unicastDemux !== null && parent.unicastDemux.get(mac, 0) >= 0) ||
      (parent.multicastDemux !== null && parent.multicastDemux.get(mac, 0) >= 0) ||
      macEquals(o.node.mac, 0, mac, 0);
    let mac: Uint8Array;
    let linkLocal: Uint8Array;
    if (o.mac !== undefined) {
      if (!isUnicastMac(o.mac)) throw new ConfigError('a DLIF MAC must be a unicast MAC');
      if (taken(o.mac)) {
        throw new ConfigError(`MAC ${formatMacAddress(o.mac)} is already used on ${parent.name}`, {
          node: nodeId,
          anchor: anchorId,
        });
      }
      mac = o.mac;
      linkLocal = o.linkLocal ?? dlifLinkLocal(mac);
    } else {
      // another D-GW's DLIF must look exactly as that D-GW made it: no second attempt
      const id = deriveDlifIdentity(
        anchorId,
        nodeId,
        o.role === 'anchor' ? (m) => taken(m) && fail(m) : taken,
      );
      if (id.attempt > 0) {
        this.log.warn(
          { node: nodeId, anchor: anchorId, attempt: id.attempt },
          'derived DLIF MAC collided on the link: another attempt was used (serving D-GWs must learn it from the PBA)',
        );
      }
      mac = id.mac;
      linkLocal = o.linkLocal ?? id.linkLocal;
    }
    checkLinkLocal(linkLocal, 'linkLocal');

    // room for the new index before it exists: ND's DAD probe leaves while it is created
    this.ifc?.ensure(this.router.interfaces.length);
    const iface = this.router.addLogicalInterface({
      name: o.name ?? `${nodeId}/${anchorId}`,
      parent,
      mac,
      linkLocal,
      multicastFrom: o.node.mac,
      group: nodeId,
      ...(o.mtu === undefined ? {} : { mtu: o.mtu }),
    });
    if (node === undefined) {
      node = new NodeEntry(nodeId, o.node.mac, parent);
      if (o.node.linkLocal !== undefined) node.linkLocal = Uint8Array.from(o.node.linkLocal);
      this.nodes.set(nodeId, node);
      this.nodesByMac.set(node.key, node);
    }
    const now = this.now();
    const d = new DlifImpl(
      this,
      iface,
      parent,
      node,
      { id: anchorId, address: o.anchor.address ? Uint8Array.from(o.anchor.address) : null },
      o.role,
      Uint8Array.from(o.node.linkLocal ?? linkLocalFromMac(o.node.mac)),
      o.routerLifetime ?? null,
      o.preference ?? null,
      now,
    );
    d.prefixState = prefixes;
    d.routeState = routes;
    if (o.inputTable !== undefined) iface.inputTable = o.inputTable;
    node.dlifs.set(anchorId, d);
    this.byIf[iface.index] = d;
    // the node is the only neighbour of this point-to-point link: its MAC is known from
    // layer 2, so its entries are permanent (no NUD, no solicitations on the shared medium)
    this.pin(d, d.nodeNextHop);
    if (node.linkLocal !== null) this.pin(d, node.linkLocal);
    this.ra.setSolicitationHandler(iface.index, this.onRs);
    this.watch(parent);
    if (this.running) this.advertiseFirst(d);
    return d;
  }

  update(dlif: Dlif, changes: DlifUpdate): void {
    const d = this.own(dlif);
    if (changes.role !== undefined) {
      if (changes.role !== 'serving' && changes.role !== 'anchor')
        throw new ConfigError(`role must be serving or anchor, got ${String(changes.role)}`);
    }
    const role = changes.role ?? d.role;
    const prefixes =
      changes.prefixes !== undefined ? this.prefixStates(changes.prefixes, role) : null;
    const routes = changes.routes !== undefined ? this.routeStates(changes.routes, role) : null;
    if (changes.routerLifetime !== undefined) checkRouterLifetime(changes.routerLifetime);
    // what disappears is withdrawn once, in this RA (lifetimes 0)
    const gone: RaPrefix[] = [];
    if (prefixes !== null) {
      const keep = new Set(prefixes.map((p) => prefixKey(p.prefix, p.prefixLen)));
      for (const p of d.prefixState) {
        if (!keep.has(prefixKey(p.prefix, p.prefixLen))) {
          gone.push(zeroPrefix(p));
        }
      }
      d.prefixState = prefixes;
    }
    const goneRoutes: RaRoute[] = [];
    if (routes !== null) {
      const keep = new Set(routes.map((r) => prefixKey(r.prefix, r.prefixLen)));
      for (const r of d.routeState) {
        if (!keep.has(prefixKey(r.prefix, r.prefixLen))) goneRoutes.push(zeroRoute(r));
      }
      d.routeState = routes;
    }
    d.role = role;
    if (changes.routerLifetime !== undefined) d.routerLifetimeSet = changes.routerLifetime;
    if (changes.preference !== undefined) d.preferenceSet = changes.preference;
    if (changes.inputTable !== undefined) d.iface.inputTable = changes.inputTable;
    if (this.running) {
      const ra = this.fullRa(d);
      ra.prefixes.push(...gone);
      ra.routes.push(...goneRoutes);
      this.send(d, ra);
    }
  }

  remove(dlif: Dlif, opts: { reason?: DlifRemoveReason } = {}): void {
    const d = dlif as DlifImpl;
    if (d.removed || this.byIf[d.iface.index] !== d) return;
    const reason = opts.reason ?? 'released';
    this.cancelTimers(d);
    if (reason !== 'moved' && this.running) this.send(d, this.lastRa(d, reason));
    const i = d.iface.index;
    this.ra.setSolicitationHandler(i, null);
    // core announces the link-local's removal (ND forgets its DAD record and timer), clears
    // it, and removes routes, neighbours and demultiplexer entries
    this.router.removeLogicalInterface(d.iface, d.nodeEntry.mac);
    d.finalCounters = this.countersOf(d);
    this.ifc?.reset(i);
    this.byIf[i] = undefined;
    d.removed = true;
    const node = d.nodeEntry;
    node.dlifs.delete(d.anchor.id);
    if (node.dlifs.size === 0) {
      this.nodes.delete(node.id);
      this.nodesByMac.delete(node.key);
    }
  }

  removeNode(nodeId: string, opts: { reason?: DlifRemoveReason } = {}): number {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return 0;
    const all = [...node.dlifs.values()];
    for (const d of all) this.remove(d, opts);
    return all.length;
  }

  get(nodeId: string, anchorId: string): Dlif | undefined {
    return this.nodes.get(nodeId)?.dlifs.get(anchorId);
  }

  byNode(nodeId: string): Dlif[] {
    const n = this.nodes.get(nodeId);
    return n === undefined ? [] : [...n.dlifs.values()];
  }

  byInterface(ifIndex: number): Dlif | undefined {
    return this.byIf[ifIndex];
  }

  list(): Dlif[] {
    return this.dlifs();
  }

  addPrefixRoute(
    dlif: Dlif,
    prefix: Uint8Array,
    prefixLen: number,
    opts: { table?: number; origin?: string } = {},
  ): Route {
    const d = this.own(dlif);
    // via the node's permanent entry, not on-link: every address of a delegated prefix is
    // the node's (draft §3), so resolving each by ND would only multicast Neighbor
    // Solicitations to the whole shared link, naming the node's addresses to its neighbours
    return this.router.addRoute({
      ...(opts.table === undefined ? {} : { table: opts.table }),
      prefix,
      prefixLen,
      ifIndex: d.iface.index,
      gateway: d.nodeNextHop,
      origin: opts.origin ?? 'dlif',
    });
  }

  setInputTable(dlif: Dlif, table: number): void {
    this.own(dlif).iface.inputTable = table;
  }

  advertise(dlif: Dlif): boolean {
    const d = this.own(dlif);
    return this.send(d, this.fullRa(d));
  }

  onUnknownSolicitation(fn: UnknownSolicitationListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  watch(parent: Interface | string): void {
    const p = this.parentOf(parent);
    if (this.watched.has(p.index)) return;
    this.ra.setSolicitationHandler(p.index, this.onRs);
    this.watched.add(p.index);
  }

  activeTimers(): number {
    let n = 0;
    for (const d of this.dlifs()) n += (d.periodic !== null ? 1 : 0) + (d.solicit !== null ? 1 : 0);
    return n;
  }

  status(nodeId?: string): DlifNodeStatus[] {
    const now = this.now();
    const out: DlifNodeStatus[] = [];
    const nodes = [...this.nodes.values()]
      .filter((n) => nodeId === undefined || n.id === nodeId)
      .sort((a, b) => a.id.localeCompare(b.id));
    for (const n of nodes) {
      const dlifs = [...n.dlifs.values()].sort(
        (a, b) =>
          (a.role === b.role ? 0 : a.role === 'serving' ? -1 : 1) ||
          a.anchor.id.localeCompare(b.anchor.id),
      );
      out.push({
        node: n.id,
        mac: formatMacAddress(n.mac),
        linkLocal: n.linkLocal === null ? null : formatIpv6Address(n.linkLocal),
        parent: n.parent.name,
        dlifs: dlifs.map((d): DlifStatus => ({
          name: d.name,
          role: d.role,
          anchor: d.anchor.id,
          anchorAddress: d.anchor.address === null ? null : formatIpv6Address(d.anchor.address),
          mac: formatMacAddress(d.mac),
          linkLocal: formatIpv6Address(d.linkLocal),
          routerLifetime: d.routerLifetime,
          preference: d.preference,
          prefixes: this.prefixInfo(d).map(
            (p) =>
              `${formatIpv6Prefix(p.prefix, p.prefixLen)} valid ${lifetimeText(p.validLifetime)}` +
              ` preferred ${lifetimeText(p.preferredLifetime)}`,
          ),
          routes: this.routeInfo(d).map(
            (r) =>
              `${formatIpv6Prefix(r.prefix, r.prefixLen)} ${r.preference} ${lifetimeText(r.lifetime)}`,
          ),
          inputTable: d.iface.inputTable >= 0 ? d.iface.inputTable : null,
          nextRaIn: d.periodic !== null ? Math.max(0, (d.nextAt - now) / 1000) : null,
          counters: this.countersOf(d),
        })),
      });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------
  // Read by the records
  // -------------------------------------------------------------------------------------

  /** @internal */
  defaultPreference(role: DlifRole): DlifPreference {
    if (role === 'serving') return this.config.servingPreference;
    return this.config.anchorMode === 'low-preference' ? 'low' : this.config.anchorPreference;
  }

  /** @internal What the DLIF's next RA says about its prefixes. */
  prefixInfo(d: DlifImpl): DlifPrefixInfo[] {
    const now = this.now();
    const deprecate = d.role === 'anchor' && this.config.anchorMode === 'deprecate';
    return d.prefixState.map((p) => {
      const valid = left(p.valid, now);
      return {
        prefix: p.prefix,
        prefixLen: p.prefixLen,
        onLink: p.onLink,
        autonomous: p.autonomous,
        validLifetime: valid,
        // draft §4.1: "include a zero prefix lifetime" (the preferred one: the address
        // stays valid for the sessions using it, RFC 4862 §5.5.4)
        preferredLifetime: deprecate ? 0 : Math.min(left(p.preferred, now), valid),
        decrement: p.decrement,
      };
    });
  }

  /** @internal */
  routeInfo(d: DlifImpl): DlifRouteInfo[] {
    const now = this.now();
    const rl = d.routerLifetime;
    return d.routeState.map((r) => ({
      prefix: r.prefix,
      prefixLen: r.prefixLen,
      preference: r.preference,
      lifetime: r.lifetime === null ? rl : left(r.lifetime, now),
      decrement: r.decrement,
    }));
  }

  /** @internal */
  countersOf(d: DlifImpl): DlifCounters {
    if (d.finalCounters !== null) return { ...d.finalCounters };
    const i = d.iface.index;
    const c = this.ifc;
    return {
      packetsIn: c === null ? 0 : c.packetsIn[i]!,
      packetsOut: (c === null ? 0 : c.packetsOut[i]!) + d.rasSent,
      rasSent: d.rasSent,
      rasFailed: d.rasFailed,
      rsReceived: d.rsReceived,
      rsIgnored: d.rsIgnored,
      nsAnswered: c === null ? 0 : c.nasOut[i]!,
    };
  }

  // -------------------------------------------------------------------------------------
  // Router Solicitations (RFC 4861 §6.2.6), called by ndra inside a dispatch
  // -------------------------------------------------------------------------------------

  private solicitation(
    ifIndex: number,
    sb: Uint8Array,
    soff: number,
    mb: Uint8Array,
    moff: number,
  ): boolean {
    const d = this.byIf[ifIndex];
    if (d !== undefined) {
      // an RS on a DLIF: its node's (a copy reached each of its DLIFs), or a unicast one
      // from someone else, which gets nothing: a DLIF's RAs are for its node only
      if (moff < 0 || !macEquals(mb, moff, d.nodeEntry.mac, 0)) {
        d.rsIgnored++;
        return true;
      }
      this.learnLinkLocal(d.nodeEntry, sb, soff);
      this.solicited(d);
      return true;
    }
    if (moff < 0) return false;
    const node = this.nodesByMac.get(macKey(ifIndex, mb, moff));
    if (node !== undefined) {
      // an RS to the parent's own MAC from a served node: every DLIF of the node answers
      this.learnLinkLocal(node, sb, soff);
      for (const x of node.dlifs.values()) this.solicited(x);
      return true;
    }
    if (this.listeners.size === 0) return false;
    const parent = this.router.interfaces[ifIndex]!;
    const ev = {
      parent,
      mac: mb.slice(moff, moff + 6),
      source: sb.slice(soff, soff + 16),
    };
    let claimed = false;
    for (const l of [...this.listeners]) {
      try {
        if (l(ev) === true) claimed = true;
      } catch (e) {
        this.log.error({ err: e }, 'unknown-solicitation listener failed');
      }
    }
    return claimed || this.nodesByMac.has(macKey(ifIndex, mb, moff));
  }

  /** Schedules the answer of `d` to an RS: one per delay, at most one per solicitedInterval. */
  private solicited(d: DlifImpl): void {
    d.rsReceived++;
    if (!this.running || d.solicit !== null) return;
    const now = this.now();
    const delay = this.random() * MAX_RA_DELAY_TIME;
    let at = now + delay;
    const gap = this.config.solicitedInterval * 1000;
    if (now - d.lastSolicitedAt < gap) at = d.lastSolicitedAt + gap + delay;
    d.solicit = this.timers.setTimeout(d.fireSolicited, Math.max(0, at - now));
  }

  /** @internal */
  onSolicitedTimer(d: DlifImpl): void {
    d.solicit = null;
    if (d.removed || !this.running) return;
    d.lastSolicitedAt = this.now();
    this.send(d, this.fullRa(d));
  }

  private learnLinkLocal(node: NodeEntry, sb: Uint8Array, soff: number): void {
    if (!isIpv6LinkLocal(sb, soff)) return;
    if (node.linkLocal !== null && ipv6Equals(node.linkLocal, 0, sb, soff)) return;
    node.linkLocal = sb.slice(soff, soff + 16);
    for (const d of node.dlifs.values()) this.pin(d, node.linkLocal);
  }

  /**
   * A permanent neighbour entry `addr` → the node's MAC on `d` (RFC 4861 §7.3.2 leaves
   * static entries to the implementation). An entry Neighbor Discovery is still resolving
   * is left to it: its queued packets are its own.
   */
  private pin(d: DlifImpl, addr: Uint8Array): void {
    const nb = this.router.neighbors;
    const i = d.iface.index;
    const cur = nb.lookup(i, addr, 0);
    if (cur >= 0 && nb.state[cur] === NeighborState.Incomplete) return;
    const id = cur >= 0 ? cur : nb.create(i, addr, 0, NeighborState.Permanent);
    nb.setMac(id, d.nodeEntry.mac, 0);
    nb.setState(id, NeighborState.Permanent);
  }

  // -------------------------------------------------------------------------------------
  // Periodic RAs (RFC 4861 §6.2.4, sent unicast)
  // -------------------------------------------------------------------------------------

  /** The first RA (creation or start), counted as the first of the initial ones (§6.2.4). */
  private advertiseFirst(d: DlifImpl): void {
    this.send(d, this.fullRa(d));
    d.initialSent = 1;
    this.schedule(d);
  }

  private schedule(d: DlifImpl): void {
    if (!this.running || d.periodic !== null || d.removed) return;
    const c = this.config;
    let ms = (c.minInterval + (c.maxInterval - c.minInterval) * this.random()) * 1000;
    if (d.initialSent < MAX_INITIAL_RTR_ADVERTISEMENTS && ms > MAX_INITIAL_RTR_ADVERT_INTERVAL) {
      ms = MAX_INITIAL_RTR_ADVERT_INTERVAL;
    }
    d.nextAt = this.now() + ms;
    d.periodic = this.timers.setTimeout(d.firePeriodic, ms);
  }

  /** @internal */
  onPeriodic(d: DlifImpl): void {
    d.periodic = null;
    if (d.removed || !this.running) return;
    // each RA recomputes the lifetimes left, so a decrementing valid lifetime counts down
    this.send(d, this.fullRa(d));
    if (d.initialSent < MAX_INITIAL_RTR_ADVERTISEMENTS) d.initialSent++;
    this.schedule(d);
  }

  private cancelTimers(d: DlifImpl): void {
    if (d.periodic !== null) this.timers.clear(d.periodic);
    if (d.solicit !== null) this.timers.clear(d.solicit);
    d.periodic = null;
    d.solicit = null;
  }

  // -------------------------------------------------------------------------------------
  // Building and sending
  // -------------------------------------------------------------------------------------

  /** The DLIF's RA contents now. */
  private fullRa(d: DlifImpl): RaContents {
    return {
      routerLifetime: d.routerLifetime,
      preference: d.preference,
      prefixes: this.prefixInfo(d).map((p) => ({
        prefix: p.prefix,
        prefixLen: p.prefixLen,
        onLink: p.onLink,
        autonomous: p.autonomous,
        validLifetime: p.validLifetime,
        preferredLifetime: p.preferredLifetime,
      })),
      routes: this.routeInfo(d).map((r) => ({
        prefix: r.prefix,
        prefixLen: r.prefixLen,
        preference: r.preference,
        lifetime: r.lifetime,
      })),
    };
  }

  /** The last RA of a DLIF that goes for `reason` (see DlifRemoveReason). */
  private lastRa(d: DlifImpl, reason: 'released' | 'shutdown'): RaContents {
    return {
      routerLifetime: 0,
      preference: 'medium', // RFC 4191 §2.2: Prf is 00 when the Router Lifetime is 0
      prefixes: reason === 'released' ? d.prefixState.map(zeroPrefix) : [],
      routes: d.routeState.map(zeroRoute),
    };
  }

  /** Sends an RA of `d` to its node only. */
  private send(d: DlifImpl, c: RaContents): boolean {
    const node = d.nodeEntry;
    const ok = this.ra.send(d.iface.index, {
      source: d.linkLocal,
      sourceMac: d.mac,
      // RFC 6085: an IPv6 multicast destination may go to a unicast MAC; the node's own
      // link-local once known (RFC 4861 §6.2.6 allows unicast answers)
      destination: node.linkLocal ?? ALL_NODES,
      destinationMac: node.mac,
      routerLifetime: c.routerLifetime,
      preference: c.preference,
      prefixes: c.prefixes,
      routes: c.routes,
    });
    if (ok) d.rasSent++;
    else d.rasFailed++;
    return ok;
  }

  // -------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------

  private dlifs(): DlifImpl[] {
    const out: DlifImpl[] = [];
    for (const n of this.nodes.values()) for (const d of n.dlifs.values()) out.push(d);
    return out;
  }

  private own(dlif: Dlif): DlifImpl {
    const d = dlif as DlifImpl;
    if (d.removed || this.byIf[d.iface.index] !== d) {
      throw new ConfigError(`DLIF ${dlif.name} was removed`, { dlif: dlif.name });
    }
    return d;
  }

  private parentOf(p: Interface | string): Interface {
    const iface = typeof p === 'string' ? this.router.interface(p) : p;
    if (iface === undefined || iface.removed) {
      throw new ConfigError(`no interface named ${String(p)}`, { interface: String(p) });
    }
    if (iface.kind !== 'ethernet' || iface.parent >= 0) {
      throw new ConfigError(`DLIFs need a physical Ethernet parent, ${iface.name} is not`, {
        interface: iface.name,
      });
    }
    return iface;
  }

  private prefixStates(specs: readonly DlifPrefixSpec[], role: DlifRole): PrefixState[] {
    const now = this.now();
    const seen = new Set<string>();
    return specs.map((s, i) => {
      checkPrefix(s.prefix, s.prefixLen, `prefixes[${i}]`);
      const key = prefixKey(s.prefix, s.prefixLen);
      if (seen.has(key)) throw new ConfigError(`prefix ${key} given twice`);
      seen.add(key);
      const valid = s.validLifetime ?? this.config.validLifetime;
      const preferred = s.preferredLifetime ?? Math.min(this.config.preferredLifetime, valid);
      checkLifetime(valid, `prefixes[${i}].validLifetime`);
      checkLifetime(preferred, `prefixes[${i}].preferredLifetime`);
      if (preferred > valid) {
        throw new ConfigError(
          `prefixes[${i}]: preferredLifetime must not exceed validLifetime (RFC 4862 §5.5.3 c)`,
        );
      }
      const autonomous = s.autonomous ?? true;
      if (autonomous && s.prefixLen !== 64) {
        throw new ConfigError(
          `prefixes[${i}]: a prefix for SLAAC (autonomous) must be a /64 (RFC 4862 §5.5.3 d)`,
        );
      }
      const decrement = s.decrement ?? role === 'anchor';
      return {
        prefix: maskPrefix(s.prefix, s.prefixLen),
        prefixLen: s.prefixLen,
        onLink: s.onLink ?? true,
        autonomous,
        valid: lifetime(valid, decrement, now),
        preferred: lifetime(preferred, decrement, now),
        decrement,
      };
    });
  }

  private routeStates(specs: readonly DlifRouteSpec[], role: DlifRole): RouteState[] {
    const now = this.now();
    const seen = new Set<string>();
    return specs.map((s, i) => {
      checkPrefix(s.prefix, s.prefixLen, `routes[${i}]`);
      const key = prefixKey(s.prefix, s.prefixLen);
      if (seen.has(key)) throw new ConfigError(`route ${key} given twice`);
      seen.add(key);
      if (s.lifetime !== undefined) checkLifetime(s.lifetime, `routes[${i}].lifetime`);
      const pref = s.preference ?? 'medium';
      if (pref !== 'low' && pref !== 'medium' && pref !== 'high')
        throw new ConfigError(`routes[${i}].preference must be low, medium or high`);
      const decrement = s.decrement ?? role === 'anchor';
      return {
        prefix: maskPrefix(s.prefix, s.prefixLen),
        prefixLen: s.prefixLen,
        preference: pref,
        lifetime: s.lifetime === undefined ? null : lifetime(s.lifetime, decrement, now),
        decrement,
      };
    });
  }
}

/** RA contents handed to RaService.send. */
interface RaContents {
  routerLifetime: number;
  preference: DlifPreference;
  prefixes: RaPrefix[];
  routes: RaRoute[];
}

function zeroPrefix(p: PrefixState): RaPrefix {
  return {
    prefix: p.prefix,
    prefixLen: p.prefixLen,
    onLink: p.onLink,
    autonomous: p.autonomous,
    validLifetime: 0,
    preferredLifetime: 0,
  };
}

function zeroRoute(r: RouteState): RaRoute {
  return { prefix: r.prefix, prefixLen: r.prefixLen, preference: r.preference, lifetime: 0 };
}

function fail(mac: Uint8Array): never {
  throw new ConfigError(
    `the derived MAC ${formatMacAddress(mac)} of another D-GW's DLIF is already used on this link: pass the MAC that D-GW chose`,
  );
}

function checkPrefix(p: Uint8Array, len: number, what: string): void {
  if (!(p instanceof Uint8Array) || p.length !== 16)
    throw new ConfigError(`${what}: prefix must be 16 bytes`);
  if (!Number.isInteger(len) || len < 0 || len > 128)
    throw new ConfigError(`${what}: prefix length must be 0..128`);
}

function checkLifetime(s: number, what: string): void {
  if (!Number.isInteger(s) || s < 0 || s > INFINITE)
    throw new ConfigError(`${what} must be 0..0xffffffff seconds`);
}

function checkRouterLifetime(s: number): void {
  // RFC 4861 §4.2 / §6.2.1: a router sends at most 9000 s
  if (!Number.isInteger(s) || s < 0 || s > 9000)
    throw new ConfigError('routerLifetime must be 0..9000 seconds (RFC 4861 §6.2.1)');
}

function checkLinkLocal(a: Uint8Array, what: string): void {
  if (!(a instanceof Uint8Array) || a.length !== 16 || !isIpv6LinkLocal(a, 0))
    throw new ConfigError(`${what} must be a link-local (fe80::/10) address`);
}
