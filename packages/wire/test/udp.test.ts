import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, filled, headerSuite, hex, parseIpv6 } from '@dmm/testkit';
import {
  Ipv6,
  Ipv6View,
  UDP_HEADER_LEN,
  Udp,
  UdpView,
  WireCheck,
  dataViewOf,
  formatUdp,
  type UdpRepr,
} from '@dmm/wire';

// Built with scapy 2.5 (Debian python3-scapy) by
//   raw(IPv6(src='2001:db8:1:1::100', dst='2001:db8:ffff::1', hlim=64)
//       /UDP(sport=40000, dport=9)/Raw(b'hello dmm'))
const UDP_PACKET = hex`
  60000000 00111140  2001:db8:1:1::100  2001:db8:ffff::1
  9c40 0009  0011 f1ad        // ports 40000 → 9, length 17, checksum
  68656c6c6f20646d6d          // "hello dmm"`;

// scapy 2.5: raw(IPv6(src='2001:db8:1:1::100', dst='2001:db8:ffff::1', hlim=64)
//   /UDP(sport=40000, dport=9)/Raw(b'dmm' + (42549).to_bytes(2, 'big') + b'\x00'))
// The payload was searched (with scapy) so that the computed checksum is 0: scapy sends
// 0xffff, as RFC 768 / RFC 8200 §8.1 require.
const ZERO_SUM_PACKET = hex`
  60000000 000e1140  2001:db8:1:1::100  2001:db8:ffff::1
  9c40 0009  000e ffff
  646d6d a635 00`;

const LAYOUT = [
  { name: 'source port', off: 0, len: 2 },
  { name: 'destination port', off: 2, len: 2 },
  { name: 'length', off: 4, len: 2 },
  { name: 'checksum', off: 6, len: 2 },
];
const REPR: UdpRepr = { srcPort: 40000, dstPort: 9, length: 17 };

headerSuite<UdpRepr, UdpView>({
  name: 'udp (checksum zeroed, as emit writes it)',
  vector: hex`9c40 0009 0011 0000`,
  payload: UDP_PACKET.subarray(48),
  provenance: 'scapy 2.5 (Debian python3-scapy) IPv6()/UDP()/Raw(), see UDP_PACKET',
  repr: REPR,
  codec: Udp,
  view: (b, dv, off, end) => new UdpView(b, dv, off, end),
  layout: LAYOUT,
  readers(v) {
    assert.equal(v.srcPort(), 40000);
    assert.equal(v.dstPort(), 9);
    assert.equal(v.length(), 17);
    assert.equal(v.checksum(), 0);
    assert.equal(v.payloadOffset(), v.off + 8);
    assert.equal(v.payloadLength(), 9);
    assert.equal(v.datagramEnd(), v.off + 17);
  },
  construct(v) {
    v.setSrcPort(40000);
    v.setDstPort(9);
    v.setLength(17);
    v.setChecksum(0);
  },
});

const udpAt40 = (b: Uint8Array): UdpView => new UdpView(b, dataViewOf(b), 40, b.length);

for (const [name, pkt, sum] of [
  ['hello dmm', UDP_PACKET, 0xf1ad],
  ['computed zero sent as 0xffff', ZERO_SUM_PACKET, 0xffff],
] as const) {
  test(`udp (${name}): scapy's checksum verifies and fillChecksum reproduces it`, () => {
    const b = Uint8Array.from(pkt);
    const v = udpAt40(b);
    assert.equal(v.check(), 0);
    assert.equal(v.checksum(), sum);
    assert.ok(v.verifyChecksum(8, 24));
    v.setChecksum(0x1234);
    v.fillChecksum(8, 24);
    assert.equal(v.checksum(), sum);
    assertBytes(b, pkt);
  });

  test(`udp (${name}): flipping any byte of the addresses or datagram breaks the checksum`, () => {
    for (let i = 8; i < pkt.length; i++) {
      if (i === 44 || i === 45) continue; // the Length field: changes the covered range
      const b = Uint8Array.from(pkt);
      b[i]! ^= 0x04;
      assert.equal(udpAt40(b).verifyChecksum(8, 24), false, `byte ${i}`);
    }
  });

  test(`udp (${name}): whole packet rebuilt byte-exact by Ipv6.emit + Udp.emit + fillChecksum`, () => {
    const data = pkt.subarray(48);
    const b = filled(pkt.length + 2);
    const dv = dataViewOf(b);
    const length = UDP_HEADER_LEN + data.length;
    Ipv6.emit(
      {
        trafficClass: 0,
        flowLabel: 0,
        payloadLength: length,
        nextHeader: 17,
        hopLimit: 64,
        src: parseIpv6('2001:db8:1:1::100'),
        dst: parseIpv6('2001:db8:ffff::1'),
      },
      new Ipv6View(b, dv, 0, 40 + length),
    );
    const v = new UdpView(b, dv, 40, 40 + length);
    Udp.emit({ srcPort: 40000, dstPort: 9, length }, v);
    assert.equal(v.checksum(), 0, 'emit writes a zero checksum');
    b.set(data, v.payloadOffset());
    v.fillChecksum(8, 24);
    assertBytes(
      b.subarray(0, pkt.length),
      pkt,
      LAYOUT.map((f) => ({ ...f, off: f.off + 40 })),
    );
    assert.equal(b[pkt.length], 0xff);
  });
}

test('udp: a zero checksum field is invalid over IPv6 (RFC 8200 §8.1)', () => {
  const b = Uint8Array.from(ZERO_SUM_PACKET);
  const v = udpAt40(b);
  // 0 and 0xffff are the same one's-complement number, so the sum alone would accept 0 here.
  v.setChecksum(0);
  assert.equal(v.verifyChecksum(8, 24), false);
  const h = Uint8Array.from(UDP_PACKET);
  udpAt40(h).setChecksum(0);
  assert.equal(udpAt40(h).verifyChecksum(8, 24), false);
});

test('udp: Length below 8 is BadLength, past the bytes Truncated; trailing bytes are not UDP', () => {
  const b = Uint8Array.from(UDP_PACKET);
  const v = udpAt40(b);
  v.setLength(7);
  assert.equal(v.check(), WireCheck.BadLength);
  v.setLength(0);
  assert.equal(v.check(), WireCheck.BadLength);
  v.setLength(18);
  assert.equal(v.check(), WireCheck.Truncated);
  v.setLength(17);
  assert.equal(v.check(), 0);
  // Ethernet padding after the datagram: check passes and the checksum ignores it.
  const padded = Uint8Array.from([...UDP_PACKET, 0xee, 0xee, 0xee]);
  const p = udpAt40(padded);
  assert.equal(p.check(), 0);
  assert.ok(p.verifyChecksum(8, 24));
  assert.equal(p.datagramEnd(), UDP_PACKET.length);
});

test('udp: formatUdp one-line text', () => {
  assert.equal(formatUdp(REPR), 'udp 40000 > 9, length 17');
});
