#!/usr/bin/env node
// MMS proxy CPU per request: the real gateway (`dist/cli.js start`, 1 process, or `--workers 2`
// with the Redis store) against nginx doing the same job (1 worker, or 2 workers), both in front
// of an ORIGIN that is nginx serving static files with sendfile (so the origin's cost is small and
// the same for both). wrk sends absolute-form GETs for a 300 KB file and a 128-octet file.
//
// The judge is CPU per request: the proxy's own processes' utime+stime (/proc/PID/stat; for
// --workers the primary and every worker, for nginx the master and its workers) over the requests
// wrk completed. On a shared 2-core machine req/s moves with whatever else runs; CPU/request far
// less. req/s is printed beside it.
//
// Usage: npm run build && node bench/proxy/cpu.js [--duration 5] [--connections 32] [--threads 2] [--rounds 3]
//        [--workers 1,2] [--sizes 300k,small] [--skip-nginx] [--cpu-prof DIR (wapgw under node --cpu-prof)]
//        [--perf-map: wapgw with --perf-basic-prof-only-functions, for `perf record -g -p PID`]
//        [--node-flags=FLAGS: more node flags for wapgw (space-separated, after "="), beside --max-semi-space-size=8]
//        [--floor: also bench/proxy/floor.js, the least a Node relay spends, with 1 worker]
//        [--floor-script floor-raw.js: that floor on raw sockets instead of node:http toward wrk]
// Needs wrk, nginx and (for --workers 2) redis-server.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { args, cpuMs, spawnGateway, sleep, emitResult } = require('../lib/common');
const PB = require('../lib/proxy-bench');
const { freePort, waitPort } = PB;

const o = args({ duration: 5, connections: 32, threads: 2, rounds: 3, workers: ['1', '2'], sizes: ['300k', 'small'], skipNginx: false, cpuProf: '', perfMap: false, nodeFlags: '', floor: false, floorScript: 'floor.js' });
for (const bin of ['wrk', 'nginx', 'redis-server']) {
  try {
    execFileSync('which', [bin], { stdio: 'ignore' });
  } catch {
    console.error(`${bin} is not installed; skipping the proxy CPU benchmark`);
    process.exit(0);
  }
}
const here = __dirname;
const children = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

/** @param {(prefix: string) => string} conf */
function startNginx(conf) {
  const c = PB.startNginx(conf);
  children.push(c);
  return c;
}

const childPids = (pid) => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const cpuOf = (pids) => pids.reduce((s, p) => s + cpuMs(p), 0);

const wrk = (port, target) => PB.wrk({ port, target, threads: o.threads, connections: o.connections, duration: o.duration });

/** One measured wrk run: requests, req/s and CPU ms of `pids` per request. */
function measure(port, target, pids) {
  const before = cpuOf(pids);
  const r = wrk(port, target);
  const cpu = cpuOf(pids) - before;
  return { ...r, cpuMs: cpu, cpuUsPerReq: r.requests > 0 ? (cpu * 1000) / r.requests : NaN };
}

