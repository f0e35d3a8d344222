/**
 * What callers (the proxy, the WSP bridge, admin, the PPG) see of the subscriber table: one
 * interface for the memory table (src/subscribers/table.ts) and the shared Redis store
 * (src/subscribers/store/redis.ts). Results that a shared store may need a round trip for are
 * `Awaitable`: `await` them (a plain value awaits at once).
 */
export interface Subscriber {
  /** The bound address: an IPv4 address, or an IPv6 prefix `x:x:x:x::/64`. */
  key: string;
  msisdn?: string;
  imsi?: string;
  imeisv?: string;
  sgsnAddress?: string;
  /** 3GPP-RAT-Type, one octet (TS 29.061): 1 UTRAN, 2 GERAN, 6 EUTRAN... */
  ratType?: number;
  apn?: string;
  /** For an IPv6 /64 key: the phone's own address in it, when RADIUS gave it (Framed-IPv6-Address or Framed-Interface-Id). */
  ipv6Address?: string;
  /** Where the binding came from. */
  source: 'static' | 'radius';
  /** RADIUS: the NAS that sent it (for Accounting-On/Off flushes) and the session. */
  nas?: string;
  acctSessionId?: string;
  /** Wall-clock ms when bound. */
  since: number;
}

/** A value, or a promise of it: the memory store answers at once, a shared store may need a round trip. `await` works on both. */
export type Awaitable<T> = T | Promise<T>;

/** What `list` selects; every given field must match exactly. */
export interface SubscriberFilter {
  msisdn?: string;
  nas?: string;
  source?: 'static' | 'radius';
}

/** One page of `list`: `nextCursor` is set when more may follow (pass it back unchanged). */
export interface SubscriberPage {
  items: Subscriber[];
  nextCursor?: string;
}

export interface SubscriberStore {
  /** The subscriber bound to a source address (IPv4 exact, IPv6 by /64), or undefined. */
  lookup(ip: string): Subscriber | undefined;
  /**
   * The binding of an MSISDN (what a push over IP is sent to): the most recently bound RADIUS
   * binding holding it, else a static one, else undefined.
   */
  findByMsisdn(msisdn: string): Awaitable<Subscriber | undefined>;
  /**
   * One page of bindings matching `filter`, at most `limit` (1..1000). A binding present from the
   * first page to the last is returned at least once; one bound meanwhile may or may not be.
   * Throws ERR_SUBSCRIBER_CURSOR (WapgwError) on a cursor this store did not produce.
   */
  list(filter: SubscriberFilter, limit: number, cursor?: string): Awaitable<SubscriberPage>;
  /**
   * The same answer as `lookup`, for request paths: synchronous when it is known here (the memory
   * table, a trusted cache entry of a shared store), else a promise (one round trip). A shared
   * store that cannot be reached rejects with ERR_STORE_UNAVAILABLE: refuse the request.
   * Optional so that simple stores (test doubles) need only `lookup`; callers fall back to it.
   */
  resolve?(ip: string): Awaitable<Subscriber | undefined>;
  bind(sub: Subscriber): Awaitable<void>;
  /** Removes the binding of `key`; with `acctSessionId`, only when it matches. True if removed. */
  unbind(key: string, acctSessionId?: string): Awaitable<boolean>;
  /** Removes every binding learned from a NAS; returns how many. */
  flushNas(nas: string): Awaitable<number>;
  readonly size: number;
}
