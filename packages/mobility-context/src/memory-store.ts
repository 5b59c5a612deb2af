/**
 * The in-process backend of the mobility context store (draft-bernardos-dmm-distributed-
 * anchoring §3–§4.2). Every method runs to completion without yielding, so each is atomic
 * for every handle in the process. Several handles can share one `MemoryContextData` — the
 * D-GWs of an in-process scenario, each with its own store handle, see one context, just as
 * several routers on one host share one SQLite file.
 */
import type { Ipv6Prefix } from '@dmm/core';
import { closedError, macConflict, notTheAnchor, prefixTaken, unknownNode } from './errors.js';
import type {
  ChangeBatch,
  ChangeKind,
  Clock,
  ContextChange,
  ContextStoreOptions,
  ExpiryReport,
  ListOptions,
  MobilityContextStore,
  NodeContext,
  NodeIdentity,
  PrefixDelegation,
  PrefixRecord,
  ServingResult,
} from './types.js';
import { CONTEXT_DEFAULTS, systemClock } from './types.js';
import {
  checkChangeQuery,
  checkDelegation,
  checkLifetime,
  checkMac,
  checkMnId,
  checkName,
  checkPrefix,
  compareBytes,
  comparePrefixRecords,
  compareText,
  copyPrefix,
  copyRecord,
  prefixKey,
} from './validate.js';

interface MemNode {
  mnId: string;
  mac: Uint8Array | null;
  servingDgw: string | null;
  servingSince: number | null;
  lastAttachment: { dgwId: string; at: number } | null;
  version: number;
  createdAt: number;
  updatedAt: number;
  /** Keys (`prefixKey`) of the node's prefix records, active and released. */
  prefixes: Set<string>;
}

type MutableRecord = { -readonly [K in keyof PrefixRecord]: PrefixRecord[K] };

/** The state behind one or more `MemoryContextStore` handles. */
export class MemoryContextData {
  readonly nodes = new Map<string, MemNode>();
  /** MAC (hex) → MN-ID. */
  readonly byMac = new Map<string, string>();
  /** `prefixKey` → record. */
  readonly prefixes = new Map<string, MutableRecord>();
  /** The change feed, ascending and contiguous. */
  changes: ContextChange[] = [];
  /** The last sequence number assigned. */
  seq = 0;
}

