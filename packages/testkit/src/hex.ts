/**
 * Hex vectors for tests, written the way packet diagrams are read.
 *
 * Tokens are separated by whitespace; `//` starts a comment that runs to the end of the line.
 * A token is one of:
 *   - hex digits (any even count): `60`, `0000`, `fd000100`
 *   - a MAC address: `02:00:00:00:00:0a` (6 bytes)
 *   - an IPv6 address: `fe80::1`, `2001:db8::` (16 bytes)
 *
 * ```ts
 * const ra = hex`86 00 2f20   // type, code, checksum
 *                40 08 0708   // cur hop limit, flags (Prf high), router lifetime 1800`;
 * ```
 */
export function hex(strings: TemplateStringsArray | string, ...values: unknown[]): Uint8Array {
  const text =
    typeof strings === 'string'
      ? strings
      : strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const out: number[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\/\/.*$/, '');
    for (const token of line.split(/\s+/)) {
      if (token === '') continue;
      if (MAC_RE.test(token)) {
        for (const part of token.split(':')) out.push(parseInt(part, 16));
      } else if (token.includes(':')) {
        out.push(...parseIpv6(token));
      } else {
        if (!/^([0-9a-fA-F]{2})+$/.test(token)) {
          throw new Error(`hex: bad token ${JSON.stringify(token)}`);
        }
        for (let i = 0; i < token.length; i += 2) out.push(parseInt(token.slice(i, i + 2), 16));
      }
    }
  }
  return Uint8Array.from(out);
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** Parses an IPv6 address in any RFC 4291 §2.2 text form except embedded IPv4. */
export function parseIpv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`parseIpv6: more than one '::' in ${text}`);
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const groups = halves.length === 2 ? head.length + tail.length : head.length;
  if (halves.length === 1 && groups !== 8) throw new Error(`parseIpv6: need 8 groups in ${text}`);
  if (groups > 8 || (halves.length === 2 && groups > 7)) {
    throw new Error(`parseIpv6: too many groups in ${text}`);
  }
  const put = (g: string, i: number): void => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`parseIpv6: bad group ${g} in ${text}`);
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  };
  head.forEach((g, i) => put(g, i));
  tail.forEach((g, i) => put(g, 8 - tail.length + i));
  return out;
}

/** Parses `aa:bb:cc:dd:ee:ff`. */
export function parseMac(text: string): Uint8Array {
  if (!MAC_RE.test(text)) throw new Error(`parseMac: bad MAC ${text}`);
  return Uint8Array.from(text.split(':').map((p) => parseInt(p, 16)));
}

/** Lower-case hex without separators, for messages and snapshots. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
