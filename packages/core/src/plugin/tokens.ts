/**
 * Tokens of the services every router registers in its container.
 */
import type { Logger } from '../logger.js';
import type { Router } from '../router.js';
import type { CommandRegistry } from './command-registry.js';
import { token } from './container.js';

export const ROUTER = token<Router>('@dmm/core:Router');
export const LOGGER = token<Logger>('@dmm/core:Logger');
export const COMMANDS = token<CommandRegistry>('@dmm/core:CommandRegistry');
