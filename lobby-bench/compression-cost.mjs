// The measurement of compression-cost.sh (see there). Starts the example server per run, reads
// its CPU time and memory from /proc/<pid>, and counts the TCP payload bytes each client socket
// reads (what went over the wire to it).
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../clients/js/package.json'));
const WebSocket = require('ws');

const JAR = process.env.LOBBY_JAR;
const TOKEN = 'compression-cost-token';
const HOST = '127.0.0.1';
const JVM = (process.env.JAVA_OPTS || '-XX:+UseSerialGC -Xms128m -Xmn64m -XX:TieredStopAtLevel=1')
  .split(/\s+/).filter(Boolean);
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer() {
  const args = [...JVM,
    `-Dlobby.http.host=${HOST}`, '-Dlobby.http.port=0', `-Dlobby.http.admin-token=${TOKEN}`,
    '-Dlobby.http.max-connections-per-ip=unlimited', '-Dlobby.max-sessions=unlimited',
    '-jar', JAR];
  const proc = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOBBY_LOG_FORMAT: 'text' } });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + output.slice(-3000))), 60000);
    const onData = (d) => {
      output += d;
      const m = /Lobby listening on \/?[0-9.]+:(\d+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (c) => { clearTimeout(timer); reject(new Error('server exited ' + c + ':\n' + output.slice(-3000))); });
  });
  return {
    pid: proc.pid, port,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(20000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/** User + system CPU time of a process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK; // utime, stime (fields 14, 15)
}

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

/** Heap in use after a full GC, in KB (jcmd GC.run, then GC.heap_info). */
function heapKb(pid) {
  execFileSync('jcmd', [String(pid), 'GC.run']);
  const info = execFileSync('jcmd', [String(pid), 'GC.heap_info']).toString();
  let used = 0;
  for (const line of info.split('\n')) {
    if (/Metaspace|class space/.test(line)) continue;
    const m = /(generation|heap)\s+total \d+K, used (\d+)K/.exec(line);
    if (m) used += Number(m[2]);
  }
  return used;
}

/** Opens `n` JSON-mode sessions in `room`, offering permessage-deflate or not. */
async function connect(port, room, n, deflate, onMessage) {
  const sockets = [];
  const batch = 50;
  for (let i = 0; i < n; i += batch) {
    const opening = [];
    for (let k = i; k < Math.min(n, i + batch); k++) {
      opening.push(new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://${HOST}:${port}/${room}`, 'lobby.v1.json',
          { perMessageDeflate: deflate ? { threshold: 1 << 30 } : false });
        ws.on('error', reject);
        ws.on('message', (data) => {
          const text = data.toString();
          if (text.includes('"welcome"') && !ws.welcomed) { ws.welcomed = true; resolve(ws); }
          else onMessage?.(ws, text);
        });
      }));
    }
    sockets.push(...await Promise.all(opening));
  }
  for (const ws of sockets) {
    const negotiated = ws.extensions.includes('permessage-deflate');
    if (negotiated !== deflate) throw new Error(`permessage-deflate ${negotiated ? '' : 'not '}negotiated`);
  }
  return sockets;
}

async function closeAll(sockets) {
  await Promise.all(sockets.map((ws) => new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', resolve);
    ws.close(1000);
    setTimeout(() => { ws.terminate(); resolve(); }, 5000);
  })));
}

/** A realistic 4 KB JSON message: rows of daily statistics, as POST /dailyDashBoard carries. */
function statistics(targetBytes, seed) {
  const rows = [];
  const lines = ['Retail', 'Wholesale', 'Online', 'Partner', 'Corporate'];
  for (let i = 0; JSON.stringify(rows).length < targetBytes - 160; i++) {
    rows.push({
      product_line_id: 100 + (i % 40), product_line: lines[i % lines.length], currency: i % 3 ? 'EUR' : 'USD',
      group_status: i % 4 ? 'settled' : 'pending', total_trx: 1000 + ((seed * 7919 + i * 104729) % 90000),
      total_amount: Math.round(((seed + 1) * (i + 3) * 1234.5678) % 1000000) / 100,
    });
  }
  return rows;
}

