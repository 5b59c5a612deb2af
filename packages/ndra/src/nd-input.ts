/**
 * The Neighbor Discovery input nodes, one per message type, behind `icmp6-input` (which has
 * verified the ICMPv6 checksum): validity checks of RFC 4861 §6.1.1 (RS), §6.1.2 (RA),
 * §7.1.1 (NS), §7.1.2 (NA), §8.1 (Redirect) — each failure a named drop counter — and
 * their processing: §7.2.3/§7.2.4 (NS → NA), §7.2.5 (NA → cache), §6.2.6 (RS → RA),
 * §6.3.4/§6.2.7 (RAs of other routers), RFC 4862 §5.4.3/§5.4.4 (DAD conflicts).
 *
 * ```
 *   icmp6-input ─133→ nd-rs-input        ─134→ nd-ra-input        ─137→ nd-redirect-input
 *               ─135→ nd-ns-input ─NA→ ip6-lookup
 *               ─136→ nd-na-input
 * ```
 *
 * Every message ends in a drop reason, the processed ones under a reason that says so
 * (`answered`, `processed`). A reply NA is the only allocation: one pool buffer.
 */
import { Ip6Node, PacketFlag, dropReasons, type Ip6Context, type NodeDef } from '@dmm/core';
import {
  ND_NA_LEN,
  ND_NS_LEN,
  ND_RA_LEN,
  ND_REDIRECT_LEN,
  ND_RS_LEN,
  NA_FLAG_O,
  NA_FLAG_R,
  NA_FLAG_S,
  NdOptionType,
  WireCheck,
  checkNdOptions,
  findNdOption,
  ipv6Equals,
  isIpv6LinkLocal,
  isIpv6Unspecified,
} from '@dmm/wire';
import { ALL_NODES, ND_HOP_LIMIT } from './constants.js';
import { AddrState, type AddressBook, type Dad } from './dad.js';
import { NaResult, type NeighborCache } from './neighbor-cache.js';
import type { NdBuilder, PacketOut } from './packet-out.js';
import type { RaSender } from './ra-sender.js';

/** Node names of the module. */
export const NdNode = {
  RsInput: 'nd-rs-input',
  RaInput: 'nd-ra-input',
  NsInput: 'nd-ns-input',
  NaInput: 'nd-na-input',
  RedirectInput: 'nd-redirect-input',
  /** Counter nodes (no packets pass through them). */
  Cache: 'nd-cache',
  Ra: 'nd-ra',
  Dad: 'nd-dad',
} as const;

/** What the input nodes work with. */
export interface NdDeps {
  readonly ip6: Ip6Context;
  readonly cache: NeighborCache;
  readonly book: AddressBook;
  readonly dad: Dad;
  readonly ra: RaSender;
  readonly builder: NdBuilder;
  readonly out: PacketOut;
}

/** Checks every ND message shares (RFC 4861 §6.1, §7.1, §8.1); codes index COMMON. */
const COMMON = [
  ['bad-hop-limit', 'IPv6 Hop Limit is not 255: not sent on this link (RFC 4861 §6.1, §7.1, §8.1)'],
  ['bad-code', 'ICMP Code is not 0'],
  ['truncated', 'ICMP length below the fixed part of the message'],
  ['zero-length-option', 'an option with Length 0 (RFC 4861 §4.6)'],
  ['bad-option-length', 'an option runs past the end of the message'],
] as const;

function checkCommon(b: Uint8Array, l3: number, l4: number, end: number, fixedLen: number): number {
  if (b[l3 + 7] !== ND_HOP_LIMIT) return 0;
  if (b[l4 + 1] !== 0) return 1;
  if (end - l4 < fixedLen) return 2;
  const r = checkNdOptions(b, l4 + fixedLen, end);
  if (r === WireCheck.ZeroLengthOption) return 3;
  if (r !== 0) return 4;
  return -1;
}

/** ff02::1:ffXX:XXXX (RFC 4291 §2.7.1). */
function isSolicitedNode(b: Uint8Array, off: number): boolean {
  if (b[off] !== 0xff || b[off + 1] !== 0x02) return false;
  for (let i = 2; i < 11; i++) if (b[off + i] !== 0) return false;
  return b[off + 11] === 0x01 && b[off + 12] === 0xff;
}

