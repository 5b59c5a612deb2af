/**
 * DLIFs on a D-GW, in process: Router Advertisements per DLIF (contents, destinations,
 * schedule, lifetimes counting down, last RA by removal reason), Neighbor Discovery for
 * each DLIF's own link-local, the per-node privacy of prefixes, the routing hooks, `show
 * dlifs`, and what removal leaves behind (nothing).
 *
 * Vectors (whole Ethernet frames), built with scapy 2.5.0 (Debian python3-scapy), none by
 * our encoder; NODE = 02:00:00:00:0a:01 / fe80::ff:fe00:a01, A = the (dgw1, mn1) DLIF
 * 02:64:51:7c:2a:cc / fe80::64:51ff:fe7c:2acc, S = the (dgw2, mn1) DLIF 02:6c:bb:ec:90:14 /
 * fe80::6c:bbff:feec:9014 (identity.test.ts):
 *   RA_A_CREATE = Ether(dst=NODE_MAC, src=A_MAC)/IPv6(src=A_LL, dst='ff02::1', hlim=255)/
 *       ICMPv6ND_RA(chlim=64, prf=3, routerlifetime=1800)/ICMPv6NDOptSrcLLAddr(lladdr=A_MAC)/
 *       ICMPv6NDOptMTU(mtu=1500)/ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1,
 *       validlifetime=3600, preferredlifetime=0, prefix='2001:db8:a::')/
 *       ICMPv6NDOptRouteInfo(len=2, plen=48, prf=0, rtlifetime=3600, prefix='2001:db8:99::')
 *   RA_A_SOLICITED = the same with IPv6 dst=NODE_LL, validlifetime=3599, rtlifetime=3599
 *   RA_S_SOLICITED = Ether(dst=NODE_MAC, src=S_MAC)/IPv6(src=S_LL, dst=NODE_LL, hlim=255)/
 *       ICMPv6ND_RA(chlim=64, prf=0, routerlifetime=1800)/ICMPv6NDOptSrcLLAddr(lladdr=S_MAC)/
 *       ICMPv6NDOptMTU(mtu=1500)/ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1,
 *       validlifetime=86400, preferredlifetime=14400, prefix='2001:db8:b::')
 *   RA_A_RELEASED = RA_A_SOLICITED with ICMPv6ND_RA(chlim=64, prf=0, routerlifetime=0),
 *       validlifetime=0, preferredlifetime=0, rtlifetime=0
 *   NA_A = Ether(dst=NODE_MAC, src=A_MAC)/IPv6(src=A_LL, dst=NODE_LL, hlim=255)/
 *       ICMPv6ND_NA(R=1, S=1, O=1, tgt=A_LL)/ICMPv6NDOptDstLLAddr(lladdr=A_MAC)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ND_SERVICE } from '@dmm/ndra';
import { DLIFS, deriveDlifMac, type Dlif, type DlifNodeStatus } from '@dmm/dlif';
import { isDmmError, NeighborState } from '@dmm/core';
import { assertBytes, hex, parseIpv6, parseMac } from '@dmm/testkit';
import {
  Icmpv6Type,
  formatIpv6,
  formatMac,
  solicitedNodeMulticast,
  linkLocalFromMac,
} from '@dmm/wire';
import {
  A_LL,
  A_MAC,
  CN,
  CN_MAC,
  CORE_MAC,
  LOCALNET,
  MN1_LL,
  MN1_MAC,
  MN2_LL,
  MN2_MAC,
  P_MAC,
  PREF_A,
  PREF_B,
  S_LL,
  S_MAC,
  bench,
  nsMulticast,
  nsUnicast,
  ofType,
  parseNa,
  parseOut,
  parseRa,
  pios,
  rios,
  rs,
  udpFrame,
  type Bench,
} from './harness.js';

const RA_A_CREATE = hex`020000000a010264517c2acc86dd6000000000503afffe80000000000000006451fffe7c2acc
  ff02000000000000000000000000000186002a9d40180708000000000000000001010264517c2acc05010000
  000005dc030440c000000e10000000000000000020010db8000a000000000000000000001802300000000e10
  20010db800990000`;
const RA_A_SOLICITED = hex`020000000a010264517c2acc86dd6000000000503afffe80000000000000006451fffe7c2acc
  fe80000000000000000000fffe000a018600222140180708000000000000000001010264517c2acc05010000
  000005dc030440c000000e0f000000000000000020010db8000a000000000000000000001802300000000e0f
  20010db800990000`;
const RA_S_SOLICITED = hex`020000000a01026cbbec901486dd6000000000403afffe80000000000000006cbbfffeec9014
  fe80000000000000000000fffe000a0186008b774000070800000000000000000101026cbbec901405010000
  000005dc030440c000015180000038400000000020010db8000b00000000000000000000`;
const RA_A_RELEASED = hex`020000000a010264517c2acc86dd6000000000503afffe80000000000000006451fffe7c2acc
  fe80000000000000000000fffe000a018600455f40000000000000000000000001010264517c2acc05010000
  000005dc030440c000000000000000000000000020010db8000a00000000000000000000180230000000000020010db800990000`;
const NA_A = hex`020000000a010264517c2acc86dd6000000000203afffe80000000000000006451fffe7c2acc
  fe80000000000000000000fffe000a0188001b1ae0000000fe80000000000000006451fffe7c2acc02010264517c2acc`;

/** MN1 as D-GW2 serves it after a handover from D-GW1: its own DLIF and D-GW1's. */
function mn1(b: Bench): { s: Dlif; a: Dlif } {
  const node = { id: 'mn1', mac: MN1_MAC };
  const s = b.dlifs.create({
    parent: 'acc0',
    node,
    anchor: { id: 'dgw2' },
    role: 'serving',
    prefixes: [{ prefix: PREF_B, prefixLen: 64 }],
  });
  const a = b.dlifs.create({
    parent: b.parent,
    node,
    anchor: { id: 'dgw1', address: parseIpv6('2001:db8:ff::11') },
    role: 'anchor',
    prefixes: [{ prefix: PREF_A, prefixLen: 64, validLifetime: 3600 }],
    routes: [{ prefix: LOCALNET, prefixLen: 48, lifetime: 3600 }],
  });
  return { s, a };
}

