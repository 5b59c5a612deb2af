/**
 * The TAP/TUN netdevs dmmd runs on: open (create if missing), set the MTU, move into a
 * named network namespace, bring up; and on the way out make sure the netdevs we created
 * are gone.
 *
 * The netdev is the kernel's end of the link (a host's NIC when moved into its namespace,
 * a bridge port, …); the router is the other end and has its own MAC (`routerMac`). Using
 * the netdev's MAC for the router would give both ends the same MAC and the same EUI-64
 * link-local address (RFC 4291 §2.5.6), which DAD on the kernel side reports as duplicate. A TAP/TUN netdev that is not persistent disappears with its last queue
 * (Documentation/networking/tuntap.rst), also inside the namespace it was moved to; we check,
 * and delete one that is still there.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DmmError, formatMacAddress, type Logger } from '@dmm/core';
import { Tap, Tun, TunTapNetDevice, type TunTapDevice } from '@dmm/tuntap';
import type { InterfaceFile } from './config/schema.js';

/** A device dmmd opened. */
export interface OpenedNetdev {
  name: string;
  dev: TunTapDevice;
  /** The packet-core device over the queue. */
  net: TunTapNetDevice;
  /** Namespace it lives in (null: dmmd's own). */
  netns: string | null;
  /** We created the netdev (it did not exist): it must be gone when we leave. */
  created: boolean;
}

/**
 * The router's default MAC on interface `ifName`: locally administered unicast (RFC 7042
 * §2.1: first octet 0x02), the other five octets from a hash of the router and interface
 * names, so it is the same at every start and differs from the netdev's own.
 */
export function routerMac(routerName: string, ifName: string): Uint8Array {
  const h = createHash('sha256').update(`${routerName}/${ifName}`).digest();
  return Uint8Array.of(0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!);
}

/** True when a netdev `name` exists in `netns` (null: our namespace). */
export function netdevExists(name: string, netns: string | null): boolean {
  if (netns === null) return existsSync(`/sys/class/net/${name}`);
  const r = spawnSync('ip', ['-n', netns, 'link', 'show', 'dev', name], { stdio: 'ignore' });
  return r.status === 0;
}

/** True when the named network namespace exists (`ip netns add NAME`). */
export function netnsExists(name: string): boolean {
  return existsSync(`/var/run/netns/${name}`) || existsSync(`/run/netns/${name}`);
}

function deviceError(name: string, what: string, e: unknown): DmmError {
  if (e instanceof DmmError) {
    return new DmmError(
      e.code,
      `interface ${name}: ${what}: ${e.message}`,
      { ...e.details, interface: name },
      { cause: e },
    );
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new DmmError(
    'DMM_ERR_DEVICE',
    `interface ${name}: ${what}: ${msg}`,
    { interface: name },
    { cause: e },
  );
}

/**
 * Opens one configured interface: creates (or attaches to) the TAP/TUN, sets the MTU,
 * moves it into its namespace and brings it up there. On failure closes what it opened
 * and throws a DmmError naming the interface.
 */
export function openNetdev(it: InterfaceFile, log: Logger): OpenedNetdev {
  const netns = it.netns ?? null;
  if (netns !== null && netdevExists(it.name, netns)) {
    throw new DmmError(
      'DMM_ERR_TUNTAP_NAME_IN_USE',
      `interface ${it.name}: namespace ${netns} already has a device named ${it.name}`,
      {
        interface: it.name,
        netns,
      },
    );
  }
  const created = !netdevExists(it.name, null);
  let dev: TunTapDevice;
  try {
    dev =
      it.type === 'tap'
        ? new Tap({ name: it.name, vnetHdr: it.offload })
        : new Tun({ name: it.name });
  } catch (e) {
    throw deviceError(
      it.name,
      `cannot ${created ? 'create' : 'open'} the ${it.type.toUpperCase()} device`,
      e,
    );
  }
  let where: string | null = null;
  let step = 'configure it';
  let net: TunTapNetDevice;
  try {
    if (it.mtu !== undefined) {
      step = 'set the MTU';
      dev.mtu = it.mtu;
    }
    if (netns !== null) {
      step = `move it into namespace ${netns}`;
      dev.moveToNetns(netns);
      where = netns;
    }
    step = 'bring it up';
    dev.up = true;
    net = new TunTapNetDevice(dev);
  } catch (e) {
    closeNetdevs([{ name: it.name, dev, net: null, netns: where, created }], log);
    throw deviceError(it.name, `cannot ${step}`, e);
  }
  log.info(
    {
      interface: it.name,
      kind: it.type,
      deviceMac: dev instanceof Tap ? formatMacAddress(dev.mac) : null,
      mtu: dev.mtu,
      netns,
      created,
    },
    'interface opened',
  );
  return { name: it.name, dev, net, netns, created };
}

/**
 * Closes the queues (idempotent) and checks that every netdev we created is gone; one that
 * is still there (another process holds a queue, or it was made persistent) is deleted.
 * Returns the names that could not be removed.
 */
export function closeNetdevs(
  devs: readonly (Omit<OpenedNetdev, 'net'> & { net: TunTapNetDevice | null })[],
  log: Logger,
): string[] {
  const left: string[] = [];
  for (const d of devs) {
    try {
      if (d.net) d.net.close();
      else d.dev.close();
    } catch (e) {
      log.warn({ interface: d.name, err: e }, 'closing the device failed');
    }
  }
  for (const d of devs) {
    if (!d.created) continue;
    if (!netdevExists(d.name, d.netns)) continue;
    const ns = d.netns === null ? [] : ['-n', d.netns];
    const r = spawnSync('ip', [...ns, 'link', 'del', 'dev', d.name], { encoding: 'utf8' });
    if (r.status === 0)
      log.warn({ interface: d.name, netns: d.netns }, 'netdev outlived its queue; deleted');
    else {
      left.push(d.name);
      log.error(
        { interface: d.name, netns: d.netns, stderr: r.stderr?.trim() },
        'cannot remove netdev',
      );
    }
  }
  return left;
}
