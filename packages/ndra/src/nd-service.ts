/**
 * `NdService` (token ND_SERVICE): what other plugins may ask the Neighbor Discovery module —
 * the DAD state of our addresses (RFC 4862 §5.4), duplicate reports, and the cache's
 * figures. Neighbour entries themselves are read from `router.neighbors`.
 */
import { formatIpv6Address, type Router } from '@dmm/core';
import { ADDR_STATE_NAMES, type AddressBook, type Dad, type DuplicateListener } from './dad.js';
import type { NeighborCache } from './neighbor-cache.js';

export type AddressStateName = 'tentative' | 'preferred' | 'duplicate';

export interface AddressStatus {
  interface: string;
  address: string;
  state: AddressStateName;
  /** `ns` or `na` when duplicate. */
  foundBy: string | null;
}

export interface NdService {
  /** DAD state of `address` on interface `iface` (name or index), or null when not ours. */
  addressState(iface: string | number, address: Uint8Array): AddressStateName | null;
  /** Every address of ours with its DAD state. */
  addresses(): AddressStatus[];
  /** Called when DAD finds a duplicate (RFC 4862 §5.4.5); returns an unsubscribe function. */
  onDuplicate(fn: DuplicateListener): () => void;
  /** Neighbour entries per state, packets waiting for resolution, current ReachableTime (ms). */
  cacheSummary(): { states: Record<string, number>; queued: number; reachableTime: number };
}

export function createNdService(
  router: Router,
  book: AddressBook,
  dad: Dad,
  cache: NeighborCache,
): NdService {
  const ifIndexOf = (iface: string | number): number =>
    typeof iface === 'number' ? iface : (router.interface(iface)?.index ?? -1);
  return {
    addressState(iface, address) {
      const rec = book.find(ifIndexOf(iface), address, 0);
      return rec === null ? null : (ADDR_STATE_NAMES[rec.state] as AddressStateName);
    },
    addresses() {
      return book.list().map((r) => ({
        interface: router.interfaces[r.ifIndex]?.name ?? String(r.ifIndex),
        address: formatIpv6Address(r.address),
        state: ADDR_STATE_NAMES[r.state] as AddressStateName,
        foundBy: r.duplicateBy,
      }));
    },
    onDuplicate: (fn) => dad.onDuplicate(fn),
    cacheSummary: () => ({
      states: cache.census(),
      queued: cache.queued(),
      reachableTime: cache.reachableTime,
    }),
  };
}
