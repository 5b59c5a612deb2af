/**
 * The neighbour cache state machine on the wire: address resolution with queueing and
 * retransmissions (RFC 4861 §7.2.2), failure → ICMPv6 Destination Unreachable code 3,
 * the full NA update table of §7.2.5, NUD REACHABLE → STALE → DELAY → PROBE → gone
 * (§7.3.3), static entries, and a few thousand entries on one timer wheel.
 *
 * Two links: packets from FAR (lan1, static neighbour) are forwarded to hosts on lan0,
 * whose link-layer addresses the router must resolve. Time is mocked; Math.random is 0.5,
 * so ReachableTime = BaseReachableTime (30 s).
 *
 * Expected NS frames were built with scapy 2.5.0 (Debian python3-scapy):
 *   NS-MC: Ether(dst='33:33:ff:00:00:99', src='02:00:00:00:00:0a')/IPv6(src='2001:db8:1::1',
 *          dst='ff02::1:ff00:99', hlim=255)/ICMPv6ND_NS(tgt='2001:db8:1::99')/
 *          ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:0a')
 *   NS-UC: Ether(dst='02:00:00:00:00:99', src='02:00:00:00:00:0a')/IPv6(src='2001:db8:1::1',
 *          dst='2001:db8:1::99', hlim=255)/ICMPv6ND_NS(tgt='2001:db8:1::99')/
 *          ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:0a')
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NeighborState, type NeighborStateValue } from '@dmm/core';
import { assertBytes, hex, parseIpv6, parseMac } from '@dmm/testkit';
import { DestUnreachCode, Icmpv6Type } from '@dmm/wire';
import {
  FAR,
  FAR_MAC,
  H_GLOBAL,
  H_MAC,
  R1_GLOBAL,
  R1_MAC,
  R_GLOBAL,
  R_MAC,
  bench,
  icmpFrame,
  naMsg,
  outOfType,
  parseOut,
  rsMsg,
  udpFrame,
  type Bench,
} from './harness.js';

const NS_MC = hex`3333ff00009902000000000a86dd6000000000203aff20010db8000100000000000000000001
  ff0200000000000000000001ff00009987001aee0000000020010db8000100000000000000000099
  010102000000000a`;
const NS_UC = hex`02000000009902000000000a86dd6000000000203aff20010db800010000000000000000000120010db80001
  000000000000000000998700eb380000000020010db8000100000000000000000099010102000000000a`;

const S = NeighborState;

/** A packet from FAR (arriving on lan1) for `dst` on lan0. */
function fromFar(dst: Uint8Array, port = 4000): Uint8Array {
  return udpFrame(R1_MAC, FAR_MAC, FAR, dst, port);
}

/** An NA from `target` (sent to our link-local's MAC). */
function na(
  target: Uint8Array,
  f: { r?: boolean; s?: boolean; o?: boolean; tlla?: Uint8Array | null },
): Uint8Array {
  return icmpFrame(
    { dstMac: R_MAC, srcMac: f.tlla ?? H_MAC, src: target, dst: R_GLOBAL },
    naMsg({
      router: f.r ?? false,
      solicited: f.s ?? false,
      override: f.o ?? false,
      target,
      options: f.tlla ? [{ kind: 'target-lla', addr: f.tlla }] : [],
    }),
  );
}

function stateOf(b: Bench, addr: Uint8Array): number {
  const id = b.router.neighbors.lookup(0, addr, 0);
  return id < 0 ? 0 : b.router.neighbors.state[id]!;
}

function macOf(b: Bench, addr: Uint8Array): string {
  const id = b.router.neighbors.lookup(0, addr, 0);
  return Buffer.from(b.router.neighbors.macs.subarray(id * 6, id * 6 + 6)).toString('hex');
}

