import { wireCheckName } from './check.js';

/**
 * Error thrown by `Repr.parse` (control plane and tests only; the data path uses
 * `check()` results and never throws). `code` is stable; the message is for people.
 */
export class WireError extends Error {
  readonly code: 'DMM_ERR_MALFORMED_PACKET';
  /** The `WireCheck` result that caused it. */
  readonly reason: number;
  /** Header or option being parsed, e.g. `ipv6`, `mh-option`. */
  readonly header: string;

  constructor(header: string, reason: number, detail?: string) {
    super(`malformed ${header}: ${wireCheckName(reason)}${detail ? ` (${detail})` : ''}`);
    this.name = 'WireError';
    this.code = 'DMM_ERR_MALFORMED_PACKET';
    this.reason = reason;
    this.header = header;
  }
}

/** Throws a WireError when `reason` is non-zero. */
export function ensureOk(header: string, reason: number, detail?: string): void {
  if (reason !== 0) throw new WireError(header, reason, detail);
}
