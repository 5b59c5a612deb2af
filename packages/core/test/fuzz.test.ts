/**
 * 100,000 random and mutated frames thrown at a running router: nothing throws, every
 * frame is accounted for (sent, or counted under a named reason), every buffer returns to
 * the pool, and the router still forwards afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6, parseMac } from '@dmm/testkit';
import { Icmpv6, Icmpv6View, IpProto, Ipv6, Ipv6View, Udp, UdpView, dataViewOf } from '@dmm/wire';
import { MemoryDevice, NeighborState, Router } from '@dmm/core';

const R_MAC0 = parseMac('02:00:00:00:aa:00');
const H0_MAC = parseMac('02:00:00:00:00:10');
const H0 = parseIpv6('2001:db8::10');
const H1 = parseIpv6('2001:db8:1::11');
const R0 = parseIpv6('2001:db8::1');

/** xorshift32: deterministic, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function ipFrame(
  src: Uint8Array,
  dst: Uint8Array,
  nh: number,
  hl: number,
  payload: Uint8Array,
): Uint8Array {
  const b = new Uint8Array(54 + payload.length);
  b.set(R_MAC0, 0);
  b.set(H0_MAC, 6);
  b[12] = 0x86;
  b[13] = 0xdd;
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: payload.length,
      nextHeader: nh,
      hopLimit: hl,
      src,
      dst,
    },
    new Ipv6View(b, dataViewOf(b), 14, b.length),
  );
  b.set(payload, 54);
  return b;
}

function seeds(): Uint8Array[] {
  const udp = ipFrame(H0, H1, IpProto.Udp, 64, new Uint8Array(40));
  const u = new UdpView(udp, dataViewOf(udp), 54, udp.length);
  Udp.emit({ srcPort: 1, dstPort: 2, length: 40 }, u);
  u.fillChecksum(22, 38);
  const echo = ipFrame(H0, R0, IpProto.Icmpv6, 64, new Uint8Array(16));
  const e = new Icmpv6View(echo, dataViewOf(echo), 54, echo.length);
  Icmpv6.emit({ kind: 'echo-request', id: 1, seq: 1, data: new Uint8Array(8) }, e);
  e.fillChecksum(22, 38);
  // Hop-by-Hop with an unknown option (action 10), a PadN, then UDP
  const hbh = ipFrame(
    H0,
    H1,
    IpProto.HopByHop,
    64,
    Uint8Array.of(17, 0, 0x80, 2, 0, 0, 1, 0, ...new Uint8Array(8)),
  );
  const mh = ipFrame(
    H0,
    R0,
    IpProto.Mobility,
    64,
    Uint8Array.of(59, 1, 5, 0, 0, 0, 0, 1, 0x82, 0, 0, 15, 1, 2, 0, 0),
  );
  const ns = ipFrame(
    H0,
    parseIpv6('ff02::1:ff00:1'),
    IpProto.Icmpv6,
    255,
    Uint8Array.of(135, 0, 0, 0, 0, 0, 0, 0, ...R0, 1, 1, ...H0_MAC),
  );
  const frag = ipFrame(
    H0,
    R0,
    IpProto.Fragment,
    64,
    Uint8Array.of(17, 0, 0, 1, 0, 0, 0, 7, ...new Uint8Array(16)),
  );
  return [udp, echo, hbh, mh, ns, frag];
}

test('fuzz: 100,000 random and mutated frames, all accounted for, router still forwards', () => {
  const router = new Router({
    pool: { count: 1024, debug: true },
    icmpErrorRate: 1e9,
    icmpErrorBurst: 1e9,
  });
  const d0 = new MemoryDevice({ name: 'lan0', mac: R_MAC0, ringSize: 8192 });
  const d1 = new MemoryDevice({ name: 'lan1', mac: parseMac('02:00:00:00:aa:01'), ringSize: 8192 });
  const i0 = router.addInterface({ name: 'lan0', device: d0 });
  const i1 = router.addInterface({ name: 'lan1', device: d1 });
  router.addAddress(i0, R0, 64);
  router.addAddress(i1, parseIpv6('2001:db8:1::1'), 64);
  router.neighbors.setMac(
    router.neighbors.create(i0.index, H0, 0, NeighborState.Permanent),
    H0_MAC,
  );
  router.neighbors.setMac(
    router.neighbors.create(i1.index, H1, 0, NeighborState.Permanent),
    parseMac('02:00:00:00:00:11'),
  );

  const rand = rng(0x5eed);
  const base = seeds();
  const buf = new Uint8Array(1600);
  const total = 100_000;
  let injected = 0;
  let sent = 0;
  for (let n = 0; n < total; n++) {
    let len: number;
    const kind = rand() % 4;
    if (kind === 0) {
      // random bytes, random length, sometimes with a valid Ethernet/IPv6 prefix
      len = rand() % 1600;
      for (let i = 0; i < len; i++) buf[i] = rand() & 0xff;
      if (len > 14 && rand() % 2 === 0) {
        buf.set(R_MAC0, 0);
        buf[12] = 0x86;
        buf[13] = 0xdd;
        if (len > 15) buf[14] = 0x60 | (buf[14]! & 0x0f);
      }
    } else {
      const s = base[rand() % base.length]!;
      buf.set(s);
      len = s.length;
      const flips = 1 + (rand() % 4);
      for (let f = 0; f < flips; f++) buf[14 + (rand() % (len - 14))] = rand() & 0xff;
      if (kind === 2) len = rand() % (len + 1); // truncate
      if (kind === 3 && rand() % 2 === 0) {
        buf[18] = rand() & 0xff; // payload length
        buf[19] = rand() & 0xff;
      }
    }
    d0.inject(buf, 0, len);
    injected++;
    if (d0.pendingRx >= 256) {
      router.scheduler.poll();
      sent += d0.drain() + d1.drain();
    }
  }
  router.scheduler.poll();
  sent += d0.drain() + d1.drain();

  const counters = router.counters();
  let counted = 0;
  const events = router.graph.eventCounterNames();
  for (const [k, v] of Object.entries(counters)) if (!events.has(k)) counted += v;
  assert.equal(d0.stats.rxPackets, injected);
  assert.equal(
    sent + counted,
    injected,
    `sent ${sent} + counted ${counted} = injected ${injected}: ${JSON.stringify(counters)}`,
  );
  assert.equal(router.pool.inUse, 0, 'every buffer back in the pool');
  assert.ok(
    Object.keys(counters).length > 10,
    `many distinct reasons seen: ${Object.keys(counters).join(', ')}`,
  );

  // still forwards a good packet, unchanged but for the hop limit
  const good = seeds()[0]!;
  d0.inject(good);
  router.scheduler.poll();
  const out = d1.take();
  assert.equal(out.length, 1);
  assert.equal(out[0]![21], 63);
});
