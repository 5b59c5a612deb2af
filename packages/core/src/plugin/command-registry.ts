/**
 * Control commands: what `dmmctl` (and any other client of the control API) can ask a
 * router. A command has a path (`show routes`), one line of help, and a handler that
 * returns a JSON-serialisable result or throws a coded error. The CLI and the API call the
 * same handler (VPP's rule); people get a table from `table`, scripts get `--json`.
 */
import { DmmError } from '../errors.js';

/** A table for people: column titles and rows of cells, already formatted. */
export interface TextTable {
  columns: string[];
  rows: string[][];
}

export interface CommandDef {
  /** Words, e.g. `show routes`, `attach`. */
  readonly path: string;
  readonly help: string;
  /** Runs the command; `args` are the client's named arguments. */
  run(args: Readonly<Record<string, unknown>>): unknown;
  /** Optional table form of the result for people. */
  table?(result: unknown): TextTable;
}

export class CommandRegistry {
  private readonly commands = new Map<string, CommandDef>();

  /** Registers a command; a path can only be registered once. Returns an unregister function. */
  register(def: CommandDef): () => void {
    const path = normalise(def.path);
    if (this.commands.has(path)) {
      throw new DmmError('DMM_ERR_COMMAND_EXISTS', `command "${path}" is already registered`, {
        path,
      });
    }
    this.commands.set(path, def);
    return () => {
      if (this.commands.get(path) === def) this.commands.delete(path);
    };
  }

  get(path: string): CommandDef | undefined {
    return this.commands.get(normalise(path));
  }

  /** Every command, sorted by path. */
  list(): CommandDef[] {
    return [...this.commands.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Runs command `path`; DMM_ERR_UNKNOWN_COMMAND when it does not exist. */
  async run(
    path: string,
    args: Readonly<Record<string, unknown>> = {},
  ): Promise<{ result: unknown; table?: TextTable }> {
    const def = this.get(path);
    if (def === undefined) {
      throw new DmmError('DMM_ERR_UNKNOWN_COMMAND', `unknown command "${normalise(path)}"`, {
        path,
        known: this.list().map((c) => c.path),
      });
    }
    const result = await def.run(args);
    return def.table ? { result, table: def.table(result) } : { result };
  }
}

function normalise(path: string): string {
  return path.trim().split(/\s+/).join(' ');
}

/** Renders a TextTable with aligned columns. */
export function renderTable(t: TextTable): string {
  const widths = t.columns.map((c, i) =>
    Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(t.columns), ...t.rows.map(line)].join('\n');
}
