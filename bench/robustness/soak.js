#!/usr/bin/env node
/**
 * Soak: steady mixed load on one gateway (node dist/cli.js, temp config, loopback) for MINUTES:
 * - WSP connection-oriented: fakewap loops (GETs, and MMS POSTs of 1 000 octets) on 2 handsets;
 * - WSP connectionless: a GET every 100 ms from a JS socket;
 * - proxy: ~40 requests/s (GET and POST) through the MMS proxy, keep-alive;
 * - RADIUS: ~20 accounting packets/s (Start/Interim/Stop over 5 000 rotating addresses) into a
 *   table of subscribers.maxEntries 2 000 (so it evicts all along).
 * Samples RSS, open fds, V8 heap, WTP transactions and WSP sessions every 10 s and says whether
 * RSS and fds stayed flat: fds of the last third within 4 of the middle third, and RSS of the
 * last third within 10 % of the middle third or growing less than 1 MB/min over the second half.
 *
 *   node bench/robustness/soak.js [--minutes 10] [--json]
 */
'use strict';
const dgram = require('node:dgram');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const radius = require('radius');
const L = require('./lib');

const o = L.args({ minutes: 10, json: false, sampleSeconds: 10 });
const SECRET = 'soak-secret';

async function main() {
  const org = await L.origin();
  const gw = await L.startWapgw(
    {
      mmsc: { url: `${org.url}/mms`, timeoutMs: 5000 },
      proxy: { enabled: true },
      radius: { enabled: true, bind: '127.0.0.1', port: 0, clients: [{ address: '127.0.0.1/32', secret: SECRET }] },
      subscribers: { maxEntries: 2000 },
      log: { level: 'info', accessLog: false },
    },
    { keepLines: false },
  );
  const stopAt = Date.now() + o.minutes * 60000;
  const running = () => Date.now() < stopAt;
  const count = { wspCo: 0, wspCoFail: 0, wspCl: 0, wspClFail: 0, proxy: 0, proxyFail: 0, radius: 0, radiusAnswered: 0 };
  const loops = [];

  // WSP CO: fakewap GET and POST loops
  const post = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'soak-')), 'p1k.bin');
  fs.writeFileSync(post, require('node:crypto').randomBytes(1000));
  if (L.hasFakewap()) {
    const fw = (extra) =>
      (async () => {
        while (running()) {
          const r = await L.fakewap(['-g', '127.0.0.1', '-p', String(gw.co), '-M', '1', '-i', '0.1', '-m', '20', '-F', ...extra], 120000);
          count.wspCo += r.ok;
          count.wspCoFail += 20 - r.ok;
        }
      })();
    loops.push(fw([`${org.url}/get?size=3000`]));
    loops.push(fw(['-C', 'mms', '-P', post, `${org.url}/mms?size=60&type=application/vnd.wap.mms-message`]));
  }

  // WSP CL: GET every 100 ms
  const cl = dgram.createSocket('udp4');
  await new Promise((r) => cl.bind(0, '127.0.0.1', () => r(undefined)));
  let clTid = 0;
  let clWaiting = false;
  cl.on('message', () => {
    count.wspCl++;
    clWaiting = false;
  });
  const clTimer = setInterval(() => {
    if (clWaiting) count.wspClFail++;
    const url = `${org.url}/cl?size=200`;
    clWaiting = true;
    cl.send(Buffer.concat([Buffer.from([(clTid = (clTid + 1) & 0xff), 0x40, url.length]), Buffer.from(url)]), gw.cl, '127.0.0.1');
  }, 100);

  // proxy: ~40/s over keep-alive
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const proxyOnce = (i) =>
    new Promise((resolve) => {
      const isPost = i % 4 === 0;
      const req = http.request({ host: '127.0.0.1', port: gw.proxy, method: isPost ? 'POST' : 'GET', path: `${org.url}/mms?size=500`, agent, timeout: 10000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) count.proxy++;
          else count.proxyFail++;
          resolve(undefined);
        });
      });
      req.on('error', () => {
        count.proxyFail++;
        resolve(undefined);
      });
      req.end(isPost ? Buffer.alloc(2000, 0x61) : undefined);
    });
  loops.push(
    (async () => {
      for (let i = 0; running(); i++) {
        await proxyOnce(i);
        await L.sleep(25);
      }
    })(),
  );

  // RADIUS: ~20/s
  const nas = dgram.createSocket('udp4');
  await new Promise((r) => nas.bind(0, '127.0.0.1', () => r(undefined)));
  nas.on('message', () => count.radiusAnswered++);
  let rid = 0;
  const radTimer = setInterval(() => {
    const i = rid++;
    const n = i % 5000;
    const status = ['Start', 'Interim-Update', 'Stop'][Math.floor(i / 5000) % 3];
    const pkt = radius.encode({
      code: 'Accounting-Request',
      identifier: i & 0xff,
      secret: SECRET,
      attributes: [
        ['Acct-Status-Type', status],
        ['Acct-Session-Id', `soak-${n}`],
        ['Framed-IP-Address', `10.77.${n >> 8}.${n & 0xff}`],
        ['Calling-Station-Id', `1555${String(n).padStart(7, '0')}`],
        ['NAS-IP-Address', '127.0.0.1'],
      ],
    });
    count.radius++;
    nas.send(pkt, gw.radius, '127.0.0.1');
  }, 50);

  // sampling
  const samples = [];
  const sample = async () => {
    const m = (await L.adminGet(gw, '/metrics')).body;
    samples.push({
      s: Math.round((Date.now() - (stopAt - o.minutes * 60000)) / 1000),
      rssMb: +L.rssMb(gw.child.pid).toFixed(1),
      fds: L.fdCount(gw.child.pid),
      heapMb: +(L.metric(m, 'wapgw_nodejs_heap_size_used_bytes') / 1048576).toFixed(1),
      wtp: L.metric(m, 'wapgw_wtp_transactions_active'),
      sessions: L.metric(m, 'wapgw_wsp_sessions'),
      subscribers: L.metric(m, 'wapgw_subscribers'),
    });
    if (!o.json) console.error(JSON.stringify(samples[samples.length - 1]));
  };
  await sample();
  while (running()) {
    await L.sleep(Math.min(o.sampleSeconds * 1000, Math.max(0, stopAt - Date.now())));
    if (!gw.alive()) break;
    await sample();
  }
  clearInterval(clTimer);
  clearInterval(radTimer);
  await Promise.all(loops);
  const alive = gw.alive();
  const m = (await L.adminGet(gw, '/metrics')).body;
  await gw.stop();
  await org.close();
  cl.close();
  nas.close();
  agent.destroy();

  const n = samples.length;
  const third = (a, b) => samples.slice(Math.floor((n * a) / 3), Math.max(Math.floor((n * a) / 3) + 1, Math.floor((n * b) / 3)));
  const avg = (xs, k) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
  const mid = third(1, 2);
  const last = third(2, 3);
  const rssGrowth = (avg(last, 'rssMb') - avg(mid, 'rssMb')) / avg(mid, 'rssMb');
  const fdGrowth = avg(last, 'fds') - avg(mid, 'fds');
  // least-squares slope over the second half (after warm-up: tables filling, JIT, heap sizing)
  const slope = (k) => {
    const xs = samples.slice(Math.floor(n / 2));
    if (xs.length < 2) return 0;
    const mx = xs.reduce((a, x) => a + x.s, 0) / xs.length;
    const my = xs.reduce((a, x) => a + x[k], 0) / xs.length;
    const num = xs.reduce((a, x) => a + (x.s - mx) * (x[k] - my), 0);
    const den = xs.reduce((a, x) => a + (x.s - mx) ** 2, 0);
    return den ? (num / den) * 60 : 0;
  };
  const result = {
    minutes: o.minutes,
    alive,
    load: count,
    evictions: L.metric(m, 'wapgw_subscriber_evictions_total'),
    rssMb: { first: samples[0].rssMb, min: Math.min(...samples.map((x) => x.rssMb)), max: Math.max(...samples.map((x) => x.rssMb)), midAvg: +avg(mid, 'rssMb').toFixed(1), lastAvg: +avg(last, 'rssMb').toFixed(1), growthPct: +(rssGrowth * 100).toFixed(1) },
    fds: { first: samples[0].fds, max: Math.max(...samples.map((x) => x.fds)), midAvg: +avg(mid, 'fds').toFixed(1), lastAvg: +avg(last, 'fds').toFixed(1) },
    secondHalfSlopePerMinute: { rssMb: +slope('rssMb').toFixed(2), heapMb: +slope('heapMb').toFixed(2), fds: +slope('fds').toFixed(2) },
    flat: (rssGrowth < 0.1 || slope('rssMb') < 1) && fdGrowth <= 4,
    samples,
  };
  const failures = [];
  if (!alive) failures.push('gateway died');
  if (!result.flat) failures.push(`not flat: RSS ${result.rssMb.growthPct} %, fds +${fdGrowth.toFixed(1)}`);
  result.failures = failures;
  console.log(o.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
  if (!o.json) console.log(failures.length ? `FAIL: ${failures.join('; ')}` : 'PASS (flat)');
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
