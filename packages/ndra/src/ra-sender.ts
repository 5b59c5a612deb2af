/**
 * Router Advertisements — RFC 4861 §6.2 (§6.2.1 variables, §6.2.3 contents, §6.2.4
 * unsolicited, §6.2.5 ceasing, §6.2.6 solicited, §6.2.7 consistency), RFC 4191 §2.2–2.3
 * (Default Router Preference, Route Information), RFC 8106 §5.1 (RDNSS).
 *
 * ```
 *  IPv6  src = interface link-local, dst = ff02::1 (or the soliciter), hop limit 255
 *  RA    Cur Hop Limit | M O Prf | Router Lifetime | Reachable Time | Retrans Timer
 *        SLLA (our MAC) · MTU · PIO… · RIO… · RDNSS…
 * ```
 *
 * Per interface with `ra.enabled`: unsolicited multicast RAs at uniformly random intervals
 * in [MinRtrAdvInterval, MaxRtrAdvInterval], the first MAX_INITIAL_RTR_ADVERTISEMENTS capped
 * at MAX_INITIAL_RTR_ADVERT_INTERVAL (§6.2.4); solicited RAs delayed by a random
 * 0..MAX_RA_DELAY_TIME and never sooner than MIN_DELAY_BETWEEN_RAS after the previous
 * multicast or solicited RA (§6.2.6), unicast to each soliciter that has an address (several
 * RSs inside one delay share one response round), multicast for RSs from ::; a final RA
 * with Router Lifetime 0 when the plugin stops (§6.2.5).
 *
 * `RaService` (token RA_SERVICE) lets other plugins send an RA now with per-call overrides:
 * destination (IPv6 and, optionally, MAC: then the frame is written directly, without
 * Neighbor Discovery), source link-local and MAC, prefixes, routes, DNS servers, lifetimes,
 * preference. That is what a distributed gateway needs to advertise per-mobile-node prefixes
 * on logical interfaces: one unicast RA per node with its own prefix list and its own
 * source. It may also claim Router Solicitations per interface before the default answer.
 */
import {
  formatIpv6Prefix,
  formatIpv6Address,
  type GraphNode,
  type Logger,
  type Router,
  type TimerHandle,
} from '@dmm/core';
import {
  Ipv6,
  Ipv6View,
  IpProto,
  RouterAdvert,
  RouterAdvertView,
  RouterPreference,
  ipv6Equals,
  isIpv6Unspecified,
  type NdOption,
  type RouterAdvertRepr,
  NdOptionCursor,
  NdOptionType,
  ND_RA_LEN,
} from '@dmm/wire';
import type { RaConfig, RaPreference } from './config.js';
import { raConfigSchema } from './config.js';
import {
  ALL_NODES,
  MAX_INITIAL_RTR_ADVERTISEMENTS,
  MAX_INITIAL_RTR_ADVERT_INTERVAL,
  MAX_PENDING_SOLICITERS,
  MAX_RA_DELAY_TIME,
  MIN_DELAY_BETWEEN_RAS,
  ND_HOP_LIMIT,
} from './constants.js';
import { AddrState, type AddressBook } from './dad.js';
import type { PacketOut } from './packet-out.js';

/** A Prefix Information option (RFC 4861 §4.6.2). */
export interface RaPrefix {
  prefix: Uint8Array;
  prefixLen: number;
  /** L flag (default true). */
  onLink?: boolean;
  /** A flag (default true). */
  autonomous?: boolean;
  /** Seconds; 0xffffffff = infinite. */
  validLifetime: number;
  preferredLifetime: number;
}

/** A Route Information option (RFC 4191 §2.3). */
export interface RaRoute {
  prefix: Uint8Array;
  prefixLen: number;
  preference: RaPreference;
  /** Seconds; 0xffffffff = infinite. */
  lifetime: number;
}

/** A Recursive DNS Server option (RFC 8106 §5.1). */
export interface RaDnsServers {
  servers: Uint8Array[];
  lifetime: number;
}

