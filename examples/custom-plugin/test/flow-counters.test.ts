import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6, parseMac } from '@dmm/testkit';
import { MemoryDevice, NeighborState, Router, isDmmError } from '@dmm/core';
import { IpProto, Ipv6, Ipv6View, dataViewOf } from '@dmm/wire';
import { plugin } from '../src/index.js';

const R_MAC = parseMac('02:00:00:00:aa:00');

function frame(src: string, dst: string, nh: number, payload: number): Uint8Array {
  const b = new Uint8Array(54 + payload);
  b.set(R_MAC, 0);
  b.set(parseMac('02:00:00:00:00:10'), 6);
  b[12] = 0x86;
  b[13] = 0xdd;
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: payload,
      nextHeader: nh,
      hopLimit: 64,
      src: parseIpv6(src),
      dst: parseIpv6(dst),
    },
    new Ipv6View(b, dataViewOf(b), 14, b.length),
  );
  return b;
}

async function setup(config: Record<string, unknown> = {}) {
  const router = new Router();
  const d0 = new MemoryDevice({ mac: R_MAC });
  const d1 = new MemoryDevice({ mac: parseMac('02:00:00:00:aa:01') });
  const i0 = router.addInterface({ name: 'lan0', device: d0 });
  const i1 = router.addInterface({ name: 'lan1', device: d1 });
  router.addAddress(i0, parseIpv6('2001:db8::1'), 64);
  router.addAddress(i1, parseIpv6('2001:db8:1::1'), 64);
  for (const a of ['2001:db8:1::11', '2001:db8:1::12']) {
    router.neighbors.setMac(
      router.neighbors.create(i1.index, parseIpv6(a), 0, NeighborState.Permanent),
      parseMac('02:00:00:00:00:11'),
    );
  }
  await router.plugins.load(plugin, config);
  await router.start();
  return { router, d0, d1 };
}

test('flow-counters: counts forwarded packets per flow, heaviest first', async () => {
  const { router, d0, d1 } = await setup();
  for (let i = 0; i < 3; i++) d0.inject(frame('2001:db8::10', '2001:db8:1::11', IpProto.Udp, 100));
  d0.inject(frame('2001:db8::10', '2001:db8:1::12', IpProto.Tcp, 1000));
  router.scheduler.poll();
  assert.equal(d1.take().length, 4, 'the feature passes every packet on');
  const { result, table } = await router.commands.run('show flows');
  assert.deepEqual(result, {
    flows: [
      {
        source: '2001:db8::10',
        destination: '2001:db8:1::12',
        protocol: 'tcp',
        packets: 1,
        bytes: 1040,
      },
      {
        source: '2001:db8::10',
        destination: '2001:db8:1::11',
        protocol: 'udp',
        packets: 3,
        bytes: 420,
      },
    ],
    tracked: 2,
    overflow: 0,
  });
  assert.deepEqual(table?.columns, ['SOURCE', 'DESTINATION', 'PROTO', 'PACKETS', 'BYTES']);
  await router.commands.run('clear flows');
  assert.equal(
    ((await router.commands.run('show flows')).result as { tracked: number }).tracked,
    0,
  );
  await router.stop();
});

test('flow-counters: a full table counts new flows as overflow; stop removes the feature and commands', async () => {
  const { router, d0 } = await setup({ maxFlows: 1 });
  d0.inject(frame('2001:db8::10', '2001:db8:1::11', IpProto.Udp, 10));
  d0.inject(frame('2001:db8::10', '2001:db8:1::12', IpProto.Udp, 10));
  router.scheduler.poll();
  const r = (await router.commands.run('show flows')).result as {
    tracked: number;
    overflow: number;
  };
  assert.equal(r.tracked, 1);
  assert.equal(r.overflow, 1);
  await router.plugins.stop('flow-counters');
  assert.deepEqual(router.graph.arcFeatures('ip6-forward'), []);
  await assert.rejects(router.commands.run('show flows'), (e) =>
    isDmmError(e, 'DMM_ERR_UNKNOWN_COMMAND'),
  );
  await router.stop();
});

test('flow-counters: config is validated', async () => {
  const router = new Router();
  await assert.rejects(router.plugins.load(plugin, { maxFlows: 0 }), (e) =>
    isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
  await assert.rejects(router.plugins.load(plugin, { colour: 'blue' }), (e) =>
    isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
});
