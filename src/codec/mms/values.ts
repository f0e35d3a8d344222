/**
 * MMS header value codecs, one per value kind of tables.ts (OMA MMS ENC 1.3 §7.2 value rules,
 * §7.3 field encodings). Each `decodeValue` reads exactly one value from a Reader; each
 * `encodeValue` writes the canonical encoding (minimal integers, a quote only when required,
 * tokens instead of text). codec.ts compares the two to decide whether to keep raw octets.
 */
import { Reader, Writer } from '../bytes';
import { EncodeError } from '../../core/errors';
import { decodeText, encodeText } from './charset';
import { decodeContentType, encodeContentType } from '../wsp/content-type';
import { MMS_WSP_ENCODING_VERSION } from './multipart';
import {
  CLASS_MAPS,
  ENUM_MAPS,
  FIELD_BY_CODE,
  FIELD_BY_NAME,
  MESSAGE_TYPE_BY_CODE,
  MESSAGE_TYPE_BY_NAME,
  FROM_TOKEN,
  MM_FLAGS_TOKEN,
  NO,
  TIME_TOKEN,
  TOTALS_TOKEN,
  YES,
  type EnumTableName,
  type FieldKind,
} from './tables';
import type {
  ElementDescriptor,
  EncodedString,
  FromValue,
  Indexed,
  MboxTotals,
  MmFlags,
  MmsContentType,
  PrevSentBy,
  PrevSentDate,
  TimeValue,
} from './types';

const LAYER = 'mms';

/** Generic WSP header value extent (WAP-230 §8.4.1.2): Short-integer, Value-length form or Text-string. */
export function skipValue(r: Reader, what: string): Buffer {
  const start = r.pos;
  const o = r.peek();
  if (o >= 0x80) r.u8(what);
  else if (o <= 31) r.bytes(r.valueLength(what), what);
  else r.cstring(what);
  return r.buf.subarray(start, r.pos);
}

// ---- Encoded-string-value (§7.2.9) -----------------------------------------------------------

/** Strips the Quote (0x7F) and the End-of-string of a Text-string held in a known extent. */
function textInExtent(b: Buffer): Buffer {
  let s = b;
  if (s.length > 0 && s[0] === 0x7f) s = s.subarray(1);
  if (s.length > 0 && s[s.length - 1] === 0) s = s.subarray(0, s.length - 1);
  return s;
}

export function decodeEncodedString(r: Reader, what = 'Encoded-string-value'): EncodedString {
  const o = r.peek();
  if (o <= 31 && o !== 0) {
    const len = r.valueLength(what);
    const s = r.sub(len, what);
    const charset = s.integerValue('Char-set');
    const bytes = textInExtent(s.rest());
    const text = decodeText(bytes, charset) ?? bytes.toString('latin1');
    return { text, charset };
  }
  const bytes = r.textBytes(what);
  return { text: decodeText(bytes, undefined) ?? bytes.toString('latin1') };
}

function textStringOctets(w: Writer, b: Buffer): void {
  if (b.length > 0 && (b[0] as number) >= 0x80) w.u8(0x7f);
  w.bytes(b).u8(0);
}

export function encodeEncodedString(w: Writer, v: EncodedString): void {
  if (v.charset === undefined) {
    const b = Buffer.from(v.text, 'utf8');
    if (b.includes(0)) throw new EncodeError(LAYER, 'Encoded-string-value contains NUL');
    textStringOctets(w, b);
    return;
  }
  const b = encodeText(v.text, v.charset);
  if (b === undefined) throw new EncodeError(LAYER, `cannot encode text in charset ${v.charset}`);
  w.withValueLength((i) => {
    i.integerValue(v.charset as number);
    textStringOctets(i, b);
  });
}

/** A JS string as an Encoded-string-value: plain when ASCII, else UTF-8 with its charset. */
export function toEncodedString(s: string | EncodedString): EncodedString {
  if (typeof s !== 'string') return s;
  return /^[\x01-\x7f]*$/.test(s) ? { text: s } : { text: s, charset: 106 };
}

// ---- value kinds ------------------------------------------------------------------------------

