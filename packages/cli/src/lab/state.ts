/**
 * The lab's record of what it created, `<runtime dir>/state.json`, written before each
 * object is created (an intent log) so `down` can undo a lab whose `up` — or whose
 * dmm-lab process — died half way. Writes are atomic (temporary file, then rename).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_VERSION = 1;

export interface RouterState {
  /** The dmmd process id (0 until spawned). */
  pid: number;
  /** The generated config dmmd runs with; a process is ours only if its argv names it. */
  config: string;
  socket: string;
  log: string;
}

export interface LabState {
  version: number;
  name: string;
  prefix: string;
  topology: string;
  /** `building` while `up` runs, `up` once it finished. */
  phase: 'building' | 'up';
  startedAt: string;
  /** Every namespace the lab created or was about to create. */
  namespaces: string[];
  routers: Record<string, RouterState>;
  /** `host:iface` or `router:dev` → the link it is attached to now (`move` changes it). */
  attachments: Record<string, string>;
}

export function statePath(runtimeDir: string): string {
  return join(runtimeDir, 'state.json');
}

/** The state of a lab, or null when there is none (or it is unreadable: treated as none). */
export function readState(runtimeDir: string): LabState | null {
  let text: string;
  try {
    text = readFileSync(statePath(runtimeDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const s = JSON.parse(text) as LabState;
    if (s && typeof s === 'object' && Array.isArray(s.namespaces)) {
      s.routers ??= {};
      s.attachments ??= {};
      return s;
    }
  } catch {
    // a torn write cannot happen (rename is atomic), but a hand-edited file can be broken
  }
  return null;
}

export function writeState(runtimeDir: string, state: LabState): void {
  mkdirSync(runtimeDir, { recursive: true });
  const file = statePath(runtimeDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

export function removeState(runtimeDir: string): void {
  rmSync(statePath(runtimeDir), { force: true });
}
