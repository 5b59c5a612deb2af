import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, filled, headerSuite, hex, parseIpv6 } from '@dmm/testkit';
import {
  IPV6_CHAIN_UNKNOWN_NEXT_HEADER,
  IpProto,
  Ipv6ChainCursor,
  Ipv6Fragment,
  Ipv6FragmentView,
  Ipv6OptionAction,
  Ipv6OptionCursor,
  Ipv6OptionType,
  Ipv6Options,
  Ipv6OptionsView,
  Ipv6Routing,
  Ipv6RoutingType,
  Ipv6RoutingView,
  TunnelEncapLimit,
  TunnelEncapLimitView,
  WireCheck,
  WireError,
  checkIpv6Options,
  dataViewOf,
  findIpv6Option,
  formatIpv6Fragment,
  formatIpv6Options,
  formatIpv6Routing,
  ipv6ChainResultName,
  ipv6OptionAction,
  ipv6OptionMayChange,
  isIpv6UpperLayer,
  walkIpv6Chain,
  type Ipv6FragmentRepr,
  type Ipv6OptionsRepr,
  type Ipv6RoutingRepr,
  type TunnelEncapLimitRepr,
} from '@dmm/wire';

// Built with scapy 2.5 (Debian python3-scapy) by
//   raw(IPv6(src='fd00:100::2', dst='fd00:100::1', hlim=64)
//       /IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
//       /IPv6ExtHdrFragment(offset=0, m=1, id=0x12345678)
//       /IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=4, optdata=b'\x04')])
//       /IPv6(src='2001:db8:1:1::100', dst='2001:db8:ffff::1', hlim=63)
//       /ICMPv6EchoRequest(id=1, seq=1, data=b'abcd'))
// scapy placed the padding itself (autopad): PadN(0) after the Router Alert, PadN(1) after
// the Tunnel Encapsulation Limit. The inner packet is protocol.md §5.2's.
const CHAIN = hex`
  60000000 004c0040  fd00:100::2  fd00:100::1     // IPv6, payload 76, next header 0 (HBH)
  2c 00 0502 0000 0100          // HBH: nh 44, len 0, Router Alert 0 (MLD), PadN(0)   @40
  3c 00 0001 12345678           // Fragment: nh 60, offset 0, M=1, id 0x12345678      @48
  29 00 040104 010100           // DestOpts: nh 41, Tunnel Encap Limit 4, PadN(1)     @56
  60000000 000c3a3f 2001:db8:1:1::100 2001:db8:ffff::1 80005e7b 00010001 61626364  // @64`;
const HBH = CHAIN.subarray(40, 48);
const FRAG = CHAIN.subarray(48, 56);
const DSTOPTS = CHAIN.subarray(56, 64);
const INNER = CHAIN.subarray(64);

// scapy 2.5: raw(IPv6ExtHdrFragment(nh=58, offset=185, m=0, id=0xdeadbeef))
const FRAG_LATER = hex`3a 00 05c8 deadbeef`;

// scapy 2.5: raw(IPv6(src='2001:db8:ffff::1', dst='2001:db8:2:1::100', hlim=64)
//   /IPv6ExtHdrRouting(type=2, segleft=1, addresses=['2001:db8:1:1::100'])
//   /ICMPv6EchoReply(id=1, seq=2))  — an RFC 6275 §6.4 Type 2 Routing header.
const CN_RT2 = hex`
  60000000 00202b40  2001:db8:ffff::1  2001:db8:2:1::100
  3a 02 02 01 00000000 2001:db8:1:1::100          // Routing: nh 58, len 2, type 2, segs 1 @40
  81002245 00010002                                // echo reply                         @64`;
const RT2 = CN_RT2.subarray(40, 64);

// scapy 2.5: raw(IPv6(src='2001:db8:2:1::100', dst='2001:db8:ffff::1', hlim=64)
//   /IPv6ExtHdrDestOpt(options=[HAO(hoa='2001:db8:1:1::100')])
//   /ICMPv6EchoRequest(id=1, seq=2))  — scapy aligned the Home Address option at 8n+6.
const MN_HAO = hex`
  60000000 00203c40  2001:db8:2:1::100  2001:db8:ffff::1
  3a 02 01020000 c910 2001:db8:1:1::100             // DestOpts: PadN(2), Home Address  @40
  80002345 00010002                                 // echo request                      @64`;

