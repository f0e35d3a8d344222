/**
 * The shared admission policy (src/policy/admit.ts): one order of checks for both bearers, one
 * subscriber lookup per request, and the one table of bearer-specific statuses.
 */
import t from 'tap';
import { sync } from '../helpers/sync';
import { configSchema } from '../../src/config/schema';
import { Policy, REFUSAL_STATUS, WSP_METHODS, type Bearer } from '../../src/policy/admit';
import { MemorySubscribers } from '../helpers/memory-subscribers';

const MMSC = 'http://127.0.0.1:8942/mms';

function setup(bearer: Bearer, over: Record<string, unknown> = {}) {
  const config = configSchema.parse({
    mmsc: { url: MMSC },
    proxy: { allowedNetworks: ['10.0.0.0/8'], requireSubscriber: true },
    rateLimit: { proxy: { perSourcePerSecond: 1, burst: 2 }, wsp: { perSourcePerSecond: 1, burst: 2 } },
    ...over,
  });
  const store = new MemorySubscribers();
  store.bind({ key: '10.1.2.3', msisdn: '4915112345678', source: 'static', since: 0 });
  return { policy: new Policy({ bearer, config, subscribers: store }), store, config };
}

const ok = { source: '10.1.2.3', method: 'GET', target: MMSC, now: 0 };

t.test('the mapping table: only rate-limit and method differ by bearer', async (t) => {
  t.same(REFUSAL_STATUS, {
    'rate-limit': { http: 429, wsp: 503 },
    network: { http: 403, wsp: 403 },
    'no-subscriber': { http: 403, wsp: 403 },
    'store-unavailable': { http: 503, wsp: 503 },
    method: { http: 405, wsp: 501 },
    target: { http: 403, wsp: 403 },
  });
});

t.test('a store that answers later (a Redis cache miss): the verdict is a promise; a store that cannot be asked refuses 503', async (t) => {
  for (const bearer of ['http', 'wsp'] as const) {
    const { policy, store } = setup(bearer);
    let fail = false;
    const later = Object.assign(store, {
      resolve: (ip: string) => (fail ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(store.lookup(ip))),
    });
    const p = policy.admit(ok);
    t.ok(p instanceof Promise, `${bearer}: a round trip gives a promise`);
    const v = await p;
    t.equal(v.ok, true, `${bearer}: admitted after the round trip`);
    t.equal(v.subscriber?.msisdn, '4915112345678');
    fail = true;
    const r = await policy.admit({ ...ok, now: 5000 });
    t.equal(r.ok, false);
    if (!r.ok) {
      t.equal(r.reason, 'store-unavailable', `${bearer}: refused, never let in unchecked`);
      t.equal(r.status, 503);
    }
    t.ok(later);
  }
});

for (const bearer of ['http', 'wsp'] as const) {
  t.test(`${bearer}: each check, in order, with its status`, async (t) => {
    const { policy, store } = setup(bearer);
    const v = sync(policy.admit(ok));
    t.ok(v.ok, 'a bound subscriber in the APN pool, GET to the MMSC');
    if (v.ok) {
      t.equal(v.subscriber?.msisdn, '4915112345678');
      t.equal(v.url.href, MMSC);
      t.equal(v.origin, 'http://127.0.0.1:8942');
    }
    t.equal(store.lookups, 1, 'one subscriber lookup per request');

    const at = (over: Partial<typeof ok>, i: number) => policy.admit({ ...ok, ...over, now: 10_000 * i });
    t.match(at({ source: '192.168.1.1', method: 'BREW', target: 'http://evil.example/' }, 1), { ok: false, reason: 'network', status: 403 }, 'network before method and target');
    t.match(at({ source: '10.9.9.9', method: 'BREW' }, 2), { ok: false, reason: 'no-subscriber', status: 403 });
    const m = at({ method: 'BREW', target: 'http://evil.example/' }, 3);
    t.match(m, { ok: false, reason: 'method', status: REFUSAL_STATUS.method[bearer], subscriber: { msisdn: '4915112345678' } }, 'method before target; the subscriber is known');
    t.match(at({ target: 'http://evil.example/' }, 4), { ok: false, reason: 'target', status: 403, detail: 'origin' });
    t.match(at({ target: 'http://u@127.0.0.1:8942/mms' }, 5), { ok: false, reason: 'target', detail: 'userinfo' });

    // the bucket (burst 2, 1/s) runs dry before anything else is looked at
    const before = store.lookups;
    policy.admit({ ...ok, now: 100_000 });
    policy.admit({ ...ok, now: 100_000 });
    const r = policy.admit({ ...ok, source: '10.1.2.3', method: 'BREW', now: 100_000 });
    t.match(r, { ok: false, reason: 'rate-limit', status: REFUSAL_STATUS['rate-limit'][bearer] });
    t.equal(store.lookups, before + 2, 'a rate-limited request costs no lookup');
  });
}

