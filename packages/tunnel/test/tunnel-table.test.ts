/**
 * The tunnel table on its own (reference counts, lookups, outer header templates, MTU from
 * routes and Packet Too Big, events) and the `tunnel` plugin's wiring (service token,
 * handlers, `show tunnels`, teardown).
 *
 * OUTER_TEMPLATE is the outer header of protocol.md §5.2's IPv6-in-IPv6 vector (hand-written
 * Python and scapy 2.5) with Payload Length 0, as a template keeps it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDevice, RouteKind, Router, definePlugin, renderTable } from '@dmm/core';
import { assertBytes, hex, parseIpv6 } from '@dmm/testkit';
import { z } from 'zod';
import {
  DEFAULT_PMTU_AGE_MS,
  PtbResult,
  TUNNELS,
  TunnelTable,
  tunnelPlugin,
  type TunnelMtuCause,
} from '@dmm/tunnel';
import { A_WAN, B_WAN, link, tick, tunnelRouter, twoRouters } from './lab.js';

const OUTER_TEMPLATE = hex`60000000 0000 29 40 fd00:100::2 fd00:100::1`;
const B2 = parseIpv6('fd00:100::3');

/** A router with fd00:100::2/64 on a 1500 link and fd00:100::12/128 too. */
function router(mtu = 1500): Router {
  const r = new Router({ name: 'T' });
  const i = link(r, 'wan0', new MemoryDevice({ name: 'wan0', mtu }), A_WAN);
  r.addAddress(i, parseIpv6('fd00:100::12'), 128);
  return r;
}

test('table: acquire shares one tunnel per (local, remote) pair and counts references', () => {
  const t = new TunnelTable(router());
  const ups: number[] = [];
  const downs: number[] = [];
  t.events.on('tunnel:up', (id) => ups.push(id));
  t.events.on('tunnel:down', (id) => downs.push(id));
  const id = t.acquire(A_WAN, B_WAN);
  assert.equal(t.acquire(A_WAN, B_WAN), id);
  assert.equal(t.refCount(id), 2);
  assert.deepEqual(ups, [id]);
  // same remote, another local address: another tunnel; and another remote
  const id2 = t.acquire(parseIpv6('fd00:100::12'), B_WAN);
  const id3 = t.acquire(A_WAN, B2);
  assert.equal(new Set([id, id2, id3]).size, 3);
  assert.equal(t.size, 3);
  const key = new Uint8Array(32);
  const find = (local: Uint8Array, remote: Uint8Array): number => {
    key.set(remote, 0);
    key.set(local, 16);
    return t.find(key, 0, 16);
  };
  assert.equal(find(A_WAN, B_WAN), id);
  assert.equal(find(parseIpv6('fd00:100::12'), B_WAN), id2);
  assert.equal(find(A_WAN, B2), id3);
  assert.equal(find(B_WAN, A_WAN), -1, 'direction matters');

  assert.equal(t.release(id), 1);
  assert.deepEqual(downs, []);
  assert.equal(t.release(id), 0);
  assert.deepEqual(downs, [id]);
  assert.equal(find(A_WAN, B_WAN), -1);
  assert.equal(find(parseIpv6('fd00:100::12'), B_WAN), id2, 'the other tunnel to B stays');
  assert.equal(t.info(id), undefined);
  assert.throws(() => t.release(id), { code: 'DMM_ERR_CONFIG_INVALID' });
  // the freed slot comes back with a new id
  const id4 = t.acquire(A_WAN, B_WAN);
  assert.notEqual(id4, id);
  assert.equal(id4 & 0xffff, id & 0xffff);
  assert.equal(t.isLive(id), false);
  assert.equal(t.isLive(id4), true);
  assert.equal(t.refCount(id), 0);
});

test("table: the outer header template is §5.2's outer header, hop limit from the router or the caller", () => {
  const r = router();
  const t = new TunnelTable(r);
  const id = t.acquire(A_WAN, B_WAN);
  assertBytes(t.templates[id & 0xffff]!, OUTER_TEMPLATE);
  const id2 = t.acquire(A_WAN, B2, { hopLimit: 255 });
  assert.equal(t.templates[id2 & 0xffff]![7], 255);
  assert.equal(t.info(id2)!.hopLimit, 255);
  const t2 = new TunnelTable(r, { hopLimit: 17 });
  assert.equal(t2.templates[t2.acquire(A_WAN, B_WAN) & 0xffff]![7], 17);
});

test('table: endpoints are checked', () => {
  const t = new TunnelTable(router());
  const bad: [Uint8Array, Uint8Array][] = [
    [parseIpv6('fd00:100::99'), B_WAN], // not ours
    [A_WAN, A_WAN],
    [A_WAN, parseIpv6('ff02::1')],
    [A_WAN, parseIpv6('fe80::1')],
    [A_WAN, parseIpv6('::')],
    [A_WAN, new Uint8Array(4)],
  ];
  for (const [l, r] of bad)
    assert.throws(() => t.acquire(l, r), { code: 'DMM_ERR_CONFIG_INVALID' });
  assert.throws(() => t.acquire(A_WAN, B_WAN, { hopLimit: 0 }), { code: 'DMM_ERR_CONFIG_INVALID' });
  assert.equal(t.size, 0);
});

