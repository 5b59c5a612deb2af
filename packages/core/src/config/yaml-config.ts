/**
 * Loads a YAML config file and validates it, turning every problem into a ConfigError
 * that names the file, line, column and key (`r1.yaml:12:7: interfaces[0].mtu: expected
 * number, received string`). YAML syntax errors are reported the same way.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document } from 'yaml';
import type { ZodType } from 'zod';
import { ConfigError, DmmError } from '../errors.js';
import { formatPath, type ConfigPath } from '../plugin/plugin-host.js';

/** One problem found in a config file. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  line: number;
  column: number;
}

/** A parsed YAML document that can tell where a key path is. */
export class YamlSource {
  readonly file: string;
  readonly doc: Document;
  private readonly lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.lines = new LineCounter();
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    const err = this.doc.errors[0];
    if (err) {
      const pos = this.lines.linePos(err.pos[0]);
      throw new ConfigError(`${file}:${pos.line}:${pos.col}: ${err.message.split('\n')[0]}`, {
        file,
        issues: [{ path: [], message: err.message, line: pos.line, column: pos.col }],
      });
    }
  }

  /** Reads and parses a file; a ConfigError when it cannot be read or parsed. */
  static read(file: string): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`${file}: cannot read: ${(e as Error).message}`, { file });
    }
    return new YamlSource(file, text);
  }

  /** The document as plain JS values. */
  toJS(): unknown {
    return this.doc.toJS() ?? {};
  }

  /**
   * Line and column of the deepest node on `path` that exists; for a key that should not
   * be there, the key itself.
   */
  position(path: ConfigPath, key?: string): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let at: unknown = node;
    for (const seg of key === undefined ? path : [...path, key]) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) break;
        at = pair.key;
        node = pair.value;
        if (node) at = key !== undefined && seg === key ? pair.key : node;
      } else if (
        node &&
        typeof node === 'object' &&
        'items' in node &&
        Array.isArray((node as { items: unknown[] }).items)
      ) {
        const item = (node as { items: unknown[] }).items[Number(seg)];
        if (item === undefined) break;
        at = item;
        node = item;
      } else break;
    }
    const range = (at as { range?: [number, number, number] } | null)?.range;
    const pos = this.lines.linePos(range ? range[0] : 0);
    return { line: pos.line, column: pos.col };
  }

  /** Maps `{ path, message }` problems to positions and throws one ConfigError listing them all. */
  fail(problems: { path: ConfigPath; message: string; key?: string }[]): never {
    const issues: ConfigIssue[] = problems.map((p) => {
      const pos = this.position(p.path, p.key);
      const path = p.key === undefined ? [...p.path] : [...p.path, p.key];
      return { path, message: p.message, line: pos.line, column: pos.column };
    });
    const lines = issues.map(
      (i) => `${this.file}:${i.line}:${i.column}: ${formatPath(i.path)}: ${i.message}`,
    );
    throw new ConfigError(lines.join('\n'), { file: this.file, issues });
  }

  /**
   * Validates the document with a zod schema; every issue becomes a positioned line
   * (unknown keys point at the key).
   */
  validate<T>(schema: ZodType<T>, value: unknown = this.toJS()): T {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    const problems: { path: ConfigPath; message: string; key?: string }[] = [];
    for (const i of r.error.issues) {
      const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      if (i.code === 'unrecognized_keys') {
        for (const k of i.keys) problems.push({ path, key: k, message: `unknown key "${k}"` });
      } else problems.push({ path, message: i.message });
    }
    return this.fail(problems);
  }

  /**
   * Re-throws a ConfigError raised while applying the config (e.g. a plugin's validation)
   * with positions for its `details.issues`; other errors pass through.
   */
  locate(e: unknown): never {
    if (e instanceof DmmError && e.code === 'DMM_ERR_CONFIG_INVALID') {
      const issues = (
        e.details as { issues?: { path: ConfigPath; message: string }[]; path?: ConfigPath }
      ).issues;
      if (issues && issues.length > 0)
        this.fail(issues.map((i) => ({ path: i.path, message: i.message })));
      const path = (e.details as { path?: ConfigPath }).path;
      if (path) this.fail([{ path, message: e.message }]);
    }
    throw e;
  }
}
