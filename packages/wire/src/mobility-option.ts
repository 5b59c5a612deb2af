/**
 * Mobility options — RFC 6275 §6.2 (encoding, Pad1/PadN, alignment), RFC 4283 §3 (Mobile
 * Node Identifier), RFC 5213 §8.3–§8.8 (PMIPv6 options) and RFC 8885 §4.3–§4.8 (the
 * distributed-anchoring options of draft-bernardos-dmm-distributed-anchoring-02 §4.3, with
 * their IANA numbers).
 *
 * ```
 *  0                   1                   2
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
 * |  Option Type  | Option Length |  Option Data...    Length excludes Type and Length
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
 * +-+-+-+-+-+-+-+-+
 * |       0       |  Pad1: a single byte, no Length field (RFC 6275 §6.2.2)
 * +-+-+-+-+-+-+-+-+
 *
 * Home Network Prefix (22), Anchored Prefix (65), Local Prefix (66) — alignment 8n+4:
 * |   Type        |   Length = 18 |   Reserved    | Prefix Length |   +0
 * |                    Prefix (128 bits)                          |   +4 .. +19
 *
 * Previous MAAR (67), Length 34: Reserved, Prefix Length, P-MAAR address (+4..+19),
 *   MN prefix anchored there (+20..+35).
 * Link-local Address (26), Serving MAAR (68), DLIF Link-local Address (69), Length 16:
 *   address at +2..+17 (alignment 8n+6).
 * Handoff Indicator (23), Access Technology Type (24), Length 2: Reserved, value at +3.
 * MN Link-layer Identifier (25), DLIF Link-layer Address (70): Reserved (16 bits), then the
 *   link-layer address as RFC 4861 §4.6.1 encodes it (+4 ..).
 * Timestamp (27), Length 8, alignment 8n+2: 48-bit seconds since 1970-01-01 UTC, then a
 *   16-bit fraction in 1/65536 s (+2..+9).
 * Mobile Node Identifier (8): Subtype at +2 (1 = NAI), identifier from +3.
 * ```
 *
 * Receiving: options are walked by their Length (Pad1 is one byte), unknown types are kept
 * or skipped by length (RFC 6275 §6.2.1), and alignment is never checked — it is a sender
 * rule. Sending: `emitMobilityOptions` inserts Pad1/PadN so every option starts at its
 * xn+y offset from the first byte of the Mobility Header (RFC 6275 §6.2), then pads the
 * whole header to a multiple of 8 octets.
 */
import { WireCheck } from './check.js';
import { WireError, ensureOk } from './errors.js';
import { copy16, formatIpv6, ipv6Equals } from './address.js';
import type { HeaderView, ReprCodec } from './view.js';

/** Mobility option types (IANA "Mobility Options"; RFC 6275, 4283, 5213, 8885). */
export const MobilityOptionType = {
  Pad1: 0,
  PadN: 1,
  /** RFC 6275 §6.2.5; not used by PMIPv6, listed because scapy's BU vector carries one. */
  BindingRefreshAdvice: 2,
  MobileNodeIdentifier: 8,
  HomeNetworkPrefix: 22,
  HandoffIndicator: 23,
  AccessTechnologyType: 24,
  MnLinkLayerIdentifier: 25,
  LinkLocalAddress: 26,
  Timestamp: 27,
  AnchoredPrefix: 65,
  LocalPrefix: 66,
  PreviousMaar: 67,
  ServingMaar: 68,
  DlifLinkLocalAddress: 69,
  DlifLinkLayerAddress: 70,
} as const;

/** Mobile Node Identifier subtypes (RFC 4283 §3, IANA; 2–8 from RFC 8371). */
export const MnIdSubtype = {
  Nai: 1,
  Ipv6Address: 2,
  Imsi: 3,
  PTmsi: 4,
  Eui48: 5,
  Eui64: 6,
  Guti: 7,
  Duid: 8,
} as const;

const T = MobilityOptionType;