(async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-root-'));
  fs.writeFileSync(path.join(root, '300k'), Buffer.alloc(300 * 1024, 0x61));
  fs.writeFileSync(path.join(root, 'small'), Buffer.alloc(128, 0x62));
  const originPort = await freePort();
  startNginx((p) => PB.nginxStaticOrigin(p, originPort, root));
  await waitPort(originPort);

  // the Redis store for --workers (each worker a process; the static file binds 127.0.0.1 in every one)
  const redisPort = await freePort();
  const redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-redis-'));
  children.push(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--dir', redisDir], { stdio: 'ignore' }));
  await waitPort(redisPort);

  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`# load average before: ${load}; ${os.cpus().length} CPUs; node ${process.version}`);
  console.log(`# wrk -t${o.threads} -c${o.connections} -d${o.duration}s, absolute-form GETs; origin: nginx static files (sendfile)`);
  const results = [];
  for (const workers of o.workers.map(Number)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-gw-'));
    fs.writeFileSync(path.join(dir, 'subs.yaml'), '- ip: 127.0.0.1\n  msisdn: "31611111111"\n  imsi: "204080000000001"\n');
    const ourPort = await freePort();
    const cfg = {
      mmsc: { url: `http://127.0.0.1:${originPort}/mms`, timeoutMs: 30000 },
      wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0 },
      proxy: { bind: '127.0.0.1', port: ourPort, allowedNetworks: ['127.0.0.0/8'], maxConnectionsPerSource: 10000 },
      admin: { bind: '127.0.0.1', port: 0 },
      subscribers: { staticFile: path.join(dir, 'subs.yaml'), ...(workers > 1 ? { store: 'redis', redis: { url: `redis://127.0.0.1:${redisPort}`, keyPrefix: 'bench:' } } : {}) },
      process: { workers },
      log: { level: 'info', accessLog: false }, // nginx: access_log off too
    };
    fs.writeFileSync(path.join(dir, 'wapgw.yaml'), JSON.stringify(cfg));
    const extraFlags = o.nodeFlags.split(/\s+/).filter(Boolean);
    const nodeArgs = o.cpuProf
      ? ['--max-semi-space-size=8', '--cpu-prof', `--cpu-prof-dir=${path.resolve(o.cpuProf)}`]
      : o.perfMap
        ? ['--max-semi-space-size=8', '--perf-basic-prof-only-functions', ...extraFlags]
        : extraFlags.length > 0
          ? ['--max-semi-space-size=8', ...extraFlags]
          : undefined;
    const gw = await spawnGateway(path.join(dir, 'wapgw.yaml'), { timeoutMs: 60000, ...(nodeArgs ? { nodeArgs } : {}) });
    children.push(gw.child);
    await waitPort(ourPort);
    const ourPids = [gw.child.pid, ...childPids(gw.child.pid)];
    const ngxPort = await freePort();
    const ngx = startNginx((p) => PB.nginxMmsProxy(p, ngxPort, originPort, workers));
    await waitPort(ngxPort);
    await sleep(200);
    const ngxPids = [ngx.pid, ...childPids(ngx.pid)];
    // the Node floor (bench/proxy/floor.js), one process: only beside one wapgw process
    let floor;
    if (o.floor && workers === 1) {
      const floorPort = await freePort();
      const child = spawn(process.execPath, [path.join(here, o.floorScript), String(floorPort), String(originPort)], { stdio: 'ignore' });
      children.push(child);
      await waitPort(floorPort);
      floor = { port: floorPort, child };
    }
    for (const size of o.sizes) {
      const target = `http://127.0.0.1:${originPort}/${size}`;
      for (const port of [ourPort, ...(o.skipNginx ? [] : [ngxPort]), ...(floor ? [floor.port] : [])]) wrk(port, target); // warm-up (JIT, keep-alive pools)
      /** @type {{ wapgw: ReturnType<typeof measure>[], nginx: ReturnType<typeof measure>[], floor: ReturnType<typeof measure>[] }} */
      const runs = { wapgw: [], nginx: [], floor: [] };
      for (let i = 0; i < o.rounds; i++) {
        runs.wapgw.push(measure(ourPort, target, ourPids));
        if (!o.skipNginx) runs.nginx.push(measure(ngxPort, target, ngxPids));
        if (floor) runs.floor.push(measure(floor.port, target, [floor.child.pid]));
      }
      const med = (xs, k) => [...xs].sort((a, b) => a[k] - b[k])[Math.floor(xs.length / 2)][k];
      const ours = { cpu: med(runs.wapgw, 'cpuUsPerReq'), rps: med(runs.wapgw, 'rps') };
      const theirs = o.skipNginx ? { cpu: NaN, rps: NaN } : { cpu: med(runs.nginx, 'cpuUsPerReq'), rps: med(runs.nginx, 'rps') };
      const r = {
        workers,
        size,
        wapgwCpuUsPerReq: Number(ours.cpu.toFixed(1)),
        nginxCpuUsPerReq: Number(theirs.cpu.toFixed(1)),
        cpuRatio: Number((theirs.cpu / ours.cpu).toFixed(2)),
        wapgwRps: Math.round(ours.rps),
        nginxRps: Math.round(theirs.rps),
        rpsRatio: Number((ours.rps / theirs.rps).toFixed(2)),
        non2xx: runs.wapgw.reduce((s, x) => s + x.non2xx, 0) + runs.nginx.reduce((s, x) => s + x.non2xx, 0),
        ...(floor ? { floorCpuUsPerReq: Number(med(runs.floor, 'cpuUsPerReq').toFixed(1)), floorRps: Math.round(med(runs.floor, 'rps')) } : {}),
      };
      results.push(r);
      console.log(
        `workers ${workers} ${size.padEnd(5)} CPU/req wapgw ${r.wapgwCpuUsPerReq} us, nginx ${r.nginxCpuUsPerReq} us -> nginx/ours ${r.cpuRatio}x` +
          ` | req/s wapgw ${r.wapgwRps}, nginx ${r.nginxRps} -> ${r.rpsRatio}x` +
          `  (rounds CPU us/req: ${runs.wapgw.map((x) => x.cpuUsPerReq.toFixed(0)).join(',')} vs ${runs.nginx.map((x) => x.cpuUsPerReq.toFixed(0)).join(',')})` +
          (r.non2xx ? `  NON-2xx: ${r.non2xx}` : '') +
          (floor ? `\n  Node floor (bench/proxy/${o.floorScript}): CPU/req ${r.floorCpuUsPerReq} us, req/s ${r.floorRps}` : ''),
      );
    }
    gw.child.kill('SIGTERM');
    ngx.kill('SIGTERM');
    floor?.child.kill('SIGTERM');
    await sleep(500);
  }
  emitResult({ bench: 'proxy-cpu', load, results });
  cleanup();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  cleanup();
  process.exit(1);
});
