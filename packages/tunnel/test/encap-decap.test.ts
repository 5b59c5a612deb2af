/**
 * Encapsulation and decapsulation through real routers: frames in on MemoryDevices, frames
 * out judged byte by byte.
 *
 * Vector provenance:
 *  - VECTOR: protocol.md §5.2 IPv6-in-IPv6 (hand-written Python and scapy 2.5,
 *    byte-identical); rebuilt with Debian scapy 2.5.0 (/usr/bin/python3):
 *    `IPv6(src="fd00:100::2", dst="fd00:100::1", hlim=64)/IPv6(src="2001:db8:1:1::100",
 *    dst="2001:db8:ffff::1", hlim=63)/ICMPv6EchoRequest(id=1, seq=1, data=b"abcd")`.
 *  - PTB_1460_HDRS: Debian scapy 2.5.0, `big = IPv6(src="2001:db8:1:1::100",
 *    dst="2001:db8:ffff::1", hlim=64)/ICMPv6EchoRequest(id=1, seq=2, data=bytes(i & 0xff for
 *    i in range(1452)))`; `IPv6(src="2001:db8:1:1::1", dst="2001:db8:1:1::100",
 *    hlim=64)/ICMPv6PacketTooBig(mtu=1460)/Raw(bytes(big)[:1232])` — first 48 bytes (the
 *    rest is the quoted prefix of `big`; the checksum 0x9ee3 covers it).
 *  - FRAG1_HDRS / FRAG2: Debian scapy 2.5.0, `fragment6(IPv6(src="fd00:100::2",
 *    dst="fd00:100::1", hlim=64)/IPv6ExtHdrFragment(id=0)/IPv6(src="2001:db8:1:1::100",
 *    dst="2001:db8:ffff::1", hlim=63)/ICMPv6EchoRequest(id=1, seq=3, data=bytes(i & 0xff
 *    for i in range(1232))), 1300)` — 1296- and 80-byte fragments; the test puts the
 *    router's random Identification in place of scapy's 0.
 *  - DOPT: Debian scapy 2.5.0, the VECTOR packet with
 *    `IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=4, optdata=b"\x04"),
 *    PadN(optdata=b"\x00")])` between the two IPv6 headers (Tunnel Encapsulation Limit 4,
 *    RFC 2473 §5.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteKind } from '@dmm/core';
import { assertBytes, hex, parseIpv6 } from '@dmm/testkit';
import { IP6IP6_OVERHEAD } from '@dmm/wire';
import { TunnelCounter, TunnelDrop } from '@dmm/tunnel';
import {
  A_LAN_MAC,
  A_WAN,
  A_WAN_MAC,
  B_LAN_MAC,
  B_WAN,
  B_WAN_MAC,
  FAR_NET,
  H0,
  H0_MAC,
  H1,
  H1_MAC,
  echoH0toH1,
  eth,
  icmpOf,
  icmpPacket,
  ipOf,
  neighbor,
  pattern,
  runUntilQuiet,
  takeN,
  twoRouters,
  withHopLimit,
} from './lab.js';

const VECTOR = hex`
  60000000 0034 29 40  fd00:100::2  fd00:100::1      // outer: NH 41, hop limit 64
  60000000 000c 3a 3f  2001:db8:1:1::100  2001:db8:ffff::1   // inner: hop limit 63
  80 00 5e7b 0001 0001 61626364`;
const OUTER_LAYOUT = [
  { name: 'outer version/class/flow', off: 0, len: 4 },
  { name: 'outer payload length', off: 4, len: 2 },
  { name: 'outer next header', off: 6, len: 1 },
  { name: 'outer hop limit', off: 7, len: 1 },
  { name: 'outer source', off: 8, len: 16 },
  { name: 'outer destination', off: 24, len: 16 },
  { name: 'inner hop limit', off: 47, len: 1 },
  { name: 'inner packet', off: 40, len: 52 },
];
/** The inner packet of VECTOR as H0 sends it (hop limit 64). */
const INNER_AS_SENT = withHopLimit(VECTOR.slice(40), 64);

const PTB_1460_HDRS = hex`
  60000000 04d8 3a 40  2001:db8:1:1::1  2001:db8:1:1::100
  02 00 9ee3 000005b4   // Packet Too Big, checksum 0x9ee3, MTU 1460`;

const FRAG1_HDRS = hex`
  60000000 04e8 2c 40  fd00:100::2  fd00:100::1   // payload 1256, NH 44
  29 00 0001 00000000   // NH 41, offset 0, M, id (0 in scapy's)`;
