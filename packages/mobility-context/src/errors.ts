/**
 * Coded errors of the mobility context store (draft-bernardos-dmm-distributed-anchoring
 * §3–§4: the repository of which D-GW anchors which prefix).
 */
import { DmmError, formatIpv6Prefix, formatMacAddress, type Ipv6Prefix } from '@dmm/core';

export const ContextErrorCode = {
  /** A value is malformed (prefix with host bits, non-link-local DLIF address, …). */
  Invalid: 'DMM_ERR_CONTEXT_INVALID',
  /** The change contradicts the stored state (prefix active for another node, MAC taken). */
  Conflict: 'DMM_ERR_CONTEXT_CONFLICT',
  /** The node is not registered. */
  UnknownNode: 'DMM_ERR_CONTEXT_UNKNOWN_NODE',
  /** The store file was written by a newer schema, or is not a context store. */
  Schema: 'DMM_ERR_CONTEXT_SCHEMA',
  /** The store was closed. */
  Closed: 'DMM_ERR_CONTEXT_CLOSED',
} as const;
export type ContextErrorCode = (typeof ContextErrorCode)[keyof typeof ContextErrorCode];

export class ContextError extends DmmError {
  constructor(
    code: ContextErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'ContextError';
  }
}

export function unknownNode(mnId: string): ContextError {
  return new ContextError(ContextErrorCode.UnknownNode, `node ${mnId} is not registered`, { mnId });
}

export function macConflict(mac: Uint8Array, holder: string): ContextError {
  const text = formatMacAddress(mac);
  return new ContextError(ContextErrorCode.Conflict, `MAC ${text} belongs to node ${holder}`, {
    mac: text,
    holder,
  });
}

export function prefixTaken(p: Ipv6Prefix, holder: string): ContextError {
  const text = formatIpv6Prefix(p.prefix, p.prefixLen);
  return new ContextError(
    ContextErrorCode.Conflict,
    `prefix ${text} is active for node ${holder}`,
    {
      prefix: text,
      holder,
    },
  );
}

export function notTheAnchor(p: Ipv6Prefix, anchor: string, caller: string): ContextError {
  const text = formatIpv6Prefix(p.prefix, p.prefixLen);
  return new ContextError(
    ContextErrorCode.Conflict,
    `prefix ${text} is anchored at ${anchor}, not ${caller}`,
    { prefix: text, anchor, caller },
  );
}

export function closedError(): ContextError {
  return new ContextError(ContextErrorCode.Closed, 'the context store is closed');
}
