/**
 * Neighbor Discovery messages — RFC 4861 §4.1 Router Solicitation, §4.2 Router
 * Advertisement, §4.3 Neighbor Solicitation, §4.4 Neighbor Advertisement, §4.5 Redirect;
 * validity rules of §6.1.1, §6.1.2, §7.1.1, §7.1.2, §8.1 that need only the message itself.
 * RA flags: M, O (RFC 4861), H (RFC 6275 §7.1), Prf (RFC 4191 §2.2), P (RFC 4389 §4.1.3.3).
 *
 * ```
 * Every message: Type | Code (0) | Checksum (ICMPv6, RFC 4443 §2.3) | ...
 *
 * RS  (133)  +4 Reserved(32)                                               +8  options
 * RA  (134)  +4 Cur Hop Limit | M O H Prf(2) P res(2) | Router Lifetime(16)
 *            +8 Reachable Time(32)  +12 Retrans Timer(32)                  +16 options
 * NS  (135)  +4 Reserved(32)  +8 Target Address(128)                       +24 options
 * NA  (136)  +4 R S O Reserved(29)  +8 Target Address(128)                 +24 options
 * Redirect (137) +4 Reserved(32) +8 Target Address +24 Destination Address +40 options
 * ```
 *
 * The views extend `Icmpv6View` (checksum helpers included). Their `check()` covers what the
 * message alone can prove: length, type, code 0, well-formed options (RFC 4861 §4.6: a zero
 * Length is invalid), and for NS/NA/Redirect a non-multicast target/destination. Hop limit
 * 255, source address rules and the checksum need the IPv6 header and are the caller's.
 * Codecs emit the checksum as 0 (call `fillChecksum` afterwards) and options in the order
 * given.
 */
import { WireCheck } from './check.js';
import { ensureOk } from './errors.js';
import { copy16, copyIpv6, formatIpv6, ipv6Equals, isIpv6Multicast } from './address.js';
import { Icmpv6View } from './icmpv6.js';
import {
  checkNdOptions,
  emitNdOptions,
  formatNdOption,
  ndOptionsLen,
  parseNdOptions,
  routerPreferenceName,
  type NdOption,
} from './ndisc-option.js';
import { Icmpv6Type } from './proto.js';
import type { ReprCodec } from './view.js';

/** Fixed lengths (options start there). */
export const ND_RS_LEN = 8;
export const ND_RA_LEN = 16;
export const ND_NS_LEN = 24;
export const ND_NA_LEN = 24;
export const ND_REDIRECT_LEN = 40;

/** RA flag bits of byte 5 (RFC 4861 §4.2, RFC 6275 §7.1, RFC 4191 §2.2, RFC 4389). */
export const RA_FLAG_M = 0x80;
export const RA_FLAG_O = 0x40;
export const RA_FLAG_H = 0x20;
export const RA_PRF_MASK = 0x18;
export const RA_FLAG_P = 0x04;
/** NA flag bits of byte 4 (RFC 4861 §4.4). */
export const NA_FLAG_R = 0x80;
export const NA_FLAG_S = 0x40;
export const NA_FLAG_O = 0x20;

/** Field offsets for assertBytes layouts and in-place code. */
export const ND_FIELDS = {
  CUR_HOP_LIMIT: 4,
  RA_FLAGS: 5,
  ROUTER_LIFETIME: 6,
  REACHABLE_TIME: 8,
  RETRANS_TIMER: 12,
  NA_FLAGS: 4,
  TARGET: 8,
  REDIRECT_DST: 24,
} as const;

function checkNd(v: Icmpv6View, type: number, fixedLen: number): number {
  const b = v.bytes;
  if (v.end - v.off < fixedLen) return WireCheck.Truncated;
  if (b[v.off] !== type) return WireCheck.WrongType;
  if (b[v.off + 1] !== 0) return WireCheck.BadField;
  return checkNdOptions(b, v.off + fixedLen, v.end);
}

/** Router Solicitation view (type 133). */
export class RouterSolicitView extends Icmpv6View {
  /** Ok per RFC 4861 §6.1.1 (message-only rules). */
  override check(): number {
    return checkNd(this, Icmpv6Type.RouterSolicitation, ND_RS_LEN);
  }
  optionsOffset(): number {
    return this.off + ND_RS_LEN;
  }
}

