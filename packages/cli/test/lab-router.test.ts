/**
 * dmm-lab with a real dmmd between two kernel hosts: the hosts configure themselves from
 * the router's Router Advertisements (SLAAC, RFC 4862; default router, RFC 4861 §6.3.4;
 * an RFC 4191 Route Information option, which the lab's accept_ra_rt_info_max_plen makes
 * the kernel accept) and ping each other through it. And dmmd's own config complaints
 * reach the user as lines of the topology file.
 *
 * Needs the compiled dmmd (packages/cli/dist/src/dmmd.js); skipped with a message when it
 * is missing, except under CI=true where a missing dmmd is a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDmmError } from '@dmm/core';
import { IN_CI, IS_ROOT, ip, requireRoot } from '@dmm/testkit';
import { Lab, defaultDmmd } from '@dmm/cli';

function gate(): { skip?: string } {
  if (!IS_ROOT && !IN_CI)
    return { skip: 'needs root (CAP_NET_ADMIN) for namespaces, bridges and TAP devices' };
  if (!existsSync(defaultDmmd()) && !IN_CI) {
    return { skip: `dmmd is not built (${defaultDmmd()} is missing): build packages/cli first` };
  }
  return {};
}

function requireDmmd(): void {
  requireRoot();
  if (!existsSync(defaultDmmd()))
    throw new Error(`CI=true but dmmd is not built: ${defaultDmmd()} is missing`);
}

const TOPOLOGY = `name: lt-router
timeouts: { ready: 20, addresses: 30 }
links:
  lan1: { mtu: 1500 }
  lan2: { mtu: 1500 }
hosts:
  h1:
    interfaces:
      eth0: { link: lan1, mac: 02:00:00:00:0a:01, slaac: [2001:db8:1::/64] }
  h2:
    interfaces:
      eth0: { link: lan2, mac: 02:00:00:00:0b:02, slaac: [2001:db8:2::/64] }
routers:
  r1:
    interfaces: { ltr-lan1: lan1, ltr-lan2: lan2 }
    config:
      router: { name: r1 }
      interfaces:
        - name: ltr-lan1
          type: tap
          mac: 02:00:00:00:01:01
          linkLocal: fe80::1
          addresses: [2001:db8:1::1/64]
          ra:
            enabled: true
            minInterval: 3
            maxInterval: 10
            prefixes: [{ prefix: 2001:db8:1::/64 }]
            routes: [{ prefix: 2001:db8:99::/48, preference: high, lifetime: 1800 }]
        - name: ltr-lan2
          type: tap
          mac: 02:00:00:00:01:02
          linkLocal: fe80::2
          addresses: [2001:db8:2::1/64]
          ra:
            enabled: true
            minInterval: 3
            maxInterval: 10
            prefixes: [{ prefix: 2001:db8:2::/64 }]
`;

test(
  'lab router: hosts get SLAAC addresses from dmmd and ping each other through it',
  gate(),
  async () => {
    requireDmmd();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-router-'));
    const file = join(dir, 'router.yaml');
    writeFileSync(file, TOPOLOGY);
    const lab = Lab.load(file, { runtimeRoot: join(dir, 'runtime') });
    try {
      // up() waits for a non-tentative address from each slaac prefix
      const s = await lab.up();
      assert.deepEqual(
        s.links.map((l) => [l.name, l.members]),
        [
          ['lan1', ['h1:eth0', 'r1:ltr-lan1']],
          ['lan2', ['h2:eth0', 'r1:ltr-lan2']],
        ],
      );
      assert.ok(s.routers[0]!.running);
      // EUI-64 interface identifiers of the hosts' MACs (RFC 4291 Appendix A), from
      // Debian scapy: in6_mactoifaceid("02:00:00:00:0a:01") == "0000:00FF:FE00:0A01",
      // in6_mactoifaceid("02:00:00:00:0b:02") == "0000:00FF:FE00:0B02".
      const a1 = await lab.waitForAddress('h1', 'eth0', '2001:db8:1::/64');
      const a2 = await lab.waitForAddress('h2', 'eth0', '2001:db8:2::/64');
      assert.equal(a1, '2001:db8:1::ff:fe00:a01');
      assert.equal(a2, '2001:db8:2::ff:fe00:b02');
      const info = (await lab.addresses('h1', 'eth0')).find((a) => a.address === a1)!;
      assert.equal(info.dynamic, true, 'learnt from an RA');
      assert.equal(info.prefixLen, 64);
      // The default route and the RFC 4191 route, both from r1's RA on lan1.
      const routes = ip('-n', lab.ns('h1'), '-6', 'route', 'show');
      assert.match(routes, /^default via fe80::1 dev eth0 proto ra .*pref medium/m);
      assert.match(routes, /^2001:db8:99::\/48 via fe80::1 dev eth0 proto ra .*pref high/m);
      // Through the router: the reply crossed one forwarding hop (hop limit 64 - 1).
      const r = await lab.exec('h1', ['ping', '-6', '-n', '-c', '3', '-i', '0.2', '-W', '2', a2]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /ttl=63/);
      assert.ok(await lab.ping('h2', a1), 'and back');
    } finally {
      const report = await lab.down();
      rmSync(dir, { recursive: true, force: true });
      assert.equal(report.stopped.length, 1);
      assert.deepEqual(report.killed, [], 'dmmd stopped on SIGTERM');
    }
    assert.equal(ip('netns', 'list').includes('dmml-lt-router-'), false);
  },
);

test(
  'lab router: a dmmd config problem is reported at its line in the topology',
  gate(),
  async () => {
    requireDmmd();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-router-bad-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `name: lt-router-bad
links:
  lan1:
routers:
  r1:
    interfaces: { ltrb-lan1: lan1 }
    config:
      interfaces:
        - name: ltrb-lan1
          type: tap
          bogus: 1
`,
    );
    const lab = Lab.load(file, { runtimeRoot: join(dir, 'runtime') });
    try {
      await assert.rejects(lab.up(), (e: unknown) => {
        assert.ok(isDmmError(e, 'DMM_ERR_LAB'), String(e));
        // line 11, column 18: the value of "bogus"
        assert.match(e.message, /^router r1: dmmd exited \(2\) before it was ready:\n/);
        assert.ok(
          e.message.includes(`\n${file}:11:18: routers.r1.config.interfaces[0].bogus: `),
          e.message,
        );
        return true;
      });
    } finally {
      await lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(ip('netns', 'list').includes('dmml-lt-router-bad-'), false);
  },
);
