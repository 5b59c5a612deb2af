/**
 * Offload support (gso.ts): software segmentation of TCP/IPv6 super-packets and
 * completion of partial checksums, byte-exact against segments built independently with
 * scapy; the pool's large buffers; and the router judging a super-packet by its segment
 * size (MTU / Packet Too Big) while forwarding it whole to an offload device and cut into
 * segments to a plain one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, hex, parseIpv6, parseMac } from '@dmm/testkit';
import { Icmpv6Type, IpProto, upperLayerChecksum } from '@dmm/wire';
import {
  BufferPool,
  GsoFail,
  GsoType,
  MemoryDevice,
  NeighborState,
  PacketVector,
  Router,
  completeChecksum,
  ip6SegmentLength,
  segmentTcp,
  type MemoryDeviceOptions,
  type PacketBuffer,
} from '@dmm/core';

// Vectors built with scapy 2.5 (Debian python3-scapy), /usr/bin/python3:
//   E = Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')
//   ip = dict(src='2001:db8:a::2', dst='2001:db8:b::2', hlim=63)
//   opts = [('NOP',None),('NOP',None),('Timestamp',(111,222))]
//   pay = bytes(range(0x41, 0x41+25))
// SUPER = E/IPv6(**ip)/TCP(sport=40000, dport=5201, seq=0xfffffff6, ack=2000,
//                          flags='FPAC', window=512, options=opts, chksum=0x1234)/pay
// (the checksum field of a super-packet holds a partial sum; segmentation ignores it)
const SUPER = hex`
  02 00 00 00 00 02 02 00 00 00 00 01 86 dd            // Ethernet
  60 00 00 00 00 39 06 3f                              // IPv6, Payload Length 57
  2001:db8:a::2 2001:db8:b::2
  9c 40 14 51 ff ff ff f6 00 00 07 d0 80 99 02 00      // TCP: seq 0xfffffff6, FIN PSH ACK CWR
  12 34 00 00 01 01 08 0a 00 00 00 6f 00 00 00 de      // checksum 0x1234, NOP NOP TS
  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 57 58 59`;
// SEG_k = E/IPv6(**ip)/TCP(sport=40000, dport=5201, seq=(0xfffffff6+10*k) & 0xffffffff,
//                          ack=2000, flags=F_k, window=512, options=opts)/pay[10k:10k+10]
// with F_0='AC' (CWR only on the first), F_1='A', F_2='FPA' (FIN and PSH only on the last)
const SEGS = [
  hex`02000000000202000000000186dd60000000002a063f20010db8000a0000000000000000000220010db8000b000000000000000000029c401451fffffff6000007d08090020004a400000101080a0000006f000000de4142434445464748494a`,
  hex`02000000000202000000000186dd60000000002a063f20010db8000a0000000000000000000220010db8000b000000000000000000029c40145100000000000007d080100200d2e800000101080a0000006f000000de4b4c4d4e4f5051525354`,
  hex`02000000000202000000000186dd600000000025063f20010db8000a0000000000000000000220010db8000b000000000000000000029c4014510000000a000007d08019020059bd00000101080a0000006f000000de5556575859`,
];
// ONE_SEG = SUPER with chksum=None (scapy computes the full checksum): what a super-packet
// whose payload fits one segment must become
const ONE_SEG = hex`02000000000202000000000186dd600000000039063f20010db8000a0000000000000000000220010db8000b000000000000000000029c401451fffffff6000007d080990200724b00000101080a0000006f000000de4142434445464748494a4b4c4d4e4f50515253545556575859`;
// UDP_PARTIAL = E/IPv6(**ip)/UDP(sport=1234, dport=5678, chksum=0x5bb1)/b'hello offload'
// where 0x5bb1 is the folded (not complemented) pseudo-header sum, as Linux leaves it for
// CHECKSUM_PARTIAL (computed in Python from src, dst, length 21 and next header 17);
// UDP_FULL = the same with chksum=None (scapy's checksum, 0x9c12)
const UDP_PARTIAL = hex`02000000000202000000000186dd600000000015113f20010db8000a0000000000000000000220010db8000b0000000000000000000204d2162e00155bb168656c6c6f206f66666c6f6164`;
const UDP_FULL = hex`02000000000202000000000186dd600000000015113f20010db8000a0000000000000000000220010db8000b0000000000000000000204d2162e00159c1268656c6c6f206f66666c6f6164`;

/** A large buffer holding `frame` (Ethernet at `start`) with offload metadata. */
function superBuffer(
  pool: BufferPool,
  frame: Uint8Array,
  gsoSize: number,
  gsoType: number = GsoType.TcpV6,
): PacketBuffer {
  const pb = pool.allocLarge()!;
  pool.bytes.set(frame, pb.start);
  pb.end = pb.start + frame.length;
  pb.l3 = pb.start + 14;
  pb.csumStart = pb.start + 54;
  pb.csumOffset = 16;
  pb.gsoType = gsoType;
  pb.gsoSize = gsoSize;
  return pb;
}

