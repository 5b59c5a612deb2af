/**
 * Loads a dmmd config file (docs/config.md) and validates all of it before anything is
 * touched: YAML syntax, the schema (schema.ts), the cross-value checks (checks.ts), the
 * modules of `plugins[]`, and every plugin's own config schema through the plugin host's
 * `validatePluginConfig`. Every problem is reported, each as
 * `FILE:LINE:COLUMN: KEY: message`, in one ConfigError (DMM_ERR_CONFIG_INVALID).
 *
 * Sections → plugins, in load order: `routes`/`rules` → routing, `interfaces[].ra` and
 * `neighbors` → ndra, `control` → control, then `plugins[]` in order.
 */
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ZodError } from 'zod';
import {
  YamlSource,
  formatPath,
  routingPlugin,
  validatePluginConfig,
  type ConfigPath,
  type PluginDefinition,
} from '@dmm/core';
import { ndraPlugin } from '@dmm/ndra';
import { controlPlugin } from '../control/plugin.js';
import { defaultSocketPath } from '../control/protocol.js';
import { checkDmmdConfig, type ConfigProblem } from './checks.js';
import {
  dmmdConfigSchema,
  type DmmdFile,
  type InterfaceFile,
  type LogLevelName,
} from './schema.js';

/** A plugin to load: its definition, its raw config and where that sits in the file. */
export interface PluginLoad {
  def: PluginDefinition<unknown>;
  config: unknown;
  /** Path of the plugin's config in the file (for messages). */
  path: ConfigPath;
  /** The `plugins[].module` text for plugins loaded from a module. */
  module?: string;
}

/** A validated dmmd config. */
export interface DmmdConfig {
  /** The path as given (used in messages). */
  file: string;
  /** Directory of the file (relative paths in it resolve against this). */
  dir: string;
  source: YamlSource;
  router: DmmdFile['router'];
  log: { level?: LogLevelName };
  /** Control socket path after `--socket`, `control.socket` and the default. */
  controlSocket: string;
  interfaces: InterfaceFile[];
  /** routing, ndra, control, then `plugins[]`. */
  plugins: PluginLoad[];
}

export interface LoadOptions {
  /** `--socket`: overrides `control.socket` (relative to the working directory). */
  socket?: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** zod issues → problems; unknown keys point at the key. */
function zodProblems(
  err: ZodError,
  map: (p: ConfigPath) => ConfigPath = (p) => p,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const i of err.issues) {
    const path = map(i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)));
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path, key: k, message: `unknown key "${k}"` });
    } else out.push({ path, message: i.message });
  }
  return out;
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.every((p, i) => path[i] === p);
}

/**
 * Reads, parses and validates `file`; imports the modules of `plugins[]`. Throws one
 * ConfigError listing every problem (`FILE:LINE:COL: KEY: message` per line).
 */
export async function loadDmmdConfig(file: string, opts: LoadOptions = {}): Promise<DmmdConfig> {
  const source = YamlSource.read(file);
  const dir = dirname(resolve(file));
  const raw = source.toJS();
  const problems: ConfigProblem[] = [];
  const parsed = dmmdConfigSchema.safeParse(raw);
  if (!parsed.success) problems.push(...zodProblems(parsed.error));
  problems.push(...checkDmmdConfig(raw));
  const obj: Obj = isObj(raw) ? raw : {};
  // a plugin's own schema runs on its section only when that section passed ours
  const clean = (...prefixes: ConfigPath[]): boolean =>
    !problems.some((p) => prefixes.some((x) => startsWith(p.path, x)));

  const socket = resolveSocket(obj, dir, opts);
  const plugins: PluginLoad[] = [];
  const routingRaw: Obj = {};
  if (obj.routes !== undefined) routingRaw.routes = obj.routes;
  if (obj.rules !== undefined) routingRaw.rules = obj.rules;
  plugins.push({ def: routingPlugin as PluginDefinition<unknown>, config: routingRaw, path: [] });
  const ndra = ndraConfig(obj);
  plugins.push({ def: ndraPlugin as PluginDefinition<unknown>, config: ndra.config, path: [] });
  plugins.push({
    def: controlPlugin as PluginDefinition<unknown>,
    config: socket === null ? {} : { socket },
    path: ['control'],
  });
  const pluginProblems: ConfigProblem[] = [];
  if (clean(['routes'], ['rules'])) pluginProblems.push(...validate(plugins[0]!, (p) => p));
  if (clean(['interfaces'], ['neighbors'])) pluginProblems.push(...validate(plugins[1]!, ndra.map));
  if (clean(['control'])) pluginProblems.push(...validate(plugins[2]!, (p) => ['control', ...p]));

  const extras = Array.isArray(obj.plugins) ? obj.plugins : [];
  for (let i = 0; i < extras.length; i++) {
    const at: ConfigPath = ['plugins', i];
    if (!clean(at)) continue;
    const entry = extras[i] as Obj;
    const spec = String(entry.module);
    const loaded = await importPlugin(spec, dir);
    if (typeof loaded === 'string') {
      pluginProblems.push({ path: [...at, 'module'], message: loaded });
      continue;
    }
    const taken = plugins.find((p) => p.def.name === loaded.name);
    if (taken) {
      pluginProblems.push({
        path: [...at, 'module'],
        message: `a plugin named "${loaded.name}" is already loaded (${taken.module ?? 'built in'})`,
      });
      continue;
    }
    for (const dep of loaded.dependencies ?? []) {
      if (!plugins.some((p) => p.def.name === dep)) {
        pluginProblems.push({
          path: [...at, 'module'],
          message: `plugin ${loaded.name} depends on "${dep}", which is not loaded before it`,
        });
      }
    }
    const load: PluginLoad = {
      def: loaded,
      config: entry.config ?? {},
      path: [...at, 'config'],
      module: spec,
    };
    pluginProblems.push(...validate(load, (p) => [...at, 'config', ...p]));
    plugins.push(load);
  }
  problems.push(...pluginProblems);
  if (problems.length > 0) fail(source, problems);
  const cfg = (parsed as { data: DmmdFile }).data;
  return {
    file,
    dir,
    source,
    router: cfg.router,
    log: cfg.log.level === undefined ? {} : { level: cfg.log.level },
    controlSocket: socket ?? defaultSocketPath(cfg.router.name),
    interfaces: cfg.interfaces,
    plugins,
  };
}

