/**
 * @dmm/plugin-dgw — distributed gateways (draft-bernardos-dmm-distributed-anchoring-02 §3–4,
 * RFC 8885's option numbers) as a dmm-router plugin: per node and per prefix a plain access
 * router, a MAG or an LMA, with DLIFs, D-flag PBU/PBA, tunnels, source routing and the
 * shared mobility context store. dmmd loads it from `plugins[]`; the package exports it as
 * `plugin`. The design is docs/dgw.md.
 *
 * ```ts
 * import { ndraPlugin } from '@dmm/ndra';
 * import { tunnelPlugin } from '@dmm/tunnel';
 * import { dlifPlugin } from '@dmm/dlif';
 * import { dgwPlugin, DGW_SERVICE } from '@dmm/plugin-dgw';
 * await router.plugins.load(ndraPlugin, {});
 * await router.plugins.load(tunnelPlugin, {});
 * await router.plugins.load(dlifPlugin, {});
 * await router.plugins.load(dgwPlugin, {
 *   id: 1, address: 'fd00:100::1', operator: 'op-a', accessInterfaces: ['acc0'],
 *   prefixPool: '2001:db8:1::/48', peers: [{ id: 2, address: 'fd00:100::2', operator: 'op-a' }],
 *   mobilityContext: { backend: 'sqlite', path: '/var/lib/dmm/context.db' },
 *   mobileNodes: { default: 'allow' },
 * });
 * ```
 */
export * from './config.js';
export * from './pool.js';
export * from './datapath.js';
export * from './messages.js';
export * from './dgw.js';
export * from './tokens.js';
export * from './plugin.js';
export { dgwPlugin as plugin } from './plugin.js';
