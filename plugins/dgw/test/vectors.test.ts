/**
 * The D flag and options 65/66/69/70 on PBUs and PBAs we did not emit, fed to the anchor and
 * serving logic of real D-GW routers (test/net.ts), and what each does with them.
 *
 * Provenance of every vector:
 * - DMM_PBU, DMM_PBA: protocol.md §5.2 ("built by two independent encoders — hand-written
 *   Python and scapy 2.5 with the classes of §6 — byte-identical, checksums cross-checked
 *   with scapy's in6_chksum, decoded by tshark 4.0.17").
 * - SCAPY_*: built here with Debian python3-scapy 2.5.0 (`/usr/bin/python3`), with the option
 *   classes of protocol.md §6 (`_MIP6OptAlign` subclasses registered in `moboptcls`: AP 65
 *   and LP 66 as HNP at 8n+4, DLIF LLA 69 at 8n+6, DLIF L2 70 (Reserved 16 + MAC) at 8n+2,
 *   HI 23 / ATT 24 / MN-LLI 25 unaligned, Timestamp 27 at 8n+2), `MIP6OptMNID(subtype=1,
 *   id="mn1@example.org")`, scapy's autopad and checksum. Each expression is quoted next to
 *   its vector. T0 = 0x00006553F1008000 (1700000000.5 s); `ts(d)` = T0 + d ms in 1/65536 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMacAddress, maskPrefix } from '@dmm/core';
import { mnIdNai } from '@dmm/binding-cache';
import { openContextStore } from '@dmm/mobility-context';
import { TUNNELS } from '@dmm/tunnel';
import { hex, parseIpv6, parseMac, toHex } from '@dmm/testkit';
import { PbaFlag, PbaStatus, PbuFlag, formatIpv6 } from '@dmm/wire';
import type { AttachResult, DgwBindingRow } from '@dmm/plugin-dgw';
import {
  ADDR,
  MN1,
  MN1_MAC,
  T0,
  WAN_MAC,
  eth,
  ipOf,
  mobility,
  net,
  parseRa,
  sameBytes,
  type Net,
  type ParsedRa,
} from './net.js';

/** protocol.md §5.2 DMM PBU: fd00:200::2 → fd00:100::2, seq 2, A|P|D, lifetime 15 (60 s). */
const DMM_PBU = hex`
  6000000000908740 fd000200000000000000000000000002 fd000100000000000000000000000002
  3b110500035700028210000f0810016d6e31406578616d706c652e6f726701040000
  00004112004020010db8000100010000000000000000010200004212004020010db8000200
  0100000000000000000104000000004510fe80000000000000000000000000000101004608
  000002000000000a17020003180200030104000000001b0800006553f100800001020000`;

/** protocol.md §5.2 DMM PBA: fd00:100::2 → fd00:200::2, status 0, P|D, seq 2, lifetime 15. */
const DMM_PBA = hex`
  6000000000488740 fd000100000000000000000000000002 fd000200000000000000000000000002
  3b080600b25d00220002000f0810016d6e31406578616d706c652e6f726701040000
  00004112004020010db800010001000000000000000001001b0800006553f1008000010200
  00`;

/**
 * The PBA the anchor D1 must answer DMM_PBU with (scapy):
 * IPv6(src="fd00:100::2",dst="fd00:200::2",hlim=64)/MIP6MH_BA(status=0,flags="P",res2=0x02,
 *   seq=2,mhtime=15,options=[mnid, AP(plen=64,prefix="2001:db8:1:1::"),
 *   LP(plen=48,prefix="2001:db8:99::"), DLLA(addr="fe80::1"), DL2(mac="02:00:00:00:00:0a"),
 *   HI(hi=3), ATT(att=3), TS(ts=T0)])
 */
const SCAPY_PBA_EXPECTED = hex`
  6000000000908740fd000100000000000000000000000002fd000200000000000000000000000002
  3b11060083bf00220002000f0810016d6e31406578616d706c652e6f72670104000000004112004020010db8
  000100010000000000000000010200004212003020010db80099000000000000000000000104000000004510
  fe80000000000000000000000000000101004608000002000000000a17020003180200030104000000001b08
  00006553f100800001020000`;

