/**
 * Software segmentation of TCP super-packets and completion of partial checksums, for
 * packets with offload metadata (from a TAP with the virtio-net header) that leave by a
 * device that cannot take them: a TUN, a TAP without offloads, or a tunnel (the kernel
 * cannot segment IPv6-in-IPv6 from a virtio-net header).
 *
 * The metadata follows struct virtio_net_hdr (Linux include/uapi/linux/virtio_net.h):
 *
 * ```
 *   0      1        2          4          6            8             10
 *   +------+--------+----------+----------+------------+-------------+
 *   |flags |gso_type| hdr_len  | gso_size | csum_start | csum_offset |   little-endian
 *   +------+--------+----------+----------+------------+-------------+
 *   flags: 1 NEEDS_CSUM (checksum over [csum_start, end) goes to csum_start+csum_offset;
 *          the field holds the pseudo-header sum), 2 DATA_VALID
 *   gso_type: 0 none, 1 TCPV4, 3 UDP, 4 TCPV6, 5 UDP_L4; | 0x80 ECN
 * ```
 *
 * Segmentation cuts the TCP payload into `gsoSize`-byte segments the way a TSO device
 * would (and Linux tcp_gso_segment does): every segment repeats the link, IPv6 and TCP
 * headers, gets its own Payload Length (RFC 8200 §3) and Sequence Number (RFC 9293 §3.1,
 * the first one's plus the payload before it), FIN and PSH stay only on the last segment,
 * CWR only on the first (RFC 3168 §6.1.2: it is set on one segment), and each gets a full
 * checksum over the RFC 8200 §8.1 pseudo-header. Segments come from the pool; nothing
 * else is allocated.
 */
import { finishChecksum, onesSum, pseudoHeaderSum } from '@dmm/wire';
import type { BufferPool } from './buffer-pool.js';
import type { PacketBuffer } from './packet-buffer.js';
import type { PacketVector } from './packet-vector.js';

/** virtio_net_hdr `gso_type` values (include/uapi/linux/virtio_net.h). */
export const GsoType = {
  None: 0,
  TcpV4: 1,
  Udp: 3,
  TcpV6: 4,
  UdpL4: 5,
  /** Flag: the TCP flow has ECN (CWR may be set on the super-packet). */
  Ecn: 0x80,
} as const;

/** virtio_net_hdr `flags` bits. */
export const VirtioNetFlag = {
  NeedsCsum: 1,
  DataValid: 2,
} as const;

/** Size of the virtio-net header a TAP with offloads uses (struct virtio_net_hdr). */
export const VNET_HDR_LEN = 10;

/** Why `segmentTcp` / `completeChecksum` failed (returned negated by `segmentTcp`). */
export const GsoFail = {
  /** A super-packet that is not TCP over IPv6 (VIRTIO_NET_HDR_GSO_TCPV6). */
  Unsupported: 1,
  /** The checksum start/offset or the TCP header lies outside the packet. */
  BadHeader: 2,
  /** The pool ran out of buffers for the segments. */
  NoBuffer: 3,
  /** More segments than the output vector has room for. */
  TooManySegments: 4,
} as const;

const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;
const PROTO_TCP = 6;
const UDP_CSUM_OFFSET = 6;

/**
 * Length of the IPv6 packet (from `pb.l3`) that the link actually carries: for a
 * super-packet one segment, i.e. the headers up to the end of the TCP header plus
 * `gsoSize` (hdr_len + gso_size in virtio-net terms), otherwise the whole packet. MTU and
 * Packet Too Big decisions use this (RFC 8200 §5: a router judges the packets it sends).
 */
export function ip6SegmentLength(pb: PacketBuffer): number {
  const total = pb.end - pb.l3;
  if (pb.gsoSize === 0) return total;
  const t = pb.csumStart;
  if (t < pb.l3 || t + 13 >= pb.end) return total;
  const seg = t + ((pb.bytes[t + 12]! >>> 4) << 2) - pb.l3 + pb.gsoSize;
  return seg < total ? seg : total;
}

/**
 * Completes a partial checksum in place (Linux skb_checksum_help): sums
 * `[csumStart, end)` — the field already holds the pseudo-header sum — and stores the
 * complement. A UDP result of zero is sent as 0xffff (RFC 8200 §8.1). Clears the
 * offload metadata. False (nothing changed) when the offsets lie outside the packet.
 */
