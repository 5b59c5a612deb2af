/**
 * Neighbor Solicitations for our addresses and the Neighbor Advertisements we answer with
 * (RFC 4861 §7.2.3, §7.2.4), byte for byte; invalid ND messages of every type, each
 * counted under its own name (§6.1.1, §6.1.2, §7.1.1, §7.1.2, §8.1).
 *
 * Expected frames were built with scapy 2.5.0 (Debian python3-scapy), e.g.
 *   Ether(dst='02:00:00:00:00:99', src='02:00:00:00:00:0a')/IPv6(src='2001:db8:1::1',
 *   dst='fe80::99', hlim=255)/ICMPv6ND_NA(R=1,S=1,O=1,tgt='2001:db8:1::1')/
 *   ICMPv6NDOptDstLLAddr(lladdr='02:00:00:00:00:0a')
 * and `bytes(p).hex()`; the expression of each is next to its literal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NeighborState } from '@dmm/core';
import { assertBytes, hex, parseIpv6 } from '@dmm/testkit';
import { Icmpv6Type, solicitedNodeMulticast, multicastMacFor } from '@dmm/wire';
import {
  ALL_NODES,
  H_GLOBAL,
  H_LL,
  H_MAC,
  R_GLOBAL,
  R_LL,
  R_MAC,
  UNSPEC,
  bench,
  icmpFrame,
  naMsg,
  nsMsg,
  outOfType,
  parseNa,
  raMsg,
  rsMsg,
} from './harness.js';

function snMac(addr: Uint8Array): Uint8Array {
  const m = new Uint8Array(6);
  multicastMacFor(solicitedNodeMulticast(addr), 0, m, 0);
  return m;
}

/** A multicast NS from the host for `target`, with the host's SLLA. */
function nsFor(target: Uint8Array, src = H_LL, hopLimit = 255): Uint8Array {
  return icmpFrame(
    { dstMac: snMac(target), src, dst: solicitedNodeMulticast(target), hopLimit },
    nsMsg(target, [{ kind: 'source-lla', addr: H_MAC }]),
  );
}

test('NS for our global address → NA to the soliciter: R S O, TLLA, byte-exact; host cached', async (t) => {
  const b = await bench(t);
  const states: number[] = [];
  b.router.events.on('neighbor:changed', (_id, _if, st) => states.push(st));
  b.inject(nsFor(R_GLOBAL));
  const sent = b.take();
  assert.equal(sent.length, 1);
  // scapy: Ether(dst=HM, src=RM)/IPv6(src='2001:db8:1::1', dst='fe80::99', hlim=255)/
  //        ICMPv6ND_NA(R=1,S=1,O=1,tgt='2001:db8:1::1')/ICMPv6NDOptDstLLAddr(lladdr=RM)
  assertBytes(
    sent[0]!,
    hex`02000000009902000000000a86dd6000000000203aff20010db8000100000000000000000001
        fe80000000000000000000000000009988003909e000000020010db8000100000000000000000001
        020102000000000a`,
  );
  assert.equal(b.counter('nd-ns-input.answered'), 1);
  // §7.2.3: the SLLA created a STALE entry for the soliciter; sending it our NA moved it
  // to DELAY (§7.3.3)
  const id = b.router.neighbors.lookup(0, H_LL, 0);
  assert.ok(id >= 0);
  assert.deepEqual(states, [NeighborState.Stale, NeighborState.Delay]);
  assert.equal(b.router.neighbors.state[id], NeighborState.Delay);
  assert.ok(b.router.neighbors.macEquals(id, H_MAC));
});

test('NS for our link-local address → NA from the link-local, byte-exact', async (t) => {
  const b = await bench(t);
  b.inject(nsFor(R_LL));
  // scapy: Ether(dst=HM, src=RM)/IPv6(src='fe80::1', dst='fe80::99', hlim=255)/
  //        ICMPv6ND_NA(R=1,S=1,O=1,tgt='fe80::1')/ICMPv6NDOptDstLLAddr(lladdr=RM)
  assertBytes(
    b.take()[0]!,
    hex`02000000009902000000000a86dd6000000000203afffe800000000000000000000000000001
        fe8000000000000000000000000000998800977be0000000fe800000000000000000000000000001
        020102000000000a`,
  );
});

test('DAD NS from :: for our address → NA to ff02::1 with S clear, byte-exact; no cache entry', async (t) => {
  const b = await bench(t);
  const before = b.router.neighbors.size;
  b.inject(
    icmpFrame(
      { dstMac: snMac(R_GLOBAL), src: UNSPEC, dst: solicitedNodeMulticast(R_GLOBAL) },
      nsMsg(R_GLOBAL),
    ),
  );
  // scapy: Ether(dst='33:33:00:00:00:01', src=RM)/IPv6(src='2001:db8:1::1', dst='ff02::1',
  //        hlim=255)/ICMPv6ND_NA(R=1,S=0,O=1,tgt='2001:db8:1::1')/ICMPv6NDOptDstLLAddr(lladdr=RM)
  assertBytes(
    b.take()[0]!,
    hex`33330000000102000000000a86dd6000000000203aff20010db8000100000000000000000001
        ff0200000000000000000000000000018800791fa000000020010db8000100000000000000000001
        020102000000000a`,
  );
  assert.equal(b.router.neighbors.size, before);
});