/**
 * An accepting PBA naming another DLIF identity and two local networks (scapy):
 * ...MIP6MH_BA(status=0,flags="P",res2=0x02,seq=2,mhtime=30,options=[mnid,
 *   AP(plen=64,prefix="2001:db8:1:1::"), LP(plen=48,prefix="2001:db8:99::"),
 *   LP(plen=64,prefix="2001:db8:98:1::"), DLLA(addr="fe80::a:1"), DL2(mac="02:00:00:00:a0:01"),
 *   HI(hi=3), ATT(att=3), TS(ts=T0)])
 */
const SCAPY_PBA_IDENTITY = hex`
  6000000000a88740fd000100000000000000000000000002fd000200000000000000000000000002
  3b14060071ed00220002001e0810016d6e31406578616d706c652e6f72670104000000004112004020010db8
  000100010000000000000000010200004212003020010db800990000000000000000000001020000421200
  4020010db80098000100000000000000000104000000004510fe8000000000000000000000000a0001010046
  08000002000000a00117020003180200030104000000001b0800006553f100800001020000`;

/**
 * A refusal (scapy): ...MIP6MH_BA(status=155,flags="P",res2=0x02,seq=2,mhtime=0,options=[mnid,
 *   AP(plen=64,prefix="2001:db8:1:1::"), HI(hi=3), ATT(att=3), TS(ts=T0)])
 */
const SCAPY_PBA_155 = hex`
  6000000000508740fd000100000000000000000000000002fd000200000000000000000000000002
  3b090600e8589b22000200000810016d6e31406578616d706c652e6f72670104000000004112004020010db8
  000100010000000000000000170200031802000301001b0800006553f100800001020000`;

/**
 * PBUs to fd00:100::2 (scapy): pbu(src, seq, t, aps, extra) =
 * IPv6(src=src,dst="fd00:100::2",hlim=64)/MIP6MH_BU(seq=seq,flags="AP",reserved=0x010,
 *   mhtime=15,options=[mnid, LLI(mac="02:00:00:00:00:01"), HI(hi=3), ATT(att=3), TS(ts=t)]
 *   + [AP(plen=64,prefix=x) for x in aps] + extra)
 */
/** pbu("fd00:900::2", 7, T0, ["2001:db8:1:1::"]): a D-GW nobody configured. */
const SCAPY_PBU_UNKNOWN_DGW = hex`
  6000000000508740fd000900000000000000000000000002fd000100000000000000000000000002
  3b090500e25300078210000f0810016d6e31406578616d706c652e6f726719080000020000000001170200
  031802000301001b0800006553f10080004112004020010db8000100010000000000000000`;
/** pbu("fd00:300::2", 9, ts(-250), ["2001:db8:1:1::"]): older than the accepted DMM_PBU. */
const SCAPY_PBU_STALE = hex`
  6000000000508740fd000300000000000000000000000002fd000100000000000000000000000002
  3b090500285200098210000f0810016d6e31406578616d706c652e6f726719080000020000000001170200
  031802000301001b0800006553f10040004112004020010db8000100010000000000000000`;
/** pbu("fd00:300::2", 11, ts(100), ["2001:db8:1:1::", "2001:db8:1:2::"]): the second is not ours. */
const SCAPY_PBU_NOT_OURS = hex`
  6000000000688740fd000300000000000000000000000002fd000100000000000000000000000002
  3b0c05005e8b000b8210000f0810016d6e31406578616d706c652e6f726719080000020000000001170200
  031802000301001b0800006553f10099994112004020010db8000100010000000000000000010200004112
  004020010db8000100020000000000000000`;
/**
 * pbu("fd00:300::2", 13, ts(200), ["2001:db8:1:1::"],
 *     [MIP6OptUnknown(otype=200,olen=4,odata=b"\xde\xad\xbe\xef")]): an option nobody knows.
 */
