/**
 * The proxy's upstream side of HTTP/1.1 (RFC 9112), as pure functions and one pure parser: the
 * request head we send, and the MMSC's response read back. The response head is parsed and
 * checked; the body is framed (RFC 9112 §6.3) and handed on as views of the received chunks,
 * never copied or re-parsed, which is what makes a 300 KB retrieval cheap (docs/architecture.md,
 * "The proxy's upstream client").
 *
 * Strict where a lenient reading could let one response smuggle another into a reused
 * connection: obs-fold, a space before the colon, Transfer-Encoding with Content-Length, and
 * differing or malformed Content-Length values are errors (RFC 9112 §5.1, §5.2, §6.3), and a
 * connection is reused only when the response was framed and nothing followed it.
 */

import { FIELDS_BAD_NAME, FIELDS_BAD_VALUE, FIELDS_OBS_FOLD, KEEP_ALIVE_OPTION, isFieldValue, isToken, listHas, listMembers, parseFieldLines, trimOws } from '../core/http';

/** A response the proxy must not relay: the phone gets 502 (or, once relaying, a reset). */
export class UpstreamProtocolError extends Error {
  readonly code = 'EUPSTREAMPROTO';
  override readonly name = 'UpstreamProtocolError';
  constructor(readonly detail: string) {
    super(`upstream: ${detail}`);
  }
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** Flat [name, value, name, value, ...] as received (names keep their case). */
  rawHeaders: string[];
}

/** What the parser reports, in order: one head, body chunks, one end. */
export interface ResponseSink {
  head(h: ResponseHead): void;
  body(chunk: Buffer): void;
  /** The response is complete. `reusable`: the connection may carry another request. */
  end(reusable: boolean): void;
}

/** The longest response head (status line, fields, trailers) accepted. */
export const MAX_HEAD_OCTETS = 64 * 1024;
/** The longest chunk-size line (with extensions) accepted. */
const MAX_CHUNK_LINE = 4096;

const NO_MEMBERS: readonly string[] = [];
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: (.*))?$/;
const HEX = /^[0-9A-Fa-f]{1,15}$/;
const DIGITS = /^\d{1,15}$/;
/** How much of a response's first octets `readHead` searches as text. */
const PROBE_OCTETS = 2048;

