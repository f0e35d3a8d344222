#!/usr/bin/env node
/**
 * Issue 15: Method-MOR-1 handsets on a lossy radio link, wapgw against Kannel in one run.
 *
 *   node bench/robustness/mor1.js [--handsets 5] [--posts 8] [--retry-ms 1000] [--seed 1]
 *       [--skip-kannel] [--json] [--markdown FILE]
 *
 * --markdown FILE also writes the tables as a Markdown section (bench/run.js copies
 * bench/robustness/mor1.md into bench/RESULTS.md); --render JSON --markdown FILE writes it from
 * the --json output of an earlier run instead of measuring.
 *
 * The handsets are our own (test/helpers/mor1-client.ts on lossy-link.ts's WTP initiator, over
 * UDP with udp-handset.ts; compiled here with the project's tsc): Method-MOR 1, no capabilities
 * proposed, each 600-octet MMS POST sent as soon as the previous Result is acknowledged, Invokes
 * retransmitted with RID until a Result or hold-on Ack, TIDok only for an open transaction
 * (Abort INVALIDTID otherwise). They talk through a seeded lossy relay
 * (test/helpers/lossy-relay.ts: loss both ways, duplicates up to 50 ms late).
 *
 * Rows: random loss 10 % + 5 % dup, 20 % + 10 %, 30 % + 20 % (HANDSETS x (Connect, POSTS
 * POSTs, Disconnect)), then one row per targeted case of the issue (one handset, the relay drops
 * the named datagrams). Per row and gateway: POSTs answered 200, POSTs at the MMSC once / twice,
 * Aborts the handsets got (by reason), mean time per POST. wapgw runs as shipped (dist/cli.js,
 * default WTP timers); Kannel as bearerbox + wapbox on its fixed ports (9200/9201, 13900, 13902).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib');
const { startKannel, kannelPortsFree } = require('../lib/common');

const o = L.args({ handsets: 5, posts: 8, retryMs: 1000, seed: 1, skipKannel: false, json: false, markdown: '', render: '' });

/** Compiles the TypeScript test handset and relay (and the src modules they use) to a temp dir. */
function loadHelpers() {
  // inside the repository, so that the compiled modules find node_modules
  const cache = path.join(L.ROOT, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const out = fs.mkdtempSync(path.join(cache, 'wapgw-mor1-'));
  const files = ['test/helpers/mor1-client.ts', 'test/helpers/udp-handset.ts', 'test/helpers/lossy-relay.ts'].map((f) => path.join(L.ROOT, f));
  const tsc = path.join(L.ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '--outDir', out, '--rootDir', L.ROOT, '--module', 'commonjs', '--target', 'ES2022', '--esModuleInterop', '--skipLibCheck', '--resolveJsonModule', '--types', 'node', ...files], { cwd: L.ROOT, stdio: 'inherit' });
  const req = (p) => require(path.join(out, p));
  return {
    Mor1Client: req('test/helpers/mor1-client.js').Mor1Client,
    UdpHandsetHost: req('test/helpers/udp-handset.js').UdpHandsetHost,
    startLossyRelay: req('test/helpers/lossy-relay.js').startLossyRelay,
    decodeWtp: req('src/codec/wtp/index.js').decodeWtp,
    cleanup: () => fs.rmSync(out, { recursive: true, force: true }),
  };
}

const REASONS = { 0xe1: 'DISCONNECT', 0xe3: 'RESUME', 0xe7: 'MOREXCEEDED', 0x01: 'PROTOERR', 0x02: 'INVALIDTID', 0x06: 'NORESPONSE' };
const uintvar = (n) => {
  const out = [n & 0x7f];
  for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) out.unshift((n & 0x7f) | 0x80);
  return Buffer.from(out);
};
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const until = async (cond, ms) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await L.sleep(25);
  return cond();
};

/**
 * The targeted cases of issue 15: which datagrams the relay drops, and what the handset does.
 * `drop(dir, pdu, state)` sees every decoded WTP PDU; TID 1 is the Connect, 2.. the POSTs.
 */
