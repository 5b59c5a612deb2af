/**
 * Micro benchmarks of @dmm/wire: for every header, `check` (the data path's validation),
 * `parse` (Repr, control plane) and `emit` (Repr → bytes), plus the per-packet helpers
 * (checksums, extension-header walk, tunnel encap/decap).
 *
 * Adding a header is one entry in `HEADERS`: a view factory, its codec, a fixture and the
 * header's offset in it. The fixture is copied into 16 slots of one slab laid out like the
 * buffer pool (2 KiB slots, 128 bytes of headroom), and each operation re-points one
 * flyweight view at the next slot with `at()`, as a node does per packet.
 */
import assert from 'node:assert/strict';
import {
  Ethernet,
  EthernetView,
  Icmpv6,
  Icmpv6View,
  Ipv6,
  Ipv6ChainCursor,
  Ipv6Fragment,
  Ipv6FragmentView,
  Ipv6Options,
  Ipv6OptionsView,
  Ipv6Routing,
  Ipv6RoutingView,
  Ipv6View,
  MobilityOptionCodec,
  MobilityOptionView,
  NdOptionCodec,
  NdOptionView,
  NeighborAdvert,
  NeighborAdvertView,
  NeighborSolicit,
  NeighborSolicitView,
  Pba,
  PbaView,
  Pbu,
  PbuView,
  Redirect,
  RedirectView,
  RouterAdvert,
  RouterAdvertView,
  RouterSolicit,
  RouterSolicitView,
  TunnelEncapLimit,
  TunnelEncapLimitView,
  Udp,
  UdpView,
  checkIp6ip6Decap,
  encapsulateInPlace,
  ip6ip6Template,
  upperLayerChecksum,
  walkIpv6Chain,
  type HeaderView,
  type ReprCodec,
  type ViewFactory,
} from '@dmm/wire';
import { BATCH, sink, type BenchCase } from './case.js';
import {
  DMM_PBU_144,
  EXT_CHAIN,
  EXT_CHAIN_174,
  HBH_DST_UDP_142,
  IP6IP6_92,
  NA_32,
  NS_32,
  PBA_104,
  PBU_104,
  PTB_100,
  RA_2PIO_RIO,
  REDIRECT_48,
  RS_16,
  UDP_126,
  UDP_126_IP,
  UDP_126_UDP,
} from './fixtures.js';

/** Slots the fixture is copied into; operations rotate through them. */
const SLOTS = 16;
const SLOT_SIZE = 2048;
const HEADROOM = 128;

/** One header to benchmark. */
export interface HeaderEntry<R, V extends HeaderView> {
  /** Header name in case names: `wire/<header>.check/<fixture>`. */
  readonly header: string;
  readonly fixture: string;
  readonly bytes: Uint8Array;
  /** Offset of the header in `bytes`. */
  readonly off: number;
  /** One past the header's last byte (default: `bytes.length`). */
  readonly end?: number;
  readonly view: ViewFactory<V>;
  readonly codec: ReprCodec<R, V>;
}

/** A slab holding `SLOTS` copies of `bytes`, and where each copy starts. */
export interface Slab {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly starts: Int32Array;
}

export function slabOf(frame: Uint8Array): Slab {
  const bytes = new Uint8Array(SLOTS * SLOT_SIZE);
  const starts = new Int32Array(SLOTS);
  for (let i = 0; i < SLOTS; i++) {
    starts[i] = i * SLOT_SIZE + HEADROOM;
    bytes.set(frame, starts[i]!);
  }
  return { bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), starts };
}

