/**
 * Readiness through libuv: one callback per readiness event, writable readiness while
 * registered, nothing after off*, and unref() letting the process exit while polling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Tap } from '@dmm/tuntap';
import { CAPACITY, Lab, Slab, linkInfo, requireRoot, rootOnly, sleep } from './lab.js';

const INDEX_URL = new URL('../src/index.js', import.meta.url).href;

test(
  'poll: onWritable fires while registered and stops after offWritable',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const tap = lab.track(new Tap({ name: lab.devName('w') }));
      // tun_sock_writeable() wants IFF_UP: a down device is never writable.
      tap.up = true;
      let n = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('not writable within 5 s')), 5000);
        tap.onWritable(() => {
          n++;
          if (n === 3) {
            tap.offWritable();
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await sleep(50);
      assert.equal(n, 3);
      assert.equal(tap.stats().pollWritable, 3);
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'poll: readable callbacks come while frames wait and stop after offReadable',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const name = lab.devName('v');
      const tap = lab.track(new Tap({ name }));
      const slab = new Slab(16);
      tap.attachSlab(slab.ab);
      tap.up = true; // the kernel sends MLD reports and Router Solicitations on its own
      let frames = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('nothing readable within 5 s')), 5000);
        tap.onReadable((err) => {
          if (err) return reject(err);
          const got = tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 16);
          frames += got;
          if (frames > 0) {
            clearTimeout(timer);
            tap.offReadable();
            resolve();
          }
        });
      });
      const cbs = tap.stats().pollReadable;
      assert.ok(cbs >= 1);
      assert.equal(tap.stats().readFrames, frames);
      tap.up = false;
      tap.up = true; // more unsolicited traffic, nobody listening
      await sleep(200);
      assert.equal(tap.stats().pollReadable, cbs, 'no callback after offReadable');
      assert.ok(linkInfo(name) !== null);
    } finally {
      lab.cleanup();
    }
  },
);

test('poll: an unref()ed device does not keep the process alive', rootOnly(), () => {
  requireRoot();
  const lab = new Lab();
  try {
    const name = lab.devName('y');
    const script = `import { Tap } from ${JSON.stringify(INDEX_URL)};
      const tap = new Tap({ name: ${JSON.stringify(name)} });
      tap.onReadable(() => {});
      tap.unref();
      process.on('exit', () => console.log('exited'));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 10000,
    });
    assert.equal(r.signal, null, 'the child exited by itself, not by the timeout');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /exited/);
    assert.equal(linkInfo(name), null, 'the device went away with the process');
  } finally {
    lab.cleanup();
  }
});
