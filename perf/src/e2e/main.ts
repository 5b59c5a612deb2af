/**
 * `pnpm --filter @dmm/perf e2e [options]` (root): end-to-end forwarding comparison.
 *
 * Measures, side by side in one run on one machine, the kernel's IPv6 forwarding between
 * veths (with default offloads and with offloads off), the C TAP forwarder perf/c/tapfwd.c
 * (batched and one frame per wakeup) and the Node TAP forwarder of examples/tap-forwarder
 * (batched and --rx-budget 1), and dmmd, the whole router, on two TAP links:
 * 64-byte-payload UDP frames per second arriving in ns B, and iperf3 TCP Mbit/s. Each
 * measurement is repeated, the median reported. Prints a markdown table on stdout and
 * appends one JSON line per path to perf/results/e2e-<date>.jsonl. See perf/README.md.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, release } from 'node:os';
import { dirname, join } from 'node:path';
import { cpuModel } from '../bench/run.js';
import { PERF_DIR, ensureBuilt } from './cbuild.js';
import {
  DMMCTL,
  dmmdArgv,
  formatRouterReport,
  phaseReport,
  parseShowRuntime,
  type RouterSnapshot,
} from './dmmd.js';
import { forwarderArgv, type Tools } from './forwarders.js';
import { Lab } from './lab.js';
import {
  FRAME_LEN,
  UDP_PAYLOAD,
  measureTcp,
  measureUdp,
  verifyPath,
  type Cpus,
} from './measure.js';
import { kernelTopology, tapTopology, type Topology } from './net.js';
import { E2E_USAGE, UsageError, parseE2eArgs, type E2eOptions } from './options.js';
import { PATHS, type PathId } from './paths.js';
import {
  DMMD_CONFIG,
  DMMD_DIR,
  dmmctl,
  routerSnapshot,
  routerTopology,
  verifyRouted,
} from './router.js';
import {
  DISTURBED,
  cpuBusy,
  formatInt,
  formatTable,
  parseProcStat,
  summarise,
  type PathMeasurement,
  type PathSummary,
  type RunContext,
} from './results.js';
import { sleep, stopChild, which } from './sys.js';
import {
  removeTunnelFiles,
  tunnelMissing,
  tunnelReport,
  tunnelTopology,
  verifyTunnel,
} from './tunnel.js';

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** Attempts per measurement while other work disturbs it (the last one is kept). */
const MAX_ATTEMPTS = 3;

/** A warning suffix when other processes took a noticeable share of a CPU. */
const disturbed = (other: number): string =>
  Number.isFinite(other) && other > DISTURBED
    ? ` — WARNING: other processes used ${pct(other)} of a CPU meanwhile`
    : '';

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

