/**
 * Clocks for binding lifetimes. Every time in this package is a number of milliseconds on
 * one clock that only moves forward; which clock is the owner's choice. The default is the
 * process's monotonic clock, so a wall-clock step (NTP, an operator's `date`) never expires
 * or revives bindings. Tests inject a `ManualClock` and move it by hand.
 */

/** A source of "now" in milliseconds; must never go backwards. */
export interface Clock {
  now(): number;
}

/** `performance.now()`: milliseconds since the process started, monotonic. */
export const monotonicClock: Clock = {
  now: () => performance.now(),
};

/** A clock that moves only when told to (tests, simulations). */
export class ManualClock implements Clock {
  private t: number;

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** Moves the clock forward by `ms` (≥ 0). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, got ${ms} ms`);
    this.t += ms;
  }

  /** Moves the clock to `t` (not before the current time). */
  set(t: number): void {
    if (!(t >= this.t)) throw new RangeError(`a clock only moves forward: ${t} < ${this.t}`);
    this.t = t;
  }
}
