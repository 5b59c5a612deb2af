import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatIpv6Address,
  formatIpv6Prefix,
  parseIpv6Address,
  parseIpv6Prefix,
  parseMacAddress,
  prefixesOverlap,
} from '@dmm/core';

test('config ip: addresses parse with ip6addr and print per RFC 5952', () => {
  assert.equal(
    formatIpv6Address(parseIpv6Address('2001:0db8:0001:0000:9c87:0000:0000:0001')),
    '2001:db8:1:0:9c87::1',
  );
  assert.equal(formatIpv6Address(parseIpv6Address('2001:db8::1:0:0:1')), '2001:db8::1:0:0:1');
  assert.throws(() => parseIpv6Address('192.0.2.1'), /IPv4/);
  assert.throws(() => parseIpv6Address('2001:db8::/64'), /not an IPv6 address/);
  assert.throws(() => parseIpv6Address('fe80::zz'), /not an IPv6 address/);
});

test('config ip: prefixes — strict host bits, lengths, overlap', () => {
  const p = parseIpv6Prefix('2001:db8:1::/48', true);
  assert.equal(formatIpv6Prefix(p.prefix, p.prefixLen), '2001:db8:1::/48');
  assert.throws(() => parseIpv6Prefix('2001:db8:1::1/48', true), /did you mean 2001:db8:1::\/48/);
  assert.equal(parseIpv6Prefix('2001:db8:1::1/64', false).prefixLen, 64);
  assert.throws(() => parseIpv6Prefix('2001:db8::/129', true), /more than 128/);
  assert.ok(
    prefixesOverlap(
      parseIpv6Prefix('2001:db8::/32', true),
      parseIpv6Prefix('2001:db8:5::/48', true),
    ),
  );
  assert.ok(
    !prefixesOverlap(
      parseIpv6Prefix('2001:db8:1::/48', true),
      parseIpv6Prefix('2001:db8:2::/48', true),
    ),
  );
});

test('config ip: MAC addresses', () => {
  assert.deepEqual([...parseMacAddress('02:00:00:00:0A:01')], [2, 0, 0, 0, 10, 1]);
  assert.throws(() => parseMacAddress('02:00:00:00:0a'), /not a MAC address/);
});
