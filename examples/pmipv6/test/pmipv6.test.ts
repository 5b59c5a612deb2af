/**
 * Proxy Mobile IPv6 against real Linux hosts: the lab of examples/pmipv6 (an LMA, two
 * MAGs, a correspondent and a mobile node in network namespaces, three dmmd processes),
 * one lab for every check:
 *
 * - the mobile node gets its home network prefix by SLAAC from MAG1's unicast RA and
 *   pings the correspondent through the MAG–LMA tunnel;
 * - TCP works over the 1500-byte backbone: MAG1 sends Packet Too Big (RFC 2473 §7) and
 *   the node's path MTU to the correspondent drops to the tunnel MTU (1460);
 * - `dmm-lab move` to MAG2's link while a 10 ms ping and a TCP stream run: the node's
 *   address, default router and its link-layer address do not change, both flows survive,
 *   and the loss during the move is measured and printed;
 * - tshark on the backbone bridge decodes the handover's PBU/PBA with the expected fields
 *   and no expert notes, and every captured Mobility Header checksum verifies (tshark does
 *   not check them);
 * - MAG1 later notices the node has gone (presence probes), de-registers, and the LMA
 *   answers without touching the binding now at MAG2.
 *
 * Root only (namespaces, bridges, TAPs); needs the built dmmd, iperf3 and tshark.
 * The expected SLAAC address: EUI-64 of 02:00:00:00:0a:01, from Debian scapy:
 * in6_mactoifaceid("02:00:00:00:0a:01") == "0000:00FF:FE00:0A01".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_CI, IS_ROOT, requireRoot } from '@dmm/testkit';
import { ControlClient, Lab, defaultDmmd } from '@dmm/cli';
import { MhType, MobilityHeaderView, dataViewOf } from '@dmm/wire';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CN = '2001:db8:ff::2';
const MN_ADDR = '2001:db8:100::ff:fe00:a01';

function gate(): { skip?: string } {
  if (!IS_ROOT && !IN_CI) return { skip: 'needs root for namespaces, bridges and TAP devices' };
  for (const tool of ['iperf3', 'tshark']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0 && !IN_CI) {
      return { skip: `${tool} is not installed` };
    }
  }
  if (!existsSync(defaultDmmd()) && !IN_CI) return { skip: `dmmd is not built (${defaultDmmd()})` };
  return {};
}

/** Collects a child's output; resolves with it when the child exits. */
function collect(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code, out, err })));
}

async function command(socket: string, cmd: string): Promise<unknown> {
  const c = await ControlClient.connect(socket);
  try {
    const r = await c.request(cmd, {});
    if (!r.ok) throw new Error(`${cmd}: ${r.error.message}`);
    return r.result;
  } finally {
    c.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Replies of `ping -D -i 0.01`: sequence → receive time (s). */
function pingReplies(out: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const line of out.split('\n')) {
    const x = /^\[(\d+\.\d+)\].*icmp_seq=(\d+)/.exec(line);
    if (x) m.set(Number(x[2]), Number(x[1]));
  }
  return m;
}

/** Packets of a classic pcap file (tshark -F pcap), Ethernet link type. */
function pcapPackets(file: string): Uint8Array[] {
  const b = readFileSync(file);
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4, 'a little-endian microsecond pcap');
  assert.equal(b.readUInt32LE(20), 1, 'Ethernet');
  const out: Uint8Array[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const len = b.readUInt32LE(off + 8);
    out.push(new Uint8Array(b.subarray(off + 16, off + 16 + len)));
    off += 16 + len;
  }
  return out;
}

