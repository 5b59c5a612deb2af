/**
 * Configuration and construction of a mobility context store (draft-bernardos-dmm-
 * distributed-anchoring §3: the repository mapping a node's prefixes to their anchoring
 * D-GWs). A D-GW plugin embeds `contextStoreConfigSchema` in its own config:
 *
 *   mobilityContext:
 *     backend: sqlite              # memory | sqlite
 *     path: /var/lib/dmm/context.db
 *     busyTimeoutMs: 5000
 *     sweepIntervalMs: 10000
 */
import { z } from 'zod';
import { MemoryContextData, MemoryContextStore } from './memory-store.js';
import { SqliteContextStore } from './sqlite-store.js';
import type { Clock, MobilityContextStore } from './types.js';
import { CONTEXT_DEFAULTS } from './types.js';

const zMs = z.number().int().min(0);

const common = {
  /** How long a released prefix record is kept (ms). */
  releasedRetentionMs: zMs.default(CONTEXT_DEFAULTS.releasedRetentionMs),
  /** How long a node without any prefix record is kept after its last change (ms). */
  idleNodeRetentionMs: zMs.default(CONTEXT_DEFAULTS.idleNodeRetentionMs),
  /** How long change feed entries are kept (ms). */
  changeRetentionMs: zMs.default(CONTEXT_DEFAULTS.changeRetentionMs),
  /** How often the owner runs `expire()` (ms; 0 = never). */
  sweepIntervalMs: zMs.default(10_000),
};

export const memoryContextConfigSchema = z.strictObject({
  backend: z.literal('memory'),
  /** Stores opened with the same name in one process share their data. */
  name: z.string().min(1).optional(),
  ...common,
});

export const sqliteContextConfigSchema = z.strictObject({
  backend: z.literal('sqlite'),
  /** The database file; every dmmd process of the host names the same one. */
  path: z.string().min(1),
  /** Wait for another process's write lock at most this long (ms). */
  busyTimeoutMs: z.number().int().min(0).max(600_000).default(5000),
  /** `full`: fsync every change (survives power loss); `normal`: survives process crashes. */
  synchronous: z.enum(['normal', 'full']).default('normal'),
  ...common,
});

export const contextStoreConfigSchema = z.discriminatedUnion('backend', [
  memoryContextConfigSchema,
  sqliteContextConfigSchema,
]);

export type ContextStoreConfig = z.output<typeof contextStoreConfigSchema>;
export type ContextStoreConfigInput = z.input<typeof contextStoreConfigSchema>;

/** Named in-process data of the memory backend (see `name`). */
const sharedMemory = new Map<string, MemoryContextData>();

/** Forgets the data shared under `name` by memory stores (tests, restarts in process). */
export function dropSharedMemoryContext(name: string): boolean {
  return sharedMemory.delete(name);
}

/**
 * Opens the store a config describes (`config` is parsed first, so YAML values can be
 * passed as they are). Async: a networked backend connects here.
 */
export async function openContextStore(
  config: ContextStoreConfigInput | ContextStoreConfig,
  options: { readonly clock?: Clock } = {},
): Promise<MobilityContextStore> {
  const c = contextStoreConfigSchema.parse(config);
  const retention = {
    releasedRetentionMs: c.releasedRetentionMs,
    idleNodeRetentionMs: c.idleNodeRetentionMs,
    changeRetentionMs: c.changeRetentionMs,
    ...(options.clock ? { clock: options.clock } : {}),
  };
  switch (c.backend) {
    case 'memory': {
      let data: MemoryContextData | undefined;
      if (c.name !== undefined) {
        data = sharedMemory.get(c.name);
        if (!data) sharedMemory.set(c.name, (data = new MemoryContextData()));
      }
      return new MemoryContextStore({ ...retention, ...(data ? { data } : {}) });
    }
    case 'sqlite':
      return new SqliteContextStore({
        ...retention,
        path: c.path,
        busyTimeoutMs: c.busyTimeoutMs,
        synchronous: c.synchronous,
      });
  }
}

/** Timers of a plugin context (`ctx.timers`) or the process's. */
export interface IntervalHost<H = unknown> {
  setInterval(fn: () => void, ms: number): H;
  clear(handle: H): void;
}

const processIntervals: IntervalHost<ReturnType<typeof setInterval>> = {
  setInterval: (fn, ms) => {
    const h = setInterval(fn, ms);
    h.unref();
    return h;
  },
  clear: (h) => clearInterval(h),
};

/**
 * Runs `store.expire()` every `intervalMs` (one pass at a time); returns the function that
 * stops it. Every process sharing a store may run one: a pass is one transaction, and a
 * pass finding nothing due costs a few indexed reads.
 */
export function startExpirySweep<H>(
  store: MobilityContextStore,
  intervalMs: number,
  options: { readonly timers?: IntervalHost<H>; readonly onError?: (e: unknown) => void } = {},
): () => void {
  if (!(intervalMs > 0)) return () => {};
  const timers = (options.timers ?? processIntervals) as IntervalHost<unknown>;
  let running = false;
  const handle = timers.setInterval(() => {
    if (running) return;
    running = true;
    store
      .expire()
      .catch((e: unknown) => options.onError?.(e))
      .finally(() => (running = false));
  }, intervalMs);
  return () => timers.clear(handle);
}
