/**
 * The Local Mobility Anchor (RFC 5213 §5): Proxy Binding Update processing, the Binding
 * Cache (§5.1), home network prefix assignment (§5.2), the bidirectional tunnel to each
 * MAG and the routes through it (§5.6), de-registration with MinDelayBeforeBCEDelete
 * (§5.3.5), timestamps (§5.5).
 *
 * ```
 *  MAG ──PBU (A|P; MN-ID, HNP, HI, ATT, Timestamp …)──▶ mobility-input ──▶ handlePbu
 *      ◀──PBA (P; status, lifetime; MN-ID, HNP(s), HI, ATT, MN-LLI, Timestamp, LLA)──
 *  accepted:  BCE ── tunnel LMA⇄MAG (one per MAG, shared, reference counted)
 *                 └─ route HNP/64 → RouteKind.Tunnel (main table)
 * ```
 *
 * A PBU is checked in this order, the first failure answering with its status:
 *
 * | check (RFC 5213)                                               | status |
 * | -------------------------------------------------------------- | ------ |
 * | sender is a configured MAG (§5.3.1 item 2, §4)                 | 154    |
 * | P flag set (§5.3.1 item 1: a proxy registration)               | 152    |
 * | Mobile Node Identifier option present (§5.3.1 item 4)          | 160    |
 * | the node has a profile here (§5.3.1 item 5)                    | 153    |
 * | … and the profile allows it (§5.3.1 item 5; policy)            | 129    |
 * | Home Network Prefix option present (§5.3.1 item 6)             | 158    |
 * | Handoff Indicator option present (§5.3.1 item 7)               | 161    |
 * | Access Technology Type option present (§5.3.1 item 8)          | 162    |
 * | Timestamp within ±TimestampValidityWindow of our clock (§5.5)  | 156    |
 * | Timestamp higher than the BCE's (§5.5; a replay is not higher) | 157    |
 * | every requested prefix is the node's (§5.3.2, §5.4.1)          | 155    |
 * | the requested set equals the BCE's prefix set (§5.4.1)         | 159    |
 * | a prefix can be assigned (§5.3.2)                              | 130    |
 *
 * 153 vs 129: a node nobody configured (and `mobileNodes.default: deny`) is not ours —
 * NOT_LMA_FOR_THIS_MOBILE_NODE (153) tells the MAG to look for another LMA; a node whose
 * profile says `allowed: false` is ours but barred — ADMINISTRATIVELY_PROHIBITED (129).
 *
 * Which session a PBU belongs to (§5.4.1): the entry of the same MN-ID, access technology
 * and (when the PBU has one) MN link-layer identifier. The link-layer identifier names the
 * interface, so a PBU from another MAG for the same identifier is a handoff of that
 * interface whatever its Handoff Indicator (1 from a MAG that could not tell, 3, 4, 5):
 * the binding moves (Proxy-CoA, tunnel, routes) and keeps its prefixes.
 * MaxDelayBeforeNewBCEAssign is not used: no PBU here ever creates a second session for
 * an interface that has one.
 *
 * De-registration (§5.3.5): from the entry's own MAG it is accepted, the entry is kept
 * MinDelayBeforeBCEDelete (a registration in that time revives it) and its forwarding
 * state — the routes into the old MAG's tunnel and the tunnel reference — goes at once:
 * that MAG has just removed its own state for the node, so whatever we tunnel there would
 * be routed back to us by its default route (a loop until the hop limit runs out); the
 * pool's blackhole route drops it here instead. From any other MAG (a late
 * de-registration after a handover) it is answered with status 0 and lifetime 0 so that
 * MAG can clean up, and the entry is not touched.
 */
