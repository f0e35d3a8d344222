/**
 * Tallies (src/ops/metrics.ts Metrics.tally): plain-number counter children on the hot paths,
 * added to their prom-client counters whenever the registry is read, and gauges set at scrape
 * time (Metrics.onScrape). The exposition must be what direct increments would have given.
 */
import t from 'tap';
import { Metrics } from '../../src/ops/metrics';

t.test('a tally shows in the exposition at every read, added once, next to direct increments', async (t) => {
  const m = new Metrics();
  const tx = m.tally(m.datagrams, { direction: 'out', bearer: 'co' });
  tx.n += 3;
  m.datagrams.inc({ direction: 'out', bearer: 'co' }); // a direct increment of the same child
  t.match(await m.registry.metrics(), /wapgw_datagrams_total\{direction="out",bearer="co"\} 4\n/);
  t.match(await m.registry.metrics(), /wapgw_datagrams_total\{direction="out",bearer="co"\} 4\n/, 'a second read adds nothing');
  tx.n++;
  t.equal((await m.datagrams.get()).values.find((v) => v.labels.direction === 'out')?.value, 5, 'a single metric read flushes too');
  t.notMatch(await m.registry.metrics(), /direction="in"/, 'an untouched tally makes no series');
});

t.test('tallies by key: one child per label set; scrape hooks set gauges from plain numbers', async (t) => {
  const m = new Metrics();
  const by = m.tallies(m.wtpTransactions);
  let made = 0;
  const labels = (outcome: string) => () => (made++, { class: '2', outcome });
  by('2/completed', labels('completed')).n++;
  by('2/completed', labels('completed')).n++;
  by('2/aborted', labels('aborted')).n++;
  t.equal(made, 2, 'labels built once per key');
  let active = 7;
  m.onScrape(() => m.wtpActiveTransactions.set(active));
  const text = await m.registry.metrics();
  t.match(text, /wapgw_wtp_transactions_total\{class="2",outcome="completed"\} 2\n/);
  t.match(text, /wapgw_wtp_transactions_total\{class="2",outcome="aborted"\} 1\n/);
  t.match(text, /wapgw_wtp_transactions_active 7\n/);
  active = 3;
  t.match(await m.registry.metrics(), /wapgw_wtp_transactions_active 3\n/);
});
