/**
 * dmm-lab topology files: every problem is reported as FILE:LINE:COLUMN: KEY: message,
 * all at once and in file order; names the lab derives; the dmmd config the lab generates
 * for a router and how dmmd's complaints about it are mapped back to the user's lines.
 * No root needed: nothing here touches the kernel.
 *
 * The expected positions were counted by hand on the YAML texts below (1-based line and
 * column of the offending value, or of the key for an unknown or misnamed key; a problem
 * dmmd reports against a generated router config points at the value in the topology).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isDmmError } from '@dmm/core';
import {
  HOST_CONF_SYSCTLS,
  HOST_GLOBAL_SYSCTLS,
  Lab,
  SWITCH_SYSCTLS,
  loadTopology,
  peerName,
} from '@dmm/cli';
import {
  parseConfigPath,
  patchRouterConfig,
  remapConfigErrors,
  writeRouterConfig,
} from '../src/lab/router-config.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'dmml-topo-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ConfigError message `loadTopology` throws for `text`, with the file path replaced by F. */
function problems(dir: string, text: string, extra: Record<string, string> = {}): string[] {
  for (const [name, body] of Object.entries(extra)) writeFileSync(join(dir, name), body);
  const file = join(dir, 'topo.yaml');
  writeFileSync(file, text);
  try {
    loadTopology(file);
  } catch (e) {
    assert.ok(isDmmError(e, 'DMM_ERR_CONFIG_INVALID'), `expected a ConfigError, got ${String(e)}`);
    return e.message.split('\n').map((l) => l.replaceAll(dir, 'D'));
  }
  assert.fail('the topology was accepted');
}

test('lab topology: an unknown key names file, line, column and key path', () => {
  withDir((dir) => {
    const text = `name: bad
links:
  lan1: {}
hosts:
  h1:
    interfaces:
      eth0:
        link: lan1
        lnk: lan2
`;
    assert.deepEqual(problems(dir, text), [
      'D/topo.yaml:9:9: hosts.h1.interfaces.eth0.lnk: unknown key "lnk"',
    ]);
  });
});

test('lab topology: value errors from the schema (MTU, address) are all reported', () => {
  withDir((dir) => {
    const text = `name: bad
links:
  lan1: { mtu: 1000 }
hosts:
  h1:
    interfaces:
      eth0: { link: lan1, addresses: [2001:db8::1/64, 2001:db8::zz/64] }
timeouts: { ready: -1 }
`;
    assert.deepEqual(problems(dir, text), [
      'D/topo.yaml:8:20: timeouts.ready: Too small: expected number to be >0',
      'D/topo.yaml:3:16: links.lan1.mtu: IPv6 needs an MTU of at least 1280 (RFC 8200 §5)',
      'D/topo.yaml:7:55: hosts.h1.interfaces.eth0.addresses[1]: not an IPv6 address: 2001:db8::zz',
    ]);
  });
});

test('lab topology: cross-reference errors come all at once, in file order', () => {
  withDir((dir) => {
    const text = `name: bad
links:
  lan1: {}
hosts:
  sw:
    interfaces: { eth0: { link: lan1 } }
  h1:
    sysctls: { kernel.panic: 1 }
    interfaces:
      eth0:
        link: lan9
        mac: 01:00:00:00:00:01
        addresses: [2001:db8::1/64]
        slaac: [2001:db8:1::/48]
    routes:
      - { prefix: default, via: fe80::1 }
      - { prefix: 2001:db8:5::/64, interface: eth1 }
`;
    assert.deepEqual(problems(dir, text), [
      'D/topo.yaml:5:3: hosts.sw: a host name is 1..32 of letters, digits, "_" and "-", and not "sw" or "switch"',
      'D/topo.yaml:8:16: hosts.h1.sysctls.kernel.panic: "kernel.panic": only net.* settings belong to a network namespace',
      'D/topo.yaml:11:15: hosts.h1.interfaces.eth0.link: no link named "lan9" in links',
      'D/topo.yaml:12:14: hosts.h1.interfaces.eth0.mac: a multicast MAC cannot be an interface address',
      'D/topo.yaml:14:17: hosts.h1.interfaces.eth0.slaac[0]: SLAAC prefixes are /64 (RFC 4862 §5.5.3(d), RFC 4291 §2.5.1)',
      'D/topo.yaml:16:9: hosts.h1.routes[0]: a link-local gateway needs "interface" (RFC 4291 §2.5.6: link-local is per link)',
      'D/topo.yaml:17:47: hosts.h1.routes[1].interface: host h1 has no interface "eth1"',
    ]);
  });
});

