/**
 * The pure parts of the end-to-end harness: tool output parsing, medians, ratios, CPU
 * busy fractions, the summary records and the markdown table. (The harness itself needs
 * root and minutes; it is never run from tests.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpuBusy,
  formatInt,
  formatTable,
  median,
  otherUserCpu,
  parseCounter,
  parsePidStat,
  parseIperf3Json,
  parseProcStat,
  parseUdpgenOutput,
  rate,
  ratio,
  summarise,
  type PathMeasurement,
} from '@dmm/perf/e2e/results.js';
import { parseE2eArgs } from '@dmm/perf/e2e/options.js';
import { PATH_IDS } from '@dmm/perf/e2e/paths.js';
import { sameProcess } from '@dmm/perf/e2e/lab.js';
import { forwarderArgv } from '@dmm/perf/e2e/forwarders.js';
import { REPO_DIR } from '@dmm/perf/e2e/cbuild.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real `iperf3 -J` client output: iperf 3.12 (Debian bookworm) run as
 * `iperf3 -c 127.0.0.1 -p 5299 -t 1 -J` on the development machine, trimmed to the fields
 * the harness reads (start.test_start kept for context).
 */
const IPERF_OK = `{"start": {"version": "iperf 3.12", "test_start": {"protocol": "TCP", "num_streams": 1,
  "blksize": 131072, "omit": 0, "duration": 1, "bytes": 0, "blocks": 0, "reverse": 0, "tos": 0,
  "target_bitrate": 0}}, "end": {"sum_sent": {"start": 0, "end": 1.000075, "seconds": 1.000075,
  "bytes": 4495769600, "bits_per_second": 35963459540.53446, "retransmits": 0, "sender": true},
  "sum_received": {"start": 0, "end": 1.000635, "seconds": 1.000635, "bytes": 4490526720,
  "bits_per_second": 35901416360.611015, "sender": true}}}`;

/** Real output of the same iperf3 with no server listening (it exits 0 and says so in JSON). */
const IPERF_REFUSED = `{
	"start":	{
		"connected":	[],
		"version":	"iperf 3.12",
		"system_info":	"Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC @0 x86_64"
	},
	"intervals":	[],
	"end":	{
	},
	"error":	"unable to connect to server: Connection refused"
}`;

test('median: odd and even counts, unsorted input, non-finite values ignored', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5]), 5);
  assert.equal(median([7, NaN, 1, Infinity, 4]), 4);
  assert.ok(Number.isNaN(median([])));
  const xs = [3, 1, 2];
  median(xs);
  assert.deepEqual(xs, [3, 1, 2], 'input left unsorted');
});

test('ratio: a / b, null when either side is missing or b is not positive', () => {
  assert.equal(ratio(300, 150), 2);
  assert.equal(ratio(1, 4), 0.25);
  assert.equal(ratio(null, 4), null);
  assert.equal(ratio(4, undefined), null);
  assert.equal(ratio(4, 0), null);
  assert.equal(ratio(NaN, 4), null);
});

test('parseIperf3Json: receiver Mbit/s and sender retransmits of a real run', () => {
  const r = parseIperf3Json(IPERF_OK);
  assert.ok(Math.abs(r.mbps - 35901.41636061) < 1e-6, `mbps ${r.mbps}`);
  assert.equal(r.retransmits, 0);
  assert.equal(r.seconds, 1.000635);
});

test('parseIperf3Json: iperf3 errors, zeros and garbage throw instead of reading as 0', () => {
  assert.throws(
    () => parseIperf3Json(IPERF_REFUSED),
    /iperf3: unable to connect to server: Connection refused/,
  );
  const zero = JSON.parse(IPERF_OK) as { end: { sum_received: { bits_per_second: number } } };
  zero.end.sum_received.bits_per_second = 0;
  assert.throws(() => parseIperf3Json(JSON.stringify(zero)), /0 bit\/s/);
  assert.throws(() => parseIperf3Json('{"start":{},"end":{}}'), /no end.sum_received/);
  assert.throws(() => parseIperf3Json('iperf3: error - the server is busy'), /no JSON/);
});

test('parseUdpgenOutput: the last JSON line udpgen prints', () => {
  // Printed by perf/c/udpgen.c after a 6 s run into a TAP (copied from a run).
  const out =
    'udpgen: PACKET_QDISC_BYPASS (continuing through the qdisc)\n' +
    '{"sent":2254056,"errors":2004329,"seconds":6.000001,"pps":375675.9,"frameLen":126}\n';
  assert.deepEqual(parseUdpgenOutput(out), {
    sent: 2254056,
    errors: 2004329,
    seconds: 6.000001,
    pps: 375675.9,
    frameLen: 126,
  });
  assert.throws(() => parseUdpgenOutput(''), /no result/);
  assert.throws(() => parseUdpgenOutput('{"sent":1}'), /lacks errors/);
});

