import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, filled, headerSuite, hex, parseIpv6, parseMac } from '@dmm/testkit';
import {
  NdOptionCodec,
  NdOptionCursor,
  NdOptionType,
  NdOptionView,
  RouterPreference,
  WireCheck,
  WireError,
  checkNdOptions,
  dataViewOf,
  emitNdOptions,
  findNdOption,
  formatNdOption,
  ndOptionsLen,
  parseNdOptions,
  routeInfoMinUnits,
  type NdOption,
} from '@dmm/wire';

// Every vector below was built with scapy 2.5 (Debian python3-scapy 2.5.0) by the raw(...)
// expression in its comment, except RIO_LEN3_48, which is protocol.md §5.2's RA.
const R_MAC = parseMac('02:00:00:00:00:0a');
const MN_MAC = parseMac('02:00:00:00:00:01');

// raw(ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:0a'))
const SLLA = hex`01 01 02:00:00:00:00:0a`;
// raw(ICMPv6NDOptDstLLAddr(lladdr='02:00:00:00:00:01'))
const TLLA = hex`02 01 02:00:00:00:00:01`;
// raw(ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=0, R=1, validlifetime=86400,
//     preferredlifetime=14400, prefix='2001:db8:2:1::'))
const PIO = hex`
  03 04 40 a0          // type 3, length 4, /64, L|R
  00015180 00003840    // valid 86400, preferred 14400
  00000000             // reserved2
  2001:db8:2:1::`;
