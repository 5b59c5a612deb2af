/**
 * The control API (JSON lines on a Unix socket): the `control` plugin on a router, and the
 * server's robustness against garbage, a huge line, an unknown command, clients that go
 * away mid-request, many clients at once, stale and live socket files. No root needed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CommandRegistry, DmmError, Router, silentLogger } from '@dmm/core';
import {
  ControlClient,
  ControlServer,
  controlPlugin,
  probeSocket,
  type ControlResponse,
} from '@dmm/cli';
import { tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const sockPath = (): string => join(tmp.dir, `c${n++}.sock`);

/** A raw client: write bytes, read response lines. */
class Raw {
  readonly sock: Socket;
  private buf = '';
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (s: string) => {
      this.buf += s;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.wake?.();
    });
    sock.on('error', () => undefined);
  }

  static connect(path: string): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }

  write(s: string | Buffer): Promise<void> {
    return new Promise((resolve) => this.sock.write(s, () => resolve()));
  }

  /** The next `count` response lines, parsed. */
  async read(count: number, timeoutMs = 3000): Promise<ControlResponse[]> {
    const end = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (Date.now() > end)
        throw new Error(
          `only ${this.lines.length} of ${count} responses: ${this.lines.join(' | ')}`,
        );
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.lines.splice(0, count).map((l) => JSON.parse(l) as ControlResponse);
  }

  close(): void {
    this.sock.destroy();
  }
}

/** A registry with a few commands, one slow and one that throws a plain Error. */
function registry(): CommandRegistry {
  const c = new CommandRegistry();
  c.register({ path: 'show things', help: 'things', run: (args) => ({ things: [1, 2, 3], args }) });
  c.register({
    path: 'slow',
    help: 'answers after 150 ms',
    run: () => new Promise((r) => setTimeout(() => r('late'), 150)),
  });
  c.register({
    path: 'coded',
    help: 'fails with a coded error',
    run: () => {
      throw new DmmError('DMM_ERR_TEST', 'coded failure', { why: 'test' });
    },
  });
  c.register({
    path: 'buggy',
    help: 'fails with a plain error',
    run: () => {
      throw new TypeError('oops');
    },
  });
  c.register({
    path: 'big',
    help: 'a bigint and bytes',
    run: () => ({ n: 2n ** 70n, b: Uint8Array.of(1, 0xab) }),
  });
  return c;
}

