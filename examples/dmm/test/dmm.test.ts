/**
 * Distributed mobility anchoring against a real Linux mobile node: the lab of examples/dmm
 * (three D-GWs — three dmmd processes sharing one SQLite context store in the lab's runtime
 * directory — a backbone with a correspondent, a local network only D-GW1 reaches, and the
 * node in network namespaces). The node is walked D1 → D2 → D3 → D1 with `Lab.move` (a
 * layer-2 move: the node notices nothing) and an L2 trigger to the new D-GW (`attach`, what
 * an access point's association event would send). At every step its own kernel judges:
 *
 * - the newest prefix's address is preferred, every earlier one `deprecated` yet still works
 *   (`ping -I addr` to the correspondent from each);
 * - its default routes and the RFC 4191 route to D1's local network via D1's DLIF
 *   link-local, and the neighbour entry of every DLIF, keep the link-local → MAC they had
 *   before the move (the DLIFs impersonate the routers the node first met);
 * - a new connection picks the newest prefix as its source (`ip -6 route get`);
 * - the host on D1's local network answers.
 * Across the walk, a 10 ms ping and a TCP stream (iperf3) from the first prefix's address
 * keep going; the loss at each move is measured and printed. tshark on the backbone decodes
 * every PBU/PBA's RFC 5213 part with options 65/66/69/70 as unknown and nothing malformed;
 * our own check verifies the captured Mobility Header checksums (tshark does not). The
 * D-GWs' own handover timings (`show dgw`) are printed.
 *
 * Root only; needs the built dmmd (with better-sqlite3 compiled by `pnpm build`), iperf3
 * and tshark. The node's addresses: EUI-64 of 02:00:00:00:0a:01, from Debian scapy:
 * in6_mactoifaceid("02:00:00:00:0a:01") == "0000:00FF:FE00:0A01".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_CI, IS_ROOT, requireRoot } from '@dmm/testkit';
import { ControlClient, Lab, defaultDmmd } from '@dmm/cli';
import { MhType, MobilityHeaderView, dataViewOf } from '@dmm/wire';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CN = 'fd00:100::99';
const LH = '2001:db8:99::10';
const MN_ID = 'mn@example.net';
const MN_MAC = '02:00:00:00:0a:01';
const addr = (i: number): string => `2001:db8:${i}::ff:fe00:a01`;
/** How long the ping and the TCP stream run: the whole walk and a little more. */
const STREAM_S = 30;

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

function collect(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code, out, err })));
}

async function command(
  socket: string,
  cmd: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  const c = await ControlClient.connect(socket);
  try {
    const r = await c.request(cmd, args);
    if (!r.ok) throw new Error(`${cmd}: ${r.error.message}`);
    return r.result;
  } finally {
    c.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Replies of `ping -D`: sequence → receive time (s). */
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
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4);
  assert.equal(b.readUInt32LE(20), 1, 'Ethernet');
  const out: Uint8Array[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const len = b.readUInt32LE(off + 8);
    out.push(new Uint8Array(b.subarray(off + 16, off + 16 + len)));
    off += 16 + len;
  }
  return out;
}

/** `ip -6 route show default` → link-local → preference. */
function defaults(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of text.split('\n')) {
    const x = /^default via (\S+) dev eth0 proto ra .* pref (\w+)/.exec(l);
    if (x) m.set(x[1]!, x[2]!);
  }
  return m;
}

/** `ip -6 neigh show dev eth0` → address → MAC (entries with a link-layer address). */
function neighbours(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of text.split('\n')) {
    const x = /^(\S+) lladdr (\S+)/.exec(l);
    if (x) m.set(x[1]!, x[2]!);
  }
  return m;
}

interface DlifRow {
  node: string;
  dlifs: { anchor: string; role: string; mac: string; linkLocal: string }[];
}

interface PhaseOut {
  count: number;
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
}

