/**
 * The LMA's Binding Cache: create/update/lookup through every index, longest-prefix
 * lookups, exact expiry on a manual clock, MinDelayBeforeBCEDelete (revival vs deletion),
 * MaxDelayBeforeNewBCEAssign, event payloads, index hygiene after removal, conflicts, and
 * the D-GW pattern (one BCE per anchored prefix, moved by later serving D-GWs).
 *
 * Addresses are hand-written from the documentation ranges (RFC 3849 2001:db8::/32, and
 * fe80::/10 link-locals); the timer values are RFC 5213 §9's defaults (protocol.md §2.10).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '@dmm/testkit';
import { isDmmError } from '@dmm/core';
import { MnIdSubtype } from '@dmm/wire';
import {
  BindingCache,
  ManualClock,
  mnIdBytes,
  mnIdNai,
  type BceChanges,
  type BindingCacheEntry,
  type RemovalReason,
} from '@dmm/binding-cache';

const MAG1 = hex`2001:db8:ffff::1`;
const MAG2 = hex`2001:db8:ffff::2`;
const MAG3 = hex`2001:db8:ffff::3`;
const MAG_LL = hex`fe80::1`;
const HNP_A = hex`2001:db8:1:a::`;
const HNP_B = hex`2001:db8:1:b::`;
const HNP_C = hex`2001:db8:1:c::`;
const HNP_D = hex`2001:db8:1:d::`;
const LLI_1 = hex`02:00:00:00:00:01`;
const LLI_2 = hex`02:00:00:00:00:02`;
const MN1 = mnIdNai('mn1@example.net');
const MN2 = mnIdNai('mn2@example.net');
const p64 = (prefix: Uint8Array) => ({ prefix, prefixLen: 64 });

/** An IPv6 address `addr` at offset 24 of a 40-byte buffer (where a header's destination sits). */
function inHeader(addr: Uint8Array): Uint8Array {
  const b = new Uint8Array(40).fill(0xee);
  b.set(addr, 24);
  return b;
}

type Ev = [string, ...unknown[]];
function record(cache: BindingCache): Ev[] {
  const log: Ev[] = [];
  const names = [
    'bce:created',
    'bce:updated',
    'bce:deregistering',
    'bce:waiting',
    'bce:wait-expired',
    'bce:expired',
    'bce:removed',
  ] as const;
  for (const n of names) cache.events.on(n, (...args: unknown[]) => log.push([n, ...args]));
  return log;
}

function setup(start = 0, variables = {}) {
  const clock = new ManualClock(start);
  const cache = new BindingCache({ clock, variables });
  return { clock, cache, log: record(cache) };
}

