/**
 * The few MMS encapsulation operations the demo MMSC needs (OMA-MMS-ENC 1.x §7: header fields
 * are a field octet (code | 0x80) or a Token-text name, then a value in the WSP general form
 * (WAP-230 §8.4.1.2): Short-integer (>= 0x80), Text-string (0x20..0x7F up to NUL), or
 * Value-length data (0..30, or 31 then a uintvar). Content-Type (0x84) is the last header and
 * the body follows it. A temporary local walker until src/codec/mms lands; it validates the
 * header block, rewrites an m-send-req into an m-retrieve-conf and writes m-send-conf.
 */
import { DecodeError } from '../core/errors';

export const MESSAGE_TYPE = 0x8c;
export const TRANSACTION_ID = 0x98;
export const MMS_VERSION = 0x8d;
export const CONTENT_TYPE = 0x84;
export const DATE = 0x85;
export const MESSAGE_ID = 0x8b;
export const FROM = 0x89;
export const BCC = 0x81;
export const RESPONSE_STATUS = 0x92;
export const RESPONSE_TEXT = 0x93;

export const M_SEND_REQ = 0x80;
export const M_SEND_CONF = 0x81;
export const M_NOTIFYRESP_IND = 0x83;
export const M_RETRIEVE_CONF = 0x84;
export const M_ACKNOWLEDGE_IND = 0x85;

export interface HeaderField {
  /** The field octet (with the 0x80 bit), or the Token-text name. */
  field: number | string;
  /** Raw value octets as on the wire. */
  raw: Buffer;
}

export interface WalkedPdu {
  headers: HeaderField[];
  /** Offset where the body starts (after Content-Type), or the end when there is none. */
  bodyOffset: number;
  messageType: number | undefined;
  transactionId: string | undefined;
  version: number | undefined;
}

const fail = (offset: number, message: string): never => {
  throw new DecodeError('mms', offset, message);
};

function valueEnd(buf: Buffer, at: number): number {
  if (at >= buf.length) return fail(at, 'header value missing');
  const b = buf[at] as number;
  if (b >= 0x80) return at + 1;
  if (b >= 0x20 || b === 0) {
    const nul = buf.indexOf(0, at);
    if (nul < 0) return fail(at, 'Text-string without its terminating NUL');
    return nul + 1;
  }
  let len = b;
  let p = at + 1;
  if (b === 0x1f) {
    len = 0;
    for (let i = 0; ; i++) {
      if (p >= buf.length || i >= 5) return fail(p, 'bad uintvar in Value-length');
      const o = buf[p++] as number;
      len = len * 128 + (o & 0x7f);
      if ((o & 0x80) === 0) break;
    }
  }
  if (p + len > buf.length) return fail(at, `Value-length ${len} beyond the end of the PDU`);
  return p + len;
}

/** Walks the header block; throws DecodeError on anything malformed. */
export function walkPdu(buf: Buffer): WalkedPdu {
  const headers: HeaderField[] = [];
  let p = 0;
  let bodyOffset = buf.length;
  while (p < buf.length) {
    const f = buf[p] as number;
    let field: number | string;
    let vStart: number;
    if (f >= 0x80) {
      field = f;
      vStart = p + 1;
    } else if (f >= 0x20 && f < 0x7f) {
      const nul = buf.indexOf(0, p);
      if (nul < 0) fail(p, 'header name without its terminating NUL');
      field = buf.toString('latin1', p, nul);
      vStart = nul + 1;
    } else {
      return fail(p, `0x${f.toString(16).padStart(2, '0')} is not a header field`);
    }
    const vEnd = valueEnd(buf, vStart);
    headers.push({ field, raw: buf.subarray(vStart, vEnd) });
    p = vEnd;
    if (field === CONTENT_TYPE) {
      bodyOffset = p;
      break;
    }
  }
  const first = headers[0];
  if (!first || first.field !== MESSAGE_TYPE || first.raw.length !== 1) fail(0, 'X-Mms-Message-Type must come first');
  const messageType = first?.raw[0];
  const tid = headers.find((h) => h.field === TRANSACTION_ID);
  const ver = headers.find((h) => h.field === MMS_VERSION);
  return {
    headers,
    bodyOffset,
    messageType,
    transactionId: tid ? tid.raw.toString('latin1').replace(/\0$/, '').replace(/^\x7f/, '') : undefined,
    version: ver?.raw.length === 1 ? ver.raw[0] : undefined,
  };
}

