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

/** Header fields as they came off the wire: [name, value] pairs, any letter case, names may repeat. */
export type HeaderList = Array<[name: string, value: string]>;

/**
 * The comparison key of a header name: lowercase, `_` read as `-` (some front ends map `_` to
 * `-`, so a spoofed `X_MSISDN` must count as `X-MSISDN`).
 */
export function headerKey(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}
