/**
 * Test helpers: run the real dmmd and dmmctl binaries (with this Node), wait for dmmd's
 * `ready` log line, read its JSON log, and watch `ip monitor link` for netdevs appearing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab } from '@dmm/testkit';

/** dist/test → dist/src */
export const DMMD = fileURLToPath(new URL('../src/dmmd.js', import.meta.url));
export const DMMCTL = fileURLToPath(new URL('../src/dmmctl.js', import.meta.url));
/** Compiled fixture plugins. */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The namespace lab with the CLI's `dmmc-` prefix. */
export class Lab extends NetnsLab {
  constructor() {
    super('dmmc');
  }
}

/** A fresh temporary directory (short path: Unix socket paths are limited to 107 bytes). */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dmmc-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeConfig(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node script to completion (asynchronously: the event loop keeps running). */
export function runNode(
  script: string,
  args: string[],
  timeoutMs = 15000,
  cwd?: string,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cwd === undefined ? {} : { cwd }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

export function dmmctl(...args: string[]): Promise<RunResult> {
  return runNode(DMMCTL, args);
}

/** One pino log line. */
export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A dmmd process started by a test. */
export class DmmdProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;

  /** `wrap`: a command to run dmmd under (e.g. setpriv with options). */
  constructor(args: string[], wrap: string[] = []) {
    const argv = [...wrap, process.execPath, DMMD, ...args];
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (status, signal) => resolve({ status, signal })),
    );
  }

  /** Every JSON log line so far. */
  logs(): LogLine[] {
    const out: LogLine[] = [];
    for (const l of this.stdout.split('\n')) {
      if (l.trim() === '') continue;
      try {
        out.push(JSON.parse(l) as LogLine);
      } catch {
        // not a log line
      }
    }
    return out;
  }

  /** Resolves with the first log line with `msg`; rejects when dmmd exits or time runs out. */
  async waitFor(msg: string, timeoutMs = 10000): Promise<LogLine> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs().find((l) => l.msg === msg);
      if (hit) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `dmmd exited (${this.child.exitCode ?? this.child.signalCode}) before "${msg}":\n${this.stderr}\n${this.stdout}`,
        );
      }
      if (Date.now() > end)
        throw new Error(
          `no "${msg}" from dmmd in ${timeoutMs} ms:\n${this.stderr}\n${this.stdout}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends `sig` and resolves with the exit status (SIGKILL after `timeoutMs`). */
  async stop(
    sig: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 8000,
  ): Promise<{ status: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }

  /** Waits for dmmd to exit by itself (SIGKILL after `timeoutMs`). */
  async exit(timeoutMs = 10000): Promise<{ status: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }

  /** For NetnsLab.track: kill if still running. */
  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Watches `ip -o monitor link` (rtnetlink RTM_NEWLINK / RTM_DELLINK in our namespace).
 * `stop()` resolves with every line seen.
 */
export class LinkMonitor {
  private readonly child: ChildProcess;
  private out = '';

  private constructor() {
    this.child = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.out += s));
  }

  /** Starts the monitor and gives it time to subscribe. */
  static async start(): Promise<LinkMonitor> {
    const m = new LinkMonitor();
    await new Promise((r) => setTimeout(r, 300));
    return m;
  }

  lines(): string[] {
    return this.out.split('\n').filter((l) => l.trim() !== '');
  }

  async stop(): Promise<string[]> {
    await new Promise((r) => setTimeout(r, 200));
    this.child.kill('SIGTERM');
    await new Promise((r) => this.child.once('close', r));
    return this.lines();
  }
}