async function measurePath(
  lab: Lab,
  path: PathId,
  opts: E2eOptions,
  tools: Tools,
  cpus: Cpus,
): Promise<PathMeasurement> {
  const m: PathMeasurement = {
    path,
    status: 'ok',
    pps: [],
    discarded: 0,
    generatorPps: [],
    generatorRefused: [],
    fwdCpuBusy: [],
    genCpuBusy: [],
    otherCpu: [],
    tcpMbps: [],
    tcpRetransmits: [],
    notes: [],
  };
  const tag = `[${path}]`;
  const info = PATHS[path];
  let topo: Topology | null = null;
  /** dmmd path: readings of its counters after the setup check, after UDP, after TCP. */
  const snaps = new Map<Phase, RouterSnapshot>();
  const mark = (p: Phase): void => {
    if (topo?.router !== undefined) snaps.set(p, routerSnapshot(topo.router));
  };
  try {
    if (info.kind === 'tap') {
      const argv = forwarderArgv(path, tools);
      if (!Array.isArray(argv)) {
        m.status = 'missing';
        m.reason = argv.missing;
        log(`${tag} MISSING: ${argv.missing}`);
        return m;
      }
      topo = await tapTopology(lab, path, {
        argv,
        label: info.label,
        fwdCpu: cpus.fwd,
        ethtool: tools.ethtool,
      });
    } else if (info.kind === 'router') {
      const argv = dmmdArgv(DMMD_CONFIG, opts.dmmdNodeFlags);
      if (!Array.isArray(argv)) {
        m.status = 'missing';
        m.reason = argv.missing;
        log(`${tag} MISSING: ${argv.missing}`);
        return m;
      }
      topo = await routerTopology(lab, path, {
        argv,
        dmmctl: DMMCTL,
        label: info.label,
        fwdCpu: cpus.fwd,
        ethtool: tools.ethtool,
        offload: path === 'dmmd-offload',
      });
    } else if (info.kind === 'tunnel') {
      const missing = tunnelMissing(path, tools.ethtool);
      if (missing !== null) {
        m.status = 'missing';
        m.reason = missing;
        log(`${tag} MISSING: ${missing}`);
        return m;
      }
      topo = await tunnelTopology(lab, path, {
        fwdCpu: cpus.fwd,
        ethtool: tools.ethtool,
        dmmdNodeFlags: opts.dmmdNodeFlags,
      });
    } else {
      const offloadsOff = path === 'kernel-offloads-off';
      if (offloadsOff && tools.ethtool === null) {
        m.status = 'missing';
        m.reason = 'ethtool is not installed (apt-get install ethtool)';
        log(`${tag} MISSING: ${m.reason}`);
        return m;
      }
      topo = kernelTopology(lab, path, { offloadsOff, fwdCpu: cpus.fwd, ethtool: tools.ethtool });
    }
    m.notes.push(...topo.notes);
    if (topo.router !== undefined) {
      await verifyRouted(lab, topo, tools.udpgen, tools.tshark, (c) => {
        m.notes.push(c);
        log(`${tag} ${c}`);
      });
      mark('check');
    } else if (info.kind === 'tunnel') {
      for (const c of await verifyTunnel(topo, tools.udpgen)) {
        m.notes.push(c);
        log(`${tag} ${c}`);
      }
    } else {
      const check = await verifyPath(topo, tools.udpgen);
      m.notes.push(check);
      log(`${tag} ${check}`);
    }
    for (let r = 1; opts.udp && r <= opts.repeat; r++) {
      let s = await measureUdp(lab, topo, tools.udpgen, opts, cpus);
      for (let attempt = 2; s.otherCpu > DISTURBED && attempt <= MAX_ATTEMPTS; attempt++) {
        m.discarded++;
        log(
          `${tag} udp ${r}/${opts.repeat}: ${formatInt(s.pps)} pps, disturbed${disturbed(s.otherCpu)}: again`,
        );
        s = await measureUdp(lab, topo, tools.udpgen, opts, cpus);
      }
      m.pps.push(s.pps);
      m.generatorPps.push(s.generator.pps);
      m.generatorRefused.push(s.generator.errors);
      if (Number.isFinite(s.fwdCpuBusy)) m.fwdCpuBusy.push(s.fwdCpuBusy);
      if (Number.isFinite(s.genCpuBusy)) m.genCpuBusy.push(s.genCpuBusy);
      if (Number.isFinite(s.otherCpu)) m.otherCpu.push(s.otherCpu);
      const busy = Number.isFinite(s.fwdCpuBusy)
        ? `; cpu busy: generator ${pct(s.genCpuBusy)}, forwarding ${pct(s.fwdCpuBusy)}`
        : '';
      log(
        `${tag} udp ${r}/${opts.repeat}: ${formatInt(s.pps)} pps received ` +
          `(generator ${formatInt(s.generator.pps)} pps accepted, ${s.generator.errors} sends refused${busy})` +
          disturbed(s.otherCpu),
      );
    }
    if (opts.udp) mark('udp');
    if (opts.tcp) {
      for (let r = 1; r <= opts.repeat; r++) {
        let t = await measureTcp(lab, topo, opts, cpus);
        for (let attempt = 2; t.otherCpu > DISTURBED && attempt <= MAX_ATTEMPTS; attempt++) {
          m.discarded++;
          log(
            `${tag} tcp ${r}/${opts.repeat}: ${formatInt(t.mbps)} Mbit/s, disturbed${disturbed(t.otherCpu)}: again`,
          );
          t = await measureTcp(lab, topo, opts, cpus);
        }
        m.tcpMbps.push(t.mbps);
        m.tcpRetransmits.push(t.retransmits);
        if (Number.isFinite(t.otherCpu)) m.otherCpu.push(t.otherCpu);
        log(
          `${tag} tcp ${r}/${opts.repeat}: ${formatInt(t.mbps)} Mbit/s (${t.retransmits} retransmits)` +
            disturbed(t.otherCpu),
        );
      }
    }
    if (opts.tcp) mark('tcp');
  } catch (e) {
    m.status = 'failed';
    m.reason = (e as Error).message;
    log(`${tag} FAILED: ${m.reason}`);
  } finally {
    if (topo?.router !== undefined && snaps.has('check')) {
      try {
        // After a failure, the phase it interrupted ends here (dmmd still runs).
        if (topo.forwarder?.exitCode === null) {
          if (opts.udp && !snaps.has('udp')) mark('udp');
          else if (opts.tcp && !snaps.has('tcp')) mark('tcp');
        }
        routerReport(m, topo.router, snaps);
      } catch (e) {
        m.notes.push(`dmmd counters not read: ${(e as Error).message}`);
      }
    }
    if (info.kind === 'tunnel' && topo !== null) {
      try {
        for (const n of tunnelReport(topo)) {
          m.notes.push(n);
          log(`${tag} ${n}`);
        }
      } catch (e) {
        m.notes.push(`tunnel counters not read: ${(e as Error).message}`);
      }
    }
    const fwd = topo?.forwarder;
    if (fwd) {
      const code = await stopChild(fwd);
      const tail = fwd.stderr.trim().split('\n').slice(-1)[0];
      if (tail) m.notes.push(`forwarder said: ${tail}`);
      if (code !== 0) {
        m.notes.push(`forwarder exited with ${code} after SIGTERM (the contract says 0)`);
        log(`${tag} WARNING: forwarder exited with ${code} after SIGTERM`);
      }
    }
    await lab.stopAll();
    lab.deleteNamespaces();
    if (info.kind === 'router') rmSync(DMMD_DIR, { recursive: true, force: true });
    if (info.kind === 'tunnel') removeTunnelFiles();
  }
  return m;
}