test('parseCounter and rate: sysfs counters to packets per second', () => {
  assert.equal(parseCounter('123456\n'), 123456);
  assert.throws(() => parseCounter('cat: no such file\n'), /not a counter/);
  assert.throws(() => parseCounter(''), /not a counter/);
  assert.equal(rate(1000, 0n, 501_000, 2_000_000_000n), 250_000);
  assert.throws(() => rate(10, 5n, 20, 5n), /no length/);
  assert.throws(() => rate(10, 0n, 5, 1_000_000_000n), /backwards/);
});

test('parseProcStat and cpuBusy: busy fraction per CPU, steal counted as busy', () => {
  // First reading copied from this machine's /proc/stat; the second is the first plus
  // known deltas: cpu0 +100 idle (0% busy), cpu1 +30 user +40 system +5 softirq
  // +25 idle (75% busy).
  const before = parseProcStat(
    'cpu  57457 0 21867 271040 336 0 3189 132 0 0\n' +
      'cpu0 30324 0 11782 134037 161 0 609 64 0 0\n' +
      'cpu1 27132 0 10084 137002 175 0 2579 67 0 0\nintr 1 2 3\n',
  );
  const after = parseProcStat(
    'cpu  57487 0 21907 271165 336 0 3194 132 0 0\n' +
      'cpu0 30324 0 11782 134137 161 0 609 64 0 0\n' +
      'cpu1 27162 0 10124 137027 175 0 2584 67 0 0\n',
  );
  assert.deepEqual([...before.keys()], [0, 1], 'per-CPU lines only');
  assert.equal(cpuBusy(before, after, 0), 0);
  assert.equal(cpuBusy(before, after, 1), 0.75);
  assert.ok(Number.isNaN(cpuBusy(before, after, 2)), 'unknown CPU');
  assert.ok(Number.isNaN(cpuBusy(before, before, 1)), 'no time elapsed');
  const stolen = parseProcStat('cpu0 0 0 0 0 0 0 0 50 0 0\n');
  const stolen2 = parseProcStat('cpu0 0 0 0 50 0 0 0 100 0 0\n');
  assert.equal(cpuBusy(stolen, stolen2, 0), 0.5);
});

test('parsePidStat and otherUserCpu: user CPU of other processes, ours subtracted', () => {
  // /proc/1/stat copied from the development machine: utime (field 14) 77, cutime (16) 27732.
  const init =
    '1 (process_api) S 0 0 0 0 -1 4194560 70639 7952174 0 150 77 116 27732 5119 20 0 11 0 9 ' +
    '37031936 2578 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';
  assert.deepEqual(parsePidStat(init), { utime: 77, cutime: 27732 });
  // A command name with spaces and parentheses does not shift the fields.
  assert.deepEqual(parsePidStat(init.replace('(process_api)', '(a) b (c)')), {
    utime: 77,
    cutime: 27732,
  });
  assert.throws(() => parsePidStat('garbage'), /not a \/proc\/PID\/stat line/);
  // Two CPUs, a 100-jiffy window: 60 + 30 user jiffies in all, 50 of them ours.
  const before = parseProcStat('cpu0 100 0 0 0 0 0 0 0 0 0\ncpu1 200 0 0 0 0 0 0 0 0 0\n');
  const after = parseProcStat('cpu0 150 10 0 40 0 0 0 0 0 0\ncpu1 230 0 50 20 0 0 0 0 0 0\n');
  assert.equal(otherUserCpu(before, after, 50), 0.4);
  assert.equal(otherUserCpu(before, after, 200), 0, 'never negative');
  assert.ok(Number.isNaN(otherUserCpu(before, before, 0)));
});

function measured(
  path: PathMeasurement['path'],
  pps: number[],
  tcp: number[],
  busy = [1],
): PathMeasurement {
  return {
    path,
    status: 'ok',
    pps,
    discarded: 0,
    generatorPps: pps.map((x) => x * 1.01),
    generatorRefused: pps.map(() => 0),
    fwdCpuBusy: busy,
    genCpuBusy: busy,
    otherCpu: [0.01],
    tcpMbps: tcp,
    tcpRetransmits: tcp.map(() => 0),
    notes: [],
  };
}

