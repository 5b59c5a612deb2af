/**
 * @dmm/ndra — Neighbor Discovery (RFC 4861: cache, NS/NA, NUD), Duplicate Address Detection
 * (RFC 4862 §5.4) and Router Advertisements (RFC 4861 §6.2, RFC 4191, RFC 8106) for
 * dmm-router, as the `ndra` plugin.
 *
 * ```ts
 * import { MemoryDevice, Router, parseIpv6Address } from '@dmm/core';
 * import { ndraPlugin, RA_SERVICE } from '@dmm/ndra';
 * const router = new Router({ name: 'r1' });
 * const lan0 = router.addInterface({ name: 'lan0', device: new MemoryDevice() });
 * router.addAddress(lan0, parseIpv6Address('2001:db8:1::1'), 64);
 * await router.plugins.load(ndraPlugin, {
 *   interfaces: { lan0: { ra: { maxInterval: 30, prefixes: [{ prefix: '2001:db8:1::/64' }] } } },
 * });
 * await router.start();
 * router.container.resolve(RA_SERVICE).send('lan0');   // one RA now
 * ```
 */
export * from './config.js';
export * from './constants.js';
export * from './plugin.js';
export * from './tokens.js';
export * from './nd-service.js';
export {
  type RaService,
  type RaSendOptions,
  type RaPrefix,
  type RaRoute,
  type RaDnsServers,
  type RaStatus,
  type SolicitationHandler,
  ND_RA_COUNTERS,
} from './ra-sender.js';
export { ND_CACHE_COUNTERS, NaResult, type NeighborCacheParams } from './neighbor-cache.js';
export { AddrState, ADDR_STATE_NAMES, ND_DAD_COUNTERS, type DuplicateListener } from './dad.js';
export {
  NdNode,
  ND_NS_INPUT,
  ND_NA_INPUT,
  ND_RS_INPUT,
  ND_RA_INPUT,
  ND_REDIRECT_INPUT,
} from './nd-input.js';
export { TimerWheel, type IntervalTimers } from './timer-wheel.js';
export { ndCounters } from './commands.js';
