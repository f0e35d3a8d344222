/**
 * WSP Content-type-value as MMS uses it (WAP-230 §8.4.2.24, parameters §8.4.2.4; MMS ENC §7.3.11):
 *   Content-type-value = Constrained-media | Content-general-form
 *   Content-general-form = Value-length Media-type, Media-type = (Well-known-media | Extension-media) *(Parameter)
 * Minimal local codec for the MMS codec (types, parameters and part headers MMS bodies use);
 * the canonical choice when encoding is the well-known code when one exists.
 */
import { Reader, Writer } from '../bytes';
import { EncodeError } from '../../core/errors';
import type { ContentTypeParam, MmsContentType } from './types';
import { CHARSET_BY_NAME } from './charset';

/** Well-known media (WAP-230 Table 40 and OMNA registrations). */
export const CONTENT_TYPES = [
  [0x00, '*/*'],
  [0x01, 'text/*'],
  [0x02, 'text/html'],
  [0x03, 'text/plain'],
  [0x04, 'text/x-hdml'],
  [0x05, 'text/x-ttml'],
  [0x06, 'text/x-vCalendar'],
  [0x07, 'text/x-vCard'],
  [0x08, 'text/vnd.wap.wml'],
  [0x09, 'text/vnd.wap.wmlscript'],
  [0x0a, 'text/vnd.wap.wta-event'],
  [0x0b, 'multipart/*'],
  [0x0c, 'multipart/mixed'],
  [0x0d, 'multipart/form-data'],
  [0x0e, 'multipart/byterantes'],
  [0x0f, 'multipart/alternative'],
  [0x10, 'application/*'],
  [0x11, 'application/java-vm'],
  [0x12, 'application/x-www-form-urlencoded'],
  [0x13, 'application/x-hdmlc'],
  [0x14, 'application/vnd.wap.wmlc'],
  [0x15, 'application/vnd.wap.wmlscriptc'],
  [0x16, 'application/vnd.wap.wta-eventc'],
  [0x17, 'application/vnd.wap.uaprof'],
  [0x18, 'application/vnd.wap.wtls-ca-certificate'],
  [0x19, 'application/vnd.wap.wtls-user-certificate'],
  [0x1a, 'application/x-x509-ca-cert'],
  [0x1b, 'application/x-x509-user-cert'],
  [0x1c, 'image/*'],
  [0x1d, 'image/gif'],
  [0x1e, 'image/jpeg'],
  [0x1f, 'image/tiff'],
  [0x20, 'image/png'],
  [0x21, 'image/vnd.wap.wbmp'],
  [0x22, 'application/vnd.wap.multipart.*'],
  [0x23, 'application/vnd.wap.multipart.mixed'],
  [0x24, 'application/vnd.wap.multipart.form-data'],
  [0x25, 'application/vnd.wap.multipart.byteranges'],
  [0x26, 'application/vnd.wap.multipart.alternative'],
  [0x27, 'application/xml'],
  [0x28, 'text/xml'],
  [0x29, 'application/vnd.wap.wbxml'],
  [0x2a, 'application/x-x968-cross-cert'],
  [0x2b, 'application/x-x968-ca-cert'],
  [0x2c, 'application/x-x968-user-cert'],
  [0x2d, 'text/vnd.wap.si'],
  [0x2e, 'application/vnd.wap.sic'],
  [0x2f, 'text/vnd.wap.sl'],
  [0x30, 'application/vnd.wap.slc'],
  [0x31, 'text/vnd.wap.co'],
  [0x32, 'application/vnd.wap.coc'],
  [0x33, 'application/vnd.wap.multipart.related'],
  [0x34, 'application/vnd.wap.sia'],
  [0x35, 'text/vnd.wap.connectivity-xml'],
  [0x36, 'application/vnd.wap.connectivity-wbxml'],
  [0x37, 'application/pkcs7-mime'],
  [0x38, 'application/vnd.wap.hashed-certificate'],
  [0x39, 'application/vnd.wap.signed-certificate'],
  [0x3a, 'application/vnd.wap.cert-response'],
  [0x3b, 'application/xhtml+xml'],
  [0x3c, 'application/wml+xml'],
  [0x3d, 'text/css'],
  [0x3e, 'application/vnd.wap.mms-message'],
  [0x3f, 'application/vnd.wap.rollover-certificate'],
  [0x40, 'application/vnd.wap.locc+wbxml'],
  [0x41, 'application/vnd.wap.loc+xml'],
  [0x42, 'application/vnd.syncml.dm+wbxml'],
  [0x43, 'application/vnd.syncml.dm+xml'],
  [0x44, 'application/vnd.syncml.notification'],
  [0x45, 'application/vnd.wap.xhtml+xml'],
  [0x46, 'application/vnd.wv.csp.cir'],
  [0x47, 'application/vnd.oma.dd+xml'],
  [0x48, 'application/vnd.oma.drm.message'],
  [0x49, 'application/vnd.oma.drm.content'],
] as const;

