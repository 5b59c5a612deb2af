/**
 * Runs the `tick()` of one or more binding tables from a single timeout, armed for the
 * earliest due timer among them and re-armed after each tick and whenever a table gains
 * an earlier timer. The timeout comes from a `TimerHost`, which is exactly the shape of a
 * plugin's `ctx.timers` (so the plugin host clears it when the plugin stops), or the
 * process's own timers by default. Idle tables cost no wake-ups.
 */
import type { Clock } from './clock.js';

/** Something with timers on a shared clock: the binding cache and the update list. */
export interface Tickable {
  /** Fires every due timer; returns how many fired. */
  tick(): number;
  /** Earliest due time on the table's clock, or Infinity. */
  nextDue(): number;
  /** Called by the table when it gains a timer earlier than any it had (or null to stop). */
  setWakeHandler(fn: (() => void) | null): void;
}

/** `ctx.timers` of a plugin, or anything with the same two calls. */
export interface TimerHost<H = unknown> {
  setTimeout(fn: () => void, ms: number): H;
  clear(handle: H): void;
}

/** The process's own timers. */
export const processTimerHost: TimerHost<ReturnType<typeof setTimeout>> = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h),
};

export interface TimerDriverOptions {
  /** Longest single sleep (ms); long timeouts are re-armed in steps. Default 60000. */
  maxSleepMs?: number;
  /** Receives an exception thrown by an event listener during a tick (default: rethrown). */
  onError?: (error: unknown) => void;
}

export interface TimerDriver {
  /** Re-arms now (after the owner changed timers without the tables noticing). */
  kick(): void;
  /** Stops driving: clears the timeout and detaches from the tables. */
  stop(): void;
}

/**
 * Drives `tables` (which must share `clock`) from `host`. Returns a handle to stop it.
 *
 * ```ts
 * const driver = driveTimers([cache, updateList], ctx.timers, clock);
 * ctx.onTeardown(() => driver.stop());
 * ```
 */
export function driveTimers<H>(
  tables: readonly Tickable[],
  host: TimerHost<H>,
  clock: Clock,
  options: TimerDriverOptions = {},
): TimerDriver {
  const maxSleep = options.maxSleepMs ?? 60_000;
  let handle: H | null = null;
  let armedFor = Infinity;
  let stopped = false;
  let running = false;

  const earliest = (): number => {
    let due = Infinity;
    for (const t of tables) due = Math.min(due, t.nextDue());
    return due;
  };

  const arm = (): void => {
    if (stopped || running) return;
    const due = earliest();
    if (due >= armedFor && handle !== null) return;
    if (handle !== null) host.clear(handle);
    handle = null;
    armedFor = Infinity;
    if (due === Infinity) return;
    const delay = Math.min(maxSleep, Math.max(0, Math.ceil(due - clock.now())));
    armedFor = due;
    handle = host.setTimeout(fire, delay);
  };

  const fire = (): void => {
    handle = null;
    armedFor = Infinity;
    if (stopped) return;
    running = true;
    let failure: unknown = null;
    let failed = false;
    try {
      for (const t of tables) t.tick();
    } catch (e) {
      failed = true;
      failure = e;
    } finally {
      running = false;
      arm();
    }
    if (failed) {
      if (options.onError) options.onError(failure);
      else throw failure;
    }
  };

  for (const t of tables) t.setWakeHandler(arm);
  arm();
  return {
    kick: arm,
    stop() {
      stopped = true;
      if (handle !== null) host.clear(handle);
      handle = null;
      for (const t of tables) t.setWakeHandler(null);
    },
  };
}
