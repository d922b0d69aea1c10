// A Node.js client of the example server. From clients/js: npm install, start the server
// (java -jar ../../examples/target/lobby-example-server.jar), then: node examples/node.mjs
import WebSocket from 'ws';
import { LobbyClient } from 'lobby-client';

const client = new LobbyClient({ url: 'ws://127.0.0.1:8081', room: 'team-1', WebSocket });
client.on('state', (state) => console.log('state:', state));
client.on('message', (m) => console.log(`${m.id.slice(0, 8)}: ${JSON.stringify(m.msg)}`));
client.on('reset', (r) => console.log('messages may have been missed:', r.reason));

const welcome = await client.connect();
console.log(`joined ${welcome.room_id} as ${client.id}`);
const ack = await client.send({ text: 'hello from Node' });
console.log('acknowledged:', ack);
const answer = await client.members();
console.log('members:', answer.members);
await client.close();
