// End to end: the example server's browser client in headless Chromium, two pages in one room.
// Started by run.sh, which builds the server jar and installs Chromium and playwright-core first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
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

async function startServer() {
  const child = spawn('java', ['-jar', JAR], {
    env: { ...process.env, LOBBY_PORT: String(port), LOBBY_ADMIN_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('server exited:\n' + output);
    try {
      const health = await fetch(base + '/health');
      if (health.ok) return child;
    } catch (e) {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('server did not start within 30 s:\n' + output);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopServer(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
  assert.notEqual(code, 'timeout', 'the server exits within 20 s of SIGTERM');
}

async function openPage(hash) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // Refused connections while the server is down are expected; nothing else may go wrong.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('ERR_CONNECTION_REFUSED')) problems.push(m.text());
  });
  page.problems = problems;
  await page.goto(base + '/' + (hash || ''));
  return page;
}

const state = (page, s) => page.waitForSelector(`#state[data-state="${s}"]`);
const logEntry = (page, kind, text) => page.locator(`#log li.${kind}`, { hasText: text }).first().waitFor();
const myId = async (page) => (await page.textContent('#me')).trim();
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
