/**
 * Neighbor Discovery options — RFC 4861 §4.6 (TLV format, length in 8-octet units, length 0
 * is invalid), §4.6.1 Source/Target Link-layer Address (RFC 2464 §6 for Ethernet),
 * §4.6.2 Prefix Information (R flag: RFC 6275 §7.2), §4.6.3 Redirected Header, §4.6.4 MTU;
 * RFC 4191 §2.3 Route Information; RFC 8106 §5.1 Recursive DNS Server.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |    Length     |              ...              |   0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   Length = option length in 8-octet units, Type and Length included
 *
 * SLLA/TLLA (1/2):  +2 link-layer address (6 bytes for Ethernet, Length 1)
 * Prefix Info (3):  +2 Prefix Length, +3 L|A|R|res, +4 Valid Lifetime, +8 Preferred
 *                   Lifetime, +12 Reserved2, +16 Prefix (16); Length 4
 * Redirected (4):   +2 Reserved (6), +8 IP header + data; Length >= 1
 * MTU (5):          +2 Reserved (2), +4 MTU; Length 1
 * Route Info (24):  +2 Prefix Length, +3 res|Prf(0x18)|res, +4 Route Lifetime,
 *                   +8 Prefix (0, 8 or 16 bytes); Length 1, 2 or 3
 * RDNSS (25):       +2 Reserved (2), +4 Lifetime, +8 addresses (16 each); Length 1 + 2n
 * ```
 */
import { WireCheck } from './check.js';
import { WireError, ensureOk } from './errors.js';
import { copy6, formatIpv6, formatMac, macEquals } from './address.js';
import { copyOut } from './view.js';
import type { HeaderView, ReprCodec } from './view.js';

const EMPTY = new Uint8Array(0);

/** ND option types we decode (IANA "IPv6 Neighbor Discovery Option Formats"). */
export const NdOptionType = {
  SourceLinkLayerAddr: 1,
  TargetLinkLayerAddr: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
  RouteInformation: 24,
  RecursiveDnsServer: 25,
} as const;

/**
 * Router preference of RFC 4191 §2.1 (RA Prf, RIO Prf). 0b10 is reserved: an RA with it is
 * read as Medium (§2.2), a Route Information option with it is ignored (§2.3).
 */
export const RouterPreference = {
  Medium: 0,
  High: 1,
  Reserved: 2,
  Low: 3,
} as const;

const PRF_NAMES = ['medium', 'high', 'reserved', 'low'] as const;

/** `medium`, `high`, `reserved` or `low`. */
export function routerPreferenceName(prf: number): string {
  return PRF_NAMES[prf & 3]!;
}

/** PIO flag bits (RFC 4861 §4.6.2, RFC 6275 §7.2). */
export const PIO_FLAG_L = 0x80;
export const PIO_FLAG_A = 0x40;
export const PIO_FLAG_R = 0x20;

/**
 * 0 when the options in bytes[off, end) tile it exactly; `WireCheck.ZeroLengthOption` for a
 * Length of 0 (RFC 4861 §4.6: the message must be discarded), `WireCheck.OptionOverrun`
 * when an option (or a lone trailing byte) runs past `end`.
 */
export function checkNdOptions(bytes: Uint8Array, off: number, end: number): number {
  let p = off;
  while (p < end) {
    if (end - p < 2) return WireCheck.OptionOverrun;
    const units = bytes[p + 1]!;
    if (units === 0) return WireCheck.ZeroLengthOption;
    p += units << 3;
    if (p > end) return WireCheck.OptionOverrun;
  }
  return WireCheck.Ok;
}

/**
 * Offset of the first option of `type` in bytes[off, end), or -1 when absent or when the
 * options are malformed before it. Allocation-free.
 */
export function findNdOption(bytes: Uint8Array, off: number, end: number, type: number): number {
  let p = off;
  while (p < end) {
    if (end - p < 2) return -1;
    const units = bytes[p + 1]!;
    if (units === 0) return -1;
    const next = p + (units << 3);
    if (next > end) return -1;
    if (bytes[p] === type) return p;
    p = next;
  }
  return -1;
}

