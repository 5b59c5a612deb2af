/**
 * The LMA's Binding Cache (RFC 5213 §5.1 on top of RFC 6275 §9.1): one entry per mobility
 * session (or, on a D-GW, per anchored prefix per mobile node), its lifetime, the
 * de-registration delay of RFC 5213 §5.3.5 and the wait for a previous MAG's
 * de-registration, with indexes by MN-ID, by prefix (exact and longest match) and by
 * Proxy-CoA. Pure state and timers: the pmip package decides the protocol and calls in.
 *
 * Entry states and what moves them:
 *
 *            create()                       update({lifetimeMs})   (revives)
 *   ──────────────────▶ active ◀──────────────────────────────────────┐
 *                        │  │ awaitDeregistration()                   │
 *                        │  ▼                                         │
 *                        │ awaiting-dereg ── MaxDelayBeforeNewBCEAssign ─▶ active
 *                        │  │                 ('bce:wait-expired')
 *         deregister()   ▼  ▼ deregister()
 *                      deregistering ── MinDelayBeforeBCEDelete ─▶ removed ('dereg')
 *   lifetime runs out in active / awaiting-dereg ─────────────────▶ removed ('lifetime')
 *   remove(entry, reason) from any state ─────────────────────────▶ removed (reason)
 *
 * Every index is updated before an event is emitted, so a listener sees the table as it
 * now is (e.g. `countByProxyCoa` on `bce:removed` already excludes the removed entry, which
 * is how the owner knows the MAG tunnel lost its last user, RFC 5213 §5.6.1).
 *
 * Entry ids are small integers, stable while the entry exists and reused after it is
 * removed; the data path keeps them (e.g. in a packet's metadata) and reads
 * `tunnelIdOf(id)` after `lookupByAddress`, both allocation-free.
 */
import { EventEmitter } from 'eventemitter3';
import { DmmError, type Ipv6Prefix } from '@dmm/core';
import type { Clock } from './clock.js';
import { monotonicClock } from './clock.js';
import { dgwInfo, type DgwBindingInfo } from './dgw.js';
import { NO_LINK_LAYER_ID, bytesEqual, copyMnId, mnIdKey, type MnIdentifier } from './identity.js';
import {
  BindingStore,
  LIFETIME_SLOT,
  SECOND_SLOT,
  bytesEqual16,
  checkAddress,
  checkLifetime,
  normalisePrefixes,
  prefixesMissing,
  type IndexSizes,
} from './store.js';
import { pmipVariables, type PmipVariables } from './variables.js';
import { bceSnapshot, type BceSnapshot } from './snapshot.js';

export type BceState = 'active' | 'awaiting-dereg' | 'deregistering' | 'removed';

/** Why an entry left a table. */
export type RemovalReason = 'lifetime' | 'dereg' | 'replaced' | 'admin';

