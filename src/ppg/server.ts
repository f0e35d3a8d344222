/**
 * The PAP endpoint (WAP-247 §8, PAP over HTTP POST) on `ppg.bind:ppg.port` + `ppg.path`.
 *
 * Default deny: a request is served only when it carries HTTP Basic credentials of a
 * `ppg.users` entry AND comes from one of that user's networks, or, without credentials, comes
 * from `ppg.allowedNetworks`. The initiator's identity (what push-ids are unique within, what
 * the rate limit counts) is `user:<name>` or `net:<source address>`; nothing the client writes
 * in a header is believed beyond its credentials. Limits: body size (413), one rate-limit
 * bucket per initiator (429). Every refusal is still a PAP document (badmessage-response or the
 * message's own response) with a code and a reason, and is counted by code.
 *
 * The server parses and answers; what a message does is the handler's business (src/ppg/ppg.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config/schema';
import type { Logger } from '../core/logger';
import { NetworkList, normalizeAddress } from '../core/net';
import { drainHttpServer, listenHttp } from '../ops/http-server';
import type { Metrics } from '../ops/metrics';
import { RateLimiter } from '../policy/rate-limit';
import { splitPapBody, type ContentEntity } from './multipart';
import { PapError, badMessageFor, decodePap, encodePap, type PapDocument, type PapResponse, type PapVersion } from './pap';

export interface PapContext {
  /** `user:<name>` or `net:<address>`. */
  initiator: string;
  version: PapVersion;
  content?: ContentEntity;
  /** Source address of the request (for logs). */
  peer: string;
}

export interface PapHandler {
  handle(doc: PapDocument, ctx: PapContext): Promise<PapResponse>;
}

export interface PapServerDeps {
  config: Config['ppg'];
  logger: Logger;
  metrics: Metrics;
  handler: PapHandler;
  /** Monotonic ms for the rate limiter. */
  now?: () => number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

interface User {
  username: string;
  passwordDigest: Buffer;
  networks: NetworkList;
}

/** HTTP status for a PAP code: 202 accepted, 200 other success, 4xx/5xx by family. */
export function httpStatusFor(code: number): number {
  if (code === 1001) return 202;
  if (code < 2000) return 200;
  if (code === 2001) return 403;
  if (code === 2004) return 404;
  if (code < 3000) return 400;
  if (code === 3003) return 503;
  if (code === 3001 || code === 3002) return 501;
  if (code < 4000) return 500;
  return 503;
}

/** The operation a PAP document names, for metrics (`unknown` before it is parsed). */
const opOf = (doc: PapDocument | undefined): string => doc?.message.kind.replace(/-message$|-response$/, '') ?? 'unknown';

export class PapServer {
  private readonly server: Server;
  private users = new Map<string, User>();
  private open = new NetworkList([]);
  private readonly limiter: RateLimiter;
  private readonly now: () => number;
  private readonly logger: Logger;
  requests = 0;
  /**
   * Per connection: its peer address (normalised) and, for the access rules of generation
   * `gen`, whether that address may push without credentials. A keep-alive initiator's address
   * does not change between its requests; a reload (applyAccess) starts a new generation.
   */
  private readonly peers = new WeakMap<Socket, { peer: string; gen: number; open: boolean; initiator: string }>();
  private accessGen = 0;