test(
  'pmipv6 lab: SLAAC from MAG1, ping and TCP through the tunnel, a handover that keeps the address, PBU/PBA on the wire',
  gate(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-pmipv6-'));
    const text = readFileSync(join(EXAMPLE, 'topology.yaml'), 'utf8').replace(
      /^name: pmipv6$/m,
      'name: pmipv6-test',
    );
    const lab = Lab.fromText(
      text,
      { file: join(EXAMPLE, 'topology.yaml'), baseDir: EXAMPLE },
      {
        runtimeRoot: join(dir, 'runtime'),
      },
    );
    const sock = (r: string) => lab.router(r).socket;
    const mn = (argv: string[]) => lab.execOk('mn', argv);
    try {
      await lab.up();
      // 1. the home network prefix by SLAAC, from MAG1's unicast RA
      const addr = await lab.waitForAddress('mn', 'eth0', '2001:db8:100::/64');
      assert.equal(addr, MN_ADDR);
      const info = (await lab.addresses('mn', 'eth0')).find((a) => a.address === addr)!;
      assert.equal(info.dynamic, true, 'from an RA');
      assert.ok(await lab.ping('mn', CN, { count: 3 }), 'the MN reaches the correspondent');
      const routesBefore = await mn(['ip', '-6', 'route', 'show', 'default']);
      assert.match(routesBefore, /^default via fe80::1 dev eth0 proto ra /m);
      const neighBefore = await mn(['ip', '-6', 'neigh', 'show', 'fe80::1']);
      assert.match(neighBefore, /^fe80::1 dev eth0 lladdr 02:00:00:00:ff:01 router/m);
      const lmaBefore = (await command(sock('lma'), 'show bindings')) as { proxyCoa: string }[];
      assert.deepEqual(
        lmaBefore.map((b) => b.proxyCoa),
        ['fd00:100::11'],
      );

      // 2. capture the backbone's signalling from inside the switch namespace
      const pcap = join(dir, 'backbone.pcap');
      const tshark = lab.spawn('switch', [
        'tshark',
        '-i',
        'br-backbone',
        '-f',
        'ip6 proto 135',
        '-F',
        'pcap',
        '-w',
        pcap,
        '-q',
      ]);
      const tsharkDone = collect(tshark);
      const started = Date.now();
      while (!existsSync(pcap) && Date.now() - started < 10_000) await sleep(50);
      await sleep(300);

      // 3. a 10 ms ping and a TCP stream across the move
      const server = collect(lab.spawn('cn', ['iperf3', '-s', '-1']));
      await sleep(300);
      const iperf = collect(
        lab.spawn('mn', ['iperf3', '-c', CN, '-t', '6', '-i', '0.1', '-b', '20M', '-J']),
      );
      const ping = collect(
        lab.spawn('mn', ['ping', '-6', '-n', '-D', '-i', '0.01', '-w', '6', CN]),
      );
      await sleep(2000);
      const movedAt = Date.now() / 1000;
      await lab.move('mn', 'eth0', 'access2');
      const [p, i] = await Promise.all([ping, iperf]);
      await server;

      // 4. the move as the node saw it
      const replies = pingReplies(p.out);
      const sent = Number(/(\d+) packets transmitted/.exec(p.out)?.[1] ?? 0);
      const seqs = [...replies.keys()].sort((a, b) => a - b);
      // the move's gap: the missing replies around the moment of the move
      let lost = 0;
      let outageMs = 0;
      let lostElsewhere = 0;
      for (let k = 1; k < seqs.length; k++) {
        const gap = seqs[k]! - seqs[k - 1]!;
        if (gap <= 1) continue;
        const t0 = replies.get(seqs[k - 1]!)!;
        const t1 = replies.get(seqs[k]!)!;
        if (t1 >= movedAt - 0.05 && t0 <= movedAt + 1) {
          lost += gap - 1;
          outageMs = Math.max(outageMs, (t1 - t0) * 1000);
        } else {
          lostElsewhere += gap - 1;
        }
      }
      const afterMove = seqs.filter((s) => replies.get(s)! > movedAt + 0.5).length;
      assert.ok(afterMove > 100, `ping answered after the move (${afterMove} replies)`);
      const ij = JSON.parse(i.out) as {
        error?: string;
        intervals: { sum: { start: number; bytes: number } }[];
        end: { sum_sent: { bytes: number; retransmits: number }; sum_received: { bytes: number } };
      };
      assert.equal(ij.error, undefined, `iperf3: ${ij.error}`);
      assert.equal(i.code, 0);
      let stall = 0;
      let run = 0;
      for (const iv of ij.intervals) {
        run = iv.sum.bytes === 0 ? run + 1 : 0;
        stall = Math.max(stall, run);
      }
      const last = ij.intervals.slice(-10).reduce((s, iv) => s + iv.sum.bytes, 0);
      assert.ok(last > 0, 'the TCP stream still moves data at the end');
      console.log(
        `handover: ping every 10 ms — ${sent} sent, ${replies.size} answered; during the move ` +
          `${lost} lost, ${outageMs.toFixed(1)} ms between the last reply before and the first ` +
          `after (${lostElsewhere} lost at other times); TCP at 20 Mbit/s — ` +
          `${(ij.end.sum_received.bytes / 1e6).toFixed(1)} MB received, ` +
          `${ij.end.sum_sent.retransmits} retransmits, longest stall ${stall * 100} ms (0.1 s intervals)`,
      );
      assert.ok(lost < 50, `${lost} pings lost: the handover took too long`);
      assert.ok(lostElsewhere < 5, `${lostElsewhere} pings lost away from the move`);

      // 5. nothing changed for the node: address, default router, its MAC
      assert.equal(await lab.linkOf('mn', 'eth0'), 'access2');
      const after = (await lab.addresses('mn', 'eth0')).map((a) => a.address);
      assert.ok(after.includes(MN_ADDR));
      assert.deepEqual(
        after.filter((a) => !a.startsWith('fe80')),
        [MN_ADDR],
        'no new address',
      );
      assert.equal(
        await mn(['ip', '-6', 'route', 'show', 'default']).then(defaultVia),
        defaultVia(routesBefore),
      );
      assert.match(
        await mn(['ip', '-6', 'neigh', 'show', 'fe80::1']),
        /^fe80::1 dev eth0 lladdr 02:00:00:00:ff:01 router/m,
      );
      const lmaAfter = (await command(sock('lma'), 'show bindings')) as {
        proxyCoa: string;
        prefixes: string[];
        handoffIndicator: number;
      }[];
      assert.deepEqual(
        lmaAfter.map((b) => [b.proxyCoa, b.prefixes, b.handoffIndicator]),
        [['fd00:100::12', ['2001:db8:100::/64'], 3]],
      );

      // 6. TCP over a 1500-byte backbone: Packet Too Big from the MAG, path MTU 1460 at the node
      const pmtu = await mn(['ip', '-6', 'route', 'get', CN]);
      assert.match(pmtu, /mtu 1460/, pmtu);
      let tooBig = 0;
      for (const r of ['mag1', 'mag2']) {
        const counters = (await command(sock(r), 'show counters')) as Record<string, unknown>;
        tooBig += Number(
          JSON.stringify(counters).match(/"ip6ip6-encap\.too-big"\s*:\s*(\d+)/)?.[1] ?? 0,
        );
      }
      assert.ok(tooBig > 0, 'a MAG sent Packet Too Big');

      // 7. the handover's signalling on the wire
      tshark.kill('SIGINT');
      await tsharkDone;
      const fields = spawnSync(
        'tshark',
        [
          '-r',
          pcap,
          '-T',
          'fields',
          '-E',
          'separator=|',
          '-e',
          'ipv6.src',
          '-e',
          'mip6.mhtype',
          '-e',
          'mip6.bu.p_flag',
          '-e',
          'mip6.bu.a_flag',
          '-e',
          'mip6.ba.status',
          '-e',
          'mip6.nemo.mnp.mnp',
          '-e',
          'mip6.hi',
          '-e',
          'mip6.att',
          '-e',
          'mip6.mnid.identifier',
          '-e',
          '_ws.expert',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(fields.status, 0, fields.stderr);
      const rows = fields.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('|'));
      const pbu = rows.find((r) => r[0] === 'fd00:100::12' && r[1] === '5');
      const pba = rows.find((r) => r[0] === 'fd00:100::1' && r[1] === '6');
      assert.deepEqual(pbu, [
        'fd00:100::12',
        '5',
        '1',
        '1',
        '',
        '::',
        '3',
        '3',
        'mn@example.net',
        '',
      ]);
      assert.deepEqual(pba, [
        'fd00:100::1',
        '6',
        '',
        '',
        '0',
        '2001:db8:100::',
        '3',
        '3',
        'mn@example.net',
        '',
      ]);
      for (const r of rows) assert.equal(r[9], '', `no expert note: ${r.join('|')}`);
      const packets = pcapPackets(pcap);
      assert.ok(packets.length >= 2);
      for (const f of packets) {
        const mh = new MobilityHeaderView(f, dataViewOf(f), 54, f.length);
        assert.equal(mh.check(), 0);
        assert.ok([MhType.BindingUpdate, MhType.BindingAck].includes(mh.mhType() as 5 | 6));
        assert.ok(mh.verifyChecksum(22, 38), 'the MH checksum verifies');
      }

      // 8. MAG1 notices the node has gone and de-registers; the LMA keeps the binding at MAG2
      const deadline = Date.now() + 20_000;
      let stats = (await command(sock('lma'), 'show lma')) as { accepted: Record<string, number> };
      while (stats.accepted['dereg-other-mag'] !== 1 && Date.now() < deadline) {
        await sleep(250);
        stats = (await command(sock('lma'), 'show lma')) as { accepted: Record<string, number> };
      }
      assert.equal(stats.accepted['dereg-other-mag'], 1, 'MAG1 de-registered');
      const final = (await command(sock('lma'), 'show bindings')) as {
        proxyCoa: string;
        state: string;
      }[];
      assert.deepEqual(
        final.map((b) => [b.proxyCoa, b.state]),
        [['fd00:100::12', 'active']],
      );
      assert.ok(await lab.ping('mn', CN, { count: 2 }), 'still reachable');
    } finally {
      await lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

function defaultVia(routes: string): string {
  return /^default via (\S+) dev (\S+)/m.exec(routes)?.slice(1).join(' ') ?? '';
}