/** Per-call overrides of `RaService.send`; what is absent comes from the interface's config. */
export interface RaSendOptions {
  /** IPv6 destination (default ff02::1). */
  destination?: Uint8Array;
  /**
   * Ethernet destination: the frame is written as is, skipping Neighbor Discovery (default:
   * the IPv6 path resolves it; for ff02::1 that is 33:33:00:00:00:01).
   */
  destinationMac?: Uint8Array;
  /** IPv6 source, a link-local address (default: the interface's link-local). */
  source?: Uint8Array;
  /** The Source Link-Layer Address option and, with `destinationMac`, the Ethernet source. */
  sourceMac?: Uint8Array;
  /** Router Lifetime in seconds (0: not a default router). */
  routerLifetime?: number;
  preference?: RaPreference;
  curHopLimit?: number;
  managed?: boolean;
  other?: boolean;
  /** Milliseconds. */
  reachableTime?: number;
  /** Milliseconds. */
  retransTimer?: number;
  /** The MTU option: a value, or false for none (default: per config). */
  mtu?: number | false;
  /** Replace the configured prefixes (an empty list sends none). */
  prefixes?: readonly RaPrefix[];
  /** Replace the configured routes. */
  routes?: readonly RaRoute[];
  /** Replace the configured DNS servers. */
  rdnss?: readonly RaDnsServers[];
}

/**
 * Called for each valid Router Solicitation on an interface before the default answer; return
 * true to claim it (no ordinary RA is scheduled for it). `src` is the soliciter's address at
 * `srcBytes[srcOff]` (possibly ::); `mac` its link-layer address at `macBytes[macOff]` (from
 * the SLLA option, else the Ethernet source; macOff < 0 when unknown). The bytes are only
 * valid during the call.
 */
export type SolicitationHandler = (
  ifIndex: number,
  srcBytes: Uint8Array,
  srcOff: number,
  macBytes: Uint8Array,
  macOff: number,
) => boolean;

/** What `show ra` reports for one interface. */
export interface RaStatus {
  interface: string;
  enabled: boolean;
  /** Seconds until the next unsolicited RA, or null. */
  nextIn: number | null;
  sent: { unsolicited: number; solicited: number; unicast: number; final: number; api: number };
  rsReceived: number;
  minInterval: number;
  maxInterval: number;
  routerLifetime: number;
  preference: RaPreference;
  prefixes: string[];
  routes: string[];
  rdnss: string[];
}

/** The service other plugins get through RA_SERVICE. */
export interface RaService {
  /**
   * Sends one RA on interface `iface` (name or index) now: the interface's RA config (or the
   * RFC 4861 defaults when it has none) with `opts` on top. Returns false when it could not
   * be sent (no such Ethernet interface, no link-local source, no buffer, too big).
   */
  send(iface: string | number, opts?: RaSendOptions): boolean;
  /** The RA `send` would put on the wire, as a Repr (tests, debugging). */
  build(iface: string | number, opts?: RaSendOptions): RouterAdvertRepr;
  /** Installs (or with null removes) the Router Solicitation handler of an interface. */
  setSolicitationHandler(iface: string | number, handler: SolicitationHandler | null): void;
  status(): RaStatus[];
}

/** Counter codes of the `nd-ra` node. */
export const ND_RA_COUNTERS = [
  ['sent-unsolicited', 'unsolicited multicast RAs sent (RFC 4861 §6.2.4)'],
  ['sent-solicited', 'multicast RAs sent in answer to RSs from :: (§6.2.6)'],
  ['sent-unicast', 'unicast RAs sent in answer to RSs (§6.2.6)'],
  ['sent-final', 'final RAs with Router Lifetime 0 (§6.2.5)'],
  ['sent-api', 'RAs sent through RaService.send'],
  ['no-link-local', 'no usable link-local address to send an RA from'],
  ['no-buffer', 'no buffer for an RA'],
  ['too-big', 'RA larger than the link MTU: not sent'],
  ['inconsistent', 'RA from another router disagrees with ours (§6.2.7, logged)'],
  ['unexpected', 'packet sent to a counter node'],
] as const;
type RaCounter = (typeof ND_RA_COUNTERS)[number][0];
export const ND_RA_CODE: { [K in RaCounter]: number } = Object.fromEntries(
  ND_RA_COUNTERS.map(([n], i) => [n, i]),
) as { [K in RaCounter]: number };
const C = ND_RA_CODE;