test(
  'dmm lab: a Linux node walked D1 → D2 → D3 → D1 keeps every address, router and session',
  gate(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-dmm-'));
    const runtimeRoot = join(dir, 'runtime');
    const runtimeDir = join(runtimeRoot, 'dmm-test');
    // the three D-GWs share one SQLite context store, in this lab's runtime directory
    for (const i of [1, 2, 3]) {
      const text = readFileSync(join(EXAMPLE, `dgw${i}.yaml`), 'utf8');
      assert.ok(text.includes('path: ../../.lab/dmm/context.db'));
      writeFileSync(
        join(dir, `dgw${i}.yaml`),
        text.replace('path: ../../.lab/dmm/context.db', `path: ${join(runtimeDir, 'context.db')}`),
      );
    }
    const topo = readFileSync(join(EXAMPLE, 'topology.yaml'), 'utf8').replace(
      /^name: dmm$/m,
      'name: dmm-test',
    );
    writeFileSync(join(dir, 'topology.yaml'), topo);
    const lab = Lab.fromText(
      topo,
      { file: join(dir, 'topology.yaml'), baseDir: dir },
      { runtimeRoot },
    );
    const sock = (i: number) => lab.router(`dgw${i}`).socket;
    const mn = (argv: string[]) => lab.execOk('mn', argv);
    const streams: Promise<unknown>[] = [];
    try {
      await lab.up();
      assert.equal(await lab.waitForAddress('mn', 'eth0', '2001:db8:1::/64'), addr(1));
      // the routers as the node first met them: DLIF link-local → MAC
      const identity = new Map<number, { ll: string; mac: string }>();
      const learn = async (i: number): Promise<void> => {
        const rows = (await command(sock(i), 'show dlifs')) as DlifRow[];
        const d = rows.find((r) => r.node === MN_ID)!.dlifs.find((x) => x.anchor === `dgw${i}`)!;
        assert.equal(d.role, 'serving');
        identity.set(i, { ll: d.linkLocal, mac: d.mac });
      };
      await learn(1);
      const d1 = identity.get(1)!;
      assert.deepEqual(
        [...defaults(await mn(['ip', '-6', 'route', 'show', 'default']))],
        [[d1.ll, 'medium']],
      );
      assert.match(
        await mn(['ip', '-6', 'route', 'show', '2001:db8:99::/48']),
        new RegExp(`via ${d1.ll} dev eth0 proto ra`),
      );
      assert.ok(await lab.ping('mn', LH, { count: 2 }), 'LH from D1');

      // capture the D-GW signalling on the backbone
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
      const t0 = Date.now();
      while (!existsSync(pcap) && Date.now() - t0 < 10_000) await sleep(50);
      await sleep(300);

      // a 10 ms ping and a TCP stream from the first prefix, for the whole walk
      const server = collect(lab.spawn('cn', ['iperf3', '-s', '-1']));
      streams.push(server);
      await sleep(300);
      const iperf = collect(
        lab.spawn('mn', [
          'iperf3',
          '-c',
          CN,
          '-B',
          addr(1),
          '-t',
          String(STREAM_S),
          '-i',
          '0.1',
          '-b',
          '10M',
          '-J',
        ]),
      );
      const ping = collect(
        lab.spawn('mn', [
          'ping',
          '-6',
          '-n',
          '-D',
          '-i',
          '0.01',
          '-I',
          addr(1),
          '-w',
          String(STREAM_S),
          CN,
        ]),
      );
      streams.push(iperf, ping);
      const walkStart = Date.now();
      await sleep(2000);

      const moves: { to: number; at: number }[] = [];
      const walk: [number, string][] = [
        [2, 'access2'],
        [3, 'access3'],
        [1, 'access1'],
      ];
      const visited: number[] = [1];
      for (const [to, link] of walk) {
        const at = Date.now() / 1000;
        await lab.move('mn', 'eth0', link);
        // the L2 trigger: the new D-GW is told the node associated (docs/dgw.md)
        const res = (await command(sock(to), 'attach', { mn: MN_ID, mac: MN_MAC })) as {
          state: string;
          prefixes: { anchor: string; role: string; state: string }[];
        };
        moves.push({ to, at });
        assert.equal(res.state, 'served');
        assert.ok(
          res.prefixes.every((p) => p.state === 'served' || p.state === 'active'),
          JSON.stringify(res),
        );
        if (!visited.includes(to)) {
          visited.push(to);
          await lab.waitForAddress('mn', 'eth0', `2001:db8:${to}::/64`);
          await learn(to);
        }
        // the kernel's view: newest preferred, every earlier one deprecated
        const deadline = Date.now() + 5000;
        for (;;) {
          const a = await lab.addresses('mn', 'eth0');
          const ok = visited.every((i) => {
            const x = a.find((y) => y.address === addr(i));
            return x !== undefined && !x.tentative && x.deprecated === (i !== to);
          });
          if (ok) break;
          if (Date.now() > deadline) assert.fail(`after the move to D${to}: ${JSON.stringify(a)}`);
          await sleep(100);
        }
        for (const i of visited) {
          assert.ok(
            await lab.ping('mn', CN, { count: 2, from: addr(i) }),
            `ping from ${addr(i)} at D${to}`,
          );
        }
        const def = defaults(await mn(['ip', '-6', 'route', 'show', 'default']));
        for (const i of visited) {
          const id = identity.get(i)!;
          assert.equal(
            def.get(id.ll),
            i === to ? 'medium' : 'low',
            `default via D${i}'s DLIF at D${to}`,
          );
        }
        assert.match(
          await mn(['ip', '-6', 'route', 'show', '2001:db8:99::/48']),
          new RegExp(`via ${d1.ll} dev eth0 proto ra`),
          'RFC 4191 route to the local network via D1',
        );
        const nb = neighbours(await mn(['ip', '-6', 'neigh', 'show', 'dev', 'eth0']));
        for (const i of visited) {
          const id = identity.get(i)!;
          const mac = nb.get(id.ll);
          if (mac !== undefined) assert.equal(mac, id.mac, `D${i}'s DLIF keeps its MAC at D${to}`);
        }
        assert.equal(nb.get(d1.ll), d1.mac, 'the first router is still a neighbour with its MAC');
        assert.match(
          await mn(['ip', '-6', 'route', 'get', CN]),
          new RegExp(`src ${addr(to).replaceAll('.', '\\.')} `),
          'a new connection takes the newest prefix',
        );
        assert.ok(await lab.ping('mn', LH, { count: 2 }), `LH from D${to}`);
        await sleep(1500);
      }
      const walkS = (Date.now() - walkStart) / 1000;
      assert.ok(
        walkS < STREAM_S - 2,
        `the walk (${walkS.toFixed(1)} s) ends before the streams do`,
      );
      const [p, i] = (await Promise.all([ping, iperf, server])) as {
        code: number | null;
        out: string;
        err: string;
      }[];

      // the sessions of the first prefix, as the node saw them
      const replies = pingReplies(p!.out);
      const sent = Number(/(\d+) packets transmitted/.exec(p!.out)?.[1] ?? 0);
      const seqs = [...replies.keys()].sort((a, b) => a - b);
      const perMove = moves.map(() => ({ lost: 0, gapMs: 0 }));
      let lostElsewhere = 0;
      for (let k = 1; k < seqs.length; k++) {
        const gap = seqs[k]! - seqs[k - 1]!;
        if (gap <= 1) continue;
        const ta = replies.get(seqs[k - 1]!)!;
        const tb = replies.get(seqs[k]!)!;
        const m = moves.findIndex((mv) => tb >= mv.at - 0.05 && ta <= mv.at + 2);
        if (m >= 0) {
          perMove[m]!.lost += gap - 1;
          perMove[m]!.gapMs = Math.max(perMove[m]!.gapMs, (tb - ta) * 1000);
        } else lostElsewhere += gap - 1;
      }
      const lastMove = moves[moves.length - 1]!.at;
      assert.ok(
        seqs.filter((s) => replies.get(s)! > lastMove + 1).length > 100,
        'ping answered after the last move',
      );
      const ij = JSON.parse(i!.out) as {
        error?: string;
        start: { timestamp: { timesecs: number } };
        intervals: { sum: { start: number; bytes: number } }[];
        end: { sum_sent: { bytes: number; retransmits: number }; sum_received: { bytes: number } };
      };
      assert.equal(ij.error, undefined, `iperf3: ${ij.error}`);
      assert.equal(i!.code, 0);
      let stall = 0;
      let run = 0;
      for (const iv of ij.intervals) {
        run = iv.sum.bytes === 0 ? run + 1 : 0;
        stall = Math.max(stall, run);
      }
      const startS = ij.start.timestamp.timesecs;
      const afterLast = ij.intervals
        .filter((iv) => startS + iv.sum.start > lastMove + 1)
        .reduce((s, iv) => s + iv.sum.bytes, 0);
      assert.ok(afterLast > 0, 'the TCP stream moves data after the last handover');
      console.log(
        `walk: ping every 10 ms from ${addr(1)} — ${sent} sent, ${replies.size} answered; ` +
          moves
            .map(
              (m, k) =>
                `move to D${m.to}: ${perMove[k]!.lost} lost, gap ${perMove[k]!.gapMs.toFixed(1)} ms`,
            )
            .join('; ') +
          `; ${lostElsewhere} lost elsewhere. TCP (10 Mbit/s): ${(ij.end.sum_received.bytes / 1e6).toFixed(1)} MB ` +
          `received, ${ij.end.sum_sent.retransmits} retransmits, longest stall ${stall * 100} ms`,
      );
      // the D-GWs' own handover timings
      for (const d of [1, 2, 3]) {
        const s = (await command(sock(d), 'show dgw')) as {
          handovers: number;
          preparationHits: number;
          rollbacks: Record<string, number>;
          timings: Record<string, PhaseOut>;
          recent: unknown[];
        };
        assert.deepEqual(s.rollbacks, {}, `D${d} rolled nothing back`);
        const t = s.timings;
        const f = (x: PhaseOut): string =>
          x.count === 0 ? '-' : `${x.minMs}/${x.avgMs}/${x.maxMs}`;
        console.log(
          `D${d} (ms min/avg/max): L2 trigger → PBU ${f(t.triggerToPbu!)}, PBU → PBA ${f(t.pbuToPba!)}, ` +
            `trigger → PBA ${f(t.triggerToPba!)}, trigger → first packet through the new tunnel ` +
            `${f(t.triggerToFirstPacket!)}; preparation hits ${s.preparationHits}; ${JSON.stringify(s.recent)}`,
        );
      }

      for (const [k, m] of perMove.entries()) {
        assert.ok(m.lost < 30, `${m.lost} pings lost at move ${k + 1}: the handover took too long`);
      }
      assert.ok(lostElsewhere < 5, `${lostElsewhere} pings lost away from the moves`);

      // the signalling on the wire, as tshark 4.0 reads it
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
          '-E',
          'aggregator=,',
          '-e',
          'ipv6.src',
          '-e',
          'mip6.mhtype',
          '-e',
          'mip6.bu.a_flag',
          '-e',
          'mip6.bu.p_flag',
          '-e',
          'mip6.ba.status',
          '-e',
          'mip6.mnid.identifier',
          '-e',
          'mip6.hi',
          '-e',
          'mip6.att',
          '-e',
          'mip6.mobility_opt',
          '-e',
          '_ws.malformed',
          '-e',
          '_ws.expert.message',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(fields.status, 0, fields.stderr);
      const rows = fields.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('|'));
      const pbus = rows.filter((r) => r[1] === '5');
      const pbas = rows.filter((r) => r[1] === '6');
      // D2: 1 PBU; D3: 2; back at D1: 2 — each answered
      assert.equal(pbus.length, 5, fields.stdout);
      assert.equal(pbas.length, 5, fields.stdout);
      for (const r of rows) {
        assert.equal(r[9], '', `not malformed: ${r.join('|')}`);
        assert.equal(r[5], MN_ID);
        assert.equal(r[6], '3', 'Handoff Indicator 3');
        assert.equal(r[7], '3', 'Access Technology Type 3');
        const unknown = r[8]!.split(',').filter((x) => x !== '');
        assert.ok(
          unknown.every((x) => ['65', '66', '69', '70'].includes(x)),
          `only 65–70 unknown: ${r[8]}`,
        );
        assert.ok(unknown.includes('65'), 'Anchored Prefix shown as unknown');
        const notes = r[10]!.split(',').filter((x) => x !== '');
        assert.equal(notes.length, unknown.length, 'one note per unknown option');
        assert.ok(
          notes.every((x) => x === 'IE data not dissected yet'),
          r[10],
        );
      }
      for (const r of pbus) assert.deepEqual([r[2], r[3]], ['1', '1'], 'A and P');
      for (const r of pbas) {
        assert.equal(r[4], '0');
        assert.ok(
          ['69', '70'].every((x) => r[8]!.split(',').includes(x)),
          'DLIF options in every PBA',
        );
      }
      assert.ok(
        pbas.some((r) => r[0] === 'fd00:100::1' && r[8]!.split(',').includes('66')),
        "D1's Local Prefix",
      );
      const packets = pcapPackets(pcap);
      assert.equal(packets.length, 10);
      for (const f of packets) {
        const mh = new MobilityHeaderView(f, dataViewOf(f), 54, f.length);
        assert.equal(mh.check(), 0);
        assert.ok([MhType.BindingUpdate, MhType.BindingAck].includes(mh.mhType() as 5 | 6));
        assert.ok(mh.verifyChecksum(22, 38), 'the MH checksum verifies');
        // the D flag, which tshark 4.0 does not name: PBU 0x0010, PBA 0x02 (RFC 8885)
        if (mh.mhType() === MhType.BindingUpdate) assert.equal(f[54 + 9]! & 0x10, 0x10);
        else assert.equal(f[54 + 7]! & 0x02, 0x02);
      }
    } finally {
      await lab.down();
      await Promise.allSettled(streams);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
