/**
 * A namespace lab: builds a topology (docs/lab.md) out of network namespaces, Linux
 * bridges, veth pairs and dmmd processes, and takes it all down again.
 *
 *   <prefix>-h1                <prefix>-sw                       <prefix>-h2
 *   ┌──────────┐   veth   ┌──────────────────────────────┐  veth  ┌──────────┐
 *   │ eth0 ────┼──────────┼─ h1-eth0 ─ br-lan1 ─ r1-lan1 │        │          │
 *   └──────────┘          │                      (TAP of │        │          │
 *                         │            br-lan2 ─ r1-lan2 │────────┼─ eth0    │
 *                         └──────────────────────────────┘        └──────────┘
 *                                      dmmd r1 (root namespace, holds the TAP queues)
 *
 * Hosts are kernel IPv6 hosts with the sysctls of sysctl.ts; every link is a bridge in the
 * switch namespace (no IPv6 of its own, multicast snooping off, so it is a plain layer-2
 * segment). `move` re-attaches a veth peer to another bridge: the host keeps its MAC and
 * addresses, as a mobile node does on a layer-2 handover (RFC 5213 §6.9.1.1 attach).
 *
 * Everything created is recorded in state.json first (state.ts), so `down` works after
 * any crash.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { prefixContains, parseIpv6Address, parseIpv6Prefix } from '@dmm/core';
import { defaultDmmd, defaultRuntimeRoot } from './paths.js';
import {
  findRouterProcesses,
  isRouterProcess,
  startRouter,
  stopProcesses,
  waitReady,
  type StartedRouter,
} from './processes.js';
import { patchRouterConfig, remapConfigErrors, writeRouterConfig } from './router-config.js';
import {
  LabError,
  delay,
  inNs,
  ipIn,
  ipJson,
  listNetns,
  run,
  runOk,
  type RunOptions,
  type RunResult,
} from './shell.js';
import { readState, removeState, writeState, STATE_VERSION, type LabState } from './state.js';
import {
  HOST_CONF_SYSCTLS,
  HOST_GLOBAL_SYSCTLS,
  SWITCH_SYSCTLS,
  confKey,
  kernelHasConf,
  slashKey,
} from './sysctl.js';
import {
  loadTopology,
  parseTopologyText,
  type HostInterfacePlan,
  type HostPlan,
  type RouterPlan,
  type Topology,
} from './topology.js';

export interface LabOptions {
  /** Runtime files go to `<runtimeRoot>/<lab name>/` (default `<repo>/.lab`). */
  runtimeRoot?: string;
  /** The dmmd entry point (default: `dmmd.js` next to the lab in this package). */
  dmmd?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface UpOptions {
  /**
   * Wait until every host address is usable: static ones past DAD, one SLAAC address
   * from each `slaac` prefix (default true).
   */
  wait?: boolean;
  /** Leave a half-built lab in place when `up` fails, for inspection (default false). */
  keepOnFailure?: boolean;
  /** Abandon `up` (then it removes what it built, unless `keepOnFailure`, and rejects). */
  signal?: AbortSignal;
}

export interface MoveOptions {
  /**
   * Take the peer down while moving it, so the host sees carrier go and come back: it
   * flushes its neighbour cache, re-runs DAD and sends a Router Solicitation, like a host
   * re-associating with a new access point. Hosts only. Default false: the host notices
   * nothing at layer 2 and learns of the new link only from unsolicited RAs.
   */
  blip?: boolean;
}

/** One IPv6 address of an interface, from `ip -j addr`. */
export interface AddressInfo {
  address: string;
  prefixLen: number;
  scope: string;
  tentative: boolean;
  deprecated: boolean;
  dadFailed: boolean;
  /** Learnt from an RA (SLAAC) rather than configured. */
  dynamic: boolean;
  /** Seconds, or 'forever'. */
  validLifetime: number | 'forever';
  preferredLifetime: number | 'forever';
}

/** A router of the lab. */
export interface LabRouter {
  name: string;
  /** The control socket (`dmmctl --socket`). */
  socket: string;
  /** The generated dmmd config. */
  config: string;
  /** dmmd's stdout and stderr. */
  log: string;
  /** The dmmd pid while it runs (from the state file), else 0. */
  pid: number;
  /** Router netdev → link. */
  interfaces: { name: string; link: string }[];
}