const CASES = [
  {
    name: 'lost Ack of a POST Result, next POST at once',
    posts: 3,
    drop: (dir, p, s) => dir === 'up' && p.type === 'Ack' && !p.tveTok && p.tid === 2 && s.n < 1 && ++s.n > 0,
  },
  {
    name: 'lost ConnectReply Ack, then the first method',
    posts: 2,
    drop: (dir, p, s) => dir === 'up' && p.type === 'Ack' && !p.tveTok && p.tid === 1 && s.n < 2 && ++s.n > 0,
  },
  {
    name: 'Disconnect racing an unacknowledged Result',
    posts: 2,
    // every Ack of the last POST's Result lost; the Disconnect follows at once
    drop: (dir, p) => dir === 'up' && p.type === 'Ack' && !p.tveTok && p.tid === 3,
  },
  {
    name: 'duplicate Connect after the session exists',
    posts: 3,
    drop: () => false,
    // a copy of the Connect Invoke (RID = 0, same TID) arrives after the first POST
    onStep: (ctx, out) => {
      if (out.what === 'post' && !ctx.sentDup && ctx.connect) {
        ctx.sentDup = true;
        ctx.host.transmit('up', '', ctx.connect);
      }
    },
  },
  {
    name: 'Resume from a new address with a Result pending',
    posts: 1,
    resume: true,
    drop: () => false,
  },
  {
    name: 'TID verification with the TIDok lost',
    posts: 2,
    drop: (dir, p, s) => dir === 'up' && p.type === 'Ack' && p.tveTok && s.n < 2 && ++s.n > 0,
  },
];

async function runLoss(H, gwPort, org, loss, dup, label) {
  const relay = await H.startLossyRelay({ targetPort: gwPort, loss, duplicate: dup, seed: o.seed });
  const hosts = [];
  const clients = [];
  for (let i = 0; i < o.handsets; i++) {
    const host = await H.UdpHandsetHost.open(relay.port, { retryMs: o.retryMs, maxRetries: 20 });
    hosts.push(host);
    clients.push(new H.Mor1Client(host.handset, `${org.url}/mms?size=60&type=application/vnd.wap.mms-message`, o.posts, { tag: `${label}-${loss}-${i}`, clock: () => performance.now() }));
  }
  const before = new Map(org.postBodies);
  const t0 = performance.now();
  for (const c of clients) c.start();
  await until(() => clients.every((c) => c.finished), 600_000);
  const seconds = (performance.now() - t0) / 1000;
  await L.sleep(500);
  const res = summarize(clients, org, before);
  for (const h of hosts) h.close();
  relay.close();
  return { loss, duplicate: dup, ...res, seconds: +seconds.toFixed(1), relay: relay.stats };
}

async function runCase(H, gwPort, org, kase, label) {
  const state = { n: 0 };
  const ctx = {};
  const relay = await H.startLossyRelay({
    targetPort: gwPort,
    drop: (dir, d) => {
      let p;
      try {
        p = H.decodeWtp(d);
      } catch {
        return false;
      }
      if (dir === 'up' && p.type === 'Invoke' && p.tid === 1 && !p.rid && !ctx.connect) ctx.connect = p;
      return kase.drop(dir, { ...p, tid: p.tid & 0x7fff }, state);
    },
  });
  const host = await H.UdpHandsetHost.open(relay.port, { retryMs: o.retryMs, maxRetries: 20 });
  ctx.host = host;
  const url = `${org.url}/mms?size=60&type=application/vnd.wap.mms-message`;
  const caps = kase.resume ? [Buffer.from([0x02, 0x82, 0x20])] : [];
  const c = new H.Mor1Client(host.handset, url, kase.posts, { tag: `${label}-${kase.name}`, clock: () => performance.now(), connectCaps: caps, disconnect: !kase.resume });
  if (kase.onStep) c.onStep = (out) => kase.onStep(ctx, out);
  const before = new Map(org.postBodies);
  const extra = {};
  let moved;
  if (kase.resume) {
    // the origin is slow for this case, so the Result is pending when the phone moves
    org.delayMs = 1500;
    c.start();
    await until(() => c.sessionId !== undefined && c.outcomes.length === 1, 20_000);
    await L.sleep(300);
    moved = await H.UdpHandsetHost.open(relay.port, { retryMs: o.retryMs, maxRetries: 20 });
    const resume = moved.handset.invoke(Buffer.concat([Buffer.from([0x09]), uintvar(c.sessionId ?? 0), Buffer.from([0x00])]));
    await until(() => resume.finished, 30_000);
    extra.resume = resume.phase === 'done' && resume.result?.[0] === 0x04 ? `Reply 0x${resume.result[1].toString(16)}` : `${resume.phase}${resume.abort ? ` 0x${resume.abort.reason.toString(16)}` : ''}`;
    if (resume.phase === 'done') {
      const get = moved.handset.invoke(Buffer.concat([Buffer.from([0x40]), uintvar(url.length), Buffer.from(url, 'latin1')]));
      await until(() => get.finished, 30_000);
      extra.methodAfterResume = get.phase === 'done' ? `Reply 0x${get.result?.[1].toString(16)}` : `${get.phase}${get.abort ? ` 0x${get.abort.reason.toString(16)}` : ''}`;
    }
    org.delayMs = 0;
  } else c.start();
  await until(() => c.finished, 120_000);
  await L.sleep(kase.name.startsWith('Disconnect') ? 3000 : 500);
  const res = summarize([c], org, before);
  host.close();
  moved?.close();
  relay.close();
  return { case: kase.name, connect: c.outcomes[0]?.phase, datagramsDropped: state.n, ...res, ...extra };
}

