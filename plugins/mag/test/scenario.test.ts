/**
 * PMIPv6 end to end in one process: real MAG and LMA routers wired by a backbone hub,
 * the mobile node and the correspondent played by the test, every frame judged with
 * @dmm/wire and, where an independent vector exists, byte for byte.
 *
 * Vector provenance:
 *  - PBU_VECTOR, PBA_VECTOR, TUNNELLED: protocol.md §5.2 (hand-written Python and
 *    scapy 2.5, byte-identical).
 *  - RA_TO_MN: Debian scapy 2.5.0 (/usr/bin/python3):
 *    `Ether(dst="02:00:00:00:00:01", src="02:00:00:00:ff:01")/IPv6(src="fe80::1",
 *    dst="ff02::1", hlim=255)/ICMPv6ND_RA(chlim=64, prf=0, routerlifetime=1800,
 *    reachabletime=0, retranstimer=0)/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:ff:01")/
 *    ICMPv6NDOptMTU(mtu=1500)/ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1,
 *    validlifetime=60, preferredlifetime=60, prefix="2001:db8:1:1::")`.
 *  - REFRESH_PBU, DEREG_PBU: Debian scapy 2.5.0 with the PMIPv6 option classes of
 *    protocol.md §6 (see plugins/lma/test/lma.test.ts for `opts()`):
 *    `IPv6(src="fd00:100::2", dst="fd00:100::1", hlim=64)/MIP6MH_BU(seq=2, flags="AP",
 *    mhtime=1, options=opts(plen=64, prefix="2001:db8:1:1::", hi=5,
 *    t=(0x6553F103 << 16) | 0x4000))` and `MIP6MH_BU(seq=3, flags="AP", mhtime=0,
 *    options=opts(plen=64, prefix="2001:db8:1:1::", hi=1, t=(0x6553F104 << 16)))`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteKind } from '@dmm/core';
import { assertBytes, hex, parseIpv6 } from '@dmm/testkit';
import {
  Icmpv6,
  Icmpv6View,
  IpProto,
  PbuView,
  Pbu,
  RouterAdvert,
  RouterAdvertView,
  dataViewOf,
  findOption,
} from '@dmm/wire';
import { TUNNELS } from '@dmm/tunnel';
import { MnStatus } from '@dmm/plugin-mag';
import {
  CN,
  CN_MAC,
  FIXED_MAC,
  HNP,
  LMA,
  MAG1,
  MAG2,
  MN_ADDR,
  MN_MAC,
  T0,
  echoFromMn,
  eth,
  icmpPacket,
  ipOf,
  mh,
  net,
  routerSolicit,
  sleep,
  type Net,
} from './net.js';

const PBU_VECTOR = hex`6000000000688740fd000100000000000000000000000002fd000100000000000000000000
0000013b0c050029b700018200000f16120000000000000000000000000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;
const PBA_VECTOR = hex`6000000000688740fd000100000000000000000000000001fd000100000000000000000000
0000023b0c06007c9c00200001000f1612004020010db80001000100000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;
const TUNNELLED = hex`6000000000342940fd000100000000000000000000000002fd0001000000000000000000000000
0160000000000c3a3f20010db800010001000000000000010020010db8ffff0000000000000000000180005e7b0001000161626364`;
const RA_TO_MN = hex`02000000000102000000ff0186dd6000000000403afffe800000000000000000000000000001
ff0200000000000000000000000000018600b61f400007080000000000000000010102000000
ff0105010000000005dc030440c00000003c0000003c0000000020010db80001000100000000
00000000`;
const REFRESH_PBU = hex`6000000000688740fd000100000000000000000000000002fd0001000000000000000000000000
013b0c05003bc20002820000011612004020010db8000100010000000000000000170200051802000301001b08
00006553f10340000810016d6e31406578616d706c652e6f7267190800000200000000010104000000001a10fe80
0000000000000000000000000001`;
const DEREG_PBU = hex`6000000000688740fd000100000000000000000000000002fd0001000000000000000000000000
013b0c05007bc50003820000001612004020010db8000100010000000000000000170200011802000301001b08
00006553f10400000810016d6e31406578616d706c652e6f7267190800000200000000010104000000001a10fe80
0000000000000000000000000001`;

async function withNet(o: Parameters<typeof net>[0], fn: (n: Net) => Promise<void>): Promise<void> {
  const n = await net(o);
  try {
    await fn(n);
    for (const r of [n.lmaRouter, ...n.mags.map((m) => m.router)]) {
      assert.equal(r.counters()['mobility-input.handler-error'] ?? 0, 0, `${r.name}: a role threw`);
    }
  } finally {
    await n.stop();
  }
}

/** The MN attaches to MAG `i` with a Router Solicitation and waits for its RA. */
async function attachByRs(n: Net, i = 0): Promise<void> {
  const m = n.mags[i]!;
  m.acc.inject(routerSolicit());
  await n.until(() => m.toMn.some(isRa), 2000, 'the RA to the MN');
}

