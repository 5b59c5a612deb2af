import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, filled, headerSuite, hex, parseIpv6 } from '@dmm/testkit';
import {
  DestUnreachCode,
  ICMPV6_ERROR_PACKET_LIMIT,
  ICMPV6_HEADER_LEN,
  Icmpv6,
  Icmpv6View,
  IPV6_MIN_MTU,
  Ipv6,
  Ipv6View,
  ParamProblemCode,
  WireCheck,
  WireError,
  dataViewOf,
  formatIcmpv6,
  icmpv6InvokingFit,
  isIcmpv6Error,
  type Icmpv6Repr,
} from '@dmm/wire';

// protocol.md §5.2 "ICMPv6 Packet Too Big" (two independent encoders, checksum 0x321b,
// tshark "[correct]"): fd00:100::2 → 2001:db8:ffff::1, MTU 1452, quoting the inner packet.
const PTB_PACKET = hex`
  60000000 003c3a40  fd00:100::2  2001:db8:ffff::1
  02 00 321b  000005ac                                      // type 2, code 0, cksum, MTU 1452
  60000000 000c3a3f 2001:db8:1:1::100 2001:db8:ffff::1 80005e7b 00010001 61626364`;

// protocol.md §5.2 "IPv6-in-IPv6": the echo request (id 1, seq 1, "abcd", checksum 0x5e7b)
// inside the tunnel packet; its pseudo-header is the inner header's.
const TUNNEL_PACKET = hex`
  60000000 00342940  fd00:100::2  fd00:100::1
  60000000 000c3a3f  2001:db8:1:1::100  2001:db8:ffff::1
  80 00 5e7b  0001 0001  61626364`;
const INNER = TUNNEL_PACKET.subarray(40);

// Built with scapy 2.5 (Debian python3-scapy) by
//   raw(IPv6(src='fd00:100::2', dst='2001:db8:1:1::100')/ICMPv6DestUnreach(code=3)/INNER)
// where INNER = IPv6(src='2001:db8:1:1::100', dst='2001:db8:ffff::1', hlim=63)
//               /ICMPv6EchoRequest(id=1, seq=1, data=b'abcd')  (the inner packet above)
const DU_PACKET = hex`
  60000000 003c3a40  fd00:100::2  2001:db8:1:1::100
  01 03 37c3  00000000
  60000000 000c3a3f 2001:db8:1:1::100 2001:db8:ffff::1 80005e7b 00010001 61626364`;

// scapy 2.5: raw(IPv6(src='fd00:100::2', dst='2001:db8:1:1::100')
//   /ICMPv6TimeExceeded(code=0)/INNER)
const TE_PACKET = hex`
  60000000 003c3a40  fd00:100::2  2001:db8:1:1::100
  03 00 35c6  00000000
  60000000 000c3a3f 2001:db8:1:1::100 2001:db8:ffff::1 80005e7b 00010001 61626364`;

// scapy 2.5: raw(IPv6(src='fd00:100::2', dst='2001:db8:1:1::100')
//   /ICMPv6ParamProblem(code=1, ptr=6)
//   /IPv6(src='2001:db8:1:1::100', dst='fd00:100::2', nh=253, hlim=64)/Raw(b'abcd'))
const PP_PACKET = hex`
  60000000 00343a40  fd00:100::2  2001:db8:1:1::100
  04 01 8002  00000006                                      // pointer 6: the Next Header byte
  60000000 0004fd40 2001:db8:1:1::100 fd00:100::2 61626364`;

// scapy 2.5: raw(IPv6(src='2001:db8:ffff::1', dst='2001:db8:1:1::100', hlim=64)
//   /ICMPv6EchoReply(id=0x1234, seq=7, data=b'dmm-router'))
const REPLY_PACKET = hex`
  60000000 00123a40  2001:db8:ffff::1  2001:db8:1:1::100
  81 00 f111  1234 0007  646d6d2d726f75746572`;

const LAYOUT = [
  { name: 'type', off: 0, len: 1 },
  { name: 'code', off: 1, len: 1 },
  { name: 'checksum', off: 2, len: 2 },
  { name: 'body word', off: 4, len: 4 },
  { name: 'data', off: 8, len: 1232 },
];

