/**
 * Test bench for the tunnel tests: Routers with the `tunnel` plugin on MemoryDevices,
 * permanent neighbours (no ND module), frames built with @dmm/wire and parsed back.
 *
 * ```
 *  H0 ---lan0--- [A] ---wan0====wan0--- [B] ---lan1--- H1        twoRouters()
 *  2001:db8:1:1::/64   fd00:100::2   fd00:100::1   2001:db8:ffff::/64
 *
 *  H0 ---lan0--- [A] ---wan0====c0 [C] c1====wan0--- [B] ---lan1--- H1      threeRouters()
 *                  fd00:100::2  fd00:100::fe  fd00:200::fe  fd00:200::1
 * ```
 * The addresses of A, B, H0 and H1 are those of protocol.md §5.2's IPv6-in-IPv6 vector.
 */
import assert from 'node:assert/strict';
import { MemoryDevice, NeighborState, RouteKind, Router, type Interface } from '@dmm/core';
import { parseIpv6, parseMac } from '@dmm/testkit';
import {
  Icmpv6,
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  dataViewOf,
  type Icmpv6Repr,
  type Ipv6Repr,
} from '@dmm/wire';
import { TUNNELS, tunnelPlugin, type TunnelConfig, type TunnelTable } from '@dmm/tunnel';

export const H0 = parseIpv6('2001:db8:1:1::100');
export const H0_MAC = parseMac('02:00:00:00:00:10');
export const A_LAN = parseIpv6('2001:db8:1:1::1');
export const A_LAN_MAC = parseMac('02:00:00:00:0a:00');
export const A_WAN = parseIpv6('fd00:100::2');
export const A_WAN_MAC = parseMac('02:00:00:00:0a:01');
export const B_WAN = parseIpv6('fd00:100::1');
export const B_WAN_MAC = parseMac('02:00:00:00:0b:01');
export const B_LAN = parseIpv6('2001:db8:ffff::fe');
export const B_LAN_MAC = parseMac('02:00:00:00:0b:00');
export const H1 = parseIpv6('2001:db8:ffff::1');
export const H1_MAC = parseMac('02:00:00:00:00:11');
export const C0 = parseIpv6('fd00:100::fe');
export const C0_MAC = parseMac('02:00:00:00:0c:00');
export const C1 = parseIpv6('fd00:200::fe');
export const C1_MAC = parseMac('02:00:00:00:0c:01');
/** B's backbone address in the three-router topology. */
export const B_WAN2 = parseIpv6('fd00:200::1');

/** H0's prefix and the far prefix behind B. */
export const H0_NET = parseIpv6('2001:db8:1:1::');
export const FAR_NET = parseIpv6('2001:db8:ffff::');

export interface TunnelRouter {
  router: Router;
  tunnels: TunnelTable;
}

/** A Router (debug pool) with the tunnel plugin loaded. */
export async function tunnelRouter(
  name: string,
  config: Partial<TunnelConfig> = {},
  pool: { count?: number; debug?: boolean } = {},
): Promise<TunnelRouter> {
  const router = new Router({
    name,
    pool: { count: pool.count ?? 512, debug: pool.debug ?? true },
  });
  const info = await router.plugins.load(tunnelPlugin, config);
  assert.equal(info.state, 'loaded', info.lastError ?? '');
  return { router, tunnels: router.container.resolve(TUNNELS) };
}

/** Adds an Ethernet interface with one global address (and its connected route). */
export function link(
  router: Router,
  name: string,
  dev: MemoryDevice,
  addr: Uint8Array,
  prefixLen = 64,
): Interface {
  const i = router.addInterface({ name, device: dev });
  router.addAddress(i, addr, prefixLen);
  return i;
}

/** A permanent neighbour entry (we run no ND module). */
export function neighbor(
  router: Router,
  iface: Interface,
  addr: Uint8Array,
  mac: Uint8Array,
): void {
  const id = router.neighbors.create(iface.index, addr, 0, NeighborState.Permanent);
  router.neighbors.setMac(id, mac);
}

/** Breathes every interface of every router until no frame moves any more. */
export function runUntilQuiet(...routers: Router[]): void {
  for (let round = 0; round < 1000; round++) {
    let n = 0;
    for (const r of routers) n += r.scheduler.poll();
    if (n === 0) return;
  }
  assert.fail('routers did not go quiet');
}

