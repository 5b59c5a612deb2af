/**
 * What a plugin is: a definition (name, version, the plugin API range it needs, the
 * plugins it depends on, its config schema) and a `setup` that receives a `PluginContext`
 * (the whole surface a plugin may touch) and returns start/stop hooks. fastify-plugin's
 * metadata and libp2p's components, in our terms.
 */
import type { z } from 'zod';
import type { RouterEventName, RouterEvents } from '../events.js';
import type { FeatureOrder } from '../graph.js';
import type { GraphNode } from '../graph.js';
import type { NodeDef } from '../graph-node.js';
import type { Logger } from '../logger.js';
import type { Router } from '../router.js';
import type { CommandDef } from './command-registry.js';
import type { DependencyContainer, InjectionToken } from './container.js';

/** The plugin API version this core implements; plugins name a semver range of it. */
export const PLUGIN_API_VERSION = '1.0.0';

export interface PluginHooks {
  /** Called once every plugin is set up, in load order. */
  start?(): void | Promise<void>;
  /** Called on router stop or plugin unload, in reverse order. Must undo `start`. */
  stop?(): void | Promise<void>;
}

export interface PluginDefinition<C = unknown> {
  /** Unique name, kebab-case. */
  readonly name: string;
  /** The plugin's own version (semver). */
  readonly version: string;
  /** Semver range of PLUGIN_API_VERSION it works with (default `^1.0.0`). */
  readonly apiVersion?: string;
  /** Plugins that must be loaded (and set up) before this one. */
  readonly dependencies?: readonly string[];
  /** Tokens this plugin registers for others with `ctx.provide`. */
  readonly provides?: readonly InjectionToken<unknown>[];
  /** Schema of the plugin's config; the host validates before `setup`. */
  readonly configSchema: z.ZodType<C>;
  /** Builds the plugin: add nodes, register commands, subscribe to events. */
  setup(ctx: PluginContext, config: C): PluginHooks | void | Promise<PluginHooks | void>;
}

/** Identity function that gives a plugin definition its config type. */
export function definePlugin<C>(def: PluginDefinition<C>): PluginDefinition<C> {
  return def;
}

/** A timer handle of `ctx.timers`. */
export type TimerHandle = ReturnType<typeof setTimeout>;

/**
 * Everything a plugin may touch. Whatever it adds through the context (nodes, features,
 * protocol handlers, listeners, timers, commands, provided services) the host removes when
 * the plugin stops or fails.
 */
export interface PluginContext {
  readonly name: string;
  /** The router (interfaces, tables, neighbours, sending packets). */
  readonly router: Router;
  /** Logger bound to `{ plugin: name }`. */
  readonly log: Logger;
  /** The plugin's own child container (register its internals here). */
  readonly container: DependencyContainer;
  /** A service another plugin provides (or the router's: ROUTER, LOGGER). Throws when missing. */
  resolve<T>(token: InjectionToken<T>): T;
  /** Registers `value` under `token` for other plugins (the token must be in `provides`). */
  provide<T>(token: InjectionToken<T>, value: T): void;
  /** Adds a graph node. */
  addNode(def: NodeDef): GraphNode;
  /** Adds a feature node to a feature arc. */
  addFeature(arc: string, def: NodeDef, order?: FeatureOrder): GraphNode;
  /** Routes this router's packets of upper-layer protocol `proto` to node `node`. */
  registerLocalProtocol(proto: number, node: string): void;
  /** Routes ICMPv6 messages of `type` for this router to node `node`. */
  registerIcmpHandler(type: number, node: string): void;
  /** Makes tunnel routes go to node `node` (the tunnel module). */
  registerTunnelHandler(node: string): void;
  /** Subscribes to a router event; exceptions in `listener` are contained and counted. */
  on<E extends RouterEventName>(event: E, listener: (...args: RouterEvents[E]) => void): void;
  /** Timers removed when the plugin stops. */
  readonly timers: {
    setTimeout(fn: () => void, ms: number): TimerHandle;
    setInterval(fn: () => void, ms: number): TimerHandle;
    clear(h: TimerHandle): void;
  };
  /** Registers a control command (e.g. `show bindings`). */
  registerCommand(def: CommandDef): void;
  /** Runs `fn` when the plugin is torn down (for resources the context does not track). */
  onTeardown(fn: () => void): void;
}
