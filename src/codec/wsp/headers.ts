/**
 * WSP headers (WAP-230 §8.4): a list of fields, each a well-known field name (0x80|code, Table 39,
 * encoding versions 1.1-1.5, old and new duplicates all decoded) or an application header
 * (Token-text name + Text-string value), with header code page shifts (§8.4.1: Shift-delimiter
 * 0x7F + page, or a short-cut shift 0x01-0x1F).
 *
 * Decoding: the extent of every value is first found by the generic rule of §8.4.1.2 (0-30
 * Value-length, 31 Length-quote + uintvar, 32-127 text to NUL, 128-255 one octet), then the typed
 * decoder for that field runs inside exactly that extent. A value that does not type (or a field
 * on another code page) is kept as `opaque` with its octets: unknown is never fatal, and every
 * decoded header carries `raw` so an unchanged header re-encodes byte for byte.
 *
 * Encoding: HTTP text (name, value) -> the well-known field when the name exists in the peer's
 * Encoding-Version and its value parses, else an application header (text name, text value).
 */
import { Reader, Writer } from '../bytes';
import { DecodeError, EncodeError } from '../../core/errors';
import { Memo } from '../../core/bounded';
import {
  decodeContentType,
  decodeParameter,
  encodeContentType,
  encodeParameter,
  formatContentType,
  formatParams,
  parseContentType,
  splitParams,
  type ParamValue,
} from './content-type';
import {
  APP_ID_BY_CODE,
  APP_ID_BY_NAME,
  CACHE_DIRECTIVE_BY_CODE,
  CACHE_DIRECTIVE_BY_NAME,
  CONTENT_ENCODING_BY_CODE,
  CONTENT_ENCODING_BY_NAME,
  DEFAULT_ENCODING_VERSION,
  DISPOSITION_BY_CODE,
  DISPOSITION_BY_NAME,
  HEADER_BY_CODE,
  HEADER_BY_NAME,
  type HeaderKind,
  LANGUAGE_BY_CODE,
  LANGUAGE_BY_NAME,
  METHOD_BY_CODE,
  METHOD_BY_NAME,
  PROFILE_WARNING_BY_CODE,
  PROFILE_WARNING_BY_HTTP,
  WARN_CODE_BY_CODE,
  WARN_CODE_BY_HTTP,
  charsetCode,
  charsetName,
  pickRow,
} from './tables';
import {
  decodeQValue,
  decodeTextValue,
  decodeVersion,
  encodeQValue,
  encodeTextValue,
  encodeVersion,
  formatHttpDate,
  isToken,
  parseHttpDate,
  quoteIfNeeded,
} from './values';

const LAYER = 'wsp';

export interface WspHeader {
  /** Field name, canonical case for well-known fields (`Content-Type`, `X-Wap-Application-Id`). */
  name: string;
  /** The value in HTTP text form (for opaque values: the octets in hex). */
  value: string;
  /** Exact octets of this field (name and value, without any page shift before it): a view into the decoded buffer. */
  raw?: Buffer;
  /** Header code page the field was on (1 is the default page). */
  page?: number;
  /** Page shift octets that preceded this field on the wire (a dangling shift at the end is an entry with an empty name). */
  shift?: Buffer;
  /** The value could not be typed: `value` is hex and only `raw` is faithful. */
  opaque?: boolean;
}

/** A header given by the caller: HTTP text name and value (raw optional). */
export type HeaderInput = Pick<WspHeader, 'name' | 'value'> & Partial<WspHeader>;

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decodes headers from `r` up to its end. */
export function decodeHeaders(input: Reader | Buffer): WspHeader[] {
  const r = Buffer.isBuffer(input) ? new Reader(input, LAYER) : input;
  const out: WspHeader[] = [];
  let page = 1;
  let shift: Buffer | undefined;
  while (!r.atEnd) {
    const start = r.pos;
    const o = r.peek();
    if (o === 0x7f) {
      r.u8();
      page = r.u8('Page-identity');
      shift = Buffer.concat([shift ?? Buffer.alloc(0), r.buf.subarray(start, r.pos)]);
      continue;
    }
    if (o >= 0x01 && o <= 0x1f) {
      page = r.u8();
      shift = Buffer.concat([shift ?? Buffer.alloc(0), r.buf.subarray(start, r.pos)]);
      continue;
    }
    let h: WspHeader;
    if (o & 0x80) {
      const code = r.u8() & 0x7f;
      const kind = page === 1 ? HEADER_BY_CODE.get(code)?.[3] : undefined;
      const high = kind === 'text' || kind === 'uri' ? unquotedHighText(r) : undefined;
      const ext = high ?? valueExtent(r);
      const valueBuf = r.buf.subarray(ext.start, ext.end);
      r.pos = ext.end;
      h = page === 1 ? decodeWellKnown(code, valueBuf) : opaqueHeader(`X-Wsp-Page-${page}-0x${hex2(code)}`, valueBuf);
    } else if (o === 0) {
      return r.fail('header field name expected, got 0x00');
    } else {
      const name = r.tokenText('Field-name');
      const value = r.textString('Application-specific value');
      h = { name, value };
    }
    h.raw = r.buf.subarray(start, r.pos);
    if (page !== 1) h.page = page;
    if (shift) h.shift = shift;
    shift = undefined;
    out.push(h);
  }
  // A shift with no field after it means nothing, but is kept (empty name, opaque) so the
  // octets round-trip.
  if (shift) out.push({ name: '', value: '', opaque: true, shift, raw: Buffer.alloc(0), ...(page !== 1 ? { page } : {}) });
  return out;
}

/** The empty header block's list, shared (HeaderBlockCache). */
const NO_HEADERS: readonly WspHeader[] = Object.freeze([]);

/**
 * Decoded header blocks remembered by their octets. A handset sends the same header block with
 * every request (its Accept, Accept-Charset, User-Agent, Profile...), and a block decodes the
 * same wherever it appears: decodeHeaders depends on nothing but the block's octets (code pages
 * start at 1 with each block, WAP-230 §8.4.1). At most `max` blocks of up to `maxOctets` octets
 * each, all forgotten at once when full (Memo). The lists given out are shared and frozen, with
 * their entries: a caller reads them and never changes them. An entry's `raw` and `shift` are
 * views into a copy of the block, so a remembered block keeps no datagram alive.
 */
