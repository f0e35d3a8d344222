#!/usr/bin/env node
/**
 * A fast WSP load client: N handsets, one UDP socket each, each doing Connect + Get +
 * Disconnect in a loop as a WTP class 2 initiator (WAP-224: Invoke, Result, Ack; SAR Results
 * acknowledged per group with a PSN TPI and Negative Acks for holes; TID verification answered
 * with Ack TIDok; Invoke retransmitted with RID on timer R) and the Disconnect as a class 0
 * Invoke (WAP-230 §7.1.4). PDUs are built with the project's codecs from dist/ (encodeWsp,
 * encodeWtp, decodeWtp). It measures, per Connect+GET+Disconnect cycle, the time from the
 * Connect Invoke to the Get Result, and reports throughput and p50/p99 latency.
 *
 *   node bench/scale/wsp-load.js --port CO_PORT --url http://127.0.0.1:8000/x?size=40 \
 *        [--handsets 50] [--cycles 5000] [--seconds 0] [--timeout-ms 10000] [--json]
 *
 * `--cycles` is the total over all handsets; `--seconds S` (when > 0) instead runs for S seconds.
 * Used as a module by bench/scale/curves.js and bench/scale/profile.js (runWspLoad).
 */
'use strict';
const dgram = require('node:dgram');
const wapgw = require('../lib/wapgw');
const { encodeWtp, decodeWtp } = wapgw.wtp;
const { encodeWsp } = wapgw.wsp;
const { args, emitResult, percentile } = require('../lib/common');

const readUintvar = (b, at) => {
  let v = 0;
  for (let i = at; i < b.length && i < at + 5; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if ((b[i] & 0x80) === 0) return v;
  }
  throw new Error('bad uintvar');
};

class LoadHandset {
  constructor(host, port, timeoutMs) {
    this.host = host;
    this.port = port;
    this.timeoutMs = timeoutMs;
    this.tid = Math.floor(Math.random() * 0x4000);
    this.pending = new Map(); // tid -> {segs, resolve, reject, timer, invoke, tries}
    this.sock = dgram.createSocket('udp4');
    this.sock.on('message', (m) => this.onMessage(m));
    this.sock.on('error', () => {});
    this.retransmits = 0;
  }
  open() {
    return new Promise((r) => this.sock.bind(0, '127.0.0.1', () => r(undefined)));
  }
  close() {
    try {
      this.sock.close();
    } catch {}
  }
  nextTid() {
    this.tid = (this.tid + 1) & 0x7fff;
    return this.tid;
  }
  send(pdu) {
    this.sock.send(encodeWtp(pdu), this.port, this.host);
  }
  /** Class 2 transaction: Invoke, collect the (segmented) Result, Ack it. Resolves the data. */
  transact(data) {
    const tid = this.nextTid();
    const invoke = { type: 'Invoke', tid, tpis: [], gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2, data };
    return new Promise((resolve, reject) => {
      const t = { segs: [], resolve, reject, invoke, tries: 0, timer: /** @type {NodeJS.Timeout | null} */ (null), deadline: Date.now() + this.timeoutMs };
      const arm = () => {
        t.timer = setTimeout(() => {
          if (Date.now() >= t.deadline) {
            this.pending.delete(tid);
            reject(new Error('timeout'));
            return;
          }
          // timer R: retransmit the Invoke with RID set (only while nothing has arrived)
          if (t.segs.length === 0) {
            this.retransmits++;
            this.send({ ...invoke, rid: true });
          }
          arm();
        }, 1500);
      };
      this.pending.set(tid, t);
      this.send(invoke);
      arm();
    });
  }
  onMessage(m) {
    let p;
    try {
      p = decodeWtp(m);
    } catch {
      return;
    }
    const tid = p.tid & 0x7fff;
    const t = this.pending.get(tid);
    if (!t) return;
    if (p.type === 'Ack') {
      // TID verification: answer TIDok; a hold-on Ack needs nothing
      if (p.tveTok) this.send({ type: 'Ack', tid, tveTok: true, rid: false, tpis: [] });
      return;
    }
    if (p.type === 'Abort') {
      clearTimeout(t.timer);
      this.pending.delete(tid);
      t.reject(new Error(`abort 0x${p.reason.toString(16)}`));
      return;
    }
    if (p.type !== 'Result' && p.type !== 'SegmentedResult') return;
    const psn = p.type === 'Result' ? 0 : p.psn;
    t.segs[psn] = p.data;
    if (p.ttr) t.ttr = psn;
    if (!p.gtr && !p.ttr) return;
    const missing = [];
    for (let i = 0; i <= psn; i++) if (!t.segs[i]) missing.push(i);
    if (missing.length) {
      this.send({ type: 'NegativeAck', tid, rid: false, missing, tpis: [] });
      return;
    }
    this.send({ type: 'Ack', tid, tveTok: false, rid: false, tpis: psn === 0 ? [] : [{ tpi: 'PSN', psn }] });
    if (t.ttr !== undefined) {
      clearTimeout(t.timer);
      this.pending.delete(tid);
      t.resolve(t.segs.length === 1 ? t.segs[0] : Buffer.concat(t.segs));
    }
  }
  invoke0(data) {
    this.send({ type: 'Invoke', tid: this.nextTid(), tpis: [], gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: false, tcl: 0, data });
  }
}

