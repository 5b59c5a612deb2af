/**
 * Logical interfaces (DLIFs) on an Ethernet parent: unicast frames to a logical
 * interface's MAC and group-addressed frames from the node it serves reach it; it answers
 * and forwards with its own MAC and link-local address through the parent's device; its
 * removal leaves no demultiplexer entry, route or neighbour behind and frees its index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6, parseMac } from '@dmm/testkit';
import {
  Icmpv6,
  Icmpv6View,
  IpProto,
  Ipv6,
  Ipv6View,
  dataViewOf,
  formatIpv6,
  linkLocalFromMac,
} from '@dmm/wire';
import { MacMap, MemoryDevice, NeighborState, Router, isDmmError } from '@dmm/core';

const P_MAC = parseMac('02:00:00:00:aa:00');
const D_MAC = parseMac('02:00:00:00:d1:01');
const MN_MAC = parseMac('02:00:00:00:00:77');
const MN_LL = parseIpv6('fe80::77');

function echo(dstMac: Uint8Array, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const msg = { kind: 'echo-request', id: 9, seq: 1, data: new Uint8Array(4) } as const;
  const len = Icmpv6.bufferLen(msg);
  const f = new Uint8Array(54 + len);
  f.set(dstMac, 0);
  f.set(MN_MAC, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  const dv = dataViewOf(f);
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: len,
      nextHeader: IpProto.Icmpv6,
      hopLimit: 64,
      src,
      dst,
    },
    new Ipv6View(f, dv, 14, f.length),
  );
  const v = new Icmpv6View(f, dv, 54, f.length);
  Icmpv6.emit(msg, v);
  v.fillChecksum(22, 38);
  return f;
}

function setup() {
  const router = new Router({ pool: { count: 64, debug: true } });
  const dev = new MemoryDevice({ mac: P_MAC });
  const parent = router.addInterface({ name: 'acc0', device: dev });
  const dlif = router.addLogicalInterface({
    name: 'dlif1',
    parent,
    mac: D_MAC,
    multicastFrom: MN_MAC,
    group: 'mn1',
  });
  router.neighbors.setMac(
    router.neighbors.create(dlif.index, MN_LL, 0, NeighborState.Permanent),
    MN_MAC,
  );
  return { router, dev, parent, dlif };
}

test('logical interface: gets its link-local from its MAC and answers as itself on the parent device', () => {
  const { router, dev, dlif } = setup();
  assert.equal(formatIpv6(dlif.linkLocal!), formatIpv6(linkLocalFromMac(D_MAC)));
  dev.inject(echo(D_MAC, MN_LL, dlif.linkLocal!));
  router.scheduler.poll();
  const out = dev.take();
  assert.equal(out.length, 1);
  assert.deepEqual([...out[0]!.subarray(0, 6)], [...MN_MAC], 'to the node');
  assert.deepEqual([...out[0]!.subarray(6, 12)], [...D_MAC], "from the DLIF's MAC");
  assert.equal(formatIpv6(out[0]!, 22), formatIpv6(dlif.linkLocal!), "from the DLIF's link-local");
  assert.equal(out[0]![54], 129);
});

test("logical interface: the parent's own MAC still reaches the parent; unknown MACs are dropped", () => {
  const { router, dev, parent } = setup();
  dev.inject(echo(P_MAC, MN_LL, parent.linkLocal!));
  dev.inject(echo(parseMac('02:00:00:00:99:99'), MN_LL, parent.linkLocal!));
  router.scheduler.poll();
  const out = dev.take();
  assert.equal(
    out.length,
    0,
    'the parent has no neighbour entry for the node: its reply waits for ND',
  );
  assert.equal(router.counters()['ethernet-input.not-for-us'], 1);
  assert.equal(router.counters()['ip6-rewrite.neighbor-unresolved'], 1, 'the parent handled one');
});

test('logical interface: group-addressed frames from its node reach every DLIF of the node', () => {
  const { router, dev, parent, dlif } = setup();
  const d2 = router.addLogicalInterface({
    name: 'dlif2',
    parent,
    mac: parseMac('02:00:00:00:d2:01'),
    multicastFrom: MN_MAC,
    group: 'mn1',
  });
  router.neighbors.setMac(
    router.neighbors.create(d2.index, MN_LL, 0, NeighborState.Permanent),
    MN_MAC,
  );
  const f = echo(parseMac('33:33:00:00:00:01'), MN_LL, parseIpv6('ff02::1'));
  dev.inject(f);
  router.scheduler.poll();
  const out = dev.take();
  assert.equal(
    out.length,
    2,
    'each DLIF answers as the router it is (the parent has no neighbour for the node)',
  );
  const sources = out.map((o) => formatIpv6(o, 22)).sort();
  assert.deepEqual(sources, [formatIpv6(dlif.linkLocal!), formatIpv6(d2.linkLocal!)].sort());
  assert.equal(router.pool.inUse, 0);
  router.removeLogicalInterface(d2, MN_MAC);
  dev.inject(f);
  router.scheduler.poll();
  assert.equal(dev.take().length, 1, 'only the remaining DLIF');
});

test('logical interface: removal clears demux, routes and neighbours, and the index is reused', () => {
  const { router, dev, parent, dlif } = setup();
  router.addRoute({
    prefix: parseIpv6('2001:db8:77::'),
    prefixLen: 64,
    ifIndex: dlif.index,
    origin: 'test',
  });
  const index = dlif.index;
  router.removeLogicalInterface(dlif, MN_MAC);
  assert.equal(router.routes.list().filter((r) => r.origin === 'test').length, 0);
  assert.equal(router.neighbors.list().length, 0);
  assert.equal(parent.unicastDemux!.size, 0);
  assert.equal(parent.multicastDemux!.size, 0);
  assert.ok(parent.multicastMembers.every((m) => m.length === 0));
  dev.inject(echo(D_MAC, MN_LL, parseIpv6('fe80::1')));
  router.scheduler.poll();
  assert.equal(router.counters()['ethernet-input.not-for-us'], 1);
  const again = router.addLogicalInterface({
    name: 'dlif2',
    parent,
    mac: parseMac('02:00:00:00:d1:02'),
  });
  assert.equal(again.index, index, 'index reused');
  assert.equal(router.interface('dlif1'), undefined);
  assert.throws(
    () => router.addLogicalInterface({ name: 'dlif3', parent, mac: parseMac('02:00:00:00:d1:02') }),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
  assert.equal(router.pool.inUse, 0);
});

test('MacMap: many MACs, deletes and reinsertion', () => {
  const m = new MacMap();
  const mac = new Uint8Array(6);
  for (let i = 0; i < 5000; i++) {
    mac.set([2, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x10]);
    m.set(mac, 0, i);
  }
  assert.equal(m.size, 5000);
  for (let i = 0; i < 5000; i += 2) {
    mac.set([2, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x10]);
    assert.equal(m.delete(mac, 0), i);
  }
  for (let i = 0; i < 5000; i++) {
    mac.set([2, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x10]);
    assert.equal(m.get(mac, 0), i % 2 === 0 ? -1 : i);
  }
});

test('logical interface: removal announces its addresses and lets the ND resolver free queued packets', () => {
  const router = new Router({ pool: { count: 16, debug: true } });
  const dev = new MemoryDevice({ mac: P_MAC });
  const parent = router.addInterface({ name: 'acc0', device: dev });
  const dlif = router.addLogicalInterface({ name: 'dlif1', parent, mac: D_MAC });
  router.addAddress(dlif, parseIpv6('2001:db8:5::1'), 64);
  const queued: number[] = [];
  const held = new Map<number, ReturnType<typeof router.pool.alloc>>();
  router.neighbors.resolver = {
    resolve(pb, ifIndex, addr, off) {
      const id = router.neighbors.create(ifIndex, addr, off, NeighborState.Incomplete);
      queued.push(id);
      held.set(id, pb);
    },
    staleUsed() {},
    removing(id) {
      const pb = held.get(id);
      if (pb) router.pool.free(pb);
      held.delete(id);
    },
  };
  const removed: string[] = [];
  router.events.on('address:removed', (_i, a) => removed.push(formatIpv6(a.address)));
  // a packet for an unresolved node on the DLIF's prefix waits in the resolver
  const pb = router.pool.alloc()!;
  pb.end = pb.start + 40;
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: 0,
      nextHeader: 59,
      hopLimit: 64,
      src: parseIpv6('2001:db8:5::1'),
      dst: parseIpv6('2001:db8:5::99'),
    },
    new Ipv6View(pb.bytes, pb.dv, pb.start, pb.end),
  );
  router.sendIp6(pb);
  assert.equal(queued.length, 1);
  assert.equal(router.pool.inUse, 1, 'held by the resolver');
  router.removeLogicalInterface(dlif);
  assert.equal(router.pool.inUse, 0, 'given back when the entry went');
  assert.deepEqual(removed.sort(), ['2001:db8:5::1', formatIpv6(linkLocalFromMac(D_MAC))].sort());
  assert.equal(dlif.linkLocal, null);
  router.scheduler.poll();
  dev.take();
});
