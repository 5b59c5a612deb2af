/**
 * Router Advertisements on the wire (RFC 4861 §6.2, RFC 4191, RFC 8106): the periodic
 * schedule, solicited answers (delay, rate limit, unicast/multicast), the exact contents,
 * Route Information lengths, RDNSS, the final RA at stop, the RaService API and `show ra`.
 *
 * Vectors:
 *  - protocol.md §5.2 "RA" (hand-written Python and scapy 2.5, tshark-checked): the same
 *    RA as our config below, except that its Route Information option has Length 3 where
 *    we send the shortest Length RFC 4191 §2.3 allows (2 for a /48). Bytes up to the RIO
 *    are compared with it directly.
 *  - the whole frames with a Length-2 RIO, built with scapy 2.5.0 (Debian python3-scapy):
 *      RA = ICMPv6ND_RA(chlim=64, prf=1, routerlifetime=1800)/
 *           ICMPv6NDOptSrcLLAddr(lladdr='02:00:00:00:00:0a')/ICMPv6NDOptMTU(mtu=1500)/
 *           ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, validlifetime=86400,
 *             preferredlifetime=14400, prefix='2001:db8:2:1::')/
 *           ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, validlifetime=3600,
 *             preferredlifetime=0, prefix='2001:db8:1:1::')/
 *           ICMPv6NDOptRouteInfo(len=2, plen=48, prf=3, rtlifetime=1800, prefix='2001:db8:1::')
 *      RA_MC = Ether(dst='33:33:00:00:00:01', src='02:00:00:00:00:0a')/IPv6(src='fe80::1',
 *              dst='ff02::1', hlim=255)/RA
 *      RA_UC = Ether(dst='02:00:00:00:00:99', src=…)/IPv6(src='fe80::1', dst='fe80::99', hlim=255)/RA
 *      RA_FIN = RA_MC with ICMPv6ND_RA(chlim=64, prf=0, routerlifetime=0)
 *      RIOs: ICMPv6NDOptRouteInfo(len=L, plen=P, prf=1, rtlifetime=0xffffffff, prefix=…)
 *      RDNSS: ICMPv6NDOptRDNSS(lifetime=1200, dns=['2001:db8:1::53', '2001:db8:1::54'])
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, hex, parseIpv6, parseMac } from '@dmm/testkit';
import { Icmpv6Type, solicitedNodeMulticast } from '@dmm/wire';
import { RA_SERVICE, type NdraConfigInput, type RaService, type RaStatus } from '@dmm/ndra';
import {
  ALL_NODES,
  ALL_NODES_MAC,
  ALL_ROUTERS,
  H_LL,
  H_MAC,
  R_LL,
  R_MAC,
  UNSPEC,
  bench,
  icmpFrame,
  naMsg,
  outOfType,
  parseOut,
  parseRa,
  raMsg,
  rsMsg,
  type Bench,
} from './harness.js';

/** protocol.md §5.2, RA (ICMPv6 part). */
const PROTOCOL_MD_RA = hex`86002f20400807080000000000000000010102000000000a05010000000005dc030440c000
  015180000038400000000020010db8000200010000000000000000030440c000000e100000
  00000000000020010db8000100010000000000000000180330180000070820010db8000100
  000000000000000000`;
const RA_MC = hex`33330000000102000000000a86dd6000000000703afffe800000000000000000000000000001
  ff02000000000000000000000000000186002f29400807080000000000000000010102000000000a
  05010000000005dc030440c000015180000038400000000020010db8000200010000000000000000
  030440c000000e10000000000000000020010db8000100010000000000000000180230180000070820010db800010000`;
const RA_UC = hex`02000000009902000000000a86dd6000000000703afffe800000000000000000000000000001
  fe80000000000000000000000000009986002f13400807080000000000000000010102000000000a
  05010000000005dc030440c000015180000038400000000020010db8000200010000000000000000
  030440c000000e10000000000000000020010db8000100010000000000000000180230180000070820010db800010000`;
