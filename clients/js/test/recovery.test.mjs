// Conformance: a server that keeps a short history (5 messages) and does not resume sessions
// (lobby.resumption.grace = 0s). A reconnect is a new session that recovers what the history still
// holds, or is told (reset) that it cannot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CutProxy, testClient, whileOffline, next, room, sleep, startServer, waitFor,
  closeAll, within,
} from '../test-support/helpers.mjs';

let server;
let proxy;

before(async () => {
  server = await startServer({
    'lobby.history.size': '5',
    'lobby.resumption.grace': '0s',
  });
  proxy = await new CutProxy(server.port).listen();
});

after(async () => {
  await closeAll();
  await proxy?.close();
  await server?.kill();
});

describe('recovery without resumption', () => {
  test('grace off, history on: a new session, recovered:true, nothing missed', { timeout: 30000 }, async () => {
    const r = room('newsession');
    const a = testClient(proxy.url, r);
    const p = testClient(server.url, r);
    await p.client.connect();
    const first = await a.client.connect();
    assert.equal(first.resume_key, undefined, 'no resume key without grace');
    await p.client.send('m1');
    await p.client.send('m2');
    await waitFor(() => a.log.message.length === 2, 'the first messages');

    const back = await whileOffline(proxy, a, async () => {
      for (const m of ['m3', 'm4', 'm5']) await p.client.send(m);
    });
    assert.notEqual(back.id, first.id, 'a new session');
    assert.equal(a.client.id, back.id);
    assert.equal(back.recovered, true);
    assert.equal(back.resumed, undefined, 'the client did not ask to resume');
    const url = new URL(a.stats.urls.at(-1));
    assert.equal(url.searchParams.get('resume'), null);
    assert.equal(url.searchParams.get('since'), String(a.log.message[1].offset));
    await waitFor(() => a.log.message.length === 5, 'the missed messages');
    await p.client.send('m6');
    await waitFor(() => a.log.message.length === 6, 'a live message');
    await sleep(100);
    assert.deepEqual(a.log.message.map((m) => m.msg), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const o = a.log.message[0].offset;
    assert.deepEqual(a.log.message.map((m) => m.offset), [o, o + 1, o + 2, o + 3, o + 4, o + 5]);
    assert.deepEqual(a.log.reset, []);
    await a.client.close();
    await p.client.close();
  });

  test('history too short: reset (not_recovered), then live messages', { timeout: 30000 }, async () => {
    const r = room('short');
    const a = testClient(proxy.url, r);
    const p = testClient(server.url, r);
    await p.client.connect();
    await a.client.connect();
    await p.client.send('before');
    await waitFor(() => a.log.message.length === 1, 'the first message');
    const epoch = a.client.epoch;

    const back = await whileOffline(proxy, a, async () => {
      for (let i = 1; i <= 8; i++) await p.client.send('missed ' + i);
    });
    assert.equal(back.recovered, false);
    assert.equal(back.epoch, epoch);
    await p.client.send('live');
    await waitFor(() => a.log.message.length === 2, 'the live message');
    await sleep(100);
    assert.deepEqual(a.log.reset, [{ reason: 'not_recovered', epoch, offset: back.offset }]);
    assert.deepEqual(a.log.message.map((m) => m.msg), ['before', 'live']);
    assert.equal(a.log.message[1].offset, back.offset + 1);
    assert.equal(a.client.offset, back.offset + 1);
    // The reset came after the welcome and before the live message.
    const order = a.log.all.map(([event]) => event).filter((e) => ['welcome', 'reset', 'message'].includes(e));
    assert.deepEqual(order, ['welcome', 'message', 'welcome', 'reset', 'message']);
    await a.client.close();
    await p.client.close();
  });

  test('sends written but not acknowledged when the session is lost are rejected: outcome_unknown', { timeout: 30000 }, async () => {
    const r = room('unknown');
    const a = testClient(proxy.url, r);
    const p = testClient(server.url, r);
    await p.client.connect();
    await a.client.connect();
    proxy.hold('up'); // what the client writes is lost from now on
    const lost = a.client.send('lost');
    const lostWhisper = a.client.whisper(p.client.id, 'lost whisper');
    await sleep(100);
    assert.equal(a.client.inFlight, 2);
    const back = await whileOffline(proxy, a, async () => {
      proxy.release();
    });
    assert.equal(back.resumed, undefined);
    await assert.rejects(within(lost, 5000), (e) => e.code === 'outcome_unknown' && e.name === 'LobbyError');
    await assert.rejects(within(lostWhisper, 5000), { code: 'outcome_unknown' });
    // Sends after the new welcome go out as usual; the lost ones were not sent again.
    const ack = await a.client.send('after');
    await waitFor(() => p.log.message.length === 1, 'the message after');
    await sleep(100);
    assert.deepEqual(p.log.message.map((m) => m.msg), ['after']);
    assert.deepEqual(p.log.whisper, []);
    assert.equal(ack.offset, p.log.message[0].offset);
    await a.client.close();
    await p.client.close();
  });
});
