/**
 * dmmd (the program; `dmmd.ts` is its entry) — runs one router from a YAML config (docs/config.md).
 *
 *   dmmd --config FILE [--log-level LEVEL] [--socket PATH]
 *   dmmd --help | --version
 *
 * The config is validated completely before anything is touched (exit 2 with every
 * problem as `FILE:LINE:COL: KEY: message` on stderr). Then the TAP/TUN devices are
 * created (or opened), configured, moved into their namespaces and brought up, the
 * plugins load (routing, ndra, control, plugins[]), and one `ready` log line says where
 * the control socket is. Logs are JSON lines on stdout (pino).
 *
 * SIGTERM / SIGINT: plugins stop in reverse order (final RAs go out), the devices close
 * and the netdevs dmmd created disappear, the control socket is removed; exit 0.
 * A device or socket error at startup: a message naming the interface, nothing left
 * behind, exit 1.
 */
import { parseArgs } from 'node:util';
import { createLogger, isDmmError, type Logger, type LogLevel } from '@dmm/core';
import { loadDmmdConfig } from './config/load.js';
import { MAX_SOCKET_PATH } from './config/checks.js';
import { LOG_LEVELS } from './config/schema.js';
import { Daemon, preflight } from './daemon.js';
import { packageVersion } from './version.js';

export const DMMD_USAGE = `usage: dmmd --config FILE [--log-level LEVEL] [--socket PATH]
       dmmd --help | --version

  -c, --config FILE      the router's YAML config (docs/config.md)
  -l, --log-level LEVEL  ${LOG_LEVELS.join('|')} (overrides log.level)
  -s, --socket PATH      control socket (overrides control.socket;
                         default /run/dmm/<router.name>.sock)
  -h, --help             this help
  -V, --version          the version

exit status: 0 stopped by SIGTERM/SIGINT, 1 runtime or device error, 2 usage or config error
`;

interface DmmdArgs {
  config: string;
  logLevel?: LogLevel;
  socket?: string;
}

function usageError(msg: string): never {
  process.stderr.write(`dmmd: ${msg}\n${DMMD_USAGE}`);
  process.exit(2);
}

function parse(argv: string[]): DmmdArgs {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        'log-level': { type: 'string', short: 'l' },
        socket: { type: 'string', short: 's' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (v.help) {
    process.stdout.write(DMMD_USAGE);
    process.exit(0);
  }
  if (v.version) {
    process.stdout.write(`dmmd ${packageVersion()}\n`);
    process.exit(0);
  }
  if (v.config === undefined || v.config === '') return usageError('--config FILE is required');
  const out: DmmdArgs = { config: v.config };
  const level = v['log-level'];
  if (level !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      return usageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
    }
    out.logLevel = level as LogLevel;
  }
  if (v.socket !== undefined) {
    if (v.socket === '' || Buffer.byteLength(v.socket) > MAX_SOCKET_PATH) {
      return usageError(`--socket must be a path of 1..${MAX_SOCKET_PATH} bytes`);
    }
    out.socket = v.socket;
  }
  return out;
}

function describe(e: unknown): string {
  if (isDmmError(e)) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  // signals before startup completes: stop right after it
  let signalled: NodeJS.Signals | null = null;
  let onSignal: (s: NodeJS.Signals) => void = (s) => {
    signalled = s;
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  let cfg;
  try {
    cfg = await loadDmmdConfig(
      args.config,
      args.socket === undefined ? {} : { socket: args.socket },
    );
  } catch (e) {
    if (isDmmError(e, 'DMM_ERR_CONFIG_INVALID')) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log: Logger = createLogger({ level: args.logLevel ?? cfg.log.level ?? 'info' });
  try {
    await preflight(cfg);
  } catch (e) {
    if (isDmmError(e, 'DMM_ERR_CONFIG_INVALID')) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    log.error({ err: e, router: cfg.router.name }, 'cannot start');
    process.stderr.write(`dmmd: ${describe(e)}\n`);
    process.exit(1);
  }
  let daemon: Daemon;
  try {
    daemon = await Daemon.start(cfg, log);
  } catch (e) {
    log.error({ err: e, router: cfg.router.name }, 'cannot start');
    process.stderr.write(`dmmd: ${describe(e)}\n`);
    process.exit(1);
  }
  const rlog = daemon.router.log;
  let exiting = false;
  const shutdown = async (sig: NodeJS.Signals): Promise<void> => {
    if (exiting) {
      rlog.warn({ signal: sig }, 'already stopping');
      return;
    }
    exiting = true;
    rlog.info({ signal: sig }, 'stopping');
    const left = await daemon.stop();
    if (left.length > 0) {
      rlog.error({ interfaces: left }, 'stopped, but some netdevs could not be removed');
      process.exitCode = 1;
    } else rlog.info('stopped');
    process.exit();
  };
  onSignal = (s) => void shutdown(s);
  process.on('uncaughtException', (e) => {
    rlog.fatal({ err: e }, 'uncaught exception; stopping');
    process.exitCode = 1;
    void daemon.stop().then(() => process.exit(1));
  });
  rlog.info(daemon.summary(), 'ready');
  if (signalled !== null) void shutdown(signalled);
}

main().catch((e: unknown) => {
  process.stderr.write(`dmmd: ${describe(e)}\n`);
  process.exit(1);
});
