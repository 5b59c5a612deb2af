import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, filled, headerSuite, hex, parseIpv6, parseMac } from '@dmm/testkit';
import {
  MobilityOptionCodec,
  MobilityOptionCursor,
  MobilityOptionType as T,
  MobilityOptionView,
  WireCheck,
  WireError,
  checkMobilityOption,
  checkMobilityOptions,
  dataViewOf,
  emitMobilityOptions,
  formatMobilityOption,
  mobilityOptionPadBefore,
  mobilityOptionsLength,
  optionOfKind,
  optionsOfKind,
  parseMobilityOptions,
  timestampFromMs,
  timestampToMs,
  type MobilityOption,
  type MobilityOptionView as View,
} from '@dmm/wire';

// Provenance of the option vectors below. Each is a slice of a full packet that was not
// produced by our encoder:
//  - "§5.2 PBU/PBA/DMM PBU/DMM PBA": protocol.md §5.2, built by hand-written Python and by
//    scapy 2.5 with the PMIPv6/RFC 8885 option classes of protocol.md §6 (byte-identical),
//    re-checked here with Debian scapy 2.5 (/usr/bin/python3) and the same classes.
//  - "scapy": built with Debian scapy 2.5.0 (/usr/bin/python3) and the option classes of
//    protocol.md §6 (MIP6OptHNP/TS/... registered in moboptcls); expression next to each.
const view = (b: Uint8Array, dv: DataView, off: number, end: number): View =>
  new MobilityOptionView(b, dv, off, end);

interface OptionCase {
  name: string;
  vector: Uint8Array;
  provenance: string;
  repr: MobilityOption;
  readers(v: View): void;
  construct?(v: View): void;
}

const NAI = 'mn1@example.org';

