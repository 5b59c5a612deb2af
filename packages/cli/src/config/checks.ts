/**
 * Checks of a dmmd config that relate several values (docs/config.md, last section). They
 * read the raw YAML values and skip whatever does not parse (the schema reports that), so
 * they run alongside the schema and every problem of a file is listed in one go.
 *
 * - interface names are unique;
 * - `routes[].interface` and `neighbors.static[].interface` name configured interfaces;
 * - a gateway without an interface lies in a connected prefix; a link-local one has an
 *   interface (RFC 4291 §2.5.6: link-local addresses are meaningful on one link only);
 * - no two interfaces have overlapping prefixes (the connected route would be ambiguous);
 * - RA: autonomous prefixes are /64 (RFC 4862 §5.5.3 d with RFC 4291 §2.5.1 64-bit
 *   interface identifiers), preferred ≤ valid lifetime (RFC 4862 §5.5.3 c),
 *   MinRtrAdvInterval ≤ 0.75 × MaxRtrAdvInterval and AdvDefaultLifetime 0 or ≥
 *   MaxRtrAdvInterval (RFC 4861 §6.2.1), an advertised MTU no larger than the link's;
 * - `ra` and `mac` only on tap interfaces (a TUN link has no link layer, hence no ND);
 * - frames of the configured MTU fit a pool slot after the headroom, and the pool has
 *   buffers left beyond what the interfaces keep in reserve for their reads.
 */
import {
  formatIpv6Prefix,
  formatPath,
  parseIpv6Address,
  parseIpv6Prefix,
  prefixContains,
  prefixesOverlap,
  type ConfigPath,
  type Ipv6Prefix,
} from '@dmm/core';
import { isIpv6LinkLocal, isIpv6Multicast } from '@dmm/wire';

/** A problem at a config path (`key` set: the key itself is wrong, e.g. unknown). */
export interface ConfigProblem {
  path: ConfigPath;
  message: string;
  key?: string;
}

/** Longest Unix socket path (sun_path is 108 bytes with the terminating NUL). */
export const MAX_SOCKET_PATH = 107;

/** Ethernet header bytes in front of the IPv6 packet on a TAP link. */
const ETHERNET_HEADER = 14;

/** Buffers beyond the interfaces' receive reserves (packets in flight, RAs, queued ones). */
const MIN_SPARE_BUFFERS = 256;

/** RFC 4861 §6.2.1 default MaxRtrAdvInterval (s). */
const DEFAULT_MAX_RTR_ADV_INTERVAL = 600;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function tryAddress(v: unknown): Uint8Array | null {
  if (typeof v !== 'string') return null;
  try {
    return parseIpv6Address(v);
  } catch {
    return null;
  }
}

function tryPrefix(v: unknown, strict: boolean): Ipv6Prefix | null {
  if (typeof v !== 'string') return null;
  try {
    return parseIpv6Prefix(v, strict);
  } catch {
    return null;
  }
}

function lifetime(v: unknown): number | undefined {
  return v === 'infinite' ? 0xffffffff : num(v);
}

interface IfaceFacts {
  index: number;
  name: string;
  type: string;
  prefixes: { p: Ipv6Prefix; text: string; at: number }[];
}

/** Runs every cross-value check on the raw config; returns the problems found. */
export function checkDmmdConfig(raw: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (!isObj(raw)) return out;
  const ifaces = checkInterfaces(raw, out);
  const byName = new Map(ifaces.map((f) => [f.name, f]));
  checkRoutes(raw, byName, ifaces, out);
  checkNeighbors(raw, byName, out);
  const control = isObj(raw.control) ? str(raw.control.socket) : undefined;
  if (control !== undefined && Buffer.byteLength(control) > MAX_SOCKET_PATH) {
    out.push({
      path: ['control', 'socket'],
      message: `a Unix socket path is at most ${MAX_SOCKET_PATH} bytes`,
    });
  }
  return out;
}