function ras(frames: Uint8Array[]) {
  return ofType(frames, Icmpv6Type.RouterAdvertisement);
}

test('create: each DLIF has its derived identity and sends its first RA to its node (scapy vector)', async (t) => {
  const b = await bench(t);
  const { s, a } = mn1(b);
  assertBytes(s.mac, S_MAC, undefined, 'serving MAC');
  assertBytes(s.linkLocal, S_LL, undefined, 'serving link-local');
  assertBytes(a.mac, A_MAC, undefined, 'anchor MAC');
  assertBytes(a.linkLocal, A_LL, undefined, 'anchor link-local');
  assert.equal(a.iface.parent, b.parent.index);
  assert.equal(a.iface.group, 'mn1');
  const out = ras(b.take());
  assert.equal(out.length, 2, 'one RA per DLIF');
  const ra = out.find((o) => formatMac(o.srcMac) === formatMac(A_MAC))!;
  // the node's link-local is not known yet: ff02::1 to the node's MAC (RFC 6085)
  assertBytes(ra.frame, RA_A_CREATE);
  const sra = out.find((o) => formatMac(o.srcMac) === formatMac(S_MAC))!;
  assert.equal(formatMac(sra.dstMac), formatMac(MN1_MAC));
  assert.deepEqual(pios(parseRa(sra)), ['2001:db8:b::/64 86400/14400']);
  assert.deepEqual(a.counters(), {
    packetsIn: 0,
    packetsOut: 2, // ND's DAD probe of its link-local, its first RA
    rasSent: 1,
    rasFailed: 0,
    rsReceived: 0,
    rsIgnored: 0,
    nsAnswered: 0,
  });
});

test('RS from the node: one RA per DLIF, each from its own link-local and MAC, unicast to the node (scapy vectors)', async (t) => {
  const b = await bench(t);
  const { s, a } = mn1(b);
  b.take();
  b.inject(rs(MN1_MAC, MN1_LL));
  assert.equal(ras(b.take()).length, 0, 'answers wait a random 0..MAX_RA_DELAY_TIME (§6.2.6)');
  b.tick(250); // Math.random = 0.5: 250 ms
  const out = ras(b.take());
  assert.equal(out.length, 2);
  const ra = out.find((o) => formatMac(o.srcMac) === formatMac(A_MAC))!;
  const sra = out.find((o) => formatMac(o.srcMac) === formatMac(S_MAC))!;
  assertBytes(ra.frame, RA_A_SOLICITED, undefined, 'anchor: preferred 0, valid 3599 left');
  assertBytes(sra.frame, RA_S_SOLICITED, undefined, 'serving: the configured lifetimes');
  assert.equal(a.counters().rsReceived, 1, 'the RS reached the anchor DLIF…');
  assert.equal(s.counters().rsReceived, 1, '…and the serving one');
  assert.equal(a.counters().rasSent, 2);
  assert.equal(formatIpv6(a.node.linkLocal!), formatIpv6(MN1_LL), 'learnt from the RS');
  // a second RS within MIN_DELAY_BETWEEN_RAS: answered once the interval has passed
  b.inject(rs(MN1_MAC, MN1_LL), rs(MN1_MAC, MN1_LL));
  b.tick(2000);
  assert.equal(ras(b.take()).length, 0, 'not within solicitedInterval (3 s)');
  b.tick(1500);
  assert.equal(ras(b.take()).length, 2, 'then one per DLIF for both RSs');
  assert.equal(b.counter('nd-rs-input.processed'), 6);
});

