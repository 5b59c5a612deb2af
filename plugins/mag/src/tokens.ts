/**
 * The MAG's service token, for plugins and tests that inspect its Binding Update List.
 */
import { token } from '@dmm/core';
import type { MobileAccessGateway } from './mag.js';

export const MAG_SERVICE = token<MobileAccessGateway>('@dmm/plugin-mag:MobileAccessGateway');
