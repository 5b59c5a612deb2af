import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, filled, headerSuite, hex, parseIpv6, parseMac } from '@dmm/testkit';
import {
  ETH_HEADER_LEN,
  Ethernet,
  EthernetView,
  type Icmpv6View,
  Ipv6,
  Ipv6View,
  NdOptionCursor,
  NdOptionType,
  NdOptionView,
  NeighborAdvert,
  NeighborAdvertView,
  NeighborSolicit,
  NeighborSolicitView,
  Redirect,
  RedirectView,
  RouterAdvert,
  RouterAdvertView,
  RouterPreference,
  RouterSolicit,
  RouterSolicitView,
  WireCheck,
  WireError,
  dataViewOf,
  formatNeighborAdvert,
  formatNeighborSolicit,
  formatRedirect,
  formatRouterAdvert,
  formatRouterSolicit,
  type NeighborAdvertRepr,
  type NeighborSolicitRepr,
  type RedirectRepr,
  type RouterAdvertRepr,
  type RouterSolicitRepr,
} from '@dmm/wire';

const R_MAC = parseMac('02:00:00:00:00:0a');
const MN_MAC = parseMac('02:00:00:00:00:01');
const R_LL = parseIpv6('fe80::1');
const MN_LL = parseIpv6('fe80::ff:fe00:1');

// ---------------------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------------------

// protocol.md §5.2 RA, ICMPv6 part only, verbatim (two independent encoders; checksum 0x2f20
// for fe80::1 → ff02::1; tshark "[correct]").
const RA_ICMP = hex`
  86002f20400807080000000000000000010102000000000a05010000000005dc030440c000
  015180000038400000000020010db8000200010000000000000000030440c000000e100000
  00000000000020010db8000100010000000000000000180330180000070820010db8000100
  000000000000000000`;
// Its IPv6 header per RFC 4861 §4.2 (written by hand: link-local source, hop limit 255,
// payload 120 bytes).
const RA_IP6 = hex`60000000 0078 3a ff  fe80::1  ff02::1`;

// Built with scapy 2.5 (Debian python3-scapy) by
//   raw(IPv6(src='fe80::1', dst='fe80::ff:fe00:1', hlim=255)
//       /ICMPv6ND_RA(chlim=64, M=1, O=1, H=0, prf=3, P=1, routerlifetime=600,
//                    reachabletime=30000, retranstimer=1000)
//       /ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:0a')
//       /ICMPv6NDOptRDNSS(lifetime=600, dns=['2001:db8::53', '2001:db8::54'])
//       /ICMPv6NDOptDNSSL(lifetime=600, searchlist=['example.org'])
//       /ICMPv6NDOptRouteInfo(len=1, plen=0, prf=1, rtlifetime=1800))
const RA2_PACKET = hex`
  60000000 00603aff  fe80::1  fe80::ff:fe00:1
  86 00 36b4  40 dc 0258  00007530  000003e8     // hlim 64, M|O|Prf low|P, 600 s, 30 s, 1 s
  010102000000000a                               // SLLA
  19050000 00000258 2001:db8::53 2001:db8::54    // RDNSS
  1f03000000000258076578616d706c65036f726700000000  // DNSSL (not decoded: unknown)
  1801000800000708                               // RIO ::/0 prf high`;

// scapy 2.5: raw(Ether(dst='33:33:00:00:00:02', src='02:00:00:00:00:01')
//   /IPv6(src='fe80::ff:fe00:1', dst='ff02::2', hlim=255)
//   /ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:01'))
const RS_FRAME = hex`
  33:33:00:00:00:02  02:00:00:00:00:01  86dd
  60000000 00103aff  fe80::ff:fe00:1  ff02::2
  85 00 7b2c  00000000  0101 02:00:00:00:00:01`;
const RS_PACKET = RS_FRAME.subarray(ETH_HEADER_LEN);

