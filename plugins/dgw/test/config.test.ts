/**
 * The D-GW's configuration schema: defaults, and every cross-value check with its path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv6Address } from '@dmm/core';
import { PrefixPool, dgwConfigSchema, type DgwConfigInput } from '@dmm/plugin-dgw';

const base: DgwConfigInput = {
  id: 1,
  address: 'fd00:100::1',
  operator: 'op-a',
  accessInterfaces: ['acc0'],
  prefixPool: '2001:db8:1::/48',
  peers: [{ id: 2, address: 'fd00:100::2', operator: 'op-a' }],
  mobilityContext: { backend: 'memory' },
};

function issues(c: unknown): string[] {
  const r = dgwConfigSchema.safeParse(c);
  assert.equal(r.success, false);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('defaults', () => {
  const c = dgwConfigSchema.parse(base);
  assert.equal(c.name, undefined);
  assert.equal(c.idleTimeout, 300);
  assert.equal(c.bindingLifetime, 3600);
  assert.equal(c.poolRoute, 'blackhole');
  assert.equal(c.tableBase, 100);
  assert.equal(c.anchorMode, undefined);
  assert.equal(c.mobileNodes.default, 'deny');
  assert.equal(c.pmip.TimestampValidityWindow, 300);
  assert.equal(c.retransmission.InitialBindackTimeoutFirstReg, 1500);
  assert.equal(c.mobilityContext.backend, 'memory');
  assert.equal(c.attach.routerSolicitation && c.attach.firstFrame, true);
});

test('checks beyond types, each at its path', () => {
  assert.deepEqual(issues({ ...base, extra: 1 }), [': Unrecognized key: "extra"']);
  assert.deepEqual(issues({ ...base, prefixPool: '2001:db8:1:1:8000::/65' }), [
    'prefixPool: the pool must be a /64 or shorter (one /64 per node)',
  ]);
  assert.deepEqual(issues({ ...base, prefixPool: '2001:d00::/24' }), [
    'prefixPool: a /24 pool holds 2^40 /64s; at most 2^24 are supported',
  ]);
  assert.deepEqual(issues({ ...base, address: '2001:db8:1::1' }), [
    'address: the D-GW address lies inside its own prefix pool',
  ]);
  assert.deepEqual(issues({ ...base, localNetworks: ['2001:db8::/32'] }), [
    'localNetworks.0: 2001:db8::/32 overlaps the prefix pool',
  ]);
  assert.deepEqual(
    issues({
      ...base,
      peers: [
        { id: 1, address: 'fd00:100::1', operator: 'op-a' },
        { id: 3, name: 'x', address: 'fd00:100::3', operator: 'op-a' },
        { id: 3, name: 'x', address: 'fd00:100::3', operator: 'op-a' },
      ],
    }),
    [
      'peers.0.id: this is our own id',
      'peers.0.name: "dgw1" is our own name',
      'peers.0.address: this is our own address',
      'peers.2.id: the same id as peers[1]',
      'peers.2.name: the same name as peers[1]',
      'peers.2.address: the same address as peers[1]',
    ],
  );
  assert.deepEqual(
    issues({
      ...base,
      mobileNodes: {
        profiles: [
          { id: 'a@x', mac: '02:00:00:00:00:01' },
          { id: 'a@x', mac: '02:00:00:00:00:01' },
          { id: 'b@x', mac: '03:00:00:00:00:01' },
        ],
      },
    }),
    [
      'mobileNodes.profiles.1.id: a@x already has a profile (profiles[0])',
      'mobileNodes.profiles.1.mac: 02:00:00:00:00:01 is already the MAC of profiles[0]',
      'mobileNodes.profiles.2.mac: a group (multicast) MAC cannot identify a node',
    ],
  );
  assert.deepEqual(
    issues({
      ...base,
      tableBase: 252,
      peers: [...base.peers!, { id: 3, address: 'fd00:100::3', operator: 'op-a' }],
    }),
    [
      'tableBase: tables 252..255 (two per peer, one per central LMA) reach 253–255, the reserved ones',
    ],
  );
  // one peer: T(peer) 251 and Tin(peer) 252
  assert.equal(dgwConfigSchema.safeParse({ ...base, tableBase: 251 }).success, true);
  assert.equal(dgwConfigSchema.safeParse({ ...base, tableBase: 252 }).success, false);
  // a central LMA takes a table too (T(LMA) after the peers', before the Tin(peer)s)
  assert.deepEqual(issues({ ...base, tableBase: 251, centralLmas: [{ address: 'fd00:ff::1' }] }), [
    'tableBase: tables 251..253 (two per peer, one per central LMA) reach 253–255, the reserved ones',
  ]);
  // draft §5: central LMAs, each check at its path
  assert.deepEqual(
    issues({
      ...base,
      centralLmas: [
        { name: 'dgw2', address: 'fd00:100::1', operators: ['op-a', 'op-b'] },
        { name: 'dgw2', address: 'fd00:100::2', operators: ['op-b'] },
        { address: 'fd00:ff::1' },
        { address: 'fd00:ff::2' },
      ],
    }),
    [
      'centralLmas.0.name: "dgw2" is already the name of a D-GW',
      'centralLmas.0.address: this is our own address',
      'centralLmas.0.operators.0: our own operator is signalled directly',
      'centralLmas.1.name: "dgw2" is already the name of a D-GW',
      'centralLmas.1.name: the same name as centralLmas[0]',
      'centralLmas.1.address: this is the address of a D-GW',
      'centralLmas.1.operators.0: op-b is already relayed by centralLmas[0]',
      'centralLmas.3: a second default LMA (centralLmas[2] lists no operators either)',
    ],
  );
  const two = dgwConfigSchema.parse({
    ...base,
    centralLmas: [{ address: 'fd00:ff::1', operators: ['op-b'] }, { address: 'fd00:ff::2' }],
  });
  assert.deepEqual(
    two.centralLmas.map((l) => [l.name, formatIpv6Address(l.address), l.operators]),
    [
      [undefined, 'fd00:ff::1', ['op-b']],
      [undefined, 'fd00:ff::2', undefined],
    ],
  );
  assert.deepEqual(issues({ ...base, pmip: { MaxBindackTimeout: 5000 } }), [
    'pmip.MaxBindackTimeout: set MaxBindackTimeout in `retransmission` (the PBU timers are read from there)',
  ]);
  assert.deepEqual(issues({ ...base, mobilityContext: { backend: 'sqlite' } }).length, 1);
});

test('prefix pool: /64s in order, round the pool, reserve and release', () => {
  const p = new PrefixPool({
    prefix: new Uint8Array([0x20, 1, 0x0d, 0xb8, 0, 1, 0xff, 0xfc, ...new Array(8).fill(0)]),
    prefixLen: 62,
  });
  assert.equal(p.size, 4);
  const got = [p.allocate(), p.allocate()].map((x) => formatIpv6Address(x!));
  assert.deepEqual(got, ['2001:db8:1:fffc::', '2001:db8:1:fffd::']);
  assert.ok(
    p.reserve(new Uint8Array([0x20, 1, 0x0d, 0xb8, 0, 1, 0xff, 0xfe, ...new Array(8).fill(0)]), 64),
  );
  assert.equal(formatIpv6Address(p.allocate()!), '2001:db8:1:ffff::');
  assert.equal(p.allocate(), null, 'exhausted');
  assert.ok(
    p.release(new Uint8Array([0x20, 1, 0x0d, 0xb8, 0, 1, 0xff, 0xfc, ...new Array(8).fill(0)]), 64),
  );
  assert.equal(formatIpv6Address(p.allocate()!), '2001:db8:1:fffc::');
  assert.equal(
    p.contains(new Uint8Array([0x20, 1, 0x0d, 0xb8, 0, 2, 0, 0, ...new Array(8).fill(0)]), 64),
    false,
  );
  assert.equal(p.allocated, 4);
});
