/**
 * @dmm/mobility-context — the mobility context store of the distributed gateways
 * (draft-bernardos-dmm-distributed-anchoring §3–§4.2): for each mobile node, the D-GW that
 * serves it (changed by compare-and-set, since two D-GWs may race during a handover) and,
 * for each prefix it still uses, the anchoring D-GW, that anchor's DLIF MAC and link-local
 * address, and the local networks reachable only through it. Backends: in memory (one
 * process) and one SQLite file shared by the dmmd processes of a host; one conformance
 * suite (`@dmm/mobility-context/conformance`) for both and for any later one.
 *
 * ```ts
 * import { openContextStore, groupByAnchor } from '@dmm/mobility-context';
 * const store = await openContextStore({ backend: 'sqlite', path: '/var/lib/dmm/context.db' });
 * // the node attaches here (draft §4.2 steps 1 and 5)
 * const ctx = await store.registerAttachment({ mnId: 'mn1@example.net', mac }, 'dgw2');
 * const cas = await store.compareAndSetServing(ctx.mnId, ctx.servingDgw, 'dgw2');
 * if (!cas.won) return; // another D-GW took the node first
 * await store.delegatePrefix(ctx.mnId, { prefix, anchor: me, dlifMac, dlifLinkLocal, lifetimeMs });
 * for (const g of groupByAnchor(ctx.prefixes)) if (g.anchor.dgwId !== 'dgw2') sendPbu(g);
 * ```
 */
export * from './types.js';
export * from './errors.js';
export * from './anchors.js';
export { MemoryContextData, MemoryContextStore } from './memory-store.js';
export type { MemoryContextStoreOptions } from './memory-store.js';
export { SqliteContextStore } from './sqlite-store.js';
export type { SqliteContextStoreOptions } from './sqlite-store.js';
export { CONTEXT_APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, migrate } from './sqlite-schema.js';
export type { Migration } from './sqlite-schema.js';
export * from './config.js';