const SCAPY_PBU_UNKNOWN_OPTION = hex`
  6000000000588740fd000300000000000000000000000002fd000100000000000000000000000002
  3b0a05004e6f000d8210000f0810016d6e31406578616d706c652e6f726719080000020000000001170200
  031802000301001b0800006553f100b3334112004020010db8000100010000000000000000c804deadbeef
  0100`;

const P11 = parseIpv6('2001:db8:1:1::');
const DLIF_MAC = parseMac('02:00:00:00:00:0a');
const DLIF_LL = parseIpv6('fe80::1');

test('the vectors decode, with our wire decoders, to what their builders put in', () => {
  const pbu = mobility([{ at: 0, from: -1, bytes: eth(WAN_MAC[0]!, WAN_MAC[1]!, DMM_PBU) }])[0]!;
  assert.deepEqual([pbu.mh[8], pbu.mh[9]], [0x82, 0x10], 'A|P|D');
  assert.equal(pbu.pbu!.flags & PbuFlag.D, PbuFlag.D);
  assert.deepEqual(pbu.pbu!.options, [
    { kind: 'mn-id', nai: MN1 },
    { kind: 'anchored-prefix', prefixLength: 64, prefix: P11 },
    { kind: 'local-prefix', prefixLength: 64, prefix: parseIpv6('2001:db8:2:1::') },
    { kind: 'dlif-link-local-address', address: DLIF_LL },
    { kind: 'dlif-link-layer-address', address: DLIF_MAC },
    { kind: 'handoff-indicator', value: 3 },
    { kind: 'access-technology-type', value: 3 },
    { kind: 'timestamp', seconds: 0x6553f100, fraction: 0x8000 },
  ]);
  const pba = mobility([
    { at: 0, from: -1, bytes: eth(WAN_MAC[1]!, WAN_MAC[0]!, SCAPY_PBA_IDENTITY) },
  ])[0]!;
  assert.equal(pba.mh[7], 0x22, 'P|D');
  assert.equal(pba.pba!.flags & PbaFlag.D, PbaFlag.D);
  assert.deepEqual(
    pba.pba!.options.map((o) => o.kind),
    [
      'mn-id',
      'anchored-prefix',
      'local-prefix',
      'local-prefix',
      'dlif-link-local-address',
      'dlif-link-layer-address',
      'handoff-indicator',
      'access-technology-type',
      'timestamp',
    ],
  );
  assert.deepEqual(pba.pba!.options[3], {
    kind: 'local-prefix',
    prefixLength: 64,
    prefix: parseIpv6('2001:db8:98:1::'),
  });
  const unk = mobility([
    { at: 0, from: -1, bytes: eth(WAN_MAC[0]!, WAN_MAC[2]!, SCAPY_PBU_UNKNOWN_OPTION) },
  ])[0]!;
  assert.deepEqual(unk.pbu!.options.at(-1), {
    kind: 'unknown',
    type: 200,
    data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
  });
  const refusal = mobility([
    { at: 0, from: -1, bytes: eth(WAN_MAC[1]!, WAN_MAC[0]!, SCAPY_PBA_155) },
  ])[0]!;
  assert.equal(refusal.pba!.status, 155);
});

/** The context of protocol.md §5.2: mn1 holds 2001:db8:1:1::/64 from dgw1 (fd00:100::2). */
async function seed(name: string): Promise<void> {
  const s = await openContextStore({ backend: 'memory', name });
  await s.registerAttachment({ mnId: MN1, mac: MN1_MAC }, 'dgw1');
  await s.delegatePrefix(MN1, {
    prefix: { prefix: P11, prefixLen: 64 },
    anchor: { dgwId: 'dgw1', address: ADDR[0]!, operator: 'op-a' },
    dlifMac: DLIF_MAC,
    dlifLinkLocal: DLIF_LL,
    localNetworks: [{ prefix: parseIpv6('2001:db8:99::'), prefixLen: 48 }],
    lifetimeMs: Infinity,
  });
  await s.close();
}

/** Sends a bare IPv6 packet from `fromMac` into D-GW `i`'s backbone interface. */
function toGw(n: Net, i: number, fromMac: Uint8Array, packet: Uint8Array): void {
  n.injectBackbone(i, eth(WAN_MAC[i]!, fromMac, packet));
}

