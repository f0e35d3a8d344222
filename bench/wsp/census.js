#!/usr/bin/env node
// @ts-check
/**
 * What one Connect+GET+Disconnect cycle makes the gateway allocate, create and collect, counted
 * inside the real gateway under the load of bench/wsp/ab.js (the same configuration, warm-up
 * and unmeasured steady pass, then 50 fakewap processes x 100 cycles counted). The gateway gets
 * bench/wsp/census-hook.js preloaded; SIGUSR2 starts and stops the count around the measured
 * pass. Modes (one per gateway, `--modes heap,hooks,gc`):
 *   heap   octets allocated per cycle (V8's sampling heap profiler, collected objects included)
 *          and the top allocating functions;
 *   hooks  async resources created per cycle by type (promises, timeouts, UDP send wraps...);
 *   gc     collections per 1000 cycles by kind, and their milliseconds per 1000 cycles.
 * `--stacks TYPE` (hooks mode): where that type's resources are created, sampled.
 * Counts, not CPU: the profiler and the hooks slow the gateway, so CPU is ab.js's job.
 *
 *   npm run build && node bench/wsp/census.js [--root .] [--modes heap,hooks,gc] [--top 25]
 *
 * `--root` is a repository root whose dist/cli.js starts (another build, for before/after). The
 * final line is `RESULT {json}`.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const L = require('../lib/common');

const o = L.args({ root: L.ROOT, modes: 'heap,hooks,gc', top: 25, stacks: '', handsets: 50, cycles: 100 });
const HOOK = path.join(__dirname, 'census-hook.js');

async function census(/** @type {string} */ mode, /** @type {{ url: string }} */ org) {
  const { dir, file } = L.wspOnlyConfig(org.url, 'wapgw-bench-census-');
  const out = path.join(dir, 'census.json');
  process.env.WAPGW_CENSUS_MODE = mode;
  process.env.WAPGW_CENSUS_OUT = out;
  if (o.stacks) process.env.WAPGW_CENSUS_STACKS = o.stacks;
  const { child, listeners } = await L.spawnGateway(file, {
    cwd: dir,
    nodeArgs: [...L.GATEWAY_NODE_FLAGS, '--require', HOOK],
    cli: path.join(path.resolve(o.root), 'dist/cli.js'),
  });
  try {
    const co = listeners.find((/** @type {any} */ j) => /oriented/.test(JSON.stringify(j))).port;
    const url = `${org.url}/hello?size=40&type=text/plain`;
    await L.fakewapCycles(co, url, 10, 300);
    await L.fakewapCycles(co, `${org.url}/big?size=300000`, 1, 1);
    await L.fakewapCycles(co, url, o.handsets, o.cycles);
    child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 300));
    const ok = await L.fakewapCycles(co, url, o.handsets, o.cycles);
    child.kill('SIGUSR2');
    for (let i = 0; i < 100 && !fs.existsSync(out); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 200));
    return { cycles: ok, ...JSON.parse(fs.readFileSync(out, 'utf8')) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const org = await L.origin();
  /** @type {Record<string, unknown>} */
  const result = { root: path.resolve(o.root) };
  try {
    for (const mode of String(o.modes).split(',')) {
      const c = await census(mode, org);
      const n = Math.max(1, c.cycles);
      if (c.error) throw new Error(c.error);
      if (mode === 'heap') {
        const perCycle = c.total / n;
        console.log(`heap: ${(perCycle / 1024).toFixed(1)} KB allocated per cycle (${c.cycles} cycles); top sites, octets per cycle:`);
        for (const [site, bytes] of c.sites.slice(0, o.top)) console.log(`  ${String(Math.round(bytes / n)).padStart(6)}  ${site}`);
        result.heap = { kbPerCycle: +(perCycle / 1024).toFixed(2), top: c.sites.slice(0, o.top).map((/** @type {[string, number]} */ [s, b]) => [s, Math.round(b / n)]) };
      } else if (mode === 'hooks') {
        const per = Object.fromEntries(Object.entries(c.created).map(([k, v]) => [k, +(/** @type {number} */ (v) / n).toFixed(3)]));
        console.log(`hooks: async resources created per cycle: ${JSON.stringify(per)}`);
        result.hooks = per;
        for (const [st, k] of Object.entries(c.stacks ?? {}).sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${k} x ${st}`);
      } else if (mode === 'gc') {
        const per = Object.fromEntries(Object.entries(c.gcs).map(([k, v]) => [k, { per1000: +((/** @type {any} */ (v).count * 1000) / n).toFixed(2), msPer1000: +((/** @type {any} */ (v).ms * 1000) / n).toFixed(2) }]));
        console.log(`gc: per 1000 cycles: ${JSON.stringify(per)}`);
        result.gc = per;
      }
    }
  } finally {
    org.close();
  }
  console.log(`RESULT ${JSON.stringify(result)}`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
