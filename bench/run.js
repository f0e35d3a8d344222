#!/usr/bin/env node
/**
 * `npm run bench`: the one benchmark harness (issue 7). Runs every benchmark whose tools are
 * installed, each as a child process with a time bound, collects its figures (the last
 * `RESULT {json}` line of its stdout, or a parser of its text for the scripts that print
 * text), and writes bench/RESULTS.md (machine, versions, exact commands, figures, ratios, the
 * four targets with PASS/FAIL, scale curves with bench/plots/scale.svg, profile) and
 * bench/results.json (the raw figures; with --only, the other benchmarks' last figures are
 * kept and shown with their own date and load).
 *
 *   npm run bench [-- --only wsp,proxy,codec,subscribers,sessions,scale,profile,ppg] [--quick] [--no-write] [--help]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const L = require('./lib/common');

const HELP = `usage: npm run bench [-- options]   (or: node bench/run.js [options])

  --only LIST   comma-separated subset of: wsp, proxy, codec, subscribers, sessions, scale, profile
                (default: all whose tools are installed)
  --quick       shorter runs (smaller loads, fewer rounds): a smoke test, not for the record,
                so it prints the results and writes nothing
  --no-write    print the results, do not write bench/RESULTS.md, results.json or the plot
  --help        this text

Benchmarks:
  wsp          fakewap handsets against wapgw and Kannel (bearerbox + wapbox) in one run:
               50 handsets x 5000 Connect+GET+Disconnect, and 300 KB retrievals (bench/wsp/run.js)
  proxy        wrk through the MMS proxy and through nginx (one worker) doing the same job,
               300 KB and small GETs (bench/proxy/run.js)
  codec        codec micro-benchmarks (bench/codec.js)
  subscribers  1 M subscriber bindings: memory and lookups (bench/subscribers.js)
  sessions     heap per open WSP session (bench/scale/session-memory.js)
  scale        throughput, p50/p99 latency and CPU per transaction against concurrency
               (1, 10, 50, 200) for WSP and the proxy; lookups and memory against 1 k, 100 k,
               1 M bindings; plot in bench/plots/scale.svg (bench/scale/curves.js)
  profile      node --cpu-prof of the gateway under WSP and proxy load, top self-time
               functions (bench/scale/profile.js)
  ppg          PAP pushes to submit_sm at a test SMSC, wapgw against Kannel's PPG, and the
               RSS of 100 000 pending pushes (bench/ppg/run.js)

Tools (Debian packages): fakewap (kannel-extras), bearerbox/wapbox (kannel), wrk (wrk),
nginx (nginx-light). Builds dist/ first (npm run build) when it is missing.`;

const ALL = ['wsp', 'proxy', 'codec', 'subscribers', 'sessions', 'scale', 'profile', 'ppg'];
const o = L.args({ only: [], quick: false, write: true, noWrite: false, help: false });
if (o.help || process.argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const unknown = o.only.filter((x) => !ALL.includes(x));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')} (known: ${ALL.join(', ')})`);
  process.exit(2);
}
const write = o.write && !o.noWrite && !o.quick;
const BENCH = path.join(L.ROOT, 'bench');
const rel = (p) => path.relative(L.ROOT, p);

// ---- parsers for scripts that print text rather than a RESULT line -------------------------

function parseWsp(out) {
  const r = {};
  for (const who of ['wapgw', 'kannel']) {
    const load = new RegExp(`^${who}\\s*: (\\d+) Connect\\+GET\\+Disconnect by (\\d+) handsets[^:]*: ([\\d.]+) s(?: wall, ([\\d.]+) s gateway CPU)?, (\\d+) x 200`, 'm').exec(out);
    const big = new RegExp(`^${who}\\s*: 300 KB retrieval: ([\\d.]+) s each \\((\\d+)/(\\d+) whole`, 'm').exec(out);
    if (!load && !big) continue;
    r[who] = {};
    if (load) Object.assign(r[who], { requests: +load[1], handsets: +load[2], loadSeconds: +load[3], loadCpuSeconds: load[4] === undefined ? undefined : +load[4], loadOk: +load[5] });
    const th = new RegExp(`^${who}\\s*: same with one fakewap -c (\\d+) -m (\\d+) \\(threads\\): ([\\d.]+) s wall, ([\\d.]+) s gateway CPU, (\\d+) x 200`, 'm').exec(out);
    if (th) r[who].threads = { threads: +th[1], requests: +th[2], seconds: +th[3], cpuSeconds: +th[4], ok: +th[5] };
    if (big) Object.assign(r[who], { bigSeconds: +big[1], bigOk: +big[2], bigRuns: +big[3] });
  }
  const rss = /RSS after the load ([\d.]+) MB/.exec(out);
  if (rss && r.wapgw) r.wapgw.rssMB = +rss[1];
  return Object.keys(r).length ? r : undefined;
}

function parseProxy(out) {
  const r = {};
  const re = /^(wapgw|nginx)\s+(300k|small)\s+(\d+) req\/s\s+([\d.]+) MB\/s\s+latency avg (\S+)(.*)$/gm;
  let m;
  while ((m = re.exec(out))) {
    r[m[2]] ??= {};
    r[m[2]][m[1]] = { perSecond: +m[3], mbPerSecond: +m[4], latencyAvg: m[5], non2xx: Number(/NON-2xx: (\d+)/.exec(m[6])?.[1] ?? 0) };
  }
  const ratioRe = /^ratio\s+(300k|small)\s+wapgw\/nginx = ([\d.]+)x(?: \(median of round pairs ([\d.]+)x)?/gm;
  while ((m = ratioRe.exec(out))) {
    r[m[1]] ??= {};
    r[m[1]].ratio = +m[2];
    if (m[3] !== undefined) r[m[1]].pairedRatio = +m[3];
  }
  const head = /^# MMS proxy benchmark: (.*)$/m.exec(out);
  if (head) r.setup = head[1];
  return Object.keys(r).length ? r : undefined;
}

const parseCodec = (out) => {
  const table = out.split('\n').filter((l) => l.startsWith('|'));
  return table.length ? { title: out.split('\n')[0], table } : undefined;
};

function parseJsonBlock(out) {
  try {
    return JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1));
  } catch {
    return undefined;
  }
}

// ---- the benchmarks ---------------------------------------------------------------------------

const node = process.execPath;
const BENCHES = {
  wsp: {
    needs: ['fakewap'],
    optional: ['bearerbox', 'wapbox'],
    argv: (q, missing) => [
      'bench/wsp/run.js',
      ...(q ? ['--clients', '20', '--requests', '1000', '--big', '1'] : ['--clients', '50', '--requests', '5000', '--big', '3']),
      ...(missing.length ? ['--skip-kannel'] : []),
    ],
    timeoutMs: 15 * 60000,
    parse: parseWsp,
  },
  proxy: {
    needs: ['wrk', 'nginx'],
    argv: (q) => ['bench/proxy/run.js', ...(q ? ['--duration', '2', '--rounds', '1'] : ['--duration', '5', '--rounds', '3'])],
    timeoutMs: 10 * 60000,
    parse: parseProxy,
  },
  codec: {
    needs: [],
    argv: () => ['bench/codec.js'],
    env: (q) => (q ? { BENCH_MS: '300' } : {}),
    timeoutMs: 3 * 60000,
    parse: parseCodec,
  },
  subscribers: {
    needs: [],
    nodeArgs: ['--expose-gc'],
    argv: (q) => ['bench/subscribers.js', q ? '100000' : '1000000'],
    timeoutMs: 5 * 60000,
    parse: parseJsonBlock,
  },
  sessions: {
    needs: [],
    nodeArgs: ['--expose-gc'],
    argv: (q) => ['bench/scale/session-memory.js', '--sessions', q ? '1000' : '5000'],
    timeoutMs: 3 * 60000,
  },
  scale: {
    needs: [],
    argv: (q) => ['bench/scale/curves.js', '--plot', 'bench/plots/scale.svg', ...(q ? ['--seconds', '1', '--sizes', '1000,100000'] : ['--seconds', '5'])],
    timeoutMs: 15 * 60000,
  },
  profile: {
    needs: [],
    argv: (q) => ['bench/scale/profile.js', '--seconds', q ? '3' : '8'],
    timeoutMs: 5 * 60000,
  },
  ppg: {
    needs: [],
    optional: ['bearerbox', 'wapbox'],
    argv: (q, missing) => ['bench/ppg/run.js', ...(q ? ['--quick'] : ['--pushes', '5000']), ...(missing.length ? ['--only', 'wapgw,queue'] : [])],
    timeoutMs: 15 * 60000,
  },
};

async function ensureBuilt() {
  if (fs.existsSync(require('./lib/wapgw').CLI)) return;
  console.error('dist/ is missing: building (npm run build)');
  const r = await L.runChild('npx', ['tsc', '-p', 'tsconfig.json'], { timeoutMs: 5 * 60000, echo: true });
  if (r.code !== 0) {
    console.error('build failed');
    process.exit(1);
  }
}

async function runOne(name) {
  const b = BENCHES[name];
  const missing = b.needs.filter((t) => !L.haveTool(t));
  const missingOptional = (b.optional || []).filter((t) => !L.haveTool(t));
  const install = (ts) => [...new Set(ts.map((t) => L.TOOLS[t].apt))].join(' ');
  if (missing.length) {
    const msg = `skipped: ${missing.join(', ')} not installed (sudo apt-get install ${install(missing)})`;
    console.error(`== ${name}: ${msg}`);
    return { name, skipped: msg };
  }
  // Kannel binds fixed ports: if something else (a test, another benchmark) holds them, wait a
  // little, then run without Kannel rather than fail half-way
  let busy;
  if (name === 'wsp' && !missingOptional.length) {
    let free = await L.kannelPortsFree();
    for (let i = 0; i < 12 && !free; i++) {
      if (i === 0) console.error('== wsp: Kannel\'s ports (9200, 9201, 13900, 13902) are in use; waiting up to 60 s');
      await L.sleep(5000);
      free = await L.kannelPortsFree();
    }
    if (!free) busy = 'Kannel (its ports were in use)';
  }
  if (missingOptional.length) console.error(`== ${name}: ${missingOptional.join(', ')} not installed, running without them (sudo apt-get install ${install(missingOptional)})`);
  // with the plot going to bench/plots/, --no-write sends it to a temp file instead
  if (busy) console.error(`== ${name}: running without ${busy}`);
  let argv = b.argv(o.quick, busy ? [...missingOptional, 'kannel'] : missingOptional);
  if (!write) argv = argv.map((a) => (a === 'bench/plots/scale.svg' ? path.join(os.tmpdir(), 'wapgw-scale.svg') : a));
  const cmdArgs = [...(b.nodeArgs || []), ...argv];
  const env = b.env ? b.env(o.quick) : {};
  const command = `${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}node ${cmdArgs.join(' ')}`;
  const loadBefore = os.loadavg().map((x) => +x.toFixed(2));
  console.error(`== ${name}: ${command}  (load average ${loadBefore.join(' ')})`);
  const r = await L.runChild(node, cmdArgs, { timeoutMs: b.timeoutMs, env, echo: true });
  const result = L.parseResultLine(r.stdout) ?? (b.parse ? b.parse(r.stdout) : undefined);
  const rec = {
    name,
    command,
    at: new Date().toISOString(),
    seconds: +(r.ms / 1000).toFixed(1),
    exit: r.code,
    timedOut: r.timedOut || undefined,
    loadBefore,
    loadAfter: os.loadavg().map((x) => +x.toFixed(2)),
    withoutTools: missingOptional.length || busy ? [...missingOptional, ...(busy ? [busy] : [])] : undefined,
    result,
  };
  if (r.code !== 0 || !result) rec.tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n');
  return rec;
}

// ---- targets and RESULTS.md ---------------------------------------------------------------------

const f = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(d));

function targets(runs) {
  const w = runs.wsp?.result;
  const p = runs.proxy?.result;
  const out = [];
  const row = (target, goal, measured, pass, note = '') => out.push({ target, goal, measured, verdict: pass === undefined ? 'NOT MEASURED' : pass ? 'PASS' : 'FAIL', note });
  const allOk = (x) => x && x.loadOk >= x.requests;
  if (w?.wapgw && w?.kannel && w.wapgw.loadSeconds && w.kannel.loadSeconds) {
    const ratio = w.kannel.loadSeconds / w.wapgw.loadSeconds;
    const cpu = w.kannel.loadCpuSeconds && w.wapgw.loadCpuSeconds ? w.kannel.loadCpuSeconds / w.wapgw.loadCpuSeconds : undefined;
    row(
      `WSP load (${w.wapgw.handsets} handsets x ${w.wapgw.requests} Connect+GET+Disconnect)`,
      '>= 10x faster than Kannel',
      `Kannel ${f(w.kannel.loadSeconds, 2)} s / wapgw ${f(w.wapgw.loadSeconds, 2)} s = **${f(ratio)}x** wall${cpu ? ` (gateway CPU ${f(w.kannel.loadCpuSeconds, 2)} s / ${f(w.wapgw.loadCpuSeconds, 2)} s = ${f(cpu)}x)` : ''}`,
      allOk(w.wapgw) && allOk(w.kannel) ? ratio >= 10 : false,
      allOk(w.wapgw) && allOk(w.kannel) ? '' : `not all 200 (wapgw ${w.wapgw.loadOk}, Kannel ${w.kannel.loadOk} of ${w.wapgw.requests})`,
    );
  } else row('WSP load (50 handsets x 5000 Connect+GET+Disconnect)', '>= 10x faster than Kannel', 'n/a', undefined, runs.wsp?.skipped || (w?.kannel ? '' : 'Kannel not measured'));
  const tw = w?.wapgw?.threads;
  const tk = w?.kannel?.threads;
  if (tw && tk) {
    const ok = tw.ok >= tw.requests && tk.ok >= tk.requests;
    const ratio = tk.seconds / tw.seconds;
    out.push({
      target: `  the same load from ONE fakewap with ${tw.threads} threads (the issue's first setup; its threads ack each other's TIDs)`,
      goal: '(for information)',
      measured: `Kannel ${f(tk.seconds, 2)} s / wapgw ${f(tw.seconds, 2)} s = **${f(ratio)}x** (gateway CPU ${f(tk.cpuSeconds, 2)} s / ${f(tw.cpuSeconds, 2)} s)`,
      verdict: ok && ratio >= 10 ? 'would PASS' : 'would FAIL',
      note: `not the verdict: real handsets do not mix up their TIDs${ok ? '' : `; not all 200 (wapgw ${tw.ok}, Kannel ${tk.ok} of ${tw.requests})`}`,
    });
  }
  if (w?.wapgw?.bigSeconds && w?.kannel?.bigSeconds) {
    const ratio = w.kannel.bigSeconds / w.wapgw.bigSeconds;
    const whole = w.wapgw.bigOk === w.wapgw.bigRuns;
    row('300 KB retrieval (WTP SAR)', '>= 50x faster than Kannel', `Kannel ${f(w.kannel.bigSeconds, 3)} s / wapgw ${f(w.wapgw.bigSeconds, 3)} s = **${f(ratio)}x** (per retrieval, fakewap process included)`, whole ? ratio >= 50 : false, whole ? (w.kannel.bigOk === w.kannel.bigRuns ? '' : `Kannel delivered ${w.kannel.bigOk}/${w.kannel.bigRuns} whole`) : `wapgw delivered ${w.wapgw.bigOk}/${w.wapgw.bigRuns} whole`);
  } else row('300 KB retrieval (WTP SAR)', '>= 50x faster than Kannel', 'n/a', undefined, runs.wsp?.skipped || '');
  if (p?.['300k']?.ratio !== undefined) {
    const r = p['300k'];
    const ratio = r.pairedRatio !== undefined ? Math.min(r.ratio, r.pairedRatio) : r.ratio;
    row('MMS proxy, 300 KB retrievals', '>= 0.5x nginx (one worker)', `wapgw ${f(r.wapgw?.perSecond, 0)} req/s / nginx ${f(r.nginx?.perSecond, 0)} req/s = **${f(r.ratio, 2)}x**${r.pairedRatio !== undefined ? ` (median of round pairs ${f(r.pairedRatio, 2)}x)` : ''}`, (r.wapgw?.non2xx || 0) === 0 ? ratio >= 0.5 : false, (r.wapgw?.non2xx || 0) ? `${r.wapgw.non2xx} non-2xx` : 'verdict on the lower of the two ratios');
  } else row('MMS proxy, 300 KB retrievals', '>= 0.5x nginx (one worker)', 'n/a', undefined, runs.proxy?.skipped || '');
  if (w?.wapgw?.rssMB !== undefined) row('gateway RSS after the WSP load', '< 150 MB', `**${f(w.wapgw.rssMB)} MB**`, w.wapgw.rssMB < 150, 'VmRSS of the wapgw process after the load and the 300 KB retrievals');
  else row('gateway RSS after the WSP load', '< 150 MB', 'n/a', undefined, runs.wsp?.skipped || '');
  return out;
}

const curveTables = (s) => {
  const lines = [];
  for (const [key, who] of [['wsp', 'wapgw'], ['kannelWsp', 'Kannel (bearerbox + wapbox: CPU and RSS of both)']]) {
    if (!s[key]) continue;
    lines.push(`WSP through ${who}, Connect+GET+Disconnect (40-octet reply), \`bench/scale/wsp-load.js\`:`, '', '| handsets | cycles/s | p50 ms | p99 ms | gateway CPU ms / cycle | RSS MB after | failed |', '|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of s[key]) lines.push(`| ${r.handsets} | ${f(r.perSecond, 0)} | ${f(r.p50Ms, 2)} | ${f(r.p99Ms, 2)} | ${f(r.cpuMsPerCycle, 3)} | ${f(r.rssMB)} | ${r.failed} |`);
    lines.push('');
  }
  for (const [label, rows] of Object.entries(s.proxy || {})) {
    lines.push(`Proxy, absolute-form GET, ${label === '300k' ? '300 KB' : '128-octet'} replies, \`wrk --latency\`:`, '', '| connections | req/s | p50 ms | p99 ms | gateway CPU ms / request | RSS MB after | non-2xx |', '|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) lines.push(`| ${r.connections} | ${f(r.perSecond, 0)} | ${f(r.p50Ms, 2)} | ${f(r.p99Ms, 2)} | ${f(r.cpuMsPerRequest, 3)} | ${f(r.rssMB)} | ${r.non2xx} |`);
    lines.push('');
  }
  if (s.subscribers?.length) {
    lines.push('Subscriber table (`bench/subscribers.js N`, 20 % IPv6 /64 keys, every RADIUS field kept):', '', '| bindings | heap MB | bytes / binding | lookup hit ns | lookup miss ns | bind ns |', '|---:|---:|---:|---:|---:|---:|');
    for (const r of s.subscribers) lines.push(`| ${r.bindings.toLocaleString('en-US')} | ${f(r.heapMB)} | ${r.bytesPerBinding} | ${r.lookupHitNs} | ${r.lookupMissNs} | ${r.bindNs} |`);
    lines.push('');
  }
  return lines;
};

const profileTable = (t, n = 12) => [
  `${t.totalMs} ms sampled; share: ${Object.entries(t.sharePct || {}).map(([k, v]) => `${k} ${v} %`).join(', ')}`,
  '',
  '| self ms | % | function | where |',
  '|---:|---:|---|---|',
  ...t.top.slice(0, n).map((r) => `| ${r.selfMs} | ${r.pct} | \`${r.fn}\` | ${r.where} |`),
  '',
];

/** The line in RESULTS.md after which everything was written by hand and is kept on a rewrite. */
const HAND_MARK = '<!-- Everything below this line was recorded by hand; `npm run bench` (bench/run.js) keeps it when it rewrites the sections above. -->';

