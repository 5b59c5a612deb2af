/**
 * Test bench of the LMA tests: one Router with the tunnel and lma plugins on an
 * unpaired MemoryDevice (the backbone: the test plays the MAGs, injecting PBU frames and
 * reading the PBAs the router sends), permanent neighbours for the MAGs, and a wall clock
 * the test sets.
 *
 * ```
 *   MAG fd00:100::2 (test) ─┐
 *   MAG fd00:100::3 (test) ─┼─ wan0 ── [LMA fd00:100::1] ── cn0 2001:db8:ffff::fe/64
 *   host fd00:100::99 (test)┘
 * ```
 * Addresses and option values are those of protocol.md §5.2's PBU/PBA vectors.
 */
import assert from 'node:assert/strict';
import { MemoryDevice, NeighborState, Router, type Interface } from '@dmm/core';
import { tunnelPlugin } from '@dmm/tunnel';
import { buildPbuPacket } from '@dmm/pmip';
import { parseIpv6, parseMac } from '@dmm/testkit';
import {
  Ipv6,
  Ipv6View,
  MhType,
  Pba,
  PbaView,
  PbuFlag,
  dataViewOf,
  timestampFromMs,
  type MobilityOption,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';
import {
  LMA_SERVICE,
  createLmaPlugin,
  type LmaConfigInput,
  type LocalMobilityAnchor,
} from '@dmm/plugin-lma';

export const LMA = parseIpv6('fd00:100::1');
export const LMA_MAC = parseMac('02:00:00:00:0b:01');
export const MAG = parseIpv6('fd00:100::2');
export const MAG_MAC = parseMac('02:00:00:00:0a:01');
export const MAG2 = parseIpv6('fd00:100::3');
export const MAG2_MAC = parseMac('02:00:00:00:0a:02');
export const STRANGER = parseIpv6('fd00:100::99');
export const STRANGER_MAC = parseMac('02:00:00:00:0a:99');
export const MN_MAC = parseMac('02:00:00:00:00:01');
export const LLA = parseIpv6('fe80::1');
/** protocol.md §5.2's Timestamp: 1700000000.5 s. */
export const T0 = 1_700_000_000_500;

export interface LmaBench {
  router: Router;
  lma: LocalMobilityAnchor;
  wan: MemoryDevice;
  /** The LMA's wall clock (ms since 1970), set by the test. */
  wall: { now: number };
  /** Injects a PBU from `src` (default MAG) and returns every PBA the LMA sent back. */
  send(
    pbu: PbuRepr,
    src?: Uint8Array,
  ): Promise<{ pba: PbaRepr; packet: Uint8Array; dst: Uint8Array }[]>;
  /** The single PBA answering `pbu`. */
  exchange(pbu: PbuRepr, src?: Uint8Array): Promise<{ pba: PbaRepr; packet: Uint8Array }>;
  counter(name: string): number;
}

const MAC_OF = new Map<string, Uint8Array>([
  [Buffer.from(MAG).toString('hex'), MAG_MAC],
  [Buffer.from(MAG2).toString('hex'), MAG2_MAC],
  [Buffer.from(STRANGER).toString('hex'), STRANGER_MAC],
]);

export async function lmaBench(config: Partial<LmaConfigInput> = {}): Promise<LmaBench> {
  const wall = { now: T0 };
  const router = new Router({ name: 'lma', pool: { count: 512, debug: true } });
  const wan = new MemoryDevice({ name: 'wan0', mac: LMA_MAC });
  const cn = new MemoryDevice({ name: 'cn0', mac: parseMac('02:00:00:00:0b:02') });
  const wanIf = router.addInterface({ name: 'wan0', device: wan });
  router.addAddress(wanIf, LMA, 64);
  const cnIf = router.addInterface({ name: 'cn0', device: cn });
  router.addAddress(cnIf, parseIpv6('2001:db8:ffff::fe'), 64);
  const load = async (def: Parameters<Router['plugins']['load']>[0], cfg: unknown) => {
    const info = await router.plugins.load(def, cfg);
    assert.equal(info.state, 'loaded', info.lastError ?? '');
  };
  // permanent neighbours: no ND module (dmmd always loads one; these tests need none)
  neighbor(router, wanIf, MAG, MAG_MAC);
  neighbor(router, wanIf, MAG2, MAG2_MAC);
  neighbor(router, wanIf, STRANGER, STRANGER_MAC);
  await load(tunnelPlugin, {});
  await load(createLmaPlugin({ wallClock: () => wall.now }), {
    address: 'fd00:100::1',
    hnpPool: '2001:db8:1::/48',
    mags: ['fd00:100::2', 'fd00:100::3'],
    mobileNodes: {
      default: 'deny',
      profiles: [
        { id: 'mn1@example.org', hnp: '2001:db8:1:1::/64' },
        { id: 'mn2@example.org' },
        { id: 'mn3@example.org' },
        { id: 'banned@example.org', allowed: false },
      ],
    },
    ...config,
  });
  await router.start();
  await tick();
  wan.take(); // DAD probes
  const lma = router.container.resolve(LMA_SERVICE);

  const send = async (pbu: PbuRepr, src = MAG) => {
    const pb = buildPbuPacket(router.pool, src, LMA, pbu)!;
    const bytes = router.pool.toBytes(pb);
    router.pool.free(pb);
    const mac = MAC_OF.get(Buffer.from(src).toString('hex'))!;
    assert.ok(wan.inject(eth(LMA_MAC, mac, bytes)));
    router.scheduler.poll();
    await tick();
    assert.equal(router.counters()['mobility-input.handler-error'] ?? 0, 0, 'the LMA threw');
    const out: { pba: PbaRepr; packet: Uint8Array; dst: Uint8Array }[] = [];
    for (const f of wan.take()) {
      const dv = dataViewOf(f);
      const ip = Ipv6.parse(new Ipv6View(f, dv, 14, f.length));
      if (ip.nextHeader !== 135 || f[14 + 40 + 2] !== MhType.BindingAck) continue;
      const v = new PbaView(f, dv, 54, 54 + ip.payloadLength);
      assert.ok(v.verifyChecksum(22, 38), 'PBA checksum verifies');
      out.push({ pba: Pba.parse(v), packet: f.slice(14, 54 + ip.payloadLength), dst: ip.dst });
    }
    return out;
  };
  return {
    router,
    lma,
    wan,
    wall,
    send,
    async exchange(pbu, src = MAG) {
      const r = await send(pbu, src);
      assert.equal(r.length, 1, `one PBA, got ${r.length}`);
      return r[0]!;
    },
    counter: (name) => router.counters()[name] ?? 0,
  };
}

export function neighbor(
  router: Router,
  iface: Interface,
  addr: Uint8Array,
  mac: Uint8Array,
): void {
  const id = router.neighbors.create(iface.index, addr, 0, NeighborState.Permanent);
  router.neighbors.setMac(id, mac);
}

/** The options of protocol.md §5.2's PBU, with overrides. */
export function pbuOptions(o: {
  hnp?: string | null;
  hnpLen?: number;
  hi?: number | null;
  att?: number | null;
  ts?: number | null;
  nai?: string | null;
  lli?: Uint8Array | null;
  extraHnp?: string;
}): MobilityOption[] {
  const opts: MobilityOption[] = [];
  if (o.hnp !== null) {
    opts.push({
      kind: 'hnp',
      prefixLength: o.hnp === undefined ? 0 : (o.hnpLen ?? 64),
      prefix: parseIpv6(o.hnp ?? '::'),
    });
  }
  if (o.extraHnp !== undefined) {
    opts.push({ kind: 'hnp', prefixLength: 64, prefix: parseIpv6(o.extraHnp) });
  }
  if (o.hi !== null) opts.push({ kind: 'handoff-indicator', value: o.hi ?? 1 });
  if (o.att !== null) opts.push({ kind: 'access-technology-type', value: o.att ?? 3 });
  if (o.ts !== null) opts.push({ kind: 'timestamp', ...timestampFromMs(o.ts ?? T0) });
  if (o.nai !== null) opts.push({ kind: 'mn-id', nai: o.nai ?? 'mn1@example.org' });
  if (o.lli !== null) opts.push({ kind: 'mn-link-layer-id', identifier: o.lli ?? MN_MAC });
  opts.push({ kind: 'link-local-address', address: LLA });
  return opts;
}

/** A PBU (A|P, lifetime 15 = 60 s unless given) with `pbuOptions(o)`. */
export function pbu(
  o: Parameters<typeof pbuOptions>[0] & { seq?: number; flags?: number; lifetime?: number } = {},
): PbuRepr {
  return {
    sequence: o.seq ?? 1,
    flags: o.flags ?? PbuFlag.A | PbuFlag.P,
    lifetime: o.lifetime ?? 15,
    options: pbuOptions(o),
  };
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

export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
