/**
 * The ND/RA module against a real Linux kernel. A Router runs in this process with one TAP
 * whose netdev lives in a fresh namespace (`dmmn-…`), where the kernel plays a host:
 *
 *   Router (this process) ── TAP queue ══ netdev in dmmn-xxxx: kernel IPv6 host
 *
 * The namespace is not forwarding, so the kernel acts as a host with `accept_ra = 1`. Some
 * RA knobs default to "ignore" and are set explicitly on the device so the test does not
 * depend on distribution defaults:
 *   - accept_ra_rt_info_max_plen = 128: the default 0 ignores every Route Information
 *     option (RFC 4191 §2.3), and we want the kernel to install our /48 route;
 *   - accept_ra_rtr_pref = 1: honour the Default Router Preference (RFC 4191 §2.2);
 *   - accept_ra_pinfo = 1: take Prefix Information (SLAAC, RFC 4862 §5.5.3).
 * The kernel then judges our RAs (SLAAC address, default route, RIO route), our NS/NA in
 * both directions (pings, its neighbour table, ours), and both sides' DAD.
 *
 * Root only (skipped otherwise, failing under CI=true without root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '@dmm/core';
import { NeighborState } from '@dmm/core';
import { ND_SERVICE, ndraPlugin, type NdService } from '@dmm/ndra';
import {
  NetnsLab,
  inNetns,
  inNetnsAsync,
  ip,
  parseIpv6,
  parseMac,
  requireRoot,
  rootOnly,
  sleep,
} from '@dmm/testkit';
import { Tap, TunTapNetDevice } from '@dmm/tuntap';
import {
  Icmpv6,
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  formatIpv6,
  isIpv6LinkLocal,
} from '@dmm/wire';

const R_MAC = parseMac('02:00:00:00:00:0a');
/** Modified EUI-64 link-local of R_MAC (RFC 4291 App. A). */
const R_LL = 'fe80::ff:fe00:a';
const R_GLOBAL = '2001:db8:1::1';

interface AddrInfo {
  ifname: string;
  addr_info: {
    family: string;
    local: string;
    prefixlen: number;
    scope: string;
    tentative?: boolean;
    dadfailed?: boolean;
  }[];
}

function addrs(ns: string, dev: string): AddrInfo['addr_info'] {
  const j = JSON.parse(ip('-n', ns, '-j', '-6', 'addr', 'show', 'dev', dev)) as AddrInfo[];
  return j[0]?.addr_info ?? [];
}

async function waitFor<T>(
  what: string,
  fn: () => T | null | undefined | false,
  ms: number,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** An Echo Request from the router to `dst` (router-originated, routed). */
function sendEcho(router: Router, src: Uint8Array, dst: Uint8Array, id: number): void {
  const pb = router.pool.alloc()!;
  const icmpLen = 8 + 4;
  const l3 = pb.start;
  pb.end = l3 + 40 + icmpLen;
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: icmpLen,
      nextHeader: IpProto.Icmpv6,
      hopLimit: 64,
      src,
      dst,
    },
    new Ipv6View(pb.bytes, pb.dv, l3, pb.end),
  );
  const v = new Icmpv6View(pb.bytes, pb.dv, l3 + 40, pb.end);
  Icmpv6.emit({ kind: 'echo-request', id, seq: 1, data: Uint8Array.of(1, 2, 3, 4) }, v);
  v.fillChecksum(l3 + 8, l3 + 24);
  router.sendIp6(pb);
}

