#!/usr/bin/env node
'use strict';
/**
 * The PPG benchmark (issue 12): pushes per second from the PAP request to the submit_sm at a
 * test SMSC, and p50/p99 of that delay, durability on, wapgw against Kannel's PPG with the same
 * initiator and the same SMSC; then the RSS of wapgw holding 100 000 pending pushes.
 *
 *   node bench/ppg/run.js [--pushes 5000] [--concurrency 32] [--window 32] [--warmup 200]
 *                         [--only kannel,wapgw,queue] [--queue 100000] [--log-level warn]
 *                         [--content mms|si] [--quick] [--prof DIR]
 *                         [--a TREE [--rounds 3]] [--fsync=false] [--node-flags='...']
 *
 * - Test SMSC: an SMPP 3.4 server (npm `smpp`, server mode) in this process; it answers every
 *   submit_sm at once and timestamps the first submit of each push (found by the push number in
 *   the m-notification-ind's Content-Location).
 * - Initiator: this process posts PAP 1.0 push-messages (multipart/related, PAP entity + an
 *   m-notification-ind with X-Wap-Application-Id mms.ua, or with `--content si` an SI document
 *   each PPG compiles to SIC) to one address each, with
 *   `--concurrency` requests in flight over keep-alive connections.
 * - Kannel: bearerbox + wapbox 1.4.5 (group ppg, trusted PI; group smsc `smpp`, transceiver,
 *   max-pending-submits = window; store-type file = its durable SMS queue).
 * - wapgw: ppg.enabled with the durable queue (journal with fsync before 1001), the test SMSC as
 *   ppg.smsc (windowSize = window, no rate limit), no per-initiator limit, no receipts;
 *   log.level `--log-level` (default warn: like Kannel at log-level 4, no line per push; `info`
 *   adds wapgw's line per push and per SMS).
 * - CPU per push = utime+stime of the PPG's processes (Kannel: bearerbox + wapbox) over the
 *   measured pushes, from /proc/PID/stat: the judge on a shared machine. Rate and delays are
 *   wall-clock and noisy here. Also printed by thread (/proc/PID/task/TID/stat): `main`, and
 *   the others by name and offset of their id from the pid (Node 20 names most threads like
 *   the process; V8's platform workers start right after the main thread, libuv's pool at its
 *   first use), e.g. {"main":0.11,"node+2":0.006,...}.
 * - Queue: wapgw accepts `--queue` pushes with a deliver-after-timestamp an hour ahead (so
 *   they stay pending), then its RSS is read; then again after a restart that replays the
 *   journal.
 *
 * - `--fsync=false`: wapgw with `ppg.fsync: false` (journal written before the answer, not
 *   fdatasync'd: survives a crash of the process, not a power loss). That is the durability
 *   Kannel's store file has: strace of bearerbox under this load shows write(2) and no
 *   fsync/fdatasync at all. The default, fsync on, is the judge; this is the like-for-like.
 * - `--node-flags='...'`: Node/V8 flags for this tree's wapgw in place of package.json's
 *   config.gatewayNodeFlags (with `--a` the other tree keeps the default flags: `--a .` then
 *   compares two flag sets on one build); `--a-node-flags='...'`: the same for the `a` tree
 *   (e.g. bench/ppg/probe.js in both).
 * - `--a TREE`: also measures the build in another checkout (TREE/dist/cli.js, e.g. a worktree
 *   of the starting commit, built) as `a`, alternating with this tree's wapgw for `--rounds`
 *   rounds (a, wapgw, a, wapgw...), each with a fresh gateway, SMSC and state directory; the
 *   summary then lists each round's CPU per push for both. On a shared machine alternation
 *   minutes apart is the fair before/after.
 *
 * Prints a human summary and a `RESULT {json}` line (bench/run.js reads it).
 */
const fs = require('node:fs');
const L = require('../lib/common');
const P = require('./lib');

const o = L.args({ pushes: 5000, concurrency: 32, window: 32, warmup: 200, only: ['kannel', 'wapgw', 'queue'], queue: 100000, logLevel: 'warn', content: 'mms', quick: false, prof: '', a: '', rounds: 3, fsync: true, nodeFlags: '', aNodeFlags: '', help: false });
/** Node flags of this tree's wapgw: --node-flags in place of the default when given. */
const flagsOf = () => (o.nodeFlags ? String(o.nodeFlags).split(/\s+/).filter(Boolean) : undefined);
if (o.help) {
  console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
  process.exit(0);
}
if (o.quick) {
  o.pushes = Math.min(o.pushes, 500);
  o.queue = Math.min(o.queue, 5000);
  o.warmup = Math.min(o.warmup, 50);
}

