/**
 * Protocol constants of RFC 4861 §10 (router, node) and RFC 4862 §5.1, in milliseconds
 * where they are times. The node constants that a router may tune (REACHABLE_TIME,
 * RETRANS_TIMER, DELAY_FIRST_PROBE_TIME, MAX_*CAST_SOLICIT) come from the config instead.
 */

/** RFC 4861 §10: MAX_INITIAL_RTR_ADVERT_INTERVAL (16 s). */
export const MAX_INITIAL_RTR_ADVERT_INTERVAL = 16_000;
/** RFC 4861 §10: MAX_INITIAL_RTR_ADVERTISEMENTS. */
export const MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
/** RFC 4861 §10: MAX_FINAL_RTR_ADVERTISEMENTS (we send one, at stop). */
export const MAX_FINAL_RTR_ADVERTISEMENTS = 3;
/** RFC 4861 §10: MIN_DELAY_BETWEEN_RAS (3 s). */
export const MIN_DELAY_BETWEEN_RAS = 3_000;
/** RFC 4861 §10: MAX_RA_DELAY_TIME (0.5 s). */
export const MAX_RA_DELAY_TIME = 500;
/** RFC 4861 §10: MIN_RANDOM_FACTOR / MAX_RANDOM_FACTOR for ReachableTime (§6.3.2). */
export const MIN_RANDOM_FACTOR = 0.5;
export const MAX_RANDOM_FACTOR = 1.5;
/** RFC 4862 §5.1: DupAddrDetectTransmits default. */
export const DUP_ADDR_DETECT_TRANSMITS = 1;
/** RFC 4861 §6.3.2: re-randomise ReachableTime "at least every few hours". */
export const REACHABLE_TIME_RECOMPUTE = 2 * 3600_000;
/**
 * A STALE entry nobody used for this long is removed (RFC 4861 §7.3.3 leaves garbage
 * collection to the implementation; the next packet simply resolves again).
 */
export const STALE_GC_TIME = 20 * 60_000;
/** Solicitations remembered for one delayed solicited RA before falling back to multicast. */
export const MAX_PENDING_SOLICITERS = 16;
/** Hop limit of every Neighbor Discovery message (RFC 4861 §6.1, §7.1, §8.1). */
export const ND_HOP_LIMIT = 255;

/** ff02::1 (all-nodes, RFC 4291 §2.7.1). */
export const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
/** ff02::2 (all-routers). */
export const ALL_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
/** :: */
export const UNSPECIFIED = new Uint8Array(16);
