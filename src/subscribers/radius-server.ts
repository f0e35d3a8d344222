/**
 * RADIUS accounting server (RFC 2866; TS 29.061 §16: the GGSN / P-GW / SMF is the NAS) that
 * feeds the subscriber table, plus optional forwarding of every accounting packet downstream.
 *
 * Per datagram, in this order (RFC 2866 §3 and §4.1, RFC 5080 §2.2.2):
 * 1. the source address must match a configured client (`radius.clients`, address or CIDR, most
 *    specific first); otherwise dropped silently;
 * 2. cut to the Length field; only Accounting-Request (code 4) is served;
 * 3. an exact retransmission (same source address, port, Identifier and authenticator) inside
 *    `radius.duplicateWindowMs` is answered from a bounded cache, and changes nothing again;
 * 4. the request authenticator, then any Message-Authenticator, are checked with that client's
 *    secret in constant time (radius-packet.ts); a mismatch is dropped silently;
 * 5. attributes are decoded by npm `radius` with the project's 3GPP dictionary and applied to the
 *    table (accounting.ts) synchronously; only then is the Accounting-Response sent, so a reply
 *    always means "stored" (or, for a late Start/Interim, "seen and deliberately not applied":
 *    outcome `stale`, logged at info);
 * 6. the request is copied to each `radius.forward` server, re-signed with its secret, after our
 *    reply and without waiting for theirs (a bounded number of retries, then given up).
 * Every packet is counted in wapgw_radius_packets_total{type,outcome}. Replies are never larger
 * than the request (only Proxy-State is echoed): no amplification.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';
import { countBound } from '../core/bounded';
import radius from 'radius';
import type { Config } from '../config/schema';
import type { Logger } from '../core/logger';
import { inCidr, normalizeAddress, parseAddress, parseCidr, type Cidr } from '../core/net';
import type { Component, Listening } from '../core/component';
import type { Metrics } from '../ops/metrics';
import { applyAccounting, extractAccounting, type AccountingOutcome, type AccountingRequest, type StatusType } from './accounting';
import { ensure3gppDictionary } from './radius-dictionary';
import { ratTypeName } from '../codec/rat-type';
import {
  attributes,
  CODE_ACCOUNTING_REQUEST,
  encodeAccountingResponse,
  resignRequest,
  sliceToLength,
  verifyAccountingResponse,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  type RawAttribute,
} from './radius-packet';
import type { SharedAccounting } from './store/redis';
import type { SubscriberTable } from './table';
import { WapgwError } from '../core/errors';

export type PacketOutcome =
  | 'ok'
  | 'duplicate'
  | 'unknown-client'
  | 'bad-authenticator'
  | 'bad-message-authenticator'
  | 'malformed'
  | 'unsupported-code'
  | 'error'
  /** Answered, changed nothing for at least one address: a late Start/Interim (accounting.ts). */
  | 'stale'
  /** The shared subscriber store could not be reached: not answered, so the NAS retransmits. */
  | 'store-unavailable';

export interface HandleResult {
  /** The Accounting-Response to send; absent means drop silently. */
  reply?: Buffer;
  outcome: PacketOutcome;
  type: StatusType | 'unknown';
  /** The verified request, to copy downstream. */
  forward?: Buffer;
}

interface Client {
  cidr: Cidr;
  secret: string;
  name: string;
}

export interface RadiusServerDeps {
  config: Config['radius'];
  table: SubscriberTable;
  /**
   * A shared store (subscribers.store: redis) that applies accounting on its server, atomically,
   * with the retransmission cache shared by every instance. When set, `table` is not changed.
   */
  shared?: SharedAccounting & { status(): Record<string, unknown> };
  metrics: Metrics;
  logger: Logger;
  /** Wall clock for binding times (default Date.now). */
  now?: () => number;
  /** Forwarding: wait this long for a downstream answer before a retry (default 2000 ms). */
  forwardTimeoutMs?: number;
  /** Forwarding: retries after the first send (default 2). */
  forwardRetries?: number;
  /** Retransmission cache size (default 65536 replies). */
  duplicateCacheSize?: number;
}