const round = (x, d = 2) => (Number.isFinite(x) ? +x.toFixed(d) : null);
const cpuOf = (pids) => pids.reduce((s, p) => s + L.cpuMs(p), 0);
/** Kernel-mode CPU ms (stime) of the processes, from /proc/PID/stat. */
const sysOf = (pids) =>
  pids.reduce((s, p) => {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      return s + Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[12]) * 10;
    } catch {
      return NaN;
    }
  }, 0);
const rssOf = (pids) => pids.reduce((s, p) => s + L.rssMb(p), 0);
/**
 * utime+stime ms per thread name of the processes (/proc/PID/task/TID/stat, comm in
 * parentheses): the main thread ("node" or the process title), libuv's pool ("libuv-worker"),
 * V8's helpers ("V8 DefaultWorke"), the inspector, signal and GC threads. Threads of one name are summed.
 */
const threadsOf = (pids) => {
  /** @type {Record<string, number>} */
  const out = {};
  for (const p of pids) {
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tids) {
      try {
        const st = fs.readFileSync(`/proc/${p}/task/${t}/stat`, 'utf8');
        // Node 20 leaves most threads named like the process: the thread id's offset from the
        // pid tells them apart (V8's platform workers start first, libuv's pool at its first use)
        const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
        const comm = t === String(p) ? 'main' : `${name}+${Number(t) - p}`;
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        out[comm] = (out[comm] ?? 0) + (Number(f[11]) + Number(f[12])) * 10;
      } catch {
        // the thread ended
      }
    }
  }
  return out;
};

/** `probed`: the gateway runs bench/ppg/probe.js (it is sent SIGUSR2 after the warm-up). */
async function measure(name, start, probed = false) {
  const smsc = await P.startSmsc();
  let target;
  try {
    target = await start(smsc.port);
    if (!(await P.until(() => smsc.stats.binds.length > 0, 20000))) throw new Error(`${name} did not bind to the test SMSC`);
    // warm-up: JIT, connections, the journal file
    const base = 10_000_000;
    const w = await P.initiate(target.url, { first: base, count: o.warmup, concurrency: o.concurrency, kind: o.content });
    if (w.accepted !== o.warmup) throw new Error(`${name}: warm-up refused ${w.refused.length}: ${JSON.stringify(w.refused[0])}`);
    await P.until(() => [...Array(o.warmup).keys()].every((i) => smsc.submits.has(base + i)), 30000);
    if (probed) {
      // bench/ppg/probe.js in the gateway: count from here (the measured pushes only)
      for (const p of target.pids) process.kill(p, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 200));
    }
    const j0 = await target.journal?.();
    const cpu0 = cpuOf(target.pids);
    const th0 = threadsOf(target.pids);
    const sys0 = sysOf(target.pids);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await P.initiate(target.url, { first: 0, count: o.pushes, concurrency: o.concurrency, kind: o.content });
    const postMs = performance.now() - t0;
    const all = () => {
      for (let i = 0; i < o.pushes; i++) if (!smsc.submits.has(i)) return false;
      return true;
    };
    const complete = await P.until(all, Math.max(60000, o.pushes * 20), 100);
    const cpu1 = cpuOf(target.pids);
    const th1 = threadsOf(target.pids);
    const sys1 = sysOf(target.pids);
    const self1 = process.cpuUsage(self0);
    const j1 = await target.journal?.();
    const delays = [];
    let last = 0;
    for (let i = 0; i < o.pushes; i++) {
      const s = smsc.submits.get(i);
      if (s === undefined) continue;
      delays.push(s - /** @type {number} */ (r.sent.get(i))); // every push 0..pushes-1 was posted
      if (s > last) last = s;
    }
    const got = delays.length;
    const wallS = (last - t0) / 1000;
    const res = {
      pushes: o.pushes,
      accepted: r.accepted,
      refused: r.refused.length,
      refusedExample: r.refused[0],
      submitted: got,
      complete,
      postSeconds: round(postMs / 1000),
      pushesPerSecond: round(got / wallS, 0),
      acceptedPerSecond: round(r.accepted / (postMs / 1000), 0),
      delayMs: { p50: round(L.percentile(delays, 50), 1), p99: round(L.percentile(delays, 99), 1), max: round(Math.max(...delays), 1) },
      cpuMsPerPush: round((cpu1 - cpu0) / Math.max(1, got), 3),
      cpuSeconds: round((cpu1 - cpu0) / 1000),
      // the kernel's share of it (syscalls: sockets, journal writes and fdatasync)
      sysMsPerPush: round((sys1 - sys0) / Math.max(1, got), 3),
      rssMb: round(rssOf(target.pids), 0),
      // the harness (initiator + test SMSC in this process): share of one core over the run
      harnessCpuMsPerPush: round((self1.user + self1.system) / 1000 / Math.max(1, got), 3),
      harnessCorePercent: round(((self1.user + self1.system) / 1000 / Math.max(1, last - t0)) * 100, 0),
      ...(j0 && j1 ? { journalWritesPerPush: round((j1.writes - j0.writes) / Math.max(1, got), 2), fdatasyncsPerPush: round((j1.syncs - j0.syncs) / Math.max(1, got), 2) } : {}),
      // CPU ms per push by thread (threads that ended during the run are missing)
      threadsMsPerPush: Object.fromEntries(
        Object.entries(th1)
          .map(([k, v]) => /** @type {[string, number]} */ ([k, round((v - (th0[k] ?? 0)) / Math.max(1, got), 3) ?? 0]))
          .filter(([, v]) => v > 0),
      ),
      gatewayCorePercent: round(((cpu1 - cpu0) / Math.max(1, last - t0)) * 100, 0),
      smscSubmits: smsc.stats.submits,
      extraParts: smsc.stats.parts,
    };
    console.log(`${name}: CPU ms/push by thread ${JSON.stringify(res.threadsMsPerPush)}`);
    console.log(`${name}: ${got}/${o.pushes} submitted, ${res.pushesPerSecond} pushes/s, delay p50 ${res.delayMs.p50} ms p99 ${res.delayMs.p99} ms, CPU ${res.cpuMsPerPush} ms/push (of which kernel ${res.sysMsPerPush}; ${res.gatewayCorePercent} % of a core; harness ${res.harnessCpuMsPerPush} ms/push, ${res.harnessCorePercent} % of a core), RSS ${res.rssMb} MB${res.fdatasyncsPerPush !== undefined ? `, ${res.journalWritesPerPush} journal writes and ${res.fdatasyncsPerPush} fdatasyncs per push` : ''}${r.refused.length ? `, ${r.refused.length} refused (${JSON.stringify(r.refused[0])})` : ''}`);
    return res;
  } finally {
    await target?.stop();
    await smsc.close();
  }
}

