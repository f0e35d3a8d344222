/**
 * WSP value tables as data (WAP-230 Appendix A, Tables 34-42, plus the OMNA registrations that
 * later encoding versions added). Every row is `[code, name, sinceVersion]`: the code exists on
 * the wire only from that Encoding-Version on, so an encoder for an older peer falls back to text.
 * Lookup maps are derived below; nothing here does anything by itself.
 *
 * Versions are strings '1.1'..'1.5'; `versionCode('1.4') === 0x14` makes them comparable.
 * 'OMNA' marks codes registered outside the WSP tables: decoded, never produced.
 */

export type WspVersion = '1.1' | '1.2' | '1.3' | '1.4' | '1.5' | '1.6' | 'OMNA';

/** Default Encoding-Version when the peer did not say (WAP-230 §8.4.2.70; Kannel assumes 1.2). */
export const DEFAULT_ENCODING_VERSION = '1.2';
/** The highest version whose tables we know. */
export const MAX_ENCODING_VERSION = '1.5';

/** '1.4' -> 0x14 (major << 4 | minor). Numbers are taken as already in that form. Unknown -> Infinity. */
export function versionCode(v: string | number): number {
  if (typeof v === 'number') return v;
  const known = VERSION_CODES.get(v);
  if (known !== undefined) return known;
  const m = /^(\d+)\.(\d+)$/.exec(v);
  if (!m) return Infinity;
  return Number(m[1]) * 16 + Math.min(Number(m[2]), 15);
}

/** 0x14 -> '1.4': the inverse of versionCode for a version octet (major << 4 | minor). */
const spell = (code: number): string => `${code >> 4}.${code & 0x0f}`;
/** The text of every one-octet version code, made once (a method carries its session's version as text). */
const VERSION_TEXT: readonly string[] = Array.from({ length: 256 }, (_, c) => spell(c));
export const versionText = (code: number): string => (code >= 0 && code <= 0xff && (code | 0) === code ? (VERSION_TEXT[code] as string) : spell(code));

const VERSION_CODES: ReadonlyMap<string, number> = new Map([
  ['1.1', 0x11],
  ['1.2', 0x12],
  ['1.3', 0x13],
  ['1.4', 0x14],
  ['1.5', 0x15],
  ['1.6', 0x16],
  ['OMNA', Infinity],
]);

/** True when a table row tagged `since` exists for a peer at `version`. */
export const existsIn = (since: string, version: string | number): boolean => versionCode(since) <= versionCode(version);

// ---------------------------------------------------------------------------------------------
// PDU types (Table 34)

export const PDU_TYPES = [
  [0x01, 'Connect', '1.1'],
  [0x02, 'ConnectReply', '1.1'],
  [0x03, 'Redirect', '1.1'],
  [0x04, 'Reply', '1.1'],
  [0x05, 'Disconnect', '1.1'],
  [0x06, 'Push', '1.1'],
  [0x07, 'ConfirmedPush', '1.1'],
  [0x08, 'Suspend', '1.1'],
  [0x09, 'Resume', '1.1'],
  [0x40, 'Get', '1.1'],
  [0x41, 'Options', '1.1'],
  [0x42, 'Head', '1.1'],
  [0x43, 'Delete', '1.1'],
  [0x44, 'Trace', '1.1'],
  [0x60, 'Post', '1.1'],
  [0x61, 'Put', '1.1'],
  [0x80, 'DataFragment', '1.4'],
] as const;

/** Abort reasons of WSP (WAP-230 Table 35), carried in a WTP user Abort. */
export const ABORT_REASONS = [
  [0xe0, 'PROTOERR', '1.1'],
  [0xe1, 'DISCONNECT', '1.1'],
  [0xe2, 'SUSPEND', '1.1'],
  [0xe3, 'RESUME', '1.1'],
  [0xe4, 'CONGESTION', '1.1'],
  [0xe5, 'CONNECTERR', '1.1'],
  [0xe6, 'MRUEXCEEDED', '1.1'],
  [0xe7, 'MOREXCEEDED', '1.1'],
  [0xe8, 'PEERREQ', '1.1'],
  [0xe9, 'NETERR', '1.1'],
  [0xea, 'USERREQ', '1.1'],
  [0xeb, 'USERRFS', '1.1'],
  [0xec, 'USERPND', '1.1'],
  [0xed, 'USERDCR', '1.1'],
  [0xee, 'USERDCU', '1.1'],
] as const;

// ---------------------------------------------------------------------------------------------
// Status codes (Table 36): [wsp, http, since]. Derived rule: hundreds*16 + rest, 5xx at 0x60.

export const STATUS_CODES = [
  [0x10, 100, '1.1'], [0x11, 101, '1.1'],
  [0x20, 200, '1.1'], [0x21, 201, '1.1'], [0x22, 202, '1.1'], [0x23, 203, '1.1'], [0x24, 204, '1.1'],
  [0x25, 205, '1.1'], [0x26, 206, '1.1'],
  [0x30, 300, '1.1'], [0x31, 301, '1.1'], [0x32, 302, '1.1'], [0x33, 303, '1.1'], [0x34, 304, '1.1'],
  [0x35, 305, '1.1'], [0x37, 307, '1.1'],
  [0x40, 400, '1.1'], [0x41, 401, '1.1'], [0x42, 402, '1.1'], [0x43, 403, '1.1'], [0x44, 404, '1.1'],
  [0x45, 405, '1.1'], [0x46, 406, '1.1'], [0x47, 407, '1.1'], [0x48, 408, '1.1'], [0x49, 409, '1.1'],
  [0x4a, 410, '1.1'], [0x4b, 411, '1.1'], [0x4c, 412, '1.1'], [0x4d, 413, '1.1'], [0x4e, 414, '1.1'],
  [0x4f, 415, '1.1'], [0x50, 416, '1.1'], [0x51, 417, '1.1'],
  [0x60, 500, '1.1'], [0x61, 501, '1.1'], [0x62, 502, '1.1'], [0x63, 503, '1.1'], [0x64, 504, '1.1'],
  [0x65, 505, '1.1'],
] as const;

