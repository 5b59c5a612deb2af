/**
 * The D-GW's data-path features (draft-bernardos-dmm-distributed-anchoring-02 §4.2 step 1,
 * docs/dgw.md "Attachment at S" and "Observability"):
 *
 * ```
 *  access parent ─▶ ethernet-input ─▶ ip6-input arc: dgw-attach-input ─▶ ip6-input ─┬─ local (ND, RS …)
 *                                                                     └─ ip6-forward: dgw-attach-forward ─▶ (dropped)
 *  every DLIF / backbone ─────────────────────────── ip6-forward: dgw-handover      ─▶ ip6-lookup
 * ```
 *
 * - `dgw-attach-input` / `dgw-attach-forward` see the frames that reach an access interface
 *   itself, not one of its DLIFs: a node no DLIF serves yet. The input feature runs before
 *   `ip6-input`, so it also sees group-addressed frames the router has not joined: the MLD
 *   reports and DAD probes a host sends when its link comes back (RFC 3810 §6.1, RFC 4862
 *   §5.4.2), usually the first thing a node says on a new link. The Ethernet source (read in
 *   place at `l3 − 8`) is looked up allocation-free; a known node that is idle is queued for
 *   the control plane's attach once, an unknown MAC is queued for the policy (default
 *   allow). Router Solicitations are left to the RS path (ndra → dlif →
 *   `onUnknownSolicitation`), so each attach is counted by its real cause. Nothing is
 *   dropped there; forwarded packets are dropped by `dgw-attach-forward`: until the node has
 *   DLIFs and routes, its uplink has nowhere correct to go.
 *   Unicast frames to another D-GW's DLIF MAC (a node that moved here and still talks to its
 *   old router) never get this far: `ethernet-input` drops them as `not-for-us` before any
 *   feature arc, which is why an L2 trigger (`dmmctl attach`) or the node's own RS is the
 *   usual start of a handover.
 * - `dgw-handover` timestamps the first packet through a new anchor tunnel: while a
 *   handover is open, every forwarded packet's source (uplink, from a DLIF) or destination
 *   (downlink, just decapsulated: `pb.tunnel ≥ 0`) is looked up in a FIB of the prefixes
 *   awaiting their first packet. With no handover open it only passes the vector on.
 */
import { ARC_NEXT, Fib, MacMap, dropReasons, type NodeDef } from '@dmm/core';

/** Per-node data-path state. */
export const NodeStatus = {
  Idle: 0,
  Attaching: 1,
  Served: 2,
  Refused: 3,
} as const;

export const DGW_ATTACH_INPUT = dropReasons([
  ['detected', 'a known node that no DLIF serves was seen: attach queued', 'event'],
  ['unknown-mac', 'a frame from a MAC with no profile (queued for the policy)', 'event'],
] as const);

export const DGW_ATTACH_FORWARD = dropReasons([
  ['detected', 'a known node that no DLIF serves was seen: attach queued', 'event'],
  ['not-attached', 'uplink of a node not (yet) served here'],
  ['unknown-mn', 'uplink from a MAC with no profile'],
  ['refused', 'uplink of a node the policy refuses'],
  ['not-via-dlif', 'uplink of a served node sent to the access interface instead of a DLIF'],
] as const);

export const DGW_HANDOVER = dropReasons([
  ['first-uplink', 'first packet from a prefix through its new anchor tunnel', 'event'],
  ['first-downlink', 'first packet to a prefix out of its new anchor tunnel', 'event'],
] as const);

export const DGW_ATTACH_INPUT_NODE = 'dgw-attach-input';
export const DGW_ATTACH_FORWARD_NODE = 'dgw-attach-forward';
export const DGW_HANDOVER_NODE = 'dgw-handover';

/** Capacity of the queues between the data path and the control plane. */
const QUEUE = 1024;

const ICMPV6 = 58;
const ROUTER_SOLICIT = 133;

/** What the data path hands to the control plane. */
export interface Detections {
  /** Known nodes (slots) and the access interface they were seen on. */
  nodes: { slot: number; ifIndex: number }[];
  /** Unknown MACs and their access interface. */
  unknown: { mac: Uint8Array; ifIndex: number }[];
}

export class AccessWatch {
  readonly macs = new MacMap(256);
  status: Uint8Array;
  triggered: Uint8Array;
  /** ifIndex → 1 for access interfaces (grown on demand). */
  access = new Uint8Array(64);
  firstFrame = true;
  /** Queue unknown MACs (the policy may allow them). */
  queueUnknown = false;
  /** Triggers lost to a full queue (retried with the node's next frame). */
  overflow = 0;
  private readonly qSlot = new Int32Array(QUEUE);
  private readonly qIf = new Int32Array(QUEUE);
  private queued = 0;
  private readonly uMac = new Uint8Array(QUEUE * 6);
  private readonly uIf = new Int32Array(QUEUE);
  private uQueued = 0;
  private readonly wake: () => void;

