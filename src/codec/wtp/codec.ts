/**
 * WTP PDU codec (WAP-224 WTP, "Structure and Encoding of Messages": the fixed header of each PDU,
 * Transport Information Items, concatenation of PDUs; section numbers left out as unverified here).
 *
 * decodeWtp(buf) reads one PDU: the fixed header of its type (octet 1 = CON | type(4) | three
 * type-specific bits, octets 2-3 = TID with its direction bit, then the Invoke flags octet, the
 * Abort reason, the PSN or the NAck missing-PSN list), then, when CON is set, the TPI list
 * (each TPI octet = CON | id(4) | long(1) | len(2), the long form adds a length octet; the last
 * TPI has CON clear), then the user data (Invoke, Result, Segmented Invoke/Result only).
 * decodeDatagram(buf) also accepts a WDP datagram of concatenated PDUs: first octet 0x00, then
 * each PDU prefixed by its length (one octet < 128, or two octets with the MSB set holding a
 * 15-bit length; this is NOT a uintvar).
 *
 * Decoding is strict and bounded: every length is checked against what remains before any
 * slice, reserved bits are ignored (they are zero on the wire from every sender we know), and
 * any violation is a DecodeError (layer 'wtp') carrying the absolute offset. User data and TPI
 * values are views into the input buffer, never copies sized by a claimed length. Encoding
 * writes exactly what decoding reads, so captured traffic round-trips byte for byte; values
 * that do not fit the wire are an EncodeError.
 */
import { Reader, Writer } from '../bytes';
import { EncodeError } from '../../core/errors';
import {
  type Abort,
  type Ack,
  type AbortType,
  type Invoke,
  type NegativeAck,
  type Result,
  type SegmentedInvoke,
  type SegmentedResult,
  type Tcl,
  type Tpi,
  type WtpPdu,
  type WtpPduType,
} from './types';

const LAYER = 'wtp';

/** WAP-224 PDU types: [code, name]. 0 marks concatenation, never a PDU. */
export const PDU_TYPES = [
  [0x01, 'Invoke'],
  [0x02, 'Result'],
  [0x03, 'Ack'],
  [0x04, 'Abort'],
  [0x05, 'SegmentedInvoke'],
  [0x06, 'SegmentedResult'],
  [0x07, 'NegativeAck'],
] as const satisfies readonly (readonly [number, WtpPduType])[];
const TYPE_BY_CODE = new Map<number, WtpPduType>(PDU_TYPES.map(([c, n]) => [c, n]));
const CODE_BY_TYPE = new Map<WtpPduType, number>(PDU_TYPES.map(([c, n]) => [n, c]));

/** WAP-224 TPI identities: [id, name]. Other ids (6..15) decode as 'Unknown'. */
export const TPI_IDS = [
  [0x00, 'Error'],
  [0x01, 'Info'],
  [0x02, 'Option'],
  [0x03, 'PSN'],
  [0x04, 'SDUBoundary'],
  [0x05, 'FrameBoundary'],
] as const;
type KnownTpiName = (typeof TPI_IDS)[number][1];
const TPI_BY_ID = new Map<number, KnownTpiName>(TPI_IDS.map(([c, n]) => [c, n]));
const TPI_ID_BY_NAME = new Map<string, number>(TPI_IDS.map(([c, n]) => [n, c]));

/** Abort types (WAP-224 Abort PDU, 3 bits): [code, name]. */
export const ABORT_TYPES = [
  [0, 'provider'],
  [1, 'user'],
] as const satisfies readonly (readonly [number, AbortType])[];
const ABORT_BY_CODE = new Map<number, AbortType>(ABORT_TYPES.map(([c, n]) => [c, n]));
const ABORT_CODE = new Map<AbortType, number>(ABORT_TYPES.map(([c, n]) => [n, c]));

/** Name of a PDU type code, for diagnostics. */
export function pduTypeName(code: number): string {
  return code === 0 ? 'Concatenated' : (TYPE_BY_CODE.get(code) ?? `Unknown(0x${code.toString(16)})`);
}

// ---------------------------------------------------------------------------------------------
// decode

