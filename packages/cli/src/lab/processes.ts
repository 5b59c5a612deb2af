/**
 * The router processes: starting dmmd detached (it outlives `dmm-lab up`), waiting for
 * its "ready" log line, and stopping it — SIGTERM, then SIGKILL after a grace period —
 * only when /proc shows the process still runs with the lab's own generated config, so a
 * recycled pid is never killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { delay } from './shell.js';

/** argv of a live process, or null if it is gone (or a zombie). */
export function processArgv(pid: number): string[] | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // state is the field after the parenthesised command name
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return null;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').filter((s, i, a) => i < a.length - 1 || s !== '');
  } catch {
    return null;
  }
}

/** True when `pid` runs with `--config FILE` in its argv. */
export function isRouterProcess(pid: number, configFile: string): boolean {
  const argv = processArgv(pid);
  if (!argv) return false;
  const i = argv.indexOf('--config');
  return i >= 0 && argv[i + 1] === configFile;
}

/**
 * Every process whose `--config` lies in `runtimeDir` (the dmmd processes of a lab whose
 * pids were never recorded because dmm-lab died right after starting them).
 */
export function findRouterProcesses(runtimeDir: string): number[] {
  const out: number[] = [];
  const dir = runtimeDir.endsWith('/') ? runtimeDir : `${runtimeDir}/`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const argv = processArgv(pid);
    if (!argv) continue;
    const i = argv.indexOf('--config');
    if (i >= 0 && argv[i + 1]?.startsWith(dir)) out.push(pid);
  }
  return out;
}

function alive(pid: number): boolean {
  return processArgv(pid) !== null;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM to every pid, SIGKILL to those still alive after `graceMs`; resolves when all
 * are gone. Returns the pids that needed SIGKILL.
 */
export async function stopProcesses(pids: readonly number[], graceMs: number): Promise<number[]> {
  const live = pids.filter(alive);
  for (const p of live) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && live.some(alive)) await delay(50);
  const killed = live.filter(alive);
  for (const p of killed) signal(p, 'SIGKILL');
  const hard = Date.now() + 5000;
  while (Date.now() < hard && killed.some(alive)) await delay(20);
  return killed;
}

export interface StartedRouter {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

/** Starts `node DMMD --config … --socket … [--log-level …]`, stdout and stderr into `logFile`. */
export function startRouter(opts: {
  dmmd: string;
  config: string;
  socket: string;
  logFile: string;
  logLevel?: string;
  cwd: string;
}): StartedRouter {
  const args = [opts.dmmd, '--config', opts.config, '--socket', opts.socket];
  if (opts.logLevel !== undefined) args.push('--log-level', opts.logLevel);
  const fd = openSync(opts.logFile, 'w');
  let child: ChildProcess;
  try {
    // detached: its own process group, so a ^C on `dmm-lab up` does not reach it and it
    // outlives the lab command; `down` stops it.
    child = spawn(process.execPath, args, {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown'));
    child.once('error', (e) => resolve(`spawn failed: ${e.message}`));
  });
  return { child, pid: child.pid ?? 0, exited };
}

/** True when a dmmd log line says the router is serving (`"msg":"ready"`). */
export function isReadyLine(line: string): boolean {
  if (!line.includes('ready')) return false;
  try {
    const rec = JSON.parse(line) as { msg?: unknown };
    return rec.msg === 'ready';
  } catch {
    return line.includes('"ready"');
  }
}

/**
 * Polls `logFile` until a ready line appears; resolves with the reason when the process
 * ends first, `timeoutMs` passes or `signal` aborts.
 */
export async function waitReady(
  r: StartedRouter,
  logFile: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  let exit: number | string | undefined;
  void r.exited.then((x) => (exit = x));
  const deadline = Date.now() + timeoutMs;
  while (true) {
    let text = '';
    try {
      text = readFileSync(logFile, 'utf8');
    } catch {
      // not created yet
    }
    if (text.split('\n').some(isReadyLine)) return { ok: true };
    if (exit !== undefined) return { ok: false, reason: `exited (${exit}) before it was ready` };
    if (signal?.aborted) return { ok: false, reason: 'was not ready when the lab was interrupted' };
    if (Date.now() > deadline)
      return { ok: false, reason: `not ready after ${timeoutMs / 1000} s` };
    await delay(50);
  }
}