/**
 * Allocation-free walk over the options of one ND message, one instance reused per packet.
 * Every option, known or not, is yielded; the caller skips the types it does not know
 * (RFC 4861 §4.6: unrecognised options are ignored).
 *
 * ```ts
 * cur.reset(ra.bytes, ra.optionsOffset(), ra.end);
 * while (cur.next()) if (cur.type === NdOptionType.Mtu) opt.at(cur.off, cur.off + cur.len);
 * if (cur.error !== 0) drop(cur.error);
 * ```
 */
export class NdOptionCursor {
  bytes: Uint8Array = EMPTY;
  /** Offset of the current option's Type byte. */
  off = -1;
  type = -1;
  /** Length of the current option in bytes (Length field × 8). */
  len = 0;
  /** 0, or the reason the walk stopped early (ZeroLengthOption, OptionOverrun). */
  error = 0;
  private pos = 0;
  private limit = 0;

  /** Starts a walk over bytes[off, end). */
  reset(bytes: Uint8Array, off: number, end: number): this {
    this.bytes = bytes;
    this.pos = off;
    this.limit = end;
    this.off = -1;
    this.type = -1;
    this.len = 0;
    this.error = 0;
    return this;
  }

  /** Moves to the next option; false at the end or on error (see `error`). */
  next(): boolean {
    const p = this.pos;
    const end = this.limit;
    if (p >= end) return this.stop(0);
    if (end - p < 2) return this.stop(WireCheck.OptionOverrun);
    const units = this.bytes[p + 1]!;
    if (units === 0) return this.stop(WireCheck.ZeroLengthOption);
    const len = units << 3;
    if (p + len > end) return this.stop(WireCheck.OptionOverrun);
    this.off = p;
    this.type = this.bytes[p]!;
    this.len = len;
    this.pos = p + len;
    return true;
  }

  private stop(error: number): false {
    this.error = error;
    this.pos = this.limit;
    this.off = -1;
    this.type = -1;
    this.len = 0;
    return false;
  }
}

const F = { TYPE: 0, LEN: 1, DATA: 2 } as const;
/** Field offsets shared by every option. */
export const ND_OPTION_FIELDS = F;

/** Smallest Length (8-octet units) of a Route Information option for `prefixLength` (RFC 4191 §2.3). */
export function routeInfoMinUnits(prefixLength: number): number {
  return prefixLength === 0 ? 1 : prefixLength <= 64 ? 2 : 3;
}

/**
 * View of one ND option, any type: `off` is its Type byte and `end` bounds it (the message
 * end, or the option end from `NdOptionCursor`). The readers of one type are only meaningful
 * on an option of that type. Implements `HeaderView`.
 */
export class NdOptionView implements HeaderView {
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

  at(off: number, end: number): this {
    this.off = off;
    this.end = end;
    return this;
  }

  /**
   * Ok when the option's Length is non-zero (else ZeroLengthOption), it fits before `end`
   * (else OptionOverrun), and, for the types we decode, its Length and fields obey their RFC:
   * PIO and MTU fixed lengths, RIO lengths 1–3 consistent with the prefix length (RFC 4191
   * §2.3), RDNSS length 1 + 2n with n ≥ 1 (RFC 8106 §5.1) — BadLength; a prefix length
   * above 128 — BadField. Voided by `setLengthUnits` and `setPrefixLength`.
   */
  check(): number {
    const b = this.bytes;
    const left = this.end - this.off;
    if (left < 2) return WireCheck.Truncated;
    const units = b[this.off + F.LEN]!;
    if (units === 0) return WireCheck.ZeroLengthOption;
    if (units << 3 > left) return WireCheck.OptionOverrun;
    switch (b[this.off]) {
      case NdOptionType.PrefixInformation:
        if (units !== 4) return WireCheck.BadLength;
        if (b[this.off + 2]! > 128) return WireCheck.BadField;
        return WireCheck.Ok;
      case NdOptionType.Mtu:
        return units === 1 ? WireCheck.Ok : WireCheck.BadLength;
      case NdOptionType.RouteInformation: {
        const plen = b[this.off + 2]!;
        if (plen > 128) return WireCheck.BadField;
        if (units > 3 || units < routeInfoMinUnits(plen)) return WireCheck.BadLength;
        return WireCheck.Ok;
      }
      case NdOptionType.RecursiveDnsServer:
        return units >= 3 && (units & 1) === 1 ? WireCheck.Ok : WireCheck.BadLength;
      default:
        return WireCheck.Ok;
    }
  }

