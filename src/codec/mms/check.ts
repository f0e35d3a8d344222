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
