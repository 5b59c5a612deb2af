/**
 * The `dgw` plugin: a router becomes a distributed gateway (draft-bernardos-dmm-distributed-
 * anchoring-02 §3–4; docs/dgw.md). It owns the router's Mobility Header endpoint
 * (`mobility-input`, Next Header 135, from @dmm/pmip) for PBUs (anchor side) and PBAs
 * (serving side), adds the attachment and handover features on `ip6-local` / `ip6-forward`,
 * listens to Router Solicitations of unknown MACs through the `dlif` plugin, and uses the
 * `tunnel` plugin's tunnels and the `dlif` plugin's DLIFs. It opens the mobility context
 * store its config names (`@dmm/mobility-context`), shared with the other D-GWs.
 *
 * Commands: `attach --mn ID --mac MAC [--interface IF]` (a link-layer attach event),
 * `detach --mn ID`, `show bindings [--mn ID]`, `show dgw`, `show mobility`.
 */
import type { z } from 'zod';
import { ConfigError, Ip6Arc, definePlugin, type PluginDefinition } from '@dmm/core';
import { driveTimers, type Clock } from '@dmm/binding-cache';
import { DLIFS } from '@dmm/dlif';
import {
  openContextStore,
  startExpirySweep,
  type MobilityContextStore,
} from '@dmm/mobility-context';
import { MOBILITY_PROTO, MobilityService } from '@dmm/pmip';
import { TUNNELS } from '@dmm/tunnel';
import { dgwConfigSchema, type DgwConfig } from './config.js';
import {
  DistributedGateway,
  macArg,
  type DgwBindingRow,
  type DgwStats,
  type PhaseOut,
} from './dgw.js';
import { DGW_SERVICE } from './tokens.js';

export interface DgwPluginOptions {
  /** ms since 1970 for RFC 5213 §5.5 timestamps and the context store (default Date.now). */
  wallClock?: () => number;
  /** The binding tables' clock (default monotonic). */
  clock?: Clock;
  /** Sequence number before the first PBU's (default random). */
  firstSequence?: number;
  /** A store to use instead of opening `mobilityContext` (tests); not closed at teardown. */
  store?: MobilityContextStore;
}

/** The plugin with injectable clocks (tests); `dgwPlugin` is `createDgwPlugin()`. */
export function createDgwPlugin(opts: DgwPluginOptions = {}): PluginDefinition<DgwConfig> {
  return definePlugin<DgwConfig>({
    name: 'dgw',
    version: '0.1.0',
    apiVersion: '^1.0.0',
    dependencies: ['tunnel', 'ndra', 'dlif'],
    provides: [DGW_SERVICE],
    configSchema: dgwConfigSchema as unknown as z.ZodType<DgwConfig>,
    async setup(ctx, config) {
      const router = ctx.router;
      const dlifs = ctx.resolve(DLIFS);
      // the dlif plugin decides what an anchor DLIF's prefix looks like (deprecated or not)
      const dlifMode =
        (dlifs as { config?: { anchorMode?: string } }).config?.anchorMode === 'low-preference'
          ? 'low-preference'
          : 'deprecate';
      const anchorMode = config.anchorMode ?? dlifMode;
      if (anchorMode === 'low-preference' && dlifMode !== 'low-preference') {
        throw new ConfigError(
          'anchorMode low-preference needs the dlif plugin configured with anchorMode: low-preference (it deprecates anchor prefixes otherwise)',
          { path: ['anchorMode'] },
        );
      }
      let store = opts.store;
      if (store === undefined) {
        const opened = await openContextStore(
          config.mobilityContext,
          opts.wallClock ? { clock: { now: opts.wallClock } } : {},
        );
        store = opened;
        ctx.onTeardown(() => {
          opened
            .close()
            .catch((e: unknown) => ctx.log.warn({ err: e }, 'context store close failed'));
        });
      }
      const mobility = new MobilityService(router, ctx.log);
      ctx.addNode(mobility.nodeDef());
      ctx.registerLocalProtocol(MOBILITY_PROTO, 'mobility-input');
      const dgw = new DistributedGateway({
        router,
        tunnels: ctx.resolve(TUNNELS),
        dlifs,
        store,
        config,
        anchorMode,
        log: ctx.log,
        sendPbu: (src, dst, pbu) => mobility.sendPbu(src, dst, pbu),
        sendPba: (src, dst, pba) => mobility.sendPba(src, dst, pba),
        timers: ctx.timers,
        ...(opts.wallClock ? { wallClock: opts.wallClock } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.firstSequence === undefined ? {} : { firstSequence: opts.firstSequence }),
      });
      ctx.addFeature(Ip6Arc.Input, dgw.access.inputNode());
      ctx.addFeature(Ip6Arc.Forward, dgw.access.forwardNode());
      ctx.addFeature(Ip6Arc.Forward, dgw.handover.node());
      const offPbu = mobility.onPbu((m) => {
        dgw.handlePbu(m);
      });
      const offPba = mobility.onPba((m) => {
        dgw.handlePba(m);
      });
      const offRs = dlifs.onUnknownSolicitation((rs) => dgw.onSolicitation(rs.parent, rs.mac));
      ctx.provide(DGW_SERVICE, dgw);
      ctx.onTeardown(() => {
        offPbu();
        offPba();
        offRs();
      });
      ctx.registerCommand({
        path: 'attach',
        help: 'a link-layer attach event: --mn ID --mac MAC [--interface IF]; serves the node here',
        run: (args) => {
          if (typeof args.mn !== 'string') throw new ConfigError('--mn ID is required');
          return dgw.attachCommand(
            args.mn,
            macArg(args.mac),
            typeof args.interface === 'string' ? args.interface : undefined,
          );
        },
      });
      ctx.registerCommand({
        path: 'detach',
        help: 'a link-layer detach event: --mn ID; the node is no longer served here',
        run: (args) => {
          if (typeof args.mn !== 'string') throw new ConfigError('--mn ID is required');
          return dgw.detachCommand(args.mn);
        },
      });
      ctx.registerCommand({
        path: 'show bindings',
        help: 'per mobile node: every prefix, its anchor, our role, the central LMA it goes through, DLIF, tunnel, lifetime left, state [--mn ID]',
        run: (args) => dgw.bindings(typeof args.mn === 'string' ? args.mn : undefined),
        table: (rows) => ({
          columns: [
            'MN-ID',
            'MAC',
            'PREFIX',
            'ANCHOR',
            'ROLE',
            'SERVING',
            'VIA',
            'DLIF',
            'TUNNEL',
            'LEFT',
            'STATE',
          ],
          rows: (rows as DgwBindingRow[]).map((r) => [
            r.mn,
            r.mac ?? '-',
            r.prefix,
            r.anchor,
            r.role,
            r.servingDgw ?? '-',
            r.via ?? '-',
            r.dlif ?? '-',
            r.tunnel === null ? '-' : String(r.tunnel),
            r.lifetimeLeft === null ? '-' : `${r.lifetimeLeft}s`,
            r.state,
          ]),
        }),
      });
      ctx.registerCommand({
        path: 'show dgw',
        help: 'D-GW counters: attachments, handovers, PBUs/PBAs by status, refusals by reason, preparation hits and rollbacks, releases, handover timings',
        run: () => dgw.stats(),
        table: (r) => dgwTable(r as DgwStats),
      });
      ctx.registerCommand({
        path: 'show mobility',
        help: 'Mobility Header signalling: PBUs/PBAs sent, PBA status codes sent and received',
        run: () => mobility.snapshot(),
      });
      return {
        async start() {
          const driver = driveTimers([dgw.cache, dgw.bul], ctx.timers, dgw.cache.clock, {
            onError: (e) => ctx.log.error({ err: e }, 'binding timer failed'),
          });
          ctx.onTeardown(() => driver.stop());
          const stopSweep = startExpirySweep(store, config.mobilityContext.sweepIntervalMs, {
            timers: ctx.timers,
            onError: (e) => ctx.log.warn({ err: e }, 'context expiry failed'),
          });
          ctx.onTeardown(stopSweep);
          await dgw.start();
        },
        stop() {
          dgw.stop();
        },
      };
    },
  });
}

