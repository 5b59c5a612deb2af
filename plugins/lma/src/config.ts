/**
 * The LMA's configuration (RFC 5213 §5, §9): its own address (the LMAA, RFC 5213 §2.2),
 * the pool home network prefixes are delegated from (§5.2: one or more prefixes per
 * mobility session), the MAGs allowed to send Proxy Binding Updates (§4, §5.3.1), the
 * mobile node policy store (§2.2 "policy profile", §5.3.1), the lifetime limit, and the
 * RFC 5213 §9 protocol variables with their RFC names.
 *
 * ```yaml
 * plugins:
 *   - module: '@dmm/plugin-lma'
 *     config:
 *       address: fd00:100::1
 *       hnpPool: 2001:db8:100::/48          # delegates /64s (hnpLength)
 *       mags: [fd00:100::11, fd00:100::12]
 *       mobileNodes:
 *         default: deny
 *         profiles:
 *           - { id: mn1@example.net }
 *           - { id: mn2@example.net, hnp: 2001:db8:200:1::/64 }
 *           - { id: banned@example.net, allowed: false }
 *       maxLifetime: 3600                   # seconds granted at most
 *       pmip: { TimestampValidityWindow: 300, MinDelayBeforeBCEDelete: 10000 }
 * ```
 */
import { z } from 'zod';
import {
  formatIpv6Prefix,
  prefixContains,
  prefixesOverlap,
  zIpv6Address,
  zIpv6Prefix,
  type Ipv6Prefix,
} from '@dmm/core';
import { pmipVariablesSchema } from '@dmm/binding-cache';

/** Largest number of prefixes one pool may delegate (a bitmap of 2 MB). */
export const MAX_POOL_BITS = 24;

const profileSchema = z.strictObject({
  /** The MN-Identifier, an NAI (RFC 4283 subtype 1, RFC 4282). */
  id: z.string().min(1).max(255),
  /** false: known, but refused (status 129, administratively prohibited). */
  allowed: z.boolean().default(true),
  /** A static home network prefix for this node instead of one from the pool. */
  hnp: zIpv6Prefix.optional(),
});

export const lmaConfigSchema = z
  .strictObject({
    /** The LMA address: the PBUs' destination and the tunnels' local end. */
    address: zIpv6Address,
    /** The pool home network prefixes are cut from. */
    hnpPool: zIpv6Prefix,
    /** Length of each delegated prefix; SLAAC needs 64 (RFC 4862 §5.5.3). */
    hnpLength: z.number().int().min(1).max(128).default(64),
    /**
     * Route installed for the whole pool: `blackhole` drops packets to prefixes with no
     * binding (or a binding being deleted) instead of sending them to the default route;
     * `unreachable` answers them with Destination Unreachable; `none` installs nothing.
     */
    poolRoute: z.enum(['blackhole', 'unreachable', 'none']).default('blackhole'),
    /** MAG addresses allowed to send PBUs (RFC 5213 §5.3.1: status 154 for anyone else). */
    mags: z.array(zIpv6Address).min(1),
    mobileNodes: z
      .strictObject({
        /** Nodes without a profile: `deny` answers 153 (not our node), `allow` serves them. */
        default: z.enum(['allow', 'deny']).default('deny'),
        profiles: z.array(profileSchema).default([]),
      })
      .prefault({}),
    /** Longest lifetime granted, seconds (RFC 5213 §5.3.2; a multiple of 4 on the wire). */
    maxLifetime: z.number().int().min(4).max(262_140).default(3600),
    /** RFC 5213 §9 variables (MinDelayBeforeBCEDelete, TimestampValidityWindow, …). */
    pmip: pmipVariablesSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    const bits = c.hnpLength - c.hnpPool.prefixLen;
    if (bits < 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['hnpLength'],
        message: `hnpLength ${c.hnpLength} is shorter than the pool's /${c.hnpPool.prefixLen}`,
      });
    } else if (bits > MAX_POOL_BITS) {
      ctx.addIssue({
        code: 'custom',
        path: ['hnpPool'],
        message: `a /${c.hnpPool.prefixLen} pool of /${c.hnpLength}s holds 2^${bits} prefixes; at most 2^${MAX_POOL_BITS} are supported`,
      });
    }
    const ids = new Map<string, number>();
    const hnps: { p: Ipv6Prefix; i: number }[] = [];
    c.mobileNodes.profiles.forEach((p, i) => {
      const seen = ids.get(p.id);
      if (seen !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['mobileNodes', 'profiles', i, 'id'],
          message: `${p.id} already has a profile (mobileNodes.profiles[${seen}])`,
        });
      }
      ids.set(p.id, i);
      if (p.hnp === undefined) return;
      if (p.hnp.prefixLen !== c.hnpLength) {
        ctx.addIssue({
          code: 'custom',
          path: ['mobileNodes', 'profiles', i, 'hnp'],
          message: `a home network prefix is a /${c.hnpLength} (hnpLength), not /${p.hnp.prefixLen}`,
        });
      }
      const clash = hnps.find((h) => prefixesOverlap(h.p, p.hnp!));
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path: ['mobileNodes', 'profiles', i, 'hnp'],
          message: `${formatIpv6Prefix(p.hnp.prefix, p.hnp.prefixLen)} overlaps the prefix of mobileNodes.profiles[${clash.i}]`,
        });
      }
      hnps.push({ p: p.hnp, i });
    });
    const mags = new Set<string>();
    c.mags.forEach((m, i) => {
      const k = Buffer.from(m).toString('hex');
      if (mags.has(k)) ctx.addIssue({ code: 'custom', path: ['mags', i], message: 'listed twice' });
      mags.add(k);
      if (prefixContains(c.hnpPool.prefix, c.hnpPool.prefixLen, m)) {
        ctx.addIssue({
          code: 'custom',
          path: ['mags', i],
          message: 'a MAG address inside the home network prefix pool',
        });
      }
    });
  });

export type LmaConfig = z.infer<typeof lmaConfigSchema>;
export type LmaConfigInput = z.input<typeof lmaConfigSchema>;
export type MobileNodeProfile = z.infer<typeof profileSchema>;