type Phase = 'check' | 'udp' | 'tcp';

/**
 * The dmmd row's report from its readings after the setup check, after the UDP
 * measurements and after TCP (dmmd still running). Warns when Neighbor Discovery ran
 * during the measurements.
 */
function routerReport(
  m: PathMeasurement,
  ctl: NonNullable<Topology['router']>,
  snaps: ReadonlyMap<Phase, RouterSnapshot>,
): void {
  const check = snaps.get('check')!;
  const udp = snaps.get('udp');
  const tcp = snaps.get('tcp');
  const last = tcp ?? udp ?? check;
  m.router = {
    udp: udp === undefined ? null : phaseReport(check, udp),
    tcp: tcp === undefined ? null : phaseReport(udp ?? check, tcp),
    pool: last.counters.pool,
    vectorSizes: parseShowRuntime(dmmctl(ctl, 'show runtime')),
  };
  const notes = formatRouterReport(m.router);
  const nd = [m.router.udp, m.router.tcp].some(
    (p) => p !== null && Object.keys(p.ndMessages).length > 0,
  );
  if (nd)
    notes.push('WARNING: Neighbor Discovery messages crossed the links during the measurements');
  m.notes.push(...notes);
  for (const n of notes) log(`[${m.path}] ${n}`);
}

function markdownReport(rows: PathSummary[], ctx: RunContext, opts: E2eOptions): string {
  const out: string[] = [];
  out.push(
    `End-to-end forwarding, ${ctx.date}: ${ctx.cpu}, ${ctx.nproc} CPUs, Linux ${ctx.kernel}, Node ${ctx.node}.`,
  );
  const udp = opts.udp
    ? `UDP: ${ctx.frameLen}-byte frames (${ctx.udpPayload}-byte payload), ${opts.warmup} s warm-up + ${opts.duration} s window`
    : 'UDP: not run';
  const tcp = opts.tcp ? `TCP: iperf3 ${opts.duration} s` : 'TCP: not run';
  out.push(
    `${udp}; ${tcp}; median of ${opts.repeat}. ${ctx.pinning}. ` +
      `Busiest CPU before the run: ${pct(ctx.backgroundBusy)} busy.`,
  );
  out.push('');
  out.push(formatTable(rows, opts.tcp));
  out.push('');
  for (const r of rows) {
    const gen =
      r.generatorPpsMedian === null
        ? ''
        : `; generator accepted ${formatInt(r.generatorPpsMedian)} pps`;
    const busy =
      r.fwdCpuBusyMedian === null
        ? ''
        : `; forwarding CPU ${pct(r.fwdCpuBusyMedian)} busy${r.generatorBound ? ' (generator-bound: pps is a lower bound)' : ''}`;
    const why = r.reason ? `; ${r.status}: ${r.reason}` : '';
    const other =
      r.otherCpuMax !== null && r.otherCpuMax > DISTURBED
        ? `; DISTURBED: other processes used up to ${pct(r.otherCpuMax)} of a CPU during a kept measurement`
        : '';
    const again = r.discarded > 0 ? `; ${r.discarded} disturbed measurements taken again` : '';
    out.push(
      `- ${r.label}${gen}${busy}${other}${again}${why}${r.notes.length ? `; ${r.notes.join('; ')}` : ''}`,
    );
  }
  return out.join('\n');
}

