/**
 * Checks and copies of what callers hand to a store, shared by every backend so that they
 * accept and refuse exactly the same values (draft-bernardos-dmm-distributed-anchoring §4.1,
 * §4.3.3–§4.3.6 for what a prefix, a DLIF link-local and a DLIF link-layer address are).
 */
import { formatIpv6Prefix, type Ipv6Prefix } from '@dmm/core';
import { ContextError, ContextErrorCode } from './errors.js';
import type { AnchorInfo, PrefixDelegation, PrefixRecord } from './types.js';

function invalid(message: string, details: Record<string, unknown> = {}): ContextError {
  return new ContextError(ContextErrorCode.Invalid, message, details);
}

/** MN-IDs: an NAI (RFC 4282) or any other stable key, at most 512 characters. */
export function checkMnId(mnId: unknown): string {
  if (typeof mnId !== 'string' || mnId.length === 0 || mnId.length > 512) {
    throw invalid(`a node's MN-ID is a string of 1 to 512 characters, got ${String(mnId)}`);
  }
  return mnId;
}

/** D-GW identifiers and operator names: 1 to 255 characters. */
export function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw invalid(`${what} is a string of 1 to 255 characters, got ${String(name)}`);
  }
  return name;
}

function checkBytes(what: string, v: unknown, min: number, max: number): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length < min || v.length > max) {
    const len = v instanceof Uint8Array ? `${v.length} bytes` : typeof v;
    throw invalid(`${what} must be ${min === max ? min : `${min} to ${max}`} bytes, got ${len}`);
  }
  return new Uint8Array(v);
}

/** A node's MAC: 6 bytes (Ethernet), copied. */
export function checkMac(mac: unknown): Uint8Array {
  return checkBytes("a node's MAC", mac, 6, 6);
}

/** A prefix: 16 bytes, length 1–128, no bits set past the length; copied. */
export function checkPrefix(what: string, p: unknown): Ipv6Prefix {
  const v = p as Partial<Ipv6Prefix> | null;
  if (v === null || typeof v !== 'object') throw invalid(`${what} is missing`);
  const prefix = checkBytes(what, v.prefix, 16, 16);
  const len = v.prefixLen;
  if (typeof len !== 'number' || !Number.isInteger(len) || len < 1 || len > 128) {
    throw invalid(`${what} length must be 1 to 128, got ${String(len)}`);
  }
  for (let bit = len; bit < 128; bit++) {
    if ((prefix[bit >> 3]! >> (7 - (bit & 7))) & 1) {
      throw invalid(`${what} ${formatIpv6Prefix(prefix, len)} has bits set past /${len}`);
    }
  }
  return { prefix, prefixLen: len };
}

/** A lifetime in ms: a positive integer, or Infinity. */
export function checkLifetime(ms: unknown): number {
  if (ms === Infinity) return ms;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) {
    throw invalid(`a lifetime is a positive whole number of ms or Infinity, got ${String(ms)}`);
  }
  return ms;
}

function checkAnchor(a: unknown): AnchorInfo {
  const v = a as Partial<AnchorInfo> | null;
  if (v === null || typeof v !== 'object') throw invalid('the anchor is missing');
  const address = checkBytes("the anchor's address", v.address, 16, 16);
  // the anchor's address is where PBUs go and where the tunnel ends: a unicast address
  if (address[0] === 0xff || address.every((b) => b === 0)) {
    throw invalid("the anchor's address must be a unicast address");
  }
  return {
    dgwId: checkName("the anchor's D-GW id", v.dgwId),
    address,
    operator: checkName("the anchor's operator", v.operator),
  };
}

/** A checked deep copy of a delegation. */
export function checkDelegation(d: unknown): Required<PrefixDelegation> {
  const v = d as Partial<PrefixDelegation> | null;
  if (v === null || typeof v !== 'object') throw invalid('the delegation is missing');
  const prefix = checkPrefix('the delegated prefix', v.prefix);
  // RFC 4861 §4.6: a link-layer address of the link's own length; Ethernet's is 6 bytes
  const dlifMac = checkBytes("the DLIF's link-layer address", v.dlifMac, 1, 32);
  const dlifLinkLocal = checkBytes("the DLIF's link-local address", v.dlifLinkLocal, 16, 16);
  // fe80::/10 (RFC 4291 §2.5.6): the DLIF impersonates the anchor's link-local router address
  if (dlifLinkLocal[0] !== 0xfe || (dlifLinkLocal[1]! & 0xc0) !== 0x80) {
    throw invalid("the DLIF's link-local address must be in fe80::/10");
  }
  const locals = v.localNetworks ?? [];
  if (!Array.isArray(locals)) throw invalid('local networks must be a list of prefixes');
  const localNetworks = locals.map((p) => checkPrefix('a local network', p));
  const seen = new Set<string>();
  for (const p of localNetworks) {
    const k = prefixKey(p.prefix, p.prefixLen);
    if (seen.has(k))
      throw invalid(`local network ${formatIpv6Prefix(p.prefix, p.prefixLen)} is listed twice`);
    seen.add(k);
  }
  return {
    prefix,
    anchor: checkAnchor(v.anchor),
    dlifMac,
    dlifLinkLocal,
    localNetworks,
    lifetimeMs: checkLifetime(v.lifetimeMs),
  };
}

/** The map key of a prefix: hex of its 16 bytes, `/`, the length. */
export function prefixKey(prefix: Uint8Array, prefixLen: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += prefix[i]!.toString(16).padStart(2, '0');
  return `${s}/${prefixLen}`;
}

/** Unsigned byte-wise comparison (SQLite's BLOB order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const utf8 = new TextEncoder();
/** Comparison of the UTF-8 bytes of two strings (SQLite's BINARY collation of TEXT). */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return compareBytes(utf8.encode(a), utf8.encode(b));
}

/** The order of a node's prefixes: delegation time, then prefix bytes, then length. */
export function comparePrefixRecords(a: PrefixRecord, b: PrefixRecord): number {
  return (
    a.delegatedAt - b.delegatedAt || compareBytes(a.prefix, b.prefix) || a.prefixLen - b.prefixLen
  );
}

/** A deep copy of a prefix. */
export function copyPrefix(p: Ipv6Prefix): Ipv6Prefix {
  return { prefix: new Uint8Array(p.prefix), prefixLen: p.prefixLen };
}

/** A deep copy of a record (stores never hand out their own arrays). */
export function copyRecord(r: PrefixRecord): PrefixRecord {
  return {
    ...r,
    prefix: new Uint8Array(r.prefix),
    anchor: { ...r.anchor, address: new Uint8Array(r.anchor.address) },
    dlifMac: new Uint8Array(r.dlifMac),
    dlifLinkLocal: new Uint8Array(r.dlifLinkLocal),
    localNetworks: r.localNetworks.map(copyPrefix),
  };
}

/** Arguments of `changes(afterSeq, limit)`. */
export function checkChangeQuery(afterSeq: unknown, limit: unknown): void {
  if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0) {
    throw invalid(`a change sequence number is a whole number ≥ 0, got ${String(afterSeq)}`);
  }
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > 100_000) {
    throw invalid(`a change batch limit is 1 to 100000, got ${String(limit)}`);
  }
}
