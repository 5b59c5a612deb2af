/**
 * The control API server: a Unix stream socket (mode 0600) speaking JSON lines
 * (protocol.ts), serving a router's command registry.
 *
 * Robustness: any number of clients; a request may arrive in pieces or several per read;
 * a line that is not a request gets an error response (never a crash); a line longer than
 * MAX_REQUEST_BYTES gets one error and is discarded up to its newline, in constant memory;
 * requests on one connection are answered in order; a client that goes away mid-request
 * is forgotten. A stale socket file (its server died) is replaced; a live one is an error.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { DmmError, type CommandRegistry, type Logger } from '@dmm/core';
import {
  ControlErrorCode,
  MAX_REQUEST_BYTES,
  toJsonLine,
  type ControlResponse,
  type RequestId,
} from './protocol.js';

/** What is at a socket path. */
export type SocketProbe = 'missing' | 'stale' | 'live' | 'not-a-socket';

/** Tells whether a live server answers at `path` (connects and hangs up at once). */
export function probeSocket(path: string): Promise<SocketProbe> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return Promise.resolve('missing');
  }
  if (!st.isSocket()) return Promise.resolve('not-a-socket');
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve('live');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.destroy();
      // ECONNREFUSED: nobody listens; ENOENT: removed meanwhile
      resolve(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'stale' : 'live');
    });
  });
}

export interface ControlServerOptions {
  /** Socket path. */
  path: string;
  commands: CommandRegistry;
  log: Logger;
  /** Longest request line (default MAX_REQUEST_BYTES). */
  maxRequestBytes?: number;
}

/** Requests in flight on one connection before it stops reading (backpressure). */
const MAX_IN_FLIGHT = 256;

class Connection {
  readonly sock: Socket;
  pending: Buffer[] = [];
  pendingLen = 0;
  discarding = false;
  inFlight = 0;
  chain: Promise<void> = Promise.resolve();

  constructor(sock: Socket) {
    this.sock = sock;
  }

  send(r: ControlResponse): void {
    if (this.sock.destroyed || !this.sock.writable) return;
    this.sock.write(encode(r));
  }
}

function encode(r: ControlResponse): string {
  try {
    return toJsonLine(r);
  } catch (e) {
    return toJsonLine({
      id: r.id,
      ok: false,
      error: {
        code: ControlErrorCode.Internal,
        message: `result is not JSON: ${(e as Error).message}`,
      },
    });
  }
}

