/**
 * The identity of a DLIF — draft-bernardos-dmm-distributed-anchoring-02 §4.1: "both the MAC
 * and IPv6 addresses configured on this logical interface remain the same regardless of the
 * physical D-GW which is serving the MN". A mobile node must see the same router (same MAC,
 * same link-local address) for an anchor wherever it is attached, so the values are a pure
 * function of (anchoring D-GW id, mobile node id):
 *
 * ```
 *   input  = "dmm-dlif-v1"                       11 ASCII bytes (domain separation, version)
 *            ‖ u16be(len(A)) ‖ A                 A = anchor id, UTF-8
 *            ‖ u16be(len(N)) ‖ N                 N = mobile node id, UTF-8
 *            ‖ u8(attempt)                       0, or 1..15 after a collision
 *   digest = SHA-256(input)
 *   MAC    = 02:d0:d1:d2:d3:d4                   locally administered (U/L = 1), unicast
 *                                                (I/G = 0), IEEE 802c AAI quadrant
 *   LL     = fe80::/64 ‖ modified EUI-64(MAC)    RFC 4291 §2.5.6, Appendix A
 *            = fe80::d0:d1ff:fed2:d3d4           (0x02 ^ 0x02 = 0x00 in the first octet)
 * ```
 *
 * The lengths make the encoding injective (no two id pairs share an input). 40 bits of
 * digest give a collision among n DLIFs of one parent with probability about n² / 2⁴¹
 * (4,000 DLIFs: 7·10⁻⁶). The D-GW that anchors the prefix derives the identity of its own
 * DLIF and skips to the next `attempt` when the MAC is already taken on its link; the PBA
 * then carries the values it chose (RFC 8885 DLIF Link-local / Link-layer Address options),
 * and a serving D-GW uses those, falling back to attempt 0 only when it has nothing better.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '@dmm/core';
import { linkLocalFromMac } from '@dmm/wire';

/** Domain-separation tag of the derivation (its version is part of it). */
export const DLIF_IDENTITY_TAG = 'dmm-dlif-v1';
/** Attempts 0..MAX-1 are tried when a derived MAC collides on a link. */
export const DLIF_IDENTITY_ATTEMPTS = 16;

/** A DLIF's MAC and link-local address. */
export interface DlifIdentity {
  mac: Uint8Array;
  linkLocal: Uint8Array;
  /** The attempt that produced it (0 unless a collision forced another). */
  attempt: number;
}

function idBytes(what: string, id: string): Uint8Array {
  const b = new TextEncoder().encode(id);
  if (b.length === 0 || b.length > 0xffff) {
    throw new ConfigError(`${what} id must be 1..65535 bytes of UTF-8`, { [what]: id });
  }
  return b;
}

/** The MAC of the DLIF representing anchor `anchorId` to node `nodeId` (see the banner). */
export function deriveDlifMac(anchorId: string, nodeId: string, attempt = 0): Uint8Array {
  if (!Number.isInteger(attempt) || attempt < 0 || attempt >= DLIF_IDENTITY_ATTEMPTS) {
    throw new ConfigError(`attempt must be 0..${DLIF_IDENTITY_ATTEMPTS - 1}`, { attempt });
  }
  const a = idBytes('anchor', anchorId);
  const n = idBytes('node', nodeId);
  const tag = new TextEncoder().encode(DLIF_IDENTITY_TAG);
  const input = new Uint8Array(tag.length + 2 + a.length + 2 + n.length + 1);
  let o = 0;
  input.set(tag, o);
  o += tag.length;
  input[o++] = a.length >> 8;
  input[o++] = a.length & 0xff;
  input.set(a, o);
  o += a.length;
  input[o++] = n.length >> 8;
  input[o++] = n.length & 0xff;
  input.set(n, o);
  o += n.length;
  input[o] = attempt;
  const d = createHash('sha256').update(input).digest();
  return Uint8Array.of(0x02, d[0]!, d[1]!, d[2]!, d[3]!, d[4]!);
}

/** The link-local address of a DLIF with MAC `mac`: fe80::/64 + modified EUI-64 (RFC 4291 App. A). */
export function dlifLinkLocal(mac: Uint8Array): Uint8Array {
  return linkLocalFromMac(mac);
}

/**
 * The identity for (anchor, node): attempt 0, or the first attempt whose MAC `taken` does not
 * reject. Throws a ConfigError when every attempt is taken.
 */
export function deriveDlifIdentity(
  anchorId: string,
  nodeId: string,
  taken: (mac: Uint8Array) => boolean = () => false,
): DlifIdentity {
  for (let attempt = 0; attempt < DLIF_IDENTITY_ATTEMPTS; attempt++) {
    const mac = deriveDlifMac(anchorId, nodeId, attempt);
    if (!taken(mac)) return { mac, linkLocal: dlifLinkLocal(mac), attempt };
  }
  throw new ConfigError(
    `no free DLIF MAC for anchor ${anchorId} and node ${nodeId} after ${DLIF_IDENTITY_ATTEMPTS} attempts`,
    { anchor: anchorId, node: nodeId },
  );
}

/** True for a unicast MAC (I/G bit clear, IEEE 802 §8.2) that is not all zeros. */
export function isUnicastMac(mac: Uint8Array): boolean {
  if (mac.length !== 6 || (mac[0]! & 1) !== 0) return false;
  return mac.some((x) => x !== 0);
}