function isRa(f: Uint8Array): boolean {
  return f[12] === 0x86 && f[13] === 0xdd && f[20] === IpProto.Icmpv6 && f[54] === 134;
}

test('scenario: attach by Router Solicitation — PBU and PBA of protocol.md §5.2, rule, routes and the RA', () => {
  const wall = { now: T0 };
  return withNet({ wall: () => wall.now, manualBulClock: true, firstSequence: 0 }, async (n) => {
    await attachByRs(n);
    const pbus = mh(n.backbone, 5, 'mag1');
    assert.equal(pbus.length, 1);
    assertBytes(pbus[0]!.bytes.slice(14), PBU_VECTOR);
    const pbas = mh(n.backbone, 6, 'lma');
    assert.equal(pbas.length, 1);
    assertBytes(pbas[0]!.bytes.slice(14), PBA_VECTOR);
    // the RA to the node, at its MAC, from the fixed link-local address and MAC
    const m = n.mags[0]!;
    const ras = m.toMn.filter(isRa);
    assert.equal(ras.length, 1);
    assertBytes(ras[0]!, RA_TO_MN);
    // MAG state: rule, per-LMA table with the tunnel, downlink route
    const r = m.router;
    const rules = r.routes.listRules();
    assert.deepEqual(
      rules.map((x) => [x.prefixLen, x.table, x.origin]),
      [[64, 100, 'mag']],
    );
    const tunnels = r.container.resolve(TUNNELS);
    const dflt = r.routes.routes[r.routes.lookupIn(100, CN, 0)]!;
    assert.equal(dflt.kind, RouteKind.Tunnel);
    assert.equal(tunnels.info(dflt.tunnel)!.remote, 'fd00:100::1');
    const down = r.routes.routes[r.routes.lookupIn(254, MN_ADDR, 0)]!;
    assert.equal(down.kind, RouteKind.Unicast);
    assert.equal(down.ifIndex, r.interface('acc0')!.index);
    const b = m.mag.bindings();
    assert.equal(b.length, 1);
    assert.equal(b[0]!.state, 'active');
    assert.deepEqual(b[0]!.prefixes, ['2001:db8:1:1::/64']);
    assert.equal(b[0]!.mac, '02:00:00:00:00:01');
    assert.equal(m.mag.stats().attachTriggers.frame, 1, 'the RS is the first frame');
    // a later RS from the registered node is answered with its own RA at once
    m.acc.inject(routerSolicit());
    await n.until(() => m.toMn.filter(isRa).length === 2, 1000, 'the RA answering the RS');
    assertBytes(m.toMn.filter(isRa)[1]!, RA_TO_MN);
    assert.equal(mh(n.backbone, 5, 'mag1').length, 1, 'no new PBU');
    // show bindings on both sides
    const magTable = (await r.commands.run('show bindings')).table!;
    assert.deepEqual(magTable.rows[0]!.slice(0, 6), [
      'mn1@example.org',
      '02:00:00:00:00:01',
      '2001:db8:1:1::/64',
      'fd00:100::1',
      'acc0',
      'active',
    ]);
    const lmaTable = (await n.lmaRouter.commands.run('show bindings')).table!;
    assert.deepEqual(lmaTable.rows[0]!.slice(0, 3), [
      'mn1@example.org',
      '2001:db8:1:1::/64',
      'fd00:100::2',
    ]);
  });
});