/** Dropped packets (unknown NAS, bad authenticator) are logged at info at most once per source and outcome per interval. */
const DROP_LOG_INTERVAL_MS = 60_000;
const DROP_LOG_SOURCES = 1024;
const DROP_MESSAGES: Partial<Record<PacketOutcome, string>> = {
  'unknown-client': 'RADIUS packet from an unknown NAS dropped (not in radius.clients)',
  'bad-authenticator': 'RADIUS packet with a bad authenticator dropped (wrong secret?)',
  'bad-message-authenticator': 'RADIUS packet with a bad Message-Authenticator dropped (wrong secret?)',
};
/** What a table change is called in the info log. */
const BINDING_MESSAGES: Partial<Record<string, string>> = {
  bound: 'subscriber bound',
  replaced: 'subscriber binding replaced',
  unbound: 'subscriber unbound',
  'context-added': 'subscriber context added',
  'context-removed': 'subscriber context removed',
};

/** Acct-Status-Type read straight from the verified bytes, for metric labels. */
const STATUS_LABEL: Record<number, StatusType> = { 1: 'start', 2: 'stop', 3: 'interim', 7: 'accounting-on', 8: 'accounting-off' };

export class RadiusAccountingServer implements Component<Config> {
  readonly name = 'radius';
  private readonly config: Config['radius'];
  private readonly table: SubscriberTable;
  private readonly shared: (SharedAccounting & { status(): Record<string, unknown> }) | undefined;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly clients: Client[];
  private readonly replies: LRUCache<string, Buffer>;
  private readonly forwarder: AccountingForwarder | undefined;
  private socket: Socket | undefined;
  private up = false;
  /** source|outcome -> {last log time, packets dropped since} for the throttled drop lines. */
  private readonly dropLog = new LRUCache<string, { at: number; suppressed: number }>({ max: DROP_LOG_SOURCES });

  constructor(deps: RadiusServerDeps) {
    this.config = deps.config;
    this.table = deps.table;
    this.shared = deps.shared;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.clients = deps.config.clients
      .map((c, i) => {
        const cidr = parseCidr(c.address);
        if (typeof cidr === 'string') throw new Error(`radius.clients[${i}].address: ${cidr}`);
        return { cidr, secret: c.secret, name: c.name ?? c.address };
      })
      .sort((a, b) => b.cidr.prefix - a.cidr.prefix);
    this.replies = new LRUCache<string, Buffer>({ ...countBound(deps.duplicateCacheSize ?? 65536), ttl: deps.config.duplicateWindowMs, ttlAutopurge: false });
    if (deps.config.forward.length > 0) {
      this.forwarder = new AccountingForwarder({
        targets: deps.config.forward,
        metrics: deps.metrics,
        logger: deps.logger,
        timeoutMs: deps.forwardTimeoutMs ?? 2000,
        retries: deps.forwardRetries ?? 2,
      });
    }
    ensure3gppDictionary();
  }