test('lab topology: router interfaces are checked against the dmmd config and device names', () => {
  withDir((dir) => {
    const text = `name: bad
links:
  lan1: { mtu: 1500 }
routers:
  r1:
    config: ./r1.yaml
    interfaces: { lan0: lan1, br-lan1: lan1, r1-tun: lan1, r1-mtu: lan1 }
  r2:
    config: ./missing.yaml
    interfaces: {}
`;
    const r1 = `interfaces:
  - { name: br-lan1, type: tap }
  - { name: r1-tun, type: tun }
  - { name: r1-mtu, type: tap, mtu: 9000 }
`;
    assert.deepEqual(problems(dir, text, { 'r1.yaml': r1 }), [
      'D/topo.yaml:7:19: routers.r1.interfaces.lan0: the dmmd config of r1 has no interface "lan0"',
      'D/topo.yaml:7:31: routers.r1.interfaces.br-lan1: device name br-lan1 (an interface of router r1) is already used by the bridge of link lan1 in dmml-bad-sw',
      'D/topo.yaml:7:54: routers.r1.interfaces.r1-tun: r1-tun is a TUN device: only a TAP (Ethernet) can join a bridge',
      'D/topo.yaml:7:68: routers.r1.interfaces.r1-mtu: the dmmd config gives r1-mtu MTU 9000 but link lan1 has MTU 1500',
      "D/topo.yaml:9:13: routers.r2.config: D/missing.yaml: cannot read: ENOENT: no such file or directory, open 'D/missing.yaml'",
    ]);
  });
});

test('lab topology: a YAML syntax error names the line', () => {
  withDir((dir) => {
    const text = `name: bad
links:
  lan1: {
hosts: []
`;
    const p = problems(dir, text);
    assert.equal(p.length, 1);
    assert.match(p[0]!, /^D\/topo\.yaml:4:1: /);
  });
});

test('lab topology: derived names (prefix, namespaces, bridges, veth peers)', () => {
  const lab = Lab.fromText(
    `name: demo
links:
  lan1:
  lan2: { mtu: 1400 }
hosts:
  h1:
    interfaces:
      eth0: { link: lan1, mac: 02:00:00:00:0A:01, addresses: ["2001:db8:1:0:0:0:0:10/64"] }
  mobile-node-1:
    interfaces:
      wlan0: { link: lan2 }
`,
    {},
    { runtimeRoot: '/tmp/dmml-runtime' },
  );
  assert.equal(lab.prefix, 'dmml-demo');
  assert.equal(lab.switchNs, 'dmml-demo-sw');
  assert.equal(lab.ns('h1'), 'dmml-demo-h1');
  assert.equal(lab.ns('switch'), 'dmml-demo-sw');
  assert.equal(lab.bridge('lan2'), 'br-lan2');
  assert.equal(lab.runtimeDir, '/tmp/dmml-runtime/demo');
  const h1 = lab.host('h1').interfaces[0]!;
  assert.equal(h1.peer, 'h1-eth0');
  // Normalised forms (RFC 5952 text, lower-case MAC) and the link MTU inherited.
  assert.equal(h1.mac, '02:00:00:00:0a:01');
  assert.deepEqual(h1.addresses, ['2001:db8:1::10/64']);
  const mn = lab.host('mobile-node-1').interfaces[0]!;
  assert.equal(mn.mtu, 1400);
  // "mobile-node-1-wlan0" is 19 bytes: longer than IFNAMSIZ allows, so a digest name.
  assert.match(mn.peer, /^v-[0-9a-f]{12}$/);
  assert.equal(mn.peer, peerName('mobile-node-1', 'wlan0'));
  assert.notEqual(peerName('mobile-node-1', 'wlan0'), peerName('mobile-node-1', 'wlan1'));
  assert.throws(() => lab.host('h9'), /no host "h9"/);
});

