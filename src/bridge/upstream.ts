/**
 * The upstream HTTP client of the WSP bridge: the gateway's own keep-alive pools toward the MMSC
 * (src/http/upstream.ts, the proxy's: at most mmsc.connections per origin and a queue beyond,
 * TLS verified, an idle-closed GET retried once, responses framed strictly by src/http/http1.ts),
 * one pool per allowed origin, created lazily and only for origins the UpstreamPolicy allows, so a
 * refused URL never opens a connection. Every request has one deadline (mmsc.timeoutMs, from
 * sending to the last body octet; it also ends an exchange with a silent MMSC, so no stall timer
 * is set on the socket) and may be cancelled by the caller (a WSP MethodAbort). The
 * body is collected whole (the WSP Reply carries all of it in one PDU) with a hard cap: past
 * `maxBody` octets the exchange is dropped with its connection and the caller gets
 * ERR_UPSTREAM_TOO_LARGE, never a truncated body.
 *
 * Why not undici (which this client used until issue 11's performance work): it cost more CPU
 * per request than these pools (bench/wsp/upstream-cpu.js), the whole WSP cycle was 16 % dearer
 * with it (bench/RESULTS.md, "WSP CPU per cycle, the lean path"), and the proxy already carries
 * a client that does what the bridge needs.
 */
import type tls from 'node:tls';
import { WapgwError } from '../core/errors';
import type { CancelSignal } from '../wsp/method';
import { UpstreamProtocolError, type ResponseHead } from '../http/http1';
import { fieldLines } from '../core/http';
import { UpstreamPool, originOf, type UpstreamHandler, type UpstreamRequest as PoolRequest } from '../http/upstream';

export interface UpstreamRequest {
  url: URL;
  method: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Cancels the request (MethodAbort, drain): the WSP server's MethodCancel or an AbortSignal. */
  signal?: CancelSignal;
  /** Largest body accepted; larger -> ERR_UPSTREAM_TOO_LARGE. */
  maxBody: number;
}

/** Where a request goes: an allowed origin (a pool's key), and the URL's host and request-target (RFC 9112 §3.2). */
export interface UpstreamTarget {
  url: URL;
  origin: string;
  host: string;
  /** `url.pathname + url.search`. */
  path: string;
}

/**
 * A request whose fields the caller has written: `Name: value\r\n` lines, each name a token and
 * each value a field value (RFC 9110 §5.1, §5.5; `isToken`/`isFieldValue` of src/core/http.ts),
 * without Host and the framing field, which `sendPrepared` adds. The bridge keeps the lines a
 * handset's requests repeat, checked once (src/bridge/headers.ts `HeadBlocks`).
 */
export interface PreparedUpstreamRequest {
  target: UpstreamTarget;
  method: string;
  fields: string;
  body: Buffer | undefined;
  signal: CancelSignal | undefined;
  maxBody: number;
}

export interface UpstreamResponse {
  status: number;
  /** The fields as received: [name, value, name, value, ...], names in their case, in order. */
  rawHeaders: readonly string[];
  /** The same as an object: names lower-cased, a repeated field's values in order (made when first read). */
  readonly headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** ms from sending to response headers. */
  headersMs: number;
}

/** A response as the exchange completes it; `headers` is made only for a caller that reads it (the bridge reads `rawHeaders`). */
class Response implements UpstreamResponse {
  private byName: Record<string, string | string[] | undefined> | undefined = undefined;

  constructor(
    readonly status: number,
    readonly rawHeaders: readonly string[],
    readonly body: Buffer,
    readonly headersMs: number,
  ) {}

  get headers(): Record<string, string | string[] | undefined> {
    if (this.byName !== undefined) return this.byName;
    const h: Record<string, string | string[] | undefined> = {};
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      const value = raw[i + 1] as string;
      const prev = h[name];
      if (prev === undefined) h[name] = value;
      else if (typeof prev === 'string') h[name] = [prev, value];
      else prev.push(value);
    }
    return (this.byName = h);
  }
}

/** The Content-Length of a response head, when it has exactly one such field (the parser has checked its values, RFC 9112 §6.3); else 0. */
function declaredLength(raw: readonly string[]): number {
  let n = 0;
  let found = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 14 && (name === 'Content-Length' || name.toLowerCase() === 'content-length')) {
      found++;
      n = Number(raw[i + 1]);
    }
  }
  return found === 1 ? n : 0;
}

export class UpstreamError extends WapgwError {}

export const upstreamTimeout = (ms: number) =>
  new UpstreamError('ERR_UPSTREAM_TIMEOUT', `no complete answer from upstream within ${ms} ms`, { status: 504 });
export const upstreamFailed = (cause: unknown) =>
  new UpstreamError('ERR_UPSTREAM_FAILED', `upstream request failed: ${(cause as Error)?.message ?? String(cause)}`, { status: 502, cause });
export const upstreamTooLarge = (limit: number) =>
  new UpstreamError('ERR_UPSTREAM_TOO_LARGE', `upstream body larger than ${limit} octets`, { status: 413 });
export const upstreamAborted = () => new UpstreamError('ERR_UPSTREAM_ABORTED', 'request cancelled by the handset', { status: 499 });

