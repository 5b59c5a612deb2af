/**
 * Service tokens of the `ndra` plugin, for plugins that build on it (e.g. a distributed
 * gateway advertising per-mobile-node prefixes).
 */
import { token } from '@dmm/core';
import type { RaService } from './ra-sender.js';
import type { NdService } from './nd-service.js';

/** Router Advertisements on demand (`RaService`). */
export const RA_SERVICE = token<RaService>('@dmm/ndra:RaService');
/** Our addresses' DAD state and duplicate reports (`NdService`). */
export const ND_SERVICE = token<NdService>('@dmm/ndra:NdService');
