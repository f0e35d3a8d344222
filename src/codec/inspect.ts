/**
 * `wapgw decode`: turns one datagram or PDU into a JSON-friendly description an operator can
 * read (contract: `wapgw decode [--as wtp|wsp|wsp-cl|mms] HEX|-`).
 *
 * - `wtp` (default): a WDP datagram on port 9201: each WTP PDU (concatenations show every one)
 *   with its header bits, TID and direction, TPIs and payload size. An Invoke/Result holding a
 *   whole message (TTR set, no PSN TPI > 0) also shows the connection-mode WSP PDU inside;
 *   segments show the header, PSN and payload length only.
 * - `wsp`: one connection-mode WSP PDU; `wsp-cl`: a connectionless datagram (port 9200: TID
 *   octet then the PDU). A WSP body of type application/vnd.wap.mms-message is decoded as MMS.
 * - `mms`: one MMS encapsulation PDU.
 * - `wbxml`: one WBXML document (SI, WAP-167 / SL, WAP-168), shown decompiled to XML; a WSP
 *   body of type application/vnd.wap.sic or application/vnd.wap.slc is shown the same way.
 *
 * Everything is pure: no I/O. Malformed input raises the codec's DecodeError (the CLI prints
 * one `malformed:` line); an inner layer's error is re-raised with the offset in the whole
 * input. Buffers appear as hex (up to 64 octets) or `{length, hexPrefix}`; texts as strings.
 */
import { DecodeError, WapgwError } from '../core/errors';
import { decodeMms } from './mms/codec';
import { decompileWbxml, readWbxmlHeader } from './wbxml';
import { summarizeMms } from './mms/summary';
import type { MmsHeader, MmsPart, MmsPdu } from './mms/types';
import { formatContentType } from './wsp/content-type';
import type { WspHeader } from './wsp/headers';
import { type Capability, type WspPdu, decodeWsp } from './wsp/pdu';
import { ABORT_REASON_BY_CODE, wspToHttpStatus } from './wsp/tables';
import { decodeDatagram } from './wtp/codec';
import { OPTION_ID, PROVIDER_ABORT, type Tpi, type WtpPdu } from './wtp/types';

export type InspectAs = 'wtp' | 'wsp' | 'wsp-cl' | 'mms' | 'wbxml';
export const INSPECT_AS: readonly InspectAs[] = ['wtp', 'wsp', 'wsp-cl', 'mms', 'wbxml'];

const MMS_MEDIA = 'application/vnd.wap.mms-message';
const HEX_LIMIT = 64;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A Buffer for humans: short ones as hex, long ones as length + the first octets. */
export function bytesJson(b: Buffer): Json {
  if (b.length <= HEX_LIMIT) return b.toString('hex');
  return { length: b.length, hexPrefix: `${b.subarray(0, 32).toString('hex')}…` };
}

/** Printable text (ASCII/latin1 without control characters other than tab/CR/LF), else undefined. */
function asText(b: Buffer): string | undefined {
  if (b.length === 0) return '';
  for (const o of b) if ((o < 0x20 && o !== 9 && o !== 10 && o !== 13) || o === 0x7f) return undefined;
  const s = b.toString('utf8');
  return s.includes('\ufffd') ? b.toString('latin1') : s;
}

/** Generic conversion of decoded values: Buffers to hex, Maps to objects, bigint to string. */
export function toJson(v: unknown): Json {
  if (v === undefined || v === null) return null;
  if (Buffer.isBuffer(v)) return bytesJson(v);
  if (v instanceof Uint8Array) return bytesJson(Buffer.from(v));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJson(x)]));
  if (typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = toJson(x);
    return out;
  }
  return String(v);
}