/** The ICMPv6 part of a packet with the checksum field zeroed: what `emit` writes. */
function zeroSum(msg: Uint8Array): Uint8Array {
  const b = Uint8Array.from(msg);
  b[2] = 0;
  b[3] = 0;
  return b;
}

const view = (b: Uint8Array, dv: DataView, off: number, end: number): Icmpv6View =>
  new Icmpv6View(b, dv, off, end);
/** Any prefix from the 8-byte header on is a valid (shorter) message: nothing says how long. */
const prefixesFrom8 = (len: number): number[] =>
  Array.from({ length: len - ICMPV6_HEADER_LEN }, (_, i) => i + ICMPV6_HEADER_LEN);

const INVOKING = INNER;

interface Case {
  name: string;
  packet: Uint8Array;
  provenance: string;
  repr: Icmpv6Repr;
  readers(v: Icmpv6View): void;
}

const CASES: Case[] = [
  {
    name: 'icmpv6 packet too big',
    packet: PTB_PACKET,
    provenance: 'protocol.md §5.2 Packet Too Big (hand-written Python and scapy 2.5)',
    repr: { kind: 'packet-too-big', mtu: 1452, invoking: INVOKING },
    readers(v) {
      assert.equal(v.type(), 2);
      assert.equal(v.code(), 0);
      assert.equal(v.mtu(), 1452);
      assert.equal(v.bodyWord(), 1452);
    },
  },
  {
    name: 'icmpv6 echo request (tunnelled)',
    packet: TUNNEL_PACKET.subarray(40),
    provenance: 'protocol.md §5.2 IPv6-in-IPv6 vector, inner echo request',
    repr: { kind: 'echo-request', id: 1, seq: 1, data: hex`61626364` },
    readers(v) {
      assert.equal(v.type(), 128);
      assert.equal(v.echoId(), 1);
      assert.equal(v.echoSeq(), 1);
      assert.equal(v.bodyWord(), 0x00010001);
    },
  },
  {
    name: 'icmpv6 echo reply',
    packet: REPLY_PACKET,
    provenance: 'scapy 2.5 (Debian python3-scapy) ICMPv6EchoReply, see REPLY_PACKET',
    repr: { kind: 'echo-reply', id: 0x1234, seq: 7, data: hex`646d6d2d726f75746572` },
    readers(v) {
      assert.equal(v.type(), 129);
      assert.equal(v.echoId(), 0x1234);
      assert.equal(v.echoSeq(), 7);
    },
  },
  {
    name: 'icmpv6 destination unreachable (address unreachable)',
    packet: DU_PACKET,
    provenance: 'scapy 2.5 (Debian python3-scapy) ICMPv6DestUnreach(code=3), see DU_PACKET',
    repr: {
      kind: 'dest-unreachable',
      code: DestUnreachCode.AddressUnreachable,
      invoking: INVOKING,
    },
    readers(v) {
      assert.equal(v.type(), 1);
      assert.equal(v.code(), 3);
      assert.equal(v.bodyWord(), 0);
    },
  },
  {
    name: 'icmpv6 time exceeded (hop limit)',
    packet: TE_PACKET,
    provenance: 'scapy 2.5 (Debian python3-scapy) ICMPv6TimeExceeded(code=0), see TE_PACKET',
    repr: { kind: 'time-exceeded', code: 0, invoking: INVOKING },
    readers(v) {
      assert.equal(v.type(), 3);
      assert.equal(v.code(), 0);
    },
  },
  {
    name: 'icmpv6 parameter problem (unknown next header)',
    packet: PP_PACKET,
    provenance: 'scapy 2.5 (Debian python3-scapy) ICMPv6ParamProblem(code=1, ptr=6), see PP_PACKET',
    repr: {
      kind: 'param-problem',
      code: ParamProblemCode.UnknownNextHeader,
      pointer: 6,
      invoking: PP_PACKET.subarray(48),
    },
    readers(v) {
      assert.equal(v.type(), 4);
      assert.equal(v.code(), 1);
      assert.equal(v.pointer(), 6);
    },
  },
];