test('lab topology: the sysctl table carries every setting a host behind our routers needs', () => {
  const keys = HOST_CONF_SYSCTLS.map((s) => s.key);
  for (const k of [
    'accept_ra',
    'accept_ra_defrtr',
    'accept_ra_pinfo',
    'accept_ra_rt_info_max_plen',
    'accept_ra_rt_info_min_plen',
    'accept_ra_rtr_pref',
    'autoconf',
    'accept_dad',
    'router_solicitations',
    'use_tempaddr',
    'keep_addr_on_down',
    'forwarding',
  ]) {
    assert.ok(keys.includes(k), `${k} missing`);
  }
  const get = (k: string, forwarding: boolean) =>
    HOST_CONF_SYSCTLS.find((s) => s.key === k)!.value({ forwarding });
  assert.equal(get('accept_ra', false), '1');
  assert.equal(get('accept_ra', true), '2');
  assert.equal(get('accept_ra_rt_info_max_plen', false), '128');
  assert.equal(get('use_tempaddr', false), '0');
  assert.equal(new Set(keys).size, keys.length, 'no key twice');
  for (const s of HOST_CONF_SYSCTLS) assert.ok(s.why.length > 20, `${s.key} has a reason`);
});

test('lab router config: netns, MTU, socket and name are added; plugin paths stay valid', () => {
  const lab = Lab.fromText(
    `name: gen
links:
  lan1: { mtu: 1500 }
  lan2:
routers:
  r1:
    interfaces: { r1-a: lan1, r1-b: lan2 }
    config:
      interfaces:
        - { name: r1-a, type: tap }
        - { name: r1-b, type: tap, mtu: 1280 }
        - { name: r1-c, type: tun }
      control: { socket: /run/dmm/elsewhere.sock }
      plugins:
        - { module: ./plugins/x.js }
        - { module: some-package }
`,
    { baseDir: '/srv/topologies' },
    { runtimeRoot: '/tmp/dmml-runtime' },
  );
  const plan = lab.topology.routers[0]!;
  const cfg = patchRouterConfig(lab.topology, plan, lab.router('r1').socket);
  assert.deepEqual(cfg, {
    router: { name: 'r1' },
    interfaces: [
      { name: 'r1-a', type: 'tap', netns: 'dmml-gen-sw', mtu: 1500 },
      { name: 'r1-b', type: 'tap', mtu: 1280, netns: 'dmml-gen-sw' },
      // not attached to a link: left alone
      { name: 'r1-c', type: 'tun' },
    ],
    control: { socket: '/tmp/dmml-runtime/gen/r1.sock' },
    plugins: [{ module: '/srv/topologies/plugins/x.js' }, { module: 'some-package' }],
  });
  // the topology's own value is not modified
  assert.equal((plan.config.interfaces as { netns?: string }[])[0]!.netns, undefined);
  assert.equal(lab.router('r1').config, '/tmp/dmml-runtime/gen/r1.yaml');
  assert.equal(lab.router('r1').log, '/tmp/dmml-runtime/gen/r1.log');
});

test('lab router config: dmmd problems with the generated file point at the topology lines', () => {
  withDir((dir) => {
    const file = join(dir, 'topo.yaml');
    writeFileSync(
      file,
      `name: remap
links:
  lan1:
routers:
  r1:
    interfaces: { r1-a: lan1 }
    config:
      interfaces:
        - name: r1-a
          type: tap
          mtux: 1500
          addresses: [2001:db8::1/64]
`,
    );
    const lab = Lab.load(file, { runtimeRoot: join(dir, 'rt') });
    const gen = lab.router('r1').config;
    // dmmd's stderr (plain lines) and a JSON log record carrying the same kind of line.
    const output = [
      `${gen}:9:7: interfaces[0].mtux: unknown key "mtux"`,
      JSON.stringify({ level: 50, msg: `${gen}:10:9: interfaces[0].addresses[0]: overlaps` }),
      `${gen}:1:1: (root): something about the whole file`,
      'unrelated line',
    ].join('\n');
    assert.deepEqual(remapConfigErrors(output, gen, lab.topology.routers[0]!), [
      `${file}:11:17: routers.r1.config.interfaces[0].mtux: unknown key "mtux"`,
      `${file}:12:23: routers.r1.config.interfaces[0].addresses[0]: overlaps`,
      `${file}:8:7: routers.r1.config.(root): something about the whole file`,
    ]);
  });
});

