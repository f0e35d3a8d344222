/**
 * Builders for the common MMS PDUs (OMA MMS ENC 1.3 §6.1-§6.7: m-send-req/conf,
 * m-notification-ind, m-notifyresp-ind, m-retrieve-conf, m-acknowledge-ind, m-delivery-ind,
 * m-read-rec-ind). They return an MmsPdu with the headers in the order §6 gives (Message-Type,
 * Transaction-Id, MMS-Version first; Content-Type last); `encodeMms` turns it into octets.
 * Addresses given as bare numbers get `/TYPE=PLMN` and IPv4 literals `/TYPE=IPv4` (§8 address
 * encoding); anything else is taken verbatim. Text that is not ASCII goes as UTF-8 (charset 106).
 */
import { toEncodedString } from './values';
import type { MmsContentType, EncodedString, MmsHeader, MmsPart, MmsPdu, PartHeader, TimeValue } from './types';
import { parseContentType } from '../wsp/content-type';

export type Address = string;

/** `+4917012345` -> `+4917012345/TYPE=PLMN`, `10.1.2.3` -> `10.1.2.3/TYPE=IPv4`; others unchanged. */
export function mmsAddress(a: Address): string {
  if (/^\+?[0-9]+$/.test(a)) return `${a}/TYPE=PLMN`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) return `${a}/TYPE=IPv4`;
  return a;
}

const addr = (a: Address | EncodedString): EncodedString => (typeof a === 'string' ? toEncodedString(mmsAddress(a)) : a);
const list = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);
const time = (v: number | TimeValue): TimeValue => (typeof v === 'number' ? { kind: 'relative', seconds: v } : v);

export interface PartInput {
  /** `text/plain; charset=utf-8`, `image/jpeg`, or a ContentType */
  contentType: string | MmsContentType;
  /** a string is UTF-8 encoded (and text/* gets charset=utf-8 when it has no charset) */
  data: Buffer | string;
  /** Content-ID without or with the angle brackets: `text1` or `<text1>` */
  contentId?: string;
  contentLocation?: string;
}

/** One multipart entry. */
export function buildPart(p: PartInput): MmsPart {
  const ct: MmsContentType = typeof p.contentType === 'string' ? parseContentType(p.contentType) : { ...p.contentType, params: { ...p.contentType.params } };
  delete ct.raw;
  if (typeof p.data === 'string' && ct.mediaType.startsWith('text/') && ct.params.charset === undefined) ct.params.charset = 'utf-8';
  const headers: PartHeader[] = [];
  if (p.contentId !== undefined) headers.push({ name: 'Content-ID', value: p.contentId.startsWith('<') ? p.contentId : `<${p.contentId}>` });
  if (p.contentLocation !== undefined) headers.push({ name: 'Content-Location', value: p.contentLocation });
  return { contentType: ct, headers, data: typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : p.data };
}

/**
 * The Content-Type of a body of parts: multipart.related with type/start when a part is
 * application/smil (start = its Content-ID), otherwise multipart.mixed, unless `kind` says.
 */
function bodyContentType(parts: readonly MmsPart[], kind?: 'mixed' | 'related' | 'alternative'): MmsContentType {
  const smil = parts.find((p) => p.contentType.mediaType === 'application/smil');
  const k = kind ?? (smil ? 'related' : 'mixed');
  const ct: MmsContentType = { mediaType: `application/vnd.wap.multipart.${k}`, params: {} };
  if (k === 'related' && smil) {
    ct.params.type = 'application/smil';
    const id = smil.headers.find((h) => h.name.toLowerCase() === 'content-id')?.value;
    if (id !== undefined) ct.params.start = id;
  }
  return ct;
}

interface Common {
  /** MMS version, default '1.2' */
  version?: string;
}

function head(type: MmsPdu['type'], transactionId: string | undefined, version: string | undefined): MmsPdu {
  const headers: MmsHeader[] = [];
  if (transactionId !== undefined) headers.push({ field: 'X-Mms-Transaction-Id', value: transactionId });
  headers.push({ field: 'X-Mms-MMS-Version', value: version ?? '1.2' });
  return { type, headers };
}

function withBody(pdu: MmsPdu, parts: readonly PartInput[] | undefined, kind?: 'mixed' | 'related' | 'alternative'): MmsPdu {
  const built = list(parts).map(buildPart);
  pdu.headers.push({ field: 'Content-Type', value: bodyContentType(built, kind) });
  pdu.body = { kind: 'multipart', parts: built };
  return pdu;
}

