/**
 * In-process network of the inter-operator tests: two operators' D-GWs and the central LMA
 * as real Routers (ndra, tunnel, dlif and dgw plugins; ndra, tunnel and inter-operator-lma
 * for the LMA), their backbone MemoryDevices joined by a hub the test runs, an access
 * MemoryDevice per D-GW, and one memory context store shared by name (the roaming
 * database both operators read). The mobile node and the correspondent are played by the
 * test. The addresses are the namespace lab's (examples/inter-operator).
 *
 * ```
 *  MN ── acc0 [X1 dgw1  fd00:100::1  op-x] wan0 ─┐
 *  MN ── acc0 [X2 dgw2  fd00:100::2  op-x] wan0 ─┼─ hub ── CN fd00:100::99
 *  MN ── acc0 [Y1 dgw11 fd00:100::11 op-y] wan0 ─┤
 *             [LMA      fd00:100::100    ] wan0 ─┘
 *  pools 2001:db8:1::/48, 2001:db8:2::/48, 2001:db8:11::/48
 * ```
 *
 * Every router routes every pool to its D-GW untunnelled (the internet between operators);
 * nothing but the policy keeps X and Y from tunnelling to each other.
 */
import assert from 'node:assert/strict';
import { MemoryDevice, Router, type PluginDefinition } from '@dmm/core';
import { ndraPlugin } from '@dmm/ndra';
import { tunnelPlugin } from '@dmm/tunnel';
import { DLIFS, dlifPlugin, type DlifManager } from '@dmm/dlif';
import { dropSharedMemoryContext } from '@dmm/mobility-context';
import { parseIpv6, parseMac } from '@dmm/testkit';
import {
  Icmpv6,
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  Pba,
  PbaView,
  Pbu,
  PbuView,
  RouterAdvert,
  RouterAdvertView,
  dataViewOf,
  formatIpv6,
  type Icmpv6Repr,
  type Ipv6Repr,
  type NdOption,
  type PbaRepr,
  type PbuRepr,
  type RouterAdvertRepr,
} from '@dmm/wire';
import {
  DGW_SERVICE,
  createDgwPlugin,
  type DgwConfigInput,
  type DistributedGateway,
} from '@dmm/plugin-dgw';
import {
  INTER_OPERATOR_LMA_SERVICE,
  createInterOperatorLmaPlugin,
  type InterOperatorLma,
  type InterOperatorLmaConfigInput,
} from '@dmm/plugin-inter-operator-lma';

export interface GwSpec {
  id: number;
  name: string;
  operator: 'op-x' | 'op-y';
  addr: string;
  mac: string;
  pool: string;
}

/** X1, X2, Y1 — indexes 0, 1, 2. */
export const GWS: GwSpec[] = [
  {
    id: 1,
    name: 'dgw1',
    operator: 'op-x',
    addr: 'fd00:100::1',
    mac: '02:00:00:00:01:01',
    pool: '2001:db8:1::/48',
  },
  {
    id: 2,
    name: 'dgw2',
    operator: 'op-x',
    addr: 'fd00:100::2',
    mac: '02:00:00:00:02:01',
    pool: '2001:db8:2::/48',
  },
  {
    id: 11,
    name: 'dgw11',
    operator: 'op-y',
    addr: 'fd00:100::11',
    mac: '02:00:00:00:11:01',
    pool: '2001:db8:11::/48',
  },
];
export const LMA = parseIpv6('fd00:100::100');
export const LMA_MAC = parseMac('02:00:00:00:64:01');
export const CN = parseIpv6('fd00:100::99');
export const CN_MAC = parseMac('02:00:00:00:0c:01');
export const MN1 = 'mn@example.net';
export const MN1_MAC = parseMac('02:00:00:00:0a:01');
/** The LMA's D-GW table: every D-GW with its operator and pool. */
export const LMA_POLICY: InterOperatorLmaConfigInput['operators'] = [
  {
    name: 'op-x',
    dgws: [
      { id: 1, address: 'fd00:100::1' },
      { id: 2, address: 'fd00:100::2' },
    ],
    prefixes: ['2001:db8:1::/48', '2001:db8:2::/48'],
  },
  {
    name: 'op-y',
    dgws: [{ id: 11, address: 'fd00:100::11' }],
    prefixes: ['2001:db8:11::/48'],
  },
];

export interface Frame {
  at: number;
  /** Router index that sent it (0..2 D-GWs, 3 the LMA), or -1 for the test. */
  from: number;
  bytes: Uint8Array;
}