test('create indexes an entry by MN-ID, session, every prefix and Proxy-CoA', () => {
  const { cache, log } = setup(1000);
  const e1 = cache.create({
    mnId: MN1,
    mnLinkLayerId: LLI_1,
    magLinkLocal: MAG_LL,
    prefixes: [p64(HNP_A), { prefix: hex`2001:db8:2:100::`, prefixLen: 56 }],
    proxyCoa: MAG1,
    lifetimeMs: 3_600_000,
    tunnelId: 7,
    accessTechnology: 3,
    handoffIndicator: 1,
    timestamp: { seconds: 1_700_000_000, fraction: 0x8000 },
    sequence: 42,
  });
  // the same MN on a second interface (RFC 5213 §5.4.1: sessions told apart by MN-LLI / ATT)
  const e2 = cache.create({
    mnId: MN1,
    mnLinkLayerId: LLI_2,
    prefixes: [p64(HNP_B)],
    proxyCoa: MAG1,
    lifetimeMs: 3_600_000,
    accessTechnology: 4,
  });
  const e3 = cache.create({
    mnId: MN2,
    prefixes: [p64(HNP_C)],
    proxyCoa: MAG2,
    lifetimeMs: 60_000,
  });

  assert.equal(cache.size, 3);
  assert.deepEqual(
    log.map((l) => l[0]),
    ['bce:created', 'bce:created', 'bce:created'],
  );
  assert.equal(log[0]![1], e1);

  // fields
  assert.equal(e1.state, 'active');
  assert.equal(e1.proxyRegistration, true);
  assert.equal(e1.mnKey, 'mn1@example.net');
  assert.deepEqual(e1.mnLinkLayerId, LLI_1);
  assert.deepEqual(e1.magLinkLocal, MAG_LL);
  assert.deepEqual(e1.proxyCoa, MAG1);
  assert.equal(e1.tunnelId, 7);
  assert.equal(e1.accessTechnology, 3);
  assert.equal(e1.handoffIndicator, 1);
  assert.equal(e1.timestampSeconds, 1_700_000_000);
  assert.equal(e1.timestampFraction, 0x8000);
  assert.equal(e1.sequence, 42);
  assert.equal(e1.lifetimeMs, 3_600_000);
  assert.equal(e1.registeredAt, 1000);
  assert.equal(e1.expiresAt, 3_601_000);
  assert.ok(Number.isNaN(e1.deleteAt) && Number.isNaN(e1.waitUntil));
  assert.equal(e3.tunnelId, -1);
  assert.equal(e3.magLinkLocal, null);
  assert.equal(e3.mnLinkLayerId.length, 0);

  // MN-ID index: most recent first, narrowed by link-layer id or access technology
  assert.equal(cache.findByMnId(MN1), e2);
  assert.equal(cache.findByMnId(MN1, { linkLayerId: LLI_1 }), e1);
  assert.equal(cache.findByMnId(MN1, { linkLayerId: LLI_2 }), e2);
  assert.equal(cache.findByMnId(MN1, { accessTechnology: 3 }), e1);
  assert.equal(cache.findByMnId(MN1, { linkLayerId: LLI_2, accessTechnology: 3 }), undefined);
  assert.equal(cache.findByMnId(mnIdNai('mn1@example.net')), e2, 'keyed by value, not object');
  assert.deepEqual(cache.listByMnId(MN1), [e2, e1]);
  assert.deepEqual(cache.listByMnId(MN2), [e3]);
  assert.equal(cache.findByMnId(mnIdNai('nobody@example.net')), undefined);

  // prefix index: exact prefix/length only
  assert.equal(cache.findByPrefix(HNP_A, 64), e1);
  assert.equal(cache.findByPrefix(hex`2001:db8:2:100::`, 56), e1);
  assert.equal(cache.findByPrefix(HNP_B, 64), e2);
  assert.equal(cache.lookupPrefix(HNP_C, 64), e3.id);
  assert.equal(cache.lookupPrefix(HNP_C, 63), -1);
  assert.equal(cache.lookupPrefix(HNP_D, 64), -1);
  assert.equal(cache.lookupPrefix(inHeader(HNP_A), 64, 24), e1.id);

  // Proxy-CoA index: all bindings of one MAG, and the count the tunnel refcount needs
  assert.equal(cache.countByProxyCoa(MAG1), 2);
  assert.equal(cache.countByProxyCoa(MAG2), 1);
  assert.equal(cache.countByProxyCoa(MAG3), 0);
  assert.equal(cache.countByProxyCoa(inHeader(MAG2), 24), 1);
  assert.deepEqual(cache.listByProxyCoa(MAG1), [e2, e1]);
  assert.deepEqual(cache.listByProxyCoa(MAG3), []);
  assert.deepEqual(
    cache
      .proxyCoas()
      .map((g) => [Array.from(g.address), g.count])
      .sort(),
    [
      [Array.from(MAG1), 2],
      [Array.from(MAG2), 1],
    ].sort(),
  );
  // one shared copy of each MAG address
  assert.equal(e1.proxyCoa, e2.proxyCoa);

  // ids and iteration
  assert.equal(cache.get(e2.id), e2);
  assert.equal(cache.get(-1), undefined);
  assert.equal(cache.get(999), undefined);
  assert.deepEqual([...cache.entries()], [e1, e2, e3]);
  assert.equal(cache.tunnelIdOf(e1.id), 7);
  assert.equal(cache.tunnelIdOf(e3.id), -1);
  assert.equal(cache.tunnelIdOf(12345), -1);
  assert.deepEqual(cache.indexSizes(), {
    entries: 3,
    mnIds: 2,
    prefixes: 4,
    peers: 2,
    linkLocals: 1,
    timers: 3,
  });
});

test('the cache keeps copies: changing the caller’s bytes changes nothing', () => {
  const { cache } = setup();
  const prefix = Uint8Array.from(HNP_A);
  const coa = Uint8Array.from(MAG1);
  const lli = Uint8Array.from(LLI_1);
  const e = cache.create({
    mnId: MN1,
    mnLinkLayerId: lli,
    prefixes: [p64(prefix)],
    proxyCoa: coa,
    lifetimeMs: 1000,
  });
  prefix.fill(0x77);
  coa.fill(0x77);
  lli.fill(0x77);
  assert.deepEqual(e.prefixes[0]!.prefix, HNP_A);
  assert.deepEqual(e.proxyCoa, MAG1);
  assert.deepEqual(e.mnLinkLayerId, LLI_1);
  assert.equal(cache.findByPrefix(HNP_A, 64), e);
  assert.equal(cache.countByProxyCoa(MAG1), 1);
});