/** A Binding Cache Entry as the rest of the router reads it (change it through the cache). */
export interface BindingCacheEntry {
  /** Slot id; stable while the entry exists, reused after removal. */
  readonly id: number;
  readonly state: BceState;
  /** Proxy registration flag (RFC 5213 §5.1): true for every PMIPv6 entry. */
  readonly proxyRegistration: boolean;
  readonly mnId: MnIdentifier;
  /** `mnIdKey(mnId)`, the MN-ID index key. */
  readonly mnKey: string;
  /** MN link-layer identifier (RFC 5213 §8.6); empty when the PBU carried none. */
  readonly mnLinkLayerId: Uint8Array;
  /** The MAG's link-local address on the MN's access link (RFC 5213 §5.1, §8.7), or null. */
  readonly magLinkLocal: Uint8Array | null;
  /** Home network prefixes with their lengths, host bits cleared. */
  readonly prefixes: readonly Ipv6Prefix[];
  /** The MAG's address, the end of the tunnel (shared bytes: never write into them). */
  readonly proxyCoa: Uint8Array;
  /** The owner's tunnel id for the LMA–MAG tunnel, or -1. */
  readonly tunnelId: number;
  /** Access Technology Type (RFC 5213 §8.5). */
  readonly accessTechnology: number;
  /** Handoff Indicator of the last accepted PBU (RFC 5213 §8.4). */
  readonly handoffIndicator: number;
  /** Timestamp of the last accepted PBU (RFC 5213 §5.1, §8.8): seconds since 1970 … */
  readonly timestampSeconds: number;
  /** … and 1/65536 s. Both 0 when sequence numbers order the PBUs. */
  readonly timestampFraction: number;
  /** Sequence number of the last accepted PBU (RFC 6275 §9.1). */
  readonly sequence: number;
  /** Lifetime granted by the last accepted registration, ms. */
  readonly lifetimeMs: number;
  /** Clock time of the last accepted registration (creation or refresh). */
  readonly registeredAt: number;
  /** Clock time at which the lifetime runs out. */
  readonly expiresAt: number;
  /** While `deregistering`: clock time of deletion; NaN otherwise. */
  readonly deleteAt: number;
  /** While `awaiting-dereg`: clock time the wait ends; NaN otherwise. */
  readonly waitUntil: number;
  /** While `awaiting-dereg`: what the owner parked (e.g. the waiting PBU); null otherwise. */
  readonly waiter: unknown;
  /** D-GW role data, or null on a plain LMA. */
  readonly dgw: DgwBindingInfo | null;
  /** Free-form data of other plugins (e.g. the inter-operator LMA), or null. */
  readonly ext: Readonly<Record<string, unknown>> | null;
}

/** What `create` needs. Byte arrays are copied. */
export interface BceInit {
  mnId: MnIdentifier;
  mnLinkLayerId?: Uint8Array;
  magLinkLocal?: Uint8Array | null;
  prefixes: readonly Ipv6Prefix[];
  proxyCoa: Uint8Array;
  lifetimeMs: number;
  tunnelId?: number;
  accessTechnology?: number;
  handoffIndicator?: number;
  /** The accepted PBU's Timestamp option (`findOption(pbu, 'timestamp')` fits). */
  timestamp?: { readonly seconds: number; readonly fraction: number };
  sequence?: number;
  proxyRegistration?: boolean;
  dgw?: Partial<DgwBindingInfo>;
  ext?: Record<string, unknown>;
}

/** What `update` may change; absent fields stay. `lifetimeMs` is a refresh (and revives). */
export type BceUpdate = Partial<Omit<BceInit, 'mnId' | 'proxyRegistration'>>;

/** What an update changed (payload of `bce:updated`). */
export interface BceChanges {
  /** Names of the fields that changed (`lifetimeMs` for every refresh). */
  readonly fields: readonly string[];
  /** Prefixes that joined the binding (routes to add). */
  readonly prefixesAdded: readonly Ipv6Prefix[];
  /** Prefixes that left the binding (routes to withdraw). */
  readonly prefixesRemoved: readonly Ipv6Prefix[];
  /** The Proxy-CoA before a handover to another MAG, else null. */
  readonly previousProxyCoa: Uint8Array | null;
  /** The lifetime was restarted. */
  readonly lifetime: boolean;
  /** The entry left `deregistering` (a registration arrived within MinDelayBeforeBCEDelete). */
  readonly revived: boolean;
}

export type BindingCacheEvents = {
  'bce:created': [entry: BindingCacheEntry];
  'bce:updated': [entry: BindingCacheEntry, changes: BceChanges];
  /** An accepted de-registration started MinDelayBeforeBCEDelete; `waiter` ended a wait. */
  'bce:deregistering': [entry: BindingCacheEntry, waiter: unknown];
  /** MaxDelayBeforeNewBCEAssign started for `waiter`. */
  'bce:waiting': [entry: BindingCacheEntry, waiter: unknown];
  /** MaxDelayBeforeNewBCEAssign ran out without the previous MAG's de-registration. */
  'bce:wait-expired': [entry: BindingCacheEntry, waiter: unknown];
  /** The lifetime ran out (followed by `bce:removed` with reason `lifetime`). */
  'bce:expired': [entry: BindingCacheEntry];
  /** The entry is gone from every index. */
  'bce:removed': [entry: BindingCacheEntry, reason: RemovalReason];
};

