/**
 * `checkMms(pdu)`: what a well-formed PDU still gets wrong by the rules of OMA MMS ENC 1.3 §6
 * (per-PDU mandatory fields) and §7 (X-Mms-Message-Type, then X-Mms-Transaction-ID when
 * present, then X-Mms-MMS-Version lead the headers; Content-Type is last), and fields or
 * message types newer than the PDU's own X-Mms-MMS-Version. The decoder stays lenient (a
 * gateway forwards what it does not understand); callers that must judge a PDU (the demo
 * MMSC, tests) ask here. Returns one line per problem, empty when none.
 */
import { FIELD_BY_NAME, MESSAGE_TYPES, type MmsFieldName, type MmsMessageTypeName } from './tables';
import type { MmsPdu } from './types';

type Rule = { all: readonly MmsFieldName[]; oneOf?: readonly MmsFieldName[] };

const TID = 'X-Mms-Transaction-Id';
const VER = 'X-Mms-MMS-Version';
const RECIPIENTS: readonly MmsFieldName[] = ['To', 'Cc', 'Bcc'];

/**
 * Mandatory fields per PDU (OMA-MMS-ENC 1.3 §6 tables, "M" rows). The MMBox,
 * delete and cancel rows are the minimum (transaction, version, the field the PDU is about).
 */
export const MANDATORY: Partial<Record<MmsMessageTypeName, Rule>> = {
  'm-send-req': { all: [TID, VER, 'From', 'Content-Type'], oneOf: RECIPIENTS },
  'm-send-conf': { all: [TID, VER, 'X-Mms-Response-Status'] },
  'm-notification-ind': { all: [TID, VER, 'X-Mms-Message-Class', 'X-Mms-Message-Size', 'X-Mms-Expiry', 'X-Mms-Content-Location'] },
  'm-notifyresp-ind': { all: [TID, VER, 'X-Mms-Status'] },
  'm-retrieve-conf': { all: [VER, 'Date', 'Content-Type'] },
  'm-acknowledge-ind': { all: [TID, VER] },
  'm-delivery-ind': { all: [VER, 'Message-ID', 'To', 'Date', 'X-Mms-Status'] },
  'm-read-rec-ind': { all: [VER, 'Message-ID', 'To', 'From', 'X-Mms-Read-Status'] },
  'm-read-orig-ind': { all: [VER, 'Message-ID', 'To', 'From', 'Date', 'X-Mms-Read-Status'] },
  'm-forward-req': { all: [TID, VER, 'From', 'X-Mms-Content-Location'], oneOf: RECIPIENTS },
  'm-forward-conf': { all: [TID, VER, 'X-Mms-Response-Status'] },
  'm-mbox-store-req': { all: [TID, VER, 'X-Mms-Content-Location'] },
  'm-mbox-store-conf': { all: [TID, VER, 'X-Mms-Store-Status'] },
  'm-mbox-view-req': { all: [TID, VER] },
  'm-mbox-view-conf': { all: [TID, VER, 'X-Mms-Response-Status'] },
  'm-mbox-upload-req': { all: [TID, VER, 'Content-Type'] },
  'm-mbox-upload-conf': { all: [TID, VER, 'X-Mms-Response-Status'] },
  'm-mbox-delete-req': { all: [TID, VER, 'X-Mms-Content-Location'] },
  'm-mbox-delete-conf': { all: [TID, VER, 'X-Mms-Response-Status'] },
  'm-mbox-descr': { all: [VER] },
  'm-delete-req': { all: [TID, VER, 'X-Mms-Content-Location'] },
  'm-delete-conf': { all: [TID, VER, 'X-Mms-Response-Status'] },
  'm-cancel-req': { all: [TID, VER, 'X-Mms-Cancel-ID'] },
  'm-cancel-conf': { all: [TID, VER, 'X-Mms-Cancel-Status'] },
};

const TYPE_SINCE = new Map<string, number>(MESSAGE_TYPES.map(([, n, v]) => [n, v]));

/** '1.2' -> 0x12; undefined when not a major.minor version. */
function versionCode(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^(\d)\.(\d{1,2})$/.exec(v) : null;
  return m ? Number(m[1]) * 16 + Number(m[2]) : undefined;
}

const vName = (c: number): string => `${c >> 4}.${c & 0x0f}`;