  async start(): Promise<Listening[]> {
    const bind = this.config.bind;
    const socket = createSocket({ type: isIPv6(bind) ? 'udp6' : 'udp4' });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.config.port, bind, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => {
      this.up = false;
      this.logger.error({ err }, 'RADIUS socket error');
    });
    this.up = true;
    if (this.clients.length === 0) this.logger.warn('radius.clients is empty: every accounting packet will be dropped');
    if (this.forwarder) await this.forwarder.start();
    const a = socket.address();
    return [{ name: 'radius', protocol: 'udp', address: a.address, port: a.port }];
  }

  async close(): Promise<void> {
    this.up = false;
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    await this.forwarder?.close();
  }

  healthy(): boolean {
    return this.up;
  }

  status(): Record<string, unknown> {
    return {
      clients: this.clients.length,
      forward: this.config.forward.map((f) => `${f.host}:${f.port}`),
      repliesCached: this.replies.size,
      table: this.shared ? this.shared.status() : this.table.status(),
    };
  }

  /** Which configured client a source address belongs to. */
  clientFor(address: string): Client | undefined {
    const a = parseAddress(address);
    if (!a) return undefined;
    return this.clients.find((c) => inCidr(a, c.cidr));
  }

  /**
   * Handles one datagram; returns the reply to send (or undefined: drop) and the outcome, and
   * counts it. Public so unit tests can drive it without sockets.
   */
  handle(datagram: Buffer, from: { address: string; port: number }): HandleResult {
    if (this.shared) throw new WapgwError('ERR_RADIUS_SHARED', 'a shared store applies accounting asynchronously: use handleAsync');
    let r: HandleResult;
    try {
      const p = this.process(datagram, from);
      r = 'apply' in p ? this.finish(p, applyAccounting(this.table, p.req, this.now())) : p;
    } catch (err) {
      // Not stored, so no reply: the NAS retries.
      this.logger.error({ err, from: from.address }, 'accounting request failed');
      r = { outcome: 'error', type: 'unknown' };
    }
    return this.counted(r, from);
  }

  /** One info line per source and outcome per DROP_LOG_INTERVAL_MS, with how many were not logged. */
  /** Counts one request's outcome and logs a drop (rate-limited); the result passes through. */
  private counted(r: HandleResult, from: { address: string; port: number }): HandleResult {
    this.metrics.radiusPackets.inc({ type: r.type, outcome: r.outcome });
    const dropMsg = DROP_MESSAGES[r.outcome];
    if (dropMsg !== undefined) this.logDrop(dropMsg, r.outcome, from);
    return r;
  }

  private logDrop(msg: string, outcome: PacketOutcome, from: { address: string; port: number }): void {
    const source = normalizeAddress(from.address);
    const key = `${source}|${outcome}`;
    const now = this.now();
    const e = this.dropLog.get(key);
    if (e && now - e.at < DROP_LOG_INTERVAL_MS) {
      e.suppressed++;
      return;
    }
    const nas = outcome === 'unknown-client' ? undefined : this.clientFor(source)?.name;
    this.logger.info({ from: source, port: from.port, outcome, ...(nas ? { client: nas } : {}), ...(e ? { droppedSinceLastLine: e.suppressed } : {}) }, msg);
    this.dropLog.set(key, { at: now, suppressed: 0 });
  }

  /**
   * `handle` for either store: with a shared store, the record is applied on its server (the
   * retransmission check included) and the reply sent only once it is stored there; when the
   * store cannot be reached, nothing is answered (outcome `store-unavailable`) and the NAS retries.
   */
  async handleAsync(datagram: Buffer, from: { address: string; port: number }): Promise<HandleResult> {
    if (!this.shared) return this.handle(datagram, from);
    let r: HandleResult;
    try {
      const p = this.process(datagram, from);
      if ('apply' in p) {
        try {
          const outcome = await this.shared.applyAccounting(p.req, this.now(), p.cacheKey, this.config.duplicateWindowMs);
          if (outcome.duplicate) {
            const reply = encodeAccountingResponse(p.pkt, p.secret, p.attrs);
            this.replies.set(p.cacheKey, reply);
            r = { reply, outcome: 'duplicate', type: p.type };
          } else {
            r = this.finish(p, outcome);
          }
        } catch (err) {
          if (!(err instanceof WapgwError) || err.code !== 'ERR_STORE_UNAVAILABLE') throw err;
          this.logger.warn({ nas: p.req.nas, status: p.req.status, err: err.message }, 'accounting not applied (subscriber store unavailable): not answered, the NAS will retransmit');
          r = { outcome: 'store-unavailable', type: p.type };
        }
      } else {
        r = p;
      }
    } catch (err) {
      this.logger.error({ err, from: from.address }, 'accounting request failed');
      r = { outcome: 'error', type: 'unknown' };
    }
    return this.counted(r, from);
  }

  /** Logs what a record did and builds the reply (cached for retransmissions). */
  private finish(p: Verified, outcome: AccountingOutcome): HandleResult {
    const { req, client, pkt, attrs, type, cacheKey } = p;
    const stale = outcome.results.some((x) => x.action === 'stale');
    const ratType = ratTypeName(req.ratType);
    const log = stale || req.status === 'accounting-on' || req.status === 'accounting-off' ? 'info' : 'debug';
    this.logger[log](
      { client: client.name, nas: req.nas, status: req.status, session: req.sessionId, msisdn: req.msisdn, imsi: req.imsi, ratType, results: outcome.results },
      stale ? 'accounting record older than the binding or its session already stopped: not applied' : 'accounting',
    );
    // Each change of the table at info: created, replaced, removed (and contexts of a binding).
    for (const x of outcome.results) {
      const msg = BINDING_MESSAGES[x.action];
      if (msg === undefined) continue;
      this.logger.info(
        { ip: x.key, client: client.name, nas: req.nas, status: req.status, session: req.sessionId, msisdn: req.msisdn, imsi: req.imsi, ...(ratType ? { ratType } : {}), ...(req.apn ? { apn: req.apn } : {}) },
        msg,
      );
    }
    if (req.warnings.length > 0) this.logger.warn({ client: client.name, nas: req.nas, warnings: req.warnings }, 'accounting attributes ignored');
    const reply = encodeAccountingResponse(pkt, client.secret, attrs);
    this.replies.set(cacheKey, reply);
    return { reply, outcome: stale ? 'stale' : 'ok', type, forward: pkt };
  }

  /** Verifies and decodes a datagram: a final result (drop, duplicate...) or a request to apply. */
  private process(datagram: Buffer, from: { address: string; port: number }): HandleResult | Verified {
    const address = normalizeAddress(from.address);
    const client = this.clientFor(address);
    if (!client) return { outcome: 'unknown-client', type: 'unknown' };
    let pkt: Buffer;
    let attrs: RawAttribute[];
    try {
      pkt = sliceToLength(datagram);
      attrs = attributes(pkt);
    } catch {
      this.metrics.decodeErrors.inc({ layer: 'radius' });
      return { outcome: 'malformed', type: 'unknown' };
    }
    if (pkt[0] !== CODE_ACCOUNTING_REQUEST) return { outcome: 'unsupported-code', type: 'unknown' };
    const cacheKey = `${address}|${from.port}|${pkt[1]}|${pkt.subarray(4, 20).toString('hex')}`;
    const cached = this.replies.get(cacheKey);
    if (!verifyRequestAuthenticator(pkt, client.secret)) return { outcome: 'bad-authenticator', type: 'unknown' };
    const statusAttr = attrs.find((a) => a.type === 40 && a.value.length === 4);
    const type: StatusType = (statusAttr && STATUS_LABEL[statusAttr.value.readUInt32BE(0)]) || 'other';
    if (cached) return { reply: cached, outcome: 'duplicate', type };
    if (verifyMessageAuthenticator(pkt, client.secret, attrs) === false) return { outcome: 'bad-message-authenticator', type };
    let decoded: radius.RadiusPacket;
    try {
      decoded = radius.decode_without_secret({ packet: pkt });
    } catch (err) {
      this.metrics.decodeErrors.inc({ layer: 'radius' });
      this.logger.debug({ nas: client.name, err: (err as Error).message }, 'RADIUS attributes not decodable');
      return { outcome: 'malformed', type };
    }
    const req = extractAccounting(decoded, address);
    return { apply: true, req, client, secret: client.secret, pkt, attrs, type, cacheKey };
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.shared) {
      void this.handleAsync(msg, rinfo).then((r) => this.answer(r, rinfo));
      return;
    }
    this.answer(this.handle(msg, rinfo), rinfo);
  }

  private answer(r: HandleResult, rinfo: RemoteInfo): void {
    if (r.reply === undefined) {
      this.logger.debug({ from: rinfo.address, port: rinfo.port, outcome: r.outcome }, 'RADIUS packet dropped');
    }
    if (r.reply && this.socket) {
      this.socket.send(r.reply, rinfo.port, rinfo.address, (err) => {
        if (err) this.logger.warn({ err, to: rinfo.address }, 'cannot send Accounting-Response');
      });
    }
    if (r.forward) this.forwarder?.forward(r.forward);
  }
}