function decodeTpis(r: Reader): Tpi[] {
  const tpis: Tpi[] = [];
  for (;;) {
    const start = r.pos;
    const o = r.u8('TPI');
    const more = (o & 0x80) !== 0;
    const id = (o >> 3) & 0x0f;
    const long = (o & 0x04) !== 0;
    const len = long ? r.u8('TPI length') : o & 0x03;
    if (len > r.remaining) r.fail(`TPI length ${len} exceeds the ${r.remaining} octets that remain`, start);
    const body = r.sub(len, 'TPI');
    const name = TPI_BY_ID.get(id);
    let tpi: Tpi;
    switch (name) {
      case 'Error':
        // `badTpi` keeps the first value octet as received (error code and the identity of the
        // offending TPI share it; their split is not verified here), `data` the rest.
        if (len < 1) r.fail('Error TPI without the bad TPI octet', start);
        tpi = { tpi: 'Error', badTpi: body.u8(), data: body.rest() };
        break;
      case 'Info':
        tpi = { tpi: 'Info', data: body.rest() };
        break;
      case 'Option':
        if (len < 1) r.fail('Option TPI without an option identity', start);
        tpi = { tpi: 'Option', option: body.u8(), value: body.rest() };
        break;
      case 'PSN':
        if (len !== 1) r.fail(`PSN TPI length ${len}, expected 1`, start);
        tpi = { tpi: 'PSN', psn: body.u8() };
        break;
      case 'SDUBoundary':
      case 'FrameBoundary':
        if (len !== 0) r.fail(`${name} TPI length ${len}, expected 0`, start);
        tpi = { tpi: name };
        break;
      default:
        tpi = { tpi: 'Unknown', id, data: body.rest() };
    }
    if (long) tpi.long = true;
    tpis.push(tpi);
    if (!more) return tpis;
  }
}

/** Decodes one PDU occupying r from r.pos to r.end. */
function decodeOne(r: Reader): WtpPdu {
  const start = r.pos;
  const o1 = r.u8('PDU type');
  const con = (o1 & 0x80) !== 0;
  const code = (o1 >> 3) & 0x0f;
  const type = TYPE_BY_CODE.get(code);
  if (type === undefined) r.fail(`PDU type ${code} is ${code === 0 ? 'not allowed inside a PDU' : 'unknown'}`, start);
  const gtr = (o1 & 0x04) !== 0;
  const ttr = (o1 & 0x02) !== 0;
  const rid = (o1 & 0x01) !== 0;
  const tid = r.u16('TID');
  switch (type) {
    case 'Invoke': {
      const o4 = r.u8('Invoke header');
      const tcl = o4 & 0x03;
      if (tcl === 3) r.fail('transaction class 3 is undefined', r.pos - 1);
      const tpis = con ? decodeTpis(r) : [];
      const pdu: Invoke = {
        type,
        tid,
        gtr,
        ttr,
        rid,
        version: o4 >> 6,
        tidNew: (o4 & 0x20) !== 0,
        up: (o4 & 0x10) !== 0,
        tcl: tcl as Tcl,
        tpis,
        data: r.rest(),
      };
      return pdu;
    }
    case 'Result': {
      const tpis = con ? decodeTpis(r) : [];
      const pdu: Result = { type, tid, gtr, ttr, rid, tpis, data: r.rest() };
      return pdu;
    }
    case 'Ack': {
      const tpis = con ? decodeTpis(r) : [];
      noTrailing(r, type);
      const pdu: Ack = { type, tid, tveTok: gtr, rid, tpis };
      return pdu;
    }
    case 'Abort': {
      const at = o1 & 0x07;
      const abortType = ABORT_BY_CODE.get(at);
      if (abortType === undefined) r.fail(`abort type ${at} is undefined`, start);
      const reason = r.u8('abort reason');
      const tpis = con ? decodeTpis(r) : [];
      noTrailing(r, type);
      const pdu: Abort = { type, tid, abortType, reason, tpis };
      return pdu;
    }
    case 'SegmentedInvoke':
    case 'SegmentedResult': {
      const psn = r.u8('PSN');
      const tpis = con ? decodeTpis(r) : [];
      const pdu: SegmentedInvoke | SegmentedResult = { type, tid, gtr, ttr, rid, psn, tpis, data: r.rest() };
      return pdu;
    }
    case 'NegativeAck': {
      const n = r.u8('number of missing packets');
      const list = r.bytes(n, 'missing PSN list');
      const tpis = con ? decodeTpis(r) : [];
      noTrailing(r, type);
      const pdu: NegativeAck = { type, tid, rid, missing: [...list], tpis };
      return pdu;
    }
  }
}

