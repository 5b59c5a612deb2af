/**
 * The `control` plugin: serves the router's commands on a Unix socket (server.ts) and adds
 * the `help` command. The socket opens when the router starts and is removed when it stops.
 *
 * ```yaml
 * control:
 *   socket: /run/dmm/r1.sock     # default: /run/dmm/<router.name>.sock
 * ```
 */
import { z } from 'zod';
import { definePlugin, type CommandDef } from '@dmm/core';
import { MAX_SOCKET_PATH } from '../config/checks.js';
import { defaultSocketPath } from './protocol.js';
import { ControlServer } from './server.js';

export const controlConfigSchema = z.strictObject({
  socket: z
    .string()
    .min(1)
    .refine(
      (s) => Buffer.byteLength(s) <= MAX_SOCKET_PATH,
      `a Unix socket path is at most ${MAX_SOCKET_PATH} bytes`,
    )
    .optional(),
});

export type ControlConfig = z.infer<typeof controlConfigSchema>;

export const controlPlugin = definePlugin<ControlConfig>({
  name: 'control',
  version: '1.0.0',
  configSchema: controlConfigSchema as unknown as z.ZodType<ControlConfig>,
  setup(ctx, config) {
    const router = ctx.router;
    const server = new ControlServer({
      path: config.socket ?? defaultSocketPath(router.name),
      commands: router.commands,
      log: ctx.log,
    });
    const help: CommandDef = {
      path: 'help',
      help: 'every command with one line of help (args: prefix, e.g. "show")',
      run: (args) => {
        const prefix =
          typeof args.prefix === 'string' ? args.prefix.trim().split(/\s+/).join(' ') : '';
        return router.commands
          .list()
          .filter((c) => prefix === '' || c.path === prefix || c.path.startsWith(prefix + ' '))
          .map((c) => ({ command: c.path, help: c.help }));
      },
      table: (rows) => ({
        columns: ['COMMAND', 'DESCRIPTION'],
        rows: (rows as { command: string; help: string }[]).map((r) => [r.command, r.help]),
      }),
    };
    ctx.registerCommand(help);
    // also when setup or start fails half-way
    ctx.onTeardown(() => void server.close());
    return {
      start: () => server.listen(),
      stop: () => server.close(),
    };
  },
});
