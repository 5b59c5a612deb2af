/**
 * @dmm/dlif — Distributed Logical Interfaces (draft-bernardos-dmm-distributed-anchoring-02
 * §4.1) for dmm-router: on a serving D-GW, for each mobile node, one logical interface per
 * D-GW anchoring one of its prefixes, with that D-GW's MAC and link-local address, so the
 * node sees the same routers wherever it is attached. User space only (core logical
 * interfaces), thousands per parent.
 *
 * ```ts
 * import { MemoryDevice, Router, parseIpv6Address, parseMacAddress } from '@dmm/core';
 * import { ndraPlugin } from '@dmm/ndra';
 * import { DLIFS, dlifPlugin } from '@dmm/dlif';
 * const router = new Router({ name: 'dgw2' });
 * router.addInterface({ name: 'acc0', device: new MemoryDevice({ name: 'acc0' }) });
 * await router.plugins.load(ndraPlugin, {});
 * await router.plugins.load(dlifPlugin, {});
 * await router.start();
 * const dlifs = router.container.resolve(DLIFS);
 * const mn1 = { id: 'mn1', mac: parseMacAddress('02:00:00:00:0a:01') };
 * dlifs.create({ parent: 'acc0', node: mn1, anchor: { id: 'dgw2' }, role: 'serving',
 *   prefixes: [{ prefix: parseIpv6Address('2001:db8:b::'), prefixLen: 64 }] });
 * dlifs.create({ parent: 'acc0', node: mn1, anchor: { id: 'dgw1' }, role: 'anchor',
 *   prefixes: [{ prefix: parseIpv6Address('2001:db8:a::'), prefixLen: 64, validLifetime: 3600 }] });
 * ```
 */
export * from './config.js';
export * from './identity.js';
export * from './types.js';
export * from './tokens.js';
export * from './plugin.js';
export { showDlifsCommand } from './commands.js';
export { DlifNode, IfCounters } from './counters.js';
export { DlifManagerImpl, type DlifTimers } from './manager.js';
/** The plugin under the name dmmd's `plugins[].module` loader looks for. */
export { dlifPlugin as plugin } from './plugin.js';
