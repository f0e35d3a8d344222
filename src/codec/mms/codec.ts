/**
 * MMS PDU codec (OMA MMS ENC 1.0-1.3 §6 PDUs, §7 binary encoding): `decodeMms(buf)` and
 * `encodeMms(pdu)`. The PDU opens with X-Mms-Message-Type; headers follow until the end or
 * until Content-Type, which is the last header of PDUs with a body (§6 "Content-Type ... is
 * the last header"); what follows it is the body: an application/vnd.wap.multipart.* body
 * split into parts (WAP-230 §8.5), otherwise plain data.
 *
 * Field names 0x80|code use tables.ts; unassigned codes take the generic WSP value rule
 * (short-int, Value-length form or Text-string) and are kept as octets; application headers
 * (Token-text + Text-string) are kept as text. Neither is fatal. Each decoded header keeps
 * `raw` only when its canonical encoding differs, so decode -> encode is byte-exact.
 */
import { Reader, Writer } from '../bytes';
import { EncodeError } from '../../core/errors';
import { decodeMultipart, encodeMultipart } from './multipart';
import { ENUM_TABLES, FIELD_BY_CODE, FIELD_BY_NAME, MESSAGE_TYPE_BY_CODE, MESSAGE_TYPE_BY_NAME, type EnumTableName, type FieldKind } from './tables';
import type { FieldValue, MmsApplicationHeader, MmsBody, MmsContentType, MmsFieldName, MmsHeader, MmsPdu } from './types';
import { decodeValue, encodeValue, skipValue } from './values';

const LAYER = 'mms';
/** X-Mms-Message-Type field octet. */
const MESSAGE_TYPE_FIELD = 0x8c;
/** PDUs whose fields may take the Value-length Index-value form (ENC 1.2 §6.11 m-mbox-delete-conf, 1.3 m-delete-conf). */
const INDEXED_PDUS = new Set<string | number>(['m-mbox-delete-conf', 'm-delete-conf']);

const ENUM_KINDS = (Object.keys(ENUM_TABLES) as EnumTableName[]).map((k) => `enum:${k}` as const);
/** Kinds whose value is one octet read back as a name or the code itself: always canonical. */
const ONE_OCTET_KINDS = new Set<FieldKind>(['message-type', 'yes-no', 'attributes', ...ENUM_KINDS]);

function canonical(kind: FieldKind, name: string, value: unknown): Buffer | undefined {
  try {
    const w = new Writer(LAYER, 32);
    encodeValue(w, kind, name, value);
    return w.toBuffer();
  } catch {
    return undefined;
  }
}

/** True for application/vnd.wap.multipart.* (mixed, related, alternative, form-data, byteranges). */
export function isMultipart(ct: MmsContentType): boolean {
  return ct.mediaType.toLowerCase().startsWith('application/vnd.wap.multipart.');
}

function decodeBody(r: Reader, ct: MmsContentType): MmsBody | undefined {
  if (r.atEnd) return undefined;
  if (isMultipart(ct)) return { kind: 'multipart', parts: decodeMultipart(r) };
  // A copy: the caller may reuse its input buffer (datagram reassembly).
  return { kind: 'data', data: Buffer.from(r.rest()) };
}

/**
 * `exact: false` skips the canonical re-encoding of each header that finds the ones needing
 * `raw` (for callers that read the fields and never re-encode the PDU, like the PPG's content
 * check): the decoded values are the same, only `raw` is absent.
 */
