/**
 * Building and reading Mobility Header packets (RFC 6275 §6.1, RFC 5213 §8): an IPv6
 * header (Next Header 135) followed by a PBU or PBA, checksummed with the pseudo-header.
 * Signalling is control plane: a buffer per message, Reprs with copies.
 */
import {
  IpProto,
  Ipv6,
  Ipv6View,
  MhType,
  MobilityHeaderView,
  Pba,
  PbaView,
  Pbu,
  PbuView,
  copyIpv6,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';
import type { BufferPool, PacketBuffer } from '@dmm/core';

/** Default hop limit of signalling packets. */
export const MH_HOP_LIMIT = 64;

/** An IPv6 + PBU packet in a fresh pool buffer (checksum filled), or null when the pool is empty. */
export function buildPbuPacket(
  pool: BufferPool,
  src: Uint8Array,
  dst: Uint8Array,
  pbu: PbuRepr,
  hopLimit = MH_HOP_LIMIT,
): PacketBuffer | null {
  const len = Pbu.bufferLen(pbu);
  const pb = allocIp6(pool, src, dst, len, hopLimit);
  if (pb === null) return null;
  const v = new PbuView(pb.bytes, pb.dv, pb.start + 40, pb.end);
  Pbu.emit(pbu, v);
  v.fillChecksum(pb.start + 8, pb.start + 24);
  return pb;
}

/** An IPv6 + PBA packet in a fresh pool buffer (checksum filled), or null when the pool is empty. */
export function buildPbaPacket(
  pool: BufferPool,
  src: Uint8Array,
  dst: Uint8Array,
  pba: PbaRepr,
  hopLimit = MH_HOP_LIMIT,
): PacketBuffer | null {
  const len = Pba.bufferLen(pba);
  const pb = allocIp6(pool, src, dst, len, hopLimit);
  if (pb === null) return null;
  const v = new PbaView(pb.bytes, pb.dv, pb.start + 40, pb.end);
  Pba.emit(pba, v);
  v.fillChecksum(pb.start + 8, pb.start + 24);
  return pb;
}

function allocIp6(
  pool: BufferPool,
  src: Uint8Array,
  dst: Uint8Array,
  payloadLength: number,
  hopLimit: number,
): PacketBuffer | null {
  if (40 + payloadLength > pool.maxPacket) return null;
  const pb = pool.alloc();
  if (pb === null) return null;
  pb.end = pb.start + 40 + payloadLength;
  Ipv6.emit(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength,
      nextHeader: IpProto.Mobility,
      hopLimit,
      src,
      dst,
    },
    new Ipv6View(pb.bytes, pb.dv, pb.start, pb.end),
  );
  return pb;
}

/** A received signalling message, decoded (copies; the buffer can be freed). */
export type MobilityMessage =
  | { type: 'pbu'; src: Uint8Array; dst: Uint8Array; rxIf: number; pbu: PbuRepr }
  | { type: 'pba'; src: Uint8Array; dst: Uint8Array; rxIf: number; pba: PbaRepr };

/** Why a Mobility Header was not delivered (the node's drop reasons). */
export type MobilityRejection =
  'malformed' | 'bad-checksum' | 'payload-proto-not-none' | 'unsupported-type';

/**
 * Decodes the Mobility Header at `pb.l4` (IPv6 header at `pb.l3`): structure, checksum
 * (RFC 6275 §9.2), Payload Proto 59 (§6.1.1), type BU/BA. Returns the message or why not.
 */
export function decodeMobilityMessage(pb: PacketBuffer): MobilityMessage | MobilityRejection {
  const mh = new MobilityHeaderView(pb.bytes, pb.dv, pb.l4, pb.end);
  if (mh.check() !== 0) return 'malformed';
  if (!mh.verifyChecksum(pb.l3 + 8, pb.l3 + 24)) return 'bad-checksum';
  if (mh.payloadProto() !== IpProto.NoNext) return 'payload-proto-not-none';
  const src = copyIpv6(pb.bytes, pb.l3 + 8);
  const dst = copyIpv6(pb.bytes, pb.l3 + 24);
  const type = mh.mhType();
  try {
    if (type === MhType.BindingUpdate) {
      const v = new PbuView(pb.bytes, pb.dv, pb.l4, pb.end);
      if (v.check() !== 0) return 'malformed';
      return { type: 'pbu', src, dst, rxIf: pb.rxIf, pbu: Pbu.parse(v) };
    }
    if (type === MhType.BindingAck) {
      const v = new PbaView(pb.bytes, pb.dv, pb.l4, pb.end);
      if (v.check() !== 0) return 'malformed';
      return { type: 'pba', src, dst, rxIf: pb.rxIf, pba: Pba.parse(v) };
    }
  } catch {
    return 'malformed';
  }
  return 'unsupported-type';
}
