/**
 * Mobility Header — RFC 6275 §6.1.1 — and the Binding Update / Binding Acknowledgement
 * messages in their Proxy Mobile IPv6 use: RFC 6275 §6.1.7/§6.1.8, RFC 5213 §8.1/§8.2 (P
 * flag), RFC 8885 (D flag) — the Proxy Binding Update and Acknowledgement that
 * draft-bernardos-dmm-distributed-anchoring-02 §4.3.1/§4.3.2 exchange between gateways.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Payload Proto |  Header Len   |   MH Type     |   Reserved    |   0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |                               |   4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                       Message Data ...                        |
 *
 * (Proxy) Binding Update, MH Type 5:
 * |           Checksum            |          Sequence #           |   4
 * |A|H|L|K|M|R|P|F|T|B|S|D| Rsvd  |           Lifetime            |   8
 * |                     Mobility options ...                      |  12
 *
 * (Proxy) Binding Acknowledgement, MH Type 6:
 * |           Checksum            |    Status     |K|R|P|T|B|S|D| |   4
 * |          Sequence #           |           Lifetime            |   8
 * |                     Mobility options ...                      |  12
 * ```
 *
 * Header Len counts 8-octet units after the first 8, so the header is always a multiple of
 * 8 octets. Lifetime is in units of 4 seconds (0 = de-registration). The checksum covers
 * the IPv6 pseudo-header (next header 135, RFC 8200 §8.1) and the whole header.
 *
 * Checksum convention: `Pbu.emit` / `Pba.emit` write 0 in the Checksum field; the caller,
 * who knows the IPv6 addresses, then calls `fillChecksum(srcOff, dstOff)` on the view.
 * `parse` does not verify the checksum; receivers call `verifyChecksum` first.
 */
import { WireCheck } from './check.js';
import { ensureOk, WireError } from './errors.js';
import { finishChecksum, onesSum, pseudoHeaderSum } from './checksum.js';
import { IpProto } from './proto.js';
import {
  checkMobilityOptions,
  emitMobilityOptions,
  formatMobilityOption,
  mobilityOptionsLength,
  optionOfKind,
  optionsOfKind,
  parseMobilityOptions,
  type MobilityOption,
  type MobilityOptionOf,
} from './mobility-option.js';
import type { HeaderView, ReprCodec } from './view.js';

const F = { PROTO: 0, HLEN: 1, TYPE: 2, RSVD: 3, CSUM: 4, DATA: 6 } as const;
/** Binding Update fields (offsets from the first byte of the MH). */
const BU = { SEQ: 6, FLAGS: 8, LIFETIME: 10, OPTIONS: 12 } as const;
/** Binding Acknowledgement fields. */
const BA = { STATUS: 6, FLAGS: 7, SEQ: 8, LIFETIME: 10, OPTIONS: 12 } as const;

/** Field offsets, for assertBytes layouts and in-place code. */
export const MH_FIELDS = F;
export const PBU_FIELDS = BU;
export const PBA_FIELDS = BA;
/** Length of the fixed part of a Binding Update / Acknowledgement (options start here). */
export const PBU_FIXED_LEN = 12;
export const PBA_FIXED_LEN = 12;
/** Largest Mobility Header: Header Len 255 → 256 units of 8 octets. */
export const MH_MAX_LEN = 2048;

/** MH Type values (IANA "Mobility Header Types"). */
export const MhType = {
  BindingRefreshRequest: 0,
  HomeTestInit: 1,
  CareOfTestInit: 2,
  HomeTest: 3,
  CareOfTest: 4,
  BindingUpdate: 5,
  BindingAck: 6,
  BindingError: 7,
  FastBindingUpdate: 8,
  FastBindingAck: 9,
  FastNeighborAdvertisement: 10,
  Experimental: 11,
  HomeAgentSwitch: 12,
  Heartbeat: 13,
  HandoverInitiate: 14,
  HandoverAck: 15,
  BindingRevocation: 16,
  LocalizedRoutingInitiation: 17,
  LocalizedRoutingAck: 18,
  UpdateNotification: 19,
  UpdateNotificationAck: 20,
  FlowBinding: 21,
  SubscriptionQuery: 22,
  SubscriptionResponse: 23,
} as const;