const PRF: Record<RaPreference, number> = {
  low: RouterPreference.Low,
  medium: RouterPreference.Medium,
  high: RouterPreference.High,
};

/** RA config of an interface without an `ra:` block: RFC 4861 §6.2.1 defaults. */
const DEFAULT_RA: RaConfig = raConfigSchema.parse({ enabled: false });

export interface RaTimers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clear(h: TimerHandle): void;
}

/** Per-interface RA state. */
class RaIface {
  readonly ifIndex: number;
  readonly name: string;
  readonly config: RaConfig;
  /** Unsolicited timer and when it fires (ms). */
  timer: TimerHandle | null = null;
  nextAt = -1;
  initialSent = 0;
  /** Last multicast RA (solicited or not) and last solicited round, ms. */
  lastMulticastAt = -Infinity;
  lastSolicitedAt = -Infinity;
  solicitTimer: TimerHandle | null = null;
  pendingMulticast = false;
  pendingCount = 0;
  readonly pending = new Uint8Array(MAX_PENDING_SOLICITERS * 16);
  handler: SolicitationHandler | null = null;
  readonly sent = { unsolicited: 0, solicited: 0, unicast: 0, final: 0, api: 0 };
  rsReceived = 0;
  lastInconsistencyLog = -Infinity;
  readonly fire: () => void;
  readonly fireSolicited: () => void;

  constructor(ifIndex: number, name: string, config: RaConfig, sender: RaSender) {
    this.ifIndex = ifIndex;
    this.name = name;
    this.config = config;
    this.fire = () => sender.fireUnsolicited(this);
    this.fireSolicited = () => sender.fireSolicited(this);
  }
}

export class RaSender implements RaService {
  private readonly router: Router;
  private readonly out: PacketOut;
  private readonly book: AddressBook;
  private readonly timers: RaTimers;
  private readonly counters: GraphNode;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly ifs: (RaIface | undefined)[] = [];
  private running = false;
  private readonly optCursor = new NdOptionCursor();

  constructor(
    router: Router,
    out: PacketOut,
    book: AddressBook,
    timers: RaTimers,
    counters: GraphNode,
    log: Logger,
    now: () => number = () => Date.now(),
    random: () => number = () => Math.random(),
  ) {
    this.router = router;
    this.out = out;
    this.book = book;
    this.timers = timers;
    this.counters = counters;
    this.log = log;
    this.now = now;
    this.random = random;
  }

  /** Configures RAs on interface `ifIndex` (before or after `start`). */
  configure(ifIndex: number, config: RaConfig): void {
    const iface = this.router.interfaces[ifIndex]!;
    const s = new RaIface(ifIndex, iface.name, config, this);
    const old = this.ifs[ifIndex];
    if (old) this.stopIface(old);
    this.ifs[ifIndex] = s;
    if (this.running && config.enabled) this.schedule(s);
  }

  /** Forgets interface `ifIndex` (removed): its timers stop, its state goes. */
  forget(ifIndex: number): void {
    const s = this.ifs[ifIndex];
    if (!s) return;
    this.stopIface(s);
    this.ifs[ifIndex] = undefined;
  }

  /** Starts the unsolicited RAs of every enabled interface (§6.2.4). */
  start(): void {
    this.running = true;
    for (const s of this.ifs) {
      if (s && s.config.enabled) {
        s.initialSent = 0;
        this.schedule(s);
      }
    }
  }