test('resolution: multicast NS (byte-exact), queue of 3 with the oldest dropped, retransmits every RetransTimer, NA sends the queue in order', async (t) => {
  const b = await bench(t, { twoLinks: true });
  const changes: number[] = [];
  b.router.events.on('neighbor:changed', (_id, _i, st) => changes.push(st));
  b.inject1(fromFar(H_GLOBAL, 1));
  const first = b.take();
  assert.equal(first.length, 1);
  assertBytes(first[0]!, NS_MC, undefined, 'first NS');
  assert.equal(stateOf(b, H_GLOBAL), S.Incomplete);
  b.inject1(fromFar(H_GLOBAL, 2), fromFar(H_GLOBAL, 3), fromFar(H_GLOBAL, 4));
  assert.equal(b.take().length, 0, 'queued, no second NS yet');
  assert.equal(b.counter('nd-cache.queue-overflow'), 1);
  b.tick(999);
  assert.equal(b.take().length, 0);
  b.tick(1);
  assertBytes(b.take()[0]!, NS_MC, undefined, 'retransmission 1');
  b.tick(1000);
  assertBytes(b.take()[0]!, NS_MC, undefined, 'retransmission 2');
  assert.equal(b.counter('nd-cache.ns-sent'), 3);
  b.inject(na(H_GLOBAL, { s: true, o: true, tlla: H_MAC }));
  const out = b.take();
  assert.deepEqual(
    out.map((f) => (f[54]! << 8) | f[55]!),
    [2, 3, 4],
    'the three newest packets, oldest first',
  );
  for (const f of out) {
    assertBytes(f.subarray(0, 12), new Uint8Array([...H_MAC, ...R_MAC]), undefined, 'MACs');
    assert.equal(f[21], 63, 'hop limit decremented once');
  }
  assert.equal(stateOf(b, H_GLOBAL), S.Reachable);
  assert.deepEqual(changes, [S.Incomplete, S.Reachable]);
  assert.equal(b.counter('nd-cache.resolved'), 1);
});

test('resolution failure: MAX_MULTICAST_SOLICIT NSs, then ICMPv6 Destination Unreachable code 3 for each queued packet', async (t) => {
  const b = await bench(t, { twoLinks: true });
  const p1 = fromFar(H_GLOBAL, 11);
  const p2 = fromFar(H_GLOBAL, 12);
  b.inject1(p1, p2);
  b.tick(2999);
  assert.equal(outOfType(b.take(), Icmpv6Type.NeighborSolicitation).length, 3);
  assert.equal(stateOf(b, H_GLOBAL), S.Incomplete, 'still waiting after the third NS');
  assert.equal(b.dev1!.take().length, 0);
  b.tick(1);
  assert.equal(stateOf(b, H_GLOBAL), 0, 'entry removed RetransTimer after the third NS');
  const errors = b.dev1!.take().map(parseOut);
  assert.equal(errors.length, 2);
  for (const [i, e] of errors.entries()) {
    assert.equal(e.type, Icmpv6Type.DestinationUnreachable);
    assert.equal(e.code, DestUnreachCode.AddressUnreachable);
    assertBytes(e.dstMac, FAR_MAC);
    assertBytes(e.srcMac, R1_MAC);
    assertBytes(e.ip.src, R1_GLOBAL);
    assertBytes(e.ip.dst, FAR);
    // the invoking packet as it waited (hop limit already decremented)
    const invoking = (i === 0 ? p1 : p2).slice(14);
    invoking[7] = 63;
    assertBytes(e.icmp.subarray(8), invoking, undefined, 'quoted packet');
  }
  assert.equal(b.counter('nd-cache.resolution-failed'), 2);
  assert.equal(b.counter('icmp6-error.sent'), 2);
  assert.equal(b.router.pool.inUse, 0, 'no buffer leaked');
});

