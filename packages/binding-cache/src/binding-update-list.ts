/**
 * The MAG's Binding Update List (RFC 5213 §6.1 on top of RFC 6275 §11.1): one entry per
 * mobility session the MAG registered with an LMA (on a D-GW: one per anchoring D-GW per
 * mobile node), with the PBU bookkeeping the pmip package needs (max sequence number
 * sent, time of the last PBU, retransmission attempts and timeout) and three timers on the
 * one queue: the refresh point (a fraction of the granted lifetime, `bul:refresh-due`),
 * the expiry, and the next retransmission (`bul:retransmit-due`). The pmip package sends
 * the PBUs and computes the back-off (RFC 5213 §6.9.4, RFC 6275 §11.8); this table only
 * keeps the fields and fires the timers.
 *
 *            create()           registered()            refresh point      expiry
 *   ──────────▶ pending ──────────▶ active ── bul:refresh-due ──▶ … ──▶ removed ('lifetime')
 *                  │                  │ pbuSent({lifetimeMs: 0})
 *                  └──────────────────┴──────▶ deregistering ── remove(e, 'dereg') ─▶ removed
 *
 * The lifetime counts from the time the accepted PBU was sent, not from when its PBA
 * arrived, so the MAG never believes in a binding the LMA has already dropped.
 */
import { EventEmitter } from 'eventemitter3';
import type { Ipv6Prefix } from '@dmm/core';
import type { Clock } from './clock.js';
import { monotonicClock } from './clock.js';
import { dgwInfo, type DgwBindingInfo } from './dgw.js';
import { NO_LINK_LAYER_ID, bytesEqual, copyMnId, mnIdKey, type MnIdentifier } from './identity.js';
import type { RemovalReason } from './binding-cache.js';
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
import { bulSnapshot, type BulSnapshot } from './snapshot.js';

export type BulState = 'pending' | 'active' | 'deregistering' | 'removed';

/** A Binding Update List entry as the rest of the router reads it. */
export interface BindingUpdateListEntry {
  readonly id: number;
  readonly state: BulState;
  readonly mnId: MnIdentifier;
  readonly mnKey: string;
  /** MN link-layer identifier (RFC 5213 §8.6); empty when unknown. */
  readonly mnLinkLayerId: Uint8Array;
  /** Home network prefixes (empty until the LMA assigns them). */
  readonly prefixes: readonly Ipv6Prefix[];
  /** The MAG's link-local address on the access link, or null. */
  readonly magLinkLocal: Uint8Array | null;
  /** The LMA (on a D-GW: the anchoring D-GW) address (shared bytes: never write into them). */
  readonly lmaAddress: Uint8Array;
  /** Interface index of the MN's access link (RFC 5213 §6.1 "access link id"). */
  readonly accessIfIndex: number;
  /** The owner's tunnel id for the MAG–LMA tunnel, or -1. */
  readonly tunnelId: number;
  readonly accessTechnology: number;
  readonly handoffIndicator: number;
  /** Lifetime asked for in PBUs, ms. */
  readonly requestedLifetimeMs: number;
  /** Lifetime the last accepted PBA granted, ms (0 before). */
  readonly grantedLifetimeMs: number;
  /** Highest sequence number sent (RFC 6275 §11.1). */
  readonly sequence: number;
  /** Clock time the last PBU was sent, NaN before the first. */
  readonly lastPbuAt: number;
  /** PBUs sent in the current exchange (1 = no retransmission yet), 0 when none is open. */
  readonly attempts: number;
  /** Current retransmission timeout, ms (0 when none is open). */
  readonly retransmitTimeoutMs: number;
  /** Clock time of the next retransmission, NaN when none is scheduled. */
  readonly retransmitAt: number;
  /** Send time of the PBU that the last accepted PBA answered; NaN before. */
  readonly registeredAt: number;
  /** When `bul:refresh-due` fires (NaN: none scheduled). */
  readonly refreshAt: number;
  /** When the granted lifetime runs out (NaN before registration). */
  readonly expiresAt: number;
  readonly dgw: DgwBindingInfo | null;
  readonly ext: Readonly<Record<string, unknown>> | null;
}

