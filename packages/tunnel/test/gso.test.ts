/**
 * Super-packets (offloads, @dmm/core gso.ts) at the tunnel entry point: RFC 2473 §7 judged
 * on the segment size, segmentation before encapsulation (the kernel cannot segment
 * IPv6-in-IPv6 from a virtio-net header), and partial checksums completed before the
 * packet disappears inside the tunnel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GsoType, MemoryDevice, RouteKind, Router, type PacketBuffer } from '@dmm/core';
import { Icmpv6Type, IpProto, upperLayerChecksum } from '@dmm/wire';
import { TUNNELS, tunnelPlugin } from '@dmm/tunnel';
import {
  A_LAN,
  A_LAN_MAC,
  A_WAN,
  A_WAN_MAC,
  B_WAN,
  B_WAN_MAC,
  FAR_NET,
  H0,
  H0_MAC,
  H1,
  link,
  neighbor,
} from './lab.js';

async function entryPoint() {
  const router = new Router({ name: 'A', pool: { count: 512, largeCount: 4, debug: true } });
  const info = await router.plugins.load(tunnelPlugin, {});
  assert.equal(info.state, 'loaded', info.lastError ?? '');
  const tunnels = router.container.resolve(TUNNELS);
  const lan = new MemoryDevice({ name: 'a-lan0', mac: A_LAN_MAC });
  const wan = new MemoryDevice({ name: 'a-wan0', mac: A_WAN_MAC, mtu: 1500 });
  const lanIf = link(router, 'lan0', lan, A_LAN);
  const wanIf = link(router, 'wan0', wan, A_WAN);
  neighbor(router, lanIf, H0, H0_MAC);
  neighbor(router, wanIf, B_WAN, B_WAN_MAC);
  const t = tunnels.acquire(A_WAN, B_WAN);
  router.addRoute({ prefix: FAR_NET, prefixLen: 48, kind: RouteKind.Tunnel, tunnel: t });
  return { router, lan, wan, lanIf, tunnels, t };
}

/** H0 → H1 Ethernet + IPv6 + `l4` header of `l4Len` bytes + `payload` pattern bytes. */
function frame(proto: number, l4Len: number, payload: number): Uint8Array {
  const f = new Uint8Array(14 + 40 + l4Len + payload);
  f.set(A_LAN_MAC, 0);
  f.set(H0_MAC, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  f[14] = 0x60;
  f[18] = (l4Len + payload) >>> 8;
  f[19] = (l4Len + payload) & 0xff;
  f[20] = proto;
  f[21] = 64;
  f.set(H0, 22);
  f.set(H1, 38);
  for (let k = 0; k < payload; k++) f[54 + l4Len + k] = k & 0xff;
  return f;
}

function inject(router: Router, rxIf: number, f: Uint8Array, meta: (pb: PacketBuffer) => void) {
  const pb = router.pool.allocLarge()!;
  router.pool.bytes.set(f, pb.start);
  pb.end = pb.start + f.length;
  pb.rxIf = rxIf;
  meta(pb);
  router.scheduler.inject(router.graph.indexOf('ethernet-input'), pb);
}

function tcpSuper(gsoSize: number) {
  const f = frame(IpProto.Tcp, 20, 4000);
  f[54] = 0x9c; // 40000 → 5201
  f[55] = 0x40;
  f[56] = 0x14;
  f[57] = 0x51;
  f[61] = 1; // seq 1
  f[66] = 0x50; // data offset 5
  f[67] = 0x19; // ACK PSH FIN
  f[68] = 0x10;
  return {
    f,
    meta: (pb: PacketBuffer) => {
      pb.gsoType = GsoType.TcpV6;
      pb.gsoSize = gsoSize;
      pb.csumStart = pb.start + 54;
      pb.csumOffset = 16;
    },
  };
}

test('tunnel: a super-packet whose segments fit the tunnel is cut into segments, each encapsulated', async () => {
  const { router, wan, lanIf } = await entryPoint();
  const { f, meta } = tcpSuper(1000);
  inject(router, lanIf.index, f, meta);
  const out = wan.take();
  assert.equal(out.length, 4);
  for (const [k, o] of out.entries()) {
    // outer IPv6 (NH 41, Payload Length 40 + 1020) around one 1060-byte inner segment
    assert.equal(o.length, 14 + 40 + 40 + 20 + 1000);
    assert.equal(o[20], IpProto.Ipv6);
    assert.equal((o[18]! << 8) | o[19]!, 1060);
    assert.equal((o[58]! << 8) | o[59]!, 1020, 'inner Payload Length');
    assert.equal(o[61], 63, 'inner hop limit decremented once');
    const seq = new DataView(o.buffer, o.byteOffset).getUint32(54 + 40 + 4);
    assert.equal(seq, 1 + 1000 * k);
    assert.equal(o[54 + 40 + 13], k === 3 ? 0x19 : 0x10, 'FIN/PSH only on the last');
    assert.equal(upperLayerChecksum(o, 54, 94, 1020, IpProto.Tcp), 0, 'inner TCP checksum');
  }
  assert.equal(router.counters()['ip6ip6-encap.gso-segmented'], 1);
  assert.equal(router.pool.inUse, 0);
});

test('tunnel: a super-packet whose segments exceed the tunnel MTU gets Packet Too Big (RFC 2473 §7)', async () => {
  const { router, lan, wan, lanIf, tunnels, t } = await entryPoint();
  assert.equal(tunnels.info(t)!.mtu, 1460);
  // 40 + 20 + 1410 = 1470 > 1460: too big for the tunnel although each check on the total
  // length alone would say the same; 1400 (1460) fits exactly
  const { f, meta } = tcpSuper(1410);
  inject(router, lanIf.index, f, meta);
  assert.equal(wan.take().length, 0);
  const back = lan.take();
  assert.equal(back.length, 1);
  const e = back[0]!;
  assert.equal(e[54], Icmpv6Type.PacketTooBig);
  assert.equal(new DataView(e.buffer, e.byteOffset).getUint32(58), 1460);
  const fit = tcpSuper(1400);
  inject(router, lanIf.index, fit.f, fit.meta);
  const segs = wan.take();
  assert.equal(segs.length, 3);
  assert.equal(segs[0]!.length, 14 + 1500);
  assert.equal(router.pool.inUse, 0);
});

test('tunnel: a partial UDP checksum is completed before encapsulation', async () => {
  const { router, wan, lanIf } = await entryPoint();
  const f = frame(IpProto.Udp, 8, 13);
  f[54] = 0x04; // 1234 → 5678, length 21
  f[55] = 0xd2;
  f[56] = 0x16;
  f[57] = 0x2e;
  f[59] = 21;
  // the folded pseudo-header sum (Linux CHECKSUM_PARTIAL leaves it in the field)
  let acc = 21 + IpProto.Udp;
  for (let k = 0; k < 32; k += 2) acc += (f[22 + k]! << 8) | f[23 + k]!;
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  f[60] = acc >>> 8;
  f[61] = acc & 0xff;
  inject(router, lanIf.index, f, (pb) => {
    pb.csumStart = pb.start + 54;
    pb.csumOffset = 6;
  });
  const [o] = wan.take();
  assert.ok(o);
  assert.equal(upperLayerChecksum(o, 54, 94, 21, IpProto.Udp), 0, 'inner UDP checksum');
});
