/**
 * The LMA under load (RFC 5213 §5.3): Proxy Binding Updates handled per second by a real
 * router with the `tunnel` and `lma` plugins whose Binding Cache already holds 100,000
 * bindings (one /64 each, behind 100 MAGs). One operation is one PBU, fed the way the
 * wire does: copied into a pool buffer, its Timestamp option and MH checksum rewritten (a
 * MAG sends a fresh timestamp each time, RFC 5213 §5.5), and enqueued to the
 * `mobility-input` node in vectors of 250; the node checks and decodes it, the LMA
 * processes it, builds the PBA and sends it through ip6-lookup and ip6-rewrite to a
 * device that discards it. The PBU packets themselves are built once.
 *
 * - `lma/pbu.refresh/100k`: re-registrations (HI 5, the node's own prefix) of existing
 *   bindings, round-robin over all 100,000.
 * - `lma/pbu.register/100k`: initial registrations (HNP ::/0) of nodes the cache does not
 *   hold: a prefix from the pool, a BCE, a tunnel reference and a route each. The cache
 *   grows by the number of registrations measured; when the 200,000 spare nodes are used
 *   up, their bindings are removed in one call (amortised into the figure) and reused.
 */
import assert from 'node:assert/strict';
import {
  NeighborState,
  Router,
  emptyDeviceStats,
  type BufferPool,
  type Device,
  type PacketVector,
} from '@dmm/core';
import { buildPbuPacket } from '@dmm/pmip';
import { tunnelPlugin } from '@dmm/tunnel';
import { LMA_SERVICE, createLmaPlugin, type LocalMobilityAnchor } from '@dmm/plugin-lma';
import { MobilityHeaderView, PbuFlag, timestampFromMs, type MobilityOption } from '@dmm/wire';
import type { BenchCase } from './case.js';

/** Bindings in the cache before measuring. */
export const LMA_BINDINGS = 100_000;
const MAGS = 100;
const SPARE = 200_000;
const VECTOR = 250;
/** Offset of the Timestamp option's value in our PBUs (MH offset 42 + 2, protocol.md §5.2). */
const TS_VALUE = 40 + 44;

/** A device that takes every frame and keeps none (the PBAs). */
class SinkDevice implements Device {
  readonly name = 'sink';
  readonly kind = 'ethernet' as const;
  readonly mtu = 1500;
  readonly mac = Uint8Array.of(2, 0, 0, 0, 0x0b, 1);
  readonly stats = emptyDeviceStats();
  receive(_pool: BufferPool, _out: PacketVector, _max: number): number {
    return 0;
  }
  transmit(v: PacketVector): number {
    this.stats.txPackets += v.length;
    return v.length;
  }
  onReadable(): void {}
  offReadable(): void {}
  close(): void {}
}

export interface LmaFixture {
  router: Router;
  lma: LocalMobilityAnchor;
  wall: { now: number };
  /** Feeds `packets[from … from+n)` (IPv6 + PBU) to mobility-input with fresh timestamps. */
  feed(packets: readonly Uint8Array[], from: number, n: number): void;
  mag(i: number): Uint8Array;
}

function mag(i: number): Uint8Array {
  const a = new Uint8Array(16);
  a.set([0xfd, 0x00, 0x01, 0x00], 0);
  a[13] = 1;
  a[14] = (i >> 8) & 0xff;
  a[15] = i & 0xff;
  return a;
}