/**
 * Minimum MH length of the RFC 6275 messages (RFC 6275 §9.2: a shorter Header Len is an
 * error). BRR 8; HoTI/CoTI 16; HoT/CoT 24; BU/BA 12 (rounded up to 16 by padding); BE 24.
 */
const MIN_MH_LEN: readonly number[] = [8, 16, 16, 24, 24, 12, 12, 24];

/**
 * Flags of the 16-bit word at offset 8 of a (Proxy) Binding Update. The low 4 bits are
 * reserved. Sources: RFC 6275 §6.1.7 (A H L K), RFC 4140 (M), RFC 3963 (R), RFC 5213 §8.1
 * (P), RFC 5555 (F), RFC 5845 (T), RFC 6602 (B), RFC 7161 (S), RFC 8885 (D).
 */
export const PbuFlag = {
  /** Acknowledge: a PBA is requested; MUST be set in a PBU (RFC 5213 §6.9.1.5). */
  A: 0x8000,
  /** Home Registration. */
  H: 0x4000,
  /** Link-Local Address Compatibility. */
  L: 0x2000,
  /** Key Management Mobility Capability. */
  K: 0x1000,
  /** MAP Registration (HMIPv6). */
  M: 0x0800,
  /** Mobile Router (NEMO). */
  R: 0x0400,
  /** Proxy Registration: MUST be set in a PBU (RFC 5213 §8.1). */
  P: 0x0200,
  /** Forcing UDP encapsulation. */
  F: 0x0100,
  /** TLV-header format. */
  T: 0x0080,
  /** Bulk binding update. */
  B: 0x0040,
  /** Mobility service subscription. */
  S: 0x0020,
  /**
   * Distributed gateway / DMM message between MAARs (RFC 8885; the "D" flag of
   * draft-bernardos-dmm-distributed-anchoring-02 §4.3.1).
   */
  D: 0x0010,
} as const;

/**
 * Flags of the byte at offset 7 of a (Proxy) Binding Acknowledgement; bit 0x01 is
 * reserved. K (RFC 6275), R (RFC 3963), P (RFC 5213 §8.2), T (RFC 5845), B (RFC 6602),
 * S (RFC 7161), D (RFC 8885).
 */
export const PbaFlag = {
  K: 0x80,
  R: 0x40,
  /** Proxy Registration: set when answering a PBU (RFC 5213 §8.2). */
  P: 0x20,
  T: 0x10,
  B: 0x08,
  S: 0x04,
  /** Distributed gateway / DMM message (RFC 8885). */
  D: 0x02,
} as const;

/**
 * Binding Acknowledgement status codes (IANA; RFC 6275 §6.1.8, RFC 5213 §8.9 for 152–162).
 * Below 128: accepted; 128 and above: rejected.
 */
export const PbaStatus = {
  Accepted: 0,
  AcceptedPrefixDiscoveryNecessary: 1,
  GreKeyOptionNotRequired: 2,
  GreTunnelingButTlvHeaderNotSupported: 3,
  McoaNotComplete: 4,
  McoaReturnHomeWithoutNdp: 5,
  PbuAcceptedTbIgnoredSettingsMismatch: 6,
  ReasonUnspecified: 128,
  AdministrativelyProhibited: 129,
  InsufficientResources: 130,
  HomeRegistrationNotSupported: 131,
  NotHomeSubnet: 132,
  NotHomeAgentForThisMobileNode: 133,
  DuplicateAddressDetectionFailed: 134,
  SequenceNumberOutOfWindow: 135,
  ExpiredHomeNonceIndex: 136,
  ExpiredCareOfNonceIndex: 137,
  ExpiredNonces: 138,
  RegistrationTypeChangeDisallowed: 139,
  MobileRouterOperationNotPermitted: 140,
  InvalidPrefix: 141,
  NotAuthorizedForPrefix: 142,
  ForwardingSetupFailed: 143,
  ServiceAuthorizationFailed: 151,
  ProxyRegNotEnabled: 152,
  NotLmaForThisMobileNode: 153,
  MagNotAuthorizedForProxyReg: 154,
  NotAuthorizedForHomeNetworkPrefix: 155,
  TimestampMismatch: 156,
  TimestampLowerThanPrevAccepted: 157,
  MissingHomeNetworkPrefixOption: 158,
  BcePbuPrefixSetDoNotMatch: 159,
  MissingMnIdentifierOption: 160,
  MissingHandoffIndicatorOption: 161,
  MissingAccessTechTypeOption: 162,
  GreKeyOptionRequired: 163,
} as const;

