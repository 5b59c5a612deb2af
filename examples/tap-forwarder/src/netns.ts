/**
 * Small wrappers over iproute2 for the demo: run a command (optionally inside a named
 * network namespace) and fail with its stderr, create and delete namespaces. Commands
 * whose traffic crosses the in-process forwarder must use `runAsync`.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';

/** Runs `cmd args` (inside `netns` if given) and returns stdout; throws with stderr on failure. */
export function run(cmd: string, args: string[], netns?: string): string {
  const argv = netns ? ['netns', 'exec', netns, cmd, ...args] : args;
  const bin = netns ? 'ip' : cmd;
  try {
    return execFileSync(bin, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; status?: number };
    throw new Error(
      `${[bin, ...argv].join(' ')} failed (${err.status}): ${err.stderr?.trim() ?? ''}`,
    );
  }
}

/** Like `run` but never throws: returns status and output. */
export function tryRun(cmd: string, args: string[], netns?: string): { ok: boolean; out: string } {
  const argv = netns ? ['netns', 'exec', netns, cmd, ...args] : args;
  const r = spawnSync(netns ? 'ip' : cmd, argv, { encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** True when the program exists on PATH. */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function addNetns(name: string): void {
  deleteNetns(name);
  run('ip', ['netns', 'add', name]);
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export function deleteNetns(name: string): void {
  tryRun('ip', ['netns', 'del', name]);
}

/**
 * `run` without blocking the event loop: needed whenever the traffic goes through a
 * forwarder that runs in this same process.
 */
export function runAsync(cmd: string, args: string[], netns?: string): Promise<string> {
  const argv = netns ? ['netns', 'exec', netns, cmd, ...args] : args;
  const bin = netns ? 'ip' : cmd;
  return new Promise((resolve, reject) => {
    execFile(bin, argv, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`${[bin, ...argv].join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}
