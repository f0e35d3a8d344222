/**
 * Shared pieces of the benchmark harness (bench/run.js, bench/scale/*.js): the machine and tool
 * versions, child processes with a time bound and the `RESULT {json}` convention, wapgw started
 * from dist/cli.js on ephemeral loopback ports, a fast origin, and /proc sampling (RSS, CPU time).
 * Plain CommonJS with no dependencies beyond node and the project's own packages.
 *
 * Convention: a benchmark script prints one final line `RESULT {json}` on stdout; bench/run.js
 * takes the last such line. Scripts that do not (yet) are adapted by a parser in bench/run.js.
 */
'use strict';
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const { ROOT, CLI } = require('./wapgw');
const FAKEWAP = process.env.FAKEWAP || '/usr/lib/kannel/test/fakewap';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `--name value`, `--name=value` and bare `--flag` (true), typed by the defaults. */
function args(defaults, argv = process.argv.slice(2)) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(argv[i]);
    if (!m) continue;
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    let v = m[2];
    if (v === undefined) v = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') && typeof defaults[key] !== 'boolean' ? argv[++i] : 'true';
    const d = defaults[key];
    out[key] = typeof d === 'number' ? Number(v) : typeof d === 'boolean' ? v !== 'false' : Array.isArray(d) ? v.split(',').filter(Boolean) : v;
  }
  return out;
}

/** Prints the `RESULT {json}` line bench/run.js collects. */
const emitResult = (obj) => process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);

/** The last `RESULT {json}` line of a script's stdout, or undefined. */
function parseResultLine(stdout) {
  const lines = String(stdout).split('\n').filter((l) => l.startsWith('RESULT '));
  if (!lines.length) return undefined;
  try {
    return JSON.parse(lines[lines.length - 1].slice(7));
  } catch {
    return undefined;
  }
}

const which = (bin) => {
  if (bin.includes('/')) return fs.existsSync(bin) ? bin : undefined;
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
};

function firstLine(cmd, argv) {
  // nginx -v and wrk -v print on stderr (wrk exits 1)
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 5000 });
  const s = `${r.stdout || ''}${r.stderr || ''}`.split('\n').find((l) => l.trim());
  return s ? s.trim() : undefined;
}

const dpkgVersion = (pkg) => {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
};

/** The machine and tool versions, for RESULTS.md. */
function machine() {
  const cpus = os.cpus();
  const git = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  })();
  return {
    nproc: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? '?',
    memoryMB: Math.round(os.totalmem() / 1048576),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    kannel: dpkgVersion('kannel'),
    nginx: which('nginx') ? firstLine('nginx', ['-v'])?.replace(/^nginx version: /, '') : undefined,
    wrk: which('wrk') ? firstLine('wrk', ['-v'])?.split(' [')[0] : undefined,
    git,
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

/** Installed tools and the Debian packages that provide them. */
const TOOLS = {
  fakewap: { path: FAKEWAP, apt: 'kannel-extras' },
  bearerbox: { path: '/usr/sbin/bearerbox', apt: 'kannel' },
  wapbox: { path: '/usr/sbin/wapbox', apt: 'kannel' },
  wrk: { path: 'wrk', apt: 'wrk' },
  nginx: { path: 'nginx', apt: 'nginx-light' },
};
const haveTool = (name) => Boolean(which(TOOLS[name].path));

/**
 * Runs a child with a time bound (SIGTERM, then SIGKILL 3 s later). Resolves with exit code,
 * stdout, stderr, wall time and whether it timed out; never rejects. `echo` streams stderr.
 * @param {string} cmd
 * @param {string[]} argv
 * @param {{ timeoutMs?: number, env?: NodeJS.ProcessEnv, cwd?: string, echo?: boolean }} [opts]
 */
function runChild(cmd, argv, { timeoutMs = 600000, env, cwd = ROOT, echo = false } = {}) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    c.stdout.on('data', (d) => {
      stdout += d;
      if (echo) process.stderr.write(d);
    });
    c.stderr.on('data', (d) => {
      stderr += d;
      if (echo) process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      c.kill('SIGTERM');
      setTimeout(() => c.exitCode === null && c.kill('SIGKILL'), 3000).unref();
    }, timeoutMs);
    c.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${stderr}${err.message}`, ms: performance.now() - t0, timedOut });
    });
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), signal, stdout, stderr, ms: performance.now() - t0, timedOut });
    });
  });
}

/**
 * A fast origin (stand-in MMSC): GET any path, `?size=N` octets (default 40) of preallocated
 * data, `?type=` content type. Keep-alive. Resolves {url, port, close()}.
 */
function origin() {
  const cache = new Map();
  const body = (n) => {
    let b = cache.get(n);
    if (!b) cache.set(n, (b = Buffer.alloc(n, 0x41)));
    return b;
  };
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const params = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
      const n = Math.min(Number(params.get('size') || 40), 4 * 1048576);
      res.writeHead(200, { 'content-type': params.get('type') || 'application/vnd.wap.mms-message', 'content-length': n });
      res.end(body(n));
    });
  });
  srv.keepAliveTimeout = 60000;
  return new Promise((r) =>
    srv.listen(0, '127.0.0.1', () => {
      const port = /** @type {import('node:net').AddressInfo} */ (srv.address()).port;
      r({ port, url: `http://127.0.0.1:${port}`, close: () => srv.close(), server: srv });
    }),
  );
}

