/**
 * MMS encapsulation value tables (WAP-209 / OMA-MMS-ENC 1.1, 1.2, OMA-TS-MMS_ENC 1.3 §7.3, §7.4).
 * Rows are data: [code, name, sinceVersion] (version as 0x10..0x13 = 1.0..1.3); the lookup maps
 * are derived. Field codes are the assigned numbers; on the wire a field name is `0x80 | code`.
 * `kind` says how the value is encoded (see values.ts); the kinds are the ENC value rules.
 */

export type MmsVersionCode = 0x10 | 0x11 | 0x12 | 0x13;

/** X-Mms-Message-Type values (ENC 1.3 §7.3.30). */
export const MESSAGE_TYPES = [
  [0x80, 'm-send-req', 0x10],
  [0x81, 'm-send-conf', 0x10],
  [0x82, 'm-notification-ind', 0x10],
  [0x83, 'm-notifyresp-ind', 0x10],
  [0x84, 'm-retrieve-conf', 0x10],
  [0x85, 'm-acknowledge-ind', 0x10],
  [0x86, 'm-delivery-ind', 0x10],
  [0x87, 'm-read-rec-ind', 0x11],
  [0x88, 'm-read-orig-ind', 0x11],
  [0x89, 'm-forward-req', 0x11],
  [0x8a, 'm-forward-conf', 0x11],
  [0x8b, 'm-mbox-store-req', 0x12],
  [0x8c, 'm-mbox-store-conf', 0x12],
  [0x8d, 'm-mbox-view-req', 0x12],
  [0x8e, 'm-mbox-view-conf', 0x12],
  [0x8f, 'm-mbox-upload-req', 0x12],
  [0x90, 'm-mbox-upload-conf', 0x12],
  [0x91, 'm-mbox-delete-req', 0x12],
  [0x92, 'm-mbox-delete-conf', 0x12],
  [0x93, 'm-mbox-descr', 0x12],
  [0x94, 'm-delete-req', 0x13],
  [0x95, 'm-delete-conf', 0x13],
  [0x96, 'm-cancel-req', 0x13],
  [0x97, 'm-cancel-conf', 0x13],
] as const;

export type MmsMessageTypeName = (typeof MESSAGE_TYPES)[number][1];

/**
 * How a field value is encoded:
 * - encoded-string: Encoded-string-value (Text-string | Value-length Char-set Text-string)
 * - text: Text-string (Uri-value, Message-ID, Transaction-Id, ...)
 * - content-location: Uri-value, or in m-mbox-delete-conf Value-length Index Uri
 * - content-type: WSP Content-type-value; the body follows
 * - date: Date-value (Long-integer seconds)
 * - long: Long-integer; integer: Integer-value
 * - time: Value-length (Absolute-token Date-value | Relative-token Delta-seconds-value)
 * - from: Value-length (Address-present-token Encoded-string-value | Insert-address-token)
 * - version: Short-integer major<<4|minor
 * - enum:<table>: one octet from the named table; class: Class-identifier | Token-text
 * - prev-sent-by / prev-sent-date / mm-flags / mbox-totals / element-descriptor: general forms
 * - attributes: Short-integer naming a field
 * - raw: no typed decode (kept as octets by the generic WSP value rule)
 */
export type FieldKind =
  | 'encoded-string'
  | 'text'
  | 'content-location'
  | 'content-type'
  | 'date'
  | 'long'
  | 'integer'
  | 'time'
  | 'from'
  | 'version'
  | 'class'
  | 'message-type'
  | 'yes-no'
  | 'prev-sent-by'
  | 'prev-sent-date'
  | 'mm-flags'
  | 'mbox-totals'
  | 'element-descriptor'
  | 'attributes'
  | 'raw'
  | `enum:${EnumTableName}`;

