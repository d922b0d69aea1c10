// Shared pieces of the conformance tests: the example server started from its jar, a TCP proxy
// that the tests can cut, a WebSocket constructor that counts attempts, JWTs, waiting.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { LobbyClient } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The example server's jar, built by Maven; relative to clients/js by default.
export const LOBBY_JAR = process.env.LOBBY_JAR
  ? path.resolve(path.resolve(here, '..'), process.env.LOBBY_JAR)
  : path.resolve(here, '../../../examples/target/lobby-example-server.jar');
export const ADMIN_TOKEN = 'conformance-admin-token-0123456789';
export const JWT_SECRET = 'conformance-secret-of-at-least-32-bytes!';

const HOST = '127.0.0.1';

/**
 * Starts the example server with the given -D settings (lobby.* keys) on a free port, or on
 * `port`. Resolves once it logs "Lobby listening on /127.0.0.1:PORT".
 */
export async function startServer(settings = {}, { port = 0, timeoutMs = 60000 } = {}) {
  if (!existsSync(LOBBY_JAR)) {
    throw new Error('no server jar at ' + LOBBY_JAR + ': build it (mvn -pl examples -am package) or set LOBBY_JAR');
  }
  const props = {
    'lobby.http.host': HOST,
    'lobby.http.port': String(port),
    'lobby.http.admin-token': ADMIN_TOKEN,
    ...settings,
  };
  const args = [
    '-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss512k',
    ...Object.entries(props).map(([k, v]) => `-D${k}=${v}`),
    '-jar', LOBBY_JAR,
  ];
  const proc = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOBBY_LOG_FORMAT: 'text' } });
  let output = '';
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within ' + timeoutMs + ' ms:\n' + output.slice(-4000))), timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.length > 200000) output = output.slice(-100000);
      const m = /Lobby listening on \/?[0-9.]+:(\d+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n` + output.slice(-4000)));
    });
  });
  const boundPort = await listening;
  const exited = new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  return {
    port: boundPort,
    url: `ws://${HOST}:${boundPort}`,
    http: `http://${HOST}:${boundPort}`,
    output: () => output,
    /** Kills the process at once (a crash), and waits for it to be gone. */
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Posts a JSON value to a room through the admin API. */
export async function adminPost(server, room, value) {
  const res = await fetch(`${server.http}/rooms/${room}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + ADMIN_TOKEN },
    body: JSON.stringify(value),
  });
  if (res.status !== 200) throw new Error('admin post: ' + res.status + ' ' + await res.text());
  return res.json();
}

/**
 * A TCP proxy on 127.0.0.1 in front of the server. cut() drops every connection without a
 * WebSocket Close (a reset on both sides); block() refuses new connections (accepted, then reset
 * at once) until unblock(); hold('up'|'down') stops forwarding one direction of the open
 * connections (their bytes are dropped), as a half-dead connection does, until release(). It reads the server's frames, so
 * that a test can have the next message frame duplicated or dropped.
 */
export class CutProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.pairs = new Set();
    this.accepted = 0;   // connections accepted (attempts of clients)
    this.refused = 0;    // of them, refused while blocked
    this.cuts = 0;       // connections cut
    this.blocked = false;
    this.zombies = new Set(); // sockets whose other end went while frozen
    this._downHooks = [];
    this.server = net.createServer((client) => this._accept(client));
  }

  async listen() {
    await new Promise((resolve) => this.server.listen(0, HOST, resolve));
    this.port = this.server.address().port;
    this.url = `ws://${HOST}:${this.port}`;
    return this;
  }

  retarget(port) { this.targetPort = port; }

  _accept(client) {
    this.accepted++;
    client.setNoDelay(true);
    if (this.blocked) {
      this.refused++;
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, HOST);
    upstream.setNoDelay(true);
    const pair = { client, upstream, parser: new FrameSplitter(), holdUp: false, holdDown: false };
    this.pairs.add(pair);
    const drop = (side) => {
      if (!this.pairs.delete(pair)) return;
      if (pair.holdUp && pair.holdDown) {
        // A frozen connection: the other end is not told, as when a network goes away silently.
        const other = side === client ? upstream : client;
        this.zombies.add(other);
        (side === client ? client : upstream).destroy();
        return;
      }
      client.destroy();
      upstream.destroy();
    };
    client.on('error', () => drop(client));
    upstream.on('error', () => drop(upstream));
    client.on('close', () => drop(client));
    upstream.on('close', () => drop(upstream));
    client.on('data', (data) => { if (!pair.holdUp) upstream.write(data); });
    upstream.on('data', (data) => {
      if (pair.holdDown) return;
      for (const piece of pair.parser.push(data)) {
        let out = [piece.bytes];
        if (piece.text !== null) {
          for (const hook of [...this._downHooks]) {
            const replaced = hook(piece);
            if (replaced !== undefined) { out = replaced; break; }
          }
        }
        for (const bytes of out) client.write(bytes);
      }
    });
  }

  /** Has `how` ('duplicate' or 'drop') applied to the next server frame that `match` accepts. */
  tamperNext(match, how) {
    return new Promise((resolve) => {
      const hook = (piece) => {
        let frame;
        try { frame = JSON.parse(piece.text); } catch { return undefined; }
        if (!match(frame)) return undefined;
        this._downHooks.splice(this._downHooks.indexOf(hook), 1);
        resolve(frame);
        return how === 'duplicate' ? [piece.bytes, piece.bytes] : [];
      };
      this._downHooks.push(hook);
    });
  }

  /** Drops every connection at once, without a Close: both sockets are reset. */
  cut() {
    const n = this.pairs.size;
    for (const pair of [...this.pairs]) {
      this.pairs.delete(pair);
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
    }
    this.cuts += n;
    return n;
  }

  block() { this.blocked = true; }
  unblock() { this.blocked = false; }
  /**
   * Stops forwarding one direction ('up': client to server, 'down': server to client) of the
   * connections open now; their bytes are dropped. With both held, a connection is frozen: when
   * one end goes, the other is not told.
   */
  hold(direction) {
    for (const pair of this.pairs) {
      if (direction === 'up') pair.holdUp = true;
      else pair.holdDown = true;
    }
  }

  /** Forwards both directions again, on the connections still open. */
  release() {
    for (const pair of this.pairs) pair.holdUp = pair.holdDown = false;
  }

  get open() { return this.pairs.size; }

  async close() {
    this.cut();
    for (const socket of this.zombies) socket.destroy();
    this.zombies.clear();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Splits the server-to-client byte stream into the HTTP response head and whole WebSocket frames
 * (server frames are not masked), so that the proxy forwards frame by frame.
 */
class FrameSplitter {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.headDone = false;
  }

  push(data) {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    const out = [];
    if (!this.headDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return out;
      out.push({ bytes: this.buf.subarray(0, end + 4), text: null });
      this.buf = this.buf.subarray(end + 4);
      this.headDone = true;
    }
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let pos = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        pos = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        pos = 10;
      }
      if (b1 & 0x80) pos += 4;
      if (this.buf.length < pos + len) break;
      const bytes = this.buf.subarray(0, pos + len);
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      const text = opcode === 1 && fin && !(b1 & 0x80) ? bytes.subarray(pos).toString('utf8') : null;
      out.push({ bytes: Buffer.from(bytes), text });
      this.buf = this.buf.subarray(pos + len);
    }
    return out;
  }
}

