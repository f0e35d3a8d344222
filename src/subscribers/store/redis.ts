/**
 * The shared subscriber store (`subscribers.store: redis`): RADIUS bindings live in Redis or
 * Valkey, so every gateway instance and every proxy worker sees the same table.
 *
 * Reads: each instance keeps a bounded local cache (`subscribers.redis.cacheEntries`) of what it
 * read, bindings and "not bound" alike. The server keeps it right: the connection speaks RESP3
 * with CLIENT TRACKING on (Redis 6+ / Valkey "server-assisted client-side caching"), so every
 * key this connection read is reported back in an `invalidate` push as soon as anyone changes
 * it, and the entry is dropped. Replies and pushes share one connection, in order, so a reply
 * can never be overtaken by the invalidation of a change made after it was read.
 * A cache hit is answered synchronously; a miss is one round trip (GET).
 *
 * Failure semantics ("no one gets in where they don't belong", README "Shared subscriber store"):
 * - the cache is used only while invalidations are known to arrive: every `heartbeatMs` the
 *   instance writes a key of its own that it has read, and the server must report that write
 *   back. When the last report is older than `livenessMs`, or the connection drops, the cache is
 *   emptied and not used again until a fresh report arrives; lookups then go to the server;
 * - when the server cannot be reached, lookups reject with ERR_STORE_UNAVAILABLE (the caller
 *   refuses the request with that reason), RADIUS accounting is not answered (the NAS
 *   retransmits), /healthz answers 503, wapgw_subscriber_store_up is 0 and
 *   wapgw_subscriber_store_unavailable_total counts refusals; the client reconnects by itself;
 * - an unreachable server at start is a degraded state, not a start error.
 *
 * Writes: the RADIUS rules run on the server as Lua (scripts.ts), one script per record.
 * Static-file bindings stay in each instance (a local SubscriberTable's static layer): the file is
 * configuration every instance loads, and a reload on one never rewrites another's.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { createClient } from 'redis';
import type { Config } from '../../config/schema';
import type { Component, Listening } from '../../core/component';
import { WapgwError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { Metrics } from '../../ops/metrics';
import { eventTime, MAX_CONTEXTS, STALE_TOLERANCE_MS, type AccountingOutcome, type AccountingRequest } from '../accounting';
import { endedSessionsMax, SubscriberTable, tableKey } from '../table';
import type { Subscriber, SubscriberFilter, SubscriberPage, SubscriberStore } from '../types';
import { APPLY_ACCOUNTING, BIND, FLUSH_NAS, UNBIND } from './scripts';

/** What the RADIUS server needs of a store that applies accounting itself (atomically, shared). */
export interface SharedAccounting {
  /**
   * Applies one record; `duplicateId` (source, port, Identifier, authenticator) makes an exact
   * retransmission within `windowMs`, to any instance, return the first outcome with `duplicate`.
   * Rejects with ERR_STORE_UNAVAILABLE when the store cannot be reached.
   */
  applyAccounting(req: AccountingRequest, now: number, duplicateId: string, windowMs: number): Promise<AccountingOutcome & { duplicate?: boolean }>;
}

export interface RedisStoreOptions {
  config: Config['subscribers'];
  metrics?: Metrics;
  logger?: Logger;
  /** Wall clock (ms since epoch). */
  now?: () => number;
}

const FIND_BY_MSISDN = `
local k = redis.call('ZREVRANGE', ARGV[1] .. 'm:' .. ARGV[2], 0, 0)[1]
if k then return redis.call('GET', ARGV[1] .. 'b:' .. k) end
return false
`;

interface Script {
  text: string;
  sha: string;
}
const script = (text: string): Script => ({ text, sha: createHash('sha1').update(text).digest('hex') });
const SCRIPTS = {
  apply: script(APPLY_ACCOUNTING),
  bind: script(BIND),
  unbind: script(UNBIND),
  flush: script(FLUSH_NAS),
  findByMsisdn: script(FIND_BY_MSISDN),
};

type Client = ReturnType<typeof createClient>;

/** A list cursor: phase (r = RADIUS bindings in Redis by sequence, s = local static) and position. */
interface Cursor {
  p: 'r' | 's';
  s?: number;
  c?: string;
}