function decodeEnum(r: Reader, table: EnumTableName): string | number {
  const o = r.u8(table);
  return ENUM_MAPS[table].byCode.get(o) ?? o;
}

function encodeEnum(w: Writer, table: EnumTableName, v: string | number): void {
  if (typeof v === 'number') {
    w.u8(v);
    return;
  }
  const c = ENUM_MAPS[table].byName.get(v.toLowerCase());
  if (c === undefined) throw new EncodeError(LAYER, `unknown ${table} value ${v}`);
  w.u8(c);
}

function decodeTime(r: Reader, what: string): TimeValue {
  const len = r.valueLength(what);
  const s = r.sub(len, what);
  const tok = s.u8(`${what} token`);
  const kind = TIME_TOKEN.byCode.get(tok);
  if (kind === undefined) return s.fail(`${what}: Absolute-token or Relative-token expected, got 0x${tok.toString(16)}`, s.pos - 1);
  const seconds = s.integerValue(what);
  if (!s.atEnd) s.fail(`${what}: ${s.remaining} octets after the value`);
  return { kind, seconds };
}

function decodeFrom(r: Reader): FromValue {
  const len = r.valueLength('From');
  const s = r.sub(len, 'From');
  const tok = FROM_TOKEN.byCode.get(s.u8('From token'));
  if (tok === 'insert-address') {
    if (!s.atEnd) s.fail('From: octets after Insert-address-token');
    return { insert: true };
  }
  if (tok === undefined) s.fail(`From: Address-present-token or Insert-address-token expected, got 0x${(s.buf[s.pos - 1] as number).toString(16)}`, s.pos - 1);
  const address = decodeEncodedString(s, 'From');
  if (!s.atEnd) s.fail(`From: ${s.remaining} octets after the address`);
  return { insert: false, address };
}

function decodeVersion(r: Reader): string {
  const o = r.peek();
  if (o >= 0x80) {
    r.u8();
    const major = (o & 0x70) >> 4;
    const minor = o & 0x0f;
    return minor === 0x0f ? `${major}` : `${major}.${minor}`;
  }
  return r.textString('X-Mms-MMS-Version');
}

function encodeVersion(w: Writer, v: string): void {
  const m = /^(\d)(?:\.(\d{1,2}))?$/.exec(v);
  if (m && Number(m[1]) < 8 && (m[2] === undefined || Number(m[2]) < 15)) {
    w.u8(0x80 | (Number(m[1]) << 4) | (m[2] === undefined ? 0x0f : Number(m[2])));
  } else w.textString(v);
}

function sub(r: Reader, what: string): Reader {
  const len = r.valueLength(what);
  return r.sub(len, what);
}

function done(s: Reader, what: string): void {
  if (!s.atEnd) s.fail(`${what}: ${s.remaining} octets left in the value`);
}

function decodeElementDescriptor(r: Reader): ElementDescriptor {
  const s = sub(r, 'X-Mms-Element-Descriptor');
  const reference = s.textString('Content-Reference-value');
  const params: ElementDescriptor['params'] = [];
  while (!s.atEnd) {
    const o = s.peek();
    const name: string | number = o >= 0x80 ? s.shortInteger('Parameter-name') : s.textString('Parameter-name');
    const v = s.peek();
    const value: string | number = v >= 0x80 ? s.shortInteger('Parameter-value') : s.textString('Parameter-value');
    params.push({ name, value });
  }
  return { reference, params };
}

