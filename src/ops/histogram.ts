/**
 * A Prometheus histogram observed on a hot path: each series keeps its bucket counts, sum and
 * count as plain numbers, and the registry reads them when it is scraped. prom-client's
 * Histogram hashes and validates the label set on every `observe` (even through `labels()`),
 * which cost 1-1.4 % of a WSP Connect+GET+Disconnect cycle for one latency observation
 * (bench/RESULTS.md); prom-client has no way to add counts in bulk, so this metric is our own
 * object in the registry, read by it through the same `get()` as its own metrics: the same
 * exposition text, the same JSON for the cluster's aggregation (test/ops/histogram.test.ts
 * holds the two to each other).
 *
 * Exposition format: Prometheus' text format, histogram type: cumulative `_bucket` series with
 * `le`, `+Inf` equal to `_count`, then `_sum` and `_count`.
 */
import type { MetricValueWithName, Registry } from 'prom-client';

/** What a registry reads from a metric (prom-client's `get()`). */
export interface HistogramReading {
  name: string;
  help: string;
  type: 'histogram';
  values: Array<MetricValueWithName<string>>;
  aggregator: 'sum';
}

/** One labelled series: observe() is a bucket search and three additions. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last counts those above the largest bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > (b[i] as number)) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  zero(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export interface TallyHistogramConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Upper bounds, ascending. */
  buckets: readonly number[];
  registers: Registry[];
}

export class TallyHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  /** How the cluster's aggregation merges workers' series (prom-client's default for a histogram). */
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(config: TallyHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.buckets = [...config.buckets];
    for (let i = 1; i < this.buckets.length; i++) {
      if (!((this.buckets[i] as number) > (this.buckets[i - 1] as number))) throw new Error(`${this.name}: buckets must ascend`);
    }
    for (const r of config.registers) r.registerMetric(this as never);
  }

  /** The series of one label set (every label given), made on first use and kept: hold it and observe on it. */
  labels(labels: Readonly<Record<L, string>>): HistogramSeries {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || this.labelNames.some((n) => typeof labels[n] !== 'string')) {
      throw new Error(`${this.name}: labels ${given.join(',')} where ${this.labelNames.join(',')} are expected`);
    }
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      const own: Record<string, string> = {};
      for (const n of this.labelNames) own[n] = labels[n];
      this.series.set(key, (s = new HistogramSeries(this.buckets, own)));
    }
    return s;
  }

  /** The registry's reading (and prom-client's `Metric.get()` shape): buckets cumulative, labels splayed. */
  async get(): Promise<HistogramReading> {
    const values: Array<MetricValueWithName<string>> = [];
    for (const s of this.series.values()) {
      // a series shows once observed, as prom-client's do (and vanishes again on reset)
      if (s.count === 0) continue;
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i] as number;
        values.push({ labels: { le: this.buckets[i] as number, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Every series back to zero (kept: callers hold them). */
  reset(): void {
    for (const s of this.series.values()) s.zero();
  }
}
