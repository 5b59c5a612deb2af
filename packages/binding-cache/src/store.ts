/**
 * The part the Binding Cache and the Binding Update List have in common: numbered entry
 * slots, the MN-ID / prefix / peer-address indexes and the one timer queue, kept
 * consistent with each other. Each table owns one `BindingStore` (composition) and adds
 * its own states, timers and events on top.
 *
 * Timer keys are `id * 2 + slot`: slot 0 carries the entry's lifetime (or, by state, its
 * delete delay or refresh time), slot 1 a short second timer (the LMA's wait for a
 * de-registration, the MAG's PBU retransmission).
 */
import { DmmError, Fib, type Ipv6Prefix } from '@dmm/core';
import { formatIpv6Prefix } from '@dmm/core';
import type { Clock } from './clock.js';
import { AddressGroups, AddressInterner, MnIndex, Slots } from './indexes.js';
import { TimerQueue } from './timer-queue.js';

/** What the store needs to know of an entry. */
export interface StoredEntry {
  readonly id: number;
  readonly mnKey: string;
  readonly prefixes: readonly Ipv6Prefix[];
}

export const LIFETIME_SLOT = 0;
export const SECOND_SLOT = 1;

export class BindingStore<E extends StoredEntry> {
  readonly slots = new Slots<E>();
  readonly mn = new MnIndex();
  readonly prefixes = new Fib();
  /** Peer address → entries (Proxy-CoA at the LMA, LMA address at the MAG). */
  readonly peers = new AddressGroups();
  /** Shared copies of MAG link-local addresses (one per access link, or one for all). */
  readonly linkLocals = new AddressInterner();
  readonly timers: TimerQueue;
  private wake: (() => void) | null = null;
  private readonly clock: Clock;

  constructor(clock: Clock, onTimer: (id: number, slot: number) => void) {
    this.clock = clock;
    this.timers = new TimerQueue((key) => onTimer(key >>> 1, key & 1));
  }

  now(): number {
    return this.clock.now();
  }

  get(id: number): E | undefined {
    return id >= 0 ? this.slots.items[id] : undefined;
  }

  /** Throws unless `e` is an entry of this table that still exists. */
  assertLive(e: E, what: string): void {
    if (this.slots.items[e.id] !== e) {
      throw new DmmError('DMM_ERR_BINDING_GONE', `${what}: the entry was removed`, { id: e.id });
    }
  }

  /**
   * Throws DMM_ERR_BINDING_CONFLICT if a prefix of `list` belongs to an entry other than
   * `self` (-1: none), or returns those entries' ids when `collect` is true (to replace them).
   */
  conflicts(list: readonly Ipv6Prefix[], self: number, collect: boolean): number[] {
    const found: number[] = [];
    for (const p of list) {
      const owner = this.prefixes.getExact(p.prefix, p.prefixLen);
      if (owner < 0 || owner === self) continue;
      if (!collect) {
        throw new DmmError(
          'DMM_ERR_BINDING_CONFLICT',
          `prefix ${formatIpv6Prefix(p.prefix, p.prefixLen)} is bound to another entry`,
          { prefix: formatIpv6Prefix(p.prefix, p.prefixLen), owner },
        );
      }
      if (!found.includes(owner)) found.push(owner);
    }
    return found;
  }

  indexPrefixes(id: number, list: readonly Ipv6Prefix[]): void {
    for (const p of list) this.prefixes.insert(p.prefix, p.prefixLen, id);
  }

  unindexPrefixes(id: number, list: readonly Ipv6Prefix[]): void {
    for (const p of list) {
      if (this.prefixes.getExact(p.prefix, p.prefixLen) === id)
        this.prefixes.remove(p.prefix, p.prefixLen);
    }
  }

  schedule(id: number, slot: number, due: number): void {
    const before = this.timers.nextDue();
    this.timers.schedule(id * 2 + slot, due);
    if (due < before && this.wake) this.wake();
  }

  cancel(id: number, slot: number): void {
    this.timers.cancel(id * 2 + slot);
  }

  setWakeHandler(fn: (() => void) | null): void {
    this.wake = fn;
  }

  /** Entry ids of MN key `key`, most recent first (a snapshot, so callers may remove). */
  idsOfMn(key: string): number[] {
    const ids: number[] = [];
    for (let id = this.mn.first(key); id >= 0; id = this.mn.next(id)) ids.push(id);
    return ids;
  }

