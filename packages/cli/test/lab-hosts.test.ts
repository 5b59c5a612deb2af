/**
 * dmm-lab with kernel hosts only (no router): hosts on one bridge reach each other, `move`
 * is a layer-2 handover (the host keeps its device, MAC and addresses, loses the old link
 * and reaches the hosts of the new one), the sysctls land where docs/lab.md says, and
 * `down` leaves no namespace, bridge or veth behind. The kernels' own ping judges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ip, linkInfo, requireRoot, rootOnly } from '@dmm/testkit';
import { Lab } from '@dmm/cli';

const MAIN = fileURLToPath(new URL('../src/lab/main.js', import.meta.url));

const TOPOLOGY = `# three hosts, two links
name: lt-hosts
links:
  lan1: { mtu: 1500 }
  lan2:
hosts:
  h1:
    sysctls: { net.ipv6.icmp.ratelimit: 0 }
    interfaces:
      eth0:
        link: lan1
        mac: 02:00:00:00:0a:01
        addresses: [2001:db8:1::1/64]
  h2:
    interfaces:
      eth0:
        link: lan1
        mac: 02:00:00:00:0a:02
        addresses: [2001:db8:1::2/64]
        sysctls: { accept_dad: 0 }
  h3:
    interfaces:
      eth0: { link: lan2, mac: 02:00:00:00:0a:03, addresses: [2001:db8:1::3/64] }
    routes:
      - { prefix: 2001:db8:77::/48, via: fe80::1, interface: eth0, metric: 7 }
`;

function sysctl(ns: string, key: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', key], {
    encoding: 'utf8',
  }).trim();
}

/** Every device and namespace name the lab could leave behind. */
function leftovers(lab: Lab): string[] {
  const names = new Set<string>([
    ...lab.topology.links.map((l) => l.bridge),
    ...lab.topology.hosts.flatMap((h) => h.interfaces.map((i) => i.peer)),
  ]);
  const out: string[] = [];
  for (const ns of ip('netns', 'list').split('\n')) {
    if (ns.startsWith(`${lab.prefix}-`)) out.push(`namespace ${ns.split(' ')[0]}`);
  }
  for (const l of JSON.parse(ip('-j', 'link', 'show')) as { ifname: string }[]) {
    if (names.has(l.ifname)) out.push(`device ${l.ifname}`);
  }
  return out;
}

