/**
 * The scale-curve figure (bench/plots/scale.svg) from the result of bench/scale/curves.js:
 * WSP and proxy throughput and p50/p99 latency against concurrency, CPU time per transaction,
 * and subscriber lookup time and memory per binding against table size. Uses bench/lib/svg.js.
 *
 *   node bench/scale/plot.js RESULT.json OUT.svg   (RESULT.json: the curves.js RESULT object)
 */
'use strict';
const fs = require('node:fs');
const { svgCharts } = require('../lib/svg');

const pts = (rows, x, y) => (rows || []).map((r) => [r[x], r[y]]);

function scalePlot(r) {
  const panels = [];
  const px = r.proxy || {};
  if (r.wsp || r.proxy) {
    panels.push({
      title: 'Throughput vs concurrency',
      xLabel: 'concurrent handsets / connections',
      yLabel: 'transactions per second',
      logX: true,
      series: [
        r.wsp && { name: 'WSP Connect+GET+Disconnect', points: pts(r.wsp, 'handsets', 'perSecond') },
        r.kannelWsp && { name: 'Kannel, same WSP load', points: pts(r.kannelWsp, 'handsets', 'perSecond'), dashed: true },
        px.small && { name: 'proxy GET 128 B', points: pts(px.small, 'connections', 'perSecond') },
        px['300k'] && { name: 'proxy GET 300 KB', points: pts(px['300k'], 'connections', 'perSecond') },
      ].filter(Boolean),
    });
    panels.push({
      title: 'Latency vs concurrency',
      xLabel: 'concurrent handsets / connections',
      yLabel: 'ms',
      logX: true,
      logY: true,
      series: [
        r.wsp && { name: 'WSP p50', points: pts(r.wsp, 'handsets', 'p50Ms') },
        r.wsp && { name: 'WSP p99', points: pts(r.wsp, 'handsets', 'p99Ms'), dashed: true },
        r.kannelWsp && { name: 'Kannel WSP p99', points: pts(r.kannelWsp, 'handsets', 'p99Ms'), dashed: true },
        px['300k'] && { name: 'proxy 300 KB p50', points: pts(px['300k'], 'connections', 'p50Ms') },
        px['300k'] && { name: 'proxy 300 KB p99', points: pts(px['300k'], 'connections', 'p99Ms'), dashed: true },
        px.small && { name: 'proxy 128 B p50', points: pts(px.small, 'connections', 'p50Ms') },
        px.small && { name: 'proxy 128 B p99', points: pts(px.small, 'connections', 'p99Ms'), dashed: true },
      ].filter(Boolean),
    });
    panels.push({
      title: 'Gateway CPU time per transaction',
      xLabel: 'concurrent handsets / connections',
      yLabel: 'CPU ms per transaction',
      logX: true,
      series: [
        r.wsp && { name: 'WSP cycle', points: pts(r.wsp, 'handsets', 'cpuMsPerCycle') },
        r.kannelWsp && { name: 'Kannel WSP cycle', points: pts(r.kannelWsp, 'handsets', 'cpuMsPerCycle'), dashed: true },
        px.small && { name: 'proxy GET 128 B', points: pts(px.small, 'connections', 'cpuMsPerRequest') },
        px['300k'] && { name: 'proxy GET 300 KB', points: pts(px['300k'], 'connections', 'cpuMsPerRequest') },
      ].filter(Boolean),
    });
  }
  if (r.subscribers && r.subscribers.length) {
    panels.push({
      title: 'Subscriber lookup vs table size',
      xLabel: 'bindings',
      yLabel: 'ns per lookup',
      logX: true,
      series: [
        { name: 'hit', points: pts(r.subscribers, 'bindings', 'lookupHitNs') },
        { name: 'miss', points: pts(r.subscribers, 'bindings', 'lookupMissNs') },
      ],
    });
    panels.push({
      title: 'Subscriber memory vs table size',
      xLabel: 'bindings',
      yLabel: 'bytes per binding',
      logX: true,
      series: [{ name: 'heap growth / bindings', points: pts(r.subscribers, 'bindings', 'bytesPerBinding') }],
    });
  }
  return svgCharts(panels, { columns: 3 });
}

module.exports = { scalePlot };

if (require.main === module) {
  const [inp, out] = process.argv.slice(2);
  if (!inp || !out) {
    console.error('usage: node bench/scale/plot.js RESULT.json OUT.svg');
    process.exit(2);
  }
  fs.writeFileSync(out, scalePlot(JSON.parse(fs.readFileSync(inp, 'utf8'))));
}