function checkInterfaces(raw: Obj, out: ConfigProblem[]): IfaceFacts[] {
  const facts: IfaceFacts[] = [];
  const seen = new Map<string, number>();
  const router = isObj(raw.router) ? raw.router : {};
  const pool = isObj(router.pool) ? router.pool : {};
  const slotSize = num(pool.slotSize) ?? 2048;
  const headroom = num(pool.headroom) ?? 128;
  const maxPacket = slotSize - headroom;
  if (maxPacket < 128) {
    out.push({
      path: ['router', 'pool', 'headroom'],
      message: `headroom ${headroom} leaves less than 128 bytes of a ${slotSize}-byte slot`,
    });
  }
  // each TAP/TUN queue keeps up to rxBudget buffers in reserve for its next read
  const buffers = num(pool.buffers) ?? 8192;
  const rxBudget = num(router.rxBudget) ?? 256;
  const need = rxBudget * arr(raw.interfaces).length + MIN_SPARE_BUFFERS;
  if (buffers < need) {
    out.push({
      path: ['router', 'pool', 'buffers'],
      message: `${buffers} buffers are too few: each interface keeps up to rxBudget (${rxBudget}) in reserve; use at least ${need} or a lower rxBudget`,
    });
  }
  arr(raw.interfaces).forEach((it, i) => {
    if (!isObj(it)) return;
    const name = str(it.name);
    const type = str(it.type) ?? 'tap';
    const at: ConfigPath = ['interfaces', i];
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) {
        out.push({
          path: [...at, 'name'],
          message: `duplicate interface name "${name}" (first at interfaces[${first}])`,
        });
      } else seen.set(name, i);
    }
    if (type === 'tun') {
      if (it.ra !== undefined) {
        out.push({
          path: [...at, 'ra'],
          message: 'router advertisements need Neighbor Discovery: `ra` is for tap interfaces only',
        });
      }
      if (it.mac !== undefined) {
        out.push({
          path: [...at, 'mac'],
          message: 'a tun interface has no MAC: `mac` is for tap only',
        });
      }
      if (it.offload === true) {
        out.push({
          path: [...at, 'offload'],
          message: '`offload` (virtio-net header offloads) is for tap only',
        });
      }
    }
    const mtu = num(it.mtu);
    if (mtu !== undefined && mtu + (type === 'tap' ? ETHERNET_HEADER : 0) > maxPacket) {
      out.push({
        path: [...at, 'mtu'],
        message: `frames of MTU ${mtu} do not fit a packet buffer (router.pool slotSize - headroom = ${maxPacket} bytes)`,
      });
    }
    const ll = tryAddress(it.linkLocal);
    if (ll && !isIpv6LinkLocal(ll, 0)) {
      out.push({ path: [...at, 'linkLocal'], message: 'not a link-local address (fe80::/10)' });
    }
    const f: IfaceFacts = { index: i, name: name ?? `#${i}`, type, prefixes: [] };
    arr(it.addresses).forEach((a, k) => {
      const p = tryPrefix(a, false);
      if (!p) return;
      if (isIpv6LinkLocal(p.prefix, 0)) {
        out.push({
          path: [...at, 'addresses', k],
          message: 'a link-local address goes in `linkLocal`, not `addresses`',
        });
        return;
      }
      if (isIpv6Multicast(p.prefix, 0)) {
        out.push({
          path: [...at, 'addresses', k],
          message: 'a multicast address cannot be an interface address',
        });
        return;
      }
      f.prefixes.push({ p, text: String(a), at: k });
    });
    checkRa(it, at, mtu, out);
    facts.push(f);
  });
  // overlapping prefixes between interfaces: the connected routes would shadow each other
  for (let x = 0; x < facts.length; x++) {
    for (let y = 0; y < x; y++) {
      const a = facts[x]!;
      const b = facts[y]!;
      if (a.name === b.name) continue;
      for (const pa of a.prefixes) {
        const hit = b.prefixes.find((pb) => prefixesOverlap(pa.p, pb.p));
        if (hit) {
          out.push({
            path: ['interfaces', a.index, 'addresses', pa.at],
            message: `${pa.text} overlaps ${hit.text} of interface ${b.name} (${formatPath(['interfaces', b.index, 'addresses', hit.at])})`,
          });
        }
      }
    }
  }
  return facts;
}