function failure(
  id: RequestId,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): ControlResponse {
  return {
    id,
    ok: false,
    error: details === undefined ? { code, message } : { code, message, details },
  };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class ControlServer {
  readonly path: string;
  private readonly commands: CommandRegistry;
  private readonly log: Logger;
  private readonly maxLine: number;
  private server: Server | null = null;
  private readonly conns = new Set<Connection>();
  /** Identity of the socket file we made, so we never unlink someone else's. */
  private ino: { dev: number; ino: number } | null = null;

  constructor(opts: ControlServerOptions) {
    this.path = opts.path;
    this.commands = opts.commands;
    this.log = opts.log;
    this.maxLine = opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
  }

  /** Connected clients now. */
  get clients(): number {
    return this.conns.size;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  /**
   * Creates the directory, replaces a stale socket file, listens with mode 0600.
   * DMM_ERR_CONTROL_SOCKET_IN_USE when another server answers at the path, or a file that
   * is not a socket is there.
   */
  async listen(): Promise<void> {
    if (this.server) return;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o755 });
    const probe = await probeSocket(this.path);
    if (probe === 'live') {
      throw new DmmError(
        ControlErrorCode.SocketInUse,
        `control socket ${this.path} is in use by a running server (another dmmd?)`,
        { path: this.path },
      );
    }
    if (probe === 'not-a-socket') {
      throw new DmmError(ControlErrorCode.SocketInUse, `${this.path} exists and is not a socket`, {
        path: this.path,
      });
    }
    if (probe === 'stale') {
      unlinkSync(this.path);
      this.log.warn({ socket: this.path }, 'replaced a stale control socket');
    }
    const server = createServer((sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      server.once('error', onError);
      // no moment where the socket exists with looser permissions than 0600
      const old = process.umask(0o177);
      try {
        server.listen(this.path, () => {
          server.off('error', onError);
          resolve();
        });
      } finally {
        process.umask(old);
      }
    }).catch((e: unknown) => {
      server.close();
      throw new DmmError(
        ControlErrorCode.SocketInUse,
        `cannot listen on control socket ${this.path}: ${(e as Error).message}`,
        { path: this.path },
        { cause: e },
      );
    });
    chmodSync(this.path, 0o600);
    const st = lstatSync(this.path);
    this.ino = { dev: st.dev, ino: st.ino };
    server.on('error', (e) =>
      this.log.error({ err: e, socket: this.path }, 'control socket error'),
    );
    this.server = server;
    this.log.info({ socket: this.path }, 'control socket listening');
  }

  /** Stops listening, hangs up every client, removes the socket file. Idempotent. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const c of this.conns) c.sock.destroy();
    this.conns.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.unlinkOurs();
  }

  private unlinkOurs(): void {
    const id = this.ino;
    this.ino = null;
    if (!id) return;
    try {
      const st = lstatSync(this.path);
      if (st.dev === id.dev && st.ino === id.ino) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  private accept(sock: Socket): void {
    const c = new Connection(sock);
    this.conns.add(c);
    sock.on('data', (chunk: Buffer) => this.onData(c, chunk));
    // ECONNRESET / EPIPE: the client went away; 'close' follows
    sock.on('error', () => undefined);
    sock.on('close', () => this.conns.delete(c));
  }

  private onData(c: Connection, chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      if (c.discarding) {
        c.discarding = false;
      } else if (c.pendingLen + (nl - start) > this.maxLine) {
        this.tooLarge(c);
      } else {
        const piece = chunk.subarray(start, nl);
        const line = (c.pendingLen === 0 ? piece : Buffer.concat([...c.pending, piece])).toString(
          'utf8',
        );
        this.enqueue(c, line);
      }
      c.pending = [];
      c.pendingLen = 0;
      start = nl + 1;
    }
    if (c.discarding || start >= chunk.length) return;
    const rest = chunk.length - start;
    if (c.pendingLen + rest > this.maxLine) {
      c.pending = [];
      c.pendingLen = 0;
      c.discarding = true;
      this.tooLarge(c);
      return;
    }
    // copy: the chunk's memory may be a larger pooled buffer
    c.pending.push(Buffer.from(chunk.subarray(start)));
    c.pendingLen += rest;
  }

  private tooLarge(c: Connection): void {
    c.send(
      failure(
        null,
        ControlErrorCode.RequestTooLarge,
        `request line longer than ${this.maxLine} bytes; discarded`,
      ),
    );
  }

  private enqueue(c: Connection, line: string): void {
    const text = line.trim();
    if (text === '') return;
    c.inFlight++;
    if (c.inFlight >= MAX_IN_FLIGHT) c.sock.pause();
    c.chain = c.chain
      .then(() => this.handle(text))
      .then((r) => {
        c.inFlight--;
        if (c.sock.isPaused() && c.inFlight < MAX_IN_FLIGHT / 4) c.sock.resume();
        c.send(r);
      });
  }

  /** One request line → one response. Never throws. */
  private async handle(line: string): Promise<ControlResponse> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch (e) {
      return failure(null, ControlErrorCode.BadRequest, `not JSON: ${(e as Error).message}`);
    }
    if (!isObj(req)) {
      return failure(
        null,
        ControlErrorCode.BadRequest,
        'a request is a JSON object {"id":…,"command":"…","args":{…}}',
      );
    }
    const id: RequestId = typeof req.id === 'number' || typeof req.id === 'string' ? req.id : null;
    if (typeof req.command !== 'string' || req.command.trim() === '') {
      return failure(id, ControlErrorCode.BadRequest, '`command` must be a non-empty string');
    }
    if (req.args !== undefined && !isObj(req.args)) {
      return failure(id, ControlErrorCode.BadRequest, '`args` must be an object');
    }
    try {
      const { result, table } = await this.commands.run(
        req.command,
        (req.args ?? {}) as Record<string, unknown>,
      );
      return table === undefined ? { id, ok: true, result } : { id, ok: true, result, table };
    } catch (e) {
      if (e instanceof DmmError) return failure(id, e.code, e.message, { ...e.details });
      this.log.error({ err: e, command: req.command }, 'control command failed');
      return failure(
        id,
        ControlErrorCode.Internal,
        `command failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
}