/** Reads one value of `kind`. `indexed` selects the m-mbox-delete-conf forms. */
export function decodeValue(r: Reader, kind: FieldKind, name: string, indexed: boolean): unknown {
  if (kind.startsWith('enum:')) {
    const table = kind.slice(5) as EnumTableName;
    if (indexed && r.peek() <= 31) {
      const s = sub(r, name);
      const index = s.integerValue('Index-value');
      const value = decodeEnum(s, table);
      done(s, name);
      return { index, value } satisfies Indexed<string | number>;
    }
    return decodeEnum(r, table);
  }
  switch (kind) {
    case 'encoded-string':
      if (indexed && r.peek() <= 31 && r.peek() !== 0) {
        const s = sub(r, name);
        const index = s.integerValue('Index-value');
        const value = decodeEncodedString(s, name);
        done(s, name);
        return { index, value } satisfies Indexed<EncodedString>;
      }
      return decodeEncodedString(r, name);
    case 'text':
      return r.textString(name);
    case 'content-location': {
      const o = r.peek();
      if (o <= 31 && o !== 0) {
        const s = sub(r, name);
        const index = s.integerValue('Index-value');
        const value = s.textString('Uri-value');
        done(s, name);
        return { index, value } satisfies Indexed<string>;
      }
      return r.textString(name);
    }
    case 'content-type':
      return decodeContentType(r);
    case 'date':
    case 'long':
    case 'integer':
      return r.integerValue(name);
    case 'time':
      return decodeTime(r, name);
    case 'from':
      return decodeFrom(r);
    case 'version':
      return decodeVersion(r);
    case 'class': {
      const o = r.peek();
      if (o >= 0x80) {
        r.u8();
        return CLASS_MAPS.byCode.get(o) ?? o;
      }
      return r.tokenText(name);
    }
    case 'message-type': {
      const o = r.u8(name);
      return MESSAGE_TYPE_BY_CODE.get(o) ?? o;
    }
    case 'yes-no': {
      const o = r.u8(name);
      return o === YES ? true : o === NO ? false : o;
    }
    case 'prev-sent-by': {
      const s = sub(r, name);
      const count = s.integerValue('Forwarded-count-value');
      const address = decodeEncodedString(s, name);
      done(s, name);
      return { count, address } satisfies PrevSentBy;
    }
    case 'prev-sent-date': {
      const s = sub(r, name);
      const count = s.integerValue('Forwarded-count-value');
      const date = s.integerValue('Date-value');
      done(s, name);
      return { count, date } satisfies PrevSentDate;
    }
    case 'mm-flags': {
      const s = sub(r, name);
      const o = s.u8('MM-Flags token');
      const op = MM_FLAGS_TOKEN.byCode.get(o) ?? o;
      const flag = decodeEncodedString(s, name);
      done(s, name);
      return { op, flag } satisfies MmFlags;
    }
    case 'mbox-totals': {
      const s = sub(r, name);
      const o = s.u8('totals token');
      const unit = TOTALS_TOKEN.byCode.get(o) ?? o;
      const value = s.integerValue(name);
      done(s, name);
      return { unit, value } satisfies MboxTotals;
    }
    case 'element-descriptor':
      return decodeElementDescriptor(r);
    case 'attributes': {
      const c = r.shortInteger(name);
      return FIELD_BY_CODE.get(c)?.name ?? c;
    }
    case 'raw':
      return Buffer.from(skipValue(r, name));
  }
  return r.fail(`no decoder for ${kind}`);
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new EncodeError(LAYER, `${what}: a non-negative integer is required`);
  return v;
}

/** A token octet by name, or a number given as is. */
function token(byName: Map<string, number>, v: string | number, what: string): number {
  if (typeof v === 'number') return v;
  const c = byName.get(v);
  if (c === undefined) throw new EncodeError(LAYER, `${what}: unknown token ${v}`);
  return c;
}

function isIndexed(v: unknown): v is Indexed<unknown> {
  return typeof v === 'object' && v !== null && 'index' in v && 'value' in v;
}

