/**
 * The conformance suite of `MobilityContextStore` (draft-bernardos-dmm-distributed-anchoring
 * §3–§4.2): the behaviour every backend must show, registered as node:test tests. Each
 * backend's tests call it with a harness that opens an empty store; a later backend (a
 * networked one) runs the same suite:
 *
 * ```ts
 * import { contextStoreConformance } from '@dmm/mobility-context/conformance';
 * contextStoreConformance('my backend', {
 *   async open(options) {
 *     const server = await startServer();
 *     const connect = () => MyStore.connect(server.url, options);
 *     return { store: await connect(), peer: connect, cleanup: () => server.stop() };
 *   },
 * });
 * ```
 *
 * `peer()` must open another handle on the same data (another connection, another process's
 * view): the race and visibility tests use it. Addresses are from 2001:db8::/32 (RFC 3849);
 * the DLIF MAC and link-local are the draft's §4.1 example (00:11:22:33:01:01 and its
 * EUI-64 link-local fe80::211:22ff:fe33:101).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isDmmError,
  parseIpv6Address,
  parseIpv6Prefix,
  parseMacAddress,
  type Ipv6Prefix,
} from '@dmm/core';
import { groupByAnchor } from './anchors.js';
import { ContextErrorCode } from './errors.js';
import type {
  AnchorInfo,
  ChangeKind,
  Clock,
  ContextStoreOptions,
  MobilityContextStore,
  PrefixDelegation,
  PrefixRecord,
} from './types.js';

/** A wall clock moved by hand. */
export class TestClock implements Clock {
  private t: number;

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}

export interface ConformanceStore {
  readonly store: MobilityContextStore;
  /** Another handle on the same data. */
  peer(): Promise<MobilityContextStore>;
  /** Removes what `open` created (files, servers); the handles are already closed. */
  cleanup(): Promise<void>;
}

export interface ConformanceHarness {
  /** An empty store with these options (every handle it opens uses them). */
  open(options: ContextStoreOptions & { readonly clock: Clock }): Promise<ConformanceStore>;
}

const addr = parseIpv6Address;
const pfx = (s: string): Ipv6Prefix => parseIpv6Prefix(s, true);

export const D1: AnchorInfo = {
  dgwId: 'dgw1',
  address: addr('2001:db8:ffff::1'),
  operator: 'op-a',
};
export const D2: AnchorInfo = {
  dgwId: 'dgw2',
  address: addr('2001:db8:ffff::2'),
  operator: 'op-a',
};
export const D3: AnchorInfo = {
  dgwId: 'dgw3',
  address: addr('2001:db8:eeee::3'),
  operator: 'op-b',
};

/** A delegation by `anchor` of `prefix`, with the draft's example DLIF identity. */
export function delegation(
  anchor: AnchorInfo,
  prefix: string,
  extra: Partial<PrefixDelegation> = {},
): PrefixDelegation {
  return {
    prefix: pfx(prefix),
    anchor,
    dlifMac: parseMacAddress('00:11:22:33:01:01'),
    dlifLinkLocal: addr('fe80::211:22ff:fe33:101'),
    lifetimeMs: 3_600_000,
    ...extra,
  };
}

const MN = 'mn1@example.net';
const MAC1 = parseMacAddress('02:00:00:00:00:01');
const MAC2 = parseMacAddress('02:00:00:00:00:02');

function code(c: string) {
  return (e: unknown) => {
    assert.ok(isDmmError(e, c), `expected ${c}, got ${String(e)}`);
    return true;
  };
}

