#!/usr/bin/env node
/**
 * Peer churn: a burst of PEERS new peers (each its own UDP socket, so a distinct source port),
 * opened in batches at RATE per second, each sending one WSP Connect (WTP class 2 Invoke) and
 * behaving as a handset (answers Ack(TIDve) with Ack(TIDok), acks the Result, retransmits the
 * Invoke with RID after 2 s, at most 3 times), then closing its socket without a Disconnect.
 * Then watches the gateway for LINGER seconds: /status (wspSessions, wtpTransactions), RSS.
 *
 *   node bench/robustness/churn.js [--peers 20000] [--rate 1600] [--idle-ms 10000]
 *       [--linger 40] [--probe] [--json]
 *
 * --idle-ms sets wsp.sessionIdleTimeoutMs (so expiry shows within the run). --probe sends one
 * more Connect from a fresh peer after the linger (any traffic runs the WTP purge; see report).
 * Checks: every Connect answered with a ConnectReply; RSS < 200 MB; sessions back to 0.
 */
'use strict';
const dgram = require('node:dgram');
const L = require('./lib');
const { decodeWtp, encodeWtp } = require('../lib/wapgw').wtp;

const o = L.args({ peers: 20000, rate: 1600, idleMs: 10000, linger: 40, probe: false, json: false, waitMs: 10000 });

const uintvar = (n) => {
  const out = [n & 0x7f];
  n = Math.floor(n / 128);
  while (n > 0) {
    out.unshift((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  return Buffer.from(out);
};
function connectPdu() {
  const cap = (id, v) => Buffer.concat([uintvar(v.length + 1), Buffer.from([0x80 | id]), v]);
  const caps = Buffer.concat([cap(0, uintvar(30000)), cap(1, uintvar(30000))]);
  const headers = Buffer.concat([Buffer.from([0xa9]), Buffer.from('churn\0')]);
  return Buffer.concat([Buffer.from([0x01, 0x10]), uintvar(caps.length), uintvar(headers.length), caps, headers]);
}
const CONNECT = connectPdu();

/** One peer: resolves with 'answered' | 'aborted' | 'timeout' and the time it took. */
function peer(gwPort, tid) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t0 = performance.now();
    let done = false;
    let tries = 0;
    let timer;
    const finish = (outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      setTimeout(() => s.close(), 50); // the final Ack leaves first
      resolve({ outcome, ms: performance.now() - t0 });
    };
    const invoke = (rid) =>
      s.send(encodeWtp({ type: 'Invoke', tid, tpis: [], gtr: false, ttr: true, rid, version: 0, tidNew: false, up: false, tcl: 2, data: CONNECT }), gwPort, '127.0.0.1');
    const arm = () => {
      timer = setTimeout(() => {
        if (++tries > 3) return finish('timeout');
        invoke(true);
        arm();
      }, 2000);
    };
    s.on('error', () => finish('error'));
    s.on('message', (m) => {
      let p;
      try {
        p = decodeWtp(m);
      } catch {
        return;
      }
      if (p.type === 'Ack' && p.tveTok) s.send(encodeWtp({ type: 'Ack', tid: p.tid & 0x7fff, tveTok: true, rid: false, tpis: [] }), gwPort, '127.0.0.1');
      else if (p.type === 'Result') {
        s.send(encodeWtp({ type: 'Ack', tid: p.tid & 0x7fff, tveTok: false, rid: false, tpis: [] }), gwPort, '127.0.0.1');
        finish(p.data[0] === 0x02 ? 'answered' : `reply-0x${p.data[0].toString(16)}`);
      } else if (p.type === 'Abort') finish('aborted');
    });
    s.bind(0, '127.0.0.1', () => {
      invoke(false);
      arm();
    });
  });
}

async function status(gw) {
  const r = await L.adminGet(gw, '/status');
  try {
    const j = JSON.parse(r.body);
    return { wspSessions: j.wspSessions, wtpTransactions: j.wtpTransactions };
  } catch {
    return {};
  }
}

async function main() {
  const org = await L.origin();
  const gw = await L.startWapgw({ mmsc: { url: `${org.url}/mms` }, wsp: { sessionIdleTimeoutMs: o.idleMs } }, { keepLines: false });
  const rss0 = L.rssMb(gw.child.pid);
  const outcomes = {};
  const lat = [];
  const pending = [];
  const t0 = performance.now();
  const batch = Math.max(1, Math.round(o.rate / 20)); // every 50 ms
  let rssMax = rss0;
  for (let i = 0; i < o.peers; i += batch) {
    for (let k = i; k < Math.min(o.peers, i + batch); k++) {
      pending.push(
        peer(gw.co, k & 0x7fff).then((r) => {
          outcomes[r.outcome] = (outcomes[r.outcome] || 0) + 1;
          if (r.outcome === 'answered') lat.push(r.ms);
        }),
      );
    }
    const due = t0 + ((i + batch) / o.rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await L.sleep(wait);
    if (i % (batch * 20) === 0) rssMax = Math.max(rssMax, L.rssMb(gw.child.pid));
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  await Promise.all(pending);
  const afterBurst = { ...(await status(gw)), rss: Math.round(L.rssMb(gw.child.pid)), fds: L.fdCount(gw.child.pid) };
  rssMax = Math.max(rssMax, afterBurst.rss);
  const series = [];
  const step = Math.min(10, o.linger);
  for (let s = step; s <= o.linger; s += step) {
    await L.sleep(step * 1000);
    const st = await status(gw);
    const rss = L.rssMb(gw.child.pid);
    rssMax = Math.max(rssMax, rss);
    series.push({ s, ...st, rss: Math.round(rss) });
  }
  let probe;
  if (o.probe) {
    const r = await peer(gw.co, 1);
    await L.sleep(500);
    probe = { outcome: r.outcome, ...(await status(gw)) };
  }
  const m = (await L.adminGet(gw, '/metrics')).body;
  lat.sort((a, b) => a - b);
  const result = {
    peers: o.peers,
    rateAsked: o.rate,
    rateAchieved: Math.round(o.peers / sendSeconds),
    outcomes,
    answered: outcomes.answered || 0,
    latencyMs: lat.length ? { p50: Math.round(lat[lat.length >> 1]), p99: Math.round(lat[Math.floor(lat.length * 0.99)]), max: Math.round(lat[lat.length - 1]) } : null,
    rssMb: { start: Math.round(rss0), max: Math.round(rssMax) },
    afterBurst,
    series,
    probe,
    tidVerifications: L.metric(m, 'wapgw_wtp_tid_verifications_total'),
    sessionIdleTimeoutMs: o.idleMs,
  };
  const last = series[series.length - 1] || afterBurst;
  const failures = [];
  if (result.answered !== o.peers) failures.push(`${o.peers - result.answered} Connects not answered`);
  if (!(rssMax < 200)) failures.push(`RSS ${rssMax} MB`);
  if (o.linger * 1000 >= o.idleMs + 3000 && last.wspSessions !== 0) failures.push(`${last.wspSessions} sessions left after ${o.linger} s`);
  result.failures = failures;
  await gw.stop();
  await org.close();
  if (o.json) console.log(JSON.stringify(result));
  else {
    console.log(JSON.stringify(result, null, 2));
    console.log(failures.length ? `FAIL: ${failures.join('; ')}` : 'PASS');
  }
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