// ---------------------------------------------------------------------------------------------
// Capabilities (Table 37)

export const CAPABILITIES = [
  [0x00, 'Client-SDU-Size', '1.1'],
  [0x01, 'Server-SDU-Size', '1.1'],
  [0x02, 'Protocol-Options', '1.1'],
  [0x03, 'Method-MOR', '1.1'],
  [0x04, 'Push-MOR', '1.1'],
  [0x05, 'Extended-Methods', '1.1'],
  [0x06, 'Header-Code-Pages', '1.1'],
  [0x07, 'Aliases', '1.1'],
  [0x08, 'Client-Message-Size', '1.4'],
  [0x09, 'Server-Message-Size', '1.4'],
] as const;

/** Protocol Options flag bits (WAP-230 §8.3.2.3; the bit order is the one Wireshark decodes, not checked against the spec text). */
export const PROTOCOL_OPTIONS = [
  [0x80, 'confirmed-push', '1.1'],
  [0x40, 'push', '1.1'],
  [0x20, 'session-resume', '1.1'],
  [0x10, 'ack-headers', '1.1'],
  [0x08, 'large-data-transfer', '1.4'],
] as const;

// ---------------------------------------------------------------------------------------------
// Well-known content types (Table 40 and OMNA "WSP Content Type Codes")

