/**
 * Helpers for tests against a real Linux kernel: root gating, `ip` wrappers, and a lab
 * that remembers every namespace, link and device a test created and removes them all.
 *
 * Gating rule: a test that needs root is skipped with a message when not root, except
 * under CI=true, where it runs and fails clearly (never a silent skip in CI).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
export const IN_CI = process.env.CI === 'true';

/** `test()` options for root-only tests: `{ skip }` outside CI when not root, else `{}`. */
export function rootOnly(): { skip?: string } {
  if (IS_ROOT || IN_CI) return {};
  return { skip: 'needs root (CAP_NET_ADMIN) for TAP/TUN devices and network namespaces' };
}

/** Throws a clear error when a root-only test runs without root (CI=true). */
export function requireRoot(): void {
  if (!IS_ROOT) {
    throw new Error(
      'CI=true but not running as root: the TAP/TUN and namespace tests need CAP_NET_ADMIN; ' +
        'run the test suite as root',
    );
  }
}

/** Runs `ip ARGS...` and returns stdout; throws with stderr on failure. */
export function ip(...args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string };
    throw new Error(`ip ${args.join(' ')}: ${err.stderr?.trim() ?? String(e)}`);
  }
}

/** Runs a command inside a namespace and returns stdout (blocks the event loop). */
export function inNetns(ns: string, cmd: string, ...args: string[]): string {
  return ip('netns', 'exec', ns, cmd, ...args);
}

/**
 * Runs a command inside a namespace without blocking the event loop (needed when the
 * traffic crosses a router running in the test process). Resolves with stdout and the
 * exit status; never rejects for a non-zero status.
 */
export function inNetnsAsync(
  ns: string,
  cmd: string,
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, cmd, ...args],
      { encoding: 'utf8', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** The fields of `ip -j -s link show` tests read. */
export interface LinkInfo {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  link_type: string;
  stats64: { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } };
}

/** `ip -j -s link show DEV` (in `ns` when given); null if it does not exist. */
export function linkInfo(dev: string, ns?: string): LinkInfo | null {
  const args = ns === undefined ? [] : ['-n', ns];
  try {
    const arr = JSON.parse(ip('-j', '-s', ...args, 'link', 'show', 'dev', dev)) as LinkInfo[];
    return arr[0] ?? null;
  } catch {
    return null;
  }
}

/** Something the lab closes at cleanup (a device, a router, a child process wrapper). */
export interface Closeable {
  close(): void;
}

/**
 * Creates and remembers namespaces, link names and closeables, and removes them all in
 * `cleanup()` (never throws). Names carry a prefix so they never collide with anything
 * else on the machine.
 */
export class NetnsLab {
  readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly closeables: Closeable[] = [];
  private readonly links: string[] = [];

  constructor(prefix = 'dmmt') {
    this.prefix = prefix;
  }

  /** A fresh namespace `<prefix>-<random>` with loopback up. */
  netns(): string {
    const name = `${this.prefix}-${randomBytes(4).toString('hex')}`;
    ip('netns', 'add', name);
    this.namespaces.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** A unique device name `<prefix>-<letter><6 hex>` (≤ 15 bytes); deleted at cleanup if left. */
  devName(letter = 'd'): string {
    const name = `${this.prefix}-${letter}${randomBytes(3).toString('hex')}`.slice(0, 15);
    this.links.push(name);
    return name;
  }

  /** Remembers `c` so cleanup closes it (before namespaces go). */
  track<T extends Closeable>(c: T): T {
    this.closeables.push(c);
    return c;
  }

  cleanup(): void {
    for (const c of this.closeables.reverse()) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    for (const l of this.links) {
      for (const ns of [undefined, ...this.namespaces]) {
        if (linkInfo(l, ns) === null) continue;
        try {
          ip(...(ns === undefined ? [] : ['-n', ns]), 'link', 'del', 'dev', l);
        } catch {
          // raced with the kernel removing it
        }
      }
    }
    for (const ns of this.namespaces) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
    }
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