for (const c of CASES) {
  const msg = zeroSum(c.packet.subarray(40));
  headerSuite<Icmpv6Repr, Icmpv6View>({
    name: `${c.name} (checksum zeroed, as emit writes it)`,
    vector: msg,
    provenance: c.provenance,
    repr: c.repr,
    codec: Icmpv6,
    view,
    layout: LAYOUT,
    validPrefixes: prefixesFrom8(msg.length),
    readers(v) {
      assert.equal(v.checksum(), 0);
      assert.equal(v.bodyOffset(), v.off + 4);
      assert.equal(v.dataOffset(), v.off + 8);
      assert.equal(v.messageLength(), msg.length);
      c.readers(v);
    },
  });

  test(`${c.name}: the vector's checksum verifies and fillChecksum reproduces it`, () => {
    const b = Uint8Array.from(c.packet);
    const v = new Icmpv6View(b, dataViewOf(b), 40, b.length);
    assert.equal(v.check(), 0);
    const want = v.checksum();
    assert.ok(v.verifyChecksum(8, 24));
    v.setChecksum(0);
    assert.equal(v.verifyChecksum(8, 24), false, 'a zeroed field does not verify');
    v.fillChecksum(8, 24);
    assert.equal(v.checksum(), want);
    assertBytes(b, c.packet);
  });

  test(`${c.name}: flipping any byte of the addresses or the message breaks the checksum`, () => {
    for (let i = 8; i < c.packet.length; i++) {
      const b = Uint8Array.from(c.packet);
      b[i]! ^= 0x01;
      const v = new Icmpv6View(b, dataViewOf(b), 40, b.length);
      assert.equal(v.verifyChecksum(8, 24), false, `byte ${i}`);
    }
  });
}

test('icmpv6: the §5.2 Packet Too Big packet is rebuilt byte-exact by Ipv6.emit + Icmpv6.emit + fillChecksum', () => {
  const b = filled(PTB_PACKET.length + 4);
  const dv = dataViewOf(b);
  const repr: Icmpv6Repr = { kind: 'packet-too-big', mtu: 1452, invoking: INVOKING };
  const icmpLen = Icmpv6.bufferLen(repr);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: icmpLen,
      nextHeader: 58,
      hopLimit: 64,
      src: parseIpv6('fd00:100::2'),
      dst: parseIpv6('2001:db8:ffff::1'),
    },
    new Ipv6View(b, dv, 0, 40 + icmpLen),
  );
  const v = new Icmpv6View(b, dv, 40, 40 + icmpLen);
  Icmpv6.emit(repr, v);
  assert.equal(v.checksum(), 0, 'emit writes a zero checksum');
  v.fillChecksum(8, 24);
  assertBytes(b.subarray(0, 40 + icmpLen), PTB_PACKET);
  assert.equal(v.checksum(), 0x321b);
  assert.equal(b[40 + icmpLen], 0xff);
});

test('icmpv6: the §5.2 IPv6-in-IPv6 packet is rebuilt byte-exact, echo checksummed on the inner header', () => {
  const b = filled(TUNNEL_PACKET.length);
  const dv = dataViewOf(b);
  const echo: Icmpv6Repr = { kind: 'echo-request', id: 1, seq: 1, data: hex`61626364` };
  const icmpLen = Icmpv6.bufferLen(echo);
  const common = { trafficClass: 0, flowLabel: 0 };
  Ipv6.emit(
    {
      ...common,
      payloadLength: 40 + icmpLen,
      nextHeader: 41,
      hopLimit: 64,
      src: parseIpv6('fd00:100::2'),
      dst: parseIpv6('fd00:100::1'),
    },
    new Ipv6View(b, dv, 0, b.length),
  );
  Ipv6.emit(
    {
      ...common,
      payloadLength: icmpLen,
      nextHeader: 58,
      hopLimit: 63,
      src: parseIpv6('2001:db8:1:1::100'),
      dst: parseIpv6('2001:db8:ffff::1'),
    },
    new Ipv6View(b, dv, 40, b.length),
  );
  const v = new Icmpv6View(b, dv, 80, b.length);
  Icmpv6.emit(echo, v);
  v.fillChecksum(40 + 8, 40 + 24);
  assertBytes(b, TUNNEL_PACKET);
  assert.equal(v.checksum(), 0x5e7b);
  // The outer addresses give another (wrong) checksum: the offsets matter.
  assert.equal(v.verifyChecksum(8, 24), false);
});

