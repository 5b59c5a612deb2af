/**
 * The SQLite backend of the mobility context store (draft-bernardos-dmm-distributed-anchoring
 * §3–§4.2): one file shared by every dmmd process of a host.
 *
 * - WAL journal: readers never block the writer nor each other, and a reader sees the last
 *   committed state, never half a change.
 * - Every change runs in one IMMEDIATE transaction (the write lock is taken at BEGIN, so two
 *   processes never both read, then both write: the compare-and-set of the serving D-GW
 *   and the prefix conflict checks are decided under the lock). A process killed in the
 *   middle leaves nothing of its transaction behind.
 * - A busy timeout: a process waits for another's write lock instead of failing.
 * - Statements are prepared once per handle.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Ipv6Prefix } from '@dmm/core';
import {
  closedError,
  ContextError,
  ContextErrorCode,
  macConflict,
  notTheAnchor,
  prefixTaken,
  unknownNode,
} from './errors.js';
import { migrate } from './sqlite-schema.js';
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
  PrefixState,
  ReleaseReason,
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
} from './validate.js';

export interface SqliteContextStoreOptions extends ContextStoreOptions {
  /** The database file (created when missing), shared by the processes of a host. */
  readonly path: string;
  /** How long to wait for another process's write lock before failing (ms, default 5000). */
  readonly busyTimeoutMs?: number;
  /**
   * `normal` (default): a committed change survives a process crash, and the file stays
   * consistent on power loss (the last changes may be lost). `full`: changes also survive
   * power loss, at one fsync per change.
   */
  readonly synchronous?: 'normal' | 'full';
}

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

interface NodeRow {
  mn_id: string;
  mac: Buffer | null;
  serving_dgw: string | null;
  serving_since: number | null;
  last_dgw: string | null;
  last_attached_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

interface PrefixRow {
  id: number;
  prefix: Buffer;
  prefix_len: number;
  mn_id: string;
  anchor_dgw: string;
  anchor_address: Buffer;
  operator: string;
  dlif_mac: Buffer;
  dlif_link_local: Buffer;
  state: PrefixState;
  delegated_at: number;
  lifetime_ms: number | null;
  expires_at: number | null;
  released_at: number | null;
  release_reason: ReleaseReason | null;
}

interface LocalRow {
  prefix_id: number;
  prefix: Buffer;
  prefix_len: number;
}

interface ChangeRow {
  seq: number;
  mn_id: string;
  kind: ChangeKind;
  dgw: string | null;
  prefix: Buffer | null;
  prefix_len: number | null;
  at: number;
}

/** better-sqlite3, loaded on first use so that the memory backend works without it. */
function openDatabase(path: string, timeout: number): Database {
  let Ctor: typeof BetterSqlite3;
  try {
    Ctor = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    return new Ctor(path, { timeout });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/better_sqlite3\.node|bindings/i.test(msg)) {
      throw new ContextError(
        ContextErrorCode.Schema,
        `better-sqlite3's native binding is not built (run \`pnpm build\`): ${msg}`,
        { path },
        { cause: e },
      );
    }
    throw e;
  }
}

const PREFIX_COLUMNS = `id, prefix, prefix_len, mn_id, anchor_dgw, anchor_address, operator,
  dlif_mac, dlif_link_local, state, delegated_at, lifetime_ms, expires_at, released_at,
  release_reason`;

export class SqliteContextStore implements MobilityContextStore {
  readonly backend = 'sqlite';
  readonly path: string;
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly releasedRetentionMs: number;
  private readonly idleNodeRetentionMs: number;
  private readonly changeRetentionMs: number;
  private closed = false;
  private readonly s: Record<string, Statement>;