  constructor(private readonly deps: PapServerDeps) {
    this.logger = deps.logger;
    this.now = deps.now ?? (() => performance.now());
    this.applyAccess(deps.config);
    const lim = deps.config.limits;
    this.limiter = new RateLimiter({ perSecond: lim.perInitiatorPerSecond, burst: lim.burst, maxSources: lim.maxInitiators });
    this.server = createServer({ maxHeaderSize: 16384, requestTimeout: 30000, headersTimeout: 10000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'PAP request failed');
        if (!res.headersSent) this.reply(res, undefined, { kind: 'badmessage-response', code: 3000, desc: 'internal server error' }, '2.0', 'internal');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
  }

  /** Users and open networks (a SIGHUP may change them). */
  applyAccess(c: Config['ppg']): void {
    this.users = new Map(
      c.users.map((u) => [u.username, { username: u.username, passwordDigest: digest(u.password), networks: new NetworkList(u.allowedNetworks) }]),
    );
    this.open = new NetworkList(c.allowedNetworks);
    this.accessGen++;
  }

  /** The connection's peer and whether ppg.allowedNetworks holds it (cached per connection and rule generation). */
  private peerOf(socket: Socket): { peer: string; open: boolean; initiator: string } {
    let p = this.peers.get(socket);
    if (p === undefined) {
      const peer = normalizeAddress(socket.remoteAddress ?? '');
      p = { peer, gen: -1, open: false, initiator: `net:${peer}` };
      this.peers.set(socket, p);
    }
    if (p.gen !== this.accessGen) {
      p.open = this.open.contains(p.peer);
      p.gen = this.accessGen;
    }
    return p;
  }

  async start(): Promise<AddressInfo> {
    return listenHttp(this.server, this.deps.config.port, this.deps.config.bind);
  }

  get listening(): boolean {
    return this.server.listening;
  }

  close(deadline: number): Promise<void> {
    return drainHttpServer(this.server, deadline);
  }

  /** Who is asking, or a refusal (HTTP status, PAP reason). Credentials are checked in constant time. */
  private authenticate(req: IncomingMessage, from: { peer: string; open: boolean; initiator: string }): { initiator: string } | { status: number; reason: string; challenge: boolean } {
    const { peer } = from;
    // Only Basic credentials are read; any other scheme is ignored (and, like every request
    // header, never copied into a push).
    const auth = req.headers.authorization;
    if (auth !== undefined && /^Basic\s/i.test(auth)) {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
      const decoded = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      const name = colon > 0 ? decoded.slice(0, colon) : '';
      const user = this.users.get(name);
      // always compare, so timing does not tell a wrong name from a wrong password
      const ok = timingSafeEqual(digest(colon > 0 ? decoded.slice(colon + 1) : ''), user?.passwordDigest ?? digest('\u0000no user'));
      if (!user || !ok) return { status: 401, reason: 'wrong user name or password', challenge: true };
      if (!user.networks.contains(peer)) return { status: 403, reason: `user ${name} may not push from ${peer}`, challenge: false };
      return { initiator: `user:${name}` };
    }
    if (from.open) return from;
    return { status: 401, reason: 'push initiators must authenticate (HTTP Basic) or come from ppg.allowedNetworks', challenge: this.users.size > 0 };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const from = this.peerOf(req.socket);
    const { peer } = from;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== this.deps.config.path) {
      req.resume();
      return this.refuse(res, 404, 2000, `no PAP endpoint at ${path}; it is ${this.deps.config.path}`, 'path');
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('Allow', 'POST');
      return this.refuse(res, 405, 2000, `PAP requests are POSTed, not ${req.method}`, 'method');
    }
    const who = this.authenticate(req, from);
    if (!('initiator' in who)) {
      req.resume();
      if (who.challenge) res.setHeader('WWW-Authenticate', 'Basic realm="wapgw-ppg", charset="UTF-8"');
      this.logger.warn({ peer, reason: who.reason }, 'PAP request refused');
      return this.refuse(res, who.status, 2001, who.reason, who.status === 401 ? 'unauthenticated' : 'network');
    }
    if (!this.limiter.take(who.initiator, this.now())) {
      req.resume();
      res.setHeader('Retry-After', '1');
      return this.refuse(res, 429, 4001, `initiator ${who.initiator} is over its rate limit (ppg.limits.perInitiatorPerSecond)`, 'rate-limit');
    }
    const max = this.deps.config.limits.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > max) {
      req.resume();
      res.setHeader('Connection', 'close');
      return this.refuse(res, 413, 2000, `request body of ${declared} octets is over ppg.limits.maxBodyBytes (${max})`, 'too-large');
    }
    const body = await readBody(req, max);
    if (body === undefined) {
      res.setHeader('Connection', 'close');
      return this.refuse(res, 413, 2000, `request body over ppg.limits.maxBodyBytes (${max})`, 'too-large');
    }
    let doc: PapDocument | undefined;
    try {
      const lim = this.deps.config.limits;
      const parts = splitPapBody(req.headers['content-type'], body, { maxControlBytes: Math.min(lim.maxBodyBytes, 65536), maxContentBytes: lim.maxContentBytes });
      doc = decodePap(parts.control, { maxBytes: Math.min(lim.maxBodyBytes, 65536), maxAddresses: lim.maxAddresses });
      const ctx: PapContext = { initiator: who.initiator, version: doc.version, peer };
      if (parts.content) ctx.content = parts.content;
      const out = await this.deps.handler.handle(doc, ctx);
      this.reply(res, doc, out, doc.version);
    } catch (err) {
      if (!(err instanceof PapError)) throw err;
      this.logger.info({ peer, initiator: who.initiator, papCode: err.papCode, reason: err.message }, 'PAP request refused');
      this.reply(res, doc, badMessageFor(err), doc?.version ?? '2.0');
    }
  }

  private refuse(res: ServerResponse, status: number, code: number, reason: string, why: string): void {
    this.deps.metrics.ppgRefusals.inc({ reason: why });
    this.reply(res, undefined, { kind: 'badmessage-response', code, desc: reason }, '2.0', undefined, status);
  }

  private reply(res: ServerResponse, doc: PapDocument | undefined, out: PapResponse, version: PapVersion, refusal?: string, status?: number): void {
    const code = responseCode(out);
    this.deps.metrics.ppgRequests.inc({ operation: opOf(doc), code: String(code) });
    if (refusal) this.deps.metrics.ppgRefusals.inc({ reason: refusal });
    else if (status === undefined && code >= 2000) this.deps.metrics.ppgRefusals.inc({ reason: `pap-${code}` });
    const text = encodePap(out, version);
    // headers set earlier (Allow, WWW-Authenticate, Retry-After, Connection) are merged in by writeHead
    res.writeHead(status ?? httpStatusFor(code), ['Content-Type', 'application/xml; charset=utf-8', 'Cache-Control', 'no-store', 'Content-Length', String(Buffer.byteLength(text))]);
    res.end(text);
  }
}

/** The code that sums up a response (the first result's for multi-result responses). */
export function responseCode(r: PapResponse): number {
  switch (r.kind) {
    case 'push-response':
      return r.result.code;
    case 'cancel-response':
    case 'statusquery-response':
      return r.results[0]?.code ?? 1000;
    default:
      return r.code;
  }
}

/** Reads a body up to `max` octets; undefined (and the rest discarded) when it is longer. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}
