/**
 * Running programs for the end-to-end harness: short commands synchronously (setup,
 * counters), long ones as tracked children (generator, forwarders, iperf3), with their
 * output collected and their exit awaited with a deadline.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. `code` is -1 when it could not start or was killed. */
export function run(argv: readonly string[], timeoutMs = 30_000): RunResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr: r.error ? `${r.stderr ?? ''}${r.error.message}` : (r.stderr ?? ''),
  };
}

/** Runs a command and returns its stdout; throws with the command and its stderr on failure. */
export function must(argv: readonly string[], timeoutMs = 30_000): string {
  const r = run(argv, timeoutMs);
  if (r.code !== 0) {
    throw new Error(`command failed (${r.code}): ${argv.join(' ')}\n${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** `argv` run inside network namespace `ns`. */
export function inNs(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** `argv` pinned to `cpu` with taskset, or unchanged when `cpu` is null. */
export function pinned(cpu: number | null, argv: readonly string[]): string[] {
  return cpu === null ? [...argv] : ['taskset', '-c', String(cpu), ...argv];
}

/** Absolute path of `cmd` on PATH (plus the sbin directories), or null. */
export function which(cmd: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The command line of a live process, or null (gone, or a zombie). */
export function cmdlineOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state; Z = zombie.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return null;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

/** A child whose output is kept (the last `limit` characters of each stream). */
export interface Child {
  readonly proc: ChildProcess;
  readonly what: string;
  readonly argv: readonly string[];
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (signal deaths give 128 + signal number, as shells do). */
  readonly exited: Promise<number>;
  exitCode: number | null;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function startChild(argv: readonly string[], what: string, limit = 65536): Child {
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = {
    proc,
    what,
    argv,
    stdout: '',
    stderr: '',
    exitCode: null,
    exited: new Promise<number>((resolve) => {
      proc.on('error', (e) => {
        child.stderr += `\n${e.message}`;
        child.exitCode = -1;
        resolve(-1);
      });
      proc.on('exit', (code, sig) => {
        const c = code ?? 128 + (sig ? (SIGNALS[sig] ?? 0) : 0);
        child.exitCode = c;
        resolve(c);
      });
    }),
  };
  proc.stdout!.setEncoding('utf8');
  proc.stderr!.setEncoding('utf8');
  proc.stdout!.on('data', (s: string) => {
    child.stdout = (child.stdout + s).slice(-limit);
  });
  proc.stderr!.on('data', (s: string) => {
    child.stderr = (child.stderr + s).slice(-limit);
  });
  return child;
}

/** Waits for the child to exit; null when it has not after `ms`. */
export async function waitExit(c: Child, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((r) => {
    timer = setTimeout(() => r(null), ms);
  });
  const code = await Promise.race([c.exited, timeout]);
  clearTimeout(timer);
  return code;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
export async function stopChild(c: Child, graceMs = 5000): Promise<number> {
  if (c.exitCode !== null) return c.exitCode;
  c.proc.kill('SIGTERM');
  const code = await waitExit(c, graceMs);
  if (code !== null) return code;
  c.proc.kill('SIGKILL');
  return c.exited;
}

/** Resolves when a stdout line equals `line`; rejects if the child exits first or on timeout. */
export function waitForLine(c: Child, line: string, ms: number): Promise<void> {
  return waitForStdout(c, (l) => l.trim() === line, `"${line}"`, ms);
}

/**
 * Resolves when a stdout line satisfies `match` (`what` names it in errors); rejects if the
 * child exits first or on timeout.
 */
export function waitForStdout(
  c: Child,
  match: (line: string) => boolean,
  what: string,
  ms: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen = (): boolean => c.stdout.split('\n').some(match);
    if (seen()) return resolve();
    const onData = (): void => {
      if (seen()) done(null);
    };
    const timer = setTimeout(
      () => done(new Error(`${c.what} did not print ${what} within ${ms} ms`)),
      ms,
    );
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      c.proc.stdout!.off('data', onData);
      if (err) reject(err);
      else resolve();
    };
    c.proc.stdout!.on('data', onData);
    void c.exited.then((code) => {
      done(new Error(`${c.what} exited with ${code} before ${what}: ${c.stderr.trim()}`));
    });
  });
}
