/**
 * Duplicate Address Detection for our own addresses (RFC 4862 §5.4): the probes from ::
 * (byte-exact), success after RetransTimer, duplicates found by an NA (§5.4.4) or by
 * another node's probe (§5.4.3), what a duplicate does to the router, and DAD for
 * addresses added later.
 *
 * Expected probes built with scapy 2.5.0 (Debian python3-scapy):
 *   Ether(dst='33:33:ff:00:00:01', src='02:00:00:00:00:0a')/IPv6(src='::',
 *   dst='ff02::1:ff00:1', hlim=255)/ICMPv6ND_NS(tgt='2001:db8:1::1')
 * (the link-local fe80::1 has the same solicited-node group, so only the target differs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, hex, parseIpv6 } from '@dmm/testkit';
import { Icmpv6Type, solicitedNodeMulticast } from '@dmm/wire';
import { ND_SERVICE, type NdService } from '@dmm/ndra';
import {
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
} from './harness.js';

const SN_MAC = new Uint8Array([0x33, 0x33, 0xff, 0, 0, 1]);
const DAD_GLOBAL = hex`3333ff00000102000000000a86dd6000000000183aff00000000000000000000000000000000
  ff0200000000000000000001ff00000187004cec0000000020010db8000100000000000000000001`;

function nd(b: { router: { container: { resolve(t: unknown): unknown } } }): NdService {
  return b.router.container.resolve(ND_SERVICE) as NdService;
}

function naFor(target: Uint8Array): Uint8Array {
  return icmpFrame(
    { dstMac: new Uint8Array([0x33, 0x33, 0, 0, 0, 1]), src: H_LL, dst: parseIpv6('ff02::1') },
    naMsg({
      router: false,
      solicited: false,
      override: true,
      target,
      options: [{ kind: 'target-lla', addr: H_MAC }],
    }),
  );
}

test('DAD at start: one NS from :: per address (byte-exact), PREFERRED after RetransTimer', async (t) => {
  const b = await bench(t, { settle: false });
  const probes = outOfType(b.take(), Icmpv6Type.NeighborSolicitation);
  assert.equal(probes.length, 2, 'link-local and global');
  const global = probes.find((p) => p.frame[62] === 0x20)!;
  assertBytes(global.frame, DAD_GLOBAL);
  const ll = probes.find((p) => p.frame[62] === 0xfe)!;
  assertBytes(ll.frame.subarray(0, 56), DAD_GLOBAL.subarray(0, 56), undefined, 'same headers');
  assertBytes(ll.frame.subarray(58, 62), DAD_GLOBAL.subarray(58, 62), undefined, 'reserved');
  assertBytes(ll.frame.subarray(62), R_LL);
  assertBytes(ll.frame.subarray(14, 54), DAD_GLOBAL.subarray(14, 54), undefined, 'IPv6 header');
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'tentative');
  b.tick(999);
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'tentative');
  b.tick(1);
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'preferred');
  assert.equal(nd(b).addressState('lan0', R_LL), 'preferred');
  assert.equal(b.counter('nd-dad.succeeded'), 2);
  assert.equal(b.take().length, 0, 'DupAddrDetectTransmits = 1');
});

test('a tentative address is not defended: a unicast NS for it gets no answer (RFC 4862 §5.4.3)', async (t) => {
  const b = await bench(t, { settle: false });
  b.take();
  b.inject(
    icmpFrame(
      { dstMac: SN_MAC, src: H_LL, dst: solicitedNodeMulticast(R_GLOBAL) },
      nsMsg(R_GLOBAL, [{ kind: 'source-lla', addr: H_MAC }]),
    ),
  );
  assert.equal(b.take().length, 0);
  assert.equal(b.counter('nd-ns-input.tentative-target'), 1);
  b.tick(1000);
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'preferred', 'not a duplicate');
});

test('an NA for a tentative address: duplicate — logged, counted, reported, no longer local or answered', async (t) => {
  const b = await bench(t, { settle: false });
  b.take();
  const reported: string[] = [];
  nd(b).onDuplicate((ifIndex, addr, by) =>
    reported.push(`${ifIndex} ${Buffer.from(addr).toString('hex')} ${by}`),
  );
  b.inject(naFor(R_GLOBAL));
  assert.equal(b.counter('nd-na-input.dad-conflict'), 1);
  assert.equal(b.counter('nd-dad.duplicate'), 1);
  assert.deepEqual(reported, [`0 ${Buffer.from(R_GLOBAL).toString('hex')} na`]);
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'duplicate');
  assert.equal(
    b.router.local.isLocalUnicast(0, R_GLOBAL, 0),
    false,
    'removed from the local addresses',
  );
  assert.equal(
    b.router.interface('lan0')!.addresses.length,
    1,
    'still configured on the interface',
  );
  const show = b.router.commands.get('show nd')!.run({}) as {
    addresses: { address: string; state: string; foundBy: string | null }[];
  };
  assert.deepEqual(
    show.addresses.find((a) => a.address === '2001:db8:1::1'),
    { interface: 'lan0', address: '2001:db8:1::1', state: 'duplicate', foundBy: 'na' },
  );
  b.tick(1000);
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'duplicate', 'stays duplicate');
  assert.equal(nd(b).addressState('lan0', R_LL), 'preferred');
  // the owner's NSs reach us (group still joined) but are not answered
  b.inject(
    icmpFrame(
      { dstMac: SN_MAC, src: H_LL, dst: solicitedNodeMulticast(R_GLOBAL) },
      nsMsg(R_GLOBAL, [{ kind: 'source-lla', addr: H_MAC }]),
    ),
  );
  assert.equal(b.take().length, 0);
  assert.equal(b.counter('nd-ns-input.not-our-target'), 1);
});

test("another node's DAD probe for our tentative address: duplicate (RFC 4862 §5.4.3)", async (t) => {
  const b = await bench(t, { settle: false });
  b.take();
  b.inject(
    icmpFrame(
      { dstMac: SN_MAC, src: UNSPEC, dst: solicitedNodeMulticast(R_GLOBAL) },
      nsMsg(R_GLOBAL),
    ),
  );
  assert.equal(b.counter('nd-ns-input.dad-conflict'), 1);
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'duplicate');
  assert.equal(
    nd(b)
      .addresses()
      .find((a) => a.state === 'duplicate')?.foundBy,
    'ns',
  );
});

test('an NA for a preferred address of ours is only counted (RFC 4862 §5.4.4)', async (t) => {
  const b = await bench(t);
  b.inject(naFor(R_GLOBAL));
  assert.equal(b.counter('nd-na-input.target-is-ours'), 1);
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'preferred');
});

test('addresses added while running get DAD at once; removed ones are forgotten', async (t) => {
  const b = await bench(t);
  const a2 = parseIpv6('2001:db8:1::2');
  b.router.addAddress(b.iface, a2, 64);
  const [probe] = outOfType(b.take(), Icmpv6Type.NeighborSolicitation);
  assert.ok(probe);
  assertBytes(probe.ip.src, UNSPEC);
  assertBytes(probe.ip.dst, solicitedNodeMulticast(a2));
  assertBytes(probe.icmp.subarray(8, 24), a2);
  assertBytes(probe.srcMac, R_MAC);
  assert.equal(nd(b).addressState('lan0', a2), 'tentative');
  b.router.removeAddress(b.iface, a2);
  assert.equal(nd(b).addressState('lan0', a2), null);
  b.tick(1000);
  assert.equal(b.counter('nd-dad.succeeded'), 2, 'only the two original addresses');
});

test('after a duplicate, restarting the plugin runs DAD again and a unique address is local again', async (t) => {
  const b = await bench(t, { settle: false });
  b.take();
  b.inject(naFor(R_GLOBAL));
  assert.equal(b.router.local.isLocalUnicast(0, R_GLOBAL, 0), false);
  await b.router.plugins.stop('ndra');
  await b.router.plugins.start('ndra');
  b.tick(1000);
  assert.equal(nd(b).addressState('lan0', R_GLOBAL), 'preferred');
  assert.equal(b.router.local.isLocalUnicast(0, R_GLOBAL, 0), true);
  // the solicited-node group is joined exactly once more than before removal
  b.router.removeAddress(b.iface, R_GLOBAL);
  assert.equal(
    b.router.local.isJoined(0, solicitedNodeMulticast(R_GLOBAL), 0),
    true,
    'fe80::1 shares the group',
  );
  b.router.setLinkLocal(b.iface, parseIpv6('fe80::2'));
  assert.equal(
    b.router.local.isJoined(0, solicitedNodeMulticast(R_GLOBAL), 0),
    false,
    'reference count balanced',
  );
});
