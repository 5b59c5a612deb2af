#!/usr/bin/env node
/**
 * The traffic of the handover demo, run inside the lab's hosts with `ip netns exec NS node
 * agent.js …`, so the demo needs nothing beyond Node and iproute2:
 *
 *   agent.js serve --udp PORT [--tcp PORT]
 *       UDP echo of probe datagrams (datagram.ts: back to the sender's address and the
 *       reply port it names) and, with --tcp, a TCP echo. Runs until killed.
 *
 *   agent.js node --from ADDR --cn ADDR --udp PORT --tcp PORT [--period-us 250]
 *                 [--tcp-kbit 4000] [--reply-port 7100] [--spin-us US] [--sender-nice N]
 *       The mobile node's side, bound to its address ADDR: the UDP probe (a busy-waiting
 *       sender thread, sender.ts, one datagram every period; echoes received here and
 *       recorded in the shared ring, ring.ts) and a paced TCP stream to the correspondent's
 *       echo (bytes echoed back recorded per chunk). With --spin-us the sender sleeps until
 *       that many µs before each send and busy-waits only the rest; --sender-nice renices
 *       that thread alone. Prints {"ready":…} once both run,
 *       then answers JSON requests on stdin, one per line, `{"id":N,"cmd":…}`:
 *         window {from,to,mark}  the probe and the stream between two instants (ns on
 *                                the shared monotonic clock), split at `mark`
 *         reach {addr,port,count} probe datagrams to another echo (source chosen by the
 *                                kernel), answers and round-trip times
 *         now                    this clock
 *         stop                   stop both, report totals, exit
 *       with `{"id":N,"ok":true,"result":…}` or `{"id":N,"ok":false,"error":"…"}`.
 */
import { createSocket } from 'node:dgram';
import { createConnection, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { isProbe, probeDatagram, probeReplyPort, probeSeq } from './datagram.js';
import {
  analyseStream,
  analyseWindow,
  createProbeRing,
  createStreamRing,
  Ctrl,
  recordChunk,
  recordEcho,
} from './ring.js';
import type { SenderData } from './sender.js';

const hr = process.hrtime.bigint;

function flags(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    m.set(a.slice(2), argv[i + 1] ?? '');
    i++;
  }
  return m;
}

function need(f: Map<string, string>, k: string): string {
  const v = f.get(k);
  if (v === undefined || v === '') throw new Error(`--${k} is required`);
  return v;
}

