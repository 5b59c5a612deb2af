/**
 * dmmd config validation (docs/config.md): every bad config is rejected by the real dmmd
 * binary with exit status 2 and a `FILE:LINE:COL: KEY: message` line pointing at the right
 * place, before any device is touched (an `ip monitor link` running across all the runs
 * sees no netdev of the configs appear). Positions were counted by hand from the YAML
 * texts below (columns are 1-based, at the value, or at the key for unknown keys).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDmmError } from '@dmm/core';
import { loadDmmdConfig } from '@dmm/cli';
import { IS_ROOT, ip, requireRoot, rootOnly } from '@dmm/testkit';
import { DMMD, FIXTURES, LinkMonitor, runNode, tempDir, writeConfig } from './helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());

/** Interface names of this run: unique, so a monitor can tell ours from anything else. */
const tag = randomBytes(3).toString('hex');
const NAMES: Record<string, string> = {
  lan0: `dmmc${tag}0`,
  lan1: `dmmc${tag}1`,
  lan7: `dmmc${tag}7`,
  lan9: `dmmc${tag}9`,
  tun0: `dmmc${tag}t`,
};
const named = (yaml: string): string => yaml.replace(/\b(lan[0179]|tun0)\b/g, (m) => NAMES[m]!);

interface BadCase {
  name: string;
  yaml: string;
  /** `LINE:COL: KEY:` expected after `FILE:`. */
  at: string[];
  /** A piece of the message. */
  says: string;
}

const HEAD = 'router:\n  name: r1\ninterfaces:\n';

const CASES: BadCase[] = [
  {
    name: 'offload on a tun interface',
    yaml: HEAD + '  - name: tun0\n    type: tun\n    offload: true\n',
    at: ['6:14: interfaces[0].offload:'],
    says: '`offload` (virtio-net header offloads) is for tap only',
  },
  {
    name: 'wrong type',
    yaml: HEAD + '  - name: lan0\n    mtu: big\n',
    at: ['5:10: interfaces[0].mtu:'],
    says: 'expected number',
  },
  {
    name: 'unknown key (points at the key)',
    yaml: 'router:\n  name: r1\n  colour: blue\ninterfaces:\n  - name: lan0\n',
    at: ['3:3: router.colour:'],
    says: 'unknown key "colour"',
  },
  {
    name: 'overlapping prefixes on two interfaces',
    yaml:
      HEAD +
      '  - name: lan0\n    addresses: [2001:db8:1::1/64]\n  - name: lan1\n    addresses: [2001:db8:1:0:8000::1/65]\n',
    at: ['7:17: interfaces[1].addresses[0]:'],
    says: 'overlaps 2001:db8:1::1/64',
  },
  {
    name: 'a route naming a missing interface',
    yaml:
      HEAD +
      '  - name: lan0\n    addresses: [2001:db8:1::1/64]\nroutes:\n  - prefix: 2001:db8:99::/48\n    interface: lan9\n',
    at: ['8:16: routes[0].interface:'],
    says: 'no interface named',
  },
  {
    name: 'a missing interface in neighbors.static',
    yaml:
      HEAD +
      '  - name: lan0\nneighbors:\n  static:\n    - interface: lan7\n      address: 2001:db8:1::99\n      mac: 02:00:00:00:00:99\n',
    at: ['7:18: neighbors.static[0].interface:'],
    says: 'no interface named',
  },
  {
    name: 'bad IPv6 text',
    yaml: HEAD + '  - name: lan0\n    addresses:\n      - 2001:db8::g/64\n',
    at: ['6:9: interfaces[0].addresses[0]:'],
    says: 'not an IPv6 address',
  },
  {
    name: 'a prefix with host bits',
    yaml:
      HEAD +
      '  - name: lan0\n    addresses: [2001:db8:1::1/64]\nroutes:\n  - { prefix: 2001:db8:99::1/48, via: 2001:db8:1::fe }\n',
    at: ['7:15: routes[0].prefix:'],
    says: 'bits set past /48',
  },
  {
    name: 'an RA prefix that is not a /64 with autonomous',
    yaml:
      HEAD +
      '  - name: lan0\n    addresses: [2001:db8:1::1/64]\n    ra:\n      prefixes:\n        - prefix: 2001:db8:1::/56\n          autonomous: true\n',
    at: ['8:19: interfaces[0].ra.prefixes[0].prefix:'],
    says: 'must be a /64',
  },
  {
    name: 'a YAML syntax error',
    yaml: 'router:\n  name: r1\n  hopLimit: 64: 3\n',
    at: ['3:13:'],
    says: 'Nested mappings',
  },
  {
    name: 'ra on a tun interface',
    yaml: HEAD + '  - name: tun0\n    type: tun\n    ra: { enabled: true }\n',
    at: ['6:9: interfaces[0].ra:'],
    says: 'tap interfaces only',
  },
  {
    name: 'duplicate interface names',
    yaml: HEAD + '  - name: lan0\n  - name: lan0\n',
    at: ['5:11: interfaces[1].name:'],
    says: 'duplicate interface name',
  },
  {
    name: 'a gateway on no connected prefix',
    yaml:
      HEAD +
      '  - name: lan0\n    addresses: [2001:db8:1::1/64]\nroutes:\n  - { prefix: ::/0, via: 2001:db8:2::fe }\n',
    at: ['7:26: routes[0].via:'],
    says: 'on no connected prefix',
  },
  {
    name: 'minInterval above 0.75 × maxInterval',
    yaml: HEAD + '  - name: lan0\n    ra:\n      minInterval: 500\n      maxInterval: 600\n',
    at: ['6:20: interfaces[0].ra.minInterval:'],
    says: '0.75',
  },
  {
    name: "the ndra plugin's own schema (default preferred lifetime above validLifetime)",
    yaml:
      HEAD +
      '  - name: lan0\n    addresses: [2001:db8:1::1/64]\n    ra:\n      prefixes:\n        - prefix: 2001:db8:1::/64\n          validLifetime: 3600\n',
    // the key is missing, so the position is the prefix entry that lacks it
    at: ['8:11: interfaces[0].ra.prefixes[0].preferredLifetime:'],
    says: 'preferredLifetime',
  },
  {
    name: "a plugin's config: wrong type and unknown key, mapped into plugins[0].config",
    yaml: `${HEAD}  - name: lan0\nplugins:\n  - module: ${join(FIXTURES, 'echo.js')}\n    config:\n      greeting: 5\n      loud: true\n`,
    at: ['8:17: plugins[0].config.greeting:', '9:7: plugins[0].config.loud:'],
    says: 'unknown key "loud"',
  },
  {
    name: 'a plugin module that does not exist',
    yaml: HEAD + '  - name: lan0\nplugins:\n  - module: ./no-such-plugin.js\n',
    at: ['6:13: plugins[0].module:'],
    says: 'cannot load module',
  },
  {
    name: 'a module without a plugin export',
    yaml: `${HEAD}  - name: lan0\nplugins:\n  - module: ${join(FIXTURES, 'not-a-plugin.js')}\n`,
    at: ['6:13: plugins[0].module:'],
    says: 'exports no `plugin`',
  },
  {
    name: 'a namespace that does not exist',
    yaml: HEAD + `  - name: lan0\n    netns: dmmc-none-${tag}\n`,
    at: ['5:12: interfaces[0].netns:'],
    says: 'no network namespace',
  },
  {
    name: 'every problem, in line order',
    yaml:
      'router:\n  name: r1\n  hopLimit: "64"\ninterfaces:\n  - name: lan0\n    addresses: [2001:db8:1::1/64]\n    colour: blue\n' +
      '  - name: lan1\n    addresses: [2001:db8:1::2/48]\nroutes:\n  - { prefix: 2001:db8:5::/48, interface: lan9 }\n',
    at: [
      '3:13: router.hopLimit:',
      '7:5: interfaces[0].colour:',
      '9:17: interfaces[1].addresses[0]:',
      '11:43: routes[0].interface:',
    ],
    says: 'unknown key "colour"',
  },
];