/** The PBA D1 sent last, decoded and checksum-verified. */
function lastPbaFrom(n: Net, i: number) {
  const all = mobility(n.backbone.filter((f) => f.from === i)).filter((m) => m.pba !== null);
  assert.ok(all.length > 0, `a PBA from D${i + 1}`);
  return all[all.length - 1]!;
}

async function bindings(n: Net, i: number): Promise<DgwBindingRow[]> {
  return (await n.gws[i]!.router.commands.run('show bindings', { mn: MN1 }))
    .result as DgwBindingRow[];
}

test('anchor: protocol.md §5.2 DMM PBU accepted, the PBA equals scapy byte for byte; then scapy PBUs refused with 157, 154, 155 and one with an unknown option accepted', async () => {
  const n = await net({ count: 2, seed, dgw: () => ({ idleTimeout: 0 }) });
  try {
    const d1 = n.gws[0]!;
    n.wall.freeze(T0 + 10);
    // nothing reaches D2 from D1: it plays no part here
    n.filter = (f) => f.from !== 0;
    toGw(n, 0, WAN_MAC[1]!, DMM_PBU);
    await n.until(() => n.backbone.some((f) => f.from === 0), 1000, 'the PBA');
    const pba = lastPbaFrom(n, 0);
    assert.equal(
      toHex(ipOf(pba.frame.bytes)!.packet),
      toHex(SCAPY_PBA_EXPECTED),
      'the whole IPv6 + PBA',
    );
    assert.deepEqual(pba.frame.bytes.slice(0, 6), WAN_MAC[1], 'to the serving D-GW');
    assert.deepEqual(
      (await bindings(n, 0)).map((r) => [r.prefix, r.role, r.servingDgw, r.lifetimeLeft, r.state]),
      [['2001:db8:1:1::/64', 'lma', 'dgw2', 60, 'active']],
    );
    const route = d1.router.routes
      .list()
      .find((r) => r.prefixLen === 64 && sameBytes(r.prefix, P11))!;
    assert.equal(route.kind, 5, 'a tunnel route');
    const tun = d1.router.container.resolve(TUNNELS);
    assert.equal(tun.info(route.tunnel)!.remote, 'fd00:200::2');

    // stale: 250 ms older than the accepted one, from D3 → 157
    toGw(n, 0, WAN_MAC[2]!, SCAPY_PBU_STALE);
    await n.until(() => lastPbaFrom(n, 0).pba!.sequence === 9, 1000, 'answer to seq 9');
    let a = lastPbaFrom(n, 0);
    assert.equal(a.pba!.status, PbaStatus.TimestampLowerThanPrevAccepted);
    assert.equal(a.mh[7], 0x22, 'P|D on a refusal too');
    assert.equal(a.pba!.lifetime, 0);
    assert.deepEqual(a.ip.dst, ADDR[2]);

    // a D-GW nobody configured → 154
    toGw(n, 0, parseMac('02:00:00:00:0d:09'), SCAPY_PBU_UNKNOWN_DGW);
    await n.until(() => lastPbaFrom(n, 0).pba!.sequence === 7, 1000, 'answer to seq 7');
    a = lastPbaFrom(n, 0);
    assert.equal(a.pba!.status, PbaStatus.MagNotAuthorizedForProxyReg);
    assert.equal(formatIpv6(a.ip.dst), 'fd00:900::2');

    // two anchored prefixes, one not delegated here → 155, nothing changes
    toGw(n, 0, WAN_MAC[2]!, SCAPY_PBU_NOT_OURS);
    await n.until(() => lastPbaFrom(n, 0).pba!.sequence === 11, 1000, 'answer to seq 11');
    a = lastPbaFrom(n, 0);
    assert.equal(a.pba!.status, PbaStatus.NotAuthorizedForHomeNetworkPrefix);
    assert.equal((await bindings(n, 0))[0]!.servingDgw, 'dgw2', 'binding untouched');

    // newer, with an option of unknown type 200 (skipped, RFC 6275 §6.2.1): the node moved to D3
    toGw(n, 0, WAN_MAC[2]!, SCAPY_PBU_UNKNOWN_OPTION);
    await n.until(() => lastPbaFrom(n, 0).pba!.sequence === 13, 1000, 'answer to seq 13');
    a = lastPbaFrom(n, 0);
    assert.equal(a.pba!.status, PbaStatus.Accepted);
    assert.deepEqual(
      a.pba!.options.filter(
        (o) => o.kind === 'dlif-link-layer-address' || o.kind === 'dlif-link-local-address',
      ),
      [
        { kind: 'dlif-link-local-address', address: DLIF_LL },
        { kind: 'dlif-link-layer-address', address: DLIF_MAC },
      ],
    );
    assert.equal((await bindings(n, 0))[0]!.servingDgw, 'dgw3');
    const st = d1.dgw.stats();
    assert.deepEqual(st.anchor.refused, {
      'stale-timestamp (157)': 1,
      'unknown-dgw (154)': 1,
      'not-anchored-here (155)': 1,
    });
    assert.deepEqual(st.anchor.accepted, { registered: 1, moved: 1 });
  } finally {
    await n.stop();
  }
});

