/**
 * The `inter-operator-lma` plugin: a router becomes the central LMA between operators
 * (draft-bernardos-dmm-distributed-anchoring-02 §5; docs/dgw.md "Several operators"). It owns
 * the router's Mobility Header endpoint (`mobility-input`, Next Header 135, from @dmm/pmip):
 * PBUs come from serving D-GWs, PBAs from anchoring D-GWs. It uses the `tunnel` plugin's
 * tunnels, one per D-GW it relays for, and drives the binding tables' timers.
 *
 * Commands: `show bindings [--mn ID]` (both legs of every binding), `show inter-operator`
 * (policy, refusals by reason, PBUs and PBAs on both legs, teardowns), `show mobility`.
 */
import type { z } from 'zod';
import { definePlugin, type PluginDefinition } from '@dmm/core';
import { driveTimers, type Clock } from '@dmm/binding-cache';
import { MOBILITY_PROTO, MobilityService } from '@dmm/pmip';
import { TUNNELS } from '@dmm/tunnel';
import { interOperatorLmaConfigSchema, type InterOperatorLmaConfig } from './config.js';
import {
  InterOperatorLma,
  type InterOperatorBindingRow,
  type InterOperatorStats,
  type LegRow,
} from './relay.js';
import { INTER_OPERATOR_LMA_SERVICE } from './tokens.js';

export interface InterOperatorLmaPluginOptions {
  /** ms since 1970 for RFC 5213 §5.5 timestamps (default Date.now). */
  wallClock?: () => number;
  /** The binding tables' clock (default monotonic). */
  clock?: Clock;
  /** Sequence number before our first PBU's (default random). */
  firstSequence?: number;
}

/** The plugin with injectable clocks (tests); `interOperatorLmaPlugin` is `createInterOperatorLmaPlugin()`. */
export function createInterOperatorLmaPlugin(
  opts: InterOperatorLmaPluginOptions = {},
): PluginDefinition<InterOperatorLmaConfig> {
  return definePlugin<InterOperatorLmaConfig>({
    name: 'inter-operator-lma',
    version: '0.1.0',
    apiVersion: '^1.0.0',
    dependencies: ['tunnel'],
    provides: [INTER_OPERATOR_LMA_SERVICE],
    configSchema: interOperatorLmaConfigSchema as unknown as z.ZodType<InterOperatorLmaConfig>,
    setup(ctx, config) {
      const router = ctx.router;
      const mobility = new MobilityService(router, ctx.log);
      ctx.addNode(mobility.nodeDef());
      ctx.registerLocalProtocol(MOBILITY_PROTO, 'mobility-input');
      const lma = new InterOperatorLma({
        router,
        tunnels: ctx.resolve(TUNNELS),
        config,
        log: ctx.log,
        sendPbu: (src, dst, pbu) => mobility.sendPbu(src, dst, pbu),
        sendPba: (src, dst, pba) => mobility.sendPba(src, dst, pba),
        timers: ctx.timers,
        ...(opts.wallClock ? { wallClock: opts.wallClock } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.firstSequence === undefined ? {} : { firstSequence: opts.firstSequence }),
      });
      const offPbu = mobility.onPbu((m) => {
        lma.handlePbu(m);
      });
      const offPba = mobility.onPba((m) => {
        lma.handlePba(m);
      });
      ctx.provide(INTER_OPERATOR_LMA_SERVICE, lma);
      ctx.onTeardown(() => {
        offPbu();
        offPba();
      });
      ctx.registerCommand({
        path: 'show bindings',
        help: 'per node and prefix, both legs: the serving D-GW and the anchoring D-GW, their operators, tunnels, lifetimes left and states [--mn ID]',
        run: (args) => lma.bindings(typeof args.mn === 'string' ? args.mn : undefined),
        table: (rows) => ({
          columns: [
            'MN-ID',
            'PREFIX',
            'LEG',
            'D-GW',
            'OPERATOR',
            'ADDRESS',
            'TUNNEL',
            'LEFT',
            'STATE',
          ],
          rows: (rows as InterOperatorBindingRow[]).flatMap((r) => [
            legRow(r, 'serving', r.serving),
            legRow(r, 'anchor', r.anchor),
          ]),
        }),
      });
      ctx.registerCommand({
        path: 'show inter-operator',
        help: 'inter-operator LMA: policy, bindings by operator pair, PBUs received by result, refusals by reason, PBUs to anchors, PBAs on both legs, teardowns',
        run: () => lma.stats(),
        table: (r) => statsTable(r as InterOperatorStats),
      });
      ctx.registerCommand({
        path: 'show mobility',
        help: 'Mobility Header signalling: PBUs/PBAs sent, PBA status codes sent and received',
        run: () => mobility.snapshot(),
      });
      return {
        start() {
          const driver = driveTimers([lma.cache, lma.bul], ctx.timers, lma.cache.clock, {
            onError: (e) => ctx.log.error({ err: e }, 'binding timer failed'),
          });
          ctx.onTeardown(() => driver.stop());
          lma.start();
        },
        stop() {
          lma.stop();
        },
      };
    },
  });
}

