/**
 * `show dlifs [--node ID]`: per served node, each DLIF with its role, anchor, MAC,
 * link-local, the prefixes it advertises with the lifetimes left, its RFC 4191 routes, and
 * its counters (packets in/out, RAs sent, Router Solicitations, Neighbor Solicitations
 * answered).
 */
import type { CommandDef } from '@dmm/core';
import type { DlifManager, DlifNodeStatus } from './types.js';

export function showDlifsCommand(mgr: DlifManager): CommandDef {
  return {
    path: 'show dlifs',
    help: 'distributed logical interfaces per node: role, anchor, MAC, link-local, prefixes, routes, counters',
    run: (args) => mgr.status(typeof args.node === 'string' ? args.node : undefined),
    table: (result) => ({
      columns: [
        'NODE',
        'DLIF',
        'ROLE',
        'ANCHOR',
        'MAC',
        'LINK-LOCAL',
        'RTR',
        'PREFIXES',
        'ROUTES',
        'IN',
        'OUT',
        'RAS',
        'NS',
      ],
      rows: (result as DlifNodeStatus[]).flatMap((n) =>
        n.dlifs.map((d) => [
          `${n.node} (${n.mac})`,
          d.name,
          d.role,
          d.anchor,
          d.mac,
          d.linkLocal,
          `${d.routerLifetime}s ${d.preference}`,
          d.prefixes.join(', ') || '-',
          d.routes.join(', ') || '-',
          String(d.counters.packetsIn),
          String(d.counters.packetsOut),
          String(d.counters.rasSent),
          String(d.counters.nsAnswered),
        ]),
      ),
    }),
  };
}