/** D2 serves mn1, whose 2001:db8:1:1::/64 the store says dgw1 anchors; its PBU (seq 2) is held back. */
async function servingBench(): Promise<{ n: Net; res: () => AttachResult | undefined }> {
  const n = await net({ count: 2, seed, firstSequence: 1, dgw: () => ({ idleTimeout: 0 }) });
  n.filter = (f) => !(f.from === 1 && mobility([f])[0]?.pbu);
  const mn = n.addNode(MN1, MN1_MAC);
  n.move(mn, 1);
  let res: AttachResult | undefined;
  void n.gws[1]!.router.commands.run('attach', { mn: MN1, mac: formatMacAddress(MN1_MAC) }).then(
    (r) => (res = r.result as AttachResult),
  );
  await n.until(
    () => mobility(n.backbone).some((m) => m.pbu && m.frame.from === 1),
    1000,
    "D2's PBU",
  );
  const pbu = mobility(n.backbone).find((m) => m.pbu && m.frame.from === 1)!;
  assert.equal(pbu.pbu!.sequence, 2, 'the sequence number the vectors answer');
  assert.deepEqual(
    pbu.pbu!.options.find((o) => o.kind === 'anchored-prefix'),
    {
      kind: 'anchored-prefix',
      prefixLength: 64,
      prefix: P11,
    },
  );
  // prepared from the store before any PBA: the anchor DLIF is there already
  const a = n.gws[1]!.dlifs.get(MN1, 'dgw1')!;
  assert.deepEqual(a.mac, DLIF_MAC);
  assert.deepEqual(a.linkLocal, DLIF_LL);
  return { n, res: () => res };
}

function rasFrom(n: Net, mac: Uint8Array): ParsedRa[] {
  return n.access
    .map((f) => parseRa(f.bytes))
    .filter((r): r is ParsedRa => r !== null && sameBytes(r.srcMac, mac));
}

test('serving: protocol.md §5.2 DMM PBA (no DLIF or Local Prefix options) completes the binding with the store identity', async () => {
  const { n, res } = await servingBench();
  try {
    const d2 = n.gws[1]!;
    toGw(n, 1, WAN_MAC[0]!, DMM_PBA);
    await n.until(() => res() !== undefined, 1000, 'attach done');
    assert.deepEqual(
      res()!.prefixes.find((p) => p.prefix === '2001:db8:1:1::/64'),
      { prefix: '2001:db8:1:1::/64', anchor: 'dgw1', role: 'mag', state: 'active' },
    );
    assert.equal(d2.dgw.bul.size, 1);
    const bul = d2.dgw.bul.findByMnId(mnIdNai(MN1))!;
    assert.equal(bul.grantedLifetimeMs, 60_000, 'lifetime 15 × 4 s');
    const last = rasFrom(n, DLIF_MAC).at(-1)!;
    const pio = last.prefixes.find((p) => sameBytes(maskPrefix(p.prefix, 64), P11))!;
    assert.ok(
      pio.validLifetime <= 60 && pio.validLifetime >= 59,
      'valid lifetime = the binding left',
    );
    assert.equal(pio.preferredLifetime, 0);
    assert.deepEqual(
      last.routes.map((r) => formatIpv6(r.prefix)),
      ['2001:db8:99::'],
      'local networks of the store kept',
    );
    assert.equal(d2.dgw.stats().dlifCorrected, 0);
  } finally {
    await n.stop();
  }
});