test('table: grows past its first capacity and keeps every lookup', () => {
  const t = new TunnelTable(router());
  const ids: number[] = [];
  for (let i = 0; i < 100; i++) {
    const remote = parseIpv6(`fd00:300::${(i + 1).toString(16)}`);
    ids.push(t.acquire(A_WAN, remote));
  }
  const key = new Uint8Array(32);
  key.set(A_WAN, 16);
  for (let i = 0; i < 100; i++) {
    key.set(parseIpv6(`fd00:300::${(i + 1).toString(16)}`), 0);
    assert.equal(t.find(key, 0, 16), ids[i]);
    assert.equal(t.info(ids[i]!)!.mtu, 1280, 'no route to fd00:300::/64: the minimum');
  }
  for (const id of ids) t.release(id);
  assert.equal(t.size, 0);
});

test('table: path MTU starts at the outgoing link MTU found by a route lookup, and follows route changes', async () => {
  const r = router(9000);
  const t = new TunnelTable(r);
  const events: [number, number, number, TunnelMtuCause][] = [];
  t.events.on('tunnel:mtu', (...e) => events.push(e));
  const far = parseIpv6('fd00:900::1');
  const id = t.acquire(A_WAN, far);
  assert.deepEqual([t.info(id)!.linkMtu, t.info(id)!.mtu], [1280, 1280], 'no route yet');
  const narrow = link(
    r,
    'wan1',
    new MemoryDevice({ name: 'wan1', mtu: 1400 }),
    parseIpv6('fd00:800::2'),
  );
  r.addRoute({
    prefix: far,
    prefixLen: 64,
    ifIndex: narrow.index,
    gateway: parseIpv6('fd00:800::1'),
  });
  t.refresh();
  assert.deepEqual(events, [[id, 1360, 1400, 'route']]);
  const near = t.acquire(A_WAN, B_WAN);
  assert.equal(t.info(near)!.mtu, 8960, 'on-link over the 9000 link');
  // a tunnel over a tunnel: the outer tunnel's MTU is the inner tunnel's link MTU
  r.addRoute({ prefix: far, prefixLen: 64, kind: RouteKind.Tunnel, tunnel: near });
  t.refresh();
  assert.deepEqual(t.info(id)!.linkMtu, 8960);
  assert.deepEqual(t.info(id)!.mtu, 8920);
  // scheduleRefresh runs once after the breath
  r.removeRoute(far, 64);
  t.scheduleRefresh();
  t.scheduleRefresh();
  assert.equal(t.info(id)!.mtu, 8920);
  await tick();
  assert.equal(t.info(id)!.mtu, 1280);
  assert.equal(events.length, 3);
});

test('table: Packet Too Big lowers the path MTU only, to no less than 1280, and ages out (RFC 8201 §4)', async () => {
  let now = 1_000_000;
  const t = new TunnelTable(router(), { now: () => now });
  assert.equal(t.pmtuAgeMs, DEFAULT_PMTU_AGE_MS);
  const events: [number, number, number, TunnelMtuCause][] = [];
  t.events.on('tunnel:mtu', (...e) => events.push(e));
  const id = t.acquire(A_WAN, B_WAN);
  assert.equal(t.applyPacketTooBig(id, 1279), PtbResult.BelowMinimum);
  assert.equal(t.applyPacketTooBig(id, 1500), PtbResult.NotLower);
  assert.equal(t.applyPacketTooBig(id, 1450), PtbResult.Lowered);
  assert.equal(t.applyPacketTooBig(id, 1400), PtbResult.Lowered);
  assert.equal(t.applyPacketTooBig(id, 1420), PtbResult.NotLower);
  assert.equal(t.applyPacketTooBig(id + 1, 1400), PtbResult.NoTunnel);
  assert.deepEqual([t.pathMtu[id]!, t.mtu[id]!], [1400, 1360]);
  assert.deepEqual(events, []);
  await tick();
  assert.deepEqual(events, [[id, 1360, 1400, 'packet-too-big']], 'one event for the breath');
  // a route change does not forget what the path said
  t.refresh();
  assert.equal(t.mtu[id], 1360);
  now += DEFAULT_PMTU_AGE_MS - 1;
  assert.equal(t.expirePathMtu(), 0);
  now += 1;
  assert.equal(t.expirePathMtu(), 1);
  assert.deepEqual(events[1], [id, 1460, 1500, 'expired']);
  assert.equal(t.info(id)!.learnedPathMtu, null);
  assert.equal(t.info(id)!.ptbReceived, 5);
});

test('table: a throwing event listener is logged and does not break the table', () => {
  const t = new TunnelTable(router());
  t.events.on('tunnel:up', () => {
    throw new Error('listener bug');
  });
  const seen: number[] = [];
  t.events.on('tunnel:up', (id) => seen.push(id));
  const id = t.acquire(A_WAN, B_WAN);
  assert.deepEqual(seen, [id]);
  assert.equal(t.refCount(id), 1);
});