/** The three standard cases of one header: check, parse, emit. */
export function headerCases<R, V extends HeaderView & { at(off: number, end: number): V }>(
  e: HeaderEntry<R, V>,
): BenchCase[] {
  const end = e.end ?? e.bytes.length;
  const src = slabOf(e.bytes);
  const dst = slabOf(e.bytes);
  const v = e.view(src.bytes, src.dv, src.starts[0]! + e.off, src.starts[0]! + end);
  const out = e.view(dst.bytes, dst.dv, dst.starts[0]! + e.off, dst.starts[0]! + end);
  const starts = src.starts;
  const off = e.off;
  const len = end - e.off;
  const codec = e.codec;
  let repr: R | undefined;
  const prefix = `wire/${e.header}`;
  const verify = (): void => {
    for (let i = 0; i < SLOTS; i++) {
      const s = starts[i]!;
      assert.equal(v.at(s + off, s + off + len).check(), 0, `${prefix}: fixture check()`);
    }
    repr = codec.parse(v);
  };
  return [
    {
      name: `${prefix}.check/${e.fixture}`,
      opsPerCall: BATCH.fast,
      verify,
      run() {
        let acc = 0;
        for (let i = 0; i < BATCH.fast; i++) {
          const s = starts[i & (SLOTS - 1)]! + off;
          acc += v.at(s, s + len).check();
        }
        sink.n += acc;
      },
    },
    {
      name: `${prefix}.parse/${e.fixture}`,
      opsPerCall: BATCH.slow,
      verify,
      run() {
        for (let i = 0; i < BATCH.slow; i++) {
          const s = starts[i & (SLOTS - 1)]! + off;
          sink.o = codec.parse(v.at(s, s + len));
        }
      },
    },
    {
      name: `${prefix}.emit/${e.fixture}`,
      opsPerCall: BATCH.slow,
      verify() {
        verify();
        // emit then parse again: the same meaning (the emitted bytes may differ from the
        // fixture in checksum fields, which codecs write as 0).
        codec.emit(repr!, out.at(dst.starts[0]! + off, dst.starts[0]! + off + len));
        assert.deepEqual(codec.parse(out), repr, `${prefix}: emit → parse round trip`);
      },
      run() {
        const r = repr!;
        for (let i = 0; i < BATCH.slow; i++) {
          const s = dst.starts[i & (SLOTS - 1)]! + off;
          codec.emit(r, out.at(s, s + len));
        }
        sink.n += out.off;
      },
    },
  ];
}

/** Builds a table entry with its types inferred (one line per header below). */
const entry = <R, V extends HeaderView>(e: HeaderEntry<R, V>): HeaderEntry<R, V> => e;

/**
 * The header table. To benchmark a new header, add an entry: its view factory, codec,
 * a fixture with provenance (fixtures.ts) and the header's offset in it.
 */