export const CONTENT_TYPES = [
  [0x00, '*/*', '1.1'],
  [0x01, 'text/*', '1.1'],
  [0x02, 'text/html', '1.1'],
  [0x03, 'text/plain', '1.1'],
  [0x04, 'text/x-hdml', '1.1'],
  [0x05, 'text/x-ttml', '1.1'],
  [0x06, 'text/x-vcalendar', '1.1'],
  [0x07, 'text/x-vcard', '1.1'],
  [0x08, 'text/vnd.wap.wml', '1.1'],
  [0x09, 'text/vnd.wap.wmlscript', '1.1'],
  [0x0a, 'text/vnd.wap.wta-event', '1.1'],
  [0x0b, 'multipart/*', '1.1'],
  [0x0c, 'multipart/mixed', '1.1'],
  [0x0d, 'multipart/form-data', '1.1'],
  [0x0e, 'multipart/byteranges', '1.1'],
  [0x0f, 'multipart/alternative', '1.1'],
  [0x10, 'application/*', '1.1'],
  [0x11, 'application/java-vm', '1.1'],
  [0x12, 'application/x-www-form-urlencoded', '1.1'],
  [0x13, 'application/x-hdmlc', '1.1'],
  [0x14, 'application/vnd.wap.wmlc', '1.1'],
  [0x15, 'application/vnd.wap.wmlscriptc', '1.1'],
  [0x16, 'application/vnd.wap.wta-eventc', '1.1'],
  [0x17, 'application/vnd.wap.uaprof', '1.1'],
  [0x18, 'application/vnd.wap.wtls-ca-certificate', '1.1'],
  [0x19, 'application/vnd.wap.wtls-user-certificate', '1.1'],
  [0x1a, 'application/x-x509-ca-cert', '1.1'],
  [0x1b, 'application/x-x509-user-cert', '1.1'],
  [0x1c, 'image/*', '1.1'],
  [0x1d, 'image/gif', '1.1'],
  [0x1e, 'image/jpeg', '1.1'],
  [0x1f, 'image/tiff', '1.1'],
  [0x20, 'image/png', '1.1'],
  [0x21, 'image/vnd.wap.wbmp', '1.1'],
  [0x22, 'application/vnd.wap.multipart.*', '1.1'],
  [0x23, 'application/vnd.wap.multipart.mixed', '1.1'],
  [0x24, 'application/vnd.wap.multipart.form-data', '1.1'],
  [0x25, 'application/vnd.wap.multipart.byteranges', '1.1'],
  [0x26, 'application/vnd.wap.multipart.alternative', '1.1'],
  [0x27, 'application/xml', '1.1'],
  [0x28, 'text/xml', '1.1'],
  [0x29, 'application/vnd.wap.wbxml', '1.1'],
  [0x2a, 'application/x-x968-cross-cert', '1.1'],
  [0x2b, 'application/x-x968-ca-cert', '1.1'],
  [0x2c, 'application/x-x968-user-cert', '1.1'],
  [0x2d, 'text/vnd.wap.si', '1.2'],
  [0x2e, 'application/vnd.wap.sic', '1.2'],
  [0x2f, 'text/vnd.wap.sl', '1.2'],
  [0x30, 'application/vnd.wap.slc', '1.2'],
  [0x31, 'text/vnd.wap.co', '1.2'],
  [0x32, 'application/vnd.wap.coc', '1.2'],
  [0x33, 'application/vnd.wap.multipart.related', '1.2'],
  [0x34, 'application/vnd.wap.sia', '1.2'],
  [0x35, 'text/vnd.wap.connectivity-xml', '1.3'],
  [0x36, 'application/vnd.wap.connectivity-wbxml', '1.3'],
  [0x37, 'application/pkcs7-mime', '1.4'],
  [0x38, 'application/vnd.wap.hashed-certificate', '1.4'],
  [0x39, 'application/vnd.wap.signed-certificate', '1.4'],
  [0x3a, 'application/vnd.wap.cert-response', '1.4'],
  [0x3b, 'application/xhtml+xml', '1.4'],
  [0x3c, 'application/wml+xml', '1.4'],
  [0x3d, 'text/css', '1.4'],
  [0x3e, 'application/vnd.wap.mms-message', '1.4'],
  [0x3f, 'application/vnd.wap.rollover-certificate', '1.4'],
  [0x40, 'application/vnd.wap.locc+wbxml', '1.5'],
  [0x41, 'application/vnd.wap.loc+xml', '1.5'],
  [0x42, 'application/vnd.syncml.dm+wbxml', '1.5'],
  [0x43, 'application/vnd.syncml.dm+xml', '1.5'],
  [0x44, 'application/vnd.syncml.notification', '1.5'],
  [0x45, 'application/vnd.wap.xhtml+xml', '1.5'],
  [0x46, 'application/vnd.wv.csp.cir', '1.5'],
  [0x47, 'application/vnd.oma.dd+xml', '1.5'],
  [0x48, 'application/vnd.oma.drm.message', '1.5'],
  [0x49, 'application/vnd.oma.drm.content', '1.5'],
  [0x4a, 'application/vnd.oma.drm.rights+xml', '1.5'],
  [0x4b, 'application/vnd.oma.drm.rights+wbxml', '1.5'],
  [0x4c, 'application/vnd.wv.csp+xml', '1.5'],
  [0x4d, 'application/vnd.wv.csp+wbxml', '1.5'],
  [0x4e, 'application/vnd.syncml.ds.notification', '1.5'],
  [0x4f, 'audio/*', '1.6'],
  [0x50, 'video/*', '1.6'],
  [0x51, 'application/vnd.oma.dd2+xml', '1.6'],
  [0x52, 'application/mikey', '1.6'],
  [0x53, 'application/vnd.oma.dcd', '1.6'],
  [0x54, 'application/vnd.oma.dcdc', '1.6'],
  // OMNA registrations above the short-integer range (Integer-value as Long-integer).
  [0x0201, 'application/vnd.uplanet.cacheop-wbxml', 'OMNA'],
  [0x0202, 'application/vnd.uplanet.signal', 'OMNA'],
  [0x0203, 'application/vnd.uplanet.alert-wbxml', 'OMNA'],
  [0x0204, 'application/vnd.uplanet.list-wbxml', 'OMNA'],
  [0x0205, 'application/vnd.uplanet.listcmd-wbxml', 'OMNA'],
  [0x0206, 'application/vnd.uplanet.channel-wbxml', 'OMNA'],
  [0x0207, 'application/vnd.uplanet.provisioning-status-uri', 'OMNA'],
  [0x0208, 'x-wap.multipart/vnd.uplanet.header-set', 'OMNA'],
  [0x0209, 'application/vnd.uplanet.bearer-choice-wbxml', 'OMNA'],
  [0x020a, 'application/vnd.phonecom.mmc-wbxml', 'OMNA'],
  [0x020b, 'application/vnd.nokia.syncset+wbxml', 'OMNA'],
  [0x020c, 'image/x-up-wpng', 'OMNA'],
  [0x0300, 'application/iota.mmc-wbxml', 'OMNA'],
  [0x0301, 'application/iota.mmc-xml', 'OMNA'],
  [0x0302, 'application/vnd.syncml+xml', 'OMNA'],
  [0x0303, 'application/vnd.syncml+wbxml', 'OMNA'],
  [0x0304, 'text/vnd.wap.emn+xml', 'OMNA'],
  [0x0305, 'text/calendar', 'OMNA'],
  [0x0306, 'application/vnd.omads-email+xml', 'OMNA'],
  [0x0307, 'application/vnd.omads-file+xml', 'OMNA'],
  [0x0308, 'application/vnd.omads-folder+xml', 'OMNA'],
  [0x0309, 'text/directory;profile=vcard', 'OMNA'],
  [0x030a, 'application/vnd.wap.emn+wbxml', 'OMNA'],
] as const;

// ---------------------------------------------------------------------------------------------
// Well-known parameters (Table 38). The 4th column is the value encoding.

export type ParamKind =
  | 'q-value'
  | 'charset'
  | 'version'
  | 'integer'
  | 'text-string'
  | 'field-name'
  | 'short-integer'
  | 'constrained-encoding'
  | 'delta-seconds'
  | 'no-value'
  | 'text-value'
  | 'date';

export const PARAMETERS = [
  [0x00, 'q', '1.1', 'q-value'],
  [0x01, 'charset', '1.1', 'charset'],
  [0x02, 'level', '1.1', 'version'],
  [0x03, 'type', '1.1', 'integer'],
  [0x05, 'name', '1.1', 'text-string'],
  [0x06, 'filename', '1.1', 'text-string'],
  [0x07, 'differences', '1.1', 'field-name'],
  [0x08, 'padding', '1.1', 'short-integer'],
  [0x09, 'type', '1.2', 'constrained-encoding'],
  [0x0a, 'start', '1.2', 'text-string'],
  [0x0b, 'start-info', '1.2', 'text-string'],
  [0x0c, 'comment', '1.3', 'text-string'],
  [0x0d, 'domain', '1.3', 'text-string'],
  [0x0e, 'max-age', '1.3', 'delta-seconds'],
  [0x0f, 'path', '1.3', 'text-string'],
  [0x10, 'secure', '1.3', 'no-value'],
  [0x11, 'sec', '1.4', 'short-integer'],
  [0x12, 'mac', '1.4', 'text-value'],
  [0x13, 'creation-date', '1.4', 'date'],
  [0x14, 'modification-date', '1.4', 'date'],
  [0x15, 'read-date', '1.4', 'date'],
  [0x16, 'size', '1.4', 'integer'],
  [0x17, 'name', '1.4', 'text-value'],
  [0x18, 'filename', '1.4', 'text-value'],
  [0x19, 'start', '1.4', 'text-value'],
  [0x1a, 'start-info', '1.4', 'text-value'],
  [0x1b, 'comment', '1.4', 'text-value'],
  [0x1c, 'domain', '1.4', 'text-value'],
  [0x1d, 'path', '1.4', 'text-value'],
] as const satisfies readonly (readonly [number, string, WspVersion, ParamKind])[];

