/**
 * Configuration of a distributed gateway (draft-bernardos-dmm-distributed-anchoring-02 §3,
 * §4.1–4.2; docs/dgw.md "Roles"): who it is (id, name, backbone address, operator), where
 * nodes attach (access interfaces), the pool its per-node /64 prefixes come from (draft §3:
 * one prefix per node, never shared), its local networks (the LIPA case of §4.1), the other
 * D-GWs it may signal (of its operator and of others), the central LMAs that relay to other
 * operators' anchors (draft §5), the shared mobility context store, the node policy store (NAI ↔ MAC),
 * how anchor DLIFs advertise an old prefix (§4.1 deprecation or §4.2 step 8 low preference),
 * when unused prefixes are released, binding lifetimes, the RFC 6275 retransmission knobs and
 * the RFC 5213 §9 variables with their RFC names.
 *
 * ```yaml
 * plugins:
 *   - module: '@dmm/plugin-dgw'
 *     config:
 *       id: 1                                 # name dgw1 unless `name` says otherwise
 *       address: fd00:100::1
 *       operator: op-a
 *       accessInterfaces: [d1-acc]
 *       prefixPool: 2001:db8:1::/48           # /64 per node
 *       localNetworks: [2001:db8:99::/48]     # reachable only through this D-GW
 *       peers:
 *         - { id: 2, address: fd00:100::2, operator: op-a }
 *         - { id: 9, address: fd00:900::9, operator: op-b }   # another operator's D-GW
 *       centralLmas:                          # draft §5: op-b's anchors through this LMA
 *         - { address: fd00:ff::1, operators: [op-b] }
 *       mobilityContext: { backend: sqlite, path: /var/lib/dmm/context.db }
 *       mobileNodes:
 *         default: deny
 *         profiles: [{ id: mn1@example.net, mac: 02:00:00:00:0a:01 }]
 *       idleTimeout: 300                      # s without a packet: the prefix is released
 *       bindingLifetime: 3600                 # s asked for, and granted at most
 * ```
 */
import { z } from 'zod';
import {
  formatIpv6Prefix,
  formatMacAddress,
  prefixContains,
  prefixesOverlap,
  zIfName,
  zIpv6Address,
  zIpv6Prefix,
  zMac,
} from '@dmm/core';
import { PMIP_VARIABLE_DEFAULTS, pmipVariablesSchema } from '@dmm/binding-cache';
import { contextStoreConfigSchema } from '@dmm/mobility-context';
import { retransmissionSchema } from '@dmm/pmip';
import { AccessTechnologyType } from '@dmm/wire';

/** Largest pool: 2^24 /64s (a 2 MB bitmap). */
export const MAX_POOL_BITS = 24;

/** The name of `centralLmas[i]` when none is given. */
export function defaultLmaName(i: number): string {
  return `lma${i + 1}`;
}

/** The id a D-GW is known by in the context store and DLIF identities, by default. */
export function defaultDgwName(id: number): string {
  return `dgw${id}`;
}

const zDgwName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" and "-", at most 64');

const peerSchema = z.strictObject({
  /** The peer's D-GW id (1–255). */
  id: z.number().int().min(1).max(255),
  /** Its name in the context store and DLIF identities (default `dgw<id>`). */
  name: zDgwName.optional(),
  /** Its backbone address: PBU destination, tunnel end point. */
  address: zIpv6Address,
  /**
   * Its operator. A peer of another operator is never signalled directly, nor accepted as a
   * PBU sender (154): its prefixes go through the central LMA of `centralLmas` (draft §5).
   */
  operator: z.string().min(1).max(64),
});

const centralLmaSchema = z.strictObject({
  /** Its name in `show bindings` and in logs (default `lma<n>`, n its place in the list). */
  name: zDgwName.optional(),
  /** Its address: the PBUs' destination and tunnel end for the prefixes it relays. */
  address: zIpv6Address,
  /**
   * The operators whose anchors it relays to; omitted: every operator other than ours that
   * no other entry lists (one such default entry at most).
   */
  operators: z.array(z.string().min(1).max(64)).min(1).optional(),
});

const profileSchema = z.strictObject({
  /** The node's MN-Identifier, an NAI (RFC 4283 subtype 1): its key in the context store. */
  id: z.string().min(1).max(255),
  /** Its MAC: how the access links recognise it; the MN link-layer identifier (§8.6). */
  mac: zMac,
  /** false: never served (frames dropped, attach refused, counted). */
  allowed: z.boolean().default(true),
});

