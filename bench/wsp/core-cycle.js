#!/usr/bin/env node
// @ts-check
/**
 * CPU of the gateway's own code per Connect+GET+Disconnect cycle, without sockets and without
 * HTTP: the real WSP server (src/wsp/server.ts) over the real WTP port and responder
 * (src/wtp), the real WSP codec and the real reporters into a prom-client registry, driven in
 * one process by HANDSETS simulated handsets that answer like fakewap (Ack(TIDok) to
 * Ack(TIDve), an Ack for every Result, GET after the ConnectReply, a class 0 Disconnect after
 * the Reply). The method handler answers at once with 40 octets (no bridge, no undici). What it
 * measures is the part of a cycle our code can change; bench/wsp/run.js measures the whole.
 *
 *   npm run build && node bench/wsp/core-cycle.js [--handsets 50] [--cycles 50000] [--warmup 20000]
 *
 * Prints µs of CPU (process.cpuUsage: user+system of this process) per cycle and datagrams
 * sent per cycle; the final line is `RESULT {json}`.
 */
'use strict';
const wapgw = require('../lib/wapgw');

const arg = (/** @type {string} */ name, /** @type {number} */ def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const HANDSETS = arg('handsets', 50);
const CYCLES = arg('cycles', 50000);
const WARMUP = arg('warmup', 20000);

const { encodeWtp, decodeWtp } = wapgw.wtp;
const { encodeWsp, decodeWsp } = wapgw.wsp;

const WAIT_MS = arg('wait-ms', 30000);
const config = wapgw.configSchema.configSchema.parse({ wsp: { maxSessionsPerSource: 100000 }, wtp: { tidCacheSize: 200000, waitTimeoutMs: WAIT_MS } });
const metrics = new wapgw.metrics.Metrics();
const logger = wapgw.logger.silentLogger();
const wtp = wapgw.wtpCore.createWtpPort({ config, report: wapgw.wtpReport.wtpReporter(metrics, logger) });
const codec = wapgw.wspAdapters.createWspCodec();

/** @type {Array<{ buf: Buffer, peer: import('../../src/core/peer').Peer }>} */
let down = [];
let sent = 0;
const body = Buffer.alloc(40, 0x41);
const server = new wapgw.wspServer.WspServer({
  config,
  wtp,
  codec,
  // answers in a microtask, as the async handler of earlier builds did
  bridge: { handle: (/** @type {unknown} */ _req, /** @type {(r: any) => void} */ done) => queueMicrotask(() => done({ status: 200, contentType: 'text/plain', headers: [], body })) },
  report: wapgw.wspReport.wspReporter(metrics, logger),
  send: (_role, buf, peer) => {
    sent++;
    down.push({ buf, peer });
  },
  now: () => performance.now(),
});

const connect = encodeWsp({ type: 'Connect', version: '1.0', capabilities: [], headers: [] });
const get = encodeWsp({ type: 'Get', uri: 'http://mmsc.example/mms?size=40', headers: [] });
/** @param {number} tid @param {Buffer} data @param {0 | 2} tcl */
const invoke = (tid, data, tcl) => encodeWtp({ type: 'Invoke', tid, tpis: [], gtr: true, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl, data });
/** @param {number} tid @param {boolean} tveTok */
const ack = (tid, tveTok) => encodeWtp({ type: 'Ack', tid, tpis: [], tveTok, rid: false });

/** One simulated handset: its address, next TID, session and how many cycles it finished. */
const handsets = Array.from({ length: HANDSETS }, (_, i) => ({
  // one Peer per handset, made as the UDP bearer makes them (src/core/peer.ts makePeer: its key built once)
  peer: wapgw.peer.makePeer(`10.0.${i >> 8}.${i & 0xff}`, 40000 + i, 4),
  tid: 1,
  session: 0,
  done: 0,
}));
const byKey = new Map(handsets.map((h) => [`${h.peer.address}:${h.peer.port}`, h]));
let cycles = 0;

/** The handset's answer to what the gateway sent it; returns datagrams to send up. */
function answer(/** @type {Buffer} */ buf, /** @type {import('../../src/core/peer').Peer} */ peer) {
  const h = byKey.get(`${peer.address}:${peer.port}`);
  if (!h) throw new Error('datagram to an unknown handset');
  const p = decodeWtp(buf);
  const tid = p.tid & 0x7fff;
  if (p.type === 'Ack' && p.tveTok) return [ack(tid, true)];
  if (p.type === 'Ack') return []; // hold-on
  if (p.type !== 'Result') throw new Error(`unexpected ${p.type}`);
  const w = decodeWsp(p.data);
  if (w.type === 'ConnectReply') {
    h.session = w.sessionId;
    return [ack(tid, false), invoke(h.tid++ & 0x7fff, get, 2)];
  }
  if (w.type !== 'Reply') throw new Error(`unexpected WSP ${w.type}`);
  cycles++;
  h.done++;
  const disc = invoke(h.tid & 0x7fff, encodeWsp({ type: 'Disconnect', sessionId: h.session }), 0);
  return [ack(tid, false), disc, invoke(h.tid++ & 0x7fff, connect, 2)];
}

/** Runs until `target` more cycles have completed. */
async function run(/** @type {number} */ target) {
  const end = cycles + target;
  // every idle handset starts a cycle
  /** @type {Array<{ buf: Buffer, peer: import('../../src/core/peer').Peer }>} */
  let up = handsets.map((h) => ({ buf: invoke(h.tid++ & 0x7fff, connect, 2), peer: h.peer }));
  while (cycles < end) {
    for (const d of up) server.receiveCo(d.buf, d.peer, performance.now());
    up = [];
    if (!down.length) await new Promise((r) => setImmediate(r)); // the method handler's replies
    const batch = down;
    down = [];
    for (const d of batch) for (const b of answer(d.buf, d.peer)) up.push({ buf: b, peer: d.peer });
    if (cycles >= end) break;
    server.tick(performance.now());
  }
  // the last Acks confirm their Results; the Invokes left over are not sent (the next run starts
  // each handset with a fresh Connect)
  for (const d of up) if (decodeWtp(d.buf).type === 'Ack') server.receiveCo(d.buf, d.peer, performance.now());
}

(async () => {
  await run(WARMUP);
  const s0 = sent;
  const c0 = cycles;
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await run(CYCLES);
  const u = process.cpuUsage(u0);
  const wall = performance.now() - t0;
  const n = cycles - c0;
  const cpuUs = (u.user + u.system) / n;
  const result = { handsets: HANDSETS, cycles: n, cpuUsPerCycle: +cpuUs.toFixed(2), wallUsPerCycle: +((wall * 1000) / n).toFixed(2), datagramsOutPerCycle: +((sent - s0) / n).toFixed(3) };
  console.log(`${n} cycles by ${HANDSETS} handsets (no sockets, no HTTP): ${result.cpuUsPerCycle} µs CPU per cycle, ${result.datagramsOutPerCycle} datagrams out per cycle`);
  console.log(`RESULT ${JSON.stringify(result)}`);
})();
