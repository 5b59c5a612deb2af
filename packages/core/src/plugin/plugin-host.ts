/**
 * Loads, starts and stops plugins, and contains them: a plugin that throws in `setup`,
 * `start`, `stop` or an event listener is logged, counted and marked failed, and the
 * router keeps running. Everything a plugin added through its context is removed when it
 * stops or fails, so stop → start works and nothing leaks.
 *
 * Checks at load (fastify's registerPlugin): unique name, plugin API version, dependencies
 * loaded and healthy, config valid (before any device is touched, see
 * `validatePluginConfig`).
 */
import semver from 'semver';
import type { ZodError } from 'zod';
import { ConfigError, DmmError, PluginError } from '../errors.js';
import type { RouterEventName, RouterEvents } from '../events.js';
import type { Router } from '../router.js';
import type { CommandDef } from './command-registry.js';
import { type DependencyContainer, type InjectionToken } from './container.js';
import {
  PLUGIN_API_VERSION,
  type PluginContext,
  type PluginDefinition,
  type PluginHooks,
  type TimerHandle,
} from './plugin.js';

export type PluginState = 'loaded' | 'started' | 'stopped' | 'failed';

/** What `show plugins` reports. */
export interface PluginInfo {
  name: string;
  version: string;
  state: PluginState;
  dependencies: string[];
  /** Exceptions contained so far (setup, start, stop, listeners). */
  errors: number;
  lastError: string | null;
}

/** A config path segment list, e.g. `['interfaces', 0, 'ra', 'prefixes']`. */
export type ConfigPath = readonly (string | number)[];

/**
 * Validates `raw` against the plugin's schema and returns the parsed config; a ConfigError
 * (DMM_ERR_CONFIG_INVALID) whose `details.issues` carry the full path of each problem
 * (`basePath` + the path inside the plugin config) otherwise.
 */
