/**
 * The traffic generator builds the frame the benchmarks claim: perf/c/udpgen.c compiled
 * with gcc, asked to `--dump` its first frame, must equal the scapy-built udp-126 fixture
 * byte for byte (two independent encoders, checksum included). Needs gcc, not root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBytes } from '@dmm/testkit';
import { UDP_126 } from '@dmm/perf/bench/fixtures.js';
import { ensureBuilt } from '@dmm/perf/e2e/cbuild.js';
import { which } from '@dmm/perf/e2e/sys.js';

const ARGS = ['--src-mac', '02:00:00:00:0a:01', '--dst-mac', '02:00:00:00:0b:01'];
const ADDRS = ['--src', 'fd00:a::1', '--dst', 'fd00:b::1'];

test(
  'udpgen --dump: the first frame equals the scapy udp-126 vector',
  { skip: which('gcc') === null ? 'gcc is not installed' : false },
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'udpgen-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const bin = ensureBuilt('udpgen', dir);
    const dump = (extra: string[]): Uint8Array => {
      const r = spawnSync(bin, ['--dump', ...ARGS, ...ADDRS, ...extra], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return Uint8Array.from(Buffer.from(r.stdout.trim(), 'hex'));
    };
    assertBytes(dump([]), UDP_126);
    // Another source port changes the port and the checksum, nothing else.
    const other = dump(['--sport', '10001']);
    assert.equal(other.length, 126);
    assert.deepEqual([other[54], other[55]], [0x27, 0x11]);
    const expect = UDP_126.slice();
    expect[55] = 0x11;
    // RFC 1071: the one's-complement sum grows by 1, so the checksum drops by 1.
    expect[61] = UDP_126[61]! - 1;
    assertBytes(other, expect);
  },
);

test(
  'udpgen: bad arguments are refused with status 2',
  { skip: which('gcc') === null ? 'gcc is not installed' : false },
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'udpgen-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const bin = ensureBuilt('udpgen', dir);
    const bad = (args: string[]): number | null =>
      spawnSync(bin, args, { encoding: 'utf8' }).status;
    assert.equal(bad([]), 2, 'no arguments');
    assert.equal(bad(['--dump', ...ARGS, '--src', 'not-an-address', '--dst', 'fd00:b::1']), 2);
    assert.equal(bad(['--dump', ...ARGS, ...ADDRS, '--payload', '5000']), 2);
    assert.equal(bad(['--dev', 'lo', ...ARGS, ...ADDRS]), 2, 'neither --seconds nor --count');
  },
);