function out(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function serve(f: Map<string, string>): void {
  const udp = createSocket('udp6');
  udp.on('message', (msg, rinfo) => {
    if (isProbe(msg)) udp.send(msg, probeReplyPort(msg), rinfo.address);
  });
  udp.on('error', (e) => process.stderr.write(`agent serve: udp: ${e.message}\n`));
  let pending = 1;
  const ready = (): void => {
    if (--pending === 0) out({ ready: true });
  };
  udp.bind(Number(need(f, 'udp')), '::', ready);
  if (f.has('tcp')) {
    pending++;
    const server = createServer((c) => {
      c.on('error', () => undefined);
      c.pipe(c);
    });
    server.listen(Number(f.get('tcp')), '::', ready);
  }
}

interface Request {
  id: number;
  cmd: string;
  from?: number;
  to?: number;
  mark?: number;
  addr?: string;
  port?: number;
  count?: number;
}

async function node(f: Map<string, string>): Promise<void> {
  const from = need(f, 'from');
  const cn = need(f, 'cn');
  const udpPort = Number(need(f, 'udp'));
  const tcpPort = Number(need(f, 'tcp'));
  const periodNs = Math.round(Number(f.get('period-us') ?? 250) * 1000);
  const tcpBitsPerS = Number(f.get('tcp-kbit') ?? 4000) * 1000;
  const replyPort = Number(f.get('reply-port') ?? 7100);
  const nice = f.has('sender-nice') ? Number(f.get('sender-nice')) : null;
  const spinNs = f.has('spin-us') ? Math.round(Number(f.get('spin-us')) * 1000) : null;

  const ring = createProbeRing();
  const stream = createStreamRing();

  // echoes: recorded the moment they are read
  const rx = createSocket('udp6');
  rx.on('message', (msg) => {
    const now = hr();
    if (isProbe(msg)) recordEcho(ring, probeSeq(msg), now);
  });
  await new Promise<void>((res, rej) => {
    rx.once('error', rej);
    rx.bind(replyPort, from, () => res());
  });

  // the TCP stream: paced writes every 10 ms, echoed back by the correspondent
  let tcpEchoed = 0;
  let tcpWritten = 0;
  let tcpError: string | null = null;
  let tcpClosed = false;
  const chunk = Buffer.alloc(Math.max(1, Math.round(tcpBitsPerS / 8 / 100)), 0x5a);
  const tcp: Socket = createConnection({ host: cn, port: tcpPort, localAddress: from });
  tcp.setNoDelay(true);
  tcp.on('data', (d: Buffer) => {
    tcpEchoed += d.length;
    recordChunk(stream, hr(), tcpEchoed);
  });
  tcp.on('error', (e) => (tcpError = e.message));
  tcp.on('close', () => (tcpClosed = true));
  await new Promise<void>((res, rej) => {
    tcp.once('connect', res);
    tcp.once('error', rej);
  });
  const pace = setInterval(() => {
    // at most 64 KiB waiting in our own buffer: during an outage the stream just pauses
    if (!tcpClosed && tcp.writableLength < 65536) {
      tcp.write(chunk);
      tcpWritten += chunk.length;
    }
  }, 10);

  const sender = new Worker(new URL('./sender.js', import.meta.url), {
    workerData: {
      ring: ring.buffers,
      from,
      target: cn,
      port: udpPort,
      replyPort,
      periodNs,
      nice,
      spinNs,
    } satisfies SenderData,
  });
  await new Promise<void>((res, rej) => {
    sender.on('message', (m: { ready?: boolean; error?: string }) => {
      if (m.ready) res();
      if (m.error) process.stderr.write(`agent: sender: ${m.error}\n`);
    });
    sender.once('error', rej);
  });
  const startedAt = hr();
  out({ ready: true, startedAt: Number(startedAt), periodNs, tcpBitsPerS });

  const reach = (addr: string, port: number, count: number): Promise<unknown> =>
    new Promise((resolve) => {
      const s = createSocket('udp6');
      const sentAt = new Map<number, bigint>();
      const rtts: number[] = [];
      let source = '';
      s.on('message', (msg) => {
        if (!isProbe(msg)) return;
        const t0 = sentAt.get(probeSeq(msg));
        if (t0 !== undefined) rtts.push(Number(hr() - t0) / 1e6);
        sentAt.delete(probeSeq(msg));
      });
      s.on('error', () => undefined);
      s.bind(0, '::', () => {
        s.connect(port, addr, () => {
          source = s.address().address;
          const b = probeDatagram(s.address().port);
          let k = 0;
          const tick = setInterval(() => {
            b.writeUInt32BE(k, 4);
            sentAt.set(k, hr());
            s.send(b);
            if (++k === count) clearInterval(tick);
          }, 20);
        });
      });
      setTimeout(
        () => {
          s.close();
          resolve({ addr, source, sent: count, answered: rtts.length, rttMs: rtts });
        },
        20 * count + 500,
      );
    });

  const handle = async (q: Request): Promise<unknown> => {
    switch (q.cmd) {
      case 'now':
        return Number(hr());
      case 'window': {
        const now = hr();
        const fromT = BigInt(Math.round(q.from ?? 0));
        const toT = BigInt(Math.round(q.to ?? Number(now)));
        const mark = q.mark === undefined ? undefined : BigInt(Math.round(q.mark));
        return {
          probe: analyseWindow(ring, fromT, toT, now, mark === undefined ? {} : { mark }),
          stream: {
            ...analyseStream(stream, fromT, toT < now ? toT : now, mark ?? fromT),
            alive: !tcpClosed && tcpError === null,
            error: tcpError,
            written: tcpWritten,
            echoed: tcpEchoed,
          },
          duplicates: ring.ctrl[Ctrl.duplicates],
          strays: ring.ctrl[Ctrl.strays],
        };
      }
      case 'reach':
        return reach(q.addr ?? '', q.port ?? 0, q.count ?? 5);
      case 'stop': {
        Atomics.store(ring.ctrl, Ctrl.stop, 1);
        clearInterval(pace);
        const sent = Atomics.load(ring.ctrl, Ctrl.head);
        await sender.terminate();
        tcp.destroy();
        rx.close();
        return { sent, tcpWritten, tcpEchoed, tcpError };
      }
      default:
        throw new Error(`unknown command ${q.cmd}`);
    }
  };

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let q: Request;
    try {
      q = JSON.parse(line) as Request;
    } catch {
      return;
    }
    handle(q).then(
      (result) => {
        out({ id: q.id, ok: true, result });
        if (q.cmd === 'stop') process.exit(0);
      },
      (e: Error) => out({ id: q.id, ok: false, error: e.message }),
    );
  });
  // the demo went away: stop
  rl.on('close', () => {
    Atomics.store(ring.ctrl, Ctrl.stop, 1);
    process.exit(0);
  });
}

const [mode, ...rest] = process.argv.slice(2);
try {
  const f = flags(rest);
  if (mode === 'serve') serve(f);
  else if (mode === 'node') await node(f);
  else
    throw new Error(
      'usage: agent.js serve --udp PORT [--tcp PORT] | node --from ADDR --cn ADDR --udp PORT --tcp PORT',
    );
} catch (e) {
  process.stderr.write(`agent: ${(e as Error).message}\n`);
  process.exit(2);
}