export class HeaderBlockCache {
  private readonly memo: Memo<string, readonly WspHeader[]>;
  constructor(
    max = 256,
    readonly maxOctets = 1024,
  ) {
    this.memo = new Memo(max);
  }

  get size(): number {
    return this.memo.size;
  }

  /** The headers from `r` to its end, as decodeHeaders gives them (a malformed block throws as it does, at its offset in `r`). */
  decode(r: Reader): readonly WspHeader[] {
    const n = r.remaining;
    // an empty block (a method without headers) is one shared list too
    if (n === 0) return NO_HEADERS;
    if (n > this.maxOctets) return decodeHeaders(r);
    const key = r.buf.toString('latin1', r.pos, r.pos + n);
    let h = this.memo.get(key);
    if (h === undefined) {
      // its own memory (not a slice of Buffer's shared pool), so that it holds nothing else alive
      const copy = Buffer.allocUnsafeSlow(n);
      r.buf.copy(copy, 0, r.pos, r.pos + n);
      let fresh: WspHeader[];
      try {
        fresh = decodeHeaders(copy);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        return decodeHeaders(r); // throws again, with the offset in the caller's buffer
      }
      for (const x of fresh) Object.freeze(x);
      h = this.memo.set(key, Object.freeze(fresh));
    }
    r.pos += n;
    return h;
  }
}

/** §8.4.1.2 generic value extent. Leaves `r` where it was. */
function valueExtent(r: Reader): { start: number; end: number } {
  const start = r.pos;
  const o = r.peek();
  let end: number;
  if (o <= 30 || o === 31) {
    const len = r.valueLength('header value');
    end = r.pos + len;
  } else if (o < 0x80) {
    const idx = r.buf.indexOf(0, r.pos);
    if (idx < 0 || idx >= r.end) r.fail('header value has no terminating NUL');
    end = idx + 1;
  } else end = start + 1;
  r.pos = start;
  return { start, end };
}

/**
 * A text-only field (User-Agent, URIs...) whose value starts at 0x80 or above without the 0x7F
 * quote a Text-string requires: some handsets do that (fakewap `-A` with a high-bit agent, see
 * test/fixtures/captures/ua-highbit). Such a field has no well-known values, so the octet cannot
 * be a Short-integer: read the text to its NUL. Returns undefined when the value is not so.
 */
