/**
 * The `tunnel` plugin: IPv6-in-IPv6 tunnels (RFC 2473) for a router. It registers
 * `ip6ip6-encap` as the router's tunnel handler (routes of kind `RouteKind.Tunnel`),
 * `ip6ip6-decap` as the local handler of Next Header 41, and `ip6ip6-icmp-error` as the
 * handler of the ICMPv6 error types in `icmpErrors` (default 1–4: the tunnel module owns
 * them for this router), provides the tunnel table as `TUNNELS`, and adds `show tunnels`.
 *
 * ```yaml
 * plugins:
 *   - module: '@dmm/tunnel'      # exports `plugin` (= tunnelPlugin)
 *     config:
 *       hopLimit: 64            # outer hop limit (default: the router's)
 *       pmtuAgeSeconds: 600     # RFC 8201 §4: retry a larger path MTU after 10 minutes
 *       icmpErrors: [1, 2, 3, 4]
 * ```
 *
 * Mobility plugins depend on it, `resolve(TUNNELS)`, `acquire` a tunnel per peer and add
 * routes `{ kind: RouteKind.Tunnel, tunnel: id }` (and source rules and tables).
 */
import { z } from 'zod';
import { definePlugin, token, type InjectionToken, type TimerHandle } from '@dmm/core';
import { ip6ip6DecapNode, IP6IP6_DECAP_NODE } from './decap.js';
import { ip6ip6EncapNode, IP6IP6_ENCAP_NODE } from './encap.js';
import { ip6ip6IcmpErrorNode, IP6IP6_ICMP_ERROR_NODE } from './icmp-error.js';
import { TunnelTable, type TunnelInfo } from './tunnel-table.js';

/** The router's tunnel table, for the plugins that build on tunnels. */
export const TUNNELS: InjectionToken<TunnelTable> = token<TunnelTable>('@dmm/tunnel:TunnelTable');

export const tunnelConfigSchema = z.strictObject({
  /** Outer hop limit of the tunnels (RFC 2473 §3.1); default the router's own. */
  hopLimit: z.number().int().min(1).max(255).optional(),
  /** RFC 8201 §4: at least 5 minutes, 10 recommended. */
  pmtuAgeSeconds: z.number().int().min(300).max(86_400).default(600),
  /** ICMPv6 error types handled (RFC 2473 §8); 2 (Packet Too Big) at least. */
  icmpErrors: z
    .array(z.number().int().min(1).max(4))
    .default([1, 2, 3, 4])
    .refine((a) => a.includes(2), { message: 'icmpErrors must include 2 (Packet Too Big)' }),
});

export type TunnelConfig = z.infer<typeof tunnelConfigSchema>;

/** How often aged path MTUs are looked for. */
const PMTU_SWEEP_MS = 60_000;

export const tunnelPlugin = definePlugin<TunnelConfig>({
  name: 'tunnel',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  provides: [TUNNELS as InjectionToken<unknown>],
  configSchema: tunnelConfigSchema as unknown as z.ZodType<TunnelConfig>,
  setup(ctx, config) {
    const router = ctx.router;
    const table = new TunnelTable(router, {
      ...(config.hopLimit === undefined ? {} : { hopLimit: config.hopLimit }),
      pmtuAgeMs: config.pmtuAgeSeconds * 1000,
      logger: ctx.log,
    });
    ctx.addNode(ip6ip6EncapNode(table, router));
    ctx.addNode(ip6ip6DecapNode(table));
    ctx.addNode(ip6ip6IcmpErrorNode(table));
    ctx.registerTunnelHandler(IP6IP6_ENCAP_NODE);
    ctx.registerLocalProtocol(41, IP6IP6_DECAP_NODE);
    for (const type of new Set(config.icmpErrors)) {
      ctx.registerIcmpHandler(type, IP6IP6_ICMP_ERROR_NODE);
    }
    ctx.provide(TUNNELS, table);

    // the path MTU starts at the MTU of the link the route to the exit point uses
    const refresh = (): void => table.scheduleRefresh();
    ctx.on('route:added', refresh);
    ctx.on('route:removed', refresh);
    ctx.on('interface:added', refresh);
    ctx.onTeardown(() => table.clear());

    ctx.registerCommand({
      path: 'show tunnels',
      help: 'IPv6-in-IPv6 tunnels: endpoints, references, MTU, packets and bytes each way, drops',
      run: () => table.list(),
      table: (rows) => ({
        columns: [
          'ID',
          'LOCAL',
          'REMOTE',
          'REFS',
          'MTU',
          'PMTU',
          'TX-PKTS',
          'TX-BYTES',
          'RX-PKTS',
          'RX-BYTES',
          'DROPS',
        ],
        rows: (rows as TunnelInfo[]).map((t) => [
          String(t.id),
          t.local,
          t.remote,
          String(t.refs),
          String(t.mtu),
          String(t.pathMtu),
          String(t.encap.packets),
          String(t.encap.bytes),
          String(t.decap.packets),
          String(t.decap.bytes),
          formatDrops(t.drops),
        ]),
      }),
    });
    ctx.log.debug({ icmpErrors: config.icmpErrors }, 'tunnel module ready');

    let sweep: TimerHandle | null = null;
    return {
      start() {
        sweep = ctx.timers.setInterval(() => table.expirePathMtu(), PMTU_SWEEP_MS);
        sweep.unref();
      },
      stop() {
        if (sweep !== null) ctx.timers.clear(sweep);
        sweep = null;
      },
    };
  },
});

/** `too-big=3 no-buffer=1`, or `0`. */
function formatDrops(drops: Record<string, number>): string {
  const parts = Object.entries(drops)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`);
  return parts.length === 0 ? '0' : parts.join(' ');
}

/** The module's plugin under the name a dmmd config's `plugins[].module` loads. */
export const plugin = tunnelPlugin;
