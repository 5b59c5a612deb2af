/**
 * The demo (`pnpm demo`, src/demo.ts) in its short mode, so it cannot rot: a copy of the
 * examples/dmm lab under its own name, the node's traffic from its first address, one
 * handover D-GW1 → D-GW2 (`dmm-lab move` + the L2 trigger) watched for a second. The demo
 * must exit 0 (every session survived), print its timeline, tables and summary, and its
 * measurements (--json) must show the move: the L2 trigger sent on the kernel's link event,
 * the probe's outage (if any datagram was lost) starting before that trigger, D-GW2's own
 * timing of the first packet through its new tunnel, the probe and the ping answered again,
 * the new prefix preferred and the first one deprecated, D-GW2 anchoring nothing but
 * tunnelling D-GW1's prefix, the TCP stream alive with data after the move, the local
 * network reachable. No assertion on how long anything took: the figures depend on the
 * machine's load and are reported, not tested.
 *
 * Root only (namespaces, bridges and TAP devices); needs the built dmmd, iproute2 and ping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_CI, IS_ROOT, requireRoot } from '@dmm/testkit';
import { defaultDmmd } from '@dmm/cli';
import type { HandoverFigures, HandoverRecord } from '@dmm/example-dmm';

const DEMO = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'demo.js');

function gate(): { skip?: string } {
  if (!IS_ROOT && !IN_CI) return { skip: 'needs root for namespaces, bridges and TAP devices' };
  if (!existsSync(defaultDmmd()) && !IN_CI) return { skip: `dmmd is not built (${defaultDmmd()})` };
  return {};
}

test(
  'demo, short mode: one handover D-GW1 → D-GW2 under the probe and the TCP stream',
  gate(),
  async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'dmml-demo-test-'));
    const json = join(dir, 'demo.json');
    try {
      const child = spawn(
        process.execPath,
        [DEMO, '--handovers', '1', '--settle', '1000', '--name', 'dmm-demo-test', '--json', json],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.equal(code, 0, `exit status\n${out}\n${err}`);

      for (const line of [
        '== Handover 1 of 1: dgw1 → dgw2 (access1 → access2, first visit)',
        "kernel: the node's port is on access2 now (netlink link event): the L2 attachment",
        'L2 trigger → dgw2: attach --mn mn@example.net --mac 02:00:00:00:0a:01',
        '≈ dgw2: first packet through the tunnel to dgw1',
        'its anchors (dmmctl --json show bindings on dgw2)',
        '== Summary',
        'Every session survived 1 handover.',
        'removing the lab (dmm-lab down)',
      ]) {
        assert.ok(out.includes(line), `output has "${line}"\n${out}`);
      }

      const { records, figures } = JSON.parse(readFileSync(json, 'utf8')) as {
        records: HandoverRecord[];
        figures: HandoverFigures[];
      };
      assert.equal(records.length, 1);
      const r = records[0]!;
      const f = figures[0]!;
      assert.deepEqual([r.from, r.to, r.link, r.firstVisit], [1, 2, 'access2', true]);
      assert.equal(r.attachError, null);
      assert.equal(r.attach?.state, 'served');

      // the L2 trigger went on the kernel's event for the node's port, after the move began
      assert.ok(r.times.linkEvent !== null, 'ip monitor reported the port on access2');
      assert.equal(f.triggerBy, 'netlink');
      assert.ok(r.times.moveStart <= r.times.linkEvent && r.times.linkEvent <= r.times.trigger);

      // the probe: its longest gap, when datagrams were lost in it, began before the trigger
      // (the path breaks when the port moves) and ended after its start; it is reported as
      // measured (only ordering is checked here, never a duration)
      const p = r.probe;
      assert.ok(p.sent > 100, `the probe ran: ${JSON.stringify(p)}`);
      if (p.outageLost > 0) {
        assert.ok(p.outageFrom < r.times.trigger, 'the outage starts before the trigger');
        assert.ok(p.outageTo > p.outageFrom && p.outageEndEcho >= p.outageTo);
        assert.ok(p.outageMs > 0 && Math.abs(p.outageMs - f.outageMs) < 0.01, 'reported');
      }
      assert.ok(p.triggerToFirstEchoMs !== null, 'a datagram sent after the trigger came back');
      // the plain ping from the same address answered around the handover too
      assert.ok(r.ping.replies > 0, `ping replies: ${JSON.stringify(r.ping)}`);
      // D-GW2's own timing for D-GW1's prefix, through the new tunnel
      const t = r.dgw.find((x) => x.anchor === 'dgw1');
      assert.ok(
        t && t.firstPacketMs !== null,
        `dgw2 timed the first packet: ${JSON.stringify(r.dgw)}`,
      );
      assert.equal(f.firstPacketBy, 'dgw2');

      // every session survived
      assert.deepEqual(r.survived, { udp: true, tcp: true, lh: true });
      assert.ok(r.stream.alive && r.stream.bytesBefore > 0 && r.stream.bytesAfter > 0);
      assert.ok(p.tailAnsweredShare >= 0.9);
      assert.equal(r.lh.source, '2001:db8:2::ff:fe00:a01', 'a new flow takes the newest prefix');

      // the node's kernel and D-GW2's state
      const a = (x: string) => r.addresses.find((y) => y.address === x);
      assert.equal(a('2001:db8:2::ff:fe00:a01')?.deprecated, false);
      assert.equal(a('2001:db8:1::ff:fe00:a01')?.deprecated, true);
      const rows = r.bindings.map((b) => [b.prefix, b.anchor, b.role, b.state]);
      assert.deepEqual(rows.sort(), [
        ['2001:db8:1::/64', 'dgw1', 'mag', 'active'],
        ['2001:db8:2::/64', 'dgw2', 'access-router', 'served'],
      ]);
      assert.equal(r.tunnels.length, 1);
      assert.equal(r.tunnels[0]!.remote, 'fd00:100::1');
      assert.ok(r.tunnels[0]!.encap.packets > 0 && r.tunnels[0]!.decap.packets > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