const FRAG2 = hex`
  60000000 0028 2c 40  fd00:100::2  fd00:100::1   // payload 40, NH 44
  29 00 04e0 00000000   // NH 41, offset 156 (1248 bytes), no M
  b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf`;

const DOPT = hex`
  60000000 003c 3c 40  fd00:100::2  fd00:100::1      // outer: NH 60
  29 00 04 01 04 01 01 00                             // Dest Options: encap limit 4, PadN
  60000000 000c 3a 3f  2001:db8:1:1::100  2001:db8:ffff::1
  80 00 5e7b 0001 0001 61626364`;

test("encap: A turns H0's echo request into protocol.md §5.2's IPv6-in-IPv6 vector", async () => {
  const { a, aLan, aWan, tAB } = await twoRouters({ pair: false });
  aLan.inject(eth(A_LAN_MAC, H0_MAC, INNER_AS_SENT));
  a.router.scheduler.poll();
  const [f] = takeN(aWan, 1);
  assertBytes(f!.subarray(0, 14), hex`${'02:00:00:00:0b:01'} ${'02:00:00:00:0a:01'} 86dd`);
  assertBytes(f!.subarray(14), VECTOR, OUTER_LAYOUT);
  assert.equal(aLan.take().length, 0, 'nothing back to H0');
  assert.equal(a.tunnels.counter(tAB, TunnelCounter.EncapPackets), 1);
  assert.equal(a.tunnels.counter(tAB, TunnelCounter.EncapBytes), 52);
  assert.deepEqual(a.router.counters(), {}, 'no drop anywhere');
});

test('round trip: H0 → A → tunnel → B → H1, inner hop limit 64 → 63 (entry) → 62 (B), and back', async () => {
  const { a, b, aLan, bLan, tAB, tBA } = await twoRouters();
  aLan.inject(eth(A_LAN_MAC, H0_MAC, INNER_AS_SENT));
  runUntilQuiet(a.router, b.router);
  const [f] = takeN(bLan, 1);
  assertBytes(f!.subarray(0, 14), hex`${'02:00:00:00:00:11'} ${'02:00:00:00:0b:00'} 86dd`);
  // RFC 2473 §3.1: the tunnel is one hop (64 → 63); B forwards the inner packet (63 → 62)
  assertBytes(f!.subarray(14), withHopLimit(INNER_AS_SENT, 62));
  assert.equal(b.tunnels.counter(tBA, TunnelCounter.DecapPackets), 1);
  assert.equal(b.tunnels.counter(tBA, TunnelCounter.DecapBytes), 52);

  // H1 answers through B's tunnel to A
  const reply = icmpPacket(H1, H0, 64, {
    kind: 'echo-reply',
    id: 1,
    seq: 1,
    data: hex`61626364`,
  });
  bLan.inject(eth(B_LAN_MAC, H1_MAC, reply));
  runUntilQuiet(a.router, b.router);
  const [g] = takeN(aLan, 1);
  assertBytes(g!.subarray(0, 6), H0_MAC);
  assertBytes(g!.subarray(14), withHopLimit(reply, 62));
  assert.equal(b.tunnels.counter(tBA, TunnelCounter.EncapPackets), 1);
  assert.equal(a.tunnels.counter(tAB, TunnelCounter.DecapPackets), 1);
  assert.deepEqual(a.router.counters(), {});
  assert.deepEqual(b.router.counters(), {});
  assert.equal(a.router.pool.inUse, 0);
  assert.equal(b.router.pool.inUse, 0);
});

test('decap: an inner packet arriving with hop limit 1 gets Time Exceeded from the exit point', async () => {
  const { a, b, aLan, bLan, tBA } = await twoRouters();
  // H0 sends with hop limit 2: A's forwarding makes it 1, B must not forward it
  aLan.inject(eth(A_LAN_MAC, H0_MAC, withHopLimit(INNER_AS_SENT, 2)));
  runUntilQuiet(a.router, b.router);
  assert.equal(bLan.take().length, 0);
  assert.equal(b.tunnels.counter(tBA, TunnelCounter.DecapPackets), 1);
  // B's Time Exceeded goes back to H0 through B's tunnel
  const [f] = takeN(aLan, 1);
  const { ip, icmp } = icmpOf(f!);
  assert.deepEqual(ip.src, B_WAN, 'sent from the address of the interface it arrived on');
  assert.deepEqual(ip.dst, H0);
  assert.ok(icmp.kind === 'time-exceeded' && icmp.code === 0);
  assertBytes(icmp.invoking, withHopLimit(INNER_AS_SENT, 1));
});