const RA_FIN = hex`33330000000102000000000a86dd6000000000703afffe800000000000000000000000000001
  ff02000000000000000000000000000186003639400000000000000000000000010102000000000a
  05010000000005dc030440c000015180000038400000000020010db8000200010000000000000000
  030440c000000e10000000000000000020010db8000100010000000000000000180230180000070820010db800010000`;
/** Offset of the RIO in the RA message: 16 + SLLA 8 + MTU 8 + 2 × PIO 32. */
const RIO_OFF = 96;

/** The RA of protocol.md §5.2 as configuration. */
const VECTOR_CONFIG: NdraConfigInput = {
  interfaces: {
    lan0: {
      ra: {
        preference: 'high',
        routerLifetime: 1800,
        prefixes: [
          { prefix: '2001:db8:2:1::/64', validLifetime: 86400, preferredLifetime: 14400 },
          { prefix: '2001:db8:1:1::/64', validLifetime: 3600, preferredLifetime: 0 },
        ],
        routes: [{ prefix: '2001:db8:1::/48', preference: 'low', lifetime: 1800 }],
      },
    },
  },
};

function ras(b: Bench) {
  return outOfType(b.take(), Icmpv6Type.RouterAdvertisement);
}

function rsFrom(src: Uint8Array, withSlla = true): Uint8Array {
  return icmpFrame(
    { dstMac: parseMac('33:33:00:00:00:02'), src, dst: ALL_ROUTERS },
    rsMsg(withSlla ? [{ kind: 'source-lla', addr: H_MAC }] : []),
  );
}

function service(b: Bench): RaService {
  return b.router.container.resolve(RA_SERVICE);
}

test('unsolicited RA: protocol.md §5.2 up to the RIO, scapy byte-exact as a whole', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  // Math.random = 0.5: interval 400 s, capped at 16 s for the first three (§6.2.4)
  b.tick(15_000); // 16 s after start, the bench's first second included
  const [ra] = ras(b);
  assert.ok(ra, 'first RA at 16 s');
  assertBytes(ra.frame, RA_MC);
  assertBytes(ra.icmp.subarray(0, 2), PROTOCOL_MD_RA.subarray(0, 2), undefined, 'type, code');
  assertBytes(
    ra.icmp.subarray(4, RIO_OFF),
    PROTOCOL_MD_RA.subarray(4, RIO_OFF),
    undefined,
    'up to the RIO',
  );
  // the vector's RIO (Length 3, 16 prefix bytes) and ours (Length 2, 8 prefix bytes) say the same
  assertBytes(
    ra.icmp.subarray(RIO_OFF + 2, RIO_OFF + 16),
    PROTOCOL_MD_RA.subarray(RIO_OFF + 2, RIO_OFF + 16),
  );
  assert.equal(ra.icmp[RIO_OFF + 1], 2);
  assert.equal(PROTOCOL_MD_RA[RIO_OFF + 1], 3);
});

test('unsolicited schedule: three initial RAs MAX_INITIAL_RTR_ADVERT_INTERVAL apart, then [Min, Max]RtrAdvInterval', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG, random: 0.25 });
  const at: number[] = [];
  const t0 = Date.now() - 1000; // the plugin started one second before the bench returned
  for (let s = 0; s < 600; s++) {
    b.tick(1000);
    for (const _ of ras(b)) at.push((Date.now() - t0) / 1000);
  }
  // 200 + 0.25 × 400 = 300 s; the first three capped at 16 s
  assert.deepEqual(at, [16, 32, 48, 348]);
  const show = (b.router.commands.get('show ra')!.run({}) as RaStatus[])[0]!;
  assert.equal(show.sent.unsolicited, 4);
  assert.equal(show.nextIn, 348 + 300 - 601);
});

