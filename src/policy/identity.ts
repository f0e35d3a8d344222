/**
 * Identity header enrichment, shared by the HTTP MMS proxy and the WSP bridge.
 *
 * Headers are a list of [name, value] pairs (any case, names may repeat), as they came off the
 * wire. `strip` removes every client copy of every identity header: the names configured in
 * `identity.*Headers` and `identity.stripHeaders`, plus the signature header, compared
 * case-insensitively and with `_` and `-` treated alike, because CGI/PHP-style MMSCs read both
 * `X-MSISDN` and `X_MSISDN` as `HTTP_X_MSISDN` (RFC 3875 §4.1.18: `-` becomes `_`).
 * A built-in floor (`ALWAYS_STRIPPED`) is removed even when the configured names change.
 * `apply` strips, then appends the authoritative values from the subscriber table: the client IP
 * always, MSISDN / IMSI / IMEISV / SGSN address / RAT type when known (contract: "Headers toward
 * the MMSC"; names from 3GPP TS 29.061 RADIUS VSAs as NowWAP spells them).
 *
 * Signing (optional, `identity.signingSecret`): the signature header carries
 *   `v1;t=<unix seconds>;sig=<lowercase hex HMAC-SHA256>`
 * over this canonical string (UTF-8, lines joined by "\n", no trailing newline):
 *   wapgw-identity-v1
 *   t=<unix seconds>
 *   ip=<client IP as sent, or empty>
 *   msisdn=<MSISDN as sent, or empty>
 *   imsi=<...>
 *   imeisv=<...>
 *   sgsn=<...>
 *   rat=<RAT type as sent, decimal, or empty>
 * A field is empty when no header carried it (unknown value, or no header name configured).
 * `verifySignature` below is self-contained (node:crypto only) so an MMSC can copy it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema';
import type { Subscriber } from '../subscribers/types';

import { headerKey, type HeaderList } from '../core/http';

/** Sources without a subscriber whose identity headers are kept for reuse. */
const ANONYMOUS_KEPT = 4096;

export type { HeaderList };

/** The identity values as they are sent; a field is absent when not sent. */
export interface IdentityFields {
  ip?: string;
  msisdn?: string;
  imsi?: string;
  imeisv?: string;
  sgsn?: string;
  rat?: string;
}

export const SIGNED_FIELDS = ['ip', 'msisdn', 'imsi', 'imeisv', 'sgsn', 'rat'] as const;
export const SIGNATURE_VERSION = 'v1';

export { headerKey };

/** A value we are willing to put on the wire: visible ASCII and spaces, not empty. */
const SAFE_VALUE = /^[\x20-\x7e]+$/;

export type IdentityConfig = Config['identity'];

/**
 * Names stripped whatever the configuration says: the contract's defaults and the 3GPP/NowWAP
 * names. Renaming `msisdnHeaders` must not let a client-sent `X-MSISDN` through to an MMSC that
 * still reads it.
 */
export const ALWAYS_STRIPPED = [
  'X-WAP-Network-Client-IP',
  'X-WAP-Network-Client-MSISDN',
  'X-MSISDN',
  'X-IMSI',
  'X-IMEISV',
  'X-WAP-3GPP-IMSI',
  'X-WAP-3GPP-SGSN-ADDRESS',
  'X-WAP-3GPP-SGSN-MCC-MNC',
  'X-WAP-3GPP-RAT-TYPE',
  'X-WAP-3GPP-IMEISV',
] as const;

export class IdentityHeaders {
  private readonly cfg: IdentityConfig;
  private readonly stripped: ReadonlySet<string>;
  /** Per binding (weakly held: gone with the binding), the headers ownHeaders() made for it. */
  private readonly own = new WeakMap<Subscriber, { ip: string; sec: number; list: HeaderList }>();
  /** The same for sources with no subscriber bound, by address (at most ANONYMOUS_KEPT, all forgotten at once when full). */
  private readonly anonymous = new Map<string, { sec: number; list: HeaderList }>();

  constructor(cfg: IdentityConfig) {
    this.cfg = cfg;
    const names = [
      ...cfg.clientIpHeaders,
      ...cfg.msisdnHeaders,
      ...cfg.imsiHeaders,
      ...cfg.imeisvHeaders,
      ...cfg.sgsnAddressHeaders,
      ...cfg.ratTypeHeaders,
      ...cfg.stripHeaders,
      ...ALWAYS_STRIPPED,
      cfg.signatureHeader,
    ];
    this.stripped = new Set(names.map(headerKey));
  }

  /** True when a client must never be the one to send `name`. */
  isIdentityHeader(name: string): boolean {
    return this.stripped.has(headerKey(name));
  }

  /** Every header except client copies of identity headers, order kept. */
  strip(headers: Iterable<readonly [string, string]>): HeaderList {
    const out: HeaderList = [];
    for (const [n, v] of headers) if (!this.stripped.has(headerKey(n))) out.push([n, v]);
    return out;
  }

