import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  MemoryDevice,
  Router,
  definePlugin,
  isDmmError,
  token,
  type PluginContext,
  type PluginDefinition,
} from '@dmm/core';

const empty = z.strictObject({});

function plugin(
  name: string,
  over: Partial<PluginDefinition<unknown>> = {},
): PluginDefinition<unknown> {
  return { name, version: '1.0.0', configSchema: empty, setup: () => ({}), ...over };
}

test('plugins: load order, start/stop hooks, and stop in reverse', async () => {
  const router = new Router();
  const log: string[] = [];
  for (const n of ['a', 'b']) {
    await router.plugins.load(
      plugin(n, {
        dependencies: n === 'b' ? ['a'] : [],
        setup: () => {
          log.push(`setup ${n}`);
          return {
            start: () => void log.push(`start ${n}`),
            stop: () => void log.push(`stop ${n}`),
          };
        },
      }),
    );
  }
  await router.start();
  await router.stop();
  assert.deepEqual(log, ['setup a', 'setup b', 'start a', 'start b', 'stop b', 'stop a']);
});

test('plugins: duplicate name, missing dependency, API version and bad config are coded errors', async () => {
  const router = new Router();
  await router.plugins.load(plugin('a'));
  await assert.rejects(router.plugins.load(plugin('a')), (e) => isDmmError(e, 'DMM_ERR_PLUGIN'));
  await assert.rejects(
    router.plugins.load(plugin('b', { dependencies: ['nope'] })),
    (e) => isDmmError(e, 'DMM_ERR_PLUGIN') && /depends on nope/.test((e as Error).message),
  );
  await assert.rejects(
    router.plugins.load(plugin('c', { apiVersion: '^2.0.0' })),
    (e) => isDmmError(e, 'DMM_ERR_PLUGIN') && /plugin API/.test((e as Error).message),
  );
  await assert.rejects(
    router.plugins.load(
      plugin('d', { configSchema: z.strictObject({ port: z.number() }) as z.ZodType<unknown> }),
      { port: 'x' },
      ['plugins', 3, 'config'],
    ),
    (e) => {
      assert.ok(isDmmError(e, 'DMM_ERR_CONFIG_INVALID'));
      const issues = (e as unknown as { details: { issues: { path: unknown[] }[] } }).details
        .issues;
      assert.deepEqual(issues[0]!.path, ['plugins', 3, 'config', 'port']);
      return true;
    },
  );
});

test('plugins: a throwing setup is contained; the router runs and forwards', async () => {
  const router = new Router();
  const errors: string[] = [];
  router.events.on('plugin:error', (name, phase) => errors.push(`${name}:${phase}`));
  await router.plugins.load(
    plugin('boom', {
      setup: () => {
        throw new Error('setup failed');
      },
    }),
  );
  await router.plugins.load(
    plugin('late', {
      setup: () => ({
        start: () => {
          throw new Error('start failed');
        },
      }),
    }),
  );
  await router.start();
  const list = router.plugins.list();
  assert.deepEqual(
    list.map((p) => [p.name, p.state, p.errors]),
    [
      ['boom', 'failed', 1],
      ['late', 'failed', 1],
    ],
  );
  assert.match(list[0]!.lastError!, /setup: setup failed/);
  assert.deepEqual(errors, ['boom:setup', 'late:start']);
  assert.ok(router.running);
  // depending on a failed plugin is refused
  await assert.rejects(router.plugins.load(plugin('dep', { dependencies: ['boom'] })), (e) =>
    isDmmError(e, 'DMM_ERR_PLUGIN'),
  );
  await router.stop();
});

test('plugins: a throwing listener or timer is contained and counted, other listeners still run', async () => {
  const router = new Router();
  let other = 0;
  await router.plugins.load(
    plugin('noisy', {
      setup: (ctx: PluginContext) => {
        ctx.on('interface:added', () => {
          throw new Error('listener failed');
        });
        ctx.timers.setTimeout(() => {
          throw new Error('timer failed');
        }, 1);
      },
    }),
  );
  router.events.on('interface:added', () => other++);
  router.addInterface({ name: 'x', device: new MemoryDevice() });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(other, 1);
  const p = router.plugins.list()[0]!;
  assert.equal(p.errors, 2);
  assert.equal(p.state, 'loaded', 'a contained listener error does not fail the plugin');
});

test('plugins: stop removes listeners, timers, features, handlers and commands; start again works', async () => {
  const router = new Router();
  let fired = 0;
  let ticks = 0;
  const def = plugin('p', {
    setup: (ctx: PluginContext) => {
      ctx.on('interface:added', () => fired++);
      ctx.timers.setInterval(() => ticks++, 5);
      ctx.addFeature('ip6-forward', {
        name: 'p-count',
        next: ['@arc-next'],
        errors: [],
        process: (v, rt) => {
          for (let i = 0; i < v.length; i++) rt.next(0, v.items[i]!);
        },
      });
      ctx.addNode({ name: 'p-mh', next: [], errors: [], process: () => {} });
      ctx.registerLocalProtocol(135, 'p-mh');
      ctx.registerCommand({ path: 'show p', help: 'test', run: () => 42 });
      return {};
    },
  });
  await router.plugins.load(def);
  await router.start();
  assert.deepEqual(router.graph.arcFeatures('ip6-forward'), ['p-count']);
  assert.equal((await router.commands.run('show p')).result, 42);
  await router.plugins.stop('p');
  await router.plugins.stop('p'); // idempotent
  const ticksAtStop = ticks;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(ticks, ticksAtStop, 'interval cleared');
  router.addInterface({ name: 'x', device: new MemoryDevice() });
  assert.equal(fired, 0, 'listener removed');
  assert.deepEqual(router.graph.arcFeatures('ip6-forward'), []);
  assert.equal(router.ip6.localProtocolArc[135], -1);
  await assert.rejects(router.commands.run('show p'), (e) =>
    isDmmError(e, 'DMM_ERR_UNKNOWN_COMMAND'),
  );
  await router.plugins.start('p');
  await router.plugins.start('p'); // idempotent
  assert.deepEqual(
    router.plugins.list().map((p) => [p.state, p.lastError]),
    [['started', null]],
  );
  assert.deepEqual(router.graph.arcFeatures('ip6-forward'), ['p-count']);
  assert.equal((await router.commands.run('show p')).result, 42);
  await router.stop();
});

test('plugins: services flow through tokens, only when declared', async () => {
  const router = new Router();
  const COUNTER = token<{ n: number }>('test:Counter');
  await router.plugins.load(
    plugin('provider', {
      provides: [COUNTER],
      setup: (ctx: PluginContext) => {
        ctx.provide(COUNTER, { n: 7 });
      },
    }),
  );
  let got = 0;
  await router.plugins.load(
    plugin('consumer', {
      dependencies: ['provider'],
      setup: (ctx: PluginContext) => void (got = ctx.resolve(COUNTER).n),
    }),
  );
  assert.equal(got, 7);
  const OTHER = token<number>('test:Other');
  await router.plugins.load(
    plugin('sneaky', { setup: (ctx: PluginContext) => ctx.provide(OTHER, 1) }),
  );
  assert.equal(router.plugins.state('sneaky'), 'failed');
});

test('definePlugin keeps the config type', () => {
  const p = definePlugin({
    name: 'typed',
    version: '1.0.0',
    configSchema: z.strictObject({ n: z.number().default(3) }),
    setup: (_ctx, cfg) => {
      const n: number = cfg.n;
      void n;
    },
  });
  assert.equal(p.name, 'typed');
});