// raw(ICMPv6NDOptMTU(mtu=1452))
const MTU = hex`05 01 0000 000005ac`;
// raw(ICMPv6NDOptRouteInfo(len=1, plen=0, prf=1, rtlifetime=1800))
const RIO_LEN1 = hex`18 01 00 08 00000708`;
// raw(ICMPv6NDOptRouteInfo(len=2, plen=48, prf=3, rtlifetime=600, prefix='2001:db8:1::'))
const RIO_LEN2 = hex`18 02 30 18 00000258 20010db8 00010000`;
// raw(ICMPv6NDOptRouteInfo(len=3, plen=96, prf=0, rtlifetime=0xffffffff,
//     prefix='2001:db8:1:1:0:1::'))
const RIO_LEN3 = hex`18 03 60 00 ffffffff 2001:db8:1:1:0:1::`;
// protocol.md §5.2 RA: a /48 route in a length-3 option (scapy's default length).
const RIO_LEN3_48 = hex`18 03 30 18 00000708 2001:db8:1::`;
// raw(ICMPv6NDOptRDNSS(lifetime=600, dns=['2001:db8::53']))
const RDNSS1 = hex`19 03 0000 00000258 2001:db8::53`;
// raw(ICMPv6NDOptRDNSS(lifetime=0xffffffff, dns=['2001:db8::53', '2001:db8::54']))
const RDNSS2 = hex`19 05 0000 ffffffff 2001:db8::53 2001:db8::54`;
// raw(ICMPv6NDOptRedirectedHdr(pkt=raw(IPv6(src='2001:db8:1:1::100', dst='2001:db8:ffff::1',
//     hlim=63)/ICMPv6EchoRequest(id=1, seq=1, data=b'abcd'))))  — scapy truncates the 52-byte
// packet to 48 bytes so the option stays a multiple of 8.
const RH_DATA = hex`60000000 000c3a3f 2001:db8:1:1::100 2001:db8:ffff::1 80005e7b 00010001`;
const RH = hex`04 07 000000000000 ${[...RH_DATA].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
// raw(ICMPv6NDOptDNSSL(lifetime=600, searchlist=['example.org']))  — RFC 8106 DNSSL, a type
// this codec does not decode: it must come back as 'unknown' and re-emit identically.
const DNSSL = hex`1f 03 0000 00000258 076578616d706c65036f726700000000`;

const view = (b: Uint8Array, dv: DataView, off: number, end: number): NdOptionView =>
  new NdOptionView(b, dv, off, end);
const LAYOUT = [
  { name: 'type', off: 0, len: 1 },
  { name: 'length', off: 1, len: 1 },
  { name: 'body', off: 2, len: 2046 },
];

interface Case {
  name: string;
  vector: Uint8Array;
  repr: NdOption;
  readers(v: NdOptionView): void;
  construct?(v: NdOptionView): void;
}

const CASES: Case[] = [
  {
    name: 'source link-layer address',
    vector: SLLA,
    repr: { kind: 'source-lla', addr: R_MAC },
    readers(v) {
      assert.equal(v.optionType(), NdOptionType.SourceLinkLayerAddr);
      assert.equal(v.lengthUnits(), 1);
      assert.equal(v.byteLength(), 8);
      assert.ok(v.linkLayerAddrEquals(R_MAC));
      assert.ok(!v.linkLayerAddrEquals(MN_MAC));
      const out = filled(8);
      v.copyLinkLayerAddrInto(out, 1);
      assertBytes(out, hex`ff 02:00:00:00:00:0a ff`);
    },
    construct(v) {
      v.setOptionType(1);
      v.setLengthUnits(1);
      v.setLinkLayerAddr(R_MAC);
    },
  },
  {
    name: 'target link-layer address',
    vector: TLLA,
    repr: { kind: 'target-lla', addr: MN_MAC },
    readers(v) {
      assert.equal(v.optionType(), NdOptionType.TargetLinkLayerAddr);
      assert.ok(v.linkLayerAddrEquals(MN_MAC));
      assert.equal(v.linkLayerAddrOffset(), v.off + 2);
    },
  },
  {
    name: 'prefix information',
    vector: PIO,
    repr: {
      kind: 'prefix-info',
      prefixLength: 64,
      onLink: true,
      autonomous: false,
      routerAddress: true,
      validLifetime: 86400,
      preferredLifetime: 14400,
      prefix: parseIpv6('2001:db8:2:1::'),
    },
    readers(v) {
      assert.equal(v.lengthUnits(), 4);
      assert.equal(v.prefixLength(), 64);
      assert.equal(v.onLink(), true);
      assert.equal(v.autonomous(), false);
      assert.equal(v.routerAddress(), true);
      assert.equal(v.validLifetime(), 86400);
      assert.equal(v.preferredLifetime(), 14400);
      assert.equal(v.prefixOffset(), v.off + 16);
    },
    construct(v) {
      v.setOptionType(3);
      v.setLengthUnits(4);
      v.setPrefixLength(64);
      v.setPrefixFlags(true, false, true);
      v.setWord4(86400);
      v.setPreferredLifetime(14400);
      v.zero(12, 4);
      v.setBytes(16, parseIpv6('2001:db8:2:1::'));
    },
  },
  {
    name: 'mtu',
    vector: MTU,
    repr: { kind: 'mtu', mtu: 1452 },
    readers(v) {
      assert.equal(v.optionType(), NdOptionType.Mtu);
      assert.equal(v.mtu(), 1452);
    },
    construct(v) {
      v.setOptionType(5);
      v.setLengthUnits(1);
      v.zero(2, 2);
      v.setWord4(1452);
    },
  },
  {
    name: 'route information, length 1 (::/0)',
    vector: RIO_LEN1,
    repr: {
      kind: 'route-info',
      prefixLength: 0,
      prf: RouterPreference.High,
      routeLifetime: 1800,
      prefix: parseIpv6('::'),
    },
    readers(v) {
      assert.equal(v.lengthUnits(), 1);
      assert.equal(v.prefixLength(), 0);
      assert.equal(v.routePreference(), RouterPreference.High);
      assert.equal(v.routeLifetime(), 1800);
      assert.equal(v.prefixOffset(), v.off + 8);
    },
    construct(v) {
      v.setOptionType(24);
      v.setLengthUnits(1);
      v.setPrefixLength(0);
      v.setRoutePreference(1);
      v.setWord4(1800);
    },
  },
  {
    name: 'route information, length 2 (/48)',
    vector: RIO_LEN2,
    repr: {
      kind: 'route-info',
      prefixLength: 48,
      prf: RouterPreference.Low,
      routeLifetime: 600,
      prefix: parseIpv6('2001:db8:1::'),
    },
    readers(v) {
      assert.equal(v.lengthUnits(), 2);
      assert.equal(v.prefixLength(), 48);
      assert.equal(v.routePreference(), RouterPreference.Low);
      assert.equal(v.routeLifetime(), 600);
    },
  },
  {
    name: 'route information, length 3 (/96)',
    vector: RIO_LEN3,
    repr: {
      kind: 'route-info',
      prefixLength: 96,
      prf: RouterPreference.Medium,
      routeLifetime: 0xffffffff,
      prefix: parseIpv6('2001:db8:1:1:0:1::'),
    },
    readers(v) {
      assert.equal(v.lengthUnits(), 3);
      assert.equal(v.prefixLength(), 96);
      assert.equal(v.routePreference(), 0);
      assert.equal(v.routeLifetime(), 0xffffffff);
    },
  },
  {
    name: 'route information, /48 sent with length 3 (protocol.md §5.2)',
    vector: RIO_LEN3_48,
    repr: {
      kind: 'route-info',
      prefixLength: 48,
      prf: RouterPreference.Low,
      routeLifetime: 1800,
      prefix: parseIpv6('2001:db8:1::'),
      length: 3,
    },
    readers(v) {
      assert.equal(v.lengthUnits(), 3);
      assert.equal(v.prefixLength(), 48);
    },
  },
  {
    name: 'recursive dns server (1 address)',
    vector: RDNSS1,
    repr: { kind: 'rdnss', lifetime: 600, servers: [parseIpv6('2001:db8::53')] },
    readers(v) {
      assert.equal(v.lengthUnits(), 3);
      assert.equal(v.lifetime(), 600);
      assert.equal(v.serverCount(), 1);
      assert.equal(v.serverOffset(0), v.off + 8);
    },
    construct(v) {
      v.setOptionType(25);
      v.setLengthUnits(3);
      v.zero(2, 2);
      v.setWord4(600);
      v.setBytes(8, parseIpv6('2001:db8::53'));
    },
  },
  {
    name: 'recursive dns server (2 addresses)',
    vector: RDNSS2,
    repr: {
      kind: 'rdnss',
      lifetime: 0xffffffff,
      servers: [parseIpv6('2001:db8::53'), parseIpv6('2001:db8::54')],
    },
    readers(v) {
      assert.equal(v.lengthUnits(), 5);
      assert.equal(v.serverCount(), 2);
      assert.equal(v.serverOffset(1), v.off + 24);
      assert.equal(v.bytes[v.serverOffset(1) + 15], 0x54);
    },
  },
  {
    name: 'redirected header',
    vector: RH,
    repr: { kind: 'redirected-header', data: RH_DATA },
    readers(v) {
      assert.equal(v.optionType(), NdOptionType.RedirectedHeader);
      assert.equal(v.lengthUnits(), 7);
      assert.equal(v.redirectedOffset(), v.off + 8);
      assert.equal(v.bytes[v.redirectedOffset()], 0x60);
    },
  },
  {
    name: 'unknown type (DNSSL, 31) kept as bytes',
    vector: DNSSL,
    repr: { kind: 'unknown', type: 31, data: DNSSL.subarray(2) },
    readers(v) {
      assert.equal(v.optionType(), 31);
      assert.equal(v.lengthUnits(), 3);
      assert.equal(v.dataOffset(), v.off + 2);
    },
  },
];

for (const c of CASES) {
  headerSuite<NdOption, NdOptionView>({
    name: `nd option ${c.name}`,
    vector: c.vector,
    provenance:
      c.vector === RIO_LEN3_48
        ? 'protocol.md §5.2 RA'
        : 'scapy 2.5 (Debian python3-scapy), see comment',
    repr: c.repr,
    codec: NdOptionCodec,
    view,
    layout: LAYOUT,
    readers: c.readers,
    ...(c.construct ? { construct: c.construct } : {}),
  });
}

const checkOf = (b: Uint8Array): number => new NdOptionView(b, dataViewOf(b)).check();
const mut = (src: Uint8Array, at: number, v: number): Uint8Array => {
  const b = Uint8Array.from(src);
  b[at] = v;
  return b;
};

test('nd option: Length 0 is ZeroLengthOption, Length past the end OptionOverrun (any type)', () => {
  for (const c of CASES) {
    assert.equal(checkOf(mut(c.vector, 1, 0)), WireCheck.ZeroLengthOption, c.name);
    assert.equal(checkOf(mut(c.vector, 1, c.vector[1]! + 1)), WireCheck.OptionOverrun, c.name);
    assert.throws(() =>
      NdOptionCodec.parse(new NdOptionView(mut(c.vector, 1, 0), dataViewOf(c.vector))),
    );
  }
});

test('nd option: RFC 4191 §2.3 Route Information length rules are enforced on receive', () => {
  assert.equal(checkOf(hex`18 01 00 00 00000000`), 0, '/0 in length 1');
  assert.equal(checkOf(hex`18 02 00 00 00000000 0000000000000000`), 0, '/0 in length 2');
  assert.equal(checkOf(hex`18 01 01 00 00000000`), WireCheck.BadLength, '/1 needs length ≥ 2');
  assert.equal(checkOf(mut(RIO_LEN2, 1, 1)), WireCheck.BadLength, '/48 squeezed into length 1');
  assert.equal(
    checkOf(mut(RIO_LEN2, 1, 3)),
    WireCheck.OptionOverrun,
    'length 3 past a 16-byte end',
  );
  assert.equal(checkOf(hex`18 01 30 00 00000000`), WireCheck.BadLength, '/48 in length 1');
  assert.equal(
    checkOf(hex`18 02 41 00 00000000 2001db8000010000`),
    WireCheck.BadLength,
    '/65 in 2',
  );
  assert.equal(checkOf(mut(RIO_LEN2, 2, 64)), 0, '/64 fits in length 2');
  assert.equal(checkOf(mut(RIO_LEN3, 2, 128)), 0, '/128 in length 3');
  assert.equal(checkOf(mut(RIO_LEN3, 2, 129)), WireCheck.BadField, 'prefix length > 128');
  const four = hex`18 04 30 00 00000000 ${'00'.repeat(24)}`;
  assert.equal(checkOf(four), WireCheck.BadLength, 'length 4');
  assert.deepEqual([0, 1, 48, 64, 65, 96, 128].map(routeInfoMinUnits), [1, 2, 2, 2, 3, 3, 3]);
});

test('nd option: Route Information with Prf 0b10 parses with the raw value (receiver ignores it)', () => {
  const b = mut(RIO_LEN2, 3, 0x10);
  const r = NdOptionCodec.parse(new NdOptionView(b, dataViewOf(b)));
  assert.equal(r.kind === 'route-info' && r.prf, RouterPreference.Reserved);
});

test('nd option: Route Information emit uses the shortest length unless told otherwise', () => {
  const emit = (o: NdOption): Uint8Array => {
    const b = filled(NdOptionCodec.bufferLen(o));
    NdOptionCodec.emit(o, new NdOptionView(b, dataViewOf(b)));
    return b;
  };
  const base = {
    kind: 'route-info' as const,
    prf: RouterPreference.Low,
    routeLifetime: 1800,
    prefix: parseIpv6('2001:db8:1::'),
  };
  assertBytes(emit({ ...base, prefixLength: 48 }), hex`18 02 30 18 00000708 20010db8 00010000`);
  assertBytes(emit({ ...base, prefixLength: 48, length: 3 }), RIO_LEN3_48);
  assertBytes(
    emit({ ...base, prefixLength: 0, prefix: new Uint8Array(16) }),
    hex`18 01 00 18 00000708`,
  );
  assert.equal(emit({ ...base, prefixLength: 96 }).length, 24);
  const bads: Array<NdOption & { kind: 'route-info' }> = [
    { ...base, prefixLength: 48, length: 1 },
    { ...base, prefixLength: 96, length: 2 },
    { ...base, prefixLength: 48, length: 4 },
    { ...base, prefixLength: 129 },
  ];
  for (const bad of bads) {
    assert.throws(
      () => NdOptionCodec.emit(bad, new NdOptionView(filled(40), dataViewOf(filled(40)))),
      WireError,
      JSON.stringify({ plen: bad.prefixLength, len: bad.length }),
    );
  }
});

test('nd option: fixed-length types reject other lengths (PIO 4, MTU 1, RDNSS 1 + 2n ≥ 3)', () => {
  const grow = (b: Uint8Array, units: number): Uint8Array => {
    const out = new Uint8Array(units * 8);
    out.set(b.subarray(0, Math.min(b.length, out.length)));
    out[1] = units;
    return out;
  };
  assert.equal(checkOf(grow(PIO, 3)), WireCheck.BadLength);
  assert.equal(checkOf(grow(PIO, 5)), WireCheck.BadLength);
  assert.equal(checkOf(mut(PIO, 2, 129)), WireCheck.BadField);
  assert.equal(checkOf(grow(MTU, 2)), WireCheck.BadLength);
  assert.equal(checkOf(grow(RDNSS1, 1)), WireCheck.BadLength, 'no address');
  assert.equal(checkOf(grow(RDNSS1, 2)), WireCheck.BadLength, 'half an address');
  assert.equal(checkOf(grow(RDNSS2, 4)), WireCheck.BadLength, 'even length');
  assert.equal(checkOf(grow(RDNSS2, 7)), 0, 'three addresses');
  assert.throws(
    () =>
      NdOptionCodec.emit(
        { kind: 'rdnss', lifetime: 1, servers: [] },
        new NdOptionView(filled(16), dataViewOf(filled(16))),
      ),
    WireError,
  );
  // Link-layer address options of any non-zero length are accepted (other link types).
  const long = hex`01 02 0102030405060708090a0b0c0d0e`;
  assert.equal(checkOf(long), 0);
  const r = NdOptionCodec.parse(new NdOptionView(long, dataViewOf(long)));
  assert.deepEqual(r, { kind: 'source-lla', addr: long.subarray(2) });
});

// Options of scapy 2.5's second RA (see ndisc.test.ts RA2):
//   /ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:0a')
//   /ICMPv6NDOptRDNSS(lifetime=600, dns=['2001:db8::53', '2001:db8::54'])
//   /ICMPv6NDOptDNSSL(lifetime=600, searchlist=['example.org'])
//   /ICMPv6NDOptRouteInfo(len=1, plen=0, prf=1, rtlifetime=1800)
const RA2_OPTIONS = hex`
  010102000000000a
  19050000 00000258 2001:db8::53 2001:db8::54
  1f03000000000258076578616d706c65036f726700000000
  1801000800000708`;

test('nd option cursor: walks every option in order, unknown types included, without error', () => {
  const cur = new NdOptionCursor().reset(RA2_OPTIONS, 0, RA2_OPTIONS.length);
  const seen: string[] = [];
  while (cur.next()) seen.push(`${cur.type}@${cur.off}/${cur.len}`);
  assert.deepEqual(seen, ['1@0/8', '25@8/40', '31@48/24', '24@72/8']);
  assert.equal(cur.error, 0);
  assert.equal(cur.next(), false);
  assert.equal(checkNdOptions(RA2_OPTIONS, 0, RA2_OPTIONS.length), 0);
  assert.equal(findNdOption(RA2_OPTIONS, 0, RA2_OPTIONS.length, NdOptionType.RouteInformation), 72);
  assert.equal(findNdOption(RA2_OPTIONS, 0, RA2_OPTIONS.length, NdOptionType.Mtu), -1);
  // A re-pointed flyweight view reads each option in place.
  const v = new NdOptionView(RA2_OPTIONS, dataViewOf(RA2_OPTIONS));
  cur.reset(RA2_OPTIONS, 0, RA2_OPTIONS.length);
  let servers = 0;
  while (cur.next()) {
    v.at(cur.off, cur.off + cur.len);
    assert.equal(v.check(), 0);
    if (cur.type === NdOptionType.RecursiveDnsServer) servers += v.serverCount();
  }
  assert.equal(servers, 2);
});

test('nd option cursor: zero length and overrun stop the walk with the reason', () => {
  const zero = mut(RA2_OPTIONS, 49, 0); // DNSSL length 0
  const cur = new NdOptionCursor().reset(zero, 0, zero.length);
  assert.ok(cur.next());
  assert.ok(cur.next());
  assert.equal(cur.next(), false);
  assert.equal(cur.error, WireCheck.ZeroLengthOption);
  assert.equal(cur.type, -1);
  assert.equal(checkNdOptions(zero, 0, zero.length), WireCheck.ZeroLengthOption);
  assert.equal(findNdOption(zero, 0, zero.length, 24), -1);

  const over = mut(RA2_OPTIONS, 73, 2); // RIO claims 16 bytes where 8 remain
  assert.equal(checkNdOptions(over, 0, over.length), WireCheck.OptionOverrun);
  cur.reset(over, 0, over.length);
  let n = 0;
  while (cur.next()) n++;
  assert.equal(n, 3);
  assert.equal(cur.error, WireCheck.OptionOverrun);
  // A single trailing byte cannot hold Type and Length.
  assert.equal(checkNdOptions(RA2_OPTIONS, 0, 9), WireCheck.OptionOverrun);
  assert.equal(checkNdOptions(RA2_OPTIONS, 0, 0), 0, 'no options at all');
  // reset() clears the error for the next packet.
  cur.reset(RA2_OPTIONS, 0, RA2_OPTIONS.length);
  assert.equal(cur.error, 0);
  assert.ok(cur.next());
});

test('nd options: parse keeps unknown types and emit reproduces the scapy bytes in order', () => {
  const dv = dataViewOf(RA2_OPTIONS);
  const opts = parseNdOptions(RA2_OPTIONS, dv, 0, RA2_OPTIONS.length);
  assert.deepEqual(
    opts.map((o) => o.kind),
    ['source-lla', 'rdnss', 'unknown', 'route-info'],
  );
  assert.equal(ndOptionsLen(opts), RA2_OPTIONS.length);
  const b = filled(RA2_OPTIONS.length + 8);
  const end = emitNdOptions(opts, b, dataViewOf(b), 4);
  assert.equal(end, 4 + RA2_OPTIONS.length);
  assertBytes(b.subarray(4, end), RA2_OPTIONS);
  assert.equal(b[3], 0xff);
  assert.equal(b[end], 0xff);
  assert.throws(
    () => parseNdOptions(mut(RA2_OPTIONS, 49, 0), dv, 0, RA2_OPTIONS.length),
    (e: unknown) => e instanceof WireError && e.reason === WireCheck.ZeroLengthOption,
  );
});

test('nd option: unknown and odd-sized values are zero-padded to 8 octets on emit', () => {
  const o: NdOption = { kind: 'unknown', type: 253, data: hex`01 02 03` };
  const b = filled(10);
  NdOptionCodec.emit(o, new NdOptionView(b, dataViewOf(b)));
  assertBytes(b, hex`fd 01 010203 000000 ffff`);
  const rh: NdOption = { kind: 'redirected-header', data: hex`6000000000` };
  const b2 = filled(17);
  NdOptionCodec.emit(rh, new NdOptionView(b2, dataViewOf(b2)));
  assertBytes(b2, hex`04 02 000000000000 6000000000000000 ff`);
});

test('nd option: formatNdOption one-line text', () => {
  assert.deepEqual(
    CASES.map((c) => formatNdOption(c.repr)),
    [
      'source-lla 02:00:00:00:00:0a',
      'target-lla 02:00:00:00:00:01',
      'prefix-info 2001:db8:2:1::/64 LR valid 86400 preferred 14400',
      'mtu 1452',
      'route-info ::/0 prf high lifetime 1800',
      'route-info 2001:db8:1::/48 prf low lifetime 600',
      'route-info 2001:db8:1:1:0:1::/96 prf medium lifetime 4294967295',
      'route-info 2001:db8:1::/48 prf low lifetime 1800',
      'rdnss lifetime 600 [2001:db8::53]',
      'rdnss lifetime 4294967295 [2001:db8::53, 2001:db8::54]',
      'redirected-header 48 bytes',
      'option 31 (24 bytes)',
    ],
  );
});
