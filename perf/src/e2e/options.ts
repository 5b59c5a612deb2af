/**
 * Command line of the end-to-end harness:
 *
 *   pnpm --filter @dmm/perf e2e [--duration S] [--warmup S] [--repeat R]
 *                               [--only kernel,kernel-offloads-off,c,c-one,node,node-one]
 *                               [--no-tcp] [--no-save] [--out FILE]
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
  tcp: boolean;
  save: boolean;
  out: string | undefined;
  help: boolean;
}

export const E2E_USAGE = `usage: e2e [--duration S] [--warmup S] [--repeat R] [--only ${PATH_IDS.join(',')}]
           [--no-tcp] [--no-save] [--out FILE]
  --duration S  seconds per UDP window and per iperf3 test (default 5)
  --warmup S    seconds of traffic before each UDP window (default 1)
  --repeat R    measurements per path, median reported (default 3)
  --only LIST   comma-separated paths (default: all)
  --no-tcp      skip the iperf3 TCP measurements
  --no-save     do not append to perf/results/e2e-<date>.jsonl
  --out FILE    append the JSON lines to FILE instead`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function positive(flag: string, v: string | undefined, integer = false): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} needs a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
  return n;
}

export function parseE2eArgs(argv: readonly string[]): E2eOptions {
  const o: E2eOptions = {
    duration: 5,
    warmup: 1,
    repeat: 3,
    only: [...PATH_IDS],
    tcp: true,
    save: true,
    out: undefined,
    help: false,
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
      case '--no-tcp':
        o.tcp = false;
        break;
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
  return o;
}
