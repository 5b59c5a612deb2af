/**
 * The lab topology file: links (layer-2 segments, one Linux bridge each in the switch
 * namespace), hosts (Linux kernel hosts, one namespace each, attached to links by veth
 * pairs) and routers (one dmmd each, their TAP netdevs enslaved to the links' bridges).
 * The format is documented in docs/lab.md.
 *
 * Loading validates everything before anything is touched: zod for shapes, then the
 * cross-references (links, interface names, device-name clashes); every problem is a line
 * `FILE:LINE:COLUMN: KEY: message` from core's YamlSource.
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import {
  YamlSource,
  formatIpv6Address,
  formatIpv6Prefix,
  formatMacAddress,
  zIpv6Address,
  zIpv6Interface,
  zIpv6Prefix,
  zMac,
  type ConfigPath,
} from '@dmm/core';

const zSysctlValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform((x) => (typeof x === 'boolean' ? (x ? '1' : '0') : String(x)));
const zMtu = z.int().min(1280, 'IPv6 needs an MTU of at least 1280 (RFC 8200 §5)').max(65535);
const zSeconds = z.number().positive();

const zLink = z.preprocess(
  (x) => x ?? {},
  z.strictObject({
    mtu: zMtu.optional(),
  }),
);

const zHostInterface = z.strictObject({
  link: z.string(),
  mac: zMac.optional(),
  mtu: zMtu.optional(),
  addresses: z.array(zIpv6Interface).default([]),
  slaac: z.array(zIpv6Prefix).default([]),
  sysctls: z.record(z.string(), zSysctlValue).default({}),
});

const zHostRoute = z.strictObject({
  prefix: z.union([z.literal('default'), zIpv6Prefix]),
  via: zIpv6Address.optional(),
  interface: z.string().optional(),
  metric: z.int().min(0).optional(),
});

const zHost = z.strictObject({
  forwarding: z.boolean().default(false),
  sysctls: z.record(z.string(), zSysctlValue).default({}),
  interfaces: z.record(z.string(), zHostInterface),
  routes: z.array(zHostRoute).default([]),
});

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const zRouter = z.strictObject({
  config: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  interfaces: z.record(z.string(), z.string()),
  logLevel: z.enum(LOG_LEVELS).optional(),
});

const zTopology = z.strictObject({
  name: z.string(),
  prefix: z.string().optional(),
  timeouts: z
    .strictObject({
      ready: zSeconds.default(20),
      addresses: zSeconds.default(30),
      stop: zSeconds.default(5),
    })
    .prefault({}),
  links: z.record(z.string(), zLink),
  hosts: z.record(z.string(), zHost).default({}),
  routers: z.record(z.string(), zRouter).default({}),
});

type RawTopology = z.output<typeof zTopology>;

/** A layer-2 segment: one bridge in the switch namespace. */
export interface LinkPlan {
  name: string;
  bridge: string;
  mtu?: number;
}

/** A host interface: `name` inside the host namespace, `peer` on the bridge. */
export interface HostInterfacePlan {
  host: string;
  name: string;
  /** The link it is attached to when the lab comes up. */
  link: string;
  /** The veth end in the switch namespace. */
  peer: string;
  mac?: string;
  mtu?: number;
  /** `ADDR/LEN` static addresses. */
  addresses: string[];
  /** Prefixes (`P/LEN`) `up` waits to see a SLAAC address from. */
  slaac: string[];
  /** Short `net.ipv6.conf.<dev>.*` names → values, after the defaults. */
  sysctls: [string, string][];
}

export interface HostRoutePlan {
  /** `default` or `P/LEN`. */
  prefix: string;
  via?: string;
  interface?: string;
  metric?: number;
}

export interface HostPlan {
  name: string;
  ns: string;
  forwarding: boolean;
  /** Full `net.…` names → values, after the defaults. */
  sysctls: [string, string][];
  interfaces: HostInterfacePlan[];
  routes: HostRoutePlan[];
}

