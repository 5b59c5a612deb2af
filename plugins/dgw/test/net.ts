/**
 * Test network of the D-GW tests: up to three real Routers (D1, D2, D3) with the ndra,
 * tunnel, dlif and dgw plugins, their backbone MemoryDevices joined by a hub the test runs,
 * an access MemoryDevice each, a local network behind D1, and a memory context store shared
 * by name. The mobile nodes, the correspondent and the local host are played by the test.
 *
 * ```
 *  MN ── acc0 [D1 fd00:100::2] wan0 ─┐                      lan0 (D1 only) ── LH 2001:db8:99::10
 *  MN ── acc0 [D2 fd00:200::2] wan0 ─┼─ hub ── CN fd00:999::1
 *  MN ── acc0 [D3 fd00:300::2] wan0 ─┘
 *  pools 2001:db8:1::/48, 2001:db8:2::/48, 2001:db8:3::/48; D1's local network 2001:db8:99::/48
 * ```
 *
 * The backbone addresses are those of protocol.md §5.2's DMM vectors (anchor fd00:100::2,
 * serving D-GW fd00:200::2), on one fd00::/16 link; each D-GW routes the others' pools to
 * them untunnelled (the operator's network), but nobody else reaches D1's local network.
 */
import assert from 'node:assert/strict';
import { MemoryDevice, Router, type PluginDefinition } from '@dmm/core';
import { ndraPlugin } from '@dmm/ndra';
import { tunnelPlugin } from '@dmm/tunnel';
import { DLIFS, dlifPlugin, type DlifConfigInput, type DlifManager } from '@dmm/dlif';
import { dropSharedMemoryContext } from '@dmm/mobility-context';
import { parseIpv6, parseMac } from '@dmm/testkit';
import {
  Icmpv6,
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  PbaView,
  Pba,
  PbuView,
  Pbu,
  RouterAdvert,
  RouterAdvertView,
  RouterSolicit,
  RouterSolicitView,
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

export const ADDR = [parseIpv6('fd00:100::2'), parseIpv6('fd00:200::2'), parseIpv6('fd00:300::2')];
export const WAN_MAC = [
  parseMac('02:00:00:00:0d:01'),
  parseMac('02:00:00:00:0d:02'),
  parseMac('02:00:00:00:0d:03'),
];
export const ACC_MAC = [
  parseMac('02:00:00:00:e0:01'),
  parseMac('02:00:00:00:e0:02'),
  parseMac('02:00:00:00:e0:03'),
];
export const POOL = ['2001:db8:1::/48', '2001:db8:2::/48', '2001:db8:3::/48'];
export const CN = parseIpv6('fd00:999::1');
export const CN_MAC = parseMac('02:00:00:00:0c:01');
export const LH = parseIpv6('2001:db8:99::10');
export const LH_MAC = parseMac('02:00:00:00:99:10');
export const LAN_MAC = parseMac('02:00:00:00:99:01');
export const LOCALNET = parseIpv6('2001:db8:99::');
/** protocol.md §5.2's node. */
export const MN1 = 'mn1@example.org';
export const MN1_MAC = parseMac('02:00:00:00:00:01');
/** protocol.md §5.2's Timestamp, 1700000000.5 s. */
export const T0 = 1_700_000_000_500;

/** A wall clock tests can freeze (RFC 5213 §5.5 timestamps). */
export class WallClock {
  frozen: number | null = null;
  readonly now = (): number => this.frozen ?? Date.now();
  freeze(t: number): void {
    this.frozen = t;
  }
  thaw(): void {
    this.frozen = null;
  }
}

export interface Frame {
  at: number;
  /** D-GW index (0..2) that sent it, or -1 for the test. */
  from: number;
  bytes: Uint8Array;
}

export interface Gw {
  index: number;
  name: string;
  router: Router;
  dgw: DistributedGateway;
  dlifs: DlifManager;
  wan: MemoryDevice;
  acc: MemoryDevice;
  lan: MemoryDevice | null;
  addr: Uint8Array;
  mac: Uint8Array;
}

/** A mobile node played by the test. */
export class TestMn {
  readonly nai: string;
  readonly mac: Uint8Array;
  readonly ll: Uint8Array;
  /** The D-GW (index) whose access link it is on, or null. */
  at: number | null = null;
  /** Frames delivered to it. */
  readonly inbox: Frame[] = [];

  constructor(nai: string, mac: Uint8Array) {
    this.nai = nai;
    this.mac = mac;
    this.ll = eui64(parseIpv6('fe80::'), mac);
  }

  /** Its SLAAC address in `prefix` (modified EUI-64 of its MAC). */
  addr(prefix: Uint8Array): Uint8Array {
    return eui64(prefix, this.mac);
  }

  /** RAs received, parsed. */
  ras(): ParsedRa[] {
    return this.inbox.map((f) => parseRa(f.bytes)).filter((r): r is ParsedRa => r !== null);
  }

  /** A Router Solicitation from its link-local with its MAC in an SLLA option. */
  rs(): Uint8Array {
    const rs = { options: [{ kind: 'source-lla' as const, addr: this.mac }] };
    const len = RouterSolicit.bufferLen(rs);
    const p = new Uint8Array(40 + len);
    const dv = dataViewOf(p);
    Ipv6.emit(
      ip6(this.ll, parseIpv6('ff02::2'), IpProto.Icmpv6, len, 255),
      new Ipv6View(p, dv, 0, p.length),
    );
    const v = new RouterSolicitView(p, dv, 40, p.length);
    RouterSolicit.emit(rs, v);
    v.fillChecksum(8, 24);
    return eth(parseMac('33:33:00:00:00:02'), this.mac, p);
  }

  /** An Echo Request from `src` to `dst`, to the router MAC `via`. */
  echo(via: Uint8Array, src: Uint8Array, dst: Uint8Array, seq: number): Uint8Array {
    return eth(via, this.mac, icmpPacket(src, dst, 64, echoReq(seq)));
  }
}

export interface ParsedRa {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  ip: Ipv6Repr;
  ra: RouterAdvertRepr;
  prefixes: Extract<NdOption, { kind: 'prefix-info' }>[];
  routes: Extract<NdOption, { kind: 'route-info' }>[];
  sllao: Uint8Array | null;
}

export interface NetOptions {
  /** Number of D-GWs (default 3). */
  count?: number;
  /** Per D-GW config overrides (index 0..2). */
  dgw?: (i: number) => Partial<DgwConfigInput>;
  dlif?: DlifConfigInput;
  firstSequence?: number;
  /** Buffers per router (default 8192). */
  poolCount?: number;
  ringSize?: number;
  /** Called with the store name before the routers start (seed the context store). */
  seed?: (storeName: string) => Promise<void>;
  /** The D-GWs find each other by Neighbor Discovery (no static entries for peers). */
  dynamicNd?: boolean;
}

export interface Net {
  gws: Gw[];
  wall: WallClock;
  storeName: string;
  /** Every frame that crossed the backbone hub (before the filter). */
  backbone: Frame[];
  /** Drops a backbone frame when it returns false. */
  filter: ((f: Frame) => boolean) | null;
  /** Frames for the correspondent (backbone, to CN's MAC). */
  toCn: Uint8Array[];
  /** Frames D1 sent on its local network. */
  toLan: Uint8Array[];
  /** Every frame any D-GW sent on its access link. */
  access: Frame[];
  nodes: TestMn[];
  addNode(nai: string, mac: Uint8Array): TestMn;
  /** Puts `mn` on D-GW `i`'s access link (a layer-2 move: nothing is sent). */
  move(mn: TestMn, i: number | null): void;
  /** Sends a frame from `mn` on its current access link. */
  send(mn: TestMn, frame: Uint8Array): void;
  /** Sends a frame into D-GW `i`'s backbone interface (from the test: CN, a forged peer). */
  injectBackbone(i: number, frame: Uint8Array): void;
  /** Sends a frame into D1's local network interface (from LH). */
  injectLan(frame: Uint8Array): void;
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

export async function net(o: NetOptions = {}): Promise<Net> {
  const count = o.count ?? 3;
  const wall = new WallClock();
  const storeName = `dgw-test-${process.pid}-${++storeSeq}`;
  if (o.seed) await o.seed(storeName);
  const gws: Gw[] = [];
  for (let i = 0; i < count; i++) {
    const name = `dgw${i + 1}`;
    const r = new Router({ name, pool: { count: o.poolCount ?? 8192, debug: true } });
    const ring = o.ringSize ?? 8192;
    const wan = new MemoryDevice({ name: `${name}-wan`, mac: WAN_MAC[i], ringSize: ring });
    const acc = new MemoryDevice({ name: `${name}-acc`, mac: ACC_MAC[i], ringSize: ring * 2 });
    r.addAddress(r.addInterface({ name: 'wan0', device: wan }), ADDR[i]!, 16);
    r.addInterface({ name: 'acc0', device: acc });
    let lan: MemoryDevice | null = null;
    const statics = [
      { interface: 'wan0', address: 'fd00:999::1', mac: '02:00:00:00:0c:01' },
      ...[0, 1, 2]
        .filter((j) => j !== i && o.dynamicNd !== true)
        .map((j) => ({
          interface: 'wan0',
          address: formatIpv6(ADDR[j]!),
          mac: `02:00:00:00:0d:0${j + 1}`,
        })),
      // forged peers of the vector tests
      { interface: 'wan0', address: 'fd00:900::2', mac: '02:00:00:00:0d:09' },
    ];
    if (i === 0) {
      lan = new MemoryDevice({ name: `${name}-lan`, mac: LAN_MAC, ringSize: ring });
      r.addAddress(r.addInterface({ name: 'lan0', device: lan }), parseIpv6('2001:db8:99::1'), 64);
      statics.push({ interface: 'lan0', address: '2001:db8:99::10', mac: '02:00:00:00:99:10' });
    }
    await load(r, ndraPlugin, { neighbors: { static: statics } });
    // the operator's network: the other pools via their D-GWs, untunnelled
    for (let j = 0; j < 3; j++) {
      if (j === i) continue;
      r.addRoute({
        prefix: parseIpv6(`2001:db8:${j + 1}::`),
        prefixLen: 48,
        ifIndex: r.requireInterface('wan0').index,
        gateway: ADDR[j]!,
      });
    }
    await load(r, tunnelPlugin, {});
    await load(r, dlifPlugin, o.dlif ?? {});
    await load(
      r,
      createDgwPlugin({
        wallClock: wall.now,
        ...(o.firstSequence === undefined ? {} : { firstSequence: o.firstSequence }),
      }),
      {
        id: i + 1,
        address: formatIpv6(ADDR[i]!),
        operator: 'op-a',
        accessInterfaces: ['acc0'],
        prefixPool: POOL[i],
        localNetworks: i === 0 ? ['2001:db8:99::/48'] : [],
        peers: [0, 1, 2]
          .filter((j) => j !== i)
          .map((j) => ({ id: j + 1, address: formatIpv6(ADDR[j]!), operator: 'op-a' })),
        mobilityContext: { backend: 'memory', name: storeName, sweepIntervalMs: 0 },
        mobileNodes: {
          default: 'allow',
          realm: 'example.org',
          profiles: [
            { id: MN1, mac: '02:00:00:00:00:01' },
            { id: 'mna@example.org', mac: '02:00:00:00:0a:01' },
            { id: 'mnb@example.org', mac: '02:00:00:00:0b:01' },
          ],
        },
        ...(o.dgw ? o.dgw(i) : {}),
      },
    );
    gws.push({
      index: i,
      name,
      router: r,
      dgw: r.container.resolve(DGW_SERVICE),
      dlifs: r.container.resolve(DLIFS),
      wan,
      acc,
      lan,
      addr: ADDR[i]!,
      mac: WAN_MAC[i]!,
    });
  }
  for (const g of gws) await g.router.start();
  const backbone: Frame[] = [];
  const toCn: Uint8Array[] = [];
  const toLan: Uint8Array[] = [];
  const access: Frame[] = [];
  const nodes: TestMn[] = [];
  const t: Net = {
    gws,
    wall,
    storeName,
    backbone,
    filter: null,
    toCn,
    toLan,
    access,
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
      assert.ok(gws[i]!.wan.inject(frame), 'backbone ring full');
    },
    injectLan(frame) {
      assert.ok(gws[0]!.lan!.inject(frame), 'lan ring full');
    },
    pump() {
      for (let round = 0; round < 1000; round++) {
        let moved = 0;
        for (const g of gws) {
          for (const bytes of g.wan.take()) {
            moved++;
            const f: Frame = { at: performance.now(), from: g.index, bytes };
            backbone.push(f);
            if (t.filter && !t.filter(f)) continue;
            if (sameBytes(bytes.subarray(0, 6), CN_MAC) || (bytes[0]! & 1) === 1) toCn.push(bytes);
            for (const o2 of gws) if (o2 !== g) o2.wan.inject(bytes);
          }
          for (const bytes of g.acc.take()) {
            moved++;
            const f: Frame = { at: performance.now(), from: g.index, bytes };
            access.push(f);
            for (const mn of nodes) {
              if (mn.at !== g.index) continue;
              if ((bytes[0]! & 1) === 1 || sameBytes(bytes.subarray(0, 6), mn.mac))
                mn.inbox.push(f);
            }
          }
          if (g.lan) {
            const l = g.lan.take();
            moved += l.length;
            toLan.push(...l);
          }
        }
        let polled = 0;
        for (const g of gws) polled += g.router.scheduler.poll();
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
      for (const g of gws) await g.router.stop();
      dropSharedMemoryContext(storeName);
    },
  };
  await t.run(5);
  backbone.length = 0;
  access.length = 0;
  toCn.length = 0;
  toLan.length = 0;
  return t;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
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

function ip6(src: Uint8Array, dst: Uint8Array, nh: number, len: number, hop: number): Ipv6Repr {
  return {
    trafficClass: 0,
    flowLabel: 0,
    payloadLength: len,
    nextHeader: nh,
    hopLimit: hop,
    src,
    dst,
  };
}

export function echoReq(seq: number): Icmpv6Repr {
  return { kind: 'echo-request', id: 7, seq, data: Uint8Array.of(0x61, 0x62, 0x63, 0x64) };
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
  Ipv6.emit(ip6(src, dst, IpProto.Icmpv6, len, hop), new Ipv6View(p, dv, 0, p.length));
  const v = new Icmpv6View(p, dv, 40, p.length);
  Icmpv6.emit(msg, v);
  v.fillChecksum(8, 24);
  return p;
}

/** The IPv6 header of an Ethernet frame and the packet's bytes. */
export function ipOf(frame: Uint8Array): { ip: Ipv6Repr; packet: Uint8Array } | null {
  if (frame.length < 54 || frame[12] !== 0x86 || frame[13] !== 0xdd) return null;
  const dv = dataViewOf(frame);
  const ip = Ipv6.parse(new Ipv6View(frame, dv, 14, frame.length));
  return { ip, packet: frame.slice(14, 14 + 40 + ip.payloadLength) };
}

/** An ICMPv6 message of a bare IPv6 packet, or null. */
export function icmpOf(packet: Uint8Array): Icmpv6Repr | null {
  if (packet[6] !== IpProto.Icmpv6) return null;
  const dv = dataViewOf(packet);
  try {
    return Icmpv6.parse(new Icmpv6View(packet, dv, 40, packet.length));
  } catch {
    return null;
  }
}

/** The inner packet of an IPv6-in-IPv6 frame, or null. */
export function innerOf(
  frame: Uint8Array,
): { outer: Ipv6Repr; inner: Ipv6Repr; packet: Uint8Array } | null {
  const o = ipOf(frame);
  if (o === null || o.ip.nextHeader !== IpProto.Ipv6) return null;
  const dv = dataViewOf(o.packet);
  const inner = Ipv6.parse(new Ipv6View(o.packet, dv, 40, o.packet.length));
  return { outer: o.ip, inner, packet: o.packet.slice(40) };
}

export function parseRa(frame: Uint8Array): ParsedRa | null {
  const o = ipOf(frame);
  if (o === null || o.ip.nextHeader !== IpProto.Icmpv6 || o.packet[40] !== 134) return null;
  const dv = dataViewOf(o.packet);
  const v = new RouterAdvertView(o.packet, dv, 40, o.packet.length);
  assert.ok(v.verifyChecksum(8, 24), 'RA checksum');
  const ra = RouterAdvert.parse(v);
  return {
    srcMac: frame.slice(6, 12),
    dstMac: frame.slice(0, 6),
    ip: o.ip,
    ra,
    prefixes: ra.options.filter(
      (x): x is Extract<NdOption, { kind: 'prefix-info' }> => x.kind === 'prefix-info',
    ),
    routes: ra.options.filter(
      (x): x is Extract<NdOption, { kind: 'route-info' }> => x.kind === 'route-info',
    ),
    sllao:
      (ra.options.find((x) => x.kind === 'source-lla') as { addr: Uint8Array } | undefined)?.addr ??
      null,
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

/** Backbone frames carrying a PBU or PBA, decoded with the wire package (checksums verified). */
export function mobility(frames: readonly Frame[]): MhFrame[] {
  const out: MhFrame[] = [];
  for (const f of frames) {
    const o = ipOf(f.bytes);
    if (o === null || o.ip.nextHeader !== IpProto.Mobility) continue;
    const p = o.packet;
    const dv = dataViewOf(p);
    const type = p[42];
    if (type === 5) {
      const v = new PbuView(p, dv, 40, p.length);
      assert.equal(v.check(), 0, 'PBU structure');
      assert.ok(v.verifyChecksum(8, 24), 'PBU checksum');
      out.push({ frame: f, ip: o.ip, mh: p.slice(40), pbu: Pbu.parse(v), pba: null });
    } else if (type === 6) {
      const v = new PbaView(p, dv, 40, p.length);
      assert.equal(v.check(), 0, 'PBA structure');
      assert.ok(v.verifyChecksum(8, 24), 'PBA checksum');
      out.push({ frame: f, ip: o.ip, mh: p.slice(40), pbu: null, pba: Pba.parse(v) });
    }
  }
  return out;
}

export function prefixOf(text: string): Uint8Array {
  return parseIpv6(text.split('/')[0]!);
}