/** The control socket from `--socket` or `control.socket`; null for the default. */
function resolveSocket(obj: Obj, dir: string, opts: LoadOptions): string | null {
  if (opts.socket !== undefined) return resolve(opts.socket);
  const s = isObj(obj.control) ? obj.control.socket : undefined;
  if (typeof s !== 'string' || s === '') return null;
  return isAbsolute(s) ? s : resolve(dir, s);
}

/**
 * The ndra plugin's config: `neighbors` as is, and `interfaces[i].ra` keyed by interface
 * name (tap interfaces, the ones with Neighbor Discovery). `map` turns a path inside it
 * back into a path of the file.
 */
function ndraConfig(obj: Obj): { config: Obj; map: (p: ConfigPath) => ConfigPath } {
  const interfaces: Obj = {};
  const index = new Map<string, number>();
  (Array.isArray(obj.interfaces) ? obj.interfaces : []).forEach((it: unknown, i) => {
    if (!isObj(it) || typeof it.name !== 'string' || index.has(it.name)) return;
    if ((it.type ?? 'tap') !== 'tap') return;
    index.set(it.name, i);
    interfaces[it.name] = it.ra === undefined ? {} : { ra: it.ra };
  });
  const config: Obj = { interfaces };
  if (obj.neighbors !== undefined) config.neighbors = obj.neighbors;
  const map = (p: ConfigPath): ConfigPath => {
    if (p[0] === 'interfaces' && typeof p[1] === 'string' && index.has(p[1])) {
      return ['interfaces', index.get(p[1])!, ...p.slice(2)];
    }
    return p;
  };
  return { config, map };
}

/**
 * Validates a plugin's config with the plugin host's own check; on failure re-reads the
 * schema's issues so that unknown keys point at the key.
 */
function validate(load: PluginLoad, map: (p: ConfigPath) => ConfigPath): ConfigProblem[] {
  try {
    validatePluginConfig(load.def, load.config, []);
    return [];
  } catch (e) {
    const r = load.def.configSchema.safeParse(load.config ?? {});
    if (!r.success) return zodProblems(r.error as ZodError, map);
    // not a schema problem (a schema that throws): report it where the config is
    return [{ path: load.path, message: `plugin ${load.def.name}: ${(e as Error).message}` }];
  }
}

function isPluginDefinition(v: unknown): v is PluginDefinition<unknown> {
  if (!isObj(v)) return false;
  const schema = v.configSchema as { safeParse?: unknown } | undefined;
  return (
    typeof v.name === 'string' &&
    v.name !== '' &&
    typeof v.version === 'string' &&
    typeof v.setup === 'function' &&
    typeof schema?.safeParse === 'function'
  );
}

/**
 * Imports a `plugins[].module`: a path (`./…`, `../…`, `/…`) resolves against the config
 * file's directory; a package name resolves from dmmd's own dependencies, then from the
 * config file's directory. Returns the `plugin` export or a message saying what is wrong.
 */
async function importPlugin(
  spec: string,
  dir: string,
): Promise<PluginDefinition<unknown> | string> {
  const isPath = spec.startsWith('./') || spec.startsWith('../') || isAbsolute(spec);
  let mod: Record<string, unknown>;
  try {
    if (isPath) {
      mod = (await import(pathToFileURL(resolve(dir, spec)).href)) as Record<string, unknown>;
    } else {
      try {
        mod = (await import(spec)) as Record<string, unknown>;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
        const local = createRequire(resolve(dir, 'dmmd-config.js')).resolve(spec);
        mod = (await import(pathToFileURL(local).href)) as Record<string, unknown>;
      }
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return `cannot load module "${spec}": ${msg}`;
  }
  const def = mod.plugin;
  if (!isPluginDefinition(def)) {
    return `module "${spec}" exports no \`plugin\` (a PluginDefinition: name, version, configSchema, setup)`;
  }
  return def;
}

/** Positions every problem, sorts them by line and throws one ConfigError. */
function fail(source: YamlSource, problems: ConfigProblem[]): never {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const k = `${formatPath(p.key === undefined ? p.path : [...p.path, p.key])}\0${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const positioned = unique.map((p, n) => ({ p, n, at: source.position(p.path, p.key) }));
  positioned.sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column || a.n - b.n);
  return source.fail(positioned.map((x) => x.p));
}
