/**
 * The admin HTTP server (contract "Admin HTTP"): GET /healthz, /metrics, /status and
 * /subscribers/IP on admin.bind:admin.port. With admin.token set, every request needs
 * `Authorization: Bearer <token>` (compared in constant time) or gets 401. Read-only: any
 * method but GET/HEAD gets 405. The data comes from the gateway (an `AdminSource`), never
 * from module state.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Config } from '../config/schema';
import type { Component, Listening } from '../core/component';
import type { Logger } from '../core/logger';
import { drainHttpServer, listenHttp } from './http-server';
import { displayKey, parseAddress, subscriberKey } from '../core/net';
import { isWapgwError } from '../core/errors';
import type { Subscriber, SubscriberFilter, SubscriberPage, SubscriberStore } from '../subscribers/types';
import { ratTypeName } from '../codec/rat-type';
import type { Metrics } from './metrics';

/** What the admin server reads from the gateway. */
export interface AdminSource {
  healthy(): boolean;
  /** Names of the components that report themselves down (shown by /healthz). */
  unhealthy?(): string[];
  status(): Promise<Record<string, unknown>>;
  readonly subscribers: SubscriberStore | undefined;
  /** GET /pushes/PUSH-ID: the PPG's state of one push per address, undefined when unknown (or no PPG). */
  pushState?(pushId: string): Record<string, unknown> | undefined;
}

export interface AdminDeps {
  config: Config['admin'];
  logger: Logger;
  metrics: Metrics;
  gateway: AdminSource;
  /** /metrics text when it is not this registry's alone (aggregated across proxy workers). */
  metricsText?: () => Promise<string>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time check of an Authorization header against the token (hashes first so lengths match). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = m?.[1] ?? '';
  // Always compare, even when the header is missing, so timing does not tell which case it was.
  const same = timingSafeEqual(digest(given), digest(token));
  return same && m !== null;
}

export class AdminServer implements Component<Config> {
  readonly name = 'admin';
  private readonly server: Server;
  private token: string | null;
  private readonly logger: Logger;
  private requests = 0;

