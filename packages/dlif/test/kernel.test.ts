/**
 * DLIFs judged by a real Linux kernel. A Router (a D-GW) runs in this process with one TAP
 * whose netdev lives in a fresh namespace (`dmmf-…`), where the kernel plays a mobile node:
 *
 *   Router (this process) ── TAP queue ══ netdev in dmmf-xxxx: kernel IPv6 host "mn1"
 *
 * The story of draft §4.2: (1) mn1 is attached to D-GW1 (this router plays it: one serving
 * DLIF, prefix A); (2) mn1 moves to D-GW2 (this router now plays D-GW2: D-GW1's DLIF goes
 * silently, D-GW2's own DLIF advertises prefix B, and a DLIF with D-GW1's identity stands
 * for D-GW1: prefix A deprecated, a route to D-GW1's local network); the host must see two
 * routers, the same one as before among them; (3) D-GW1's anchor is released.
 *
 * Host sysctls (docs/lab.md "Host sysctls"), set on the device: accept_ra = 1,
 * accept_ra_rt_info_max_plen = 128 (RIOs up to /128), accept_ra_rtr_pref = 1 (RFC 4191
 * preferences), accept_ra_pinfo = 1 and autoconf = 1 (SLAAC), addr_gen_mode = 0 (EUI-64, so
 * the addresses are known), use_tempaddr = 0, accept_ra_min_lft = 0, and ra_honor_pio_life = 1
 * so that a valid lifetime of 0 removes the address at once (otherwise the RFC 4862 §5.5.3 e
 * two-hour rule keeps it).
 *
 * Root only (skipped otherwise, failing under CI=true without root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '@dmm/core';
import { ndraPlugin } from '@dmm/ndra';
import { DLIFS, dlifPlugin } from '@dmm/dlif';
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

const P_MAC = parseMac('02:00:00:00:00:0a');
const MN_MAC = '02:00:00:00:0a:01';
/** DLIF identities (identity.test.ts vectors). */
const A_LL = 'fe80::64:51ff:fe7c:2acc'; // (dgw1, mn1)
const A_MAC = '02:64:51:7c:2a:cc';
const S_LL = 'fe80::6c:bbff:feec:9014'; // (dgw2, mn1)
const S_MAC = '02:6c:bb:ec:90:14';
/** mn1's SLAAC addresses (EUI-64 of its MAC). */
const ADDR_A = '2001:db8:a::ff:fe00:a01';
const ADDR_B = '2001:db8:b::ff:fe00:a01';

interface Addr {
  local: string;
  prefixlen: number;
  scope: string;
  tentative?: boolean;
  deprecated?: boolean;
  preferred_life_time?: number;
  valid_life_time?: number;
}
interface RouteEntry {
  dst: string;
  gateway?: string;
  pref?: string;
  protocol?: string;
  nexthops?: { gateway?: string }[];
}
interface Neigh {
  dst: string;
  lladdr?: string;
  state?: string[];
}

function addrs(ns: string, dev: string): Addr[] {
  const j = JSON.parse(ip('-n', ns, '-j', '-6', 'addr', 'show', 'dev', dev)) as {
    addr_info: Addr[];
  }[];
  return j[0]?.addr_info ?? [];
}

function routes(ns: string, dev: string): RouteEntry[] {
  return JSON.parse(ip('-n', ns, '-j', '-6', 'route', 'show', 'dev', dev)) as RouteEntry[];
}

/** Every (destination, gateway, preference) of the routing table, multipath flattened. */
function gateways(ns: string, dev: string): string[] {
  const out: string[] = [];
  for (const r of routes(ns, dev)) {
    if (r.gateway !== undefined) out.push(`${r.dst} via ${r.gateway} ${r.pref ?? ''}`.trim());
    for (const h of r.nexthops ?? [])
      if (h.gateway !== undefined) out.push(`${r.dst} via ${h.gateway} ${r.pref ?? ''}`.trim());
  }
  return out.sort();
}

