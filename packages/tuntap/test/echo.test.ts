/**
 * The read and write paths against a real kernel: an ICMPv6 Echo Request (RFC 4443 §4.1)
 * written through the addon into a TAP (Ethernet) and a TUN (bare IPv6) device that sits in
 * its own network namespace, and the kernel's Echo Reply (RFC 4443 §4.2) read back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, hex, parseIpv6, parseMac } from '@dmm/testkit';
import { Icmpv6Type, IpProto } from '@dmm/wire';
import { Tap, Tun } from '@dmm/tuntap';
import { emitEcho, isEchoReply, parseEcho, ETH_HEADER_LEN } from './frames.js';
import {
  Lab,
  Slab,
  TAP_LINK,
  collect,
  inNetns,
  ip,
  linkInfo,
  requireRoot,
  rootOnly,
} from './lab.js';

const ECHO_DATA = new TextEncoder().encode('dmm-tuntap echo!');

// Both frames made with scapy 2.5 (Debian python3-scapy), independent of our encoder:
//   Ether(dst='02:dd:00:00:00:01', src='02:dd:00:00:00:02')
//   /IPv6(src='2001:db8:d::2', dst='2001:db8:d::1', hlim=64)
//   /ICMPv6EchoRequest(id=0x1234, seq=1, data=b'dmm-tuntap echo!')
const SCAPY_TAP_REQUEST = hex`
  02:dd:00:00:00:01  02:dd:00:00:00:02  86dd          // Ethernet: dst, src, IPv6
  60000000 0018 3a 40  2001:db8:d::2  2001:db8:d::1  // IPv6: plen 24, NH 58, HL 64
  80 00 0905  1234 0001                               // Echo Request, cksum, id, seq
  646d6d2d74756e746170206563686f21                    // "dmm-tuntap echo!"`;
//   Ether(dst='02:dd:00:00:00:02', src='02:dd:00:00:00:01')
//   /IPv6(src='2001:db8:d::1', dst='2001:db8:d::2', hlim=64)
//   /ICMPv6EchoReply(id=0x1234, seq=1, data=b'dmm-tuntap echo!')
const SCAPY_TAP_REPLY = hex`
  02:dd:00:00:00:02  02:dd:00:00:00:01  86dd
  60000000 0018 3a 40  2001:db8:d::1  2001:db8:d::2
  81 00 0805  1234 0001
  646d6d2d74756e746170206563686f21`;

// scapy 2.5: IPv6(src='2001:db8:e::2', dst='2001:db8:e::1', hlim=64)
//            /ICMPv6EchoRequest(id=0x4321, seq=7, data=b'tun round trip!!')
const SCAPY_TUN_REQUEST = hex`
  60000000 0018 3a 40  2001:db8:e::2  2001:db8:e::1
  80 00 b35b  4321 0007
  74756e20726f756e6420747269702121                    // "tun round trip!!"`;
// scapy 2.5: IPv6(src='2001:db8:e::1', dst='2001:db8:e::2', hlim=64)
//            /ICMPv6EchoReply(id=0x4321, seq=7, data=b'tun round trip!!')
const SCAPY_TUN_REPLY = hex`
  60000000 0018 3a 40  2001:db8:e::1  2001:db8:e::2
  81 00 b25b  4321 0007
  74756e20726f756e6420747269702121`;

const ETH_LAYOUT = [
  { name: 'eth dst', off: 0, len: 6 },
  { name: 'eth src', off: 6, len: 6 },
  { name: 'ethertype', off: 12, len: 2 },
  { name: 'ipv6 version/class/flow', off: 14, len: 4 },
  { name: 'ipv6 payload length', off: 18, len: 2 },
  { name: 'ipv6 next header', off: 20, len: 1 },
  { name: 'ipv6 hop limit', off: 21, len: 1 },
  { name: 'ipv6 source', off: 22, len: 16 },
  { name: 'ipv6 destination', off: 38, len: 16 },
  { name: 'icmpv6 type', off: 54, len: 1 },
  { name: 'icmpv6 code', off: 55, len: 1 },
  { name: 'icmpv6 checksum', off: 56, len: 2 },
  { name: 'echo identifier', off: 58, len: 2 },
  { name: 'echo sequence', off: 60, len: 2 },
  { name: 'echo data', off: 62, len: 16 },
];

test(
  'tap: an Echo Request written into a TAP in a namespace gets the kernel Echo Reply',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const ns = lab.netns();
      const name = lab.devName('t');
      const tap = lab.track(new Tap({ name }));
      tap.macString = TAP_LINK.kernelMac;
      tap.moveToNetns(ns);
      assert.equal(tap.netns, ns);
      assert.equal(linkInfo(name), null, 'the device left the original namespace');

      // Inside the namespace, with the kernel's own tools: the address without DAD so it is
      // usable at once, the link up, and a permanent neighbour entry for our side so the
      // kernel can send the reply without Neighbor Discovery. Flow labels off so the reply
      // is byte-exact predictable.
      inNetns(ns, 'sysctl', '-qw', 'net.ipv6.auto_flowlabels=0');
      ip('-n', ns, 'addr', 'add', `${TAP_LINK.kernelAddr}/64`, 'dev', name, 'nodad');
      ip('-n', ns, 'link', 'set', 'dev', name, 'up');
      ip(
        '-n',
        ns,
        'neigh',
        'add',
        TAP_LINK.peerAddr,
        'lladdr',
        TAP_LINK.peerMac,
        'dev',
        name,
        'nud',
        'permanent',
      );

      const slab = new Slab(64);
      tap.attachSlab(slab.ab);
      const rxBefore = linkInfo(name, ns)!.stats64.rx.packets;

      // Build the request in place in slot 0 with @dmm/wire and check it against scapy.
      const off = slab.offsets[0]!;
      const len = emitEcho(slab.bytes, slab.dv, off, {
        dstMac: parseMac(TAP_LINK.kernelMac),
        srcMac: parseMac(TAP_LINK.peerMac),
        src: parseIpv6(TAP_LINK.peerAddr),
        dst: parseIpv6(TAP_LINK.kernelAddr),
        type: Icmpv6Type.EchoRequest,
        id: 0x1234,
        seq: 1,
        data: ECHO_DATA,
      });
      slab.lengths[0] = len;
      assertBytes(slab.frame(0), SCAPY_TAP_REQUEST, ETH_LAYOUT, 'request built with @dmm/wire');

      assert.equal(tap.writeBatch(slab.offsets, slab.lengths, 1), 1);
      assert.equal(linkInfo(name, ns)!.stats64.rx.packets - rxBefore, 1, 'kernel rx counter');

      const { frames } = await collect(tap, slab, isEchoReply(ETH_HEADER_LEN, 0x1234), 1);
      const reply = frames[0]!;
      assertBytes(reply, SCAPY_TAP_REPLY, ETH_LAYOUT, 'kernel Echo Reply');
      // The same facts read field by field, so a failure says which one.
      const e = parseEcho(reply, ETH_HEADER_LEN)!;
      assert.equal(e.type, Icmpv6Type.EchoReply);
      assert.equal(e.code, 0);
      assert.equal(e.id, 0x1234);
      assert.equal(e.seq, 1);
      assert.deepEqual(e.data, ECHO_DATA);
      assert.equal(e.ip.nextHeader(), IpProto.Icmpv6);
      assert.ok(e.ip.srcEquals(parseIpv6(TAP_LINK.kernelAddr)));
      assert.ok(e.ip.dstEquals(parseIpv6(TAP_LINK.peerAddr)));
      assert.ok(e.checksumOk, 'ICMPv6 checksum verifies over the pseudo-header');
      assert.equal(e.checksum, 0x0805, 'checksum as scapy computes it');

      const s = tap.stats();
      assert.equal(s.writeFrames, 1);
      assert.equal(s.writes, 1);
      assert.ok(s.readFrames >= 1);
      assert.ok(s.pollReadable >= 1);
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'tun: an IPv6 Echo Request through a TUN (no Ethernet header) is answered',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const ns = lab.netns();
      const name = lab.devName('u');
      const tun = lab.track(new Tun({ name }));
      assert.equal(tun.kind, 'tun');
      tun.moveToNetns(ns);
      inNetns(ns, 'sysctl', '-qw', 'net.ipv6.auto_flowlabels=0');
      ip('-n', ns, 'addr', 'add', '2001:db8:e::1/64', 'dev', name, 'nodad');
      tun.up = true;
      assert.equal(linkInfo(name, ns)!.link_type, 'none', 'a TUN has no link layer');

      const slab = new Slab(16);
      tun.attachSlab(slab.ab);
      slab.lengths[0] = emitEcho(slab.bytes, slab.dv, slab.offsets[0]!, {
        src: parseIpv6('2001:db8:e::2'),
        dst: parseIpv6('2001:db8:e::1'),
        type: Icmpv6Type.EchoRequest,
        id: 0x4321,
        seq: 7,
        data: new TextEncoder().encode('tun round trip!!'),
      });
      assertBytes(slab.frame(0), SCAPY_TUN_REQUEST, undefined, 'TUN request built with @dmm/wire');
      assert.equal(tun.writeBatch(slab.offsets, slab.lengths, 1), 1);

      const { frames } = await collect(tun, slab, isEchoReply(0, 0x4321), 1);
      assertBytes(frames[0]!, SCAPY_TUN_REPLY, undefined, 'kernel Echo Reply over TUN');
      const e = parseEcho(frames[0]!, 0)!;
      assert.ok(e.checksumOk);
      assert.equal(e.seq, 7);
    } finally {
      lab.cleanup();
    }
  },
);