/** Re-raises an inner layer's DecodeError with its offset in the whole input. */
function shifted<T>(base: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DecodeError && base > 0) {
      const msg = e.message.replace(/^[^:]*: /, '').replace(/ at offset \d+$/, '');
      throw new DecodeError(e.layer, e.offset + base, msg);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// WBXML SI / SL (src/codec/wbxml): the document decompiled to XML.

const WBXML_MEDIA = new Set(['application/vnd.wap.sic', 'application/vnd.wap.slc']);

function wbxmlJson(data: Buffer): Json {
  const h = readWbxmlHeader(data);
  const d = decompileWbxml(data);
  return { layer: 'wbxml', version: `${(h.version >> 4) + 1}.${h.version & 0x0f}`, publicId: d.publicId, charset: h.charset, xml: d.xml };
}

// ---------------------------------------------------------------------------------------------
// MMS: the MMS codec's own summary (the vocabulary of the proxy's logs), the headers it leaves
// out, and each part with its text when it is text.

const PROVIDER_REASON = new Map<number, string>(Object.entries(PROVIDER_ABORT).map(([n, c]) => [c, n]));
const OPTION_NAME = new Map<number, string>(Object.entries(OPTION_ID).map(([n, c]) => [c, n]));

/** Header fields summarizeMms already shows. */
const SUMMARIZED = new Set([
  'X-Mms-Transaction-Id', 'X-Mms-MMS-Version', 'Message-ID', 'From', 'To', 'Cc', 'Bcc', 'Subject', 'Date',
  'X-Mms-Message-Size', 'X-Mms-Message-Class', 'X-Mms-Priority', 'X-Mms-Expiry', 'X-Mms-Delivery-Time',
  'X-Mms-Content-Location', 'X-Mms-Response-Status', 'X-Mms-Response-Text', 'X-Mms-Retrieve-Status',
  'X-Mms-Retrieve-Text', 'X-Mms-Status', 'X-Mms-Read-Status', 'X-Mms-Store-Status', 'X-Mms-Delivery-Report',
  'X-Mms-Read-Report', 'X-Mms-Report-Allowed', 'X-Mms-Content-Class', 'Content-Type', 'application',
]);

function otherMmsHeaders(headers: readonly MmsHeader[]): Record<string, Json> | undefined {
  const out: Record<string, Json> = {};
  for (const h of headers) {
    if (SUMMARIZED.has(h.field)) continue;
    const name = h.field === 'unknown' ? `0x${(h.code | 0x80).toString(16)}` : h.field;
    const value = h.field === 'unknown' ? bytesJson(h.raw) : toJson(h.value);
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function bodyJson(data: Buffer, mediaType: string | undefined, base: number): Record<string, Json> {
  const out: Record<string, Json> = { length: data.length };
  if (mediaType === MMS_MEDIA && data.length > 0) {
    const mms = nestedMms(data, base);
    if (mms !== undefined) {
      out.mms = mms;
      if (!('note' in (mms as object))) return out;
    }
  }
  if (mediaType !== undefined && WBXML_MEDIA.has(mediaType) && data.length > 0) {
    out.wbxml = shifted(base, () => wbxmlJson(data));
    return out;
  }
  const text = mediaType && /^(text\/|application\/(smil|xml|x-www-form-urlencoded|xhtml))/i.test(mediaType) ? asText(data) : undefined;
  if (text !== undefined) out.text = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  else if (data.length > 0) out.data = bytesJson(data);
  return out;
}

/**
 * An MMS PDU inside a WSP body or a multipart part. A body that does not even open with
 * X-Mms-Message-Type is shown as data with a note; one that opens like MMS and then breaks is
 * malformed input (DecodeError, offset in the whole input).
 */
function nestedMms(data: Buffer, base: number): Json {
  if (data[0] !== 0x8c) return { note: 'body is not an MMS PDU (no X-Mms-Message-Type first)' };
  return shifted(base, () => mmsJson(decodeMms(data), data));
}

function partJson(p: MmsPart, whole: Buffer): Json {
  const out: Record<string, Json> = { contentType: formatContentType(p.contentType) };
  if (p.headers.length > 0) out.headers = wspHeadersJson(p.headers);
  Object.assign(out, bodyJson(p.data, p.contentType.mediaType, offsetIn(whole, p.data)));
  return out;
}

/** Offset of a view `part` inside `whole` (0 when it is a copy). */
function offsetIn(whole: Buffer, part: Buffer): number {
  const d = part.byteOffset - whole.byteOffset;
  return part.buffer === whole.buffer && d >= 0 && d <= whole.length ? d : 0;
}

export function mmsJson(pdu: MmsPdu, whole: Buffer = Buffer.alloc(0)): Json {
  const summary = summarizeMms(pdu);
  const out: Record<string, Json> = { layer: 'mms', messageType: toJson(summary.type) };
  for (const [k, v] of Object.entries(summary)) if (k !== 'type' && k !== 'parts') out[k] = toJson(v);
  const other = otherMmsHeaders(pdu.headers);
  if (other) out.otherHeaders = other;
  if (pdu.body?.kind === 'multipart') out.parts = pdu.body.parts.map((p) => partJson(p, whole));
  else if (pdu.body?.kind === 'data') {
    const ct = pdu.headers.find((h) => h.field === 'Content-Type');
    const media = ct && ct.field === 'Content-Type' ? ct.value.mediaType : undefined;
    out.body = bodyJson(pdu.body.data, media, offsetIn(whole, pdu.body.data));
  }
  return out;
}

function inspectMms(buf: Buffer): Json {
  return mmsJson(decodeMms(buf), buf);
}

// ---------------------------------------------------------------------------------------------
// WSP

function wspHeadersJson(headers: readonly WspHeader[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const h of headers) {
    const prev = out[h.name];
    out[h.name] = prev === undefined ? h.value : Array.isArray(prev) ? [...prev, h.value] : [prev, h.value];
  }
  return out;
}

function capabilityJson(c: Capability): Json {
  const { raw: _raw, ...rest } = c;
  return toJson(rest);
}

function wspJson(p: WspPdu, whole: Buffer, connectionless: boolean): Json {
  const out: Record<string, Json> = { layer: connectionless ? 'wsp-cl' : 'wsp' };
  if (p.tid !== undefined) out.tid = p.tid;
  out.pdu = p.type;
  switch (p.type) {
    case 'Connect':
      out.version = p.version;
      out.capabilities = p.capabilities.map(capabilityJson);
      out.headers = wspHeadersJson(p.headers);
      break;
    case 'ConnectReply':
    case 'Resume':
      out.sessionId = p.sessionId;
      out.capabilities = p.capabilities.map(capabilityJson);
      out.headers = wspHeadersJson(p.headers);
      break;
    case 'Redirect':
      Object.assign(out, { permanent: p.permanent, reuseSecuritySession: p.reuseSecuritySession, addresses: toJson(p.addresses) });
      break;
    case 'Disconnect':
    case 'Suspend':
      out.sessionId = p.sessionId;
      break;
    case 'Reply':
      out.status = wspToHttpStatus(p.status);
      out.wspStatus = `0x${p.status.toString(16).padStart(2, '0')}`;
      out.contentType = formatContentType(p.contentType);
      out.headers = wspHeadersJson(p.headers);
      out.body = bodyJson(p.data, p.contentType.mediaType, offsetIn(whole, p.data));
      break;
    case 'Push':
    case 'ConfirmedPush':
      out.contentType = formatContentType(p.contentType);
      out.headers = wspHeadersJson(p.headers);
      out.body = bodyJson(p.data, p.contentType.mediaType, offsetIn(whole, p.data));
      break;
    case 'Post':
    case 'Put':
    case 'ExtendedPost':
      if (p.pduType !== undefined) out.pduType = `0x${p.pduType.toString(16)}`;
      out.uri = p.uri;
      out.contentType = formatContentType(p.contentType);
      out.headers = wspHeadersJson(p.headers);
      out.body = bodyJson(p.data, p.contentType.mediaType, offsetIn(whole, p.data));
      break;
    case 'DataFragment':
      out.headers = wspHeadersJson(p.headers);
      out.body = bodyJson(p.data, undefined, offsetIn(whole, p.data));
      break;
    default:
      // the Get family
      if (p.pduType !== undefined) out.pduType = `0x${p.pduType.toString(16)}`;
      out.uri = p.uri;
      out.headers = wspHeadersJson(p.headers);
  }
  return out;
}

/** `buf` is a view into `whole` (the WTP datagram) or the whole input itself. */
function inspectWsp(buf: Buffer, connectionless: boolean, whole: Buffer = buf): Json {
  return wspJson(decodeWsp(buf, { connectionless }), whole, connectionless);
}

// ---------------------------------------------------------------------------------------------
// WTP

function tpiJson(t: Tpi): Json {
  switch (t.tpi) {
    case 'PSN':
      return { tpi: 'PSN', psn: t.psn };
    case 'Option': {
      const value = t.value.length > 0 && t.value.length <= 4 ? t.value.readUIntBE(0, t.value.length) : toJson(t.value);
      return { tpi: 'Option', option: OPTION_NAME.get(t.option) ?? `0x${t.option.toString(16)}`, value };
    }
    default:
      return toJson(t);
  }
}

/** Whether an Invoke/Result carries a whole message (no SAR): TTR set and no PSN TPI > 0. */
export function holdsWholeMessage(p: WtpPdu): boolean {
  if (p.type !== 'Invoke' && p.type !== 'Result') return false;
  if (!p.ttr) return false;
  return !p.tpis.some((t) => t.tpi === 'PSN' && t.psn > 0);
}

function wtpJson(p: WtpPdu, dataOffset: number): Json {
  const out: Record<string, Json> = {
    pdu: p.type,
    tid: p.tid & 0x7fff,
    direction: p.tid & 0x8000 ? 'responder' : 'initiator',
  };
  switch (p.type) {
    case 'Invoke':
      Object.assign(out, { gtr: p.gtr, ttr: p.ttr, rid: p.rid, version: p.version, tidNew: p.tidNew, up: p.up, tcl: p.tcl });
      break;
    case 'Result':
      Object.assign(out, { gtr: p.gtr, ttr: p.ttr, rid: p.rid });
      break;
    case 'Ack':
      Object.assign(out, { [p.tid & 0x8000 ? 'tve' : 'tok']: p.tveTok, rid: p.rid });
      break;
    case 'Abort':
      Object.assign(out, {
        abortType: p.abortType,
        reason:
          (p.abortType === 'provider' ? PROVIDER_REASON.get(p.reason) : ABORT_REASON_BY_CODE.get(p.reason)?.[1]) ??
          `0x${p.reason.toString(16).padStart(2, '0')}`,
      });
      break;
    case 'SegmentedInvoke':
    case 'SegmentedResult':
      Object.assign(out, { gtr: p.gtr, ttr: p.ttr, rid: p.rid, psn: p.psn });
      break;
    case 'NegativeAck':
      Object.assign(out, { rid: p.rid, missing: p.missing });
      break;
  }
  if (p.tpis.length > 0) out.tpis = p.tpis.map(tpiJson);
  if ('data' in p) {
    out.payloadLength = p.data.length;
    if (holdsWholeMessage(p) && p.data.length > 0) out.wsp = shifted(dataOffset, () => wspJson(decodeWsp(p.data), p.data, false));
    else if (p.data.length > 0) out.payload = bytesJson(p.data);
  }
  return out;
}

function inspectWtp(buf: Buffer): Json {
  const pdus = decodeDatagram(buf);
  // user data are views into buf: their offset there places inner-layer errors
  const at = (p: WtpPdu) => ('data' in p ? p.data.byteOffset - buf.byteOffset : 0);
  if (pdus.length === 1 && buf[0] !== 0) return { layer: 'wtp', ...(wtpJson(pdus[0] as WtpPdu, at(pdus[0] as WtpPdu)) as object) };
  return { layer: 'wtp', concatenated: true, count: pdus.length, pdus: pdus.map((p) => wtpJson(p, at(p))) };
}

/** Decodes `buf` as `as` (default wtp) into JSON-friendly values; throws DecodeError when malformed. */
export function inspect(buf: Buffer, as?: string): unknown {
  const mode = (as ?? 'wtp').toLowerCase();
  switch (mode) {
    case 'wtp':
      return inspectWtp(buf);
    case 'wsp':
      return inspectWsp(buf, false);
    case 'wsp-cl':
      return inspectWsp(buf, true);
    case 'mms':
      return inspectMms(buf);
    case 'wbxml':
      return wbxmlJson(buf);
    default:
      throw new WapgwError('ERR_DECODE_AS', `unknown --as "${as}": use one of ${INSPECT_AS.join(', ')}`);
  }
}
