/**
 * An HTTP/1.1 server on raw sockets (RFC 9112), for the MMS proxy and the PAP endpoint: the
 * request head parsed strictly, the body framed and handed on as views of the octets read, the
 * response head written with its first body octets in one write, keep-alive and pipelining.
 *
 * Why our own and not node:http's server: Node's server builds an IncomingMessage and a
 * ServerResponse stream per request and copies every response chunk through its stream
 * machinery; measured on this project's benchmarks (docs/architecture.md, "The HTTP server"), a
 * relay on raw sockets spends 24 µs per small request where the same relay on node:http spends
 * 34, and 163 µs per 300 KB reply against 212.
 *
 * Strict where a lenient reading lets one request smuggle another past a proxy: a request with
 * Transfer-Encoding and Content-Length, a Transfer-Encoding other than exactly `chunked`,
 * Transfer-Encoding in HTTP/1.0, more than one Content-Length field or a malformed one, obs-fold,
 * whitespace before a colon or before the first field, a control character in a field value, a
 * request-target with whitespace or controls, and an HTTP/1.1 request without exactly one Host
 * are all answered 400 and the connection closed (RFC 9112 §2.2, §3.2, §5.1, §5.2, §6.1, §6.3).
 *
 * Deadlines, checked by one sweep per server rather than a timer per request: the head must be
 * complete within `headersTimeoutMs` of its first octet (or of the connection) and the whole
 * request within `requestTimeoutMs` (both answered 408), and an idle keep-alive connection is
 * closed after `keepAliveTimeoutMs`.
 */
import net from 'node:net';
import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import { listenTcp } from './listen';
import { FIELDS_BAD_NAME, FIELDS_BAD_VALUE, FIELDS_OBS_FOLD, KEEP_ALIVE_OPTION, firstField, isFieldValue, isToken, listHas, parseFieldLines, trimOws } from '../core/http';

export interface Http1ServerOptions {
  /** The longest request head (request line and fields) accepted: 431 past it. */
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open connections at most; one more is closed on accept (`drop`). */
  maxConnections: number;
  /**
   * Octets a connection buffers before write() says wait (default 16 KB, Node's). A relay of large
   * replies wants more: a 300 KB reply then moves in a few large writes instead of pausing its
   * source at every 16 KB.
   */
  highWaterMark?: number;
}

/** Why a request could not be read; the server answers `status` and closes the connection. */
export type RequestErrorReason = 'bad-request' | 'framing' | 'header-too-large' | 'client-timeout' | 'version' | 'expectation';

export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly status: number,
    readonly reason: RequestErrorReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export interface Http1Handlers {
  /** A request head, parsed and checked; answer through `res` (at once or later). */
  request(req: Request, res: Reply): void;
  /** A new connection; false closes it before anything is read. */
  connection?(socket: net.Socket): boolean;
  /** A request the server refused itself (the 4xx/5xx is written by the server). */
  clientError?(socket: net.Socket, err: RequestError): void;
  /** A connection closed on accept because `maxConnections` were open. */
  drop?(): void;
}

/** Where a request body goes: chunks as they are read (false pauses the socket), then its end or its loss. */
interface BodySink {
  data(chunk: Buffer): boolean;
  end(): void;
  abort(err: Error): void;
}

const enum ConnState {
  /** Between requests (or before the first): the next octet starts a head. */
  Idle,
  /** Part of a head has arrived. */
  Head,
  /** The request's body is being read; its response may or may not have started. */
  Body,
  /** The request is read; its response is under way. Octets that arrive are a pipelined request, kept. */
  Respond,
  /** The response was sent before the body was read and the connection stays: the body is read and dropped. */
  Discard,
  /** No more requests on this connection. */
  Closing,
}

const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailers,
}

/**
 * After answering a request whose body we did not read, how long the rest is read and dropped
 * before the connection is cut (closing on unread data would reset it, and a reset can destroy
 * our answer before the client reads it).
 */
const LINGER_MS = 500;
/** The longest chunk-size line (with extensions) accepted. */
const MAX_CHUNK_LINE = 4096;
/** Body octets read before anyone consumes them, at most (then the socket pauses). */
const EARLY_BODY_OCTETS = 64 * 1024;
const HEX = /^[0-9A-Fa-f]{1,15}$/;
/** RFC 9112 §3: method SP request-target SP HTTP-version (no whitespace or control inside the target). */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** A first body chunk up to this size is copied into one buffer with the response head. */
const JOIN_WITH_HEAD = 8 * 1024;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** The Date field value (RFC 9110 §6.6.1), rebuilt at most once a second. */
let dateSecond = -1;
let dateValue = '';
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/** One request, as its head said; the body is read through `body()` or `readBody()`. */
export class Request {
  /** The body has been read to its end (true at once when there is none). */
  complete: boolean;
  /** The client asked `Expect: 100-continue`; `Reply.writeContinue()` says go on. */
  readonly expectContinue: boolean;
  /** @internal set by the connection */
  sink: BodySink | undefined;
  /** @internal body octets read before a sink was attached */
  early: Buffer[] | undefined;
  /** @internal */
  earlyOctets = 0;
  /** @internal the connection went away before the body's end */
  lost: Error | undefined;

