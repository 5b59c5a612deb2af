/**
 * Control commands of the ND/RA module: `show ra` (per interface: next RA due, RAs sent,
 * RSs received, configuration) and `show nd` (cache figures, DAD state of our addresses,
 * the ND counters). `show neighbors` (the cache entries) is core's.
 */
import type { CommandDef, Router } from '@dmm/core';
import { NdNode } from './nd-input.js';
import type { NdService } from './nd-service.js';
import type { RaSender, RaStatus } from './ra-sender.js';

const COUNTER_NODES = [
  NdNode.NsInput,
  NdNode.NaInput,
  NdNode.RsInput,
  NdNode.RaInput,
  NdNode.RedirectInput,
  NdNode.Cache,
  NdNode.Dad,
  NdNode.Ra,
];

/** Non-zero counters of the module's nodes as `node.counter` → value. */
export function ndCounters(router: Router, all = false): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of COUNTER_NODES) {
    const n = router.graph.node(name);
    if (!n) continue;
    n.def.errors.forEach((e, i) => {
      const c = n.drops[i] ?? 0;
      if (all || c !== 0) out[`${name}.${e.name}`] = c;
    });
  }
  return out;
}

export function showRaCommand(ra: RaSender): CommandDef {
  return {
    path: 'show ra',
    help: 'Router Advertisements per interface: next RA due, RAs sent, RSs received, configuration',
    run: () => ra.status(),
    table: (rows) => ({
      columns: [
        'INTERFACE',
        'ENABLED',
        'NEXT RA',
        'SENT U/S/UC/F/API',
        'RS',
        'INTERVAL',
        'LIFETIME',
        'PRF',
        'PREFIXES',
      ],
      rows: (rows as RaStatus[]).map((r) => [
        r.interface,
        r.enabled ? 'yes' : 'no',
        r.nextIn === null ? '-' : `${r.nextIn.toFixed(1)}s`,
        `${r.sent.unsolicited}/${r.sent.solicited}/${r.sent.unicast}/${r.sent.final}/${r.sent.api}`,
        String(r.rsReceived),
        `${r.minInterval}-${r.maxInterval}s`,
        `${r.routerLifetime}s`,
        r.preference,
        r.prefixes.join(' ') || '-',
      ]),
    }),
  };
}

export function showNdCommand(router: Router, nd: NdService): CommandDef {
  return {
    path: 'show nd',
    help: 'Neighbor Discovery: cache figures, DAD state of our addresses, ND counters',
    run: (args) => ({
      cache: nd.cacheSummary(),
      addresses: nd.addresses(),
      counters: ndCounters(router, args.all === true),
    }),
    table: (r) => {
      const res = r as {
        cache: { states: Record<string, number>; queued: number; reachableTime: number };
        addresses: { interface: string; address: string; state: string; foundBy: string | null }[];
        counters: Record<string, number>;
      };
      return {
        columns: ['ITEM', 'VALUE'],
        rows: [
          ...Object.entries(res.cache.states).map(([k, v]) => [`cache.${k}`, String(v)]),
          ['cache.queued', String(res.cache.queued)],
          ['cache.reachable-time-ms', String(res.cache.reachableTime)],
          ...res.addresses.map((a) => [
            `address ${a.interface} ${a.address}`,
            a.foundBy ? `${a.state} (${a.foundBy})` : a.state,
          ]),
          ...Object.entries(res.counters).map(([k, v]) => [k, String(v)]),
        ],
      };
    },
  };
}
