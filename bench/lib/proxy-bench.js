// What the proxy benchmarks share (bench/proxy/run.js, bench/proxy/cpu.js): free ports, waiting
// for a listener, nginx as the origin (static files, sendfile) and as the proxy doing wapgw's job
// (source -> MSISDN map, 403 when unknown, identity headers, keep-alive upstream), and one wrk
// run with absolute-form request lines (bench/proxy/absolute.lua).
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { sleep } = require('./common');

/** @returns {Promise<number>} a port free on 127.0.0.1 now */
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
      s.close(() => resolve(p));
    });
  });

/** Resolves once something accepts connections on 127.0.0.1:port. */
async function waitPort(port, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} never opened`);
    await sleep(50);
  }
}

/**
 * An nginx configuration in `prefix` with `workers` worker processes (no master for one, so the
 * process measured is the one doing the work), no access log, and `http` inside the http block.
 */
function nginxConf(prefix, workers, http) {
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((d) => `  ${d}_temp_path ${prefix}/${d};`).join('\n');
  return `worker_processes ${workers};
daemon off;
master_process ${workers > 1 ? 'on' : 'off'};
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
${temps}
  keepalive_requests 1000000;
${http}
}
`;
}

/** nginx serving `root` with sendfile: the origin whose cost is small and the same for every proxy. */
function nginxStaticOrigin(prefix, port, root) {
  return nginxConf(
    prefix,
    1,
    `  sendfile on;
  tcp_nopush on;
  server { listen 127.0.0.1:${port}; root ${root}; location / { default_type application/vnd.wap.mms-message; } }`,
  );
}

/** nginx doing the MMS proxy's job in front of 127.0.0.1:originPort. */
function nginxMmsProxy(prefix, port, originPort, workers = 1) {
  return nginxConf(
    prefix,
    workers,
    `  client_max_body_size 1m;
  map $remote_addr $msisdn { default ""; 127.0.0.1 "31611111111"; }
  map $remote_addr $imsi { default ""; 127.0.0.1 "204080000000001"; }
  upstream mmsc { server 127.0.0.1:${originPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      if ($msisdn = "") { return 403; }
      proxy_pass http://mmsc;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:${originPort};
      proxy_set_header X-WAP-Network-Client-IP $remote_addr;
      proxy_set_header X-WAP-Network-Client-MSISDN $msisdn;
      proxy_set_header X-MSISDN $msisdn;
      proxy_set_header X-IMSI $imsi;
    }
  }`,
  );
}

/**
 * Starts nginx with the configuration `conf(prefix)` in a fresh temporary prefix.
 * @param {(prefix: string) => string} conf
 */
function startNginx(conf) {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-ngx-'));
  const file = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(file, conf(prefix));
  return spawn('nginx', ['-p', prefix, '-c', file, '-e', path.join(prefix, 'error.log')], { stdio: 'ignore' });
}

/**
 * One wrk run of absolute-form GETs for `target` through the proxy on `port`.
 * @param {{ port: number, target: string, threads: number, connections: number, duration: number }} o
 */
function wrk(o) {
  const out = execFileSync(
    'wrk',
    ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.duration}s`, '-s', path.join(__dirname, '..', 'proxy', 'absolute.lua'), `http://127.0.0.1:${o.port}/`],
    { env: { ...process.env, TARGET: o.target }, encoding: 'utf8' },
  );
  const t = /Transfer\/sec:\s+([\d.]+)([KMG]?B)/.exec(out);
  /** @type {Record<string, number>} */
  const mult = { B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 };
  return {
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    mbs: t ? Number(t[1]) * (mult[t[2]] ?? 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    errors: /Socket errors:.*/.exec(out)?.[0] ?? '',
    lat: /Latency\s+(\S+)/.exec(out)?.[1] ?? '?',
  };
}

module.exports = { freePort, waitPort, nginxStaticOrigin, nginxMmsProxy, startNginx, wrk };
