/**
 * The inter-operator LMA's service token, for tests and plugins that inspect its bindings.
 */
import { token } from '@dmm/core';
import type { InterOperatorLma } from './relay.js';

export const INTER_OPERATOR_LMA_SERVICE = token<InterOperatorLma>(
  '@dmm/plugin-inter-operator-lma:InterOperatorLma',
);
