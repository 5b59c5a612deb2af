/**
 * @dmm/cli — dmmd (the router daemon), dmmctl (its control client) and the `control`
 * plugin that serves a router's commands on a Unix socket.
 *
 * ```ts
 * import { loadDmmdConfig, Daemon, ControlClient } from '@dmm/cli';
 * import { createLogger } from '@dmm/core';
 * const cfg = await loadDmmdConfig('r1.yaml');       // throws DMM_ERR_CONFIG_INVALID, positioned
 * const d = await Daemon.start(cfg, createLogger());  // devices, router, plugins
 * const c = await ControlClient.connect(d.socket);
 * console.log(await c.request('show routes'));
 * c.close();
 * await d.stop();
 * ```
 */
export * from './config/schema.js';
export * from './config/checks.js';
export * from './config/load.js';
export * from './control/protocol.js';
export * from './control/server.js';
export * from './control/client.js';
export * from './control/plugin.js';
export * from './netdev.js';
export * from './daemon.js';
export { packageVersion } from './version.js';
export * from './lab/index.js';