// scapy 2.5: raw(IPv6(src='fe80::1', dst='ff02::1:ff00:1', hlim=255)
//   /ICMPv6ND_NS(tgt='fe80::ff:fe00:1')/ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:0a'))
const NS_PACKET = hex`
  60000000 00203aff  fe80::1  ff02::1:ff00:1
  87 00 7b90  00000000  fe80::ff:fe00:1
  0101 02:00:00:00:00:0a`;

// scapy 2.5: raw(IPv6(src='::', dst='ff02::1:ff00:1', hlim=255)/ICMPv6ND_NS(tgt='fe80::ff:fe00:1'))
// (a Duplicate Address Detection probe: unspecified source, no options)
const NS_DAD_PACKET = hex`
  60000000 00183aff  ::  ff02::1:ff00:1
  87 00 7d25  00000000  fe80::ff:fe00:1`;

// scapy 2.5: raw(IPv6(src='fe80::1', dst='fe80::ff:fe00:1', hlim=255)
//   /ICMPv6ND_NA(R=1, S=1, O=1, tgt='fe80::1')/ICMPv6NDOptDstLLAddr(lladdr='02:00:00:00:00:0a'))
const NA_RSO_PACKET = hex`
  60000000 00203aff  fe80::1  fe80::ff:fe00:1
  88 00 9913  e0000000  fe80::1
  0201 02:00:00:00:00:0a`;

// scapy 2.5: raw(IPv6(src='fe80::ff:fe00:1', dst='fe80::1', hlim=255)
//   /ICMPv6ND_NA(R=0, S=1, O=0, tgt='fe80::ff:fe00:1'))
const NA_S_PACKET = hex`
  60000000 00183aff  fe80::ff:fe00:1  fe80::1
  88 00 3e27  40000000  fe80::ff:fe00:1`;

// scapy 2.5: raw(IPv6(src='fe80::1', dst='fe80::ff:fe00:1', hlim=255)
//   /ICMPv6ND_Redirect(tgt='fe80::2', dst='2001:db8:ffff::1')
//   /ICMPv6NDOptDstLLAddr(lladdr='02:00:00:00:00:0b')
//   /ICMPv6NDOptRedirectedHdr(pkt=raw(IPv6(src='2001:db8:1:1::100', dst='2001:db8:ffff::1',
//        hlim=63)/ICMPv6EchoRequest(id=1, seq=1, data=b'abcd'))))
const REDIRECT_PACKET = hex`
  60000000 00683aff  fe80::1  fe80::ff:fe00:1
  89 00 70ca  00000000  fe80::2  2001:db8:ffff::1
  0201 02:00:00:00:00:0b
  0407 000000000000 60000000000c3a3f 2001:db8:1:1::100 2001:db8:ffff::1 80005e7b00010001`;

// ---------------------------------------------------------------------------------------
// Reprs
// ---------------------------------------------------------------------------------------

const RA_REPR: RouterAdvertRepr = {
  curHopLimit: 64,
  managed: false,
  other: false,
  homeAgent: false,
  prf: RouterPreference.High,
  proxy: false,
  routerLifetime: 1800,
  reachableTime: 0,
  retransTimer: 0,
  options: [
    { kind: 'source-lla', addr: R_MAC },
    { kind: 'mtu', mtu: 1500 },
    {
      kind: 'prefix-info',
      prefixLength: 64,
      onLink: true,
      autonomous: true,
      routerAddress: false,
      validLifetime: 86400,
      preferredLifetime: 14400,
      prefix: parseIpv6('2001:db8:2:1::'),
    },
    {
      kind: 'prefix-info',
      prefixLength: 64,
      onLink: true,
      autonomous: true,
      routerAddress: false,
      validLifetime: 3600,
      preferredLifetime: 0,
      prefix: parseIpv6('2001:db8:1:1::'),
    },
    {
      kind: 'route-info',
      prefixLength: 48,
      prf: RouterPreference.Low,
      routeLifetime: 1800,
      prefix: parseIpv6('2001:db8:1::'),
      length: 3,
    },
  ],
};

