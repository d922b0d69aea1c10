// Conformance: the server is killed and started again on the same port. The room comes back in a
// new epoch: the client reconnects with backoff (no storm of attempts) and raises reset.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { LobbyClient } from '../src/index.js';
import { adminPost, closeAll, countingWebSocket, next, record, room, sleep, startServer, waitFor } from '../test-support/helpers.mjs';

const SETTINGS = { 'lobby.history.size': '100', 'lobby.recovery.grace': '30s' };
let server;

after(async () => {
  await closeAll();
  await server?.kill();
});

test('server restarted: new epoch, reset once, reconnect with backoff and full jitter', { timeout: 60000 }, async () => {
  server = await startServer(SETTINGS);
  const port = server.port;
  const r = room('restart');
  const { WebSocket, stats } = countingWebSocket();
  const initialMs = 250;
  const maxMs = 2000;
  const a = new LobbyClient({ url: server.url, room: r, WebSocket, backoff: { initialMs, maxMs } });
  const log = record(a);
  const first = await a.connect();
  await adminPost(server, r, 'before');
  await waitFor(() => log.message.length === 1, 'the first message');
  const oldEpoch = a.epoch;
  assert.equal(a.offset, 1);

  await server.kill();
  const downAt = Date.now();
  await sleep(2500);
  const attemptsWhileDown = stats.times.filter((t) => t >= downAt).length;
  server = await startServer(SETTINGS, { port });
  const back = await next(a, 'welcome', () => true, 30000);
  const upFor = Date.now() - downAt;

  assert.notEqual(back.epoch, oldEpoch);
  assert.equal(back.recovered, false);
  assert.equal(back.resumed, false);
  assert.notEqual(back.id, first.id);
  assert.deepEqual(log.reset, [{ reason: 'new_epoch', epoch: back.epoch, offset: back.offset }]);
  assert.equal(a.epoch, back.epoch);
  // The reconnect asked for the old session and the old epoch.
  const url = new URL(stats.urls.at(-1));
  assert.equal(url.searchParams.get('epoch'), oldEpoch);
  assert.equal(url.searchParams.get('since'), '1');
  assert.equal(url.searchParams.get('resume'), first.id);

  await adminPost(server, r, 'after');
  await waitFor(() => log.message.length === 2, 'a live message in the new epoch');
  assert.deepEqual(log.message.map((m) => [m.msg, m.offset]), [['before', 1], ['after', 1]]);

  // No storm: each retry waited a random time below its ceiling, and the ceilings doubled.
  const retries = log.close.filter((c) => c.final === false);
  assert.ok(retries.length >= 2, 'some attempts failed while the server was down');
  retries.forEach((c, n) => {
    const ceiling = Math.min(maxMs, initialMs * 2 ** n);
    assert.ok(c.retryInMs >= 0 && c.retryInMs < ceiling, `retry ${n} waited ${c.retryInMs} ms, ceiling ${ceiling}`);
  });
  assert.equal(stats.attempts, 1 + retries.length);
  // At most a handful of attempts in any second (full jitter makes short runs of attempts
  // possible: 8 in one second has a probability far below one in a million), and about one a
  // second on average once the ceiling is reached.
  const times = stats.times.map((t) => t - downAt).join(', ');
  for (const t of stats.times) {
    const inSecond = stats.times.filter((u) => u >= t && u < t + 1000).length;
    assert.ok(inSecond <= 8, `${inSecond} attempts within one second (attempts at ${times} ms)`);
  }
  assert.ok(attemptsWhileDown <= 12, `${attemptsWhileDown} attempts in the first 2.5 s down (${times})`);
  assert.ok(stats.attempts <= 4 + Math.ceil(upFor / 1000) * 2, `${stats.attempts} attempts in ${upFor} ms (${times})`);
  assert.deepEqual(log.error, [], 'no error frames');
  assert.deepEqual([...new Set(log.state)], ['connecting', 'open', 'reconnecting']);
  assert.equal(a.state, 'open');
  await a.close();
});
