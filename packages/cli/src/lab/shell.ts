/**
 * Running `ip`, `bridge`, `sysctl` and commands inside named network namespaces
 * (ip-netns(8)), always asynchronously so a caller's event loop keeps turning while the
 * kernel works. A failed command becomes a LabError naming the command line and stderr.
 */
import { execFile } from 'node:child_process';
import { DmmError } from '@dmm/core';

/** Everything the lab itself fails with carries this code (topology errors are ConfigErrors). */
export const LAB_ERROR_CODE = 'DMM_ERR_LAB';

/** A lab operation failed (a command, a router that did not start, a timeout). */
export class LabError extends DmmError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(LAB_ERROR_CODE, message, details, options);
    this.name = 'LabError';
  }
}

/** The outcome of a command; a non-zero `status` is not an exception here. */
export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kill the command after this many milliseconds (status 124 then, like timeout(1)). */
  timeoutMs?: number;
}

/** Runs `cmd args…` and resolves with its status and output; never rejects. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        timeout: opts.timeoutMs ?? 0,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        let status = 0;
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
          if (e.killed) status = 124;
          else if (typeof e.code === 'number') status = e.code;
          else {
            // ENOENT and friends: the program itself could not be started.
            status = 127;
            stderr = `${stderr}${stderr ? '\n' : ''}${cmd}: ${e.message}`;
          }
        }
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** Runs a command and returns stdout; a LabError with the command line and stderr otherwise. */
export async function runOk(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.status !== 0) {
    const line = [cmd, ...args].join(' ');
    throw new LabError(`${line}: ${r.stderr.trim() || `exit status ${r.status}`}`, {
      command: [cmd, ...args],
      status: r.status,
      stderr: r.stderr,
    });
  }
  return r.stdout;
}

/** `ip [-n NS] ARGS…`, stdout on success. */
export function ipIn(ns: string | undefined, ...args: string[]): Promise<string> {
  return runOk('ip', ns === undefined ? args : ['-n', ns, ...args]);
}

/** `ip -j [-n NS] ARGS…` parsed; `null` when the command fails (e.g. the device is gone). */
export async function ipJson<T>(ns: string | undefined, ...args: string[]): Promise<T | null> {
  const r = await run('ip', ns === undefined ? ['-j', ...args] : ['-j', '-n', ns, ...args]);
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout || 'null') as T;
  } catch {
    return null;
  }
}

/** `ip netns exec NS ARGV…`; never rejects. */
export function inNs(
  ns: string,
  argv: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, ...argv], opts);
}

/** The named namespaces that exist now (`ip netns list`). */
export async function listNetns(): Promise<Set<string>> {
  const r = await run('ip', ['-j', 'netns', 'list']);
  const out = new Set<string>();
  if (r.status !== 0 || r.stdout.trim() === '') return out;
  try {
    for (const e of JSON.parse(r.stdout) as { name: string }[]) out.add(e.name);
  } catch {
    // older iproute2 without JSON for netns: plain lines "name (id: N)"
    for (const line of r.stdout.split('\n')) {
      const name = line.trim().split(/\s+/)[0];
      if (name) out.add(name);
    }
  }
  return out;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
