/**
 * @dmm/plugin-mag — the Mobile Access Gateway of Proxy Mobile IPv6 (RFC 5213 §6) as a
 * dmm-router plugin. dmmd loads it from `plugins[]`; the package exports it as `plugin`.
 *
 * ```ts
 * import { tunnelPlugin } from '@dmm/tunnel';
 * import { ndraPlugin } from '@dmm/ndra';
 * import { magPlugin } from '@dmm/plugin-mag';
 * await router.plugins.load(ndraPlugin, {});
 * await router.plugins.load(tunnelPlugin, {});
 * await router.plugins.load(magPlugin, {
 *   address: 'fd00:100::11', lma: 'fd00:100::1', accessInterfaces: ['acc0'],
 *   mobileNodes: { profiles: [{ id: 'mn1@example.net', mac: '02:00:00:00:0a:01' }] },
 * });
 * ```
 */
export * from './config.js';
export * from './mac-table.js';
export * from './attach-node.js';
export * from './mag.js';
export * from './tokens.js';
export * from './plugin.js';
export { magPlugin as plugin } from './plugin.js';