/** Handoff Indicator values (RFC 5213 §8.4, RFC 7864 for 6). */
export const HandoffIndicator = {
  Reserved: 0,
  /** Attachment over a new interface. */
  NewInterface: 1,
  /** Handoff between two different interfaces of the mobile node. */
  InterfaceChange: 2,
  /** Handoff between mobile access gateways for the same interface. */
  MagChangeSameInterface: 3,
  /** Handoff state unknown. */
  Unknown: 4,
  /** Handoff state not changed (re-registration). */
  NotChanged: 5,
  /** Attachment over a new interface sharing prefixes (RFC 7864). */
  NewInterfaceSharingPrefixes: 6,
} as const;

/** Access Technology Type values (RFC 5213 §8.5 and IANA). */
export const AccessTechnologyType = {
  Reserved: 0,
  Virtual: 1,
  Ppp: 2,
  Ieee8023: 3,
  Ieee80211: 4,
  Ieee80216e: 5,
  Geran: 6,
  Utran: 7,
  Eutran: 8,
  Ehrpd: 9,
  Hrpd: 10,
  OneXRtt: 11,
  Umb: 12,
  NbIot: 13,
} as const;

const STATUS_NAMES = new Map<number, string>(Object.entries(PbaStatus).map(([k, v]) => [v, k]));
const MH_TYPE_NAMES = new Map<number, string>(Object.entries(MhType).map(([k, v]) => [v, k]));

/** Name of a status code (`MagNotAuthorizedForProxyReg`), or its number. */
export function pbaStatusName(code: number): string {
  return STATUS_NAMES.get(code) ?? String(code);
}

/** Name of an MH Type, or its number. */
export function mhTypeName(type: number): string {
  return MH_TYPE_NAMES.get(type) ?? String(type);
}

/** True for the "accepted" status codes (below 128, RFC 6275 §6.1.8). */
export function pbaStatusAccepted(code: number): boolean {
  return code < 128;
}

/** Seconds of a lifetime given in 4-second units (RFC 6275 §6.1.7). */
export function lifetimeToSeconds(units: number): number {
  return units * 4;
}

/**
 * 4-second units for a lifetime in seconds, rounded down (never more than asked for) and
 * capped at 0xffff (262140 s).
 */
export function lifetimeFromSeconds(seconds: number): number {
  return Math.min(0xffff, Math.max(0, Math.floor(seconds / 4)));
}

/** Read-only surface of a Mobility Header view. */
export interface MobilityHeaderReader {
  readonly off: number;
  payloadProto(): number;
  headerLen(): number;
  mhLength(): number;
  mhType(): number;
  reserved(): number;
  checksum(): number;
  verifyChecksum(srcOff: number, dstOff: number): boolean;
}

/**
 * View of a Mobility Header at `off`; `end` is the end of the IPv6 payload that carries
 * it (the MH is the last header: its Payload Proto is 59). Implements `HeaderView`.
 */
export class MobilityHeaderView implements HeaderView, MobilityHeaderReader {
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

  /**
   * Ok when: at least 8 bytes; `(Header Len + 1) * 8` equals the bytes given (so the MH is
   * a multiple of 8 octets and nothing trails it) — Truncated when it claims more,
   * BadLength when less or when the bytes are not a multiple of 8; long enough for its MH
   * Type (RFC 6275 §9.2); and for BU/BA, the options are well-formed (see
   * `checkMobilityOption`). Alignment of options is not checked (a sender rule). Does not
   * verify the checksum. Voided by `setHeaderLen`.
   */
  check(): number {
    const n = this.end - this.off;
    if (n < 8) return WireCheck.Truncated;
    const len = this.mhLength();
    if (len > n) return WireCheck.Truncated;
    if (len !== n) return WireCheck.BadLength;
    const type = this.bytes[this.off + F.TYPE]!;
    const min = MIN_MH_LEN[type];
    if (min !== undefined && len < min) return WireCheck.BadLength;
    if (type === MhType.BindingUpdate || type === MhType.BindingAck) {
      return checkMobilityOptions(this.bytes, this.off + BU.OPTIONS, this.off + len);
    }
    return WireCheck.Ok;
  }