test(
  'lab: two hosts on one link ping each other; move is a layer-2 handover; down removes all',
  rootOnly(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-hosts-'));
    const file = join(dir, 'hosts.yaml');
    writeFileSync(file, TOPOLOGY);
    const lab = Lab.load(file);
    try {
      const status = await lab.up();
      assert.equal(status.phase, 'up');
      assert.deepEqual(
        status.links.map((l) => [l.name, l.members]),
        [
          ['lan1', ['h1:eth0', 'h2:eth0']],
          ['lan2', ['h3:eth0']],
        ],
      );
      assert.deepEqual(
        status.namespaces.map((n) => [n.name, n.present]),
        [
          ['dmml-lt-hosts-sw', true],
          ['dmml-lt-hosts-h1', true],
          ['dmml-lt-hosts-h2', true],
          ['dmml-lt-hosts-h3', true],
        ],
      );
      // up() waited for DAD: the static addresses are usable at once.
      const a1 = await lab.addresses('h1', 'eth0');
      assert.ok(
        a1.some((a) => a.address === '2001:db8:1::1' && a.prefixLen === 64 && !a.tentative),
        JSON.stringify(a1),
      );

      // Over the bridge of lan1, not over lan2.
      assert.ok(await lab.ping('h1', '2001:db8:1::2'), 'h1 reaches h2 on lan1');
      assert.equal(
        await lab.ping('h1', '2001:db8:1::3', { timeoutS: 1 }),
        false,
        'h3 is on another link',
      );

      // The sysctls of docs/lab.md, per interface and for later devices, and the overrides.
      const h1 = lab.ns('h1');
      assert.equal(sysctl(h1, 'net.ipv6.conf.eth0.accept_ra_rt_info_max_plen'), '128');
      assert.equal(sysctl(h1, 'net.ipv6.conf.eth0.accept_ra_rt_info_min_plen'), '0');
      assert.equal(sysctl(h1, 'net.ipv6.conf.default.accept_ra_rt_info_max_plen'), '128');
      assert.equal(sysctl(h1, 'net.ipv6.conf.eth0.accept_ra'), '1');
      assert.equal(sysctl(h1, 'net.ipv6.conf.eth0.keep_addr_on_down'), '1');
      assert.equal(sysctl(h1, 'net.ipv6.conf.eth0.router_solicitations'), '-1');
      assert.equal(sysctl(h1, 'net.ipv6.conf.all.forwarding'), '0');
      assert.equal(sysctl(h1, 'net.ipv6.icmp.ratelimit'), '0');
      assert.equal(sysctl(h1, 'net.ipv6.conf.eth0.accept_dad'), '1');
      assert.equal(sysctl(lab.ns('h2'), 'net.ipv6.conf.eth0.accept_dad'), '0');
      // The switch namespace speaks no IPv6: no address on any bridge or port.
      assert.equal(sysctl(lab.switchNs, 'net.ipv6.conf.br-lan1.disable_ipv6'), '1');
      assert.equal(sysctl(lab.switchNs, 'net.ipv6.conf.h1-eth0.disable_ipv6'), '1');
      assert.equal(ip('-n', lab.switchNs, '-6', 'addr', 'show').trim(), '');
      // MAC, MTU from the link, the static route with its metric.
      const before = linkInfo('eth0', h1)!;
      assert.equal(before.address, '02:00:00:00:0a:01');
      assert.equal(before.mtu, 1500);
      assert.match(
        ip('-n', lab.ns('h3'), '-6', 'route', 'show', '2001:db8:77::/48'),
        /via fe80::1 dev eth0 metric 7/,
      );

      // The handover: h1 leaves lan1 for lan2.
      assert.deepEqual(await lab.move('h1', 'eth0', 'lan2'), { from: 'lan1', to: 'lan2' });
      assert.equal(await lab.linkOf('h1', 'eth0'), 'lan2');
      assert.deepEqual(await lab.members('lan1'), ['h2:eth0']);
      assert.deepEqual(await lab.members('lan2'), ['h1:eth0', 'h3:eth0']);
      assert.ok(await lab.ping('h1', '2001:db8:1::3'), 'h1 reaches h3 on lan2');
      assert.equal(
        await lab.ping('h1', '2001:db8:1::2', { timeoutS: 1 }),
        false,
        'h1 no longer reaches h2',
      );
      assert.equal(
        await lab.ping('h2', '2001:db8:1::1', { timeoutS: 1 }),
        false,
        'h2 no longer reaches h1',
      );
      // The host side is untouched: same device, same MAC, same addresses.
      const after = linkInfo('eth0', h1)!;
      assert.equal(after.ifindex, before.ifindex);
      assert.equal(after.address, '02:00:00:00:0a:01');
      assert.deepEqual(
        (await lab.addresses('h1', 'eth0')).map((a) => `${a.address}/${a.prefixLen}`).sort(),
        a1.map((a) => `${a.address}/${a.prefixLen}`).sort(),
      );

      // Back again through the command line, with a carrier blip; status --json agrees.
      const out = execFileSync(
        process.execPath,
        [MAIN, 'move', file, 'h1:eth0', 'lan1', '--blip', '--quiet'],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(out, 'h1:eth0: lan2 -> lan1\n');
      const js = JSON.parse(
        execFileSync(process.execPath, [MAIN, 'status', file, '--json'], { encoding: 'utf8' }),
      ) as {
        links: { name: string; members: string[] }[];
      };
      assert.deepEqual(js.links.find((l) => l.name === 'lan1')!.members, ['h1:eth0', 'h2:eth0']);
      // the blip re-ran DAD; once it is done, h1 reaches h2 again
      await lab.waitAddresses();
      assert.ok(await lab.ping('h1', '2001:db8:1::2', { count: 2 }), 'h1 reaches h2 again');
      // dmm-lab exec runs in the host and returns the command's status
      const ex = execFileSync(
        process.execPath,
        [MAIN, 'exec', file, 'h2', '--', 'ip', '-6', '-br', 'addr', 'show', 'dev', 'eth0'],
        {
          encoding: 'utf8',
        },
      );
      assert.match(ex, /^eth0@if\d+\s+UP\s+2001:db8:1::2\/64 fe80::ff:fe00:a02\/64/);
      assert.throws(
        () =>
          execFileSync(process.execPath, [MAIN, 'exec', file, 'h2', '--', 'false'], {
            stdio: 'ignore',
          }),
        (e: { status?: number }) => e.status === 1,
      );
    } finally {
      const report = await lab.down();
      rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(report.namespaces.sort(), [
        'dmml-lt-hosts-h1',
        'dmml-lt-hosts-h2',
        'dmml-lt-hosts-h3',
        'dmml-lt-hosts-sw',
      ]);
    }
    assert.deepEqual(leftovers(lab), []);
    // down is idempotent
    assert.deepEqual((await lab.down()).namespaces, []);
  },
);

test('lab: processes started in a host are stopped by down', rootOnly(), async () => {
  requireRoot();
  const lab = Lab.fromText(
    `name: lt-strays
links: { lan1: }
hosts:
  h1: { interfaces: { eth0: { link: lan1 } } }
`,
  );
  try {
    await lab.up({ wait: false });
    const child = lab.spawn('h1', ['sleep', '600'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => child.once('exit', resolve));
    // wait until it is inside the namespace
    for (let i = 0; i < 50 && ip('netns', 'pids', lab.ns('h1')).trim() === ''; i++)
      await new Promise((r) => setTimeout(r, 20));
    const report = await lab.down();
    assert.deepEqual(report.strays, [child.pid]);
    await gone;
  } finally {
    await lab.down();
  }
  assert.deepEqual(leftovers(lab), []);
});
