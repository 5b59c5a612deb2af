/**
 * Test bench for the in-process DLIF tests: a Router (a D-GW) with one access link `acc0` on
 * an unpaired MemoryDevice (what it sends lands in the device's outbox), `ndra` and `dlif`
 * loaded, time under `t.mock.timers` (setTimeout, setInterval, Date) and Math.random pinned,
 * frames built with @dmm/wire and the router's output parsed back with it.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { MemoryDevice, Router, type Interface } from '@dmm/core';
import { ndraPlugin } from '@dmm/ndra';
import { DLIFS, dlifPlugin, type DlifConfigInput, type DlifManager } from '@dmm/dlif';
import { parseIpv6, parseMac } from '@dmm/testkit';
import {
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  NeighborAdvert,
  NeighborAdvertView,
  NeighborSolicit,
  NeighborSolicitView,
  RouterAdvert,
  RouterAdvertView,
  RouterSolicit,
  RouterSolicitView,
  dataViewOf,
  formatIpv6,
  multicastMacFor,
  solicitedNodeMulticast,
  type Ipv6Repr,
  type NeighborAdvertRepr,
  type NeighborSolicitRepr,
  type RouterAdvertRepr,
} from '@dmm/wire';

/** The D-GW's access interface. */
export const P_MAC = parseMac('02:00:00:00:00:0a');
/** Mobile node 1 and its modified EUI-64 link-local. */
export const MN1_MAC = parseMac('02:00:00:00:0a:01');
export const MN1_LL = parseIpv6('fe80::ff:fe00:a01');
/** Mobile node 2. */
export const MN2_MAC = parseMac('02:00:00:00:0a:02');
export const MN2_LL = parseIpv6('fe80::ff:fe00:a02');
/**
 * DLIF identities of identity.test.ts (derived from the anchor and node ids; vectors made
 * with Debian python3 hashlib and scapy's in6_mactoifaceid).
 */
export const S_MAC = parseMac('02:6c:bb:ec:90:14'); // (dgw2, mn1)
export const S_LL = parseIpv6('fe80::6c:bbff:feec:9014');
export const A_MAC = parseMac('02:64:51:7c:2a:cc'); // (dgw1, mn1)
export const A_LL = parseIpv6('fe80::64:51ff:fe7c:2acc');
export const PREF_A = parseIpv6('2001:db8:a::');
export const PREF_B = parseIpv6('2001:db8:b::');
export const LOCALNET = parseIpv6('2001:db8:99::');
export const ALL_NODES = parseIpv6('ff02::1');
export const ALL_ROUTERS = parseIpv6('ff02::2');

/** The core link (with `core`): the D-GW and a correspondent node with a static entry. */
export const CORE_MAC = parseMac('02:00:00:00:01:0a');
export const CORE_GLOBAL = parseIpv6('2001:db8:ff::1');
export const CN = parseIpv6('2001:db8:ff::2');
export const CN_MAC = parseMac('02:00:00:00:01:22');

export interface Bench {
  router: Router;
  dev: MemoryDevice;
  parent: Interface;
  /** The core link's device and interface (with `core`). */
  coreDev: MemoryDevice | null;
  core: Interface | null;
  dlifs: DlifManager;
  /** Delivers frames to the router on acc0 and runs one breath. */
  inject(...frames: Uint8Array[]): void;
  /** Frames the router sent since the last call. */
  take(): Uint8Array[];
  /** Advances mocked time by `ms`, in steps of at most 50 ms. */
  tick(ms: number): void;
  counter(name: string): number;
}

export interface BenchOptions {
  config?: DlifConfigInput;
  random?: number;
  poolCount?: number;
  ringSize?: number;
  /** Add core0 (2001:db8:ff::1/64) with CN as a static neighbour. */
  core?: boolean;
}

