/**
 * The proxy's connections to the MMSC: one pool of keep-alive HTTP/1.1 connections per allowed
 * origin (at most mmsc.connections each, most recently used first), requests written as one head
 * and the body streamed, responses read by the pure parser in ./http1.ts and handed to the
 * exchange chunk by chunk, with the MMSC's socket paused while the phone is slower.
 *
 * Why our own and not node:http's client (which http-proxy drives): Node's client copies every
 * body chunk out of the socket's buffer and runs it through a stream per response; for a 300 KB
 * retrieval that was most of the proxy's CPU (docs/architecture.md, "The proxy's upstream
 * client"). Here the body is framed, counted and written on, never copied.
 *
 * Plain TCP connections read into 64 KB buffers that are used again (net.Socket's `onread`
 * option) instead of a fresh allocation per read, which the garbage collector then has to find:
 * that halved a bare relay's CPU per 300 KB reply (bench/RESULTS.md). So a body chunk is LENT:
 * it is valid during `upstreamData` only. A handler that keeps it longer (writes it to a socket)
 * calls `hold()` on its request first and the returned release once it is done with it (as the
 * write's callback); one that keeps the octets copies them.
 *
 * A request whose connection was reused and which fails before any octet of a response (the MMSC
 * closed an idle keep-alive connection as we reused it) is sent once more on a new connection,
 * when it is safe to: no body, and a method RFC 9110 §9.2.2 calls idempotent.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Writable } from 'node:stream';
import { ResponseParser, UpstreamProtocolError, requestHead, type ResponseHead, type ResponseSink } from './http1';

export interface UpstreamOrigin {
  protocol: 'http:' | 'https:';
  /** A host name or an IP address (IPv6 without brackets). */
  host: string;
  port: number;
}

/** Where the origin of a URL is (`scheme://host[:port]`): IPv6 literals without their brackets, the scheme's port when none is given. */
export function originOf(u: URL): UpstreamOrigin {
  const protocol = u.protocol === 'https:' ? 'https:' : 'http:';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { protocol, host, port: u.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(u.port) };
}

/** The exchange's side of one upstream request. */
export interface UpstreamHandler {
  upstreamHead(head: ResponseHead): void;
  /**
   * A body chunk, LENT: a view of a read buffer that is used again once this returns, unless the
   * handler took `hold()` on the request. False pauses the MMSC's socket until resume().
   */
  upstreamData(chunk: Buffer): boolean;
  upstreamEnd(): void;
  /** Connection refused, reset, closed early, or a response that cannot be framed (UpstreamProtocolError). */
  upstreamFailed(err: NodeJS.ErrnoException): void;
}

/** How the request body is framed: none, the phone's Content-Length, or chunked (RFC 9112 §7.1). */
export type BodyFraming = 'none' | 'length' | 'chunked';

/** RFC 9110 §9.2.2. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

/** The size of a read buffer: what libuv asks for per read on a stream. */
const READ_BUFFER_OCTETS = 64 * 1024;
/** Free read buffers kept for the next reads (4 MB); more go to the garbage collector. */
const MAX_FREE_READ_BUFFERS = 64;
const freeReadBuffers: Buffer[] = [];

/** A read buffer and the holds on it: the read being fed counts one, each hold() one more. */
class ReadSlot {
  holds = 1;
  constructor(readonly buf: Buffer) {}

  static take(): ReadSlot {
    return new ReadSlot(freeReadBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_OCTETS));
  }

  /** One hold ends; the last one gives the buffer back for another read. */
  release(): void {
    if (--this.holds === 0 && freeReadBuffers.length < MAX_FREE_READ_BUFFERS) freeReadBuffers.push(this.buf);
  }
}

const noRelease = (): void => undefined;

/** @internal For tests: empties the free list (which every pool in the process shares) and says how many were in it. */
export function dropFreeReadBuffers(): number {
  return freeReadBuffers.splice(0).length;
}

/** One connection to the MMSC; its listeners stay for its life and forward to the request it carries. */
class Conn {
  req: UpstreamRequest | undefined;
  /** Requests carried so far (more than zero: a reused connection). */
  uses = 0;
  /** The socket's inactivity timeout now: a request's stall timeout while it asks for one, else none (0). */
  private timeout = 0;
  /** When it went back to the pool (performance.now()), for the pool's idle sweep. */
  idleSince = 0;
  /** The buffer the next read goes into (plain TCP; undefined for TLS, which reads as 'data'). */
  slot: ReadSlot | undefined;
  readonly sock: net.Socket;