// ---------------------------------------------------------------------------------------------
// Character sets (Table 42): the code is the IANA MIBenum. "gsm-default-alphabet" is listed by
// WAP-230 without a number, so it has no row: it travels as text.

export const CHARSETS = [
  [0x00, '*', '1.1'],
  [3, 'us-ascii', '1.1'],
  [4, 'iso-8859-1', '1.1'],
  [5, 'iso-8859-2', '1.1'],
  [6, 'iso-8859-3', '1.1'],
  [7, 'iso-8859-4', '1.1'],
  [8, 'iso-8859-5', '1.1'],
  [9, 'iso-8859-6', '1.1'],
  [10, 'iso-8859-7', '1.1'],
  [11, 'iso-8859-8', '1.1'],
  [12, 'iso-8859-9', '1.1'],
  [13, 'iso-8859-10', '1.1'],
  [17, 'shift_jis', '1.1'],
  [18, 'euc-jp', '1.1'],
  [37, 'iso-2022-kr', '1.1'],
  [38, 'euc-kr', '1.1'],
  [39, 'iso-2022-jp', '1.1'],
  [40, 'iso-2022-jp-2', '1.1'],
  [81, 'iso-8859-6-e', '1.1'],
  [82, 'iso-8859-6-i', '1.1'],
  [84, 'iso-8859-8-e', '1.1'],
  [85, 'iso-8859-8-i', '1.1'],
  [106, 'utf-8', '1.1'],
  [109, 'iso-8859-13', '1.1'],
  [110, 'iso-8859-14', '1.1'],
  [111, 'iso-8859-15', '1.1'],
  [112, 'iso-8859-16', '1.1'],
  [113, 'gbk', '1.1'],
  [114, 'gb18030', '1.1'],
  [1000, 'iso-10646-ucs-2', '1.1'],
  [1001, 'iso-10646-ucs-4', '1.1'],
  [1012, 'utf-7', '1.1'],
  [1013, 'utf-16be', '1.1'],
  [1014, 'utf-16le', '1.1'],
  [1015, 'utf-16', '1.1'],
  [1017, 'utf-32', '1.1'],
  [1018, 'utf-32be', '1.1'],
  [1019, 'utf-32le', '1.1'],
  [2025, 'gb2312', '1.1'],
  [2026, 'big5', '1.1'],
  [2084, 'koi8-r', '1.1'],
  [2085, 'hz-gb-2312', '1.1'],
  [2088, 'koi8-u', '1.1'],
  [2109, 'windows-874', '1.1'],
  [2250, 'windows-1250', '1.1'],
  [2251, 'windows-1251', '1.1'],
  [2252, 'windows-1252', '1.1'],
  [2253, 'windows-1253', '1.1'],
  [2254, 'windows-1254', '1.1'],
  [2255, 'windows-1255', '1.1'],
  [2256, 'windows-1256', '1.1'],
  [2257, 'windows-1257', '1.1'],
  [2258, 'windows-1258', '1.1'],
  [2259, 'tis-620', '1.1'],
] as const;

/** Other names peers use for the same MIBenum (looked up on encode only). */
export const CHARSET_ALIASES = [
  ['ascii', 3],
  ['latin1', 4],
  ['iso_8859-1', 4],
  ['utf8', 106],
  ['ucs-2', 1000],
  ['ucs2', 1000],
  ['csunicode', 1000],
  ['sjis', 17],
  ['x-sjis', 17],
  ['shift-jis', 17],
  ['big-5', 2026],
  ['cp1252', 2252],
] as const;

// ---------------------------------------------------------------------------------------------
// Header field names (Table 39). The 4th column names the value codec in headers.ts.

export type HeaderKind =
  | 'accept'
  | 'accept-charset'
  | 'accept-encoding'
  | 'accept-language'
  | 'accept-ranges'
  | 'age'
  | 'allow'
  | 'credentials'
  | 'cache-control'
  | 'connection'
  | 'uri'
  | 'content-encoding'
  | 'language'
  | 'integer'
  | 'md5'
  | 'content-range'
  | 'content-type'
  | 'date'
  | 'text'
  | 'if-range'
  | 'pragma'
  | 'challenge'
  | 'public'
  | 'range'
  | 'retry-after'
  | 'transfer-encoding'
  | 'field-name'
  | 'warning'
  | 'content-disposition'
  | 'app-id'
  | 'push-flag'
  | 'profile-diff'
  | 'profile-warning'
  | 'expect'
  | 'te'
  | 'content-id'
  | 'set-cookie'
  | 'cookie'
  | 'encoding-version'
  | 'x-wap-security'
  | 'opaque';