const RA2_REPR: RouterAdvertRepr = {
  curHopLimit: 64,
  managed: true,
  other: true,
  homeAgent: false,
  prf: RouterPreference.Low,
  proxy: true,
  routerLifetime: 600,
  reachableTime: 30000,
  retransTimer: 1000,
  options: [
    { kind: 'source-lla', addr: R_MAC },
    {
      kind: 'rdnss',
      lifetime: 600,
      servers: [parseIpv6('2001:db8::53'), parseIpv6('2001:db8::54')],
    },
    { kind: 'unknown', type: 31, data: hex`0000 00000258 076578616d706c65036f726700000000` },
    {
      kind: 'route-info',
      prefixLength: 0,
      prf: RouterPreference.High,
      routeLifetime: 1800,
      prefix: new Uint8Array(16),
    },
  ],
};

const RS_REPR: RouterSolicitRepr = { options: [{ kind: 'source-lla', addr: MN_MAC }] };
const NS_REPR: NeighborSolicitRepr = {
  target: MN_LL,
  options: [{ kind: 'source-lla', addr: R_MAC }],
};
const NS_DAD_REPR: NeighborSolicitRepr = { target: MN_LL, options: [] };
const NA_RSO_REPR: NeighborAdvertRepr = {
  router: true,
  solicited: true,
  override: true,
  target: R_LL,
  options: [{ kind: 'target-lla', addr: R_MAC }],
};
const NA_S_REPR: NeighborAdvertRepr = {
  router: false,
  solicited: true,
  override: false,
  target: MN_LL,
  options: [],
};
const REDIRECT_REPR: RedirectRepr = {
  target: parseIpv6('fe80::2'),
  destination: parseIpv6('2001:db8:ffff::1'),
  options: [
    { kind: 'target-lla', addr: parseMac('02:00:00:00:00:0b') },
    { kind: 'redirected-header', data: REDIRECT_PACKET.subarray(40 + 40 + 8 + 8) },
  ],
};

// ---------------------------------------------------------------------------------------
// The standard suite, checksum and full-packet tests for every message
// ---------------------------------------------------------------------------------------

interface Codec<R, V> {
  bufferLen(r: R): number;
  parse(v: V): R;
  emit(r: R, v: V): void;
}

interface NdCase<R, V extends Icmpv6View> {
  name: string;
  /** Whole IPv6 packet (header + ICMPv6 message). */
  packet: Uint8Array;
  provenance: string;
  fixedLen: number;
  repr: R;
  codec: Codec<R, V>;
  view(b: Uint8Array, dv: DataView, off: number, end: number): V;
  readers(v: V): void;
  construct?(v: V): void;
}

/** ICMPv6 part with the checksum zeroed, as `emit` writes it. */
function zeroSum(msg: Uint8Array): Uint8Array {
  const b = Uint8Array.from(msg);
  b[2] = 0;
  b[3] = 0;
  return b;
}

/** Offsets where an option ends inside the message: a prefix cut there is a valid message. */
function optionBoundaries(msg: Uint8Array, fixedLen: number): number[] {
  const out = [fixedLen];
  for (let p = fixedLen; p < msg.length;) {
    p += msg[p + 1]! * 8;
    if (p < msg.length) out.push(p);
  }
  return out;
}

