#!/usr/bin/env node
/**
 * The demo (`pnpm demo`): distributed mobility anchoring (draft-bernardos-dmm-distributed-
 * anchoring-02 §3–4, docs/dgw.md) with a real Linux mobile node. The examples/dmm lab comes
 * up (three D-GWs — three dmmd processes — a correspondent, a host on D-GW1's local
 * network, the node); the node starts talking from its first address (a UDP probe every
 * 250 µs and a TCP stream, agent.ts, run in its namespace; and a 10 ms ping); then it is
 * walked D-GW1 → D-GW2 → D-GW3 → D-GW1, each handover a layer-2 move (`dmm-lab move`) and
 * an L2 trigger to the new D-GW (`dmmctl attach`) sent on the kernel's link event. For
 * each: a timeline, the node's addresses, the serving D-GW's anchors and tunnels, and the
 * sessions (loss, outage, trigger → first packet, ping, TCP, the local network). Exit
 * status 0 only when every session survived every handover. Needs root and the build,
 * iproute2 and ping.
 *
 *   demo.js [--handovers 1|2|3] [--settle MS] [--period-us US] [--tcp-kbit K]
 *           [--spin-us US] [--name NAME] [--json FILE] [--verbose]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CN,
  HandoverRun,
  LH,
  TCP_PORT,
  UDP_PORT,
  accessLink,
  dgwName,
  figures,
  nodeAddress,
  type HandoverRecord,
} from './handover.js';
import { DRAWING, LEGEND, at, fmtBytes, fmtMs, stateTables, summary, timeline } from './report.js';

const USAGE = `usage: demo.js [--handovers 1|2|3] [--settle MS] [--period-us US] [--tcp-kbit K]
               [--spin-us US] [--name NAME] [--json FILE] [--verbose]
  --handovers N  walk D-GW1 → D-GW2 (→ D-GW3 → D-GW1): 1 to 3 handovers (default 3)
  --settle MS    how long each handover is watched after its L2 trigger (default 2000)
  --period-us US the UDP probe's period (default 250)
  --tcp-kbit K   the TCP stream's rate (default 4000)
  --spin-us US   the probe's sender sleeps until US µs before each send instead of
                 busy-waiting the whole period (lighter on a machine with few CPUs)
  --name NAME    run a copy of the lab under another name, in a temporary directory
                 (default: examples/dmm itself, runtime files in .lab/dmm)
  --json FILE    also write every measurement there
  --verbose      the lab's progress lines
`;

interface Options {
  handovers: number;
  settleMs: number;
  periodUs: number;
  tcpKbit: number;
  spinUs: number | null;
  name: string;
  json: string | null;
  verbose: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    handovers: 3,
    settleMs: 2000,
    periodUs: 250,
    tcpKbit: 4000,
    spinUs: null,
    name: 'dmm',
    json: null,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (lo: number, hi: number): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < lo || v > hi) throw new Error(`${a}: ${lo}..${hi}`);
      return v;
    };
    if (a === '--handovers') o.handovers = num(1, 3);
    else if (a === '--settle') o.settleMs = num(500, 60_000);
    else if (a === '--period-us') o.periodUs = num(50, 1_000_000);
    else if (a === '--tcp-kbit') o.tcpKbit = num(8, 1_000_000);
    else if (a === '--spin-us') o.spinUs = num(0, 1_000_000);
    else if (a === '--name') {
      o.name = argv[++i] ?? '';
      if (!/^[a-z0-9-]{1,32}$/.test(o.name)) throw new Error('--name: 1..32 of a-z, 0-9, -');
    } else if (a === '--json') o.json = argv[++i] ?? '';
    else if (a === '--verbose') o.verbose = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const print = (line = ''): void => void process.stdout.write(line + '\n');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(o: Options): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'demo: needs root (network namespaces, bridges and TAP devices need CAP_NET_ADMIN)\n',
    );
    return 1;
  }
  const workDir = o.name === 'dmm' ? null : mkdtempSync(join(tmpdir(), 'dmml-demo-'));
  const run = new HandoverRun({
    name: o.name,
    ...(workDir ? { workDir } : {}),
    periodUs: o.periodUs,
    tcpKbit: o.tcpKbit,
    spinUs: o.spinUs,
    settleMs: o.settleMs,
    ...(o.verbose ? { log: (l: string) => print(`           lab: ${l}`) } : {}),
  });
  const abort = new AbortController();
  let phase: 'up' | 'running' | 'down' = 'up';
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(130);
    process.stderr.write(`\ndemo: ${sig}: removing the lab (again to leave it as it is)\n`);
    abort.abort();
    // while `up` runs, it removes what it built itself and main's `finally` does the rest
    if (phase === 'running') {
      void run
        .down()
        .catch((e: Error) => process.stderr.write(`demo: ${e.message}\n`))
        .finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  print('dmm-router demo: a Linux mobile node walked across three distributed gateways (D-GWs)');
  print();
  for (const l of DRAWING) print(l);
  print();
  print('Each D-GW delegates the node a /64 of its own pool and anchors it: when the node');
  print('moves on, the new D-GW tunnels each earlier prefix back to its anchor and impersonates');
  print('the earlier routers (DLIFs), so sessions started from an old address keep going while');
  print('new ones use the newest prefix. Times are ms since the demo started.');
  const records: HandoverRecord[] = [];
  try {
    print();
    print(`== The lab (${run.lab.topology.file})`);
    print(at(run.now(), `dmm-lab up: namespaces ${run.lab.prefix}-*, 5 bridges, 3 dmmd`));
    await run.up(abort.signal);
    phase = 'running';
    if (run.staleRemoved.length > 0) {
      print(at(run.now(), `removed what a previous run left: ${run.staleRemoved.join(', ')}`));
    }
    const routers = [1, 2, 3].map((i) => `${dgwName(i)} pid ${run.lab.router(dgwName(i)).pid}`);
    print(at(run.now(), `lab up: ${routers.join(', ')}; sockets in ${run.lab.runtimeDir}`));
    print(at(run.now(), `mn:eth0 on access1 has ${nodeAddress(1)} (SLAAC, dgw1's RA)`));

    print();
    print(`== Traffic from the node's first address, ${nodeAddress(1)}`);
    await run.startTraffic();
    print(
      at(
        run.trafficStart,
        `echo servers: cn [${CN}] UDP ${UDP_PORT} + TCP ${TCP_PORT}, lh [${LH}] UDP ${UDP_PORT}`,
      ),
    );
    print(
      at(
        run.trafficStart,
        `mn: UDP probe to cn every ${run.periodUs} µs (${run.spinUs === null ? 'a busy-waiting sender thread' : `a sender thread that sleeps until ${run.spinUs} µs before each send`}), ` +
          `TCP stream at ${run.tcpKbit / 1000} Mbit/s echoed by cn`,
      ),
    );
    print(at(run.trafficStart, `mn: ping -6 -i 0.01 -I ${nodeAddress(1)} ${CN}`));
    await sleep(1250);
    const b = run.summarise(await run.window(run.trafficStart + 100, run.now() - 250), 0);
    print(
      at(
        run.now(),
        `baseline over 1 s: ${b.probe.sent} sent, ${b.probe.lost} lost, RTT median ` +
          `${fmtMs(b.probe.rttMedianMs, 2)} ms; TCP ${fmtBytes(b.stream.bytesBefore + b.stream.bytesAfter)} echoed`,
      ),
    );

    const walk = [2, 3, 1].slice(0, o.handovers);
    for (const [k, to] of walk.entries()) {
      print();
      const from = run.serving;
      print(
        `== Handover ${k + 1} of ${walk.length}: ${dgwName(from)} → ${dgwName(to)} ` +
          `(${accessLink(from)} → ${accessLink(to)}${run.visited.includes(to) ? ', back to the first anchor' : ', first visit'})`,
      );
      const r = await run.handover(to);
      records.push(r);
      for (const l of timeline(r)) print(l);
      print();
      for (const l of stateTables(r)) print(l);
    }

    print();
    print('== Summary');
    for (const l of summary(records)) print(l);
    print();
    for (const l of LEGEND) print(l);
    const ok = records.every((r) => r.survived.udp && r.survived.tcp && r.survived.lh);
    print();
    print(
      ok
        ? `Every session survived ${records.length} handover${records.length > 1 ? 's' : ''}.`
        : 'A session did NOT survive: see the tables above.',
    );
    return ok ? 0 : 1;
  } catch (e) {
    if (abort.signal.aborted) return 130;
    process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    const logs = [1, 2, 3].map((i) => run.lab.router(dgwName(i)).log);
    process.stderr.write(`demo: the D-GWs' logs stay in ${logs.join(', ')}\n`);
    return 1;
  } finally {
    if (o.json) {
      writeFileSync(
        o.json,
        JSON.stringify({ records, figures: records.map(figures) }, null, 1) + '\n',
      );
    }
    phase = 'down';
    print();
    print(at(run.now(), 'removing the lab (dmm-lab down)'));
    try {
      await run.down();
    } catch (e) {
      process.stderr.write(`demo: removing the lab: ${(e as Error).message}\n`);
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

let opts: Options;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`demo: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
process.exit(await main(opts));
