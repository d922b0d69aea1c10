// Conformance: a server that keeps a history and resumes sessions (lobby.resumption.grace on).
// Connection cuts (no Close) are resumed as the same session, with what was missed replayed once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LobbyClient } from '../src/index.js';
import {
  CutProxy, countingWebSocket, next, rawSocket, record, room, testClient, sleep, startServer, waitFor,
  closeAll, within,
} from '../test-support/helpers.mjs';

let server;
let proxy;

before(async () => {
  server = await startServer({
    'lobby.history.size': '500',
    'lobby.resumption.grace': '30s',
  });
  proxy = await new CutProxy(server.port).listen();
});

after(async () => {
  await closeAll();
  await proxy?.close();
  await server?.kill();
});

/** A client through the proxy (cuttable), and its record. */
function viaProxy(roomName, options = {}) {
  return testClient(proxy.url, roomName, options);
}

/** A client straight to the server (never cut). */
function direct(roomName, options = {}) {
  const { WebSocket, stats } = countingWebSocket();
  const client = new LobbyClient({ url: server.url, room: roomName, WebSocket, ...options });
  return { client, stats, log: record(client) };
}

describe('resume', () => {
  test('a cut without Close is resumed: same id, missed messages once and in order, peers see nothing', { timeout: 30000 }, async () => {
    const r = room('cut');
    const a = viaProxy(r);
    const p = direct(r);
    await p.client.connect();
    const welcome = await a.client.connect();
    const id = a.client.id;
    assert.equal(typeof welcome.resume_key, 'string');
    assert.equal(typeof welcome.epoch, 'string');
    await waitFor(() => p.log.joined.some((j) => j.id === id), 'the peer to see a join');

    for (let i = 1; i <= 3; i++) await p.client.send({ n: i });
    await waitFor(() => a.log.message.length === 3, 'the first three messages');

    proxy.block();
    assert.equal(proxy.cut(), 1);
    await waitFor(() => a.client.state === 'reconnecting', 'state reconnecting');
    for (let i = 4; i <= 8; i++) await p.client.send({ n: i });
    await waitFor(() => p.log.message.length === 8, 'the peer to see its own 8 messages');
    await sleep(150); // attempts are refused meanwhile
    proxy.unblock();
    const back = await next(a.client, 'welcome', () => true, 15000);
    assert.equal(back.resumed, true);
    assert.equal(back.recovered, true);
    assert.equal(back.id, id);
    assert.equal(a.client.id, id);
    await waitFor(() => a.log.message.length === 8, 'the missed messages');
    await p.client.send({ n: 9 });
    await waitFor(() => a.log.message.length === 9, 'a live message');
    await sleep(100);

    assert.deepEqual(a.log.message.map((m) => m.msg.n), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const first = a.log.message[0].offset;
    assert.deepEqual(a.log.message.map((m) => m.offset), [...Array(9).keys()].map((k) => first + k));
    assert.equal(a.client.offset, first + 8);
    assert.equal(a.log.reset.length, 0);
    assert.deepEqual(a.log.state, ['connecting', 'open', 'reconnecting', 'open']);
    // The resumed attempt carried the session and the offset to recover from.
    const lastUrl = new URL(a.stats.urls.at(-1));
    assert.equal(lastUrl.searchParams.get('resume'), id);
    assert.equal(lastUrl.searchParams.get('key'), welcome.resume_key);
    assert.equal(lastUrl.searchParams.get('since'), String(first + 2));
    assert.equal(lastUrl.searchParams.get('epoch'), welcome.epoch);
    // The peer saw neither a leave nor a join of the resumed session.
    assert.deepEqual(p.log.left.filter((l) => l.id === id), []);
    assert.equal(p.log.joined.filter((j) => j.id === id).length, 1);
    await a.client.close();
    await p.client.close();
  });

  test('20 random cuts while a peer publishes 500 messages: every message once, in order', { timeout: 60000 }, async () => {
    const r = room('cuts');
    const a = viaProxy(r);
    const p = direct(r);
    await p.client.connect();
    await a.client.connect();
    const id = a.client.id;
    await waitFor(() => p.log.joined.some((j) => j.id === id), 'the peer to see a join');

    const TOTAL = 500;
    const CUTS = 20;
    const publishing = (async () => {
      const acks = [];
      for (let i = 0; i < TOTAL; i++) {
        acks.push(p.client.send({ i }));
        await sleep(i % 2 === 0 ? 10 : 9);
      }
      return Promise.all(acks);
    })();
    let cuts = 0;
    const cutting = (async () => {
      while (cuts < CUTS) {
        await sleep(40 + Math.floor(Math.random() * 200));
        await waitFor(() => a.client.state === 'open', 'the client to be open before a cut', 15000);
        cuts += proxy.cut();
      }
    })();
    await Promise.all([publishing, cutting]);
    await waitFor(() => a.log.message.length >= TOTAL, `${TOTAL} messages (have ${a.log.message.length})`, 20000);
    await sleep(200);

    assert.equal(cuts, CUTS);
    assert.equal(a.log.message.length, TOTAL);
    assert.deepEqual(a.log.message.map((m) => m.msg.i), [...Array(TOTAL).keys()]);
    const first = a.log.message[0].offset;
    assert.deepEqual(a.log.message.map((m) => m.offset), [...Array(TOTAL).keys()].map((k) => first + k));
    assert.equal(a.log.welcome.length, CUTS + 1);
    assert.ok(a.log.welcome.slice(1).every((w) => w.resumed === true && w.recovered === true && w.id === id),
      'every reconnect resumed the session and recovered');
    assert.equal(a.log.reset.length, 0);
    assert.deepEqual(p.log.left.filter((l) => l.id === id), []);
    assert.equal(p.log.joined.filter((j) => j.id === id).length, 1);
    await a.client.close();
    await p.client.close();
  });

  test('a message frame that arrives twice is delivered once', { timeout: 30000 }, async () => {
    const r = room('dup');
    const a = viaProxy(r);
    const p = direct(r);
    await p.client.connect();
    await a.client.connect();
    const duplicated = proxy.tamperNext((f) => f.type === 'message' && f.msg === 'twice', 'duplicate');
    await p.client.send('once');
    await p.client.send('twice');
    await p.client.send('after');
    await duplicated;
    await waitFor(() => a.log.message.some((m) => m.msg === 'after'), 'the last message');
    await sleep(100);
    assert.deepEqual(a.log.message.map((m) => m.msg), ['once', 'twice', 'after']);
    await a.client.close();
    await p.client.close();
  });

  test('a message frame lost on an open connection raises reset (gap), never a silent loss', { timeout: 30000 }, async () => {
    const r = room('gap');
    const a = viaProxy(r);
    const p = direct(r);
    await p.client.connect();
    await a.client.connect();
    const dropped = proxy.tamperNext((f) => f.type === 'message' && f.msg === 'lost', 'drop');
    await p.client.send('before');
    await p.client.send('lost');
    await p.client.send('after');
    const lost = await dropped;
    await waitFor(() => a.log.message.some((m) => m.msg === 'after'), 'the last message');
    assert.deepEqual(a.log.message.map((m) => m.msg), ['before', 'after']);
    assert.deepEqual(a.log.reset, [{ reason: 'gap', epoch: a.client.epoch, offset: lost.offset }]);
    await a.client.close();
    await p.client.close();
  });

  test('4002: the session resumed on another connection ends the client (closed, no reconnect)', { timeout: 30000 }, async () => {
    const r = room('taken');
    const a = viaProxy(r);
    const welcome = await a.client.connect();
    const connectionsBefore = proxy.accepted;
    const closing = next(a.client, 'close', () => true, 10000);
    const other = await rawSocket(`${server.url}/${r}?resume=${welcome.id}&key=${welcome.resume_key}`);
    assert.equal(other.welcome.resumed, true);
    assert.equal(other.welcome.id, welcome.id);
    const closed = await closing;
    assert.equal(closed.code, 4002);
    assert.equal(closed.final, true);
    assert.equal(closed.error.code, 'session_resumed');
    assert.equal(a.client.state, 'closed');
    await sleep(1500);
    assert.equal(proxy.accepted, connectionsBefore, 'no reconnect after 4002');
    assert.equal(a.stats.attempts, 1);
    assert.deepEqual(a.log.state, ['connecting', 'open', 'closed']);
    await assert.rejects(a.client.send('late'), { code: 'closed' });
    other.ws.close();
    await other.closed;
  });

  test('a half-open connection (nothing arrives) is given up after idleTimeoutMs and resumed', { timeout: 30000 }, async () => {
    const r = room('idle');
    const a = viaProxy(r, { idleTimeoutMs: 1500 });
    const p = direct(r);
    await p.client.connect();
    await a.client.connect();
    const id = a.client.id;
    await p.client.send('one');
    await waitFor(() => a.log.message.length === 1, 'the first message');
    // Both directions stop; the TCP connection stays open, as when a network goes away silently.
    const coming = next(a.client, 'welcome', () => true, 10000);
    proxy.hold('up');
    proxy.hold('down');
    await p.client.send('two');
    const back = await coming;
    assert.equal(back.resumed, true);
    assert.equal(back.id, id);
    await waitFor(() => a.log.message.length === 2, 'the missed message');
    await p.client.send('three');
    await waitFor(() => a.log.message.length === 3, 'a live message');
    assert.deepEqual(a.log.message.map((m) => m.msg), ['one', 'two', 'three']);
    // The server closed the old connection with 4002 when the session was taken over: that
    // connection was already given up, so the client goes on.
    assert.equal(a.client.state, 'open');
    assert.deepEqual(p.log.left.filter((l) => l.id === id), []);
    await a.client.close();
    await p.client.close();
  });

  test('members() resolves with the next members answer', { timeout: 30000 }, async () => {
    const r = room('members');
    const a = direct(r);
    const b = direct(r);
    await a.client.connect();
    await b.client.connect();
    const answer = await a.client.members();
    assert.equal(answer.type, 'members');
    assert.equal(answer.room_id, r);
    assert.deepEqual(answer.members, [a.client.id, b.client.id]);
    assert.equal(a.log.members.length, 1);
    await a.client.close();
    await b.client.close();
  });

  test('while not connected, sends are queued up to maxQueued, then refused; the queue goes out in order', { timeout: 30000 }, async () => {
    const r = room('queue');
    const a = viaProxy(r, { maxQueued: 5 });
    const p = direct(r);
    await p.client.connect();
    await a.client.connect();
    proxy.block();
    proxy.cut();
    await waitFor(() => a.client.state === 'reconnecting', 'state reconnecting');
    const queued = [1, 2, 3, 4, 5].map((n) => a.client.send({ n }));
    assert.equal(a.client.queued, 5);
    await assert.rejects(within(a.client.send({ n: 6 }), 1000), (e) => e.code === 'queue_full' && /maxQueued/.test(e.message));
    await assert.rejects(within(a.client.whisper(p.client.id, 'psst'), 1000), { code: 'queue_full' });
    assert.equal(a.client.queued, 5);
    await sleep(200);
    assert.deepEqual(p.log.message, [], 'nothing was sent while offline');
    proxy.unblock();
    const acks = await Promise.all(queued);
    assert.equal(acks.length, 5);
    await waitFor(() => p.log.message.length === 5, 'the queued messages');
    assert.deepEqual(p.log.message.map((m) => m.msg.n), [1, 2, 3, 4, 5]);
    assert.deepEqual(acks.map((ack) => ack.offset), p.log.message.map((m) => m.offset));
    assert.equal(a.client.queued, 0);
    await a.client.close();
    await p.client.close();
  });

  test('close() during backoff stops reconnecting', { timeout: 30000 }, async () => {
    const r = room('stop');
    const a = viaProxy(r, { backoff: { initialMs: 400, maxMs: 400 } });
    await a.client.connect();
    proxy.block();
    proxy.cut();
    await waitFor(() => a.stats.attempts >= 3, 'a few refused attempts', 10000);
    assert.equal(a.client.state, 'reconnecting');
    const pending = a.client.send('never');
    await a.client.close();
    await assert.rejects(pending, { code: 'closed' });
    assert.equal(a.client.state, 'closed');
    const attempts = a.stats.attempts;
    proxy.unblock();
    await sleep(1500);
    assert.equal(a.stats.attempts, attempts, 'no attempt after close()');
    assert.equal(a.log.state.at(-1), 'closed');
    assert.equal(a.log.state.filter((s) => s === 'open').length, 1);
  });
});
