/**
 * @dmm/binding-cache — the binding state of PMIPv6 (RFC 5213 §5.1, §6.1 on top of
 * RFC 6275 §9.1, §11.1), shared by the MAG, LMA, D-GW and inter-operator LMA plugins:
 * Binding Cache Entries and Binding Update List entries, their indexes (MN-ID, exact and
 * longest-match prefix, Proxy-CoA / LMA address), their timers on one heap per table
 * driven by an injectable clock, and typed events. No packets and no I/O.
 *
 * ```ts
 * import { BindingCache, mnIdNai, driveTimers } from '@dmm/binding-cache';
 * const cache = new BindingCache({ variables: { MinDelayBeforeBCEDelete: 10_000 } });
 * cache.events.on('bce:removed', (e, reason) => log.info({ mn: e.mnKey, reason }, 'binding gone'));
 * const e = cache.create({
 *   mnId: mnIdNai('mn1@example.net'),
 *   prefixes: [{ prefix: hnp, prefixLen: 64 }],
 *   proxyCoa: magAddress,
 *   lifetimeMs: 3_600_000,
 * });
 * cache.lookupByAddress(pb.bytes, pb.l3 + 24);   // → e.id for any address in the HNP
 * const driver = driveTimers([cache], ctx.timers, cache.clock);
 * ```
 */
export * from './clock.js';
export * from './timer-queue.js';
export * from './timer-driver.js';
export * from './variables.js';
export * from './identity.js';
export * from './dgw.js';
export * from './binding-cache.js';
export * from './binding-update-list.js';
export * from './snapshot.js';
export type { IndexSizes } from './store.js';