describe('dmmd rejects bad configs with FILE:LINE:COL: KEY: and exit status 2', () => {
  const results = new Map<
    string,
    { file: string; status: number | null; stdout: string; stderr: string }
  >();
  let monitor: LinkMonitor | null = null;
  let seen: string[] = [];

  before(async () => {
    if (IS_ROOT) monitor = await LinkMonitor.start();
    await Promise.all(
      CASES.map(async (c, i) => {
        const file = writeConfig(tmp.dir, `bad-${i}.yaml`, named(c.yaml));
        const r = await runNode(DMMD, ['--config', file]);
        results.set(c.name, { file, ...r });
      }),
    );
    if (monitor) {
      // positive control: the monitor does see a TAP appear and go
      const probe = `dmmc${tag}p`;
      ip('tuntap', 'add', 'dev', probe, 'mode', 'tap');
      ip('link', 'del', 'dev', probe);
      seen = await monitor.stop();
    }
  });

  for (const c of CASES) {
    test(c.name, () => {
      const r = results.get(c.name)!;
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      for (const at of c.at) {
        const prefix = `${r.file}:${at}`;
        assert.ok(
          lines.some((l) => l.startsWith(prefix)),
          `expected a line starting with\n  ${prefix}\ngot:\n  ${lines.join('\n  ')}`,
        );
      }
      assert.ok(r.stderr.includes(c.says), r.stderr);
      // nothing started: no log line at all
      assert.equal(r.stdout, '');
    });
  }

  test('all problems of a file are listed, sorted by line', () => {
    const r = results.get('every problem, in line order')!;
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 4, r.stderr);
    const at = lines.map((l) => Number(l.slice(r.file.length + 1).split(':')[0]));
    assert.deepEqual(at, [3, 7, 9, 11]);
  });

  test('no netdev named in any bad config appeared (ip monitor link)', rootOnly(), () => {
    if (!IS_ROOT) requireRoot();
    assert.ok(
      seen.some((l) => l.includes(`dmmc${tag}p`)),
      `the monitor saw nothing, not even the probe TAP:\n${seen.join('\n')}`,
    );
    for (const n of Object.values(NAMES)) {
      const hits = seen.filter((l) => l.includes(n));
      assert.deepEqual(hits, [], `netdev ${n} appeared while dmmd validated a bad config`);
    }
  });
});

