/**
 * The D-GW in process (test/net.ts: three Routers on a backbone hub, access MemoryDevices, a
 * memory context store shared by name; every frame judged with @dmm/wire):
 *
 * - a node walked D1 → D2 → D3 → D1: prefix delegation and the serving DLIF's RA; the PBU
 *   with the D flag and the PBA with Anchored Prefix / Local Prefix / DLIF options, byte
 *   offsets and checksums checked; the anchor DLIF at the serving D-GW with the anchor's
 *   exact MAC and link-local, its RA deprecating the old prefix with a low preference and a
 *   Route Information option for D1's local network; uplink from old prefixes tunnelled to
 *   their anchors (through the anchor DLIF and through the source rule) and downlink back;
 *   the local network reached through D1's DLIF; the previous serving D-GW dropping its
 *   state; the anchor taking its prefix back;
 * - release after the idle timeout (de-registration, last RA, anchor's pool and store);
 * - PBA loss → retransmission;
 * - two nodes on one access link never see each other's prefixes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteKind, formatMacAddress, maskPrefix } from '@dmm/core';
import { openContextStore } from '@dmm/mobility-context';
import { parseMac } from '@dmm/testkit';
import {
  MobilityOptionType,
  PbaStatus,
  formatIpv6,
  lifetimeToSeconds,
  timestampToMs,
} from '@dmm/wire';
import type { AttachResult, DgwBindingRow } from '@dmm/plugin-dgw';
import {
  ADDR,
  CN,
  CN_MAC,
  LH,
  LH_MAC,
  LAN_MAC,
  LOCALNET,
  MN1,
  MN1_MAC,
  WAN_MAC,
  eth,
  icmpOf,
  icmpPacket,
  innerOf,
  ipOf,
  mobility,
  net,
  parseRa,
  sameBytes,
  type Net,
  type ParsedRa,
  type TestMn,
} from './net.js';

const PRF_LOW = 3;
const PRF_MEDIUM = 0;

async function attachAt(n: Net, i: number, mn: TestMn): Promise<AttachResult> {
  n.move(mn, i);
  let res: AttachResult | undefined;
  void n.gws[i]!.router.commands.run('attach', { mn: mn.nai, mac: formatMacAddress(mn.mac) }).then(
    (r) => (res = r.result as AttachResult),
  );
  await n.until(() => res !== undefined, 4000, `attach of ${mn.nai} at D${i + 1}`);
  return res!;
}

async function bindings(n: Net, i: number, mn?: string): Promise<DgwBindingRow[]> {
  const r = await n.gws[i]!.router.commands.run('show bindings', mn ? { mn } : {});
  return r.result as DgwBindingRow[];
}

/** The newest RA `mn` received from the DLIF with MAC `mac`. */
function lastRa(mn: TestMn, mac: Uint8Array): ParsedRa {
  const all = mn.ras().filter((r) => sameBytes(r.srcMac, mac));
  assert.ok(all.length > 0, `an RA from ${formatMacAddress(mac)}`);
  return all[all.length - 1]!;
}

function pioOf(ra: ParsedRa, prefix: Uint8Array): ParsedRa['prefixes'][number] {
  const p = ra.prefixes.find((x) => sameBytes(maskPrefix(x.prefix, 64), maskPrefix(prefix, 64)));
  assert.ok(p, `a PIO for ${formatIpv6(prefix)}`);
  return p;
}

/** An echo from `src` via router MAC `via` reaches CN (from the anchor of `src`); the reply comes back. */
async function roundTrip(
  n: Net,
  mn: TestMn,
  via: Uint8Array,
  src: Uint8Array,
  anchor: number,
  seq: number,
  expectReplyFrom: Uint8Array,
): Promise<void> {
  const before = n.toCn.length;
  n.send(mn, mn.echo(via, src, CN, seq));
  await n.until(
    () =>
      n.toCn.slice(before).some((f) => {
        const o = ipOf(f);
        return o !== null && sameBytes(o.ip.src, src) && icmpOf(o.packet)?.kind === 'echo-request';
      }),
    2000,
    `echo ${seq} from ${formatIpv6(src)} at CN`,
  );
  const atCn = n.toCn.slice(before).find((f) => {
    const o = ipOf(f);
    return o !== null && sameBytes(o.ip.src, src);
  })!;
  assert.deepEqual(atCn.slice(6, 12), WAN_MAC[anchor], `leaves the network at D${anchor + 1}`);
  const inboxBefore = mn.inbox.length;
  n.injectBackbone(
    anchor,
    eth(
      WAN_MAC[anchor]!,
      CN_MAC,
      icmpPacket(CN, src, 64, {
        kind: 'echo-reply',
        id: 7,
        seq,
        data: Uint8Array.of(0x61, 0x62, 0x63, 0x64),
      }),
    ),
  );
  await n.until(
    () =>
      mn.inbox.slice(inboxBefore).some((f) => {
        const o = ipOf(f.bytes);
        const m = o && icmpOf(o.packet);
        return m?.kind === 'echo-reply' && m.seq === seq;
      }),
    2000,
    `echo reply ${seq} to ${formatIpv6(src)}`,
  );
  const reply = mn.inbox.slice(inboxBefore).find((f) => {
    const o = ipOf(f.bytes);
    const m = o && icmpOf(o.packet);
    return m?.kind === 'echo-reply' && m.seq === seq;
  })!;
  assert.deepEqual(
    reply.bytes.slice(6, 12),
    expectReplyFrom,
    'the reply comes from the router the node knows for that prefix',
  );
}