  constructor(pool: UpstreamPool, connect: (onread: net.OnReadOpts | undefined) => net.Socket, reuseBuffers: boolean) {
    const sock = (this.sock = connect(
      reuseBuffers
        ? {
            buffer: () => (this.slot = ReadSlot.take()).buf,
            callback: (n: number, buf: Uint8Array) => this.onRead(n, buf), // true: pausing is pause()'s
          }
        : undefined,
    ));
    sock.setNoDelay(true);
    if (!reuseBuffers) sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('end', () => this.req?.onEof());
    sock.on('error', (e: NodeJS.ErrnoException) => this.req?.onSocketError(e));
    sock.on('close', () => {
      pool.closed(this);
      this.req?.onSocketError(Object.assign(new Error('upstream connection closed'), { code: 'ECONNRESET' }));
    });
    // only a request's own stall timeout is set on the socket (idle ones are the pool's sweep)
    sock.on('timeout', () => this.req?.onTimeout());
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    const slot = this.slot;
    if (slot === undefined || slot.buf !== buf) {
      // not the buffer we gave for this read (never seen): hand on a copy nobody else can reuse
      this.slot = undefined;
      this.onData(Buffer.from(buf.subarray(0, n)));
      return true;
    }
    this.onData(slot.buf.subarray(0, n));
    slot.release(); // the read's own hold: unless a handler holds it, the buffer is free again
    return true;
  }

  private onData(d: Buffer): void {
    const r = this.req;
    if (r !== undefined) r.onData(d);
    else this.sock.destroy(); // octets on an idle connection: nobody asked, never reuse it
  }

  /** A hold on the buffer being fed now; its release must be called once. */
  hold(): () => void {
    const slot = this.slot;
    if (slot === undefined) return noRelease; // a 'data' chunk: the garbage collector's
    slot.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.release();
    };
  }

  setTimeout(ms: number): void {
    if (ms === this.timeout) return;
    this.timeout = ms;
    this.sock.setTimeout(ms);
  }
}