export interface SendReqInput extends Common {
  transactionId: string;
  /** omitted: Insert-address-token (the proxy-relay fills in the sender) */
  from?: Address | EncodedString;
  to?: Address | EncodedString | readonly (Address | EncodedString)[];
  cc?: Address | EncodedString | readonly (Address | EncodedString)[];
  bcc?: Address | EncodedString | readonly (Address | EncodedString)[];
  subject?: string | EncodedString;
  date?: number;
  messageClass?: string;
  /** seconds (relative) or a TimeValue */
  expiry?: number | TimeValue;
  deliveryTime?: number | TimeValue;
  priority?: 'Low' | 'Normal' | 'High';
  senderVisibility?: 'Hide' | 'Show';
  deliveryReport?: boolean;
  readReport?: boolean;
  parts: readonly PartInput[];
  multipart?: 'mixed' | 'related' | 'alternative';
}

/** m-send-req (§6.1.1). */
export function buildSendReq(i: SendReqInput): MmsPdu {
  const p = head('m-send-req', i.transactionId, i.version);
  const h = p.headers;
  if (i.date !== undefined) h.push({ field: 'Date', value: i.date });
  h.push({ field: 'From', value: i.from === undefined ? { insert: true } : { insert: false, address: addr(i.from) } });
  for (const a of list(i.to)) h.push({ field: 'To', value: addr(a) });
  for (const a of list(i.cc)) h.push({ field: 'Cc', value: addr(a) });
  for (const a of list(i.bcc)) h.push({ field: 'Bcc', value: addr(a) });
  if (i.subject !== undefined) h.push({ field: 'Subject', value: toEncodedString(i.subject) });
  if (i.messageClass !== undefined) h.push({ field: 'X-Mms-Message-Class', value: i.messageClass });
  if (i.expiry !== undefined) h.push({ field: 'X-Mms-Expiry', value: time(i.expiry) });
  if (i.deliveryTime !== undefined) h.push({ field: 'X-Mms-Delivery-Time', value: time(i.deliveryTime) });
  if (i.priority !== undefined) h.push({ field: 'X-Mms-Priority', value: i.priority });
  if (i.senderVisibility !== undefined) h.push({ field: 'X-Mms-Sender-Visibility', value: i.senderVisibility });
  if (i.deliveryReport !== undefined) h.push({ field: 'X-Mms-Delivery-Report', value: i.deliveryReport });
  if (i.readReport !== undefined) h.push({ field: 'X-Mms-Read-Report', value: i.readReport });
  return withBody(p, i.parts, i.multipart);
}

export interface SendConfInput extends Common {
  transactionId: string;
  /** X-Mms-Response-Status name ('Ok', 'Error-permanent-content-not-accepted', ...) or code; default 'Ok' */
  status?: string | number;
  responseText?: string | EncodedString;
  messageId?: string;
}

/** m-send-conf (§6.1.2). */
export function buildSendConf(i: SendConfInput): MmsPdu {
  const p = head('m-send-conf', i.transactionId, i.version);
  p.headers.push({ field: 'X-Mms-Response-Status', value: i.status ?? 'Ok' });
  if (i.responseText !== undefined) p.headers.push({ field: 'X-Mms-Response-Text', value: toEncodedString(i.responseText) });
  if (i.messageId !== undefined) p.headers.push({ field: 'Message-ID', value: i.messageId });
  return p;
}

export interface NotificationIndInput extends Common {
  transactionId: string;
  from?: Address | EncodedString;
  subject?: string | EncodedString;
  /** default 'Personal' */
  messageClass?: string;
  messageSize: number;
  /** seconds (relative) or a TimeValue */
  expiry: number | TimeValue;
  contentLocation: string;
  deliveryReport?: boolean;
}

/** m-notification-ind (§6.2). */
export function buildNotificationInd(i: NotificationIndInput): MmsPdu {
  const p = head('m-notification-ind', i.transactionId, i.version);
  const h = p.headers;
  if (i.from !== undefined) h.push({ field: 'From', value: { insert: false, address: addr(i.from) } });
  if (i.subject !== undefined) h.push({ field: 'Subject', value: toEncodedString(i.subject) });
  h.push({ field: 'X-Mms-Message-Class', value: i.messageClass ?? 'Personal' });
  h.push({ field: 'X-Mms-Message-Size', value: i.messageSize });
  h.push({ field: 'X-Mms-Expiry', value: time(i.expiry) });
  if (i.deliveryReport !== undefined) h.push({ field: 'X-Mms-Delivery-Report', value: i.deliveryReport });
  h.push({ field: 'X-Mms-Content-Location', value: i.contentLocation });
  return p;
}

export interface NotifyRespIndInput extends Common {
  transactionId: string;
  /** X-Mms-Status: 'Retrieved' (default), 'Deferred', 'Rejected', 'Unrecognised' ... */
  status?: string | number;
  reportAllowed?: boolean;
}