test('periodic RAs: the first ones ≤ 16 s apart, then [min, max]; the valid lifetime counts down', async (t) => {
  const b = await bench(t);
  const { s, a } = mn1(b);
  b.take();
  const seen: string[] = [];
  const collect = () => {
    for (const o of ras(b.take())) {
      const who = formatMac(o.srcMac) === formatMac(A_MAC) ? 'A' : 'S';
      seen.push(`${who} ${pios(parseRa(o)).join(' ')} ${rios(parseRa(o)).join(' ')}`.trim());
    }
  };
  b.tick(16_000);
  collect();
  b.tick(16_000);
  collect();
  assert.equal(b.dlifs.status()[0]!.dlifs[1]!.nextRaIn, 400, 'Math.random 0.5: 200 + 0.5 × 400 s');
  b.tick(400_000);
  collect();
  assert.deepEqual(seen, [
    'S 2001:db8:b::/64 86400/14400',
    'A 2001:db8:a::/64 3584/0 2001:db8:99::/48 0 3584',
    'S 2001:db8:b::/64 86400/14400',
    'A 2001:db8:a::/64 3568/0 2001:db8:99::/48 0 3568',
    'S 2001:db8:b::/64 86400/14400',
    'A 2001:db8:a::/64 3168/0 2001:db8:99::/48 0 3168',
  ]);
  assert.equal(a.counters().rasSent, 4);
  assert.equal(s.counters().rasSent, 4);
  // past the binding: valid 0, the address goes (RFC 4862 §5.5.3 e)
  b.tick(3_200_000);
  const last = ras(b.take()).filter((o) => formatMac(o.srcMac) === formatMac(A_MAC));
  assert.ok(last.length > 0);
  assert.deepEqual(pios(parseRa(last.at(-1)!)), ['2001:db8:a::/64 0/0']);
});

test('NS: each DLIF answers for its own link-local only, its own MAC as TLLA (scapy vector)', async (t) => {
  const b = await bench(t);
  const { s, a } = mn1(b);
  b.tick(1000); // DAD of the two link-locals
  b.take();
  // the solicited-node group of each link-local is joined on its own DLIF only
  const local = b.router.local;
  assert.ok(local.isJoined(a.iface.index, solicitedNodeMulticast(A_LL), 0));
  assert.ok(!local.isJoined(s.iface.index, solicitedNodeMulticast(A_LL), 0));
  assert.ok(local.isLocalUnicast(a.iface.index, A_LL, 0));
  assert.ok(!local.isLocalUnicast(s.iface.index, A_LL, 0));

  b.inject(nsMulticast(MN1_MAC, MN1_LL, A_LL));
  let nas = ofType(b.take(), Icmpv6Type.NeighborAdvertisement);
  assert.equal(nas.length, 1, 'the copy on the other DLIF is not for a group it joined');
  assertBytes(nas[0]!.frame, NA_A);
  assert.equal(b.counter('ip6-input.multicast-not-joined'), 1);

  b.inject(nsMulticast(MN1_MAC, MN1_LL, S_LL));
  nas = ofType(b.take(), Icmpv6Type.NeighborAdvertisement);
  assert.equal(nas.length, 1);
  const na = parseNa(nas[0]!);
  assert.equal(formatIpv6(na.target), formatIpv6(S_LL));
  assert.deepEqual(na.options, [{ kind: 'target-lla', addr: S_MAC }]);
  assert.equal(formatMac(nas[0]!.srcMac), formatMac(S_MAC));
  assert.equal(formatIpv6(nas[0]!.ip.src), formatIpv6(S_LL));

  // NUD: unicast to the DLIF's MAC; for the other DLIF's address: not ours there
  b.inject(
    nsUnicast(MN1_MAC, MN1_LL, A_MAC, A_LL, A_LL),
    nsUnicast(MN1_MAC, MN1_LL, A_MAC, A_LL, S_LL),
  );
  nas = ofType(b.take(), Icmpv6Type.NeighborAdvertisement);
  assert.equal(nas.length, 1);
  assert.equal(formatIpv6(parseNa(nas[0]!).target), formatIpv6(A_LL));
  assert.equal(b.counter('nd-ns-input.not-our-target'), 1);
  assert.equal(a.counters().nsAnswered, 2);
  assert.equal(s.counters().nsAnswered, 1);
});

