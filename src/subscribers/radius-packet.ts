/**
 * RADIUS accounting packet checks and signatures, done here rather than by npm `radius`
 * (npm `radius` 1.1.4: its compare is lossy and not constant-time, it hashes bytes past
 * Length, and it signs Message-Authenticator differently from FreeRADIUS and NASes).
 *
 * - Accounting-Request authenticator (RFC 2866 §3): MD5(Code|Id|Length|16 zero octets|
 *   Attributes|Secret), compared with crypto.timingSafeEqual.
 * - Message-Authenticator (80) in an Accounting-Request (RFC 3579 §3.2, RFC 5080 §2.2 as
 *   FreeRADIUS does it): HMAC-MD5(Secret, packet with the authenticator field and the
 *   Message-Authenticator value zeroed). The request authenticator covers the filled value.
 * - Accounting-Response (RFC 2866 §3, §4.2): Proxy-State copied in order; Message-Authenticator
 *   added when the request had one (HMAC over the response with a zero authenticator field, as
 *   FreeRADIUS does for accounting; checked with radclient), then
 *   MD5(5|Id|Length|RequestAuth|Attributes|Secret).
 * - Framed-IPv6-Prefix (97, RFC 3162 §2.3): Reserved(1) PrefixLength(1) Prefix(0..16).
 *
 * Every function takes a packet already cut to its Length field (`sliceToLength`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DecodeError } from '../core/errors';

export const CODE_ACCOUNTING_REQUEST = 4;
export const CODE_ACCOUNTING_RESPONSE = 5;
export const ATTR_PROXY_STATE = 33;
export const ATTR_MESSAGE_AUTHENTICATOR = 80;
const HEADER = 20;
const AUTH = 4;
const MAX_LENGTH = 4096;

/** Cuts a datagram to its Length field (octets past Length are padding, RFC 2865 §3). */
export function sliceToLength(datagram: Buffer): Buffer {
  if (datagram.length < HEADER) throw new DecodeError('radius', 0, `datagram of ${datagram.length} octets is shorter than the 20-octet header`);
  const len = datagram.readUInt16BE(2);
  if (len < HEADER || len > MAX_LENGTH) throw new DecodeError('radius', 2, `Length ${len} outside 20..4096`);
  if (len > datagram.length) throw new DecodeError('radius', 2, `Length ${len} is more than the ${datagram.length} octets received`);
  return datagram.subarray(0, len);
}

export interface RawAttribute {
  type: number;
  /** Offset of the attribute's type octet in the packet. */
  offset: number;
  value: Buffer;
}

/** The top-level attributes; throws a DecodeError when one overruns the packet or is shorter than 2. */
export function attributes(pkt: Buffer): RawAttribute[] {
  const out: RawAttribute[] = [];
  let o = HEADER;
  while (o < pkt.length) {
    if (o + 2 > pkt.length) throw new DecodeError('radius', o, 'truncated attribute header');
    const type = pkt[o] as number;
    const len = pkt[o + 1] as number;
    if (len < 2) throw new DecodeError('radius', o + 1, `attribute ${type} has length ${len}`);
    if (o + len > pkt.length) throw new DecodeError('radius', o + 1, `attribute ${type} of length ${len} runs past the packet`);
    out.push({ type, offset: o, value: pkt.subarray(o + 2, o + len) });
    o += len;
  }
  return out;
}