/** Router Advertisement view (type 134). */
export class RouterAdvertView extends Icmpv6View {
  /** Ok per RFC 4861 §6.1.2 (message-only rules). */
  override check(): number {
    return checkNd(this, Icmpv6Type.RouterAdvertisement, ND_RA_LEN);
  }
  optionsOffset(): number {
    return this.off + ND_RA_LEN;
  }
  curHopLimit(): number {
    return this.bytes[this.off + 4]!;
  }
  flagsByte(): number {
    return this.bytes[this.off + 5]!;
  }
  managed(): boolean {
    return (this.bytes[this.off + 5]! & RA_FLAG_M) !== 0;
  }
  other(): boolean {
    return (this.bytes[this.off + 5]! & RA_FLAG_O) !== 0;
  }
  homeAgent(): boolean {
    return (this.bytes[this.off + 5]! & RA_FLAG_H) !== 0;
  }
  /** Default Router Preference; the reserved 0b10 reads as Medium (RFC 4191 §2.2). */
  prf(): number {
    const p = (this.bytes[this.off + 5]! & RA_PRF_MASK) >>> 3;
    return p === 2 ? 0 : p;
  }
  proxy(): boolean {
    return (this.bytes[this.off + 5]! & RA_FLAG_P) !== 0;
  }
  routerLifetime(): number {
    return this.dv.getUint16(this.off + 6);
  }
  reachableTime(): number {
    return this.dv.getUint32(this.off + 8);
  }
  retransTimer(): number {
    return this.dv.getUint32(this.off + 12);
  }

  setCurHopLimit(v: number): void {
    this.bytes[this.off + 4] = v;
  }
  /** Writes the whole flags byte (reserved bits included). */
  setFlagsByte(v: number): void {
    this.bytes[this.off + 5] = v;
  }
  setManaged(on: boolean): void {
    this.setBit(RA_FLAG_M, on);
  }
  setOther(on: boolean): void {
    this.setBit(RA_FLAG_O, on);
  }
  setHomeAgent(on: boolean): void {
    this.setBit(RA_FLAG_H, on);
  }
  setPrf(prf: number): void {
    const b = this.bytes[this.off + 5]! & ~RA_PRF_MASK;
    this.bytes[this.off + 5] = b | ((prf & 3) << 3);
  }
  setProxy(on: boolean): void {
    this.setBit(RA_FLAG_P, on);
  }
  setRouterLifetime(v: number): void {
    this.dv.setUint16(this.off + 6, v);
  }
  setReachableTime(v: number): void {
    this.dv.setUint32(this.off + 8, v >>> 0);
  }
  setRetransTimer(v: number): void {
    this.dv.setUint32(this.off + 12, v >>> 0);
  }
  private setBit(mask: number, on: boolean): void {
    const b = this.bytes[this.off + 5]!;
    this.bytes[this.off + 5] = on ? b | mask : b & ~mask;
  }
}

/** Shared by NS, NA and Redirect: the Target Address at +8. */
export class NdTargetView extends Icmpv6View {
  targetOffset(): number {
    return this.off + 8;
  }
  targetEquals(addr: Uint8Array, addrOff = 0): boolean {
    return ipv6Equals(this.bytes, this.off + 8, addr, addrOff);
  }
  copyTargetInto(out: Uint8Array, outOff = 0): void {
    copy16(this.bytes, this.off + 8, out, outOff);
  }
  setTarget(addr: Uint8Array, addrOff = 0): void {
    copy16(addr, addrOff, this.bytes, this.off + 8);
  }
}

/** Neighbor Solicitation view (type 135). */
export class NeighborSolicitView extends NdTargetView {
  /** Ok per RFC 4861 §7.1.1 (message-only rules: the target is not multicast). */
  override check(): number {
    const r = checkNd(this, Icmpv6Type.NeighborSolicitation, ND_NS_LEN);
    if (r !== 0) return r;
    return isIpv6Multicast(this.bytes, this.off + 8) ? WireCheck.BadField : WireCheck.Ok;
  }
  optionsOffset(): number {
    return this.off + ND_NS_LEN;
  }
}

/** Neighbor Advertisement view (type 136). */
export class NeighborAdvertView extends NdTargetView {
  /** Ok per RFC 4861 §7.1.2 (message-only rules: the target is not multicast). */
  override check(): number {
    const r = checkNd(this, Icmpv6Type.NeighborAdvertisement, ND_NA_LEN);
    if (r !== 0) return r;
    return isIpv6Multicast(this.bytes, this.off + 8) ? WireCheck.BadField : WireCheck.Ok;
  }
  optionsOffset(): number {
    return this.off + ND_NA_LEN;
  }
  router(): boolean {
    return (this.bytes[this.off + 4]! & NA_FLAG_R) !== 0;
  }
  solicited(): boolean {
    return (this.bytes[this.off + 4]! & NA_FLAG_S) !== 0;
  }
  override(): boolean {
    return (this.bytes[this.off + 4]! & NA_FLAG_O) !== 0;
  }
  /** Writes R, S, O and zeroes the 29 reserved bits. */
  setFlags(router: boolean, solicited: boolean, override: boolean): void {
    const f = (router ? NA_FLAG_R : 0) | (solicited ? NA_FLAG_S : 0) | (override ? NA_FLAG_O : 0);
    this.dv.setUint32(this.off + 4, (f << 24) >>> 0);
  }
}