export interface Gw {
  index: number;
  spec: GwSpec;
  router: Router;
  dgw: DistributedGateway;
  dlifs: DlifManager;
  wan: MemoryDevice;
  acc: MemoryDevice;
  addr: Uint8Array;
  mac: Uint8Array;
}

/** A mobile node played by the test. */
export class TestMn {
  readonly nai: string;
  readonly mac: Uint8Array;
  at: number | null = null;
  readonly inbox: Frame[] = [];

  constructor(nai: string, mac: Uint8Array) {
    this.nai = nai;
    this.mac = mac;
  }

  addr(prefix: Uint8Array): Uint8Array {
    return eui64(prefix, this.mac);
  }

  ras(): ParsedRa[] {
    return this.inbox.map((f) => parseRa(f.bytes)).filter((r): r is ParsedRa => r !== null);
  }

  echo(via: Uint8Array, src: Uint8Array, dst: Uint8Array, seq: number): Uint8Array {
    return eth(via, this.mac, icmpPacket(src, dst, 64, echo('echo-request', seq)));
  }
}

export interface ParsedRa {
  srcMac: Uint8Array;
  ip: Ipv6Repr;
  ra: RouterAdvertRepr;
  prefixes: Extract<NdOption, { kind: 'prefix-info' }>[];
}

export interface NetOptions {
  /** Per D-GW config overrides (index 0..2). */
  dgw?: (i: number) => Partial<DgwConfigInput>;
  lma?: Partial<InterOperatorLmaConfigInput>;
}

export interface Net {
  gws: Gw[];
  lmaRouter: Router;
  lma: InterOperatorLma;
  storeName: string;
  backbone: Frame[];
  /** Drops a backbone frame when it returns false. */
  filter: ((f: Frame) => boolean) | null;
  toCn: Uint8Array[];
  nodes: TestMn[];
  addNode(nai: string, mac: Uint8Array): TestMn;
  move(mn: TestMn, i: number | null): void;
  send(mn: TestMn, frame: Uint8Array): void;
  /** A frame into router `i`'s backbone interface (0..2 D-GWs, 3 the LMA). */
  injectBackbone(i: number, frame: Uint8Array): void;
  pump(): void;
  run(ms: number): Promise<void>;
  until(cond: () => boolean, ms?: number, what?: string): Promise<void>;
  stop(): Promise<void>;
}

async function load<C>(router: Router, def: PluginDefinition<C>, cfg: unknown): Promise<void> {
  const info = await router.plugins.load(def, cfg);
  assert.equal(info.state, 'loaded', `${def.name}: ${info.lastError ?? ''}`);
}

let storeSeq = 0;

function statics(except: string): { interface: string; address: string; mac: string }[] {
  return [
    ...GWS.filter((g) => g.addr !== except).map((g) => ({
      interface: 'wan0',
      address: g.addr,
      mac: g.mac,
    })),
    { interface: 'wan0', address: formatIpv6(CN), mac: '02:00:00:00:0c:01' },
    ...(except === 'fd00:100::100'
      ? []
      : [{ interface: 'wan0', address: 'fd00:100::100', mac: '02:00:00:00:64:01' }]),
  ];
}

function poolRoutes(r: Router, except: string | null): void {
  for (const g of GWS) {
    if (g.addr === except) continue;
    r.addRoute({
      prefix: parseIpv6(g.pool.split('/')[0]!),
      prefixLen: 48,
      ifIndex: r.requireInterface('wan0').index,
      gateway: parseIpv6(g.addr),
    });
  }
}

