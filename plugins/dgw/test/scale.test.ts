/**
 * 1,000 nodes attached to D1, then all moved to D2 at once (1,000 L2 triggers in the same
 * tick): every node ends with its D1 prefix bound at D1 to D2 and tunnelled, its D2 prefix
 * served at D2, two DLIFs at D2 and none left at D1 — no binding lost. Prints the heap per
 * node at each D-GW and the handover timings D2 measured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { formatMacAddress } from '@dmm/core';
import type { AttachResult } from '@dmm/plugin-dgw';
import { net } from './net.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const NODES = 1000;

function mac(i: number): Uint8Array {
  return Uint8Array.of(0x02, 0x20, 0, 0, (i >> 8) & 0xff, i & 0xff);
}

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test(`scale: ${NODES} nodes attached to D1, then all moved to D2 at once, no binding lost`, async (t) => {
  const n = await net({
    count: 2,
    poolCount: 16384,
    ringSize: 16384,
    dgw: () => ({ idleTimeout: 0, mobileNodes: { default: 'allow', realm: 'scale.example' } }),
  });
  try {
    const [d1, d2] = n.gws as [(typeof n.gws)[0], (typeof n.gws)[0]];
    const attachAll = async (i: number): Promise<AttachResult[]> => {
      const results: (AttachResult | undefined)[] = new Array<AttachResult | undefined>(NODES).fill(
        undefined,
      );
      for (let k = 0; k < NODES; k++) {
        void n.gws[i]!.router.commands.run('attach', {
          mn: `n${k}@scale.example`,
          mac: formatMacAddress(mac(k)),
        }).then((r) => (results[k] = r.result as AttachResult));
      }
      await n.until(
        () => results.every((r) => r !== undefined),
        60_000,
        `${NODES} attachments at D${i + 1}`,
      );
      return results as AttachResult[];
    };
    const h0 = heap();
    const t0 = performance.now();
    const at1 = await attachAll(0);
    const t1 = performance.now();
    const h1 = heap();
    assert.ok(at1.every((r) => r.state === 'served' && r.prefixes.length === 1));
    assert.equal(d1.dlifs.list().length, NODES);
    assert.equal(d1.dgw.pool.allocated, NODES);
    const h2a = heap();
    const t2 = performance.now();
    const at2 = await attachAll(1);
    const t3 = performance.now();
    const h2b = heap();
    // every node: its D1 prefix (mag, active) and its D2 prefix (access router) at D2
    const bad = at2.filter((r) => r.prefixes.length !== 2);
    if (bad.length > 0) {
      // what went wrong, before the assertion below says how many
      t.diagnostic(`${bad.length} incomplete, e.g. ${JSON.stringify(bad[0])}`);
      t.diagnostic(`D2 ${JSON.stringify(d2.dgw.stats())}`);
    }
    for (const r of at2) {
      assert.equal(r.state, 'served');
      assert.deepEqual(r.prefixes.map((p) => `${p.anchor}/${p.role}/${p.state}`).sort(), [
        'dgw1/mag/active',
        'dgw2/access-router/served',
      ]);
    }
    assert.equal(d2.dlifs.list().length, 2 * NODES);
    assert.equal(d1.dlifs.list().length, 0, 'D1 serves nobody');
    assert.equal(d1.dgw.cache.size, NODES, 'one BCE per node at D1');
    const rows = d1.dgw.bindings();
    assert.equal(rows.length, NODES);
    assert.ok(
      rows.every((r) => r.role === 'lma' && r.servingDgw === 'dgw2' && r.state === 'active'),
    );
    assert.equal(d2.router.routes.listRules().length, NODES, 'one source rule per node');
    const s2 = d2.dgw.stats();
    assert.equal(s2.anchorLinks, NODES);
    assert.equal(s2.rollbacks.timeout ?? 0, 0);
    assert.equal(d1.dgw.stats().anchor.accepted.registered, NODES);
    t.diagnostic(
      `attach ${NODES} at D1: ${(t1 - t0).toFixed(0)} ms; move all to D2: ${(t3 - t2).toFixed(0)} ms ` +
        `(PBU retransmissions ${s2.transactions.retransmissions})`,
    );
    t.diagnostic(
      `heap per node: D1 serving ${((h1 - h0) / NODES / 1024).toFixed(1)} KiB (DLIF, context, prefix); ` +
        `after the move, D2 + D1 ${((h2b - h2a) / NODES / 1024).toFixed(1)} KiB more (2 DLIFs, BUL entry, rule, routes at D2; BCE at D1)`,
    );
    t.diagnostic(`D2 handover timings (ms): ${JSON.stringify(s2.timings)}`);
  } finally {
    await n.stop();
  }
});