/** Header fields (ENC 1.3 Table 25 "Field name assignments"). */
export const FIELDS = [
  [0x01, 'Bcc', 0x10, 'encoded-string'],
  [0x02, 'Cc', 0x10, 'encoded-string'],
  [0x03, 'X-Mms-Content-Location', 0x10, 'content-location'],
  [0x04, 'Content-Type', 0x10, 'content-type'],
  [0x05, 'Date', 0x10, 'date'],
  [0x06, 'X-Mms-Delivery-Report', 0x10, 'yes-no'],
  [0x07, 'X-Mms-Delivery-Time', 0x10, 'time'],
  [0x08, 'X-Mms-Expiry', 0x10, 'time'],
  [0x09, 'From', 0x10, 'from'],
  [0x0a, 'X-Mms-Message-Class', 0x10, 'class'],
  [0x0b, 'Message-ID', 0x10, 'text'],
  [0x0c, 'X-Mms-Message-Type', 0x10, 'message-type'],
  [0x0d, 'X-Mms-MMS-Version', 0x10, 'version'],
  [0x0e, 'X-Mms-Message-Size', 0x10, 'long'],
  [0x0f, 'X-Mms-Priority', 0x10, 'enum:priority'],
  [0x10, 'X-Mms-Read-Report', 0x10, 'yes-no'],
  [0x11, 'X-Mms-Report-Allowed', 0x10, 'yes-no'],
  [0x12, 'X-Mms-Response-Status', 0x10, 'enum:response-status'],
  [0x13, 'X-Mms-Response-Text', 0x10, 'encoded-string'],
  [0x14, 'X-Mms-Sender-Visibility', 0x10, 'enum:sender-visibility'],
  [0x15, 'X-Mms-Status', 0x10, 'enum:status'],
  [0x16, 'Subject', 0x10, 'encoded-string'],
  [0x17, 'To', 0x10, 'encoded-string'],
  [0x18, 'X-Mms-Transaction-Id', 0x10, 'text'],
  [0x19, 'X-Mms-Retrieve-Status', 0x11, 'enum:retrieve-status'],
  [0x1a, 'X-Mms-Retrieve-Text', 0x11, 'encoded-string'],
  [0x1b, 'X-Mms-Read-Status', 0x11, 'enum:read-status'],
  [0x1c, 'X-Mms-Reply-Charging', 0x11, 'enum:reply-charging'],
  [0x1d, 'X-Mms-Reply-Charging-Deadline', 0x11, 'time'],
  [0x1e, 'X-Mms-Reply-Charging-ID', 0x11, 'text'],
  [0x1f, 'X-Mms-Reply-Charging-Size', 0x11, 'long'],
  [0x20, 'X-Mms-Previously-Sent-By', 0x11, 'prev-sent-by'],
  [0x21, 'X-Mms-Previously-Sent-Date', 0x11, 'prev-sent-date'],
  [0x22, 'X-Mms-Store', 0x12, 'yes-no'],
  [0x23, 'X-Mms-MM-State', 0x12, 'enum:mm-state'],
  [0x24, 'X-Mms-MM-Flags', 0x12, 'mm-flags'],
  [0x25, 'X-Mms-Store-Status', 0x12, 'enum:store-status'],
  [0x26, 'X-Mms-Store-Status-Text', 0x12, 'encoded-string'],
  [0x27, 'X-Mms-Stored', 0x12, 'yes-no'],
  [0x28, 'X-Mms-Attributes', 0x12, 'attributes'],
  [0x29, 'X-Mms-Totals', 0x12, 'yes-no'],
  [0x2a, 'X-Mms-Mbox-Totals', 0x12, 'mbox-totals'],
  [0x2b, 'X-Mms-Quotas', 0x12, 'yes-no'],
  [0x2c, 'X-Mms-Mbox-Quotas', 0x12, 'mbox-totals'],
  [0x2d, 'X-Mms-Message-Count', 0x12, 'integer'],
  [0x2e, 'Content', 0x12, 'raw'],
  [0x2f, 'X-Mms-Start', 0x12, 'integer'],
  [0x30, 'Additional-headers', 0x12, 'raw'],
  [0x31, 'X-Mms-Distribution-Indicator', 0x12, 'yes-no'],
  [0x32, 'X-Mms-Element-Descriptor', 0x12, 'element-descriptor'],
  [0x33, 'X-Mms-Limit', 0x12, 'integer'],
  [0x34, 'X-Mms-Recommended-Retrieval-Mode', 0x13, 'enum:retrieval-mode'],
  [0x35, 'X-Mms-Recommended-Retrieval-Mode-Text', 0x13, 'encoded-string'],
  [0x36, 'X-Mms-Status-Text', 0x13, 'encoded-string'],
  [0x37, 'X-Mms-Applic-ID', 0x13, 'text'],
  [0x38, 'X-Mms-Reply-Applic-ID', 0x13, 'text'],
  [0x39, 'X-Mms-Aux-Applic-Info', 0x13, 'text'],
  [0x3a, 'X-Mms-Content-Class', 0x13, 'enum:content-class'],
  [0x3b, 'X-Mms-DRM-Content', 0x13, 'yes-no'],
  [0x3c, 'X-Mms-Adaptation-Allowed', 0x13, 'yes-no'],
  [0x3d, 'X-Mms-Replace-ID', 0x13, 'text'],
  [0x3e, 'X-Mms-Cancel-ID', 0x13, 'text'],
  [0x3f, 'X-Mms-Cancel-Status', 0x13, 'enum:cancel-status'],
] as const satisfies readonly (readonly [number, string, MmsVersionCode, FieldKind])[];

