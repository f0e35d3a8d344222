/**
 * The subscriber table: source address -> subscriber, O(1) both ways. Keys are the IPv4 address
 * itself, or for IPv6 the /64 prefix (`subscriberKey`, RFC 3162 §2.3: a UE picks any address of
 * its /64).
 *
 * Two layers, looked up RADIUS first (RADIUS wins for the same key):
 * - RADIUS bindings in an lru-cache bounded by `subscribers.maxEntries`. When full, the least
 *   recently used binding is evicted (counted in wapgw_subscriber_evictions_total, logged at most
 *   once a minute with the count since the last line). A lookup refreshes recency.
 * - static bindings (the YAML file) in a plain map the loader replaces as a whole
 *   (`replaceStatic`); the loader refuses files with more than `maxEntries` rows, so this layer
 *   is bounded too, and RADIUS churn never evicts a configured entry.
 *
 * A NAS -> keys index makes Accounting-On/Off flushes proportional to what that NAS bound; it is
 * maintained from the cache's dispose hook, so evictions, deletes and replacements clean it.
 *
 * Ended sessions: every Stop leaves a small record (NAS, key, Acct-Session-Id) in a second
 * lru-cache, bounded by `endedSessionsMax(maxEntries)`, so a Start or Interim of that session
 * arriving late (a retransmission, a reordered datagram) cannot bind the address again after
 * its session ended (accounting.ts). Accounting-On/Off of a NAS forgets its records (a rebooted
 * NAS may reuse its session ids).
 *
 * An MSISDN -> keys index (RADIUS and static layers each) answers `findByMsisdn` (the PPG pushes
 * over IP to a bound phone); it is kept in step by the same dispose hook, so it never holds more
 * keys than the table. `list` pages through the table in a stable order (RADIUS bindings NAS by
 * NAS in bind order, then static ones) with a cursor made of that position, so lookups that
 * reorder the LRU do not disturb a listing.
 *
 * Memory: one `Binding` per key with a fixed shape (every field assigned in the constructor, so
 * V8 keeps it in-object); strings that repeat across many bindings (APN, NAS, SGSN address) are
 * interned through a small bounded map. bench/subscribers.js measures 1 M bindings.
 */
import { LRUCache } from 'lru-cache';
import { countBound } from '../core/bounded';
import { WapgwError } from '../core/errors';
import type { Logger } from '../core/logger';
import { parseCidr, subscriberKey } from '../core/net';
import type { Metrics, Tally } from '../ops/metrics';
import type { Subscriber, SubscriberFilter, SubscriberPage, SubscriberStore } from './types';

let nextSeq = 1;
const seqOf = (b: Binding): number => Binding.seqOf(b);

/** A stored binding. `sessions` lists every Acct-Session-Id sharing the address (per-context accounting), only when more than one. */
export class Binding implements Subscriber {
  key: string;
  msisdn: string | undefined;
  imsi: string | undefined;
  imeisv: string | undefined;
  sgsnAddress: string | undefined;
  ratType: number | undefined;
  apn: string | undefined;
  ipv6Address: string | undefined;
  source: 'static' | 'radius';
  nas: string | undefined;
  acctSessionId: string | undefined;
  since: number;
  sessions: string[] | undefined;
  /** Bind order (for stable paging); a private field so it never shows in JSON or spreads. */
  #seq: number;

  constructor(s: Subscriber & { sessions?: string[] | undefined }) {
    this.key = s.key;
    this.msisdn = s.msisdn;
    this.imsi = s.imsi;
    this.imeisv = s.imeisv;
    this.sgsnAddress = s.sgsnAddress;
    this.ratType = s.ratType;
    this.apn = s.apn;
    this.ipv6Address = s.ipv6Address;
    this.source = s.source;
    this.nas = s.nas;
    this.acctSessionId = s.acctSessionId;
    this.since = s.since;
    this.sessions = s.sessions !== undefined && s.sessions.length > 1 ? s.sessions : undefined;
    this.#seq = nextSeq++;
  }

  static seqOf(b: Binding): number {
    return b.#seq;
  }