function checkRa(it: Obj, at: ConfigPath, linkMtu: number | undefined, out: ConfigProblem[]): void {
  const ra = it.ra;
  if (!isObj(ra)) return;
  const raAt: ConfigPath = [...at, 'ra'];
  const max = num(ra.maxInterval) ?? DEFAULT_MAX_RTR_ADV_INTERVAL;
  const min = num(ra.minInterval);
  if (min !== undefined && min > 0.75 * max) {
    out.push({
      path: [...raAt, 'minInterval'],
      message: `minInterval ${min} exceeds 0.75 × maxInterval (${0.75 * max}) (RFC 4861 §6.2.1)`,
    });
  }
  const life = num(ra.routerLifetime);
  if (life !== undefined && life !== 0 && life < max) {
    out.push({
      path: [...raAt, 'routerLifetime'],
      message: `routerLifetime must be 0 or at least maxInterval (${max}) (RFC 4861 §6.2.1)`,
    });
  }
  const raMtu = num(ra.mtu);
  const mtu = linkMtu ?? 1500;
  if (raMtu !== undefined && raMtu > mtu) {
    out.push({
      path: [...raAt, 'mtu'],
      message: `advertised MTU ${raMtu} exceeds the link MTU ${mtu}`,
    });
  }
  arr(ra.prefixes).forEach((pi, j) => {
    if (!isObj(pi)) return;
    const pAt: ConfigPath = [...raAt, 'prefixes', j];
    const p = tryPrefix(pi.prefix, true);
    // RFC 4861 §6.2.1: AdvAutonomousFlag defaults to TRUE
    if (p && pi.autonomous !== false && p.prefixLen !== 64) {
      out.push({
        path: [...pAt, 'prefix'],
        message: `a SLAAC prefix (autonomous: true) must be a /64, not /${p.prefixLen} (RFC 4862 §5.5.3); set autonomous: false for other lengths`,
      });
    }
    const valid = lifetime(pi.validLifetime);
    const preferred = lifetime(pi.preferredLifetime);
    if (valid !== undefined && preferred !== undefined && preferred > valid) {
      out.push({
        path: [...pAt, 'preferredLifetime'],
        message: `preferredLifetime exceeds validLifetime (RFC 4862 §5.5.3 c: hosts ignore such a prefix)`,
      });
    }
  });
}

function checkRoutes(
  raw: Obj,
  byName: Map<string, IfaceFacts>,
  ifaces: IfaceFacts[],
  out: ConfigProblem[],
): void {
  const seen = new Map<string, number>();
  arr(raw.routes).forEach((r, i) => {
    if (!isObj(r)) return;
    const at: ConfigPath = ['routes', i];
    const ifName = str(r.interface);
    const type = str(r.type) ?? 'unicast';
    if (ifName !== undefined && !byName.has(ifName)) {
      out.push({
        path: [...at, 'interface'],
        message: `no interface named "${ifName}" in interfaces`,
      });
    }
    const p = tryPrefix(r.prefix, true);
    if (p) {
      const table = num(r.table) ?? 254;
      const key = `${table} ${formatIpv6Prefix(p.prefix, p.prefixLen)}`;
      const first = seen.get(key);
      if (first !== undefined) {
        out.push({
          path: [...at, 'prefix'],
          message: `duplicate route (first at routes[${first}])`,
        });
      } else seen.set(key, i);
      if (table === 254) {
        for (const f of ifaces) {
          const c = f.prefixes.find(
            (x) =>
              x.p.prefixLen === p.prefixLen && prefixContains(p.prefix, p.prefixLen, x.p.prefix),
          );
          if (c) {
            out.push({
              path: [...at, 'prefix'],
              message: `${formatIpv6Prefix(p.prefix, p.prefixLen)} is the connected prefix of interface ${f.name}`,
            });
          }
        }
      }
    }
    if (type !== 'unicast') {
      if (r.via !== undefined || r.interface !== undefined) {
        out.push({
          path: [...at, 'type'],
          message: `a ${type} route has no \`via\` or \`interface\``,
        });
      }
      return;
    }
    if (r.via === undefined) {
      if (r.interface === undefined)
        out.push({ path: at, message: 'a route needs `via` or `interface`' });
      return;
    }
    const gw = tryAddress(r.via);
    if (!gw || ifName !== undefined) return;
    if (isIpv6LinkLocal(gw, 0)) {
      out.push({ path: [...at, 'via'], message: 'a link-local gateway needs `interface`' });
      return;
    }
    if (
      !ifaces.some((f) => f.prefixes.some((x) => prefixContains(x.p.prefix, x.p.prefixLen, gw)))
    ) {
      out.push({
        path: [...at, 'via'],
        message: `gateway ${String(r.via)} is on no connected prefix (add \`interface\`, or an address on its link)`,
      });
    }
  });
}

function checkNeighbors(raw: Obj, byName: Map<string, IfaceFacts>, out: ConfigProblem[]): void {
  if (!isObj(raw.neighbors)) return;
  arr(raw.neighbors.static).forEach((n, i) => {
    if (!isObj(n)) return;
    const at: ConfigPath = ['neighbors', 'static', i];
    const ifName = str(n.interface);
    if (ifName !== undefined) {
      const f = byName.get(ifName);
      if (!f)
        out.push({
          path: [...at, 'interface'],
          message: `no interface named "${ifName}" in interfaces`,
        });
      else if (f.type !== 'tap') {
        out.push({
          path: [...at, 'interface'],
          message: `interface ${ifName} is a tun: neighbours need a tap`,
        });
      }
    }
    const a = tryAddress(n.address);
    if (a && isIpv6Multicast(a, 0)) {
      out.push({ path: [...at, 'address'], message: 'a multicast address has no neighbour entry' });
    }
  });
}