function textString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  // A Text-string starting with an octet >= 0x80 needs the Quote (0x7F) in front.
  return Buffer.concat([(b[0] ?? 0) >= 0x80 ? Buffer.from([0x7f]) : Buffer.alloc(0), b, Buffer.from([0])]);
}

function valueLength(n: number): Buffer {
  if (n <= 30) return Buffer.from([n]);
  const v: number[] = [n & 0x7f];
  for (let x = n >>> 7; x > 0; x >>>= 7) v.unshift((x & 0x7f) | 0x80);
  return Buffer.from([0x1f, ...v]);
}

function longInteger(v: number): Buffer {
  const bytes: number[] = [];
  let n = Math.max(0, Math.floor(v));
  do {
    bytes.unshift(n % 256);
    n = Math.floor(n / 256);
  } while (n > 0);
  return Buffer.from([bytes.length, ...bytes]);
}

/** m-send-conf: Type, Transaction-Id, Version, Response-Status, Response-Text?, Message-ID? */
export function encodeSendConf(o: { transactionId: string; version: number; status: number; text?: string; messageId?: string }): Buffer {
  const parts: Buffer[] = [
    Buffer.from([MESSAGE_TYPE, M_SEND_CONF, TRANSACTION_ID]),
    textString(o.transactionId),
    Buffer.from([MMS_VERSION, o.version, RESPONSE_STATUS, o.status]),
  ];
  if (o.text !== undefined) parts.push(Buffer.from([RESPONSE_TEXT]), textString(o.text));
  if (o.messageId !== undefined) parts.push(Buffer.from([MESSAGE_ID]), textString(o.messageId));
  return Buffer.concat(parts);
}

/** Headers of an m-send-req that have no place in an m-retrieve-conf (Bcc, Expiry, Delivery-Time, Sender-Visibility). */
const NOT_IN_RETRIEVE = new Set<number>([BCC, 0x88, 0x87, 0x94]);

/**
 * m-retrieve-conf from a stored m-send-req: type changed, Message-ID and Date added after the
 * version, From filled in when it was an insert-address-token, same Content-Type and parts.
 */
export function sendReqToRetrieveConf(req: Buffer, o: { messageId: string; date: number; from?: string }): Buffer {
  const w = walkPdu(req);
  const out: Buffer[] = [Buffer.from([MESSAGE_TYPE, M_RETRIEVE_CONF])];
  const keep = (f: HeaderField): Buffer =>
    Buffer.concat([typeof f.field === 'number' ? Buffer.from([f.field]) : textString(f.field), f.raw]);
  const tid = w.headers.find((h) => h.field === TRANSACTION_ID);
  if (tid) out.push(keep(tid));
  out.push(Buffer.from([MMS_VERSION, w.version ?? 0x92]));
  out.push(Buffer.from([MESSAGE_ID]), textString(o.messageId));
  out.push(Buffer.from([DATE]), longInteger(o.date));
  for (const h of w.headers) {
    if (h.field === MESSAGE_TYPE || h.field === TRANSACTION_ID || h.field === MMS_VERSION) continue;
    if (h.field === DATE || h.field === MESSAGE_ID) continue;
    if (typeof h.field === 'number' && NOT_IN_RETRIEVE.has(h.field)) continue;
    if (h.field === FROM && o.from !== undefined && h.raw.length === 2 && h.raw[1] === 0x81) {
      // insert-address-token: the MMSC fills in the authenticated sender.
      const addr = textString(o.from);
      out.push(Buffer.from([FROM]), valueLength(addr.length + 1), Buffer.from([0x80]), addr);
      continue;
    }
    out.push(keep(h));
  }
  out.push(req.subarray(w.bodyOffset));
  return Buffer.concat(out);
}
