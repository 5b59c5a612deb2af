/**
 * The `ndra` config schema: defaults (RFC 4861 §6.2.1 / §10, radvd's prefix lifetimes),
 * "infinite" lifetimes, the checks beyond types with the paths dmmd maps back to YAML
 * lines, and configuration problems found at setup/start (RA on a TUN interface, an
 * interface that does not exist).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDevice, Router, validatePluginConfig, ConfigError } from '@dmm/core';
import { INFINITE_LIFETIME, ndraConfigSchema, ndraPlugin } from '@dmm/ndra';

function issues(raw: unknown): { path: (string | number)[]; message: string }[] {
  const r = ndraConfigSchema.safeParse(raw);
  assert.equal(r.success, false);
  return r.error!.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }));
}

test('defaults: RFC 4861 §10 neighbour constants, no interfaces', () => {
  assert.deepEqual(ndraConfigSchema.parse({}), {
    neighbors: {
      reachableTime: 30000,
      retransTimer: 1000,
      delayFirstProbeTime: 5,
      maxMulticastSolicit: 3,
      maxUnicastSolicit: 3,
      queueLength: 3,
      static: [],
    },
    interfaces: {},
  });
});

test('RA defaults: docs/config.md values, derived from MaxRtrAdvInterval (§6.2.1)', () => {
  const c = ndraConfigSchema.parse({
    interfaces: {
      lan0: {
        ra: {
          prefixes: [{ prefix: '2001:db8:1::/64' }],
          routes: [{ prefix: '2001:db8:99::/48' }],
          rdnss: [{ servers: ['2001:db8::53'] }],
        },
      },
      lan1: {
        ra: {
          maxInterval: 30,
          routes: [{ prefix: '::/0' }],
          rdnss: [{ servers: ['2001:db8::53'] }],
        },
      },
    },
  });
  const ra = c.interfaces.lan0!.ra!;
  assert.equal(ra.enabled, true);
  assert.equal(ra.minInterval, 200);
  assert.equal(ra.maxInterval, 600);
  assert.equal(ra.routerLifetime, 1800);
  assert.equal(ra.preference, 'medium');
  assert.equal(ra.curHopLimit, 64);
  assert.deepEqual(
    [ra.managed, ra.other, ra.reachableTime, ra.retransTimer, ra.mtu],
    [false, false, 0, 0, true],
  );
  const p = ra.prefixes[0]!;
  assert.deepEqual(
    [p.onLink, p.autonomous, p.validLifetime, p.preferredLifetime, p.prefix.prefixLen],
    [true, true, 86400, 14400, 64],
  );
  assert.deepEqual(
    [ra.routes[0]!.preference, ra.routes[0]!.lifetime, ra.rdnss[0]!.lifetime],
    ['medium', 1800, 1200],
  );
  const r1 = c.interfaces.lan1!.ra!;
  assert.deepEqual(
    [r1.minInterval, r1.routerLifetime, r1.routes[0]!.lifetime, r1.rdnss[0]!.lifetime],
    [10, 90, 90, 60],
  );
});

test('"infinite" lifetimes are 0xffffffff', () => {
  const c = ndraConfigSchema.parse({
    interfaces: {
      lan0: {
        ra: {
          prefixes: [
            { prefix: '2001:db8:1::/64', validLifetime: 'infinite', preferredLifetime: 'infinite' },
          ],
          routes: [{ prefix: '2001:db8:99::/48', lifetime: 'infinite' }],
          rdnss: [{ servers: ['2001:db8::53'], lifetime: 'infinite' }],
        },
      },
    },
  });
  const ra = c.interfaces.lan0!.ra!;
  assert.equal(INFINITE_LIFETIME, 0xffffffff);
  assert.equal(ra.prefixes[0]!.validLifetime, 0xffffffff);
  assert.equal(ra.prefixes[0]!.preferredLifetime, 0xffffffff);
  assert.equal(ra.routes[0]!.lifetime, 0xffffffff);
  assert.equal(ra.rdnss[0]!.lifetime, 0xffffffff);
});

test('checks beyond types, each with its natural path', () => {
  assert.deepEqual(
    issues({
      neighbors: { bogus: 1, static: [{ interface: 'lan0', address: '2001:db8::1', mac: 'zz' }] },
      interfaces: {
        lan0: {
          ra: {
            minInterval: 500,
            routerLifetime: 100,
            prefixes: [
              { prefix: '2001:db8:1::/48' },
              { prefix: '2001:db8:2::/64', validLifetime: 10, preferredLifetime: 20 },
              { prefix: '2001:db8:3::1/64' },
            ],
          },
        },
      },
    }).map((i) => i.path.join('.')),
    [
      'neighbors.static.0.mac',
      'neighbors',
      'interfaces.lan0.ra.prefixes.0.prefix',
      'interfaces.lan0.ra.prefixes.1.preferredLifetime',
      'interfaces.lan0.ra.prefixes.2.prefix',
      'interfaces.lan0.ra.minInterval',
      'interfaces.lan0.ra.routerLifetime',
    ],
  );
  assert.match(
    issues({ interfaces: { lan0: { ra: { minInterval: 500 } } } })[0]!.message,
    /0\.75 × maxInterval/,
  );
  assert.match(
    issues({ interfaces: { lan0: { ra: { preference: 'highest' } } } })[0]!.path.join('.'),
    /preference/,
  );
});

test('validatePluginConfig maps the paths under the caller’s base path', () => {
  assert.throws(
    () =>
      validatePluginConfig(ndraPlugin, { interfaces: { lan0: { ra: { maxInterval: 5000 } } } }, [
        'ndra',
      ]),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const d = e.details as { issues: { path: (string | number)[] }[] };
      assert.deepEqual(d.issues[0]!.path, ['ndra', 'interfaces', 'lan0', 'ra', 'maxInterval']);
      return true;
    },
  );
});

test('RA on a TUN interface, or on an interface that never appears, fails the plugin with the path', async () => {
  const r1 = new Router({ pool: { count: 64 } });
  r1.addInterface({ name: 'tun0', device: new MemoryDevice({ name: 'tun0', kind: 'ip' }) });
  await r1.plugins.load(ndraPlugin, { interfaces: { tun0: { ra: {} } } });
  assert.equal(r1.plugins.state('ndra'), 'failed');
  assert.match(r1.plugins.list()[0]!.lastError!, /Ethernet \(tap\)/);
  await r1.stop();

  const r2 = new Router({ pool: { count: 64 } });
  await r2.plugins.load(ndraPlugin, { interfaces: { lan9: { ra: {} } } });
  assert.equal(r2.plugins.state('ndra'), 'loaded', 'may still appear before start');
  await r2.start();
  assert.equal(r2.plugins.state('ndra'), 'failed');
  assert.match(r2.plugins.list()[0]!.lastError!, /no interface named lan9/);
  await r2.stop();
});

test('an interface added after setup gets its RA config and DAD', async () => {
  const r = new Router({ pool: { count: 64 } });
  await r.plugins.load(ndraPlugin, {
    interfaces: { lan0: { ra: { maxInterval: 30 } } },
    neighbors: {
      static: [{ interface: 'lan0', address: '2001:db8::9', mac: '02:00:00:00:00:09' }],
    },
  });
  const dev = new MemoryDevice({ name: 'lan0' });
  r.addInterface({ name: 'lan0', device: dev });
  await r.start();
  assert.equal(r.plugins.state('ndra'), 'started');
  assert.equal(r.neighbors.size, 1);
  const st = (await r.commands.run('show ra')).result as { interface: string; enabled: boolean }[];
  assert.deepEqual(
    st.map((s) => [s.interface, s.enabled]),
    [['lan0', true]],
  );
  assert.equal(dev.take().length, 1, 'the DAD probe of the link-local');
  await r.stop();
});
