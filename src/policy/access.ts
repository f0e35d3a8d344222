/**
 * Access rules behind `admit()` (admit.ts), for the HTTP MMS proxy and the WSP bridge alike
 * (transport-neutral: callers pass a textual source address or a URL, never a socket).
 *
 * - `AccessPolicy`: the source address must be inside `proxy.allowedNetworks` (the MMS APN pools)
 *   and, with `proxy.requireSubscriber`, bound to a subscriber; otherwise the request is refused
 *   and nothing goes upstream: a source we cannot attribute to a subscriber must not reach the MMSC on its behalf
 *   (README "The MMS proxy").
 * - `UpstreamPolicy`: the only upstream origins are the origin of `mmsc.url` and
 *   `mmsc.allowedOrigins`, compared exactly as `scheme://host:port` after the WHATWG URL
 *   normalisation (lowercase host, default port made explicit, IPv6 in brackets, IPv4 numeric
 *   forms canonicalised). Names are never resolved: another name or IP literal for the same
 *   machine is another origin. Userinfo is refused outright (it only serves to confuse a reader
 *   of `http://mmsc@evil/`).
 */
import type { Config } from '../config/schema';
import { Memo } from '../core/bounded';
import { NetworkList, normalizeAddress } from '../core/net';
import type { Subscriber, SubscriberStore } from '../subscribers/types';

export type AccessDeniedReason = 'network' | 'no-subscriber' | 'store-unavailable';

export type AccessResult =
  | { ok: true; subscriber?: Subscriber }
  | { ok: false; reason: AccessDeniedReason };

/** `AccessPolicy.sources`: the mark of an address outside the allowed networks, and how many addresses are kept. */
const OUTSIDE = '';
const SOURCES_KEPT = 4096;

export class AccessPolicy {
  private readonly networks: NetworkList;
  private readonly requireSubscriber: boolean;
  private readonly subscribers: SubscriberStore;
  /**
   * Per source address as given: its normalised form when inside proxy.allowedNetworks, else
   * OUTSIDE (the networks are fixed for this policy's life; a reload makes a new one). A handset
   * sends from the same address again and again; the bound keeps a scan of addresses cheap.
   */
  private readonly sources = new Memo<string, string>(SOURCES_KEPT);

  constructor(opts: { config: Pick<Config, 'proxy'>; subscribers: SubscriberStore }) {
    this.networks = new NetworkList(opts.config.proxy.allowedNetworks);
    this.requireSubscriber = opts.config.proxy.requireSubscriber;
    this.subscribers = opts.subscribers;
  }

  /**
   * Decides for one source address (IPv4, IPv6, IPv4-mapped IPv6, with or without zone id).
   * Synchronous whenever the store answers from memory (the memory table, a cache hit of the
   * Redis store); a promise when the store needs a round trip. A store that cannot be reached
   * refuses (503 store-unavailable) when a subscriber is required.
   */
  check(sourceIp: string): AccessResult | Promise<AccessResult> {
    let ip = this.sources.get(sourceIp);
    if (ip === undefined) {
      const a = normalizeAddress(sourceIp);
      ip = this.sources.set(sourceIp, this.networks.contains(a) ? a : OUTSIDE);
    }
    if (ip === OUTSIDE) return { ok: false, reason: 'network' };
    const found = this.subscribers.resolve ? this.subscribers.resolve(ip) : this.subscribers.lookup(ip);
    if (found instanceof Promise) return found.then((s) => this.decide(s), () => this.unavailable());
    return this.decide(found);
  }

  private decide(subscriber: Subscriber | undefined): AccessResult {
    if (subscriber) return { ok: true, subscriber };
    if (this.requireSubscriber) return { ok: false, reason: 'no-subscriber' };
    return { ok: true };
  }

  private unavailable(): AccessResult {
    return this.requireSubscriber ? { ok: false, reason: 'store-unavailable' } : { ok: true };
  }
}

export type UpstreamRefusal = 'bad-url' | 'scheme' | 'userinfo' | 'origin';

