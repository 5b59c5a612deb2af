/**
 * What the IPv6 nodes read from their router: interfaces, tables, and the protocol
 * dispatch tables that plugins extend. The nodes keep a reference to this object and read
 * its fields per packet; nothing here is resolved through the container on the data path.
 */
import type { BufferPool } from '../buffer-pool.js';
import type { Interface } from '../interface.js';
import type { NeighborTable } from '../route/neighbor-table.js';
import type { RoutingTables } from '../route/route-table.js';
import type { LocalAddresses } from './local-addresses.js';
import type { TokenBucket } from './token-bucket.js';

export interface Ip6Context {
  /** The router's buffer pool (fan-out of group-addressed frames to logical interfaces). */
  readonly pool: BufferPool;
  readonly interfaces: readonly Interface[];
  readonly routes: RoutingTables;
  readonly neighbors: NeighborTable;
  readonly local: LocalAddresses;
  /** Forward packets not addressed to us (a router: true). */
  forwarding: boolean;
  /** Hop limit of router-originated packets (RFC 4861 §6.3.2 CurHopLimit; 64). */
  defaultHopLimit: number;
  readonly icmpErrorLimiter: TokenBucket;
  /** Upper-layer protocol → arc index of `ip6-local-dispatch` (-1: none registered). */
  readonly localProtocolArc: Int32Array;
  /** ICMPv6 type → arc index of `icmp6-input` (-1: none registered). */
  readonly icmpTypeArc: Int32Array;
  /** Arc index of `ip6-lookup` towards the tunnel encapsulation node (-1: none registered). */
  tunnelArc: number;
}

/** Node names of the IPv6 path. */
export const Ip6Node = {
  EthernetInput: 'ethernet-input',
  Ip6Input: 'ip6-input',
  LocalDispatch: 'ip6-local-dispatch',
  Icmp6Input: 'icmp6-input',
  Lookup: 'ip6-lookup',
  Rewrite: 'ip6-rewrite',
  Icmp6Error: 'icmp6-error',
  TunInput: 'tun-input',
} as const;

/** Feature arcs of the IPv6 path, in packet order. */
export const Ip6Arc = {
  /** Every received IPv6 packet, before `ip6-input` validates it (DLIF tagging, counters). */
  Input: 'ip6-input',
  /** Packets for this router, before protocol dispatch. */
  Local: 'ip6-local',
  /** Packets to forward, before the route lookup. */
  Forward: 'ip6-forward',
  /** After the link-layer rewrite, before transmit. */
  Output: 'ip6-output',
} as const;
