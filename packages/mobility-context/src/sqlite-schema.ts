/**
 * The SQLite schema of the mobility context store (draft-bernardos-dmm-distributed-anchoring
 * §3–§4.2: nodes, the prefixes anchored for them, the anchors' DLIF parameters and local
 * networks) and its migrations.
 *
 *   nodes 1 ── n prefixes 1 ── n local_networks        changes (the feed, seq AUTOINCREMENT)
 *                                                      schema_migrations (applied versions)
 *
 * A migration is applied once per file, in one IMMEDIATE transaction with its row in
 * `schema_migrations`, so two processes opening a new file at the same moment apply it once:
 * the second waits for the first's write lock and then finds the row. A file whose newest
 * migration is unknown to this code was written by a newer version and is refused.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ContextError, ContextErrorCode } from './errors.js';

/** `PRAGMA application_id` of our files: "DMMC". */
export const CONTEXT_APPLICATION_ID = 0x444d4d43;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'nodes, prefixes, local networks, change feed',
    sql: `
      CREATE TABLE nodes (
        mn_id            TEXT    NOT NULL PRIMARY KEY,
        mac              BLOB    UNIQUE CHECK (mac IS NULL OR length(mac) = 6),
        serving_dgw      TEXT,
        serving_since    INTEGER,
        last_dgw         TEXT,
        last_attached_at INTEGER,
        version          INTEGER NOT NULL,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX nodes_by_serving ON nodes (serving_dgw) WHERE serving_dgw IS NOT NULL;
      CREATE INDEX nodes_idle ON nodes (updated_at);

      CREATE TABLE prefixes (
        id              INTEGER NOT NULL PRIMARY KEY,
        prefix          BLOB    NOT NULL CHECK (length(prefix) = 16),
        prefix_len      INTEGER NOT NULL CHECK (prefix_len BETWEEN 1 AND 128),
        mn_id           TEXT    NOT NULL REFERENCES nodes (mn_id) ON DELETE CASCADE,
        anchor_dgw      TEXT    NOT NULL,
        anchor_address  BLOB    NOT NULL CHECK (length(anchor_address) = 16),
        operator        TEXT    NOT NULL,
        dlif_mac        BLOB    NOT NULL,
        dlif_link_local BLOB    NOT NULL CHECK (length(dlif_link_local) = 16),
        state           TEXT    NOT NULL CHECK (state IN ('active', 'released')),
        delegated_at    INTEGER NOT NULL,
        lifetime_ms     INTEGER,
        expires_at      INTEGER,
        released_at     INTEGER,
        release_reason  TEXT    CHECK (release_reason IN ('released', 'expired')),
        UNIQUE (prefix, prefix_len)
      ) STRICT;
      CREATE INDEX prefixes_by_node ON prefixes (mn_id, delegated_at, prefix, prefix_len);
      CREATE INDEX prefixes_by_anchor ON prefixes (anchor_dgw, mn_id);
      CREATE INDEX prefixes_expiry ON prefixes (expires_at)
        WHERE state = 'active' AND expires_at IS NOT NULL;
      CREATE INDEX prefixes_released ON prefixes (released_at) WHERE state = 'released';

      CREATE TABLE local_networks (
        prefix_id  INTEGER NOT NULL REFERENCES prefixes (id) ON DELETE CASCADE,
        pos        INTEGER NOT NULL,
        prefix     BLOB    NOT NULL CHECK (length(prefix) = 16),
        prefix_len INTEGER NOT NULL CHECK (prefix_len BETWEEN 1 AND 128),
        PRIMARY KEY (prefix_id, pos)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE changes (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        mn_id      TEXT    NOT NULL,
        kind       TEXT    NOT NULL,
        dgw        TEXT,
        prefix     BLOB,
        prefix_len INTEGER,
        at         INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX changes_by_at ON changes (at);
    `,
  },
];

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the file to `SCHEMA_VERSION`; returns the versions applied now (empty when it was
 * up to date). Throws `DMM_ERR_CONTEXT_SCHEMA` for a foreign or newer file.
 */
export function migrate(
  db: BetterSqlite3.Database,
  now: number,
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  const applied: number[] = [];
  db.transaction(() => {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
      .pluck()
      .all() as string[];
    if (appId !== CONTEXT_APPLICATION_ID && (appId !== 0 || tables.length > 0)) {
      throw new ContextError(
        ContextErrorCode.Schema,
        `${db.name} is not a mobility context store (application_id ${appId}, tables ${tables.join(', ') || 'none'})`,
        { path: db.name, applicationId: appId },
      );
    }
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER NOT NULL PRIMARY KEY,
      name       TEXT    NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT`);
    db.pragma(`application_id = ${CONTEXT_APPLICATION_ID}`);
    const current =
      (db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ??
      0;
    const known = migrations[migrations.length - 1]?.version ?? 0;
    if (current > known) {
      throw new ContextError(
        ContextErrorCode.Schema,
        `${db.name} has schema version ${current}, newer than this software's ${known}`,
        { path: db.name, version: current, known },
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, now);
      applied.push(m.version);
    }
  }).immediate();
  return applied;
}
