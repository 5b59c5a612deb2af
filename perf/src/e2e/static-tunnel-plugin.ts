/**
 * A dmmd plugin for the tunnel path of the end-to-end harness: static IPv6-in-IPv6 tunnels
 * (RFC 2473) with routes into them, from config. The mobility plugins (dgw, mag, lma) add
 * tunnel routes for their bindings; this one adds fixed ones, so two routers carry a host's
 * traffic through a tunnel with nothing else going on (no signalling, no mobile node).
 *
 * ```yaml
 * plugins:
 *   - module: '@dmm/tunnel'
 *   - module: /…/perf/dist/src/e2e/static-tunnel-plugin.js
 *     config:
 *       tunnels:
 *         - { local: fd00:100::1, remote: fd00:100::2, prefixes: [fd00:b::/64] }
 * ```
 *
 * Each tunnel is acquired from the tunnel module's table at start (`local` must be an
 * address of the router by then) and every prefix routed into it (`RouteKind.Tunnel`,
 * main table); stop removes the routes and gives the tunnels back.
 */
import {
  RouteKind,
  definePlugin,
  formatIpv6Address,
  parseIpv6Address,
  parseIpv6Prefix,
  type Ipv6Prefix,
  type PluginDefinition,
} from '@dmm/core';
import { TUNNELS } from '@dmm/tunnel';

export interface StaticTunnel {
  local: Uint8Array;
  remote: Uint8Array;
  prefixes: Ipv6Prefix[];
}

export interface StaticTunnelConfig {
  tunnels: StaticTunnel[];
}

type Issue = { path: (string | number)[]; message: string };

/**
 * Validates the plugin config (the plugin host's `safeParse` contract; the perf package
 * carries no schema library of its own).
 */
export function parseStaticTunnelConfig(
  raw: unknown,
): { success: true; data: StaticTunnelConfig } | { success: false; error: { issues: Issue[] } } {
  const issues: Issue[] = [];
  const tunnels: StaticTunnel[] = [];
  const list = (raw as { tunnels?: unknown } | null)?.tunnels;
  if (!Array.isArray(list) || list.length === 0) {
    issues.push({ path: ['tunnels'], message: 'tunnels must be a non-empty list' });
  } else {
    list.forEach((t: unknown, i) => {
      const o = (t ?? {}) as Record<string, unknown>;
      try {
        const prefixes = o.prefixes;
        if (!Array.isArray(prefixes) || prefixes.length === 0) {
          throw new Error('prefixes must be a non-empty list');
        }
        tunnels.push({
          local: parseIpv6Address(String(o.local)),
          remote: parseIpv6Address(String(o.remote)),
          prefixes: prefixes.map((p) => parseIpv6Prefix(String(p), true)),
        });
      } catch (e) {
        issues.push({ path: ['tunnels', i], message: (e as Error).message });
      }
    });
  }
  return issues.length > 0
    ? { success: false, error: { issues } }
    : { success: true, data: { tunnels } };
}

const schema = { safeParse: parseStaticTunnelConfig };

export const plugin: PluginDefinition<StaticTunnelConfig> = definePlugin<StaticTunnelConfig>({
  name: 'static-tunnel',
  version: '1.0.0',
  dependencies: ['tunnel'],
  configSchema: schema as unknown as PluginDefinition<StaticTunnelConfig>['configSchema'],
  setup(ctx, config) {
    const table = ctx.resolve(TUNNELS);
    const router = ctx.router;
    const held: { id: number; prefixes: Ipv6Prefix[] }[] = [];
    return {
      start() {
        for (const t of config.tunnels) {
          const id = table.acquire(t.local, t.remote);
          held.push({ id, prefixes: t.prefixes });
          for (const p of t.prefixes) {
            router.addRoute({
              prefix: p.prefix,
              prefixLen: p.prefixLen,
              kind: RouteKind.Tunnel,
              tunnel: id,
              origin: 'static-tunnel',
            });
          }
          ctx.log.info(
            {
              tunnel: id,
              local: formatIpv6Address(t.local),
              remote: formatIpv6Address(t.remote),
              prefixes: t.prefixes.length,
            },
            'static tunnel routed',
          );
        }
      },
      stop() {
        for (const h of held.splice(0)) {
          for (const p of h.prefixes) router.removeRoute(p.prefix, p.prefixLen);
          table.release(h.id);
        }
      },
    };
  },
});