/** The fixed Length value of each fixed-size option, by type. */
const FIXED_LEN = new Map<number, number>([
  [T.HomeNetworkPrefix, 18],
  [T.HandoffIndicator, 2],
  [T.AccessTechnologyType, 2],
  [T.LinkLocalAddress, 16],
  [T.Timestamp, 8],
  [T.AnchoredPrefix, 18],
  [T.LocalPrefix, 18],
  [T.PreviousMaar, 34],
  [T.ServingMaar, 16],
  [T.DlifLinkLocalAddress, 16],
]);

/** The smallest Length of each variable-size option, by type. */
const MIN_LEN = new Map<number, number>([
  [T.MobileNodeIdentifier, 1], // the Subtype byte (RFC 4283 §3)
  [T.MnLinkLayerIdentifier, 2], // the 16-bit Reserved field (RFC 5213 §8.6)
  [T.DlifLinkLayerAddress, 2], // the 16-bit Reserved field (RFC 8885 §4.8)
]);

/**
 * Alignment requirement xn+y of each option type we send, encoded as `x * 16 + y`
 * (absent = none). HNP 8n+4, Link-local Address 8n+6 and Timestamp 8n+2 are RFC 5213
 * §8.3/§8.7/§8.8; the RFC 8885 options follow the RFC 5213 option of the same layout
 * (protocol.md §1.3: Anchored/Local/Previous MAAR 8n+4, Serving MAAR and DLIF Link-local
 * 8n+6, DLIF Link-layer 8n+2). MN-ID (RFC 4283), HI, ATT and MN-LLI need none.
 */
const ALIGN = new Map<number, number>([
  [T.HomeNetworkPrefix, 8 * 16 + 4],
  [T.LinkLocalAddress, 8 * 16 + 6],
  [T.Timestamp, 8 * 16 + 2],
  [T.AnchoredPrefix, 8 * 16 + 4],
  [T.LocalPrefix, 8 * 16 + 4],
  [T.PreviousMaar, 8 * 16 + 4],
  [T.ServingMaar, 8 * 16 + 6],
  [T.DlifLinkLocalAddress, 8 * 16 + 6],
  [T.DlifLinkLayerAddress, 8 * 16 + 2],
]);

/** Padding bytes needed before an option of `type` that would start at MH offset `pos`. */
export function mobilityOptionPadBefore(type: number, pos: number): number {
  const a = ALIGN.get(type);
  if (a === undefined) return 0;
  const x = a >>> 4;
  const y = a & 15;
  return (((y - pos) % x) + x) % x;
}

/**
 * 0 when a well-formed option starts at `bytes[off]` and ends by `end`, else a `WireCheck`
 * reason: Truncated (no room for Type/Length), OptionOverrun (Length runs past `end`),
 * BadLength (a known option with the wrong Length), BadField (prefix length above 128).
 * Unknown types only need to fit. Never throws, never allocates.
 */
export function checkMobilityOption(bytes: Uint8Array, off: number, end: number): number {
  if (end - off < 1) return WireCheck.Truncated;
  const type = bytes[off]!;
  if (type === T.Pad1) return WireCheck.Ok;
  if (end - off < 2) return WireCheck.Truncated;
  const len = bytes[off + 1]!;
  if (off + 2 + len > end) return WireCheck.OptionOverrun;
  const fixed = FIXED_LEN.get(type);
  if (fixed !== undefined) {
    if (len !== fixed) return WireCheck.BadLength;
  } else {
    const min = MIN_LEN.get(type);
    if (min !== undefined && len < min) return WireCheck.BadLength;
  }
  if (
    (type === T.HomeNetworkPrefix ||
      type === T.AnchoredPrefix ||
      type === T.LocalPrefix ||
      type === T.PreviousMaar) &&
    bytes[off + 3]! > 128
  ) {
    return WireCheck.BadField;
  }
  return WireCheck.Ok;
}