/** The hand-recorded tail of the current RESULTS.md (from HAND_MARK on), or the mark alone. */
function handRecorded(file) {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {}
  const i = text.indexOf(HAND_MARK);
  return `\n${i >= 0 ? text.slice(i) : `${HAND_MARK}\n`}`;
}

function renderMarkdown(all, machine) {
  const runs = all.runs;
  const L2 = [];
  const when = (r) => `${r.at} (load average before ${r.loadBefore?.join(' ')}, after ${r.loadAfter?.join(' ')}; ${r.seconds} s; exit ${r.exit}${r.timedOut ? ', TIMED OUT' : ''})`;
  L2.push('# Benchmark results', '');
  L2.push('Written by `npm run bench` (bench/run.js); the raw figures are in `bench/results.json`. Ratios in each row come from one run of one script on this machine, both sides measured back to back.', '');
  L2.push('## Machine', '');
  L2.push('| | |', '|---|---|');
  L2.push(`| CPUs (nproc) | ${machine.nproc} x ${machine.cpuModel} |`, `| memory | ${machine.memoryMB} MB |`, `| kernel | ${machine.kernel} |`, `| node | ${machine.node} |`, `| kannel | ${machine.kannel ?? 'not installed'} |`, `| nginx | ${machine.nginx ?? 'not installed'} |`, `| wrk | ${machine.wrk ?? 'not installed'} |`, `| commit | ${machine.git ?? '?'} |`, `| load average at the start | ${machine.loadavg.join(' ')} |`);
  L2.push('');
  if (machine.loadavg[0] > machine.nproc) L2.push(`**The machine was busy** (load average ${machine.loadavg[0]} on ${machine.nproc} CPUs: other engineers' test suites). Absolute figures are depressed and noisy; ratios are fairer because both sides of each ratio ran back to back, but they still move between runs. Each section shows the load around its run.`, '');
  L2.push('## Targets (issue 7)', '');
  L2.push('| target | goal | measured | verdict | note |', '|---|---|---|---|---|');
  for (const t of targets(runs)) L2.push(`| ${t.target} | ${t.goal} | ${t.measured} | **${t.verdict}** | ${t.note} |`);
  L2.push('');
  L2.push('## Commands', '', 'Run from the repository root after `npm ci` (builds dist/); `npm run bench` runs all of these in turn:', '', '```sh');
  for (const name of ALL) if (runs[name]?.command) L2.push(runs[name].command);
  L2.push('```', '');
  const w = runs.wsp;
  if (w) {
    L2.push('## WSP: fakewap against wapgw and Kannel', '');
    if (w.skipped) L2.push(w.skipped, '');
    else {
      L2.push(`\`${w.command}\`, ${when(w)}.${w.withoutTools ? ` Run without: ${w.withoutTools.join(', ')}.` : ''}`, '');
      const r = w.result || {};
      L2.push('| gateway | Connect+GET+Disconnect | wall s | gateway CPU s | 200s | 300 KB retrieval s each | whole |', '|---|---:|---:|---:|---:|---:|---:|');
      for (const who of ['wapgw', 'kannel']) {
        const x = r[who];
        if (x) L2.push(`| ${who} | ${x.requests} by ${x.handsets} handsets | ${f(x.loadSeconds, 2)} | ${f(x.loadCpuSeconds, 2)} | ${x.loadOk} | ${f(x.bigSeconds, 3)} | ${x.bigOk}/${x.bigRuns} |`);
      }
      for (const who of ['wapgw', 'kannel']) {
        const x = r[who]?.threads;
        if (x) L2.push(`| ${who}, one fakewap -c ${x.threads} (threads) | ${x.requests} | ${f(x.seconds, 2)} | ${f(x.cpuSeconds, 2)} | ${x.ok} | | |`);
      }
      if (r.wapgw?.rssMB !== undefined) L2.push('', `wapgw RSS after the load: ${f(r.wapgw.rssMB)} MB.`);
      if (w.tail) L2.push('', '```', w.tail, '```');
      L2.push('');
    }
  }
  const p = runs.proxy;
  if (p) {
    L2.push('## MMS proxy: wrk through wapgw and nginx (one worker)', '');
    if (p.skipped) L2.push(p.skipped, '');
    else {
      const r = p.result || {};
      L2.push(`\`${p.command}\`, ${when(p)}. ${r.setup ? `Setup: ${r.setup}.` : ''}`, '');
      L2.push('| size | wapgw req/s | wapgw MB/s | nginx req/s | nginx MB/s | wapgw/nginx | median of round pairs |', '|---|---:|---:|---:|---:|---:|---:|');
      for (const size of ['300k', 'small']) {
        const x = r[size];
        if (x) L2.push(`| ${size} | ${f(x.wapgw?.perSecond, 0)} | ${f(x.wapgw?.mbPerSecond)} | ${f(x.nginx?.perSecond, 0)} | ${f(x.nginx?.mbPerSecond)} | ${f(x.ratio, 2)}x | ${x.pairedRatio === undefined ? 'n/a' : `${f(x.pairedRatio, 2)}x`} |`);
      }
      if (p.tail) L2.push('', '```', p.tail, '```');
      L2.push('');
    }
  }
  const s = runs.scale;
  if (s) {
    L2.push('## Scale curves', '');
    L2.push(`\`${s.command}\`, ${when(s)}. One wapgw (\`node dist/cli.js start\`, access log ${s.result?.accessLog ? 'on' : 'off'}, loopback) serves the WSP and proxy points, ${s.result?.seconds ?? '?'} s per point; the load generator runs on the same ${machine.nproc} CPUs. CPU per transaction is the gateway process's utime+stime (/proc/PID/stat) over the point divided by the transactions completed. Idle RSS of the gateway before the load: ${f(s.result?.idleRssMB)} MB.`, '');
    L2.push('![scale curves](plots/scale.svg)', '');
    if (s.result) L2.push(...curveTables(s.result));
    if (s.tail) L2.push('```', s.tail, '```', '');
  }
  const c = runs.codec;
  if (c) {
    L2.push('## Codecs', '');
    if (c.result) L2.push(`\`${c.command}\`, ${when(c)}. ${c.result.title}`, '', ...c.result.table, '');
    if (c.tail) L2.push('```', c.tail, '```', '');
  }
  const sb = runs.subscribers;
  if (sb) {
    L2.push('## Subscriber table, 1 M bindings', '');
    if (sb.result) L2.push(`\`${sb.command}\`, ${when(sb)}.`, '', '```json', JSON.stringify(sb.result, null, 2), '```', '');
    if (sb.tail) L2.push('```', sb.tail, '```', '');
  }
  const ss = runs.sessions;
  if (ss) {
    L2.push('## Memory per WSP session', '');
    const r = ss.result;
    if (r) L2.push(`\`${ss.command}\`, ${when(ss)}. The gateway runs in the benchmark's process (dist/main.js) so the V8 heap can be read after a full GC; ${r.sessions} handsets (one UDP socket each, opened before the baseline) each Connect and Get once and keep the session.`, '', `**${r.bytesPerSession} bytes per session** (heap +${r.heapGrowthMB} MB for ${r.sessions} sessions, ${r.failed} failed), counting the session's two WTP transactions that WTP remembers for timer W; after all Disconnect, +${r.afterDisconnectMB} MB remain until W expires. Process RSS grew ${r.rssGrowthMB} MB (the handsets' sockets and buffers are in the same process).`, '');
    if (ss.tail) L2.push('```', ss.tail, '```', '');
  }
  const pr = runs.profile;
  if (pr) {
    L2.push('## Profile of the hot paths', '');
    L2.push(`\`${pr.command}\`, ${when(pr)}. Self time per function from the gateway's \`.cpuprofile\` (\`node --cpu-prof dist/cli.js start\`), counted over the samples taken while the load ran (startup excluded).`, '');
    if (pr.result?.wsp) L2.push(`### WSP load (50 handsets): ${pr.result.wsp.load?.perSecond ?? '?'} cycles/s under the profiler`, '', ...profileTable(pr.result.wsp));
    if (pr.result?.proxy) L2.push(`### Proxy load (wrk -c32, 300 KB): ${pr.result.proxy.load?.perSecond ?? '?'} req/s under the profiler`, '', ...profileTable(pr.result.proxy));
    if (pr.tail) L2.push('```', pr.tail, '```', '');
  }
  if (runs.ppg) L2.push(...require('./ppg/render').ppgSection(runs.ppg, when));
  const notes = path.join(BENCH, 'lib', 'findings.md');
  if (fs.existsSync(notes)) L2.push(fs.readFileSync(notes, 'utf8').trim(), '');
  // sections measured by their own runs, kept as written: the lossy-link comparison (issue 15,
  // node bench/robustness/mor1.js --markdown bench/robustness/mor1.md) and the WSP CPU per cycle
  // before and after the issue 11 core changes (bench/wsp/cpu-per-cycle.md)
  for (const extra of [['robustness', 'mor1.md'], ['wsp', 'cpu-per-cycle.md']]) {
    const file = path.join(BENCH, ...extra);
    if (fs.existsSync(file)) L2.push(fs.readFileSync(file, 'utf8').trim(), '');
  }
  return `${L2.join('\n')}\n`;
}

