/**
 * The MMS PDU model (OMA MMS ENC 1.0-1.3 §6, §7). A PDU is its message type, the headers in
 * wire order (typed values), and for PDUs whose last header is Content-Type, a body: a WSP
 * multipart (WAP-230 §8.5) split into parts, or plain data.
 *
 * Byte-exactness: a decoded header keeps `raw` (its value octets as received) only when our
 * canonical encoding of the typed value would differ (non-minimal integers, a quote we would
 * not write, a charset we can read but not write, a text form of a well-known token...). The
 * encoder writes `raw` when present, so decode -> encode reproduces the input. Delete `raw`
 * after changing a value.
 */
import type { ContentType } from '../wsp/content-type';
import type { MultipartPart } from '../wsp/multipart';
import type { WspHeader } from '../wsp/headers';
import type { EnumTableName, FieldKind, FIELDS, MmsFieldName, MmsMessageTypeName } from './tables';

export type { MmsFieldName, MmsMessageTypeName };

/** Encoded-string-value: `charset` absent = the plain Text-string form. */
export interface EncodedString {
  text: string;
  /** IANA MIBenum (106 utf-8, 3 us-ascii, 4 iso-8859-1, 1000 iso-10646-ucs-2 ...). */
  charset?: number;
}

/** From: Address-present-token + address, or Insert-address-token (`89 01 81`). */
export type FromValue = { insert: true } | { insert: false; address: EncodedString };

/** Expiry, Delivery-Time, Reply-Charging-Deadline: absolute date or relative delta (seconds). */
export interface TimeValue {
  kind: 'absolute' | 'relative';
  seconds: number;
}

/** Value-length Index-value Value, the form some m-mbox-delete-conf fields take. */
export interface Indexed<T> {
  index: number;
  value: T;
}

export interface PrevSentBy {
  count: number;
  address: EncodedString;
}
export interface PrevSentDate {
  count: number;
  date: number;
}
export interface MmFlags {
  op: 'add' | 'remove' | 'filter' | number;
  flag: EncodedString;
}
export interface MboxTotals {
  unit: 'messages' | 'size' | number;
  value: number;
}
export interface ElementDescriptor {
  reference: string;
  params: { name: string | number; value: string | number }[];
}

/** Content-type-value (WAP-230 §8.4.2.24): the WSP codec's model, shared. */
export type MmsContentType = ContentType;

type EnumKinds = { [K in EnumTableName as `enum:${K}`]: string | number };

/** The value type of each kind of field. Unknown enumerated codes stay numbers. */
export type KindValue = EnumKinds & {
  'encoded-string': EncodedString;
  text: string;
  'content-location': string | Indexed<string>;
  'content-type': MmsContentType;
  date: number;
  long: number;
  integer: number;
  time: TimeValue;
  from: FromValue;
  version: string;
  class: string | number;
  'message-type': MmsMessageTypeName | number;
  'yes-no': boolean | number;
  'prev-sent-by': PrevSentBy;
  'prev-sent-date': PrevSentDate;
  'mm-flags': MmFlags;
  'mbox-totals': MboxTotals;
  'element-descriptor': ElementDescriptor;
  attributes: MmsFieldName | number;
  raw: Buffer;
};

type Row = (typeof FIELDS)[number];
type KindOf<N extends MmsFieldName> = Extract<Row, readonly [number, N, number, FieldKind]>[3];

/** Fields whose value can take the indexed form in m-mbox-delete-conf / m-delete-conf. */
type IndexedField = 'X-Mms-Response-Status' | 'X-Mms-Response-Text';

export type FieldValue<N extends MmsFieldName> = N extends IndexedField
  ? KindValue[KindOf<N>] | Indexed<KindValue[KindOf<N>]>
  : KindValue[KindOf<N>];

export type MmsKnownHeader = { [N in MmsFieldName]: { field: N; value: FieldValue<N>; raw?: Buffer } }[MmsFieldName];

/** A well-known field code with no assignment (0x40-0x7F): value kept as octets. */
export interface MmsUnknownHeader {
  field: 'unknown';
  /** the assigned-number position, i.e. wire octet & 0x7F */
  code: number;
  raw: Buffer;
}

/** Application-header = Token-text Application-specific-value (Text-string). */
export interface MmsApplicationHeader {
  field: 'application';
  name: string;
  value: string;
  raw?: Buffer;
}

export type MmsHeader = MmsKnownHeader | MmsUnknownHeader | MmsApplicationHeader;

/** A multipart entry (WAP-230 §8.5): the WSP codec's model, headers in HTTP text form. */
export type MmsPart = MultipartPart;
export type { WspHeader as PartHeader };

export type MmsBody = { kind: 'multipart'; parts: MmsPart[] } | { kind: 'data'; data: Buffer };

export interface MmsPdu {
  type: MmsMessageTypeName | number;
  /** Headers after X-Mms-Message-Type, in wire order; Content-Type, when present, is last. */
  headers: MmsHeader[];
  body?: MmsBody;
}