test('NUD: REACHABLE → STALE after ReachableTime → DELAY on use → PROBE (unicast NS, byte-exact) → removed', async (t) => {
  const b = await bench(t, { twoLinks: true });
  b.inject1(fromFar(H_GLOBAL));
  b.inject(na(H_GLOBAL, { s: true, o: true, tlla: H_MAC }));
  b.take();
  assert.equal(stateOf(b, H_GLOBAL), S.Reachable);
  b.tick(29_999);
  assert.equal(stateOf(b, H_GLOBAL), S.Reachable);
  b.tick(1);
  assert.equal(stateOf(b, H_GLOBAL), S.Stale, 'ReachableTime = 30 s × (0.5 + 0.5)');
  b.inject1(fromFar(H_GLOBAL));
  assert.equal(b.take().length, 1, 'sent on the stale address');
  assert.equal(stateOf(b, H_GLOBAL), S.Delay);
  b.tick(4_999);
  assert.equal(b.take().length, 0);
  b.tick(1);
  assert.equal(stateOf(b, H_GLOBAL), S.Probe);
  assertBytes(b.take()[0]!, NS_UC, undefined, 'first probe');
  b.tick(1000);
  assertBytes(b.take()[0]!, NS_UC, undefined, 'second probe');
  b.tick(1000);
  assertBytes(b.take()[0]!, NS_UC, undefined, 'third probe');
  assert.equal(stateOf(b, H_GLOBAL), S.Probe);
  b.tick(1000);
  assert.equal(stateOf(b, H_GLOBAL), 0);
  assert.equal(b.counter('nd-cache.probe-failed'), 1);
  assert.equal(b.take().length, 0);
});

test('NUD: a solicited NA while probing makes the entry REACHABLE again', async (t) => {
  const b = await bench(t, { twoLinks: true });
  b.inject1(fromFar(H_GLOBAL));
  b.inject(na(H_GLOBAL, { s: true, o: true, tlla: H_MAC }));
  b.tick(30_000);
  b.inject1(fromFar(H_GLOBAL));
  b.tick(5_000);
  assert.equal(stateOf(b, H_GLOBAL), S.Probe);
  b.inject(na(H_GLOBAL, { s: true, o: false, tlla: H_MAC }));
  assert.equal(stateOf(b, H_GLOBAL), S.Reachable);
  b.take();
  b.tick(5_000);
  assert.equal(b.take().length, 0, 'no more probes');
});

/*
 * RFC 4861 §7.2.5 for an entry that has a link-layer address (M1), as the RFC words it:
 *  - O clear and a TLLA that differs: REACHABLE becomes STALE, otherwise nothing changes;
 *    the cached address stays.
 *  - otherwise: a differing TLLA is recorded; S set → REACHABLE; S clear and the address
 *    changed → STALE; else the state stays.
 * `keep` = the state before; `R2S` = STALE if it was REACHABLE, else unchanged.
 */
const M1 = parseMac('02:00:00:00:00:99');
const M2 = parseMac('02:00:00:00:00:77');
type Expect = 'keep' | 'R2S' | NeighborStateValue;
const NA_TABLE: {
  o: boolean;
  s: boolean;
  tlla: 'none' | 'same' | 'diff';
  state: Expect;
  mac: 'M1' | 'M2';
}[] = [
  { o: false, s: false, tlla: 'none', state: 'keep', mac: 'M1' },
  { o: false, s: false, tlla: 'same', state: 'keep', mac: 'M1' },
  { o: false, s: false, tlla: 'diff', state: 'R2S', mac: 'M1' },
  { o: false, s: true, tlla: 'none', state: S.Reachable, mac: 'M1' },
  { o: false, s: true, tlla: 'same', state: S.Reachable, mac: 'M1' },
  { o: false, s: true, tlla: 'diff', state: 'R2S', mac: 'M1' },
  { o: true, s: false, tlla: 'none', state: 'keep', mac: 'M1' },
  { o: true, s: false, tlla: 'same', state: 'keep', mac: 'M1' },
  { o: true, s: false, tlla: 'diff', state: S.Stale, mac: 'M2' },
  { o: true, s: true, tlla: 'none', state: S.Reachable, mac: 'M1' },
  { o: true, s: true, tlla: 'same', state: S.Reachable, mac: 'M1' },
  { o: true, s: true, tlla: 'diff', state: S.Reachable, mac: 'M2' },
];