/** Writes the canonical encoding of one value of `kind`. */
export function encodeValue(w: Writer, kind: FieldKind, name: string, v: unknown): void {
  if (kind.startsWith('enum:')) {
    const table = kind.slice(5) as EnumTableName;
    if (isIndexed(v)) {
      w.withValueLength((i) => {
        i.integerValue(num(v.index, 'Index-value'));
        encodeEnum(i, table, v.value as string | number);
      });
      return;
    }
    encodeEnum(w, table, v as string | number);
    return;
  }
  switch (kind) {
    case 'encoded-string':
      if (isIndexed(v)) {
        w.withValueLength((i) => {
          i.integerValue(num(v.index, 'Index-value'));
          encodeEncodedString(i, v.value as EncodedString);
        });
        return;
      }
      encodeEncodedString(w, toEncodedString(v as string | EncodedString));
      return;
    case 'text':
      w.textString(String(v));
      return;
    case 'content-location':
      if (isIndexed(v)) {
        w.withValueLength((i) => {
          i.integerValue(num(v.index, 'Index-value'));
          i.textString(String(v.value));
        });
        return;
      }
      w.textString(String(v));
      return;
    case 'content-type':
      encodeContentType(w, v as MmsContentType, MMS_WSP_ENCODING_VERSION);
      return;
    case 'date':
    case 'long':
      w.longInteger(num(v, name));
      return;
    case 'integer':
      w.integerValue(num(v, name));
      return;
    case 'time': {
      const t = v as TimeValue;
      w.withValueLength((i) => {
        i.u8(token(TIME_TOKEN.byName, t.kind, name));
        i.longInteger(num(t.seconds, name));
      });
      return;
    }
    case 'from': {
      const f = v as FromValue;
      w.withValueLength((i) => {
        if (f.insert) i.u8(token(FROM_TOKEN.byName, 'insert-address', name));
        else {
          i.u8(token(FROM_TOKEN.byName, 'address-present', name));
          encodeEncodedString(i, toEncodedString(f.address));
        }
      });
      return;
    }
    case 'version':
      encodeVersion(w, String(v));
      return;
    case 'class': {
      if (typeof v === 'number') {
        w.u8(v);
        return;
      }
      const c = CLASS_MAPS.byName.get(String(v).toLowerCase());
      if (c !== undefined) w.u8(c);
      else w.tokenText(String(v));
      return;
    }
    case 'message-type': {
      const c = typeof v === 'number' ? v : MESSAGE_TYPE_BY_NAME.get(String(v));
      if (c === undefined) throw new EncodeError(LAYER, `unknown message type ${String(v)}`);
      w.u8(c);
      return;
    }
    case 'yes-no':
      w.u8(v === true ? YES : v === false ? NO : num(v, name));
      return;
    case 'prev-sent-by': {
      const p = v as PrevSentBy;
      w.withValueLength((i) => {
        i.integerValue(num(p.count, 'Forwarded-count-value'));
        encodeEncodedString(i, toEncodedString(p.address));
      });
      return;
    }
    case 'prev-sent-date': {
      const p = v as PrevSentDate;
      w.withValueLength((i) => {
        i.integerValue(num(p.count, 'Forwarded-count-value'));
        i.longInteger(num(p.date, 'Date-value'));
      });
      return;
    }
    case 'mm-flags': {
      const p = v as MmFlags;
      w.withValueLength((i) => {
        i.u8(token(MM_FLAGS_TOKEN.byName, p.op, name));
        encodeEncodedString(i, toEncodedString(p.flag));
      });
      return;
    }
    case 'mbox-totals': {
      const p = v as MboxTotals;
      w.withValueLength((i) => {
        i.u8(token(TOTALS_TOKEN.byName, p.unit, name));
        i.integerValue(num(p.value, name));
      });
      return;
    }
    case 'element-descriptor': {
      const e = v as ElementDescriptor;
      w.withValueLength((i) => {
        i.textString(e.reference);
        for (const p of e.params) {
          if (typeof p.name === 'number') i.shortInteger(p.name);
          else i.textString(p.name);
          if (typeof p.value === 'number') i.shortInteger(p.value);
          else i.textString(p.value);
        }
      });
      return;
    }
    case 'attributes': {
      const c = typeof v === 'number' ? v : FIELD_BY_NAME.get(String(v))?.code;
      if (c === undefined) throw new EncodeError(LAYER, `unknown field ${String(v)}`);
      w.shortInteger(c);
      return;
    }
    case 'raw':
      if (!Buffer.isBuffer(v)) throw new EncodeError(LAYER, `${name}: raw value must be a Buffer`);
      w.bytes(v);
      return;
  }
  throw new EncodeError(LAYER, `no encoder for ${kind}`);
}
