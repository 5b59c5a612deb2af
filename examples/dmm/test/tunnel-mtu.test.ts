/**
 * The tunnel MTU against a real Linux mobile node (RFC 2473 §7, RFC 8201 §4): the lab of
 * examples/dmm with every link at MTU 1500, the backbone included. The node attaches at
 * D-GW1, then moves to D-GW2 (a layer-2 move and the L2 trigger), so its first prefix
 * 2001:db8:1::/64 is tunnelled D2 ⇄ D1 over the backbone while its new prefix
 * 2001:db8:2::/64 is D2's own and leaves D2 untunnelled.
 *
 * ```
 *   mn 2001:db8:1::…a01 ── access2 ── [dgw2] ══ IPv6-in-IPv6 over the backbone (MTU 1500) ══ [dgw1]
 *                                                                     cn fd00:100::99 ─┘
 * ```
 *
 * - A 1500-byte packet from the first (deprecated) address no longer fits the tunnel
 *   (1500 + 40 > 1500): D2, the entry point, answers with a Packet Too Big carrying the
 *   tunnel MTU 1460 (RFC 2473 §7: 1500 − 40 bytes of outer IPv6) — never a silent drop.
 *   The node's own kernel proves it: `ping -M do` reports the error, then refuses to send
 *   1500 bytes with "mtu=1460", and `ip -6 route get` shows `mtu 1460` in its route cache.
 *   D2's counters name it: `ip6ip6-encap.too-big` and `icmp6-error.sent` (`show counters`)
 *   and the tunnel's own `too-big` drop (`show tunnels`).
 * - The same 1500-byte packet from the new prefix (no tunnel) is answered, with no Packet
 *   Too Big and no new counter.
 * - TCP from the first prefix's address through the tunnel, from cold route caches: 8 MiB
 *   of random bytes up, then 8 MiB down on the same connection (Node sockets in the two
 *   namespaces), each end hashing what it sent and received — every byte arrives
 *   unaltered. Both ends' kernels learnt 1460 from the tunnel entry points (D2 uplink,
 *   D1 downlink: each counted `too-big`), nothing was fragmented. Then a 2 s iperf3 each
 *   way keeps moving data (throughput printed).
 *
 * Each check talks to its own address of the correspondent (fd00:100::99, ::97, ::98): a
 * learnt path MTU is kept per destination, whatever the source, and `ip -6 route flush
 * cache` does not remove it on this kernel (exit status 1), so a fresh destination is a cold
 * cache.
 *
 * Root only; needs the built dmmd (with better-sqlite3 compiled by `pnpm build`) and iperf3.
 * Namespaces `dmmu-mtu-*`; router TAPs renamed `m1-…`/`m2-…`/`m3-…` so the lab can run
 * next to the other examples/dmm tests. The node's addresses: EUI-64 of 02:00:00:00:0a:01,
 * from Debian scapy: in6_mactoifaceid("02:00:00:00:0a:01") == "0000:00FF:FE00:0A01".
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
/**
 * Two more addresses of the correspondent, one per check: a path MTU the node's kernel
 * learnt is kept per destination (whatever the source), so each check starts from a cold
 * route cache by using its own destination.
 */
const CN_OWN = 'fd00:100::97';
const CN_TCP = 'fd00:100::98';
const MN_ID = 'mn@example.net';
const MN_MAC = '02:00:00:00:0a:01';
const addr = (i: number): string => `2001:db8:${i}::ff:fe00:a01`;
/** ICMPv6 echo payload making a 1500-byte IPv6 packet: 1500 − 40 − 8. */
const FULL = 1452;
/** The tunnel MTU over a 1500-byte backbone: 1500 − 40 (RFC 2473 §7). */
const TUNNEL_MTU = 1460;

