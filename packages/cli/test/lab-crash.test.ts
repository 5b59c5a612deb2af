/**
 * dmm-lab cleanup and router processes, with stand-in dmmd scripts (written below) so the
 * lab's own process handling is tested whatever state dmmd is in:
 * - `dmm-lab up` killed with SIGKILL while it waits for a router: `dmm-lab down` stops the
 *   orphaned router (which ignores SIGTERM, so SIGKILL after the grace period) and removes
 *   every namespace; interrupted with SIGINT instead, `up` cleans up by itself;
 * - a stale state file: `down` stops the recorded router, spares a recorded pid that is
 *   not (or no longer) the router, and removes the namespaces; `up` first removes a stale
 *   lab, even one that left no state file;
 * - a router that rejects its config: `up` fails with the topology's FILE:LINE:COL and
 *   leaves nothing behind;
 * - a router that comes up: its TAPs are enslaved to the links' bridges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDmmError } from '@dmm/core';
import { ip, linkInfo, requireRoot, rootOnly, sleep } from '@dmm/testkit';
import { Lab } from '@dmm/cli';

const MAIN = fileURLToPath(new URL('../src/lab/main.js', import.meta.url));

/** A router that never becomes ready and ignores SIGTERM. */
const STUBBORN = `process.on('SIGTERM', () => {});\nsetInterval(() => {}, 1000);\nconsole.log('armed');\n`;

/** A router that rejects its config the way dmmd does (FILE:LINE:COL: KEY: message, exit 2). */
const REJECTS = `const f = process.argv[process.argv.indexOf('--config') + 1];
process.stderr.write(f + ':9:7: interfaces[0].mtux: unknown key "mtux"\\n');
process.exit(2);
`;

/** A router that creates its TAPs, moves them to their netns, says ready, removes them on SIGTERM. */
const TAPS = `import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
const text = readFileSync(process.argv[process.argv.indexOf('--config') + 1], 'utf8');
const names = [...text.matchAll(/^  - name: (\\S+)$/gm)].map((m) => m[1]);
const ns = /netns: (\\S+)/.exec(text)[1];
for (const n of names) {
  execFileSync('ip', ['tuntap', 'add', 'mode', 'tap', 'name', n]);
  execFileSync('ip', ['link', 'set', 'dev', n, 'netns', ns]);
}
console.log(JSON.stringify({ level: 30, msg: 'ready' }));
process.on('SIGTERM', () => {
  for (const n of names) execFileSync('ip', ['-n', ns, 'link', 'del', 'dev', n]);
  process.exit(0);
});
setInterval(() => {}, 1000);
`;