test('RS from a link-local with SLLA → one unicast RA after 0..MAX_RA_DELAY_TIME, byte-exact', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  b.inject(rsFrom(H_LL));
  assert.equal(b.counter('nd-rs-input.processed'), 1);
  b.tick(249);
  assert.equal(ras(b).length, 0, 'delayed by 0.5 × 500 ms');
  b.tick(1);
  const [ra] = ras(b);
  assert.ok(ra);
  assertBytes(ra.frame, RA_UC);
  const show = (b.router.commands.get('show ra')!.run({}) as RaStatus[])[0]!;
  assert.equal(show.rsReceived, 1);
  assert.equal(show.sent.unicast, 1);
});

test('solicited RAs are rate-limited by MIN_DELAY_BETWEEN_RAS; RSs inside one delay share a round', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  const h2 = parseIpv6('fe80::98');
  b.inject(rsFrom(H_LL), rsFrom(h2, false));
  b.tick(250);
  const round = b.take().map(parseOut);
  // fe80::98 sent no SLLA: its RA waits for address resolution, announced by an NS
  assert.deepEqual(
    round.map((o) => o.type),
    [Icmpv6Type.RouterAdvertisement, Icmpv6Type.NeighborSolicitation],
  );
  assertBytes(round[0]!.ip.dst, H_LL);
  assertBytes(round[1]!.ip.dst, solicitedNodeMulticast(h2));
  b.inject(
    icmpFrame(
      { dstMac: R_MAC, srcMac: parseMac('02:00:00:00:00:98'), src: h2, dst: R_LL },
      naMsg({
        router: false,
        solicited: true,
        override: true,
        target: h2,
        options: [{ kind: 'target-lla', addr: parseMac('02:00:00:00:00:98') }],
      }),
    ),
  );
  const second = ras(b);
  assert.equal(second.length, 1, 'resolved: the second RA leaves');
  assertBytes(second[0]!.ip.dst, h2);
  // another RS 100 ms later: answered MIN_DELAY_BETWEEN_RAS (+ the random delay) after the round
  b.tick(100);
  b.inject(rsFrom(H_LL));
  b.tick(3_149);
  assert.equal(ras(b).length, 0);
  b.tick(1);
  assert.equal(ras(b).length, 1, '3 s + 250 ms after the previous round');
});

test('RS from :: → multicast RA, and the periodic timer restarts (§6.2.6)', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  b.tick(4_000); // t = 5 s; first unsolicited RA due at 16 s
  b.inject(rsFrom(UNSPEC, false));
  b.tick(250);
  const [ra] = ras(b);
  assert.ok(ra);
  assertBytes(ra.frame, RA_MC, undefined, 'the multicast RA');
  // the next unsolicited RA is 16 s after this one, not at 16 s after start
  b.tick(15_999);
  assert.equal(ras(b).length, 0);
  b.tick(1);
  assert.equal(ras(b).length, 1);
  const show = (b.router.commands.get('show ra')!.run({}) as RaStatus[])[0]!;
  assert.equal(show.sent.solicited, 1);
  assert.equal(show.sent.unsolicited, 1);
});

test('RS on an interface without RAs is counted, not answered; the SLLA still feeds the cache', async (t) => {
  const b = await bench(t);
  b.inject(rsFrom(H_LL));
  b.tick(5_000);
  assert.equal(ras(b).length, 0);
  assert.equal(b.counter('nd-rs-input.ra-disabled'), 1);
  assert.ok(b.router.neighbors.lookup(0, H_LL, 0) >= 0);
});

