#!/usr/bin/env node
/**
 * WSP benchmark: Kannel's fakewap as the handsets, against wapgw (node dist/cli.js) and
 * against Kannel (bearerbox + wapbox, configured like shared/interop/kannel/record.sh), in one
 * run with the same origin. Needs: npm run build, kannel, kannel-extras (fakewap).
 *
 *   node bench/wsp/run.js [--clients 50] [--requests 5000] [--big 3] [--warmup 3000] [--wtp-no-verify] [--skip-kannel] [--skip-wapgw]
 *
 * Scenario 1: CLIENTS concurrent handsets (one fakewap process each, see below) making REQUESTS
 * Connect+GET+Disconnect in total.
 * Scenario 2: BIG sequential retrievals of a 300 000-octet body (SAR), time per retrieval.
 * Prints wall times, the gateways' CPU seconds (a fairer figure on a busy machine), ratios
 * (Kannel / wapgw) and wapgw's RSS after the load.
 * Kannel listens on its fixed ports (9200/9201, admin 13900, box 13902): run nothing else there.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { FAKEWAP, runFakewap, spawnGateway } = require('../lib/common');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const CLIENTS = arg('clients', 50);
const REQUESTS = arg('requests', 5000);
const BIG = arg('big', 3);
const WARMUP = arg('warmup', 3000);
/** wapgw with wtp.tidVerification off (no Ack(TIDve) exchange; Kannel never verifies a first contact either). */
const NO_VERIFY = process.argv.includes('--wtp-no-verify');
const SKIP_KANNEL = process.argv.includes('--skip-kannel');
const SKIP_WAPGW = process.argv.includes('--skip-wapgw');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function origin() {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const n = Number(u.searchParams.get('size') || 40);
      const body = Buffer.alloc(n, 0x41);
      res.writeHead(200, { 'content-type': u.searchParams.get('type') || 'application/vnd.wap.mms-message', 'content-length': n });
      res.end(body);
    });
  });
  srv.keepAliveTimeout = 60000;
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}

const fakewap = runFakewap;

async function startWapgw(dir, originUrl) {
  const cfg = path.join(dir, 'wapgw.yaml');
  fs.writeFileSync(
    cfg,
    [
      `mmsc: { url: "${originUrl}/mms", timeoutMs: 30000 }`,
      'wsp: { bind: "127.0.0.1", connectionlessPort: 0, connectionOrientedPort: 0, connectionlessMaxAmplification: 0, maxSessionsPerSource: 100000 }',
      'proxy: { enabled: false, allowedNetworks: ["127.0.0.0/8"], requireSubscriber: false }',
      'admin: { enabled: false }',
      'log: { level: info, accessLog: false }',
      ...(NO_VERIFY ? ['wtp: { tidVerification: false }'] : []),
      '',
    ].join('\n'),
  );
  // launched as shipped (npm start, systemd): package.json config.gatewayNodeFlags
  const { child, listeners } = await spawnGateway(cfg, { timeoutMs: 15000, stderr: 'inherit' });
  const ports = listeners.filter((j) => j.component === 'wsp').map((j) => j.port);
  return { child, cl: ports[0], co: ports[1], pids: [child.pid] };
}

async function startKannel(dir) {
  fs.writeFileSync(
    path.join(dir, 'kannel.conf'),
    [
      'group = core',
      'admin-port = 13900',
      'admin-password = x',
      'admin-allow-ip = "127.0.0.1"',
      'wapbox-port = 13902',
      'wdp-interface-name = "*"',
      'box-allow-ip = "127.0.0.1"',
      'log-level = 4',
      '',
      'group = wapbox',
      'bearerbox-host = localhost',
      'log-level = 4',
      'syslog-level = none',
      '',
    ].join('\n'),
  );
  const bb = spawn('/usr/sbin/bearerbox', ['kannel.conf'], { cwd: dir, stdio: 'ignore' });
  await sleep(1500);
  const wb = spawn('/usr/sbin/wapbox', ['kannel.conf'], { cwd: dir, stdio: 'ignore' });
  await sleep(2500);
  return { pids: [bb.pid, wb.pid], stop: async () => { wb.kill('SIGTERM'); await sleep(500); bb.kill('SIGTERM'); await sleep(500); wb.kill('SIGKILL'); bb.kill('SIGKILL'); } };
}

/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = (pids) =>
  pids.reduce((sum, pid) => {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return sum + (Number(f[11]) + Number(f[12])) / 100;
  }, 0);

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

