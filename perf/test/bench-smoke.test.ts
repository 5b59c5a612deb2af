/**
 * The micro-benchmark suite cannot rot: every case runs (in smoke mode: few, short samples)
 * through the real command line, passes its own `verify` (fixture valid, operation on its
 * normal path), and prints a well-formed JSON line with a finite, positive rate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allCases, parseBenchArgs, selectCases } from '@dmm/perf/bench/main.js';
import { humanLine, type BenchResult } from '@dmm/perf/bench/run.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bench', 'main.js');
const NAME_RE = /^(wire|core|lma)\/[a-z0-9-]+(\.[a-z0-9-]+)?(\/[a-z0-9-]+)?$/;

function runBench(args: string[]): { lines: string[]; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return {
    lines: r.stdout.split('\n').filter((l) => l !== ''),
    stderr: r.stderr,
    status: r.status,
  };
}

test('bench --smoke: every case prints one well-formed JSON line with a finite positive rate', () => {
  const names = allCases().map((c) => c.name);
  const { lines, stderr, status } = runBench(['--smoke', '--no-save', '--in-process']);
  assert.equal(status, 0, stderr);
  assert.equal(lines.length, names.length, 'one line per case');
  const seen: string[] = [];
  for (const line of lines) {
    const r = JSON.parse(line) as BenchResult;
    assert.deepEqual(
      Object.keys(r).sort(),
      ['batch', 'cpu', 'date', 'hz', 'name', 'node', 'nsPerOp', 'rme', 'samples'],
      line,
    );
    assert.match(r.name, NAME_RE);
    assert.ok(Number.isFinite(r.hz) && r.hz > 0, `${r.name}: hz ${r.hz}`);
    assert.ok(Math.abs(r.nsPerOp * r.hz - 1e9) < 1e-3 * 1e9, `${r.name}: nsPerOp = 1e9 / hz`);
    assert.ok(Number.isFinite(r.rme) && r.rme >= 0, `${r.name}: rme ${r.rme}`);
    assert.ok(Number.isInteger(r.samples) && r.samples >= 2, `${r.name}: samples ${r.samples}`);
    assert.ok(Number.isInteger(r.batch) && r.batch >= 1, `${r.name}: batch ${r.batch}`);
    assert.equal(r.node, process.version);
    assert.ok(r.cpu.length > 0);
    assert.ok(!Number.isNaN(Date.parse(r.date)), `${r.name}: date ${r.date}`);
    seen.push(r.name);
  }
  assert.deepEqual(seen, names, 'in suite order, none missing');
  assert.doesNotMatch(stderr, /views without a benchmark/, 'every @dmm/wire view is benchmarked');
});

test('bench: case names are unique and cover the layers and ops the suite promises', () => {
  const names = allCases().map((c) => c.name);
  assert.equal(new Set(names).size, names.length, 'unique names');
  for (const n of [
    'wire/ethernet.check/udp-126',
    'wire/ipv6.check/udp-126',
    'wire/ipv6.parse/udp-126',
    'wire/ipv6.emit/udp-126',
    'wire/udp.check/udp-126',
    'wire/icmpv6.check/ptb-100',
    'wire/nd-ra.parse/ra-2pio-rio',
    'wire/mh-pbu.parse/pbu-104',
    'core/pool.alloc-free',
    'core/graph.cross-connect/64',
  ]) {
    assert.ok(names.includes(n), `missing ${n}`);
  }
});

test('bench: a regex argument selects cases, each run in its own process by default', () => {
  const { lines, status, stderr } = runBench(['--smoke', '--no-save', '^core/pool\\.']);
  assert.equal(status, 0, stderr);
  const names = lines.map((l) => (JSON.parse(l) as BenchResult).name);
  assert.deepEqual(names, ['core/pool.alloc-free', 'core/pool.alloc-free/burst-256']);
  const none = runBench(['--smoke', '--no-save', '^nothing-matches$']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no case matches/);
});

test('bench: argument parsing', () => {
  const a = parseBenchArgs(['--smoke', 'ipv6', '--max-time', '0.5', '--no-save', 'pool']);
  assert.equal(a.smoke, true);
  assert.equal(a.inProcess, false, 'isolated by default');
  assert.equal(parseBenchArgs(['--in-process']).inProcess, true);
  assert.equal(parseBenchArgs(['--child', 'core/pool.alloc-free']).child, 'core/pool.alloc-free');
  assert.equal(a.save, false);
  assert.equal(a.maxTime, 0.5);
  assert.deepEqual(
    a.patterns.map((p) => p.source),
    ['ipv6', 'pool'],
  );
  assert.throws(() => parseBenchArgs(['--max-time', '0']), /positive/);
  assert.throws(() => parseBenchArgs(['--frobnicate']), /unknown option/);
  const cases = allCases();
  assert.deepEqual(
    selectCases(cases, [/^wire\/ipv6\.check\//]).map((c) => c.name),
    ['wire/ipv6.check/udp-126'],
  );
  assert.equal(selectCases(cases, []).length, cases.length);
});

test('bench: the human line divides back to one operation', () => {
  const r: BenchResult = {
    name: 'wire/ipv6.check/udp-126',
    hz: 250_000_000,
    nsPerOp: 4,
    rme: 1.234,
    samples: 57,
    batch: 1000,
    node: 'v20.20.2',
    cpu: 'x',
    date: '2026-11-27T00:00:00.000Z',
  };
  assert.equal(
    humanLine(r, 30),
    'wire/ipv6.check/udp-126             4.00 ns/op ±1.23% (57 samples)',
  );
});