function topology(name: string, extra = ''): string {
  return `name: ${name}
timeouts: { ready: 60, stop: 1 }
links:
  lan1:
  lan2:
hosts:
  h1:
    interfaces:
      eth0: { link: lan1 }
routers:
  r1:
    interfaces: { ${name}-a: lan1, ${name}-b: lan2 }
    config:
      interfaces:
        - name: ${name}-a
          type: tap
          mtux: 1500
        - { name: ${name}-b, type: tap }
${extra}`;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

function labNamespaces(prefix: string): string[] {
  return ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${prefix}-`))
    .sort();
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test(
  'lab crash: dmm-lab killed during up; down stops the orphaned router and removes all',
  rootOnly(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-crash-'));
    const rt = join(dir, 'runtime');
    const file = join(dir, 'crash.yaml');
    const fake = join(dir, 'stubborn.mjs');
    writeFileSync(file, topology('ltc'));
    writeFileSync(fake, STUBBORN);
    let up: ChildProcess | null = null;
    let routerPid = 0;
    try {
      up = spawn(
        process.execPath,
        [MAIN, 'up', file, '--runtime-root', rt, '--dmmd', fake, '--quiet'],
        { stdio: 'ignore' },
      );
      const stateFile = join(rt, 'ltc', 'state.json');
      await until('the router to start', () => {
        if (!existsSync(stateFile)) return false;
        const s = JSON.parse(readFileSync(stateFile, 'utf8')) as {
          routers: { r1?: { pid: number } };
        };
        routerPid = s.routers.r1?.pid ?? 0;
        // armed: its SIGTERM handler is in place
        const log = join(rt, 'ltc', 'r1.log');
        return (
          routerPid > 0 &&
          alive(routerPid) &&
          existsSync(log) &&
          readFileSync(log, 'utf8').includes('armed')
        );
      });
      up.kill('SIGKILL');
      await new Promise((r) => up!.once('exit', r));
      // The wreck: a router without its lab process, the namespaces, the state file.
      assert.ok(alive(routerPid), 'the router outlived dmm-lab (it is detached)');
      assert.deepEqual(labNamespaces('dmml-ltc'), ['dmml-ltc-h1', 'dmml-ltc-sw']);

      const out = execFileSync(process.execPath, [MAIN, 'down', file, '--runtime-root', rt], {
        encoding: 'utf8',
      });
      assert.equal(
        out,
        '2 namespace(s) deleted (dmml-ltc-h1, dmml-ltc-sw); 1 router(s) stopped, 1 with SIGKILL\n',
      );
      assert.equal(alive(routerPid), false);
      assert.deepEqual(labNamespaces('dmml-ltc'), []);
      assert.equal(existsSync(stateFile), false);
      // the router's log stays for a post-mortem
      assert.ok(existsSync(join(rt, 'ltc', 'r1.log')));
    } finally {
      up?.kill('SIGKILL');
      if (routerPid > 0 && alive(routerPid)) process.kill(routerPid, 'SIGKILL');
      await Lab.load(file, { runtimeRoot: rt }).down();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'lab crash: ^C during dmm-lab up removes what was built, router included',
  rootOnly(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-sigint-'));
    const rt = join(dir, 'runtime');
    const file = join(dir, 'sigint.yaml');
    const fake = join(dir, 'stubborn.mjs');
    writeFileSync(file, topology('lti'));
    writeFileSync(fake, STUBBORN);
    let routerPid = 0;
    const up = spawn(
      process.execPath,
      [MAIN, 'up', file, '--runtime-root', rt, '--dmmd', fake, '--quiet'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    up.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) =>
      up.once('exit', (code) => resolve(code)),
    );
    try {
      const log = join(rt, 'lti', 'r1.log');
      await until(
        'the router to start',
        () => existsSync(log) && readFileSync(log, 'utf8').includes('armed'),
      );
      const s = JSON.parse(readFileSync(join(rt, 'lti', 'state.json'), 'utf8')) as {
        routers: { r1: { pid: number } };
      };
      routerPid = s.routers.r1.pid;
      up.kill('SIGINT');
      assert.equal(await exited, 1);
      assert.equal(stderr, 'dmm-lab: lab lti: up was interrupted\n');
      assert.equal(alive(routerPid), false);
      assert.deepEqual(labNamespaces('dmml-lti'), []);
    } finally {
      up.kill('SIGKILL');
      if (routerPid > 0 && alive(routerPid)) process.kill(routerPid, 'SIGKILL');
      await Lab.load(file, { runtimeRoot: rt }).down();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'lab crash: a stale state file; down stops only what is really the router',
  rootOnly(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-stale-'));
    const file = join(dir, 'stale.yaml');
    writeFileSync(file, topology('lts'));
    const lab = Lab.load(file, { runtimeRoot: join(dir, 'runtime') });
    const cfg = lab.router('r1').config;
    // A stand-in router whose argv names the lab's config (what `down` looks for) and an
    // innocent process recorded under a pid the state file believes is a router.
    const router = spawn(process.execPath, ['-e', STUBBORN, '--', '--config', cfg], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // SIGTERM is ignored only once the handler is installed
    const armed = new Promise((resolve) => router.stdout!.once('data', resolve));
    const innocent = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      for (const ns of ['dmml-lts-sw', 'dmml-lts-h1', 'dmml-lts-old']) ip('netns', 'add', ns);
      mkdirSync(lab.runtimeDir, { recursive: true });
      writeFileSync(
        join(lab.runtimeDir, 'state.json'),
        JSON.stringify({
          version: 1,
          name: 'lts',
          prefix: 'dmml-lts',
          topology: file,
          phase: 'up',
          startedAt: '2020-01-01T00:00:00.000Z',
          // dmml-lts-old: a host an earlier version of the topology had
          namespaces: ['dmml-lts-sw', 'dmml-lts-h1', 'dmml-lts-old'],
          routers: {
            r1: {
              pid: router.pid,
              config: cfg,
              socket: lab.router('r1').socket,
              log: lab.router('r1').log,
            },
            gone: {
              pid: innocent.pid,
              config: join(lab.runtimeDir, 'gone.yaml'),
              socket: 'x',
              log: 'y',
            },
          },
          attachments: {},
        }),
      );
      writeFileSync(lab.router('r1').socket, '');
      await armed;
      const report = await lab.down();
      assert.deepEqual(report.stopped, [router.pid]);
      assert.deepEqual(report.killed, [router.pid], 'it ignored SIGTERM for timeouts.stop');
      assert.deepEqual(report.namespaces.sort(), ['dmml-lts-h1', 'dmml-lts-old', 'dmml-lts-sw']);
      assert.equal(alive(router.pid!), false);
      assert.equal(
        alive(innocent.pid!),
        true,
        'a pid whose argv does not name the lab config is spared',
      );
      assert.deepEqual(labNamespaces('dmml-lts'), []);
      assert.equal(existsSync(lab.router('r1').socket), false, 'a stale socket is removed');
      assert.equal(existsSync(join(lab.runtimeDir, 'state.json')), false);
    } finally {
      router.kill('SIGKILL');
      innocent.kill('SIGKILL');
      await lab.down();
      for (const ns of labNamespaces('dmml-lts')) ip('netns', 'del', ns);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'lab crash: up removes a stale lab first, even one without a state file',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = Lab.fromText(
      `name: ltu
links: { lan1: }
hosts:
  h1: { interfaces: { eth0: { link: lan1 } } }
`,
    );
    try {
      await lab.down();
      ip('netns', 'add', 'dmml-ltu-sw');
      ip('netns', 'add', 'dmml-ltu-h1');
      ip('-n', 'dmml-ltu-sw', 'link', 'add', 'old-junk', 'type', 'bridge');
      const s = await lab.up({ wait: false });
      assert.equal(s.phase, 'up');
      assert.equal(linkInfo('old-junk', 'dmml-ltu-sw'), null, 'the switch namespace is a new one');
      assert.deepEqual(s.links[0]!.members, ['h1:eth0']);
    } finally {
      await lab.down();
    }
    assert.deepEqual(labNamespaces('dmml-ltu'), []);
  },
);

test(
  'lab crash: a router that rejects its config fails up with topology lines; nothing is left',
  rootOnly(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-reject-'));
    const file = join(dir, 'reject.yaml');
    const fake = join(dir, 'rejects.mjs');
    writeFileSync(file, topology('ltr'));
    writeFileSync(fake, REJECTS);
    const lab = Lab.load(file, { runtimeRoot: join(dir, 'runtime'), dmmd: fake });
    try {
      await assert.rejects(lab.up(), (e: unknown) => {
        assert.ok(isDmmError(e, 'DMM_ERR_LAB'), String(e));
        // "mtux" is on line 17, its value at column 17, of the topology above
        assert.equal(
          e.message,
          `router r1: dmmd exited (2) before it was ready:\n${file}:17:17: routers.r1.config.interfaces[0].mtux: unknown key "mtux"`,
        );
        return true;
      });
      assert.deepEqual(labNamespaces('dmml-ltr'), []);
      assert.equal(existsSync(join(lab.runtimeDir, 'state.json')), false);
    } finally {
      await lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'lab crash: a router that comes up has its TAPs on the links; down stops it with SIGTERM',
  rootOnly(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-taps-'));
    const file = join(dir, 'taps.yaml');
    const fake = join(dir, 'taps.mjs');
    writeFileSync(file, topology('ltt').replace('          mtux: 1500\n', ''));
    writeFileSync(fake, TAPS);
    const lab = Lab.load(file, { runtimeRoot: join(dir, 'runtime'), dmmd: fake });
    try {
      const s = await lab.up({ wait: false });
      assert.deepEqual(
        s.links.map((l) => [l.name, l.members]),
        [
          ['lan1', ['h1:eth0', 'r1:ltt-a']],
          ['lan2', ['r1:ltt-b']],
        ],
      );
      const r1 = s.routers[0]!;
      assert.ok(r1.running && r1.pid > 0);
      assert.equal(r1.socket, join(dir, 'runtime', 'ltt', 'r1.sock'));
      // The generated config: the lab's namespace and socket, the rest as written.
      const cfg = readFileSync(r1.config, 'utf8');
      assert.match(cfg, /- name: ltt-a\n {4}type: tap\n {4}netns: dmml-ltt-sw\n/);
      assert.match(cfg, /control:\n {2}socket: .*\/runtime\/ltt\/r1\.sock\n/);
      // A router interface moves like a host's.
      assert.deepEqual(await lab.move('r1', 'ltt-b', 'lan1'), { from: 'lan2', to: 'lan1' });
      assert.deepEqual(await lab.members('lan1'), ['h1:eth0', 'r1:ltt-a', 'r1:ltt-b']);
      await assert.rejects(
        lab.move('r1', 'ltt-b', 'lan2', { blip: true }),
        /blip is for host interfaces only/,
      );
      const report = await lab.down();
      assert.deepEqual(report.stopped, [r1.pid]);
      assert.deepEqual(report.killed, [], 'it stopped on SIGTERM');
    } finally {
      await lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(labNamespaces('dmml-ltt'), []);
    assert.equal(linkInfo('ltt-a'), null);
  },
);

test('lab crash: down works after the topology was broken by an edit', rootOnly(), async () => {
  requireRoot();
  const dir = mkdtempSync(join(tmpdir(), 'dmml-edit-'));
  const file = join(dir, 'edit.yaml');
  writeFileSync(
    file,
    'name: lte\nlinks: { lan1: }\nhosts:\n  h1: { interfaces: { eth0: { link: lan1 } } }\n',
  );
  try {
    await Lab.load(file).up({ wait: false });
    assert.deepEqual(labNamespaces('dmml-lte'), ['dmml-lte-h1', 'dmml-lte-sw']);
    // h1 renamed and a typo: the file no longer validates, but its name still says which lab
    writeFileSync(
      file,
      'name: lte\nlinks: { lan1: }\nhosts:\n  h2: { interfaces: { eth0: { lnk: lan1 } } }\n',
    );
    const r = spawnSync(process.execPath, [MAIN, 'down', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stderr,
      'dmm-lab: the topology does not validate; removing lab lte from its state file\n',
    );
    assert.equal(
      r.stdout,
      '2 namespace(s) deleted (dmml-lte-h1, dmml-lte-sw); 0 router(s) stopped\n',
    );
    assert.deepEqual(labNamespaces('dmml-lte'), []);
  } finally {
    for (const ns of labNamespaces('dmml-lte')) ip('netns', 'del', ns);
    rmSync(dir, { recursive: true, force: true });
  }
});
