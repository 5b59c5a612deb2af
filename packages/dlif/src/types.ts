/**
 * What other plugins see of DLIFs (draft-bernardos-dmm-distributed-anchoring-02 §2, §4.1):
 * the records, the arguments of `DlifManager`, and what `show dlifs` reports.
 */
import type { Interface, Route } from '@dmm/core';
import type { DlifPreference } from './config.js';

/**
 * `serving`: the DLIF of the D-GW the node is attached to, advertising the prefix it anchors
 * itself (a plain access router for that node, draft §4.2 steps 2 and 6). `anchor`: a DLIF
 * standing for another, previously visited D-GW that still anchors a prefix of the node
 * (draft §4.2 step 8): same MAC and link-local as that D-GW's own DLIF, its prefix deprecated.
 */
export type DlifRole = 'serving' | 'anchor';

/**
 * Why a DLIF goes, which decides its last Router Advertisement:
 * - `released`: the anchor is given up while the node stays attached (de-registration, the
 *   prefix is no longer used): Router Lifetime 0 (RFC 4861 §6.2.5), every prefix with valid
 *   and preferred lifetime 0 (RFC 4862 §5.5.3 e) and every route with lifetime 0 (RFC 4191 §2.3);
 * - `moved`: the node left this D-GW; nothing can reach it here, and its next serving D-GW
 *   shows it the same router, so nothing is sent (a zero lifetime that still reached the node
 *   would tear down the addresses mobility is keeping alive);
 * - `shutdown`: this D-GW stops: Router Lifetime 0 and routes withdrawn, prefixes left alone.
 */
export type DlifRemoveReason = 'released' | 'moved' | 'shutdown';

/** The mobile node a DLIF serves. */
export interface DlifNode {
  /** Its identifier (the MN-Identifier of RFC 5213, or any stable name). */
  readonly id: string;
  readonly mac: Uint8Array;
  /** Its link-local address once seen (Router Solicitation source), else null. */
  readonly linkLocal: Uint8Array | null;
}

/** The D-GW a DLIF stands for. */
export interface DlifAnchor {
  readonly id: string;
  /** Its address (the tunnel end point), when known. */
  readonly address: Uint8Array | null;
}

/** A prefix to advertise (Prefix Information, RFC 4861 §4.6.2). */
export interface DlifPrefixSpec {
  prefix: Uint8Array;
  prefixLen: number;
  /** Seconds (0xffffffff: infinite). Default: the plugin's `validLifetime`. */
  validLifetime?: number;
  /**
   * Seconds. Default: the plugin's `preferredLifetime` (capped at the valid lifetime). On an
   * anchor DLIF in `deprecate` mode the advertised value is 0 whatever is given (draft §4.1).
   */
  preferredLifetime?: number;
  /** L flag (default true). */
  onLink?: boolean;
  /** A flag (default true; then the prefix must be a /64, RFC 4862 §5.5.3 d). */
  autonomous?: boolean;
  /**
   * Lifetimes decrement in real time (RFC 4861 §6.2.1 AdvValidLifetime): each RA carries
   * what is left. Default: true on anchor DLIFs (they follow the binding's lifetime), false
   * on serving ones (fixed values, refreshed by every RA).
   */
  decrement?: boolean;
}

/** A route to advertise (Route Information, RFC 4191 §2.3): e.g. the anchor's local network. */
export interface DlifRouteSpec {
  prefix: Uint8Array;
  prefixLen: number;
  /** Route Preference (default medium). */
  preference?: DlifPreference;
  /** Seconds (0xffffffff: infinite). Default: the DLIF's Router Lifetime. */
  lifetime?: number;
  /** Count the lifetime down in real time (default as for prefixes). */
  decrement?: boolean;
}

export interface CreateDlifOptions {
  /** The Ethernet interface (name or object) the node is attached to. */
  parent: Interface | string;
  node: { id: string; mac: Uint8Array; linkLocal?: Uint8Array };
  anchor: { id: string; address?: Uint8Array | null };
  role: DlifRole;
  /**
   * The DLIF's MAC: the one the anchor chose (PBA DLIF Link-layer Address option). Default:
   * derived from (anchor id, node id) — see identity.ts.
   */
  mac?: Uint8Array;
  /** The DLIF's link-local (PBA DLIF Link-local Address option). Default: EUI-64 of the MAC. */
  linkLocal?: Uint8Array;
  /** Interface name (default `<node id>/<anchor id>`). */
  name?: string;
  prefixes?: readonly DlifPrefixSpec[];
  routes?: readonly DlifRouteSpec[];
  /** Seconds; default the plugin's `routerLifetime`. */
  routerLifetime?: number;
  /** Default Router Preference; default by role (`servingPreference` / `anchorPreference`). */
  preference?: DlifPreference;
  /** Routing table for packets arriving on the DLIF (`Interface.inputTable`); default none. */
  inputTable?: number;
  mtu?: number;
}

/** Changes to a DLIF; what is absent stays. Each call sends an RA at once. */
export interface DlifUpdate {
  role?: DlifRole;
  /** The new prefix list: prefixes that disappear are advertised once with lifetimes 0. */
  prefixes?: readonly DlifPrefixSpec[];
  /** The new route list: routes that disappear are advertised once with lifetime 0. */
  routes?: readonly DlifRouteSpec[];
  routerLifetime?: number;
  /** null: back to the role's default. */
  preference?: DlifPreference | null;
  /** -1: none. */
  inputTable?: number;
}

