/**
 * The one admission decision for a request from a handset, whatever the bearer (the HTTP MMS
 * proxy or a WSP method through the bridge). Both ask `admit()`; the checks run in this order
 * and the first that fails is the verdict:
 *
 *   1. rate limit      the source's token bucket (rateLimit.proxy / rateLimit.wsp; a source is
 *                      an IPv4 address or an IPv6 /64)
 *   2. network         the source is inside proxy.allowedNetworks (the MMS APN pools)
 *   3. subscriber      with proxy.requireSubscriber, a subscriber is bound to the source
 *                      (the one subscriber lookup of a request, here and nowhere else; a shared
 *                      store that cannot be asked refuses with store-unavailable)
 *   4. method          the bearer forwards this method
 *   5. target          the request target names mmsc.url's origin or one of mmsc.allowedOrigins
 *
 * Nothing is sent upstream unless every check passed. What each refusal looks like on the wire
 * depends on the bearer, and only there: `REFUSAL_STATUS` below is that mapping, once.
 * Checks a bearer has alone (HTTP framing and body size on the proxy; SDU sizes on WSP) come after
 * the verdict, in the bearer. The verdict is data: counting and logging it is the caller's job.
 *
 * Identity headers (the client's copies removed, ours added; contract "Headers toward the MMSC")
 * are applied through `identify()`, with the subscriber the verdict found.
 */
import type { Config } from '../config/schema';
import type { HeaderList } from '../core/http';
import type { Subscriber, SubscriberStore } from '../subscribers/types';
import { AccessPolicy, UpstreamPolicy, type AccessResult, type UpstreamRefusal, type UpstreamResult } from './access';
import { IdentityHeaders } from './identity';
import { RateLimiter } from './rate-limit';

/** Which side a request came in on. */
export type Bearer = 'http' | 'wsp';

export type RefusalReason = 'rate-limit' | 'network' | 'no-subscriber' | 'store-unavailable' | 'method' | 'target';

/**
 * The status each refusal gets, by bearer. Where they differ, WSP cannot say what HTTP says:
 * - rate-limit: 429 (RFC 6585 §4) has no row in WAP-230 Table 36 (it stops at 417) and would
 *   reach the handset as a bare 400; 503 (RFC 9110 §15.6.4, "temporary overload") is the
 *   nearest code a WSP Reply can carry.
 * - method: on HTTP the methods are the operator's choice (proxy.allowedMethods), so another one
 *   is 405 with Allow (RFC 9110 §15.5.6); on WSP the methods are the seven WAP-230 Table 34
 *   methods the bridge maps to HTTP, and anything else is an extended method the gateway does
 *   not implement: 501 (RFC 9110 §15.6.2).
 */
export const REFUSAL_STATUS = {
  'rate-limit': { http: 429, wsp: 503 },
  network: { http: 403, wsp: 403 },
  'no-subscriber': { http: 403, wsp: 403 },
  // the shared store is down: a temporary condition of ours, not the phone's fault (RFC 9110 §15.6.4)
  'store-unavailable': { http: 503, wsp: 503 },
  method: { http: 405, wsp: 501 },
  target: { http: 403, wsp: 403 },
} as const satisfies Record<RefusalReason, Record<Bearer, number>>;

/** WAP-230 Table 34 methods the bridge forwards as HTTP (Get-type and Post-type, no extended methods). */
export const WSP_METHODS: ReadonlySet<string> = new Set(['GET', 'OPTIONS', 'HEAD', 'DELETE', 'TRACE', 'POST', 'PUT']);

export interface AdmitRequest {
  /** The source address as the socket reported it (normalised by the access check). */
  source: string;
  method: string;
  /** The request target: an absolute URI, or on HTTP also origin-form (`/path?query`, RFC 9112 §3.2.1). */
  target: string;
  /** Monotonic ms, for the rate limit. */
  now: number;
}

export interface Admitted {
  ok: true;
  subscriber: Subscriber | undefined;
  /** Where the request goes: an allowed origin and the full URL. */
  origin: string;
  url: URL;
  /** The URL's host and request-target (`url.host`, `url.pathname + url.search`), computed once with the verdict. */
  host: string;
  path: string;
}

export interface Refused {
  ok: false;
  reason: RefusalReason;
  /** The status this bearer answers (REFUSAL_STATUS). */
  status: number;
  /** For `target`: why the URL was refused. */
  detail?: UpstreamRefusal;
  /** The subscriber, when the refusal came after the lookup (for the access log). */
  subscriber?: Subscriber;
}

export type Verdict = Admitted | Refused;

export interface PolicyOptions {
  bearer: Bearer;
  config: Pick<Config, 'proxy' | 'mmsc' | 'identity' | 'rateLimit'>;
  subscribers: SubscriberStore;
}