test('scenario: the uplink leaves tunnelled (protocol.md §5.2 IPv6-in-IPv6) and the downlink arrives', () =>
  withNet({}, async (n) => {
    await attachByRs(n);
    n.backbone.length = 0;
    const m = n.mags[0]!;
    m.acc.inject(echoFromMn(parseIpv6('2001:db8:ffff::1'), 1));
    await n.until(() => n.toCn.length > 0, 1000, 'the packet at the CN');
    const tunnelled = n.backbone.filter((f) => f.from === 'mag1' && f.bytes[20] === IpProto.Ipv6);
    assert.equal(tunnelled.length, 1);
    assertBytes(tunnelled[0]!.bytes.slice(14), TUNNELLED);
    const { ip, packet } = ipOf(n.toCn[0]!);
    assert.deepEqual([...ip.src], [...MN_ADDR]);
    assert.deepEqual([...ip.dst], [...CN]);
    assert.equal(ip.hopLimit, 62, 'MAG and LMA each one hop');
    assert.deepEqual([...n.toCn[0]!.slice(0, 6)], [...CN_MAC]);
    assertBytes(packet.slice(40), TUNNELLED.slice(80), undefined, 'inner ICMPv6 unchanged');
    // downlink: CN → MN through the LMA's tunnel
    n.backbone.length = 0;
    const reply = icmpPacket(CN, MN_ADDR, 64, {
      kind: 'echo-reply',
      id: 1,
      seq: 1,
      data: Uint8Array.of(1, 2, 3),
    });
    n.cn.inject(eth(lmaCnMac(), CN_MAC, reply));
    await n.until(
      () => m.toMn.some((f) => f[20] === IpProto.Icmpv6 && f[54] === 129),
      1000,
      'the reply at the MN',
    );
    const down = n.backbone.filter((f) => f.from === 'lma' && f.bytes[20] === IpProto.Ipv6);
    assert.equal(down.length, 1);
    const outer = ipOf(down[0]!.bytes).ip;
    assert.deepEqual([...outer.src], [...LMA]);
    assert.deepEqual([...outer.dst], [...MAG1]);
    const atMn = m.toMn.find((f) => f[54] === 129)!;
    assert.deepEqual([...atMn.slice(0, 6)], [...MN_MAC]);
    assert.deepEqual([...atMn.slice(6, 12)], [...FIXED_MAC]);
    assert.equal(ipOf(atMn).ip.hopLimit, 62);
  }));

function lmaCnMac(): Uint8Array {
  return Uint8Array.of(2, 0, 0, 0, 0x0b, 2);
}

test('scenario: a full-size packet that no longer fits the tunnel gets Packet Too Big back (RFC 2473 §7)', () =>
  withNet({}, async (n) => {
    await attachByRs(n);
    const m = n.mags[0]!;
    n.backbone.length = 0;
    // 1500 bytes on a 1500-byte access link: 40 + 8 + 1452
    m.acc.inject(echoFromMn(CN, 2, 1452));
    await n.until(() => m.toMn.some((f) => f[54] === 2), 1000, 'Packet Too Big');
    const ptb = m.toMn.find((f) => f[54] === 2)!;
    const { ip, packet } = ipOf(ptb);
    assert.deepEqual([...ip.dst], [...MN_ADDR]);
    const v = new Icmpv6View(packet, dataViewOf(packet), 40, packet.length);
    assert.ok(v.verifyChecksum(8, 24));
    const msg = Icmpv6.parse(v);
    assert.equal(msg.kind, 'packet-too-big');
    assert.equal(msg.kind === 'packet-too-big' ? msg.mtu : 0, 1460, 'backbone 1500 − 40');
    assert.equal(packet.length, 1280, 'as much of the packet as fits in 1280 bytes');
    assert.equal(
      n.backbone.filter((f) => f.bytes[20] === IpProto.Ipv6).length,
      0,
      'nothing tunnelled',
    );
    assert.equal(n.toCn.length, 0);
    // 1460 bytes fit (1500 on the backbone)
    m.acc.inject(echoFromMn(CN, 3, 1412));
    await n.until(() => n.toCn.length === 1, 1000, 'the 1460-byte packet at the CN');
    assert.equal(ipOf(n.toCn[0]!).packet.length, 1460);
  }));