/** Host i of the table (2001:db8:1::1:i). */
function host(i: number): Uint8Array {
  return parseIpv6(`2001:db8:1::1:${i.toString(16)}`);
}

/** Brings hosts 0..n-1 into `state` through the protocol, all with M1. */
function prepare(b: Bench, n: number, state: NeighborStateValue): void {
  for (let i = 0; i < n; i++) {
    if (state === S.Reachable) {
      b.inject1(fromFar(host(i)));
      b.inject(na(host(i), { s: true, o: true, tlla: M1 }));
    } else {
      // an RS with an SLLA creates a STALE entry (§6.2.6); RAs are off, so no answer
      b.inject(
        icmpFrame(
          { dstMac: R_MAC, src: host(i), dst: R_GLOBAL },
          rsMsg([{ kind: 'source-lla', addr: M1 }]),
        ),
      );
      if (state !== S.Stale) b.inject1(fromFar(host(i)));
    }
  }
  if (state === S.Probe) b.tick(5_000);
  b.take();
  for (let i = 0; i < n; i++) assert.equal(stateOf(b, host(i)), state, `host ${i} prepared`);
}

for (const [name, initial] of [
  ['REACHABLE', S.Reachable],
  ['STALE', S.Stale],
  ['DELAY', S.Delay],
  ['PROBE', S.Probe],
] as const) {
  test(`NA update table (RFC 4861 §7.2.5) for a ${name} entry: all 12 O/S/TLLA combinations`, async (t) => {
    const b = await bench(t, { twoLinks: true });
    prepare(b, NA_TABLE.length, initial);
    NA_TABLE.forEach((row, i) => {
      const tlla = row.tlla === 'none' ? null : row.tlla === 'same' ? M1 : M2;
      b.inject(na(host(i), { o: row.o, s: row.s, tlla, r: i % 2 === 1 }));
      const want =
        row.state === 'keep'
          ? initial
          : row.state === 'R2S'
            ? initial === S.Reachable
              ? S.Stale
              : initial
            : row.state;
      const label = `O=${+row.o} S=${+row.s} TLLA=${row.tlla}`;
      assert.equal(stateOf(b, host(i)), want, `${label}: state`);
      assert.equal(
        macOf(b, host(i)),
        Buffer.from(row.mac === 'M1' ? M1 : M2).toString('hex'),
        `${label}: MAC`,
      );
      const id = b.router.neighbors.lookup(0, host(i), 0);
      // IsRouter follows the R flag, except when the NA is ignored ("do not update the
      // entry in any other way", §7.2.5): then it stays as prepared (0)
      const ignored = !row.o && row.tlla === 'diff';
      assert.equal(b.router.neighbors.isRouter[id], ignored ? 0 : i % 2, `${label}: IsRouter`);
    });
    assert.equal(b.counter('nd-na-input.no-override'), 2);
  });
}

test('NA update table for an INCOMPLETE entry: no TLLA ignored; with TLLA, S → REACHABLE else STALE (then DELAY); queue sent', async (t) => {
  const b = await bench(t, { twoLinks: true });
  // STALE shows as DELAY: the queued packet left at once on the stale address (§7.3.3)
  const cases = [
    { s: false, tlla: null, state: S.Incomplete, sent: 0 },
    { s: true, tlla: null, state: S.Incomplete, sent: 0 },
    { s: false, tlla: M2, state: S.Delay, sent: 1 },
    { s: true, tlla: M2, state: S.Reachable, sent: 1 },
  ];
  for (const [i, c] of cases.entries()) {
    b.inject1(fromFar(host(i)));
    b.take();
    b.inject(na(host(i), { s: c.s, o: true, tlla: c.tlla }));
    const sent = b.take().filter((f) => f[20] === 17); // UDP: the queued packet
    assert.equal(stateOf(b, host(i)), c.state, `case ${i}`);
    assert.equal(sent.length, c.sent, `case ${i}: queued packet sent`);
    if (c.sent) assertBytes(sent[0]!.subarray(0, 6), M2);
  }
  assert.equal(b.counter('nd-na-input.incomplete-without-tlla'), 2);
});