  constructor(maxNodes: number, wake: () => void) {
    this.status = new Uint8Array(Math.min(maxNodes, 1024));
    this.triggered = new Uint8Array(this.status.length);
    this.wake = wake;
  }

  /** Room for node slot `slot` (control plane). */
  ensure(slot: number): void {
    if (slot < this.status.length) return;
    let n = this.status.length;
    while (n <= slot) n *= 2;
    const s = new Uint8Array(n);
    s.set(this.status);
    const t = new Uint8Array(n);
    t.set(this.triggered);
    this.status = s;
    this.triggered = t;
  }

  setAccess(ifIndex: number): void {
    if (ifIndex >= this.access.length) {
      const a = new Uint8Array(Math.max(ifIndex + 1, this.access.length * 2));
      a.set(this.access);
      this.access = a;
    }
    this.access[ifIndex] = 1;
  }

  private trigger(slot: number, rxIf: number): void {
    if (this.queued === QUEUE) {
      this.overflow++;
      return;
    }
    this.triggered[slot] = 1;
    this.qSlot[this.queued] = slot;
    this.qIf[this.queued++] = rxIf;
    if (this.queued === 1 && this.uQueued === 0) this.wake();
  }

  private unknown(b: Uint8Array, off: number, rxIf: number): void {
    if (!this.queueUnknown) return;
    for (let i = 0; i < this.uQueued; i++) {
      let same = this.uIf[i] === rxIf;
      for (let k = 0; k < 6 && same; k++) same = this.uMac[i * 6 + k] === b[off + k];
      if (same) return;
    }
    if (this.uQueued === QUEUE) {
      this.overflow++;
      return;
    }
    for (let k = 0; k < 6; k++) this.uMac[this.uQueued * 6 + k] = b[off + k]!;
    this.uIf[this.uQueued++] = rxIf;
    if (this.uQueued === 1 && this.queued === 0) this.wake();
  }

  /** `dgw-attach-input` (ip6-input arc, before validation): queues, never drops. */
  inputNode(): NodeDef {
    const E = DGW_ATTACH_INPUT.code;
    return {
      name: DGW_ATTACH_INPUT_NODE,
      next: [ARC_NEXT],
      errors: DGW_ATTACH_INPUT.errors,
      process: (v, rt) => {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const rxIf = pb.rxIf;
          if (rxIf >= 0 && rxIf < this.access.length && this.access[rxIf] === 1) {
            const b = pb.bytes;
            const l3 = pb.l3;
            // Router Solicitations are the RS path's (ndra → dlif): counted there as `rs`
            const rs = pb.end - l3 > 40 && b[l3 + 6] === ICMPV6 && b[l3 + 40] === ROUTER_SOLICIT;
            if (!rs) {
              const slot = this.macs.get(b, l3 - 8);
              if (slot >= 0) {
                if (
                  this.firstFrame &&
                  this.status[slot] === NodeStatus.Idle &&
                  this.triggered[slot] === 0
                ) {
                  rt.count(E.detected);
                  this.trigger(slot, rxIf);
                }
              } else if (this.firstFrame) {
                rt.count(E['unknown-mac']);
                this.unknown(b, l3 - 8, rxIf);
              }
            }
          }
          rt.next(0, pb);
        }
      },
    };
  }

  /** `dgw-attach-forward` (ip6-forward arc): uplink that reached the access interface itself. */
  forwardNode(): NodeDef {
    const E = DGW_ATTACH_FORWARD.code;
    return {
      name: DGW_ATTACH_FORWARD_NODE,
      next: [ARC_NEXT],
      errors: DGW_ATTACH_FORWARD.errors,
      process: (v, rt) => {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const rxIf = pb.rxIf;
          if (rxIf < 0 || rxIf >= this.access.length || this.access[rxIf] !== 1) {
            rt.next(0, pb);
            continue;
          }
          const b = pb.bytes;
          const slot = this.macs.get(b, pb.l3 - 8);
          if (slot < 0) {
            if (this.firstFrame) this.unknown(b, pb.l3 - 8, rxIf);
            rt.drop(pb, E['unknown-mn']);
            continue;
          }
          const st = this.status[slot]!;
          if (st === NodeStatus.Served) {
            rt.drop(pb, E['not-via-dlif']);
            continue;
          }
          if (st === NodeStatus.Refused) {
            rt.drop(pb, E.refused);
            continue;
          }
          if (this.firstFrame && st === NodeStatus.Idle && this.triggered[slot] === 0) {
            rt.count(E.detected);
            this.trigger(slot, rxIf);
          }
          rt.drop(pb, E['not-attached']);
        }
      },
    };
  }

  /** Known idle nodes detected by a frame for another router's MAC (`foreignFrame`). */
  foreignDetected = 0;

  /**
   * `Interface.foreignUnicast` of the access interfaces: a unicast frame for a MAC we do
   * not have, from a node we know and do not serve — it arrived on our link and still
   * talks to the router it left (the DLIF we are about to impersonate). Attaching on it
   * saves waiting for an L2 trigger or the node's own Router Solicitation (RFC 5213
   * §6.9.1.1 leaves the detection of an attachment to the implementation). Unknown MACs
   * are left alone: a frame between two other hosts says nothing about mobility.
   */
  foreignFrame(b: Uint8Array, frameStart: number, rxIf: number): void {
    if (!this.firstFrame) return;
    if (rxIf < 0 || rxIf >= this.access.length || this.access[rxIf] !== 1) return;
    const slot = this.macs.get(b, frameStart + 6);
    if (slot < 0 || this.status[slot] !== NodeStatus.Idle || this.triggered[slot] !== 0) return;
    this.foreignDetected++;
    this.trigger(slot, rxIf);
  }

  /** Takes what the data path queued (control plane). */
  drain(): Detections {
    const nodes: Detections['nodes'] = [];
    for (let i = 0; i < this.queued; i++) {
      nodes.push({ slot: this.qSlot[i]!, ifIndex: this.qIf[i]! });
    }
    this.queued = 0;
    const unknown: Detections['unknown'] = [];
    for (let i = 0; i < this.uQueued; i++) {
      unknown.push({ mac: this.uMac.slice(i * 6, i * 6 + 6), ifIndex: this.uIf[i]! });
    }
    this.uQueued = 0;
    return { nodes, unknown };
  }
}