test(
  'kernel host: SLAAC and routes from our RA, rdisc6, ND both ways, DAD both ways',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new NetnsLab('dmmn');
    let router: Router | null = null;
    try {
      const ns = lab.netns();
      const dev = lab.devName('t');
      const tap = lab.track(new Tap({ name: dev }));
      router = new Router({ name: 'k1', pool: { count: 1024 } });
      const iface = router.addInterface({
        name: dev,
        device: new TunTapNetDevice(tap),
        mac: R_MAC,
      });
      router.addAddress(iface, parseIpv6(R_GLOBAL), 64);
      await router.plugins.load(ndraPlugin, {
        // a short DELAY_FIRST_PROBE_TIME so that NUD confirms the host within the test
        neighbors: { delayFirstProbeTime: 1 },
        interfaces: {
          [dev]: {
            ra: {
              maxInterval: 30,
              routerLifetime: 1800,
              preference: 'high',
              prefixes: [
                { prefix: '2001:db8:1::/64', validLifetime: 86400, preferredLifetime: 14400 },
              ],
              routes: [{ prefix: '2001:db8:99::/48', preference: 'low', lifetime: 1800 }],
              rdnss: [{ servers: ['2001:db8:1::53'], lifetime: 600 }],
            },
          },
        },
      });
      tap.moveToNetns(ns);
      for (const [k, v] of [
        ['accept_ra', '1'],
        ['accept_ra_rt_info_max_plen', '128'],
        ['accept_ra_rtr_pref', '1'],
        ['accept_ra_pinfo', '1'],
      ]) {
        inNetns(ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${dev}.${k}=${v}`);
      }
      ip('-n', ns, 'link', 'set', 'dev', dev, 'up');
      await router.start();
      const nd = router.container.resolve(ND_SERVICE) as NdService;

      // (a) SLAAC from the RA answering the kernel's RS, the default route and the RIO route
      const slaac = await waitFor(
        'a SLAAC address',
        () =>
          addrs(ns, dev).find(
            (a) => a.local.startsWith('2001:db8:1:') && a.scope === 'global' && !a.tentative,
          ),
        10_000,
      );
      assert.equal(slaac.prefixlen, 64);
      const routes = JSON.parse(ip('-n', ns, '-j', '-6', 'route', 'show', 'dev', dev)) as {
        dst: string;
        gateway?: string;
        protocol?: string;
        pref?: string;
      }[];
      const def = routes.find((r) => r.dst === 'default');
      assert.ok(def, `default route: ${JSON.stringify(routes)}`);
      assert.equal(def.gateway, R_LL);
      assert.equal(def.protocol, 'ra');
      assert.equal(def.pref, 'high');
      const rio = routes.find((r) => r.dst === '2001:db8:99::/48');
      assert.ok(rio, `RIO route: ${JSON.stringify(routes)}`);
      assert.equal(rio.gateway, R_LL);
      assert.equal(rio.pref, 'low');

      // (b) rdisc6 parses our (solicited, unicast) RA
      const rd = await inNetnsAsync(ns, 'rdisc6', '-1', '-w', '4000', dev);
      assert.equal(rd.status, 0, rd.stderr + rd.stdout);
      const out = rd.stdout;
      for (const re of [
        /Hop limit\s*:\s*64/,
        /Router preference\s*:\s*high/,
        /Router lifetime\s*:\s*1800 /,
        /MTU\s*:\s*1500 bytes/,
        /Prefix\s*:\s*2001:db8:1::\/64/,
        /Valid time\s*:\s*86400 /,
        /Pref\. time\s*:\s*14400 /,
        /Route\s*:\s*2001:db8:99::\/48/,
        /Route preference\s*:\s*low/,
        /Route lifetime\s*:\s*1800 /,
        /Recursive DNS server\s*:\s*2001:db8:1::53/,
        /DNS server lifetime\s*:\s*600 /,
        /Source link-layer address\s*:\s*02:00:00:00:00:0A/i,
        new RegExp(`from ${R_LL}`),
      ]) {
        assert.match(out, re);
      }

      // (c) the kernel pings our global and link-local addresses: its NSs get our NAs
      const p1 = await inNetnsAsync(ns, 'ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', R_GLOBAL);
      assert.equal(p1.status, 0, p1.stdout + p1.stderr);
      const p2 = await inNetnsAsync(
        ns,
        'ping',
        '-6',
        '-c',
        '2',
        '-i',
        '0.2',
        '-W',
        '2',
        `${R_LL}%${dev}`,
      );
      assert.equal(p2.status, 0, p2.stdout + p2.stderr);
      const kernelMac = (
        JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'dev', dev)) as { address: string }[]
      )[0]!.address;
      const kneigh = JSON.parse(ip('-n', ns, '-j', '-6', 'neigh', 'show', 'dev', dev)) as {
        dst: string;
        lladdr?: string;
      }[];
      for (const a of [R_GLOBAL, R_LL]) {
        const e = kneigh.find((n) => n.dst === a);
        assert.ok(e, `kernel has a neighbour entry for ${a}: ${JSON.stringify(kneigh)}`);
        assert.equal(e.lladdr, '02:00:00:00:00:0a');
      }

      // ...and our cache: the kernel's NS (with SLLA) made a STALE entry for the host, our
      // replies moved it to DELAY, NUD's unicast probe got a solicited NA: REACHABLE
      const hostAddr = parseIpv6(slaac.local);
      const stateOf = (a: Uint8Array): number => {
        const id = router!.neighbors.lookup(iface.index, a, 0);
        return id < 0 ? 0 : router!.neighbors.state[id]!;
      };
      await waitFor(
        'the host REACHABLE in our cache',
        () => stateOf(hostAddr) === NeighborState.Reachable,
        4000,
      );
      const show = (await router.commands.run('show neighbors')).result as {
        address: string;
        state: string;
        mac: string;
      }[];
      // compared as bytes: core's text form compresses a single zero group, the kernel's does not
      const me = show.find((n) => Buffer.from(parseIpv6(n.address)).equals(hostAddr));
      assert.ok(me, `${formatIpv6(hostAddr)} in ${JSON.stringify(show)}`);
      assert.equal(me.state, 'reachable');
      assert.equal(me.mac, kernelMac);

      // (e1) the kernel's own DAD is not disturbed by us
      ip('-n', ns, 'addr', 'add', '2001:db8:1::77/64', 'dev', dev);
      await sleep(2000);
      const k77 = addrs(ns, dev).find((a) => a.local === '2001:db8:1::77');
      assert.ok(k77 && !k77.tentative && !k77.dadfailed, JSON.stringify(k77));

      // (d) the router pings that fresh address: INCOMPLETE, multicast NS, the kernel's
      // solicited NA → REACHABLE, the queued Echo Request leaves, the Echo Reply comes back
      // (nobody registered for Echo Replies: icmp6-input counts it)
      const k77Addr = parseIpv6('2001:db8:1::77');
      assert.equal(stateOf(k77Addr), 0);
      const replies = () => router!.counters()['icmp6-input.unhandled-informational'] ?? 0;
      const before = replies();
      const nsBefore = router.counters()['nd-cache.ns-sent'] ?? 0;
      sendEcho(router, parseIpv6(R_GLOBAL), k77Addr, 7);
      assert.equal(stateOf(k77Addr), NeighborState.Incomplete);
      await waitFor('the echo reply', () => replies() > before, 3000);
      assert.equal(stateOf(k77Addr), NeighborState.Reachable);
      assert.equal((router.counters()['nd-cache.ns-sent'] ?? 0) - nsBefore, 1);

      // (e2) an address the kernel already has: our DAD finds the duplicate
      ip('-n', ns, 'addr', 'add', '2001:db8:1::88/64', 'dev', dev, 'nodad');
      const dupAddr = parseIpv6('2001:db8:1::88');
      const dups: string[] = [];
      nd.onDuplicate((_i, a, by) => dups.push(`${formatIpv6(a)} ${by}`));
      router.addAddress(iface, dupAddr, 64);
      await waitFor('our DAD verdict', () => nd.addressState(dev, dupAddr) !== 'tentative', 3000);
      assert.equal(nd.addressState(dev, dupAddr), 'duplicate');
      assert.deepEqual(dups, ['2001:db8:1::88 na']);
      assert.equal(router.local.isLocalUnicast(iface.index, dupAddr, 0), false);
      // our own addresses were unique
      assert.equal(nd.addressState(dev, parseIpv6(R_GLOBAL)), 'preferred');
      assert.equal(nd.addressState(dev, router.interfaces[iface.index]!.linkLocal!), 'preferred');
      assert.ok(isIpv6LinkLocal(router.interfaces[iface.index]!.linkLocal!, 0));
    } finally {
      await router?.stop();
      lab.cleanup();
    }
  },
);
