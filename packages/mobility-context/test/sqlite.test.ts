/**
 * What the SQLite backend adds to the conformance suite: the file's settings (WAL, busy
 * timeout, foreign keys), the versioned schema and its migrations, one transaction per
 * change (a failure half-way leaves nothing), readers isolated from an open write
 * transaction, and a held write lock surfacing as SQLITE_BUSY after the busy timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { isDmmError } from '@dmm/core';
import {
  CONTEXT_APPLICATION_ID,
  ContextErrorCode,
  MIGRATIONS,
  SCHEMA_VERSION,
  SqliteContextStore,
  migrate,
} from '@dmm/mobility-context';
import { D1, TestClock, delegation } from '@dmm/mobility-context/conformance';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmm-context-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const MN = 'mn1@example.net';

test('a new file: WAL, NORMAL sync, foreign keys, busy timeout, our application id, schema version 1', (t) => {
  const path = join(tempDir(t), 'context.db');
  const clock = new TestClock();
  const s = new SqliteContextStore({ path, clock, busyTimeoutMs: 1234 });
  t.after(() => s.close());
  const db = s.database;
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('busy_timeout', { simple: true }), 1234);
  assert.equal(db.pragma('application_id', { simple: true }), CONTEXT_APPLICATION_ID);
  assert.equal(SCHEMA_VERSION, 1);
  assert.deepEqual(db.prepare('SELECT * FROM schema_migrations').all(), [
    { version: 1, name: MIGRATIONS[0]!.name, applied_at: clock.now() },
  ]);
  const full = new SqliteContextStore({ path, synchronous: 'full' });
  t.after(() => full.close());
  assert.equal(full.database.pragma('synchronous', { simple: true }), 2); // FULL
});

test('reopening a file keeps its data and applies no migration twice', async (t) => {
  const path = join(tempDir(t), 'context.db');
  const a = new SqliteContextStore({ path });
  await a.registerAttachment({ mnId: MN }, 'dgw1');
  await a.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64'));
  const before = await a.getContext(MN);
  await a.close();
  const b = new SqliteContextStore({ path });
  t.after(() => b.close());
  assert.deepEqual(await b.getContext(MN), before);
  assert.equal(b.database.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), 1);
  assert.deepEqual(migrate(b.database, 0), []);
});

test('a later migration is applied once, and a failing one leaves the file as it was', (t) => {
  const path = join(tempDir(t), 'context.db');
  new SqliteContextStore({ path }).close();
  const db = new Database(path);
  t.after(() => db.close());
  const v2 = [
    ...MIGRATIONS,
    { version: 2, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER) STRICT' },
  ];
  assert.deepEqual(migrate(db, 5, v2), [2]);
  assert.deepEqual(migrate(db, 6, v2), []);
  assert.equal(
    db.prepare('SELECT applied_at FROM schema_migrations WHERE version = 2').pluck().get(),
    5,
  );
  const bad = [
    ...v2,
    {
      version: 3,
      name: 'half',
      sql: 'CREATE TABLE half (x INTEGER); CREATE TABLE extra (y INTEGER)',
    },
  ];
  assert.throws(() => migrate(db, 7, bad), /already exists/);
  assert.equal(
    db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'half'`).pluck().get(),
    0,
  );
  assert.equal(db.prepare('SELECT max(version) FROM schema_migrations').pluck().get(), 2);
});

test('a file from a newer schema, a foreign database and a non-database are refused', (t) => {
  const dir = tempDir(t);
  const newer = join(dir, 'newer.db');
  new SqliteContextStore({ path: newer }).close();
  const db = new Database(newer);
  db.prepare(`INSERT INTO schema_migrations VALUES (99, 'future', 0)`).run();
  db.close();
  assert.throws(
    () => new SqliteContextStore({ path: newer }),
    (e: unknown) =>
      isDmmError(e, ContextErrorCode.Schema) &&
      /schema version 99, newer than this software's 1/.test(e.message),
  );

  const foreign = join(dir, 'foreign.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE accounts (id INTEGER)');
  f.close();
  assert.throws(
    () => new SqliteContextStore({ path: foreign }),
    (e: unknown) =>
      isDmmError(e, ContextErrorCode.Schema) && /not a mobility context store/.test(e.message),
  );

  const text = join(dir, 'text.db');
  writeFileSync(
    text,
    'this is not a database, just some text long enough to fill a header '.repeat(10),
  );
  assert.throws(() => new SqliteContextStore({ path: text }), /not a database/);
});

test('a change is one transaction: a failure half-way through a multi-row update leaves nothing', async (t) => {
  const path = join(tempDir(t), 'context.db');
  const s = new SqliteContextStore({ path });
  t.after(() => s.close());
  await s.registerAttachment({ mnId: MN }, 'dgw1');
  const version = await s.getVersion(MN);
  const feed = await s.changes(0);
  // a connection-private trigger fails the second local network row of the delegation,
  // after the prefix row and the first local network row were written
  s.database.exec(`CREATE TEMP TRIGGER fail_second BEFORE INSERT ON main.local_networks
    WHEN new.pos = 1 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  const d = delegation(D1, '2001:db8:a::/64', {
    localNetworks: [
      {
        prefix: Uint8Array.of(0x20, 1, 0x0d, 0xb8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        prefixLen: 56,
      },
      {
        prefix: Uint8Array.of(0x20, 1, 0x0d, 0xb8, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        prefixLen: 56,
      },
    ],
  });
  await assert.rejects(s.delegatePrefix(MN, d), /injected failure/);
  assert.equal(s.database.prepare('SELECT count(*) FROM prefixes').pluck().get(), 0);
  assert.equal(s.database.prepare('SELECT count(*) FROM local_networks').pluck().get(), 0);
  assert.equal(await s.getVersion(MN), version);
  assert.deepEqual(await s.changes(0), feed);
  s.database.exec('DROP TRIGGER temp.fail_second');
  assert.equal((await s.delegatePrefix(MN, d)).localNetworks.length, 2);
});

test("a reader sees the last committed state while another connection's write is open", async (t) => {
  const path = join(tempDir(t), 'context.db');
  const s = new SqliteContextStore({ path });
  t.after(() => s.close());
  await s.registerAttachment({ mnId: MN }, 'dgw1');
  const other = new Database(path);
  t.after(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  other.prepare(`UPDATE nodes SET serving_dgw = 'dgw9' WHERE mn_id = ?`).run(MN);
  assert.equal((await s.getContext(MN))!.servingDgw, null);
  other.exec('COMMIT');
  assert.equal((await s.getContext(MN))!.servingDgw, 'dgw9');
});

test('a write lock held past the busy timeout fails the change with SQLITE_BUSY, changing nothing', async (t) => {
  const path = join(tempDir(t), 'context.db');
  const s = new SqliteContextStore({ path, busyTimeoutMs: 200 });
  t.after(() => s.close());
  await s.registerAttachment({ mnId: MN }, 'dgw1');
  const version = await s.getVersion(MN);
  const other = new Database(path);
  t.after(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  const t0 = performance.now();
  await assert.rejects(
    s.setServing(MN, 'dgw1'),
    (e: unknown) => (e as { code?: string }).code === 'SQLITE_BUSY',
  );
  const waited = performance.now() - t0;
  assert.ok(waited >= 150, `gave up after ${waited.toFixed(0)} ms, before the busy timeout`);
  other.exec('ROLLBACK');
  assert.equal(await s.getVersion(MN), version);
  assert.equal((await s.setServing(MN, 'dgw1')).won, true);
});
