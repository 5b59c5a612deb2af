/**
 * Inter-operator mobility against a real Linux mobile node (draft-bernardos-dmm-distributed-
 * anchoring-02 §5; docs/dgw.md "Several operators"): the lab of examples/inter-operator —
 * operator op-a's D-GWs A1 (dgw1) and A2 (dgw2), operator op-b's B1 (dgw11) and B2 (dgw12),
 * the central LMA and a correspondent on one backbone, five dmmd processes (the four D-GWs
 * sharing one SQLite context store in the lab's runtime directory), the node and the
 * correspondent in network namespaces. The node starts at A1 and is walked A1 → B1 → B2 → A1
 * with `Lab.move` (a layer-2 move) and an L2 trigger to the new D-GW (`attach`). At each step
 * its own kernel judges:
 *
 * - the newest prefix's address is preferred, every earlier one `deprecated` yet still works
 *   (`ping -I addr` to the correspondent from each);
 * - A1's router for the op-a prefix — its DLIF link-local and MAC — is the same throughout:
 *   the node's default route via that link-local (medium preference at A1, low elsewhere)
 *   and its neighbour entry with that MAC, whichever operator serves it;
 * - a new connection picks the newest prefix as its source (`ip -6 route get`).
 * The LMA's `show bindings` shows both legs of each relayed binding at each step.
 *
 * Across the walk, a 10 ms ping and a TCP stream (iperf3) from the op-a prefix keep going;
 * the loss at each move is measured and printed. tshark captures the backbone for the whole
 * walk and, as an independent decoder, reads back every packet's Ethernet and IPv6 headers
 * (outer and inner): no packet ever goes between a D-GW of op-a and one of op-b, every
 * tunnelled packet of a prefix used outside its operator has the LMA as one tunnel end, and
 * every untunnelled packet of the op-a prefix is the correspondent's traffic with its anchor
 * A1. Every PBU/PBA decodes without tshark's malformed mark, with status 0.
 *
 * Root only; needs the built dmmd (with better-sqlite3 compiled by `pnpm build`), iperf3 and
 * tshark. Namespaces carry the prefix `dmmio-t`; the lab is taken down whatever happens. The
 * node's addresses: EUI-64 of 02:00:00:00:0a:01, from Debian scapy:
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

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CN = 'fd00:100::99';
const LMA = 'fd00:100::100';
const MN_ID = 'mn@example.net';
const MN_MAC = '02:00:00:00:0a:01';
/** D-GW id → its backbone address, operator and MAC on the backbone. */
const DGWS: Record<number, { addr: string; op: 'op-a' | 'op-b'; mac: string; config: string }> = {
  1: { addr: 'fd00:100::1', op: 'op-a', mac: '02:00:00:00:01:01', config: 'dgw-a1.yaml' },
  2: { addr: 'fd00:100::2', op: 'op-a', mac: '02:00:00:00:02:01', config: 'dgw-a2.yaml' },
  11: { addr: 'fd00:100::11', op: 'op-b', mac: '02:00:00:00:11:01', config: 'dgw-b1.yaml' },
  12: { addr: 'fd00:100::12', op: 'op-b', mac: '02:00:00:00:12:01', config: 'dgw-b2.yaml' },
};
const CN_MAC = '02:00:00:00:0c:01';
/** The node's address in the first /64 of D-GW `i`'s pool 2001:db8:i::/48. */
const addr = (i: number): string => `2001:db8:${i}::ff:fe00:a01`;
/** How long the ping and the TCP stream run: the whole walk and a little more. */
const STREAM_S = 24;

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

/** The /64 of an address written the way tshark and `ip` write it (`2001:db8:1::…`). */
function in64(a: string, i: number): boolean {
  return a.startsWith(`2001:db8:${i}::`);
}

interface DlifRow {
  node: string;
  dlifs: { anchor: string; role: string; mac: string; linkLocal: string }[];
}

interface LegRow {
  dgw: string;
  operator: string;
  address: string;
  tunnel: number | null;
  lifetimeLeft: number | null;
  state: string;
}

interface LmaRow {
  mn: string;
  prefix: string;
  state: string;
  serving: LegRow;
  anchor: LegRow;
}

