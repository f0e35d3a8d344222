#!/usr/bin/env node
/**
 * CPU profile of the hot paths: runs `node --cpu-prof dist/cli.js start ...` (loopback,
 * ephemeral ports, access log as chosen), drives it with the WSP load (bench/scale/wsp-load.js,
 * 50 handsets doing Connect+GET+Disconnect) and, in a second gateway, with the proxy load (wrk,
 * 300 KB GETs through the proxy), stops it with SIGTERM (the profile is written on exit) and
 * prints the top self-time functions of each .cpuprofile (self time = the sampled time whose
 * top frame is the function; V8's `timeDeltas` summed per sample).
 *
 *   node bench/scale/profile.js [--only wsp,proxy] [--seconds 8] [--top 25] [--keep DIR] [--access-log]
 *        [--driver node|fakewap]   (fakewap: 50 fakewap processes x 100 cycles instead of wsp-load.js)
 *   node bench/scale/profile.js --read FILE.cpuprofile [--top 25]
 *
 * Final line: `RESULT {json}` with, per load, the top functions ({fn, where, selfMs, pct}).
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const L = require('../lib/common');
const { runWspLoad } = require('./wsp-load');

const o = L.args({ only: ['wsp', 'proxy'], seconds: 8, top: 25, keep: '', read: '', accessLog: false, driver: 'node' });

/** 50 fakewap processes (one per handset, as bench/wsp/run.js), `cycles` Connect+GET+Disconnect in all. */
async function fakewapLoad(port, url, handsets = 50, cycles = 5000) {
  const t0 = performance.now();
  const ok = await L.fakewapCycles(port, url, handsets, Math.ceil(cycles / handsets));
  const seconds = (performance.now() - t0) / 1000;
  return { driver: 'fakewap', handsets, cycles, ok, seconds: +seconds.toFixed(2), perSecond: +(ok / seconds).toFixed(1) };
}

/**
 * Self time per function of a .cpuprofile, sorted, with the share of the samples. Only the
 * samples whose timestamp (profile.startTime + the running sum of timeDeltas, µs on the
 * monotonic clock that process.hrtime also reads) falls in [fromUs, toUs] count, so startup and
 * shutdown can be left out. On a busy machine a gap between two samples can be a long
 * descheduling, so each sample counts as the median sampling interval, not its own delta.
 */
function topSelf(profile, top = 25, fromUs = -Infinity, toUs = Infinity) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas || [];
  const sorted = Float64Array.from(deltas).sort();
  const interval = (sorted[Math.floor(sorted.length / 2)] || 1000) / 1000; // ms
  let ts = profile.startTime;
  let count = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    ts += deltas[i] || 0;
    if (ts < fromUs || ts > toUs) continue;
    count++;
    const n = byId.get(profile.samples[i]);
    if (!n) continue;
    const cf = n.callFrame;
    const url = cf.url || '';
    const where = url ? `${url.replace(/^file:\/\//, '').replace(`${L.ROOT}/`, '').replace(/^.*node_modules\//, 'node_modules/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}\u0000${where}`;
    self.set(key, (self.get(key) || 0) + 1);
  }
  const total = count * interval;
  const rows = [...self.entries()]
    .map(([k, n]) => {
      const [fn, where] = k.split('\u0000');
      return { fn, where, selfMs: +(n * interval).toFixed(1), pct: +((100 * n) / (count || 1)).toFixed(1) };
    })
    .sort((a, b) => b.selfMs - a.selfMs);
  // time in our own code (dist/), in node_modules, in node internals, and the V8 categories
  const groups = { ours: 0, deps: 0, node: 0, gc: 0, idle: 0, program: 0, other: 0 };
  for (const r of rows) {
    if (r.fn === '(garbage collector)') groups.gc += r.selfMs;
    else if (r.fn === '(idle)') groups.idle += r.selfMs;
    else if (r.fn === '(program)') groups.program += r.selfMs;
    else if (r.where.startsWith('dist/')) groups.ours += r.selfMs;
    else if (r.where.startsWith('node_modules/')) groups.deps += r.selfMs;
    else if (r.where.startsWith('node:')) groups.node += r.selfMs;
    else groups.other += r.selfMs;
  }
  for (const k of Object.keys(groups)) groups[k] = +((100 * groups[k]) / (total || 1)).toFixed(1);
  // self time per file of ours and per dependency package
  const files = new Map();
  for (const r of rows) {
    const m = /^(dist\/.*?\.js|node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(r.where);
    if (m) files.set(m[1], (files.get(m[1]) || 0) + r.selfMs);
  }
  const byFile = [...files.entries()].map(([file, ms]) => ({ file, selfMs: +ms.toFixed(1), pct: +((100 * ms) / (total || 1)).toFixed(1) })).sort((a, b) => b.selfMs - a.selfMs).slice(0, 12);
  return {
    byFile, totalMs: +total.toFixed(0), samples: count, intervalMs: +interval.toFixed(3), sharePct: groups, top: rows.slice(0, top) };
}