test('NS: DLIFs whose link-locals share a solicited-node group: only the owner answers (not-our-target on the other)', async (t) => {
  const b = await bench(t);
  const node = { id: 'mn1', mac: MN1_MAC };
  // the draft's example MAC and one that differs only in its upper bytes
  const d1 = b.dlifs.create({
    parent: 'acc0',
    node,
    anchor: { id: 'dgw1' },
    role: 'anchor',
    mac: parseMac('00:11:22:33:01:01'),
  });
  const d2 = b.dlifs.create({
    parent: 'acc0',
    node,
    anchor: { id: 'dgw2' },
    role: 'serving',
    mac: parseMac('02:aa:bb:33:01:01'),
  });
  assert.equal(formatIpv6(d1.linkLocal), 'fe80::211:22ff:fe33:101');
  b.tick(1000);
  b.take();
  b.inject(nsMulticast(MN1_MAC, MN1_LL, d1.linkLocal));
  const nas = ofType(b.take(), Icmpv6Type.NeighborAdvertisement);
  assert.equal(nas.length, 1);
  assert.equal(formatMac(nas[0]!.srcMac), '00:11:22:33:01:01');
  assert.deepEqual(parseNa(nas[0]!).options, [{ kind: 'target-lla', addr: d1.mac }]);
  assert.equal(b.counter('nd-ns-input.not-our-target'), 1, 'the copy on d2');
  assert.equal(d2.counters().nsAnswered, 0);
});

test('DAD of a DLIF link-local: one probe from the DLIF, NSs unanswered while tentative, then answered', async (t) => {
  const b = await bench(t);
  const { a } = mn1(b);
  const probes = ofType(b.take(), Icmpv6Type.NeighborSolicitation);
  const probe = probes.find((o) => formatMac(o.srcMac) === formatMac(A_MAC))!;
  assert.ok(probe, 'a DAD probe from the DLIF');
  assert.equal(formatIpv6(probe.ip.src), '::');
  assert.equal(formatIpv6(probe.ip.dst), formatIpv6(solicitedNodeMulticast(A_LL)));
  assert.equal(formatMac(probe.dstMac), '33:33:ff:7c:2a:cc');
  const nd = b.router.container.resolve(ND_SERVICE);
  assert.equal(nd.addressState(a.iface.index, A_LL), 'tentative');
  b.inject(nsMulticast(MN1_MAC, MN1_LL, A_LL));
  assert.equal(ofType(b.take(), Icmpv6Type.NeighborAdvertisement).length, 0);
  assert.equal(b.counter('nd-ns-input.tentative-target'), 1);
  b.tick(1000);
  assert.equal(nd.addressState(a.iface.index, A_LL), 'preferred');
  assert.equal(b.counter('nd-dad.duplicate'), 0);
  b.inject(nsMulticast(MN1_MAC, MN1_LL, A_LL));
  assert.equal(ofType(b.take(), Icmpv6Type.NeighborAdvertisement).length, 1);
});

