/**
 * Shared test bench for the in-process ND/RA tests: a Router with one Ethernet link on an
 * unpaired MemoryDevice (what the router sends lands in the device's outbox), the `ndra`
 * plugin loaded, time under `t.mock.timers` (setTimeout, setInterval, Date) and
 * `Math.random` pinned, frames built with @dmm/wire and the router's output parsed back.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { MemoryDevice, Router, type Interface } from '@dmm/core';
import { ndraPlugin, type NdraConfigInput } from '@dmm/ndra';
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
  type Ipv6Repr,
  type NdOption,
  type NeighborAdvertRepr,
  type NeighborSolicitRepr,
  type RouterAdvertRepr,
} from '@dmm/wire';

/** The router: MAC and link-local of protocol.md §5.2's RA vector, one global address. */
export const R_MAC = parseMac('02:00:00:00:00:0a');
export const R_LL = parseIpv6('fe80::1');
export const R_GLOBAL = parseIpv6('2001:db8:1::1');
/** A host on the link. */
export const H_MAC = parseMac('02:00:00:00:00:99');
export const H_LL = parseIpv6('fe80::99');
export const H_GLOBAL = parseIpv6('2001:db8:1::99');
export const ALL_NODES = parseIpv6('ff02::1');
export const ALL_ROUTERS = parseIpv6('ff02::2');
export const UNSPEC = parseIpv6('::');
export const ALL_NODES_MAC = parseMac('33:33:00:00:00:01');

/** The second link (with `twoLinks`): the router and a far host with a static entry. */
export const R1_MAC = parseMac('02:00:00:00:01:0a');
export const R1_GLOBAL = parseIpv6('2001:db8:2::1');
export const FAR = parseIpv6('2001:db8:2::2');
export const FAR_MAC = parseMac('02:00:00:00:01:22');

export interface Bench {
  router: Router;
  dev: MemoryDevice;
  iface: Interface;
  /** The second link's device (with `twoLinks`). */
  dev1: MemoryDevice | null;
  /** Delivers frames to the router on lan0 and runs one breath. */
  inject(...frames: Uint8Array[]): void;
  /** The same on lan1 (with `twoLinks`). */
  inject1(...frames: Uint8Array[]): void;
  /** Frames the router sent since the last call. */
  take(): Uint8Array[];
  /** Advances mocked time by `ms` (timers fire as they come due). */
  tick(ms: number): void;
  /** Counter `node.name` (0 when not counted). */
  counter(name: string): number;
}

export interface BenchOptions {
  config?: NdraConfigInput;
  /** Value Math.random returns (default 0.5). */
  random?: number;
  /** Let DAD finish before returning (default true); its probes are discarded. */
  settle?: boolean;
  /** Add the global address (default true). */
  global?: boolean;
  /** Add lan1 (2001:db8:2::1/64) with FAR as a static neighbour (default false). */
  twoLinks?: boolean;
  /** Packet buffers (default 512). */
  poolCount?: number;
}

/** Builds the bench; `t.mock.timers` must not be enabled yet. */
export async function bench(t: TestContext, opts: BenchOptions = {}): Promise<Bench> {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
  const rnd = opts.random ?? 0.5;
  t.mock.method(Math, 'random', () => rnd);
  const router = new Router({ name: 'r1', pool: { count: opts.poolCount ?? 512, debug: true } });
  const dev = new MemoryDevice({ name: 'lan0', mac: R_MAC });
  const iface = router.addInterface({ name: 'lan0', device: dev, linkLocal: R_LL });
  if (opts.global ?? true) router.addAddress(iface, R_GLOBAL, 64);
  let dev1: MemoryDevice | null = null;
  let config = opts.config ?? {};
  if (opts.twoLinks === true) {
    dev1 = new MemoryDevice({ name: 'lan1', mac: R1_MAC });
    const i1 = router.addInterface({ name: 'lan1', device: dev1 });
    router.addAddress(i1, R1_GLOBAL, 64);
    const neighbors = config.neighbors ?? {};
    config = {
      ...config,
      neighbors: {
        ...neighbors,
        static: [
          ...(neighbors.static ?? []),
          { interface: 'lan1', address: '2001:db8:2::2', mac: '02:00:00:00:01:22' },
        ],
      },
    };
  }
  await router.plugins.load(ndraPlugin, config);
  assert.equal(router.plugins.state('ndra'), 'loaded', JSON.stringify(router.plugins.list()));
  await router.start();
  assert.equal(router.plugins.state('ndra'), 'started', JSON.stringify(router.plugins.list()));
  t.after(() => router.stop());
  const b: Bench = {
    router,
    dev,
    iface,
    dev1,
    inject(...frames) {
      for (const f of frames) assert.ok(dev.inject(f));
      router.scheduler.poll();
    },
    inject1(...frames) {
      for (const f of frames) assert.ok(dev1!.inject(f));
      router.scheduler.poll();
    },
    take: () => dev.take(),
    tick(ms) {
      // in steps of at most 50 ms: Node's mock timers show every callback of one tick()
      // the final Date.now(), so one long tick would look like one late timer firing
      for (let left = ms; left > 0; left -= 50) t.mock.timers.tick(Math.min(50, left));
    },
    counter: (name) => router.counters()[name] ?? 0,
  };
  if (opts.settle ?? true) {
    b.tick(1000); // RetransTimer after the DAD probes
    b.take();
    dev1?.take();
  }
  return b;
}

