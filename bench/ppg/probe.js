'use strict';
/**
 * Counters for a gateway under bench/ppg/run.js, loaded into the gateway with
 * `--node-flags='--max-semi-space-size=8 --require bench/ppg/probe.js'` (absolute path):
 *
 * - async resources created, by type (PROMISE, TickObject, Timeout, FSREQPROMISE...: async_hooks;
 *   the hook itself makes promises slower, so read the CPU figures of a run without it);
 * - garbage collections by kind with their main-thread pause (perf_hooks 'gc' entries);
 * - with PROBE_HEAP=1, a sampling heap profile that keeps the objects GC collected too (every
 *   allocation, not only what is live at the end), for bytes allocated per function.
 *
 * Written at exit to PROBE_DIR (default the system's temporary directory) as
 * `ppg-probe-PID.json` (and `ppg-heap-PID.heapprofile`). With PROBE_DIR set, run.js sends the
 * gateway SIGUSR2 after its warm-up: everything is counted again from there (`"steady": true` in
 * the file), so divide by --pushes; without that signal, by the pushes the process took
 * (warm-up included). Read the heap profile with `node bench/ppg/probe.js --read FILE [PUSHES]`.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

if (require.main === module) {
  // --read FILE [PUSHES]: bytes allocated per push, by function (self) and with callees
  const file = process.argv[process.argv.indexOf('--read') + 1];
  const pushes = Number(process.argv[process.argv.indexOf('--read') + 2]) || 1;
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const self = new Map();
  const incl = new Map();
  let total = 0;
  const walk = (n, stack) => {
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
    total += n.selfSize;
    self.set(key, (self.get(key) || 0) + n.selfSize);
    const on = stack.includes(key) ? stack : [...stack, key];
    for (const k of on) incl.set(k, (incl.get(k) || 0) + n.selfSize);
    for (const c of n.children) walk(c, on);
  };
  walk(prof.head, []);
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${String(Math.round(v / pushes)).padStart(7)} B  ${k}`).join('\n');
  console.log(`allocated per push (sampled): ${Math.round(total / pushes)} B\n--- self\n${top(self)}\n--- with callees\n${top(incl)}`);
} else {
  // SIGUSR2 (sent by bench/ppg/run.js after its warm-up when PROBE_DIR is set): the counts start
  // again and the heap sampling starts there, so that they cover the measured pushes only
  let steady = false;
  const ah = require('node:async_hooks');
  const { PerformanceObserver, constants } = require('node:perf_hooks');
  const dir = process.env.PROBE_DIR || os.tmpdir();
  const counts = Object.create(null);
  ah.createHook({
    init(_id, type) {
      counts[type] = (counts[type] || 0) + 1;
    },
  }).enable();
  const kinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
  const gc = Object.create(null);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = /** @type {{ kind: number }} */ (/** @type {any} */ (e).detail).kind;
      const k = kinds[kind] || String(kind);
      gc[k] = gc[k] || { n: 0, ms: 0 };
      gc[k].n++;
      gc[k].ms += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  let session;
  const startHeap = () => {
    if (!process.env.PROBE_HEAP) return;
    const inspector = require('node:inspector');
    if (session) session.post('HeapProfiler.stopSampling', () => undefined);
    session = new inspector.Session();
    session.connect();
    session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  };
  startHeap();
  process.on('SIGUSR2', () => {
    steady = true;
    for (const k of Object.keys(counts)) delete counts[k];
    for (const k of Object.keys(gc)) delete gc[k];
    startHeap();
  });
  process.on('exit', () => {
    fs.writeFileSync(path.join(dir, `ppg-probe-${process.pid}.json`), JSON.stringify({ steady, asyncResources: counts, gc }, null, 1));
    session?.post('HeapProfiler.stopSampling', (err, r) => {
      if (!err) fs.writeFileSync(path.join(dir, `ppg-heap-${process.pid}.heapprofile`), JSON.stringify(r.profile));
    });
  });
}
