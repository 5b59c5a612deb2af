/**
 * @dmm/core — the packet core of dmm-router.
 *
 * A pool of packet buffers in one slab with headroom, packet vectors, a graph of nodes
 * that declare their next nodes and drop reasons as data, a scheduler that runs one
 * breath per device readiness (read batch → graph → write batch), the `Device`
 * interface with an in-memory implementation, coded errors and a pino-backed logger.
 *
 * ```ts
 * import { BufferPool, Graph, Scheduler, MemoryDevice, crossConnectNode } from '@dmm/core';
 * const pool = new BufferPool();
 * const graph = new Graph(pool);
 * const sched = new Scheduler(graph);
 * graph.addNode(sched.outputNodeDef());
 * graph.addNode(crossConnectNode(Int32Array.of(1, 0)));
 * graph.finalise();
 * const a = new MemoryDevice({ name: 'a' });
 * const b = new MemoryDevice({ name: 'b' });
 * sched.addInterface('a', a, 'cross-connect');
 * sched.addInterface('b', b, 'cross-connect');
 * a.inject(frame);       // a frame arrives on a …
 * sched.poll();
 * b.take();              // … and left on b: [frame]
 * ```
 */
export * from './errors.js';
export * from './packet-buffer.js';
export * from './buffer-pool.js';
export * from './gso.js';
export * from './packet-vector.js';
export * from './graph-node.js';
export * from './graph.js';
export * from './device.js';
export * from './memory-device.js';
export * from './interface.js';
export * from './scheduler.js';
export * from './logger.js';
export * from './nodes/cross-connect.js';
export * from './events.js';
export * from './router.js';
export * from './route/address-map.js';
export * from './route/fib.js';
export * from './route/route-table.js';
export * from './route/neighbor-table.js';
export * from './route/mac-map.js';
export * from './ip6/context.js';
export * from './ip6/local-addresses.js';
export * from './ip6/token-bucket.js';
export * from './ip6/ethernet-input.js';
export * from './ip6/ip6-input.js';
export * from './ip6/ip6-local-dispatch.js';
export * from './ip6/icmp6-input.js';
export * from './ip6/ip6-lookup.js';
export * from './ip6/ip6-rewrite.js';
export * from './ip6/icmp6-error.js';
export * from './plugin/container.js';
export * from './plugin/command-registry.js';
export * from './plugin/plugin.js';
export * from './plugin/plugin-host.js';
export * from './plugin/tokens.js';
export * from './config/ip.js';
export * from './config/zod-types.js';
export * from './config/yaml-config.js';
export * from './routing-plugin.js';
export * from './router-commands.js';