test('static neighbours are PERMANENT: used at once, never changed by NAs', async (t) => {
  const b = await bench(t, {
    config: {
      neighbors: {
        static: [{ interface: 'lan0', address: '2001:db8:1::99', mac: '02:00:00:00:00:55' }],
      },
    },
    twoLinks: true,
  });
  assert.equal(stateOf(b, H_GLOBAL), S.Permanent);
  b.inject(na(H_GLOBAL, { s: true, o: true, tlla: M2 }));
  assert.equal(b.counter('nd-na-input.permanent-entry'), 1);
  b.inject1(fromFar(H_GLOBAL));
  const [f] = b.take();
  assertBytes(f!.subarray(0, 6), parseMac('02:00:00:00:00:55'));
  await b.router.stop();
  assert.equal(b.router.neighbors.size, 0, 'the plugin removes its entries when it stops');
});

test('NS with SLLA for our address updates a known neighbour: new MAC → STALE', async (t) => {
  const b = await bench(t, { twoLinks: true });
  b.inject1(fromFar(H_GLOBAL));
  b.inject(na(H_GLOBAL, { s: true, o: true, tlla: M1 }));
  b.take();
  b.inject(
    icmpFrame(
      { dstMac: R_MAC, src: H_GLOBAL, dst: R_GLOBAL },
      new Uint8Array([...[135, 0, 0, 0, 0, 0, 0, 0], ...R_GLOBAL, ...[1, 1, ...M2]]),
    ),
  );
  assert.equal(macOf(b, H_GLOBAL), Buffer.from(M2).toString('hex'));
  // STALE, then DELAY because our NA went to it at once
  assert.equal(stateOf(b, H_GLOBAL), S.Delay);
});

test('scale: 4000 neighbours on one timer wheel, one interval timer, garbage-collected after 20 minutes', async (t) => {
  const b = await bench(t, { twoLinks: true });
  const intervals = t.mock.method(globalThis, 'setInterval');
  const timeouts = t.mock.method(globalThis, 'setTimeout');
  const t0 = performance.now();
  const n = 4000;
  for (let i = 0; i < n; i += 200) {
    for (let k = i; k < i + 200; k++) {
      const a = parseIpv6(`2001:db8:1::2:${k.toString(16)}`);
      b.dev.inject(
        icmpFrame(
          { dstMac: R_MAC, src: a, dst: R_GLOBAL },
          rsMsg([{ kind: 'source-lla', addr: M1 }]),
        ),
      );
    }
    b.router.scheduler.poll();
  }
  const census = () =>
    (b.router.commands.get('show nd')!.run({}) as { cache: { states: Record<string, number> } })
      .cache.states;
  assert.equal(census().stale, n);
  assert.equal(intervals.mock.callCount(), 1, 'one periodic tick for every entry');
  assert.equal(timeouts.mock.callCount(), 0, 'no timer per entry');
  const before = b.counter('nd-cache.gc');
  b.tick(20 * 60_000);
  assert.equal(b.counter('nd-cache.gc') - before, n);
  assert.equal(census().stale, 0);
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
});

test('scale: 1500 resolutions failing in the same tick are handled in batches; no buffer left behind', async (t) => {
  const b = await bench(t, { twoLinks: true, poolCount: 4096 });
  const n = 1500;
  for (let i = 0; i < n; i += 200) {
    for (let k = i; k < Math.min(n, i + 200); k++) {
      b.dev1!.inject(fromFar(parseIpv6(`2001:db8:1::3:${k.toString(16)}`), k));
    }
    b.router.scheduler.poll();
  }
  assert.equal(outOfType(b.take(), Icmpv6Type.NeighborSolicitation).length, n);
  assert.equal(b.router.pool.inUse, n, 'one queued packet per entry');
  for (let round = 0; round < 2; round++) {
    b.tick(1000);
    assert.equal(
      outOfType(b.take(), Icmpv6Type.NeighborSolicitation).length,
      n,
      `retransmission ${round + 1}`,
    );
  }
  b.tick(1000);
  assert.equal(b.counter('nd-cache.resolution-failed'), n);
  assert.equal(b.counter('nd-cache.no-buffer'), 0);
  // RFC 4443 §2.4(f): the router's error rate limit lets the first 100 through
  assert.equal(b.counter('icmp6-error.sent') + b.counter('icmp6-error.rate-limited'), n);
  assert.equal(b.dev1!.take().length, b.counter('icmp6-error.sent'));
  assert.equal(b.router.neighbors.size, 1, 'only the static FAR entry is left');
  assert.equal(b.router.pool.inUse, 0);
});

