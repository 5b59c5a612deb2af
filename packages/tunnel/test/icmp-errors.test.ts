/**
 * ICMPv6 errors about tunnel packets (RFC 2473 §8) across a real backbone router: A — C — B,
 * C's link to B narrower than A's.
 *
 * Vector provenance (Debian scapy 2.5.0, /usr/bin/python3):
 *  - PTB_1360_HDRS: `mid = IPv6(src="2001:db8:1:1::100", dst="2001:db8:ffff::1",
 *    hlim=64)/ICMPv6EchoRequest(id=1, seq=4, data=bytes(i & 0xff for i in range(1412)))`;
 *    `IPv6(src="2001:db8:1:1::1", dst="2001:db8:1:1::100", hlim=64)/
 *    ICMPv6PacketTooBig(mtu=1360)/Raw(bytes(mid)[:1232])` — first 48 bytes (the rest is the
 *    quoted prefix of `mid`; checksum 0xc75b covers it).
 *  - RELAYED_DU: `IPv6(src="fd00:100::2", dst="2001:db8:1:1::100", hlim=64)/
 *    ICMPv6DestUnreach(code=3)/IPv6(src="2001:db8:1:1::100", dst="2001:db8:ffff::1",
 *    hlim=63)/ICMPv6EchoRequest(id=1, seq=1, data=b"abcd")` — the whole packet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, hex, parseIpv6 } from '@dmm/testkit';
import { TunnelCounter, type TunnelMtuCause } from '@dmm/tunnel';
import {
  A_LAN_MAC,
  A_WAN,
  A_WAN_MAC,
  C0,
  C0_MAC,
  H0,
  H0_MAC,
  H1,
  echoH0toH1,
  eth,
  icmpOf,
  icmpPacket,
  pattern,
  runUntilQuiet,
  takeN,
  threeRouters,
  tick,
  twoRouters,
  withHopLimit,
} from './lab.js';

const PTB_1360_HDRS = hex`
  60000000 04d8 3a 40  2001:db8:1:1::1  2001:db8:1:1::100
  02 00 c75b 00000550   // Packet Too Big, checksum 0xc75b, MTU 1360`;

const RELAYED_DU = hex`
  60000000 003c 3a 40  fd00:100::2  2001:db8:1:1::100
  01 03 37c3 00000000   // Destination Unreachable, code 3 (address unreachable)
  60000000 000c 3a 3f  2001:db8:1:1::100  2001:db8:ffff::1
  80 00 5e7b 0001 0001 61626364`;

/** The small echo request of protocol.md §5.2, as H0 sends it. */
const SMALL = echoH0toH1(64, 1, hex`61626364`);