/** Redirect view (type 137). */
export class RedirectView extends NdTargetView {
  /** Ok per RFC 4861 §8.1 (message-only rules: the destination is not multicast). */
  override check(): number {
    const r = checkNd(this, Icmpv6Type.Redirect, ND_REDIRECT_LEN);
    if (r !== 0) return r;
    return isIpv6Multicast(this.bytes, this.off + 24) ? WireCheck.BadField : WireCheck.Ok;
  }
  optionsOffset(): number {
    return this.off + ND_REDIRECT_LEN;
  }
  destinationOffset(): number {
    return this.off + 24;
  }
  destinationEquals(addr: Uint8Array, addrOff = 0): boolean {
    return ipv6Equals(this.bytes, this.off + 24, addr, addrOff);
  }
  copyDestinationInto(out: Uint8Array, outOff = 0): void {
    copy16(this.bytes, this.off + 24, out, outOff);
  }
  setDestination(addr: Uint8Array, addrOff = 0): void {
    copy16(addr, addrOff, this.bytes, this.off + 24);
  }
}

// ---------------------------------------------------------------------------------------
// Reprs and codecs
// ---------------------------------------------------------------------------------------

export interface RouterSolicitRepr {
  options: NdOption[];
}

export interface RouterAdvertRepr {
  curHopLimit: number;
  managed: boolean;
  other: boolean;
  homeAgent: boolean;
  /** `RouterPreference`; never 0b10 (parse reads it as Medium, RFC 4191 §2.2). */
  prf: number;
  proxy: boolean;
  /** Seconds; 0 = not a default router (then Prf is Medium on the wire, RFC 4191 §2.2). */
  routerLifetime: number;
  /** Milliseconds. */
  reachableTime: number;
  /** Milliseconds. */
  retransTimer: number;
  options: NdOption[];
}

export interface NeighborSolicitRepr {
  target: Uint8Array;
  options: NdOption[];
}

export interface NeighborAdvertRepr {
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: Uint8Array;
  options: NdOption[];
}

export interface RedirectRepr {
  target: Uint8Array;
  destination: Uint8Array;
  options: NdOption[];
}

/** Writes Type, Code 0 and a zero checksum. */
function emitHead(v: Icmpv6View, type: number): void {
  v.setType(type);
  v.setCode(0);
  v.setChecksum(0);
}

export const RouterSolicit: ReprCodec<RouterSolicitRepr, RouterSolicitView> = {
  bufferLen: (r) => ND_RS_LEN + ndOptionsLen(r.options),
  parse(v) {
    ensureOk('nd-rs', v.check());
    return { options: parseNdOptions(v.bytes, v.dv, v.optionsOffset(), v.end) };
  },
  emit(r, v) {
    emitHead(v, Icmpv6Type.RouterSolicitation);
    v.setBodyWord(0);
    emitNdOptions(r.options, v.bytes, v.dv, v.optionsOffset());
  },
};

/**
 * RA codec. RFC 4191 §2.2: with a Router Lifetime of 0 the Prf is sent as Medium and
 * ignored on receipt, so both directions force it to Medium then.
 */
export const RouterAdvert: ReprCodec<RouterAdvertRepr, RouterAdvertView> = {
  bufferLen: (r) => ND_RA_LEN + ndOptionsLen(r.options),
  parse(v) {
    ensureOk('nd-ra', v.check());
    const lifetime = v.routerLifetime();
    return {
      curHopLimit: v.curHopLimit(),
      managed: v.managed(),
      other: v.other(),
      homeAgent: v.homeAgent(),
      prf: lifetime === 0 ? 0 : v.prf(),
      proxy: v.proxy(),
      routerLifetime: lifetime,
      reachableTime: v.reachableTime(),
      retransTimer: v.retransTimer(),
      options: parseNdOptions(v.bytes, v.dv, v.optionsOffset(), v.end),
    };
  },
  emit(r, v) {
    emitHead(v, Icmpv6Type.RouterAdvertisement);
    v.setCurHopLimit(r.curHopLimit);
    v.setFlagsByte(0);
    v.setManaged(r.managed);
    v.setOther(r.other);
    v.setHomeAgent(r.homeAgent);
    v.setPrf(r.routerLifetime === 0 ? 0 : r.prf);
    v.setProxy(r.proxy);
    v.setRouterLifetime(r.routerLifetime);
    v.setReachableTime(r.reachableTime);
    v.setRetransTimer(r.retransTimer);
    emitNdOptions(r.options, v.bytes, v.dv, v.optionsOffset());
  },
};

