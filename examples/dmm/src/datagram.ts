/**
 * The probe datagram (UDP payload, 32 bytes). The echo server sends it back unchanged to
 * the sender's address and to the reply port it names, so the busy-waiting sender's socket
 * (a worker thread that never runs its event loop) and the receiving socket (the agent's
 * main thread) can be two sockets.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     magic 0x444d4d70 ("DMMp")                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        sequence number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          reply port           |            zero               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     zero (20 bytes)                           |
 */
export const PROBE_MAGIC = 0x444d4d70;
export const PROBE_LEN = 32;

/** A probe datagram for `replyPort`; the sender rewrites the sequence number in place. */
export function probeDatagram(replyPort: number): Buffer {
  const b = Buffer.alloc(PROBE_LEN);
  b.writeUInt32BE(PROBE_MAGIC, 0);
  b.writeUInt16BE(replyPort, 8);
  return b;
}

/** True when `b` is a probe datagram. */
export function isProbe(b: Uint8Array): boolean {
  return b.length >= PROBE_LEN && b[0] === 0x44 && b[1] === 0x4d && b[2] === 0x4d && b[3] === 0x70;
}

export function probeSeq(b: Buffer): number {
  return b.readUInt32BE(4);
}

export function probeReplyPort(b: Buffer): number {
  return b.readUInt16BE(8);
}
