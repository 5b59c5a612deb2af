/**
 * A client of the control API (protocol.ts): connects to a router's Unix socket, sends
 * requests and matches responses by id. Used by dmmctl; usable from scripts and tests.
 *
 * ```ts
 * const c = await ControlClient.connect('/run/dmm/r1.sock');
 * const r = await c.request('show routes');
 * if (r.ok) console.log(r.result);
 * c.close();
 * ```
 */
import { createConnection, type Socket } from 'node:net';
import { DmmError } from '@dmm/core';
import { ControlErrorCode, type ControlResponse } from './protocol.js';

/** Why a connection failed: no socket file, nobody listening, not allowed, or other. */
export type ConnectFailure = 'missing' | 'refused' | 'permission' | 'closed' | 'timeout' | 'other';

/** A DmmError (DMM_ERR_CONTROL_CONNECT) whose `details.reason` is a ConnectFailure. */
export function connectError(path: string, reason: ConnectFailure, cause?: Error): DmmError {
  const what: Record<ConnectFailure, string> = {
    missing: `no control socket at ${path} (is dmmd running? see --socket / --router)`,
    refused: `connection refused at ${path} (a stale socket: dmmd is not running)`,
    permission: `permission denied on ${path} (the socket is mode 0600: run as its owner)`,
    closed: `the router closed the connection before answering (${path})`,
    timeout: `no answer from ${path} in time`,
    other: `cannot connect to ${path}: ${cause?.message ?? 'unknown error'}`,
  };
  return new DmmError(
    ControlErrorCode.Connect,
    what[reason],
    { path, reason },
    cause ? { cause } : undefined,
  );
}

function reasonOf(e: NodeJS.ErrnoException): ConnectFailure {
  switch (e.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'missing';
    case 'ECONNREFUSED':
      return 'refused';
    case 'EACCES':
    case 'EPERM':
      return 'permission';
    default:
      return 'other';
  }
}

interface Waiter {
  resolve(r: ControlResponse): void;
  reject(e: Error): void;
}

export class ControlClient {
  readonly path: string;
  private readonly sock: Socket;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private buf = '';
  private closedError: DmmError | null = null;

  private constructor(path: string, sock: Socket) {
    this.path = path;
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (s: string) => this.onData(s));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.closedError = connectError(path, 'closed');
      for (const w of this.waiters.values()) w.reject(this.closedError);
      this.waiters.clear();
    });
  }

  /** Connects; rejects with DMM_ERR_CONTROL_CONNECT (`details.reason`) on failure. */
  static connect(path: string, timeoutMs = 5000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(connectError(path, 'timeout'));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new ControlClient(path, sock));
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        sock.destroy();
        reject(connectError(path, reasonOf(e), e));
      });
    });
  }

  /** Sends one request; resolves with the router's response (ok or not). */
  request(
    command: string,
    args: Record<string, unknown> = {},
    timeoutMs = 15000,
  ): Promise<ControlResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(connectError(this.path, 'timeout'));
      }, timeoutMs);
      this.waiters.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(JSON.stringify({ id, command, args }) + '\n');
    });
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  private onData(s: string): void {
    this.buf += s;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let r: ControlResponse;
      try {
        r = JSON.parse(line) as ControlResponse;
      } catch {
        continue;
      }
      const w = typeof r.id === 'number' ? this.waiters.get(r.id) : undefined;
      if (w) {
        this.waiters.delete(r.id as number);
        w.resolve(r);
      }
    }
  }
}
