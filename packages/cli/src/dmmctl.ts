#!/usr/bin/env node
/**
 * dmmctl — asks a running dmmd through its control socket.
 *
 *   dmmctl [--socket PATH | --router NAME] [--json] COMMAND WORDS… [--KEY [VALUE]]…
 *
 *   dmmctl show interfaces            aligned table
 *   dmmctl --json show routes         the raw result as JSON
 *   dmmctl show counters --all        `--all` → args { all: true }
 *   dmmctl attach --mn mn1 --mac 02:…  → args { mn: "mn1", mac: "02:…" }
 *   dmmctl help                       the router's commands
 *
 * Exit status: 0 ok, 1 the command failed (its code and message on stderr), 2 usage,
 * 3 cannot reach the router (no socket, connection refused, …).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderTable, type TextTable } from '@dmm/core';
import { ControlClient } from './control/client.js';
import { DEFAULT_SOCKET_DIR, defaultSocketPath } from './control/protocol.js';
import { packageVersion } from './version.js';

export const DMMCTL_USAGE = `usage: dmmctl [--socket PATH | --router NAME] [--json] COMMAND… [--KEY [VALUE]]…

  COMMAND   a command path, e.g. show interfaces|routes|rules|neighbors|counters|plugins|runtime|ra;
            "dmmctl help" lists the router's commands
  --KEY VALUE, --KEY=VALUE, --KEY
            named arguments of the command (a bare --KEY is true)
  -s, --socket PATH   the router's control socket
  -r, --router NAME   the socket ${DEFAULT_SOCKET_DIR}/NAME.sock
                      (default: the only socket in ${DEFAULT_SOCKET_DIR})
  -j, --json          print the result as JSON instead of a table
  -h, --help          this help;  -V, --version  the version

exit status: 0 ok, 1 command error, 2 usage error, 3 cannot connect to the router
`;

/** Exit statuses. */
export const Exit = { Ok: 0, CommandError: 1, Usage: 2, Connect: 3 } as const;

export interface DmmctlArgs {
  socket?: string;
  router?: string;
  json: boolean;
  command: string;
  args: Record<string, unknown>;
}

class UsageError extends Error {}

/**
 * Parses the command line. `--socket`, `--router`, `--json`, `--help`, `--version` (and
 * their short forms) are dmmctl's own anywhere on the line; every other `--KEY` is an
 * argument of the command. Returns 'help' / 'version' for those requests.
 */
export function parseDmmctlArgs(argv: readonly string[]): DmmctlArgs | 'help' | 'version' {
  const words: string[] = [];
  const args: Record<string, unknown> = {};
  const out: DmmctlArgs = { json: false, command: '', args };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '-V' || a === '--version') return 'version';
    if (a === '-j' || a === '--json') out.json = true;
    else if (a === '-s' || a === '--socket') out.socket = value(i++, a);
    else if (a.startsWith('--socket=')) out.socket = a.slice('--socket='.length);
    else if (a === '-r' || a === '--router') out.router = value(i++, a);
    else if (a.startsWith('--router=')) out.router = a.slice('--router='.length);
    else if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    } else if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      if (eq > 2) args[a.slice(2, eq)] = a.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          args[a.slice(2)] = next;
          i++;
        } else args[a.slice(2)] = true;
      }
    } else if (a.startsWith('-') && a.length > 1) {
      throw new UsageError(`unknown option ${a}`);
    } else words.push(a);
  }
  if (out.socket !== undefined && out.router !== undefined) {
    throw new UsageError('give --socket or --router, not both');
  }
  if (out.socket === '') throw new UsageError('--socket needs a value');
  if (out.router !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(out.router)) {
    throw new UsageError(`not a router name: ${out.router}`);
  }
  if (words.length === 0) throw new UsageError('no command (try: dmmctl help)');
  // `help show` → help with a prefix filter
  if (words[0] === 'help' && words.length > 1) {
    args.prefix = words.slice(1).join(' ');
    words.length = 1;
  }
  out.command = words.join(' ');
  return out;
}

/** The socket to use: --socket, --router, or the only one in /run/dmm (null: none there). */
export function pickSocket(a: DmmctlArgs, dir = DEFAULT_SOCKET_DIR): string | null {
  if (a.socket !== undefined) return a.socket;
  if (a.router !== undefined) return defaultSocketPath(a.router);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.sock'));
  } catch {
    // no directory: no router runs
  }
  if (names.length === 1) return join(dir, names[0]!);
  if (names.length > 1) {
    throw new UsageError(
      `several routers run (${names.map((n) => n.slice(0, -5)).join(', ')}): pick one with --router NAME`,
    );
  }
  return null;
}

function print(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
}

async function main(argv: string[]): Promise<number> {
  let a: DmmctlArgs | 'help' | 'version';
  let socket: string | null;
  try {
    a = parseDmmctlArgs(argv);
    if (a === 'help') {
      print(DMMCTL_USAGE);
      return Exit.Ok;
    }
    if (a === 'version') {
      print(`dmmctl ${packageVersion()}`);
      return Exit.Ok;
    }
    socket = pickSocket(a);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dmmctl: ${e.message}\n${DMMCTL_USAGE}`);
    return Exit.Usage;
  }
  if (socket === null) {
    process.stderr.write(
      `dmmctl: no control socket in ${DEFAULT_SOCKET_DIR} (is dmmd running? see --socket / --router)\n`,
    );
    return Exit.Connect;
  }
  let client: ControlClient;
  try {
    client = await ControlClient.connect(socket);
  } catch (e) {
    process.stderr.write(`dmmctl: ${(e as Error).message}\n`);
    return Exit.Connect;
  }
  try {
    const r = await client.request(a.command, a.args);
    if (!r.ok) {
      process.stderr.write(`dmmctl: ${r.error.code}: ${r.error.message}\n`);
      const known = r.error.details?.known;
      if (r.error.code === 'DMM_ERR_UNKNOWN_COMMAND' && Array.isArray(known)) {
        process.stderr.write(`known commands: ${known.join(', ')}\n`);
      }
      return Exit.CommandError;
    }
    if (a.json) print(JSON.stringify(r.result, null, 2));
    else if (r.table) print(renderTable(r.table as TextTable));
    else if (typeof r.result === 'string') print(r.result);
    else if (r.result !== undefined && r.result !== null) print(JSON.stringify(r.result, null, 2));
    return Exit.Ok;
  } catch (e) {
    process.stderr.write(`dmmctl: ${(e as Error).message}\n`);
    return Exit.Connect;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dmmctl: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
