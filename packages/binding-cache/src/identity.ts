/**
 * Who a binding is for, and how two registrations are ordered.
 *
 * - The Mobile Node Identifier (RFC 4283 §3, RFC 5213 §8.6 and §5.1): the same value types
 *   the wire package parses (`findMnId(pbu)` can be passed straight in), an NAI string or
 *   raw bytes with their subtype. `mnIdKey` turns one into the string the caches index by.
 * - The MN link-layer identifier (RFC 5213 §8.6): opaque bytes; empty when the PBU had none.
 * - Sequence numbers compared modulo 2^16 (RFC 6275 §9.5.1) and the 64-bit timestamps of
 *   RFC 5213 §5.5/§8.8, kept as two numbers (48-bit seconds since 1970 and a 16-bit
 *   fraction in 1/65536 s): exactly the form of the wire Timestamp option, exact in a
 *   float64, and no allocation per entry. All-zero means "no timestamp" (RFC 5213 §5.1).
 */
import { MnIdSubtype, type MobilityOptionOf } from '@dmm/wire';

/** A Mobile Node Identifier: `{ kind: 'mn-id', nai }` or `{ kind: 'mn-id-other', subtype, identifier }`. */
export type MnIdentifier = MobilityOptionOf<'mn-id'> | MobilityOptionOf<'mn-id-other'>;

/** The NAI form (RFC 4283 subtype 1), e.g. `mnIdNai('mn1@example.net')`. */
export function mnIdNai(nai: string): MnIdentifier {
  return { kind: 'mn-id', nai };
}

/** Any other subtype (IMSI, EUI-48, …) as bytes. */
export function mnIdBytes(subtype: number, identifier: Uint8Array): MnIdentifier {
  return { kind: 'mn-id-other', subtype, identifier: Uint8Array.from(identifier) };
}

/**
 * The index key of an MN-ID: the NAI itself (so NAI-keyed caches share the string), or NUL,
 * the subtype and the hex bytes for other subtypes (an NAI never contains NUL, RFC 4282).
 */
export function mnIdKey(id: MnIdentifier): string {
  if (id.kind === 'mn-id') return id.nai;
  return `\u0000${id.subtype}:${hexOf(id.identifier)}`;
}

const SUBTYPE_NAMES = new Map<number, string>(
  Object.entries(MnIdSubtype).map(([k, v]) => [v, k.toLowerCase()]),
);

/** Text for people: the NAI, or `imsi:0123…` / `subtype-9:ab…` for the byte forms. */
export function formatMnId(id: MnIdentifier): string {
  if (id.kind === 'mn-id') return id.nai;
  const name = SUBTYPE_NAMES.get(id.subtype) ?? `subtype-${id.subtype}`;
  return `${name}:${hexOf(id.identifier)}`;
}

/** Deep copy (the caches never keep a caller's bytes). */
export function copyMnId(id: MnIdentifier): MnIdentifier {
  return id.kind === 'mn-id'
    ? { kind: 'mn-id', nai: id.nai }
    : mnIdBytes(id.subtype, id.identifier);
}

/** The link-layer identifier of a PBU without an MN-LLI option. */
export const NO_LINK_LAYER_ID: Uint8Array = new Uint8Array(0);

/** Colon-separated hex of a link-layer identifier (`02:00:00:00:00:01`), or null when empty. */
export function formatLinkLayerId(lli: Uint8Array): string | null {
  if (lli.length === 0) return null;
  return Array.from(lli, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** True when two byte strings are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when sequence number `a` is newer than `b`: (a − b) mod 2^16 in 1 … 2^15 − 1 (RFC 6275 §9.5.1). */
export function isSequenceNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d >= 1 && d < 0x8000;
}

/** −1, 0 or 1 as timestamp (s1, f1) is older than, equal to or newer than (s2, f2) (RFC 5213 §5.5). */
export function compareTimestamps(s1: number, f1: number, s2: number, f2: number): number {
  if (s1 !== s2) return s1 < s2 ? -1 : 1;
  if (f1 !== f2) return f1 < f2 ? -1 : 1;
  return 0;
}

/** Seconds as a number (`seconds + fraction / 65536`), or null for the all-zero timestamp. */
export function timestampValue(seconds: number, fraction: number): number | null {
  return seconds === 0 && fraction === 0 ? null : seconds + fraction / 65536;
}

function hexOf(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}
