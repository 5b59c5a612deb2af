import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertBytes,
  filled,
  headerSuite,
  hex,
  parseIpv6,
  parseMac,
  type FieldSpan,
} from '@dmm/testkit';
import {
  AccessTechnologyType,
  HandoffIndicator,
  IPV6_HEADER_LEN,
  Ipv6,
  Ipv6View,
  MhType,
  MobilityHeaderView,
  MobilityOptionCursor,
  MobilityOptionType,
  Pba,
  PbaFlag,
  PbaStatus,
  PbaView,
  Pbu,
  PbuFlag,
  PbuView,
  WireCheck,
  WireError,
  dataViewOf,
  findAnchoredPrefixes,
  findHnps,
  findLocalPrefixes,
  findMnId,
  findOption,
  formatPba,
  formatPbu,
  lifetimeFromSeconds,
  lifetimeToSeconds,
  mhTypeName,
  pbaStatusAccepted,
  pbaStatusName,
  type MobilityOption,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';

// ---------------------------------------------------------------------------------------
// Vectors. None of them was produced by our encoder:
//  - protocol.md §5.2 (PBU, PBA, DMM PBU, DMM PBA): built by hand-written Python and by
//    scapy 2.5 with the option classes of protocol.md §6, byte-identical, checksums
//    cross-checked with scapy's in6_chksum, decoded by tshark 4.0.17. Re-built here with
//    Debian scapy 2.5.0 (/usr/bin/python3) and the same classes: identical.
//  - protocol.md §5.1: scapy's own test/scapy/layers/inet6.uts BU and BA vectors.
//  - "scapy 2.5": generated for this file with Debian python3-scapy 2.5.0 and the PMIPv6 /
//    RFC 8885 option classes of protocol.md §6 (MIP6OptHNP, MIP6OptHI, MIP6OptATT,
//    MIP6OptMNLLI, MIP6OptLLA, MIP6OptTS, MIP6OptPrevMAAR, MIP6OptServMAAR, registered in
//    moboptcls); MAG = fd00:100::2, LMA = fd00:100::1, S-MAAR = fd00:200::2,
//    NAI = b"mn1@example.org"; the expression is given with each vector. Those classes
//    declare the alignments x, y of protocol.md §1.3/§2.6 (HNP/Anchored/Local/P-MAAR 8,4;
//    LLA/S-MAAR/DLIF LLA 8,6; Timestamp/DLIF L2 8,2; MN-ID/HI/ATT/MN-LLI none), so the
//    alignment *choices* are shared with our emitter; the padding arithmetic, Pad1/PadN
//    encoding, field layout, Header Len and checksum are scapy's own.
// ---------------------------------------------------------------------------------------

const MAG = parseIpv6('fd00:100::2');
const LMA = parseIpv6('fd00:100::1');
const SMAAR = parseIpv6('fd00:200::2');
const NAI = 'mn1@example.org';
const TS: MobilityOption = { kind: 'timestamp', seconds: 1700000000, fraction: 0x8000 };

const PBU_PACKET = hex`
  6000000000688740 fd00:100::2 fd00:100::1
  3b 0c 05 00  29b7  0001  8200  000f      // MH: proto 59, len 12, BU, csum, seq 1, A|P, 60 s
  16 12 00 00 ::                           // HNP ::/0 at MH offset 12
  17 02 00 01                              // HI 1
  18 02 00 03                              // ATT 3
  01 00                                    // PadN(2)
  1b 08 00006553f1008000                   // Timestamp at 42 (8n+2)
  08 10 01 6d6e31406578616d706c652e6f7267  // MN-ID NAI
  19 08 0000 02:00:00:00:00:01             // MN-LLI
  01 04 00000000                           // PadN(6)
  1a 10 fe80::1                            // Link-local Address at 86 (8n+6)`;

const PBU_REPR: PbuRepr = {
  sequence: 1,
  flags: PbuFlag.A | PbuFlag.P,
  lifetime: 15,
  options: [
    { kind: 'hnp', prefixLength: 0, prefix: parseIpv6('::') },
    { kind: 'handoff-indicator', value: HandoffIndicator.NewInterface },
    { kind: 'access-technology-type', value: AccessTechnologyType.Ieee8023 },
    TS,
    { kind: 'mn-id', nai: NAI },
    { kind: 'mn-link-layer-id', identifier: parseMac('02:00:00:00:00:01') },
    { kind: 'link-local-address', address: parseIpv6('fe80::1') },
  ],
};

const PBA_PACKET = hex`
  6000000000688740 fd00:100::1 fd00:100::2
  3b 0c 06 00  7c9c  00 20  0001  000f     // status 0, P, seq 1, 60 s
  16 12 00 40 2001:db8:1:1::
  17 02 00 01
  18 02 00 03
  01 00
  1b 08 00006553f1008000
  08 10 01 6d6e31406578616d706c652e6f7267
  19 08 0000 02:00:00:00:00:01
  01 04 00000000
  1a 10 fe80::1`;

const PBA_REPR: PbaRepr = {
  status: PbaStatus.Accepted,
  flags: PbaFlag.P,
  sequence: 1,
  lifetime: 15,
  options: [
    { kind: 'hnp', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
    { kind: 'handoff-indicator', value: 1 },
    { kind: 'access-technology-type', value: 3 },
    TS,
    { kind: 'mn-id', nai: NAI },
    { kind: 'mn-link-layer-id', identifier: parseMac('02:00:00:00:00:01') },
    { kind: 'link-local-address', address: parseIpv6('fe80::1') },
  ],
};

const DMM_PBU_PACKET = hex`
  6000000000908740 fd00:200::2 fd00:100::2
  3b 11 05 00  0357  0002  8210  000f      // seq 2, A|P|D, 60 s; 144-byte MH
  08 10 01 6d6e31406578616d706c652e6f7267
  01 04 00000000
  41 12 00 40 2001:db8:1:1::               // Anchored Prefix
  01 02 0000
  42 12 00 40 2001:db8:2:1::               // Local Prefix
  01 04 00000000
  45 10 fe80::1                            // DLIF Link-local Address
  01 00
  46 08 0000 02:00:00:00:00:0a             // DLIF Link-layer Address
  17 02 00 03
  18 02 00 03
  01 04 00000000
  1b 08 00006553f1008000
  01 02 0000`;

const DMM_PBU_REPR: PbuRepr = {
  sequence: 2,
  flags: PbuFlag.A | PbuFlag.P | PbuFlag.D,
  lifetime: 15,
  options: [
    { kind: 'mn-id', nai: NAI },
    { kind: 'anchored-prefix', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
    { kind: 'local-prefix', prefixLength: 64, prefix: parseIpv6('2001:db8:2:1::') },
    { kind: 'dlif-link-local-address', address: parseIpv6('fe80::1') },
    { kind: 'dlif-link-layer-address', address: parseMac('02:00:00:00:00:0a') },
    { kind: 'handoff-indicator', value: HandoffIndicator.MagChangeSameInterface },
    { kind: 'access-technology-type', value: 3 },
    TS,
  ],
};

const DMM_PBA_PACKET = hex`
  6000000000488740 fd00:100::2 fd00:200::2
  3b 08 06 00  b25d  00 22  0002  000f     // status 0, P|D, seq 2
  08 10 01 6d6e31406578616d706c652e6f7267
  01 04 00000000
  41 12 00 40 2001:db8:1:1::
  01 00
  1b 08 00006553f1008000
  01 02 0000`;

const DMM_PBA_REPR: PbaRepr = {
  status: 0,
  flags: PbaFlag.P | PbaFlag.D,
  sequence: 2,
  lifetime: 15,
  options: [
    { kind: 'mn-id', nai: NAI },
    { kind: 'anchored-prefix', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
    TS,
  ],
};

// protocol.md §5.1: scapy inet6.uts, IPv6()/MIP6MH_BA(mhtime=42), ::1 → ::1.
const SCAPY_BA_PACKET = hex`
  6000000000108740 ::1 ::1
  3b 01 06 00  bcb9  00 80  0000  002a  01 02 0000`;
const SCAPY_BA_REPR: PbaRepr = {
  status: 0,
  flags: PbaFlag.K,
  sequence: 0,
  lifetime: 42,
  options: [],
};

// protocol.md §5.1: scapy inet6.uts BU without an IPv6 underlayer (checksum left 0):
// seq 0x4242, A|H|K (scapy's default), lifetime 3, Binding Refresh Advice option.
const SCAPY_BU_MH = hex`3b 01 05 00  0000  4242  d000  0003  02 02 0000`;
const SCAPY_BU_REPR: PbuRepr = {
  sequence: 0x4242,
  flags: PbuFlag.A | PbuFlag.H | PbuFlag.K,
  lifetime: 3,
  options: [{ kind: 'unknown', type: MobilityOptionType.BindingRefreshAdvice, data: hex`0000` }],
};

// scapy 2.5: IPv6(src=LMA, dst=MAG)/MIP6MH_BA(status=154, flags="P", seq=3, mhtime=0,
//   options=[MIP6OptMNID(id=NAI)])
const PBA_154_PACKET = hex`
  6000000000208740 fd00:100::1 fd00:100::2
  3b 03 06 00  7c0b  9a 20  0003  0000
  08 10 01 6d6e31406578616d706c652e6f7267
  01 00`;
const PBA_154_REPR: PbaRepr = {
  status: PbaStatus.MagNotAuthorizedForProxyReg,
  flags: PbaFlag.P,
  sequence: 3,
  lifetime: 0,
  options: [{ kind: 'mn-id', nai: NAI }],
};

// scapy 2.5: IPv6(src=LMA, dst=MAG)/MIP6MH_BA(status=157, flags="P", seq=4, mhtime=0,
//   options=[MIP6OptMNID(id=NAI), MIP6OptTS(ts=0x00006553F0FF0000)])
const PBA_157_PACKET = hex`
  6000000000308740 fd00:100::1 fd00:100::2
  3b 05 06 00  0699  9d 20  0004  0000
  08 10 01 6d6e31406578616d706c652e6f7267
  01 02 0000
  1b 08 00006553f0ff 0000
  01 02 0000`;
const PBA_157_REPR: PbaRepr = {
  status: PbaStatus.TimestampLowerThanPrevAccepted,
  flags: PbaFlag.P,
  sequence: 4,
  lifetime: 0,
  options: [
    { kind: 'mn-id', nai: NAI },
    { kind: 'timestamp', seconds: 1699999999, fraction: 0 },
  ],
};

// scapy 2.5: IPv6(src=MAG, dst=LMA)/MIP6MH_BU(seq=5, flags="AP", mhtime=150, options=[
//   MIP6OptMNID(id=NAI), MIP6OptHNP(prefix="2001:db8:1:1::"), MIP6OptHNP(prefix=
//   "2001:db8:1:2::"), MIP6OptHI(hi=5), MIP6OptATT(att=4)])
const PBU_TWO_HNP_PACKET = hex`
  6000000000588740 fd00:100::2 fd00:100::1
  3b 0a 05 00  dc25  0005  8200  0096
  08 10 01 6d6e31406578616d706c652e6f7267
  01 04 00000000
  16 12 00 40 2001:db8:1:1::
  01 02 0000
  16 12 00 40 2001:db8:1:2::
  17 02 00 05
  18 02 00 04`;
const PBU_TWO_HNP_REPR: PbuRepr = {
  sequence: 5,
  flags: PbuFlag.A | PbuFlag.P,
  lifetime: 150,
  options: [
    { kind: 'mn-id', nai: NAI },
    { kind: 'hnp', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
    { kind: 'hnp', prefixLength: 64, prefix: parseIpv6('2001:db8:1:2::') },
    { kind: 'handoff-indicator', value: HandoffIndicator.NotChanged },
    { kind: 'access-technology-type', value: AccessTechnologyType.Ieee80211 },
  ],
};

// scapy 2.5: IPv6(src=MAG, dst=LMA)/MIP6MH_BU(seq=6, flags="AP", mhtime=15, options=[
//   MIP6OptHNP(plen=0, prefix="::"), MIP6OptUnknown(otype=200, odata=b"\x01\x02\x03"),
//   MIP6OptHI(hi=1), MIP6OptATT(att=3), MIP6OptMNID(id=NAI)])
const PBU_UNKNOWN_PACKET = hex`
  6000000000408740 fd00:100::2 fd00:100::1
  3b 07 05 00  3525  0006  8200  000f
  16 12 00 00 ::
  c8 03 010203                             // unknown type 200 at MH offset 32
  17 02 00 01
  18 02 00 03
  08 10 01 6d6e31406578616d706c652e6f7267
  00                                       // Pad1 ends the MH at 64`;
const PBU_UNKNOWN_REPR: PbuRepr = {
  sequence: 6,
  flags: PbuFlag.A | PbuFlag.P,
  lifetime: 15,
  options: [
    { kind: 'hnp', prefixLength: 0, prefix: parseIpv6('::') },
    { kind: 'unknown', type: 200, data: hex`010203` },
    { kind: 'handoff-indicator', value: 1 },
    { kind: 'access-technology-type', value: 3 },
    { kind: 'mn-id', nai: NAI },
  ],
};

// scapy 2.5: IPv6(src=MAG, dst=LMA)/MIP6MH_BU(seq=8, flags="AP", mhtime=15, options=[
//   MIP6OptUnknown(otype=200, odata=b"\x00"*5), MIP6OptHNP(prefix="2001:db8:1:1::"),
//   MIP6OptUnknown(otype=201, odata=b"\xaa"), MIP6OptTS(ts=0x00006553F1008000)])
const PBU_ALIGN_PACKET = hex`
  6000000000408740 fd00:100::2 fd00:100::1
  3b 07 05 00  ca9f  0008  8200  000f
  c8 05 0000000000
  00                                       // Pad1 so the HNP starts at 20 (8n+4)
  16 12 00 40 2001:db8:1:1::
  c9 01 aa
  01 05 0000000000                         // PadN(7) so the Timestamp starts at 50 (8n+2)
  1b 08 00006553f1008000
  01 02 0000`;
const PBU_ALIGN_REPR: PbuRepr = {
  sequence: 8,
  flags: PbuFlag.A | PbuFlag.P,
  lifetime: 15,
  options: [
    { kind: 'unknown', type: 200, data: hex`0000000000` },
    { kind: 'hnp', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
    { kind: 'unknown', type: 201, data: hex`aa` },
    TS,
  ],
};

// scapy 2.5: IPv6(src=MAG, dst=S-MAAR)/MIP6MH_BA(status=0, flags="P", res2=0x02, seq=9,
//   mhtime=15, options=[MIP6OptMNID(id=NAI), MIP6OptPrevMAAR(plen=64, maar="fd00:300::2",
//   prefix="2001:db8:3:1::"), MIP6OptServMAAR(maar="fd00:200::2")])
const DMM_PBA_MAAR_PACKET = hex`
  6000000000608740 fd00:100::2 fd00:200::2
  3b 0b 06 00  5f6e  00 22  0009  000f
  08 10 01 6d6e31406578616d706c652e6f7267
  01 04 00000000
  43 22 00 40 fd00:300::2 2001:db8:3:1::   // Previous MAAR at 36 (8n+4)
  01 04 00000000
  44 10 fd00:200::2                        // Serving MAAR at 78 (8n+6)`;
const DMM_PBA_MAAR_REPR: PbaRepr = {
  status: 0,
  flags: PbaFlag.P | PbaFlag.D,
  sequence: 9,
  lifetime: 15,
  options: [
    { kind: 'mn-id', nai: NAI },
    {
      kind: 'previous-maar',
      prefixLength: 64,
      address: parseIpv6('fd00:300::2'),
      prefix: parseIpv6('2001:db8:3:1::'),
    },
    { kind: 'serving-maar', address: SMAAR },
  ],
};

const MH_LAYOUT: FieldSpan[] = [
  { name: 'payload proto', off: 0, len: 1 },
  { name: 'header len', off: 1, len: 1 },
  { name: 'mh type', off: 2, len: 1 },
  { name: 'reserved', off: 3, len: 1 },
  { name: 'checksum', off: 4, len: 2 },
  { name: 'sequence/status+flags', off: 6, len: 2 },
  { name: 'flags/sequence', off: 8, len: 2 },
  { name: 'lifetime', off: 10, len: 2 },
  { name: 'options', off: 12, len: 2036 },
];
const PACKET_LAYOUT: FieldSpan[] = [
  { name: 'ipv6 header', off: 0, len: 40 },
  ...MH_LAYOUT.map((f) => ({ ...f, off: f.off + 40 })),
];

/** The MH of a full packet with its checksum field zeroed (what `emit` leaves). */
function mhWithZeroChecksum(packet: Uint8Array): Uint8Array {
  const mh = packet.slice(IPV6_HEADER_LEN);
  mh[4] = 0;
  mh[5] = 0;
  return mh;
}

type Kind = 'pbu' | 'pba';

/** Ipv6.emit + Pbu/Pba.emit + fillChecksum into 0xff-filled memory: the sending path. */
function buildPacket(
  kind: Kind,
  repr: PbuRepr | PbaRepr,
  src: Uint8Array,
  dst: Uint8Array,
): Uint8Array {
  const len = kind === 'pbu' ? Pbu.bufferLen(repr as PbuRepr) : Pba.bufferLen(repr as PbaRepr);
  const b = filled(IPV6_HEADER_LEN + len);
  const dv = dataViewOf(b);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: len,
      nextHeader: 135,
      hopLimit: 64,
      src,
      dst,
    },
    new Ipv6View(b, dv, 0, b.length),
  );
  if (kind === 'pbu') {
    const v = new PbuView(b, dv, IPV6_HEADER_LEN, b.length);
    Pbu.emit(repr as PbuRepr, v);
    assert.equal(v.checksum(), 0, 'emit leaves the checksum 0');
    v.fillChecksum(8, 24);
  } else {
    const v = new PbaView(b, dv, IPV6_HEADER_LEN, b.length);
    Pba.emit(repr as PbaRepr, v);
    assert.equal(v.checksum(), 0, 'emit leaves the checksum 0');
    v.fillChecksum(8, 24);
  }
  return b;
}

/** Receiving path: IPv6 check, MH check, checksum verify, parse. */
function receive(kind: Kind, packet: Uint8Array): PbuRepr | PbaRepr {
  const b = Uint8Array.from(packet);
  const dv = dataViewOf(b);
  const ip = new Ipv6View(b, dv, 0, b.length);
  assert.equal(ip.check(), 0);
  assert.equal(ip.nextHeader(), 135);
  const v =
    kind === 'pbu'
      ? new PbuView(b, dv, ip.payloadOffset(), ip.packetEnd())
      : new PbaView(b, dv, ip.payloadOffset(), ip.packetEnd());
  assert.equal(v.check(), 0);
  assert.ok(v.verifyChecksum(ip.srcOffset(), ip.dstOffset()), 'checksum verifies');
  return kind === 'pbu' ? Pbu.parse(v as PbuView) : Pba.parse(v as PbaView);
}

interface FullVector {
  name: string;
  kind: Kind;
  packet: Uint8Array;
  repr: PbuRepr | PbaRepr;
  provenance: string;
}

const FULL: FullVector[] = [
  { name: 'PBU', kind: 'pbu', packet: PBU_PACKET, repr: PBU_REPR, provenance: 'protocol.md §5.2' },
  { name: 'PBA', kind: 'pba', packet: PBA_PACKET, repr: PBA_REPR, provenance: 'protocol.md §5.2' },
  {
    name: 'DMM PBU',
    kind: 'pbu',
    packet: DMM_PBU_PACKET,
    repr: DMM_PBU_REPR,
    provenance: 'protocol.md §5.2',
  },
  {
    name: 'DMM PBA',
    kind: 'pba',
    packet: DMM_PBA_PACKET,
    repr: DMM_PBA_REPR,
    provenance: 'protocol.md §5.2',
  },
  {
    name: 'scapy BA',
    kind: 'pba',
    packet: SCAPY_BA_PACKET,
    repr: SCAPY_BA_REPR,
    provenance: 'protocol.md §5.1 (scapy inet6.uts)',
  },
  {
    name: 'PBA status 154',
    kind: 'pba',
    packet: PBA_154_PACKET,
    repr: PBA_154_REPR,
    provenance: 'scapy 2.5',
  },
  {
    name: 'PBA status 157',
    kind: 'pba',
    packet: PBA_157_PACKET,
    repr: PBA_157_REPR,
    provenance: 'scapy 2.5',
  },
  {
    name: 'PBU with two HNPs',
    kind: 'pbu',
    packet: PBU_TWO_HNP_PACKET,
    repr: PBU_TWO_HNP_REPR,
    provenance: 'scapy 2.5',
  },
  {
    name: 'PBU with unknown option 200',
    kind: 'pbu',
    packet: PBU_UNKNOWN_PACKET,
    repr: PBU_UNKNOWN_REPR,
    provenance: 'scapy 2.5',
  },
  {
    name: 'PBU needing Pad1 and PadN(7)',
    kind: 'pbu',
    packet: PBU_ALIGN_PACKET,
    repr: PBU_ALIGN_REPR,
    provenance: 'scapy 2.5',
  },
  {
    name: 'DMM PBA with Previous/Serving MAAR',
    kind: 'pba',
    packet: DMM_PBA_MAAR_PACKET,
    repr: DMM_PBA_MAAR_REPR,
    provenance: 'scapy 2.5',
  },
];

const srcOf = (p: Uint8Array): Uint8Array => p.slice(8, 24);
const dstOf = (p: Uint8Array): Uint8Array => p.slice(24, 40);

for (const f of FULL) {
  test(`mobility ${f.name} (${f.provenance}): Ipv6.emit + emit + fillChecksum reproduce it byte-exactly`, () => {
    assertBytes(
      buildPacket(f.kind, f.repr, srcOf(f.packet), dstOf(f.packet)),
      f.packet,
      PACKET_LAYOUT,
    );
  });

  test(`mobility ${f.name} (${f.provenance}): checks, verifies and parses to the expected Repr`, () => {
    assert.deepEqual(receive(f.kind, f.packet), f.repr);
  });

  test(`mobility ${f.name}: flipping any byte of the pseudo-header or MH breaks the checksum`, () => {
    for (let i = 8; i < f.packet.length; i++) {
      const b = Uint8Array.from(f.packet);
      b[i]! ^= 0x01;
      const v = new MobilityHeaderView(b, dataViewOf(b), 40, b.length);
      assert.ok(!v.verifyChecksum(8, 24), `byte ${i}`);
    }
  });
}

// headerSuite on the MH of each message (checksum zeroed, since emit leaves it 0 and the
// full-packet tests above prove fillChecksum).
const pbuView = (b: Uint8Array, dv: DataView, off: number, end: number): PbuView =>
  new PbuView(b, dv, off, end);
const pbaView = (b: Uint8Array, dv: DataView, off: number, end: number): PbaView =>
  new PbaView(b, dv, off, end);

headerSuite<PbuRepr, PbuView>({
  name: 'mobility PBU',
  vector: mhWithZeroChecksum(PBU_PACKET),
  provenance: 'protocol.md §5.2 PBU, MH with the checksum field zeroed',
  repr: PBU_REPR,
  codec: Pbu,
  view: pbuView,
  layout: MH_LAYOUT,
  readers(v) {
    assert.equal(v.payloadProto(), 59);
    assert.equal(v.headerLen(), 12);
    assert.equal(v.mhLength(), 104);
    assert.equal(v.mhType(), MhType.BindingUpdate);
    assert.equal(v.reserved(), 0);
    assert.equal(v.checksum(), 0);
    assert.equal(v.sequence(), 1);
    assert.equal(v.flags(), 0x8200);
    assert.ok(v.hasFlag(PbuFlag.A) && v.hasFlag(PbuFlag.P) && !v.hasFlag(PbuFlag.H));
    assert.equal(v.lifetime(), 15);
    assert.equal(v.lifetimeSeconds(), 60);
    assert.equal(v.optionsOffset(), 12);
  },
  construct(v) {
    // Fixed part by setters; the options copied in, as a caller reusing a template would.
    v.setPayloadProto(59);
    v.setHeaderLen(12);
    v.setMhType(5);
    v.setReserved(0);
    v.setChecksum(0);
    v.setSequence(1);
    v.setFlags(0);
    v.setFlag(PbuFlag.A, true);
    v.setFlag(PbuFlag.P, true);
    v.setLifetime(15);
    v.bytes.set(PBU_PACKET.subarray(52), v.optionsOffset());
  },
});

headerSuite<PbaRepr, PbaView>({
  name: 'mobility PBA',
  vector: mhWithZeroChecksum(PBA_PACKET),
  provenance: 'protocol.md §5.2 PBA, MH with the checksum field zeroed',
  repr: PBA_REPR,
  codec: Pba,
  view: pbaView,
  layout: MH_LAYOUT,
  readers(v) {
    assert.equal(v.mhType(), MhType.BindingAck);
    assert.equal(v.headerLen(), 12);
    assert.equal(v.status(), 0);
    assert.equal(v.flags(), 0x20);
    assert.ok(v.hasFlag(PbaFlag.P) && !v.hasFlag(PbaFlag.K) && !v.hasFlag(PbaFlag.D));
    assert.equal(v.sequence(), 1);
    assert.equal(v.lifetime(), 15);
    assert.equal(v.lifetimeSeconds(), 60);
    assert.equal(v.optionsOffset(), 12);
  },
  construct(v) {
    v.setPayloadProto(59);
    v.setHeaderLen(12);
    v.setMhType(6);
    v.setReserved(0);
    v.setChecksum(0);
    v.setStatus(0);
    v.setFlags(0);
    v.setFlag(PbaFlag.P, true);
    v.setSequence(1);
    v.setLifetime(15);
    v.bytes.set(PBA_PACKET.subarray(52), v.optionsOffset());
  },
});

headerSuite<PbuRepr, PbuView>({
  name: 'mobility DMM PBU',
  vector: mhWithZeroChecksum(DMM_PBU_PACKET),
  provenance: 'protocol.md §5.2 DMM PBU, MH with the checksum field zeroed',
  repr: DMM_PBU_REPR,
  codec: Pbu,
  view: pbuView,
  layout: MH_LAYOUT,
  readers(v) {
    assert.equal(v.headerLen(), 17);
    assert.equal(v.mhLength(), 144);
    assert.equal(v.sequence(), 2);
    assert.equal(v.flags(), 0x8210);
    assert.ok(v.hasFlag(PbuFlag.D));
  },
});

headerSuite<PbaRepr, PbaView>({
  name: 'mobility DMM PBA',
  vector: mhWithZeroChecksum(DMM_PBA_PACKET),
  provenance: 'protocol.md §5.2 DMM PBA, MH with the checksum field zeroed',
  repr: DMM_PBA_REPR,
  codec: Pba,
  view: pbaView,
  layout: MH_LAYOUT,
  readers(v) {
    assert.equal(v.headerLen(), 8);
    assert.equal(v.flags(), 0x22);
    assert.ok(v.hasFlag(PbaFlag.D) && v.hasFlag(PbaFlag.P));
    assert.equal(v.sequence(), 2);
  },
});

headerSuite<PbuRepr, PbuView>({
  name: 'mobility scapy BU',
  vector: SCAPY_BU_MH,
  provenance:
    'protocol.md §5.1, scapy test/scapy/layers/inet6.uts (no IPv6 underlayer, checksum 0)',
  repr: SCAPY_BU_REPR,
  codec: Pbu,
  view: pbuView,
  layout: MH_LAYOUT,
  readers(v) {
    assert.equal(v.sequence(), 0x4242);
    assert.equal(v.flags(), 0xd000);
    assert.equal(v.lifetime(), 3);
    assert.equal(v.lifetimeSeconds(), 12);
  },
});

headerSuite<PbaRepr, PbaView>({
  name: 'mobility scapy BA',
  vector: mhWithZeroChecksum(SCAPY_BA_PACKET),
  provenance: 'protocol.md §5.1, scapy inet6.uts IPv6()/MIP6MH_BA(mhtime=42), checksum zeroed',
  repr: SCAPY_BA_REPR,
  codec: Pba,
  view: pbaView,
  layout: MH_LAYOUT,
  readers(v) {
    assert.equal(v.flags(), PbaFlag.K);
    assert.equal(v.lifetime(), 42);
  },
});

headerSuite<PbaRepr, PbaView>({
  name: 'mobility PBA status 157',
  vector: mhWithZeroChecksum(PBA_157_PACKET),
  provenance: 'scapy 2.5 (see PBA_157_PACKET), checksum zeroed',
  repr: PBA_157_REPR,
  codec: Pba,
  view: pbaView,
  readers(v) {
    assert.equal(v.status(), 157);
    assert.equal(v.lifetime(), 0);
  },
});

// --- each flag alone ------------------------------------------------------------------
// scapy 2.5: IPv6(src=MAG, dst=LMA)/MIP6MH_BU(seq=7, mhtime=15, flags=<letter>, reserved=0)
// for A H L K M R P (scapy's 7-bit "PRMKLHA" field), and flags=0, reserved=<mask> for
// F T B S D (scapy's 9-bit reserved field holds them). MH bytes only; the checksum covers
// the MAG → LMA pseudo-header.
const PBU_FLAG_VECTORS: [keyof typeof PbuFlag, string][] = [
  ['A', '3b010500424a00078000000f01020000'],
  ['H', '3b010500824a00074000000f01020000'],
  ['L', '3b010500a24a00072000000f01020000'],
  ['K', '3b010500b24a00071000000f01020000'],
  ['M', '3b010500ba4a00070800000f01020000'],
  ['R', '3b010500be4a00070400000f01020000'],
  ['P', '3b010500c04a00070200000f01020000'],
  ['F', '3b010500c14a00070100000f01020000'],
  ['T', '3b010500c1ca00070080000f01020000'],
  ['B', '3b010500c20a00070040000f01020000'],
  ['S', '3b010500c22a00070020000f01020000'],
  ['D', '3b010500c23a00070010000f01020000'],
];
// scapy 2.5: IPv6(src=LMA, dst=MAG)/MIP6MH_BA(status=0, seq=7, mhtime=15, flags=<letter>,
// res2=0) for K R P, flags=0, res2=<mask> for T B S D.
const PBA_FLAG_VECTORS: [keyof typeof PbaFlag, string][] = [
  ['K', '3b010600c0ca00800007000f01020000'],
  ['R', '3b010600c10a00400007000f01020000'],
  ['P', '3b010600c12a00200007000f01020000'],
  ['T', '3b010600c13a00100007000f01020000'],
  ['B', '3b010600c14200080007000f01020000'],
  ['S', '3b010600c14600040007000f01020000'],
  ['D', '3b010600c14800020007000f01020000'],
];

const withIpv6 = (mh: Uint8Array, src: Uint8Array, dst: Uint8Array): Uint8Array =>
  Uint8Array.from([
    ...hex`60000000 00 ${mh.length.toString(16).padStart(2, '0')} 87 40`,
    ...src,
    ...dst,
    ...mh,
  ]);

for (const [letter, mhHex] of PBU_FLAG_VECTORS) {
  test(`mobility PBU flag ${letter} alone (scapy 2.5): emitted, read and nothing else set`, () => {
    const mask = PbuFlag[letter];
    const repr: PbuRepr = { sequence: 7, flags: mask, lifetime: 15, options: [] };
    const packet = withIpv6(hex(mhHex), MAG, LMA);
    assertBytes(buildPacket('pbu', repr, MAG, LMA), packet, PACKET_LAYOUT);
    assert.deepEqual(receive('pbu', packet), repr);
    const v = new PbuView(packet, dataViewOf(packet), 40, packet.length);
    for (const [other, m] of Object.entries(PbuFlag)) {
      assert.equal(v.hasFlag(m), other === letter, `flag ${other}`);
    }
  });
}

for (const [letter, mhHex] of PBA_FLAG_VECTORS) {
  test(`mobility PBA flag ${letter} alone (scapy 2.5): emitted, read and nothing else set`, () => {
    const mask = PbaFlag[letter];
    const repr: PbaRepr = { status: 0, flags: mask, sequence: 7, lifetime: 15, options: [] };
    const packet = withIpv6(hex(mhHex), LMA, MAG);
    assertBytes(buildPacket('pba', repr, LMA, MAG), packet, PACKET_LAYOUT);
    assert.deepEqual(receive('pba', packet), repr);
    const v = new PbaView(packet, dataViewOf(packet), 40, packet.length);
    for (const [other, m] of Object.entries(PbaFlag)) {
      assert.equal(v.hasFlag(m), other === letter, `flag ${other}`);
    }
  });
}

test('mobility: every PBU flag is individually settable and clearable in place', () => {
  const b = filled(16);
  const v = new PbuView(b, dataViewOf(b), 0, 16);
  for (const [name, m] of Object.entries(PbuFlag)) {
    v.setFlags(0);
    v.setFlag(m, true);
    assert.equal(v.flags(), m, name);
    v.setFlags(0xffff);
    v.setFlag(m, false);
    assert.equal(v.flags(), 0xffff & ~m, name);
    assert.ok(!v.hasFlag(m));
  }
  assert.equal(b[12], 0xff, 'flags setters touch only the flags word');
  assert.equal(b[7], 0xff);
  const masks = Object.values(PbuFlag);
  assert.equal(new Set(masks).size, 12);
  assert.equal(
    masks.reduce((a, m) => a | m, 0),
    0xfff0,
    'A..D cover all but the 4 reserved bits',
  );
});

test('mobility: every PBA flag is individually settable and clearable in place', () => {
  const b = filled(16);
  const v = new PbaView(b, dataViewOf(b), 0, 16);
  for (const [name, m] of Object.entries(PbaFlag)) {
    v.setFlags(0);
    v.setFlag(m, true);
    assert.equal(v.flags(), m, name);
    v.setFlags(0xff);
    v.setFlag(m, false);
    assert.equal(v.flags(), 0xff & ~m, name);
  }
  assert.equal(b[6], 0xff, 'status untouched');
  assert.equal(b[8], 0xff, 'sequence untouched');
  assert.equal(
    Object.values(PbaFlag).reduce((a, m) => a | m, 0),
    0xfe,
  );
});

// --- malformed input ---------------------------------------------------------------------
const mhView = (mh: Uint8Array, end = mh.length): PbuView =>
  new PbuView(mh, dataViewOf(mh), 0, end);

test('mobility: a Header Len claiming more than the bytes is truncated, less is a bad length', () => {
  const mh = mhWithZeroChecksum(PBU_PACKET);
  assert.equal(mhView(mh).check(), 0);
  mh[1] = 13;
  assert.equal(mhView(mh).check(), WireCheck.Truncated);
  mh[1] = 11;
  assert.equal(mhView(mh).check(), WireCheck.BadLength);
  mh[1] = 255;
  assert.equal(mhView(mh).check(), WireCheck.Truncated);
  assert.throws(() => Pbu.parse(mhView(mh)), WireError);
});

test('mobility: an MH that is not a multiple of 8 octets is rejected', () => {
  const mh = Uint8Array.from([...mhWithZeroChecksum(PBU_PACKET), 0, 0, 0, 0]);
  assert.equal(mhView(mh).check(), WireCheck.BadLength, '108 bytes, Header Len 12');
  assert.equal(mhView(mh, 100).check(), WireCheck.Truncated, '100 bytes, Header Len 12');
  const tiny = hex`3b 00 05 00 0000 00`;
  assert.equal(mhView(tiny).check(), WireCheck.Truncated, 'shorter than 8 bytes');
});

test('mobility: a message shorter than its type needs is rejected (RFC 6275 §9.2)', () => {
  // BU with Header Len 0: 8 bytes, the fixed part alone needs 12.
  const bu = hex`3b 00 05 00 0000 0001`;
  assert.equal(new MobilityHeaderView(bu, dataViewOf(bu)).check(), WireCheck.BadLength);
  assert.equal(mhView(bu).check(), WireCheck.BadLength);
  const ba = hex`3b 00 06 00 0000 0000`;
  assert.equal(new PbaView(ba, dataViewOf(ba)).check(), WireCheck.BadLength);
  // A Binding Error (type 7) needs 24; a Binding Refresh Request (type 0) fits in 8.
  const be = hex`3b 01 07 00 0000 0000 ${'00'.repeat(8)}`;
  assert.equal(new MobilityHeaderView(be, dataViewOf(be)).check(), WireCheck.BadLength);
  const brr = hex`3b 00 00 00 0000 0000`;
  assert.equal(new MobilityHeaderView(brr, dataViewOf(brr)).check(), 0);
  assert.equal(mhView(brr).check(), WireCheck.WrongType);
  // An unknown MH type is only held to the 8-octet rule.
  const unk = hex`3b 00 63 00 0000 0000`;
  assert.equal(new MobilityHeaderView(unk, dataViewOf(unk)).check(), 0);
});

test('mobility: a PBA is the wrong type for the PBU view and vice versa', () => {
  const pba = mhWithZeroChecksum(PBA_PACKET);
  assert.equal(mhView(pba).check(), WireCheck.WrongType);
  assert.throws(
    () => Pbu.parse(mhView(pba)),
    (e: unknown) => e instanceof WireError && e.reason === WireCheck.WrongType,
  );
  const pbu = mhWithZeroChecksum(PBU_PACKET);
  assert.equal(new PbaView(pbu, dataViewOf(pbu)).check(), WireCheck.WrongType);
});

test('mobility: an option running past the end of the MH is an overrun', () => {
  const mh = mhWithZeroChecksum(PBU_PACKET);
  // The last option (Link-local Address at 86) claims 17 bytes instead of 16.
  assert.equal(mh[86], 26);
  mh[87] = 17;
  assert.equal(mhView(mh).check(), WireCheck.OptionOverrun);
  assert.throws(
    () => Pbu.parse(mhView(mh)),
    (e: unknown) => e instanceof WireError && e.reason === WireCheck.OptionOverrun,
  );
  // A known option with a wrong fixed length inside the MH.
  const mh2 = mhWithZeroChecksum(PBU_PACKET);
  mh2[13] = 17; // HNP Length 17
  assert.equal(mhView(mh2).check(), WireCheck.BadLength);
});

test('mobility: options need not be aligned when receiving (RFC 6275 §6.2.1)', () => {
  // HNP at 13 (not 8n+4) after a Pad1, then Pad1s to 40: accepted and parsed.
  const mh = hex`3b 04 05 00 0000 0001 8200 000f  00  16 12 00 40 2001:db8:1:1::  00 00 00 00 00 00 00`;
  assert.equal(mh.length, 40);
  assert.equal(mhView(mh).check(), 0);
  assert.deepEqual(findHnps(Pbu.parse(mhView(mh))), [
    { kind: 'hnp', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') },
  ]);
});

test('mobility: Pad1 as the very last byte of the MH is handled', () => {
  const mh = mhWithZeroChecksum(PBU_UNKNOWN_PACKET);
  assert.equal(mh[63], 0);
  assert.equal(mhView(mh).check(), 0);
  // Turning the trailing Pad1 into a PadN start makes its Length byte fall off the end.
  mh[63] = 1;
  assert.equal(mhView(mh).check(), WireCheck.Truncated);
});

test('mobility: unknown options are skipped by length and known ones after them still found', () => {
  const b = Uint8Array.from(PBU_UNKNOWN_PACKET);
  const v = new PbuView(b, dataViewOf(b), 40, b.length);
  const c = new MobilityOptionCursor();
  const types: number[] = [];
  for (c.reset(b, v.dv, v.optionsOffset(), v.end); c.next();) types.push(c.type);
  assert.equal(c.error, 0);
  assert.deepEqual(types, [22, 200, 23, 24, 8]);
  const r = Pbu.parse(v);
  assert.equal(findOption(r, 'handoff-indicator')?.value, 1);
  assert.equal(findOption(r, 'unknown')?.type, 200);
});

test('mobility: convenience accessors', () => {
  assert.deepEqual(
    findHnps(PBU_TWO_HNP_REPR).map((o) => o.prefix),
    [parseIpv6('2001:db8:1:1::'), parseIpv6('2001:db8:1:2::')],
  );
  assert.deepEqual(findMnId(PBU_REPR), { kind: 'mn-id', nai: NAI });
  assert.equal(findMnId({ options: [] }), undefined);
  assert.deepEqual(
    findMnId({ options: [{ kind: 'mn-id-other', subtype: 5, identifier: hex`01` }] }),
    {
      kind: 'mn-id-other',
      subtype: 5,
      identifier: hex`01`,
    },
  );
  assert.equal(findAnchoredPrefixes(DMM_PBU_REPR).length, 1);
  assert.equal(findLocalPrefixes(DMM_PBU_REPR)[0]?.prefixLength, 64);
  assert.equal(findOption(DMM_PBU_REPR, 'dlif-link-layer-address')?.address.length, 6);
  assert.equal(findOption(PBU_REPR, 'timestamp')?.seconds, 1700000000);
  assert.equal(findOption(PBU_REPR, 'serving-maar'), undefined);
});

test('mobility: lifetime units are 4 seconds', () => {
  assert.equal(lifetimeToSeconds(15), 60);
  assert.equal(lifetimeFromSeconds(60), 15);
  assert.equal(lifetimeFromSeconds(63), 15, 'rounded down: never grant more than asked');
  assert.equal(lifetimeFromSeconds(0), 0);
  assert.equal(lifetimeFromSeconds(1e9), 0xffff);
  assert.equal(lifetimeToSeconds(0xffff), 262140);
});

test('mobility: status codes, names and the accepted range', () => {
  // Values as tshark 4.0.17's mip6.ba.status table and scapy's bastatus list them.
  assert.equal(PbaStatus.ProxyRegNotEnabled, 152);
  assert.equal(PbaStatus.MagNotAuthorizedForProxyReg, 154);
  assert.equal(PbaStatus.TimestampMismatch, 156);
  assert.equal(PbaStatus.TimestampLowerThanPrevAccepted, 157);
  assert.equal(PbaStatus.MissingAccessTechTypeOption, 162);
  assert.equal(PbaStatus.SequenceNumberOutOfWindow, 135);
  assert.equal(pbaStatusName(154), 'MagNotAuthorizedForProxyReg');
  assert.equal(pbaStatusName(200), '200');
  assert.ok(pbaStatusAccepted(0) && pbaStatusAccepted(1));
  assert.ok(!pbaStatusAccepted(128) && !pbaStatusAccepted(157));
  assert.equal(mhTypeName(5), 'BindingUpdate');
  assert.equal(mhTypeName(6), 'BindingAck');
  assert.equal(mhTypeName(99), '99');
});

test('mobility: emit refuses options that do not fit a Mobility Header', () => {
  const many: MobilityOption[] = Array.from({ length: 110 }, () => ({
    kind: 'hnp',
    prefixLength: 64,
    prefix: parseIpv6('2001:db8::'),
  }));
  assert.throws(
    () => Pbu.bufferLen({ sequence: 0, flags: 0, lifetime: 0, options: many }),
    WireError,
  );
});

test('mobility: emit writes payload proto 59 and reserved 0 over stale bytes', () => {
  const b = filled(16);
  Pbu.emit(
    { sequence: 0, flags: 0, lifetime: 0, options: [] },
    new PbuView(b, dataViewOf(b), 0, 16),
  );
  assertBytes(b, hex`3b 01 05 00 0000 0000 0000 0000 01 02 0000`, MH_LAYOUT);
});

test('mobility: one-line text forms', () => {
  assert.equal(
    formatPbu(PBU_REPR),
    'PBU seq 1 flags AP lifetime 60s [hnp ::/0, hi 1, att 3, ts 2023-11-14T22:13:20.500Z, ' +
      'mn-id nai mn1@example.org, mn-lli 02:00:00:00:00:01, lla fe80::1]',
  );
  assert.equal(
    formatPba(DMM_PBA_REPR),
    'PBA status 0 (Accepted) seq 2 flags PD lifetime 60s [mn-id nai mn1@example.org, ' +
      'anchored-prefix 2001:db8:1:1::/64, ts 2023-11-14T22:13:20.500Z]',
  );
  assert.equal(
    formatPba(PBA_154_REPR),
    'PBA status 154 (MagNotAuthorizedForProxyReg) seq 3 flags P lifetime 0s [mn-id nai mn1@example.org]',
  );
  assert.equal(
    formatPbu({ sequence: 0, flags: 0, lifetime: 0, options: [] }),
    'PBU seq 0 flags - lifetime 0s []',
  );
});