function ndSuite<R, V extends Icmpv6View>(c: NdCase<R, V>): void {
  const msg = zeroSum(c.packet.subarray(40));
  const layout = [
    { name: 'type', off: 0, len: 1 },
    { name: 'code', off: 1, len: 1 },
    { name: 'checksum', off: 2, len: 2 },
    { name: 'fixed fields', off: 4, len: c.fixedLen - 4 },
    { name: 'options', off: c.fixedLen, len: 1024 },
  ];
  headerSuite<R, V>({
    name: `${c.name} (checksum zeroed, as emit writes it)`,
    vector: msg,
    provenance: c.provenance,
    repr: c.repr,
    codec: c.codec,
    view: c.view,
    layout,
    validPrefixes: optionBoundaries(msg, c.fixedLen),
    readers(v) {
      assert.equal(v.code(), 0);
      assert.equal(v.checksum(), 0);
      c.readers(v);
    },
    ...(c.construct ? { construct: c.construct } : {}),
  });

  test(`${c.name}: checksum verifies, fillChecksum reproduces it, any flipped byte breaks it`, () => {
    const b = Uint8Array.from(c.packet);
    const v = c.view(b, dataViewOf(b), 40, b.length);
    assert.equal(v.check(), 0);
    assert.ok(v.verifyChecksum(8, 24));
    const want = v.checksum();
    v.fillChecksum(8, 24);
    assert.equal(v.checksum(), want);
    for (let i = 8; i < c.packet.length; i++) {
      const f = Uint8Array.from(c.packet);
      f[i]! ^= 0x80;
      assert.equal(
        c.view(f, dataViewOf(f), 40, f.length).verifyChecksum(8, 24),
        false,
        `byte ${i}`,
      );
    }
  });

  test(`${c.name}: whole packet rebuilt byte-exact by Ipv6.emit + codec emit + fillChecksum`, () => {
    const src = c.packet;
    const ip = Ipv6.parse(new Ipv6View(src, dataViewOf(src), 0, src.length));
    const b = filled(src.length + 3);
    const dv = dataViewOf(b);
    const len = c.codec.bufferLen(c.repr);
    Ipv6.emit({ ...ip, payloadLength: len }, new Ipv6View(b, dv, 0, 40 + len));
    const v = c.view(b, dv, 40, 40 + len);
    c.codec.emit(c.repr, v);
    v.fillChecksum(8, 24);
    assertBytes(
      b.subarray(0, 40 + len),
      src,
      layout.map((f) => ({ ...f, off: f.off + 40 })),
    );
    assert.equal(b[40 + len], 0xff);
  });

  test(`${c.name}: a zero-length option, an overrun and a wrong code are rejected`, () => {
    const m = c.packet.slice(40);
    const at = (b: Uint8Array): number => c.view(b, dataViewOf(b), 0, b.length).check();
    assert.equal(at(m), 0);
    const code = Uint8Array.from(m);
    code[1] = 1;
    assert.equal(at(code), WireCheck.BadField, 'code must be 0');
    const type = Uint8Array.from(m);
    type[0] = 200;
    assert.equal(at(type), WireCheck.WrongType);
    // An option made of a zero Length, appended after the real ones.
    const zero = Uint8Array.from([...m, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(at(zero), WireCheck.ZeroLengthOption);
    assert.throws(
      () => c.codec.parse(c.view(zero, dataViewOf(zero), 0, zero.length)),
      (e: unknown) => e instanceof WireError && e.reason === WireCheck.ZeroLengthOption,
    );
    // An option whose Length runs past the message.
    const over = Uint8Array.from([...m, 1, 2, 0, 0, 0, 0, 0, 0]);
    assert.equal(at(over), WireCheck.OptionOverrun);
    // A trailing byte too short to be an option.
    assert.equal(at(Uint8Array.from([...m, 1])), WireCheck.OptionOverrun);
  });
}

ndSuite<RouterAdvertRepr, RouterAdvertView>({
  name: 'nd router advertisement (protocol.md §5.2)',
  packet: Uint8Array.from([...RA_IP6, ...RA_ICMP]),
  provenance: 'protocol.md §5.2 RA (hand-written Python and scapy 2.5, tshark [correct])',
  fixedLen: 16,
  repr: RA_REPR,
  codec: RouterAdvert,
  view: (b, dv, off, end) => new RouterAdvertView(b, dv, off, end),
  readers(v) {
    assert.equal(v.type(), 134);
    assert.equal(v.curHopLimit(), 64);
    assert.equal(v.flagsByte(), 0x08);
    assert.equal(v.managed(), false);
    assert.equal(v.other(), false);
    assert.equal(v.homeAgent(), false);
    assert.equal(v.prf(), RouterPreference.High);
    assert.equal(v.proxy(), false);
    assert.equal(v.routerLifetime(), 1800);
    assert.equal(v.reachableTime(), 0);
    assert.equal(v.retransTimer(), 0);
    assert.equal(v.optionsOffset(), v.off + 16);
  },
  construct(v) {
    v.setType(134);
    v.setCode(0);
    v.setChecksum(0);
    v.setCurHopLimit(64);
    v.setFlagsByte(0);
    v.setPrf(RouterPreference.High);
    v.setRouterLifetime(1800);
    v.setReachableTime(0);
    v.setRetransTimer(0);
    v.bytes.set(RA_ICMP.subarray(16), v.optionsOffset());
  },
});

ndSuite<RouterAdvertRepr, RouterAdvertView>({
  name: 'nd router advertisement (M O P, prf low, RDNSS, unknown DNSSL, RIO ::/0)',
  packet: RA2_PACKET,
  provenance: 'scapy 2.5 (Debian python3-scapy) ICMPv6ND_RA + options, see RA2_PACKET',
  fixedLen: 16,
  repr: RA2_REPR,
  codec: RouterAdvert,
  view: (b, dv, off, end) => new RouterAdvertView(b, dv, off, end),
  readers(v) {
    assert.equal(v.flagsByte(), 0xdc);
    assert.equal(v.managed(), true);
    assert.equal(v.other(), true);
    assert.equal(v.homeAgent(), false);
    assert.equal(v.prf(), RouterPreference.Low);
    assert.equal(v.proxy(), true);
    assert.equal(v.routerLifetime(), 600);
    assert.equal(v.reachableTime(), 30000);
    assert.equal(v.retransTimer(), 1000);
  },
  construct(v) {
    v.setType(134);
    v.setCode(0);
    v.setChecksum(0);
    v.setCurHopLimit(64);
    v.setFlagsByte(0xff);
    v.setHomeAgent(false);
    v.setFlagsByte(0);
    v.setManaged(true);
    v.setOther(true);
    v.setPrf(RouterPreference.Low);
    v.setProxy(true);
    v.setRouterLifetime(600);
    v.setReachableTime(30000);
    v.setRetransTimer(1000);
    v.bytes.set(RA2_PACKET.subarray(40 + 16), v.optionsOffset());
  },
});

ndSuite<RouterSolicitRepr, RouterSolicitView>({
  name: 'nd router solicitation',
  packet: RS_PACKET,
  provenance: 'scapy 2.5 (Debian python3-scapy) Ether()/IPv6()/ICMPv6ND_RS()/SLLAO, see RS_FRAME',
  fixedLen: 8,
  repr: RS_REPR,
  codec: RouterSolicit,
  view: (b, dv, off, end) => new RouterSolicitView(b, dv, off, end),
  readers(v) {
    assert.equal(v.type(), 133);
    assert.equal(v.bodyWord(), 0);
    assert.equal(v.optionsOffset(), v.off + 8);
  },
  construct(v) {
    v.setType(133);
    v.setCode(0);
    v.setChecksum(0);
    v.setBodyWord(0);
    v.bytes.set(hex`0101 02:00:00:00:00:01`, v.optionsOffset());
  },
});

ndSuite<NeighborSolicitRepr, NeighborSolicitView>({
  name: 'nd neighbor solicitation (address resolution)',
  packet: NS_PACKET,
  provenance: 'scapy 2.5 (Debian python3-scapy) ICMPv6ND_NS + SLLAO, see NS_PACKET',
  fixedLen: 24,
  repr: NS_REPR,
  codec: NeighborSolicit,
  view: (b, dv, off, end) => new NeighborSolicitView(b, dv, off, end),
  readers(v) {
    assert.equal(v.type(), 135);
    assert.ok(v.targetEquals(MN_LL));
    assert.ok(!v.targetEquals(R_LL));
    assert.equal(v.targetOffset(), v.off + 8);
    const out = new Uint8Array(16);
    v.copyTargetInto(out);
    assertBytes(out, MN_LL);
  },
  construct(v) {
    v.setType(135);
    v.setCode(0);
    v.setChecksum(0);
    v.setBodyWord(0);
    v.setTarget(MN_LL);
    v.bytes.set(hex`0101 02:00:00:00:00:0a`, v.optionsOffset());
  },
});

ndSuite<NeighborSolicitRepr, NeighborSolicitView>({
  name: 'nd neighbor solicitation (DAD, no options)',
  packet: NS_DAD_PACKET,
  provenance: "scapy 2.5 (Debian python3-scapy) IPv6(src='::')/ICMPv6ND_NS, see NS_DAD_PACKET",
  fixedLen: 24,
  repr: NS_DAD_REPR,
  codec: NeighborSolicit,
  view: (b, dv, off, end) => new NeighborSolicitView(b, dv, off, end),
  readers(v) {
    assert.ok(v.targetEquals(MN_LL));
    assert.equal(v.optionsOffset(), v.end);
  },
});

ndSuite<NeighborAdvertRepr, NeighborAdvertView>({
  name: 'nd neighbor advertisement (R S O + TLLAO)',
  packet: NA_RSO_PACKET,
  provenance:
    'scapy 2.5 (Debian python3-scapy) ICMPv6ND_NA(R=1, S=1, O=1) + TLLAO, see NA_RSO_PACKET',
  fixedLen: 24,
  repr: NA_RSO_REPR,
  codec: NeighborAdvert,
  view: (b, dv, off, end) => new NeighborAdvertView(b, dv, off, end),
  readers(v) {
    assert.equal(v.type(), 136);
    assert.equal(v.router(), true);
    assert.equal(v.solicited(), true);
    assert.equal(v.override(), true);
    assert.ok(v.targetEquals(R_LL));
  },
  construct(v) {
    v.setType(136);
    v.setCode(0);
    v.setChecksum(0);
    v.setFlags(true, true, true);
    v.setTarget(R_LL);
    v.bytes.set(hex`0201 02:00:00:00:00:0a`, v.optionsOffset());
  },
});

ndSuite<NeighborAdvertRepr, NeighborAdvertView>({
  name: 'nd neighbor advertisement (S only)',
  packet: NA_S_PACKET,
  provenance: 'scapy 2.5 (Debian python3-scapy) ICMPv6ND_NA(R=0, S=1, O=0), see NA_S_PACKET',
  fixedLen: 24,
  repr: NA_S_REPR,
  codec: NeighborAdvert,
  view: (b, dv, off, end) => new NeighborAdvertView(b, dv, off, end),
  readers(v) {
    assert.equal(v.router(), false);
    assert.equal(v.solicited(), true);
    assert.equal(v.override(), false);
    assert.ok(v.targetEquals(MN_LL));
  },
  construct(v) {
    v.setType(136);
    v.setCode(0);
    v.setChecksum(0);
    v.setFlags(false, true, false);
    v.setTarget(MN_LL);
  },
});

ndSuite<RedirectRepr, RedirectView>({
  name: 'nd redirect (TLLAO + redirected header)',
  packet: REDIRECT_PACKET,
  provenance: 'scapy 2.5 (Debian python3-scapy) ICMPv6ND_Redirect + options, see REDIRECT_PACKET',
  fixedLen: 40,
  repr: REDIRECT_REPR,
  codec: Redirect,
  view: (b, dv, off, end) => new RedirectView(b, dv, off, end),
  readers(v) {
    assert.equal(v.type(), 137);
    assert.ok(v.targetEquals(parseIpv6('fe80::2')));
    assert.ok(v.destinationEquals(parseIpv6('2001:db8:ffff::1')));
    assert.equal(v.destinationOffset(), v.off + 24);
    const out = new Uint8Array(16);
    v.copyDestinationInto(out);
    assertBytes(out, parseIpv6('2001:db8:ffff::1'));
  },
  construct(v) {
    v.setType(137);
    v.setCode(0);
    v.setChecksum(0);
    v.setBodyWord(0);
    v.setTarget(parseIpv6('fe80::2'));
    v.setDestination(parseIpv6('2001:db8:ffff::1'));
    v.bytes.set(REDIRECT_PACKET.subarray(80), v.optionsOffset());
  },
});

// ---------------------------------------------------------------------------------------
// Extra tests
// ---------------------------------------------------------------------------------------

test('nd: the protocol.md RA is rebuilt with checksum 0x2f20 (fe80::1 → ff02::1)', () => {
  const b = filled(40 + RA_ICMP.length);
  const dv = dataViewOf(b);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: RouterAdvert.bufferLen(RA_REPR),
      nextHeader: 58,
      hopLimit: 255,
      src: R_LL,
      dst: parseIpv6('ff02::1'),
    },
    new Ipv6View(b, dv, 0, b.length),
  );
  const v = new RouterAdvertView(b, dv, 40, b.length);
  RouterAdvert.emit(RA_REPR, v);
  v.fillChecksum(8, 24);
  assert.equal(v.checksum(), 0x2f20);
  assertBytes(b.subarray(40), RA_ICMP);
  assertBytes(b.subarray(0, 40), RA_IP6);
});

