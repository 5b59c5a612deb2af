/**
 * Builds the harness's C programs (perf/c/*.c → perf/bin/*) with gcc -O2 when the binary is
 * missing or older than its source.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './sys.js';

/** perf/ (this file is perf/dist/src/e2e/cbuild.js). */
export const PERF_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The repository root. */
export const REPO_DIR = resolve(PERF_DIR, '..');

/** Compiles perf/c/<name>.c into `outDir/<name>` if needed; returns the binary's path. */
export function ensureBuilt(name: string, outDir = join(PERF_DIR, 'bin')): string {
  const src = join(PERF_DIR, 'c', `${name}.c`);
  const out = join(outDir, name);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return out;
  mkdirSync(outDir, { recursive: true });
  const r = run(['gcc', '-O2', '-Wall', '-Wextra', '-o', out, src], 120_000);
  if (r.code !== 0) throw new Error(`gcc failed for ${src}:\n${r.stderr}`);
  return out;
}