  constructor(
    private readonly conn: Conn,
    readonly method: string,
    /** The request-target as received (origin-form, absolute-form, authority-form or `*`). */
    readonly url: string,
    /** 0 or 1 (HTTP/1.0, HTTP/1.1). */
    readonly minor: number,
    /** Flat [name, value, name, value, ...] as received (names keep their case). */
    readonly rawHeaders: string[],
    /** How the body is framed. */
    readonly framing: 'none' | 'length' | 'chunked',
    /** The Content-Length, when framing is 'length'. */
    readonly contentLength: number,
    expectContinue: boolean,
  ) {
    this.complete = framing === 'none';
    this.expectContinue = expectContinue;
  }

  get httpVersion(): string {
    return this.minor === 1 ? '1.1' : '1.0';
  }

  get socket(): net.Socket {
    return this.conn.socket;
  }

  /** The first value of a field (`lower`: its name in lower case). */
  header(lower: string): string | undefined {
    return firstField(this.rawHeaders, lower);
  }

  /** The body as a stream, for streaming it on with backpressure (once: a body is read one way). */
  body(): Readable {
    const conn = this.conn;
    const s = new Readable({ highWaterMark: 64 * 1024, read: () => conn.resumeBody() });
    // a lost connection destroys the stream with an error; whoever reads it may listen, but an
    // error nobody listens to must not take the process down
    s.on('error', () => undefined);
    this.attach({
      data: (chunk) => s.push(chunk),
      end: () => s.push(null),
      abort: (err) => s.destroy(err),
    });
    return s;
  }

  /** The whole body, up to `max` octets; undefined (and the rest read and dropped) when it is longer. Rejects if the connection goes away first. */
  readBody(max: number): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => this.readBodyWith(max, resolve, reject));
  }

  /** readBody without a promise: `done` gets the body (undefined when over `max`), or `lost` the connection's loss; one of them, once. */
  readBodyWith(max: number, done: (body: Buffer | undefined) => void, lost: (err: Error) => void): void {
    this.attach(new BodyCollector(max, done, lost));
  }

  /** Lets the body go unread: it is dropped as it arrives (the connection stays usable). */
  discardBody(): void {
    if (this.sink === undefined) this.attach({ data: () => true, end: () => undefined, abort: () => undefined });
  }

  private attach(sink: BodySink): void {
    if (this.sink !== undefined) throw new Error('the request body is already being read');
    this.sink = sink;
    const early = this.early;
    if (early !== undefined) {
      this.early = undefined;
      this.earlyOctets = 0;
      for (const c of early) sink.data(c);
    }
    if (this.lost !== undefined) sink.abort(this.lost);
    else if (this.complete) sink.end();
    this.conn.resumeBody();
  }
}

/** A body gathered whole (readBody): copies of the chunks read, up to a limit. */
class BodyCollector implements BodySink {
  private chunks: Buffer[] = [];
  private size = 0;
  private over = false;

  constructor(
    private readonly max: number,
    private readonly done: (body: Buffer | undefined) => void,
    readonly abort: (err: Error) => void,
  ) {}

  data(chunk: Buffer): boolean {
    if (this.over) return true;
    this.size += chunk.length;
    if (this.size > this.max) {
      this.over = true;
      this.chunks = [];
    } else this.chunks.push(Buffer.from(chunk)); // the socket's buffer is not ours to keep
    return true;
  }

  end(): void {
    const c = this.chunks;
    this.done(this.over ? undefined : c.length === 1 ? (c[0] as Buffer) : Buffer.concat(c, this.size));
  }
}