test('host bits of a prefix are cleared; the entry is found by the clean prefix', () => {
  const { cache } = setup();
  const e = cache.create({
    mnId: MN1,
    prefixes: [{ prefix: hex`2001:db8:1:a:1234:5678:9abc:def0`, prefixLen: 64 }],
    proxyCoa: MAG1,
    lifetimeMs: 1000,
  });
  assert.deepEqual(e.prefixes[0]!.prefix, HNP_A);
  assert.equal(cache.findByPrefix(HNP_A, 64), e);
  // a length inside a byte: /61 keeps the top 13 bits of the fourth group, so 0x000f → 0x0008
  const f = cache.create({
    mnId: MN2,
    prefixes: [{ prefix: hex`2001:db8:5:f::`, prefixLen: 61 }],
    proxyCoa: MAG1,
    lifetimeMs: 1000,
  });
  assert.deepEqual(f.prefixes[0]!.prefix, hex`2001:db8:5:8::`);
});

test('MN-IDs of other subtypes are their own keys, never equal to an NAI', () => {
  const { cache } = setup();
  // IMSI 001010123456789 as RFC 8371 BCD bytes would carry it; the bytes are opaque here
  const imsi = mnIdBytes(MnIdSubtype.Imsi, hex`00 01 10 32 54 76 98 f0`);
  const e = cache.create({ mnId: imsi, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 1000 });
  // an NAI spelling the same subtype and hex is still another identity
  const f = cache.create({
    mnId: mnIdNai('3:00011032547698f0'),
    prefixes: [p64(HNP_B)],
    proxyCoa: MAG1,
    lifetimeMs: 1000,
  });
  assert.equal(cache.findByMnId(mnIdBytes(3, hex`00 01 10 32 54 76 98 f0`)), e);
  assert.equal(cache.findByMnId(mnIdBytes(6, hex`00 01 10 32 54 76 98 f0`)), undefined);
  assert.equal(cache.findByMnId(mnIdNai('3:00011032547698f0')), f);
  assert.notEqual(e.mnKey, f.mnKey);
});

test('longest-prefix lookup finds the binding that owns an address, read in place', () => {
  const { cache } = setup();
  const wide = cache.create({
    mnId: MN1,
    prefixes: [{ prefix: hex`2001:db8:1::`, prefixLen: 48 }],
    proxyCoa: MAG1,
    lifetimeMs: 1000,
    tunnelId: 1,
  });
  const narrow = cache.create({
    mnId: MN2,
    prefixes: [p64(HNP_A)],
    proxyCoa: MAG2,
    lifetimeMs: 1000,
    tunnelId: 2,
  });
  const host = cache.create({
    mnId: mnIdNai('mn3@example.net'),
    prefixes: [{ prefix: hex`2001:db8:1:a::99`, prefixLen: 128 }],
    proxyCoa: MAG2,
    lifetimeMs: 1000,
    tunnelId: 3,
  });
  const cases: [string, Uint8Array, BindingCacheEntry | undefined][] = [
    ['inside the /64', hex`2001:db8:1:a::1`, narrow],
    ['last address of the /64', hex`2001:db8:1:a:ffff:ffff:ffff:ffff`, narrow],
    ['the /128', hex`2001:db8:1:a::99`, host],
    ['inside the /48 only', hex`2001:db8:1:b::1`, wide],
    ['first address of the /48', hex`2001:db8:1::`, wide],
    ['outside', hex`2001:db8:2::1`, undefined],
    ['the unspecified address', hex`::`, undefined],
  ];
  for (const [what, addr, want] of cases) {
    const id = cache.lookupByAddress(inHeader(addr), 24);
    assert.equal(id, want ? want.id : -1, what);
    assert.equal(cache.findByAddress(addr), want, what);
    assert.equal(cache.tunnelIdOf(id), want ? want.tunnelId : -1, what);
  }
  // once the /64 goes, its addresses fall back to the /48
  cache.remove(narrow);
  assert.equal(cache.lookupByAddress(inHeader(hex`2001:db8:1:a::1`), 24), wide.id);
  assert.equal(cache.lookupByAddress(inHeader(hex`2001:db8:1:a::99`), 24), host.id);
});