export interface UpstreamClientOptions {
  /** origins (scheme://host:port) a pool may be opened for: the caller's policy. */
  isAllowedOrigin: (origin: string) => boolean;
  connections: number;
  timeoutMs: number;
  /** For https origins: further TLS options (tests give a CA; the system's CAs verify the MMSC otherwise). */
  tls?: tls.ConnectionOptions;
}

const NO_FIELDS: readonly string[] = Object.freeze([]);

/** An idle keep-alive connection toward the MMSC is closed after this long (at least). */
const IDLE_MS = 30_000;

/** Methods whose request carries a body even when empty (Content-Length: 0, RFC 9110 §8.6). */
const BODY_METHODS = new Set(['POST', 'PUT']);

/** Where the outcome of a request goes: exactly once, an error or the response. */
export interface UpstreamSink {
  upstreamDone(err: UpstreamError | undefined, res: UpstreamResponse | undefined): void;
}

/**
 * One request in flight: the pool's handler, the cancel's target, an entry of the client's
 * deadline list, and the sink's caller, in one object (no closure, no promise, no timer of its
 * own).
 */
class Exchange implements UpstreamHandler {
  private settled = false;
  up: PoolRequest | undefined;
  private readonly t0 = performance.now();
  /** When the deadline (mmsc.timeoutMs from the start) passes, on performance.now()'s clock. */
  readonly deadline: number;
  /** Neighbours in the client's deadline list (start order, which is deadline order). */
  prev: Exchange | undefined;
  next: Exchange | undefined;
  private status = 0;
  private rawHeaders: readonly string[] = NO_FIELDS;
  private headersMs = 0;
  private chunks: Buffer[] = [];
  /** The whole body, allocated once from the MMSC's Content-Length (chunked replies gather copies). */
  private whole: Buffer | undefined;
  private total = 0;

  constructor(
    private readonly client: UpstreamClient,
    private readonly maxBody: number,
    private readonly timeoutMs: number,
    private readonly signal: CancelSignal | undefined,
    private readonly sink: UpstreamSink,
  ) {
    this.deadline = this.t0 + timeoutMs;
    client.track(this);
    signal?.addEventListener('abort', this, { once: true });
  }

  /** The deadline passed (the client's deadline list). */
  expire(): void {
    this.fail(upstreamTimeout(this.timeoutMs));
  }

  /** The caller's cancel fired (EventListener object form: no closure). */
  handleEvent(): void {
    this.fail(upstreamAborted());
  }

  upstreamHead(head: ResponseHead): void {
    this.status = head.status;
    this.headersMs = performance.now() - this.t0;
    this.rawHeaders = head.rawHeaders;
    // a declared body over the cap ends it now
    const declared = declaredLength(head.rawHeaders);
    if (declared > this.maxBody) this.fail(upstreamTooLarge(this.maxBody));
    else if (declared > 0) this.whole = Buffer.allocUnsafe(declared);
  }

  /** The chunk is lent (src/http/upstream.ts): its octets are copied out before this returns. */
  upstreamData(chunk: Buffer): boolean {
    if (this.settled) return true;
    const at = this.total;
    this.total += chunk.length;
    if (this.total > this.maxBody) this.fail(upstreamTooLarge(this.maxBody));
    else if (this.whole === undefined) this.chunks.push(Buffer.from(chunk));
    // the parser frames the body by that Content-Length (src/http/http1.ts), so it fits `whole`;
    // TypedArray set, not Buffer copy (whose JavaScript wrapper took generic property loads)
    else if (this.total <= this.whole.length) this.whole.set(chunk, at);
    else this.fail(upstreamFailed(new Error('body longer than its Content-Length')));
    return true;
  }

  upstreamEnd(): void {
    if (this.settled) return;
    const c = this.chunks;
    const w = this.whole;
    const body = w !== undefined ? w.subarray(0, this.total) : c.length === 1 ? (c[0] as Buffer) : Buffer.concat(c, this.total);
    this.done();
    this.sink.upstreamDone(undefined, new Response(this.status, this.rawHeaders, body, this.headersMs));
  }

  upstreamFailed(err: NodeJS.ErrnoException): void {
    if (this.settled) return;
    this.done();
    this.sink.upstreamDone(upstreamFailed(err), undefined);
  }

  /** Ends the exchange with our own error and drops its connection (now, or before it is sent). */
  fail(err: UpstreamError): void {
    if (this.settled) return;
    this.done();
    this.up?.abort();
    this.sink.upstreamDone(err, undefined);
  }

  private done(): void {
    this.settled = true;
    this.client.untrack(this);
    this.signal?.removeEventListener('abort', this);
    this.chunks = [];
  }
}

