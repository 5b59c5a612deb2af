/**
 * The central LMA alone on a backbone MemoryDevice, the test playing the serving D-GW Y1
 * (op-y, fd00:100::2) and the anchoring D-GW X1 (op-x, fd00:100::3) with PBUs and PBAs no
 * encoder of ours made: the two exchanges byte for byte, forwarding across both tunnels both
 * ways, a refresh relayed, an anchor refusal relayed, a de-registration answered and
 * relayed, the anchor's silence, and every policy refusal with its status code and counter.
 *
 * Provenance of every vector: built with Debian python3-scapy 2.5.0 (`/usr/bin/python3`)
 * with the option classes of protocol.md §6 (`_MIP6OptAlign` subclasses registered in
 * `moboptcls`): Anchored Prefix 65 and Local Prefix 66 as HNP (Reserved, Prefix Length,
 * prefix) at 8n+4; Previous MAAR 67 = ByteField otype 67, olen 34, res 0, plen, IP6Field
 * addr, IP6Field prefix at 8n+4 (RFC 8885 §4.5 layout of protocol.md §1.3); DLIF LLA 69 at
 * 8n+6; DLIF L2 70 (Reserved 16 + MAC) at 8n+2; HI 23 / ATT 24 / MN-LLI 25 (Reserved 16 +
 * MAC) unaligned; Timestamp 27 at 8n+2; `MIP6OptMNID(subtype=1, id="mn1@example.org")`;
 * scapy's autopad and checksum. With LMA = "fd00:100::1", S = "fd00:100::2",
 * A = "fd00:100::3", X2 = "fd00:100::4", P = "2001:db8:1:1::", T0 = 0x00006553F1008000
 * (1700000000.5 s, protocol.md §5.2), ts(d) = T0 + round(d * 65536 / 1000):
 *   base(t, hi=3) = [mnid, LLI(mac="02:00:00:00:00:01"), HI(hi=hi), ATT(att=3), TS(ts=t)]
 *   pbu(src, seq, t, opts, dst=LMA, mhtime=15) = IPv6(src=src, dst=dst, hlim=64)/MIP6MH_BU(
 *     seq=seq, flags="AP", reserved=0x010, mhtime=mhtime, options=opts)
 *   pba(src, dst, status, seq, life, opts) = IPv6(src=src, dst=dst, hlim=64)/MIP6MH_BA(
 *     status=status, flags="P", res2=0x02, seq=seq, mhtime=life, options=opts)
 * Each vector's expression is quoted next to it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDevice, Router, type PluginDefinition } from '@dmm/core';
import { ndraPlugin } from '@dmm/ndra';
import { TUNNELS, tunnelPlugin } from '@dmm/tunnel';
import { assertBytes, hex, parseIpv6, parseMac } from '@dmm/testkit';
import {
  IpProto,
  Ipv6,
  Ipv6View,
  Pba,
  PbaView,
  Pbu,
  PbuView,
  dataViewOf,
  formatIpv6,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';
import {
  INTER_OPERATOR_LMA_SERVICE,
  createInterOperatorLmaPlugin,
  type InterOperatorLma,
  type InterOperatorLmaConfigInput,
} from '@dmm/plugin-inter-operator-lma';

const T0 = 1_700_000_000_500;
const LMA_MAC = parseMac('02:00:00:00:64:01');
const MAC: Record<string, Uint8Array> = {
  'fd00:100::2': parseMac('02:00:00:00:11:01'),
  'fd00:100::3': parseMac('02:00:00:00:01:01'),
  'fd00:100::4': parseMac('02:00:00:00:02:01'),
  'fd00:900::2': parseMac('02:00:00:00:09:02'),
};
const POLICY: InterOperatorLmaConfigInput['operators'] = [
  {
    name: 'op-x',
    dgws: [
      { id: 1, address: 'fd00:100::3' },
      { id: 2, address: 'fd00:100::4' },
    ],
    prefixes: ['2001:db8:1::/48', '2001:db8:2::/48'],
  },
  { name: 'op-y', dgws: [{ id: 11, address: 'fd00:100::2' }], prefixes: ['2001:db8:11::/48'] },
];

interface Lab {
  router: Router;
  lma: InterOperatorLma;
  wall: { t: number };
  /** Sends an IPv6 packet to the LMA from the backbone neighbour `src`. */
  inject(packet: Uint8Array): void;
  /** Pumps, and returns the unicast frames the LMA sent. */
  out(): Uint8Array[];
  stop(): Promise<void>;
}

