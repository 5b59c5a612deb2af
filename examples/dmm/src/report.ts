/**
 * The demo's text: a timeline of each handover (ms since the run started), the state
 * after it (the node's addresses, the serving D-GW's bindings and tunnels, the sessions),
 * and a summary across the walk.
 */
import type { AddressInfo } from '@dmm/cli';
import {
  LH,
  MN_ID,
  MN_MAC,
  dgwName,
  figures,
  nodeAddress,
  type HandoverRecord,
} from './handover.js';

/** Rows under a header, columns padded; columns listed in `right` are right-aligned. */
export function table(
  header: string[],
  rows: string[][],
  opts: { indent?: string; right?: number[] } = {},
): string[] {
  const indent = opts.indent ?? '    ';
  const right = new Set(opts.right ?? []);
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    indent +
    cells
      .map((c, i) =>
        right.has(i) ? c.padStart(width[i]!) : i === cells.length - 1 ? c : c.padEnd(width[i]!),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function fmtMs(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? '-' : x.toFixed(digits);
}

export function fmtBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** `  12345.6  text` — a timeline line at `at` ms since the start. */
export function at(ms: number, text: string): string {
  return `${ms.toFixed(1).padStart(9)}  ${text}`;
}

function lifetime(x: number | 'forever'): string {
  return x === 'forever' ? 'forever' : `${x} s`;
}

function addressState(a: AddressInfo): string {
  if (a.tentative) return 'tentative (DAD)';
  return a.deprecated ? 'deprecated' : 'preferred';
}

/**
 * The timeline of one handover: what the demo did, what the probe saw, and what the
 * serving D-GW reports (its timings are taken from its own L2 trigger, placed on the
 * demo's clock at the moment the trigger was sent: `≈`).
 */
export function timeline(r: HandoverRecord): string[] {
  const t = r.times;
  const to = dgwName(r.to);
  const p = r.probe;
  const ev: { at: number; text: string }[] = [];
  ev.push({
    at: t.moveStart,
    text: `dmm-lab move mn:eth0 ${r.link} (the node's bridge port changes link; the node is not told)`,
  });
  if (t.linkEvent !== null) {
    ev.push({
      at: t.linkEvent,
      text: `  kernel: the node's port is on ${r.link} now (netlink link event): the L2 attachment`,
    });
  }
  ev.push({ at: t.moveEnd, text: `  dmm-lab move returns (${fmtMs(t.moveEnd - t.moveStart)} ms)` });
  if (p.outageLost > 0) {
    ev.push({
      at: p.outageFrom,
      text: `  probe: the last datagram answered before the outage is sent`,
    });
    ev.push({
      at: p.outageTo,
      text: `  probe: the first datagram to get through again is sent (${p.outageLost} lost in between)`,
    });
    ev.push({
      at: p.outageEndEcho,
      text: `  probe: its echo is back at the node — outage ${fmtMs(p.outageMs, 2)} ms`,
    });
  } else {
    ev.push({ at: t.trigger, text: '  probe: no datagram lost' });
  }
  for (const g of p.lossyGaps) {
    if (g.from === p.outageFrom) continue;
    ev.push({
      at: g.from,
      text: `  probe: another loss, ${g.lost} datagrams in ${fmtMs(g.to - g.from, 2)} ms`,
    });
  }
  ev.push({
    at: t.trigger,
    text: `L2 trigger → ${to}: attach --mn ${MN_ID} --mac ${MN_MAC}`,
  });
  const own = r.dgw.find((d) => d.cause !== 'l2');
  if (own !== undefined) {
    // the D-GW saw the node (its frames or its RS) before the trigger: its times count from then
    ev.push({
      at: t.trigger,
      text: `  ${to} had attached the node on its own (${own.cause}): its ≈ times count from that`,
    });
  }
  for (const d of r.dgw) {
    const pfx = r.bindings.find((b) => b.anchor === d.anchor)?.prefix ?? d.anchor;
    ev.push({
      at: t.trigger + d.pbuSentMs,
      text: `  ≈ ${to}: PBU to ${d.anchor} for ${pfx} (trigger + ${fmtMs(d.pbuSentMs, 2)} ms)`,
    });
    ev.push({
      at: t.trigger + d.pbaMs,
      text: `  ≈ ${to}: PBA from ${d.anchor} (trigger + ${fmtMs(d.pbaMs, 2)} ms)`,
    });
    if (d.firstPacketMs !== null) {
      ev.push({
        at: t.trigger + d.firstPacketMs,
        text: `  ≈ ${to}: first packet through the tunnel to ${d.anchor}, ${d.firstDirection} (trigger + ${fmtMs(d.firstPacketMs, 2)} ms)`,
      });
    }
  }
  ev.push({
    at: t.attachReply,
    text: r.attach
      ? `  ${to} answers the attach: ${r.attach.state}; ${r.attach.prefixes.map((x) => `${x.prefix} ${x.role} ${x.state}`).join(', ')}`
      : `  ${to} refuses the attach: ${r.attachError}`,
  });
  if (t.addressReady !== null) {
    ev.push({
      at: t.addressReady,
      text: `  mn: ${nodeAddress(r.to)} usable (from ${to}'s RA, after DAD)`,
    });
  }
  if (t.addressesSettled !== null) {
    ev.push({
      at: t.addressesSettled,
      text: `  mn: ${nodeAddress(r.to)} preferred, every earlier address deprecated`,
    });
  }
  ev.push({
    at: t.windowEnd,
    text: `window closed (trigger + ${fmtMs(t.windowEnd - t.trigger, 0)} ms)`,
  });
  ev.sort((a, b) => a.at - b.at);
  return ev.map((e) => at(e.at, e.text));
}

/** The state after one handover, as tables. */
export function stateTables(r: HandoverRecord): string[] {
  const to = dgwName(r.to);
  const out: string[] = [];
  out.push(`  the node (ip -6 -j addr in its namespace; global addresses)`);
  out.push(
    ...table(
      ['address', 'state', 'valid', 'preferred'],
      r.addresses.map((a) => [
        `${a.address}/${a.prefixLen}`,
        addressState(a),
        lifetime(a.validLifetime),
        lifetime(a.preferredLifetime),
      ]),
    ),
  );
  out.push(`  its anchors (dmmctl --json show bindings on ${to})`);
  out.push(
    ...table(
      ['prefix', 'anchor', 'role', 'DLIF', 'tunnel', 'left', 'state'],
      r.bindings.map((b) => [
        b.prefix,
        b.anchor,
        b.role,
        b.dlif ?? '-',
        b.tunnel === null ? '-' : String(b.tunnel),
        b.lifetimeLeft === null ? '-' : `${b.lifetimeLeft} s`,
        b.state,
      ]),
    ),
  );
  out.push(`  tunnels (show tunnels on ${to})`);
  out.push(
    ...(r.tunnels.length === 0
      ? ['    none: every prefix the node uses is served here without one']
      : table(
          ['id', 'local', 'remote', 'refs', 'packets out', 'packets in'],
          r.tunnels.map((x) => [
            String(x.id),
            x.local,
            x.remote,
            String(x.refs),
            String(x.encap.packets),
            String(x.decap.packets),
          ]),
          { right: [3, 4, 5] },
        )),
  );
  const f = figures(r);
  const p = r.probe;
  const s = r.stream;
  const ok = (b: boolean): string => (b ? 'yes' : 'NO');
  out.push(`  sessions (from ${nodeAddress(1)}, the node's first address)`);
  out.push(
    ...table(
      ['', ''],
      [
        [
          'UDP probe',
          `${p.sent} sent, ${p.lost} lost; outage ${fmtMs(p.outageMs, 2)} ms` +
            ` (${p.outageLost} lost in a row), ${fmtMs(p.silenceMs)} ms without an echo; RTT median ${fmtMs(p.rttMedianMs, 2)} ms`,
        ],
        [
          'first packet',
          f.firstPacketBy === 'probe'
            ? `trigger → first echo ${fmtMs(p.triggerToFirstEchoMs)} ms (the prefix is ${to}'s own: no tunnel)`
            : `trigger → first packet through the new tunnel ${fmtMs(f.triggerToFirstPacketMs)} ms (${to}, ${f.firstDirection}); → first echo ${fmtMs(p.triggerToFirstEchoMs)} ms`,
        ],
        [
          'ping',
          `every 10 ms (ICMPv6): ${r.ping.replies} replies, ${r.ping.lost} lost; longest gap ${fmtMs(r.ping.longestGapMs)} ms`,
        ],
        [
          'TCP stream',
          `${s.alive ? 'alive' : `CLOSED (${s.error ?? 'closed'})`}: ${fmtBytes(s.bytesBefore)} echoed before the move, ${fmtBytes(s.bytesAfter)} after; longest stall ${fmtMs(s.stallMs)} ms`,
        ],
        [
          `local network`,
          `lh ${LH} ${r.lh.answered > 0 ? 'reachable' : 'NOT reachable'} from ${r.lh.source || '?'}: ${r.lh.answered}/${r.lh.sent} answered` +
            (r.lh.rttMs.length > 0 ? `, RTT ${fmtMs(Math.min(...r.lh.rttMs), 2)} ms min` : ''),
        ],
        [
          'survived',
          `UDP ${ok(r.survived.udp)}, TCP ${ok(r.survived.tcp)}, local network ${ok(r.survived.lh)}`,
        ],
      ],
    ).slice(1),
  );
  return out;
}

/** The summary table across the handovers. */
export function summary(records: HandoverRecord[]): string[] {
  const fs = records.map(figures);
  const out: string[] = [];
  out.push(
    ...table(
      [
        'handover',
        'lost',
        'outage ms',
        'no echo ms',
        'trigger→1st packet ms',
        'trigger→1st echo ms',
        'ping lost',
        'TCP',
        'lh',
      ],
      fs.map((f, i) => [
        f.handover,
        String(f.outageLost),
        fmtMs(f.outageMs, 2),
        fmtMs(f.silenceMs),
        `${fmtMs(f.triggerToFirstPacketMs)} (${f.firstPacketBy})`,
        fmtMs(f.triggerToFirstEchoMs),
        String(f.pingLost),
        records[i]!.survived.tcp ? 'survived' : 'LOST',
        records[i]!.survived.lh ? 'yes' : 'NO',
      ]),
      { right: [1, 2, 3, 4, 5, 6] },
    ),
  );
  out.push('');
  out.push('  where the outage goes (ms)');
  out.push(
    ...table(
      [
        'handover',
        'break→trigger',
        'trigger→PBU',
        'PBU→PBA',
        'attach answered',
        'trigger→path back',
        'sender pause',
      ],
      fs.map((f) => [
        f.handover,
        fmtMs(f.breakToTriggerMs),
        fmtMs(f.triggerToPbuMs),
        fmtMs(f.pbuToPbaMs),
        fmtMs(f.attachMs),
        fmtMs(f.triggerToRestoreMs),
        fmtMs(f.breakSendGapMs),
      ]),
      { right: [1, 2, 3, 4, 5, 6] },
    ),
  );
  return out;
}

/** The lab (examples/dmm/topology.yaml). */
export const DRAWING = [
  '                      cn fd00:100::99',
  '                            │',
  '   ──┬──────────────────────┴──┬──────────────────────────┬──  backbone fd00:100::/64',
  '     │ fd00:100::1             │ fd00:100::2              │ fd00:100::3',
  '  [dgw1] ── localnet ── lh   [dgw2]                     [dgw3]',
  '     │     2001:db8:99::10     │                          │',
  '  access1                   access2                    access3',
  '  pool 2001:db8:1::/48      pool 2001:db8:2::/48       pool 2001:db8:3::/48',
  '     │',
  '     mn  (02:00:00:00:0a:01) walked access1 → access2 → access3 → access1',
];

/** What the summary's columns mean. */
export const LEGEND = [
  '  lost: probe datagrams lost in a row; outage: the longest gap between answered probe',
  '  datagrams (their send times: 250 µs resolution); no echo: the longest time the node got',
  '  no echo (datagrams held in a queue during the handover arrive late, not lost);',
  "  trigger→1st packet: the serving D-GW's own time from the L2 trigger to the first packet",
  "  of the probe's prefix through its new tunnel (show dgw), or where that prefix is the",
  "  D-GW's own again, the probe's first echo; ping lost: echo requests of the 10 ms ping lost.",
  '  break→trigger: the last answer before the outage → the L2 trigger (the kernel moving the',
  '  port, its netlink event reaching the demo); trigger→path back: → the first datagram sent',
  "  that was answered; sender pause: the probe's own longest stall from the move to the path's",
  '  return (a busy machine): a pause longer than the outage hides it (nothing sent, nothing lost).',
];
