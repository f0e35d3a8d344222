#!/usr/bin/env node
// @ts-check
/**
 * Gateway CPU per Connect+GET+Disconnect cycle of two builds, measured alternately so that
 * both see the same machine (this 2-core machine's load moves a single figure by a third), and
 * of Kannel in the same harness. Each round starts a fresh gateway from one tree's dist/ with
 * bench/wsp/run.js's configuration and warm-up (10 fakewap processes x 300 cycles, one 300 KB
 * retrieval) followed by one unmeasured pass of the measured load, then measures 50 fakewap
 * processes x 100 cycles: utime+stime of the gateway process from /proc/PID/stat over the load,
 * divided by the 200 replies counted.
 *
 * The unmeasured pass (`--steady 1`, the default) is there because the first warm-up alone left
 * V8 compiling inside the measured window: the 300 KB retrieval's segmented path gives the hot
 * functions new object shapes, so two dozen of them were deoptimized and compiled again during
 * the first measured 5000 cycles (`--trace-opt --trace-deopt`: 140 optimizations and 8 deopts
 * there, 4-6 and 0-1 in the windows after it; 0.21-0.22 ms/cycle against 0.16-0.18 after). A
 * gateway runs for days; Kannel (C) has no JIT to warm. `--steady 0` gives the old measure.
 *
 * `--fill N` runs N more unmeasured passes of the measured load first: each cycle leaves two
 * finished transactions that WTP keeps for timer W (30 s), and only after about 50 000 cycles
 * (8 passes or more) does a gateway hold wtp.maxTransactions of them, as one under steady load
 * does; what the garbage collector then has to trace differs from a young gateway's.
 *
 *   npm run build && node bench/wsp/ab.js --a /path/to/other/worktree [--b .] [--rounds 5] [--kannel 0] [--steady 1] [--fill 0]
 *
 * `--a` and `--b` are repository roots, each built (`npm run build` there). The final line is
 * `RESULT {json}`.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const L = require('../lib/common');

const o = L.args({ a: '', b: L.ROOT, rounds: 5, kannel: 0, steady: 1, fill: 0 });

/** One round: fresh gateway from `root`, warm-up, measured load; ms of gateway CPU per cycle. */
async function round(/** @type {string} */ root, /** @type {{ url: string }} */ org) {
  const { dir, file } = L.wspOnlyConfig(org.url, 'wapgw-bench-ab-');
  // that tree's own harness, so that its own dist/cli.js starts
  const { child, listeners } = await require(path.join(path.resolve(root), 'bench/lib/common')).spawnGateway(file, { cwd: dir });
  try {
    const co = listeners.find((/** @type {any} */ j) => /oriented/.test(JSON.stringify(j))).port;
    const url = `${org.url}/hello?size=40&type=text/plain`;
    await L.fakewapCycles(co, url, 10, 300);
    await L.fakewapCycles(co, `${org.url}/big?size=300000`, 1, 1);
    if (o.steady) await L.fakewapCycles(co, url, 50, 100); // the JIT's steady state (see the head comment)
    for (let i = 0; i < o.fill; i++) await L.fakewapCycles(co, url, 50, 100); // a long-running gateway's tables (see the head comment)
    const c0 = L.cpuMs(child.pid);
    const ok = await L.fakewapCycles(co, url, 50, 100);
    const cpu = L.cpuMs(child.pid) - c0;
    if (ok !== 5000) console.log(`${root}: only ${ok} replies of 5000`);
    return +(cpu / Math.max(1, ok)).toFixed(3);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  if (!o.a) throw new Error('usage: node bench/wsp/ab.js --a OTHER_ROOT [--b ROOT] [--rounds 5] [--kannel 0]');
  const org = await L.origin();
  /** @type {{ a: number[], b: number[], kannel: number[] }} */
  const res = { a: [], b: [], kannel: [] };
  try {
    for (let i = 0; i < o.rounds; i++) {
      res.a.push(await round(o.a, org));
      res.b.push(await round(o.b, org));
      console.log(`round ${i + 1}: a ${res.a[i]} ms/cycle, b ${res.b[i]} ms/cycle`);
    }
    if (o.kannel > 0) {
      const k = await L.startKannel();
      try {
        const cpuNow = () => k.pids.reduce((/** @type {number} */ a, /** @type {number | undefined} */ p) => a + (p === undefined ? 0 : L.cpuMs(p)), 0);
        await L.fakewapCycles(k.ports.co, `${org.url}/hello?size=40&type=text/plain`, 10, 300);
        if (o.steady) await L.fakewapCycles(k.ports.co, `${org.url}/hello?size=40&type=text/plain`, 50, 100); // the same load as the gateways'
        for (let i = 0; i < o.kannel; i++) {
          const c0 = cpuNow();
          const ok = await L.fakewapCycles(k.ports.co, `${org.url}/hello?size=40&type=text/plain`, 50, 100);
          res.kannel.push(+((cpuNow() - c0) / Math.max(1, ok)).toFixed(3));
          console.log(`kannel round ${i + 1}: ${res.kannel[i]} ms/cycle (bearerbox + wapbox)`);
        }
      } finally {
        await k.stop();
      }
    }
  } finally {
    org.close();
  }
  const median = (/** @type {number[]} */ xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  console.log(`median ms/cycle: a ${median(res.a)}, b ${median(res.b)}${res.kannel.length ? `, kannel ${median(res.kannel)}` : ''}`);
  console.log(`RESULT ${JSON.stringify(res)}`);
})();
