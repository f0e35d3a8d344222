/**
 * HTTP facts shared by the MMS proxy and the WSP bridge.
 * RFC 9110 §7.6.1: hop-by-hop fields, which a proxy never forwards (plus the fields a field's
 * `Connection` header lists), and the proxy's own credentials, which belong to this hop only.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/** The Connection option by which an HTTP/1.0 peer asks to keep the connection open (RFC 9112 §9.3). */
export const KEEP_ALIVE_OPTION = 'keep-alive';

/** tchar (RFC 9110 §5.6.2) by octet: 1 where the octet may appear in a token. */
const TCHAR = new Uint8Array(256);
/** By octet: 1 where it may appear in a field value (RFC 9110 §5.5: VCHAR, SP, HTAB, obs-text). */
const VALUE_OCTET = new Uint8Array(256);
for (const c of "!#$%&'*+.^_`|~-") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = TCHAR[c + 0x20] = 1;
VALUE_OCTET[9] = 1;
for (let c = 0x20; c <= 0xff; c++) VALUE_OCTET[c] = c === 0x7f ? 0 : 1;

/** Whether `n` is a token (RFC 9110 §5.6.2), as TOKEN.test(n) says, by table. */
export function isToken(n: string): boolean {
  if (n.length === 0) return false;
  for (let i = 0; i < n.length; i++) if (TCHAR[n.charCodeAt(i)] !== 1) return false;
  return true;
}

/** Whether `v` may be sent as a field value (RFC 9110 §5.5), as !FORBIDDEN_IN_VALUE.test(v) says, by table. */
export function isFieldValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (VALUE_OCTET[v.charCodeAt(i)] !== 1) return false;
  return true;
}

/** What parseFieldLines found wrong (FIELDS_OK: nothing). */
export const FIELDS_OK = 0;
/** A line starting with whitespace: obs-fold, or whitespace before the first field (RFC 9112 §2.2, §5.2). */
export const FIELDS_OBS_FOLD = 1;
/** An empty name, a name with a non-token character, or whitespace before the colon (RFC 9112 §5.1). */
export const FIELDS_BAD_NAME = 2;
/** A control character (other than HTAB) or DEL in a value, a bare CR included (RFC 9110 §5.5). */
export const FIELDS_BAD_VALUE = 3;

/**
 * The field lines of a head, read in one pass: `text[from..to)` holds lines separated by CR LF
 * (the last ends at `to`, its CR LF already cut off). Each field is appended to `raw` as name
 * (case kept) and value (without the OWS around it, RFC 9110 §5.6.3); the result is FIELDS_OK or
 * the first fault found, and `raw` is then incomplete. `text` is the latin1 decoding of `octets`
 * from `at` on (text[i] is octets[at + i]): the loops read the octets, the names and values are
 * cut from the text. A typed array's element costs the same read whatever the string is made of,
 * where `charCodeAt` cost a generic property load per character in the gateway's optimized head
 * reader (bench/RESULTS.md, "WSP CPU per cycle: seventh pass").
 */
export function parseFieldLines(octets: Uint8Array, at: number, text: string, from: number, to: number, raw: string[]): number {
  let p = from;
  while (p < to) {
    let c = octets[at + p] as number;
    if (c === 32 || c === 9) return FIELDS_OBS_FOLD;
    let i = p;
    while (i < to && TCHAR[(c = octets[at + i] as number)] === 1) i++;
    if (i === p || i === to || c !== 58) return FIELDS_BAD_NAME;
    const name = text.slice(p, i);
    i++;
    while (i < to && ((c = octets[at + i] as number) === 32 || c === 9)) i++;
    const a = i;
    let b = i;
    for (; i < to; i++) {
      c = octets[at + i] as number;
      if (c === 13) {
        // the line's end only as CR LF; a CR elsewhere is a control character
        if (octets[at + i + 1] !== 10) return FIELDS_BAD_VALUE;
        break;
      }
      if (VALUE_OCTET[c] !== 1) return FIELDS_BAD_VALUE;
      if (c !== 32 && c !== 9) b = i + 1;
    }
    raw.push(name, text.slice(a, b));
    p = i + 2;
  }
  return FIELDS_OK;
}

/** A token (RFC 9110 §5.6.2); a field name is one (§5.1). */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * What RFC 9110 §5.5 forbids in a field value (and so in a reason phrase): controls other than
 * HTAB, and DEL; and any character above U+00FF, which a head written as latin1 would cut to its
 * low octet (U+010A would go out as LF and split the head).
 */
export const FORBIDDEN_IN_VALUE = /[\x00-\x08\x0a-\x1f\x7f\u0100-\uffff]/;

