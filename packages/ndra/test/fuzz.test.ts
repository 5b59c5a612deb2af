/**
 * 100,000 random and mutated Neighbor Discovery frames (NS, NA, RS, RA, Redirect with
 * every kind of option, flipped bytes, cut lengths, zero-length options, RAs from
 * off-link sources) at a router running the ndra plugin: nothing throws, buffers all come
 * back, malformed ND is counted under named reasons, and afterwards the router still
 * answers a valid NS and still forwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6 } from '@dmm/testkit';
import { IpProto, RouterPreference, upperLayerChecksum } from '@dmm/wire';
import {
  ALL_NODES,
  ALL_NODES_MAC,
  ALL_ROUTERS,
  FAR,
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
  raMsg,
  rsMsg,
} from './harness.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

test('fuzz: 100,000 random and mutated ND frames; the router keeps answering and forwarding', async (t) => {
  const b = await bench(t, {
    twoLinks: true,
    poolCount: 2048,
    config: { interfaces: { lan0: { ra: { enabled: true } } } },
  });
  const solicited = parseIpv6('ff02::1:ff00:1');
  const seeds = [
    icmpFrame(
      { dstMac: R_MAC, src: H_LL, dst: R_LL },
      nsMsg(R_LL, [{ kind: 'source-lla', addr: H_MAC }]),
    ),
    icmpFrame({ dstMac: R_MAC, src: UNSPEC, dst: solicited }, nsMsg(R_GLOBAL)),
    icmpFrame(
      { dstMac: R_MAC, src: H_GLOBAL, dst: R_GLOBAL },
      naMsg({
        router: false,
        solicited: true,
        override: true,
        target: H_GLOBAL,
        options: [{ kind: 'target-lla', addr: H_MAC }],
      }),
    ),
    icmpFrame(
      { dstMac: ALL_NODES_MAC, src: H_LL, dst: ALL_ROUTERS },
      rsMsg([{ kind: 'source-lla', addr: H_MAC }]),
    ),
    icmpFrame(
      { dstMac: ALL_NODES_MAC, src: H_LL, dst: ALL_NODES },
      raMsg({
        curHopLimit: 64,
        managed: false,
        other: false,
        homeAgent: false,
        prf: RouterPreference.Medium,
        proxy: false,
        routerLifetime: 1800,
        reachableTime: 0,
        retransTimer: 0,
        options: [
          { kind: 'source-lla', addr: H_MAC },
          { kind: 'mtu', mtu: 1500 },
          {
            kind: 'prefix-info',
            prefixLength: 64,
            onLink: true,
            autonomous: true,
            routerAddress: false,
            validLifetime: 86400,
            preferredLifetime: 14400,
            prefix: parseIpv6('2001:db8:7::'),
          },
          {
            kind: 'route-info',
            prefixLength: 48,
            prf: 0,
            routeLifetime: 1800,
            prefix: parseIpv6('2001:db8:9::'),
          },
          { kind: 'rdnss', lifetime: 1200, servers: [parseIpv6('2001:db8::53')] },
        ],
      }),
    ),
  ];
  const rand = rng(0xd15c0);
  const buf = new Uint8Array(1600);
  const poolBefore = b.router.pool.inUse;
  for (let n = 0; n < 100_000; n++) {
    const s = seeds[rand() % seeds.length]!;
    buf.set(s);
    let len = s.length;
    const mode = rand() % 5;
    if (mode === 0) {
      // ND header intact, options rewritten at random (zero lengths, overruns, junk types)
      for (let i = 54 + 24; i < len; i++) buf[i] = rand() & 0xff;
    } else if (mode === 1) {
      len = 54 + (rand() % (len - 54 + 1)); // cut inside the ND message
    } else if (mode === 2) {
      buf[21] = rand() & 0xff; // hop limit (RFC 4861 requires 255)
      buf[55] = rand() % 3; // code
    } else if (mode === 3) {
      for (let f = 0; f < 3; f++) buf[14 + (rand() % (len - 14))] = rand() & 0xff;
    } else {
      // valid checksum over garbage options: walks the option parsers, not just the checksum check
      for (let i = 54 + 8; i < len; i++) buf[i] = rand() & 0xff;
    }
    if (mode !== 3 && len >= 58) {
      // keep the IPv6 length and the ICMPv6 checksum right, so the ND parsers see the damage
      buf[18] = (len - 54) >> 8;
      buf[19] = (len - 54) & 0xff;
      buf[56] = 0;
      buf[57] = 0;
      const ck = upperLayerChecksum(buf, 14, 54, len - 54, IpProto.Icmpv6);
      buf[56] = ck >> 8;
      buf[57] = ck & 0xff;
    }
    b.dev.inject(buf, 0, len);
    if (n % 256 === 255) {
      b.router.scheduler.poll();
      b.take();
      b.dev1!.take();
    }
  }
  // Packets queued for neighbours that never answer hold buffers until resolution fails
  // (RFC 4861 §7.2.2); while the pool is short the rest waits in the device, not lost.
  for (let i = 0; i < 200 && b.dev.pendingRx > 0; i++) {
    b.router.scheduler.poll();
    b.take();
    b.dev1!.take();
    b.tick(1000);
  }
  assert.equal(b.dev.pendingRx, 0, 'every frame was read');
  assert.equal(b.dev.ringDrops, 0, 'no frame was lost before the router');
  const counters = b.router.counters();
  t.diagnostic(JSON.stringify(counters));
  const ndDrops = Object.keys(counters).filter((k) => /^nd-(ns|na|rs|ra|redirect)/.test(k));
  assert.ok(ndDrops.length >= 8, `ND drop reasons seen: ${ndDrops.join(', ')}`);
  assert.ok(
    Object.keys(counters).some((k) => /zero-length|option/.test(k)),
    'malformed options counted',
  );
  b.tick(60_000); // let every timer the fuzz started run out
  b.router.scheduler.poll();
  b.take();
  b.dev1!.take();
  assert.equal(b.router.pool.inUse, poolBefore, 'every buffer back once the queues timed out');

  // still answers a valid NS for its address …
  b.inject(
    icmpFrame(
      { dstMac: R_MAC, src: H_LL, dst: R_LL },
      nsMsg(R_GLOBAL, [{ kind: 'source-lla', addr: H_MAC }]),
    ),
  );
  const na = b.take().find((f) => f[54] === 136);
  assert.ok(na, 'an NA for the NS');
  // … and still forwards to the far host on the other link
  const before = b.router.counters();
  const txBefore = b.dev1!.stats.txPackets;
  b.inject(
    icmpFrame(
      { dstMac: R_MAC, src: H_GLOBAL, dst: FAR, hopLimit: 64 },
      Uint8Array.of(128, 0, 0, 0, 0, 1, 0, 1),
    ),
  );
  const fwd = b.dev1!.take();
  if (fwd.length !== 1) {
    const now = b.router.counters();
    const diff = Object.entries(now).filter(([k, v]) => v !== (before[k] ?? 0));
    t.diagnostic(
      `after forward attempt: ${JSON.stringify(diff)} tx ${txBefore} -> ${b.dev1!.stats.txPackets} drop ${b.dev1!.stats.txDropped}`,
    );
  }
  assert.equal(fwd.length, 1, 'forwarded');
});