export interface BulInit {
  mnId: MnIdentifier;
  mnLinkLayerId?: Uint8Array;
  prefixes?: readonly Ipv6Prefix[];
  magLinkLocal?: Uint8Array | null;
  lmaAddress: Uint8Array;
  accessIfIndex: number;
  requestedLifetimeMs: number;
  tunnelId?: number;
  accessTechnology?: number;
  handoffIndicator?: number;
  dgw?: Partial<DgwBindingInfo>;
  ext?: Record<string, unknown>;
}

export type BulUpdate = Partial<Omit<BulInit, 'mnId'>>;

export interface BulChanges {
  readonly fields: readonly string[];
  readonly prefixesAdded: readonly Ipv6Prefix[];
  readonly prefixesRemoved: readonly Ipv6Prefix[];
  /** The LMA address before it changed, else null. */
  readonly previousLmaAddress: Uint8Array | null;
  /** A registration was accepted and the lifetime restarted. */
  readonly lifetime: boolean;
}

/** What a PBU the MAG just sent carried. */
export interface PbuSent {
  sequence: number;
  /** Lifetime asked for (ms); 0 is a de-registration. Default: the entry's requested lifetime. */
  lifetimeMs?: number;
  /** Schedule `bul:retransmit-due` this many ms from now; absent: no retransmission. */
  retransmitAfterMs?: number;
  /** This PBU repeats the previous one of the same exchange (counts an attempt). */
  retransmission?: boolean;
}

export type BindingUpdateListEvents = {
  'bul:created': [entry: BindingUpdateListEntry];
  'bul:updated': [entry: BindingUpdateListEntry, changes: BulChanges];
  /** Time to send the refreshing PBU (RefreshLifetimeFraction of the granted lifetime). */
  'bul:refresh-due': [entry: BindingUpdateListEntry];
  /** The retransmission timeout ran out without a PBA. */
  'bul:retransmit-due': [entry: BindingUpdateListEntry];
  /** A de-registration PBU went out. */
  'bul:deregistering': [entry: BindingUpdateListEntry];
  /** The granted lifetime ran out (followed by `bul:removed` with reason `lifetime`). */
  'bul:expired': [entry: BindingUpdateListEntry];
  'bul:removed': [entry: BindingUpdateListEntry, reason: RemovalReason];
};

export interface BulFilter {
  linkLayerId?: Uint8Array;
  lmaAddress?: Uint8Array;
}

export interface BindingUpdateListOptions {
  clock?: Clock;
  /** RFC 5213 §9 variables; only RefreshLifetimeFraction matters here. */
  variables?: Partial<PmipVariables>;
}

class Bul implements BindingUpdateListEntry {
  id = -1;
  state: BulState = 'pending';
  mnId: MnIdentifier;
  mnKey: string;
  mnLinkLayerId: Uint8Array;
  prefixes: readonly Ipv6Prefix[];
  magLinkLocal: Uint8Array | null = null;
  lmaAddress: Uint8Array;
  accessIfIndex: number;
  tunnelId: number;
  accessTechnology: number;
  handoffIndicator: number;
  requestedLifetimeMs: number;
  grantedLifetimeMs = 0;
  sequence = 0;
  lastPbuAt = NaN;
  attempts = 0;
  retransmitTimeoutMs = 0;
  retransmitAt = NaN;
  registeredAt = NaN;
  refreshAt = NaN;
  expiresAt = NaN;
  dgw: DgwBindingInfo | null;
  ext: Record<string, unknown> | null;

  constructor(init: BulInit, prefixes: Ipv6Prefix[], lli: Uint8Array | undefined) {
    this.mnId = copyMnId(init.mnId);
    this.mnKey = mnIdKey(init.mnId);
    this.mnLinkLayerId = lli ?? NO_LINK_LAYER_ID;
    this.prefixes = Object.freeze(prefixes);
    this.lmaAddress = init.lmaAddress;
    this.accessIfIndex = init.accessIfIndex;
    this.tunnelId = init.tunnelId ?? -1;
    this.accessTechnology = init.accessTechnology ?? 0;
    this.handoffIndicator = init.handoffIndicator ?? 0;
    this.requestedLifetimeMs = init.requestedLifetimeMs;
    this.dgw = init.dgw ? dgwInfo(init.dgw) : null;
    this.ext = init.ext ?? null;
  }
}