function summarize(clients, org, before) {
  const posts = clients.flatMap((c) => c.posts);
  const bodies = clients.flatMap((c) => c.bodies.slice(0, c.posts.length));
  const counts = bodies.map((b) => (org.postBodies.get(sha(b)) || 0) - (before.get(sha(b)) || 0));
  const aborts = {};
  for (const p of posts) if (p.abortReason !== undefined) aborts[REASONS[p.abortReason] || p.abortReason] = (aborts[REASONS[p.abortReason] || p.abortReason] || 0) + 1;
  const answered = posts.filter((p) => p.status === 200);
  const ms = answered.map((p) => p.ms);
  return {
    posts: clients.reduce((n, c) => n + c.bodies.length, 0),
    sent: posts.length,
    answered: answered.length,
    reachedOnce: counts.filter((n) => n === 1).length,
    reachedTwice: counts.filter((n) => n > 1).length,
    aborts,
    meanMsPerPost: ms.length ? Math.round(ms.reduce((a, b) => a + b, 0) / ms.length) : null,
  };
}

async function measure(H, name, port, org) {
  const out = { gateway: name, loss: [], cases: [] };
  for (const [loss, dup] of [
    [0.1, 0.05],
    [0.2, 0.1],
    [0.3, 0.2],
  ])
    out.loss.push(await runLoss(H, port, org, loss, dup, name));
  for (const k of CASES) out.cases.push(await runCase(H, port, org, k, name));
  return out;
}