// scapy 2.5: raw(IPv6(src='fd00:100::2', dst='fd00:100::1', hlim=64)
//   /AH(nh=58, payloadlen=4, spi=0x100, seq=1, icv=b'\x11'*12)/ICMPv6EchoRequest(id=1, seq=1))
// (scapy's AH does not fill nh/payloadlen by itself; payloadlen 4 = 24 bytes, RFC 4302 §2.2.)
const AH_PKT = hex`
  60000000 00203340  fd00:100::2  fd00:100::1
  3a 04 0000 00000100 00000001 111111111111111111111111   // AH, 24 bytes   @40
  800083b6 00010001                                       // echo request   @64`;

// scapy 2.5: raw(IPv6ExtHdrDestOpt(nh=59, options=[HBHOptUnknown(otype=0x1e, optdata=b'\xaa'),
//   Pad1(), HBHOptUnknown(otype=0x9e, optdata=b'\xbb\xcc'), PadN(optdata=b'\x00\x00'),
//   HBHOptUnknown(otype=0xde, optdata=b'')]))
const UNKNOWN_OPTS = hex`3b 01  1e01aa  00  9e02bbcc  01020000  de00`;

const mut = (src: Uint8Array, at: number, ...vals: number[]): Uint8Array => {
  const b = Uint8Array.from(src);
  vals.forEach((x, i) => (b[at + i] = x));
  return b;
};

const walk = (b: Uint8Array, end = b.length): { r: number; c: Ipv6ChainCursor } => {
  const c = new Ipv6ChainCursor();
  return { r: walkIpv6Chain(b, 0, end, c), c };
};

// ---------------------------------------------------------------------------------------
// Options headers
// ---------------------------------------------------------------------------------------

const OPTS_LAYOUT = [
  { name: 'next header', off: 0, len: 1 },
  { name: 'hdr ext len', off: 1, len: 1 },
  { name: 'options', off: 2, len: 254 },
];
const optsView = (b: Uint8Array, dv: DataView, off: number, end: number): Ipv6OptionsView =>
  new Ipv6OptionsView(b, dv, off, end);

headerSuite<Ipv6OptionsRepr, Ipv6OptionsView>({
  name: 'ipv6 hop-by-hop (router alert)',
  vector: HBH,
  provenance: 'scapy 2.5 (Debian python3-scapy) extension chain, see CHAIN comment',
  repr: { nextHeader: IpProto.Fragment, options: [{ type: 5, data: hex`0000` }] },
  codec: Ipv6Options,
  view: optsView,
  layout: OPTS_LAYOUT,
  readers(v) {
    assert.equal(v.nextHeader(), 44);
    assert.equal(v.hdrExtLen(), 0);
    assert.equal(v.headerLength(), 8);
    assert.equal(v.optionsOffset(), 2);
    assert.equal(v.optionsEnd(), 8);
  },
});

headerSuite<Ipv6OptionsRepr, Ipv6OptionsView>({
  name: 'ipv6 destination options (tunnel encapsulation limit)',
  vector: DSTOPTS,
  payload: INNER,
  provenance: 'scapy 2.5 (Debian python3-scapy) extension chain, see CHAIN comment',
  repr: { nextHeader: IpProto.Ipv6, options: [{ type: 4, data: hex`04` }] },
  codec: Ipv6Options,
  view: optsView,
  layout: OPTS_LAYOUT,
  // 8 bytes is a complete header; the inner packet is not part of it.
  validPrefixes: Array.from({ length: INNER.length }, (_, i) => i + 8),
  readers(v) {
    assert.equal(v.nextHeader(), 41);
    assert.equal(v.headerLength(), 8);
    assert.equal(findIpv6Option(v.bytes, v.optionsOffset(), v.optionsEnd(), 4), 2);
    assert.equal(findIpv6Option(v.bytes, v.optionsOffset(), v.optionsEnd(), 5), -1);
  },
});

headerSuite<Ipv6OptionsRepr, Ipv6OptionsView>({
  name: 'ipv6 destination options (home address, 8n+6 alignment)',
  vector: MN_HAO.subarray(40, 64),
  provenance: 'scapy 2.5 (Debian python3-scapy) IPv6ExtHdrDestOpt(options=[HAO(...)]), see MN_HAO',
  repr: {
    nextHeader: IpProto.Icmpv6,
    options: [{ type: Ipv6OptionType.HomeAddress, data: parseIpv6('2001:db8:1:1::100') }],
  },
  codec: Ipv6Options,
  view: optsView,
  layout: OPTS_LAYOUT,
  readers(v) {
    assert.equal(v.hdrExtLen(), 2);
    assert.equal(v.headerLength(), 24);
    assert.equal(findIpv6Option(v.bytes, v.optionsOffset(), v.optionsEnd(), 0xc9), 6);
  },
});

