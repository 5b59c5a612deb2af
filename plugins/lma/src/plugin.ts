/**
 * The `lma` plugin: a router becomes a PMIPv6 Local Mobility Anchor (RFC 5213 §5). It
 * owns the router's Mobility Header endpoint (`mobility-input`, Next Header 135, from
 * @dmm/pmip), hands every PBU to the `LocalMobilityAnchor`, drives the Binding Cache's
 * timers, and uses the `tunnel` plugin's tunnels (`TUNNELS`) for the MAGs.
 *
 * Commands: `show bindings` (the Binding Cache), `show lma` (PBUs by result, PBA status
 * codes sent, pool use), `show mobility` (signalling counters).
 */
import type { z } from 'zod';
import { definePlugin, type PluginDefinition } from '@dmm/core';
import { driveTimers, type Clock } from '@dmm/binding-cache';
import { MobilityService, MOBILITY_PROTO } from '@dmm/pmip';
import { TUNNELS } from '@dmm/tunnel';
import { lmaConfigSchema, type LmaConfig } from './config.js';
import { LocalMobilityAnchor, type LmaBindingRow, type LmaStats } from './lma.js';
import { LMA_SERVICE } from './tokens.js';

export interface LmaPluginOptions {
  /** Milliseconds since 1970 for RFC 5213 §5.5 timestamps (default Date.now). */
  wallClock?: () => number;
  /** The Binding Cache's clock (default: monotonic). */
  clock?: Clock;
}

/** The plugin with injectable clocks (tests); `lmaPlugin` is `createLmaPlugin()`. */
export function createLmaPlugin(opts: LmaPluginOptions = {}): PluginDefinition<LmaConfig> {
  return definePlugin<LmaConfig>({
    name: 'lma',
    version: '0.1.0',
    apiVersion: '^1.0.0',
    dependencies: ['tunnel'],
    provides: [LMA_SERVICE],
    configSchema: lmaConfigSchema as unknown as z.ZodType<LmaConfig>,
    setup(ctx, config) {
      const router = ctx.router;
      const mobility = new MobilityService(router, ctx.log);
      ctx.addNode(mobility.nodeDef());
      ctx.registerLocalProtocol(MOBILITY_PROTO, 'mobility-input');
      const lma = new LocalMobilityAnchor({
        router,
        tunnels: ctx.resolve(TUNNELS),
        config,
        log: ctx.log,
        sendPba: (src, dst, pba) => mobility.sendPba(src, dst, pba),
        ...(opts.wallClock ? { wallClock: opts.wallClock } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
      });
      const unregister = mobility.onPbu((m) => lma.handlePbu(m));
      ctx.provide(LMA_SERVICE, lma);
      ctx.onTeardown(() => {
        unregister();
        lma.close();
      });
      ctx.registerCommand({
        path: 'show bindings',
        help: 'Binding Cache: per mobile node its prefixes, Proxy-CoA (MAG), tunnel, lifetime left, state, ATT, HI, last timestamp',
        run: () => lma.bindings(),
        table: (rows) => ({
          columns: [
            'MN-ID',
            'HNP',
            'PROXY-COA',
            'TUNNEL',
            'LEFT',
            'STATE',
            'ATT',
            'HI',
            'TIMESTAMP',
          ],
          rows: (rows as LmaBindingRow[]).map((r) => [
            r.mnId,
            r.prefixes.join(' ') || '-',
            r.proxyCoa,
            r.tunnelId === null ? '-' : String(r.tunnelId),
            `${Math.ceil(r.remainingMs / 1000)}s`,
            r.state === 'deregistering'
              ? `deregistering (delete in ${Math.ceil((r.deleteInMs ?? 0) / 1000)}s)`
              : r.state,
            String(r.accessTechnology),
            String(r.handoffIndicator),
            r.timestampText ?? '-',
          ]),
        }),
      });
      ctx.registerCommand({
        path: 'show lma',
        help: 'LMA: PBUs received by result, PBA status codes sent, bindings per MAG, prefix pool use',
        run: () => ({ ...lma.stats(), pbaStatusSent: mobility.snapshot().pbaStatusSent }),
        table: (r) => {
          const s = r as LmaStats & { pbaStatusSent: Record<string, number> };
          const rows: string[][] = [
            ['address', s.address],
            [
              'prefix pool',
              `${s.pool.prefix} → /${s.pool.hnpLength}: ${s.pool.allocated} of ${s.pool.size} in use`,
            ],
            ['bindings', String(s.bindings)],
            ...s.mags.map((m) => [`bindings via ${m.address}`, String(m.bindings)]),
            ['PBUs received', String(s.pbuReceived)],
            ...Object.entries(s.accepted).map(([k, n]) => [`accepted: ${k}`, String(n)]),
            ...Object.entries(s.rejected).map(([k, n]) => [`rejected: ${k}`, String(n)]),
            ...Object.entries(s.pbaStatusSent).map(([k, n]) => [
              `PBA status sent: ${k}`,
              String(n),
            ]),
            ['PBA send failures', String(s.pbaSendFailed)],
            ['bindings expired', String(s.expired)],
            ['de-registered bindings deleted', String(s.deleted)],
          ];
          return { columns: ['COUNTER', 'VALUE'], rows };
        },
      });
      ctx.registerCommand({
        path: 'show mobility',
        help: 'Mobility Header signalling: PBUs/PBAs sent, PBA status codes sent and received',
        run: () => mobility.snapshot(),
      });
      return {
        start() {
          const driver = driveTimers([lma.cache], ctx.timers, lma.cache.clock, {
            onError: (e) => ctx.log.error({ err: e }, 'binding cache timer failed'),
          });
          ctx.onTeardown(() => driver.stop());
        },
      };
    },
  });
}

/** The `lma` plugin (dmmd: `plugins: [{ module: '@dmm/plugin-lma', config: … }]`). */
export const lmaPlugin: PluginDefinition<LmaConfig> = createLmaPlugin();