export const HEADERS = [
  entry({
    header: 'ethernet',
    fixture: 'udp-126',
    bytes: UDP_126,
    off: 0,
    view: (b, dv, o, e) => new EthernetView(b, dv, o, e),
    codec: Ethernet,
  }),
  entry({
    header: 'ipv6',
    fixture: 'udp-126',
    bytes: UDP_126,
    off: UDP_126_IP,
    view: (b, dv, o, e) => new Ipv6View(b, dv, o, e),
    codec: Ipv6,
  }),
  entry({
    header: 'udp',
    fixture: 'udp-126',
    bytes: UDP_126,
    off: UDP_126_UDP,
    view: (b, dv, o, e) => new UdpView(b, dv, o, e),
    codec: Udp,
  }),
  entry({
    header: 'ipv6-hbh',
    fixture: 'ext-chain-174',
    bytes: EXT_CHAIN_174,
    off: EXT_CHAIN.HBH,
    end: EXT_CHAIN.ROUTING,
    view: (b, dv, o, e) => new Ipv6OptionsView(b, dv, o, e),
    codec: Ipv6Options,
  }),
  entry({
    header: 'ipv6-routing',
    fixture: 'ext-chain-174',
    bytes: EXT_CHAIN_174,
    off: EXT_CHAIN.ROUTING,
    end: EXT_CHAIN.FRAGMENT,
    view: (b, dv, o, e) => new Ipv6RoutingView(b, dv, o, e),
    codec: Ipv6Routing,
  }),
  entry({
    header: 'ipv6-fragment',
    fixture: 'ext-chain-174',
    bytes: EXT_CHAIN_174,
    off: EXT_CHAIN.FRAGMENT,
    end: EXT_CHAIN.DSTOPTS,
    view: (b, dv, o, e) => new Ipv6FragmentView(b, dv, o, e),
    codec: Ipv6Fragment,
  }),
  entry({
    header: 'ipv6-dstopts',
    fixture: 'ext-chain-174',
    bytes: EXT_CHAIN_174,
    off: EXT_CHAIN.DSTOPTS,
    end: EXT_CHAIN.UDP,
    view: (b, dv, o, e) => new Ipv6OptionsView(b, dv, o, e),
    codec: Ipv6Options,
  }),
  entry({
    header: 'tunnel-encap-limit',
    fixture: 'ext-chain-174',
    bytes: EXT_CHAIN_174,
    off: EXT_CHAIN.TEL,
    end: EXT_CHAIN.TEL + 3,
    view: (b, dv, o, e) => new TunnelEncapLimitView(b, dv, o, e),
    codec: TunnelEncapLimit,
  }),
  entry({
    header: 'icmpv6',
    fixture: 'ptb-100',
    bytes: PTB_100,
    off: 40,
    view: (b, dv, o, e) => new Icmpv6View(b, dv, o, e),
    codec: Icmpv6,
  }),
  entry({
    header: 'nd-rs',
    fixture: 'rs-16',
    bytes: RS_16,
    off: 0,
    view: (b, dv, o, e) => new RouterSolicitView(b, dv, o, e),
    codec: RouterSolicit,
  }),
  entry({
    header: 'nd-ra',
    fixture: 'ra-2pio-rio',
    bytes: RA_2PIO_RIO,
    off: 0,
    view: (b, dv, o, e) => new RouterAdvertView(b, dv, o, e),
    codec: RouterAdvert,
  }),
  entry({
    header: 'nd-ns',
    fixture: 'ns-32',
    bytes: NS_32,
    off: 0,
    view: (b, dv, o, e) => new NeighborSolicitView(b, dv, o, e),
    codec: NeighborSolicit,
  }),
  entry({
    header: 'nd-na',
    fixture: 'na-32',
    bytes: NA_32,
    off: 0,
    view: (b, dv, o, e) => new NeighborAdvertView(b, dv, o, e),
    codec: NeighborAdvert,
  }),
  entry({
    header: 'nd-redirect',
    fixture: 'redirect-48',
    bytes: REDIRECT_48,
    off: 0,
    view: (b, dv, o, e) => new RedirectView(b, dv, o, e),
    codec: Redirect,
  }),
  entry({
    // The first Prefix Information option of the RA (RA 16 + SLLAO 8 + MTU 8 = 32).
    header: 'nd-option',
    fixture: 'ra-pio',
    bytes: RA_2PIO_RIO,
    off: 32,
    end: 64,
    view: (b, dv, o, e) => new NdOptionView(b, dv, o, e),
    codec: NdOptionCodec,
  }),
  entry({
    header: 'mh-pbu',
    fixture: 'pbu-104',
    bytes: PBU_104,
    off: 40,
    view: (b, dv, o, e) => new PbuView(b, dv, o, e),
    codec: Pbu,
  }),
  entry({
    header: 'mh-pbu',
    fixture: 'dmm-pbu-144',
    bytes: DMM_PBU_144,
    off: 40,
    view: (b, dv, o, e) => new PbuView(b, dv, o, e),
    codec: Pbu,
  }),
  entry({
    header: 'mh-pba',
    fixture: 'pba-104',
    bytes: PBA_104,
    off: 40,
    view: (b, dv, o, e) => new PbaView(b, dv, o, e),
    codec: Pba,
  }),
  entry({
    // The Home Network Prefix option of the PBU (MH 40 + fixed part 12 = 52, 20 bytes).
    header: 'mh-option',
    fixture: 'pbu-hnp',
    bytes: PBU_104,
    off: 52,
    end: 72,
    view: (b, dv, o, e) => new MobilityOptionView(b, dv, o, e),
    codec: MobilityOptionCodec,
  }),
] as const;

