/**
 * `show bindings` snapshots: a BCE and a BUL entry built from protocol.md §5.2's PBU and
 * PBA vectors (built there by hand-written Python and by scapy 2.5, byte-identical, and
 * decoded by tshark 4.0.17), parsed here by @dmm/wire, then shown as plain JSON and as a
 * table. The expected JSON is written out by hand from the vector's documented values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '@dmm/testkit';
import {
  Pba,
  PbaView,
  Pbu,
  PbuView,
  findHnps,
  findMnId,
  findOption,
  lifetimeToSeconds,
} from '@dmm/wire';
import {
  BindingCache,
  BindingUpdateList,
  ManualClock,
  bindingCacheTable,
  bindingUpdateListTable,
} from '@dmm/binding-cache';

// protocol.md §5.2 PBU: fd00:100::2 (MAG) → fd00:100::1 (LMA), seq 1, A|P, lifetime 15
// (60 s), HNP ::/0, HI 1, ATT 3, Timestamp 0x00006553F100.8000, MN-ID mn1@example.org,
// MN-LLI 02:00:00:00:00:01, Link-local Address fe80::1
const PBU_PACKET = hex`
6000000000688740fd000100000000000000000000000002fd000100000000000000000000
0000013b0c050029b700018200000f16120000000000000000000000000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;
// protocol.md §5.2 PBA: status 0, seq 1, lifetime 15, HNP 2001:db8:1:1::/64 and the echoes
const PBA_PACKET = hex`
6000000000688740fd000100000000000000000000000001fd000100000000000000000000
0000023b0c06007c9c00200001000f1612004020010db80001000100000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;

function parse() {
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pbu = Pbu.parse(new PbuView(PBU_PACKET, dv(PBU_PACKET), 40));
  const pba = Pba.parse(new PbaView(PBA_PACKET, dv(PBA_PACKET), 40));
  return {
    pbu,
    pba,
    mag: PBU_PACKET.slice(8, 24),
    lma: PBU_PACKET.slice(24, 40),
    mnId: findMnId(pbu)!,
    lli: findOption(pbu, 'mn-link-layer-id')!.identifier,
    ll: findOption(pbu, 'link-local-address')!.address,
    ts: findOption(pbu, 'timestamp')!,
    att: findOption(pbu, 'access-technology-type')!.value,
    hi: findOption(pbu, 'handoff-indicator')!.value,
    hnps: findHnps(pba).map((h) => ({ prefix: h.prefix, prefixLen: h.prefixLength })),
  };
}

test('a BCE made from the §5.2 PBU/PBA shows as plain JSON and as a table', () => {
  const v = parse();
  const clock = new ManualClock(50_000);
  const cache = new BindingCache({ clock });
  const e = cache.create({
    mnId: v.mnId,
    mnLinkLayerId: v.lli,
    magLinkLocal: v.ll,
    prefixes: v.hnps,
    proxyCoa: v.mag,
    lifetimeMs: lifetimeToSeconds(v.pba.lifetime) * 1000,
    accessTechnology: v.att,
    handoffIndicator: v.hi,
    timestamp: v.ts,
    sequence: v.pbu.sequence,
    tunnelId: 2,
  });
  clock.set(62_345);
  const snap = cache.snapshot();
  assert.deepEqual(snap, [
    {
      id: 0,
      state: 'active',
      mnId: 'mn1@example.org',
      mnLinkLayerId: '02:00:00:00:00:01',
      prefixes: ['2001:db8:1:1::/64'],
      proxyCoa: 'fd00:100::2',
      magLinkLocal: 'fe80::1',
      tunnelId: 2,
      accessTechnology: 3,
      handoffIndicator: 1,
      timestamp: 1_700_000_000.5,
      sequence: 1,
      lifetimeMs: 60_000,
      remainingMs: 47_655,
      deleteInMs: null,
      waitMs: null,
      dgw: null,
    },
  ]);
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap, 'plain JSON');
  cache.deregister(e);
  assert.deepEqual(bindingCacheTable(cache.snapshot()), {
    columns: ['MN-ID', 'PREFIXES', 'PROXY-COA', 'STATE', 'LIFETIME', 'LEFT', 'TUNNEL'],
    rows: [
      [
        'mn1@example.org',
        '2001:db8:1:1::/64',
        'fd00:100::2',
        'deregistering (10s)',
        '60s',
        '48s',
        '2',
      ],
    ],
  });
});

test('a BUL entry made from the §5.2 PBU/PBA, and D-GW fields, show as plain JSON and as a table', () => {
  const v = parse();
  const clock = new ManualClock(0);
  const bul = new BindingUpdateList({ clock });
  const e = bul.create({
    mnId: v.mnId,
    mnLinkLayerId: v.lli,
    magLinkLocal: v.ll,
    lmaAddress: v.lma,
    accessIfIndex: 3,
    requestedLifetimeMs: lifetimeToSeconds(v.pbu.lifetime) * 1000,
    accessTechnology: v.att,
    handoffIndicator: v.hi,
    dgw: {
      dlifIfIndex: 9,
      dlifLinkLayer: hex`02:00:00:00:00:0a`,
      localPrefixes: [{ prefix: hex`2001:db8:2:1::`, prefixLen: 64 }],
    },
  });
  bul.pbuSent(e, { sequence: v.pbu.sequence, retransmitAfterMs: 1500 });
  clock.set(1000);
  bul.pbuSent(e, { sequence: 2, retransmitAfterMs: 3000, retransmission: true });
  assert.deepEqual(bindingUpdateListTable(bul.snapshot()).rows, [
    ['mn1@example.org', '-', 'fd00:100::1', '3', 'pending (try 2)', '-', '-', '2', '-'],
  ]);
  clock.set(1200);
  bul.registered(e, lifetimeToSeconds(v.pba.lifetime) * 1000, { prefixes: v.hnps });
  clock.set(2000);
  assert.deepEqual(bul.snapshot(), [
    {
      id: 0,
      state: 'active',
      mnId: 'mn1@example.org',
      mnLinkLayerId: '02:00:00:00:00:01',
      prefixes: ['2001:db8:1:1::/64'],
      lmaAddress: 'fd00:100::1',
      magLinkLocal: 'fe80::1',
      accessIfIndex: 3,
      tunnelId: null,
      accessTechnology: 3,
      handoffIndicator: 1,
      requestedLifetimeMs: 60_000,
      grantedLifetimeMs: 60_000,
      sequence: 2,
      lastPbuAgoMs: 1000,
      attempts: 0,
      retransmitTimeoutMs: 0,
      refreshInMs: 47_000, // sent at 1000, 80 % of 60 s → 49,000
      remainingMs: 59_000,
      dgw: {
        distributed: true,
        servedLocally: false,
        dlifIfIndex: 9,
        dlifLinkLocal: null,
        dlifLinkLayer: '02:00:00:00:00:0a',
        localPrefixes: ['2001:db8:2:1::/64'],
      },
    },
  ]);
  assert.deepEqual(bindingUpdateListTable(bul.snapshot()), {
    columns: ['MN-ID', 'PREFIXES', 'LMA', 'IF', 'STATE', 'GRANTED', 'LEFT', 'SEQ', 'TUNNEL'],
    rows: [
      [
        'mn1@example.org',
        '2001:db8:1:1::/64',
        'fd00:100::1',
        '3',
        'active',
        '60s',
        '59s',
        '2',
        '-',
      ],
    ],
  });
});
