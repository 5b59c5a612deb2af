import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex, headerSuite, parseIpv6, filled } from '@dmm/testkit';
import {
  Ipv6,
  Ipv6View,
  IPV6_FIELDS as F,
  WireCheck,
  dataViewOf,
  formatIpv6,
  type Ipv6Repr,
} from '@dmm/wire';

// Outer header of the IPv6-in-IPv6 vector of protocol.md §5.2 (built by hand-written
// Python and by scapy 2.5, byte-identical): fd00:100::2 → fd00:100::1, NH 41, HL 64.
const OUTER = hex`
  60 00 00 00     // version 6, traffic class 0, flow label 0
  00 34 29 40     // payload length 52, next header 41 (IPv6), hop limit 64
  fd00:100::2     // source
  fd00:100::1     // destination`;
const INNER = hex`
  60000000 000c3a3f 2001:db8:1:1::100 2001:db8:ffff::1
  80005e7b 00010001 61626364`;

const LAYOUT = [
  { name: 'version/class/flow', off: 0, len: 4 },
  { name: 'payload length', off: 4, len: 2 },
  { name: 'next header', off: 6, len: 1 },
  { name: 'hop limit', off: 7, len: 1 },
  { name: 'source', off: 8, len: 16 },
  { name: 'destination', off: 24, len: 16 },
];

const REPR: Ipv6Repr = {
  trafficClass: 0,
  flowLabel: 0,
  payloadLength: 52,
  nextHeader: 41,
  hopLimit: 64,
  src: parseIpv6('fd00:100::2'),
  dst: parseIpv6('fd00:100::1'),
};

headerSuite({
  name: 'ipv6',
  vector: OUTER,
  payload: INNER,
  provenance: 'protocol.md §5.2 IPv6-in-IPv6 vector (hand-written Python and scapy 2.5)',
  repr: REPR,
  codec: Ipv6,
  view: (b, dv, off, end) => new Ipv6View(b, dv, off, end),
  layout: LAYOUT,
  readers(v) {
    assert.equal(v.version(), 6);
    assert.equal(v.trafficClass(), 0);
    assert.equal(v.flowLabel(), 0);
    assert.equal(v.payloadLength(), 52);
    assert.equal(v.nextHeader(), 41);
    assert.equal(v.hopLimit(), 64);
    assert.equal(v.payloadOffset(), 40);
    assert.equal(v.packetEnd(), 92);
    assert.ok(v.srcEquals(parseIpv6('fd00:100::2')));
    assert.ok(v.dstEquals(parseIpv6('fd00:100::1')));
    assert.ok(!v.dstEquals(parseIpv6('fd00:100::2')));
  },
  construct(v) {
    v.setVersionClassFlow(0, 0);
    v.setPayloadLength(52);
    v.setNextHeader(41);
    v.setHopLimit(64);
    v.setSrc(parseIpv6('fd00:100::2'));
    v.setDst(parseIpv6('fd00:100::1'));
  },
});

// The inner header carries a hop limit of 63: a second, differently shaped vector.
headerSuite({
  name: 'ipv6 (inner, ICMPv6 payload)',
  vector: INNER.subarray(0, 40),
  payload: INNER.subarray(40),
  provenance: 'protocol.md §5.2 IPv6-in-IPv6 vector, inner packet',
  repr: {
    trafficClass: 0,
    flowLabel: 0,
    payloadLength: 12,
    nextHeader: 58,
    hopLimit: 63,
    src: parseIpv6('2001:db8:1:1::100'),
    dst: parseIpv6('2001:db8:ffff::1'),
  },
  codec: Ipv6,
  view: (b, dv, off, end) => new Ipv6View(b, dv, off, end),
  layout: LAYOUT,
  readers(v) {
    assert.equal(v.nextHeader(), 58);
    assert.equal(v.hopLimit(), 63);
    assert.equal(formatIpv6(v.bytes, v.srcOffset()), '2001:db8:1:1::100');
  },
});

test('ipv6: traffic class and flow label survive a round trip at their extremes', () => {
  const b = filled(40);
  const v = new Ipv6View(b, dataViewOf(b), 0, 40);
  Ipv6.emit({ ...REPR, payloadLength: 0, trafficClass: 0xff, flowLabel: 0xfffff }, v);
  assert.equal(v.version(), 6);
  assert.equal(v.trafficClass(), 0xff);
  assert.equal(v.flowLabel(), 0xfffff);
  assert.equal(b[0], 0x6f);
});

test('ipv6: bad version and overlong payload length are rejected', () => {
  const b = Uint8Array.from([...OUTER, ...INNER]);
  const v = new Ipv6View(b, dataViewOf(b), 0, b.length);
  b[0] = 0x40;
  assert.equal(v.check(), WireCheck.BadVersion);
  b[0] = 0x60;
  v.setPayloadLength(53);
  assert.equal(v.check(), WireCheck.Truncated);
  v.setPayloadLength(52);
  assert.equal(v.check(), 0);
  assert.equal(F.DST, 24);
});

test('ipv6: trailing bytes beyond the payload (Ethernet padding) are allowed', () => {
  const b = Uint8Array.from([...OUTER, ...INNER, 0, 0, 0, 0]);
  assert.equal(new Ipv6View(b, dataViewOf(b), 0, b.length).check(), 0);
});
