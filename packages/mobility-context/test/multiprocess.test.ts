/**
 * Several processes sharing one SQLite context file, as the dmmd processes of one host do:
 * concurrent registrations lose no update, a handover race between D-GWs in different
 * processes has exactly one compare-and-set winner, and a writer killed with SIGKILL in the
 * middle of a transaction leaves the others a consistent file.
 *
 * The worker processes are this same file run as `node multiprocess.test.js worker MODE
 * ARGS`: each opens the store, prints `ready`, waits for `go` on stdin (so that all start
 * together), works, and prints one JSON line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDmmError, parseIpv6Address, parseIpv6Prefix } from '@dmm/core';
import { SqliteContextStore, type AnchorInfo } from '@dmm/mobility-context';
import { delegation } from '@dmm/mobility-context/conformance';

const SELF = fileURLToPath(import.meta.url);

/** The anchor named `dgwId`: 2001:db8:ffff::<n> for `dgw<n>`. */
function anchor(dgwId: string): AnchorInfo {
  return {
    dgwId,
    address: parseIpv6Address(`2001:db8:ffff::${dgwId.replace(/\D/g, '') || '1'}`),
    operator: 'op-a',
  };
}

function mac(i: number): Uint8Array {
  return Uint8Array.of(0x02, 0, 0, (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

// ───────────────────────────── worker side ─────────────────────────────

interface WorkerArgs {
  path: string;
  dgwId: string;
  nodes: number;
  /** Worker number, for unique prefixes. */
  k: number;
}

async function worker(mode: string, args: WorkerArgs): Promise<void> {
  const store = new SqliteContextStore({ path: args.path, busyTimeoutMs: 30_000 });
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  console.log('ready');
  await go;
  lines.close();
  if (mode === 'register') {
    // every worker registers the same nodes and delegates one prefix of its own to each
    for (let i = 0; i < args.nodes; i++) {
      const mnId = `mn${i}@example.net`;
      await store.registerAttachment({ mnId, mac: mac(i) }, args.dgwId);
      await store.delegatePrefix(
        mnId,
        delegation(anchor(args.dgwId), `2001:db8:${args.k}:${i.toString(16)}::/64`),
      );
    }
    console.log(JSON.stringify({ done: args.nodes }));
  } else if (mode === 'race') {
    const results = [];
    for (let i = 0; i < args.nodes; i++) {
      results.push(await store.compareAndSetServing(`mn${i}@example.net`, 'dgw1', args.dgwId));
    }
    console.log(JSON.stringify(results));
  } else if (mode === 'stall') {
    // a connection-private trigger stops this process inside the delegation's transaction,
    // after the prefix row and the first local network row are written
    const db = store.database;
    db.function('stall', () => {
      writeSync(1, 'stalled\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // until killed
      return 0;
    });
    db.exec(`CREATE TEMP TRIGGER stall_here AFTER INSERT ON main.local_networks
      BEGIN SELECT stall(); END`);
    await store.delegatePrefix(
      'victim@example.net',
      delegation(anchor('dgw2'), '2001:db8:b::/64', {
        localNetworks: [
          parseIpv6Prefix('2001:db8:100::/56', true),
          parseIpv6Prefix('2001:db8:200::/56', true),
        ],
      }),
    );
    console.log('not stalled');
  } else if (mode === 'churn') {
    // multi-row changes without end, until killed
    for (let j = 0; ; j++) {
      const n = j % 50;
      const mnId = `churn${n}@example.net`;
      await store.registerAttachment({ mnId }, args.dgwId);
      await store.delegatePrefix(
        mnId,
        delegation(anchor(args.dgwId), `2001:db8:c:${n.toString(16)}::/64`, {
          localNetworks: [1, 2, 3].map((x) =>
            parseIpv6Prefix(`2001:db8:${x}${n.toString(16)}::/56`, true),
          ),
        }),
      );
      if (j % 3 === 0)
        await store.releasePrefix(parseIpv6Prefix(`2001:db8:c:${n.toString(16)}::/64`, true));
      if (j % 7 === 0) await store.compareAndSetServing(mnId, null, args.dgwId);
      if (j === 200) writeSync(1, 'busy\n');
    }
  }
  await store.close();
}

// ───────────────────────────── parent side ─────────────────────────────

class Worker {
  readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(mode: string, args: WorkerArgs) {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // a worker is not a test file of the runner
    this.child = spawn(process.execPath, [SELF, 'worker', mode, JSON.stringify(args)], {
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      this.lines.push(l);
      this.waiter?.();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** The next line printed. */
  async line(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`worker ${this.child.pid}: no output (exit ${this.child.exitCode})`);
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
      this.waiter = null;
    }
    return this.lines.shift()!;
  }

  go(): void {
    this.child.stdin!.write('go\n');
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function tempFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmm-context-mp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'context.db');
}

async function startAll(t: { after(fn: () => void): void }, workers: Worker[]): Promise<void> {
  t.after(() => workers.forEach((w) => w.kill()));
  for (const w of workers) assert.equal(await w.line(), 'ready');
  for (const w of workers) w.go();
}

/** Invariants of a context file that a torn transaction would break. */
function checkConsistent(s: SqliteContextStore, localsPerPrefix: number | null): void {
  const db = s.database;
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  // each node's version is the sequence number of its latest change (same transaction)
  const skew = db
    .prepare(
      `SELECT n.mn_id, n.version, (SELECT max(seq) FROM changes c WHERE c.mn_id = n.mn_id) AS last
       FROM nodes n WHERE n.version IS NOT (SELECT max(seq) FROM changes c WHERE c.mn_id = n.mn_id)`,
    )
    .all();
  assert.deepEqual(skew, []);
  // the feed has no hole
  const feed = db
    .prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM changes')
    .get() as {
    n: number;
    lo: number;
    hi: number;
  };
  assert.equal(feed.n, feed.hi - feed.lo + 1);
  if (localsPerPrefix !== null) {
    // every delegation wrote all its local networks or none of them
    const torn = db
      .prepare(
        `SELECT p.id, count(l.pos) AS n FROM prefixes p LEFT JOIN local_networks l ON l.prefix_id = p.id
         GROUP BY p.id HAVING n != ?`,
      )
      .all(localsPerPrefix);
    assert.deepEqual(torn, []);
  }
}

if (process.argv[2] === 'worker') {
  await worker(process.argv[3]!, JSON.parse(process.argv[4]!) as WorkerArgs);
} else {
  test(
    'four processes register the same 250 nodes at once: no update is lost',
    { timeout: 120_000 },
    async (t) => {
      const path = tempFile(t);
      new SqliteContextStore({ path }).close(); // the schema exists before the race
      const N = 250;
      const dgws = ['dgw1', 'dgw2', 'dgw3', 'dgw4'];
      const workers = dgws.map(
        (dgwId, k) => new Worker('register', { path, dgwId, nodes: N, k: k + 1 }),
      );
      await startAll(t, workers);
      for (const w of workers) assert.deepEqual(JSON.parse(await w.line()), { done: N });
      for (const w of workers) assert.deepEqual(await w.exited, { code: 0, signal: null });

      const s = new SqliteContextStore({ path });
      t.after(() => s.close());
      checkConsistent(s, 0);
      const feed = await s.changes(0, 100_000);
      assert.equal(feed.changes.length, dgws.length * N * 2);
      assert.equal(feed.lastSeq, dgws.length * N * 2);
      for (let i = 0; i < N; i++) {
        const mnId = `mn${i}@example.net`;
        const ctx = (await s.getContext(mnId))!;
        assert.deepEqual(ctx.mac, mac(i));
        assert.deepEqual(
          ctx.prefixes.map((p) => p.anchor.dgwId).sort(),
          dgws,
          `${mnId} has one prefix from each process`,
        );
        const mine = feed.changes.filter((c) => c.mnId === mnId);
        assert.equal(mine.length, dgws.length * 2);
        assert.equal(ctx.version, mine.at(-1)!.seq);
        assert.equal(
          ctx.lastAttachment!.dgwId,
          mine.filter((c) => c.kind === 'attached').at(-1)!.dgwId,
        );
      }
      // how interleaved the processes' writes were (printed, not asserted)
      let switches = 0;
      for (let i = 1; i < feed.changes.length; i++) {
        if (feed.changes[i]!.dgwId !== feed.changes[i - 1]!.dgwId) switches++;
      }
      console.log(
        `# ${feed.changes.length} changes from 4 processes, writer switched ${switches} times`,
      );
    },
  );

  test(
    'a handover race between three processes: exactly one compare-and-set wins per node',
    { timeout: 120_000 },
    async (t) => {
      const path = tempFile(t);
      const N = 200;
      const s = new SqliteContextStore({ path });
      t.after(() => s.close());
      for (let i = 0; i < N; i++) {
        const mnId = `mn${i}@example.net`;
        await s.registerAttachment({ mnId }, 'dgw1');
        await s.setServing(mnId, 'dgw1');
      }
      const setupSeq = (await s.changes(0)).lastSeq;
      const racers = ['dgw2', 'dgw3', 'dgw4'];
      const workers = racers.map((dgwId, k) => new Worker('race', { path, dgwId, nodes: N, k }));
      await startAll(t, workers);
      type R = { won: boolean; servingDgw: string; version: number };
      const results = await Promise.all(
        workers.map(async (w) => JSON.parse(await w.line()) as R[]),
      );
      const wins = new Map<string, number>();
      for (let i = 0; i < N; i++) {
        const mnId = `mn${i}@example.net`;
        const winners = racers.filter((_, k) => results[k]![i]!.won);
        assert.equal(winners.length, 1, `${mnId}: ${winners.join(', ')}`);
        const winner = winners[0]!;
        wins.set(winner, (wins.get(winner) ?? 0) + 1);
        for (const r of results)
          assert.equal(r[i]!.servingDgw, winner, `${mnId}: losers learn the winner`);
        assert.equal((await s.getContext(mnId))!.servingDgw, winner);
      }
      const serving = (await s.changes(setupSeq, 100_000)).changes;
      assert.equal(serving.length, N, 'one serving change per node');
      assert.ok(serving.every((c) => c.kind === 'serving'));
      console.log(`# wins per process: ${JSON.stringify(Object.fromEntries(wins))}`);
    },
  );

  test(
    'a writer killed with SIGKILL inside a transaction: the others read and write a consistent file',
    { timeout: 60_000 },
    async (t) => {
      const path = tempFile(t);
      const s = new SqliteContextStore({ path, busyTimeoutMs: 100 });
      t.after(() => s.close());
      await s.registerAttachment({ mnId: 'victim@example.net' }, 'dgw1');
      await s.delegatePrefix('victim@example.net', delegation(anchor('dgw1'), '2001:db8:a::/64'));
      const before = await s.getContext('victim@example.net');
      const feed = await s.changes(0);

      const w = new Worker('stall', { path, dgwId: 'dgw2', nodes: 0, k: 0 });
      await startAll(t, [w]);
      assert.equal(await w.line(), 'stalled');
      // the writer holds the write lock with half its rows written
      assert.deepEqual(await s.getContext('victim@example.net'), before);
      await assert.rejects(
        s.setServing('victim@example.net', 'dgw1'),
        (e: unknown) => (e as { code?: string }).code === 'SQLITE_BUSY',
      );
      w.kill();
      assert.deepEqual(await w.exited, { code: null, signal: 'SIGKILL' });

      assert.deepEqual(await s.getContext('victim@example.net'), before);
      assert.deepEqual(await s.changes(0), feed);
      assert.equal(await s.findPrefix(parseIpv6Prefix('2001:db8:b::/64', true)), null);
      assert.equal(s.database.prepare('SELECT count(*) FROM local_networks').pluck().get(), 0);
      assert.equal(
        (await s.setServing('victim@example.net', 'dgw1')).won,
        true,
        'the lock is free again',
      );
      const fresh = new SqliteContextStore({ path });
      t.after(() => fresh.close());
      checkConsistent(fresh, 0);
    },
  );

  test(
    'writers killed at random moments of a stream of multi-row changes leave no torn change',
    { timeout: 120_000 },
    async (t) => {
      const path = tempFile(t);
      new SqliteContextStore({ path }).close();
      for (let round = 0; round < 5; round++) {
        const w = new Worker('churn', { path, dgwId: `dgw${round + 1}`, nodes: 0, k: round });
        await startAll(t, [w]);
        assert.equal(await w.line(), 'busy');
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
        w.kill();
        assert.equal((await w.exited).signal, 'SIGKILL');
        const s = new SqliteContextStore({ path });
        checkConsistent(s, 3);
        const n = (await s.changes(0, 100_000)).lastSeq;
        console.log(`# round ${round}: killed after change ${n}`);
        await s.close();
      }
      // and the file still takes changes
      const s = new SqliteContextStore({ path });
      t.after(() => s.close());
      await s.registerAttachment({ mnId: 'after@example.net' }, 'dgw9');
      await assert.rejects(
        s.delegatePrefix('nobody@example.net', delegation(anchor('dgw9'), '2001:db8:9::/64')),
        (e: unknown) => isDmmError(e),
      );
    },
  );
}
