/**
 * Service token of the `dlif` plugin, for the plugins that build on DLIFs (the distributed
 * gateway creates one per anchor of each node it serves).
 */
import { token } from '@dmm/core';
import type { DlifManager } from './types.js';

/** Distributed Logical Interfaces (`DlifManager`). */
export const DLIFS = token<DlifManager>('@dmm/dlif:DlifManager');
