/**
 * Test network of the MAG scenario tests: an LMA and one or two MAGs, each a real Router
 * on MemoryDevices with the ndra, tunnel and lma/mag plugins, a backbone hub the test
 * runs (frames delivered to every other router, through an optional filter), and the
 * mobile node and correspondent played by the test.
 *
 * ```
 *   MN ── acc (mag1) [MAG1 fd00:100::2] wan ─┐
 *   MN ── acc (mag2) [MAG2 fd00:100::3] wan ─┼─ hub ── wan [LMA fd00:100::1] cn0 ── CN 2001:db8:ffff::1
 * ```
 * The MAGs' access interfaces all have the fixed link-local fe80::1 and MAC
 * 02:00:00:00:ff:01 (RFC 5213 §9). Addresses, NAI and MN MAC are protocol.md §5.2's.
 */
import assert from 'node:assert/strict';
import { MemoryDevice, Router, type PluginDefinition } from '@dmm/core';
import { ManualClock } from '@dmm/binding-cache';
import { ndraPlugin } from '@dmm/ndra';
import { tunnelPlugin } from '@dmm/tunnel';
import { parseIpv6, parseMac } from '@dmm/testkit';
import {
  Icmpv6,
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  RouterSolicit,
  RouterSolicitView,
  dataViewOf,
  type Icmpv6Repr,
  type Ipv6Repr,
} from '@dmm/wire';
import {
  LMA_SERVICE,
  createLmaPlugin,
  type LmaConfigInput,
  type LocalMobilityAnchor,
} from '@dmm/plugin-lma';
import {
  MAG_SERVICE,
  createMagPlugin,
  type MagConfigInput,
  type MobileAccessGateway,
} from '@dmm/plugin-mag';

export const LMA = parseIpv6('fd00:100::1');
export const LMA_MAC = parseMac('02:00:00:00:0b:01');
export const MAG1 = parseIpv6('fd00:100::2');
export const MAG2 = parseIpv6('fd00:100::3');
export const FIXED_MAC = parseMac('02:00:00:00:ff:01');
export const FIXED_LL = parseIpv6('fe80::1');
export const MN_MAC = parseMac('02:00:00:00:00:01');
export const MN_LL = parseIpv6('fe80::ff:fe00:1');
export const MN_ADDR = parseIpv6('2001:db8:1:1::100');
export const HNP = parseIpv6('2001:db8:1:1::');
export const CN = parseIpv6('2001:db8:ffff::1');
export const CN_MAC = parseMac('02:00:00:00:00:11');
export const ALL_ROUTERS = parseIpv6('ff02::2');
/** protocol.md §5.2's Timestamp, 1700000000.5 s. */
export const T0 = 1_700_000_000_500;

export type Node = 'lma' | 'mag1' | 'mag2';

export interface Frame {
  at: number;
  from: Node;
  bytes: Uint8Array;
}

export interface NetOptions {
  mags?: 1 | 2;
  lma?: Partial<LmaConfigInput>;
  mag?: Partial<MagConfigInput>;
  /** Wall clock of every router (ms since 1970); default Date.now. */
  wall?: () => number;
  /** A frozen BUL clock for MAG1 (RA lifetimes become exact). */
  manualBulClock?: boolean;
  firstSequence?: number;
  /** Backbone MTU (default 1500). */
  wanMtu?: number;
}

export interface Net {
  lmaRouter: Router;
  lma: LocalMobilityAnchor;
  mags: { router: Router; mag: MobileAccessGateway; acc: MemoryDevice; toMn: Uint8Array[] }[];
  cn: MemoryDevice;
  toCn: Uint8Array[];
  /** Every frame that crossed the backbone hub (before the filter). */
  backbone: Frame[];
  /** Drops a backbone frame when it returns false. */
  filter: ((f: Frame) => boolean) | null;
  /** Moves frames until nothing moves. */
  pump(): void;
  /** Pumps for `ms` of real time. */
  run(ms: number): Promise<void>;
  /** Pumps until `cond()` (or fails after `ms`). */
  until(cond: () => boolean, ms?: number, what?: string): Promise<void>;
  stop(): Promise<void>;
}

function macOf(i: number): Uint8Array {
  return parseMac(`02:00:00:00:0a:0${i}`);
}

