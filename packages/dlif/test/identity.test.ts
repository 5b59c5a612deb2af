/**
 * DLIF identity derivation (identity.ts; draft-bernardos-dmm-distributed-anchoring-02 §4.1).
 *
 * Vectors, none made by our code:
 *  - MACs: Debian python3 hashlib, by
 *      /usr/bin/python3 -c 'import hashlib,struct
 *      def mac(a,n,k=0):
 *        a=a.encode(); n=n.encode()
 *        d=hashlib.sha256(b"dmm-dlif-v1"+struct.pack(">H",len(a))+a+struct.pack(">H",len(n))+n+bytes([k])).digest()
 *        return "02:"+":".join("%02x"%b for b in d[:5])'
 *  - link-local addresses: scapy 2.5 (Debian python3-scapy) `"fe80::"+in6_mactoifaceid(mac)`;
 *  - the draft's own example (§4.1): MAC 00:11:22:33:01:01 ↔ fe80::211:22ff:fe33:101 (the
 *    draft prints "fe80:211:22ff:fe33:101", one colon short; scapy gives fe80::0211:22FF:FE33:0101).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DLIF_IDENTITY_ATTEMPTS,
  deriveDlifIdentity,
  deriveDlifMac,
  dlifLinkLocal,
  isUnicastMac,
} from '@dmm/dlif';
import { isDmmError } from '@dmm/core';
import { assertBytes, parseIpv6, parseMac } from '@dmm/testkit';

const VECTORS: [anchor: string, node: string, attempt: number, mac: string, ll: string][] = [
  ['dgw1', 'mn1', 0, '02:64:51:7c:2a:cc', 'fe80::0064:51FF:FE7C:2ACC'],
  ['dgw2', 'mn1', 0, '02:6c:bb:ec:90:14', 'fe80::006C:BBFF:FEEC:9014'],
  ['dgw1', 'mn2', 0, '02:d2:8b:12:7c:8e', 'fe80::00D2:8BFF:FE12:7C8E'],
  ['dgw1', 'mn1', 1, '02:66:89:ac:1d:aa', 'fe80::0066:89FF:FEAC:1DAA'],
  ['dgw1.example.net', 'mn1@example.com', 0, '02:a4:61:1f:17:4a', 'fe80::00A4:61FF:FE1F:174A'],
  ['d-gw\u00e9', 'n\u00f6de', 0, '02:9c:92:f6:fd:ae', 'fe80::009C:92FF:FEF6:FDAE'],
];

for (const [anchor, node, attempt, mac, ll] of VECTORS) {
  test(`identity: (${anchor}, ${node}, attempt ${attempt}) → ${mac}, ${ll}`, () => {
    const m = deriveDlifMac(anchor, node, attempt);
    assertBytes(m, parseMac(mac), undefined, 'MAC');
    assertBytes(dlifLinkLocal(m), parseIpv6(ll), undefined, 'link-local');
    assert.equal(m[0]! & 1, 0, 'unicast (I/G = 0)');
    assert.equal(m[0]! & 2, 2, 'locally administered (U/L = 1)');
  });
}

test("identity: the draft's example MAC gives the draft's link-local (modified EUI-64)", () => {
  assertBytes(
    dlifLinkLocal(parseMac('00:11:22:33:01:01')),
    parseIpv6('fe80::211:22ff:fe33:101'),
    undefined,
    'link-local',
  );
});

test('identity: deterministic, and the same whatever D-GW computes it', () => {
  const a = deriveDlifIdentity('dgw1', 'mn1');
  const b = deriveDlifIdentity('dgw1', 'mn1');
  assert.deepEqual([...a.mac], [...b.mac]);
  assert.deepEqual([...a.linkLocal], [...b.linkLocal]);
  assert.equal(a.attempt, 0);
  // the lengths keep ("ab","c") and ("a","bc") apart
  assert.notDeepEqual([...deriveDlifMac('ab', 'c')], [...deriveDlifMac('a', 'bc')]);
});

test('identity: a collision moves to the next attempt; all taken is an error', () => {
  const first = deriveDlifMac('dgw1', 'mn1', 0);
  const id = deriveDlifIdentity('dgw1', 'mn1', (m) => m.every((x, i) => x === first[i]));
  assert.equal(id.attempt, 1);
  assertBytes(id.mac, parseMac('02:66:89:ac:1d:aa'), undefined, 'attempt 1');
  assert.throws(
    () => deriveDlifIdentity('dgw1', 'mn1', () => true),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
  assert.throws(
    () => deriveDlifMac('dgw1', 'mn1', DLIF_IDENTITY_ATTEMPTS),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
  assert.throws(
    () => deriveDlifMac('', 'mn1'),
    (e) => isDmmError(e, 'DMM_ERR_CONFIG_INVALID'),
  );
});

test('identity: 10,000 nodes of one anchor give 10,000 distinct unicast MACs', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const m = deriveDlifMac('dgw1', `mn${i}`);
    assert.ok(isUnicastMac(m));
    seen.add(Buffer.from(m).toString('hex'));
  }
  assert.equal(seen.size, 10_000);
});

test('isUnicastMac: multicast and all-zero MACs are refused', () => {
  assert.equal(isUnicastMac(parseMac('33:33:00:00:00:01')), false);
  assert.equal(isUnicastMac(parseMac('01:00:5e:00:00:01')), false);
  assert.equal(isUnicastMac(new Uint8Array(6)), false);
  assert.equal(isUnicastMac(parseMac('00:11:22:33:01:01')), true);
});