  optionType(): number {
    return this.bytes[this.off + F.TYPE]!;
  }
  /** The Length field, in 8-octet units. */
  lengthUnits(): number {
    return this.bytes[this.off + F.LEN]!;
  }
  /** Length in bytes, Type and Length included. */
  byteLength(): number {
    return this.bytes[this.off + F.LEN]! << 3;
  }
  /** Offset of the first byte after Type and Length. */
  dataOffset(): number {
    return this.off + F.DATA;
  }

  // Source/Target Link-layer Address (RFC 4861 §4.6.1)
  linkLayerAddrOffset(): number {
    return this.off + F.DATA;
  }
  /** Compares the first 6 address bytes (an Ethernet MAC, RFC 2464 §6). */
  linkLayerAddrEquals(mac: Uint8Array, macOff = 0): boolean {
    return macEquals(this.bytes, this.off + F.DATA, mac, macOff);
  }
  /** Copies the 6-byte Ethernet address into `out[outOff..+6)` without allocating. */
  copyLinkLayerAddrInto(out: Uint8Array, outOff = 0): void {
    copy6(this.bytes, this.off + F.DATA, out, outOff);
  }

  // Prefix Information (RFC 4861 §4.6.2) and Route Information (RFC 4191 §2.3)
  prefixLength(): number {
    return this.bytes[this.off + 2]!;
  }
  onLink(): boolean {
    return (this.bytes[this.off + 3]! & PIO_FLAG_L) !== 0;
  }
  autonomous(): boolean {
    return (this.bytes[this.off + 3]! & PIO_FLAG_A) !== 0;
  }
  /** R flag: the Prefix field holds the router's full address (RFC 6275 §7.2). */
  routerAddress(): boolean {
    return (this.bytes[this.off + 3]! & PIO_FLAG_R) !== 0;
  }
  validLifetime(): number {
    return this.dv.getUint32(this.off + 4);
  }
  preferredLifetime(): number {
    return this.dv.getUint32(this.off + 8);
  }
  /** Prefix field: +16 in a PIO, +8 in a RIO (where only Length×8 − 8 bytes are present). */
  prefixOffset(): number {
    return this.off + (this.bytes[this.off] === NdOptionType.RouteInformation ? 8 : 16);
  }
  /** RIO Prf, raw (0b10 = reserved: the option must be ignored, RFC 4191 §2.3). */
  routePreference(): number {
    return (this.bytes[this.off + 3]! >>> 3) & 3;
  }
  routeLifetime(): number {
    return this.dv.getUint32(this.off + 4);
  }

  // MTU (RFC 4861 §4.6.4)
  mtu(): number {
    return this.dv.getUint32(this.off + 4);
  }

  // Recursive DNS Server (RFC 8106 §5.1)
  lifetime(): number {
    return this.dv.getUint32(this.off + 4);
  }
  serverCount(): number {
    return (this.bytes[this.off + F.LEN]! - 1) >>> 1;
  }
  serverOffset(i: number): number {
    return this.off + 8 + 16 * i;
  }

  // Redirected Header (RFC 4861 §4.6.3)
  redirectedOffset(): number {
    return this.off + 8;
  }