  constructor(private readonly deps: AdminDeps) {
    this.token = deps.config.token;
    this.logger = deps.logger;
    this.server = createServer({ maxHeaderSize: 8192, requestTimeout: 10000, headersTimeout: 5000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err, url: req.url }, 'admin request failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
  }

  async start(): Promise<Listening[]> {
    const { bind, port } = this.deps.config;
    const a = await listenHttp(this.server, port, bind);
    return [{ name: 'admin', protocol: 'tcp', address: a.address, port: a.port }];
  }

  healthy(): boolean {
    return this.server.listening;
  }

  status(): Record<string, unknown> {
    return { requests: this.requests, tokenRequired: this.token !== null };
  }

  prepareReload(next: Config): () => void {
    return () => {
      this.token = next.admin.token;
    };
  }

  async close(deadline: number): Promise<void> {
    await drainHttpServer(this.server, deadline);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    if (this.token !== null && !bearerMatches(req.headers.authorization, this.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="wapgw"');
      send(res, 401, 'text/plain; charset=utf-8', 'unauthorized\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') {
      const ok = this.deps.gateway.healthy();
      const down = ok ? [] : (this.deps.gateway.unhealthy?.() ?? []);
      send(res, ok ? 200 : 503, 'text/plain; charset=utf-8', ok ? 'ok\n' : down.length > 0 ? `unavailable: ${down.join(', ')}\n` : 'unavailable\n');
    } else if (path === '/metrics') {
      const reg = this.deps.metrics.registry;
      send(res, 200, reg.contentType, await (this.deps.metricsText ? this.deps.metricsText() : reg.metrics()));
    } else if (path === '/status') {
      sendJson(res, 200, await this.deps.gateway.status());
    } else if (path === '/subscribers') {
      await this.subscriberList(req.url ?? '/', res);
    } else if (path.startsWith('/pushes/')) {
      this.push(path.slice('/pushes/'.length), res);
    } else if (path.startsWith('/subscribers/')) {
      await this.subscriber(path.slice('/subscribers/'.length), res);
    } else {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }

  /**
   * GET /subscribers?msisdn=&nas=&source=static|radius&limit=&cursor= : one page of bindings
   * (`limit` 1..1000, default 100) and `nextCursor` when more may follow; pass it back as
   * `cursor` with the same filter.
   */
  private async subscriberList(url: string, res: ServerResponse): Promise<void> {
    const q = new URL(url, 'http://admin.invalid').searchParams;
    const store = this.deps.gateway.subscribers;
    if (!store) {
      sendJson(res, 503, { error: 'no subscriber table' });
      return;
    }
    const bad = (error: string): void => sendJson(res, 400, { error });
    for (const k of q.keys()) if (!LIST_PARAMS.has(k)) return bad(`unknown parameter "${k}"; use ${[...LIST_PARAMS].join(', ')}`);
    const limitText = q.get('limit');
    const limit = limitText === null ? DEFAULT_LIST_LIMIT : /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) return bad(`limit must be 1..${MAX_LIST_LIMIT}`);
    const source = q.get('source');
    if (source !== null && source !== 'static' && source !== 'radius') return bad('source must be static or radius');
    const filter: SubscriberFilter = {
      ...(q.get('msisdn') ? { msisdn: q.get('msisdn') as string } : {}),
      ...(q.get('nas') ? { nas: q.get('nas') as string } : {}),
      ...(source !== null ? { source } : {}),
    };
    let page: SubscriberPage;
    try {
      page = await store.list(filter, limit, q.get('cursor') ?? undefined);
    } catch (err) {
      if (isWapgwError(err) && err.code === 'ERR_SUBSCRIBER_CURSOR') return bad('cursor is not one this gateway gave out (or the filter changed)');
      throw err;
    }
    sendJson(res, 200, { items: page.items.map(subscriberJson), ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) });
  }

  private push(raw: string, res: ServerResponse): void {
    let id: string;
    try {
      id = decodeURIComponent(raw);
    } catch {
      sendJson(res, 400, { error: 'not a push-id' });
      return;
    }
    const state = this.deps.gateway.pushState?.(id);
    if (!state) {
      sendJson(res, 404, { error: 'no push with this push-id', pushId: id });
      return;
    }
    sendJson(res, 200, state);
  }

  private async subscriber(raw: string, res: ServerResponse): Promise<void> {
    let ip: string;
    try {
      ip = decodeURIComponent(raw);
    } catch {
      sendJson(res, 400, { error: 'not an IP address' });
      return;
    }
    if (!parseAddress(ip)) {
      sendJson(res, 400, { error: 'not an IP address', ip });
      return;
    }
    const store = this.deps.gateway.subscribers;
    let sub;
    try {
      sub = await (store?.resolve ? store.resolve(ip) : store?.lookup(ip));
    } catch (err) {
      sendJson(res, 503, { error: (err as Error).message, ip });
      return;
    }
    if (!sub) {
      const key = subscriberKey(ip);
      sendJson(res, 404, { error: 'no subscriber bound to this address', ip, key: key === null ? null : displayKey(key) });
      return;
    }
    sendJson(res, 200, { ip, ...subscriberJson(sub) });
  }
}

const LIST_PARAMS: ReadonlySet<string> = new Set(['msisdn', 'nas', 'source', 'limit', 'cursor']);
const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;

/**
 * A binding as admin shows it: the key in RFC 5952 form (a static `::1/128` binds `::/64`), RAT
 * type with its name (TS 29.274 §8.17), the time as ISO 8601.
 */
export function subscriberJson(sub: Subscriber): Record<string, unknown> {
  const name = ratTypeName(sub.ratType);
  return { ...sub, key: displayKey(sub.key), ...(name !== undefined ? { ratTypeName: name } : {}), since: new Date(sub.since).toISOString() };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body, null, 2)}\n`);
}