test('PTB from a backbone router lowers the tunnel MTU; the next big inner packet gets PTB 1360', async () => {
  const { a, b, c, aLan, bLan, tAB } = await threeRouters({ cbMtu: 1400 });
  const events: [number, number, number, TunnelMtuCause][] = [];
  a.tunnels.events.on('tunnel:mtu', (...e) => events.push(e));
  assert.equal(a.tunnels.info(tAB)!.mtu, 1460);
  const routers = [a.router, c, b.router];

  // 1460 bytes fit A's tunnel (1500 outer) but not C's link to B
  const mid = echoH0toH1(64, 4, pattern(1412));
  assert.equal(mid.length, 1460);
  aLan.inject(eth(A_LAN_MAC, H0_MAC, mid));
  runUntilQuiet(...routers);
  assert.equal(bLan.take().length, 0, 'lost at C');
  assert.equal(aLan.take().length, 0, 'H0 hears nothing yet (RFC 2473 §8: A absorbs the PTB)');
  assert.deepEqual(
    c.counters(),
    { 'ip6-lookup.too-big': 1, 'icmp6-error.sent': 1 },
    'C sent Packet Too Big to A',
  );
  const info = a.tunnels.info(tAB)!;
  assert.equal(info.pathMtu, 1400);
  assert.equal(info.mtu, 1360);
  assert.equal(info.learnedPathMtu, 1400);
  assert.equal(info.ptbReceived, 1);
  assert.equal(a.router.counters()['ip6ip6-icmp-error.ptb-applied'], 1);
  assert.deepEqual(events, [], 'the event comes after the breath');
  await tick();
  assert.deepEqual(events, [[tAB, 1360, 1400, 'packet-too-big']]);

  // the source retries: now A answers with the tunnel MTU
  aLan.inject(eth(A_LAN_MAC, H0_MAC, mid));
  runUntilQuiet(...routers);
  const [f] = takeN(aLan, 1);
  const { packet, icmp } = icmpOf(f!);
  assertBytes(packet.subarray(0, 48), PTB_1360_HDRS);
  assertBytes(packet.subarray(48), mid.subarray(0, 1232));
  assert.ok(icmp.kind === 'packet-too-big' && icmp.mtu === 1360);

  // a packet of the new tunnel MTU crosses
  const fits = echoH0toH1(64, 5, pattern(1312));
  assert.equal(fits.length, 1360);
  aLan.inject(eth(A_LAN_MAC, H0_MAC, fits));
  runUntilQuiet(...routers);
  const [g] = takeN(bLan, 1);
  assertBytes(g!.subarray(14), withHopLimit(fits, 62));
});

test('PTB: below 1280 is discarded, not lower is ignored, from elsewhere is not ours (RFC 8201 §4)', async () => {
  const { a, aWan, tAB } = await twoRouters({ pair: false });
  // A's outer packet, as B's link would quote it
  aWan.take();
  const outer = hex`60000000 0034 29 40 fd00:100::2 fd00:100::1`;
  const quote = new Uint8Array(outer.length + SMALL.length);
  quote.set(outer);
  quote.set(withHopLimit(SMALL, 63), 40);
  const ptb = (mtu: number, to: Uint8Array = A_WAN, q: Uint8Array = quote): Uint8Array =>
    eth(A_WAN_MAC, C0_MAC, icmpPacket(C0, to, 64, { kind: 'packet-too-big', mtu, invoking: q }));
  aWan.inject(ptb(1200));
  aWan.inject(ptb(1500));
  aWan.inject(ptb(1600));
  // a PTB about the tunnel packet but sent to another address of A (lan0's)
  aWan.inject(ptb(1400, parseIpv6('2001:db8:1:1::1')));
  // a PTB about a packet that is not a tunnel packet (H0 → H1)
  aWan.inject(ptb(1400, A_WAN, withHopLimit(SMALL, 63)));
  a.router.scheduler.poll();
  assert.deepEqual(a.router.counters(), {
    'ip6ip6-icmp-error.ptb-below-minimum': 1,
    'ip6ip6-icmp-error.ptb-not-lower': 2,
    'ip6ip6-icmp-error.not-tunnel': 2,
  });
  assert.equal(a.tunnels.info(tAB)!.pathMtu, 1500);
  assert.equal(a.tunnels.counter(tAB, TunnelCounter.PtbReceived), 3);
  // the path MTU floor is the IPv6 minimum: a PTB of exactly 1280 is applied
  aWan.inject(ptb(1280));
  a.router.scheduler.poll();
  assert.equal(a.tunnels.info(tAB)!.pathMtu, 1280);
  assert.equal(a.tunnels.info(tAB)!.mtu, 1280);
  assert.equal(aWan.take().length, 0, 'no answer to any of them');
  assert.equal(a.router.pool.inUse, 0);
});