const md5 = (...parts: Buffer[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** True when the Accounting-Request authenticator matches `secret` (constant-time compare). */
export function verifyRequestAuthenticator(pkt: Buffer, secret: string): boolean {
  const copy = Buffer.from(pkt);
  copy.fill(0, AUTH, AUTH + 16);
  const expected = md5(copy, Buffer.from(secret, 'utf8'));
  return timingSafeEqual(expected, pkt.subarray(AUTH, AUTH + 16));
}

/** Message-Authenticator: undefined when absent, else whether it matches (malformed counts as false). */
export function verifyMessageAuthenticator(pkt: Buffer, secret: string, attrs: RawAttribute[] = attributes(pkt)): boolean | undefined {
  const ma = attrs.filter((a) => a.type === ATTR_MESSAGE_AUTHENTICATOR);
  if (ma.length === 0) return undefined;
  const first = ma[0] as RawAttribute;
  if (ma.length > 1 || first.value.length !== 16) return false;
  const copy = Buffer.from(pkt);
  copy.fill(0, AUTH, AUTH + 16);
  copy.fill(0, first.offset + 2, first.offset + 18);
  const expected = createHmac('md5', secret).update(copy).digest();
  return timingSafeEqual(expected, first.value);
}

/** Computes the request authenticator (and Message-Authenticator when present) of a request in place. */
export function signRequest(pkt: Buffer, secret: string): Buffer {
  const attrs = attributes(pkt);
  pkt.fill(0, AUTH, AUTH + 16);
  const ma = attrs.find((a) => a.type === ATTR_MESSAGE_AUTHENTICATOR && a.value.length === 16);
  if (ma) {
    pkt.fill(0, ma.offset + 2, ma.offset + 18);
    createHmac('md5', secret).update(pkt).digest().copy(pkt, ma.offset + 2);
  }
  md5(pkt, Buffer.from(secret, 'utf8')).copy(pkt, AUTH);
  return pkt;
}

/** A copy of an Accounting-Request with a new Identifier, signed for another server. */
export function resignRequest(pkt: Buffer, secret: string, identifier: number): Buffer {
  const copy = Buffer.from(pkt);
  copy[1] = identifier & 0xff;
  return signRequest(copy, secret);
}

/** The Accounting-Response to `request` (already verified): Proxy-State copied, signed with `secret`. */
export function encodeAccountingResponse(request: Buffer, secret: string, attrs: RawAttribute[] = attributes(request)): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) if (a.type === ATTR_PROXY_STATE) parts.push(request.subarray(a.offset, a.offset + 2 + a.value.length));
  const withMa = attrs.some((a) => a.type === ATTR_MESSAGE_AUTHENTICATOR);
  const maAt = HEADER + parts.reduce((s, p) => s + p.length, 0);
  if (withMa) parts.push(Buffer.from([ATTR_MESSAGE_AUTHENTICATOR, 18, ...new Array<number>(16).fill(0)]));
  const body = Buffer.concat(parts);
  const pkt = Buffer.alloc(HEADER + body.length);
  pkt[0] = CODE_ACCOUNTING_RESPONSE;
  pkt[1] = request[1] as number;
  pkt.writeUInt16BE(pkt.length, 2);
  body.copy(pkt, HEADER);
  // Message-Authenticator first, over the packet with a zero authenticator field (as FreeRADIUS
  // signs and checks Accounting-Responses); then the response authenticator over the request's.
  if (withMa) createHmac('md5', secret).update(pkt).digest().copy(pkt, maAt + 2);
  request.copy(pkt, AUTH, AUTH, AUTH + 16);
  md5(pkt, Buffer.from(secret, 'utf8')).copy(pkt, AUTH);
  return pkt;
}

/** True when `response` is a correctly signed Accounting-Response to `request`. */
export function verifyAccountingResponse(request: Buffer, response: Buffer, secret: string): boolean {
  if (response.length < HEADER || response[0] !== CODE_ACCOUNTING_RESPONSE || response[1] !== request[1]) return false;
  const len = response.readUInt16BE(2);
  if (len < HEADER || len > response.length) return false;
  const r = Buffer.from(response.subarray(0, len));
  const got = Buffer.from(r.subarray(AUTH, AUTH + 16));
  request.copy(r, AUTH, AUTH, AUTH + 16);
  return timingSafeEqual(md5(r, Buffer.from(secret, 'utf8')), got);
}

/** Framed-IPv6-Prefix value -> `{prefix: 'x:x::', length}`; throws a DecodeError when malformed. */
export function parseFramedIpv6Prefix(value: Buffer): { address: string; length: number } {
  if (value.length < 2 || value.length > 18) throw new DecodeError('radius', 0, `Framed-IPv6-Prefix of ${value.length} octets (2..18)`);
  const length = value[1] as number;
  if (length > 128) throw new DecodeError('radius', 1, `Framed-IPv6-Prefix length ${length} > 128`);
  const needed = Math.ceil(length / 8);
  if (value.length - 2 < needed) throw new DecodeError('radius', 2, `Framed-IPv6-Prefix /${length} needs ${needed} prefix octets, has ${value.length - 2}`);
  const bytes = Buffer.alloc(16);
  value.copy(bytes, 0, 2, 2 + needed);
  // clear the bits past the prefix length (RFC 3162: they should be zero; do not trust it)
  if (length % 8 !== 0) bytes[needed - 1] = (bytes[needed - 1] as number) & ((0xff << (8 - (length % 8))) & 0xff);
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i).toString(16));
  return { address: words.join(':'), length };
}