function unquotedHighText(r: Reader): { start: number; end: number } | undefined {
  const o = r.peek();
  if (o < 0x80) return undefined;
  const idx = r.buf.indexOf(0, r.pos);
  if (idx < 0 || idx >= r.end) return undefined;
  return { start: r.pos, end: idx + 1 };
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

function opaqueHeader(name: string, value: Buffer): WspHeader {
  return { name, value: genericText(value), opaque: true };
}

/** Best-effort text for an untyped value: text as is, a short integer as a number, else hex. */
function genericText(v: Buffer): string {
  const o = v[0];
  if (o === undefined) return '';
  if (o >= 32 && o < 0x80 && v[v.length - 1] === 0) return v.subarray(o === 0x7f ? 1 : 0, v.length - 1).toString('latin1');
  if (o & 0x80 && v.length === 1) return String(o & 0x7f);
  return v.toString('hex');
}

function decodeWellKnown(code: number, value: Buffer): WspHeader {
  const row = HEADER_BY_CODE.get(code);
  if (!row) return opaqueHeader(`X-Wsp-Header-0x${hex2(code)}`, value);
  const name = row[1];
  try {
    const r = new Reader(value, LAYER);
    const text = VALUE_CODECS[row[3]].decode(r);
    if (!r.atEnd) r.fail(`${name} value has ${r.remaining} trailing octets`);
    // Profile-Diff carries a WBXML document (WAP-248 §9.2.3.3): its base64 is no HTTP value.
    if (row[3] === 'profile-diff') return { name, value: text, opaque: true };
    return { name, value: text };
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { name, value: genericText(value), opaque: true };
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Encodes a header list for a peer at `version`. Unchanged decoded headers reuse their raw octets. */
export function encodeHeaders(list: readonly HeaderInput[], version: string | number = DEFAULT_ENCODING_VERSION): Buffer {
  const w = new Writer(LAYER, 256);
  writeHeaders(w, list, version);
  return w.toBuffer();
}

export function writeHeaders(w: Writer, list: readonly HeaderInput[], version: string | number = DEFAULT_ENCODING_VERSION): void {
  let page = 1;
  for (const h of list) {
    const hp = h.page ?? 1;
    if (h.name === '' && h.shift) {
      w.bytes(h.shift);
      page = hp;
      continue;
    }
    if (h.raw && rawMatches(h)) {
      if (h.shift) w.bytes(h.shift);
      else if (hp !== page) writeShift(w, hp);
      page = hp;
      w.bytes(h.raw);
      continue;
    }
    if (page !== 1) {
      writeShift(w, 1);
      page = 1;
    }
    encodeHeader(w, h.name, h.value, version);
  }
}

function writeShift(w: Writer, page: number): void {
  if (page >= 1 && page <= 31) w.u8(page);
  else w.u8(0x7f).u8(page);
}

function rawMatches(h: HeaderInput): boolean {
  if (!h.raw) return false;
  try {
    const d = decodeHeaders(new Reader(h.raw, LAYER));
    if (d.length !== 1) return false;
    const one = d[0] as WspHeader;
    // A page shift is not inside raw, so a field from another page decodes (on page 1) differently:
    // trust raw when the caller kept the page.
    if ((h.page ?? 1) !== 1) return true;
    return one.name.toLowerCase() === h.name.toLowerCase() && one.value === h.value;
  } catch {
    return false;
  }
}

/** Encodes one header from its HTTP text form. */
export function encodeHeader(w: Writer, name: string, value: string, version: string | number = DEFAULT_ENCODING_VERSION): void {
  const row = pickRow(HEADER_BY_NAME, name, version, 'newest');
  if (row) {
    const vw = new Writer(LAYER, 64);
    let ok = false;
    try {
      ok = VALUE_CODECS[row[3]].encode(vw, value, version);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      ok = false;
    }
    if (ok) {
      w.shortInteger(row[0]);
      w.bytes(vw.toBuffer());
      return;
    }
  }
  if (!isToken(name)) throw new EncodeError(LAYER, `header name ${JSON.stringify(name)} is not a token`);
  w.tokenText(name);
  w.textString(value.replace(/\0/g, ''));
}

// ---------------------------------------------------------------------------------------------
// Value codecs by kind. decode: Reader over exactly the value -> HTTP text. encode: text -> octets,
// false when the text has no binary form in this version (the caller then sends text).

interface ValueCodec {
  decode(r: Reader): string;
  encode(w: Writer, v: string, version: string | number): boolean;
}

type Row = readonly [number, string | number, string, ...unknown[]];

/** Short-integer from a table, or Token-text. */
function tokenOrCode(byCode: ReadonlyMap<number, Row>, byName: ReadonlyMap<string | number, readonly Row[]>): ValueCodec {
  return {
    decode(r) {
      const o = r.peek();
      if (o & 0x80) {
        const code = r.u8() & 0x7f;
        const row = byCode.get(code);
        if (!row) return r.fail(`unknown well-known value 0x${hex2(code)}`, r.pos - 1);
        return String(row[1]);
      }
      return r.textString('Token-text');
    },
    encode(w, v, version) {
      const row = pickRow(byName, v.trim(), version);
      if (row) w.shortInteger(row[0]);
      else w.textString(v.trim());
      return true;
    },
  };
}

const text: ValueCodec = {
  decode: (r) => r.textString('Text-string'),
  encode(w, v) {
    w.textString(v.replace(/\0/g, ''));
    return true;
  },
};

const integer: ValueCodec = {
  decode: (r) => String(r.integerValue()),
  encode(w, v) {
    if (!/^\s*\d+\s*$/.test(v)) return false;
    w.integerValue(Number(v));
    return true;
  },
};

const date: ValueCodec = {
  decode: (r) => formatHttpDate(r.longInteger('Date-value')),
  encode(w, v) {
    const s = parseHttpDate(v);
    if (s === undefined) return false;
    w.longInteger(s);
    return true;
  },
};

/** Splits `token;q=0.5` into its value and q. */
function splitQ(v: string): { value: string; q?: string; rest: string[] } {
  const parts = splitParams(v).map((p) => p.trim());
  const value = parts.shift() ?? '';
  let q: string | undefined;
  const rest: string[] = [];
  for (const p of parts) {
    const m = /^q\s*=\s*([0-9.]+)$/i.exec(p);
    if (m) q = m[1];
    else if (p) rest.push(p);
  }
  return q === undefined ? { value, rest } : { value, q, rest };
}

const withQ = (s: string, q: string | undefined): string => (q === undefined ? s : `${s};q=${q}`);

const acceptCharset: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o === 0x80) {
      r.u8();
      return '*';
    }
    if (o & 0x80) {
      const c = r.u8() & 0x7f;
      return charsetName(c) ?? String(c);
    }
    if (o >= 32) return r.textString('Extension-media');
    const sub = r.sub(r.valueLength('Accept-charset-general-form'));
    let cs: string;
    const f = sub.peek();
    if (f === 0x80) {
      sub.u8();
      cs = '*';
    } else if (f & 0x80 || (f >= 1 && f <= 30)) {
      const c = sub.integerValue('Well-known-charset');
      cs = charsetName(c) ?? String(c);
    } else cs = sub.tokenText('Token-text');
    const q = sub.atEnd ? undefined : decodeQValue(sub);
    if (!sub.atEnd) sub.fail('trailing octets in Accept-Charset');
    return withQ(cs, q);
  },
  encode(w, v) {
    const { value, q, rest } = splitQ(v);
    if (rest.length) return false;
    const code = value === '*' ? 0 : /^\d+$/.test(value) ? Number(value) : charsetCode(value);
    if (q === undefined) {
      if (code !== undefined && code <= 0x7f) w.shortInteger(code);
      else if (code !== undefined) w.withValueLength((i) => i.longInteger(code));
      else w.textString(value);
      return true;
    }
    w.withValueLength((i) => {
      if (code !== undefined) i.integerValue(code);
      else i.tokenText(value);
      encodeQValue(i, q);
    });
    return true;
  },
};

const ANY_ENCODING = 0x03;
const acceptEncoding: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o & 0x80 || o >= 32) return tokenOrCode(CONTENT_ENCODING_BY_CODE, CONTENT_ENCODING_BY_NAME).decode(r);
    const sub = r.sub(r.valueLength('Accept-encoding-general-form'));
    let enc: string;
    const f = sub.peek();
    if (f === 0x80 + ANY_ENCODING) {
      sub.u8();
      enc = '*';
    } else enc = tokenOrCode(CONTENT_ENCODING_BY_CODE, CONTENT_ENCODING_BY_NAME).decode(sub);
    const q = sub.atEnd ? undefined : decodeQValue(sub);
    if (!sub.atEnd) sub.fail('trailing octets in Accept-Encoding');
    return withQ(enc, q);
  },
  encode(w, v, version) {
    const { value, q, rest } = splitQ(v);
    if (rest.length) return false;
    if (q === undefined && value !== '*') return tokenOrCode(CONTENT_ENCODING_BY_CODE, CONTENT_ENCODING_BY_NAME).encode(w, value, version);
    w.withValueLength((i) => {
      if (value === '*') i.shortInteger(ANY_ENCODING);
      else tokenOrCode(CONTENT_ENCODING_BY_CODE, CONTENT_ENCODING_BY_NAME).encode(i, value, version);
      if (q !== undefined) encodeQValue(i, q);
    });
    return true;
  },
};

function decodeLanguage(r: Reader): string {
  const o = r.peek();
  if (o === 0x80) {
    r.u8();
    return '*';
  }
  if (o & 0x80 || (o >= 1 && o <= 30)) {
    const c = r.integerValue('Well-known-language');
    const row = LANGUAGE_BY_CODE.get(c);
    if (!row) return r.fail(`unknown language code 0x${hex2(c)}`);
    return row[1];
  }
  return r.textString('Text-string');
}

function encodeLanguage(w: Writer, lang: string, allowLong: boolean): void {
  const row = LANGUAGE_BY_NAME.get(lang.toLowerCase())?.[0];
  if (row && row[0] <= 0x7f) w.shortInteger(row[0]);
  else if (row && allowLong) w.longInteger(row[0]);
  else w.textString(lang);
}

