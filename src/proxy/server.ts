/**
 * The HTTP MMS proxy: the `proxy:port` of the phones' MMS APN (peers.md §5: Android sends
 * absolute-form requests through it, RFC 9112 §3.2.2). Built on `http-proxy` for the streaming
 * core, with keep-alive agents toward the MMSC and Node's keep-alive toward phones.
 *
 * Per connection: at most proxy.maxConnections open, and proxy.maxConnectionsPerSource from one
 * source (IPv6: one /64); one over is closed on accept and counted.
 * Per request, in order, nothing goes upstream until every check passed:
 *   rate limit (429) -> source network / subscriber (403) -> method (405) -> framing (400)
 *   -> target: absolute-form must name an allowed origin, origin-form goes to mmsc.url's origin
 *   (403) -> Content-Length over proxy.maxBodyBytes (413).
 * Then the request headers are rebuilt: hop-by-hop headers dropped (RFC 9110 §7.6.1: Connection
 * and the names it lists, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade;
 * plus Proxy-Authorization, which is for us, and Expect, which Node answers itself), every client
 * copy of an identity header removed and the real ones added (identity.ts), Host set to the
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
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { parse as parseUrl, type UrlWithStringQuery } from 'node:url';
import httpProxy from 'http-proxy';
import type { Component, Listening } from '../core/component';
import type { Config } from '../config/schema';
import { systemClock, type Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { HOP_BY_HOP } from '../core/http';
import { normalizeAddress, sourceKey } from '../core/net';
import { listenHttp } from '../ops/http-server';
import type { Metrics } from '../ops/metrics';
import type { Subscriber, SubscriberStore } from '../subscribers/types';
import { AccessPolicy, UpstreamPolicy, type AccessResult } from './access';
import { IdentityHeaders } from './identity';
import { peekMms, type MmsPeek } from './mms-peek';
import { TraceIds } from '../core/trace-id';
import { MMS_HEAD_OCTETS, type MmsExchange, type UsageSink } from '../ops/usage-records';
import { RateLimiter } from './rate-limit';

export interface MmsProxyDeps {
  config: Config;
  subscribers: SubscriberStore;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
  /** Usage records (src/ops/usage-records.ts), when enabled. */
  usage?: UsageSink;
}

/** Request fields that are this hop's own: the MMSC gets its own Host, and Expect is answered here. */
const REQUEST_ONLY_DROP = new Set(['host', 'expect']);

export type RefusalReason =
  | 'rate-limit'
  | 'network'
  | 'no-subscriber'
  | 'store-unavailable'
  | 'method'
  | 'connect'
  | 'framing'
  | 'target'
  | 'body-too-large'
  | 'bad-request'
  | 'header-too-large'
  | 'client-timeout'
  | 'connection-limit'
  | 'source-connection-limit';

const MMS_TYPE = 'application/vnd.wap.mms-message';
const isMms = (ct: string | string[] | undefined): boolean => typeof ct === 'string' && ct.trim().toLowerCase().startsWith(MMS_TYPE);

/** Per-request bookkeeping, from arrival to the access-log line. */
interface Exchange {
  start: number;
  src: string;
  method: string;
  url: string;
  subscriber?: Subscriber;
  bytesIn: number;
  bytesOut: number;
  /** Set once we answered ourselves (refusal, 413, 502, 504): later events are ignored. */
  answered: boolean;
  timedOut: boolean;
  refusal?: RefusalReason;
  upstreamError?: string;
  proxyReq?: http.ClientRequest;
  /** MMS message type and transaction id of the request and reply bodies, when MMS. */
  mms?: MmsPeek;
  mmsReply?: MmsPeek;
  timer?: NodeJS.Timeout;
  logged: boolean;
  /** Usage records and correlation id: the first octets of MMS bodies, the id sent upstream. */
  head?: Buffer;
  replyHead?: Buffer;
  traceId?: string;
}

const EXCHANGE = Symbol('wapgw.proxy.exchange');
/** The connection's normalised source address, set on accept (a keep-alive connection carries many requests). */
const SOURCE = Symbol('wapgw.proxy.source');
type TaggedSocket = Socket & { [SOURCE]?: string };
/** A connection's normalised source address: the one noted on accept, else worked out now. */
const sourceOf = (socket: Socket): string => (socket as TaggedSocket)[SOURCE] ?? normalizeAddress(socket.remoteAddress ?? '');
type TaggedRequest = http.IncomingMessage & { [EXCHANGE]?: Exchange };