test('Time Exceeded inside the tunnel is relayed to the inner source as Destination Unreachable code 3', async () => {
  // outer hop limit 1: C cannot forward A's tunnel packets
  const { a, b, c, aLan, bLan, tAB } = await threeRouters({ config: { hopLimit: 1 } });
  aLan.inject(eth(A_LAN_MAC, H0_MAC, SMALL));
  runUntilQuiet(a.router, c, b.router);
  assert.equal(bLan.take().length, 0);
  assert.equal(c.counters()['icmp6-error.sent'], 1, 'C sent Time Exceeded to A');
  const [f] = takeN(aLan, 1);
  assertBytes(f!.subarray(0, 12), hex`${'02:00:00:00:00:10'} ${'02:00:00:00:0a:00'}`);
  // from the tunnel's local address (the interface the error arrived on, RFC 4443 §2.2(c))
  assertBytes(f!.subarray(14), RELAYED_DU);
  assert.equal(a.tunnels.counter(tAB, TunnelCounter.ErrorsRelayed), 1);
  assert.deepEqual(a.router.counters(), {
    'ip6ip6-icmp-error.relayed': 1,
    'icmp6-error.sent': 1,
  });
});

test('Destination Unreachable about a tunnel packet is relayed; without the inner header it is dropped', async () => {
  const { a, aWan, aLan, tAB } = await twoRouters({ pair: false });
  const outer = hex`60000000 0034 29 40 fd00:100::2 fd00:100::1`;
  const full = new Uint8Array(40 + SMALL.length);
  full.set(outer);
  full.set(withHopLimit(SMALL, 63), 40);
  const du = (q: Uint8Array): Uint8Array =>
    eth(
      A_WAN_MAC,
      C0_MAC,
      icmpPacket(C0, A_WAN, 64, { kind: 'dest-unreachable', code: 0, invoking: q }),
    );
  aWan.inject(du(full));
  aWan.inject(du(full.slice(0, 60))); // outer header + 20 bytes of the inner one
  aWan.inject(
    eth(
      A_WAN_MAC,
      C0_MAC,
      icmpPacket(C0, A_WAN, 64, { kind: 'param-problem', code: 0, pointer: 7, invoking: full }),
    ),
  );
  a.router.scheduler.poll();
  const frames = takeN(aLan, 2);
  for (const f of frames) {
    const { ip, icmp } = icmpOf(f);
    assert.deepEqual(ip.src, A_WAN);
    assert.deepEqual(ip.dst, H0);
    assert.ok(icmp.kind === 'dest-unreachable' && icmp.code === 3);
    assertBytes(icmp.invoking, withHopLimit(SMALL, 63));
  }
  assert.equal(a.tunnels.counter(tAB, TunnelCounter.ErrorsRelayed), 2);
  assert.deepEqual(a.router.counters(), {
    'ip6ip6-icmp-error.relayed': 2,
    'ip6ip6-icmp-error.inner-not-quoted': 1,
    'icmp6-error.sent': 2,
  });
});

test('an error about an ICMPv6 error inside the tunnel is not relayed (RFC 4443 §2.4(e))', async () => {
  const { a, aWan, aLan } = await twoRouters({ pair: false });
  // A tunnelled a Time Exceeded of its own to H1's side; that packet met an error
  const te = icmpPacket(H0, H1, 63, {
    kind: 'time-exceeded',
    code: 0,
    invoking: hex`60000000 0000 3b 01 2001:db8:ffff::1 2001:db8:1:1::100`,
  });
  const q = new Uint8Array(40 + te.length);
  q.set(hex`60000000 0000 29 40 fd00:100::2 fd00:100::1`);
  q[5] = te.length;
  q.set(te, 40);
  aWan.inject(
    eth(
      A_WAN_MAC,
      C0_MAC,
      icmpPacket(C0, A_WAN, 64, { kind: 'dest-unreachable', code: 3, invoking: q }),
    ),
  );
  a.router.scheduler.poll();
  assert.equal(aLan.take().length, 0);
  assert.deepEqual(a.router.counters(), {
    'ip6ip6-icmp-error.relayed': 1,
    'icmp6-error.about-error': 1,
  });
});
