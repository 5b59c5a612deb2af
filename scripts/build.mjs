#!/usr/bin/env node
// Builds everything: the native addons (node-gyp) and then every TypeScript project
// (tsc -b). node-gyp cannot download Node's headers on machines without internet access,
// so when the running Node's headers are installed under <prefix>/include/node we point
// node-gyp at them.
//
// Native addons:
// - our TAP/TUN addon (packages/tuntap/native), rebuilt every time;
// - better-sqlite3 (used by @dmm/mobility-context). pnpm-workspace.yaml tells pnpm not to
//   run its install script, because that script's node-gyp would try to download the
//   headers and fail offline; we compile it here instead, once, when its binary is missing
//   or older than its package.json (a new version lands in a new directory).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
if (!env.npm_config_nodedir) {
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'common.gypi'))) env.npm_config_nodedir = prefix;
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${cmd} ${args.join(' ')} failed in ${cwd}`);
    process.exit(r.status ?? 1);
  }
}

/** The directory of `name`'s package.json as resolved from package `from`, or null. */
function packageDir(from, name) {
  try {
    return dirname(createRequire(join(from, 'package.json')).resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

const addon = join(root, 'packages', 'tuntap');
if (existsSync(join(addon, 'native', 'binding.gyp'))) {
  run('pnpm', ['--silent', 'run', 'build:native'], addon);
}

const sqlite = packageDir(join(root, 'packages', 'mobility-context'), 'better-sqlite3');
if (sqlite) {
  const binary = join(sqlite, 'build', 'Release', 'better_sqlite3.node');
  const stale =
    !existsSync(binary) ||
    statSync(binary).mtimeMs < statSync(join(sqlite, 'package.json')).mtimeMs;
  if (stale) {
    const gypDir = packageDir(addon, 'node-gyp');
    if (!gypDir) {
      console.error('build: node-gyp not found (packages/tuntap devDependency); run pnpm install');
      process.exit(1);
    }
    console.log('build: compiling better-sqlite3 (SQLite and its binding; 1.5 to 3 minutes, once)');
    run(process.execPath, [join(gypDir, 'bin', 'node-gyp.js'), 'rebuild', '--release'], sqlite);
  }
}

run(join(root, 'node_modules', '.bin', 'tsc'), ['-b'], root);
