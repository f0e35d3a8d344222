/**
 * Content-type-value and parameters (WAP-230 §8.4.2.24, §8.4.2.4, Table 38).
 *
 *   Content-type-value = Constrained-media | Content-general-form
 *   Constrained-media  = Short-integer (well-known) | Extension-media (text)
 *   Content-general-form = Value-length Media-type; Media-type = (Well-known-media | Extension-media) *(Parameter)
 *   Parameter = Typed-parameter (Integer-value token + typed value) | Untyped-parameter (Token-text + Integer/Text-value)
 *
 * Decoding keeps every parameter, known or not, and the exact octets (`raw`), so that an
 * unchanged value re-encodes byte for byte (another peer may have chosen another valid form).
 * Encoding is by the peer's Encoding-Version: a media code or parameter that does not exist in
 * that version goes as text.
 */
import { Reader, Writer } from '../bytes';
import { EncodeError } from '../../core/errors';
import {
  CONTENT_TYPE_BY_CODE,
  CONTENT_TYPE_BY_NAME,
  DEFAULT_ENCODING_VERSION,
  HEADER_BY_CODE,
  HEADER_BY_NAME,
  PARAMETER_BY_CODE,
  PARAMETER_BY_NAME,
  type ParamKind,
  charsetCode,
  charsetName,
  existsIn,
  pickRow,
} from './tables';
import {
  decodeLooseText,
  decodeQValue,
  decodeTextValue,
  decodeUntypedValue,
  decodeVersion,
  encodeQValue,
  encodeTextValue,
  encodeUntypedValue,
  encodeVersion,
  isTextStart,
  isToken,
  parseHttpDate,
  quoteIfNeeded,
} from './values';

export type ParamValue = string | number;

export interface ContentType {
  /** Lower-case media type, e.g. `application/vnd.wap.multipart.related`. */
  mediaType: string;
  /** Parameters in wire order, lower-case names (`charset`, `type`, `start`...). No-value is ''. */
  params: Record<string, ParamValue>;
  /** A well-known media code that has no row in our table (kept so it re-encodes). */
  code?: number;
  /** The exact octets this value was decoded from (a view into the decoded buffer); reused on encode while the value is unchanged. */
  raw?: Buffer;
}

const LAYER = 'wsp';

/** Name used for a well-known media code we do not know. */
const unknownMedia = (code: number): string => `application/x-wsp-content-type-${code.toString(16).padStart(2, '0')}`;

function mediaName(code: number): { mediaType: string; code?: number } {
  const row = CONTENT_TYPE_BY_CODE.get(code);
  return row ? { mediaType: row[1] } : { mediaType: unknownMedia(code), code };
}

/** Decodes a Content-type-value at the reader's position. */
export function decodeContentType(r: Reader): ContentType {
  const start = r.pos;
  const o = r.peek();
  let ct: ContentType;
  if (o & 0x80) {
    ct = { ...mediaName(r.u8() & 0x7f), params: {} };
  } else if (o >= 32) {
    ct = { mediaType: r.textString('Extension-media').toLowerCase(), params: {} };
  } else {
    const len = r.valueLength('Content-general-form');
    const sub = r.sub(len, 'Content-general-form');
    if (sub.atEnd) sub.fail('Content-general-form without a media type');
    const m = sub.peek();
    let media: { mediaType: string; code?: number };
    if (m & 0x80 || (m >= 1 && m <= 30)) media = mediaName(sub.integerValue('Well-known-media'));
    else media = { mediaType: sub.textString('Extension-media').toLowerCase() };
    ct = { ...media, params: decodeParameters(sub) };
  }
  ct.raw = r.buf.subarray(start, r.pos);
  return ct;
}

/** Decodes parameters until the reader's end. */
export function decodeParameters(r: Reader): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  while (!r.atEnd) {
    const [name, value] = decodeParameter(r);
    params[name] = value;
  }
  return params;
}