  /** Every Acct-Session-Id bound to this address. */
  allSessions(): string[] {
    if (this.sessions) return this.sessions;
    return this.acctSessionId !== undefined ? [this.acctSessionId] : [];
  }
}

/**
 * The table key for a textual address or key: an IPv4 address, an IPv6 address (its /64), or an
 * IPv6 prefix `x::/n` with n >= 64 (its /64). Null otherwise.
 */
export function tableKey(ipOrKey: string): string | null {
  const slash = ipOrKey.indexOf('/');
  if (slash < 0) return subscriberKey(ipOrKey);
  const c = parseCidr(ipOrKey);
  if (typeof c === 'string' || c.family !== 6 || c.prefix < 64) return null;
  return subscriberKey(ipOrKey.slice(0, slash));
}

export interface SubscriberTableOptions {
  maxEntries: number;
  metrics?: Metrics;
  logger?: Logger;
  /** Wall clock (ms since epoch), for rate-limiting the eviction log. */
  now?: () => number;
  /** Minimum ms between two eviction log lines (default 60 s). */
  evictionLogIntervalMs?: number;
}

const INTERN_MAX = 4096;

/** How many ended sessions are remembered: as many as bindings, between 1 024 and 100 000 (about 15 MB at most). */
export const endedSessionsMax = (maxEntries: number): number => Math.max(1024, Math.min(maxEntries, 100_000));
const endedKey = (nas: string, key: string, sid: string): string => `${nas}\n${key}\n${sid}`;

export class SubscriberTable implements SubscriberStore {
  readonly maxEntries: number;
  private readonly radius: LRUCache<string, Binding>;
  private staticMap = new Map<string, Binding>();
  private readonly byNas = new Map<string, Set<string>>();
  /** RADIUS bindings without a NAS (bound directly, not from accounting), in bind order. */
  private readonly noNas = new Set<string>();
  private readonly byMsisdn = new Map<string, Set<string>>();
  private staticByMsisdn = new Map<string, string[]>();
  private readonly ended: LRUCache<string, true>;
  private readonly interned = new Map<string, string>();
  private readonly metrics: Metrics | undefined;
  /** hit and miss are tallies (Metrics.tally): a lookup on every request adds to a number, not through prom-client's label hashing. */
  private readonly counters: { hit: Tally; miss: Tally; radius: { set(v: number): void }; static: { set(v: number): void } } | undefined;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private readonly evictionLogIntervalMs: number;
  private evictionsSinceLog = 0;
  private lastEvictionLog = -Infinity;
  private evictionsTotal = 0;

  constructor(opts: SubscriberTableOptions) {
    this.maxEntries = opts.maxEntries;
    this.metrics = opts.metrics;
    const m = opts.metrics;
    this.counters = m && {
      hit: m.tally(m.subscriberLookups, { result: 'hit' }),
      miss: m.tally(m.subscriberLookups, { result: 'miss' }),
      radius: m.subscribers.labels({ source: 'radius' }),
      static: m.subscribers.labels({ source: 'static' }),
    };
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.evictionLogIntervalMs = opts.evictionLogIntervalMs ?? 60_000;
    this.radius = new LRUCache<string, Binding>({
      ...countBound(opts.maxEntries),
      dispose: (value, key, reason) => this.disposed(value, key, reason),
    });
    this.ended = new LRUCache<string, true>(countBound(endedSessionsMax(opts.maxEntries)));
    this.updateGauges();
  }

  get size(): number {
    return this.radius.size + this.staticMap.size;
  }

  /** Bindings by source. */
  sizeOf(source: 'static' | 'radius'): number {
    return source === 'radius' ? this.radius.size : this.staticMap.size;
  }

  get evictions(): number {
    return this.evictionsTotal;
  }

  lookup(ip: string): Subscriber | undefined {
    const key = tableKey(ip);
    const found = key === null ? undefined : (this.radius.get(key) ?? this.staticMap.get(key));
    if (this.counters) (found ? this.counters.hit : this.counters.miss).n++;
    return found;
  }

  /** The memory table always knows: the same as `lookup`. */
  resolve(ip: string): Subscriber | undefined {
    return this.lookup(ip);
  }

