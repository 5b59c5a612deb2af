/**
 * The TAP forwarder between two kernels: two namespaces, one TAP each, our process in
 * between. The kernels' own UDP and TCP stacks judge the path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { NetnsLab, inNetnsAsync, ip, requireRoot, rootOnly, sleep } from '@dmm/testkit';
import { startForwarder } from '../src/forwarder.js';

const PROBE = fileURLToPath(new URL('../src/probe.js', import.meta.url));

test('forwarder: UDP echo and a TCP stream cross between two namespaces', rootOnly(), async () => {
  requireRoot();
  const lab = new NetnsLab('dmmx');
  try {
    const nsA = lab.netns();
    const nsB = lab.netns();
    const a = lab.devName('a');
    const b = lab.devName('b');
    const f = lab.track({
      ...startForwarder({ a, b }),
      close() {
        this.stop();
      },
    });
    f.taps[0].moveToNetns(nsA);
    f.taps[1].moveToNetns(nsB);
    for (const [ns, dev, addr] of [
      [nsA, a, '2001:db8:e::a'],
      [nsB, b, '2001:db8:e::b'],
    ] as const) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'addr', 'add', `${addr}/64`, 'dev', dev, 'nodad');
    }

    const server = inNetnsAsync(nsB, process.execPath, PROBE, 'udp-echo-server', '7101', '3');
    await sleep(300);
    const client = await inNetnsAsync(
      nsA,
      process.execPath,
      PROBE,
      'udp-echo-client',
      '2001:db8:e::b',
      '7101',
      '20',
    );
    assert.equal(client.status, 0, client.stderr);
    const echo = JSON.parse(client.stdout) as { sent: number; received: number };
    assert.equal(echo.sent, 20);
    assert.ok(echo.received >= 19, `received ${echo.received}/20 (the first may wait for ND)`);
    await server;

    const sink = inNetnsAsync(nsB, process.execPath, PROBE, 'tcp-sink', '7102');
    await sleep(300);
    const source = await inNetnsAsync(
      nsA,
      process.execPath,
      PROBE,
      'tcp-source',
      '2001:db8:e::b',
      '7102',
      '1',
    );
    assert.equal(source.status, 0, source.stderr);
    const report = JSON.parse((await sink).stdout.trim().split('\n').pop()!) as { bytes: number };
    assert.ok(report.bytes > 1_000_000, `only ${report.bytes} bytes crossed`);

    const c = f.counters();
    assert.ok(c.a.rxPackets > 100 && c.b.txPackets === c.a.rxPackets, JSON.stringify(c));
    assert.deepEqual(c.drops, {});
    assert.ok(f.scheduler.breaths < c.a.rxPackets + c.b.rxPackets, 'frames were batched');
  } finally {
    lab.cleanup();
  }
});