/** Narrows `findByMnId` to one session of the MN. */
export interface BceFilter {
  linkLayerId?: Uint8Array;
  accessTechnology?: number;
}

export interface BindingCacheOptions {
  clock?: Clock;
  /** RFC 5213 §9 variables (only the two delays matter here); defaults as RFC 5213. */
  variables?: Partial<PmipVariables>;
}

class Bce implements BindingCacheEntry {
  id = -1;
  state: BceState = 'active';
  proxyRegistration: boolean;
  mnId: MnIdentifier;
  mnKey: string;
  mnLinkLayerId: Uint8Array;
  magLinkLocal: Uint8Array | null = null;
  prefixes: readonly Ipv6Prefix[];
  proxyCoa: Uint8Array;
  tunnelId: number;
  accessTechnology: number;
  handoffIndicator: number;
  timestampSeconds: number;
  timestampFraction: number;
  sequence: number;
  lifetimeMs: number;
  registeredAt = 0;
  expiresAt = 0;
  deleteAt = NaN;
  waitUntil = NaN;
  waiter: unknown = null;
  dgw: DgwBindingInfo | null;
  ext: Record<string, unknown> | null;

  constructor(
    init: BceInit,
    prefixes: Ipv6Prefix[],
    lli: Uint8Array | undefined,
    proxyCoa: Uint8Array,
  ) {
    this.proxyRegistration = init.proxyRegistration ?? true;
    this.mnId = copyMnId(init.mnId);
    this.mnKey = mnIdKey(init.mnId);
    this.mnLinkLayerId = lli ?? NO_LINK_LAYER_ID;
    this.prefixes = Object.freeze(prefixes);
    this.proxyCoa = proxyCoa;
    this.tunnelId = init.tunnelId ?? -1;
    this.accessTechnology = init.accessTechnology ?? 0;
    this.handoffIndicator = init.handoffIndicator ?? 0;
    this.timestampSeconds = init.timestamp?.seconds ?? 0;
    this.timestampFraction = init.timestamp?.fraction ?? 0;
    this.sequence = init.sequence ?? 0;
    this.lifetimeMs = init.lifetimeMs;
    this.dgw = init.dgw ? dgwInfo(init.dgw) : null;
    this.ext = init.ext ?? null;
  }
}

function lliCopy(lli: Uint8Array | undefined): Uint8Array {
  return lli === undefined || lli.length === 0 ? NO_LINK_LAYER_ID : Uint8Array.from(lli);
}

export class BindingCache {
  readonly events = new EventEmitter<BindingCacheEvents>();
  readonly clock: Clock;
  readonly variables: PmipVariables;
  private readonly store: BindingStore<Bce>;

  constructor(options: BindingCacheOptions = {}) {
    this.clock = options.clock ?? monotonicClock;
    this.variables = pmipVariables(options.variables);
    this.store = new BindingStore<Bce>(this.clock, (id, slot) => this.onTimer(id, slot));
  }

  /** Entries in the cache. */
  get size(): number {
    return this.store.slots.size;
  }

  // ── create / update / state changes ────────────────────────────────────────────────

