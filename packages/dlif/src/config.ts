/**
 * Configuration of the `dlif` plugin: how the Router Advertisements of every DLIF are
 * timed and what they say by default (RFC 4861 §6.2.1 variables, RFC 4191 §2.2 Default
 * Router Preference), and how an anchor's prefix is shown to a node that left that anchor
 * (draft-bernardos-dmm-distributed-anchoring-02 §4.1 and §4.2 step 8).
 *
 * ```yaml
 * maxInterval: 600            # s, MaxRtrAdvInterval of the periodic unicast RAs
 * minInterval: 200            # s, MinRtrAdvInterval (default maxInterval / 3)
 * routerLifetime: 1800        # s, AdvDefaultLifetime (default 3 × maxInterval, ≤ 9000)
 * servingPreference: medium   # Prf of the serving D-GW's own DLIF
 * anchorPreference: low       # Prf of DLIFs standing for other anchors
 * anchorMode: deprecate       # deprecate: preferred lifetime 0 (§4.1);
 *                             # low-preference: normal preferred lifetime, Prf low (§4.2 step 8)
 * validLifetime: 86400        # s, default PIO valid lifetime (serving prefixes)
 * preferredLifetime: 14400    # s, default PIO preferred lifetime (serving prefixes)
 * solicitedInterval: 3        # s, least time between two solicited RAs of one DLIF
 * interfaces: [acc0]          # parents to watch for Router Solicitations of unknown nodes
 * counters: true              # per-DLIF packet counters (three feature nodes)
 * ```
 */
import { z } from 'zod';
import { zIfName } from '@dmm/core';

/** "infinite" (RFC 4861 §4.6.2): all ones. */
export const INFINITE = 0xffffffff;

const zLifetime = z.union([
  z.number().int().min(0).max(INFINITE),
  z.literal('infinite').transform(() => INFINITE),
]);
const zPreference = z.enum(['low', 'medium', 'high']);

export const dlifConfigSchema = z
  .strictObject({
    maxInterval: z.number().min(0.07).max(1800).default(600),
    minInterval: z.number().min(0.03).optional(),
    routerLifetime: z.number().int().min(0).max(9000).optional(),
    servingPreference: zPreference.default('medium'),
    anchorPreference: zPreference.default('low'),
    anchorMode: z.enum(['deprecate', 'low-preference']).default('deprecate'),
    validLifetime: zLifetime.default(86400),
    preferredLifetime: zLifetime.default(14400),
    solicitedInterval: z.number().min(0).max(3600).default(3),
    interfaces: z.array(zIfName).default([]),
    counters: z.boolean().default(true),
  })
  .superRefine((c, ctx) => {
    if (c.minInterval !== undefined && c.minInterval > 0.75 * c.maxInterval) {
      ctx.addIssue({
        code: 'custom',
        path: ['minInterval'],
        message: 'minInterval must be at most 0.75 × maxInterval (RFC 4861 §6.2.1)',
      });
    }
    if (
      c.routerLifetime !== undefined &&
      c.routerLifetime !== 0 &&
      c.routerLifetime < c.maxInterval
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['routerLifetime'],
        message: 'routerLifetime must be 0 or at least maxInterval (RFC 4861 §6.2.1)',
      });
    }
    if (c.preferredLifetime > c.validLifetime) {
      ctx.addIssue({
        code: 'custom',
        path: ['preferredLifetime'],
        message: 'preferredLifetime must not exceed validLifetime (RFC 4862 §5.5.3)',
      });
    }
  })
  .transform((c) => ({
    ...c,
    minInterval: c.minInterval ?? c.maxInterval / 3,
    routerLifetime: c.routerLifetime ?? Math.min(9000, Math.ceil(3 * c.maxInterval)),
  }));

export type DlifConfig = z.output<typeof dlifConfigSchema>;
export type DlifConfigInput = z.input<typeof dlifConfigSchema>;
export type DlifPreference = z.output<typeof zPreference>;
export type AnchorMode = DlifConfig['anchorMode'];
