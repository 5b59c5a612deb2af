/**
 * The tunnel paths of the end-to-end harness, pure parts: the static-tunnel plugin's config
 * validation, and the tunnel routers' dmmd config — checked by the real dmmd, which loads
 * both plugins and validates their configs before it looks for the namespaces (so a valid
 * config gives exactly the namespace errors and an invalid plugin config its own error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DMMD, type RouterLink } from '@dmm/perf/e2e/dmmd.js';
import { parseStaticTunnelConfig } from '@dmm/perf/e2e/static-tunnel-plugin.js';
import {
  LINK_MTU,
  STATIC_TUNNEL_PLUGIN,
  TUNNEL_MTU,
  tunnelMissing,
  tunnelRouterConfig,
} from '@dmm/perf/e2e/tunnel.js';

test('parseStaticTunnelConfig: addresses and prefixes parsed, every bad entry named', () => {
  const ok = parseStaticTunnelConfig({
    tunnels: [{ local: 'fd00:100::1', remote: 'fd00:100::2', prefixes: ['fd00:b::/64'] }],
  });
  assert.ok(ok.success);
  const t = ok.data.tunnels[0]!;
  assert.deepEqual([...t.local], [0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...t.remote], [0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
  assert.equal(t.prefixes[0]!.prefixLen, 64);
  assert.deepEqual([...t.prefixes[0]!.prefix.subarray(0, 4)], [0xfd, 0, 0, 0x0b]);

  for (const raw of [undefined, {}, { tunnels: [] }, { tunnels: 'x' }]) {
    const r = parseStaticTunnelConfig(raw);
    assert.ok(!r.success);
    assert.deepEqual(r.error.issues[0]!.path, ['tunnels']);
  }
  const bad = parseStaticTunnelConfig({
    tunnels: [
      { local: 'fd00:100::1', remote: 'fd00:100::2', prefixes: ['fd00:b::/64'] },
      { local: 'nope', remote: 'fd00:100::2', prefixes: ['fd00:b::/64'] },
      { local: 'fd00:100::1', remote: 'fd00:100::2', prefixes: [] },
      { local: 'fd00:100::1', remote: 'fd00:100::2', prefixes: ['fd00:b::1/64'] },
    ],
  });
  assert.ok(!bad.success);
  assert.deepEqual(
    bad.error.issues.map((i) => i.path),
    [
      ['tunnels', 1],
      ['tunnels', 2],
      ['tunnels', 3],
    ],
  );
  assert.match(bad.error.issues[1]!.message, /prefixes must be a non-empty list/);
  assert.match(bad.error.issues[2]!.message, /bits set past \/64/);
});

function link(netns: string, ifName: string, routerIp: string, hostIp: string): RouterLink {
  return {
    ifName,
    netns,
    routerMac: '02:00:00:00:01:01',
    routerIp,
    hostMac: '02:00:00:00:02:01',
    hostIp,
    prefixLen: 64,
  };
}

function config(nsA: string, nsBb: string, plugin = STATIC_TUNNEL_PLUGIN): Record<string, unknown> {
  return tunnelRouterConfig({
    name: 'dmmp-t1',
    socket: join(tmpdir(), 'dmmp-x.sock'),
    host: link(nsA, 'dmmp-ra', 'fd00:a::2', 'fd00:a::1'),
    backbone: link(nsBb, 'dmmp-t1bb', 'fd00:100::1', 'fd00:100::2'),
    remote: 'fd00:100::2',
    farPrefix: 'fd00:b::/64',
    plugin,
  });
}

test('tunnelRouterConfig: two links, static neighbours, the tunnel module and a tunnel route', () => {
  const c = config('dmmp-a', 'dmmp-bb', '/p.js');
  assert.deepEqual(c.plugins, [
    { module: '@dmm/tunnel' },
    {
      module: '/p.js',
      config: {
        tunnels: [{ local: 'fd00:100::1', remote: 'fd00:100::2', prefixes: ['fd00:b::/64'] }],
      },
    },
  ]);
  assert.deepEqual(c.neighbors, {
    static: [
      { interface: 'dmmp-ra', address: 'fd00:a::1', mac: '02:00:00:00:02:01' },
      { interface: 'dmmp-t1bb', address: 'fd00:100::2', mac: '02:00:00:00:02:01' },
    ],
  });
  assert.equal((c.interfaces as unknown[]).length, 2);
  assert.equal(TUNNEL_MTU, LINK_MTU - 40, 'RFC 2473 §7: one outer IPv6 header');
});

function runDmmd(cfg: Record<string, unknown>): { code: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dmmp-test-'));
  try {
    const file = join(dir, 'r.yaml');
    writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`);
    const r = spawnSync(process.execPath, [DMMD, '--config', file], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the real dmmd loads the static-tunnel plugin and accepts the tunnel router config', (t) => {
  if (!existsSync(DMMD) || !existsSync(STATIC_TUNNEL_PLUGIN)) {
    return t.skip('packages/cli or perf is not built');
  }
  assert.equal(tunnelMissing('dmmd-tunnel', null), null);
  const absentA = `dmmp-absent-a-${process.pid}`;
  const absentBb = `dmmp-absent-bb-${process.pid}`;
  const ok = runDmmd(config(absentA, absentBb));
  assert.equal(ok.code, 2, ok.stderr);
  const lines = ok.stderr.trim().split('\n');
  assert.equal(lines.length, 2, ok.stderr);
  assert.match(
    lines[0]!,
    new RegExp(`interfaces\\[0\\]\\.netns: no network namespace "${absentA}"`),
  );
  assert.match(
    lines[1]!,
    new RegExp(`interfaces\\[1\\]\\.netns: no network namespace "${absentBb}"`),
  );
  // a bad plugin config is the plugin's error, found before the namespaces are looked for
  const bad = config(absentA, absentBb);
  (bad.plugins as { config?: { tunnels: { local: string }[] } }[])[1]!.config!.tunnels[0]!.local =
    'fd00:100::zz';
  const no = runDmmd(bad);
  assert.equal(no.code, 2);
  assert.match(no.stderr, /plugins\[1\]\.config\.tunnels\[0\]/);
  assert.doesNotMatch(no.stderr, /no network namespace/);
});

test('tunnelMissing: the kernel reference needs ethtool', () => {
  assert.match(tunnelMissing('kernel-tunnel', null)!, /ethtool/);
  assert.equal(tunnelMissing('kernel-tunnel', '/usr/sbin/ethtool'), null);
});
