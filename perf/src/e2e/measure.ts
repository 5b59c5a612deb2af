/**
 * Measurements on a built topology: a setup check (probe frames must arrive), UDP frame
 * rate (generator in A, rx counter of B's interface over a window after a warm-up), and TCP
 * throughput (iperf3 client in A, server in B).
 */
import type { Lab } from './lab.js';
import type { Topology } from './net.js';
import { readFileSync } from 'node:fs';
import {
  cpuBusy,
  otherUserCpu,
  parseCounter,
  parsePidStat,
  parseProcStat,
  parseIperf3Json,
  parseUdpgenOutput,
  rate,
  type IperfResult,
  type UdpgenResult,
} from './results.js';
import { inNs, must, pinned, run, sleep, stopChild, waitExit } from './sys.js';

/** UDP payload of every generated frame (126-byte frames with Ethernet, IPv6 and UDP). */
export const UDP_PAYLOAD = 64;
export const FRAME_LEN = 14 + 40 + 8 + UDP_PAYLOAD;
/** Probe frames of the setup check. */
export const PROBE_FRAMES = 1000;

export interface Cpus {
  /** CPU of the generator and both iperf3 ends (null: no pinning). */
  gen: number | null;
  /** CPU of the forwarder (null: no pinning). */
  fwd: number | null;
}

export interface MeasureOptions {
  duration: number;
  warmup: number;
}

/**
 * Watches how much user-space CPU other processes take during a measurement: a reading
 * at the start and one at the end, minus what we used — this process, its children it has
 * reaped (cutime), and the live processes given by pid (ours, still running).
 */
export class OtherWork {
  private readonly pids: number[];
  private readonly stat0 = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  private readonly ours0: number;

  constructor(pids: readonly (number | undefined)[]) {
    this.pids = pids.filter((p): p is number => p !== undefined);
    this.ours0 = this.oursNow();
  }

  private oursNow(): number {
    const self = parsePidStat(readFileSync('/proc/self/stat', 'utf8'));
    let sum = self.utime + self.cutime;
    for (const pid of this.pids) {
      try {
        sum += parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).utime;
      } catch {
        // reaped since: its time is in our cutime now
      }
    }
    return sum;
  }

  /** Fraction of one CPU used by other processes since construction. */
  stop(): number {
    const stat1 = parseProcStat(readFileSync('/proc/stat', 'utf8'));
    return otherUserCpu(this.stat0, stat1, this.oursNow() - this.ours0);
  }
}

/** Reads B's rx_packets inside ns B; the time is the midpoint of the read. */
export function readRxCounter(topo: Topology): { count: number; t: bigint } {
  const t0 = process.hrtime.bigint();
  const out = must(inNs(topo.b.ns, ['cat', `/sys/class/net/${topo.b.dev}/statistics/rx_packets`]));
  const t1 = process.hrtime.bigint();
  return { count: parseCounter(out), t: (t0 + t1) / 2n };
}

export function generatorArgv(topo: Topology, udpgen: string, extra: string[]): string[] {
  return [
    udpgen,
    '--dev',
    topo.a.dev,
    '--src-mac',
    topo.a.mac,
    '--dst-mac',
    topo.nextHopMac,
    '--src',
    topo.a.ip,
    '--dst',
    topo.b.ip,
    '--payload',
    String(UDP_PAYLOAD),
    ...extra,
  ];
}

/** The path's forwarding processes. */
function forwarderPids(topo: Topology): (number | undefined)[] {
  return [topo.forwarder?.proc.pid, ...(topo.others ?? []).map((c) => c.proc.pid)];
}

/** Throws when the path's forwarder process (or another of the path's processes) has died. */
export function assertForwarderAlive(topo: Topology): void {
  for (const f of [topo.forwarder, ...(topo.others ?? [])]) {
    if (f !== null && f.exitCode !== null) {
      throw new Error(`${f.what} exited with ${f.exitCode}: ${f.stderr.trim().slice(-500)}`);
    }
  }
}

/**
 * The setup check: PROBE_FRAMES frames from A must show up in B's rx counter within 3 s
 * (at least 99% of them). Fails loudly with what was seen rather than letting a broken
 * path report zeros.
 */
