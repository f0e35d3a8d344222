// @ts-check
/**
 * The built gateway as the benchmarks see it: the one place bench/ reaches into dist/ (`npm run
 * build` first). Each part loads on first use, so a script can build dist/ before touching it.
 * The types are those of the sources dist/ is compiled from (src/), so `npm run typecheck`
 * checks every bench script against the real signatures (bench/tsconfig.json).
 */
'use strict';
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** WAPGW_BENCH_DIST=/other/tree/dist runs a script against another build (an A/B of a micro case). */
const DIST = process.env.WAPGW_BENCH_DIST ? path.resolve(process.env.WAPGW_BENCH_DIST) : path.join(ROOT, 'dist');

/** @param {string} module a path under dist/ without .js */
const load = (module) => require(path.join(DIST, module));

module.exports = {
  ROOT,
  DIST,
  /** The command line (`node CLI start -c FILE`). */
  CLI: path.join(DIST, 'cli.js'),
  get wtp() {
    return /** @type {typeof import('../../src/codec/wtp')} */ (load('codec/wtp'));
  },
  get wsp() {
    return /** @type {typeof import('../../src/codec/wsp')} */ (load('codec/wsp'));
  },
  get mms() {
    return /** @type {typeof import('../../src/codec/mms')} */ (load('codec/mms'));
  },
  get config() {
    return /** @type {typeof import('../../src/config/load')} */ (load('config/load'));
  },
  get configSchema() {
    return /** @type {typeof import('../../src/config/schema')} */ (load('config/schema'));
  },
  get peer() {
    return /** @type {typeof import('../../src/core/peer')} */ (load('core/peer'));
  },
  get logger() {
    return /** @type {typeof import('../../src/core/logger')} */ (load('core/logger'));
  },
  get metrics() {
    return /** @type {typeof import('../../src/ops/metrics')} */ (load('ops/metrics'));
  },
  get subscriberTable() {
    return /** @type {typeof import('../../src/subscribers/table')} */ (load('subscribers/table'));
  },
  get redisStore() {
    return /** @type {typeof import('../../src/subscribers/store/redis')} */ (load('subscribers/store/redis'));
  },
  get ppgQueue() {
    return /** @type {typeof import('../../src/ppg/queue')} */ (load('ppg/queue'));
  },
  get ppgJournal() {
    return /** @type {typeof import('../../src/ppg/journal')} */ (load('ppg/journal'));
  },
  get pap() {
    return /** @type {typeof import('../../src/ppg/pap')} */ (load('ppg/pap'));
  },
  get proxy() {
    return /** @type {typeof import('../../src/proxy/server')} */ (load('proxy/server'));
  },
  get main() {
    return /** @type {typeof import('../../src/main')} */ (load('main'));
  },
  // the connection-oriented WSP stack without sockets (bench/wsp/core-cycle.js)
  get wspServer() {
    return /** @type {typeof import('../../src/wsp/server')} */ (load('wsp/server'));
  },
  get wspAdapters() {
    return /** @type {typeof import('../../src/wsp/adapters')} */ (load('wsp/adapters'));
  },
  get wtpCore() {
    return /** @type {typeof import('../../src/wtp')} */ (load('wtp'));
  },
  get wspReport() {
    return /** @type {typeof import('../../src/edge/wsp-report')} */ (load('edge/wsp-report'));
  },
  get wtpReport() {
    return /** @type {typeof import('../../src/edge/wtp-report')} */ (load('edge/wtp-report'));
  },
  get wspMethod() {
    return /** @type {typeof import('../../src/wsp/method')} */ (load('wsp/method'));
  },
  get bridge() {
    return /** @type {typeof import('../../src/bridge/bridge')} */ (load('bridge/bridge'));
  },
  get policy() {
    return /** @type {typeof import('../../src/policy/admit')} */ (load('policy/admit'));
  },
  get http1() {
    return /** @type {typeof import('../../src/http/http1')} */ (load('http/http1'));
  },
  get httpUpstream() {
    return /** @type {typeof import('../../src/http/upstream')} */ (load('http/upstream'));
  },
  get upstream() {
    return /** @type {typeof import('../../src/bridge/upstream')} */ (load('bridge/upstream'));
  },
  // the PAP request's steps (bench/ppg/steps.js)
  get ppgMultipart() {
    return /** @type {typeof import('../../src/ppg/multipart')} */ (load('ppg/multipart'));
  },
  get ppgContent() {
    return /** @type {typeof import('../../src/ppg/content')} */ (load('ppg/content'));
  },
  get xml() {
    return /** @type {typeof import('../../src/codec/xml')} */ (load('codec/xml'));
  },
  /**
   * The same part of another build (its dist/ directory, e.g. a worktree of the starting
   * commit, built), for a before/after of one step; typed as this tree's.
   * @template {'ppgMultipart' | 'ppgContent' | 'xml' | 'pap' | 'ppgQueue'} K
   * @param {string} dir that build's dist/
   * @param {K} part
   * @returns {K extends 'ppgMultipart' ? typeof import('../../src/ppg/multipart') : K extends 'ppgContent' ? typeof import('../../src/ppg/content') : K extends 'xml' ? typeof import('../../src/codec/xml') : K extends 'pap' ? typeof import('../../src/ppg/pap') : typeof import('../../src/ppg/queue')}
   */
  fromBuild(dir, part) {
    const file = { ppgMultipart: 'ppg/multipart', ppgContent: 'ppg/content', xml: 'codec/xml', pap: 'ppg/pap', ppgQueue: 'ppg/queue' }[part];
    return require(path.join(path.resolve(dir), file));
  },
};
