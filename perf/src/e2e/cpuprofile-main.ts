/**
 * `node perf/dist/src/e2e/cpuprofile-main.js FILE.cpuprofile [--top N]`: where a process
 * profiled with `node --cpu-prof` spent its busy time (see cpuprofile.ts). With the
 * end-to-end harness: `e2e --only dmmd --no-udp --dmmd-node-flags "--cpu-prof
 * --cpu-prof-dir=DIR"` profiles dmmd under iperf3.
 */
import { readFileSync } from 'node:fs';
import { REPO_DIR } from './cbuild.js';
import { formatCpuProfileSummary, summariseCpuProfile, type CpuProfile } from './cpuprofile.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 20;
const file = args.find((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1));
if (file === undefined || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: cpuprofile-main FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
process.stdout.write(`${formatCpuProfileSummary(summariseCpuProfile(profile, top, REPO_DIR))}\n`);
