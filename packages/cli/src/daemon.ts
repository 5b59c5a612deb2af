/**
 * One running router as dmmd runs it: the netdevs of a validated config opened and
 * handed to a Router with their addresses, the plugins loaded in order (routing, ndra,
 * control, then `plugins[]`), the router started. `stop()` undoes all of it: plugins stop
 * in reverse (final RAs go out, the control socket is removed), queues close, and the
 * netdevs we created are checked to be gone.
 */
import { DmmError, Router, formatIpv6Address, formatIpv6Prefix, type Logger } from '@dmm/core';
import type { DmmdConfig } from './config/load.js';
import { ControlErrorCode } from './control/protocol.js';
import { probeSocket } from './control/server.js';
import { closeNetdevs, netnsExists, openNetdev, routerMac, type OpenedNetdev } from './netdev.js';

/** Checks what a config needs from the machine before any device is touched. */
export async function preflight(cfg: DmmdConfig): Promise<void> {
  const missing: { path: (string | number)[]; message: string }[] = [];
  cfg.interfaces.forEach((it, i) => {
    if (it.netns !== undefined && !netnsExists(it.netns)) {
      missing.push({
        path: ['interfaces', i, 'netns'],
        message: `no network namespace "${it.netns}" (create it with: ip netns add ${it.netns})`,
      });
    }
  });
  if (missing.length > 0) cfg.source.fail(missing);
  const probe = await probeSocket(cfg.controlSocket);
  if (probe === 'live') {
    throw new DmmError(
      ControlErrorCode.SocketInUse,
      `control socket ${cfg.controlSocket} is in use by a running server (another dmmd with router name ${cfg.router.name}?)`,
      { path: cfg.controlSocket },
    );
  }
  if (probe === 'not-a-socket') {
    throw new DmmError(
      ControlErrorCode.SocketInUse,
      `${cfg.controlSocket} exists and is not a socket`,
      {
        path: cfg.controlSocket,
      },
    );
  }
}

export class Daemon {
  readonly router: Router;
  readonly config: DmmdConfig;
  private readonly log: Logger;
  private readonly devs: OpenedNetdev[];
  private stopping: Promise<string[]> | null = null;

  private constructor(cfg: DmmdConfig, router: Router, devs: OpenedNetdev[], log: Logger) {
    this.config = cfg;
    this.router = router;
    this.devs = devs;
    this.log = log;
  }

  /** The socket the control plugin serves. */
  get socket(): string {
    return this.config.controlSocket;
  }

  /**
   * Opens the devices, builds the router, loads the plugins and starts. Any failure undoes
   * everything done so far and throws (a DmmError naming the interface for device errors).
   */
  static async start(cfg: DmmdConfig, log: Logger): Promise<Daemon> {
    const r = cfg.router;
    const router = new Router({
      name: r.name,
      pool: {
        count: r.pool.buffers,
        slotSize: r.pool.slotSize,
        headroom: r.pool.headroom,
        largeCount: r.pool.largeBuffers ?? defaultLargeBuffers(cfg),
      },
      rxBudget: r.rxBudget,
      icmpErrorRate: r.icmpErrors.rate,
      icmpErrorBurst: r.icmpErrors.burst,
      defaultHopLimit: r.hopLimit,
      logger: log,
    });
    router.ip6.forwarding = r.forwarding;
    const devs: OpenedNetdev[] = [];
    const daemon = new Daemon(cfg, router, devs, router.log);
    try {
      for (const it of cfg.interfaces) {
        const d = openNetdev(it, router.log);
        devs.push(d);
        const iface = router.addInterface({
          name: it.name,
          device: d.net,
          ...(it.type === 'tap' ? { mac: it.mac ?? routerMac(r.name, it.name) } : {}),
          ...(it.linkLocal === undefined ? {} : { linkLocal: it.linkLocal }),
        });
        for (const a of it.addresses) router.addAddress(iface, a.prefix, a.prefixLen, 'config');
      }
      for (const p of cfg.plugins) await router.plugins.load(p.def, p.config, p.path);
      await router.start();
      const control = router.plugins.list().find((p) => p.name === 'control');
      if (control?.state !== 'started') {
        throw new DmmError(
          ControlErrorCode.SocketInUse,
          `control API on ${cfg.controlSocket} did not start: ${control?.lastError ?? 'not loaded'}`,
          { path: cfg.controlSocket },
        );
      }
    } catch (e) {
      await daemon.stop();
      throw e;
    }
    return daemon;
  }

  /** What the `ready` log line says. */
  summary(): Record<string, unknown> {
    return {
      socket: this.socket,
      interfaces: this.router.interfaces.map((i) => ({
        name: i.name,
        kind: i.kind,
        netns: this.devs.find((d) => d.name === i.name)?.netns ?? null,
        addresses: [
          ...(i.linkLocal ? [formatIpv6Address(i.linkLocal)] : []),
          ...i.addresses.map((a) => formatIpv6Prefix(a.address, a.prefixLen)),
        ],
      })),
      plugins: this.router.plugins.list().map((p) => `${p.name}:${p.state}`),
    };
  }

  /**
   * Stops the router (plugins in reverse order, devices closed) and makes sure the netdevs
   * we created are gone. Idempotent; resolves with the names that could not be removed.
   */
  stop(): Promise<string[]> {
    this.stopping ??= (async () => {
      try {
        await this.router.stop();
      } catch (e) {
        this.log.error({ err: e }, 'router stop failed');
      }
      return closeNetdevs(this.devs, this.log);
    })();
    return this.stopping;
  }
}

/**
 * Large (64 KB) buffers when `router.pool.largeBuffers` is not set: none without offload
 * interfaces, else 64 per such interface (its read reserve) plus 256 in flight.
 */
function defaultLargeBuffers(cfg: DmmdConfig): number {
  const n = cfg.interfaces.filter((i) => i.offload).length;
  return n === 0 ? 0 : 256 + 64 * n;
}