export const ND_NS_INPUT = dropReasons([
  ...COMMON,
  ['multicast-target', 'Target Address is multicast (RFC 4861 §7.1.1)'],
  [
    'unspecified-source-bad-destination',
    'source :: but destination is not a solicited-node group (§7.1.1)',
  ],
  ['unspecified-source-with-slla', 'source :: with a Source Link-Layer Address option (§7.1.1)'],
  ['not-our-target', 'target is not an address of the receiving interface (discarded, §7.2.3)'],
  ['tentative-target', 'target is tentative: not answered (RFC 4862 §5.4.3)'],
  ['dad-conflict', 'NS from :: for our tentative address: duplicate (RFC 4862 §5.4.3)'],
  ['no-buffer', 'no buffer for the Neighbor Advertisement'],
  ['answered', 'answered with a Neighbor Advertisement (not an error)'],
] as const);

export const ND_NA_INPUT = dropReasons([
  ...COMMON,
  ['multicast-target', 'Target Address is multicast (RFC 4861 §7.1.2)'],
  ['solicited-to-multicast', 'Solicited flag set on an NA to a multicast destination (§7.1.2)'],
  ['dad-conflict', 'NA for our tentative address: duplicate (RFC 4862 §5.4.4)'],
  ['target-is-ours', 'NA for one of our addresses (logged conflict, RFC 4862 §5.4.4)'],
  ['no-entry', 'no cache entry for the target (silently discarded, §7.2.5)'],
  ['incomplete-without-tlla', 'INCOMPLETE entry and no Target Link-Layer Address option (§7.2.5)'],
  ['permanent-entry', 'target has a static entry: not changed'],
  ['no-override', 'O flag clear and a different link-layer address: not updated (§7.2.5)'],
  ['processed', 'neighbour cache updated (not an error)'],
] as const);

export const ND_RS_INPUT = dropReasons([
  ...COMMON,
  ['unspecified-source-with-slla', 'source :: with a Source Link-Layer Address option (§6.1.1)'],
  ['ra-disabled', 'RS on an interface that does not advertise'],
  ['processed', 'RA answer scheduled (not an error)'],
] as const);

export const ND_RA_INPUT = dropReasons([
  ...COMMON,
  ['source-not-link-local', 'RA source is not link-local (RFC 4861 §6.1.2)'],
  ['processed', 'RA of another router checked (not an error)'],
] as const);

export const ND_REDIRECT_INPUT = dropReasons([
  ...COMMON,
  ['source-not-link-local', 'Redirect source is not link-local (RFC 4861 §8.1)'],
  ['multicast-destination', 'Destination Address is multicast (§8.1)'],
  ['bad-target', 'Target is neither link-local nor the Destination (§8.1)'],
  ['ignored', 'valid Redirect: a router does not act on Redirects (not an error)'],
] as const);

/** `nd-ns-input`: RFC 4861 §7.1.1, §7.2.3, §7.2.4; RFC 4862 §5.4.3. */
export function ndNsInputNode(d: NdDeps): NodeDef {
  const E = ND_NS_INPUT.code;
  const { book, cache, dad, builder, out, ip6 } = d;
  return {
    name: NdNode.NsInput,
    next: [Ip6Node.Lookup],
    errors: ND_NS_INPUT.errors,
    process(v, rt) {
      out.enter();
      try {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const b = pb.bytes;
          const l3 = pb.l3;
          const l4 = pb.l4;
          const end = pb.end;
          const c = checkCommon(b, l3, l4, end, ND_NS_LEN);
          if (c >= 0) {
            rt.drop(pb, c);
            continue;
          }
          const target = l4 + 8;
          if (b[target] === 0xff) {
            rt.drop(pb, E['multicast-target']);
            continue;
          }
          const srcUnspec = isIpv6Unspecified(b, l3 + 8);
          const slla = findNdOption(b, l4 + ND_NS_LEN, end, NdOptionType.SourceLinkLayerAddr);
          if (srcUnspec) {
            if (!isSolicitedNode(b, l3 + 24)) {
              rt.drop(pb, E['unspecified-source-bad-destination']);
              continue;
            }
            if (slla >= 0) {
              rt.drop(pb, E['unspecified-source-with-slla']);
              continue;
            }
          }
          const rxIf = pb.rxIf;
          const rec = book.find(rxIf, b, target);
          if (rec === null || rec.state === AddrState.Duplicate) {
            rt.drop(pb, E['not-our-target']);
            continue;
          }
          if (rec.state === AddrState.Tentative) {
            if (srcUnspec) {
              dad.conflict(rec, 'ns');
              rt.drop(pb, E['dad-conflict']);
            } else {
              rt.drop(pb, E['tentative-target']);
            }
            continue;
          }
          // §7.2.3: the solicitation tells us the sender's link-layer address
          if (!srcUnspec && slla >= 0) cache.onSourceLla(rxIf, b, l3 + 8, b, slla + 2, false);
          const mac = ip6.interfaces[rxIf]!.mac!;
          // §7.2.4: from :: → to all-nodes, S = 0; else to the source, S = 1. O = 1 (not anycast).
          const na = srcUnspec
            ? builder.neighborAdvert(rec.address, ALL_NODES, 0, ip6.forwarding, false, true, mac)
            : builder.neighborAdvert(rec.address, b, l3 + 8, ip6.forwarding, true, true, mac);
          if (na === null) {
            rt.drop(pb, E['no-buffer']);
            continue;
          }
          na.l3 = na.start;
          na.flags = PacketFlag.LocalOrigin | PacketFlag.TxIfFixed;
          na.txIf = rxIf;
          rt.next(0, na);
          rt.drop(pb, E.answered);
        }
      } finally {
        out.leave();
      }
    },
  };
}