const MEDIA_BY_CODE = new Map<number, string>(CONTENT_TYPES.map(([c, n]) => [c, n]));
const MEDIA_BY_NAME = new Map<string, number>(CONTENT_TYPES.map(([c, n]) => [n.toLowerCase(), c]));

export function mediaTypeName(m: string | number): string {
  if (typeof m === 'string') return m;
  return MEDIA_BY_CODE.get(m) ?? `0x${m.toString(16).padStart(2, '0')}`;
}

/** True for application/vnd.wap.multipart.* (mixed, related, alternative, form-data, byteranges). */
export function isMultipart(ct: MmsContentType): boolean {
  return mediaTypeName(ct.mediaType).toLowerCase().startsWith('application/vnd.wap.multipart.');
}

type ParamKind = 'q' | 'charset' | 'version' | 'integer' | 'text' | 'field' | 'short' | 'constrained' | 'no-value' | 'date';

/** Well-known parameters (WAP-230 Table 38). Later duplicates (1.4 Text-value forms) decode only. */
export const PARAMS = [
  [0x00, 'q', 'q'],
  [0x01, 'charset', 'charset'],
  [0x02, 'level', 'version'],
  [0x03, 'type', 'integer'],
  [0x05, 'name', 'text'],
  [0x06, 'filename', 'text'],
  [0x07, 'differences', 'field'],
  [0x08, 'padding', 'short'],
  [0x09, 'type', 'constrained'],
  [0x0a, 'start', 'text'],
  [0x0b, 'start-info', 'text'],
  [0x0c, 'comment', 'text'],
  [0x0d, 'domain', 'text'],
  [0x0e, 'max-age', 'integer'],
  [0x0f, 'path', 'text'],
  [0x10, 'secure', 'no-value'],
  [0x11, 'sec', 'short'],
  [0x12, 'mac', 'text'],
  [0x13, 'creation-date', 'date'],
  [0x14, 'modification-date', 'date'],
  [0x15, 'read-date', 'date'],
  [0x16, 'size', 'integer'],
  [0x17, 'name', 'text'],
  [0x18, 'filename', 'text'],
  [0x19, 'start', 'text'],
  [0x1a, 'start-info', 'text'],
  [0x1b, 'comment', 'text'],
  [0x1c, 'domain', 'text'],
  [0x1d, 'path', 'text'],
] as const satisfies readonly (readonly [number, string, ParamKind])[];

const PARAM_BY_CODE = new Map<number, { name: string; kind: ParamKind }>(PARAMS.map(([c, n, k]) => [c, { name: n, kind: k }]));
/** Encoding picks the first (oldest) code for a name; `type` with a string value is 0x09. */
const PARAM_BY_NAME = new Map<string, number>();
for (const [c, n] of PARAMS) if (!PARAM_BY_NAME.has(n)) PARAM_BY_NAME.set(n, c);

/** Text-value = No-value | Token-text | Quoted-string (the quote is dropped). */
function textValue(r: Reader, what: string): string {
  const o = r.peek();
  if (o === 0x22) return r.quotedString(what);
  return r.textString(what);
}

function decodeParam(r: Reader): ContentTypeParam {
  const o = r.peek();
  if (o >= 0x20 && o < 0x80) {
    // Untyped-parameter = Token-text Untyped-value (Integer-value | Text-value)
    const name = r.tokenText('parameter name');
    const v = r.peek();
    const value = v >= 0x80 || v <= 30 && v > 0 ? r.integerValue('parameter value') : textValue(r, 'parameter value');
    return { name, value };
  }
  const code = r.integerValue('parameter token');
  const p = PARAM_BY_CODE.get(code);
  if (p === undefined) return r.fail(`unknown well-known parameter 0x${code.toString(16)}`);
  switch (p.kind) {
    case 'q': {
      const q = r.uintvar('Q-value');
      const value = q >= 1 && q <= 100 ? ((q - 1) / 100).toString() : q >= 101 && q <= 1099 ? ((q - 100) / 1000).toString() : String(q);
      return { name: p.name, value };
    }
    case 'charset': {
      const first = r.peek();
      if (first >= 0x20 && first < 0x80) return { name: p.name, value: r.textString('charset') };
      return { name: p.name, value: r.integerValue('charset') };
    }
    case 'version': {
      const first = r.peek();
      if (first >= 0x80) {
        const v = r.shortInteger('Version-value');
        const minor = v & 0x0f;
        return { name: p.name, value: minor === 0x0f ? `${v >> 4}` : `${v >> 4}.${minor}` };
      }
      return { name: p.name, value: r.textString('Version-value') };
    }
    case 'integer':
    case 'date':
      return { name: p.name, value: r.integerValue(p.name) };
    case 'short':
      return { name: p.name, value: r.shortInteger(p.name) };
    case 'field': {
      const first = r.peek();
      return { name: p.name, value: first >= 0x80 ? r.shortInteger('Field-name') : r.tokenText('Field-name') };
    }
    case 'constrained': {
      const first = r.peek();
      if (first >= 0x80) return { name: p.name, value: mediaTypeName(r.shortInteger('Constrained-encoding')) };
      return { name: p.name, value: r.textString('Constrained-encoding') };
    }
    case 'no-value': {
      const z = r.u8('No-value');
      if (z !== 0) r.fail('No-value must be 0x00', r.pos - 1);
      return { name: p.name, value: '' };
    }
    case 'text':
      return { name: p.name, value: textValue(r, p.name) };
  }
}

