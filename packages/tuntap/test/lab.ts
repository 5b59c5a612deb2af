/**
 * Test helpers for real TAP/TUN devices and network namespaces: root gating, unique
 * `dmmt-` names, `ip` wrappers, cleanup of everything a test created, a slab laid out in
 * fixed slots, and waiting for frames through `onReadable`.
 */
import assert from 'node:assert/strict';
import { DmmError } from '@dmm/core';
import { Tap, type TunTapDevice } from '@dmm/tuntap';
import { NetnsLab, inNetns, ip } from '@dmm/testkit';

export { inNetns, ip, linkInfo, requireRoot, rootOnly, sleep, type LinkInfo } from '@dmm/testkit';

/**
 * An `assert.throws` validator: the error is a DmmError with this code (asserted, so a
 * mismatch shows the actual code and message).
 */
export function isDmmErrorCode(code: string): (e: unknown) => true {
  return (e) => {
    assert.ok(e instanceof DmmError, `expected a DmmError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

/** The namespace lab of @dmm/testkit with this package's `dmmt-` prefix. */
export class Lab extends NetnsLab {
  constructor() {
    super('dmmt');
  }
}

/** Slot size and headroom of the test slab (the pool's layout in miniature). */
export const SLOT = 2048;
export const HEADROOM = 128;
export const CAPACITY = SLOT - HEADROOM;

/** A slab of `slots` fixed slots, with the offset/length vectors readBatch/writeBatch use. */
export class Slab {
  readonly ab: ArrayBuffer;
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;

  constructor(slots: number) {
    this.ab = new ArrayBuffer(slots * SLOT);
    this.bytes = new Uint8Array(this.ab);
    this.dv = new DataView(this.ab);
    this.offsets = Uint32Array.from({ length: slots }, (_, i) => i * SLOT + HEADROOM);
    this.lengths = new Uint32Array(slots);
  }

  /** Copies `frame` into slot i at the headroom and sets its length. */
  put(i: number, frame: Uint8Array): void {
    this.bytes.set(frame, this.offsets[i]!);
    this.lengths[i] = frame.length;
  }

  /** A copy of frame i (as readBatch left it). */
  frame(i: number): Uint8Array {
    const off = this.offsets[i]!;
    return this.bytes.slice(off, off + this.lengths[i]!);
  }
}

/**
 * Polls `dev` with onReadable and readBatch until `want` frames satisfy `match`, or
 * `timeoutMs` passes. Resolves with copies of the matching frames and the sizes of every
 * batch read; rejects on timeout with a list of what was seen.
 */
export function collect(
  dev: TunTapDevice,
  slab: Slab,
  match: (frame: Uint8Array) => boolean,
  want: number,
  timeoutMs = 3000,
): Promise<{ frames: Uint8Array[]; batches: number[] }> {
  return new Promise((resolve, reject) => {
    const frames: Uint8Array[] = [];
    const batches: number[] = [];
    const seen: string[] = [];
    const max = slab.offsets.length;
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      dev.offReadable();
      if (err) reject(err);
      else resolve({ frames, batches });
    };
    const timer = setTimeout(() => {
      finish(
        new Error(
          `timed out after ${timeoutMs} ms with ${frames.length}/${want} frames; ` +
            `other frames seen: ${seen.slice(0, 10).join(' | ') || 'none'}`,
        ),
      );
    }, timeoutMs);
    dev.onReadable((err) => {
      if (err) return finish(err);
      try {
        for (;;) {
          const n = dev.readBatch(slab.offsets, CAPACITY, slab.lengths, max);
          if (n > 0) batches.push(n);
          for (let i = 0; i < n; i++) {
            const f = slab.frame(i);
            if (match(f)) frames.push(f);
            else seen.push(Buffer.from(f.subarray(0, 64)).toString('hex'));
          }
          if (frames.length >= want) return finish();
          if (n < max) return;
        }
      } catch (e) {
        finish(e as Error);
      }
    });
  });
}

/** The TAP link used by the echo and batch tests: the kernel's side and ours. */
export const TAP_LINK = {
  kernelMac: '02:dd:00:00:00:01',
  peerMac: '02:dd:00:00:00:02',
  kernelAddr: '2001:db8:d::1',
  peerAddr: '2001:db8:d::2',
} as const;

/**
 * A TAP moved into a fresh namespace and configured there with `ip`: MAC
 * TAP_LINK.kernelMac, address kernelAddr/64 without DAD (`nodad`), up, and a permanent
 * neighbour entry for peerAddr at peerMac so the kernel can answer at once without
 * Neighbor Discovery. Automatic flow labels are off in the namespace
 * (net.ipv6.auto_flowlabels=0), so the kernel's packets are byte-for-byte predictable.
 */
export function tapInNetns(lab: Lab): { ns: string; tap: Tap; name: string } {
  const ns = lab.netns();
  const name = lab.devName('t');
  const tap = lab.track(new Tap({ name }));
  tap.macString = TAP_LINK.kernelMac;
  tap.moveToNetns(ns);
  inNetns(ns, 'sysctl', '-qw', 'net.ipv6.auto_flowlabels=0');
  ip('-n', ns, 'addr', 'add', `${TAP_LINK.kernelAddr}/64`, 'dev', name, 'nodad');
  ip('-n', ns, 'link', 'set', 'dev', name, 'up');
  ip(
    '-n',
    ns,
    'neigh',
    'add',
    TAP_LINK.peerAddr,
    'lladdr',
    TAP_LINK.peerMac,
    'dev',
    name,
    'nud',
    'permanent',
  );
  return { ns, tap, name };
}
