#!/usr/bin/env node
/**
 * Scale curves (issue 7):
 *   - WSP: throughput and p50/p99 latency of Connect+GET+Disconnect against concurrency
 *     (1, 10, 50, 200 handsets; bench/scale/wsp-load.js, one UDP socket per handset), for
 *     wapgw and, when installed, for Kannel (bearerbox + wapbox on its fixed ports; --no-kannel);
 *   - proxy: the same for GETs through the MMS proxy (wrk --latency, absolute-form requests as
 *     Android sends them, 1, 10, 50, 200 connections), small replies and 300 KB replies;
 *   - CPU time per transaction of the gateway process (utime+stime from /proc/PID/stat,
 *     before/after each point) and its RSS after each point;
 *   - subscriber table: lookup latency and memory per binding against table size (1 k, 100 k,
 *     1 M bindings; runs bench/subscribers.js for each size).
 * One wapgw (node dist/cli.js start, access log off, loopback, a static subscriber for
 * 127.0.0.1) serves the WSP and proxy points; a local origin plays the MMSC.
 *
 *   node bench/scale/curves.js [--only wsp,proxy,subscribers] [--levels 1,10,50,200]
 *        [--seconds 5] [--sizes 1000,100000,1000000] [--plot bench/plots/scale.svg] [--access-log] [--kannel false]
 *
 * Prints a table per curve and a final `RESULT {json}` line.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const L = require('../lib/common');
const { runWspLoad } = require('./wsp-load');
const { scalePlot } = require('./plot');

const o = L.args({ kannel: true, only: ['wsp', 'proxy', 'subscribers'], levels: ['1', '10', '50', '200'], seconds: 5, sizes: ['1000', '100000', '1000000'], plot: '', accessLog: false });
const levels = o.levels.map(Number);

/** wrk's --latency distribution line for a percentile, in ms. */
function wrkPercentile(out, p) {
  const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
}

async function wspCurve(gw, org, name = 'wsp') {
  const url = `${org.url}/mms/get?size=40&type=text/plain`;
  const pids = gw.pids || [gw.pid];
  const cpuNow = () => pids.reduce((a, p) => a + L.cpuMs(p), 0);
  // warm-up (JIT, upstream pool)
  await runWspLoad({ port: gw.ports.co, url, handsets: 10, seconds: 1 });
  const rows = [];
  for (const n of levels) {
    const c0 = cpuNow();
    const r = await runWspLoad({ port: gw.ports.co, url, handsets: n, seconds: o.seconds, timeoutMs: 15000 });
    const cpu = cpuNow() - c0;
    const row = { handsets: n, perSecond: r.perSecond, p50Ms: r.p50Ms, p99Ms: r.p99Ms, ok: r.ok, failed: r.failed, retransmits: r.retransmits, cpuMsPerCycle: +(cpu / Math.max(1, r.ok)).toFixed(3), rssMB: +pids.reduce((a, p) => a + L.rssMb(p), 0).toFixed(1) };
    if (r.failed) row.errors = r.errors;
    rows.push(row);
    console.log(`${name.padEnd(6)}${String(n).padStart(4)} handsets: ${String(r.perSecond).padStart(8)} cycles/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  cpu ${row.cpuMsPerCycle} ms/cycle  rss ${row.rssMB} MB  (${r.ok} ok, ${r.failed} failed)`);
  }
  return rows;
}

