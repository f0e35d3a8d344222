/**
 * The charging facts of an MMS PDU from its first bytes, without decoding it (for usage
 * records): message type, transaction id, Message-ID and Response-Status. OMA-MMS-ENC 1.3 §6
 * puts every header field before Content-Type (§7.3.11), which comes last; each value follows
 * the WSP generic encoding (WAP-230 §8.4.1.2): octet 0-30 a length that many octets follow,
 * 31 a uintvar length, 32-127 a NUL-terminated text, 128-255 a one-octet short integer.
 * Application headers (§7.3.1, a token-text name) are skipped as two texts. Truncated bytes give
 * whatever was read before them; a buffer that does not start with X-Mms-Message-Type gives null.
 */
import { ENUM_MAPS, FIELD_BY_NAME, MESSAGE_TYPE_BY_CODE } from './tables';

const code = (name: string): number => 0x80 | (FIELD_BY_NAME.get(name)?.code ?? 0);
const MESSAGE_TYPE = code('X-Mms-Message-Type');
const TRANSACTION_ID = code('X-Mms-Transaction-Id');
const MESSAGE_ID = code('Message-ID');
const RESPONSE_STATUS = code('X-Mms-Response-Status');
const CONTENT_TYPE = code('Content-Type');
/** Texts longer than this are cut (ids are short; a hostile PDU must not make us copy much). */
const MAX_TEXT = 100;

export interface MmsHeaderPeek {
  type: string;
  transactionId?: string;
  messageId?: string;
  responseStatus?: string;
}

/** Index after the NUL ending the text at `i` (or the end of the buffer). */
function skipText(b: Uint8Array, i: number): number {
  while (i < b.length && b[i] !== 0) i++;
  return i + 1;
}

function text(b: Uint8Array, i: number): string {
  let s = '';
  if (b[i] === 0x7f) i++; // Quote (WAP-230 §8.4.2.1)
  for (; i < b.length && b[i] !== 0 && s.length < MAX_TEXT; i++) {
    const c = b[i] as number;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return s;
}

/** Index after the value starting at `i` (WAP-230 §8.4.1.2). */
function skipValue(b: Uint8Array, i: number): number {
  const v = b[i];
  if (v === undefined) return b.length;
  if (v <= 30) return i + 1 + v;
  if (v === 31) {
    let len = 0;
    let j = i + 1;
    for (let n = 0; n < 5 && j < b.length; n++, j++) {
      const o = b[j] as number;
      len = len * 128 + (o & 0x7f);
      if ((o & 0x80) === 0) return j + 1 + len;
    }
    return b.length;
  }
  if (v < 128) return skipText(b, i);
  return i + 1;
}

export function peekMmsHeaders(b: Uint8Array): MmsHeaderPeek | null {
  if (b.length < 2 || b[0] !== MESSAGE_TYPE) return null;
  const t = b[1] as number;
  const out: MmsHeaderPeek = { type: MESSAGE_TYPE_BY_CODE.get(t) ?? `0x${t.toString(16).padStart(2, '0')}` };
  let i = 2;
  while (i < b.length) {
    const f = b[i] as number;
    if (f === CONTENT_TYPE) break;
    if (f < 0x80) {
      i = skipText(b, skipText(b, i)); // application header: name, value
      continue;
    }
    const at = i + 1;
    if (f === TRANSACTION_ID) out.transactionId = text(b, at);
    else if (f === MESSAGE_ID) out.messageId = text(b, at);
    else if (f === RESPONSE_STATUS && at < b.length) {
      const s = b[at] as number;
      out.responseStatus = ENUM_MAPS['response-status'].byCode.get(s) ?? `0x${s.toString(16)}`;
    }
    i = skipValue(b, at);
  }
  return out;
}
