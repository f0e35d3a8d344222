/**
 * Every Prometheus metric of the gateway, declared in one place and passed to constructors
 * (no module-level registry). Components call the fields directly; tests read them back with
 * `registry.getSingleMetric(name)` or `await registry.metrics()`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { TallyHistogram } from './histogram';

/**
 * One labelled child of a counter, counted in a plain number on a hot path (a datagram, a WTP
 * step) and added to its prom-client counter when the registry is read (Metrics.tally): the
 * exposed counter is the same, but an increment costs no label hashing or validation.
 */
export interface Tally {
  n: number;
}

export class Metrics {
  readonly registry: Registry;
  /** Tallies and their counters, flushed before any metric is read (scrape, tests). */
  private readonly tallied: Array<{ counter: Counter<string>; labels: Record<string, string>; t: Tally }> = [];
  /** Read at scrape time too: hot-path gauges set from plain numbers (Metrics.onScrape). */
  private readonly scrapeHooks: Array<() => void> = [];

  // decode errors, per layer (wtp, wsp, wsp-cl, mms, radius, http)
  readonly decodeErrors: Counter<'layer'>;
  // datagrams in/out of the UDP bearer, by port role
  readonly datagrams: Counter<'direction' | 'bearer'>;
  readonly datagramBytes: Counter<'direction' | 'bearer'>;

  // WTP
  readonly wtpTransactions: Counter<'class' | 'outcome'>;
  readonly wtpActiveTransactions: Gauge;
  readonly wtpRetransmissions: Counter<'pdu'>;
  readonly wtpAborts: Counter<'direction' | 'reason'>;
  readonly wtpDuplicates: Counter;
  readonly wtpTidVerifications: Counter<'outcome'>;
  readonly wtpSarSegments: Counter<'direction'>;
  readonly wtpNacks: Counter<'direction'>;

  // WSP
  readonly wspSessions: Gauge;
  readonly wspSessionEvents: Counter<'event'>;
  readonly wspMethods: Counter<'mode' | 'method' | 'status'>;

  // upstream (MMSC) requests from the WSP bridge
  /** Observed once per upstream request: a TallyHistogram (src/ops/histogram.ts), not prom-client's. */
  readonly upstreamLatency: TallyHistogram<'source'>;
  readonly upstreamResponses: Counter<'source' | 'status'>;

  // HTTP proxy
  readonly proxyRequests: Counter<'method' | 'status'>;
  readonly proxyRefusals: Counter<'reason'>;

  // access control and rate limits (layer: wsp | proxy)
  readonly accessDenied: Counter<'layer' | 'reason'>;
  readonly rateLimited: Counter<'layer'>;

  // subscribers
  readonly subscribers: Gauge<'source'>;
  readonly subscriberEvictions: Counter;
  readonly subscriberLookups: Counter<'result'>;
  // shared subscriber store (subscribers.store: redis)
  readonly storeUp: Gauge;
  readonly storeUnavailable: Counter<'op'>;
  readonly storeCacheLookups: Counter<'result'>;
  readonly storeInvalidations: Counter;
  // proxy workers (process.workers > 1)
  readonly workers: Gauge;
  readonly workerRestarts: Counter;

  // RADIUS
  readonly radiusPackets: Counter<'type' | 'outcome'>;
  readonly radiusForwarded: Counter<'server' | 'outcome'>;

  // operations
  // health of each component (its listeners), read at scrape time from `healthOf`
  readonly componentUp: Gauge<'component'>;
  /** Set by the composition root: [component name, up] for every component. */
  healthOf: (() => ReadonlyArray<readonly [string, boolean]>) | undefined;
  // the PPG's queue gauges (ppg_queue_addresses ... ppg_journal_bytes), set at scrape time by
  // this hook instead of after every push: `wapgw_ppg_*` gauges are as fresh as the scrape
  ppgGauges: (() => void) | undefined;

  // usage records (src/ops/usage-records.ts)
  readonly usageRecords: Counter<'bearer' | 'mms_type'>;
  readonly usageRecordsDropped: Counter;
  readonly usageRecordWriteErrors: Counter;

  readonly configReloads: Counter<'outcome'>;