async function load<C>(router: Router, def: PluginDefinition<C>, cfg: unknown): Promise<void> {
  const info = await router.plugins.load(def, cfg);
  assert.equal(info.state, 'loaded', `${def.name}: ${info.lastError ?? ''}`);
}

async function lab(cfg: Partial<InterOperatorLmaConfigInput> = {}): Promise<Lab> {
  const wall = { t: T0 };
  const r = new Router({ name: 'lma', pool: { count: 1024, debug: true } });
  const wan = new MemoryDevice({ name: 'lma-wan', mac: LMA_MAC, ringSize: 1024 });
  r.addAddress(r.addInterface({ name: 'wan0', device: wan }), parseIpv6('fd00:100::1'), 64);
  await load(r, ndraPlugin, {
    neighbors: {
      static: Object.entries(MAC).map(([address, mac]) => ({
        interface: 'wan0',
        address,
        mac: [...mac].map((x) => x.toString(16).padStart(2, '0')).join(':'),
      })),
    },
  });
  r.addRoute({
    prefix: parseIpv6('fd00:900::'),
    prefixLen: 64,
    ifIndex: r.requireInterface('wan0').index,
  });
  await load(r, tunnelPlugin, {});
  await load(r, createInterOperatorLmaPlugin({ wallClock: () => wall.t, firstSequence: 0x1233 }), {
    address: 'fd00:100::1',
    operators: POLICY,
    ...cfg,
  });
  await r.start();
  const poll = (): void => {
    for (let i = 0; i < 100 && r.scheduler.poll() > 0; i++);
  };
  return {
    router: r,
    lma: r.container.resolve(INTER_OPERATOR_LMA_SERVICE),
    wall,
    inject(packet) {
      const src = formatSrc(packet);
      const f = new Uint8Array(14 + packet.length);
      f.set(LMA_MAC, 0);
      f.set(MAC[src]!, 6);
      f[12] = 0x86;
      f[13] = 0xdd;
      f.set(packet, 14);
      assert.ok(wan.inject(f));
      poll();
    },
    out() {
      poll();
      // the router's own DAD and MLD messages (group-addressed) are not what we look at
      return wan.take().filter((f) => (f[0]! & 1) === 0);
    },
    async stop() {
      await r.stop();
    },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function formatSrc(packet: Uint8Array): string {
  return formatIpv6(Ipv6.parse(new Ipv6View(packet, dataViewOf(packet), 0, packet.length)).src);
}

/** The IPv6 packet of a frame, checking it goes to `dstMac`. */
function packetTo(frame: Uint8Array, dst: string): Uint8Array {
  assert.deepEqual(frame.slice(0, 6), MAC[dst], `to ${dst}'s MAC`);
  assert.deepEqual(frame.slice(6, 12), LMA_MAC);
  return frame.slice(14);
}

function decodePbu(p: Uint8Array): PbuRepr {
  assert.equal(p[6], IpProto.Mobility);
  const v = new PbuView(p, dataViewOf(p), 40, p.length);
  assert.equal(v.check(), 0);
  assert.ok(v.verifyChecksum(8, 24));
  return Pbu.parse(v);
}

function decodePba(p: Uint8Array): PbaRepr {
  assert.equal(p[6], IpProto.Mobility);
  const v = new PbaView(p, dataViewOf(p), 40, p.length);
  assert.equal(v.check(), 0);
  assert.ok(v.verifyChecksum(8, 24));
  return Pba.parse(v);
}

/** Registers PBU_S / PBA_A and checks both PBUs and PBAs against the vectors. */
async function register(l: Lab): Promise<void> {
  l.inject(PBU_S);
  const o1 = l.out();
  assert.equal(o1.length, 1, 'one PBU, to X1');
  assertBytes(packetTo(o1[0]!, 'fd00:100::3'), PBU_A, undefined, 'the LMA → X1 PBU');
  l.inject(PBA_A);
  const o2 = l.out();
  assert.equal(o2.length, 1, 'one PBA, to Y1');
  assertBytes(packetTo(o2[0]!, 'fd00:100::2'), PBA_S, undefined, 'the LMA → Y1 PBA');
}

// ── vectors (see the header for how each was built) ──────────────────────────────────

/** Y1 (op-y) → LMA: pbu(S, 5, T0, base(T0) + [AP(P), PMAAR(addr=A, prefix=P)]). */
const PBU_S = hex`
  6000000000788740fd000100000000000000000000000002fd0001000000000000000000000000013b0e0500
  7a0600058210000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000318020003
  01001b0800006553f10080004112004020010db80001000100000000000000000102000043220040fd000100
  00000000000000000000000320010db8000100010000000000000000`;

/**
 * What the LMA must send X1: pbu(LMA, 0x1234, T0, base(T0) + [AP(P)], dst=A, mhtime=16) —
 * one 4-second unit more than Y1 asked, so the anchor leg outlives the serving leg.
 */
const PBU_A = hex`
  6000000000508740fd000100000000000000000000000001fd0001000000000000000000000000033b090500
  d8251234821000100810016d6e31406578616d706c652e6f7267190800000200000000011702000318020003
  01001b0800006553f10080004112004020010db8000100010000000000000000`;

/**
 * X1's answer (granting the 16 units asked): pba(A, LMA, 0, 0x1234, 16, [mnid, AP(P), LP(48, 2001:db8:99::),
 *   DLLA(fe80::1), DL2(02:00:00:00:00:0a), HI(3), ATT(3), TS(T0)]).
 */
const PBA_A = hex`
  6000000000908740fd000100000000000000000000000003fd0001000000000000000000000000013b110600
  728c0022123400100810016d6e31406578616d706c652e6f72670104000000004112004020010db800010001
  0000000000000000010200004212003020010db80099000000000000000000000104000000004510fe800000
  00000000000000000000000101004608000002000000000a17020003180200030104000000001b0800006553
  f100800001020000`;

/**
 * What the LMA must answer Y1: pba(LMA, S, 0, 5, 15, [mnid, AP(P), PMAAR(A, P),
 *   LP(48, 2001:db8:99::), DLLA(fe80::1), DL2(02:00:00:00:00:0a), HI(3), ATT(3), TS(T0)]).
 */
const PBA_S = hex`
  6000000000b88740fd000100000000000000000000000001fd0001000000000000000000000000023b160600
  146d00220005000f0810016d6e31406578616d706c652e6f72670104000000004112004020010db800010001
  00000000000000000102000043220040fd00010000000000000000000000000320010db80001000100000000
  00000000010200004212003020010db80099000000000000000000000104000000004510fe80000000000000
  000000000000000101004608000002000000000a17020003180200030104000000001b0800006553f1008000
  01020000`;

/** Y1's refresh: pbu(S, 6, ts(100), base(ts(100), hi=5) + [AP(P), PMAAR(A, P)]). */
const PBU_S_REFRESH = hex`
  6000000000788740fd000100000000000000000000000002fd0001000000000000000000000000013b0e0500
  606900068210000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000518020003
  01001b0800006553f100999a4112004020010db80001000100000000000000000102000043220040fd000100
  00000000000000000000000320010db8000100010000000000000000`;

/**
 * …relayed with the LMA's own clock (T0 + 100 ms), which our encoder rounds down to the
 * 1/65536 s below (packages/wire `timestampFromMs`: a later time never encodes smaller):
 * pbu(LMA, 0x1235, tsFloor(100), base(tsFloor(100), hi=5) + [AP(P)], dst=A, mhtime=16), where
 * tsFloor(d) = T0 + int(d * 65536 / 1000) = T0 + 0x1999 (Y1's ts(100) above is T0 + 0x199a).
 */
const PBU_A_REFRESH = hex`
  6000000000508740fd000100000000000000000000000001fd0001000000000000000000000000033b090500
  be891235821000100810016d6e31406578616d706c652e6f7267190800000200000000011702000518020003
  01001b0800006553f10099994112004020010db8000100010000000000000000`;

/** Another: pbu(S, 7, ts(200), base(ts(200), hi=5) + [AP(P), PMAAR(A, P)]). */
const PBU_S_3 = hex`
  6000000000788740fd000100000000000000000000000002fd0001000000000000000000000000013b0e0500
  46cf00078210000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000518020003
  01001b0800006553f100b3334112004020010db80001000100000000000000000102000043220040fd000100
  00000000000000000000000320010db8000100010000000000000000`;

/** X1 refuses it: pba(A, LMA, 157, 0x1236, 0, [mnid, AP(P), HI(5), ATT(3), TS(ts(200))]). */
const PBA_A_157 = hex`
  6000000000508740fd000100000000000000000000000003fd0001000000000000000000000000013b090600
  a1ef9d22123600000810016d6e31406578616d706c652e6f72670104000000004112004020010db800010001
  0000000000000000170200051802000301001b0800006553f100b33301020000`;

/** …relayed: pba(LMA, S, 157, 7, 0, [mnid, AP(P), PMAAR(A, P), HI(5), ATT(3), TS(ts(200))]). */
const PBA_S_157 = hex`
  6000000000788740fd000100000000000000000000000001fd0001000000000000000000000000023b0e0600
  43cf9d22000700000810016d6e31406578616d706c652e6f72670104000000004112004020010db800010001
  00000000000000000102000043220040fd00010000000000000000000000000320010db80001000100000000
  00000000170200051802000301001b0800006553f100b33301020000`;

/** pbu("fd00:900::2", 21, T0, base(T0) + [AP(P), PMAAR(A, P)]): nobody's D-GW. */
const R_UNKNOWN = hex`
  6000000000788740fd000900000000000000000000000002fd0001000000000000000000000000013b0e0500
  71f600158210000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000318020003
  01001b0800006553f10080004112004020010db80001000100000000000000000102000043220040fd000100
  00000000000000000000000320010db8000100010000000000000000`;

/** pbu(X2, 22, T0, base(T0) + [AP(P), PMAAR(A, P)]): X2 and X1 are both op-x. */
const R_SAME_OP = hex`
  6000000000788740fd000100000000000000000000000004fd0001000000000000000000000000013b0e0500
  79f300168210000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000318020003
  01001b0800006553f10080004112004020010db80001000100000000000000000102000043220040fd000100
  00000000000000000000000320010db8000100010000000000000000`;

/** pbu(S, 23, T0, base(T0) + [AP(2001:db8:77:1::), PMAAR(A, 2001:db8:77:1::)]): not op-x's. */
const R_PREFIX = hex`
  6000000000788740fd000100000000000000000000000002fd0001000000000000000000000000013b0e0500
  790800178210000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000318020003
  01001b0800006553f10080004112004020010db80077000100000000000000000102000043220040fd000100
  00000000000000000000000320010db8007700010000000000000000`;

/**
 * …its refusal: pba(LMA, S, 155, 23, 0, [mnid, AP(2001:db8:77:1::), PMAAR(A, 2001:db8:77:1::),
 *   HI(3), ATT(3), TS(T0)]).
 */
const R_PREFIX_PBA = hex`
  6000000000788740fd000100000000000000000000000001fd0001000000000000000000000000023b0e0600
  78089b22001700000810016d6e31406578616d706c652e6f72670104000000004112004020010db800770001
  00000000000000000102000043220040fd00010000000000000000000000000320010db80077000100000000
  00000000170200031802000301001b0800006553f100800001020000`;

/** pbu(S, 24, T0, base(T0) + [AP(P)]): no Previous MAAR. */
const R_NO_PMAAR = hex`
  6000000000508740fd000100000000000000000000000002fd0001000000000000000000000000013b090500
  ea4300188210000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000318020003
  01001b0800006553f10080004112004020010db8000100010000000000000000`;

/** pbu(S, 25, T0, base(T0) + [AP(P), PMAAR("fd00:900::1", P)]): an anchor nobody knows. */
const R_UNKNOWN_ANCHOR = hex`
  6000000000788740fd000100000000000000000000000002fd0001000000000000000000000000013b0e0500
  71f400198210000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000318020003
  01001b0800006553f10080004112004020010db80001000100000000000000000102000043220040fd000900
  00000000000000000000000120010db8000100010000000000000000`;

/** pbu(S, 26, T0, base(T0) + [AP(P), PMAAR(A, P)], reserved=0): no D flag. */
const R_NO_D = hex`
  6000000000788740fd000100000000000000000000000002fd0001000000000000000000000000013b0e0500
  7a01001a8200000f0810016d6e31406578616d706c652e6f7267190800000200000000011702000318020003
  01001b0800006553f10080004112004020010db80001000100000000000000000102000043220040fd000100
  00000000000000000000000320010db8000100010000000000000000`;

/** pbu(S, 8, ts(300), base(ts(300), hi=5) + [AP(P), PMAAR(A, P)], mhtime=0). */
const PBU_S_DEREG = hex`
  6000000000788740fd000100000000000000000000000002fd0001000000000000000000000000013b0e0500
  2d430008821000000810016d6e31406578616d706c652e6f7267190800000200000000011702000518020003
  01001b0800006553f100cccd4112004020010db80001000100000000000000000102000043220040fd000100
  00000000000000000000000320010db8000100010000000000000000`;

/**
 * Uplink from Y1: IPv6(src=S, dst=LMA, hlim=64)/IPv6(src="2001:db8:1:1::100",
 *   dst="fd00:100::99", hlim=63)/ICMPv6EchoRequest(id=1, seq=1, data=b"abcd").
 */
const UP = hex`
  6000000000342940fd000100000000000000000000000002fd00010000000000000000000000000160000000
  000c3a3f20010db8000100010000000000000100fd00010000000000000000000000009980008d9b00010001
  61626364`;

/** …as it must leave for X1: the same with outer src=LMA, dst=A, and inner hlim=62. */
const UP_OUT = hex`
  6000000000342940fd000100000000000000000000000001fd00010000000000000000000000000360000000
  000c3a3e20010db8000100010000000000000100fd00010000000000000000000000009980008d9b00010001
  61626364`;

/**
 * Downlink from X1: IPv6(src=A, dst=LMA, hlim=64)/IPv6(src="fd00:100::99",
 *   dst="2001:db8:1:1::100", hlim=63)/ICMPv6EchoReply(id=1, seq=1, data=b"abcd").
 */
const DOWN = hex`
  6000000000342940fd000100000000000000000000000003fd00010000000000000000000000000160000000
  000c3a3ffd00010000000000000000000000009920010db800010001000000000000010081008c9b00010001
  61626364`;

/** …as it must leave for Y1: outer src=LMA, dst=S, inner hlim=62. */
const DOWN_OUT = hex`
  6000000000342940fd000100000000000000000000000001fd00010000000000000000000000000260000000
  000c3a3efd00010000000000000000000000009920010db800010001000000000000010081008c9b00010001
  61626364`;

/**
 * Uplink from Y1 from a prefix of op-x's with no binding: IPv6(src=S, dst=LMA, hlim=64)/
 *   IPv6(src="2001:db8:2::100", dst="fd00:100::99", hlim=63)/ICMPv6EchoRequest(id=1, seq=1,
 *   data=b"abcd").
 */
const UP_UNBOUND = hex`
  6000000000342940fd000100000000000000000000000002fd00010000000000000000000000000160000000
  000c3a3f20010db8000200000000000000000100fd00010000000000000000000000009980008d9b00010001
  61626364`;

/** The guard rules: every prefix of the policy → Tunbound (tableBase + 3 D-GWs). */
const GUARDS = [
  ['2001:db8:1::', 48, 103],
  ['2001:db8:2::', 48, 103],
  ['2001:db8:11::', 48, 103],
];

function rules(l: Lab): [string, number, number][] {
  return l.router.routes
    .listRules()
    .map((r): [string, number, number] => [formatIpv6(r.prefix), r.prefixLen, r.table]);
}

/** X1 accepts the refresh: PBA_A with seq 0x1235, HI(5), TS(ts(100)) (16 units again). */
const PBA_A_REFRESH = hex`
  6000000000908740fd000100000000000000000000000003fd0001000000000000000000000000013b110600
  58ef0022123500100810016d6e31406578616d706c652e6f72670104000000004112004020010db800010001
  0000000000000000010200004212003020010db80099000000000000000000000104000000004510fe800000
  00000000000000000000000101004608000002000000000a17020005180200030104000000001b0800006553
  f100999a01020000`;

test('both exchanges byte for byte, forwarding across both tunnels both ways, a refresh and an anchor refusal relayed', async () => {
  const l = await lab();
  try {
    await register(l);
    const rows = l.lma.bindings();
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [rows[0]!.prefix, rows[0]!.state, rows[0]!.serving.dgw, rows[0]!.anchor.dgw],
      ['2001:db8:1:1::/64', 'active', 'dgw11', 'dgw1'],
    );
    assert.deepEqual(
      [rows[0]!.serving.lifetimeLeft, rows[0]!.anchor.lifetimeLeft],
      [60, 64],
      'Y1 granted the 15 units of 4 s it asked; X1 one more, as the LMA asked',
    );
    const tunnels = l.router.container.resolve(TUNNELS).list();
    assert.deepEqual(
      tunnels.map((t) => t.remote).sort(),
      ['fd00:100::2', 'fd00:100::3'],
      'two tunnels: to Y1 and to X1, none between them',
    );
    assert.deepEqual(
      rules(l),
      [['2001:db8:1:1::', 64, 100], ...GUARDS],
      'from P lookup T(X1); the policy prefixes to Tunbound (103: after the 3 D-GWs)',
    );

    // uplink: decapsulated from Y1's tunnel, into X1's (inner hop limit decremented once)
    l.inject(UP);
    const up = l.out();
    assert.equal(up.length, 1);
    assertBytes(packetTo(up[0]!, 'fd00:100::3'), UP_OUT, undefined, 'uplink towards X1');
    // downlink: from X1's tunnel, into Y1's
    l.inject(DOWN);
    const down = l.out();
    assert.equal(down.length, 1);
    assertBytes(packetTo(down[0]!, 'fd00:100::2'), DOWN_OUT, undefined, 'downlink towards Y1');
    // a source of op-x's with no binding, through the same tunnel: dropped and counted
    l.inject(UP_UNBOUND);
    assert.equal(l.out().length, 0, 'not forwarded');
    assert.equal(l.lma.stats().unboundDropped, 1);

    // a refresh: relayed, then answered once X1 answered
    l.wall.t = T0 + 100;
    l.inject(PBU_S_REFRESH);
    const r1 = l.out();
    assert.equal(r1.length, 1, 'no PBA to Y1 before X1 answers');
    assertBytes(packetTo(r1[0]!, 'fd00:100::3'), PBU_A_REFRESH, undefined, 'refresh to X1');
    l.inject(PBA_A_REFRESH);
    const r2 = l.out();
    const refreshed = decodePba(packetTo(r2[0]!, 'fd00:100::2'));
    assert.deepEqual([refreshed.status, refreshed.sequence, refreshed.lifetime], [0, 6, 15]);
    assert.deepEqual(l.lma.stats().accepted, { registered: 1, refreshed: 1 });

    // X1 refuses the next one (157): relayed as is, both legs torn down
    l.wall.t = T0 + 200;
    l.inject(PBU_S_3);
    const a3 = decodePbu(packetTo(l.out()[0]!, 'fd00:100::3'));
    assert.equal(a3.sequence, 0x1236);
    l.inject(PBA_A_157);
    const r3 = l.out();
    assert.equal(r3.length, 1);
    assertBytes(packetTo(r3[0]!, 'fd00:100::2'), PBA_S_157, undefined, '157 relayed to Y1');
    assert.equal(l.lma.bindings().length, 0);
    const st = l.lma.stats();
    assert.deepEqual(st.teardowns, { superseded: 1 });
    assert.deepEqual(st.relayedRefusals, { '157 TimestampLowerThanPrevAccepted': 1 });
    assert.deepEqual(rules(l), GUARDS, 'the uplink rule went, the guards stay');
    assert.equal(l.router.container.resolve(TUNNELS).list().length, 0, 'both tunnels went');
    assert.equal(l.lma.cache.size + l.lma.bul.size, 0);
    // nothing is forwarded for P any more
    l.inject(UP);
    assert.equal(l.out().length, 0);
  } finally {
    await l.stop();
  }
});

test('a de-registration from the serving D-GW: answered at once, relayed to the anchor', async () => {
  const l = await lab();
  try {
    await register(l);
    l.wall.t = T0 + 300;
    l.inject(PBU_S_DEREG);
    const o = l.out();
    assert.equal(o.length, 2);
    const toS = decodePba(packetTo(o[0]!, 'fd00:100::2'));
    assert.deepEqual([toS.status, toS.sequence, toS.lifetime], [0, 8, 0]);
    const toA = decodePbu(packetTo(o[1]!, 'fd00:100::3'));
    assert.equal(toA.lifetime, 0, 'a de-registration');
    assert.equal(toA.flags, 0x8210);
    assert.deepEqual(
      toA.options.map((x) => x.kind),
      [
        'mn-id',
        'mn-link-layer-id',
        'handoff-indicator',
        'access-technology-type',
        'timestamp',
        'anchored-prefix',
      ],
    );
    assert.equal(l.lma.bindings().length, 0);
    assert.deepEqual(l.lma.stats().teardowns, { dereg: 1 });
    assert.equal(l.router.container.resolve(TUNNELS).list().length, 0);
    assert.deepEqual(l.lma.stats().pbuSent, { register: 1, move: 0, refresh: 0, dereg: 1 });
  } finally {
    await l.stop();
  }
});

test('an anchor that never answers: the serving D-GW gets 128, both legs go', async () => {
  const l = await lab({
    retransmission: { InitialBindackTimeoutFirstReg: 20, MaxBindackTimeout: 80 },
  });
  try {
    l.inject(PBU_S);
    const deadline = Date.now() + 2000;
    let toS: PbaRepr | null = null;
    let toA = 0;
    while (toS === null && Date.now() < deadline) {
      for (const f of l.out()) {
        // by the whole destination MAC (X1's and Y1's differ in byte 4 only)
        if (sameBytes(f.slice(0, 6), MAC['fd00:100::3']!)) toA++;
        else toS = decodePba(packetTo(f, 'fd00:100::2'));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(toS !== null, 'a PBA to Y1');
    assert.deepEqual([toS.status, toS.sequence], [128, 5]);
    assert.equal(toA, 3, 'sent after 0, 20 and 60 ms (back-off 20, 40; 80 would be the last)');
    assert.equal(l.lma.stats().anchorTimeouts, 1);
    assert.deepEqual(l.lma.stats().teardowns, { 'anchor-timeout': 1 });
    assert.equal(l.lma.bindings().length, 0);
  } finally {
    await l.stop();
  }
});

test('policy refusals: each answered with its status, counted by name, nothing sent to anchors', async () => {
  const l = await lab();
  try {
    const cases: [Uint8Array, string, number][] = [
      [R_UNKNOWN, 'fd00:900::2', 154],
      [R_SAME_OP, 'fd00:100::4', 129],
      [R_PREFIX, 'fd00:100::2', 155],
      [R_NO_PMAAR, 'fd00:100::2', 153],
      [R_UNKNOWN_ANCHOR, 'fd00:100::2', 129],
      [R_NO_D, 'fd00:100::2', 153],
    ];
    for (const [pbu, from, status] of cases) {
      l.inject(pbu);
      const o = l.out();
      assert.equal(o.length, 1, `one answer to ${from}`);
      const pba = decodePba(packetTo(o[0]!, from));
      assert.equal(pba.status, status);
      assert.equal(pba.lifetime, 0);
      if (pbu === R_PREFIX) assertBytes(o[0]!.slice(14), R_PREFIX_PBA, undefined, '155 PBA');
    }
    assert.deepEqual(l.lma.stats().refused, {
      'unknown-dgw (154)': 1,
      'same-operator (129)': 1,
      'prefix-not-in-policy (155)': 1,
      'no-previous-maar (153)': 1,
      'unknown-anchor (129)': 1,
      'not-distributed (153)': 1,
    });
    assert.equal(l.lma.stats().pbuSent.register, 0);
    assert.equal(l.lma.bindings().length, 0);
    // a stale timestamp after a registration: 157
    await register(l);
    l.inject(PBU_S);
    const stale = decodePba(packetTo(l.out()[0]!, 'fd00:100::2'));
    assert.equal(stale.status, 157, 'the same timestamp again is not newer (RFC 5213 §5.5)');
  } finally {
    await l.stop();
  }
  // relaying op-x → op-y only: Y1's PBU is administratively prohibited
  const one = await lab({ relay: [{ from: 'op-x', to: 'op-y' }] });
  try {
    one.inject(PBU_S);
    const pba = decodePba(packetTo(one.out()[0]!, 'fd00:100::2'));
    assert.equal(pba.status, 129);
    assert.deepEqual(one.lma.stats().refused, { 'operator-not-relayed (129)': 1 });
  } finally {
    await one.stop();
  }
});

test('hostile PBUs: 2000 mutations of a valid one, checksums fixed, never a throw; each answered or dropped by name', async (t) => {
  const l = await lab();
  try {
    // a deterministic LCG (Numerical Recipes constants): the same mutations every run
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    const N = 2000;
    let answered = 0;
    let relayed = 0;
    for (let k = 0; k < N; k++) {
      const p = Uint8Array.from(PBU_S);
      // 1–4 random bytes of the Mobility Header after its checksum (MH type and the
      // header length left alone half the time, so most reach the LMA's own checks)
      const from = k % 2 === 0 ? 40 + 6 : 40 + 2;
      for (let j = 0, m = 1 + rnd(4); j < m; j++) p[from + rnd(p.length - from)] = rnd(256);
      // the MH checksum recomputed so the mutation is judged by what it says
      const v = new PbuView(p, dataViewOf(p), 40, p.length);
      p[44] = 0;
      p[45] = 0;
      v.fillChecksum(8, 24);
      l.wall.t = T0 + (k % 250); // inside the 300 ms window of the vector's timestamp
      l.inject(p);
      for (const f of l.out()) {
        if (sameBytes(f.slice(0, 6), MAC['fd00:100::3']!)) relayed++;
        else {
          const pba = decodePba(packetTo(f, 'fd00:100::2'));
          assert.equal(pba.sequence, new DataView(p.buffer).getUint16(46));
          answered++;
        }
      }
    }
    const c = l.router.counters();
    assert.equal(c['mobility-input.handler-error'] ?? 0, 0, 'the LMA never threw');
    const st = l.lma.stats();
    const dropped =
      (c['mobility-input.malformed'] ?? 0) +
      (c['mobility-input.payload-proto-not-none'] ?? 0) +
      (c['mobility-input.unsupported-type'] ?? 0);
    assert.equal(dropped + st.pbuReceived, N, 'every PBU dropped by name or handled');
    const refused = Object.values(st.refused).reduce((a, b) => a + b, 0);
    assert.ok(refused > 0 && answered >= refused, `${refused} refusals, ${answered} PBAs`);
    // …and the LMA still answers a known vector byte for byte
    l.wall.t = T0;
    l.inject(R_PREFIX);
    const o = l.out();
    assert.equal(o.length, 1);
    assertBytes(packetTo(o[0]!, 'fd00:100::2'), R_PREFIX_PBA, undefined, '155 PBA after the storm');
    t.diagnostic(
      `${N} mutations: ${st.pbuReceived} reached the LMA, ${dropped} dropped by mobility-input, ` +
        `${answered} PBAs, ${relayed} PBUs relayed to X1; refused ${JSON.stringify(st.refused)}`,
    );
  } finally {
    await l.stop();
  }
});
