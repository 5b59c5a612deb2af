#!/usr/bin/env node
/**
 * Traffic probes the demo runs inside a namespace (`ip netns exec NS node probe.js ...`),
 * so the demo needs nothing beyond Node and iproute2:
 *
 *   probe.js udp-echo-server PORT SECONDS        echo every datagram back, exit after SECONDS
 *   probe.js udp-echo-client ADDR PORT COUNT     send COUNT datagrams, print loss and RTTs (JSON)
 *   probe.js tcp-sink PORT                       accept one connection, count bytes, print JSON
 *   probe.js tcp-source ADDR PORT SECONDS        stream for SECONDS, print JSON
 */
import { createSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';

const [cmd, ...args] = process.argv.slice(2);

function out(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

if (cmd === 'udp-echo-server') {
  const [port, seconds] = args.map(Number);
  const s = createSocket('udp6');
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
  s.bind(port, '::', () => out({ listening: port }));
  setTimeout(() => s.close(), (seconds ?? 30) * 1000);
} else if (cmd === 'udp-echo-client') {
  const addr = args[0]!;
  const port = Number(args[1]);
  const count = Number(args[2] ?? 10);
  const s = createSocket('udp6');
  const sentAt = new Map<number, bigint>();
  const rtts: number[] = [];
  s.on('message', (msg) => {
    const seq = msg.readUInt32BE(0);
    const t0 = sentAt.get(seq);
    if (t0 !== undefined) {
      rtts.push(Number(process.hrtime.bigint() - t0) / 1e6);
      sentAt.delete(seq);
    }
  });
  let seq = 0;
  const timer = setInterval(() => {
    if (seq === count) {
      clearInterval(timer);
      setTimeout(() => {
        s.close();
        rtts.sort((a, b) => a - b);
        out({
          sent: count,
          received: rtts.length,
          lossPercent: (100 * (count - rtts.length)) / count,
          rttMs: rtts.length
            ? { min: rtts[0], median: rtts[rtts.length >> 1], max: rtts[rtts.length - 1] }
            : null,
        });
      }, 500);
      return;
    }
    const b = Buffer.alloc(64);
    b.writeUInt32BE(seq, 0);
    sentAt.set(seq, process.hrtime.bigint());
    s.send(b, port, addr);
    seq++;
  }, 20);
} else if (cmd === 'tcp-sink') {
  const port = Number(args[0]);
  const server = createServer((c) => {
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    c.on('data', (d) => (bytes += d.length));
    c.on('end', () => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      out({ bytes, seconds: secs, mbitPerSecond: (bytes * 8) / secs / 1e6 });
      server.close();
    });
  });
  server.listen(port, '::', () => out({ listening: port }));
} else if (cmd === 'tcp-source') {
  const addr = args[0]!;
  const port = Number(args[1]);
  const seconds = Number(args[2] ?? 3);
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const c = createConnection({ host: addr, port }, () => {
    const until = Date.now() + seconds * 1000;
    const pump = (): void => {
      while (Date.now() < until) if (!c.write(chunk)) return void c.once('drain', pump);
      c.end();
    };
    pump();
  });
  c.on('error', (e) => {
    process.stderr.write(`tcp-source: ${e.message}\n`);
    process.exit(1);
  });
} else {
  process.stderr.write(
    'usage: probe.js udp-echo-server PORT SECONDS | udp-echo-client ADDR PORT COUNT | tcp-sink PORT | tcp-source ADDR PORT SECONDS\n',
  );
  process.exit(2);
}
