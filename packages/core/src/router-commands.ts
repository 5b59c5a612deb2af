/**
 * The router's own control commands: `show interfaces`, `show neighbors`, `show counters`,
 * `show plugins`, `show runtime`. Registered by every Router; served by the control API.
 */
import { formatIpv6Address, formatIpv6Prefix, formatMacAddress } from './config/ip.js';
import type { Router } from './router.js';
import { NEIGHBOR_STATE_NAMES } from './route/neighbor-table.js';

export function registerRouterCommands(router: Router): void {
  const c = router.commands;
  c.register({
    path: 'show interfaces',
    help: 'interfaces: kind, MAC, MTU, state, addresses, packet counters, offloads',
    run: () =>
      router.interfaces.map((i) => {
        const s = i.device.stats;
        return {
          index: i.index,
          name: i.name,
          kind: i.kind,
          mac: i.mac ? formatMacAddress(i.mac) : null,
          mtu: i.mtu,
          up: i.adminUp,
          linkLocal: i.linkLocal ? formatIpv6Address(i.linkLocal) : null,
          addresses: i.addresses.map((a) => formatIpv6Prefix(a.address, a.prefixLen)),
          rxPackets: s.rxPackets,
          rxBytes: s.rxBytes,
          txPackets: s.txPackets,
          txBytes: s.txBytes,
          txDropped: s.txDropped,
          offload: i.offload,
          rxGso: s.rxGso,
          txGso: s.txGso,
          rxCopied: s.rxCopied,
        };
      }),
    table: (rows) => ({
      columns: [
        'NAME',
        'KIND',
        'MAC',
        'MTU',
        'STATE',
        'ADDRESSES',
        'RX',
        'TX',
        'TX-DROP',
        'OFFLOAD',
      ],
      rows: (rows as Record<string, unknown>[]).map((r) => [
        String(r.name),
        String(r.kind),
        String(r.mac ?? '-'),
        String(r.mtu),
        r.up ? 'up' : 'down',
        [r.linkLocal, ...(r.addresses as string[])].filter(Boolean).join(' ') || '-',
        String(r.rxPackets),
        String(r.txPackets),
        String(r.txDropped),
        // virtio-net header offloads: checksum and TCP/IPv6 segmentation (docs/config.md)
        r.offload ? 'csum,tso6' : '-',
      ]),
    }),
  });
  c.register({
    path: 'show neighbors',
    help: 'neighbour cache: address, MAC, state, router flag, interface',
    run: () =>
      router.neighbors.list().map((n) => ({
        interface: router.interfaces[n.ifIndex]?.name ?? String(n.ifIndex),
        address: formatIpv6Address(n.address),
        mac: n.mac ? formatMacAddress(n.mac) : null,
        state: NEIGHBOR_STATE_NAMES[n.state],
        router: n.isRouter,
      })),
    table: (rows) => ({
      columns: ['INTERFACE', 'ADDRESS', 'MAC', 'STATE', 'ROUTER'],
      rows: (rows as Record<string, unknown>[]).map((r) => [
        String(r.interface),
        String(r.address),
        String(r.mac ?? '-'),
        String(r.state),
        r.router ? 'yes' : 'no',
      ]),
    }),
  });
  c.register({
    path: 'show counters',
    help: 'every non-zero node counter (drops by reason, errors sent, …) and the pool',
    run: (args) => ({
      nodes:
        args.all === true ? Object.fromEntries(router.graph.dropCounters(true)) : router.counters(),
      pool: {
        buffers: router.pool.count,
        inUse: router.pool.inUse,
        exhausted: router.pool.exhausted,
      },
      breaths: router.scheduler.breaths,
    }),
    table: (r) => {
      const res = r as {
        nodes: Record<string, number>;
        pool: Record<string, number>;
        breaths: number;
      };
      return {
        columns: ['COUNTER', 'VALUE'],
        rows: [
          ...Object.entries(res.nodes).map(([k, v]) => [k, String(v)]),
          ['pool.in-use', String(res.pool.inUse)],
          ['pool.exhausted', String(res.pool.exhausted)],
          ['scheduler.breaths', String(res.breaths)],
        ],
      };
    },
  });
  c.register({
    path: 'show plugins',
    help: 'loaded plugins: version, state, dependencies, contained errors',
    run: () => router.plugins.list(),
    table: (rows) => ({
      columns: ['PLUGIN', 'VERSION', 'STATE', 'DEPENDS ON', 'ERRORS', 'LAST ERROR'],
      rows: (rows as ReturnType<typeof router.plugins.list>).map((p) => [
        p.name,
        p.version,
        p.state,
        p.dependencies.join(',') || '-',
        String(p.errors),
        p.lastError ?? '-',
      ]),
    }),
  });
  c.register({
    path: 'show runtime',
    help: 'per node: calls, packets, packets per call, ns per packet (when runtime stats are on)',
    run: () =>
      router.graph.nodes
        .filter((n) => n.calls > 0)
        .map((n) => ({
          node: n.name,
          calls: n.calls,
          packets: n.packets,
          vectorSize: n.calls ? n.packets / n.calls : 0,
          nsPerPacket: n.packets && router.graph.runtimeStats ? n.timeNs / n.packets : null,
        })),
    table: (rows) => ({
      columns: ['NODE', 'CALLS', 'PACKETS', 'PKTS/CALL', 'NS/PKT'],
      rows: (rows as Record<string, number | string | null>[]).map((r) => [
        String(r.node),
        String(r.calls),
        String(r.packets),
        (r.vectorSize as number).toFixed(1),
        r.nsPerPacket === null ? '-' : (r.nsPerPacket as number).toFixed(0),
      ]),
    }),
  });
}
