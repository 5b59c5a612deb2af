/**
 * The IPv6 path of a router, frames in and frames out: two Ethernet links on
 * MemoryDevices, neighbours configured as permanent, packets built with @dmm/wire and the
 * router's answers parsed back and checked field by field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6, parseMac } from '@dmm/testkit';
import {
  DestUnreachCode,
  Icmpv6,
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  ParamProblemCode,
  TimeExceededCode,
  Udp,
  UdpView,
  dataViewOf,
  formatIpv6,
  type Icmpv6Repr,
} from '@dmm/wire';
import { MemoryDevice, NeighborState, RouteKind, Router } from '@dmm/core';

const R_MAC0 = parseMac('02:00:00:00:aa:00');
const R_MAC1 = parseMac('02:00:00:00:aa:01');
const H0_MAC = parseMac('02:00:00:00:00:10');
const H1_MAC = parseMac('02:00:00:00:00:11');
const R0 = parseIpv6('2001:db8:0::1');
const R1 = parseIpv6('2001:db8:1::1');
const H0 = parseIpv6('2001:db8:0::10');
const H1 = parseIpv6('2001:db8:1::11');

function setup(opts: { mtu1?: number } = {}) {
  const router = new Router({ pool: { count: 256, debug: true } });
  const d0 = new MemoryDevice({ name: 'lan0', mac: R_MAC0 });
  const d1 = new MemoryDevice({ name: 'lan1', mac: R_MAC1, mtu: opts.mtu1 ?? 1500 });
  const i0 = router.addInterface({ name: 'lan0', device: d0 });
  const i1 = router.addInterface({ name: 'lan1', device: d1 });
  router.addAddress(i0, R0, 64);
  router.addAddress(i1, R1, 64);
  const n0 = router.neighbors.create(i0.index, H0, 0, NeighborState.Permanent);
  router.neighbors.setMac(n0, H0_MAC);
  const n1 = router.neighbors.create(i1.index, H1, 0, NeighborState.Permanent);
  router.neighbors.setMac(n1, H1_MAC);
  return { router, d0, d1, i0, i1 };
}

/** An Ethernet frame carrying IPv6 with `payload` after the fixed header. */
function frame(
  dstMac: Uint8Array,
  srcMac: Uint8Array,
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  hopLimit: number,
  payload: Uint8Array,
): Uint8Array {
  const b = new Uint8Array(14 + 40 + payload.length);
  b.set(dstMac, 0);
  b.set(srcMac, 6);
  b[12] = 0x86;
  b[13] = 0xdd;
  const dv = dataViewOf(b);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: payload.length,
      nextHeader,
      hopLimit,
      src,
      dst,
    },
    new Ipv6View(b, dv, 14, b.length),
  );
  b.set(payload, 54);
  return b;
}

function udpFrame(hopLimit: number, size = 8, src = H0, dst = H1): Uint8Array {
  const payload = new Uint8Array(8 + size);
  const f = frame(R_MAC0, H0_MAC, src, dst, IpProto.Udp, hopLimit, payload);
  const dv = dataViewOf(f);
  const u = new UdpView(f, dv, 54, f.length);
  Udp.emit({ srcPort: 4000, dstPort: 5000, length: 8 + size }, u);
  u.fillChecksum(22, 38);
  return f;
}

function icmpFrame(
  repr: Icmpv6Repr,
  src: Uint8Array,
  dst: Uint8Array,
  dstMac = R_MAC0,
): Uint8Array {
  const len = Icmpv6.bufferLen(repr);
  const f = frame(dstMac, H0_MAC, src, dst, IpProto.Icmpv6, 64, new Uint8Array(len));
  const v = new Icmpv6View(f, dataViewOf(f), 54, f.length);
  Icmpv6.emit(repr, v);
  v.fillChecksum(22, 38);
  return f;
}

/** Parses an Ethernet + IPv6 + ICMPv6 frame the router sent, checking the checksum. */
function parseIcmpOut(f: Uint8Array) {
  const dv = dataViewOf(f);
  const ip = Ipv6.parse(new Ipv6View(f, dv, 14, f.length));
  assert.equal(ip.nextHeader, IpProto.Icmpv6);
  const v = new Icmpv6View(f, dv, 54, 54 + ip.payloadLength);
  assert.ok(v.verifyChecksum(22, 38), 'ICMPv6 checksum verifies');
  return { ip, icmp: Icmpv6.parse(v), dstMac: f.subarray(0, 6), srcMac: f.subarray(6, 12) };
}