/** The response to one request. */
export class Reply {
  statusCode = 0;
  headersSent = false;
  /** end() was called. */
  finished = false;
  /** The connection went away (or destroy()) before end(). */
  destroyed = false;
  /** @internal keep the connection after this response */
  keepAlive = false;
  private head: string | undefined;
  private chunked = false;
  private noBody = false;
  /** Octets still owed under the Content-Length we sent (-1: not length-framed). */
  private left = -1;
  private closeCb: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly conn: Conn,
    private readonly req: Request,
  ) {}

  /**
   * The status line and fields (`fields`: flat [name, value, ...], without hop-by-hop fields:
   * framing and Connection are ours). Without a Content-Length the body is chunked (HTTP/1.1) or
   * ends with the connection (HTTP/1.0).
   */
  writeHead(status: number, reason: string | undefined, fields: readonly string[]): void {
    this.prepareHead(status, reason, fields);
    // written with the first body octets, or at the end of this tick when none come
    process.nextTick(flushHead, this);
  }

  /**
   * A whole response at once (as writeHead, then end(body)): one write for a small body, and no
   * end-of-tick flush to schedule, since nothing is left for it.
   */
  send(status: number, reason: string | undefined, fields: readonly string[], body?: Buffer | string): void {
    this.prepareHead(status, reason, fields);
    this.end(body);
  }

  private prepareHead(status: number, reason: string | undefined, fields: readonly string[]): void {
    if (this.headersSent || this.finished) throw new Error('response head already written');
    const req = this.req;
    let close = false;
    let length = -1;
    let date = false;
    let s = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? ''}\r\n`;
    // every name a token and no control in a value or the reason (a CR or LF would split the response)
    if (reason !== undefined && !isFieldValue(reason)) throw new Error('a response reason cannot be sent (a control character in it)');
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const n = fields[i] as string;
      const v = fields[i + 1] as string;
      if (n.length === 0) throw new Error('response field "" cannot be sent');
      if (!isToken(n) || !isFieldValue(v)) throw new Error('a response field cannot be sent (not a token, or a control character in its value)');
      switch (n.length) {
        case 4:
          if (n.toLowerCase() === 'date') date = true;
          break;
        case 10:
          if (n.toLowerCase() === 'connection') {
            if (/(^|,)\s*close\s*(,|$)/i.test(v)) close = true;
            continue; // ours to write
          }
          break;
        case 14:
          if (n.toLowerCase() === 'content-length') length = Number(v);
          break;
        case 17:
          if (n.toLowerCase() === 'transfer-encoding') continue; // ours to decide
          break;
      }
      s += `${n}: ${v}\r\n`;
    }
    if (!date) s += `Date: ${httpDate()}\r\n`;
    this.noBody = req.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    if (length >= 0) this.left = this.noBody ? -1 : length;
    else if (!this.noBody) {
      if (req.minor === 1) {
        this.chunked = true;
        s += 'Transfer-Encoding: chunked\r\n';
      } else close = true; // an HTTP/1.0 body without a length ends with the connection
    }
    const keep = !close && this.conn.mayKeep(req);
    this.keepAlive = keep;
    if (!keep) s += 'Connection: close\r\n';
    else if (req.minor === 0) s += 'Connection: keep-alive\r\n';
    this.statusCode = status;
    this.headersSent = true;
    this.head = `${s}\r\n`;
  }

  /** `100 Continue` (RFC 9110 §10.1.1), when the client asked for it and the head is not written yet. */
  writeContinue(): void {
    if (this.req.expectContinue && !this.headersSent && !this.destroyed) this.conn.socket.write(CONTINUE, 'latin1');
  }

  /**
   * A body chunk; false when the socket's buffer is full (wait for onDrain). `done`, if given, is
   * called once when the socket no longer needs `chunk` (written, or dropped), so that a lent
   * buffer can be used again.
   */
  write(chunk: Buffer | string, done?: () => void): boolean {
    if (this.finished || this.destroyed) {
      done?.();
      return false;
    }
    if (!this.headersSent) this.writeHead(200, undefined, []);
    const len = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.noBody || len === 0) {
      this.flush();
      done?.();
      return true;
    }
    if (this.left >= 0) {
      if (len > this.left) {
        // more than the Content-Length we announced: the framing would break, so the connection goes
        this.destroy();
        done?.();
        return false;
      }
      this.left -= len;
    }
    const sock = this.conn.socket;
    if (this.chunked) {
      sock.cork();
      if (this.head !== undefined) this.flush();
      sock.write(`${len.toString(16)}\r\n`, 'latin1');
      sock.write(chunk, done);
      const ok = sock.write('\r\n', 'latin1');
      sock.uncork();
      return ok;
    }
    if (this.head !== undefined) {
      const head = this.head;
      this.head = undefined;
      if (len <= JOIN_WITH_HEAD) {
        // a small first chunk goes out in one buffer with the head: one write, not a corked
        // pair and a writev (about 0.8 µs less per reply; the chunk's octets are copied, so a
        // lent chunk is released at once). A string chunk is UTF-8, as socket.write would send it.
        const b = Buffer.allocUnsafe(head.length + len);
        b.write(head, 0, 'latin1');
        if (typeof chunk === 'string') b.write(chunk, head.length, 'utf8');
        else chunk.copy(b, head.length);
        done?.();
        return sock.write(b);
      }
      sock.cork();
      sock.write(head, 'latin1');
      const ok = sock.write(chunk, done);
      sock.uncork();
      return ok;
    }
    return sock.write(chunk, done);
  }

  /** The last chunk (if any) and the end of the response. */
  end(chunk?: Buffer | string): void {
    if (this.finished || this.destroyed) return;
    if (!this.headersSent) this.writeHead(200, undefined, []);
    if (chunk !== undefined) this.write(chunk);
    if (this.destroyed) return;
    if (this.chunked) {
      if (this.head !== undefined) {
        const head = this.head;
        this.head = undefined;
        this.conn.socket.write(`${head}0\r\n\r\n`, 'latin1');
      } else this.conn.socket.write('0\r\n\r\n', 'latin1');
    } else this.flush();
    this.finished = true;
    if (this.left > 0) {
      // fewer octets than the Content-Length said: the client would wait for the rest
      this.keepAlive = false;
      this.conn.socket.destroy();
      return;
    }
    this.conn.responseDone(this);
  }

  /** `cb` once, when the socket can take more after write() returned false. */
  onDrain(cb: () => void): void {
    this.conn.socket.once('drain', cb);
  }

  /** `cb` once: after end(), or when the connection went away first. */
  onClose(cb: () => void): void {
    this.closeCb = cb;
  }

  /** Cuts the connection (a relayed response that cannot be completed). */
  destroy(): void {
    if (!this.finished) this.conn.socket.destroy();
  }

  /** @internal the head, if still held */
  flush(): void {
    const head = this.head;
    if (head === undefined) return;
    this.head = undefined;
    if (!this.destroyed) this.conn.socket.write(head, 'latin1');
  }

  /** @internal the response is over (ended, or its connection is gone): tell the owner once. */
  closeNow(lost: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (lost && !this.finished) this.destroyed = true;
    this.closeCb?.();
  }
}

function flushHead(r: Reply): void {
  r.flush();
}

class Conn {
  state = ConnState.Idle;
  /** Octets of a head in progress or of pipelined requests, not yet parsed. */
  buf: Buffer | undefined;
  req: Request | undefined;
  res: Reply | undefined;
  /** When the current state's deadline started (performance.now(), ms). */
  since: number;
  /** When the current request's head started. */
  reqSince = 0;
  /** Body octets (framing 'length') or chunk octets (chunked) still to come. */
  private left = 0;
  private chunk = Chunk.Size;
  private line: Buffer | undefined;
  private trailerOctets = 0;
  private bodyPaused = false;
  private pumping = false;
  /** Requests on this connection so far. */
  requests = 0;
  /** The client closed its side (FIN): answer what it sent, then close ours. */
  private clientEnded = false;
  /** Closing: how long after our last octet went out the connection may stay (the client's FIN normally ends it sooner). */
  private linger = 0;

  constructor(
    readonly server: Http1Server,
    readonly socket: net.Socket,
  ) {
    this.since = performance.now();
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => this.onClose());
  }

  private onData(d: Buffer): void {
    switch (this.state) {
      case ConnState.Closing:
        return;
      case ConnState.Body:
      case ConnState.Discard: {
        const rest = this.feedBody(d);
        if (rest === undefined || rest.length === 0) return;
        d = rest;
        if ((this.state as ConnState) === ConnState.Closing) return;
        break;
      }
      case ConnState.Idle:
        if (this.buf === undefined) {
          this.state = ConnState.Head;
          this.since = this.reqSince = performance.now();
        }
        break;
    }
    this.buf = this.buf === undefined ? d : Buffer.concat([this.buf, d]);
    this.pump();
  }

  /**
   * The client closed its sending side (the server is half-open, so our answers can still go
   * out): requests already received are answered, then our side closes; a request cut short
   * (head or body) cannot be completed.
   */
  private onEnd(): void {
    this.clientEnded = true;
    switch (this.state) {
      case ConnState.Idle:
      case ConnState.Head:
      case ConnState.Discard:
        this.closeSoon(false);
        break;
      case ConnState.Body:
        this.fail(new RequestError(400, 'bad-request', 'connection closed inside the request body'));
        break;
      case ConnState.Closing:
        if (this.socket.writableFinished) this.socket.destroy();
        break;
      default:
        // Respond: the answer goes out, then next() closes
        break;
    }
  }

  /** Parses and dispatches what `buf` holds, as long as the connection is between requests. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while ((this.state === ConnState.Idle || this.state === ConnState.Head) && this.buf !== undefined) {
        if (!this.nextRequest()) break;
      }
      // the client has ended and what is left is no whole request
      if (this.clientEnded && (this.state === ConnState.Idle || this.state === ConnState.Head)) this.closeSoon(false);
      // a pipelined request waits for the response in flight; past one head's worth, stop reading
      if (this.state === ConnState.Respond && this.buf !== undefined && this.buf.length > this.server.options.maxHeaderBytes) this.socket.pause();
    } finally {
      this.pumping = false;
    }
  }

  /** One request from `buf`, if its head is complete; false when more octets are needed or the connection is done. */
  private nextRequest(): boolean {
    let data = this.buf as Buffer;
    // RFC 9112 §2.2: empty lines before a request-line are ignored
    let start = 0;
    while (start < data.length && (data[start] === 13 || data[start] === 10)) start++;
    if (start === data.length) {
      this.buf = undefined;
      return false;
    }
    if (this.state === ConnState.Idle) {
      this.state = ConnState.Head;
      this.since = this.reqSince = performance.now();
    }
    const max = this.server.options.maxHeaderBytes;
    // the end of the head: an empty line. Lines end in CRLF; a bare LF (which RFC 9112 §2.2 lets
    // a recipient accept) is refused, as a front end and a back end that disagree on line ends
    // are a request-smuggling vector: LF LF ends the head here only to be refused.
    let end = -1;
    let bodyAt = -1;
    for (let i = data.indexOf(10, start); i >= 0; i = data.indexOf(10, i + 1)) {
      const c = data[i + 1];
      if (c === 10) {
        end = i;
        bodyAt = i + 2;
        break;
      }
      if (c === 13 && data[i + 2] === 10) {
        end = i;
        bodyAt = i + 3;
        break;
      }
      if (i - start > max) break;
    }
    if (end >= 0 && (data[end - 1] !== 13 || bodyAt !== end + 3)) {
      this.fail(new RequestError(400, 'bad-request', 'a line ends in a bare LF'));
      return false;
    }
    if (end < 0 || end - start > max) {
      if (data.length - start > max) this.fail(new RequestError(431, 'header-too-large', 'request head too large'));
      else if (start > 0) this.buf = data.subarray(start);
      return false;
    }
    let req: Request;
    try {
      req = this.parse(data, start, data.toString('latin1', start, end));
    } catch (e) {
      if (!(e instanceof RequestError)) throw e;
      this.fail(e);
      return false;
    }
    this.requests++;
    const rest = bodyAt < data.length ? data.subarray(bodyAt) : undefined;
    const res = new Reply(this, req);
    this.req = req;
    this.res = res;
    if (req.framing === 'none') {
      this.state = ConnState.Respond;
      this.buf = rest;
      this.server.handlers.request(req, res);
      return true;
    }
    // the octets after the head are this request's body first: held here, not in `buf`, while
    // the handler runs (it may answer at once, and the next request must not start inside them)
    this.buf = undefined;
    this.state = ConnState.Body;
    this.left = req.contentLength;
    this.chunk = Chunk.Size;
    this.trailerOctets = 0;
    this.server.handlers.request(req, res);
    if (rest !== undefined && (this.state === ConnState.Body || this.state === ConnState.Discard)) {
      const after = this.feedBody(rest);
      if (after !== undefined && after.length > 0 && (this.state as ConnState) !== ConnState.Closing) this.buf = after;
    }
    return true;
  }

  /** The head's text (the latin1 decoding of `octets` from `at`) -> a Request, or a RequestError (RFC 9112 §3, §5, §6). */
  private parse(octets: Uint8Array, at: number, text: string): Request {
    // `text` ends before the final CR LF; every line ends in CR LF (a bare CR or LF left inside a
    // line is a control character, refused below)
    const to = text.length - 1;
    let eol = text.indexOf('\r\n');
    if (eol < 0 || eol > to) eol = to;
    const m = REQUEST_LINE.exec(text.slice(0, eol));
    if (m === null) throw new RequestError(400, 'bad-request', 'bad request line');
    // HTTP/1.0 and HTTP/1.1 only: RFC 9110 §6.2 would let a later 1.x be served as 1.1, but no
    // such version exists and llhttp (node:http) refuses it, so we do too
    if (m[3] !== '1' || (m[4] !== '0' && m[4] !== '1')) throw new RequestError(505, 'version', `HTTP/${m[3]}.${m[4]} is not served`);
    const minor = m[4] === '0' ? 0 : 1;
    const raw: string[] = [];
    switch (parseFieldLines(octets, at, text, eol + 2, to, raw)) {
      case FIELDS_OBS_FOLD:
        throw new RequestError(400, 'framing', 'obs-fold or whitespace before a field'); // RFC 9112 §2.2, §5.2
      case FIELDS_BAD_NAME:
        throw new RequestError(400, 'bad-request', 'bad field name'); // includes whitespace before the colon, RFC 9112 §5.1
      case FIELDS_BAD_VALUE:
        throw new RequestError(400, 'bad-request', 'control character in a field value');
    }
    let cl: string | undefined;
    let te: string | undefined;
    let hosts = 0;
    let expect: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      switch (name.length) {
        case 4:
          if (name === 'Host' || name.toLowerCase() === 'host') hosts++;
          break;
        case 6:
          if (name === 'Expect' || name.toLowerCase() === 'expect') expect = (raw[i + 1] as string).toLowerCase();
          break;
        case 14:
          if (name === 'Content-Length' || name.toLowerCase() === 'content-length') {
            if (cl !== undefined) throw new RequestError(400, 'framing', 'more than one Content-Length');
            cl = raw[i + 1] as string;
          }
          break;
        case 17:
          if (name === 'Transfer-Encoding' || name.toLowerCase() === 'transfer-encoding') {
            if (te !== undefined) throw new RequestError(400, 'framing', 'more than one Transfer-Encoding');
            te = raw[i + 1] as string;
          }
          break;
      }
    }
    if (minor === 1 ? hosts !== 1 : hosts > 1) throw new RequestError(400, 'bad-request', hosts === 0 ? 'no Host field' : 'more than one Host field');
    let framing: 'none' | 'length' | 'chunked' = 'none';
    let length = 0;
    if (te !== undefined) {
      if (cl !== undefined) throw new RequestError(400, 'framing', 'Transfer-Encoding with Content-Length'); // RFC 9112 §6.3 rule 3
      if (minor === 0) throw new RequestError(400, 'framing', 'Transfer-Encoding in HTTP/1.0'); // RFC 9112 §6.1
      if (te.toLowerCase() !== 'chunked') throw new RequestError(400, 'framing', `Transfer-Encoding ${te} not understood`); // RFC 9112 §6.3 rule 4
      framing = 'chunked';
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new RequestError(400, 'framing', 'bad Content-Length');
      length = Number(cl);
      if (length > 0) framing = 'length';
    }
    let expectContinue = false;
    if (expect !== undefined) {
      if (expect !== '100-continue') throw new RequestError(417, 'expectation', `Expect: ${expect} cannot be met`);
      expectContinue = framing !== 'none';
    }
    const method = m[1] as string;
    const target = m[2] as string;
    // RFC 9112 §3.2: origin-form (/path), absolute-form (scheme:...), authority-form only for
    // CONNECT, asterisk-form only for OPTIONS; anything else is no request-target
    if (target.charCodeAt(0) !== 47 && !(method === 'CONNECT' || (target === '*' && method === 'OPTIONS') || ABSOLUTE_FORM.test(target))) {
      throw new RequestError(400, 'bad-request', 'bad request-target');
    }
    return new Request(this, method, target, minor, raw, framing, length, expectContinue);
  }

  /** Body octets from `d`; returns what follows the body's end (undefined: all of `d` was body). */
  private feedBody(d: Buffer): Buffer | undefined {
    const req = this.req as Request;
    let at = 0;
    while (at < d.length) {
      if (req.framing === 'length' || this.chunk === Chunk.Data) {
        const n = Math.min(this.left, d.length - at);
        const part = at === 0 && n === d.length ? d : d.subarray(at, at + n);
        at += n;
        this.left -= n;
        this.deliver(req, part);
        if (this.left === 0) {
          if (req.framing === 'length') {
            this.bodyEnd(req);
            return at < d.length ? d.subarray(at) : undefined;
          }
          this.chunk = Chunk.DataEnd;
        }
        continue;
      }
      // a line of the chunked framing (size, the CRLF after data, a trailer), RFC 9112 §7.1
      const nl = d.indexOf(10, at);
      if (nl < 0) {
        const more = (this.line?.length ?? 0) + d.length - at;
        if (more > (this.chunk === Chunk.Trailers ? this.server.options.maxHeaderBytes - this.trailerOctets : MAX_CHUNK_LINE)) {
          this.fail(new RequestError(400, 'framing', 'chunk framing line too long'));
          return undefined;
        }
        const tail = d.subarray(at);
        this.line = this.line === undefined ? Buffer.from(tail) : Buffer.concat([this.line, tail]);
        return undefined;
      }
      let line = d.toString('latin1', at, nl);
      if (this.line !== undefined) {
        line = this.line.toString('latin1') + line;
        this.line = undefined;
      }
      at = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (this.chunk === Chunk.Size) {
        const semi = line.indexOf(';');
        const size = trimOws(semi < 0 ? line : line.slice(0, semi));
        if (line.length > MAX_CHUNK_LINE || !HEX.test(size)) {
          this.fail(new RequestError(400, 'framing', 'bad chunk size'));
          return undefined;
        }
        this.left = parseInt(size, 16);
        this.chunk = this.left === 0 ? Chunk.Trailers : Chunk.Data;
      } else if (this.chunk === Chunk.DataEnd) {
        if (line.length !== 0) {
          this.fail(new RequestError(400, 'framing', 'chunk data longer than its size'));
          return undefined;
        }
        this.chunk = Chunk.Size;
      } else {
        // trailer fields are dropped (RFC 9110 §6.5.1)
        this.trailerOctets += line.length + 2;
        if (this.trailerOctets > this.server.options.maxHeaderBytes) {
          this.fail(new RequestError(431, 'header-too-large', 'trailers too large'));
          return undefined;
        }
        if (line.length === 0) {
          this.bodyEnd(req);
          return at < d.length ? d.subarray(at) : undefined;
        }
      }
    }
    return undefined;
  }

  private deliver(req: Request, part: Buffer): void {
    if (this.state === ConnState.Discard) return;
    const sink = req.sink;
    if (sink !== undefined) {
      if (!sink.data(part) && !this.bodyPaused) {
        this.bodyPaused = true;
        this.socket.pause();
      }
      return;
    }
    (req.early ??= []).push(Buffer.from(part));
    req.earlyOctets += part.length;
    if (req.earlyOctets > EARLY_BODY_OCTETS && !this.bodyPaused) {
      this.bodyPaused = true;
      this.socket.pause();
    }
  }

  private bodyEnd(req: Request): void {
    req.complete = true;
    if (this.state === ConnState.Discard) {
      req.sink?.end();
      this.next();
      return;
    }
    // Respond before the sink hears the end: a reader that answers at once (readBodyWith) ends
    // the response, and with it this state, inside end()
    this.state = ConnState.Respond;
    this.since = performance.now();
    req.sink?.end();
  }

  /** The body's reader wants more. */
  resumeBody(): void {
    if (!this.bodyPaused) return;
    this.bodyPaused = false;
    if (this.state !== ConnState.Closing) this.socket.resume();
  }

  /** Whether the connection may carry another request after `req`'s response. */
  mayKeep(req: Request): boolean {
    if (this.server.closing || req.method === 'CONNECT') return false;
    // every Connection field's members (RFC 9110 §7.6.1), as the upstream parser reads them
    return req.minor === 1 ? !listHas(req.rawHeaders, 'connection', 'close') : listHas(req.rawHeaders, 'connection', KEEP_ALIVE_OPTION);
  }

  /** `res` ended: the next request, or the connection's end. */
  responseDone(res: Reply): void {
    if (res !== this.res) return;
    const req = this.req as Request;
    this.res = undefined;
    res.closeNow(false);
    if (!res.keepAlive) {
      this.closeSoon(!req.complete);
      return;
    }
    if (!req.complete) {
      // the answer went before the body was read: read it to its end and drop it, then go on
      this.state = ConnState.Discard;
      this.since = performance.now();
      this.resumeBody();
      return;
    }
    this.next();
  }

  private next(): void {
    this.req = undefined;
    if (this.server.closing || (this.clientEnded && this.buf === undefined)) {
      // the server is stopping: this connection carried its last request
      this.closeSoon(false);
      return;
    }
    this.state = ConnState.Idle;
    this.since = performance.now();
    if (this.bodyPaused) this.resumeBody();
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buf !== undefined) this.pump();
  }

  /**
   * No more requests: FIN after what is written. With a body still arriving, read and drop it a
   * little longer (closing on unread data would reset the connection and could lose our answer).
   */
  closeSoon(unread: boolean): void {
    if (this.state === ConnState.Closing) return;
    this.state = ConnState.Closing;
    this.buf = undefined;
    this.since = performance.now();
    this.linger = unread ? LINGER_MS : this.server.options.requestTimeoutMs;
    this.socket.resume();
    this.socket.end();
  }

  /** A request we cannot read: the status, the connection's end. */
  fail(err: RequestError): void {
    this.server.handlers.clientError?.(this.socket, err);
    const req = this.req;
    const res = this.res;
    if (req !== undefined && !req.complete) {
      req.lost = err;
      req.sink?.abort(err);
    }
    if (res !== undefined && res.headersSent) {
      // the response to this request is under way: it cannot be replaced
      this.socket.destroy();
      return;
    }
    // the request's owner (if it got that far) hears that its response will not be sent
    this.res = undefined;
    res?.closeNow(true);
    if (this.socket.writable) {
      this.socket.write(`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1');
    }
    this.closeSoon(true);
  }

  /** The sweep: deadlines of this connection at the server's clock `now`. */
  check(now: number): void {
    const o = this.server.options;
    switch (this.state) {
      case ConnState.Idle:
        if (now - this.since >= (this.requests === 0 ? o.headersTimeoutMs : o.keepAliveTimeoutMs)) {
          if (this.requests === 0) this.fail(new RequestError(408, 'client-timeout', 'no request in time'));
          else this.socket.destroy();
        }
        break;
      case ConnState.Head:
        if (now - this.reqSince >= o.headersTimeoutMs) this.fail(new RequestError(408, 'client-timeout', 'request head not complete in time'));
        break;
      case ConnState.Body:
      case ConnState.Discard:
        if (now - this.reqSince >= o.requestTimeoutMs) {
          if (this.state === ConnState.Discard) this.socket.destroy();
          else this.fail(new RequestError(408, 'client-timeout', 'request body not complete in time'));
        }
        break;
      case ConnState.Closing:
        // our answer is out (or the client never read it): cut what the client has not closed
        if (now - this.since >= (this.socket.writableFinished ? this.linger : this.server.options.requestTimeoutMs + this.linger)) this.socket.destroy();
        break;
      default:
        break;
    }
  }

  /** When the server stops: an idle connection closes now. */
  closeIfIdle(): void {
    if (this.state === ConnState.Idle && this.buf === undefined) this.socket.destroy();
  }

  private onClose(): void {
    this.state = ConnState.Closing;
    this.server.forget(this);
    const req = this.req;
    if (req !== undefined && !req.complete) {
      const err = Object.assign(new Error('the client closed the connection'), { code: 'ECONNRESET' });
      req.lost = err;
      req.sink?.abort(err);
    }
    this.res?.closeNow(true);
    this.res = undefined;
  }
}

