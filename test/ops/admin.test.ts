import t from 'tap';
import type { Tap } from '../helpers/tap';
import { request } from 'node:http';
import { defaultConfig } from '../../src/config/load';
import { silentLogger } from '../../src/core/logger';
import { subscriberKey } from '../../src/core/net';
import { AdminServer, bearerMatches, type AdminSource } from '../../src/ops/admin';
import { Metrics } from '../../src/ops/metrics';
import { SubscriberTable } from '../../src/subscribers/table';
import type { Subscriber } from '../../src/subscribers/types';

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function startAdmin(t: Tap, token: string | null, source: Partial<AdminSource> = {}) {
  const metrics = new Metrics({ defaultMetrics: true });
  const store = new SubscriberTable({ maxEntries: 100 });
  let healthy = true;
  const gateway: AdminSource = {
    healthy: () => healthy,
    status: async () => ({ version: 'test', listeners: [], subscribers: store.size }),
    subscribers: store,
    ...source,
  };
  const config = { ...defaultConfig().admin, port: 0, token };
  const admin = new AdminServer({ config, logger: silentLogger(), metrics, gateway });
  const [l] = await admin.start();
  t.teardown(() => admin.close(Date.now()));
  return { admin, port: l!.port, metrics, store, setHealthy: (h: boolean) => (healthy = h) };
}

t.test('bearerMatches is exact', async (t) => {
  t.ok(bearerMatches('Bearer s3cret-token', 's3cret-token'));
  t.ok(bearerMatches('bearer s3cret-token', 's3cret-token'), 'scheme is case-insensitive');
  t.notOk(bearerMatches('Bearer s3cret-tokeN', 's3cret-token'));
  t.notOk(bearerMatches('Bearer s3cret-token-longer', 's3cret-token'));
  t.notOk(bearerMatches('Basic s3cret-token', 's3cret-token'));
  t.notOk(bearerMatches(undefined, 's3cret-token'));
  t.notOk(bearerMatches('Bearer ', 's3cret-token'));
});

t.test('without a token: healthz, metrics, status, 404, 405', async (t) => {
  const { port, metrics, setHealthy } = await startAdmin(t, null);
  const h = await get(port, '/healthz');
  t.equal(h.status, 200);
  t.equal(h.body.trim(), 'ok');
  setHealthy(false);
  t.equal((await get(port, '/healthz')).status, 503, 'a listener down gives 503');
  setHealthy(true);

  metrics.wtpTransactions.inc({ class: '2', outcome: 'ok' });
  const m = await get(port, '/metrics');
  t.equal(m.status, 200);
  t.match(String(m.headers['content-type']), /^text\/plain/);
  t.match(m.body, /^wapgw_wtp_transactions_total\{class="2",outcome="ok"\} 1$/m);
  t.match(m.body, /^# TYPE wapgw_process_cpu_user_seconds_total counter$/m, 'default process metrics');

  const s = await get(port, '/status');
  t.equal(s.status, 200);
  t.match(String(s.headers['content-type']), /application\/json/);
  t.same(JSON.parse(s.body), { version: 'test', listeners: [], subscribers: 0 });

  t.equal((await get(port, '/nope')).status, 404);
  const p = await get(port, '/status', {}, 'POST');
  t.equal(p.status, 405);
  t.equal(p.headers.allow, 'GET, HEAD');
});

t.test('with a token: 401 without it or with a wrong one, 200 with it; reload changes it', async (t) => {
  const { admin, port } = await startAdmin(t, 'admin-token-1');
  for (const path of ['/healthz', '/metrics', '/status', '/subscribers/10.0.0.1']) {
    const r = await get(port, path);
    t.equal(r.status, 401, `${path} without a token`);
    t.match(String(r.headers['www-authenticate']), /^Bearer/);
  }
  t.equal((await get(port, '/healthz', { authorization: 'Bearer admin-token-2' })).status, 401, 'wrong token');
  t.equal((await get(port, '/healthz', { authorization: 'admin-token-1' })).status, 401, 'no scheme');
  const ok = await get(port, '/healthz', { authorization: 'Bearer admin-token-1' });
  t.equal(ok.status, 200);
  t.equal(ok.body.trim(), 'ok');
  const next = defaultConfig();
  next.admin.token = 'admin-token-2';
  admin.prepareReload(next)();
  t.equal((await get(port, '/healthz', { authorization: 'Bearer admin-token-1' })).status, 401, 'old token refused after reload');
  t.equal((await get(port, '/healthz', { authorization: 'Bearer admin-token-2' })).status, 200, 'new token accepted');
});

t.test('/subscribers/IP', async (t) => {
  const { port, store } = await startAdmin(t, null);
  store.bind({ key: '10.1.2.3', msisdn: '+15551230001', imsi: '001010000000009', source: 'radius', nas: '10.9.9.9', since: Date.UTC(2026, 0, 1) });
  store.bind({ key: '2001:db8:1:2::/64', msisdn: '+15551230002', source: 'static', since: Date.UTC(2026, 0, 2) });
  const a = await get(port, '/subscribers/10.1.2.3');
  t.equal(a.status, 200);
  const aj = JSON.parse(a.body) as Record<string, unknown>;
  t.equal(aj.msisdn, '+15551230001');
  t.equal(aj.imsi, '001010000000009');
  t.equal(aj.key, '10.1.2.3');
  t.equal(aj.since, '2026-01-01T00:00:00.000Z');

  const v6 = await get(port, `/subscribers/${encodeURIComponent('2001:db8:1:2::abcd')}`);
  t.equal(v6.status, 200, 'URL-encoded IPv6 inside a bound /64');
  t.equal((JSON.parse(v6.body) as Subscriber).msisdn, '+15551230002');
  const v6raw = await get(port, '/subscribers/2001:db8:1:2:0:0:0:1');
  t.equal(v6raw.status, 200, 'IPv6 written without encoding');

  const miss = await get(port, '/subscribers/10.1.2.4');
  t.equal(miss.status, 404);
  t.equal((JSON.parse(miss.body) as { key: string }).key, '10.1.2.4');
  t.equal((await get(port, '/subscribers/not-an-ip')).status, 400);
  t.equal((await get(port, '/subscribers/%E0%A4%A')).status, 400, 'broken percent-encoding');
});

t.test('/subscribers/IP when no subscriber table exists yet is a 404', async (t) => {
  const { port } = await startAdmin(t, null, { subscribers: undefined });
  t.equal((await get(port, '/subscribers/10.1.2.3')).status, 404);
});