t.test('methods: the operator\'s list on HTTP, Table 34\'s seven on WSP', async (t) => {
  const http = setup('http').policy;
  const wsp = setup('wsp').policy;
  t.equal(http.allowHeader, 'GET, POST, HEAD');
  t.notOk(http.allows('PUT'));
  t.ok(wsp.allows('PUT'));
  t.same([...WSP_METHODS].sort(), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'TRACE']);
});

t.test('request targets: origin-form only on HTTP; absolute-form must be http(s)://', async (t) => {
  const http = setup('http').policy;
  const wsp = setup('wsp').policy;
  const v = sync(http.admit({ ...ok, target: '/mms?x=1' }));
  t.ok(v.ok && v.url.href === 'http://127.0.0.1:8942/mms?x=1', 'origin-form goes to mmsc.url\'s origin');
  t.match(http.admit({ ...ok, target: '//evil.example/x', now: 5000 }), { ok: true }, '//host stays a path on the MMSC');
  t.match(wsp.admit({ ...ok, target: '/mms' }), { ok: false, reason: 'target', detail: 'bad-url' }, 'WSP carries absolute URIs only');
  t.match(http.admit({ ...ok, target: 'http:/127.0.0.1:8942/mms', now: 10_000 }), { ok: false, reason: 'target' }, 'no lenient absolute forms on HTTP');
  t.match(http.admit({ ...ok, target: '127.0.0.1:8942', now: 20_000 }), { ok: false, reason: 'target' }, 'authority-form is not ours');
});

t.test('Connects spend the WSP bucket that methods use', async (t) => {
  const { policy } = setup('wsp');
  t.ok(policy.admitConnect('10.1.2.3', 0));
  t.ok(policy.admitConnect('10.1.2.3', 0));
  t.notOk(policy.admitConnect('10.1.2.3', 0), 'burst spent');
  t.match(policy.admit({ ...ok, now: 0 }), { ok: false, reason: 'rate-limit', status: 503 });
  t.equal(policy.rateLimitedSources, 1);
});

t.test('identity headers and reload', async (t) => {
  const { policy, config } = setup('http');
  const v = sync(policy.admit(ok));
  const h = policy.identify([['X-MSISDN', 'spoofed'], ['Accept', '*/*']], '10.1.2.3', v.subscriber, 0);
  t.same(h.filter(([n]) => /msisdn/i.test(n)).map(([, x]) => x), ['4915112345678', '4915112345678'], 'the client copy is gone, ours are added');
  t.ok(h.some(([n, x]) => n === 'Accept' && x === '*/*'));

  const apply = policy.prepareReload({ ...config, proxy: { ...config.proxy, requireSubscriber: false, allowedNetworks: ['10.0.0.0/8', '192.168.0.0/16'] } });
  t.match(policy.admit({ ...ok, source: '192.168.1.1', now: 1000 }), { ok: false, reason: 'network' }, 'nothing changes before the reload applies');
  apply();
  t.match(policy.admit({ ...ok, source: '192.168.1.1', now: 2000 }), { ok: true, subscriber: undefined }, 'new networks and requireSubscriber apply');
});