test('expiry happens exactly at the lifetime, and a refresh moves it', () => {
  const { clock, cache, log } = setup(5000);
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 4000 });
  const f = cache.create({ mnId: MN2, prefixes: [p64(HNP_B)], proxyCoa: MAG1, lifetimeMs: 4000 });
  assert.equal(cache.nextDue(), 9000);
  clock.set(7000);
  cache.update(f, { lifetimeMs: 4000 }); // refresh: f now expires at 11000
  clock.set(8999);
  assert.equal(cache.tick(), 0);
  assert.equal(e.state, 'active');
  log.length = 0;
  clock.set(9000);
  assert.equal(cache.tick(), 1);
  assert.equal(e.state, 'removed');
  assert.deepEqual(log, [
    ['bce:expired', e],
    ['bce:removed', e, 'lifetime'],
  ]);
  assert.equal(cache.findByMnId(MN1), undefined);
  assert.equal(cache.findByPrefix(HNP_A, 64), undefined);
  assert.equal(cache.countByProxyCoa(MAG1), 1);
  assert.equal(f.state, 'active');
  clock.set(10_999);
  assert.equal(cache.tick(), 0);
  clock.set(11_000);
  assert.equal(cache.tick(), 1);
  assert.equal(f.state, 'removed');
  assert.equal(cache.size, 0);
  assert.equal(cache.nextDue(), Infinity);
});

test('MinDelayBeforeBCEDelete: without a new registration the entry goes exactly then', () => {
  const { clock, cache, log } = setup(0);
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 5000 });
  clock.set(4000);
  log.length = 0;
  cache.deregister(e);
  assert.equal(e.state, 'deregistering');
  assert.equal(e.deleteAt, 14_000);
  assert.deepEqual(log, [['bce:deregistering', e, null]]);
  // still indexed while it waits (a PBU for it must still find it)
  assert.equal(cache.findByPrefix(HNP_A, 64), e);
  assert.equal(cache.countByProxyCoa(MAG1), 1);
  // the old lifetime (t=5000) does not cut the delay short
  clock.set(5000);
  assert.equal(cache.tick(), 0);
  // a repeated de-registration does not push the deletion back
  clock.set(9000);
  cache.deregister(e);
  assert.equal(e.deleteAt, 14_000);
  assert.equal(log.length, 1);
  clock.set(13_999);
  assert.equal(cache.tick(), 0);
  assert.equal(e.state, 'deregistering');
  clock.set(14_000);
  assert.equal(cache.tick(), 1);
  assert.deepEqual(log.slice(1), [['bce:removed', e, 'dereg']]);
  assert.equal(e.state, 'removed');
  assert.deepEqual(cache.indexSizes(), {
    entries: 0,
    mnIds: 0,
    prefixes: 0,
    peers: 0,
    linkLocals: 0,
    timers: 0,
  });
});

test('MinDelayBeforeBCEDelete: a registration with lifetime > 0 inside the delay revives the entry', () => {
  const { clock, cache, log } = setup(0);
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 5000 });
  cache.deregister(e);
  clock.set(9999);
  // an update without a lifetime (here: the owner's tunnel id) does not revive
  cache.update(e, { tunnelId: 4 });
  assert.equal(e.state, 'deregistering');
  log.length = 0;
  // the new MAG's PBU arrives 1 ms before deletion (RFC 5213 §5.3.5)
  const ch = cache.update(e, { proxyCoa: MAG2, lifetimeMs: 6000, sequence: 2 });
  assert.equal(e.state, 'active');
  assert.ok(Number.isNaN(e.deleteAt));
  assert.equal(e.expiresAt, 15_999);
  assert.equal(ch.revived, true);
  assert.equal(ch.lifetime, true);
  assert.deepEqual(ch.previousProxyCoa, MAG1);
  assert.deepEqual([...ch.fields].sort(), ['lifetimeMs', 'proxyCoa', 'sequence', 'state']);
  assert.deepEqual(log, [['bce:updated', e, ch]]);
  clock.set(10_000);
  assert.equal(cache.tick(), 0);
  assert.equal(e.state, 'active');
  assert.equal(cache.countByProxyCoa(MAG1), 0);
  assert.equal(cache.countByProxyCoa(MAG2), 1);
  clock.set(15_999);
  assert.equal(cache.tick(), 1);
  assert.equal(log.at(-1)![0], 'bce:removed');
  assert.equal(log.at(-1)![2], 'lifetime');
});

