/**
 * Routes, routing tables and source-prefix rules.
 *
 * A route maps a destination prefix, in one table, to what to do with matching packets:
 * forward on-link or via a gateway out of an interface, deliver locally, or refuse
 * (blackhole: drop silently; unreachable / prohibit: drop with ICMPv6 Destination
 * Unreachable, RFC 4443 §3.1 codes 0/5... see `RouteKind`). Table 254 is `main`, as in Linux.
 *
 * Source rules are `ip -6 rule add from PREFIX lookup TABLE`: the longest source prefix
 * that matches picks the table; when that table has no route for the destination the
 * lookup falls back to `main` (Linux moves on to its next rule, whose last is main).
 */
import { ConfigError } from '../errors.js';
import { Fib } from './fib.js';

/** What a route does (Linux route types). */
export const RouteKind = {
  /** Forward out of `ifIndex`, to `gateway` or on-link to the destination itself. */
  Unicast: 0,
  /** Deliver to this router. */
  Local: 1,
  /** Drop silently. */
  Blackhole: 2,
  /** Drop and send Destination Unreachable, code 0 (no route). */
  Unreachable: 3,
  /** Drop and send Destination Unreachable, code 1 (administratively prohibited). */
  Prohibit: 4,
  /** Send into tunnel `tunnel` (an IPv6-in-IPv6 tunnel the tunnel module owns). */
  Tunnel: 5,
} as const;

export type RouteKindValue = (typeof RouteKind)[keyof typeof RouteKind];

export const ROUTE_KIND_NAMES = [
  'unicast',
  'local',
  'blackhole',
  'unreachable',
  'prohibit',
  'tunnel',
] as const;

/** The main table's id. */
export const MAIN_TABLE = 254;

/** A route as stored (control-plane object; the data path reads its fields by id). */
export interface Route {
  readonly id: number;
  readonly table: number;
  readonly prefix: Uint8Array;
  readonly prefixLen: number;
  readonly kind: RouteKindValue;
  /** Outgoing interface for unicast routes (-1 otherwise). */
  readonly ifIndex: number;
  /** Next hop, or null for on-link (the destination is the next hop). */
  readonly gateway: Uint8Array | null;
  /** Tunnel id for tunnel routes (-1 otherwise). */
  readonly tunnel: number;
  /** Who installed it: `connected`, `static`, a plugin name. */
  readonly origin: string;
}

export interface RouteSpec {
  table?: number;
  prefix: Uint8Array;
  prefixLen: number;
  kind?: RouteKindValue;
  ifIndex?: number;
  gateway?: Uint8Array | null;
  tunnel?: number;
  origin?: string;
}

/** A source rule: packets from `prefix/prefixLen` look up `table`. */
export interface SourceRule {
  readonly id: number;
  readonly prefix: Uint8Array;
  readonly prefixLen: number;
  readonly table: number;
  readonly origin: string;
}

/**
 * All routing tables and source rules of a router. Route ids index `routes` and are reused
 * after removal; the data path keeps only ids.
 */
export class RoutingTables {
  /** Routes by id (null: free slot). */
  readonly routes: (Route | null)[] = [];
  /** Source rules by id (null: free slot). */
  readonly rules: (SourceRule | null)[] = [];
  /** Tables by id 0..255 (null: no route ever added). */
  private readonly tables: (Fib | null)[] = new Array<Fib | null>(256).fill(null);
  private readonly ruleFib = new Fib();
  private readonly freeRouteIds: number[] = [];
  private readonly freeRuleIds: number[] = [];

  constructor() {
    this.tables[MAIN_TABLE] = new Fib();
  }

  /** The FIB of table `id`, created on demand. */
  table(id: number): Fib {
    checkTable(id);
    let t = this.tables[id];
    if (!t) {
      t = new Fib();
      this.tables[id] = t;
    }
    return t;
  }

  /** Ids of tables that exist. */
  tableIds(): number[] {
    const ids: number[] = [];
    this.tables.forEach((t, i) => t && ids.push(i));
    return ids;
  }

  /**
   * Route id for a packet with source at `bytes[srcOff]` and destination at
   * `bytes[dstOff]`, or -1. Allocation-free.
   */
  lookup(bytes: Uint8Array, srcOff: number, dstOff: number, inputTable = -1): number {
    if (inputTable >= 0) {
      // an interface-bound table (ip -6 rule iif IF lookup T) comes before source rules
      const t = this.tables[inputTable];
      if (t) {
        const id = t.lookup(bytes, dstOff);
        if (id >= 0) return this.hit(id);
      }
    }
    if (this.ruleFib.size !== 0) {
      const ruleId = this.ruleFib.lookup(bytes, srcOff);
      if (ruleId >= 0) {
        const t = this.tables[this.rules[ruleId]!.table];
        if (t) {
          const id = t.lookup(bytes, dstOff);
          if (id >= 0) return this.hit(id);
        }
      }
    }
    const id = this.tables[MAIN_TABLE]!.lookup(bytes, dstOff);
    return id >= 0 ? this.hit(id) : -1;
  }

