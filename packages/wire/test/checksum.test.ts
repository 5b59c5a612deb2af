import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '@dmm/testkit';
import { finishChecksum, foldSum, onesSum, upperLayerChecksum } from '@dmm/wire';

// scapy test/scapy/layers/inet6.uts: IPv6()/MIP6MH_BA(mhtime=42), ::1 → ::1; the MH
// checksum field is 0xbcb9 (protocol.md §5.1). Not produced by any encoder of ours.
const SCAPY_BA = hex`
  60000000 00108740  ::1  ::1
  3b 01 06 00  bcb9  00 80  0000  002a  01 02 00 00`;

test('checksum: RFC 1071 example words sum and fold', () => {
  // RFC 1071 §3 numerical example: 00 01 f2 03 f4 f5 f6 f7 → sum ddf2 (before complement).
  const b = hex`0001 f203 f4f5 f6f7`;
  assert.equal(foldSum(onesSum(b, 0, b.length)), 0xddf2);
  assert.equal(finishChecksum(onesSum(b, 0, b.length)), 0x220d);
});

test('checksum: an odd length pads the last byte with zero', () => {
  assert.equal(onesSum(hex`01`, 0, 1), 0x0100);
  assert.equal(onesSum(hex`ab cd ef`, 0, 3), 0xabcd + 0xef00);
});

test('checksum: the scapy MH vector verifies (sum including the checksum is 0)', () => {
  assert.equal(upperLayerChecksum(SCAPY_BA, 0, 40, 16, 135), 0);
});

test('checksum: recomputing with the field zeroed gives scapy value 0xbcb9', () => {
  const b = Uint8Array.from(SCAPY_BA);
  b[44] = 0;
  b[45] = 0;
  assert.equal(upperLayerChecksum(b, 0, 40, 16, 135), 0xbcb9);
});

test('checksum: flipping any byte of the packet breaks verification', () => {
  for (let i = 8; i < SCAPY_BA.length; i++) {
    const b = Uint8Array.from(SCAPY_BA);
    b[i]! ^= 0x01;
    assert.notEqual(upperLayerChecksum(b, 0, 40, 16, 135), 0, `byte ${i}`);
  }
});