async function waitFor<T>(
  what: string,
  fn: () => T | null | undefined | false,
  ms: number,
  state: () => string = () => '',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${state()}`);
    await sleep(100);
  }
}

test(
  'kernel host: two DLIFs are two routers; the anchor prefix deprecated, the serving one used; release',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new NetnsLab('dmmf');
    let router: Router | null = null;
    try {
      const ns = lab.netns();
      const dev = lab.devName('t');
      const tap = lab.track(new Tap({ name: dev }));
      router = new Router({ name: 'dgw', pool: { count: 1024 } });
      const parent = router.addInterface({
        name: dev,
        device: new TunTapNetDevice(tap),
        mac: P_MAC,
      });
      await router.plugins.load(ndraPlugin, {});
      await router.plugins.load(dlifPlugin, { maxInterval: 30 });
      tap.moveToNetns(ns);
      ip('-n', ns, 'link', 'set', 'dev', dev, 'address', MN_MAC);
      for (const [k, v] of [
        ['forwarding', '0'],
        ['accept_ra', '1'],
        ['accept_ra_defrtr', '1'],
        ['accept_ra_pinfo', '1'],
        ['accept_ra_rtr_pref', '1'],
        ['accept_ra_rt_info_min_plen', '0'],
        ['accept_ra_rt_info_max_plen', '128'],
        ['accept_ra_min_lft', '0'],
        ['ra_honor_pio_life', '1'],
        ['autoconf', '1'],
        ['addr_gen_mode', '0'],
        ['use_tempaddr', '0'],
      ]) {
        inNetns(ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${dev}.${k}=${v}`);
      }
      await router.start();
      const dlifs = router.container.resolve(DLIFS);
      const mn1 = { id: 'mn1', mac: parseMac(MN_MAC) };
      const prefA = { prefix: parseIpv6('2001:db8:a::'), prefixLen: 64 };
      const prefB = { prefix: parseIpv6('2001:db8:b::'), prefixLen: 64 };
      const localnet = { prefix: parseIpv6('2001:db8:99::'), prefixLen: 48 };

      // (1) attached to D-GW1: one router, prefix A preferred
      const first = dlifs.create({
        parent,
        node: mn1,
        anchor: { id: 'dgw1' },
        role: 'serving',
        prefixes: [{ ...prefA, validLifetime: 86400, preferredLifetime: 14400 }],
      });
      ip('-n', ns, 'link', 'set', 'dev', dev, 'up');
      await waitFor(
        'the SLAAC address from prefix A',
        () => addrs(ns, dev).find((a) => a.local === ADDR_A && !a.tentative && !a.deprecated),
        10_000,
        () => JSON.stringify(addrs(ns, dev)),
      );
      assert.deepEqual(gateways(ns, dev), [`default via ${A_LL} medium`]);

      // (2) handover: this router is now D-GW2; D-GW1's DLIF is re-created as an anchor
      // DLIF with the same identity, D-GW2's own DLIF serves prefix B
      dlifs.remove(first, { reason: 'moved' });
      dlifs.create({
        parent,
        node: mn1,
        anchor: { id: 'dgw2' },
        role: 'serving',
        prefixes: [{ ...prefB, validLifetime: 86400, preferredLifetime: 14400 }],
      });
      const anchor = dlifs.create({
        parent,
        node: mn1,
        anchor: { id: 'dgw1', address: parseIpv6('2001:db8:ff::11') },
        role: 'anchor',
        prefixes: [{ ...prefA, validLifetime: 3600 }],
        routes: [{ ...localnet, lifetime: 3600 }],
      });
      const both = await waitFor(
        'prefix B preferred and prefix A deprecated',
        () => {
          const l = addrs(ns, dev);
          const a = l.find((x) => x.local === ADDR_A);
          const b = l.find((x) => x.local === ADDR_B);
          return a?.deprecated === true && b !== undefined && !b.tentative && !b.deprecated
            ? { a, b }
            : null;
        },
        10_000,
        () => JSON.stringify(addrs(ns, dev)),
      );
      assert.equal(both.a.preferred_life_time, 0, 'ip -6 addr: deprecated');
      assert.ok(
        both.a.valid_life_time! > 3500 && both.a.valid_life_time! <= 3600,
        `valid lifetime follows the binding: ${both.a.valid_life_time}`,
      );
      assert.ok(both.b.preferred_life_time! > 14000);

      // two routers: two default routes via the two DLIF link-locals, the RIO via D-GW1's
      const gws = await waitFor(
        'two default routes and the RIO route',
        () => {
          const g = gateways(ns, dev);
          return g.length === 3 ? g : null;
        },
        5000,
        () => JSON.stringify(routes(ns, dev)),
      );
      assert.deepEqual(gws, [
        `2001:db8:99::/48 via ${A_LL} medium`,
        `default via ${A_LL} low`,
        `default via ${S_LL} medium`,
      ]);

      // each link-local resolves to its own MAC: with the entries the RAs' SLLAs made
      // flushed, the host's multicast NSs reach both DLIFs and the owner answers
      ip('-n', ns, 'neigh', 'flush', 'dev', dev);
      for (const ll of [A_LL, S_LL]) {
        const p = await inNetnsAsync(ns, 'ping', '-6', '-c', '1', '-W', '2', `${ll}%${dev}`);
        assert.equal(p.status, 0, p.stdout + p.stderr);
      }
      const neigh = JSON.parse(ip('-n', ns, '-j', '-6', 'neigh', 'show', 'dev', dev)) as Neigh[];
      const macOf = (a: string) => neigh.find((n) => n.dst === a)?.lladdr;
      assert.equal(macOf(A_LL), A_MAC, JSON.stringify(neigh));
      assert.equal(macOf(S_LL), S_MAC, JSON.stringify(neigh));
      // iproute2 prints flags as keys with a null value
      assert.ok('router' in neigh.find((n) => n.dst === A_LL)!, 'learnt as a router');

      // a new connection takes the serving prefix (RFC 6724 rule 3: avoid deprecated)
      const get = inNetns(ns, 'ip', '-6', 'route', 'get', '2001:db8:ff::1');
      assert.match(get, new RegExp(`src ${ADDR_B}\\b`), get);
      // …and a packet from the deprecated address still leaves by the preferred default
      // router (Linux picks the next hop by Router Preference, not by source as RFC 8028
      // suggests): a D-GW must route anchor traffic by source prefix, not only by input DLIF
      const oldSrc = inNetns(ns, 'ip', '-6', 'route', 'get', '2001:db8:ff::1', 'from', ADDR_A);
      assert.match(oldSrc, new RegExp(`via ${S_LL} `), oldSrc);
      const lipa = inNetns(ns, 'ip', '-6', 'route', 'get', '2001:db8:99::1');
      assert.match(lipa, new RegExp(`via ${A_LL} `), lipa);

      // rdisc6: one Router Solicitation, one RA from each DLIF (each its own source, SLLA
      // and prefix: A deprecated, B preferred)
      const rd = await inNetnsAsync(ns, 'rdisc6', '-m', '-r', '1', '-w', '2000', dev);
      assert.equal(rd.status, 0, rd.stderr + rd.stdout);
      const blocks = rd.stdout.split(/(?=Hop limit)/).filter((x) => x.includes(' from '));
      assert.equal(blocks.length, 2, rd.stdout);
      const raA = blocks.find((x) => x.includes(`from ${A_LL}`));
      const raS = blocks.find((x) => x.includes(`from ${S_LL}`));
      assert.ok(raA && raS, rd.stdout);
      assert.match(raA, /Router preference\s*:\s*low/);
      assert.match(raA, /Prefix\s*:\s*2001:db8:a::\/64/);
      assert.match(raA, /Pref\. time\s*:\s*0 /);
      assert.match(raA, /Route\s*:\s*2001:db8:99::\/48/);
      assert.match(raA, new RegExp(`Source link-layer address\\s*:\\s*${A_MAC}`, 'i'));
      assert.match(raS, /Router preference\s*:\s*medium/);
      assert.match(raS, /Prefix\s*:\s*2001:db8:b::\/64/);
      assert.match(raS, /Pref\. time\s*:\s*14400 /);
      assert.doesNotMatch(
        raS,
        /2001:db8:a::/,
        "the serving DLIF does not speak of the anchor's prefix",
      );
      assert.match(raS, new RegExp(`Source link-layer address\\s*:\\s*${S_MAC}`, 'i'));

      // our side: show dlifs
      const st = dlifs.status('mn1')[0]!;
      assert.equal(st.linkLocal, 'fe80::ff:fe00:a01', 'learnt from the RS');
      assert.deepEqual(
        st.dlifs.map((d) => `${d.role} ${d.mac} ${d.linkLocal}`),
        [`serving ${S_MAC} ${S_LL}`, `anchor ${A_MAC} ${A_LL}`],
      );
      assert.ok(st.dlifs.every((d) => d.counters.nsAnswered >= 1 && d.counters.rasSent >= 1));

      // (3) D-GW1's anchor released: its router, its prefix and its route go at once
      dlifs.remove(anchor, { reason: 'released' });
      await waitFor(
        'address A, the default route via D-GW1 and the RIO route gone',
        () =>
          addrs(ns, dev).every((a) => a.local !== ADDR_A) &&
          gateways(ns, dev).join() === `default via ${S_LL} medium`,
        5000,
        () => JSON.stringify({ a: addrs(ns, dev), r: routes(ns, dev) }),
      );
      assert.ok(addrs(ns, dev).some((a) => a.local === ADDR_B && !a.deprecated));
    } finally {
      await router?.stop();
      lab.cleanup();
    }
  },
);