export async function net(o: NetOptions = {}): Promise<Net> {
  const storeName = `inter-operator-test-${process.pid}-${++storeSeq}`;
  const gws: Gw[] = [];
  for (const [i, g] of GWS.entries()) {
    const r = new Router({ name: g.name, pool: { count: 4096, debug: true } });
    const wan = new MemoryDevice({ name: `${g.name}-wan`, mac: parseMac(g.mac), ringSize: 4096 });
    const acc = new MemoryDevice({
      name: `${g.name}-acc`,
      mac: parseMac(`02:00:00:00:e0:0${i + 1}`),
      ringSize: 8192,
    });
    r.addAddress(r.addInterface({ name: 'wan0', device: wan }), parseIpv6(g.addr), 64);
    r.addInterface({ name: 'acc0', device: acc });
    await load(r, ndraPlugin, { neighbors: { static: statics(g.addr) } });
    poolRoutes(r, g.addr);
    await load(r, tunnelPlugin, {});
    await load(r, dlifPlugin, {});
    await load(r, createDgwPlugin(), {
      id: g.id,
      address: g.addr,
      operator: g.operator,
      accessInterfaces: ['acc0'],
      prefixPool: g.pool,
      peers: GWS.filter((p) => p !== g).map((p) => ({
        id: p.id,
        address: p.addr,
        operator: p.operator,
      })),
      centralLmas: [{ name: 'lma', address: 'fd00:100::100' }],
      mobilityContext: { backend: 'memory', name: storeName, sweepIntervalMs: 0 },
      mobileNodes: { default: 'deny', profiles: [{ id: MN1, mac: '02:00:00:00:0a:01' }] },
      idleTimeout: 0,
      ...(o.dgw ? o.dgw(i) : {}),
    });
    gws.push({
      index: i,
      spec: g,
      router: r,
      dgw: r.container.resolve(DGW_SERVICE),
      dlifs: r.container.resolve(DLIFS),
      wan,
      acc,
      addr: parseIpv6(g.addr),
      mac: parseMac(g.mac),
    });
  }
  const lr = new Router({ name: 'lma', pool: { count: 4096, debug: true } });
  const lwan = new MemoryDevice({ name: 'lma-wan', mac: LMA_MAC, ringSize: 4096 });
  lr.addAddress(lr.addInterface({ name: 'wan0', device: lwan }), LMA, 64);
  await load(lr, ndraPlugin, { neighbors: { static: statics('fd00:100::100') } });
  poolRoutes(lr, null);
  await load(lr, tunnelPlugin, {});
  await load(lr, createInterOperatorLmaPlugin(), {
    address: 'fd00:100::100',
    operators: LMA_POLICY,
    ...o.lma,
  });
  const lma = lr.container.resolve(INTER_OPERATOR_LMA_SERVICE);
  for (const g of gws) await g.router.start();
  await lr.start();
  const wans = [...gws.map((g) => g.wan), lwan];
  const routers = [...gws.map((g) => g.router), lr];
  const backbone: Frame[] = [];
  const toCn: Uint8Array[] = [];
  const nodes: TestMn[] = [];
  const t: Net = {
    gws,
    lmaRouter: lr,
    lma,
    storeName,
    backbone,
    filter: null,
    toCn,
    nodes,
    addNode(nai, mac) {
      const mn = new TestMn(nai, mac);
      nodes.push(mn);
      return mn;
    },
    move(mn, i) {
      mn.at = i;
    },
    send(mn, frame) {
      assert.notEqual(mn.at, null, `${mn.nai} is on no access link`);
      assert.ok(gws[mn.at!]!.acc.inject(frame), 'access ring full');
    },
    injectBackbone(i, frame) {
      backbone.push({ at: performance.now(), from: -1, bytes: frame });
      assert.ok(wans[i]!.inject(frame), 'backbone ring full');
    },
    pump() {
      for (let round = 0; round < 1000; round++) {
        let moved = 0;
        for (const [k, w] of wans.entries()) {
          for (const bytes of w.take()) {
            moved++;
            const f: Frame = { at: performance.now(), from: k, bytes };
            backbone.push(f);
            if (t.filter && !t.filter(f)) continue;
            if (same(bytes.subarray(0, 6), CN_MAC) || (bytes[0]! & 1) === 1) toCn.push(bytes);
            for (const o2 of wans) if (o2 !== w) o2.inject(bytes);
          }
        }
        for (const g of gws) {
          for (const bytes of g.acc.take()) {
            moved++;
            const f: Frame = { at: performance.now(), from: g.index, bytes };
            for (const mn of nodes) {
              if (mn.at !== g.index) continue;
              if ((bytes[0]! & 1) === 1 || same(bytes.subarray(0, 6), mn.mac)) mn.inbox.push(f);
            }
          }
        }
        let polled = 0;
        for (const r of routers) polled += r.scheduler.poll();
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
    async until(cond, ms = 3000, what = 'condition') {
      const end = performance.now() + ms;
      for (;;) {
        t.pump();
        if (cond()) return;
        if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
        await sleep(1);
      }
    },
    async stop() {
      for (const r of routers) await r.stop();
      dropSharedMemoryContext(storeName);
    },
  };
  await t.run(5);
  backbone.length = 0;
  toCn.length = 0;
  return t;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `prefix`'s /64 with the modified EUI-64 interface id of `mac` (RFC 4291 App. A). */
export function eui64(prefix: Uint8Array, mac: Uint8Array): Uint8Array {
  const a = Uint8Array.from(prefix.subarray(0, 16));
  a[8] = mac[0]! ^ 0x02;
  a[9] = mac[1]!;
  a[10] = mac[2]!;
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3]!;
  a[14] = mac[4]!;
  a[15] = mac[5]!;
  return a;
}

export function eth(dst: Uint8Array, src: Uint8Array, packet: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + packet.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  f.set(packet, 14);
  return f;
}

export function echo(kind: 'echo-request' | 'echo-reply', seq: number): Icmpv6Repr {
  return { kind, id: 7, seq, data: Uint8Array.of(0x61, 0x62, 0x63, 0x64) };
}

export function icmpPacket(
  src: Uint8Array,
  dst: Uint8Array,
  hop: number,
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
      hopLimit: hop,
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

export function ipOf(frame: Uint8Array): { ip: Ipv6Repr; packet: Uint8Array } | null {
  if (frame.length < 54 || frame[12] !== 0x86 || frame[13] !== 0xdd) return null;
  const dv = dataViewOf(frame);
  const ip = Ipv6.parse(new Ipv6View(frame, dv, 14, frame.length));
  return { ip, packet: frame.slice(14, 14 + 40 + ip.payloadLength) };
}

export function icmpOf(packet: Uint8Array): Icmpv6Repr | null {
  if (packet[6] !== IpProto.Icmpv6) return null;
  try {
    return Icmpv6.parse(new Icmpv6View(packet, dataViewOf(packet), 40, packet.length));
  } catch {
    return null;
  }
}

/** The outer and inner headers of an IPv6-in-IPv6 frame, or null. */
export function innerOf(frame: Uint8Array): { outer: Ipv6Repr; inner: Ipv6Repr } | null {
  const o = ipOf(frame);
  if (o === null || o.ip.nextHeader !== IpProto.Ipv6) return null;
  const inner = Ipv6.parse(new Ipv6View(o.packet, dataViewOf(o.packet), 40, o.packet.length));
  return { outer: o.ip, inner };
}

export function parseRa(frame: Uint8Array): ParsedRa | null {
  const o = ipOf(frame);
  if (o === null || o.ip.nextHeader !== IpProto.Icmpv6 || o.packet[40] !== 134) return null;
  const v = new RouterAdvertView(o.packet, dataViewOf(o.packet), 40, o.packet.length);
  assert.ok(v.verifyChecksum(8, 24), 'RA checksum');
  const ra = RouterAdvert.parse(v);
  return {
    srcMac: frame.slice(6, 12),
    ip: o.ip,
    ra,
    prefixes: ra.options.filter(
      (x): x is Extract<NdOption, { kind: 'prefix-info' }> => x.kind === 'prefix-info',
    ),
  };
}

export interface MhFrame {
  frame: Frame;
  ip: Ipv6Repr;
  /** The Mobility Header's bytes (checksum verified). */
  mh: Uint8Array;
  pbu: PbuRepr | null;
  pba: PbaRepr | null;
}

/** Backbone frames carrying a PBU or PBA, decoded with @dmm/wire (checksums verified). */
export function mobility(frames: readonly Frame[]): MhFrame[] {
  const out: MhFrame[] = [];
  for (const f of frames) {
    const o = ipOf(f.bytes);
    if (o === null || o.ip.nextHeader !== IpProto.Mobility) continue;
    const p = o.packet;
    const dv = dataViewOf(p);
    if (p[42] === 5) {
      const v = new PbuView(p, dv, 40, p.length);
      assert.equal(v.check(), 0, 'PBU structure');
      assert.ok(v.verifyChecksum(8, 24), 'PBU checksum');
      out.push({ frame: f, ip: o.ip, mh: p.slice(40), pbu: Pbu.parse(v), pba: null });
    } else if (p[42] === 6) {
      const v = new PbaView(p, dv, 40, p.length);
      assert.equal(v.check(), 0, 'PBA structure');
      assert.ok(v.verifyChecksum(8, 24), 'PBA checksum');
      out.push({ frame: f, ip: o.ip, mh: p.slice(40), pbu: null, pba: Pba.parse(v) });
    }
  }
  return out;
}

/** Offset in a Mobility Header of the first option of `type` (walking the TLVs from 12). */
export function optionOffset(mh: Uint8Array, type: number): number {
  let off = 12;
  while (off < mh.length) {
    if (mh[off] === 0) {
      off++;
      continue;
    }
    if (mh[off] === type) return off;
    off += 2 + mh[off + 1]!;
  }
  return -1;
}