test('MinDelayBeforeBCEDelete = 0 deletes at once', () => {
  const { cache, log } = setup(0, { MinDelayBeforeBCEDelete: 0 });
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 5000 });
  log.length = 0;
  cache.deregister(e);
  assert.deepEqual(log, [
    ['bce:deregistering', e, null],
    ['bce:removed', e, 'dereg'],
  ]);
  assert.equal(cache.size, 0);
});

test('MaxDelayBeforeNewBCEAssign: the wait runs out exactly at 1500 ms and hands back its waiter', () => {
  const { clock, cache, log } = setup(100);
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 60_000 });
  log.length = 0;
  const pbuFromMag2 = { from: 'mag2', seq: 1 };
  assert.equal(cache.awaitDeregistration(e, pbuFromMag2), 1600);
  assert.equal(e.state, 'awaiting-dereg');
  assert.equal(e.waiter, pbuFromMag2);
  assert.deepEqual(log, [['bce:waiting', e, pbuFromMag2]]);
  // a retransmission of the waiting PBU replaces the waiter, not the deadline
  clock.set(1000);
  const retransmitted = { from: 'mag2', seq: 2 };
  assert.equal(cache.awaitDeregistration(e, retransmitted), 1600);
  assert.equal(log.length, 1);
  clock.set(1599);
  assert.equal(cache.tick(), 0);
  clock.set(1600);
  assert.equal(cache.tick(), 1);
  assert.deepEqual(log.slice(1), [['bce:wait-expired', e, retransmitted]]);
  assert.equal(e.state, 'active');
  assert.equal(e.waiter, null);
  assert.ok(Number.isNaN(e.waitUntil));
  // the binding itself is untouched: still the old MAG's, still indexed
  assert.equal(cache.countByProxyCoa(MAG1), 1);
  assert.equal(cache.findByPrefix(HNP_A, 64), e);
});

test('MaxDelayBeforeNewBCEAssign: the old MAG’s de-registration ends the wait and hands over the waiter', () => {
  const { clock, cache, log } = setup(0);
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 60_000 });
  const waiter = { from: 'mag2' };
  cache.awaitDeregistration(e, waiter);
  clock.set(700);
  log.length = 0;
  // the de-registration from MAG1; the owner serves the waiting PBU from the listener
  cache.events.once('bce:deregistering', (entry, w) => {
    assert.equal(w, waiter);
    cache.update(entry, { proxyCoa: MAG2, lifetimeMs: 60_000 });
  });
  cache.deregister(e);
  assert.equal(e.state, 'active');
  assert.deepEqual(e.proxyCoa, MAG2);
  assert.deepEqual(
    log.map((l) => l[0]),
    ['bce:deregistering', 'bce:updated'],
  );
  const changes = log[1]![2] as BceChanges;
  assert.equal(changes.revived, true);
  // neither the wait timer nor the delete timer fires afterwards
  clock.set(20_000);
  assert.equal(cache.tick(), 0);
  assert.equal(e.state, 'active');
  assert.equal(cache.nextDue(), 60_700);
});

test('MaxDelayBeforeNewBCEAssign: a Proxy-CoA change or endWait ends the wait without wait-expired', () => {
  const { clock, cache, log } = setup(0);
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 60_000 });
  cache.awaitDeregistration(e, 'w1');
  cache.update(e, { proxyCoa: MAG2 });
  assert.equal(e.state, 'active');
  assert.equal(e.waiter, null);
  cache.awaitDeregistration(e, 'w2');
  assert.equal(cache.endWait(e), 'w2');
  assert.equal(cache.endWait(e), undefined);
  assert.equal(e.state, 'active');
  clock.set(5000);
  assert.equal(cache.tick(), 0);
  assert.ok(!log.some((l) => l[0] === 'bce:wait-expired'));
});

test('the lifetime keeps running during the wait; waiting on a de-registering entry is refused', () => {
  const { clock, cache, log } = setup(0);
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 1000 });
  cache.awaitDeregistration(e, 'w');
  clock.set(1000);
  cache.tick();
  assert.equal(e.state, 'removed');
  assert.deepEqual(log.at(-1), ['bce:removed', e, 'lifetime']);
  clock.set(3000);
  assert.equal(cache.tick(), 0, 'the wait timer went with the entry');
  const f = cache.create({ mnId: MN2, prefixes: [p64(HNP_B)], proxyCoa: MAG1, lifetimeMs: 9000 });
  cache.deregister(f);
  assert.throws(
    () => cache.awaitDeregistration(f, 'x'),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_STATE'),
  );
});

