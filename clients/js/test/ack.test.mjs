// Conformance: acknowledged sends on a server that keeps a history and resumes sessions. Every
// send carries a ref; unanswered sends are sent again with the same ref after a resumed
// reconnect, and the server broadcasts each ref once.
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

describe('acknowledged sends', () => {
  test('300 acknowledged messages while the connection is cut 10 times: each broadcast once, in order', { timeout: 60000 }, async () => {
    const r = room('acks');
    const a = testClient(proxy.url, r, { maxQueued: 300 });
    const p = testClient(server.url, r);
    await p.client.connect();
    await a.client.connect();
    const id = a.client.id;

    const TOTAL = 300;
    const CUTS = 10;
    const sends = [];
    const sending = (async () => {
      for (let i = 0; i < TOTAL; i++) {
        sends.push(a.client.send({ i }));
        await sleep(i % 3 === 0 ? 9 : 8);
      }
    })();
    let cuts = 0;
    const cutting = (async () => {
      while (cuts < CUTS) {
        await sleep(30 + Math.floor(Math.random() * 180));
        await waitFor(() => a.client.state === 'open', 'the client to be open before a cut', 15000);
        cuts += proxy.cut();
      }
    })();
    await Promise.all([sending, cutting]);
    const acks = await within(Promise.all(sends), 20000);
    await waitFor(() => p.log.message.length >= TOTAL, `the peer to see ${TOTAL} messages (has ${p.log.message.length})`, 20000);
    await waitFor(() => a.log.message.length >= TOTAL, `the sender to see ${TOTAL} messages`, 20000);
    await sleep(300);

    assert.equal(cuts, CUTS);
    assert.equal(a.client.id, id);
    const seen = p.log.message.filter((m) => m.id === id);
    assert.equal(seen.length, TOTAL, 'each message broadcast once');
    assert.deepEqual(seen.map((m) => m.msg.i), [...Array(TOTAL).keys()]);
    assert.equal(acks.length, TOTAL);
    assert.equal(new Set(acks.map((ack) => ack.ref)).size, TOTAL, 'a ref per send');
    // Each ack carries the offset its message was broadcast with.
    assert.deepEqual(acks.map((ack) => ack.offset), seen.map((m) => m.offset));
    // The sender got its own messages back once each, in order, across the cuts.
    assert.deepEqual(a.log.message.map((m) => m.msg.i), [...Array(TOTAL).keys()]);
    assert.equal(a.client.inFlight, 0);
    assert.equal(a.client.queued, 0);
    assert.ok(a.log.welcome.slice(1).every((w) => w.resumed === true && w.id === id));
    assert.deepEqual(a.log.reset, []);
    await a.client.close();
    await p.client.close();
  });

  test('sends lost on the way are sent again after the resume, before the ones queued offline', { timeout: 30000 }, async () => {
    const r = room('resend');
    const a = testClient(proxy.url, r);
    const p = testClient(server.url, r);
    await p.client.connect();
    await a.client.connect();
    proxy.hold('up'); // the client's frames are lost from now on
    const lost = [a.client.send('x1'), a.client.send('x2')];
    await sleep(100);
    assert.equal(a.client.inFlight, 2);
    let queued;
    const back = await whileOffline(proxy, a, async () => {
      proxy.release();
      queued = [a.client.send('q1'), a.client.send('q2')];
      assert.equal(a.client.queued, 2);
    });
    assert.equal(back.resumed, true);
    const acks = await within(Promise.all([...lost, ...queued]), 5000);
    await waitFor(() => p.log.message.length === 4, 'four messages');
    await sleep(100);
    assert.deepEqual(p.log.message.map((m) => m.msg), ['x1', 'x2', 'q1', 'q2']);
    assert.deepEqual(acks.map((ack) => ack.offset), p.log.message.map((m) => m.offset));
    await a.client.close();
    await p.client.close();
  });

  test('a send whose ack was lost is sent again with its ref and not broadcast twice', { timeout: 30000 }, async () => {
    const r = room('dedup');
    const a = testClient(proxy.url, r);
    const p = testClient(server.url, r);
    await p.client.connect();
    await a.client.connect();
    proxy.hold('down'); // the server's frames are lost from now on: the ack, the echo
    const sent = a.client.send('y');
    await waitFor(() => p.log.message.length === 1, 'the peer to get the message');
    await sleep(50);
    assert.equal(a.client.inFlight, 1);
    const back = await whileOffline(proxy, a, async () => { proxy.release(); });
    assert.equal(back.resumed, true);
    assert.equal(back.recovered, true);
    const ack = await within(sent, 5000);
    assert.equal(ack.offset, p.log.message[0].offset);
    await a.client.send('z');
    await waitFor(() => p.log.message.length === 2, 'the next message');
    await waitFor(() => a.log.message.length === 2, 'the sender to see both');
    await sleep(100);
    assert.deepEqual(p.log.message.map((m) => m.msg), ['y', 'z']);
    // The sender's own copy of y was lost with the ack: the recovery replayed it, once.
    assert.deepEqual(a.log.message.map((m) => m.msg), ['y', 'z']);
    await a.client.close();
    await p.client.close();
  });

  test('whispers are acknowledged; a whisper to no session is rejected with no_session', { timeout: 30000 }, async () => {
    const r = room('whisper');
    const a = testClient(server.url, r);
    const p = testClient(server.url, room('elsewhere'));
    await p.client.connect();
    await a.client.connect();
    const ack = await within(a.client.whisper(p.client.id, { secret: 1 }), 5000);
    assert.deepEqual(Object.keys(ack), ['ref']);
    await waitFor(() => p.log.whisper.length === 1, 'the whisper');
    assert.deepEqual(p.log.whisper[0], { type: 'whisper', id: a.client.id, to: p.client.id, room_id: r, msg: { secret: 1 } });
    const nobody = '00000000-0000-4000-8000-000000000001';
    await assert.rejects(within(a.client.whisper(nobody, 'x'), 5000), (e) => e.code === 'no_session' && e.frame.ref === e.ref);
    assert.deepEqual(a.log.error.map((e) => e.code), ['no_session']);
    // A send the server refuses (not JSON: undefined) never leaves the client.
    await assert.rejects(a.client.send(undefined), TypeError);
    await a.client.close();
    await p.client.close();
  });
});