  /** Entry ids sharing the peer address at `addr[off]` (a snapshot). */
  idsOfPeer(addr: Uint8Array, off = 0): number[] {
    const ids: number[] = [];
    for (let id = this.peers.first(addr, off); id >= 0; id = this.peers.next(id)) ids.push(id);
    return ids;
  }

  /** How many entries each index holds (every one is 0 for an empty table). */
  indexSizes(): IndexSizes {
    return {
      entries: this.slots.size,
      mnIds: this.mn.heads.size,
      prefixes: this.prefixes.size,
      peers: this.peers.size,
      linkLocals: this.linkLocals.size,
      timers: this.timers.size,
    };
  }
}

export interface IndexSizes {
  entries: number;
  mnIds: number;
  prefixes: number;
  /** Distinct Proxy-CoAs (cache) or LMA addresses (update list). */
  peers: number;
  /** Distinct MAG link-local addresses held. */
  linkLocals: number;
  timers: number;
}

/**
 * Validated copies of `list`: lengths 0…128, host bits cleared, no prefix twice. Host bits
 * are cleared rather than refused so that a prefix written with and without them is the
 * same binding: the indexes key on the prefix alone.
 *
 * The copies (and `extra`, the entry's link-layer id, when given) are views of one
 * ArrayBuffer: V8 spends about 200 heap bytes on each small typed array that owns its
 * buffer and about 100 on a view, so one buffer per entry is most of the difference
 * between a compact binding and a fat one (see the memory figure in the README).
 */
export function normalisePrefixes(
  list: readonly Ipv6Prefix[],
  extra?: Uint8Array,
): { prefixes: Ipv6Prefix[]; extra: Uint8Array | undefined } {
  const extraLen = extra?.length ?? 0;
  const buf = list.length + extraLen > 0 ? new ArrayBuffer(list.length * 16 + extraLen) : null;
  const out: Ipv6Prefix[] = [];
  for (let n = 0; n < list.length; n++) {
    const p = list[n]!;
    const len = p.prefixLen;
    if (!Number.isInteger(len) || len < 0 || len > 128 || !(p.prefix?.length >= 16)) {
      throw new DmmError('DMM_ERR_BINDING_INVALID', `not an IPv6 prefix: length ${len}`, {
        prefixLen: len,
      });
    }
    const b = new Uint8Array(buf!, n * 16, 16);
    for (let i = 0; i < 16; i++) {
      const keep = len - i * 8;
      const m = keep >= 8 ? 0xff : keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff;
      b[i] = p.prefix[i]! & m;
    }
    for (const q of out) {
      if (q.prefixLen === len && samePrefix(q.prefix, b)) {
        throw new DmmError(
          'DMM_ERR_BINDING_INVALID',
          `prefix ${formatIpv6Prefix(b, len)} is listed twice`,
          { prefix: formatIpv6Prefix(b, len) },
        );
      }
    }
    out.push({ prefix: b, prefixLen: len });
  }
  let extraCopy: Uint8Array | undefined;
  if (extra !== undefined && extraLen > 0) {
    extraCopy = new Uint8Array(buf!, list.length * 16, extraLen);
    extraCopy.set(extra);
  }
  return { prefixes: out, extra: extraCopy };
}

function samePrefix(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Prefixes of `a` that are not in `b`. */
export function prefixesMissing(a: readonly Ipv6Prefix[], b: readonly Ipv6Prefix[]): Ipv6Prefix[] {
  return a.filter(
    (p) => !b.some((q) => q.prefixLen === p.prefixLen && samePrefix(q.prefix, p.prefix)),
  );
}

/** A validated 16-byte address argument. */
export function checkAddress(a: Uint8Array, what: string): void {
  if (!(a instanceof Uint8Array) || a.length < 16) {
    throw new DmmError('DMM_ERR_BINDING_INVALID', `${what} must be 16 address bytes`, {
      field: what,
    });
  }
}

/** A validated lifetime in ms (> 0, finite). */
export function checkLifetime(ms: number, what: string): void {
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new DmmError(
      'DMM_ERR_BINDING_INVALID',
      `${what} must be a positive number of ms (a lifetime of 0 is a de-registration), got ${ms}`,
      { field: what, value: ms },
    );
  }
}

export function bytesEqual16(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return samePrefix(a, b);
}