function lliCopy(lli: Uint8Array | undefined): Uint8Array {
  return lli === undefined || lli.length === 0 ? NO_LINK_LAYER_ID : Uint8Array.from(lli);
}

export class BindingUpdateList {
  readonly events = new EventEmitter<BindingUpdateListEvents>();
  readonly clock: Clock;
  readonly variables: PmipVariables;
  private readonly store: BindingStore<Bul>;

  constructor(options: BindingUpdateListOptions = {}) {
    this.clock = options.clock ?? monotonicClock;
    this.variables = pmipVariables(options.variables);
    this.store = new BindingStore<Bul>(this.clock, (id, slot) => this.onTimer(id, slot));
  }

  get size(): number {
    return this.store.slots.size;
  }

  // ── create / update / state changes ────────────────────────────────────────────────

  /** Creates a `pending` entry (before the first PBU). Prefixes as for the cache's `create`. */
  create(init: BulInit, options: { replace?: boolean } = {}): BindingUpdateListEntry {
    checkAddress(init.lmaAddress, 'lmaAddress');
    checkLifetime(init.requestedLifetimeMs, 'requestedLifetimeMs');
    if (init.magLinkLocal) checkAddress(init.magLinkLocal, 'magLinkLocal');
    const { prefixes, extra: lli } = normalisePrefixes(init.prefixes ?? [], init.mnLinkLayerId);
    const s = this.store;
    for (const old of s.conflicts(prefixes, -1, options.replace === true)) {
      this.remove(s.get(old)!, 'replaced');
    }
    const e = new Bul(init, prefixes, lli);
    e.id = s.slots.alloc(e);
    e.lmaAddress = s.peers.add(init.lmaAddress, e.id);
    if (init.magLinkLocal) e.magLinkLocal = this.internLinkLocal(init.magLinkLocal);
    s.mn.add(e.mnKey, e.id);
    s.indexPrefixes(e.id, prefixes);
    this.events.emit('bul:created', e);
    return e;
  }

  /**
   * Records a PBU the MAG sent (no event: this is bookkeeping once per PBU). A lifetime of
   * 0 is a de-registration: the entry goes to `deregistering`, its refresh and expiry
   * stop, and `bul:deregistering` fires.
   */
  pbuSent(entry: BindingUpdateListEntry, pbu: PbuSent): void {
    const s = this.store;
    const e = entry as Bul;
    s.assertLive(e, 'pbuSent');
    const now = s.now();
    e.sequence = pbu.sequence & 0xffff;
    e.lastPbuAt = now;
    e.attempts = pbu.retransmission === true ? e.attempts + 1 : 1;
    if (pbu.retransmitAfterMs !== undefined) {
      e.retransmitTimeoutMs = pbu.retransmitAfterMs;
      e.retransmitAt = now + pbu.retransmitAfterMs;
      s.schedule(e.id, SECOND_SLOT, e.retransmitAt);
    } else {
      this.stopRetransmit(e);
    }
    if (pbu.lifetimeMs === 0 && e.state !== 'deregistering') {
      e.state = 'deregistering';
      s.cancel(e.id, LIFETIME_SLOT);
      e.refreshAt = NaN;
      this.events.emit('bul:deregistering', e);
    }
  }

