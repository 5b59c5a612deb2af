/**
 * PBU/PBA transactions at the sender (MAG, serving D-GW): send a PBU, wait for the PBA
 * that answers it, retransmit with exponential back-off when none comes (RFC 5213 §6.9.4
 * → RFC 6275 §11.8): the first wait is InitialBindackTimeoutFirstReg (first registration)
 * or INITIAL_BINDACK_TIMEOUT (refresh, de-registration), doubling each time, giving up once
 * the wait would exceed MAX_BINDACK_TIMEOUT. Every transmission gets a fresh sequence
 * number and a fresh timestamp (a retransmission with the first try's timestamp would fall
 * outside the LMA's TimestampValidityWindow, RFC 5213 §5.5); a PBA matches any of them.
 */
import { z } from 'zod';
import type { PbaRepr, PbuRepr } from '@dmm/wire';
import { nextSequence } from './sequence.js';

export const retransmissionSchema = z.strictObject({
  /** ms before the first retransmission of a first registration (RFC 6275 §13: 1.5 s). */
  InitialBindackTimeoutFirstReg: z.number().int().min(10).default(1500),
  /** ms before the first retransmission of a refresh or de-registration (RFC 6275 §12: 1 s). */
  InitialBindackTimeout: z.number().int().min(10).default(1000),
  /** Longest wait, ms (RFC 6275 §12: 32 s). */
  MaxBindackTimeout: z.number().int().min(10).default(32000),
});
export type RetransmissionConfig = z.infer<typeof retransmissionSchema>;
export const RETRANSMISSION_DEFAULTS: RetransmissionConfig = retransmissionSchema.parse({});

/** The clock and timers a transaction table runs on (injectable for tests). */
export interface TimerService {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type TransactionResult =
  | { outcome: 'acknowledged'; pba: PbaRepr; attempts: number; elapsedMs: number }
  | { outcome: 'timeout'; attempts: number; elapsedMs: number }
  | { outcome: 'cancelled'; attempts: number; elapsedMs: number };

export interface PbuRequest {
  /** One transaction per key (e.g. `mnId@lma`); a new request replaces the old one. */
  key: string;
  src: Uint8Array;
  dst: Uint8Array;
  /** First registration (slower first timeout) or refresh/de-registration. */
  firstRegistration: boolean;
  /** Builds the PBU for one transmission from its sequence number and timestamp (ms). */
  build(sequence: number, nowMs: number): PbuRepr;
  /** Called once: acknowledged, timed out, or cancelled. */
  done(result: TransactionResult): void;
}

interface Pending {
  req: PbuRequest;
  sequences: number[];
  attempts: number;
  timeout: number;
  startedMs: number;
  timer: unknown;
}

/** Counters for `show mobility`. */
export interface TransactionCounters {
  started: number;
  retransmissions: number;
  acknowledged: number;
  timedOut: number;
  cancelled: number;
  unmatchedPba: number;
}

export class PbuTransactions {
  readonly counters: TransactionCounters = {
    started: 0,
    retransmissions: 0,
    acknowledged: 0,
    timedOut: 0,
    cancelled: 0,
    unmatchedPba: 0,
  };
  private readonly pending = new Map<string, Pending>();
  private readonly bySeq = new Map<string, string>(); // `${dst}|${seq}` → key
  private sequence: number;
  private readonly send: (src: Uint8Array, dst: Uint8Array, pbu: PbuRepr) => boolean;
  private readonly timers: TimerService;
  private readonly config: RetransmissionConfig;

  constructor(
    send: (src: Uint8Array, dst: Uint8Array, pbu: PbuRepr) => boolean,
    timers: TimerService,
    config: RetransmissionConfig = RETRANSMISSION_DEFAULTS,
    firstSequence = Math.floor(Math.random() * 0x10000),
  ) {
    this.send = send;
    this.timers = timers;
    this.config = config;
    this.sequence = firstSequence & 0xffff;
  }

  /** Transactions waiting for a PBA. */
  get size(): number {
    return this.pending.size;
  }

  /** Starts (or restarts) the transaction `req.key`: sends the first PBU now. */
  start(req: PbuRequest): void {
    this.cancel(req.key);
    const p: Pending = {
      req,
      sequences: [],
      attempts: 0,
      timeout: req.firstRegistration
        ? this.config.InitialBindackTimeoutFirstReg
        : this.config.InitialBindackTimeout,
      startedMs: this.timers.now(),
      timer: null,
    };
    this.pending.set(req.key, p);
    this.counters.started++;
    this.transmit(p);
  }

  /** Offers a received PBA; true when it answered one of our transactions (which completes). */
  handlePba(src: Uint8Array, pba: PbaRepr): boolean {
    const key = this.bySeq.get(seqKey(src, pba.sequence));
    if (key === undefined) {
      this.counters.unmatchedPba++;
      return false;
    }
    const p = this.pending.get(key)!;
    this.finish(p, {
      outcome: 'acknowledged',
      pba,
      attempts: p.attempts,
      elapsedMs: this.timers.now() - p.startedMs,
    });
    this.counters.acknowledged++;
    return true;
  }

  /** Stops transaction `key` without an answer; its `done` gets `cancelled`. */
  cancel(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.counters.cancelled++;
    this.finish(p, {
      outcome: 'cancelled',
      attempts: p.attempts,
      elapsedMs: this.timers.now() - p.startedMs,
    });
  }

  /** Cancels everything (plugin stop). */
  cancelAll(): void {
    for (const key of [...this.pending.keys()]) this.cancel(key);
  }

  private transmit(p: Pending): void {
    this.sequence = nextSequence(this.sequence);
    const seq = this.sequence;
    p.sequences.push(seq);
    this.bySeq.set(seqKey(p.req.dst, seq), p.req.key);
    p.attempts++;
    if (p.attempts > 1) this.counters.retransmissions++;
    this.send(p.req.src, p.req.dst, p.req.build(seq, this.timers.now()));
    p.timer = this.timers.setTimeout(() => this.expire(p), p.timeout);
  }

  private expire(p: Pending): void {
    if (this.pending.get(p.req.key) !== p) return;
    const next = p.timeout * 2;
    if (next > this.config.MaxBindackTimeout) {
      this.counters.timedOut++;
      this.finish(p, {
        outcome: 'timeout',
        attempts: p.attempts,
        elapsedMs: this.timers.now() - p.startedMs,
      });
      return;
    }
    p.timeout = next;
    this.transmit(p);
  }

  private finish(p: Pending, result: TransactionResult): void {
    if (p.timer !== null) this.timers.clearTimeout(p.timer);
    p.timer = null;
    this.pending.delete(p.req.key);
    for (const s of p.sequences) this.bySeq.delete(seqKey(p.req.dst, s));
    p.req.done(result);
  }
}

function seqKey(peer: Uint8Array, seq: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += peer[i]!.toString(16).padStart(2, '0');
  return `${s}|${seq}`;
}