const CASES: OptionCase[] = [
  {
    name: 'Pad1',
    vector: hex`00`,
    provenance: 'scapy: last byte of the "unknown option 200" PBU (MIP6MH_BU autopad)',
    repr: { kind: 'pad1' },
    readers(v) {
      assert.equal(v.type(), T.Pad1);
      assert.equal(v.length(), 0);
      assert.equal(v.totalLength(), 1);
    },
    construct(v) {
      v.setType(0);
    },
  },
  {
    name: 'PadN (4 bytes)',
    vector: hex`01 02 0000`,
    provenance: 'protocol.md §5.1, scapy inet6.uts BA vector (autopad PadN)',
    repr: { kind: 'pad-n', size: 4 },
    readers(v) {
      assert.equal(v.type(), T.PadN);
      assert.equal(v.length(), 2);
      assert.equal(v.totalLength(), 4);
    },
  },
  {
    name: 'PadN (2 bytes, zero Length)',
    vector: hex`01 00`,
    provenance: '§5.2 DMM PBA (PadN before the Timestamp)',
    repr: { kind: 'pad-n', size: 2 },
    readers(v) {
      assert.equal(v.length(), 0);
      assert.equal(v.totalLength(), 2);
    },
  },
  {
    name: 'Mobile Node Identifier (NAI)',
    vector: hex`08 10  01  6d6e31406578616d706c652e6f7267  // type 8, len 16, subtype 1, "mn1@example.org"`,
    provenance: '§5.2 PBU (MIP6OptMNID(id=b"mn1@example.org"))',
    repr: { kind: 'mn-id', nai: NAI },
    readers(v) {
      assert.equal(v.type(), T.MobileNodeIdentifier);
      assert.equal(v.length(), 16);
      assert.equal(v.mnIdSubtype(), 1);
      assert.equal(v.identifierOffset(), 3);
      assert.equal(v.identifierLength(), 15);
    },
  },
  {
    name: 'Mobile Node Identifier (subtype 5, kept as bytes)',
    vector: hex`08 07  05  02:00:00:00:00:01`,
    provenance: 'scapy: MIP6OptMNID(subtype=5, id=bytes.fromhex("020000000001"))',
    repr: { kind: 'mn-id-other', subtype: 5, identifier: parseMac('02:00:00:00:00:01') },
    readers(v) {
      assert.equal(v.mnIdSubtype(), 5);
      assert.equal(v.identifierLength(), 6);
    },
    construct(v) {
      v.setType(8);
      v.setLength(7);
      v.setMnIdSubtype(5);
      v.bytes.set(parseMac('02:00:00:00:00:01'), v.identifierOffset());
    },
  },
  {
    name: 'Home Network Prefix',
    vector: hex`16 12  00 40  2001:db8:1:1::`,
    provenance: '§5.2 PBA (MIP6OptHNP(plen=64, prefix="2001:db8:1:1::"))',
    repr: { kind: 'hnp', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
    readers(v) {
      assert.equal(v.type(), T.HomeNetworkPrefix);
      assert.equal(v.length(), 18);
      assert.equal(v.prefixLength(), 64);
      assert.equal(v.prefixOffset(), 4);
      assert.ok(v.prefixEquals(parseIpv6('2001:db8:1:1::')));
      assert.ok(!v.prefixEquals(parseIpv6('2001:db8:1:2::')));
    },
    construct(v) {
      v.setType(22);
      v.setLength(18);
      v.setReserved8(0);
      v.setPrefixLength(64);
      v.setPrefix(parseIpv6('2001:db8:1:1::'));
    },
  },
  {
    name: 'Handoff Indicator',
    vector: hex`17 02 00 01`,
    provenance: '§5.2 PBU (HI 1, attachment over a new interface)',
    repr: { kind: 'handoff-indicator', value: 1 },
    readers(v) {
      assert.equal(v.type(), T.HandoffIndicator);
      assert.equal(v.value(), 1);
    },
    construct(v) {
      v.setType(23);
      v.setLength(2);
      v.setReserved8(0);
      v.setValue(1);
    },
  },
  {
    name: 'Access Technology Type',
    vector: hex`18 02 00 03`,
    provenance: '§5.2 PBU (ATT 3, IEEE 802.3)',
    repr: { kind: 'access-technology-type', value: 3 },
    readers(v) {
      assert.equal(v.type(), T.AccessTechnologyType);
      assert.equal(v.value(), 3);
    },
  },
  {
    name: 'MN Link-layer Identifier',
    vector: hex`19 08  0000  02:00:00:00:00:01`,
    provenance: '§5.2 PBU (MN-LLI 02:00:00:00:00:01)',
    repr: { kind: 'mn-link-layer-id', identifier: parseMac('02:00:00:00:00:01') },
    readers(v) {
      assert.equal(v.type(), T.MnLinkLayerIdentifier);
      assert.equal(v.identifierOffset(), 4);
      assert.equal(v.identifierLength(), 6);
    },
    construct(v) {
      v.setType(25);
      v.setLength(8);
      v.setReserved16(0);
      v.bytes.set(parseMac('02:00:00:00:00:01'), v.identifierOffset());
    },
  },
  {
    name: 'Link-local Address',
    vector: hex`1a 10  fe80::1`,
    provenance: '§5.2 PBU (MAG link-local fe80::1)',
    repr: { kind: 'link-local-address', address: parseIpv6('fe80::1') },
    readers(v) {
      assert.equal(v.type(), T.LinkLocalAddress);
      assert.equal(v.addressOffset(), 2);
      assert.ok(v.addressEquals(parseIpv6('fe80::1')));
    },
    construct(v) {
      v.setType(26);
      v.setLength(16);
      v.setAddress(parseIpv6('fe80::1'));
    },
  },
  {
    name: 'Timestamp',
    vector: hex`1b 08  00006553f100 8000   // 1700000000 s + 0x8000/65536 s`,
    provenance: '§5.2 PBU (Timestamp 0x00006553F1008000; tshark shows Nov 14, 2023 22:13:20.5 UTC)',
    repr: { kind: 'timestamp', seconds: 1700000000, fraction: 0x8000 },
    readers(v) {
      assert.equal(v.type(), T.Timestamp);
      assert.equal(v.timestampSeconds(), 1700000000);
      assert.equal(v.timestampFraction(), 0x8000);
      assert.equal(v.timestampMs(), 1700000000500);
    },
    construct(v) {
      v.setType(27);
      v.setLength(8);
      v.setTimestamp(1700000000, 0x8000);
    },
  },
  {
    name: 'Anchored Prefix (RFC 8885)',
    vector: hex`41 12  00 40  2001:db8:1:1::`,
    provenance: '§5.2 DMM PBU (Anchored Prefix 2001:db8:1:1::/64)',
    repr: { kind: 'anchored-prefix', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
    readers(v) {
      assert.equal(v.type(), T.AnchoredPrefix);
      assert.equal(v.prefixLength(), 64);
      assert.ok(v.prefixEquals(parseIpv6('2001:db8:1:1::')));
    },
  },
  {
    name: 'Local Prefix (RFC 8885)',
    vector: hex`42 12  00 40  2001:db8:2:1::`,
    provenance: '§5.2 DMM PBU (Local Prefix 2001:db8:2:1::/64)',
    repr: { kind: 'local-prefix', prefixLength: 64, prefix: parseIpv6('2001:db8:2:1::') },
    readers(v) {
      assert.equal(v.type(), T.LocalPrefix);
      assert.equal(v.prefixOffset(), 4);
      assert.ok(v.prefixEquals(parseIpv6('2001:db8:2:1::')));
    },
  },
  {
    name: 'Previous MAAR (RFC 8885)',
    vector: hex`43 22  00 40  fd00:300::2  2001:db8:3:1::`,
    provenance:
      'scapy: MIP6OptPrevMAAR(plen=64, maar="fd00:300::2", prefix="2001:db8:3:1::") in the DMM PBA with P-MAAR/S-MAAR',
    repr: {
      kind: 'previous-maar',
      prefixLength: 64,
      address: parseIpv6('fd00:300::2'),
      prefix: parseIpv6('2001:db8:3:1::'),
    },
    readers(v) {
      assert.equal(v.type(), T.PreviousMaar);
      assert.equal(v.length(), 34);
      assert.equal(v.prefixLength(), 64);
      assert.equal(v.addressOffset(), 4);
      assert.equal(v.prefixOffset(), 20);
      assert.ok(v.addressEquals(parseIpv6('fd00:300::2')));
      assert.ok(v.prefixEquals(parseIpv6('2001:db8:3:1::')));
    },
    construct(v) {
      v.setType(67);
      v.setLength(34);
      v.setReserved8(0);
      v.setPrefixLength(64);
      v.setAddress(parseIpv6('fd00:300::2'));
      v.setPrefix(parseIpv6('2001:db8:3:1::'));
    },
  },
  {
    name: 'Serving MAAR (RFC 8885)',
    vector: hex`44 10  fd00:200::2`,
    provenance: 'scapy: MIP6OptServMAAR(maar="fd00:200::2") in the DMM PBA with P-MAAR/S-MAAR',
    repr: { kind: 'serving-maar', address: parseIpv6('fd00:200::2') },
    readers(v) {
      assert.equal(v.type(), T.ServingMaar);
      assert.ok(v.addressEquals(parseIpv6('fd00:200::2')));
    },
  },
  {
    name: 'DLIF Link-local Address (RFC 8885)',
    vector: hex`45 10  fe80::1`,
    provenance: '§5.2 DMM PBU (DLIF link-local fe80::1)',
    repr: { kind: 'dlif-link-local-address', address: parseIpv6('fe80::1') },
    readers(v) {
      assert.equal(v.type(), T.DlifLinkLocalAddress);
      assert.ok(v.addressEquals(parseIpv6('fe80::1')));
    },
  },
  {
    name: 'DLIF Link-layer Address (RFC 8885)',
    vector: hex`46 08  0000  02:00:00:00:00:0a`,
    provenance: '§5.2 DMM PBU (DLIF MAC 02:00:00:00:00:0a)',
    repr: { kind: 'dlif-link-layer-address', address: parseMac('02:00:00:00:00:0a') },
    readers(v) {
      assert.equal(v.type(), T.DlifLinkLayerAddress);
      assert.equal(v.identifierOffset(), 4);
      assert.equal(v.identifierLength(), 6);
    },
  },
  {
    name: 'unknown type 200',
    vector: hex`c8 03 010203`,
    provenance:
      'scapy: MIP6OptUnknown(otype=200, odata=b"\\x01\\x02\\x03") in the PBU with an unknown option',
    repr: { kind: 'unknown', type: 200, data: hex`010203` },
    readers(v) {
      assert.equal(v.type(), 200);
      assert.equal(v.length(), 3);
      assert.equal(v.dataOffset(), 2);
    },
  },
  {
    name: 'Binding Refresh Advice (not PMIPv6: kept as unknown)',
    vector: hex`02 02 0000`,
    provenance: 'protocol.md §5.1, scapy inet6.uts BU vector (MIP6OptBRAdvice)',
    repr: { kind: 'unknown', type: 2, data: hex`0000` },
    readers(v) {
      assert.equal(v.type(), T.BindingRefreshAdvice);
    },
  },
];

for (const c of CASES) {
  headerSuite<MobilityOption, View>({
    name: `mobility option ${c.name}`,
    vector: c.vector,
    provenance: c.provenance,
    repr: c.repr,
    codec: MobilityOptionCodec,
    view,
    readers: c.readers,
    ...(c.construct ? { construct: c.construct } : {}),
  });
}

const at = (b: Uint8Array): View => new MobilityOptionView(b, dataViewOf(b), 0, b.length);

test('mobility option: a known option with the wrong Length is rejected', () => {
  assert.equal(at(hex`16 11 00 40 ${'00'.repeat(15)}`).check(), WireCheck.BadLength);
  assert.equal(at(hex`16 00`).check(), WireCheck.BadLength, 'zero-length HNP');
  assert.equal(at(hex`17 03 00 01 00`).check(), WireCheck.BadLength);
  assert.equal(at(hex`1b 00`).check(), WireCheck.BadLength, 'zero-length Timestamp');
  assert.equal(at(hex`08 00`).check(), WireCheck.BadLength, 'MN-ID without subtype');
  assert.equal(at(hex`19 01 00`).check(), WireCheck.BadLength, 'MN-LLI shorter than Reserved');
  assert.equal(at(hex`46 01 00`).check(), WireCheck.BadLength, 'DLIF L2 shorter than Reserved');
  assert.equal(at(hex`44 0f ${'00'.repeat(15)}`).check(), WireCheck.BadLength);
  assert.equal(at(hex`43 12 ${'00'.repeat(18)}`).check(), WireCheck.BadLength);
});

test('mobility option: zero-length unknown options and PadN are well-formed (RFC 6275 §6.2)', () => {
  assert.equal(at(hex`c8 00`).check(), 0);
  assert.deepEqual(MobilityOptionCodec.parse(at(hex`c8 00`)), {
    kind: 'unknown',
    type: 200,
    data: new Uint8Array(0),
  });
  assert.equal(at(hex`01 00`).check(), 0);
});

test('mobility option: prefix length above 128 is a bad field', () => {
  for (const type of ['16', '41', '42']) {
    const b = hex`${type} 12 00 81 2001:db8::`;
    assert.equal(at(b).check(), WireCheck.BadField, type);
    b[3] = 128;
    assert.equal(at(b).check(), 0, type);
  }
  assert.equal(at(hex`43 22 00 81 fd00::1 2001:db8::`).check(), WireCheck.BadField);
});

test('mobility option: an NAI that is not UTF-8 passes check() but parse rejects it', () => {
  const b = hex`08 03 01 ff fe`;
  assert.equal(at(b).check(), 0);
  assert.throws(
    () => MobilityOptionCodec.parse(at(b)),
    (e: unknown) => e instanceof WireError && e.reason === WireCheck.BadField,
  );
});

test('mobility option: a Length running past the end is an overrun, not a throw', () => {
  assert.equal(at(hex`c8 04 0102 03`).check(), WireCheck.OptionOverrun);
  assert.equal(at(hex`16`).check(), WireCheck.Truncated);
  assert.equal(checkMobilityOption(hex`00`, 1, 1), WireCheck.Truncated);
});

test('mobility option: emitting impossible values throws a coded error', () => {
  const b = filled(400);
  const v = at(b);
  const isWire = (e: unknown): boolean => e instanceof WireError;
  assert.throws(() => MobilityOptionCodec.emit({ kind: 'mn-id', nai: 'x'.repeat(255) }, v), isWire);
  assert.throws(
    () => MobilityOptionCodec.emit({ kind: 'unknown', type: 200, data: new Uint8Array(256) }, v),
    isWire,
  );
  assert.throws(() => MobilityOptionCodec.emit({ kind: 'pad-n', size: 1 }, v), isWire);
  assert.throws(
    () =>
      MobilityOptionCodec.emit({ kind: 'hnp', prefixLength: 129, prefix: new Uint8Array(16) }, v),
    isWire,
  );
  // The largest NAI that fits: Length 255 = subtype + 254 bytes.
  MobilityOptionCodec.emit({ kind: 'mn-id', nai: 'x'.repeat(254) }, v);
  assert.equal(b[1], 255);
});

test('mobility option: timestamp conversions (RFC 5213 §8.8, 48.16 fixed point since 1970)', () => {
  assert.deepEqual(timestampFromMs(1700000000500), { seconds: 1700000000, fraction: 0x8000 });
  assert.equal(timestampToMs(1700000000, 0x8000), 1700000000500);
  assert.deepEqual(timestampFromMs(0), { seconds: 0, fraction: 0 });
  // 1 ms = 65.536 units, rounded down; never reaches 65536.
  assert.deepEqual(timestampFromMs(1), { seconds: 0, fraction: 65 });
  assert.deepEqual(timestampFromMs(999.9999), { seconds: 0, fraction: 65535 });
  // Round trip stays within one 1/65536 s unit, never later than the input.
  for (const ms of [1, 7, 123456789012, 1700000000999]) {
    const t = timestampFromMs(ms);
    const back = timestampToMs(t.seconds, t.fraction);
    assert.ok(back <= ms && ms - back < 1000 / 65536, `${ms} → ${back}`);
  }
  // Seconds above 2^32 use the upper 16 bits of the 48-bit field.
  const b = filled(10);
  const v = at(b);
  v.setType(27);
  v.setLength(8);
  v.setTimestamp(0x1234_5678_9abc, 0xdef0);
  assertBytes(b, hex`1b 08 123456789abc def0`);
  assert.equal(v.timestampSeconds(), 0x1234_5678_9abc);
});

test('mobility option: alignment padding before each type (RFC 5213 §8, RFC 8885 layouts)', () => {
  // 8n+4: HNP, Anchored, Local, Previous MAAR
  for (const t of [22, 65, 66, 67]) {
    assert.equal(mobilityOptionPadBefore(t, 12), 0);
    assert.equal(mobilityOptionPadBefore(t, 13), 7);
    assert.equal(mobilityOptionPadBefore(t, 19), 1);
    assert.equal(mobilityOptionPadBefore(t, 30), 6);
  }
  // 8n+6: Link-local Address, Serving MAAR, DLIF Link-local
  for (const t of [26, 68, 69]) assert.equal(mobilityOptionPadBefore(t, 80), 6);
  // 8n+2: Timestamp, DLIF Link-layer
  for (const t of [27, 70]) assert.equal(mobilityOptionPadBefore(t, 104), 2);
  // none: MN-ID, HI, ATT, MN-LLI, unknown
  for (const t of [8, 23, 24, 25, 200]) assert.equal(mobilityOptionPadBefore(t, 13), 0);
});

// Options area of the scapy "alignment" PBU (see mobility.test.ts for the full packet):
// MIP6MH_BU(options=[MIP6OptUnknown(otype=200, odata=b"\x00"*5), MIP6OptHNP(prefix=
// "2001:db8:1:1::"), MIP6OptUnknown(otype=201, odata=b"\xaa"), MIP6OptTS(ts=0x6553F1008000)])
// → Pad1 before the HNP, PadN(7) before the Timestamp, PadN(4) at the end.
const ALIGN_OPTIONS = hex`
  c8 05 0000000000                 // unknown 200 at MH offset 12
  00                               // Pad1 at 19
  16 12 00 40 2001:db8:1:1::       // HNP at 20 (8n+4)
  c9 01 aa                         // unknown 201 at 40
  01 05 0000000000                 // PadN(7) at 43
  1b 08 00006553f1008000           // Timestamp at 50 (8n+2)
  01 02 0000                       // PadN(4) at 60 → MH length 64`;
const ALIGN_REPR: MobilityOption[] = [
  { kind: 'unknown', type: 200, data: hex`0000000000` },
  { kind: 'hnp', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
  { kind: 'unknown', type: 201, data: hex`aa` },
  { kind: 'timestamp', seconds: 1700000000, fraction: 0x8000 },
];

test('mobility options: the emitter inserts Pad1/PadN exactly as scapy does', () => {
  assert.equal(mobilityOptionsLength(ALIGN_REPR, 12), ALIGN_OPTIONS.length);
  const b = filled(12 + ALIGN_OPTIONS.length + 4);
  const end = emitMobilityOptions(ALIGN_REPR, b, dataViewOf(b), 0, 12);
  assert.equal(end, 64);
  assertBytes(b.subarray(12, 64), ALIGN_OPTIONS);
  assert.equal(b[64], 0xff, 'nothing written past the padding');
  assert.equal(b[11], 0xff, 'nothing written before the options');
});

test('mobility options: alignment is relative to the MH start, not the buffer', () => {
  const b = filled(7 + 12 + ALIGN_OPTIONS.length);
  emitMobilityOptions(ALIGN_REPR, b, dataViewOf(b), 7, 12);
  assertBytes(b.subarray(19, 19 + ALIGN_OPTIONS.length), ALIGN_OPTIONS);
});

test('mobility options: parse drops Pad1/PadN and keeps unknown types in order', () => {
  const b = Uint8Array.from(ALIGN_OPTIONS);
  assert.deepEqual(parseMobilityOptions(b, dataViewOf(b), 0, b.length), ALIGN_REPR);
});

test('mobility options: explicit pads in the list are written as given', () => {
  const opts: MobilityOption[] = [
    { kind: 'pad1' },
    { kind: 'pad-n', size: 3 },
    { kind: 'handoff-indicator', value: 4 },
  ];
  const b = filled(25);
  assert.equal(emitMobilityOptions(opts, b, dataViewOf(b), 0, 12), 24);
  assertBytes(b.subarray(12, 24), hex`00 01 01 00 17 02 00 04 01 02 00 00`);
  assert.equal(b[24], 0xff);
});

test('mobility options: a run of Pad1 and an empty area are well-formed', () => {
  const b = hex`00 00 00 17 02 00 05 00`;
  assert.equal(checkMobilityOptions(b, 0, b.length), 0);
  assert.deepEqual(parseMobilityOptions(b, dataViewOf(b), 0, b.length), [
    { kind: 'handoff-indicator', value: 5 },
  ]);
  assert.equal(checkMobilityOptions(b, 3, 3), 0);
  assert.deepEqual(parseMobilityOptions(b, dataViewOf(b), 3, 3), []);
});

test('mobility options: an option overrunning the area is rejected by check and parse', () => {
  const b = hex`17 02 00 01  18 04 00 03`;
  assert.equal(checkMobilityOptions(b, 0, b.length), WireCheck.OptionOverrun);
  assert.throws(() => parseMobilityOptions(b, dataViewOf(b), 0, b.length), WireError);
  // A Length byte missing at the very end.
  assert.equal(checkMobilityOptions(hex`17 02 00 01 18`, 0, 5), WireCheck.Truncated);
});

// Options of the §5.2 DMM PBU (MH offsets 12..143).
const DMM_OPTIONS = hex`
  08 10 01 6d6e31406578616d706c652e6f7267
  01 04 00000000
  41 12 00 40 2001:db8:1:1::
  01 02 0000
  42 12 00 40 2001:db8:2:1::
  01 04 00000000
  45 10 fe80::1
  01 00
  46 08 0000 02:00:00:00:00:0a
  17 02 00 03
  18 02 00 03
  01 04 00000000
  1b 08 00006553f1008000
  01 02 0000`;

test('mobility option cursor: walks the DMM PBU options, skipping padding', () => {
  const b = Uint8Array.from(DMM_OPTIONS);
  const c = new MobilityOptionCursor();
  const seen: string[] = [];
  for (c.reset(b, dataViewOf(b), 0, b.length); c.next();) {
    seen.push(`${c.type}@${c.optOff}+${c.dataLen}`);
    assert.equal(c.dataOff, c.optOff + 2);
    assert.equal(c.option.off, c.optOff);
    if (c.type === T.AnchoredPrefix) assert.ok(c.option.prefixEquals(parseIpv6('2001:db8:1:1::')));
    if (c.type === T.DlifLinkLocalAddress) assert.ok(c.option.addressEquals(parseIpv6('fe80::1')));
    if (c.type === T.Timestamp) assert.equal(c.option.timestampMs(), 1700000000500);
  }
  assert.equal(c.error, 0);
  assert.deepEqual(seen, [
    '8@0+16',
    '65@24+18',
    '66@48+18',
    '69@74+16',
    '70@94+8',
    '23@104+2',
    '24@108+2',
    '27@118+8',
  ]);
  // The same cursor object is reusable.
  c.reset(b, dataViewOf(b), 24, 44);
  assert.ok(c.next());
  assert.equal(c.type, 65);
  assert.ok(!c.next());
  assert.equal(c.error, 0);
});

test('mobility option cursor: stops with the reason on a malformed option', () => {
  const b = hex`17 02 00 01  16 05 00 40 00 00 00  c8 09 00`;
  const c = new MobilityOptionCursor().reset(b, dataViewOf(b), 0, b.length);
  assert.ok(c.next());
  assert.equal(c.type, 23);
  assert.ok(!c.next());
  assert.equal(c.error, WireCheck.BadLength);
  assert.equal(c.type, -1);
  assert.ok(!c.next(), 'stays stopped');
  c.reset(b, dataViewOf(b), 11, b.length);
  assert.ok(!c.next());
  assert.equal(c.error, WireCheck.OptionOverrun);
});

test('mobility option cursor: unknown options are yielded and skipped by length', () => {
  const b = hex`c8 03 010203  17 02 00 01  fe 00  18 02 00 03`;
  const c = new MobilityOptionCursor().reset(b, dataViewOf(b), 0, b.length);
  const types: number[] = [];
  while (c.next()) types.push(c.type);
  assert.deepEqual(types, [200, 23, 254, 24]);
  assert.equal(c.error, 0);
});

test('mobility options: typed lookups find options without hand-searching', () => {
  const b = Uint8Array.from(DMM_OPTIONS);
  const opts = parseMobilityOptions(b, dataViewOf(b), 0, b.length);
  assert.equal(optionOfKind(opts, 'mn-id')?.nai, NAI);
  assert.equal(optionOfKind(opts, 'hnp'), undefined);
  assert.deepEqual(
    optionsOfKind(opts, 'anchored-prefix').map((o) => o.prefixLength),
    [64],
  );
  assert.equal(optionOfKind(opts, 'timestamp')?.fraction, 0x8000);
});

test('mobility options: one-line text forms', () => {
  const b = Uint8Array.from(DMM_OPTIONS);
  const opts = parseMobilityOptions(b, dataViewOf(b), 0, b.length);
  assert.equal(
    opts.map(formatMobilityOption).join(', '),
    'mn-id nai mn1@example.org, anchored-prefix 2001:db8:1:1::/64, ' +
      'local-prefix 2001:db8:2:1::/64, dlif-ll fe80::1, dlif-l2 02:00:00:00:00:0a, ' +
      'hi 3, att 3, ts 2023-11-14T22:13:20.500Z',
  );
  assert.equal(
    formatMobilityOption({
      kind: 'previous-maar',
      prefixLength: 64,
      address: parseIpv6('fd00:300::2'),
      prefix: parseIpv6('2001:db8:3:1::'),
    }),
    'p-maar fd00:300::2 2001:db8:3:1::/64',
  );
  assert.equal(
    formatMobilityOption({ kind: 'unknown', type: 200, data: hex`0102` }),
    'opt-200 0102',
  );
});