test('ipv6 options: every TLV must fit the header (OptionOverrun), the header the bytes (Truncated)', () => {
  const check = (b: Uint8Array, end = b.length): number =>
    new Ipv6OptionsView(b, dataViewOf(b), 0, end).check();
  assert.equal(check(DSTOPTS), 0);
  // Tunnel Encapsulation Limit claiming 6 data bytes runs past the 8-byte header.
  assert.equal(check(mut(DSTOPTS, 3, 6)), WireCheck.OptionOverrun);
  // PadN claiming 2 bytes where 1 remains.
  assert.equal(check(mut(DSTOPTS, 6, 2)), WireCheck.OptionOverrun);
  // A lone non-Pad1 byte at the end has no length byte.
  assert.equal(check(hex`3b00 0103000000 01`), WireCheck.OptionOverrun);
  // Hdr Ext Len 1 claims 16 bytes of an 8-byte region.
  assert.equal(check(mut(DSTOPTS, 1, 1)), WireCheck.Truncated);
  // PadN of length 0 (two bytes) and Pad1 are both fine.
  assert.equal(check(hex`3b00 0100 00 0100 00`), 0);
  assert.equal(checkIpv6Options(hex`00 00 0100`, 0, 4), 0);
});

test('ipv6 options: the cursor yields every non-padding option (unknown ones too) in order', () => {
  const v = new Ipv6OptionsView(UNKNOWN_OPTS, dataViewOf(UNKNOWN_OPTS), 0, UNKNOWN_OPTS.length);
  assert.equal(v.check(), 0);
  const cur = new Ipv6OptionCursor().reset(v.bytes, v.optionsOffset(), v.optionsEnd());
  const seen: string[] = [];
  while (cur.next()) seen.push(`${cur.type.toString(16)}@${cur.off}+${cur.dataOff}/${cur.dataLen}`);
  assert.deepEqual(seen, ['1e@2+4/1', '9e@6+8/2', 'de@14+16/0']);
  assert.equal(cur.error, 0);
  assert.equal(cur.next(), false, 'stays at the end');
  const r = Ipv6Options.parse(v);
  assert.deepEqual(r.options, [
    { type: 0x1e, data: hex`aa` },
    { type: 0x9e, data: hex`bbcc` },
    { type: 0xde, data: hex`` },
  ]);
  // Action bits (RFC 8200 §4.2): 0x1e skip, 0x9e discard + ICMP, 0xde discard + ICMP unless
  // multicast; 0x1e and 0x9e are not "may change" (bit 0x20 clear), 0x3e would be.
  assert.equal(ipv6OptionAction(0x1e), Ipv6OptionAction.Skip);
  assert.equal(ipv6OptionAction(0x5e), Ipv6OptionAction.Discard);
  assert.equal(ipv6OptionAction(0x9e), Ipv6OptionAction.DiscardSendIcmp);
  assert.equal(ipv6OptionAction(0xde), Ipv6OptionAction.DiscardSendIcmpUnlessMulticast);
  assert.equal(ipv6OptionAction(Ipv6OptionType.TunnelEncapLimit), Ipv6OptionAction.Skip);
  assert.ok(!ipv6OptionMayChange(0x1e));
  assert.ok(ipv6OptionMayChange(0x3e));
});

test('ipv6 options: the cursor stops with OptionOverrun on a malformed option and re-arms on reset', () => {
  const b = mut(UNKNOWN_OPTS, 7, 9); // 0x9e claims 9 data bytes
  const cur = new Ipv6OptionCursor().reset(b, 2, b.length);
  assert.ok(cur.next());
  assert.equal(cur.type, 0x1e);
  assert.equal(cur.next(), false);
  assert.equal(cur.error, WireCheck.OptionOverrun);
  assert.equal(cur.type, -1);
  cur.reset(UNKNOWN_OPTS, 2, UNKNOWN_OPTS.length);
  assert.equal(cur.error, 0);
  assert.ok(cur.next());
  assert.equal(findIpv6Option(b, 2, b.length, 0xde), -1, 'find gives up at the malformed option');
});

