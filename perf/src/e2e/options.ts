/**
 * Command line of the end-to-end harness:
 *
 *   pnpm --filter @dmm/perf e2e [--duration S] [--warmup S] [--repeat R]
 *                               [--only kernel,kernel-offloads-off,c,c-one,node,node-one,dmmd]
 *                               [--no-udp] [--no-tcp] [--no-save] [--out FILE]
 *                               [--dmmd-node-flags FLAGS]
 */
import { PATH_IDS, isPathId, type PathId } from './paths.js';

export interface E2eOptions {
  /** Seconds of each measurement window (UDP) and of each iperf3 test. */
  duration: number;
  /** Seconds of traffic before the UDP window opens. */
  warmup: number;
  /** Measurements per path; the report gives the median. */
  repeat: number;
  /** Paths to measure, in table order. */
  only: PathId[];
  udp: boolean;
  tcp: boolean;
  save: boolean;
  out: string | undefined;
  help: boolean;
  /** Extra Node flags for dmmd (profiling: `--cpu-prof --cpu-prof-dir=DIR`, `--perf-basic-prof`). */
  dmmdNodeFlags: string[];
}

export const E2E_USAGE = `usage: e2e [--duration S] [--warmup S] [--repeat R] [--only ${PATH_IDS.join(',')}]
           [--no-udp] [--no-tcp] [--no-save] [--out FILE] [--dmmd-node-flags FLAGS]
  --duration S  seconds per UDP window and per iperf3 test (default 5)
  --warmup S    seconds of traffic before each UDP window (default 1)
  --repeat R    measurements per path, median reported (default 3)
  --only LIST   comma-separated paths (default: all)
  --no-udp      skip the UDP frame-rate measurements (the setup check still runs)
  --no-tcp      skip the iperf3 TCP measurements
  --no-save     do not append to perf/results/e2e-<date>.jsonl
  --out FILE    append the JSON lines to FILE instead
  --dmmd-node-flags FLAGS
                Node flags for dmmd, space-separated (values as --flag=value,
                e.g. "--cpu-prof --cpu-prof-dir=/tmp/p")`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function positive(flag: string, v: string | undefined, integer = false): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `${flag} needs a positive ${integer ? 'integer' : 'number'}, got ${v} (write values as --flag=value)`,
    );
  }
  return n;
}

export function parseE2eArgs(argv: readonly string[]): E2eOptions {
  const o: E2eOptions = {
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
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--duration':
        o.duration = positive(a, argv[++i]);
        break;
      case '--warmup':
        o.warmup = positive(a, argv[++i]);
        break;
      case '--repeat':
        o.repeat = positive(a, argv[++i], true);
        break;
      case '--only': {
        const v = argv[++i];
        if (v === undefined || v === '') throw new UsageError('--only needs a list of paths');
        const ids = v.split(',').map((s) => s.trim());
        for (const id of ids) {
          if (!isPathId(id)) {
            throw new UsageError(`unknown path ${id}; known: ${PATH_IDS.join(', ')}`);
          }
        }
        // Table order, whatever the order given; no duplicates.
        o.only = PATH_IDS.filter((p) => ids.includes(p));
        break;
      }
      case '--no-udp':
        o.udp = false;
        break;
      case '--no-tcp':
        o.tcp = false;
        break;
      case '--dmmd-node-flags': {
        const v = argv[++i];
        if (v === undefined) throw new UsageError('--dmmd-node-flags needs flags');
        o.dmmdNodeFlags = v.split(/\s+/).filter((f) => f !== '');
        if (o.dmmdNodeFlags.some((f) => !f.startsWith('-'))) {
          throw new UsageError(
            `--dmmd-node-flags takes Node flags only, got ${v} (write values as --flag=value)`,
          );
        }
        break;
      }
      case '--no-save':
        o.save = false;
        break;
      case '--out': {
        const v = argv[++i];
        if (v === undefined) throw new UsageError('--out needs a file name');
        o.out = v;
        break;
      }
      case '--help':
      case '-h':
        o.help = true;
        break;
      case '--':
        break;
      default:
        throw new UsageError(`unknown argument ${a}`);
    }
  }
  if (!o.udp && !o.tcp) throw new UsageError('--no-udp and --no-tcp leave nothing to measure');
  return o;
}
