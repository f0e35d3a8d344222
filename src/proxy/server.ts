/**
 * The HTTP MMS proxy: the `proxy:port` of the phones' MMS APN (Android sends
 * absolute-form requests through it, RFC 9112 §3.2.2). Our own HTTP/1.1 server toward the phones
 * (src/http/server.ts, with keep-alive), our own keep-alive connection pools toward the MMSC
 * (src/http/upstream.ts); docs/architecture.md says why both.
 *
 * Per connection: at most proxy.maxConnections open, and proxy.maxConnectionsPerSource from one
 * source (IPv6: one /64); one over is closed on accept and counted.
 * Per request (one `Exchange`, src/proxy/exchange.ts), in order, nothing goes upstream until every check passed:
 *   the shared policy's verdict (src/policy/admit.ts: rate limit 429 -> source network /
 *   subscriber 403 -> method 405 -> target 403: absolute-form must name an allowed origin,
 *   origin-form goes to mmsc.url's origin) -> Content-Length over proxy.maxBodyBytes (413).
 * Then the request headers are rebuilt: hop-by-hop headers dropped (RFC 9110 §7.6.1: Connection
 * and the names it lists, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade;
 * plus Proxy-Authorization, which is for us, and Expect, which is answered here), every client
 * copy of an identity header removed and the real ones added (Policy.identify), Host set to the
 * target's authority (the absolute URI wins over a client Host, RFC 9112 §3.2.2), Via appended.
 * The body streams through a byte counter (chunked bodies over the maximum: 413 and the upstream
 * request aborted). Upstream failures map to 502, the upstream timeout to 504. CONNECT is
 * answered 405 without contacting anyone, and the connection closed. Requests whose framing
 * cannot be read safely (Content-Length with Transfer-Encoding, a Transfer-Encoding other than
 * chunked, two Content-Lengths or Hosts, obs-fold) are refused 400 by the server before they
 * become an exchange; `onClientError` counts and logs them.
 * One access-log line per request (`proxy request`: source, MSISDN (redacted by the logger),
 * method, URL, status, bytes in/out, ms, and for MMS bodies the message type and transaction id
 * of the request (`mmsIn`) and the reply (`mmsOut`), peeked from their first bytes).
 */
