/**
 * A test origin (MMSC) on 127.0.0.1, ephemeral port, that records every request it receives
 * (method, URL, raw headers, whole body) so tests can assert what went upstream, and whether
 * anything went upstream at all. Behaviour per request is a replaceable `handler`; the default
 * answers 200 with a JSON summary of what it got. Helpers for the failure modes tests need:
 * `stall` (never answers: upstream timeout) and `reset` (destroys the socket: upstream error).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface OriginRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  sha256: string;
}

export type OriginHandler = (r: OriginRequest, res: http.ServerResponse) => void;

export interface TestOrigin {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  requests: OriginRequest[];
  handler: OriginHandler;
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  readonly connections: number;
  /** Every raw header value received under `name` (case-insensitive), across all requests. */
  headerValues(name: string): string[];
  close(): Promise<void>;
}

export const summaryHandler: OriginHandler = (r, res) => {
  const body = JSON.stringify({ method: r.method, url: r.url, bytes: r.body.length, sha256: r.sha256 });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/** Never answers (the socket stays open until close()). */
export const stallHandler: OriginHandler = () => undefined;

/** Destroys the connection without a response. */
export const resetHandler: OriginHandler = (_r, res) => {
  res.socket?.destroy();
};

/** Serves `buf` to every request with the given content type. */
export function bufferHandler(buf: Buffer, contentType = 'application/octet-stream'): OriginHandler {
  return (_r, res) => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': buf.length });
    res.end(buf);
  };
}

export async function startOrigin(handler: OriginHandler = summaryHandler): Promise<TestOrigin> {
  const requests: OriginRequest[] = [];
  const sockets = new Set<Socket>();
  const o: Partial<TestOrigin> & { handler: OriginHandler } = { handler, requests };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const r: OriginRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
        sha256: createHash('sha256').update(body).digest('hex'),
      };
      requests.push(r);
      o.handler(r, res);
    });
  });
  let connections = 0;
  Object.defineProperty(o, 'connections', { get: () => connections, enumerable: true });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  o.port = port;
  o.origin = `http://127.0.0.1:${port}`;
  o.headerValues = (name: string) => {
    const k = name.toLowerCase();
    const out: string[] = [];
    for (const r of requests) for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) if (r.rawHeaders[i]?.toLowerCase() === k) out.push(r.rawHeaders[i + 1] as string);
    return out;
  };
  o.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return o as TestOrigin;
}