test('summarise: medians, ratios vs C batched and vs the same forwarder one-per-readiness', () => {
  const rows = summarise([
    measured('kernel', [600, 500, 550], [20000, 21000, 22000], [0.5, 0.6, 0.55]),
    measured('c', [400, 420, 410], [2000, 2200, 2100]),
    measured('c-one', [300, 310, 290], [1000, 1100, 1050]),
    measured('node', [200, 210, 205], [1500, 1600, 1400]),
    { ...measured('node-one', [], []), status: 'missing', reason: 'not built' },
  ]);
  const by = Object.fromEntries(rows.map((r) => [r.path, r]));
  assert.equal(by['kernel']!.ppsMedian, 550);
  assert.equal(by['kernel']!.generatorBound, true, 'forwarding CPU 55% busy');
  assert.equal(by['kernel']!.vsC.pps, 550 / 410);
  assert.equal(by['kernel']!.vsC.tcp, 21000 / 2100);
  assert.deepEqual(by['kernel']!.vsKernel, { pps: 1, tcp: 1 });
  assert.equal(by['c']!.vsKernel.pps, 410 / 550);
  assert.equal(by['c']!.vsKernel.tcp, 2100 / 21000);
  assert.deepEqual(by['kernel']!.vsOnePerReadiness, { pps: null, tcp: null });
  assert.equal(by['c']!.vsC.pps, 1);
  assert.equal(by['c']!.vsOnePerReadiness.pps, 410 / 300);
  assert.equal(by['c']!.generatorBound, false);
  assert.equal(by['c-one']!.vsOnePerReadiness.pps, 1);
  assert.equal(by['node']!.vsC.pps, 205 / 410);
  assert.deepEqual(by['node']!.vsOnePerReadiness, { pps: null, tcp: null }, 'node-one missing');
  assert.equal(by['node-one']!.ppsMedian, null);
  assert.equal(by['node-one']!.label, 'Node forwarder --rx-budget 1');
  assert.equal(by['c']!.otherCpuMax, 0.01);
});

test('formatTable: the markdown table, with ≥ for generator-bound rows and missing/failed rows kept', () => {
  const rows = summarise([
    measured('kernel', [1_234_567], [28_500], [0.5]),
    measured('c', [400_000], [2_000]),
    measured('c-one', [300_000], [1_250]),
    measured('node', [200_000], [3_000]),
    { ...measured('node-one', [], []), status: 'failed', reason: 'setup check failed' },
    measured('dmmd', [300_000], [1_425], [0.6]),
  ]);
  assert.equal(
    formatTable(rows, true),
    [
      '| path | pps (64 B UDP) | Mbit/s TCP | ratio vs C batched (pps / TCP) | ratio vs kernel (pps / TCP) | ratio vs one-per-readiness (pps / TCP) |',
      '| --- | --- | --- | --- | --- | --- |',
      // The kernel row is generator-bound: its own ratios are lower bounds (≥), and every
      // other row's ratio to it an upper bound (≤); both bound (dmmd): unknown (~).
      '| kernel (veth, routed) | ≥ 1 234 567 | 28 500 | ≥ 3.09 / 14.25 | 1.00 / 1.00 | — |',
      '| C tapfwd, batched | 400 000 | 2 000 | 1.00 / 1.00 | ≤ 0.32 / 0.07 | 1.33 / 1.60 |',
      '| C tapfwd --one | 300 000 | 1 250 | 0.75 / 0.63 | ≤ 0.24 / 0.04 | 1.00 / 1.00 |',
      '| Node forwarder, batched | 200 000 | 3 000 | 0.50 / 1.50 | ≤ 0.16 / 0.11 | — |',
      '| Node forwarder --rx-budget 1 | FAILED | FAILED | — | — | — |',
      '| dmmd (full router) | ≥ 300 000 | 1 425 | ≥ 0.75 / 0.71 | ~ 0.24 / 0.05 | — |',
    ].join('\n'),
  );
  assert.equal(
    formatTable(summarise([measured('c', [400_000], [])]), false),
    [
      '| path | pps (64 B UDP) | Mbit/s TCP | ratio vs C batched (pps) | ratio vs kernel (pps) | ratio vs one-per-readiness (pps) |',
      '| --- | --- | --- | --- | --- | --- |',
      '| C tapfwd, batched | 400 000 | not run | 1.00 | — | — |',
    ].join('\n'),
  );
  // TCP only (--no-udp): no pps, no pps ratio.
  assert.equal(
    formatTable(
      summarise([measured('c', [], [2_000], []), measured('dmmd', [], [1_000], [])]),
      true,
    )
      .split('\n')
      .slice(2)
      .join('\n'),
    [
      '| C tapfwd, batched | — | 2 000 | — / 1.00 | — | — |',
      '| dmmd (full router) | — | 1 000 | — / 0.50 | — | — |',
    ].join('\n'),
  );
  assert.equal(formatInt(999), '999');
  assert.equal(formatInt(1000.4), '1 000');
});