  /**
   * Creates an entry (an accepted initial registration). A prefix already bound to another
   * entry is DMM_ERR_BINDING_CONFLICT, unless `replace` is set: then the entries holding
   * those prefixes are removed first with reason `replaced`.
   */
  create(init: BceInit, options: { replace?: boolean } = {}): BindingCacheEntry {
    checkAddress(init.proxyCoa, 'proxyCoa');
    checkLifetime(init.lifetimeMs, 'lifetimeMs');
    if (init.magLinkLocal) checkAddress(init.magLinkLocal, 'magLinkLocal');
    const { prefixes, extra: lli } = normalisePrefixes(init.prefixes, init.mnLinkLayerId);
    const s = this.store;
    for (const old of s.conflicts(prefixes, -1, options.replace === true)) {
      this.remove(s.get(old)!, 'replaced');
    }
    const e = new Bce(init, prefixes, lli, init.proxyCoa);
    e.id = s.slots.alloc(e);
    e.proxyCoa = s.peers.add(init.proxyCoa, e.id);
    if (init.magLinkLocal) e.magLinkLocal = this.internLinkLocal(init.magLinkLocal);
    s.mn.add(e.mnKey, e.id);
    s.indexPrefixes(e.id, prefixes);
    const now = s.now();
    e.registeredAt = now;
    e.expiresAt = now + e.lifetimeMs;
    s.schedule(e.id, LIFETIME_SLOT, e.expiresAt);
    this.events.emit('bce:created', e);
    return e;
  }

  /**
   * Changes an entry (an accepted re-registration, a handover to another MAG, new
   * prefixes, the owner's tunnel id …) and emits `bce:updated` with what changed. Giving
   * `lifetimeMs` restarts the lifetime and revives a `deregistering` entry (RFC 5213
   * §5.3.5). Changing the Proxy-CoA ends an `awaiting-dereg` wait (the owner accepted the
   * new MAG). `replace` as for `create`.
   */
  update(entry: BindingCacheEntry, u: BceUpdate, options: { replace?: boolean } = {}): BceChanges {
    const s = this.store;
    const e = entry as Bce;
    s.assertLive(e, 'update');
    if (u.lifetimeMs !== undefined) checkLifetime(u.lifetimeMs, 'lifetimeMs');
    if (u.proxyCoa !== undefined) checkAddress(u.proxyCoa, 'proxyCoa');
    if (u.magLinkLocal) checkAddress(u.magLinkLocal, 'magLinkLocal');
    const fields: string[] = [];
    let added: Ipv6Prefix[] = [];
    let removed: Ipv6Prefix[] = [];
    if (u.prefixes !== undefined) {
      const next = normalisePrefixes(u.prefixes).prefixes;
      added = prefixesMissing(next, e.prefixes);
      removed = prefixesMissing(e.prefixes, next);
      if (added.length > 0 || removed.length > 0) {
        for (const old of s.conflicts(added, e.id, options.replace === true)) {
          this.remove(s.get(old)!, 'replaced');
        }
        s.unindexPrefixes(e.id, removed);
        s.indexPrefixes(e.id, added);
        e.prefixes = Object.freeze(next);
        fields.push('prefixes');
      }
    }
    let previousProxyCoa: Uint8Array | null = null;
    if (u.proxyCoa !== undefined && !bytesEqual16(u.proxyCoa, e.proxyCoa)) {
      previousProxyCoa = e.proxyCoa;
      s.peers.remove(e.id);
      e.proxyCoa = s.peers.add(u.proxyCoa, e.id);
      fields.push('proxyCoa');
      if (e.state === 'awaiting-dereg') this.endWaitInternal(e);
    }
    if (u.magLinkLocal !== undefined && !bytesEqual16(u.magLinkLocal, e.magLinkLocal)) {
      if (e.magLinkLocal) this.releaseLinkLocal(e.magLinkLocal);
      e.magLinkLocal = u.magLinkLocal ? this.internLinkLocal(u.magLinkLocal) : null;
      fields.push('magLinkLocal');
    }
    if (u.mnLinkLayerId !== undefined && !bytesEqual(u.mnLinkLayerId, e.mnLinkLayerId)) {
      e.mnLinkLayerId = lliCopy(u.mnLinkLayerId);
      fields.push('mnLinkLayerId');
    }
    if (u.tunnelId !== undefined && u.tunnelId !== e.tunnelId) {
      e.tunnelId = u.tunnelId;
      fields.push('tunnelId');
    }
    if (u.accessTechnology !== undefined && u.accessTechnology !== e.accessTechnology) {
      e.accessTechnology = u.accessTechnology;
      fields.push('accessTechnology');
    }
    if (u.handoffIndicator !== undefined && u.handoffIndicator !== e.handoffIndicator) {
      e.handoffIndicator = u.handoffIndicator;
      fields.push('handoffIndicator');
    }
    if (
      u.timestamp !== undefined &&
      (u.timestamp.seconds !== e.timestampSeconds || u.timestamp.fraction !== e.timestampFraction)
    ) {
      e.timestampSeconds = u.timestamp.seconds;
      e.timestampFraction = u.timestamp.fraction;
      fields.push('timestamp');
    }
    if (u.sequence !== undefined && u.sequence !== e.sequence) {
      e.sequence = u.sequence;
      fields.push('sequence');
    }
    if (u.dgw !== undefined) {
      e.dgw = dgwInfo({ ...(e.dgw ?? {}), ...u.dgw });
      fields.push('dgw');
    }
    if (u.ext !== undefined) {
      e.ext = u.ext;
      fields.push('ext');
    }
    let revived = false;
    if (u.lifetimeMs !== undefined) {
      const now = s.now();
      e.lifetimeMs = u.lifetimeMs;
      e.registeredAt = now;
      e.expiresAt = now + u.lifetimeMs;
      if (e.state === 'deregistering') {
        e.state = 'active';
        e.deleteAt = NaN;
        revived = true;
        fields.push('state');
      }
      s.schedule(e.id, LIFETIME_SLOT, e.expiresAt);
      fields.push('lifetimeMs');
    }
    const changes: BceChanges = {
      fields,
      prefixesAdded: added,
      prefixesRemoved: removed,
      previousProxyCoa,
      lifetime: u.lifetimeMs !== undefined,
      revived,
    };
    if (fields.length > 0) this.events.emit('bce:updated', e, changes);
    return changes;
  }