test('router: forwards a UDP packet, decrementing the hop limit and rewriting both MACs', () => {
  const { router, d0, d1 } = setup();
  const f = udpFrame(64);
  d0.inject(f);
  router.scheduler.poll();
  const out = d1.take();
  assert.equal(out.length, 1);
  const o = out[0]!;
  assert.deepEqual([...o.subarray(0, 6)], [...H1_MAC], 'destination MAC from the neighbour table');
  assert.deepEqual([...o.subarray(6, 12)], [...R_MAC1], 'source MAC of the outgoing interface');
  assert.equal(o[14 + 7], 63, 'hop limit decremented');
  assert.deepEqual([...o.subarray(22)], [...f.subarray(22)], 'addresses and payload unchanged');
  assert.equal(router.pool.inUse, 0);
});

test('router: a feature on the ip6-input arc sees every received packet before validation', () => {
  const { router, d0, d1 } = setup();
  let seen = 0;
  router.graph.addFeature('ip6-input', {
    name: 'count-input',
    next: ['@arc-next'],
    errors: [],
    process(v, rt) {
      seen += v.length;
      for (let i = 0; i < v.length; i++) rt.next(0, v.items[i]!);
    },
  });
  d0.inject(udpFrame(64));
  router.scheduler.poll();
  assert.equal(seen, 1);
  assert.equal(d1.take().length, 1);
});

test('router: Ethernet padding beyond the payload length is trimmed', () => {
  const { router, d0, d1 } = setup();
  const f = udpFrame(64);
  const padded = new Uint8Array(f.length + 6);
  padded.set(f);
  d0.inject(padded);
  router.scheduler.poll();
  assert.equal(d1.take()[0]!.length, f.length);
});

test('router: answers an echo request to its own address, from that address', () => {
  const { router, d0 } = setup();
  d0.inject(
    icmpFrame({ kind: 'echo-request', id: 7, seq: 3, data: Uint8Array.of(1, 2, 3) }, H0, R0),
  );
  router.scheduler.poll();
  const out = d0.take();
  assert.equal(out.length, 1);
  const { ip, icmp, dstMac } = parseIcmpOut(out[0]!);
  assert.equal(formatIpv6(ip.src), '2001:db8::1');
  assert.equal(formatIpv6(ip.dst), '2001:db8::10');
  assert.equal(ip.hopLimit, 64);
  assert.equal(icmp.kind, 'echo-reply');
  const echo = icmp as { id: number; seq: number; data: Uint8Array };
  assert.equal(echo.id, 7);
  assert.equal(echo.seq, 3);
  assert.deepEqual([...echo.data], [1, 2, 3]);
  assert.deepEqual([...dstMac], [...H0_MAC]);
});

test('router: hop limit 1 gets Time Exceeded quoting the packet, hop limit 0 too', () => {
  for (const hl of [1, 0]) {
    const { router, d0, d1 } = setup();
    const f = udpFrame(hl);
    d0.inject(f);
    router.scheduler.poll();
    assert.equal(d1.take().length, 0);
    const { ip, icmp } = parseIcmpOut(d0.take()[0]!);
    assert.equal(icmp.kind, 'time-exceeded');
    assert.equal((icmp as { code: number }).code, TimeExceededCode.HopLimit);
    assert.equal(formatIpv6(ip.src), '2001:db8::1', 'from the receiving interface');
    assert.deepEqual([...(icmp as { invoking: Uint8Array }).invoking], [...f.subarray(14)]);
    assert.equal(router.counters()['ip6-lookup.hop-limit-exceeded'], 1);
    assert.equal(router.counters()['icmp6-error.sent'], 1);
  }
});