test('a node walked D1 → D2 → D3 → D1: delegation, DLIFs, D-flag signalling, tunnels and routes at every step', async (t) => {
  const n = await net({ dgw: () => ({ idleTimeout: 0 }) });
  try {
    const [d1, d2, d3] = n.gws as [Net['gws'][0], Net['gws'][0], Net['gws'][0]];
    const mn = n.addNode(MN1, MN1_MAC);

    // ── 1. attachment at D1 (its Router Solicitation, draft §4.2 steps 1–4)
    n.move(mn, 0);
    n.send(mn, mn.rs());
    await n.until(
      () => d1.dlifs.byNode(MN1).length === 1 && mn.ras().length > 0,
      3000,
      'D1 serving',
    );
    const s1 = d1.dlifs.get(MN1, 'dgw1')!;
    assert.equal(s1.role, 'serving');
    const ra1 = lastRa(mn, s1.mac);
    assert.deepEqual(ra1.dstMac, MN1_MAC, 'unicast to the node');
    assert.deepEqual(ra1.ip.src, s1.linkLocal);
    assert.deepEqual(ra1.sllao, s1.mac);
    assert.equal(ra1.ra.prf, PRF_MEDIUM);
    assert.ok(ra1.ra.routerLifetime > 0);
    assert.equal(ra1.prefixes.length, 1);
    const pA = maskPrefix(ra1.prefixes[0]!.prefix, 64);
    assert.equal(formatIpv6(pA).startsWith('2001:db8:1:'), true, 'from D1 pool');
    assert.equal(ra1.prefixes[0]!.prefixLength, 64);
    assert.equal(ra1.prefixes[0]!.onLink && ra1.prefixes[0]!.autonomous, true);
    assert.equal(ra1.prefixes[0]!.validLifetime, 86400);
    assert.equal(ra1.prefixes[0]!.preferredLifetime, 14400);
    const store = await openContextStore({ backend: 'memory', name: n.storeName });
    const recA = await store.findPrefix({ prefix: pA, prefixLen: 64 });
    assert.equal(recA?.anchor.dgwId, 'dgw1');
    assert.deepEqual(recA?.dlifMac, s1.mac, 'the store has the DLIF identity');
    assert.deepEqual(recA?.dlifLinkLocal, s1.linkLocal);
    assert.equal((await store.getContext(MN1))?.servingDgw, 'dgw1');
    const aA = mn.addr(pA);
    await roundTrip(n, mn, s1.mac, aA, 0, 1, s1.mac);
    assert.deepEqual(
      (await bindings(n, 0, MN1)).map((r) => [r.prefix, r.anchor, r.role, r.dlif, r.state]),
      [[`${formatIpv6(pA)}/64`, 'dgw1', 'access-router', `${MN1}/dgw1`, 'served']],
    );

    // ── 2. move to D2 (an L2 trigger: `dmmctl attach`)
    n.backbone.length = 0;
    const res2 = await attachAt(n, 1, mn);
    assert.equal(res2.state, 'served');
    const mh2 = mobility(n.backbone);
    const pbus = mh2.filter((m) => m.pbu !== null);
    const pbas = mh2.filter((m) => m.pba !== null);
    assert.equal(pbus.length, 1, 'one PBU (D2 → D1)');
    assert.equal(pbas.length, 1, 'one PBA');
    const pbu = pbus[0]!;
    assert.deepEqual(pbu.ip.src, ADDR[1]);
    assert.deepEqual(pbu.ip.dst, ADDR[0]);
    // byte level: flags word A|P|D at MH offset 8, lifetime at 10
    assert.equal(pbu.mh[2], 5);
    assert.deepEqual([pbu.mh[8], pbu.mh[9]], [0x82, 0x10], 'A, P and D (RFC 8885 0x0010)');
    assert.equal(lifetimeToSeconds(pbu.pbu!.lifetime), 3600);
    const o = pbu.pbu!.options;
    assert.deepEqual(
      o.map((x) => x.kind),
      [
        'mn-id',
        'mn-link-layer-id',
        'handoff-indicator',
        'access-technology-type',
        'timestamp',
        'anchored-prefix',
      ],
    );
    assert.deepEqual(o[0], { kind: 'mn-id', nai: MN1 });
    assert.deepEqual(o[1], { kind: 'mn-link-layer-id', identifier: MN1_MAC });
    assert.deepEqual(o[2], { kind: 'handoff-indicator', value: 3 });
    assert.deepEqual(o[3], { kind: 'access-technology-type', value: 3 });
    const ts = o[4] as { seconds: number; fraction: number };
    assert.ok(Math.abs(timestampToMs(ts.seconds, ts.fraction) - Date.now()) < 5000);
    assert.deepEqual(o[5], { kind: 'anchored-prefix', prefixLength: 64, prefix: pA });
    // the Anchored Prefix option's Type byte on its 8n+4 boundary (draft §4.3.3)
    const apOff = findOptionOffset(pbu.mh, MobilityOptionType.AnchoredPrefix);
    assert.equal(apOff % 8, 4);
    assert.equal(pbu.mh[apOff + 1], 18, 'Length 18');
    const pba = pbas[0]!;
    assert.deepEqual(pba.ip.src, ADDR[0]);
    assert.deepEqual(pba.ip.dst, ADDR[1]);
    assert.equal(pba.mh[2], 6);
    assert.equal(pba.mh[6], PbaStatus.Accepted);
    assert.equal(pba.mh[7], 0x22, 'P and D (RFC 8885 0x02)');
    assert.equal(pba.pba!.sequence, pbu.pbu!.sequence);
    assert.equal(lifetimeToSeconds(pba.pba!.lifetime), 3600);
    const po = pba.pba!.options;
    assert.deepEqual(
      po.find((x) => x.kind === 'anchored-prefix'),
      { kind: 'anchored-prefix', prefixLength: 64, prefix: pA },
    );
    assert.deepEqual(
      po.find((x) => x.kind === 'local-prefix'),
      { kind: 'local-prefix', prefixLength: 48, prefix: LOCALNET },
    );
    assert.deepEqual(
      po.find((x) => x.kind === 'dlif-link-local-address'),
      { kind: 'dlif-link-local-address', address: s1.linkLocal },
    );
    assert.deepEqual(
      po.find((x) => x.kind === 'dlif-link-layer-address'),
      { kind: 'dlif-link-layer-address', address: s1.mac },
    );
    assert.deepEqual(
      po.find((x) => x.kind === 'timestamp'),
      ts,
      'the timestamp echoed',
    );
    for (const [type, align] of [
      [MobilityOptionType.AnchoredPrefix, 4],
      [MobilityOptionType.LocalPrefix, 4],
      [MobilityOptionType.DlifLinkLocalAddress, 6],
    ] as const) {
      assert.equal(findOptionOffset(pba.mh, type) % 8, align, `option ${type} alignment`);
    }
    // D2: its own prefix, and D1's DLIF with D1's exact MAC and link-local
    const s2 = d2.dlifs.get(MN1, 'dgw2')!;
    const a21 = d2.dlifs.get(MN1, 'dgw1')!;
    assert.equal(a21.role, 'anchor');
    assert.deepEqual(a21.mac, s1.mac, 'D1 DLIF MAC at D2');
    assert.deepEqual(a21.linkLocal, s1.linkLocal, 'D1 DLIF link-local at D2');
    // Tin(D1) = tableBase + 2 peers + D1's place among them: D1's local network only
    assert.equal(a21.iface.inputTable, 102, 'Tin(D1) on the anchor DLIF');
    assert.deepEqual(
      d2.router.routes
        .list()
        .filter((r) => r.table === 102)
        .map((r) => [formatIpv6(r.prefix), r.prefixLen, r.kind]),
      [['2001:db8:99::', 48, RouteKind.Tunnel]],
    );
    assert.equal(d1.dlifs.byNode(MN1).length, 0, 'D1 dropped its serving state');
    const ra2 = lastRa(mn, s2.mac);
    const pB = maskPrefix(ra2.prefixes[0]!.prefix, 64);
    assert.equal(formatIpv6(pB).startsWith('2001:db8:2:'), true);
    assert.ok(pioOf(ra2, pB).preferredLifetime > 0);
    const raA = lastRa(mn, s1.mac);
    assert.deepEqual(raA.ip.src, s1.linkLocal, 'the old router, as the node knew it');
    assert.equal(pioOf(raA, pA).preferredLifetime, 0, 'pA deprecated (draft §4.1)');
    assert.ok(pioOf(raA, pA).validLifetime > 3500 && pioOf(raA, pA).validLifetime <= 3600);
    assert.equal(raA.ra.prf, PRF_LOW, 'low Default Router Preference (draft §4.2 step 8)');
    assert.ok(raA.ra.routerLifetime > 0);
    assert.deepEqual(
      raA.routes.map((r) => [formatIpv6(r.prefix), r.prefixLength]),
      [['2001:db8:99::', 48]],
      'RIO for D1 local network',
    );
    // D1: a BCE for pA at D2, route into the tunnel
    const b1 = await bindings(n, 0, MN1);
    assert.deepEqual(
      b1.map((r) => [r.prefix, r.role, r.servingDgw, r.state]),
      [[`${formatIpv6(pA)}/64`, 'lma', 'dgw2', 'active']],
    );
    const b2 = await bindings(n, 1, MN1);
    assert.deepEqual(
      b2.map((r) => [r.prefix, r.anchor, r.role, r.dlif, r.state]),
      [
        [`${formatIpv6(pA)}/64`, 'dgw1', 'mag', `${MN1}/dgw1`, 'active'],
        [`${formatIpv6(pB)}/64`, 'dgw2', 'access-router', `${MN1}/dgw2`, 'served'],
      ].sort((x, y) => x[0]!.localeCompare(y[0]!)),
    );
    // uplink from pA to its old router's MAC: tunnelled to D1, leaves there; reply back
    n.backbone.length = 0;
    await roundTrip(n, mn, s1.mac, aA, 0, 2, s1.mac);
    const tun = n.backbone.map((f) => innerOf(f.bytes)).filter((x) => x !== null);
    assert.ok(
      tun.some(
        (x) =>
          sameBytes(x!.outer.src, ADDR[1]!) &&
          sameBytes(x!.outer.dst, ADDR[0]!) &&
          sameBytes(x!.inner.src, aA),
      ),
      'uplink D2 → D1 in IPv6-in-IPv6',
    );
    assert.ok(
      tun.some(
        (x) =>
          sameBytes(x!.outer.src, ADDR[0]!) &&
          sameBytes(x!.outer.dst, ADDR[1]!) &&
          sameBytes(x!.inner.dst, aA),
      ),
      'downlink D1 → D2 in IPv6-in-IPv6',
    );
    // from pA through the serving DLIF (the source rule): tunnelled as well
    await roundTrip(n, mn, s2.mac, aA, 0, 3, s1.mac);
    // pB stays local to D2
    const aB = mn.addr(pB);
    await roundTrip(n, mn, s2.mac, aB, 1, 4, s2.mac);
    // the local network behind D1 through D1's DLIF (RIO), whatever the source
    const lanBefore = n.toLan.length;
    n.send(mn, mn.echo(s1.mac, aB, LH, 5));
    await n.until(() => n.toLan.length > lanBefore, 2000, 'LH reached via D1');
    const atLh = ipOf(n.toLan[n.toLan.length - 1]!)!;
    assert.deepEqual(atLh.ip.src, aB);
    assert.deepEqual(n.toLan[n.toLan.length - 1]!.slice(0, 6), LH_MAC);
    // LH answers: D1 routes pB back through the operator's network to D2
    const before = mn.inbox.length;
    n.injectLan(
      eth(
        LAN_MAC,
        LH_MAC,
        icmpPacket(LH, aB, 64, {
          kind: 'echo-reply',
          id: 7,
          seq: 5,
          data: Uint8Array.of(0x61, 0x62, 0x63, 0x64),
        }),
      ),
    );
    await n.until(
      () =>
        mn.inbox.slice(before).some((f) => icmpOf(ipOf(f.bytes)!.packet)?.kind === 'echo-reply'),
      2000,
      'LH reply',
    );

    // ── 3. move to D3: D1 and D2 both anchor towards D3; D2 drops its serving state
    n.backbone.length = 0;
    await attachAt(n, 2, mn);
    const mh3 = mobility(n.backbone);
    assert.deepEqual(
      mh3
        .filter((m) => m.pbu)
        .map((m) => [formatIpv6(m.ip.src), formatIpv6(m.ip.dst)])
        .sort(),
      [
        ['fd00:300::2', 'fd00:100::2'],
        ['fd00:300::2', 'fd00:200::2'],
      ],
    );
    assert.ok(mh3.filter((m) => m.pba).every((m) => m.pba!.status === 0 && m.mh[7] === 0x22));
    assert.equal(d2.dlifs.byNode(MN1).length, 0, 'D2 no longer serves the node');
    assert.equal(d2.dgw.bul.size, 0, 'nor signals D1 for it');
    assert.equal(d2.router.routes.listRules().length, 0, 'nor routes pA by source');
    const s3 = d3.dlifs.get(MN1, 'dgw3')!;
    assert.deepEqual(d3.dlifs.get(MN1, 'dgw1')!.mac, s1.mac);
    assert.deepEqual(d3.dlifs.get(MN1, 'dgw1')!.linkLocal, s1.linkLocal);
    assert.deepEqual(d3.dlifs.get(MN1, 'dgw2')!.mac, s2.mac);
    assert.deepEqual(d3.dlifs.get(MN1, 'dgw2')!.linkLocal, s2.linkLocal);
    assert.equal(
      d3.dlifs.get(MN1, 'dgw2')!.iface.inputTable,
      -1,
      'D2 has no local network: no input table at D3, the source rules decide',
    );
    assert.deepEqual(
      (await bindings(n, 0, MN1)).map((r) => r.servingDgw),
      ['dgw3'],
    );
    assert.deepEqual(
      (await bindings(n, 1, MN1)).map((r) => [r.role, r.servingDgw]),
      [['lma', 'dgw3']],
    );
    await roundTrip(n, mn, s1.mac, aA, 0, 6, s1.mac);
    await roundTrip(n, mn, s2.mac, aB, 1, 7, s2.mac);
    const pC = maskPrefix(lastRa(mn, s3.mac).prefixes[0]!.prefix, 64);
    await roundTrip(n, mn, s3.mac, mn.addr(pC), 2, 8, s3.mac);
    // D1's local network is still reached through D1's DLIF, now from D3
    const lan3 = n.toLan.length;
    n.send(mn, mn.echo(s1.mac, mn.addr(pC), LH, 9));
    await n.until(() => n.toLan.length > lan3, 2000, 'LH from D3');
    // …but D3's own prefix sent to D1's DLIF for anywhere else leaves at D3: only D1's local
    // networks are in Tin(D1), the rest falls through to the source rules (docs/dgw.md)
    await roundTrip(n, mn, s1.mac, mn.addr(pC), 2, 13, s3.mac);

    // ── 4. back to D1: pA local again; pB and pC re-pointed to D1
    n.backbone.length = 0;
    await attachAt(n, 0, mn);
    const s1b = d1.dlifs.get(MN1, 'dgw1')!;
    assert.equal(s1b.role, 'serving');
    assert.deepEqual(s1b.mac, s1.mac, 'the same router as at first');
    assert.deepEqual(s1b.linkLocal, s1.linkLocal);
    assert.equal(pioOf(lastRa(mn, s1.mac), pA).preferredLifetime, 14400, 'pA preferred again');
    assert.equal(d1.dgw.cache.size, 0, 'no BCE for pA any more');
    assert.equal(d3.dlifs.byNode(MN1).length, 0, 'D3 dropped its serving state');
    assert.deepEqual(
      (await bindings(n, 1, MN1)).map((r) => r.servingDgw),
      ['dgw1'],
    );
    assert.deepEqual(
      (await bindings(n, 2, MN1)).map((r) => [r.role, r.servingDgw]),
      [['lma', 'dgw1']],
    );
    assert.deepEqual(
      mobility(n.backbone)
        .filter((m) => m.pbu)
        .map((m) => formatIpv6(m.ip.dst))
        .sort(),
      ['fd00:200::2', 'fd00:300::2'],
    );
    await roundTrip(n, mn, s1.mac, aA, 0, 10, s1.mac);
    await roundTrip(n, mn, s2.mac, aB, 1, 11, s2.mac);
    await roundTrip(n, mn, s3.mac, mn.addr(pC), 2, 12, s3.mac);
    // pA sent to D3's DLIF (a kernel still using the router it used last) leaves at D1,
    // its anchor, not through D3
    await roundTrip(n, mn, s3.mac, aA, 0, 14, s1.mac);
    const st = d1.dgw.stats();
    assert.equal(st.returns, 1);
    assert.equal(st.anchor.accepted.registered, 1);
    const st3 = d3.dgw.stats();
    assert.equal(st3.handovers, 1);
    assert.deepEqual(st3.servingDropped, { moved: 1, detach: 0, interface: 0, stop: 0 });
    assert.equal(st3.timings.triggerToPba.count, 2);
    assert.ok(st3.timings.triggerToFirstPacket.count >= 1, 'first packet timed');
    const shown = await d3.router.commands.run('show dgw');
    assert.ok(
      shown.table!.rows.some(
        (r) => r[0] === 'timing: L2 trigger → PBA' && r[1]!.startsWith('n=2 '),
      ),
    );
    const bt = await d1.router.commands.run('show bindings');
    assert.equal(bt.table!.columns[4], 'ROLE');
    assert.equal(bt.table!.rows.length, 3);
    t.diagnostic(`in process, D3's handover (ms): ${JSON.stringify(st3.timings)}`);
    await store.close();
  } finally {
    await n.stop();
  }
});

