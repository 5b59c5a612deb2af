/**
 * A handover run on the examples/dmm lab (docs/dgw.md, docs/lab.md): the lab up, the
 * traffic from the node's first address (agent.ts: a UDP probe every 250 µs echoed by the
 * correspondent and a TCP stream through the correspondent's echo; and a plain `ping`
 * every 10 ms), and handovers — each a layer-2 move of the node's interface (`Lab.move`,
 * what `dmm-lab move` does) and the L2 trigger to the new D-GW (`attach --mn … --mac …` on
 * its control socket, what `dmmctl attach` sends), sent the moment the kernel reports the
 * node's bridge port on the new link (`ip monitor link` in the switch namespace: what an
 * access point's association event would be) — each measured: the probe's loss and
 * outage, the ping's loss, the TCP stream's bytes before and after, the host on D-GW1's
 * local network, the node's addresses, the serving D-GW's bindings, tunnels and its own
 * handover timings.
 *
 * Shared by the demo (demo.ts), its test and the perf harness (`@dmm/perf` handover).
 *
 * ```ts
 * const run = new HandoverRun({ name: 'dmm-x', workDir: '/tmp/x' });
 * try {
 *   await run.up();
 *   await run.startTraffic();
 *   const h = await run.handover(2);     // D-GW1 → D-GW2
 *   console.log(h.probe.outageMs, h.survived);
 * } finally {
 *   await run.down();
 * }
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ControlClient, Lab, type AddressInfo } from '@dmm/cli';
import type { ProbeWindow, StreamWindow } from './ring.js';

/** examples/dmm (this file is examples/dmm/dist/src/handover.js). */
export const EXAMPLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENT = fileURLToPath(new URL('./agent.js', import.meta.url));

export const MN_ID = 'mn@example.net';
export const MN_MAC = '02:00:00:00:0a:01';
export const CN = 'fd00:100::99';
export const LH = '2001:db8:99::10';
export const UDP_PORT = 7000;
export const TCP_PORT = 7001;
/** The node's SLAAC address from D-GW i's first /64 (EUI-64 of MN_MAC, RFC 4291 App. A). */
export const nodeAddress = (i: number): string => `2001:db8:${i}::ff:fe00:a01`;
export const nodePrefix = (i: number): string => `2001:db8:${i}::/64`;
export const accessLink = (i: number): string => `access${i}`;
export const dgwName = (i: number): string => `dgw${i}`;

export interface RunOptions {
  /**
   * The lab's name. `dmm` (the default) runs examples/dmm as it is, with its runtime files
   * (sockets, logs, the context store) in `<repo>/.lab/dmm`, where the README's commands
   * find them. Any other name runs a copy of the topology and D-GW configs written to
   * `workDir`, its runtime files and context store in `workDir/runtime/<name>`.
   */
  name?: string;
  workDir?: string;
  /** Probe period (default 250 µs). */
  periodUs?: number;
  /** TCP stream rate (default 4000 kbit/s). */
  tcpKbit?: number;
  /** How long after each L2 trigger the handover's window stays open (default 2000 ms). */
  settleMs?: number;
  /** Nice value of the probe's sender thread (default: inherited). */
  senderNice?: number | null;
  /**
   * null (default): the probe's sender busy-waits the whole period. A number: it sleeps
   * until that many µs before each send and busy-waits only the rest.
   */
  spinUs?: number | null;
  /** Progress lines of the lab. */
  log?: (line: string) => void;
  /** Another dmmd entry point (Lab's `dmmd`: e.g. a wrapper that profiles it). */
  dmmd?: string;
}

/** `attach`'s answer (plugins/dgw). */
export interface AttachReply {
  mn: string;
  mac: string;
  state: string;
  prefixes: { prefix: string; anchor: string; role: string; state: string }[];
}

