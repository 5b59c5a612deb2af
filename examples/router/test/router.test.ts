/**
 * dmmd as a plain IPv6 router between two unmodified Linux hosts, judged by their kernels
 * and by standard tools: SLAAC from our Router Advertisements (`ip -6 addr`, and rdisc6
 * parsing the RA), ping both ways, an iperf3 TCP stream, traceroute6 showing the router
 * hop, and a full-size packet into the 1280-byte link answered with Packet Too Big, which
 * the sending kernel honours (its path MTU drops and later big packets get through).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_CI, IS_ROOT, requireRoot, sleep } from '@dmm/testkit';
import { ControlClient, Lab, defaultDmmd } from '@dmm/cli';

const TOPOLOGY = fileURLToPath(new URL('../../topology.yaml', import.meta.url));

function gate(): { skip?: string } {
  if (!IS_ROOT && !IN_CI)
    return { skip: 'needs root (CAP_NET_ADMIN) for namespaces and TAP devices' };
  return {};
}

function have(cmd: string): boolean {
  return ['/usr/bin/', '/usr/sbin/', '/bin/'].some((d) => existsSync(d + cmd));
}

test(
  'router: two Linux hosts autoconfigure from dmmd, ping, TCP, traceroute6, Packet Too Big',
  gate(),
  async (t) => {
    requireRoot();
    for (const tool of ['rdisc6', 'iperf3', 'traceroute6', 'ping']) {
      assert.ok(
        have(tool),
        `${tool} is needed (Debian packages ndisc6, iperf3, traceroute, iputils-ping)`,
      );
    }
    assert.ok(existsSync(defaultDmmd()), 'dmmd is built');
    const dir = mkdtempSync(join(tmpdir(), 'dmml-example-router-'));
    const lab = Lab.load(TOPOLOGY, { runtimeRoot: dir });
    try {
      await lab.up();

      await t.test('SLAAC addresses from our RAs, seen by the kernel', async () => {
        // EUI-64 of the hosts' MACs (RFC 4291 Appendix A); Debian scapy:
        // in6_mactoifaceid("02:00:00:00:0a:01") == "0000:00FF:FE00:0A01".
        const a1 = await lab.waitForAddress('h1', 'eth0', '2001:db8:1::/64');
        const a2 = await lab.waitForAddress('h2', 'eth0', '2001:db8:2::/64');
        assert.equal(a1, '2001:db8:1::ff:fe00:a01');
        assert.equal(a2, '2001:db8:2::ff:fe00:b02');
        const info = (await lab.addresses('h1', 'eth0')).find((a) => a.address === a1)!;
        assert.equal(info.dynamic, true);
        assert.ok(
          Number(info.validLifetime) > 86000 && Number(info.preferredLifetime) > 14000,
          JSON.stringify(info),
        );
        const mtu2 = await lab.execOk('h2', ['cat', '/proc/sys/net/ipv6/conf/eth0/mtu']);
        assert.equal(mtu2.trim(), '1280', 'the RA MTU option');
      });

      await t.test('rdisc6 parses our RA', async () => {
        const out = await lab.execOk('h1', ['rdisc6', '-1', '-r', '3', '-w', '2000', 'eth0']);
        assert.match(out, /Router lifetime\s*:\s*1800 \(0x00000708\) seconds/);
        assert.match(out, /Source link-layer address: 02:00:00:00:01:01/);
        assert.match(out, /MTU\s*:\s*1500 bytes/);
        assert.match(out, /Prefix\s*: 2001:db8:1::\/64/);
        assert.match(out, /Valid time\s*:\s*86400/);
        assert.match(out, /Pref\. time\s*:\s*14400/);
        assert.match(out, /Recursive DNS server\s*: 2001:db8:1::53/);
        assert.match(out, /from fe80::1/);
      });

      await t.test('ping both ways, one forwarding hop', async () => {
        const to2 = await lab.exec('h1', [
          'ping',
          '-6',
          '-n',
          '-c',
          '3',
          '-i',
          '0.2',
          '-W',
          '2',
          '2001:db8:2::ff:fe00:b02',
        ]);
        assert.equal(to2.status, 0, to2.stdout + to2.stderr);
        assert.match(to2.stdout, /ttl=63/);
        const to1 = await lab.exec('h2', [
          'ping',
          '-6',
          '-n',
          '-c',
          '3',
          '-i',
          '0.2',
          '-W',
          '2',
          '2001:db8:1::ff:fe00:a01',
        ]);
        assert.equal(to1.status, 0, to1.stdout + to1.stderr);
        assert.match(to1.stdout, /ttl=63/);
      });

      await t.test('traceroute6 shows the router hop', async () => {
        const out = await lab.execOk('h1', [
          'traceroute6',
          '-n',
          '-q',
          '1',
          '-w',
          '2',
          '2001:db8:2::ff:fe00:b02',
        ]);
        const hops = out.split('\n').filter((l) => /^\s*\d+\s/.test(l));
        assert.match(hops[0] ?? '', /^\s*1\s+2001:db8:1::1\s/, out);
        assert.match(hops[1] ?? '', /^\s*2\s+2001:db8:2::ff:fe00:b02\s/, out);
      });

      await t.test('an iperf3 TCP stream crosses the router', async () => {
        const server = lab.spawn('h2', ['iperf3', '-s', '-1', '-B', '2001:db8:2::ff:fe00:b02']);
        try {
          await sleep(500);
          const r = await lab.exec('h1', [
            'iperf3',
            '-c',
            '2001:db8:2::ff:fe00:b02',
            '-t',
            '3',
            '-J',
          ]);
          assert.equal(r.status, 0, r.stderr);
          const j = JSON.parse(r.stdout) as {
            end: { sum_received: { bits_per_second: number; bytes: number } };
          };
          const mbps = j.end.sum_received.bits_per_second / 1e6;
          t.diagnostic(`TCP through dmmd: ${mbps.toFixed(0)} Mbit/s`);
          assert.ok(mbps > 10, `${mbps} Mbit/s`);
        } finally {
          server.kill();
        }
      });

      await t.test(
        'a full-size packet into the 1280 link gets Packet Too Big, and the sender honours it',
        async () => {
          const dst = '2001:db8:2::ff:fe00:b02';
          // -M do: the kernel must not fragment, so the 1448-byte packet reaches the router whole
          const big = await lab.exec('h1', [
            'ping',
            '-6',
            '-n',
            '-c',
            '1',
            '-W',
            '2',
            '-s',
            '1400',
            '-M',
            'do',
            dst,
          ]);
          assert.notEqual(big.status, 0, 'the first attempt does not get through');
          assert.match(big.stdout + big.stderr, /[Pp]acket too big.*mtu\s*=?\s*1280/);
          const route = await lab.execOk('h1', ['ip', '-6', 'route', 'get', dst]);
          assert.match(route, /mtu 1280/, `the kernel learnt the path MTU: ${route}`);
          // with the learnt MTU the kernel fragments at the source, and the echo goes through
          const again = await lab.exec('h1', [
            'ping',
            '-6',
            '-n',
            '-c',
            '2',
            '-i',
            '0.2',
            '-W',
            '2',
            '-s',
            '1400',
            dst,
          ]);
          assert.equal(again.status, 0, again.stdout + again.stderr);
          const c = await ControlClient.connect(lab.router('r1').socket);
          try {
            const res = await c.request('show counters');
            assert.ok(res.ok, JSON.stringify(res));
            const nodes = (res.result as { nodes: Record<string, number> }).nodes;
            assert.ok((nodes['ip6-lookup.too-big'] ?? 0) >= 1, JSON.stringify(nodes));
            assert.ok((nodes['icmp6-error.sent'] ?? 0) >= 1);
          } finally {
            c.close();
          }
        },
      );
    } finally {
      await lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
