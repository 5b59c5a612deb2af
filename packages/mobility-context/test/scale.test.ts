/**
 * Scale: 10,000 nodes with 3 prefixes each (one per anchoring D-GW), inserted through the
 * API one change at a time and read back through every query, in both backends. The times
 * are printed for people; nothing asserts them (perf/ measures, tests do not).
 * Addresses under 2001:db8::/32 (RFC 3849).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIpv6Prefix } from '@dmm/core';
import {
  MemoryContextStore,
  SqliteContextStore,
  groupByAnchor,
  type MobilityContextStore,
} from '@dmm/mobility-context';
import { D1, D2, D3, delegation } from '@dmm/mobility-context/conformance';

const NODES = 10_000;
const ANCHORS = [D1, D2, D3];

const mnId = (i: number) => `mn${i}@example.net`;
const mac = (i: number) => Uint8Array.of(0x02, 0, 0, (i >> 16) & 255, (i >> 8) & 255, i & 255);
const prefixText = (k: number, i: number) => `2001:db8:${k + 1}:${i.toString(16)}::/64`;

async function exercise(
  name: string,
  s: MobilityContextStore,
  after?: () => string,
): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < NODES; i++) {
    await s.registerAttachment({ mnId: mnId(i), mac: mac(i) }, 'dgw3');
    await s.compareAndSetServing(mnId(i), null, 'dgw3');
    for (let k = 0; k < 3; k++) {
      await s.delegatePrefix(
        mnId(i),
        delegation(ANCHORS[k]!, prefixText(k, i), {
          localNetworks: k === 0 ? [parseIpv6Prefix('2001:db8:100::/56', true)] : [],
        }),
      );
    }
  }
  const t1 = performance.now();
  for (let i = 0; i < NODES; i++) {
    const ctx = (await s.getContext(mnId(i)))!;
    assert.equal(ctx.prefixes.length, 3);
    assert.equal(groupByAnchor(ctx.prefixes).length, 3);
  }
  const t2 = performance.now();
  for (let i = 0; i < NODES; i++) {
    for (let k = 0; k < 3; k++) {
      assert.equal((await s.findPrefix(parseIpv6Prefix(prefixText(k, i), true)))!.mnId, mnId(i));
    }
  }
  const t3 = performance.now();
  for (let i = 0; i < NODES; i += 1) assert.equal(await s.findNodeByMac(mac(i)), mnId(i));
  const t4 = performance.now();
  const anchored = await s.listAnchoredBy('dgw1');
  assert.equal(anchored.length, NODES);
  assert.equal(anchored[0]!.localNetworks.length, 1);
  assert.equal((await s.listServedBy('dgw3')).length, NODES);
  const t5 = performance.now();
  const feed = await s.changes(0, 100_000);
  assert.equal(feed.lastSeq, NODES * 5);
  const ms = (a: number, b: number) => `${(b - a).toFixed(0)} ms`;
  const us = (a: number, b: number, n: number) => `${(((b - a) * 1000) / n).toFixed(1)} µs each`;
  console.log(
    `# ${name}: ${NODES} nodes × 3 prefixes inserted in ${ms(t0, t1)} (${NODES * 5} changes, ${us(t0, t1, NODES * 5)}); ` +
      `getContext ×${NODES} ${ms(t1, t2)} (${us(t1, t2, NODES)}); findPrefix ×${NODES * 3} ${ms(t2, t3)} ` +
      `(${us(t2, t3, NODES * 3)}); findNodeByMac ×${NODES} ${ms(t3, t4)}; ` +
      `listAnchoredBy + listServedBy (${NODES} rows each) ${ms(t4, t5)}${after ? `; ${after()}` : ''}`,
  );
}

test('10,000 nodes × 3 prefixes in memory', { timeout: 300_000 }, async () => {
  await exercise('memory', new MemoryContextStore());
});

test('10,000 nodes × 3 prefixes in one SQLite file', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dmm-context-scale-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'context.db');
  const s = new SqliteContextStore({ path });
  t.after(() => s.close());
  await exercise('sqlite', s, () => {
    const size = (f: string) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    return `file ${(size(path) / 1048576).toFixed(1)} MiB + WAL ${(size(`${path}-wal`) / 1048576).toFixed(1)} MiB`;
  });
});