/**
 * A WebSocket constructor (the ws package, without compression so that the proxy can read the
 * frames) that counts the connection attempts made with it.
 */
export function countingWebSocket() {
  const stats = { attempts: 0, times: [], urls: [] };
  class CountingWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { perMessageDeflate: false });
      stats.attempts++;
      stats.times.push(Date.now());
      stats.urls.push(String(url));
    }
  }
  return { WebSocket: CountingWebSocket, stats };
}

/**
 * A client of `roomName` at `url` with a counting WebSocket and a short backoff (100 ms to 1 s,
 * unless `options` say otherwise), with its attempt stats and its event log.
 */
export function testClient(url, roomName, options = {}) {
  const { WebSocket: Counting, stats } = countingWebSocket();
  const client = new LobbyClient({
    url, room: roomName, WebSocket: Counting, backoff: { initialMs: 100, maxMs: 1000 }, ...options,
  });
  return { client, stats, log: record(client) };
}

/**
 * Cuts the proxied client `a` off, keeps it off until `offline()` has run, and resolves with its
 * next welcome.
 */
export async function whileOffline(proxy, a, offline) {
  proxy.block();
  proxy.cut();
  await waitFor(() => a.client.state === 'reconnecting', 'state reconnecting');
  await offline();
  proxy.unblock();
  return next(a.client, 'welcome', () => true, 15000);
}

const clients = new Set();

/** Remembers a client, so that closeAll() closes it whatever a test did. */
export function track(client) {
  clients.add(client);
  return client;
}

/** Closes every tracked client (after the tests of a file). */
export async function closeAll() {
  for (const ws of rawSockets) ws.terminate();
  rawSockets.clear();
  const all = [...clients];
  clients.clear();
  await Promise.all(all.map((c) => c.close().catch(() => {})));
}

/** An HS256 JWT. */
export function jwt(claims, secret = JWT_SECRET) {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64(claims);
  const sig = createHmac('sha256', secret).update(head + '.' + body).digest('base64url');
  return head + '.' + body + '.' + sig;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `predicate()` is true, polling; fails after `timeoutMs` with `what`. */
export async function waitFor(predicate, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(10);
  }
}

/** The promise, or a rejection (code 'test_timeout') when it has not settled within `ms`. */
export function within(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('not settled within ' + ms + ' ms'), { code: 'test_timeout' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the next `event` of a client (optionally one that `match` accepts). */
export function next(client, event, match = () => true, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error('timed out waiting for event ' + event)); }, timeoutMs);
    const off = client.on(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/**
 * Records everything a client emits, per event, in order.
 */
export function record(client) {
  track(client);
  const log = { all: [] };
  for (const event of ['welcome', 'message', 'joined', 'left', 'whisper', 'members', 'error', 'state', 'reset', 'refreshed', 'close']) {
    log[event] = [];
    client.on(event, (payload) => { log[event].push(payload); log.all.push([event, payload]); });
  }
  return log;
}

const rawSockets = new Set();

/** A plain WebSocket in JSON mode that collects the frames it receives. */
export async function rawSocket(url) {
  const ws = new WebSocket(url, 'lobby.v1.json', { perMessageDeflate: false });
  const frames = [];
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data, isBinary) => { if (!isBinary) frames.push(JSON.parse(data.toString())); });
  ws.on('error', () => {});
  rawSockets.add(ws);
  ws.on('close', () => rawSockets.delete(ws));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await waitFor(() => frames.some((f) => f.type === 'welcome'), 'a welcome');
  return { ws, frames, closed, welcome: frames.find((f) => f.type === 'welcome') };
}

let roomCounter = 0;
/** A room name of its own for each test. */
export function room(prefix = 'r') {
  return `${prefix}-${process.pid}-${++roomCounter}`;
}