function gate(): { skip?: string } {
  if (!IS_ROOT && !IN_CI) return { skip: 'needs root for namespaces, bridges and TAP devices' };
  if (spawnSync('sh', ['-c', 'command -v iperf3']).status !== 0 && !IN_CI) {
    return { skip: 'iperf3 is not installed' };
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

interface TunnelRow {
  local: string;
  remote: string;
  mtu: number;
  pathMtu: number;
  encap: { packets: number; bytes: number; fragmented: number };
  decap: { packets: number; bytes: number };
  drops: Record<string, number>;
}

/** What each end of the exchange prints. */
interface Exchange {
  peer: string;
  sentSha: string;
  received: number;
  receivedSha: string;
}

/** Bytes each way in the exchange: a few MB, some thousands of full-size segments. */
const BYTES = 8 * 1024 * 1024;

/**
 * The exchange, run by the Node binary in a namespace (`node -e EXCHANGE server ADDR N` /
 * `client ADDR N FROM`): the client sends N random bytes and half-closes; the server reads
 * to the end, then sends N random bytes and closes. Each prints its peer, the SHA-256 of
 * what it sent, and the count and SHA-256 of what it received.
 */
const EXCHANGE = `
const net = require('node:net');
const crypto = require('node:crypto');
const [role, host, n, from] = process.argv.slice(1);
const data = crypto.randomBytes(Number(n));
const sentSha = crypto.createHash('sha256').update(data).digest('hex');
const run = (sock, first) => {
  const peer = sock.remoteAddress;
  const h = crypto.createHash('sha256');
  let received = 0;
  sock.on('data', (d) => { received += d.length; h.update(d); });
  sock.on('error', (e) => { console.error(e.message); process.exit(1); });
  if (first) sock.end(data);
  sock.on('end', () => {
    if (!first) sock.end(data);
    sock.on('close', () => {
      console.log(JSON.stringify({ peer, sentSha, received, receivedSha: h.digest('hex') }));
      process.exit(0);
    });
  });
};
if (role === 'server') {
  const srv = net.createServer((s) => { srv.close(); run(s, false); });
  srv.listen(5202, host);
} else {
  const s = net.connect({ host, port: 5202, localAddress: from }, () => run(s, true));
  s.on('error', (e) => { console.error(e.message); process.exit(1); });
}
`;

interface IperfJson {
  error?: string;
  end: {
    sum_sent: { bytes: number; retransmits: number };
    sum_received: { bytes: number };
  };
}

test(
  'dmm lab, every link at MTU 1500: a full-size packet into the tunnel gets a Packet Too Big (1460), TCP through it delivers every byte',
  { ...gate(), timeout: 90_000 },
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmmu-mtu-'));
    const runtimeRoot = join(dir, 'runtime');
    const runtimeDir = join(runtimeRoot, 'dmm-mtu');
    // the other tests of this lab use the TAP names d1-bb, …: ours are m1-bb, …
    const rename = (s: string): string => s.replace(/\bd([123])-(bb|acc|lan)\b/g, 'm$1-$2');
    for (const i of [1, 2, 3]) {
      const text = readFileSync(join(EXAMPLE, `dgw${i}.yaml`), 'utf8');
      assert.ok(text.includes('path: ../../.lab/dmm/context.db'));
      writeFileSync(
        join(dir, `dgw${i}.yaml`),
        rename(
          text.replace(
            'path: ../../.lab/dmm/context.db',
            `path: ${join(runtimeDir, 'context.db')}`,
          ),
        ),
      );
    }
    const original = readFileSync(join(EXAMPLE, 'topology.yaml'), 'utf8');
    // the premise: every link, the backbone included, at 1500
    for (const link of ['backbone', 'localnet', 'access1', 'access2', 'access3']) {
      assert.match(original, new RegExp(`^  ${link}: \\{ mtu: 1500 \\}$`, 'm'), link);
    }
    const topo = rename(original).replace(/^name: dmm$/m, 'name: dmm-mtu\nprefix: dmmu-mtu');
    writeFileSync(join(dir, 'topology.yaml'), topo);
    const lab = Lab.fromText(
      topo,
      { file: join(dir, 'topology.yaml'), baseDir: dir },
      { runtimeRoot },
    );
    const sock = (i: number) => lab.router(`dgw${i}`).socket;
    const mn = (argv: string[]) => lab.execOk('mn', argv);
    const children: Promise<unknown>[] = [];
    const counters = async (i: number): Promise<Record<string, number>> =>
      ((await command(sock(i), 'show counters')) as { nodes: Record<string, number> }).nodes;
    const tunnel = async (i: number, remote: string): Promise<TunnelRow> => {
      const rows = (await command(sock(i), 'show tunnels')) as TunnelRow[];
      const t = rows.find((r) => r.remote === remote);
      assert.ok(t, `D${i} has a tunnel to ${remote}: ${JSON.stringify(rows)}`);
      return t;
    };
    const routeGet = (to: string, from: string): Promise<string> =>
      mn(['ip', '-6', 'route', 'get', to, 'from', from]);
    try {
      await lab.up();
      assert.equal(await lab.waitForAddress('mn', 'eth0', '2001:db8:1::/64'), addr(1));
      for (const l of ['backbone', 'access1', 'access2']) {
        const mtu = await lab.execOk('switch', ['cat', `/sys/class/net/br-${l}/mtu`]);
        assert.equal(mtu.trim(), '1500', `br-${l}`);
      }
      assert.equal((await mn(['cat', '/sys/class/net/eth0/mtu'])).trim(), '1500');
      for (const a of [CN_OWN, CN_TCP]) {
        await lab.execOk('cn', ['ip', '-6', 'addr', 'add', `${a}/64`, 'dev', 'eth0', 'nodad']);
      }

      // to D2: the first prefix is now tunnelled D2 ⇄ D1
      await lab.move('mn', 'eth0', 'access2');
      const res = (await command(sock(2), 'attach', { mn: MN_ID, mac: MN_MAC })) as {
        state: string;
      };
      assert.equal(res.state, 'served');
      await lab.waitForAddress('mn', 'eth0', '2001:db8:2::/64');
      const deadline = Date.now() + 5000;
      for (;;) {
        const a = await lab.addresses('mn', 'eth0');
        const a1 = a.find((x) => x.address === addr(1));
        const a2 = a.find((x) => x.address === addr(2));
        if (a1?.deprecated === true && a2 !== undefined && !a2.tentative && !a2.deprecated) break;
        if (Date.now() > deadline) assert.fail(`after the move to D2: ${JSON.stringify(a)}`);
        await sleep(100);
      }
      // small packets cross the tunnel both ways
      assert.ok(await lab.ping('mn', CN, { count: 2, from: addr(1) }), 'ping from the old prefix');
      const t21 = await tunnel(2, 'fd00:100::1');
      assert.equal(t21.local, 'fd00:100::2');
      assert.equal(t21.pathMtu, 1500, 'the path MTU of D2 → D1 is the backbone link MTU');
      assert.equal(t21.mtu, TUNNEL_MTU, 'tunnel MTU = 1500 − 40');
      assert.ok(t21.encap.packets >= 2, 'the pings were encapsulated at D2');
      assert.equal((await tunnel(1, 'fd00:100::2')).mtu, TUNNEL_MTU);
      for (const to of [CN, CN_OWN, CN_TCP]) {
        for (const i of [1, 2]) {
          assert.doesNotMatch(await routeGet(to, addr(i)), / mtu \d+/, 'no path MTU learnt yet');
        }
      }

      // (a) 1500 bytes from the old address: Packet Too Big 1460 from D2
      const c0 = await counters(2);
      const big = await lab.exec('mn', [
        'ping',
        '-6',
        '-n',
        '-c',
        '3',
        '-i',
        '0.3',
        '-W',
        '1',
        '-s',
        String(FULL),
        '-M',
        'do',
        '-I',
        addr(1),
        CN,
      ]);
      const bigOut = big.stdout + big.stderr;
      console.log(`ping -s ${FULL} -M do -I ${addr(1)}:\n${bigOut.trim()}`);
      assert.notEqual(big.status, 0, 'no reply to a packet that does not fit');
      // iputils: "From <D2> icmp_seq=1 Packet too big: mtu=1460" for the error itself, then
      // "local error: message too long, mtu: 1460" for the sends the kernel refuses
      assert.match(
        bigOut,
        new RegExp(`Packet too big: mtu=${TUNNEL_MTU}`),
        'the error reached ping',
      );
      assert.match(
        bigOut,
        new RegExp(`message too long, mtu[:=] ?${TUNNEL_MTU}`),
        'the kernel now refuses 1500',
      );
      const cached = await routeGet(CN, addr(1));
      console.log(`ip -6 route get ${CN} from ${addr(1)}: ${cached.trim()}`);
      assert.match(cached, new RegExp(`mtu ${TUNNEL_MTU}\\b`), "the node's route cache");
      const c1 = await counters(2);
      const delta = (k: string, a = c0, b = c1): number => (b[k] ?? 0) - (a[k] ?? 0);
      assert.equal(delta('ip6ip6-encap.too-big'), 1, JSON.stringify(c1));
      const t21a = await tunnel(2, 'fd00:100::1');
      assert.equal(t21a.drops['too-big'], 1, 'the tunnel counts the Packet Too Big');
      assert.equal(t21a.mtu, TUNNEL_MTU, 'a Packet Too Big sent does not change the tunnel');
      assert.equal(delta('icmp6-error.sent'), 1, 'D2 sent it (not rate-limited, not dropped)');
      console.log(
        `D2 counters that moved: ${Object.keys(c1)
          .filter((k) => delta(k) !== 0)
          .map((k) => `${k} +${delta(k)}`)
          .join(', ')}`,
      );

      // (c) 1500 bytes from the new prefix: D2's own, untunnelled — answered, no PTB
      const c2 = await counters(2);
      const own = await lab.exec('mn', [
        'ping',
        '-6',
        '-n',
        '-c',
        '3',
        '-i',
        '0.3',
        '-W',
        '2',
        '-s',
        String(FULL),
        '-M',
        'do',
        '-I',
        addr(2),
        CN_OWN,
      ]);
      assert.equal(own.status, 0, own.stdout + own.stderr);
      assert.match(own.stdout, /3 packets transmitted, 3 received/);
      assert.doesNotMatch(own.stdout + own.stderr, /too big|too long/i);
      assert.doesNotMatch(await routeGet(CN_OWN, addr(2)), / mtu \d+/, 'nothing learnt');
      const c3 = await counters(2);
      assert.equal(delta('ip6ip6-encap.too-big', c2, c3), 0);
      assert.equal(delta('ip6-lookup.too-big', c2, c3), 0);

      // (b) TCP from the old address through the tunnel, each way, from a cold cache:
      // BYTES of random data up, then BYTES down on the same connection; each end hashes
      // what it sent and what it received
      const e0 = await tunnel(2, 'fd00:100::1');
      const d0 = await tunnel(1, 'fd00:100::2');
      const server = collect(
        lab.spawn('cn', [process.execPath, '-e', EXCHANGE, 'server', CN_TCP, String(BYTES)]),
      );
      children.push(server);
      await sleep(500);
      const client = await lab.exec(
        'mn',
        [process.execPath, '-e', EXCHANGE, 'client', CN_TCP, String(BYTES), addr(1)],
        { timeoutMs: 30_000 },
      );
      const srv = await server;
      assert.equal(client.status, 0, client.stderr);
      assert.equal(srv.code, 0, srv.err);
      const c = JSON.parse(client.stdout) as Exchange;
      const sv = JSON.parse(srv.out) as Exchange;
      assert.equal(sv.peer, addr(1), 'the connection came from the old address');
      assert.equal(sv.received, BYTES, 'every byte up');
      assert.equal(sv.receivedSha, c.sentSha, 'the bytes up, unaltered');
      assert.equal(c.received, BYTES, 'every byte down');
      assert.equal(c.receivedSha, sv.sentSha, 'the bytes down, unaltered');
      assert.match(await routeGet(CN_TCP, addr(1)), new RegExp(`mtu ${TUNNEL_MTU}\\b`));
      const cnCache = await lab.execOk('cn', ['ip', '-6', 'route', 'get', addr(1)]);
      assert.match(cnCache, new RegExp(`mtu ${TUNNEL_MTU}\\b`), 'CN learnt 1460 from D1');
      const e1 = await tunnel(2, 'fd00:100::1');
      const d1 = await tunnel(1, 'fd00:100::2');
      const upPtb = (e1.drops['too-big'] ?? 0) - (e0.drops['too-big'] ?? 0);
      const downPtb = (d1.drops['too-big'] ?? 0) - (d0.drops['too-big'] ?? 0);
      assert.ok(upPtb >= 1, 'the uplink TCP met the tunnel MTU at D2');
      assert.ok(downPtb >= 1, 'the downlink TCP met the tunnel MTU at D1');
      assert.ok(e1.encap.packets - e0.encap.packets > BYTES / TUNNEL_MTU, 'it crossed the tunnel');
      assert.equal(e1.encap.fragmented, e0.encap.fragmented, 'nothing fragmented');
      assert.equal(d1.encap.fragmented, d0.encap.fragmented, 'nothing fragmented');

      // and a timed iperf3 each way through the tunnel: the connection keeps moving
      const iperf = async (reverse: boolean): Promise<IperfJson> => {
        const srv3 = collect(lab.spawn('cn', ['iperf3', '-s', '-1', '-B', CN_TCP]));
        children.push(srv3);
        await sleep(300);
        const argv = ['iperf3', '-6', '-c', CN_TCP, '-B', addr(1), '-t', '2', '-J'];
        if (reverse) argv.push('-R');
        const r = await lab.exec('mn', argv, { timeoutMs: 20_000 });
        await srv3;
        const j = JSON.parse(r.stdout) as IperfJson;
        assert.equal(j.error, undefined, `iperf3${reverse ? ' -R' : ''}: ${j.error}`);
        assert.equal(r.status, 0);
        assert.ok(j.end.sum_received.bytes > 1_000_000, `MBs crossed, ${reverse ? 'down' : 'up'}`);
        return j;
      };
      const up = await iperf(false);
      const down = await iperf(true);
      const mbps = (j: IperfJson): string => ((j.end.sum_received.bytes * 8) / 2e6).toFixed(0);
      console.log(
        `TCP through the tunnel: ${BYTES} bytes each way delivered intact; Packet Too Big sent ` +
          `by D2 ${upPtb}, by D1 ${downPtb}. iperf3 2 s: up ~${mbps(up)} Mbit/s ` +
          `(${up.end.sum_sent.retransmits} retransmits), down ~${mbps(down)} Mbit/s ` +
          `(${down.end.sum_sent.retransmits} retransmits)`,
      );
    } finally {
      await lab.down();
      await Promise.allSettled(children);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