test('resolution queue: a router-originated packet is never pushed out by forwarded ones', async (t) => {
  const b = await bench(t, { twoLinks: true });
  b.inject1(fromFar(H_GLOBAL, 1), fromFar(H_GLOBAL, 2));
  b.take();
  // a packet of our own (here an Echo Request from the router) joins the queue of 3 …
  const own = b.router.pool.alloc()!;
  own.end = own.start + 48;
  own.bytes.set(
    [0x60, 0, 0, 0, 0, 8, 58, 64, ...R_GLOBAL, ...H_GLOBAL, 128, 0, 0, 0, 0, 7, 0, 1],
    own.start,
  );
  b.router.sendIp6(own);
  // … then more forwarded packets arrive: the oldest forwarded ones go, ours stays
  b.inject1(fromFar(H_GLOBAL, 3), fromFar(H_GLOBAL, 4), fromFar(H_GLOBAL, 5));
  assert.equal(b.counter('nd-cache.queue-overflow'), 3);
  b.inject(na(H_GLOBAL, { s: true, o: true, tlla: H_MAC }));
  const out = b.take();
  assert.equal(out.length, 3);
  assert.equal(out[0]![54], 128, 'our own packet first, as it was queued before the rest');
  assert.deepEqual(
    out.slice(1).map((f) => (f[54]! << 8) | f[55]!),
    [4, 5],
    'then the newest forwarded ones',
  );
});

test('priming: resolution with no packet waiting — the same NS, one entry, nothing to send on failure', async (t) => {
  const b = await bench(t, { twoLinks: true });
  const resolver = b.router.neighbors.resolver!;
  assert.equal(resolver.prime!(0, H_GLOBAL, 0), true);
  assertBytes(b.take()[0]!, NS_MC, undefined, 'NS for a primed entry');
  assert.equal(stateOf(b, H_GLOBAL), S.Incomplete);
  assert.equal(resolver.prime!(0, H_GLOBAL, 0), true, 'an existing entry is left as it is');
  assert.equal(b.take().length, 0, 'no second NS');
  assert.equal(b.counter('nd-cache.primed'), 1);
  b.inject(na(H_GLOBAL, { s: true, o: true, tlla: H_MAC }));
  assert.equal(b.take().length, 0, 'nothing was queued');
  assert.equal(stateOf(b, H_GLOBAL), S.Reachable);
  assert.equal(macOf(b, H_GLOBAL), Buffer.from(H_MAC).toString('hex'));

  // an unanswered priming ends like any resolution, but with no packet to report about
  const other = parseIpv6('2001:db8:1::98');
  assert.equal(resolver.prime!(0, other, 0), true);
  b.tick(3000);
  assert.equal(outOfType(b.take(), Icmpv6Type.NeighborSolicitation).length, 3);
  assert.equal(stateOf(b, other), 0, 'removed after MAX_MULTICAST_SOLICIT');
  assert.equal(b.dev1!.take().length, 0, 'no ICMPv6 error: nothing waited');
  assert.equal(b.counter('nd-cache.resolution-failed'), 0);
  assert.equal(resolver.prime!(9, other, 0), false, 'no such interface');
  assert.equal(b.router.pool.inUse, 0, 'no buffer leaked');
});