function markdown(out) {
  const [w, k] = out.results;
  const cell = (r) => {
    if (!r) return 'n/a';
    const ab = Object.entries(r.aborts).map(([n, c]) => `${c} ${n}`).join(', ') || 'none';
    return `${r.answered}/${r.posts} answered${r.sent < r.posts ? ` (${r.sent} sent)` : ''}; MMSC once ${r.reachedOnce}, twice ${r.reachedTwice}; aborts: ${ab}; ${r.meanMsPerPost ?? '-'} ms/POST`;
  };
  const L2 = [
    '## Lossy radio links: Method-MOR-1 handsets, wapgw and Kannel (issue 15)',
    '',
    `Command: \`node bench/robustness/mor1.js --markdown bench/robustness/mor1.md\` (after \`npm run build\`), ${new Date().toISOString().slice(0, 10)}. ` +
      `${out.handsets} handsets of our own (test/helpers/mor1-client.ts: Method-MOR 1, no capabilities, each 600-octet MMS POST sent as soon as the previous Result is acknowledged, ` +
      `Invokes retransmitted every ${out.handsetRetryMs} ms until a Result or hold-on Ack, TIDok only for an open transaction) x (Connect, ${out.postsPerHandset} POSTs, Disconnect), ` +
      `through a seeded relay (seed ${out.seed}) that loses datagrams both ways and duplicates some (the copy up to 50 ms late). wapgw as shipped (dist/cli.js, default WTP timers), ` +
      'Kannel 1.4.5 bearerbox + wapbox, same origin, one run. "ms/POST": mean from Invoke to the end of the transaction, answered POSTs only.',
    '',
    '| loss, duplication | wapgw | Kannel |',
    '|---|---|---|',
  ];
  for (const r of w.loss) L2.push(`| ${r.loss * 100} %, ${r.duplicate * 100} % | ${cell(r)} | ${cell(k?.loss?.find((x) => x.loss === r.loss))} |`);
  L2.push('', 'One handset per case; the relay drops only the named datagrams:', '', '| case | wapgw | Kannel |', '|---|---|---|');
  const extra = (r) => (r?.resume ? `; Resume: ${r.resume}; a method after it: ${r.methodAfterResume ?? 'not sent'}` : '');
  for (const r of w.cases) {
    const kc = k?.cases?.find((x) => x.case === r.case);
    const dropped = (x) => (x.datagramsDropped !== undefined ? `; ${x.datagramsDropped} dropped` : '');
    L2.push(`| ${r.case} | ${cell(r)}${extra(r)}${dropped(r)} | ${kc ? cell(kc) + extra(kc) + dropped(kc) : 'n/a'} |`);
  }
  L2.push(
    '',
    '"dropped": datagrams the relay dropped for the case (the Disconnect case drops every Ack of the last Result and does not count them). Kannel never verifies a new initiator, so its TIDok case drops nothing. The Resume case needs Session Resume, which the handset proposes there; the POST pending at the old address is aborted with RESUME by both, as the WAP-230 server session table says.',
  );
  L2.push('', `Checks: ${out.failures.length ? out.failures.join('; ') : 'no POST at the MMSC twice, no MOREXCEEDED, wapgw answered >= Kannel at 20 %: PASS'}`, '');
  return L2.join('\n');
}

async function main() {
  const H = loadHelpers();
  const org = await L.origin();
  const results = [];
  try {
    const gw = await L.startWapgw({ mmsc: { url: `${org.url}/mms`, timeoutMs: 10000 }, proxy: { requireSubscriber: false } });
    try {
      results.push(await measure(H, 'wapgw', gw.co, org));
    } finally {
      await gw.stop();
    }
    let skipped = o.skipKannel ? 'skipped (--skip-kannel)' : null;
    if (!skipped && !fs.existsSync('/usr/sbin/bearerbox')) skipped = 'kannel not installed';
    if (!skipped && !(await kannelPortsFree())) skipped = 'Kannel ports busy';
    if (!skipped) {
      const k = await startKannel();
      try {
        results.push(await measure(H, 'kannel', k.ports.co, org));
      } finally {
        await k.stop();
      }
    } else results.push({ gateway: 'kannel', skipped });
  } finally {
    await org.close();
    H.cleanup();
  }
  const w = results[0];
  const k = results[1];
  const failures = [];
  for (const r of w.loss) {
    if (r.reachedTwice) failures.push(`wapgw: ${r.reachedTwice} POSTs at the MMSC twice at ${r.loss * 100} %`);
    if (r.aborts.MOREXCEEDED) failures.push(`wapgw: ${r.aborts.MOREXCEEDED} MOREXCEEDED at ${r.loss * 100} %`);
  }
  const w20 = w.loss.find((r) => r.loss === 0.2);
  const k20 = k.loss?.find((r) => r.loss === 0.2);
  if (k20 && w20.answered < k20.answered) failures.push(`wapgw answered ${w20.answered} < Kannel's ${k20.answered} at 20 %`);
  const out = { handsets: o.handsets, postsPerHandset: o.posts, handsetRetryMs: o.retryMs, seed: o.seed, results, failures };
  if (o.markdown) fs.writeFileSync(o.markdown, markdown(out));
  if (o.json) console.log(JSON.stringify(out));
  else {
    console.log(JSON.stringify(out, null, 2));
    console.log(failures.length ? `FAIL: ${failures.join('; ')}` : 'PASS');
  }
  process.exit(failures.length ? 1 : 0);
}

if (o.render) {
  const text = fs.readFileSync(o.render, 'utf8');
  fs.writeFileSync(o.markdown || '/dev/stdout', markdown(JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1))));
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
