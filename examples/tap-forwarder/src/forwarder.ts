#!/usr/bin/env node
/**
 * A layer-2 forwarder between two TAP devices through dmm-router's packet core:
 * TAP readiness → batched read into pool buffers → graph (`cross-connect` →
 * `interface-output`) → batched write. The smallest complete use of the core and the
 * TAP addon, and the "node" path of the perf harness.
 *
 *   dmm-tap-forwarder --a NAME --b NAME [--rx-budget N]
 *
 * Creates (or attaches to) TAP devices NAME in the current network namespace, prints
 * `ready` once both are open, forwards until SIGTERM/SIGINT, then prints its counters as
 * one JSON line on stderr and exits 0. Whoever started it moves and configures the
 * netdevs (`ip link set NAME netns NS`): the open queues stay ours.
 */
import { pathToFileURL } from 'node:url';
import {
  BufferPool,
  Graph,
  Scheduler,
  VECTOR_SIZE,
  crossConnectNode,
  type DeviceStats,
} from '@dmm/core';
import { Tap, TunTapNetDevice } from '@dmm/tuntap';

export interface ForwarderOptions {
  /** TAP names of the two sides. */
  a: string;
  b: string;
  /** Frames read per breath (default 256; 1 = one frame per readiness). */
  rxBudget?: number;
  /** Packet buffers in the pool (default 4096). */
  poolSize?: number;
}

export interface Forwarder {
  readonly taps: readonly [Tap, Tap];
  readonly scheduler: Scheduler;
  readonly graph: Graph;
  /** Per-side device counters and non-zero drop counters. */
  counters(): { a: DeviceStats; b: DeviceStats; drops: Record<string, number> };
  /** Stops forwarding and closes both TAP queues. Idempotent. */
  stop(): void;
}

/** Opens both TAPs and starts forwarding between them. */
export function startForwarder(opts: ForwarderOptions): Forwarder {
  const pool = new BufferPool({ count: opts.poolSize ?? 4096 });
  const graph = new Graph(pool);
  const scheduler = new Scheduler(graph, { rxBudget: opts.rxBudget ?? VECTOR_SIZE });
  graph.addNode(scheduler.outputNodeDef());
  graph.addNode(crossConnectNode(Int32Array.of(1, 0)));
  graph.finalise();
  const tapA = new Tap({ name: opts.a });
  let tapB: Tap;
  try {
    tapB = new Tap({ name: opts.b });
  } catch (e) {
    tapA.close();
    throw e;
  }
  const devA = new TunTapNetDevice(tapA);
  const devB = new TunTapNetDevice(tapB);
  scheduler.addInterface(opts.a, devA, 'cross-connect');
  scheduler.addInterface(opts.b, devB, 'cross-connect');
  scheduler.start();
  let stopped = false;
  return {
    taps: [tapA, tapB],
    scheduler,
    graph,
    counters: () => ({
      a: { ...devA.stats },
      b: { ...devB.stats },
      drops: Object.fromEntries(graph.dropCounters()),
    }),
    stop() {
      if (stopped) return;
      stopped = true;
      scheduler.stop();
      devA.close();
      devB.close();
    },
  };
}

function parseArgs(argv: string[]): ForwarderOptions {
  const opts: Partial<ForwarderOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === '--a' && v) opts.a = v;
    else if (k === '--b' && v) opts.b = v;
    else if (k === '--rx-budget' && v) opts.rxBudget = Number(v);
    else if (k === '--pool' && v) opts.poolSize = Number(v);
    else {
      throw new Error(
        `usage: dmm-tap-forwarder --a NAME --b NAME [--rx-budget N] [--pool N] (bad argument ${k})`,
      );
    }
    i++;
  }
  if (!opts.a || !opts.b)
    throw new Error('usage: dmm-tap-forwarder --a NAME --b NAME [--rx-budget N]');
  return opts as ForwarderOptions;
}

function main(): void {
  let fwd: Forwarder;
  try {
    fwd = startForwarder(parseArgs(process.argv.slice(2)));
  } catch (e) {
    const err = e as { code?: string; message?: string };
    process.stderr.write(`dmm-tap-forwarder: ${err.code ? err.code + ': ' : ''}${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write('ready\n');
  const shutdown = (): void => {
    const c = fwd.counters();
    fwd.stop();
    process.stderr.write(JSON.stringify(c) + '\n');
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