/** Read-only surface of a mobility option view. */
export interface MobilityOptionReader {
  readonly off: number;
  type(): number;
  length(): number;
  totalLength(): number;
  dataOffset(): number;
  mnIdSubtype(): number;
  identifierOffset(): number;
  identifierLength(): number;
  prefixLength(): number;
  prefixOffset(): number;
  prefixEquals(addr: Uint8Array, addrOff?: number): boolean;
  addressOffset(): number;
  addressEquals(addr: Uint8Array, addrOff?: number): boolean;
  value(): number;
  timestampSeconds(): number;
  timestampFraction(): number;
  timestampMs(): number;
}

/**
 * View of one mobility option at `off`; `end` is the end of the enclosing option area (or
 * of the option itself). After `check()` returns 0, the readers that belong to `type()`
 * are safe; readers of other types read meaningless bytes. Implements `HeaderView`.
 */
export class MobilityOptionView implements HeaderView, MobilityOptionReader {
  bytes: Uint8Array;
  dv: DataView;
  off: number;
  end: number;

  constructor(bytes: Uint8Array, dv: DataView, off = 0, end = bytes.length) {
    this.bytes = bytes;
    this.dv = dv;
    this.off = off;
    this.end = end;
  }

  /** Re-points this view (flyweight use in loops). */
  at(off: number, end: number): this {
    this.off = off;
    this.end = end;
    return this;
  }

  /** See `checkMobilityOption`. */
  check(): number {
    return checkMobilityOption(this.bytes, this.off, this.end);
  }

  type(): number {
    return this.bytes[this.off]!;
  }
  /** The Length field (bytes after Type and Length); 0 for Pad1, which has none. */
  length(): number {
    return this.bytes[this.off] === T.Pad1 ? 0 : this.bytes[this.off + 1]!;
  }
  /** Bytes the option occupies: 1 for Pad1, else 2 + Length. */
  totalLength(): number {
    return this.bytes[this.off] === T.Pad1 ? 1 : 2 + this.bytes[this.off + 1]!;
  }
  /** First byte after Type and Length. */
  dataOffset(): number {
    return this.off + 2;
  }

  /** Mobile Node Identifier: Subtype (RFC 4283 §3). */
  mnIdSubtype(): number {
    return this.bytes[this.off + 2]!;
  }
  /**
   * Start of the identifier: after the Subtype for MN-ID, after the 16-bit Reserved field
   * for MN Link-layer Identifier and DLIF Link-layer Address.
   */
  identifierOffset(): number {
    return this.off + (this.bytes[this.off] === T.MobileNodeIdentifier ? 3 : 4);
  }
  identifierLength(): number {
    return this.bytes[this.off + 1]! - (this.bytes[this.off] === T.MobileNodeIdentifier ? 1 : 2);
  }

  /** Prefix Length of HNP, Anchored Prefix, Local Prefix and Previous MAAR. */
  prefixLength(): number {
    return this.bytes[this.off + 3]!;
  }
  /** Start of the 16-byte prefix (after the P-MAAR address in a Previous MAAR option). */
  prefixOffset(): number {
    return this.off + (this.bytes[this.off] === T.PreviousMaar ? 20 : 4);
  }
  prefixEquals(addr: Uint8Array, addrOff = 0): boolean {
    return ipv6Equals(this.bytes, this.prefixOffset(), addr, addrOff);
  }
  /**
   * Start of the 16-byte address of Link-local Address, Serving MAAR and DLIF Link-local
   * Address (+2), and of the P-MAAR address of Previous MAAR (+4).
   */
  addressOffset(): number {
    return this.off + (this.bytes[this.off] === T.PreviousMaar ? 4 : 2);
  }
  addressEquals(addr: Uint8Array, addrOff = 0): boolean {
    return ipv6Equals(this.bytes, this.addressOffset(), addr, addrOff);
  }
  /** The one-byte value of Handoff Indicator and Access Technology Type (after Reserved). */
  value(): number {
    return this.bytes[this.off + 3]!;
  }
  /** Timestamp: the upper 48 bits, seconds since 1970-01-01 00:00 UTC (RFC 5213 §8.8). */
  timestampSeconds(): number {
    return this.dv.getUint16(this.off + 2) * 0x1_0000_0000 + this.dv.getUint32(this.off + 4);
  }
  /** Timestamp: the lower 16 bits, in 1/65536 s. */
  timestampFraction(): number {
    return this.dv.getUint16(this.off + 8);
  }
  /** Timestamp as milliseconds since 1970 (a float; exact to 1/65536 s). */
  timestampMs(): number {
    return timestampToMs(this.timestampSeconds(), this.timestampFraction());
  }