export class UpstreamRequest implements ResponseSink {
  private conn: Conn | undefined;
  private readonly parser: ResponseParser;
  private finished = false;
  private gotBytes = false;
  private retried = false;
  private bodyDone: boolean;
  /** A body write that arrived before a connection was assigned. */
  private held: { chunk: Buffer | undefined; cb: (err?: Error | null) => void } | undefined;
  /** The stall timeout the exchange asked for (none until it does). */
  private timeout: { ms: number; cb: () => void } | undefined;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly method: string,
    private readonly headText: string,
    private readonly framing: BodyFraming,
    private readonly handler: UpstreamHandler,
  ) {
    this.parser = new ResponseParser(this, method === 'HEAD');
    this.bodyDone = framing === 'none';
  }

  /** The request body's sink (pipe the phone's body into it); only for framing 'length' or 'chunked'. */
  bodyWriter(): Writable {
    return new Writable({
      highWaterMark: 64 * 1024,
      write: (chunk: Buffer, _enc, cb) => this.sendBody(chunk, cb),
      final: (cb) => this.sendBody(undefined, cb),
    });
  }

  /**
   * Keeps the chunk being passed to upstreamData valid after it returns, until the returned
   * function is called (once; e.g. as the callback of the socket write that sends it on).
   */
  hold(): () => void {
    return this.conn?.hold() ?? noRelease;
  }

  /** Resumes reading the MMSC's response after upstreamData returned false. */
  resume(): void {
    this.conn?.sock.resume();
  }

  /** Gives up after `ms` without an octet from the MMSC (a stalled body). */
  setTimeout(ms: number, cb: () => void): void {
    this.timeout = { ms, cb };
    this.conn?.setTimeout(ms);
  }

  /** We answered the phone ourselves, or it went away: drop the request and its connection, silently. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.pool.forget(this);
    this.detach(false);
  }

  // ---- called by the pool and the connection -------------------------------------------------

  /** A connection for this request (fresh or reused): send the head, and what body is held. */
  attach(conn: Conn): void {
    if (this.finished) {
      this.pool.release(conn);
      return;
    }
    this.conn = conn;
    conn.req = this;
    // a connection comes with no socket timeout (release() clears the last request's); this
    // request's own stall timeout, if it asked for one before it had a connection
    if (this.timeout !== undefined) conn.setTimeout(this.timeout.ms);
    if (this.held === undefined) {
      conn.sock.write(this.headText, 'latin1');
      return;
    }
    const { chunk, cb } = this.held;
    this.held = undefined;
    conn.sock.cork();
    conn.sock.write(this.headText, 'latin1');
    this.sendBody(chunk, cb);
    conn.sock.uncork();
  }

  onData(d: Buffer): void {
    this.gotBytes = true;
    try {
      this.parser.feed(d);
    } catch (e) {
      // only the parser's verdict on the MMSC's octets; anything else is our bug and must surface
      if (!(e instanceof UpstreamProtocolError)) throw e;
      this.fail(e);
    }
  }

  onEof(): void {
    if (this.finished) return;
    // closed before any octet of a response: as a reset (a reused idle connection may be retried)
    if (!this.gotBytes) return this.fail(Object.assign(new Error('upstream closed the connection before a response'), { code: 'ECONNRESET' }));
    try {
      this.parser.eof();
    } catch (e) {
      if (!(e instanceof UpstreamProtocolError)) throw e;
      this.fail(e);
    }
  }

  onSocketError(e: NodeJS.ErrnoException): void {
    if (!this.finished) this.fail(e);
  }

  /** The socket's timeout fired, which it does only while one is set for this request. */
  onTimeout(): void {
    if (!this.finished) this.timeout?.cb();
  }

  // ---- the parser's reports (ResponseSink) ---------------------------------------------------

  head(h: ResponseHead): void {
    this.handler.upstreamHead(h);
  }

  body(chunk: Buffer): void {
    if (this.finished) return;
    if (!this.handler.upstreamData(chunk)) this.conn?.sock.pause();
  }

  end(reusable: boolean): void {
    if (this.finished) return;
    this.finished = true;
    // the phone's body may still be arriving (the MMSC answered early): then the connection is spent
    this.detach(reusable && this.bodyDone);
    this.handler.upstreamEnd();
  }

  // ---- inside --------------------------------------------------------------------------------

  private sendBody(chunk: Buffer | undefined, cb: (err?: Error | null) => void): void {
    if (this.finished) return cb(); // answered already: the rest of the body goes nowhere
    const conn = this.conn;
    if (conn === undefined) {
      this.held = { chunk, cb };
      return;
    }
    const s = conn.sock;
    if (chunk === undefined) {
      this.bodyDone = true;
      if (this.framing === 'chunked') s.write(LAST_CHUNK, 'latin1', () => cb());
      else cb();
      return;
    }
    if (chunk.length === 0) return cb();
    if (this.framing === 'chunked') {
      s.cork();
      s.write(`${chunk.length.toString(16)}${CRLF}`, 'latin1');
      s.write(chunk);
      s.write(CRLF, 'latin1', () => cb());
      s.uncork();
    } else s.write(chunk, () => cb());
  }

  private fail(e: NodeJS.ErrnoException): void {
    if (this.finished) return;
    const conn = this.conn;
    const reused = conn !== undefined && conn.uses > 1;
    this.detach(false);
    const timeout = e.code === 'ETIMEDOUT';
    if (reused && !this.gotBytes && !this.retried && this.framing === 'none' && IDEMPOTENT.has(this.method) && !timeout && !(e instanceof UpstreamProtocolError)) {
      this.retried = true;
      // no octet reached the parser, so it is still at the start of a response
      this.pool.acquire(this, true);
      return;
    }
    this.finished = true;
    this.handler.upstreamFailed(e);
  }

  /** Leaves the connection: back to the pool when `keep`, else closed. */
  private detach(keep: boolean): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.conn = undefined;
    conn.req = undefined;
    if (keep) this.pool.release(conn);
    else conn.sock.destroy();
  }
}