const acceptLanguage: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o & 0x80 || o >= 32) return decodeLanguage(r);
    const sub = r.sub(r.valueLength('Accept-language-general-form'));
    const lang = decodeLanguage(sub);
    const q = sub.atEnd ? undefined : decodeQValue(sub);
    if (!sub.atEnd) sub.fail('trailing octets in Accept-Language');
    return withQ(lang, q);
  },
  encode(w, v) {
    const { value, q, rest } = splitQ(v);
    if (rest.length) return false;
    const row = LANGUAGE_BY_NAME.get(value.toLowerCase())?.[0];
    if (q === undefined && !(row && row[0] > 0x7f)) {
      encodeLanguage(w, value, false);
      return true;
    }
    w.withValueLength((i) => {
      encodeLanguage(i, value, true);
      if (q !== undefined) encodeQValue(i, q);
    });
    return true;
  },
};

const language: ValueCodec = {
  decode: decodeLanguage,
  encode(w, v) {
    encodeLanguage(w, v.trim(), true);
    return true;
  },
};

const contentTypeCodec: ValueCodec = {
  decode: (r) => formatContentType(decodeContentType(r)),
  encode(w, v, version) {
    encodeContentType(w, parseContentType(v), version);
    return true;
  },
};

/** Accept: the same grammar as Content-type-value (Media-range + Accept-parameters). */
const accept = contentTypeCodec;

const ACCEPT_RANGES: readonly Row[] = [
  [0x00, 'none', '1.1'],
  [0x01, 'bytes', '1.1'],
];
const acceptRanges = tokenOrCode(
  new Map(ACCEPT_RANGES.map((r) => [r[0], r])),
  new Map(ACCEPT_RANGES.map((r) => [r[1], [r]])),
);

const method: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o & 0x80) {
      const c = r.u8() & 0x7f;
      return METHOD_BY_CODE.get(c)?.[1] ?? r.fail(`unknown method 0x${hex2(c)}`, r.pos - 1);
    }
    return r.textString('Token-text');
  },
  encode(w, v, version) {
    const row = pickRow(METHOD_BY_NAME, v.trim(), version);
    if (row) w.shortInteger(row[0]);
    else w.textString(v.trim());
    return true;
  },
};

/** Allow is Well-known-method only. */
const allow: ValueCodec = {
  decode: method.decode,
  encode(w, v, version) {
    const row = pickRow(METHOD_BY_NAME, v.trim(), version);
    if (!row) return false;
    w.shortInteger(row[0]);
    return true;
  },
};

const credentials: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Credentials'));
    if (sub.peek() === 0x80) {
      sub.u8();
      const user = sub.textString('User-id');
      const pass = sub.textString('Password');
      if (!sub.atEnd) sub.fail('trailing octets in Basic credentials');
      return `Basic ${Buffer.from(`${user}:${pass}`, 'latin1').toString('base64')}`;
    }
    const scheme = sub.tokenText('Authentication-scheme');
    const params = decodeAuthParams(sub);
    return params ? `${scheme} ${params}` : scheme;
  },
  encode(w, v) {
    const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(v);
    if (m) {
      const decoded = Buffer.from(m[1] as string, 'base64').toString('latin1');
      const colon = decoded.indexOf(':');
      if (colon < 0 || decoded.includes('\0')) return false;
      w.withValueLength((i) => i.u8(0x80).textString(decoded.slice(0, colon)).textString(decoded.slice(colon + 1)));
      return true;
    }
    const sm = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(.*)$/.exec(v);
    if (!sm) return false;
    const params = parseAuthParams(sm[2] as string);
    if (!params) return false;
    w.withValueLength((i) => {
      i.tokenText(sm[1] as string);
      for (const [k, val] of params) encodeParameter(i, k, val, '1.1');
    });
    return true;
  },
};