  /** Sends the final RAs (Router Lifetime 0, §6.2.5) and stops every timer. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const s of this.ifs) {
      if (!s) continue;
      const wasAdvertising = s.config.enabled;
      this.stopIface(s);
      if (wasAdvertising && this.sendRa(s.ifIndex, s.config, { routerLifetime: 0 })) {
        s.sent.final++;
        this.counters.count(C['sent-final']);
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // RaService
  // -------------------------------------------------------------------------------------

  send(iface: string | number, opts: RaSendOptions = {}): boolean {
    const ifIndex = this.ifIndexOf(iface);
    if (ifIndex < 0) return false;
    const ok = this.sendRa(ifIndex, this.ifs[ifIndex]?.config ?? DEFAULT_RA, opts);
    if (ok) {
      const s = this.ifs[ifIndex];
      if (s) s.sent.api++;
      this.counters.count(C['sent-api']);
    }
    return ok;
  }

  build(iface: string | number, opts: RaSendOptions = {}): RouterAdvertRepr {
    const ifIndex = this.ifIndexOf(iface);
    if (ifIndex < 0) throw new Error(`no Ethernet interface ${String(iface)}`);
    return this.repr(ifIndex, this.ifs[ifIndex]?.config ?? DEFAULT_RA, opts);
  }

  setSolicitationHandler(iface: string | number, handler: SolicitationHandler | null): void {
    const ifIndex = this.ifIndexOf(iface);
    if (ifIndex < 0) throw new Error(`no Ethernet interface ${String(iface)}`);
    let s = this.ifs[ifIndex];
    if (!s) {
      s = new RaIface(ifIndex, this.router.interfaces[ifIndex]!.name, DEFAULT_RA, this);
      this.ifs[ifIndex] = s;
    }
    s.handler = handler;
  }

  status(): RaStatus[] {
    const now = this.now();
    const out: RaStatus[] = [];
    for (const s of this.ifs) {
      if (!s) continue;
      const c = s.config;
      out.push({
        interface: s.name,
        enabled: c.enabled,
        nextIn: s.timer !== null ? Math.max(0, (s.nextAt - now) / 1000) : null,
        sent: { ...s.sent },
        rsReceived: s.rsReceived,
        minInterval: c.minInterval,
        maxInterval: c.maxInterval,
        routerLifetime: c.routerLifetime,
        preference: c.preference,
        prefixes: c.prefixes.map(
          (p) =>
            `${formatIpv6Prefix(p.prefix.prefix, p.prefix.prefixLen)}` +
            `${p.onLink ? ' L' : ''}${p.autonomous ? ' A' : ''} ${lifetimeText(p.validLifetime)}/${lifetimeText(p.preferredLifetime)}`,
        ),
        routes: c.routes.map(
          (r) =>
            `${formatIpv6Prefix(r.prefix.prefix, r.prefix.prefixLen)} ${r.preference} ${lifetimeText(r.lifetime)}`,
        ),
        rdnss: c.rdnss.map(
          (d) =>
            `${d.servers.map((a) => formatIpv6Address(a)).join(',')} ${lifetimeText(d.lifetime)}`,
        ),
      });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------
  // Input (from the RS and RA nodes, inside a dispatch)
  // -------------------------------------------------------------------------------------

  /**
   * A valid Router Solicitation (RFC 4861 §6.2.6). Returns 0 when an answer is scheduled or
   * a handler claimed it, 1 when the interface does not advertise.
   */
  onSolicit(ifIndex: number, sb: Uint8Array, soff: number, mb: Uint8Array, moff: number): number {
    const s = this.ifs[ifIndex];
    if (s === undefined) return 1;
    s.rsReceived++;
    if (s.handler !== null && s.handler(ifIndex, sb, soff, mb, moff)) return 0;
    if (!s.config.enabled || !this.running) return 1;
    if (isIpv6Unspecified(sb, soff)) {
      s.pendingMulticast = true;
    } else if (!s.pendingMulticast) {
      let known = false;
      for (let i = 0; i < s.pendingCount && !known; i++)
        known = ipv6Equals(s.pending, i * 16, sb, soff);
      if (!known) {
        if (s.pendingCount === MAX_PENDING_SOLICITERS) {
          s.pendingMulticast = true; // too many at once: one multicast answer serves them all
        } else {
          for (let k = 0; k < 16; k++) s.pending[s.pendingCount * 16 + k] = sb[soff + k]!;
          s.pendingCount++;
        }
      }
    }
    if (s.solicitTimer !== null) return 0; // the round already scheduled answers this one too
    const now = this.now();
    const delay = this.random() * MAX_RA_DELAY_TIME;
    let at = now + delay;
    const last = Math.max(s.lastMulticastAt, s.lastSolicitedAt);
    if (now - last < MIN_DELAY_BETWEEN_RAS) at = last + MIN_DELAY_BETWEEN_RAS + delay;
    // §6.2.6: a multicast answer is not needed if the next unsolicited RA comes sooner
    if (s.pendingMulticast && s.pendingCount === 0 && s.timer !== null && s.nextAt <= at) {
      s.pendingMulticast = false;
      return 0;
    }
    s.solicitTimer = this.timers.setTimeout(s.fireSolicited, Math.max(0, at - now));
    return 0;
  }

