// The benchmark harness itself (bench/run.js, bench/lib/svg.js), not the figures: --help works,
// the text parsers read the sub-benchmarks' output, targets get PASS/FAIL, and the plot is
// well-formed SVG. No timing assertions.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

const root = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const run = require(path.join(root, 'bench', 'run.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { svgCharts } = require(path.join(root, 'bench', 'lib', 'svg.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { scalePlot } = require(path.join(root, 'bench', 'scale', 'plot.js'));

/** Tags balance, one <svg> root in the SVG namespace, no NaN/undefined in the output. */
function wellFormedSvg(s: string): string | null {
  const body = s.replace(/^<\?xml[^>]*\?>\s*/, '');
  if (!/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(body)) return 'no svg root';
  if (/NaN|undefined|Infinity/.test(s)) return 'NaN/undefined in output';
  const stack: string[] = [];
  const text = body.replace(/>[^<]*</g, '><');
  for (const m of text.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, close, name, attrs, self] = m;
    if (/[<&](?!amp;|lt;|gt;|quot;)/.test(attrs!)) return `bad attribute text in <${name}>`;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return `unbalanced </${name}>`;
    } else stack.push(name!);
  }
  return stack.length ? `unclosed <${stack.join('><')}>` : null;
}

t.test('bench/run.js --help prints the usage and exits 0', async (t) => {
  const r = spawnSync(process.execPath, [path.join(root, 'bench', 'run.js'), '--help'], { encoding: 'utf8', timeout: 20000 });
  t.equal(r.status, 0);
  t.match(r.stdout, /usage: npm run bench/);
  t.match(r.stdout, /--only LIST/);
  t.match(r.stdout, /kannel-extras/);
  const bad = spawnSync(process.execPath, [path.join(root, 'bench', 'run.js'), '--only', 'nonsense'], { encoding: 'utf8', timeout: 20000 });
  t.equal(bad.status, 2, 'an unknown benchmark name is refused');
});

t.test('the SVG writer produces well-formed SVG, also with odd values and escapes', async (t) => {
  const svg = svgCharts(
    [
      { title: 'A <&> "chart"', xLabel: 'x', yLabel: 'y', logX: true, series: [{ name: 's1', points: [[1, 10], [10, 200], [200, 3000]] }, { name: 'empty', points: [] }] },
      { title: 'B', xLabel: 'x', yLabel: 'y', series: [{ name: 'bad', points: [[1, NaN], [2, 5], [0, 1]] }] },
      { title: 'C', xLabel: 'x', yLabel: 'y', logX: true, logY: true, series: [{ name: 'log', points: [[1, 0], [10, 0.5], [200, 1300]] }] },
    ],
    { columns: 1 },
  );
  t.equal(wellFormedSvg(svg), null);
  t.match(svg, /A &lt;&amp;&gt; &quot;chart&quot;/);
  t.match(svg, /<polyline/);
  t.match(svg, />y \(log\)</, 'log y axis labelled');
  t.equal(wellFormedSvg(svgCharts([])), null, 'no panels');
  const plot = scalePlot({
    wsp: [{ handsets: 1, perSecond: 100, p50Ms: 1, p99Ms: 3, cpuMsPerCycle: 0.5 }, { handsets: 10, perSecond: 900, p50Ms: 2, p99Ms: 9, cpuMsPerCycle: 0.3 }],
    proxy: { small: [{ connections: 1, perSecond: 500, p50Ms: 1, p99Ms: 2, cpuMsPerRequest: 0.2 }] },
    subscribers: [{ bindings: 1000, lookupHitNs: 100, lookupMissNs: 50, bytesPerBinding: 400 }, { bindings: 1000000, lookupHitNs: 300, lookupMissNs: 60, bytesPerBinding: 390 }],
  });
  t.equal(wellFormedSvg(plot), null);
  t.equal((plot.match(/font-weight="bold"/g) || []).length, 5, 'five panels');
});

