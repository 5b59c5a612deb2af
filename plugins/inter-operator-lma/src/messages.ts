/**
 * The two PBU/PBA exchanges of the central inter-operator LMA (draft-bernardos-dmm-
 * distributed-anchoring-02 §5 with RFC 8885's numbers; docs/dgw.md "Several operators"):
 *
 * ```
 *  serving D-GW S (operator Y)          central LMA                anchoring D-GW A (operator X)
 *   ──PBU A|P|D [MN-ID, MN-LLI, HI, ATT, TS,
 *                AP p, Previous MAAR (A, p)]──▶
 *                                        ──PBU A|P|D [MN-ID, MN-LLI, HI, ATT, TS(ours),
 *                                                     AP p]──────────────────────────▶
 *                                        ◀─PBA P|D [MN-ID, AP p, LP …, DLIF LLA, DLIF L2,
 *                                                   HI, ATT, TS]──────────────────────
 *   ◀─PBA P|D [MN-ID, AP p, Previous MAAR (A, p), LP …, DLIF LLA, DLIF L2, HI, ATT, TS]─
 * ```
 *
 * Towards the anchor the LMA is the node's serving D-GW: its PBU is the one a serving D-GW
 * sends (option order of protocol.md §5.2's DMM vectors), with the serving D-GW's MN-ID, MN
 * Link-layer Identifier, Handoff Indicator and Access Technology Type, and a Timestamp of
 * our own clock (RFC 5213 §5.5: the anchor orders what it receives from us). Towards the
 * serving D-GW it is the anchor: its PBA carries the anchor's Local Prefix and DLIF options
 * (RFC 8885 §4.4, §4.7, §4.8), so the serving D-GW's DLIF is the anchor's, and echoes the
 * Previous MAAR option of each prefix (RFC 8885 §4.5, type 67) to say whose answer it relays.
 */
import type { Ipv6Prefix } from '@dmm/core';
import { timestampOption } from '@dmm/pmip';
import {
  PbaFlag,
  PbuFlag,
  findMnId,
  findOption,
  optionsOfKind,
  type MobilityOption,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';

export interface AnchorPbuFields {
  sequence: number;
  /** 4-second units; 0 = de-registration. */
  lifetime: number;
  nai: string;
  /** The MN Link-layer Identifier the serving D-GW sent, if any (RFC 5213 §8.6). */
  mnLinkLayerId: Uint8Array | null;
  handoffIndicator: number;
  accessTechnology: number;
  /** Wall-clock ms of this transmission (RFC 5213 §5.5). */
  nowMs: number;
  /** The prefixes the anchor delegated to the node. */
  prefixes: readonly Ipv6Prefix[];
}

/** Our PBU to the anchoring D-GW, as its serving D-GW (draft §5: the second exchange). */
export function buildAnchorPbu(f: AnchorPbuFields): PbuRepr {
  const options: MobilityOption[] = [{ kind: 'mn-id', nai: f.nai }];
  if (f.mnLinkLayerId !== null) {
    options.push({ kind: 'mn-link-layer-id', identifier: Uint8Array.from(f.mnLinkLayerId) });
  }
  options.push(
    { kind: 'handoff-indicator', value: f.handoffIndicator },
    { kind: 'access-technology-type', value: f.accessTechnology },
    timestampOption(f.nowMs),
  );
  for (const p of f.prefixes) {
    options.push({
      kind: 'anchored-prefix',
      prefixLength: p.prefixLen,
      prefix: Uint8Array.from(p.prefix),
    });
  }
  return {
    sequence: f.sequence,
    flags: PbuFlag.A | PbuFlag.P | PbuFlag.D,
    lifetime: f.lifetime,
    options,
  };
}

export interface ServingPbaFields {
  status: number;
  /** Granted lifetime, 4-second units. */
  lifetime: number;
  /** The anchor's local networks (Local Prefix options), on acceptance. */
  localNetworks?: readonly Ipv6Prefix[];
  /** The anchor's DLIF towards the node: link-local (option 69) and MAC (option 70). */
  dlifLinkLocal?: Uint8Array | null;
  dlifMac?: Uint8Array | null;
  /** Our clock for status 156 (RFC 5213 §5.5: the PBA tells the sender our time). */
  timestampNowMs?: number;
}

/**
 * Our PBA to the serving D-GW's `pbu` (draft §5: the first exchange, answered once the
 * second one is): P and D set, its sequence number, MN-ID, each Anchored Prefix followed by
 * the Previous MAAR option that named it, on acceptance the anchor's Local Prefix and DLIF
 * options, then HI, ATT and the Timestamp echoed (ours for 156).
 */
export function buildServingPba(pbu: PbuRepr, f: ServingPbaFields): PbaRepr {
  const options: MobilityOption[] = [];
  const mnId = findMnId(pbu);
  if (mnId) options.push(mnId);
  const maars = optionsOfKind(pbu.options, 'previous-maar');
  for (const a of optionsOfKind(pbu.options, 'anchored-prefix')) {
    options.push(a);
    const m = maars.find(
      (x) => x.prefixLength === a.prefixLength && samePrefix(x.prefix, a.prefix, a.prefixLength),
    );
    if (m) options.push(m);
  }
  for (const l of f.localNetworks ?? []) {
    options.push({
      kind: 'local-prefix',
      prefixLength: l.prefixLen,
      prefix: Uint8Array.from(l.prefix),
    });
  }
  if (f.dlifLinkLocal) {
    options.push({ kind: 'dlif-link-local-address', address: Uint8Array.from(f.dlifLinkLocal) });
  }
  if (f.dlifMac) {
    options.push({ kind: 'dlif-link-layer-address', address: Uint8Array.from(f.dlifMac) });
  }
  const hi = findOption(pbu, 'handoff-indicator');
  if (hi) options.push(hi);
  const att = findOption(pbu, 'access-technology-type');
  if (att) options.push(att);
  if (f.timestampNowMs !== undefined) options.push(timestampOption(f.timestampNowMs));
  else {
    const ts = findOption(pbu, 'timestamp');
    if (ts) options.push(ts);
  }
  return {
    status: f.status,
    flags: PbaFlag.P | PbaFlag.D,
    sequence: pbu.sequence,
    lifetime: f.lifetime,
    options,
  };
}

/** The first `len` bits of `a` and `b` are equal. */
export function samePrefix(a: Uint8Array, b: Uint8Array, len: number): boolean {
  for (let i = 0; i < 16; i++) {
    const bits = len - i * 8;
    if (bits <= 0) return true;
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}