test('ipv6 options: emit pads to a multiple of 8 with Pad1 / PadN, whatever the option sizes', () => {
  const cases: Array<[Ipv6OptionsRepr, Uint8Array]> = [
    [{ nextHeader: 59, options: [] }, hex`3b00 01040000 0000`],
    [{ nextHeader: 59, options: [{ type: 0x3e, data: hex`0102 0304` }] }, hex`3b00 3e0401020304`],
    [{ nextHeader: 59, options: [{ type: 0x3e, data: hex`0102 03` }] }, hex`3b00 3e03010203 00`],
    [
      { nextHeader: 59, options: [{ type: 0x3e, data: hex`01` }] },
      hex`3b00 3e0101 010100`, // PadN with one data byte
    ],
    [
      { nextHeader: 59, options: [{ type: 0x3e, data: hex`0102030405` }] },
      hex`3b01 3e050102030405 01050000000000`, // 9 bytes → 16: PadN with 5 data bytes
    ],
  ];
  for (const [r, want] of cases) {
    assert.equal(Ipv6Options.bufferLen(r), want.length);
    const b = filled(want.length + 2);
    Ipv6Options.emit(r, new Ipv6OptionsView(b, dataViewOf(b), 0, want.length));
    assertBytes(b.subarray(0, want.length), want, OPTS_LAYOUT);
    assert.equal(b[want.length], 0xff);
    assert.deepEqual(Ipv6Options.parse(new Ipv6OptionsView(b, dataViewOf(b), 0, want.length)), r);
  }
  assert.throws(
    () =>
      Ipv6Options.emit(
        {
          nextHeader: 59,
          options: Array.from({ length: 9 }, () => ({ type: 0x3e, data: filled(250, 0) })),
        },
        new Ipv6OptionsView(filled(4096), dataViewOf(filled(4096))),
      ),
    WireError,
  );
});

test('ipv6 options: formatIpv6Options one-line text', () => {
  const r = Ipv6Options.parse(new Ipv6OptionsView(DSTOPTS, dataViewOf(DSTOPTS), 0, 8));
  assert.equal(formatIpv6Options(r), 'nh ipv6, options [tunnel-encap-limit 04]');
  const u = Ipv6Options.parse(new Ipv6OptionsView(UNKNOWN_OPTS, dataViewOf(UNKNOWN_OPTS)));
  assert.equal(formatIpv6Options(u), 'nh nonext, options [0x1e aa, 0x9e bbcc, 0xde]');
});

// ---------------------------------------------------------------------------------------
// Tunnel Encapsulation Limit option
// ---------------------------------------------------------------------------------------

headerSuite<TunnelEncapLimitRepr, TunnelEncapLimitView>({
  name: 'tunnel encapsulation limit option',
  vector: DSTOPTS.subarray(2, 5),
  provenance: 'scapy 2.5 (Debian python3-scapy) extension chain, see CHAIN comment',
  repr: { limit: 4 },
  codec: TunnelEncapLimit,
  view: (b, dv, off, end) => new TunnelEncapLimitView(b, dv, off, end),
  layout: [
    { name: 'type', off: 0, len: 1 },
    { name: 'opt data len', off: 1, len: 1 },
    { name: 'limit', off: 2, len: 1 },
  ],
  readers(v) {
    assert.equal(v.optionType(), 4);
    assert.equal(v.optDataLen(), 1);
    assert.equal(v.limit(), 4);
  },
  construct(v) {
    v.setTypeAndLength();
    v.setLimit(4);
  },
});

test('tunnel encapsulation limit: another type is WrongType, a length other than 1 BadLength', () => {
  const check = (b: Uint8Array): number => new TunnelEncapLimitView(b, dataViewOf(b)).check();
  assert.equal(check(hex`040104`), 0);
  assert.equal(check(hex`050104`), WireCheck.WrongType);
  assert.equal(check(hex`04020400`), WireCheck.BadLength);
  assert.equal(check(hex`040004`), WireCheck.BadLength);
});

