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
 *
 * Everything is pure: no I/O. Malformed input raises the codec's DecodeError (the CLI prints
 * one `malformed:` line); an inner layer's error is re-raised with the offset in the whole
 * input. Buffers appear as hex (up to 64 octets) or `{length, hexPrefix}`; texts as strings.
 */
import { DecodeError, WapgwError } from '../core/errors';
import { decodeMms } from './mms/codec';
import type { MmsHeader, MmsPart, MmsPdu } from './mms/types';
import { decodeDatagram } from './wtp/codec';
import { PROVIDER_ABORT, type Tpi, type WtpPdu } from './wtp/types';

export type InspectAs = 'wtp' | 'wsp' | 'wsp-cl' | 'mms';
export const INSPECT_AS: readonly InspectAs[] = ['wtp', 'wsp', 'wsp-cl', 'mms'];

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
// MMS

const PROVIDER_REASON = new Map<number, string>(Object.entries(PROVIDER_ABORT).map(([n, c]) => [c, n]));

function mmsValue(field: string, v: unknown): Json {
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const o = v as Record<string, unknown>;
    // Encoded-string-value
    if (typeof o.text === 'string' && Object.keys(o).every((k) => k === 'text' || k === 'charset')) return o.text;
    // From
    if (o.insert === true) return '<insert-address-token>';
    if (o.insert === false && o.address) return mmsValue(field, o.address);
    // TimeValue
    if ((o.kind === 'absolute' || o.kind === 'relative') && typeof o.seconds === 'number') {
      return o.kind === 'absolute' ? new Date(o.seconds * 1000).toISOString() : `+${o.seconds}s`;
    }
    // Content-type
    if (typeof o.mediaType === 'string') return contentTypeJson(o as { mediaType: string; params?: Record<string, unknown> });
  }
  if (field === 'Date' && typeof v === 'number') return new Date(v * 1000).toISOString();
  return toJson(v);
}

function contentTypeJson(ct: { mediaType: string; params?: Record<string, unknown> }): Json {
  const params = Object.entries(ct.params ?? {});
  if (params.length === 0) return ct.mediaType;
  return `${ct.mediaType}; ${params.map(([k, x]) => (x === '' ? k : `${k}=${String(x)}`)).join('; ')}`;
}

function mmsHeaders(headers: readonly MmsHeader[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const h of headers) {
    let name: string;
    let value: Json;
    if (h.field === 'unknown') {
      name = `unknown-0x${(h.code | 0x80).toString(16)}`;
      value = bytesJson(h.raw);
    } else if (h.field === 'application') {
      name = h.name;
      value = h.value;
    } else {
      name = h.field;
      value = mmsValue(h.field, h.value);
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else out[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function bodyJson(data: Buffer, mediaType: string | undefined): Record<string, Json> {
  const out: Record<string, Json> = { length: data.length };
  const text = mediaType && /^(text\/|application\/(smil|xml|x-www-form-urlencoded))/i.test(mediaType) ? asText(data) : undefined;
  if (text !== undefined) out.text = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  else out.data = bytesJson(data);
  return out;
}

function partJson(p: MmsPart): Json {
  const out: Record<string, Json> = { contentType: contentTypeJson(p.contentType) };
  if (p.headers.length > 0) {
    out.headers = Object.fromEntries(p.headers.map((h) => [h.name, h.value ?? (h.raw ? bytesJson(h.raw) : null)]));
  }
  Object.assign(out, bodyJson(p.data, p.contentType.mediaType));
  if (p.contentType.mediaType === MMS_MEDIA) out.mms = safeMms(p.data);
  return out;
}

/** A nested MMS PDU (inside a multipart part): decode errors are shown, not fatal. */
function safeMms(b: Buffer): Json {
  try {
    return mmsJson(decodeMms(b));
  } catch (e) {
    if (e instanceof DecodeError) return { error: e.message };
    throw e;
  }
}

export function mmsJson(pdu: MmsPdu): Json {
  const out: Record<string, Json> = {
    layer: 'mms',
    messageType: typeof pdu.type === 'number' ? `unknown-0x${pdu.type.toString(16)}` : pdu.type,
    headers: mmsHeaders(pdu.headers),
  };
  if (pdu.body) {
    if (pdu.body.kind === 'multipart') out.parts = pdu.body.parts.map(partJson);
    else {
      const ct = pdu.headers.find((h) => h.field === 'Content-Type');
      const media = ct && ct.field === 'Content-Type' ? ct.value.mediaType : undefined;
      out.body = bodyJson(pdu.body.data, media);
    }
  }
  return out;
}

function inspectMms(buf: Buffer): Json {
  return mmsJson(decodeMms(buf));
}

// ---------------------------------------------------------------------------------------------
// WSP (filled in from src/codec/wsp once its PDU decoder exists)

function inspectWsp(buf: Buffer, connectionless: boolean): Json {
  if (connectionless) {
    if (buf.length < 2) throw new DecodeError('wsp', buf.length, 'a connectionless WSP datagram needs a TID octet and a PDU type');
    return { layer: 'wsp-cl', tid: buf[0] as number, pduType: `0x${(buf[1] as number).toString(16).padStart(2, '0')}`, pdu: bytesJson(buf.subarray(1)) };
  }
  if (buf.length < 1) throw new DecodeError('wsp', 0, 'empty WSP PDU');
  return { layer: 'wsp', pduType: `0x${(buf[0] as number).toString(16).padStart(2, '0')}`, pdu: bytesJson(buf) };
}

// ---------------------------------------------------------------------------------------------
// WTP

function tpiJson(t: Tpi): Json {
  switch (t.tpi) {
    case 'PSN':
      return { tpi: 'PSN', psn: t.psn };
    case 'Option': {
      const names = ['', 'MaxReceiveUnit', 'TotalMessageSize', 'DelayTransmissionTimer', 'MaxGroup', 'CurrentTID', 'NoCachedTID'];
      const value = t.value.length > 0 && t.value.length <= 4 ? t.value.readUIntBE(0, t.value.length) : toJson(t.value);
      return { tpi: 'Option', option: names[t.option] || `0x${t.option.toString(16)}`, value };
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
        reason: p.abortType === 'provider' ? (PROVIDER_REASON.get(p.reason) ?? `0x${p.reason.toString(16)}`) : `0x${p.reason.toString(16)}`,
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
    if (holdsWholeMessage(p) && p.data.length > 0) out.wsp = shifted(dataOffset, () => inspectWsp(p.data, false));
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
    default:
      throw new WapgwError('ERR_DECODE_AS', `unknown --as "${as}": use one of ${INSPECT_AS.join(', ')}`);
  }
}