/** A row of `show bindings` (plugins/dgw). */
export interface BindingRow {
  mn: string;
  mac: string | null;
  prefix: string;
  anchor: string;
  role: string;
  servingDgw: string | null;
  dlif: string | null;
  tunnel: number | null;
  lifetimeLeft: number | null;
  state: string;
}

/** A row of `show tunnels` (packages/tunnel). */
export interface TunnelRow {
  id: number;
  local: string;
  remote: string;
  refs: number;
  mtu: number;
  encap: { packets: number; bytes: number };
  decap: { packets: number; bytes: number };
  drops: Record<string, number>;
}

/** One entry of `show dgw`'s `recent` handover timings (ms from the D-GW's L2 trigger). */
export interface DgwTiming {
  node: string;
  anchor: string;
  cause: string;
  pbuSentMs: number;
  pbaMs: number;
  firstPacketMs: number | null;
  firstDirection: string | null;
}

interface DgwStatsLite {
  handovers: number;
  timings: { triggerToPba: { count: number } };
  /** The last ten, oldest first; one is added per anchor link at its first PBA. */
  recent: DgwTiming[];
}

export interface ReachResult {
  addr: string;
  source: string;
  sent: number;
  answered: number;
  rttMs: number[];
}

/** The probe around one handover, in ms (times: since the run started). */
export interface ProbeSummary {
  sent: number;
  answered: number;
  lost: number;
  /** The longest gap between two answered datagrams (send times): the outage. */
  outageMs: number;
  /** Send time of the last datagram answered before the outage, and of the first after. */
  outageFrom: number;
  outageTo: number;
  /** Datagrams lost inside the outage. */
  outageLost: number;
  /** When the first answered datagram after the outage came back. */
  outageEndEcho: number;
  /** Every gap of 1 ms or more with loss in it (the outage among them), in time order. */
  lossyGaps: { from: number; to: number; lost: number }[];
  /** The longest time with no echo arriving at the node. */
  silenceMs: number;
  /** The sender thread's longest pause between two datagrams (a busy machine). */
  maxSendGapMs: number;
  /**
   * Its longest pause from the move's start to the path's return (or the trigger, if
   * later): the probe's actual resolution around the break. A pause longer than the
   * outage hides the outage (nothing was sent to be lost).
   */
  breakSendGapMs: number;
  rttMedianMs: number;
  rttMaxMs: number;
  /** Trigger → the echo of the first datagram sent after the trigger that came back. */
  triggerToFirstEchoMs: number | null;
  /** Share answered in the window's last 500 ms. */
  tailAnsweredShare: number;
}

/** The plain ICMPv6 ping (`ping -i 0.01`) around one handover. */
export interface PingSummary {
  /** Echo replies received in the window. */
  replies: number;
  /** Sequence numbers missing between the first and the last reply of the window. */
  lost: number;
  /** The longest time between two replies (ms). */
  longestGapMs: number;
}

export interface StreamSummary {
  /** Bytes the correspondent echoed back before the move, and from the move to the window's end. */
  bytesBefore: number;
  bytesAfter: number;
  stallMs: number;
  alive: boolean;
  error: string | null;
}

/** Everything measured about one handover. Times in ms since the run started. */
export interface HandoverRecord {
  n: number;
  from: number;
  to: number;
  link: string;
  /** The node had never been served by this D-GW (a new prefix, DAD). */
  firstVisit: boolean;
  times: {
    moveStart: number;
    /** `dmm-lab move` returned (it keeps running after the L2 trigger). */
    moveEnd: number;
    /**
     * The kernel reported the node's bridge port on the new link (`ip monitor link`): the
     * layer-2 attachment, which sends the trigger. null: no event seen (the trigger went
     * when the move returned).
     */
    linkEvent: number | null;
    trigger: number;
    attachReply: number;
    /** The new prefix's address usable (first visit), by polling every 50 ms. */
    addressReady: number | null;
    /** Every address in the state the serving D-GW advertises (newest preferred, others deprecated). */
    addressesSettled: number | null;
    windowEnd: number;
  };
  attach: AttachReply | null;
  attachError: string | null;
  /** The serving D-GW's own timings of this handover, one per anchor it signalled. */
  dgw: DgwTiming[];
  probe: ProbeSummary;
  ping: PingSummary;
  stream: StreamSummary;
  lh: ReachResult;
  addresses: AddressInfo[];
  bindings: BindingRow[];
  tunnels: TunnelRow[];
  survived: { udp: boolean; tcp: boolean; lh: boolean };
}

