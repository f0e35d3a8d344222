#!/usr/bin/env node
/**
 * Memory per WSP session: runs the gateway in this process (dist/main.js Gateway, loopback,
 * ephemeral ports, a local origin), opens SESSIONS WSP sessions (Connect, then one Get, no
 * Disconnect) from as many UDP sockets (a session belongs to its peer address:port), and
 * reports the V8 heap growth (after a full GC) per session, with the WTP transactions still
 * remembered for timer W counted in. Then disconnects them all and reports what is left.
 *
 *   node --expose-gc bench/scale/session-memory.js [--sessions 5000] [--batch 250]
 *
 * Final line: `RESULT {json}`.
 */
'use strict';
const L = require('../lib/common');
const { LoadHandset } = require('./wsp-load');

const wapgw = require('../lib/wapgw');
const { parseConfig } = wapgw.config;
const { createLogger } = wapgw.logger;
const { Gateway } = wapgw.main;
const { encodeWsp } = wapgw.wsp;

const o = L.args({ sessions: 5000, batch: 250 });
const gc = global.gc;
if (typeof gc !== 'function') {
  console.error('run with: node --expose-gc bench/scale/session-memory.js');
  process.exit(2);
}
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const MB = 1048576;

async function main() {
  const org = await L.origin();
  const config = parseConfig({
    mmsc: { url: `${org.url}/mms` },
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, connectionlessMaxAmplification: 0, maxSessionsPerSource: 100000 },
    proxy: { enabled: false, allowedNetworks: ['127.0.0.0/8'], requireSubscriber: false },
    admin: { enabled: false },
    log: { level: 'warn', accessLog: false },
  });
  const gw = new Gateway({ config, logger: createLogger({ level: 'warn' }) });
  const ls = await gw.start();
  const co = ls.find((l) => l.name === 'wsp-connection-oriented');
  if (!co) throw new Error('no connection-oriented WSP listener');
  const port = co.port;
  const connect = encodeWsp({ type: 'Connect', version: '1.0', capabilities: [{ name: 'Client-SDU-Size', value: 1048576 }], headers: [{ name: 'User-Agent', value: 'wapgw-bench/1.0' }] });
  const get = encodeWsp({ type: 'Get', uri: `${org.url}/mms/x?size=40&type=text/plain`, headers: [] });

  // warm up the code paths (and the upstream pool) before the baseline
  const warm = new LoadHandset('127.0.0.1', port, 10000);
  await warm.open();
  for (let i = 0; i < 20; i++) {
    await warm.transact(connect);
    await warm.transact(get);
  }
  warm.close();
  await L.sleep(200);
  // the handsets' own sockets live in this heap too: open them all before the baseline
  const hs = [];
  for (let j = 0; j < o.sessions; j++) {
    const h = new LoadHandset('127.0.0.1', port, 10000);
    await h.open();
    hs.push(h);
  }
  const h0 = heap();
  const rss0 = process.memoryUsage().rss;
  const sids = [];
  let failed = 0;
  for (let i = 0; i < o.sessions; i += o.batch) {
    const batch = [];
    for (let j = i; j < Math.min(o.sessions, i + o.batch); j++) {
      const h = hs[j];
      batch.push(
        (async () => {
          const cr = await h.transact(connect);
          sids[j] = cr[1] & 0x80 ? ((cr[1] & 0x7f) << 7) | cr[2] : cr[1]; // uintvar, ids < 16384 here
          await h.transact(get);
        })().catch(() => failed++),
      );
    }
    await Promise.all(batch);
  }
  const status = gw.components.find((c) => c.name === 'wsp')?.status?.() ?? {};
  const h1 = heap();
  const rss1 = process.memoryUsage().rss;
  const perSession = (h1 - h0) / o.sessions;
  console.log(`${o.sessions} sessions (${failed} failed): heap +${((h1 - h0) / MB).toFixed(1)} MB = ${Math.round(perSession)} B per session (with its Connect and Get transactions in timer W), RSS +${((rss1 - rss0) / MB).toFixed(1)} MB`);
  // disconnect all (the transactions stay remembered for timer W, 30 s by default: not waited for)
  for (let j = 0; j < hs.length; j++) hs[j].invoke0(encodeWsp({ type: 'Disconnect', sessionId: sids[j] ?? 0 }));
  await L.sleep(500);
  const h2 = heap();
  console.log(`after Disconnect of all: heap +${((h2 - h0) / MB).toFixed(1)} MB over the baseline (transactions still remembered for timer W)`);
  for (const h of hs) h.close();
  await gw.close(200);
  org.close();
  L.emitResult({ sessions: o.sessions, failed, heapGrowthMB: +((h1 - h0) / MB).toFixed(1), bytesPerSession: Math.round(perSession), rssGrowthMB: +((rss1 - rss0) / MB).toFixed(1), afterDisconnectMB: +((h2 - h0) / MB).toFixed(1), wspStatus: status });
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
