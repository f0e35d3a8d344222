import t from 'tap';
import { createLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { SubscriberTable, tableKey } from '../../src/subscribers/table';
import type { Subscriber } from '../../src/subscribers/types';

const value = async (m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> => {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const got = await metric.get();
  return got.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
};

const radiusSub = (key: string, over: Partial<Subscriber> = {}): Subscriber => ({
  key,
  msisdn: '15550001',
  source: 'radius',
  nas: '192.0.2.1',
  acctSessionId: `s-${key}`,
  since: 1,
  ...over,
});

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { logger, lines };
}

t.test('keys: IPv4 exact, IPv6 by /64, prefixes of /64 or longer', async (t) => {
  t.equal(tableKey('10.0.0.1'), '10.0.0.1');
  t.equal(tableKey('::ffff:10.0.0.1'), '10.0.0.1');
  t.equal(tableKey('2001:db8:1:2::abcd'), '2001:db8:1:2::/64');
  t.equal(tableKey('2001:db8:1:2::/64'), '2001:db8:1:2::/64');
  t.equal(tableKey('2001:db8:1:2:3::/80'), '2001:db8:1:2::/64');
  t.equal(tableKey('2001:db8::/48'), null, 'shorter than /64 is not one key');
  t.equal(tableKey('10.0.0.0/8'), null, 'IPv4 ranges are not keys');
  t.equal(tableKey('nope'), null);
});

t.test('lookup by IPv4 and by any address of an IPv6 /64, counted hit/miss', async (t) => {
  const metrics = new Metrics();
  const table = new SubscriberTable({ maxEntries: 10, metrics });
  table.bind(radiusSub('10.0.0.1', { imsi: '001010000000001' }));
  table.bind(radiusSub('2001:db8:1:2::/64', { msisdn: '15550002' }));
  t.equal(table.lookup('10.0.0.1')?.imsi, '001010000000001');
  t.equal(table.lookup('::ffff:10.0.0.1')?.msisdn, '15550001');
  t.equal(table.lookup('2001:db8:1:2:aaaa:bbbb:cccc:dddd')?.msisdn, '15550002', 'privacy address in the /64');
  t.equal(table.lookup('2001:db8:1:3::1'), undefined, 'another /64');
  t.equal(table.lookup('10.0.0.2'), undefined);
  t.equal(table.lookup('garbage'), undefined);
  t.equal(await value(metrics, 'wapgw_subscriber_lookups_total', { result: 'hit' }), 3);
  t.equal(await value(metrics, 'wapgw_subscriber_lookups_total', { result: 'miss' }), 3);
  t.equal(table.size, 2);
  t.throws(() => table.bind(radiusSub('not-an-ip')), { code: 'ERR_SUBSCRIBER_KEY' });
});

t.test('static and RADIUS bindings coexist; RADIUS wins; a static reload replaces only static entries', async (t) => {
  const metrics = new Metrics();
  const table = new SubscriberTable({ maxEntries: 10, metrics });
  table.replaceStatic([
    { key: '10.0.0.1', msisdn: '+1000', source: 'static', since: 1 },
    { key: '10.0.0.2', msisdn: '+2000', source: 'static', since: 1 },
  ]);
  table.bind(radiusSub('10.0.0.1', { msisdn: '15559999' }));
  table.bind(radiusSub('10.0.0.3'));
  t.equal(table.lookup('10.0.0.1')?.msisdn, '15559999', 'RADIUS wins for the same key');
  t.equal(table.lookup('10.0.0.1')?.source, 'radius');
  t.equal(table.lookup('10.0.0.2')?.msisdn, '+2000');
  t.equal(await value(metrics, 'wapgw_subscribers', { source: 'static' }), 2);
  t.equal(await value(metrics, 'wapgw_subscribers', { source: 'radius' }), 2);

  table.replaceStatic([{ key: '10.0.0.9', msisdn: '+9000', source: 'static', since: 2 }]);
  t.equal(table.lookup('10.0.0.2'), undefined, 'old static entry gone');
  t.equal(table.lookup('10.0.0.9')?.msisdn, '+9000');
  t.equal(table.lookup('10.0.0.3')?.source, 'radius', 'RADIUS bindings untouched by a static reload');
  t.equal(table.lookup('10.0.0.1')?.msisdn, '15559999');
  t.equal(table.sizeOf('static'), 1);
  t.equal(await value(metrics, 'wapgw_subscribers', { source: 'static' }), 1);

  // removing the RADIUS binding uncovers the static one underneath, if any
  table.replaceStatic([{ key: '10.0.0.1', msisdn: '+1000', source: 'static', since: 3 }]);
  t.ok(table.unbind('10.0.0.1'));
  t.equal(table.lookup('10.0.0.1')?.msisdn, '+1000');
  t.equal(table.lookup('10.0.0.1')?.source, 'static');
});

t.test('unbind with a session id only removes a matching binding', async (t) => {
  const table = new SubscriberTable({ maxEntries: 10 });
  table.bind(radiusSub('10.0.0.1', { acctSessionId: 'A' }));
  t.notOk(table.unbind('10.0.0.1', 'B'));
  t.ok(table.lookup('10.0.0.1'));
  t.ok(table.unbind('10.0.0.1', 'A'));
  t.notOk(table.lookup('10.0.0.1'));
  t.notOk(table.unbind('10.0.0.1'), 'nothing left to remove');
  t.notOk(table.unbind('junk'));
});

t.test('flush by NAS removes only that NAS; the index follows replacements and unbinds', async (t) => {
  const table = new SubscriberTable({ maxEntries: 100 });
  for (let i = 1; i <= 5; i++) table.bind(radiusSub(`10.0.1.${i}`, { nas: 'ggsn-a' }));
  for (let i = 1; i <= 3; i++) table.bind(radiusSub(`10.0.2.${i}`, { nas: 'ggsn-b' }));
  table.replaceStatic([{ key: '10.0.3.1', msisdn: '+1', source: 'static', since: 1 }]);
  // 10.0.1.5 moves to ggsn-b (a new Start from there replaces it)
  table.bind(radiusSub('10.0.1.5', { nas: 'ggsn-b' }));
  table.unbind('10.0.1.4');
  t.same(table.nasCounts(), { 'ggsn-a': 3, 'ggsn-b': 4 });
  t.equal(table.flushNas('ggsn-a'), 3);
  t.equal(table.lookup('10.0.1.1'), undefined);
  t.ok(table.lookup('10.0.1.5'), 'moved binding survives its old NAS flush');
  t.ok(table.lookup('10.0.2.1'));
  t.ok(table.lookup('10.0.3.1'), 'static entries are never flushed by a NAS');
  t.same(table.nasCounts(), { 'ggsn-b': 4 });
  t.equal(table.flushNas('ggsn-a'), 0);
  t.equal(table.flushNas('nobody'), 0);
  t.equal(table.flushNas('ggsn-b'), 4);
  t.same(table.nasCounts(), {});
  t.equal(table.size, 1);
});

t.test('a full table evicts the least recently used, counts it, logs at a bounded rate, cleans the NAS index', async (t) => {
  const metrics = new Metrics();
  const { logger, lines } = captureLogger();
  let now = 0;
  const table = new SubscriberTable({ maxEntries: 3, metrics, logger, now: () => now, evictionLogIntervalMs: 1000 });
  table.bind(radiusSub('10.0.0.1'));
  table.bind(radiusSub('10.0.0.2'));
  table.bind(radiusSub('10.0.0.3'));
  t.ok(table.lookup('10.0.0.1'), 'touch .1 so .2 is the least recently used');
  table.bind(radiusSub('10.0.0.4'));
  t.equal(table.lookup('10.0.0.2'), undefined, 'LRU evicted');
  t.ok(table.lookup('10.0.0.1'));
  t.equal(table.size, 3);
  for (let i = 5; i <= 20; i++) table.bind(radiusSub(`10.0.0.${i}`));
  t.equal(table.evictions, 17);
  t.equal(await value(metrics, 'wapgw_subscriber_evictions_total'), 17);
  const warn = () => lines.filter((l) => typeof l.msg === 'string' && (l.msg as string).includes('subscriber table full'));
  t.equal(warn().length, 1, 'one log line for a burst of evictions');
  now = 1500;
  table.bind(radiusSub('10.0.0.21'));
  t.equal(warn().length, 2, 'another line after the interval');
  t.equal(warn()[1]?.evicted, 17, 'with the count since the last line');
  t.same(table.nasCounts(), { '192.0.2.1': 3 }, 'index holds only live keys');
  t.equal(table.flushNas('192.0.2.1'), 3);
});
