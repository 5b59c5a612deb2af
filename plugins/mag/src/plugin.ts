/**
 * The `mag` plugin: a router becomes a PMIPv6 Mobile Access Gateway (RFC 5213 §6). It
 * owns the router's Mobility Header endpoint (`mobility-input` from @dmm/pmip) for PBAs,
 * adds the attachment-detection features on the `ip6-local` and `ip6-forward` arcs,
 * claims Router Solicitations on the access interfaces (ndra's `RA_SERVICE`), and uses
 * the `tunnel` plugin's tunnels (`TUNNELS`) towards the LMAs.
 *
 * Commands: `attach --mn ID --mac MAC [--interface IF] [--handoff]` (a link-layer attach
 * event), `detach --mn ID`, `show bindings` (the Binding Update List), `show mag`,
 * `show mobility`.
 */
import type { z } from 'zod';
import { Icmpv6Type, IpProto } from '@dmm/wire';
import {
  ConfigError,
  Ip6Arc,
  definePlugin,
  dropReasons,
  formatMacAddress,
  type PluginDefinition,
} from '@dmm/core';
import { driveTimers, type Clock } from '@dmm/binding-cache';
import { MobilityService, MOBILITY_PROTO } from '@dmm/pmip';
import { RA_SERVICE } from '@dmm/ndra';
import { TUNNELS } from '@dmm/tunnel';
import { magConfigSchema, type MagConfig } from './config.js';
import { MobileAccessGateway, macArg, type MagBindingRow, type MagStats } from './mag.js';
import { MAG_SERVICE } from './tokens.js';

export interface MagPluginOptions {
  /** Milliseconds since 1970 for PBU timestamps (default Date.now). */
  wallClock?: () => number;
  /** The BUL's clock (default: monotonic). */
  clock?: Clock;
  /** Sequence number before the first PBU's (default random). */
  firstSequence?: number;
}

const PROBE_REPLY = dropReasons([
  ['reply', 'Echo Reply to a presence probe (consumed, not a loss)', 'event'],
] as const);

