/**
 * SMS User Data Header (3GPP TS 23.040 §9.2.3.24) as WDP over SMS uses it (WAP-259 WDP §6.5 and
 * Annex: GSM SMS bearer), and the split / reassembly of a WDP datagram into binary SMS.
 *
 *   UDH = UDHL(1) { IEI(1) IEDL(1) IED(IEDL) }*          UDHL counts the octets after itself
 *
 *   IEI 0x00  concatenated SMS, 8-bit reference  (§9.2.3.24.1):  ref(1) total(1) seq(1)
 *   IEI 0x08  concatenated SMS, 16-bit reference (§9.2.3.24.8):  ref(2) total(1) seq(1)
 *   IEI 0x04  application port addressing, 8-bit  (§9.2.3.24.3): dst(1) src(1)
 *   IEI 0x05  application port addressing, 16-bit (§9.2.3.24.4): dst(2) src(2)
 *
 * Other IEs are kept as {iei, data}. A concatenation IE with total 0, seq 0 or seq > total is one
 * the receiver "shall ignore" (§9.2.3.24.1); the decoder reports it as a DecodeError so nothing
 * half-valid reaches reassembly. User data of an 8-bit SMS is at most 140 octets (TS 23.040
 * §9.2.3.16, UDH included), so a WAP push over one SMS carries 133 octets of WDP payload (port IE
 * only), 128 with the 8-bit concatenation IE and 127 with the 16-bit one.
 *
 * Pure: Buffer in, values out; only DecodeError (ERR_SMS_DECODE, with the offset) or EncodeError
 * (ERR_SMS_ENCODE) escape.
 */
import { Reader } from '../bytes';
import { DecodeError, EncodeError, WapgwError } from '../../core/errors';

const LAYER = 'sms';

/** Most user data octets in one SMS (TS 23.040 §9.2.3.16, 8-bit data). */
export const SMS_UD_MAX = 140;

export type UdhIe =
  | { iei: 0x00; type: 'concat8'; ref: number; total: number; seq: number }
  | { iei: 0x08; type: 'concat16'; ref: number; total: number; seq: number }
  | { iei: 0x04; type: 'ports8'; dst: number; src: number }
  | { iei: 0x05; type: 'ports16'; dst: number; src: number }
  | { iei: number; type: 'other'; data: Buffer };

export interface UserData {
  /** The IEs in wire order (empty when there is no UDH). */
  udh: UdhIe[];
  /** The octets after the UDH (views into the input). */
  data: Buffer;
}

/** The concatenation and port IEs of one user data, when present. */
export interface UdhSummary {
  ports?: { dst: number; src: number; bits: 8 | 16 };
  concat?: { ref: number; total: number; seq: number; bits: 8 | 16 };
}

/** Decodes the UDH at the start of `ud` (TP-UDHI set / esm_class 0x40) and returns it with the data after it. */
export function decodeUserDataWithHeader(ud: Buffer, base = 0): UserData {
  const r = new Reader(ud, LAYER);
  const udhl = r.u8('UDHL');
  r.need(udhl, 'UDH');
  const end = r.pos + udhl;
  const udh: UdhIe[] = [];
  while (r.pos < end) {
    const at = r.pos;
    const iei = r.u8('IEI');
    if (r.pos >= end) throw new DecodeError(LAYER, base + r.pos, `IE 0x${hex2(iei)} has no length inside the UDH`);
    const len = r.u8('IEDL');
    if (r.pos + len > end) throw new DecodeError(LAYER, base + r.pos, `IE 0x${hex2(iei)} of ${len} octets runs past the UDH`);
    const ied = ud.subarray(r.pos, r.pos + len);
    r.pos += len;
    udh.push(decodeIe(iei, ied, base + at));
  }
  return { udh, data: ud.subarray(end) };
}

const FIXED_LEN: Record<number, number> = { 0x00: 3, 0x08: 4, 0x04: 2, 0x05: 4 };

function decodeIe(iei: number, d: Buffer, at: number): UdhIe {
  const want = FIXED_LEN[iei];
  if (want !== undefined && d.length !== want) throw new DecodeError(LAYER, at, `IE 0x${hex2(iei)} needs ${want} octets, has ${d.length}`);
  switch (iei) {
    case 0x00:
    case 0x08: {
      const ref = iei === 0x00 ? (d[0] as number) : d.readUInt16BE(0);
      const total = d[d.length - 2] as number;
      const seq = d[d.length - 1] as number;
      // TS 23.040 §9.2.3.24.1: total 0, seq 0 or seq > total -> the IE is to be ignored; we refuse it.
      if (total === 0 || seq === 0 || seq > total) throw new DecodeError(LAYER, at, `concatenation IE with part ${seq} of ${total}`);
      return iei === 0x00 ? { iei, type: 'concat8', ref, total, seq } : { iei, type: 'concat16', ref, total, seq };
    }
    case 0x04:
      return { iei, type: 'ports8', dst: d[0] as number, src: d[1] as number };
    case 0x05:
      return { iei, type: 'ports16', dst: d.readUInt16BE(0), src: d.readUInt16BE(2) };
    default:
      return { iei, type: 'other', data: d };
  }
}