/** Node flags the gateway ships with (package.json config.gatewayNodeFlags: npm start, the systemd unit). */
const GATEWAY_NODE_FLAGS = String(require(path.join(ROOT, 'package.json')).config.gatewayNodeFlags || '').split(/\s+/).filter(Boolean);

/**
 * Starts `node [nodeArgs] dist/cli.js start -c FILE` and resolves once it logs `started`, with
 * the `listening` lines seen so far. `onLine(json)` sees every JSON log line (also after start);
 * `stderr: 'inherit'` passes the gateway's stderr through instead of keeping it for errors.
 * @param {string} file
 * `cli`: another build's dist/cli.js (a before/after comparison against another tree).
 * @param {{ cwd?: string, nodeArgs?: string[], timeoutMs?: number, onLine?: (line: any) => void, stderr?: 'pipe' | 'inherit', cli?: string }} [opts]
 */
function spawnGateway(file, { cwd = ROOT, nodeArgs = GATEWAY_NODE_FLAGS, timeoutMs = 20000, onLine, stderr = 'pipe', cli = CLI } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, cli, 'start', '-c', file], {
    cwd,
    stdio: ['ignore', 'pipe', stderr],
  });
  const listeners = [];
  let errOut = '';
  child.stderr?.on('data', (d) => (errOut += d));
  return new Promise((resolve, reject) => {
    let buf = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`wapgw did not start: ${errOut}`)), timeoutMs);
    const onExit = (code) => reject(new Error(`wapgw exited ${code}: ${errOut}`));
    child.on('exit', onExit);
    child.stdout?.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let j;
        try {
          j = JSON.parse(line);
        } catch {
          continue;
        }
        onLine?.(j);
        if (j.msg === 'listening') listeners.push(j);
        if (j.msg === 'started' && j.worker === undefined && !started) {
          started = true;
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve({ child, listeners, stderr: () => errOut });
        }
      }
    });
  });
}

/**
 * Runs Kannel's fakewap and counts its replies. Resolves on 'close', not 'exit': the process can
 * exit before the last of its output has been read, which would undercount the 200s.
 */
function runFakewap(argv, timeoutMs = 60000) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn(FAKEWAP, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        ms: performance.now() - t0,
        ok: (out.match(/status code 200OK/g) || []).length,
        other: [...out.matchAll(/received reply with status (\d+)/g)].map((m) => Number(m[1])),
        out,
      });
    });
  });
}

/**
 * `handsets` fakewap processes at once (one per handset: fakewap's own threads share one TID
 * counter), each running `cycles` Connect+GET+Disconnect cycles of `url` through the gateway's
 * connection-oriented port; resolves with the replies they counted as 200.
 * @param {number} port @param {string} url @param {number} handsets @param {number} cycles
 * @returns {Promise<number>}
 */
async function fakewapCycles(port, url, handsets, cycles) {
  const runs = await Promise.all(
    Array.from({ length: handsets }, () => runChild(FAKEWAP, ['-g', '127.0.0.1', '-i', '0', '-M', '1', '-p', String(port), '-m', String(cycles), url], { timeoutMs: 300000 })),
  );
  return runs.reduce((a, r) => a + (r.stdout.match(/status code 200OK/g) || []).length + (r.stderr.match(/status code 200OK/g) || []).length, 0);
}

/**
 * A WSP-only gateway config (the proxy and admin off, no amplification limit for the load, no
 * per-source session cap: every fakewap process comes from 127.0.0.1), written as YAML (JSON is
 * YAML) into a new temporary directory named by `prefix`. Returns that directory and the file.
 * @param {string} originUrl
 * @param {string} prefix
 */
function wspOnlyConfig(originUrl, prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const cfg = {
    mmsc: { url: `${originUrl}/mms`, timeoutMs: 30000 },
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, connectionlessMaxAmplification: 0, maxSessionsPerSource: 100000 },
    proxy: { enabled: false, allowedNetworks: ['127.0.0.0/8'], requireSubscriber: false },
    admin: { enabled: false },
    log: { level: 'info', accessLog: false },
  };
  const file = path.join(dir, 'wapgw.yaml');
  fs.writeFileSync(file, JSON.stringify(cfg));
  return { dir, file };
}

/**
 * Starts `node [nodeArgs] dist/cli.js start -c <temp config>` with WSP and the proxy on
 * ephemeral loopback ports, admin off, no access log, 127.0.0.1 bound to a static subscriber.
 * `extra` is merged into the config (one level deep). Resolves {child, pid, ports, stop()}.
 */