/** Where a router's dmmd config came from: errors are reported against it. */
export interface RouterConfigOrigin {
  source: YamlSource;
  /** Path of the config inside `source` (`['routers', 'r1', 'config']` when inline). */
  path: ConfigPath;
  /** Directory relative paths in the config are taken from. */
  baseDir: string;
}

export interface RouterPlan {
  name: string;
  /** Router netdev → link. */
  interfaces: { name: string; link: string }[];
  /** The dmmd config as given (plain values), before the lab patches it. */
  config: Record<string, unknown>;
  origin: RouterConfigOrigin;
  logLevel?: string;
}

/** A validated topology with every derived name. */
export interface Topology {
  /** The file it came from (absolute), or a label for in-memory text. */
  file: string;
  name: string;
  prefix: string;
  /** The switch namespace `<prefix>-sw`. */
  switchNs: string;
  timeouts: { ready: number; addresses: number; stop: number };
  links: LinkPlan[];
  hosts: HostPlan[];
  routers: RouterPlan[];
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/i;
const LAB_NAME = /^[a-z0-9][a-z0-9-]*$/;
const IFNAME = /^[^\s/:]+$/;
const RESERVED_HOSTS = new Set(['sw', 'switch']);

/** The veth end on the bridge: `<host>-<iface>` when it fits in IFNAMSIZ, else a digest. */
export function peerName(host: string, iface: string): string {
  const plain = `${host}-${iface}`;
  if (plain.length <= 15) return plain;
  return `v-${createHash('sha256').update(`${host}\0${iface}`).digest('hex').slice(0, 12)}`;
}

/** Reads and validates a topology file. */
export function loadTopology(file: string): Topology {
  const abs = resolve(file);
  return parseTopology(YamlSource.read(abs), dirname(abs));
}

/** Validates a topology given as YAML text (`file` labels errors; `baseDir` resolves paths). */
export function parseTopologyText(text: string, file: string, baseDir: string): Topology {
  return parseTopology(new YamlSource(file, text), baseDir);
}

function parseTopology(src: YamlSource, baseDir: string): Topology {
  const raw = src.validate(zTopology);
  const problems: { path: ConfigPath; message: string; key?: string }[] = [];
  const bad = (path: ConfigPath, message: string, key?: string) =>
    problems.push(key === undefined ? { path, message } : { path, message, key });

  if (!LAB_NAME.test(raw.name) || raw.name.length > 32) {
    bad(['name'], 'a lab name is 1..32 of a-z, 0-9 and "-", starting with a letter or digit');
  }
  const prefix = raw.prefix ?? `dmml-${raw.name}`;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(prefix) || prefix.length > 64) {
    bad(['prefix'], 'a namespace prefix is 1..64 of letters, digits, "_", "." and "-"');
  }
  const switchNs = `${prefix}-sw`;

  // Device names inside the switch namespace: bridges, veth peers and router netdevs.
  const swNames = new Map<string, string>();
  const claim = (dev: string, what: string, path: ConfigPath, key?: string) => {
    const prev = swNames.get(dev);
    if (prev !== undefined)
      bad(path, `device name ${dev} (${what}) is already used by ${prev} in ${switchNs}`, key);
    else swNames.set(dev, what);
  };

  const links: LinkPlan[] = [];
  for (const [name, l] of Object.entries(raw.links)) {
    if (!NAME.test(name) || name.length > 12) {
      bad(['links'], 'a link name is 1..12 of letters, digits, "_" and "-"', name);
      continue;
    }
    const plan: LinkPlan = { name, bridge: `br-${name}` };
    if (l.mtu !== undefined) plan.mtu = l.mtu;
    links.push(plan);
    claim(plan.bridge, `the bridge of link ${name}`, ['links', name]);
  }
  const linkNames = new Set(links.map((l) => l.name));
  if (Object.keys(raw.links).length === 0) bad(['links'], 'a lab needs at least one link');

