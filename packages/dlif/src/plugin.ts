/**
 * The `dlif` plugin: Distributed Logical Interfaces (draft-bernardos-dmm-distributed-
 * anchoring-02 §4.1) as a service (`DLIFS` → `DlifManager`) for the mobility plugins, plus
 * `show dlifs` and the per-DLIF packet counters.
 *
 * ```ts
 * await router.plugins.load(ndraPlugin, {});
 * await router.plugins.load(dlifPlugin, { maxInterval: 600 });
 * await router.start();
 * const dlifs = router.container.resolve(DLIFS);
 * dlifs.create({ parent: 'acc0', node: { id: 'mn1', mac }, anchor: { id: 'dgw2' }, role: 'serving',
 *                prefixes: [{ prefix: prefB, prefixLen: 64 }] });
 * ```
 *
 * Depends on `ndra` (its RaService sends the RAs, its ND answers for the DLIFs' link-local
 * addresses). Start sends every DLIF's RA and starts the periodic ones; stop sends each
 * DLIF's final RA (Router Lifetime 0, RFC 4861 §6.2.5); teardown removes every DLIF.
 */
import { Ip6Arc, definePlugin, type PluginDefinition } from '@dmm/core';
import { RA_SERVICE } from '@dmm/ndra';
import type { z } from 'zod';
import { showDlifsCommand } from './commands.js';
import { dlifConfigSchema, type DlifConfig } from './config.js';
import { DlifNode, IfCounters, dlifRxNode, dlifTxNode } from './counters.js';
import { DlifManagerImpl } from './manager.js';
import { DLIFS } from './tokens.js';

export const dlifPlugin: PluginDefinition<DlifConfig> = definePlugin<DlifConfig>({
  name: 'dlif',
  version: '0.1.0',
  dependencies: ['ndra'],
  provides: [DLIFS],
  configSchema: dlifConfigSchema as unknown as z.ZodType<DlifConfig>,
  setup(ctx, config) {
    const ra = ctx.resolve(RA_SERVICE);
    let counters: IfCounters | null = null;
    if (config.counters) {
      counters = new IfCounters();
      ctx.addFeature(Ip6Arc.Local, dlifRxNode(DlifNode.RxLocal, counters));
      ctx.addFeature(Ip6Arc.Forward, dlifRxNode(DlifNode.RxForward, counters));
      ctx.addFeature(Ip6Arc.Output, dlifTxNode(counters));
    }
    const mgr = new DlifManagerImpl(ctx.router, ra, ctx.timers, config, ctx.log, counters);
    ctx.provide(DLIFS, mgr);
    ctx.registerCommand(showDlifsCommand(mgr));
    ctx.onTeardown(() => mgr.teardown());
    return {
      start() {
        mgr.start();
      },
      stop() {
        mgr.stop();
      },
    };
  },
});