test('decap: tunnel packets from an unknown peer, or to another address of ours, are dropped and counted', async () => {
  const { b, bWan, bLan, tBA } = await twoRouters({ pair: false });
  const B_OTHER = parseIpv6('fd00:100::11');
  b.router.addAddress(b.router.requireInterface('wan0'), B_OTHER, 64);
  const stranger = Uint8Array.from(VECTOR);
  stranger.set(parseIpv6('fd00:100::99'), 8);
  bWan.inject(eth(B_WAN_MAC, A_WAN_MAC, stranger));
  const otherLocal = Uint8Array.from(VECTOR);
  otherLocal.set(B_OTHER, 24);
  bWan.inject(eth(B_WAN_MAC, A_WAN_MAC, otherLocal));
  b.router.scheduler.poll();
  assert.equal(bLan.take().length, 0);
  assert.equal(bWan.take().length, 0, 'no ICMPv6 error about them either');
  assert.deepEqual(b.router.counters(), { 'ip6ip6-decap.unknown-tunnel-peer': 2 });
  assert.equal(b.tunnels.counter(tBA, TunnelCounter.DecapPackets), 0);

  // the real peer gets through
  bWan.inject(eth(B_WAN_MAC, A_WAN_MAC, VECTOR));
  b.router.scheduler.poll();
  takeN(bLan, 1);
});

test('decap: a payload that is not exactly one IPv6 packet is dropped and counted per tunnel', async () => {
  const { b, bWan, bLan, tBA } = await twoRouters({ pair: false });
  const trailing = new Uint8Array(VECTOR.length + 4); // inner packet plus 4 zero bytes
  trailing.set(VECTOR);
  trailing[5] = 0x38; // outer payload length 56
  const notV6 = Uint8Array.from(VECTOR);
  notV6[40] = 0x45; // inner version 4
  const short = Uint8Array.from(VECTOR);
  short[45] = 0x0b; // inner payload length 11: one byte short of the outer
  for (const p of [trailing, notV6, short]) bWan.inject(eth(B_WAN_MAC, A_WAN_MAC, p));
  b.router.scheduler.poll();
  assert.equal(bLan.take().length, 0);
  assert.deepEqual(b.router.counters(), { 'ip6ip6-decap.inner-malformed': 3 });
  assert.equal(b.tunnels.dropCount(tBA, TunnelDrop.InnerMalformed), 3);
});

test('decap: extension headers between the outer and inner header are stripped (scapy vector)', async () => {
  const { b, bWan, bLan, tBA } = await twoRouters({ pair: false });
  bWan.inject(eth(B_WAN_MAC, A_WAN_MAC, DOPT));
  b.router.scheduler.poll();
  const [f] = takeN(bLan, 1);
  assertBytes(f!.subarray(14), withHopLimit(VECTOR.slice(40), 62));
  assert.equal(b.tunnels.counter(tBA, TunnelCounter.DecapBytes), 52);
});

test('too big: a 1500-byte inner packet into a 1460 tunnel gets Packet Too Big (MTU 1460) back to its source', async () => {
  const { a, aLan, aWan, tAB } = await twoRouters({ pair: false, wanMtu: 1500 });
  assert.equal(a.tunnels.info(tAB)!.mtu, 1460);
  const big = echoH0toH1(64, 2, pattern(1452));
  assert.equal(big.length, 1500);
  aLan.inject(eth(A_LAN_MAC, H0_MAC, big));
  a.router.scheduler.poll();
  assert.equal(aWan.take().length, 0, 'nothing into the tunnel');
  const [f] = takeN(aLan, 1);
  assertBytes(f!.subarray(0, 12), hex`${'02:00:00:00:00:10'} ${'02:00:00:00:0a:00'}`);
  const { packet, icmp } = icmpOf(f!);
  assert.equal(packet.length, 1280, 'RFC 4443 §2.4(c): the error fills the minimum MTU');
  assertBytes(packet.subarray(0, 48), PTB_1460_HDRS);
  // the quote is the packet as H0 sent it (hop limit 64, not the decremented 63)
  assertBytes(packet.subarray(48), big.subarray(0, 1232));
  assert.ok(icmp.kind === 'packet-too-big' && icmp.mtu === 1460);
  assert.equal(a.tunnels.dropCount(tAB, TunnelDrop.TooBig), 1);
  assert.deepEqual(a.router.counters(), {
    'ip6ip6-encap.too-big': 1,
    'icmp6-error.sent': 1,
  });
  // one byte less fits exactly: 1460 + 40 = the link MTU
  aLan.inject(eth(A_LAN_MAC, H0_MAC, echoH0toH1(64, 2, pattern(1412))));
  a.router.scheduler.poll();
  const [g] = takeN(aWan, 1);
  assert.equal(g!.length, 14 + 1500);
});

