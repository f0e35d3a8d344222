/**
 * One proxied request, from its arrival to its access-log line: the whole per-request flow of
 * the HTTP MMS proxy in one object, in the order it happens.
 *
 *   1. check     the shared policy's verdict (src/policy/admit.ts: rate limit, source network,
 *                subscriber, method, target), then what only HTTP has: a Content-Length over
 *                proxy.maxBodyBytes (framing, RFC 9112 §6.1, and one Host, RFC 9112 §3.2, were
 *                checked by the server before the request became an exchange).
 *                A refusal is answered here and nothing goes upstream.
 *   2. forward   headers rebuilt (hop-by-hop dropped, RFC 9110 §7.6.1; identity headers; Host of
 *                the target, RFC 9112 §3.2.2; Via appended) and sent on a keep-alive connection
 *                to the MMSC (./upstream.ts), the body streamed through a byte counter, and the
 *                upstream deadline (mmsc.timeoutMs) armed once the phone's body has ended.
 *   3. relay     the MMSC's status and end-to-end headers, then its body streamed to the phone.
 *      or fail   we answer ourselves: 413 (body over the maximum while streaming), 502 (upstream
 *                error), 504 (deadline); whatever the upstream does later is ignored.
 *   4. finish    when the phone's response closes: counted once and logged once.
 *
 * `phase` is the single piece of state that says which of these may still happen.
 */
import { STATUS_CODES } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { Config } from '../config/schema';
import { HOP_BY_HOP, firstField, listMembers } from '../core/http';
import type { Logger } from '../core/logger';
import type { Metrics } from '../ops/metrics';
import type { Admitted, Policy, RefusalReason as PolicyRefusal, Verdict } from '../policy/admit';
import type { Subscriber } from '../subscribers/types';
import { peekMms, type MmsPeek } from './mms-peek';
import type { TraceIds } from '../core/trace-id';
import { MMS_HEAD_OCTETS, type MmsExchange, type UsageSink } from '../ops/usage-records';
import { UpstreamProtocolError, type ResponseHead } from '../http/http1';
import type { BodyFraming, UpstreamHandler, UpstreamPool, UpstreamRequest } from '../http/upstream';
import type { Reply, Request } from '../http/server';

export type RefusalReason =
  | PolicyRefusal
  | 'connect'
  | 'framing'
  | 'body-too-large'
  | 'bad-request'
  | 'header-too-large'
  | 'client-timeout'
  | 'connection-limit'
  | 'source-connection-limit';

/**
 * checking: the checks run (and may refuse);
 * forwarding: the request is on its way upstream, no response yet;
 * relaying: the MMSC's response headers went to the phone, its body is streaming;
 * answered: we wrote the response ourselves (refusal, 413, 502, 504).
 */
type Phase = 'checking' | 'forwarding' | 'relaying' | 'answered';

/** What an exchange needs from the proxy that owns it (read live: SIGHUP may change config). */
export interface ExchangeContext {
  readonly config: Config;
  readonly policy: Policy;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** The connection pool toward an allowed origin (made once per origin). */
  upstreamFor(origin: string): UpstreamPool;
  observeLatency(seconds: number): void;
  /** Counts one upstream outcome (an HTTP status, `timeout` or `error`). */
  countResponse(status: string): void;
  countRequest(method: string, status: string): void;
  /** Usage records (usageRecords.*), when enabled. */
  readonly usage: UsageSink | undefined;
  /** Correlation ids toward the MMSC (trace.*), when enabled. */
  readonly traces: TraceIds | undefined;
}

const MMS_TYPE = 'application/vnd.wap.mms-message';
const isMms = (ct: string | string[] | undefined): boolean => typeof ct === 'string' && ct.trim().toLowerCase().startsWith(MMS_TYPE);

/** Request fields that are this hop's own: the MMSC gets its own Host, and Expect is answered here. */
const REQUEST_ONLY_DROP = new Set(['host', 'expect']);

/** Names listed in Connection header values (they are hop-by-hop too, RFC 9110 §7.6.1). */
const NONE_LISTED: ReadonlySet<string> = new Set();
function connectionListed(raw: readonly string[]): ReadonlySet<string> {
  const listed = listMembers(raw, 'connection');
  return listed.length === 0 ? NONE_LISTED : new Set(listed);
}