/** Lets deferred work (events emitted after a breath, scheduled refreshes) run. */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export interface TwoRouters {
  a: TunnelRouter;
  b: TunnelRouter;
  aLan: MemoryDevice;
  aWan: MemoryDevice;
  bWan: MemoryDevice;
  bLan: MemoryDevice;
  /** A's tunnel to B (fd00:100::2 → fd00:100::1), B's tunnel to A. */
  tAB: number;
  tBA: number;
}

/**
 * A and B back to back on the backbone (`MemoryDevice.pair`, or two unpaired devices when
 * `pair` is false so a test can read what A sends), each with a tunnel to the other and a
 * route through it to the far side's prefix.
 */
export async function twoRouters(
  opts: {
    pair?: boolean;
    wanMtu?: number;
    config?: Partial<TunnelConfig>;
    poolCount?: number;
  } = {},
): Promise<TwoRouters> {
  const poolOpts = opts.poolCount === undefined ? {} : { count: opts.poolCount, debug: false };
  const a = await tunnelRouter('A', opts.config, poolOpts);
  const b = await tunnelRouter('B', opts.config, poolOpts);
  const wanMtu = opts.wanMtu ?? 1500;
  const [aWan, bWan] =
    opts.pair === false
      ? [
          new MemoryDevice({ name: 'a-wan0', mac: A_WAN_MAC, mtu: wanMtu }),
          new MemoryDevice({ name: 'b-wan0', mac: B_WAN_MAC, mtu: wanMtu }),
        ]
      : MemoryDevice.pair(
          { name: 'a-wan0', mac: A_WAN_MAC, mtu: wanMtu, ringSize: 1024 },
          { name: 'b-wan0', mac: B_WAN_MAC, mtu: wanMtu, ringSize: 1024 },
        );
  const aLan = new MemoryDevice({ name: 'a-lan0', mac: A_LAN_MAC, ringSize: 1024 });
  const bLan = new MemoryDevice({ name: 'b-lan1', mac: B_LAN_MAC, ringSize: 1024 });
  const aLanIf = link(a.router, 'lan0', aLan, A_LAN);
  const aWanIf = link(a.router, 'wan0', aWan, A_WAN);
  const bWanIf = link(b.router, 'wan0', bWan, B_WAN);
  const bLanIf = link(b.router, 'lan1', bLan, B_LAN);
  neighbor(a.router, aLanIf, H0, H0_MAC);
  neighbor(a.router, aWanIf, B_WAN, B_WAN_MAC);
  neighbor(b.router, bWanIf, A_WAN, A_WAN_MAC);
  neighbor(b.router, bLanIf, H1, H1_MAC);
  const tAB = a.tunnels.acquire(A_WAN, B_WAN);
  const tBA = b.tunnels.acquire(B_WAN, A_WAN);
  a.router.addRoute({ prefix: FAR_NET, prefixLen: 48, kind: RouteKind.Tunnel, tunnel: tAB });
  b.router.addRoute({ prefix: H0_NET, prefixLen: 64, kind: RouteKind.Tunnel, tunnel: tBA });
  return { a, b, aLan, aWan, bWan, bLan, tAB, tBA };
}

export interface ThreeRouters {
  a: TunnelRouter;
  b: TunnelRouter;
  c: Router;
  aLan: MemoryDevice;
  bLan: MemoryDevice;
  /** A's tunnel fd00:100::2 → fd00:200::1. */
  tAB: number;
  tBA: number;
}

/**
 * A — C — B: C is a plain backbone router whose link to B has MTU `cbMtu`; the tunnel
 * between A and B crosses it.
 */
