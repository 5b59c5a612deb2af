import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, hex, parseIpv6, pooledRegion, toHex } from '@dmm/testkit';

test('hex reads bytes, MACs, IPv6 addresses and skips comments', () => {
  const v = hex`60 0000 // version
                02:00:00:00:00:0a
                fe80::1`;
  assert.equal(toHex(v), '600000' + '02000000000a' + 'fe80' + '00'.repeat(13) + '01');
});

test('hex rejects an odd-length token', () => {
  assert.throws(() => hex`600`, /bad token/);
});

test('parseIpv6 handles ::, leading and trailing compression', () => {
  assert.equal(toHex(parseIpv6('::')), '00'.repeat(16));
  assert.equal(toHex(parseIpv6('::1')), '00'.repeat(15) + '01');
  assert.equal(toHex(parseIpv6('2001:db8::')), '20010db8' + '00'.repeat(12));
  assert.equal(toHex(parseIpv6('1:2:3:4:5:6:7:8')), '00010002000300040005000600070008');
  assert.throws(() => parseIpv6('1::2::3'));
  assert.throws(() => parseIpv6('1:2:3'));
});

test('assertBytes passes on equal content whatever the array type', () => {
  assertBytes(Buffer.from([1, 2, 3]), new Uint8Array([1, 2, 3]));
});

test('assertBytes fails on a differing byte and names the field', () => {
  assert.throws(
    () => assertBytes(hex`01 02 03`, hex`01 02 04`, [{ name: 'checksum', off: 2, len: 1 }]),
    /offset 2 in field "checksum"/,
  );
});

test('assertBytes fails on a length difference', () => {
  assert.throws(() => assertBytes(hex`01 02`, hex`01 02 03`), /offset 2/);
});

test('pooledRegion has a non-zero byteOffset', () => {
  const r = pooledRegion(40);
  assert.notEqual(r.bytes.byteOffset, 0);
  assert.equal(r.dv.getUint8(0), 0xff);
});
