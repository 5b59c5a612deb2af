/**
 * zod schemas for the values config files are made of, parsing text into bytes with the
 * messages people need ("not an IPv6 prefix (ADDR/LEN): …").
 */
import { z } from 'zod';
import { parseIpv6Address, parseIpv6Prefix, parseMacAddress, type Ipv6Prefix } from './ip.js';

function fromText<T>(parse: (s: string) => T) {
  return z.string().transform((s, ctx) => {
    try {
      return parse(s);
    } catch (e) {
      ctx.issues.push({ code: 'custom', message: (e as Error).message, input: s });
      return z.NEVER;
    }
  });
}

/** `2001:db8::1` → 16 bytes. */
export const zIpv6Address = fromText(parseIpv6Address);
/** `2001:db8:1::/48` → prefix (host bits must be zero). */
export const zIpv6Prefix = fromText<Ipv6Prefix>((s) => parseIpv6Prefix(s, true));
/** `2001:db8:1::1/64` → address and on-link prefix length. */
export const zIpv6Interface = fromText<Ipv6Prefix>((s) => parseIpv6Prefix(s, false));
/** `02:00:00:00:00:01` → 6 bytes. */
export const zMac = fromText(parseMacAddress);
/** An interface or namespace name (Linux IFNAMSIZ: at most 15 bytes). */
export const zIfName = z
  .string()
  .min(1)
  .max(15)
  .regex(/^[^\s/:]+$/, 'interface names have no spaces, slashes or colons');
