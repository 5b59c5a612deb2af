import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6 } from '@dmm/testkit';
import { MemoryDevice, RouteKind, Router, isDmmError, routingPlugin } from '@dmm/core';

async function router() {
  const r = new Router();
  const i0 = r.addInterface({ name: 'lan0', device: new MemoryDevice() });
  const i1 = r.addInterface({ name: 'lan1', device: new MemoryDevice() });
  r.addAddress(i0, parseIpv6('2001:db8:0::1'), 64);
  r.addAddress(i1, parseIpv6('2001:db8:1::1'), 64);
  return r;
}

test('routing plugin: installs routes and rules, finds the interface of a gateway, removes them on stop', async () => {
  const r = await router();
  await r.plugins.load(routingPlugin, {
    routes: [
      { prefix: '::/0', via: '2001:db8:1::fe' },
      { prefix: '2001:db8:99::/48', via: 'fe80::2', interface: 'lan0', table: 100 },
      { prefix: '2001:db8:bad::/48', type: 'blackhole' },
    ],
    rules: [{ from: '2001:db8:5::/64', table: 100 }],
  });
  await r.start();
  const { result } = await r.commands.run('show routes');
  assert.deepEqual(result, [
    {
      table: '100',
      prefix: '2001:db8:99::/48',
      type: 'unicast',
      via: 'fe80::2',
      interface: 'lan0',
      tunnel: null,
      origin: 'static',
      packets: 0,
    },
    {
      table: 'main',
      prefix: '2001:db8::/64',
      type: 'unicast',
      via: null,
      interface: 'lan0',
      tunnel: null,
      origin: 'connected',
      packets: 0,
    },
    {
      table: 'main',
      prefix: '2001:db8:1::/64',
      type: 'unicast',
      via: null,
      interface: 'lan1',
      tunnel: null,
      origin: 'connected',
      packets: 0,
    },
    {
      table: 'main',
      prefix: '2001:db8:bad::/48',
      type: 'blackhole',
      via: null,
      interface: null,
      tunnel: null,
      origin: 'static',
      packets: 0,
    },
    {
      table: 'main',
      prefix: '::/0',
      type: 'unicast',
      via: '2001:db8:1::fe',
      interface: 'lan1',
      tunnel: null,
      origin: 'static',
      packets: 0,
    },
  ]);
  const rules = await r.commands.run('show rules');
  assert.deepEqual(rules.result, [{ from: '2001:db8:5::/64', table: '100', origin: 'static' }]);
  assert.deepEqual(rules.table?.columns, ['FROM', 'TABLE', 'ORIGIN']);
  await r.plugins.stop('routing');
  assert.deepEqual(
    r.routes.list().map((x) => x.origin),
    ['connected', 'connected'],
  );
  assert.equal(r.routes.listRules().length, 0);
  assert.equal(RouteKind.Blackhole, 2);
});

test('routing plugin: bad routes are refused (config) or contained (runtime references)', async () => {
  const r = await router();
  await assert.rejects(
    r.plugins.load(
      routingPlugin,
      { routes: [{ prefix: '2001:db8::1/48', via: '2001:db8:1::fe' }] },
      ['x'],
    ),
    (e) =>
      isDmmError(e, 'DMM_ERR_CONFIG_INVALID') && /bits set past \/48/.test((e as Error).message),
  );
  await assert.rejects(
    r.plugins.load(routingPlugin, { routes: [{ prefix: '::/0', gateway: '::1' }] }),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
  await r.plugins.load(routingPlugin, { routes: [{ prefix: '::/0', via: '2001:db8:77::fe' }] });
  const p = r.plugins.list().find((x) => x.name === 'routing')!;
  assert.equal(p.state, 'failed');
  assert.match(p.lastError!, /on no connected prefix/);
});