/** The plugin with injectable clocks (tests); `magPlugin` is `createMagPlugin()`. */
export function createMagPlugin(opts: MagPluginOptions = {}): PluginDefinition<MagConfig> {
  return definePlugin<MagConfig>({
    name: 'mag',
    version: '0.1.0',
    apiVersion: '^1.0.0',
    dependencies: ['tunnel', 'ndra'],
    provides: [MAG_SERVICE],
    configSchema: magConfigSchema as unknown as z.ZodType<MagConfig>,
    setup(ctx, config) {
      const router = ctx.router;
      const mobility = new MobilityService(router, ctx.log);
      ctx.addNode(mobility.nodeDef());
      ctx.registerLocalProtocol(MOBILITY_PROTO, 'mobility-input');
      const mag = new MobileAccessGateway({
        router,
        tunnels: ctx.resolve(TUNNELS),
        ra: ctx.resolve(RA_SERVICE),
        config,
        log: ctx.log,
        sendPbu: (src, dst, pbu) => mobility.sendPbu(src, dst, pbu),
        timers: ctx.timers,
        ...(opts.wallClock ? { wallClock: opts.wallClock } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.firstSequence === undefined ? {} : { firstSequence: opts.firstSequence }),
      });
      ctx.addFeature(Ip6Arc.Local, mag.data.localNode());
      ctx.addFeature(Ip6Arc.Forward, mag.data.forwardNode());
      // Echo Replies to presence probes: counted here rather than as unhandled messages
      ctx.addNode({
        name: 'mag-probe-reply',
        next: [],
        errors: PROBE_REPLY.errors,
        process(v, rt) {
          for (let i = 0; i < v.length; i++) {
            mag.probeReply();
            rt.count(PROBE_REPLY.code.reply);
            router.pool.free(v.items[i]!);
          }
        },
      });
      ctx.registerIcmpHandler(Icmpv6Type.EchoReply, 'mag-probe-reply');
      const unregister = mobility.onPba((m) => {
        mag.handlePba(m);
      });
      ctx.provide(MAG_SERVICE, mag);
      ctx.onTeardown(() => unregister());
      ctx.registerCommand({
        path: 'attach',
        help: 'a link-layer attach event: --mn ID --mac MAC [--interface IF] [--handoff]; registers the node',
        run: (args) => {
          if (typeof args.mn !== 'string') {
            throw new ConfigError('--mn ID is required');
          }
          return mag.attachCommand(
            args.mn,
            macArg(args.mac),
            typeof args.interface === 'string' ? args.interface : undefined,
            args.handoff === true || args.handoff === 'true',
          );
        },
      });
      ctx.registerCommand({
        path: 'detach',
        help: 'a link-layer detach event: --mn ID; de-registers the node',
        run: (args) => {
          if (typeof args.mn !== 'string') {
            throw new ConfigError('--mn ID is required');
          }
          return mag.detachCommand(args.mn);
        },
      });
      ctx.registerCommand({
        path: 'show bindings',
        help: 'Binding Update List: per mobile node its MAC, prefixes, LMA, state, lifetime left, PBU attempts',
        run: () => mag.bindings(),
        table: (rows) => ({
          columns: [
            'MN-ID',
            'MAC',
            'HNP',
            'LMA',
            'INTERFACE',
            'STATE',
            'LEFT',
            'ATTEMPTS',
            'TUNNEL',
          ],
          rows: (rows as MagBindingRow[]).map((r) => [
            r.mnId,
            r.mac,
            r.prefixes.join(' ') || '-',
            r.lmaAddress,
            r.interface ?? '-',
            r.state,
            r.remainingMs === null ? '-' : `${Math.ceil(r.remainingMs / 1000)}s`,
            String(r.attempts),
            r.tunnelId === null ? '-' : String(r.tunnelId),
          ]),
        }),
      });
      ctx.registerCommand({
        path: 'show mag',
        help: 'MAG: nodes by state, attach triggers, PBUs and PBAs, rejections by status, detaches by cause, RAs, probes',
        run: () => ({ ...mag.stats(), signalling: mobility.snapshot() }),
        table: (r) => {
          const s = r as MagStats;
          const rows: string[][] = [
            ['address (Proxy-CoA)', s.address],
            ['LMA', s.lma],
            ...s.accessInterfaces.map((i) => [
              `access ${i.name}`,
              `${i.linkLocal ?? '-'} ${i.mac ?? '-'}`,
            ]),
            ...Object.entries(s.nodes).map(([k, n]) => [`nodes ${k}`, String(n)]),
            ...s.lmaTables.map((t) => [
              `table ${t.table}`,
              `::/0 → tunnel ${t.tunnel} to ${t.lma} (${t.nodes} nodes)`,
            ]),
            ...Object.entries(s.attachTriggers).map(([k, n]) => [`attach by ${k}`, String(n)]),
            ['registrations started', String(s.attachStarted)],
            ['registered', String(s.registered)],
            ['refreshed', String(s.refreshed)],
            ...Object.entries(s.rejected).map(([k, n]) => [`rejected: ${k}`, String(n)]),
            ['PBU retransmissions', String(s.transactions.retransmissions ?? 0)],
            ['gave up (no PBA)', String(s.gaveUp)],
            ['PBAs matching no PBU', String(s.transactions.unmatchedPba ?? 0)],
            ['de-registrations sent', String(s.deregSent)],
            ...Object.entries(s.detached).map(([k, n]) => [`detached: ${k}`, String(n)]),
            ['RAs sent', String(s.raSent)],
            ['presence probes / replies', `${s.probesSent} / ${s.probeReplies}`],
          ];
          return { columns: ['COUNTER', 'VALUE'], rows };
        },
      });
      ctx.registerCommand({
        path: 'show mobility',
        help: 'Mobility Header signalling: PBUs/PBAs sent, PBA status codes sent and received',
        run: () => mobility.snapshot(),
      });
      ctx.log.debug(
        {
          access: config.accessInterfaces,
          profiles: config.mobileNodes.profiles.map((p) => `${p.id}=${formatMacAddress(p.mac)}`),
          proto: IpProto.Mobility,
        },
        'MAG ready',
      );
      return {
        start() {
          const driver = driveTimers([mag.bul], ctx.timers, mag.bul.clock, {
            onError: (e) => ctx.log.error({ err: e }, 'binding update list timer failed'),
          });
          mag.start();
          ctx.onTeardown(() => driver.stop());
        },
        stop() {
          mag.stop();
        },
      };
    },
  });
}

/** The `mag` plugin (dmmd: `plugins: [{ module: '@dmm/plugin-mag', config: … }]`). */
export const magPlugin: PluginDefinition<MagConfig> = createMagPlugin();