const LMA_ADDR = Uint8Array.of(0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/** A router with the LMA, 100 MAG neighbours and no binding yet. */
export async function lmaFixture(): Promise<LmaFixture> {
  const wall = { now: 1_700_000_000_000 };
  const router = new Router({ name: 'lma', pool: { count: 4096 } });
  const wan = router.addInterface({ name: 'wan0', device: new SinkDevice() });
  router.addAddress(wan, LMA_ADDR, 64);
  for (let i = 0; i < MAGS; i++) {
    const id = router.neighbors.create(wan.index, mag(i), 0, NeighborState.Permanent);
    router.neighbors.setMac(id, Uint8Array.of(2, 0, 0, 0, 0x0a, i));
  }
  for (const [def, cfg] of [
    [tunnelPlugin, {}],
    [
      createLmaPlugin({ wallClock: () => wall.now }),
      {
        address: 'fd00:100::1',
        hnpPool: '2001:db8::/40',
        mags: Array.from({ length: MAGS }, (_, i) => `fd00:100::1:${i.toString(16)}`),
        mobileNodes: { default: 'allow' },
        maxLifetime: 262_140,
      },
    ],
  ] as const) {
    const info = await router.plugins.load(def as Parameters<Router['plugins']['load']>[0], cfg);
    assert.equal(info.state, 'loaded', info.lastError ?? '');
  }
  await router.start();
  const lma = router.container.resolve(LMA_SERVICE);
  const pool = router.pool;
  const graph = router.graph;
  const node = graph.indexOf('mobility-input');
  const mh = new MobilityHeaderView(pool.bytes, pool.dv, 0, 0);
  const feed = (packets: readonly Uint8Array[], from: number, n: number): void => {
    // a fresh timestamp for this batch, ahead of every earlier one (RFC 5213 §5.5)
    wall.now += 1;
    const { seconds, fraction } = timestampFromMs(wall.now);
    const hi = Math.floor(seconds / 0x1_0000_0000);
    const lo = seconds >>> 0;
    for (let k = 0; k < n; k += VECTOR) {
      const m = Math.min(VECTOR, n - k);
      for (let j = 0; j < m; j++) {
        const p = packets[from + k + j]!;
        const pb = pool.alloc()!;
        const s = pb.start;
        pool.bytes.set(p, s);
        pb.end = s + p.length;
        pb.l3 = s;
        pb.l4 = s + 40;
        pb.rxIf = wan.index;
        pool.dv.setUint16(s + TS_VALUE, hi);
        pool.dv.setUint32(s + TS_VALUE + 2, lo);
        pool.dv.setUint16(s + TS_VALUE + 6, fraction);
        mh.at(s + 40, pb.end);
        mh.fillChecksum(s + 8, s + 24);
        graph.enqueue(node, pb);
      }
      graph.dispatch();
      router.scheduler.flushTx();
    }
  };
  return { router, lma, wall, feed, mag };
}

export function pbuPacket(
  router: Router,
  i: number,
  nai: string,
  hnp: Uint8Array | null,
  hi: number,
): Uint8Array {
  const options: MobilityOption[] = [
    { kind: 'hnp', prefixLength: hnp ? 64 : 0, prefix: hnp ?? new Uint8Array(16) },
    { kind: 'handoff-indicator', value: hi },
    { kind: 'access-technology-type', value: 3 },
    { kind: 'timestamp', seconds: 0, fraction: 0 },
    { kind: 'mn-id', nai },
    {
      kind: 'mn-link-layer-id',
      identifier: Uint8Array.of(
        2,
        (i >> 24) & 0xff,
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff,
        1,
      ),
    },
    {
      kind: 'link-local-address',
      address: Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    },
  ];
  const pb = buildPbuPacket(router.pool, mag(i % MAGS), LMA_ADDR, {
    sequence: i & 0xffff,
    flags: PbuFlag.A | PbuFlag.P,
    lifetime: 0xffff,
    options,
  })!;
  const bytes = router.pool.toBytes(pb);
  router.pool.free(pb);
  return bytes;
}

interface Prepared {
  fx: LmaFixture;
  /** Bindings before measuring (LMA_BINDINGS; fewer in smoke runs, which measure nothing). */
  count: number;
  refresh: Uint8Array[];
  spare: Uint8Array[];
  nextRefresh: number;
  nextSpare: number;
}

let prepared: Promise<Prepared> | null = null;
let ready: Prepared | null = null;

/**
 * The fixture with `count` (100,000) bindings, built once per process (both cases share
 * it). Smoke runs pass a smaller count: they prove the cases run, not how fast.
 */
export async function prepareLma(count = LMA_BINDINGS): Promise<Prepared> {
  if (prepared === null) {
    prepared = (async () => {
      const fx = await lmaFixture();
      const initial: Uint8Array[] = [];
      for (let i = 0; i < count; i++)
        initial.push(pbuPacket(fx.router, i, `mn${i}@bench.example`, null, 1));
      fx.feed(initial, 0, count);
      assert.equal(fx.lma.cache.size, count, 'every node registered');
      const refresh: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const e = fx.lma.cache.findByMnId({ kind: 'mn-id', nai: `mn${i}@bench.example` })!;
        refresh.push(pbuPacket(fx.router, i, `mn${i}@bench.example`, e.prefixes[0]!.prefix, 5));
      }
      const spare: Uint8Array[] = [];
      const spares = Math.min(SPARE, 2 * count);
      for (let i = 0; i < spares; i++) {
        const k = count + i;
        spare.push(pbuPacket(fx.router, k, `mn${k}@bench.example`, null, 1));
      }
      ready = { fx, count, refresh, spare, nextRefresh: 0, nextSpare: 0 };
      return ready;
    })();
  }
  return prepared;
}

/** Stops the fixture's router (its timers would keep the process alive). */
export async function closeLma(): Promise<void> {
  if (prepared === null) return;
  const p = await prepared;
  await p.fx.router.stop();
  prepared = null;
  ready = null;
}

/** The cases need the fixture synchronously: `main` awaits `prepareLma()` first. */
function get(): Prepared {
  if (ready === null) throw new Error('lma cases: call prepareLma() before running them');
  return ready;
}

const OPS = 1000;

export function lmaCases(): BenchCase[] {
  return [
    {
      name: 'lma/pbu.refresh/100k',
      opsPerCall: OPS,
      verify() {
        const p = get();
        const before = p.fx.lma.counters.accepted.refreshed;
        const sent = p.fx.router.counters()['mobility-input.pbu-received'] ?? 0;
        refresh(p);
        assert.equal(
          p.fx.lma.counters.accepted.refreshed - before,
          OPS,
          'every PBU accepted as a refresh',
        );
        assert.equal((p.fx.router.counters()['mobility-input.pbu-received'] ?? 0) - sent, OPS);
        assert.ok(p.fx.lma.cache.size >= p.count);
      },
      run() {
        refresh(get());
      },
    },
    {
      name: 'lma/pbu.register/100k',
      opsPerCall: OPS,
      verify() {
        const p = get();
        const before = p.fx.lma.counters.accepted.registered;
        register(p);
        assert.equal(
          p.fx.lma.counters.accepted.registered - before,
          OPS,
          'every PBU a new binding',
        );
      },
      run() {
        register(get());
      },
    },
  ];
}

function refresh(p: Prepared): void {
  p.fx.feed(p.refresh, p.nextRefresh, OPS);
  p.nextRefresh = (p.nextRefresh + OPS) % p.count;
}

function register(p: Prepared): void {
  if (p.nextSpare + OPS > p.spare.length) {
    // the spare nodes are used up: forget their bindings and start over (amortised)
    for (let i = 0; i < p.spare.length; i++) {
      const e = p.fx.lma.cache.findByMnId({ kind: 'mn-id', nai: `mn${p.count + i}@bench.example` });
      if (e) p.fx.lma.cache.remove(e, 'admin');
    }
    p.nextSpare = 0;
  }
  p.fx.feed(p.spare, p.nextSpare, OPS);
  p.nextSpare += OPS;
}
