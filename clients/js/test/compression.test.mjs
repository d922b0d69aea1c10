// Conformance: permessage-deflate. The `ws` package offers it by default, as browsers do; the
// server accepts it and compresses its broadcasts once for every recipient that negotiated it.
// A large message round-trips intact between a client that compresses and one that does not, and
// arrives at the compressing client in far fewer bytes than its text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { LobbyClient } from '../src/index.js';
import {
  testClient, next, room, startServer, closeAll, record,
} from '../test-support/helpers.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await closeAll();
  await server?.kill();
});

/** A WebSocket constructor with ws's default permessage-deflate offer, keeping its sockets. */
function deflatingWebSocket() {
  const sockets = [];
  class DeflatingWebSocket extends WebSocket {
    constructor(url, protocols) {
      // threshold 0: the client compresses what it sends whatever its size.
      super(url, protocols, { perMessageDeflate: { threshold: 0 } });
      sockets.push(this);
    }
  }
  return { WebSocket: DeflatingWebSocket, sockets };
}

/** Daily statistics rows: repetitive JSON, as broadcasts are. */
function statistics(rows) {
  const out = [];
  for (let i = 0; i < rows; i++) {
    out.push({ day: `2026-12-${String(1 + (i % 28)).padStart(2, '0')}`, product_line: 'line ' + (i % 7), visits: 1000 + i * 7, users: 300 + i, bounce: 0.4 });
  }
  return out;
}

describe('permessage-deflate', () => {
  test('negotiated by a ws client; a large message round-trips intact, compressed on the wire', { timeout: 30000 }, async () => {
    const r = room('deflate');
    const { WebSocket: Deflating, sockets } = deflatingWebSocket();
    const a = new LobbyClient({ url: server.url, room: r, WebSocket: Deflating });
    const aLog = record(a);
    const p = testClient(server.url, r); // without compression (the test support's WebSocket)
    await p.client.connect();
    await a.connect();

    const ws = sockets[sockets.length - 1];
    assert.equal(ws.extensions, 'permessage-deflate', 'the server accepted the offer');

    const rows = statistics(400);
    const size = JSON.stringify(rows).length;
    assert.ok(size > 30000, size + ' characters');
    const before = ws._socket.bytesRead;
    const toA = next(a, 'message', (m) => Array.isArray(m.msg));
    const toP = next(p.client, 'message', (m) => Array.isArray(m.msg));
    const sent = a.send(rows);
    const [atA, atP, ack] = await Promise.all([toA, toP, sent]);
    const read = ws._socket.bytesRead - before;

    assert.deepEqual(atP.msg, rows, 'the plain client gets the message intact');
    assert.deepEqual(atA.msg, rows, 'the compressing client gets it intact');
    assert.ok(read * 4 < size, `${read} bytes on the wire for ${size} characters`);
    assert.ok(ack, 'the server acknowledged the compressed message');
    assert.equal(aLog.error.length, 0);
  });
});
