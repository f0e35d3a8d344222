/**
 * `summarizeMms(pdu)`: the JSON-friendly view `wapgw decode` prints for an MMS PDU (type,
 * transaction id, version, addresses, subject, sizes, content location, statuses, parts).
 * Status codes we have no name for are shown with the meaning ENC 1.3 §7.3.48/§7.3.50/§7.3.58
 * assigns to unknown values (generic transient or permanent failure) and their code.
 */
import { formatContentType } from '../wsp/content-type';
import { ENUM_MAPS, UNKNOWN_STATUS_MAPPING, type EnumTableName } from './tables';
import type { EncodedString, FromValue, Indexed, MmsPdu, TimeValue } from './types';

/** The name of an enumerated value; unknown status codes get the mapped meaning and their code. */
export function interpretEnum(table: EnumTableName, v: string | number): string {
  if (typeof v === 'string') return v;
  const map = UNKNOWN_STATUS_MAPPING[table];
  const hexCode = `0x${v.toString(16).padStart(2, '0')}`;
  if (map) return `${ENUM_MAPS[table].byCode.get(map(v)) ?? hexCode} (${hexCode})`;
  return hexCode;
}

const str = (e: EncodedString): string => e.text;
const from = (f: FromValue): string => (f.insert ? '<insert-address-token>' : f.address.text);
const iso = (s: number): string => {
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? String(s) : d.toISOString();
};
const time = (t: TimeValue): string | number => (t.kind === 'absolute' ? iso(t.seconds) : `+${t.seconds}s`);
const unindex = <T>(v: T | Indexed<T>): T =>
  typeof v === 'object' && v !== null && 'index' in (v as object) && 'value' in (v as object) ? (v as Indexed<T>).value : (v as T);

export interface MmsPartSummary {
  contentType: string;
  length: number;
  contentId?: string;
  contentLocation?: string;
}

export function summarizeMms(pdu: MmsPdu): Record<string, unknown> {
  const out: Record<string, unknown> = { type: typeof pdu.type === 'number' ? `0x${pdu.type.toString(16)}` : pdu.type };
  const add = (k: string, v: unknown) => {
    if (out[k] === undefined) out[k] = v;
  };
  const push = (k: string, v: unknown) => {
    const a = (out[k] as unknown[] | undefined) ?? [];
    a.push(v);
    out[k] = a;
  };
  let unknown = 0;
  for (const h of pdu.headers) {
    switch (h.field) {
      case 'X-Mms-Transaction-Id':
        add('transactionId', h.value);
        break;
      case 'X-Mms-MMS-Version':
        add('version', h.value);
        break;
      case 'Message-ID':
        add('messageId', h.value);
        break;
      case 'From':
        add('from', from(h.value));
        break;
      case 'To':
        push('to', str(h.value));
        break;
      case 'Cc':
        push('cc', str(h.value));
        break;
      case 'Bcc':
        push('bcc', str(h.value));
        break;
      case 'Subject':
        add('subject', str(h.value));
        break;
      case 'Date':
        add('date', iso(h.value));
        break;
      case 'X-Mms-Message-Size':
        add('messageSize', h.value);
        break;
      case 'X-Mms-Message-Class':
        add('messageClass', h.value);
        break;
      case 'X-Mms-Priority':
        add('priority', interpretEnum('priority', h.value));
        break;
      case 'X-Mms-Expiry':
        add('expiry', time(h.value));
        break;
      case 'X-Mms-Delivery-Time':
        add('deliveryTime', time(h.value));
        break;
      case 'X-Mms-Content-Location':
        add('contentLocation', unindex(h.value));
        break;
      case 'X-Mms-Response-Status':
        add('responseStatus', interpretEnum('response-status', unindex(h.value)));
        break;
      case 'X-Mms-Response-Text':
        add('responseText', str(unindex(h.value)));
        break;
      case 'X-Mms-Retrieve-Status':
        add('retrieveStatus', interpretEnum('retrieve-status', h.value));
        break;
      case 'X-Mms-Retrieve-Text':
        add('retrieveText', str(h.value));
        break;
      case 'X-Mms-Status':
        add('status', interpretEnum('status', h.value));
        break;
      case 'X-Mms-Read-Status':
        add('readStatus', interpretEnum('read-status', h.value));
        break;
      case 'X-Mms-Store-Status':
        add('storeStatus', interpretEnum('store-status', h.value));
        break;
      case 'X-Mms-Delivery-Report':
        add('deliveryReport', h.value);
        break;
      case 'X-Mms-Read-Report':
        add('readReport', h.value);
        break;
      case 'X-Mms-Report-Allowed':
        add('reportAllowed', h.value);
        break;
      case 'X-Mms-Content-Class':
        add('contentClass', interpretEnum('content-class', h.value));
        break;
      case 'Content-Type':
        add('contentType', formatContentType(h.value));
        break;
      case 'unknown':
        unknown++;
        break;
      case 'application':
        push('applicationHeaders', `${h.name}: ${h.value}`);
        break;
      default:
        break;
    }
  }
  if (unknown > 0) out.unknownHeaders = unknown;
  if (pdu.body?.kind === 'multipart') {
    out.parts = pdu.body.parts.map((p) => {
      const s: MmsPartSummary = { contentType: formatContentType(p.contentType), length: p.data.length };
      for (const h of p.headers) {
        const n = h.name.toLowerCase();
        if (n === 'content-id' && h.value !== undefined) s.contentId = h.value;
        if (n === 'content-location' && h.value !== undefined) s.contentLocation = h.value;
      }
      return s;
    });
  } else if (pdu.body?.kind === 'data') {
    out.bodyLength = pdu.body.data.length;
  }
  return out;
}
