#!/usr/bin/env node
/**
 * dmm-lab: network-namespace labs of kernel hosts and dmmd routers (docs/lab.md).
 *
 *   dmm-lab up TOPOLOGY.yaml [--no-wait] [--keep] [--json]
 *   dmm-lab down TOPOLOGY.yaml
 *   dmm-lab status TOPOLOGY.yaml [--json]
 *   dmm-lab exec TOPOLOGY.yaml HOST -- COMMAND [ARG…]
 *   dmm-lab move TOPOLOGY.yaml HOST:IFACE LINK [--blip]
 *
 * Exit status: 0 done, 1 the lab operation failed, 2 bad usage or topology.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { YamlSource, isDmmError } from '@dmm/core';
import { Lab, teardown, type LabOptions } from './lab.js';
import { defaultRuntimeRoot } from './paths.js';
import { formatStatus } from './summary.js';

const USAGE = `usage:
  dmm-lab up TOPOLOGY.yaml [--no-wait] [--keep] [--json]
        build the lab, start its routers, wait for host addresses, print a summary
  dmm-lab down TOPOLOGY.yaml
        stop the routers and remove every namespace, bridge and veth of the lab
  dmm-lab status TOPOLOGY.yaml [--json]
        what exists now: namespaces, who is on which link, routers, host addresses
  dmm-lab exec TOPOLOGY.yaml HOST -- COMMAND [ARG...]
        run a command inside a host's namespace ("switch" for the bridges' namespace)
  dmm-lab move TOPOLOGY.yaml HOST:IFACE LINK [--blip]
        re-attach a host interface to another link (layer-2 handover; --blip drops
        carrier for a moment so the host re-solicits)
options:
  --runtime-root DIR   runtime files in DIR/<lab name> (default ${defaultRuntimeRoot()})
  --dmmd FILE          the dmmd entry point (default: dmmd.js next to dmm-lab)
  --quiet              no progress lines on stderr
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      'no-wait': { type: 'boolean' },
      keep: { type: 'boolean' },
      json: { type: 'boolean' },
      blip: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      'runtime-root': { type: 'string' },
      dmmd: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [verb, file, ...rest] = positionals;
  if (!verb || !file) throw new UsageError('a command and a topology file are needed');
  const opts: LabOptions = {};
  if (values['runtime-root'] !== undefined) opts.runtimeRoot = resolve(values['runtime-root']);
  if (values.dmmd !== undefined) opts.dmmd = resolve(values.dmmd);
  if (!values.quiet) opts.log = (line) => process.stderr.write(`dmm-lab: ${line}\n`);

  if (verb === 'down') return down(file, opts);
  const lab = Lab.load(file, opts);
  switch (verb) {
    case 'up': {
      if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}`);
      // ^C or SIGTERM while building: stop, remove what was built, then exit.
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let s;
      try {
        s = await lab.up({
          wait: !values['no-wait'],
          keepOnFailure: values.keep === true,
          signal: ac.signal,
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      process.stdout.write(
        values.json
          ? `${JSON.stringify(s, null, 2)}\n`
          : `${formatStatus(s, { hints: true, topologyArg: file })}\n`,
      );
      return 0;
    }
    case 'status': {
      const s = await lab.status();
      process.stdout.write(
        values.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatStatus(s)}\n`,
      );
      return 0;
    }
    case 'exec': {
      const host = rest[0];
      if (!host || rest.length > 1 || command.length === 0) {
        throw new UsageError('exec needs HOST -- COMMAND [ARG...]');
      }
      const ns = lab.ns(host);
      return await new Promise<number>((done) => {
        const child = spawn('ip', ['netns', 'exec', ns, ...command], { stdio: 'inherit' });
        child.once('error', (e) => {
          process.stderr.write(`dmm-lab: ${e.message}\n`);
          done(1);
        });
        child.once('exit', (code, sig) => done(code ?? 128 + (sig ? signalNumber(sig) : 0)));
      });
    }
    case 'move': {
      const [what, link] = rest;
      const m = what ? /^([^:]+):(.+)$/.exec(what) : null;
      if (!m || !link || rest.length !== 2) throw new UsageError('move needs HOST:IFACE LINK');
      const r = await lab.move(m[1]!, m[2]!, link, { blip: values.blip === true });
      process.stdout.write(`${what}: ${r.from ?? '(none)'} -> ${r.to}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${verb}"`);
  }
}

/**
 * `down` must work even when the topology no longer validates (edited after `up`): then
 * the lab's name and prefix are read from the raw file and the state file does the rest.
 */
async function down(file: string, opts: LabOptions): Promise<number> {
  let report;
  try {
    report = await Lab.load(file, opts).down();
  } catch (e) {
    if (!isDmmError(e, 'DMM_ERR_CONFIG_INVALID')) throw e;
    const raw = (() => {
      try {
        return YamlSource.read(file).toJS() as { name?: unknown; prefix?: unknown };
      } catch {
        return {};
      }
    })();
    if (typeof raw.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(raw.name)) throw e;
    process.stderr.write(
      `dmm-lab: the topology does not validate; removing lab ${raw.name} from its state file\n`,
    );
    const prefix = typeof raw.prefix === 'string' ? raw.prefix : `dmml-${raw.name}`;
    report = await teardown({
      runtimeDir: join(opts.runtimeRoot ?? defaultRuntimeRoot(), raw.name),
      namespaces: [`${prefix}-sw`],
      switchNs: `${prefix}-sw`,
      graceMs: 5000,
    });
  }
  const parts = [
    `${report.namespaces.length} namespace(s) deleted${report.namespaces.length ? ` (${report.namespaces.join(', ')})` : ''}`,
    `${report.stopped.length} router(s) stopped${report.killed.length ? `, ${report.killed.length} with SIGKILL` : ''}`,
  ];
  if (report.strays.length > 0) parts.push(`${report.strays.length} other process(es) stopped`);
  process.stdout.write(`${parts.join('; ')}\n`);
  return 0;
}

function signalNumber(sig: NodeJS.Signals): number {
  const n = (
    { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 } as Partial<
      Record<NodeJS.Signals, number>
    >
  )[sig];
  return n ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (
      e instanceof UsageError ||
      (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      process.stderr.write(`dmm-lab: ${(e as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (isDmmError(e, 'DMM_ERR_CONFIG_INVALID')) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`dmm-lab: ${(e as Error).message}\n`);
      process.exitCode = 1;
    }
  },
);