test('segmentTcp: a super-packet becomes the scapy segments (seq wrap, flags, lengths, checksums)', () => {
  const pool = new BufferPool({ count: 16, largeCount: 2, debug: true });
  const pb = superBuffer(pool, SUPER, 10);
  pb.rxIf = 3;
  pb.txIf = 5;
  pb.adjacency = 7;
  const out = new PacketVector(8);
  const n = segmentTcp(pool, pb, out);
  assert.equal(n, 3);
  assert.equal(out.length, 3);
  assert.equal(pool.largeAvailable, 2, 'the super-packet went back to the pool');
  assert.equal(pool.inUse, 3);
  for (let k = 0; k < 3; k++) {
    const seg = out.items[k]!;
    assertBytes(pool.toBytes(seg), SEGS[k]!, undefined, `segment ${k}`);
    assert.ok(seg.index < pool.count, 'segments use small buffers');
    assert.equal(seg.l3, seg.start + 14);
    assert.equal(seg.l4, seg.start + 54);
    assert.equal(seg.gsoType, 0);
    assert.equal(seg.csumStart, -1);
    assert.deepEqual([seg.rxIf, seg.txIf, seg.adjacency], [3, 5, 7]);
  }
});

test('segmentTcp: a payload that fits one segment is finished in place', () => {
  const pool = new BufferPool({ count: 16, largeCount: 1 });
  const pb = superBuffer(pool, SUPER, 100);
  const out = new PacketVector(8);
  assert.equal(segmentTcp(pool, pb, out), 0);
  assert.equal(out.length, 0);
  assertBytes(pool.toBytes(pb), ONE_SEG);
  assert.equal(pb.gsoType, 0);
  assert.equal(pb.csumStart, -1);
});

test('segmentTcp: failures leave the packet and the vector as they were', () => {
  const pool = new BufferPool({ count: 2, largeCount: 1, debug: true });
  const out = new PacketVector(8);
  let pb = superBuffer(pool, SUPER, 10, GsoType.TcpV4);
  assert.equal(segmentTcp(pool, pb, out), -GsoFail.Unsupported);
  pb.gsoType = GsoType.TcpV6;
  pb.csumStart = pb.end - 4;
  assert.equal(segmentTcp(pool, pb, out), -GsoFail.BadHeader);
  pb.csumStart = pb.start + 54;
  // three segments, two small buffers: the first two go back to the pool
  assert.equal(segmentTcp(pool, pb, out), -GsoFail.NoBuffer);
  assert.equal(out.length, 0);
  assert.equal(pool.available, 2);
  pool.free(pb);
  pb = superBuffer(pool, SUPER, 10);
  const small = new PacketVector(2);
  assert.equal(segmentTcp(pool, pb, small), -GsoFail.TooManySegments);
  assertBytes(pool.toBytes(pb), SUPER, undefined, 'untouched');
  assert.equal(small.length, 0);
});

