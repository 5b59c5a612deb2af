/**
 * The mobility context of the distributed gateways (draft-bernardos-dmm-distributed-anchoring
 * §3–§4.2): for each mobile node, which D-GW serves it now and which D-GW anchors each prefix
 * it still uses. The draft leaves this repository out of scope (§3: "the means for a serving
 * D-GW to obtain the information about the prefixes [...] and the associated anchoring D-GWs
 * are out of the scope"; §4.2 step 7: "storing it in the HSS or some other external
 * repository"), so its shape is ours:
 *
 *   node (MN-ID, MAC) ── serving D-GW (compare-and-set), last attachment, version
 *     └─ prefix P/len ── anchor (D-GW id, address, operator)
 *                        DLIF MAC + link-local the anchor uses towards this node (§4.1)
 *                        local networks reachable only via the anchor (§4.1, LIPA)
 *                        lifetime, state active | released
 *
 * Every method is async so that a networked backend can implement the same interface.
 */
import type { Ipv6Prefix } from '@dmm/core';

/** A source of wall-clock time in milliseconds since 1970 (shared by every process on a host). */
export interface Clock {
  now(): number;
}

/**
 * `Date.now()`. Records outlive processes and are read by several processes, so times are
 * wall-clock, not a process's monotonic clock (whose origin is the process start).
 */
export const systemClock: Clock = { now: () => Date.now() };

/** Who a node is: its MN-ID (an NAI, RFC 4282) and, when known, its MAC address. */
export interface NodeIdentity {
  /** An NAI (`mn1@example.net`) or another stable key of the node. */
  readonly mnId: string;
  /** The node's 6-byte MAC; omitted = keep what is stored. */
  readonly mac?: Uint8Array;
}

/** The D-GW anchoring a prefix: where the serving D-GW sends its PBU (draft §4.2 step 7). */
export interface AnchorInfo {
  /** The D-GW's identifier (its configured name). */
  readonly dgwId: string;
  /** The D-GW's IPv6 address (LMA address of the PBU, tunnel end point). */
  readonly address: Uint8Array;
  /** The operator running it; different operators go through a central LMA (draft §5). */
  readonly operator: string;
}

/** What an anchoring D-GW records when it delegates a prefix to a node (draft §4.2 steps 2, 6). */
export interface PrefixDelegation {
  readonly prefix: Ipv6Prefix;
  readonly anchor: AnchorInfo;
  /** The MAC of the anchor's DLIF towards this node (draft §4.1; DLIF Link-layer Address option). */
  readonly dlifMac: Uint8Array;
  /** The link-local address of that DLIF (draft §4.1; DLIF Link-local Address option). */
  readonly dlifLinkLocal: Uint8Array;
  /** Networks reachable only via the anchor (draft §4.1 LIPA case; Local Prefix options). */
  readonly localNetworks?: readonly Ipv6Prefix[];
  /** How long the delegation holds, in ms; `Infinity` = until released. */
  readonly lifetimeMs: number;
}

export type PrefixState = 'active' | 'released';
/** `released`: released by a D-GW; `expired`: its lifetime ran out. */
export type ReleaseReason = 'released' | 'expired';

/** One prefix of a node as stored. Every byte array is the caller's own copy. */
export interface PrefixRecord {
  readonly mnId: string;
  readonly prefix: Uint8Array;
  readonly prefixLen: number;
  readonly anchor: AnchorInfo;
  readonly dlifMac: Uint8Array;
  readonly dlifLinkLocal: Uint8Array;
  readonly localNetworks: readonly Ipv6Prefix[];
  readonly state: PrefixState;
  /** When this delegation began (kept across re-delegations of an active prefix). */
  readonly delegatedAt: number;
  readonly lifetimeMs: number;
  /** `Infinity` when the lifetime is. */
  readonly expiresAt: number;
  readonly releasedAt: number | null;
  readonly releaseReason: ReleaseReason | null;
}

/** A node and its active prefixes: what a D-GW needs when the node attaches. */
export interface NodeContext {
  readonly mnId: string;
  readonly mac: Uint8Array | null;
  /** The D-GW serving the node now (draft §3), or null. Changed by compare-and-set. */
  readonly servingDgw: string | null;
  readonly servingSince: number | null;
  /** The last D-GW that registered an attachment of the node, and when. */
  readonly lastAttachment: { readonly dgwId: string; readonly at: number } | null;
  /**
   * Changes whenever the node or one of its prefixes changes: the sequence number of the
   * node's latest change, so it never repeats, even if the node is removed and comes back.
   */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Active prefixes, oldest delegation first (then by prefix bytes). */
  readonly prefixes: readonly PrefixRecord[];
}

/** The outcome of a change of the serving D-GW. */
export interface ServingResult {
  /** True when the store now holds the requested value because of (or despite) this call. */
  readonly won: boolean;
  /** The serving D-GW after the call: the caller's on a win, the winner's otherwise. */
  readonly servingDgw: string | null;
  /** The node's version after the call. */
  readonly version: number;
}

export type ChangeKind =
  /** `registerAttachment` (dgwId = the D-GW); creates the node when new. */
  | 'attached'
  /** The serving D-GW changed (dgwId = the new one, null = none). */
  | 'serving'
  /** A prefix was delegated or re-delegated (dgwId = its anchor). */
  | 'delegated'
  | 'renewed'
  | 'released'
  | 'expired'
  /** A released prefix record was deleted (retention over, or the prefix delegated anew). */
  | 'purged'
  /** The node was removed (idle past retention, or `removeNode`). */
  | 'removed';

/** One entry of the change feed. Sequence numbers are global, contiguous and never reused. */
export interface ContextChange {
  readonly seq: number;
  readonly mnId: string;
  readonly kind: ChangeKind;
  readonly dgwId: string | null;
  readonly prefix: Ipv6Prefix | null;
  readonly at: number;
}

