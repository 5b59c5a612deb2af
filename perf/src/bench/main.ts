/**
 * `pnpm --filter @dmm/perf bench [regex ...] [--smoke] [--max-time S] [--in-process]
 *                                [--no-save] [--out FILE] [--list]`
 *
 * Runs the micro benchmarks whose name matches any regex (all by default), prints one JSON
 * line per case on stdout and appends it to perf/results/bench-<YYYY-MM-DD>.jsonl. A line
 * for people per case goes to stderr.
 *
 * Each case runs in a fresh Node process by default. In one process, the benchmark loops
 * built from one function literal share V8's inline-cache feedback, so a call site such as
 * `v.check()` turns megamorphic after a few headers and every later header looks slower
 * than it is (measured here: nd-option check 62 ns in one process, 13 ns alone). A node
 * of the router calls one view type per site, so alone is the honest figure.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as wire from '@dmm/wire';
import type { BenchCase } from './case.js';
import { coreCases } from './core-cases.js';
import { closeLma, lmaCases, prepareLma } from './lma-cases.js';
import { humanLine, resultLine, runCase, type BenchResult } from './run.js';
import { uncoveredViews, wireCases } from './wire-cases.js';

/** perf/ (this file is perf/dist/src/bench/main.js). */
const PERF_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface BenchArgs {
  patterns: RegExp[];
  smoke: boolean;
  maxTime: number | undefined;
  save: boolean;
  out: string | undefined;
  list: boolean;
  /** Run every case in this process (faster; figures skewed, see the banner). */
  inProcess: boolean;
  /** Internal: run exactly this case and print its JSON line (the per-case process). */
  child: string | undefined;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = {
    patterns: [],
    smoke: false,
    maxTime: undefined,
    save: true,
    out: undefined,
    list: false,
    inProcess: false,
    child: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--smoke') a.smoke = true;
    else if (arg === '--no-save') a.save = false;
    else if (arg === '--list') a.list = true;
    else if (arg === '--in-process') a.inProcess = true;
    else if (arg === '--child') {
      const v = argv[++i];
      if (v === undefined) throw new Error('--child needs a case name');
      a.child = v;
    } else if (arg === '--max-time') {
      const v = Number(argv[++i]);
      if (!(v > 0)) throw new Error('--max-time needs a positive number of seconds');
      a.maxTime = v;
    } else if (arg === '--out') {
      const v = argv[++i];
      if (v === undefined) throw new Error('--out needs a file name');
      a.out = v;
    } else if (arg === '--') continue;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else a.patterns.push(new RegExp(arg));
  }
  return a;
}

/** Every case of the suite, in a stable order. */
export function allCases(): BenchCase[] {
  return [...wireCases(), ...coreCases(), ...lmaCases()];
}

export function selectCases(cases: BenchCase[], patterns: readonly RegExp[]): BenchCase[] {
  if (patterns.length === 0) return cases;
  return cases.filter((c) => patterns.some((p) => p.test(c.name)));
}

/** Runs one case in a fresh Node process and returns its result. */
export function runIsolated(name: string, args: BenchArgs): BenchResult {
  const argv = [fileURLToPath(import.meta.url), '--child', name];
  if (args.smoke) argv.push('--smoke');
  if (args.maxTime !== undefined) argv.push('--max-time', String(args.maxTime));
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    throw new Error(`bench: case ${name} failed (status ${r.status}):\n${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim()) as BenchResult;
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const opts = { smoke: args.smoke, ...(args.maxTime ? { maxTime: args.maxTime } : {}) };
  if (args.child !== undefined) {
    const c = allCases().find((x) => x.name === args.child);
    if (c === undefined) {
      process.stderr.write(`bench: no case named ${args.child}\n`);
      process.exit(1);
    }
    if (c.name.startsWith('lma/')) await prepareLma(args.smoke ? 5000 : undefined);
    process.stdout.write(`${resultLine(runCase(c, opts))}\n`);
    await closeLma();
    return;
  }
  const cases = selectCases(allCases(), args.patterns);
  if (args.list) {
    for (const c of cases) process.stdout.write(`${c.name}\n`);
    return;
  }
  if (cases.length === 0) {
    process.stderr.write('bench: no case matches\n');
    process.exit(1);
  }
  const uncovered = uncoveredViews(wire as unknown as Record<string, unknown>);
  if (uncovered.length > 0) {
    process.stderr.write(`bench: @dmm/wire views without a benchmark: ${uncovered.join(', ')}\n`);
  }
  const date = new Date().toISOString().slice(0, 10);
  const out = args.out ?? join(PERF_DIR, 'results', `bench-${date}.jsonl`);
  if (args.save) mkdirSync(dirname(out), { recursive: true });
  const width = Math.max(...cases.map((c) => c.name.length)) + 1;
  for (const c of cases) {
    if (args.inProcess && c.name.startsWith('lma/'))
      await prepareLma(args.smoke ? 5000 : undefined);
    const r = args.inProcess ? runCase(c, opts) : runIsolated(c.name, args);
    const line = resultLine(r);
    process.stdout.write(`${line}\n`);
    if (args.save) appendFileSync(out, `${line}\n`);
    process.stderr.write(`${humanLine(r, width)}\n`);
  }
  await closeLma();
  if (args.save) process.stderr.write(`bench: appended ${cases.length} lines to ${out}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main();
}