/** A verified, decoded Accounting-Request waiting to be applied. */
interface Verified {
  apply: true;
  req: AccountingRequest;
  client: Client;
  secret: string;
  pkt: Buffer;
  attrs: RawAttribute[];
  type: StatusType;
  cacheKey: string;
}

interface ForwardTarget {
  label: string;
  host: string;
  port: number;
  secret: string;
  socket?: Socket;
  nextId: number;
  pending: Map<number, { pkt: Buffer; tries: number; timer: NodeJS.Timeout }>;
}

/**
 * Copies accounting requests to downstream AAA servers, re-signed with their secrets. One
 * socket per server (its replies come back there); at most 256 requests in flight per server
 * (one per Identifier), each sent `1 + retries` times at most; counted per server and outcome.
 */
export class AccountingForwarder {
  private readonly targets: ForwardTarget[];
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private closed = false;

  constructor(opts: { targets: Config['radius']['forward']; metrics: Metrics; logger: Logger; timeoutMs: number; retries: number }) {
    this.targets = opts.targets.map((t) => ({
      label: `${t.host}:${t.port}`,
      host: t.host,
      port: t.port,
      secret: t.secret,
      nextId: Math.floor(Math.random() * 256),
      pending: new Map(),
    }));
    this.metrics = opts.metrics;
    this.logger = opts.logger;
    this.timeoutMs = opts.timeoutMs;
    this.retries = opts.retries;
  }

