/**
 * IPv6 extension headers — RFC 8200 §4 (chain order and processing), §4.2 (TLV options and
 * the action bits of unknown option types), §4.3 Hop-by-Hop Options, §4.4 Routing,
 * §4.5 Fragment, §4.6 Destination Options; RFC 4302 §2.2 (AH length in 4-octet units);
 * RFC 2473 §5.1 (Tunnel Encapsulation Limit option).
 *
 * Options header (Hop-by-Hop, Destination Options), RFC 8200 §4.3/§4.6:
 * ```
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |                               |   0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                 Options (TLVs, Pad1 = 00, PadN = 01 n ...)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   length = (Hdr Ext Len + 1) * 8
 * ```
 * Routing header, RFC 8200 §4.4:
 * ```
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |  Routing Type | Segments Left |   0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    type-specific data ...                     |   4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * Fragment header, RFC 8200 §4.5:
 * ```
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|   0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |   4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * Tunnel Encapsulation Limit option, RFC 2473 §5.1: `04 01 limit` (no alignment).
 */
import { WireCheck, wireCheckName } from './check.js';
import { WireError, ensureOk } from './errors.js';
import { IPV6_HEADER_LEN } from './ipv6.js';
import { IpProto, ipProtoName } from './proto.js';
import { copyOut } from './view.js';
import type { HeaderView, ReprCodec } from './view.js';

const EMPTY = new Uint8Array(0);
/** Largest extension header a Hdr Ext Len of 255 can describe. */
const MAX_EXT_LEN = 256 * 8;

// ---------------------------------------------------------------------------------------
// The chain walker
// ---------------------------------------------------------------------------------------

/**
 * Result of `walkIpv6Chain`, beside 0 and the `WireCheck` reasons: the chain names a Next
 * Header value this router does not know. RFC 8200 §4 asks for ICMPv6 Parameter Problem
 * code 1 (RFC 4443 §3.4) with the pointer at the offending Next Header byte
 * (`cursor.nhFieldOff`). The value lies outside the WireCheck range so a single switch can
 * tell "malformed, drop" from "unrecognised, drop and answer".
 */
export const IPV6_CHAIN_UNKNOWN_NEXT_HEADER = 0x100;

/** Stable name of a `walkIpv6Chain` result, for counters and messages. */
export function ipv6ChainResultName(code: number): string {
  return code === IPV6_CHAIN_UNKNOWN_NEXT_HEADER ? 'unknown-next-header' : wireCheckName(code);
}

/**
 * Next Header values where the walk stops with success: what the router hands to an
 * upper-layer handler. 135 (Mobility Header) is an extension header by RFC 6275 §6.1, but
 * it is the last header of every message we accept and the router handles it like an upper
 * layer. 41 (IPv6-in-IPv6) is the tunnel payload. 59 means nothing follows (RFC 8200 §4.7).
 * 50 (ESP) is opaque: everything after its SPI is encrypted.
 */
export function isIpv6UpperLayer(nh: number): boolean {
  switch (nh) {
    case IpProto.Icmpv6:
    case IpProto.Tcp:
    case IpProto.Udp:
    case IpProto.Ipv6:
    case IpProto.Mobility:
    case IpProto.NoNext:
    case IpProto.Esp:
      return true;
    default:
      return false;
  }
}

/**
 * Where a walk ended and which extension headers it passed, owned by the caller and reused
 * for every packet (`walkIpv6Chain` resets it first). Offsets are absolute, into the same
 * `bytes` the walk read; -1 means "not present".
 */
export class Ipv6ChainCursor {
  /** Next Header value the walk stopped at: an upper layer, or the unknown value. */
  upperProto = -1;
  /** Offset where the header named by `upperProto` starts (or would start). */
  upperOff = -1;
  /**
   * Offset of the Next Header byte that holds `upperProto` — in the IPv6 header or in the
   * last extension header walked. On `IPV6_CHAIN_UNKNOWN_NEXT_HEADER`, and on BadField for a
   * misplaced Hop-by-Hop header, it is the byte the Parameter Problem pointer names
   * (pointer = nhFieldOff - IPv6 header offset).
   */
  nhFieldOff = -1;
  /** Hop-by-Hop Options header (always right after the IPv6 header). */
  hbhOff = -1;
  /** First Routing header. */
  routingOff = -1;
  /** First Fragment header. */
  fragmentOff = -1;
  /**
   * Last Destination Options header walked: the one just before the upper layer, where
   * RFC 2473 §4.1 puts the Tunnel Encapsulation Limit option.
   */
  destOptsOff = -1;
  /** First Authentication Header. */
  ahOff = -1;
  /**
   * True when the walk stopped after a Fragment header with a non-zero offset: the bytes at
   * `upperOff` are the middle of the fragmentable part, not a header, and `upperProto` is
   * only what the Fragment header names (RFC 8200 §4.5).
   */
  laterFragment = false;
  /** Number of extension headers walked. */
  count = 0;