test('tunnel encapsulation limit: located in a Destination Options header by the cursor', () => {
  const { r, c } = walk(CHAIN);
  assert.equal(r, 0);
  const b = CHAIN;
  const v = new Ipv6OptionsView(b, dataViewOf(b), c.destOptsOff, c.upperOff);
  assert.equal(v.check(), 0);
  const cur = new Ipv6OptionCursor().reset(b, v.optionsOffset(), v.optionsEnd());
  let limit = -1;
  while (cur.next()) {
    if (cur.type === Ipv6OptionType.TunnelEncapLimit) {
      const t = new TunnelEncapLimitView(b, dataViewOf(b), cur.off, cur.dataOff + cur.dataLen);
      assert.equal(t.check(), 0);
      limit = t.limit();
    }
  }
  assert.equal(limit, 4);
});

// ---------------------------------------------------------------------------------------
// Fragment header
// ---------------------------------------------------------------------------------------

const FRAG_LAYOUT = [
  { name: 'next header', off: 0, len: 1 },
  { name: 'reserved', off: 1, len: 1 },
  { name: 'offset/res/M', off: 2, len: 2 },
  { name: 'identification', off: 4, len: 4 },
];
const fragView = (b: Uint8Array, dv: DataView, off: number, end: number): Ipv6FragmentView =>
  new Ipv6FragmentView(b, dv, off, end);

headerSuite<Ipv6FragmentRepr, Ipv6FragmentView>({
  name: 'ipv6 fragment (first, M set)',
  vector: FRAG,
  provenance: 'scapy 2.5 (Debian python3-scapy) extension chain, see CHAIN comment',
  repr: { nextHeader: 60, fragmentOffset: 0, moreFragments: true, identification: 0x12345678 },
  codec: Ipv6Fragment,
  view: fragView,
  layout: FRAG_LAYOUT,
  readers(v) {
    assert.equal(v.nextHeader(), 60);
    assert.equal(v.fragmentOffset(), 0);
    assert.equal(v.moreFragments(), true);
    assert.equal(v.identification(), 0x12345678);
  },
  construct(v) {
    v.setNextHeader(60);
    v.setOffsetAndMore(0, true);
    v.setIdentification(0x12345678);
  },
});

headerSuite<Ipv6FragmentRepr, Ipv6FragmentView>({
  name: 'ipv6 fragment (later, offset 185)',
  vector: FRAG_LATER,
  provenance: 'scapy 2.5: raw(IPv6ExtHdrFragment(nh=58, offset=185, m=0, id=0xdeadbeef))',
  repr: { nextHeader: 58, fragmentOffset: 185, moreFragments: false, identification: 0xdeadbeef },
  codec: Ipv6Fragment,
  view: fragView,
  layout: FRAG_LAYOUT,
  readers(v) {
    assert.equal(v.fragmentOffset(), 185);
    assert.equal(v.moreFragments(), false);
    assert.equal(v.identification(), 0xdeadbeef);
  },
  construct(v) {
    v.setNextHeader(58);
    v.setOffsetAndMore(185, false);
    v.setIdentification(0xdeadbeef);
  },
});

test('ipv6 fragment: reserved bits are ignored on read and the extremes survive', () => {
  const b = hex`3a ff ffff ffffffff`;
  const v = new Ipv6FragmentView(b, dataViewOf(b));
  assert.equal(v.fragmentOffset(), 0x1fff);
  assert.equal(v.moreFragments(), true);
  const r = Ipv6Fragment.parse(v);
  Ipv6Fragment.emit(r, v);
  assertBytes(b, hex`3a 00 fff9 ffffffff`, FRAG_LAYOUT);
  assert.equal(formatIpv6Fragment(r), 'fragment id 0xffffffff offset 8191 M, nh icmpv6');
  assert.equal(
    formatIpv6Fragment(
      Ipv6Fragment.parse(new Ipv6FragmentView(FRAG_LATER, dataViewOf(FRAG_LATER))),
    ),
    'fragment id 0xdeadbeef offset 185, nh icmpv6',
  );
});

// ---------------------------------------------------------------------------------------
// Routing header
// ---------------------------------------------------------------------------------------