/** rawHeaders of a response -> a flat [name, value, ...] list without hop-by-hop fields, for writeHead. */
function endToEndFlat(raw: readonly string[]): string[] {
  const listed = connectionListed(raw);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i] as string;
    const k = n.toLowerCase();
    if (HOP_BY_HOP.has(k) || listed.has(k)) continue;
    out.push(n, raw[i + 1] as string);
  }
  return out;
}

/** A request's rawHeaders -> pairs without hop-by-hop fields, Host and Expect. */
function endToEnd(raw: readonly string[]): Array<[string, string]> {
  const listed = connectionListed(raw);
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i] as string;
    const k = n.toLowerCase();
    if (HOP_BY_HOP.has(k) || listed.has(k) || REQUEST_ONLY_DROP.has(k)) continue;
    out.push([n, raw[i + 1] as string]);
  }
  return out;
}



/** Counts request body bytes (peeking at the first chunk of an MMS body) and stops past the maximum. */
class BodyCounter extends Transform {
  bytes = 0;
  mms: MmsPeek | undefined;
  /** The first octets of an MMS body, for the usage record. */
  head: Buffer | undefined;
  constructor(
    private readonly max: number,
    private readonly onOverflow: () => void,
    private peek: boolean,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.peek) {
      this.peek = false;
      this.mms = peekMms(chunk) ?? undefined;
      this.head = chunk.subarray(0, MMS_HEAD_OCTETS);
    }
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      cb();
      this.onOverflow();
      return;
    }
    cb(null, chunk);
  }
}