async function queueRss() {
  // the SMSC answers every submit ESME_RTHROTTLED and the pushes wait for deliver-after anyway
  const smsc = await P.startSmsc({ status: 0x58 });
  const stateDir = fs.mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'wapgw-bench-ppg-queue-'));
  let gw = await P.startWapgwPpg(smsc.port, { window: o.window, stateDir, logLevel: o.logLevel });
  try {
    const after = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const rss0 = L.rssMb(gw.pid);
    const t0 = performance.now();
    let accepted = 0;
    let refused = 0;
    let example;
    for (let first = 0; first < o.queue; first += 10000) {
      const r = await P.initiate(gw.url, { first, count: Math.min(10000, o.queue - first), concurrency: o.concurrency, deliverAfter: after });
      accepted += r.accepted;
      refused += r.refused.length;
      example ??= r.refused[0];
    }
    const s = (performance.now() - t0) / 1000;
    await L.sleep(5000);
    const rss = L.rssMb(gw.pid);
    let journalMb = 0;
    for (const f of fs.readdirSync(gw.stateDir)) journalMb += fs.statSync(`${gw.stateDir}/${f}`).size / 1048576;
    // the same queue after a restart (SIGTERM, start, journal replayed): no garbage of the intake
    await gw.stop();
    const t1 = performance.now();
    gw = await P.startWapgwPpg(smsc.port, { window: o.window, stateDir, logLevel: o.logLevel });
    const restartSeconds = (performance.now() - t1) / 1000;
    await L.sleep(5000);
    const rssRestart = L.rssMb(gw.pid);
    const res = { pending: accepted, refused, refusedExample: example, acceptSeconds: round(s, 1), acceptedPerSecond: round(accepted / s, 0), rssMbIdle: round(rss0, 0), rssMb: round(rss, 0), rssMbAfterRestart: round(rssRestart, 0), restartSeconds: round(restartSeconds, 1), journalMb: round(journalMb, 1) };
    console.log(`queue: ${accepted} pending pushes (${refused} refused), RSS ${res.rssMb} MB (idle ${res.rssMbIdle} MB; ${res.rssMbAfterRestart} MB after a restart that replayed the journal in ${res.restartSeconds} s), journal ${res.journalMb} MB, accepted at ${res.acceptedPerSecond}/s`);
    return res;
  } finally {
    await gw.stop();
    await smsc.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

(async () => {
  if (!P.hasSmpp()) {
    console.error('the npm smpp package is missing: npm install');
    process.exit(2);
  }
  const out = { machine: L.machine(), options: { pushes: o.pushes, concurrency: o.concurrency, window: o.window, warmup: o.warmup, wapgwLogLevel: o.logLevel, content: o.content, fsync: o.fsync }, command: `node bench/ppg/run.js ${process.argv.slice(2).join(' ')}`.trim() };
  if (o.only.includes('kannel')) {
    if (L.haveTool('bearerbox') && L.haveTool('wapbox')) {
      try {
        out.kannel = await measure('kannel', (port) => P.startKannelPpg(port, { window: o.window }));
      } catch (e) {
        out.kannel = { error: String(/** @type {Error} */ (e).message || e).slice(0, 500) };
        console.log(`kannel: ${out.kannel.error}`);
      }
    } else out.kannel = { skipped: 'bearerbox/wapbox not installed (Debian package kannel)' };
  }
  if (o.a) {
    const cli = require('node:path').resolve(o.a, 'dist', 'cli.js');
    if (!fs.existsSync(cli)) throw new Error(`--a ${o.a}: no ${cli} (build that tree first)`);
    out.alternation = { a: o.a, rounds: [] };
    for (let i = 0; i < o.rounds; i++) {
      const row = {};
      const own = flagsOf();
      const aFlags = o.aNodeFlags ? String(o.aNodeFlags).split(/\s+/).filter(Boolean) : undefined;
      for (const [name, opts] of /** @type {const} */ ([['a', aFlags ? { cli, nodeArgs: aFlags } : { cli }], ['wapgw', own ? { nodeArgs: own } : {}]])) {
        try {
          row[name] = await measure(`${name} (round ${i + 1})`, (port) => P.startWapgwPpg(port, { window: o.window, logLevel: o.logLevel, fsync: o.fsync, ...opts }), String(opts.nodeArgs ?? '').includes('probe.js'));
        } catch (e) {
          row[name] = { error: String(/** @type {Error} */ (e).message || e).slice(0, 500) };
          console.log(`${name}: ${row[name].error}`);
        }
      }
      out.alternation.rounds.push(row);
    }
    const col = (n) => out.alternation.rounds.map((r) => r[n]?.cpuMsPerPush).join(' / ');
    console.log(`CPU ms per push, alternating: a (${o.a}) ${col('a')}; this tree ${col('wapgw')}`);
  }
  if (o.only.includes('wapgw') && !o.a) {
    try {
      // --prof DIR: wapgw runs under `node --cpu-prof` (the profile is written to DIR when it stops)
      const base = flagsOf() ?? L.GATEWAY_NODE_FLAGS;
      const nodeArgs = o.prof ? [...base, '--cpu-prof', `--cpu-prof-dir=${require('node:path').resolve(o.prof)}`] : flagsOf();
      out.wapgw = await measure(o.fsync ? 'wapgw' : 'wapgw (ppg.fsync false)', (port) => P.startWapgwPpg(port, { window: o.window, logLevel: o.logLevel, fsync: o.fsync, ...(nodeArgs ? { nodeArgs } : {}) }), String(nodeArgs ?? '').includes('probe.js'));
    } catch (e) {
      out.wapgw = { error: String(/** @type {Error} */ (e).message || e).slice(0, 500) };
      console.log(`wapgw: ${out.wapgw.error}`);
    }
  }
  if (out.kannel?.pushesPerSecond && out.wapgw?.pushesPerSecond) {
    out.ratio = { rate: round(out.wapgw.pushesPerSecond / out.kannel.pushesPerSecond, 2), cpuPerPush: round(out.kannel.cpuMsPerPush / out.wapgw.cpuMsPerPush, 2) };
    console.log(`wapgw/Kannel: rate ${out.ratio.rate}x, CPU per push ${out.ratio.cpuPerPush}x less`);
  }
  if (o.only.includes('queue')) {
    try {
      out.queue = await queueRss();
    } catch (e) {
      out.queue = { error: String(/** @type {Error} */ (e).message || e).slice(0, 500) };
      console.log(`queue: ${out.queue.error}`);
    }
  }
  L.emitResult(out);
  process.exit(0);
})();
