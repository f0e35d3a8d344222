#!/usr/bin/env node
// @ts-check
/**
 * CPU of the WSP bridge's upstream client (src/bridge/upstream.ts) per request: GETs of a
 * 40-octet body, 50 (`--inflight`) in flight over keep-alive, against an origin in a child process so that
 * this process's CPU (process.cpuUsage, user+system) is the client's alone.
 *
 *   npm run build && node bench/wsp/upstream-cpu.js [--requests 30000] [--warmup 5000] [--inflight 50] [--bridge 1]
 *
 * `--bridge 1` sends each GET through the whole WSP bridge (admission policy, header mapping,
 * this client, metrics) as a method of a session would.
 *
 * The final line is `RESULT {json}`.
 */
'use strict';
const { spawn } = require('node:child_process');
const wapgw = require('../lib/wapgw');

const arg = (/** @type {string} */ name, /** @type {number} */ def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const REQUESTS = arg('requests', 30000);
const WARMUP = arg('warmup', 5000);
const INFLIGHT = arg('inflight', 50);
const ORIGIN = `const http = require('node:http');
const b = Buffer.alloc(40, 0x41);
const s = http.createServer((q, r) => { q.resume(); q.on('end', () => { r.writeHead(200, { 'content-type': 'text/plain', 'content-length': 40 }); r.end(b); }); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

(async () => {
  const child = spawn(process.execPath, ['-e', ORIGIN], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((r) => child.stdout?.once('data', (d) => r(Number(String(d).trim()))));
  const up = new wapgw.upstream.UpstreamClient({ isAllowedOrigin: () => true, connections: 64, timeoutMs: 30000 });
  const url = new URL(`http://127.0.0.1:${port}/mms?size=40`);
  // --bridge 1: through the whole WSP bridge (policy, header mapping, the client, metrics), as a GET from a session
  const bridge = arg('bridge', 0)
    ? (() => {
        const config = wapgw.configSchema.configSchema.parse({ mmsc: { url: `http://127.0.0.1:${port}/mms` }, proxy: { allowedNetworks: ['127.0.0.0/8'], requireSubscriber: false }, log: { accessLog: false } });
        const metrics = new wapgw.metrics.Metrics();
        const policy = new wapgw.policy.Policy({ bearer: 'wsp', config, subscribers: /** @type {any} */ ({ lookup: () => undefined }) });
        return new wapgw.bridge.WspBridge({ upstream: up, policy, metrics, logger: wapgw.logger.silentLogger(), maxResponseSize: config.wsp.maxResponseSize, accessLog: false, now: () => performance.now() });
      })()
    : undefined;
  /** @type {import('../../src/wsp/method').MethodRequest['headers']} */
  const wspHeaders = [['Accept', '*/*'], ['User-Agent', 'bench']];
  const { MethodCancel } = wapgw.wspMethod;
  const one = bridge
    ? async () => {
        const r = await bridge.request({ mode: 'co', method: 'GET', uri: url.href, headers: wspHeaders, sessionHeaders: [['Accept-Charset', 'utf-8']], sourceIp: '127.0.0.1', clientSduSize: 0, encodingVersion: '1.2', sessionId: 1, signal: new MethodCancel() });
        if (r.status !== 200 || r.body.length !== 40) throw new Error(`bench self-check failed: ${r.status} ${r.body.length}`);
      }
    : async () => {
    const ac = new AbortController(); // as the WSP server passes one per method
    const r = await up.request({ url, method: 'GET', headers: { 'user-agent': 'bench', accept: '*/*' }, maxBody: 100000, signal: ac.signal });
    if (r.status !== 200 || r.body.length !== 40) throw new Error(`bench self-check failed: ${r.status} ${r.body.length}`);
  };
  const run = async (/** @type {number} */ n) => {
    let i = 0;
    await Promise.all(Array.from({ length: INFLIGHT }, async () => { while (i++ < n) await one(); }));
  };
  await run(WARMUP);
  const u0 = process.cpuUsage();
  await run(REQUESTS);
  const u = process.cpuUsage(u0);
  const cpuUs = (u.user + u.system) / REQUESTS;
  console.log(`${REQUESTS} upstream GETs, ${INFLIGHT} in flight: ${cpuUs.toFixed(1)} µs CPU per request (client side)`);
  console.log(`RESULT ${JSON.stringify({ requests: REQUESTS, cpuUsPerRequest: +cpuUs.toFixed(1) })}`);
  await up.close();
  child.kill();
})();