export type MmsFieldName = (typeof FIELDS)[number][1];

/** Enumerated values. Names follow the ENC text (with spaces turned into dashes). */
export const ENUM_TABLES = {
  priority: [
    [0x80, 'Low', 0x10],
    [0x81, 'Normal', 0x10],
    [0x82, 'High', 0x10],
  ],
  'sender-visibility': [
    [0x80, 'Hide', 0x10],
    [0x81, 'Show', 0x10],
  ],
  /** X-Mms-Status (§7.3.54). */
  status: [
    [0x80, 'Expired', 0x10],
    [0x81, 'Retrieved', 0x10],
    [0x82, 'Rejected', 0x10],
    [0x83, 'Deferred', 0x10],
    [0x84, 'Unrecognised', 0x10],
    [0x85, 'Indeterminate', 0x11],
    [0x86, 'Forwarded', 0x11],
    [0x87, 'Unreachable', 0x12],
  ],
  /** X-Mms-Response-Status (§7.3.48). 0x81-0x88 are the obsolete 1.0 codes. */
  'response-status': [
    [0x80, 'Ok', 0x10],
    [0x81, 'Error-unspecified', 0x10],
    [0x82, 'Error-service-denied', 0x10],
    [0x83, 'Error-message-format-corrupt', 0x10],
    [0x84, 'Error-sending-address-unresolved', 0x10],
    [0x85, 'Error-message-not-found', 0x10],
    [0x86, 'Error-network-problem', 0x10],
    [0x87, 'Error-content-not-accepted', 0x10],
    [0x88, 'Error-unsupported-message', 0x10],
    [0xc0, 'Error-transient-failure', 0x11],
    [0xc1, 'Error-transient-sending-address-unresolved', 0x11],
    [0xc2, 'Error-transient-message-not-found', 0x11],
    [0xc3, 'Error-transient-network-problem', 0x11],
    [0xc4, 'Error-transient-partial-success', 0x12],
    [0xe0, 'Error-permanent-failure', 0x11],
    [0xe1, 'Error-permanent-service-denied', 0x11],
    [0xe2, 'Error-permanent-message-format-corrupt', 0x11],
    [0xe3, 'Error-permanent-sending-address-unresolved', 0x11],
    [0xe4, 'Error-permanent-message-not-found', 0x11],
    [0xe5, 'Error-permanent-content-not-accepted', 0x11],
    [0xe6, 'Error-permanent-reply-charging-limitations-not-met', 0x11],
    [0xe7, 'Error-permanent-reply-charging-request-not-accepted', 0x11],
    [0xe8, 'Error-permanent-reply-charging-forwarding-denied', 0x11],
    [0xe9, 'Error-permanent-reply-charging-not-supported', 0x11],
    [0xea, 'Error-permanent-address-hiding-not-supported', 0x12],
    [0xeb, 'Error-permanent-lack-of-prepaid', 0x13],
  ],
  /** X-Mms-Retrieve-Status (§7.3.50). */
  'retrieve-status': [
    [0x80, 'Ok', 0x11],
    [0xc0, 'Error-transient-failure', 0x11],
    [0xc1, 'Error-transient-message-not-found', 0x11],
    [0xc2, 'Error-transient-network-problem', 0x11],
    [0xe0, 'Error-permanent-failure', 0x11],
    [0xe1, 'Error-permanent-service-denied', 0x11],
    [0xe2, 'Error-permanent-message-not-found', 0x11],
    [0xe3, 'Error-permanent-content-unsupported', 0x11],
  ],
  'read-status': [
    [0x80, 'Read', 0x11],
    [0x81, 'Deleted-without-being-read', 0x11],
  ],
  'reply-charging': [
    [0x80, 'Requested', 0x11],
    [0x81, 'Requested-text-only', 0x11],
    [0x82, 'Accepted', 0x11],
    [0x83, 'Accepted-text-only', 0x11],
  ],
  'mm-state': [
    [0x80, 'Draft', 0x12],
    [0x81, 'Sent', 0x12],
    [0x82, 'New', 0x12],
    [0x83, 'Retrieved', 0x12],
    [0x84, 'Forwarded', 0x12],
  ],
  /** X-Mms-Store-Status (§7.3.58). */
  'store-status': [
    [0x80, 'Success', 0x12],
    [0xc0, 'Error-transient-failure', 0x12],
    [0xc1, 'Error-transient-network-problem', 0x12],
    [0xe0, 'Error-permanent-failure', 0x12],
    [0xe1, 'Error-permanent-service-denied', 0x12],
    [0xe2, 'Error-permanent-message-format-corrupt', 0x12],
    [0xe3, 'Error-permanent-message-not-found', 0x12],
    [0xe4, 'Error-permanent-mmbox-full', 0x12],
  ],
  'retrieval-mode': [[0x80, 'Manual', 0x13]],
  'content-class': [
    [0x80, 'text', 0x13],
    [0x81, 'image-basic', 0x13],
    [0x82, 'image-rich', 0x13],
    [0x83, 'video-basic', 0x13],
    [0x84, 'video-rich', 0x13],
    [0x85, 'megapixel', 0x13],
    [0x86, 'content-basic', 0x13],
    [0x87, 'content-rich', 0x13],
  ],
  'cancel-status': [
    [0x80, 'Cancel-request-successfully-received', 0x13],
    [0x81, 'Cancel-request-corrupted', 0x13],
  ],
} as const satisfies Record<string, readonly (readonly [number, string, MmsVersionCode])[]>;