test('parseE2eArgs: defaults, options, --only in table order, bad input rejected', () => {
  const d = parseE2eArgs([]);
  assert.deepEqual(d, {
    duration: 5,
    warmup: 1,
    repeat: 3,
    only: [...PATH_IDS],
    udp: true,
    tcp: true,
    save: true,
    out: undefined,
    help: false,
    dmmdNodeFlags: [],
  });
  assert.deepEqual(PATH_IDS, [
    'kernel',
    'kernel-offloads-off',
    'c',
    'c-one',
    'node',
    'node-one',
    'dmmd',
    'dmmd-offload',
    'kernel-tunnel',
    'dmmd-tunnel',
  ]);
  const o = parseE2eArgs([
    '--duration',
    '2.5',
    '--repeat',
    '5',
    '--only',
    'node-one,c,kernel',
    '--no-tcp',
  ]);
  assert.equal(o.duration, 2.5);
  assert.equal(o.repeat, 5);
  assert.deepEqual(o.only, ['kernel', 'c', 'node-one']);
  assert.equal(o.tcp, false);
  assert.throws(() => parseE2eArgs(['--only', 'kernel,vpp']), /unknown path vpp/);
  assert.throws(() => parseE2eArgs(['--repeat', '1.5']), /positive integer/);
  assert.throws(() => parseE2eArgs(['--duration', '-1']), /positive number/);
  assert.throws(() => parseE2eArgs(['--duration']), /positive number/);
  assert.throws(() => parseE2eArgs(['--fast']), /unknown argument/);
  const p = parseE2eArgs([
    '--only',
    'dmmd',
    '--no-udp',
    '--dmmd-node-flags',
    ' --cpu-prof  --cpu-prof-dir=/tmp/p ',
  ]);
  assert.deepEqual(p.only, ['dmmd']);
  assert.equal(p.udp, false);
  assert.deepEqual(p.dmmdNodeFlags, ['--cpu-prof', '--cpu-prof-dir=/tmp/p']);
  assert.throws(
    () => parseE2eArgs(['--dmmd-node-flags', '--cpu-prof-dir /tmp/p']),
    /Node flags only, got --cpu-prof-dir \/tmp\/p \(write values as --flag=value\)/,
  );
  assert.throws(() => parseE2eArgs(['--no-udp', '--no-tcp']), /nothing to measure/);
});

test('sameProcess: a recorded child is recognised after its wrappers exec', () => {
  const rec =
    'ip netns exec dmmp-a taskset -c 0 /work/main/perf/bin/udpgen --dev dmmp-ta --seconds 6';
  assert.equal(sameProcess(rec, '/work/main/perf/bin/udpgen --dev dmmp-ta --seconds 6'), true);
  assert.equal(sameProcess(rec, rec), true);
  assert.equal(sameProcess(rec, 'sshd: root'), false, 'pid reused by another program');
  assert.equal(sameProcess(rec, null), false, 'gone');
  assert.equal(sameProcess(rec, ''), false, 'kernel thread');
});

test('forwarderArgv: command lines of the TAP paths; an unbuilt Node forwarder is missing', () => {
  const tools = { udpgen: '/x/udpgen', tapfwd: '/x/tapfwd', ethtool: null, tshark: null };
  assert.deepEqual(forwarderArgv('c', tools), ['/x/tapfwd']);
  assert.deepEqual(forwarderArgv('c-one', tools), ['/x/tapfwd', '--one']);
  const here = fileURLToPath(import.meta.url); // any file that exists
  assert.deepEqual(forwarderArgv('node', tools, here), [process.execPath, here]);
  assert.deepEqual(forwarderArgv('node-one', tools, here), [
    process.execPath,
    here,
    '--rx-budget',
    '1',
  ]);
  const absent = join(REPO_DIR, 'examples', 'tap-forwarder', 'dist', 'src', 'nothing-here.js');
  assert.deepEqual(forwarderArgv('node', tools, absent), {
    missing:
      'examples/tap-forwarder/dist/src/nothing-here.js not found (build examples/tap-forwarder with pnpm build)',
  });
  assert.deepEqual(forwarderArgv('kernel', tools), { missing: 'kernel is not a TAP path' });
});