export async function bench(t: TestContext, opts: BenchOptions = {}): Promise<Bench> {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
  const rnd = opts.random ?? 0.5;
  // replaced by hand: a t.mock.method mock records every call (with its stack), which
  // would show up as memory growth in the scale test
  const random = Math.random;
  Math.random = () => rnd;
  t.after(() => {
    Math.random = random;
  });
  const router = new Router({ name: 'dgw2', pool: { count: opts.poolCount ?? 512, debug: true } });
  const dev = new MemoryDevice({
    name: 'acc0',
    mac: P_MAC,
    ...(opts.ringSize === undefined ? {} : { ringSize: opts.ringSize }),
  });
  const parent = router.addInterface({ name: 'acc0', device: dev });
  let coreDev: MemoryDevice | null = null;
  let core: Interface | null = null;
  if (opts.core === true) {
    coreDev = new MemoryDevice({ name: 'core0', mac: CORE_MAC });
    core = router.addInterface({ name: 'core0', device: coreDev });
    router.addAddress(core, CORE_GLOBAL, 64);
  }
  await router.plugins.load(
    ndraPlugin,
    opts.core === true
      ? {
          neighbors: {
            static: [{ interface: 'core0', address: '2001:db8:ff::2', mac: '02:00:00:00:01:22' }],
          },
        }
      : {},
  );
  await router.plugins.load(dlifPlugin, opts.config ?? {});
  assert.equal(router.plugins.state('dlif'), 'loaded', JSON.stringify(router.plugins.list()));
  await router.start();
  t.after(() => router.stop());
  const b: Bench = {
    router,
    dev,
    parent,
    coreDev,
    core,
    dlifs: router.container.resolve(DLIFS),
    inject(...frames) {
      for (const f of frames) assert.ok(dev.inject(f));
      router.scheduler.poll();
    },
    take: () => dev.take(),
    tick(ms) {
      for (let left = ms; left > 0; left -= 50) t.mock.timers.tick(Math.min(50, left));
    },
    counter: (name) => router.counters()[name] ?? 0,
  };
  b.tick(1000); // the parent's DAD
  b.take();
  coreDev?.take();
  return b;
}

/** An Ethernet + IPv6 frame around an ICMPv6 message from a node, checksum filled in. */
export function icmpFrame(
  o: { dstMac: Uint8Array; srcMac: Uint8Array; src: Uint8Array; dst: Uint8Array },
  msg: Uint8Array,
): Uint8Array {
  const f = new Uint8Array(54 + msg.length);
  f.set(o.dstMac, 0);
  f.set(o.srcMac, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  const dv = dataViewOf(f);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: msg.length,
      nextHeader: IpProto.Icmpv6,
      hopLimit: 255,
      src: o.src,
      dst: o.dst,
    },
    new Ipv6View(f, dv, 14, f.length),
  );
  f.set(msg, 54);
  new Icmpv6View(f, dv, 54, f.length).fillChecksum(22, 38);
  return f;
}

/** A Router Solicitation from a node (to ff02::2, with its SLLA unless its source is ::). */
export function rs(mac: Uint8Array, src: Uint8Array, dstMac = parseMac('33:33:00:00:00:02')) {
  const unspec = src.every((x) => x === 0);
  const r = { options: unspec ? [] : [{ kind: 'source-lla' as const, addr: mac }] };
  const m = new Uint8Array(RouterSolicit.bufferLen(r));
  RouterSolicit.emit(r, new RouterSolicitView(m, dataViewOf(m)));
  return icmpFrame({ dstMac, srcMac: mac, src, dst: ALL_ROUTERS }, m);
}

/** A multicast Neighbor Solicitation for `target` (RFC 4861 §7.2.2) from a node. */
export function nsMulticast(mac: Uint8Array, src: Uint8Array, target: Uint8Array): Uint8Array {
  const r: NeighborSolicitRepr = { target, options: [{ kind: 'source-lla', addr: mac }] };
  const m = new Uint8Array(NeighborSolicit.bufferLen(r));
  NeighborSolicit.emit(r, new NeighborSolicitView(m, dataViewOf(m)));
  const group = solicitedNodeMulticast(target);
  const gmac = new Uint8Array(6);
  multicastMacFor(group, 0, gmac, 0);
  return icmpFrame({ dstMac: gmac, srcMac: mac, src, dst: group }, m);
}