async function scenario(name, gw, o) {
  const base = ['-g', '127.0.0.1', '-i', '0', '-M', '1', '-p', String(gw.co)];
  // warm-up, the same for both gateways: a server is measured in its steady state (for wapgw
  // this lets V8 compile the hot paths: the first thousand sessions cost about twice as much CPU)
  if (WARMUP > 0) {
    await Promise.all(Array.from({ length: 10 }, () => fakewap([...base, '-m', String(Math.ceil(WARMUP / 10)), `${o}/hello?size=40&type=text/plain`], 120000)));
    await fakewap([...base, '-m', '1', `${o}/big?size=300000`], 120000);
  }
  const cpu0 = cpuSeconds(gw.pids);
  const perClient = Math.ceil(REQUESTS / CLIENTS);
  // one fakewap process per handset: fakewap's threads (-c) share one TID counter, so with -c > 1
  // a thread acks its Results with another thread's TID and every Result is retransmitted
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: CLIENTS }, () => fakewap([...base, '-m', String(perClient), `${o}/hello?size=40&type=text/plain`], 600000)),
  );
  const load = { ms: performance.now() - t0, ok: runs.reduce((a, r) => a + r.ok, 0), code: Math.max(...runs.map((r) => r.code ?? 99)) };
  const loadCpu = cpuSeconds(gw.pids) - cpu0;
  const bad = runs.filter((r) => r.ok !== perClient);
  if (bad.length) {
    const lines = bad.flatMap((r) => r.out.split('\n').filter((l) => /ERROR|PANIC|Timeout|warning|Warning/.test(l)));
    console.log(`${name}: ${bad.length} handsets short of ${perClient} replies; first complaints:\n  ${lines.slice(0, 6).join('\n  ')}`);
  }
  // the literal invocation, one fakewap with CLIENTS threads (see the TID caveat above)
  const cpu1 = cpuSeconds(gw.pids);
  const threads = await fakewap([...base, '-c', String(CLIENTS), '-m', String(REQUESTS), `${o}/hello?size=40&type=text/plain`], 600000);
  const threadsCpu = cpuSeconds(gw.pids) - cpu1;
  const big = [];
  for (let i = 0; i < BIG; i++) {
    const r = await fakewap([...base, '-m', '1', `${o}/big?size=300000`], 120000);
    big.push(r);
  }
  const bigOk = big.filter((r) => r.ok === 1).length;
  const perBig = big.reduce((s, r) => s + r.ms, 0) / Math.max(1, big.length);
  console.log(`${name}: ${REQUESTS} Connect+GET+Disconnect by ${CLIENTS} handsets (~${perClient} each): ${(load.ms / 1000).toFixed(2)} s wall, ${loadCpu.toFixed(2)} s gateway CPU, ${load.ok} x 200, exit ${load.code}`);
  console.log(`${name}: same with one fakewap -c ${CLIENTS} -m ${REQUESTS} (threads): ${(threads.ms / 1000).toFixed(2)} s wall, ${threadsCpu.toFixed(2)} s gateway CPU, ${threads.ok} x 200`);
  console.log(`${name}: 300 KB retrieval: ${(perBig / 1000).toFixed(3)} s each (${bigOk}/${BIG} whole, fakewap process included)`);
  return { loadMs: load.ms, loadCpu, loadOk: load.ok, threadsMs: threads.ms, perBig, bigOk };
}

(async () => {
  if (!fs.existsSync(FAKEWAP)) throw new Error(`fakewap not found at ${FAKEWAP} (kannel-extras)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-'));
  const srv = await origin();
  const o = `http://127.0.0.1:${srv.address().port}`;
  console.log(`origin ${o}; ${os.cpus().length} CPUs; node ${process.version}`);

  let ours;
  if (!SKIP_WAPGW) {
    const gw = await startWapgw(dir, o);
    ours = await scenario('wapgw ', gw, o);
    const rss = rssMb(gw.child.pid);
    console.log(`wapgw : RSS after the load ${rss.toFixed(1)} MB`);
    gw.child.kill('SIGTERM');
    await new Promise((r) => gw.child.on('exit', r));
  }

  let theirs;
  if (!SKIP_KANNEL && fs.existsSync('/usr/sbin/bearerbox')) {
    const k = await startKannel(dir);
    try {
      theirs = await scenario('kannel', { co: 9201, cl: 9200, pids: k.pids }, o);
    } finally {
      await k.stop();
    }
  }
  if (theirs && ours) {
    console.log(`ratio Connect+GET+Disconnect (kannel/wapgw): ${(theirs.loadMs / ours.loadMs).toFixed(1)}x wall, ${(theirs.loadCpu / ours.loadCpu).toFixed(1)}x gateway CPU`);
    console.log(`ratio Connect+GET+Disconnect, fakewap threads (kannel/wapgw): ${(theirs.threadsMs / ours.threadsMs).toFixed(1)}x wall`);
    console.log(`ratio 300 KB retrieval (kannel/wapgw): ${(theirs.perBig / ours.perBig).toFixed(1)}x`);
  }
  srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
