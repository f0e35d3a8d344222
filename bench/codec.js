#!/usr/bin/env node
/**
 * Codec throughput: decode + encode of
 *   - a WSP Get inside a WTP Invoke (one datagram),
 *   - a 300 KB WSP Reply (application/vnd.wap.mms-message) segmented into WTP Result +
 *     Segmented Results of 1400 octets (groups of 3) and reassembled back,
 *   - an m-send-req (SMIL + JPEG + text, about 30 KB),
 *   - an HTTP/1.1 response of nginx's shape (8 fields, a 40-octet body) read by the upstream
 *     client's parser (src/http/http1.ts), as the WSP bridge reads the origin's answer per GET.
 * Each case runs for about BENCH_MS (default 1500 ms) after a warm-up, checks its output, and
 * prints ops/s and MB/s (wire octets per second) as a markdown table.
 *
 *   npm run build && node bench/codec.js
 *   WAPGW_BENCH_DIST=/other/tree/dist node bench/codec.js    (the same cases on another build)
 */
'use strict';
const { performance } = require('node:perf_hooks');
const wapgw = require('./lib/wapgw');
const { decodeWtp, encodeWtp } = wapgw.wtp;
const { decodeWsp, encodeWsp } = wapgw.wsp;
const { decodeMms, encodeMms, buildSendReq } = wapgw.mms;

const BENCH_MS = Number(process.env.BENCH_MS || 1500);
const SEGMENT = 1400;
const GROUP = 3;

function measure(name, wireOctets, fn) {
  fn(); // correctness check and warm-up
  const warmEnd = performance.now() + Math.min(300, BENCH_MS / 4);
  while (performance.now() < warmEnd) fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < BENCH_MS) {
    for (let i = 0; i < 16; i++) fn();
    ops += 16;
    now = performance.now();
  }
  const secs = (now - start) / 1000;
  return { name, octets: wireOctets, opsPerSec: ops / secs, mbPerSec: (ops * wireOctets) / secs / 1e6 };
}

/**
 * @param {unknown} cond
 * @param {string} what
 * @returns {asserts cond}
 */
function assert(cond, what) {
  if (!cond) throw new Error(`bench self-check failed: ${what}`);
}

// 1. WSP Get in a WTP Invoke -------------------------------------------------------------------
/** @type {import('../src/codec/wsp').WspPduInput & { type: 'Get', uri: string }} */
const getPdu = {
  type: 'Get',
  uri: 'http://mmsc.example.org/mms/get?id=mid-4712-0123456789',
  headers: [
    { name: 'Accept', value: 'application/vnd.wap.mms-message' },
    { name: 'User-Agent', value: 'Nokia6600/1.0 (4.09.1) SymbianOS/7.0s Series60/2.0 Profile/MIDP-2.0 Configuration/CLDC-1.0' },
    { name: 'X-Wap-Profile', value: '"http://nds1.nds.nokia.com/uaprof/N6600r100.xml"' },
  ],
};
/** @type {import('../src/codec/wtp').WtpPdu} */
const invoke = { type: 'Invoke', tid: 7, gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2, tpis: [], data: encodeWsp(getPdu) };
const getDatagram = encodeWtp(invoke);
function wspGet() {
  const w = decodeWtp(getDatagram);
  assert(w.type === 'Invoke', 'a WTP Invoke');
  const p = decodeWsp(w.data);
  assert(p.type === 'Get', 'a WSP Get');
  const again = encodeWtp({ ...w, data: encodeWsp(p) });
  assert(again.length === getDatagram.length && p.uri === getPdu.uri, 'WSP Get round trip');
}

// 2. 300 KB Reply, segmented --------------------------------------------------------------------
const body = Buffer.alloc(300_000);
for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
/** @type {import('../src/codec/wsp').WspPduInput} */
const reply = { type: 'Reply', status: 0x20, contentType: 'application/vnd.wap.mms-message', headers: [{ name: 'Content-Length', value: String(body.length) }], data: body };