function decodeMedia(r: Reader): string | number {
  const o = r.peek();
  if (o >= 0x80) {
    const c = r.shortInteger('Well-known-media');
    return MEDIA_BY_CODE.get(c) ?? c;
  }
  if (o <= 30) {
    const c = r.longInteger('Well-known-media');
    return MEDIA_BY_CODE.get(c) ?? c;
  }
  return r.textString('Extension-media');
}

/** Decodes a Content-type-value at r. */
export function decodeContentType(r: Reader): MmsContentType {
  const o = r.peek();
  if (o >= 0x80 || (o >= 0x20 && o < 0x80) || o === 0) {
    if (o === 0) {
      r.u8();
      return { mediaType: '', params: [] };
    }
    return { mediaType: decodeMedia(r), params: [] };
  }
  const len = r.valueLength('Content-type-value');
  const s = r.sub(len, 'Content-type-value');
  const mediaType = decodeMedia(s);
  const params: ContentTypeParam[] = [];
  while (!s.atEnd) params.push(decodeParam(s));
  return { mediaType, params };
}

function encodeMedia(w: Writer, m: string | number): void {
  if (typeof m === 'number') {
    w.integerValue(m);
    return;
  }
  const c = MEDIA_BY_NAME.get(m.toLowerCase());
  if (c !== undefined) w.shortInteger(c);
  else w.textString(m);
}

function encodeParam(w: Writer, p: ContentTypeParam): void {
  const name = p.name.toLowerCase();
  let code = PARAM_BY_NAME.get(name);
  if (name === 'type' && typeof p.value === 'string') code = 0x09;
  if (code === undefined) {
    w.tokenText(p.name);
    if (typeof p.value === 'number') w.integerValue(p.value);
    else w.textString(p.value);
    return;
  }
  const kind = PARAM_BY_CODE.get(code)?.kind;
  w.shortInteger(code);
  const v = p.value;
  switch (kind) {
    case 'q': {
      const q = Number(v);
      if (!(q >= 0 && q < 1)) throw new EncodeError('mms', `q ${String(v)} outside 0..1`);
      const milli = Math.round(q * 1000);
      if (milli % 10 === 0) w.uintvar(milli / 10 + 1);
      else w.uintvar(milli + 100);
      return;
    }
    case 'charset': {
      const mib = typeof v === 'number' ? v : CHARSET_BY_NAME.get(v.toLowerCase());
      if (mib === undefined) w.textString(String(v));
      else w.integerValue(mib);
      return;
    }
    case 'version': {
      const m = /^(\d)(?:\.(\d{1,2}))?$/.exec(String(v));
      if (m && Number(m[1]) < 8 && (m[2] === undefined || Number(m[2]) < 15)) {
        w.u8(0x80 | (Number(m[1]) << 4) | (m[2] === undefined ? 0x0f : Number(m[2])));
      } else w.textString(String(v));
      return;
    }
    case 'integer':
    case 'date':
      w.integerValue(Number(v));
      return;
    case 'short':
      w.shortInteger(Number(v));
      return;
    case 'field':
      if (typeof v === 'number') w.shortInteger(v);
      else w.tokenText(v);
      return;
    case 'constrained':
      w.textString(String(v));
      return;
    case 'no-value':
      w.u8(0);
      return;
    default:
      w.textString(String(v));
  }
}

/** Encodes a Content-type-value: the short form when there are no parameters. */
export function encodeContentType(w: Writer, ct: MmsContentType): void {
  if (ct.params.length === 0 && !(typeof ct.mediaType === 'number' && ct.mediaType > 127)) {
    encodeMedia(w, ct.mediaType);
    return;
  }
  w.withValueLength((i) => {
    encodeMedia(i, ct.mediaType);
    for (const p of ct.params) encodeParam(i, p);
  });
}

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
export function decodePartHeaders(r: Reader): { name: string; value?: string; code?: number; raw?: Buffer }[] {
  const out: { name: string; value?: string; code?: number; raw?: Buffer }[] = [];
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

export function encodePartHeaders(w: Writer, headers: readonly { name: string; value?: string; code?: number; raw?: Buffer }[]): void {
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
