/**
 * Batched I/O against a real kernel: one writeBatch hands many frames to the kernel (its
 * rx counter agrees), one readBatch returns many frames, `max` and "try again" end a
 * batch, frames bigger than `capacity` are counted and dropped, and a frame the kernel
 * refuses is counted and skipped without stopping the batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv6, parseMac } from '@dmm/testkit';
import { Icmpv6Type } from '@dmm/wire';
import type { Tap } from '@dmm/tuntap';
import { ETH_HEADER_LEN, emitEcho, isEchoReply, parseEcho } from './frames.js';
import {
  CAPACITY,
  Lab,
  Slab,
  TAP_LINK,
  collect,
  linkInfo,
  requireRoot,
  rootOnly,
  sleep,
  tapInNetns,
} from './lab.js';

/** Writes Echo Request `seq` (with `dataLen` bytes of data) for identifier `id` into slot i. */
function putRequest(slab: Slab, i: number, id: number, seq: number, dataLen = 16): void {
  const data = new Uint8Array(dataLen).map((_, k) => (seq + k) & 0xff);
  slab.lengths[i] = emitEcho(slab.bytes, slab.dv, slab.offsets[i]!, {
    dstMac: parseMac(TAP_LINK.kernelMac),
    srcMac: parseMac(TAP_LINK.peerMac),
    src: parseIpv6(TAP_LINK.peerAddr),
    dst: parseIpv6(TAP_LINK.kernelAddr),
    type: Icmpv6Type.EchoRequest,
    id,
    seq,
    data,
  });
}

/** Reads and discards what the kernel sent on its own (MLD reports, RS, DAD). */
async function drain(tap: Tap, slab: Slab): Promise<void> {
  await sleep(50);
  while (tap.readBatch(slab.offsets, CAPACITY, slab.lengths, slab.offsets.length) > 0);
}

/** Waits until `tap` is readable once (at most 3 s). */
function readable(tap: Tap): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      tap.offReadable();
      reject(new Error('not readable within 3 s'));
    }, 3000);
    tap.onReadable((err) => {
      clearTimeout(timer);
      tap.offReadable();
      if (err) reject(err);
      else resolve();
    });
  });
}

test(
  'batch: one writeBatch of 32 frames reaches the kernel and one readBatch returns many',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const { ns, tap, name } = tapInNetns(lab);
      const N = 32;
      const slab = new Slab(64);
      tap.attachSlab(slab.ab);
      await drain(tap, slab);
      const id = 0x5a5a;
      for (let i = 0; i < N; i++) putRequest(slab, i, id, i + 1);

      const rx0 = linkInfo(name, ns)!.stats64.rx.packets;
      const s0 = tap.stats();
      assert.equal(tap.writeBatch(slab.offsets, slab.lengths, N), N);
      const s1 = tap.stats();
      assert.equal(s1.writes - s0.writes, 1, 'one native call');
      assert.equal(s1.writeFrames - s0.writeFrames, N);
      assert.equal(s1.writeErrors, 0);
      assert.equal(linkInfo(name, ns)!.stats64.rx.packets - rx0, N, 'kernel counted every frame');

      // Let all 32 replies queue up, then: max bounds a batch, and one call returns many.
      await readable(tap);
      await sleep(50);
      const seqs = new Set<number>();
      const take = (n: number): void => {
        for (let i = 0; i < n; i++) {
          const e = parseEcho(slab.frame(i), ETH_HEADER_LEN);
          if (e && e.type === Icmpv6Type.EchoReply && e.id === id) {
            assert.ok(e.checksumOk, `checksum of reply ${e.seq}`);
            seqs.add(e.seq);
          }
        }
      };
      const first = tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 1);
      assert.equal(first, 1, 'max = 1 reads exactly one frame');
      take(first);
      const many = tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 64);
      assert.ok(many > 1, `one readBatch returned ${many} frames`);
      take(many);
      // Whatever was not queued yet arrives through the poller.
      if (seqs.size < N) {
        const rest = await collect(tap, slab, isEchoReply(ETH_HEADER_LEN, id), N - seqs.size);
        for (const f of rest.frames) seqs.add(parseEcho(f, ETH_HEADER_LEN)!.seq);
      }
      assert.equal(seqs.size, N, 'a reply for every request');

      // Empty queue: readBatch returns 0 at once and counts the EAGAIN.
      await sleep(20);
      while (tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 64) > 0);
      const e0 = tap.stats().readEagain;
      assert.equal(tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 64), 0);
      assert.equal(tap.stats().readEagain, e0 + 1);
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'batch: a frame the kernel refuses is counted and skipped, the rest are sent',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const { ns, tap, name } = tapInNetns(lab);
      const slab = new Slab(8);
      tap.attachSlab(slab.ab);
      await drain(tap, slab);
      putRequest(slab, 0, 0x7001, 1);
      slab.lengths[1] = 4; // shorter than an Ethernet header: tun_get_user says EINVAL
      putRequest(slab, 2, 0x7001, 2);
      const rx0 = linkInfo(name, ns)!.stats64.rx.packets;
      assert.equal(tap.writeBatch(slab.offsets, slab.lengths, 3), 3, 'all three finished');
      const s = tap.stats();
      assert.equal(s.writeFrames, 2);
      assert.equal(s.writeErrors, 1);
      assert.equal(s.lastWriteErrno, 22, 'EINVAL');
      assert.equal(linkInfo(name, ns)!.stats64.rx.packets - rx0, 2);
      const { frames } = await collect(tap, slab, isEchoReply(ETH_HEADER_LEN, 0x7001), 2);
      assert.deepEqual(frames.map((f) => parseEcho(f, ETH_HEADER_LEN)!.seq).sort(), [1, 2]);

      // A device that is down refuses frames with EIO: counted, not thrown.
      tap.up = false;
      putRequest(slab, 0, 0x7001, 3);
      assert.equal(tap.writeBatch(slab.offsets, slab.lengths, 1), 1);
      assert.equal(tap.stats().writeErrors, 2);
      assert.equal(tap.stats().lastWriteErrno, 5, 'EIO');
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'batch: a frame longer than capacity is counted as truncated and dropped',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const { tap } = tapInNetns(lab);
      const slab = new Slab(8);
      tap.attachSlab(slab.ab);
      await drain(tap, slab);
      // Reply frame: 14 + 40 + 8 + 1000 = 1062 bytes.
      putRequest(slab, 0, 0x7002, 1, 1000);
      assert.equal(tap.writeBatch(slab.offsets, slab.lengths, 1), 1);
      await readable(tap);
      await sleep(20);
      const n = tap.readBatch(slab.offsets, 512, slab.lengths, 8);
      for (let i = 0; i < n; i++) {
        assert.ok(!isEchoReply(ETH_HEADER_LEN, 0x7002)(slab.frame(i)), 'no cut reply delivered');
      }
      assert.equal(tap.stats().readTruncated, 1);

      // The same reply fits a full slot.
      putRequest(slab, 0, 0x7002, 2, 1000);
      assert.equal(tap.writeBatch(slab.offsets, slab.lengths, 1), 1);
      const { frames } = await collect(tap, slab, isEchoReply(ETH_HEADER_LEN, 0x7002), 1);
      assert.equal(frames[0]!.length, 1062);
      assert.ok(parseEcho(frames[0]!, ETH_HEADER_LEN)!.checksumOk);
    } finally {
      lab.cleanup();
    }
  },
);