  async start(): Promise<void> {
    for (const t of this.targets) {
      const s = createSocket({ type: isIPv6(t.host.replace(/^\[|\]$/g, '')) ? 'udp6' : 'udp4' });
      s.on('message', (msg, rinfo) => this.answered(t, msg, rinfo));
      s.on('error', (err) => this.logger.warn({ err, server: t.label }, 'RADIUS forward socket error'));
      await new Promise<void>((resolve) => s.bind(0, () => resolve()));
      s.unref();
      t.socket = s;
    }
  }

  forward(pkt: Buffer): void {
    if (this.closed) return;
    for (const t of this.targets) {
      if (t.pending.size >= 256) {
        this.metrics.radiusForwarded.inc({ server: t.label, outcome: 'busy' });
        continue;
      }
      while (t.pending.has(t.nextId)) t.nextId = (t.nextId + 1) & 0xff;
      const id = t.nextId;
      t.nextId = (t.nextId + 1) & 0xff;
      const copy = resignRequest(pkt, t.secret, id);
      const entry = { pkt: copy, tries: 0, timer: undefined as unknown as NodeJS.Timeout };
      t.pending.set(id, entry);
      this.send(t, id, entry);
    }
  }

  private send(t: ForwardTarget, id: number, entry: { pkt: Buffer; tries: number; timer: NodeJS.Timeout }): void {
    entry.tries++;
    this.metrics.radiusForwarded.inc({ server: t.label, outcome: entry.tries === 1 ? 'sent' : 'retry' });
    t.socket?.send(entry.pkt, t.port, t.host.replace(/^\[|\]$/g, ''), (err) => {
      if (err) {
        this.metrics.radiusForwarded.inc({ server: t.label, outcome: 'error' });
        this.logger.debug({ err, server: t.label }, 'RADIUS forward send failed');
      }
    });
    entry.timer = setTimeout(() => {
      if (t.pending.get(id) !== entry) return;
      if (entry.tries <= this.retries && !this.closed) this.send(t, id, entry);
      else {
        t.pending.delete(id);
        this.metrics.radiusForwarded.inc({ server: t.label, outcome: 'timeout' });
        this.logger.warn({ server: t.label, tries: entry.tries }, 'RADIUS forward: no answer, given up');
      }
    }, this.timeoutMs);
    entry.timer.unref();
  }

  private answered(t: ForwardTarget, msg: Buffer, rinfo: RemoteInfo): void {
    if (rinfo.port !== t.port || msg.length < 20) return;
    const id = msg[1] as number;
    const entry = t.pending.get(id);
    if (!entry) return;
    if (!verifyAccountingResponse(entry.pkt, msg, t.secret)) {
      this.metrics.radiusForwarded.inc({ server: t.label, outcome: 'bad-response' });
      return;
    }
    clearTimeout(entry.timer);
    t.pending.delete(id);
    this.metrics.radiusForwarded.inc({ server: t.label, outcome: 'acked' });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.targets) {
      for (const e of t.pending.values()) clearTimeout(e.timer);
      t.pending.clear();
      const s = t.socket;
      t.socket = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}
