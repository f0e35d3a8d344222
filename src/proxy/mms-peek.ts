/**
 * A cheap look at the start of an MMS PDU for the access log: OMA MMS ENC 1.3 §6 puts
 * X-Mms-Message-Type first and, in PDUs that carry one, X-Mms-Transaction-Id second
 * (§7.3.30 message type, §7.3.63 transaction id: Text-string, WAP-230 §8.4.2.1). Only the first
 * bytes of a body are examined; anything unexpected gives null (never an error, never a
 * full decode: the MMSC is the one that validates the PDU).
 */
import { FIELD_BY_NAME, MESSAGE_TYPE_BY_CODE } from '../codec/mms/tables';

const MESSAGE_TYPE = 0x80 | (FIELD_BY_NAME.get('X-Mms-Message-Type')?.code ?? 0x0c);
const TRANSACTION_ID = 0x80 | (FIELD_BY_NAME.get('X-Mms-Transaction-Id')?.code ?? 0x18);
/** Longest transaction id shown; longer ones are cut. */
const MAX_TID = 64;

/** Same shape as the WSP access line's `mmsIn`/`mmsOut`. */
export interface MmsPeek {
  type: string;
  transactionId?: string;
}

export function peekMms(head: Uint8Array): MmsPeek | null {
  if (head.length < 2 || head[0] !== MESSAGE_TYPE) return null;
  const code = head[1] as number;
  const type = MESSAGE_TYPE_BY_CODE.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
  if (head[2] !== TRANSACTION_ID) return { type };
  let i = 3;
  if (head[i] === 0x7f) i++; // Quote before a text starting with an octet >= 128
  const end = Math.min(head.length, i + MAX_TID);
  let tid = '';
  for (; i < end && head[i] !== 0; i++) {
    const c = head[i] as number;
    tid += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return { type, transactionId: tid };
}
