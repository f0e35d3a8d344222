#!/usr/bin/env node
/**
 * Loss: Kannel's fakewap with `-l PERCENT` (it drops that share of the datagrams it receives) as
 * HANDSETS concurrent handsets (one fakewap process each), against wapgw (node dist/cli.js)
 * and against Kannel (bearerbox + wapbox, configured as shared/interop/kannel/record.sh), in
 * the same run with the same origin.
 *
 *   node bench/robustness/loss.js [--loss 10] [--handsets 5] [--requests 20] [--post-loss 20]
 *       [--posts 30] [--skip-kannel] [--json]
 *
 * --requests 0 skips phase 1. --relay-loss P --relay-dup P --relay-reorder P (fractions, e.g. 0.1)
 * put a seeded lossy relay between the POSTing handsets and the gateway: loss, duplication and
 * reordering in both directions, on top of fakewap's own -l (which drops only what it receives).
 *
 * Phase 1 (GET): each handset makes REQUESTS Connect+GET+Disconnect transactions; reports the
 * average time per transaction and how many completed, per gateway.
 * Phase 2 (POST): POSTS MMS POSTs at POST_LOSS %, each with a distinct 1 000-octet body (one
 * fakewap per POST, HANDSETS at a time); the origin counts bodies by SHA-256: every POST that
 * fakewap saw answered must have reached the origin exactly once, and none twice.
 * Kannel uses its fixed ports (9200/9201, 13900, 13902): run nothing else there.
 */
'use strict';
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const L = require('./lib');

const o = L.args({ loss: 10, handsets: 5, requests: 20, postLoss: 20, posts: 30, skipKannel: false, json: false, relayLoss: 0, relayDup: 0, relayReorder: 0, seed: 1 });

function portFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function startKannel() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kannel-loss-'));
  fs.writeFileSync(
    path.join(dir, 'kannel.conf'),
    ['group = core', 'admin-port = 13900', 'admin-password = x', 'admin-allow-ip = "127.0.0.1"', 'wapbox-port = 13902', 'wdp-interface-name = "*"', 'box-allow-ip = "127.0.0.1"', 'log-level = 4', '', 'group = wapbox', 'bearerbox-host = localhost', 'log-level = 4', 'syslog-level = none', ''].join('\n'),
  );
  const bb = spawn('/usr/sbin/bearerbox', ['kannel.conf'], { cwd: dir, stdio: 'ignore' });
  await L.sleep(1500);
  const wb = spawn('/usr/sbin/wapbox', ['kannel.conf'], { cwd: dir, stdio: 'ignore' });
  await L.sleep(2500);
  return {
    co: 9201,
    stop: async () => {
      wb.kill('SIGTERM');
      await L.sleep(500);
      bb.kill('SIGTERM');
      await L.sleep(500);
      wb.kill('SIGKILL');
      bb.kill('SIGKILL');
    },
  };
}

async function gets(name, coPort, org) {
  const runs = await Promise.all(
    Array.from({ length: o.handsets }, () =>
      L.fakewap(['-g', '127.0.0.1', '-p', String(coPort), '-M', '1', '-i', '0', '-F', '-m', String(o.requests), '-l', String(o.loss), `${org.url}/get?size=200`], 600000),
    ),
  );
  const done = runs.reduce((a, r) => a + r.ok, 0);
  const avg = runs.reduce((a, r) => a + r.ms / o.requests, 0) / runs.length;
  return { gateway: name, loss: o.loss, handsets: o.handsets, transactions: o.handsets * o.requests, completed: done, avgMsPerTransaction: Math.round(avg), maxProcessMs: Math.round(Math.max(...runs.map((r) => r.ms))) };
}