test('unicast NS (a NUD probe from the host) is answered too', async (t) => {
  const b = await bench(t);
  b.inject(
    icmpFrame(
      { dstMac: R_MAC, src: H_GLOBAL, dst: R_GLOBAL },
      nsMsg(R_GLOBAL, [{ kind: 'source-lla', addr: H_MAC }]),
    ),
  );
  const [na] = outOfType(b.take(), Icmpv6Type.NeighborAdvertisement);
  assert.ok(na);
  assertBytes(na.dstMac, H_MAC);
  assertBytes(na.ip.dst, H_GLOBAL);
  const r = parseNa(na);
  assert.deepEqual([r.router, r.solicited, r.override], [true, true, true]);
});

test('NS for an address that is not ours is discarded, not answered', async (t) => {
  const b = await bench(t);
  const other = parseIpv6('2001:db8:1::77');
  // the router only receives it when it joined the group: use one of ours with another target
  b.inject(
    icmpFrame(
      { dstMac: R_MAC, src: H_GLOBAL, dst: R_GLOBAL },
      nsMsg(other, [{ kind: 'source-lla', addr: H_MAC }]),
    ),
  );
  assert.equal(b.take().length, 0);
  assert.equal(b.counter('nd-ns-input.not-our-target'), 1);
});

test('invalid ND messages are dropped, each under its own counter', async (t) => {
  const b = await bench(t);
  const slla = [{ kind: 'source-lla' as const, addr: H_MAC }];
  const ns = (
    msg: Uint8Array,
    hopLimit = 255,
    src = H_LL,
    dst = solicitedNodeMulticast(R_GLOBAL),
  ) => icmpFrame({ dstMac: snMac(R_GLOBAL), src, dst, hopLimit }, msg);
  const toUs = (msg: Uint8Array, src = H_LL, hopLimit = 255) =>
    icmpFrame({ dstMac: R_MAC, src, dst: R_LL, hopLimit }, msg);

  const badCode = nsMsg(R_GLOBAL, slla);
  badCode[1] = 1;
  const zeroLen = nsMsg(R_GLOBAL, slla);
  zeroLen[25] = 0; // the SLLA's Length
  const overrun = nsMsg(R_GLOBAL, slla);
  overrun[25] = 2; // 16 bytes announced, 8 present
  const ra = raMsg({
    curHopLimit: 64,
    managed: false,
    other: false,
    homeAgent: false,
    prf: 0,
    proxy: false,
    routerLifetime: 1800,
    reachableTime: 0,
    retransTimer: 0,
    options: [],
  });
  const na = (flags: { s?: boolean }, target = H_GLOBAL) =>
    naMsg({ router: false, solicited: flags.s ?? false, override: true, target, options: [] });
  const redirect = (target: Uint8Array, dest: Uint8Array) => {
    const m = new Uint8Array(40);
    m[0] = Icmpv6Type.Redirect;
    m.set(target, 8);
    m.set(dest, 24);
    return m;
  };
  const nsMulticastTarget = nsMsg(R_GLOBAL, slla);
  nsMulticastTarget.set(parseIpv6('ff02::1'), 8);

  const cases: [string, Uint8Array][] = [
    ['nd-ns-input.bad-hop-limit', ns(nsMsg(R_GLOBAL, slla), 254)],
    ['nd-ns-input.bad-code', ns(badCode)],
    ['nd-ns-input.truncated', ns(nsMsg(R_GLOBAL).slice(0, 20))],
    ['nd-ns-input.zero-length-option', ns(zeroLen)],
    ['nd-ns-input.bad-option-length', ns(overrun)],
    ['nd-ns-input.multicast-target', ns(nsMulticastTarget)],
    ['nd-ns-input.unspecified-source-bad-destination', toUs(nsMsg(R_LL), UNSPEC)],
    ['nd-ns-input.unspecified-source-with-slla', ns(nsMsg(R_GLOBAL, slla), 255, UNSPEC)],
    ['nd-na-input.bad-hop-limit', toUs(na({}), H_LL, 64)],
    [
      'nd-na-input.solicited-to-multicast',
      icmpFrame({ dstMac: R_MAC, src: H_LL, dst: ALL_NODES }, na({ s: true })),
    ],
    ['nd-na-input.multicast-target', toUs(na({}, parseIpv6('ff02::1')))],
    ['nd-na-input.no-entry', toUs(na({}))],
    [
      'nd-rs-input.bad-hop-limit',
      icmpFrame({ dstMac: R_MAC, src: H_LL, dst: R_LL, hopLimit: 1 }, rsMsg()),
    ],
    ['nd-rs-input.unspecified-source-with-slla', toUs(rsMsg(slla), UNSPEC)],
    ['nd-rs-input.truncated', toUs(rsMsg().slice(0, 6))],
    ['nd-ra-input.source-not-link-local', toUs(ra, H_GLOBAL)],
    ['nd-ra-input.bad-hop-limit', toUs(ra, H_LL, 64)],
    ['nd-redirect-input.source-not-link-local', toUs(redirect(H_LL, H_GLOBAL), H_GLOBAL)],
    ['nd-redirect-input.multicast-destination', toUs(redirect(H_LL, ALL_NODES))],
    ['nd-redirect-input.bad-target', toUs(redirect(H_GLOBAL, parseIpv6('2001:db8:9::1')))],
    ['nd-redirect-input.ignored', toUs(redirect(H_LL, parseIpv6('2001:db8:9::1')))],
  ];
  for (const [name, frame] of cases) {
    const before = b.counter(name);
    b.inject(frame);
    assert.equal(b.counter(name), before + 1, `${name} counted`);
    assert.deepEqual(
      outOfType(b.take(), Icmpv6Type.NeighborAdvertisement).length,
      0,
      `${name}: nothing answered`,
    );
  }
  // nothing else was counted as answered or processed
  assert.equal(b.counter('nd-ns-input.answered'), 0);
});
