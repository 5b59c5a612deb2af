/**
 * Every failure is a DmmError with a stable code and errno/syscall details, and nothing
 * crashes: bad arguments, names in use, missing namespaces, closed devices, devices deleted
 * under us, missing privileges, and exceptions thrown by readiness callbacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DmmError } from '@dmm/core';
import { Tap, Tun, TuntapErrorCode, parseMacAddress } from '@dmm/tuntap';
import {
  CAPACITY,
  Lab,
  Slab,
  ip,
  isDmmErrorCode,
  linkInfo,
  requireRoot,
  rootOnly,
  sleep,
} from './lab.js';

const C = TuntapErrorCode;
const INDEX_URL = new URL('../src/index.js', import.meta.url).href;

/** Runs an ES module snippet in a child Node (optionally under a wrapper command). */
function runChild(
  script: string,
  wrapper: string[] = [],
): { stdout: string; stderr: string; status: number | null } {
  const cmd = [...wrapper, process.execPath, '--input-type=module', '-e', script];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', timeout: 15000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('errors: names longer than 15 bytes or with bad characters are BAD_ARGUMENT', () => {
  assert.throws(() => new Tap({ name: 'dmmt-0123456789a' }), isDmmErrorCode(C.BadArgument));
  // 15 characters but 16 bytes in UTF-8: the limit is in bytes.
  assert.throws(() => new Tap({ name: 'dmmt-é123456789' }), isDmmErrorCode(C.BadArgument));
  for (const bad of ['dmmt/x', 'dmmt x', 'dmmt:0', '.', '..']) {
    assert.throws(() => new Tun({ name: bad }), isDmmErrorCode(C.BadArgument), bad);
  }
  try {
    new Tap({ name: 'dmmt-0123456789a' });
  } catch (e) {
    assert.ok(e instanceof DmmError);
    assert.deepEqual(e.details, { name: 'dmmt-0123456789a', bytes: 16, max: 15 });
  }
});

test('errors: MAC text that is not six hex pairs is BAD_ARGUMENT', () => {
  assert.deepEqual(parseMacAddress('02:DD:00:00:0a:0B'), Uint8Array.of(2, 0xdd, 0, 0, 10, 11));
  for (const bad of ['02:dd:00:00:0a', '02:dd:00:00:0a:0b:0c', 'zz:dd:00:00:0a:0b', '']) {
    assert.throws(() => parseMacAddress(bad), isDmmErrorCode(C.BadArgument), bad);
  }
});

test('errors: opening an existing TUN as a TAP is NAME_IN_USE', rootOnly(), () => {
  requireRoot();
  const lab = new Lab();
  try {
    const name = lab.devName('x');
    ip('tuntap', 'add', 'dev', name, 'mode', 'tun');
    assert.throws(
      () => new Tap({ name }),
      (e: unknown) => {
        isDmmErrorCode(C.NameInUse)(e);
        const d = (e as DmmError).details;
        assert.equal(d['errnoName'], 'EINVAL', 'TUNSETIFF says EINVAL for a kind mismatch');
        assert.equal(d['syscall'], 'ioctl(TUNSETIFF)');
        return true;
      },
    );
    // As a TUN it opens (the persistent device made by ip).
    const tun = lab.track(new Tun({ name }));
    assert.equal(tun.persist, true);
    // A single-queue device with its queue taken: EBUSY.
    assert.throws(
      () => new Tun({ name }),
      (e: unknown) => {
        isDmmErrorCode(C.NameInUse)(e);
        assert.equal((e as DmmError).details['errno'], 16);
        return true;
      },
    );
  } finally {
    lab.cleanup();
  }
});

test(
  'errors: moving into a missing namespace is DEVICE_GONE and changes nothing',
  rootOnly(),
  () => {
    requireRoot();
    const lab = new Lab();
    try {
      const name = lab.devName('n');
      const tap = lab.track(new Tap({ name }));
      assert.throws(
        () => tap.moveToNetns('dmmt-no-such-ns'),
        (e: unknown) => {
          isDmmErrorCode(C.DeviceGone)(e);
          assert.equal((e as DmmError).details['netns'], 'dmmt-no-such-ns');
          assert.equal((e as DmmError).details['errnoName'], 'ENOENT');
          return true;
        },
      );
      assert.throws(() => tap.moveToNetns('../etc'), isDmmErrorCode(C.BadArgument));
      assert.equal(tap.netns, null);
      assert.ok(linkInfo(name) !== null);
      tap.mtu = 1400;
      assert.equal(linkInfo(name)!.mtu, 1400);

      // A namespace that already has a device of that name: EEXIST, NAME_IN_USE.
      const ns = lab.netns();
      ip('-n', ns, 'tuntap', 'add', 'dev', name, 'mode', 'tap');
      assert.throws(() => tap.moveToNetns(ns), isDmmErrorCode(C.NameInUse));
      assert.equal(tap.netns, null);
      assert.ok(linkInfo(name) !== null, 'still in the original namespace');
    } finally {
      lab.cleanup();
    }
  },
);