  setOptionType(v: number): void {
    this.bytes[this.off + F.TYPE] = v;
  }
  /** Voids `check()`. */
  setLengthUnits(v: number): void {
    this.bytes[this.off + F.LEN] = v;
  }
  /** Zeroes `n` bytes at `off + rel`: reserved fields and padding. */
  zero(rel: number, n: number): void {
    this.bytes.fill(0, this.off + rel, this.off + rel + n);
  }
  setLinkLayerAddr(mac: Uint8Array, macOff = 0): void {
    copy6(mac, macOff, this.bytes, this.off + F.DATA);
  }
  /** Voids `check()`. */
  setPrefixLength(v: number): void {
    this.bytes[this.off + 2] = v;
  }
  /** Writes the PIO flags byte (reserved bits 0). */
  setPrefixFlags(onLink: boolean, autonomous: boolean, routerAddress: boolean): void {
    this.bytes[this.off + 3] =
      (onLink ? PIO_FLAG_L : 0) | (autonomous ? PIO_FLAG_A : 0) | (routerAddress ? PIO_FLAG_R : 0);
  }
  /** Writes the RIO Prf byte (reserved bits 0). */
  setRoutePreference(prf: number): void {
    this.bytes[this.off + 3] = (prf & 3) << 3;
  }
  /** Valid Lifetime (PIO), Route Lifetime (RIO), Lifetime (RDNSS) or MTU: the word at +4. */
  setWord4(v: number): void {
    this.dv.setUint32(this.off + 4, v >>> 0);
  }
  setPreferredLifetime(v: number): void {
    this.dv.setUint32(this.off + 8, v >>> 0);
  }
  /** Writes `len` bytes of `src` at `off + rel` (prefixes, addresses). */
  setBytes(rel: number, src: Uint8Array, srcOff = 0, len = src.length - srcOff): void {
    for (let i = 0; i < len; i++) this.bytes[this.off + rel + i] = src[srcOff + i]!;
  }
}

/** The options of RFC 4861, RFC 4191 and RFC 8106 as values; byte arrays are copies. */
export type NdOption =
  | {
      kind: 'source-lla' | 'target-lla';
      /** Link-layer address: the Length×8 − 2 bytes after Type/Length (6 for Ethernet). */
      addr: Uint8Array;
    }
  | {
      kind: 'prefix-info';
      prefixLength: number;
      onLink: boolean;
      autonomous: boolean;
      routerAddress: boolean;
      validLifetime: number;
      preferredLifetime: number;
      prefix: Uint8Array;
    }
  | {
      kind: 'redirected-header';
      /** IP header + data, the Length×8 − 8 bytes after the Reserved field. */
      data: Uint8Array;
    }
  | { kind: 'mtu'; mtu: number }
  | {
      kind: 'route-info';
      prefixLength: number;
      /** Raw Prf: 0b10 (reserved) is kept so the receiver can ignore the option. */
      prf: number;
      routeLifetime: number;
      /** 16 bytes; bytes the option did not carry are zero. */
      prefix: Uint8Array;
      /**
       * Length in 8-octet units, present only when longer than the shortest RFC 4191 allows
       * for the prefix length (some senders, scapy among them, always use 3). Absent: emit
       * uses the shortest.
       */
      length?: number;
    }
  | { kind: 'rdnss'; lifetime: number; servers: Uint8Array[] }
  | {
      kind: 'unknown';
      type: number;
      /** The Length×8 − 2 bytes after Type/Length. */
      data: Uint8Array;
    };

function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

function ndOptionLen(o: NdOption): number {
  switch (o.kind) {
    case 'source-lla':
    case 'target-lla':
      return roundUp8(2 + o.addr.length);
    case 'prefix-info':
      return 32;
    case 'redirected-header':
      return 8 + roundUp8(o.data.length);
    case 'mtu':
      return 8;
    case 'route-info':
      return (o.length ?? routeInfoMinUnits(o.prefixLength)) << 3;
    case 'rdnss':
      return 8 + 16 * o.servers.length;
    case 'unknown':
      return roundUp8(2 + o.data.length);
  }
}

