/**
 * The hot-path histogram (src/ops/histogram.ts) against prom-client's own Histogram: the same
 * observations give the same exposition text, the same JSON, and the same aggregation across
 * processes (the cluster's /metrics); a label set that is wrong is refused as prom-client
 * refuses it; reset zeroes the series callers hold.
 */
import fc from 'fast-check';
import t from 'tap';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { TallyHistogram } from '../../src/ops/histogram';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const config = (registry: Registry) => ({ name: 'x_latency_seconds', help: 'Time to the "first" byte\\n, by source', labelNames: ['source'] as const, buckets: BUCKETS, registers: [registry] });

/** The same observations in a prom-client Histogram and a TallyHistogram, each in its own registry. */
function both(obs: Array<[string, number]>): { ours: Registry; theirs: Registry } {
  const ours = new Registry();
  const theirs = new Registry();
  const a = new TallyHistogram(config(ours));
  const b = new Histogram({ ...config(theirs), labelNames: ['source'] });
  for (const [source, v] of obs) {
    a.labels({ source }).observe(v);
    b.labels({ source }).observe(v);
  }
  return { ours, theirs };
}

/** A registry's JSON without prom-client's `exemplar` fields (null: none is kept here). */
function withoutExemplars(json: unknown[]): unknown {
  return JSON.parse(JSON.stringify(json, (k, v: unknown) => (k === 'exemplar' ? undefined : v)));
}

const observations = fc.array(
  fc.tuple(fc.constantFrom('wsp', 'proxy', 'a"b\\c'), fc.oneof(fc.constantFrom(0, 0.005, 0.0050001, 1, 30, 31, 1e6), fc.double({ min: 0, max: 60, noNaN: true }))),
  { maxLength: 40 },
);

t.test('the same observations: the same text, the same JSON as prom-client', async (t) => {
  await fc.assert(
    fc.asyncProperty(observations, async (obs) => {
      const { ours, theirs } = both(obs);
      t.equal(await ours.metrics(), await theirs.metrics());
      t.same(withoutExemplars(await ours.getMetricsAsJSON()), withoutExemplars(await theirs.getMetricsAsJSON()), 'JSON (prom-client adds an empty exemplar field per bucket)');
    }),
    { numRuns: 200, seed: 0x415 },
  );
  const { ours } = both([
    ['wsp', 0.003],
    ['wsp', 0.7],
    ['proxy', 45],
  ]);
  const text = await ours.metrics();
  t.match(text, /x_latency_seconds_bucket\{le="0\.005",source="wsp"\} 1\n/);
  t.match(text, /x_latency_seconds_bucket\{le="1",source="wsp"\} 2\n/);
  t.match(text, /x_latency_seconds_bucket\{le="30",source="proxy"\} 0\n/);
  t.match(text, /x_latency_seconds_bucket\{le="\+Inf",source="proxy"\} 1\n/);
  t.match(text, /x_latency_seconds_count\{source="wsp"\} 2\n/);
  t.match(text, /x_latency_seconds_sum\{source="proxy"\} 45\n/);
});

t.test('aggregated across processes (the cluster primary): the same as prom-client aggregated', async (t) => {
  await fc.assert(
    fc.asyncProperty(observations, observations, async (o1, o2) => {
      const w1 = both(o1);
      const w2 = both(o2);
      const ours = AggregatorRegistry.aggregate([await w1.ours.getMetricsAsJSON(), await w2.ours.getMetricsAsJSON()] as never);
      const theirs = AggregatorRegistry.aggregate([await w1.theirs.getMetricsAsJSON(), await w2.theirs.getMetricsAsJSON()] as never);
      t.equal(await ours.metrics(), await theirs.metrics());
    }),
    { numRuns: 50, seed: 0x416 },
  );
});

t.test('labels: every label, no other; a series is kept and zeroed by reset; a value must be a number', async (t) => {
  const r = new Registry();
  const h = new TallyHistogram(config(r));
  t.throws(() => h.labels({} as never), /labels/);
  t.throws(() => h.labels({ source: 'wsp', other: 'x' } as never), /labels/);
  const s = h.labels({ source: 'wsp' });
  t.equal(h.labels({ source: 'wsp' }), s, 'one series per label set');
  t.throws(() => s.observe(Number.NaN), TypeError);
  s.observe(0.2);
  t.equal(s.count, 1);
  r.resetMetrics();
  t.equal(s.count, 0, 'zeroed, still held');
  t.equal((await h.get()).values.length, 0, 'an unobserved series is not shown (as prom-client)');
  s.observe(0.3);
  t.match(await r.metrics(), /x_latency_seconds_count\{source="wsp"\} 1\n/, 'the held series counts again');
  t.throws(() => new TallyHistogram({ ...config(new Registry()), buckets: [1, 0.5] }), /ascend/);
});
