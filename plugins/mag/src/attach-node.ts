/**
 * The MAG's data-path view of its mobile nodes (RFC 5213 §6.9.1.1 attachment detection,
 * §6.10 forwarding): two feature nodes that recognise a node by the Ethernet source of its
 * frames on an access link, read in place at `pb.l3 - 8` (the 14-byte Ethernet header
 * stays in front of the IPv6 header after `ethernet-input`):
 *
 * ```
 *  access link ─▶ ethernet-input ─▶ ip6-input ─┬─ ip6-local arc:   mag-attach-local   ─▶ (ND, RS, …)
 *                                              └─ ip6-forward arc: mag-attach-forward ─▶ ip6-lookup
 *  per frame: MAC → node id (MacTable, no allocation); mark the node seen;
 *             a known node that is not registered: trigger attach once (control plane)
 *             forward arc: pass registered nodes, drop the rest (counted)
 * ```
 *
 * Frames of nodes that are not registered are dropped on the forward arc: until the PBA
 * arrives there is no source rule for the node's prefix, so its uplink would leave by
 * the MAG's own routes, untunnelled, with a source address the MAG's network does not
 * route back (RFC 5213 §6.10.5 sends a node's traffic through the tunnel only). Packets
 * to the MAG itself (Neighbor Discovery, Router Solicitations) always pass.
 */
import { ARC_NEXT, dropReasons, type NodeDef } from '@dmm/core';
import type { MacTable } from './mac-table.js';

/** Per-node data-path state. */
export const MnStatus = {
  Idle: 0,
  Attaching: 1,
  Registered: 2,
  Refused: 3,
} as const;

export const MAG_ATTACH_LOCAL = dropReasons([
  ['detected', 'a known node not yet registered was seen: attach triggered', 'event'],
  ['unknown-mac', 'frame from a MAC with no profile (passed: ND keeps working)', 'event'],
] as const);

export const MAG_ATTACH_FORWARD = dropReasons([
  ['detected', 'a known node not yet registered was seen: attach triggered', 'event'],
  ['unregistered', 'uplink of a node whose registration is not (yet) accepted'],
  ['unknown-mn', 'uplink from a MAC with no profile'],
  ['refused', 'uplink of a node the policy or the LMA refused'],
  ['other-interface', 'uplink of a node registered on another access interface'],
] as const);

export const MAG_ATTACH_LOCAL_NODE = 'mag-attach-local';
export const MAG_ATTACH_FORWARD_NODE = 'mag-attach-forward';

/** Capacity of the detection queues between the data path and the control plane. */
const QUEUE = 256;

/**
 * Shared state of the two nodes and the control plane. Everything the nodes touch is a
 * typed array indexed by node id or interface index.
 */
export class AttachDataPath {
  readonly macs: MacTable;
  readonly status: Uint8Array;
  /** A frame was seen since the control plane last cleared it (presence). */
  readonly seen: Uint8Array;
  /** Attach already triggered (cleared by the control plane). */
  readonly triggered: Uint8Array;
  /** Interface the trigger came from / the node is registered on. */
  readonly triggerIf: Int32Array;
  readonly registeredIf: Int32Array;
  /** The triggering frame had a global source: the node has an address already (handoff). */
  readonly triggerHandoff: Uint8Array;
  /** ifIndex → 1 for access interfaces. */
  readonly access = new Uint8Array(256);
  /** Trigger on any frame (attach.firstFrame). */
  firstFrame = true;
  /** Queue MACs with no profile (mobileNodes.default: allow). */
  queueUnknown = false;
  /** Node ids whose attach was triggered, for the control plane. */
  readonly queue = new Int32Array(QUEUE);
  queued = 0;
  /** Unknown MACs and their interface (default allow). */
  readonly unknownMacs = new Uint8Array(QUEUE * 6);
  readonly unknownIf = new Int32Array(QUEUE);
  unknownQueued = 0;
  /** Triggers lost because a queue was full (retried with the node's next frame). */
  overflow = 0;
  private readonly wake: () => void;

  constructor(macs: MacTable, maxNodes: number, wake: () => void) {
    this.macs = macs;
    this.status = new Uint8Array(maxNodes);
    this.seen = new Uint8Array(maxNodes);
    this.triggered = new Uint8Array(maxNodes);
    this.triggerIf = new Int32Array(maxNodes).fill(-1);
    this.registeredIf = new Int32Array(maxNodes).fill(-1);
    this.triggerHandoff = new Uint8Array(maxNodes);
    this.wake = wake;
  }

