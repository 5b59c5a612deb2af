#!/usr/bin/env node
/**
 * `pnpm --filter @dmm/perf handover [options]` (root): the handover outage of the D-GWs
 * with a Linux mobile node, measured by the demo's own code (@dmm/example-dmm: the
 * examples/dmm lab, the 250 µs UDP probe and the TCP stream from the node's first
 * address, `dmm-lab move` + L2 trigger per handover). A walk is D-GW1 → D-GW2 → D-GW3 →
 * D-GW1. By default each walk runs on a freshly built lab (named dmm-perf, in a temporary
 * directory): every handover is the first of its kind in its dmmd processes. With
 * --same-lab the walks follow each other on one lab and the medians leave the first walk
 * out: handovers through code that has run before. `--handovers N` runs N handovers in all
 * (walks of three, the last cut short). Prints one JSON line per handover and walk, one
 * per handover of the walk with the medians, and one with the distribution over every
 * handover (outage median, p90, max, stalls > 1 s; L2 trigger → first packet through the
 * new tunnel as the serving D-GW timed it), and appends them to
 * perf/results/handover-<date>.jsonl. See perf/README.md.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandoverRun, figures, type HandoverFigures } from '@dmm/example-dmm';
import { cpuModel } from '../bench/run.js';
import { PERF_DIR } from '../e2e/cbuild.js';
import {
  HANDOVER_USAGE,
  UsageError,
  formatDistribution,
  formatMedians,
  handoverDistribution,
  handoverMedians,
  parseHandoverArgs,
  type HandoverOptions,
} from './results.js';

const log = (line: string): void => void process.stderr.write(line + '\n');

/** A run on its own lab in a temporary directory. */
function newRun(o: HandoverOptions): { run: HandoverRun; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dmml-perf-'));
  const run = new HandoverRun({
    name: 'dmm-perf',
    workDir: dir,
    periodUs: o.periodUs,
    settleMs: o.settleMs,
    senderNice: o.senderNice,
    spinUs: o.spinUs,
  });
  return { run, dir };
}

async function start(run: HandoverRun): Promise<void> {
  await run.up();
  await run.startTraffic();
  await new Promise((r) => setTimeout(r, 1000));
}

async function walk(run: HandoverRun, n: number, count = 3): Promise<HandoverFigures[]> {
  const out: HandoverFigures[] = [];
  for (const to of [2, 3, 1].slice(0, count)) {
    const f = figures(await run.handover(to));
    log(
      `walk ${n}: ${f.handover}: outage ${f.outageMs} ms, ${f.outageLost} lost, ` +
        `break → trigger ${f.breakToTriggerMs} ms, ` +
        `trigger → first packet ${f.triggerToFirstPacketMs} ms (${f.firstPacketBy})` +
        (f.survived ? '' : ` — NOT survived: ${JSON.stringify(f)}`),
    );
    out.push(f);
  }
  return out;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HANDOVER_USAGE);
    return 0;
  }
  let o: HandoverOptions;
  try {
    o = parseHandoverArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`handover: ${e.message}\n${HANDOVER_USAGE}`);
      return 2;
    }
    throw e;
  }
  if (process.getuid?.() !== 0) {
    log('handover: needs root (network namespaces, bridges, TAP devices)');
    return 1;
  }
  let current: HandoverRun | null = null;
  const stop = (): void => {
    log('handover: interrupted; removing the lab');
    void (current?.down() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const ctx = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpuModel(),
    nproc: availableParallelism(),
    kernel: release(),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    periodUs: o.periodUs,
    settleMs: o.settleMs,
    senderNice: o.senderNice,
    spinUs: o.spinUs,
    sameLab: o.sameLab,
    handovers: o.handovers,
  };
  // handovers in walk n (the last walk may be cut short)
  const inWalk = (n: number): number =>
    o.handovers === null ? 3 : Math.min(3, o.handovers - 3 * (n - 1));
  const lines: string[] = [];
  const emit = (obj: object): void => {
    const line = JSON.stringify(obj);
    lines.push(line);
    process.stdout.write(line + '\n');
  };
  const walks: HandoverFigures[][] = [];
  const record = (n: number, fs: HandoverFigures[]): void => {
    walks.push(fs);
    for (const f of fs) emit({ kind: 'handover', walk: n, ...f, ...ctx });
  };
  if (o.sameLab) {
    const { run, dir } = newRun(o);
    current = run;
    try {
      await start(run);
      for (let n = 1; n <= o.walks; n++) record(n, await walk(run, n, inWalk(n)));
    } finally {
      await run.down();
      rmSync(dir, { recursive: true, force: true });
      current = null;
    }
  } else {
    for (let n = 1; n <= o.walks; n++) {
      const { run, dir } = newRun(o);
      current = run;
      try {
        await start(run);
        record(n, await walk(run, n, inWalk(n)));
      } finally {
        await run.down();
        rmSync(dir, { recursive: true, force: true });
        current = null;
      }
    }
  }
  // on one lab, the first walk runs every code path for the first time: left out
  const counted = o.sameLab ? walks.slice(1) : walks;
  const medians = handoverMedians(counted);
  for (const m of medians) emit({ ...m, ...ctx });
  log('');
  log(
    o.sameLab
      ? `medians of walks 2..${o.walks} on one lab (ms):`
      : `medians of ${o.walks} walk${o.walks > 1 ? 's' : ''}, each on a fresh lab (ms):`,
  );
  log(formatMedians(medians));
  const dist = handoverDistribution(counted.flat());
  emit({ ...dist, ...ctx });
  log('');
  log(formatDistribution(dist));
  if (o.save || o.out) {
    const file = o.out ?? join(PERF_DIR, 'results', `handover-${ctx.date.slice(0, 10)}.jsonl`);
    mkdirSync(join(file, '..'), { recursive: true });
    appendFileSync(file, lines.join('\n') + '\n');
    log(`appended to ${file}`);
  }
  return walks.every((w) => w.every((f) => f.survived)) ? 0 : 1;
}

process.exit(await main());