/**
 * First packets through new anchor tunnels (handover timing). The control plane `watch`es a
 * prefix when its tunnel route is installed and gets `onFirst(slot, direction, now)` once.
 */
export class HandoverWatch {
  private readonly fib = new Fib();
  private watching = 0;
  private readonly now: () => number;
  private readonly onFirst: (slot: number, downlink: boolean, at: number) => void;

  constructor(now: () => number, onFirst: (slot: number, downlink: boolean, at: number) => void) {
    this.now = now;
    this.onFirst = onFirst;
  }

  get size(): number {
    return this.watching;
  }

  watch(prefix: Uint8Array, prefixLen: number, slot: number): void {
    if (this.fib.getExact(prefix, prefixLen) < 0) this.watching++;
    this.fib.insert(prefix, prefixLen, slot);
  }

  unwatch(prefix: Uint8Array, prefixLen: number): void {
    if (this.fib.remove(prefix, prefixLen) >= 0) this.watching--;
  }

  /** `dgw-handover` (ip6-forward arc). */
  node(): NodeDef {
    const E = DGW_HANDOVER.code;
    return {
      name: DGW_HANDOVER_NODE,
      next: [ARC_NEXT],
      errors: DGW_HANDOVER.errors,
      process: (v, rt) => {
        if (this.watching === 0) {
          for (let i = 0; i < v.length; i++) rt.next(0, v.items[i]!);
          return;
        }
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const b = pb.bytes;
          const downlink = pb.tunnel >= 0;
          const off = downlink ? pb.l3 + 24 : pb.l3 + 8;
          const slot = this.fib.lookup(b, off);
          if (slot >= 0) {
            const len = this.fib.matchLength(b, off);
            const key = new Uint8Array(16);
            for (let k = 0; k < 16; k++) key[k] = b[off + k]!;
            this.unwatchMasked(key, len);
            rt.count(downlink ? E['first-downlink'] : E['first-uplink']);
            this.onFirst(slot, downlink, this.now());
          }
          rt.next(0, pb);
        }
      },
    };
  }

  private unwatchMasked(addr: Uint8Array, len: number): void {
    for (let i = 0; i < 16; i++) {
      const bits = len - i * 8;
      addr[i] = bits >= 8 ? addr[i]! : bits <= 0 ? 0 : addr[i]! & ((0xff << (8 - bits)) & 0xff);
    }
    this.unwatch(addr, len);
  }
}
