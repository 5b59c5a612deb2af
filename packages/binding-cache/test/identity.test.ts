/**
 * MN-ID keys and text, sequence-number ordering (RFC 6275 §9.5.1: a is newer than b when
 * (a − b) mod 2^16 lies in 1 … 2^15 − 1) and timestamp ordering (RFC 5213 §5.5: 48-bit
 * seconds, then the 16-bit fraction). The cases are hand-derived from those two rules,
 * including both sides of every wrap-around boundary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '@dmm/testkit';
import {
  compareTimestamps,
  copyMnId,
  formatLinkLayerId,
  formatMnId,
  isSequenceNewer,
  mnIdBytes,
  mnIdKey,
  mnIdNai,
  timestampValue,
  NO_LINK_LAYER_ID,
} from '@dmm/binding-cache';

test('sequence numbers compare modulo 2^16 (RFC 6275 §9.5.1)', () => {
  const cases: [number, number, boolean][] = [
    [1, 0, true],
    [0, 1, false],
    [5, 5, false], // equal is not newer
    [0x7fff, 0, true], // d = 2^15 − 1: the last "newer"
    [0x8000, 0, false], // d = 2^15: not newer
    [0, 0x8000, false], // d = 2^15 the other way: not newer either
    [0, 0xffff, true], // wrap: 0 follows 65535
    [3, 0xfffe, true], // d = 5 across the wrap
    [0xfffe, 3, false],
    [0x8001, 1, false], // d = 2^15
    [0x8000, 1, true], // d = 2^15 − 1
    [0x1_0001, 0, true], // inputs beyond 16 bits are taken modulo 2^16
  ];
  for (const [a, b, want] of cases) assert.equal(isSequenceNewer(a, b), want, `${a} vs ${b}`);
});

test('timestamps order by seconds, then fraction (RFC 5213 §5.5)', () => {
  assert.equal(compareTimestamps(100, 0, 100, 0), 0);
  assert.equal(compareTimestamps(100, 1, 100, 0), 1);
  assert.equal(compareTimestamps(100, 0xffff, 101, 0), -1);
  assert.equal(compareTimestamps(2 ** 40, 0, 2 ** 40 - 1, 0xffff), 1); // 48-bit seconds stay exact
  assert.equal(timestampValue(0, 0), null);
  assert.equal(timestampValue(1_700_000_000, 0x8000), 1_700_000_000.5);
});

test('MN-ID keys: the NAI itself, or NUL + subtype + hex for byte forms', () => {
  assert.equal(mnIdKey(mnIdNai('mn1@example.net')), 'mn1@example.net');
  assert.equal(mnIdKey(mnIdBytes(3, hex`00 01 10`)), '\u00003:000110');
  assert.notEqual(mnIdKey(mnIdBytes(3, hex`01`)), mnIdKey(mnIdBytes(5, hex`01`)));
  assert.equal(formatMnId(mnIdNai('mn1@example.net')), 'mn1@example.net');
  assert.equal(formatMnId(mnIdBytes(3, hex`00 01 10`)), 'imsi:000110');
  assert.equal(formatMnId(mnIdBytes(5, hex`02 00 00 00 00 01`)), 'eui48:020000000001');
  assert.equal(formatMnId(mnIdBytes(200, hex`ab`)), 'subtype-200:ab');
  const src = hex`0a 0b`;
  const c = copyMnId(mnIdBytes(3, src));
  src[0] = 0xff;
  assert.equal(formatMnId(c), 'imsi:0a0b');
  assert.equal(formatLinkLayerId(hex`02:00:00:00:00:0a`), '02:00:00:00:00:0a');
  assert.equal(formatLinkLayerId(NO_LINK_LAYER_ID), null);
});