async function load<C>(router: Router, def: PluginDefinition<C>, cfg: unknown): Promise<void> {
  const info = await router.plugins.load(def, cfg);
  assert.equal(info.state, 'loaded', `${def.name}: ${info.lastError ?? ''}`);
}

export async function net(o: NetOptions = {}): Promise<Net> {
  const wall = o.wall ?? Date.now;
  const wanMtu = o.wanMtu ?? 1500;
  const lmaRouter = new Router({ name: 'lma', pool: { count: 1024, debug: true } });
  const lmaWan = new MemoryDevice({ name: 'lma-wan', mac: LMA_MAC, mtu: wanMtu, ringSize: 1024 });
  const cn = new MemoryDevice({
    name: 'lma-cn',
    mac: parseMac('02:00:00:00:0b:02'),
    ringSize: 1024,
  });
  lmaRouter.addAddress(lmaRouter.addInterface({ name: 'wan0', device: lmaWan }), LMA, 64);
  lmaRouter.addAddress(
    lmaRouter.addInterface({ name: 'cn0', device: cn }),
    parseIpv6('2001:db8:ffff::fe'),
    64,
  );
  const n = o.mags ?? 1;
  await load(lmaRouter, ndraPlugin, {
    neighbors: {
      static: [
        { interface: 'wan0', address: 'fd00:100::2', mac: '02:00:00:00:0a:01' },
        { interface: 'wan0', address: 'fd00:100::3', mac: '02:00:00:00:0a:02' },
        { interface: 'cn0', address: '2001:db8:ffff::1', mac: '02:00:00:00:00:11' },
      ],
    },
  });
  await load(lmaRouter, tunnelPlugin, {});
  await load(lmaRouter, createLmaPlugin({ wallClock: wall }), {
    address: 'fd00:100::1',
    hnpPool: '2001:db8:1::/48',
    mags: ['fd00:100::2', 'fd00:100::3'],
    mobileNodes: { profiles: [{ id: 'mn1@example.org', hnp: '2001:db8:1:1::/64' }] },
    ...o.lma,
  });
  const wans: { node: Node; dev: MemoryDevice }[] = [{ node: 'lma', dev: lmaWan }];
  const mags: Net['mags'] = [];
  for (let i = 1; i <= n; i++) {
    const r = new Router({ name: `mag${i}`, pool: { count: 1024, debug: true } });
    const wan = new MemoryDevice({
      name: `mag${i}-wan`,
      mac: macOf(i),
      mtu: wanMtu,
      ringSize: 1024,
    });
    const acc = new MemoryDevice({ name: `mag${i}-acc`, mac: FIXED_MAC, ringSize: 1024 });
    r.addAddress(r.addInterface({ name: 'wan0', device: wan }), i === 1 ? MAG1 : MAG2, 64);
    r.addInterface({ name: 'acc0', device: acc, linkLocal: FIXED_LL });
    await load(r, ndraPlugin, {
      neighbors: {
        static: [
          { interface: 'wan0', address: 'fd00:100::1', mac: '02:00:00:00:0b:01' },
          { interface: 'acc0', address: '2001:db8:1:1::100', mac: '02:00:00:00:00:01' },
        ],
      },
    });
    await load(r, tunnelPlugin, {});
    await load(
      r,
      createMagPlugin({
        wallClock: wall,
        ...(i === 1 && o.manualBulClock ? { clock: new ManualClock(1000) } : {}),
        ...(o.firstSequence === undefined ? {} : { firstSequence: o.firstSequence }),
      }),
      {
        address: i === 1 ? 'fd00:100::2' : 'fd00:100::3',
        lma: 'fd00:100::1',
        accessInterfaces: ['acc0'],
        mobileNodes: { profiles: [{ id: 'mn1@example.org', mac: '02:00:00:00:00:01' }] },
        lifetime: 60,
        presence: { interval: 0 },
        pmip: {
          FixedMAGLinkLocalAddressOnAllAccessLinks: 'fe80::1',
          FixedMAGLinkLayerAddressOnAllAccessLinks: '02:00:00:00:ff:01',
        },
        ...o.mag,
      },
    );
    wans.push({ node: i === 1 ? 'mag1' : 'mag2', dev: wan });
    mags.push({ router: r, mag: r.container.resolve(MAG_SERVICE), acc, toMn: [] });
  }
  await lmaRouter.start();
  for (const m of mags) await m.router.start();
  const backbone: Frame[] = [];
  const toCn: Uint8Array[] = [];
  const t: Net = {
    lmaRouter,
    lma: lmaRouter.container.resolve(LMA_SERVICE),
    mags,
    cn,
    toCn,
    backbone,
    filter: null,
    pump() {
      for (let round = 0; round < 100; round++) {
        let moved = 0;
        for (const w of wans) {
          for (const bytes of w.dev.take()) {
            moved++;
            const f: Frame = { at: performance.now(), from: w.node, bytes };
            backbone.push(f);
            if (t.filter && !t.filter(f)) continue;
            for (const o2 of wans) if (o2 !== w) o2.dev.inject(bytes);
          }
        }
        for (const m of mags) {
          const out = m.acc.take();
          moved += out.length;
          m.toMn.push(...out);
        }
        const c = cn.take();
        moved += c.length;
        toCn.push(...c);
        let polled = lmaRouter.scheduler.poll();
        for (const m of mags) polled += m.router.scheduler.poll();
        if (moved === 0 && polled === 0) return;
      }
    },
    async run(ms) {
      const end = performance.now() + ms;
      do {
        t.pump();
        await sleep(1);
      } while (performance.now() < end);
      t.pump();
    },
    async until(cond, ms = 2000, what = 'condition') {
      const end = performance.now() + ms;
      for (;;) {
        t.pump();
        if (cond()) return;
        if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
        await sleep(1);
      }
    },
    async stop() {
      for (const m of mags) await m.router.stop();
      await lmaRouter.stop();
    },
  };
  await t.run(5);
  // forget start-up chatter (DAD probes)
  backbone.length = 0;
  for (const m of mags) m.toMn.length = 0;
  toCn.length = 0;
  return t;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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

/** The MN's Router Solicitation (from its link-local, with its MAC in an SLLA option). */
export function routerSolicit(): Uint8Array {
  const rs = { options: [{ kind: 'source-lla' as const, addr: MN_MAC }] };
  const len = RouterSolicit.bufferLen(rs);
  const p = new Uint8Array(40 + len);
  const dv = dataViewOf(p);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: len,
      nextHeader: IpProto.Icmpv6,
      hopLimit: 255,
      src: MN_LL,
      dst: ALL_ROUTERS,
    },
    new Ipv6View(p, dv, 0, p.length),
  );
  const v = new RouterSolicitView(p, dv, 40, p.length);
  RouterSolicit.emit(rs, v);
  v.fillChecksum(8, 24);
  return eth(parseMac('33:33:00:00:00:02'), MN_MAC, p);
}