  /**
   * The LMA accepted the last PBU with `grantedLifetimeMs` (> 0): the entry becomes
   * `active`, the retransmission stops, and refresh and expiry are scheduled from the send
   * time of that PBU. `u` carries what the PBA assigned (prefixes, …). Emits `bul:updated`.
   */
  registered(
    entry: BindingUpdateListEntry,
    grantedLifetimeMs: number,
    u: BulUpdate = {},
    options: { replace?: boolean } = {},
  ): BulChanges {
    const s = this.store;
    const e = entry as Bul;
    s.assertLive(e, 'registered');
    checkLifetime(grantedLifetimeMs, 'grantedLifetimeMs');
    const fields: string[] = [];
    if (e.state !== 'active') {
      e.state = 'active';
      fields.push('state');
    }
    this.stopRetransmit(e);
    e.attempts = 0;
    const from = Number.isNaN(e.lastPbuAt) ? s.now() : e.lastPbuAt;
    e.grantedLifetimeMs = grantedLifetimeMs;
    e.registeredAt = from;
    e.expiresAt = from + grantedLifetimeMs;
    const fraction = this.variables.RefreshLifetimeFraction;
    if (fraction < 1) {
      e.refreshAt = from + grantedLifetimeMs * fraction;
      s.schedule(e.id, LIFETIME_SLOT, e.refreshAt);
    } else {
      e.refreshAt = NaN;
      s.schedule(e.id, LIFETIME_SLOT, e.expiresAt);
    }
    fields.push('grantedLifetimeMs');
    return this.applyUpdate(e, u, options, fields, true);
  }

  /** Changes fields (prefixes, LMA address, tunnel id, DLIF data …); emits `bul:updated`. */
  update(
    entry: BindingUpdateListEntry,
    u: BulUpdate,
    options: { replace?: boolean } = {},
  ): BulChanges {
    const e = entry as Bul;
    this.store.assertLive(e, 'update');
    return this.applyUpdate(e, u, options, [], false);
  }

  /** Stops a scheduled retransmission (e.g. the owner gave up). */
  cancelRetransmit(entry: BindingUpdateListEntry): void {
    const e = entry as Bul;
    this.store.assertLive(e, 'cancelRetransmit');
    this.stopRetransmit(e);
  }

  /** Removes the entry (from any state); false if it was already gone. */
  remove(entry: BindingUpdateListEntry, reason: RemovalReason = 'admin'): boolean {
    const e = entry as Bul;
    if (this.store.slots.items[e.id] !== e) return false;
    this.detach(e);
    this.events.emit('bul:removed', e, reason);
    return true;
  }

  clear(reason: RemovalReason = 'admin'): void {
    for (const e of this.store.slots.items) if (e) this.remove(e, reason);
  }

  // ── lookups ────────────────────────────────────────────────────────────────────────

  get(id: number): BindingUpdateListEntry | undefined {
    return this.store.get(id);
  }

  /** Id of the entry owning the longest prefix holding the address at `bytes[off]`, or -1. Allocation-free. */
  lookupByAddress(bytes: Uint8Array, off: number): number {
    return this.store.prefixes.lookup(bytes, off);
  }

  findByAddress(bytes: Uint8Array, off = 0): BindingUpdateListEntry | undefined {
    return this.store.get(this.store.prefixes.lookup(bytes, off));
  }

  /** Tunnel id of entry `id` (-1: none or no such entry). Allocation-free. */
  tunnelIdOf(id: number): number {
    return this.store.get(id)?.tunnelId ?? -1;
  }

  lookupPrefix(prefix: Uint8Array, prefixLen: number, off = 0): number {
    return this.store.prefixes.getExact(prefix, prefixLen, off);
  }

  findByPrefix(prefix: Uint8Array, prefixLen: number): BindingUpdateListEntry | undefined {
    return this.store.get(this.store.prefixes.getExact(prefix, prefixLen));
  }

  /** The most recent entry of the MN matching `filter` (link-layer id, LMA address). */
  findByMnId(mnId: MnIdentifier, filter: BulFilter = {}): BindingUpdateListEntry | undefined {
    const s = this.store;
    for (let id = s.mn.first(mnIdKey(mnId)); id >= 0; id = s.mn.next(id)) {
      const e = s.get(id)!;
      if (filter.linkLayerId !== undefined && !bytesEqual(e.mnLinkLayerId, filter.linkLayerId))
        continue;
      if (filter.lmaAddress !== undefined && !bytesEqual16(e.lmaAddress, filter.lmaAddress))
        continue;
      return e;
    }
    return undefined;
  }

  listByMnId(mnId: MnIdentifier): BindingUpdateListEntry[] {
    return this.store.idsOfMn(mnIdKey(mnId)).map((id) => this.store.get(id)!);
  }