export function completeChecksum(pb: PacketBuffer): boolean {
  const cs = pb.csumStart;
  const field = cs + pb.csumOffset;
  if (cs < pb.start || field + 2 > pb.end) return false;
  const b = pb.bytes;
  let ck = finishChecksum(onesSum(b, cs, pb.end - cs));
  if (ck === 0 && pb.csumOffset === UDP_CSUM_OFFSET) ck = 0xffff;
  b[field] = ck >>> 8;
  b[field + 1] = ck & 0xff;
  pb.clearOffload();
  return true;
}

/**
 * Cuts TCP/IPv6 super-packet `pb` (`pb.start` at its link-layer or IPv6 header, `pb.l3`
 * and `pb.csumStart` at the IPv6 and TCP headers) into segments of `pb.gsoSize` payload
 * bytes, appended to `out` with `pb`'s metadata and no offload metadata left.
 *
 * Returns the number of segments (then `pb` has been freed), 0 when the payload fits one
 * segment (then `pb` itself was finished in place: checksum completed, metadata cleared),
 * or `-GsoFail.*` (then `pb` and `out` are as they were; the caller drops `pb`).
 */
export function segmentTcp(pool: BufferPool, pb: PacketBuffer, out: PacketVector): number {
  if ((pb.gsoType & ~GsoType.Ecn) !== GsoType.TcpV6) return -GsoFail.Unsupported;
  const b = pb.bytes;
  const start = pb.start;
  const l3 = pb.l3;
  const t = pb.csumStart;
  const end = pb.end;
  if (l3 < start || t < l3 + 40 || t + 20 > end) return -GsoFail.BadHeader;
  const thl = (b[t + 12]! >>> 4) << 2;
  const hdrEnd = t + thl;
  const mss = pb.gsoSize;
  if (thl < 20 || hdrEnd > end || mss === 0) return -GsoFail.BadHeader;
  const payload = end - hdrEnd;
  if (payload <= mss) {
    // one segment: the packet is already what the link carries, bar the checksum, which
    // is computed whole (whatever partial sum the field held)
    tcpChecksum(b, l3, t, end - t);
    pb.clearOffload();
    return 0;
  }
  const n = Math.ceil(payload / mss);
  if (n > out.capacity - out.length) return -GsoFail.TooManySegments;
  const hdrLen = hdrEnd - start;
  const l3Rel = l3 - start;
  const tRel = t - start;
  const dv = pb.dv;
  const seq0 = dv.getUint32(t + 4);
  const flags0 = b[t + 13]!;
  const first = out.length;
  for (let k = 0; k < n; k++) {
    const off = hdrEnd + k * mss;
    const chunk = k === n - 1 ? end - off : mss;
    const seg = hdrLen + chunk > pool.maxPacket ? pool.allocLarge() : pool.alloc();
    if (seg === null) {
      for (let j = first; j < out.length; j++) {
        pool.free(out.items[j]!);
        out.items[j] = null;
      }
      out.length = first;
      return -GsoFail.NoBuffer;
    }
    const s = seg.start;
    b.copyWithin(s, start, hdrEnd);
    b.copyWithin(s + hdrLen, off, off + chunk);
    seg.end = s + hdrLen + chunk;
    const sl3 = s + l3Rel;
    const st = s + tRel;
    dv.setUint16(sl3 + 4, seg.end - sl3 - 40);
    dv.setUint32(st + 4, (seq0 + k * mss) >>> 0);
    let f = flags0;
    if (k > 0) f &= ~TCP_CWR;
    if (k < n - 1) f &= ~(TCP_FIN | TCP_PSH);
    b[st + 13] = f;
    tcpChecksum(b, sl3, st, seg.end - st);
    seg.rxIf = pb.rxIf;
    seg.txIf = pb.txIf;
    seg.l3 = sl3;
    seg.l4 = st;
    seg.dlif = pb.dlif;
    seg.table = pb.table;
    seg.adjacency = pb.adjacency;
    seg.tunnel = pb.tunnel;
    seg.flags = pb.flags;
    seg.traced = pb.traced;
    out.items[out.length++] = seg;
  }
  pool.free(pb);
  return n;
}

/**
 * Writes the full TCP checksum of the segment at `t` (`len` bytes) over the RFC 8200 §8.1
 * pseudo-header of the IPv6 header at `l3`. With a Routing header the pseudo-header would
 * hold the final destination; the kernel never hands over such a super-packet (TSO is for
 * plain TCP/IPv6 flows).
 */
function tcpChecksum(b: Uint8Array, l3: number, t: number, len: number): void {
  b[t + 16] = 0;
  b[t + 17] = 0;
  const ck = finishChecksum(
    onesSum(b, t, len, pseudoHeaderSum(b, l3 + 8, b, l3 + 24, len, PROTO_TCP)),
  );
  b[t + 16] = ck >>> 8;
  b[t + 17] = ck & 0xff;
}