test('errors: batch arguments are validated once per call', rootOnly(), () => {
  requireRoot();
  const lab = new Lab();
  try {
    const tap = lab.track(new Tap({ name: lab.devName('b') }));
    const slab = new Slab(4);
    const bad = isDmmErrorCode(C.BadArgument);
    assert.throws(() => tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 4), bad, 'no slab');
    assert.throws(() => tap.writeBatch(slab.offsets, slab.lengths, 1), bad, 'no slab');
    tap.attachSlab(slab.ab);
    assert.equal(tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 4), 0);
    // offsets[3] + capacity is one byte past the end of the slab.
    assert.throws(() => tap.readBatch(slab.offsets, CAPACITY + 1, slab.lengths, 4), bad);
    assert.equal(
      tap.readBatch(slab.offsets, CAPACITY + 1, slab.lengths, 3),
      0,
      'only i < max count',
    );
    assert.throws(() => tap.readBatch(slab.offsets, 0, slab.lengths, 4), bad, 'capacity 0');
    assert.throws(
      () => tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 5),
      bad,
      'max > length',
    );
    assert.throws(() => tap.readBatch(slab.offsets, -1, slab.lengths, 4), bad, 'negative');
    assert.throws(() => tap.readBatch(slab.offsets, 1.5, slab.lengths, 4), bad, 'fraction');
    const i32 = new Int32Array(4) as unknown as Uint32Array;
    assert.throws(() => tap.readBatch(i32, CAPACITY, slab.lengths, 4), bad, 'Int32Array');
    assert.throws(() => tap.writeBatch(slab.offsets, i32, 1), bad, 'Int32Array');
    slab.lengths[0] = 2049;
    slab.offsets[0] = slab.ab.byteLength - 2048;
    assert.throws(() => tap.writeBatch(slab.offsets, slab.lengths, 1), bad, 'frame past the end');
    slab.offsets[0] = 0xffffffff;
    slab.lengths[0] = 2;
    assert.throws(() => tap.writeBatch(slab.offsets, slab.lengths, 1), bad, 'offset overflow');
    assert.throws(() => tap.writeBatch(slab.offsets, slab.lengths, 5), bad, 'count > length');
    assert.equal(tap.writeBatch(slab.offsets, slab.lengths, 0), 0);
    assert.throws(() => tap.attachSlab(new Uint8Array(8) as unknown as ArrayBuffer), bad);
    // A slab transferred away (detached) is refused, not read through a stale pointer.
    structuredClone(slab.ab, { transfer: [slab.ab] });
    assert.throws(
      () => tap.readBatch(new Uint32Array(1), 64, new Uint32Array(1), 1),
      bad,
      'detached',
    );

    assert.throws(() => (tap.mac = Uint8Array.of(1, 0, 0, 0, 0, 1)), bad, 'multicast MAC');
    assert.throws(() => (tap.mac = new Uint8Array(6)), bad, 'zero MAC');
    assert.throws(() => (tap.mac = new Uint8Array(5)), bad, 'short MAC');
    assert.throws(() => (tap.macString = 'nonsense'), bad);
    assert.throws(() => (tap.mtu = 10), bad, 'below the minimum MTU (kernel EINVAL)');
    assert.throws(() => (tap.mtu = 70000), bad, 'above the maximum MTU');
    const s = tap.stats();
    assert.equal(s.reads, 2, 'rejected calls never reached the read loop');
    assert.equal(s.writes, 1);
  } finally {
    lab.cleanup();
  }
});