/** Registers the suite for one backend. */
export function contextStoreConformance(name: string, harness: ConformanceHarness): void {
  async function run(
    options: ContextStoreOptions,
    fn: (
      s: MobilityContextStore,
      clock: TestClock,
      h: ConformanceStore,
      peers: MobilityContextStore[],
    ) => Promise<void>,
  ): Promise<void> {
    const clock = new TestClock();
    const h = await harness.open({ ...options, clock });
    const peers: MobilityContextStore[] = [];
    try {
      await fn(h.store, clock, h, peers);
    } finally {
      for (const p of peers) await p.close();
      await h.store.close();
      await h.cleanup();
    }
  }
  const withStore = (fn: Parameters<typeof run>[1]) => () => run({}, fn);

  describe(`MobilityContextStore conformance: ${name}`, () => {
    test(
      'an initial attachment creates the node: no serving D-GW, no prefixes (draft §4.2 steps 1–3)',
      withStore(async (s, clock) => {
        const t0 = clock.now();
        const ctx = await s.registerAttachment({ mnId: MN, mac: MAC1 }, 'dgw1');
        assert.ok(ctx.version > 0);
        assert.deepEqual(ctx, {
          mnId: MN,
          mac: MAC1,
          servingDgw: null,
          servingSince: null,
          lastAttachment: { dgwId: 'dgw1', at: t0 },
          version: ctx.version,
          createdAt: t0,
          updatedAt: t0,
          prefixes: [],
        });
        assert.deepEqual(await s.getContext(MN), ctx);
        assert.equal(await s.getVersion(MN), ctx.version);
        assert.equal(await s.findNodeByMac(MAC1), MN);
        assert.equal(await s.findNodeByMac(MAC2), null);
        assert.equal(await s.getContext('nobody@example.net'), null);
        assert.equal(await s.getVersion('nobody@example.net'), null);
        assert.deepEqual(await s.listPrefixes('nobody@example.net'), []);
      }),
    );

    test(
      "the draft's walk-through: attach at D-GW1, hand over to D-GW2, anchors listed (§4.2 steps 1–8)",
      withStore(async (s, clock) => {
        let ctx = await s.registerAttachment({ mnId: MN, mac: MAC1 }, 'dgw1');
        assert.deepEqual(await s.compareAndSetServing(MN, ctx.servingDgw, 'dgw1'), {
          won: true,
          servingDgw: 'dgw1',
          version: (await s.getVersion(MN))!,
        });
        const lipa = pfx('2001:db8:100::/56');
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64', { localNetworks: [lipa] }));
        clock.advance(1000);
        // step 5: the node moves to D-GW2, which learns it visited D-GW1 (step 7)
        ctx = await s.registerAttachment({ mnId: MN }, 'dgw2');
        assert.equal(ctx.servingDgw, 'dgw1');
        assert.deepEqual(ctx.lastAttachment, { dgwId: 'dgw2', at: clock.now() });
        assert.deepEqual(ctx.mac, MAC1, 'an attachment without a MAC keeps the stored one');
        assert.deepEqual(
          ctx.prefixes.map((p) => [p.anchor.dgwId, p.prefixLen, p.localNetworks.length]),
          [['dgw1', 64, 1]],
        );
        const cas = await s.compareAndSetServing(MN, 'dgw1', 'dgw2');
        assert.equal(cas.won, true);
        await s.delegatePrefix(
          MN,
          delegation(D2, '2001:db8:b::/64', {
            dlifMac: parseMacAddress('00:11:22:33:02:02'),
            dlifLinkLocal: addr('fe80::211:22ff:fe33:202'),
          }),
        );
        ctx = (await s.getContext(MN))!;
        assert.equal(ctx.servingDgw, 'dgw2');
        assert.equal(ctx.servingSince, clock.now());
        const groups = groupByAnchor(ctx.prefixes);
        assert.deepEqual(
          groups.map((g) => ({
            dgw: g.anchor.dgwId,
            n: g.prefixes.length,
            mac: g.dlifMac,
            locals: g.localNetworks,
          })),
          [
            { dgw: 'dgw1', n: 1, mac: parseMacAddress('00:11:22:33:01:01'), locals: [lipa] },
            { dgw: 'dgw2', n: 1, mac: parseMacAddress('00:11:22:33:02:02'), locals: [] },
          ],
        );
        assert.deepEqual(await s.listServedBy('dgw2'), [MN]);
        assert.deepEqual(await s.listServedBy('dgw1'), []);
        assert.deepEqual(
          (await s.listAnchoredBy('dgw1')).map((r) => r.prefix),
          [pfx('2001:db8:a::/64').prefix],
        );
      }),
    );

    test(
      'a delegation is stored field for field; Infinity lifetimes never expire',
      withStore(async (s, clock) => {
        await s.registerAttachment({ mnId: MN }, 'dgw3');
        const t0 = clock.now();
        const d = delegation(D3, '2001:db8:c:100::/56', {
          localNetworks: [pfx('2001:db8:200::/48'), pfx('2001:db8:300::1/128')],
          lifetimeMs: 90_000,
        });
        const expected: PrefixRecord = {
          mnId: MN,
          prefix: addr('2001:db8:c:100::'),
          prefixLen: 56,
          anchor: { dgwId: 'dgw3', address: addr('2001:db8:eeee::3'), operator: 'op-b' },
          dlifMac: Uint8Array.of(0x00, 0x11, 0x22, 0x33, 0x01, 0x01),
          dlifLinkLocal: addr('fe80::211:22ff:fe33:101'),
          localNetworks: [
            { prefix: addr('2001:db8:200::'), prefixLen: 48 },
            { prefix: addr('2001:db8:300::1'), prefixLen: 128 },
          ],
          state: 'active',
          delegatedAt: t0,
          lifetimeMs: 90_000,
          expiresAt: t0 + 90_000,
          releasedAt: null,
          releaseReason: null,
        };
        assert.deepEqual(await s.delegatePrefix(MN, d), expected);
        assert.deepEqual(await s.findPrefix(d.prefix), expected);
        assert.deepEqual(await s.listPrefixes(MN), [expected]);
        assert.equal(await s.findPrefix(pfx('2001:db8:c:100::/57')), null, 'exact length only');

        const inf = await s.delegatePrefix(
          MN,
          delegation(D3, '2001:db8:d::/64', { lifetimeMs: Infinity }),
        );
        assert.equal(inf.lifetimeMs, Infinity);
        assert.equal(inf.expiresAt, Infinity);
        clock.advance(10 * 365 * 86_400_000);
        await s.expire();
        assert.equal((await s.findPrefix(pfx('2001:db8:d::/64')))!.state, 'active');
        assert.equal((await s.findPrefix(d.prefix))!.releaseReason, 'expired');
      }),
    );

    test(
      'records handed out and taken in are copies',
      withStore(async (s) => {
        await s.registerAttachment({ mnId: MN, mac: MAC1 }, 'dgw1');
        const anchor = { ...D1, address: addr('2001:db8:ffff::1') };
        const d = delegation(anchor, '2001:db8:a::/64', {
          localNetworks: [pfx('2001:db8:100::/56')],
        });
        const out = await s.delegatePrefix(MN, d);
        const before = await s.findPrefix(d.prefix);
        (d.prefix.prefix as Uint8Array)[0] = 0x30;
        (d.dlifMac as Uint8Array)[5] = 0xee;
        (d.localNetworks![0]!.prefix as Uint8Array)[2] = 0xee;
        (d.anchor.address as Uint8Array)[15] = 0xee;
        (out.prefix as Uint8Array)[1] = 0xee;
        (out.anchor.address as Uint8Array)[14] = 0xee;
        (out.localNetworks[0]!.prefix as Uint8Array)[3] = 0xee;
        const ctx = (await s.getContext(MN))!;
        (ctx.mac as Uint8Array)[0] = 0xee;
        assert.deepEqual(await s.findPrefix(pfx('2001:db8:a::/64')), before);
        assert.deepEqual((await s.getContext(MN))!.mac, MAC1);
      }),
    );

    test(
      'prefixes are listed oldest delegation first, then by prefix bytes and length',
      withStore(async (s, clock) => {
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:b::/64'));
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64'));
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/63'));
        clock.advance(1);
        await s.delegatePrefix(MN, delegation(D2, '2001:db8:1::/64'));
        assert.deepEqual(
          (await s.listPrefixes(MN)).map((r) => `${r.prefix[5]}/${r.prefixLen}`),
          ['10/63', '10/64', '11/64', '1/64'],
        );
        await s.registerAttachment({ mnId: 'mn0@example.net' }, 'dgw1');
        await s.delegatePrefix('mn0@example.net', delegation(D1, '2001:db8:f::/64'));
        assert.deepEqual(
          (await s.listAnchoredBy('dgw1')).map((r) => `${r.mnId} ${r.prefix[5]}/${r.prefixLen}`),
          ['mn0@example.net 15/64', `${MN} 10/63`, `${MN} 10/64`, `${MN} 11/64`],
        );
      }),
    );

    test(
      're-delegating a prefix updates it in place and keeps its delegation time',
      withStore(async (s, clock) => {
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        const t0 = clock.now();
        await s.delegatePrefix(
          MN,
          delegation(D1, '2001:db8:a::/64', {
            localNetworks: [pfx('2001:db8:100::/56'), pfx('2001:db8:200::/56')],
          }),
        );
        clock.advance(5000);
        const r = await s.delegatePrefix(
          MN,
          delegation(D1, '2001:db8:a::/64', {
            localNetworks: [pfx('2001:db8:300::/56')],
            lifetimeMs: 10_000,
            dlifMac: MAC2,
          }),
        );
        assert.equal(r.delegatedAt, t0);
        assert.equal(r.expiresAt, clock.now() + 10_000);
        assert.deepEqual(r.localNetworks, [pfx('2001:db8:300::/56')]);
        assert.deepEqual(r.dlifMac, MAC2);
        assert.equal((await s.listPrefixes(MN, { includeReleased: true })).length, 1);
        // released, then delegated again: a new delegation
        await s.releasePrefix(pfx('2001:db8:a::/64'));
        clock.advance(5000);
        const again = await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64'));
        assert.equal(again.state, 'active');
        assert.equal(again.delegatedAt, clock.now());
        assert.equal(again.releasedAt, null);
        assert.equal(again.releaseReason, null);
        assert.deepEqual(again.localNetworks, []);
      }),
    );

    test(
      'a prefix active for another node is a conflict; one it released is taken over',
      withStore(async (s) => {
        const other = 'mn2@example.net';
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        await s.registerAttachment({ mnId: other }, 'dgw1');
        const p = pfx('2001:db8:a::/64');
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64'));
        const v = await s.getVersion(other);
        await assert.rejects(
          s.delegatePrefix(other, delegation(D1, '2001:db8:a::/64')),
          code(ContextErrorCode.Conflict),
        );
        assert.equal(await s.getVersion(other), v, 'a refused change changes nothing');
        assert.equal((await s.findPrefix(p))!.mnId, MN);
        await s.releasePrefix(p);
        const { lastSeq } = await s.changes(0);
        const taken = await s.delegatePrefix(other, delegation(D2, '2001:db8:a::/64'));
        assert.equal(taken.mnId, other);
        assert.deepEqual(await s.listPrefixes(MN, { includeReleased: true }), []);
        assert.deepEqual(
          (await s.changes(lastSeq)).changes.map((c) => [c.mnId, c.kind, c.dgwId, c.prefix]),
          [
            [MN, 'purged', 'dgw1', p],
            [other, 'delegated', 'dgw2', p],
          ],
        );
      }),
    );

    test(
      'renewing restarts the lifetime of an active prefix only',
      withStore(async (s, clock) => {
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        const p = pfx('2001:db8:a::/64');
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64', { lifetimeMs: 1000 }));
        clock.advance(900);
        const r = await s.renewPrefix(p, 2000);
        assert.equal(r!.lifetimeMs, 2000);
        assert.equal(r!.expiresAt, clock.now() + 2000);
        assert.equal((await s.renewPrefix(p, Infinity))!.expiresAt, Infinity);
        assert.equal(await s.renewPrefix(pfx('2001:db8:9::/64'), 1000), null);
        await s.releasePrefix(p);
        assert.equal(await s.renewPrefix(p, 1000), null);
        await assert.rejects(s.renewPrefix(p, 0), code(ContextErrorCode.Invalid));
      }),
    );

    test(
      'releasing marks the prefix released; only its anchor may release it when asked',
      withStore(async (s, clock) => {
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        const a = pfx('2001:db8:a::/64');
        const b = pfx('2001:db8:b::/64');
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64'));
        await s.delegatePrefix(MN, delegation(D2, '2001:db8:b::/64'));
        await assert.rejects(
          s.releasePrefix(a, { anchorDgw: 'dgw2' }),
          code(ContextErrorCode.Conflict),
        );
        assert.equal((await s.findPrefix(a))!.state, 'active');
        clock.advance(10);
        const r = await s.releasePrefix(a, { anchorDgw: 'dgw1' });
        assert.equal(r!.state, 'released');
        assert.equal(r!.releasedAt, clock.now());
        assert.equal(r!.releaseReason, 'released');
        assert.equal(await s.releasePrefix(a), null, 'already released');
        assert.equal(await s.releasePrefix(pfx('2001:db8:9::/64')), null, 'unknown');
        assert.deepEqual(
          (await s.listPrefixes(MN)).map((x) => x.prefix),
          [b.prefix],
        );
        assert.deepEqual(
          (await s.getContext(MN))!.prefixes.map((x) => x.prefix),
          [b.prefix],
        );
        assert.deepEqual(
          (await s.listPrefixes(MN, { includeReleased: true })).map((x) => x.state),
          ['released', 'active'],
        );
        assert.deepEqual(await s.listAnchoredBy('dgw1'), []);
        assert.equal((await s.listAnchoredBy('dgw1', { includeReleased: true })).length, 1);
      }),
    );

    test(
      'the version changes with every change of the node, and never repeats',
      withStore(async (s) => {
        const seen: number[] = [];
        const v = async () => seen.push((await s.getVersion(MN))!);
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        await v();
        await s.setServing(MN, 'dgw1');
        await v();
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64'));
        await v();
        await s.renewPrefix(pfx('2001:db8:a::/64'), 5000);
        await v();
        await s.releasePrefix(pfx('2001:db8:a::/64'));
        await v();
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        await v();
        for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `${seen}`);
        // no change, no new version
        const last = seen[seen.length - 1]!;
        assert.deepEqual(await s.setServing(MN, 'dgw1'), {
          won: true,
          servingDgw: 'dgw1',
          version: last,
        });
        assert.equal((await s.compareAndSetServing(MN, 'dgw1', 'dgw1')).version, last);
        await s.releasePrefix(pfx('2001:db8:a::/64'));
        assert.equal(await s.getVersion(MN), last);
        // another node's changes leave this one's version alone
        await s.registerAttachment({ mnId: 'mn2@example.net' }, 'dgw1');
        assert.equal(await s.getVersion(MN), last);
        // removed and registered again: still a new version
        assert.equal(await s.removeNode(MN), true);
        assert.equal(await s.getVersion(MN), null);
        const back = await s.registerAttachment({ mnId: MN }, 'dgw1');
        assert.ok(back.version > last);
        assert.ok(!seen.includes(back.version));
      }),
    );

    test(
      'compare-and-set of the serving D-GW: expected value, optional expected version',
      withStore(async (s) => {
        const ctx = await s.registerAttachment({ mnId: MN }, 'dgw1');
        const lost = await s.compareAndSetServing(MN, 'dgw9', 'dgw1');
        assert.deepEqual(lost, { won: false, servingDgw: null, version: ctx.version });
        const won = await s.compareAndSetServing(MN, null, 'dgw1', {
          expectedVersion: ctx.version,
        });
        assert.equal(won.won, true);
        assert.ok(won.version > ctx.version);
        // stale version: something changed since the caller looked
        const stale = await s.compareAndSetServing(MN, 'dgw1', 'dgw2', {
          expectedVersion: ctx.version,
        });
        assert.deepEqual(stale, { won: false, servingDgw: 'dgw1', version: won.version });
        const moved = await s.compareAndSetServing(MN, 'dgw1', 'dgw2', {
          expectedVersion: won.version,
        });
        assert.equal(moved.won, true);
        assert.equal(moved.servingDgw, 'dgw2');
        // detach: the serving D-GW clears itself
        const off = await s.compareAndSetServing(MN, 'dgw2', null);
        assert.equal(off.won, true);
        const c = (await s.getContext(MN))!;
        assert.equal(c.servingDgw, null);
        assert.equal(c.servingSince, null);
        await assert.rejects(
          s.compareAndSetServing('nobody', null, 'dgw1'),
          code(ContextErrorCode.UnknownNode),
        );
        await assert.rejects(s.setServing('nobody', 'dgw1'), code(ContextErrorCode.UnknownNode));
      }),
    );

    test(
      'handles racing for one node during a handover: exactly one compare-and-set wins',
      withStore(async (s, _clock, h, peers) => {
        peers.push(await h.peer(), await h.peer());
        const handles = [s, ...peers];
        for (let i = 0; i < 20; i++) {
          const mn = `race${i}@example.net`;
          await s.registerAttachment({ mnId: mn }, 'dgw1');
          await s.setServing(mn, 'dgw1');
          const results = await Promise.all(
            handles.map((x, k) => x.compareAndSetServing(mn, 'dgw1', `dgw-new-${k}`)),
          );
          const winners = results.filter((r) => r.won);
          assert.equal(winners.length, 1, `node ${mn}: ${JSON.stringify(results)}`);
          const winner = winners[0]!.servingDgw;
          for (const r of results) assert.equal(r.servingDgw, winner);
          for (const x of handles) assert.equal((await x.getContext(mn))!.servingDgw, winner);
        }
      }),
    );

    test(
      'a change made through one handle is seen whole through another',
      withStore(async (s, _clock, h, peers) => {
        const p = await h.peer();
        peers.push(p);
        await s.registerAttachment({ mnId: MN, mac: MAC1 }, 'dgw1');
        await s.delegatePrefix(
          MN,
          delegation(D1, '2001:db8:a::/64', { localNetworks: [pfx('2001:db8:100::/56')] }),
        );
        assert.deepEqual(await p.getContext(MN), await s.getContext(MN));
        assert.deepEqual(await p.changes(0), await s.changes(0));
        assert.equal(await p.findNodeByMac(MAC1), MN);
        await p.releasePrefix(pfx('2001:db8:a::/64'));
        assert.deepEqual(await s.listPrefixes(MN), []);
      }),
    );

    test(
      "a node's MAC is unique, can change, and is kept when an attachment names none",
      withStore(async (s) => {
        await s.registerAttachment({ mnId: MN, mac: MAC1 }, 'dgw1');
        await assert.rejects(
          s.registerAttachment({ mnId: 'mn2@example.net', mac: MAC1 }, 'dgw1'),
          code(ContextErrorCode.Conflict),
        );
        assert.equal(
          await s.getContext('mn2@example.net'),
          null,
          'a refused attachment creates nothing',
        );
        await s.registerAttachment({ mnId: MN, mac: MAC2 }, 'dgw2');
        assert.equal(await s.findNodeByMac(MAC1), null);
        assert.equal(await s.findNodeByMac(MAC2), MN);
        await s.registerAttachment({ mnId: 'mn2@example.net', mac: MAC1 }, 'dgw1');
        assert.equal(await s.findNodeByMac(MAC1), 'mn2@example.net');
        await s.removeNode(MN);
        assert.equal(await s.findNodeByMac(MAC2), null);
      }),
    );

    test(
      'malformed values are refused and change nothing',
      withStore(async (s) => {
        const bad = code(ContextErrorCode.Invalid);
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        const v = await s.getVersion(MN);
        const refuse = async (d: Partial<PrefixDelegation>) =>
          assert.rejects(s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64', d)), bad);
        await refuse({ prefix: { prefix: addr('2001:db8:a::1'), prefixLen: 64 } }); // host bits
        await refuse({ prefix: { prefix: addr('2001:db8:a::'), prefixLen: 0 } });
        await refuse({ prefix: { prefix: addr('2001:db8:a::'), prefixLen: 129 } });
        await refuse({ prefix: { prefix: new Uint8Array(15), prefixLen: 64 } });
        await refuse({ dlifLinkLocal: addr('2001:db8::1') }); // not fe80::/10
        await refuse({ dlifMac: new Uint8Array(0) });
        await refuse({ anchor: { ...D1, address: addr('ff02::1') } });
        await refuse({ anchor: { ...D1, address: new Uint8Array(16) } });
        await refuse({ anchor: { ...D1, dgwId: '' } });
        await refuse({ anchor: { ...D1, operator: '' } });
        await refuse({ lifetimeMs: 0 });
        await refuse({ lifetimeMs: -1 });
        await refuse({ lifetimeMs: 1.5 });
        await refuse({ lifetimeMs: Number.NaN });
        await refuse({ localNetworks: [pfx('2001:db8:100::/56'), pfx('2001:db8:100::/56')] });
        await refuse({ localNetworks: [{ prefix: addr('2001:db8:100::1'), prefixLen: 56 }] });
        await assert.rejects(s.registerAttachment({ mnId: '' }, 'dgw1'), bad);
        await assert.rejects(
          s.registerAttachment({ mnId: MN, mac: new Uint8Array(5) }, 'dgw1'),
          bad,
        );
        await assert.rejects(s.registerAttachment({ mnId: MN }, ''), bad);
        await assert.rejects(s.changes(-1), bad);
        await assert.rejects(s.changes(0, 0), bad);
        await assert.rejects(
          s.delegatePrefix('nobody@example.net', delegation(D1, '2001:db8:a::/64')),
          code(ContextErrorCode.UnknownNode),
        );
        assert.equal(await s.getVersion(MN), v);
        assert.deepEqual(await s.listPrefixes(MN, { includeReleased: true }), []);
      }),
    );

    test('expiry: lifetimes, then released records, then idle nodes, then the change feed', () =>
      run(
        { releasedRetentionMs: 10_000, idleNodeRetentionMs: 20_000, changeRetentionMs: 60_000 },
        async (s, clock) => {
          await s.registerAttachment({ mnId: MN }, 'dgw1');
          const t0 = clock.now();
          await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64', { lifetimeMs: 1000 }));
          await s.delegatePrefix(MN, delegation(D1, '2001:db8:b::/64', { lifetimeMs: 5000 }));
          await s.delegatePrefix(MN, delegation(D2, '2001:db8:c::/64', { lifetimeMs: 5000 }));
          const none = {
            expiredPrefixes: 0,
            purgedPrefixes: 0,
            removedNodes: 0,
            trimmedChanges: 0,
          };
          clock.advance(999);
          assert.deepEqual(await s.expire(), none);
          clock.advance(1); // t0 + 1000: exactly the expiry time of 2001:db8:a::/64
          const { lastSeq } = await s.changes(0);
          assert.deepEqual(await s.expire(), { ...none, expiredPrefixes: 1 });
          const a = (await s.findPrefix(pfx('2001:db8:a::/64')))!;
          assert.equal(a.state, 'released');
          assert.equal(a.releaseReason, 'expired');
          assert.equal(a.releasedAt, t0 + 1000);
          assert.equal((await s.getContext(MN))!.prefixes.length, 2);
          assert.deepEqual(
            (await s.changes(lastSeq)).changes.map((c) => [c.kind, c.dgwId, c.prefix, c.at]),
            [['expired', 'dgw1', pfx('2001:db8:a::/64'), t0 + 1000]],
          );
          clock.advance(4000); // t0 + 5000: the other two, in MN-ID / prefix order
          const before = (await s.changes(0)).lastSeq;
          assert.deepEqual(await s.expire(), { ...none, expiredPrefixes: 2 });
          assert.deepEqual(
            (await s.changes(before)).changes.map((c) => [c.kind, c.prefix]),
            [
              ['expired', pfx('2001:db8:b::/64')],
              ['expired', pfx('2001:db8:c::/64')],
            ],
          );
          clock.advance(5999); // t0 + 10999: a released 9999 ms ago, kept 10000
          assert.deepEqual(await s.expire(), none);
          clock.advance(1);
          assert.deepEqual(await s.expire(), { ...none, purgedPrefixes: 1 });
          assert.equal(await s.findPrefix(pfx('2001:db8:a::/64')), null);
          clock.advance(4000); // t0 + 15000
          assert.deepEqual(await s.expire(), { ...none, purgedPrefixes: 2 });
          assert.deepEqual(await s.listPrefixes(MN, { includeReleased: true }), []);
          assert.notEqual(await s.getContext(MN), null, 'idle only since t0 + 15000');
          clock.advance(19_999);
          assert.deepEqual(await s.expire(), none);
          clock.advance(1); // t0 + 35000: idle for 20000 ms
          assert.deepEqual(await s.expire(), { ...none, removedNodes: 1 });
          assert.equal(await s.getContext(MN), null);
          const feed = await s.changes(0);
          assert.equal(feed.changes.at(-1)!.kind, 'removed');
          assert.equal(feed.changes.at(-1)!.mnId, MN);
          // the feed: everything before t0 + 35000 - 60000 goes, a whole prefix of it
          clock.advance(60_000);
          const r = await s.expire();
          assert.deepEqual(r, { ...none, trimmedChanges: feed.changes.length });
          const after = await s.changes(0);
          assert.deepEqual(after, { changes: [], lastSeq: feed.lastSeq, missed: true });
          assert.equal((await s.changes(feed.lastSeq)).missed, false);
        },
      ));

    test(
      'the change feed: contiguous sequence numbers, every change in order, paging',
      withStore(async (s, clock) => {
        const t0 = clock.now();
        assert.deepEqual(await s.changes(0), { changes: [], lastSeq: 0, missed: false });
        await s.registerAttachment({ mnId: MN }, 'dgw1');
        await s.compareAndSetServing(MN, null, 'dgw1');
        await s.delegatePrefix(MN, delegation(D1, '2001:db8:a::/64'));
        await s.renewPrefix(pfx('2001:db8:a::/64'), 1000);
        await s.releasePrefix(pfx('2001:db8:a::/64'));
        await s.setServing(MN, null);
        await s.removeNode(MN);
        const all = await s.changes(0);
        const kinds: ChangeKind[] = [
          'attached',
          'serving',
          'delegated',
          'renewed',
          'released',
          'serving',
          'removed',
        ];
        assert.equal(all.missed, false);
        assert.equal(all.lastSeq, all.changes.at(-1)!.seq);
        assert.deepEqual(
          all.changes.map((c) => [c.kind, c.mnId, c.dgwId, c.prefix, c.at]),
          kinds.map((k, i) => [
            k,
            MN,
            ['dgw1', 'dgw1', 'dgw1', 'dgw1', 'dgw1', null, null][i],
            i >= 2 && i <= 4 ? pfx('2001:db8:a::/64') : null,
            t0,
          ]),
        );
        all.changes.forEach((c, i) => assert.equal(c.seq, all.changes[0]!.seq + i));
        const page1 = await s.changes(0, 3);
        const page2 = await s.changes(page1.changes.at(-1)!.seq, 3);
        const page3 = await s.changes(page2.changes.at(-1)!.seq, 3);
        assert.deepEqual([...page1.changes, ...page2.changes, ...page3.changes], all.changes);
        assert.deepEqual((await s.changes(all.lastSeq)).changes, []);
      }),
    );

    test(
      'removing a node removes its prefix records',
      withStore(async (s) => {
        await s.registerAttachment({ mnId: MN, mac: MAC1 }, 'dgw1');
        await s.delegatePrefix(
          MN,
          delegation(D1, '2001:db8:a::/64', { localNetworks: [pfx('2001:db8:100::/56')] }),
        );
        await s.delegatePrefix(MN, delegation(D2, '2001:db8:b::/64'));
        await s.releasePrefix(pfx('2001:db8:b::/64'));
        assert.equal(await s.removeNode(MN), true);
        assert.equal(await s.removeNode(MN), false);
        assert.equal(await s.findPrefix(pfx('2001:db8:a::/64')), null);
        assert.equal(await s.findPrefix(pfx('2001:db8:b::/64')), null);
        assert.deepEqual(await s.listAnchoredBy('dgw1', { includeReleased: true }), []);
        // the prefix is free for another node
        await s.registerAttachment({ mnId: 'mn2@example.net' }, 'dgw1');
        await s.delegatePrefix('mn2@example.net', delegation(D1, '2001:db8:a::/64'));
      }),
    );

    test(
      'a closed handle refuses every call',
      withStore(async (_s, _clock, h) => {
        const p = await h.peer();
        await p.close();
        await p.close(); // twice is fine
        const closed = code(ContextErrorCode.Closed);
        await assert.rejects(p.getContext(MN), closed);
        await assert.rejects(p.registerAttachment({ mnId: MN }, 'dgw1'), closed);
        await assert.rejects(p.expire(), closed);
        await assert.rejects(p.changes(0), closed);
      }),
    );
  });
}