test('scenario: uplink of a node not (yet) registered is dropped and triggers the attach once', () =>
  withNet({}, async (n) => {
    const m = n.mags[0]!;
    // the node arrives already holding an address: its data is the first frame (HI 3)
    for (let i = 0; i < 5; i++) m.acc.inject(echoFromMn(CN, 10 + i));
    n.pump();
    await n.until(() => m.mag.data.status[0] === MnStatus.Registered, 1000, 'registration');
    assert.equal(n.toCn.length, 0, 'nothing forwarded while unregistered');
    assert.equal(m.router.counters()['mag-attach-forward.unregistered'], 5);
    assert.equal(m.router.counters()['mag-attach-forward.detected'], 1);
    const pbus = mh(n.backbone, 5, 'mag1');
    assert.equal(pbus.length, 1, 'one PBU for five frames');
    const pbu = Pbu.parse(
      new PbuView(pbus[0]!.bytes, dataViewOf(pbus[0]!.bytes), 54, pbus[0]!.bytes.length),
    );
    assert.equal(findOption(pbu, 'handoff-indicator')!.value, 3, 'a global source: handoff');
    m.acc.inject(echoFromMn(CN, 20));
    await n.until(() => n.toCn.length === 1, 1000, 'forwarded once registered');
    // a MAC without a profile: dropped and counted, no PBU
    const stranger = echoFromMn(CN, 21);
    stranger.set([2, 0, 0, 0, 0, 0x66], 6);
    m.acc.inject(stranger);
    await n.run(20);
    assert.equal(m.router.counters()['mag-attach-forward.unknown-mn'], 1);
    assert.equal(mh(n.backbone, 5, 'mag1').length, 1);
  }));

test('scenario: dropped PBAs — the PBU is retransmitted after 100 and 200 ms, then the binding comes up', () =>
  withNet(
    { mag: { retransmission: { InitialBindackTimeoutFirstReg: 100, MaxBindackTimeout: 1600 } } },
    async (n) => {
      let dropped = 0;
      n.filter = (f) => {
        const isPba = f.from === 'lma' && f.bytes[20] === 135 && f.bytes[56] === 6;
        if (isPba && dropped < 2) {
          dropped++;
          return false;
        }
        return true;
      };
      const m = n.mags[0]!;
      m.acc.inject(routerSolicit());
      await n.until(() => m.toMn.some(isRa), 3000, 'the RA after two lost PBAs');
      const pbus = mh(n.backbone, 5, 'mag1');
      assert.equal(pbus.length, 3);
      const gaps = [pbus[1]!.at - pbus[0]!.at, pbus[2]!.at - pbus[1]!.at];
      assert.ok(gaps[0]! >= 95 && gaps[0]! < 180, `first wait ${gaps[0]} ms`);
      assert.ok(gaps[1]! >= 195 && gaps[1]! < 300, `second wait ${gaps[1]} ms`);
      const seqs = pbus.map((f) => (f.bytes[60]! << 8) | f.bytes[61]!);
      assert.equal(new Set(seqs).size, 3, 'a new sequence number each time');
      const s = m.mag.stats();
      assert.equal(s.transactions.retransmissions, 2);
      assert.equal(s.registered, 1);
      // the LMA took the first as a registration, the retransmissions as refreshes
      assert.equal(n.lma.counters.accepted.registered, 1);
      assert.equal(n.lma.counters.accepted.refreshed, 2);
    },
  ));