test('lab router config: key paths in dmmd messages parse back', () => {
  assert.deepEqual(parseConfigPath('interfaces[0].ra.prefixes[12].prefix'), [
    'interfaces',
    0,
    'ra',
    'prefixes',
    12,
    'prefix',
  ]);
  assert.deepEqual(parseConfigPath('(root)'), []);
  assert.deepEqual(parseConfigPath('router'), ['router']);
  assert.equal(parseConfigPath('a..b'), null);
});

test('lab router config: the generated file is YAML that reads back as the patched config', () => {
  withDir((dir) => {
    const lab = Lab.fromText(
      `name: yml
links: { lan1: }
routers:
  r1:
    interfaces: { r1-a: lan1 }
    config: { interfaces: [{ name: r1-a, type: tap, addresses: ["2001:db8::1/64"] }] }
`,
      {},
      { runtimeRoot: dir },
    );
    const plan = lab.topology.routers[0]!;
    const cfg = patchRouterConfig(lab.topology, plan, lab.router('r1').socket);
    const out = join(dir, 'r1.yaml');
    writeRouterConfig(out, lab.topology, plan, cfg);
    const text = readFileSync(out, 'utf8');
    assert.match(text, /^# Generated by dmm-lab for router r1 of lab yml/);
    assert.deepEqual(parse(text), cfg);
  });
});

test('lab docs: docs/lab.md lists every sysctl the lab sets, with the value it sets', () => {
  const doc = readFileSync(new URL('../../../../docs/lab.md', import.meta.url), 'utf8');
  for (const s of HOST_CONF_SYSCTLS) {
    const value = s.value({ forwarding: false });
    assert.ok(
      doc.includes(`| \`${s.key}\` | ${value}`),
      `docs/lab.md: no row "| \`${s.key}\` | ${value}"`,
    );
  }
  for (const s of HOST_GLOBAL_SYSCTLS)
    assert.ok(doc.includes(`| \`${s.key}\` | ${s.value({ forwarding: false })}`), s.key);
  for (const s of SWITCH_SYSCTLS) {
    const short = s.key.replace('net.bridge.bridge-nf-call-', '…-');
    assert.ok(doc.includes(`\`${s.key}\``) || doc.includes(`\`${short}\``), s.key);
  }
});

test('lab docs: the example topology of docs/lab.md validates', () => {
  const doc = readFileSync(new URL('../../../../docs/lab.md', import.meta.url), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
  withDir((dir) => {
    writeFileSync(
      join(dir, 'r1.yaml'),
      'interfaces:\n  - { name: r1-lan1, type: tap }\n  - { name: r1-core, type: tap }\n',
    );
    writeFileSync(join(dir, 'demo.yaml'), example);
    const t = loadTopology(join(dir, 'demo.yaml'));
    assert.equal(t.prefix, 'dmml-demo');
    assert.deepEqual(
      t.routers.map((r) => [r.name, r.interfaces.map((i) => `${i.name}@${i.link}`)]),
      [
        ['r1', ['r1-lan1@lan1', 'r1-core@core']],
        ['r2', ['r2-lan2@lan2']],
      ],
    );
    assert.deepEqual(t.hosts.find((h) => h.name === 'mn1')!.routes, [
      { prefix: '2001:db8:77::/48', via: 'fe80::1', interface: 'eth0', metric: 100 },
      { prefix: 'default', via: '2001:db8:1::1' },
    ]);
  });
});