  /**
   * An RA from another router (RFC 4861 §6.2.7): logs (at most once a minute per interface)
   * and counts when it disagrees with what we advertise. Returns true when consistent.
   */
  checkConsistency(ifIndex: number, b: Uint8Array, dv: DataView, l4: number, end: number): boolean {
    const s = this.ifs[ifIndex];
    if (s === undefined || !s.config.enabled) return true;
    const c = s.config;
    let bad = '';
    const hl = b[l4 + 4]!;
    if (hl !== 0 && c.curHopLimit !== 0 && hl !== c.curHopLimit) bad = 'cur hop limit';
    const flags = b[l4 + 5]!;
    if (((flags & 0x80) !== 0) !== c.managed) bad = 'M flag';
    if (((flags & 0x40) !== 0) !== c.other) bad = 'O flag';
    const reach = dv.getUint32(l4 + 8);
    if (reach !== 0 && c.reachableTime !== 0 && reach !== c.reachableTime) bad = 'reachable time';
    const retrans = dv.getUint32(l4 + 12);
    if (retrans !== 0 && c.retransTimer !== 0 && retrans !== c.retransTimer) bad = 'retrans timer';
    const cur = this.optCursor.reset(b, l4 + ND_RA_LEN, end);
    while (cur.next()) {
      if (cur.type === NdOptionType.Mtu && cur.len === 8 && c.mtu !== false) {
        const ours = c.mtu === true ? this.router.interfaces[ifIndex]!.mtu : c.mtu;
        if (dv.getUint32(cur.off + 4) !== ours) bad = 'MTU';
      } else if (cur.type === NdOptionType.PrefixInformation && cur.len === 32) {
        for (const p of c.prefixes) {
          if (
            b[cur.off + 2] !== p.prefix.prefixLen ||
            !ipv6Equals(b, cur.off + 16, p.prefix.prefix, 0)
          )
            continue;
          // fixed lifetimes only: ours do not decrement in real time
          if (dv.getUint32(cur.off + 4) !== p.validLifetime) bad = 'prefix valid lifetime';
          if (dv.getUint32(cur.off + 8) !== p.preferredLifetime) bad = 'prefix preferred lifetime';
        }
      }
    }
    if (bad === '') return true;
    this.counters.count(C.inconsistent);
    const now = this.now();
    if (now - s.lastInconsistencyLog >= 60_000) {
      s.lastInconsistencyLog = now;
      this.log.warn(
        { interface: s.name, field: bad },
        'another router advertises inconsistent information (RFC 4861 §6.2.7)',
      );
    }
    return false;
  }

  // -------------------------------------------------------------------------------------
  // Timers
  // -------------------------------------------------------------------------------------

  /** @internal */
  fireUnsolicited(s: RaIface): void {
    s.timer = null;
    if (!this.running || !s.config.enabled) return;
    if (this.sendRa(s.ifIndex, s.config, {})) {
      s.sent.unsolicited++;
      this.counters.count(C['sent-unsolicited']);
    }
    s.lastMulticastAt = this.now();
    if (s.initialSent < MAX_INITIAL_RTR_ADVERTISEMENTS) s.initialSent++;
    this.schedule(s);
  }

