/**
 * The dmmd configuration file (docs/config.md) as zod schemas. Every object is strict:
 * an unknown key is an error that points at the key. Ranges come from the RFCs that define
 * the values: RFC 4861 §6.2.1 (router advertisement variables) and §10 (ND constants),
 * RFC 4191 §2.2 (route preferences), RFC 8106 §5.1 (RDNSS), RFC 8200 §5 (1280-byte minimum
 * link MTU).
 *
 * The checks that relate several values (unique names, references, overlapping prefixes,
 * gateway reachability, RA constraints) live in checks.ts, so that they can run even when
 * another part of the file does not parse and every problem is reported at once.
 */
import { z } from 'zod';
import { zIfName, zIpv6Address, zIpv6Interface, zIpv6Prefix, zMac } from '@dmm/core';

/** Log levels of `log.level` and `--log-level`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** 2^32 - 1: the "infinity" of RFC 4861 §4.6.2 lifetimes. */
export const INFINITE_LIFETIME = 0xffffffff;

const uint32 = z.number().int().min(0).max(INFINITE_LIFETIME);

/** A lifetime in seconds: a 32-bit number or `infinite` (all ones, RFC 4861 §4.6.2). */
export const zLifetime = z.union([uint32, z.literal('infinite')], {
  error: 'expected seconds (0..4294967295) or "infinite"',
});

/** RFC 4191 §2.2 router / route preference. */
export const zPreference = z.enum(['low', 'medium', 'high']);

/** A router name: a file name (it names the default control socket). */
export const zRouterName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'a router name is 1..64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

/** A named network namespace (`ip netns add NAME`: a file under /var/run/netns). */
export const zNetnsName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,255}$/, 'a namespace name is letters, digits, ".", "_" or "-"')
  .refine((s) => s !== '.' && s !== '..', 'a namespace name cannot be "." or ".."');

/** RFC 4861 §4.6.2 Prefix Information. */
const raPrefixSchema = z.strictObject({
  prefix: zIpv6Prefix,
  onLink: z.boolean().optional(),
  autonomous: z.boolean().optional(),
  validLifetime: zLifetime.optional(),
  preferredLifetime: zLifetime.optional(),
});

/** RFC 4191 §2.3 Route Information. */
const raRouteSchema = z.strictObject({
  prefix: zIpv6Prefix,
  preference: zPreference.optional(),
  lifetime: zLifetime.optional(),
});

/** RFC 8106 §5.1 Recursive DNS Server. */
const raRdnssSchema = z.strictObject({
  servers: z.array(zIpv6Address).min(1).max(127),
  lifetime: zLifetime.optional(),
});

/** Router Advertisement variables of one interface (RFC 4861 §6.2.1). */
export const raSchema = z.strictObject({
  enabled: z.boolean().optional(),
  // MaxRtrAdvInterval ≤ 1800 s (RFC 4861 §6.2.1); RFC 6275 §7.5 lowers the minimums to
  // 0.03 s (MinRtrAdvInterval) and 0.07 s (MaxRtrAdvInterval) for mobility routers
  minInterval: z.number().min(0.03).max(1350).optional(),
  maxInterval: z.number().min(0.07).max(1800).optional(),
  // AdvDefaultLifetime: 0 or MaxRtrAdvInterval..9000 s (RFC 4861 §6.2.1)
  routerLifetime: z.number().int().min(0).max(9000).optional(),
  preference: zPreference.optional(),
  curHopLimit: z.number().int().min(0).max(255).optional(),
  managed: z.boolean().optional(),
  other: z.boolean().optional(),
  // AdvReachableTime: at most 3,600,000 ms (RFC 4861 §6.2.1)
  reachableTime: z.number().int().min(0).max(3_600_000).optional(),
  retransTimer: uint32.optional(),
  mtu: z
    .union([z.boolean(), z.number().int().min(1280).max(65535)], {
      error: 'expected true (the link MTU), false (no MTU option) or an MTU in 1280..65535',
    })
    .optional(),
  prefixes: z.array(raPrefixSchema).optional(),
  routes: z.array(raRouteSchema).optional(),
  rdnss: z.array(raRdnssSchema).optional(),
});