export const NeighborSolicit: ReprCodec<NeighborSolicitRepr, NeighborSolicitView> = {
  bufferLen: (r) => ND_NS_LEN + ndOptionsLen(r.options),
  parse(v) {
    ensureOk('nd-ns', v.check());
    return {
      target: copyIpv6(v.bytes, v.targetOffset()),
      options: parseNdOptions(v.bytes, v.dv, v.optionsOffset(), v.end),
    };
  },
  emit(r, v) {
    emitHead(v, Icmpv6Type.NeighborSolicitation);
    v.setBodyWord(0);
    v.setTarget(r.target);
    emitNdOptions(r.options, v.bytes, v.dv, v.optionsOffset());
  },
};

export const NeighborAdvert: ReprCodec<NeighborAdvertRepr, NeighborAdvertView> = {
  bufferLen: (r) => ND_NA_LEN + ndOptionsLen(r.options),
  parse(v) {
    ensureOk('nd-na', v.check());
    return {
      router: v.router(),
      solicited: v.solicited(),
      override: v.override(),
      target: copyIpv6(v.bytes, v.targetOffset()),
      options: parseNdOptions(v.bytes, v.dv, v.optionsOffset(), v.end),
    };
  },
  emit(r, v) {
    emitHead(v, Icmpv6Type.NeighborAdvertisement);
    v.setFlags(r.router, r.solicited, r.override);
    v.setTarget(r.target);
    emitNdOptions(r.options, v.bytes, v.dv, v.optionsOffset());
  },
};

export const Redirect: ReprCodec<RedirectRepr, RedirectView> = {
  bufferLen: (r) => ND_REDIRECT_LEN + ndOptionsLen(r.options),
  parse(v) {
    ensureOk('nd-redirect', v.check());
    return {
      target: copyIpv6(v.bytes, v.targetOffset()),
      destination: copyIpv6(v.bytes, v.destinationOffset()),
      options: parseNdOptions(v.bytes, v.dv, v.optionsOffset(), v.end),
    };
  },
  emit(r, v) {
    emitHead(v, Icmpv6Type.Redirect);
    v.setBodyWord(0);
    v.setTarget(r.target);
    v.setDestination(r.destination);
    emitNdOptions(r.options, v.bytes, v.dv, v.optionsOffset());
  },
};

function optionsText(options: readonly NdOption[]): string {
  return options.length === 0 ? '' : `; ${options.map(formatNdOption).join('; ')}`;
}

/** `router-solicitation; source-lla 02:00:00:00:00:01`. */
export function formatRouterSolicit(r: RouterSolicitRepr): string {
  return `router-solicitation${optionsText(r.options)}`;
}

/**
 * `router-advertisement hlim 64 MOP prf high lifetime 1800 reachable 0 retrans 0; mtu 1500`
 * (flags letters M, O, H, P; none printed when clear).
 */
export function formatRouterAdvert(r: RouterAdvertRepr): string {
  const flags =
    (r.managed ? 'M' : '') + (r.other ? 'O' : '') + (r.homeAgent ? 'H' : '') + (r.proxy ? 'P' : '');
  return (
    `router-advertisement hlim ${r.curHopLimit}${flags ? ` ${flags}` : ''}` +
    ` prf ${routerPreferenceName(r.prf)} lifetime ${r.routerLifetime}` +
    ` reachable ${r.reachableTime} retrans ${r.retransTimer}${optionsText(r.options)}`
  );
}

/** `neighbor-solicitation who has fe80::1; source-lla ...`. */
export function formatNeighborSolicit(r: NeighborSolicitRepr): string {
  return `neighbor-solicitation who has ${formatIpv6(r.target)}${optionsText(r.options)}`;
}

/** `neighbor-advertisement fe80::1 RSO; target-lla ...`. */
export function formatNeighborAdvert(r: NeighborAdvertRepr): string {
  const flags = (r.router ? 'R' : '') + (r.solicited ? 'S' : '') + (r.override ? 'O' : '');
  return (
    `neighbor-advertisement ${formatIpv6(r.target)}${flags ? ` ${flags}` : ''}` +
    optionsText(r.options)
  );
}

/** `redirect 2001:db8:ffff::1 to fe80::2; target-lla ...`. */
export function formatRedirect(r: RedirectRepr): string {
  return (
    `redirect ${formatIpv6(r.destination)} to ${formatIpv6(r.target)}` + optionsText(r.options)
  );
}
