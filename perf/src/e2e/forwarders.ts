/**
 * The command lines of the TAP forwarders the harness compares. Each follows the contract
 * of perf/README.md: `PROGRAM [flags] --a NAME --b NAME` creates both TAP devices, prints
 * `ready`, forwards until SIGTERM/SIGINT, exits 0 (the harness appends `--a`/`--b`).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_DIR } from './cbuild.js';
import type { PathId } from './paths.js';

/** The Node forwarder's entry point (built by `pnpm build`). */
export const NODE_FORWARDER = join(
  REPO_DIR,
  'examples',
  'tap-forwarder',
  'dist',
  'src',
  'forwarder.js',
);

/** Programs the harness runs, found or built at start. */
export interface Tools {
  udpgen: string;
  tapfwd: string;
  ethtool: string | null;
  /** tshark, for the dmmd path's capture check (null: not installed, check skipped). */
  tshark: string | null;
}

/** The forwarder command line of a TAP path, or why it cannot run (the path is then "missing"). */
export function forwarderArgv(
  path: PathId,
  tools: Tools,
  nodeForwarder = NODE_FORWARDER,
): string[] | { missing: string } {
  switch (path) {
    case 'c':
      return [tools.tapfwd];
    case 'c-one':
      return [tools.tapfwd, '--one'];
    case 'node':
    case 'node-one':
      if (!existsSync(nodeForwarder)) {
        return {
          missing: `${relative(REPO_DIR, nodeForwarder)} not found (build examples/tap-forwarder with pnpm build)`,
        };
      }
      return path === 'node'
        ? [process.execPath, nodeForwarder]
        : [process.execPath, nodeForwarder, '--rx-budget', '1'];
    default:
      return { missing: `${path} is not a TAP path` };
  }
}