export const HEADER_FIELDS = [
  [0x00, 'Accept', '1.1', 'accept'],
  [0x01, 'Accept-Charset', '1.1', 'accept-charset'],
  [0x02, 'Accept-Encoding', '1.1', 'accept-encoding'],
  [0x03, 'Accept-Language', '1.1', 'accept-language'],
  [0x04, 'Accept-Ranges', '1.1', 'accept-ranges'],
  [0x05, 'Age', '1.1', 'age'],
  [0x06, 'Allow', '1.1', 'allow'],
  [0x07, 'Authorization', '1.1', 'credentials'],
  [0x08, 'Cache-Control', '1.1', 'cache-control'],
  [0x09, 'Connection', '1.1', 'connection'],
  [0x0a, 'Content-Base', '1.1', 'uri'],
  [0x0b, 'Content-Encoding', '1.1', 'content-encoding'],
  [0x0c, 'Content-Language', '1.1', 'language'],
  [0x0d, 'Content-Length', '1.1', 'integer'],
  [0x0e, 'Content-Location', '1.1', 'uri'],
  [0x0f, 'Content-MD5', '1.1', 'md5'],
  [0x10, 'Content-Range', '1.1', 'content-range'],
  [0x11, 'Content-Type', '1.1', 'content-type'],
  [0x12, 'Date', '1.1', 'date'],
  [0x13, 'Etag', '1.1', 'text'],
  [0x14, 'Expires', '1.1', 'date'],
  [0x15, 'From', '1.1', 'text'],
  [0x16, 'Host', '1.1', 'text'],
  [0x17, 'If-Modified-Since', '1.1', 'date'],
  [0x18, 'If-Match', '1.1', 'text'],
  [0x19, 'If-None-Match', '1.1', 'text'],
  [0x1a, 'If-Range', '1.1', 'if-range'],
  [0x1b, 'If-Unmodified-Since', '1.1', 'date'],
  [0x1c, 'Location', '1.1', 'uri'],
  [0x1d, 'Last-Modified', '1.1', 'date'],
  [0x1e, 'Max-Forwards', '1.1', 'integer'],
  [0x1f, 'Pragma', '1.1', 'pragma'],
  [0x20, 'Proxy-Authenticate', '1.1', 'challenge'],
  [0x21, 'Proxy-Authorization', '1.1', 'credentials'],
  [0x22, 'Public', '1.1', 'public'],
  [0x23, 'Range', '1.1', 'range'],
  [0x24, 'Referer', '1.1', 'uri'],
  [0x25, 'Retry-After', '1.1', 'retry-after'],
  [0x26, 'Server', '1.1', 'text'],
  [0x27, 'Transfer-Encoding', '1.1', 'transfer-encoding'],
  [0x28, 'Upgrade', '1.1', 'text'],
  [0x29, 'User-Agent', '1.1', 'text'],
  [0x2a, 'Vary', '1.1', 'field-name'],
  [0x2b, 'Via', '1.1', 'text'],
  [0x2c, 'Warning', '1.1', 'warning'],
  [0x2d, 'WWW-Authenticate', '1.1', 'challenge'],
  [0x2e, 'Content-Disposition', '1.1', 'content-disposition'],
  [0x2f, 'X-Wap-Application-Id', '1.2', 'app-id'],
  [0x30, 'X-Wap-Content-URI', '1.2', 'uri'],
  [0x31, 'X-Wap-Initiator-URI', '1.2', 'uri'],
  [0x32, 'Accept-Application', '1.2', 'app-id'],
  [0x33, 'Bearer-Indication', '1.2', 'integer'],
  [0x34, 'Push-Flag', '1.2', 'push-flag'],
  [0x35, 'Profile', '1.2', 'uri'],
  [0x36, 'Profile-Diff', '1.2', 'profile-diff'],
  [0x37, 'Profile-Warning', '1.2', 'profile-warning'],
  [0x38, 'Expect', '1.3', 'expect'],
  [0x39, 'TE', '1.3', 'te'],
  [0x3a, 'Trailer', '1.3', 'field-name'],
  [0x3b, 'Accept-Charset', '1.3', 'accept-charset'],
  [0x3c, 'Accept-Encoding', '1.3', 'accept-encoding'],
  [0x3d, 'Cache-Control', '1.3', 'cache-control'],
  [0x3e, 'Content-Range', '1.3', 'content-range'],
  [0x3f, 'X-Wap-Tod', '1.3', 'date'],
  [0x40, 'Content-ID', '1.3', 'content-id'],
  [0x41, 'Set-Cookie', '1.3', 'set-cookie'],
  [0x42, 'Cookie', '1.3', 'cookie'],
  [0x43, 'Encoding-Version', '1.3', 'encoding-version'],
  [0x44, 'Profile-Warning', '1.4', 'profile-warning'],
  [0x45, 'Content-Disposition', '1.4', 'content-disposition'],
  [0x46, 'X-WAP-Security', '1.4', 'x-wap-security'],
  [0x47, 'Cache-Control', '1.4', 'cache-control'],
  [0x48, 'Expect', '1.5', 'expect'],
  [0x49, 'X-Wap-Loc-Invocation', '1.5', 'opaque'],
  [0x4a, 'X-Wap-Loc-Delivery', '1.5', 'opaque'],
] as const satisfies readonly (readonly [number, string, WspVersion, HeaderKind])[];

// ---------------------------------------------------------------------------------------------
// Well-known header values