const print = (title, t) => {
  console.log(`\n## ${title}: ${t.samples} samples (~${t.totalMs} ms); share %: ${Object.entries(t.sharePct).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log('| self ms | % | function | where |\n|---:|---:|---|---|');
  for (const r of t.top) console.log(`| ${r.selfMs} | ${r.pct} | \`${r.fn}\` | ${r.where} |`);
  console.log(`\nby file: ${t.byFile.map((x) => `${x.file} ${x.pct} %`).join(', ')}`);
};

async function profiled(name, drive) {
  const dir = o.keep ? path.resolve(o.keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-prof-'));
  fs.mkdirSync(dir, { recursive: true });
  const org = await L.origin();
  const gw = await L.startWapgw(org.url, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}.cpuprofile`], extra: { log: { accessLog: o.accessLog } } });
  let load;
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  let from;
  let to;
  try {
    from = nowUs();
    load = await drive(gw, org);
    to = nowUs();
  } finally {
    await gw.stop(15000);
    org.close();
  }
  const file = path.join(dir, `${name}.cpuprofile`);
  const t = topSelf(JSON.parse(fs.readFileSync(file, 'utf8')), o.top, from, to);
  if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
  return { load, ...t, file: o.keep ? file : undefined };
}

async function main() {
  if (o.read) {
    const t = topSelf(JSON.parse(fs.readFileSync(o.read, 'utf8')), o.top);
    print(o.read, t);
    L.emitResult(t);
    return;
  }
  const result = {};
  if (o.only.includes('wsp')) {
    result.wsp = await profiled('wsp', async (gw, org) => {
      const url = `${org.url}/mms/get?size=40&type=text/plain`;
      if (o.driver === 'fakewap') {
        const r = await fakewapLoad(gw.ports.co, url);
        console.log(`WSP load (fakewap) under --cpu-prof: ${r.ok} cycles, ${r.perSecond}/s`);
        return r;
      }
      const r = await runWspLoad({ port: gw.ports.co, url, handsets: 50, seconds: o.seconds });
      console.log(`WSP load under --cpu-prof: ${r.ok} cycles, ${r.perSecond}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      return r;
    });
    print('WSP load (50 handsets, Connect+GET+Disconnect)', result.wsp);
  }
  if (o.only.includes('proxy') && L.haveTool('wrk')) {
    result.proxy = await profiled('proxy', async (gw, org) => {
      const lua = path.join(L.ROOT, 'bench', 'proxy', 'absolute.lua');
      const r = await L.runChild('wrk', ['-t', '2', '-c', '32', '-d', `${o.seconds}s`, '-s', lua, `http://127.0.0.1:${gw.ports.proxy}/`], {
        env: { TARGET: `${org.url}/mms/get?size=307200` },
        timeoutMs: (o.seconds + 30) * 1000,
      });
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
      console.log(`proxy load under --cpu-prof: ${rps} req/s (300 KB GETs, 32 connections)`);
      return { perSecond: rps };
    });
    print('proxy load (wrk -c32, 300 KB GETs)', result.proxy);
  }
  L.emitResult(result);
}

module.exports = { topSelf };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
