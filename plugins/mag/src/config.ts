/**
 * The MAG's configuration (RFC 5213 §6, §9): its egress address (the Proxy-CoA, §2.2), the
 * LMA, the access interfaces, the mobile node policy profiles (§6.2: MN-ID ↔ link-layer
 * address, authorisation, the LMA to use), how attachment is detected (§6.9.1.1), what
 * the PBUs ask for (lifetime, Access Technology Type §8.5), the RFC 6275 retransmission
 * knobs (§6.9.4), the per-node Router Advertisements (§6.7) and the RFC 5213 §9
 * variables with their RFC names.
 *
 * ```yaml
 * plugins:
 *   - module: '@dmm/plugin-mag'
 *     config:
 *       address: fd00:100::11
 *       lma: fd00:100::1
 *       accessInterfaces: [mag1-acc]
 *       mobileNodes:
 *         profiles:
 *           - { id: mn1@example.net, mac: 02:00:00:00:0a:01 }
 *       lifetime: 300
 *       pmip:
 *         FixedMAGLinkLocalAddressOnAllAccessLinks: fe80::1
 *         FixedMAGLinkLayerAddressOnAllAccessLinks: 02:00:00:00:ff:01
 * ```
 */
import { z } from 'zod';
import { formatMacAddress, zIfName, zIpv6Address, zMac } from '@dmm/core';
import { PMIP_VARIABLE_DEFAULTS, pmipVariablesSchema } from '@dmm/binding-cache';
import { retransmissionSchema } from '@dmm/pmip';
import { AccessTechnologyType } from '@dmm/wire';

const profileSchema = z.strictObject({
  /** The MN-Identifier, an NAI (RFC 4283 subtype 1). */
  id: z.string().min(1).max(255),
  /** The node's MAC: how the MAG recognises it, and its MN link-layer identifier (§8.6). */
  mac: zMac,
  /** false: never registered (frames dropped, counted). */
  allowed: z.boolean().default(true),
  /** This node's LMA, when not the default one. */
  lma: zIpv6Address.optional(),
});

export const magConfigSchema = z
  .strictObject({
    /** The MAG's egress address: PBU source, Proxy-CoA, the tunnel's local end. */
    address: zIpv6Address,
    /** The LMA of nodes whose profile names none. */
    lma: zIpv6Address,
    /** Interfaces mobile nodes attach to (Ethernet). */
    accessInterfaces: z.array(zIfName).min(1),
    mobileNodes: z
      .strictObject({
        /**
         * Nodes without a profile: `deny` ignores them (counted); `allow` registers them
         * with the NAI `<mac as 12 hex digits>@<realm>`.
         */
        default: z.enum(['allow', 'deny']).default('deny'),
        realm: z.string().min(1).default('mag.invalid'),
        profiles: z.array(profileSchema).default([]),
        /** Most nodes tracked at once (profiles and nodes seen). */
        max: z.number().int().min(1).max(1_000_000).default(4096),
      })
      .prefault({}),
    /** How attachment is detected (RFC 5213 §6.9.1.1). */
    attach: z
      .strictObject({
        /** A Router Solicitation from a node. */
        routerSolicitation: z.boolean().default(true),
        /** Any frame from a node (ND, data) on an access link. */
        firstFrame: z.boolean().default(true),
        /** Seconds before a node the LMA refused is tried again. */
        retryAfterReject: z.number().min(0).max(86_400).default(30),
      })
      .prefault({}),
    /** Binding lifetime asked for, seconds (4-second units on the wire). */
    lifetime: z.number().int().min(4).max(262_140).default(300),
    /** Access Technology Type (RFC 5213 §8.5); 3 = IEEE 802.3. */
    accessTechnology: z.number().int().min(1).max(255).default(AccessTechnologyType.Ieee8023),
    /** Set the H flag in PBUs too (not required by RFC 5213; some LMAs expect it). */
    homeFlag: z.boolean().default(false),
    /** Routing table ids for the per-LMA source routing (`from HNP lookup <table>`). */
    tableBase: z.number().int().min(1).max(250).default(100),
    /**
     * What to do when an access interface's MAC or link-local address is not the fixed
     * one of FixedMAGLinkLayerAddressOnAllAccessLinks / …LinkLocalAddress… (RFC 5213 §9).
     */
    fixedAddressMismatch: z.enum(['refuse', 'warn']).default('refuse'),
    /** Per-node Router Advertisements (RFC 5213 §6.7). */
    ra: z
      .strictObject({
        /** Router Lifetime, seconds (0 would make the MAG no default router). */
        routerLifetime: z.number().int().min(0).max(9000).default(1800),
      })
      .prefault({}),
    /**
     * Detachment without a link-layer event: every `interval` seconds a registered node
     * that sent nothing since the last look is sent an Echo Request (to ff02::1, at its
     * MAC); after `probes` unanswered looks it is detached. 0 turns it off.
     */
    presence: z
      .strictObject({
        interval: z.number().min(0).max(3600).default(5),
        probes: z.number().int().min(1).max(10).default(2),
      })
      .prefault({}),
    /** RFC 6275 retransmission of PBUs (RFC 5213 §6.9.4). */
    retransmission: retransmissionSchema.prefault({}),
    /** RFC 5213 §9 variables. */
    pmip: pmipVariablesSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    const ids = new Map<string, number>();
    const macs = new Map<string, number>();
    c.mobileNodes.profiles.forEach((p, i) => {
      const a = ids.get(p.id);
      if (a !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['mobileNodes', 'profiles', i, 'id'],
          message: `${p.id} already has a profile (mobileNodes.profiles[${a}])`,
        });
      }
      ids.set(p.id, i);
      const mac = formatMacAddress(p.mac);
      const b = macs.get(mac);
      if (b !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['mobileNodes', 'profiles', i, 'mac'],
          message: `${mac} is already the MAC of mobileNodes.profiles[${b}]`,
        });
      }
      macs.set(mac, i);
      if ((p.mac[0]! & 1) === 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['mobileNodes', 'profiles', i, 'mac'],
          message: 'a group (multicast) MAC cannot identify a node',
        });
      }
    });
    if (c.mobileNodes.profiles.length > c.mobileNodes.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['mobileNodes', 'max'],
        message: `smaller than the number of profiles (${c.mobileNodes.profiles.length})`,
      });
    }
    const names = new Set<string>();
    c.accessInterfaces.forEach((n, i) => {
      if (names.has(n))
        ctx.addIssue({ code: 'custom', path: ['accessInterfaces', i], message: 'listed twice' });
      names.add(n);
    });
    // Both knobs exist in `pmip` (RFC 6275's names, for every role) and in
    // `retransmission`; the MAG's PBU timers come from `retransmission`, so a value set in
    // `pmip` alone (not its default) would be silently ignored: refuse that.
    for (const k of ['InitialBindackTimeoutFirstReg', 'MaxBindackTimeout'] as const) {
      if (c.pmip[k] !== PMIP_VARIABLE_DEFAULTS[k] && c.pmip[k] !== c.retransmission[k]) {
        ctx.addIssue({
          code: 'custom',
          path: ['pmip', k],
          message: `set ${k} in \`retransmission\` (the MAG's PBU timers are read from there)`,
        });
      }
    }
  });

export type MagConfig = z.infer<typeof magConfigSchema>;
export type MagConfigInput = z.input<typeof magConfigSchema>;
export type MagProfile = z.infer<typeof profileSchema>;
