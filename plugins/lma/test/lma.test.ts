/**
 * The LMA's PBU processing (RFC 5213 §5.3–§5.5) through a real router: PBU frames in on
 * the backbone, PBAs out, judged byte by byte where an independent vector exists and
 * field by field otherwise; every status code of protocol.md §2.8 the LMA can send, each
 * counted.
 *
 * Vector provenance:
 *  - PBU_VECTOR, PBA_VECTOR: protocol.md §5.2 (hand-written Python and scapy 2.5,
 *    byte-identical).
 *  - PBA_156, PBA_154: Debian scapy 2.5.0 (/usr/bin/python3) with the PMIPv6 option
 *    classes of protocol.md §6 (HNP 8n+4, HI, ATT, MN-LLI, LLA 8n+6, Timestamp 8n+2, and
 *    scapy's own MIP6OptMNID), `opts()` = [HNP(plen, prefix), HI(1), ATT(3), TS(t),
 *    MNID(subtype=1, id=b"mn1@example.org"), MNLLI("02:00:00:00:00:01"), LLA("fe80::1")]:
 *      PBA_156 = IPv6(src="fd00:100::1", dst="fd00:100::2", hlim=64)/MIP6MH_BA(status=156,
 *        flags="P", seq=1, mhtime=0, options=opts(plen=0, prefix="::",
 *        t=(0x6553F101 << 16)))                       # the LMA's clock, 1700000001.0
 *      PBA_154 = IPv6(src="fd00:100::1", dst="fd00:100::99", hlim=64)/MIP6MH_BA(status=154,
 *        flags="P", seq=1, mhtime=0, options=opts(plen=0, prefix="::",
 *        t=(0x6553F100 << 16) | 0x8000))              # the PBU's own, echoed
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteKind, formatIpv6Address as ipText } from '@dmm/core';
import { assertBytes, hex, parseIpv6, parseMac } from '@dmm/testkit';
import {
  PbaFlag,
  PbaStatus,
  PbuFlag,
  findHnps,
  findOption,
  timestampFromMs as tsOf,
  timestampToMs,
} from '@dmm/wire';
import { TUNNELS } from '@dmm/tunnel';
import { lmaConfigSchema, HnpPool } from '@dmm/plugin-lma';
import {
  LMA_MAC,
  MAG,
  MAG2,
  MAG_MAC,
  STRANGER,
  T0,
  eth,
  lmaBench,
  pbu,
  sleep,
  tick,
  type LmaBench,
} from './bench.js';

const PBU_VECTOR = hex`6000000000688740fd000100000000000000000000000002fd000100000000000000000000
0000013b0c050029b700018200000f16120000000000000000000000000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;
const PBA_VECTOR = hex`6000000000688740fd000100000000000000000000000001fd000100000000000000000000
0000023b0c06007c9c00200001000f1612004020010db80001000100000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;
const PBA_156 = hex`6000000000688740fd000100000000000000000000000001fd000100000000000000000000
0000023b0c06008ea59c200001000016120000000000000000000000000000000000001702
00011802000301001b0800006553f10100000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;
const PBA_154 = hex`6000000000688740fd000100000000000000000000000001fd000100000000000000000000
0000993b0c0600100f9a200001000016120000000000000000000000000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;

const S1 = parseIpv6('2001:db8:1:1::'); // mn1's static home network prefix

function rejected(b: LmaBench, status: number): number {
  return b.lma.counters.rejected.get(status) ?? 0;
}

async function withBench(
  config: Parameters<typeof lmaBench>[0],
  fn: (b: LmaBench) => Promise<void>,
): Promise<void> {
  const b = await lmaBench(config);
  try {
    await fn(b);
  } finally {
    await b.router.stop();
  }
}

test('lma: the PBU of protocol.md §5.2 is answered with its PBA byte for byte; binding, tunnel and route follow', () =>
  withBench({}, async (b) => {
    b.wan.inject(eth(LMA_MAC, MAG_MAC, PBU_VECTOR));
    b.router.scheduler.poll();
    await tick();
    const out = b.wan.take();
    assert.equal(out.length, 1);
    assertBytes(out[0]!.slice(14), PBA_VECTOR);
    assert.deepEqual([...out[0]!.slice(0, 6)], [...MAG_MAC], 'to the MAG');
    const e = b.lma.cache.findByPrefix(S1, 64)!;
    assert.equal(e.state, 'active');
    assert.deepEqual([...e.proxyCoa], [...MAG]);
    assert.equal(e.handoffIndicator, 1);
    assert.equal(e.accessTechnology, 3);
    assert.equal(e.lifetimeMs, 60_000);
    assert.equal(timestampToMs(e.timestampSeconds, e.timestampFraction), T0);
    const tunnels = b.router.container.resolve(TUNNELS);
    assert.equal(tunnels.refCount(e.tunnelId), 1);
    const info = tunnels.info(e.tunnelId)!;
    assert.equal(info.local, 'fd00:100::1');
    assert.equal(info.remote, 'fd00:100::2');
    // the home network prefix is routed into that tunnel; the rest of the pool is a blackhole
    const probe = parseIpv6('2001:db8:1:1::100');
    const r = b.router.routes.routes[b.router.routes.lookup(probe, 0, 0)]!;
    assert.equal(r.kind, RouteKind.Tunnel);
    assert.equal(r.tunnel, e.tunnelId);
    const other = parseIpv6('2001:db8:1:2::1');
    const r2 = b.router.routes.routes[b.router.routes.lookup(other, 0, 0)]!;
    assert.equal(r2.kind, RouteKind.Blackhole);
    assert.equal(b.lma.counters.accepted.registered, 1);
    assert.equal(b.counter('mobility-input.pbu-received'), 1);
  }));

test('lma: 154 for a sender that is not a configured MAG (protocol.md §2.8), counted, nothing bound', () =>
  withBench({}, async (b) => {
    const r = await b.exchange(pbu(), STRANGER);
    assertBytes(r.packet, PBA_154);
    assert.equal(rejected(b, PbaStatus.MagNotAuthorizedForProxyReg), 1);
    assert.equal(b.lma.cache.size, 0);
    assert.equal(b.lma.stats().rejected['154 MagNotAuthorizedForProxyReg'], 1);
  }));

test('lma: 156 for a timestamp outside TimestampValidityWindow; the PBA carries the LMA clock', () =>
  withBench({}, async (b) => {
    b.wall.now = T0 + 500; // 500 ms ahead of the PBU, window 300 ms
    const r = await b.exchange(pbu());
    assertBytes(r.packet, PBA_156);
    // 300 ms behind is still in the window; 301 is not
    b.wall.now = T0 + 300;
    assert.equal((await b.exchange(pbu())).pba.status, PbaStatus.Accepted);
    b.wall.now = T0 + 1000;
    const late = await b.exchange(pbu({ ts: T0 + 699 }));
    assert.equal(late.pba.status, PbaStatus.TimestampMismatch);
    // no Timestamp option at all, with the timestamp approach in use
    assert.equal((await b.exchange(pbu({ ts: null }))).pba.status, PbaStatus.TimestampMismatch);
    assert.equal(rejected(b, PbaStatus.TimestampMismatch), 3);
  }));

test('lma: 152 without the P flag, 160 without MN-ID, 158 without HNP, 161 without HI, 162 without ATT', () =>
  withBench({}, async (b) => {
    const cases: [Parameters<typeof pbu>[0], number][] = [
      [{ flags: PbuFlag.A }, PbaStatus.ProxyRegNotEnabled],
      [{ nai: null }, PbaStatus.MissingMnIdentifierOption],
      [{ hnp: null }, PbaStatus.MissingHomeNetworkPrefixOption],
      [{ hi: null }, PbaStatus.MissingHandoffIndicatorOption],
      [{ att: null }, PbaStatus.MissingAccessTechTypeOption],
    ];
    for (const [o, status] of cases) {
      const r = await b.exchange(pbu(o));
      assert.equal(r.pba.status, status, JSON.stringify(o));
      assert.equal(r.pba.lifetime, 0);
      assert.equal(r.pba.flags, PbaFlag.P);
      assert.equal(rejected(b, status), 1);
    }
    assert.equal(b.lma.cache.size, 0);
    // the missing options are not invented in the answer; what was sent is echoed
    const r = await b.exchange(pbu({ hi: null }));
    assert.equal(findOption(r.pba, 'handoff-indicator'), undefined);
    assert.equal(findOption(r.pba, 'mn-id')?.nai, 'mn1@example.org');
  }));

test('lma: 153 for a node without a profile (not ours), 129 for one whose profile forbids it', () =>
  withBench({}, async (b) => {
    const r1 = await b.exchange(pbu({ nai: 'stranger@example.org' }));
    assert.equal(r1.pba.status, PbaStatus.NotLmaForThisMobileNode);
    const r2 = await b.exchange(pbu({ nai: 'banned@example.org' }));
    assert.equal(r2.pba.status, PbaStatus.AdministrativelyProhibited);
    assert.equal(rejected(b, 153), 1);
    assert.equal(rejected(b, 129), 1);
  }));

test('lma: with mobileNodes.default allow, a node without a profile is served from the pool', () =>
  withBench({ mobileNodes: { default: 'allow' } }, async (b) => {
    const r = await b.exchange(pbu({ nai: 'anyone@example.org' }));
    assert.equal(r.pba.status, 0);
    const hnp = findHnps(r.pba);
    assert.equal(hnp.length, 1);
    assert.equal(hnp[0]!.prefixLength, 64);
    assert.deepEqual(
      [...hnp[0]!.prefix],
      [...parseIpv6('2001:db8:1::')],
      'the first /64 of the pool',
    );
  }));

test('lma: 157 for a timestamp older than the binding’s, and for a replay of the accepted PBU', () =>
  withBench({}, async (b) => {
    const first = pbu();
    assert.equal((await b.exchange(first)).pba.status, 0);
    const older = await b.exchange(pbu({ ts: T0 - 100, hnp: '2001:db8:1:1::' }));
    assert.equal(older.pba.status, PbaStatus.TimestampLowerThanPrevAccepted);
    const replay = await b.exchange(first);
    assert.equal(replay.pba.status, PbaStatus.TimestampLowerThanPrevAccepted);
    assert.equal(rejected(b, 157), 2);
    // a newer one refreshes
    b.wall.now = T0 + 10;
    const newer = await b.exchange(pbu({ ts: T0 + 10, hi: 5, hnp: '2001:db8:1:1::' }));
    assert.equal(newer.pba.status, 0);
    assert.equal(b.lma.counters.accepted.refreshed, 1);
  }));

test('lma: 155 for a prefix that is not the node’s, 159 when the set differs from the binding’s', () =>
  withBench({}, async (b) => {
    // mn1 holds its static prefix; mn2 gets one from the pool
    assert.equal((await b.exchange(pbu())).pba.status, 0);
    const r2 = await b.exchange(
      pbu({ nai: 'mn2@example.org', lli: parseMac('02:00:00:00:00:02') }),
    );
    assert.equal(r2.pba.status, 0);
    const p2 = findHnps(r2.pba)[0]!;
    b.wall.now = T0 + 1;
    // mn2 asking for mn1's prefix, or for one nobody assigned
    const steal = await b.exchange(
      pbu({
        nai: 'mn2@example.org',
        lli: parseMac('02:00:00:00:00:02'),
        hnp: '2001:db8:1:1::',
        ts: T0 + 1,
      }),
    );
    assert.equal(steal.pba.status, PbaStatus.NotAuthorizedForHomeNetworkPrefix);
    const invent = await b.exchange(
      pbu({
        nai: 'mn2@example.org',
        lli: parseMac('02:00:00:00:00:02'),
        hnp: '2001:db8:99:1::',
        ts: T0 + 1,
      }),
    );
    assert.equal(invent.pba.status, PbaStatus.NotAuthorizedForHomeNetworkPrefix);
    assert.equal(rejected(b, 155), 2);
    // mn1, second interface (ATT 4): a second session with a prefix from the pool
    const s2 = await b.exchange(pbu({ att: 4, lli: parseMac('02:00:00:00:01:01'), ts: T0 + 1 }));
    assert.equal(s2.pba.status, 0);
    const q = findHnps(s2.pba)[0]!;
    assert.notDeepEqual([...q.prefix], [...S1]);
    b.wall.now = T0 + 2;
    // the ATT 3 session asking for its own prefix plus the other session's: 159
    const mixed = await b.exchange(
      pbu({ hnp: '2001:db8:1:1::', extraHnp: ipText(q.prefix), ts: T0 + 2, hi: 5 }),
    );
    assert.equal(mixed.pba.status, PbaStatus.BcePbuPrefixSetDoNotMatch);
    // mn2's session asking for its own prefix and another unassigned one: 155 (not its)
    const more = await b.exchange(
      pbu({
        nai: 'mn2@example.org',
        lli: parseMac('02:00:00:00:00:02'),
        hnp: ipText(p2.prefix),
        extraHnp: '2001:db8:1:ffff::',
        ts: T0 + 2,
      }),
    );
    assert.equal(more.pba.status, PbaStatus.NotAuthorizedForHomeNetworkPrefix);
    assert.equal(rejected(b, 159), 1);
    // nothing changed
    assert.equal(b.lma.cache.size, 3);
    assert.deepEqual([...b.lma.cache.findByPrefix(S1, 64)!.proxyCoa], [...MAG]);
  }));

test('lma: 130 when the prefix pool is exhausted', () =>
  withBench({ hnpPool: '2001:db8:1:2::/64' }, async (b) => {
    assert.equal(b.lma.pool.size, 1);
    const a = await b.exchange(pbu({ nai: 'mn2@example.org', lli: parseMac('02:00:00:00:00:02') }));
    assert.equal(a.pba.status, 0);
    assert.deepEqual([...findHnps(a.pba)[0]!.prefix], [...parseIpv6('2001:db8:1:2::')]);
    const c = await b.exchange(pbu({ nai: 'mn3@example.org', lli: parseMac('02:00:00:00:00:03') }));
    assert.equal(c.pba.status, PbaStatus.InsufficientResources);
    assert.equal(rejected(b, 130), 1);
    // mn1 has a static prefix and still gets it
    assert.equal((await b.exchange(pbu())).pba.status, 0);
  }));

test('lma: the lifetime granted is capped by maxLifetime (4-second units)', () =>
  withBench({ maxLifetime: 40 }, async (b) => {
    const r = await b.exchange(pbu({ lifetime: 15 }));
    assert.equal(r.pba.lifetime, 10);
    assert.equal(b.lma.cache.findByPrefix(S1, 64)!.lifetimeMs, 40_000);
  }));

test('lma: handoff to another MAG moves Proxy-CoA, tunnel and route; the old tunnel goes with its last binding', () =>
  withBench({}, async (b) => {
    await b.exchange(pbu());
    const tunnels = b.router.container.resolve(TUNNELS);
    const e = b.lma.cache.findByPrefix(S1, 64)!;
    const t1 = e.tunnelId;
    b.wall.now = T0 + 50;
    const r = await b.exchange(pbu({ hi: 3, ts: T0 + 50 }), MAG2);
    assert.equal(r.pba.status, 0);
    assert.deepEqual([...r.packet.slice(24, 40)], [...MAG2], 'answered to the new MAG');
    assert.deepEqual(
      findHnps(r.pba).map((h) => [...h.prefix]),
      [[...S1]],
      'same prefix',
    );
    assert.deepEqual([...e.proxyCoa], [...MAG2]);
    assert.equal(e.handoffIndicator, 3);
    assert.equal(tunnels.isLive(t1), false, 'no binding uses the tunnel to the old MAG');
    assert.equal(tunnels.info(e.tunnelId)!.remote, 'fd00:100::3');
    const route =
      b.router.routes.routes[b.router.routes.lookup(parseIpv6('2001:db8:1:1::5'), 0, 0)]!;
    assert.equal(route.tunnel, e.tunnelId);
    assert.equal(b.lma.counters.accepted.handoff, 1);
  }));

test('lma: a late de-registration from the previous MAG is answered but does not touch the binding', () =>
  withBench({}, async (b) => {
    await b.exchange(pbu());
    b.wall.now = T0 + 50;
    await b.exchange(pbu({ hi: 3, ts: T0 + 50 }), MAG2);
    b.wall.now = T0 + 60;
    const r = await b.exchange(pbu({ lifetime: 0, hnp: '2001:db8:1:1::', ts: T0 + 60 }), MAG);
    assert.equal(r.pba.status, PbaStatus.Accepted);
    assert.equal(r.pba.lifetime, 0);
    const e = b.lma.cache.findByPrefix(S1, 64)!;
    assert.equal(e.state, 'active');
    assert.deepEqual([...e.proxyCoa], [...MAG2]);
    assert.deepEqual(
      [e.timestampSeconds, e.timestampFraction],
      [tsOf(T0 + 50).seconds, tsOf(T0 + 50).fraction],
      'not updated',
    );
    assert.equal(b.lma.counters.accepted['dereg-other-mag'], 1);
    assert.equal(b.lma.counters.accepted.deregistered, 0);
  }));

test('lma: de-registration keeps the entry MinDelayBeforeBCEDelete without forwarding; a registration revives it', () =>
  withBench({ pmip: { MinDelayBeforeBCEDelete: 400 } }, async (b) => {
    await b.exchange(pbu());
    const tunnels = b.router.container.resolve(TUNNELS);
    const e = b.lma.cache.findByPrefix(S1, 64)!;
    b.wall.now = T0 + 10;
    const d = await b.exchange(pbu({ lifetime: 0, hnp: '2001:db8:1:1::', ts: T0 + 10 }));
    assert.equal(d.pba.status, 0);
    assert.equal(d.pba.lifetime, 0);
    assert.equal(e.state, 'deregistering');
    assert.equal(e.tunnelId, -1);
    assert.equal(tunnels.size, 0, 'tunnel released at once');
    const route =
      b.router.routes.routes[b.router.routes.lookup(parseIpv6('2001:db8:1:1::5'), 0, 0)]!;
    assert.equal(route.kind, RouteKind.Blackhole, 'the pool route catches the prefix');
    // a repeated de-registration is answered the same and does not push the deletion back
    b.wall.now = T0 + 20;
    const deleteAt = e.deleteAt;
    assert.equal(
      (await b.exchange(pbu({ lifetime: 0, hnp: '2001:db8:1:1::', ts: T0 + 20 }))).pba.status,
      0,
    );
    assert.equal(e.deleteAt, deleteAt);
    // revived from the new MAG within the delay
    b.wall.now = T0 + 30;
    const r = await b.exchange(pbu({ hi: 3, ts: T0 + 30 }), MAG2);
    assert.equal(r.pba.status, 0);
    assert.equal(e.state, 'active');
    assert.deepEqual([...findHnps(r.pba)[0]!.prefix], [...S1]);
    assert.equal(
      b.router.routes.routes[b.router.routes.lookup(parseIpv6('2001:db8:1:1::5'), 0, 0)]!.kind,
      RouteKind.Tunnel,
    );
    assert.equal(b.lma.counters.accepted.handoff, 1);
    await sleep(500);
    assert.equal(b.lma.cache.size, 1, 'revived: not deleted');
  }));

test('lma: without a new registration the de-registered entry is deleted after MinDelayBeforeBCEDelete', () =>
  withBench({ pmip: { MinDelayBeforeBCEDelete: 200 } }, async (b) => {
    const r = await b.exchange(pbu({ nai: 'mn2@example.org', lli: parseMac('02:00:00:00:00:02') }));
    const p = findHnps(r.pba)[0]!;
    const inUse = b.lma.pool.allocated; // mn1's static prefix is reserved in the pool too
    b.wall.now = T0 + 10;
    await b.exchange(
      pbu({
        nai: 'mn2@example.org',
        lli: parseMac('02:00:00:00:00:02'),
        lifetime: 0,
        hnp: ipText(p.prefix),
        ts: T0 + 10,
      }),
    );
    await sleep(100);
    assert.equal(b.lma.cache.size, 1, 'still there at 100 ms');
    await sleep(250);
    assert.equal(b.lma.cache.size, 0, 'gone after 200 ms');
    assert.equal(b.lma.counters.deleted, 1);
    assert.equal(b.lma.pool.allocated, inUse - 1, 'prefix back in the pool');
    assert.equal(b.lma.pool.isUsed(p.prefix, 64), false);
  }));

test('lma: a de-registration for a node without binding is accepted (nothing to do)', () =>
  withBench({}, async (b) => {
    const r = await b.exchange(pbu({ lifetime: 0 }));
    assert.equal(r.pba.status, 0);
    assert.equal(b.lma.counters.accepted['dereg-no-binding'], 1);
  }));

test('lma: with sequence numbers instead of timestamps, an old sequence gets 135 and the last accepted one', () =>
  withBench({ pmip: { TimestampBasedApproachInUse: false } }, async (b) => {
    assert.equal((await b.exchange(pbu({ seq: 10, ts: null }))).pba.status, 0);
    const r = await b.exchange(pbu({ seq: 10, ts: null, hnp: '2001:db8:1:1::' }));
    assert.equal(r.pba.status, PbaStatus.SequenceNumberOutOfWindow);
    assert.equal(r.pba.sequence, 10);
    assert.equal(
      (await b.exchange(pbu({ seq: 11, ts: null, hnp: '2001:db8:1:1::' }))).pba.status,
      0,
    );
  }));

test('lma: show bindings and show lma', () =>
  withBench({}, async (b) => {
    await b.exchange(pbu());
    await b.exchange(pbu(), STRANGER);
    const sb = await b.router.commands.run('show bindings');
    assert.deepEqual(sb.table!.columns, [
      'MN-ID',
      'HNP',
      'PROXY-COA',
      'TUNNEL',
      'LEFT',
      'STATE',
      'ATT',
      'HI',
      'TIMESTAMP',
    ]);
    const row = sb.table!.rows[0]!;
    assert.deepEqual(row.slice(0, 3), ['mn1@example.org', '2001:db8:1:1::/64', 'fd00:100::2']);
    assert.deepEqual(row.slice(5), ['active', '3', '1', '2023-11-14T22:13:20.500Z']);
    const sl = await b.router.commands.run('show lma');
    const result = sl.result as {
      pbaStatusSent: Record<string, number>;
      accepted: Record<string, number>;
    };
    assert.deepEqual(result.pbaStatusSent, {
      '0 Accepted': 1,
      '154 MagNotAuthorizedForProxyReg': 1,
    });
    assert.equal(result.accepted.registered, 1);
    assert.ok(
      sl.table!.rows.some(
        (r) => r[0] === 'rejected: 154 MagNotAuthorizedForProxyReg' && r[1] === '1',
      ),
    );
  }));

test('lma: config — address must be the router’s; pool sizes, profiles and MAGs are checked', async () => {
  const bad = lmaConfigSchema.safeParse({
    address: 'fd00:100::1',
    hnpPool: '2001:db8::/32',
    mags: ['fd00:100::2', 'fd00:100::2', '2001:db8:0:1::1'],
    mobileNodes: {
      profiles: [
        { id: 'a@x', hnp: '2001:db8:1::/56' },
        { id: 'a@x' },
        { id: 'b@x', hnp: '2001:db8:1::/64' },
      ],
    },
  });
  assert.ok(!bad.success);
  const msgs = bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.deepEqual(msgs, [
    'hnpPool: a /32 pool of /64s holds 2^32 prefixes; at most 2^24 are supported',
    'mobileNodes.profiles.0.hnp: a home network prefix is a /64 (hnpLength), not /56',
    'mobileNodes.profiles.1.id: a@x already has a profile (mobileNodes.profiles[0])',
    'mobileNodes.profiles.2.hnp: 2001:db8:1::/64 overlaps the prefix of mobileNodes.profiles[0]',
    'mags.1: listed twice',
    'mags.2: a MAG address inside the home network prefix pool',
  ]);
  const unknownKey = lmaConfigSchema.safeParse({
    address: 'fd00:100::1',
    hnpPool: '2001:db8:100::/48',
    mags: ['fd00:100::2'],
    pmip: { MinDelayBeforeBCEDelet: 1 },
  });
  assert.ok(!unknownKey.success, 'RFC variable names are checked');
  await assert.rejects(lmaBench({ address: 'fd00:100::7' }), /not an address of this router/);
});

test('lma: the prefix pool hands out each /64 once, round the pool, skipping reserved ones', () => {
  const pool = new HnpPool({ prefix: parseIpv6('2001:db8:100::'), prefixLen: 62 }, 64);
  assert.equal(pool.size, 4);
  assert.ok(pool.reserve(parseIpv6('2001:db8:100:1::'), 64));
  const got = [pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()];
  assert.deepEqual(
    got.map((p) => (p ? ipText(p) : null)),
    ['2001:db8:100::', '2001:db8:100:2::', '2001:db8:100:3::', null],
  );
  assert.ok(pool.release(parseIpv6('2001:db8:100:2::'), 64));
  assert.ok(!pool.release(parseIpv6('2001:db8:100:2::'), 64), 'twice');
  assert.equal(ipText(pool.allocate()!), '2001:db8:100:2::');
  assert.ok(!pool.contains(parseIpv6('2001:db8:101::'), 64));
  const wide = new HnpPool({ prefix: parseIpv6('2001:db8::'), prefixLen: 40 }, 64);
  assert.equal(ipText(wide.prefixAt(0xabcdef)), '2001:db8:ab:cdef::');
});