/** `nd-na-input`: RFC 4861 §7.1.2, §7.2.5; RFC 4862 §5.4.4. */
export function ndNaInputNode(d: NdDeps): NodeDef {
  const E = ND_NA_INPUT.code;
  const { book, cache, dad, out } = d;
  // drop reason per NaResult
  const RESULT = new Int32Array(5);
  RESULT[NaResult.Processed] = E.processed;
  RESULT[NaResult.NoEntry] = E['no-entry'];
  RESULT[NaResult.IncompleteNoTlla] = E['incomplete-without-tlla'];
  RESULT[NaResult.Permanent] = E['permanent-entry'];
  RESULT[NaResult.NoOverride] = E['no-override'];
  return {
    name: NdNode.NaInput,
    next: [],
    errors: ND_NA_INPUT.errors,
    process(v, rt) {
      out.enter();
      try {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const b = pb.bytes;
          const l3 = pb.l3;
          const l4 = pb.l4;
          const end = pb.end;
          const c = checkCommon(b, l3, l4, end, ND_NA_LEN);
          if (c >= 0) {
            rt.drop(pb, c);
            continue;
          }
          const target = l4 + 8;
          if (b[target] === 0xff) {
            rt.drop(pb, E['multicast-target']);
            continue;
          }
          const flags = b[l4 + 4]!;
          if (b[l3 + 24] === 0xff && (flags & NA_FLAG_S) !== 0) {
            rt.drop(pb, E['solicited-to-multicast']);
            continue;
          }
          const rxIf = pb.rxIf;
          const rec = book.find(rxIf, b, target);
          if (rec !== null) {
            if (rec.state === AddrState.Tentative) {
              dad.conflict(rec, 'na');
              rt.drop(pb, E['dad-conflict']);
            } else {
              rt.drop(pb, E['target-is-ours']);
            }
            continue;
          }
          const tlla = findNdOption(b, l4 + ND_NA_LEN, end, NdOptionType.TargetLinkLayerAddr);
          const r = cache.onAdvert(
            rxIf,
            b,
            target,
            b,
            tlla < 0 ? -1 : tlla + 2,
            (flags & NA_FLAG_R) !== 0,
            (flags & NA_FLAG_S) !== 0,
            (flags & NA_FLAG_O) !== 0,
          );
          rt.drop(pb, RESULT[r]!);
        }
      } finally {
        out.leave();
      }
    },
  };
}

