/**
 * The `ndra` plugin: Neighbor Discovery (RFC 4861: neighbour cache, NS/NA, NUD, the
 * resolver of `ip6-rewrite`), Duplicate Address Detection (RFC 4862 §5.4) and Router
 * Advertisements (RFC 4861 §6.2, RFC 4191, RFC 8106) for a Router.
 *
 * ```ts
 * await router.plugins.load(ndraPlugin, {
 *   interfaces: { lan0: { ra: { prefixes: [{ prefix: '2001:db8:1::/64' }] } } },
 * });
 * ```
 *
 * Setup wires the input nodes to `icmp6-input` (types 133–137), installs the neighbour
 * cache as the router's `NeighborResolver`, adds the static entries, and registers
 * `show ra` / `show nd`. Start runs DAD on every address and starts the RAs; stop sends
 * the final RAs (Router Lifetime 0); teardown removes the cache entries it made.
 */
import { ConfigError, definePlugin, type PluginDefinition } from '@dmm/core';
import { Icmpv6Type } from '@dmm/wire';
import type { z } from 'zod';
import { showNdCommand, showRaCommand } from './commands.js';
import { ndraConfigSchema, type NdraConfig, type RaConfig } from './config.js';
import { DUP_ADDR_DETECT_TRANSMITS } from './constants.js';
import { AddrState, AddressBook, Dad, ND_DAD_COUNTERS } from './dad.js';
import {
  NdNode,
  counterNode,
  ndNaInputNode,
  ndNsInputNode,
  ndRaInputNode,
  ndRedirectInputNode,
  ndRsInputNode,
} from './nd-input.js';
import { createNdService } from './nd-service.js';
import { ND_CACHE_COUNTERS, NeighborCache } from './neighbor-cache.js';
import { NdBuilder, PacketOut } from './packet-out.js';
import { ND_RA_COUNTERS, RaSender } from './ra-sender.js';
import { ND_SERVICE, RA_SERVICE } from './tokens.js';