t.test('parsers read the sub-benchmarks and targets get verdicts', async (t) => {
  const wspOut = [
    'wapgw : 5000 Connect+GET+Disconnect by 50 handsets (~100 each): 1.50 s wall, 0.90 s gateway CPU, 5000 x 200, exit 0',
    'wapgw : same with one fakewap -c 50 -m 5000 (threads): 26.06 s wall, 2.60 s gateway CPU, 4995 x 200',
    'wapgw : 300 KB retrieval: 0.050 s each (3/3 whole, fakewap process included)',
    'wapgw : RSS after the load 120.5 MB',
    'kannel: 5000 Connect+GET+Disconnect by 50 handsets (~100 each): 17.00 s wall, 3.00 s gateway CPU, 5000 x 200, exit 0',
    'kannel: 300 KB retrieval: 3.300 s each (3/3 whole, fakewap process included)',
  ].join('\n');
  const wsp = run.parseWsp(wspOut);
  t.same(wsp.wapgw, {
    requests: 5000,
    handsets: 50,
    loadSeconds: 1.5,
    loadCpuSeconds: 0.9,
    loadOk: 5000,
    threads: { threads: 50, requests: 5000, seconds: 26.06, cpuSeconds: 2.6, ok: 4995 },
    bigSeconds: 0.05,
    bigOk: 3,
    bigRuns: 3,
    rssMB: 120.5,
  });
  t.equal(wsp.kannel.loadSeconds, 17);
  const proxyOut = [
    'wapgw  300k        900 req/s    263.7 MB/s  latency avg 35.1ms  (rounds: 900 req/s)',
    'nginx  300k       1000 req/s    293.0 MB/s  latency avg 30.1ms  (rounds: 1000 req/s)',
    'ratio  300k   wapgw/nginx = 0.90x (median of round pairs 0.88x: 0.88)  goal >= 0.5x: met',
    'wapgw  small      4000 req/s      1.4 MB/s  latency avg 8ms  (rounds: 4000 req/s)  NON-2xx: 3',
  ].join('\n');
  const proxy = run.parseProxy(proxyOut);
  t.equal(proxy['300k'].ratio, 0.9);
  t.equal(proxy['300k'].pairedRatio, 0.88);
  t.equal(proxy.small.wapgw.non2xx, 3);
  const v = run.targets({ wsp: { result: wsp }, proxy: { result: proxy } });
  t.same(v.map((x: { verdict: string }) => x.verdict), ['PASS', 'PASS', 'PASS', 'PASS']);
  // a slow gateway, a short delivery, and a missing tool
  const slow = run.parseWsp(wspOut.replace('1.50 s wall', '2.00 s wall').replace('3/3 whole', '2/3 whole').replace('120.5 MB', '151.0 MB'));
  const v2 = run.targets({ wsp: { result: slow }, proxy: { skipped: 'skipped: wrk, nginx not installed' } });
  t.same(v2.map((x: { verdict: string }) => x.verdict), ['FAIL', 'FAIL', 'NOT MEASURED', 'FAIL']);
  const md = run.renderMarkdown({ runs: { wsp: { result: wsp, command: 'node bench/wsp/run.js', at: 'now', loadBefore: [1], loadAfter: [1], seconds: 1, exit: 0 } } }, { nproc: 2, cpuModel: 'x', memoryMB: 1, kernel: 'k', node: 'v20', loadavg: [0.5, 0.5, 0.5] });
  t.match(md, /\| WSP load \(50 handsets x 5000 Connect\+GET\+Disconnect\) \| >= 10x faster than Kannel \| .*11\.3x.* \| \*\*PASS\*\* \|/);
});

t.test('a rewrite of RESULTS.md keeps the hand-recorded sections below the mark', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-results-'));
  const file = path.join(dir, 'RESULTS.md');
  fs.writeFileSync(file, `# old generated part\n\n${run.HAND_MARK}\n\n## By hand\n\nfigures\n`);
  const tail: string = run.handRecorded(file);
  t.match(tail, /## By hand\n\nfigures\n$/, 'the hand sections come back');
  t.notMatch(tail, /old generated part/, 'the generated part does not');
  t.equal(run.handRecorded(path.join(dir, 'missing.md')).trim(), run.HAND_MARK, 'no file yet: only the mark');
  const real = fs.readFileSync(path.join(root, 'bench', 'RESULTS.md'), 'utf8');
  t.ok(real.includes(run.HAND_MARK), 'bench/RESULTS.md carries the mark');
});