test('privacy: two nodes on one parent never get each other’s RAs or prefixes', async (t) => {
  const b = await bench(t);
  mn1(b);
  const n2 = { id: 'mn2', mac: MN2_MAC };
  b.dlifs.create({
    parent: 'acc0',
    node: n2,
    anchor: { id: 'dgw2' },
    role: 'serving',
    prefixes: [{ prefix: parseIpv6('2001:db8:b:2::'), prefixLen: 64 }],
  });
  b.dlifs.create({
    parent: 'acc0',
    node: n2,
    anchor: { id: 'dgw3' },
    role: 'anchor',
    prefixes: [{ prefix: parseIpv6('2001:db8:c:2::'), prefixLen: 64, validLifetime: 600 }],
  });
  const owner = new Map<string, { mac: string; prefixes: string[] }>();
  for (const d of b.dlifs.list()) {
    owner.set(formatMac(d.mac), {
      mac: formatMac(d.node.mac),
      prefixes: d.prefixes().map((p) => `${formatIpv6(p.prefix)}/${p.prefixLen}`),
    });
  }
  const unknown: string[] = [];
  b.dlifs.onUnknownSolicitation((r) => {
    unknown.push(formatMac(r.mac));
  });
  const frames: Uint8Array[] = [...b.take()];
  b.inject(rs(MN1_MAC, MN1_LL), rs(MN2_MAC, MN2_LL));
  b.inject(rs(parseMac('02:00:00:00:0a:03'), parseIpv6('fe80::3')));
  b.tick(1000);
  frames.push(...b.take());
  b.tick(500_000);
  frames.push(...b.take());
  const all = ras(frames);
  assert.ok(all.length >= 4 * 5, `${all.length} RAs`);
  const got = { [formatMac(MN1_MAC)]: 0, [formatMac(MN2_MAC)]: 0 };
  for (const o of all) {
    const own = owner.get(formatMac(o.srcMac));
    assert.ok(own, `RA from ${formatMac(o.srcMac)}, a DLIF`);
    assert.equal(formatMac(o.dstMac), own.mac, 'to the DLIF’s node only');
    if (formatIpv6(o.ip.dst) !== 'ff02::1') {
      assert.equal(
        formatIpv6(o.ip.dst),
        formatIpv6(own.mac === formatMac(MN1_MAC) ? MN1_LL : MN2_LL),
      );
    }
    for (const p of pios(parseRa(o))) {
      assert.ok(own.prefixes.includes(p.split(' ')[0]!), `${p} is the node's own`);
    }
    got[own.mac]!++;
  }
  assert.ok(got[formatMac(MN1_MAC)]! > 0 && got[formatMac(MN2_MAC)]! > 0);
  assert.deepEqual(unknown, ['02:00:00:00:0a:03'], 'an unknown node: reported, not answered');
  assert.equal(b.counter('nd-rs-input.ra-disabled'), 1, 'the parent advertises nothing itself');
});

test('RS on the parent from a served node: every DLIF of the node answers; a foreign RS to a DLIF MAC is ignored', async (t) => {
  const b = await bench(t);
  const { s, a } = mn1(b);
  b.take();
  b.inject(rs(MN1_MAC, MN1_LL, P_MAC));
  b.tick(250);
  const out = ras(b.take());
  assert.deepEqual(
    out.map((o) => formatMac(o.srcMac)).sort(),
    [A_MAC, S_MAC].map((m) => formatMac(m)).sort(),
  );
  b.inject(rs(MN2_MAC, MN2_LL, A_MAC));
  b.tick(4000);
  assert.equal(ras(b.take()).length, 0);
  assert.equal(a.counters().rsIgnored, 1);
  assert.equal(s.counters().rsIgnored, 0);
});