  constructor(options: SqliteContextStoreOptions) {
    this.path = options.path;
    this.clock = options.clock ?? systemClock;
    this.releasedRetentionMs = options.releasedRetentionMs ?? CONTEXT_DEFAULTS.releasedRetentionMs;
    this.idleNodeRetentionMs = options.idleNodeRetentionMs ?? CONTEXT_DEFAULTS.idleNodeRetentionMs;
    this.changeRetentionMs = options.changeRetentionMs ?? CONTEXT_DEFAULTS.changeRetentionMs;
    const db = openDatabase(options.path, options.busyTimeoutMs ?? 5000);
    this.db = db;
    try {
      // WAL is a property of the file: the first process sets it, later ones find it set
      const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
      if (mode !== 'wal' && !db.memory) {
        throw new ContextError(
          ContextErrorCode.Schema,
          `${options.path}: SQLite refused WAL mode (journal mode ${mode}); is it on a network file system?`,
          { path: options.path, mode },
        );
      }
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      migrate(db, this.clock.now());
      this.s = this.prepare();
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** The underlying connection (diagnostics, tests). */
  get database(): Database {
    return this.db;
  }

  private prepare(): Record<string, Statement> {
    const db = this.db;
    const p = (sql: string) => db.prepare(sql);
    return {
      node: p('SELECT * FROM nodes WHERE mn_id = ?'),
      version: p('SELECT version FROM nodes WHERE mn_id = ?').pluck(),
      byMac: p('SELECT mn_id FROM nodes WHERE mac = ?').pluck(),
      insertNode: p(`INSERT INTO nodes (mn_id, version, created_at, updated_at)
        VALUES (?, 0, ?, ?)`),
      setMac: p('UPDATE nodes SET mac = ? WHERE mn_id = ?'),
      setAttached: p('UPDATE nodes SET last_dgw = ?, last_attached_at = ? WHERE mn_id = ?'),
      setServing: p('UPDATE nodes SET serving_dgw = ?, serving_since = ? WHERE mn_id = ?'),
      touchNode: p('UPDATE nodes SET version = ?, updated_at = ? WHERE mn_id = ?'),
      deleteNode: p('DELETE FROM nodes WHERE mn_id = ?'),
      servedBy: p('SELECT mn_id FROM nodes WHERE serving_dgw = ? ORDER BY mn_id').pluck(),

      nodePrefixes: p(`SELECT ${PREFIX_COLUMNS} FROM prefixes
        WHERE mn_id = ? AND (state = 'active' OR ?)
        ORDER BY delegated_at, prefix, prefix_len`),
      nodeLocals: p(`SELECT l.prefix_id, l.prefix, l.prefix_len FROM local_networks l
        JOIN prefixes p ON p.id = l.prefix_id
        WHERE p.mn_id = ? AND (p.state = 'active' OR ?) ORDER BY l.prefix_id, l.pos`),
      anchorPrefixes: p(`SELECT ${PREFIX_COLUMNS} FROM prefixes
        WHERE anchor_dgw = ? AND (state = 'active' OR ?)
        ORDER BY mn_id, delegated_at, prefix, prefix_len`),
      anchorLocals: p(`SELECT l.prefix_id, l.prefix, l.prefix_len FROM local_networks l
        JOIN prefixes p ON p.id = l.prefix_id
        WHERE p.anchor_dgw = ? AND (p.state = 'active' OR ?) ORDER BY l.prefix_id, l.pos`),
      prefix: p(`SELECT ${PREFIX_COLUMNS} FROM prefixes WHERE prefix = ? AND prefix_len = ?`),
      prefixLocals: p(`SELECT prefix_id, prefix, prefix_len FROM local_networks
        WHERE prefix_id = ? ORDER BY pos`),
      insertPrefix: p(`INSERT INTO prefixes (prefix, prefix_len, mn_id, anchor_dgw,
        anchor_address, operator, dlif_mac, dlif_link_local, state, delegated_at, lifetime_ms,
        expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`),
      updatePrefix: p(`UPDATE prefixes SET anchor_dgw = ?, anchor_address = ?, operator = ?,
        dlif_mac = ?, dlif_link_local = ?, state = 'active', delegated_at = ?, lifetime_ms = ?,
        expires_at = ?, released_at = NULL, release_reason = NULL WHERE id = ?`),
      renewPrefix: p('UPDATE prefixes SET lifetime_ms = ?, expires_at = ? WHERE id = ?'),
      releasePrefix: p(`UPDATE prefixes SET state = 'released', released_at = ?,
        release_reason = ? WHERE id = ?`),
      deletePrefix: p('DELETE FROM prefixes WHERE id = ?'),
      deleteLocals: p('DELETE FROM local_networks WHERE prefix_id = ?'),
      insertLocal: p('INSERT INTO local_networks VALUES (?, ?, ?, ?)'),

      dueExpiry: p(`SELECT id, mn_id, anchor_dgw, prefix, prefix_len FROM prefixes
        WHERE state = 'active' AND expires_at <= ? ORDER BY mn_id, prefix, prefix_len`),
      duePurge: p(`SELECT id, mn_id, anchor_dgw, prefix, prefix_len FROM prefixes
        WHERE state = 'released' AND released_at <= ? ORDER BY mn_id, prefix, prefix_len`),
      idleNodes: p(`SELECT mn_id FROM nodes n WHERE updated_at <= ?
        AND NOT EXISTS (SELECT 1 FROM prefixes p WHERE p.mn_id = n.mn_id) ORDER BY mn_id`).pluck(),

      insertChange: p(`INSERT INTO changes (mn_id, kind, dgw, prefix, prefix_len, at)
        VALUES (?, ?, ?, ?, ?, ?)`),
      changesAfter: p('SELECT * FROM changes WHERE seq > ? ORDER BY seq LIMIT ?'),
      firstSeq: p('SELECT min(seq) FROM changes').pluck(),
      lastSeq: p(`SELECT seq FROM sqlite_sequence WHERE name = 'changes'`).pluck(),
      trimChanges: p(`DELETE FROM changes
        WHERE seq <= (SELECT max(seq) FROM changes WHERE at <= ?)`),
    };
  }

  async registerAttachment(node: NodeIdentity, dgwId: string): Promise<NodeContext> {
    this.open();
    const mnId = checkMnId(node?.mnId);
    const mac = node.mac === undefined ? undefined : checkMac(node.mac);
    checkName('a D-GW id', dgwId);
    return this.write(() => {
      const s = this.s;
      if (mac) {
        const holder = s.byMac!.get(mac) as string | undefined;
        if (holder !== undefined && holder !== mnId) throw macConflict(mac, holder);
      }
      const now = this.clock.now();
      if (!s.node!.get(mnId)) s.insertNode!.run(mnId, now, now);
      if (mac) s.setMac!.run(mac, mnId);
      s.setAttached!.run(dgwId, now, mnId);
      this.change(mnId, 'attached', dgwId, null, now);
      return this.contextOf(mnId)!;
    });
  }

  async getContext(mnId: string): Promise<NodeContext | null> {
    this.open();
    checkMnId(mnId);
    return this.read(() => this.contextOf(mnId));
  }

  async getVersion(mnId: string): Promise<number | null> {
    this.open();
    return (this.s.version!.get(checkMnId(mnId)) as number | undefined) ?? null;
  }

  async findNodeByMac(mac: Uint8Array): Promise<string | null> {
    this.open();
    return (this.s.byMac!.get(checkMac(mac)) as string | undefined) ?? null;
  }

  async listPrefixes(mnId: string, options: ListOptions = {}): Promise<PrefixRecord[]> {
    this.open();
    checkMnId(mnId);
    const all = options.includeReleased ? 1 : 0;
    return this.read(() =>
      this.records(
        this.s.nodePrefixes!.all(mnId, all) as PrefixRow[],
        this.s.nodeLocals!.all(mnId, all) as LocalRow[],
      ),
    );
  }

  async findPrefix(prefix: Ipv6Prefix): Promise<PrefixRecord | null> {
    this.open();
    const p = checkPrefix('a prefix', prefix);
    return this.read(() => this.recordAt(p));
  }

  async listAnchoredBy(dgwId: string, options: ListOptions = {}): Promise<PrefixRecord[]> {
    this.open();
    checkName('a D-GW id', dgwId);
    const all = options.includeReleased ? 1 : 0;
    return this.read(() =>
      this.records(
        this.s.anchorPrefixes!.all(dgwId, all) as PrefixRow[],
        this.s.anchorLocals!.all(dgwId, all) as LocalRow[],
      ),
    );
  }

  async listServedBy(dgwId: string): Promise<string[]> {
    this.open();
    checkName('a D-GW id', dgwId);
    return this.s.servedBy!.all(dgwId) as string[];
  }

  async delegatePrefix(mnId: string, delegation: PrefixDelegation): Promise<PrefixRecord> {
    this.open();
    checkMnId(mnId);
    const del = checkDelegation(delegation);
    const { prefix, prefixLen } = del.prefix;
    return this.write(() => {
      const s = this.s;
      if (!s.node!.get(mnId)) throw unknownNode(mnId);
      const old = s.prefix!.get(prefix, prefixLen) as PrefixRow | undefined;
      if (old && old.mn_id !== mnId && old.state === 'active')
        throw prefixTaken(del.prefix, old.mn_id);
      const now = this.clock.now();
      const lifetime = del.lifetimeMs === Infinity ? null : del.lifetimeMs;
      const expires = lifetime === null ? null : now + lifetime;
      const a = del.anchor;
      let id: number;
      if (old && old.mn_id === mnId) {
        const start = old.state === 'active' ? old.delegated_at : now;
        s.updatePrefix!.run(
          a.dgwId,
          a.address,
          a.operator,
          del.dlifMac,
          del.dlifLinkLocal,
          start,
          lifetime,
          expires,
          old.id,
        );
        s.deleteLocals!.run(old.id);
        id = old.id;
      } else {
        if (old) {
          // a prefix another node released: its old record goes before the new delegation
          s.deletePrefix!.run(old.id);
          this.change(old.mn_id, 'purged', old.anchor_dgw, del.prefix, now);
        }
        id = Number(
          s.insertPrefix!.run(
            prefix,
            prefixLen,
            mnId,
            a.dgwId,
            a.address,
            a.operator,
            del.dlifMac,
            del.dlifLinkLocal,
            now,
            lifetime,
            expires,
          ).lastInsertRowid,
        );
      }
      del.localNetworks.forEach((l, pos) => s.insertLocal!.run(id, pos, l.prefix, l.prefixLen));
      this.change(mnId, 'delegated', a.dgwId, del.prefix, now);
      return this.recordAt(del.prefix)!;
    });
  }

  async renewPrefix(prefix: Ipv6Prefix, lifetimeMs: number): Promise<PrefixRecord | null> {
    this.open();
    const p = checkPrefix('a prefix', prefix);
    const lifetime = checkLifetime(lifetimeMs);
    return this.write(() => {
      const r = this.s.prefix!.get(p.prefix, p.prefixLen) as PrefixRow | undefined;
      if (!r || r.state !== 'active') return null;
      const now = this.clock.now();
      const finite = lifetime === Infinity ? null : lifetime;
      this.s.renewPrefix!.run(finite, finite === null ? null : now + finite, r.id);
      this.change(r.mn_id, 'renewed', r.anchor_dgw, p, now);
      return this.recordAt(p);
    });
  }

  async releasePrefix(
    prefix: Ipv6Prefix,
    options: { readonly anchorDgw?: string } = {},
  ): Promise<PrefixRecord | null> {
    this.open();
    const p = checkPrefix('a prefix', prefix);
    if (options.anchorDgw !== undefined) checkName('a D-GW id', options.anchorDgw);
    return this.write(() => {
      const r = this.s.prefix!.get(p.prefix, p.prefixLen) as PrefixRow | undefined;
      if (!r || r.state !== 'active') return null;
      if (options.anchorDgw !== undefined && r.anchor_dgw !== options.anchorDgw) {
        throw notTheAnchor(p, r.anchor_dgw, options.anchorDgw);
      }
      const now = this.clock.now();
      this.s.releasePrefix!.run(now, 'released', r.id);
      this.change(r.mn_id, 'released', r.anchor_dgw, p, now);
      return this.recordAt(p);
    });
  }

  async setServing(mnId: string, dgwId: string | null): Promise<ServingResult> {
    this.open();
    checkMnId(mnId);
    if (dgwId !== null) checkName('a D-GW id', dgwId);
    return this.write(() => {
      const n = this.s.node!.get(mnId) as NodeRow | undefined;
      if (!n) throw unknownNode(mnId);
      if (n.serving_dgw === dgwId) return { won: true, servingDgw: dgwId, version: n.version };
      return { won: true, servingDgw: dgwId, version: this.serve(mnId, dgwId) };
    });
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
    const v = options.expectedVersion;
    // decided under the write lock taken at BEGIN IMMEDIATE: no other process can change
    // the node between this read and the update
    return this.write(() => {
      const n = this.s.node!.get(mnId) as NodeRow | undefined;
      if (!n) throw unknownNode(mnId);
      if (n.serving_dgw !== expected || (v !== undefined && n.version !== v)) {
        return { won: false, servingDgw: n.serving_dgw, version: n.version };
      }
      if (n.serving_dgw === next) return { won: true, servingDgw: next, version: n.version };
      return { won: true, servingDgw: next, version: this.serve(mnId, next) };
    });
  }

  async removeNode(mnId: string): Promise<boolean> {
    this.open();
    checkMnId(mnId);
    return this.write(() => {
      if (!this.s.node!.get(mnId)) return false;
      this.dropNode(mnId, this.clock.now());
      return true;
    });
  }

  async expire(): Promise<ExpiryReport> {
    this.open();
    return this.write(() => {
      const s = this.s;
      const now = this.clock.now();
      type Due = Pick<PrefixRow, 'id' | 'mn_id' | 'anchor_dgw' | 'prefix' | 'prefix_len'>;
      const expired = s.dueExpiry!.all(now) as Due[];
      for (const r of expired) {
        s.releasePrefix!.run(now, 'expired', r.id);
        this.change(
          r.mn_id,
          'expired',
          r.anchor_dgw,
          { prefix: r.prefix, prefixLen: r.prefix_len },
          now,
        );
      }
      const purged = s.duePurge!.all(now - this.releasedRetentionMs) as Due[];
      for (const r of purged) {
        s.deletePrefix!.run(r.id);
        this.change(
          r.mn_id,
          'purged',
          r.anchor_dgw,
          { prefix: r.prefix, prefixLen: r.prefix_len },
          now,
        );
      }
      const idle = s.idleNodes!.all(now - this.idleNodeRetentionMs) as string[];
      for (const mnId of idle) this.dropNode(mnId, now);
      const trimmed = s.trimChanges!.run(now - this.changeRetentionMs).changes;
      return {
        expiredPrefixes: expired.length,
        purgedPrefixes: purged.length,
        removedNodes: idle.length,
        trimmedChanges: trimmed,
      };
    });
  }

  async changes(
    afterSeq: number,
    limit: number = CONTEXT_DEFAULTS.changeBatchLimit,
  ): Promise<ChangeBatch> {
    this.open();
    checkChangeQuery(afterSeq, limit);
    return this.read(() => {
      const s = this.s;
      const lastSeq = (s.lastSeq!.get() as number | undefined) ?? 0;
      const first = (s.firstSeq!.get() as number | null) ?? lastSeq + 1;
      const rows = s.changesAfter!.all(afterSeq, limit) as ChangeRow[];
      return {
        changes: rows.map((r): ContextChange => ({
          seq: r.seq,
          mnId: r.mn_id,
          kind: r.kind,
          dgwId: r.dgw,
          prefix: r.prefix ? { prefix: new Uint8Array(r.prefix), prefixLen: r.prefix_len! } : null,
          at: r.at,
        })),
        lastSeq,
        missed: afterSeq < first - 1,
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private open(): void {
    if (this.closed) throw closedError();
  }

  /** Runs `fn` in one IMMEDIATE transaction (rolled back if it throws). */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Runs `fn` in one read transaction: every statement sees the same snapshot. */
  private read<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /** Appends to the feed; the node's version becomes the new sequence number. */
  private change(
    mnId: string,
    kind: ChangeKind,
    dgwId: string | null,
    prefix: Ipv6Prefix | null,
    now: number,
  ): number {
    const seq = Number(
      this.s.insertChange!.run(
        mnId,
        kind,
        dgwId,
        prefix?.prefix ?? null,
        prefix?.prefixLen ?? null,
        now,
      ).lastInsertRowid,
    );
    this.s.touchNode!.run(seq, now, mnId);
    return seq;
  }

  private serve(mnId: string, dgwId: string | null): number {
    const now = this.clock.now();
    this.s.setServing!.run(dgwId, dgwId === null ? null : now, mnId);
    return this.change(mnId, 'serving', dgwId, null, now);
  }

  private dropNode(mnId: string, now: number): void {
    // local networks and prefixes go with the node (ON DELETE CASCADE)
    this.s.deleteNode!.run(mnId);
    this.change(mnId, 'removed', null, null, now);
  }

  private contextOf(mnId: string): NodeContext | null {
    const n = this.s.node!.get(mnId) as NodeRow | undefined;
    if (!n) return null;
    return {
      mnId: n.mn_id,
      mac: n.mac ? new Uint8Array(n.mac) : null,
      servingDgw: n.serving_dgw,
      servingSince: n.serving_since,
      lastAttachment: n.last_dgw === null ? null : { dgwId: n.last_dgw, at: n.last_attached_at! },
      version: n.version,
      createdAt: n.created_at,
      updatedAt: n.updated_at,
      prefixes: this.records(
        this.s.nodePrefixes!.all(mnId, 0) as PrefixRow[],
        this.s.nodeLocals!.all(mnId, 0) as LocalRow[],
      ),
    };
  }

  private recordAt(p: Ipv6Prefix): PrefixRecord | null {
    const r = this.s.prefix!.get(p.prefix, p.prefixLen) as PrefixRow | undefined;
    if (!r) return null;
    return this.records([r], this.s.prefixLocals!.all(r.id) as LocalRow[])[0]!;
  }

  private records(rows: PrefixRow[], locals: LocalRow[]): PrefixRecord[] {
    const byId = new Map<number, Ipv6Prefix[]>();
    for (const l of locals) {
      let list = byId.get(l.prefix_id);
      if (!list) byId.set(l.prefix_id, (list = []));
      list.push({ prefix: new Uint8Array(l.prefix), prefixLen: l.prefix_len });
    }
    return rows.map((r) => ({
      mnId: r.mn_id,
      prefix: new Uint8Array(r.prefix),
      prefixLen: r.prefix_len,
      anchor: {
        dgwId: r.anchor_dgw,
        address: new Uint8Array(r.anchor_address),
        operator: r.operator,
      },
      dlifMac: new Uint8Array(r.dlif_mac),
      dlifLinkLocal: new Uint8Array(r.dlif_link_local),
      localNetworks: byId.get(r.id) ?? [],
      state: r.state,
      delegatedAt: r.delegated_at,
      lifetimeMs: r.lifetime_ms ?? Infinity,
      expiresAt: r.expires_at ?? Infinity,
      releasedAt: r.released_at,
      releaseReason: r.release_reason,
    }));
  }
}
