import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertBytes, hex, parseIpv6, parseMac } from '@dmm/testkit';
import { BufferPool } from '@dmm/core';
import { PbuFlag, type PbaRepr, type PbuRepr } from '@dmm/wire';
import {
  buildPbaPacket,
  buildPbuPacket,
  checkTimestamp,
  decodeMobilityMessage,
  timestampMs,
  timestampOption,
} from '@dmm/pmip';

// protocol.md §5.2 PBU and PBA (hand-written Python and scapy 2.5, byte-identical).
const PBU = hex`6000000000688740fd000100000000000000000000000002fd000100000000000000000000
0000013b0c050029b700018200000f16120000000000000000000000000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;
const PBA = hex`6000000000688740fd000100000000000000000000000001fd000100000000000000000000
0000023b0c06007c9c00200001000f1612004020010db80001000100000000000000001702
00011802000301001b0800006553f10080000810016d6e31406578616d706c652e6f726719
0800000200000000010104000000001a10fe800000000000000000000000000001`;

const MAG = parseIpv6('fd00:100::2');
const LMA = parseIpv6('fd00:100::1');
const common = [
  { kind: 'handoff-indicator', value: 1 },
  { kind: 'access-technology-type', value: 3 },
  timestampOption(1700000000500),
  { kind: 'mn-id', nai: 'mn1@example.org' },
  { kind: 'mn-link-layer-id', identifier: parseMac('02:00:00:00:00:01') },
  { kind: 'link-local-address', address: parseIpv6('fe80::1') },
] as const;
const PBU_REPR: PbuRepr = {
  sequence: 1,
  flags: PbuFlag.A | PbuFlag.P,
  lifetime: 15,
  options: [{ kind: 'hnp', prefixLength: 0, prefix: new Uint8Array(16) }, ...common],
};
const PBA_REPR: PbaRepr = {
  status: 0,
  flags: 0x20,
  sequence: 1,
  lifetime: 15,
  options: [{ kind: 'hnp', prefixLength: 64, prefix: parseIpv6('2001:db8:1:1::') }, ...common],
};

test('mh packets: PBU and PBA built into pool buffers equal the protocol.md vectors', () => {
  const pool = new BufferPool({ count: 4 });
  const pbu = buildPbuPacket(pool, MAG, LMA, PBU_REPR)!;
  assertBytes(pool.toBytes(pbu), PBU);
  const pba = buildPbaPacket(pool, LMA, MAG, PBA_REPR)!;
  assertBytes(pool.toBytes(pba), PBA);
});

test('mh packets: decoding checks checksum, Payload Proto and type', () => {
  const pool = new BufferPool({ count: 4 });
  const at = (bytes: Uint8Array) => {
    const pb = pool.fromBytes(bytes)!;
    pb.l3 = pb.start;
    pb.l4 = pb.start + 40;
    return pb;
  };
  const ok = decodeMobilityMessage(at(PBU));
  assert.ok(typeof ok !== 'string' && ok.type === 'pbu');
  assert.equal(ok.pbu.sequence, 1);
  const bad = Uint8Array.from(PBU);
  bad[45] ^= 1;
  assert.equal(decodeMobilityMessage(at(bad)), 'bad-checksum');
  const truncated = at(PBU.subarray(0, 60));
  assert.equal(decodeMobilityMessage(truncated), 'malformed');
});

test('timestamps: window and ordering per RFC 5213 §5.5', () => {
  const ms = timestampMs(timestampOption(1700000000500) as { seconds: number; fraction: number });
  assert.equal(ms, 1700000000500);
  assert.equal(checkTimestamp(1000, 1250, 300, null), 'ok');
  assert.equal(checkTimestamp(1000, 1301, 300, null), 'mismatch');
  assert.equal(checkTimestamp(1000, 1100, 300, 1001), 'stale');
  assert.equal(checkTimestamp(1001, 1100, 300, 1001), 'ok', 'equal is not lower');
  assert.equal(checkTimestamp(1001, 1100, 300, 1001, true), 'stale', 'a replay, when asked');
  assert.equal(checkTimestamp(1002, 1100, 300, 1001, true), 'ok');
  assert.equal(checkTimestamp(1001, 1400, 300, 1001, true), 'mismatch', 'window first');
});