  /**
   * An accepted de-registration (lifetime 0) for the entry: keep it MinDelayBeforeBCEDelete
   * longer in state `deregistering`, then remove it with reason `dereg` unless a
   * registration revives it first (RFC 5213 §5.3.5). Ends an `awaiting-dereg` wait: its
   * waiter is handed to `bce:deregistering` so the owner can now serve it. Whether the
   * de-registration may touch the entry at all (it must come from the entry's own MAG) is
   * the caller's check. A repeated call does not push the deletion back.
   */
  deregister(entry: BindingCacheEntry): void {
    const s = this.store;
    const e = entry as Bce;
    s.assertLive(e, 'deregister');
    if (e.state === 'deregistering') return;
    const waiter = e.state === 'awaiting-dereg' ? this.endWaitInternal(e) : null;
    e.state = 'deregistering';
    e.deleteAt = s.now() + this.variables.MinDelayBeforeBCEDelete;
    s.schedule(e.id, LIFETIME_SLOT, e.deleteAt);
    this.events.emit('bce:deregistering', e, waiter);
    if (this.variables.MinDelayBeforeBCEDelete === 0 && e.state === 'deregistering') {
      this.remove(e, 'dereg');
    }
  }

  /**
   * Starts MaxDelayBeforeNewBCEAssign on an `active` entry: a registration (`waiter`,
   * whatever the owner wants back) for this MN arrived from another MAG and waits for the
   * entry's MAG to de-register. Ends by `deregister` (waiter in `bce:deregistering`), by a
   * Proxy-CoA change, by `endWait`, or by the timer (`bce:wait-expired`). While waiting a
   * second call only replaces the waiter (a retransmitted PBU does not extend the wait).
   * Returns the time the wait ends.
   */
  awaitDeregistration(entry: BindingCacheEntry, waiter: unknown = null): number {
    const s = this.store;
    const e = entry as Bce;
    s.assertLive(e, 'awaitDeregistration');
    if (e.state === 'awaiting-dereg') {
      e.waiter = waiter;
      return e.waitUntil;
    }
    if (e.state !== 'active') {
      throw new DmmError(
        'DMM_ERR_BINDING_STATE',
        `awaitDeregistration: entry ${e.id} is ${e.state}, not active`,
        { id: e.id, state: e.state },
      );
    }
    e.state = 'awaiting-dereg';
    e.waiter = waiter;
    e.waitUntil = s.now() + this.variables.MaxDelayBeforeNewBCEAssign;
    s.schedule(e.id, SECOND_SLOT, e.waitUntil);
    this.events.emit('bce:waiting', e, waiter);
    return e.waitUntil;
  }

