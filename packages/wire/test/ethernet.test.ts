import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, filled, headerSuite, hex, parseMac } from '@dmm/testkit';
import {
  ETH_FIELDS as F,
  ETH_HEADER_LEN,
  EtherType,
  Ethernet,
  EthernetView,
  WireCheck,
  dataViewOf,
  formatEthernet,
  type EthernetRepr,
} from '@dmm/wire';

const MN_MAC = parseMac('02:00:00:00:00:01');
const R_MAC = parseMac('02:00:00:00:00:0a');
const ALL_ROUTERS_MAC = parseMac('33:33:00:00:00:02');

// Built with scapy 2.5 (Debian python3-scapy) by
//   raw(Ether(dst='33:33:00:00:00:02', src='02:00:00:00:00:01')
//       /IPv6(src='fe80::ff:fe00:1', dst='ff02::2', hlim=255)
//       /ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:01'))
const RS_FRAME = hex`
  33:33:00:00:00:02  02:00:00:00:00:01  86dd        // dst (all-routers), src, IPv6
  60000000 00103aff  fe80::ff:fe00:1  ff02::2
  85007b2c 00000000  0101 020000000001`;

// Built with scapy 2.5 by raw(Ether(dst='02:00:00:00:00:01', src='02:00:00:00:00:0a')
//   /IPv6(src='2001:db8:1:1::100', dst='2001:db8:ffff::1', hlim=63)
//   /ICMPv6EchoRequest(id=1, seq=1, data=b'abcd'))
// The IPv6 packet is the inner packet of protocol.md §5.2's IPv6-in-IPv6 vector.
const UNICAST_FRAME = hex`
  02:00:00:00:00:01  02:00:00:00:00:0a  86dd
  60000000 000c3a3f 2001:db8:1:1::100 2001:db8:ffff::1
  80005e7b 00010001 61626364`;

const LAYOUT = [
  { name: 'destination', off: 0, len: 6 },
  { name: 'source', off: 6, len: 6 },
  { name: 'ethertype', off: 12, len: 2 },
];

const view = (b: Uint8Array, dv: DataView, off: number, end: number): EthernetView =>
  new EthernetView(b, dv, off, end);

headerSuite<EthernetRepr, EthernetView>({
  name: 'ethernet (multicast RS frame)',
  vector: RS_FRAME.subarray(0, ETH_HEADER_LEN),
  payload: RS_FRAME.subarray(ETH_HEADER_LEN),
  provenance: 'scapy 2.5 (Debian python3-scapy): Ether()/IPv6()/ICMPv6ND_RS()/SLLAO, see comment',
  repr: { dst: ALL_ROUTERS_MAC, src: MN_MAC, etherType: EtherType.Ipv6 },
  codec: Ethernet,
  view,
  layout: LAYOUT,
  // 14 bytes is a complete header: check() cannot see a payload it knows nothing about.
  validPrefixes: Array.from({ length: RS_FRAME.length - ETH_HEADER_LEN }, (_, i) => i + 14),
  readers(v) {
    assert.equal(v.etherType(), 0x86dd);
    assert.ok(v.isDstMulticast());
    assert.ok(v.dstEquals(ALL_ROUTERS_MAC));
    assert.ok(v.srcEquals(MN_MAC));
    assert.ok(!v.srcEquals(R_MAC));
    assert.equal(v.dstOffset(), 0);
    assert.equal(v.srcOffset(), 6);
    assert.equal(v.payloadOffset(), 14);
  },
  construct(v) {
    v.setDst(ALL_ROUTERS_MAC);
    v.setSrc(MN_MAC);
    v.setEtherType(0x86dd);
  },
});

headerSuite<EthernetRepr, EthernetView>({
  name: 'ethernet (unicast frame)',
  vector: UNICAST_FRAME.subarray(0, ETH_HEADER_LEN),
  payload: UNICAST_FRAME.subarray(ETH_HEADER_LEN),
  provenance: 'scapy 2.5 (Debian python3-scapy): Ether()/IPv6()/ICMPv6EchoRequest(), see comment',
  repr: { dst: MN_MAC, src: R_MAC, etherType: EtherType.Ipv6 },
  codec: Ethernet,
  view,
  layout: LAYOUT,
  validPrefixes: Array.from({ length: UNICAST_FRAME.length - ETH_HEADER_LEN }, (_, i) => i + 14),
  readers(v) {
    assert.equal(v.etherType(), EtherType.Ipv6);
    assert.ok(!v.isDstMulticast());
    assert.ok(v.dstEquals(MN_MAC));
    assert.ok(v.srcEquals(R_MAC));
  },
});

test('ethernet: check() needs the 14 header bytes and nothing more', () => {
  for (let n = 0; n < 14; n++) {
    const b = RS_FRAME.slice(0, n);
    assert.equal(new EthernetView(b, dataViewOf(b), 0, n).check(), WireCheck.Truncated);
  }
  const b = RS_FRAME.slice(0, 14);
  assert.equal(new EthernetView(b, dataViewOf(b), 0, 14).check(), 0);
});

test('ethernet: the group bit alone makes a destination multicast (ff:ff:ff:ff:ff:ff too)', () => {
  const b = Uint8Array.from(UNICAST_FRAME);
  const v = new EthernetView(b, dataViewOf(b), 0, b.length);
  assert.ok(!v.isDstMulticast());
  b[0] = 0x03;
  assert.ok(v.isDstMulticast());
  b.fill(0xff, 0, 6);
  assert.ok(v.isDstMulticast());
  b[0] = 0xfe;
  assert.ok(!v.isDstMulticast());
});

test('ethernet: copyDstInto/copySrcInto copy in place at an offset, without touching neighbours', () => {
  const b = Uint8Array.from(RS_FRAME);
  const v = new EthernetView(b, dataViewOf(b), 0, b.length);
  const out = filled(16);
  v.copyDstInto(out, 1);
  v.copySrcInto(out, 8);
  assertBytes(out, hex`ff 33:33:00:00:00:02 ff 02:00:00:00:00:01 ff ff`);
});

test('ethernet: setters rewrite a frame in place (MAC swap for a reply)', () => {
  const b = Uint8Array.from(UNICAST_FRAME);
  const v = new EthernetView(b, dataViewOf(b), 0, b.length);
  const dst = new Uint8Array(6);
  v.copyDstInto(dst);
  v.setDst(b, F.SRC); // same array: copy6 must not corrupt overlapping reads
  v.setSrc(dst);
  assertBytes(b.subarray(0, 14), hex`02:00:00:00:00:0a 02:00:00:00:00:01 86dd`, LAYOUT);
  assertBytes(b.subarray(14), UNICAST_FRAME.subarray(14));
});

test('ethernet: an 802.3 length (< 0x0600) is read as is, not rejected', () => {
  const b = hex`01:80:c2:00:00:00 02:00:00:00:00:01 0026 4242 03`;
  const v = new EthernetView(b, dataViewOf(b), 0, b.length);
  assert.equal(v.check(), 0);
  assert.equal(v.etherType(), 0x26);
});

test('ethernet: formatEthernet one-line text', () => {
  const r = Ethernet.parse(new EthernetView(RS_FRAME, dataViewOf(RS_FRAME), 0, RS_FRAME.length));
  assert.equal(formatEthernet(r), '02:00:00:00:00:01 > 33:33:00:00:00:02, ethertype 0x86dd (ipv6)');
  assert.equal(
    formatEthernet({ dst: MN_MAC, src: R_MAC, etherType: 0x88b5 }),
    '02:00:00:00:00:0a > 02:00:00:00:00:01, ethertype 0x88b5',
  );
});
