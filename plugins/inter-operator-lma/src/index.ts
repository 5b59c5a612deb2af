/**
 * @dmm/plugin-inter-operator-lma — the central inter-operator LMA of
 * draft-bernardos-dmm-distributed-anchoring-02 §5 (RFC 8885's option numbers) as a
 * dmm-router plugin: towards a serving D-GW of one operator it is the anchor of a prefix
 * anchored in another operator, towards that anchoring D-GW it is the node's serving D-GW;
 * two PBU/PBA exchanges, two tunnels, and the forwarding between them. dmmd loads it from
 * `plugins[]`; the package exports it as `plugin`. The design is docs/dgw.md "Several
 * operators".
 *
 * ```ts
 * import { tunnelPlugin } from '@dmm/tunnel';
 * import { interOperatorLmaPlugin } from '@dmm/plugin-inter-operator-lma';
 * await router.plugins.load(tunnelPlugin, {});
 * await router.plugins.load(interOperatorLmaPlugin, {
 *   address: 'fd00:100::100',
 *   operators: [
 *     { name: 'op-x', dgws: [{ id: 1, address: 'fd00:100::1' }], prefixes: ['2001:db8:1::/48'] },
 *     { name: 'op-y', dgws: [{ id: 11, address: 'fd00:100::11' }], prefixes: ['2001:db8:11::/48'] },
 *   ],
 * });
 * ```
 */
export * from './config.js';
export * from './messages.js';
export * from './relay.js';
export * from './tokens.js';
export * from './plugin.js';
export { interOperatorLmaPlugin as plugin } from './plugin.js';
