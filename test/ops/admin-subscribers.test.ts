/** admin GET /subscribers (paged, filtered) over the real subscriber table, and how keys are shown. */
import t from 'tap';
import type { Tap } from '../helpers/tap';
import { defaultConfig } from '../../src/config/load';
import { silentLogger } from '../../src/core/logger';
import { displayKey, formatIpv6, parseAddress } from '../../src/core/net';
import { AdminServer } from '../../src/ops/admin';
import { Metrics } from '../../src/ops/metrics';
import { parseStaticSubscribers } from '../../src/subscribers/static-file';
import { SubscriberTable } from '../../src/subscribers/table';

async function setup(t: Tap) {
  const metrics = new Metrics();
  const table = new SubscriberTable({ maxEntries: 1000, metrics });
  const admin = new AdminServer({
    config: { ...defaultConfig().admin, port: 0 },
    logger: silentLogger(),
    metrics,
    gateway: { healthy: () => true, status: async () => ({}), subscribers: table },
  });
  const [l] = await admin.start();
  t.teardown(() => admin.close(Date.now()));
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${l!.port}${path}`);
    return { status: r.status, body: (await r.json()) as { items: Array<Record<string, unknown>>; nextCursor?: string; error?: string } };
  };
  return { table, get };
}

t.test('GET /subscribers pages through every binding once, filtered by MSISDN, NAS and source', async (t) => {
  const { table, get } = await setup(t);
  for (let i = 1; i <= 25; i++) {
    table.bind({ key: `10.0.0.${i}`, msisdn: `1555000${String(i).padStart(4, '0')}`, source: 'radius', nas: i % 2 ? 'pgw-a' : 'pgw-b', ratType: 6, since: Date.UTC(2026, 0, 1) });
  }
  const r = parseStaticSubscribers('- prefix: "::1/128"\n  msisdn: "+15550000002"\n- ip: 127.0.0.1\n  msisdn: "+15550000001"\n', { maxEntries: 10, now: 0 });
  if (!r.ok) throw new Error(r.errors.join());
  table.replaceStatic(r.subscribers);

  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const p = await get(`/subscribers?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    t.equal(p.status, 200);
    t.ok(p.body.items.length <= 10);
    for (const s of p.body.items) seen.push(s.key as string);
    cursor = p.body.nextCursor;
    pages++;
  } while (cursor !== undefined && pages < 10);
  t.equal(pages, 3, '27 bindings in pages of 10');
  t.equal(seen.length, 27);
  t.equal(new Set(seen).size, 27, 'each binding once');
  t.ok(seen.includes('::/64'), 'the static ::1/128 entry shows as the /64 it binds, in RFC 5952 form');
  t.notOk(seen.some((k) => k.includes('0:0:0:0')));

  const a = await get('/subscribers?nas=pgw-a&limit=1000');
  t.equal(a.body.items.length, 13);
  t.ok(a.body.items.every((s) => s.nas === 'pgw-a'));
  t.match(a.body.items[0], { source: 'radius', ratType: 6, ratTypeName: 'EUTRAN', since: '2026-01-01T00:00:00.000Z' });
  const m = await get('/subscribers?msisdn=15550000007');
  t.same(m.body.items.map((s) => s.key), ['10.0.0.7']);
  const st = await get('/subscribers?source=static');
  t.same(st.body.items.map((s) => s.key).sort(), ['127.0.0.1', '::/64']);
  t.equal((await get('/subscribers?msisdn=19999999999')).body.items.length, 0);

  t.equal((await get('/subscribers?limit=0')).status, 400);
  t.equal((await get('/subscribers?limit=5000')).status, 400);
  t.equal((await get('/subscribers?source=pgw')).status, 400);
  const badCursor = await get('/subscribers?cursor=garbage');
  t.equal(badCursor.status, 400);
  t.match(badCursor.body.error, /cursor/);
  t.match((await get('/subscribers?msisnd=1')).body.error, /unknown parameter "msisnd"/);

});

t.test('/subscribers/IP shows the key in RFC 5952 form', async (t) => {
  const { table } = await setup(t);
  const r = parseStaticSubscribers('- prefix: "::1/128"\n  msisdn: "+15550000002"\n', { maxEntries: 10, now: 0 });
  if (!r.ok) throw new Error(r.errors.join());
  table.replaceStatic(r.subscribers);
  t.equal(displayKey(r.subscribers[0]!.key), '::/64');
  t.equal(displayKey('2001:db8:0:0::/64'), '2001:db8::/64');
  t.equal(displayKey('2001:db8:1:2::/64'), '2001:db8:1:2::/64');
  t.equal(displayKey('10.0.0.1'), '10.0.0.1');
  t.equal(formatIpv6(parseAddress('2001:db8:0:1:0:0:0:1')!.bytes), '2001:db8:0:1::1', 'the longest zero run');
  t.equal(formatIpv6(parseAddress('2001:db8:0:1:1:1:1:1')!.bytes), '2001:db8:0:1:1:1:1:1', 'one zero word stays');
  t.equal(formatIpv6(parseAddress('1:0:0:2:0:0:0:3')!.bytes), '1:0:0:2::3');
});