/**
 * Codec of any ND option. `parse` rejects what `check()` rejects; an option of a type we do
 * not decode becomes `{ kind: 'unknown', type, data }`. `emit` writes every byte, padding
 * variable parts with zeros to a multiple of 8 octets, and throws WireError for an option
 * RFC 4191 / RFC 8106 forbid (inconsistent RIO length, RDNSS without servers) or one longer
 * than 255 × 8 bytes.
 */
export const NdOptionCodec: ReprCodec<NdOption, NdOptionView> = {
  bufferLen: ndOptionLen,
  parse(v) {
    ensureOk('nd-option', v.check());
    const b = v.bytes;
    const end = v.off + v.byteLength();
    const type = v.optionType();
    switch (type) {
      case NdOptionType.SourceLinkLayerAddr:
      case NdOptionType.TargetLinkLayerAddr:
        return {
          kind: type === NdOptionType.SourceLinkLayerAddr ? 'source-lla' : 'target-lla',
          addr: copyOut(b, v.linkLayerAddrOffset(), end),
        };
      case NdOptionType.PrefixInformation:
        return {
          kind: 'prefix-info',
          prefixLength: v.prefixLength(),
          onLink: v.onLink(),
          autonomous: v.autonomous(),
          routerAddress: v.routerAddress(),
          validLifetime: v.validLifetime(),
          preferredLifetime: v.preferredLifetime(),
          prefix: copyOut(b, v.prefixOffset(), v.prefixOffset() + 16),
        };
      case NdOptionType.RedirectedHeader:
        return { kind: 'redirected-header', data: copyOut(b, v.redirectedOffset(), end) };
      case NdOptionType.Mtu:
        return { kind: 'mtu', mtu: v.mtu() };
      case NdOptionType.RouteInformation: {
        const prefix = new Uint8Array(16);
        prefix.set(b.subarray(v.prefixOffset(), end));
        const units = v.lengthUnits();
        const plen = v.prefixLength();
        return {
          kind: 'route-info',
          prefixLength: plen,
          prf: v.routePreference(),
          routeLifetime: v.routeLifetime(),
          prefix,
          ...(units !== routeInfoMinUnits(plen) ? { length: units } : {}),
        };
      }
      case NdOptionType.RecursiveDnsServer: {
        const servers: Uint8Array[] = [];
        for (let i = 0; i < v.serverCount(); i++) {
          servers.push(copyOut(b, v.serverOffset(i), v.serverOffset(i) + 16));
        }
        return { kind: 'rdnss', lifetime: v.lifetime(), servers };
      }
      default:
        return { kind: 'unknown', type, data: copyOut(b, v.dataOffset(), end) };
    }
  },
  emit(o, v) {
    const len = ndOptionLen(o);
    if (len > 255 * 8) throw new WireError('nd-option', WireCheck.BadLength, `${len} bytes`);
    v.zero(0, len);
    v.setLengthUnits(len >>> 3);
    switch (o.kind) {
      case 'source-lla':
      case 'target-lla':
        v.setOptionType(
          o.kind === 'source-lla'
            ? NdOptionType.SourceLinkLayerAddr
            : NdOptionType.TargetLinkLayerAddr,
        );
        v.setBytes(F.DATA, o.addr);
        break;
      case 'prefix-info':
        v.setOptionType(NdOptionType.PrefixInformation);
        v.setPrefixLength(o.prefixLength);
        v.setPrefixFlags(o.onLink, o.autonomous, o.routerAddress);
        v.setWord4(o.validLifetime);
        v.setPreferredLifetime(o.preferredLifetime);
        v.setBytes(16, o.prefix, 0, 16);
        break;
      case 'redirected-header':
        v.setOptionType(NdOptionType.RedirectedHeader);
        v.setBytes(8, o.data);
        break;
      case 'mtu':
        v.setOptionType(NdOptionType.Mtu);
        v.setWord4(o.mtu);
        break;
      case 'route-info': {
        const units = len >>> 3;
        if (o.prefixLength > 128) {
          throw new WireError('nd-option', WireCheck.BadField, `prefix length ${o.prefixLength}`);
        }
        if (units > 3 || units < routeInfoMinUnits(o.prefixLength)) {
          throw new WireError('nd-option', WireCheck.BadLength, `route-info length ${units}`);
        }
        v.setOptionType(NdOptionType.RouteInformation);
        v.setPrefixLength(o.prefixLength);
        v.setRoutePreference(o.prf);
        v.setWord4(o.routeLifetime);
        v.setBytes(8, o.prefix, 0, (units - 1) << 3);
        break;
      }
      case 'rdnss':
        if (o.servers.length === 0) {
          throw new WireError('nd-option', WireCheck.BadLength, 'rdnss without servers');
        }
        v.setOptionType(NdOptionType.RecursiveDnsServer);
        v.setWord4(o.lifetime);
        for (let i = 0; i < o.servers.length; i++) v.setBytes(8 + 16 * i, o.servers[i]!, 0, 16);
        break;
      case 'unknown':
        v.setOptionType(o.type);
        v.setBytes(F.DATA, o.data);
        break;
    }
  },
};

