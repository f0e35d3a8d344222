#!/usr/bin/env node
// The Redis subscriber store (src/subscribers/store/redis.ts) on a redis-server this script
// starts: (1) a lookup answered from the local cache against the memory table (ns per lookup);
// (2) how long a Stop applied through instance A takes to stop instance B from using the binding
// (p50/p99, both instances in this process, B polling on every event-loop turn); (3) server memory
// per binding (INFO used_memory before/after binding N addresses through the Lua script, N = 200 000
// by default: the cost is linear, so it stands for 1 M).
// Usage: npm run build && node bench/subscribers-redis.js [--bindings 200000] [--stops 500] [--lookups 1000000]
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { args, emitResult, percentile, sleep } = require('./lib/common');

const o = args({ bindings: 200000, stops: 500, lookups: 1000000 });
try {
  execFileSync('which', ['redis-server'], { stdio: 'ignore' });
} catch {
  console.error('redis-server is not installed (Debian package redis-server); skipping');
  process.exit(0);
}
const wapgw = require('./lib/wapgw');
const { configSchema } = wapgw.configSchema;
const { RedisSubscriberStore } = wapgw.redisStore;
const { SubscriberTable } = wapgw.subscriberTable;

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
      s.close(() => resolve(p));
    });
  });

/**
 * An Accounting-Request as extractAccounting would give it.
 * @param {import('../src/subscribers/accounting').StatusType} status
 * @param {string} ip
 * @param {string} sid
 * @param {string} msisdn
 * @returns {import('../src/subscribers/accounting').AccountingRequest}
 */
const req = (status, ip, sid, msisdn) => ({
  status,
  nas: '192.0.2.1',
  nasAliases: ['192.0.2.1'],
  sessionId: sid,
  ipv4: ip,
  ipv6Key: undefined,
  ipv6Address: undefined,
  msisdn,
  imsi: '2040800' + msisdn.slice(-8),
  imeisv: undefined,
  sgsnAddress: undefined,
  apn: 'mms.example',
  ratType: 6,
  sessionStopIndicator: false,
  delaySeconds: undefined,
  eventTimestamp: undefined,
  warnings: [],
});
const ipOf = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

(async () => {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-redis-'));
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], { stdio: 'ignore' });
  process.on('exit', () => redis.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => { const c = net.connect(port, '127.0.0.1').on('connect', () => { c.destroy(); r(true); }).on('error', () => r(false)); });
    if (ok) break;
    await sleep(50);
  }
  const cfg = (prefix) =>
    configSchema.parse({ subscribers: { maxEntries: 2000000, store: 'redis', redis: { url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, cacheEntries: 200000, commandTimeoutMs: 10000, livenessMs: 2000 } } }).subscribers;
  const a = new RedisSubscriberStore({ config: cfg('b:') });
  const b = new RedisSubscriberStore({ config: cfg('b:') });
  await a.start();
  await b.start();
  while (!b.cacheLive) await sleep(10);
  console.log(`# load average: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}; redis-server ${execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).split(' ')[2]}`);

  // (1) lookup: cache hit vs memory table
  const N = 10000;
  const mem = new SubscriberTable({ maxEntries: 2000000 });
  for (let i = 0; i < N; i++) {
    await a.applyAccounting(req('start', ipOf(i), `s${i}`, String(31600000000 + i)), Date.now(), '', 1000);
    mem.bind({ key: ipOf(i), msisdn: String(31600000000 + i), source: 'radius', nas: '192.0.2.1', acctSessionId: `s${i}`, since: Date.now() });
  }
  for (let i = 0; i < N; i++) await b.resolve(ipOf(i)); // fill B's cache
  const ips = Array.from({ length: N }, (_, i) => ipOf(i));
  const time = (f) => {
    let found = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < o.lookups; i++) if (f(ips[i % N])) found++;
    const ns = Number(process.hrtime.bigint() - t0) / o.lookups;
    if (found !== o.lookups) throw new Error(`only ${found} of ${o.lookups} found`);
    return ns;
  };
  time((ip) => mem.lookup(ip));
  time((ip) => b.resolve(ip));
  const memNs = [];
  const hitNs = [];
  for (let r = 0; r < 5; r++) {
    memNs.push(time((ip) => mem.lookup(ip)));
    hitNs.push(time((ip) => b.resolve(ip)));
  }
  const med = (xs) => [...xs].sort((x, y) => x - y)[2];
  const lookup = { memoryNs: Number(med(memNs).toFixed(0)), redisCacheHitNs: Number(med(hitNs).toFixed(0)) };
  lookup.ratio = Number((lookup.redisCacheHitNs / lookup.memoryNs).toFixed(2));
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < 2000; i++) await b.peekRadius(ipOf(i % N));
  lookup.roundTripUs = Number((Number(process.hrtime.bigint() - t1) / 2000 / 1000).toFixed(0));
  console.log(`lookup: memory ${lookup.memoryNs} ns, redis cache hit ${lookup.redisCacheHitNs} ns (${lookup.ratio}x, goal <= 2x); a miss is one round trip: ${lookup.roundTripUs} us`);

  // (2) Stop propagation A -> B
  const delays = [];
  for (let i = 0; i < o.stops; i++) {
    const ip = ipOf(100000 + i);
    await a.applyAccounting(req('start', ip, `p${i}`, '31699999999'), Date.now(), '', 1000);
    if (!(await b.resolve(ip))) throw new Error('not bound on B');
    if (!b.lookup(ip)) throw new Error('not cached on B');
    const t0 = process.hrtime.bigint();
    void a.applyAccounting(req('stop', ip, `p${i}`, '31699999999'), Date.now(), '', 1000);
    while (b.lookup(ip)) await new Promise((r) => setImmediate(r));
    delays.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const stop = { p50Ms: Number(percentile(delays, 50).toFixed(2)), p99Ms: Number(percentile(delays, 99).toFixed(2)), maxMs: Number(Math.max(...delays).toFixed(2)), n: delays.length };
  console.log(`Stop propagation A -> B: p50 ${stop.p50Ms} ms, p99 ${stop.p99Ms} ms, max ${stop.maxMs} ms over ${stop.n} (goal p99 <= 50 ms)`);

  // (3) server memory per binding
  // the store's private command() (the same connection, timeout and metrics as the bench's traffic)
  const raw = /** @type {{ command(op: string, args: string[]): Promise<unknown> }} */ (/** @type {unknown} */ (a));
  const used = async () => Number(/** @type {RegExpExecArray} */ (/used_memory:(\d+)/.exec(String(await raw.command('list', ['INFO', 'memory']))))[1]);
  await a.wipe();
  const before = await used();
  const inFlight = new Set();
  for (let i = 0; i < o.bindings; i++) {
    const p = a.applyAccounting(req('start', ipOf(i), `m${i}`, String(31600000000 + i)), Date.now(), '', 1000).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 256) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const after = await used();
  const memory = { bindings: o.bindings, bytesPerBinding: Math.round((after - before) / o.bindings), usedMb: Number(((after - before) / 1048576).toFixed(1)) };
  console.log(`redis memory: ${memory.bytesPerBinding} bytes per binding (${memory.bindings} bindings, ${memory.usedMb} MB; keys: binding JSON + 3 sorted-set entries)`);
  await a.close();
  await b.close();
  emitResult({ bench: 'subscribers-redis', lookup, stop, memory });
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