async function proxyCurve(gw, org) {
  if (!L.haveTool('wrk')) {
    console.log('proxy curve skipped: wrk is not installed (apt-get install wrk)');
    return undefined;
  }
  const lua = path.join(L.ROOT, 'bench', 'proxy', 'absolute.lua');
  const out = {};
  for (const [label, q] of [['small', 'size=128'], ['300k', 'size=307200']]) {
    const target = `${org.url}/mms/get?${q}`;
    const env = { TARGET: target };
    await L.runChild('wrk', ['-t', '2', '-c', '10', '-d', '1s', '-s', lua, `http://127.0.0.1:${gw.ports.proxy}/`], { env, timeoutMs: 20000 });
    out[label] = [];
    for (const c of levels) {
      const c0 = L.cpuMs(gw.pid);
      const r = await L.runChild('wrk', ['-t', String(Math.min(2, c)), '-c', String(c), '-d', `${o.seconds}s`, '--latency', '-s', lua, `http://127.0.0.1:${gw.ports.proxy}/`], { env, timeoutMs: (o.seconds + 30) * 1000 });
      const cpu = L.cpuMs(gw.pid) - c0;
      const total = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
      const row = {
        connections: c,
        perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0),
        p50Ms: wrkPercentile(r.stdout, 50),
        p99Ms: wrkPercentile(r.stdout, 99),
        requests: total,
        non2xx,
        cpuMsPerRequest: +(cpu / Math.max(1, total)).toFixed(3),
        rssMB: +L.rssMb(gw.pid).toFixed(1),
      };
      const sock = /Socket errors:.*/.exec(r.stdout)?.[0];
      if (sock) row.socketErrors = sock;
      out[label].push(row);
      console.log(`proxy ${label.padEnd(5)} ${String(c).padStart(4)} conns: ${String(row.perSecond).padStart(8)} req/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms  cpu ${row.cpuMsPerRequest} ms/req  rss ${row.rssMB} MB${non2xx ? `  NON-2xx ${non2xx}` : ''}`);
    }
  }
  return out;
}

async function subscriberCurve() {
  const rows = [];
  for (const n of o.sizes.map(Number)) {
    const r = await L.runChild(process.execPath, ['--expose-gc', path.join(L.ROOT, 'bench', 'subscribers.js'), String(n)], { timeoutMs: 300000 });
    const j = L.parseResultLine(r.stdout) ?? (() => {
      try {
        return JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
      } catch {
        return undefined;
      }
    })();
    if (!j) {
      console.log(`subscribers ${n}: no result (exit ${r.code}) ${r.stderr.slice(0, 200)}`);
      continue;
    }
    const row = { bindings: n, heapMB: j.heapGrowthMB, bytesPerBinding: j.bytesPerBinding, lookupHitNs: j.lookupHitNsEach, lookupMissNs: j.lookupMissNsEach, bindNs: j.bindNsEach };
    rows.push(row);
    console.log(`subscribers ${String(n).padStart(8)}: ${row.heapMB} MB (${row.bytesPerBinding} B each), lookup hit ${row.lookupHitNs} ns, miss ${row.lookupMissNs} ns, bind ${row.bindNs} ns`);
  }
  return rows;
}

async function main() {
  const result = { seconds: o.seconds, levels, accessLog: o.accessLog };
  if (o.only.includes('wsp') || o.only.includes('proxy')) {
    const org = await L.origin();
    const gw = await L.startWapgw(org.url, { extra: { log: { accessLog: o.accessLog }, wtp: { tidCacheSize: 200000 } } });
    result.idleRssMB = +L.rssMb(gw.pid).toFixed(1);
    try {
      if (o.only.includes('wsp')) result.wsp = await wspCurve(gw, org);
      if (o.only.includes('proxy')) result.proxy = await proxyCurve(gw, org);
    } finally {
      await gw.stop();
      org.close();
    }
  }
  // the same WSP curve against Kannel (bearerbox + wapbox; its CPU and RSS are the two processes')
  if (o.only.includes('wsp') && o.kannel && L.haveTool('bearerbox') && L.haveTool('wapbox') && !(await L.kannelPortsFree())) {
    console.log('kannel curve skipped: its ports (9200, 9201, 13900, 13902) are in use');
  } else if (o.only.includes('wsp') && o.kannel && L.haveTool('bearerbox') && L.haveTool('wapbox')) {
    const org = await L.origin();
    const k = await L.startKannel();
    try {
      result.kannelWsp = await wspCurve(k, org, 'kannel');
    } finally {
      await k.stop();
      org.close();
    }
  }
  if (o.only.includes('subscribers')) result.subscribers = await subscriberCurve();
  if (o.plot) {
    fs.mkdirSync(path.dirname(path.resolve(o.plot)), { recursive: true });
    fs.writeFileSync(o.plot, scalePlot(result));
    console.log(`plot written to ${o.plot}`);
  }
  L.emitResult(result);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
