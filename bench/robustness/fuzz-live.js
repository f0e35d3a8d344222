#!/usr/bin/env node
/**
 * Live UDP fuzz: starts wapgw (node dist/cli.js, temp config, ephemeral loopback ports, a local
 * counting origin as the MMSC) and sends COUNT held-out mutations of the Kannel captures
 * (bit flips, truncations, insertions, field swaps, splices, duplicated regions, hostile
 * uintvars, random TIDs) to its connection-oriented (9201) and connectionless (9200) ports from
 * many source ports (a pool of sockets, rotated), while fakewap keeps doing GETs.
 * Every sender socket counts the bytes it sent and the bytes it got back, so the amplification
 * factor per peer (received / sent) is measured on the wire, not taken from the gateway.
 *
 *   node bench/robustness/fuzz-live.js [--count 200000] [--seconds 300] [--rate 5000]
 *       [--senders 128] [--rotate 2000] [--seed 1] [--settle 3000] [--linger 0] [--json]
 *
 * Checks (exit 1 when one fails): the gateway is alive and /healthz is 200 at the end; RSS
 * stayed under 200 MB; fakewap kept getting 200 OK during the run and gets one after it;
 * no peer that never sent an Ack with TIDok (so whose TID was never verified) on the WTP port
 * got more bytes than it sent. Connectionless (9200) replies are reported separately: WSP
 * connectionless has no TID verification (see the report).
 */
'use strict';
const dgram = require('node:dgram');
const L = require('./lib');

const o = L.args({ count: 200000, seconds: 300, rate: 5000, senders: 128, rotate: 2000, seed: 1, json: false, clRatio: 0.3, settle: 3000, linger: 0 });