test('serving: a scapy PBA naming another DLIF identity and two Local Prefixes re-creates the anchor DLIF', async () => {
  const { n, res } = await servingBench();
  try {
    const d2 = n.gws[1]!;
    toGw(n, 1, WAN_MAC[0]!, SCAPY_PBA_IDENTITY);
    await n.until(() => res() !== undefined, 1000, 'attach done');
    const a = d2.dlifs.get(MN1, 'dgw1')!;
    assert.equal(formatMacAddress(a.mac), '02:00:00:00:a0:01');
    assert.equal(formatIpv6(a.linkLocal), 'fe80::a:1');
    assert.equal(a.iface.inputTable, 102, "Tin(D1): D1's local networks only");
    const ra = rasFrom(n, a.mac).at(-1)!;
    assert.equal(formatIpv6(ra.ip.src), 'fe80::a:1');
    assert.deepEqual(
      ra.routes.map((r) => `${formatIpv6(r.prefix)}/${r.prefixLength}`),
      ['2001:db8:99::/48', '2001:db8:98:1::/64'],
    );
    const pio = ra.prefixes.find((p) => sameBytes(maskPrefix(p.prefix, 64), P11))!;
    assert.ok(pio.validLifetime <= 120 && pio.validLifetime >= 119, 'lifetime 30 × 4 s');
    const down = d2.router.routes
      .list()
      .find((r) => r.prefixLen === 64 && sameBytes(r.prefix, P11))!;
    assert.equal(down.ifIndex, a.iface.index, 'the downlink route follows the new DLIF');
    assert.equal(d2.dgw.stats().dlifCorrected, 1);
    assert.equal(
      d2.dlifs.list().filter((d) => d.anchor.id === 'dgw1').length,
      1,
      'the prepared one is gone',
    );
  } finally {
    await n.stop();
  }
});

test('serving: a scapy refusal (155, D flag) undoes the preparation and releases the prefix', async () => {
  const { n, res } = await servingBench();
  try {
    const d2 = n.gws[1]!;
    const before = n.access.length;
    toGw(n, 1, WAN_MAC[0]!, SCAPY_PBA_155);
    await n.until(() => res() !== undefined, 1000, 'attach done');
    assert.equal(d2.dlifs.get(MN1, 'dgw1'), undefined, 'anchor DLIF removed');
    const last = n.access
      .slice(before)
      .map((f) => parseRa(f.bytes))
      .filter((r): r is ParsedRa => r !== null && sameBytes(r.srcMac, DLIF_MAC));
    assert.equal(last.length, 1, 'its last RA');
    assert.equal(last[0]!.ra.routerLifetime, 0);
    assert.equal(last[0]!.prefixes[0]!.validLifetime, 0);
    assert.equal(d2.router.routes.listRules().length, 0, 'no source rule');
    assert.equal(d2.router.routes.list().filter((r) => r.table === 100).length, 0, 'no T(D1)');
    assert.deepEqual(
      res()!.prefixes.map((p) => p.role),
      ['access-router'],
    );
    const st = d2.dgw.stats();
    assert.deepEqual(st.rollbacks, { refused: 1 });
    assert.deepEqual(st.pbaReceived, { '155 NotAuthorizedForHomeNetworkPrefix': 1 });
    const store = await openContextStore({ backend: 'memory', name: n.storeName });
    await n.run(10);
    assert.equal((await store.findPrefix({ prefix: P11, prefixLen: 64 }))?.state, 'released');
    await store.close();
  } finally {
    await n.stop();
  }
});