const CONNECT = () =>
  encodeWsp({
    type: 'Connect',
    version: '1.0',
    capabilities: [
      { name: 'Client-SDU-Size', value: 1048576 * 2 },
      { name: 'Server-SDU-Size', value: 1048576 },
    ],
    headers: [{ name: 'User-Agent', value: 'wapgw-bench/1.0' }],
  });
const GET = (url) => encodeWsp({ type: 'Get', uri: url, headers: [{ name: 'Accept', value: '*/*' }] });

/**
 * Runs `handsets` concurrent handsets against host:port until `cycles` Connect+GET+Disconnect
 * cycles are done (or `seconds` elapsed when > 0). Resolves throughput and latency figures.
 * @param {{ host?: string, port: number, url: string, handsets?: number, cycles?: number, seconds?: number, timeoutMs?: number, expectBytes?: number }} opts
 */
async function runWspLoad({ host = '127.0.0.1', port, url, handsets = 50, cycles = 5000, seconds = 0, timeoutMs = 10000, expectBytes }) {
  const connect = CONNECT();
  const get = GET(url);
  const hs = [];
  for (let i = 0; i < handsets; i++) {
    const h = new LoadHandset(host, port, timeoutMs);
    await h.open();
    hs.push(h);
  }
  const lat = [];
  let started = 0;
  let ok = 0;
  let failed = 0;
  let bytes = 0;
  const errors = {};
  const t0 = performance.now();
  const until = seconds > 0 ? t0 + seconds * 1000 : Infinity;
  const more = () => (seconds > 0 ? performance.now() < until : started < cycles);
  await Promise.all(
    hs.map(async (h) => {
      while (more()) {
        started++;
        const c0 = performance.now();
        try {
          const cr = await h.transact(connect);
          if (cr[0] !== 0x02) throw new Error(`ConnectReply expected, got 0x${cr[0].toString(16)}`);
          const sid = readUintvar(cr, 1);
          const r = await h.transact(get);
          if (r[0] !== 0x04 || r[1] !== 0x20) throw new Error(`Reply 200 expected, got 0x${r[0]?.toString(16)} 0x${r[1]?.toString(16)}`);
          lat.push(performance.now() - c0);
          h.invoke0(encodeWsp({ type: 'Disconnect', sessionId: sid }));
          bytes += r.length;
          if (expectBytes !== undefined && r.length < expectBytes) throw new Error(`short reply ${r.length}`);
          ok++;
        } catch (e) {
          failed++;
          const why = e instanceof Error ? e.message : String(e);
          errors[why] = (errors[why] || 0) + 1;
        }
      }
    }),
  );
  const ms = performance.now() - t0;
  const retransmits = hs.reduce((s, h) => s + h.retransmits, 0);
  for (const h of hs) h.close();
  return {
    handsets,
    cycles: started,
    ok,
    failed,
    errors,
    retransmits,
    seconds: +(ms / 1000).toFixed(3),
    perSecond: +(ok / (ms / 1000)).toFixed(1),
    p50Ms: +percentile(lat, 50).toFixed(2),
    p99Ms: +percentile(lat, 99).toFixed(2),
    replyBytes: ok ? Math.round(bytes / ok) : 0,
  };
}

module.exports = { runWspLoad, LoadHandset };

if (require.main === module) {
  const o = args({ host: '127.0.0.1', port: 0, url: '', handsets: 50, cycles: 5000, seconds: 0, timeoutMs: 10000, json: false });
  if (!o.port || !o.url) {
    console.error('usage: node bench/scale/wsp-load.js --port CO_PORT --url URL [--handsets 50] [--cycles 5000] [--seconds S]');
    process.exit(2);
  }
  runWspLoad(o).then((r) => {
    if (!o.json) console.log(`${r.ok}/${r.cycles} Connect+GET+Disconnect by ${r.handsets} handsets in ${r.seconds} s: ${r.perSecond}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
    emitResult(r);
  });
}