function decodeAuthParams(r: Reader): string {
  const out: string[] = [];
  while (!r.atEnd) {
    const [k, v] = decodeParameter(r);
    out.push(`${k}=${typeof v === 'number' ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`}`);
  }
  return out.join(', ');
}

function parseAuthParams(s: string): [string, ParamValue][] | undefined {
  const out: [string, ParamValue][] = [];
  if (s.trim() === '') return out;
  for (const part of splitParams(s, ',')) {
    const m = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(part);
    if (!m) return undefined;
    let val = m[2] as string;
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (!isToken(val)) return undefined;
    out.push([(m[1] as string).toLowerCase(), val]);
  }
  return out;
}

const challenge: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Challenge'));
    if (sub.peek() === 0x80) {
      sub.u8();
      const realm = sub.textString('Realm-value');
      if (!sub.atEnd) sub.fail('trailing octets in Basic challenge');
      return `Basic realm=${quoteIfNeeded(realm).startsWith('"') ? quoteIfNeeded(realm) : `"${realm}"`}`;
    }
    const scheme = sub.tokenText('Authentication-scheme');
    const realm = sub.textString('Realm-value');
    const params = decodeAuthParams(sub);
    return `${scheme} realm="${realm}"${params ? `, ${params}` : ''}`;
  },
  encode(w, v) {
    const sm = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s+(.*)$/.exec(v);
    if (!sm) return false;
    const params = parseAuthParams(sm[2] as string);
    if (!params || params[0]?.[0] !== 'realm') return false;
    const realm = String(params[0][1]);
    const scheme = sm[1] as string;
    w.withValueLength((i) => {
      if (scheme.toLowerCase() === 'basic' && params.length === 1) i.u8(0x80).textString(realm);
      else {
        i.tokenText(scheme).textString(realm);
        for (const [k, val] of params.slice(1)) encodeParameter(i, k, val, '1.1');
      }
    });
    return true;
  },
};

const MAX_AGE_LIKE = new Set(['max-age', 'max-stale', 'min-fresh', 's-maxage']);
const FIELD_LIST = new Set(['no-cache', 'private']);

const cacheControl: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o & 0x80 || o >= 32) return tokenOrCode(CACHE_DIRECTIVE_BY_CODE, CACHE_DIRECTIVE_BY_NAME).decode(r);
    const sub = r.sub(r.valueLength('Cache-directive'));
    const f = sub.peek();
    if (f & 0x80) {
      const c = sub.u8() & 0x7f;
      const row = CACHE_DIRECTIVE_BY_CODE.get(c);
      if (!row) return sub.fail(`unknown cache directive 0x${hex2(c)}`, sub.pos - 1);
      const name = row[1];
      if (MAX_AGE_LIKE.has(name)) {
        const n = sub.integerValue('Delta-seconds-value');
        if (!sub.atEnd) sub.fail('trailing octets in Cache-Control');
        return `${name}=${n}`;
      }
      if (FIELD_LIST.has(name)) {
        const fields: string[] = [];
        while (!sub.atEnd) fields.push(decodeFieldName(sub));
        return `${name}="${fields.join(', ')}"`;
      }
      return sub.fail(`cache directive ${name} takes no value`);
    }
    const ext = sub.tokenText('Cache-extension');
    if (sub.atEnd) return ext;
    const [k, val] = decodeParameter(sub);
    if (!sub.atEnd) sub.fail('trailing octets in Cache-Control');
    return `${ext}${formatParams({ [k]: val }).replace(/^; /, '; ')}`;
  },
  encode(w, v, version) {
    const t = v.trim();
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*(.*))?$/.exec(t);
    if (!m) return false;
    const name = (m[1] as string).toLowerCase();
    const arg = m[2];
    const row = pickRow(CACHE_DIRECTIVE_BY_NAME, name, version);
    if (arg === undefined) {
      if (row) w.shortInteger(row[0]);
      else w.textString(name);
      return true;
    }
    if (!row) return false;
    if (MAX_AGE_LIKE.has(name)) {
      if (!/^\d+$/.test(arg)) return false;
      w.withValueLength((i) => i.shortInteger(row[0]).integerValue(Number(arg)));
      return true;
    }
    if (FIELD_LIST.has(name)) {
      const fields = arg.replace(/^"|"$/g, '').split(',').map((s) => s.trim()).filter(Boolean);
      if (fields.length === 0 || !fields.every(isToken)) return false;
      w.withValueLength((i) => {
        i.shortInteger(row[0]);
        for (const f of fields) encodeFieldName(i, f, version);
      });
      return true;
    }
    return false;
  },
};

function decodeFieldName(r: Reader): string {
  const o = r.peek();
  if (o & 0x80) {
    const c = r.u8() & 0x7f;
    const row = HEADER_BY_CODE.get(c);
    if (!row) return r.fail(`unknown field name 0x${hex2(c)}`, r.pos - 1);
    return row[1];
  }
  return r.tokenText('Field-name');
}

function encodeFieldName(w: Writer, name: string, version: string | number): void {
  const row = pickRow(HEADER_BY_NAME, name, version, 'newest');
  if (row) w.shortInteger(row[0]);
  else w.tokenText(name);
}

const fieldName: ValueCodec = {
  decode: decodeFieldName,
  encode(w, v, version) {
    if (!isToken(v.trim())) return false;
    encodeFieldName(w, v.trim(), version);
    return true;
  },
};

const connection = tokenOrCode(new Map([[0, [0, 'close', '1.1'] as const]]), new Map([['close', [[0, 'close', '1.1'] as const]]]));

const uri = text;

const md5: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Digest'));
    const d = sub.rest();
    if (d.length !== 16) r.fail(`Content-MD5 digest of ${d.length} octets`);
    return d.toString('base64');
  },
  encode(w, v) {
    const b = Buffer.from(v.trim(), 'base64');
    if (b.length !== 16) return false;
    w.valueLength(16).bytes(b);
    return true;
  },
};

const contentRange: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Content-range'));
    const first = sub.uintvar('First-byte-pos');
    let len: string;
    if (sub.peek() === 0x80) {
      sub.u8();
      len = '*';
    } else len = String(sub.uintvar('Entity-length'));
    if (!sub.atEnd) sub.fail('trailing octets in Content-Range');
    return `bytes ${first}-*/${len}`;
  },
  encode(w, v) {
    const m = /^\s*bytes\s+(\d+)-(?:\d*|\*)\/(\d+|\*)\s*$/i.exec(v);
    if (!m) return false;
    const first = Number(m[1]);
    const len = m[2] as string;
    if (first > 0xffffffff || (len !== '*' && Number(len) > 0xffffffff)) return false;
    w.withValueLength((i) => {
      i.uintvar(first);
      if (len === '*') i.u8(0x80);
      else i.uintvar(Number(len));
    });
    return true;
  },
};

const ifRange: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o >= 1 && o <= 30) return formatHttpDate(r.longInteger('Date-value'));
    return r.textString('Text-string');
  },
  encode(w, v) {
    const s = /^\s*"/.test(v) ? undefined : parseHttpDate(v);
    if (s !== undefined && /[a-z]/i.test(v)) w.longInteger(s);
    else w.textString(v);
    return true;
  },
};

const pragma: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o === 0x80) {
      r.u8();
      return 'no-cache';
    }
    const sub = r.sub(r.valueLength('Pragma'));
    const [k, val] = decodeParameter(sub);
    if (!sub.atEnd) sub.fail('trailing octets in Pragma');
    return val === '' ? k : `${k}=${typeof val === 'number' ? val : quoteIfNeeded(val)}`;
  },
  encode(w, v, version) {
    const t = v.trim();
    if (t.toLowerCase() === 'no-cache') {
      w.u8(0x80);
      return true;
    }
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*(.*))?$/.exec(t);
    if (!m) return false;
    let val = m[2] ?? '';
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1);
    w.withValueLength((i) => encodeParameter(i, m[1] as string, val, version));
    return true;
  },
};

const range: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Range'));
    const kind = sub.u8('Range kind');
    let out: string;
    if (kind === 0x80) {
      const first = sub.uintvar('First-byte-pos');
      const last = sub.atEnd ? '' : String(sub.uintvar('Last-byte-pos'));
      out = `bytes=${first}-${last}`;
    } else if (kind === 0x81) out = `bytes=-${sub.uintvar('Suffix-length')}`;
    else return sub.fail(`unknown range kind 0x${hex2(kind)}`, sub.pos - 1);
    if (!sub.atEnd) sub.fail('trailing octets in Range');
    return out;
  },
  encode(w, v) {
    const m = /^\s*bytes\s*=\s*(\d*)-(\d*)\s*$/i.exec(v);
    if (!m || (m[1] === '' && m[2] === '')) return false;
    const a = m[1] as string;
    const b = m[2] as string;
    if (Number(a) > 0xffffffff || Number(b) > 0xffffffff) return false;
    w.withValueLength((i) => {
      if (a === '') i.u8(0x81).uintvar(Number(b));
      else {
        i.u8(0x80).uintvar(Number(a));
        if (b !== '') i.uintvar(Number(b));
      }
    });
    return true;
  },
};

const retryAfter: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Retry-after'));
    const kind = sub.u8('Retry-after kind');
    let out: string;
    if (kind === 0x80) out = formatHttpDate(sub.longInteger('Date-value'));
    else if (kind === 0x81) out = String(sub.integerValue('Delta-seconds-value'));
    else return sub.fail(`unknown Retry-After form 0x${hex2(kind)}`, sub.pos - 1);
    if (!sub.atEnd) sub.fail('trailing octets in Retry-After');
    return out;
  },
  encode(w, v) {
    const t = v.trim();
    if (/^\d+$/.test(t)) {
      w.withValueLength((i) => i.u8(0x81).integerValue(Number(t)));
      return true;
    }
    const s = parseHttpDate(t);
    if (s === undefined) return false;
    w.withValueLength((i) => i.u8(0x80).longInteger(s));
    return true;
  },
};

const transferEncoding = tokenOrCode(new Map([[0, [0, 'chunked', '1.1'] as const]]), new Map([['chunked', [[0, 'chunked', '1.1'] as const]]]));

/** Warning: Warn-code | Value-length Warn-code Warn-agent Warn-text. */
const warning: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o & 0x80) {
      const c = r.u8() & 0x7f;
      return String(WARN_CODE_BY_CODE.get(c)?.[1] ?? r.fail(`unknown warn-code ${c}`, r.pos - 1));
    }
    const sub = r.sub(r.valueLength('Warning'));
    const c = sub.shortInteger('Warn-code');
    const code = WARN_CODE_BY_CODE.get(c)?.[1] ?? sub.fail(`unknown warn-code ${c}`, sub.pos - 1);
    const agent = sub.textString('Warn-agent');
    const txt = sub.textString('Warn-text');
    if (!sub.atEnd) sub.fail('trailing octets in Warning');
    return `${code} ${agent} "${txt.replace(/^"|"$/g, '')}"`;
  },
  encode(w, v) {
    const t = v.trim();
    const m = /^(\d{3})(?:\s+(\S+)\s+"(.*)"(?:\s+.*)?)?$/.exec(t);
    if (!m) return false;
    const http = Number(m[1]);
    const row = WARN_CODE_BY_HTTP.get(http)?.[0] ?? (http === 299 ? WARN_CODE_BY_CODE.get(99) : undefined);
    if (!row) return false;
    if (m[2] === undefined) w.shortInteger(row[0]);
    else w.withValueLength((i) => i.shortInteger(row[0]).textString(m[2] as string).textString(m[3] as string));
    return true;
  },
};

const contentDisposition: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Content-disposition'));
    let disp: string;
    const o = sub.peek();
    if (o & 0x80) {
      const c = sub.u8() & 0x7f;
      disp = DISPOSITION_BY_CODE.get(c)?.[1] ?? sub.fail(`unknown disposition 0x${hex2(c)}`, sub.pos - 1);
    } else disp = sub.tokenText('Disposition');
    const params: Record<string, ParamValue> = {};
    while (!sub.atEnd) {
      const [k, val] = decodeParameter(sub);
      params[k] = val;
    }
    return disp + formatParams(params);
  },
  encode(w, v, version) {
    const ct = parseContentType(v);
    const row = pickRow(DISPOSITION_BY_NAME, ct.mediaType, version);
    if (!row && !isToken(ct.mediaType)) return false;
    w.withValueLength((i) => {
      if (row) i.shortInteger(row[0]);
      else i.tokenText(ct.mediaType);
      for (const [k, val] of Object.entries(ct.params)) encodeParameter(i, k, val, version);
    });
    return true;
  },
};

const appId: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o & 0x80 || (o >= 1 && o <= 30)) {
      const c = r.integerValue('App-assigned-code');
      return APP_ID_BY_CODE.get(c)?.[1] ?? String(c);
    }
    return r.textString('Uri-value');
  },
  encode(w, v, version) {
    const t = v.trim();
    const row = pickRow(APP_ID_BY_NAME, t, version) ?? (APP_ID_BY_NAME.get(t.toLowerCase())?.[0]);
    if (row) w.integerValue(row[0]);
    else if (/^\d+$/.test(t)) w.integerValue(Number(t));
    else w.textString(t);
    return true;
  },
};

const shortInt: ValueCodec = {
  decode: (r) => String(r.shortInteger()),
  encode(w, v) {
    if (!/^\s*\d+\s*$/.test(v) || Number(v) > 127) return false;
    w.shortInteger(Number(v));
    return true;
  },
};

const opaque: ValueCodec = {
  decode: (r) => r.fail('opaque value'),
  encode: () => false,
};

const profileWarning: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o & 0x80) {
      const c = r.u8() & 0x7f;
      return String(PROFILE_WARNING_BY_CODE.get(c)?.[1] ?? r.fail(`unknown profile warn-code ${c}`, r.pos - 1));
    }
    const sub = r.sub(r.valueLength('Profile-warning'));
    const c = sub.shortInteger('Warn-code');
    const code = PROFILE_WARNING_BY_CODE.get(c)?.[1] ?? sub.fail(`unknown profile warn-code ${c}`, sub.pos - 1);
    const target = sub.textString('Warn-target');
    const d = sub.atEnd ? '' : ` "${formatHttpDate(sub.longInteger('Warn-date'))}"`;
    if (!sub.atEnd) sub.fail('trailing octets in Profile-Warning');
    return `${code} ${target}${d}`;
  },
  encode(w, v) {
    const m = /^\s*(\d{3})(?:\s+(\S+)(?:\s+"([^"]*)")?)?\s*$/.exec(v);
    if (!m) return false;
    const row = PROFILE_WARNING_BY_HTTP.get(Number(m[1]))?.[0];
    if (!row) return false;
    if (m[2] === undefined) {
      w.shortInteger(row[0]);
      return true;
    }
    const d = m[3] === undefined ? undefined : parseHttpDate(m[3]);
    if (m[3] !== undefined && d === undefined) return false;
    w.withValueLength((i) => {
      i.shortInteger(row[0]).textString(m[2] as string);
      if (d !== undefined) i.longInteger(d);
    });
    return true;
  },
};

/** Expect: 0x80 100-continue | Value-length Expression-var Expression-value *Parameter. */
const expect: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o === 0x80) {
      r.u8();
      return '100-continue';
    }
    const sub = r.sub(r.valueLength('Expect'));
    const name = sub.tokenText('Expression-var');
    const val = decodeTextValue(sub, 'Expression-value');
    const params: Record<string, ParamValue> = {};
    while (!sub.atEnd) {
      const [k, pv] = decodeParameter(sub);
      params[k] = pv;
    }
    return `${name}=${quoteIfNeeded(val)}${formatParams(params)}`;
  },
  encode(w, v, version) {
    const t = v.trim();
    if (t.toLowerCase() === '100-continue') {
      w.u8(0x80);
      return true;
    }
    const ct = parseContentType(t);
    const first = splitParams(t)[0] ?? '';
    const m = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(first);
    if (!m) return false;
    let val = m[2] as string;
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1);
    w.withValueLength((i) => {
      i.tokenText(m[1] as string);
      encodeTextValue(i, val);
      for (const [k, pv] of Object.entries(ct.params)) encodeParameter(i, k, pv, version);
    });
    return true;
  },
};

const TE_CODES: readonly Row[] = [
  [0x01, 'trailers', '1.3'],
  [0x02, 'chunked', '1.3'],
  [0x03, 'identity', '1.3'],
  [0x04, 'gzip', '1.3'],
  [0x05, 'compress', '1.3'],
  [0x06, 'deflate', '1.3'],
];
const TE_BY_CODE = new Map(TE_CODES.map((r) => [r[0], r]));

/** TE: 0x81 trailers | Value-length (Well-known-TE | Token-text) [Q-token Q-value]. */
const te: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o === 0x81) {
      r.u8();
      return 'trailers';
    }
    const sub = r.sub(r.valueLength('TE'));
    let name: string;
    if (sub.peek() & 0x80) {
      const c = sub.u8() & 0x7f;
      name = String(TE_BY_CODE.get(c)?.[1] ?? sub.fail(`unknown TE 0x${hex2(c)}`, sub.pos - 1));
    } else name = sub.tokenText('TE');
    let q: string | undefined;
    if (!sub.atEnd) {
      const tok = sub.u8('Q-token');
      if (tok !== 0x80) sub.fail('Q-token expected', sub.pos - 1);
      q = decodeQValue(sub);
    }
    if (!sub.atEnd) sub.fail('trailing octets in TE');
    return withQ(name, q);
  },
  encode(w, v) {
    const { value, q, rest } = splitQ(v);
    if (rest.length) return false;
    const lower = value.toLowerCase();
    if (lower === 'trailers' && q === undefined) {
      w.u8(0x81);
      return true;
    }
    const row = TE_CODES.find((r) => r[1] === lower && r[0] !== 0x01);
    if (!row && !isToken(value)) return false;
    w.withValueLength((i) => {
      if (row) i.shortInteger(row[0]);
      else i.tokenText(value);
      if (q !== undefined) {
        i.u8(0x80);
        encodeQValue(i, q);
      }
    });
    return true;
  },
};

/** Content-ID: Quoted-string (a Text-string is accepted on decode). The HTTP form keeps <...>. */
const contentId: ValueCodec = {
  decode(r) {
    if (r.peek() === 0x22) return r.quotedString('Content-ID');
    return r.textString('Content-ID');
  },
  encode(w, v) {
    let t = v.trim();
    if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) t = t.slice(1, -1);
    w.quotedString(t);
    return true;
  },
};

/** Set-Cookie: Value-length Cookie-version Cookie-name Cookie-val *Parameter. */
const setCookie: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Set-Cookie'));
    const version = decodeVersion(sub);
    const name = sub.textString('Cookie-name');
    const val = sub.textString('Cookie-val');
    const params: Record<string, ParamValue> = {};
    while (!sub.atEnd) {
      const [k, pv] = decodeParameter(sub);
      params[k] = pv;
    }
    let out = `${name}=${val}`;
    for (const [k, pv] of Object.entries(params)) out += pv === '' ? `; ${k}` : `; ${k}=${pv}`;
    if (version !== '1') out += `; version=${version}`;
    return out;
  },
  encode(w, v, version) {
    const parts = v.split(';').map((s) => s.trim()).filter(Boolean);
    const first = parts.shift();
    if (!first) return false;
    const eq = first.indexOf('=');
    if (eq <= 0) return false;
    let cv = '1';
    const params: [string, ParamValue][] = [];
    for (const p of parts) {
      const e = p.indexOf('=');
      const k = (e < 0 ? p : p.slice(0, e)).trim().toLowerCase();
      const pv = e < 0 ? '' : p.slice(e + 1).trim();
      if (k === 'version') cv = pv;
      else if (k === 'max-age' && /^\d+$/.test(pv)) params.push([k, Number(pv)]);
      else if (!isToken(k)) return false;
      else params.push([k, pv]);
    }
    w.withValueLength((i) => {
      encodeVersion(i, cv);
      i.textString(first.slice(0, eq)).textString(first.slice(eq + 1));
      for (const [k, pv] of params) encodeParameter(i, k, pv, version);
    });
    return true;
  },
};

/** Cookie: Value-length Cookie-version *(Value-length Cookie-name Cookie-val [Path] [Domain]). */
const cookie: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Cookie'));
    const version = decodeVersion(sub);
    const out: string[] = version === '1' ? [] : [`$Version=${version}`];
    while (!sub.atEnd) {
      const c = sub.sub(sub.valueLength('Cookie-parameters'));
      const name = c.textString('Cookie-name');
      const val = c.textString('Cookie-val');
      out.push(`${name}=${val}`);
      while (!c.atEnd) {
        const [k, pv] = decodeParameter(c);
        out.push(`$${k[0]?.toUpperCase()}${k.slice(1)}=${pv}`);
      }
    }
    return out.join('; ');
  },
  encode(w, v, version) {
    const parts = v.split(';').map((s) => s.trim()).filter(Boolean);
    let cv = '1';
    const cookies: { name: string; val: string; params: [string, string][] }[] = [];
    for (const p of parts) {
      const e = p.indexOf('=');
      if (e <= 0) return false;
      const k = p.slice(0, e).trim();
      const pv = p.slice(e + 1).trim();
      if (k.toLowerCase() === '$version') cv = pv;
      else if (k.startsWith('$')) {
        const last = cookies[cookies.length - 1];
        const pk = k.slice(1).toLowerCase();
        if (!last || (pk !== 'path' && pk !== 'domain')) return false;
        last.params.push([pk, pv]);
      } else cookies.push({ name: k, val: pv, params: [] });
    }
    w.withValueLength((i) => {
      encodeVersion(i, cv);
      for (const c of cookies) {
        i.withValueLength((j) => {
          j.textString(c.name).textString(c.val);
          for (const [k, pv] of c.params) encodeParameter(j, k, pv, version);
        });
      }
    });
    return true;
  },
};

/** Encoding-Version: Version-value | Value-length Code-page [Version-value]. */
const encodingVersion: ValueCodec = {
  decode(r) {
    const o = r.peek();
    if (o & 0x80 || o >= 32) return decodeVersion(r);
    const sub = r.sub(r.valueLength('Encoding-version'));
    const page = sub.shortInteger('Code-page');
    const v = sub.atEnd ? '' : ` ${decodeVersion(sub)}`;
    if (!sub.atEnd) sub.fail('trailing octets in Encoding-Version');
    return `page=${page}${v}`;
  },
  encode(w, v) {
    const t = v.trim();
    const m = /^page=(\d+)(?:\s+(\S+))?$/.exec(t);
    if (m) {
      if (Number(m[1]) > 127) return false;
      w.withValueLength((i) => {
        i.shortInteger(Number(m[1]));
        if (m[2] !== undefined) encodeVersion(i, m[2]);
      });
      return true;
    }
    encodeVersion(w, t);
    return true;
  },
};

const xWapSecurity = tokenOrCode(
  new Map([[0, [0, 'close-subordinate', '1.4'] as const]]),
  new Map([['close-subordinate', [[0, 'close-subordinate', '1.4'] as const]]]),
);

/** Profile-Diff: Value-length WBXML (a CC/PP document); shown as base64 and marked opaque (not forwarded as text). */
const profileDiff: ValueCodec = {
  decode(r) {
    const sub = r.sub(r.valueLength('Profile-diff'));
    return sub.rest().toString('base64');
  },
  encode: () => false,
};

const contentEncoding = tokenOrCode(CONTENT_ENCODING_BY_CODE, CONTENT_ENCODING_BY_NAME);

export const VALUE_CODECS: Record<HeaderKind, ValueCodec> = {
  accept,
  'accept-charset': acceptCharset,
  'accept-encoding': acceptEncoding,
  'accept-language': acceptLanguage,
  'accept-ranges': acceptRanges,
  age: integer,
  allow,
  credentials,
  'cache-control': cacheControl,
  connection,
  uri,
  'content-encoding': contentEncoding,
  language,
  integer,
  md5,
  'content-range': contentRange,
  'content-type': contentTypeCodec,
  date,
  text,
  'if-range': ifRange,
  pragma,
  challenge,
  public: method,
  range,
  'retry-after': retryAfter,
  'transfer-encoding': transferEncoding,
  'field-name': fieldName,
  warning,
  'content-disposition': contentDisposition,
  'app-id': appId,
  'push-flag': shortInt,
  'profile-diff': profileDiff,
  'profile-warning': profileWarning,
  expect,
  te,
  'content-id': contentId,
  'set-cookie': setCookie,
  cookie,
  'encoding-version': encodingVersion,
  'x-wap-security': xWapSecurity,
  opaque,
};

// ---------------------------------------------------------------------------------------------
// HTTP bridge helpers

/** Fields whose HTTP value is a comma-separated list: one WSP field per element. */
const LIST_FIELDS = new Set(
  [
    'accept',
    'accept-charset',
    'accept-encoding',
    'accept-language',
    'accept-ranges',
    'allow',
    'cache-control',
    'connection',
    'content-encoding',
    'content-language',
    'if-match',
    'if-none-match',
    'pragma',
    'public',
    'te',
    'trailer',
    'transfer-encoding',
    'vary',
    'via',
    'warning',
    'accept-application',
  ].map((s) => s.toLowerCase()),
);

/**
 * HTTP headers -> header list (text) ready for encodeHeaders: values of list fields are split at
 * commas (outside quotes), x-wap-profile becomes the WSP Profile field with its quotes removed
 * (WAP-248 §9.2.3.3). The HTTP side of the mapping (what may be forwarded) is the bridge's
 * (src/bridge/headers.ts).
 */
export function httpToHeaderList(headers: Record<string, string | number | readonly string[] | undefined>): WspHeader[] {
  const list: WspHeader[] = [];
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (rawValue === undefined) continue;
    const values = Array.isArray(rawValue) ? rawValue : [String(rawValue)];
    let name = canonicalName(rawName);
    const lower = rawName.toLowerCase();
    for (const v0 of values) {
      let v = String(v0);
      if (lower === 'x-wap-profile') {
        name = 'Profile';
        // x-wap-profile may list several URIs; each becomes a Profile field.
        for (const p of splitParams(v, ',')) {
          const t = p.trim().replace(/^"|"$/g, '');
          if (t) list.push({ name, value: t });
        }
        continue;
      }
      if (LIST_FIELDS.has(lower)) {
        for (const p of splitParams(v, ',')) {
          const t = p.trim();
          if (t) list.push({ name, value: t });
        }
        continue;
      }
      v = v.trim();
      list.push({ name, value: v });
    }
  }
  return list;
}

/** The table's spelling for a well-known field, else the name as given. */
export function canonicalName(name: string): string {
  const rows = HEADER_BY_NAME.get(name.toLowerCase());
  return rows?.[0]?.[1] ?? name;
}