test('update reports what changed and moves the prefix and Proxy-CoA indexes', () => {
  const { clock, cache, log } = setup(0);
  const e = cache.create({
    mnId: MN1,
    prefixes: [p64(HNP_A), p64(HNP_B)],
    proxyCoa: MAG1,
    magLinkLocal: MAG_LL,
    lifetimeMs: 10_000,
  });
  clock.set(2500);
  log.length = 0;
  const ch = cache.update(e, {
    prefixes: [p64(HNP_B), p64(HNP_C)],
    proxyCoa: MAG2,
    magLinkLocal: hex`fe80::2`,
    mnLinkLayerId: LLI_2,
    tunnelId: 9,
    accessTechnology: 4,
    handoffIndicator: 3,
    timestamp: { seconds: 1_700_000_001, fraction: 1 },
    sequence: 7,
    lifetimeMs: 20_000,
    ext: { operator: 'B' },
  });
  assert.deepEqual(
    ch.prefixesAdded.map((p) => Array.from(p.prefix)),
    [Array.from(HNP_C)],
  );
  assert.deepEqual(
    ch.prefixesRemoved.map((p) => Array.from(p.prefix)),
    [Array.from(HNP_A)],
  );
  assert.deepEqual(ch.previousProxyCoa, MAG1);
  assert.equal(ch.lifetime, true);
  assert.equal(ch.revived, false);
  assert.deepEqual([...ch.fields].sort(), [
    'accessTechnology',
    'ext',
    'handoffIndicator',
    'lifetimeMs',
    'magLinkLocal',
    'mnLinkLayerId',
    'prefixes',
    'proxyCoa',
    'sequence',
    'timestamp',
    'tunnelId',
  ]);
  assert.deepEqual(log, [['bce:updated', e, ch]]);
  assert.equal(cache.findByPrefix(HNP_A, 64), undefined);
  assert.equal(cache.findByPrefix(HNP_B, 64), e);
  assert.equal(cache.findByPrefix(HNP_C, 64), e);
  assert.equal(cache.countByProxyCoa(MAG1), 0);
  assert.deepEqual(cache.listByProxyCoa(MAG2), [e]);
  assert.equal(cache.findByMnId(MN1, { linkLayerId: LLI_2 }), e);
  assert.deepEqual(e.magLinkLocal, hex`fe80::2`);
  assert.equal(cache.indexSizes().linkLocals, 1, 'the old link-local was released');
  assert.deepEqual(e.ext, { operator: 'B' });
  assert.equal(e.expiresAt, 22_500);
  // nothing new: no event, empty change set
  log.length = 0;
  const none = cache.update(e, { proxyCoa: MAG2, tunnelId: 9, prefixes: [p64(HNP_C), p64(HNP_B)] });
  assert.deepEqual(none.fields, []);
  assert.deepEqual(log, []);
});

test('conflicting prefixes are refused unless replace is asked for; refused calls change nothing', () => {
  const { cache, log } = setup(0);
  const e = cache.create({ mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 1000 });
  const f = cache.create({ mnId: MN2, prefixes: [p64(HNP_B)], proxyCoa: MAG1, lifetimeMs: 1000 });
  const before = cache.indexSizes();
  assert.throws(
    () =>
      cache.create({
        mnId: mnIdNai('mn3@example.net'),
        prefixes: [p64(HNP_C), p64(HNP_A)],
        proxyCoa: MAG2,
        lifetimeMs: 1000,
      }),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_CONFLICT') && /2001:db8:1:a::\/64/.test(err.message),
  );
  assert.deepEqual(cache.indexSizes(), before);
  assert.equal(cache.findByPrefix(HNP_C, 64), undefined);
  assert.throws(
    () => cache.update(f, { prefixes: [p64(HNP_A)], lifetimeMs: 5 }),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_CONFLICT'),
  );
  assert.equal(f.lifetimeMs, 1000);
  assert.equal(cache.findByPrefix(HNP_B, 64), f);
  // re-using one's own prefix is no conflict
  cache.update(f, { prefixes: [p64(HNP_B), p64(HNP_D)] });
  log.length = 0;
  const g = cache.create(
    { mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG2, lifetimeMs: 1000 },
    { replace: true },
  );
  assert.deepEqual(log, [
    ['bce:removed', e, 'replaced'],
    ['bce:created', g],
  ]);
  assert.equal(cache.findByPrefix(HNP_A, 64), g);
  assert.equal(cache.countByProxyCoa(MAG1), 1);
});