async function post(port, room, value) {
  const res = await fetch(`http://${HOST}:${port}/rooms/${room}/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + TOKEN },
    body: JSON.stringify(value),
  });
  if (res.status !== 200) throw new Error('admin post: ' + res.status + ' ' + await res.text());
  return (await res.json()).delivered;
}

async function fanoutRun(n, m, deflate) {
  const server = await startServer();
  try {
    let received = 0;
    let sample = null;
    const sockets = await connect(server.port, 'stats', n, deflate, (ws, text) => {
      if (text.includes('"message"')) { received++; sample ??= text; }
    });
    const broadcast = async (count, seedBase) => {
      for (let j = 0; j < count; j++) {
        const target = received + n;
        const delivered = await post(server.port, 'stats', statistics(4096, seedBase + j));
        if (delivered !== n) throw new Error(`delivered to ${delivered} of ${n}`);
        const deadline = Date.now() + 30000;
        while (received < target) {
          if (Date.now() > deadline) throw new Error(`${received} of ${target} deliveries`);
          await sleep(2);
        }
      }
    };
    await sleep(1000); // the join notices of the last sessions are still on their way
    await broadcast(Math.min(m, 20), 1000); // warm-up, not counted
    const bytesBefore = sockets.reduce((s, ws) => s + ws._socket.bytesRead, 0);
    const cpuBefore = cpuSeconds(server.pid);
    await broadcast(m, 0);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const bytes = sockets.reduce((s, ws) => s + ws._socket.bytesRead, 0) - bytesBefore;
    const deliveries = n * m;
    const messageBytes = Buffer.byteLength(sample ?? '');
    await closeAll(sockets);
    return { deliveries, wirePerDelivery: bytes / deliveries, cpuUsPerDelivery: (cpu * 1e6) / deliveries, messageBytes };
  } finally {
    await server.stop();
  }
}

async function densityRun(n, deflate) {
  const server = await startServer();
  try {
    // One session first, so that what every first connection loads is in the baseline.
    const first = await connect(server.port, 'warm', 1, deflate);
    await closeAll(first);
    await sleep(500);
    const heap0 = heapKb(server.pid);
    const rss0 = rssKb(server.pid);
    const sockets = [];
    for (let i = 0; i < n; i += 1000) {
      sockets.push(...await connect(server.port, 'idle-' + (i / 1000), Math.min(1000, n - i), deflate));
    }
    await sleep(2000);
    const heap1 = heapKb(server.pid);
    const rss1 = rssKb(server.pid);
    await closeAll(sockets);
    return { sessions: n, rssPerSession: ((rss1 - rss0) * 1024) / n, heapPerSession: ((heap1 - heap0) * 1024) / n };
  } finally {
    await server.stop();
  }
}

const fmt = (x, d = 0) => x.toFixed(d).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : 'n/a');

const [mode, a1, a2] = process.argv.slice(2);
if (mode === 'fanout') {
  const n = Number(a1);
  const m = Number(a2);
  console.log(`fanout: ${n} subscribers, ${m} broadcasts of ~4 KB JSON (plus a warm-up of ${Math.min(m, 20)})`);
  const plain = await fanoutRun(n, m, false);
  const deflated = await fanoutRun(n, m, true);
  console.log(`message text: ${plain.messageBytes} bytes as delivered`);
  console.log('| run | deliveries | wire bytes per delivery | server CPU per delivery |');
  console.log('|---|---|---|---|');
  for (const [name, r] of [['without compression', plain], ['with permessage-deflate', deflated]]) {
    console.log(`| ${name} | ${fmt(r.deliveries)} | ${fmt(r.wirePerDelivery)} B | ${fmt(r.cpuUsPerDelivery, 1)} µs |`);
  }
  console.log(`| ratio (plain / compressed bytes; compressed / plain CPU) | | ${ratio(plain.wirePerDelivery, deflated.wirePerDelivery)}× fewer | ${ratio(deflated.cpuUsPerDelivery, plain.cpuUsPerDelivery)}× |`);
} else if (mode === 'density') {
  const n = Number(a1);
  console.log(`density: ${n} idle sessions`);
  const plain = await densityRun(n, false);
  const deflated = await densityRun(n, true);
  console.log('| run | sessions | RSS per session | heap per session (after full GC) |');
  console.log('|---|---|---|---|');
  for (const [name, r] of [['without compression', plain], ['with permessage-deflate', deflated]]) {
    console.log(`| ${name} | ${fmt(r.sessions)} | ${fmt(r.rssPerSession)} B | ${fmt(r.heapPerSession)} B |`);
  }
  console.log(`| ratio (compressed / plain) | | ${ratio(deflated.rssPerSession, plain.rssPerSession)}× | ${ratio(deflated.heapPerSession, plain.heapPerSession)}× |`);
} else {
  console.error('usage: compression-cost.sh fanout N M | density N');
  process.exit(2);
}