  reset(): void {
    this.upperProto = -1;
    this.upperOff = -1;
    this.nhFieldOff = -1;
    this.hbhOff = -1;
    this.routingOff = -1;
    this.fragmentOff = -1;
    this.destOptsOff = -1;
    this.ahOff = -1;
    this.laterFragment = false;
    this.count = 0;
  }
}

/**
 * Walks the extension headers after the IPv6 header at `ipOff`, up to `end` (the packet
 * end, i.e. `Ipv6View.packetEnd()` once the IPv6 view checked Ok), without allocating.
 * Follows Hop-by-Hop (0, only as the first header), Routing (43), Fragment (44),
 * Destination Options (60) and AH (51); stops at an upper layer (`isIpv6UpperLayer`), after a
 * non-first fragment, or at an unknown Next Header. Fills `cur` and returns:
 *  - 0 — `cur.upperProto` / `cur.upperOff` name the upper layer;
 *  - `WireCheck.Truncated` — a header's fixed part or its length runs past `end`
 *    (for a first fragment, RFC 8200 §4.5 requires the whole chain to be present);
 *  - `WireCheck.BadField` — a Hop-by-Hop header anywhere but first (RFC 8200 §4.3);
 *    `cur.nhFieldOff` is the Next Header byte holding the 0;
 *  - `IPV6_CHAIN_UNKNOWN_NEXT_HEADER` — see that constant.
 * Headers are only located, not validated inside (use the views for that).
 */