/** One harness at a time on a machine: concurrent runs distort each other's figures and files. */
function takeLock() {
  const lock = path.join(os.tmpdir(), 'wapgw-bench.lock');
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8'));
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        console.error(`another npm run bench (pid ${pid}) is running; concurrent runs distort each other's figures: wait for it (${lock})`);
        process.exit(3);
      } catch {
        /* stale lock */
      }
    }
  } catch {
    /* no lock */
  }
  fs.writeFileSync(lock, String(process.pid));
  process.on('exit', () => {
    try {
      if (Number(fs.readFileSync(lock, 'utf8')) === process.pid) fs.unlinkSync(lock);
    } catch {}
  });
}

async function main() {
  takeLock();
  const chosen = o.only.length ? o.only : ALL;
  await ensureBuilt();
  const machine = L.machine();
  console.error(`machine: ${machine.nproc} x ${machine.cpuModel}, ${machine.memoryMB} MB, node ${machine.node}, load average ${machine.loadavg.join(' ')}`);
  const jsonFile = path.join(BENCH, 'results.json');
  let all = { machine, runs: {} };
  if (o.only.length && fs.existsSync(jsonFile)) {
    try {
      all = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
      all.runs ??= {};
    } catch {}
  }
  all.machine = machine;
  all.quick = o.quick;
  for (const name of chosen) all.runs[name] = await runOne(name);
  const t = targets(all.runs);
  console.log('\nTargets:');
  for (const x of t) console.log(`  ${x.verdict.padEnd(12)} ${x.target}: ${x.measured.replace(/\*\*/g, '')} (goal ${x.goal})${x.note ? `  [${x.note}]` : ''}`);
  if (write) {
    fs.writeFileSync(jsonFile, `${JSON.stringify(all, null, 1)}\n`);
    fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), renderMarkdown(all, machine) + handRecorded(path.join(BENCH, 'RESULTS.md')));
    console.log(`\nwrote ${rel(path.join(BENCH, 'RESULTS.md'))} and ${rel(jsonFile)}`);
  }
  const failed = chosen.filter((n) => all.runs[n].exit !== undefined && all.runs[n].exit !== 0);
  if (failed.length) console.error(`benchmark(s) that failed or timed out: ${failed.join(', ')}`);
  L.emitResult({ targets: t.map(({ target, verdict }) => ({ target, verdict })) });
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { parseWsp, parseProxy, targets, renderMarkdown, handRecorded, HAND_MARK };