export class Http1Server {
  readonly net: net.Server;
  private readonly conns = new Set<Conn>();
  closing = false;
  private sweep: NodeJS.Timeout | undefined;
  private readonly sweepMs: number;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly options: Http1ServerOptions,
    readonly handlers: Http1Handlers,
  ) {
    this.sweepMs = Math.max(50, Math.min(1000, Math.floor(Math.min(options.headersTimeoutMs, options.keepAliveTimeoutMs) / 4)));
    // half-open: a client that sends its request and closes its side still gets the answer
    this.net = net.createServer({ noDelay: true, allowHalfOpen: true, ...(options.highWaterMark ? { highWaterMark: options.highWaterMark } : {}) }, (socket) => this.accept(socket));
    this.net.maxConnections = options.maxConnections;
    this.net.on('drop', () => handlers.drop?.());
  }

  get connections(): number {
    return this.conns.size;
  }

  get listening(): boolean {
    return this.net.listening;
  }

  listen(port: number, host: string): Promise<net.AddressInfo> {
    return listenTcp(this.net, port, host);
  }

  address(): net.AddressInfo | null {
    return this.net.address() as net.AddressInfo | null;
  }

  private accept(socket: net.Socket): void {
    if (this.closing || (this.handlers.connection !== undefined && !this.handlers.connection(socket))) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.conns.add(new Conn(this, socket));
    if (this.sweep === undefined) {
      this.sweep = setInterval(() => this.tick(), this.sweepMs);
      this.sweep.unref();
    }
  }

  private tick(): void {
    const now = performance.now();
    for (const c of this.conns) c.check(now);
  }

  /** @internal */
  forget(c: Conn): void {
    this.conns.delete(c);
    if (this.conns.size === 0) {
      clearInterval(this.sweep);
      this.sweep = undefined;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /**
   * Graceful stop: no new connections, idle ones closed now, the others after their response in
   * flight (which says `Connection: close`), and whatever is left cut at `deadline` (ms since epoch).
   */
  async close(deadline: number): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => (this.net.listening ? this.net.close(() => resolve()) : resolve()));
    const drained = new Promise<void>((resolve) => (this.conns.size === 0 ? resolve() : this.idleWaiters.push(resolve)));
    for (const c of this.conns) c.closeIfIdle();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
    clearTimeout(timer);
    for (const c of this.conns) c.socket.destroy();
    await drained;
    await stopped;
  }
}
