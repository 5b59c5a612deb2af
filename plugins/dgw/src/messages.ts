/**
 * The D-GW's Proxy Binding Update and Acknowledgement (draft-bernardos-dmm-distributed-
 * anchoring-02 §4.3.1–4.3.6 with RFC 8885's numbers; RFC 5213 §8.1–8.8 for the rest):
 *
 * ```
 *  serving D-GW S ──PBU  A|P|D  lifetime  [MN-ID, MN-LLI, HI, ATT, Timestamp,
 *                                           Anchored Prefix p …]──────────────────▶ anchor A
 *                 ◀─PBA  status  P|D  seq  lifetime  [MN-ID, Anchored Prefix p …,
 *                         Local Prefix l …, DLIF Link-local Address, DLIF Link-layer Address,
 *                         HI, ATT, Timestamp]──────────────────────────────────────
 * ```
 *
 * Towards a central LMA (draft §5; docs/dgw.md "Several operators") each Anchored Prefix is
 * followed by a Previous MAAR option (RFC 8885 §4.5, type 67: the anchoring D-GW's address
 * and that prefix), which tells the LMA which anchor to relay to.
 *
 * Type numbers (RFC 8885 §4, protocol.md §1.3): Anchored Prefix 65, Local Prefix 66, DLIF
 * Link-local Address 69, DLIF Link-layer Address 70; D flag 0x0010 in the PBU flags word and
 * 0x02 in the PBA flags byte (protocol.md §1.4). Padding for the 8n+4 / 8n+6 alignments is
 * the wire package's (`emitMobilityOptions`). Option order follows protocol.md §5.2's DMM
 * vectors, whose receivers (tshark, scapy) stay in step with it.
 */
import type { Ipv6Prefix } from '@dmm/core';
import { timestampOption } from '@dmm/pmip';
import {
  PbaFlag,
  PbuFlag,
  findAnchoredPrefixes,
  findMnId,
  findOption,
  type MobilityOption,
  type PbaRepr,
  type PbuRepr,
} from '@dmm/wire';

export interface DgwPbuFields {
  sequence: number;
  /** 4-second units; 0 = de-registration. */
  lifetime: number;
  nai: string;
  /** The node's MAC (MN Link-layer Identifier, RFC 5213 §8.6). */
  mac: Uint8Array;
  handoffIndicator: number;
  accessTechnology: number;
  /** Wall-clock ms of this transmission (RFC 5213 §5.5). */
  nowMs: number;
  /** The prefixes anchored at the PBU's destination (or at `previousMaar`). */
  prefixes: readonly Ipv6Prefix[];
  /**
   * Sent to a central LMA (draft §5): the anchoring D-GW's address, named by one Previous
   * MAAR option (RFC 8885 §4.5, type 67) after each Anchored Prefix.
   */
  previousMaar?: Uint8Array;
}

/** The serving D-GW's PBU to an anchor (docs/dgw.md "Attachment at S" step 3). */
export function buildDgwPbu(f: DgwPbuFields): PbuRepr {
  const options: MobilityOption[] = [
    { kind: 'mn-id', nai: f.nai },
    { kind: 'mn-link-layer-id', identifier: Uint8Array.from(f.mac) },
    { kind: 'handoff-indicator', value: f.handoffIndicator },
    { kind: 'access-technology-type', value: f.accessTechnology },
    timestampOption(f.nowMs),
  ];
  for (const p of f.prefixes) {
    options.push({
      kind: 'anchored-prefix',
      prefixLength: p.prefixLen,
      prefix: Uint8Array.from(p.prefix),
    });
    if (f.previousMaar !== undefined) {
      options.push({
        kind: 'previous-maar',
        prefixLength: p.prefixLen,
        address: Uint8Array.from(f.previousMaar),
        prefix: Uint8Array.from(p.prefix),
      });
    }
  }
  return {
    sequence: f.sequence,
    flags: PbuFlag.A | PbuFlag.P | PbuFlag.D,
    lifetime: f.lifetime,
    options,
  };
}

export interface DgwPbaFields {
  status: number;
  /** Granted lifetime, 4-second units. */
  lifetime: number;
  /** The anchored prefixes accepted (default: those of the PBU, echoed). */
  prefixes?: readonly Ipv6Prefix[];
  /** Our local networks (Local Prefix options), on an accepted registration. */
  localNetworks?: readonly Ipv6Prefix[];
  /** Our DLIF towards the node: its link-local (option 69) and MAC (option 70). */
  dlifLinkLocal?: Uint8Array;
  dlifMac?: Uint8Array;
  /** Our clock for status 156 (RFC 5213 §5.5: the PBA tells the sender our time). */
  timestampNowMs?: number;
}

/**
 * The anchor's PBA to `pbu`: P and D set, the PBU's sequence number, MN-ID, the Anchored
 * Prefix options, on acceptance the Local Prefix and the two DLIF options, then HI, ATT and
 * the Timestamp echoed (ours for 156).
 */
export function buildDgwPba(pbu: PbuRepr, f: DgwPbaFields): PbaRepr {
  const options: MobilityOption[] = [];
  const mnId = findMnId(pbu);
  if (mnId) options.push(mnId);
  if (f.prefixes !== undefined) {
    for (const p of f.prefixes) {
      options.push({
        kind: 'anchored-prefix',
        prefixLength: p.prefixLen,
        prefix: Uint8Array.from(p.prefix),
      });
    }
  } else {
    for (const a of findAnchoredPrefixes(pbu)) options.push(a);
  }
  for (const l of f.localNetworks ?? []) {
    options.push({
      kind: 'local-prefix',
      prefixLength: l.prefixLen,
      prefix: Uint8Array.from(l.prefix),
    });
  }
  if (f.dlifLinkLocal !== undefined) {
    options.push({ kind: 'dlif-link-local-address', address: Uint8Array.from(f.dlifLinkLocal) });
  }
  if (f.dlifMac !== undefined) {
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