function noTrailing(r: Reader, type: string): void {
  if (!r.atEnd) r.fail(`${r.remaining} unexpected octets after the ${type} PDU`);
}

/** Decodes exactly one WTP PDU (not a concatenation). Throws DecodeError (layer 'wtp'). */
export function decodeWtp(buf: Buffer): WtpPdu {
  const r = new Reader(buf, LAYER);
  if (r.atEnd) r.fail('empty PDU');
  return decodeOne(r);
}

/** Splits a concatenated datagram into [offset, length] of each PDU (offsets into buf). */
export function splitConcatenated(buf: Buffer): Array<[number, number]> {
  const r = new Reader(buf, LAYER);
  const first = r.u8('concatenation marker');
  if (first !== 0) r.fail('not a concatenated datagram (first octet is not 0x00)', 0);
  const parts: Array<[number, number]> = [];
  if (r.atEnd) r.fail('concatenated datagram holds no PDU');
  while (!r.atEnd) {
    const at = r.pos;
    const o = r.u8('PDU length');
    const len = o & 0x80 ? ((o & 0x7f) << 8) | r.u8('PDU length') : o;
    if (len === 0) r.fail('concatenated PDU of length 0', at);
    r.need(len, 'concatenated PDU');
    parts.push([r.pos, len]);
    r.pos += len;
  }
  return parts;
}

/** Decodes a WDP datagram: one PDU, or several concatenated ones (first octet 0x00). */
export function decodeDatagram(buf: Buffer): WtpPdu[] {
  if (buf.length === 0) return [decodeWtp(buf)];
  if (buf[0] !== 0) return [decodeWtp(buf)];
  return splitConcatenated(buf).map(([off, len]) => decodeOne(new Reader(buf, LAYER, off, off + len)));
}

/** True when the datagram is a concatenation (first octet 0x00). */
export const isConcatenated = (buf: Buffer): boolean => buf.length > 0 && buf[0] === 0;

// ---------------------------------------------------------------------------------------------
// encode

function bit(b: boolean, v: number): number {
  return b ? v : 0;
}

function checkRange(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(LAYER, `${what} ${v} outside 0..${max}`);
}

function tpiBody(t: Tpi): { id: number; body: Buffer } {
  switch (t.tpi) {
    case 'Error':
      checkRange('Error TPI bad TPI octet', t.badTpi, 0xff);
      return { id: 0, body: Buffer.concat([Buffer.of(t.badTpi), t.data]) };
    case 'Info':
      return { id: 1, body: t.data };
    case 'Option':
      checkRange('Option identity', t.option, 0xff);
      return { id: 2, body: Buffer.concat([Buffer.of(t.option), t.value]) };
    case 'PSN':
      checkRange('PSN', t.psn, 0xff);
      return { id: 3, body: Buffer.of(t.psn) };
    case 'SDUBoundary':
    case 'FrameBoundary':
      return { id: TPI_ID_BY_NAME.get(t.tpi) as number, body: Buffer.alloc(0) };
    case 'Unknown':
      checkRange('TPI identity', t.id, 0x0f);
      if (TPI_BY_ID.has(t.id)) throw new EncodeError(LAYER, `TPI identity ${t.id} is known; use its own form`);
      return { id: t.id, body: t.data };
  }
}

function encodeTpis(w: Writer, tpis: readonly Tpi[]): void {
  // a plain loop: most PDUs have no TPI, and a callback per call allocated a closure for each
  for (let i = 0; i < tpis.length; i++) {
    const t = tpis[i] as Tpi;
    const { id, body } = tpiBody(t);
    const more = i < tpis.length - 1 ? 0x80 : 0;
    if (body.length > 255) throw new EncodeError(LAYER, `TPI of ${body.length} octets exceeds 255`);
    if (t.long || body.length > 3) w.u8(more | (id << 3) | 0x04).u8(body.length);
    else w.u8(more | (id << 3) | body.length);
    w.bytes(body);
  }
}

/** Octets of the fixed header by PDU type (WAP-224 §8.3-8.6), without TPIs. */
export const FIXED_HEADER: Readonly<Record<WtpPdu['type'], number>> = { Invoke: 4, Result: 3, Ack: 3, Abort: 4, SegmentedInvoke: 4, SegmentedResult: 4, NegativeAck: 4 };

/**
 * The writer's first size: exact for a PDU without TPIs (the usual Ack, Result and Invoke), so its
 * octets are returned without a copy (Writer.toBuffer); TPIs add a margin instead.
 */