  setType(v: number): void {
    this.bytes[this.off] = v;
  }
  /** Voids `check()`. */
  setLength(v: number): void {
    this.bytes[this.off + 1] = v;
  }
  /** Writes the Reserved byte of HNP/HI/ATT-style options (+2). */
  setReserved8(v: number): void {
    this.bytes[this.off + 2] = v;
  }
  /** Writes the 16-bit Reserved field of MN-LLI / DLIF Link-layer Address (+2). */
  setReserved16(v: number): void {
    this.dv.setUint16(this.off + 2, v);
  }
  setMnIdSubtype(v: number): void {
    this.bytes[this.off + 2] = v;
  }
  setPrefixLength(v: number): void {
    this.bytes[this.off + 3] = v;
  }
  setPrefix(addr: Uint8Array, addrOff = 0): void {
    copy16(addr, addrOff, this.bytes, this.prefixOffset());
  }
  setAddress(addr: Uint8Array, addrOff = 0): void {
    copy16(addr, addrOff, this.bytes, this.addressOffset());
  }
  setValue(v: number): void {
    this.bytes[this.off + 3] = v;
  }
  setTimestamp(seconds: number, fraction: number): void {
    this.dv.setUint16(this.off + 2, Math.floor(seconds / 0x1_0000_0000) & 0xffff);
    this.dv.setUint32(this.off + 4, seconds >>> 0);
    this.dv.setUint16(this.off + 8, fraction);
  }
}

/** Milliseconds since 1970 of a 48.16 fixed-point RFC 5213 timestamp. */
export function timestampToMs(seconds: number, fraction: number): number {
  return seconds * 1000 + (fraction * 1000) / 65536;
}

/**
 * The RFC 5213 §8.8 timestamp of `ms` milliseconds since 1970: whole seconds, and the
 * remainder in 1/65536 s rounded down (so a later time never encodes smaller).
 */
export function timestampFromMs(ms: number): { seconds: number; fraction: number } {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) * 65536) / 1000);
  return { seconds, fraction: Math.min(fraction, 0xffff) };
}

/**
 * A mobility option as a value. Addresses and prefixes are 16-byte copies. `pad-n`'s `size`
 * counts the whole option (Type and Length included, so a 2-byte PadN is `01 00`).
 */
export type MobilityOption =
  | { kind: 'pad1' }
  | { kind: 'pad-n'; size: number }
  /** Mobile Node Identifier with the NAI subtype (RFC 4283 §3; UTF-8 per RFC 4282). */
  | { kind: 'mn-id'; nai: string }
  /** Mobile Node Identifier with any other subtype, kept as bytes. */
  | { kind: 'mn-id-other'; subtype: number; identifier: Uint8Array }
  | { kind: 'hnp'; prefixLength: number; prefix: Uint8Array }
  | { kind: 'handoff-indicator'; value: number }
  | { kind: 'access-technology-type'; value: number }
  | { kind: 'mn-link-layer-id'; identifier: Uint8Array }
  | { kind: 'link-local-address'; address: Uint8Array }
  | { kind: 'timestamp'; seconds: number; fraction: number }
  | { kind: 'anchored-prefix'; prefixLength: number; prefix: Uint8Array }
  | { kind: 'local-prefix'; prefixLength: number; prefix: Uint8Array }
  | { kind: 'previous-maar'; prefixLength: number; address: Uint8Array; prefix: Uint8Array }
  | { kind: 'serving-maar'; address: Uint8Array }
  | { kind: 'dlif-link-local-address'; address: Uint8Array }
  | { kind: 'dlif-link-layer-address'; address: Uint8Array }
  | { kind: 'unknown'; type: number; data: Uint8Array };

