/**
 * Neighbour storage: per interface, IPv6 address → link-layer address and reachability
 * state (RFC 4861 §7.3.2). The data path reads it (`lookup`, `state`, the MAC bytes in
 * `macs`) without allocating; the Neighbor Discovery module owns the state machine and
 * plugs in as the `NeighborResolver` that `ip6-rewrite` calls for misses and for stale
 * entries. Without a resolver only permanent (configured) entries resolve.
 */
import type { PacketBuffer } from '../packet-buffer.js';
import { AddressMap } from './address-map.js';

/** RFC 4861 §7.3.2 states, plus Permanent for configured entries. 0 = free slot. */
export const NeighborState = {
  Incomplete: 1,
  Reachable: 2,
  Stale: 3,
  Delay: 4,
  Probe: 5,
  Permanent: 6,
} as const;

export type NeighborStateValue = (typeof NeighborState)[keyof typeof NeighborState];

export const NEIGHBOR_STATE_NAMES = [
  'free',
  'incomplete',
  'reachable',
  'stale',
  'delay',
  'probe',
  'permanent',
];

/** What `ip6-rewrite` asks of the Neighbor Discovery module. */
export interface NeighborResolver {
  /**
   * The next hop at `addr[addrOff]` on interface `ifIndex` has no usable link-layer address:
   * take ownership of `pb` (queue it while resolving, or drop and count it).
   */
  resolve(pb: PacketBuffer, ifIndex: number, addr: Uint8Array, addrOff: number): void;
  /** A packet was just sent to STALE entry `id` (RFC 4861 §7.3.3: move to DELAY). */
  staleUsed(id: number): void;
  /**
   * Entry `id` is about to be removed (by anyone: its interface went away, say): give
   * back the packets queued on it and stop its timers. Called before the slot is freed.
   */
  removing?(id: number): void;
  /**
   * Start resolving `addr[addrOff]` on `ifIndex` now, with no packet waiting (control plane:
   * a peer we will signal soon, so that its first message does not wait for ND). Does
   * nothing when an entry exists. Returns false when resolution could not start.
   */
  prime?(ifIndex: number, addr: Uint8Array, addrOff: number): boolean;
}

/** A neighbour as the control plane sees it. */
export interface NeighborInfo {
  id: number;
  ifIndex: number;
  address: Uint8Array;
  mac: Uint8Array | null;
  state: NeighborStateValue;
  isRouter: boolean;
}

export class NeighborTable {
  /** State per entry id (0: free). */
  state: Uint8Array;
  /** MAC of entry id at `id * 6`. */
  macs: Uint8Array;
  /** Interface of entry id. */
  ifIndex: Int32Array;
  /** Address of entry id at `id * 16`. */
  addrs: Uint8Array;
  /** IsRouter flag per entry (RFC 4861 §7.3.1 / §7.2.5). */
  isRouter: Uint8Array;
  /** Set by the Neighbor Discovery module. */
  resolver: NeighborResolver | null = null;
  /** Entries in use. */
  size = 0;

  private readonly maps: (AddressMap | null)[] = [];
  private free: number[] = [];
  private capacity: number;

  constructor(initialCapacity = 64) {
    this.capacity = initialCapacity;
    this.state = new Uint8Array(initialCapacity);
    this.macs = new Uint8Array(initialCapacity * 6);
    this.ifIndex = new Int32Array(initialCapacity).fill(-1);
    this.addrs = new Uint8Array(initialCapacity * 16);
    this.isRouter = new Uint8Array(initialCapacity);
    for (let i = initialCapacity - 1; i >= 0; i--) this.free.push(i);
  }

  /** Entry id for `addr[off]` on interface `ifIndex`, or -1. Allocation-free. */
  lookup(ifIndex: number, addr: Uint8Array, off: number): number {
    const m = this.maps[ifIndex];
    return m ? m.get(addr, off) : -1;
  }

  /** Creates (or returns the existing) entry in state `state` without a MAC. */
  create(ifIndex: number, addr: Uint8Array, off: number, state: NeighborStateValue): number {
    const existing = this.lookup(ifIndex, addr, off);
    if (existing >= 0) return existing;
    if (this.free.length === 0) this.grow();
    const id = this.free.pop()!;
    let m = this.maps[ifIndex];
    if (!m) {
      m = new AddressMap();
      this.maps[ifIndex] = m;
    }
    m.set(addr, off, id);
    this.state[id] = state;
    this.ifIndex[id] = ifIndex;
    this.isRouter[id] = 0;
    for (let i = 0; i < 16; i++) this.addrs[id * 16 + i] = addr[off + i]!;
    this.macs.fill(0, id * 6, id * 6 + 6);
    this.size++;
    return id;
  }

  /** Sets entry `id`'s MAC from `mac[off..off+6)`; returns true if it changed. */
  setMac(id: number, mac: Uint8Array, off = 0): boolean {
    let changed = false;
    const base = id * 6;
    for (let i = 0; i < 6; i++) {
      if (this.macs[base + i] !== mac[off + i]) {
        changed = true;
        this.macs[base + i] = mac[off + i]!;
      }
    }
    return changed;
  }

  /** True when entry `id`'s MAC equals `mac[off..off+6)`. */
  macEquals(id: number, mac: Uint8Array, off = 0): boolean {
    const base = id * 6;
    for (let i = 0; i < 6; i++) if (this.macs[base + i] !== mac[off + i]) return false;
    return true;
  }

  setState(id: number, state: NeighborStateValue): void {
    this.state[id] = state;
  }

  /** Removes entry `id`. */
  remove(id: number): void {
    if (this.state[id] === 0) return;
    this.resolver?.removing?.(id);
    this.maps[this.ifIndex[id]!]?.delete(this.addrs, id * 16);
    this.state[id] = 0;
    this.ifIndex[id] = -1;
    this.free.push(id);
    this.size--;
  }

  /** Removes every entry of interface `ifIndex`. */
  removeInterface(ifIndex: number): void {
    for (let id = 0; id < this.capacity; id++) if (this.ifIndex[id] === ifIndex) this.remove(id);
    this.maps[ifIndex] = null;
  }

  /** The entry as a plain object (control plane). */
  info(id: number): NeighborInfo {
    const state = this.state[id] as NeighborStateValue;
    const hasMac = state !== NeighborState.Incomplete;
    return {
      id,
      ifIndex: this.ifIndex[id]!,
      address: this.addrs.slice(id * 16, id * 16 + 16),
      mac: hasMac ? this.macs.slice(id * 6, id * 6 + 6) : null,
      state,
      isRouter: this.isRouter[id] === 1,
    };
  }

  /** Every entry (control plane). */
  list(): NeighborInfo[] {
    const out: NeighborInfo[] = [];
    for (let id = 0; id < this.capacity; id++) if (this.state[id] !== 0) out.push(this.info(id));
    return out;
  }

  private grow(): void {
    const old = this.capacity;
    const cap = old * 2;
    const grow8 = (a: Uint8Array, per: number): Uint8Array => {
      const b = new Uint8Array(cap * per);
      b.set(a);
      return b;
    };
    this.state = grow8(this.state, 1);
    this.macs = grow8(this.macs, 6);
    this.addrs = grow8(this.addrs, 16);
    this.isRouter = grow8(this.isRouter, 1);
    const ifs = new Int32Array(cap).fill(-1);
    ifs.set(this.ifIndex);
    this.ifIndex = ifs;
    for (let i = cap - 1; i >= old; i--) this.free.push(i);
    this.capacity = cap;
  }
}
