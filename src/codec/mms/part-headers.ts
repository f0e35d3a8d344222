/**
 * Multipart entry headers of MMS bodies (WAP-230 §8.5.3 Headers, §8.4 header encoding, code
 * page 1) and the generic value rule used to skip values we do not decode (§8.4.1.2: a
 * Short-integer, a Value-length form, or a Text-string). Content-ID, Content-Location and
 * Content-Base are decoded as text, application headers as name/value text; any other field
 * is kept as octets. `raw` holds a value's octets whenever they are not our canonical form.
 * The Content-type-value codec itself is the WSP one (src/codec/wsp/content-type.ts).
 */
import { Reader, Writer } from '../bytes';
import { EncodeError } from '../../core/errors';
import type { PartHeader } from './types';

/** Well-known header fields that appear in multipart entries (WAP-230 Table 39, page 1). */
const PART_FIELDS = new Map<number, string>([
  [0x0c, 'Content-Language'],
  [0x0d, 'Content-Length'],
  [0x0e, 'Content-Location'],
  [0x0f, 'Content-MD5'],
  [0x11, 'Content-Type'],
  [0x12, 'Date'],
  [0x0a, 'Content-Base'],
  [0x0b, 'Content-Encoding'],
  [0x2e, 'Content-Disposition'],
  [0x40, 'Content-ID'],
  [0x45, 'Content-Disposition'],
]);
const PART_FIELD_BY_NAME = new Map<string, number>([
  ['content-location', 0x0e],
  ['content-id', 0x40],
  ['content-base', 0x0a],
]);

/** Generic WSP header value extent (WAP-230 §8.4.1.2): short-int, Value-length form, or text. */
export function skipValue(r: Reader, what: string): Buffer {
  const start = r.pos;
  const o = r.peek();
  if (o >= 0x80) r.u8(what);
  else if (o <= 31) {
    const len = r.valueLength(what);
    r.bytes(len, what);
  } else r.cstring(what);
  return r.buf.subarray(start, r.pos);
}

/** Decodes entry headers (everything after the entry's Content-Type) up to the end of r. */
export function decodePartHeaders(r: Reader): PartHeader[] {
  const out: PartHeader[] = [];
  while (!r.atEnd) {
    const o = r.peek();
    if (o >= 0x80) {
      r.u8();
      const code = o & 0x7f;
      const name = PART_FIELDS.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
      const first = r.peek();
      if ((code === 0x0e || code === 0x0a || code === 0x40) && first >= 0x20 && first <= 0x7f) {
        const start = r.pos;
        const value = code === 0x40 && first === 0x22 ? r.quotedString(name) : r.textString(name);
        const raw = r.buf.subarray(start, r.pos);
        const h: { name: string; value: string; code: number; raw?: Buffer } = { name, value, code };
        if (!canonicalPartText(code, value).equals(raw)) h.raw = Buffer.from(raw);
        out.push(h);
      } else {
        out.push({ name, code, raw: Buffer.from(skipValue(r, name)) });
      }
    } else if (o >= 0x20 && o < 0x7f) {
      const name = r.tokenText('header name');
      const start = r.pos;
      const value = r.textString('header value');
      const raw = r.buf.subarray(start, r.pos);
      const h: { name: string; value: string; raw?: Buffer } = { name, value };
      if (!new Writer('mms').textString(value).toBuffer().equals(raw)) h.raw = Buffer.from(raw);
      out.push(h);
    } else {
      r.fail(`entry header: unexpected octet 0x${o.toString(16).padStart(2, '0')} (code pages are not used in MMS entries)`);
    }
  }
  return out;
}

function canonicalPartText(code: number, value: string): Buffer {
  const w = new Writer('mms');
  if (code === 0x40) w.quotedString(value);
  else w.textString(value);
  return w.toBuffer();
}

export function encodePartHeaders(w: Writer, headers: readonly PartHeader[]): void {
  for (const h of headers) {
    const code = h.code ?? PART_FIELD_BY_NAME.get(h.name.toLowerCase());
    if (code !== undefined) {
      w.u8(0x80 | code);
      if (h.raw !== undefined) w.bytes(h.raw);
      else if (h.value !== undefined) w.bytes(canonicalPartText(code, h.value));
      else throw new EncodeError('mms', `entry header ${h.name} has neither value nor raw`);
    } else {
      w.tokenText(h.name);
      if (h.raw !== undefined) w.bytes(h.raw);
      else w.textString(h.value ?? '');
    }
  }
}