/** A prefix as the DLIF advertises it now. */
export interface DlifPrefixInfo {
  prefix: Uint8Array;
  prefixLen: number;
  onLink: boolean;
  autonomous: boolean;
  /** Seconds left (what the next RA says). */
  validLifetime: number;
  /** Seconds, as advertised (0 when deprecated). */
  preferredLifetime: number;
  decrement: boolean;
}

/** A route as the DLIF advertises it now. */
export interface DlifRouteInfo {
  prefix: Uint8Array;
  prefixLen: number;
  preference: DlifPreference;
  lifetime: number;
  decrement: boolean;
}

export interface DlifCounters {
  /** IPv6 packets received on the DLIF (accepted by ip6-input). */
  packetsIn: number;
  /** IPv6 packets sent out of it (routed and router-originated, RAs included). */
  packetsOut: number;
  /** Router Advertisements sent. */
  rasSent: number;
  /** RAs that could not be sent (no buffer, too big). */
  rasFailed: number;
  /** Router Solicitations of its node it heard. */
  rsReceived: number;
  /** Router Solicitations from other MACs, ignored (its RAs are for its node only). */
  rsIgnored: number;
  /** Neighbor Solicitations answered (Neighbor Advertisements sent). */
  nsAnswered: number;
}

/** One DLIF. */
export interface Dlif {
  readonly name: string;
  /** The core logical interface (`iface.index`, `iface.inputTable`, …). */
  readonly iface: Interface;
  readonly parent: Interface;
  readonly node: DlifNode;
  readonly anchor: DlifAnchor;
  readonly role: DlifRole;
  readonly mac: Uint8Array;
  readonly linkLocal: Uint8Array;
  /**
   * The node's neighbour entry on this DLIF (PERMANENT, the node's MAC): the gateway of
   * `addPrefixRoute` routes. The node's link-local when given at creation, else the modified
   * EUI-64 link-local of its MAC.
   */
  readonly nodeNextHop: Uint8Array;
  readonly routerLifetime: number;
  readonly preference: DlifPreference;
  readonly removed: boolean;
  /** ms (Date.now) */
  readonly createdAt: number;
  prefixes(): DlifPrefixInfo[];
  routes(): DlifRouteInfo[];
  counters(): DlifCounters;
}

/** A Router Solicitation on a watched parent from a MAC no DLIF serves (attachment detection, draft §4.2 step 1). */
export interface UnknownSolicitation {
  parent: Interface;
  mac: Uint8Array;
  /** The RS source (:: or the node's link-local). */
  source: Uint8Array;
}

/** Return true to claim the RS (e.g. after creating DLIFs for the node). */
export type UnknownSolicitationListener = (rs: UnknownSolicitation) => boolean | void;

/** The service of the `dlif` plugin (token DLIFS). */
export interface DlifManager {
  /** Creates a DLIF and sends its first RA (when the router runs). */
  create(opts: CreateDlifOptions): Dlif;
  /** Changes what a DLIF advertises (or its role) and sends an RA at once. */
  update(dlif: Dlif, changes: DlifUpdate): void;
  /** Removes a DLIF (last RA per `reason`, default `released`), leaving nothing behind. */
  remove(dlif: Dlif, opts?: { reason?: DlifRemoveReason }): void;
  /** Removes every DLIF of a node; returns how many. */
  removeNode(nodeId: string, opts?: { reason?: DlifRemoveReason }): number;
  get(nodeId: string, anchorId: string): Dlif | undefined;
  byNode(nodeId: string): Dlif[];
  byInterface(ifIndex: number): Dlif | undefined;
  list(): Dlif[];
  /**
   * The downlink route for `prefix` (in `table`, default main) out of the DLIF: packets
   * leave with the DLIF's MAC as source, to the node's MAC, via the node's permanent
   * neighbour entry (`nodeNextHop`): the delegated prefix belongs to that one node, so no
   * Neighbor Solicitation ever floods the shared link for its addresses. Removed with the DLIF.
   */
  addPrefixRoute(
    dlif: Dlif,
    prefix: Uint8Array,
    prefixLen: number,
    opts?: { table?: number; origin?: string },
  ): Route;
  /** Packets arriving on the DLIF look up `table` first (-1: none). */
  setInputTable(dlif: Dlif, table: number): void;
  /** Sends the DLIF's RA now (outside the schedule). */
  advertise(dlif: Dlif): boolean;
  /** Listens to Router Solicitations from unknown MACs on watched parents. */
  onUnknownSolicitation(fn: UnknownSolicitationListener): () => void;
  /** Watches a parent for Router Solicitations (done for every parent that has DLIFs). */
  watch(parent: Interface | string): void;
  /** Timers armed now (periodic and solicited RAs): 0 when no DLIF exists. */
  activeTimers(): number;
  /** `show dlifs`. */
  status(nodeId?: string): DlifNodeStatus[];
}

/** `show dlifs`, per node. */
export interface DlifNodeStatus {
  node: string;
  mac: string;
  linkLocal: string | null;
  parent: string;
  dlifs: DlifStatus[];
}

export interface DlifStatus {
  name: string;
  role: DlifRole;
  anchor: string;
  anchorAddress: string | null;
  mac: string;
  linkLocal: string;
  routerLifetime: number;
  preference: DlifPreference;
  /** `2001:db8:a::/64 valid 3541s preferred 0s`. */
  prefixes: string[];
  /** `2001:db8:99::/48 low 1800s`. */
  routes: string[];
  inputTable: number | null;
  /** Seconds until the next periodic RA, or null. */
  nextRaIn: number | null;
  counters: DlifCounters;
}
