/**
 * In-place helpers for 16-byte IPv6 addresses and 6-byte MAC addresses (RFC 4291).
 * They read the bytes where they are; nothing is copied unless a function says so.
 * Text forms are for logs, traces and tests, never for the per-packet path.
 */

export const IPV6_ADDR_LEN = 16;
export const MAC_LEN = 6;

/** True when the 16 bytes at `a[aOff]` equal those at `b[bOff]`. */
export function ipv6Equals(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < 16; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** True when the 6 bytes at `a[aOff]` equal those at `b[bOff]`. */
export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  return (
    a[aOff] === b[bOff] &&
    a[aOff + 1] === b[bOff + 1] &&
    a[aOff + 2] === b[bOff + 2] &&
    a[aOff + 3] === b[bOff + 3] &&
    a[aOff + 4] === b[bOff + 4] &&
    a[aOff + 5] === b[bOff + 5]
  );
}

/** ff00::/8 (RFC 4291 §2.7). */
export function isIpv6Multicast(bytes: Uint8Array, off: number): boolean {
  return bytes[off] === 0xff;
}

/** fe80::/10 (RFC 4291 §2.5.6). */
export function isIpv6LinkLocal(bytes: Uint8Array, off: number): boolean {
  return bytes[off] === 0xfe && (bytes[off + 1]! & 0xc0) === 0x80;
}

/** :: (RFC 4291 §2.5.2). */
export function isIpv6Unspecified(bytes: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (bytes[off + i] !== 0) return false;
  return true;
}

/** True when the first `prefixLen` bits at `a[aOff]` and `b[bOff]` agree. */
export function ipv6PrefixMatches(
  a: Uint8Array,
  aOff: number,
  b: Uint8Array,
  bOff: number,
  prefixLen: number,
): boolean {
  const full = prefixLen >>> 3;
  for (let i = 0; i < full; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  const rest = prefixLen & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[aOff + full]! ^ b[bOff + full]!) & mask) === 0;
}

/** Group (multicast) bit of a MAC address (IEEE 802, first octet bit 0). */
export function isMacMulticast(bytes: Uint8Array, off: number): boolean {
  return (bytes[off]! & 1) === 1;
}

/** Copies 16 bytes between arrays without allocating (no subarray); regions may be the same array. */
export function copy16(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  if (src === dst) {
    dst.copyWithin(dstOff, srcOff, srcOff + 16);
    return;
  }
  for (let i = 0; i < 16; i++) dst[dstOff + i] = src[srcOff + i]!;
}

/** Copies 6 bytes between arrays without allocating. */
export function copy6(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  if (src === dst) {
    dst.copyWithin(dstOff, srcOff, srcOff + 6);
    return;
  }
  for (let i = 0; i < 6; i++) dst[dstOff + i] = src[srcOff + i]!;
}

/**
 * Copies 16 bytes out into a new, independent array (control plane: storing an address).
 * Not `slice`: on a Node Buffer that returns a view of the same memory.
 */
export function copyIpv6(bytes: Uint8Array, off: number): Uint8Array {
  const out = new Uint8Array(16);
  copy16(bytes, off, out, 0);
  return out;
}

/** Copies 6 bytes out into a new, independent array. */
export function copyMac(bytes: Uint8Array, off: number): Uint8Array {
  const out = new Uint8Array(6);
  copy6(bytes, off, out, 0);
  return out;
}

/** RFC 5952 text form of the 16 bytes at `off` (lower case, longest zero run compressed). */
export function formatIpv6(bytes: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = g.map((x) => x.toString(16));
  if (bestStart < 0) return hexes.join(':');
  const head = hexes.slice(0, bestStart).join(':');
  const tail = hexes.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** `aa:bb:cc:dd:ee:ff` text form of the 6 bytes at `off`. */
export function formatMac(bytes: Uint8Array, off = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(bytes[off + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

/**
 * Modified EUI-64 interface identifier of a MAC (RFC 4291 Appendix A), written into
 * `out[outOff + 8 .. +16)`: the MAC with ff:fe in the middle and the U/L bit inverted.
 */
export function writeEui64InterfaceId(
  mac: Uint8Array,
  macOff: number,
  out: Uint8Array,
  outOff: number,
): void {
  out[outOff + 8] = mac[macOff]! ^ 0x02;
  out[outOff + 9] = mac[macOff + 1]!;
  out[outOff + 10] = mac[macOff + 2]!;
  out[outOff + 11] = 0xff;
  out[outOff + 12] = 0xfe;
  out[outOff + 13] = mac[macOff + 3]!;
  out[outOff + 14] = mac[macOff + 4]!;
  out[outOff + 15] = mac[macOff + 5]!;
}

/** The fe80::/64 link-local address built from a MAC's modified EUI-64 (RFC 4862 §5.3). */
export function linkLocalFromMac(mac: Uint8Array, macOff = 0): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  writeEui64InterfaceId(mac, macOff, out, 0);
  return out;
}

/** Solicited-node multicast address ff02::1:ffXX:XXXX of a unicast address (RFC 4291 §2.7.1). */
export function solicitedNodeMulticast(addr: Uint8Array, addrOff = 0): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[11] = 0x01;
  out[12] = 0xff;
  out[13] = addr[addrOff + 13]!;
  out[14] = addr[addrOff + 14]!;
  out[15] = addr[addrOff + 15]!;
  return out;
}

/** Ethernet multicast MAC 33:33:xx:xx:xx:xx for an IPv6 multicast address (RFC 2464 §7). */
export function multicastMacFor(
  addr: Uint8Array,
  addrOff: number,
  out: Uint8Array,
  outOff: number,
): void {
  out[outOff] = 0x33;
  out[outOff + 1] = 0x33;
  out[outOff + 2] = addr[addrOff + 12]!;
  out[outOff + 3] = addr[addrOff + 13]!;
  out[outOff + 4] = addr[addrOff + 14]!;
  out[outOff + 5] = addr[addrOff + 15]!;
}
