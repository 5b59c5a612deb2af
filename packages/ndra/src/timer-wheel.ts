/**
 * A hashed timer wheel (Varghese & Lauck) for per-neighbour timers: the RFC 4861 §7.3.3
 * ReachableTime, DELAY_FIRST_PROBE_TIME and RetransTimer timeouts of thousands of
 * entries run on ONE periodic tick, never on a `setTimeout` each.
 *
 * ```
 *   slot = ceil(deadline / tick) mod slots         heads[slot] → id → id → … (intrusive list)
 *   every tick: walk the slots passed since the last tick; entries whose deadline has come
 *   fire, later rounds stay where they are
 * ```
 *
 * Timer ids are small integers (neighbour entry ids); every array is indexed by id, so arming
 * and cancelling allocate nothing. The tick runs only while a timer is armed.
 */
import type { TimerHandle } from '@dmm/core';

/** Called around the expiries of one tick (e.g. to batch the packets they send). */
export interface TickBatch {
  begin(): void;
  end(): void;
}

/** The timer surface the wheel needs (a plugin's `ctx.timers`). */
export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): TimerHandle;
  clear(h: TimerHandle): void;
}

export class TimerWheel {
  readonly tickMs: number;
  /** Timers armed. */
  armed = 0;
  /** Ticks run (tests, `show nd`). */
  ticks = 0;

  private readonly timers: IntervalTimers;
  private readonly now: () => number;
  private readonly onExpire: (id: number) => void;
  private readonly mask: number;
  private readonly heads: Int32Array;
  private next: Int32Array;
  private prev: Int32Array;
  /** Slot of id, -1 when not armed. */
  private slotOf: Int32Array;
  private deadline: Float64Array;
  private expired: Int32Array;
  private lastTick = 0;
  private handle: TimerHandle | null = null;
  private readonly tickFn: () => void;
  private readonly batch: TickBatch | null;

  /**
   * `slots` is rounded up to a power of two. One revolution is `slots × tickMs`; longer
   * timers simply stay in their slot for more rounds.
   */
  constructor(
    timers: IntervalTimers,
    tickMs: number,
    now: () => number,
    onExpire: (id: number) => void,
    capacity = 64,
    slots = 512,
    batch: TickBatch | null = null,
  ) {
    this.timers = timers;
    this.tickMs = tickMs;
    this.now = now;
    this.onExpire = onExpire;
    let n = 1;
    while (n < slots) n <<= 1;
    this.mask = n - 1;
    this.heads = new Int32Array(n).fill(-1);
    this.next = new Int32Array(capacity).fill(-1);
    this.prev = new Int32Array(capacity).fill(-1);
    this.slotOf = new Int32Array(capacity).fill(-1);
    this.deadline = new Float64Array(capacity);
    this.expired = new Int32Array(capacity);
    this.tickFn = () => this.tick();
    this.batch = batch;
  }

  /** Arms (or re-arms) timer `id` to fire `delayMs` from now. */
  arm(id: number, delayMs: number): void {
    if (id >= this.slotOf.length) this.grow(id + 1);
    if (this.slotOf[id] !== -1) this.unlink(id);
    else this.armed++;
    if (this.handle === null) {
      this.lastTick = Math.floor(this.now() / this.tickMs);
      this.handle = this.timers.setInterval(this.tickFn, this.tickMs);
    }
    const d = this.now() + delayMs;
    this.deadline[id] = d;
    let t = Math.ceil(d / this.tickMs);
    if (t <= this.lastTick) t = this.lastTick + 1;
    const s = t & this.mask;
    this.slotOf[id] = s;
    const h = this.heads[s]!;
    this.next[id] = h;
    this.prev[id] = -1;
    if (h !== -1) this.prev[h] = id;
    this.heads[s] = id;
  }

  /** Disarms timer `id` (no-op when not armed). */
  cancel(id: number): void {
    if (id >= this.slotOf.length || this.slotOf[id] === -1) return;
    this.unlink(id);
    this.slotOf[id] = -1;
    this.armed--;
    if (this.armed === 0) this.idle();
  }

  isArmed(id: number): boolean {
    return id < this.slotOf.length && this.slotOf[id] !== -1;
  }

  /** When timer `id` fires (ms, clock of `now`), or -1 when not armed. */
  deadlineOf(id: number): number {
    return this.isArmed(id) ? this.deadline[id]! : -1;
  }

  /** Runs the timers that are due (called by the periodic tick). */
  tick(): void {
    this.ticks++;
    const now = this.now();
    const target = Math.floor(now / this.tickMs);
    let from = this.lastTick + 1;
    if (target - from >= this.mask) from = target - this.mask; // a long stall: one full turn
    let n = 0;
    for (let t = from; t <= target; t++) {
      const s = t & this.mask;
      let id = this.heads[s]!;
      while (id !== -1) {
        const nx = this.next[id]!;
        if (this.deadline[id]! <= now) {
          this.unlink(id);
          this.slotOf[id] = -1;
          this.armed--;
          if (n === this.expired.length) this.growExpired();
          this.expired[n++] = id;
        }
        id = nx;
      }
    }
    if (target > this.lastTick) this.lastTick = target;
    if (n > 0) {
      this.batch?.begin();
      try {
        for (let i = 0; i < n; i++) this.onExpire(this.expired[i]!);
      } finally {
        this.batch?.end();
      }
    }
    if (this.armed === 0) this.idle();
  }

  /** Disarms everything and stops the tick. */
  clear(): void {
    this.heads.fill(-1);
    this.slotOf.fill(-1);
    this.armed = 0;
    this.idle();
  }

  private idle(): void {
    if (this.handle !== null) {
      this.timers.clear(this.handle);
      this.handle = null;
    }
  }

  private unlink(id: number): void {
    const p = this.prev[id]!;
    const nx = this.next[id]!;
    if (p !== -1) this.next[p] = nx;
    else this.heads[this.slotOf[id]!] = nx;
    if (nx !== -1) this.prev[nx] = p;
    this.next[id] = -1;
    this.prev[id] = -1;
  }

  private grow(min: number): void {
    let cap = this.slotOf.length * 2;
    while (cap < min) cap *= 2;
    const g32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap).fill(-1);
      b.set(a);
      return b;
    };
    this.next = g32(this.next);
    this.prev = g32(this.prev);
    this.slotOf = g32(this.slotOf);
    const d = new Float64Array(cap);
    d.set(this.deadline);
    this.deadline = d;
  }

  private growExpired(): void {
    const e = new Int32Array(this.expired.length * 2);
    e.set(this.expired);
    this.expired = e;
  }
}
