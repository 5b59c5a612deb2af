/**
 * @dmm/plugin-lma — the Local Mobility Anchor of Proxy Mobile IPv6 (RFC 5213 §5) as a
 * dmm-router plugin. dmmd loads it from `plugins[]`; the package exports it as `plugin`.
 *
 * ```ts
 * import { tunnelPlugin } from '@dmm/tunnel';
 * import { lmaPlugin, LMA_SERVICE } from '@dmm/plugin-lma';
 * await router.plugins.load(tunnelPlugin, {});
 * await router.plugins.load(lmaPlugin, {
 *   address: 'fd00:100::1', hnpPool: '2001:db8:100::/48', mags: ['fd00:100::11'],
 *   mobileNodes: { default: 'allow' },
 * });
 * ```
 */
export * from './config.js';
export * from './hnp-pool.js';
export * from './lma.js';
export * from './tokens.js';
export * from './plugin.js';
export { lmaPlugin as plugin } from './plugin.js';
