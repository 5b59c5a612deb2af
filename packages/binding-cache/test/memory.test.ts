/**
 * The memory figure: heap (and ArrayBuffer) bytes per binding for 100,000 BCEs, each with
 * one /64 HNP, an NAI, a 6-byte MN link-layer identifier, one of 100 MAGs and one shared
 * MAG link-local address. Printed, not asserted beyond a loose ceiling (it depends on the
 * V8 version); the README quotes the figure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BindingCache, ManualClock, mnIdNai, type BindingCacheEntry } from '@dmm/binding-cache';

const N = 100_000;

test('memory per binding for 100,000 BCEs (printed)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settle = async (): Promise<NodeJS.MemoryUsage> => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    return process.memoryUsage();
  };
  const mags = Array.from({ length: 100 }, (_, m) =>
    Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, m + 1),
  );
  const linkLocal = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
  const before = await settle();
  const cache = new BindingCache({ clock: new ManualClock(0) });
  for (let i = 0; i < N; i++) {
    cache.create({
      mnId: mnIdNai(`mn${i}@example.net`),
      mnLinkLayerId: Uint8Array.of(2, 0, 0, (i >>> 16) & 255, (i >>> 8) & 255, i & 255),
      magLinkLocal: linkLocal,
      prefixes: [
        {
          prefix: Uint8Array.of(
            0x20,
            0x01,
            0x0d,
            0xb8,
            i >>> 24,
            (i >>> 16) & 255,
            (i >>> 8) & 255,
            i & 255,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
          ),
          prefixLen: 64,
        },
      ],
      proxyCoa: mags[i % 100]!,
      lifetimeMs: 3_600_000 + i,
      accessTechnology: 3,
      handoffIndicator: 1,
      timestamp: { seconds: 1_700_000_000 + i, fraction: 0x1234 },
      sequence: i & 0xffff,
    });
  }
  const after = await settle();
  const heap = (after.heapUsed - before.heapUsed) / N;
  const buffers = (after.arrayBuffers - before.arrayBuffers) / N;
  const line =
    `binding-cache memory: ${N} BCEs, ${heap.toFixed(0)} heap bytes + ` +
    `${buffers.toFixed(0)} ArrayBuffer bytes = ${(heap + buffers).toFixed(0)} bytes per binding ` +
    `(node ${process.version})`;
  console.log(line);
  assert.equal(cache.size, N);
  const first: BindingCacheEntry | undefined = cache.get(0);
  assert.ok(first);
  // a loose ceiling that only a gross regression (a typed array too many per entry, a
  // closure per timer) would break
  assert.ok(heap + buffers < 2500, line);
});
