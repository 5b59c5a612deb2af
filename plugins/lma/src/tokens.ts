/**
 * The LMA's service token, for plugins and tests that inspect its Binding Cache.
 */
import { token } from '@dmm/core';
import type { LocalMobilityAnchor } from './lma.js';

export const LMA_SERVICE = token<LocalMobilityAnchor>('@dmm/plugin-lma:LocalMobilityAnchor');
