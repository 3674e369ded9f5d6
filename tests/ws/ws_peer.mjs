// Node's ws as a peer for closeframe's tests (tests/test_ws.py drives it).
//
//   node ws_peer.mjs server          a ws server on 127.0.0.1; prints {"port"}, then one
//                                    line per connection once it closes (see report())
//   node ws_peer.mjs client URL ACT  a ws client; ACT (JSON) says how it closes; prints
//                                    one line when its connection closes
//   node ws_peer.mjs verdicts        reads close payloads (hex, one a line) on stdin and
//                                    prints ws's Receiver verdict on each as a client
//                                    reading a server's frame: {"ok": [code, reasonHex]}
//                                    or {"fail": [closeCode, errorCode]}
//
// How a side closes (the server reads it from the URL's query, `act=` in JSON):
//   {"wait": true}               wait for the peer to close
//   {"close": [code, reason]}    ws.close(code, reason) at once; {"close": []} for ws.close()
//   {"raw": hex}                 write these bytes (a whole frame, built by the test) to
//                                the socket, unchecked: for invalid close frames
//   {"terminate": true}          destroy the socket without a close frame

import { createInterface } from 'node:readline';
import { Receiver, WebSocket, WebSocketServer } from 'ws';

function print(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

// Opens a connection as `act` says and resolves with what ws reported.
function drive(ws, act) {
  return new Promise((resolve) => {
    const seen = { error: null, errorCloseCode: null };
    ws.on('error', (err) => {
      seen.error = err.code || String(err);
    });
    ws.on('close', (code, reason) => {
      resolve({ ...seen, code, reason: reason.toString('hex') });
    });
    const start = () => {
      if (act.close) ws.close(...act.close);
      else if (act.raw) ws._socket.write(Buffer.from(act.raw, 'hex'));
      else if (act.terminate) ws.terminate();
    };
    if (ws.readyState === WebSocket.OPEN) start();
    else ws.on('open', start);
  });
}

function server() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => {
    print({ port: wss.address().port });
  });
  wss.on('connection', async (ws, request) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const act = JSON.parse(url.searchParams.get('act') || '{"wait": true}');
    const report = await drive(ws, act);
    print({ id: url.searchParams.get('id'), ...report });
  });
}

async function client(url, act) {
  const ws = new WebSocket(url, { closeTimeout: 5000 });
  print(await drive(ws, JSON.parse(act)));
}

// ws's own receiver, fed one whole unmasked close frame per payload.
function verdict(payload) {
  return new Promise((resolve) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('conclude', (code, reason) => {
      resolve({ ok: [code, Buffer.from(reason).toString('hex')] });
    });
    receiver.on('error', (err) => {
      resolve({ fail: [err[Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code')], err.code] });
    });
    const header = payload.length < 126
      ? Buffer.from([0x88, payload.length])
      : Buffer.from([0x88, 126, payload.length >> 8, payload.length & 0xff]);
    receiver.write(Buffer.concat([header, payload]));
  });
}

async function verdicts() {
  const lines = createInterface({ input: process.stdin });
  const out = [];
  for await (const line of lines) {
    out.push(JSON.stringify(await verdict(Buffer.from(line.trim(), 'hex'))));
    if (out.length >= 4096) process.stdout.write(out.splice(0).join('\n') + '\n');
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'server') server();
else if (mode === 'client') await client(...args);
else if (mode === 'verdicts') await verdicts();
else {
  process.stderr.write('usage: node ws_peer.mjs server | client URL ACT | verdicts\n');
  process.exit(2);
}