test('segmentTcp: an ECN super-packet (gso_type TCPV6 | ECN) is segmented the same way', () => {
  const pool = new BufferPool({ count: 8, largeCount: 1 });
  const pb = superBuffer(pool, SUPER, 10, GsoType.TcpV6 | GsoType.Ecn);
  const out = new PacketVector(4);
  assert.equal(segmentTcp(pool, pb, out), 3);
  for (let k = 0; k < 3; k++) assertBytes(pool.toBytes(out.items[k]!), SEGS[k]!);
});

test('completeChecksum: a partial UDP checksum becomes the scapy one', () => {
  const pool = new BufferPool({ count: 4 });
  const pb = pool.fromBytes(UDP_PARTIAL)!;
  pb.csumStart = pb.start + 54;
  pb.csumOffset = 6;
  assert.ok(completeChecksum(pb));
  assertBytes(pool.toBytes(pb), UDP_FULL);
  assert.equal(pb.csumStart, -1);
  // offsets outside the packet: refused, nothing written
  const pb2 = pool.fromBytes(UDP_PARTIAL)!;
  pb2.csumStart = pb2.end - 2;
  pb2.csumOffset = 6;
  assert.equal(completeChecksum(pb2), false);
  assertBytes(pool.toBytes(pb2), UDP_PARTIAL);
});

test('ip6SegmentLength: headers + gso_size for a super-packet, the whole packet otherwise', () => {
  const pool = new BufferPool({ count: 4, largeCount: 1 });
  const pb = superBuffer(pool, SUPER, 10);
  assert.equal(ip6SegmentLength(pb), 40 + 32 + 10);
  pb.gsoSize = 1000; // more than the payload: the packet itself
  assert.equal(ip6SegmentLength(pb), 97);
  pb.gsoSize = 0;
  pb.gsoType = 0;
  assert.equal(ip6SegmentLength(pb), 97);
});

test('pool: large buffers live in the same slab, with their own free list', () => {
  const pool = new BufferPool({ count: 4, largeCount: 3, largeSlotSize: 70000 });
  assert.equal(pool.slab.byteLength, 4 * 2048 + 3 * 70000);
  const a = pool.allocLarge()!;
  const b = pool.allocLarge()!;
  const spare = pool.allocLarge()!;
  assert.equal(pool.allocLarge(), null);
  assert.equal(pool.largeExhausted, 1);
  pool.free(spare);
  assert.equal(a.capacity, 70000);
  assert.ok(a.base >= 4 * 2048 && b.base >= 4 * 2048);
  assert.equal(pool.maxLargePacket, 70000 - 128);
  a.gsoType = GsoType.TcpV6;
  a.csumStart = a.start + 54;
  a.end = a.start + 100;
  const c = pool.clone(a)!;
  assert.equal(c.gsoType, GsoType.TcpV6);
  assert.equal(c.csumStart - c.start, 54);
  assert.ok(c.index >= pool.count, 'a clone of a large buffer is large');
  pool.free(a);
  pool.free(b);
  pool.free(c);
  assert.equal(pool.largeAvailable, 3);
  assert.equal(pool.available, 4);
  assert.equal(a.gsoType, 0, 'free clears the offload metadata');
});

// --- the router --------------------------------------------------------------------------

/** A MemoryDevice that says it takes super-packets (as a TAP with offloads does). */
class OffloadMemoryDevice extends MemoryDevice {
  readonly offload = true;
  constructor(opts: MemoryDeviceOptions) {
    super(opts);
  }
}

const R_MAC0 = parseMac('02:00:00:00:aa:00');
const H0_MAC = parseMac('02:00:00:00:00:10');
const H0 = parseIpv6('2001:db8:0::10');
const H1 = parseIpv6('2001:db8:1::11');
const H2 = parseIpv6('2001:db8:2::12');