/** Decodes a stored binding (JSON written by the scripts); null on anything else. */
function decodeBinding(v: unknown): Subscriber | null {
  if (typeof v !== 'string' && !Buffer.isBuffer(v)) return null;
  try {
    const o = JSON.parse(v.toString()) as Subscriber & { sessions?: unknown };
    if (typeof o.key !== 'string' || o.source !== 'radius') return null;
    // the Lua cjson library writes an empty table as {}: keep only real session lists
    if (!Array.isArray(o.sessions)) delete o.sessions;
    return o;
  } catch {
    return null;
  }
}

export class RedisSubscriberStore implements Component<Config>, SubscriberStore, SharedAccounting {
  readonly name = 'subscriber-store';
  readonly maxEntries: number;
  private readonly cfg: Config['subscribers']['redis'];
  private readonly prefix: string;
  private readonly endedMax: number;
  private readonly local: SubscriberTable;
  /** Table key -> RADIUS binding, or null for "not bound" (the static layer is local). */
  private readonly cache: LRUCache<string, Subscriber | { none: true }>;
  private readonly metrics: Metrics | undefined;
  private readonly counters: { hit: { inc(): void }; miss: { inc(): void }; found: { inc(): void }; notFound: { inc(): void } } | undefined;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private client: Client | undefined;
  private currentUrl: string | undefined;
  private rediscovering = false;
  private connected = false;
  /** Invalidations proven to arrive (see the header). */
  private live = false;
  /** Bumped whenever the cache is emptied: a read begun before must not fill it. */
  private epoch = 0;
  private lastProof = -Infinity;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight = false;
  private readonly heartbeatKey: string;
  private heartbeatValue = 0;
  private radiusCount = 0;
  private evictionCount = 0;
  private closed = false;
  private lastError: string | undefined;
  private readonly NONE = { none: true as const };

  constructor(opts: RedisStoreOptions) {
    this.cfg = opts.config.redis;
    this.maxEntries = opts.config.maxEntries;
    this.prefix = this.cfg.keyPrefix;
    this.endedMax = endedSessionsMax(this.maxEntries);
    this.local = new SubscriberTable({ maxEntries: this.maxEntries });
    this.cache = new LRUCache({ max: this.cfg.cacheEntries });
    this.metrics = opts.metrics;
    const m = opts.metrics;
    this.counters = m && {
      hit: m.storeCacheLookups.labels({ result: 'hit' }),
      miss: m.storeCacheLookups.labels({ result: 'miss' }),
      found: m.subscriberLookups.labels({ result: 'hit' }),
      notFound: m.subscriberLookups.labels({ result: 'miss' }),
    };
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.heartbeatKey = `${this.prefix}hb:${process.pid}:${Math.random().toString(36).slice(2)}`;
    m?.storeUp.set(0);
  }

  // ---- lifecycle (a gateway component) -------------------------------------------------