  const hosts: HostPlan[] = [];
  for (const [hname, h] of Object.entries(raw.hosts)) {
    const hp: ConfigPath = ['hosts', hname];
    if (!NAME.test(hname) || hname.length > 32 || RESERVED_HOSTS.has(hname)) {
      bad(
        ['hosts'],
        'a host name is 1..32 of letters, digits, "_" and "-", and not "sw" or "switch"',
        hname,
      );
      continue;
    }
    if (Object.keys(h.interfaces).length === 0)
      bad([...hp, 'interfaces'], 'a host needs at least one interface');
    const interfaces: HostInterfacePlan[] = [];
    for (const [iname, i] of Object.entries(h.interfaces)) {
      const ip: ConfigPath = [...hp, 'interfaces', iname];
      if (!IFNAME.test(iname) || iname.length > 15 || iname === 'lo') {
        bad(
          [...hp, 'interfaces'],
          'an interface name is 1..15 bytes without spaces, "/" or ":", and not "lo"',
          iname,
        );
        continue;
      }
      if (!linkNames.has(i.link)) bad([...ip, 'link'], `no link named "${i.link}" in links`);
      const peer = peerName(hname, iname);
      claim(peer, `the veth peer of ${hname}:${iname}`, ip);
      const plan: HostInterfacePlan = {
        host: hname,
        name: iname,
        link: i.link,
        peer,
        addresses: i.addresses.map((a) => formatIpv6Prefix(a.prefix, a.prefixLen)),
        slaac: i.slaac.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
        sysctls: [],
      };
      i.slaac.forEach((p, n) => {
        if (p.prefixLen !== 64)
          bad([...ip, 'slaac', n], 'SLAAC prefixes are /64 (RFC 4862 §5.5.3(d), RFC 4291 §2.5.1)');
      });
      for (const [k, val] of Object.entries(i.sysctls)) {
        if (!/^[a-z0-9_]+$/.test(k)) {
          bad(
            [...ip, 'sysctls'],
            `"${k}" is not a net.ipv6.conf.<dev> setting name (e.g. accept_dad)`,
            k,
          );
        } else plan.sysctls.push([k, val]);
      }
      if (i.mac !== undefined) {
        if ((i.mac[0]! & 1) !== 0)
          bad([...ip, 'mac'], 'a multicast MAC cannot be an interface address');
        plan.mac = formatMacAddress(i.mac);
      }
      const mtu = i.mtu ?? links.find((l) => l.name === i.link)?.mtu;
      if (mtu !== undefined) plan.mtu = mtu;
      interfaces.push(plan);
    }
    const ifNames = new Set(interfaces.map((i) => i.name));
    const sysctls: [string, string][] = [];
    for (const [k, val] of Object.entries(h.sysctls)) {
      if (!/^net[./][a-zA-Z0-9_.\-/]+$/.test(k)) {
        bad([...hp, 'sysctls'], `"${k}": only net.* settings belong to a network namespace`, k);
      } else sysctls.push([k, val]);
    }
    const routes: HostRoutePlan[] = [];
    h.routes.forEach((r, n) => {
      const rp: ConfigPath = [...hp, 'routes', n];
      const plan: HostRoutePlan = {
        prefix:
          r.prefix === 'default'
            ? 'default'
            : formatIpv6Prefix(r.prefix.prefix, r.prefix.prefixLen),
      };
      if (r.via !== undefined) {
        plan.via = formatIpv6Address(r.via);
        if (r.via[0] === 0xfe && (r.via[1]! & 0xc0) === 0x80 && r.interface === undefined) {
          bad(
            rp,
            'a link-local gateway needs "interface" (RFC 4291 §2.5.6: link-local is per link)',
          );
        }
      }
      if (r.interface !== undefined) {
        if (!ifNames.has(r.interface))
          bad([...rp, 'interface'], `host ${hname} has no interface "${r.interface}"`);
        plan.interface = r.interface;
      }
      if (r.via === undefined && r.interface === undefined)
        bad(rp, 'a route needs "via", "interface" or both');
      if (r.metric !== undefined) plan.metric = r.metric;
      routes.push(plan);
    });
    hosts.push({
      name: hname,
      ns: `${prefix}-${hname}`,
      forwarding: h.forwarding,
      sysctls,
      interfaces,
      routes,
    });
  }