export type MobilityOptionKind = MobilityOption['kind'];
/** The option value of one kind, e.g. `MobilityOptionOf<'hnp'>`. */
export type MobilityOptionOf<K extends MobilityOptionKind> = Extract<MobilityOption, { kind: K }>;

const KIND_TYPE: Record<Exclude<MobilityOptionKind, 'unknown'>, number> = {
  pad1: T.Pad1,
  'pad-n': T.PadN,
  'mn-id': T.MobileNodeIdentifier,
  'mn-id-other': T.MobileNodeIdentifier,
  hnp: T.HomeNetworkPrefix,
  'handoff-indicator': T.HandoffIndicator,
  'access-technology-type': T.AccessTechnologyType,
  'mn-link-layer-id': T.MnLinkLayerIdentifier,
  'link-local-address': T.LinkLocalAddress,
  timestamp: T.Timestamp,
  'anchored-prefix': T.AnchoredPrefix,
  'local-prefix': T.LocalPrefix,
  'previous-maar': T.PreviousMaar,
  'serving-maar': T.ServingMaar,
  'dlif-link-local-address': T.DlifLinkLocalAddress,
  'dlif-link-layer-address': T.DlifLinkLayerAddress,
};

/** The option type number an option value is written with. */
export function mobilityOptionTypeOf(o: MobilityOption): number {
  return o.kind === 'unknown' ? o.type : KIND_TYPE[o.kind];
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A fresh Uint8Array holding `b[start, end)`. Not `b.slice`: on a Node Buffer that is a
 * view into the packet memory, not a copy.
 */
function copyOut(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = b[i]!;
  return out;
}

function badOption(detail: string): WireError {
  return new WireError('mh-option', WireCheck.BadLength, detail);
}

function variableBody(len: number, what: string): number {
  if (len > 255) throw badOption(`${what} needs Length ${len} > 255`);
  return len;
}

/** Bytes `o` occupies on the wire (Type and Length included). Throws on impossible values. */
export function mobilityOptionSize(o: MobilityOption): number {
  switch (o.kind) {
    case 'pad1':
      return 1;
    case 'pad-n':
      if (o.size < 2 || o.size > 257) throw badOption(`PadN size ${o.size}`);
      return o.size;
    case 'mn-id':
      return 2 + variableBody(1 + utf8Encoder.encode(o.nai).length, 'MN-ID');
    case 'mn-id-other':
      return 2 + variableBody(1 + o.identifier.length, 'MN-ID');
    case 'mn-link-layer-id':
    case 'dlif-link-layer-address':
      return (
        2 +
        variableBody(2 + (o.kind === 'mn-link-layer-id' ? o.identifier : o.address).length, o.kind)
      );
    case 'unknown':
      return 2 + variableBody(o.data.length, `option ${o.type}`);
    default:
      return 2 + FIXED_LEN.get(KIND_TYPE[o.kind])!;
  }
}

function checkPrefixLength(n: number): void {
  if (!(n >= 0 && n <= 128))
    throw new WireError('mh-option', WireCheck.BadField, `prefix length ${n}`);
}

/**
 * Repr codec of a single option (Pad1 and PadN included). `parse` reads the option at
 * `view.off`; `emit` writes `bufferLen(repr)` bytes there, every byte (Reserved fields and
 * PadN contents as zeros).
 */
export const MobilityOptionCodec: ReprCodec<MobilityOption, MobilityOptionView> = {
  bufferLen: mobilityOptionSize,
  parse(v) {
    ensureOk('mh-option', v.check());
    const b = v.bytes;
    const o = v.off;
    const type = b[o]!;
    switch (type) {
      case T.Pad1:
        return { kind: 'pad1' };
      case T.PadN:
        return { kind: 'pad-n', size: v.totalLength() };
      case T.MobileNodeIdentifier: {
        const subtype = v.mnIdSubtype();
        const id = copyOut(b, v.identifierOffset(), v.identifierOffset() + v.identifierLength());
        if (subtype !== MnIdSubtype.Nai) return { kind: 'mn-id-other', subtype, identifier: id };
        let nai: string;
        try {
          nai = utf8Decoder.decode(id);
        } catch {
          throw new WireError('mh-option', WireCheck.BadField, 'NAI is not UTF-8');
        }
        return { kind: 'mn-id', nai };
      }
      case T.HomeNetworkPrefix:
      case T.AnchoredPrefix:
      case T.LocalPrefix: {
        const kind =
          type === T.HomeNetworkPrefix
            ? 'hnp'
            : type === T.AnchoredPrefix
              ? 'anchored-prefix'
              : 'local-prefix';
        return { kind, prefixLength: v.prefixLength(), prefix: copyOut(b, o + 4, o + 20) };
      }
      case T.HandoffIndicator:
        return { kind: 'handoff-indicator', value: v.value() };
      case T.AccessTechnologyType:
        return { kind: 'access-technology-type', value: v.value() };
      case T.MnLinkLayerIdentifier:
        return { kind: 'mn-link-layer-id', identifier: copyOut(b, o + 4, o + 2 + v.length()) };
      case T.DlifLinkLayerAddress:
        return { kind: 'dlif-link-layer-address', address: copyOut(b, o + 4, o + 2 + v.length()) };
      case T.LinkLocalAddress:
        return { kind: 'link-local-address', address: copyOut(b, o + 2, o + 18) };
      case T.ServingMaar:
        return { kind: 'serving-maar', address: copyOut(b, o + 2, o + 18) };
      case T.DlifLinkLocalAddress:
        return { kind: 'dlif-link-local-address', address: copyOut(b, o + 2, o + 18) };
      case T.Timestamp:
        return {
          kind: 'timestamp',
          seconds: v.timestampSeconds(),
          fraction: v.timestampFraction(),
        };
      case T.PreviousMaar:
        return {
          kind: 'previous-maar',
          prefixLength: v.prefixLength(),
          address: copyOut(b, o + 4, o + 20),
          prefix: copyOut(b, o + 20, o + 36),
        };
      default:
        return { kind: 'unknown', type, data: copyOut(b, o + 2, o + 2 + v.length()) };
    }
  },
  emit(r, v) {
    const size = mobilityOptionSize(r);
    const b = v.bytes;
    const o = v.off;
    v.setType(mobilityOptionTypeOf(r));
    if (r.kind === 'pad1') return;
    v.setLength(size - 2);
    switch (r.kind) {
      case 'pad-n':
        b.fill(0, o + 2, o + size);
        return;
      case 'mn-id':
        v.setMnIdSubtype(MnIdSubtype.Nai);
        b.set(utf8Encoder.encode(r.nai), o + 3);
        return;
      case 'mn-id-other':
        v.setMnIdSubtype(r.subtype);
        b.set(r.identifier, o + 3);
        return;
      case 'hnp':
      case 'anchored-prefix':
      case 'local-prefix':
        checkPrefixLength(r.prefixLength);
        v.setReserved8(0);
        v.setPrefixLength(r.prefixLength);
        v.setPrefix(r.prefix);
        return;
      case 'handoff-indicator':
      case 'access-technology-type':
        v.setReserved8(0);
        v.setValue(r.value);
        return;
      case 'mn-link-layer-id':
        v.setReserved16(0);
        b.set(r.identifier, o + 4);
        return;
      case 'dlif-link-layer-address':
        v.setReserved16(0);
        b.set(r.address, o + 4);
        return;
      case 'link-local-address':
      case 'serving-maar':
      case 'dlif-link-local-address':
        v.setAddress(r.address);
        return;
      case 'timestamp':
        v.setTimestamp(r.seconds, r.fraction);
        return;
      case 'previous-maar':
        checkPrefixLength(r.prefixLength);
        v.setReserved8(0);
        v.setPrefixLength(r.prefixLength);
        v.setAddress(r.address);
        v.setPrefix(r.prefix);
        return;
      case 'unknown':
        b.set(r.data, o + 2);
        return;
    }
  },
};

/**
 * Allocation-free walk over the options in `[off, end)` for the data and control path.
 * `next()` stops on each option that is not Pad1/PadN (padding is skipped) and sets `type`,
 * `optOff` (its Type byte), `dataOff`/`dataLen` (after Type and Length) and re-points the
 * flyweight `option` view at it. It returns false at the end or on a malformed option, in
 * which case `error` holds the `WireCheck` reason (0 at a clean end).
 *
 * ```ts
 * const c = new MobilityOptionCursor();             // once, at setup
 * for (c.reset(bytes, dv, pbu.optionsOffset(), pbu.end); c.next(); ) {
 *   if (c.type === MobilityOptionType.HomeNetworkPrefix) use(c.option.prefixOffset());
 * }
 * if (c.error !== 0) drop(c.error);
 * ```
 */
export class MobilityOptionCursor {
  readonly option: MobilityOptionView;
  type = -1;
  optOff = -1;
  dataOff = -1;
  dataLen = 0;
  error = 0;
  private pos = 0;
  private limit = 0;

  constructor() {
    const empty = new Uint8Array(0);
    this.option = new MobilityOptionView(empty, new DataView(empty.buffer), 0, 0);
  }

  /** Starts a walk over `bytes[off, end)`. */
  reset(bytes: Uint8Array, dv: DataView, off: number, end: number): this {
    this.option.bytes = bytes;
    this.option.dv = dv;
    this.option.at(off, end);
    this.pos = off;
    this.limit = end;
    this.type = -1;
    this.optOff = -1;
    this.dataOff = -1;
    this.dataLen = 0;
    this.error = 0;
    return this;
  }

  /** Advances to the next non-padding option; false at the end or on error (see `error`). */
  next(): boolean {
    const bytes = this.option.bytes;
    while (this.pos < this.limit) {
      const off = this.pos;
      const r = checkMobilityOption(bytes, off, this.limit);
      if (r !== 0) {
        this.error = r;
        this.pos = this.limit;
        this.type = -1;
        return false;
      }
      const type = bytes[off]!;
      if (type === T.Pad1) {
        this.pos = off + 1;
        continue;
      }
      const len = bytes[off + 1]!;
      this.pos = off + 2 + len;
      if (type === T.PadN) continue;
      this.type = type;
      this.optOff = off;
      this.dataOff = off + 2;
      this.dataLen = len;
      this.option.at(off, this.limit);
      return true;
    }
    this.type = -1;
    return false;
  }
}

/** 0 when `[off, end)` is a sequence of well-formed options, else the first reason. */
export function checkMobilityOptions(bytes: Uint8Array, off: number, end: number): number {
  let pos = off;
  while (pos < end) {
    const r = checkMobilityOption(bytes, pos, end);
    if (r !== 0) return r;
    pos += bytes[pos] === T.Pad1 ? 1 : 2 + bytes[pos + 1]!;
  }
  return WireCheck.Ok;
}

/**
 * Parses the options in `[off, end)` into values, in wire order, dropping Pad1/PadN (they
 * carry nothing) and keeping unknown types as `{ kind: 'unknown' }`. Throws WireError.
 */
export function parseMobilityOptions(
  bytes: Uint8Array,
  dv: DataView,
  off: number,
  end: number,
): MobilityOption[] {
  ensureOk('mh-options', checkMobilityOptions(bytes, off, end));
  const out: MobilityOption[] = [];
  const v = new MobilityOptionView(bytes, dv, off, end);
  for (let pos = off; pos < end; pos += v.totalLength()) {
    v.at(pos, end);
    const t = v.type();
    if (t === T.Pad1 || t === T.PadN) continue;
    out.push(MobilityOptionCodec.parse(v));
  }
  return out;
}

/**
 * Bytes the options take when written from MH offset `start` (relative to the first byte
 * of the Mobility Header): the options, the Pad1/PadN inserted for alignment, and the
 * padding that ends the header on a multiple of 8 octets.
 */
export function mobilityOptionsLength(options: readonly MobilityOption[], start: number): number {
  let pos = start;
  for (const o of options) {
    pos += mobilityOptionPadBefore(mobilityOptionTypeOf(o), pos);
    pos += mobilityOptionSize(o);
  }
  pos += (8 - (pos % 8)) % 8;
  return pos - start;
}

function writePad(bytes: Uint8Array, at: number, n: number): void {
  if (n === 0) return;
  if (n === 1) {
    bytes[at] = T.Pad1;
    return;
  }
  bytes[at] = T.PadN;
  bytes[at + 1] = n - 2;
  bytes.fill(0, at + 2, at + n);
}

/**
 * Writes `options` in the given order into the Mobility Header that starts at `mhOff`,
 * beginning at MH offset `start`. Before each option, Pad1 (1 byte) or PadN (more) makes
 * its Type byte sit at its xn+y offset (RFC 6275 §6.2); explicit `pad1`/`pad-n` values are
 * written as given. The header is then padded to a multiple of 8 octets. Returns the MH
 * offset one past the last byte written (= the MH length).
 */
export function emitMobilityOptions(
  options: readonly MobilityOption[],
  bytes: Uint8Array,
  dv: DataView,
  mhOff: number,
  start: number,
): number {
  let pos = start;
  const v = new MobilityOptionView(bytes, dv, mhOff + pos, bytes.length);
  for (const o of options) {
    const pad = mobilityOptionPadBefore(mobilityOptionTypeOf(o), pos);
    writePad(bytes, mhOff + pos, pad);
    pos += pad;
    v.at(mhOff + pos, bytes.length);
    MobilityOptionCodec.emit(o, v);
    pos += mobilityOptionSize(o);
  }
  const tail = (8 - (pos % 8)) % 8;
  writePad(bytes, mhOff + pos, tail);
  return pos + tail;
}

/** All options of one kind, in wire order. */
export function optionsOfKind<K extends MobilityOptionKind>(
  options: readonly MobilityOption[],
  kind: K,
): MobilityOptionOf<K>[] {
  return options.filter((o): o is MobilityOptionOf<K> => o.kind === kind);
}

/** The first option of one kind, or undefined. */
export function optionOfKind<K extends MobilityOptionKind>(
  options: readonly MobilityOption[],
  kind: K,
): MobilityOptionOf<K> | undefined {
  return options.find((o): o is MobilityOptionOf<K> => o.kind === kind);
}

function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function macOrHex(b: Uint8Array): string {
  return b.length === 6
    ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':')
    : hexOf(b);
}