/**
 * A field value without its surrounding OWS (RFC 9110 §5.6.3: SP and HTAB only). Not
 * String.prototype.trim, which also drops CR, FF, VT and NBSP: a value such as "3\r" or "\f3"
 * must stay what it is, and be refused as one with a control character.
 */
export function trimOws(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b && (v.charCodeAt(a) === 32 || v.charCodeAt(a) === 9)) a++;
  while (b > a && (v.charCodeAt(b - 1) === 32 || v.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === v.length ? v : v.slice(a, b);
}

/** Whether a field name is `lower` (lower case) in any letter case: the length first, then the name lowered. */
const isNamed = (name: string, lower: string): boolean => name.length === lower.length && lowerFieldName(name) === lower;

/** The first value of the field named `lower` (lower case) in a flat [name, value, ...] list. */
export function firstField(raw: readonly string[], lower: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (isNamed(raw[i] as string, lower)) return raw[i + 1];
  return undefined;
}

/** The members of every field named `lower` (lower case) in a flat [name, value, ...] list, lower case (RFC 9110 §5.6.1 lists). */
export function listMembers(raw: readonly string[], lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!isNamed(raw[i] as string, lower)) continue;
    const v = raw[i + 1] as string;
    // one member (no comma), the usual `Connection: keep-alive` / `close`: without the split
    const members = v.indexOf(',') < 0 ? undefined : v.split(',');
    for (let k = 0; k < (members?.length ?? 1); k++) {
      const x = (members === undefined ? v : (members[k] as string)).trim().toLowerCase();
      if (x) out.push(x);
    }
  }
  return out;
}

/**
 * Whether a field named `lower` (lower case) in a flat [name, value, ...] list has `member` (lower
 * case) among its list members (RFC 9110 §5.6.1), as listMembers(raw, lower).includes(member)
 * would say, without building the list when the value is that member alone (the common
 * `Connection: keep-alive` / `close`).
 */
export function listHas(raw: readonly string[], lower: string, member: string): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!isNamed(raw[i] as string, lower)) continue;
    const v = raw[i + 1] as string;
    if (v === member) return true;
    // one member (no comma): compared as it is, without the split
    if (v.indexOf(',') < 0) {
      if (v.trim().toLowerCase() === member) return true;
      continue;
    }
    for (const m of v.split(',')) if (m.trim().toLowerCase() === member) return true;
  }
  return false;
}

/**
 * An object's fields as request head lines (`Name: value\r\n`, RFC 9112 §5), a repeated field's
 * values a line each, in order. A line whose name is no token or whose value is no field value
 * (RFC 9110 §5.1, §5.5: it could split the head) is left out, and the first such name is told in
 * `bad`; the names `leaveOut` holds (as `headerKey` spells them) are left out silently.
 */
export function fieldLines(fields: Readonly<Record<string, string | readonly string[]>>, leaveOut?: ReadonlySet<string>): { text: string; bad: string | undefined } {
  let text = '';
  let bad: string | undefined;
  for (const name in fields) {
    if (leaveOut?.has(headerKey(name))) continue;
    const v = fields[name] as string | readonly string[];
    const token = isToken(name);
    for (const one of typeof v === 'string' ? [v] : v) {
      if (token && isFieldValue(one)) text += `${name}: ${one}\r\n`;
      else bad ??= name;
    }
  }
  return { text, bad };
}

/** Header fields as they came off the wire: [name, value] pairs, any letter case, names may repeat. */
export type HeaderList = Array<[name: string, value: string]>;

/**
 * A field name in lower case. The usual spellings of the fields most responses carry are
 * answered with a constant (no new string, and its hash already known to the Sets and Maps it is
 * looked up in); any other name is lowered.
 */
export function lowerFieldName(name: string): string {
  switch (name) {
    case 'Content-Type':
      return 'content-type';
    case 'Content-Length':
      return 'content-length';
    case 'Date':
      return 'date';
    case 'Server':
      return 'server';
    case 'Connection':
      return 'connection';
    case 'Keep-Alive':
      return 'keep-alive';
    case 'Transfer-Encoding':
      return 'transfer-encoding';
    case 'ETag':
      return 'etag';
    case 'Last-Modified':
      return 'last-modified';
    case 'Cache-Control':
      return 'cache-control';
    case 'Accept-Ranges':
      return 'accept-ranges';
    case 'Via':
      return 'via';
    default:
      return name.toLowerCase();
  }
}

/**
 * The comparison key of a header name: lowercase, `_` read as `-` (some front ends map `_` to
 * `-`, so a spoofed `X_MSISDN` must count as `X-MSISDN`).
 */
export function headerKey(name: string): string {
  const lower = lowerFieldName(name);
  return lower.indexOf('_') < 0 ? lower : lower.replace(/_/g, '-');
}