/** Push application ids (OMNA "Push Application ID"; X-Wap-Application-Id / Accept-Application). */
export const APP_IDS = [
  [0x00, 'x-wap-application:*', '1.2'],
  [0x01, 'x-wap-application:push.sia', '1.2'],
  [0x02, 'x-wap-application:wml.ua', '1.2'],
  [0x03, 'x-wap-application:wta.ua', '1.2'],
  [0x04, 'x-wap-application:mms.ua', '1.2'],
  [0x05, 'x-wap-application:push.syncml', '1.2'],
  [0x06, 'x-wap-application:loc.ua', '1.2'],
  [0x07, 'x-wap-application:syncml.dm', '1.2'],
  [0x08, 'x-wap-application:drm.ua', '1.2'],
  [0x09, 'x-wap-application:emn.ua', '1.2'],
  [0x0a, 'x-wap-application:wv.ua', '1.2'],
  [0x8000, 'x-wap-microsoft:localcontent.ua', 'OMNA'],
  [0x8001, 'x-wap-microsoft:IMclient.ua', 'OMNA'],
  [0x8002, 'x-wap-docomo:imode.mail.ua', 'OMNA'],
  [0x8003, 'x-wap-docomo:imode.mr.ua', 'OMNA'],
  [0x8004, 'x-wap-docomo:imode.mf.ua', 'OMNA'],
  [0x8005, 'x-motorola:location.ua', 'OMNA'],
  [0x8006, 'x-motorola:now.ua', 'OMNA'],
  [0x8007, 'x-motorola:otaprov.ua', 'OMNA'],
  [0x8008, 'x-motorola:browser.ua', 'OMNA'],
  [0x8009, 'x-motorola:splash.ua', 'OMNA'],
  [0x800b, 'x-wap-nai:mvsw.command', 'OMNA'],
  [0x8010, 'x-wap-openwave:iota.ua', 'OMNA'],
  [0x9000, 'x-wap-docomo:imode.mail2.ua', 'OMNA'],
  [0x9001, 'x-oma-nec:otaprov.ua', 'OMNA'],
  [0x9002, 'x-oma-nokia:call.ua', 'OMNA'],
  [0x9003, 'x-oma-coremobility:sqa.ua', 'OMNA'],
] as const;

export const CACHE_DIRECTIVES = [
  [0x00, 'no-cache', '1.1'],
  [0x01, 'no-store', '1.1'],
  [0x02, 'max-age', '1.1'],
  [0x03, 'max-stale', '1.1'],
  [0x04, 'min-fresh', '1.1'],
  [0x05, 'only-if-cached', '1.1'],
  [0x06, 'public', '1.1'],
  [0x07, 'private', '1.1'],
  [0x08, 'no-transform', '1.1'],
  [0x09, 'must-revalidate', '1.1'],
  [0x0a, 'proxy-revalidate', '1.1'],
  [0x0b, 's-maxage', '1.3'],
] as const;

export const CONTENT_ENCODINGS = [
  [0x00, 'gzip', '1.1'],
  [0x01, 'compress', '1.1'],
  [0x02, 'deflate', '1.1'],
] as const;

export const DISPOSITIONS = [
  [0x00, 'form-data', '1.1'],
  [0x01, 'attachment', '1.1'],
  [0x02, 'inline', '1.4'],
] as const;

/** Well-known methods (Allow, Public): the PDU type code as a Short-integer. */
export const METHODS = [
  [0x40, 'GET', '1.1'],
  [0x41, 'OPTIONS', '1.1'],
  [0x42, 'HEAD', '1.1'],
  [0x43, 'DELETE', '1.1'],
  [0x44, 'TRACE', '1.1'],
  [0x60, 'POST', '1.1'],
  [0x61, 'PUT', '1.1'],
] as const;

/** Warn-code (WAP-230 §8.4.2.51): [code, HTTP warn-code]. 99 is the generic 199/299. */
export const WARN_CODES = [
  [10, 110, '1.1'],
  [11, 111, '1.1'],
  [12, 112, '1.1'],
  [13, 113, '1.1'],
  [14, 214, '1.1'],
  [99, 199, '1.1'],
] as const;

/** Profile-Warning codes (WAP-230 §8.4.2.63). */
export const PROFILE_WARNINGS = [
  [0x10, 100, '1.2'],
  [0x11, 101, '1.2'],
  [0x12, 102, '1.2'],
  [0x20, 200, '1.2'],
  [0x21, 201, '1.2'],
  [0x22, 202, '1.2'],
  [0x23, 203, '1.2'],
] as const;

