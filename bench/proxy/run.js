#!/usr/bin/env node
// MMS proxy benchmark: wrk through our proxy and through nginx doing the same job (one worker,
// `map $remote_addr $msisdn`, 403 when unknown, identity headers set, keep-alive upstream) toward
// the same fast origin (bench/proxy/origin.js, preallocated buffers), for 300 KB retrievals and
// small requests, absolute-form request lines as Android sends them.
// Usage: npm run build && node bench/proxy/run.js [--duration 5] [--connections 32] [--threads 2] [--rounds 3]
// Each (server, size) is warmed up, then measured `rounds` times, alternating servers so both see
// the same machine noise; the median round is reported with the ratio ours/nginx.
// Needs wrk and nginx (nginx-light). On a small machine wrk, the origin and the proxy share CPUs.
'use strict';
const PB = require('../lib/proxy-bench');
const { freePort, waitPort } = PB;
const { cpuMs } = require('../lib/common');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const duration = Number(arg('duration', 5));
const connections = Number(arg('connections', 32));
const threads = Number(arg('threads', 2));
const rounds = Number(arg('rounds', 3));
const here = __dirname;

for (const bin of ['wrk', 'nginx']) {
  try {
    execFileSync('which', [bin], { stdio: 'ignore' });
  } catch {
    console.error(`${bin} is not installed; skipping the proxy benchmark`);
    process.exit(0);
  }
}
if (!fs.existsSync(require('../lib/wapgw').CLI)) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}

const children = [];
function start(cmd, args, readyRe) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(c);
    let out = '';
    const onData = (d) => {
      out += d;
      if (readyRe.test(out)) resolve(c);
    };
    c.stdout.on('data', onData);
    c.stderr.on('data', onData);
    c.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out}`)));
  });
}
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function wrk(port, target, pid) {
  const cpu0 = cpuMs(pid);
  const r = PB.wrk({ port, target, threads, connections, duration });
  // the server process's CPU per request (µs): the judge on a shared machine, not req/s
  const cpuUs = r.requests > 0 ? ((cpuMs(pid) - cpu0) * 1000) / r.requests : NaN;
  return { ...r, cpuUs };
}

(async () => {
  const originPort = await freePort();
  await start('node', [path.join(here, 'origin.js'), String(originPort)], /ready/);
  const oursPort = await freePort();
  const oursChild = await start('node', [path.join(here, 'proxy-child.js'), String(oursPort), String(originPort)], /ready/);
  const nginxPort = await freePort();
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-nginx-'));
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), PB.nginxMmsProxy(prefix, nginxPort, originPort));
  const ng = spawn('nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], { stdio: 'ignore' });
  children.push(ng);
  await waitPort(nginxPort);

  console.log(`# load average before: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`# MMS proxy benchmark: wrk -t${threads} -c${connections} -d${duration}s, absolute-form GETs, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
  const results = {};
  const median = (xs) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)];
  for (const size of ['300k', 'small']) {
    const target = `http://127.0.0.1:${originPort}/${size}`;
    const servers = [['wapgw', oursPort, oursChild.pid], ['nginx', nginxPort, ng.pid]];
    for (const [, port] of servers) {
      // warm-up (JIT, keep-alive pools on both sides)
      execFileSync('wrk', ['-t', String(threads), '-c', String(connections), '-d2s', '-s', path.join(here, 'absolute.lua'), `http://127.0.0.1:${port}/`], {
        env: { ...process.env, TARGET: target },
        stdio: 'ignore',
      });
    }
    /** @type {Record<string, ReturnType<typeof wrk>[]>} */
    const runs = { wapgw: [], nginx: [] };
    for (let i = 0; i < rounds; i++) for (const [name, port, pid] of servers) runs[name].push(wrk(port, target, pid));
    for (const [name] of servers) {
      const r = median(runs[name]);
      results[`${name}/${size}`] = r;
      console.log(
        `${name.padEnd(6)} ${size.padEnd(6)} ${r.rps.toFixed(0).padStart(8)} req/s ${r.mbs.toFixed(1).padStart(8)} MB/s  latency avg ${r.lat}` +
          `  CPU ${r.cpuUs.toFixed(0)} µs/req (rounds: ${runs[name].map((x) => x.cpuUs.toFixed(0)).join(', ')})` +
          `  (rounds: ${runs[name].map((x) => x.rps.toFixed(0)).join(', ')} req/s)` +
          (r.non2xx ? `  NON-2xx: ${r.non2xx}` : '') + (r.errors ? `  ${r.errors}` : ''),
      );
    }
    const ours = results[`wapgw/${size}`];
    const theirs = results[`nginx/${size}`];
    const ratio = theirs.rps > 0 ? ours.rps / theirs.rps : 0;
    // rounds run back to back, so each pair saw similar machine load: their ratios are steadier
    const paired = runs.wapgw.map((r, i) => (runs.nginx[i].rps > 0 ? r.rps / runs.nginx[i].rps : 0)).sort((a, b) => a - b);
    const pairedMedian = paired[Math.floor(paired.length / 2)];
    console.log(
      `ratio  ${size.padEnd(6)} wapgw/nginx = ${ratio.toFixed(2)}x (median of round pairs ${pairedMedian.toFixed(2)}x: ${paired.map((x) => x.toFixed(2)).join(', ')})` +
        (size === '300k' ? `  goal >= 0.5x: ${Math.min(ratio, pairedMedian) >= 0.5 ? 'met' : 'NOT met'}` : ''),
    );
  }
  cleanup();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  cleanup();
  process.exit(1);
});
