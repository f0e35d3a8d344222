/**
 * What callers (the proxy, the WSP bridge, admin) see of the subscriber table: a small store
 * interface so a shared store (Redis) can serve several instances later.
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
  /** Where the binding came from. */
  source: 'static' | 'radius';
  /** RADIUS: the NAS that sent it (for Accounting-On/Off flushes) and the session. */
  nas?: string;
  acctSessionId?: string;
  /** Wall-clock ms when bound. */
  since: number;
}

export interface SubscriberStore {
  /** The subscriber bound to a source address (IPv4 exact, IPv6 by /64), or undefined. */
  lookup(ip: string): Subscriber | undefined;
  bind(sub: Subscriber): void;
  /** Removes the binding of `key`; with `acctSessionId`, only when it matches. True if removed. */
  unbind(key: string, acctSessionId?: string): boolean;
  /** Removes every binding learned from a NAS; returns how many. */
  flushNas(nas: string): number;
  readonly size: number;
}