  payloadProto(): number {
    return this.bytes[this.off + F.PROTO]!;
  }
  /** Raw Header Len: 8-octet units after the first 8. */
  headerLen(): number {
    return this.bytes[this.off + F.HLEN]!;
  }
  /** Length of the whole MH in bytes, from Header Len. */
  mhLength(): number {
    return (this.bytes[this.off + F.HLEN]! + 1) * 8;
  }
  mhType(): number {
    return this.bytes[this.off + F.TYPE]!;
  }
  reserved(): number {
    return this.bytes[this.off + F.RSVD]!;
  }
  checksum(): number {
    return this.dv.getUint16(this.off + F.CSUM);
  }

  /**
   * True when the checksum verifies over `[off, end)` with the pseudo-header addresses at
   * `bytes[srcOff]` / `bytes[dstOff]` (normally the enclosing IPv6 header's 8 and 24).
   */
  verifyChecksum(srcOff: number, dstOff: number): boolean {
    const len = this.end - this.off;
    const acc = pseudoHeaderSum(this.bytes, srcOff, this.bytes, dstOff, len, IpProto.Mobility);
    return finishChecksum(onesSum(this.bytes, this.off, len, acc)) === 0;
  }

  setPayloadProto(v: number): void {
    this.bytes[this.off + F.PROTO] = v;
  }
  /** Voids `check()`. */
  setHeaderLen(v: number): void {
    this.bytes[this.off + F.HLEN] = v;
  }
  setMhType(v: number): void {
    this.bytes[this.off + F.TYPE] = v;
  }
  setReserved(v: number): void {
    this.bytes[this.off + F.RSVD] = v;
  }
  setChecksum(v: number): void {
    this.dv.setUint16(this.off + F.CSUM, v);
  }
  /**
   * Computes and stores the checksum of `[off, end)` (RFC 6275 §6.1.1) with the
   * pseudo-header addresses at `bytes[srcOff]` and `bytes[dstOff]`. Call after every other
   * byte is final.
   */
  fillChecksum(srcOff: number, dstOff: number): void {
    this.setChecksum(0);
    const len = this.end - this.off;
    const acc = pseudoHeaderSum(this.bytes, srcOff, this.bytes, dstOff, len, IpProto.Mobility);
    this.setChecksum(finishChecksum(onesSum(this.bytes, this.off, len, acc)));
  }
}

/** Read-only surface of a (Proxy) Binding Update view. */
export interface PbuReader extends MobilityHeaderReader {
  sequence(): number;
  flags(): number;
  hasFlag(mask: number): boolean;
  lifetime(): number;
  lifetimeSeconds(): number;
  optionsOffset(): number;
}

/** View of a (Proxy) Binding Update, MH Type 5. */
export class PbuView extends MobilityHeaderView implements PbuReader {
  /** As `MobilityHeaderView.check`, plus WrongType when the MH Type is not 5. */
  override check(): number {
    const r = super.check();
    if (r !== 0) return r;
    return this.mhType() === MhType.BindingUpdate ? WireCheck.Ok : WireCheck.WrongType;
  }
  sequence(): number {
    return this.dv.getUint16(this.off + BU.SEQ);
  }
  /** The whole 16-bit flags word (masks in `PbuFlag`; low 4 bits reserved). */
  flags(): number {
    return this.dv.getUint16(this.off + BU.FLAGS);
  }
  hasFlag(mask: number): boolean {
    return (this.dv.getUint16(this.off + BU.FLAGS) & mask) !== 0;
  }
  /** Lifetime in 4-second units. */
  lifetime(): number {
    return this.dv.getUint16(this.off + BU.LIFETIME);
  }
  lifetimeSeconds(): number {
    return this.dv.getUint16(this.off + BU.LIFETIME) * 4;
  }
  /** First byte of the mobility options. */
  optionsOffset(): number {
    return this.off + BU.OPTIONS;
  }
  setSequence(v: number): void {
    this.dv.setUint16(this.off + BU.SEQ, v);
  }
  setFlags(v: number): void {
    this.dv.setUint16(this.off + BU.FLAGS, v);
  }
  /** Sets or clears the flag bits in `mask`, leaving the others. */
  setFlag(mask: number, on: boolean): void {
    const f = this.dv.getUint16(this.off + BU.FLAGS);
    this.dv.setUint16(this.off + BU.FLAGS, on ? f | mask : f & ~mask);
  }
  setLifetime(units: number): void {
    this.dv.setUint16(this.off + BU.LIFETIME, units);
  }
}