test('invalid input is a coded error', () => {
  const { cache } = setup(0);
  const base = { mnId: MN1, prefixes: [p64(HNP_A)], proxyCoa: MAG1, lifetimeMs: 1000 };
  const bad: [string, object][] = [
    ['lifetime 0 (a de-registration, not a registration)', { lifetimeMs: 0 }],
    ['negative lifetime', { lifetimeMs: -5 }],
    ['infinite lifetime', { lifetimeMs: Infinity }],
    ['short Proxy-CoA', { proxyCoa: new Uint8Array(4) }],
    ['short link-local', { magLinkLocal: new Uint8Array(8) }],
    ['prefix length 129', { prefixes: [{ prefix: HNP_A, prefixLen: 129 }] }],
    ['prefix length 64.5', { prefixes: [{ prefix: HNP_A, prefixLen: 64.5 }] }],
    ['short prefix bytes', { prefixes: [{ prefix: new Uint8Array(8), prefixLen: 64 }] }],
    ['one prefix twice', { prefixes: [p64(HNP_A), p64(hex`2001:db8:1:a::1`)] }],
  ];
  for (const [what, over] of bad) {
    assert.throws(
      () => cache.create({ ...base, ...over }),
      (err) => isDmmError(err, 'DMM_ERR_BINDING_INVALID'),
      what,
    );
  }
  assert.equal(cache.size, 0);
  const e = cache.create(base);
  assert.throws(
    () => cache.update(e, { lifetimeMs: 0 }),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_INVALID'),
  );
});

test('removal cleans every index, frees the id, and happens before the event', () => {
  const { cache, log } = setup(0);
  const e1 = cache.create({
    mnId: MN1,
    mnLinkLayerId: LLI_1,
    magLinkLocal: MAG_LL,
    prefixes: [p64(HNP_A), { prefix: hex`2001:db8:9::`, prefixLen: 48 }],
    proxyCoa: MAG1,
    lifetimeMs: 1000,
  });
  const e2 = cache.create({
    mnId: MN1,
    mnLinkLayerId: LLI_2,
    magLinkLocal: MAG_LL,
    prefixes: [p64(HNP_B)],
    proxyCoa: MAG1,
    lifetimeMs: 1000,
  });
  const e3 = cache.create({ mnId: MN2, prefixes: [p64(HNP_C)], proxyCoa: MAG2, lifetimeMs: 1000 });
  cache.awaitDeregistration(e2, 'w');

  // what a listener sees: the table without the entry
  const seen: unknown[] = [];
  cache.events.on('bce:removed', (e) => {
    seen.push([
      cache.countByProxyCoa(e.proxyCoa),
      cache.findByPrefix(e.prefixes[0]!.prefix, e.prefixes[0]!.prefixLen),
      cache.get(e.id),
    ]);
  });
  assert.equal(cache.remove(e1, 'admin'), true);
  assert.deepEqual(seen, [[1, undefined, undefined]]);
  assert.equal(cache.remove(e1), false, 'a second removal is a no-op');
  assert.deepEqual(log.at(-1), ['bce:removed', e1, 'admin']);
  assert.equal(e1.state, 'removed');
  assert.equal(cache.findByPrefix(HNP_A, 64), undefined);
  assert.equal(cache.findByPrefix(hex`2001:db8:9::`, 48), undefined);
  assert.equal(cache.lookupByAddress(inHeader(hex`2001:db8:9::1`), 24), -1);
  assert.equal(cache.findByMnId(MN1, { linkLayerId: LLI_1 }), undefined);
  assert.deepEqual(cache.listByMnId(MN1), [e2]);
  assert.deepEqual(cache.listByProxyCoa(MAG1), [e2]);
  assert.throws(
    () => cache.update(e1, { lifetimeMs: 5 }),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_GONE'),
  );
  assert.throws(
    () => cache.deregister(e1),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_GONE'),
  );

  cache.remove(e2, 'admin'); // also drops its wait timer
  assert.equal(cache.findByMnId(MN1), undefined);
  assert.equal(cache.countByProxyCoa(MAG1), 0);
  assert.deepEqual(cache.proxyCoas().length, 1);
  assert.equal(cache.indexSizes().linkLocals, 0);
  assert.equal(cache.indexSizes().timers, 1);

  // the freed id is reused by the next entry; the old object stays removed
  const e4 = cache.create({ mnId: MN2, prefixes: [p64(HNP_D)], proxyCoa: MAG2, lifetimeMs: 1000 });
  assert.ok(e4.id === e1.id || e4.id === e2.id);
  assert.equal(e2.state, 'removed');
  assert.deepEqual(cache.listByMnId(MN2), [e4, e3]);
  cache.clear();
  assert.deepEqual(
    log.slice(-2).map((l) => [l[0], l[2]]),
    [
      ['bce:removed', 'admin'],
      ['bce:removed', 'admin'],
    ],
  );
  assert.deepEqual(cache.indexSizes(), {
    entries: 0,
    mnIds: 0,
    prefixes: 0,
    peers: 0,
    linkLocals: 0,
    timers: 0,
  });
  assert.equal(cache.nextDue(), Infinity);
});