function setup() {
  const router = new Router({ pool: { count: 256, largeCount: 8, debug: true } });
  const d0 = new OffloadMemoryDevice({ name: 'lan0', mac: R_MAC0, slotSize: 70000 });
  const d1 = new MemoryDevice({ name: 'lan1', mac: parseMac('02:00:00:00:aa:01') });
  const d2 = new OffloadMemoryDevice({
    name: 'lan2',
    mac: parseMac('02:00:00:00:aa:02'),
    slotSize: 70000,
  });
  const i0 = router.addInterface({ name: 'lan0', device: d0 });
  const i1 = router.addInterface({ name: 'lan1', device: d1, mtu: 1280 });
  const i2 = router.addInterface({ name: 'lan2', device: d2, mtu: 1280 });
  router.addAddress(i0, parseIpv6('2001:db8:0::1'), 64);
  router.addAddress(i1, parseIpv6('2001:db8:1::1'), 64);
  router.addAddress(i2, parseIpv6('2001:db8:2::1'), 64);
  for (const [i, a, m] of [
    [i0, H0, H0_MAC],
    [i1, H1, parseMac('02:00:00:00:00:11')],
    [i2, H2, parseMac('02:00:00:00:00:12')],
  ] as const) {
    router.neighbors.setMac(router.neighbors.create(i.index, a, 0, NeighborState.Permanent), m);
  }
  return { router, d0, d1, d2, i0 };
}