test('too big: a router-originated inner packet over the tunnel MTU is dropped without an error', async () => {
  const { a, aLan, aWan, tAB } = await twoRouters({ pair: false });
  const pb = a.router.pool.fromBytes(
    icmpPacket(parseIpv6('2001:db8:1:1::1'), H1, 64, {
      kind: 'echo-request',
      id: 7,
      seq: 7,
      data: pattern(1452),
    }),
  )!;
  a.router.sendIp6(pb);
  assert.equal(aWan.take().length, 0);
  assert.equal(aLan.take().length, 0);
  assert.equal(a.tunnels.dropCount(tAB, TunnelDrop.TooBigLocal), 1);
  assert.deepEqual(a.router.counters(), { 'ip6ip6-encap.too-big-local': 1 });
  // a small one goes in, with the outer hop limit ours and the inner one untouched
  a.router.sendIp6(
    a.router.pool.fromBytes(
      icmpPacket(parseIpv6('2001:db8:1:1::1'), H1, 64, {
        kind: 'echo-request',
        id: 7,
        seq: 8,
        data: hex`61626364`,
      }),
    )!,
  );
  const [f] = takeN(aWan, 1);
  const { ip, packet } = ipOf(f!);
  assert.equal(ip.hopLimit, 64);
  assert.equal(packet[40 + 7], 64, 'router-originated inner packet: no forwarding decrement');
});

test('fragmentation: a 1280-byte inner packet over a 1300-byte path leaves as two correct fragments that reassemble', async () => {
  const { a, aLan, aWan, tAB } = await twoRouters({ pair: false, wanMtu: 1300 });
  const info = a.tunnels.info(tAB)!;
  assert.equal(info.pathMtu, 1300);
  assert.equal(info.mtu, 1280, 'the tunnel MTU never goes below 1280 (RFC 2473 §7.1)');
  const inner = echoH0toH1(64, 3, pattern(1232));
  assert.equal(inner.length, 1280);
  const allocsBefore = a.router.pool.allocs;
  aLan.inject(eth(A_LAN_MAC, H0_MAC, inner));
  a.router.scheduler.poll();
  const [f1, f2] = takeN(aWan, 2);
  assert.equal(a.router.pool.allocs - allocsBefore, 2, 'the received frame + one fragment buffer');
  for (const f of [f1!, f2!]) {
    assertBytes(f.subarray(0, 14), hex`${'02:00:00:00:0b:01'} ${'02:00:00:00:0a:01'} 86dd`);
  }
  const p1 = f1!.subarray(14);
  const p2 = f2!.subarray(14);
  assert.equal(p1.length, 1296);
  assert.ok(p1.length <= 1300 && p2.length <= 1300, 'both fit the path MTU');
  const id = p1.subarray(44, 48);
  assertBytes(p2.subarray(44, 48), id, undefined, 'same Identification in both fragments');
  const exp1 = Uint8Array.from(FRAG1_HDRS);
  exp1.set(id, 44);
  assertBytes(p1.subarray(0, 48), exp1);
  const innerInTunnel = withHopLimit(inner, 63);
  assertBytes(p1.subarray(48), innerInTunnel.subarray(0, 1248));
  const exp2 = Uint8Array.from(FRAG2);
  exp2.set(id, 44);
  assertBytes(p2, exp2);

  // reassembly (RFC 8200 §4.5): unfragmentable part with NH 41, fragments at their offsets
  const frags = [p1, p2].map((p) => ({
    offset: (((p[42]! << 8) | p[43]!) >>> 3) * 8,
    more: (p[43]! & 1) === 1,
    data: p.subarray(48),
  }));
  assert.deepEqual(
    frags.map((x) => [x.offset, x.more, x.data.length]),
    [
      [0, true, 1248],
      [1248, false, 32],
    ],
  );
  const whole = new Uint8Array(IP6IP6_OVERHEAD + 1280);
  whole.set(p1.subarray(0, 40), 0);
  whole[4] = 1280 >>> 8;
  whole[5] = 1280 & 0xff;
  whole[6] = 41;
  for (const x of frags) whole.set(x.data, IP6IP6_OVERHEAD + x.offset);
  assertBytes(whole.subarray(40), innerInTunnel);
  assertBytes(whole.subarray(0, 40), hex`60000000 0500 29 40 fd00:100::2 fd00:100::1`);

  assert.equal(a.tunnels.counter(tAB, TunnelCounter.Fragmented), 1);
  assert.equal(a.tunnels.counter(tAB, TunnelCounter.EncapPackets), 1);
  assert.deepEqual(a.router.counters(), {
    'ip6ip6-encap.fragmented': 1,
    'ip6ip6-encap.fragment-buffers': 1,
  });
  assert.equal(a.router.pool.inUse, 0);

  // the next fragmented packet carries the next Identification
  aLan.inject(eth(A_LAN_MAC, H0_MAC, inner));
  a.router.scheduler.poll();
  const [g1] = takeN(aWan, 2);
  const idOf = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset).getUint32(58);
  assert.equal(idOf(g1!), (idOf(f1!) + 1) >>> 0);
});