export type UpstreamResult =
  | {
      ok: true;
      origin: string;
      url: URL;
      /** `url.host` and `url.pathname + url.search` (the request-target, RFC 9112 §3.2.1), computed once with the verdict. */
      host: string;
      path: string;
    }
  | { ok: false; reason: UpstreamRefusal };

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * `scheme://host:port` of a parsed http(s) URL, always with the port. Null for other schemes.
 * WHATWG `URL` already lowercases the host, brackets IPv6 and canonicalises IPv4 forms such as
 * `0x7f.1` or `2130706433`, so two spellings of one literal compare equal.
 */
export function originKey(u: URL): string | null {
  const def = DEFAULT_PORTS[u.protocol];
  if (def === undefined) return null;
  return `${u.protocol}//${u.hostname}:${u.port === '' ? def : u.port}`;
}

/** Request targets whose verdict `UpstreamPolicy.check` keeps, and the longest kept. */
const CHECKED_KEPT = 256;
const CHECKED_KEPT_LENGTH = 1024;

export class UpstreamPolicy {
  /** Normalised origin key -> the origin we connect to (`scheme://host[:port]`). */
  private readonly allowed = new Map<string, string>();
  /** The origin of `mmsc.url`, where origin-form requests go. */
  readonly defaultOrigin: string;

  constructor(opts: { config: Pick<Config, 'mmsc'> }) {
    const origins = [opts.config.mmsc.url, ...opts.config.mmsc.allowedOrigins];
    let first: string | undefined;
    for (const o of origins) {
      const u = new URL(o);
      const key = originKey(u);
      if (key === null) throw new Error(`upstream "${o}" is not http: or https:`);
      this.allowed.set(key, u.origin);
      first ??= u.origin;
    }
    this.defaultOrigin = first as string;
  }

  /** The allowed origins, normalised (`scheme://host:port`). */
  get origins(): string[] {
    return [...this.allowed.keys()];
  }

  /**
   * Verdicts on request targets given as text, kept: a handset asks for the same few URIs (its
   * MMSC's) again and again, and parsing one (WHATWG URL) was the largest single cost of a WSP
   * method in this layer (bench/RESULTS.md, "WSP cycle, the last small cuts"). At most
   * CHECKED_KEPT targets of at most CHECKED_KEPT_LENGTH characters, all forgotten at once when
   * full; a verdict and its URL are shared, and nothing that receives them changes them. The
   * allowed origins are fixed for this policy's life (a reload makes a new one).
   */
  private readonly checked = new Memo<string, UpstreamResult>(CHECKED_KEPT);

  /** Checks an absolute URL a client asked for. */
  check(target: string | URL): UpstreamResult {
    if (typeof target !== 'string' || target.length > CHECKED_KEPT_LENGTH) return this.checkNow(target);
    return this.checked.get(target) ?? this.checked.set(target, Object.freeze(this.checkNow(target)));
  }

  private checkNow(target: string | URL): UpstreamResult {
    let u: URL;
    try {
      u = typeof target === 'string' ? new URL(target) : target;
    } catch {
      return { ok: false, reason: 'bad-url' };
    }
    if (DEFAULT_PORTS[u.protocol] === undefined) return { ok: false, reason: 'scheme' };
    if (u.username !== '' || u.password !== '') return { ok: false, reason: 'userinfo' };
    // "http://host:/x" parses to the default port; only an explicit, exact match of the text
    // matters to us, and URL has already normalised it.
    const key = originKey(u);
    const origin = key === null ? undefined : this.allowed.get(key);
    if (origin === undefined) return { ok: false, reason: 'origin' };
    return { ok: true, origin, url: u, host: u.host, path: u.pathname + u.search };
  }

  /**
   * The absolute URL an origin-form request target (`/path?query`) means: on mmsc.url's origin.
   * Concatenated, not resolved, so `//evil.example/x` stays a path on the MMSC.
   */
  resolveOriginForm(pathAndQuery: string): URL | null {
    if (!pathAndQuery.startsWith('/')) return null;
    try {
      return new URL(this.defaultOrigin + pathAndQuery);
    } catch {
      return null;
    }
  }
}