  /** @internal */
  fireSolicited(s: RaIface): void {
    s.solicitTimer = null;
    if (!this.running || !s.config.enabled) return;
    const now = this.now();
    this.out.beginBatch();
    try {
      if (s.pendingMulticast) {
        if (this.sendRa(s.ifIndex, s.config, {})) {
          s.sent.solicited++;
          this.counters.count(C['sent-solicited']);
        }
        s.lastMulticastAt = now;
        // §6.2.6: the interval timer restarts as if an unsolicited RA had just been sent
        if (s.timer !== null) this.timers.clear(s.timer);
        s.timer = null;
        this.schedule(s);
      }
      const dst = new Uint8Array(16);
      for (let i = 0; i < s.pendingCount; i++) {
        dst.set(s.pending.subarray(i * 16, i * 16 + 16));
        if (this.sendRa(s.ifIndex, s.config, { destination: dst })) {
          s.sent.unicast++;
          this.counters.count(C['sent-unicast']);
        }
      }
    } finally {
      this.out.endBatch();
    }
    s.pendingMulticast = false;
    s.pendingCount = 0;
    s.lastSolicitedAt = now;
  }

  /** Arms the next unsolicited RA: uniform in [Min, Max]RtrAdvInterval, capped at first (§6.2.4). */
  private schedule(s: RaIface): void {
    if (s.timer !== null) return;
    const c = s.config;
    let ms = (c.minInterval + (c.maxInterval - c.minInterval) * this.random()) * 1000;
    if (s.initialSent < MAX_INITIAL_RTR_ADVERTISEMENTS && ms > MAX_INITIAL_RTR_ADVERT_INTERVAL) {
      ms = MAX_INITIAL_RTR_ADVERT_INTERVAL;
    }
    s.nextAt = this.now() + ms;
    s.timer = this.timers.setTimeout(s.fire, ms);
  }

  private stopIface(s: RaIface): void {
    if (s.timer !== null) this.timers.clear(s.timer);
    if (s.solicitTimer !== null) this.timers.clear(s.solicitTimer);
    s.timer = null;
    s.solicitTimer = null;
    s.pendingCount = 0;
    s.pendingMulticast = false;
  }

  // -------------------------------------------------------------------------------------
  // Building and sending
  // -------------------------------------------------------------------------------------

  private ifIndexOf(iface: string | number): number {
    const i =
      typeof iface === 'number' ? this.router.interfaces[iface] : this.router.interface(iface);
    return i !== undefined && i.kind === 'ethernet' ? i.index : -1;
  }

  /** The RA of RFC 4861 §6.2.3 for `ifIndex`: config, then overrides. */
  private repr(ifIndex: number, c: RaConfig, o: RaSendOptions): RouterAdvertRepr {
    const iface = this.router.interfaces[ifIndex]!;
    const options: NdOption[] = [];
    const mac = o.sourceMac ?? iface.mac;
    if (mac !== null) options.push({ kind: 'source-lla', addr: Uint8Array.from(mac) });
    const mtu = o.mtu !== undefined ? o.mtu : c.mtu === true ? iface.mtu : c.mtu;
    if (mtu !== false) options.push({ kind: 'mtu', mtu });
    const prefixes: readonly RaPrefix[] =
      o.prefixes ??
      c.prefixes.map((p) => ({
        prefix: p.prefix.prefix,
        prefixLen: p.prefix.prefixLen,
        onLink: p.onLink,
        autonomous: p.autonomous,
        validLifetime: p.validLifetime,
        preferredLifetime: p.preferredLifetime,
      }));
    for (const p of prefixes) {
      options.push({
        kind: 'prefix-info',
        prefixLength: p.prefixLen,
        onLink: p.onLink ?? true,
        autonomous: p.autonomous ?? true,
        routerAddress: false,
        validLifetime: p.validLifetime,
        preferredLifetime: p.preferredLifetime,
        prefix: maskedPrefix(p.prefix, p.prefixLen),
      });
    }
    const routes: readonly RaRoute[] =
      o.routes ??
      c.routes.map((r) => ({
        prefix: r.prefix.prefix,
        prefixLen: r.prefix.prefixLen,
        preference: r.preference,
        lifetime: r.lifetime,
      }));
    for (const r of routes) {
      options.push({
        kind: 'route-info',
        prefixLength: r.prefixLen,
        prf: PRF[r.preference],
        routeLifetime: r.lifetime,
        prefix: maskedPrefix(r.prefix, r.prefixLen),
      });
    }
    const rdnss: readonly RaDnsServers[] = o.rdnss ?? c.rdnss;
    for (const d of rdnss) {
      if (d.servers.length > 0)
        options.push({ kind: 'rdnss', lifetime: d.lifetime, servers: [...d.servers] });
    }
    const routerLifetime = o.routerLifetime ?? c.routerLifetime;
    return {
      curHopLimit: o.curHopLimit ?? c.curHopLimit,
      managed: o.managed ?? c.managed,
      other: o.other ?? c.other,
      homeAgent: false,
      // RFC 4191 §2.2: Prf is Medium (00) when the Router Lifetime is 0 (the codec enforces it)
      prf: routerLifetime === 0 ? RouterPreference.Medium : PRF[o.preference ?? c.preference],
      proxy: false,
      routerLifetime,
      reachableTime: o.reachableTime ?? c.reachableTime,
      retransTimer: o.retransTimer ?? c.retransTimer,
      options,
    };
  }

