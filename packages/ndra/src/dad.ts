/**
 * Our own addresses and their Duplicate Address Detection — RFC 4862 §5.4 (§5.4.2 probes
 * from ::, §5.4.3 NS for a tentative address, §5.4.4 NA for a tentative address, §5.4.5
 * when a duplicate is found).
 *
 * Every address of an Ethernet interface (the link-local and each global) is TENTATIVE
 * until DupAddrDetectTransmits (1) Neighbor Solicitations from :: to its solicited-node
 * group went out and RetransTimer passed after the last without an answer; then PREFERRED.
 * A Neighbor Advertisement for it, or a solicitation from :: for it (someone else probing
 * the same address), makes it DUPLICATE: logged, counted, reported to `onDuplicate`
 * listeners, and removed from the router's local addresses (it stays configured on the
 * interface so `show interfaces` still lists it; `show nd` says it is duplicate).
 *
 * Optimistic use (in the spirit of RFC 4429): while TENTATIVE the address already receives
 * packets and may source them (RAs from the tentative link-local at start-up), but we never
 * answer Neighbor Solicitations for it (RFC 4862 §5.4.3) and prefer a PREFERRED address
 * as the source of our own solicitations. A router brings its links up from configuration
 * and a one-second hold on forwarding buys nothing; what matters is that a duplicate is
 * found and that we do not defend an address that is someone else's.
 *
 * A duplicate link-local is not turned into "disable IP on the interface" (§5.4.5 SHOULD):
 * the interface keeps forwarding; the address is no longer answered for, and RAs (which need
 * a valid link-local source) stop on that interface.
 */
import type { GraphNode, Logger, Router, TimerHandle } from '@dmm/core';
import { ipv6Equals, isIpv6LinkLocal, solicitedNodeMulticast } from '@dmm/wire';
import { formatIpv6Address } from '@dmm/core';
import type { NdBuilder, PacketOut } from './packet-out.js';

/** State of one of our addresses. */
export const AddrState = {
  Tentative: 1,
  Preferred: 2,
  Duplicate: 3,
} as const;
export type AddrStateValue = (typeof AddrState)[keyof typeof AddrState];
export const ADDR_STATE_NAMES = ['none', 'tentative', 'preferred', 'duplicate'] as const;

export class AddrRecord {
  readonly ifIndex: number;
  readonly address: Uint8Array;
  readonly linkLocal: boolean;
  state: AddrStateValue = AddrState.Tentative;
  /** DAD probes sent. */
  probes = 0;
  timer: TimerHandle | null = null;
  /** How the duplicate was found (`ns` or `na`), for `show nd`. */
  duplicateBy: string | null = null;

  constructor(ifIndex: number, address: Uint8Array) {
    this.ifIndex = ifIndex;
    this.address = Uint8Array.from(address);
    this.linkLocal = isIpv6LinkLocal(address, 0);
  }
}

/** Our addresses per interface, with their DAD state. Lookups are allocation-free. */
export class AddressBook {
  private readonly byIf: AddrRecord[][] = [];

  /** The record of `b[off..+16)` on interface `ifIndex`, or null. */
  find(ifIndex: number, b: Uint8Array, off: number): AddrRecord | null {
    const list = this.byIf[ifIndex];
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (ipv6Equals(r.address, 0, b, off)) return r;
    }
    return null;
  }

  /** Adds (or returns) the record of `addr` on `ifIndex`. */
  add(ifIndex: number, addr: Uint8Array): AddrRecord {
    const existing = this.find(ifIndex, addr, 0);
    if (existing !== null) return existing;
    const r = new AddrRecord(ifIndex, addr);
    (this.byIf[ifIndex] ??= []).push(r);
    return r;
  }

  remove(ifIndex: number, addr: Uint8Array): AddrRecord | null {
    const list = this.byIf[ifIndex];
    if (list === undefined) return null;
    const i = list.findIndex((r) => ipv6Equals(r.address, 0, addr, 0));
    if (i < 0) return null;
    return list.splice(i, 1)[0]!;
  }

  /**
   * A source address on `ifIndex` for our solicitations (RFC 4861 §7.2.2): of the wanted
   * scope when there is one, PREFERRED before TENTATIVE, never DUPLICATE; null when none.
   */
  pickSource(ifIndex: number, wantLinkLocal: boolean): Uint8Array | null {
    const list = this.byIf[ifIndex];
    if (list === undefined) return null;
    let best: AddrRecord | null = null;
    let bestScore = 0;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (r.state === AddrState.Duplicate) continue;
      const score =
        (r.linkLocal === wantLinkLocal ? 4 : 0) + (r.state === AddrState.Preferred ? 2 : 1);
      if (score > bestScore) {
        best = r;
        bestScore = score;
      }
    }
    return best === null ? null : best.address;
  }

  /** Every record (control plane). */
  list(): AddrRecord[] {
    const out: AddrRecord[] = [];
    for (const l of this.byIf) if (l) out.push(...l);
    return out;
  }

  clear(): void {
    this.byIf.length = 0;
  }
}

