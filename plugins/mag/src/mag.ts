/**
 * The Mobile Access Gateway (RFC 5213 §6): it notices a mobile node on an access link
 * (§6.9.1.1), registers it with the node's LMA by a Proxy Binding Update (§6.9.1.5)
 * retransmitted with back-off (§6.9.4 → RFC 6275 §11.8), and when the PBA accepts it
 * sets up the node's forwarding (§6.10) and tells the node its home network prefix in a
 * Router Advertisement of its own (§6.7). It refreshes the binding before it runs out
 * (§6.9.1.4) and de-registers it when the node leaves (§6.9.1.3).
 *
 * ```
 *   MN ──frame / RS / `dmmctl attach`──▶ MAG ──PBU (A|P, HNP ::/0, HI, ATT, MN-ID, MN-LLI,
 *                                             Timestamp, LLA)──▶ LMA
 *                                       ◀──PBA (status, lifetime, HNP)──
 *   accepted: tunnel MAG⇄LMA (TUNNELS, shared per LMA)
 *             rule  from HNP/64 lookup <table of that LMA>;  table: ::/0 → tunnel   (uplink)
 *             route HNP/64 on-link out of the access interface (main)           (downlink)
 *             RA    unicast to the node's MAC: PIO HNP/64 L A, lifetimes = the binding's
 * ```
 *
 * Handoff Indicator (§6.9.1.1.1 leaves the MAG to decide what it can tell): 3 (handoff
 * between MAGs) when the frame that revealed the node came from a global address — the
 * node already holds an address from a prefix assigned elsewhere, so it is moving, not
 * arriving — or when `dmmctl attach --handoff` says so; 1 (attachment over a new
 * interface) otherwise; 5 for refreshes. Either way the first PBU carries HNP ::/0: the
 * LMA knows the node's prefix from its MN-ID and link-layer identifier.
 *
 * Detachment without a link-layer event (§6.9.1.3 allows any means): a registered node
 * that sent no frame for `presence.interval` seconds is sent an Echo Request to ff02::1 at
 * its own MAC (no address needed; hosts answer, RFC 4443 §4.1); after `presence.probes`
 * silent intervals it is de-registered. Without it a MAG whose node moved on would keep
 * refreshing a binding the LMA has handed to another MAG, and pull it back.
 * On detach the MAG sends no Router Advertisement with lifetimes 0: the node has gone, so
 * the RA would reach nobody (the node's next MAG advertises the same prefix anyway).
 */
