/**
 * @dmm/tunnel — IPv6-in-IPv6 tunnels (RFC 2473) for dmm-router, in user space.
 *
 * A tunnel table keyed by (local, remote) with reference counts (one tunnel per peer pair,
 * shared by every mobile node of that pair, RFC 5213 §5.6.1), an encapsulation node that
 * prepends a precomputed outer header into the headroom, a decapsulation node that accepts
 * only known peers, tunnel MTU with Packet Too Big both ways, and the `tunnel` plugin.
 *
 * ```ts
 * import { Router, RouteKind, parseIpv6Address } from '@dmm/core';
 * import { tunnelPlugin, TUNNELS } from '@dmm/tunnel';
 * const router = new Router();
 * // … interfaces and addresses (fd00:100::2 on the backbone) …
 * await router.plugins.load(tunnelPlugin);
 * const tunnels = router.container.resolve(TUNNELS);   // in a plugin: ctx.resolve(TUNNELS)
 * const id = tunnels.acquire(parseIpv6Address('fd00:100::2'), parseIpv6Address('fd00:100::1'));
 * router.addRoute({ prefix: hnp, prefixLen: 64, kind: RouteKind.Tunnel, tunnel: id });
 * // … later, when the last mobile node using it has gone:
 * tunnels.release(id);
 * ```
 */
export * from './tunnel-table.js';
export * from './encap.js';
export * from './decap.js';
export * from './icmp-error.js';
export * from './plugin.js';
