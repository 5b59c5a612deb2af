/**
 * Configuration of the `ndra` plugin: the Neighbor Discovery knobs of RFC 4861 §10
 * (`neighbors:`) and the Router Advertisement variables of RFC 4861 §6.2.1, RFC 4191 §2.2–2.3
 * and RFC 8106 §5.1 per interface (`interfaces[name].ra`).
 *
 * Defaults follow RFC 4861 §6.2.1 / §10 and, where the RFC leaves a choice, radvd's
 * (prefix lifetimes 86400 / 14400 s): MinRtrAdvInterval = MaxRtrAdvInterval / 3,
 * AdvDefaultLifetime = 3 × MaxRtrAdvInterval, route lifetime = 3 × MaxRtrAdvInterval, RDNSS
 * lifetime = 2 × MaxRtrAdvInterval (RFC 8106 §5.1's upper bound). With the default
 * MaxRtrAdvInterval of 600 s that is 200, 1800, 1800 and 1200 s, as docs/config.md shows.
 */
import { z } from 'zod';
import { zIfName, zIpv6Address, zIpv6Prefix, zMac } from '@dmm/core';

/** "infinite" lifetimes (RFC 4861 §4.6.2, RFC 4191 §2.3, RFC 8106 §5.1): all ones. */
export const INFINITE_LIFETIME = 0xffffffff;

const zUint32 = z.number().int().min(0).max(INFINITE_LIFETIME);

/** Seconds as a 32-bit number, or `"infinite"` (→ 0xffffffff). */
const zLifetime = z.union([zUint32, z.literal('infinite').transform(() => INFINITE_LIFETIME)]);

const zPreference = z.enum(['low', 'medium', 'high']);

/** RFC 4861 §4.6.2 Prefix Information. */
const prefixSchema = z
  .strictObject({
    prefix: zIpv6Prefix,
    onLink: z.boolean().default(true),
    autonomous: z.boolean().default(true),
    validLifetime: zLifetime.default(86400),
    preferredLifetime: zLifetime.default(14400),
  })
  .superRefine((p, ctx) => {
    // RFC 4862 §5.5.3 (c): a preferred lifetime above the valid lifetime is ignored by hosts
    if (p.preferredLifetime > p.validLifetime) {
      ctx.addIssue({
        code: 'custom',
        path: ['preferredLifetime'],
        message: 'preferredLifetime must not exceed validLifetime (RFC 4862 §5.5.3)',
      });
    }
    // RFC 4862 §5.5.3 (d) with a 64-bit interface identifier (RFC 4291 §2.5.1)
    if (p.autonomous && p.prefix.prefixLen !== 64) {
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: 'a prefix for SLAAC (autonomous: true) must be a /64 (RFC 4862 §5.5.3)',
      });
    }
  });

/** RFC 4191 §2.3 Route Information (lifetime defaulted by the RA block). */
const routeSchema = z.strictObject({
  prefix: zIpv6Prefix,
  preference: zPreference.default('medium'),
  lifetime: zLifetime.optional(),
});

/** RFC 8106 §5.1 Recursive DNS Server (lifetime defaulted by the RA block). */
const rdnssSchema = z.strictObject({
  servers: z.array(zIpv6Address).min(1).max(127),
  lifetime: zLifetime.optional(),
});