test('Route Information lengths (RFC 4191 §2.3), RDNSS (RFC 8106), MTU and flags from the config', async (t) => {
  const b = await bench(t, {
    config: {
      interfaces: {
        lan0: {
          ra: {
            managed: true,
            other: true,
            curHopLimit: 32,
            reachableTime: 30000,
            retransTimer: 1000,
            mtu: 1400,
            routerLifetime: 0,
            preference: 'high',
            routes: [
              { prefix: '::/0', preference: 'high', lifetime: 'infinite' },
              { prefix: '2001:db8:99::/48', preference: 'high', lifetime: 'infinite' },
              { prefix: '2001:db8:99:1::/64', preference: 'high', lifetime: 'infinite' },
              { prefix: '2001:db8:99:1:2:3::/96', preference: 'high', lifetime: 'infinite' },
              { prefix: '2001:db8:99:1:2:3:4:5/128', preference: 'high', lifetime: 'infinite' },
            ],
            rdnss: [{ servers: ['2001:db8:1::53', '2001:db8:1::54'], lifetime: 1200 }],
          },
        },
      },
    },
  });
  b.tick(15_000);
  const [ra] = ras(b);
  assert.ok(ra);
  // hop limit 32, M O, Prf 00 because the router lifetime is 0 (RFC 4191 §2.2), reachable, retrans
  assertBytes(ra.icmp.subarray(4, 16), hex`20 c0 0000 00007530 000003e8`);
  assertBytes(
    ra.icmp.subarray(16),
    hex`0101 02:00:00:00:00:0a         // SLLA
        0501 0000 00000578            // MTU 1400
        18010008ffffffff              // ::/0, Length 1
        18023008ffffffff20010db800990000
        18024008ffffffff20010db800990001
        18036008ffffffff20010db8009900010002000300000000
        18038008ffffffff20010db8009900010002000300040005
        19050000000004b020010db800010000000000000000005320010db8000100000000000000000054`,
  );
});

test('stop: a final multicast RA with Router Lifetime 0 and Prf 00 (§6.2.5), then no more', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  await b.router.stop();
  const [fin] = ras(b);
  assert.ok(fin);
  assertBytes(fin.frame, RA_FIN);
  b.tick(700_000);
  assert.equal(ras(b).length, 0);
});

test('RaService.send: per-node unicast RA straight to a MAC with its own source, prefixes and lifetime', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  const mnMac = parseMac('02:00:00:00:00:31');
  const mnLl = parseIpv6('fe80::31');
  const dlifMac = parseMac('02:00:00:00:0d:01');
  const dlifLl = parseIpv6('fe80::d:1');
  const ok = service(b).send('lan0', {
    destination: mnLl,
    destinationMac: mnMac,
    source: dlifLl,
    sourceMac: dlifMac,
    routerLifetime: 600,
    preference: 'low',
    prefixes: [
      {
        prefix: parseIpv6('2001:db8:31::'),
        prefixLen: 64,
        validLifetime: 3600,
        preferredLifetime: 1800,
      },
    ],
    routes: [],
  });
  assert.ok(ok);
  const [ra] = ras(b);
  assert.ok(ra);
  assertBytes(ra.dstMac, mnMac);
  assertBytes(ra.srcMac, dlifMac);
  assertBytes(ra.ip.src, dlifLl);
  assertBytes(ra.ip.dst, mnLl);
  assert.equal(ra.ip.hopLimit, 255);
  // hand-written from RFC 4861 §4.2/§4.6 and RFC 4191 §2.2 (Prf low = 11)
  assertBytes(
    ra.icmp.subarray(4),
    hex`40 18 0258 00000000 00000000       // hop limit 64, Prf low, lifetime 600
        0101 02:00:00:00:0d:01             // SLLA: the logical interface's MAC
        0501 0000 000005dc                 // MTU 1500
        0304 40 c0 00000e10 00000708 00000000 2001:db8:31::`,
  );
  const r = parseRa(ra);
  assert.equal(r.options.length, 3);
  assert.equal((b.router.commands.get('show ra')!.run({}) as RaStatus[])[0]!.sent.api, 1);
});