headerSuite<Ipv6RoutingRepr, Ipv6RoutingView>({
  name: 'ipv6 routing (type 2)',
  vector: RT2,
  payload: CN_RT2.subarray(64),
  provenance: 'scapy 2.5 (Debian python3-scapy) IPv6ExtHdrRouting(type=2, ...), see CN_RT2',
  repr: {
    nextHeader: 58,
    routingType: Ipv6RoutingType.MobileIpv6,
    segmentsLeft: 1,
    data: hex`00000000 2001:db8:1:1::100`,
  },
  codec: Ipv6Routing,
  view: (b, dv, off, end) => new Ipv6RoutingView(b, dv, off, end),
  layout: [
    { name: 'next header', off: 0, len: 1 },
    { name: 'hdr ext len', off: 1, len: 1 },
    { name: 'routing type', off: 2, len: 1 },
    { name: 'segments left', off: 3, len: 1 },
    { name: 'type-specific data', off: 4, len: 20 },
  ],
  validPrefixes: [24, 25, 26, 27, 28, 29, 30, 31],
  readers(v) {
    assert.equal(v.nextHeader(), 58);
    assert.equal(v.hdrExtLen(), 2);
    assert.equal(v.headerLength(), 24);
    assert.equal(v.routingType(), 2);
    assert.equal(v.segmentsLeft(), 1);
    assert.equal(v.dataOffset(), 4);
  },
  construct(v) {
    v.setNextHeader(58);
    v.setHdrExtLen(2);
    v.setRoutingType(2);
    v.setSegmentsLeft(1);
    v.bytes.fill(0, 4, 8);
    v.bytes.set(parseIpv6('2001:db8:1:1::100'), 8);
  },
});

test('ipv6 routing: emit refuses data that does not make a multiple of 8', () => {
  const b = filled(32);
  const v = new Ipv6RoutingView(b, dataViewOf(b));
  const r = { nextHeader: 59, routingType: 0, segmentsLeft: 0, data: hex`000000` };
  assert.throws(
    () => Ipv6Routing.emit(r, v),
    (e: unknown) => e instanceof WireError && e.reason === WireCheck.BadLength,
  );
  assert.equal(
    formatIpv6Routing(Ipv6Routing.parse(new Ipv6RoutingView(RT2, dataViewOf(RT2)))),
    'routing type 2, segments left 1, 20 data bytes, nh icmpv6',
  );
});

// ---------------------------------------------------------------------------------------
// The chain walker
// ---------------------------------------------------------------------------------------

test('chain: HBH + Fragment + DestOpts reaches the inner IPv6 header and records every header', () => {
  const { r, c } = walk(CHAIN);
  assert.equal(r, 0);
  assert.equal(c.upperProto, IpProto.Ipv6);
  assert.equal(c.upperOff, 64);
  assert.equal(c.nhFieldOff, 56);
  assert.equal(c.hbhOff, 40);
  assert.equal(c.fragmentOff, 48);
  assert.equal(c.destOptsOff, 56);
  assert.equal(c.routingOff, -1);
  assert.equal(c.ahOff, -1);
  assert.equal(c.laterFragment, false);
  assert.equal(c.count, 3);
  assertBytes(CHAIN.subarray(c.upperOff), INNER);
});

test('chain: a bare IPv6 header names its upper layer with the pointer at byte 6', () => {
  const { r, c } = walk(INNER);
  assert.equal(r, 0);
  assert.equal(c.upperProto, 58);
  assert.equal(c.upperOff, 40);
  assert.equal(c.nhFieldOff, 6);
  assert.equal(c.count, 0);
  assert.equal(c.hbhOff, -1);
  assert.equal(c.fragmentOff, -1);
});

test('chain: Routing type 2 and a Home Address DestOpts are walked', () => {
  let { r, c } = walk(CN_RT2);
  assert.equal(r, 0);
  assert.equal(c.routingOff, 40);
  assert.equal(c.upperProto, 58);
  assert.equal(c.upperOff, 64);
  ({ r, c } = walk(MN_HAO));
  assert.equal(r, 0);
  assert.equal(c.destOptsOff, 40);
  assert.equal(c.upperOff, 64);
  assert.equal(c.nhFieldOff, 40);
});

test('chain: AH length is in 4-octet units (RFC 4302 §2.2)', () => {
  const { r, c } = walk(AH_PKT);
  assert.equal(r, 0);
  assert.equal(c.ahOff, 40);
  assert.equal(c.upperOff, 64);
  assert.equal(c.upperProto, 58);
  // Payload Len 5 would make it 28 bytes: the ICMPv6 header would start at 68.
  const { c: c2 } = walk(mut(AH_PKT, 41, 5));
  assert.equal(c2.upperOff, 68);
});