test('nd: the scapy RS frame is rebuilt byte-exact with Ethernet + IPv6 + RS emitters', () => {
  const b = filled(RS_FRAME.length);
  const dv = dataViewOf(b);
  Ethernet.emit(
    { dst: parseMac('33:33:00:00:00:02'), src: MN_MAC, etherType: 0x86dd },
    new EthernetView(b, dv, 0, b.length),
  );
  const len = RouterSolicit.bufferLen(RS_REPR);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: len,
      nextHeader: 58,
      hopLimit: 255,
      src: MN_LL,
      dst: parseIpv6('ff02::2'),
    },
    new Ipv6View(b, dv, 14, b.length),
  );
  const v = new RouterSolicitView(b, dv, 54, b.length);
  RouterSolicit.emit(RS_REPR, v);
  v.fillChecksum(14 + 8, 14 + 24);
  assertBytes(b, RS_FRAME);
  assert.equal(v.checksum(), 0x7b2c);
});

test('nd: RA Prf 0b10 (reserved) reads as Medium (RFC 4191 §2.2)', () => {
  const m = zeroSum(RA_ICMP);
  m[5] = 0x10;
  const v = new RouterAdvertView(m, dataViewOf(m));
  assert.equal(v.check(), 0);
  assert.equal(v.prf(), RouterPreference.Medium);
  assert.equal(RouterAdvert.parse(v).prf, RouterPreference.Medium);
  m[5] = 0x18;
  assert.equal(v.prf(), RouterPreference.Low);
});