/** Total bytes of `options` once emitted. */
export function ndOptionsLen(options: readonly NdOption[]): number {
  let n = 0;
  for (const o of options) n += ndOptionLen(o);
  return n;
}

/**
 * Parses the options in bytes[off, end) (control plane): throws WireError when the walk
 * fails or an option is malformed; unknown types are kept as `kind: 'unknown'`.
 */
export function parseNdOptions(
  bytes: Uint8Array,
  dv: DataView,
  off: number,
  end: number,
): NdOption[] {
  const out: NdOption[] = [];
  const cur = new NdOptionCursor().reset(bytes, off, end);
  const v = new NdOptionView(bytes, dv, off, end);
  while (cur.next()) out.push(NdOptionCodec.parse(v.at(cur.off, cur.off + cur.len)));
  ensureOk('nd-options', cur.error);
  return out;
}

/** Emits `options` in order from `off`; returns the offset after the last one. */
export function emitNdOptions(
  options: readonly NdOption[],
  bytes: Uint8Array,
  dv: DataView,
  off: number,
): number {
  const v = new NdOptionView(bytes, dv, off, bytes.length);
  let p = off;
  for (const o of options) {
    const len = ndOptionLen(o);
    NdOptionCodec.emit(o, v.at(p, p + len));
    p += len;
  }
  return p;
}

function hexOf(d: Uint8Array): string {
  let s = '';
  for (const x of d) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * One-line text form, e.g. `prefix-info 2001:db8:2:1::/64 LA valid 86400 preferred 14400`
 * or `route-info 2001:db8:1::/48 prf low lifetime 1800`.
 */
export function formatNdOption(o: NdOption): string {
  switch (o.kind) {
    case 'source-lla':
    case 'target-lla':
      return `${o.kind} ${o.addr.length === 6 ? formatMac(o.addr) : hexOf(o.addr)}`;
    case 'prefix-info': {
      const flags =
        (o.onLink ? 'L' : '') + (o.autonomous ? 'A' : '') + (o.routerAddress ? 'R' : '');
      return (
        `prefix-info ${formatIpv6(o.prefix)}/${o.prefixLength}${flags ? ` ${flags}` : ''}` +
        ` valid ${o.validLifetime} preferred ${o.preferredLifetime}`
      );
    }
    case 'redirected-header':
      return `redirected-header ${o.data.length} bytes`;
    case 'mtu':
      return `mtu ${o.mtu}`;
    case 'route-info':
      return (
        `route-info ${formatIpv6(o.prefix)}/${o.prefixLength} prf ${routerPreferenceName(o.prf)}` +
        ` lifetime ${o.routeLifetime}`
      );
    case 'rdnss':
      return `rdnss lifetime ${o.lifetime} [${o.servers.map((s) => formatIpv6(s)).join(', ')}]`;
    case 'unknown':
      return `option ${o.type} (${o.data.length + 2} bytes)`;
  }
}