/** m-notifyresp-ind (§6.2). */
export function buildNotifyRespInd(i: NotifyRespIndInput): MmsPdu {
  const p = head('m-notifyresp-ind', i.transactionId, i.version);
  p.headers.push({ field: 'X-Mms-Status', value: i.status ?? 'Retrieved' });
  if (i.reportAllowed !== undefined) p.headers.push({ field: 'X-Mms-Report-Allowed', value: i.reportAllowed });
  return p;
}

export interface RetrieveConfInput extends Common {
  transactionId?: string;
  messageId?: string;
  /** seconds since 1970 */
  date: number;
  from?: Address | EncodedString;
  to?: Address | EncodedString | readonly (Address | EncodedString)[];
  cc?: Address | EncodedString | readonly (Address | EncodedString)[];
  subject?: string | EncodedString;
  messageClass?: string;
  priority?: 'Low' | 'Normal' | 'High';
  deliveryReport?: boolean;
  readReport?: boolean;
  retrieveStatus?: string | number;
  retrieveText?: string | EncodedString;
  parts: readonly PartInput[];
  multipart?: 'mixed' | 'related' | 'alternative';
}

/** m-retrieve-conf (§6.3). */
export function buildRetrieveConf(i: RetrieveConfInput): MmsPdu {
  const p = head('m-retrieve-conf', i.transactionId, i.version);
  const h = p.headers;
  if (i.messageId !== undefined) h.push({ field: 'Message-ID', value: i.messageId });
  h.push({ field: 'Date', value: i.date });
  if (i.from !== undefined) h.push({ field: 'From', value: { insert: false, address: addr(i.from) } });
  for (const a of list(i.to)) h.push({ field: 'To', value: addr(a) });
  for (const a of list(i.cc)) h.push({ field: 'Cc', value: addr(a) });
  if (i.subject !== undefined) h.push({ field: 'Subject', value: toEncodedString(i.subject) });
  if (i.messageClass !== undefined) h.push({ field: 'X-Mms-Message-Class', value: i.messageClass });
  if (i.priority !== undefined) h.push({ field: 'X-Mms-Priority', value: i.priority });
  if (i.deliveryReport !== undefined) h.push({ field: 'X-Mms-Delivery-Report', value: i.deliveryReport });
  if (i.readReport !== undefined) h.push({ field: 'X-Mms-Read-Report', value: i.readReport });
  if (i.retrieveStatus !== undefined) h.push({ field: 'X-Mms-Retrieve-Status', value: i.retrieveStatus });
  if (i.retrieveText !== undefined) h.push({ field: 'X-Mms-Retrieve-Text', value: toEncodedString(i.retrieveText) });
  return withBody(p, i.parts, i.multipart);
}

export interface AcknowledgeIndInput extends Common {
  transactionId: string;
  reportAllowed?: boolean;
}

/** m-acknowledge-ind (§6.4). */
export function buildAcknowledgeInd(i: AcknowledgeIndInput): MmsPdu {
  const p = head('m-acknowledge-ind', i.transactionId, i.version);
  if (i.reportAllowed !== undefined) p.headers.push({ field: 'X-Mms-Report-Allowed', value: i.reportAllowed });
  return p;
}

export interface DeliveryIndInput extends Common {
  messageId: string;
  to: Address | EncodedString;
  /** seconds since 1970 */
  date: number;
  /** X-Mms-Status: 'Retrieved', 'Expired', 'Rejected', 'Deferred', 'Unrecognised', 'Indeterminate', 'Forwarded', 'Unreachable' */
  status: string | number;
}

/** m-delivery-ind (§6.6). */
export function buildDeliveryInd(i: DeliveryIndInput): MmsPdu {
  const p = head('m-delivery-ind', undefined, i.version);
  p.headers.push(
    { field: 'Message-ID', value: i.messageId },
    { field: 'To', value: addr(i.to) },
    { field: 'Date', value: i.date },
    { field: 'X-Mms-Status', value: i.status },
  );
  return p;
}

export interface ReadRecIndInput extends Common {
  messageId: string;
  /** the originator of the message being reported on */
  to: Address | EncodedString;
  /** the recipient who read it; omitted: Insert-address-token */
  from?: Address | EncodedString;
  date?: number;
  /** 'Read' (default) or 'Deleted-without-being-read' */
  readStatus?: string | number;
}

/** m-read-rec-ind (§6.7.2). */
export function buildReadRecInd(i: ReadRecIndInput): MmsPdu {
  const p = head('m-read-rec-ind', undefined, i.version);
  p.headers.push(
    { field: 'Message-ID', value: i.messageId },
    { field: 'To', value: addr(i.to) },
    { field: 'From', value: i.from === undefined ? { insert: true } : { insert: false, address: addr(i.from) } },
  );
  if (i.date !== undefined) p.headers.push({ field: 'Date', value: i.date });
  p.headers.push({ field: 'X-Mms-Read-Status', value: i.readStatus ?? 'Read' });
  return p;
}