export interface LabStatus {
  name: string;
  prefix: string;
  topology: string;
  runtimeDir: string;
  /** `down` when there is no state file. */
  phase: 'down' | 'building' | 'up';
  namespaces: { name: string; role: 'switch' | 'host'; host?: string; present: boolean }[];
  links: { name: string; bridge: string; mtu?: number; members: string[] }[];
  routers: (LabRouter & { running: boolean })[];
  hosts: {
    name: string;
    ns: string;
    interfaces: {
      name: string;
      link: string | null;
      mac: string | null;
      addresses: AddressInfo[];
    }[];
  }[];
  /** IPv6 settings this kernel does not have, skipped (sysctl.ts). */
  skippedSysctls: string[];
}

export interface DownReport {
  /** Router pids stopped (SIGTERM). */
  stopped: number[];
  /** Of those, the ones that needed SIGKILL. */
  killed: number[];
  /** Other processes found in the lab's namespaces and stopped. */
  strays: number[];
  namespaces: string[];
}

interface LinkJson {
  ifname: string;
  address?: string;
  master?: string;
  operstate?: string;
  flags?: string[];
}
interface AddrJson {
  ifname: string;
  addr_info?: {
    family: string;
    local: string;
    prefixlen: number;
    scope: string;
    tentative?: boolean;
    deprecated?: boolean;
    dadfailed?: boolean;
    dynamic?: boolean;
    valid_life_time?: number;
    preferred_life_time?: number;
  }[];
}

const FOREVER = 4294967295;

/**
 * A lab built from a topology. Construct with `Lab.load(file)` or `Lab.fromText(yaml)`;
 * names and paths are known at once, `up()` builds, `down()` removes.
 *
 * ```ts
 * const lab = Lab.load('examples/lab/two-hosts.yaml');
 * await lab.up();
 * try {
 *   const r = await lab.exec('h1', ['ping', '-c1', '2001:db8:1::2']);
 *   await lab.move('h2', 'eth0', 'lan2');
 *   console.log(lab.router('r1').socket);
 * } finally {
 *   await lab.down();
 * }
 * ```
 */
export class Lab {
  readonly topology: Topology;
  /** `<runtimeRoot>/<name>`. */
  readonly runtimeDir: string;
  readonly dmmd: string;
  private readonly log: (line: string) => void;
  private abort: AbortSignal | undefined;

  constructor(topology: Topology, opts: LabOptions = {}) {
    this.topology = topology;
    this.runtimeDir = join(opts.runtimeRoot ?? defaultRuntimeRoot(), topology.name);
    this.dmmd = opts.dmmd ?? defaultDmmd();
    this.log = opts.log ?? (() => {});
    for (const r of topology.routers) {
      const sock = this.router(r.name).socket;
      // sockaddr_un.sun_path is 108 bytes including the terminating NUL (unix(7)).
      if (Buffer.byteLength(sock) > 107) {
        throw new LabError(
          `control socket path ${sock} is longer than 107 bytes; use a shorter runtime directory`,
          {
            socket: sock,
          },
        );
      }
    }
  }

  /** Reads and validates a topology file (ConfigError with FILE:LINE:COL: KEY lines). */
  static load(file: string, opts: LabOptions = {}): Lab {
    return new Lab(loadTopology(file), opts);
  }

  /** A lab from YAML text; relative router config paths are taken from `baseDir`. */
  static fromText(
    text: string,
    where: { file?: string; baseDir?: string } = {},
    opts: LabOptions = {},
  ): Lab {
    return new Lab(
      parseTopologyText(text, where.file ?? '<topology>', where.baseDir ?? process.cwd()),
      opts,
    );
  }

  get name(): string {
    return this.topology.name;
  }

  get prefix(): string {
    return this.topology.prefix;
  }

  /** The namespace holding every bridge (`<prefix>-sw`). */
  get switchNs(): string {
    return this.topology.switchNs;
  }

  /** The namespace of a host; `switch` (or `sw`) names the switch namespace. */
  ns(target: string): string {
    if (target === 'switch' || target === 'sw') return this.switchNs;
    return this.host(target).ns;
  }

  /** A host of the topology. */
  host(name: string): HostPlan {
    const h = this.topology.hosts.find((x) => x.name === name);
    if (!h) throw new LabError(`lab ${this.name} has no host "${name}"`, { host: name });
    return h;
  }

