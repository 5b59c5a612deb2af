#!/usr/bin/env node
// Builds everything: the native TAP/TUN addon (node-gyp) and then every TypeScript
// project (tsc -b). node-gyp cannot download Node's headers on machines without
// internet access, so when the running Node's headers are installed under
// <prefix>/include/node we point node-gyp at them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

const addon = join(root, 'packages', 'tuntap');
if (existsSync(join(addon, 'native', 'binding.gyp'))) {
  run('pnpm', ['--silent', 'run', 'build:native'], addon);
}
run(join(root, 'node_modules', '.bin', 'tsc'), ['-b'], root);