export function validatePluginConfig<C>(
  def: PluginDefinition<C>,
  raw: unknown,
  basePath: ConfigPath = [],
): C {
  const r = def.configSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issues = (r.error as ZodError).issues.map((i) => ({
    path: [...basePath, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
  }));
  const first = issues[0]!;
  throw new ConfigError(`plugin ${def.name}: ${first.message} at ${formatPath(first.path)}`, {
    plugin: def.name,
    issues,
  });
}

/** `interfaces[0].ra.prefixes` from a path list. */
export function formatPath(path: ConfigPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s === '' ? '(root)' : s;
}

class PluginRecord {
  readonly def: PluginDefinition<unknown>;
  readonly config: unknown;
  state: PluginState = 'loaded';
  errors = 0;
  lastError: string | null = null;
  hooks: PluginHooks = {};
  container: DependencyContainer | null = null;
  readonly teardown: (() => void)[] = [];

  constructor(def: PluginDefinition<unknown>, config: unknown) {
    this.def = def;
    this.config = config;
  }
}

export class PluginHost {
  private readonly router: Router;
  private readonly records: PluginRecord[] = [];

  constructor(router: Router) {
    this.router = router;
  }

  /** Loaded plugin names in load order. */
  names(): string[] {
    return this.records.map((r) => r.def.name);
  }

  list(): PluginInfo[] {
    return this.records.map((r) => ({
      name: r.def.name,
      version: r.def.version,
      state: r.state,
      dependencies: [...(r.def.dependencies ?? [])],
      errors: r.errors,
      lastError: r.lastError,
    }));
  }

  /** State of plugin `name`, or undefined when not loaded. */
  state(name: string): PluginState | undefined {
    return this.find(name)?.state;
  }

  /**
   * Checks and sets up a plugin. Definition problems (duplicate, API version, missing or
   * failed dependency, invalid config) throw coded errors; an exception inside `setup` is
   * contained (the plugin is marked failed). When the router is already running the plugin
   * is started too.
   */
  async load<C>(
    def: PluginDefinition<C>,
    rawConfig: unknown = {},
    configPath: ConfigPath = [],
  ): Promise<PluginInfo> {
    if (this.find(def.name)) {
      throw new PluginError(`plugin ${def.name} is already loaded`, {
        plugin: def.name,
        code: 'duplicate',
      });
    }
    const range = def.apiVersion ?? '^1.0.0';
    if (!semver.validRange(range) || !semver.satisfies(PLUGIN_API_VERSION, range)) {
      throw new PluginError(
        `plugin ${def.name} needs plugin API ${range}, this router implements ${PLUGIN_API_VERSION}`,
        { plugin: def.name, apiVersion: range, implemented: PLUGIN_API_VERSION },
      );
    }
    for (const dep of def.dependencies ?? []) {
      const r = this.find(dep);
      if (!r) {
        throw new PluginError(`plugin ${def.name} depends on ${dep}, which is not loaded`, {
          plugin: def.name,
          dependency: dep,
        });
      }
      if (r.state === 'failed') {
        throw new PluginError(`plugin ${def.name} depends on ${dep}, which failed`, {
          plugin: def.name,
          dependency: dep,
        });
      }
    }
    const config = validatePluginConfig(def, rawConfig, configPath);
    const rec = new PluginRecord(def as PluginDefinition<unknown>, config);
    this.records.push(rec);
    await this.setup(rec);
    if (rec.state !== 'failed' && this.router.running) await this.startOne(rec);
    return this.info(rec);
  }

  /** Starts every loaded plugin in load order (router start). */
  async startAll(): Promise<void> {
    for (const rec of this.records)
      if (rec.state === 'loaded' || rec.state === 'stopped') await this.startOne(rec);
  }

  /** Stops every plugin in reverse order (router stop). Idempotent. */
  async stopAll(): Promise<void> {
    for (const rec of [...this.records].reverse()) await this.stopOne(rec);
  }

  /** Starts one plugin (again): set up anew if it was stopped. Idempotent. */
  async start(name: string): Promise<void> {
    await this.startOne(this.require(name));
  }

  /** Stops one plugin and removes what it added. Idempotent. */
  async stop(name: string): Promise<void> {
    const rec = this.require(name);
    const dependents = this.records.filter(
      (r) => r.def.dependencies?.includes(name) && r.state === 'started',
    );
    for (const d of dependents.reverse()) await this.stopOne(d);
    await this.stopOne(rec);
  }

  private async setup(rec: PluginRecord): Promise<void> {
    const ctx = this.context(rec);
    try {
      rec.hooks = (await rec.def.setup(ctx, rec.config)) ?? {};
      rec.state = 'loaded';
    } catch (e) {
      this.contain(rec, 'setup', e);
    }
  }

  private async startOne(rec: PluginRecord): Promise<void> {
    if (rec.state === 'started' || rec.state === 'failed') return;
    if (rec.state === 'stopped') {
      await this.setup(rec);
      if ((rec.state as PluginState) === 'failed') return;
    }
    try {
      await rec.hooks.start?.();
      rec.state = 'started';
    } catch (e) {
      this.contain(rec, 'start', e);
    }
  }

  private async stopOne(rec: PluginRecord): Promise<void> {
    if (rec.state === 'stopped' || rec.state === 'failed') return;
    if (rec.state === 'started') {
      try {
        await rec.hooks.stop?.();
      } catch (e) {
        this.count(rec, 'stop', e);
      }
    }
    this.teardown(rec);
    rec.state = 'stopped';
  }

  /** Records an exception, tears the plugin down and marks it failed. */
  private contain(rec: PluginRecord, phase: string, e: unknown): void {
    this.count(rec, phase, e);
    if (rec.state === 'started') {
      try {
        void rec.hooks.stop?.();
      } catch {
        // already counted the first failure
      }
    }
    this.teardown(rec);
    rec.state = 'failed';
  }

  private count(rec: PluginRecord, phase: string, e: unknown): void {
    rec.errors++;
    rec.lastError = `${phase}: ${e instanceof Error ? e.message : String(e)}`;
    this.router.log.error({ plugin: rec.def.name, phase, err: e }, 'plugin error contained');
    try {
      this.router.events.emit('plugin:error', rec.def.name, phase, e);
    } catch {
      // a listener of plugin:error failed too; nothing more to do
    }
  }

  private teardown(rec: PluginRecord): void {
    for (const fn of rec.teardown.splice(0).reverse()) {
      try {
        fn();
      } catch (e) {
        rec.errors++;
        this.router.log.error({ plugin: rec.def.name, err: e }, 'plugin teardown step failed');
      }
    }
    rec.container = null;
  }

  private context(rec: PluginRecord): PluginContext {
    const router = this.router;
    const name = rec.def.name;
    const log = router.log.child({ plugin: name });
    const container = router.container.createChildContainer();
    rec.container = container;
    const td = rec.teardown;
    const provides = new Set(rec.def.provides ?? []);
    const timers = new Set<TimerHandle>();
    td.push(() => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    });
    const ctx: PluginContext = {
      name,
      router,
      log,
      container,
      resolve<T>(token: InjectionToken<T>): T {
        if (!container.isRegistered(token, true)) {
          throw new PluginError(
            `plugin ${name} asked for ${String(token)}, which nobody provides`,
            {
              plugin: name,
              token: String(token),
            },
          );
        }
        return container.resolve(token);
      },
      provide<T>(token: InjectionToken<T>, value: T): void {
        if (!provides.has(token as InjectionToken<unknown>)) {
          throw new PluginError(
            `plugin ${name} provides ${String(token)} without declaring it in provides`,
            {
              plugin: name,
            },
          );
        }
        router.container.registerInstance(token, value);
        td.push(() => router.container.register(token, { useValue: undefined as unknown as T }));
      },
      addNode: (def) => {
        const n = router.graph.addOrReplaceNode(def);
        return n;
      },
      addFeature: (arc, def, order) => {
        const n = router.graph.addFeature(arc, def, order);
        td.push(() => router.graph.removeFeature(def.name));
        return n;
      },
      registerLocalProtocol: (proto, node) => {
        router.registerLocalProtocol(proto, node);
        td.push(() => router.unregisterLocalProtocol(proto));
      },
      registerIcmpHandler: (type, node) => {
        router.registerIcmpHandler(type, node);
        td.push(() => router.unregisterIcmpHandler(type));
      },
      registerTunnelHandler: (node) => {
        router.registerTunnelHandler(node);
        td.push(() => router.unregisterTunnelHandler());
      },
      on: <E extends RouterEventName>(event: E, listener: (...args: RouterEvents[E]) => void) => {
        const wrapped = (...args: RouterEvents[E]): void => {
          try {
            listener(...args);
          } catch (e) {
            if (event === 'plugin:error') {
              rec.errors++;
              return;
            }
            this.count(rec, `listener ${event}`, e);
          }
        };
        const emitter = router.events as unknown as {
          on(e: string, fn: (...a: unknown[]) => void): void;
          off(e: string, fn: (...a: unknown[]) => void): void;
        };
        emitter.on(event, wrapped as (...a: unknown[]) => void);
        td.push(() => emitter.off(event, wrapped as (...a: unknown[]) => void));
      },
      timers: {
        setTimeout(fn, ms) {
          const h: TimerHandle = setTimeout(() => {
            timers.delete(h);
            guard(fn);
          }, ms);
          timers.add(h);
          return h;
        },
        setInterval(fn, ms) {
          const h = setInterval(() => guard(fn), ms);
          timers.add(h);
          return h;
        },
        clear(h) {
          clearTimeout(h);
          timers.delete(h);
        },
      },
      registerCommand: (def: CommandDef) => {
        td.push(router.commands.register(def));
      },
      onTeardown: (fn) => {
        td.push(fn);
      },
    };
    const guard = (fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        this.count(rec, 'timer', e);
      }
    };
    return ctx;
  }

  private info(rec: PluginRecord): PluginInfo {
    return this.list().find((p) => p.name === rec.def.name)!;
  }

  private find(name: string): PluginRecord | undefined {
    return this.records.find((r) => r.def.name === name);
  }

  private require(name: string): PluginRecord {
    const r = this.find(name);
    if (!r) throw new DmmError('DMM_ERR_PLUGIN', `no plugin named ${name}`, { plugin: name });
    return r;
  }
}