/** An Ethernet + IPv6 frame around an ICMPv6 message, checksum filled in. */
export function icmpFrame(
  o: {
    dstMac: Uint8Array;
    srcMac?: Uint8Array;
    src: Uint8Array;
    dst: Uint8Array;
    hopLimit?: number;
  },
  msg: Uint8Array,
): Uint8Array {
  const f = new Uint8Array(54 + msg.length);
  f.set(o.dstMac, 0);
  f.set(o.srcMac ?? H_MAC, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  const dv = dataViewOf(f);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: msg.length,
      nextHeader: IpProto.Icmpv6,
      hopLimit: o.hopLimit ?? 255,
      src: o.src,
      dst: o.dst,
    },
    new Ipv6View(f, dv, 14, f.length),
  );
  f.set(msg, 54);
  new Icmpv6View(f, dv, 54, f.length).fillChecksum(22, 38);
  return f;
}

export function nsMsg(target: Uint8Array, options: NdOption[] = []): Uint8Array {
  const r: NeighborSolicitRepr = { target, options };
  const m = new Uint8Array(NeighborSolicit.bufferLen(r));
  NeighborSolicit.emit(r, new NeighborSolicitView(m, dataViewOf(m)));
  return m;
}

export function naMsg(r: NeighborAdvertRepr): Uint8Array {
  const m = new Uint8Array(NeighborAdvert.bufferLen(r));
  NeighborAdvert.emit(r, new NeighborAdvertView(m, dataViewOf(m)));
  return m;
}

export function rsMsg(options: NdOption[] = []): Uint8Array {
  const r = { options };
  const m = new Uint8Array(RouterSolicit.bufferLen(r));
  RouterSolicit.emit(r, new RouterSolicitView(m, dataViewOf(m)));
  return m;
}

export function raMsg(r: RouterAdvertRepr): Uint8Array {
  const m = new Uint8Array(RouterAdvert.bufferLen(r));
  RouterAdvert.emit(r, new RouterAdvertView(m, dataViewOf(m)));
  return m;
}

/** A frame the router sent: Ethernet addresses, IPv6 header, ICMPv6 message (checksum verified). */
export interface Out {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  ip: Ipv6Repr;
  type: number;
  code: number;
  /** The ICMPv6 message bytes. */
  icmp: Uint8Array;
  frame: Uint8Array;
}

export function parseOut(f: Uint8Array): Out {
  assert.equal((f[12]! << 8) | f[13]!, 0x86dd, 'EtherType IPv6');
  const dv = dataViewOf(f);
  const ip = Ipv6.parse(new Ipv6View(f, dv, 14, f.length));
  assert.equal(ip.nextHeader, IpProto.Icmpv6);
  assert.equal(f.length, 54 + ip.payloadLength, 'no trailing bytes');
  const v = new Icmpv6View(f, dv, 54, 54 + ip.payloadLength);
  assert.ok(v.verifyChecksum(22, 38), 'ICMPv6 checksum verifies');
  return {
    dstMac: f.slice(0, 6),
    srcMac: f.slice(6, 12),
    ip,
    type: f[54]!,
    code: f[55]!,
    icmp: f.slice(54),
    frame: f,
  };
}

export function parseNa(o: Out): NeighborAdvertRepr {
  return NeighborAdvert.parse(new NeighborAdvertView(o.icmp, dataViewOf(o.icmp)));
}
export function parseNs(o: Out): NeighborSolicitRepr {
  return NeighborSolicit.parse(new NeighborSolicitView(o.icmp, dataViewOf(o.icmp)));
}
export function parseRa(o: Out): RouterAdvertRepr {
  return RouterAdvert.parse(new RouterAdvertView(o.icmp, dataViewOf(o.icmp)));
}

/** The router's frames, parsed, of ICMPv6 type `type` only. */
export function outOfType(frames: Uint8Array[], type: number): Out[] {
  return frames.map(parseOut).filter((o) => o.type === type);
}

/** An IPv6 UDP packet in an Ethernet frame (something to forward). */
export function udpFrame(
  dstMac: Uint8Array,
  srcMac: Uint8Array,
  src: Uint8Array,
  dst: Uint8Array,
  srcPort = 4000,
  hopLimit = 64,
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
      hopLimit,
      src,
      dst,
    },
    new Ipv6View(f, dataViewOf(f), 14, f.length),
  );
  // UDP srcPort → 5000, length 16, checksum left 0 (the router does not look at it)
  f.set([srcPort >> 8, srcPort & 0xff, 0x13, 0x88, 0, 16, 0, 0], 54);
  return f;
}