/** Busy fraction of the busiest CPU over one second (nothing of ours running). */
async function backgroundBusy(nproc: number): Promise<number> {
  const s0 = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  await sleep(1000);
  const s1 = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  let max = 0;
  for (let c = 0; c < nproc; c++) {
    const b = cpuBusy(s0, s1, c);
    if (Number.isFinite(b)) max = Math.max(max, b);
  }
  return max;
}

async function main(): Promise<number> {
  let opts: E2eOptions;
  try {
    opts = parseE2eArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      log(`e2e: ${e.message}\n${E2E_USAGE}`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(`${E2E_USAGE}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    log('e2e: needs root (network namespaces, TAP devices, raw sockets); run it as root');
    return 2;
  }
  for (const tool of ['ip', 'gcc', 'sysctl']) {
    if (which(tool) === null) {
      log(`e2e: ${tool} is not installed`);
      return 2;
    }
  }
  if (opts.tcp && which('iperf3') === null) {
    log('e2e: iperf3 is not installed (apt-get install iperf3), or pass --no-tcp');
    return 2;
  }

  const lab = new Lab();
  const onSignal = (sig: NodeJS.Signals, code: number) => () => {
    log(`e2e: ${sig}: cleaning up`);
    lab.cleanupSync();
    process.exit(code);
  };
  process.on('SIGINT', onSignal('SIGINT', 130));
  process.on('SIGTERM', onSignal('SIGTERM', 143));
  process.on('SIGHUP', onSignal('SIGHUP', 129));
  process.on('exit', () => lab.cleanupSync());

  const removed = lab.recoverStale();
  if (removed.length > 0) log(`e2e: removed leftovers of an earlier run: ${removed.join(', ')}`);

  const tools: Tools = {
    udpgen: ensureBuilt('udpgen'),
    tapfwd: ensureBuilt('tapfwd'),
    ethtool: which('ethtool'),
    tshark: which('tshark'),
  };
  const nproc = availableParallelism();
  const taskset = which('taskset') !== null;
  const cpus: Cpus = nproc >= 2 && taskset ? { gen: 0, fwd: 1 } : { gen: null, fwd: null };
  const pinning =
    cpus.gen === null
      ? `no CPU pinning (${nproc < 2 ? 'one CPU' : 'taskset not installed'})`
      : `pinned with taskset: generator and iperf3 on cpu${cpus.gen}, forwarder on cpu${cpus.fwd}`;
  log(`e2e: ${pinning}`);
  if (tools.ethtool === null)
    log('e2e: ethtool is not installed: the "kernel, offloads off" line is skipped');
  if (tools.tshark === null && opts.only.includes('dmmd'))
    log(
      "e2e: tshark is not installed: dmmd's rewrite (MACs, hop limit) is not checked by a capture",
    );

  const background = await backgroundBusy(nproc);
  if (background > 0.1) {
    log(
      `e2e: WARNING: a CPU was ${pct(background)} busy before the run: other work will skew the figures`,
    );
  }
  const ctx: RunContext = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpuModel(),
    nproc,
    kernel: release(),
    durationS: opts.duration,
    warmupS: opts.warmup,
    repeat: opts.repeat,
    udpPayload: UDP_PAYLOAD,
    frameLen: FRAME_LEN,
    pinning,
    backgroundBusy: background,
  };

  const measured: PathMeasurement[] = [];
  for (const path of opts.only) {
    log(`e2e: measuring ${PATHS[path].label}`);
    measured.push(await measurePath(lab, path, opts, tools, cpus));
  }
  const rows = summarise(measured);
  process.stdout.write(`${markdownReport(rows, ctx, opts)}\n`);

  if (opts.save) {
    const file = opts.out ?? join(PERF_DIR, 'results', `e2e-${ctx.date.slice(0, 10)}.jsonl`);
    mkdirSync(dirname(file), { recursive: true });
    for (const r of rows)
      appendFileSync(file, `${JSON.stringify({ ...r, ...ctx, udp: opts.udp, tcp: opts.tcp })}\n`);
    log(`e2e: appended ${rows.length} lines to ${file}`);
  }
  lab.cleanupSync();
  const failed = rows.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    log(`e2e: FAILED paths: ${failed.map((r) => r.path).join(', ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`e2e: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
