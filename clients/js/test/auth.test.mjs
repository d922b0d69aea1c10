// Conformance: a server that authenticates with JWTs (HS256, no clock skew): refusals before the
// upgrade (401, 403), expiry (4001) with and without getToken, refresh ahead of expiry, whispers
// to users and broadcasts a token does not allow.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CutProxy, JWT_SECRET, testClient, jwt, next, nowSeconds, record, room, sleep, startServer, waitFor,
  closeAll, within,
} from '../test-support/helpers.mjs';

let server;
let proxy;

before(async () => {
  server = await startServer({
    'lobby.auth.mode': 'jwt',
    'lobby.auth.jwt.secret': JWT_SECRET,
    'lobby.auth.jwt.clock-skew': '0s',
    'lobby.history.size': '100',
    'lobby.resumption.grace': '30s',
  });
  proxy = await new CutProxy(server.port).listen();
});

after(async () => {
  await closeAll();
  await proxy?.close();
  await server?.kill();
});

const token = (sub, seconds = 600, extra = {}) => jwt({ sub, exp: nowSeconds() + seconds, ...extra });

const client = (roomName, options = {}) => testClient(proxy.url, roomName, options);

describe('authentication', () => {
  test('403: connect() rejects (a token whose rooms exclude the room), no retry', { timeout: 30000 }, async () => {
    const a = client(room('forbidden'), { token: token('alice', 600, { rooms: ['elsewhere'] }) });
    await assert.rejects(within(a.client.connect(), 5000), (e) => e.name === 'LobbyError' && e.code === 'forbidden' && e.status === 403);
    assert.equal(a.client.state, 'closed');
    await sleep(800);
    assert.equal(a.stats.attempts, 1);
    assert.deepEqual(a.log.state, ['connecting', 'closed']);
    assert.equal(a.log.close.length, 1);
    assert.equal(a.log.close[0].status, 403);
    assert.equal(a.log.close[0].final, true);
  });

  test('401 without getToken: connect() rejects, no retry', { timeout: 30000 }, async () => {
    const a = client(room('expired'), { token: token('alice', -60) });
    await assert.rejects(within(a.client.connect(), 5000), { code: 'unauthorized', status: 401 });
    await sleep(800);
    assert.equal(a.stats.attempts, 1);
    assert.equal(a.client.state, 'closed');
  });

  test('401 with getToken: a new token is asked for, then the client connects', { timeout: 30000 }, async () => {
    const reasons = [];
    const tokens = [token('alice', -60), token('alice')];
    const given = [...tokens];
    const a = client(room('retoken'), {
      getToken: async (context) => { reasons.push(context.reason); return tokens.shift(); },
    });
    const welcome = await a.client.connect();
    assert.equal(welcome.user, 'alice');
    assert.deepEqual(reasons, ['connect', 'reconnect']);
    assert.equal(a.stats.attempts, 2);
    assert.deepEqual(a.stats.urls.map((u) => new URL(u).searchParams.get('token')), given);
    assert.deepEqual(a.log.close.map((c) => [c.status, c.final]), [[401, false]]);
    await a.client.close();
  });

  test('4001 without getToken: the session ends (closed), no reconnect', { timeout: 30000 }, async () => {
    const a = client(room('4001'), { token: token('alice', 2) });
    await a.client.connect();
    const closed = await next(a.client, 'close', () => true, 6000);
    assert.equal(closed.code, 4001);
    assert.equal(closed.final, true);
    assert.equal(closed.error.code, 'token_expired');
    assert.equal(a.client.state, 'closed');
    await sleep(1000);
    assert.equal(a.stats.attempts, 1);
    assert.deepEqual(a.log.state, ['connecting', 'open', 'closed']);
    await assert.rejects(a.client.send('late'), { code: 'closed' });
  });

  test('4001 with getToken: after a refused refresh, the close 4001 makes it ask for a token and reconnect', { timeout: 30000 }, async () => {
    const reasons = [];
    const a = client(room('4001-again'), {
      getToken: async ({ reason }) => {
        reasons.push(reason);
        if (reason === 'connect') return token('alice', 3);
        if (reason === 'refresh') return 'not-a-valid-token';
        return token('alice');
      },
    });
    const first = await a.client.connect();
    const back = await next(a.client, 'welcome', () => true, 8000);
    assert.deepEqual(reasons, ['connect', 'refresh', 'reconnect']);
    assert.deepEqual(a.log.error.map((e) => e.code), ['unauthorized']);
    assert.deepEqual(a.log.close.map((c) => [c.code, c.final, c.retryInMs]), [[4001, false, 0]]);
    // The server closed the session at expiry: the reconnect is a new session.
    assert.equal(back.resumed, false);
    assert.notEqual(back.id, first.id);
    assert.equal(back.user, 'alice');
    assert.deepEqual(a.log.state, ['connecting', 'open', 'reconnecting', 'open']);
    assert.equal(a.stats.attempts, 2);
    await a.client.close();
  });

  test('with getToken the token is refreshed ahead of expiry: the session stays', { timeout: 30000 }, async () => {
    const reasons = [];
    const a = client(room('refresh'), {
      getToken: async ({ reason }) => { reasons.push(reason); return token('alice', 4); },
    });
    const first = await a.client.connect();
    await sleep(8000);
    assert.ok(a.log.refreshed.length >= 2, `${a.log.refreshed.length} refreshes`);
    const instants = a.log.refreshed.map((f) => Date.parse(f.expires_at));
    assert.ok(instants.every((t, i) => i === 0 || t > instants[i - 1]), 'each refresh extends the session');
    assert.deepEqual(a.log.close, []);
    assert.deepEqual(a.log.error, []);
    assert.equal(a.stats.attempts, 1);
    assert.equal(a.client.id, first.id);
    assert.equal(a.client.state, 'open');
    assert.deepEqual(reasons, ['connect', ...a.log.refreshed.map(() => 'refresh')]);
    await a.client.close();
  });

  test('refresh(token) extends the session at once; a token of another user is refused and changes nothing', { timeout: 30000 }, async () => {
    const a = client(room('refresh-now'), { token: token('alice', 600) });
    const first = await a.client.connect();
    const exp = nowSeconds() + 3600;
    const refreshed = await a.client.refresh(jwt({ sub: 'alice', exp }));
    assert.equal(refreshed.type, 'refreshed');
    assert.equal(Date.parse(refreshed.expires_at), exp * 1000, 'the new token\'s expiry');
    await assert.rejects(a.client.refresh(token('mallory', 600)), (e) => e.code === 'forbidden');
    assert.equal(a.client.id, first.id);
    assert.equal(a.client.state, 'open');
    assert.equal(a.stats.attempts, 1);
    await a.client.close();
    await assert.rejects(a.client.refresh(token('alice', 600)), (e) => e.code === 'closed');
  });

  test('whisperUser is acknowledged, or rejected with no_user; a forbidden broadcast is rejected', { timeout: 30000 }, async () => {
    const r = room('users');
    const alice = client(r, { token: token('alice', 600, { publish: [] }) });
    const bob = client(r, { token: token('bob') });
    await alice.client.connect();
    await bob.client.connect();
    const ack = await alice.client.whisperUser('bob', { hi: 'bob' });
    assert.deepEqual(Object.keys(ack), ['ref']);
    await waitFor(() => bob.log.whisper.length === 1, 'the whisper');
    assert.deepEqual(bob.log.whisper[0].msg, { hi: 'bob' });
    assert.equal(bob.log.whisper[0].to, bob.client.id);
    await assert.rejects(within(alice.client.whisperUser('nobody', 'x'), 5000), (e) => e.code === 'no_user' && e.frame.ref === e.ref);
    await assert.rejects(within(alice.client.send('not allowed'), 5000), (e) => e.code === 'forbidden' && typeof e.ref === 'string');
    assert.deepEqual(alice.log.error.map((e) => e.code), ['no_user', 'forbidden']);
    await sleep(100);
    assert.deepEqual(bob.log.message, []);
    await alice.client.close();
    await bob.client.close();
  });
});
