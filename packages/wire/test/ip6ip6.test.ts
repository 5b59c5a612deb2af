import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, filled, hex, parseIpv6, pooledRegion } from '@dmm/testkit';
import {
  IP6IP6_OVERHEAD,
  Ip6ip6Decap,
  WireCheck,
  checkIp6ip6Decap,
  dataViewOf,
  encapsulateInPlace,
  ip6ip6DecapName,
  ip6ip6Template,
} from '@dmm/wire';

// protocol.md §5.2 IPv6-in-IPv6 vector (hand-written Python and scapy 2.5, byte-identical),
// regenerated here with Debian scapy 2.5.0 (/usr/bin/python3):
//   IPv6(src="fd00:100::2", dst="fd00:100::1", hlim=64)/IPv6(src="2001:db8:1:1::100",
//   dst="2001:db8:ffff::1", hlim=63)/ICMPv6EchoRequest(id=1, seq=1, data=b"abcd")
// → identical bytes.
const OUTER = hex`
  60000000 0034 29 40          // version 6, payload length 52, next header 41, hop limit 64
  fd00:100::2                  // tunnel entry (MAG)
  fd00:100::1                  // tunnel exit (LMA)`;
const INNER = hex`
  60000000 000c 3a 3f  2001:db8:1:1::100  2001:db8:ffff::1
  80 00 5e7b 0001 0001 61626364`;
const PACKET = Uint8Array.from([...OUTER, ...INNER]);

const MAG = parseIpv6('fd00:100::2');
const LMA = parseIpv6('fd00:100::1');

const LAYOUT = [
  { name: 'version/class/flow', off: 0, len: 4 },
  { name: 'payload length', off: 4, len: 2 },
  { name: 'next header', off: 6, len: 1 },
  { name: 'hop limit', off: 7, len: 1 },
  { name: 'source', off: 8, len: 16 },
  { name: 'destination', off: 24, len: 16 },
  { name: 'inner packet', off: 40, len: 52 },
];

test('ip6ip6: the template is the vector outer header with payload length 0', () => {
  const tpl = ip6ip6Template({ src: MAG, dst: LMA });
  assert.equal(tpl.length, IP6IP6_OVERHEAD);
  const expected = Uint8Array.from(OUTER);
  expected[4] = 0;
  expected[5] = 0;
  assertBytes(tpl, expected, LAYOUT);
});

test('ip6ip6: template settings (hop limit, traffic class, flow label) are written', () => {
  const tpl = ip6ip6Template({
    src: MAG,
    dst: LMA,
    hopLimit: 255,
    trafficClass: 0xb8,
    flowLabel: 0x12345,
  });
  assertBytes(tpl.subarray(0, 8), hex`6b 81 23 45 0000 29 ff`);
});

test('ip6ip6: encapsulateInPlace in headroom reproduces the scapy packet', () => {
  const tpl = ip6ip6Template({ src: MAG, dst: LMA });
  // The inner packet sits at the default headroom of a slot; the outer header goes in front.
  const b = filled(128 + INNER.length + 8);
  b.set(INNER, 128);
  const r = encapsulateInPlace(tpl, b, dataViewOf(b), 128 - IP6IP6_OVERHEAD, INNER.length);
  assert.equal(r, 0);
  assertBytes(b.subarray(88, 128 + INNER.length), PACKET, LAYOUT);
  assert.equal(b[87], 0xff, 'nothing written before the outer header');
  assert.equal(b[128 + INNER.length], 0xff, 'nothing written after the inner packet');
});

test('ip6ip6: encapsulateInPlace works on a pooled Buffer (byteOffset != 0)', () => {
  const tpl = ip6ip6Template({ src: MAG, dst: LMA });
  const { bytes: b, dv } = pooledRegion(200);
  assert.notEqual(b.byteOffset, 0);
  b.set(INNER, 60);
  assert.equal(encapsulateInPlace(tpl, b, dv, 20, INNER.length), 0);
  assertBytes(b.subarray(20, 60 + INNER.length), PACKET, LAYOUT);
});

test('ip6ip6: an inner packet too long for Payload Length is refused and nothing written', () => {
  const tpl = ip6ip6Template({ src: MAG, dst: LMA });
  const b = filled(64);
  assert.equal(encapsulateInPlace(tpl, b, dataViewOf(b), 0, 0x10000), WireCheck.BadLength);
  assert.ok(b.every((x) => x === 0xff));
  assert.equal(encapsulateInPlace(tpl, b, dataViewOf(b), 0, 0xffff), 0);
  assertBytes(b.subarray(4, 6), hex`ffff`);
});

const decap = (p: Uint8Array, peer = MAG, off = 0, end = p.length): number =>
  checkIp6ip6Decap(p, dataViewOf(p), off, end, peer);

test('ip6ip6: decap check accepts the vector from the expected peer', () => {
  assert.equal(decap(PACKET), Ip6ip6Decap.Ok);
  // At an offset inside a larger buffer, with the peer address taken from another array.
  const b = filled(10 + PACKET.length + 5);
  b.set(PACKET, 10);
  const peers = Uint8Array.from([...LMA, ...MAG]);
  assert.equal(checkIp6ip6Decap(b, dataViewOf(b), 10, 10 + PACKET.length, peers, 16), 0);
});

test('ip6ip6: decap check names each failure', () => {
  const mut = (i: number, v: number): Uint8Array => {
    const b = Uint8Array.from(PACKET);
    b[i] = v;
    return b;
  };
  assert.equal(decap(PACKET, LMA), Ip6ip6Decap.UnexpectedPeer);
  assert.equal(decap(mut(6, 58)), Ip6ip6Decap.NotIp6ip6);
  assert.equal(decap(mut(0, 0x40)), Ip6ip6Decap.OuterBadVersion);
  assert.equal(decap(PACKET, MAG, 0, 39), Ip6ip6Decap.OuterTruncated);
  assert.equal(decap(PACKET, MAG, 0, PACKET.length - 1), Ip6ip6Decap.OuterTruncated);
  assert.equal(decap(mut(40, 0x40)), Ip6ip6Decap.InnerMalformed, 'inner version 4');
  assert.equal(decap(mut(45, 0x0d)), Ip6ip6Decap.InnerMalformed, 'inner longer than the payload');
  assert.equal(decap(mut(45, 0x0b)), Ip6ip6Decap.InnerMalformed, 'inner shorter than the payload');
  // An outer payload too short to hold an inner header.
  const short = Uint8Array.from([
    ...OUTER.subarray(0, 4),
    0x00,
    0x10,
    ...OUTER.subarray(6),
    ...INNER.subarray(0, 16),
  ]);
  assert.equal(decap(short), Ip6ip6Decap.InnerMalformed);
  assert.equal(ip6ip6DecapName(Ip6ip6Decap.UnexpectedPeer), 'unexpected-peer');
  assert.equal(ip6ip6DecapName(9), 'unknown-9');
});

test('ip6ip6: trailing bytes after the outer payload (Ethernet padding) are allowed', () => {
  const b = Uint8Array.from([...PACKET, 0, 0, 0, 0]);
  assert.equal(decap(b), 0);
});

test('ip6ip6: decap check never throws on any truncated prefix', () => {
  for (let n = 0; n < PACKET.length; n++) {
    const r = decap(PACKET.subarray(0, n));
    assert.notEqual(r, 0, `prefix ${n}`);
  }
});