/** Language codes (WAP-230 Table 41, ISO 639-1 two-letter codes; Wireshark vals_languages). */
export const LANGUAGES = [
  [0x00, '*', '1.1'],
  [0x01, 'aa', '1.1'],
  [0x02, 'ab', '1.1'],
  [0x03, 'af', '1.1'],
  [0x04, 'am', '1.1'],
  [0x05, 'ar', '1.1'],
  [0x06, 'as', '1.1'],
  [0x07, 'ay', '1.1'],
  [0x08, 'az', '1.1'],
  [0x09, 'ba', '1.1'],
  [0x0a, 'be', '1.1'],
  [0x0b, 'bg', '1.1'],
  [0x0c, 'bh', '1.1'],
  [0x0d, 'bi', '1.1'],
  [0x0e, 'bn', '1.1'],
  [0x0f, 'bo', '1.1'],
  [0x10, 'br', '1.1'],
  [0x11, 'ca', '1.1'],
  [0x12, 'co', '1.1'],
  [0x13, 'cs', '1.1'],
  [0x14, 'cy', '1.1'],
  [0x15, 'da', '1.1'],
  [0x16, 'de', '1.1'],
  [0x17, 'dz', '1.1'],
  [0x18, 'el', '1.1'],
  [0x19, 'en', '1.1'],
  [0x1a, 'eo', '1.1'],
  [0x1b, 'es', '1.1'],
  [0x1c, 'et', '1.1'],
  [0x1d, 'eu', '1.1'],
  [0x1e, 'fa', '1.1'],
  [0x1f, 'fi', '1.1'],
  [0x20, 'fj', '1.1'],
  [0x21, 'ur', '1.1'],
  [0x22, 'fr', '1.1'],
  [0x23, 'uz', '1.1'],
  [0x24, 'ga', '1.1'],
  [0x25, 'gd', '1.1'],
  [0x26, 'gl', '1.1'],
  [0x27, 'gn', '1.1'],
  [0x28, 'gu', '1.1'],
  [0x29, 'ha', '1.1'],
  [0x2a, 'he', '1.1'],
  [0x2b, 'hi', '1.1'],
  [0x2c, 'hr', '1.1'],
  [0x2d, 'hu', '1.1'],
  [0x2e, 'hy', '1.1'],
  [0x2f, 'vi', '1.1'],
  [0x30, 'id', '1.1'],
  [0x31, 'wo', '1.1'],
  [0x32, 'xh', '1.1'],
  [0x33, 'is', '1.1'],
  [0x34, 'it', '1.1'],
  [0x35, 'yo', '1.1'],
  [0x36, 'ja', '1.1'],
  [0x37, 'jw', '1.1'],
  [0x38, 'ka', '1.1'],
  [0x39, 'kk', '1.1'],
  [0x3a, 'za', '1.1'],
  [0x3b, 'km', '1.1'],
  [0x3c, 'kn', '1.1'],
  [0x3d, 'ko', '1.1'],
  [0x3e, 'ks', '1.1'],
  [0x3f, 'ku', '1.1'],
  [0x40, 'ky', '1.1'],
  [0x41, 'zh', '1.1'],
  [0x42, 'ln', '1.1'],
  [0x43, 'lo', '1.1'],
  [0x44, 'lt', '1.1'],
  [0x45, 'lv', '1.1'],
  [0x46, 'mg', '1.1'],
  [0x47, 'mi', '1.1'],
  [0x48, 'mk', '1.1'],
  [0x49, 'ml', '1.1'],
  [0x4a, 'mn', '1.1'],
  [0x4b, 'mo', '1.1'],
  [0x4c, 'mr', '1.1'],
  [0x4d, 'ms', '1.1'],
  [0x4e, 'mt', '1.1'],
  [0x4f, 'my', '1.1'],
  [0x50, 'uk', '1.1'],
  [0x51, 'ne', '1.1'],
  [0x52, 'nl', '1.1'],
  [0x53, 'no', '1.1'],
  [0x54, 'oc', '1.1'],
  [0x55, 'om', '1.1'],
  [0x56, 'or', '1.1'],
  [0x57, 'pa', '1.1'],
  [0x58, 'po', '1.1'],
  [0x59, 'ps', '1.1'],
  [0x5a, 'pt', '1.1'],
  [0x5b, 'qu', '1.1'],
  [0x5c, 'zu', '1.1'],
  [0x5d, 'rn', '1.1'],
  [0x5e, 'ro', '1.1'],
  [0x5f, 'ru', '1.1'],
  [0x60, 'rw', '1.1'],
  [0x61, 'sa', '1.1'],
  [0x62, 'sd', '1.1'],
  [0x63, 'sg', '1.1'],
  [0x64, 'sh', '1.1'],
  [0x65, 'si', '1.1'],
  [0x66, 'sk', '1.1'],
  [0x67, 'sl', '1.1'],
  [0x68, 'sm', '1.1'],
  [0x69, 'sn', '1.1'],
  [0x6a, 'so', '1.1'],
  [0x6b, 'sq', '1.1'],
  [0x6c, 'sr', '1.1'],
  [0x6d, 'ss', '1.1'],
  [0x6e, 'st', '1.1'],
  [0x6f, 'su', '1.1'],
  [0x70, 'sv', '1.1'],
  [0x71, 'sw', '1.1'],
  [0x72, 'ta', '1.1'],
  [0x73, 'te', '1.1'],
  [0x74, 'tg', '1.1'],
  [0x75, 'th', '1.1'],
  [0x76, 'ti', '1.1'],
  [0x77, 'tk', '1.1'],
  [0x78, 'tl', '1.1'],
  [0x79, 'tn', '1.1'],
  [0x7a, 'to', '1.1'],
  [0x7b, 'tr', '1.1'],
  [0x7c, 'ts', '1.1'],
  [0x7d, 'tt', '1.1'],
  [0x7e, 'tw', '1.1'],
  [0x7f, 'ug', '1.1'],
  [0x81, 'na', '1.1'],
  [0x82, 'fo', '1.1'],
  [0x83, 'fy', '1.1'],
  [0x84, 'ia', '1.1'],
  [0x85, 'vo', '1.1'],
  [0x86, 'ie', '1.1'],
  [0x87, 'ik', '1.1'],
  [0x88, 'yi', '1.1'],
  [0x89, 'iu', '1.1'],
  [0x8a, 'kl', '1.1'],
  [0x8b, 'la', '1.1'],
  [0x8c, 'rm', '1.1'],
] as const;

// ---------------------------------------------------------------------------------------------
// Derived maps

type Row = readonly [number, string | number, string, ...unknown[]];

/** code -> row (first row wins; tables have unique codes). */
export function byCode<R extends Row>(rows: readonly R[]): ReadonlyMap<number, R> {
  const m = new Map<number, R>();
  for (const r of rows) if (!m.has(r[0])) m.set(r[0], r);
  return m;
}

/** lower-case name -> rows with that name, oldest code first. */
export function byName<R extends Row>(rows: readonly R[]): ReadonlyMap<string | number, readonly R[]> {
  const m = new Map<string | number, R[]>();
  for (const r of rows) {
    const k = typeof r[1] === 'string' ? r[1].toLowerCase() : r[1];
    const l = m.get(k) ?? [];
    l.push(r);
    m.set(k, l);
  }
  return m;
}