test('scenario: no PBA at all — the MAG gives up after the back-off, cleans up and counts it', () =>
  withNet(
    { mag: { retransmission: { InitialBindackTimeoutFirstReg: 50, MaxBindackTimeout: 200 } } },
    async (n) => {
      n.filter = (f) => !(f.from === 'lma' && f.bytes[20] === 135);
      const m = n.mags[0]!;
      m.acc.inject(routerSolicit());
      await n.until(() => m.mag.stats().gaveUp === 1, 2000, 'giving up');
      assert.equal(mh(n.backbone, 5, 'mag1').length, 3, 'sent at 0, 50, 150 ms; 400 > 200');
      assert.equal(m.mag.bul.size, 0);
      assert.equal(m.router.routes.listRules().length, 0);
      assert.equal(m.router.container.resolve(TUNNELS).size, 0);
      assert.equal(m.mag.data.status[0], MnStatus.Idle, 'the next frame tries again');
      assert.equal(m.mag.stats().detached['gave-up'], 1);
    },
  ));

test('scenario: a rejected registration installs nothing and is counted per status', () =>
  withNet(
    { lma: { mobileNodes: { profiles: [{ id: 'mn1@example.org', allowed: false }] } } },
    async (n) => {
      const m = n.mags[0]!;
      m.acc.inject(routerSolicit());
      await n.until(
        () => m.mag.stats().rejected['129 AdministrativelyProhibited'] === 1,
        1000,
        'the 129',
      );
      assert.equal(m.mag.bul.size, 0);
      assert.equal(m.router.routes.listRules().length, 0);
      assert.equal(m.toMn.filter(isRa).length, 0, 'no RA');
      assert.equal(m.mag.data.status[0], MnStatus.Refused, 'held down (attach.retryAfterReject)');
      m.acc.inject(echoFromMn(CN, 1));
      await n.run(10);
      assert.equal(m.router.counters()['mag-attach-forward.refused'], 1);
      assert.equal(mh(n.backbone, 5, 'mag1').length, 1, 'no new PBU while held down');
    },
  ));

test('scenario: refresh before expiry (HI 5, scapy vector) and de-registration by dmmctl detach', () => {
  const wall = { now: T0 };
  return withNet({ wall: () => wall.now, firstSequence: 0, mag: { lifetime: 4 } }, async (n) => {
    const m = n.mags[0]!;
    m.acc.inject(routerSolicit());
    await n.until(() => m.mag.data.status[0] === MnStatus.Registered, 1000, 'registration');
    wall.now = T0 + 2750; // the refresh's timestamp: 1700000003.25
    // refresh at 80 % of the 4-second lifetime
    await n.until(() => mh(n.backbone, 5, 'mag1').length === 2, 4500, 'the refresh');
    await n.run(10);
    assertBytes(mh(n.backbone, 5, 'mag1')[1]!.bytes.slice(14), REFRESH_PBU);
    assert.equal(m.mag.stats().refreshed, 1);
    assert.equal(m.toMn.filter(isRa).length, 2, 'an RA with the renewed lifetimes');
    wall.now = T0 + 3500; // 1700000004.0
    const r = await m.router.commands.run('detach', { mn: 'mn1@example.org' });
    assert.equal((r.result as { state: string }).state, 'idle');
    await n.until(
      () => mh(n.backbone, 6, 'lma').length === 3,
      1000,
      'the PBA of the de-registration',
    );
    assertBytes(mh(n.backbone, 5, 'mag1')[2]!.bytes.slice(14), DEREG_PBU);
    assert.equal(m.mag.bul.size, 0);
    assert.equal(m.router.routes.listRules().length, 0);
    assert.equal(m.router.container.resolve(TUNNELS).size, 0);
    assert.equal(m.toMn.filter(isRa).length, 2, 'no RA to a node that left');
    assert.equal(n.lma.cache.findByPrefix(HNP, 64)!.state, 'deregistering');
  });
});