export function decodeMms(buf: Buffer, { exact = true }: { exact?: boolean } = {}): MmsPdu {
  const r = new Reader(buf, LAYER);
  const first = r.u8('X-Mms-Message-Type');
  if (first !== MESSAGE_TYPE_FIELD) r.fail(`X-Mms-Message-Type (0x8C) must be the first header, got 0x${first.toString(16)}`, 0);
  const tcode = r.u8('X-Mms-Message-Type value');
  if (tcode < 0x80) r.fail(`X-Mms-Message-Type value 0x${tcode.toString(16)} is not a token`, 1);
  const type = MESSAGE_TYPE_BY_CODE.get(tcode) ?? tcode;
  const indexed = INDEXED_PDUS.has(type);
  const headers: MmsHeader[] = [];
  let body: MmsBody | undefined;
  while (!r.atEnd) {
    const o = r.peek();
    if (o >= 0x80) {
      r.u8();
      const code = o & 0x7f;
      const info = FIELD_BY_CODE.get(code);
      if (info === undefined) {
        headers.push({ field: 'unknown', code, raw: Buffer.from(skipValue(r, `field 0x${o.toString(16)}`)) });
        continue;
      }
      const start = r.pos;
      const value = decodeValue(r, info.kind, info.name, indexed);
      const raw = buf.subarray(start, r.pos);
      const h = { field: info.name, value } as MmsHeader & { raw?: Buffer };
      if (exact && !(ONE_OCTET_KINDS.has(info.kind) && typeof value !== 'object') && !canonical(info.kind, info.name, value)?.equals(raw)) h.raw = Buffer.from(raw);
      headers.push(h);
      if (info.name === 'Content-Type') {
        body = decodeBody(r, value as MmsContentType);
        break;
      }
    } else if (o >= 0x20 && o < 0x7f) {
      const name = r.tokenText('application header name');
      const start = r.pos;
      const value = r.textString('application header value');
      const raw = buf.subarray(start, r.pos);
      const h: MmsApplicationHeader = { field: 'application', name, value };
      if (!new Writer(LAYER, 32).textString(value).toBuffer().equals(raw)) h.raw = Buffer.from(raw);
      headers.push(h);
    } else {
      r.fail(`header field name expected, got 0x${o.toString(16).padStart(2, '0')}`);
    }
  }
  const pdu: MmsPdu = { type, headers };
  if (body !== undefined) pdu.body = body;
  return pdu;
}

export function encodeMms(pdu: MmsPdu): Buffer {
  const w = new Writer(LAYER, 512);
  const tcode = typeof pdu.type === 'number' ? pdu.type : MESSAGE_TYPE_BY_NAME.get(pdu.type);
  if (tcode === undefined || tcode < 0x80 || tcode > 0xff) throw new EncodeError(LAYER, `unknown message type ${String(pdu.type)}`);
  w.u8(MESSAGE_TYPE_FIELD).u8(tcode);
  let sawContentType = false;
  for (const h of pdu.headers) {
    if (sawContentType) throw new EncodeError(LAYER, 'Content-Type must be the last header');
    if (h.field === 'unknown') {
      if (h.code < 0 || h.code > 0x7f) throw new EncodeError(LAYER, `field code ${h.code} out of range`);
      w.u8(0x80 | h.code).bytes(h.raw);
    } else if (h.field === 'application') {
      w.tokenText(h.name);
      if (h.raw !== undefined) w.bytes(h.raw);
      else w.textString(h.value);
    } else {
      const info = FIELD_BY_NAME.get(h.field);
      if (info === undefined) throw new EncodeError(LAYER, `unknown field ${String(h.field)}`);
      w.u8(0x80 | info.code);
      if (h.raw !== undefined) w.bytes(h.raw);
      else encodeValue(w, info.kind, info.name, h.value);
      if (info.name === 'Content-Type') sawContentType = true;
    }
  }
  if (pdu.body !== undefined) {
    if (!sawContentType) throw new EncodeError(LAYER, 'a body needs a Content-Type header');
    if (pdu.body.kind === 'multipart') encodeMultipart(w, pdu.body.parts);
    else w.bytes(pdu.body.data);
  }
  return w.toBuffer();
}

/** The value of the first header named `field`, or undefined. */
export function getField<N extends MmsFieldName>(pdu: MmsPdu, field: N): FieldValue<N> | undefined {
  for (const h of pdu.headers) if (h.field === field) return h.value as FieldValue<N>;
  return undefined;
}

/** The values of every header named `field` (To, Cc, Bcc repeat). */
export function getFields<N extends MmsFieldName>(pdu: MmsPdu, field: N): FieldValue<N>[] {
  const out: FieldValue<N>[] = [];
  for (const h of pdu.headers) if (h.field === field) out.push(h.value as FieldValue<N>);
  return out;
}