export const interfaceSchema = z.strictObject({
  name: zIfName,
  type: z.enum(['tap', 'tun']).default('tap'),
  mac: zMac.optional(),
  // RFC 8200 §5: every IPv6 link has an MTU of at least 1280
  mtu: z.number().int().min(1280).max(65535).optional(),
  netns: zNetnsName.optional(),
  linkLocal: zIpv6Address.optional(),
  addresses: z.array(zIpv6Interface).default([]),
  ra: raSchema.optional(),
  // virtio-net header offloads on a TAP (TCP super-packets, partial checksums); opt-in
  offload: z.boolean().default(false),
});

const staticNeighborSchema = z.strictObject({
  interface: zIfName,
  address: zIpv6Address,
  mac: zMac,
});

/** Neighbor Discovery knobs (RFC 4861 §10). */
export const neighborsSchema = z.strictObject({
  reachableTime: z.number().int().min(1).max(3_600_000).optional(),
  retransTimer: z.number().int().min(1).max(3_600_000).optional(),
  delayFirstProbeTime: z.number().min(0).max(3600).optional(),
  maxMulticastSolicit: z.number().int().min(1).max(255).optional(),
  maxUnicastSolicit: z.number().int().min(1).max(255).optional(),
  // RFC 4861 §7.2.2: at least one packet is queued per unresolved neighbour
  queueLength: z.number().int().min(1).max(64).optional(),
  static: z.array(staticNeighborSchema).optional(),
});

const routeSchema = z.strictObject({
  prefix: zIpv6Prefix,
  via: zIpv6Address.optional(),
  interface: zIfName.optional(),
  table: z.number().int().min(0).max(255).optional(),
  type: z.enum(['unicast', 'blackhole', 'unreachable', 'prohibit']).optional(),
});

const ruleSchema = z.strictObject({
  from: zIpv6Prefix,
  table: z.number().int().min(0).max(255),
});

const routerSchema = z.strictObject({
  name: zRouterName,
  forwarding: z.boolean().default(true),
  hopLimit: z.number().int().min(1).max(255).default(64),
  icmpErrors: z
    .strictObject({
      rate: z.number().min(0).max(1_000_000).default(100),
      burst: z.number().int().min(1).max(1_000_000).default(100),
    })
    .default({ rate: 100, burst: 100 }),
  pool: z
    .strictObject({
      buffers: z
        .number()
        .int()
        .min(1)
        .max(1 << 20)
        .default(8192),
      slotSize: z
        .number()
        .int()
        .min(256)
        .max(65536 + 1024)
        .default(2048),
      headroom: z.number().int().min(64).max(1024).default(128),
      // 64 KB buffers for super-packets of interfaces with `offload`; default 256 + 64 per such interface
      largeBuffers: z.number().int().min(0).max(16384).optional(),
    })
    .default({ buffers: 8192, slotSize: 2048, headroom: 128 }),
  rxBudget: z.number().int().min(1).max(256).default(256),
});

export const dmmdConfigSchema = z.strictObject({
  router: routerSchema,
  control: z.strictObject({ socket: z.string().min(1).optional() }).default({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).optional() }).default({}),
  interfaces: z.array(interfaceSchema).min(1),
  neighbors: neighborsSchema.optional(),
  routes: z.array(routeSchema).default([]),
  rules: z.array(ruleSchema).default([]),
  plugins: z
    .array(
      z.strictObject({
        module: z.string().min(1),
        config: z.unknown().optional(),
      }),
    )
    .default([]),
});

/** The file as parsed by `dmmdConfigSchema` (addresses as bytes). */
export type DmmdFile = z.infer<typeof dmmdConfigSchema>;
export type InterfaceFile = z.infer<typeof interfaceSchema>;
export type LogLevelName = (typeof LOG_LEVELS)[number];
