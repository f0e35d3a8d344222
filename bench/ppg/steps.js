#!/usr/bin/env node
'use strict';
/**
 * The PPG's per-push parsing and queueing steps measured alone (one thread, no I/O), over the
 * PAP bodies bench/ppg/run.js posts: microseconds per call of each step, after two warm-up
 * passes. The CPU a push costs in the running gateway is larger (caches shared with everything
 * else); this says which step is worth cutting.
 *
 *   node --max-semi-space-size=8 bench/ppg/steps.js [--pushes 20000] [--dist DIR]
 *
 * DIR: another build's dist/ (default this tree's), to compare two builds' steps.
 */
const L = require('../lib/common');
const P = require('./lib');
const W = require('../lib/wapgw');

const o = L.args({ pushes: 20000, dist: '' });
/** This build's parts, or those of the build whose dist/ is `--dist`. */
const part = /** @type {<K extends 'ppgMultipart' | 'ppgContent' | 'xml' | 'pap' | 'ppgQueue'>(k: K) => ReturnType<typeof W.fromBuild<K>>} */ ((k) => (o.dist ? W.fromBuild(String(o.dist), k) : W[k]));
const { splitPapBody } = part('ppgMultipart');
const { decodePap, encodePap } = part('pap');
const { preparePushContent } = part('ppgContent');
const { PushQueue } = part('ppgQueue');
const { parseXmlDocument } = part('xml');
const dist = o.dist ? String(o.dist) : W.DIST;

const N = Number(o.pushes);
const bodies = Array.from({ length: N }, (_, i) => P.pushBody(i));
const lim = { maxControlBytes: 65536, maxContentBytes: 300000 };
const out = {};
const time = (name, f) => {
  let us = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) f(i);
    us = Number(process.hrtime.bigint() - t0) / 1000 / N;
  }
  out[name] = +us.toFixed(2);
  console.log(`${name.padEnd(28)} ${us.toFixed(2)} µs`);
};
const parts = bodies.map((b) => splitPapBody(P.CONTENT_TYPE, b, lim));
const docs = parts.map((p) => decodePap(p.control));
time('multipart split', (i) => splitPapBody(P.CONTENT_TYPE, bodies[i], lim));
time('XML parse (of PAP decode)', (i) => parseXmlDocument(parts[i].control, { maxBytes: 65536, maxDepth: 8, maxElements: 2050 }));
time('PAP decode', (i) => decodePap(parts[i].control, { maxBytes: 65536, maxAddresses: 1000 }));
time('MMS content check', (i) => preparePushContent(parts[i].content));
/** @type {import('../../src/ppg/pap').PushResponse} */
const resp = { kind: 'push-response', pushId: 'push-1@bench.example', senderName: 'wapgw', replyTime: Date.now(), result: { code: 1001, desc: 'Accepted for Processing' } };
time('PAP response encode', () => encodePap(resp, '1.0'));
let q;
let round = 0;
const contents = parts.map((p) => preparePushContent(p.content));
time('queue add + journal JSON', (i) => {
  if (i === 0) {
    q = new PushQueue({ maxPending: 1e6, maxFinished: 100000, retainMs: 3600000, defaultLifetimeMs: 86400000 });
    round++;
  }
  const m = /** @type {import('../../src/ppg/pap').PushMessage} */ (docs[i].message);
  const c = contents[i];
  const a = q.add({ initiator: 'net:127.0.0.1', pushId: `${m.pushId}${round}`, version: '1.0', contentType: c.contentType, body: c.body, addresses: m.addresses, applicationId: c.applicationId }, Date.now());
  let s = '';
  for (const r of a.records) s += `${JSON.stringify(r)}\n`;
  return s;
});
L.emitResult({ dist, pushes: N, microseconds: out });
