/**
 * A node's prefixes grouped by anchoring D-GW: what a serving D-GW acts on after reading the
 * context (draft-bernardos-dmm-distributed-anchoring §4.1–§4.2): one PBU, one tunnel and one
 * DLIF per anchoring D-GW, carrying that anchor's prefixes, its DLIF link-layer and
 * link-local addresses and the local networks reachable only through it.
 */
import type { Ipv6Prefix } from '@dmm/core';
import type { AnchorInfo, PrefixRecord } from './types.js';
import { compareBytes, prefixKey } from './validate.js';

export interface AnchorGroup {
  readonly anchor: AnchorInfo;
  readonly dlifMac: Uint8Array;
  readonly dlifLinkLocal: Uint8Array;
  /** The anchor's prefixes for this node, in the order given. */
  readonly prefixes: readonly PrefixRecord[];
  /** The union of their local networks, without duplicates, in the order first seen. */
  readonly localNetworks: readonly Ipv6Prefix[];
}

/**
 * Groups records by anchor D-GW and DLIF (two DLIF identities at one anchor stay apart,
 * since a DLIF is one MAC and one link-local). Groups come in the order of their first record.
 */
export function groupByAnchor(records: readonly PrefixRecord[]): AnchorGroup[] {
  const groups: {
    anchor: AnchorInfo;
    dlifMac: Uint8Array;
    dlifLinkLocal: Uint8Array;
    prefixes: PrefixRecord[];
    localNetworks: Ipv6Prefix[];
    seen: Set<string>;
  }[] = [];
  for (const r of records) {
    let g = groups.find(
      (x) =>
        x.anchor.dgwId === r.anchor.dgwId &&
        compareBytes(x.dlifMac, r.dlifMac) === 0 &&
        compareBytes(x.dlifLinkLocal, r.dlifLinkLocal) === 0,
    );
    if (!g) {
      g = {
        anchor: r.anchor,
        dlifMac: r.dlifMac,
        dlifLinkLocal: r.dlifLinkLocal,
        prefixes: [],
        localNetworks: [],
        seen: new Set(),
      };
      groups.push(g);
    }
    g.prefixes.push(r);
    for (const l of r.localNetworks) {
      const k = prefixKey(l.prefix, l.prefixLen);
      if (!g.seen.has(k)) {
        g.seen.add(k);
        g.localNetworks.push(l);
      }
    }
  }
  return groups.map(({ seen: _seen, ...g }) => g);
}