  /** Entries registered with the LMA at `addr[off]` (tunnel users). Allocation-free. */
  countByLma(addr: Uint8Array, off = 0): number {
    return this.store.peers.count(addr, off);
  }

  listByLma(addr: Uint8Array): BindingUpdateListEntry[] {
    return this.store.idsOfPeer(addr).map((id) => this.store.get(id)!);
  }

  /** Every LMA address in use with its number of entries. */
  lmaAddresses(): { address: Uint8Array; count: number }[] {
    return this.store.peers.list();
  }

  *entries(): IterableIterator<BindingUpdateListEntry> {
    for (const e of this.store.slots.items) if (e) yield e;
  }

  indexSizes(): IndexSizes {
    return this.store.indexSizes();
  }

  // ── timers ─────────────────────────────────────────────────────────────────────────

  tick(): number {
    return this.store.timers.run(this.store.now());
  }

  nextDue(): number {
    return this.store.timers.nextDue();
  }

  setWakeHandler(fn: (() => void) | null): void {
    this.store.setWakeHandler(fn);
  }

  snapshot(): BulSnapshot[] {
    const now = this.store.now();
    const out: BulSnapshot[] = [];
    for (const e of this.store.slots.items) if (e) out.push(bulSnapshot(e, now));
    return out;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────

  private applyUpdate(
    e: Bul,
    u: BulUpdate,
    options: { replace?: boolean },
    fields: string[],
    lifetime: boolean,
  ): BulChanges {
    const s = this.store;
    if (u.lmaAddress !== undefined) checkAddress(u.lmaAddress, 'lmaAddress');
    if (u.magLinkLocal) checkAddress(u.magLinkLocal, 'magLinkLocal');
    if (u.requestedLifetimeMs !== undefined)
      checkLifetime(u.requestedLifetimeMs, 'requestedLifetimeMs');
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
    let previousLmaAddress: Uint8Array | null = null;
    if (u.lmaAddress !== undefined && !bytesEqual16(u.lmaAddress, e.lmaAddress)) {
      previousLmaAddress = e.lmaAddress;
      s.peers.remove(e.id);
      e.lmaAddress = s.peers.add(u.lmaAddress, e.id);
      fields.push('lmaAddress');
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
    if (u.accessIfIndex !== undefined && u.accessIfIndex !== e.accessIfIndex) {
      e.accessIfIndex = u.accessIfIndex;
      fields.push('accessIfIndex');
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
    if (u.requestedLifetimeMs !== undefined && u.requestedLifetimeMs !== e.requestedLifetimeMs) {
      e.requestedLifetimeMs = u.requestedLifetimeMs;
      fields.push('requestedLifetimeMs');
    }
    if (u.dgw !== undefined) {
      e.dgw = dgwInfo({ ...(e.dgw ?? {}), ...u.dgw });
      fields.push('dgw');
    }
    if (u.ext !== undefined) {
      e.ext = u.ext;
      fields.push('ext');
    }
    const changes: BulChanges = {
      fields,
      prefixesAdded: added,
      prefixesRemoved: removed,
      previousLmaAddress,
      lifetime,
    };
    if (fields.length > 0) this.events.emit('bul:updated', e, changes);
    return changes;
  }

  private onTimer(id: number, slot: number): void {
    const e = this.store.get(id);
    if (!e) return;
    if (slot === SECOND_SLOT) {
      e.retransmitAt = NaN;
      this.events.emit('bul:retransmit-due', e);
      return;
    }
    if (!Number.isNaN(e.refreshAt) && e.expiresAt > e.refreshAt && this.store.now() < e.expiresAt) {
      // the refresh point: the expiry is the next thing this slot waits for
      e.refreshAt = NaN;
      this.store.schedule(e.id, LIFETIME_SLOT, e.expiresAt);
      this.events.emit('bul:refresh-due', e);
      return;
    }
    this.detach(e);
    this.events.emit('bul:expired', e);
    this.events.emit('bul:removed', e, 'lifetime');
  }

  private stopRetransmit(e: Bul): void {
    this.store.cancel(e.id, SECOND_SLOT);
    e.retransmitAt = NaN;
    e.retransmitTimeoutMs = 0;
  }

  private detach(e: Bul): void {
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