/** A unicast Neighbor Solicitation (NUD, RFC 4861 §7.3.3) to `dstMac` / `dst`. */
export function nsUnicast(
  mac: Uint8Array,
  src: Uint8Array,
  dstMac: Uint8Array,
  dst: Uint8Array,
  target: Uint8Array,
): Uint8Array {
  const r: NeighborSolicitRepr = { target, options: [] };
  const m = new Uint8Array(NeighborSolicit.bufferLen(r));
  NeighborSolicit.emit(r, new NeighborSolicitView(m, dataViewOf(m)));
  return icmpFrame({ dstMac, srcMac: mac, src, dst }, m);
}

/** A UDP packet in an Ethernet frame (something to forward). */
export function udpFrame(
  dstMac: Uint8Array,
  srcMac: Uint8Array,
  src: Uint8Array,
  dst: Uint8Array,
): Uint8Array {
  const f = new Uint8Array(54 + 16);
  f.set(dstMac, 0);
  f.set(srcMac, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: 16,
      nextHeader: IpProto.Udp,
      hopLimit: 64,
      src,
      dst,
    },
    new Ipv6View(f, dataViewOf(f), 14, f.length),
  );
  f.set([0x0f, 0xa0, 0x13, 0x88, 0, 16, 0, 0], 54);
  return f;
}

/** A frame the router sent: Ethernet addresses, IPv6 header, ICMPv6 bytes (checksum verified). */
export interface Out {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  ip: Ipv6Repr;
  type: number;
  icmp: Uint8Array;
  frame: Uint8Array;
}

export function parseOut(f: Uint8Array): Out {
  assert.equal((f[12]! << 8) | f[13]!, 0x86dd, 'EtherType IPv6');
  const dv = dataViewOf(f);
  const ip = Ipv6.parse(new Ipv6View(f, dv, 14, f.length));
  const out: Out = {
    dstMac: f.slice(0, 6),
    srcMac: f.slice(6, 12),
    ip,
    type: -1,
    icmp: new Uint8Array(0),
    frame: f,
  };
  if (ip.nextHeader === IpProto.Icmpv6) {
    const v = new Icmpv6View(f, dv, 54, 54 + ip.payloadLength);
    assert.ok(v.verifyChecksum(22, 38), 'ICMPv6 checksum verifies');
    out.type = f[54]!;
    out.icmp = f.slice(54, 54 + ip.payloadLength);
  }
  return out;
}

export function parseRa(o: Out): RouterAdvertRepr {
  return RouterAdvert.parse(new RouterAdvertView(o.icmp, dataViewOf(o.icmp)));
}
export function parseNa(o: Out): NeighborAdvertRepr {
  return NeighborAdvert.parse(new NeighborAdvertView(o.icmp, dataViewOf(o.icmp)));
}

/** The router's frames of ICMPv6 type `type`, parsed. */
export function ofType(frames: Uint8Array[], type: number): Out[] {
  return frames.map(parseOut).filter((o) => o.type === type);
}

/** The PIOs of an RA as `prefix/len valid/preferred`. */
export function pios(ra: RouterAdvertRepr): string[] {
  return ra.options
    .filter((o) => o.kind === 'prefix-info')
    .map((o) =>
      o.kind === 'prefix-info'
        ? `${formatIpv6(o.prefix)}/${o.prefixLength} ${o.validLifetime}/${o.preferredLifetime}`
        : '',
    );
}

/** The RIOs of an RA as `prefix/len prf lifetime`. */
export function rios(ra: RouterAdvertRepr): string[] {
  return ra.options
    .filter((o) => o.kind === 'route-info')
    .map((o) =>
      o.kind === 'route-info'
        ? `${formatIpv6(o.prefix)}/${o.prefixLength} ${o.prf} ${o.routeLifetime}`
        : '',
    );
}