  /**
   * Connects. Resolves once connected, or after `connectTimeoutMs` in a degraded state (logged;
   * the client keeps trying). A URL the client cannot use at all throws ERR_STORE_CONFIG.
   */
  async start(): Promise<Listening[]> {
    const cfg = this.cfg;
    let url = cfg.url;
    if (cfg.sentinel) {
      const master = await this.discover();
      if (master) url = master;
      else this.logger?.error({ sentinels: cfg.sentinel.nodes, name: cfg.sentinel.name, err: this.lastError }, 'no sentinel named the master');
    }
    const client = this.connectTo(url);
    const connecting = client.connect().then(
      () => true,
      (err: unknown) => {
        this.onError(err as Error);
        return false;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), cfg.connectTimeoutMs);
      timer.unref();
    });
    const ok = await Promise.race([connecting, timeout]);
    clearTimeout(timer);
    if (ok) await this.heartbeat();
    else this.logger?.error({ url: redactUrl(url), err: this.lastError }, 'subscriber store unreachable at start: degraded (lookups refused, RADIUS not answered) until it answers');
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), cfg.heartbeatMs);
    this.heartbeatTimer.unref();
    return [];
  }

  /** A RESP3 client with CLIENT TRACKING (node-redis `emitInvalidate`) toward `url`; events from a replaced client are ignored. */
  private connectTo(url: string): Client {
    const cfg = this.cfg;
    const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** Math.min(retries, 5), 1000);
    let client: Client;
    try {
      client = createClient({ url, RESP: 3, emitInvalidate: true, disableOfflineQueue: true, socket: { connectTimeout: cfg.connectTimeoutMs, reconnectStrategy } });
    } catch (err) {
      throw new WapgwError('ERR_STORE_CONFIG', `subscribers.redis: ${(err as Error).message}`, { cause: err });
    }
    this.client = client;
    this.currentUrl = url;
    const mine = (f: () => void) => () => {
      if (this.client === client) f();
    };
    client.on('error', (err: Error) => {
      if (this.client === client) this.onError(err);
    });
    client.on('ready', mine(() => this.onReady()));
    client.on('end', mine(() => this.onDown('connection closed')));
    client.on('reconnecting', mine(() => this.onDown('reconnecting')));
    client.on('invalidate', (key: unknown) => {
      if (this.client === client) this.onInvalidate(key);
    });
    return client;
  }

  /**
   * Sentinel: asks each sentinel in turn for the master's address (SENTINEL
   * get-master-addr-by-name); the URL to connect to (credentials and db from `url`), or undefined.
   */
  private async discover(): Promise<string | undefined> {
    const sentinel = this.cfg.sentinel;
    if (!sentinel) return undefined;
    for (const node of sentinel.nodes) {
      const c = createClient({ url: `redis://${node}`, disableOfflineQueue: true, socket: { connectTimeout: this.cfg.connectTimeoutMs, reconnectStrategy: false } });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const r = (await c.sendCommand(['SENTINEL', 'get-master-addr-by-name', sentinel.name])) as unknown[] | null;
        if (Array.isArray(r) && r.length === 2) {
          const u = new URL(this.cfg.url);
          u.hostname = String(r[0]).includes(':') ? `[${String(r[0])}]` : String(r[0]);
          u.port = String(r[1]);
          return u.toString();
        }
      } catch (err) {
        this.lastError = `sentinel ${node}: ${(err as Error).message}`;
      } finally {
        // a client whose connect failed or that the library already closed throws "The client is
        // closed" here: nothing left to release
        if (c.isOpen) c.destroy();
      }
    }
    return undefined;
  }

  /**
   * Sentinel: while disconnected (or talking to a demoted master), look for the master again;
   * switch when it moved. Called without waiting (`void`), so it never rejects: a failure is the
   * store's last error and the next heartbeat tries again.
   */
  private async rediscover(): Promise<void> {
    if (!this.cfg.sentinel || this.closed || this.rediscovering) return;
    this.rediscovering = true;
    try {
      const url = await this.discover();
      if (url && url !== this.currentUrl && !this.closed) {
        this.logger?.warn({ from: this.currentUrl && redactUrl(this.currentUrl), to: redactUrl(url) }, 'sentinel: the master moved; reconnecting');
        const old = this.client;
        this.connectTo(url).connect().catch((err: unknown) => this.onError(err as Error));
        this.onDown('master moved');
        try {
          old?.destroy();
        } catch {
          // already closed
        }
      }
    } catch (err) {
      this.lastError = `sentinel: ${(err as Error).message}`;
    } finally {
      this.rediscovering = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.setLive(false, 'closed');
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    try {
      c.destroy();
    } catch {
      // already closed
    }
  }

  /** Down while the store is unreachable or its invalidations are not known to arrive. */
  healthy(): boolean {
    return this.connected && this.live;
  }

  status(): Record<string, unknown> {
    return {
      store: 'redis',
      ...(this.currentUrl !== undefined ? { url: redactUrl(this.currentUrl) } : {}),
      connected: this.connected,
      invalidationsLive: this.live,
      ...(this.lastError !== undefined && !this.connected ? { lastError: this.lastError } : {}),
      cached: this.cache.size,
      radius: this.radiusCount,
      static: this.local.sizeOf('static'),
      maxEntries: this.maxEntries,
      evictions: this.evictionCount,
    };
  }

  get size(): number {
    return this.radiusCount + this.local.sizeOf('static');
  }

  // ---- reads --------------------------------------------------------------------------

  /**
   * Synchronous lookup: the cached answer (only while invalidations are live), else undefined.
   * Request paths use `resolve`, which goes to the server on a miss.
   */
  lookup(ip: string): Subscriber | undefined {
    const key = tableKey(ip);
    if (key === null || !this.live) return undefined;
    const c = this.cache.get(key);
    if (c === undefined) return undefined;
    return 'none' in c ? this.local.peekStatic(key) : c;
  }

  /** The subscriber of a source address: from the cache when it can be trusted, else one round trip. */
  resolve(ip: string): Subscriber | undefined | Promise<Subscriber | undefined> {
    const key = tableKey(ip);
    if (key === null) {
      this.counters?.notFound.inc();
      return undefined;
    }
    if (this.live) {
      const c = this.cache.get(key);
      if (c !== undefined) {
        this.counters?.hit.inc();
        const found = 'none' in c ? this.local.peekStatic(key) : c;
        (found ? this.counters?.found : this.counters?.notFound)?.inc();
        return found;
      }
    }
    this.counters?.miss.inc();
    return this.fetch(key);
  }

  private async fetch(key: string): Promise<Subscriber | undefined> {
    const epoch = this.epoch;
    const wasLive = this.live;
    const v = await this.command('lookup', ['GET', `${this.prefix}b:${key}`]);
    const b = decodeBinding(v);
    if (wasLive && this.live && epoch === this.epoch) this.cache.set(key, b ?? this.NONE);
    const found = b ?? this.local.peekStatic(key);
    (found ? this.counters?.found : this.counters?.notFound)?.inc();
    return found;
  }

  async findByMsisdn(msisdn: string): Promise<Subscriber | undefined> {
    const v = await this.run('lookup', SCRIPTS.findByMsisdn, [this.prefix, msisdn]);
    return decodeBinding(v) ?? this.local.findByMsisdn(msisdn);
  }

  /**
   * One page: RADIUS bindings from the server in bind order (the MSISDN or NAS index when
   * filtered), then this instance's static bindings. Cursor errors: ERR_SUBSCRIBER_CURSOR.
   */
  async list(filter: SubscriberFilter, limit: number, cursor?: string): Promise<SubscriberPage> {
    const max = Math.max(1, Math.min(1000, Math.floor(limit) || 1));
    let at: Cursor = cursor === undefined ? { p: 'r', s: 0 } : decodeCursor(cursor);
    const items: Subscriber[] = [];
    if (at.p === 'r' && filter.source !== 'static') {
      const zset =
        filter.msisdn !== undefined ? `${this.prefix}m:${filter.msisdn}` : filter.nas !== undefined ? `${this.prefix}n:${filter.nas}` : `${this.prefix}all`;
      let after = at.s ?? 0;
      for (;;) {
        const batch = (await this.command('list', ['ZRANGE', zset, `(${after}`, '+inf', 'BYSCORE', 'LIMIT', '0', String(max + 1), 'WITHSCORES'])) as unknown[];
        const pairs = toPairs(batch);
        if (pairs.length === 0) break;
        const values = (await this.command('list', ['MGET', ...pairs.map(([k]) => `${this.prefix}b:${k}`)])) as unknown[];
        for (let i = 0; i < pairs.length; i++) {
          const [, seq] = pairs[i] as [string, number];
          const b = decodeBinding(values[i]);
          if (b && (filter.msisdn === undefined || b.msisdn === filter.msisdn) && (filter.nas === undefined || b.nas === filter.nas)) {
            // one more match than the page holds: resume after the last pair looked at
            if (items.length === max) return { items, nextCursor: encodeCursor({ p: 'r', s: after }) };
            items.push(b);
          }
          after = seq;
        }
        if (pairs.length < max + 1) break;
      }
      at = { p: 's' };
    }
    if (filter.source === 'radius' || filter.nas !== undefined) return { items };
    if (at.p !== 's') at = { p: 's' };
    const room = max - items.length;
    const page = this.local.list({ ...filter, source: 'static' }, Math.max(1, room), at.c);
    if (room === 0) {
      return page.items.length > 0 ? { items, nextCursor: encodeCursor({ p: 's', ...(at.c !== undefined ? { c: at.c } : {}) }) } : { items };
    }
    items.push(...page.items);
    return page.nextCursor !== undefined ? { items, nextCursor: encodeCursor({ p: 's', c: page.nextCursor }) } : { items };
  }

  // ---- writes -------------------------------------------------------------------------

  async applyAccounting(req: AccountingRequest, now: number, duplicateId: string, windowMs: number): Promise<AccountingOutcome & { duplicate?: boolean }> {
    const { warnings: _w, ...rest } = req;
    const json = JSON.stringify({ ...rest, at: eventTime(req, now) });
    const out = await this.run('accounting', SCRIPTS.apply, [
      this.prefix,
      String(this.maxEntries),
      String(this.endedMax),
      json,
      String(STALE_TOLERANCE_MS),
      String(MAX_CONTEXTS),
      duplicateId,
      String(windowMs),
    ]);
    const parsed = JSON.parse(String(out)) as AccountingOutcome & { duplicate?: boolean };
    if (!Array.isArray(parsed.results)) parsed.results = [];
    // our own writes: drop what we cached now rather than when the server's report arrives
    for (const r of parsed.results) {
      if (r.key !== undefined) this.cache.delete(r.key);
      else if (r.action === 'flushed') this.clearCache();
    }
    return parsed;
  }

  /** Binds a RADIUS binding directly (tests, tools); static bindings go through `replaceStatic`. */
  async bind(sub: Subscriber): Promise<void> {
    if (sub.source === 'static') {
      this.local.bind(sub);
      return;
    }
    const key = tableKey(sub.key);
    if (key === null) throw new WapgwError('ERR_SUBSCRIBER_KEY', `subscriber key "${sub.key}" is not an IPv4 address or IPv6 /64`);
    await this.run('accounting', SCRIPTS.bind, [this.prefix, String(this.maxEntries), String(this.endedMax), JSON.stringify({ ...sub, key })]);
    this.cache.delete(key);
  }

  async unbind(ipOrKey: string, acctSessionId?: string): Promise<boolean> {
    const key = tableKey(ipOrKey);
    if (key === null) return false;
    const n = await this.run('accounting', SCRIPTS.unbind, [this.prefix, String(this.maxEntries), String(this.endedMax), key, acctSessionId ?? '']);
    this.cache.delete(key);
    if (Number(n) === 1) return true;
    return acctSessionId === undefined ? this.local.unbind(key) : false;
  }

  async flushNas(nas: string): Promise<number> {
    const n = await this.run('accounting', SCRIPTS.flush, [this.prefix, String(this.maxEntries), String(this.endedMax), nas]);
    this.clearCache();
    return Number(n);
  }

  /** The static layer (this instance's file): same contract as SubscriberTable.replaceStatic. */
  replaceStatic(subs: readonly Subscriber[]): number {
    return this.local.replaceStatic(subs);
  }

  /** The static binding of a key (this instance's file). */
  peekStatic(ipOrKey: string): Subscriber | undefined {
    return this.local.peekStatic(ipOrKey);
  }

  /** The RADIUS binding of a key, read from the server (no cache): tests and tools. */
  async peekRadius(ipOrKey: string): Promise<Subscriber | undefined> {
    const key = tableKey(ipOrKey);
    if (key === null) return undefined;
    return decodeBinding(await this.command('lookup', ['GET', `${this.prefix}b:${key}`])) ?? undefined;
  }

  /** True when a Stop of session `sid` of `key` from `nas` is remembered on the server. */
  async hasEnded(nas: string, ipOrKey: string, sid: string): Promise<boolean> {
    const key = tableKey(ipOrKey);
    if (key === null) return false;
    return (await this.command('lookup', ['ZSCORE', `${this.prefix}e:${nas}`, `${key}\n${sid}`])) !== null;
  }

  /** Deletes every key under the prefix (tests and `bench/`). */
  async wipe(): Promise<void> {
    let cursor = '0';
    do {
      const r = (await this.command('list', ['SCAN', cursor, 'MATCH', `${this.prefix}*`, 'COUNT', '1000'])) as [unknown, unknown[]];
      cursor = String(r[0]);
      const keys = (r[1] ?? []).map(String);
      if (keys.length > 0) await this.command('list', ['UNLINK', ...keys]);
    } while (cursor !== '0');
    this.clearCache();
  }

  /** True while the local cache may answer (tests, bench). */
  get cacheLive(): boolean {
    return this.live;
  }

  // ---- plumbing -----------------------------------------------------------------------

  /** Sends one command with the store's timeout; failures become ERR_STORE_UNAVAILABLE (counted per op). */
  private async command(op: string, args: string[]): Promise<unknown> {
    const c = this.client;
    if (!c || !this.connected) throw this.unavailable(op, this.lastError ?? 'not connected');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        c.sendCommand(args),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.cfg.commandTimeoutMs} ms`)), this.cfg.commandTimeoutMs);
        }),
      ]);
    } catch (err) {
      if (err instanceof WapgwError) throw err;
      const msg = (err as Error).message ?? String(err);
      if (/READONLY/.test(msg)) void this.rediscover();
      if (/^(ERR|NOSCRIPT|WRONGTYPE)/.test(msg)) throw new WapgwError('ERR_STORE_COMMAND', `subscriber store: ${msg}`, { cause: err });
      throw this.unavailable(op, msg);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(op: string, s: Script, argv: string[]): Promise<unknown> {
    try {
      return await this.command(op, ['EVALSHA', s.sha, '0', ...argv]);
    } catch (err) {
      if (!(err instanceof WapgwError) || !/NOSCRIPT/.test(err.message)) throw err;
      return this.command(op, ['EVAL', s.text, '0', ...argv]);
    }
  }

  private unavailable(op: string, why: string): WapgwError {
    this.metrics?.storeUnavailable.inc({ op });
    return new WapgwError('ERR_STORE_UNAVAILABLE', `subscriber store unavailable: ${why}`, { status: 503 });
  }

  /** Writes the instance's own key after reading it; the server's report of that write proves invalidations arrive. */
  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    if (this.live && this.now() - this.lastProof > this.cfg.livenessMs) this.setLive(false, 'no invalidation report within subscribers.redis.livenessMs');
    const c = this.client;
    if (!this.connected) void this.rediscover();
    if (!c || !this.connected || this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    try {
      const v = String(++this.heartbeatValue);
      const ttl = String(Math.max(10, Math.ceil((this.cfg.livenessMs * 10) / 1000)));
      const [, , count, evictions] = (await this.raw(c, [
        ['GET', this.heartbeatKey],
        ['SET', this.heartbeatKey, v, 'EX', ttl],
        ['ZCARD', `${this.prefix}all`],
        ['GET', `${this.prefix}evictions`],
      ])) as [unknown, unknown, unknown, unknown];
      this.radiusCount = Number(count) || 0;
      this.evictionCount = Number(evictions) || 0;
    } catch (err) {
      this.lastError = (err as Error).message;
      // a demoted master answers writes with READONLY: the master is elsewhere now
      if (/READONLY/.test(this.lastError)) void this.rediscover();
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  /** A pipeline of commands with the store's timeout. */
  private async raw(c: Client, cmds: string[][]): Promise<unknown[]> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.all(cmds.map((a) => c.sendCommand(a))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.cfg.commandTimeoutMs} ms`)), this.cfg.commandTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private onInvalidate(key: unknown): void {
    if (key === null || key === undefined) {
      // the server dropped its tracking table (FLUSHALL, or it forgot our keys): everything goes
      this.clearCache();
      return;
    }
    const k = String(key);
    if (k === this.heartbeatKey) {
      this.lastProof = this.now();
      if (!this.live && this.connected) this.setLive(true, 'invalidations arrive');
      return;
    }
    const b = `${this.prefix}b:`;
    if (k.startsWith(b) && this.cache.delete(k.slice(b.length))) this.metrics?.storeInvalidations.inc();
  }

  private onReady(): void {
    this.connected = true;
    this.lastError = undefined;
    // a new connection: nothing cached before can be trusted; CLIENT TRACKING is on again (handshake)
    this.clearCache();
    this.logger?.info({ url: redactUrl(this.currentUrl ?? this.cfg.url) }, 'subscriber store connected');
    void this.heartbeat();
  }

  private onDown(why: string): void {
    const was = this.connected;
    this.connected = false;
    this.lastError ??= why;
    this.setLive(false, why);
    if (was && !this.closed) this.logger?.error({ why, err: this.lastError }, 'subscriber store connection lost: lookups refused until it returns');
  }

  private onError(err: Error): void {
    this.lastError = err.message || String(err);
    // the client reconnects by itself; the state changes come with 'end' / 'reconnecting' / 'ready'
  }

  private setLive(live: boolean, why: string): void {
    if (this.live === live) return;
    this.live = live;
    this.clearCache();
    this.metrics?.storeUp.set(live ? 1 : 0);
    if (!this.closed) this.logger?.[live ? 'info' : 'warn']({ why }, live ? 'subscriber store cache in use' : 'subscriber store cache not trusted: emptied');
  }

  private clearCache(): void {
    this.epoch++;
    this.cache.clear();
  }
}

/** [member, score] pairs of a ZRANGE ... WITHSCORES reply (RESP3 gives pairs, RESP2 a flat list). */
function toPairs(reply: unknown[]): Array<[string, number]> {
  if (reply.length > 0 && Array.isArray(reply[0])) return (reply as unknown[][]).map((p) => [String(p[0]), Number(p[1])]);
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), Number(reply[i + 1])]);
  return out;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(s: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (v && (v.p === 'r' || v.p === 's') && (v.s === undefined || Number.isSafeInteger(v.s)) && (v.c === undefined || typeof v.c === 'string')) return v;
  } catch {
    // falls through
  }
  throw new WapgwError('ERR_SUBSCRIBER_CURSOR', 'not a cursor from this listing', { status: 400 });
}

/** A URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
