/**
 * Where a lab keeps its runtime files (`<repo>/.lab/<name>/`: state.json, the generated
 * router configs, control sockets and router logs; `.lab/` is git-ignored) and where the
 * dmmd and dmmctl entry points are, relative to this compiled module
 * (`<repo>/packages/cli/dist/src/lab/`).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root. */
export function repoRoot(): string {
  return fileURLToPath(new URL('../../../../../', import.meta.url)).replace(/\/$/, '');
}

/** `<repo>/.lab`. */
export function defaultRuntimeRoot(): string {
  return join(repoRoot(), '.lab');
}

/** The compiled dmmd next to the lab. */
export function defaultDmmd(): string {
  return fileURLToPath(new URL('../dmmd.js', import.meta.url));
}

/** The compiled dmmctl next to the lab. */
export function defaultDmmctl(): string {
  return fileURLToPath(new URL('../dmmctl.js', import.meta.url));
}