  /**
   * Queues node `id` for the control plane's attach, once (`triggered`), noting the
   * interface and whether the frame's source says the node already has an address.
   */
  private trigger(id: number, rxIf: number, b: Uint8Array, l3: number): void {
    if (this.triggered[id] === 1 || this.queued === QUEUE) {
      if (this.triggered[id] !== 1) this.overflow++;
      return;
    }
    this.triggered[id] = 1;
    this.triggerIf[id] = rxIf;
    // a source outside fe80::/10 and :: means the node configured an address elsewhere
    const s0 = b[l3 + 8]!;
    const linkLocal = s0 === 0xfe && (b[l3 + 9]! & 0xc0) === 0x80;
    this.triggerHandoff[id] = linkLocal || isZero16(b, l3 + 8) ? 0 : 1;
    this.queue[this.queued++] = id;
    if (this.queued === 1) this.wake();
  }

  private unknown(b: Uint8Array, macOff: number, rxIf: number): void {
    if (!this.queueUnknown) return;
    // the same MAC several times in one breath is queued once
    for (let i = 0; i < this.unknownQueued; i++) {
      let same = true;
      for (let k = 0; k < 6 && same; k++) same = this.unknownMacs[i * 6 + k] === b[macOff + k];
      if (same) return;
    }
    if (this.unknownQueued === QUEUE) {
      this.overflow++;
      return;
    }
    const at = this.unknownQueued * 6;
    for (let k = 0; k < 6; k++) this.unknownMacs[at + k] = b[macOff + k]!;
    this.unknownIf[this.unknownQueued++] = rxIf;
    if (this.unknownQueued === 1 && this.queued === 0) this.wake();
  }

  /** `mag-attach-local` on the ip6-local arc: marks, triggers, never drops. */
  localNode(): NodeDef {
    const E = MAG_ATTACH_LOCAL.code;
    return {
      name: MAG_ATTACH_LOCAL_NODE,
      next: [ARC_NEXT],
      errors: MAG_ATTACH_LOCAL.errors,
      process: (v, rt) => {
        const access = this.access;
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const rxIf = pb.rxIf;
          if (rxIf >= 0 && access[rxIf] === 1) {
            const b = pb.bytes;
            const id = this.macs.lookup(b, pb.l3 - 8);
            if (id >= 0) {
              this.seen[id] = 1;
              const st = this.status[id]!;
              if (this.firstFrame && st === MnStatus.Idle && this.triggered[id] === 0) {
                rt.count(E.detected);
                this.trigger(id, rxIf, b, pb.l3);
              }
            } else {
              rt.count(E['unknown-mac']);
              this.unknown(b, pb.l3 - 8, rxIf);
            }
          }
          rt.next(0, pb);
        }
      },
    };
  }

  /** `mag-attach-forward` on the ip6-forward arc: passes registered nodes only. */
  forwardNode(): NodeDef {
    const E = MAG_ATTACH_FORWARD.code;
    return {
      name: MAG_ATTACH_FORWARD_NODE,
      next: [ARC_NEXT],
      errors: MAG_ATTACH_FORWARD.errors,
      process: (v, rt) => {
        const access = this.access;
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const rxIf = pb.rxIf;
          if (rxIf < 0 || access[rxIf] !== 1) {
            rt.next(0, pb);
            continue;
          }
          const b = pb.bytes;
          const id = this.macs.lookup(b, pb.l3 - 8);
          if (id < 0) {
            this.unknown(b, pb.l3 - 8, rxIf);
            rt.drop(pb, E['unknown-mn']);
            continue;
          }
          this.seen[id] = 1;
          const st = this.status[id]!;
          if (st === MnStatus.Registered) {
            if (this.registeredIf[id] === rxIf) rt.next(0, pb);
            else rt.drop(pb, E['other-interface']);
            continue;
          }
          if (st === MnStatus.Refused) {
            rt.drop(pb, E.refused);
            continue;
          }
          if (this.firstFrame && st === MnStatus.Idle && this.triggered[id] === 0) {
            rt.count(E.detected);
            this.trigger(id, rxIf, b, pb.l3);
          }
          rt.drop(pb, E.unregistered);
        }
      },
    };
  }

  /** Takes the queued triggers (control plane). */
  drain(): { ids: number[]; unknown: { mac: Uint8Array; ifIndex: number }[] } {
    const ids = Array.from(this.queue.subarray(0, this.queued));
    this.queued = 0;
    const unknown: { mac: Uint8Array; ifIndex: number }[] = [];
    for (let i = 0; i < this.unknownQueued; i++) {
      unknown.push({
        mac: this.unknownMacs.slice(i * 6, i * 6 + 6),
        ifIndex: this.unknownIf[i]!,
      });
    }
    this.unknownQueued = 0;
    return { ids, unknown };
  }
}

function isZero16(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (b[off + i] !== 0) return false;
  return true;
}
