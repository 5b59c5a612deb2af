/**
 * Plain-JSON views of binding entries for `dmmctl show bindings` (addresses and prefixes
 * as RFC 5952 text, times as milliseconds left) and the matching tables for people.
 * Control plane only: formatting goes through core's text helpers.
 */
import { formatIpv6Address, formatIpv6Prefix, type TextTable } from '@dmm/core';
import type { BindingCacheEntry } from './binding-cache.js';
import type { BindingUpdateListEntry } from './binding-update-list.js';
import type { DgwBindingInfo } from './dgw.js';
import { formatLinkLayerId, formatMnId, timestampValue } from './identity.js';

export interface DgwSnapshot {
  distributed: boolean;
  servedLocally: boolean;
  dlifIfIndex: number | null;
  dlifLinkLocal: string | null;
  dlifLinkLayer: string | null;
  localPrefixes: string[];
}

export interface BceSnapshot {
  id: number;
  state: string;
  mnId: string;
  mnLinkLayerId: string | null;
  prefixes: string[];
  proxyCoa: string;
  magLinkLocal: string | null;
  tunnelId: number | null;
  accessTechnology: number;
  handoffIndicator: number;
  /** Seconds since 1970 with the 1/65536 fraction, or null (sequence numbers in use). */
  timestamp: number | null;
  sequence: number;
  lifetimeMs: number;
  /** Ms until the lifetime runs out (0 when past). */
  remainingMs: number;
  /** Ms until deletion while de-registering, else null. */
  deleteInMs: number | null;
  /** Ms left of MaxDelayBeforeNewBCEAssign while awaiting a de-registration, else null. */
  waitMs: number | null;
  dgw: DgwSnapshot | null;
}

export interface BulSnapshot {
  id: number;
  state: string;
  mnId: string;
  mnLinkLayerId: string | null;
  prefixes: string[];
  lmaAddress: string;
  magLinkLocal: string | null;
  accessIfIndex: number;
  tunnelId: number | null;
  accessTechnology: number;
  handoffIndicator: number;
  requestedLifetimeMs: number;
  grantedLifetimeMs: number;
  sequence: number;
  /** Ms since the last PBU was sent, or null before the first. */
  lastPbuAgoMs: number | null;
  attempts: number;
  retransmitTimeoutMs: number;
  /** Ms until the refresh PBU is due, or null. */
  refreshInMs: number | null;
  /** Ms until the lifetime runs out, or null before registration. */
  remainingMs: number | null;
  dgw: DgwSnapshot | null;
}

const left = (t: number, now: number): number | null =>
  Number.isNaN(t) ? null : Math.max(0, Math.round(t - now));

function addr(a: Uint8Array | null): string | null {
  return a === null ? null : formatIpv6Address(a);
}

export function dgwSnapshot(d: DgwBindingInfo | null): DgwSnapshot | null {
  if (d === null) return null;
  return {
    distributed: d.distributed,
    servedLocally: d.servedLocally,
    dlifIfIndex: d.dlifIfIndex < 0 ? null : d.dlifIfIndex,
    dlifLinkLocal: addr(d.dlifLinkLocal),
    dlifLinkLayer: d.dlifLinkLayer ? formatLinkLayerId(d.dlifLinkLayer) : null,
    localPrefixes: d.localPrefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
  };
}

/** One Binding Cache Entry as plain JSON, times relative to `now`. */
export function bceSnapshot(e: BindingCacheEntry, now: number): BceSnapshot {
  return {
    id: e.id,
    state: e.state,
    mnId: formatMnId(e.mnId),
    mnLinkLayerId: formatLinkLayerId(e.mnLinkLayerId),
    prefixes: e.prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
    proxyCoa: formatIpv6Address(e.proxyCoa),
    magLinkLocal: addr(e.magLinkLocal),
    tunnelId: e.tunnelId < 0 ? null : e.tunnelId,
    accessTechnology: e.accessTechnology,
    handoffIndicator: e.handoffIndicator,
    timestamp: timestampValue(e.timestampSeconds, e.timestampFraction),
    sequence: e.sequence,
    lifetimeMs: e.lifetimeMs,
    remainingMs: left(e.expiresAt, now) ?? 0,
    deleteInMs: left(e.deleteAt, now),
    waitMs: left(e.waitUntil, now),
    dgw: dgwSnapshot(e.dgw),
  };
}

/** One Binding Update List entry as plain JSON, times relative to `now`. */
export function bulSnapshot(e: BindingUpdateListEntry, now: number): BulSnapshot {
  return {
    id: e.id,
    state: e.state,
    mnId: formatMnId(e.mnId),
    mnLinkLayerId: formatLinkLayerId(e.mnLinkLayerId),
    prefixes: e.prefixes.map((p) => formatIpv6Prefix(p.prefix, p.prefixLen)),
    lmaAddress: formatIpv6Address(e.lmaAddress),
    magLinkLocal: addr(e.magLinkLocal),
    accessIfIndex: e.accessIfIndex,
    tunnelId: e.tunnelId < 0 ? null : e.tunnelId,
    accessTechnology: e.accessTechnology,
    handoffIndicator: e.handoffIndicator,
    requestedLifetimeMs: e.requestedLifetimeMs,
    grantedLifetimeMs: e.grantedLifetimeMs,
    sequence: e.sequence,
    lastPbuAgoMs: Number.isNaN(e.lastPbuAt) ? null : Math.max(0, Math.round(now - e.lastPbuAt)),
    attempts: e.attempts,
    retransmitTimeoutMs: e.retransmitTimeoutMs,
    refreshInMs: left(e.refreshAt, now),
    remainingMs: left(e.expiresAt, now),
    dgw: dgwSnapshot(e.dgw),
  };
}

const secs = (ms: number | null): string => (ms === null ? '-' : `${Math.ceil(ms / 1000)}s`);

/** `show bindings` table of Binding Cache snapshots. */
export function bindingCacheTable(rows: readonly BceSnapshot[]): TextTable {
  return {
    columns: ['MN-ID', 'PREFIXES', 'PROXY-COA', 'STATE', 'LIFETIME', 'LEFT', 'TUNNEL'],
    rows: rows.map((r) => [
      r.mnId,
      r.prefixes.join(' ') || '-',
      r.proxyCoa,
      r.state === 'deregistering' ? `deregistering (${secs(r.deleteInMs)})` : r.state,
      secs(r.lifetimeMs),
      secs(r.remainingMs),
      r.tunnelId === null ? '-' : String(r.tunnelId),
    ]),
  };
}

/** `show bindings` table of Binding Update List snapshots. */
export function bindingUpdateListTable(rows: readonly BulSnapshot[]): TextTable {
  return {
    columns: ['MN-ID', 'PREFIXES', 'LMA', 'IF', 'STATE', 'GRANTED', 'LEFT', 'SEQ', 'TUNNEL'],
    rows: rows.map((r) => [
      r.mnId,
      r.prefixes.join(' ') || '-',
      r.lmaAddress,
      String(r.accessIfIndex),
      r.attempts > 1 ? `${r.state} (try ${r.attempts})` : r.state,
      secs(r.grantedLifetimeMs === 0 ? null : r.grantedLifetimeMs),
      secs(r.remainingMs),
      String(r.sequence),
      r.tunnelId === null ? '-' : String(r.tunnelId),
    ]),
  };
}