/** Encodes the IEs as a UDH (with its UDHL octet). */
export function encodeUdh(ies: readonly UdhIe[]): Buffer {
  const parts: Buffer[] = [];
  for (const ie of ies) {
    let body: Buffer;
    switch (ie.type) {
      case 'concat8':
        checkRange(ie.ref, 0xff, 'concatenation reference');
        body = Buffer.from([ie.ref, ie.total, ie.seq]);
        break;
      case 'concat16':
        checkRange(ie.ref, 0xffff, 'concatenation reference');
        body = Buffer.from([ie.ref >> 8, ie.ref & 0xff, ie.total, ie.seq]);
        break;
      case 'ports8':
        checkRange(ie.dst, 0xff, 'port');
        checkRange(ie.src, 0xff, 'port');
        body = Buffer.from([ie.dst, ie.src]);
        break;
      case 'ports16':
        checkRange(ie.dst, 0xffff, 'port');
        checkRange(ie.src, 0xffff, 'port');
        body = Buffer.from([ie.dst >> 8, ie.dst & 0xff, ie.src >> 8, ie.src & 0xff]);
        break;
      default:
        if (ie.data.length > 0xff) throw new EncodeError(LAYER, `IE 0x${hex2(ie.iei)} longer than 255 octets`);
        body = ie.data;
    }
    if ((ie.type === 'concat8' || ie.type === 'concat16') && (ie.total < 1 || ie.total > 255 || ie.seq < 1 || ie.seq > ie.total)) {
      throw new EncodeError(LAYER, `concatenation part ${ie.seq} of ${ie.total}`);
    }
    parts.push(Buffer.from([ie.iei, body.length]), body);
  }
  const ies2 = Buffer.concat(parts);
  if (ies2.length > SMS_UD_MAX - 1) throw new EncodeError(LAYER, 'UDH longer than the user data');
  return Buffer.concat([Buffer.from([ies2.length]), ies2]);
}

function checkRange(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(LAYER, `${what} ${v} is not 0-${max}`);
}