  /** The values we send for a source address and (when bound) its subscriber. */
  fields(clientIp: string, subscriber?: Subscriber): IdentityFields {
    const f: IdentityFields = {};
    const put = (k: keyof IdentityFields, names: readonly string[], v: string | number | undefined) => {
      if (v === undefined || names.length === 0) return;
      const s = String(v);
      if (SAFE_VALUE.test(s)) f[k] = s;
    };
    put('ip', this.cfg.clientIpHeaders, clientIp);
    put('msisdn', this.cfg.msisdnHeaders, subscriber?.msisdn);
    put('imsi', this.cfg.imsiHeaders, subscriber?.imsi);
    put('imeisv', this.cfg.imeisvHeaders, subscriber?.imeisv);
    put('sgsn', this.cfg.sgsnAddressHeaders, subscriber?.sgsnAddress);
    put('rat', this.cfg.ratTypeHeaders, subscriber?.ratType);
    return f;
  }

  /** The authoritative headers (and the signature when configured) for these fields. */
  headersFor(fields: IdentityFields, nowMs: number): HeaderList {
    const out: HeaderList = [];
    const add = (names: readonly string[], v: string | undefined) => {
      if (v !== undefined) for (const n of names) out.push([n, v]);
    };
    add(this.cfg.clientIpHeaders, fields.ip);
    add(this.cfg.msisdnHeaders, fields.msisdn);
    add(this.cfg.imsiHeaders, fields.imsi);
    add(this.cfg.imeisvHeaders, fields.imeisv);
    add(this.cfg.sgsnAddressHeaders, fields.sgsn);
    add(this.cfg.ratTypeHeaders, fields.rat);
    if (this.cfg.signingSecret !== null) {
      out.push([this.cfg.signatureHeader, signIdentity(this.cfg.signingSecret, fields, Math.floor(nowMs / 1000))]);
    }
    return out;
  }

  /** Strips client copies, then appends the authoritative headers. `nowMs` is wall-clock ms. */
  apply(headers: Iterable<readonly [string, string]>, clientIp: string, subscriber: Subscriber | undefined, nowMs: number): HeaderList {
    const out = this.strip(headers);
    for (const h of this.ownHeaders(clientIp, subscriber, nowMs)) out.push(h);
    return out;
  }

  /**
   * Our headers for a source and its subscriber, remembered per binding: a binding is never
   * changed in place (a new accounting record makes a new one), so the same binding and address
   * give the same headers, within the same second when they are signed. The entries are shared:
   * callers add and remove entries of the list they get from apply(), never change one.
   */
  ownHeaders(clientIp: string, subscriber: Subscriber | undefined, nowMs: number): HeaderList {
    const sec = this.cfg.signingSecret === null ? 0 : Math.floor(nowMs / 1000);
    if (subscriber === undefined) {
      const seen = this.anonymous.get(clientIp);
      if (seen !== undefined && seen.sec === sec) return seen.list;
      const list = this.headersFor(this.fields(clientIp), nowMs);
      if (this.anonymous.size >= ANONYMOUS_KEPT) this.anonymous.clear();
      this.anonymous.set(clientIp, { sec, list });
      return list;
    }
    const known = this.own.get(subscriber);
    if (known !== undefined && known.ip === clientIp && known.sec === sec) return known.list;
    const list = this.headersFor(this.fields(clientIp, subscriber), nowMs);
    this.own.set(subscriber, { ip: clientIp, sec, list });
    return list;
  }
}

/** The canonical string the signature covers (see the file comment). */
export function canonicalIdentityString(fields: IdentityFields, unixSeconds: number): string {
  const lines = ['wapgw-identity-v1', `t=${unixSeconds}`];
  for (const k of SIGNED_FIELDS) lines.push(`${k}=${fields[k] ?? ''}`);
  return lines.join('\n');
}

/** The signature header value: `v1;t=<unix seconds>;sig=<hex>`. */
export function signIdentity(secret: string, fields: IdentityFields, unixSeconds: number): string {
  const sig = createHmac('sha256', secret).update(canonicalIdentityString(fields, unixSeconds), 'utf8').digest('hex');
  return `${SIGNATURE_VERSION};t=${unixSeconds};sig=${sig}`;
}

/**
 * For the MMSC: true when `headerValue` is a valid signature by `secret` over `fields` (the
 * values of the identity headers it received, absent when not received) and its timestamp is
 * within `maxSkewSeconds` of `nowSeconds`. Constant-time comparison. Copy freely.
 */
export function verifySignature(
  secret: string,
  headerValue: string,
  fields: IdentityFields,
  opts: { nowSeconds?: number; maxSkewSeconds?: number } = {},
): boolean {
  const m = /^v1;t=(\d{1,12});sig=([0-9a-f]{64})$/.exec(headerValue.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return false;
  const t = Number(m[1]);
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.maxSkewSeconds ?? 300)) return false;
  const lines = ['wapgw-identity-v1', `t=${t}`];
  for (const k of ['ip', 'msisdn', 'imsi', 'imeisv', 'sgsn', 'rat'] as const) lines.push(`${k}=${fields[k] ?? ''}`);
  const want = createHmac('sha256', secret).update(lines.join('\n'), 'utf8').digest();
  const got = Buffer.from(m[2], 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