async function main() {
  const org = await L.origin();
  const gw = await L.startWapgw({ mmsc: { url: `${org.url}/mms`, timeoutMs: 5000 }, wsp: { connectionlessMaxAmplification: 1 } }, { keepLines: false });
  const seeds = L.corpus();
  const co = seeds.filter((s) => s.dst === 'co' || s.dst === 'reply-co').map((s) => s.bytes);
  const cl = seeds.filter((s) => s.dst === 'cl' || s.dst === 'reply-cl').map((s) => s.bytes);
  const mutate = L.mutator(o.seed);
  const r = L.rng(o.seed ^ 0x5eed);

  // ---- sender pool
  // stats per source port, across socket lifetimes: the gateway sees address:port, and a port the
  // kernel hands out again continues the same peer (late retransmissions toward it count there)
  const byPort = new Map();
  const pool = [];
  const openSender = () =>
    new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.on('error', () => {});
      s.bind(0, '127.0.0.1', () => {
        const port = s.address().port;
        // half the peers are strict: they never send anything that could verify a TID
        let p = byPort.get(port);
        if (!p) {
          p = { tx: { co: 0, cl: 0 }, rx: { co: 0, cl: 0 }, verified: false, strict: r.next() < 0.5 };
          byPort.set(port, p);
        }
        s.on('message', (m, rinfo) => {
          if (rinfo.port === gw.co) p.rx.co += m.length;
          else p.rx.cl += m.length;
        });
        resolve({ sock: s, p });
      });
    });
  const closeSender = (st) => {
    try {
      st.sock.close();
    } catch {}
  };
  for (let i = 0; i < o.senders; i++) pool.push(await openSender());

  // ---- the real client: fakewap GET loops on the CO port
  const client = { runs: 0, ok: 0, failedRuns: 0, stop: false, ms: /** @type {number[]} */ ([]) };
  const clientLoop = (async () => {
    if (!L.hasFakewap()) return;
    while (!client.stop) {
      const res = await L.fakewap(['-g', '127.0.0.1', '-p', String(gw.co), '-M', '1', '-i', '0.05', '-m', '5', `${org.url}/get?size=200`], 30000);
      client.runs++;
      client.ok += res.ok;
      client.ms.push(res.ms / 5);
      if (res.code !== 0 || res.ok !== 5) {
        client.failedRuns++;
        if (!client.firstFailure) client.firstFailure = { code: res.code, ok: res.ok, tail: res.out.split('\n').filter((l) => !/status code 200OK/.test(l) && /reply|abort|status|timeout|retr|error|warn/i.test(l)).slice(0, 12).join('\n') };
      }
    }
  })();

  // ---- sampling
  const samples = [];
  const sample = () => samples.push({ t: Date.now(), rss: L.rssMb(gw.child.pid), fds: L.fdCount(gw.child.pid) });
  sample();
  const sampler = setInterval(sample, 1000);

  // ---- the fuzz
  const t0 = Date.now();
  const deadline = t0 + o.seconds * 1000;
  let sent = 0;
  let rotated = 0;
  const batch = 100;
  while (sent < o.count && Date.now() < deadline && gw.alive()) {
    for (let k = 0; k < batch && sent < o.count; k++, sent++) {
      const slot = pool[r.int(pool.length)];
      const st = slot.p;
      const toCl = r.next() < o.clRatio;
      const src = toCl ? cl : co;
      // an Ack (PDU type 3) with the TIDve/TIDok flag, alone or inside a concatenation (type 0)
      // may verify a TID, after which the peer's budget no longer applies
      const mayVerify = (d) => d.length >= 1 && ((((d[0] >> 3) & 0x0f) === 3 && d[0] & 0x04) || ((d[0] >> 3) & 0x0f) === 0);
      let d = mutate(r.pick(src), r.pick(src));
      if (!toCl && st.strict) while (mayVerify(d)) d = mutate(r.pick(src), r.pick(src));
      if (!toCl && mayVerify(d)) st.verified = true;
      st.tx[toCl ? 'cl' : 'co'] += d.length;
      slot.sock.send(d, toCl ? gw.cl : gw.co, '127.0.0.1');
    }
    // pace to --rate
    const due = t0 + (sent / o.rate) * 1000;
    const wait = due - Date.now();
    await (wait > 0 ? L.sleep(wait) : new Promise((res) => setImmediate(res)));
    // rotate: close the oldest sockets, open fresh ones (new source ports)
    if (Math.floor(sent / o.rotate) > rotated) {
      rotated++;
      for (let i = 0; i < 16; i++) {
        const idx = r.int(pool.length);
        const old = pool[idx];
        pool[idx] = await openSender();
        setTimeout(() => closeSender(old), Math.min(2000, o.settle)); // late replies still counted
      }
    }
  }
  const fuzzMs = Date.now() - t0;
  await L.sleep(o.settle); // replies and retransmissions still in flight
  for (const st of pool) closeSender(st);
  await L.sleep(Math.min(2100, o.settle));
  client.stop = true;
  await clientLoop;

  // ---- optionally watch the state drain (timers W, TID cache TTL)
  const lingerSeries = [];
  for (let i = 0; i < o.linger; i += 10) {
    await L.sleep(10000);
    const m = (await L.adminGet(gw, '/metrics')).body;
    lingerSeries.push({ s: i + 10, rss: Math.round(L.rssMb(gw.child.pid)), heapMb: Math.round(L.metric(m, 'wapgw_nodejs_heap_size_used_bytes') / 1048576), wtp: L.metric(m, 'wapgw_wtp_transactions_active') });
  }

  // ---- after the fuzz: still answering?
  const healthz = await L.adminGet(gw, '/healthz');
  const metrics = (await L.adminGet(gw, '/metrics')).body;
  const status = JSON.parse((await L.adminGet(gw, '/status')).body || '{}');
  const after = L.hasFakewap() ? await L.fakewap(['-g', '127.0.0.1', '-p', String(gw.co), '-M', '1', '-i', '0', '-m', '3', `${org.url}/after?size=100`], 20000) : null;
  sample();
  clearInterval(sampler);
  const alive = gw.alive();

  // ---- amplification
  let worstCo = { ratio: 0 };
  let worstCl = { ratio: 0 };
  let verifiedPeers = 0;
  let coTx = 0;
  let coRx = 0;
  let clTx = 0;
  let clRx = 0;
  let clAmplifiedPeers = 0;
  const peers = [...byPort.values()];
  for (const p of peers) {
    if (p.verified) verifiedPeers++;
    else {
      coTx += p.tx.co;
      coRx += p.rx.co;
      const ratio = p.tx.co ? p.rx.co / p.tx.co : p.rx.co ? 1e9 : 0;
      if (ratio > worstCo.ratio) worstCo = { ratio, tx: p.tx.co, rx: p.rx.co };
    }
    clTx += p.tx.cl;
    clRx += p.rx.cl;
    const rcl = p.tx.cl ? p.rx.cl / p.tx.cl : p.rx.cl ? 1e9 : 0;
    if (rcl > 1) clAmplifiedPeers++;
    if (rcl > worstCl.ratio) worstCl = { ratio: rcl, tx: p.tx.cl, rx: p.rx.cl };
  }
  const rssMax = Math.max(...samples.map((s) => s.rss));
  const result = {
    datagrams: sent,
    fuzzSeconds: +(fuzzMs / 1000).toFixed(1),
    rate: Math.round(sent / (fuzzMs / 1000)),
    peers: peers.length,
    seeds: { co: co.length, cl: cl.length },
    alive,
    healthz: healthz.status,
    heapUsedMb: Math.round(L.metric(metrics, 'wapgw_nodejs_heap_size_used_bytes') / 1048576),
    lingerSeries,
    rssSeries: samples.filter((_, i) => i % 5 === 0).map((x) => Math.round(x.rss)),
    rssMb: { start: +samples[0].rss.toFixed(1), max: +rssMax.toFixed(1), end: +samples[samples.length - 1].rss.toFixed(1) },
    fds: { start: samples[0].fds, max: Math.max(...samples.map((s) => s.fds)), end: samples[samples.length - 1].fds },
    client: { runs: client.runs, ok: client.ok, failedRuns: client.failedRuns, firstFailure: client.firstFailure, msPerRequestAvg: client.ms.length ? +(client.ms.reduce((a, b) => a + b, 0) / client.ms.length).toFixed(1) : null },
    clientAfter: after ? { code: after.code, ok: after.ok } : 'fakewap not installed',
    amplificationWtp: { unverifiedPeers: peers.length - verifiedPeers, strictPeers: peers.filter((p) => p.strict).length, bytesSent: coTx, bytesReceived: coRx, factor: coTx ? +(coRx / coTx).toFixed(4) : 0, worstPeer: worstCo },
    amplificationCl: { bytesSent: clTx, bytesReceived: clRx, factor: clTx ? +(clRx / clTx).toFixed(4) : 0, peersAbove1: clAmplifiedPeers, worstPeer: worstCl },
    gateway: {
      decodeErrors: L.metric(metrics, 'wapgw_decode_errors_total'),
      datagramsIn: L.metric(metrics, 'wapgw_datagrams_total', 'direction="in"'),
      datagramsOut: L.metric(metrics, 'wapgw_datagrams_total', 'direction="out"'),
      wtpTransactionsActive: L.metric(metrics, 'wapgw_wtp_transactions_active'),
      wspSessions: status.wspSessions,
      wtpTransactions: status.wtpTransactions,
    },
    originRequests: org.requests,
  };
  const failures = [];
  if (!alive) failures.push('gateway died');
  if (healthz.status !== 200) failures.push(`healthz ${healthz.status}`);
  if (!(rssMax < 200)) failures.push(`RSS ${rssMax} MB`);
  if (after && (after.code !== 0 || after.ok !== 3)) failures.push('fakewap after the fuzz failed');
  if (L.hasFakewap() && client.ok === 0) failures.push('fakewap got no answer during the fuzz');
  if (worstCo.ratio > 1) failures.push(`WTP amplification toward an unverified peer: ${JSON.stringify(worstCo)}`);
  result.failures = failures;
  await gw.stop();
  await org.close();
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
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
