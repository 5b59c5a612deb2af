/**
 * RFC 5213 §5.5 timestamps: the Timestamp option (§8.8) carries a 64-bit time — 48 bits
 * of seconds since 1970-01-01 UTC and 16 bits of 1/65536 s — and the LMA orders PBUs by
 * it (TimestampBasedApproachInUse, the default). Here a timestamp is a number of
 * milliseconds since 1970 (exact to 1/65536 s after a round trip through the option).
 */
import { timestampFromMs, timestampToMs, type MobilityOption } from '@dmm/wire';

/** The Timestamp option for `ms` milliseconds since 1970. */
export function timestampOption(ms: number): MobilityOption {
  const { seconds, fraction } = timestampFromMs(ms);
  return { kind: 'timestamp', seconds, fraction };
}

/** Milliseconds since 1970 of a Timestamp option. */
export function timestampMs(o: { seconds: number; fraction: number }): number {
  return timestampToMs(o.seconds, o.fraction);
}

/**
 * RFC 5213 §5.5 check at the LMA: `ok`, `mismatch` (outside ±TimestampValidityWindow of
 * our clock: status 156) or `stale` (older than the last accepted PBU: status 157).
 * With `equalIsStale` a timestamp equal to the last accepted one is stale too: §5.5 asks
 * for a timestamp *higher* than the one in the Binding Cache entry, which is what turns
 * a replayed PBU (same timestamp, resent by an attacker or duplicated in the network)
 * into status 157 rather than a second acceptance.
 */
export function checkTimestamp(
  pbuMs: number,
  nowMs: number,
  windowMs: number,
  lastAcceptedMs: number | null,
  equalIsStale = false,
): 'ok' | 'mismatch' | 'stale' {
  if (Math.abs(pbuMs - nowMs) > windowMs) return 'mismatch';
  if (lastAcceptedMs !== null) {
    if (pbuMs < lastAcceptedMs) return 'stale';
    if (equalIsStale && pbuMs === lastAcceptedMs) return 'stale';
  }
  return 'ok';
}