export const ndraPlugin: PluginDefinition<NdraConfig> = definePlugin<NdraConfig>({
  name: 'ndra',
  version: '0.1.0',
  provides: [RA_SERVICE, ND_SERVICE],
  configSchema: ndraConfigSchema as unknown as z.ZodType<NdraConfig>,
  setup(ctx, config) {
    const router = ctx.router;
    const n = config.neighbors;
    const out = new PacketOut(router);
    const builder = new NdBuilder(router.pool);
    const book = new AddressBook();

    const cacheNode = ctx.addNode(counterNode(NdNode.Cache, ND_CACHE_COUNTERS));
    const raNode = ctx.addNode(counterNode(NdNode.Ra, ND_RA_COUNTERS));
    const dadNode = ctx.addNode(counterNode(NdNode.Dad, ND_DAD_COUNTERS));

    const cache = new NeighborCache(
      router,
      {
        reachableTime: n.reachableTime,
        retransTimer: n.retransTimer,
        delayFirstProbeTime: n.delayFirstProbeTime * 1000,
        maxMulticastSolicit: n.maxMulticastSolicit,
        maxUnicastSolicit: n.maxUnicastSolicit,
        queueLength: n.queueLength,
      },
      out,
      builder,
      book,
      cacheNode,
      ctx.timers,
    );
    const dad = new Dad(
      router,
      builder,
      out,
      ctx.timers,
      { node: dadNode, started: 0, succeeded: 1, duplicate: 2, noBuffer: 3 },
      ctx.log,
      n.retransTimer,
      DUP_ADDR_DETECT_TRANSMITS,
    );
    const ra = new RaSender(router, out, book, ctx.timers, raNode, ctx.log);

    const deps = { ip6: router.ip6, cache, book, dad, ra, builder, out };
    ctx.addNode(ndRsInputNode(deps));
    ctx.addNode(ndRaInputNode(deps));
    ctx.addNode(ndNsInputNode(deps));
    ctx.addNode(ndNaInputNode(deps));
    ctx.addNode(ndRedirectInputNode());
    ctx.registerIcmpHandler(Icmpv6Type.RouterSolicitation, NdNode.RsInput);
    ctx.registerIcmpHandler(Icmpv6Type.RouterAdvertisement, NdNode.RaInput);
    ctx.registerIcmpHandler(Icmpv6Type.NeighborSolicitation, NdNode.NsInput);
    ctx.registerIcmpHandler(Icmpv6Type.NeighborAdvertisement, NdNode.NaInput);
    ctx.registerIcmpHandler(Icmpv6Type.Redirect, NdNode.RedirectInput);

    router.neighbors.resolver = cache;
    ctx.onTeardown(() => {
      if (router.neighbors.resolver === cache) router.neighbors.resolver = null;
      cache.clear();
      for (const r of book.list()) dad.cancel(r);
    });

    let started = false;

    /** Our address `addr` on `ifIndex`: DAD now, or at start. */
    const track = (ifIndex: number, addr: Uint8Array): void => {
      const rec = book.add(ifIndex, addr);
      if (started) dad.begin(rec);
    };

    // RA and static-neighbour config of interfaces that may not exist yet
    const pendingRa = new Map<string, RaConfig>();
    const pendingStatic = new Map<string, { address: Uint8Array; mac: Uint8Array }[]>();
    const applyInterface = (ifIndex: number, name: string): void => {
      const iface = router.interfaces[ifIndex]!;
      const raConfig = pendingRa.get(name);
      if (raConfig !== undefined) {
        if (iface.kind !== 'ethernet') {
          throw new ConfigError(
            `interface ${name}: Router Advertisements need an Ethernet (tap) interface`,
            {
              path: ['interfaces', name, 'ra'],
            },
          );
        }
        ra.configure(ifIndex, raConfig);
        pendingRa.delete(name);
      }
      for (const s of pendingStatic.get(name) ?? []) cache.addStatic(ifIndex, s.address, s.mac);
      pendingStatic.delete(name);
    };

    for (const [name, ifc] of Object.entries(config.interfaces)) {
      if (ifc.ra !== undefined) pendingRa.set(name, ifc.ra);
    }
    for (const s of config.neighbors.static) {
      let list = pendingStatic.get(s.interface);
      if (list === undefined) pendingStatic.set(s.interface, (list = []));
      list.push({ address: s.address, mac: s.mac });
    }
    for (const iface of router.interfaces) {
      if (iface.removed) continue;
      applyInterface(iface.index, iface.name);
      if (iface.linkLocal) track(iface.index, iface.linkLocal);
      for (const a of iface.addresses) track(iface.index, a.address);
    }

    ctx.on('interface:added', (ifIndex, name) => {
      applyInterface(ifIndex, name);
      const ll = router.interfaces[ifIndex]!.linkLocal;
      if (ll) track(ifIndex, ll);
    });
    ctx.on('interface:removed', (ifIndex) => ra.forget(ifIndex));
    ctx.on('address:added', (ifIndex, a) => track(ifIndex, a.address));
    ctx.on('address:removed', (ifIndex, a) => {
      const rec = book.remove(ifIndex, a.address);
      if (rec !== null) dad.cancel(rec);
    });

    const nd = createNdService(router, book, dad, cache);
    ctx.provide(RA_SERVICE, ra);
    ctx.provide(ND_SERVICE, nd);
    ctx.registerCommand(showRaCommand(ra));
    ctx.registerCommand(showNdCommand(router, nd));

    return {
      start() {
        const missing = [...pendingRa.keys(), ...pendingStatic.keys()];
        if (missing.length > 0) {
          const name = missing[0]!;
          throw new ConfigError(`ndra: no interface named ${name}`, {
            path: pendingRa.has(name) ? ['interfaces', name] : ['neighbors', 'static'],
          });
        }
        started = true;
        for (const rec of book.list()) if (rec.state === AddrState.Tentative) dad.begin(rec);
        ra.start();
      },
      stop() {
        ra.stop();
        started = false;
        for (const r of book.list()) dad.cancel(r);
      },
    };
  },
});