/** Codes of the `nd-dad` counter node. */
export interface DadCounters {
  node: GraphNode;
  started: number;
  succeeded: number;
  duplicate: number;
  noBuffer: number;
}

export type DuplicateListener = (ifIndex: number, address: Uint8Array, foundBy: string) => void;

export interface DadTimers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clear(h: TimerHandle): void;
}

/** Runs RFC 4862 §5.4 for the records of an AddressBook. */
export class Dad {
  /** DupAddrDetectTransmits. */
  readonly transmits: number;
  private readonly router: Router;
  private readonly builder: NdBuilder;
  private readonly out: PacketOut;
  private readonly timers: DadTimers;
  private readonly counters: DadCounters;
  private readonly log: Logger;
  private readonly retransTimer: number;
  private readonly listeners = new Set<DuplicateListener>();

  constructor(
    router: Router,
    builder: NdBuilder,
    out: PacketOut,
    timers: DadTimers,
    counters: DadCounters,
    log: Logger,
    retransTimer: number,
    transmits: number,
  ) {
    this.router = router;
    this.builder = builder;
    this.out = out;
    this.timers = timers;
    this.counters = counters;
    this.log = log;
    this.retransTimer = retransTimer;
    this.transmits = transmits;
  }

  /** Starts DAD for `rec` (RFC 4862 §5.4.2); addresses of non-Ethernet links are PREFERRED at once. */
  begin(rec: AddrRecord): void {
    this.cancel(rec);
    const local = this.router.local;
    if (!local.isLocalUnicast(rec.ifIndex, rec.address, 0)) {
      // found duplicate by an earlier run, which took it out of the local addresses but kept
      // its solicited-node group joined: make it local again, balancing the group count
      local.leave(rec.ifIndex, solicitedNodeMulticast(rec.address), 0);
      local.addAddress(rec.ifIndex, rec.address);
    }
    const iface = this.router.interfaces[rec.ifIndex];
    if (iface === undefined || iface.kind !== 'ethernet' || this.transmits === 0) {
      rec.state = AddrState.Preferred;
      return;
    }
    rec.state = AddrState.Tentative;
    rec.probes = 0;
    rec.duplicateBy = null;
    this.counters.node.count(this.counters.started);
    this.probe(rec);
  }

  /** Stops the DAD timer of `rec`. */
  cancel(rec: AddrRecord): void {
    if (rec.timer !== null) {
      this.timers.clear(rec.timer);
      rec.timer = null;
    }
  }

  /**
   * A Neighbor Advertisement for `rec`'s address, or a solicitation from :: for it, while
   * it was TENTATIVE (RFC 4862 §5.4.3, §5.4.4): it is a duplicate (§5.4.5).
   */
  conflict(rec: AddrRecord, foundBy: 'ns' | 'na'): void {
    if (rec.state !== AddrState.Tentative) return;
    this.cancel(rec);
    rec.state = AddrState.Duplicate;
    rec.duplicateBy = foundBy;
    this.counters.node.count(this.counters.duplicate);
    const local = this.router.local;
    local.removeAddress(rec.ifIndex, rec.address);
    // removeAddress left the solicited-node group; join it again so that the reference count
    // stays right for whoever removes the address from the interface later
    local.join(rec.ifIndex, solicitedNodeMulticast(rec.address), 0);
    const name = this.router.interfaces[rec.ifIndex]?.name ?? String(rec.ifIndex);
    this.log.error(
      { interface: name, address: formatIpv6Address(rec.address), foundBy },
      'duplicate address detected (RFC 4862 §5.4.5): the address is no longer used',
    );
    for (const l of this.listeners) {
      try {
        l(rec.ifIndex, rec.address, foundBy);
      } catch (e) {
        this.log.error({ err: e }, 'duplicate-address listener failed');
      }
    }
  }

  onDuplicate(fn: DuplicateListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private probe(rec: AddrRecord): void {
    const pb = this.builder.neighborSolicit(null, rec.address, 0, false, null);
    if (pb === null) this.counters.node.count(this.counters.noBuffer);
    else this.out.sendIp6(pb, rec.ifIndex);
    rec.probes++;
    rec.timer = this.timers.setTimeout(() => this.step(rec), this.retransTimer);
  }

  private step(rec: AddrRecord): void {
    rec.timer = null;
    if (rec.state !== AddrState.Tentative) return;
    if (rec.probes < this.transmits) {
      this.probe(rec);
      return;
    }
    rec.state = AddrState.Preferred;
    this.counters.node.count(this.counters.succeeded);
    this.log.debug(
      {
        interface: this.router.interfaces[rec.ifIndex]?.name,
        address: formatIpv6Address(rec.address),
      },
      'address is unique (RFC 4862 §5.4)',
    );
  }
}

/** Counters of the `nd-dad` node. */
export const ND_DAD_COUNTERS = [
  ['started', 'DAD runs started (RFC 4862 §5.4)'],
  ['succeeded', 'addresses found unique'],
  ['duplicate', 'duplicates detected (RFC 4862 §5.4.5; logged)'],
  ['no-buffer', 'no buffer for a DAD probe'],
  ['unexpected', 'packet sent to a counter node'],
] as const;