export interface ChangeBatch {
  /** Changes after the requested sequence number, oldest first. */
  readonly changes: readonly ContextChange[];
  /** The highest sequence number assigned so far (0 when none). */
  readonly lastSeq: number;
  /**
   * True when changes after the requested sequence number were already trimmed: the reader
   * fell behind the retention and must re-read the contexts it cares about.
   */
  readonly missed: boolean;
}

/** What one `expire()` pass did. */
export interface ExpiryReport {
  /** Active prefixes whose lifetime ran out (now released, reason `expired`). */
  readonly expiredPrefixes: number;
  /** Released prefix records deleted after the retention. */
  readonly purgedPrefixes: number;
  /** Nodes without any prefix record, idle past the retention, deleted. */
  readonly removedNodes: number;
  /** Change feed entries deleted after the retention. */
  readonly trimmedChanges: number;
}

export interface ListOptions {
  /** Include released prefixes (default false). */
  readonly includeReleased?: boolean;
}

/**
 * The mobility context store. Every method is atomic: a reader sees a change whole or not at
 * all, in every backend and across processes sharing one backend.
 */
export interface MobilityContextStore {
  /** `memory`, `sqlite`, … */
  readonly backend: string;

  /**
   * A node attached at D-GW `dgwId` (draft §4.2 steps 1, 5): creates the node or updates its
   * MAC and last attachment, and returns its context. The serving D-GW is not changed:
   * `context.servingDgw` is the one before this attachment (null on an initial attachment,
   * draft §4.2 step 3), which is what the caller passes to `compareAndSetServing`.
   */
  registerAttachment(node: NodeIdentity, dgwId: string): Promise<NodeContext>;
  /** The node and its active prefixes, or null. */
  getContext(mnId: string): Promise<NodeContext | null>;
  /** The node's version, or null (cheap: one indexed read). */
  getVersion(mnId: string): Promise<number | null>;
  /** The MN-ID of the node with this MAC, or null. */
  findNodeByMac(mac: Uint8Array): Promise<string | null>;

  /** The node's prefixes with their anchors (active only unless asked). Unknown node: []. */
  listPrefixes(mnId: string, options?: ListOptions): Promise<PrefixRecord[]>;
  /** The record of exactly this prefix, active or released, or null. */
  findPrefix(prefix: Ipv6Prefix): Promise<PrefixRecord | null>;
  /** Prefixes anchored at `dgwId` (by MN-ID, then delegation order): an anchor's pool at start. */
  listAnchoredBy(dgwId: string, options?: ListOptions): Promise<PrefixRecord[]>;
  /** MN-IDs of the nodes `dgwId` serves, sorted. */
  listServedBy(dgwId: string): Promise<string[]>;

  /**
   * Records a prefix delegated to node `mnId` by `delegation.anchor` (draft §4.2 steps 2, 6).
   * Re-delegating a node's own prefix updates it (and revives it if released); a prefix
   * active for another node is a conflict (`DMM_ERR_CONTEXT_CONFLICT`); one released by
   * another node is taken over. The node must be registered.
   */
  delegatePrefix(mnId: string, delegation: PrefixDelegation): Promise<PrefixRecord>;
  /** Restarts an active prefix's lifetime from now; null when it is not active. */
  renewPrefix(prefix: Ipv6Prefix, lifetimeMs: number): Promise<PrefixRecord | null>;
  /**
   * Marks an active prefix released; null when it is not active. With `anchorDgw`, only
   * that anchor may release it (another is a conflict).
   */
  releasePrefix(
    prefix: Ipv6Prefix,
    options?: { readonly anchorDgw?: string },
  ): Promise<PrefixRecord | null>;

  /** Sets the serving D-GW unconditionally (administration, recovery). */
  setServing(mnId: string, dgwId: string | null): Promise<ServingResult>;
  /**
   * Sets the serving D-GW to `next` only if it is `expected` now (and, with
   * `expectedVersion`, only if nothing about the node changed since that version). Of
   * several D-GWs racing for a node during a handover exactly one wins; the others learn
   * the winner from `servingDgw`.
   */
  compareAndSetServing(
    mnId: string,
    expected: string | null,
    next: string | null,
    options?: { readonly expectedVersion?: number },
  ): Promise<ServingResult>;

  /** Deletes a node and all its prefix records; false when unknown. */
  removeNode(mnId: string): Promise<boolean>;
  /**
   * One expiry pass at the clock's now: lifetimes that ran out, released records and idle
   * nodes past their retention, old change feed entries.
   */
  expire(): Promise<ExpiryReport>;
  /** Changes with a sequence number above `afterSeq` (at most `limit`, default 1000). */
  changes(afterSeq: number, limit?: number): Promise<ChangeBatch>;

  /** Releases the backend's resources; later calls fail with `DMM_ERR_CONTEXT_CLOSED`. */
  close(): Promise<void>;
}

/** Options every backend takes. */
export interface ContextStoreOptions {
  /** Wall-clock source (default `systemClock`). */
  readonly clock?: Clock;
  /** How long a released prefix record is kept (ms, default 600000). */
  readonly releasedRetentionMs?: number;
  /** How long a node without any prefix record is kept after its last change (ms, default 600000). */
  readonly idleNodeRetentionMs?: number;
  /** How long change feed entries are kept (ms, default 600000). */
  readonly changeRetentionMs?: number;
}

export const CONTEXT_DEFAULTS = {
  releasedRetentionMs: 600_000,
  idleNodeRetentionMs: 600_000,
  changeRetentionMs: 600_000,
  changeBatchLimit: 1000,
} as const;