test('scenario: dmmctl attach (L2 trigger) registers and answers with the outcome', () =>
  withNet({}, async (n) => {
    const m = n.mags[0]!;
    const pending = m.router.commands.run('attach', {
      mn: 'mn1@example.org',
      mac: '02:00:00:00:00:01',
    });
    await n.until(() => m.mag.data.status[0] === MnStatus.Registered, 1000, 'registration');
    const r = (await pending).result as { state: string; status: number; prefixes: string[] };
    assert.deepEqual(r, {
      mn: 'mn1@example.org',
      state: 'registered',
      status: 0,
      statusName: 'Accepted',
      prefixes: ['2001:db8:1:1::/64'],
    });
    assert.equal(m.mag.stats().attachTriggers.l2, 1);
    await assert.rejects(
      m.router.commands.run('attach', { mn: 'mn1@example.org', mac: '02:00:00:00:00:09' }),
      /has MAC 02:00:00:00:00:01 in its profile/,
    );
    await assert.rejects(
      m.router.commands.run('attach', { mn: 'x@example.org', mac: '02:00:00:00:00:09' }),
      (e: Error & { code?: string }) => e.code === 'DMM_ERR_MAG_UNKNOWN_MN',
    );
  }));

test('scenario: handover to MAG2 — same prefix, late de-registration from MAG1 ignored, MinDelayBeforeBCEDelete revival', () =>
  withNet({ mags: 2, lma: { pmip: { MinDelayBeforeBCEDelete: 1000 } } }, async (n) => {
    const [m1, m2] = n.mags as [Net['mags'][0], Net['mags'][0]];
    await attachByRs(n, 0);
    m1.acc.inject(echoFromMn(CN, 1));
    await n.until(() => n.toCn.length === 1, 1000, 'uplink via MAG1');
    // the node moves: its next data packet reaches MAG2's access link
    n.backbone.length = 0;
    m2.acc.inject(echoFromMn(CN, 2));
    await n.until(
      () => m2.mag.data.status[0] === MnStatus.Registered,
      1000,
      'registration at MAG2',
    );
    const pbu = mh(n.backbone, 5, 'mag2')[0]!;
    const p = Pbu.parse(new PbuView(pbu.bytes, dataViewOf(pbu.bytes), 54, pbu.bytes.length));
    assert.equal(findOption(p, 'handoff-indicator')!.value, 3);
    const e = n.lma.cache.findByPrefix(HNP, 64)!;
    assert.deepEqual([...e.proxyCoa], [...MAG2]);
    assert.equal(n.lma.counters.accepted.handoff, 1);
    const ra2 = m2.toMn.filter(isRa);
    assert.equal(ra2.length, 1);
    const ra = RouterAdvert.parse(
      new RouterAdvertView(ra2[0]!, dataViewOf(ra2[0]!), 54, ra2[0]!.length),
    );
    const pio = ra.options.find((o) => o.kind === 'prefix-info')!;
    assert.deepEqual(
      pio.kind === 'prefix-info' ? [...pio.prefix] : [],
      [...HNP],
      'the same prefix',
    );
    assert.deepEqual([...ra2[0]!.slice(6, 12)], [...FIXED_MAC], 'the same router MAC');
    assert.deepEqual(
      [...ra2[0]!.slice(22, 38)],
      [...parseIpv6('fe80::1')],
      'the same router address',
    );
    m2.acc.inject(echoFromMn(CN, 3));
    await n.until(() => n.toCn.length === 2, 1000, 'uplink via MAG2');
    // MAG1 finally notices and de-registers: answered, binding untouched
    await m1.router.commands.run('detach', { mn: 'mn1@example.org' });
    await n.until(
      () => n.lma.counters.accepted['dereg-other-mag'] === 1,
      1000,
      'the late de-registration',
    );
    await n.run(10);
    assert.equal(e.state, 'active');
    assert.deepEqual([...e.proxyCoa], [...MAG2]);
    assert.equal(m1.mag.bul.size, 0, 'MAG1 cleaned up on the PBA');
    // downlink still reaches the node at MAG2
    n.cn.inject(
      eth(
        lmaCnMac(),
        CN_MAC,
        icmpPacket(CN, MN_ADDR, 64, { kind: 'echo-reply', id: 1, seq: 9, data: new Uint8Array(4) }),
      ),
    );
    await n.until(() => m2.toMn.some((f) => f[54] === 129), 1000, 'downlink at MAG2');
    // MAG2 de-registers (the node left the domain) and the node comes back within the delay
    await m2.router.commands.run('detach', { mn: 'mn1@example.org' });
    await n.until(() => e.state === 'deregistering', 1000, 'de-registration');
    const lmaRoute = n.lmaRouter.routes.routes[n.lmaRouter.routes.lookup(MN_ADDR, 0, 0)]!;
    assert.equal(lmaRoute.kind, RouteKind.Blackhole, 'no forwarding while de-registered');
    m1.acc.inject(echoFromMn(CN, 4));
    await n.until(() => m1.mag.data.status[0] === MnStatus.Registered, 1000, 'back at MAG1');
    assert.equal(e.state, 'active', 'revived');
    assert.deepEqual([...e.proxyCoa], [...MAG1]);
    assert.equal(n.lma.cache.size, 1);
    await sleep(1100);
    assert.equal(n.lma.cache.size, 1, 'not deleted after MinDelayBeforeBCEDelete');
    assert.equal(n.lma.counters.deleted, 0);
  }));