test('a D-GW keeps one BCE per anchored prefix and later serving D-GWs move it', () => {
  // draft §4.2: MN1 attaches to D-GW1 (prefA, anchored and served locally), moves to D-GW2
  // (which sends a PBU for prefA with the D flag), then to D-GW3; back at D-GW1 it gets prefC.
  const DGW1 = hex`2001:db8:a::1`;
  const DGW2 = hex`2001:db8:a::2`;
  const DGW3 = hex`2001:db8:a::3`;
  const PREF_A = hex`2001:db8:100:1::`;
  const PREF_C = hex`2001:db8:100:2::`;
  const { cache } = setup(0);
  const reasons: RemovalReason[] = [];
  cache.events.on('bce:removed', (_e, r) => reasons.push(r));
  const a = cache.create({
    mnId: MN1,
    mnLinkLayerId: LLI_1,
    prefixes: [p64(PREF_A)],
    proxyCoa: DGW1,
    lifetimeMs: 3_600_000,
    dgw: { servedLocally: true, dlifLinkLocal: hex`fe80::211:22ff:fe33:101`, dlifIfIndex: 5 },
  });
  assert.deepEqual(a.dgw, {
    distributed: true,
    servedLocally: true,
    dlifIfIndex: 5,
    dlifLinkLocal: hex`fe80::211:22ff:fe33:101`,
    dlifLinkLayer: null,
    localPrefixes: [],
  });
  const ch2 = cache.update(a, {
    proxyCoa: DGW2,
    lifetimeMs: 3_600_000,
    handoffIndicator: 3,
    dgw: {
      servedLocally: false,
      dlifLinkLayer: hex`00:11:22:33:01:01`,
      localPrefixes: [{ prefix: hex`2001:db8:ab::`, prefixLen: 48 }],
    },
  });
  assert.deepEqual(ch2.previousProxyCoa, DGW1);
  assert.equal(a.dgw!.servedLocally, false);
  assert.equal(a.dgw!.dlifIfIndex, 5, 'fields not given are kept');
  assert.deepEqual(a.dgw!.dlifLinkLayer, hex`00:11:22:33:01:01`);
  assert.equal(cache.countByProxyCoa(DGW1), 0);
  assert.equal(cache.countByProxyCoa(DGW2), 1);
  const ch3 = cache.update(a, { proxyCoa: DGW3, lifetimeMs: 3_600_000 });
  assert.deepEqual(ch3.previousProxyCoa, DGW2);
  assert.equal(cache.countByProxyCoa(DGW2), 0, 'D-GW2 tunnel lost its last user');
  // back at D-GW1: a second BCE for the same MN and link, another prefix
  const c = cache.create({
    mnId: MN1,
    mnLinkLayerId: LLI_1,
    prefixes: [p64(PREF_C)],
    proxyCoa: DGW1,
    lifetimeMs: 3_600_000,
    dgw: { servedLocally: true },
  });
  cache.update(a, { proxyCoa: DGW1, lifetimeMs: 3_600_000, dgw: { servedLocally: true } });
  assert.deepEqual(cache.listByMnId(MN1), [c, a]);
  assert.equal(cache.findByPrefix(PREF_A, 64), a);
  assert.equal(cache.findByPrefix(PREF_C, 64), c);
  assert.equal(cache.countByProxyCoa(DGW1), 2);
  assert.equal(cache.lookupByAddress(inHeader(hex`2001:db8:100:1::5`), 24), a.id);
  assert.deepEqual(reasons, []);
});
