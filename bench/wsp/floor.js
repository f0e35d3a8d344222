#!/usr/bin/env node
// @ts-check
/**
 * The floor under the WSP cycle figure: the CPU of a Node process that does nothing but the I/O
 * of one Connect+GET+Disconnect cycle as the gateway sees it with fakewap (bench/RESULTS.md,
 * "Datagrams per cycle"): 5 datagrams received (Connect, Ack, GET, Ack, Disconnect), 2 sent
 * (ConnectReply, Reply, each answering at once) and, with `--http 1`, one keep-alive HTTP/1.1
 * GET of 40 octets to an origin per cycle, written and read raw (no parser). No protocol, no
 * tables, no metrics: what is left of a cycle's CPU when our code costs nothing.
 *
 * The floor server runs in a child process (its utime+stime from /proc/PID/stat is the figure);
 * 50 handsets in this process run their cycles one datagram after another, as fakewap does,
 * each from its own UDP socket.
 *
 *   node bench/wsp/floor.js [--handsets 50] [--cycles 20000] [--http 1]
 *
 * The final line is `RESULT {json}`.
 */
'use strict';
const dgram = require('node:dgram');
const { spawn } = require('node:child_process');
const L = require('../lib/common');

const o = L.args({ handsets: 50, cycles: 20000, warmup: 5000, http: 1 });

// the floor server: byte 0 of a datagram says whether it wants an answer (1) or not (0)
const SERVER = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
const reply = Buffer.alloc(48, 0x41);
const originPort = Number(process.argv[1]);
const get = require(process.argv[2]).rawGetter(originPort, '/hello?size=40');
s.on('message', (m, r) => {
  if (m[0] !== 1) return;
  if (m[1] === 1 && originPort > 0) get(() => s.send(reply, r.port, r.address));
  else s.send(reply, r.port, r.address);
});
s.bind(0, '127.0.0.1', () => console.log(s.address().port));
`;

(async () => {
  const org = await L.origin();
  const originPort = o.http ? Number(new URL(org.url).port) : 0;
  const child = spawn(process.execPath, ['-e', SERVER, String(originPort), require.resolve('../lib/raw-get')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((r) => child.stdout?.once('data', (d) => r(Number(String(d).trim()))));
  const want = Buffer.from([1, 0, ...Buffer.alloc(30)]); // Connect: answered at once
  const wantGet = Buffer.from([1, 1, ...Buffer.alloc(40)]); // GET: answered after the HTTP exchange
  const ack = Buffer.from([0, 0, 0, 0]);
  let done = 0;
  let target = 0;
  /** @type {() => void} */
  let finished = () => undefined;
  const handsets = await Promise.all(
    Array.from({ length: o.handsets }, async () => {
      const sock = dgram.createSocket('udp4');
      await new Promise((r) => sock.bind(0, '127.0.0.1', () => r(undefined)));
      let phase = 0;
      const start = () => {
        phase = 0;
        sock.send(want, port, '127.0.0.1'); // Connect
      };
      sock.on('message', () => {
        if (phase === 0) {
          phase = 1;
          sock.send(ack, port, '127.0.0.1'); // Ack of the ConnectReply
          sock.send(wantGet, port, '127.0.0.1'); // GET
          return;
        }
        sock.send(ack, port, '127.0.0.1'); // Ack of the Reply
        sock.send(ack, port, '127.0.0.1'); // Disconnect (class 0)
        done++;
        if (done < target) start();
        else if (done === target + o.handsets - 1) finished();
      });
      return { sock, start };
    }),
  );
  const run = (/** @type {number} */ n) =>
    new Promise((r) => {
      done = 0;
      target = n;
      finished = () => r(undefined);
      for (const h of handsets) h.start();
    });
  await run(o.warmup);
  const c0 = L.cpuMs(/** @type {number} */ (child.pid));
  await run(o.cycles);
  const cpu = L.cpuMs(/** @type {number} */ (child.pid)) - c0;
  const n = done;
  const msPerCycle = cpu / n;
  console.log(`floor: ${n} cycles (5 datagrams in, 2 out${o.http ? ', one HTTP GET' : ''} each): ${(msPerCycle * 1000).toFixed(1)} µs of server CPU per cycle`);
  L.emitResult({ cycles: n, http: Boolean(o.http), cpuUsPerCycle: +(msPerCycle * 1000).toFixed(1) });
  for (const h of handsets) h.sock.close();
  child.kill();
  org.close();
})();
