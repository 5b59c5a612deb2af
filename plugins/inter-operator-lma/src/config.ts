/**
 * Configuration of the central inter-operator LMA (draft-bernardos-dmm-distributed-anchoring-02
 * §5; docs/dgw.md "Several operators"): its own address, the operators it serves with their
 * D-GWs and the prefixes their D-GWs anchor, which pairs of operators it relays between, the
 * lifetime it grants, its PBU retransmission towards the anchors (RFC 6275 back-off) and the
 * RFC 5213 §9 variables it orders PBUs with.
 *
 * ```yaml
 * plugins:
 *   - module: '@dmm/tunnel'
 *   - module: '@dmm/plugin-inter-operator-lma'
 *     config:
 *       address: fd00:100::100                 # PBU destination and source, tunnel end
 *       operators:
 *         - name: op-x
 *           dgws:                               # who may signal us, and whom we may signal
 *             - { id: 1, address: fd00:100::1 }
 *             - { id: 2, address: fd00:100::2 }
 *           prefixes: [2001:db8:1::/48, 2001:db8:2::/48]   # anchored by op-x's D-GWs
 *         - name: op-y
 *           dgws: [{ id: 11, address: fd00:100::11 }]
 *           prefixes: [2001:db8:11::/48]
 *       relay:                                  # default: every ordered pair of operators
 *         - { from: op-y, to: op-x }           # op-y serving, op-x anchoring
 *         - { from: op-x, to: op-y }
 *       maxLifetime: 3600
 * ```
 */
import { z } from 'zod';
import { formatIpv6Address, prefixContains, zIpv6Address, zIpv6Prefix } from '@dmm/core';
import { pmipVariablesSchema } from '@dmm/binding-cache';
import { retransmissionSchema } from '@dmm/pmip';

/** The name a D-GW has when the configuration gives none (as the D-GWs name themselves). */
export function defaultDgwName(id: number): string {
  return `dgw${id}`;
}

const zName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" and "-", at most 64');

const dgwSchema = z.strictObject({
  /** The D-GW's id (1–255), as in its own configuration. */
  id: z.number().int().min(1).max(255),
  /** Its name in `show bindings` (default `dgw<id>`). */
  name: zName.optional(),
  /** Its backbone address: where its PBUs come from, and where ours to it go. */
  address: zIpv6Address,
});

const operatorSchema = z.strictObject({
  /** The operator's name, as its D-GWs spell it (`operator` of the dgw plugin). */
  name: z.string().min(1).max(64),
  /** Its D-GWs: the only senders accepted (154 for anyone else) and the anchors we signal. */
  dgws: z.array(dgwSchema).min(1),
  /**
   * The prefixes its D-GWs anchor (their pools): an Anchored Prefix outside these is
   * refused with 155. `::/0` accepts any.
   */
  prefixes: z.array(zIpv6Prefix).min(1),
});

const relaySchema = z.strictObject({
  /** The serving D-GW's operator (the node is there now). */
  from: z.string().min(1).max(64),
  /** The anchoring D-GW's operator (the prefix comes from there). */
  to: z.string().min(1).max(64),
});

export const interOperatorLmaConfigSchema = z
  .strictObject({
    /** Its name as the D-GWs know it (`centralLmas[].name` there), for logs. */
    name: zName.default('lma'),
    /** Its address: PBU destination and source, tunnel end; one of the router's addresses. */
    address: zIpv6Address,
    /** The operators it serves, each with its D-GWs and the prefixes they anchor. */
    operators: z.array(operatorSchema).min(2),
    /**
     * Which (serving operator, anchoring operator) pairs it relays for; anything else is
     * refused with 129 (administratively prohibited). Default: every pair of two different
     * configured operators.
     */
    relay: z.array(relaySchema).optional(),
    /** Bindings (node, anchoring D-GW) held at once; more are refused with 130. */
    maxBindings: z.number().int().min(1).max(1_000_000).default(65_536),
    /**
     * Longest lifetime granted to a serving D-GW, seconds (4-second units on the wire). The
     * anchors are asked for one unit more, so the anchor leg outlives the serving leg.
     */
    maxLifetime: z.number().int().min(4).max(262_140).default(3600),
    /**
     * Routing tables T(A), one per D-GW in the order they are listed: tableBase, …; then one
     * whose `::/0` blackhole takes packets from the operators' prefixes with no binding here.
     */
    tableBase: z.number().int().min(1).max(252).default(100),
    /** RFC 6275 retransmission of our PBUs to the anchors (RFC 5213 §6.9.4). */
    retransmission: retransmissionSchema.prefault({}),
    /** RFC 5213 §9 variables (TimestampValidityWindow, TimestampBasedApproachInUse, …). */
    pmip: pmipVariablesSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string): void =>
      ctx.addIssue({ code: 'custom', path, message });
    const ops = new Map<string, number>();
    const names = new Map<string, string>();
    const addrs = new Map<string, string>();
    const own = Buffer.from(c.address).toString('hex');
    let count = 0;
    c.operators.forEach((o, i) => {
      const seen = ops.get(o.name);
      if (seen !== undefined) issue(['operators', i, 'name'], `already operators[${seen}]`);
      ops.set(o.name, i);
      o.dgws.forEach((d, j) => {
        count++;
        const at = `operators[${i}].dgws[${j}]`;
        const name = d.name ?? defaultDgwName(d.id);
        const n = names.get(name);
        if (n !== undefined) issue(['operators', i, 'dgws', j, 'name'], `"${name}" is also ${n}`);
        names.set(name, at);
        const a = Buffer.from(d.address).toString('hex');
        if (a === own) issue(['operators', i, 'dgws', j, 'address'], 'this is our own address');
        const x = addrs.get(a);
        if (x !== undefined)
          issue(['operators', i, 'dgws', j, 'address'], `the address of ${x} as well`);
        addrs.set(a, at);
        for (const p of o.prefixes) {
          if (p.prefixLen > 0 && prefixContains(p.prefix, p.prefixLen, d.address)) {
            issue(
              ['operators', i, 'dgws', j, 'address'],
              `${formatIpv6Address(d.address)} lies inside the operator's anchored prefixes`,
            );
          }
        }
      });
    });
    (c.relay ?? []).forEach((r, i) => {
      if (!ops.has(r.from)) issue(['relay', i, 'from'], `no operator named ${r.from}`);
      if (!ops.has(r.to)) issue(['relay', i, 'to'], `no operator named ${r.to}`);
      if (r.from === r.to)
        issue(['relay', i], 'one operator: its D-GWs signal each other directly (draft §4)');
    });
    // T(A) per D-GW, then Tunbound (the drop for sources of the policy with no binding)
    if (c.tableBase + count + 1 > 253) {
      issue(
        ['tableBase'],
        `tables ${c.tableBase}..${c.tableBase + count} (one per D-GW, and one) reach 253–255, the reserved ones`,
      );
    }
  });

export type InterOperatorLmaConfig = z.infer<typeof interOperatorLmaConfigSchema>;
export type InterOperatorLmaConfigInput = z.input<typeof interOperatorLmaConfigSchema>;