async function startWapgw(originUrl, { nodeArgs = GATEWAY_NODE_FLAGS, extra = {}, startTimeoutMs = 20000, cli = CLI } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-'));
  const subs = path.join(dir, 'subscribers.yaml');
  fs.writeFileSync(subs, '- ip: 127.0.0.1\n  msisdn: "31611111111"\n  imsi: "204080000000001"\n');
  const cfg = {
    mmsc: { url: `${originUrl}/mms`, timeoutMs: 30000, connections: 128 },
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, connectionlessMaxAmplification: 0, maxSessionsPerSource: 100000 },
    // every load generator connection comes from 127.0.0.1: lift the per-phone connection cap (64)
    proxy: { bind: '127.0.0.1', port: 0, allowedNetworks: ['127.0.0.0/8'], requireSubscriber: true, maxConnectionsPerSource: 10000 },
    subscribers: { staticFile: subs },
    admin: { enabled: false },
    log: { level: 'info', accessLog: false },
  };
  for (const [k, v] of Object.entries(extra)) cfg[k] = { ...(cfg[k] || {}), ...v };
  const file = path.join(dir, 'wapgw.yaml');
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2)); // JSON is YAML
  // the listening/started lines are info: keep the level at info for them, access log off
  const { child, listeners } = await spawnGateway(file, { cwd: dir, nodeArgs, timeoutMs: startTimeoutMs, cli });
  const ports = {};
  for (const j of listeners) ports[j.listener || `${j.component}-${j.protocol}`] = j.port;
  const co = ports['wsp-connection-oriented'] ?? Object.entries(ports).find(([k]) => /oriented|co$/.test(k))?.[1];
  const cl = ports['wsp-connectionless'] ?? Object.entries(ports).find(([k]) => /connectionless|cl$/.test(k))?.[1];
  const proxy = Object.entries(ports).find(([k]) => /proxy/.test(k))?.[1];
  const stop = async (ms = 8000) => {
    if (child.exitCode !== null) return child.exitCode;
    const done = new Promise((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    const code = await done;
    clearTimeout(t);
    fs.rmSync(dir, { recursive: true, force: true });
    return code;
  };
  return { child, pid: child.pid, ports: { ...ports, co, cl, proxy }, dir, stop };
}

/**
 * Kannel's bearerbox + wapbox as a WAP gateway (configured like bench/wsp/run.js and
 * shared/interop/kannel/record.sh). Kannel listens on its fixed ports: WSP 9200/9201, admin
 * 13900, box 13902, so nothing else may use them. Resolves {pids, ports: {co, cl}, stop()}.
 */
async function startKannel() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-kannel-'));
  fs.writeFileSync(
    path.join(dir, 'kannel.conf'),
    ['group = core', 'admin-port = 13900', 'admin-password = x', 'admin-allow-ip = "127.0.0.1"', 'wapbox-port = 13902', 'wdp-interface-name = "*"', 'box-allow-ip = "127.0.0.1"', 'log-level = 4', '', 'group = wapbox', 'bearerbox-host = localhost', 'log-level = 4', 'syslog-level = none', ''].join('\n'),
  );
  const bb = spawn(which('bearerbox') || '/usr/sbin/bearerbox', ['kannel.conf'], { cwd: dir, stdio: 'ignore' });
  await sleep(1500);
  const wb = spawn(which('wapbox') || '/usr/sbin/wapbox', ['kannel.conf'], { cwd: dir, stdio: 'ignore' });
  await sleep(2500);
  const stop = async () => {
    wb.kill('SIGTERM');
    await sleep(500);
    bb.kill('SIGTERM');
    await sleep(500);
    if (wb.exitCode === null) wb.kill('SIGKILL');
    if (bb.exitCode === null) bb.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { pids: [bb.pid, wb.pid], ports: { co: 9201, cl: 9200 }, stop };
}

/** Resolves true when Kannel's fixed ports (UDP 9200/9201, TCP 13900/13902) are all free here. */
async function kannelPortsFree() {
  const dgram = require('node:dgram');
  const net = require('node:net');
  const udpFree = (port) =>
    new Promise((r) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => r(false));
      s.bind(port, '0.0.0.0', () => s.close(() => r(true)));
    });
  const tcpFree = (port) =>
    new Promise((r) => {
      const s = net.createServer();
      s.once('error', () => r(false));
      s.listen(port, '0.0.0.0', () => s.close(() => r(true)));
    });
  const all = await Promise.all([udpFree(9200), udpFree(9201), tcpFree(13900), tcpFree(13902)]);
  return all.every(Boolean);
}

/** RSS of a process in MB, from /proc. */
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) of a process in ms, from /proc/PID/stat (clock ticks of 10 ms). */
function cpuMs(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state(3) ... utime(14) stime(15) -> indexes 11 and 12 here
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Percentile (0..100) of an unsorted array of numbers (nearest rank). */
function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

module.exports = {
  ROOT,
  GATEWAY_NODE_FLAGS,
  spawnGateway,
  runFakewap,
  fakewapCycles,
  FAKEWAP,
  TOOLS,
  sleep,
  args,
  emitResult,
  parseResultLine,
  which,
  haveTool,
  machine,
  runChild,
  origin,
  startWapgw,
  wspOnlyConfig,
  startKannel,
  kannelPortsFree,
  rssMb,
  cpuMs,
  percentile,
};
