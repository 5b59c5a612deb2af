#!/usr/bin/env node
// Runs every package's compiled tests (dist/test) with node:test, one process per file.
// Usage: node scripts/test.mjs [package-dir ...]   (default: all packages, plugins, perf)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const groups = ['packages', 'plugins', 'examples'];
let dirs = process.argv.slice(2).map((d) => resolve(d));
if (dirs.length === 0) {
  for (const g of groups) {
    const base = join(root, g);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) dirs.push(join(base, name));
  }
  dirs.push(join(root, 'perf'));
}
const testDirs = dirs.map((d) => join(d, 'dist', 'test')).filter((d) => existsSync(d));
if (testDirs.length === 0) {
  console.error('test: no compiled tests found; run the build first');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=1', ...testDirs],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
