/**
 * The Internet checksum (RFC 1071) and the IPv6 upper-layer pseudo-header (RFC 8200 §8.1),
 * used by ICMPv6 (RFC 4443 §2.3), UDP (RFC 768) and the Mobility Header (RFC 6275 §6.1.1).
 *
 * Sums are kept unfolded in a JS number (exact up to 2^53, far beyond any packet) and
 * folded once at the end.
 */

/** Adds the big-endian 16-bit words of bytes[off, off+len) to `acc`; an odd tail byte is padded with zero. */
export function onesSum(bytes: Uint8Array, off: number, len: number, acc = 0): number {
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) acc += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) acc += bytes[i]! << 8;
  return acc;
}

/** Folds a running sum to 16 bits. */
export function foldSum(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** One's complement of the folded sum: the value to store in a checksum field. */
export function finishChecksum(acc: number): number {
  return ~foldSum(acc) & 0xffff;
}

/**
 * Sum of the IPv6 pseudo-header: source, destination, upper-layer length (32 bits),
 * three zero bytes and the next header value (RFC 8200 §8.1).
 */
export function pseudoHeaderSum(
  srcBytes: Uint8Array,
  srcOff: number,
  dstBytes: Uint8Array,
  dstOff: number,
  upperLayerLength: number,
  nextHeader: number,
): number {
  let acc = onesSum(srcBytes, srcOff, 16);
  acc = onesSum(dstBytes, dstOff, 16, acc);
  acc += Math.floor(upperLayerLength / 0x10000) + (upperLayerLength & 0xffff);
  acc += nextHeader;
  return acc;
}

/**
 * Checksum over an upper-layer message that follows an IPv6 header in the same buffer.
 * `ip6Off` is the IPv6 header, `l4Off`/`l4Len` the message with its checksum field
 * zeroed (or included, when verifying: a correct message then yields 0).
 */
export function upperLayerChecksum(
  bytes: Uint8Array,
  ip6Off: number,
  l4Off: number,
  l4Len: number,
  nextHeader: number,
): number {
  const acc = pseudoHeaderSum(bytes, ip6Off + 8, bytes, ip6Off + 24, l4Len, nextHeader);
  return finishChecksum(onesSum(bytes, l4Off, l4Len, acc));
}