  /** A router of the topology, with its socket, config, log and (while up) pid. */
  router(name: string): LabRouter {
    const r = this.routerPlan(name);
    const pid = readState(this.runtimeDir)?.routers[name]?.pid ?? 0;
    return {
      name,
      socket: join(this.runtimeDir, `${name}.sock`),
      config: join(this.runtimeDir, `${name}.yaml`),
      log: join(this.runtimeDir, `${name}.log`),
      pid,
      interfaces: r.interfaces.map((i) => ({ ...i })),
    };
  }

  /** The bridge of a link. */
  bridge(link: string): string {
    const l = this.topology.links.find((x) => x.name === link);
    if (!l) throw new LabError(`lab ${this.name} has no link "${link}"`, { link });
    return l.bridge;
  }

  private routerPlan(name: string): RouterPlan {
    const r = this.topology.routers.find((x) => x.name === name);
    if (!r) throw new LabError(`lab ${this.name} has no router "${name}"`, { router: name });
    return r;
  }

  private hostIf(host: string, iface: string): HostInterfacePlan {
    const i = this.host(host).interfaces.find((x) => x.name === iface);
    if (!i) throw new LabError(`host ${host} has no interface "${iface}"`, { host, iface });
    return i;
  }

  private derivedNamespaces(): string[] {
    return [...this.topology.hosts.map((h) => h.ns), this.switchNs];
  }

  // ---------------------------------------------------------------------------------------
  // up

