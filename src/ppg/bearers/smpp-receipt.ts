/**
 * SMSC delivery receipts (SMPP 3.4 §5.2.12 esm_class bits 2-5 = 0001: SMSC Delivery Receipt),
 * read from a deliver_sm: the receipted_message_id (0x001E) and message_state (0x0427) TLVs
 * (§5.3.2.12, §5.3.2.35) when the SMSC sends them, else the receipt text of SMPP 3.4 Appendix B:
 *
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
 *
 * stat values (Appendix B) and message_state values (§5.2.28) map to one DeliveryReceipt state.
 * Pure: values in, a receipt or undefined (not a receipt / no message id) out.
 */
import type { DeliveryReceipt, ReceiptState } from '../bearer';

/** message_state (SMPP 3.4 §5.2.28): 1 ENROUTE ... 8 REJECTED. */
const MESSAGE_STATE: Record<number, ReceiptState> = {
  1: 'unknown', // ENROUTE: not final
  2: 'delivered',
  3: 'expired',
  4: 'deleted',
  5: 'undeliverable',
  6: 'unknown', // ACCEPTED: manually accepted, not a delivery
  7: 'unknown',
  8: 'rejected',
};

/** Appendix B stat: DELIVRD EXPIRED DELETED UNDELIV ACCEPTD UNKNOWN REJECTD (ENROUTE in practice). */
const STAT: Record<string, ReceiptState> = {
  DELIVRD: 'delivered',
  EXPIRED: 'expired',
  DELETED: 'deleted',
  UNDELIV: 'undeliverable',
  ACCEPTD: 'unknown',
  UNKNOWN: 'unknown',
  REJECTD: 'rejected',
  ENROUTE: 'unknown',
};

/** esm_class message type bits (2-5) of an SMSC delivery receipt. */
export const isDeliveryReceipt = (esmClass: number): boolean => (esmClass & 0x3c) === 0x04;

export interface ReceiptFields {
  id?: string;
  stat?: string;
  err?: string;
  sub?: string;
  dlvrd?: string;
  submitDate?: string;
  doneDate?: string;
  text?: string;
}

/** Parses the Appendix B receipt text (keys case-insensitive, `text:` takes the rest). */
export function parseReceiptText(s: string): ReceiptFields {
  const out: ReceiptFields = {};
  const textAt = s.search(/\btext:/i);
  const head = textAt >= 0 ? s.slice(0, textAt) : s;
  if (textAt >= 0) out.text = s.slice(textAt + 5);
  const re = /\b(id|sub|dlvrd|submit date|done date|stat|err):\s*(\S*)/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(head)) !== null) {
    const k = (m[1] as string).toLowerCase();
    const v = m[2] as string;
    if (k === 'submit date') out.submitDate = v;
    else if (k === 'done date') out.doneDate = v;
    else (out as Record<string, string>)[k] = v;
  }
  return out;
}

/**
 * The receipt in a deliver_sm, or undefined when it is not one. The TLVs win over the text; a hex
 * message id in the text is also given as the decimal some SMSCs put in submit_sm_resp: callers
 * match on `messageId` as given.
 */
export function receiptFromDeliverSm(
  pdu: { esm_class?: number; receipted_message_id?: string; message_state?: number; text?: string },
  at: number,
): DeliveryReceipt | undefined {
  if (pdu.esm_class === undefined || !isDeliveryReceipt(pdu.esm_class)) return undefined;
  const fields = pdu.text !== undefined ? parseReceiptText(pdu.text) : {};
  const messageId = pdu.receipted_message_id || fields.id;
  if (!messageId) return undefined;
  let state: ReceiptState = 'unknown';
  if (pdu.message_state !== undefined && MESSAGE_STATE[pdu.message_state]) state = MESSAGE_STATE[pdu.message_state] as ReceiptState;
  else if (fields.stat !== undefined) state = STAT[fields.stat.toUpperCase()] ?? 'unknown';
  const r: DeliveryReceipt = { messageId, state, at };
  if (pdu.text !== undefined) r.raw = pdu.text;
  return r;
}