export function summarizeUdh(ies: readonly UdhIe[]): UdhSummary {
  const out: UdhSummary = {};
  for (const ie of ies) {
    if (ie.type === 'ports16' || ie.type === 'ports8') out.ports = { dst: ie.dst, src: ie.src, bits: ie.type === 'ports16' ? 16 : 8 };
    else if (ie.type === 'concat8' || ie.type === 'concat16') {
      out.concat = { ref: ie.ref, total: ie.total, seq: ie.seq, bits: ie.type === 'concat16' ? 16 : 8 };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Split (WAP-259 WDP over GSM SMS: every segment carries the port IE and the concatenation IE)

export interface SplitOptions {
  /** Destination port (2948 = WAP Push connectionless). */
  dstPort: number;
  /** Source port (9200 = WSP connectionless at the PPG). */
  srcPort: number;
  /** Concatenation reference size; default 8. */
  refBits?: 8 | 16;
  /** The concatenation reference (used only when more than one SMS is needed). */
  ref: number;
  /** Most parts allowed; default 255 (the IE's limit). */
  maxParts?: number;
}

/** Octets of payload each SMS carries for these options (133 single, 128 / 127 concatenated). */
export function payloadPerPart(concatenated: boolean, refBits: 8 | 16 = 8): number {
  const portIe = 2 + 4;
  const concatIe = concatenated ? (refBits === 16 ? 6 : 5) : 0;
  return SMS_UD_MAX - 1 - portIe - concatIe;
}

/** How many SMS `length` octets of WDP payload take. */
export function partsNeeded(length: number, refBits: 8 | 16 = 8): number {
  if (length <= payloadPerPart(false)) return 1;
  return Math.ceil(length / payloadPerPart(true, refBits));
}

/** A payload that needs more SMS than the limit allows (permanent: retrying cannot help). */
export class TooManyPartsError extends WapgwError {
  readonly parts: number;
  constructor(parts: number, max: number) {
    super('ERR_SMS_TOO_MANY_PARTS', `push needs ${parts} SMS, more than the limit of ${max}`);
    this.parts = parts;
  }
}

/** Splits a WDP payload into 8-bit SMS user data (UDH included), each at most 140 octets. */
export function splitWdp(payload: Buffer, o: SplitOptions): Buffer[] {
  const refBits = o.refBits ?? 8;
  const max = Math.min(o.maxParts ?? 255, 255);
  const ports: UdhIe = { iei: 0x05, type: 'ports16', dst: o.dstPort, src: o.srcPort };
  const n = partsNeeded(payload.length, refBits);
  if (n > max) throw new TooManyPartsError(n, max);
  if (n === 1) {
    // The one-SMS push (nearly every MMS notification), written in place: UDHL 6, then the
    // application port addressing IE (TS 23.040 §9.2.3.24.4: IEI 0x05, length 4, destination
    // and originator port, 16 bits each): what encodeUdh([ports]) writes, in one allocation.
    checkRange(o.dstPort, 0xffff, 'port');
    checkRange(o.srcPort, 0xffff, 'port');
    const ud = Buffer.allocUnsafe(7 + payload.length);
    ud[0] = 6;
    ud[1] = 0x05;
    ud[2] = 4;
    ud.writeUInt16BE(o.dstPort, 3);
    ud.writeUInt16BE(o.srcPort, 5);
    payload.copy(ud, 7);
    return [ud];
  }
  const per = payloadPerPart(true, refBits);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const concat: UdhIe =
      refBits === 16
        ? { iei: 0x08, type: 'concat16', ref: o.ref, total: n, seq: i + 1 }
        : { iei: 0x00, type: 'concat8', ref: o.ref, total: n, seq: i + 1 };
    out.push(Buffer.concat([encodeUdh([ports, concat]), payload.subarray(i * per, (i + 1) * per)]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reassembly (TS 23.040 §9.2.3.24.1: parts of one message share ref, total and originator)

export interface Reassembled {
  ports?: { dst: number; src: number };
  concat?: { ref: number; total: number; bits: 8 | 16 };
  /** Index of each input in part order. */
  inputs: number[];
  data: Buffer;
}

export interface ReassemblyResult {
  complete: Reassembled[];
  /** Groups still missing parts: which sequence numbers are there. */
  incomplete: { ref: number; total: number; bits: 8 | 16; have: number[]; inputs: number[] }[];
  /** Duplicated parts (same group, same seq): the input indexes that were ignored. */
  duplicates: number[];
}

/**
 * Reassembles a set of user data (in any order): single SMS pass through; concatenated ones are
 * grouped by (reference size, reference, total, ports) and joined in sequence order when every
 * part is there. `key` separates originators when the caller knows them (e.g. the TP-OA).
 */
export function reassemble(parts: readonly (UserData & { key?: string })[]): ReassemblyResult {
  const complete: Reassembled[] = [];
  const duplicates: number[] = [];
  const groups = new Map<string, { ref: number; total: number; bits: 8 | 16; ports?: { dst: number; src: number }; bySeq: Map<number, number>; first: number }>();
  parts.forEach((p, i) => {
    const s = summarizeUdh(p.udh);
    const ports = s.ports ? { dst: s.ports.dst, src: s.ports.src } : undefined;
    if (!s.concat) {
      complete.push({ ...(ports ? { ports } : {}), inputs: [i], data: p.data });
      return;
    }
    const k = [p.key ?? '', s.concat.bits, s.concat.ref, s.concat.total, ports?.dst ?? '', ports?.src ?? ''].join('|');
    let g = groups.get(k);
    if (!g) {
      g = { ref: s.concat.ref, total: s.concat.total, bits: s.concat.bits, ...(ports ? { ports } : {}), bySeq: new Map(), first: i };
      groups.set(k, g);
    }
    if (g.bySeq.has(s.concat.seq)) duplicates.push(i);
    else g.bySeq.set(s.concat.seq, i);
  });
  const incomplete: ReassemblyResult['incomplete'] = [];
  for (const g of groups.values()) {
    const seqs = [...g.bySeq.keys()].sort((a, b) => a - b);
    const inputs = seqs.map((q) => g.bySeq.get(q) as number);
    if (seqs.length === g.total) {
      complete.push({
        ...(g.ports ? { ports: g.ports } : {}),
        concat: { ref: g.ref, total: g.total, bits: g.bits },
        inputs,
        data: Buffer.concat(inputs.map((j) => (parts[j] as UserData).data)),
      });
    } else incomplete.push({ ref: g.ref, total: g.total, bits: g.bits, have: seqs, inputs });
  }
  complete.sort((a, b) => (a.inputs[0] as number) - (b.inputs[0] as number));
  return { complete, incomplete, duplicates };
}

function hex2(o: number): string {
  return o.toString(16).padStart(2, '0');
}
