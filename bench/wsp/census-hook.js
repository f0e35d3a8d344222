// @ts-check
/**
 * Preloaded into a gateway by bench/wsp/census.js (`node --require census-hook.js ...`): counts
 * what the process does between two SIGUSR2 signals, and writes it as JSON to
 * $WAPGW_CENSUS_OUT at the second. What it counts is chosen by $WAPGW_CENSUS_MODE:
 *   heap   V8's sampling heap profiler (every 256 octets, objects collected by minor and major
 *          collections included): octets allocated and the allocating functions;
 *   hooks  async_hooks: resources created by type (PROMISE, Timeout, UDPSENDWRAP...); with
 *          $WAPGW_CENSUS_STACKS=TYPE, where one in 50 of that type's resources was created;
 *   gc     the collections V8 ran (perf_hooks 'gc' entries) by kind, with their time.
 * One mode per run: each distorts the others' figures (the heap profiler's stacks, the hooks'
 * callbacks), and none is used for the CPU figures (bench/wsp/ab.js).
 */
'use strict';
const fs = require('node:fs');

const mode = process.env.WAPGW_CENSUS_MODE || 'heap';
const outFile = process.env.WAPGW_CENSUS_OUT || '/dev/stdout';
let running = false;

/** @type {any} */
let session;
/** @type {Record<string, number>} */
const created = {};
/** $WAPGW_CENSUS_STACKS: in hooks mode, sample where resources of this type are created. */
const stacksOf = process.env.WAPGW_CENSUS_STACKS;
/** @type {Record<string, number>} */
const stacks = {};
/** @type {import('node:async_hooks').AsyncHook | undefined} */
let hook;
/** @type {Record<string, { count: number, ms: number }>} */
const gcs = {};
/** @type {import('node:perf_hooks').PerformanceObserver | undefined} */
let obs;

const GC_KIND = { 1: 'scavenge', 2: 'minor-mark-compact', 4: 'mark-compact', 8: 'incremental-marking', 16: 'weak-callbacks' };

function post(/** @type {string} */ method, /** @type {object} */ params = {}) {
  return new Promise((resolve, reject) => session.post(method, params, (/** @type {any} */ err, /** @type {any} */ res) => (err ? reject(err) : resolve(res))));
}

async function start() {
  if (mode === 'heap') {
    const inspector = require('node:inspector');
    session = new inspector.Session();
    session.connect();
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  } else if (mode === 'hooks') {
    hook = require('node:async_hooks').createHook({
      init(_id, type) {
        created[type] = (created[type] ?? 0) + 1;
        if (stacksOf === type && Math.random() < 0.02) {
          const st = (new Error().stack ?? '').split('\n').slice(2, 9).map((l) => l.trim()).join(' < ');
          stacks[st] = (stacks[st] ?? 0) + 1;
        }
      },
    });
    hook.enable();
  } else if (mode === 'gc') {
    const { PerformanceObserver } = require('node:perf_hooks');
    obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        // @ts-ignore: detail.kind (Node >= 16)
        const kind = GC_KIND[e.detail?.kind] ?? String(e.detail?.kind);
        const g = (gcs[kind] ??= { count: 0, ms: 0 });
        g.count++;
        g.ms += e.duration;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
  }
}

/** Self octets per function (name, file, line), from the sampled profile's tree. */
function sites(/** @type {any} */ profile) {
  /** @type {Map<string, number>} */
  const by = new Map();
  let total = 0;
  const walk = (/** @type {any} */ node, /** @type {string[]} */ stack) => {
    const f = node.callFrame;
    const file = f.url ? f.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:') : '(native)';
    const name = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    if (node.selfSize > 0) {
      by.set(name, (by.get(name) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const c of node.children) walk(c, stack);
  };
  walk(profile.head, []);
  return { total, sites: [...by].sort((a, b) => b[1] - a[1]) };
}

async function stop() {
  /** @type {Record<string, unknown>} */
  let out = { mode };
  if (mode === 'heap') {
    const { profile } = /** @type {any} */ (await post('HeapProfiler.stopSampling'));
    out = { mode, ...sites(profile) };
    session.disconnect();
  } else if (mode === 'hooks') {
    hook?.disable();
    out = { mode, created, stacks };
  } else if (mode === 'gc') {
    obs?.disconnect();
    out = { mode, gcs };
  }
  fs.writeFileSync(outFile, JSON.stringify(out));
}

process.on('SIGUSR2', () => {
  running = !running;
  (running ? start() : stop()).catch((err) => fs.writeFileSync(outFile, JSON.stringify({ mode, error: String(err) })));
});