  /** Ends an `awaiting-dereg` wait without an event; returns its waiter (undefined if none). */
  endWait(entry: BindingCacheEntry): unknown {
    const e = entry as Bce;
    this.store.assertLive(e, 'endWait');
    return e.state === 'awaiting-dereg' ? this.endWaitInternal(e) : undefined;
  }

  /** Removes the entry from the cache (from any state); false if it was already gone. */
  remove(entry: BindingCacheEntry, reason: RemovalReason = 'admin'): boolean {
    const e = entry as Bce;
    if (this.store.slots.items[e.id] !== e) return false;
    this.detach(e);
    this.events.emit('bce:removed', e, reason);
    return true;
  }

  /** Removes every entry (reason `admin` unless given). */
  clear(reason: RemovalReason = 'admin'): void {
    for (const e of this.store.slots.items) if (e) this.remove(e, reason);
  }

  // ── lookups ────────────────────────────────────────────────────────────────────────

  /** Entry with slot id `id`, or undefined. */
  get(id: number): BindingCacheEntry | undefined {
    return this.store.get(id);
  }

  /** Id of the entry owning the longest prefix that holds the address at `bytes[off]`, or -1. Allocation-free. */
  lookupByAddress(bytes: Uint8Array, off: number): number {
    return this.store.prefixes.lookup(bytes, off);
  }

  /** The entry `lookupByAddress` finds, or undefined. */
  findByAddress(bytes: Uint8Array, off = 0): BindingCacheEntry | undefined {
    return this.store.get(this.store.prefixes.lookup(bytes, off));
  }

  /** Tunnel id of entry `id` (-1: none or no such entry). Allocation-free. */
  tunnelIdOf(id: number): number {
    return this.store.get(id)?.tunnelId ?? -1;
  }

  /** Id of the entry holding exactly `prefix/prefixLen`, or -1. Allocation-free. */
  lookupPrefix(prefix: Uint8Array, prefixLen: number, off = 0): number {
    return this.store.prefixes.getExact(prefix, prefixLen, off);
  }

  /** The entry holding exactly `prefix/prefixLen`, or undefined. */
  findByPrefix(prefix: Uint8Array, prefixLen: number): BindingCacheEntry | undefined {
    return this.store.get(this.store.prefixes.getExact(prefix, prefixLen));
  }

  /**
   * The most recent entry of the MN that matches `filter`: RFC 5213 §5.4.1 finds a mobility
   * session by MN-ID, MN link-layer identifier and Access Technology Type.
   */
  findByMnId(mnId: MnIdentifier, filter: BceFilter = {}): BindingCacheEntry | undefined {
    const s = this.store;
    for (let id = s.mn.first(mnIdKey(mnId)); id >= 0; id = s.mn.next(id)) {
      const e = s.get(id)!;
      if (filter.linkLayerId !== undefined && !bytesEqual(e.mnLinkLayerId, filter.linkLayerId))
        continue;
      if (filter.accessTechnology !== undefined && e.accessTechnology !== filter.accessTechnology)
        continue;
      return e;
    }
    return undefined;
  }