export class UpstreamPool {
  private readonly idle: Conn[] = [];
  private readonly waiting: UpstreamRequest[] = [];
  private open = 0;
  private closing = false;
  /** The idle sweep's timer (armSweep), while a connection is idle. */
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly origin: UpstreamOrigin,
    private readonly max: number,
    /** An idle connection is closed after this long. */
    private readonly idleMs = 30_000,
    /** For https: further TLS options (tests give a CA here; the system's CAs verify the MMSC otherwise). */
    private readonly tlsOptions: tls.ConnectionOptions = {},
  ) {}

  /**
   * Sends `method target` with `headers` (already end-to-end and identified; the body's framing
   * field is added here). Throws UpstreamProtocolError for a field that cannot be sent.
   */
  request(method: string, target: string, headers: Array<[string, string]>, framing: BodyFraming, handler: UpstreamHandler): UpstreamRequest {
    if (framing === 'chunked') headers.push(['Transfer-Encoding', 'chunked']);
    return this.requestWithHead(method, requestHead(method, target, headers), framing, handler);
  }

  /**
   * `request` with the whole head already written and checked by the caller, as `requestHead`
   * writes it (request line, fields, the framing field, the empty line): for a caller that keeps
   * the checked lines its requests repeat (src/bridge/bridge.ts).
   */
  requestWithHead(method: string, headText: string, framing: BodyFraming, handler: UpstreamHandler): UpstreamRequest {
    const req = new UpstreamRequest(this, method, headText, framing, handler);
    this.acquire(req, false);
    return req;
  }

  /** Connections open now (idle and busy), those idle, and requests waiting for one. */
  get stats(): { open: number; idle: number; waiting: number } {
    return { open: this.open, idle: this.idle.length, waiting: this.waiting.length };
  }

  /** @internal A connection for `req`: an idle one (unless `fresh`), a new one, or a place in the queue. */
  acquire(req: UpstreamRequest, fresh: boolean): void {
    if (!fresh) {
      const conn = this.idle.pop();
      if (conn !== undefined) return this.hand(conn, req);
    }
    if (this.open < this.max || fresh) {
      if (fresh && this.open >= this.max) this.idle.shift()?.sock.destroy(); // keep within max: the oldest idle goes
      this.hand(this.connect(), req);
      return;
    }
    this.waiting.push(req);
  }

  /** @internal */
  release(conn: Conn): void {
    if (this.closing || conn.sock.destroyed) {
      conn.sock.destroy();
      return;
    }
    // the last request's stall timeout, if it asked for one, ends with it
    conn.setTimeout(0);
    const next = this.waiting.shift();
    if (next !== undefined) return this.hand(conn, next);
    conn.idleSince = performance.now();
    conn.sock.unref();
    this.idle.push(conn);
    if (this.sweepTimer === undefined) this.armSweep();
  }

  /**
   * Idle connections are closed by one timer per pool, not by a timeout on each socket: Node
   * refreshes a socket's timer on every read and write, which cost more per request than the
   * timer saves. The sweep fires when the oldest idle connection (the first in `idle`: reuse
   * takes the newest) has been idle `idleMs`, closes every one idle that long, and is armed again
   * for the next; none is armed while no connection is idle.
   */
  private armSweep(): void {
    const oldest = this.idle[0];
    if (oldest === undefined) return;
    this.sweepTimer = setTimeout(UpstreamPool.sweep, Math.max(1, Math.ceil(oldest.idleSince + this.idleMs - performance.now())), this);
    this.sweepTimer.unref();
  }

  private static sweep(pool: UpstreamPool): void {
    pool.sweepTimer = undefined;
    const now = performance.now();
    // each destroy reaches closed() later, which finds it no longer in `idle`
    for (let c = pool.idle[0]; c !== undefined && now - c.idleSince >= pool.idleMs; c = pool.idle[0]) pool.idle.shift()?.sock.destroy();
    pool.armSweep();
  }

  /** @internal A queued request gave up. */
  forget(req: UpstreamRequest): void {
    const i = this.waiting.indexOf(req);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** @internal */
  closed(conn: Conn): void {
    this.open--;
    const i = this.idle.indexOf(conn); // at most mmsc.connections long
    if (i >= 0) this.idle.splice(i, 1);
    // a place freed: the first queued request gets a new connection
    if (!this.closing && this.waiting.length > 0 && this.open < this.max) this.hand(this.connect(), this.waiting.shift()!);
  }

  /** Closes every connection (shutdown). */
  close(): void {
    this.closing = true;
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const c of this.idle.splice(0)) c.sock.destroy();
    this.waiting.length = 0;
  }

  private hand(conn: Conn, req: UpstreamRequest): void {
    conn.uses++;
    conn.sock.ref();
    req.attach(conn);
  }

  private connect(): Conn {
    const { protocol, host, port } = this.origin;
    this.open++;
    if (protocol === 'https:')
      return new Conn(this, () => tls.connect({ ...this.tlsOptions, host, port, servername: net.isIP(host) === 0 ? host : undefined, ALPNProtocols: ['http/1.1'] }), false);
    return new Conn(this, (onread) => net.connect({ host, port, onread }), true);
  }
}
