/**
 * Thousands of DLIFs on one parent: 2,000 mobile nodes × 2 DLIFs (their serving D-GW's and a
 * previous anchor's) created, each with its RA, DAD probe, permanent neighbour and downlink
 * route; the heap cost per DLIF printed; then all removed, leaving the router exactly as it
 * was (pool, demultiplexers, routes, neighbours, local addresses, ND's address records,
 * timers, interface indices reused), twice in a row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ND_SERVICE } from '@dmm/ndra';
import type { Dlif } from '@dmm/dlif';
import { bench } from './harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const NODES = 2000;

function nodeMac(i: number): Uint8Array {
  return Uint8Array.of(0x02, 0x10, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
}

function prefix(kind: number, i: number): Uint8Array {
  const p = new Uint8Array(16);
  p.set([0x20, 0x01, 0x0d, 0xb8, kind, 0, (i >> 8) & 0xff, i & 0xff]);
  return p;
}

test(`scale: ${NODES} nodes × 2 DLIFs created and removed, memory per DLIF, no leaks`, async (t) => {
  const b = await bench(t, { poolCount: 1024, ringSize: 16384 });
  const r = b.router;
  const nd = r.container.resolve(ND_SERVICE);
  const before = {
    pool: r.pool.inUse,
    interfaces: r.interfaces.filter((i) => !i.removed).length,
    routes: r.routes.list().length,
    neighbors: r.neighbors.size,
    ndAddresses: nd.addresses().length,
  };
  let peakIndices = 0;
  let heapAfterFirst = 0;
  for (let round = 0; round < 3; round++) {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const made: Dlif[] = [];
    for (let i = 0; i < NODES; i++) {
      const node = { id: `mn${i}`, mac: nodeMac(i) };
      const s = b.dlifs.create({
        parent: b.parent,
        node,
        anchor: { id: 'dgw2' },
        role: 'serving',
        prefixes: [{ prefix: prefix(0x0b, i), prefixLen: 64 }],
      });
      const a = b.dlifs.create({
        parent: b.parent,
        node,
        anchor: { id: 'dgw1' },
        role: 'anchor',
        prefixes: [{ prefix: prefix(0x0a, i), prefixLen: 64, validLifetime: 3600 }],
      });
      b.dlifs.addPrefixRoute(s, prefix(0x0b, i), 64);
      made.push(s, a);
      if (i % 500 === 499) b.dev.drain(); // the outbox ring: RAs and DAD probes
    }
    b.tick(1000); // every DAD ends
    b.dev.drain();
    gc();
    const heap1 = process.memoryUsage().heapUsed;
    const perDlif = (heap1 - heap0) / (2 * NODES);
    t.diagnostic(
      `round ${round + 1}: ${2 * NODES} DLIFs, heap +${((heap1 - heap0) / 1048576).toFixed(1)} MiB, ` +
        `${Math.round(perDlif)} bytes per DLIF (record, logical interface, maps, timers, ND state)`,
    );
    assert.equal(b.dlifs.list().length, 2 * NODES);
    assert.equal(b.parent.unicastDemux!.size, 2 * NODES);
    assert.equal(b.parent.multicastDemux!.size, NODES);
    assert.equal(b.dlifs.activeTimers(), 2 * NODES, 'one periodic RA timer each');
    assert.equal(r.pool.inUse, before.pool, 'every RA and probe buffer came back');
    assert.ok(made.every((d) => nd.addressState(d.iface.index, d.linkLocal) === 'preferred'));
    peakIndices = Math.max(peakIndices, r.interfaces.length);

    // half leave (moved, silent), half are released (a last RA each)
    for (const [k, d] of made.entries()) {
      b.dlifs.remove(d, { reason: k % 4 < 2 ? 'moved' : 'released' });
      if (k % 1000 === 999) b.dev.drain();
    }
    b.dev.drain();
    assert.deepEqual(b.dlifs.list(), []);
    assert.deepEqual(b.dlifs.status(), []);
    assert.equal(b.dlifs.activeTimers(), 0);
    assert.equal(b.parent.unicastDemux!.size, 0);
    assert.equal(b.parent.multicastDemux!.size, 0);
    assert.ok(b.parent.multicastMembers.every((m) => m.length === 0));
    assert.equal(r.pool.inUse, before.pool);
    assert.equal(r.interfaces.filter((i) => !i.removed).length, before.interfaces);
    assert.equal(r.routes.list().length, before.routes);
    assert.equal(r.neighbors.size, before.neighbors);
    assert.equal(nd.addresses().length, before.ndAddresses, 'ND forgot every DLIF link-local');
    for (const d of made.slice(0, 50)) assert.ok(!r.local.isOurs(d.linkLocal, 0));
    made.length = 0;
    gc();
    const heap2 = process.memoryUsage().heapUsed;
    t.diagnostic(
      `round ${round + 1}: after removal, heap ${((heap2 - heap0) / 1048576).toFixed(1)} MiB above the round's start`,
    );
    // the first round grows tables that later rounds reuse (interface slots, ND's per-index
    // state, hash maps); after it, a round must give back what it took
    if (round === 0) heapAfterFirst = heap2;
    else
      assert.ok(
        heap2 - heapAfterFirst < 1 << 20,
        `heap grows by ${heap2 - heapAfterFirst} bytes over rounds: a leak`,
      );
  }
  assert.equal(r.interfaces.length, peakIndices, 'the second round reused the indices');
  assert.equal(r.counters()['ethernet-input.not-for-us'] ?? 0, 0);
});