export type EnumTableName = keyof typeof ENUM_TABLES;

/** X-Mms-Message-Class Class-identifier (§7.3.27); Token-text is the other form. */
export const MESSAGE_CLASSES = [
  [0x80, 'Personal', 0x10],
  [0x81, 'Advertisement', 0x10],
  [0x82, 'Informational', 0x10],
  [0x83, 'Auto', 0x10],
] as const;

/**
 * What a receiver does with an unassigned status value (ENC 1.3 §7.3.48 Response-Status,
 * §7.3.50 Retrieve-Status, §7.3.58 Store-Status): an unknown 0xC0-0xDF code means the generic
 * transient failure 0xC0, anything else unassigned the generic permanent failure 0xE0.
 */
export const UNKNOWN_STATUS_MAPPING: Partial<Record<EnumTableName, (code: number) => number>> = {
  'response-status': (c) => (c >= 0xc0 && c <= 0xdf ? 0xc0 : 0xe0),
  'retrieve-status': (c) => (c >= 0xc0 && c <= 0xdf ? 0xc0 : 0xe0),
  'store-status': (c) => (c >= 0xc0 && c <= 0xdf ? 0xc0 : 0xe0),
};

/** Yes/No: 0x80 Yes, 0x81 No. */
export const YES = 0x80;
export const NO = 0x81;