/** MH offset of the first option of `type` (walking Pad1/PadN and TLVs from offset 12). */
function findOptionOffset(mh: Uint8Array, type: number): number {
  let off = 12;
  while (off < mh.length) {
    const t = mh[off]!;
    if (t === type) return off;
    off += t === 0 ? 1 : 2 + mh[off + 1]!;
  }
  return -1;
}

test('release after the idle timeout: de-registration, last RA, the anchor frees the prefix', async () => {
  const n = await net({
    count: 2,
    dgw: () => ({ idleTimeout: 0.6, pmip: { MinDelayBeforeBCEDelete: 200 } }),
  });
  try {
    const [d1, d2] = n.gws as [Net['gws'][0], Net['gws'][0]];
    const mn = n.addNode(MN1, MN1_MAC);
    await attachAt(n, 0, mn);
    const s1 = d1.dlifs.get(MN1, 'dgw1')!;
    const pA = maskPrefix(lastRa(mn, s1.mac).prefixes[0]!.prefix, 64);
    await attachAt(n, 1, mn);
    const pool1 = d1.dgw.pool.allocated;
    assert.equal(pool1, 1);
    // traffic keeps the prefix; then silence
    const t0 = performance.now();
    let seq = 20;
    while (performance.now() - t0 < 900) {
      await roundTrip(n, mn, s1.mac, mn.addr(pA), 0, seq++, s1.mac);
      await n.run(100);
    }
    assert.ok(d2.dlifs.get(MN1, 'dgw1'), 'still there while used');
    n.backbone.length = 0;
    const inbox = mn.inbox.length;
    await n.until(() => d2.dlifs.get(MN1, 'dgw1') === undefined, 3000, 'idle release at D2');
    const dereg = mobility(n.backbone).find((m) => m.pbu !== null);
    assert.equal(dereg?.pbu?.lifetime, 0, 'a de-registration PBU');
    assert.deepEqual(dereg?.ip.dst, ADDR[0]);
    assert.equal(dereg!.mh[9]! & 0x10, 0x10, 'with the D flag');
    const lastRas = mn.inbox
      .slice(inbox)
      .map((f) => parseRa(f.bytes))
      .filter((r): r is ParsedRa => r !== null && sameBytes(r.srcMac, s1.mac));
    assert.equal(lastRas.length, 1, 'one last RA from the anchor DLIF');
    const lr = lastRas[0]!;
    assert.equal(lr.ra.routerLifetime, 0);
    assert.equal(pioOf(lr, pA).validLifetime, 0);
    assert.equal(pioOf(lr, pA).preferredLifetime, 0);
    assert.ok(
      lr.routes.every((r) => r.routeLifetime === 0),
      'routes withdrawn',
    );
    await n.until(
      () => d1.dgw.pool.allocated === 0,
      2000,
      'D1 frees pA after MinDelayBeforeBCEDelete',
    );
    assert.equal(d1.dgw.cache.size, 0);
    const store = await openContextStore({ backend: 'memory', name: n.storeName });
    await n.until(() => true);
    await new Promise((r) => setTimeout(r, 20));
    const rec = await store.findPrefix({ prefix: pA, prefixLen: 64 });
    assert.equal(rec?.state, 'released');
    assert.equal(d2.dgw.stats().linkReleases.idle, 1);
    assert.equal(d1.dgw.stats().ownReleases.dereg, 1);
    assert.equal(d2.router.routes.listRules().length, 0, 'no rule left');
    assert.equal(
      d2.router.routes.list().filter((r) => r.table === 100).length,
      0,
      'T(D1) empty: its tunnel reference went with it',
    );
    await store.close();
  } finally {
    await n.stop();
  }
});