describe('dmmd command line', () => {
  test('--help and --version exit 0; no --config is a usage error (2)', async () => {
    const h = await runNode(DMMD, ['--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /^usage: dmmd --config FILE/);
    const v = await runNode(DMMD, ['--version']);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^dmmd \d+\.\d+\.\d+\n$/);
    const u = await runNode(DMMD, []);
    assert.equal(u.status, 2);
    assert.match(u.stderr, /--config FILE is required/);
    const l = await runNode(DMMD, ['--config', 'x.yaml', '--log-level', 'loud']);
    assert.equal(l.status, 2);
    assert.match(l.stderr, /--log-level must be one of/);
  });

  test('a missing file is a config error (2) naming the file', async () => {
    const f = join(tmp.dir, 'missing.yaml');
    const r = await runNode(DMMD, ['-c', f]);
    assert.equal(r.status, 2);
    assert.ok(r.stderr.startsWith(`${f}: cannot read:`), r.stderr);
  });
});

describe('loadDmmdConfig', () => {
  test('the example in docs/config.md is valid and maps to plugins in order', async () => {
    const doc = readFileSync(
      fileURLToPath(new URL('../../../../docs/config.md', import.meta.url)),
      'utf8',
    );
    const m = /```yaml\n([\s\S]*?)```/.exec(doc);
    assert.ok(m, 'docs/config.md has a yaml block');
    const fixture = join(FIXTURES, 'throws-in-start.js');
    const yaml = m[1]!.replace(/module: \S+/, `module: ${fixture}`);
    assert.notEqual(yaml, m[1], 'the example loads a plugin module');
    const cfg = await loadDmmdConfig(writeConfig(tmp.dir, 'doc.yaml', yaml));
    assert.equal(cfg.router.name, 'r1');
    assert.equal(cfg.controlSocket, '/run/dmm/r1.sock');
    assert.equal(cfg.log.level, 'info');
    assert.deepEqual(
      cfg.plugins.map((p) => p.def.name),
      ['routing', 'ndra', 'control', 'throws-in-start'],
    );
    const lan0 = cfg.interfaces[0]!;
    assert.equal(lan0.name, 'lan0');
    assert.equal(lan0.type, 'tap');
    assert.deepEqual([...lan0.mac!], [2, 0, 0, 0, 1, 1]);
    assert.equal(lan0.addresses[0]!.prefixLen, 64);
    // the ndra plugin gets interfaces[].ra keyed by name, and neighbors as written
    const ndra = cfg.plugins[1]!.config as {
      interfaces: Record<string, { ra?: { maxInterval: number } }>;
      neighbors: unknown;
    };
    assert.equal(ndra.interfaces.lan0!.ra!.maxInterval, 600);
    assert.ok(ndra.neighbors);
  });

  test('relative control socket and plugin module resolve against the config directory', async () => {
    const rel = relative(tmp.dir, join(FIXTURES, 'echo.js'));
    assert.ok(rel.startsWith('../'), rel);
    const yaml = `${HEAD}  - name: lan0\ncontrol:\n  socket: ./r1.sock\nplugins:\n  - module: ${rel}\n    config: { greeting: hi }\n`;
    const cfg = await loadDmmdConfig(writeConfig(tmp.dir, 'rel.yaml', yaml));
    assert.equal(cfg.controlSocket, join(tmp.dir, 'r1.sock'));
    assert.equal(cfg.plugins[3]!.def.name, 'fixture-echo');
    // --socket wins over control.socket
    const over = await loadDmmdConfig(join(tmp.dir, 'rel.yaml'), { socket: '/tmp/other.sock' });
    assert.equal(over.controlSocket, '/tmp/other.sock');
  });

  test('throws DMM_ERR_CONFIG_INVALID with positioned issues', async () => {
    const file = writeConfig(tmp.dir, 'issues.yaml', 'router:\n  name: r1\ninterfaces: []\n');
    await assert.rejects(loadDmmdConfig(file), (e) => {
      assert.ok(isDmmError(e, 'DMM_ERR_CONFIG_INVALID'));
      const issues = (e.details as { issues: { path: unknown[]; line: number; column: number }[] })
        .issues;
      assert.deepEqual(
        issues.map((i) => [i.path, i.line, i.column]),
        [[['interfaces'], 3, 13]],
      );
      return true;
    });
  });
});