test('scenario: presence — a node that stops answering is probed, then de-registered', () =>
  withNet({ mag: { presence: { interval: 0.1, probes: 2 } } }, async (n) => {
    const m = n.mags[0]!;
    await attachByRs(n);
    // the node answers the first probe …
    await n.until(() => m.mag.stats().probesSent === 1, 1000, 'a probe');
    const probe = m.toMn.find((f) => f[54] === 128)!;
    assert.deepEqual([...probe.slice(0, 6)], [...MN_MAC], 'at the node’s MAC');
    assert.deepEqual([...probe.slice(38, 54)], [...parseIpv6('ff02::1')]);
    m.acc.inject(
      eth(
        FIXED_MAC,
        MN_MAC,
        icmpPacket(parseIpv6('fe80::ff:fe00:1'), parseIpv6('fe80::1'), 64, {
          kind: 'echo-reply',
          id: 0x504d,
          seq: 1,
          data: new Uint8Array(8),
        }),
      ),
    );
    await n.run(150);
    assert.equal(m.mag.stats().probeReplies, 1);
    assert.equal(m.mag.data.status[0], MnStatus.Registered);
    // … then goes silent
    await n.until(() => m.mag.stats().detached.absent === 1, 2000, 'detach');
    const dereg = mh(n.backbone, 5, 'mag1').at(-1)!.bytes;
    assert.equal(dataViewOf(dereg).getUint16(14 + 40 + 10), 0, 'a de-registration: lifetime 0');
    assert.equal(n.lma.cache.findByPrefix(HNP, 64)!.state, 'deregistering');
  }));

test('scenario: config — fixed link-local and MAC are enforced on access interfaces', async () => {
  await assert.rejects(
    net({ mag: { pmip: { FixedMAGLinkLocalAddressOnAllAccessLinks: 'fe80::2' } } }),
    /link-local address fe80::1 is not FixedMAGLinkLocalAddressOnAllAccessLinks fe80::2/,
  );
  const n = await net({
    mag: {
      fixedAddressMismatch: 'warn',
      pmip: { FixedMAGLinkLayerAddressOnAllAccessLinks: '02:00:00:00:ff:02' },
    },
  });
  await n.stop();
});
