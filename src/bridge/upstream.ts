/**
 * The upstream HTTP client of the WSP bridge: one undici Pool per allowed origin (keep-alive,
 * mmsc.connections sockets each), created lazily and only for origins the UpstreamPolicy
 * allows, so a refused URL never opens a connection. Every request has one deadline
 * (mmsc.timeoutMs, from sending to the last body octet) and may be cancelled by the caller
 * (a WSP MethodAbort). The body is read with a hard cap: past `maxBody` octets the response
 * is dropped and the caller gets ERR_UPSTREAM_TOO_LARGE, never a truncated body.
 */
import { Pool, type Dispatcher } from 'undici';
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

  /**
   * One request through undici's dispatch API with a handler that collects the body itself: no
   * response stream, no async iterator and no second AbortController per request (the body is
   * small and read whole anyway). The deadline, the caller's cancel and the body cap abort the
   * exchange through the handler's controller; whichever comes first settles the promise.
   */
  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (this.closed) return Promise.reject(upstreamFailed(new Error('client closed')));
    const origin = req.url.origin;
    // defence in depth: the bridge has already checked, but a pool is only ever made for an allowed origin
    if (!this.opts.isAllowedOrigin(origin)) {
      return Promise.reject(new UpstreamError('ERR_UPSTREAM_FORBIDDEN', `origin ${origin} is not allowed`, { status: 403 }));
    }
    if (req.signal?.aborted) return Promise.reject(upstreamAborted());
    const pool = this.pool(origin);
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const t0 = performance.now();
      let controller: Dispatcher.DispatchController | undefined;
      /** Set once the promise is settled; the reason a not-yet-started exchange must be aborted with. */
      let settled = false;
      let abortWith: Error | undefined;
      let status = 0;
      let headers: UpstreamResponse['headers'] = {};
      let headersMs = 0;
      const chunks: Buffer[] = [];
      let total = 0;
      const settle = (err: Error | undefined, res?: UpstreamResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res as UpstreamResponse);
      };
      /** Ends the exchange with our own error: aborts it on the wire (now, or when it starts). */
      const fail = (err: UpstreamError): void => {
        if (settled) return;
        abortWith = err;
        settle(err);
        if (controller && !controller.aborted) controller.abort(err);
      };
      const timer = setTimeout(() => fail(upstreamTimeout(this.opts.timeoutMs)), this.opts.timeoutMs);
      const onAbort = (): void => fail(upstreamAborted());
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (c) => {
          controller = c;
          if (abortWith) c.abort(abortWith);
        },
        onResponseStart: (c, statusCode, h) => {
          if (statusCode < 200) return; // an interim (1xx) response: the final one follows
          status = statusCode;
          headers = h;
          headersMs = performance.now() - t0;
          const declared = Number(h['content-length']);
          if (Number.isFinite(declared) && declared > req.maxBody) fail(upstreamTooLarge(req.maxBody));
        },
        onResponseData: (_c, chunk) => {
          total += chunk.length;
          if (total > req.maxBody) fail(upstreamTooLarge(req.maxBody));
          else chunks.push(chunk);
        },
        onResponseEnd: () => settle(undefined, { status, headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total), headersMs }),
        onResponseError: (_c, err) => settle(err instanceof UpstreamError ? err : upstreamFailed(err)),
      };
      try {
        pool.dispatch(
          {
            origin,
            path: req.url.pathname + req.url.search,
            method: req.method as Dispatcher.HttpMethod,
            headers: req.headers,
            body: req.body && req.body.length > 0 ? req.body : req.method === 'POST' || req.method === 'PUT' ? Buffer.alloc(0) : null,
          },
          handler,
        );
      } catch (err) {
        settle(upstreamFailed(err));
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => p.destroy())));
    this.pools.clear();
  }
}