export function walkIpv6Chain(
  bytes: Uint8Array,
  ipOff: number,
  end: number,
  cur: Ipv6ChainCursor,
): number {
  cur.reset();
  if (end - ipOff < IPV6_HEADER_LEN) return WireCheck.Truncated;
  let nhOff = ipOff + 6;
  let off = ipOff + IPV6_HEADER_LEN;
  for (;;) {
    const nh = bytes[nhOff]!;
    cur.nhFieldOff = nhOff;
    cur.upperProto = nh;
    cur.upperOff = off;
    if (isIpv6UpperLayer(nh)) return WireCheck.Ok;
    const left = end - off;
    let len: number;
    if (nh === IpProto.HopByHop || nh === IpProto.Routing || nh === IpProto.DestOptions) {
      if (nh === IpProto.HopByHop && cur.count !== 0) return WireCheck.BadField;
      if (left < 2) return WireCheck.Truncated;
      len = (bytes[off + 1]! + 1) << 3;
    } else if (nh === IpProto.Fragment) {
      len = FRAG_HEADER_LEN;
    } else if (nh === IpProto.Ah) {
      if (left < 2) return WireCheck.Truncated;
      // RFC 4302 §2.2: Payload Len is the AH length in 4-octet units minus 2.
      len = (bytes[off + 1]! + 2) << 2;
    } else {
      return IPV6_CHAIN_UNKNOWN_NEXT_HEADER;
    }
    if (len > left) return WireCheck.Truncated;
    cur.count++;
    if (nh === IpProto.HopByHop) cur.hbhOff = off;
    else if (nh === IpProto.DestOptions) cur.destOptsOff = off;
    else if (nh === IpProto.Routing) {
      if (cur.routingOff < 0) cur.routingOff = off;
    } else if (nh === IpProto.Ah) {
      if (cur.ahOff < 0) cur.ahOff = off;
    } else {
      if (cur.fragmentOff < 0) cur.fragmentOff = off;
      // Fragment Offset != 0: what follows is not a header (RFC 8200 §4.5).
      if (((bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 3 !== 0) {
        cur.laterFragment = true;
        cur.nhFieldOff = off;
        cur.upperProto = bytes[off]!;
        cur.upperOff = off + len;
        return WireCheck.Ok;
      }
    }
    nhOff = off;
    off += len;
  }
}

// ---------------------------------------------------------------------------------------
// TLV options (Hop-by-Hop and Destination Options), RFC 8200 §4.2
// ---------------------------------------------------------------------------------------

/** Option types we name (RFC 8200 §4.2, RFC 2473 §5.1, RFC 2711, RFC 2675, RFC 6275 §6.3). */
export const Ipv6OptionType = {
  Pad1: 0x00,
  PadN: 0x01,
  TunnelEncapLimit: 0x04,
  RouterAlert: 0x05,
  Jumbo: 0xc2,
  HomeAddress: 0xc9,
} as const;

/**
 * What a node must do with an option type it does not recognise: the two high-order bits of
 * the type (RFC 8200 §4.2).
 */
export const Ipv6OptionAction = {
  /** 00: skip the option and continue. */
  Skip: 0,
  /** 01: discard the packet. */
  Discard: 1,
  /** 10: discard and send ICMPv6 Parameter Problem code 2 pointing at the type. */
  DiscardSendIcmp: 2,
  /** 11: as 10, but only when the destination was not multicast. */
  DiscardSendIcmpUnlessMulticast: 3,
} as const;

/** The action bits of an option type (`Ipv6OptionAction`). */
export function ipv6OptionAction(type: number): number {
  return (type >>> 6) & 3;
}

/** Third-highest bit of the type: the option data may change en route (RFC 8200 §4.2). */
export function ipv6OptionMayChange(type: number): boolean {
  return (type & 0x20) !== 0;
}

/**
 * 0 when the TLVs in bytes[off, end) tile the region exactly, else
 * `WireCheck.OptionOverrun` (an option, or its type/length pair, runs past `end`).
 */
export function checkIpv6Options(bytes: Uint8Array, off: number, end: number): number {
  let p = off;
  while (p < end) {
    if (bytes[p] === Ipv6OptionType.Pad1) {
      p++;
      continue;
    }
    if (end - p < 2) return WireCheck.OptionOverrun;
    p += 2 + bytes[p + 1]!;
    if (p > end) return WireCheck.OptionOverrun;
  }
  return WireCheck.Ok;
}

/**
 * Offset of the first option of `type` in the TLVs at bytes[off, end), or -1 when absent or
 * when the TLVs are malformed before it. Allocation-free.
 */
export function findIpv6Option(bytes: Uint8Array, off: number, end: number, type: number): number {
  let p = off;
  while (p < end) {
    const t = bytes[p]!;
    if (t === Ipv6OptionType.Pad1) {
      p++;
      continue;
    }
    if (end - p < 2) return -1;
    const next = p + 2 + bytes[p + 1]!;
    if (next > end) return -1;
    if (t === type) return p;
    p = next;
  }
  return -1;
}

/**
 * Allocation-free walk over the TLV options of one options header; one instance is reused
 * for every packet. Pad1 and PadN are skipped; every other option, known or not, is
 * yielded so the caller can apply `ipv6OptionAction` to the unknown ones.
 *
 * ```ts
 * cur.reset(v.bytes, v.optionsOffset(), v.optionsEnd());
 * while (cur.next()) if (cur.type === Ipv6OptionType.TunnelEncapLimit) limit = v.bytes[cur.dataOff];
 * if (cur.error !== 0) drop(cur.error);
 * ```
 */
export class Ipv6OptionCursor {
  bytes: Uint8Array = EMPTY;
  /** Offset of the option's Type byte. */
  off = -1;
  type = -1;
  /** Offset and length of the option data (after Type and Opt Data Len). */
  dataOff = -1;
  dataLen = 0;
  /** 0, or `WireCheck.OptionOverrun` when the walk stopped on a malformed option. */
  error = 0;
  private pos = 0;
  private limit = 0;

  /** Starts a walk over bytes[off, end) — the options area of one header. */
  reset(bytes: Uint8Array, off: number, end: number): this {
    this.bytes = bytes;
    this.pos = off;
    this.limit = end;
    this.off = -1;
    this.type = -1;
    this.dataOff = -1;
    this.dataLen = 0;
    this.error = 0;
    return this;
  }

  /** Moves to the next non-padding option; false at the end or on error (see `error`). */
  next(): boolean {
    const b = this.bytes;
    const end = this.limit;
    let p = this.pos;
    while (p < end) {
      const t = b[p]!;
      if (t === Ipv6OptionType.Pad1) {
        p++;
        continue;
      }
      if (end - p < 2) break;
      const dlen = b[p + 1]!;
      const next = p + 2 + dlen;
      if (next > end) break;
      this.pos = next;
      if (t === Ipv6OptionType.PadN) {
        p = next;
        continue;
      }
      this.off = p;
      this.type = t;
      this.dataOff = p + 2;
      this.dataLen = dlen;
      return true;
    }
    this.pos = end;
    this.off = -1;
    this.type = -1;
    this.dataOff = -1;
    this.dataLen = 0;
    if (p < end) this.error = WireCheck.OptionOverrun;
    return false;
  }
}

const OF = { NXT: 0, LEN: 1, OPTS: 2 } as const;
/** Field offsets of an options header. */
export const IPV6_OPTIONS_FIELDS = OF;

/** Read-only surface of a Hop-by-Hop or Destination Options header view. */
export interface Ipv6OptionsReader {
  readonly off: number;
  nextHeader(): number;
  hdrExtLen(): number;
  /** (Hdr Ext Len + 1) * 8. */
  headerLength(): number;
  optionsOffset(): number;
  /** One past the header's last byte. */
  optionsEnd(): number;
}

/**
 * View of a Hop-by-Hop Options (RFC 8200 §4.3) or Destination Options (§4.6) header: the
 * two share one format; the preceding Next Header says which it is. Implements `HeaderView`.
 */
export class Ipv6OptionsView implements HeaderView, Ipv6OptionsReader {
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
   * Ok when the header fits in [off, end) and its TLVs tile it exactly (else
   * Truncated / OptionOverrun). Voided by `setHdrExtLen`.
   */
  check(): number {
    const left = this.end - this.off;
    if (left < 2) return WireCheck.Truncated;
    const len = this.headerLength();
    if (len > left) return WireCheck.Truncated;
    return checkIpv6Options(this.bytes, this.off + OF.OPTS, this.off + len);
  }

  nextHeader(): number {
    return this.bytes[this.off + OF.NXT]!;
  }
  hdrExtLen(): number {
    return this.bytes[this.off + OF.LEN]!;
  }
  headerLength(): number {
    return (this.bytes[this.off + OF.LEN]! + 1) << 3;
  }
  optionsOffset(): number {
    return this.off + OF.OPTS;
  }
  optionsEnd(): number {
    return this.off + this.headerLength();
  }

  setNextHeader(v: number): void {
    this.bytes[this.off + OF.NXT] = v;
  }
  /** Voids `check()`. */
  setHdrExtLen(v: number): void {
    this.bytes[this.off + OF.LEN] = v;
  }
}

/** One option of an options header: its type and data (Pad1/PadN never appear here). */
export interface Ipv6Option {
  type: number;
  data: Uint8Array;
}

/** The meaning of a Hop-by-Hop or Destination Options header. */
export interface Ipv6OptionsRepr {
  nextHeader: number;
  /** In wire order, without padding; `emit` inserts Pad1/PadN. */
  options: Ipv6Option[];
}

/**
 * Alignment `xn+y` (RFC 8200 §4.2) of the option types whose RFCs require one, as
 * [x, y]; [1, 0] for none (RFC 2473 §5.1 sets none for the Tunnel Encapsulation Limit).
 */
function optionAlignment(type: number): readonly [number, number] {
  switch (type) {
    case Ipv6OptionType.RouterAlert:
      return [2, 0]; // RFC 2711 §2.1
    case Ipv6OptionType.Jumbo:
      return [4, 2]; // RFC 2675 §2
    case Ipv6OptionType.HomeAddress:
      return [8, 6]; // RFC 6275 §6.3
    default:
      return [1, 0];
  }
}

/** Bytes of padding before an option placed at header offset `pos`. */
function alignPad(pos: number, type: number): number {
  const [x, y] = optionAlignment(type);
  return (((y - pos) % x) + x) % x;
}

function optionsHeaderLen(r: Ipv6OptionsRepr): number {
  let pos: number = OF.OPTS;
  for (const o of r.options) pos += alignPad(pos, o.type) + 2 + o.data.length;
  return (pos + 7) & ~7;
}

/** Writes `n` bytes of padding at `p`: Pad1 for one byte, PadN otherwise (RFC 8200 §4.2). */
function writePad(bytes: Uint8Array, p: number, n: number): void {
  if (n === 0) return;
  if (n === 1) {
    bytes[p] = Ipv6OptionType.Pad1;
    return;
  }
  bytes[p] = Ipv6OptionType.PadN;
  bytes[p + 1] = n - 2;
  for (let i = 2; i < n; i++) bytes[p + i] = 0;
}

/**
 * Codec of an options header. `parse` drops Pad1/PadN; `emit` places each option at its
 * RFC alignment and pads the header to a multiple of 8 octets with Pad1/PadN.
 */
export const Ipv6Options: ReprCodec<Ipv6OptionsRepr, Ipv6OptionsView> = {
  bufferLen: optionsHeaderLen,
  parse(v) {
    ensureOk('ipv6-options', v.check());
    const options: Ipv6Option[] = [];
    const cur = new Ipv6OptionCursor().reset(v.bytes, v.optionsOffset(), v.optionsEnd());
    while (cur.next()) {
      options.push({
        type: cur.type,
        data: copyOut(v.bytes, cur.dataOff, cur.dataOff + cur.dataLen),
      });
    }
    return { nextHeader: v.nextHeader(), options };
  },
  emit(r, v) {
    const total = optionsHeaderLen(r);
    if (total > MAX_EXT_LEN) throw new WireError('ipv6-options', WireCheck.BadLength, `${total}`);
    const b = v.bytes;
    v.setNextHeader(r.nextHeader);
    v.setHdrExtLen((total >>> 3) - 1);
    let pos: number = OF.OPTS;
    for (const o of r.options) {
      if (o.data.length > 255) throw new WireError('ipv6-option', WireCheck.BadLength);
      const pad = alignPad(pos, o.type);
      writePad(b, v.off + pos, pad);
      pos += pad;
      b[v.off + pos] = o.type;
      b[v.off + pos + 1] = o.data.length;
      b.set(o.data, v.off + pos + 2);
      pos += 2 + o.data.length;
    }
    writePad(b, v.off + pos, total - pos);
  },
};

const OPTION_NAMES = new Map<number, string>([
  [Ipv6OptionType.TunnelEncapLimit, 'tunnel-encap-limit'],
  [Ipv6OptionType.RouterAlert, 'router-alert'],
  [Ipv6OptionType.Jumbo, 'jumbo'],
  [Ipv6OptionType.HomeAddress, 'home-address'],
]);

function hexOf(d: Uint8Array): string {
  let s = '';
  for (const x of d) s += x.toString(16).padStart(2, '0');
  return s;
}

/** One-line text form: `nh ipv6, options [tunnel-encap-limit 04, 0x3e 0102]`. */
export function formatIpv6Options(r: Ipv6OptionsRepr): string {
  const opts = r.options.map((o) => {
    const name = OPTION_NAMES.get(o.type) ?? `0x${o.type.toString(16).padStart(2, '0')}`;
    return o.data.length > 0 ? `${name} ${hexOf(o.data)}` : name;
  });
  return `nh ${ipProtoName(r.nextHeader)}, options [${opts.join(', ')}]`;
}

// ---------------------------------------------------------------------------------------
// Tunnel Encapsulation Limit option, RFC 2473 §5.1
// ---------------------------------------------------------------------------------------

const TF = { TYPE: 0, LEN: 1, LIMIT: 2 } as const;
/** Length of the option including Type and Opt Data Len. */
export const TUNNEL_ENCAP_LIMIT_LEN = 3;
/** Field offsets of the option. */
export const TUNNEL_ENCAP_LIMIT_FIELDS = TF;

/** View of a Tunnel Encapsulation Limit option (its Type byte at `off`). */
export class TunnelEncapLimitView implements HeaderView {
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

  /** Ok for type 4 with Opt Data Len 1 (RFC 2473 §5.1); WrongType / BadLength otherwise. */
  check(): number {
    if (this.end - this.off < TUNNEL_ENCAP_LIMIT_LEN) return WireCheck.Truncated;
    if (this.bytes[this.off + TF.TYPE] !== Ipv6OptionType.TunnelEncapLimit) {
      return WireCheck.WrongType;
    }
    if (this.bytes[this.off + TF.LEN] !== 1) return WireCheck.BadLength;
    return WireCheck.Ok;
  }

  optionType(): number {
    return this.bytes[this.off + TF.TYPE]!;
  }
  optDataLen(): number {
    return this.bytes[this.off + TF.LEN]!;
  }
  /** How many further levels of encapsulation the packet may receive. */
  limit(): number {
    return this.bytes[this.off + TF.LIMIT]!;
  }

  /** Writes the type (4) and Opt Data Len (1). */
  setTypeAndLength(): void {
    this.bytes[this.off + TF.TYPE] = Ipv6OptionType.TunnelEncapLimit;
    this.bytes[this.off + TF.LEN] = 1;
  }
  setLimit(v: number): void {
    this.bytes[this.off + TF.LIMIT] = v;
  }
}

export interface TunnelEncapLimitRepr {
  limit: number;
}

export const TunnelEncapLimit: ReprCodec<TunnelEncapLimitRepr, TunnelEncapLimitView> = {
  bufferLen: () => TUNNEL_ENCAP_LIMIT_LEN,
  parse(v) {
    ensureOk('tunnel-encap-limit', v.check());
    return { limit: v.limit() };
  },
  emit(r, v) {
    v.setTypeAndLength();
    v.setLimit(r.limit);
  },
};

// ---------------------------------------------------------------------------------------
// Fragment header, RFC 8200 §4.5
// ---------------------------------------------------------------------------------------

const FF = { NXT: 0, RES: 1, OFFM: 2, ID: 4 } as const;
/** Length of the Fragment header. */
export const FRAG_HEADER_LEN = 8;
/** Field offsets of the Fragment header. */
export const IPV6_FRAGMENT_FIELDS = FF;

/** Read-only surface of a Fragment header view. */
export interface Ipv6FragmentReader {
  readonly off: number;
  nextHeader(): number;
  fragmentOffset(): number;
  moreFragments(): boolean;
  identification(): number;
}

/** View of a Fragment header. Implements `HeaderView`. */
export class Ipv6FragmentView implements HeaderView, Ipv6FragmentReader {
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

  /** Ok when the 8 bytes are present. No setter voids it. */
  check(): number {
    if (this.end - this.off < FRAG_HEADER_LEN) return WireCheck.Truncated;
    return WireCheck.Ok;
  }

  nextHeader(): number {
    return this.bytes[this.off + FF.NXT]!;
  }
  /** Fragment Offset in 8-octet units. */
  fragmentOffset(): number {
    return this.dv.getUint16(this.off + FF.OFFM) >>> 3;
  }
  /** The M flag: more fragments follow. */
  moreFragments(): boolean {
    return (this.bytes[this.off + FF.OFFM + 1]! & 1) === 1;
  }
  identification(): number {
    return this.dv.getUint32(this.off + FF.ID);
  }

  setNextHeader(v: number): void {
    this.bytes[this.off + FF.NXT] = v;
  }
  /** Writes Reserved (0), Fragment Offset (8-octet units), Res (0) and M. */
  setOffsetAndMore(fragmentOffset: number, more: boolean): void {
    this.bytes[this.off + FF.RES] = 0;
    this.dv.setUint16(this.off + FF.OFFM, ((fragmentOffset & 0x1fff) << 3) | (more ? 1 : 0));
  }
  setIdentification(v: number): void {
    this.dv.setUint32(this.off + FF.ID, v >>> 0);
  }
}

export interface Ipv6FragmentRepr {
  nextHeader: number;
  /** In 8-octet units. */
  fragmentOffset: number;
  moreFragments: boolean;
  identification: number;
}

export const Ipv6Fragment: ReprCodec<Ipv6FragmentRepr, Ipv6FragmentView> = {
  bufferLen: () => FRAG_HEADER_LEN,
  parse(v) {
    ensureOk('ipv6-fragment', v.check());
    return {
      nextHeader: v.nextHeader(),
      fragmentOffset: v.fragmentOffset(),
      moreFragments: v.moreFragments(),
      identification: v.identification(),
    };
  },
  emit(r, v) {
    v.setNextHeader(r.nextHeader);
    v.setOffsetAndMore(r.fragmentOffset, r.moreFragments);
    v.setIdentification(r.identification);
  },
};

/** One-line text form: `fragment id 0x12345678 offset 0 M, nh destoptions`. */
export function formatIpv6Fragment(r: Ipv6FragmentRepr): string {
  const id = r.identification.toString(16).padStart(8, '0');
  return (
    `fragment id 0x${id} offset ${r.fragmentOffset}${r.moreFragments ? ' M' : ''}, ` +
    `nh ${ipProtoName(r.nextHeader)}`
  );
}

// ---------------------------------------------------------------------------------------
// Routing header (fixed part), RFC 8200 §4.4
// ---------------------------------------------------------------------------------------

const RF = { NXT: 0, LEN: 1, TYPE: 2, SEGS: 3, DATA: 4 } as const;
/** Field offsets of the Routing header. */
export const IPV6_ROUTING_FIELDS = RF;

/** Routing Type values (IANA; type 0 deprecated by RFC 5095). */
export const Ipv6RoutingType = {
  SourceRoute: 0,
  /** RFC 6275 §6.4: Type 2, carries the mobile node's home address. */
  MobileIpv6: 2,
  Rpl: 3,
  SegmentRouting: 4,
} as const;

/** Read-only surface of a Routing header view. */
export interface Ipv6RoutingReader {
  readonly off: number;
  nextHeader(): number;
  hdrExtLen(): number;
  headerLength(): number;
  routingType(): number;
  segmentsLeft(): number;
  dataOffset(): number;
}

/**
 * View of a Routing header's fixed part; the type-specific data starts at `dataOffset()`.
 * RFC 8200 §4.4: an unrecognised type with Segments Left 0 is ignored, with Segments Left
 * non-zero the packet gets Parameter Problem code 0 pointing at the Routing Type.
 * Implements `HeaderView`.
 */
export class Ipv6RoutingView implements HeaderView, Ipv6RoutingReader {
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

  /** Ok when the whole header, (Hdr Ext Len + 1) * 8 bytes, fits. Voided by `setHdrExtLen`. */
  check(): number {
    const left = this.end - this.off;
    if (left < 2) return WireCheck.Truncated;
    if (this.headerLength() > left) return WireCheck.Truncated;
    return WireCheck.Ok;
  }

  nextHeader(): number {
    return this.bytes[this.off + RF.NXT]!;
  }
  hdrExtLen(): number {
    return this.bytes[this.off + RF.LEN]!;
  }
  headerLength(): number {
    return (this.bytes[this.off + RF.LEN]! + 1) << 3;
  }
  routingType(): number {
    return this.bytes[this.off + RF.TYPE]!;
  }
  segmentsLeft(): number {
    return this.bytes[this.off + RF.SEGS]!;
  }
  dataOffset(): number {
    return this.off + RF.DATA;
  }

  setNextHeader(v: number): void {
    this.bytes[this.off + RF.NXT] = v;
  }
  /** Voids `check()`. */
  setHdrExtLen(v: number): void {
    this.bytes[this.off + RF.LEN] = v;
  }
  setRoutingType(v: number): void {
    this.bytes[this.off + RF.TYPE] = v;
  }
  setSegmentsLeft(v: number): void {
    this.bytes[this.off + RF.SEGS] = v;
  }
}

export interface Ipv6RoutingRepr {
  nextHeader: number;
  routingType: number;
  segmentsLeft: number;
  /** Type-specific data: header bytes 4 .. end (4 + data.length must be a multiple of 8). */
  data: Uint8Array;
}

export const Ipv6Routing: ReprCodec<Ipv6RoutingRepr, Ipv6RoutingView> = {
  bufferLen: (r) => RF.DATA + r.data.length,
  parse(v) {
    ensureOk('ipv6-routing', v.check());
    return {
      nextHeader: v.nextHeader(),
      routingType: v.routingType(),
      segmentsLeft: v.segmentsLeft(),
      data: copyOut(v.bytes, v.dataOffset(), v.off + v.headerLength()),
    };
  },
  emit(r, v) {
    const total = RF.DATA + r.data.length;
    if ((total & 7) !== 0 || total > MAX_EXT_LEN) {
      throw new WireError('ipv6-routing', WireCheck.BadLength, `${total} bytes`);
    }
    v.setNextHeader(r.nextHeader);
    v.setHdrExtLen((total >>> 3) - 1);
    v.setRoutingType(r.routingType);
    v.setSegmentsLeft(r.segmentsLeft);
    v.bytes.set(r.data, v.dataOffset());
  },
};

/** One-line text form: `routing type 2, segments left 1, 20 data bytes, nh mobility`. */
export function formatIpv6Routing(r: Ipv6RoutingRepr): string {
  return (
    `routing type ${r.routingType}, segments left ${r.segmentsLeft}, ` +
    `${r.data.length} data bytes, nh ${ipProtoName(r.nextHeader)}`
  );
}
