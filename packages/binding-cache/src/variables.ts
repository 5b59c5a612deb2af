/**
 * Protocol variables of PMIPv6 (RFC 5213 §9), with the RFC's own names and defaults, plus
 * the two RFC 6275 §12/§13 retransmission values the MAG uses for Proxy Binding Updates
 * (RFC 5213 §6.9.4) and one knob of ours. Times are milliseconds, as RFC 5213 states them.
 *
 * `pmipVariablesSchema` is the zod schema other plugins embed in their configs
 * (`pmip: pmipVariablesSchema.prefault({})` gives every default for an absent section).
 * In a config file, an absent fixed address or an all-zero one (`::`, `00:00:00:00:00:00`)
 * means "feature off", which is RFC 5213 §9's convention; here both become `null`.
 */
import { z } from 'zod';
import { zIpv6Address, zMac } from '@dmm/core';

export interface PmipVariables {
  /** LMA: keep a BCE this long after an accepted de-registration (RFC 5213 §5.3.5, §9). */
  readonly MinDelayBeforeBCEDelete: number;
  /** LMA: wait this long for the previous MAG's de-registration (RFC 5213 §9). */
  readonly MaxDelayBeforeNewBCEAssign: number;
  /** LMA: allowed difference between a PBU's timestamp and the LMA clock (RFC 5213 §5.5, §9). */
  readonly TimestampValidityWindow: number;
  /** Both: order PBUs by timestamps rather than sequence numbers (RFC 5213 §5.5, §9). */
  readonly TimestampBasedApproachInUse: boolean;
  /** Both: the timestamp comes from the mobile node (RFC 5213 §5.5, §9). */
  readonly MobileNodeGeneratedTimestampInUse: boolean;
  /** Both: one link-local address every MAG uses on access links; null = off (RFC 5213 §9). */
  readonly FixedMAGLinkLocalAddressOnAllAccessLinks: Uint8Array | null;
  /** Both: one link-layer address every MAG uses on access links; null = off (RFC 5213 §9). */
  readonly FixedMAGLinkLayerAddressOnAllAccessLinks: Uint8Array | null;
  /** MAG: route between two local mobile nodes without the LMA (RFC 5213 §9). */
  readonly EnableMAGLocalRouting: boolean;
  /** MAG: first PBU retransmission timeout (RFC 6275 §13 InitialBindackTimeoutFirstReg). */
  readonly InitialBindackTimeoutFirstReg: number;
  /** MAG: ceiling of the exponential back-off (RFC 6275 §12 MAX_BINDACK_TIMEOUT). */
  readonly MaxBindackTimeout: number;
  /**
   * MAG: send the refreshing PBU when this fraction of the granted lifetime has passed.
   * Not an RFC variable: RFC 5213 only asks the MAG to refresh before the lifetime runs out.
   */
  readonly RefreshLifetimeFraction: number;
}

/** RFC 5213 §9 and RFC 6275 §12/§13 defaults (values in ms). */
export const PMIP_VARIABLE_DEFAULTS: PmipVariables = Object.freeze({
  MinDelayBeforeBCEDelete: 10_000,
  MaxDelayBeforeNewBCEAssign: 1_500,
  TimestampValidityWindow: 300,
  TimestampBasedApproachInUse: true,
  MobileNodeGeneratedTimestampInUse: false,
  FixedMAGLinkLocalAddressOnAllAccessLinks: null,
  FixedMAGLinkLayerAddressOnAllAccessLinks: null,
  EnableMAGLocalRouting: false,
  InitialBindackTimeoutFirstReg: 1_500,
  MaxBindackTimeout: 32_000,
  RefreshLifetimeFraction: 0.8,
});

const D = PMIP_VARIABLE_DEFAULTS;
const ms = (def: number) => z.number().int().min(0).max(3_600_000).default(def);
const allZeroToNull = (b: Uint8Array | null): Uint8Array | null =>
  b === null || b.every((x) => x === 0) ? null : b;

/** zod schema of `PmipVariables` (strict: a misspelt name is an error, not a silent default). */
export const pmipVariablesSchema = z
  .strictObject({
    MinDelayBeforeBCEDelete: ms(D.MinDelayBeforeBCEDelete),
    MaxDelayBeforeNewBCEAssign: ms(D.MaxDelayBeforeNewBCEAssign),
    TimestampValidityWindow: ms(D.TimestampValidityWindow),
    TimestampBasedApproachInUse: z.boolean().default(D.TimestampBasedApproachInUse),
    MobileNodeGeneratedTimestampInUse: z.boolean().default(D.MobileNodeGeneratedTimestampInUse),
    FixedMAGLinkLocalAddressOnAllAccessLinks: zIpv6Address
      .nullable()
      .default(null)
      .transform(allZeroToNull),
    FixedMAGLinkLayerAddressOnAllAccessLinks: zMac
      .nullable()
      .default(null)
      .transform(allZeroToNull),
    EnableMAGLocalRouting: z.boolean().default(D.EnableMAGLocalRouting),
    InitialBindackTimeoutFirstReg: ms(D.InitialBindackTimeoutFirstReg),
    MaxBindackTimeout: ms(D.MaxBindackTimeout),
    RefreshLifetimeFraction: z.number().gt(0).lte(1).default(D.RefreshLifetimeFraction),
  })
  .refine((v) => v.InitialBindackTimeoutFirstReg <= v.MaxBindackTimeout, {
    message: 'InitialBindackTimeoutFirstReg must not exceed MaxBindackTimeout',
    path: ['InitialBindackTimeoutFirstReg'],
  });

/** Fills the missing variables with their defaults (for options given in code). */
export function pmipVariables(partial: Partial<PmipVariables> = {}): PmipVariables {
  return Object.freeze({ ...PMIP_VARIABLE_DEFAULTS, ...partial });
}