test('nd: with Router Lifetime 0 the Prf is ignored on parse and sent as Medium (RFC 4191 §2.2)', () => {
  const m = zeroSum(RA_ICMP);
  m[6] = 0;
  m[7] = 0; // router lifetime 0, Prf still High on the wire
  const r = RouterAdvert.parse(new RouterAdvertView(m, dataViewOf(m)));
  assert.equal(r.prf, RouterPreference.Medium);
  const out = filled(m.length);
  RouterAdvert.emit(
    { ...RA_REPR, routerLifetime: 0, prf: RouterPreference.High },
    new RouterAdvertView(out, dataViewOf(out)),
  );
  assert.equal(out[5], 0x00);
});

test('nd: the router skips options it does not know while walking an RA (DNSSL)', () => {
  const b = RA2_PACKET;
  const ra = new RouterAdvertView(b, dataViewOf(b), 40, b.length);
  assert.equal(ra.check(), 0);
  const cur = new NdOptionCursor().reset(b, ra.optionsOffset(), ra.end);
  const opt = new NdOptionView(b, ra.dv);
  const known: number[] = [];
  let skipped = 0;
  while (cur.next()) {
    switch (cur.type) {
      case NdOptionType.SourceLinkLayerAddr:
      case NdOptionType.RecursiveDnsServer:
      case NdOptionType.RouteInformation:
        assert.equal(opt.at(cur.off, cur.off + cur.len).check(), 0);
        known.push(cur.type);
        break;
      default:
        skipped++;
    }
  }
  assert.equal(cur.error, 0);
  assert.deepEqual(known, [1, 25, 24]);
  assert.equal(skipped, 1);
  assert.equal(opt.at(b.length - 8, b.length).optionType(), 24, 'the RIO after the unknown option');
});