/** The row for `name` that exists at `version`. `prefer: 'newest'` picks the latest code. */
export function pickRow<R extends Row>(
  index: ReadonlyMap<string | number, readonly R[]>,
  name: string | number,
  version: string | number,
  prefer: 'oldest' | 'newest' = 'oldest',
): R | undefined {
  const rows = index.get(typeof name === 'string' ? name.toLowerCase() : name);
  if (!rows) return undefined;
  const ok = rows.filter((r) => existsIn(r[2], version));
  return prefer === 'oldest' ? ok[0] : ok[ok.length - 1];
}

export const PDU_TYPE_BY_CODE = byCode(PDU_TYPES);
export const PDU_TYPE_BY_NAME = byName(PDU_TYPES);
export const ABORT_REASON_BY_CODE = byCode(ABORT_REASONS);
export const STATUS_BY_WSP = byCode(STATUS_CODES);
export const STATUS_BY_HTTP = byName(STATUS_CODES);
export const CAPABILITY_BY_CODE = byCode(CAPABILITIES);
export const CAPABILITY_BY_NAME = byName(CAPABILITIES);
export const CONTENT_TYPE_BY_CODE = byCode(CONTENT_TYPES);
export const CONTENT_TYPE_BY_NAME = byName(CONTENT_TYPES);
export const PARAMETER_BY_CODE = byCode(PARAMETERS);
export const PARAMETER_BY_NAME = byName(PARAMETERS);
export const CHARSET_BY_CODE = byCode(CHARSETS);
export const CHARSET_BY_NAME = byName(CHARSETS);
export const HEADER_BY_CODE = byCode(HEADER_FIELDS);
export const HEADER_BY_NAME = byName(HEADER_FIELDS);
export const APP_ID_BY_CODE = byCode(APP_IDS);
export const APP_ID_BY_NAME = byName(APP_IDS);
export const CACHE_DIRECTIVE_BY_CODE = byCode(CACHE_DIRECTIVES);
export const CACHE_DIRECTIVE_BY_NAME = byName(CACHE_DIRECTIVES);
export const CONTENT_ENCODING_BY_CODE = byCode(CONTENT_ENCODINGS);
export const CONTENT_ENCODING_BY_NAME = byName(CONTENT_ENCODINGS);
export const DISPOSITION_BY_CODE = byCode(DISPOSITIONS);
export const DISPOSITION_BY_NAME = byName(DISPOSITIONS);
export const METHOD_BY_CODE = byCode(METHODS);
export const METHOD_BY_NAME = byName(METHODS);
export const WARN_CODE_BY_CODE = byCode(WARN_CODES);
export const WARN_CODE_BY_HTTP = byName(WARN_CODES);
export const PROFILE_WARNING_BY_CODE = byCode(PROFILE_WARNINGS);
export const PROFILE_WARNING_BY_HTTP = byName(PROFILE_WARNINGS);
export const LANGUAGE_BY_CODE = byCode(LANGUAGES);
export const LANGUAGE_BY_NAME = byName(LANGUAGES);

/** MIBenum for a charset name (table names and aliases, case-insensitive). */
export function charsetCode(name: string): number | undefined {
  const n = name.toLowerCase();
  const row = CHARSET_BY_NAME.get(n)?.[0];
  if (row) return row[0];
  for (const [alias, code] of CHARSET_ALIASES) if (alias === n) return code;
  return undefined;
}

/** Charset name for a MIBenum, or undefined when it has no row. */
export const charsetName = (code: number): string | undefined => CHARSET_BY_CODE.get(code)?.[1];

// ---------------------------------------------------------------------------------------------
// Status mapping (Table 36)
//
// The only HTTP <-> WSP status map in the project (the bridge and the decoder both use it).
// A code with a row maps by its row. An HTTP status without a row (a 1xx-5xx code WAP-230
// did not list, e.g. 308, 418, 451, 511) is sent as the x00 code of its class: RFC 9110 §15
// says a client that does not know a status code treats it as the x00 of its class, which is
// all a handset knowing only Table 36 can do anyway. Anything outside 100..599 is not an HTTP
// status (RFC 9110 §15: three digits, first digit 1-5) and becomes 500 (0x60).

/** HTTP status -> WSP status octet: the row, else the class's x00 (RFC 9110 §15), else 0x60 (500). */
export function httpToWspStatus(http: number): number {
  const row = STATUS_BY_HTTP.get(http)?.[0];
  if (row) return row[0];
  const classDefault = Number.isInteger(http) && http >= 100 && http <= 599 ? Math.floor(http / 100) * 100 : 500;
  return STATUS_BY_HTTP.get(classDefault)?.[0]?.[0] ?? 0x60;
}

/** The HTTP status a handset will see for `http` once it went through Table 36 (unknown -> class x00). */
export function normalizeHttpStatus(http: number): number {
  return wspToHttpStatus(httpToWspStatus(http));
}

/**
 * WSP status octet -> HTTP status. A code without a row follows the encoding rule behind the
 * table (class in the high nibble, 4xx running on into 0x5_, 5xx at 0x6_), so a decoder shows
 * what a sender meant; an octet outside those nibbles is 500.
 */
export function wspToHttpStatus(wsp: number): number {
  const row = STATUS_BY_WSP.get(wsp);
  if (row) return row[1];
  const hi = wsp >> 4;
  const lo = wsp & 0x0f;
  if (hi >= 1 && hi <= 3) return hi * 100 + lo;
  if (hi === 4 || hi === 5) return 400 + (hi - 4) * 16 + lo;
  if (hi === 6) return 500 + lo;
  return 500;
}
