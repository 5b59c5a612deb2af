/**
 * The MAG's Binding Update List: the PBU bookkeeping (sequence, attempts, timeouts), the
 * retransmission timer, registration, the refresh point at RefreshLifetimeFraction of the
 * granted lifetime, expiry, de-registration, the indexes by MN-ID, prefix and LMA address,
 * and a serving D-GW with one entry per anchoring D-GW.
 *
 * Addresses are hand-written from the documentation ranges (RFC 3849); 1500 ms and 32 s
 * are RFC 6275's InitialBindackTimeoutFirstReg and MAX_BINDACK_TIMEOUT (protocol.md §2.9).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '@dmm/testkit';
import { isDmmError } from '@dmm/core';
import {
  BindingUpdateList,
  ManualClock,
  mnIdNai,
  type BulChanges,
  type BindingUpdateListEntry,
} from '@dmm/binding-cache';

const LMA1 = hex`2001:db8:ffff::100`;
const LMA2 = hex`2001:db8:ffff::200`;
const HNP_A = hex`2001:db8:1:a::`;
const HNP_B = hex`2001:db8:1:b::`;
const HNP_C = hex`2001:db8:1:c::`;
const LLI_1 = hex`02:00:00:00:00:01`;
const MN1 = mnIdNai('mn1@example.net');
const MN2 = mnIdNai('mn2@example.net');
const p64 = (prefix: Uint8Array) => ({ prefix, prefixLen: 64 });

type Ev = [string, ...unknown[]];
function setup(start = 0, variables = {}) {
  const clock = new ManualClock(start);
  const bul = new BindingUpdateList({ clock, variables });
  const log: Ev[] = [];
  const names = [
    'bul:created',
    'bul:updated',
    'bul:refresh-due',
    'bul:retransmit-due',
    'bul:deregistering',
    'bul:expired',
    'bul:removed',
  ] as const;
  for (const n of names) bul.events.on(n, (...args: unknown[]) => log.push([n, ...args]));
  return { clock, bul, log };
}

function newEntry(bul: BindingUpdateList, over = {}): BindingUpdateListEntry {
  return bul.create({
    mnId: MN1,
    mnLinkLayerId: LLI_1,
    magLinkLocal: hex`fe80::1`,
    lmaAddress: LMA1,
    accessIfIndex: 2,
    requestedLifetimeMs: 40_000,
    accessTechnology: 3,
    handoffIndicator: 1,
    ...over,
  });
}

test('an initial registration: pending, retransmitted with back-off, then accepted', () => {
  const { clock, bul, log } = setup(1000);
  const e = newEntry(bul);
  assert.equal(e.state, 'pending');
  assert.equal(e.prefixes.length, 0, 'the LMA has not assigned prefixes yet');
  assert.ok(Number.isNaN(e.lastPbuAt));
  assert.deepEqual(log, [['bul:created', e]]);
  assert.equal(bul.nextDue(), Infinity, 'no timer before the first PBU');

  bul.pbuSent(e, { sequence: 10, retransmitAfterMs: 1500 });
  assert.equal(e.sequence, 10);
  assert.equal(e.lastPbuAt, 1000);
  assert.equal(e.attempts, 1);
  assert.equal(e.retransmitTimeoutMs, 1500);
  assert.equal(e.retransmitAt, 2500);
  assert.equal(log.length, 1, 'sending a PBU is bookkeeping, not an event');

  clock.set(2499);
  assert.equal(bul.tick(), 0);
  clock.set(2500);
  assert.equal(bul.tick(), 1);
  assert.deepEqual(log.at(-1), ['bul:retransmit-due', e]);
  assert.ok(Number.isNaN(e.retransmitAt));
  // the owner doubles the timeout and sends again with a new sequence number
  bul.pbuSent(e, { sequence: 11, retransmitAfterMs: 3000, retransmission: true });
  assert.equal(e.attempts, 2);
  assert.equal(e.sequence, 11);
  assert.equal(e.lastPbuAt, 2500);
  assert.equal(e.retransmitAt, 5500);

  // the PBA arrives at 2700 granting 10 s and assigning HNP_A
  clock.set(2700);
  log.length = 0;
  const ch = bul.registered(e, 10_000, { prefixes: [p64(HNP_A)], tunnelId: 3 });
  assert.equal(e.state, 'active');
  assert.equal(e.grantedLifetimeMs, 10_000);
  assert.equal(e.attempts, 0);
  assert.equal(e.retransmitTimeoutMs, 0);
  assert.ok(Number.isNaN(e.retransmitAt));
  // counted from the send time of the accepted PBU (2500), not the PBA (2700)
  assert.equal(e.registeredAt, 2500);
  assert.equal(e.refreshAt, 10_500);
  assert.equal(e.expiresAt, 12_500);
  assert.equal(ch.lifetime, true);
  assert.deepEqual([...ch.fields].sort(), ['grantedLifetimeMs', 'prefixes', 'state', 'tunnelId']);
  assert.deepEqual(
    ch.prefixesAdded.map((p) => Array.from(p.prefix)),
    [Array.from(HNP_A)],
  );
  assert.deepEqual(log, [['bul:updated', e, ch]]);
  assert.equal(bul.findByPrefix(HNP_A, 64), e);
  assert.equal(bul.tunnelIdOf(e.id), 3);
  // the retransmission scheduled for 5500 was cancelled
  clock.set(5500);
  assert.equal(bul.tick(), 0);
});

test('refresh is due at 80 % of the granted lifetime; expiry exactly at 100 % without one', () => {
  const { clock, bul, log } = setup(0);
  const e = newEntry(bul);
  bul.pbuSent(e, { sequence: 1, retransmitAfterMs: 1500 });
  clock.set(100);
  bul.registered(e, 10_000, { prefixes: [p64(HNP_A)] });
  log.length = 0;
  clock.set(7999);
  assert.equal(bul.tick(), 0);
  clock.set(8000);
  assert.equal(bul.tick(), 1);
  assert.deepEqual(log, [['bul:refresh-due', e]]);
  assert.ok(Number.isNaN(e.refreshAt));
  // the refresh PBU goes out, gets no answer; the retransmissions run into the expiry
  bul.pbuSent(e, { sequence: 2, retransmitAfterMs: 1500 });
  clock.set(9500);
  assert.equal(bul.tick(), 1);
  assert.deepEqual(log.at(-1), ['bul:retransmit-due', e]);
  bul.pbuSent(e, { sequence: 3, retransmitAfterMs: 3000, retransmission: true });
  assert.equal(e.state, 'active', 'still registered while refreshing');
  clock.set(9999);
  assert.equal(bul.tick(), 0);
  clock.set(10_000);
  assert.equal(bul.tick(), 1);
  assert.deepEqual(log.slice(-2), [
    ['bul:expired', e],
    ['bul:removed', e, 'lifetime'],
  ]);
  assert.equal(e.state, 'removed');
  assert.equal(bul.findByPrefix(HNP_A, 64), undefined);
  assert.equal(bul.countByLma(LMA1), 0);
  assert.deepEqual(bul.indexSizes(), {
    entries: 0,
    mnIds: 0,
    prefixes: 0,
    peers: 0,
    linkLocals: 0,
    timers: 0,
  });
});

test('a successful refresh moves both the refresh point and the expiry', () => {
  const { clock, bul, log } = setup(0);
  const e = newEntry(bul);
  bul.pbuSent(e, { sequence: 1 });
  bul.registered(e, 10_000, { prefixes: [p64(HNP_A)] });
  clock.set(8000);
  bul.tick();
  bul.pbuSent(e, { sequence: 2, retransmitAfterMs: 1500 });
  clock.set(8050);
  log.length = 0;
  const ch = bul.registered(e, 10_000);
  assert.deepEqual(ch.fields, ['grantedLifetimeMs']);
  assert.equal(e.refreshAt, 16_000);
  assert.equal(e.expiresAt, 18_000);
  clock.set(17_999);
  assert.equal(bul.tick(), 1);
  assert.deepEqual(log.slice(1), [['bul:refresh-due', e]]);
  assert.equal(e.state, 'active');
});

test('RefreshLifetimeFraction = 1 gives no refresh event, only the expiry', () => {
  const { clock, bul, log } = setup(0, { RefreshLifetimeFraction: 1 });
  const e = newEntry(bul);
  bul.pbuSent(e, { sequence: 1 });
  bul.registered(e, 4000);
  assert.ok(Number.isNaN(e.refreshAt));
  clock.set(4000);
  assert.equal(bul.tick(), 1);
  assert.deepEqual(
    log.slice(-2).map((l) => l[0]),
    ['bul:expired', 'bul:removed'],
  );
});

test('a de-registration PBU stops refresh and expiry; removal says why', () => {
  const { clock, bul, log } = setup(0);
  const e = newEntry(bul);
  bul.pbuSent(e, { sequence: 1 });
  bul.registered(e, 10_000, { prefixes: [p64(HNP_A)] });
  clock.set(3000);
  log.length = 0;
  bul.pbuSent(e, { sequence: 2, lifetimeMs: 0, retransmitAfterMs: 1500 });
  assert.equal(e.state, 'deregistering');
  assert.deepEqual(log, [['bul:deregistering', e]]);
  bul.pbuSent(e, { sequence: 3, lifetimeMs: 0, retransmission: true });
  assert.equal(log.length, 1, 'one event per de-registration, not per PBU');
  assert.equal(e.attempts, 2);
  clock.set(20_000);
  assert.equal(bul.tick(), 0, 'no refresh, no expiry, no retransmission left');
  assert.equal(bul.remove(e, 'dereg'), true);
  assert.deepEqual(log.at(-1), ['bul:removed', e, 'dereg']);
  assert.equal(bul.size, 0);
});

test('LMA address index, prefix index and MN-ID index follow updates and removals', () => {
  const { bul } = setup(0);
  const a = newEntry(bul, { prefixes: [p64(HNP_A)] });
  const b = newEntry(bul, { mnId: MN2, mnLinkLayerId: undefined, prefixes: [p64(HNP_B)] });
  const c = newEntry(bul, {
    mnId: mnIdNai('mn3@example.net'),
    lmaAddress: LMA2,
    prefixes: [{ prefix: hex`2001:db8:1::`, prefixLen: 48 }],
  });
  assert.equal(bul.countByLma(LMA1), 2);
  assert.equal(bul.countByLma(LMA2), 1);
  assert.deepEqual(bul.listByLma(LMA1), [b, a]);
  assert.equal(a.lmaAddress, b.lmaAddress, 'one shared copy per LMA');
  assert.equal(bul.lmaAddresses().length, 2);
  // uplink data path: which binding owns this source address?
  const pkt = new Uint8Array(40);
  pkt.set(hex`2001:db8:1:a::42`, 8);
  assert.equal(bul.lookupByAddress(pkt, 8), a.id);
  pkt.set(hex`2001:db8:1:77::42`, 8);
  assert.equal(bul.lookupByAddress(pkt, 8), c.id);
  pkt.set(hex`2001:db8:2::42`, 8);
  assert.equal(bul.lookupByAddress(pkt, 8), -1);
  assert.equal(bul.findByMnId(MN1), a);
  assert.equal(bul.findByMnId(MN1, { linkLayerId: LLI_1, lmaAddress: LMA1 }), a);
  assert.equal(bul.findByMnId(MN1, { lmaAddress: LMA2 }), undefined);

  // the MN's session moves to another LMA and gets another prefix
  const ch: BulChanges = bul.update(a, {
    lmaAddress: LMA2,
    prefixes: [p64(HNP_C)],
    accessIfIndex: 4,
  });
  assert.deepEqual(ch.previousLmaAddress, LMA1);
  assert.equal(ch.lifetime, false);
  assert.deepEqual([...ch.fields].sort(), ['accessIfIndex', 'lmaAddress', 'prefixes']);
  assert.equal(bul.countByLma(LMA1), 1);
  assert.deepEqual(bul.listByLma(LMA2), [a, c]);
  assert.equal(bul.findByPrefix(HNP_A, 64), undefined);
  assert.equal(bul.findByPrefix(HNP_C, 64), a);
  assert.equal(a.accessIfIndex, 4);

  assert.throws(
    () => newEntry(bul, { mnId: MN2, prefixes: [p64(HNP_C)] }),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_CONFLICT'),
  );
  bul.remove(b);
  bul.remove(c, 'replaced');
  assert.equal(bul.countByLma(LMA1), 0);
  assert.deepEqual(bul.listByLma(LMA2), [a]);
  bul.clear();
  assert.deepEqual(bul.indexSizes(), {
    entries: 0,
    mnIds: 0,
    prefixes: 0,
    peers: 0,
    linkLocals: 0,
    timers: 0,
  });
  assert.throws(
    () => bul.pbuSent(a, { sequence: 1 }),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_GONE'),
  );
});

test('sequence numbers are kept modulo 2^16; cancelRetransmit stops the timer', () => {
  const { clock, bul, log } = setup(0);
  const e = newEntry(bul);
  bul.pbuSent(e, { sequence: 0x1_0005, retransmitAfterMs: 1500 });
  assert.equal(e.sequence, 5);
  bul.cancelRetransmit(e);
  clock.set(10_000);
  assert.equal(bul.tick(), 0);
  assert.ok(!log.some((l) => l[0] === 'bul:retransmit-due'));
});

test('a serving D-GW keeps one entry per anchoring D-GW for the same MN', () => {
  // draft §4.2 step 7–8: MN1 at D-GW3 still uses prefA (anchored at D-GW1) and prefB (D-GW2)
  const DGW1 = hex`2001:db8:a::1`;
  const DGW2 = hex`2001:db8:a::2`;
  const PREF_A = hex`2001:db8:100:1::`;
  const PREF_B = hex`2001:db8:200:1::`;
  const { bul } = setup(0);
  const toA = newEntry(bul, {
    lmaAddress: DGW1,
    prefixes: [p64(PREF_A)],
    dgw: { dlifIfIndex: 11 },
  });
  const toB = newEntry(bul, {
    lmaAddress: DGW2,
    prefixes: [p64(PREF_B)],
    dgw: { dlifIfIndex: 12 },
  });
  // the PBA from D-GW1 carries the DLIF options and a Local Prefix
  bul.pbuSent(toA, { sequence: 1 });
  bul.registered(toA, 60_000, {
    dgw: {
      dlifLinkLocal: hex`fe80::211:22ff:fe33:101`,
      dlifLinkLayer: hex`00:11:22:33:01:01`,
      localPrefixes: [{ prefix: hex`2001:db8:ab::`, prefixLen: 48 }],
    },
  });
  assert.deepEqual(toA.dgw, {
    distributed: true,
    servedLocally: false,
    dlifIfIndex: 11,
    dlifLinkLocal: hex`fe80::211:22ff:fe33:101`,
    dlifLinkLayer: hex`00:11:22:33:01:01`,
    localPrefixes: [{ prefix: hex`2001:db8:ab::`, prefixLen: 48 }],
  });
  assert.deepEqual(bul.listByMnId(MN1), [toB, toA]);
  assert.equal(bul.findByMnId(MN1, { lmaAddress: DGW1 }), toA);
  assert.equal(bul.findByMnId(MN1, { lmaAddress: DGW2 }), toB);
  assert.equal(bul.findByAddress(hex`2001:db8:200:1::9`), toB);
  assert.equal(bul.countByLma(DGW1), 1);
});

test('invalid input is a coded error', () => {
  const { bul } = setup(0);
  assert.throws(
    () => newEntry(bul, { requestedLifetimeMs: 0 }),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_INVALID'),
  );
  assert.throws(
    () => newEntry(bul, { lmaAddress: new Uint8Array(15) }),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_INVALID'),
  );
  const e = newEntry(bul);
  assert.throws(
    () => bul.registered(e, 0),
    (err) => isDmmError(err, 'DMM_ERR_BINDING_INVALID'),
  );
  assert.equal(e.state, 'pending');
});
