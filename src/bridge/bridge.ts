/**
 * The WSP method <-> HTTP bridge (WAP-230 §8.2.3 method invocation, mapped onto RFC 9110).
 * Transport-neutral: the WSP layer hands it a decoded method (text headers), it answers with
 * an HTTP status, content type, text headers and body for the WSP Reply. In order:
 *   1. the shared policy's verdict (src/policy/admit.ts: rate limit, source network, subscriber,
 *      method, target), refused with the WSP column of its REFUSAL_STATUS table;
 *   2. headers: session headers merged, hop-by-hop removed, UAProf renamed, Via added, client
 *      copies of identity headers stripped and ours added (Policy.identify);
 *   3. upstream with a deadline (mmsc.timeoutMs -> 504, failure -> 502) and a body cap
 *      (min(client SDU size, wsp.maxResponseSize) -> 413 with a short text reason).
 * Every outcome is counted and access-logged (one line per method).
 */
import { hostname } from 'node:os';
import { normalizeHttpStatus } from '../codec/wsp/tables';
import type { Logger } from '../core/logger';
import type { Metrics } from '../ops/metrics';
import type { Admitted, Policy, RefusalReason, Verdict } from '../policy/admit';
import type { Subscriber } from '../subscribers/types';
import { ClientHeaders, HeadBlocks, toWspReplyHeaders, type OwnFields } from './headers';
import { headerKey, isFieldValue } from '../core/http';
import { UpstreamProtocolError } from '../http/http1';
import { textReply, type MethodDone, type MethodHandler, type MethodReply, type MethodRequest } from '../wsp/method';
import { UpstreamError, upstreamFailed, type PreparedUpstreamRequest, type UpstreamClient, type UpstreamResponse, type UpstreamSink } from './upstream';
import type { TraceIds } from '../core/trace-id';
import { usageOfMethod, type UsageSink } from '../ops/usage-records';

export interface BridgeDeps {
  upstream: UpstreamClient;
  /** The shared admission policy, WSP bearer (also spends a token per Connect, in WspServer). */
  policy: Policy;
  metrics: Metrics;
  logger: Logger;
  maxResponseSize: number;
  accessLog: boolean;
  now: () => number;
  /** Describes an MMS body for the access log (message type, transaction id), when decodable. */
  describeMms?: (body: Buffer) => { type?: string; transactionId?: string } | undefined;
  /** Usage records: one call per finished method (src/ops/usage-records.ts). */
  usage?: UsageSink;
  /** Correlation ids toward the MMSC (trace.*). */
  traces?: TraceIds;
}

/** The short text of a refusal's WSP Reply. */
const REFUSAL_TEXT: Record<RefusalReason, (method: string) => string> = {
  'rate-limit': () => 'too many requests from this address',
  network: () => 'source network not allowed',
  'no-subscriber': () => 'unknown subscriber',
  'store-unavailable': () => 'subscriber store unavailable',
  method: (m) => `method ${m} not supported`,
  target: () => 'destination not allowed',
};
const MMS_TYPE = 'application/vnd.wap.mms-message';

/**
 * One method on its way: what it learns for its access-log line and usage record, and the
 * upstream client's sink, in one object (no promise, no closure of its own).
 */
class MethodCall implements UpstreamSink {
  subscriber: Subscriber | undefined = undefined;
  traceId: string | undefined = undefined;
  /** The body cap of its upstream exchange (octets). */
  limit = 0;
  /** When the upstream exchange started (performance.now()), for the latency histogram. */
  t1 = 0;
  readonly t0 = performance.now();
  readonly startedAt = Date.now();

  constructor(
    readonly bridge: WspBridge,
    readonly req: MethodRequest,
    readonly done: MethodDone,
  ) {}

  upstreamDone(err: UpstreamError | undefined, res: UpstreamResponse | undefined): void {
    this.bridge.upstreamDone(this, err, res);
  }
}

// the method boundary is the WSP layer's (src/wsp/method.ts); re-exported for the bridge's users
export { textReply, type MethodReply, type MethodRequest } from '../wsp/method';

export class WspBridge implements MethodHandler {
  private readonly d: BridgeDeps;
  private readonly viaHost = hostname();
  /** The handsets' request headers mapped once per pair of shared header lists (headers.ts). */
  private readonly clientHeaders = new ClientHeaders();
  /** Their lines with our identity headers, kept per identity list. */
  private readonly blocks = new HeadBlocks(this.clientHeaders);
  /** The names each request sets itself (headers.ts `OwnFields`): a handset's copies are left out. */
  private readonly own: OwnFields;
  private readonly ownWithBody: OwnFields;
  private readonly latency;
  /** Per-method counters as tallies (Metrics.tally): added to the counters when the registry is read. */
  private readonly methods;
  private readonly upstreamOutcomes;

