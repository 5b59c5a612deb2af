/**
 * The `routing` plugin: static routes and source rules from the config, and the
 * `show routes` / `show rules` commands. Routes it installed are removed when it stops.
 *
 * ```yaml
 * routes:
 *   - { prefix: ::/0, via: 2001:db8:1::fe }                 # interface found from the gateway
 *   - { prefix: 2001:db8:99::/48, via: fe80::2, interface: lan1 }
 *   - { prefix: 2001:db8:bad::/48, type: blackhole }
 *   - { prefix: ::/0, via: 2001:db8:2::fe, table: 100 }
 * rules:
 *   - { from: 2001:db8:5::/64, table: 100 }                 # ip -6 rule add from … lookup 100
 * ```
 */
import { z } from 'zod';
import { isIpv6LinkLocal } from '@dmm/wire';
import { ConfigError } from './errors.js';
import { formatIpv6Address, formatIpv6Prefix, prefixContains } from './config/ip.js';
import { zIfName, zIpv6Address, zIpv6Prefix } from './config/zod-types.js';
import { definePlugin } from './plugin/plugin.js';
import type { Router } from './router.js';
import {
  MAIN_TABLE,
  ROUTE_KIND_NAMES,
  RouteKind,
  type Route,
  type RouteKindValue,
} from './route/route-table.js';

const routeSchema = z.strictObject({
  prefix: zIpv6Prefix,
  via: zIpv6Address.optional(),
  interface: zIfName.optional(),
  table: z.number().int().min(0).max(255).default(MAIN_TABLE),
  type: z.enum(['unicast', 'blackhole', 'unreachable', 'prohibit']).default('unicast'),
});

const ruleSchema = z.strictObject({
  from: zIpv6Prefix,
  table: z.number().int().min(0).max(255),
});

export const routingConfigSchema = z.strictObject({
  routes: z.array(routeSchema).default([]),
  rules: z.array(ruleSchema).default([]),
});

export type RoutingConfig = z.infer<typeof routingConfigSchema>;

const KIND: Record<string, RouteKindValue> = {
  unicast: RouteKind.Unicast,
  blackhole: RouteKind.Blackhole,
  unreachable: RouteKind.Unreachable,
  prohibit: RouteKind.Prohibit,
};

/** The interface whose connected prefix holds `gw`, or -1. */
function interfaceFor(router: Router, gw: Uint8Array): number {
  for (const i of router.interfaces) {
    for (const a of i.addresses) if (prefixContains(a.address, a.prefixLen, gw)) return i.index;
  }
  return -1;
}

export const routingPlugin = definePlugin<RoutingConfig>({
  name: 'routing',
  version: '1.0.0',
  configSchema: routingConfigSchema as unknown as z.ZodType<RoutingConfig>,
  setup(ctx, config) {
    const router = ctx.router;
    const installed: Route[] = [];
    const rules: { prefix: Uint8Array; prefixLen: number }[] = [];
    config.routes.forEach((r, i) => {
      let ifIndex = -1;
      if (r.interface !== undefined) {
        const iface = router.interface(r.interface);
        if (!iface)
          throw new ConfigError(`no interface named ${r.interface}`, {
            path: ['routes', i, 'interface'],
          });
        ifIndex = iface.index;
      }
      if (r.type === 'unicast') {
        if (r.via && ifIndex < 0) {
          if (isIpv6LinkLocal(r.via, 0)) {
            throw new ConfigError('a link-local gateway needs an interface', {
              path: ['routes', i, 'via'],
            });
          }
          ifIndex = interfaceFor(router, r.via);
          if (ifIndex < 0) {
            throw new ConfigError(`gateway ${formatIpv6Address(r.via)} is on no connected prefix`, {
              path: ['routes', i, 'via'],
            });
          }
        }
        if (ifIndex < 0)
          throw new ConfigError('a route needs `via` or `interface`', { path: ['routes', i] });
      }
      installed.push(
        router.addRoute({
          table: r.table,
          prefix: r.prefix.prefix,
          prefixLen: r.prefix.prefixLen,
          kind: KIND[r.type]!,
          ifIndex,
          gateway: r.via ?? null,
          origin: 'static',
        }),
      );
    });
    for (const r of config.rules) {
      router.routes.addRule(r.from.prefix, r.from.prefixLen, r.table, 'static');
      rules.push({ prefix: r.from.prefix, prefixLen: r.from.prefixLen });
    }
    ctx.onTeardown(() => {
      for (const r of installed) {
        if (router.routes.routes[r.id] === r) router.removeRoute(r.prefix, r.prefixLen, r.table);
      }
      for (const r of rules) router.routes.removeRule(r.prefix, r.prefixLen);
    });
    ctx.registerCommand({
      path: 'show routes',
      help: 'routes of every table: prefix, type, next hop, interface, origin',
      run: () =>
        router.routes.list().map((r) => ({
          table: r.table === MAIN_TABLE ? 'main' : String(r.table),
          prefix: formatIpv6Prefix(r.prefix, r.prefixLen),
          type: ROUTE_KIND_NAMES[r.kind],
          via: r.gateway ? formatIpv6Address(r.gateway) : null,
          interface: r.ifIndex >= 0 ? (router.interfaces[r.ifIndex]?.name ?? null) : null,
          tunnel: r.tunnel >= 0 ? r.tunnel : null,
          origin: r.origin,
          packets: router.routes.hits[r.id] ?? 0,
        })),
      table: (rows) => ({
        columns: ['TABLE', 'PREFIX', 'TYPE', 'VIA', 'INTERFACE', 'ORIGIN', 'PACKETS'],
        rows: (rows as Record<string, string | number | null>[]).map((r) => [
          String(r.table),
          String(r.prefix),
          String(r.type),
          r.via === null ? (r.tunnel === null ? '-' : `tunnel ${r.tunnel}`) : String(r.via),
          r.interface === null ? '-' : String(r.interface),
          String(r.origin),
          String(r.packets),
        ]),
      }),
    });
    ctx.registerCommand({
      path: 'show rules',
      help: 'source-prefix rules: from PREFIX lookup TABLE',
      run: () =>
        router.routes.listRules().map((r) => ({
          from: formatIpv6Prefix(r.prefix, r.prefixLen),
          table: r.table === MAIN_TABLE ? 'main' : String(r.table),
          origin: r.origin,
        })),
      table: (rows) => ({
        columns: ['FROM', 'TABLE', 'ORIGIN'],
        rows: (rows as Record<string, string>[]).map((r) => [r.from!, r.table!, r.origin!]),
      }),
    });
  },
});