/** One-line text form of an option, for logs, traces and the CLI. */
export function formatMobilityOption(o: MobilityOption): string {
  switch (o.kind) {
    case 'pad1':
      return 'pad1';
    case 'pad-n':
      return `padn ${o.size}`;
    case 'mn-id':
      return `mn-id nai ${o.nai}`;
    case 'mn-id-other':
      return `mn-id subtype ${o.subtype} ${hexOf(o.identifier)}`;
    case 'hnp':
      return `hnp ${formatIpv6(o.prefix)}/${o.prefixLength}`;
    case 'anchored-prefix':
      return `anchored-prefix ${formatIpv6(o.prefix)}/${o.prefixLength}`;
    case 'local-prefix':
      return `local-prefix ${formatIpv6(o.prefix)}/${o.prefixLength}`;
    case 'handoff-indicator':
      return `hi ${o.value}`;
    case 'access-technology-type':
      return `att ${o.value}`;
    case 'mn-link-layer-id':
      return `mn-lli ${macOrHex(o.identifier)}`;
    case 'dlif-link-layer-address':
      return `dlif-l2 ${macOrHex(o.address)}`;
    case 'link-local-address':
      return `lla ${formatIpv6(o.address)}`;
    case 'dlif-link-local-address':
      return `dlif-ll ${formatIpv6(o.address)}`;
    case 'serving-maar':
      return `s-maar ${formatIpv6(o.address)}`;
    case 'previous-maar':
      return `p-maar ${formatIpv6(o.address)} ${formatIpv6(o.prefix)}/${o.prefixLength}`;
    case 'timestamp':
      return `ts ${new Date(timestampToMs(o.seconds, o.fraction)).toISOString()}`;
    case 'unknown':
      return `opt-${o.type} ${hexOf(o.data)}`;
  }
}