/** The `ra:` block of an interface (RFC 4861 §6.2.1 AdvSendAdvertisements and friends). */
export const raConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Seconds, MinRtrAdvInterval (≥ 0.03, RFC 4861 §6.2.1, RFC 6275 §7.5). */
    minInterval: z.number().min(0.03).optional(),
    /** Seconds, MaxRtrAdvInterval (4..1800 in RFC 4861; down to 0.07 by RFC 6275 §7.5). */
    maxInterval: z.number().min(0.07).max(1800).default(600),
    /** Seconds, AdvDefaultLifetime: 0, or MaxRtrAdvInterval..9000. */
    routerLifetime: z.number().int().min(0).max(9000).optional(),
    preference: zPreference.default('medium'),
    curHopLimit: z.number().int().min(0).max(255).default(64),
    managed: z.boolean().default(false),
    other: z.boolean().default(false),
    /** Milliseconds, AdvReachableTime (≤ 3,600,000, RFC 4861 §6.2.1). */
    reachableTime: z.number().int().min(0).max(3_600_000).default(0),
    /** Milliseconds, AdvRetransTimer. */
    retransTimer: zUint32.default(0),
    /** true: the link MTU; false: no MTU option; a number: that MTU (AdvLinkMTU). */
    mtu: z.union([z.boolean(), z.number().int().min(1280).max(INFINITE_LIFETIME)]).default(true),
    prefixes: z.array(prefixSchema).default([]),
    routes: z.array(routeSchema).default([]),
    rdnss: z.array(rdnssSchema).default([]),
  })
  .superRefine(
    (r, ctx) => {
      if (r.minInterval !== undefined && r.minInterval > 0.75 * r.maxInterval) {
        ctx.addIssue({
          code: 'custom',
          path: ['minInterval'],
          message: 'minInterval must be at most 0.75 × maxInterval (RFC 4861 §6.2.1)',
        });
      }
      if (
        r.routerLifetime !== undefined &&
        r.routerLifetime !== 0 &&
        r.routerLifetime < r.maxInterval
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['routerLifetime'],
          message: 'routerLifetime must be 0 or at least maxInterval (RFC 4861 §6.2.1)',
        });
      }
    },
    {
      // also when other fields (prefixes, …) have problems: every problem is reported at once
      when: (p) => {
        const v = p.value as {
          minInterval?: unknown;
          maxInterval?: unknown;
          routerLifetime?: unknown;
        };
        return (
          typeof v.maxInterval === 'number' &&
          (v.minInterval === undefined || typeof v.minInterval === 'number') &&
          (v.routerLifetime === undefined || typeof v.routerLifetime === 'number')
        );
      },
    },
  )
  .transform((r) => {
    const max = r.maxInterval;
    const derivedLifetime = Math.min(9000, Math.ceil(3 * max));
    return {
      ...r,
      minInterval: r.minInterval ?? max / 3,
      routerLifetime: r.routerLifetime ?? derivedLifetime,
      routes: r.routes.map((x) => ({ ...x, lifetime: x.lifetime ?? derivedLifetime })),
      rdnss: r.rdnss.map((x) => ({ ...x, lifetime: x.lifetime ?? Math.ceil(2 * max) })),
    };
  });

/** A static (PERMANENT) neighbour. */
const staticNeighborSchema = z.strictObject({
  interface: zIfName,
  address: zIpv6Address,
  mac: zMac,
});

/** RFC 4861 §10 protocol constants that a router may tune. */
export const neighborsConfigSchema = z.strictObject({
  /** Milliseconds, BaseReachableTime (REACHABLE_TIME). */
  reachableTime: z.number().int().min(1).max(3_600_000).default(30000),
  /** Milliseconds, RetransTimer (RETRANS_TIMER). */
  retransTimer: z.number().int().min(1).max(3_600_000).default(1000),
  /** Seconds, DELAY_FIRST_PROBE_TIME. */
  delayFirstProbeTime: z.number().min(0).max(3600).default(5),
  /** MAX_MULTICAST_SOLICIT. */
  maxMulticastSolicit: z.number().int().min(1).max(255).default(3),
  /** MAX_UNICAST_SOLICIT. */
  maxUnicastSolicit: z.number().int().min(1).max(255).default(3),
  /** Packets queued per unresolved neighbour (RFC 4861 §7.2.2: at least one). */
  queueLength: z.number().int().min(1).max(64).default(3),
  static: z.array(staticNeighborSchema).default([]),
});

const interfaceSchema = z.strictObject({
  ra: raConfigSchema.optional(),
});

export const ndraConfigSchema = z.strictObject({
  neighbors: neighborsConfigSchema.prefault({}),
  interfaces: z.record(zIfName, interfaceSchema).default({}),
});

export type NdraConfig = z.output<typeof ndraConfigSchema>;
export type NdraConfigInput = z.input<typeof ndraConfigSchema>;
export type RaConfig = z.output<typeof raConfigSchema>;
export type NeighborsConfig = z.output<typeof neighborsConfigSchema>;
export type RaPreference = z.output<typeof zPreference>;