/** Read-only surface of a (Proxy) Binding Acknowledgement view. */
export interface PbaReader extends MobilityHeaderReader {
  status(): number;
  flags(): number;
  hasFlag(mask: number): boolean;
  sequence(): number;
  lifetime(): number;
  lifetimeSeconds(): number;
  optionsOffset(): number;
}

/** View of a (Proxy) Binding Acknowledgement, MH Type 6. */
export class PbaView extends MobilityHeaderView implements PbaReader {
  /** As `MobilityHeaderView.check`, plus WrongType when the MH Type is not 6. */
  override check(): number {
    const r = super.check();
    if (r !== 0) return r;
    return this.mhType() === MhType.BindingAck ? WireCheck.Ok : WireCheck.WrongType;
  }
  status(): number {
    return this.bytes[this.off + BA.STATUS]!;
  }
  /** The flags byte (masks in `PbaFlag`; bit 0x01 reserved). */
  flags(): number {
    return this.bytes[this.off + BA.FLAGS]!;
  }
  hasFlag(mask: number): boolean {
    return (this.bytes[this.off + BA.FLAGS]! & mask) !== 0;
  }
  sequence(): number {
    return this.dv.getUint16(this.off + BA.SEQ);
  }
  /** Granted lifetime in 4-second units. */
  lifetime(): number {
    return this.dv.getUint16(this.off + BA.LIFETIME);
  }
  lifetimeSeconds(): number {
    return this.dv.getUint16(this.off + BA.LIFETIME) * 4;
  }
  optionsOffset(): number {
    return this.off + BA.OPTIONS;
  }
  setStatus(v: number): void {
    this.bytes[this.off + BA.STATUS] = v;
  }
  setFlags(v: number): void {
    this.bytes[this.off + BA.FLAGS] = v;
  }
  /** Sets or clears the flag bits in `mask`, leaving the others. */
  setFlag(mask: number, on: boolean): void {
    const f = this.bytes[this.off + BA.FLAGS]!;
    this.bytes[this.off + BA.FLAGS] = on ? f | mask : f & ~mask;
  }
  setSequence(v: number): void {
    this.dv.setUint16(this.off + BA.SEQ, v);
  }
  setLifetime(units: number): void {
    this.dv.setUint16(this.off + BA.LIFETIME, units);
  }
}

/**
 * The meaning of a (Proxy) Binding Update. `lifetime` is in 4-second units
 * (`lifetimeToSeconds`); `flags` is the whole 16-bit word (`PbuFlag`). `options` are in
 * wire order without Pad1/PadN.
 */
export interface PbuRepr {
  sequence: number;
  flags: number;
  lifetime: number;
  options: MobilityOption[];
}

/** The meaning of a (Proxy) Binding Acknowledgement (`flags`: `PbaFlag`). */
export interface PbaRepr {
  status: number;
  flags: number;
  sequence: number;
  lifetime: number;
  options: MobilityOption[];
}

function mhLengthFor(options: readonly MobilityOption[]): number {
  const len = 12 + mobilityOptionsLength(options, 12);
  if (len > MH_MAX_LEN) {
    throw new WireError('mh', WireCheck.BadLength, `options need ${len} > ${MH_MAX_LEN} bytes`);
  }
  return len;
}

function emitCommon(v: MobilityHeaderView, type: number, len: number): void {
  v.setPayloadProto(IpProto.NoNext);
  v.setHeaderLen(len / 8 - 1);
  v.setMhType(type);
  v.setReserved(0);
  v.setChecksum(0);
}

/**
 * Repr codec of the (Proxy) Binding Update. `emit` writes every byte with Payload Proto
 * 59, Reserved 0 and **Checksum 0**: call `fillChecksum` on the view afterwards. `parse`
 * does not verify the checksum.
 */