  /** The RADIUS binding of a key, without touching recency or metrics. */
  peekRadius(ipOrKey: string): Binding | undefined {
    const key = tableKey(ipOrKey);
    return key === null ? undefined : this.radius.peek(key);
  }

  /** The static binding of a key. */
  peekStatic(ipOrKey: string): Binding | undefined {
    const key = tableKey(ipOrKey);
    return key === null ? undefined : this.staticMap.get(key);
  }

  /**
   * Stores a binding, replacing whatever that key held in the same layer. `sub.key` may be an
   * address or a key; it is normalised. Throws ERR_SUBSCRIBER_KEY on a key that is not an address.
   */
  bind(sub: Subscriber & { sessions?: string[] | undefined }): void {
    const key = tableKey(sub.key);
    if (key === null) throw new WapgwError('ERR_SUBSCRIBER_KEY', `subscriber key "${sub.key}" is not an IPv4 address or IPv6 /64`);
    const b = new Binding({
      ...sub,
      key,
      apn: this.intern(sub.apn),
      nas: this.intern(sub.nas),
      sgsnAddress: this.intern(sub.sgsnAddress),
    });
    if (b.source === 'static') {
      this.dropStaticMsisdn(key);
      this.staticMap.set(key, b);
      if (b.msisdn !== undefined) this.staticByMsisdn.set(b.msisdn, [...(this.staticByMsisdn.get(b.msisdn) ?? []), key]);
    } else {
      this.radius.set(key, b);
      if (b.nas !== undefined) {
        let set = this.byNas.get(b.nas);
        if (!set) this.byNas.set(b.nas, (set = new Set()));
        set.add(key);
      } else {
        this.noNas.add(key);
      }
      if (b.msisdn !== undefined) {
        let set = this.byMsisdn.get(b.msisdn);
        if (!set) this.byMsisdn.set(b.msisdn, (set = new Set()));
        set.add(key);
      }
    }
    this.updateGauges();
  }

  /**
   * Removes the binding of `key`. With `acctSessionId`, only a RADIUS binding holding that
   * session (and only when it is its only one: see accounting.ts for per-context Stops).
   * Without, the RADIUS binding, or else the static one. True if something was removed.
   */
  unbind(ipOrKey: string, acctSessionId?: string): boolean {
    const key = tableKey(ipOrKey);
    if (key === null) return false;
    const r = this.radius.peek(key);
    let removed = false;
    if (acctSessionId !== undefined) {
      if (r && r.allSessions().includes(acctSessionId)) removed = this.radius.delete(key);
    } else if (r) {
      removed = this.radius.delete(key);
    } else {
      this.dropStaticMsisdn(key);
      removed = this.staticMap.delete(key);
    }
    if (removed) this.updateGauges();
    return removed;
  }

  /** Remembers that session `sid` of `key` ended on `nas` (a Stop arrived). */
  markEnded(nas: string, ipOrKey: string, sid: string): void {
    const key = tableKey(ipOrKey);
    if (key !== null) this.ended.set(endedKey(nas, key, sid), true);
  }

  /** True when a Stop of session `sid` of `key` from `nas` was seen (and is still remembered). */
  hasEnded(nas: string, ipOrKey: string, sid: string): boolean {
    const key = tableKey(ipOrKey);
    return key !== null && this.ended.has(endedKey(nas, key, sid));
  }

  /** Ended sessions remembered. */
  get endedSessions(): number {
    return this.ended.size;
  }

  /** Removes every RADIUS binding learned from `nas` (and its ended-session records); returns how many bindings. */
  flushNas(nas: string): number {
    if (this.ended.size > 0) {
      const prefix = `${nas}\n`;
      for (const k of [...this.ended.keys()]) if (k.startsWith(prefix)) this.ended.delete(k);
    }
    const keys = this.byNas.get(nas);
    if (!keys) return 0;
    let n = 0;
    for (const key of [...keys]) {
      const b = this.radius.peek(key);
      if (b && b.nas === nas && this.radius.delete(key)) n++;
    }
    this.byNas.delete(nas);
    this.updateGauges();
    return n;
  }

