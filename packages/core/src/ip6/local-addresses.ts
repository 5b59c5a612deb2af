/**
 * The router's own addresses and multicast memberships, for the "is this packet for us?"
 * decision of `ip6-input` (RFC 8200 §3, RFC 4291 §2.7–2.8).
 *
 * Unicast addresses other than link-local are router-wide (a packet to any of them is
 * ours whatever interface it came in on, the weak host model); link-local addresses and
 * multicast groups belong to one interface.
 */
import { AddressMap } from '../route/address-map.js';
import { isIpv6LinkLocal, solicitedNodeMulticast } from '@dmm/wire';

const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const ALL_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

export class LocalAddresses {
  /** Non-link-local unicast address → interface index. */
  readonly unicast = new AddressMap();
  /** Per interface: link-local unicast addresses (→ 1). */
  private readonly linkLocal: (AddressMap | null)[] = [];
  /** Per interface: joined multicast groups → reference count. */
  private readonly groups: (AddressMap | null)[] = [];

  /** Prepares interface `ifIndex`: joins all-nodes and all-routers (RFC 4291 §2.8). */
  addInterface(ifIndex: number): void {
    this.linkLocal[ifIndex] = new AddressMap();
    this.groups[ifIndex] = new AddressMap();
    this.join(ifIndex, ALL_NODES, 0);
    this.join(ifIndex, ALL_ROUTERS, 0);
  }

  /** Adds a unicast address of interface `ifIndex` and joins its solicited-node group. */
  addAddress(ifIndex: number, addr: Uint8Array): void {
    if (isIpv6LinkLocal(addr, 0)) this.linkLocal[ifIndex]!.set(addr, 0, 1);
    else this.unicast.set(addr, 0, ifIndex);
    this.join(ifIndex, solicitedNodeMulticast(addr), 0);
  }

  removeAddress(ifIndex: number, addr: Uint8Array): void {
    if (isIpv6LinkLocal(addr, 0)) this.linkLocal[ifIndex]?.delete(addr, 0);
    else this.unicast.delete(addr, 0);
    this.leave(ifIndex, solicitedNodeMulticast(addr), 0);
  }

  /** Joins a multicast group on an interface (reference counted). */
  join(ifIndex: number, group: Uint8Array, off: number): void {
    const m = this.groups[ifIndex]!;
    const n = m.get(group, off);
    m.set(group, off, n < 0 ? 1 : n + 1);
  }

  leave(ifIndex: number, group: Uint8Array, off: number): void {
    const m = this.groups[ifIndex];
    if (!m) return;
    const n = m.get(group, off);
    if (n <= 1) m.delete(group, off);
    else m.set(group, off, n - 1);
  }

  /** True when the unicast address at `bytes[off]` is ours on `ifIndex` (link-local) or anywhere. */
  isLocalUnicast(ifIndex: number, bytes: Uint8Array, off: number): boolean {
    if (bytes[off] === 0xfe && (bytes[off + 1]! & 0xc0) === 0x80) {
      const m = this.linkLocal[ifIndex];
      return m !== null && m !== undefined && m.get(bytes, off) >= 0;
    }
    return this.unicast.get(bytes, off) >= 0;
  }

  /** True when the unicast address is ours on any interface (link-local included). */
  isOurs(bytes: Uint8Array, off: number): boolean {
    if (this.unicast.get(bytes, off) >= 0) return true;
    for (const m of this.linkLocal) if (m && m.get(bytes, off) >= 0) return true;
    return false;
  }

  /** True when interface `ifIndex` has joined the multicast group at `bytes[off]`. */
  isJoined(ifIndex: number, bytes: Uint8Array, off: number): boolean {
    const m = this.groups[ifIndex];
    return m !== null && m !== undefined && m.get(bytes, off) >= 0;
  }

  removeInterface(ifIndex: number): void {
    this.linkLocal[ifIndex] = null;
    this.groups[ifIndex] = null;
  }
}