test('a lost PBA: the serving D-GW retransmits with a fresh timestamp and the binding holds', async () => {
  const n = await net({
    count: 2,
    dgw: () => ({ idleTimeout: 0, retransmission: { InitialBindackTimeoutFirstReg: 150 } }),
  });
  try {
    const [, d2] = n.gws as [Net['gws'][0], Net['gws'][0]];
    const mn = n.addNode(MN1, MN1_MAC);
    await attachAt(n, 0, mn);
    let dropped = 0;
    n.filter = (f) => {
      const m = mobility([f])[0];
      if (m?.pba && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    };
    n.backbone.length = 0;
    await attachAt(n, 1, mn);
    assert.equal(dropped, 1);
    const pbus = mobility(n.backbone).filter((m) => m.pbu && m.frame.from === 1);
    assert.equal(pbus.length, 2, 'the PBU went twice');
    assert.notEqual(pbus[0]!.pbu!.sequence, pbus[1]!.pbu!.sequence, 'fresh sequence number');
    const ts = pbus.map(
      (m) =>
        m.pbu!.options.find((x) => x.kind === 'timestamp') as { seconds: number; fraction: number },
    );
    assert.ok(
      timestampToMs(ts[1]!.seconds, ts[1]!.fraction) >
        timestampToMs(ts[0]!.seconds, ts[0]!.fraction),
    );
    assert.ok(pbus[1]!.frame.at - pbus[0]!.frame.at >= 140, 'after InitialBindackTimeoutFirstReg');
    assert.equal(d2.dgw.transactions.counters.retransmissions, 1);
    assert.deepEqual((await bindings(n, 1, MN1)).find((r) => r.role === 'mag')?.state, 'active');
    const st1 = n.gws[0]!.dgw.stats();
    assert.equal(st1.anchor.accepted.registered, 1);
    assert.equal(st1.anchor.accepted.refreshed, 1, 'the retransmission refreshed the binding');
  } finally {
    await n.stop();
  }
});

test('two nodes on one access link never see each other prefixes', async () => {
  const n = await net({ count: 2, dgw: () => ({ idleTimeout: 0 }) });
  try {
    const a = n.addNode('mna@example.org', parseMac('02:00:00:00:0a:01'));
    const b = n.addNode('mnb@example.org', parseMac('02:00:00:00:0b:01'));
    n.move(a, 0);
    n.move(b, 0);
    n.send(a, a.rs());
    n.send(b, b.rs());
    await n.until(
      () => n.gws[0]!.dlifs.list().length === 2 && a.ras().length > 0 && b.ras().length > 0,
      3000,
      'both served',
    );
    await attachAt(n, 1, a);
    await attachAt(n, 1, b);
    await attachAt(n, 0, a);
    await n.run(50);
    const prefixesOf = (mn: TestMn): Set<string> =>
      new Set(mn.ras().flatMap((r) => r.prefixes.map((p) => formatIpv6(maskPrefix(p.prefix, 64)))));
    const pa = prefixesOf(a);
    const pb = prefixesOf(b);
    assert.equal(pa.size, 2, 'a has its D1 and D2 prefixes');
    assert.equal(pb.size, 2);
    for (const p of pa) assert.ok(!pb.has(p), `${p} is a's alone`);
    // every RA on every access link is unicast to one node and names that node's prefixes
    let ras = 0;
    for (const f of n.access) {
      const r = parseRa(f.bytes);
      if (r === null) continue;
      ras++;
      assert.equal(r.dstMac[0]! & 1, 0, 'unicast');
      const owner = sameBytes(r.dstMac, a.mac) ? pa : sameBytes(r.dstMac, b.mac) ? pb : null;
      assert.ok(owner, 'to one of the nodes');
      for (const p of r.prefixes) assert.ok(owner.has(formatIpv6(maskPrefix(p.prefix, 64))));
    }
    assert.ok(ras >= 6);
    // and their DLIFs are told apart by MAC (DLIF identity per node, dlif README)
    const macs = n.gws[0]!.dlifs.list().map((d) => formatMacAddress(d.mac));
    assert.equal(new Set(macs).size, macs.length);
  } finally {
    await n.stop();
  }
});

test('first contact with an anchor: the PBU is not pushed out of the ND queue by the uplink it prepares', async () => {
  const n = await net({ count: 2, dynamicNd: true, dgw: () => ({ idleTimeout: 0 }) });
  try {
    const [d1, d2] = n.gws as [Net['gws'][0], Net['gws'][0]];
    // the backbone addresses leave DAD (RetransTimer, 1 s): until then nobody answers an NS
    await n.run(1100);
    const mn = n.addNode(MN1, MN1_MAC);
    await attachAt(n, 0, mn);
    const s1 = d1.dlifs.get(MN1, 'dgw1')!;
    const pA = maskPrefix(lastRa(mn, s1.mac).prefixes[0]!.prefix, 64);
    // D2 primed D1 at start (docs/dgw.md "Handover latency"): take the entry away, as
    // when it was garbage-collected or D1 came up after the last priming
    const nb = d2.router.neighbors;
    const primed = nb.list().filter((e) => sameBytes(e.address, ADDR[0]!));
    assert.equal(primed.length, 1, 'D1 resolved ahead of any handover');
    for (const e of primed) nb.remove(e.id);
    n.move(mn, 1);
    n.backbone.length = 0;
    let res: AttachResult | undefined;
    void d2.router.commands
      .run('attach', { mn: MN1, mac: formatMacAddress(MN1_MAC) })
      .then((r) => (res = r.result as AttachResult));
    // the prepared DLIF exists and the PBU waits for D1's link-layer address: the node's
    // uplink to its old router pours in before anything crosses the backbone
    for (let k = 0; k < 100 && d2.dlifs.get(MN1, 'dgw1') === undefined; k++) {
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(d2.dlifs.get(MN1, 'dgw1'), 'prepared');
    for (let seq = 100; seq < 110; seq++) n.send(mn, mn.echo(s1.mac, mn.addr(pA), CN, seq));
    await n.until(() => res !== undefined, 3000, 'attach at D2');
    const pbus = mobility(n.backbone).filter((m) => m.pbu !== null);
    assert.equal(pbus.length, 1, 'one PBU, no retransmission');
    assert.equal(d2.dgw.transactions.counters.retransmissions, 0);
    assert.equal(d2.dgw.stats().heldForNd, 1, 'the uplink waited for ND');
    assert.equal(res!.prefixes.find((p) => p.role === 'mag')?.state, 'active');
    // and then it flows
    await roundTrip(n, mn, s1.mac, mn.addr(pA), 0, 120, s1.mac);
  } finally {
    await n.stop();
  }
});

test('detach: the node leaves D2; its anchors hear a de-registration, nothing is left at D2', async () => {
  const n = await net({
    count: 2,
    dgw: () => ({ idleTimeout: 0, pmip: { MinDelayBeforeBCEDelete: 100 } }),
  });
  try {
    const [d1, d2] = n.gws as [Net['gws'][0], Net['gws'][0]];
    const mn = n.addNode(MN1, MN1_MAC);
    await attachAt(n, 0, mn);
    await attachAt(n, 1, mn);
    n.backbone.length = 0;
    const before = mn.inbox.length;
    const r = (await d2.router.commands.run('detach', { mn: MN1 })).result as AttachResult;
    assert.equal(r.state, 'idle');
    await n.until(
      () => d1.dgw.pool.allocated === 0,
      2000,
      'D1 frees its prefix after the de-registration',
    );
    const dereg = mobility(n.backbone).filter((m) => m.pbu !== null);
    assert.equal(dereg.length, 1);
    assert.equal(dereg[0]!.pbu!.lifetime, 0);
    assert.equal(d2.dlifs.list().length, 0);
    assert.equal(d2.dgw.bul.size, 0);
    assert.equal(d2.router.routes.listRules().length, 0);
    assert.equal(mn.inbox.length, before, 'no RA to a node that left');
    const store = await openContextStore({ backend: 'memory', name: n.storeName });
    assert.equal((await store.getContext(MN1))?.servingDgw, null);
    await store.close();
    assert.deepEqual(d2.dgw.stats().servingDropped, { moved: 0, detach: 1, interface: 0, stop: 0 });
  } finally {
    await n.stop();
  }
});

test('detection by first frame: a profile node pinging the access link, and an unknown MAC under default allow', async () => {
  const n = await net({ count: 1, dgw: () => ({ idleTimeout: 0 }) });
  try {
    const d1 = n.gws[0]!;
    const mn = n.addNode(MN1, MN1_MAC);
    n.move(mn, 0);
    // an Echo Request to the access interface's own link-local: not a Router Solicitation
    const accLl = d1.router.requireInterface('acc0').linkLocal!;
    n.send(mn, mn.echo(d1.acc.mac!, mn.ll, accLl, 1));
    await n.until(() => d1.dlifs.byNode(MN1).length === 1, 2000, 'attach by frame');
    const stranger = n.addNode('020000000c0d@example.org', parseMac('02:00:00:00:0c:0d'));
    n.move(stranger, 0);
    n.send(stranger, stranger.echo(d1.acc.mac!, stranger.ll, accLl, 1));
    await n.until(
      () => d1.dlifs.byNode('020000000c0d@example.org').length === 1,
      2000,
      'learnt node',
    );
    assert.ok(stranger.ras().length > 0, 'it got its own prefix');
    const st = d1.dgw.stats();
    assert.deepEqual(st.attachments, { rs: 0, frame: 2, l2: 0 });
    assert.equal(d1.router.counters()['dgw-attach-input.detected'], 1);
    assert.equal(d1.router.counters()['dgw-attach-input.unknown-mac'], 1);
  } finally {
    await n.stop();
  }
});

test('detection by a frame for the router the node left: a silent move D1 → D2 is attached on the first uplink frame', async () => {
  const n = await net({ count: 2, dgw: () => ({ idleTimeout: 0 }) });
  try {
    const [d1, d2] = n.gws as [Net['gws'][0], Net['gws'][0]];
    const mn = n.addNode(MN1, MN1_MAC);
    await attachAt(n, 0, mn);
    const s1 = d1.dlifs.get(MN1, 'dgw1')!;
    const pA = maskPrefix(lastRa(mn, s1.mac).prefixes[0]!.prefix, 64);
    // the node changes link and says nothing: no L2 trigger, no Router Solicitation; its
    // next packet still goes to D1's DLIF MAC, which D2 does not have yet
    n.move(mn, 1);
    n.send(mn, mn.echo(s1.mac, mn.addr(pA), CN, 1));
    await n.until(() => d2.dlifs.get(MN1, 'dgw1') !== undefined, 2000, 'attach at D2');
    const st = d2.dgw.stats();
    assert.equal(st.detectedByForeignFrame, 1);
    assert.deepEqual(st.attachments, { rs: 0, frame: 1, l2: 0 });
    assert.equal(d2.router.counters()['ethernet-input.not-for-us'], 1, 'that first frame');
    // D2 now answers as D1's DLIF: the old prefix goes through the tunnel and back
    await roundTrip(n, mn, s1.mac, mn.addr(pA), 0, 2, s1.mac);
    assert.ok(
      (await bindings(n, 1, MN1)).some((b) => b.anchor === 'dgw1' && b.state === 'active'),
      'D1 bound the prefix to D2',
    );
    // a frame between two other MACs on the link is no attachment of anybody
    const stranger = n.addNode('020000000c0e@example.org', parseMac('02:00:00:00:0c:0e'));
    n.move(stranger, 1);
    n.send(stranger, stranger.echo(parseMac('02:00:00:00:0c:0f'), stranger.ll, CN, 1));
    await n.run(50);
    assert.equal(d2.dlifs.byNode('020000000c0e@example.org').length, 0);
    assert.equal(d2.dgw.stats().detectedByForeignFrame, 1);
  } finally {
    await n.stop();
  }
});

test('anchorMode low-preference: the old prefix stays preferred, its router is low preference', async () => {
  const n = await net({
    count: 2,
    dlif: { anchorMode: 'low-preference' },
    dgw: () => ({ idleTimeout: 0, anchorMode: 'low-preference' }),
  });
  try {
    const d1 = n.gws[0]!;
    const mn = n.addNode(MN1, MN1_MAC);
    await attachAt(n, 0, mn);
    const s1 = d1.dlifs.get(MN1, 'dgw1')!;
    const pA = maskPrefix(lastRa(mn, s1.mac).prefixes[0]!.prefix, 64);
    await attachAt(n, 1, mn);
    const ra = lastRa(mn, s1.mac);
    assert.equal(ra.ra.prf, PRF_LOW);
    const pio = pioOf(ra, pA);
    assert.ok(pio.preferredLifetime > 3500 && pio.preferredLifetime === pio.validLifetime);
  } finally {
    await n.stop();
  }
  // and refused when the dlif plugin would deprecate anyway
  await assert.rejects(
    net({ count: 1, dgw: () => ({ anchorMode: 'low-preference' }) }),
    /anchorMode low-preference needs the dlif plugin/,
  );
});
