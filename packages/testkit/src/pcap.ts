/**
 * A tiny writer of classic pcap files (the libpcap format: a 24-byte global header, then
 * one 16-byte record header plus the packet bytes per packet), so tests can hand what the
 * router emitted to Wireshark/tshark. Written little-endian with microsecond timestamps
 * (magic 0xa1b2c3d4, version 2.4), which every pcap reader accepts.
 *
 * ```ts
 * const w = new PcapWriter(LinkType.Raw);
 * w.add(ipv6Packet, Date.UTC(2024, 0, 1));
 * writeFileSync('/tmp/x.pcap', w.bytes());
 * ```
 */
import { writeFileSync } from 'node:fs';

/** LINKTYPE_ values (tcpdump.org link-layer header types) for the global header. */
export const LinkType = {
  /** Ethernet II frames. */
  Ethernet: 1,
  /** Raw IP: each record is an IPv4 or IPv6 packet, told apart by its version nibble. */
  Raw: 101,
} as const;

const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
const MAGIC_MICROS = 0xa1b2c3d4;

/** One packet of a capture; `timeMs` is milliseconds since 1970 (may be fractional). */
export interface PcapRecord {
  data: Uint8Array;
  timeMs: number;
}

/** Collects packets and renders them as a classic pcap file. */
export class PcapWriter {
  readonly linkType: number;
  readonly snaplen: number;
  private readonly records: PcapRecord[] = [];

  constructor(linkType: number, snaplen = 65535) {
    this.linkType = linkType;
    this.snaplen = snaplen;
  }

  /** Adds a packet captured at `timeMs` (default: one millisecond after the previous one). */
  add(data: Uint8Array, timeMs?: number): this {
    const last = this.records[this.records.length - 1];
    const t = timeMs ?? (last ? last.timeMs + 1 : 0);
    this.records.push({ data: Uint8Array.from(data), timeMs: t });
    return this;
  }

  get count(): number {
    return this.records.length;
  }

  /** The whole file. Packets longer than `snaplen` are cut, keeping their original length. */
  bytes(): Uint8Array {
    let size = GLOBAL_HEADER_LEN;
    for (const r of this.records) size += RECORD_HEADER_LEN + Math.min(r.data.length, this.snaplen);
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC_MICROS, true);
    dv.setUint16(4, 2, true); // version major
    dv.setUint16(6, 4, true); // version minor
    dv.setInt32(8, 0, true); // thiszone: timestamps are UTC
    dv.setUint32(12, 0, true); // sigfigs
    dv.setUint32(16, this.snaplen, true);
    dv.setUint32(20, this.linkType, true);
    let off = GLOBAL_HEADER_LEN;
    for (const r of this.records) {
      const usec = Math.round(r.timeMs * 1000);
      const sec = Math.floor(usec / 1_000_000);
      const incl = Math.min(r.data.length, this.snaplen);
      dv.setUint32(off, sec, true);
      dv.setUint32(off + 4, usec - sec * 1_000_000, true);
      dv.setUint32(off + 8, incl, true);
      dv.setUint32(off + 12, r.data.length, true);
      out.set(r.data.subarray(0, incl), off + RECORD_HEADER_LEN);
      off += RECORD_HEADER_LEN + incl;
    }
    return out;
  }

  /** Writes the file to `path`. */
  writeFile(path: string): void {
    writeFileSync(path, this.bytes());
  }
}

/** Renders `packets` (all of one link type) as a pcap file, 1 ms apart from `startMs`. */
export function pcapOf(linkType: number, packets: readonly Uint8Array[], startMs = 0): Uint8Array {
  const w = new PcapWriter(linkType);
  packets.forEach((p, i) => w.add(p, startMs + i));
  return w.bytes();
}
