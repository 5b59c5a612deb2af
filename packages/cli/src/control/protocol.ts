/**
 * The control API's wire format: JSON lines over a Unix stream socket.
 *
 *   request   {"id":1,"command":"show routes","args":{}}\n
 *   success   {"id":1,"ok":true,"result":[…],"table":{"columns":[…],"rows":[[…]]}}\n
 *   failure   {"id":1,"ok":false,"error":{"code":"DMM_ERR_…","message":"…","details":{…}}}\n
 *
 * `id` (a number or a string) is echoed so a client may pipeline requests; a line that is
 * not a request gets a failure with `id: null`. `table` is present when the command has a
 * table form for people.
 */
import type { TextTable } from '@dmm/core';

/** Where dmmd puts control sockets unless told otherwise. */
export const DEFAULT_SOCKET_DIR = '/run/dmm';

/** The default control socket of router `name`. */
export function defaultSocketPath(name: string): string {
  return `${DEFAULT_SOCKET_DIR}/${name}.sock`;
}

/** Longest request line the server reads (bytes, without the newline). */
export const MAX_REQUEST_BYTES = 1 << 20;

/** Codes of the control API's own errors (commands add theirs). */
export const ControlErrorCode = {
  /** The line is not JSON, or not a request object. */
  BadRequest: 'DMM_ERR_BAD_REQUEST',
  /** The line is longer than MAX_REQUEST_BYTES; it is discarded up to its newline. */
  RequestTooLarge: 'DMM_ERR_REQUEST_TOO_LARGE',
  /** A command failed with something that is not a coded error (a bug), or its result is not JSON. */
  Internal: 'DMM_ERR_INTERNAL',
  /** Client side: the socket is missing, refused or closed before the answer. */
  Connect: 'DMM_ERR_CONTROL_CONNECT',
  /** A live control socket is already at the path. */
  SocketInUse: 'DMM_ERR_CONTROL_SOCKET_IN_USE',
} as const;

export type RequestId = number | string | null;

export interface ControlRequest {
  id?: RequestId;
  command: string;
  args?: Record<string, unknown>;
}

export interface ControlErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type ControlResponse =
  | { id: RequestId; ok: true; result: unknown; table?: TextTable }
  | { id: RequestId; ok: false; error: ControlErrorBody };

/** JSON for the wire: bigints as decimal strings, byte arrays as hex. */
export function toJsonLine(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return x.toString();
      if (x instanceof Uint8Array)
        return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex');
      return x;
    }) + '\n'
  );
}