import {
  ConfigError,
  RouteKind,
  formatIpv6Address,
  formatIpv6Prefix,
  type Ipv6Prefix,
  type Logger,
  type Router,
} from '@dmm/core';
import {
  BindingCache,
  mnIdKey,
  type BceSnapshot,
  type BindingCacheEntry,
  type Clock,
  type MnIdentifier,
} from '@dmm/binding-cache';
import { checkTimestamp, sequenceNewer, timestampMs, timestampOption } from '@dmm/pmip';
import {
  PbaFlag,
  PbaStatus,
  PbuFlag,
  findHnps,
  findMnId,
  findOption,
  lifetimeFromSeconds,
  pbaStatusName,
  type MobilityOption,
  type MobilityOptionOf,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';
import type { TunnelTable } from '@dmm/tunnel';
import type { LmaConfig, MobileNodeProfile } from './config.js';
import { HnpPool } from './hnp-pool.js';

/** What happened to one PBU. */
export type PbuOutcome =
  | 'registered'
  | 'handoff'
  | 'refreshed'
  | 'revived'
  | 'deregistered'
  | 'dereg-other-mag'
  | 'dereg-no-binding'
  | 'rejected';

/** `show lma` counters. */
export interface LmaCounters {
  pbuReceived: number;
  /** Accepted PBUs by outcome (everything but `rejected`). */
  accepted: Record<Exclude<PbuOutcome, 'rejected'>, number>;
  /** Rejected PBUs by status code. */
  rejected: Map<number, number>;
  /** PBAs that could not be sent (no buffer). */
  pbaSendFailed: number;
  /** Bindings whose lifetime ran out, and de-registered ones deleted after the delay. */
  expired: number;
  deleted: number;
}

/** A received PBU (the `mobility-input` node's message). */
export interface PbuInput {
  src: Uint8Array;
  dst: Uint8Array;
  pbu: PbuRepr;
}

export interface LmaOptions {
  router: Router;
  tunnels: TunnelTable;
  config: LmaConfig;
  log: Logger;
  /** Sends a PBA from `src` to `dst`; false when it could not. */
  sendPba(src: Uint8Array, dst: Uint8Array, pba: PbaRepr): boolean;
  /** Milliseconds since 1970 (RFC 5213 §5.5 compares PBU timestamps with it). */
  wallClock?: () => number;
  /** The Binding Cache's monotonic clock (default: performance.now). */
  clock?: Clock;
}

const ORIGIN = 'lma';

export class LocalMobilityAnchor {
  readonly cache: BindingCache;
  readonly pool: HnpPool;
  readonly config: LmaConfig;
  readonly counters: LmaCounters = {
    pbuReceived: 0,
    accepted: {
      registered: 0,
      handoff: 0,
      refreshed: 0,
      revived: 0,
      deregistered: 0,
      'dereg-other-mag': 0,
      'dereg-no-binding': 0,
    },
    rejected: new Map(),
    pbaSendFailed: 0,
    expired: 0,
    deleted: 0,
  };
  private readonly router: Router;
  private readonly tunnels: TunnelTable;
  private readonly log: Logger;
  private readonly send: LmaOptions['sendPba'];
  private readonly wallClock: () => number;
  private readonly address: Uint8Array;
  private readonly mags: Set<string>;
  private readonly profiles = new Map<string, MobileNodeProfile>();
  private readonly maxLifetimeUnits: number;
  private poolRouteInstalled = false;

  constructor(opts: LmaOptions) {
    const c = opts.config;
    this.config = c;
    this.router = opts.router;
    this.tunnels = opts.tunnels;
    this.log = opts.log;
    this.send = opts.sendPba;
    this.wallClock = opts.wallClock ?? Date.now;
    this.address = Uint8Array.from(c.address);
    if (!isRouterAddress(this.router, this.address)) {
      throw new ConfigError(
        `address ${formatIpv6Address(c.address)} is not an address of this router`,
        { path: ['address'] },
      );
    }
    this.mags = new Set(c.mags.map(hex16));
    for (const p of c.mobileNodes.profiles) this.profiles.set(p.id, p);
    this.maxLifetimeUnits = lifetimeFromSeconds(c.maxLifetime);
    this.pool = new HnpPool(c.hnpPool, c.hnpLength);
    for (const p of c.mobileNodes.profiles) {
      if (p.hnp) this.pool.reserve(p.hnp.prefix, p.hnp.prefixLen);
    }
    this.cache = new BindingCache({
      ...(opts.clock ? { clock: opts.clock } : {}),
      variables: c.pmip,
    });
    this.cache.events.on('bce:removed', (e, reason) => this.onRemoved(e, reason));
    this.cache.events.on('bce:expired', (e) => {
      this.counters.expired++;
      this.log.info({ mn: e.mnKey, proxyCoa: formatIpv6Address(e.proxyCoa) }, 'binding expired');
    });
    if (c.poolRoute !== 'none') {
      this.router.addRoute({
        prefix: c.hnpPool.prefix,
        prefixLen: c.hnpPool.prefixLen,
        kind: c.poolRoute === 'blackhole' ? RouteKind.Blackhole : RouteKind.Unreachable,
        origin: ORIGIN,
      });
      this.poolRouteInstalled = true;
    }
  }

  /** Removes every binding, its routes and tunnel references, and the pool route. */
  close(): void {
    this.cache.clear('admin');
    if (this.poolRouteInstalled) {
      removeOwnRoute(this.router, this.config.hnpPool.prefix, this.config.hnpPool.prefixLen);
      this.poolRouteInstalled = false;
    }
  }

  // ── PBU processing ──────────────────────────────────────────────────────────────────

  /** Processes one PBU and sends its PBA; returns the status sent. */
  handlePbu(m: PbuInput): number {
    this.counters.pbuReceived++;
    const pbu = m.pbu;
    // §5.3.1: only a MAG we share a security association / policy with may register
    if (!this.mags.has(hex16(m.src))) return this.reject(m, PbaStatus.MagNotAuthorizedForProxyReg);
    if ((pbu.flags & PbuFlag.P) === 0) return this.reject(m, PbaStatus.ProxyRegNotEnabled);
    const mnId = findMnId(pbu);
    if (mnId === undefined) return this.reject(m, PbaStatus.MissingMnIdentifierOption);
    const profile = mnId.kind === 'mn-id' ? this.profiles.get(mnId.nai) : undefined;
    if (profile === undefined && this.config.mobileNodes.default === 'deny') {
      return this.reject(m, PbaStatus.NotLmaForThisMobileNode);
    }
    if (profile !== undefined && !profile.allowed) {
      return this.reject(m, PbaStatus.AdministrativelyProhibited);
    }
    const hnps = findHnps(pbu);
    if (hnps.length === 0) return this.reject(m, PbaStatus.MissingHomeNetworkPrefixOption);
    const hi = findOption(pbu, 'handoff-indicator');
    if (hi === undefined) return this.reject(m, PbaStatus.MissingHandoffIndicatorOption);
    const att = findOption(pbu, 'access-technology-type');
    if (att === undefined) return this.reject(m, PbaStatus.MissingAccessTechTypeOption);
    const v = this.config.pmip;
    const ts = findOption(pbu, 'timestamp');
    const now = this.wallClock();
    if (v.TimestampBasedApproachInUse) {
      // §5.5: no timestamp, or one outside the window: the clocks disagree (the PBA tells
      // the MAG our time)
      if (ts === undefined) return this.reject(m, PbaStatus.TimestampMismatch, now);
      if (checkTimestamp(timestampMs(ts), now, v.TimestampValidityWindow, null) !== 'ok') {
        return this.reject(m, PbaStatus.TimestampMismatch, now);
      }
    }
    const lli = findOption(pbu, 'mn-link-layer-id');
    let bce = this.cache.findByMnId(mnId, {
      accessTechnology: att.value,
      ...(lli ? { linkLayerId: lli.identifier } : {}),
    });
    const requested = hnps.filter((h) => !isAllZero(h.prefix) || h.prefixLength !== 0);
    const key = mnIdKey(mnId);
    if (bce === undefined) {
      // a session found by its prefix (e.g. the first PBU had no MN-LLI)
      for (const h of requested) {
        const owner = this.cache.findByPrefix(h.prefix, h.prefixLength);
        if (owner !== undefined && owner.mnKey === key && owner.accessTechnology === att.value) {
          bce = owner;
          break;
        }
      }
    }
    const dereg = pbu.lifetime === 0;
    if (dereg && bce !== undefined && !sameAddress(bce.proxyCoa, m.src)) {
      // §5.3.5: a MAG that no longer serves the node cannot delete its binding
      return this.answer(m, 'dereg-other-mag', PbaStatus.Accepted, {
        lifetime: 0,
        prefixes: null,
        magLinkLocal: null,
      });
    }
    if (bce !== undefined) {
      if (v.TimestampBasedApproachInUse) {
        const last = timestampValueMs(bce);
        if (checkTimestamp(timestampMs(ts!), now, Infinity, last, true) !== 'ok') {
          return this.reject(m, PbaStatus.TimestampLowerThanPrevAccepted);
        }
      } else if (!sequenceNewer(pbu.sequence, bce.sequence)) {
        // RFC 6275 §9.5.1: the BA carries the last accepted sequence number
        return this.reject(m, PbaStatus.SequenceNumberOutOfWindow, null, bce.sequence);
      }
    }
    // §5.3.2 / §5.4.1: a requested prefix must be this node's …
    for (const h of requested) {
      const owner = this.cache.findByPrefix(h.prefix, h.prefixLength);
      if (owner !== undefined) {
        if (owner === bce) continue;
        // another node's prefix (155), or one of this node's other sessions (159)
        return this.reject(
          m,
          owner.mnKey === key
            ? PbaStatus.BcePbuPrefixSetDoNotMatch
            : PbaStatus.NotAuthorizedForHomeNetworkPrefix,
        );
      }
      const isStatic =
        profile?.hnp !== undefined &&
        h.prefixLength === profile.hnp.prefixLen &&
        sameAddress(h.prefix, profile.hnp.prefix);
      // an unbound prefix: only the node's static one, and only for a new session
      if (!isStatic) return this.reject(m, PbaStatus.NotAuthorizedForHomeNetworkPrefix);
      if (bce !== undefined) return this.reject(m, PbaStatus.BcePbuPrefixSetDoNotMatch);
    }
    // … and the set must be the binding's (all of them, or ::/0 for "whatever I have")
    if (bce !== undefined && requested.length > 0 && !samePrefixSet(requested, bce.prefixes)) {
      return this.reject(m, PbaStatus.BcePbuPrefixSetDoNotMatch);
    }
    if (dereg) return this.deregister(m, bce);
    return this.register(m, mnId, profile, bce, requested, hi.value, att.value, ts ?? null);
  }

  private deregister(m: PbuInput, bce: BindingCacheEntry | undefined): number {
    if (bce === undefined) {
      // nothing to remove; accepting lets the MAG finish its own clean-up
      return this.answer(m, 'dereg-no-binding', PbaStatus.Accepted, {
        lifetime: 0,
        prefixes: null,
        magLinkLocal: null,
      });
    }
    this.cache.update(bce, this.orderFields(m.pbu));
    this.unbindForwarding(bce);
    this.cache.deregister(bce);
    this.log.info(
      { mn: bce.mnKey, proxyCoa: formatIpv6Address(bce.proxyCoa) },
      'de-registered; deleting after MinDelayBeforeBCEDelete',
    );
    return this.answer(m, 'deregistered', PbaStatus.Accepted, {
      lifetime: 0,
      prefixes: bce.prefixes,
      magLinkLocal: bce.magLinkLocal,
    });
  }

  private register(
    m: PbuInput,
    mnId: MnIdentifier,
    profile: MobileNodeProfile | undefined,
    bce: BindingCacheEntry | undefined,
    requested: MobilityOptionOf<'hnp'>[],
    hi: number,
    att: number,
    ts: MobilityOptionOf<'timestamp'> | null,
  ): number {
    const pbu = m.pbu;
    const units = Math.min(pbu.lifetime, this.maxLifetimeUnits);
    const lifetimeMs = units * 4000;
    const lliOpt = findOption(pbu, 'mn-link-layer-id');
    const llaOpt = findOption(pbu, 'link-local-address');
    // §6.8 / §5.1: the MAG's link-local address on the access link. A MAG that sends the
    // option all-zero asks us for it: the one already in the binding (so a new MAG keeps
    // the address the node knows), else the fixed one, else none.
    const askedLl = llaOpt !== undefined && isAllZero(llaOpt.address);
    const magLinkLocal =
      llaOpt !== undefined && !askedLl
        ? llaOpt.address
        : (bce?.magLinkLocal ?? this.config.pmip.FixedMAGLinkLocalAddressOnAllAccessLinks);
    if (bce === undefined) {
      let prefixes: Ipv6Prefix[];
      if (requested.length > 0) {
        prefixes = requested.map((h) => ({ prefix: h.prefix, prefixLen: h.prefixLength }));
      } else if (
        profile?.hnp !== undefined &&
        this.cache.findByPrefix(profile.hnp.prefix, profile.hnp.prefixLen) === undefined
      ) {
        // the static prefix, unless another session of the node (another interface) has it
        prefixes = [profile.hnp];
      } else {
        const p = this.pool.allocate();
        if (p === null) return this.reject(m, PbaStatus.InsufficientResources);
        prefixes = [{ prefix: p, prefixLen: this.pool.hnpLen }];
      }
      const e = this.cache.create({
        mnId,
        ...(lliOpt ? { mnLinkLayerId: lliOpt.identifier } : {}),
        magLinkLocal,
        prefixes,
        proxyCoa: m.src,
        lifetimeMs,
        accessTechnology: att,
        handoffIndicator: hi,
        ...(ts ? { timestamp: ts } : {}),
        sequence: pbu.sequence,
      });
      this.bindForwarding(e, m.src);
      this.log.info(
        {
          mn: e.mnKey,
          hnp: e.prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
          proxyCoa: formatIpv6Address(e.proxyCoa),
          lifetime: units * 4,
        },
        'binding created',
      );
      return this.answer(m, 'registered', PbaStatus.Accepted, {
        lifetime: units,
        prefixes: e.prefixes,
        magLinkLocal: e.magLinkLocal,
      });
    }
    const moved = !sameAddress(bce.proxyCoa, m.src);
    const wasDeregistering = bce.state === 'deregistering';
    const changes = this.cache.update(bce, {
      ...this.orderFields(pbu),
      proxyCoa: m.src,
      lifetimeMs,
      accessTechnology: att,
      handoffIndicator: hi,
      ...(lliOpt ? { mnLinkLayerId: lliOpt.identifier } : {}),
      magLinkLocal,
    });
    if (moved || wasDeregistering || bce.tunnelId < 0) this.bindForwarding(bce, m.src);
    const outcome: PbuOutcome = moved ? 'handoff' : changes.revived ? 'revived' : 'refreshed';
    if (moved || changes.revived) {
      this.log.info(
        {
          mn: bce.mnKey,
          proxyCoa: formatIpv6Address(bce.proxyCoa),
          previous: changes.previousProxyCoa ? formatIpv6Address(changes.previousProxyCoa) : null,
          hi,
        },
        moved ? 'handoff: binding moved to a new MAG' : 'binding revived',
      );
    }
    return this.answer(m, outcome, PbaStatus.Accepted, {
      lifetime: units,
      prefixes: bce.prefixes,
      magLinkLocal: bce.magLinkLocal,
    });
  }

  /** Timestamp (or sequence number) of an accepted PBU, as the BCE keeps it. */
  private orderFields(pbu: PbuRepr): {
    timestamp?: { seconds: number; fraction: number };
    sequence: number;
  } {
    const ts = findOption(pbu, 'timestamp');
    return ts && this.config.pmip.TimestampBasedApproachInUse
      ? { timestamp: ts, sequence: pbu.sequence }
      : { sequence: pbu.sequence };
  }

  // ── forwarding state ────────────────────────────────────────────────────────────────

  /** The tunnel to `mag` and a route into it for each prefix (replacing older routes). */
  private bindForwarding(e: BindingCacheEntry, mag: Uint8Array): void {
    const old = e.tunnelId;
    const t = this.tunnels.acquire(this.address, mag);
    for (const p of e.prefixes) {
      this.router.addRoute({
        prefix: p.prefix,
        prefixLen: p.prefixLen,
        kind: RouteKind.Tunnel,
        tunnel: t,
        origin: ORIGIN,
      });
    }
    this.cache.update(e, { tunnelId: t });
    // the new route is in place before the old tunnel loses this binding's reference
    if (old >= 0 && this.tunnels.isLive(old)) this.tunnels.release(old);
  }

  /** Removes the routes of a live entry and gives its tunnel reference back. */
  private unbindForwarding(e: BindingCacheEntry): void {
    this.dropForwarding(e);
    if (e.tunnelId >= 0) this.cache.update(e, { tunnelId: -1 });
  }

  private dropForwarding(e: BindingCacheEntry): void {
    if (e.tunnelId < 0) return;
    for (const p of e.prefixes) removeOwnRoute(this.router, p.prefix, p.prefixLen, e.tunnelId);
    if (this.tunnels.isLive(e.tunnelId)) this.tunnels.release(e.tunnelId);
  }

  private onRemoved(e: BindingCacheEntry, reason: string): void {
    this.dropForwarding(e);
    for (const p of e.prefixes) {
      const profile = e.mnId.kind === 'mn-id' ? this.profiles.get(e.mnId.nai) : undefined;
      const isStatic =
        profile?.hnp !== undefined &&
        profile.hnp.prefixLen === p.prefixLen &&
        sameAddress(profile.hnp.prefix, p.prefix);
      if (!isStatic) this.pool.release(p.prefix, p.prefixLen);
    }
    if (reason === 'dereg') this.counters.deleted++;
    this.log.info({ mn: e.mnKey, reason }, 'binding removed');
  }

  // ── answers ─────────────────────────────────────────────────────────────────────────

  private reject(
    m: PbuInput,
    status: number,
    timestampNow: number | null = null,
    sequence: number | null = null,
  ): number {
    this.counters.rejected.set(status, (this.counters.rejected.get(status) ?? 0) + 1);
    this.log.debug(
      { from: formatIpv6Address(m.src), status, name: pbaStatusName(status) },
      'PBU rejected',
    );
    const pba = this.pba(m.pbu, status, {
      lifetime: 0,
      prefixes: null,
      magLinkLocal: null,
      timestampNow,
      sequence,
    });
    if (!this.send(m.dst, m.src, pba)) this.counters.pbaSendFailed++;
    return status;
  }

  private answer(
    m: PbuInput,
    outcome: Exclude<PbuOutcome, 'rejected'>,
    status: number,
    o: {
      lifetime: number;
      prefixes: readonly Ipv6Prefix[] | null;
      magLinkLocal: Uint8Array | null;
    },
  ): number {
    this.counters.accepted[outcome]++;
    const pba = this.pba(m.pbu, status, { ...o, timestampNow: null, sequence: null });
    if (!this.send(m.dst, m.src, pba)) this.counters.pbaSendFailed++;
    return status;
  }

  /**
   * The PBA for `pbu` (RFC 5213 §5.3.x, §8.2): P flag, the PBU's sequence number, and the
   * options echoed — HNP(s) (the assigned ones when given), HI, ATT, Timestamp (ours for
   * status 156), MN-ID, MN-LLI, Link-local Address — in the order of protocol.md §5.2.
   */
  private pba(
    pbu: PbuRepr,
    status: number,
    o: {
      lifetime: number;
      prefixes: readonly Ipv6Prefix[] | null;
      magLinkLocal: Uint8Array | null;
      timestampNow: number | null;
      sequence: number | null;
    },
  ): PbaRepr {
    const options: MobilityOption[] = [];
    if (o.prefixes !== null) {
      for (const p of o.prefixes) {
        options.push({ kind: 'hnp', prefixLength: p.prefixLen, prefix: Uint8Array.from(p.prefix) });
      }
    } else {
      for (const h of findHnps(pbu)) options.push(h);
    }
    const hi = findOption(pbu, 'handoff-indicator');
    if (hi) options.push(hi);
    const att = findOption(pbu, 'access-technology-type');
    if (att) options.push(att);
    if (o.timestampNow !== null) options.push(timestampOption(o.timestampNow));
    else {
      const ts = findOption(pbu, 'timestamp');
      if (ts) options.push(ts);
    }
    const mnId = findMnId(pbu);
    if (mnId) options.push(mnId);
    const lli = findOption(pbu, 'mn-link-layer-id');
    if (lli) options.push(lli);
    const lla = findOption(pbu, 'link-local-address');
    if (lla) {
      options.push(
        o.magLinkLocal !== null && status === PbaStatus.Accepted
          ? { kind: 'link-local-address', address: Uint8Array.from(o.magLinkLocal) }
          : lla,
      );
    }
    return {
      status,
      flags: PbaFlag.P,
      sequence: o.sequence ?? pbu.sequence,
      lifetime: o.lifetime,
      options,
    };
  }

  // ── views ───────────────────────────────────────────────────────────────────────────

  /** `show bindings` rows. */
  bindings(): LmaBindingRow[] {
    return this.cache.snapshot().map((s) => ({
      ...s,
      timestampText: s.timestamp === null ? null : new Date(s.timestamp * 1000).toISOString(),
    }));
  }

  /** `show lma`. */
  stats(): LmaStats {
    const rejected: Record<string, number> = {};
    for (const [k, n] of [...this.counters.rejected].sort((a, b) => a[0] - b[0])) {
      rejected[`${k} ${pbaStatusName(k)}`] = n;
    }
    return {
      address: formatIpv6Address(this.address),
      pool: {
        prefix: formatIpv6Prefix(this.config.hnpPool.prefix, this.config.hnpPool.prefixLen),
        hnpLength: this.pool.hnpLen,
        size: this.pool.size,
        allocated: this.pool.allocated,
      },
      bindings: this.cache.size,
      mags: this.config.mags.map((a) => ({
        address: formatIpv6Address(a),
        bindings: this.cache.countByProxyCoa(a),
      })),
      pbuReceived: this.counters.pbuReceived,
      accepted: { ...this.counters.accepted },
      rejected,
      pbaSendFailed: this.counters.pbaSendFailed,
      expired: this.counters.expired,
      deleted: this.counters.deleted,
    };
  }
}

export type LmaBindingRow = BceSnapshot & { timestampText: string | null };

export interface LmaStats {
  address: string;
  pool: { prefix: string; hnpLength: number; size: number; allocated: number };
  bindings: number;
  mags: { address: string; bindings: number }[];
  pbuReceived: number;
  accepted: Record<string, number>;
  rejected: Record<string, number>;
  pbaSendFailed: number;
  expired: number;
  deleted: number;
}

// ── helpers ─────────────────────────────────────────────────────────────────────────

function hex16(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += a[i]!.toString(16).padStart(2, '0');
  return s;
}

function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isAllZero(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

function samePrefixSet(
  req: readonly MobilityOptionOf<'hnp'>[],
  have: readonly Ipv6Prefix[],
): boolean {
  if (req.length !== have.length) return false;
  return req.every((r) =>
    have.some((h) => h.prefixLen === r.prefixLength && sameAddress(h.prefix, r.prefix)),
  );
}

function timestampValueMs(e: BindingCacheEntry): number | null {
  if (e.timestampSeconds === 0 && e.timestampFraction === 0) return null;
  return timestampMs({ seconds: e.timestampSeconds, fraction: e.timestampFraction });
}

function isRouterAddress(router: Router, a: Uint8Array): boolean {
  return router.interfaces.some((i) => i.addresses.some((x) => sameAddress(x.address, a)));
}

/** Removes a route of ours (tunnel `tunnel`, when given) for prefix/len in the main table. */
function removeOwnRoute(router: Router, prefix: Uint8Array, len: number, tunnel = -1): void {
  const fib = router.routes.table(254);
  const id = fib.getExact(prefix, len);
  if (id < 0) return;
  const r = router.routes.routes[id];
  if (!r || r.origin !== ORIGIN) return;
  if (tunnel >= 0 && r.tunnel !== tunnel) return;
  router.removeRoute(prefix, len);
}
