/**
 * What a micro-benchmark case is: a name `layer/op/fixture` (protobuf-es style), a function
 * that performs `opsPerCall` operations per call, and an optional `verify` that proves the
 * fixture takes the operation's normal path (a check returning 0, a parse not throwing)
 * before any number is taken. Nanosecond operations run batched — e.g. 1,000 header
 * checks per call — so that benchmark.js's per-call overhead vanishes, and the report
 * divides back to one operation.
 */
export interface BenchCase {
  /** `layer/op/fixture`, e.g. `wire/ipv6.check/udp-126`. */
  readonly name: string;
  /** Operations one call of `run` performs; the report divides by it. */
  readonly opsPerCall: number;
  /** Performs `opsPerCall` operations; folds results into `sink` so nothing is optimised away. */
  readonly run: () => void;
  /** Throws when the case would not measure what its name says. */
  readonly verify?: () => void;
}

/**
 * Where cases store results. Writing to a shared object property is an observable effect,
 * so the JIT cannot drop the work that produced the value.
 */
export const sink: { n: number; o: unknown } = { n: 0, o: null };

/** Batch sizes: header checks and flyweight reads are a few ns; parse allocates (~100s of ns). */
export const BATCH = {
  fast: 1000,
  slow: 100,
} as const;