/** Names listed in Connection header values (they are hop-by-hop too, RFC 9110 §7.6.1). */
function connectionListed(raw: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() !== 'connection') continue;
    for (const tok of (raw[i + 1] ?? '').split(',')) {
      const t = tok.trim().toLowerCase();
      if (t) out.add(t);
    }
  }
  return out;
}

/** rawHeaders -> pairs without hop-by-hop fields (and, for requests, Host and Expect). */
function endToEnd(raw: readonly string[], request: boolean): Array<[string, string]> {
  const listed = connectionListed(raw);
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i] as string;
    const k = n.toLowerCase();
    if (HOP_BY_HOP.has(k) || listed.has(k) || (request && REQUEST_ONLY_DROP.has(k))) continue;
    out.push([n, raw[i + 1] as string]);
  }
  return out;
}

/** Pairs -> a Node header object; repeated names become arrays (sent as separate lines). */
function toHeaderObject(pairs: ReadonlyArray<readonly [string, string]>): Record<string, string | string[]> {
  const o: Record<string, string | string[]> = {};
  for (const [n, v] of pairs) {
    const k = n.toLowerCase();
    const prev = o[k];
    if (prev === undefined) o[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else o[k] = [prev, v];
  }
  return o;
}

/** The metric child for `key`, made once (the per-request label sets are few: methods x statuses). */
function seriesOf(cache: Map<string, { inc(): void }>, key: string, make: () => { inc(): void }): { inc(): void } {
  let series = cache.get(key);
  if (series === undefined) cache.set(key, (series = make()));
  return series;
}

/** Counts request body bytes and stops the stream past the maximum. */
class BodyCounter extends Transform {
  constructor(
    private readonly ex: Exchange,
    private readonly max: number,
    private readonly onOverflow: () => void,
    private peek: boolean,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.peek) {
      this.peek = false;
      this.ex.mms = peekMms(chunk) ?? undefined;
      this.ex.head = chunk.subarray(0, MMS_HEAD_OCTETS);
    }
    this.ex.bytesIn += chunk.length;
    if (this.ex.bytesIn > this.max) {
      cb();
      this.onOverflow();
      return;
    }
    cb(null, chunk);
  }
}

export class MmsProxy implements Component {
  readonly name = 'proxy';
  private config: Config;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly clock: Clock;
  private access: AccessPolicy;
  private readonly upstream: UpstreamPolicy;
  private identity: IdentityHeaders;
  private readonly subscribers: SubscriberStore;
  private readonly usage: UsageSink | undefined;
  private readonly traces: TraceIds | undefined;
  private inFlight = 0;
  /** Open connections per source key (an IPv4 address or an IPv6 /64); at most maxConnections entries. */
  private readonly connectionsBySource = new Map<string, number>();
  private openConnections = 0;
  private readonly limiter: RateLimiter;
  private readonly allowedMethods: ReadonlySet<string>;
  private readonly allowHeader: string;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly proxy: httpProxy;
  private readonly server: http.Server;
  private listening = false;
  private readonly targets = new Map<string, UrlWithStringQuery>();
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
    this.subscribers = deps.subscribers;
    this.access = new AccessPolicy({ config, subscribers: deps.subscribers });
    this.upstream = new UpstreamPolicy({ config });
    this.identity = new IdentityHeaders(config.identity);
    this.usage = deps.usage;
    this.traces = config.trace.enabled ? new TraceIds(config.trace.header) : undefined;
    this.limiter = new RateLimiter({
      perSecond: config.rateLimit.proxy.perSourcePerSecond,
      burst: config.rateLimit.proxy.burst,
      maxSources: config.rateLimit.maxSources,
    });
    this.allowedMethods = new Set(config.proxy.allowedMethods);
    this.allowHeader = config.proxy.allowedMethods.join(', ');
    const agentOpts = {
      keepAlive: true,
      maxSockets: config.mmsc.connections,
      maxFreeSockets: config.mmsc.connections,
      scheduling: 'lifo' as const,
      // the upstream socket's buffer size is also the response stream's (IncomingMessage takes it)
      highWaterMark: 256 * 1024,
    };
    this.httpAgent = new http.Agent(agentOpts);
    this.httpsAgent = new https.Agent(agentOpts);