/** One Parameter (§8.4.2.4). */
export function decodeParameter(r: Reader): [string, ParamValue] {
  const o = r.peek();
  if (o >= 32 && o < 0x80) {
    const name = r.tokenText('Token-text').toLowerCase();
    return [name, decodeUntypedValue(r)];
  }
  const at = r.pos;
  const code = r.integerValue('Well-known-parameter-token');
  const row = PARAMETER_BY_CODE.get(code);
  if (!row) {
    // Unassigned token: the value is self-delimiting only as an Untyped-value; keep it.
    return [`x-wsp-parameter-${code.toString(16).padStart(2, '0')}`, decodeUntypedValue(r)];
  }
  try {
    return [row[1], decodeTypedValue(r, row[3])];
  } catch (e) {
    r.pos = at;
    throw e;
  }
}

function decodeTypedValue(r: Reader, kind: ParamKind): ParamValue {
  const o = r.peek();
  switch (kind) {
    case 'q-value':
      return decodeQValue(r);
    case 'charset': {
      if (o === 0x80) {
        r.u8();
        return '*';
      }
      if (isTextStart(o) && o !== 0) return r.textString('charset').toLowerCase();
      const code = r.integerValue('Well-known-charset');
      return charsetName(code) ?? code;
    }
    case 'version':
      return decodeVersion(r);
    case 'integer':
    case 'delta-seconds':
    case 'date':
      if (isTextStart(o)) return decodeTextValue(r);
      return r.integerValue(kind);
    case 'short-integer':
      if (isTextStart(o)) return decodeTextValue(r);
      return r.shortInteger(kind);
    case 'text-string':
      return decodeLooseText(r, 'Text-string');
    case 'text-value':
      return decodeTextValue(r);
    case 'field-name': {
      if (o & 0x80) {
        const code = r.u8() & 0x7f;
        return HEADER_BY_CODE.get(code)?.[1].toLowerCase() ?? `x-wsp-header-${code.toString(16)}`;
      }
      return r.tokenText('Field-name').toLowerCase();
    }
    case 'constrained-encoding': {
      if (o & 0x80) return mediaName(r.u8() & 0x7f).mediaType;
      return r.textString('Constrained-encoding').toLowerCase();
    }
    case 'no-value': {
      if (o === 0) {
        r.u8();
        return '';
      }
      return decodeTextValue(r);
    }
  }
}

/** Encodes a Content-type-value. Reuses `ct.raw` when it still decodes to the same value. */
export function encodeContentType(
  w: Writer,
  ct: ContentType | string,
  version: string | number = DEFAULT_ENCODING_VERSION,
): void {
  const value = typeof ct === 'string' ? parseContentType(ct) : ct;
  if (value.raw && rawMatches(value)) {
    w.bytes(value.raw);
    return;
  }
  const mediaType = value.mediaType.toLowerCase();
  const row = pickRow(CONTENT_TYPE_BY_NAME, mediaType, version);
  const code = row ? row[0] : value.code !== undefined && mediaType === unknownMedia(value.code) ? value.code : undefined;
  const names = Object.keys(value.params);
  if (names.length === 0) {
    if (code !== undefined && code <= 0x7f) w.shortInteger(code);
    else if (code !== undefined) w.withValueLength((i) => i.longInteger(code));
    else w.textString(mediaType);
    return;
  }
  w.withValueLength((i) => {
    if (code !== undefined) i.integerValue(code);
    else i.textString(mediaType);
    for (const n of names) encodeParameter(i, n, value.params[n] as ParamValue, version);
  });
}

function rawMatches(ct: ContentType): boolean {
  if (!ct.raw) return false;
  try {
    const r = new Reader(ct.raw, LAYER);
    const d = decodeContentType(r);
    return r.atEnd && contentTypeEquals(d, ct);
  } catch {
    return false;
  }
}

export function contentTypeEquals(a: ContentType, b: ContentType): boolean {
  if (a.mediaType.toLowerCase() !== b.mediaType.toLowerCase()) return false;
  return paramsEqual(a.params, b.params);
}

export function paramsEqual(a: Record<string, ParamValue>, b: Record<string, ParamValue>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as string;
    if (k.toLowerCase() !== (kb[i] as string).toLowerCase()) return false;
    if (String(a[k]) !== String(b[kb[i] as string])) return false;
  }
  return true;
}