  constructor(deps: BridgeDeps) {
    this.d = { ...deps };
    const own = ['x-wap-session-id', 'x-wap-client-sdu-size'];
    if (deps.traces !== undefined) own.push(headerKey(deps.traces.header));
    this.own = new Set(own);
    this.ownWithBody = new Set([...own, 'content-type']);
    this.latency = deps.metrics.upstreamLatency.labels({ source: 'wsp' });
    this.methods = deps.metrics.tallies(deps.metrics.wspMethods);
    this.upstreamOutcomes = deps.metrics.tallies(deps.metrics.upstreamResponses);
  }

  /** SIGHUP: log.accessLog takes effect for new methods (the policy reloads itself, Policy.prepareReload). */
  reconfigure(next: Pick<BridgeDeps, 'accessLog'>): void {
    this.d.accessLog = next.accessLog;
  }

  /**
   * One method; its reply goes to `done` exactly once (at once when the verdict refuses it). It
   * waits only where something is pending (a subscriber store round trip, the upstream
   * exchange), and the upstream exchange calls back into the method's own record: no promise on
   * the way unless the subscriber store needs one.
   */
  handle(req: MethodRequest, done: MethodDone): void {
    const call = new MethodCall(this, req, done);
    let pending;
    try {
      // a cache miss of a shared subscriber store (subscribers.store: redis) answers after one round trip
      pending = this.d.policy.admit({ source: req.sourceIp, method: req.method, target: req.uri, now: this.d.now() });
    } catch (err) {
      return this.failed(call, err);
    }
    if (pending instanceof Promise) {
      pending.then(
        (v) => this.admitted(call, v),
        (err: unknown) => this.failed(call, err),
      );
      return;
    }
    this.admitted(call, pending);
  }

  /** The reply of one method as a promise (tests, tools): `handle` with a promise's settlement as `done`. */
  request(req: MethodRequest): Promise<MethodReply> {
    return new Promise((resolve) => this.handle(req, resolve));
  }

  private admitted(call: MethodCall, verdict: Verdict): void {
    try {
      call.subscriber = verdict.subscriber;
      if (!verdict.ok) return this.finish(call, this.refuse(call.req, verdict));
      const up = this.upstreamRequest(call.req, verdict, call);
      // the upstream latency in seconds, observed directly (prom-client's startTimer costs two
      // hrtime arrays, two closures and a copy of the labels per method)
      call.t1 = performance.now();
      // a field the request head cannot carry fails the exchange as the HTTP client would (502)
      if (up === undefined) return this.upstreamDone(call, upstreamFailed(new UpstreamProtocolError('request field "content-type" cannot be sent')), undefined);
      this.d.upstream.sendPrepared(up, call);
    } catch (err) {
      this.failed(call, err);
    }
  }

  /** @internal The upstream exchange of `call` is over (MethodCall.upstreamDone). */
  upstreamDone(call: MethodCall, err: UpstreamError | undefined, res: UpstreamResponse | undefined): void {
    this.latency.observe((performance.now() - call.t1) / 1000);
    let reply: MethodReply;
    try {
      reply = err !== undefined ? this.fromUpstreamError(err, call.limit) : this.fromUpstream(call.req, res as UpstreamResponse);
    } catch (e) {
      return this.failed(call, e);
    }
    this.finish(call, reply);
  }

  private failed(call: MethodCall, err: unknown): void {
    this.d.logger.error({ err }, 'bridge failure');
    this.finish(call, textReply(500, 'internal gateway error'));
  }

  /** Counts, logs and records the method, then hands its reply on. */
  private finish(call: MethodCall, reply: MethodReply): void {
    const req = call.req;
    // the method's duration, read only for the access log and the usage record
    const ms = this.d.accessLog || this.d.usage !== undefined ? performance.now() - call.t0 : 0;
    if (!reply.cancelled) this.methods(`${req.mode} ${req.method} ${reply.status}`, () => ({ mode: req.mode, method: req.method, status: String(reply.status) })).n++;
    if (this.d.accessLog) this.log(req, reply, call.subscriber, ms, call.traceId);
    // usage record (one per MMS transaction that reached the MMSC)
    if (this.d.usage && !reply.cancelled) this.d.usage.exchange(usageOfMethod(req, reply, call.subscriber, call.traceId, call.startedAt, ms));
    call.done(reply);
  }

  /** A refused method: its WSP status (the policy's REFUSAL_STATUS) and counters. */
  private refuse(req: MethodRequest, verdict: Extract<Verdict, { ok: false }>): MethodReply {
    const m = this.d.metrics;
    if (verdict.reason === 'rate-limit') m.rateLimited.inc({ layer: 'wsp' });
    else if (verdict.reason === 'network' || verdict.reason === 'no-subscriber' || verdict.reason === 'store-unavailable') m.accessDenied.inc({ layer: 'wsp', reason: verdict.reason });
    else if (verdict.reason === 'target') m.accessDenied.inc({ layer: 'wsp', reason: `upstream-${verdict.detail}` });
    return textReply(verdict.status, REFUSAL_TEXT[verdict.reason](req.method));
  }