test(
  'inter-operator lab: a Linux node walked A1 → B1 → B2 → A1 keeps its op-a address, router and sessions, through the central LMA',
  gate(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmmio-'));
    // a fixed runtime root: a run killed before its `finally` left its state file here, and
    // the `down` below stops what it left (routers, namespaces) before this run builds
    const runtimeRoot = join(tmpdir(), 'dmmio-lab-test');
    const runtimeDir = join(runtimeRoot, 'inter-operator-test');
    // the four D-GWs share one SQLite context store, in this lab's runtime directory
    for (const d of Object.values(DGWS)) {
      const text = readFileSync(join(EXAMPLE, d.config), 'utf8');
      assert.ok(text.includes('path: ../../.lab/inter-operator/context.db'));
      writeFileSync(
        join(dir, d.config),
        text.replace(
          'path: ../../.lab/inter-operator/context.db',
          `path: ${join(runtimeDir, 'context.db')}`,
        ),
      );
    }
    writeFileSync(join(dir, 'lma.yaml'), readFileSync(join(EXAMPLE, 'lma.yaml')));
    const topo = readFileSync(join(EXAMPLE, 'topology.yaml'), 'utf8')
      .replace(/^name: inter-operator$/m, 'name: inter-operator-test')
      .replace(/^prefix: dmmio$/m, 'prefix: dmmio-t');
    assert.ok(topo.includes('prefix: dmmio-t\n'));
    writeFileSync(join(dir, 'topology.yaml'), topo);
    const lab = Lab.fromText(
      topo,
      { file: join(dir, 'topology.yaml'), baseDir: dir },
      { runtimeRoot },
    );
    const sock = (router: string): string => lab.router(router).socket;
    const mn = (argv: string[]): Promise<string> => lab.execOk('mn', argv);
    const streams: Promise<unknown>[] = [];
    let tshark: ChildProcess | null = null;
    try {
      await lab.down();
      for (const f of ['context.db', 'context.db-wal', 'context.db-shm']) {
        rmSync(join(runtimeDir, f), { force: true });
      }
      await lab.up();
      assert.deepEqual(
        [lab.ns('mn'), lab.ns('cn'), lab.switchNs],
        ['dmmio-t-mn', 'dmmio-t-cn', 'dmmio-t-sw'],
      );
      assert.equal(await lab.waitForAddress('mn', 'eth0', '2001:db8:1::/64'), addr(1));
      // the routers as the node first met them: DLIF link-local → MAC
      const identity = new Map<number, { ll: string; mac: string }>();
      const learn = async (i: number): Promise<void> => {
        const rows = (await command(sock(`dgw${i}`), 'show dlifs')) as DlifRow[];
        const d = rows.find((r) => r.node === MN_ID)!.dlifs.find((x) => x.anchor === `dgw${i}`)!;
        assert.equal(d.role, 'serving');
        identity.set(i, { ll: d.linkLocal, mac: d.mac });
      };
      await learn(1);
      const a1 = identity.get(1)!;
      assert.deepEqual(
        [...defaults(await mn(['ip', '-6', 'route', 'show', 'default']))],
        [[a1.ll, 'medium']],
      );

      // capture the whole backbone (headers only) for the walk
      const pcap = join(dir, 'backbone.pcap');
      tshark = lab.spawn('switch', [
        'tshark',
        '-i',
        'br-backbone',
        '-f',
        'ip6',
        '-s',
        '160',
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

      // a 10 ms ping and a TCP stream from the op-a prefix, for the whole walk
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
          '5M',
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
      await sleep(1500);

      const moves: { to: number; at: number }[] = [];
      const walk: [number, string][] = [
        [11, 'access-b1'],
        [12, 'access-b2'],
        [1, 'access-a1'],
      ];
      const visited: number[] = [1];
      for (const [to, link] of walk) {
        const at = Date.now() / 1000;
        await lab.move('mn', 'eth0', link);
        // the L2 trigger: the new D-GW is told the node associated (docs/dgw.md)
        const res = (await command(sock(`dgw${to}`), 'attach', { mn: MN_ID, mac: MN_MAC })) as {
          state: string;
          prefixes: { prefix: string; anchor: string; role: string; state: string }[];
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
        // the kernel's view: newest preferred, every earlier one deprecated, each working
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
            `ping from ${addr(i)} at dgw${to}`,
          );
        }
        // A1's router for the op-a prefix: the same link-local and MAC in either operator
        const def = defaults(await mn(['ip', '-6', 'route', 'show', 'default']));
        for (const i of visited) {
          assert.equal(
            def.get(identity.get(i)!.ll),
            i === to ? 'medium' : 'low',
            `default via dgw${i}'s DLIF at dgw${to}`,
          );
        }
        const nb = neighbours(await mn(['ip', '-6', 'neigh', 'show', 'dev', 'eth0']));
        assert.equal(nb.get(a1.ll), a1.mac, `A1's router keeps its MAC at dgw${to}`);
        for (const i of visited) {
          const id = identity.get(i)!;
          const mac = nb.get(id.ll);
          if (mac !== undefined) assert.equal(mac, id.mac, `dgw${i}'s DLIF keeps its MAC`);
        }
        assert.match(
          await mn(['ip', '-6', 'route', 'get', CN]),
          new RegExp(`src ${addr(to)} `),
          'a new connection takes the newest prefix',
        );
        // the LMA: both legs of every relayed binding
        const lb = (await command(sock('lma'), 'show bindings')) as LmaRow[];
        const legs = lb.map((r) => [
          r.prefix,
          r.state,
          r.serving.dgw,
          r.serving.operator,
          r.serving.state,
          r.anchor.dgw,
          r.anchor.operator,
          r.anchor.state,
        ]);
        const want =
          to === 1
            ? [
                ['2001:db8:11::/64', 'active', 'dgw1', 'op-a', 'active', 'dgw11', 'op-b', 'active'],
                ['2001:db8:12::/64', 'active', 'dgw1', 'op-a', 'active', 'dgw12', 'op-b', 'active'],
              ]
            : [
                [
                  '2001:db8:1::/64',
                  'active',
                  `dgw${to}`,
                  'op-b',
                  'active',
                  'dgw1',
                  'op-a',
                  'active',
                ],
              ];
        assert.deepEqual(legs, want, `the LMA's bindings at dgw${to}`);
        for (const r of lb) {
          assert.ok(r.serving.tunnel !== null && r.anchor.tunnel !== null, 'two tunnels');
          assert.notEqual(r.serving.tunnel, r.anchor.tunnel);
          assert.ok(r.serving.lifetimeLeft! > 500 && r.anchor.lifetimeLeft! > 500);
        }
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

      // the sessions of the op-a prefix, as the node saw them
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
      for (const mv of moves.slice(0, 2)) {
        assert.ok(
          seqs.filter((s) => replies.get(s)! > mv.at + 1 && replies.get(s)! < mv.at + 2).length >
            50,
          `ping answered in op-b (after the move to dgw${mv.to})`,
        );
      }
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
      const bytesBetween = (from: number, to: number): number =>
        ij.intervals
          .filter((iv) => startS + iv.sum.start > from && startS + iv.sum.start < to)
          .reduce((s, iv) => s + iv.sum.bytes, 0);
      assert.ok(bytesBetween(moves[0]!.at + 1, moves[1]!.at) > 0, 'TCP moves data at B1');
      assert.ok(bytesBetween(moves[1]!.at + 1, moves[2]!.at) > 0, 'TCP moves data at B2');
      assert.ok(bytesBetween(lastMove + 1, Infinity) > 0, 'TCP moves data back at A1');
      console.log(
        `walk: ping every 10 ms from ${addr(1)} — ${sent} sent, ${replies.size} answered; ` +
          moves
            .map(
              (m, k) =>
                `move to dgw${m.to}: ${perMove[k]!.lost} lost, gap ${perMove[k]!.gapMs.toFixed(1)} ms`,
            )
            .join('; ') +
          `; ${lostElsewhere} lost elsewhere. TCP (5 Mbit/s): ${(ij.end.sum_received.bytes / 1e6).toFixed(1)} MB ` +
          `received, ${ij.end.sum_sent.retransmits} retransmits, longest stall ${stall * 100} ms`,
      );
      for (const [k, m] of perMove.entries()) {
        assert.ok(m.lost < 50, `${m.lost} pings lost at move ${k + 1}: the handover took too long`);
      }
      assert.ok(lostElsewhere < 5, `${lostElsewhere} pings lost away from the moves`);

      // the LMA's and the D-GWs' counters
      const st = (await command(sock('lma'), 'show inter-operator')) as {
        refused: Record<string, number>;
        accepted: Record<string, number>;
        teardowns: Record<string, number>;
        unboundDropped: number;
        relayMs: { count: number; minMs: number; avgMs: number; maxMs: number };
      };
      assert.deepEqual(st.refused, {}, 'nothing refused on the walk');
      assert.equal(st.unboundDropped, 0, 'nothing tunnelled to the LMA from an unbound prefix');
      assert.equal(st.accepted.registered, 3, 'dgw1 at B1; dgw11 and dgw12 at A1');
      assert.equal(st.accepted.moved, 1, 'the serving leg B1 → B2');
      assert.deepEqual(st.teardowns, { superseded: 1 }, 'the op-a binding, once back in op-a');
      console.log(
        `LMA: first PBU → binding relayed (ms min/avg/max) ${st.relayMs.minMs}/${st.relayMs.avgMs}/${st.relayMs.maxMs}`,
      );
      for (const d of [1, 11, 12]) {
        const s = (await command(sock(`dgw${d}`), 'show dgw')) as {
          rollbacks: Record<string, number>;
          relayedLinks: number;
        };
        assert.deepEqual(s.rollbacks, {}, `dgw${d} rolled nothing back`);
        assert.equal(s.relayedLinks, d === 1 ? 2 : 1, `dgw${d}'s links through the LMA`);
      }

      // the backbone, as tshark reads it: outer and inner addresses of every packet
      tshark.kill('SIGINT');
      await tsharkDone;
      tshark = null;
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
          'eth.src',
          '-e',
          'eth.dst',
          '-e',
          'ipv6.src',
          '-e',
          'ipv6.dst',
          '-e',
          'mip6.mhtype',
          '-e',
          'mip6.ba.status',
          '-e',
          '_ws.malformed',
          '-e',
          'frame.time_epoch',
        ],
        { encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      assert.equal(fields.status, 0, fields.stderr);
      const rows = fields.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('|'));
      assert.ok(rows.length > 1000, `${rows.length} packets captured`);
      const op = (a: string): string | null =>
        Object.values(DGWS).find((d) => d.addr === a)?.op ?? null;
      const foreign = [1, 11, 12];
      const viaLma: Record<string, number> = {};
      let native1 = 0;
      let mh = 0;
      for (const r of rows) {
        const [esrc, edst, srcs, dsts, mhtype, status, malformed] = r as [
          string,
          string,
          string,
          string,
          string,
          string,
          string,
        ];
        const src = srcs.split(',');
        const dst = dsts.split(',');
        const oa = op(src[0]!);
        const ob = op(dst[0]!);
        assert.ok(
          oa === null || ob === null || oa === ob,
          `a packet between operators' D-GWs directly: ${r.join('|')}`,
        );
        assert.equal(malformed, '', `not malformed: ${r.join('|')}`);
        if (mhtype !== '') {
          mh++;
          if (mhtype === '6') assert.equal(status, '0', `PBA status: ${r.join('|')}`);
        }
        if (src.length === 2) {
          // tunnelled: a prefix in use outside its operator goes through the LMA
          const inner = [src[1]!, dst[1]!];
          const pfx = foreign.find((k) => inner.some((x) => in64(x, k)));
          if (pfx !== undefined) {
            const anchorOp = DGWS[pfx]!.op;
            const ends = [src[0]!, dst[0]!];
            if (ends.some((e) => op(e) !== null && op(e) !== anchorOp) || ends.includes(LMA)) {
              assert.ok(ends.includes(LMA), `not through the LMA: ${r.join('|')}`);
              const k = `${pfx}: ${src[0]} > ${dst[0]}`;
              viaLma[k] = (viaLma[k] ?? 0) + 1;
            }
          }
        } else if (src.length === 1 && [src[0]!, dst[0]!].some((x) => in64(x, 1))) {
          // the op-a prefix untunnelled: only the correspondent and the anchor A1
          native1++;
          assert.deepEqual(
            [esrc, edst].sort(),
            [CN_MAC, DGWS[1]!.mac].sort(),
            `op-a prefix untunnelled elsewhere: ${r.join('|')}`,
          );
        }
      }
      assert.ok(mh >= 12, `${mh} PBUs/PBAs captured`);
      assert.ok(native1 > 100, 'the op-a prefix between the correspondent and A1');
      // both directions of both tunnels while in op-b; the op-b prefixes back in op-a
      for (const k of [
        `1: fd00:100::11 > ${LMA}`,
        `1: ${LMA} > fd00:100::1`,
        `1: fd00:100::1 > ${LMA}`,
        `1: ${LMA} > fd00:100::11`,
        `1: fd00:100::12 > ${LMA}`,
        `1: ${LMA} > fd00:100::12`,
        `11: fd00:100::1 > ${LMA}`,
        `11: ${LMA} > fd00:100::11`,
        `11: fd00:100::11 > ${LMA}`,
        `11: ${LMA} > fd00:100::1`,
      ]) {
        assert.ok(
          (viaLma[k] ?? 0) > 0,
          `tunnelled through the LMA: ${k} in ${JSON.stringify(viaLma)}`,
        );
      }
      console.log(
        `backbone: ${rows.length} packets, none between op-a and op-b D-GWs; ${mh} PBUs/PBAs; ` +
          `through the LMA: ${JSON.stringify(viaLma)}`,
      );
    } finally {
      tshark?.kill('SIGINT');
      await lab.down();
      await Promise.allSettled(streams);
      rmSync(dir, { recursive: true, force: true });
      rmSync(runtimeRoot, { recursive: true, force: true });
    }
  },
);