/** `nd-rs-input`: RFC 4861 §6.1.1, §6.2.6. */
export function ndRsInputNode(d: NdDeps): NodeDef {
  const E = ND_RS_INPUT.code;
  const { cache, ra, out } = d;
  return {
    name: NdNode.RsInput,
    next: [],
    errors: ND_RS_INPUT.errors,
    process(v, rt) {
      out.enter();
      try {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const b = pb.bytes;
          const l3 = pb.l3;
          const l4 = pb.l4;
          const end = pb.end;
          const c = checkCommon(b, l3, l4, end, ND_RS_LEN);
          if (c >= 0) {
            rt.drop(pb, c);
            continue;
          }
          const srcUnspec = isIpv6Unspecified(b, l3 + 8);
          const slla = findNdOption(b, l4 + ND_RS_LEN, end, NdOptionType.SourceLinkLayerAddr);
          if (srcUnspec && slla >= 0) {
            rt.drop(pb, E['unspecified-source-with-slla']);
            continue;
          }
          // §6.2.6: an RS with an SLLA updates the cache like an NS (§7.2.3)
          if (!srcUnspec && slla >= 0) cache.onSourceLla(pb.rxIf, b, l3 + 8, b, slla + 2, false);
          // the soliciter's MAC: the SLLA, else the Ethernet source still in front of l3
          const macOff = slla >= 0 ? slla + 2 : l3 - 14 >= pb.base ? l3 - 8 : -1;
          const r = ra.onSolicit(pb.rxIf, b, l3 + 8, b, macOff);
          rt.drop(pb, r === 0 ? E.processed : E['ra-disabled']);
        }
      } finally {
        out.leave();
      }
    },
  };
}

/** `nd-ra-input`: RFC 4861 §6.1.2, §6.2.7 (consistency), §6.3.4 (SLLA → IsRouter). */
export function ndRaInputNode(d: NdDeps): NodeDef {
  const E = ND_RA_INPUT.code;
  const { cache, ra, out } = d;
  return {
    name: NdNode.RaInput,
    next: [],
    errors: ND_RA_INPUT.errors,
    process(v, rt) {
      out.enter();
      try {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const b = pb.bytes;
          const l3 = pb.l3;
          const l4 = pb.l4;
          const end = pb.end;
          const c = checkCommon(b, l3, l4, end, ND_RA_LEN);
          if (c >= 0) {
            rt.drop(pb, c);
            continue;
          }
          if (!isIpv6LinkLocal(b, l3 + 8)) {
            rt.drop(pb, E['source-not-link-local']);
            continue;
          }
          const slla = findNdOption(b, l4 + ND_RA_LEN, end, NdOptionType.SourceLinkLayerAddr);
          if (slla >= 0) cache.onSourceLla(pb.rxIf, b, l3 + 8, b, slla + 2, true);
          ra.checkConsistency(pb.rxIf, b, pb.dv, l4, end);
          rt.drop(pb, E.processed);
        }
      } finally {
        out.leave();
      }
    },
  };
}

/** `nd-redirect-input`: RFC 4861 §8.1 validity; a router does not act on Redirects. */
export function ndRedirectInputNode(): NodeDef {
  const E = ND_REDIRECT_INPUT.code;
  return {
    name: NdNode.RedirectInput,
    next: [],
    errors: ND_REDIRECT_INPUT.errors,
    process(v, rt) {
      for (let i = 0; i < v.length; i++) {
        const pb = v.items[i]!;
        const b = pb.bytes;
        const l3 = pb.l3;
        const l4 = pb.l4;
        const c = checkCommon(b, l3, l4, pb.end, ND_REDIRECT_LEN);
        if (c >= 0) {
          rt.drop(pb, c);
          continue;
        }
        if (!isIpv6LinkLocal(b, l3 + 8)) {
          rt.drop(pb, E['source-not-link-local']);
          continue;
        }
        if (b[l4 + 24] === 0xff) {
          rt.drop(pb, E['multicast-destination']);
          continue;
        }
        if (!isIpv6LinkLocal(b, l4 + 8) && !ipv6Equals(b, l4 + 8, b, l4 + 24)) {
          rt.drop(pb, E['bad-target']);
          continue;
        }
        rt.drop(pb, E.ignored);
      }
    },
  };
}

/** A node that only holds counters (`show counters` lists them as `<name>.<counter>`). */
export function counterNode(
  name: string,
  counters: readonly (readonly [string, string])[],
): NodeDef {
  const errors = counters.map(([n, help]) => ({ name: n, help }));
  const unexpected = errors.findIndex((e) => e.name === 'unexpected');
  return {
    name,
    next: [],
    errors,
    process(v, rt) {
      for (let i = 0; i < v.length; i++) rt.drop(v.items[i]!, unexpected);
    },
  };
}
