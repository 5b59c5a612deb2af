import { pino, type DestinationStream } from 'pino';

/** Log levels, most to least verbose. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

type LogFn = {
  (obj: object, msg?: string): void;
  (msg: string): void;
};

/**
 * The logger every package takes (by injection): pino's shape, so pino backs it in dmmd,
 * and a silent one in tests. Bind context with `child({ plugin, iface, mn })`. Never log
 * per packet above `trace`; packet facts go to counters.
 */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
  level: string;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Base bindings on every line, e.g. `{ router: 'dgw1' }`. */
  base?: Record<string, unknown>;
  /** Where JSON lines go (default stdout). */
  destination?: DestinationStream;
}

/** A pino-backed logger writing JSON lines. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = { level: opts.level ?? 'info', base: opts.base ?? {} };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