function legRow(r: InterOperatorBindingRow, leg: string, l: LegRow): string[] {
  return [
    r.mn,
    r.prefix,
    leg,
    l.dgw,
    l.operator,
    l.address,
    l.tunnel === null ? '-' : String(l.tunnel),
    l.lifetimeLeft === null ? '-' : `${l.lifetimeLeft}s`,
    l.state,
  ];
}

function statsTable(s: InterOperatorStats): { columns: string[]; rows: string[][] } {
  const kv = (prefix: string, r: Record<string, number>): string[][] =>
    Object.entries(r).map(([k, n]) => [`${prefix} ${k}`, String(n)]);
  const t = s.relayMs;
  const rows: string[][] = [
    ['LMA', `${s.name} ${s.address}`],
    ...s.operators.map((o) => [`operator ${o.name}`, o.dgws.join(' ')]),
    ['relays', s.relay.map((r) => `${r.from} → ${r.to}`).join(', ')],
    ['bindings', String(s.bindings)],
    ...kv('bindings', s.bindingsByPair),
    ['PBUs received', String(s.pbuReceived)],
    ...kv('accepted:', s.accepted),
    ...kv('refused:', s.refused),
    ...kv('PBUs to anchors:', s.pbuSent),
    ...kv('PBA from anchors:', s.pbaFromAnchor),
    ...kv('refusal relayed:', s.relayedRefusals),
    ...kv('PBA to serving D-GWs:', s.pbaToServing),
    ['anchor timeouts', String(s.anchorTimeouts)],
    ['PBUs re-sent after 156', String(s.mismatchRetries)],
    ...kv('PBA invalid:', s.pbaInvalid),
    ...kv('removed:', s.teardowns),
    ['tunnel routes held for ND', String(s.heldForNd)],
    ['PBA send failures', String(s.pbaSendFailed)],
    ['packets from a prefix with no binding, dropped', String(s.unboundDropped)],
    ['PBU retransmissions', String(s.transactions.retransmissions ?? 0)],
    ['PBAs matching no PBU', String(s.transactions.unmatchedPba ?? 0)],
    [
      'timing: first PBU → binding relayed',
      t.count === 0 ? '-' : `n=${t.count} min ${t.minMs} avg ${t.avgMs} max ${t.maxMs} ms`,
    ],
  ];
  return { columns: ['COUNTER', 'VALUE'], rows };
}

/** The `inter-operator-lma` plugin (dmmd: `plugins: [{ module: '@dmm/plugin-inter-operator-lma', config: … }]`). */
export const interOperatorLmaPlugin: PluginDefinition<InterOperatorLmaConfig> =
  createInterOperatorLmaPlugin();
