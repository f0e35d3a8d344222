/**
 * The HTTP MMS proxy: the `proxy:port` of the phones' MMS APN (Android sends
 * absolute-form requests through it, RFC 9112 §3.2.2). Node's HTTP server toward the phones (with
 * keep-alive), our own keep-alive connection pools toward the MMSC (./upstream.ts).
 *
 * Per connection: at most proxy.maxConnections open, and proxy.maxConnectionsPerSource from one
 * source (IPv6: one /64); one over is closed on accept and counted.
 * Per request (one `Exchange`, src/proxy/exchange.ts), in order, nothing goes upstream until every check passed:
 *   the shared policy's verdict (src/policy/admit.ts: rate limit 429 -> source network /
 *   subscriber 403 -> method 405 -> target 403: absolute-form must name an allowed origin,
 *   origin-form goes to mmsc.url's origin) -> framing (400) -> Content-Length over
 *   proxy.maxBodyBytes (413).
 * Then the request headers are rebuilt: hop-by-hop headers dropped (RFC 9110 §7.6.1: Connection
 * and the names it lists, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade;
 * plus Proxy-Authorization, which is for us, and Expect, which Node answers itself), every client
 * copy of an identity header removed and the real ones added (Policy.identify), Host set to the
 * target's authority (the absolute URI wins over a client Host, RFC 9112 §3.2.2), Via appended.
 * The body streams through a byte counter (chunked bodies over the maximum: 413 and the upstream
 * request aborted). Upstream failures map to 502, the upstream timeout to 504. CONNECT is
 * answered 405 on the raw socket without contacting anyone. Requests with both Content-Length and
 * Transfer-Encoding, duplicate Content-Length, or obs-fold are refused 400 by Node's parser
 * (llhttp, strict mode); we answer those in `clientError` and count them.
 * One access-log line per request (`proxy request`: source, MSISDN (redacted by the logger),
 * method, URL, status, bytes in/out, ms, and for MMS bodies the message type and transaction id
 * of the request (`mmsIn`) and the reply (`mmsOut`), peeked from their first bytes).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Component, Listening } from '../core/component';
import type { Config } from '../config/schema';
import { systemClock, type Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { normalizeAddress, sourceKey } from '../core/net';
import { listenHttp } from '../ops/http-server';
import type { Metrics } from '../ops/metrics';
import { Policy } from '../policy/admit';
import type { SubscriberStore } from '../subscribers/types';
import { Exchange, upstreamOrigin, type ExchangeContext, type RefusalReason } from './exchange';
import { UpstreamPool } from '../http/upstream';
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

/** The metric child for `key`, made once (the per-request label sets are few: methods x statuses). */
function seriesOf(cache: Map<string, { inc(): void }>, key: string, make: () => { inc(): void }): { inc(): void } {
  let series = cache.get(key);
  if (series === undefined) cache.set(key, (series = make()));
  return series;
}

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
  private readonly server: http.Server;
  private listening = false;
  /** One connection pool per allowed origin (the origins are few and fixed by config). */
  private readonly pools = new Map<string, UpstreamPool>();
  /** prom-client hashes the label object on every inc/observe; the per-request series are few, so keep their children. */
  private readonly latencySeries: { observe(v: number): void };
  private readonly responseSeries = new Map<string, { inc(): void }>();
  private readonly requestSeries = new Map<string, { inc(): void }>();

  constructor(deps: MmsProxyDeps) {
    const { config } = deps;
    this.config = config;
    this.metrics = deps.metrics;
    this.log = deps.logger.child({ component: 'proxy' });
    this.latencySeries = this.metrics.upstreamLatency.labels({ source: 'proxy' });
    this.clock = deps.clock ?? systemClock;
    this.policy = new Policy({ bearer: 'http', config, subscribers: deps.subscribers });
    this.usage = deps.usage;
    this.traces = config.trace.enabled ? new TraceIds(config.trace.header) : undefined;
    const p = config.proxy;
    this.server = http.createServer({
      maxHeaderSize: p.maxHeaderBytes,
      headersTimeout: Math.min(p.headersTimeoutMs, p.requestTimeoutMs),
      requestTimeout: p.requestTimeoutMs,
      keepAliveTimeout: p.keepAliveTimeoutMs,
      // bigger stream buffers toward phones: a 300 KB retrieval moves in a few large writes
      // instead of pausing the upstream socket at every 16 KB (measured: ~+40% MB/s)
      highWaterMark: 256 * 1024,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(p.headersTimeoutMs / 2))),
    } as http.ServerOptions);
    this.server.keepAliveTimeout = p.keepAliveTimeoutMs;
    // past this node closes new connections at once and emits 'drop'
    this.server.maxConnections = p.maxConnections;
    this.server.on('drop', () => this.metrics.proxyRefusals.inc({ reason: 'connection-limit' }));
    this.server.on('connection', (socket: Socket) => this.onConnection(socket));
    this.server.on('request', (req, res) => this.onRequest(req, res, false));
    this.server.on('checkContinue', (req, res) => this.onRequest(req, res, true));
    this.server.on('connect', (req: http.IncomingMessage, socket: Socket) => this.onConnect(req, socket));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
  }

  async start(): Promise<Listening[]> {
    const { bind, port } = this.config.proxy;
    const a = await listenHttp(this.server, port, bind);
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
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const wait = Math.max(0, deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, wait)))]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    await closed;
    for (const pool of this.pools.values()) pool.close();
  }

  healthy(): boolean {
    return this.listening && this.server.listening;
  }

  status(): Record<string, unknown> {
    const a = this.server.address() as AddressInfo | null;
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

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, expectContinue: boolean): void {
    const ex = new Exchange(this, req, res, sourceOf(req.socket), this.clock.now(), () => this.clock.now());
    this.inFlight++;
    res.once('close', () => {
      this.inFlight--;
      ex.finish();
    });
    ex.run(expectContinue);
  }

  upstreamFor(origin: string): UpstreamPool {
    let pool = this.pools.get(origin);
    if (pool === undefined) this.pools.set(origin, (pool = new UpstreamPool(upstreamOrigin(origin), this.config.mmsc.connections)));
    return pool;
  }

  observeLatency(seconds: number): void {
    this.latencySeries.observe(seconds);
  }

  /** Counts one upstream outcome (an HTTP status, `timeout` or `error`); at most ~60 series. */
  countResponse(status: string): void {
    seriesOf(this.responseSeries, status, () => this.metrics.upstreamResponses.labels({ source: 'proxy', status })).inc();
  }

  countRequest(method: string, status: string): void {
    seriesOf(this.requestSeries, `${method} ${status}`, () => this.metrics.proxyRequests.labels({ method, status })).inc();
  }

  // ---- outside the request path ------------------------------------------------------------

  /**
   * A new connection: at most proxy.maxConnectionsPerSource open at once from one source (an
   * IPv6 phone may use any address of its /64), so one phone or one spoofing host cannot take
   * every descriptor; one over is closed before anything is read (counted, no log line per
   * connection). The global cap is node's server.maxConnections ('drop').
   */
  private onConnection(socket: TaggedSocket): void {
    const src = normalizeAddress(socket.remoteAddress ?? '');
    socket[SOURCE] = src;
    const key = sourceKey(src);
    const n = (this.connectionsBySource.get(key) ?? 0) + 1;
    if (n > this.config.proxy.maxConnectionsPerSource) {
      this.metrics.proxyRefusals.inc({ reason: 'source-connection-limit' });
      socket.destroy();
      return;
    }
    this.connectionsBySource.set(key, n);
    this.openConnections++;
    socket.once('close', () => {
      this.openConnections--;
      const left = (this.connectionsBySource.get(key) ?? 1) - 1;
      if (left > 0) this.connectionsBySource.set(key, left);
      else this.connectionsBySource.delete(key);
    });
  }

  private onConnect(req: http.IncomingMessage, socket: Socket): void {
    const src = sourceOf(socket);
    this.metrics.proxyRefusals.inc({ reason: 'connect' });
    this.metrics.proxyRequests.inc({ method: 'CONNECT', status: '405' });
    const allow = this.policy.allowHeader;
    socket.on('error', () => socket.destroy());
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nAllow: ${allow}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    if (this.config.log.accessLog) {
      this.log.info({ src, method: 'CONNECT', url: req.url, status: 405, bytesIn: 0, bytesOut: 0, ms: 0, refusal: 'connect' }, 'proxy request');
    }
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const code = err.code ?? '';
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    let status = 400;
    let reason: RefusalReason = 'bad-request';
    if (code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      reason = 'header-too-large';
    } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      reason = 'client-timeout';
    } else if (code === 'HPE_INVALID_TRANSFER_ENCODING' || code === 'HPE_UNEXPECTED_CONTENT_LENGTH' || code === 'HPE_INVALID_CONTENT_LENGTH') {
      reason = 'framing';
    }
    this.metrics.proxyRefusals.inc({ reason });
    this.metrics.proxyRequests.inc({ method: 'unparsed', status: String(status) });
    if (this.config.log.accessLog) {
      this.log.info({ src: sourceOf(socket), status, refusal: reason, parserError: code }, 'proxy request');
    }
    const msg = http.STATUS_CODES[status] ?? 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${msg}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    setTimeout(() => socket.destroy(), 200).unref();
  }
}