function segment(message, tid) {
  const out = [];
  const n = Math.ceil(message.length / SEGMENT);
  for (let i = 0; i < n; i++) {
    const data = message.subarray(i * SEGMENT, (i + 1) * SEGMENT);
    const ttr = i === n - 1;
    const gtr = !ttr && (i + 1) % GROUP === 0;
    out.push(
      i === 0
        ? encodeWtp({ type: 'Result', tid, gtr, ttr, rid: false, tpis: [], data })
        : encodeWtp({ type: 'SegmentedResult', tid, gtr, ttr, rid: false, psn: i, tpis: [], data }),
    );
  }
  return out;
}
const replyMessage = encodeWsp(reply);
const replyDatagrams = segment(replyMessage, 0x8007);
const replyWire = replyDatagrams.reduce((a, d) => a + d.length, 0);
function sarReply() {
  // encode: WSP Reply, then WTP segments
  const datagrams = segment(encodeWsp(reply), 0x8007);
  // decode: WTP segments, reassembly in PSN order, then WSP
  const parts = new Array(datagrams.length);
  for (const d of datagrams) {
    const p = decodeWtp(d);
    assert(p.type === 'Result' || p.type === 'SegmentedResult', 'a WTP Result or segment');
    parts[p.type === 'Result' ? 0 : p.psn] = p.data;
  }
  const r = decodeWsp(Buffer.concat(parts));
  assert(r.type === 'Reply', 'a WSP Reply');
  assert(datagrams.length === replyDatagrams.length && r.data.length === body.length, '300 KB SAR round trip');
}

// 3. m-send-req ---------------------------------------------------------------------------------
const jpeg = Buffer.alloc(30_000, 0xab);
const sendReq = encodeMms(
  buildSendReq({
    transactionId: 'bench-0001',
    to: ['+491701234567', 'alice@example.org'],
    subject: 'Grüße aus Köln',
    expiry: 86400,
    deliveryReport: true,
    parts: [
      { contentType: 'application/smil', data: '<smil><body><par dur="5s"><img src="p.jpg"/><text src="t.txt"/></par></body></smil>', contentId: 'smil' },
      { contentType: 'image/jpeg', data: jpeg, contentId: 'img', contentLocation: 'p.jpg' },
      { contentType: 'text/plain', data: 'hello there', contentId: 'txt', contentLocation: 't.txt' },
    ],
  }),
);
function mSendReq() {
  const again = encodeMms(decodeMms(sendReq));
  assert(again.length === sendReq.length, 'm-send-req round trip');
}

// 4. an origin's HTTP response head --------------------------------------------------------------
const httpResponse = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 08 Dec 2026 01:40:00 GMT\r\nContent-Type: application/vnd.wap.mms-message\r\n' +
    'Content-Length: 40\r\nLast-Modified: Mon, 07 Dec 2026 12:00:00 GMT\r\nConnection: keep-alive\r\nETag: "6755f1a0-28"\r\nAccept-Ranges: bytes\r\n\r\n' +
    'A'.repeat(40),
  'latin1',
);
const { ResponseParser } = wapgw.http1;
let httpSeen = 0;
const httpSink = {
  head: (/** @type {{ rawHeaders: string[] }} */ h) => void (httpSeen += h.rawHeaders.length),
  body: (/** @type {Buffer} */ b) => void (httpSeen += b.length),
  end: (/** @type {boolean} */ reusable) => assert(reusable, 'a reusable connection'),
};
function httpHead() {
  httpSeen = 0;
  new ResponseParser(httpSink, false).feed(httpResponse);
  assert(httpSeen === 16 + 40, 'eight fields and the body');
}

const rows = [
  measure(`WSP Get in a WTP Invoke (${getDatagram.length} B)`, getDatagram.length, wspGet),
  measure(`300 KB WSP Reply as ${replyDatagrams.length} WTP segments of ${SEGMENT} B`, replyWire, sarReply),
  measure(`m-send-req (${(sendReq.length / 1000).toFixed(1)} KB, 3 parts)`, sendReq.length, mSendReq),
  measure(`HTTP/1.1 response, 8 fields + 40 B body, upstream parser (${httpResponse.length} B)`, httpResponse.length, httpHead),
];

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const lines = [
  `Codec decode+encode, Node ${process.version}, ${require('node:os').cpus()[0]?.model ?? 'cpu'} (${BENCH_MS} ms per case)`,
  '',
  '| case | wire octets | ops/s | MB/s |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.octets.toLocaleString('en-US')} | ${fmt(r.opsPerSec)} | ${fmt(r.mbPerSec)} |`),
];
console.log(lines.join('\n'));
module.exports = { rows };