test('router: no route gets Destination Unreachable code 0', () => {
  const { router, d0 } = setup();
  d0.inject(udpFrame(64, 8, H0, parseIpv6('2001:db8:99::1')));
  router.scheduler.poll();
  const { icmp } = parseIcmpOut(d0.take()[0]!);
  assert.equal(icmp.kind, 'dest-unreachable');
  assert.equal((icmp as { code: number }).code, DestUnreachCode.NoRoute);
});

test('router: a packet bigger than the next link gets Packet Too Big with that MTU', () => {
  const { router, d0, d1 } = setup({ mtu1: 1280 });
  d0.inject(udpFrame(64, 1300));
  router.scheduler.poll();
  assert.equal(d1.take().length, 0);
  const { ip, icmp } = parseIcmpOut(d0.take()[0]!);
  assert.equal(icmp.kind, 'packet-too-big');
  assert.equal((icmp as { mtu: number }).mtu, 1280);
  assert.ok(ip.payloadLength + 40 <= 1280, 'error fits the minimum MTU (RFC 4443 §2.4(c))');
});

test('router: an unknown Next Header for us gets Parameter Problem code 1 pointing at it', () => {
  const { router, d0 } = setup();
  d0.inject(frame(R_MAC0, H0_MAC, H0, R0, 253, 64, new Uint8Array(8)));
  router.scheduler.poll();
  const { icmp } = parseIcmpOut(d0.take()[0]!);
  assert.equal(icmp.kind, 'param-problem');
  assert.equal((icmp as { code: number }).code, ParamProblemCode.UnknownNextHeader);
  assert.equal((icmp as { pointer: number }).pointer, 6);
});

test('router: UDP to the router gets Port Unreachable', () => {
  const { router, d0 } = setup();
  d0.inject(udpFrame(64, 8, H0, R0));
  router.scheduler.poll();
  const { icmp } = parseIcmpOut(d0.take()[0]!);
  assert.equal(icmp.kind, 'dest-unreachable');
  assert.equal((icmp as { code: number }).code, DestUnreachCode.PortUnreachable);
});

test('router: no ICMPv6 error about an ICMPv6 error, a multicast packet, or beyond the rate limit', () => {
  const { router, d0 } = setup();
  // a Destination Unreachable (an error) to an unroutable destination: dropped silently
  d0.inject(
    icmpFrame(
      { kind: 'dest-unreachable', code: 0, invoking: new Uint8Array(48) },
      H0,
      parseIpv6('2001:db8:99::1'),
    ),
  );
  router.scheduler.poll();
  assert.equal(d0.take().length, 0);
  assert.equal(router.counters()['icmp6-error.about-error'], 1);

  const limited = new Router({ pool: { count: 512 }, icmpErrorRate: 0, icmpErrorBurst: 5 });
  const d = new MemoryDevice({ mac: R_MAC0 });
  const i = limited.addInterface({ name: 'lan0', device: d });
  limited.addAddress(i, R0, 64);
  limited.neighbors.setMac(
    limited.neighbors.create(i.index, H0, 0, NeighborState.Permanent),
    H0_MAC,
  );
  for (let k = 0; k < 20; k++) d.inject(udpFrame(64, 8, H0, parseIpv6('2001:db8:99::1')));
  limited.scheduler.poll();
  assert.equal(d.take().length, 5, 'burst of 5, then nothing (rate 0)');
  assert.equal(limited.counters()['icmp6-error.rate-limited'], 15);
});