test('fragmentation: an empty pool drops the packet and counts it (no partial packet leaves)', async () => {
  const { a, aLan, aWan, tAB } = await twoRouters({ pair: false, wanMtu: 1300 });
  const inner = echoH0toH1(64, 3, pattern(1232));
  // hold every buffer but one: the received frame gets it, the fragment finds none
  const held = [];
  while (a.router.pool.available > 1) held.push(a.router.pool.alloc()!);
  aLan.inject(eth(A_LAN_MAC, H0_MAC, inner));
  a.router.scheduler.poll();
  assert.equal(aWan.take().length, 0);
  assert.equal(a.tunnels.dropCount(tAB, TunnelDrop.NoBuffer), 1);
  assert.deepEqual(a.router.counters(), { 'ip6ip6-encap.no-buffer': 1 });
  for (const pb of held) a.router.pool.free(pb);
  assert.equal(a.router.pool.inUse, 0);
});

test('routes through a removed tunnel drop with a counter; a reused slot gets a new id', async () => {
  const { a, aLan, aWan, tAB } = await twoRouters({ pair: false });
  const t = a.tunnels;
  assert.equal(t.acquire(A_WAN, B_WAN), tAB, 'same pair, same tunnel');
  assert.equal(t.refCount(tAB), 2);
  assert.equal(t.release(tAB), 1);
  aLan.inject(eth(A_LAN_MAC, H0_MAC, INNER_AS_SENT));
  a.router.scheduler.poll();
  takeN(aWan, 1);

  assert.equal(t.release(tAB), 0);
  assert.equal(t.isLive(tAB), false);
  assert.equal(t.size, 0);
  const route = a.router.routes.list().find((r) => r.kind === RouteKind.Tunnel)!;
  assert.equal(route.tunnel, tAB, "the route is its owner's: it stays …");
  aLan.inject(eth(A_LAN_MAC, H0_MAC, INNER_AS_SENT));
  a.router.scheduler.poll();
  assert.equal(aWan.take().length, 0, '… but nothing goes out');
  assert.equal(aLan.take().length, 0, 'and no error: the route exists, its tunnel does not');
  assert.deepEqual(a.router.counters(), { 'ip6ip6-encap.no-tunnel': 1 });

  // the slot is reused by a tunnel to another peer: a new id, never reached by the old route
  const other = t.acquire(A_WAN, parseIpv6('fd00:100::3'));
  assert.notEqual(other, tAB);
  assert.equal(other & 0xffff, tAB & 0xffff, 'same slot');
  aLan.inject(eth(A_LAN_MAC, H0_MAC, INNER_AS_SENT));
  a.router.scheduler.poll();
  assert.equal(aWan.take().length, 0);
  assert.deepEqual(a.router.counters(), { 'ip6ip6-encap.no-tunnel': 2 });
  assert.equal(t.counter(other, TunnelCounter.EncapPackets), 0);

  // the owner points its route at the new tunnel: traffic flows again
  neighbor(a.router, a.router.requireInterface('wan0'), parseIpv6('fd00:100::3'), B_WAN_MAC);
  a.router.addRoute({ prefix: FAR_NET, prefixLen: 48, kind: RouteKind.Tunnel, tunnel: other });
  aLan.inject(eth(A_LAN_MAC, H0_MAC, INNER_AS_SENT));
  a.router.scheduler.poll();
  const [f] = takeN(aWan, 1);
  assertBytes(f!.subarray(14 + 24, 14 + 40), parseIpv6('fd00:100::3'));
  assert.equal(t.counter(other, TunnelCounter.EncapPackets), 1);
  assert.throws(() => t.release(tAB), { code: 'DMM_ERR_CONFIG_INVALID' });
});