export class Policy {
  readonly bearer: Bearer;
  private access: AccessPolicy;
  private identity: IdentityHeaders;
  readonly upstream: UpstreamPolicy;
  private readonly limiter: RateLimiter;
  private readonly methods: ReadonlySet<string>;
  private readonly subscribers: SubscriberStore;
  /** The Allow header value for a 405 (HTTP bearer). */
  readonly allowHeader: string;

  constructor(opts: PolicyOptions) {
    const { bearer, config } = opts;
    this.bearer = bearer;
    this.subscribers = opts.subscribers;
    this.access = new AccessPolicy({ config, subscribers: opts.subscribers });
    this.identity = new IdentityHeaders(config.identity);
    this.upstream = new UpstreamPolicy({ config });
    const rate = bearer === 'http' ? config.rateLimit.proxy : config.rateLimit.wsp;
    this.limiter = new RateLimiter({ perSecond: rate.perSourcePerSecond, burst: rate.burst, maxSources: config.rateLimit.maxSources });
    this.methods = bearer === 'http' ? new Set(config.proxy.allowedMethods) : WSP_METHODS;
    this.allowHeader = [...this.methods].join(', ');
  }

  /**
   * The verdict for one request; see the order above. Synchronous whenever the subscriber store
   * answers from memory (the memory table, a cache hit of the Redis store); a promise when the
   * store needs a round trip (a cache miss of the Redis store).
   */
  admit(req: AdmitRequest): Verdict | Promise<Verdict> {
    if (!this.limiter.take(req.source, req.now)) return this.refuse('rate-limit');
    const acc = this.access.check(req.source);
    if (acc instanceof Promise) return acc.then((a) => this.afterAccess(req, a));
    return this.afterAccess(req, acc);
  }

  private afterAccess(req: AdmitRequest, acc: AccessResult): Verdict {
    if (!acc.ok) return this.refuse(acc.reason);
    const subscriber = acc.subscriber;
    if (!this.methods.has(req.method)) return this.refuse('method', subscriber);
    const target = this.resolveTarget(req.target);
    if (!target.ok) return { ...this.refuse('target', subscriber), detail: target.reason };
    return { ok: true, subscriber, origin: target.origin, url: target.url, host: target.host, path: target.path };
  }

  /**
   * A WSP Connect is no request: it only spends a token of the source's bucket (the same one
   * its methods use), so a Connect flood cannot fill the session table. False: refuse it.
   */
  admitConnect(source: string, now: number): boolean {
    return this.limiter.take(source, now);
  }

  /** Whether this bearer forwards `method` (for metric labels). */
  allows(method: string): boolean {
    return this.methods.has(method);
  }

  /** The request's headers with every client copy of an identity header removed and ours added. */
  identify(headers: Iterable<readonly [string, string]>, source: string, subscriber: Subscriber | undefined, nowMs: number): HeaderList {
    return this.identity.apply(headers, source, subscriber, nowMs);
  }

  /**
   * `identify` in two halves: the identity rules in force, whose `strip` removes every client
   * copy of an identity header (a new object after a reload that changes them; callers may key
   * what they derive from it by it),
   */
  get identityRules(): { strip(h: HeaderList): HeaderList } {
    return this.identity;
  }

  /** and ours for a source and its subscriber (a shared list: callers copy, never change it). */
  identityHeaders(source: string, subscriber: Subscriber | undefined, nowMs: number): HeaderList {
    return this.identity.ownHeaders(source, subscriber, nowMs);
  }

  /** Sources with a live rate-limit bucket (admin /status). */
  get rateLimitedSources(): number {
    return this.limiter.size;
  }

  /** SIGHUP: proxy.allowedNetworks, proxy.requireSubscriber and identity.* apply to new requests. */
  prepareReload(next: Pick<Config, 'proxy' | 'identity'>): () => void {
    const access = new AccessPolicy({ config: next, subscribers: this.subscribers });
    const identity = new IdentityHeaders(next.identity);
    return () => {
      this.access = access;
      this.identity = identity;
    };
  }

  private refuse(reason: RefusalReason, subscriber?: Subscriber): Refused {
    const r: Refused = { ok: false, reason, status: REFUSAL_STATUS[reason][this.bearer] };
    if (subscriber) r.subscriber = subscriber;
    return r;
  }

  /**
   * WSP carries absolute URIs only. On HTTP a proxy request is absolute-form (RFC 9112 §3.2.2);
   * origin-form goes to mmsc.url's origin; asterisk- and authority-form are not ours.
   */
  private resolveTarget(raw: string): UpstreamResult {
    if (this.bearer === 'wsp') return this.upstream.check(raw);
    if (raw.startsWith('/')) {
      const u = this.upstream.resolveOriginForm(raw);
      return u === null ? { ok: false, reason: 'bad-url' } : this.upstream.check(u);
    }
    if (!/^https?:\/\//i.test(raw)) return { ok: false, reason: 'scheme' };
    return this.upstream.check(raw);
  }
}
