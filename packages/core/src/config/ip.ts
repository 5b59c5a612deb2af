/**
 * Text forms of IPv6 addresses and prefixes at the edges (config files, the control API,
 * logs), through ip6addr. Never used per packet: the data path compares bytes in place.
 */
import { createRequire } from 'node:module';
import { formatIpv6, formatMac } from '@dmm/wire';

interface Ip6Addr {
  kind(): 'ipv4' | 'ipv6';
  toString(opts?: {
    format?: 'auto' | 'v4' | 'v4-mapped' | 'v6';
    zeroElide?: boolean;
    zeroPad?: boolean;
  }): string;
  toBuffer(buf?: Uint8Array): Uint8Array;
}
interface Ip6Cidr {
  address(): Ip6Addr;
  prefixLength(): number;
  contains(a: string | Ip6Addr): boolean;
  toString(): string;
}
interface Ip6AddrModule {
  parse(input: string): Ip6Addr;
  createCIDR(cidr: string, plen?: number): Ip6Cidr;
}

const ip6addr = createRequire(import.meta.url)('ip6addr') as Ip6AddrModule;

/** Parses an IPv6 address (16 bytes); throws an Error with a readable message. */
export function parseIpv6Address(text: string): Uint8Array {
  if (typeof text !== 'string' || text.includes('/'))
    throw new Error(`not an IPv6 address: ${String(text)}`);
  let a: Ip6Addr;
  try {
    a = ip6addr.parse(text);
  } catch {
    throw new Error(`not an IPv6 address: ${text}`);
  }
  if (a.kind() !== 'ipv6') throw new Error(`${text} is IPv4; only IPv6 is supported`);
  return Uint8Array.from(a.toBuffer());
}

/** An address or prefix with its length. */
export interface Ipv6Prefix {
  prefix: Uint8Array;
  prefixLen: number;
}

/**
 * Parses `ADDR/LEN`. With `strict` (routes, pools) bits past LEN must be zero, as
 * `ip -6 route` requires; without (interface addresses) the host bits are the address.
 */
export function parseIpv6Prefix(text: string, strict: boolean): Ipv6Prefix {
  const m = typeof text === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(text) : null;
  if (!m) throw new Error(`not an IPv6 prefix (ADDR/LEN): ${String(text)}`);
  const prefixLen = Number(m[2]);
  if (prefixLen > 128) throw new Error(`prefix length ${prefixLen} is more than 128 in ${text}`);
  const prefix = parseIpv6Address(m[1]!);
  if (strict) {
    for (let bit = prefixLen; bit < 128; bit++) {
      if ((prefix[bit >> 3]! >> (7 - (bit & 7))) & 1) {
        throw new Error(
          `${text} has bits set past /${prefixLen} (did you mean ${formatIpv6Prefix(mask(prefix, prefixLen), prefixLen)}?)`,
        );
      }
    }
  }
  return { prefix, prefixLen };
}

/**
 * RFC 5952 text of 16 address bytes. Printed by @dmm/wire's formatter, not ip6addr's:
 * ip6addr compresses a lone zero group, which RFC 5952 §4.2.2 forbids and which would
 * make our output differ from `ip -6`'s.
 */
export function formatIpv6Address(bytes: Uint8Array, off = 0): string {
  return formatIpv6(bytes, off);
}

/** `ADDR/LEN`. */
export function formatIpv6Prefix(prefix: Uint8Array, prefixLen: number): string {
  return `${formatIpv6Address(prefix)}/${prefixLen}`;
}

/** True when `addr` lies inside `prefix/len`. */
export function prefixContains(prefix: Uint8Array, prefixLen: number, addr: Uint8Array): boolean {
  return ip6addr.createCIDR(formatIpv6Address(prefix), prefixLen).contains(formatIpv6Address(addr));
}

/** True when two prefixes share any address (one contains the other's network). */
export function prefixesOverlap(a: Ipv6Prefix, b: Ipv6Prefix): boolean {
  const shorter = a.prefixLen <= b.prefixLen ? a : b;
  const longer = shorter === a ? b : a;
  return prefixContains(shorter.prefix, shorter.prefixLen, longer.prefix);
}

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separators). */
export function parseMacAddress(text: string): Uint8Array {
  const m = typeof text === 'string' ? /^([0-9a-f]{2})([:-][0-9a-f]{2}){5}$/i.exec(text) : null;
  if (!m) throw new Error(`not a MAC address (aa:bb:cc:dd:ee:ff): ${String(text)}`);
  return Uint8Array.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
}

export function formatMacAddress(mac: Uint8Array): string {
  return formatMac(mac, 0);
}

function mask(p: Uint8Array, len: number): Uint8Array {
  const out = Uint8Array.from(p);
  for (let bit = len; bit < 128; bit++) out[bit >> 3]! &= ~(1 << (7 - (bit & 7)));
  return out;
}