test('nd: NS and NA with a multicast target, Redirect to a multicast destination are BadField', () => {
  const ns = NS_PACKET.slice(40);
  ns.set(parseIpv6('ff02::1'), 8);
  assert.equal(new NeighborSolicitView(ns, dataViewOf(ns)).check(), WireCheck.BadField);
  const na = NA_S_PACKET.slice(40);
  na.set(parseIpv6('ff02::1'), 8);
  assert.equal(new NeighborAdvertView(na, dataViewOf(na)).check(), WireCheck.BadField);
  const rd = REDIRECT_PACKET.slice(40);
  rd.set(parseIpv6('ff05::1:3'), 24);
  assert.equal(new RedirectView(rd, dataViewOf(rd)).check(), WireCheck.BadField);
});

test('nd: each view rejects the other ND types (WrongType) and messages shorter than its fixed part', () => {
  const ra = RA2_PACKET.slice(40);
  assert.equal(new NeighborSolicitView(ra, dataViewOf(ra)).check(), WireCheck.WrongType);
  assert.equal(new RouterSolicitView(ra, dataViewOf(ra)).check(), WireCheck.WrongType);
  const rs = RS_PACKET.slice(40);
  assert.equal(new RouterAdvertView(rs, dataViewOf(rs)).check(), WireCheck.WrongType);
  assert.equal(new RedirectView(rs, dataViewOf(rs)).check(), WireCheck.Truncated, '16 < 40');
  assert.equal(new NeighborAdvertView(rs, dataViewOf(rs), 0, 8).check(), WireCheck.Truncated);
});

