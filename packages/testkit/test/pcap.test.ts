import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType, PcapWriter, assertBytes, hex, pcapOf } from '@dmm/testkit';

// Classic pcap layout as libpcap documents it (pcap-savefile(5)): little-endian magic
// a1b2c3d4 written d4 c3 b2 a1, version 2.4, thiszone, sigfigs, snaplen, network; each
// record: ts_sec, ts_usec, incl_len, orig_len. tshark reading our files is checked in
// packages/wire/test/mobility-tshark.test.ts.

test('pcap: global header for raw IPv6 and Ethernet', () => {
  assertBytes(
    new PcapWriter(LinkType.Raw).bytes(),
    hex`d4c3b2a1 0200 0400 00000000 00000000 ffff0000 65000000`,
  );
  assertBytes(
    new PcapWriter(LinkType.Ethernet, 1500).bytes(),
    hex`d4c3b2a1 0200 0400 00000000 00000000 dc050000 01000000`,
  );
});

test('pcap: records carry seconds, microseconds and both lengths', () => {
  const w = new PcapWriter(LinkType.Raw);
  w.add(hex`60 00 00`, 1700000000500.25).add(hex`61`);
  assert.equal(w.count, 2);
  assertBytes(
    w.bytes().subarray(24),
    hex`
      00f15365 1aa20700 03000000 03000000  600000   // 1700000000 s, 500250 us
      00f15365 02a60700 01000000 01000000  61       // default: 1 ms later (501250 us)`,
  );
});

test('pcap: packets longer than the snap length are cut, original length kept', () => {
  const out = new PcapWriter(LinkType.Ethernet, 2).add(hex`01 02 03 04`, 0).bytes();
  assertBytes(out.subarray(24), hex`00000000 00000000 02000000 04000000 0102`);
});

test('pcap: the writer copies packets, so later changes do not leak in', () => {
  const p = hex`60 01`;
  const w = new PcapWriter(LinkType.Raw).add(p, 0);
  p[0] = 0;
  assert.equal(w.bytes()[24 + 16], 0x60);
  assert.equal(pcapOf(LinkType.Raw, [hex`60`, hex`60`], 1000).length, 24 + 2 * 17);
});
