import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { configSchema } from '../../src/config/schema';
import { defaultConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { parseStaticSubscribers, StaticSubscribers } from '../../src/subscribers/static-file';
import { SubscriberTable } from '../../src/subscribers/table';

const parse = (text: string, maxEntries = 100) => parseStaticSubscribers(text, { maxEntries, now: 42 });

t.test('a good file: IPv4 addresses, IPv6 addresses and prefixes, digits kept as written', async (t) => {
  const r = parse(`
- ip: 10.0.0.1
  msisdn: "+15550000001"
  imsi: 001010000000001
  imeisv: "3534900612345601"
- ip: "2001:db8:1:2::77"
  msisdn: 15550000002
- prefix: "2001:db8:9:9::/64"
  msisdn: "15550000003"
- prefix: "::1/128"
  msisdn: "15550000004"
`);
  if (!r.ok) return t.fail(r.errors.join('\n'));
  t.same(
    r.subscribers.map((s) => [s.key, s.msisdn, s.imsi, s.imeisv]),
    [
      ['10.0.0.1', '+15550000001', '001010000000001', '3534900612345601'],
      ['2001:db8:1:2::/64', '15550000002', undefined, undefined],
      ['2001:db8:9:9::/64', '15550000003', undefined, undefined],
      ['0:0:0:0::/64', '15550000004', undefined, undefined],
    ],
    'an unquoted IMSI keeps its leading zeros',
  );
  t.ok(r.subscribers.every((s) => s.source === 'static' && s.since === 42));
  t.same(parse(''), { ok: true, subscribers: [] }, 'an empty file is an empty list');
});

t.test('every bad entry is named', async (t) => {
  const r = parse(`
- ip: 10.0.0.1
  msisdn: "+15550000001"
- ip: 10.0.0.300
  msisdn: "+1555"
- ip: 10.0.0.3
  msisdn: "call me"
- ip: 10.0.0.4
  msidn: "+1555"
- msisdn: "+1555"
- ip: 10.0.0.6
  prefix: "2001:db8::/64"
  msisdn: "+1555"
- prefix: "10.0.0.0/24"
  msisdn: "+1555"
- prefix: "2001:db8::/48"
  msisdn: "+1555"
- ip: 10.0.0.1
  msisdn: "+1555"
- ip: 10.0.0.9
  msisdn: "+1555"
  imsi: "12ab"
- just a string
`);
  t.equal(r.ok, false);
  if (r.ok) return;
  const has = (prefix: string) => t.ok(r.errors.some((e) => e.startsWith(prefix)), `${prefix} in ${JSON.stringify(r.errors)}`);
  has('[1].ip: ');
  has('[2].msisdn: ');
  has('[3].msisdn: ');
  has('[3]: ');
  t.ok(r.errors.some((e) => e.startsWith('[3]') && e.includes('msidn')), 'the unknown key is named');
  has('[4].ip: needs "ip" or "prefix"');
  has('[5].prefix: give "ip" or "prefix", not both');
  has('[6].prefix: ');
  has('[7].prefix: ');
  has('[8].ip: 10.0.0.1 is already bound by entry [0]');
  has('[9].imsi: ');
  has('[10]: ');
  t.notOk(r.errors.some((e) => e.startsWith('[0]')), 'the good entry is not blamed');
});

t.test('file-level problems', async (t) => {
  const notList = parse('ip: 10.0.0.1\nmsisdn: "+1"\n');
  t.same(notList.ok ? [] : notList.errors.map((e) => e.slice(0, 7)), ['(file):']);
  const syntax = parse('- ip: [10.0.0.1\n');
  t.match(syntax.ok ? '' : syntax.errors[0], /^\(file\): not valid YAML/);
  const big = parse('- {ip: 10.0.0.1, msisdn: "1234"}\n- {ip: 10.0.0.2, msisdn: "1234"}\n', 1);
  t.match(big.ok ? '' : big.errors[0], /more than subscribers\.maxEntries/);
  const dupKey = parse('- ip: 10.0.0.1\n  ip: 10.0.0.2\n  msisdn: "1234"\n');
  t.equal(dupKey.ok, false, 'duplicate YAML keys refused');
});

t.test('load at start, reload keeps the old state when the file is broken, SIGHUP hook', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-static-'));
  const file = join(dir, 'subscribers.yaml');
  writeFileSync(file, '- ip: 10.0.0.1\n  msisdn: "+1000"\n- ip: 10.0.0.2\n  msisdn: "+2000"\n');
  const table = new SubscriberTable({ maxEntries: 100 });
  table.bind({ key: '10.0.0.50', msisdn: '15550050', source: 'radius', nas: 'n', since: 1 });
  const config = configSchema.parse({ subscribers: { staticFile: file } });
  const st = new StaticSubscribers({ config: config.subscribers, table, logger: silentLogger() });
  t.same(await st.start(), []);
  t.equal(table.lookup('10.0.0.2')?.msisdn, '+2000');

  writeFileSync(file, '- ip: 10.0.0.1\n  msisdn: "+1000"\n- ip: 10.0.0.3\n  msisdn: "oops"\n');
  const bad = st.reload();
  t.equal(bad.ok, false);
  t.same(bad.ok ? [] : bad.errors, ['[1].msisdn: an MSISDN is 3 to 20 digits, optionally after "+"']);
  t.equal(table.lookup('10.0.0.2')?.msisdn, '+2000', 'old static state kept');

  writeFileSync(file, '- ip: 10.0.0.3\n  msisdn: "+3000"\n');
  const good = st.reload();
  t.same(good, { ok: true, count: 1, file });
  t.equal(table.lookup('10.0.0.2'), undefined);
  t.equal(table.lookup('10.0.0.3')?.msisdn, '+3000');
  t.equal(table.lookup('10.0.0.50')?.source, 'radius', 'RADIUS bindings untouched');
  t.same(st.status(), { file, entries: 1 });

  // SIGHUP through the gateway: prepareReload validates, the returned function applies
  writeFileSync(file, '- ip: 10.0.0.4\n  msisdn: "+4000"\n');
  const apply = st.prepareReload(config);
  t.equal(table.lookup('10.0.0.4'), undefined, 'nothing changes before apply');
  apply();
  t.equal(table.lookup('10.0.0.4')?.msisdn, '+4000');
  writeFileSync(file, '- ip: 10.0.0.5\n');
  t.throws(() => st.prepareReload(config), ConfigError, 'a broken file refuses the reload');
  t.equal(table.lookup('10.0.0.4')?.msisdn, '+4000');

  const missing = new StaticSubscribers({ config: { ...config.subscribers, staticFile: join(dir, 'nope.yaml') }, table, logger: silentLogger() });
  await t.rejects(missing.start(), ConfigError, 'a missing file stops the start');
  const none = new StaticSubscribers({ config: { ...config.subscribers, staticFile: null }, table: new SubscriberTable({ maxEntries: 1 }), logger: silentLogger() });
  t.same(await none.start(), []);
  await none.close();
});

t.test('the shipped conf/subscribers.yaml is valid', async (t) => {
  const table = new SubscriberTable({ maxEntries: 100 });
  const st = new StaticSubscribers({ config: { ...defaultConfig().subscribers, staticFile: join(__dirname, '..', '..', 'conf', 'subscribers.yaml'), maxEntries: 100 }, table, logger: silentLogger() });
  const r = st.reload();
  t.equal(r.ok, true, JSON.stringify(r));
  t.ok(table.lookup('127.0.0.1')?.msisdn);
});