  const routers: RouterPlan[] = [];
  for (const [rname, r] of Object.entries(raw.routers)) {
    const rp: ConfigPath = ['routers', rname];
    if (!NAME.test(rname) || rname.length > 32) {
      bad(['routers'], 'a router name is 1..32 of letters, digits, "_" and "-"', rname);
      continue;
    }
    if (raw.hosts[rname] !== undefined) bad(['routers'], `"${rname}" is also a host name`, rname);
    const loaded = loadRouterConfig(src, baseDir, rname, r.config, bad);
    if (!loaded) continue;
    const { config, origin } = loaded;
    const cfgIfs = Array.isArray(config.interfaces) ? (config.interfaces as unknown[]) : [];
    const interfaces: { name: string; link: string }[] = [];
    for (const [dev, link] of Object.entries(r.interfaces)) {
      if (!IFNAME.test(dev) || dev.length > 15) {
        bad(
          [...rp, 'interfaces'],
          'an interface name is 1..15 bytes without spaces, "/" or ":"',
          dev,
        );
        continue;
      }
      if (!linkNames.has(link)) bad([...rp, 'interfaces', dev], `no link named "${link}" in links`);
      const entry = cfgIfs.find((e) => isRecord(e) && e.name === dev) as
        Record<string, unknown> | undefined;
      if (!entry) {
        bad([...rp, 'interfaces'], `the dmmd config of ${rname} has no interface "${dev}"`, dev);
        continue;
      }
      if (entry.type === 'tun') {
        bad(
          [...rp, 'interfaces', dev],
          `${dev} is a TUN device: only a TAP (Ethernet) can join a bridge`,
        );
      }
      if (entry.netns !== undefined && entry.netns !== switchNs) {
        bad(
          [...rp, 'interfaces', dev],
          `the dmmd config puts ${dev} in netns ${String(entry.netns)}; the lab needs it in ${switchNs}`,
        );
      }
      const mtu = links.find((l) => l.name === link)?.mtu;
      if (mtu !== undefined && entry.mtu !== undefined && entry.mtu !== mtu) {
        bad(
          [...rp, 'interfaces', dev],
          `the dmmd config gives ${dev} MTU ${String(entry.mtu)} but link ${link} has MTU ${mtu}`,
        );
      }
      claim(dev, `an interface of router ${rname}`, [...rp, 'interfaces'], dev);
      interfaces.push({ name: dev, link });
    }
    const plan: RouterPlan = { name: rname, interfaces, config, origin };
    if (r.logLevel !== undefined) plan.logLevel = r.logLevel;
    routers.push(plan);
  }

  if (problems.length > 0) {
    // In file order, as a reader goes through the file.
    const at = (p: (typeof problems)[number]) => src.position(p.path, p.key);
    const keyed = problems.map((p) => ({ p, pos: at(p) }));
    keyed.sort((a, b) => a.pos.line - b.pos.line || a.pos.column - b.pos.column);
    src.fail(keyed.map((k) => k.p));
  }
  return {
    file: src.file,
    name: raw.name,
    prefix,
    switchNs,
    timeouts: { ...raw.timeouts },
    links,
    hosts,
    routers,
  };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function loadRouterConfig(
  src: YamlSource,
  baseDir: string,
  rname: string,
  config: RawTopology['routers'][string]['config'],
  bad: (path: ConfigPath, message: string, key?: string) => void,
): { config: Record<string, unknown>; origin: RouterConfigOrigin } | null {
  const path: ConfigPath = ['routers', rname, 'config'];
  if (typeof config !== 'string') {
    return { config: structuredClone(config), origin: { source: src, path, baseDir } };
  }
  const file = isAbsolute(config) ? config : resolve(baseDir, config);
  let source: YamlSource;
  try {
    source = YamlSource.read(file);
  } catch (e) {
    bad(path, (e as Error).message);
    return null;
  }
  const value = source.toJS();
  if (!isRecord(value)) {
    bad(path, `${file} is not a YAML mapping`);
    return null;
  }
  return { config: value, origin: { source, path: [], baseDir: dirname(file) } };
}
