/**
 * A token bucket for rate-limiting router-originated ICMPv6 errors (RFC 4443 §2.4(f)).
 * Time comes from a clock function so tests can drive it.
 */
export class TokenBucket {
  /** Tokens added per second. */
  rate: number;
  /** Largest number of tokens. */
  burst: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;

  constructor(rate: number, burst: number, now: () => number = () => performance.now()) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.now = now;
    this.last = now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    const t = this.now();
    const elapsed = t - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.rate);
      this.last = t;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