import type { AddressInfo, Socket } from 'node:net';
import type { Component, Listening } from '../core/component';
import type { Config } from '../config/schema';
import { systemClock, type Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { normalizeAddress, sourceKey } from '../core/net';
import type { Metrics, Tally } from '../ops/metrics';
import { Policy } from '../policy/admit';
import type { SubscriberStore } from '../subscribers/types';
import { Exchange, type ExchangeContext, type RefusalReason } from './exchange';
import { UpstreamPool, originOf } from '../http/upstream';
import { Http1Server, type Reply, type Request, type RequestError } from '../http/server';
import { TraceIds } from '../core/trace-id';
import type { UsageSink } from '../ops/usage-records';

export type { RefusalReason } from './exchange';

export interface MmsProxyDeps {
  config: Config;
  subscribers: SubscriberStore;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
  /** Usage records (src/ops/usage-records.ts), when enabled. */
  usage?: UsageSink;
}

/** The connection's normalised source address, set on accept (a keep-alive connection carries many requests). */
const SOURCE = Symbol('wapgw.proxy.source');
type TaggedSocket = Socket & { [SOURCE]?: string };
/** A connection's normalised source address: the one noted on accept, else worked out now. */
const sourceOf = (socket: Socket): string => (socket as TaggedSocket)[SOURCE] ?? normalizeAddress(socket.remoteAddress ?? '');

export class MmsProxy implements Component<Config>, ExchangeContext {
  readonly name = 'proxy';
  config: Config;
  readonly metrics: Metrics;
  readonly log: Logger;
  private readonly clock: Clock;
  readonly policy: Policy;
  readonly usage: UsageSink | undefined;
  readonly traces: TraceIds | undefined;
  private inFlight = 0;
  /** Open connections per source key (an IPv4 address or an IPv6 /64); at most maxConnections entries. */
  private readonly connectionsBySource = new Map<string, number>();
  private openConnections = 0;
  private readonly server: Http1Server;
  private listening = false;
  /** One connection pool per allowed origin (the origins are few and fixed by config). */
  private readonly pools = new Map<string, UpstreamPool>();
  /** prom-client hashes the label object on every inc/observe; the per-request series are few, so keep their children. */
  private readonly latencySeries: { observe(v: number): void };
  /** Per-request counters as plain-number tallies, added to their prom-client counters at scrape time (Metrics.tallies). */
  private readonly responseTally: (key: string, labels: () => { source: string; status: string }) => Tally;
  private readonly requestTally: (key: string, labels: () => { method: string; status: string }) => Tally;

  constructor(deps: MmsProxyDeps) {
    const { config } = deps;
    this.config = config;
    this.metrics = deps.metrics;
    this.log = deps.logger.child({ component: 'proxy' });
    this.latencySeries = this.metrics.upstreamLatency.labels({ source: 'proxy' });
    this.responseTally = this.metrics.tallies(this.metrics.upstreamResponses);
    this.requestTally = this.metrics.tallies(this.metrics.proxyRequests);
    this.clock = deps.clock ?? systemClock;
    this.policy = new Policy({ bearer: 'http', config, subscribers: deps.subscribers });
    this.usage = deps.usage;
    this.traces = config.trace.enabled ? new TraceIds(config.trace.header) : undefined;
    const p = config.proxy;
    this.server = new Http1Server(
      {
        maxHeaderBytes: p.maxHeaderBytes,
        headersTimeoutMs: Math.min(p.headersTimeoutMs, p.requestTimeoutMs),
        requestTimeoutMs: p.requestTimeoutMs,
        keepAliveTimeoutMs: p.keepAliveTimeoutMs,
        maxConnections: p.maxConnections,
        // toward phones: a 300 KB retrieval moves in a few large writes instead of pausing the
        // MMSC's socket at every 16 KB
        highWaterMark: 256 * 1024,
      },
      {
        request: (req, res) => this.onRequest(req, res),
        connection: (socket) => this.onConnection(socket),
        clientError: (socket, err) => this.onClientError(socket, err),
        // past proxy.maxConnections a new connection is closed at once
        drop: () => this.metrics.proxyRefusals.inc({ reason: 'connection-limit' }),
      },
    );
  }

  async start(): Promise<Listening[]> {
    const { bind, port } = this.config.proxy;
    const a = await this.server.listen(port, bind);
    this.listening = true;
    return [{ name: 'proxy', protocol: 'tcp', address: a.address, port: a.port }];
  }

  /** The bound address (after start). */
  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  async close(deadline: number): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    await this.server.close(deadline);
    for (const pool of this.pools.values()) pool.close();
  }

  healthy(): boolean {
    return this.listening && this.server.listening;
  }

  status(): Record<string, unknown> {
    const a = this.server.address();
    return {
      listening: this.server.listening,
      port: a?.port,
      connections: this.openConnections,
      inFlight: this.inFlight,
      upstreams: this.policy.upstream.origins,
      // keep-alive connections toward each origin used so far: open, idle, requests waiting for one
      upstreamConnections: Object.fromEntries([...this.pools].map(([origin, pool]) => [origin, pool.stats])),
      rateLimitedSources: this.policy.rateLimitedSources,
    };
  }

  /** SIGHUP: identity headers, allowedNetworks, requireSubscriber and log.accessLog apply live. */
  prepareReload(next: Config): () => void {
    const applyPolicy = this.policy.prepareReload(next);
    return () => {
      applyPolicy();
      this.config = next;
    };
  }

  // ---- requests (the flow of one request is src/proxy/exchange.ts) ---------------------------

  private onRequest(req: Request, res: Reply): void {
    if (req.method === 'CONNECT') {
      this.onConnect(req, res);
      return;
    }
    const ex = new Exchange(this, req, res, sourceOf(req.socket), this.clock.now(), () => this.clock.now());
    this.inFlight++;
    res.onClose(() => {
      this.inFlight--;
      ex.finish();
    });
    ex.run();
  }

  upstreamFor(origin: string): UpstreamPool {
    let pool = this.pools.get(origin);
    if (pool === undefined) this.pools.set(origin, (pool = new UpstreamPool(originOf(new URL(origin)), this.config.mmsc.connections)));
    return pool;
  }

  observeLatency(seconds: number): void {
    this.latencySeries.observe(seconds);
  }

  /** Counts one upstream outcome (an HTTP status, `timeout` or `error`); at most ~60 series. */
  countResponse(status: string): void {
    this.responseTally(status, () => ({ source: 'proxy', status })).n++;
  }

  countRequest(method: string, status: string): void {
    this.requestTally(`${method} ${status}`, () => ({ method, status })).n++;
  }

  // ---- outside the request path ------------------------------------------------------------

  /**
   * A new connection: at most proxy.maxConnectionsPerSource open at once from one source (an
   * IPv6 phone may use any address of its /64), so one phone or one spoofing host cannot take
   * every descriptor; one over is closed before anything is read (counted, no log line per
   * connection). The global cap is node's server.maxConnections ('drop').
   */
  private onConnection(socket: TaggedSocket): boolean {
    const src = normalizeAddress(socket.remoteAddress ?? '');
    socket[SOURCE] = src;
    const key = sourceKey(src);
    const n = (this.connectionsBySource.get(key) ?? 0) + 1;
    if (n > this.config.proxy.maxConnectionsPerSource) {
      this.metrics.proxyRefusals.inc({ reason: 'source-connection-limit' });
      return false;
    }
    this.connectionsBySource.set(key, n);
    this.openConnections++;
    socket.once('close', () => {
      this.openConnections--;
      const left = (this.connectionsBySource.get(key) ?? 1) - 1;
      if (left > 0) this.connectionsBySource.set(key, left);
      else this.connectionsBySource.delete(key);
    });
    return true;
  }

  /** CONNECT (a tunnel) is never offered: 405 without contacting anyone, and the connection closed. */
  private onConnect(req: Request, res: Reply): void {
    const src = sourceOf(req.socket);
    this.metrics.proxyRefusals.inc({ reason: 'connect' });
    this.metrics.proxyRequests.inc({ method: 'CONNECT', status: '405' });
    res.send(405, undefined, ['Allow', this.policy.allowHeader, 'Content-Length', '0', 'Connection', 'close']);
    if (this.config.log.accessLog) {
      this.log.info({ src, method: 'CONNECT', url: req.url, status: 405, bytesIn: 0, bytesOut: 0, ms: 0, refusal: 'connect' }, 'proxy request');
    }
  }

  /** A request the server refused before it became an exchange (it writes the answer and closes): counted and logged. */
  private onClientError(socket: Socket, err: RequestError): void {
    const reason: RefusalReason = err.reason === 'client-timeout' || err.reason === 'header-too-large' || err.reason === 'framing' ? err.reason : 'bad-request';
    this.metrics.proxyRefusals.inc({ reason });
    this.metrics.proxyRequests.inc({ method: 'unparsed', status: String(err.status) });
    if (this.config.log.accessLog) {
      this.log.info({ src: sourceOf(socket), status: err.status, refusal: reason, parserError: err.detail }, 'proxy request');
    }
  }
}