export function checkMms(pdu: MmsPdu): string[] {
  const problems: string[] = [];
  const names = pdu.headers.map((h) => h.field);
  const has = (f: MmsFieldName) => names.includes(f);
  if (typeof pdu.type === 'number') problems.push(`unknown X-Mms-Message-Type 0x${pdu.type.toString(16)}`);
  else {
    const rule = MANDATORY[pdu.type];
    for (const f of rule?.all ?? []) if (!has(f)) problems.push(`${pdu.type} lacks ${f}`);
    if (rule?.oneOf && !rule.oneOf.some(has)) problems.push(`${pdu.type} needs one of ${rule.oneOf.join(', ')}`);
  }
  // Order: [Transaction-Id] then MMS-Version lead; Content-Type last (the encoder enforces that one).
  const tidAt = names.indexOf(TID);
  const verAt = names.indexOf(VER);
  if (tidAt > 0) problems.push(`${TID} must directly follow X-Mms-Message-Type`);
  if (verAt >= 0 && verAt !== (tidAt === 0 ? 1 : 0)) problems.push(`${VER} must follow X-Mms-Message-Type and ${TID}`);
  const ctAt = names.indexOf('Content-Type');
  if (ctAt >= 0 && ctAt !== names.length - 1) problems.push('Content-Type must be the last header');
  if (names.filter((n) => n === TID).length > 1) problems.push(`${TID} appears more than once`);
  // Nothing newer than the PDU's own version.
  const ver = versionCode(pdu.headers.find((h) => h.field === VER)?.value);
  if (ver !== undefined) {
    const tSince = typeof pdu.type === 'string' ? TYPE_SINCE.get(pdu.type) : undefined;
    if (tSince !== undefined && tSince > ver) problems.push(`${String(pdu.type)} needs MMS ${vName(tSince)}, the PDU says ${vName(ver)}`);
    for (const n of new Set(names)) {
      const info = FIELD_BY_NAME.get(n);
      if (info && info.since > ver) problems.push(`${n} needs MMS ${vName(info.since)}, the PDU says ${vName(ver)}`);
    }
  }
  return problems;
}

/*
 * The m-notification-ind as MMSCs write it, checked without decoding it: what preparePushContent
 * (src/ppg/content.ts) needs to know of a PDU pushed as it came, for the common case. OMA MMS ENC
 * 1.3 §6.2 (its mandatory fields) and §7 (their encodings; X-Mms-Message-Type, then
 * X-Mms-Transaction-ID, then X-Mms-MMS-Version lead; §7.3.34 versions 1.0 to 1.3, every field
 * here existing since 1.0). Each value is read by its own field's rule (WAP-230 §8.4.2: Text-string,
 * Short-integer, Long-integer, Value-length), so a PDU this accepts is one decodeMms reads and
 * checkMms finds nothing wrong with. Anything else (another field or value form, a field twice,
 * another PDU type) makes it answer false, and the caller decodes the PDU in full.
 */
const NOTIFICATION_CLASS = 0x8a;
const NOTIFICATION_SIZE = 0x8e;
const NOTIFICATION_EXPIRY = 0x88;
const NOTIFICATION_LOCATION = 0x83;

/** Index after a Text-string at `i` ([Quote] *octet NUL), or -1 when it has no NUL. */
function textEnd(b: Uint8Array, i: number): number {
  for (let j = i; j < b.length; j++) if (b[j] === 0) return j + 1;
  return -1;
}

/** Index after an Integer-value at `i` (a Short-integer, or a Long-integer of 1 to 6 octets), or -1. */
function integerEnd(b: Uint8Array, i: number, end: number): number {
  const o = b[i];
  if (o === undefined || i >= end) return -1;
  if (o >= 0x80) return i + 1;
  return o >= 1 && o <= 6 && i + 1 + o <= end ? i + 1 + o : -1;
}

/** True when `b` is an m-notification-ind of exactly the common form (see above); false: decode it to judge. */
export function isPlainNotificationInd(b: Uint8Array): boolean {
  // X-Mms-Message-Type m-notification-ind, X-Mms-Transaction-Id, X-Mms-MMS-Version 1.0..1.3
  if (b.length < 5 || b[0] !== 0x8c || b[1] !== 0x82 || b[2] !== 0x98) return false;
  let i = textEnd(b, 3);
  if (i < 0 || b[i] !== 0x8d) return false;
  const v = b[i + 1] as number;
  if (v < 0x90 || v > 0x93) return false;
  i += 2;
  let seen = 0;
  while (i < b.length) {
    const f = b[i++] as number;
    let bit: number;
    if (f === NOTIFICATION_CLASS) {
      // Class-identifier (the Token-text form goes to the full decode)
      if (i >= b.length || (b[i] as number) < 0x80) return false;
      i++;
      bit = 1;
    } else if (f === NOTIFICATION_SIZE) {
      i = integerEnd(b, i, b.length);
      bit = 2;
    } else if (f === NOTIFICATION_EXPIRY) {
      // Value-length (short form) then Absolute-token 0x80 or Relative-token 0x81 and an Integer-value filling it
      const len = b[i] as number;
      if (i >= b.length || len < 2 || len > 30 || i + 1 + len > b.length) return false;
      const tok = b[i + 1];
      if (tok !== 0x80 && tok !== 0x81) return false;
      if (integerEnd(b, i + 2, i + 1 + len) !== i + 1 + len) return false;
      i += 1 + len;
      bit = 4;
    } else if (f === NOTIFICATION_LOCATION) {
      // Uri-value as a Text-string (the Value-length form with an Index-value goes to the full decode)
      const o = b[i] as number;
      if (i >= b.length || (o >= 1 && o <= 31)) return false;
      i = textEnd(b, i);
      bit = 8;
    } else return false;
    if (i < 0 || (seen & bit) !== 0) return false;
    seen |= bit;
  }
  return seen === 15;
}