export async function threeRouters(
  opts: { cbMtu?: number; config?: Partial<TunnelConfig> } = {},
): Promise<ThreeRouters> {
  const a = await tunnelRouter('A', opts.config);
  const b = await tunnelRouter('B', opts.config);
  const c = new Router({ name: 'C', pool: { count: 256, debug: true } });
  const cbMtu = opts.cbMtu ?? 1500;
  const [aWan, cA] = MemoryDevice.pair(
    { name: 'a-wan0', mac: A_WAN_MAC },
    { name: 'c0', mac: C0_MAC },
  );
  const [cB, bWan] = MemoryDevice.pair(
    { name: 'c1', mac: C1_MAC, mtu: cbMtu },
    { name: 'b-wan0', mac: B_WAN_MAC, mtu: cbMtu },
  );
  const aLan = new MemoryDevice({ name: 'a-lan0', mac: A_LAN_MAC });
  const bLan = new MemoryDevice({ name: 'b-lan1', mac: B_LAN_MAC });
  const aLanIf = link(a.router, 'lan0', aLan, A_LAN);
  const aWanIf = link(a.router, 'wan0', aWan, A_WAN);
  const c0 = link(c, 'c0', cA, C0);
  const c1 = link(c, 'c1', cB, C1);
  const bWanIf = link(b.router, 'wan0', bWan, B_WAN2);
  const bLanIf = link(b.router, 'lan1', bLan, B_LAN);
  neighbor(a.router, aLanIf, H0, H0_MAC);
  neighbor(a.router, aWanIf, C0, C0_MAC);
  neighbor(c, c0, A_WAN, A_WAN_MAC);
  neighbor(c, c1, B_WAN2, B_WAN_MAC);
  neighbor(b.router, bWanIf, C1, C1_MAC);
  neighbor(b.router, bLanIf, H1, H1_MAC);
  a.router.addRoute({
    prefix: parseIpv6('fd00:200::'),
    prefixLen: 64,
    ifIndex: aWanIf.index,
    gateway: C0,
  });
  b.router.addRoute({
    prefix: parseIpv6('fd00:100::'),
    prefixLen: 64,
    ifIndex: bWanIf.index,
    gateway: C1,
  });
  const tAB = a.tunnels.acquire(A_WAN, B_WAN2);
  const tBA = b.tunnels.acquire(B_WAN2, A_WAN);
  a.router.addRoute({ prefix: FAR_NET, prefixLen: 48, kind: RouteKind.Tunnel, tunnel: tAB });
  b.router.addRoute({ prefix: H0_NET, prefixLen: 64, kind: RouteKind.Tunnel, tunnel: tBA });
  return { a, b, c, aLan, bLan, tAB, tBA };
}

// ---------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------

/** `n` bytes 00 01 02 … ff 00 01 … (the data the scapy vectors use). */
export function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i & 0xff;
  return out;
}

/** An IPv6 packet carrying an ICMPv6 message, checksum filled. */
export function icmpPacket(
  src: Uint8Array,
  dst: Uint8Array,
  hopLimit: number,
  msg: Icmpv6Repr,
): Uint8Array {
  const len = Icmpv6.bufferLen(msg);
  const p = new Uint8Array(40 + len);
  const dv = dataViewOf(p);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: len,
      nextHeader: IpProto.Icmpv6,
      hopLimit,
      src,
      dst,
    },
    new Ipv6View(p, dv, 0, p.length),
  );
  const v = new Icmpv6View(p, dv, 40, p.length);
  Icmpv6.emit(msg, v);
  v.fillChecksum(8, 24);
  return p;
}

/** An Echo Request from H0 to H1 (through the tunnel) with `dataLen` pattern bytes. */
export function echoH0toH1(hopLimit: number, seq: number, data: Uint8Array): Uint8Array {
  return icmpPacket(H0, H1, hopLimit, { kind: 'echo-request', id: 1, seq, data });
}

/** An Ethernet frame around an IPv6 packet. */
export function eth(dst: Uint8Array, src: Uint8Array, packet: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + packet.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  f.set(packet, 14);
  return f;
}

/** The IPv6 header of a frame's packet, and the packet bytes (copy). */
export function ipOf(frame: Uint8Array): { ip: Ipv6Repr; packet: Uint8Array } {
  const dv = dataViewOf(frame);
  const ip = Ipv6.parse(new Ipv6View(frame, dv, 14, frame.length));
  return { ip, packet: frame.slice(14, 14 + 40 + ip.payloadLength) };
}

/** Parses an ICMPv6 message in a frame, asserting its checksum verifies. */
export function icmpOf(frame: Uint8Array): { ip: Ipv6Repr; icmp: Icmpv6Repr; packet: Uint8Array } {
  const { ip, packet } = ipOf(frame);
  assert.equal(ip.nextHeader, IpProto.Icmpv6);
  const dv = dataViewOf(packet);
  const v = new Icmpv6View(packet, dv, 40, packet.length);
  assert.ok(v.verifyChecksum(8, 24), 'ICMPv6 checksum verifies');
  return { ip, icmp: Icmpv6.parse(v), packet };
}

/** Every frame a device sent, asserting there are `n`. */
export function takeN(dev: MemoryDevice, n: number): Uint8Array[] {
  const frames = dev.take();
  assert.equal(frames.length, n, `${dev.name}: ${frames.length} frames, expected ${n}`);
  return frames;
}

/** `packet` with its hop limit set to `hopLimit` (a copy). */
export function withHopLimit(packet: Uint8Array, hopLimit: number): Uint8Array {
  const p = Uint8Array.from(packet);
  p[7] = hopLimit;
  return p;
}