/** Tokens inside general-form values (ENC 1.3 §7.3): [octet, name]. */
export const TIME_TOKENS = [
  [0x80, 'absolute'], // Absolute-token Date-value
  [0x81, 'relative'], // Relative-token Delta-seconds-value
] as const;
export const FROM_TOKENS = [
  [0x80, 'address-present'],
  [0x81, 'insert-address'],
] as const;
export const MM_FLAGS_TOKENS = [
  [0x80, 'add'],
  [0x81, 'remove'],
  [0x82, 'filter'],
] as const;
/** X-Mms-Mbox-Totals / X-Mms-Mbox-Quotas: Message-total-token / Size-total-token (quota alike). */
export const TOTALS_TOKENS = [
  [0x80, 'messages'],
  [0x81, 'size'],
] as const;

function tokenMaps<T extends readonly (readonly [number, string])[]>(rows: T) {
  return {
    byCode: new Map<number, T[number][1]>(rows.map(([c, n]) => [c, n])),
    byName: new Map<string, number>(rows.map(([c, n]) => [n, c])),
  };
}
export const TIME_TOKEN = tokenMaps(TIME_TOKENS);
export const FROM_TOKEN = tokenMaps(FROM_TOKENS);
export const MM_FLAGS_TOKEN = tokenMaps(MM_FLAGS_TOKENS);
export const TOTALS_TOKEN = tokenMaps(TOTALS_TOKENS);

// ---- derived maps -------------------------------------------------------------------------

export const MESSAGE_TYPE_BY_CODE = new Map<number, MmsMessageTypeName>(MESSAGE_TYPES.map(([c, n]) => [c, n]));
export const MESSAGE_TYPE_BY_NAME = new Map<string, number>(MESSAGE_TYPES.map(([c, n]) => [n, c]));

export interface FieldInfo {
  readonly code: number;
  readonly name: MmsFieldName;
  readonly since: MmsVersionCode;
  readonly kind: FieldKind;
}
export const FIELD_BY_CODE = new Map<number, FieldInfo>(
  FIELDS.map(([code, name, since, kind]) => [code, { code, name, since, kind }]),
);
export const FIELD_BY_NAME = new Map<string, FieldInfo>(
  FIELDS.map(([code, name, since, kind]) => [name, { code, name, since, kind }]),
);

function enumMaps<T extends readonly (readonly [number, string, number])[]>(rows: T) {
  return {
    byCode: new Map<number, string>(rows.map(([c, n]) => [c, n])),
    byName: new Map<string, number>(rows.map(([c, n]) => [n.toLowerCase(), c])),
  };
}

export const ENUM_MAPS = Object.fromEntries(
  Object.entries(ENUM_TABLES).map(([k, rows]) => [k, enumMaps(rows)]),
) as Record<EnumTableName, { byCode: Map<number, string>; byName: Map<string, number> }>;

export const CLASS_MAPS = enumMaps(MESSAGE_CLASSES);

/** MMS-Version (§7.3.34): 0x90 = 1.0 ... 0x93 = 1.3; minor 0x0F means none. */
export const MMS_VERSIONS = [
  [0x90, '1.0'],
  [0x91, '1.1'],
  [0x92, '1.2'],
  [0x93, '1.3'],
] as const;
