/**
 * Inter-operator mobility in process (test/net.ts: D-GWs X1, X2 of operator op-x and Y1 of
 * op-y, the central LMA, a backbone hub, a shared memory context store; every frame judged
 * with @dmm/wire, checksums verified):
 *
 * - the walk X1 → Y1 → X2: at Y1 the X1 prefix goes through the LMA — Y1's PBU to the LMA
 *   with the D flag, Anchored Prefix (65) and Previous MAAR (67) naming X1, the LMA's PBU to
 *   X1 as the node's serving D-GW, X1's PBA with Local Prefix (66) and DLIF (69, 70)
 *   options, the LMA's PBA to Y1 relaying them; Y1's DLIF for X1 is X1's; uplink and
 *   downlink cross both tunnels and leave through X1, no packet ever goes between X1 and
 *   Y1 directly; `show bindings` on the LMA shows both legs. At X2 the X1 prefix is direct
 *   again (X2 → X1, no Previous MAAR) and the Y1 prefix goes through the LMA; the LMA drops
 *   the stale X1 binding.
 * - refresh, de-registration and expiry propagate across both legs;
 * - an operator pair outside the LMA's policy: 129, counted, the serving D-GW rolls back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMacAddress, maskPrefix } from '@dmm/core';
import {
  MobilityOptionType,
  PbaStatus,
  formatIpv6,
  lifetimeToSeconds,
  type MobilityOption,
} from '@dmm/wire';
import type { AttachResult, DgwBindingRow } from '@dmm/plugin-dgw';
import type { InterOperatorBindingRow } from '@dmm/plugin-inter-operator-lma';
import {
  CN,
  CN_MAC,
  GWS,
  LMA_MAC,
  MN1,
  MN1_MAC,
  echo,
  eth,
  icmpOf,
  icmpPacket,
  innerOf,
  ipOf,
  mobility,
  net,
  optionOffset,
  same,
  type Net,
  type TestMn,
} from './net.js';

async function attachAt(n: Net, i: number, mn: TestMn): Promise<AttachResult> {
  n.move(mn, i);
  let res: AttachResult | undefined;
  void n.gws[i]!.router.commands.run('attach', { mn: mn.nai, mac: formatMacAddress(mn.mac) }).then(
    (r) => (res = r.result as AttachResult),
  );
  await n.until(() => res !== undefined, 5000, `attach of ${mn.nai} at ${GWS[i]!.name}`);
  return res!;
}

async function dgwBindings(n: Net, i: number): Promise<DgwBindingRow[]> {
  return (await n.gws[i]!.router.commands.run('show bindings', { mn: MN1 }))
    .result as DgwBindingRow[];
}

async function lmaBindings(n: Net): Promise<InterOperatorBindingRow[]> {
  return (await n.lmaRouter.commands.run('show bindings', {})).result as InterOperatorBindingRow[];
}

/** The node's newest prefix at D-GW `i` (its serving DLIF's RA). */
function servedPrefix(n: Net, mn: TestMn, i: number): Uint8Array {
  const s = n.gws[i]!.dlifs.get(MN1, GWS[i]!.name)!;
  const ras = mn.ras().filter((r) => same(r.srcMac, s.mac));
  assert.ok(ras.length > 0, `an RA from ${GWS[i]!.name}`);
  return maskPrefix(ras[ras.length - 1]!.prefixes[0]!.prefix, 64);
}

/**
 * An echo from `src` via router MAC `via` leaves the backbone towards CN from D-GW `exit`;
 * CN's reply, injected at `exit`, reaches the node from `replyMac`.
 */
