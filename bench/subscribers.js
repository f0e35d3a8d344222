#!/usr/bin/env node
/*
 * Subscriber table memory and lookup cost (issue 4: 1 M bindings in under 500 MB, O(1) lookups).
 * Run after `npm run build`:
 *   node --expose-gc bench/subscribers.js [count=1000000] [ipv6share=0.2]
 * Fills a SubscriberTable (maxEntries = count) with RADIUS-style bindings carrying every field
 * we keep (MSISDN, IMSI, IMEISV, SGSN address, RAT type, APN, NAS, Acct-Session-Id), 20 % of
 * them IPv6 /64 keys, spread over 8 NAS; reports the heap growth per binding and lookup rates.
 * Exits 1 if the heap growth is 500 MB or more.
 */
'use strict';
const wapgw = require('./lib/wapgw');
const { SubscriberTable } = wapgw.subscriberTable;
const { Metrics } = wapgw.metrics;

const count = Number(process.argv[2] ?? 1_000_000);
const v6share = Number(process.argv[3] ?? 0.2);
const gc = global.gc;
if (typeof gc !== 'function') {
  console.error('run with: node --expose-gc bench/subscribers.js');
  process.exit(2);
}
const MB = 1024 * 1024;
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};

const keyOf = (i) =>
  i % Math.round(1 / v6share) === 0
    ? `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`
    : `10.${(i >>> 16) & 0xff}.${(i >>> 8) & 0xff}.${i & 0xff}`;
const ipOf = (i) => (i % Math.round(1 / v6share) === 0 ? `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}:1234:5678:9abc:def0` : keyOf(i));

// Strings decoded from packets are flat (sequential) strings; template literals would make cons
// strings that cost more than production does. Copy through a Buffer like the RADIUS decoder.
const flat = (s) => Buffer.from(s, 'latin1').toString('latin1');

const before = heap();
const table = new SubscriberTable({ maxEntries: count, metrics: new Metrics() });
const t0 = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
  const n = String(100000000 + i);
  table.bind({
    key: keyOf(i),
    msisdn: flat(`4915${n}`),
    imsi: flat(`26201${n}0`),
    imeisv: flat(`35349006${n.slice(1)}`),
    sgsnAddress: flat(`192.0.2.${i % 32}`),
    ratType: i % 3 === 0 ? 1 : 6,
    apn: flat('mms.operator.example'),
    source: 'radius',
    nas: flat(`pgw-${i % 8}`),
    acctSessionId: flat(`C0A80001${(i >>> 0).toString(16).padStart(8, '0')}`),
    since: Date.now(),
  });
}
const t1 = process.hrtime.bigint();
const after = heap();
const grown = after - before;

// lookups: hits by address (IPv6 by an address inside the /64), then misses
const N = Math.min(count, 1_000_000);
let hits = 0;
const l0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) if (table.lookup(ipOf((i * 7919) % count))) hits++;
const l1 = process.hrtime.bigint();
let misses = 0;
for (let i = 0; i < 200_000; i++) if (!table.lookup(`172.16.${(i >>> 8) & 0xff}.${i & 0xff}`)) misses++;
const l2 = process.hrtime.bigint();

const ns = (a, b, n) => Number(b - a) / n;
const result = {
  bindings: table.size,
  heapGrowthMB: +(grown / MB).toFixed(1),
  bytesPerBinding: Math.round(grown / count),
  bindNsEach: Math.round(ns(t0, t1, count)),
  lookupHitNsEach: Math.round(ns(l0, l1, N)),
  lookupMissNsEach: Math.round(ns(l1, l2, 200_000)),
  hits,
  misses,
  node: process.version,
};
console.log(JSON.stringify(result, null, 2));
if (hits !== N || misses !== 200_000) {
  console.error('lookup results wrong');
  process.exit(1);
}
if (count >= 1_000_000 && grown >= 500 * MB) {
  console.error(`FAIL: ${result.heapGrowthMB} MB for ${count} bindings (limit 500 MB)`);
  process.exit(1);
}