test('update: new lists are advertised at once, what disappears is withdrawn with lifetime 0', async (t) => {
  const b = await bench(t);
  const { a } = mn1(b);
  b.take();
  b.tick(10_000);
  b.dlifs.update(a, {
    prefixes: [{ prefix: parseIpv6('2001:db8:a:1::'), prefixLen: 64, validLifetime: 1000 }],
    routes: [],
  });
  const [ra] = ras(b.take());
  assert.ok(ra);
  assert.deepEqual(pios(parseRa(ra)), ['2001:db8:a:1::/64 1000/0', '2001:db8:a::/64 0/0']);
  assert.deepEqual(rios(parseRa(ra)), ['2001:db8:99::/48 0 0']);
  // the anchor becomes the serving D-GW again (the node came back): preferred, medium
  b.dlifs.update(a, {
    role: 'serving',
    prefixes: [{ prefix: PREF_A, prefixLen: 64, validLifetime: 7200, preferredLifetime: 3600 }],
  });
  const r2 = parseRa(ras(b.take())[0]!);
  assert.deepEqual(pios(r2), ['2001:db8:a::/64 7200/3600', '2001:db8:a:1::/64 0/0']);
  assert.equal(r2.prf, 0, 'medium');
  assert.equal(a.role, 'serving');
  assert.throws(
    () =>
      b.dlifs.update(a, {
        prefixes: [{ prefix: PREF_A, prefixLen: 64, validLifetime: 10, preferredLifetime: 20 }],
      }),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
});

test('low-preference mode: the anchor prefix stays preferred, the anchor is a low-preference router (draft §4.2 step 8)', async (t) => {
  const b = await bench(t, {
    config: { anchorMode: 'low-preference', anchorPreference: 'medium' },
  });
  const { a } = mn1(b);
  const ra = ras(b.take()).find((o) => formatMac(o.srcMac) === formatMac(A_MAC))!;
  const r = parseRa(ra);
  assert.deepEqual(pios(r), ['2001:db8:a::/64 3600/3600']);
  assert.equal(r.prf, 3, 'low');
  assert.equal(r.routerLifetime, 1800);
  assert.equal(a.preference, 'low');
});

test('remove (released): the last RA withdraws everything (scapy vector) and nothing is left behind', async (t) => {
  const b = await bench(t, { core: true });
  const { s, a } = mn1(b);
  b.inject(rs(MN1_MAC, MN1_LL));
  b.tick(1000);
  b.take();
  const route = b.dlifs.addPrefixRoute(a, PREF_A, 64, { table: 7 });
  assert.equal(route.ifIndex, a.iface.index);
  b.dlifs.setInputTable(a, 7);
  const nd = b.router.container.resolve(ND_SERVICE);
  const index = a.iface.index;
  assert.ok(b.router.neighbors.lookup(index, MN1_LL, 0) >= 0);
  const timersBefore = b.dlifs.activeTimers();
  b.dlifs.remove(a);
  const out = ras(b.take());
  assert.equal(out.length, 1);
  assertBytes(out[0]!.frame, RA_A_RELEASED);
  assert.equal(a.removed, true);
  assert.equal(b.dlifs.get('mn1', 'dgw1'), undefined);
  assert.deepEqual(
    b.dlifs.byNode('mn1').map((d) => d.name),
    [s.name],
  );
  assert.equal(b.parent.unicastDemux!.get(A_MAC, 0), -1, 'no unicast demux entry');
  assert.deepEqual([...b.parent.multicastMembers.find((m) => m.length > 0)!], [s.iface.index]);
  assert.equal(b.router.routes.list().filter((r) => r.ifIndex === index).length, 0, 'no route');
  assert.equal(b.router.neighbors.lookup(index, MN1_LL, 0), -1, 'no neighbour');
  assert.equal(b.router.neighbors.list().filter((n) => n.ifIndex === index).length, 0);
  assert.ok(!b.router.local.isOurs(A_LL, 0), 'no local address');
  assert.ok(!b.router.local.isJoined(index, solicitedNodeMulticast(A_LL), 0));
  assert.equal(nd.addressState(index, A_LL), null, 'ND forgot it');
  assert.equal(b.dlifs.activeTimers(), timersBefore - 1, 'its periodic timer is gone');
  assert.equal(b.dlifs.byInterface(index), undefined);
  // frames to its MAC are no longer ours
  b.inject(udpFrame(A_MAC, MN1_MAC, parseIpv6('2001:db8:a::5'), CN));
  assert.equal(b.counter('ethernet-input.not-for-us'), 1);
  assert.throws(
    () => b.dlifs.update(a, {}),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
  b.dlifs.remove(a); // idempotent
  // the last DLIF of the node: the node is forgotten
  b.dlifs.remove(s, { reason: 'moved' });
  assert.equal(ras(b.take()).length, 0, 'moved: nothing is sent');
  assert.equal(b.parent.unicastDemux!.size, 0);
  assert.equal(b.parent.multicastDemux!.size, 0);
  assert.equal(b.dlifs.activeTimers(), 0);
  assert.deepEqual(b.dlifs.status(), []);
  assert.equal(b.router.pool.inUse, 0);
});

test('stop: a final RA per DLIF (Router Lifetime 0, routes withdrawn, prefixes untouched), then the DLIFs go', async (t) => {
  const b = await bench(t);
  const { a } = mn1(b);
  b.inject(rs(MN1_MAC, MN1_LL));
  b.tick(1000);
  b.take();
  const index = a.iface.index;
  await b.router.stop();
  const out = ras(b.take());
  assert.equal(out.length, 2);
  for (const o of out) {
    const r = parseRa(o);
    assert.equal(r.routerLifetime, 0);
    assert.equal(r.prf, 0, 'Prf 00 with Router Lifetime 0 (RFC 4191 §2.2)');
    assert.deepEqual(pios(r), []);
  }
  const ra = parseRa(out.find((o) => formatMac(o.srcMac) === formatMac(A_MAC))!);
  assert.deepEqual(rios(ra), ['2001:db8:99::/48 0 0']);
  // the plugin host tears plugins down at stop: the DLIFs go with the service
  assert.equal(a.removed, true);
  assert.equal(b.router.interfaces[index]!.removed, true);
  assert.equal(b.parent.unicastDemux!.size, 0);
  assert.equal(b.router.pool.inUse, 0);
  await b.router.start();
  const again = b.router.container.resolve(DLIFS);
  assert.notEqual(again, b.dlifs, 'a new service after start');
  assert.deepEqual(again.list(), []);
  assert.equal(ras(b.take()).length, 0);
});

test('routing hooks: the anchor DLIF’s input table, downlink out of a DLIF with its MAC', async (t) => {
  const b = await bench(t, { core: true });
  const { s, a } = mn1(b);
  b.tick(1000);
  b.take();
  // what MN1 sends to the anchor's DLIF goes by the anchor's table (here: a route to CN via
  // another next hop on core0); what it sends to the serving DLIF goes by the main table
  const viaAnchor = parseIpv6('2001:db8:ff::3');
  b.router.addRoute({
    table: 100,
    prefix: new Uint8Array(16),
    prefixLen: 0,
    ifIndex: b.core!.index,
    gateway: viaAnchor,
  });
  b.router.addRoute({
    prefix: new Uint8Array(16),
    prefixLen: 0,
    ifIndex: b.core!.index,
    gateway: CN,
  });
  b.router.neighbors.setMac(
    b.router.neighbors.create(b.core!.index, viaAnchor, 0, NeighborState.Permanent),
    parseMac('02:00:00:00:01:33'),
  );
  b.dlifs.setInputTable(a, 100);
  assert.equal(a.iface.inputTable, 100);
  const dst = parseIpv6('2001:db8:77::1');
  b.inject(udpFrame(A_MAC, MN1_MAC, parseIpv6('2001:db8:a::5'), dst));
  b.inject(udpFrame(S_MAC, MN1_MAC, parseIpv6('2001:db8:b::5'), dst));
  const up = b.coreDev!.take().map(parseOut);
  assert.equal(up.length, 2);
  assert.equal(formatMac(up[0]!.dstMac), '02:00:00:00:01:33', 'anchor table');
  assert.equal(formatMac(up[1]!.dstMac), formatMac(CN_MAC), 'main table');
  assert.equal(formatMac(up[0]!.srcMac), formatMac(CORE_MAC));
  assert.equal(a.counters().packetsIn, 1);
  assert.equal(s.counters().packetsIn, 1);

  // downlink: the delegated prefix via the node (permanent neighbour, no ND on the link)
  const out0 = s.counters().packetsOut;
  const r = b.dlifs.addPrefixRoute(s, PREF_B, 64);
  assert.equal(formatIpv6(r.gateway!), formatIpv6(linkLocalFromMac(MN1_MAC)));
  b.coreDev!.inject(udpFrame(CORE_MAC, CN_MAC, CN, parseIpv6('2001:db8:b::5')));
  b.router.scheduler.poll();
  const down = b.take().map(parseOut);
  assert.equal(down.length, 1);
  assert.equal(formatMac(down[0]!.srcMac), formatMac(S_MAC), "from the DLIF's MAC");
  assert.equal(formatMac(down[0]!.dstMac), formatMac(MN1_MAC));
  assert.equal(formatIpv6(down[0]!.ip.dst), '2001:db8:b::5');
  assert.equal(s.counters().packetsOut, out0 + 1);

  // no Neighbor Solicitation went out for the node's address
  assert.equal(b.counter('nd-cache.ns-sent'), 0);
  assert.equal(r.origin, 'dlif');
});

test('show dlifs: per node, each DLIF with role, anchor, MAC, link-local, lifetimes left, routes, counters', async (t) => {
  const b = await bench(t);
  mn1(b);
  b.inject(rs(MN1_MAC, MN1_LL));
  b.tick(1000);
  b.take();
  const { result, table } = await b.router.commands.run('show dlifs');
  const nodes = result as DlifNodeStatus[];
  assert.equal(nodes.length, 1);
  const n = nodes[0]!;
  assert.equal(n.node, 'mn1');
  assert.equal(n.mac, '02:00:00:00:0a:01');
  assert.equal(n.linkLocal, 'fe80::ff:fe00:a01');
  assert.deepEqual(
    n.dlifs.map((d) => [d.name, d.role, d.anchor, d.mac, d.linkLocal, d.prefixes, d.routes]),
    [
      [
        'mn1/dgw2',
        'serving',
        'dgw2',
        '02:6c:bb:ec:90:14',
        'fe80::6c:bbff:feec:9014',
        ['2001:db8:b::/64 valid 86400s preferred 14400s'],
        [],
      ],
      [
        'mn1/dgw1',
        'anchor',
        'dgw1',
        '02:64:51:7c:2a:cc',
        'fe80::64:51ff:fe7c:2acc',
        ['2001:db8:a::/64 valid 3599s preferred 0s'],
        ['2001:db8:99::/48 medium 3599s'],
      ],
    ],
  );
  assert.equal(n.dlifs[1]!.anchorAddress, '2001:db8:ff::11');
  assert.equal(n.dlifs[1]!.counters.rasSent, 2);
  assert.equal(n.dlifs[1]!.counters.rsReceived, 1);
  assert.ok(n.dlifs[1]!.counters.packetsIn >= 1);
  assert.equal(table!.rows.length, 2);
  assert.equal(table!.rows[1]![7], '2001:db8:a::/64 valid 3599s preferred 0s');
  const none = await b.router.commands.run('show dlifs', { node: 'mn9' });
  assert.deepEqual(none.result, []);
});

test('create: refused for a duplicate (node, anchor), a taken MAC, a node with two MACs, a bad prefix', async (t) => {
  const b = await bench(t);
  const { s } = mn1(b);
  const bad = (fn: () => unknown) =>
    assert.throws(fn, (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'));
  bad(() =>
    b.dlifs.create({
      parent: 'acc0',
      node: { id: 'mn1', mac: MN1_MAC },
      anchor: { id: 'dgw1' },
      role: 'anchor',
    }),
  );
  bad(() =>
    b.dlifs.create({
      parent: 'acc0',
      node: { id: 'mn1', mac: MN2_MAC },
      anchor: { id: 'dgw7' },
      role: 'anchor',
    }),
  );
  bad(() =>
    b.dlifs.create({
      parent: 'acc0',
      node: { id: 'mn7', mac: MN1_MAC },
      anchor: { id: 'dgw7' },
      role: 'anchor',
    }),
  );
  bad(() =>
    b.dlifs.create({
      parent: 'acc0',
      node: { id: 'mn2', mac: MN2_MAC },
      anchor: { id: 'dgw7' },
      role: 'anchor',
      mac: s.mac,
    }),
  );
  bad(() =>
    b.dlifs.create({
      parent: 'acc0',
      node: { id: 'mn2', mac: MN2_MAC },
      anchor: { id: 'dgw7' },
      role: 'anchor',
      mac: parseMac('33:33:00:00:00:01'),
    }),
  );
  bad(() =>
    b.dlifs.create({
      parent: 'acc0',
      node: { id: 'mn2', mac: MN2_MAC },
      anchor: { id: 'dgw7' },
      role: 'serving',
      prefixes: [{ prefix: PREF_A, prefixLen: 48 }],
    }),
  );
  bad(() =>
    b.dlifs.create({
      parent: 'nope',
      node: { id: 'mn2', mac: MN2_MAC },
      anchor: { id: 'x' },
      role: 'serving',
    }),
  );
  bad(() =>
    b.dlifs.create({
      parent: s.iface,
      node: { id: 'mn2', mac: MN2_MAC },
      anchor: { id: 'x' },
      role: 'serving',
    }),
  );
  // a derived anchor identity that collides cannot move to another attempt
  const collide = deriveDlifMac('dgw9', 'mn2');
  b.dlifs.create({
    parent: 'acc0',
    node: { id: 'mn3', mac: parseMac('02:00:00:00:0a:03') },
    anchor: { id: 'dgwX' },
    role: 'serving',
    mac: collide,
  });
  bad(() =>
    b.dlifs.create({
      parent: 'acc0',
      node: { id: 'mn2', mac: MN2_MAC },
      anchor: { id: 'dgw9' },
      role: 'anchor',
    }),
  );
  // …while a serving one takes the next attempt
  const d = b.dlifs.create({
    parent: 'acc0',
    node: { id: 'mn2', mac: MN2_MAC },
    anchor: { id: 'dgw9' },
    role: 'serving',
  });
  assert.notEqual(formatMac(d.mac), formatMac(collide));
  assert.equal(b.dlifs.list().length, 4);
  assert.equal(b.router.pool.inUse, 0);
});
