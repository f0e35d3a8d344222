'use strict';
/** The PPG section of bench/RESULTS.md (bench/run.js calls it with runs.ppg). */
const f = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(d));

function ppgSection(run, when) {
  const out = ['## PPG: PAP push to submit_sm, wapgw against Kannel', ''];
  if (run.skipped) return [...out, run.skipped, ''];
  const r = run.result || {};
  const o = r.options || {};
  out.push(
    `\`${run.command}\`, ${when(run)}. ${o.pushes ?? '?'} pushes (after ${o.warmup ?? '?'} warm-up pushes), ${o.concurrency ?? '?'} PAP requests in flight over keep-alive, SMPP window ${o.window ?? '?'}, one address each, ${o.content === 'si' ? 'an SI document (compiled to SIC by each PPG)' : 'an m-notification-ind'} as content. The test SMSC (npm \`smpp\` server mode) and the initiator run in the benchmark's process; the delay is from sending the PAP request to the first submit_sm of that push at the SMSC. wapgw at \`log.level: ${o.wapgwLogLevel ?? 'info'}\`, Kannel at \`log-level = 4\`. Durability on for both: wapgw's journal is fsynced before it answers 1001 (\`ppg.fsync: true\`); Kannel's bearerbox keeps its SMS queue in its store file (\`store-type = file\`; Kannel's PPG itself holds pushes in memory only). CPU per push: utime+stime of the PPG's processes (wapgw; Kannel's bearerbox + wapbox) over the measured pushes.`,
    '',
    '| PPG | submitted | pushes/s | delay p50 ms | delay p99 ms | CPU ms / push | RSS MB | refused |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const who of ['wapgw', 'kannel']) {
    const x = r[who];
    if (!x) continue;
    if (x.error || x.skipped) out.push(`| ${who} | ${x.error || x.skipped} | | | | | | |`);
    else out.push(`| ${who} | ${x.submitted}/${x.pushes} | ${f(x.pushesPerSecond, 0)} | ${f(x.delayMs?.p50)} | ${f(x.delayMs?.p99)} | ${f(x.cpuMsPerPush, 3)} | ${f(x.rssMb, 0)} | ${x.refused} |`);
  }
  out.push('');
  const goal = [];
  if (r.ratio) goal.push(`| pushes/s against Kannel | >= 5x | **${f(r.ratio.rate, 2)}x** (CPU per push ${f(r.ratio.cpuPerPush, 2)}x less) | **${r.ratio.rate >= 5 ? 'PASS' : 'FAIL'}** |`);
  else goal.push(`| pushes/s against Kannel | >= 5x | n/a | **NOT MEASURED** |`);
  if (r.queue?.rssMb !== undefined) goal.push(`| RSS with ${r.queue.pending} pending pushes | <= 300 MB (100 000) | **${f(r.queue.rssMb, 0)} MB** (idle ${f(r.queue.rssMbIdle, 0)} MB; ${f(r.queue.rssMbAfterRestart, 0)} MB after a restart that replayed the journal in ${f(r.queue.restartSeconds)} s; journal ${f(r.queue.journalMb)} MB on disk; accepted at ${f(r.queue.acceptedPerSecond, 0)}/s${r.queue.refused ? `, ${r.queue.refused} refused` : ''}) | **${r.queue.pending >= 100000 ? (r.queue.rssMb <= 300 ? 'PASS' : 'FAIL') : 'NOT MEASURED at 100 000'}** |`);
  else goal.push(`| RSS with 100 000 pending pushes | <= 300 MB | ${r.queue?.error ?? 'n/a'} | **NOT MEASURED** |`);
  out.push('Targets (issue 12):', '', '| target | goal | measured | verdict |', '|---|---|---|---|', ...goal, '');
  if (run.tail) out.push('```', run.tail, '```', '');
  return out;
}

module.exports = { ppgSection };
