/**
 * Binding Update sequence numbers (RFC 6275 §9.5.1): 16-bit, compared modulo 2^16 — `a`
 * is newer than `b` when (a − b) mod 2^16 is in 1 … 2^15 − 1.
 */
export function sequenceNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

/** The sequence number after `s`. */
export function nextSequence(s: number): number {
  return (s + 1) & 0xffff;
}