test('icmpv6: the scapy error messages are rebuilt byte-exact with our emitters', () => {
  for (const c of CASES.slice(2)) {
    const b = filled(c.packet.length);
    const dv = dataViewOf(b);
    b.set(c.packet.subarray(0, 40)); // IPv6 header as scapy wrote it
    const v = new Icmpv6View(b, dv, 40, b.length);
    Icmpv6.emit(c.repr, v);
    v.fillChecksum(8, 24);
    assertBytes(b, c.packet, undefined, c.name);
  }
});

test('icmpv6: check() needs 8 bytes; parse rejects non-RFC 4443 types with WrongType', () => {
  for (let n = 0; n < 8; n++) {
    assert.equal(new Icmpv6View(INNER, dataViewOf(INNER), 40, 40 + n).check(), WireCheck.Truncated);
  }
  const rs = hex`85 00 7b2c 00000000 0101020000000001`;
  assert.equal(new Icmpv6View(rs, dataViewOf(rs)).check(), 0);
  assert.throws(
    () => Icmpv6.parse(new Icmpv6View(rs, dataViewOf(rs))),
    (e: unknown) => e instanceof WireError && e.reason === WireCheck.WrongType,
  );
});

test('icmpv6: Packet Too Big / Echo codes and unused words are written as 0 and ignored on parse', () => {
  const b = zeroSum(DU_PACKET.subarray(40));
  b[4] = 0xaa; // RFC 4443 §3.1: Unused, ignored by the receiver
  const r = Icmpv6.parse(new Icmpv6View(b, dataViewOf(b)));
  assert.deepEqual(r, CASES[3]!.repr);
  const out = filled(b.length);
  Icmpv6.emit(r, new Icmpv6View(out, dataViewOf(out)));
  assert.equal(out[4], 0);
  const p = zeroSum(PTB_PACKET.subarray(40));
  p[1] = 9;
  assert.deepEqual(Icmpv6.parse(new Icmpv6View(p, dataViewOf(p))), CASES[0]!.repr);
});

test('icmpv6: RFC 4443 §2.4(c) limit and the invoking-bytes helper', () => {
  assert.equal(ICMPV6_ERROR_PACKET_LIMIT, 1280);
  assert.equal(ICMPV6_ERROR_PACKET_LIMIT, IPV6_MIN_MTU);
  assert.equal(icmpv6InvokingFit(52), 52);
  assert.equal(icmpv6InvokingFit(1232), 1232);
  assert.equal(icmpv6InvokingFit(1500), 1232, '1280 - 40 (IPv6) - 8 (ICMPv6)');
  assert.equal(icmpv6InvokingFit(1500, 48), 1224, 'with an 8-byte extension header');
  assert.equal(icmpv6InvokingFit(0), 0);
  // An error built from the helper is exactly 1280 bytes long.
  const repr: Icmpv6Repr = {
    kind: 'time-exceeded',
    code: 0,
    invoking: filled(icmpv6InvokingFit(1500)),
  };
  assert.equal(40 + Icmpv6.bufferLen(repr), 1280);
  assert.ok(isIcmpv6Error(1) && isIcmpv6Error(127) && !isIcmpv6Error(128) && !isIcmpv6Error(134));
});

test('icmpv6: formatIcmpv6 one-line text', () => {
  assert.deepEqual(
    CASES.map((c) => formatIcmpv6(c.repr)),
    [
      'packet-too-big mtu 1452, 52 invoking bytes',
      'echo-request id 1 seq 1, 4 data bytes',
      'echo-reply id 4660 seq 7, 10 data bytes',
      'dest-unreachable code 3, 52 invoking bytes',
      'time-exceeded code 0, 52 invoking bytes',
      'param-problem code 1 pointer 6, 44 invoking bytes',
    ],
  );
});
