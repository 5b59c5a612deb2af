/**
 * dmmd end to end (root): the real dmmd binary runs a router on two TAPs moved into two
 * host namespaces (`dmmc-*`); the real dmmctl shows what the config says; Linux hosts ping
 * the router and each other through it; SIGTERM removes the netdevs and the socket.
 * Startup errors (a name held by a non-TAP device, a live control socket) exit 1 and
 * leave nothing behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IS_ROOT, inNetnsAsync, ip, linkInfo, requireRoot, rootOnly } from '@dmm/testkit';
import { DmmdProcess, Lab, dmmctl, tempDir, writeConfig } from './helpers.js';

/** Splits an aligned table into rows of cells (columns are separated by 2+ spaces). */
function cells(table: string): string[][] {
  return table
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/ {2,}/));
}

describe('dmmd end to end', rootOnly(), () => {
  const lab = new Lab();
  const tmp = tempDir();
  const name = `dmmc-e2e-${randomBytes(2).toString('hex')}`;
  let nsA = '';
  let nsB = '';
  let devA = '';
  let devB = '';
  let sock = '';
  let cfgFile = '';
  let d: DmmdProcess;
  let ready: Record<string, unknown>;

  before(async () => {
    if (!IS_ROOT) requireRoot();
    nsA = lab.netns();
    nsB = lab.netns();
    devA = lab.devName('a');
    devB = lab.devName('b');
    sock = join(tmp.dir, 'r.sock');
    cfgFile = writeConfig(
      tmp.dir,
      'r.yaml',
      `router:
  name: ${name}
control:
  socket: ${sock}
log:
  level: debug
interfaces:
  - name: ${devA}
    mac: 02:00:00:00:0a:01
    netns: ${nsA}
    addresses: [2001:db8:a::1/64]
    ra:
      prefixes:
        - prefix: 2001:db8:a::/64
  - name: ${devB}
    mac: 02:00:00:00:0b:01
    mtu: 1400
    netns: ${nsB}
    addresses: [2001:db8:b::1/64]
routes:
  - { prefix: 2001:db8:99::/48, via: 2001:db8:b::2 }
  - { prefix: 2001:db8:bad::/48, type: blackhole }
  - { prefix: ::/0, via: 2001:db8:b::2, table: 100 }
rules:
  - { from: 2001:db8:77::/64, table: 100 }
`,
    );
    d = lab.track(new DmmdProcess(['--config', cfgFile, '--log-level', 'info']));
    ready = await d.waitFor('ready');
    // the hosts: one address each and a route to the other side through the router
    ip('-n', nsA, 'addr', 'add', '2001:db8:a::2/64', 'dev', devA, 'nodad');
    ip('-n', nsB, 'addr', 'add', '2001:db8:b::2/64', 'dev', devB, 'nodad');
    ip('-n', nsA, '-6', 'route', 'add', '2001:db8:b::/64', 'via', '2001:db8:a::1', 'dev', devA);
    ip('-n', nsB, '-6', 'route', 'add', '2001:db8:a::/64', 'via', '2001:db8:b::1', 'dev', devB);
  });

  after(() => {
    lab.cleanup();
    tmp.cleanup();
  });

  test('one ready line with the socket and the interfaces; --log-level wins over log.level', () => {
    assert.equal(ready.socket, sock);
    assert.deepEqual(
      (ready.interfaces as { name: string; netns: string }[]).map((i) => [i.name, i.netns]),
      [
        [devA, nsA],
        [devB, nsB],
      ],
    );
    assert.equal(d.logs().filter((l) => l.msg === 'ready').length, 1);
    // log.level is debug in the file, --log-level info on the command line
    assert.equal(d.logs().filter((l) => l.level < 30).length, 0);
  });

  test('the netdevs are in their namespaces, up, with the MTU of the config', () => {
    const a = linkInfo(devA, nsA);
    const b = linkInfo(devB, nsB);
    assert.ok(a && b);
    assert.ok(a.flags.includes('UP') && b.flags.includes('UP'));
    assert.equal(a.mtu, 1500);
    assert.equal(b.mtu, 1400);
    assert.equal(linkInfo(devA), null, 'not left in our namespace');
    // the netdev is the host's end: its MAC is not the router's
    assert.notEqual(a.address, '02:00:00:00:0a:01');
  });

  test('a Linux host pings the router, and the other host through it', async () => {
    const r1 = await inNetnsAsync(
      nsA,
      'ping',
      '-6',
      '-c',
      '3',
      '-i',
      '0.2',
      '-W',
      '2',
      '2001:db8:a::1',
    );
    assert.equal(r1.status, 0, r1.stdout + r1.stderr);
    const r2 = await inNetnsAsync(
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
    assert.equal(r2.status, 0, r2.stdout + r2.stderr);
    // the host resolved the router to the MAC of the config (NA from the router)
    const neigh = ip('-n', nsA, '-6', 'neigh', 'show', '2001:db8:a::1', 'dev', devA);
    assert.match(neigh, /lladdr 02:00:00:00:0a:01/);
  });

  test('dmmctl show interfaces: table and --json', async () => {
    const t = await dmmctl('--socket', sock, 'show', 'interfaces');
    assert.equal(t.status, 0, t.stderr);
    const rows = cells(t.stdout);
    assert.deepEqual(rows[0], [
      'NAME',
      'KIND',
      'MAC',
      'MTU',
      'STATE',
      'ADDRESSES',
      'RX',
      'TX',
      'TX-DROP',
      'OFFLOAD',
    ]);
    const ra = rows.find((r) => r[0] === devA)!;
    const rb = rows.find((r) => r[0] === devB)!;
    // the link-locals are the modified EUI-64 of the configured MACs (RFC 4291 §2.5.1)
    assert.deepEqual(ra.slice(0, 6), [
      devA,
      'ethernet',
      '02:00:00:00:0a:01',
      '1500',
      'up',
      'fe80::ff:fe00:a01 2001:db8:a::1/64',
    ]);
    assert.deepEqual(rb.slice(0, 6), [
      devB,
      'ethernet',
      '02:00:00:00:0b:01',
      '1400',
      'up',
      'fe80::ff:fe00:b01 2001:db8:b::1/64',
    ]);
    assert.ok(Number(ra[6]) > 0 && Number(ra[7]) > 0, `packets counted: ${ra.join(' ')}`);
    assert.equal(ra[9], '-', 'no offloads unless configured');
    const j = await dmmctl('--socket', sock, '--json', 'show', 'interfaces');
    assert.equal(j.status, 0, j.stderr);
    const list = JSON.parse(j.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      list.map((i) => [i.name, i.kind, i.mac, i.mtu, i.up, i.linkLocal, i.addresses]),
      [
        [
          devA,
          'ethernet',
          '02:00:00:00:0a:01',
          1500,
          true,
          'fe80::ff:fe00:a01',
          ['2001:db8:a::1/64'],
        ],
        [
          devB,
          'ethernet',
          '02:00:00:00:0b:01',
          1400,
          true,
          'fe80::ff:fe00:b01',
          ['2001:db8:b::1/64'],
        ],
      ],
    );
  });

  test('dmmctl show routes and show rules', async () => {
    const j = await dmmctl('--socket', sock, 'show', 'routes', '--json');
    assert.equal(j.status, 0, j.stderr);
    const routes = (JSON.parse(j.stdout) as Record<string, unknown>[]).map((r) =>
      [r.table, r.prefix, r.type, r.via, r.interface, r.origin].join(' '),
    );
    assert.deepEqual(routes.sort(), [
      '100 ::/0 unicast 2001:db8:b::2 ' + devB + ' static',
      'main 2001:db8:99::/48 unicast 2001:db8:b::2 ' + devB + ' static',
      'main 2001:db8:a::/64 unicast  ' + devA + ' connected',
      'main 2001:db8:b::/64 unicast  ' + devB + ' connected',
      'main 2001:db8:bad::/48 blackhole   static',
    ]);
    const t = await dmmctl('--socket', sock, 'show', 'routes');
    assert.equal(t.status, 0);
    const rows = cells(t.stdout);
    assert.deepEqual(rows[0], ['TABLE', 'PREFIX', 'TYPE', 'VIA', 'INTERFACE', 'ORIGIN', 'PACKETS']);
    assert.ok(
      rows.some((r) => r.join('|') === 'main|2001:db8:bad::/48|blackhole|-|-|static|0'),
      t.stdout,
    );
    const rules = await dmmctl('--socket', sock, 'show', 'rules', '--json');
    assert.deepEqual(JSON.parse(rules.stdout), [
      { from: '2001:db8:77::/64', table: '100', origin: 'static' },
    ]);
  });

  test('dmmctl show neighbors: the hosts, learned by Neighbor Discovery', async () => {
    const hostA = linkInfo(devA, nsA)!.address;
    const hostB = linkInfo(devB, nsB)!.address;
    const j = await dmmctl('--socket', sock, '--json', 'show', 'neighbors');
    assert.equal(j.status, 0, j.stderr);
    const list = JSON.parse(j.stdout) as {
      interface: string;
      address: string;
      mac: string;
      state: string;
    }[];
    const a = list.find((n) => n.address === '2001:db8:a::2');
    const b = list.find((n) => n.address === '2001:db8:b::2');
    assert.ok(a && b, j.stdout);
    assert.deepEqual([a.interface, a.mac], [devA, hostA]);
    assert.deepEqual([b.interface, b.mac], [devB, hostB]);
    assert.ok(['reachable', 'stale', 'delay', 'probe'].includes(a.state), a.state);
    const t = await dmmctl('--socket', sock, 'show', 'neighbors');
    assert.deepEqual(cells(t.stdout)[0], ['INTERFACE', 'ADDRESS', 'MAC', 'STATE', 'ROUTER']);
    assert.ok(
      cells(t.stdout).some((r) => r[0] === devA && r[1] === '2001:db8:a::2' && r[2] === hostA),
      t.stdout,
    );
  });

  test('dmmctl show counters and show plugins', async () => {
    const c = await dmmctl('--socket', sock, '--json', 'show', 'counters');
    assert.equal(c.status, 0, c.stderr);
    const counters = JSON.parse(c.stdout) as {
      nodes: Record<string, number>;
      pool: { buffers: number };
      breaths: number;
    };
    assert.equal(counters.pool.buffers, 8192);
    assert.ok(counters.breaths > 0);
    const ct = await dmmctl('--socket', sock, 'show', 'counters');
    const names = cells(ct.stdout).map((r) => r[0]);
    assert.deepEqual(names.slice(0, 1), ['COUNTER']);
    assert.ok(names.includes('pool.in-use') && names.includes('scheduler.breaths'), ct.stdout);
    const p = await dmmctl('--socket', sock, '--json', 'show', 'plugins');
    assert.deepEqual(
      (JSON.parse(p.stdout) as { name: string; state: string; errors: number }[]).map((x) => [
        x.name,
        x.state,
        x.errors,
      ]),
      [
        ['routing', 'started', 0],
        ['ndra', 'started', 0],
        ['control', 'started', 0],
      ],
    );
    const pt = await dmmctl('--socket', sock, 'show', 'plugins');
    assert.deepEqual(cells(pt.stdout)[0], [
      'PLUGIN',
      'VERSION',
      'STATE',
      'DEPENDS ON',
      'ERRORS',
      'LAST ERROR',
    ]);
  });

  test('dmmctl: help, an unknown command (1), usage (2), no socket (3)', async () => {
    const h = await dmmctl('--socket', sock, 'help');
    assert.equal(h.status, 0);
    const cmds = cells(h.stdout).map((r) => r[0]);
    for (const c of [
      'help',
      'show interfaces',
      'show routes',
      'show rules',
      'show neighbors',
      'show plugins',
    ]) {
      assert.ok(cmds.includes(c), `${c} in\n${h.stdout}`);
    }
    const u = await dmmctl('--socket', sock, 'show', 'nothing');
    assert.equal(u.status, 1);
    assert.match(u.stderr, /^dmmctl: DMM_ERR_UNKNOWN_COMMAND: unknown command "show nothing"/);
    const usage = await dmmctl('--socket', sock);
    assert.equal(usage.status, 2);
    const both = await dmmctl('--socket', sock, '--router', 'x', 'help');
    assert.equal(both.status, 2);
    const missing = await dmmctl('--socket', join(tmp.dir, 'nope.sock'), 'help');
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /no control socket at/);
  });

  test('a second dmmd on the same socket exits 1 and touches no device', async () => {
    const other = `dmmc-x${randomBytes(3).toString('hex')}`;
    const f = writeConfig(
      tmp.dir,
      'second.yaml',
      `router:\n  name: second\ncontrol:\n  socket: ${sock}\ninterfaces:\n  - name: ${other}\n`,
    );
    const second = new DmmdProcess(['--config', f]);
    const r = await second.exit();
    assert.equal(r.status, 1, second.stderr);
    assert.match(second.stderr, /is in use by a running server/);
    assert.equal(second.logs().filter((l) => l.msg === 'interface opened').length, 0);
    assert.equal(linkInfo(other), null);
    // and the first one is still serving
    assert.equal((await dmmctl('--socket', sock, 'help')).status, 0);
  });

  test('SIGTERM: exit 0, netdevs gone from the namespaces, socket removed', async () => {
    const r = await d.stop('SIGTERM');
    assert.deepEqual(r, { status: 0, signal: null }, d.stderr);
    assert.equal(linkInfo(devA, nsA), null, `${devA} still in ${nsA}`);
    assert.equal(linkInfo(devB, nsB), null, `${devB} still in ${nsB}`);
    assert.equal(existsSync(sock), false);
    const msgs = d.logs().map((l) => l.msg);
    assert.ok(msgs.indexOf('stopping') < msgs.indexOf('stopped'));
    assert.ok(
      !msgs.includes('netdev outlived its queue; deleted'),
      'the kernel removed the netdevs with their queues',
    );
  });
});