  // Push Proxy Gateway (src/ppg)
  readonly ppgRequests: Counter<'operation' | 'code'>;
  readonly ppgRefusals: Counter<'reason'>;
  readonly ppgPushes: Counter<'outcome' | 'bearer'>;
  readonly ppgSms: Counter<'outcome'>;
  readonly ppgNotifications: Counter<'outcome'>;
  readonly ppgQueue: Gauge<'state'>;
  readonly ppgOldestPendingSeconds: Gauge;
  readonly ppgSmsBearerUp: Gauge;
  readonly ppgSmscState: Gauge<'smsc' | 'state'>;
  readonly ppgJournalBytes: Gauge;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [(this.registry = new Registry())];
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'wapgw_' });
    // every counter and gauge flushes the tallies and runs the scrape hooks before it is read
    // (prom-client calls `collect` at the start of each metric's get, in registration order)
    const collect = (): void => this.flushTallies();
    const c = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name: `wapgw_${name}`, help, labelNames, registers, collect });
    const g = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Gauge<L>({ name: `wapgw_${name}`, help, labelNames, registers, collect });
    const ppgG = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Gauge<L>({ name: `wapgw_${name}`, help, labelNames, registers, collect: () => this.ppgGauges?.() });

    this.decodeErrors = c('decode_errors_total', 'Malformed datagrams or PDUs, by layer', ['layer']);
    this.datagrams = c('datagrams_total', 'UDP datagrams, by direction and bearer', ['direction', 'bearer']);
    this.datagramBytes = c('datagram_bytes_total', 'UDP payload octets, by direction and bearer', ['direction', 'bearer']);

    this.wtpTransactions = c('wtp_transactions_total', 'Finished WTP transactions, by class and outcome', ['class', 'outcome']);
    this.wtpActiveTransactions = g('wtp_transactions_active', 'WTP transactions in progress');
    this.wtpRetransmissions = c('wtp_retransmissions_total', 'Retransmitted WTP PDUs we sent, by PDU', ['pdu']);
    this.wtpAborts = c('wtp_aborts_total', 'WTP Aborts, by direction (sent/received) and reason', ['direction', 'reason']);
    this.wtpDuplicates = c('wtp_duplicate_invokes_total', 'Duplicate or retransmitted Invokes answered without a new request');
    this.wtpTidVerifications = c('wtp_tid_verifications_total', 'TID verifications, by outcome', ['outcome']);
    this.wtpSarSegments = c('wtp_sar_segments_total', 'SAR segments, by direction (in/out)', ['direction']);
    this.wtpNacks = c('wtp_negative_acks_total', 'Negative Acks, by direction (sent/received)', ['direction']);

    this.wspSessions = g('wsp_sessions', 'WSP sessions held');
    this.wspSessionEvents = c('wsp_session_events_total', 'WSP session events (connect, disconnect, suspend, resume, expire, evict, source-limit, implicit-ack)', ['event']);
    this.wspMethods = c('wsp_methods_total', 'WSP methods, by mode (co/cl), method and WSP reply status (HTTP code)', ['mode', 'method', 'status']);

    this.upstreamLatency = new TallyHistogram<'source'>({
      name: 'wapgw_upstream_latency_seconds',
      help: 'Time to the MMSC response headers, by source (wsp/proxy)',
      labelNames: ['source'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.upstreamResponses = c('upstream_responses_total', 'Upstream outcomes, by source and HTTP status (or error)', ['source', 'status']);

    this.proxyRequests = c('proxy_requests_total', 'Proxy requests, by method and status returned', ['method', 'status']);
    this.proxyRefusals = c('proxy_refusals_total', 'Proxy requests refused before going upstream, by reason', ['reason']);

    this.accessDenied = c('access_denied_total', 'Requests refused by access rules, by layer and reason', ['layer', 'reason']);
    this.rateLimited = c('rate_limited_total', 'Requests refused by the per-source rate limit, by layer', ['layer']);

    this.subscribers = g('subscribers', 'Bindings in the subscriber table, by source', ['source']);
    this.subscriberEvictions = c('subscriber_evictions_total', 'Bindings evicted because the table was full');
    this.subscriberLookups = c('subscriber_lookups_total', 'Subscriber lookups, by result (hit/miss)', ['result']);
    // with proxy workers, /metrics aggregates every process: the store is up only if it is up in all of them
    this.storeUp = new Gauge({
      name: 'wapgw_subscriber_store_up',
      help: '1 while the shared subscriber store is reachable and its invalidations are live (0 also when it is not used)',
      registers,
      aggregator: 'min',
    });
    this.storeUnavailable = c('subscriber_store_unavailable_total', 'Operations refused because the shared subscriber store was unreachable, by op (lookup, accounting, list)', ['op']);
    this.storeCacheLookups = c('subscriber_cache_lookups_total', 'Lookups in the local cache of the shared subscriber store, by result (hit/miss)', ['result']);
    this.storeInvalidations = c('subscriber_cache_invalidations_total', 'Cache entries dropped on an invalidation from the shared subscriber store');
    this.workers = g('workers', 'HTTP proxy worker processes running (process.workers > 1)');
    this.workerRestarts = c('worker_restarts_total', 'HTTP proxy worker processes that died and were started again');

    this.radiusPackets = c('radius_packets_total', 'RADIUS packets, by Acct-Status-Type and outcome', ['type', 'outcome']);
    this.radiusForwarded = c('radius_forwarded_total', 'Accounting packets copied downstream, by server and outcome', ['server', 'outcome']);

    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const metrics = this;
    this.componentUp = new Gauge<'component'>({
      name: 'wapgw_component_up',
      help: 'Components up (1) or down (0: a listener is down, or starting/draining), by component',
      labelNames: ['component'],
      registers,
      collect() {
        for (const [component, up] of metrics.healthOf?.() ?? []) this.set({ component }, up ? 1 : 0);
      },
    });

    this.usageRecords = c('usage_records_total', 'MMS usage records written, by bearer (wsp/proxy/push) and MMS message type', ['bearer', 'mms_type']);
    this.usageRecordsDropped = c('usage_records_dropped_total', 'Usage records dropped because the disk could not be written for too long');
    this.usageRecordWriteErrors = c('usage_record_write_errors_total', 'Failed writes of usage record files');

    this.configReloads = c('config_reloads_total', 'SIGHUP reloads, by outcome (applied/refused)', ['outcome']);

    this.ppgRequests = c('ppg_requests_total', 'PAP requests answered, by operation (push, cancel, statusquery, ccq, resultnotification, badmessage) and PAP code', ['operation', 'code']);
    this.ppgRefusals = c('ppg_refusals_total', 'PAP requests refused, by reason (unauthenticated, network, rate-limit, too-large, pap-<code>, http-<reason> for requests the HTTP server refused itself: http-framing, http-header-too-large, http-client-timeout...)', ['reason']);
    this.ppgPushes = c('ppg_pushes_total', 'Push addresses by outcome (accepted = taken into the queue, delivered = taken by the bearer, failed, expired, cancelled) and bearer (sms/ip/none)', ['outcome', 'bearer']);
    this.ppgSms = c('ppg_sms_submits_total', 'SMS bearer submits, by outcome (ok, retry, failed)', ['outcome']);
    this.ppgNotifications = c('ppg_result_notifications_total', 'Result notifications to initiators, by outcome (ok, retry, failed)', ['outcome']);
    this.ppgQueue = ppgG('ppg_queue_addresses', 'Push addresses held, by state (pending, delivering, accepted, delivered, undeliverable, expired, cancelled)', ['state']);
    this.ppgOldestPendingSeconds = ppgG('ppg_oldest_pending_seconds', 'Age of the oldest push still at work (0 when none)');
    this.ppgSmsBearerUp = ppgG('ppg_sms_bearer_up', '1 while at least one SMPP session is bound');
    this.ppgSmscState = g('ppg_smsc_session_state', 'SMPP session state per SMSC: 1 for the current state (idle, connecting, binding, bound, backoff, closed)', ['smsc', 'state']);
    this.ppgJournalBytes = ppgG('ppg_journal_bytes', 'Size of the push journal file');
  }

  /**
   * A plain-number child of `counter` with these labels (given in full), added to the counter
   * whenever the registry is read. For increments on every datagram or protocol step; keep the
   * label values few (they are never forgotten).
   */
  tally<L extends string>(counter: Counter<L>, labels: Record<L, string>): Tally {
    const t: Tally = { n: 0 };
    this.tallied.push({ counter: counter as unknown as Counter<string>, labels, t });
    return t;
  }

  /**
   * The tallies of one counter by label set, looked up by a short key the caller builds from the
   * label values: one Map lookup per increment instead of prom-client's label hashing and
   * validation. For label values from closed sets (outcomes, directions, reason codes).
   */
  tallies<L extends string>(counter: Counter<L>): (key: string, labels: () => Record<L, string>) => Tally {
    const byKey = new Map<string, Tally>();
    return (key, labels) => {
      let t = byKey.get(key);
      if (t === undefined) byKey.set(key, (t = this.tally(counter, labels())));
      return t;
    };
  }

  /** Runs `hook` before the metrics are read (a gauge set from a plain number kept on a hot path). */
  onScrape(hook: () => void): void {
    this.scrapeHooks.push(hook);
  }

  private flushTallies(): void {
    for (const x of this.tallied) {
      if (x.t.n === 0) continue;
      x.counter.inc(x.labels, x.t.n);
      x.t.n = 0;
    }
    for (const h of this.scrapeHooks) h();
  }
}