/** Every server a test made, closed at the end even when the test failed. */
const servers: ControlServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(maxRequestBytes?: number): Promise<ControlServer> {
  const s = new ControlServer({
    path: sockPath(),
    commands: registry(),
    log: silentLogger(),
    ...(maxRequestBytes === undefined ? {} : { maxRequestBytes }),
  });
  servers.push(s);
  await s.listen();
  return s;
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('control plugin', () => {
  test('serves router commands and help on a 0600 socket, removed at stop', async () => {
    const path = sockPath();
    const router = new Router({ name: 'ctl' });
    await router.plugins.load(controlPlugin, { socket: path }, ['control']);
    await router.start();
    assert.equal(router.plugins.state('control'), 'started');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.ok(statSync(path).isSocket());
    const c = await ControlClient.connect(path);
    const help = await c.request('help');
    assert.ok(help.ok);
    const cmds = (help.result as { command: string }[]).map((x) => x.command);
    for (const want of [
      'help',
      'show interfaces',
      'show plugins',
      'show counters',
      'show neighbors',
      'show runtime',
    ]) {
      assert.ok(cmds.includes(want), `help lists ${want}: ${cmds.join(', ')}`);
    }
    assert.deepEqual(help.table!.columns, ['COMMAND', 'DESCRIPTION']);
    const filtered = await c.request('help', { prefix: 'show' });
    assert.ok(filtered.ok);
    assert.ok(
      (filtered.result as { command: string }[]).every((x) => x.command.startsWith('show ')),
    );
    const plugins = await c.request('show plugins');
    assert.ok(plugins.ok);
    assert.deepEqual(
      (plugins.result as { name: string; state: string }[]).map((p) => [p.name, p.state]),
      [['control', 'started']],
    );
    await router.stop();
    assert.equal(existsSync(path), false, 'socket file removed at stop');
    await assert.rejects(c.request('help'), /closed the connection/);
    c.close();
  });

  test('rejects a config with an unknown key', async () => {
    const router = new Router({ name: 'ctl2' });
    await assert.rejects(
      router.plugins.load(controlPlugin, { socket: sockPath(), mode: 1 }, ['control']),
      (e) => {
        assert.ok(e instanceof DmmError && e.code === 'DMM_ERR_CONFIG_INVALID', String(e));
        return true;
      },
    );
  });
});

describe('control server robustness', () => {
  test('garbage lines get BAD_REQUEST responses with the id when there is one; the connection keeps working', async () => {
    const s = await server();
    const c = await Raw.connect(s.path);
    await c.write(
      'hello\n{\n[1,2]\n{"id":7}\n{"id":8,"command":"show things","args":[1]}\n\n  \r\n"just a string"\n',
    );
    const r = await c.read(6);
    assert.deepEqual(
      r.map((x) => [x.id, x.ok, x.ok ? null : x.error.code]),
      [
        [null, false, 'DMM_ERR_BAD_REQUEST'],
        [null, false, 'DMM_ERR_BAD_REQUEST'],
        [null, false, 'DMM_ERR_BAD_REQUEST'],
        [7, false, 'DMM_ERR_BAD_REQUEST'],
        [8, false, 'DMM_ERR_BAD_REQUEST'],
        [null, false, 'DMM_ERR_BAD_REQUEST'],
      ],
    );
    await c.write('{"id":"x","command":"show things","args":{"all":true}}\n');
    const [ok] = await c.read(1);
    assert.deepEqual(ok, { id: 'x', ok: true, result: { things: [1, 2, 3], args: { all: true } } });
    c.close();
    await s.close();
  });

  test('a request in pieces, and several in one write, answered in order', async () => {
    const s = await server();
    const c = await Raw.connect(s.path);
    const line = '{"id":1,"command":"slow"}\n{"id":2,"command":"show things"}\n';
    for (const ch of line.slice(0, 30)) await c.write(ch);
    await c.write(line.slice(30) + '{"id":3,"com');
    await c.write('mand":"show   things"}\n');
    const r = await c.read(3);
    assert.deepEqual(
      r.map((x) => x.id),
      [1, 2, 3],
    );
    assert.deepEqual(r[0], { id: 1, ok: true, result: 'late' });
    c.close();
    await s.close();
  });

  test('a huge line gets one REQUEST_TOO_LARGE and is discarded; the next request works', async () => {
    const s = await server(64 * 1024);
    const c = await Raw.connect(s.path);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    for (let i = 0; i < 8; i++) await c.write(chunk); // 2 MiB without a newline
    await c.write('\n{"id":2,"command":"show things"}\n');
    // and a huge line arriving complete in one write
    await c.write(
      Buffer.concat([
        Buffer.alloc(100 * 1024, 0x62),
        Buffer.from('\n{"id":3,"command":"show things"}\n'),
      ]),
    );
    const r = await c.read(4);
    assert.deepEqual(
      r.map((x) => [x.id, x.ok ? 'ok' : x.error.code]),
      [
        [null, 'DMM_ERR_REQUEST_TOO_LARGE'],
        [2, 'ok'],
        [null, 'DMM_ERR_REQUEST_TOO_LARGE'],
        [3, 'ok'],
      ],
    );
    c.close();
    await s.close();
  });

  test('unknown command, coded error, plain error and non-JSON values', async () => {
    const s = await server();
    const c = await ControlClient.connect(s.path);
    const u = await c.request('show nothing');
    assert.ok(!u.ok);
    assert.equal(u.error.code, 'DMM_ERR_UNKNOWN_COMMAND');
    assert.ok((u.error.details!.known as string[]).includes('show things'));
    const coded = await c.request('coded');
    assert.deepEqual(coded, {
      id: 2,
      ok: false,
      error: { code: 'DMM_ERR_TEST', message: 'coded failure', details: { why: 'test' } },
    });
    const buggy = await c.request('buggy');
    assert.ok(!buggy.ok);
    assert.equal(buggy.error.code, 'DMM_ERR_INTERNAL');
    assert.match(buggy.error.message, /oops/);
    const big = await c.request('big');
    assert.deepEqual(big, { id: 4, ok: true, result: { n: '1180591620717411303424', b: '01ab' } });
    c.close();
    await s.close();
  });

  test('clients that disconnect mid-line and mid-request do not disturb the server', async () => {
    const s = await server();
    const a = await Raw.connect(s.path);
    await a.write('{"id":1,"comm');
    a.close();
    const b = await Raw.connect(s.path);
    await b.write('{"id":1,"command":"slow"}\n');
    b.close(); // the answer comes after the client is gone
    await new Promise((r) => setTimeout(r, 250));
    await until(() => s.clients === 0);
    const c = await ControlClient.connect(s.path);
    const r = await c.request('show things');
    assert.ok(r.ok);
    c.close();
    await s.close();
  });

  test('50 concurrent clients each get their own answers', async () => {
    const s = await server();
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => ControlClient.connect(s.path)),
    );
    await until(() => s.clients === 50);
    const results = await Promise.all(
      clients.map(async (c, i) => {
        const [x, y] = await Promise.all([c.request('show things', { who: i }), c.request('slow')]);
        return { x, y };
      }),
    );
    results.forEach(({ x, y }, i) => {
      assert.deepEqual(x, { id: 1, ok: true, result: { things: [1, 2, 3], args: { who: i } } });
      assert.deepEqual(y, { id: 2, ok: true, result: 'late' });
    });
    for (const c of clients) c.close();
    await s.close();
  });

  test('close hangs up clients and removes only its own socket file', async () => {
    const s = await server();
    const c = await Raw.connect(s.path);
    const closed = new Promise((r) => c.sock.once('close', r));
    await s.close();
    await closed;
    assert.equal(existsSync(s.path), false);
    await s.close(); // idempotent
  });

  test('a stale socket file (its server was killed) is replaced; a live one is an error', async () => {
    const path = sockPath();
    // a server in another process, killed with SIGKILL: its socket file stays behind
    const child = spawn(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((r) => child.stdout!.once('data', r));
    assert.equal(await probeSocket(path), 'live');
    const live = new ControlServer({ path, commands: registry(), log: silentLogger() });
    await assert.rejects(
      live.listen(),
      (e) => e instanceof DmmError && e.code === 'DMM_ERR_CONTROL_SOCKET_IN_USE',
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    assert.ok(statSync(path).isSocket(), 'the killed server left its socket file');
    assert.equal(await probeSocket(path), 'stale');
    await assert.rejects(ControlClient.connect(path), (e) => {
      assert.equal((e as DmmError).details.reason, 'refused');
      return true;
    });
    const s = new ControlServer({ path, commands: registry(), log: silentLogger() });
    servers.push(s);
    await s.listen();
    const c = await ControlClient.connect(path);
    assert.ok((await c.request('show things')).ok);
    c.close();
    await s.close();
  });

  test('a file that is not a socket is never replaced', async () => {
    const path = sockPath();
    writeFileSync(path, 'precious');
    const s = new ControlServer({ path, commands: registry(), log: silentLogger() });
    await assert.rejects(s.listen(), /exists and is not a socket/);
    assert.equal(statSync(path).isFile(), true);
  });

  test('the client reports a missing socket and a refused connection distinctly', async () => {
    await assert.rejects(ControlClient.connect(join(tmp.dir, 'none.sock')), (e) => {
      assert.ok(e instanceof DmmError);
      assert.equal((e.details as { reason: string }).reason, 'missing');
      return true;
    });
  });
});