test('RaService.send to a link-local without a MAC resolves it first; build() shows the repr', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  const svc = service(b);
  assert.equal(svc.build('lan0').routerLifetime, 1800);
  assert.equal(svc.build('lan0', { routerLifetime: 0, preference: 'high' }).prf, 0);
  assert.ok(svc.send('lan0', { destination: H_LL }));
  const [ns] = outOfType(b.take(), Icmpv6Type.NeighborSolicitation);
  assert.ok(ns, 'NS for fe80::99');
  assertBytes(ns.ip.src, R_LL, undefined, 'link-local target → link-local source (§7.2.2)');
  assertBytes(ns.ip.dst, solicitedNodeMulticast(H_LL));
  b.inject(
    icmpFrame(
      { dstMac: R_MAC, src: H_LL, dst: R_LL },
      naMsg({
        router: false,
        solicited: true,
        override: true,
        target: H_LL,
        options: [{ kind: 'target-lla', addr: H_MAC }],
      }),
    ),
  );
  const [ra] = ras(b);
  assert.ok(ra);
  assertBytes(ra.frame, RA_UC);
  assert.equal(svc.send('nope'), false);
});

test('a solicitation handler can claim RSs (a gateway answering per node)', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  const seen: string[] = [];
  service(b).setSolicitationHandler('lan0', (_i, sb, soff, mb, moff) => {
    seen.push(
      `${Buffer.from(sb.subarray(soff, soff + 16)).toString('hex')} ${Buffer.from(mb.subarray(moff, moff + 6)).toString('hex')}`,
    );
    return true;
  });
  b.inject(rsFrom(H_LL, false));
  b.tick(5_000);
  assert.deepEqual(
    seen,
    [`${Buffer.from(H_LL).toString('hex')} ${Buffer.from(H_MAC).toString('hex')}`],
    'MAC from the Ethernet source',
  );
  assert.equal(ras(b).length, 0, 'claimed: no ordinary answer');
});

test("another router's RA: its SLLA makes a router entry; inconsistent values are counted (§6.2.7)", async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  const other = raMsg({
    curHopLimit: 10,
    managed: false,
    other: false,
    homeAgent: false,
    prf: 0,
    proxy: false,
    routerLifetime: 1800,
    reachableTime: 0,
    retransTimer: 0,
    options: [
      { kind: 'source-lla', addr: H_MAC },
      { kind: 'mtu', mtu: 1500 },
    ],
  });
  b.inject(icmpFrame({ dstMac: ALL_NODES_MAC, src: H_LL, dst: ALL_NODES }, other));
  assert.equal(b.counter('nd-ra-input.processed'), 1);
  assert.equal(b.counter('nd-ra.inconsistent'), 1);
  const id = b.router.neighbors.lookup(0, H_LL, 0);
  assert.ok(id >= 0);
  assert.equal(b.router.neighbors.isRouter[id], 1);
  const same = raMsg({
    curHopLimit: 64,
    managed: false,
    other: false,
    homeAgent: false,
    prf: 1,
    proxy: false,
    routerLifetime: 1800,
    reachableTime: 0,
    retransTimer: 0,
    options: [{ kind: 'mtu', mtu: 1500 }],
  });
  b.inject(icmpFrame({ dstMac: ALL_NODES_MAC, src: H_LL, dst: ALL_NODES }, same));
  assert.equal(b.counter('nd-ra.inconsistent'), 1, 'consistent RA not counted');
});

test('show ra reports the configuration and the next RA', async (t) => {
  const b = await bench(t, { config: VECTOR_CONFIG });
  const { result, table } = await b.router.commands.run('show ra');
  const s = (result as RaStatus[])[0]!;
  assert.deepEqual(
    { ...s, nextIn: null },
    {
      interface: 'lan0',
      enabled: true,
      nextIn: null,
      sent: { unsolicited: 0, solicited: 0, unicast: 0, final: 0, api: 0 },
      rsReceived: 0,
      minInterval: 200,
      maxInterval: 600,
      routerLifetime: 1800,
      preference: 'high',
      prefixes: ['2001:db8:2:1::/64 L A 86400s/14400s', '2001:db8:1:1::/64 L A 3600s/0s'],
      routes: ['2001:db8:1::/48 low 1800s'],
      rdnss: [],
    },
  );
  assert.equal(s.nextIn, 15);
  assert.deepEqual(table!.rows[0]!.slice(0, 4), ['lan0', 'yes', '15.0s', '0/0/0/0/0']);
});
