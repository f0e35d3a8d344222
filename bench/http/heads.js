#!/usr/bin/env node
// @ts-check
/**
 * CPU per HTTP/1.1 head in src/http, each case a fixed number of times in a loop (CPU time of
 * this process, process.cpuUsage: steadier than a rate on a shared machine):
 *   - the server's reading of a PAP request head (5 fields, as bench/ppg's initiator sends),
 *   - the upstream client's reading of an nginx-shaped response (8 fields, 40-octet body),
 *   - the upstream client's writing of a WSP bridge's request head (8 fields).
 *
 *   npm run build && node bench/http/heads.js [--n 1000000] [--rounds 3]
 *   WAPGW_BENCH_DIST=/other/tree/dist node bench/http/heads.js   (another build, for an A/B)
 *
 * The final line is `RESULT {json}` (ns of CPU per head, the best of the rounds).
 */
'use strict';
const net = require('node:net');
const path = require('node:path');
const L = require('../lib/common');
const wapgw = require('../lib/wapgw');

const o = L.args({ n: 1_000_000, rounds: 3 });
const { ResponseParser, requestHead } = wapgw.http1;
const { Http1Server } = /** @type {typeof import('../../src/http/server')} */ (require(path.join(wapgw.DIST, 'http', 'server.js')));

// the server's head reader is private to its connection: reached through one made on an unconnected socket
const server = new Http1Server({ maxHeaderBytes: 16384, headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5000, maxConnections: 10 }, { request() {} });
const sock = new net.Socket();
/** @type {any} */ (server).accept(sock);
/** @type {{ parse(octets: Uint8Array | string, at?: number, text?: string): { method: string, rawHeaders: string[] } }} */
const conn = [.../** @type {any} */ (server).conns][0];
const papHead = Buffer.from(
  'POST /wappush HTTP/1.1\r\ncontent-type: multipart/related; boundary=asdlfkjiurwghasf; type="application/xml"\r\n' +
    'content-length: 1234\r\nHost: 127.0.0.1:40000\r\nConnection: keep-alive\r\nAuthorization: Basic bWFzdGVyOnNlY3JldA==\r\n\r\n',
  'latin1',
);
const nginxReply = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 08 Dec 2026 01:40:00 GMT\r\nContent-Type: application/vnd.wap.mms-message\r\n' +
    'Content-Length: 40\r\nLast-Modified: Mon, 07 Dec 2026 12:00:00 GMT\r\nConnection: keep-alive\r\nETag: "6755f1a0-28"\r\nAccept-Ranges: bytes\r\n\r\n' +
    'A'.repeat(40),
  'latin1',
);
/** @type {Array<[string, string]>} */
const bridgeFields = [
  ['Host', '127.0.0.1:8080'],
  ['Accept', '*/*, application/vnd.wap.mms-message'],
  ['User-Agent', 'Nokia6600/1.0 (4.09.1) SymbianOS/7.0s Series60/2.0'],
  ['Accept-Charset', 'utf-8'],
  ['X-Wap-Profile', '"http://nds1.nds.nokia.com/uaprof/N6600r100.xml"'],
  ['X-MSISDN', '491701234567'],
  ['X-Forwarded-For', '10.1.2.3'],
  ['Via', '1.1 wapgw'],
];
let seen = 0;
const sink = {
  head: (/** @type {{ rawHeaders: string[] }} */ h) => void (seen += h.rawHeaders.length),
  body: (/** @type {Buffer} */ b) => void (seen += b.length),
  end: () => undefined,
};

/** @type {Record<string, () => void>} */
const cases = {
  'server: PAP request head (5 fields)': () => {
    // as the connection hands it over: the head's text up to its last CR
    // (a build before parse took the octets beside the text: WAPGW_BENCH_DIST)
    const text = papHead.toString('latin1', 0, papHead.length - 3);
    const r = conn.parse.length === 1 ? conn.parse(text) : conn.parse(papHead, 0, text);
    seen += r.rawHeaders.length;
  },
  'upstream: nginx response (8 fields + 40 B)': () => new ResponseParser(sink, false).feed(nginxReply),
  'upstream: bridge request head (8 fields)': () => void (seen += requestHead('GET', '/mms/abc?x=1', bridgeFields).length),
};

/** @type {Record<string, number>} */
const best = {};
for (let r = 0; r < o.rounds; r++) {
  for (const [name, fn] of Object.entries(cases)) {
    for (let i = 0; i < Math.min(200_000, o.n); i++) fn();
    const u0 = process.cpuUsage();
    for (let i = 0; i < o.n; i++) fn();
    const u = process.cpuUsage(u0);
    const ns = ((u.user + u.system) * 1000) / o.n;
    best[name] = Math.min(best[name] ?? Infinity, ns);
  }
}
if (seen === 0) throw new Error('nothing was read');
console.log(`CPU per head, ${o.n} each, best of ${o.rounds} (${wapgw.DIST}):`);
for (const [name, ns] of Object.entries(best)) console.log(`  ${name}: ${ns.toFixed(0)} ns`);
L.emitResult({ dist: wapgw.DIST, n: o.n, nsPerHead: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v)])) });
sock.destroy();
process.exit(0);
