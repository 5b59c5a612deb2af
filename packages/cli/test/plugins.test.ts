/**
 * Plugins loaded through `plugins[]` that misbehave (root): one throws in `setup`, one in
 * `start`, one in an event listener. dmmd keeps running and forwarding between two Linux
 * hosts, `dmmctl show plugins` shows the failures with their errors counted, and the log
 * has each error. A well-behaved plugin's command takes dmmctl's `--KEY VALUE` arguments.
 * This router uses the default control socket, /run/dmm/<router.name>.sock, through
 * `dmmctl --router NAME`, and stops on SIGINT.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IS_ROOT, inNetnsAsync, ip, linkInfo, requireRoot, rootOnly } from '@dmm/testkit';
import { DmmdProcess, FIXTURES, Lab, dmmctl, tempDir, writeConfig } from './helpers.js';

interface PluginRow {
  name: string;
  state: string;
  errors: number;
  lastError: string | null;
  dependencies: string[];
}

describe('misbehaving plugins are contained', rootOnly(), () => {
  const lab = new Lab();
  const tmp = tempDir();
  const name = `dmmc-p${randomBytes(3).toString('hex')}`;
  const sock = `/run/dmm/${name}.sock`;
  let nsA = '';
  let nsB = '';
  let devA = '';
  let devB = '';
  let d: DmmdProcess;

  before(async () => {
    if (!IS_ROOT) requireRoot();
    nsA = lab.netns();
    nsB = lab.netns();
    devA = lab.devName('a');
    devB = lab.devName('b');
    const f = writeConfig(
      tmp.dir,
      'p.yaml',
      `router:
  name: ${name}
interfaces:
  - { name: ${devA}, netns: ${nsA}, addresses: [2001:db8:a::1/64] }
  - { name: ${devB}, netns: ${nsB}, addresses: [2001:db8:b::1/64] }
plugins:
  - module: ${join(FIXTURES, 'throws-in-setup.js')}
  - module: ${join(FIXTURES, 'throws-in-start.js')}
  - module: ${join(FIXTURES, 'throws-in-listener.js')}
  - module: ${join(FIXTURES, 'echo.js')}
    config: { greeting: hello, times: 2 }
`,
    );
    d = lab.track(new DmmdProcess(['--config', f]));
    await d.waitFor('ready');
    ip('-n', nsA, 'addr', 'add', '2001:db8:a::2/64', 'dev', devA, 'nodad');
    ip('-n', nsB, 'addr', 'add', '2001:db8:b::2/64', 'dev', devB, 'nodad');
    ip('-n', nsA, '-6', 'route', 'add', '2001:db8:b::/64', 'via', '2001:db8:a::1', 'dev', devA);
    ip('-n', nsB, '-6', 'route', 'add', '2001:db8:a::/64', 'via', '2001:db8:b::1', 'dev', devB);
  });

  after(() => {
    lab.cleanup();
    tmp.cleanup();
  });

  test('the default socket is /run/dmm/<router.name>.sock, mode 0600', () => {
    assert.ok(statSync(sock).isSocket());
    assert.equal(statSync(sock).mode & 0o777, 0o600);
  });

  test('dmmctl show plugins: failed with their errors counted', async () => {
    const r = await dmmctl('--router', name, '--json', 'show', 'plugins');
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as PluginRow[];
    const by = new Map(rows.map((p) => [p.name, p]));
    assert.deepEqual(
      rows.map((p) => p.name),
      [
        'routing',
        'ndra',
        'control',
        'throws-in-setup',
        'throws-in-start',
        'throws-in-listener',
        'fixture-echo',
      ],
    );
    assert.deepEqual(
      ['routing', 'ndra', 'control', 'fixture-echo'].map((n) => [
        n,
        by.get(n)!.state,
        by.get(n)!.errors,
      ]),
      [
        ['routing', 'started', 0],
        ['ndra', 'started', 0],
        ['control', 'started', 0],
        ['fixture-echo', 'started', 0],
      ],
    );
    assert.deepEqual(by.get('fixture-echo')!.dependencies, ['routing']);
    const setup = by.get('throws-in-setup')!;
    assert.deepEqual(
      [setup.state, setup.errors, setup.lastError],
      ['failed', 1, 'setup: setup exploded on purpose'],
    );
    const start = by.get('throws-in-start')!;
    assert.deepEqual(
      [start.state, start.errors, start.lastError],
      ['failed', 1, 'start: start exploded on purpose'],
    );
    // a throwing listener is contained and counted; the plugin host keeps the plugin running
    const listener = by.get('throws-in-listener')!;
    assert.deepEqual(
      [listener.state, listener.errors, listener.lastError],
      ['started', 1, 'listener router:started: listener exploded on purpose'],
    );
    const t = await dmmctl('--router', name, 'show', 'plugins');
    const line = t.stdout.split('\n').find((l) => l.startsWith('throws-in-setup'));
    assert.match(
      line ?? '',
      /^throws-in-setup\s+0\.0\.1\s+failed\s+-\s+1\s+setup: setup exploded on purpose$/,
    );
  });

  test('the log has each contained error', () => {
    const errors = d.logs().filter((l) => l.msg === 'plugin error contained');
    const seen = errors.map((l) => [l.plugin, l.phase, (l.err as { message: string }).message]);
    assert.deepEqual(seen, [
      ['throws-in-setup', 'setup', 'setup exploded on purpose'],
      ['throws-in-start', 'start', 'start exploded on purpose'],
      ['throws-in-listener', 'listener router:started', 'listener exploded on purpose'],
    ]);
    assert.ok(errors.every((l) => l.level === 50));
  });

  test('the router keeps running and forwarding', async () => {
    const r = await inNetnsAsync(
      nsA,
      'ping',
      '-6',
      '-c',
      '3',
      '-i',
      '0.2',
      '-W',
      '2',
      '2001:db8:b::2',
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test("a plugin's command gets dmmctl's --KEY VALUE arguments", async () => {
    const r = await dmmctl(
      '--router',
      name,
      '--json',
      'fixture',
      'echo',
      '--word',
      'hi',
      '--loud',
      '--n=3',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      greeting: 'hellohello',
      args: { word: 'hi', loud: true, n: '3' },
    });
    // without a table form, people get the JSON too
    const p = await dmmctl('--router', name, 'fixture', 'echo');
    assert.deepEqual(JSON.parse(p.stdout), { greeting: 'hellohello', args: {} });
  });

  test('dmmctl finds the only router in /run/dmm without --router', async (t) => {
    const others = (await import('node:fs'))
      .readdirSync('/run/dmm')
      .filter((n) => n.endsWith('.sock'));
    if (others.length !== 1) {
      t.skip(`other routers run here: ${others.join(', ')}`);
      return;
    }
    const r = await dmmctl('show', 'rules', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  test('SIGINT: exit 0, netdevs and socket gone', async () => {
    const r = await d.stop('SIGINT');
    assert.deepEqual(r, { status: 0, signal: null }, d.stderr);
    assert.equal(linkInfo(devA, nsA), null);
    assert.equal(linkInfo(devB, nsB), null);
    assert.equal(existsSync(sock), false);
  });
});