function encodedSizeHint(pdu: WtpPdu): number {
  const data = 'data' in pdu ? pdu.data.length : 0;
  if (pdu.tpis.length > 0) return 16 + data;
  return (FIXED_HEADER[pdu.type] ?? 16) + data + (pdu.type === 'NegativeAck' ? pdu.missing.length : 0);
}

/** Encodes one WTP PDU. CON is set exactly when `tpis` is non-empty. */
export function encodeWtp(pdu: WtpPdu): Buffer {
  const w = new Writer(LAYER, encodedSizeHint(pdu));
  const code = CODE_BY_TYPE.get(pdu.type);
  if (code === undefined) throw new EncodeError(LAYER, `unknown PDU type ${String((pdu as { type: unknown }).type)}`);
  checkRange('TID', pdu.tid, 0xffff);
  const con = bit(pdu.tpis.length > 0, 0x80);
  const head = con | (code << 3);
  switch (pdu.type) {
    case 'Invoke':
      checkRange('version', pdu.version, 3);
      checkRange('TCL', pdu.tcl, 2);
      w.u8(head | bit(pdu.gtr, 4) | bit(pdu.ttr, 2) | bit(pdu.rid, 1)).u16(pdu.tid);
      w.u8((pdu.version << 6) | bit(pdu.tidNew, 0x20) | bit(pdu.up, 0x10) | pdu.tcl);
      encodeTpis(w, pdu.tpis);
      w.bytes(pdu.data);
      break;
    case 'Result':
      w.u8(head | bit(pdu.gtr, 4) | bit(pdu.ttr, 2) | bit(pdu.rid, 1)).u16(pdu.tid);
      encodeTpis(w, pdu.tpis);
      w.bytes(pdu.data);
      break;
    case 'Ack':
      w.u8(head | bit(pdu.tveTok, 4) | bit(pdu.rid, 1)).u16(pdu.tid);
      encodeTpis(w, pdu.tpis);
      break;
    case 'Abort': {
      const at = ABORT_CODE.get(pdu.abortType);
      if (at === undefined) throw new EncodeError(LAYER, `unknown abort type ${String(pdu.abortType)}`);
      checkRange('abort reason', pdu.reason, 0xff);
      w.u8(head | at).u16(pdu.tid).u8(pdu.reason);
      encodeTpis(w, pdu.tpis);
      break;
    }
    case 'SegmentedInvoke':
    case 'SegmentedResult':
      checkRange('PSN', pdu.psn, 0xff);
      w.u8(head | bit(pdu.gtr, 4) | bit(pdu.ttr, 2) | bit(pdu.rid, 1)).u16(pdu.tid).u8(pdu.psn);
      encodeTpis(w, pdu.tpis);
      w.bytes(pdu.data);
      break;
    case 'NegativeAck':
      if (pdu.missing.length > 255) throw new EncodeError(LAYER, `${pdu.missing.length} missing PSNs exceed 255`);
      w.u8(head | bit(pdu.rid, 1)).u16(pdu.tid).u8(pdu.missing.length);
      for (const p of pdu.missing) {
        checkRange('missing PSN', p, 0xff);
        w.u8(p);
      }
      encodeTpis(w, pdu.tpis);
      break;
  }
  return w.toBuffer();
}

/** Largest PDU a concatenation can carry (15-bit length). */
export const MAX_CONCATENATED_PDU = 0x7fff;

/**
 * Encodes a datagram: one PDU as is, several as a concatenation (0x00, then each PDU behind its
 * 1- or 2-octet length). `concatenate: true` forces the concatenated form even for one PDU.
 */
export function encodeDatagram(pdus: readonly WtpPdu[], opts: { concatenate?: boolean } = {}): Buffer {
  if (pdus.length === 0) throw new EncodeError(LAYER, 'a datagram needs at least one PDU');
  if (pdus.length === 1 && !opts.concatenate) return encodeWtp(pdus[0] as WtpPdu);
  const parts: Buffer[] = [Buffer.of(0)];
  for (const p of pdus) {
    const b = encodeWtp(p);
    if (b.length > MAX_CONCATENATED_PDU) throw new EncodeError(LAYER, `PDU of ${b.length} octets cannot be concatenated`);
    parts.push(b.length < 128 ? Buffer.of(b.length) : Buffer.of(0x80 | (b.length >> 8), b.length & 0xff), b);
  }
  return Buffer.concat(parts);
}