  /**
   * The HTTP request for an admitted method: the handset's part and our identity headers as one
   * kept block of checked lines (headers.ts `HeadBlocks`), then what is this request's own, in
   * this order: Content-Type (POST, PUT), X-WAP-Session-ID, X-WAP-Client-SDU-Size (connection-
   * oriented), the correlation id. The body cap goes in `ctx.limit`. Undefined when the handset's
   * Content-Type cannot be sent (a CR, LF or other control: RFC 9110 §5.5).
   */
  private upstreamRequest(req: MethodRequest, target: Admitted, ctx: MethodCall): PreparedUpstreamRequest | undefined {
    const policy = this.d.policy;
    const client = this.clientHeaders.part(policy.identityRules, req.sessionHeaders, req.headers);
    // the method's arrival on the wall clock: a signed identity's timestamp (identity.signingSecret)
    const identity = policy.identityHeaders(req.sourceIp, target.subscriber, ctx.startedAt);
    const hasBody = req.method === 'POST' || req.method === 'PUT';
    let fields = this.blocks.block(client, identity, req.encodingVersion, this.viaHost, hasBody ? this.ownWithBody : this.own);
    if (hasBody) {
      const type = req.contentType ?? 'application/octet-stream';
      if (!isFieldValue(type)) return undefined;
      fields += `content-type: ${type}\r\n`;
    }
    // numbers, and an id of hex digits and base 36 (src/core/trace-id.ts): nothing to check
    if (req.mode === 'co' && req.sessionId !== undefined) fields += `X-WAP-Session-ID: ${req.sessionId}\r\n`;
    if (req.mode === 'co' && req.clientSduSize > 0) fields += `X-WAP-Client-SDU-Size: ${req.clientSduSize}\r\n`;
    const traces = this.d.traces;
    if (traces !== undefined) {
      const id = (ctx.traceId = traces.next());
      fields += `${traces.header}: ${id}\r\n`;
    }
    ctx.limit = req.clientSduSize > 0 ? Math.min(req.clientSduSize, this.d.maxResponseSize) : this.d.maxResponseSize;
    return {
      target,
      method: req.method,
      fields,
      // one shape for every request (absent fields undefined, not left out)
      body: hasBody ? (req.body ?? Buffer.alloc(0)) : undefined,
      signal: req.signal,
      maxBody: ctx.limit,
    };
  }

  private fromUpstream(req: MethodRequest, res: UpstreamResponse): MethodReply {
    this.upstreamOutcomes(String(res.status), () => ({ source: 'wsp', status: String(res.status) })).n++;
    const { contentType, headers: replyHeaders } = toWspReplyHeaders(res.rawHeaders);
    return { status: normalizeHttpStatus(res.status), contentType, headers: replyHeaders, body: req.method === 'HEAD' ? Buffer.alloc(0) : res.body };
  }

  /** An upstream failure as the handset's status; anything but an UpstreamError is a bug and goes on up. */
  private fromUpstreamError(err: unknown, limit: number): MethodReply {
    if (!(err instanceof UpstreamError)) throw err;
    this.upstreamOutcomes(err.code, () => ({ source: 'wsp', status: err.code })).n++;
    if (err.code === 'ERR_UPSTREAM_ABORTED') return { ...textReply(499, 'cancelled by the handset'), cancelled: true };
    if (err.code === 'ERR_UPSTREAM_TOO_LARGE') {
      return textReply(413, `response larger than ${limit} octets, the most this handset accepts (Client-SDU-Size)`);
    }
    if (err.code === 'ERR_UPSTREAM_TIMEOUT') return textReply(504, 'the MMSC did not answer in time');
    if (err.code === 'ERR_UPSTREAM_FORBIDDEN') return textReply(403, 'destination not allowed');
    return textReply(502, 'the MMSC could not be reached');
  }

  private log(req: MethodRequest, reply: MethodReply, sub: Subscriber | undefined, ms: number, traceId?: string): void {
    const line: Record<string, unknown> = {
      access: 'wsp',
      mode: req.mode,
      src: req.sourceIp,
      msisdn: sub?.msisdn,
      method: req.method,
      url: req.uri,
      status: reply.status,
      bytesIn: req.body?.length ?? 0,
      bytesOut: reply.body.length,
      ms: Math.round(ms * 10) / 10,
    };
    if (reply.reason) line.reason = reply.reason;
    if (traceId !== undefined) line.traceId = traceId;
    if (this.d.describeMms) {
      const ct = (s: string | undefined) => (s ?? '').split(';')[0]?.trim().toLowerCase();
      const mmsIn = req.body && ct(req.contentType) === MMS_TYPE ? this.d.describeMms(req.body) : undefined;
      const mmsOut = ct(reply.contentType) === MMS_TYPE ? this.d.describeMms(reply.body) : undefined;
      if (mmsIn) line.mmsIn = mmsIn;
      if (mmsOut) line.mmsOut = mmsOut;
    }
    this.d.logger.info(line, 'wsp method');
  }
}