    this.proxy = httpProxy.createProxyServer({ xfwd: false, selfHandleResponse: true, ws: false });
    this.proxy.on('proxyReq', (proxyReq, req) => {
      const ex = (req as TaggedRequest)[EXCHANGE];
      if (!ex) return;
      ex.proxyReq = proxyReq;
      // already answered (413, 504) before the agent handed out a socket: send nothing
      if (ex.answered) proxyReq.destroy();
    });
    this.proxy.on('proxyRes', (proxyRes, req, res) => this.onUpstreamResponse(proxyRes, req as TaggedRequest, res as http.ServerResponse));
    this.proxy.on('error', (err) => this.log.warn({ err }, 'proxy error outside a request'));

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
    this.server.on('request', (req, res) => this.onRequest(req as TaggedRequest, res));
    this.server.on('checkContinue', (req, res) => this.onRequest(req as TaggedRequest, res, true));
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
    this.proxy.close();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
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
      upstreams: this.upstream.origins,
      rateLimitedSources: this.limiter.size,
    };
  }

  /** SIGHUP: identity headers, allowedNetworks, requireSubscriber and log.accessLog apply live. */
  prepareReload(next: Config): () => void {
    const access = new AccessPolicy({ config: next, subscribers: this.subscribers });
    const identity = new IdentityHeaders(next.identity);
    return () => {
      this.access = access;
      this.identity = identity;
      this.config = next;
    };
  }

  // ---- requests ----------------------------------------------------------------------------

  /** `expectContinue`: the phone sent `Expect: 100-continue`; 100 goes out only once every check passed. */
  private onRequest(req: TaggedRequest, res: http.ServerResponse, expectContinue = false): void {
    const ex: Exchange = {
      start: this.clock.now(),
      src: sourceOf(req.socket),
      method: req.method ?? '',
      url: req.url ?? '',
      bytesIn: 0,
      bytesOut: 0,
      answered: false,
      timedOut: false,
      logged: false,
    };
    req[EXCHANGE] = ex;
    this.inFlight++;
    res.once('close', () => {
      this.inFlight--;
      this.finish(ex, res);
    });

    if (!this.limiter.take(ex.src, ex.start)) {
      this.metrics.rateLimited.inc({ layer: 'proxy' });
      return this.refuse(ex, req, res, 429, 'rate-limit');
    }
    const acc = this.access.check(ex.src);
    // store-workers: a Redis store cache miss answers later (one round trip); the rest is unchanged
    if (acc instanceof Promise) {
      void acc.then((a) => {
        if (!res.destroyed) this.admitted(ex, req, res, expectContinue, a);
      });
      return;
    }
    this.admitted(ex, req, res, expectContinue, acc);
  }

  /** The request after the access check (synchronous, or after a store round trip). */
  private admitted(ex: Exchange, req: TaggedRequest, res: http.ServerResponse, expectContinue: boolean, acc: AccessResult): void {
    if (!acc.ok) {
      this.metrics.accessDenied.inc({ layer: 'proxy', reason: acc.reason });
      return this.refuse(ex, req, res, acc.status, acc.reason);
    }
    ex.subscriber = acc.subscriber;
    if (!this.allowedMethods.has(ex.method)) {
      return this.refuse(ex, req, res, 405, 'method', { allow: this.allowHeader });
    }
    // Node's parser already refuses CL+TE, duplicate CL and obs-fold; a Transfer-Encoding other
    // than plain `chunked` is refused here (RFC 9112 §6.1: we would not know the body length).
    const te = req.headers['transfer-encoding'];
    if (te !== undefined && (te.trim().toLowerCase() !== 'chunked' || req.headers['content-length'] !== undefined)) {
      return this.refuse(ex, req, res, 400, 'framing');
    }
    // RFC 9112 §3.2: more than one Host field is a 400 (Node's parser keeps the first silently)
    let hosts = 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
    if (hosts > 1) return this.refuse(ex, req, res, 400, 'framing');
    const target = this.resolveTarget(ex.url);
    if (target === null) return this.refuse(ex, req, res, 403, 'target');
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > this.config.proxy.maxBodyBytes) {
      return this.refuse(ex, req, res, 413, 'body-too-large');
    }
    this.forward(ex, req, res, target, expectContinue);
  }

  /** The upstream URL for a request target, or null when it is not ours to reach. */
  private resolveTarget(raw: string): { origin: string; url: URL } | null {
    if (raw.startsWith('/')) {
      const u = this.upstream.resolveOriginForm(raw);
      if (u === null) return null;
      const r = this.upstream.check(u);
      return r.ok ? r : null;
    }
    // absolute-form; asterisk-form and authority-form (outside CONNECT) are not ours
    if (!/^https?:\/\//i.test(raw)) return null;
    const r = this.upstream.check(raw);
    return r.ok ? r : null;
  }

  private forward(ex: Exchange, req: TaggedRequest, res: http.ServerResponse, target: { origin: string; url: URL }, expectContinue: boolean): void {
    const u = target.url;
    // a body to count: chunked, or a Content-Length above zero (already checked against the max)
    const cl = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
    const mmsBody = hasBody && (this.config.log.accessLog || this.usage !== undefined) && isMms(req.headers['content-type']);
    const pairs = this.identity.apply(endToEnd(req.rawHeaders, true), ex.src, ex.subscriber, Date.now());
    const headers = toHeaderObject(pairs);
    if (this.traces) ex.traceId = this.traces.applyToObject(headers);
    headers.host = u.host;
    const via = `${req.httpVersion} wapgw`;
    const prevVia = headers.via;
    headers.via = prevVia === undefined ? via : `${Array.isArray(prevVia) ? prevVia.join(', ') : prevVia}, ${via}`;
    req.headers = headers as http.IncomingHttpHeaders;
    // the WHATWG-normalised path and query we checked; note that http-proxy's urlJoin collapses
    // runs of `/` in the path (`/a//b` -> `/a/b`), harmless for MM1 URLs
    req.url = u.pathname + u.search;

    let counter: BodyCounter | undefined;
    if (hasBody) {
      counter = new BodyCounter(ex, this.config.proxy.maxBodyBytes, () => this.bodyTooLarge(ex, req, res), mmsBody);
      req.pipe(counter);
    }

    const https_ = u.protocol === 'https:';
    // mmsc.timeoutMs counts from the end of the phone's body (a slow uplink is bounded by
    // proxy.requestTimeoutMs instead) to the MMSC's response headers
    const arm = () => {
      if (!ex.answered && !res.headersSent) ex.timer = setTimeout(() => this.upstreamTimeout(ex, res), this.config.mmsc.timeoutMs);
    };
    if (req.readableEnded) arm();
    else req.once('end', arm);
    if (expectContinue) res.writeContinue();
    this.proxy.web(
      req,
      res,
      { target: this.parsedTarget(target.origin), agent: https_ ? this.httpsAgent : this.httpAgent, ...(counter ? { buffer: counter } : {}), changeOrigin: false },
      (err: NodeJS.ErrnoException) => this.upstreamError(ex, req, res, err),
    );
  }

  /** http-proxy parses a string target on every request; the allowed origins are few and fixed, so parse each once. */
  private parsedTarget(origin: string): UrlWithStringQuery {
    let t = this.targets.get(origin);
    if (t === undefined) this.targets.set(origin, (t = parseUrl(origin)));
    return t;
  }

  private onUpstreamResponse(proxyRes: http.IncomingMessage, req: TaggedRequest, res: http.ServerResponse): void {
    const ex = req[EXCHANGE];
    if (!ex || ex.answered) {
      proxyRes.resume();
      return;
    }
    clearTimeout(ex.timer);
    const seconds = (this.clock.now() - ex.start) / 1000;
    this.latencySeries.observe(seconds);
    const status = proxyRes.statusCode ?? 502;
    this.countResponse(String(status));
    // a stalled body after the headers: give up after mmsc.timeoutMs of silence
    ex.proxyReq?.setTimeout(this.config.mmsc.timeoutMs, () => {
      ex.upstreamError = 'body-timeout';
      ex.proxyReq?.destroy();
    });
    const headers = toHeaderObject(endToEnd(proxyRes.rawHeaders, false));
    res.writeHead(status, proxyRes.statusMessage, headers);
    if ((this.config.log.accessLog || this.usage !== undefined) && isMms(proxyRes.headers['content-type'])) {
      proxyRes.once('data', (c: Buffer) => {
        ex.mmsReply = peekMms(c) ?? undefined;
        ex.replyHead = c.subarray(0, MMS_HEAD_OCTETS);
      });
    }
    proxyRes.on('data', (c: Buffer) => (ex.bytesOut += c.length));
    proxyRes.on('error', () => res.destroy());
    proxyRes.on('aborted', () => res.destroy());
    proxyRes.on('close', () => {
      if (!proxyRes.complete) res.destroy();
    });
    proxyRes.pipe(res);
  }

  /** Counts one upstream outcome (an HTTP status, `timeout` or `error`); at most ~60 series. */
  private countResponse(status: string): void {
    seriesOf(this.responseSeries, status, () => this.metrics.upstreamResponses.labels({ source: 'proxy', status })).inc();
  }

  private upstreamTimeout(ex: Exchange, res: http.ServerResponse): void {
    if (ex.answered || res.headersSent) return;
    ex.timedOut = true;
    ex.upstreamError = 'timeout';
    this.countResponse('timeout');
    this.reply(ex, res, 504, 'upstream timeout', true);
    ex.proxyReq?.destroy();
  }

  private upstreamError(ex: Exchange, req: http.IncomingMessage, res: http.ServerResponse, err: NodeJS.ErrnoException): void {
    clearTimeout(ex.timer);
    if (ex.answered) return;
    if (res.headersSent || res.destroyed || req.socket.destroyed) {
      res.destroy();
      return;
    }
    ex.upstreamError = err.code ?? err.message;
    this.countResponse('error');
    this.reply(ex, res, 502, 'upstream unavailable', true);
  }

  private bodyTooLarge(ex: Exchange, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (ex.answered) return;
    clearTimeout(ex.timer);
    ex.refusal = 'body-too-large';
    this.metrics.proxyRefusals.inc({ reason: 'body-too-large' });
    ex.proxyReq?.destroy();
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.reply(ex, res, 413, 'request body too large', true);
    this.drainThenClose(req, res);
  }

  private refuse(
    ex: Exchange,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    reason: RefusalReason,
    extra: Record<string, string> = {},
  ): void {
    ex.refusal = reason;
    this.metrics.proxyRefusals.inc({ reason });
    // a body we will not read: close after the reply rather than read it all
    const close = !req.complete && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined);
    this.reply(ex, res, status, reason, close, extra);
    if (close) this.drainThenClose(req, res);
  }

  private reply(ex: Exchange, res: http.ServerResponse, status: number, text: string, close: boolean, extra: Record<string, string> = {}): void {
    ex.answered = true;
    const body = `${status} ${http.STATUS_CODES[status] ?? ''}: ${text}\n`;
    const headers: Record<string, string | number> = {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      ...extra,
    };
    if (close) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  }

  /** After refusing a request whose body is still arriving: read (and drop) a little, then close. */
  private drainThenClose(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.unpipe();
    req.resume();
    const t = setTimeout(() => req.socket.destroy(), 500);
    t.unref();
    res.once('finish', () => {
      if (req.complete) clearTimeout(t);
    });
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
    const allow = this.allowHeader;
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

  private finish(ex: Exchange, res: http.ServerResponse): void {
    if (ex.logged) return;
    ex.logged = true;
    clearTimeout(ex.timer);
    const status = res.headersSent ? res.statusCode : 0;
    const methodLabel = this.allowedMethods.has(ex.method) ? ex.method : 'other';
    const statusLabel = status === 0 ? 'aborted' : String(status);
    seriesOf(this.requestSeries, `${methodLabel} ${statusLabel}`, () => this.metrics.proxyRequests.labels({ method: methodLabel, status: statusLabel })).inc();
    if (this.usage) this.usage.exchange(usageOfProxyRequest(ex, status, this.clock.now() - ex.start));
    if (!this.config.log.accessLog) return;
    const line: Record<string, unknown> = {
      src: ex.src,
      method: ex.method,
      url: ex.url,
      status,
      bytesIn: ex.bytesIn,
      bytesOut: ex.bytesOut,
      ms: Math.round((this.clock.now() - ex.start) * 10) / 10,
    };
    if (ex.subscriber?.msisdn !== undefined) line.msisdn = ex.subscriber.msisdn;
    if (ex.mms) line.mmsIn = ex.mms;
    if (ex.mmsReply) line.mmsOut = ex.mmsReply;
    if (ex.refusal) line.refusal = ex.refusal;
    if (ex.upstreamError) line.upstreamError = ex.upstreamError;
    if (ex.traceId !== undefined) line.traceId = ex.traceId;
    if (!res.writableFinished) line.aborted = true;
    this.log.info(line, 'proxy request');
  }
}


/** A finished proxy request as a usage-record exchange (src/ops/usage-records.ts decides whether it is one). */
function usageOfProxyRequest(ex: Exchange, status: number, durationMs: number): MmsExchange {
  let upstreamStatus: MmsExchange['upstreamStatus'];
  if (ex.refusal === undefined) {
    if (ex.upstreamError === 'timeout' || ex.upstreamError === 'body-timeout') upstreamStatus = 'timeout';
    else if (ex.upstreamError !== undefined) upstreamStatus = 'error';
    else if (status !== 0) upstreamStatus = status;
  }
  return {
    bearer: 'proxy',
    startedAt: Date.now() - durationMs,
    durationMs,
    sourceIp: ex.src,
    subscriber: ex.subscriber,
    traceId: ex.traceId,
    requestHead: ex.head,
    responseHead: ex.replyHead,
    octetsUp: ex.bytesIn,
    octetsDown: ex.bytesOut,
    upstreamStatus,
    status,
  };
}