test('errors: after close every call throws DEVICE_GONE instead of crashing', rootOnly(), () => {
  requireRoot();
  const lab = new Lab();
  try {
    const tap = lab.track(new Tap({ name: lab.devName('z') }));
    const slab = new Slab(2);
    tap.attachSlab(slab.ab);
    tap.close();
    tap.close();
    assert.equal(tap.closed, true);
    const gone = (e: unknown): true => {
      isDmmErrorCode(C.DeviceGone)(e);
      assert.equal((e as DmmError).details['closed'], true);
      return true;
    };
    const calls: [string, () => unknown][] = [
      ['name', () => tap.name],
      ['ifindex', () => tap.ifindex],
      ['fd', () => tap.fd],
      ['mac', () => tap.mac],
      ['mtu', () => tap.mtu],
      ['up', () => (tap.up = true)],
      ['persist', () => tap.persist],
      ['moveToNetns', () => tap.moveToNetns('dmmt-x')],
      ['attachSlab', () => tap.attachSlab(slab.ab)],
      ['readBatch', () => tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 2)],
      ['writeBatch', () => tap.writeBatch(slab.offsets, slab.lengths, 1)],
      ['onReadable', () => tap.onReadable(() => {})],
      ['onWritable', () => tap.onWritable(() => {})],
    ];
    for (const [what, f] of calls) assert.throws(f, gone, what);
    tap.offReadable(); // harmless after close
    assert.equal(typeof tap.stats().reads, 'number');
  } finally {
    lab.cleanup();
  }
});

test(
  'errors: closing inside the readable callback stops callbacks at once',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const name = lab.devName('r');
      const tap = lab.track(new Tap({ name }));
      tap.up = true; // the kernel starts sending (MLD reports, Router Solicitations)
      let calls = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no readiness within 5 s')), 5000);
        tap.onReadable(() => {
          calls++;
          tap.close(); // without reading: a level-triggered poll would call again
          clearTimeout(timer);
          resolve();
        });
      });
      await sleep(100);
      assert.equal(calls, 1);
      assert.equal(linkInfo(name), null);
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'errors: a device deleted under us is DEVICE_GONE for the poller, reads and writes',
  rootOnly(),
  async () => {
    requireRoot();
    const lab = new Lab();
    try {
      const name = lab.devName('g');
      const tap = lab.track(new Tap({ name }));
      const slab = new Slab(2);
      tap.attachSlab(slab.ab);
      const reported = new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no error reported within 3 s')), 3000);
        tap.onReadable((err) => {
          clearTimeout(timer);
          resolve(err);
        });
      });
      ip('link', 'del', 'dev', name);
      const err = await reported;
      isDmmErrorCode(C.DeviceGone)(err);
      assert.throws(
        () => tap.readBatch(slab.offsets, CAPACITY, slab.lengths, 2),
        (e: unknown) => {
          isDmmErrorCode(C.DeviceGone)(e);
          assert.equal((e as DmmError).details['errnoName'], 'EBADFD');
          assert.equal((e as DmmError).details['syscall'], 'read');
          return true;
        },
      );
      slab.lengths[0] = 60;
      assert.throws(
        () => tap.writeBatch(slab.offsets, slab.lengths, 1),
        isDmmErrorCode(C.DeviceGone),
      );
      assert.throws(() => tap.mtu, isDmmErrorCode(C.DeviceGone));
      tap.close();
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'errors: without CAP_NET_ADMIN opening fails with PERMISSION naming the capability',
  rootOnly(),
  (t) => {
    requireRoot();
    if (!existsSync('/usr/bin/setpriv')) {
      t.skip('setpriv (util-linux) is not installed');
      return;
    }
    const lab = new Lab();
    try {
      const name = lab.devName('q');
      const r = runChild(
        `import { Tap } from ${JSON.stringify(INDEX_URL)};
       try { new Tap({ name: ${JSON.stringify(name)} }); console.log('{"opened":true}'); }
       catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, details: e.details })); }`,
        ['/usr/bin/setpriv', '--bounding-set=-net_admin'],
      );
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        code: string;
        message: string;
        details: Record<string, unknown>;
      };
      assert.equal(out.code, C.Permission);
      assert.match(out.message, /CAP_NET_ADMIN/);
      assert.equal(out.details['errnoName'], 'EPERM');
      assert.equal(linkInfo(name), null);
    } finally {
      lab.cleanup();
    }
  },
);

test(
  'errors: an exception thrown by a readable callback is an uncaught exception',
  rootOnly(),
  () => {
    requireRoot();
    const lab = new Lab();
    try {
      const name = lab.devName('e');
      const r = runChild(
        `import { Tap } from ${JSON.stringify(INDEX_URL)};
       const tap = new Tap({ name: ${JSON.stringify(name)} });
       process.on('uncaughtException', (e) => { console.log('caught ' + e.message); tap.close(); });
       tap.onReadable(() => { throw new Error('boom from the callback'); });
       tap.up = true;
       setTimeout(() => { console.log('timeout'); tap.close(); }, 5000).unref();`,
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^caught boom from the callback$/m);
    } finally {
      lab.cleanup();
    }
  },
);