/** An Echo Request from the MN to `dst` with `dataLen` bytes of 00 01 02 …. */
export function echoFromMn(dst: Uint8Array, seq: number, dataLen = 4, hopLimit = 64): Uint8Array {
  const data = new Uint8Array(dataLen);
  if (dataLen === 4) data.set([0x61, 0x62, 0x63, 0x64]);
  else for (let i = 0; i < dataLen; i++) data[i] = i & 0xff;
  return eth(
    FIXED_MAC,
    MN_MAC,
    icmpPacket(MN_ADDR, dst, hopLimit, { kind: 'echo-request', id: 1, seq, data }),
  );
}

/** The IPv6 header of a frame and its packet bytes. */
export function ipOf(frame: Uint8Array): { ip: Ipv6Repr; packet: Uint8Array } {
  const dv = dataViewOf(frame);
  const ip = Ipv6.parse(new Ipv6View(frame, dv, 14, frame.length));
  return { ip, packet: frame.slice(14, 14 + 40 + ip.payloadLength) };
}

/** Backbone frames carrying a Mobility Header of type `mhType` (5 PBU, 6 PBA). */
export function mh(frames: Frame[], mhType: number, from?: Node): Frame[] {
  return frames.filter(
    (f) =>
      f.bytes[12] === 0x86 &&
      f.bytes[13] === 0xdd &&
      f.bytes[14 + 6] === 135 &&
      f.bytes[14 + 40 + 2] === mhType &&
      (from === undefined || f.from === from),
  );
}
