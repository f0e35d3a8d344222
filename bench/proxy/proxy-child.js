// Our MMS proxy alone in one process, for the benchmark: 127.0.0.1 bound to a subscriber,
// access log on (to /dev/null), identity headers as configured by default.
// Usage: node bench/proxy/proxy-child.js PROXY_PORT ORIGIN_PORT   (prints "ready PORT")
'use strict';
const wapgw = require('../lib/wapgw');
const { parseConfig } = wapgw.config;
const { createLogger } = wapgw.logger;
const { Metrics } = wapgw.metrics;
const { MmsProxy } = wapgw.proxy;
const pino = require('pino');

const [proxyPort, originPort] = process.argv.slice(2).map(Number);
// WAPGW_BENCH_LOG=0 turns the access log off (to measure its cost)
const config = parseConfig({
  mmsc: { url: `http://127.0.0.1:${originPort}/mms`, timeoutMs: 30000, connections: 128 },
  // wrk's connections all come from 127.0.0.1: lift the per-phone connection cap (64), as nginx has none
  proxy: { bind: '127.0.0.1', port: proxyPort, allowedNetworks: ['127.0.0.0/8'], maxConnectionsPerSource: 10000 },
  log: { accessLog: process.env.WAPGW_BENCH_LOG !== '0' },
});
/** @type {import('../../src/subscribers/types').Subscriber} */
const sub = { key: '127.0.0.1', msisdn: '31611111111', imsi: '204080000000001', source: 'static', since: 0 };
/** @type {import('../../src/subscribers/types').SubscriberStore} */
const subscribers = {
  lookup: (ip) => (ip === '127.0.0.1' ? sub : undefined),
  findByMsisdn: (msisdn) => (msisdn === sub.msisdn ? sub : undefined),
  list: () => ({ items: [sub] }),
  bind() {},
  unbind: () => false,
  flushNas: () => 0,
  size: 1,
};
const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
const proxy = new MmsProxy({ config, subscribers, metrics: new Metrics(), logger });
proxy.start().then(([l]) => console.log(`ready ${l.port}`));
process.on('SIGTERM', () => proxy.close(Date.now() + 500).then(() => process.exit(0)));