export const Pbu: ReprCodec<PbuRepr, PbuView> = {
  bufferLen: (r) => mhLengthFor(r.options),
  parse(v) {
    ensureOk('mh-pbu', v.check());
    return {
      sequence: v.sequence(),
      flags: v.flags(),
      lifetime: v.lifetime(),
      options: parseOptionsOf(v),
    };
  },
  emit(r, v) {
    const len = mhLengthFor(r.options);
    emitCommon(v, MhType.BindingUpdate, len);
    v.setSequence(r.sequence);
    v.setFlags(r.flags);
    v.setLifetime(r.lifetime);
    emitMobilityOptions(r.options, v.bytes, v.dv, v.off, BU.OPTIONS);
  },
};

/** Repr codec of the (Proxy) Binding Acknowledgement; same checksum rule as `Pbu`. */
export const Pba: ReprCodec<PbaRepr, PbaView> = {
  bufferLen: (r) => mhLengthFor(r.options),
  parse(v) {
    ensureOk('mh-pba', v.check());
    return {
      status: v.status(),
      flags: v.flags(),
      sequence: v.sequence(),
      lifetime: v.lifetime(),
      options: parseOptionsOf(v),
    };
  },
  emit(r, v) {
    const len = mhLengthFor(r.options);
    emitCommon(v, MhType.BindingAck, len);
    v.setStatus(r.status);
    v.setFlags(r.flags);
    v.setSequence(r.sequence);
    v.setLifetime(r.lifetime);
    emitMobilityOptions(r.options, v.bytes, v.dv, v.off, BA.OPTIONS);
  },
};

function parseOptionsOf(v: MobilityHeaderView): MobilityOption[] {
  return parseMobilityOptions(v.bytes, v.dv, v.off + BU.OPTIONS, v.off + v.mhLength());
}

type WithOptions = { readonly options: readonly MobilityOption[] };

/** Every Home Network Prefix option, in wire order (a PBU may carry several, RFC 5213 §8.1). */
export function findHnps(r: WithOptions): MobilityOptionOf<'hnp'>[] {
  return optionsOfKind(r.options, 'hnp');
}
/** Every Anchored Prefix option (RFC 8885 §4.3; several are allowed). */
export function findAnchoredPrefixes(r: WithOptions): MobilityOptionOf<'anchored-prefix'>[] {
  return optionsOfKind(r.options, 'anchored-prefix');
}
/** Every Local Prefix option (RFC 8885 §4.4; several are allowed). */
export function findLocalPrefixes(r: WithOptions): MobilityOptionOf<'local-prefix'>[] {
  return optionsOfKind(r.options, 'local-prefix');
}
/** The Mobile Node Identifier option (NAI or other subtype), or undefined. */
export function findMnId(
  r: WithOptions,
): MobilityOptionOf<'mn-id'> | MobilityOptionOf<'mn-id-other'> | undefined {
  return r.options.find(
    (o): o is MobilityOptionOf<'mn-id'> | MobilityOptionOf<'mn-id-other'> =>
      o.kind === 'mn-id' || o.kind === 'mn-id-other',
  );
}
/** The first option of `kind` (e.g. `'timestamp'`, `'handoff-indicator'`), or undefined. */
export function findOption<K extends MobilityOption['kind']>(
  r: WithOptions,
  kind: K,
): MobilityOptionOf<K> | undefined {
  return optionOfKind(r.options, kind);
}

function flagLetters(flags: number, table: Readonly<Record<string, number>>): string {
  const on = Object.entries(table)
    .filter(([, m]) => (flags & m) !== 0)
    .map(([k]) => k);
  return on.length === 0 ? '-' : on.join('');
}

/** One-line text form of a PBU, for logs, traces and the CLI. */
export function formatPbu(r: PbuRepr): string {
  const opts = r.options.map(formatMobilityOption).join(', ');
  return (
    `PBU seq ${r.sequence} flags ${flagLetters(r.flags, PbuFlag)} ` +
    `lifetime ${lifetimeToSeconds(r.lifetime)}s [${opts}]`
  );
}

/** One-line text form of a PBA. */
export function formatPba(r: PbaRepr): string {
  const opts = r.options.map(formatMobilityOption).join(', ');
  return (
    `PBA status ${r.status} (${pbaStatusName(r.status)}) seq ${r.sequence} ` +
    `flags ${flagLetters(r.flags, PbaFlag)} lifetime ${lifetimeToSeconds(r.lifetime)}s [${opts}]`
  );
}
