/**
 * The upstream HTTP client of the WSP bridge: one undici Pool per allowed origin (keep-alive,
 * mmsc.connections sockets each), created lazily and only for origins the UpstreamPolicy
 * allows, so a refused URL never opens a connection. Every request has one deadline
 * (mmsc.timeoutMs, from sending to the last body octet) and may be cancelled by the caller
 * (a WSP MethodAbort). The body is read with a hard cap: past `maxBody` octets the response
 * is dropped and the caller gets ERR_UPSTREAM_TOO_LARGE, never a truncated body.
 */
import { Pool } from 'undici';
import { WapgwError } from '../core/errors';

export interface UpstreamRequest {
  url: URL;
  method: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Cancels the request (MethodAbort, drain). */
  signal?: AbortSignal;
  /** Largest body accepted; larger -> ERR_UPSTREAM_TOO_LARGE. */
  maxBody: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** ms from sending to response headers. */
  headersMs: number;
}

export class UpstreamError extends WapgwError {}

export const upstreamTimeout = (ms: number) =>
  new UpstreamError('ERR_UPSTREAM_TIMEOUT', `no complete answer from upstream within ${ms} ms`, { status: 504 });
export const upstreamFailed = (cause: unknown) =>
  new UpstreamError('ERR_UPSTREAM_FAILED', `upstream request failed: ${(cause as Error)?.message ?? String(cause)}`, { status: 502, cause });
export const upstreamTooLarge = (limit: number) =>
  new UpstreamError('ERR_UPSTREAM_TOO_LARGE', `upstream body larger than ${limit} octets`, { status: 413 });
export const upstreamAborted = () => new UpstreamError('ERR_UPSTREAM_ABORTED', 'request cancelled by the handset', { status: 499 });

export interface UpstreamClientOptions {
  /** origins (scheme://host:port) a pool may be opened for: the caller's policy. */
  isAllowedOrigin: (origin: string) => boolean;
  connections: number;
  timeoutMs: number;
}

export class UpstreamClient {
  private readonly pools = new Map<string, Pool>();
  private readonly opts: UpstreamClientOptions;
  private closed = false;

  constructor(opts: UpstreamClientOptions) {
    this.opts = opts;
  }

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connections: this.opts.connections,
        keepAliveTimeout: 30_000,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
      this.pools.set(origin, p);
    }
    return p;
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (this.closed) throw upstreamFailed(new Error('client closed'));
    const origin = req.url.origin;
    // defence in depth: the bridge has already checked, but a pool is only ever made for an allowed origin
    if (!this.opts.isAllowedOrigin(origin)) {
      throw new UpstreamError('ERR_UPSTREAM_FORBIDDEN', `origin ${origin} is not allowed`, { status: 403 });
    }
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, this.opts.timeoutMs);
    const onAbort = () => ac.abort();
    if (req.signal?.aborted) ac.abort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = performance.now();
    try {
      const res = await this.pool(origin).request({
        path: req.url.pathname + req.url.search,
        method: req.method as 'GET',
        headers: req.headers,
        body: req.body && req.body.length > 0 ? req.body : req.method === 'POST' || req.method === 'PUT' ? Buffer.alloc(0) : null,
        signal: ac.signal,
      });
      const headersMs = performance.now() - t0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxBody) {
        res.body.on('error', () => {}); // the abort we cause is not an error to report
        res.body.destroy();
        throw upstreamTooLarge(req.maxBody);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        total += b.length;
        if (total > req.maxBody) {
          res.body.on('error', () => {});
          res.body.destroy();
          throw upstreamTooLarge(req.maxBody);
        }
        chunks.push(b);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, total), headersMs };
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (timedOut) throw upstreamTimeout(this.opts.timeoutMs);
      if (req.signal?.aborted) throw upstreamAborted();
      throw upstreamFailed(err);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => p.destroy())));
    this.pools.clear();
  }
}
