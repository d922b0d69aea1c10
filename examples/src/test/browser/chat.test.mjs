// End to end: the example server's browser client in headless Chromium, two pages in one room.
// Started by run.sh, which builds the server jar and installs Chromium and playwright-core first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const JAR = path.resolve(here, '../../../target/lobby-example-server.jar');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'browser-test-token';
const ROOM = 'browser-test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMEOUT = 15000;

let port;
let base;
let server;
let browser;
let alice;
let bob;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address();
      probe.close(() => resolve(p));
    });
  });
}

// The example server on `at` (the shared one unless told), with more environment and JVM options.
async function startServer({ at = port, env = {}, jvm = [] } = {}) {
  const url = 'http://127.0.0.1:' + at;
  const child = spawn('java', [...jvm, '-jar', JAR], {
    env: { ...process.env, LOBBY_PORT: String(at), LOBBY_ADMIN_TOKEN: TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('server exited:\n' + output);
    try {
      const health = await fetch(url + '/health');
      if (health.ok) return child;
    } catch (e) {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('server did not start within 60 s:\n' + output);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// A TCP proxy from a free port to `target`, for a page whose connection the test cuts: cut()
// resets every connection through it (no Close frame, as when a network drops: the server keeps
// the session for its client to resume it); hold() makes new connections wait, unforwarded, until
// release().
async function startProxy(target) {
  const sockets = new Set();
  let held = null;
  const server = createServer((down) => {
    down.on('error', () => {});
    const forward = () => {
      if (down.destroyed) return;
      const up = connect(target, '127.0.0.1');
      up.on('error', () => {});
      sockets.add(down);
      sockets.add(up);
      const drop = () => {
        sockets.delete(down);
        sockets.delete(up);
        down.destroy();
        up.destroy();
      };
      down.on('close', drop);
      up.on('close', drop);
      down.pipe(up);
      up.pipe(down);
    };
    if (held !== null) held.push(forward);
    else forward();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    cut() {
      for (const socket of [...sockets]) {
        try {
          socket.resetAndDestroy();
        } catch (e) {
          socket.destroy();
        }
      }
      sockets.clear();
    },
    hold() {
      held = [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const forward of waiting) forward();
    },
    async close() {
      this.release();
      this.cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function stopServer(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
  assert.notEqual(code, 'timeout', 'the server exits within 20 s of SIGTERM');
}

async function openPage(hash, at = base) {
  const context = await browser.newContext();
  // Keeps the page's WebSockets, so that a step can read what the browser negotiated
  // (ws.extensions) without a hook in the demo page.
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.__sockets.push(this);
      }
    };
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // Refused connections while the server is down, and upgrades it refuses for their token, are
  // expected; nothing else may go wrong.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('ERR_CONNECTION_REFUSED')
        && !/^WebSocket connection to .* failed: (Unexpected response code: 40[13]|HTTP Authentication failed)/
          .test(m.text())) problems.push(m.text());
  });
  page.problems = problems;
  await page.goto(at + '/' + (hash || ''));
  return page;
}

const state = (page, s) => page.waitForSelector(`#state[data-state="${s}"]`);
const logEntry = (page, kind, text) => page.locator(`#log li.${kind}`, { hasText: text }).first().waitFor();
const myId = async (page) => (await page.textContent('#me')).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const memberCount = (page, n) => page.waitForFunction(
  (expected) => document.querySelectorAll('#members li').length === expected, n);

async function send(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

before(async () => {
  port = await freePort();
  base = 'http://127.0.0.1:' + port;
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server);
});

test('a page joins a room and shows its id and itself as the only member', async () => {
  alice = await openPage();
  assert.equal(await page_state(alice), 'disconnected');
  await alice.fill('#room', ROOM);
  await alice.click('#join');
  await state(alice, 'connected');
  assert.match(await myId(alice), UUID);
  await memberCount(alice, 1);
  assert.equal(await alice.textContent('#members li.self'), await myId(alice));
});

test('a second page joins through the address; each sees the other', async () => {
  bob = await openPage('#' + ROOM);
  await state(bob, 'connected');
  const aliceId = await myId(alice);
  const bobId = await myId(bob);
  assert.match(bobId, UUID);
  assert.notEqual(bobId, aliceId);
  await memberCount(bob, 2);
  assert.deepEqual(await bob.$$eval('#members li', (lis) => lis.map((li) => li.dataset.id)), [aliceId, bobId]);
  await logEntry(alice, 'notice', bobId + ' joined.');
  await memberCount(alice, 2);
});

test('a message reaches both pages', async () => {
  await send(alice, 'hello from alice');
  await logEntry(bob, 'message', 'hello from alice');
  await logEntry(alice, 'message', 'hello from alice');
  const sender = await bob.locator('#log li.message', { hasText: 'hello from alice' }).locator('.sender').textContent();
  assert.equal(sender, (await myId(alice)).slice(0, 8));
});

test('the browser negotiated permessage-deflate; a long message reaches both pages intact', async () => {
  for (const page of [alice, bob]) {
    const extensions = await page.evaluate(
      () => window.__sockets.filter((s) => s.readyState === WebSocket.OPEN).map((s) => s.extensions));
    assert.equal(extensions.length, 1, 'one open WebSocket');
    assert.match(extensions[0], /^permessage-deflate/, 'the server accepted the browser\'s offer');
  }
  // Over min-bytes (512): the server sends it compressed to both pages, which inflate it.
  const long = 'a long line that compresses well, '.repeat(40) + 'the end';
  await send(alice, long);
  await bob.locator('#log li.message', { hasText: long }).first().waitFor();
  await alice.locator('#log li.message', { hasText: long }).first().waitFor();
});

test('clicking a member whispers to it alone', async () => {
  const aliceId = await myId(alice);
  await bob.click(`#members li[data-id="${aliceId}"]`);
  assert.equal(await bob.isVisible('#target'), true);
  await send(bob, 'psst, alice');
  await logEntry(alice, 'whisper', 'psst, alice');
  const label = await alice.locator('#log li.whisper', { hasText: 'psst' }).locator('.sender').textContent();
  assert.equal(label, 'whisper from ' + (await myId(bob)).slice(0, 8));
  await logEntry(bob, 'whisper', 'psst, alice');
  await bob.click('#target-clear');
  assert.equal(await bob.isVisible('#target'), false);
});

test('JSON pushed through the admin API is shown on both pages', async () => {
  const response = await fetch(`${base}/rooms/${ROOM}/messages`, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + TOKEN, 'Content-Type': 'application/json' },
    body: JSON.stringify({ product_line_id: 7, total_trx: 42 }),
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { room_id: ROOM, delivered: 2 });
  await alice.locator('#log li.message pre', { hasText: '"total_trx": 42' }).waitFor();
  await bob.locator('#log li.message pre', { hasText: '"product_line_id": 7' }).waitFor();
});

test('when the server goes away the pages reconnect with backoff and rejoin', async () => {
  const before = [await myId(alice), await myId(bob)];
  await stopServer(server);
  await state(alice, 'reconnecting');
  await state(bob, 'reconnecting');
  await logEntry(alice, 'notice', 'closed with 1001');
  await new Promise((r) => setTimeout(r, 1500)); // a failed attempt or two while it is down
  server = await startServer();
  await state(alice, 'connected');
  await state(bob, 'connected');
  await memberCount(alice, 2);
  await memberCount(bob, 2);
  const after = [await myId(alice), await myId(bob)];
  assert.notDeepEqual(after, before, 'new sessions, new ids');
  await send(bob, 'back again');
  await logEntry(alice, 'message', 'back again');
});

test('a page that closes is seen leaving; Leave disconnects for good', async () => {
  const bobId = await myId(bob);
  await bob.context().close();
  await logEntry(alice, 'notice', bobId + ' left (closed).');
  await memberCount(alice, 1);
  await alice.click('#leave');
  await state(alice, 'disconnected');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await page_state(alice), 'disconnected', 'no reconnection after Leave');
  const health = await (await fetch(base + '/health')).json();
  assert.deepEqual(health, { status: 'ok', sessions: 0, rooms: 0 });
  assert.deepEqual(alice.problems, [], 'no script errors in the page');
});

async function page_state(page) {
  return page.getAttribute('#state', 'data-state');
}

test('a server that wants tokens: the page asks for one, keeps it to itself and shows users', async () => {
  const secret = 'browser-test-secret-of-at-least-32-bytes';
  const mint = async (...args) => (await promisify(execFile)(
    'java', ['-cp', JAR, 'io.github.lobby.examples.MintToken', ...args],
    { env: { ...process.env, LOBBY_JWT_SECRET: secret } })).stdout.trim();
  const jwtPort = await freePort();
  const jwtBase = 'http://127.0.0.1:' + jwtPort;
  const jwtServer = await startServer({
    at: jwtPort,
    env: { LOBBY_JWT_SECRET: secret },
    jvm: ['-Dlobby.auth.mode=jwt', '-Dlobby.auth.jwt.clock-skew=0s'],
  });
  const pages = [];
  try {
    const [aliceToken, aliceAgain, bobToken] = await Promise.all([
      mint('--sub', 'alice', '--rooms', 'team-*'),
      mint('--sub', 'alice', '--rooms', 'team-*', '--ttl', '2h'),
      mint('--sub', 'bob', '--rooms', 'team-*', '--publish', 'team-2'),
    ]);

    // The room in the address is not joined without a token.
    const a = await openPage('#team-1', jwtBase);
    pages.push(a);
    await a.waitForSelector('body[data-auth="jwt"]');
    assert.equal(await a.isVisible('#token'), true);
    await logEntry(a, 'notice', 'This server needs a token');
    assert.equal(await page_state(a), 'disconnected');

    // A token the server refuses stops the page, which asks for another instead of retrying.
    await a.fill('#token', 'not-a-token');
    await a.click('#join');
    await logEntry(a, 'error', 'The server refused to let you in to team-1');
    await a.waitForSelector('#state[data-state="disconnected"]');
    assert.equal(await a.textContent('#state'), 'refused');

    // A valid token: sent as ?token= on the WebSocket only, kept nowhere else.
    const sockets = [];
    a.on('websocket', (ws) => sockets.push(ws.url()));
    await a.fill('#token', aliceToken);
    await a.click('#join');
    await state(a, 'connected');
    assert.equal(await a.textContent('#me-user'), 'alice');
    assert.equal(await a.textContent('#members li.self .user'), 'alice');
    assert.equal(sockets.at(-1), 'ws://127.0.0.1:' + jwtPort + '/team-1?token=' + aliceToken);
    assert.equal(a.url(), jwtBase + '/#team-1');
    assert.equal(await a.inputValue('#token'), '');
    assert.deepEqual(
      await a.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);

    // Bob may join but not broadcast here; a whisper to user alice still reaches her.
    const b = await openPage(undefined, jwtBase);
    pages.push(b);
    await b.waitForSelector('body[data-auth="jwt"]');
    await b.fill('#room', 'team-1');
    await b.fill('#token', bobToken);
    await b.click('#join');
    await state(b, 'connected');
    await logEntry(a, 'notice', '(bob) joined.');
    await send(b, 'hello all');
    await logEntry(b, 'error', 'Not allowed: this session may not broadcast to room team-1');
    await b.click('#members li[data-user="alice"] button.user');
    await send(b, 'psst, alice');
    const whisper = a.locator('#log li.whisper', { hasText: 'psst, alice' });
    await whisper.waitFor();
    assert.match(await whisper.locator('.sender').textContent(), /^whisper from bob \(/);

    // A new token in the same room refreshes the session; one of another user is refused.
    await a.fill('#token', aliceAgain);
    await a.click('#join');
    await logEntry(a, 'notice', 'Token refreshed: the session now lasts until');
    await a.fill('#token', bobToken);
    await a.click('#join');
    await logEntry(a, 'error', 'Not allowed: the token is for another user');
    assert.equal(await page_state(a), 'connected');

    // A token that expires closes the session with 4001; the page asks for a new one.
    // (The page is opened first: on a busy machine the 5 s could pass before the Join.)
    const d = await openPage(undefined, jwtBase);
    pages.push(d);
    await d.waitForSelector('body[data-auth="jwt"]');
    await d.fill('#room', 'team-1');
    const briefToken = await mint('--sub', 'dave', '--ttl', '5s');
    await d.fill('#token', briefToken);
    await d.click('#join');
    await state(d, 'connected');
    await logEntry(d, 'error', 'Token expired: enter a new token and press Join.');
    assert.equal(await d.textContent('#state'), 'token expired');
    await logEntry(a, 'notice', '(dave) left (closed).');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await page_state(d), 'disconnected', 'no reconnection with an expired token');
    for (const page of pages) assert.deepEqual(page.problems, [], 'no script errors in the page');
  } finally {
    for (const page of pages) await page.context().close();
    await stopServer(jwtServer);
  }
});

test('a connection cut mid-stream: the page resumes its session and shows every message once, in order', async () => {
  const resumePort = await freePort();
  const resumeServer = await startServer({
    at: resumePort,
    jvm: ['-Dlobby.resumption.grace=30s', '-Dlobby.history.size=100'],
  });
  const proxy = await startProxy(resumePort);
  const pages = [];
  try {
    const room = 'browser-resume';
    // Carol's page goes through the proxy, which the test cuts; Dan's talks to the server.
    const carol = await openPage('?debug#' + room, 'http://127.0.0.1:' + proxy.port);
    pages.push(carol);
    const sockets = [];
    carol.on('websocket', (ws) => sockets.push(ws.url()));
    await state(carol, 'connected');
    const dan = await openPage('?debug#' + room, 'http://127.0.0.1:' + resumePort);
    pages.push(dan);
    await state(dan, 'connected');
    await memberCount(carol, 2);
    await memberCount(dan, 2);
    const carolId = await myId(carol);
    assert.equal(await carol.evaluate(() => window.lobbyDebug.client.id), carolId);

    // A sent message is pending until the server acknowledges it.
    await send(carol, 'before the cut');
    await carol.waitForSelector('#log li.message.mine[data-status="acked"]:has-text("before the cut")');
    assert.equal(await carol.textContent('#log li.message.mine:has-text("before the cut") .status'), '✓');

    // Dan publishes 30 messages. Once Carol shows the 10th, her connection is cut (right after she
    // sent one more) and stays cut until Dan's 20th is acknowledged.
    const texts = Array.from({ length: 30 }, (_, i) => 'tick ' + String(i + 1).padStart(2, '0'));
    const publishing = (async () => {
      for (const text of texts) {
        await send(dan, text);
        await sleep(30);
      }
    })();
    publishing.catch(() => {}); // awaited below; a failure before that is the one to report
    await logEntry(carol, 'message', texts[9]);
    await send(carol, 'said at the cut');
    proxy.hold();
    proxy.cut();
    await state(carol, 'reconnecting');
    await logEntry(carol, 'notice', 'Disconnected: connection lost.');
    assert.ok(await carol.evaluate(() => window.lobbyDebug.client.state !== 'open'));
    await send(carol, 'said while cut');
    const whileCut = '#log li.message.mine:has-text("said while cut")';
    assert.equal(await carol.getAttribute(whileCut, 'data-status'), 'pending');
    await dan.waitForSelector('#log li.message.mine[data-status="acked"]:has-text("' + texts[19] + '")');
    assert.equal(await carol.getAttribute(whileCut, 'data-status'), 'pending');
    proxy.release();
    await publishing;

    // The same session: same id, asked with resume, since and epoch; what was said meanwhile was
    // recovered; what Carol sent is acknowledged.
    await state(carol, 'connected');
    assert.equal(await myId(carol), carolId, 'the same session id');
    assert.equal(await carol.evaluate(() => window.lobbyDebug.client.id), carolId);
    await logEntry(carol, 'notice', 'Resumed the same session: the room did not see you leave.');
    await logEntry(carol, 'notice', 'Reconnected: recovered ');
    await logEntry(carol, 'message', texts[29]);
    await carol.waitForSelector(whileCut + '[data-status="acked"]');
    await carol.waitForSelector('#log li.message.mine[data-status="acked"]:has-text("said at the cut")');
    const resumeUrl = new URL(sockets.at(-1));
    assert.equal(resumeUrl.searchParams.get('resume'), carolId);
    assert.match(resumeUrl.searchParams.get('since') ?? '', /^\d+$/);
    assert.ok(resumeUrl.searchParams.get('epoch'));
    const recovered = Number(/recovered (\d+) message/.exec(
      await carol.locator('#log li.notice', { hasText: 'Reconnected: recovered ' }).first().textContent())[1]);
    assert.ok(recovered >= 1, 'messages were published while the connection was cut: ' + recovered);

    // Every message of Dan once, in order; no gap told; Carol's own messages once each.
    const danLabel = (await myId(dan)).slice(0, 8);
    const shown = await carol.$$eval('#log li.message:not(.mine)', (lis) => lis.map(
      (li) => li.querySelector('.sender').textContent + ' ' + li.childNodes[1].textContent));
    assert.deepEqual(shown, texts.map((text) => danLabel + ' ' + text));
    assert.equal(await carol.locator('#log li.error').count(), 0, 'no reset and no error on the page');
    for (const text of ['before the cut', 'said at the cut', 'said while cut']) {
      assert.equal(await carol.locator('#log li.message', { hasText: text }).count(), 1, text + ' shown once');
      await logEntry(dan, 'message', text);
      assert.equal(await dan.locator('#log li.message', { hasText: text }).count(), 1, text + ' delivered once');
    }

    // Dan saw neither a leave nor a join, and Carol is still a member.
    await memberCount(dan, 2);
    assert.deepEqual(
      await dan.$$eval('#members li', (lis) => lis.map((li) => li.dataset.id)).then((ids) => ids.includes(carolId)),
      true);
    assert.equal(await dan.locator('#log li.notice', { hasText: carolId }).count(), 0, 'no left or joined of Carol');
    for (const page of pages) assert.deepEqual(page.problems, [], 'no script errors in the page');
  } finally {
    for (const page of pages) await page.context().close();
    await proxy.close();
    await stopServer(resumeServer);
  }
});
