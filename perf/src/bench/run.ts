/**
 * Runs cases with benchmark.js 2.1.4 and turns each into one result record — the JSON line
 * the suite prints and appends to perf/results/bench-<date>.jsonl.
 */
import { cpus } from 'node:os';
import Benchmark from 'benchmark';
import type { BenchCase } from './case.js';

/** One case's result, per operation (benchmark.js's per-call rate × `opsPerCall`). */
export interface BenchResult {
  name: string;
  /** Operations per second. */
  hz: number;
  /** Nanoseconds per operation (1e9 / hz). */
  nsPerOp: number;
  /** Relative margin of error of the mean, in percent (benchmark.js `stats.rme`). */
  rme: number;
  /** benchmark.js samples taken. */
  samples: number;
  /** Operations per benchmark.js call (the batch). */
  batch: number;
  /** `process.version`. */
  node: string;
  /** CPU model (`os.cpus()[0].model`). */
  cpu: string;
  /** ISO 8601 time the case finished. */
  date: string;
}

export interface RunOptions {
  /** Few, short samples: proves every case runs, measures nothing (tests). */
  smoke?: boolean;
  /** benchmark.js `maxTime` per case in seconds (default 2). */
  maxTime?: number;
}

/** The CPU model of this machine, or "unknown". */
export function cpuModel(): string {
  return cpus()[0]?.model.trim() ?? 'unknown';
}

/** benchmark.js options for a run. */
export function benchOptions(opts: RunOptions): Benchmark.Options {
  if (opts.smoke) return { minSamples: 2, maxTime: 0.005, minTime: 0.001, delay: 0, initCount: 1 };
  return { minSamples: 10, maxTime: opts.maxTime ?? 2, delay: 0.005, initCount: 1 };
}

/**
 * Verifies and runs one case synchronously; throws when `verify` fails or benchmark.js
 * reports an error (a case must never silently measure a failure path).
 */
export function runCase(c: BenchCase, opts: RunOptions = {}): BenchResult {
  c.verify?.();
  const fn = c.run;
  const bench = new Benchmark(c.name, () => fn(), benchOptions(opts));
  bench.run({ async: false });
  const err = (bench as unknown as { error?: unknown }).error;
  if (err !== undefined) {
    throw new Error(`benchmark ${c.name} failed: ${String(err)}`, { cause: err });
  }
  const hz = bench.hz * c.opsPerCall;
  return {
    name: c.name,
    hz,
    nsPerOp: 1e9 / hz,
    rme: bench.stats.rme,
    samples: bench.stats.sample.length,
    batch: c.opsPerCall,
    node: process.version,
    cpu: cpuModel(),
    date: new Date().toISOString(),
  };
}

/** The JSON line of a result. */
export function resultLine(r: BenchResult): string {
  return JSON.stringify(r);
}

/** A line for people: `wire/ipv6.check/udp-126  3.21 ns/op ±0.84% (52 samples)`. */
export function humanLine(r: BenchResult, width = 44): string {
  const ns = r.nsPerOp < 100 ? r.nsPerOp.toFixed(2) : r.nsPerOp.toFixed(0);
  return `${r.name.padEnd(width)} ${ns.padStart(9)} ns/op ±${r.rme.toFixed(2)}% (${r.samples} samples)`;
}
