/**
 * WSP value rules shared by parameters and headers (WAP-230 §8.4.2.1-8.4.2.3): Q-value,
 * Version-value, Text-value, Untyped-value, Date-value and the HTTP text forms they map to.
 * Decoders take a Reader positioned on the value and leave it after the value; every failure
 * is the Reader's DecodeError.
 */
import type { Reader, Writer } from '../bytes';
import { EncodeError } from '../../core/errors';

/** True for an octet that starts a text form (Text-string, Token-text, Quoted-string, No-value). */
export const isTextStart = (o: number): boolean => o === 0 || (o >= 32 && o <= 127);

/** Token characters of RFC 2616 (what may go unquoted in a parameter value). */
export const isToken = (s: string): boolean => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s);

/** Q-value (§8.4.2.3): uintvar 1..100 -> (v-1)/100, 101..1099 -> (v-100)/1000. Returned as HTTP text. */
export function decodeQValue(r: Reader): string {
  const at = r.pos;
  const v = r.uintvar('Q-value');
  if (v >= 1 && v <= 100) return formatQ((v - 1) / 100);
  if (v >= 101 && v <= 1099) return formatQ((v - 100) / 1000);
  return r.fail(`Q-value ${v} outside 1..1099`, at);
}

const formatQ = (q: number): string => {
  const s = q.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
  return s === '' ? '0' : s;
};

export function encodeQValue(w: Writer, q: string | number): void {
  const n = typeof q === 'number' ? q : Number(q);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new EncodeError('wsp', `bad q-value ${String(q)}`);
  const milli = Math.round(n * 1000);
  if (milli % 10 === 0) w.uintvar(milli / 10 + 1);
  else w.uintvar(milli + 100);
}

/** Version-value (§8.4.2.3): Short-integer major<<4|minor (minor 15 = none) or Text-string. */
export function decodeVersion(r: Reader): string {
  const o = r.peek();
  if (o & 0x80) {
    const v = r.u8() & 0x7f;
    const major = v >> 4;
    const minor = v & 0x0f;
    return minor === 0x0f ? String(major) : `${major}.${minor}`;
  }
  return r.textString('Version-value');
}

export function encodeVersion(w: Writer, v: string): void {
  const m = /^([0-7])(?:\.(\d{1,2}))?$/.exec(v);
  if (m && (m[2] === undefined || Number(m[2]) < 15)) {
    const minor = m[2] === undefined ? 15 : Number(m[2]);
    w.shortInteger((Number(m[1]) << 4) | minor);
  } else w.textString(v);
}

/** Text-value (§8.4.2.1): No-value | Token-text | Quoted-string. The quote is not kept. */
export function decodeTextValue(r: Reader, what = 'Text-value'): string {
  const o = r.peek();
  if (o === 0) {
    r.u8();
    return '';
  }
  if (o === 0x22) return r.quotedString(what);
  if (o >= 32 && o <= 127) return r.textString(what);
  return r.fail(`${what} expected, got 0x${o.toString(16)}`);
}

/** Text-value: token text when it is a token, No-value when empty, else Quoted-string. */
export function encodeTextValue(w: Writer, s: string): void {
  if (s === '') w.u8(0);
  else if (isToken(s)) w.tokenText(s);
  else w.quotedString(s);
}

/** Untyped-value: Integer-value | Text-value. */
export function decodeUntypedValue(r: Reader): string | number {
  const o = r.peek();
  if (o & 0x80 || (o >= 1 && o <= 30)) return r.integerValue('Untyped-value');
  return decodeTextValue(r, 'Untyped-value');
}

export function encodeUntypedValue(w: Writer, v: string | number): void {
  if (typeof v === 'number') w.integerValue(v);
  else encodeTextValue(w, v);
}

/** Text-string that may arrive as a Quoted-string (some encoders do that): the quote is dropped. */
export function decodeLooseText(r: Reader, what: string): string {
  if (r.peek() === 0x22) return r.quotedString(what);
  return r.textString(what);
}

/** Date-value (§8.4.2.3): Long-integer seconds since the epoch, as an HTTP date. */
export function formatHttpDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toUTCString();
}

/** HTTP date (or a bare number of seconds) -> seconds since the epoch; undefined when unparsable. */
export function parseHttpDate(s: string | number): number | undefined {
  if (typeof s === 'number') return Number.isInteger(s) && s >= 0 ? s : undefined;
  const t = s.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  if (Number.isNaN(ms) || ms < 0) return undefined;
  return Math.floor(ms / 1000);
}

/** Quotes a parameter value for the HTTP text form when it is not a token. */
export function quoteIfNeeded(v: string): string {
  if (v !== '' && isToken(v)) return v;
  return `"${v.replace(/(["\\])/g, '\\$1')}"`;
}