describe('dmmd startup errors', rootOnly(), () => {
  test('a name held by a non-TAP device: exit 1 naming it, nothing left behind', async () => {
    if (!IS_ROOT) requireRoot();
    const lab = new Lab();
    const tmp = tempDir();
    try {
      const good = lab.devName('g');
      const taken = lab.devName('t');
      ip('link', 'add', taken, 'type', 'veth', 'peer', 'name', lab.devName('p'));
      const sock = join(tmp.dir, 's.sock');
      const f = writeConfig(
        tmp.dir,
        'taken.yaml',
        `router:\n  name: taken\ncontrol:\n  socket: ${sock}\ninterfaces:\n  - name: ${good}\n  - name: ${taken}\n`,
      );
      const p = new DmmdProcess(['--config', f]);
      const r = await p.exit();
      assert.equal(r.status, 1, p.stderr);
      assert.match(
        p.stderr,
        new RegExp(
          `^dmmd: interface ${taken}: cannot open the TAP device: .*DMM_ERR_TUNTAP_NAME_IN_USE`,
        ),
      );
      // the first TAP was opened, then closed and gone; the veth (not ours) is untouched
      assert.equal(
        p.logs().filter((l) => l.msg === 'interface opened' && l.interface === good).length,
        1,
      );
      assert.equal(linkInfo(good), null);
      assert.ok(linkInfo(taken), 'the veth device is left alone');
      assert.equal(existsSync(sock), false);
    } finally {
      lab.cleanup();
      tmp.cleanup();
    }
  });

  test('no CAP_NET_ADMIN: exit 1 with the permission error naming the interface', async (t) => {
    if (!IS_ROOT) requireRoot();
    if (spawnSync('setpriv', ['--version']).status !== 0) {
      t.skip('setpriv (util-linux) is not installed');
      return;
    }
    const tmp = tempDir();
    try {
      const dev = `dmmc-n${randomBytes(3).toString('hex')}`;
      const f = writeConfig(
        tmp.dir,
        'perm.yaml',
        `router:\n  name: perm\ncontrol:\n  socket: ${join(tmp.dir, 'p.sock')}\ninterfaces:\n  - name: ${dev}\n`,
      );
      // root without CAP_NET_ADMIN: TUNSETIFF fails with EPERM
      const p = new DmmdProcess(
        ['--config', f],
        ['setpriv', '--bounding-set=-net_admin', '--inh-caps=-net_admin'],
      );
      const r = await p.exit();
      assert.equal(r.status, 1, p.stderr);
      assert.match(
        p.stderr,
        new RegExp(
          `^dmmd: interface ${dev}: cannot create the TAP device: .*EPERM.*\\(DMM_ERR_TUNTAP_PERMISSION\\)\\n$`,
        ),
      );
      assert.equal(linkInfo(dev), null);
    } finally {
      tmp.cleanup();
    }
  });
});