export class Exchange implements UpstreamHandler {
  private phase: Phase = 'checking';
  private readonly start: number;
  private readonly method: string;
  private readonly url: string;
  private subscriber: Subscriber | undefined;
  private body: BodyCounter | undefined;
  private bytesOut = 0;
  private refusal: RefusalReason | undefined;
  private upstreamError: string | undefined;
  private mmsReply: MmsPeek | undefined;
  private replyHead: Buffer | undefined;
  /** The reply is MMS and someone (access log, usage records) wants its first octets. */
  private peekReply = false;
  private traceId: string | undefined;
  private up: UpstreamRequest | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly req: Request,
    private readonly res: Reply,
    private readonly src: string,
    now: number,
    private readonly clockNow: () => number,
  ) {
    this.start = now;
    this.method = req.method;
    this.url = req.url;
  }

  /** Steps 1 and 2. When the phone sent `Expect: 100-continue`, 100 goes out only once every check passed. */
  run(): void {
    const verdict = this.ctx.policy.admit({ source: this.src, method: this.method, target: this.url, now: this.start });
    if (verdict instanceof Promise) {
      // a cache miss of a shared subscriber store (subscribers.store: redis): one round trip, then
      // the same steps, unless the phone went away meanwhile
      void verdict.then((v) => {
        if (this.res.destroyed) return;
        const target = this.check(v);
        if (target) this.forward(target);
      });
      return;
    }
    const target = this.check(verdict);
    if (target) this.forward(target);
  }

  // ---- 1. check ------------------------------------------------------------------------------

  /** The admitted target, or undefined after answering a refusal. */
  private check(verdict: Verdict): Admitted | undefined {
    const { req, ctx } = this;
    this.subscriber = verdict.subscriber;
    if (!verdict.ok) {
      if (verdict.reason === 'rate-limit') ctx.metrics.rateLimited.inc({ layer: 'proxy' });
      else if (verdict.reason === 'network' || verdict.reason === 'no-subscriber' || verdict.reason === 'store-unavailable') ctx.metrics.accessDenied.inc({ layer: 'proxy', reason: verdict.reason });
      this.refuse(verdict.status, verdict.reason, verdict.reason === 'method' ? { Allow: ctx.policy.allowHeader } : {});
      return undefined;
    }
    // framing (CL+TE, a Transfer-Encoding other than `chunked`, more than one Content-Length or
    // Host, obs-fold) was refused 400 by the server before the request got here (src/http/server.ts)
    if (req.framing === 'length' && req.contentLength > ctx.config.proxy.maxBodyBytes) {
      this.refuse(413, 'body-too-large');
      return undefined;
    }
    return verdict;
  }

  private refuse(status: number, reason: RefusalReason, extra: Record<string, string> = {}): void {
    const { req } = this;
    this.refusal = reason;
    this.ctx.metrics.proxyRefusals.inc({ reason });
    // a body we will not read: close after the reply rather than read it all (the server reads
    // and drops a little more first, so the phone sees the answer rather than a reset)
    this.answer(status, reason, !req.complete, extra);
  }

  // ---- 2. forward ----------------------------------------------------------------------------

  private forward(target: Admitted): void {
    const { req, res, ctx } = this;
    this.phase = 'forwarding';
    // a body to count: chunked, or a Content-Length above zero (already checked against the max)
    const framing: BodyFraming = req.framing;
    const hasBody = framing !== 'none';
    const peekBody = hasBody && (ctx.config.log.accessLog || ctx.usage !== undefined) && isMms(req.header('content-type'));
    const headers = ctx.policy.identify(endToEnd(req.rawHeaders), this.src, this.subscriber, Date.now());
    if (ctx.traces) this.traceId = ctx.traces.applyToList(headers);
    headers.push(['Host', target.host]);
    // Via is a list (RFC 9110 §7.6.3): one more field line is the same as one more member
    headers.push(['Via', `${req.httpVersion} wapgw`]);
    if (req.expectContinue) res.writeContinue();
    try {
      // the WHATWG-normalised path and query we checked
      this.up = ctx.upstreamFor(target.origin).request(this.method, target.path, headers, framing, this);
    } catch (e) {
      // a field that cannot be sent (a CR, LF or NUL in a value from the subscriber data): 502
      if (!(e instanceof UpstreamProtocolError)) throw e;
      this.failed(e);
      return;
    }
    // mmsc.timeoutMs counts from the end of the phone's body (a slow uplink is bounded by
    // proxy.requestTimeoutMs instead) to the MMSC's response headers
    if (hasBody) {
      this.body = new BodyCounter(ctx.config.proxy.maxBodyBytes, () => this.bodyTooLarge(), peekBody);
      const stream = req.body();
      stream.once('end', () => this.armDeadline());
      stream.pipe(this.body).pipe(this.up.bodyWriter());
    } else this.armDeadline();
  }

  private armDeadline(): void {
    if (this.phase === 'forwarding') this.timer = setTimeout(() => this.timedOut(), this.ctx.config.mmsc.timeoutMs);
  }

  // ---- 3. relay, or fail ---------------------------------------------------------------------

  upstreamHead(head: ResponseHead): void {
    const { res, ctx } = this;
    if (this.phase !== 'forwarding') return;
    this.phase = 'relaying';
    clearTimeout(this.timer);
    ctx.observeLatency((this.clockNow() - this.start) / 1000);
    ctx.countResponse(String(head.status));
    // a stalled body after the headers: give up after mmsc.timeoutMs of silence
    this.up?.setTimeout(ctx.config.mmsc.timeoutMs, () => {
      this.upstreamError = 'body-timeout';
      this.up?.abort();
      res.destroy();
    });
    try {
      res.writeHead(head.status, head.reason, endToEndFlat(head.rawHeaders));
    } catch {
      // a field the server will not write (a control character in it): not relayed
      this.failed(Object.assign(new Error('response field cannot be relayed'), { code: 'EUPSTREAMPROTO' }));
      return;
    }
    if ((ctx.config.log.accessLog || ctx.usage !== undefined) && isMms(firstField(head.rawHeaders, 'content-type'))) this.peekReply = true;
  }

  upstreamData(chunk: Buffer): boolean {
    if (this.phase !== 'relaying') return true;
    if (this.peekReply) {
      this.peekReply = false;
      this.mmsReply = peekMms(chunk) ?? undefined;
      this.replyHead = Buffer.from(chunk.subarray(0, MMS_HEAD_OCTETS));
    }
    this.bytesOut += chunk.length;
    // the chunk is lent by the upstream client: held until the phone's socket has written it
    if (this.res.write(chunk, this.up?.hold())) return true;
    this.res.onDrain(() => this.up?.resume());
    return false;
  }

  upstreamEnd(): void {
    if (this.phase === 'relaying') this.res.end();
  }

  /** The upstream request failed (refused, reset, unreachable, or a response we cannot frame). */
  upstreamFailed(err: NodeJS.ErrnoException): void {
    this.failed(err);
  }

  /** mmsc.timeoutMs passed after the phone's body without the MMSC's response headers: 504. */
  private timedOut(): void {
    if (this.phase !== 'forwarding') return;
    this.upstreamError = 'timeout';
    this.ctx.countResponse('timeout');
    this.answer(504, 'upstream timeout', true);
    this.up?.abort();
  }

  private failed(err: NodeJS.ErrnoException): void {
    clearTimeout(this.timer);
    if (this.phase === 'answered') return;
    if (this.phase === 'relaying' || this.res.destroyed || this.req.socket.destroyed) {
      this.upstreamError ??= err.code ?? err.message;
      this.res.destroy();
      return;
    }
    this.upstreamError = err.code ?? err.message;
    this.ctx.countResponse('error');
    this.answer(502, 'upstream unavailable', true);
  }

  /** A streamed (chunked) body passed proxy.maxBodyBytes: 413, or a reset once the reply is under way. */
  private bodyTooLarge(): void {
    if (this.phase === 'answered') return;
    clearTimeout(this.timer);
    this.refusal = 'body-too-large';
    this.ctx.metrics.proxyRefusals.inc({ reason: 'body-too-large' });
    this.up?.abort();
    if (this.phase === 'relaying') {
      this.res.destroy();
      return;
    }
    this.answer(413, 'request body too large', true);
  }

  /** Our own short text response; from here on the upstream's events are ignored. */
  private answer(status: number, text: string, close: boolean, extra: Record<string, string> = {}): void {
    this.phase = 'answered';
    const body = `${status} ${STATUS_CODES[status] ?? ''}: ${text}\n`;
    const fields = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body))];
    for (const k in extra) fields.push(k, extra[k] as string);
    if (close) fields.push('Connection', 'close');
    this.res.send(status, undefined, fields, body);
  }

  // ---- 4. finish -----------------------------------------------------------------------------

  /** The phone's response closed (sent, or the connection went away): count and log, once. */
  finish(): void {
    const { res, ctx } = this;
    clearTimeout(this.timer);
    // the phone went away before the MMSC's response was through: it goes nowhere
    this.up?.abort();
    const status = res.headersSent ? res.statusCode : 0;
    ctx.countRequest(ctx.policy.allows(this.method) ? this.method : 'other', status === 0 ? 'aborted' : String(status));
    if (ctx.usage) ctx.usage.exchange(this.usage(status, this.clockNow() - this.start));
    if (!ctx.config.log.accessLog) return;
    const line: Record<string, unknown> = {
      src: this.src,
      method: this.method,
      url: this.url,
      status,
      bytesIn: this.body?.bytes ?? 0,
      bytesOut: this.bytesOut,
      ms: Math.round((this.clockNow() - this.start) * 10) / 10,
    };
    if (this.subscriber?.msisdn !== undefined) line.msisdn = this.subscriber.msisdn;
    if (this.body?.mms) line.mmsIn = this.body.mms;
    if (this.mmsReply) line.mmsOut = this.mmsReply;
    if (this.refusal) line.refusal = this.refusal;
    if (this.upstreamError) line.upstreamError = this.upstreamError;
    if (this.traceId !== undefined) line.traceId = this.traceId;
    if (!res.finished) line.aborted = true;
    ctx.log.info(line, 'proxy request');
  }

  /** This request as a usage-record exchange (src/ops/usage-records.ts decides whether it is an MMS transaction). */
  private usage(status: number, durationMs: number): MmsExchange {
    let upstreamStatus: MmsExchange['upstreamStatus'];
    if (this.refusal === undefined) {
      if (this.upstreamError === 'timeout' || this.upstreamError === 'body-timeout') upstreamStatus = 'timeout';
      else if (this.upstreamError !== undefined) upstreamStatus = 'error';
      else if (status !== 0) upstreamStatus = status;
    }
    return {
      bearer: 'proxy',
      startedAt: Date.now() - durationMs,
      durationMs,
      sourceIp: this.src,
      subscriber: this.subscriber,
      traceId: this.traceId,
      requestHead: this.body?.head,
      responseHead: this.replyHead,
      octetsUp: this.body?.bytes ?? 0,
      octetsDown: this.bytesOut,
      upstreamStatus,
      status,
    };
  }
}
