import t from 'tap';
import { SubscriberTable } from '../../src/subscribers/table';
import type { Subscriber, SubscriberFilter } from '../../src/subscribers/types';

const radius = (key: string, msisdn: string | undefined, nas: string | undefined = '192.0.2.1', over: Partial<Subscriber> = {}): Subscriber => ({
  key,
  msisdn,
  source: 'radius',
  nas,
  acctSessionId: `s-${key}`,
  since: 1,
  ...over,
});

/** Every page of a listing, following cursors. */
function all(table: SubscriberTable, filter: SubscriberFilter, limit: number): { keys: string[]; pages: number } {
  const keys: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = table.list(filter, limit, cursor);
    pages++;
    keys.push(...page.items.map((s) => s.key));
    cursor = page.nextCursor;
    if (pages > 1000) throw new Error('listing does not end');
  } while (cursor !== undefined);
  return { keys, pages };
}

t.test('findByMsisdn: the latest RADIUS binding, else static; kept in step on bind, unbind, flush, evict, reload', async (t) => {
  const table = new SubscriberTable({ maxEntries: 3 });
  t.equal(table.findByMsisdn('111'), undefined);
  table.replaceStatic([{ key: '10.9.0.1', msisdn: '111', source: 'static', since: 0 }]);
  t.equal(table.findByMsisdn('111')?.key, '10.9.0.1', 'static binding found');
  table.bind(radius('10.0.0.1', '111'));
  t.equal(table.findByMsisdn('111')?.key, '10.0.0.1', 'RADIUS wins over static');
  table.bind(radius('2001:db8:0:0::/64', '111'));
  t.equal(table.findByMsisdn('111')?.key, '2001:db8:0:0::/64', 'most recently bound');
  table.bind(radius('10.0.0.1', '111', '192.0.2.1', { imsi: '1' }));
  t.equal(table.findByMsisdn('111')?.key, '10.0.0.1', 'a rebind makes it the latest again');
  // the address changes hands: the old MSISDN no longer finds it
  table.bind(radius('10.0.0.1', '222'));
  t.equal(table.findByMsisdn('222')?.key, '10.0.0.1');
  t.equal(table.findByMsisdn('111')?.key, '2001:db8:0:0::/64', 'the index dropped the replaced binding');
  t.ok(table.unbind('2001:db8:0:0::/64'));
  t.equal(table.findByMsisdn('111')?.key, '10.9.0.1', 'falls back to static after unbind');
  table.bind(radius('10.0.0.2', '333', '192.0.2.2'));
  t.equal(table.flushNas('192.0.2.2'), 1);
  t.equal(table.findByMsisdn('333'), undefined, 'flushed');
  // eviction: maxEntries 3 RADIUS bindings
  table.bind(radius('10.0.0.3', '444'));
  table.bind(radius('10.0.0.4', '555'));
  table.bind(radius('10.0.0.5', '666'));
  t.equal(table.evictions, 1);
  t.equal(table.findByMsisdn('222'), undefined, '10.0.0.1 was least recently used and evicted');
  t.equal(table.findByMsisdn('666')?.key, '10.0.0.5');
  table.replaceStatic([]);
  t.equal(table.findByMsisdn('111'), undefined, 'static reload dropped it');
  t.ok(table.unbind('10.0.0.3'));
  table.replaceStatic([{ key: '10.9.0.2', msisdn: '777', source: 'static', since: 0 }]);
  t.ok(table.unbind('10.9.0.2'), 'static unbind');
  t.equal(table.findByMsisdn('777'), undefined, 'static index follows unbind');
});

t.test('the MSISDN index stays bounded by the table under churn', async (t) => {
  const table = new SubscriberTable({ maxEntries: 50 });
  for (let i = 0; i < 5000; i++) table.bind(radius(`10.1.${i >> 8}.${i & 255}`, String(900000 + i)));
  const index = (table as unknown as { byMsisdn: Map<string, Set<string>> }).byMsisdn;
  t.equal(index.size, 50, 'one MSISDN per live binding');
  t.equal(table.findByMsisdn('900000'), undefined);
  t.equal(table.findByMsisdn('904999')?.key, '10.1.19.135');
});