/** Ethernet + IPv6 + 20-byte TCP (ACK|PSH) + `payload` bytes, checksum field partial (0). */
function tcpFrame(dst: Uint8Array, payload: number): Uint8Array {
  const f = new Uint8Array(14 + 40 + 20 + payload);
  f.set(R_MAC0, 0);
  f.set(H0_MAC, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  f[14] = 0x60;
  f[18] = (20 + payload) >>> 8;
  f[19] = (20 + payload) & 0xff;
  f[20] = IpProto.Tcp;
  f[21] = 64;
  f.set(H0, 22);
  f.set(dst, 38);
  f[54] = 0x9c; // source port 40000
  f[55] = 0x40;
  f[56] = 0x14; // destination port 5201
  f[57] = 0x51;
  f[61] = 1; // seq 1
  f[66] = 0x50; // data offset 5
  f[67] = 0x18; // ACK PSH
  f[68] = 0x10; // window 4096
  for (let k = 0; k < payload; k++) f[74 + k] = k & 0xff;
  return f;
}

function inject(router: Router, rxIf: number, frame: Uint8Array, gsoSize: number): void {
  const pb = superBuffer(router.pool, frame, gsoSize);
  pb.rxIf = rxIf;
  router.scheduler.inject(router.graph.indexOf('ethernet-input'), pb);
}

test('router: a super-packet whose segments fit the 1280 link is forwarded; cut into segments for a plain device', () => {
  const { router, d1, i0 } = setup();
  // 4000 payload bytes in 1000-byte segments: 40 + 20 + 1000 = 1060 ≤ 1280 < 4060
  inject(router, i0.index, tcpFrame(H1, 4000), 1000);
  const out = d1.take();
  assert.equal(out.length, 4);
  let seq = 1;
  for (const [k, f] of out.entries()) {
    assert.equal(f.length, 14 + 40 + 20 + 1000);
    assert.equal((f[18]! << 8) | f[19]!, 1020, `segment ${k} Payload Length`);
    assert.equal(f[21], 63, 'hop limit decremented once');
    const s = new DataView(f.buffer, f.byteOffset).getUint32(58);
    assert.equal(s, seq);
    seq += 1000;
    assert.equal(f[67], k === 3 ? 0x18 : 0x10, 'PSH only on the last');
    assert.equal(upperLayerChecksum(f, 14, 54, 1020, IpProto.Tcp), 0, 'checksum verifies');
    for (let j = 0; j < 1000; j++) assert.equal(f[74 + j], (k * 1000 + j) & 0xff);
  }
  assert.equal(router.counters()['interface-output.gso-segmented'], 1);
  assert.equal(router.pool.inUse, 0);
});

test('router: a super-packet goes whole to an offload device', () => {
  const { router, d2, i0 } = setup();
  inject(router, i0.index, tcpFrame(H2, 4000), 1000);
  const out = d2.take();
  assert.equal(out.length, 1);
  assert.equal(out[0]!.length, 14 + 40 + 20 + 4000);
  assert.equal(router.counters()['interface-output.gso-segmented'] ?? 0, 0);
  assert.equal(router.pool.inUse, 0);
});

test('router: a super-packet whose segments exceed the MTU gets Packet Too Big (MTU 1280)', () => {
  const { router, d0, d1, d2, i0 } = setup();
  // 40 + 20 + 1400 = 1460 > 1280, though a 1200-byte total would have fitted the check before
  inject(router, i0.index, tcpFrame(H1, 4000), 1400);
  inject(router, i0.index, tcpFrame(H2, 4000), 1400);
  assert.equal(d1.take().length, 0);
  assert.equal(d2.take().length, 0);
  const back = d0.take();
  assert.equal(back.length, 2);
  for (const f of back) {
    assert.equal(f[20], IpProto.Icmpv6);
    assert.equal(f[54], Icmpv6Type.PacketTooBig);
    assert.equal(new DataView(f.buffer, f.byteOffset).getUint32(58), 1280);
    const len = (f[18]! << 8) | f[19]!;
    assert.ok(len <= 1240, 'the error fits the minimum MTU');
    assert.equal(upperLayerChecksum(f, 14, 54, len, IpProto.Icmpv6), 0);
  }
  assert.equal(router.counters()['ip6-lookup.too-big'], 2);
  assert.equal(router.pool.inUse, 0);
});

test('router: an offload interface needs large buffers', () => {
  const router = new Router({ pool: { count: 64 } });
  assert.throws(
    () =>
      router.addInterface({
        name: 'x',
        device: new OffloadMemoryDevice({ name: 'x', slotSize: 70000 }),
      }),
    /large buffers/,
  );
});

test('router: a partial checksum on a packet for the router is completed before icmp6-input verifies it', () => {
  const { router, d0, i0 } = setup();
  const ours = parseIpv6('2001:db8:0::1');
  const f = new Uint8Array(14 + 40 + 12);
  f.set(R_MAC0, 0);
  f.set(H0_MAC, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  f[14] = 0x60;
  f[19] = 12;
  f[20] = IpProto.Icmpv6;
  f[21] = 64;
  f.set(H0, 22);
  f.set(ours, 38);
  f.set([128, 0, 0, 0, 0, 1, 0, 1, 0x61, 0x62, 0x63, 0x64], 54); // echo request id 1 seq 1
  // the folded pseudo-header sum in the checksum field, as Linux leaves CHECKSUM_PARTIAL
  let acc = 12 + IpProto.Icmpv6;
  for (let k = 0; k < 32; k += 2) acc += (f[22 + k]! << 8) | f[23 + k]!;
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  f[56] = acc >>> 8;
  f[57] = acc & 0xff;
  const pb = router.pool.allocLarge()!;
  router.pool.bytes.set(f, pb.start);
  pb.end = pb.start + f.length;
  pb.rxIf = i0.index;
  pb.csumStart = pb.start + 54;
  pb.csumOffset = 2;
  router.scheduler.inject(router.graph.indexOf('ethernet-input'), pb);
  const out = d0.take();
  assert.equal(out.length, 1, JSON.stringify(router.counters()));
  assert.equal(out[0]![54], Icmpv6Type.EchoReply);
  assert.equal(router.counters()['icmp6-input.bad-checksum'] ?? 0, 0);
  assert.equal(router.pool.inUse, 0);
});