async function posts(name, gwPort, org) {
  // optionally through a lossy relay (loss, duplication, reordering both ways) on top of -l
  const relay = o.relayLoss || o.relayDup || o.relayReorder ? await L.lossyRelay({ targetPort: gwPort, loss: o.relayLoss, duplicate: o.relayDup, reorder: o.relayReorder, seed: o.seed }) : null;
  const coPort = relay ? relay.port : gwPort;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loss-posts-'));
  const before = new Map(org.postBodies);
  const hashes = [];
  let answered = 0;
  let firstFailure;
  const t0 = performance.now();
  for (let i = 0; i < o.posts; i += o.handsets) {
    const batch = [];
    for (let k = i; k < Math.min(o.posts, i + o.handsets); k++) {
      const body = require('node:crypto').randomBytes(1000);
      const f = path.join(dir, `p${k}.bin`);
      fs.writeFileSync(f, body);
      hashes.push(require('node:crypto').createHash('sha256').update(body).digest('hex'));
      batch.push(L.fakewap(['-g', '127.0.0.1', '-p', String(coPort), '-M', '1', '-i', '0', '-m', '1', '-D', '1', '-l', String(o.postLoss), '-C', 'mms', '-P', f, `${org.url}/mms?size=60&type=application/vnd.wap.mms-message`], 120000));
    }
    for (const r of await Promise.all(batch)) {
      answered += r.ok;
      if (r.ok === 0 && !firstFailure) firstFailure = `code ${r.code} signal ${r.signal} ms ${Math.round(r.ms)}\n` + r.out.split('\n').slice(-25).join('\n');
    }
  }
  const counts = hashes.map((h) => (org.postBodies.get(h) || 0) - (before.get(h) || 0));
  if (relay) relay.close();
  return {
    relay: relay ? { loss: o.relayLoss, duplicate: o.relayDup, reorder: o.relayReorder, ...relay.stats } : undefined,
    gateway: name,
    loss: o.postLoss,
    posts: o.posts,
    answered,
    reachedOnce: counts.filter((c) => c === 1).length,
    reachedTwiceOrMore: counts.filter((c) => c > 1).length,
    neverReached: counts.filter((c) => c === 0).length,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    firstFailure,
  };
}

async function main() {
  if (!L.hasFakewap()) {
    console.log('fakewap not installed (kannel-extras): nothing to measure');
    process.exit(0);
  }
  const org = await L.origin();
  /** @type {{ get: any[], post: any[], kannel?: string, failures?: string[] }} */
  const out = { get: [], post: [] };
  const gw = await L.startWapgw({ mmsc: { url: `${org.url}/mms`, timeoutMs: 10000 } });
  if (o.requests > 0) out.get.push(await gets('wapgw', gw.co, org));
  out.post.push(await posts('wapgw', gw.co, org));
  await gw.stop();
  let kannelSkipped = o.skipKannel ? 'skipped (--skip-kannel)' : null;
  if (!kannelSkipped && !fs.existsSync('/usr/sbin/bearerbox')) kannelSkipped = 'kannel not installed';
  if (!kannelSkipped && !((await portFree(9200)) && (await portFree(9201)))) kannelSkipped = 'ports 9200/9201 busy';
  if (!kannelSkipped) {
    const k = await startKannel();
    try {
      if (o.requests > 0) out.get.push(await gets('kannel', k.co, org));
      out.post.push(await posts('kannel', k.co, org));
    } finally {
      await k.stop();
    }
  }
  if (kannelSkipped) out.kannel = kannelSkipped;
  await org.close();
  const w = out.get[0];
  const kk = out.get[1];
  const failures = [];
  if (w && w.completed !== w.transactions) failures.push(`wapgw completed ${w.completed}/${w.transactions}`);
  if (w && kk && !(w.avgMsPerTransaction < kk.avgMsPerTransaction)) failures.push('wapgw not faster than Kannel');
  const wp = out.post[0];
  if (wp.reachedTwiceOrMore > 0) failures.push(`${wp.reachedTwiceOrMore} POSTs reached the origin twice`);
  if (wp.reachedOnce < wp.answered) failures.push('an answered POST did not reach the origin');
  out.failures = failures;
  if (o.json) console.log(JSON.stringify(out));
  else {
    console.log(JSON.stringify(out, null, 2));
    console.log(failures.length ? `FAIL: ${failures.join('; ')}` : 'PASS');
  }
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