  /** Builds and sends one RA; counts and returns false when it cannot. */
  private sendRa(ifIndex: number, c: RaConfig, o: RaSendOptions): boolean {
    const iface = this.router.interfaces[ifIndex]!;
    let src = o.source ?? null;
    if (src === null) {
      const ll = iface.linkLocal;
      const rec = ll === null ? null : this.book.find(ifIndex, ll, 0);
      if (ll === null || (rec !== null && rec.state === AddrState.Duplicate)) {
        this.counters.count(C['no-link-local']);
        return false;
      }
      src = ll;
    }
    const ra = this.repr(ifIndex, c, o);
    const icmpLen = RouterAdvert.bufferLen(ra);
    if (40 + icmpLen > iface.mtu) {
      this.counters.count(C['too-big']);
      return false;
    }
    const pool = this.router.pool;
    const pb = pool.alloc();
    if (pb === null) {
      this.counters.count(C['no-buffer']);
      return false;
    }
    const l3 = pb.start;
    const l4 = l3 + 40;
    pb.end = l4 + icmpLen;
    const dst = o.destination ?? ALL_NODES;
    Ipv6.emit(
      {
        trafficClass: 0,
        flowLabel: 0,
        payloadLength: icmpLen,
        nextHeader: IpProto.Icmpv6,
        hopLimit: ND_HOP_LIMIT,
        src,
        dst,
      },
      new Ipv6View(pool.bytes, pool.dv, l3, pb.end),
    );
    const v = new RouterAdvertView(pool.bytes, pool.dv, l4, pb.end);
    RouterAdvert.emit(ra, v);
    v.fillChecksum(l3 + 8, l3 + 24);
    if (o.destinationMac !== undefined) {
      // straight to the given MAC: no neighbour lookup (per-node RAs on logical interfaces)
      const s = pb.prepend(14);
      const b = pb.bytes;
      b.set(o.destinationMac.subarray(0, 6), s);
      b.set((o.sourceMac ?? iface.mac!).subarray(0, 6), s + 6);
      b[s + 12] = 0x86;
      b[s + 13] = 0xdd;
      pb.l3 = l3;
      pb.txIf = ifIndex;
      this.router.scheduler.sendNow(pb);
      return true;
    }
    this.out.sendIp6(pb, ifIndex);
    return true;
  }
}

/** The prefix with the bits past `len` cleared (a PIO/RIO carries no host bits). */
function maskedPrefix(p: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = len - i * 8;
    out[i] = bits >= 8 ? p[i]! : bits <= 0 ? 0 : p[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function lifetimeText(s: number): string {
  return s === 0xffffffff ? 'infinite' : `${s}s`;
}
