/**
 * The signalling endpoint of a router: the `mobility-input` node (local protocol 135)
 * decodes every Mobility Header addressed to us and hands PBUs and PBAs to the roles that
 * registered for them (LMA, MAG, D-GW, inter-operator LMA); `send` builds and sends
 * signalling packets. Counters per message type and per PBA status code.
 *
 * Handlers run inside the graph's dispatch (control traffic, so allocation is fine);
 * whatever they send is queued for the running dispatch. A handler that throws is
 * counted (`mobility-input.handler-error`) and logged; the router goes on.
 */
import { EventEmitter } from 'eventemitter3';
import { IpProto, pbaStatusName, type PbaRepr, type PbuRepr } from '@dmm/wire';
import { dropReasons, type Logger, type NodeDef, type Router } from '@dmm/core';
import {
  buildPbaPacket,
  buildPbuPacket,
  decodeMobilityMessage,
  type MobilityMessage,
} from './mh-packet.js';

export const MOBILITY_INPUT = dropReasons([
  ['malformed', 'Mobility Header structure or options invalid (RFC 6275 §9.2)'],
  ['bad-checksum', 'Mobility Header checksum does not verify'],
  ['payload-proto-not-none', 'Payload Proto is not 59 (RFC 6275 §6.1.1)'],
  ['unsupported-type', 'MH type other than (Proxy) Binding Update / Acknowledgement'],
  ['no-handler', 'no role registered for this message type'],
  ['handler-error', 'a role threw while handling the message (counted, contained)'],
  ['pbu-received', 'PBUs delivered to a role (not a drop)'],
  ['pba-received', 'PBAs delivered to a role (not a drop)'],
] as const);

export type PbuMessage = Extract<MobilityMessage, { type: 'pbu' }>;
export type PbaMessage = Extract<MobilityMessage, { type: 'pba' }>;

export type MobilityEvents = {
  'pbu:sent': [dst: Uint8Array, pbu: PbuRepr];
  'pba:sent': [dst: Uint8Array, pba: PbaRepr];
};

/** Counters of what was sent (received messages are node counters). */
export interface SignallingCounters {
  pbuSent: number;
  pbaSent: number;
  sendFailed: number;
  /** PBAs sent and received by status code. */
  pbaStatusSent: Map<number, number>;
  pbaStatusReceived: Map<number, number>;
}

export class MobilityService {
  readonly router: Router;
  readonly events = new EventEmitter<MobilityEvents>();
  readonly counters: SignallingCounters = {
    pbuSent: 0,
    pbaSent: 0,
    sendFailed: 0,
    pbaStatusSent: new Map(),
    pbaStatusReceived: new Map(),
  };
  private pbuHandler: ((m: PbuMessage) => void) | null = null;
  private pbaHandler: ((m: PbaMessage) => void) | null = null;
  private readonly log: Logger;

  constructor(router: Router, log: Logger) {
    this.router = router;
    this.log = log;
  }

  /** Makes `fn` receive every PBU for this router; one handler at a time. Returns an unregister function. */
  onPbu(fn: (m: PbuMessage) => void): () => void {
    if (this.pbuHandler !== null) throw new Error('a PBU handler is already registered');
    this.pbuHandler = fn;
    return () => {
      if (this.pbuHandler === fn) this.pbuHandler = null;
    };
  }

  /** Makes `fn` receive every PBA for this router; one handler at a time. */
  onPba(fn: (m: PbaMessage) => void): () => void {
    if (this.pbaHandler !== null) throw new Error('a PBA handler is already registered');
    this.pbaHandler = fn;
    return () => {
      if (this.pbaHandler === fn) this.pbaHandler = null;
    };
  }

  /** Sends a PBU from `src` (one of our addresses) to `dst`; false when no buffer was free. */
  sendPbu(src: Uint8Array, dst: Uint8Array, pbu: PbuRepr): boolean {
    const pb = buildPbuPacket(this.router.pool, src, dst, pbu, this.router.ip6.defaultHopLimit);
    if (pb === null) {
      this.counters.sendFailed++;
      return false;
    }
    this.router.sendIp6(pb);
    this.counters.pbuSent++;
    this.events.emit('pbu:sent', dst, pbu);
    return true;
  }

  /** Sends a PBA from `src` to `dst`; false when no buffer was free. */
  sendPba(src: Uint8Array, dst: Uint8Array, pba: PbaRepr): boolean {
    const pb = buildPbaPacket(this.router.pool, src, dst, pba, this.router.ip6.defaultHopLimit);
    if (pb === null) {
      this.counters.sendFailed++;
      return false;
    }
    this.router.sendIp6(pb);
    this.counters.pbaSent++;
    bump(this.counters.pbaStatusSent, pba.status);
    this.events.emit('pba:sent', dst, pba);
    return true;
  }

  /** The `mobility-input` node; register it as local protocol 135. */
  nodeDef(): NodeDef {
    const E = MOBILITY_INPUT.code;
    return {
      name: 'mobility-input',
      next: [],
      errors: MOBILITY_INPUT.errors,
      process: (v, rt) => {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          const m = decodeMobilityMessage(pb);
          if (typeof m === 'string') {
            rt.drop(pb, E[m]);
            continue;
          }
          this.router.pool.free(pb);
          const handler = m.type === 'pbu' ? this.pbuHandler : this.pbaHandler;
          if (handler === null) {
            rt.count(E['no-handler']);
            continue;
          }
          if (m.type === 'pba') bump(this.counters.pbaStatusReceived, m.pba.status);
          rt.count(m.type === 'pbu' ? E['pbu-received'] : E['pba-received']);
          try {
            (handler as (x: MobilityMessage) => void)(m);
          } catch (e) {
            rt.count(E['handler-error']);
            this.log.error({ err: e, type: m.type }, 'mobility handler failed');
          }
        }
      },
    };
  }

  /** Counters as plain JSON (`show mobility`). */
  snapshot(): Record<string, unknown> {
    const named = (m: Map<number, number>): Record<string, number> =>
      Object.fromEntries(
        [...m].sort((a, b) => a[0] - b[0]).map(([k, n]) => [`${k} ${pbaStatusName(k)}`, n]),
      );
    return {
      pbuSent: this.counters.pbuSent,
      pbaSent: this.counters.pbaSent,
      sendFailed: this.counters.sendFailed,
      pbaStatusSent: named(this.counters.pbaStatusSent),
      pbaStatusReceived: named(this.counters.pbaStatusReceived),
    };
  }
}

function bump(m: Map<number, number>, k: number): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** Next Header value of the Mobility Header. */
export const MOBILITY_PROTO = IpProto.Mobility;
