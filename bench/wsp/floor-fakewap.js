#!/usr/bin/env node
// @ts-check
/**
 * The floor under the WSP cycle figure *with fakewap as the load*, measured the way
 * bench/wsp/ab.js measures the gateway: 50 fakewap processes x 100 Connect+GET+Disconnect
 * cycles after the same warm-up, utime+stime of the server process over the load divided by the
 * replies fakewap counted as 200.
 *
 * The server is the least a Node process can do and still satisfy fakewap: for each WTP Invoke
 * (WAP-224 §8.3.1) it reads the TID and the WSP PDU type (WAP-230 Table 34) and answers a
 * Connect with a fixed ConnectReply and a GET, after one keep-alive HTTP/1.1 GET to the origin
 * (written and read raw: the answer is one read on loopback, counted, not parsed), with a fixed
 * Reply, each a WTP Result carrying the initiator's TID with its direction bit set (§8.3.2).
 * Acks and the class 0 Disconnect are read and dropped. No TID verification, no timers, no
 * tables, no retransmission, no header conversion: a cycle's I/O as the gateway sees it under
 * fakewap (5 datagrams in, 2 out, one HTTP exchange) and nothing else. bench/wsp/floor.js is the
 * same floor under our own batching client, which wakes the server less often.
 *
 * `--client pool` makes the HTTP GET through the gateway's own upstream client (UpstreamPool,
 * src/http/upstream.ts, with a handler that only counts) instead of the raw socket: the
 * difference is what that client costs per GET under this load.
 *
 *   node bench/wsp/floor-fakewap.js [--handsets 50] [--cycles 100] [--rounds 3] [--http 1] [--client raw|pool]
 *
 * The final line is `RESULT {json}`.
 */
'use strict';
const { spawn } = require('node:child_process');
const L = require('../lib/common');

const o = L.args({ handsets: 50, cycles: 100, rounds: 3, http: 1, client: 'raw' });

const SERVER = `
const dgram = require('node:dgram');
// destinations are always IP literals: answer the lookup at once (as the gateway's UDP bearer does)
const lookup = (address, _opts, cb) => cb(null, address, 4);
const s = dgram.createSocket({ type: 'udp4', lookup });
// a ConnectReply (session 0, SDU sizes, Encoding-Version 1.2) and a Reply (200, text/plain,
// Content-Length 40, a Date, 40 octets), as a WTP Result with TID 0
const CONNECT_REPLY = Buffer.from('12000002000a150480c080000481c08000456e636f64696e672d56657273696f6e00312e3200', 'hex');
const REPLY = Buffer.concat([Buffer.from('120000' + '042009' + '838da892046b059d5e', 'hex'), Buffer.alloc(40, 0x41)]);
const originPort = Number(process.argv[1]);
const originPath = process.argv[2];
const pool = process.argv[3] === 'pool' ? new (require(process.argv[4]).httpUpstream.UpstreamPool)({ protocol: 'http:', host: '127.0.0.1', port: originPort }, 256) : undefined;
const raw = require(process.argv[5]).rawGetter(originPort, originPath);
function get(cb) {
  if (!pool) return raw(cb);
  pool.request('GET', originPath, [['Host', '127.0.0.1'], ['User-Agent', 'floor']], 'none', {
    upstreamHead() {}, upstreamData() { return true; }, upstreamEnd() { cb(); }, upstreamFailed(e) { console.error(e); process.exit(1); },
  });
}
function result(template, tid, port, address) {
  const b = Buffer.allocUnsafe(template.length);
  template.copy(b);
  b[1] = (tid >> 8) ^ 0x80;
  b[2] = tid & 0xff;
  s.send(b, port, address);
}
s.on('message', (m, r) => {
  if (m.length < 5 || ((m[0] >> 3) & 0x0f) !== 1) return; // not an Invoke: Ack, Abort
  const tid = (m[1] << 8) | m[2];
  if (m[4] === 0x01) result(CONNECT_REPLY, tid, r.port, r.address);
  else if (m[4] === 0x40) {
    if (originPort > 0) get(() => result(REPLY, tid, r.port, r.address));
    else result(REPLY, tid, r.port, r.address);
  }
});
s.bind(0, '127.0.0.1', () => console.log(s.address().port));
`;

(async () => {
  if (!L.haveTool('fakewap')) throw new Error('fakewap is missing: apt-get install kannel-extras');
  const org = await L.origin();
  const originPort = o.http ? Number(new URL(org.url).port) : 0;
  const originPath = '/hello?size=40&type=text/plain';
  const child = spawn(process.execPath, ['-e', SERVER, String(originPort), originPath, o.client, require.resolve('../lib/wapgw'), require.resolve('../lib/raw-get')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((r) => child.stdout?.once('data', (d) => r(Number(String(d).trim()))));
  const url = `${org.url}${originPath}`;
  /** @type {number[]} */
  const perCycle = [];
  try {
    const warm = await L.fakewapCycles(port, url, 10, 300);
    if (warm !== 3000) console.log(`warm-up: only ${warm} replies of 3000 (fakewap did not accept the floor's answers?)`);
    for (let i = 0; i < o.rounds; i++) {
      const c0 = L.cpuMs(/** @type {number} */ (child.pid));
      const ok = await L.fakewapCycles(port, url, o.handsets, o.cycles);
      const cpu = L.cpuMs(/** @type {number} */ (child.pid)) - c0;
      if (ok !== o.handsets * o.cycles) console.log(`round ${i + 1}: only ${ok} replies of ${o.handsets * o.cycles}`);
      perCycle.push(+(cpu / Math.max(1, ok)).toFixed(4));
      console.log(`round ${i + 1}: ${ok} cycles, ${(perCycle[i] * 1000).toFixed(1)} µs of server CPU per cycle${o.http ? ' (with the HTTP GET)' : ''}`);
    }
  } finally {
    child.kill();
    org.close();
  }
  L.emitResult({ handsets: o.handsets, cycles: o.cycles, http: Boolean(o.http), msPerCycle: perCycle });
})();