test('chain: every cut inside the extension headers is Truncated, never a throw', () => {
  for (const [name, pkt, chainEnd] of [
    ['hbh+frag+dstopts', CHAIN, 64],
    ['routing', CN_RT2, 64],
    ['dstopts', MN_HAO, 64],
    ['ah', AH_PKT, 64],
  ] as const) {
    for (let end = 0; end < chainEnd; end++) {
      assert.equal(walk(pkt, end).r, WireCheck.Truncated, `${name} cut at ${end}`);
    }
    for (let end = chainEnd; end <= pkt.length; end++) {
      assert.equal(walk(pkt, end).r, 0, `${name} cut at ${end} (upper layer only)`);
    }
  }
  // Hdr Ext Len claiming more than the packet holds.
  assert.equal(walk(mut(CHAIN, 57, 40)).r, WireCheck.Truncated);
});

test('chain: an unknown Next Header gives the distinct result and the Parameter Problem pointer', () => {
  let { r, c } = walk(mut(CHAIN, 56, 253));
  assert.equal(r, IPV6_CHAIN_UNKNOWN_NEXT_HEADER);
  assert.notEqual(r, 0);
  assert.ok(!Object.values(WireCheck).includes(r as never), 'outside the WireCheck range');
  assert.equal(c.upperProto, 253);
  assert.equal(c.nhFieldOff, 56, 'pointer = offset of the DestOpts Next Header byte');
  assert.equal(c.upperOff, 64);
  assert.equal(ipv6ChainResultName(r), 'unknown-next-header');
  assert.equal(ipv6ChainResultName(WireCheck.Truncated), 'truncated');
  ({ r, c } = walk(mut(INNER, 6, 4))); // IPv4-in-IPv6: not handled by this router
  assert.equal(r, IPV6_CHAIN_UNKNOWN_NEXT_HEADER);
  assert.equal(c.nhFieldOff, 6);
});

test('chain: Hop-by-Hop anywhere but first is BadField, pointing at the Next Header that says 0', () => {
  const { r, c } = walk(mut(CHAIN, 48, 0));
  assert.equal(r, WireCheck.BadField);
  assert.equal(c.nhFieldOff, 48);
  assert.equal(c.upperProto, 0);
});

test('chain: every upper layer of the router stops the walk with success', () => {
  for (const nh of [58, 6, 17, 41, 135, 59, 50]) {
    assert.ok(isIpv6UpperLayer(nh), `${nh}`);
    const { r, c } = walk(mut(CHAIN, 56, nh));
    assert.equal(r, 0, `nh ${nh}`);
    assert.equal(c.upperProto, nh);
    assert.equal(c.upperOff, 64);
  }
  for (const nh of [0, 43, 44, 51, 60, 4, 253]) assert.ok(!isIpv6UpperLayer(nh), `${nh}`);
});

test('chain: a later fragment stops after the Fragment header (its data is not a header)', () => {
  // Fragment offset 185 × 8 bytes, M clear.
  const { r, c } = walk(mut(CHAIN, 50, 0x05, 0xc8));
  assert.equal(r, 0);
  assert.equal(c.laterFragment, true);
  assert.equal(c.fragmentOff, 48);
  assert.equal(c.upperProto, 60, 'what the Fragment header names');
  assert.equal(c.upperOff, 56);
  assert.equal(c.nhFieldOff, 48);
  assert.equal(c.destOptsOff, -1);
  assert.equal(c.count, 2);
  // The data after a later fragment need not look like a header at all.
  const garbage = mut(CHAIN, 50, 0x05, 0xc8);
  garbage[57] = 0xff;
  assert.equal(walk(garbage).r, 0);
});

test('chain: the cursor is reset by every walk (reused per packet)', () => {
  const c = new Ipv6ChainCursor();
  assert.equal(walkIpv6Chain(CHAIN, 0, CHAIN.length, c), 0);
  assert.equal(walkIpv6Chain(INNER, 0, INNER.length, c), 0);
  assert.equal(c.hbhOff, -1);
  assert.equal(c.fragmentOff, -1);
  assert.equal(c.destOptsOff, -1);
  assert.equal(c.count, 0);
  // A walk at an offset inside a larger buffer reports absolute offsets.
  const big = filled(300);
  big.set(CHAIN, 100);
  assert.equal(walkIpv6Chain(big, 100, 100 + CHAIN.length, c), 0);
  assert.equal(c.upperOff, 164);
  assert.equal(c.nhFieldOff, 156);
});