import {
  ConfigError,
  DmmError,
  PacketFlag,
  RouteKind,
  formatIpv6Address,
  formatIpv6Prefix,
  formatMacAddress,
  parseMacAddress,
  type Interface,
  type Ipv6Prefix,
  type Logger,
  type Router,
  type TimerHandle,
} from '@dmm/core';
import {
  BindingUpdateList,
  bulSnapshot,
  mnIdNai,
  type BindingUpdateListEntry,
  type BulSnapshot,
  type Clock,
  type MnIdentifier,
} from '@dmm/binding-cache';
import {
  PbuTransactions,
  timestampOption,
  type PbaMessage,
  type TimerService,
  type TransactionResult,
} from '@dmm/pmip';
import {
  HandoffIndicator,
  Icmpv6,
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  PbuFlag,
  findHnps,
  findOption,
  lifetimeFromSeconds,
  lifetimeToSeconds,
  pbaStatusAccepted,
  pbaStatusName,
  type MobilityOption,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';
import type { RaService } from '@dmm/ndra';
import type { TunnelTable } from '@dmm/tunnel';
import { AttachDataPath, MnStatus } from './attach-node.js';
import type { MagConfig } from './config.js';
import { MacTable } from './mac-table.js';

const ORIGIN = 'mag';
const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
/** Echo identifier of presence probes ('PM'). */
const PROBE_ID = 0x504d;

/** Why an attach began. */
export type AttachCause = 'rs' | 'frame' | 'l2';
/** Why a node was detached. */
export type DetachCause = 'admin' | 'absent' | 'lifetime' | 'rejected' | 'gave-up' | 'stop';

/** A node the MAG knows: a profile, or one seen with `mobileNodes.default: allow`. */
export interface MobileNode {
  readonly id: number;
  readonly nai: string;
  readonly mnId: MnIdentifier;
  readonly mac: Uint8Array;
  readonly allowed: boolean;
  readonly lma: Uint8Array;
  readonly dynamic: boolean;
  bul: BindingUpdateListEntry | null;
  /** Access interface of the current attachment (-1: none). */
  ifIndex: number;
  /** Prefixes whose routes and rules are installed. */
  prefixes: Ipv6Prefix[];
  /** Tunnel reference held for this node (-1: none). */
  tunnelId: number;
  /** Presence intervals without a frame. */
  missed: number;
  retryTimer: TimerHandle | null;
  waiters: ((r: AttachResult) => void)[];
  lastStatus: number | null;
}

/** What `dmmctl attach` reports. */
export interface AttachResult {
  mn: string;
  state: string;
  status: number | null;
  statusName: string | null;
  prefixes: string[];
}

export interface MagCounters {
  attachTriggers: Record<AttachCause, number>;
  attachStarted: number;
  registered: number;
  refreshed: number;
  rejected: Map<number, number>;
  gaveUp: number;
  deregSent: number;
  detached: Record<DetachCause, number>;
  raSent: number;
  raFailed: number;
  probesSent: number;
  probeReplies: number;
  pbaInvalid: number;
  linkLocalMismatch: number;
  unknownIgnored: number;
}

export interface MagOptions {
  router: Router;
  tunnels: TunnelTable;
  ra: RaService;
  config: MagConfig;
  log: Logger;
  /** Sends a PBU; false when it could not. */
  sendPbu(src: Uint8Array, dst: Uint8Array, pbu: PbuRepr): boolean;
  /** Timers of the plugin (cleared when it stops). */
  timers: {
    setTimeout(fn: () => void, ms: number): TimerHandle;
    setInterval(fn: () => void, ms: number): TimerHandle;
    clear(h: TimerHandle): void;
  };
  /** Milliseconds since 1970 for PBU timestamps (RFC 5213 §5.5). */
  wallClock?: () => number;
  /** The BUL's monotonic clock. */
  clock?: Clock;
  /** Sequence number before the first PBU's (default random, RFC 6275 §11.7.1 allows any). */
  firstSequence?: number;
}

interface LmaTable {
  table: number;
  tunnelId: number;
  users: number;
}

export class MobileAccessGateway {
  readonly bul: BindingUpdateList;
  readonly data: AttachDataPath;
  readonly transactions: PbuTransactions;
  readonly config: MagConfig;
  readonly counters: MagCounters = {
    attachTriggers: { rs: 0, frame: 0, l2: 0 },
    attachStarted: 0,
    registered: 0,
    refreshed: 0,
    rejected: new Map(),
    gaveUp: 0,
    deregSent: 0,
    detached: { admin: 0, absent: 0, lifetime: 0, rejected: 0, 'gave-up': 0, stop: 0 },
    raSent: 0,
    raFailed: 0,
    probesSent: 0,
    probeReplies: 0,
    pbaInvalid: 0,
    linkLocalMismatch: 0,
    unknownIgnored: 0,
  };
  private readonly router: Router;
  private readonly tunnels: TunnelTable;
  private readonly ra: RaService;
  private readonly log: Logger;
  private readonly timers: MagOptions['timers'];
  private readonly address: Uint8Array;
  private readonly nodes: (MobileNode | null)[] = [];
  private readonly byNai = new Map<string, MobileNode>();
  private readonly freeIds: number[] = [];
  private readonly lmaTables = new Map<string, LmaTable>();
  private readonly accessIfs: Interface[];
  private flushScheduled = false;
  private presenceTimer: TimerHandle | null = null;
  private probeSeq = 0;
  private running = false;

  constructor(opts: MagOptions) {
    const c = opts.config;
    this.config = c;
    this.router = opts.router;
    this.tunnels = opts.tunnels;
    this.ra = opts.ra;
    this.log = opts.log;
    this.timers = opts.timers;
    this.address = Uint8Array.from(c.address);
    if (!isRouterAddress(this.router, this.address)) {
      throw new ConfigError(
        `address ${formatIpv6Address(c.address)} is not an address of this router`,
        { path: ['address'] },
      );
    }
    this.accessIfs = c.accessInterfaces.map((name, i) => {
      const iface = this.router.interface(name);
      if (iface === undefined) {
        throw new ConfigError(`no interface named ${name}`, { path: ['accessInterfaces', i] });
      }
      if (iface.kind !== 'ethernet') {
        throw new ConfigError(`access interface ${name} is not Ethernet (TAP)`, {
          path: ['accessInterfaces', i],
        });
      }
      this.checkFixedAddresses(iface, i);
      return iface;
    });
    const macs = new MacTable(c.mobileNodes.max);
    this.data = new AttachDataPath(macs, c.mobileNodes.max, () => this.scheduleFlush());
    this.data.firstFrame = c.attach.firstFrame;
    this.data.queueUnknown = c.mobileNodes.default === 'allow';
    for (const i of this.accessIfs) this.data.access[i.index] = 1;
    for (const p of c.mobileNodes.profiles) {
      this.addNode(p.id, p.mac, p.allowed, p.lma ?? c.lma, false);
    }
    this.bul = new BindingUpdateList({
      ...(opts.clock ? { clock: opts.clock } : {}),
      variables: c.pmip,
    });
    this.bul.events.on('bul:refresh-due', (e) => this.onRefreshDue(e));
    this.bul.events.on('bul:expired', (e) => this.onExpired(e));
    this.bul.events.on('bul:removed', (e) => {
      const mn = this.nodeOfBul(e);
      if (mn) mn.bul = null;
    });
    const wall = opts.wallClock ?? Date.now;
    const timerService: TimerService = {
      now: wall,
      setTimeout: (fn, ms) => this.timers.setTimeout(fn, ms),
      clearTimeout: (h) => this.timers.clear(h as TimerHandle),
    };
    this.transactions = new PbuTransactions(
      opts.sendPbu,
      timerService,
      c.retransmission,
      ...(opts.firstSequence === undefined ? [] : [opts.firstSequence]),
    );
  }

  /**
   * RFC 5213 §9 FixedMAGLinkLocalAddressOnAllAccessLinks / …LinkLayerAddress…: every MAG
   * uses the same addresses on its access links, so a node that moves keeps its default
   * router. The addresses themselves come from dmmd's `interfaces[].mac` / `.linkLocal`.
   */
  private checkFixedAddresses(iface: Interface, i: number): void {
    const v = this.config.pmip;
    const problems: string[] = [];
    const ll = v.FixedMAGLinkLocalAddressOnAllAccessLinks;
    if (ll !== null && (iface.linkLocal === null || !sameBytes(iface.linkLocal, ll))) {
      problems.push(
        `link-local address ${iface.linkLocal ? formatIpv6Address(iface.linkLocal) : '(none)'} is not FixedMAGLinkLocalAddressOnAllAccessLinks ${formatIpv6Address(ll)} (set interfaces[].linkLocal)`,
      );
    }
    const mac = v.FixedMAGLinkLayerAddressOnAllAccessLinks;
    if (mac !== null && (iface.mac === null || !sameBytes(iface.mac, mac))) {
      problems.push(
        `MAC ${iface.mac ? formatMacAddress(iface.mac) : '(none)'} is not FixedMAGLinkLayerAddressOnAllAccessLinks ${formatMacAddress(mac)} (set interfaces[].mac)`,
      );
    }
    for (const p of problems) {
      if (this.config.fixedAddressMismatch === 'refuse') {
        throw new ConfigError(`access interface ${iface.name}: ${p}`, {
          path: ['accessInterfaces', i],
        });
      }
      this.log.warn({ interface: iface.name }, `access interface: ${p}`);
    }
  }

  // ── nodes ───────────────────────────────────────────────────────────────────────────

  private addNode(
    nai: string,
    mac: Uint8Array,
    allowed: boolean,
    lma: Uint8Array,
    dynamic: boolean,
  ): MobileNode | null {
    const id = this.freeIds.pop() ?? this.nodes.length;
    if (id >= this.config.mobileNodes.max) return null;
    const mn: MobileNode = {
      id,
      nai,
      mnId: mnIdNai(nai),
      mac: Uint8Array.from(mac),
      allowed,
      lma: Uint8Array.from(lma),
      dynamic,
      bul: null,
      ifIndex: -1,
      prefixes: [],
      tunnelId: -1,
      missed: 0,
      retryTimer: null,
      waiters: [],
      lastStatus: null,
    };
    this.nodes[id] = mn;
    this.byNai.set(nai, mn);
    this.data.macs.set(mn.mac, id);
    this.data.status[id] = allowed ? MnStatus.Idle : MnStatus.Refused;
    this.data.triggered[id] = 0;
    this.data.seen[id] = 0;
    return mn;
  }

  /** The node with this NAI, or undefined. */
  node(nai: string): MobileNode | undefined {
    return this.byNai.get(nai);
  }

  /** The node with this MAC, or undefined. */
  nodeByMac(mac: Uint8Array, off = 0): MobileNode | undefined {
    const id = this.data.macs.lookup(mac, off);
    return id >= 0 ? (this.nodes[id] ?? undefined) : undefined;
  }

  private nodeOfBul(e: BindingUpdateListEntry): MobileNode | undefined {
    const mn = this.byNai.get(e.mnKey);
    return mn && mn.bul === e ? mn : undefined;
  }

  // ── start / stop ────────────────────────────────────────────────────────────────────

  start(): void {
    this.running = true;
    for (const iface of this.accessIfs) {
      this.ra.setSolicitationHandler(iface.index, (ifIndex, _sb, _so, mb, mo) =>
        this.onSolicit(ifIndex, mb, mo),
      );
    }
    const every = this.config.presence.interval;
    if (every > 0) {
      this.presenceTimer = this.timers.setInterval(() => this.presenceCheck(), every * 1000);
      this.presenceTimer.unref?.();
    }
  }

  /** De-registers every node (best effort) and removes all forwarding state. */
  stop(): void {
    this.running = false;
    if (this.presenceTimer !== null) this.timers.clear(this.presenceTimer);
    this.presenceTimer = null;
    for (const iface of this.accessIfs) this.ra.setSolicitationHandler(iface.index, null);
    for (const mn of this.nodes) {
      if (mn === null) continue;
      if (mn.retryTimer !== null) this.timers.clear(mn.retryTimer);
      mn.retryTimer = null;
      const st = this.data.status[mn.id];
      if (st === MnStatus.Registered || st === MnStatus.Attaching) this.detach(mn, 'stop');
    }
    this.transactions.cancelAll();
    this.bul.clear('admin');
  }

  // ── attachment ──────────────────────────────────────────────────────────────────────

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Handles what the data path queued: known nodes to attach, unknown MACs. */
  flush(): void {
    const { ids, unknown } = this.data.drain();
    for (const id of ids) {
      const mn = this.nodes[id];
      if (!mn) continue;
      const ifIndex = this.data.triggerIf[id]!;
      const handoff = this.data.triggerHandoff[id] === 1;
      this.counters.attachTriggers.frame++;
      this.attach(
        mn,
        ifIndex,
        handoff ? HandoffIndicator.MagChangeSameInterface : HandoffIndicator.NewInterface,
      );
    }
    for (const u of unknown) {
      const mn = this.learn(u.mac);
      if (mn === null) continue;
      this.counters.attachTriggers.frame++;
      this.attach(mn, u.ifIndex, HandoffIndicator.NewInterface);
    }
  }

  /** A node with no profile under `mobileNodes.default: allow`: `<mac hex>@<realm>`. */
  private learn(mac: Uint8Array): MobileNode | null {
    const known = this.nodeByMac(mac);
    if (known) return known;
    if (this.config.mobileNodes.default !== 'allow') {
      this.counters.unknownIgnored++;
      return null;
    }
    const nai = `${formatMacAddress(mac).replaceAll(':', '')}@${this.config.mobileNodes.realm}`;
    const mn = this.addNode(nai, mac, true, this.config.lma, true);
    if (mn === null) {
      this.counters.unknownIgnored++;
      this.log.warn({ mac: formatMacAddress(mac) }, 'mobileNodes.max reached: node ignored');
    }
    return mn;
  }

  /** A Router Solicitation on an access link: claimed (only nodes get RAs, per node). */
  private onSolicit(ifIndex: number, mb: Uint8Array, mo: number): boolean {
    if (mo < 0) return true;
    const mac = mb.slice(mo, mo + 6);
    setImmediate(() => {
      let mn = this.nodeByMac(mac);
      if (!mn) {
        if (!this.config.attach.routerSolicitation) return;
        mn = this.learn(mac) ?? undefined;
        if (!mn) return;
      }
      const st = this.data.status[mn.id];
      if (st === MnStatus.Registered && mn.ifIndex === ifIndex) {
        this.sendRa(mn);
      } else if (st === MnStatus.Idle && this.config.attach.routerSolicitation) {
        this.counters.attachTriggers.rs++;
        this.attach(mn, ifIndex, HandoffIndicator.NewInterface);
      }
    });
    return true;
  }

  /** `dmmctl attach`: a link-layer attach event for node `nai` with `mac`. */
  attachCommand(
    nai: string,
    mac: Uint8Array,
    ifName: string | undefined,
    handoff: boolean,
  ): Promise<AttachResult> {
    let mn = this.byNai.get(nai);
    if (mn === undefined) {
      if (this.config.mobileNodes.default !== 'allow') {
        throw new DmmError('DMM_ERR_MAG_UNKNOWN_MN', `no profile for ${nai}`, { mn: nai });
      }
      if (this.nodeByMac(mac)) {
        throw new DmmError(
          'DMM_ERR_MAG_REFUSED',
          `${formatMacAddress(mac)} belongs to another node`,
          {
            mn: nai,
          },
        );
      }
      mn = this.addNode(nai, mac, true, this.config.lma, true) ?? undefined;
      if (mn === undefined) throw new DmmError('DMM_ERR_MAG_REFUSED', 'mobileNodes.max reached');
    } else if (!sameBytes(mn.mac, mac)) {
      throw new DmmError(
        'DMM_ERR_MAG_REFUSED',
        `${nai} has MAC ${formatMacAddress(mn.mac)} in its profile, not ${formatMacAddress(mac)}`,
        { mn: nai },
      );
    }
    if (!mn.allowed) {
      throw new DmmError('DMM_ERR_MAG_REFUSED', `${nai} is not allowed here`, { mn: nai });
    }
    let iface: Interface | undefined;
    if (ifName !== undefined) {
      iface = this.accessIfs.find((i) => i.name === ifName);
      if (!iface) {
        throw new ConfigError(`${ifName} is not an access interface`, { interface: ifName });
      }
    } else if (this.accessIfs.length === 1) {
      iface = this.accessIfs[0];
    } else {
      throw new ConfigError('several access interfaces: give --interface');
    }
    const node = mn;
    if (this.data.status[node.id] === MnStatus.Refused) this.data.status[node.id] = MnStatus.Idle;
    return new Promise((resolve) => {
      const st = this.data.status[node.id];
      if (st === MnStatus.Registered && node.ifIndex === iface!.index) {
        resolve(this.result(node));
        return;
      }
      node.waiters.push(resolve);
      this.counters.attachTriggers.l2++;
      this.attach(
        node,
        iface!.index,
        handoff ? HandoffIndicator.MagChangeSameInterface : HandoffIndicator.NewInterface,
      );
    });
  }

  /** `dmmctl detach`. */
  detachCommand(nai: string): AttachResult {
    const mn = this.byNai.get(nai);
    if (mn === undefined)
      throw new DmmError('DMM_ERR_MAG_UNKNOWN_MN', `no node ${nai}`, { mn: nai });
    this.detach(mn, 'admin');
    return this.result(mn);
  }

  /** Starts the registration of `mn` on access interface `ifIndex` (RFC 5213 §6.9.1.1). */
  attach(mn: MobileNode, ifIndex: number, hi: number): void {
    if (!this.running) return;
    const d = this.data;
    const st = d.status[mn.id];
    if (st === MnStatus.Attaching) return;
    if (st === MnStatus.Refused) {
      this.settle(mn);
      return;
    }
    if (st === MnStatus.Registered) {
      if (mn.ifIndex === ifIndex) {
        this.settle(mn);
        return;
      }
      // moved between two access interfaces of this MAG: start over on the new one
      this.uninstall(mn);
    }
    if (mn.bul) this.bul.remove(mn.bul, 'replaced');
    d.status[mn.id] = MnStatus.Attaching;
    d.triggered[mn.id] = 1;
    mn.ifIndex = ifIndex;
    const iface = this.router.interfaces[ifIndex]!;
    mn.bul = this.bul.create({
      mnId: mn.mnId,
      mnLinkLayerId: mn.mac,
      lmaAddress: mn.lma,
      accessIfIndex: ifIndex,
      requestedLifetimeMs: lifetimeFromSeconds(this.config.lifetime) * 4000,
      accessTechnology: this.config.accessTechnology,
      handoffIndicator: hi,
      magLinkLocal: iface.linkLocal,
    });
    this.counters.attachStarted++;
    this.log.info(
      {
        mn: mn.nai,
        mac: formatMacAddress(mn.mac),
        interface: iface.name,
        hi,
        lma: formatIpv6Address(mn.lma),
      },
      'node attached: registering',
    );
    this.sendPbu(mn, 'register', hi);
  }

  // ── PBU / PBA ───────────────────────────────────────────────────────────────────────

  private sendPbu(mn: MobileNode, kind: 'register' | 'refresh' | 'dereg', hi: number): void {
    const bul = mn.bul;
    if (bul === null) return;
    const units = kind === 'dereg' ? 0 : lifetimeFromSeconds(this.config.lifetime);
    const prefixes = kind === 'register' ? [] : bul.prefixes.map((p) => ({ ...p }));
    let attempt = 0;
    if (kind === 'dereg') this.counters.deregSent++;
    this.transactions.start({
      key: mn.nai,
      src: this.address,
      dst: mn.lma,
      firstRegistration: kind === 'register',
      build: (sequence, nowMs) => {
        attempt++;
        if (this.bul.get(bul.id) === bul) {
          this.bul.pbuSent(bul, {
            sequence,
            lifetimeMs: units * 4000,
            retransmission: attempt > 1,
          });
        }
        return this.buildPbu(mn, bul, sequence, nowMs, units, hi, prefixes);
      },
      done: (r) => this.onPbuDone(mn, bul, kind, r),
    });
  }

  /**
   * The PBU of RFC 5213 §6.9.1.5 (protocol.md §2.7): A and P set, HNP(s) (::/0 to ask for
   * one), HI, ATT, Timestamp, MN-ID, MN-LLI (the node's MAC), and our link-local address
   * on the access link — in the order of protocol.md §5.2's vector.
   */
  private buildPbu(
    mn: MobileNode,
    bul: BindingUpdateListEntry,
    sequence: number,
    nowMs: number,
    units: number,
    hi: number,
    prefixes: readonly Ipv6Prefix[],
  ): PbuRepr {
    const options: MobilityOption[] = [];
    if (prefixes.length === 0) {
      options.push({ kind: 'hnp', prefixLength: 0, prefix: new Uint8Array(16) });
    } else {
      for (const p of prefixes) {
        options.push({ kind: 'hnp', prefixLength: p.prefixLen, prefix: Uint8Array.from(p.prefix) });
      }
    }
    options.push({ kind: 'handoff-indicator', value: hi });
    options.push({ kind: 'access-technology-type', value: this.config.accessTechnology });
    options.push(timestampOption(nowMs));
    options.push({ kind: 'mn-id', nai: mn.nai });
    options.push({ kind: 'mn-link-layer-id', identifier: Uint8Array.from(mn.mac) });
    const ll = this.router.interfaces[bul.accessIfIndex]?.linkLocal;
    options.push({
      kind: 'link-local-address',
      address: ll ? Uint8Array.from(ll) : new Uint8Array(16),
    });
    return {
      sequence,
      flags: PbuFlag.A | PbuFlag.P | (this.config.homeFlag ? PbuFlag.H : 0),
      lifetime: units,
      options,
    };
  }

  /** A PBA for this router (the `mobility-input` node's handler). */
  handlePba(m: PbaMessage): boolean {
    return this.transactions.handlePba(m.src, m.pba);
  }

  private onPbuDone(
    mn: MobileNode,
    bul: BindingUpdateListEntry,
    kind: 'register' | 'refresh' | 'dereg',
    r: TransactionResult,
  ): void {
    const live = this.bul.get(bul.id) === bul;
    if (kind === 'dereg') {
      if (r.outcome === 'timeout')
        this.log.warn({ mn: mn.nai }, 'de-registration not acknowledged');
      if (live) this.bul.remove(bul, 'dereg');
      return;
    }
    if (r.outcome === 'cancelled') return;
    if (!live || mn.bul !== bul) return;
    if (r.outcome === 'timeout') {
      this.counters.gaveUp++;
      this.log.warn(
        {
          mn: mn.nai,
          attempts: r.attempts,
          elapsedMs: r.elapsedMs,
          lma: formatIpv6Address(mn.lma),
        },
        'no PBA from the LMA: giving up',
      );
      this.detach(mn, 'gave-up', false);
      return;
    }
    const pba = r.pba;
    mn.lastStatus = pba.status;
    if (!pbaStatusAccepted(pba.status)) {
      this.counters.rejected.set(pba.status, (this.counters.rejected.get(pba.status) ?? 0) + 1);
      this.log.warn(
        { mn: mn.nai, status: pba.status, name: pbaStatusName(pba.status), kind },
        'LMA refused the binding',
      );
      this.detach(mn, 'rejected', false);
      this.holdDown(mn);
      return;
    }
    const prefixes = findHnps(pba)
      .filter((h) => h.prefixLength > 0)
      .map((h) => ({ prefix: h.prefix, prefixLen: h.prefixLength }));
    if (pba.lifetime === 0 || prefixes.length === 0) {
      this.counters.pbaInvalid++;
      this.log.warn(
        { mn: mn.nai, lifetime: pba.lifetime },
        'accepting PBA without lifetime or prefix',
      );
      this.detach(mn, 'rejected', false);
      this.holdDown(mn);
      return;
    }
    this.install(mn, bul, prefixes, pba);
    if (kind === 'refresh') this.counters.refreshed++;
    else this.counters.registered++;
  }

  /** The node may be tried again after attach.retryAfterReject seconds. */
  private holdDown(mn: MobileNode): void {
    this.data.status[mn.id] = MnStatus.Refused;
    if (mn.retryTimer !== null) this.timers.clear(mn.retryTimer);
    mn.retryTimer = this.timers.setTimeout(() => {
      mn.retryTimer = null;
      if (this.data.status[mn.id] === MnStatus.Refused && mn.allowed) {
        this.data.status[mn.id] = MnStatus.Idle;
        this.data.triggered[mn.id] = 0;
      }
    }, this.config.attach.retryAfterReject * 1000);
  }

  // ── forwarding state ────────────────────────────────────────────────────────────────

  private install(
    mn: MobileNode,
    bul: BindingUpdateListEntry,
    prefixes: Ipv6Prefix[],
    pba: PbaRepr,
  ): void {
    const iface = this.router.interfaces[mn.ifIndex]!;
    const lla = findOption(pba, 'link-local-address');
    if (
      lla !== undefined &&
      !isZero(lla.address) &&
      iface.linkLocal !== null &&
      !sameBytes(lla.address, iface.linkLocal)
    ) {
      // §6.8: the LMA names the link-local address the node already knows; ours is fixed
      this.counters.linkLocalMismatch++;
      this.log.warn(
        {
          mn: mn.nai,
          lma: formatIpv6Address(lla.address),
          ours: formatIpv6Address(iface.linkLocal),
        },
        'the PBA names another MAG link-local address than ours on the access link',
      );
    }
    const t = this.lmaTable(mn);
    for (const p of mn.prefixes) {
      if (!prefixes.some((q) => samePrefix(p, q))) this.removePrefix(p);
    }
    for (const p of prefixes) {
      if (mn.prefixes.some((q) => samePrefix(p, q))) continue;
      // uplink: from the node's prefix, the LMA's table (whose only route is the tunnel)
      this.router.routes.addRule(p.prefix, p.prefixLen, t.table, ORIGIN);
      // downlink: the prefix is on the node's access link
      this.router.addRoute({
        prefix: p.prefix,
        prefixLen: p.prefixLen,
        ifIndex: mn.ifIndex,
        origin: ORIGIN,
      });
    }
    mn.prefixes = prefixes.map((p) => ({
      prefix: Uint8Array.from(p.prefix),
      prefixLen: p.prefixLen,
    }));
    const grantedMs = lifetimeToSeconds(pba.lifetime) * 1000;
    this.bul.registered(bul, grantedMs, { prefixes, tunnelId: mn.tunnelId }, { replace: true });
    const d = this.data;
    const first = d.status[mn.id] !== MnStatus.Registered;
    d.registeredIf[mn.id] = mn.ifIndex;
    d.status[mn.id] = MnStatus.Registered;
    mn.missed = 0;
    if (first) {
      this.log.info(
        {
          mn: mn.nai,
          hnp: prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
          lifetime: grantedMs / 1000,
          tunnel: mn.tunnelId,
        },
        'registered',
      );
    }
    this.sendRa(mn);
    this.settle(mn);
  }

  /** The tunnel to the node's LMA and the table routing into it; takes a reference. */
  private lmaTable(mn: MobileNode): LmaTable {
    const key = hex16(mn.lma);
    let t = this.lmaTables.get(key);
    if (mn.tunnelId < 0) {
      mn.tunnelId = this.tunnels.acquire(this.address, mn.lma);
      if (t === undefined) {
        const used = new Set([...this.lmaTables.values()].map((x) => x.table));
        let table = this.config.tableBase;
        while (used.has(table)) table++;
        t = { table, tunnelId: mn.tunnelId, users: 0 };
        this.lmaTables.set(key, t);
        this.router.addRoute({
          table,
          prefix: new Uint8Array(16),
          prefixLen: 0,
          kind: RouteKind.Tunnel,
          tunnel: mn.tunnelId,
          origin: ORIGIN,
        });
      }
      t.users++;
    }
    return t!;
  }

  private removePrefix(p: Ipv6Prefix): void {
    this.router.routes.removeRule(p.prefix, p.prefixLen);
    const fib = this.router.routes.table(254);
    const id = fib.getExact(p.prefix, p.prefixLen);
    if (id >= 0 && this.router.routes.routes[id]?.origin === ORIGIN) {
      this.router.removeRoute(p.prefix, p.prefixLen);
    }
  }

  /** Removes the node's rules, routes and tunnel reference. */
  private uninstall(mn: MobileNode): void {
    for (const p of mn.prefixes) this.removePrefix(p);
    mn.prefixes = [];
    if (mn.tunnelId >= 0) {
      const key = hex16(mn.lma);
      const t = this.lmaTables.get(key);
      if (t !== undefined && --t.users === 0) {
        this.router.removeRoute(new Uint8Array(16), 0, t.table);
        this.lmaTables.delete(key);
      }
      if (this.tunnels.isLive(mn.tunnelId)) this.tunnels.release(mn.tunnelId);
      mn.tunnelId = -1;
    }
  }

  // ── refresh, presence, detach ───────────────────────────────────────────────────────

  private onRefreshDue(e: BindingUpdateListEntry): void {
    const mn = this.nodeOfBul(e);
    if (!mn || this.data.status[mn.id] !== MnStatus.Registered) return;
    this.sendPbu(mn, 'refresh', HandoffIndicator.NotChanged);
  }

  /** The granted lifetime ran out without an accepted refresh. */
  private onExpired(e: BindingUpdateListEntry): void {
    const mn = this.nodeOfBul(e);
    if (!mn) return;
    this.log.warn({ mn: mn.nai }, 'binding lifetime ran out without refresh');
    this.detach(mn, 'lifetime');
  }

  /** RFC 5213 §6.9.1.3 without a link-layer event: probe silent nodes, detach absent ones. */
  presenceCheck(): void {
    const d = this.data;
    for (const mn of this.nodes) {
      if (mn === null || d.status[mn.id] !== MnStatus.Registered) continue;
      if (d.seen[mn.id] === 1) {
        d.seen[mn.id] = 0;
        mn.missed = 0;
        continue;
      }
      if (mn.missed >= this.config.presence.probes) {
        this.log.info({ mn: mn.nai, silentIntervals: mn.missed }, 'node gone from its access link');
        this.detach(mn, 'absent');
        continue;
      }
      mn.missed++;
      this.probe(mn);
    }
  }

  /** An Echo Request to ff02::1, sent to the node's MAC (RFC 4443 §4.1; hosts answer). */
  private probe(mn: MobileNode): void {
    const iface = this.router.interfaces[mn.ifIndex];
    if (!iface || iface.linkLocal === null || iface.mac === null) return;
    const pool = this.router.pool;
    const pb = pool.alloc();
    if (pb === null) return;
    const msg = {
      kind: 'echo-request' as const,
      id: PROBE_ID,
      seq: (this.probeSeq = (this.probeSeq + 1) & 0xffff),
      data: new Uint8Array(8),
    };
    const len = Icmpv6.bufferLen(msg);
    const l3 = pb.start;
    pb.end = l3 + 40 + len;
    Ipv6.emit(
      {
        trafficClass: 0,
        flowLabel: 0,
        payloadLength: len,
        nextHeader: IpProto.Icmpv6,
        hopLimit: 1,
        src: iface.linkLocal,
        dst: ALL_NODES,
      },
      new Ipv6View(pool.bytes, pool.dv, l3, pb.end),
    );
    const v = new Icmpv6View(pool.bytes, pool.dv, l3 + 40, pb.end);
    Icmpv6.emit(msg, v);
    v.fillChecksum(l3 + 8, l3 + 24);
    const s = pb.prepend(14);
    pool.bytes.set(mn.mac, s);
    pool.bytes.set(iface.mac, s + 6);
    pool.bytes[s + 12] = 0x86;
    pool.bytes[s + 13] = 0xdd;
    pb.l3 = l3;
    pb.txIf = iface.index;
    pb.flags |= PacketFlag.LocalOrigin;
    if (this.router.scheduler.sendNow(pb)) this.counters.probesSent++;
  }

  /**
   * The node left (or is made to): a de-registration PBU (lifetime 0) when it was
   * registered, and its rules, routes and tunnel reference go at once (§6.9.1.3).
   */
  detach(mn: MobileNode, cause: DetachCause, deregister = true): void {
    const d = this.data;
    const st = d.status[mn.id];
    const wasRegistered = st === MnStatus.Registered;
    if (st === MnStatus.Attaching) this.transactions.cancel(mn.nai);
    if (deregister && mn.bul !== null && (wasRegistered || st === MnStatus.Attaching)) {
      this.sendPbu(mn, 'dereg', mn.bul.handoffIndicator);
    } else if (mn.bul !== null && mn.bul.state !== 'deregistering') {
      this.bul.remove(mn.bul, cause === 'lifetime' ? 'lifetime' : 'admin');
    }
    this.uninstall(mn);
    if (st === MnStatus.Registered || st === MnStatus.Attaching) this.counters.detached[cause]++;
    if (mn.allowed && st !== MnStatus.Refused) d.status[mn.id] = MnStatus.Idle;
    d.triggered[mn.id] = 0;
    d.registeredIf[mn.id] = -1;
    d.seen[mn.id] = 0;
    mn.missed = 0;
    if (st === MnStatus.Registered) {
      this.log.info({ mn: mn.nai, cause }, 'node detached');
    }
    this.settle(mn);
  }

  // ── Router Advertisements ───────────────────────────────────────────────────────────

  /**
   * The node's own RA (RFC 5213 §6.7): unicast to its MAC (IPv6 destination ff02::1, so
   * no address of the node is needed), from the access link's link-local address and
   * MAC, with its home network prefixes (L, A) whose lifetimes are what is left of the
   * binding: the node never keeps a prefix longer than the MAG can route it.
   */
  sendRa(mn: MobileNode): boolean {
    const bul = mn.bul;
    if (bul === null || mn.ifIndex < 0) return false;
    const left = Math.max(0, Math.floor((bul.expiresAt - this.bul.clock.now()) / 1000));
    const ok = this.ra.send(mn.ifIndex, {
      destination: ALL_NODES,
      destinationMac: mn.mac,
      routerLifetime: this.config.ra.routerLifetime,
      prefixes: mn.prefixes.map((p) => ({
        prefix: p.prefix,
        prefixLen: p.prefixLen,
        onLink: true,
        autonomous: true,
        validLifetime: left,
        preferredLifetime: left,
      })),
    });
    if (ok) this.counters.raSent++;
    else this.counters.raFailed++;
    return ok;
  }

  /** Counts an Echo Reply to a presence probe (the `mag-probe-reply` node). */
  probeReply(): void {
    this.counters.probeReplies++;
  }

  // ── views ───────────────────────────────────────────────────────────────────────────

  private result(mn: MobileNode): AttachResult {
    const st = this.data.status[mn.id]!;
    return {
      mn: mn.nai,
      state: STATUS_NAMES[st] ?? String(st),
      status: mn.lastStatus,
      statusName: mn.lastStatus === null ? null : pbaStatusName(mn.lastStatus),
      prefixes: mn.prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
    };
  }

  /** Resolves the `dmmctl attach` calls waiting for this node. */
  private settle(mn: MobileNode): void {
    if (mn.waiters.length === 0 || this.data.status[mn.id] === MnStatus.Attaching) return;
    const r = this.result(mn);
    for (const w of mn.waiters.splice(0)) w(r);
  }

  /** `show bindings` rows: the BUL with each node's MAC and interface. */
  bindings(): MagBindingRow[] {
    const now = this.bul.clock.now();
    const rows: MagBindingRow[] = [];
    for (const mn of this.nodes) {
      if (mn === null || mn.bul === null) continue;
      const s = bulSnapshot(mn.bul, now);
      rows.push({
        ...s,
        mac: formatMacAddress(mn.mac),
        interface: this.router.interfaces[mn.bul.accessIfIndex]?.name ?? null,
        node: STATUS_NAMES[this.data.status[mn.id]!] ?? '?',
      });
    }
    return rows;
  }

  /** `show mag`. */
  stats(): MagStats {
    const byStatus: Record<string, number> = { idle: 0, attaching: 0, registered: 0, refused: 0 };
    for (const mn of this.nodes) {
      if (mn === null) continue;
      const name = STATUS_NAMES[this.data.status[mn.id]!]!;
      byStatus[name] = (byStatus[name] ?? 0) + 1;
    }
    const rejected: Record<string, number> = {};
    for (const [k, n] of [...this.counters.rejected].sort((a, b) => a[0] - b[0])) {
      rejected[`${k} ${pbaStatusName(k)}`] = n;
    }
    return {
      address: formatIpv6Address(this.address),
      lma: formatIpv6Address(this.config.lma),
      accessInterfaces: this.accessIfs.map((i) => ({
        name: i.name,
        mac: i.mac ? formatMacAddress(i.mac) : null,
        linkLocal: i.linkLocal ? formatIpv6Address(i.linkLocal) : null,
      })),
      nodes: byStatus,
      lmaTables: [...this.lmaTables.entries()].map(([k, t]) => ({
        lma: formatIpv6Address(Buffer.from(k, 'hex')),
        table: t.table,
        tunnel: t.tunnelId,
        nodes: t.users,
      })),
      attachTriggers: { ...this.counters.attachTriggers },
      attachStarted: this.counters.attachStarted,
      registered: this.counters.registered,
      refreshed: this.counters.refreshed,
      rejected,
      gaveUp: this.counters.gaveUp,
      deregSent: this.counters.deregSent,
      detached: { ...this.counters.detached },
      transactions: { ...this.transactions.counters },
      raSent: this.counters.raSent,
      raFailed: this.counters.raFailed,
      probesSent: this.counters.probesSent,
      probeReplies: this.counters.probeReplies,
      pbaInvalid: this.counters.pbaInvalid,
      linkLocalMismatch: this.counters.linkLocalMismatch,
      unknownIgnored: this.counters.unknownIgnored,
      detectionOverflow: this.data.overflow,
    };
  }
}

export const STATUS_NAMES: Record<number, string> = {
  [MnStatus.Idle]: 'idle',
  [MnStatus.Attaching]: 'attaching',
  [MnStatus.Registered]: 'registered',
  [MnStatus.Refused]: 'refused',
};

export type MagBindingRow = BulSnapshot & { mac: string; interface: string | null; node: string };

export interface MagStats {
  address: string;
  lma: string;
  accessInterfaces: { name: string; mac: string | null; linkLocal: string | null }[];
  nodes: Record<string, number>;
  lmaTables: { lma: string; table: number; tunnel: number; nodes: number }[];
  attachTriggers: Record<AttachCause, number>;
  attachStarted: number;
  registered: number;
  refreshed: number;
  rejected: Record<string, number>;
  gaveUp: number;
  deregSent: number;
  detached: Record<DetachCause, number>;
  transactions: Record<string, number>;
  raSent: number;
  raFailed: number;
  probesSent: number;
  probeReplies: number;
  pbaInvalid: number;
  linkLocalMismatch: number;
  unknownIgnored: number;
  detectionOverflow: number;
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

function samePrefix(a: Ipv6Prefix, b: Ipv6Prefix): boolean {
  return a.prefixLen === b.prefixLen && sameBytes(a.prefix, b.prefix);
}

function isZero(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

function isRouterAddress(router: Router, a: Uint8Array): boolean {
  return router.interfaces.some((i) => i.addresses.some((x) => sameBytes(x.address, a)));
}
