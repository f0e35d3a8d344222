/**
 * A tiny in-memory SubscriberStore for tests of callers (proxy, WSP bridge) until the real
 * table lands; keys follow src/core/net.ts `subscriberKey` (IPv4 exact, IPv6 /64).
 */
import { subscriberKey } from '../../src/core/net';
import type { Subscriber, SubscriberStore } from '../../src/subscribers/types';

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
