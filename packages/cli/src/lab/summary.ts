/**
 * Human-readable text of a lab's status: what exists, who is on which link, the router
 * sockets, and how to reach into the lab.
 */
import { relative } from 'node:path';
import { defaultDmmctl } from './paths.js';
import type { AddressInfo, LabStatus } from './lab.js';

function addr(a: AddressInfo): string {
  const flags = [
    a.dynamic ? 'slaac' : '',
    a.tentative ? 'tentative' : '',
    a.deprecated ? 'deprecated' : '',
    a.dadFailed ? 'dadfailed' : '',
  ]
    .filter((f) => f !== '')
    .join(',');
  return `${a.address}/${a.prefixLen}${flags ? ` (${flags})` : ''}`;
}

export interface FormatOptions {
  /** Add the "how to use it" lines (after `up`). */
  hints?: boolean;
  /** How the topology file was named on the command line (for the hint lines). */
  topologyArg?: string;
}

export function formatStatus(s: LabStatus, opts: FormatOptions = {}): string {
  const out: string[] = [];
  out.push(`lab ${s.name}: ${s.phase} (namespace prefix ${s.prefix}, runtime ${s.runtimeDir})`);
  out.push('namespaces:');
  for (const n of s.namespaces) {
    const what = n.role === 'switch' ? 'switch (bridges)' : `host ${n.host ?? ''}`;
    out.push(`  ${n.name.padEnd(24)} ${what}${n.present ? '' : '  [missing]'}`);
  }
  out.push('links:');
  for (const l of s.links) {
    const mtu = l.mtu !== undefined ? ` mtu ${l.mtu}` : '';
    out.push(
      `  ${l.name.padEnd(12)} bridge ${l.bridge}${mtu}: ${l.members.length > 0 ? l.members.join(', ') : '(nobody)'}`,
    );
  }
  if (s.routers.length > 0) {
    out.push('routers:');
    for (const r of s.routers) {
      const state = r.running ? `pid ${r.pid}` : 'not running';
      out.push(`  ${r.name.padEnd(12)} ${state}, socket ${r.socket}`);
      out.push(
        `  ${''.padEnd(12)} ${r.interfaces.map((i) => `${i.name} on ${i.link}`).join(', ')}; log ${r.log}`,
      );
    }
  }
  if (s.hosts.length > 0) {
    out.push('hosts:');
    for (const h of s.hosts) {
      for (const i of h.interfaces) {
        const head = `  ${`${h.name}:${i.name}`.padEnd(16)} on ${i.link ?? '(none)'}${i.mac ? `, ${i.mac}` : ''}`;
        out.push(head);
        for (const a of i.addresses) out.push(`  ${''.padEnd(16)}   ${addr(a)}`);
      }
    }
  }
  if (s.skippedSysctls.length > 0)
    out.push(`this kernel lacks (skipped): ${s.skippedSysctls.join(', ')}`);
  if (opts.hints) {
    const topo = opts.topologyArg ?? relative(process.cwd(), s.topology);
    const h = s.hosts[0];
    const r = s.routers[0];
    out.push('use it:');
    if (h) {
      out.push(`  ip netns exec ${h.ns} ip -6 addr            # any command inside host ${h.name}`);
      out.push(`  dmm-lab exec ${topo} ${h.name} -- ping -c1 <address>`);
      const i = h.interfaces[0];
      const other = s.links.find((l) => l.name !== i?.link);
      if (i && other)
        out.push(`  dmm-lab move ${topo} ${h.name}:${i.name} ${other.name}   # layer-2 handover`);
    }
    if (r) {
      out.push(`  dmmctl --socket ${r.socket} <command>   # (${defaultDmmctl()})`);
    }
    out.push(`  dmm-lab status ${topo}`);
    out.push(`  dmm-lab down ${topo}`);
  }
  return out.join('\n');
}
