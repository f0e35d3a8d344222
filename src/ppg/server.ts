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
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config/schema';
import type { Logger } from '../core/logger';
import { NetworkList, normalizeAddress } from '../core/net';
import { Http1Server, type Reply, type Request } from '../http/server';
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
const OPS = new Map<string, string>();
const opOf = (doc: PapDocument | undefined): string => {
  if (doc === undefined) return 'unknown';
  const kind = doc.message.kind;
  let op = OPS.get(kind);
  // the kinds are the PAP decoder's closed set: the map stays small
  if (op === undefined) OPS.set(kind, (op = kind.replace(/-message$|-response$/, '')));
  return op;
};

export class PapServer {
  private readonly server: Http1Server;
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
  /** ppg_requests_total by operation and code, as tallies (one per PAP request: Metrics.tallies). */
  private readonly requestTally: ReturnType<Metrics['tallies']>;

  constructor(private readonly deps: PapServerDeps) {
    this.logger = deps.logger;
    this.requestTally = deps.metrics.tallies(deps.metrics.ppgRequests);
    this.now = deps.now ?? (() => performance.now());
    this.applyAccess(deps.config);
    const lim = deps.config.limits;
    this.limiter = new RateLimiter({ perSecond: lim.perInitiatorPerSecond, burst: lim.burst, maxSources: lim.maxInitiators });
    this.server = new Http1Server(
      { maxHeaderBytes: 16384, headersTimeoutMs: 10000, requestTimeoutMs: 30000, keepAliveTimeoutMs: 5000, maxConnections: 10000 },
      {
        request: (req, res) => {
          this.handle(req, res).catch((err: unknown) => {
            this.logger.error({ err }, 'PAP request failed');
            if (!res.headersSent) this.reply(res, undefined, { kind: 'badmessage-response', code: 3000, desc: 'internal server error' }, '2.0', 'internal');
            else res.destroy();
          });
        },
        // a request the HTTP server refused itself (framing, head size, deadlines): counted
        clientError: (_socket, err) => this.deps.metrics.ppgRefusals.inc({ reason: `http-${err.reason}` }),
      },
    );
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
    return this.server.listen(this.deps.config.port, this.deps.config.bind);
  }

  get listening(): boolean {
    return this.server.listening;
  }

  close(deadline: number): Promise<void> {
    return this.server.close(deadline);
  }

  /** Who is asking, or a refusal (HTTP status, PAP reason). Credentials are checked in constant time. */
  private authenticate(req: Request, from: { peer: string; open: boolean; initiator: string }): { initiator: string } | { status: number; reason: string; challenge: boolean } {
    const { peer } = from;
    // Only Basic credentials are read; any other scheme is ignored (and, like every request
    // header, never copied into a push).
    const auth = req.header('authorization');
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

  private async handle(req: Request, res: Reply): Promise<void> {
    this.requests++;
    const from = this.peerOf(req.socket);
    const { peer } = from;
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (path !== this.deps.config.path) {
      req.discardBody();
      return this.refuse(res, 404, 2000, `no PAP endpoint at ${path}; it is ${this.deps.config.path}`, 'path');
    }
    if (req.method !== 'POST') {
      req.discardBody();
      return this.refuse(res, 405, 2000, `PAP requests are POSTed, not ${req.method}`, 'method', ['Allow', 'POST']);
    }
    const who = this.authenticate(req, from);
    if (!('initiator' in who)) {
      req.discardBody();
      this.logger.warn({ peer, reason: who.reason }, 'PAP request refused');
      const challenge = who.challenge ? ['WWW-Authenticate', 'Basic realm="wapgw-ppg", charset="UTF-8"'] : [];
      return this.refuse(res, who.status, 2001, who.reason, who.status === 401 ? 'unauthenticated' : 'network', challenge);
    }
    if (!this.limiter.take(who.initiator, this.now())) {
      req.discardBody();
      return this.refuse(res, 429, 4001, `initiator ${who.initiator} is over its rate limit (ppg.limits.perInitiatorPerSecond)`, 'rate-limit', ['Retry-After', '1']);
    }
    const max = this.deps.config.limits.maxBodyBytes;
    if (req.framing === 'length' && req.contentLength > max) {
      // not read: the connection closes after the answer
      return this.refuse(res, 413, 2000, `request body of ${req.contentLength} octets is over ppg.limits.maxBodyBytes (${max})`, 'too-large', ['Connection', 'close']);
    }
    let body: Buffer | undefined;
    try {
      body = await req.readBody(max);
    } catch {
      return; // the initiator went away (or its body was refused by the server): nobody to answer
    }
    if (body === undefined) {
      return this.refuse(res, 413, 2000, `request body over ppg.limits.maxBodyBytes (${max})`, 'too-large', ['Connection', 'close']);
    }
    let doc: PapDocument | undefined;
    try {
      const lim = this.deps.config.limits;
      const parts = splitPapBody(req.header('content-type'), body, { maxControlBytes: Math.min(lim.maxBodyBytes, 65536), maxContentBytes: lim.maxContentBytes });
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

  /** A refusal as a badmessage-response; `fields`: extra response fields (Allow, WWW-Authenticate, Retry-After, Connection). */
  private refuse(res: Reply, status: number, code: number, reason: string, why: string, fields: string[] = []): void {
    this.deps.metrics.ppgRefusals.inc({ reason: why });
    this.reply(res, undefined, { kind: 'badmessage-response', code, desc: reason }, '2.0', undefined, status, fields);
  }

  private reply(res: Reply, doc: PapDocument | undefined, out: PapResponse, version: PapVersion, refusal?: string, status?: number, fields: string[] = []): void {
    const code = responseCode(out);
    const op = opOf(doc);
    this.requestTally(`${op} ${code}`, () => ({ operation: op, code: String(code) })).n++;
    if (refusal) this.deps.metrics.ppgRefusals.inc({ reason: refusal });
    else if (status === undefined && code >= 2000) this.deps.metrics.ppgRefusals.inc({ reason: `pap-${code}` });
    const text = encodePap(out, version);
    if (res.destroyed) return; // the initiator went away meanwhile
    res.send(status ?? httpStatusFor(code), undefined, ['Content-Type', 'application/xml; charset=utf-8', 'Cache-Control', 'no-store', 'Content-Length', String(Buffer.byteLength(text)), ...fields], text);
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