test('nd: NA reserved bits are ignored on parse and written as 0', () => {
  const na = zeroSum(NA_S_PACKET.subarray(40));
  na[4] = 0x5f;
  na[7] = 0xff;
  const r = NeighborAdvert.parse(new NeighborAdvertView(na, dataViewOf(na)));
  assert.deepEqual({ ...r, target: null }, { ...NA_S_REPR, target: null });
  const out = filled(na.length);
  NeighborAdvert.emit(r, new NeighborAdvertView(out, dataViewOf(out)));
  assertBytes(out, zeroSum(NA_S_PACKET.subarray(40)));
});

test('nd: one-line text of every message', () => {
  assert.equal(
    formatRouterAdvert(RA_REPR),
    'router-advertisement hlim 64 prf high lifetime 1800 reachable 0 retrans 0; ' +
      'source-lla 02:00:00:00:00:0a; mtu 1500; ' +
      'prefix-info 2001:db8:2:1::/64 LA valid 86400 preferred 14400; ' +
      'prefix-info 2001:db8:1:1::/64 LA valid 3600 preferred 0; ' +
      'route-info 2001:db8:1::/48 prf low lifetime 1800',
  );
  assert.equal(
    formatRouterAdvert({ ...RA2_REPR, options: [] }),
    'router-advertisement hlim 64 MOP prf low lifetime 600 reachable 30000 retrans 1000',
  );
  assert.equal(formatRouterSolicit(RS_REPR), 'router-solicitation; source-lla 02:00:00:00:00:01');
  assert.equal(formatNeighborSolicit(NS_DAD_REPR), 'neighbor-solicitation who has fe80::ff:fe00:1');
  assert.equal(
    formatNeighborAdvert(NA_RSO_REPR),
    'neighbor-advertisement fe80::1 RSO; target-lla 02:00:00:00:00:0a',
  );
  assert.equal(
    formatRedirect(REDIRECT_REPR),
    'redirect 2001:db8:ffff::1 to fe80::2; target-lla 02:00:00:00:00:0b; redirected-header 48 bytes',
  );
});