interface WindowReply {
  probe: ProbeWindow;
  stream: StreamWindow & {
    alive: boolean;
    error: string | null;
    written: number;
    echoed: number;
  };
}

/** The node's agent (agent.ts node …), spoken to over its stdin/stdout. */
class NodeAgent {
  private readonly child: ChildProcess;
  private readonly waiters = new Map<
    number,
    (r: { ok: boolean; result?: unknown; error?: string }) => void
  >();
  private nextId = 1;
  private exited: string | null = null;
  readonly ready: Promise<{ startedAt: number }>;

  constructor(child: ChildProcess) {
    this.child = child;
    let onReady: (v: { startedAt: number }) => void = () => {};
    let onFail: (e: Error) => void = () => {};
    this.ready = new Promise((res, rej) => {
      onReady = res;
      onFail = rej;
    });
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      let m: { id?: number; ready?: boolean; startedAt?: number; ok?: boolean };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        return;
      }
      if (m.ready) onReady({ startedAt: m.startedAt ?? 0 });
      else if (typeof m.id === 'number') {
        this.waiters.get(m.id)?.(m as { ok: boolean });
        this.waiters.delete(m.id);
      }
    });
    child.on('exit', (code, sig) => {
      this.exited = `the node's agent exited (${sig ?? code})`;
      onFail(new Error(this.exited));
      for (const w of this.waiters.values()) w({ ok: false, error: this.exited });
      this.waiters.clear();
    });
  }

  request<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise<T>((res, rej) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        rej(new Error(`the node's agent did not answer ${cmd}`));
      }, timeoutMs);
      this.waiters.set(id, (r) => {
        clearTimeout(timer);
        if (r.ok) res(r.result as T);
        else rej(new Error(`${cmd}: ${r.error}`));
      });
      this.child.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    });
  }

  kill(): void {
    if (this.exited === null) this.child.kill('SIGTERM');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ms = (ns: bigint): number => Number(ns) / 1e6;

/** Writes a copy of examples/dmm named `name` into `dir` (context store in its runtime directory). */
export function writeLabCopy(name: string, dir: string): { topology: string; runtimeRoot: string } {
  const runtimeRoot = join(dir, 'runtime');
  const context = join(runtimeRoot, name, 'context.db');
  mkdirSync(dir, { recursive: true });
  for (const i of [1, 2, 3]) {
    const text = readFileSync(join(EXAMPLE_DIR, `dgw${i}.yaml`), 'utf8');
    const replaced = text.replace('path: ../../.lab/dmm/context.db', `path: ${context}`);
    if (replaced === text) throw new Error(`dgw${i}.yaml: the context store path was not found`);
    writeFileSync(join(dir, `dgw${i}.yaml`), replaced);
  }
  const topo = readFileSync(join(EXAMPLE_DIR, 'topology.yaml'), 'utf8');
  const renamed = topo.replace(/^name: dmm$/m, `name: ${name}`);
  if (renamed === topo) throw new Error('topology.yaml: "name: dmm" was not found');
  const topology = join(dir, 'topology.yaml');
  writeFileSync(topology, renamed);
  return { topology, runtimeRoot };
}

/**
 * The switch namespace's link events (`ip -o monitor link`, one line per netlink message):
 * resolves a waiter when a device shows up as a port of a bridge — the instant the kernel
 * moved it, without waiting for the `ip` processes of the move to exit.
 */
class LinkMonitor {
  private readonly child: ChildProcess;
  private waiters: { re: RegExp; resolve: (at: number | null) => void }[] = [];

  constructor(ns: string, now: () => number) {
    this.child = spawn('ip', ['-n', ns, '-o', 'monitor', 'link'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (line.startsWith('Deleted')) return;
      const at = now();
      this.waiters = this.waiters.filter((w) => {
        if (!w.re.test(line)) return true;
        w.resolve(at);
        return false;
      });
    });
    this.child.on('exit', () => {
      for (const w of this.waiters) w.resolve(null);
      this.waiters = [];
    });
  }

  /** The next event of `dev` as a port of `bridge` (its time), or null after `timeoutMs`. */
  next(dev: string, bridge: string, timeoutMs: number): Promise<number | null> {
    return new Promise((resolve) => {
      const w = {
        re: new RegExp(`^\\d+: ${dev}(@\\S*)?: .* master ${bridge} `),
        resolve: (at: number | null): void => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

/** A plain `ping` from the node: the time each echo reply was read (by sequence number). */
class PingLog {
  readonly replies: { seq: number; at: number }[] = [];

  constructor(child: ChildProcess, now: () => number) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = / icmp_seq=(\d+) /.exec(line);
      if (m) this.replies.push({ seq: Number(m[1]), at: now() });
    });
  }

  /** Replies read in [from, to] (ms since the run started). */
  summary(from: number, to: number): PingSummary {
    const rs = this.replies.filter((r) => r.at >= from && r.at <= to);
    if (rs.length === 0) return { replies: 0, lost: 0, longestGapMs: to - from };
    const seqs = rs.map((r) => r.seq).sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < rs.length; i++) gap = Math.max(gap, rs[i]!.at - rs[i - 1]!.at);
    return {
      replies: rs.length,
      lost: seqs[seqs.length - 1]! - seqs[0]! + 1 - new Set(seqs).size,
      longestGapMs: gap,
    };
  }
}

export class HandoverRun {
  readonly lab: Lab;
  /** The run's time origin (shared monotonic clock, ns). */
  readonly t0 = process.hrtime.bigint();
  readonly periodUs: number;
  readonly tcpKbit: number;
  readonly settleMs: number;
  readonly senderNice: number | null;
  readonly spinUs: number | null;
  /** The D-GW serving the node now (1, 2 or 3). */
  serving = 1;
  readonly visited: number[] = [1];
  readonly records: HandoverRecord[] = [];
  /** Set by up(): what it found and removed first. */
  staleRemoved: string[] = [];
  private readonly clients = new Map<number, ControlClient>();
  private readonly children: ChildProcess[] = [];
  private agent: NodeAgent | null = null;
  private monitor: LinkMonitor | null = null;
  private ping: PingLog | null = null;
  private downing: Promise<void> | null = null;
  trafficStart = 0;

  constructor(opts: RunOptions = {}) {
    const name = opts.name ?? 'dmm';
    this.periodUs = opts.periodUs ?? 250;
    this.tcpKbit = opts.tcpKbit ?? 4000;
    this.settleMs = opts.settleMs ?? 2000;
    this.senderNice = opts.senderNice ?? null;
    this.spinUs = opts.spinUs ?? null;
    const labOpts = {
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.dmmd ? { dmmd: opts.dmmd } : {}),
    };
    if (name === 'dmm') {
      this.lab = Lab.load(join(EXAMPLE_DIR, 'topology.yaml'), labOpts);
    } else {
      if (opts.workDir === undefined) throw new Error(`a lab named ${name} needs a workDir`);
      const copy = writeLabCopy(name, opts.workDir);
      this.lab = Lab.fromText(
        readFileSync(copy.topology, 'utf8'),
        { file: copy.topology, baseDir: opts.workDir },
        { ...labOpts, runtimeRoot: copy.runtimeRoot },
      );
    }
  }

  /** Milliseconds since the run started. */
  now(): number {
    return ms(process.hrtime.bigint() - this.t0);
  }

  /** An instant of the shared clock as ms since the run started. */
  rel(ns: number): number {
    return (ns - Number(this.t0)) / 1e6;
  }

  private abs(msSinceStart: number): number {
    return Number(this.t0) + msSinceStart * 1e6;
  }

  /**
   * Removes a stale lab of the same name (a crashed run) and its context store, brings
   * the lab up, waits for the node's first address and connects to the three D-GWs.
   */
  async up(signal?: AbortSignal): Promise<void> {
    const stale = await this.lab.down();
    this.staleRemoved = [...stale.namespaces, ...stale.stopped.map((p) => `dmmd pid ${p}`)];
    // the store outlives `down`: a fresh run starts from an empty one
    for (const f of ['context.db', 'context.db-wal', 'context.db-shm']) {
      rmSync(join(this.lab.runtimeDir, f), { force: true });
    }
    await this.lab.up(signal ? { signal } : {});
    this.monitor = new LinkMonitor(this.lab.switchNs, () => this.now());
    await this.lab.waitForAddress('mn', 'eth0', nodePrefix(1));
    for (const i of [1, 2, 3]) {
      this.clients.set(i, await ControlClient.connect(this.lab.router(dgwName(i)).socket));
    }
  }

  /** A control command on D-GW i; throws with the router's message when it fails. */
  async command<T>(i: number, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const c = this.clients.get(i);
    if (!c) throw new Error(`not connected to ${dgwName(i)}`);
    const r = await c.request(cmd, args);
    if (!r.ok) throw new Error(`${dgwName(i)}: ${cmd}: ${r.error.message}`);
    return r.result as T;
  }

  /**
   * Starts the echo servers (correspondent: UDP and TCP; the local network's host: UDP)
   * and the node's agent from its first address; resolves once traffic flows.
   */
  async startTraffic(): Promise<void> {
    const serve = async (host: string, args: string[]): Promise<void> => {
      const c = this.lab.spawn(host, [process.execPath, AGENT, 'serve', ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      this.children.push(c);
      await new Promise<void>((res, rej) => {
        createInterface({ input: c.stdout! }).once('line', () => res());
        c.once('exit', (code) => rej(new Error(`the echo server in ${host} exited (${code})`)));
      });
    };
    await serve('cn', ['--udp', String(UDP_PORT), '--tcp', String(TCP_PORT)]);
    await serve('lh', ['--udp', String(UDP_PORT)]);
    const child = this.lab.spawn(
      'mn',
      [
        process.execPath,
        AGENT,
        'node',
        '--from',
        nodeAddress(1),
        '--cn',
        CN,
        '--udp',
        String(UDP_PORT),
        '--tcp',
        String(TCP_PORT),
        '--period-us',
        String(this.periodUs),
        '--tcp-kbit',
        String(this.tcpKbit),
        ...(this.senderNice === null ? [] : ['--sender-nice', String(this.senderNice)]),
        ...(this.spinUs === null ? [] : ['--spin-us', String(this.spinUs)]),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.children.push(child);
    this.agent = new NodeAgent(child);
    const { startedAt } = await this.agent.ready;
    this.trafficStart = this.rel(startedAt);
    // and what anyone would run: a ping from the same address, every 10 ms
    const ping = this.lab.spawn(
      'mn',
      ['ping', '-6', '-n', '-i', '0.01', '-I', nodeAddress(1), CN],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    this.children.push(ping);
    this.ping = new PingLog(ping, () => this.now());
  }

  /** The node's interface on the switch side (the bridge port a move re-attaches). */
  private portOf(host: string, iface: string): string {
    const h = this.lab.topology.hosts.find((x) => x.name === host);
    const i = h?.interfaces.find((x) => x.name === iface);
    if (!i) throw new Error(`no interface ${host}:${iface} in the topology`);
    return i.peer;
  }

  /** The probe and the stream over [from, to] (ms since the run started), split at `mark`. */
  async window(from: number, to: number, mark?: number): Promise<WindowReply> {
    if (!this.agent) throw new Error('traffic is not running');
    return this.agent.request<WindowReply>('window', {
      from: this.abs(from),
      to: this.abs(to),
      ...(mark === undefined ? {} : { mark: this.abs(mark) }),
    });
  }

  /** Probe datagrams from the node to another echo server. */
  async reach(addr: string, count = 5): Promise<ReachResult> {
    if (!this.agent) throw new Error('traffic is not running');
    return this.agent.request<ReachResult>('reach', { addr, port: UDP_PORT, count });
  }

  /** Summarises the probe window in ms relative to the run (trigger: the mark). */
  summarise(w: WindowReply, trigger: number): { probe: ProbeSummary; stream: StreamSummary } {
    const p = w.probe;
    const s = w.stream;
    return {
      probe: {
        sent: p.sent,
        answered: p.answered,
        lost: p.lost,
        outageMs: p.gapNs / 1e6,
        outageFrom: p.gapFrom === 0 ? 0 : this.rel(p.gapFrom),
        outageTo: p.gapTo === 0 ? 0 : this.rel(p.gapTo),
        outageLost: p.gapLost,
        outageEndEcho: p.gapToEcho === 0 ? 0 : this.rel(p.gapToEcho),
        lossyGaps: p.lossyGaps.map((g) => ({
          from: this.rel(g.from),
          to: this.rel(g.to),
          lost: g.lost,
        })),
        silenceMs: p.silenceNs / 1e6,
        maxSendGapMs: p.maxSendGapNs / 1e6,
        breakSendGapMs: 0,
        rttMedianMs: p.rttMedianNs / 1e6,
        rttMaxMs: p.rttMaxNs / 1e6,
        triggerToFirstEchoMs:
          p.firstAfterMark === null ? null : this.rel(p.firstAfterMark.echo) - trigger,
        tailAnsweredShare: p.tailAnsweredShare,
      },
      stream: {
        bytesBefore: s.bytesBefore,
        bytesAfter: s.bytesAfter,
        stallMs: s.stallNs / 1e6,
        alive: s.alive,
        error: s.error,
      },
    };
  }

  /**
   * One handover to D-GW `to`: the layer-2 move, the L2 trigger, then everything measured
   * once the window (`settleMs` after the trigger) has closed.
   */
  async handover(to: number): Promise<HandoverRecord> {
    const from = this.serving;
    const link = accessLink(to);
    const firstVisit = !this.visited.includes(to);
    const before = await this.command<DgwStatsLite>(to, 'show dgw');

    // the L2 trigger goes when the kernel reports the node's port on the new link — what an
    // access point's association event would tell the D-GW — not when the `ip` processes of
    // the move have exited (several ms later on a loaded machine)
    const joined =
      this.monitor?.next(this.portOf('mn', 'eth0'), this.lab.bridge(link), 5000) ??
      Promise.resolve(null);
    const moveStart = this.now();
    const moving = this.lab.move('mn', 'eth0', link).then(() => this.now());
    // no event 100 ms after the move returned (no `ip monitor`?): trigger anyway
    const late = moving.then(() => Promise.race([joined, sleep(100).then(() => null)]));
    const linkEvent = await Promise.race([joined, late]);
    const trigger = this.now();
    // the D-GW answers once every anchor has answered (or given up)
    const answer = await Promise.all([
      moving,
      this.command<AttachReply>(to, 'attach', { mn: MN_ID, mac: MN_MAC }).then(
        (a) => ({ attach: a, error: null, at: this.now() }),
        (e: Error) => ({ attach: null, error: e.message, at: this.now() }),
      ),
    ]);
    const moveEnd = answer[0];
    const { attach, error: attachError, at: attachReply } = answer[1];
    this.serving = to;
    if (firstVisit) this.visited.push(to);

    let addressReady: number | null = null;
    let addressesSettled: number | null = null;
    let addresses: AddressInfo[] = [];
    const deadline = trigger + this.settleMs + 5000;
    for (;;) {
      addresses = (await this.lab.addresses('mn', 'eth0')).filter((a) => a.scope === 'global');
      const mine = (i: number): AddressInfo | undefined =>
        addresses.find((a) => a.address === nodeAddress(i));
      if (addressReady === null && firstVisit && mine(to) && !mine(to)!.tentative) {
        addressReady = this.now();
      }
      const ok = this.visited.every((i) => {
        const a = mine(i);
        return a !== undefined && !a.tentative && a.deprecated === (i !== to);
      });
      if (ok) {
        addressesSettled = this.now();
        break;
      }
      if (this.now() > deadline) break;
      await sleep(50);
    }
    const lh = await this.reach(LH);
    const rest = trigger + this.settleMs - this.now();
    if (rest > 0) await sleep(rest);
    const windowEnd = this.now();
    // what the probe sent in the last 200 ms may still be on its way: wait it out
    await sleep(250);
    const w = await this.window(Math.max(this.trafficStart, moveStart - 300), windowEnd, trigger);
    const { probe, stream } = this.summarise(w, trigger);
    const restored = probe.outageLost > 0 ? Math.max(probe.outageTo, trigger) : trigger;
    const around = await this.window(moveStart, restored + 1);
    probe.breakSendGapMs = around.probe.maxSendGapNs / 1e6;
    const ping =
      this.ping?.summary(Math.max(this.trafficStart, moveStart - 300), windowEnd) ??
      ({ replies: 0, lost: 0, longestGapMs: 0 } satisfies PingSummary);

    const stats = await this.command<DgwStatsLite>(to, 'show dgw');
    const added = stats.timings.triggerToPba.count - before.timings.triggerToPba.count;
    const fresh = added > 0 ? stats.recent.slice(-added) : [];
    const bindings = await this.command<BindingRow[]>(to, 'show bindings', { mn: MN_ID });
    const tunnels = await this.command<TunnelRow[]>(to, 'show tunnels');

    const rec: HandoverRecord = {
      n: this.records.length + 1,
      from,
      to,
      link,
      firstVisit,
      times: {
        moveStart,
        moveEnd,
        linkEvent,
        trigger,
        attachReply,
        addressReady,
        addressesSettled,
        windowEnd,
      },
      attach,
      attachError,
      dgw: fresh.filter((t) => t.node === MN_ID),
      probe,
      ping,
      stream,
      lh,
      addresses,
      bindings,
      tunnels,
      survived: {
        udp: probe.tailAnsweredShare >= 0.9,
        tcp: stream.alive && stream.bytesAfter > 0,
        lh: lh.answered > 0,
      },
    };
    this.records.push(rec);
    return rec;
  }

  /** Stops the traffic, closes the control connections and takes the lab down (idempotent). */
  down(): Promise<void> {
    this.downing ??= (async () => {
      if (this.agent) {
        try {
          await this.agent.request('stop', {}, 3000);
        } catch {
          // gone already; `down` stops whatever is left in the namespaces
        }
        this.agent.kill();
      }
      for (const c of this.children) if (c.exitCode === null) c.kill('SIGTERM');
      this.monitor?.stop();
      for (const c of this.clients.values()) c.close();
      this.clients.clear();
      await this.lab.down();
    })();
    return this.downing;
  }
}

/** The figures of one handover, flat (the demo's summary, the perf harness's JSON lines). */
export interface HandoverFigures {
  handover: string;
  from: number;
  to: number;
  /** Datagrams lost around the handover, and inside the outage. */
  lost: number;
  outageLost: number;
  /** The longest gap between answered probe datagrams with loss in it (0: none lost). */
  outageMs: number;
  /**
   * The longest time no echo reached the node. Longer than the outage when the datagrams
   * sent just after it were delayed rather than lost (held in a TAP queue while a D-GW
   * handled the attach, or in a neighbour queue).
   */
  silenceMs: number;
  /**
   * L2 trigger → first packet through the new tunnel: the serving D-GW's own timing for
   * the probe's prefix (`show dgw`); on the way back to D-GW1, where that prefix is local
   * again and no tunnel carries it, the probe's: the first datagram sent after the trigger
   * that came back, its echo's arrival.
   */
  triggerToFirstPacketMs: number | null;
  firstPacketBy: string;
  firstDirection: string | null;
  triggerToFirstEchoMs: number | null;
  /** ICMPv6 echo requests of the plain ping (every 10 ms) lost around the handover. */
  pingLost: number;
  /** Where the time goes. */
  moveMs: number;
  /** What sent the L2 trigger: the kernel's link event (`netlink`) or the move's end (`move`). */
  triggerBy: 'netlink' | 'move';
  /**
   * The last answered datagram before the outage → the trigger: the kernel's link event
   * reaching the demo (`ip monitor`), the trigger's dispatch.
   */
  breakToTriggerMs: number | null;
  /** Trigger → the first datagram sent that got through (the path back, both ways). */
  triggerToRestoreMs: number | null;
  /** The serving D-GW's signalling for the probe's prefix (null when it is local there). */
  triggerToPbuMs: number | null;
  pbuToPbaMs: number | null;
  /** Trigger → `attach` answered (the D-GW answers once every anchor has replied). */
  attachMs: number;
  /** The probe sender's longest pause in the window. */
  maxSendGapMs: number;
  /** Its longest pause around the break (move → path back): the resolution achieved there. */
  breakSendGapMs: number;
  tcpStallMs: number;
  /** Every session below survived. */
  survived: boolean;
  /** The probe is answered again by the window's end (≥ 90 % of its last 500 ms). */
  udpSurvived: boolean;
  /** The TCP connection is open and moved data after the trigger. */
  tcpSurvived: boolean;
  /** The host on D-GW1's local network answered the node. */
  lhReachable: boolean;
}

const round = (x: number | null, d = 2): number | null =>
  x === null ? null : Math.round(x * 10 ** d) / 10 ** d;

export function figures(r: HandoverRecord): HandoverFigures {
  const t = r.dgw.find((x) => x.anchor === dgwName(1)) ?? null;
  const byDgw = t !== null && t.firstPacketMs !== null;
  const p = r.probe;
  const lost = p.outageLost > 0;
  return {
    handover: `${dgwName(r.from)}→${dgwName(r.to)}`,
    from: r.from,
    to: r.to,
    lost: p.lost,
    outageLost: p.outageLost,
    outageMs: round(p.outageMs)!,
    silenceMs: round(p.silenceMs)!,
    triggerToFirstPacketMs: round(byDgw ? t.firstPacketMs : p.triggerToFirstEchoMs),
    firstPacketBy: byDgw ? dgwName(r.to) : 'probe',
    firstDirection: byDgw ? t.firstDirection : 'echo',
    triggerToFirstEchoMs: round(p.triggerToFirstEchoMs),
    pingLost: r.ping.lost,
    moveMs: round(r.times.moveEnd - r.times.moveStart)!,
    triggerBy: r.times.linkEvent === null ? 'move' : 'netlink',
    breakToTriggerMs: lost ? round(r.times.trigger - p.outageFrom) : null,
    triggerToRestoreMs: lost ? round(p.outageTo - r.times.trigger) : null,
    triggerToPbuMs: t ? round(t.pbuSentMs) : null,
    pbuToPbaMs: t ? round(t.pbaMs - t.pbuSentMs) : null,
    attachMs: round(r.times.attachReply - r.times.trigger)!,
    maxSendGapMs: round(p.maxSendGapMs)!,
    breakSendGapMs: round(p.breakSendGapMs)!,
    tcpStallMs: round(r.stream.stallMs)!,
    survived: r.survived.udp && r.survived.tcp && r.survived.lh,
    udpSurvived: r.survived.udp,
    tcpSurvived: r.survived.tcp,
    lhReachable: r.survived.lh,
  };
}