/** `name: value` lines of a request head, checked: a value with CR, LF or another control would split the head or be refused (RFC 9110 §5.5). */
export function requestHead(method: string, target: string, headers: ReadonlyArray<readonly [string, string]>): string {
  let s = `${method} ${target} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i++) {
    const [n, v] = headers[i] as readonly [string, string];
    if (!isToken(n) || !isFieldValue(v)) throw new UpstreamProtocolError(`request field ${JSON.stringify(n)} cannot be sent`);
    s += `${n}: ${v}\r\n`;
  }
  return `${s}\r\n`;
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  Close,
  Done,
}

/**
 * One response on one connection. `feed` the octets as they arrive and `eof` when the connection
 * ends; both throw UpstreamProtocolError for a response that cannot be framed.
 */
export class ResponseParser {
  private state = State.Head;
  /** Octets of a head, chunk-size line or trailer section not yet complete. */
  private pending: Buffer | undefined;
  private left = 0;
  private keepAlive = false;
  private trailerOctets = 0;

  constructor(
    private readonly sink: ResponseSink,
    /** A response to HEAD has no body whatever its fields say (RFC 9112 §6.3 rule 1). */
    private readonly headRequest: boolean,
  ) {}

  feed(buf: Buffer): void {
    let at = 0;
    while (at < buf.length) {
      switch (this.state) {
        case State.Head: {
          const next = this.readHead(buf, at);
          if (next < 0) return;
          at = next;
          break;
        }
        case State.Length:
        case State.ChunkData: {
          // `left` octets of the body (or of this chunk) to go: hand on what this read holds of them
          const n = Math.min(this.left, buf.length - at);
          this.left -= n;
          const chunk = at === 0 && n === buf.length ? buf : buf.subarray(at, at + n);
          at += n;
          if (this.left === 0) this.state = this.state === State.Length ? State.Done : State.ChunkEnd;
          this.sink.body(chunk);
          if ((this.state as State) === State.Done) return this.finish(buf.length - at);
          break;
        }
        case State.ChunkSize:
        case State.ChunkEnd:
        case State.Trailers: {
          const next = this.readLine(buf, at);
          if (next < 0) return;
          at = next;
          if ((this.state as State) === State.Done) return this.finish(buf.length - at);
          break;
        }
        case State.Close:
          this.sink.body(at === 0 ? buf : buf.subarray(at));
          return;
        case State.Done:
          // octets after a complete response: never reuse this connection
          return;
      }
    }
  }

  /** The connection ended: completes a close-delimited body; anything else was cut short. */
  eof(): void {
    if (this.state === State.Close) {
      this.state = State.Done;
      this.sink.end(false);
      return;
    }
    if (this.state !== State.Done) throw new UpstreamProtocolError(this.state === State.Head ? 'connection closed before a response' : 'connection closed inside the body');
  }

  private finish(extra: number): void {
    this.sink.end(this.keepAlive && extra === 0);
  }

  /** Joins what is pending with `buf[at..]`; the caller searches the result. */
  private gather(buf: Buffer, at: number): Buffer {
    const rest = at === 0 ? buf : buf.subarray(at);
    return this.pending === undefined ? rest : Buffer.concat([this.pending, rest]);
  }

  /** Reads a head from buf[at..]; returns the offset after it, or -1 when more octets are needed. */
  private readHead(buf: Buffer, at: number): number {
    const data = this.gather(buf, at);
    const consumedBefore = this.pending?.length ?? 0;
    // the end of the head: an empty line. Lines end in CRLF: a bare LF, which RFC 9112 §2.2 lets a
    // recipient accept, is refused, as Node's parser (llhttp) refuses it; two parsers that disagree
    // on line ends frame differently. The head ends at the first LF followed by CR LF or by LF,
    // searched in the text of the first PROBE_OCTETS (a head usually fits: one conversion gives
    // the text that is parsed, and two string searches replace a Buffer.indexOf call per line).
    const probe = data.toString('latin1', 0, Math.min(data.length, PROBE_OCTETS));
    let end = probe.indexOf('\n\r\n');
    let bare = probe.indexOf('\n\n');
    let text = probe;
    if (end < 0 && bare < 0 && data.length > PROBE_OCTETS) {
      // a head longer than the probe: the same searches over all of it
      text = data.toString('latin1');
      end = text.indexOf('\n\r\n');
      bare = text.indexOf('\n\n');
    }
    if (bare >= 0 && (end < 0 || bare < end)) throw new UpstreamProtocolError('a line ends in a bare LF');
    if (end < 0) {
      if (data.length > MAX_HEAD_OCTETS) throw new UpstreamProtocolError('head too large');
      // keep our own octets: a view of `buf` (the socket's chunk) is copied, a joined buffer already is ours
      this.pending = this.pending === undefined ? Buffer.from(data) : data;
      return -1;
    }
    const bodyAt = end + 3;
    if (end > MAX_HEAD_OCTETS) throw new UpstreamProtocolError('head too large');
    if (data[end - 1] !== 13) throw new UpstreamProtocolError('a line ends in a bare LF');
    this.pending = undefined;
    // every line ends in CR LF; a CR or LF left inside a line is a control character, refused
    // below. The head is text[0, to): the last line's CR LF cut off.
    const to = end - 1;
    let eol = text.indexOf('\r\n');
    if (eol < 0 || eol > to) eol = to;
    const m = STATUS_LINE.exec(text.slice(0, eol));
    if (!m) throw new UpstreamProtocolError('bad status line');
    if (m[3] !== undefined && !isFieldValue(m[3])) throw new UpstreamProtocolError('control character in the reason phrase');
    const minor = Number(m[1]);
    const status = Number(m[2]);
    const raw: string[] = [];
    switch (parseFieldLines(text, eol + 2, to, raw)) {
      case FIELDS_OBS_FOLD:
        throw new UpstreamProtocolError('obs-fold'); // RFC 9112 §5.2
      case FIELDS_BAD_NAME:
        throw new UpstreamProtocolError('bad field name'); // includes a space before the colon, RFC 9112 §5.1
      case FIELDS_BAD_VALUE:
        throw new UpstreamProtocolError('control character in a field value');
    }
    const after = at + (bodyAt - consumedBefore);
    if (status < 200) {
      // 1xx: interim (RFC 9110 §15.2), another head follows; 101 we never asked for
      if (status === 101) throw new UpstreamProtocolError('unexpected 101');
      return after;
    }
    this.frame(minor, status, raw);
    this.sink.head({ status, reason: m[3] ?? '', rawHeaders: raw });
    if (this.state === State.Done) {
      this.finish(buf.length - after);
      return buf.length; // anything after a bodiless response is not ours
    }
    return after;
  }

  /** RFC 9112 §6.3: how the body is delimited, and whether the connection stays open. */
  private frame(minor: number, status: number, raw: string[]): void {
    // one pass for the three fields that frame a response (their names differ in length)
    let hasConn = false;
    let hasTe = false;
    let clSeen = false;
    let cl: string | undefined;
    /** A Content-Length fault, which matters only for a response with a body. */
    let clFault: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i] as string;
      // the usual spelling first: toLowerCase() makes a string, which most heads then need not
      if (n.length === 10) hasConn ||= n === 'Connection' || n.toLowerCase() === 'connection';
      else if (n.length === 17) hasTe ||= n === 'Transfer-Encoding' || n.toLowerCase() === 'transfer-encoding';
      else if (n.length === 14 && (n === 'Content-Length' || n.toLowerCase() === 'content-length')) {
        clSeen = true;
        // a list's values must all agree (RFC 9112 §6.3 rule 5); one value, the common case, needs no split
        const v = raw[i + 1] as string;
        const values = DIGITS.test(v) ? undefined : v.split(',');
        for (let k = 0; k < (values?.length ?? 1); k++) {
          const x = values === undefined ? v : trimOws(values[k] as string);
          if (!DIGITS.test(x)) clFault ??= 'bad Content-Length';
          else if (cl !== undefined && cl !== x) clFault ??= 'differing Content-Length values';
          else cl = x;
        }
      }
    }
    this.keepAlive = minor === 1 ? !(hasConn && listHas(raw, 'connection', 'close')) : hasConn && listHas(raw, 'connection', KEEP_ALIVE_OPTION);
    if (this.headRequest || status === 204 || status === 304) {
      this.state = State.Done;
      return;
    }
    if (clFault !== undefined) throw new UpstreamProtocolError(clFault);
    const te = hasTe ? listMembers(raw, 'transfer-encoding') : NO_MEMBERS;
    if (te.length > 0) {
      if (clSeen) throw new UpstreamProtocolError('Transfer-Encoding with Content-Length'); // RFC 9112 §6.3 rule 3
      if (te[te.length - 1] === 'chunked') {
        this.state = State.ChunkSize;
        return;
      }
      this.state = State.Close;
      this.keepAlive = false;
      return;
    }
    if (cl !== undefined) {
      this.left = Number(cl);
      this.state = this.left === 0 ? State.Done : State.Length;
      return;
    }
    this.state = State.Close;
    this.keepAlive = false;
  }

  /** One line of the chunked framing (size, the CRLF after data, a trailer); -1 when incomplete. */
  private readLine(buf: Buffer, at: number): number {
    const nl = buf.indexOf(10, at);
    if (nl < 0) {
      const more = (this.pending?.length ?? 0) + buf.length - at;
      if (more > (this.state === State.Trailers ? MAX_HEAD_OCTETS - this.trailerOctets : MAX_CHUNK_LINE)) throw new UpstreamProtocolError('chunk framing line too long');
      this.pending = this.pending === undefined ? Buffer.from(buf.subarray(at)) : Buffer.concat([this.pending, buf.subarray(at)]);
      return -1;
    }
    let line = buf.toString('latin1', at, nl);
    if (this.pending !== undefined) {
      line = this.pending.toString('latin1') + line;
      this.pending = undefined;
    }
    if (!line.endsWith('\r')) throw new UpstreamProtocolError('a chunk framing line ends in a bare LF');
    line = line.slice(0, -1);
    switch (this.state) {
      case State.ChunkSize: {
        if (line.length > MAX_CHUNK_LINE) throw new UpstreamProtocolError('chunk framing line too long');
        const semi = line.indexOf(';');
        const size = trimOws(semi < 0 ? line : line.slice(0, semi));
        if (!HEX.test(size)) throw new UpstreamProtocolError('bad chunk size');
        this.left = parseInt(size, 16);
        this.state = this.left === 0 ? State.Trailers : State.ChunkData;
        break;
      }
      case State.ChunkEnd:
        if (line.length !== 0) throw new UpstreamProtocolError('chunk data longer than its size');
        this.state = State.ChunkSize;
        break;
      default:
        // trailer fields are dropped (RFC 9110 §6.5.1 lets a recipient discard them)
        this.trailerOctets += line.length + 2;
        if (this.trailerOctets > MAX_HEAD_OCTETS) throw new UpstreamProtocolError('trailers too large');
        if (line.length === 0) this.state = State.Done;
    }
    return nl + 1;
  }
}