export const dgwConfigSchema = z
  .strictObject({
    /** This D-GW's id, 1–255. */
    id: z.number().int().min(1).max(255),
    /** Its name in the context store and in DLIF identities (default `dgw<id>`). */
    name: zDgwName.optional(),
    /** Its backbone address: PBU source, tunnel end point, anchor address in the store. */
    address: zIpv6Address,
    /**
     * Its operator (draft §4). Anchors of the same operator are signalled directly; those
     * of another go through a central LMA (draft §5, `centralLmas`).
     */
    operator: z.string().min(1).max(64),
    /** Ethernet (TAP) interfaces mobile nodes attach to. */
    accessInterfaces: z.array(zIfName).min(1),
    /** Pool of the per-node prefixes (a /64 each, draft §3; SLAAC, RFC 4862 §5.5.3). */
    prefixPool: zIpv6Prefix,
    /**
     * Route for the whole pool: `blackhole` drops packets to prefixes that are neither served
     * here nor bound to a serving D-GW (instead of sending them to the default route, which
     * may lead back here); `unreachable` answers them with Destination Unreachable.
     */
    poolRoute: z.enum(['blackhole', 'unreachable', 'none']).default('blackhole'),
    /** Networks reachable only through this D-GW (draft §4.1 LIPA; Local Prefix options). */
    localNetworks: z.array(zIpv6Prefix).default([]),
    /**
     * The other D-GWs, of our operator and of others: the only senders of PBUs accepted
     * (154 otherwise; another operator's too), and the anchors we may signal.
     */
    peers: z.array(peerSchema).default([]),
    /**
     * The central inter-operator LMAs (draft §5): per foreign operator, or one default. The
     * serving side signals them for prefixes anchored in another operator (with a Previous
     * MAAR option naming the anchor); the anchoring side accepts their PBUs as if from a
     * serving D-GW. T(LMA) = `tableBase + peers.length + i`; the input tables of anchor DLIFs,
     * Tin(peer i), follow: `tableBase + peers.length + centralLmas.length + i`.
     */
    centralLmas: z.array(centralLmaSchema).default([]),
    /** The shared mobility context store (`@dmm/mobility-context`). */
    mobilityContext: contextStoreConfigSchema,
    /** The node policy store. */
    mobileNodes: z
      .strictObject({
        /**
         * Nodes without a profile: `deny` ignores them (counted); `allow` serves them, under
         * the MN-ID the context store has for their MAC, else `<12 hex digits of the MAC>@<realm>`
         * (every D-GW must then use the same realm).
         */
        default: z.enum(['allow', 'deny']).default('deny'),
        realm: z.string().min(1).max(200).default('dgw.invalid'),
        profiles: z.array(profileSchema).default([]),
        /** Most nodes tracked at once. */
        max: z.number().int().min(1).max(1_000_000).default(65_536),
      })
      .prefault({}),
    /** How attachment is detected (draft §4.2 step 1). */
    attach: z
      .strictObject({
        /** A Router Solicitation from a MAC no DLIF serves. */
        routerSolicitation: z.boolean().default(true),
        /** Any other frame from such a MAC reaching the access interface itself. */
        firstFrame: z.boolean().default(true),
      })
      .prefault({}),
    /**
     * How anchor DLIFs show a prefix of another anchor: `deprecate` (preferred lifetime 0,
     * draft §4.1) or `low-preference` (preferred as normal, Default Router Preference low,
     * draft §4.2 step 8). Default: the `dlif` plugin's `anchorMode`.
     */
    anchorMode: z.enum(['deprecate', 'low-preference']).optional(),
    /**
     * Seconds without a packet on an anchored prefix's routes at the serving D-GW after which
     * it is released (docs/dgw.md "Release"); also how long a prefix of ours nobody serves is
     * kept. 0: never.
     */
    idleTimeout: z.number().min(0).max(604_800).default(300),
    /** Binding lifetime asked for in PBUs and granted at most, seconds (4-second units). */
    bindingLifetime: z.number().int().min(4).max(262_140).default(3600),
    /** Access Technology Type of our PBUs (RFC 5213 §8.5); 3 = IEEE 802.3. */
    accessTechnology: z.number().int().min(1).max(255).default(AccessTechnologyType.Ieee8023),
    /** Routing tables T(A), one per peer in `peers` order: tableBase, tableBase + 1, … */
    tableBase: z.number().int().min(1).max(252).default(100),
    /** RFC 6275 retransmission of PBUs (RFC 5213 §6.9.4). */
    retransmission: retransmissionSchema.prefault({}),
    /** RFC 5213 §9 variables. */
    pmip: pmipVariablesSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string): void =>
      ctx.addIssue({ code: 'custom', path, message });
    const bits = 64 - c.prefixPool.prefixLen;
    if (bits < 0) issue(['prefixPool'], 'the pool must be a /64 or shorter (one /64 per node)');
    else if (bits > MAX_POOL_BITS) {
      issue(
        ['prefixPool'],
        `a /${c.prefixPool.prefixLen} pool holds 2^${bits} /64s; at most 2^${MAX_POOL_BITS} are supported`,
      );
    }
    if (prefixContains(c.prefixPool.prefix, c.prefixPool.prefixLen, c.address)) {
      issue(['address'], 'the D-GW address lies inside its own prefix pool');
    }
    c.localNetworks.forEach((n, i) => {
      if (prefixesOverlap(n, c.prefixPool)) {
        issue(
          ['localNetworks', i],
          `${formatIpv6Prefix(n.prefix, n.prefixLen)} overlaps the prefix pool`,
        );
      }
    });
    const me = c.name ?? defaultDgwName(c.id);
    const ids = new Map<number, number>();
    const names = new Map<string, number>();
    const addrs = new Map<string, number>();
    c.peers.forEach((p, i) => {
      const name = p.name ?? defaultDgwName(p.id);
      if (p.id === c.id) issue(['peers', i, 'id'], 'this is our own id');
      if (name === me) issue(['peers', i, 'name'], `"${name}" is our own name`);
      const a = Buffer.from(p.address).toString('hex');
      if (a === Buffer.from(c.address).toString('hex'))
        issue(['peers', i, 'address'], 'this is our own address');
      for (const [m, k, path] of [
        [ids, p.id, 'id'],
        [names, name, 'name'],
        [addrs, a, 'address'],
      ] as const) {
        const seen = (m as Map<unknown, number>).get(k);
        if (seen !== undefined) issue(['peers', i, path], `the same ${path} as peers[${seen}]`);
        (m as Map<unknown, number>).set(k, i);
      }
    });
    const lmaNames = new Map<string, number>();
    const lmaOps = new Map<string, number>();
    let defaultLma = -1;
    c.centralLmas.forEach((l, i) => {
      const name = l.name ?? defaultLmaName(i);
      if (name === me || names.has(name))
        issue(['centralLmas', i, 'name'], `"${name}" is already the name of a D-GW`);
      const seen = lmaNames.get(name);
      if (seen !== undefined)
        issue(['centralLmas', i, 'name'], `the same name as centralLmas[${seen}]`);
      lmaNames.set(name, i);
      const a = Buffer.from(l.address).toString('hex');
      if (a === Buffer.from(c.address).toString('hex'))
        issue(['centralLmas', i, 'address'], 'this is our own address');
      if (addrs.has(a)) issue(['centralLmas', i, 'address'], 'this is the address of a D-GW');
      if (l.operators === undefined) {
        if (defaultLma >= 0)
          issue(
            ['centralLmas', i],
            `a second default LMA (centralLmas[${defaultLma}] lists no operators either)`,
          );
        defaultLma = i;
      }
      (l.operators ?? []).forEach((op, j) => {
        if (op === c.operator)
          issue(['centralLmas', i, 'operators', j], 'our own operator is signalled directly');
        const o = lmaOps.get(op);
        if (o !== undefined)
          issue(
            ['centralLmas', i, 'operators', j],
            `${op} is already relayed by centralLmas[${o}]`,
          );
        lmaOps.set(op, i);
      });
    });
    // T(peer), T(central LMA), then Tin(peer): the input tables of anchor DLIFs
    const tables = 2 * c.peers.length + c.centralLmas.length;
    if (c.tableBase + tables > 253) {
      issue(
        ['tableBase'],
        `tables ${c.tableBase}..${c.tableBase + tables - 1} (two per peer, one per central LMA) reach 253–255, the reserved ones`,
      );
    }
    const pids = new Map<string, number>();
    const macs = new Map<string, number>();
    c.mobileNodes.profiles.forEach((p, i) => {
      const a = pids.get(p.id);
      if (a !== undefined)
        issue(
          ['mobileNodes', 'profiles', i, 'id'],
          `${p.id} already has a profile (profiles[${a}])`,
        );
      pids.set(p.id, i);
      const mac = formatMacAddress(p.mac);
      const b = macs.get(mac);
      if (b !== undefined)
        issue(['mobileNodes', 'profiles', i, 'mac'], `${mac} is already the MAC of profiles[${b}]`);
      macs.set(mac, i);
      if ((p.mac[0]! & 1) === 1)
        issue(
          ['mobileNodes', 'profiles', i, 'mac'],
          'a group (multicast) MAC cannot identify a node',
        );
    });
    if (c.mobileNodes.profiles.length > c.mobileNodes.max) {
      issue(
        ['mobileNodes', 'max'],
        `smaller than the number of profiles (${c.mobileNodes.profiles.length})`,
      );
    }
    const seenIf = new Set<string>();
    c.accessInterfaces.forEach((n, i) => {
      if (seenIf.has(n)) issue(['accessInterfaces', i], 'listed twice');
      seenIf.add(n);
    });
    // the PBU timers come from `retransmission`; the same names in `pmip` alone would be ignored
    for (const k of ['InitialBindackTimeoutFirstReg', 'MaxBindackTimeout'] as const) {
      if (c.pmip[k] !== PMIP_VARIABLE_DEFAULTS[k] && c.pmip[k] !== c.retransmission[k]) {
        issue(['pmip', k], `set ${k} in \`retransmission\` (the PBU timers are read from there)`);
      }
    }
  });

export type DgwConfig = z.infer<typeof dgwConfigSchema>;
export type DgwConfigInput = z.input<typeof dgwConfigSchema>;
export type DgwPeerConfig = z.infer<typeof peerSchema>;
export type DgwCentralLmaConfig = z.infer<typeof centralLmaSchema>;
export type DgwProfile = z.infer<typeof profileSchema>;