  /**
   * Packets routed by each route id since the route was added (`show routes`, and the
   * mobility plugins' idle detection). Reset when an id is reused.
   */
  hits = new Float64Array(64);

  private hit(id: number): number {
    this.hits[id]!++;
    return id;
  }

  /** Route id for a destination in one table only (no rules), or -1. */
  lookupIn(table: number, bytes: Uint8Array, dstOff: number): number {
    const t = this.tables[table];
    return t ? t.lookup(bytes, dstOff) : -1;
  }

  /**
   * Adds a route, replacing one for the same table/prefix/length. Returns the route.
   * Host bits of the prefix are cleared.
   */
  add(spec: RouteSpec): Route {
    const table = spec.table ?? MAIN_TABLE;
    checkTable(table);
    const kind = spec.kind ?? RouteKind.Unicast;
    const ifIndex = spec.ifIndex ?? -1;
    if (kind === RouteKind.Unicast && ifIndex < 0) {
      throw new ConfigError('a unicast route needs an interface', { prefixLen: spec.prefixLen });
    }
    const tunnel = spec.tunnel ?? -1;
    if (kind === RouteKind.Tunnel && tunnel < 0) {
      throw new ConfigError('a tunnel route needs a tunnel', { prefixLen: spec.prefixLen });
    }
    const fib = this.table(table);
    const prefix = maskPrefix(spec.prefix, spec.prefixLen);
    const old = fib.getExact(prefix, spec.prefixLen);
    const id = old >= 0 ? old : (this.freeRouteIds.pop() ?? this.routes.length);
    const route: Route = {
      id,
      table,
      prefix,
      prefixLen: spec.prefixLen,
      kind,
      ifIndex,
      gateway: spec.gateway ? Uint8Array.from(spec.gateway) : null,
      tunnel,
      origin: spec.origin ?? 'static',
    };
    this.routes[id] = route;
    fib.insert(prefix, spec.prefixLen, id);
    if (id >= this.hits.length) {
      const grown = new Float64Array(Math.max(this.hits.length * 2, id + 1));
      grown.set(this.hits);
      this.hits = grown;
    }
    if (old < 0) this.hits[id] = 0;
    return route;
  }

  /** Removes the route for table/prefix/length; returns it or null. */
  remove(prefix: Uint8Array, prefixLen: number, table = MAIN_TABLE): Route | null {
    const t = this.tables[table];
    if (!t) return null;
    const id = t.remove(prefix, prefixLen);
    if (id < 0) return null;
    const r = this.routes[id]!;
    this.routes[id] = null;
    this.freeRouteIds.push(id);
    return r;
  }

  /** Removes every route out of interface `ifIndex` (interface deleted). */
  removeByInterface(ifIndex: number): Route[] {
    const gone = this.routes.filter((r): r is Route => r !== null && r.ifIndex === ifIndex);
    for (const r of gone) this.remove(r.prefix, r.prefixLen, r.table);
    return gone;
  }

  /** Adds `from prefix/len lookup table`, replacing a rule for the same prefix. */
  addRule(prefix: Uint8Array, prefixLen: number, table: number, origin = 'static'): SourceRule {
    checkTable(table);
    const p = maskPrefix(prefix, prefixLen);
    const old = this.ruleFib.getExact(p, prefixLen);
    const id = old >= 0 ? old : (this.freeRuleIds.pop() ?? this.rules.length);
    const rule: SourceRule = { id, prefix: p, prefixLen, table, origin };
    this.rules[id] = rule;
    this.ruleFib.insert(p, prefixLen, id);
    return rule;
  }

  removeRule(prefix: Uint8Array, prefixLen: number): SourceRule | null {
    const id = this.ruleFib.remove(prefix, prefixLen);
    if (id < 0) return null;
    const r = this.rules[id]!;
    this.rules[id] = null;
    this.freeRuleIds.push(id);
    return r;
  }

  /** Every route, sorted by table then longest prefix (control plane). */
  list(): Route[] {
    return this.routes
      .filter((r): r is Route => r !== null)
      .sort(
        (a, b) =>
          a.table - b.table || b.prefixLen - a.prefixLen || compareBytes(a.prefix, b.prefix),
      );
  }

  listRules(): SourceRule[] {
    return this.rules
      .filter((r): r is SourceRule => r !== null)
      .sort((a, b) => b.prefixLen - a.prefixLen || compareBytes(a.prefix, b.prefix));
  }
}

/** A copy of `prefix` with the bits past `len` cleared. */
export function maskPrefix(prefix: Uint8Array, len: number, off = 0): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = len - i * 8;
    const b = prefix[off + i]!;
    out[i] = bits >= 8 ? b : bits <= 0 ? 0 : b & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function checkTable(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 255) {
    throw new ConfigError(`routing table id must be an integer in 0..255, got ${id}`, {
      table: id,
    });
  }
}
