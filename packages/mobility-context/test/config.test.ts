/**
 * The config schema (`backend: memory | sqlite`, path, timeouts, retention), the factory
 * that opens the store it describes, named in-process sharing of the memory backend, and
 * the expiry sweep driven by a host's interval timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryContextStore,
  SqliteContextStore,
  contextStoreConfigSchema,
  dropSharedMemoryContext,
  openContextStore,
  startExpirySweep,
  type MobilityContextStore,
} from '@dmm/mobility-context';
import { D1, TestClock, delegation } from '@dmm/mobility-context/conformance';

test('defaults of both backends', () => {
  assert.deepEqual(contextStoreConfigSchema.parse({ backend: 'memory' }), {
    backend: 'memory',
    releasedRetentionMs: 600_000,
    idleNodeRetentionMs: 600_000,
    changeRetentionMs: 600_000,
    sweepIntervalMs: 10_000,
  });
  assert.deepEqual(
    contextStoreConfigSchema.parse({ backend: 'sqlite', path: '/var/lib/dmm/context.db' }),
    {
      backend: 'sqlite',
      path: '/var/lib/dmm/context.db',
      busyTimeoutMs: 5000,
      synchronous: 'normal',
      releasedRetentionMs: 600_000,
      idleNodeRetentionMs: 600_000,
      changeRetentionMs: 600_000,
      sweepIntervalMs: 10_000,
    },
  );
});

test('bad configs are refused with the key at fault', () => {
  const issues = (v: unknown) =>
    (contextStoreConfigSchema.safeParse(v).error?.issues ?? []).map(
      (i) => `${i.path.join('.')}: ${i.code}`,
    );
  assert.deepEqual(issues({ backend: 'sqlite' }), ['path: invalid_type']);
  assert.deepEqual(issues({ backend: 'sqlite', path: '' }), ['path: too_small']);
  assert.deepEqual(issues({ backend: 'redis' }), ['backend: invalid_union']);
  assert.deepEqual(issues({ backend: 'memory', path: '/x' }), [': unrecognized_keys']);
  assert.deepEqual(issues({ backend: 'sqlite', path: '/x', busyTimeoutMs: -1 }), [
    'busyTimeoutMs: too_small',
  ]);
  assert.deepEqual(issues({ backend: 'sqlite', path: '/x', synchronous: 'off' }), [
    'synchronous: invalid_value',
  ]);
  assert.deepEqual(issues({ backend: 'memory', sweepIntervalMs: 1.5 }), [
    'sweepIntervalMs: invalid_type',
  ]);
});

test('the factory opens the backend the config names, with its retention and clock', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dmm-context-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new TestClock();
  const sq = await openContextStore(
    {
      backend: 'sqlite',
      path: join(dir, 'c.db'),
      busyTimeoutMs: 777,
      synchronous: 'full',
      releasedRetentionMs: 5,
    },
    { clock },
  );
  t.after(() => sq.close());
  assert.ok(sq instanceof SqliteContextStore);
  assert.equal(sq.backend, 'sqlite');
  assert.equal(sq.database.pragma('busy_timeout', { simple: true }), 777);
  assert.equal(sq.database.pragma('synchronous', { simple: true }), 2);
  const mem = await openContextStore({ backend: 'memory', releasedRetentionMs: 5 }, { clock });
  assert.ok(mem instanceof MemoryContextStore);
  for (const s of [sq, mem]) {
    const ctx = await s.registerAttachment({ mnId: 'mn1@example.net' }, 'dgw1');
    assert.equal(ctx.createdAt, clock.now(), `${s.backend} uses the given clock`);
    await s.delegatePrefix('mn1@example.net', delegation(D1, '2001:db8:a::/64'));
    await s.releasePrefix(delegation(D1, '2001:db8:a::/64').prefix);
    clock.advance(4);
    assert.equal((await s.expire()).purgedPrefixes, 0);
    clock.advance(1);
    assert.equal((await s.expire()).purgedPrefixes, 1, `${s.backend} uses the given retention`);
    clock.advance(-5);
  }
});

test('memory stores opened with one name share their data; without a name they do not', async (t) => {
  t.after(() => dropSharedMemoryContext('lab'));
  const a = await openContextStore({ backend: 'memory', name: 'lab' });
  const b = await openContextStore({ backend: 'memory', name: 'lab' });
  const c = await openContextStore({ backend: 'memory' });
  await a.registerAttachment({ mnId: 'mn1@example.net' }, 'dgw1');
  assert.notEqual(await b.getContext('mn1@example.net'), null);
  assert.equal(await c.getContext('mn1@example.net'), null);
  assert.equal(dropSharedMemoryContext('lab'), true);
  const d = await openContextStore({ backend: 'memory', name: 'lab' });
  assert.equal(await d.getContext('mn1@example.net'), null);
});

test('the expiry sweep runs expire() on the host timer, one pass at a time, and stops', async () => {
  let tick: (() => void) | null = null;
  let cleared = 0;
  const timers = {
    setInterval: (fn: () => void, ms: number) => {
      assert.equal(ms, 250);
      tick = fn;
      return 7;
    },
    clear: (h: number) => {
      assert.equal(h, 7);
      cleared++;
    },
  };
  let passes = 0;
  let release: () => void = () => {};
  const store = {
    expire: () => {
      passes++;
      return new Promise((resolve) => {
        release = () =>
          resolve({ expiredPrefixes: 0, purgedPrefixes: 0, removedNodes: 0, trimmedChanges: 0 });
      });
    },
  } as unknown as MobilityContextStore;
  const errors: unknown[] = [];
  const stop = startExpirySweep(store, 250, { timers, onError: (e) => errors.push(e) });
  tick!();
  tick!(); // the first pass has not finished: no second one
  assert.equal(passes, 1);
  release();
  await new Promise((r) => setImmediate(r));
  tick!();
  assert.equal(passes, 2);
  stop();
  assert.equal(cleared, 1);
  assert.deepEqual(startExpirySweep(store, 0, { timers })(), undefined, '0 = no sweep');
  assert.equal(cleared, 1);

  // a failing pass goes to onError and the next one still runs
  const failing = {
    expire: () => Promise.reject(new Error('disk full')),
  } as unknown as MobilityContextStore;
  const stop2 = startExpirySweep(failing, 250, { timers, onError: (e) => errors.push(e) });
  tick!();
  await new Promise((r) => setImmediate(r));
  tick!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ['disk full', 'disk full'],
  );
  stop2();
});
