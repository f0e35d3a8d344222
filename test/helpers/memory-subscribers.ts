/**
 * A tiny in-memory SubscriberStore (with a lookup counter) for tests of its callers: the proxy,
 * the WSP bridge, the policy; keys follow src/core/net.ts `subscriberKey` (IPv4 exact, IPv6 /64).
 */
import { subscriberKey } from '../../src/core/net';
import type { Subscriber, SubscriberFilter, SubscriberPage, SubscriberStore } from '../../src/subscribers/types';

export class MemorySubscribers implements SubscriberStore {
  private readonly m = new Map<string, Subscriber>();
  lookups = 0;

  constructor(subs: Array<Partial<Subscriber> & { key: string }> = []) {
    for (const s of subs) this.bind({ source: 'static', since: 0, ...s });
  }
  lookup(ip: string): Subscriber | undefined {
    this.lookups++;
    const k = subscriberKey(ip);
    return k === null ? undefined : this.m.get(k);
  }
  resolve(ip: string): Subscriber | undefined {
    return this.lookup(ip);
  }
  findByMsisdn(msisdn: string): Subscriber | undefined {
    return [...this.m.values()].reverse().find((s) => s.msisdn === msisdn);
  }
  list(filter: SubscriberFilter, limit: number, cursor?: string): SubscriberPage {
    const all = [...this.m.values()].filter(
      (s) => (filter.msisdn === undefined || s.msisdn === filter.msisdn) && (filter.nas === undefined || s.nas === filter.nas) && (filter.source === undefined || s.source === filter.source),
    );
    const from = cursor === undefined ? 0 : Number(cursor);
    const items = all.slice(from, from + limit);
    return from + limit < all.length ? { items, nextCursor: String(from + limit) } : { items };
  }
  bind(sub: Subscriber): void {
    const k = subscriberKey(sub.key.replace(/\/64$/, '')) ?? sub.key;
    this.m.set(k, { ...sub, key: k });
  }
  unbind(key: string, acctSessionId?: string): boolean {
    const k = subscriberKey(key.replace(/\/64$/, '')) ?? key;
    const s = this.m.get(k);
    if (!s || (acctSessionId !== undefined && s.acctSessionId !== acctSessionId)) return false;
    return this.m.delete(k);
  }
  flushNas(nas: string): number {
    let n = 0;
    for (const [k, s] of this.m) if (s.nas === nas && this.m.delete(k)) n++;
    return n;
  }
  get size(): number {
    return this.m.size;
  }
}
