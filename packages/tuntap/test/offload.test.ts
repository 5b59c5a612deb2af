/**
 * Offloads end to end: a Router between Linux hosts in namespaces, on TAPs opened with the
 * virtio-net header (IFF_VNET_HDR + TUNSETOFFLOAD). The hosts' own TCP stacks judge the
 * path: iperf3 both ways between two offload links (super-packets forwarded as such), and
 * from an offload link to a plain TAP (super-packets cut into segments in software, whose
 * checksums the receiving kernel verifies). The device counters prove super-packets really
 * arrived; a large ping into a 1280-byte link still gets Packet Too Big.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NeighborState, Router, parseIpv6Address, type Interface } from '@dmm/core';
import { NetnsLab, inNetnsAsync, ip, linkInfo, requireRoot, rootOnly, sleep } from '@dmm/testkit';
import { Tap, TunTapNetDevice } from '@dmm/tuntap';

interface Host {
  ns: string;
  dev: string;
  addr: string;
  iface: Interface;
  net: TunTapNetDevice;
}

function mac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
}

async function iperf(
  client: Host,
  server: Host,
  reverse: boolean,
): Promise<{ mbps: number; retransmits: number }> {
  const srv = spawn('ip', ['netns', 'exec', server.ns, 'iperf3', '-s', '-1', '-B', server.addr], {
    stdio: 'ignore',
  });
  try {
    await sleep(400);
    const args = ['iperf3', '-6', '-c', server.addr, '-t', '2', '-J'];
    if (reverse) args.push('-R');
    const r = await inNetnsAsync(client.ns, args[0]!, ...args.slice(1));
    assert.equal(r.status, 0, r.stdout.slice(0, 2000) + r.stderr);
    const j = JSON.parse(r.stdout) as {
      end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits?: number } };
    };
    return {
      mbps: j.end.sum_received.bits_per_second / 1e6,
      retransmits: j.end.sum_sent.retransmits ?? 0,
    };
  } finally {
    srv.kill();
  }
}

test(
  'offload: vnetHdr turns on the kernel side of checksum and TCPv6 segmentation offload',
  rootOnly(),
  () => {
    requireRoot();
    const lab = new NetnsLab('dmmo');
    try {
      const name = lab.devName('k');
      const plainName = lab.devName('p');
      const tap = lab.track(new Tap({ name, vnetHdr: true }));
      const plain = lab.track(new Tap({ name: plainName }));
      assert.equal(tap.vnetHdrSize, 10);
      assert.equal(tap.stats().vnetHdrSize, 10);
      assert.equal(plain.vnetHdrSize, 0);
      // drivers/net/tun.c set_offload(): TUN_F_CSUM → NETIF_F_HW_CSUM, TUN_F_TSO6 → NETIF_F_TSO6
      const features = execFileSync('ethtool', ['-k', name], { encoding: 'utf8' });
      assert.match(features, /tx-checksumming: on/);
      assert.match(features, /tx-tcp6-segmentation: on/);
      assert.match(features, /tx-tcp-segmentation: off/, 'TSO4 is not asked for');
      const plainFeatures = execFileSync('ethtool', ['-k', plainName], { encoding: 'utf8' });
      assert.match(plainFeatures, /tx-tcp6-segmentation: off/);
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'offload: iperf3 over offload TAPs moves super-packets; plain egress is segmented; PTB by segment size',
  rootOnly(),
  async (t) => {
    requireRoot();
    assert.ok(existsSync('/usr/bin/iperf3'), 'iperf3 is needed (Debian package iperf3)');
    const lab = new NetnsLab('dmmo');
    const router = new Router({ name: 'offload', pool: { largeCount: 512 } });
    lab.track({ close: () => void router.stop() });
    try {
      const hosts: Host[] = [];
      const specs = [
        { letter: 'a', net: 'a', offload: true },
        { letter: 'b', net: 'b', offload: true },
        { letter: 'd', net: 'd', offload: false },
      ];
      for (const [k, s] of specs.entries()) {
        const ns = lab.netns();
        const dev = lab.devName(s.letter);
        const tap = new Tap({ name: dev, vnetHdr: s.offload });
        tap.up = true;
        const net = new TunTapNetDevice(tap);
        assert.equal(net.offload, s.offload);
        const routerMac = `02:00:00:00:0${k}:01`;
        const iface = router.addInterface({ name: dev, device: net, mac: mac(routerMac) });
        router.addAddress(iface, parseIpv6Address(`2001:db8:${s.net}::1`), 64);
        tap.moveToNetns(ns);
        const addr = `2001:db8:${s.net}::2`;
        ip('-n', ns, 'link', 'set', dev, 'up');
        ip('-n', ns, 'addr', 'add', `${addr}/64`, 'dev', dev, 'nodad');
        ip('-n', ns, 'route', 'add', 'default', 'via', `2001:db8:${s.net}::1`, 'dev', dev);
        ip('-n', ns, 'neigh', 'add', `2001:db8:${s.net}::1`, 'lladdr', routerMac, 'dev', dev);
        const hostMac = linkInfo(dev, ns)!.address!;
        const id = router.neighbors.create(
          iface.index,
          parseIpv6Address(addr),
          0,
          NeighborState.Permanent,
        );
        router.neighbors.setMac(id, mac(hostMac));
        hosts.push({ ns, dev, addr, iface, net });
      }
      // a 1280-byte link with offloads and no host: only Packet Too Big matters there
      const cDev = lab.devName('c');
      const cTap = new Tap({ name: cDev, vnetHdr: true });
      cTap.up = true;
      const c = router.addInterface({
        name: cDev,
        device: new TunTapNetDevice(cTap),
        mac: mac('02:00:00:00:0c:01'),
        mtu: 1280,
      });
      router.addAddress(c, parseIpv6Address('2001:db8:c::1'), 64);
      await router.start();
      const [a, b, d] = hosts as [Host, Host, Host];

      await t.test('TCP both ways between two offload links, as super-packets', async () => {
        const up = await iperf(a, b, false);
        const down = await iperf(a, b, true);
        t.diagnostic(`a→b ${up.mbps.toFixed(0)} Mbit/s, b→a ${down.mbps.toFixed(0)} Mbit/s`);
        assert.ok(up.mbps > 100 && down.mbps > 100, JSON.stringify({ up, down }));
        const sa = a.net.stats;
        const sb = b.net.stats;
        // super-packets were read from both hosts and written to both as such
        assert.ok(sa.rxGso > 100 && sb.rxGso > 100, JSON.stringify({ sa, sb }));
        assert.ok(sa.txGso > 100 && sb.txGso > 100, JSON.stringify({ sa, sb }));
        assert.ok(sa.rxBytes / sa.rxPackets > 3000, `mean frame ${sa.rxBytes / sa.rxPackets}`);
        assert.equal(router.counters()['interface-output.gso-segmented'] ?? 0, 0);
      });

      await t.test('TCP from an offload link to a plain TAP: segmented in software', async () => {
        const before = d.net.stats.txPackets;
        const up = await iperf(a, d, false);
        const down = await iperf(a, d, true);
        t.diagnostic(`a→d ${up.mbps.toFixed(0)} Mbit/s, d→a ${down.mbps.toFixed(0)} Mbit/s`);
        assert.ok(up.mbps > 50 && down.mbps > 50, JSON.stringify({ up, down }));
        const counters = router.counters();
        assert.ok(
          (counters['interface-output.gso-segmented'] ?? 0) > 100,
          JSON.stringify(counters),
        );
        // every frame written to d is one segment no larger than the MTU
        assert.equal(d.net.stats.txGso, 0);
        assert.ok(d.net.stats.txPackets - before > 1000);
        for (const k of Object.keys(counters)) {
          assert.ok(!/gso-(unsupported|bad-header|no-buffer|too-many)/.test(k), k);
        }
      });

      await t.test('small frames are copied out of the large buffers (copybreak)', async () => {
        const ca = a.net.stats.rxCopied;
        const cb = b.net.stats.rxCopied;
        const r = await inNetnsAsync(
          a.ns,
          'ping',
          '-6',
          '-n',
          '-q',
          '-c',
          '20',
          '-i',
          '0.01',
          '-W',
          '2',
          b.addr,
        );
        assert.match(r.stdout, / 0% packet loss/, r.stdout + r.stderr);
        // the echo requests from a, the replies from b: each read into a large buffer,
        // copied into a regular one, the large one read into again
        assert.ok(a.net.stats.rxCopied - ca >= 20, JSON.stringify(a.net.stats));
        assert.ok(b.net.stats.rxCopied - cb >= 20, JSON.stringify(b.net.stats));
        const shown = (await router.commands.run('show interfaces', {})).result as {
          name: string;
          offload: boolean;
          rxCopied: number;
        }[];
        const row = (dev: string) => shown.find((r) => r.name === dev)!;
        assert.equal(row(a.dev).offload, true);
        assert.equal(row(a.dev).rxCopied, a.net.stats.rxCopied);
        assert.equal(row(d.dev).offload, false);
      });

      await t.test('a large ping into the 1280-byte link gets Packet Too Big', async () => {
        const r = await inNetnsAsync(
          a.ns,
          'ping',
          '-6',
          '-n',
          '-c',
          '1',
          '-W',
          '2',
          '-M',
          'do',
          '-s',
          '1400',
          '2001:db8:c::2',
        );
        assert.match(r.stdout + r.stderr, /[Pp]acket too big.*mtu\s*=\s*1280/, r.stdout + r.stderr);
        assert.ok((router.counters()['ip6-lookup.too-big'] ?? 0) >= 1);
      });
    } finally {
      await router.stop();
      lab.cleanup();
    }
  },
);
