/**
 * The D-GW's service token, for tests and plugins that inspect its bindings and counters.
 */
import { token } from '@dmm/core';
import type { DistributedGateway } from './dgw.js';

export const DGW_SERVICE = token<DistributedGateway>('@dmm/plugin-dgw:DistributedGateway');