  /** Replaces every static binding at once (the loader has validated them). Returns the count. */
  replaceStatic(subs: readonly Subscriber[]): number {
    const next = new Map<string, Binding>();
    for (const s of subs) {
      const key = tableKey(s.key);
      if (key === null) throw new WapgwError('ERR_SUBSCRIBER_KEY', `subscriber key "${s.key}" is not an IPv4 address or IPv6 /64`);
      next.delete(key); // a repeated key moves to the end, so the map stays in bind order
      next.set(key, new Binding({ ...s, key, source: 'static', nas: undefined, acctSessionId: undefined, apn: this.intern(s.apn) }));
    }
    const byMsisdn = new Map<string, string[]>();
    for (const [key, b] of next) if (b.msisdn !== undefined) byMsisdn.set(b.msisdn, [...(byMsisdn.get(b.msisdn) ?? []), key]);
    this.staticMap = next;
    this.staticByMsisdn = byMsisdn;
    this.updateGauges();
    return next.size;
  }

  /** NAS identities with RADIUS bindings, and how many each (admin/status). */
  nasCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [nas, keys] of this.byNas) out[nas] = keys.size;
    return out;
  }

  status(): Record<string, unknown> {
    return {
      radius: this.radius.size,
      static: this.staticMap.size,
      maxEntries: this.maxEntries,
      evictions: this.evictionsTotal,
      endedSessions: this.ended.size,
      nas: this.nasCounts(),
    };
  }

  /**
   * The binding of an MSISDN: of the RADIUS bindings holding it, the most recently bound; else the
   * last static one. Touches neither recency nor metrics.
   */
  findByMsisdn(msisdn: string): Subscriber | undefined {
    let best: Binding | undefined;
    const keys = this.byMsisdn.get(msisdn);
    if (keys) {
      for (const key of keys) {
        const b = this.radius.peek(key);
        if (b && b.msisdn === msisdn && (!best || seqOf(b) > seqOf(best))) best = b;
      }
      if (best) return best;
    }
    const skeys = this.staticByMsisdn.get(msisdn);
    if (skeys) for (let i = skeys.length - 1; i >= 0; i--) {
      const b = this.staticMap.get(skeys[i] as string);
      if (b && b.msisdn === msisdn) return b;
    }
    return undefined;
  }

  /**
   * One page of bindings (see SubscriberStore.list). The walk: RADIUS bindings NAS by NAS (NAS
   * names sorted), each NAS in bind order, then those without a NAS, then static ones in file
   * order. The cursor is the position reached (phase, bind sequence): a rebind moves a binding to
   * the end of its phase. Filtering by MSISDN reads the MSISDN index only; by NAS, that NAS only.
   * Throws ERR_SUBSCRIBER_CURSOR on a cursor that does not parse.
   */
  list(filter: SubscriberFilter, limit: number, cursor?: string): SubscriberPage {
    const max = Math.max(1, Math.min(1000, Math.floor(limit) || 1));
    const from = cursor === undefined ? { p: '', s: 0 } : decodeCursor(cursor);
    const items: Subscriber[] = [];
    const matches = (b: Binding): boolean =>
      (filter.msisdn === undefined || b.msisdn === filter.msisdn) &&
      (filter.nas === undefined || b.nas === filter.nas) &&
      (filter.source === undefined || b.source === filter.source);
    let lastPhase = '';
    for (const [phase, bindings] of this.phases(filter)) {
      if (phase < from.p) continue;
      const after = phase === from.p ? from.s : 0;
      for (const b of bindings()) {
        const seq = seqOf(b);
        if (seq <= after || !matches(b)) continue;
        // one more match than the page holds: the cursor resumes after the page's last item
        if (items.length === max) return { items, nextCursor: encodeCursor(lastPhase, seqOf(items[items.length - 1] as Binding)) };
        items.push(b);
        lastPhase = phase;
      }
    }
    return { items };
  }

  /** The list walk's phases in order: [phase id, bindings in bind order]. Phase ids sort in walk order. */
  private phases(filter: SubscriberFilter): Array<[string, () => Iterable<Binding>]> {
    const out: Array<[string, () => Iterable<Binding>]> = [];
    if (filter.source !== 'static') {
      if (filter.msisdn !== undefined) {
        // few bindings per MSISDN: group them by phase and sort by bind order
        const groups = new Map<string, Binding[]>();
        for (const key of this.byMsisdn.get(filter.msisdn) ?? []) {
          const b = this.radius.peek(key);
          if (!b) continue;
          const id = b.nas !== undefined ? `r:${b.nas}` : 'r~';
          groups.set(id, [...(groups.get(id) ?? []), b]);
        }
        for (const id of [...groups.keys()].sort()) out.push([id, () => (groups.get(id) as Binding[]).sort((a, b) => seqOf(a) - seqOf(b))]);
      } else {
        const nases = filter.nas !== undefined ? (this.byNas.has(filter.nas) ? [filter.nas] : []) : [...this.byNas.keys()].sort();
        for (const nas of nases) out.push([`r:${nas}`, () => this.radiusOf(this.byNas.get(nas))]);
        if (filter.nas === undefined) out.push(['r~', () => this.radiusOf(this.noNas)]);
      }
    }
    if (filter.source !== 'radius' && filter.nas === undefined) {
      out.push([
        's',
        filter.msisdn !== undefined
          ? () => (this.staticByMsisdn.get(filter.msisdn as string) ?? []).map((k) => this.staticMap.get(k)).filter((b): b is Binding => b !== undefined)
          : () => this.staticMap.values(),
      ]);
    }
    return out;
  }

  private *radiusOf(keys: Set<string> | undefined): Iterable<Binding> {
    if (!keys) return;
    for (const key of keys) {
      const b = this.radius.peek(key);
      if (b) yield b;
    }
  }

  private dropStaticMsisdn(key: string): void {
    const old = this.staticMap.get(key);
    if (old?.msisdn === undefined) return;
    const rest = (this.staticByMsisdn.get(old.msisdn) ?? []).filter((k) => k !== key);
    if (rest.length > 0) this.staticByMsisdn.set(old.msisdn, rest);
    else this.staticByMsisdn.delete(old.msisdn);
  }

  private disposed(value: Binding, key: string, reason: LRUCache.DisposeReason): void {
    if (value.nas !== undefined) {
      const set = this.byNas.get(value.nas);
      if (set) {
        set.delete(key);
        if (set.size === 0) this.byNas.delete(value.nas);
      }
    } else {
      this.noNas.delete(key);
    }
    if (value.msisdn !== undefined) {
      const set = this.byMsisdn.get(value.msisdn);
      if (set) {
        set.delete(key);
        if (set.size === 0) this.byMsisdn.delete(value.msisdn);
      }
    }
    if (reason === 'evict') this.evicted(key);
  }

  private evicted(key: string): void {
    this.evictionsTotal++;
    this.evictionsSinceLog++;
    this.metrics?.subscriberEvictions.inc();
    const t = this.now();
    if (t - this.lastEvictionLog >= this.evictionLogIntervalMs) {
      this.logger?.warn(
        { evicted: this.evictionsSinceLog, lastKey: key, maxEntries: this.maxEntries },
        'subscriber table full: least recently used bindings evicted (raise subscribers.maxEntries?)',
      );
      this.lastEvictionLog = t;
      this.evictionsSinceLog = 0;
    }
  }

  private intern(s: string | undefined): string | undefined {
    if (s === undefined) return undefined;
    const hit = this.interned.get(s);
    if (hit !== undefined) return hit;
    if (this.interned.size < INTERN_MAX) this.interned.set(s, s);
    return s;
  }

  private updateGauges(): void {
    if (!this.counters) return;
    this.counters.radius.set(this.radius.size);
    this.counters.static.set(this.staticMap.size);
  }
}

/** A list cursor: the phase id and bind sequence reached, base64url of JSON (opaque to callers). */
function encodeCursor(p: string, s: number): string {
  return Buffer.from(JSON.stringify({ p, s })).toString('base64url');
}

function decodeCursor(c: string): { p: string; s: number } {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (v && typeof v === 'object' && typeof (v as { p: unknown }).p === 'string' && Number.isSafeInteger((v as { s: unknown }).s)) {
      return v as { p: string; s: number };
    }
  } catch {
    // falls through to the error below
  }
  throw new WapgwError('ERR_SUBSCRIBER_CURSOR', 'not a cursor from this listing', { status: 400 });
}
