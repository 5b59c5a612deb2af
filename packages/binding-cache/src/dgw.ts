/**
 * What a distributed gateway adds to a binding (draft-bernardos-dmm-distributed-anchoring
 * §3–§4.3, options numbered as in RFC 8885 §4). A D-GW is LMA for the prefixes it
 * anchors and MAG for prefixes anchored elsewhere:
 *
 *   anchoring D-GW (Binding Cache)         serving D-GW (Binding Update List)
 *   one BCE per anchored prefix per MN     one BUL entry per anchoring D-GW per MN
 *   Proxy-CoA = the current serving D-GW   LMA address = the anchoring D-GW
 *   (its own address while the MN is      prefixes = the ones anchored there
 *    attached to it: `servedLocally`)      DLIF that impersonates that anchor
 *
 * When the MN moves on, the next serving D-GW's PBU moves the anchor's BCE to a new
 * Proxy-CoA (`update(entry, { proxyCoa })`), which is the handover of the draft's §4.2.
 */
import type { Ipv6Prefix } from '@dmm/core';

export interface DgwBindingInfo {
  /**
   * A D-GW binding: the PBU/PBA carried the D flag (RFC 8885's 0x0010 / 0x02), or the MN is
   * served locally. Defaults to true whenever D-GW data is given.
   */
  readonly distributed: boolean;
  /** The MN is attached to this D-GW, which both serves and anchors: no tunnel. */
  readonly servedLocally: boolean;
  /** This node's interface index of the DLIF that represents the anchor; -1 if none. */
  readonly dlifIfIndex: number;
  /** The DLIF's link-local address (DLIF Link-local Address option, RFC 8885 §4.7). */
  readonly dlifLinkLocal: Uint8Array | null;
  /** The DLIF's link-layer address (DLIF Link-layer Address option, RFC 8885 §4.8). */
  readonly dlifLinkLayer: Uint8Array | null;
  /** Local networks reachable only through the anchor (Local Prefix options, RFC 8885 §4.4). */
  readonly localPrefixes: readonly Ipv6Prefix[];
}

/** Fills the missing D-GW fields and copies every byte array. */
export function dgwInfo(init: Partial<DgwBindingInfo>): DgwBindingInfo {
  return Object.freeze({
    distributed: init.distributed ?? true,
    servedLocally: init.servedLocally ?? false,
    dlifIfIndex: init.dlifIfIndex ?? -1,
    dlifLinkLocal: init.dlifLinkLocal ? Uint8Array.from(init.dlifLinkLocal) : null,
    dlifLinkLayer: init.dlifLinkLayer ? Uint8Array.from(init.dlifLinkLayer) : null,
    localPrefixes: Object.freeze(
      (init.localPrefixes ?? []).map((p) => ({
        prefix: Uint8Array.from(p.prefix),
        prefixLen: p.prefixLen,
      })),
    ),
  });
}