function macKey(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface MemoryContextStoreOptions extends ContextStoreOptions {
  /** Shared state; a new, private one by default. */
  readonly data?: MemoryContextData;
}

export class MemoryContextStore implements MobilityContextStore {
  readonly backend = 'memory';
  readonly data: MemoryContextData;
  private readonly clock: Clock;
  private readonly releasedRetentionMs: number;
  private readonly idleNodeRetentionMs: number;
  private readonly changeRetentionMs: number;
  private closed = false;

  constructor(options: MemoryContextStoreOptions = {}) {
    this.data = options.data ?? new MemoryContextData();
    this.clock = options.clock ?? systemClock;
    this.releasedRetentionMs = options.releasedRetentionMs ?? CONTEXT_DEFAULTS.releasedRetentionMs;
    this.idleNodeRetentionMs = options.idleNodeRetentionMs ?? CONTEXT_DEFAULTS.idleNodeRetentionMs;
    this.changeRetentionMs = options.changeRetentionMs ?? CONTEXT_DEFAULTS.changeRetentionMs;
  }

  async registerAttachment(node: NodeIdentity, dgwId: string): Promise<NodeContext> {
    this.open();
    const mnId = checkMnId(node?.mnId);
    const mac = node.mac === undefined ? undefined : checkMac(node.mac);
    checkName('a D-GW id', dgwId);
    const d = this.data;
    if (mac) {
      const holder = d.byMac.get(macKey(mac));
      if (holder !== undefined && holder !== mnId) throw macConflict(mac, holder);
    }
    const now = this.clock.now();
    let n = d.nodes.get(mnId);
    if (!n) {
      n = {
        mnId,
        mac: null,
        servingDgw: null,
        servingSince: null,
        lastAttachment: null,
        version: 0,
        createdAt: now,
        updatedAt: now,
        prefixes: new Set(),
      };
      d.nodes.set(mnId, n);
    }
    if (mac) {
      if (n.mac) d.byMac.delete(macKey(n.mac));
      n.mac = mac;
      d.byMac.set(macKey(mac), mnId);
    }
    n.lastAttachment = { dgwId, at: now };
    this.change(mnId, 'attached', dgwId, null, now);
    return this.contextOf(n);
  }

  async getContext(mnId: string): Promise<NodeContext | null> {
    this.open();
    const n = this.data.nodes.get(checkMnId(mnId));
    return n ? this.contextOf(n) : null;
  }

  async getVersion(mnId: string): Promise<number | null> {
    this.open();
    return this.data.nodes.get(checkMnId(mnId))?.version ?? null;
  }

  async findNodeByMac(mac: Uint8Array): Promise<string | null> {
    this.open();
    return this.data.byMac.get(macKey(checkMac(mac))) ?? null;
  }

  async listPrefixes(mnId: string, options: ListOptions = {}): Promise<PrefixRecord[]> {
    this.open();
    const n = this.data.nodes.get(checkMnId(mnId));
    return n ? this.recordsOf(n, options.includeReleased ?? false) : [];
  }

  async findPrefix(prefix: Ipv6Prefix): Promise<PrefixRecord | null> {
    this.open();
    const p = checkPrefix('a prefix', prefix);
    const r = this.data.prefixes.get(prefixKey(p.prefix, p.prefixLen));
    return r ? copyRecord(r) : null;
  }

  async listAnchoredBy(dgwId: string, options: ListOptions = {}): Promise<PrefixRecord[]> {
    this.open();
    checkName('a D-GW id', dgwId);
    const all = options.includeReleased ?? false;
    const out: PrefixRecord[] = [];
    for (const r of this.data.prefixes.values()) {
      if (r.anchor.dgwId === dgwId && (all || r.state === 'active')) out.push(copyRecord(r));
    }
    return out.sort((a, b) => compareText(a.mnId, b.mnId) || comparePrefixRecords(a, b));
  }

  async listServedBy(dgwId: string): Promise<string[]> {
    this.open();
    checkName('a D-GW id', dgwId);
    const out: string[] = [];
    for (const n of this.data.nodes.values()) if (n.servingDgw === dgwId) out.push(n.mnId);
    return out.sort(compareText);
  }

  async delegatePrefix(mnId: string, delegation: PrefixDelegation): Promise<PrefixRecord> {
    this.open();
    checkMnId(mnId);
    const del = checkDelegation(delegation);
    const d = this.data;
    const n = d.nodes.get(mnId);
    if (!n) throw unknownNode(mnId);
    const key = prefixKey(del.prefix.prefix, del.prefix.prefixLen);
    const old = d.prefixes.get(key);
    if (old && old.mnId !== mnId && old.state === 'active') throw prefixTaken(del.prefix, old.mnId);
    const now = this.clock.now();
    if (old && old.mnId !== mnId) {
      // a prefix another node released: its old record goes before the new delegation
      d.prefixes.delete(key);
      d.nodes.get(old.mnId)?.prefixes.delete(key);
      this.change(old.mnId, 'purged', old.anchor.dgwId, del.prefix, now);
    }
    const keepStart = old !== undefined && old.mnId === mnId && old.state === 'active';
    const r: MutableRecord = {
      mnId,
      prefix: del.prefix.prefix,
      prefixLen: del.prefix.prefixLen,
      anchor: del.anchor,
      dlifMac: del.dlifMac,
      dlifLinkLocal: del.dlifLinkLocal,
      localNetworks: del.localNetworks,
      state: 'active',
      delegatedAt: keepStart ? old.delegatedAt : now,
      lifetimeMs: del.lifetimeMs,
      expiresAt: now + del.lifetimeMs,
      releasedAt: null,
      releaseReason: null,
    };
    d.prefixes.set(key, r);
    n.prefixes.add(key);
    this.change(mnId, 'delegated', r.anchor.dgwId, del.prefix, now);
    return copyRecord(r);
  }

  async renewPrefix(prefix: Ipv6Prefix, lifetimeMs: number): Promise<PrefixRecord | null> {
    this.open();
    const p = checkPrefix('a prefix', prefix);
    const lifetime = checkLifetime(lifetimeMs);
    const r = this.data.prefixes.get(prefixKey(p.prefix, p.prefixLen));
    if (!r || r.state !== 'active') return null;
    const now = this.clock.now();
    r.lifetimeMs = lifetime;
    r.expiresAt = now + lifetime;
    this.change(r.mnId, 'renewed', r.anchor.dgwId, p, now);
    return copyRecord(r);
  }

  async releasePrefix(
    prefix: Ipv6Prefix,
    options: { readonly anchorDgw?: string } = {},
  ): Promise<PrefixRecord | null> {
    this.open();
    const p = checkPrefix('a prefix', prefix);
    if (options.anchorDgw !== undefined) checkName('a D-GW id', options.anchorDgw);
    const r = this.data.prefixes.get(prefixKey(p.prefix, p.prefixLen));
    if (!r || r.state !== 'active') return null;
    if (options.anchorDgw !== undefined && r.anchor.dgwId !== options.anchorDgw) {
      throw notTheAnchor(p, r.anchor.dgwId, options.anchorDgw);
    }
    const now = this.clock.now();
    r.state = 'released';
    r.releasedAt = now;
    r.releaseReason = 'released';
    this.change(r.mnId, 'released', r.anchor.dgwId, p, now);
    return copyRecord(r);
  }

  async setServing(mnId: string, dgwId: string | null): Promise<ServingResult> {
    this.open();
    checkMnId(mnId);
    if (dgwId !== null) checkName('a D-GW id', dgwId);
    const n = this.data.nodes.get(mnId);
    if (!n) throw unknownNode(mnId);
    if (n.servingDgw !== dgwId) this.serve(n, dgwId);
    return { won: true, servingDgw: n.servingDgw, version: n.version };
  }

  async compareAndSetServing(
    mnId: string,
    expected: string | null,
    next: string | null,
    options: { readonly expectedVersion?: number } = {},
  ): Promise<ServingResult> {
    this.open();
    checkMnId(mnId);
    if (expected !== null) checkName('a D-GW id', expected);
    if (next !== null) checkName('a D-GW id', next);
    const n = this.data.nodes.get(mnId);
    if (!n) throw unknownNode(mnId);
    const v = options.expectedVersion;
    if (n.servingDgw !== expected || (v !== undefined && n.version !== v)) {
      return { won: false, servingDgw: n.servingDgw, version: n.version };
    }
    if (n.servingDgw !== next) this.serve(n, next);
    return { won: true, servingDgw: n.servingDgw, version: n.version };
  }

  async removeNode(mnId: string): Promise<boolean> {
    this.open();
    const n = this.data.nodes.get(checkMnId(mnId));
    if (!n) return false;
    this.dropNode(n, this.clock.now());
    return true;
  }

  async expire(): Promise<ExpiryReport> {
    this.open();
    const d = this.data;
    const now = this.clock.now();
    // one order for the change feed in every backend: MN-ID, prefix bytes, length
    const ordered = [...d.prefixes.entries()].sort(
      ([, a], [, b]) =>
        compareText(a.mnId, b.mnId) ||
        compareBytes(a.prefix, b.prefix) ||
        a.prefixLen - b.prefixLen,
    );
    let expiredPrefixes = 0;
    for (const [, r] of ordered) {
      if (r.state === 'active' && r.expiresAt <= now) {
        r.state = 'released';
        r.releasedAt = now;
        r.releaseReason = 'expired';
        this.change(r.mnId, 'expired', r.anchor.dgwId, r, now);
        expiredPrefixes++;
      }
    }
    let purgedPrefixes = 0;
    for (const [key, r] of ordered) {
      if (r.state === 'released' && r.releasedAt! + this.releasedRetentionMs <= now) {
        d.prefixes.delete(key);
        d.nodes.get(r.mnId)?.prefixes.delete(key);
        this.change(r.mnId, 'purged', r.anchor.dgwId, r, now);
        purgedPrefixes++;
      }
    }
    let removedNodes = 0;
    const idle = [...d.nodes.values()]
      .filter((n) => n.prefixes.size === 0 && n.updatedAt + this.idleNodeRetentionMs <= now)
      .sort((a, b) => compareText(a.mnId, b.mnId));
    for (const n of idle) {
      this.dropNode(n, now);
      removedNodes++;
    }
    // trim a prefix of the feed (never a hole, even if the wall clock stepped back)
    let cut = -1;
    for (let i = 0; i < d.changes.length; i++) {
      if (d.changes[i]!.at + this.changeRetentionMs <= now) cut = i;
    }
    d.changes.splice(0, cut + 1);
    return { expiredPrefixes, purgedPrefixes, removedNodes, trimmedChanges: cut + 1 };
  }

  async changes(
    afterSeq: number,
    limit: number = CONTEXT_DEFAULTS.changeBatchLimit,
  ): Promise<ChangeBatch> {
    this.open();
    checkChangeQuery(afterSeq, limit);
    const d = this.data;
    const first = d.changes[0]?.seq ?? d.seq + 1;
    const out: ContextChange[] = [];
    let i = Math.max(0, afterSeq + 1 - first);
    for (; i < d.changes.length && out.length < limit; i++) out.push(copyChange(d.changes[i]!));
    return { changes: out, lastSeq: d.seq, missed: afterSeq < first - 1 };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private open(): void {
    if (this.closed) throw closedError();
  }

  private serve(n: MemNode, dgwId: string | null): void {
    const now = this.clock.now();
    n.servingDgw = dgwId;
    n.servingSince = dgwId === null ? null : now;
    this.change(n.mnId, 'serving', dgwId, null, now);
  }

  private dropNode(n: MemNode, now: number): void {
    const d = this.data;
    for (const key of n.prefixes) d.prefixes.delete(key);
    if (n.mac) d.byMac.delete(macKey(n.mac));
    d.nodes.delete(n.mnId);
    this.change(n.mnId, 'removed', null, null, now);
  }

  /** Appends to the feed; the node's version becomes the new sequence number. */
  private change(
    mnId: string,
    kind: ChangeKind,
    dgwId: string | null,
    prefix: Ipv6Prefix | null,
    now: number,
  ): void {
    const d = this.data;
    const seq = ++d.seq;
    d.changes.push({ seq, mnId, kind, dgwId, prefix: prefix ? copyPrefix(prefix) : null, at: now });
    const n = d.nodes.get(mnId);
    if (n) {
      n.version = seq;
      n.updatedAt = now;
    }
  }

  private recordsOf(n: MemNode, includeReleased: boolean): PrefixRecord[] {
    const out: PrefixRecord[] = [];
    for (const key of n.prefixes) {
      const r = this.data.prefixes.get(key)!;
      if (includeReleased || r.state === 'active') out.push(copyRecord(r));
    }
    return out.sort(comparePrefixRecords);
  }

  private contextOf(n: MemNode): NodeContext {
    return {
      mnId: n.mnId,
      mac: n.mac ? new Uint8Array(n.mac) : null,
      servingDgw: n.servingDgw,
      servingSince: n.servingSince,
      lastAttachment: n.lastAttachment ? { ...n.lastAttachment } : null,
      version: n.version,
      createdAt: n.createdAt,
      updatedAt: n.updatedAt,
      prefixes: this.recordsOf(n, false),
    };
  }
}

function copyChange(c: ContextChange): ContextChange {
  return { ...c, prefix: c.prefix ? copyPrefix(c.prefix) : null };
}