test('plugin: provides TUNNELS to dependants, registers its handlers, removes them on stop', async () => {
  const { router, tunnels } = await tunnelRouter('P');
  const ip6 = router.ip6;
  assert.ok(ip6.tunnelArc >= 0);
  assert.ok(ip6.localProtocolArc[41]! >= 0);
  for (const type of [1, 2, 3, 4]) assert.ok(ip6.icmpTypeArc[type]! >= 0, `ICMPv6 type ${type}`);
  link(router, 'wan0', new MemoryDevice({ name: 'wan0' }), A_WAN);
  let seen: TunnelTable | null = null;
  await router.plugins.load(
    definePlugin({
      name: 'mobility-role',
      version: '1.0.0',
      dependencies: ['tunnel'],
      configSchema: z.object({}),
      setup(ctx) {
        seen = ctx.resolve(TUNNELS);
        seen.acquire(A_WAN, B_WAN);
      },
    }),
  );
  assert.equal(seen, tunnels);
  assert.equal(tunnels.size, 1);
  await router.start();
  const downs: number[] = [];
  tunnels.events.on('tunnel:down', (id) => downs.push(id));
  await router.plugins.stop('tunnel');
  assert.equal(router.plugins.state('mobility-role'), 'stopped');
  assert.equal(ip6.tunnelArc, -1);
  assert.equal(ip6.localProtocolArc[41], -1);
  for (const type of [1, 2, 3, 4]) assert.equal(ip6.icmpTypeArc[type], -1);
  assert.equal(tunnels.size, 0, 'tunnels removed with the module');
  assert.equal(downs.length, 1);
  assert.equal(router.commands.get('show tunnels'), undefined);
  await router.plugins.start('tunnel');
  assert.ok(ip6.tunnelArc >= 0);
  assert.notEqual(router.container.resolve(TUNNELS), tunnels, 'a fresh table');
  await router.stop();
});

test('plugin: config is validated; icmpErrors chooses the ICMPv6 types it owns', async () => {
  const r = new Router();
  await assert.rejects(r.plugins.load(tunnelPlugin, { pmtuAgeSeconds: 10 }), {
    code: 'DMM_ERR_CONFIG_INVALID',
  });
  await assert.rejects(r.plugins.load(tunnelPlugin, { icmpErrors: [1, 3] }), {
    code: 'DMM_ERR_CONFIG_INVALID',
  });
  await assert.rejects(r.plugins.load(tunnelPlugin, { hopLimit: 0 }), {
    code: 'DMM_ERR_CONFIG_INVALID',
  });
  await r.plugins.load(tunnelPlugin, { icmpErrors: [2] });
  assert.ok(r.ip6.icmpTypeArc[2]! >= 0);
  assert.equal(r.ip6.icmpTypeArc[1], -1);
  assert.equal(r.ip6.icmpTypeArc[3], -1);
});

test('show tunnels: endpoints, references, MTU, packets and bytes each way, drops', async () => {
  const { a, tAB } = await twoRouters({ pair: false });
  a.tunnels.acquire(A_WAN, B_WAN);
  const { result, table } = await a.router.commands.run('show tunnels');
  assert.deepEqual(result, [
    {
      id: tAB,
      local: 'fd00:100::2',
      remote: 'fd00:100::1',
      refs: 2,
      hopLimit: 64,
      linkMtu: 1500,
      pathMtu: 1500,
      mtu: 1460,
      learnedPathMtu: null,
      encap: { packets: 0, bytes: 0, fragmented: 0 },
      decap: { packets: 0, bytes: 0 },
      ptbReceived: 0,
      errorsRelayed: 0,
      drops: {
        'too-big': 0,
        'too-big-local': 0,
        'no-headroom': 0,
        'no-buffer': 0,
        'inner-malformed': 0,
      },
    },
  ]);
  assert.equal(
    renderTable(table!),
    [
      'ID  LOCAL        REMOTE       REFS  MTU   PMTU  TX-PKTS  TX-BYTES  RX-PKTS  RX-BYTES  DROPS',
      '0   fd00:100::2  fd00:100::1  2     1460  1500  0        0         0        0         0',
    ].join('\n'),
  );
});

test('plugin: tunnel MTUs follow route changes (after the breath)', async () => {
  const { router, tunnels } = await tunnelRouter('R');
  link(router, 'wan0', new MemoryDevice({ name: 'wan0', mtu: 1500 }), A_WAN);
  const far = parseIpv6('fd00:900::1');
  const id = tunnels.acquire(A_WAN, far);
  assert.equal(tunnels.info(id)!.mtu, 1280, 'no route to the exit point yet');
  const wan1 = link(
    router,
    'wan1',
    new MemoryDevice({ name: 'wan1', mtu: 4000 }),
    parseIpv6('fd00:800::2'),
  );
  router.addRoute({
    prefix: far,
    prefixLen: 64,
    ifIndex: wan1.index,
    gateway: parseIpv6('fd00:800::1'),
  });
  await tick();
  assert.equal(tunnels.info(id)!.mtu, 3960);
  router.removeRoute(far, 64);
  await tick();
  assert.equal(tunnels.info(id)!.mtu, 1280);
});