test('router: malformed frames go to named counters', () => {
  const { router, d0, d1 } = setup();
  const good = udpFrame(64);
  const cases: [string, Uint8Array][] = [
    ['ethernet-input.truncated', good.subarray(0, 10)],
    [
      'ethernet-input.not-for-us',
      (() => {
        const f = Uint8Array.from(good);
        f[5] = 0x99;
        return f;
      })(),
    ],
    [
      'ethernet-input.unsupported-ethertype',
      (() => {
        const f = Uint8Array.from(good);
        f[12] = 0x08;
        f[13] = 0x00;
        return f;
      })(),
    ],
    ['ip6-input.truncated', good.subarray(0, 14 + 39)],
    [
      'ip6-input.bad-version',
      (() => {
        const f = Uint8Array.from(good);
        f[14] = 0x40;
        return f;
      })(),
    ],
    [
      'ip6-input.truncated',
      (() => {
        const f = Uint8Array.from(good);
        f[18] = 0x10;
        return f;
      })(),
    ],
    ['ip6-input.source-multicast', udpFrame(64, 8, parseIpv6('ff02::1'), H1)],
    ['ip6-input.loopback-address', udpFrame(64, 8, H0, parseIpv6('::1'))],
    ['ip6-input.multicast-not-joined', udpFrame(64, 8, H0, parseIpv6('ff05::99'))],
    ['ip6-lookup.link-local-destination', udpFrame(64, 8, H0, parseIpv6('fe80::99'))],
  ];
  for (const [, f] of cases) d0.inject(f);
  router.scheduler.poll();
  assert.equal(d1.take().length, 0);
  const c = router.counters();
  const want: Record<string, number> = {};
  for (const [k] of cases) want[k] = (want[k] ?? 0) + 1;
  for (const [k, n] of Object.entries(want)) assert.equal(c[k], n, k);
  assert.equal(router.pool.inUse, 0);
});

test('router: blackhole, unreachable and prohibit routes', () => {
  const { router, d0 } = setup();
  router.addRoute({ prefix: parseIpv6('2001:db8:a::'), prefixLen: 48, kind: RouteKind.Blackhole });
  router.addRoute({ prefix: parseIpv6('2001:db8:b::'), prefixLen: 48, kind: RouteKind.Prohibit });
  d0.inject(udpFrame(64, 8, H0, parseIpv6('2001:db8:a::1')));
  d0.inject(udpFrame(64, 8, H0, parseIpv6('2001:db8:b::1')));
  router.scheduler.poll();
  const out = d0.take();
  assert.equal(out.length, 1);
  const { icmp } = parseIcmpOut(out[0]!);
  assert.equal((icmp as { code: number }).code, DestUnreachCode.AdminProhibited);
  assert.equal(router.counters()['ip6-lookup.blackhole'], 1);
});

test('router: an interface-bound table comes first for packets arriving on it; route hits are counted', () => {
  const { router, d0, d1, i0, i1 } = setup();
  const gw = parseIpv6('2001:db8:1::22');
  const gwMac = parseMac('02:00:00:00:00:22');
  router.neighbors.setMac(router.neighbors.create(i1.index, gw, 0, NeighborState.Permanent), gwMac);
  const r = router.addRoute({
    table: 101,
    prefix: parseIpv6('::'),
    prefixLen: 0,
    ifIndex: i1.index,
    gateway: gw,
  });
  i0.inputTable = 101;
  d0.inject(udpFrame(64, 8, H0, H1)); // H1 is on-link in main, but lan0's table wins
  router.scheduler.poll();
  const out = d1.take();
  assert.deepEqual([...out[0]!.subarray(0, 6)], [...gwMac]);
  assert.equal(router.routes.hits[r.id], 1);
});

test('router: source rules pick another table, falling back to main', () => {
  const { router, d0, d1, i1 } = setup();
  const gw = parseIpv6('2001:db8:1::22');
  const gwMac = parseMac('02:00:00:00:00:22');
  const n = router.neighbors.create(i1.index, gw, 0, NeighborState.Permanent);
  router.neighbors.setMac(n, gwMac);
  router.addRoute({
    table: 100,
    prefix: parseIpv6('::'),
    prefixLen: 0,
    ifIndex: i1.index,
    gateway: gw,
  });
  router.routes.addRule(parseIpv6('2001:db8:0:5::'), 64, 100);
  // from the rule's prefix to anywhere: table 100's default route via gw
  d0.inject(udpFrame(64, 8, parseIpv6('2001:db8:0:5::1'), parseIpv6('2001:db8:77::1')));
  // from the rule's prefix to H1: table 100 has a default, so gw too (longest match in table 100)
  // from elsewhere to H1: main table, on-link
  d0.inject(udpFrame(64, 8, H0, H1));
  router.scheduler.poll();
  const out = d1.take();
  assert.equal(out.length, 2);
  assert.deepEqual([...out[0]!.subarray(0, 6)], [...gwMac]);
  assert.deepEqual([...out[1]!.subarray(0, 6)], [...H1_MAC]);
});