async function roundTrip(
  n: Net,
  mn: TestMn,
  via: Uint8Array,
  src: Uint8Array,
  exit: number,
  seq: number,
  replyMac: Uint8Array,
): Promise<void> {
  const before = n.toCn.length;
  n.send(mn, mn.echo(via, src, CN, seq));
  await n.until(
    () =>
      n.toCn.slice(before).some((f) => {
        const o = ipOf(f);
        return o !== null && same(o.ip.src, src) && icmpOf(o.packet)?.kind === 'echo-request';
      }),
    2000,
    `echo ${seq} from ${formatIpv6(src)} at CN`,
  );
  const atCn = n.toCn.slice(before).find((f) => {
    const o = ipOf(f);
    return o !== null && same(o.ip.src, src);
  })!;
  assert.deepEqual(atCn.slice(6, 12), n.gws[exit]!.mac, `leaves through ${GWS[exit]!.name}`);
  const inboxBefore = mn.inbox.length;
  n.injectBackbone(
    exit,
    eth(n.gws[exit]!.mac, CN_MAC, icmpPacket(CN, src, 64, echo('echo-reply', seq))),
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
  assert.deepEqual(reply.bytes.slice(6, 12), replyMac, 'from the router the node knows');
}

/** Tunnelled frames on the backbone as (outer src, outer dst, inner src, inner dst) text. */
function tunnelled(n: Net): string[] {
  return n.backbone
    .map((f) => innerOf(f.bytes))
    .filter((x) => x !== null)
    .map(
      (x) =>
        `${formatIpv6(x!.outer.src)}>${formatIpv6(x!.outer.dst)} ${formatIpv6(x!.inner.src)}>${formatIpv6(x!.inner.dst)}`,
    );
}

function kinds(o: readonly MobilityOption[]): string[] {
  return o.map((x) => x.kind);
}

test('a node walked X1 → Y1 → X2: the foreign prefix through the central LMA, both legs byte-checked, forwarding both ways', async () => {
  const n = await net();
  try {
    const [x1, x2, y1] = n.gws as [Net['gws'][0], Net['gws'][0], Net['gws'][0]];
    const mn = n.addNode(MN1, MN1_MAC);

    // ── 1. at X1: a prefix of X1's pool
    await attachAt(n, 0, mn);
    const d1 = x1.dlifs.get(MN1, 'dgw1')!;
    const pX1 = servedPrefix(n, mn, 0);
    assert.ok(formatIpv6(pX1).startsWith('2001:db8:1:'));
    const aX1 = mn.addr(pX1);
    await roundTrip(n, mn, d1.mac, aX1, 0, 1, d1.mac);

    // ── 2. to Y1 (operator op-y): the X1 prefix through the LMA
    n.backbone.length = 0;
    const r2 = await attachAt(n, 2, mn);
    assert.equal(r2.state, 'served');
    assert.ok(r2.prefixes.every((p) => p.state === 'served' || p.state === 'active'));
    const mh = mobility(n.backbone);
    const legs = mh.map(
      (m) => `${m.pbu ? 'PBU' : 'PBA'} ${formatIpv6(m.ip.src)}>${formatIpv6(m.ip.dst)}`,
    );
    assert.deepEqual(legs, [
      'PBU fd00:100::11>fd00:100::100',
      'PBU fd00:100::100>fd00:100::1',
      'PBA fd00:100::1>fd00:100::100',
      'PBA fd00:100::100>fd00:100::11',
    ]);
    const [pbuS, pbuA, pbaA, pbaS] = mh as [
      (typeof mh)[0],
      (typeof mh)[0],
      (typeof mh)[0],
      (typeof mh)[0],
    ];
    // first leg: Y1 → LMA, A|P|D with Anchored Prefix and Previous MAAR naming X1
    assert.deepEqual([pbuS.mh[8], pbuS.mh[9]], [0x82, 0x10], 'A, P and D (RFC 8885 0x0010)');
    assert.deepEqual(kinds(pbuS.pbu!.options), [
      'mn-id',
      'mn-link-layer-id',
      'handoff-indicator',
      'access-technology-type',
      'timestamp',
      'anchored-prefix',
      'previous-maar',
    ]);
    assert.deepEqual(pbuS.pbu!.options[5], {
      kind: 'anchored-prefix',
      prefixLength: 64,
      prefix: pX1,
    });
    assert.deepEqual(pbuS.pbu!.options[6], {
      kind: 'previous-maar',
      prefixLength: 64,
      address: x1.addr,
      prefix: pX1,
    });
    const pm = optionOffset(pbuS.mh, MobilityOptionType.PreviousMaar);
    assert.equal(pm % 8, 4, 'Previous MAAR on 8n+4');
    assert.equal(pbuS.mh[pm + 1], 34, 'Length 34 (RFC 8885 §4.5)');
    assert.equal(pbuS.mh[pm + 3], 64, 'Prefix Length');
    assert.deepEqual(pbuS.mh.slice(pm + 4, pm + 20), x1.addr, 'P-MAAR address at +4');
    assert.deepEqual(pbuS.mh.slice(pm + 20, pm + 36), pX1, 'the prefix at +20');
    // second leg: LMA → X1, the LMA as the node's serving D-GW (no Previous MAAR)
    assert.deepEqual([pbuA.mh[8], pbuA.mh[9]], [0x82, 0x10]);
    assert.deepEqual(kinds(pbuA.pbu!.options), [
      'mn-id',
      'mn-link-layer-id',
      'handoff-indicator',
      'access-technology-type',
      'timestamp',
      'anchored-prefix',
    ]);
    assert.deepEqual(pbuA.pbu!.options[0], { kind: 'mn-id', nai: MN1 });
    assert.deepEqual(pbuA.pbu!.options[1], { kind: 'mn-link-layer-id', identifier: MN1_MAC });
    assert.deepEqual(pbuA.pbu!.options[2], { kind: 'handoff-indicator', value: 3 });
    assert.deepEqual(pbuA.pbu!.options[5], pbuS.pbu!.options[5]);
    assert.equal(pbuA.pbu!.lifetime, pbuS.pbu!.lifetime + 1, 'one unit more than Y1 asked');
    // X1's PBA to the LMA: its DLIF identity for the node
    assert.equal(pbaA.mh[6], PbaStatus.Accepted);
    assert.equal(pbaA.mh[7], 0x22, 'P and D (RFC 8885 0x02)');
    assert.equal(pbaA.pba!.sequence, pbuA.pbu!.sequence);
    const dll = { kind: 'dlif-link-local-address', address: d1.linkLocal };
    const dl2 = { kind: 'dlif-link-layer-address', address: d1.mac };
    assert.deepEqual(
      pbaA.pba!.options.find((o) => o.kind === 'dlif-link-local-address'),
      dll,
    );
    assert.deepEqual(
      pbaA.pba!.options.find((o) => o.kind === 'dlif-link-layer-address'),
      dl2,
    );
    // the LMA's PBA to Y1: relays them, echoes AP and Previous MAAR, Y1's sequence number
    assert.equal(pbaS.mh[6], PbaStatus.Accepted);
    assert.equal(pbaS.mh[7], 0x22);
    assert.equal(pbaS.pba!.sequence, pbuS.pbu!.sequence);
    // X1 caps at its 3600 s; Y1 gets one unit less, so its leg runs out first
    assert.equal(lifetimeToSeconds(pbaA.pba!.lifetime), 3600);
    assert.equal(lifetimeToSeconds(pbaS.pba!.lifetime), 3596);
    assert.deepEqual(kinds(pbaS.pba!.options), [
      'mn-id',
      'anchored-prefix',
      'previous-maar',
      'dlif-link-local-address',
      'dlif-link-layer-address',
      'handoff-indicator',
      'access-technology-type',
      'timestamp',
    ]);
    assert.deepEqual(pbaS.pba!.options[2], pbuS.pbu!.options[6]);
    assert.deepEqual(pbaS.pba!.options[3], dll);
    assert.deepEqual(pbaS.pba!.options[4], dl2);
    assert.deepEqual(pbaS.pba!.options[7], pbuS.pbu!.options[4], 'Y1 timestamp echoed');
    for (const [type, align] of [
      [MobilityOptionType.AnchoredPrefix, 4],
      [MobilityOptionType.PreviousMaar, 4],
      [MobilityOptionType.DlifLinkLocalAddress, 6],
    ] as const) {
      assert.equal(optionOffset(pbaS.mh, type) % 8, align, `option ${type} alignment`);
    }
    // Y1: X1's DLIF (its exact MAC and link-local), tunnelled to the LMA
    const a = y1.dlifs.get(MN1, 'dgw1')!;
    assert.equal(a.role, 'anchor');
    assert.deepEqual(a.mac, d1.mac);
    assert.deepEqual(a.linkLocal, d1.linkLocal);
    assert.equal(a.iface.inputTable, -1, 'X1 has no local network: no input table');
    assert.deepEqual(
      y1.router.routes.listRules().map((r) => [formatIpv6(r.prefix), r.prefixLen, r.table]),
      [[formatIpv6(pX1), 64, 102]],
      'from pX1 lookup T(LMA) = tableBase + 2 peers + 0',
    );
    assert.equal(x1.dlifs.byNode(MN1).length, 0, 'X1 dropped its serving state');
    const pY1 = servedPrefix(n, mn, 2);
    assert.ok(formatIpv6(pY1).startsWith('2001:db8:11:'));
    const yRows = await dgwBindings(n, 2);
    const yMag = yRows.find((r) => r.role === 'mag')!;
    assert.deepEqual(
      [yMag.prefix, yMag.anchor, yMag.via, yMag.state],
      [`${formatIpv6(pX1)}/64`, 'dgw1', 'lma', 'active'],
    );
    assert.deepEqual(
      (await dgwBindings(n, 0)).map((r) => [r.role, r.servingDgw, r.state]),
      [['lma', 'lma', 'active']],
      'X1 sees the LMA as the serving D-GW',
    );
    // the LMA: both legs
    const lb = await lmaBindings(n);
    assert.equal(lb.length, 1);
    assert.equal(lb[0]!.prefix, `${formatIpv6(pX1)}/64`);
    assert.equal(lb[0]!.state, 'active');
    assert.deepEqual(
      [lb[0]!.serving.dgw, lb[0]!.serving.operator, lb[0]!.serving.state],
      ['dgw11', 'op-y', 'active'],
    );
    assert.deepEqual(
      [lb[0]!.anchor.dgw, lb[0]!.anchor.operator, lb[0]!.anchor.state],
      ['dgw1', 'op-x', 'active'],
    );
    assert.ok(lb[0]!.serving.lifetimeLeft! > 3590 && lb[0]!.anchor.lifetimeLeft! > 3590);
    assert.notEqual(lb[0]!.serving.tunnel, lb[0]!.anchor.tunnel);
    const shown = await n.lmaRouter.commands.run('show bindings', {});
    assert.deepEqual(
      shown.table!.rows.map((r) => [r[2], r[3], r[4]]),
      [
        ['serving', 'dgw11', 'op-y'],
        ['anchor', 'dgw1', 'op-x'],
      ],
    );
    // uplink from pX1 (to X1's DLIF MAC) and downlink: Y1 ⇄ LMA ⇄ X1, out at X1
    n.backbone.length = 0;
    await roundTrip(n, mn, d1.mac, aX1, 0, 2, d1.mac);
    // and from pX1 through Y1's own DLIF (the source rule)
    const sY = y1.dlifs.get(MN1, 'dgw11')!;
    await roundTrip(n, mn, sY.mac, aX1, 0, 3, d1.mac);
    const tun = tunnelled(n);
    const cn = formatIpv6(CN);
    const ax = formatIpv6(aX1);
    for (const want of [
      `fd00:100::11>fd00:100::100 ${ax}>${cn}`,
      `fd00:100::100>fd00:100::1 ${ax}>${cn}`,
      `fd00:100::1>fd00:100::100 ${cn}>${ax}`,
      `fd00:100::100>fd00:100::11 ${cn}>${ax}`,
    ]) {
      assert.equal(tun.filter((x) => x === want).length, 2, `twice: ${want} in ${tun.join('; ')}`);
    }
    assert.ok(
      !n.backbone.some((f) => {
        const o = ipOf(f.bytes);
        return (
          o !== null &&
          ((same(o.ip.src, x1.addr) && same(o.ip.dst, y1.addr)) ||
            (same(o.ip.src, y1.addr) && same(o.ip.dst, x1.addr)))
        );
      }),
      'nothing between X1 and Y1 directly',
    );
    // Y1's own prefix stays local
    await roundTrip(n, mn, sY.mac, mn.addr(pY1), 2, 4, sY.mac);

    // ── 3. to X2: the X1 prefix direct again, the Y1 prefix through the LMA
    n.backbone.length = 0;
    await attachAt(n, 1, mn);
    const mh3 = mobility(n.backbone);
    const pbus = mh3.filter((m) => m.pbu !== null);
    const pair = (m: (typeof mh3)[0]): string => `${formatIpv6(m.ip.src)}>${formatIpv6(m.ip.dst)}`;
    assert.deepEqual(pbus.map(pair).sort(), [
      'fd00:100::100>fd00:100::11',
      'fd00:100::2>fd00:100::1',
      'fd00:100::2>fd00:100::100',
    ]);
    const toX1 = pbus.find((m) => pair(m) === 'fd00:100::2>fd00:100::1')!;
    assert.ok(!toX1.pbu!.options.some((o) => o.kind === 'previous-maar'), 'direct: no PMAAR');
    const toLma = pbus.find((m) => pair(m) === 'fd00:100::2>fd00:100::100')!;
    assert.deepEqual(
      toLma.pbu!.options.find((o) => o.kind === 'previous-maar'),
      {
        kind: 'previous-maar',
        prefixLength: 64,
        address: y1.addr,
        prefix: pY1,
      },
    );
    assert.ok(mh3.filter((m) => m.pba).every((m) => m.pba!.status === 0 && m.mh[7] === 0x22));
    assert.equal(y1.dlifs.byNode(MN1).length, 0, 'Y1 dropped its serving state');
    const lb3 = await lmaBindings(n);
    assert.deepEqual(
      lb3.map((r) => [r.prefix, r.serving.dgw, r.anchor.dgw, r.state]),
      [[`${formatIpv6(pY1)}/64`, 'dgw2', 'dgw11', 'active']],
      'the stale X1 binding went',
    );
    assert.equal(n.lma.stats().teardowns.superseded, 1);
    const x2Rows = await dgwBindings(n, 1);
    assert.deepEqual(x2Rows.map((r) => [r.anchor, r.role, r.via]).sort(), [
      ['dgw1', 'mag', null],
      ['dgw11', 'mag', 'lma'],
      ['dgw2', 'access-router', null],
    ]);
    assert.deepEqual(
      (await dgwBindings(n, 0)).map((r) => r.servingDgw),
      ['dgw2'],
      'X1 binds to X2 directly',
    );
    assert.deepEqual(
      (await dgwBindings(n, 2)).map((r) => [r.role, r.servingDgw]),
      [['lma', 'lma']],
      'Y1 binds to the LMA',
    );
    n.backbone.length = 0;
    await roundTrip(n, mn, d1.mac, aX1, 0, 5, d1.mac);
    const y1Mac = x2.dlifs.get(MN1, 'dgw11')!;
    assert.deepEqual(y1Mac.mac, sY.mac, "Y1's DLIF identity at X2");
    await roundTrip(n, mn, sY.mac, mn.addr(pY1), 2, 6, sY.mac);
    const pX2 = servedPrefix(n, mn, 1);
    const sX2 = x2.dlifs.get(MN1, 'dgw2')!;
    await roundTrip(n, mn, sX2.mac, mn.addr(pX2), 1, 7, sX2.mac);
    const tun3 = tunnelled(n);
    const ay = formatIpv6(mn.addr(pY1));
    assert.ok(tun3.includes(`fd00:100::2>fd00:100::1 ${ax}>${cn}`), 'X2 → X1 direct');
    assert.ok(tun3.includes(`fd00:100::2>fd00:100::100 ${ay}>${cn}`), 'X2 → LMA');
    assert.ok(tun3.includes(`fd00:100::100>fd00:100::11 ${ay}>${cn}`), 'LMA → Y1');
    assert.ok(tun3.includes(`fd00:100::11>fd00:100::100 ${cn}>${ay}`), 'Y1 → LMA');
    assert.ok(tun3.includes(`fd00:100::100>fd00:100::2 ${cn}>${ay}`), 'LMA → X2');
    assert.ok(!tun3.some((x) => x.startsWith('fd00:100::100>fd00:100::1 ')), 'LMA ↛ X1 now');
    const st = n.lma.stats();
    assert.equal(st.accepted.registered, 2);
    assert.deepEqual(st.refused, {});
    assert.equal(x2.dgw.stats().relayedLinks, 1);
  } finally {
    await n.stop();
  }
});

test('refresh, de-registration and expiry cross both legs', async () => {
  // 4-second lifetimes at Y1: it refreshes after 3.2 s (RefreshLifetimeFraction 0.8)
  const n = await net({
    dgw: (i) => (i === 2 ? { bindingLifetime: 4 } : { pmip: { MinDelayBeforeBCEDelete: 100 } }),
  });
  try {
    const [x1, , y1] = n.gws as [Net['gws'][0], Net['gws'][0], Net['gws'][0]];
    const mn = n.addNode(MN1, MN1_MAC);
    await attachAt(n, 0, mn);
    await attachAt(n, 2, mn);
    assert.equal(n.lma.bindings()[0]!.serving.lifetimeLeft, 4);
    // refresh: Y1 → LMA → X1 and back
    n.backbone.length = 0;
    await n.until(() => (n.lma.stats().accepted.refreshed ?? 0) >= 1, 6000, 'a relayed refresh');
    const mh = mobility(n.backbone);
    assert.deepEqual(
      mh.map((m) => `${m.pbu ? 'PBU' : 'PBA'} ${formatIpv6(m.ip.src)}>${formatIpv6(m.ip.dst)}`),
      [
        'PBU fd00:100::11>fd00:100::100',
        'PBU fd00:100::100>fd00:100::1',
        'PBA fd00:100::1>fd00:100::100',
        'PBA fd00:100::100>fd00:100::11',
      ],
    );
    assert.equal(
      mh[0]!.pbu!.options.find((o) => o.kind === 'handoff-indicator')?.value,
      5,
      'HI 5 (re-registration)',
    );
    assert.equal(
      mh[1]!.pbu!.options.find((o) => o.kind === 'handoff-indicator')?.value,
      5,
      'relayed as is',
    );
    assert.equal(x1.dgw.stats().anchor.accepted.refreshed, 1);
    assert.equal(n.lma.stats().pbuSent.refresh, 1);

    // de-registration: Y1 lets the node go (detach) → LMA → X1
    n.backbone.length = 0;
    await y1.router.commands.run('detach', { mn: MN1 });
    await n.until(() => (x1.dgw.stats().anchor.accepted.deregistered ?? 0) === 1, 3000, 'X1 dereg');
    const dm = mobility(n.backbone).filter((m) => m.pbu);
    assert.deepEqual(
      dm.map((m) => [formatIpv6(m.ip.src), formatIpv6(m.ip.dst), m.pbu!.lifetime]),
      [
        ['fd00:100::11', 'fd00:100::100', 0],
        ['fd00:100::100', 'fd00:100::1', 0],
      ],
    );
    assert.equal(n.lma.bindings().length, 0, 'both legs gone at the LMA');
    assert.equal(n.lma.stats().teardowns.dereg, 1);
    await n.until(() => x1.dgw.cache.size === 0, 2000, "X1's BCE deleted");

    // expiry: back at Y1, then Y1 falls silent towards the LMA; the serving leg runs out
    await attachAt(n, 0, mn);
    await attachAt(n, 2, mn);
    assert.equal(n.lma.bindings().length, 1);
    n.filter = (f) => !(f.from === 2 && same(f.bytes.subarray(0, 6), LMA_MAC));
    n.backbone.length = 0;
    await n.until(() => (n.lma.stats().teardowns.lifetime ?? 0) === 1, 7000, 'serving leg expiry');
    assert.equal(n.lma.bindings().length, 0);
    await n.until(() => (x1.dgw.stats().anchor.accepted.deregistered ?? 0) === 2, 3000, 'dereg');
    const last = mobility(n.backbone).filter((m) => m.pbu && m.frame.from === 3);
    assert.equal(last[last.length - 1]!.pbu!.lifetime, 0, 'the LMA de-registered at X1');
  } finally {
    await n.stop();
  }
});

test('an operator pair outside the LMA policy: 129, counted; the serving D-GW rolls back', async () => {
  const n = await net({ lma: { relay: [{ from: 'op-x', to: 'op-y' }] } });
  try {
    const y1 = n.gws[2]!;
    const mn = n.addNode(MN1, MN1_MAC);
    await attachAt(n, 0, mn);
    n.backbone.length = 0;
    await attachAt(n, 2, mn);
    const mh = mobility(n.backbone);
    assert.equal(mh.length, 2, 'no PBU to X1');
    assert.equal(mh[1]!.mh[6], PbaStatus.AdministrativelyProhibited);
    assert.deepEqual(n.lma.stats().refused, { 'operator-not-relayed (129)': 1 });
    assert.deepEqual(y1.dgw.stats().rollbacks, { refused: 1 });
    assert.equal(y1.dlifs.get(MN1, 'dgw1'), undefined, "X1's DLIF undone at Y1");
    assert.equal(n.lma.bindings().length, 0);
    assert.equal(y1.router.routes.listRules().length, 0);
  } finally {
    await n.stop();
  }
});