  /** Every entry of the MN (several interfaces, or several anchored prefixes on a D-GW), most recent first. */
  listByMnId(mnId: MnIdentifier): BindingCacheEntry[] {
    return this.store.idsOfMn(mnIdKey(mnId)).map((id) => this.store.get(id)!);
  }

  /** Number of entries whose Proxy-CoA is the address at `addr[off]` (tunnel users). Allocation-free. */
  countByProxyCoa(addr: Uint8Array, off = 0): number {
    return this.store.peers.count(addr, off);
  }

  /** The entries whose Proxy-CoA is `addr`, most recent first. */
  listByProxyCoa(addr: Uint8Array): BindingCacheEntry[] {
    return this.store.idsOfPeer(addr).map((id) => this.store.get(id)!);
  }

  /** Every Proxy-CoA in use with its number of entries. */
  proxyCoas(): { address: Uint8Array; count: number }[] {
    return this.store.peers.list();
  }

  /** Every entry, in slot order. */
  *entries(): IterableIterator<BindingCacheEntry> {
    for (const e of this.store.slots.items) if (e) yield e;
  }

  /** Sizes of every index (all 0 in an empty cache: nothing stale). */
  indexSizes(): IndexSizes {
    return this.store.indexSizes();
  }

  // ── timers ─────────────────────────────────────────────────────────────────────────

  /** Fires every timer due by `clock.now()`; returns how many fired. */
  tick(): number {
    return this.store.timers.run(this.store.now());
  }

  /** Earliest due timer (clock ms), or Infinity. */
  nextDue(): number {
    return this.store.timers.nextDue();
  }

  setWakeHandler(fn: (() => void) | null): void {
    this.store.setWakeHandler(fn);
  }

  // ── snapshots ──────────────────────────────────────────────────────────────────────

  /** Plain-JSON view of every entry for `dmmctl show bindings`. */
  snapshot(): BceSnapshot[] {
    const now = this.store.now();
    const out: BceSnapshot[] = [];
    for (const e of this.store.slots.items) if (e) out.push(bceSnapshot(e, now));
    return out;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────

  private onTimer(id: number, slot: number): void {
    const e = this.store.get(id);
    if (!e) return;
    if (slot === SECOND_SLOT) {
      if (e.state !== 'awaiting-dereg') return;
      const waiter = this.endWaitInternal(e);
      this.events.emit('bce:wait-expired', e, waiter);
      return;
    }
    if (e.state === 'deregistering') {
      this.remove(e, 'dereg');
      return;
    }
    this.detach(e);
    this.events.emit('bce:expired', e);
    this.events.emit('bce:removed', e, 'lifetime');
  }

  private endWaitInternal(e: Bce): unknown {
    const waiter = e.waiter;
    this.store.cancel(e.id, SECOND_SLOT);
    e.state = 'active';
    e.waiter = null;
    e.waitUntil = NaN;
    return waiter;
  }

  /** Takes the entry out of every index and timer and frees its slot. */
  private detach(e: Bce): void {
    const s = this.store;
    s.cancel(e.id, LIFETIME_SLOT);
    s.cancel(e.id, SECOND_SLOT);
    s.unindexPrefixes(e.id, e.prefixes);
    s.mn.remove(e.mnKey, e.id);
    s.peers.remove(e.id);
    if (e.magLinkLocal) this.releaseLinkLocal(e.magLinkLocal);
    s.slots.release(e.id);
    e.state = 'removed';
  }

  private internLinkLocal(a: Uint8Array): Uint8Array {
    const ll = this.store.linkLocals;
    return ll.get(ll.acquire(a, 0));
  }

  private releaseLinkLocal(a: Uint8Array): void {
    const ll = this.store.linkLocals;
    const i = ll.find(a, 0);
    if (i >= 0) ll.release(i);
  }
}
