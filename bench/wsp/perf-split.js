#!/usr/bin/env node
// @ts-check
/**
 * Where the gateway's CPU goes under the fakewap load, by category, from on-CPU samples of the
 * whole process (Linux perf, cpu-clock, all threads, kernel included; V8's own profiler samples
 * wall time and charges preemption to whatever function was running, which perf does not).
 * wapgw runs with --perf-basic-prof-only-functions so JavaScript frames carry their file.
 *
 *   npm run build && node bench/wsp/perf-split.js [--handsets 50] [--cycles 5000] [--warmup 10000] [--top 0] [--files 0]
 *
 * `--warmup` cycles run before the recording so that V8 has finished compiling the hot code (with
 * 2000, a tenth of the samples were its optimizing compiler still at work: see bench/RESULTS.md);
 * `--top N` also lists the N leaf functions with the most samples, `--files N` the N source files
 * (of the innermost JavaScript frame) with the most, `--functions N` the N innermost JavaScript
 * functions with the most (each charged with the builtins, inline-cache misses, Map lookups and
 * runtime calls below it: what calling it costs, not only its own instructions), `--callers-of RE`
 * the innermost JavaScript frame (with V8's tier mark, * for optimized) under each leaf matching RE
 * (e.g. `'--callers-of=Builtins_LoadIC$|FindOrderedHashMapEntry'`: which of our functions take
 * generic property loads or Map lookups).
 *
 * Needs `perf` (linux-perf) and fakewap (kannel-extras). Each sample is charged to one category:
 * kernel samples by the socket path they are on, JavaScript by the file of the innermost JS
 * frame, the rest (V8 runtime, garbage collection, the optimizing compiler, libuv) by frame
 * names. The final line is `RESULT {json}`.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const L = require('../lib/common');

const o = L.args({ handsets: 50, cycles: 5000, warmup: 10000, top: 0, files: 0, functions: 0, callersOf: '' });

/** @param {string[]} frames leaf first; @param {boolean[]} kernel */
function categorize(frames, kernel) {
  const all = frames.join('\n');
  if (kernel[0]) {
    if (/udp_sendmsg|UDPWrap::Send/.test(all)) return 'kernel: UDP send';
    if (/udp_recvmsg|__skb_recv_udp|uv__udp_io/.test(all)) return 'kernel: UDP receive';
    if (/tcp_/.test(all)) return 'kernel: TCP (upstream HTTP)';
    if (/epoll/.test(all)) return 'kernel: epoll wait/ctl';
    return 'kernel: other (scheduler, timers, memory)';
  }
  if (/Scavenge|MarkCompact|ConcurrentMarking|Sweeper|ArrayBufferSweeper|Heap::|MinorMark/.test(frames[0] ?? '') || /ScavengerCollector|ConcurrentMarking::|Sweeper::|Heap::Collect/.test(all)) return 'V8: garbage collection';
  if (/OptimizingCompileDispatcher|compiler::|Compiler::|BaselineBatchCompiler|CompileLazy/.test(all)) return 'V8: compiling';
  const js = frames.find((f) => f.startsWith('JS:'));
  if (js) {
    if (/\/dist\/(wtp|wsp)\//.test(js)) return 'ours: WTP + WSP (machines, server, port)';
    if (/\/dist\/codec\//.test(js)) return 'ours: codecs';
    if (/\/dist\/(bridge|http|policy|core)\//.test(js)) return 'ours: bridge + HTTP client + policy + core';
    if (/\/dist\/(edge|ops)\//.test(js)) return 'ours: edge + reporters';
    if (/node_modules\/undici\//.test(js)) return 'undici (HTTP client)';
    if (/node_modules\/prom-client\//.test(js)) return 'prom-client';
    if (/node_modules\/lru-cache\//.test(js)) return 'lru-cache';
    if (/node_modules\//.test(js)) return 'other libraries';
    if (/node:dgram|dgram/.test(js)) return 'Node: dgram JS';
    if (/wasm-function/.test(js)) return 'undici (HTTP client)';
    return 'Node: core JS (events, streams, timers, ticks)';
  }
  return 'Node/libuv native (event loop, callbacks, V8 runtime)';
}

(async () => {
  if (!L.which('perf')) {
    console.log('perf-split: skipped, needs perf (apt install linux-perf)');
    return;
  }
  const org = await L.origin();
  const gw = await L.startWapgw(org.url, { nodeArgs: [...L.GATEWAY_NODE_FLAGS, '--perf-basic-prof-only-functions'] });
  const url = `${org.url}/mms/get?size=40&type=text/plain`;
  const load = (/** @type {number} */ n, /** @type {number} */ m) => L.fakewapCycles(gw.ports.co, url, n, m);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-perf-'));
  const data = path.join(dir, 'perf.data');
  try {
    await load(o.handsets, Math.max(1, Math.ceil(o.warmup / o.handsets))); // warm-up: the JIT's steady state
    const rec = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-g', '-p', String(gw.pid), '-o', data], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const c0 = L.cpuMs(gw.pid);
    const ok = await load(o.handsets, Math.ceil(o.cycles / o.handsets));
    const cpu = L.cpuMs(gw.pid) - c0;
    rec.kill('SIGINT');
    await new Promise((r) => rec.on('exit', r));
    const script = spawnSync('perf', ['script', '-i', data, '-F', 'ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30 }).stdout;
    /** @type {Map<string, number>} */
    const by = new Map();
    /** @type {Map<string, number>} */
    const leaves = new Map();
    /** @type {Map<string, number>} */
    const files = new Map();
    /** @type {Map<string, number>} */
    const functions = new Map();
    /** @type {Map<string, number>} */
    const callers = new Map();
    const callersOf = o.callersOf === '' ? undefined : new RegExp(String(o.callersOf));
    let n = 0;
    for (const block of script.split('\n\n')) {
      const lines = block.split('\n').map((l) => l.trim()).filter(Boolean);
      if (!lines.length) continue;
      const frames = lines.map((l) => l.replace(/^[0-9a-f]+\s+/, '').replace(/\s+\([^)]*\)$/, ''));
      const kernel = lines.map((l) => /\(\[kernel/.test(l));
      const c = categorize(frames, kernel);
      by.set(c, (by.get(c) ?? 0) + 1);
      const leaf = `${frames[0] ?? '?'}${kernel[0] ? ' [k]' : ''}`;
      leaves.set(leaf, (leaves.get(leaf) ?? 0) + 1);
      const jsFrame = kernel[0] ? undefined : frames.find((f) => f.startsWith('JS:'));
      const file = jsFrame === undefined ? undefined : (/(\/dist\/[^:]+|node:[^:]+|node_modules\/[^/]+)/.exec(jsFrame)?.[1] ?? 'other JS');
      if (file !== undefined) files.set(file, (files.get(file) ?? 0) + 1);
      if (callersOf !== undefined && callersOf.test(frames[0] ?? '')) {
        const at = `${frames[0]} <- ${(jsFrame ?? '(no JS frame)').replace(/^JS:/, '').replace(/\/[^ ]*\/(dist|node_modules)\//, '$1/')}`;
        callers.set(at, (callers.get(at) ?? 0) + 1);
      }
      if (jsFrame !== undefined && c !== 'V8: garbage collection' && c !== 'V8: compiling') {
        const fn = jsFrame.replace(/^JS:[*~^]?/, '').replace(/\/[^ ]*\/(dist|node_modules)\//, '$1/');
        functions.set(fn, (functions.get(fn) ?? 0) + 1);
      }
      n++;
    }
    const rows = [...by.entries()].sort((a, b) => b[1] - a[1]).map(([category, k]) => ({ category, pct: +((100 * k) / n).toFixed(1) }));
    console.log(`gateway CPU ${(cpu / 1000).toFixed(2)} s for ${ok} cycles (${(cpu / Math.max(1, ok)).toFixed(3)} ms/cycle); ${n} on-CPU samples`);
    console.log('| where | share of gateway CPU |\n|---|---:|');
    for (const r of rows) console.log(`| ${r.category} | ${r.pct} % |`);
    if (o.top > 0) {
      console.log('leaf functions:');
      for (const [f, k] of [...leaves.entries()].sort((a, b) => b[1] - a[1]).slice(0, o.top)) console.log(`${((100 * k) / n).toFixed(1).padStart(5)} % ${f}`);
    }
    if (o.files > 0) {
      console.log('JavaScript by file (innermost JS frame, user space only):');
      for (const [f, k] of [...files.entries()].sort((a, b) => b[1] - a[1]).slice(0, o.files)) console.log(`${((100 * k) / n).toFixed(1).padStart(5)} % ${f}`);
    }
    if (o.functions > 0) {
      console.log('innermost JavaScript functions, with what runs below them (user space only):');
      for (const [f, k] of [...functions.entries()].sort((a, b) => b[1] - a[1]).slice(0, o.functions)) console.log(`${((100 * k) / n).toFixed(1).padStart(5)} % ${f}`);
    }
    if (callersOf !== undefined) {
      console.log(`innermost JavaScript frame under the leaves matching /${callersOf.source}/:`);
      for (const [f, k] of [...callers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${((100 * k) / n).toFixed(1).padStart(5)} % ${f}`);
    }
    console.log(`RESULT ${JSON.stringify({ cycles: ok, cpuMsPerCycle: +(cpu / Math.max(1, ok)).toFixed(3), samples: n, rows })}`);
  } finally {
    await gw.stop();
    org.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