export async function verifyPath(topo: Topology, udpgen: string): Promise<string> {
  assertForwarderAlive(topo);
  const c0 = readRxCounter(topo).count;
  const gen = run(inNs(topo.a.ns, generatorArgv(topo, udpgen, ['--count', String(PROBE_FRAMES)])));
  if (gen.code !== 0) throw new Error(`probe generator failed: ${gen.stderr.trim()}`);
  const g = parseUdpgenOutput(gen.stdout);
  let seen = 0;
  for (let i = 0; i < 30; i++) {
    seen = readRxCounter(topo).count - c0;
    if (seen >= PROBE_FRAMES * 0.99) break;
    await sleep(100);
  }
  if (seen < PROBE_FRAMES * 0.99) {
    throw new Error(
      `setup check failed: ${g.sent} probe frames sent on ${topo.a.ns}/${topo.a.dev} ` +
        `(${g.errors} refused), ${topo.b.ns}/${topo.b.dev} received ${seen}`,
    );
  }
  assertForwarderAlive(topo);
  return `setup check: ${g.sent} probe frames sent, ${seen} received in ${topo.b.ns}`;
}

export interface UdpSample {
  pps: number;
  generator: UdpgenResult;
  /** Busy fraction of the generator's and the forwarder's CPU in the window (NaN: unpinned). */
  genCpuBusy: number;
  fwdCpuBusy: number;
  /** User CPU of other processes in the window, fraction of one CPU. */
  otherCpu: number;
}

/** One UDP measurement: generator for warmup + duration + 0.5 s, window of `duration`. */
export async function measureUdp(
  lab: Lab,
  topo: Topology,
  udpgen: string,
  o: MeasureOptions,
  cpus: Cpus,
): Promise<UdpSample> {
  const total = o.warmup + o.duration + 0.5;
  const argv = inNs(
    topo.a.ns,
    pinned(cpus.gen, generatorArgv(topo, udpgen, ['--seconds', String(total)])),
  );
  const gen = lab.start(argv, 'udpgen');
  await sleep(o.warmup * 1000);
  const other = new OtherWork([gen.proc.pid, ...forwarderPids(topo)]);
  const s0 = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  const r0 = readRxCounter(topo);
  await sleep(o.duration * 1000);
  const r1 = readRxCounter(topo);
  const s1 = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  const otherCpu = other.stop();
  const code = await waitExit(gen, (total + 10) * 1000);
  if (code === null) {
    await stopChild(gen);
    throw new Error('udpgen did not stop on time');
  }
  if (code !== 0) throw new Error(`udpgen exited with ${code}: ${gen.stderr.trim()}`);
  assertForwarderAlive(topo);
  const pps = rate(r0.count, r0.t, r1.count, r1.t);
  if (pps <= 0) throw new Error('no frame reached B during the measurement window');
  return {
    pps,
    generator: parseUdpgenOutput(gen.stdout),
    genCpuBusy: cpus.gen === null ? NaN : cpuBusy(s0, s1, cpus.gen),
    fwdCpuBusy: cpus.fwd === null ? NaN : cpuBusy(s0, s1, cpus.fwd),
    otherCpu,
  };
}

/** One iperf3 TCP test from A to B (receiver-side Mbit/s), and the other work during it. */
export async function measureTcp(
  lab: Lab,
  topo: Topology,
  o: MeasureOptions,
  cpus: Cpus,
  port = 5201,
): Promise<IperfResult & { otherCpu: number }> {
  const server = lab.start(
    inNs(topo.b.ns, pinned(cpus.gen, ['iperf3', '-s', '-1', '-p', String(port)])),
    'iperf3 server',
  );
  const omit = o.duration >= 2 ? 1 : 0;
  const clientArgv = inNs(
    topo.a.ns,
    pinned(cpus.gen, [
      'iperf3',
      '-c',
      topo.b.ip,
      '-p',
      String(port),
      '-t',
      String(o.duration),
      '-O',
      String(omit),
      '--connect-timeout',
      '3000',
      '-J',
    ]),
  );
  try {
    await sleep(300);
    for (let attempt = 1; ; attempt++) {
      if (server.exitCode !== null) {
        throw new Error(`iperf3 server exited with ${server.exitCode}: ${server.stderr.trim()}`);
      }
      const client = lab.start(clientArgv, 'iperf3 client');
      const other = new OtherWork([client.proc.pid, server.proc.pid, ...forwarderPids(topo)]);
      const code = await waitExit(client, (o.duration + omit + 20) * 1000);
      const otherCpu = other.stop();
      if (code === null) {
        await stopChild(client);
        throw new Error('iperf3 client did not finish on time (the path stalled)');
      }
      try {
        const res = parseIperf3Json(client.stdout);
        assertForwarderAlive(topo);
        return { ...res, otherCpu };
      } catch (e) {
        const msg = (e as Error).message;
        if (attempt < 10 && /Connection refused/.test(msg)) {
          await sleep(200); // the server was not listening yet
          continue;
        }
        throw e;
      }
    }
  } finally {
    if ((await waitExit(server, 3000)) === null) await stopChild(server);
  }
}