function phaseText(p: PhaseOut): string {
  return p.count === 0 ? '-' : `n=${p.count} min ${p.minMs} avg ${p.avgMs} max ${p.maxMs} ms`;
}

function dgwTable(s: DgwStats): { columns: string[]; rows: string[][] } {
  const kv = (prefix: string, r: Record<string, number>): string[][] =>
    Object.entries(r).map(([k, n]) => [`${prefix} ${k}`, String(n)]);
  const rows: string[][] = [
    ['D-GW', `${s.name} (id ${s.id}) ${s.address} operator ${s.operator}`],
    ['prefix pool', `${s.pool.prefix}: ${s.pool.allocated} of ${s.pool.size} /64s in use`],
    ['nodes served', String(s.nodesServed)],
    ['anchor links (MAG)', String(s.anchorLinks)],
    ['bindings (LMA)', String(s.bindings)],
    ...kv('attachments by', s.attachments),
    ['handovers', String(s.handovers)],
    ['returns to us', String(s.returns)],
    ...kv('attach failed:', s.attachFailed),
    ...kv('PBUs sent', s.pbuSent),
    ...kv('PBA received', s.pbaReceived),
    ['PBA timeouts', String(s.pbaTimeout)],
    ...kv('PBA invalid:', s.pbaInvalid),
    ['preparation hits', String(s.preparationHits)],
    ...kv('rollbacks:', s.rollbacks),
    ...kv('links released:', s.linkReleases),
    ...kv('own prefixes released:', s.ownReleases),
    ...kv('serving dropped:', s.servingDropped),
    ...kv('anchors skipped:', s.linkSkipped),
    ['anchor links through a central LMA', String(s.relayedLinks)],
    ['DLIF identity corrected by PBA', String(s.dlifCorrected)],
    ['PBUs re-sent after 156', String(s.mismatchRetries)],
    ['tunnel routes held for ND', String(s.heldForNd)],
    ['context store errors', String(s.storeErrors)],
    ['PBU retransmissions', String(s.transactions.retransmissions ?? 0)],
    ['PBAs matching no PBU', String(s.transactions.unmatchedPba ?? 0)],
    ['anchor: PBUs received', String(s.anchor.pbuReceived)],
    ...kv('anchor: accepted', s.anchor.accepted),
    ...kv('anchor: refused', s.anchor.refused),
    ['anchor: PBA send failures', String(s.anchor.pbaSendFailed)],
    ['timing: L2 trigger → PBU sent', phaseText(s.timings.triggerToPbu)],
    ['timing: PBU sent → PBA', phaseText(s.timings.pbuToPba)],
    ['timing: L2 trigger → PBA', phaseText(s.timings.triggerToPba)],
    ['timing: L2 trigger → first packet', phaseText(s.timings.triggerToFirstPacket)],
  ];
  return { columns: ['COUNTER', 'VALUE'], rows };
}

/** The `dgw` plugin (dmmd: `plugins: [{ module: '@dmm/plugin-dgw', config: … }]`). */
export const dgwPlugin: PluginDefinition<DgwConfig> = createDgwPlugin();
