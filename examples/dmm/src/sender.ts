/**
 * The probe's sender, a worker thread of the node's agent (agent.ts): one datagram every
 * `periodNs` (250 µs by default) to the correspondent, from a socket bound to the node's
 * first address. It busy-waits on `process.hrtime.bigint()` — a timer cannot wake a Node
 * thread every 250 µs — so it never returns to its event loop while it runs; the socket is
 * connected, which makes `send` synchronous (libuv's `uv_udp_try_send`), and each send is
 * recorded in the shared ring (ring.ts) with no allocation of ours.
 *
 * After a stall (the thread was descheduled), sending resumes on the next period instead of
 * catching up with a burst; the analysis reports such stalls (`maxSendGapNs`).
 */
import { createSocket } from 'node:dgram';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { probeDatagram } from './datagram.js';
import { attachProbeRing, Ctrl, recordSent, type ProbeRingBuffers } from './ring.js';

export interface SenderData {
  ring: ProbeRingBuffers;
  from: string;
  target: string;
  port: number;
  replyPort: number;
  periodNs: number;
  /** Nice value of this thread alone (Linux nice is per thread), or null to inherit. */
  nice: number | null;
  /**
   * null: busy-wait the whole period. Otherwise sleep until `spinNs` before each send and
   * busy-wait only that last stretch.
   */
  spinNs: number | null;
}

const data = workerData as SenderData;
if (data.nice !== null) setPriority(0, data.nice);
const ring = attachProbeRing(data.ring);
const sock = createSocket({ type: 'udp6' });
sock.on('error', (e) => parentPort?.postMessage({ error: e.message }));

/** Lets the event loop turn once (a send that did not complete synchronously finishes). */
function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

async function run(): Promise<void> {
  const buf = probeDatagram(data.replyPort);
  const period = BigInt(data.periodNs);
  const spin = BigInt(data.spinNs ?? 0);
  const sleepCell = data.spinNs === null ? null : new Int32Array(new SharedArrayBuffer(4));
  const hr = process.hrtime.bigint;
  let seq = Atomics.load(ring.ctrl, Ctrl.head);
  let next = hr();
  let turnAt = next + 100_000_000n;
  while (Atomics.load(ring.ctrl, Ctrl.stop) === 0) {
    let now = hr();
    if (sleepCell !== null && next - now > spin) {
      // sleep through most of the period; the last `spin` ns are busy-waited
      Atomics.wait(sleepCell, 0, 0, Number(next - now - spin) / 1e6);
      now = hr();
    }
    while (now < next) now = hr();
    recordSent(ring, seq, now);
    buf.writeUInt32BE(seq, 4);
    // published before the send: the send wakes the router that reads the TAP, which may
    // preempt this thread right there, and the echo can be back before it runs again
    seq++;
    Atomics.store(ring.ctrl, Ctrl.head, seq);
    sock.send(buf);
    next += period;
    if (now > next) next = now + period;
    if (now >= turnAt) {
      // every 100 ms: a datagram the kernel refused at once (EAGAIN) waits in libuv's
      // queue until the loop runs
      turnAt = now + 100_000_000n;
      await turn();
    }
  }
  sock.close();
  parentPort?.postMessage({ stopped: seq });
}

sock.bind({ address: data.from, port: 0 }, () => {
  sock.connect(data.port, data.target, () => {
    parentPort?.postMessage({ ready: true });
    void run();
  });
});