/** Per-packet helpers that are not a view + codec. */
function helperCases(): BenchCase[] {
  const udp = slabOf(UDP_126);
  const chain = slabOf(HBH_DST_UDP_142);
  const chain4 = slabOf(EXT_CHAIN_174);
  const tun = slabOf(IP6IP6_92);
  const enc = slabOf(IP6IP6_92);
  const cur = new Ipv6ChainCursor();
  const peer = IP6IP6_92.slice(8, 24); // the tunnel entry point, outer source
  const template = ip6ip6Template({ src: peer, dst: IP6IP6_92.slice(24, 40) });
  const walk = (slab: Slab, frameLen: number) => (): void => {
    let acc = 0;
    for (let i = 0; i < BATCH.fast; i++) {
      const s = slab.starts[i & (SLOTS - 1)]!;
      acc += walkIpv6Chain(slab.bytes, s + 14, s + frameLen, cur) + cur.upperOff;
    }
    sink.n += acc;
  };
  const walkVerify = (slab: Slab, frameLen: number, hops: number) => (): void => {
    const s = slab.starts[0]!;
    assert.equal(walkIpv6Chain(slab.bytes, s + 14, s + frameLen, cur), 0);
    assert.equal(cur.upperProto, 17, 'walk ends at UDP');
    assert.equal(cur.count, hops);
  };
  return [
    {
      name: 'wire/udp.checksum-verify/udp-126',
      opsPerCall: BATCH.fast,
      verify() {
        const s = udp.starts[0]!;
        assert.equal(
          upperLayerChecksum(udp.bytes, s + UDP_126_IP, s + UDP_126_UDP, 72, 17),
          0,
          'fixture checksum verifies',
        );
      },
      run() {
        let acc = 0;
        for (let i = 0; i < BATCH.fast; i++) {
          const s = udp.starts[i & (SLOTS - 1)]!;
          acc += upperLayerChecksum(udp.bytes, s + UDP_126_IP, s + UDP_126_UDP, 72, 17);
        }
        sink.n += acc;
      },
    },
    {
      name: 'wire/ipv6-ext.walk/udp-126',
      opsPerCall: BATCH.fast,
      verify: walkVerify(udp, UDP_126.length, 0),
      run: walk(udp, UDP_126.length),
    },
    {
      name: 'wire/ipv6-ext.walk/hbh-dst-udp-142',
      opsPerCall: BATCH.fast,
      verify: walkVerify(chain, HBH_DST_UDP_142.length, 2),
      run: walk(chain, HBH_DST_UDP_142.length),
    },
    {
      name: 'wire/ipv6-ext.walk/ext-chain-174',
      opsPerCall: BATCH.fast,
      verify: walkVerify(chain4, EXT_CHAIN_174.length, 4),
      run: walk(chain4, EXT_CHAIN_174.length),
    },
    {
      name: 'wire/ip6ip6.decap-check/ip6ip6-92',
      opsPerCall: BATCH.fast,
      verify() {
        const s = tun.starts[0]!;
        assert.equal(checkIp6ip6Decap(tun.bytes, tun.dv, s, s + IP6IP6_92.length, peer), 0);
      },
      run() {
        let acc = 0;
        for (let i = 0; i < BATCH.fast; i++) {
          const s = tun.starts[i & (SLOTS - 1)]!;
          acc += checkIp6ip6Decap(tun.bytes, tun.dv, s, s + IP6IP6_92.length, peer);
        }
        sink.n += acc;
      },
    },
    {
      // The outer header goes into the headroom in front of the inner packet (Snabb's
      // headroom): a 40-byte copy and one length patch per packet.
      name: 'wire/ip6ip6.encap/inner-52',
      opsPerCall: BATCH.fast,
      verify() {
        const s = enc.starts[0]!;
        enc.bytes.fill(0xff, s, s + 40);
        assert.equal(encapsulateInPlace(template, enc.bytes, enc.dv, s, 52), 0);
        assert.deepEqual(enc.bytes.slice(s, s + 92), IP6IP6_92, 'encap rebuilds the vector');
      },
      run() {
        let acc = 0;
        for (let i = 0; i < BATCH.fast; i++) {
          const s = enc.starts[i & (SLOTS - 1)]!;
          acc += encapsulateInPlace(template, enc.bytes, enc.dv, s, 52);
        }
        sink.n += acc;
      },
    },
  ];
}

/** Every wire case, in table order. */
export function wireCases(): BenchCase[] {
  return [
    ...HEADERS.flatMap((e) => headerCases(e as HeaderEntry<unknown, ViewWithAt>)),
    ...helperCases(),
  ];
}

type ViewWithAt = HeaderView & { at(off: number, end: number): ViewWithAt };

/**
 * Names of the view classes @dmm/wire exports that no HEADERS entry builds (directly or
 * through a subclass), so a header added to the package without a benchmark shows up in
 * the bench output.
 */
export function uncoveredViews(wire: Record<string, unknown>): string[] {
  const covered = new Set<unknown>();
  const probe = new Uint8Array(64);
  const dv = new DataView(probe.buffer);
  for (const e of HEADERS) {
    const v = (e.view as ViewFactory<HeaderView>)(probe, dv, 0, 64);
    // A subclass covers its base classes (MobilityHeaderView through PbuView, …).
    for (let p = Object.getPrototypeOf(v); p !== null; p = Object.getPrototypeOf(p)) {
      covered.add(p.constructor);
    }
  }
  return Object.entries(wire)
    .filter(([k, v]) => k.endsWith('View') && typeof v === 'function' && !covered.has(v))
    .map(([k]) => k)
    .sort();
}