  /**
   * Builds the lab: removes a stale one of the same name, creates the switch namespace and
   * bridges, the hosts and their veths, starts every router and waits for its "ready",
   * enslaves its TAPs, brings host links up and (by default) waits for host addresses.
   * On failure everything is removed again (unless `keepOnFailure`) and the error thrown.
   */
  async up(opts: UpOptions = {}): Promise<LabStatus> {
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new LabError(
        'dmm-lab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) for namespaces and bridges',
      );
    }
    if (this.topology.routers.length > 0 && !existsSync(this.dmmd)) {
      throw new LabError(`dmmd is not built: ${this.dmmd} does not exist (run the build first)`, {
        dmmd: this.dmmd,
      });
    }
    const stale = await this.down();
    if (stale.namespaces.length > 0 || stale.stopped.length > 0) {
      this.log(
        `removed a stale lab ${this.name}: ${[...stale.namespaces, ...stale.stopped.map((p) => `pid ${p}`)].join(', ')}`,
      );
    }
    mkdirSync(this.runtimeDir, { recursive: true });
    const state: LabState = {
      version: STATE_VERSION,
      name: this.name,
      prefix: this.prefix,
      topology: this.topology.file,
      phase: 'building',
      startedAt: new Date().toISOString(),
      namespaces: [],
      routers: {},
      attachments: {},
    };
    writeState(this.runtimeDir, state);
    const started: StartedRouter[] = [];
    this.abort = opts.signal;
    try {
      this.checkAbort();
      await this.buildSwitch(state);
      for (const h of this.topology.hosts) await this.buildHost(state, h);
      await this.startRouters(state, started);
      this.checkAbort();
      for (const h of this.topology.hosts) {
        for (const i of h.interfaces) await ipIn(h.ns, 'link', 'set', 'dev', i.name, 'up');
        for (const r of h.routes) await ipIn(h.ns, '-6', 'route', 'replace', ...routeArgs(r));
      }
      state.phase = 'up';
      writeState(this.runtimeDir, state);
      if (opts.wait ?? true) await this.waitAddresses();
    } catch (e) {
      for (const r of started) r.child.unref();
      if (!opts.keepOnFailure) {
        try {
          await this.down();
        } catch (d) {
          // the first failure is the one to report; the second is only news
          this.log(`removing the failed lab: ${(d as Error).message}`);
        }
      }
      throw e;
    } finally {
      this.abort = undefined;
    }
    for (const r of started) r.child.unref();
    return this.status();
  }

  private checkAbort(): void {
    if (this.abort?.aborted)
      throw new LabError(`lab ${this.name}: up was interrupted`, { interrupted: true });
  }

  private async createNs(state: LabState, ns: string): Promise<void> {
    this.checkAbort();
    // Recorded before it exists: a crash between the two still leaves it findable.
    state.namespaces.push(ns);
    writeState(this.runtimeDir, state);
    await ipIn(undefined, 'netns', 'add', ns);
    await ipIn(ns, 'link', 'set', 'dev', 'lo', 'up');
  }

  private async buildSwitch(state: LabState): Promise<void> {
    const sw = this.switchNs;
    this.log(`switch namespace ${sw}`);
    await this.createNs(state, sw);
    // -e: the net.bridge.* keys exist only with br_netfilter loaded.
    await runOk('ip', [
      'netns',
      'exec',
      sw,
      'sysctl',
      '-q',
      '-e',
      '-w',
      ...SWITCH_SYSCTLS.map((s) => `${slashKey(s.key)}=${s.value}`),
    ]);
    for (const l of this.topology.links) {
      this.log(`link ${l.name}: bridge ${l.bridge}`);
      // STP off and no forward delay: ports forward at once. Multicast snooping off: every
      // multicast frame (RS, RA, NS to solicited-node groups) reaches every port, whatever
      // MLD reports a userspace router does or does not send.
      await ipIn(
        sw,
        'link',
        'add',
        'name',
        l.bridge,
        'type',
        'bridge',
        'stp_state',
        '0',
        'forward_delay',
        '0',
        'mcast_snooping',
        '0',
      );
      if (l.mtu !== undefined) await ipIn(sw, 'link', 'set', 'dev', l.bridge, 'mtu', String(l.mtu));
      await ipIn(sw, 'link', 'set', 'dev', l.bridge, 'up');
    }
  }

  private async buildHost(state: LabState, h: HostPlan): Promise<void> {
    this.log(`host ${h.name}: namespace ${h.ns}`);
    await this.createNs(state, h.ns);
    for (const i of h.interfaces) {
      // Both ends are created where they live: nothing ever appears in the root namespace.
      await ipIn(
        h.ns,
        'link',
        'add',
        'name',
        i.name,
        'type',
        'veth',
        'peer',
        'name',
        i.peer,
        'netns',
        this.switchNs,
      );
      if (i.mac !== undefined) await ipIn(h.ns, 'link', 'set', 'dev', i.name, 'address', i.mac);
      if (i.mtu !== undefined) {
        await ipIn(h.ns, 'link', 'set', 'dev', i.name, 'mtu', String(i.mtu));
        await ipIn(this.switchNs, 'link', 'set', 'dev', i.peer, 'mtu', String(i.mtu));
      }
    }
    const settings: string[] = [];
    const ctx = { forwarding: h.forwarding };
    for (const s of HOST_GLOBAL_SYSCTLS) settings.push(`${slashKey(s.key)}=${s.value(ctx)}`);
    for (const dev of ['default', ...h.interfaces.map((i) => i.name)]) {
      for (const s of HOST_CONF_SYSCTLS) {
        if (kernelHasConf(s.key)) settings.push(`${confKey(dev, s.key)}=${s.value(ctx)}`);
      }
    }
    for (const i of h.interfaces)
      for (const [k, val] of i.sysctls) settings.push(`${confKey(i.name, k)}=${val}`);
    for (const [k, val] of h.sysctls) settings.push(`${slashKey(k)}=${val}`);
    await runOk('ip', ['netns', 'exec', h.ns, 'sysctl', '-q', '-w', ...settings]);
    for (const i of h.interfaces) {
      for (const a of i.addresses) await ipIn(h.ns, '-6', 'addr', 'add', a, 'dev', i.name);
      await ipIn(this.switchNs, 'link', 'set', 'dev', i.peer, 'master', this.bridge(i.link), 'up');
      state.attachments[`${h.name}:${i.name}`] = i.link;
      this.log(`  ${h.name}:${i.name} on ${i.link}`);
    }
    writeState(this.runtimeDir, state);
  }

  private async startRouters(state: LabState, started: StartedRouter[]): Promise<void> {
    if (this.topology.routers.length === 0) return;
    const root = await ipJson<LinkJson[]>(undefined, 'link', 'show');
    const rootNames = new Set((root ?? []).map((l) => l.ifname));
    const runs: { plan: RouterPlan; info: LabRouter; proc: StartedRouter }[] = [];
    for (const plan of this.topology.routers) {
      const info = this.router(plan.name);
      for (const i of plan.interfaces) {
        // dmmd creates its TAP in the root namespace before moving it: an existing device
        // of that name would be opened instead of a new one.
        if (rootNames.has(i.name)) {
          throw new LabError(
            `router ${plan.name}: a device named ${i.name} already exists in the root namespace`,
            {
              router: plan.name,
              device: i.name,
            },
          );
        }
      }
      const cfg = patchRouterConfig(this.topology, plan, info.socket);
      writeRouterConfig(info.config, this.topology, plan, cfg);
      rmSync(info.socket, { force: true });
      state.routers[plan.name] = {
        pid: 0,
        config: info.config,
        socket: info.socket,
        log: info.log,
      };
      writeState(this.runtimeDir, state);
      const opts: Parameters<typeof startRouter>[0] = {
        dmmd: this.dmmd,
        config: info.config,
        socket: info.socket,
        logFile: info.log,
        cwd: plan.origin.baseDir,
      };
      if (plan.logLevel !== undefined) opts.logLevel = plan.logLevel;
      const proc = startRouter(opts);
      started.push(proc);
      state.routers[plan.name]!.pid = proc.pid;
      writeState(this.runtimeDir, state);
      this.log(`router ${plan.name}: dmmd pid ${proc.pid}, log ${info.log}`);
      runs.push({ plan, info, proc });
    }
    const results = await Promise.all(
      runs.map(async (r) => ({
        ...r,
        ready: await waitReady(r.proc, r.info.log, this.topology.timeouts.ready * 1000, this.abort),
      })),
    );
    this.checkAbort();
    const failures: string[] = [];
    for (const r of results) {
      if (r.ready.ok) continue;
      let out = '';
      try {
        out = readFileSync(r.info.log, 'utf8');
      } catch {
        // no log at all
      }
      const problems = remapConfigErrors(out, r.info.config, r.plan);
      const tail = out.trimEnd().split('\n').slice(-15).join('\n');
      failures.push(
        `router ${r.plan.name}: dmmd ${r.ready.reason}` +
          (problems.length > 0
            ? `:\n${problems.join('\n')}`
            : tail
              ? `; last lines of ${r.info.log}:\n${tail}`
              : ''),
      );
    }
    if (failures.length > 0) throw new LabError(failures.join('\n'), { routers: failures.length });
    for (const r of results) {
      for (const i of r.plan.interfaces) {
        await this.waitDevice(this.switchNs, i.name, r.plan.name);
        await ipIn(
          this.switchNs,
          'link',
          'set',
          'dev',
          i.name,
          'master',
          this.bridge(i.link),
          'up',
        );
        state.attachments[`${r.plan.name}:${i.name}`] = i.link;
        this.log(`  ${r.plan.name}:${i.name} on ${i.link}`);
      }
    }
    writeState(this.runtimeDir, state);
  }

  private async waitDevice(ns: string, dev: string, router: string): Promise<void> {
    const deadline = Date.now() + 3000;
    while (true) {
      if ((await ipJson<LinkJson[]>(ns, 'link', 'show', 'dev', dev)) !== null) return;
      if (Date.now() > deadline) {
        throw new LabError(`router ${router} is ready but its ${dev} is not in ${ns}`, {
          router,
          device: dev,
          ns,
        });
      }
      await delay(50);
    }
  }

  /**
   * Waits until every host interface has a usable link-local address, its static
   * addresses have passed DAD and it has a SLAAC address from each `slaac` prefix.
   */
  async waitAddresses(timeoutMs = this.topology.timeouts.addresses * 1000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const missing: string[] = [];
      for (const h of this.topology.hosts) {
        for (const i of h.interfaces) {
          const addrs = await this.addresses(h.name, i.name);
          const where = `${h.name}:${i.name}`;
          for (const a of addrs) {
            if (a.dadFailed) {
              throw new LabError(`${where}: duplicate address detection failed for ${a.address}`, {
                host: h.name,
                iface: i.name,
                address: a.address,
              });
            }
          }
          if (!addrs.some((a) => a.scope === 'link' && !a.tentative))
            missing.push(`${where}: a link-local address`);
          for (const s of i.addresses) {
            const want = parseIpv6Prefix(s, false);
            const ok = addrs.some(
              (a) =>
                !a.tentative &&
                sameAddress(a.address, want.prefix) &&
                a.prefixLen === want.prefixLen,
            );
            if (!ok) missing.push(`${where}: ${s}`);
          }
          for (const p of i.slaac) {
            if (
              !addrs.some((a) => a.scope === 'global' && !a.tentative && inPrefix(a.address, p))
            ) {
              missing.push(`${where}: a SLAAC address in ${p}`);
            }
          }
        }
      }
      if (missing.length === 0) return;
      this.checkAbort();
      if (Date.now() > deadline) {
        throw new LabError(
          `hosts still lack addresses after ${timeoutMs / 1000} s:\n  ${missing.join('\n  ')}`,
          {
            missing,
          },
        );
      }
      await delay(100);
    }
  }

  // ---------------------------------------------------------------------------------------
  // down

  /**
   * Stops the routers (SIGTERM, SIGKILL after `timeouts.stop`) and any process left in the
   * lab's namespaces, deletes the namespaces (their bridges and veths go with them) and
   * the state file. Works from the state file and from the names the topology implies, so
   * a lab whose `up` crashed is removed too. Idempotent.
   */
  async down(): Promise<DownReport> {
    const configs = new Map(this.topology.routers.map((r) => [r.name, this.router(r.name).config]));
    return teardown({
      runtimeDir: this.runtimeDir,
      namespaces: this.derivedNamespaces(),
      switchNs: this.switchNs,
      configs,
      graceMs: this.topology.timeouts.stop * 1000,
    });
  }

  // ---------------------------------------------------------------------------------------
  // using a running lab

  /** Runs `argv` in a host (or `switch`); resolves with status and output, never rejects. */
  exec(host: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return inNs(this.ns(host), argv, opts);
  }

  /** Like exec, but a non-zero status is a LabError carrying stderr; resolves with stdout. */
  async execOk(host: string, argv: readonly string[], opts: RunOptions = {}): Promise<string> {
    return runOk('ip', ['netns', 'exec', this.ns(host), ...argv], opts);
  }

  /** Starts `argv` in a host and returns the child (background servers); `down` stops it. */
  spawn(host: string, argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns(host), ...argv], opts);
  }

  /** True when `count` echo requests from `host` to `dst` get at least one reply. */
  async ping(
    host: string,
    dst: string,
    opts: { count?: number; timeoutS?: number; from?: string } = {},
  ): Promise<boolean> {
    const count = opts.count ?? 1;
    const args = [
      'ping',
      '-6',
      '-n',
      '-q',
      '-c',
      String(count),
      '-i',
      '0.2',
      '-W',
      String(opts.timeoutS ?? 2),
    ];
    if (opts.from !== undefined) args.push('-I', opts.from);
    args.push(dst);
    const r = await this.exec(host, args);
    return r.status === 0;
  }

  /** The IPv6 addresses of a host interface now. */
  async addresses(host: string, iface: string): Promise<AddressInfo[]> {
    const ns = this.ns(host);
    const j = await ipJson<AddrJson[]>(ns, '-6', 'addr', 'show', 'dev', iface);
    const out: AddressInfo[] = [];
    for (const a of j?.[0]?.addr_info ?? []) {
      if (a.family !== 'inet6') continue;
      out.push({
        address: a.local,
        prefixLen: a.prefixlen,
        scope: a.scope,
        tentative: a.tentative === true,
        deprecated: a.deprecated === true,
        dadFailed: a.dadfailed === true,
        dynamic: a.dynamic === true,
        validLifetime: lifetime(a.valid_life_time),
        preferredLifetime: lifetime(a.preferred_life_time),
      });
    }
    return out;
  }

  /**
   * Waits until the host interface has a usable (not tentative) address in `prefix` and
   * returns it.
   */
  async waitForAddress(
    host: string,
    iface: string,
    prefix: string,
    timeoutMs = 15_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const a = (await this.addresses(host, iface)).find(
        (x) => !x.tentative && inPrefix(x.address, prefix),
      );
      if (a) return a.address;
      if (Date.now() > deadline) {
        throw new LabError(
          `${host}:${iface} has no address in ${prefix} after ${timeoutMs / 1000} s`,
          {
            host,
            iface,
            prefix,
          },
        );
      }
      await delay(100);
    }
  }

  /** The link `host:iface` (or `router:dev`) is attached to now, from the kernel. */
  async linkOf(node: string, iface: string): Promise<string | null> {
    const dev = this.switchDevice(node, iface);
    const j = await ipJson<LinkJson[]>(this.switchNs, 'link', 'show', 'dev', dev);
    const master = j?.[0]?.master;
    return this.topology.links.find((l) => l.bridge === master)?.name ?? null;
  }

  /** Who is on a link now, as `host:iface` / `router:dev`, from the kernel. */
  async members(link: string): Promise<string[]> {
    const br = this.bridge(link);
    const j = await ipJson<LinkJson[]>(this.switchNs, 'link', 'show', 'master', br);
    return (j ?? []).map((l) => this.switchDeviceOwner(l.ifname)).sort();
  }

  /**
   * Re-attaches `node:iface` (a host interface's veth peer, or a router TAP) to another
   * link's bridge. The host side is not touched: same MAC, same addresses, same routes —
   * a layer-2 handover. Resolves with the link it left.
   */
  async move(
    node: string,
    iface: string,
    link: string,
    opts: MoveOptions = {},
  ): Promise<{ from: string | null; to: string }> {
    const dev = this.switchDevice(node, iface);
    const br = this.bridge(link);
    const isHost = this.topology.hosts.some((h) => h.name === node);
    if (opts.blip && !isHost) throw new LabError('blip is for host interfaces only', { node });
    const from = await this.linkOf(node, iface);
    if ((await ipJson<LinkJson[]>(this.switchNs, 'link', 'show', 'dev', dev)) === null) {
      throw new LabError(`${node}:${iface} is not in ${this.switchNs}: is lab ${this.name} up?`, {
        node,
        iface,
      });
    }
    if (from !== link) {
      if (opts.blip) await ipIn(this.switchNs, 'link', 'set', 'dev', dev, 'down');
      // One netlink request: the kernel leaves the old bridge and joins the new one.
      await ipIn(this.switchNs, 'link', 'set', 'dev', dev, 'master', br);
      await ipIn(this.switchNs, 'link', 'set', 'dev', dev, 'up');
    } else if (opts.blip) {
      await ipIn(this.switchNs, 'link', 'set', 'dev', dev, 'down');
      await ipIn(this.switchNs, 'link', 'set', 'dev', dev, 'up');
    }
    const state = readState(this.runtimeDir);
    if (state) {
      state.attachments[`${node}:${iface}`] = link;
      writeState(this.runtimeDir, state);
    }
    this.log(`${node}:${iface}: ${from ?? '(none)'} → ${link}`);
    return { from, to: link };
  }

  private switchDevice(node: string, iface: string): string {
    if (this.topology.hosts.some((h) => h.name === node)) return this.hostIf(node, iface).peer;
    const r = this.routerPlan(node);
    if (!r.interfaces.some((i) => i.name === iface)) {
      throw new LabError(`router ${node} has no lab interface "${iface}"`, { router: node, iface });
    }
    return iface;
  }

  private switchDeviceOwner(dev: string): string {
    for (const h of this.topology.hosts) {
      for (const i of h.interfaces) if (i.peer === dev) return `${h.name}:${i.name}`;
    }
    for (const r of this.topology.routers) {
      for (const i of r.interfaces) if (i.name === dev) return `${r.name}:${i.name}`;
    }
    return dev;
  }

  /** What exists now: state, namespaces, bridge members, router processes, host addresses. */
  async status(): Promise<LabStatus> {
    const state = readState(this.runtimeDir);
    const present = await listNetns();
    const swUp = present.has(this.switchNs);
    const links: LabStatus['links'] = [];
    for (const l of this.topology.links) {
      const e: LabStatus['links'][number] = {
        name: l.name,
        bridge: l.bridge,
        members: swUp ? await this.members(l.name) : [],
      };
      if (l.mtu !== undefined) e.mtu = l.mtu;
      links.push(e);
    }
    const hosts: LabStatus['hosts'] = [];
    for (const h of this.topology.hosts) {
      const here = present.has(h.ns);
      const interfaces: LabStatus['hosts'][number]['interfaces'] = [];
      for (const i of h.interfaces) {
        const link = here ? await ipJson<LinkJson[]>(h.ns, 'link', 'show', 'dev', i.name) : null;
        interfaces.push({
          name: i.name,
          link: swUp ? await this.linkOf(h.name, i.name) : null,
          mac: link?.[0]?.address ?? null,
          addresses: here ? await this.addresses(h.name, i.name) : [],
        });
      }
      hosts.push({ name: h.name, ns: h.ns, interfaces });
    }
    return {
      name: this.name,
      prefix: this.prefix,
      topology: this.topology.file,
      runtimeDir: this.runtimeDir,
      phase: state?.phase ?? 'down',
      namespaces: [
        { name: this.switchNs, role: 'switch' as const, present: swUp },
        ...this.topology.hosts.map((h) => ({
          name: h.ns,
          role: 'host' as const,
          host: h.name,
          present: present.has(h.ns),
        })),
      ],
      links,
      routers: this.topology.routers.map((r) => {
        const info = this.router(r.name);
        return { ...info, running: info.pid > 0 && isRouterProcess(info.pid, info.config) };
      }),
      hosts,
      skippedSysctls: HOST_CONF_SYSCTLS.filter((s) => !kernelHasConf(s.key)).map((s) => s.key),
    };
  }
}