t.test('list: paged, filtered, stable while lookups reorder the LRU', async (t) => {
  const table = new SubscriberTable({ maxEntries: 1000 });
  for (let i = 0; i < 25; i++) table.bind(radius(`10.0.0.${i + 1}`, String(5000 + (i % 5)), i % 2 === 0 ? 'nas-a' : 'nas-b'));
  table.bind(radius('10.0.1.1', '5000', undefined));
  table.replaceStatic([
    { key: '10.9.0.1', msisdn: '5000', source: 'static', since: 0 },
    { key: '10.9.0.2', msisdn: '6000', source: 'static', since: 0 },
  ]);
  const everything = all(table, {}, 7);
  t.equal(everything.keys.length, 28, 'every binding once');
  t.equal(new Set(everything.keys).size, 28, 'no duplicates');
  t.equal(everything.pages, 4);
  t.same(all(table, {}, 1000).keys, everything.keys, 'page size does not change the order');

  const a = all(table, { nas: 'nas-a' }, 4).keys;
  t.equal(a.length, 13);
  t.ok(a.every((k) => table.peekRadius(k)?.nas === 'nas-a'));
  t.same(all(table, { msisdn: '5000' }, 2).keys.sort(), ['10.0.0.1', '10.0.0.11', '10.0.0.16', '10.0.0.21', '10.0.0.6', '10.0.1.1', '10.9.0.1'].sort());
  t.same(all(table, { msisdn: '5000', source: 'static' }, 2).keys, ['10.9.0.1']);
  t.same(all(table, { source: 'static' }, 10).keys, ['10.9.0.1', '10.9.0.2']);
  t.equal(all(table, { source: 'radius' }, 10).keys.length, 26);
  t.same(all(table, { nas: 'nope' }, 10).keys, []);
  t.same(all(table, { msisdn: 'nope' }, 10).keys, []);

  // lookups between pages (LRU reorder) and a deletion do not make the walk skip or repeat
  const first = table.list({}, 10);
  for (let i = 25; i >= 1; i--) table.lookup(`10.0.0.${i}`);
  t.ok(table.unbind(first.items[0]?.key as string));
  const rest: string[] = [];
  let c = first.nextCursor;
  while (c !== undefined) {
    const p = table.list({}, 10, c);
    rest.push(...p.items.map((s) => s.key));
    c = p.nextCursor;
  }
  t.same([...first.items.map((s) => s.key), ...rest], everything.keys, 'same walk despite reordering');

  const page = table.list({}, 1);
  t.equal(page.items.length, 1);
  t.notOk(JSON.stringify(page.items[0]).includes('seq'), 'no internal fields in JSON');
  t.equal(table.list({}, 0).items.length, 1, 'limit is at least 1');
  t.equal(table.list({}, 5000).items.length, 27, 'limit at most 1000 (one was unbound)');
  t.throws(() => table.list({}, 10, 'garbage!'), { code: 'ERR_SUBSCRIBER_CURSOR' });
  t.throws(() => table.list({}, 10, Buffer.from('{"p":1}').toString('base64url')), { code: 'ERR_SUBSCRIBER_CURSOR' });
});

t.test('list: a page holds at most 1000', async (t) => {
  const table = new SubscriberTable({ maxEntries: 2000 });
  for (let i = 0; i < 1200; i++) table.bind(radius(`10.2.${i >> 8}.${i & 255}`, String(i)));
  const page = table.list({}, 5000);
  t.equal(page.items.length, 1000);
  t.type(page.nextCursor, 'string');
  t.equal(table.list({}, 5000, page.nextCursor).items.length, 200);
});