/** `UpstreamClient.request`'s sink: a promise's settlement. */
class PromiseSink implements UpstreamSink {
  readonly promise: Promise<UpstreamResponse>;
  private resolve!: (r: UpstreamResponse) => void;
  private reject!: (e: Error) => void;
  constructor() {
    this.promise = new Promise<UpstreamResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
  upstreamDone(err: UpstreamError | undefined, res: UpstreamResponse | undefined): void {
    if (err !== undefined) this.reject(err);
    else this.resolve(res as UpstreamResponse);
  }
}

export class UpstreamClient {
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly opts: UpstreamClientOptions;
  private closed = false;
  /**
   * The exchanges in flight in the order they started, which is the order of their deadlines
   * (every one has mmsc.timeoutMs), and one timer for the first deadline: a request costs a link
   * and an unlink instead of a timer set and cleared. The timer is re-armed only when it fires
   * (at most once per mmsc.timeoutMs under load), and unref'd: a request in flight keeps the
   * process up by its socket.
   */
  private first: Exchange | undefined;
  private last: Exchange | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: UpstreamClientOptions) {
    this.opts = opts;
  }

  private pool(url: URL, origin: string): UpstreamPool {
    let p = this.pools.get(origin);
    if (p === undefined) this.pools.set(origin, (p = new UpstreamPool(originOf(url), this.opts.connections, IDLE_MS, this.opts.tls)));
    return p;
  }

  /** @internal An exchange has started: last in the deadline list. */
  track(x: Exchange): void {
    x.prev = this.last;
    if (this.last !== undefined) this.last.next = x;
    else this.first = x;
    this.last = x;
    if (this.timer === undefined) this.arm(x.deadline);
  }

  /** @internal An exchange has ended: out of the deadline list. */
  untrack(x: Exchange): void {
    if (x.prev !== undefined) x.prev.next = x.next;
    else if (this.first === x) this.first = x.next;
    if (x.next !== undefined) x.next.prev = x.prev;
    else if (this.last === x) this.last = x.prev;
    x.prev = x.next = undefined;
  }

  private arm(at: number): void {
    this.timer = setTimeout(UpstreamClient.onTimer, Math.max(1, Math.ceil(at - performance.now())), this);
    this.timer.unref();
  }

  private static onTimer(c: UpstreamClient): void {
    c.timer = undefined;
    const now = performance.now();
    // each expiry unlinks its exchange (Exchange.done), so the head moves on
    for (let x = c.first; x !== undefined && x.deadline <= now; x = c.first) x.expire();
    if (c.first !== undefined) c.arm(c.first.deadline);
  }

  /** The request; its outcome goes to `sink` once (never synchronously from this call). */
  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const sink = new PromiseSink();
    this.send(req, sink);
    return sink.promise;
  }

  /**
   * The request, its outcome to `sink` exactly once: an UpstreamError or the response. A request
   * refused before it starts (client closed, origin not allowed, already cancelled) is told
   * synchronously; otherwise later, from the connection's or the deadline's events. A field the
   * head cannot carry (a name that is no token, a value with CR, LF or another control, RFC 9110
   * §5.1, §5.5) fails it with ERR_UPSTREAM_FAILED, unsent.
   */
  send(req: UpstreamRequest, sink: UpstreamSink): void {
    const url = req.url;
    const { text, bad } = fieldLines(req.headers);
    this.start({ url, origin: url.origin, host: url.host, path: url.pathname + url.search }, req.method, text, req.body, req.signal, req.maxBody, sink, bad);
  }

  /** `send` for a request whose fields the caller has written and checked (PreparedUpstreamRequest). */
  sendPrepared(req: PreparedUpstreamRequest, sink: UpstreamSink): void {
    this.start(req.target, req.method, req.fields, req.body, req.signal, req.maxBody, sink, undefined);
  }

  private start(
    target: UpstreamTarget,
    method: string,
    fields: string,
    given: Buffer | undefined,
    signal: CancelSignal | undefined,
    maxBody: number,
    sink: UpstreamSink,
    bad: string | undefined,
  ): void {
    if (this.closed) return sink.upstreamDone(upstreamFailed(new Error('client closed')), undefined);
    const origin = target.origin;
    // defence in depth: the bridge has already checked, but a pool is only ever made for an allowed origin
    if (!this.opts.isAllowedOrigin(origin)) {
      return sink.upstreamDone(new UpstreamError('ERR_UPSTREAM_FORBIDDEN', `origin ${origin} is not allowed`, { status: 403 }), undefined);
    }
    if (signal?.aborted) return sink.upstreamDone(upstreamAborted(), undefined);
    const body = given !== undefined && given.length > 0 ? given : BODY_METHODS.has(method) ? Buffer.alloc(0) : undefined;
    const x = new Exchange(this, maxBody, this.opts.timeoutMs, signal, sink);
    if (bad !== undefined) return x.upstreamFailed(new UpstreamProtocolError(`request field ${JSON.stringify(bad)} cannot be sent`));
    // Host first (RFC 9112 §3.2), the caller's fields, then the framing (RFC 9112 §6.2)
    const head = `${method} ${target.path} HTTP/1.1\r\nHost: ${target.host}\r\n${fields}${body === undefined ? '' : `Content-Length: ${body.length}\r\n`}\r\n`;
    const up = (x.up = this.pool(target.url, origin).requestWithHead(method, head, body === undefined ? 'none' : 'length', x));
    if (body !== undefined) up.bodyWriter().end(body);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
  }
}
