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

/** A token (RFC 9110 §5.6.2); a field name is one (§5.1). */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What RFC 9110 §5.5 forbids in a field value (and so in a reason phrase): controls other than HTAB, and DEL. */
export const FORBIDDEN_IN_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

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

/** The value of a field line after its colon at `colon`, without the OWS around it (as trimOws, without the slice in between). */
export function fieldValue(line: string, colon: number): string {
  let a = colon + 1;
  let b = line.length;
  let c = line.charCodeAt(a);
  while (a < b && (c === 32 || c === 9)) c = line.charCodeAt(++a);
  c = line.charCodeAt(b - 1);
  while (b > a && (c === 32 || c === 9)) c = line.charCodeAt(--b - 1);
  return line.slice(a, b);
}

/** The first value of the field named `lower` (lower case) in a flat [name, value, ...] list. */
export function firstField(raw: readonly string[], lower: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i] as string;
    if (n.length === lower.length && n.toLowerCase() === lower) return raw[i + 1];
  }
  return undefined;
}

/** The members of every field named `lower` (lower case) in a flat [name, value, ...] list, lower case (RFC 9110 §5.6.1 lists). */
export function listMembers(raw: readonly string[], lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).length !== lower.length || (raw[i] as string).toLowerCase() !== lower) continue;
    for (const m of (raw[i + 1] as string).split(',')) {
      const x = m.trim().toLowerCase();
      if (x) out.push(x);
    }
  }
  return out;
}

/** Header fields as they came off the wire: [name, value] pairs, any letter case, names may repeat. */
export type HeaderList = Array<[name: string, value: string]>;

/**
 * The comparison key of a header name: lowercase, `_` read as `-` (some front ends map `_` to
 * `-`, so a spoofed `X_MSISDN` must count as `X-MSISDN`).
 */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.indexOf('_') < 0 ? lower : lower.replace(/_/g, '-');
}
