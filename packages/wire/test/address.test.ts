import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6, parseMac, toHex } from '@dmm/testkit';
import {
  formatIpv6,
  formatMac,
  ipv6PrefixMatches,
  isIpv6LinkLocal,
  linkLocalFromMac,
  solicitedNodeMulticast,
} from '@dmm/wire';

test('formatIpv6 follows RFC 5952', () => {
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['fe80::211:22ff:fe33:101', 'fe80::211:22ff:fe33:101'],
    ['ff02::1:ff00:1', 'ff02::1:ff00:1'],
  ];
  for (const [input, want] of cases) assert.equal(formatIpv6(parseIpv6(input)), want, input);
});

test('link-local from MAC uses modified EUI-64 (the draft §4.1 example)', () => {
  // draft §4.1: MAC 00:11:22:33:01:01 ↔ fe80::211:22ff:fe33:101
  const ll = linkLocalFromMac(parseMac('00:11:22:33:01:01'));
  assert.equal(formatIpv6(ll), 'fe80::211:22ff:fe33:101');
  assert.ok(isIpv6LinkLocal(ll, 0));
  assert.equal(formatMac(parseMac('00:11:22:33:01:01')), '00:11:22:33:01:01');
});

test('solicited-node multicast keeps the low 24 bits', () => {
  assert.equal(
    toHex(solicitedNodeMulticast(parseIpv6('2001:db8::abcd:ef12'))),
    toHex(parseIpv6('ff02::1:ffcd:ef12')),
  );
});

test('prefix match honours partial bytes', () => {
  const a = parseIpv6('2001:db8:1:80::');
  const b = parseIpv6('2001:db8:1:ff::');
  assert.ok(ipv6PrefixMatches(a, 0, b, 0, 56));
  assert.ok(ipv6PrefixMatches(a, 0, b, 0, 57));
  assert.ok(!ipv6PrefixMatches(a, 0, b, 0, 58));
  assert.ok(ipv6PrefixMatches(a, 0, b, 0, 0));
});