/** What `teardown` needs; everything but `runtimeDir` may be empty. */
export interface TeardownTarget {
  runtimeDir: string;
  /** Namespaces the topology implies (removed if they exist, state file or not). */
  namespaces: readonly string[];
  /** Deleted last (its bridges hold the other namespaces' veth peers). */
  switchNs?: string;
  /** Router name → generated config path (a pid is only killed if its argv names it). */
  configs?: ReadonlyMap<string, string>;
  graceMs: number;
}

/**
 * Removes a lab from its state file and the names it implies: stops router processes
 * whose `--config` is in the runtime directory, stops processes left in the namespaces,
 * deletes the namespaces, removes sockets and the state file.
 */
export async function teardown(t: TeardownTarget): Promise<DownReport> {
  const state = readState(t.runtimeDir);
  const pids = new Set<number>();
  for (const [name, r] of Object.entries(state?.routers ?? {})) {
    const config = t.configs?.get(name) ?? r.config;
    if (isRouterProcess(r.pid, config)) pids.add(r.pid);
  }
  for (const p of findRouterProcesses(t.runtimeDir)) pids.add(p);
  const stopped = [...pids];
  const killed = await stopProcesses(stopped, t.graceMs);

  const present = await listNetns();
  const wanted = new Set([...(state?.namespaces ?? []), ...t.namespaces]);
  const order = [...wanted].filter((n) => present.has(n));
  // Host namespaces first, the switch last.
  order.sort((a, b) => Number(a === t.switchNs) - Number(b === t.switchNs));
  const strays: number[] = [];
  for (const ns of order) {
    const r = await run('ip', ['netns', 'pids', ns]);
    for (const p of r.stdout.split(/\s+/)) if (/^\d+$/.test(p)) strays.push(Number(p));
  }
  if (strays.length > 0) await stopProcesses(strays, 1000);
  const failed: string[] = [];
  for (const ns of order) {
    const r = await run('ip', ['netns', 'del', ns]);
    if (r.status !== 0) failed.push(`${ns}: ${r.stderr.trim()}`);
  }
  if (existsSync(t.runtimeDir)) {
    for (const f of readdirSync(t.runtimeDir))
      if (f.endsWith('.sock')) rmSync(join(t.runtimeDir, f), { force: true });
  }
  removeState(t.runtimeDir);
  // An empty runtime directory goes too; one with router logs stays for a post-mortem.
  if (existsSync(t.runtimeDir) && readdirSync(t.runtimeDir).length === 0)
    rmSync(t.runtimeDir, { recursive: true });
  if (failed.length > 0)
    throw new LabError(`could not delete namespaces:\n  ${failed.join('\n  ')}`, { failed });
  return { stopped, killed, strays, namespaces: order };
}

function routeArgs(r: {
  prefix: string;
  via?: string;
  interface?: string;
  metric?: number;
}): string[] {
  const args = [r.prefix];
  if (r.via !== undefined) args.push('via', r.via);
  if (r.interface !== undefined) args.push('dev', r.interface);
  if (r.metric !== undefined) args.push('metric', String(r.metric));
  return args;
}

function lifetime(x: number | undefined): number | 'forever' {
  return x === undefined || x >= FOREVER ? 'forever' : x;
}

function sameAddress(text: string, bytes: Uint8Array): boolean {
  const a = parseIpv6Address(text);
  return a.every((b, i) => b === bytes[i]);
}

/** True when `address` lies in `prefix` (`P/LEN`). */
export function inPrefix(address: string, prefix: string): boolean {
  const p = parseIpv6Prefix(prefix, false);
  return prefixContains(p.prefix, p.prefixLen, parseIpv6Address(address));
}
