/**
 * The harness's own resources — network namespaces named `dmmp-*` and the processes it
 * started — and their cleanup: on normal completion, on failure, on Ctrl-C/SIGTERM, and at
 * the start of the next run after a crash. A state file records this run's pid and its
 * children (pid + command line), so a later run kills exactly those processes (never by
 * name) and refuses to start while another run is alive.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmdlineOf, must, run, startChild, stopChild, type Child } from './sys.js';

/** Prefix of every namespace and interface the harness creates. */
export const PREFIX = 'dmmp-';

interface State {
  pid: number;
  children: { pid: number; cmdline: string }[];
}

/** Synchronous sleep for cleanup paths that cannot await (signal and exit handlers). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class Lab {
  readonly stateFile: string;
  private readonly namespaces = new Set<string>();
  private readonly children = new Map<number, Child>();
  private cleaned = false;

  constructor(stateFile = join(tmpdir(), 'dmmp-e2e.state.json')) {
    this.stateFile = stateFile;
  }

  /**
   * Takes over from a crashed run: refuses when another live run owns the state file,
   * kills the children it recorded (when their command line still matches), and removes
   * every `dmmp-*` namespace and root-namespace interface. Returns what it removed.
   */
  recoverStale(): string[] {
    const removed: string[] = [];
    if (existsSync(this.stateFile)) {
      let st: State | null = null;
      try {
        st = JSON.parse(readFileSync(this.stateFile, 'utf8')) as State;
      } catch {
        st = null;
      }
      if (st !== null && st.pid !== process.pid) {
        const owner = cmdlineOf(st.pid);
        if (owner !== null && owner.includes('e2e')) {
          throw new Error(`another e2e run (pid ${st.pid}) is in progress: ${owner}`);
        }
        for (const c of st.children) {
          if (sameProcess(c.cmdline, cmdlineOf(c.pid))) {
            try {
              process.kill(c.pid, 'SIGKILL');
              removed.push(`process ${c.pid} (${c.cmdline})`);
            } catch {
              // already gone
            }
          }
        }
      }
    }
    for (const ns of listNamespaces()) {
      if (ns.startsWith(PREFIX)) {
        run(['ip', 'netns', 'del', ns]);
        removed.push(`netns ${ns}`);
      }
    }
    for (const link of listRootLinks()) {
      if (link.startsWith(PREFIX)) {
        run(['ip', 'link', 'del', link]);
        removed.push(`link ${link}`);
      }
    }
    this.save();
    return removed;
  }

  /** Creates namespace `name` (must start with `dmmp-`) with loopback up. */
  addNamespace(name: string): string {
    if (!name.startsWith(PREFIX)) throw new Error(`namespace ${name} lacks the ${PREFIX} prefix`);
    must(['ip', 'netns', 'add', name]);
    this.namespaces.add(name);
    must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  deleteNamespace(name: string): void {
    run(['ip', 'netns', 'del', name]);
    this.namespaces.delete(name);
  }

  /** Starts a tracked child (recorded in the state file until it exits). */
  start(argv: readonly string[], what: string): Child {
    const c = startChild(argv, what);
    const pid = c.proc.pid;
    if (pid !== undefined) {
      this.children.set(pid, c);
      this.save();
      void c.exited.then(() => {
        this.children.delete(pid);
        if (!this.cleaned) this.save();
      });
    }
    return c;
  }

  /** Stops every tracked child that is still running (between paths). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.children.values()].map((c) => stopChild(c)));
  }

  /** Deletes every namespace this run created (between paths). */
  deleteNamespaces(): void {
    for (const ns of [...this.namespaces]) this.deleteNamespace(ns);
  }

  /**
   * Kills every tracked child (SIGTERM, SIGKILL after 2 s), deletes every namespace this
   * run created and any other `dmmp-*` one, and removes the state file. Synchronous, so it
   * also works from signal and exit handlers; idempotent.
   */
  cleanupSync(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    const live = [...this.children.values()].filter((c) => c.exitCode === null);
    for (const c of live) c.proc.kill('SIGTERM');
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && live.some((c) => cmdlineOf(c.proc.pid!) !== null)) {
      sleepSync(20);
    }
    for (const c of live) if (cmdlineOf(c.proc.pid!) !== null) c.proc.kill('SIGKILL');
    for (const ns of this.namespaces) run(['ip', 'netns', 'del', ns]);
    this.namespaces.clear();
    for (const ns of listNamespaces()) if (ns.startsWith(PREFIX)) run(['ip', 'netns', 'del', ns]);
    rmSync(this.stateFile, { force: true });
  }

  private save(): void {
    const st: State = {
      pid: process.pid,
      children: [...this.children.values()].map((c) => ({
        pid: c.proc.pid!,
        cmdline: c.argv.join(' '),
      })),
    };
    writeFileSync(this.stateFile, JSON.stringify(st));
  }
}

/**
 * True when `live` (a /proc command line) is the process started as `recorded`: equal, or
 * its tail once the `ip netns exec NS` and `taskset -c N` wrappers have exec'd it.
 */
export function sameProcess(recorded: string, live: string | null): boolean {
  if (live === null || live === '') return false;
  return recorded === live || recorded.endsWith(` ${live}`);
}

/** Names of the network namespaces `ip netns` knows. */
export function listNamespaces(): string[] {
  const r = run(['ip', 'netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((s) => s !== '');
}

/** Interface names in the root namespace. */
function listRootLinks(): string[] {
  const r = run(['ip', '-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter((s) => s !== '');
}
