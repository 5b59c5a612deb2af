#!/usr/bin/env node
/**
 * The demo: two Linux hosts, each in its own network namespace, exchange traffic
 * through dmm-router's TAP forwarder running in this process.
 *
 *   host A (netns dmm-demo-a)               host B (netns dmm-demo-b)
 *   dmmdemo-a 2001:db8:d::a/64              dmmdemo-b 2001:db8:d::b/64
 *        │  TAP                                   TAP  │
 *        └────── this process: read batch → graph → write batch ──────┘
 *
 * It pings both ways, runs a short TCP stream when iperf3 is installed, prints what the
 * forwarder counted, and removes everything it created. Needs root (CAP_NET_ADMIN).
 */
import { startForwarder, type Forwarder } from './forwarder.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { addNetns, deleteNetns, have, run, runAsync } from './netns.js';

const PROBE = fileURLToPath(new URL('./probe.js', import.meta.url));

/**
 * Starts probe `serverArgs` in `serverNs`, waits until it listens, runs `clientArgs` in
 * `clientNs`, and returns the JSON line of the side that reports (the server for a TCP
 * sink, the client for UDP echo).
 */
async function probePair(
  serverNs: string,
  serverArgs: string[],
  clientNs: string,
  clientArgs: string[],
  reportFromServer = false,
): Promise<string> {
  const server = spawn('ip', ['netns', 'exec', serverNs, process.execPath, PROBE, ...serverArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const serverLines: string[] = [];
  let onLine: (() => void) | null = null;
  server.stdout.setEncoding('utf8').on('data', (d: string) => {
    serverLines.push(...d.split('\n').filter(Boolean));
    onLine?.();
  });
  await new Promise<void>((resolve, reject) => {
    onLine = () => serverLines.length > 0 && resolve();
    server.once('exit', (code) => reject(new Error(`probe server exited (${code})`)));
  });
  const client = (await runAsync(process.execPath, [PROBE, ...clientArgs], clientNs)).trim();
  if (!reportFromServer) {
    server.kill();
    return client;
  }
  await new Promise<void>((resolve) => {
    onLine = () => serverLines.length > 1 && resolve();
    onLine();
    setTimeout(resolve, 5000);
  });
  server.kill();
  return serverLines[1] ?? 'no report from the TCP sink';
}

const NS_A = 'dmm-demo-a';
const NS_B = 'dmm-demo-b';
const TAP_A = 'dmmdemo-a';
const TAP_B = 'dmmdemo-b';
const ADDR_A = '2001:db8:d::a';
const ADDR_B = '2001:db8:d::b';

function step(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

function cleanup(fwd: Forwarder | null): void {
  fwd?.stop();
  deleteNetns(NS_A);
  deleteNetns(NS_B);
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo: needs root (CAP_NET_ADMIN) to create TAP devices and namespaces\n');
    return 1;
  }
  let fwd: Forwarder | null = null;
  const onSignal = (): void => {
    cleanup(fwd);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    step('creating two hosts in network namespaces');
    addNetns(NS_A);
    addNetns(NS_B);
    fwd = startForwarder({ a: TAP_A, b: TAP_B });
    const [tapA, tapB] = fwd.taps;
    tapA.moveToNetns(NS_A);
    tapB.moveToNetns(NS_B);
    for (const [ns, dev, addr] of [
      [NS_A, TAP_A, ADDR_A],
      [NS_B, TAP_B, ADDR_B],
    ] as const) {
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      run('ip', ['-n', ns, '-6', 'addr', 'add', `${addr}/64`, 'dev', dev, 'nodad']);
      process.stdout.write(
        `  ${ns}: ${dev} ${addr}/64 mac ${ns === NS_A ? tapA.macString : tapB.macString}\n`,
      );
    }

    step(`UDP echo: 50 datagrams from host A to ${ADDR_B} and back`);
    const echo = await probePair(NS_B, ['udp-echo-server', '7007', '10'], NS_A, [
      'udp-echo-client',
      ADDR_B,
      '7007',
      '50',
    ]);
    process.stdout.write(`  ${echo}\n`);
    if (have('ping')) {
      step(`ping ${ADDR_A} from host B (the kernel's own ICMPv6 echo)`);
      process.stdout.write(
        await runAsync('ping', ['-6', '-c', '3', '-i', '0.2', '-W', '2', ADDR_A], NS_B),
      );
    }

    step('TCP stream from host A to host B for 3 s');
    const tcp = await probePair(
      NS_B,
      ['tcp-sink', '7008'],
      NS_A,
      ['tcp-source', ADDR_B, '7008', '3'],
      true,
    );
    process.stdout.write(`  ${tcp}\n`);

    step('forwarder counters');
    const c = fwd.counters();
    process.stdout.write(
      `  ${TAP_A}: rx ${c.a.rxPackets} packets / ${c.a.rxBytes} bytes, tx ${c.a.txPackets} packets, tx dropped ${c.a.txDropped}\n` +
        `  ${TAP_B}: rx ${c.b.rxPackets} packets / ${c.b.rxBytes} bytes, tx ${c.b.txPackets} packets, tx dropped ${c.b.txDropped}\n` +
        `  breaths: ${fwd.scheduler.breaths} (${((c.a.rxPackets + c.b.rxPackets) / Math.max(1, fwd.scheduler.breaths)).toFixed(2)} frames per breath)\n` +
        `  drops: ${JSON.stringify(c.drops)}\n`,
    );
    step('done: removing namespaces and TAP devices');
    return 0;
  } catch (e) {
    process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    cleanup(fwd);
  }
}

process.exitCode = await main();