/** Encodes one parameter: typed when a row for its name exists at `version` and fits the value, else untyped. */
export function encodeParameter(w: Writer, name: string, value: ParamValue, version: string | number): void {
  const n = name.toLowerCase();
  const rows = (PARAMETER_BY_NAME.get(n) ?? []).filter((r) => existsIn(r[2], version));
  for (const row of rows) {
    const kind = row[3];
    const tw = new Writer(LAYER, 32);
    if (encodeTypedValue(tw, kind, value, version)) {
      w.integerValue(row[0]);
      w.bytes(tw.toBuffer());
      return;
    }
  }
  if (!isToken(n)) throw new EncodeError(LAYER, `parameter name ${JSON.stringify(name)} is not a token`);
  w.tokenText(n);
  encodeUntypedValue(w, value);
}

/** Writes a typed value when `value` fits `kind`; returns false (writing nothing useful) when it does not. */
function encodeTypedValue(w: Writer, kind: ParamKind, value: ParamValue, version: string | number): boolean {
  switch (kind) {
    case 'q-value': {
      const q = Number(value);
      if (!Number.isFinite(q) || q < 0 || q > 1) return false;
      encodeQValue(w, q);
      return true;
    }
    case 'charset': {
      if (value === '*') {
        w.u8(0x80);
        return true;
      }
      const code = typeof value === 'number' ? value : charsetCode(value);
      if (code === undefined) return false;
      w.integerValue(code);
      return true;
    }
    case 'version':
      encodeVersion(w, String(value));
      return true;
    case 'integer':
    case 'delta-seconds':
      if (typeof value !== 'number' && !/^\d+$/.test(value)) return false;
      w.integerValue(Number(value));
      return true;
    case 'date': {
      const s = parseHttpDate(value);
      if (s === undefined) return false;
      w.longInteger(s);
      return true;
    }
    case 'short-integer': {
      const v = Number(value);
      if (!Number.isInteger(v) || v < 0 || v > 127) return false;
      w.shortInteger(v);
      return true;
    }
    case 'text-string':
      w.textString(String(value));
      return true;
    case 'text-value':
      encodeTextValue(w, String(value));
      return true;
    case 'field-name': {
      const row = pickRow(HEADER_BY_NAME, String(value), version);
      if (row) w.shortInteger(row[0]);
      else if (isToken(String(value))) w.tokenText(String(value));
      else return false;
      return true;
    }
    case 'constrained-encoding': {
      if (typeof value === 'number') return false;
      const row = pickRow(CONTENT_TYPE_BY_NAME, value, version);
      if (row && row[0] <= 0x7f) w.shortInteger(row[0]);
      else w.textString(value.toLowerCase());
      return true;
    }
    case 'no-value':
      if (value !== '') return false;
      w.u8(0);
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP text form

/** `type/sub; a=b; c="d e"` -> ContentType. Names lower-cased; numeric-looking values stay strings. */
export function parseContentType(text: string): ContentType {
  const parts = splitParams(text);
  const mediaType = (parts.shift() ?? '').trim().toLowerCase();
  const params: Record<string, ParamValue> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name === '') continue;
    let value = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    params[name] = value;
  }
  return { mediaType, params };
}

/** Splits at `;` outside quotes. */
export function splitParams(text: string, sep = ';'): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (q && c === '\\' && i + 1 < text.length) {
      cur += c + (text[++i] as string);
      continue;
    }
    if (c === '"') q = !q;
    if (c === sep && !q) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** ContentType -> HTTP text form. */
export function formatContentType(ct: ContentType): string {
  return ct.mediaType + formatParams(ct.params);
}

export function formatParams(params: Record<string, ParamValue>): string {
  let s = '';
  for (const [k, v] of Object.entries(params)) {
    if (v === '') s += `; ${k}`;
    else s += `; ${k}=${typeof v === 'number' ? String(v) : quoteIfNeeded(v)}`;
  }
  return s;
}
