/**
 * Test helpers for RADIUS accounting: Accounting-Request packets built with npm `radius`
 * (`radius.encode`, the 3GPP dictionary loaded), a Message-Authenticator signer written
 * independently of src/, and a runner for FreeRADIUS `radclient` (the GGSN/P-GW in tests).
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import radius from 'radius';
import { ensure3gppDictionary } from '../../src/subscribers/radius-dictionary';

export type Attr = [string, unknown];

export interface AcctOptions {
  secret: string;
  identifier?: number;
  status: 'Start' | 'Stop' | 'Interim-Update' | 'Accounting-On' | 'Accounting-Off' | 'Failed';
  sessionId?: string;
  framedIp?: string;
  /** e.g. '2001:db8:1:2::/64' */
  framedIpv6Prefix?: string;
  msisdn?: string;
  apn?: string;
  nasIp?: string;
  nasId?: string;
  imsi?: string;
  imeisv?: string;
  sgsn?: string;
  ratType?: number;
  stopIndicator?: boolean;
  /** Extra top-level attributes. */
  attrs?: Attr[];
  /** Append a Message-Authenticator (signed the FreeRADIUS way). */
  messageAuthenticator?: boolean;
}

/** Framed-IPv6-Prefix value (RFC 3162 §2.3): reserved, length, prefix octets. */
export function ipv6PrefixValue(text: string): Buffer {
  const [addr = '', len = '64'] = text.split('/');
  const head = addr.split('::')[0] ?? '';
  const words = head === '' ? [] : head.split(':').map((w) => parseInt(w, 16));
  const bytes = Buffer.alloc(16);
  words.forEach((w, i) => bytes.writeUInt16BE(w, i * 2));
  const n = Number(len);
  return Buffer.concat([Buffer.from([0, n]), bytes.subarray(0, Math.ceil(n / 8))]);
}

/** An Accounting-Request signed with `secret`. */
export function acct(o: AcctOptions): Buffer {
  ensure3gppDictionary();
  const attributes: unknown[] = [['Acct-Status-Type', o.status]];
  if (o.sessionId !== undefined) attributes.push(['Acct-Session-Id', o.sessionId]);
  if (o.nasIp !== undefined) attributes.push(['NAS-IP-Address', o.nasIp]);
  if (o.nasId !== undefined) attributes.push(['NAS-Identifier', o.nasId]);
  if (o.framedIp !== undefined) attributes.push(['Framed-IP-Address', o.framedIp]);
  if (o.framedIpv6Prefix !== undefined) attributes.push(['Framed-IPv6-Prefix', ipv6PrefixValue(o.framedIpv6Prefix)]);
  if (o.msisdn !== undefined) attributes.push(['Calling-Station-Id', o.msisdn]);
  if (o.apn !== undefined) attributes.push(['Called-Station-Id', o.apn]);
  const vsa: unknown[] = [];
  if (o.imsi !== undefined) vsa.push(['3GPP-IMSI', o.imsi]);
  if (o.imeisv !== undefined) vsa.push(['3GPP-IMEISV', o.imeisv]);
  if (o.sgsn !== undefined) vsa.push(['3GPP-SGSN-Address', o.sgsn]);
  if (o.ratType !== undefined) vsa.push(['3GPP-RAT-Type', Buffer.from([o.ratType])]);
  if (o.stopIndicator) vsa.push(['3GPP-Session-Stop-Indicator', Buffer.from([0xff])]);
  if (vsa.length > 0) attributes.push(['Vendor-Specific', 10415, vsa]);
  for (const a of o.attrs ?? []) attributes.push(a);
  if (o.messageAuthenticator) attributes.push([80, Buffer.alloc(16)]);
  const pkt = radius.encode({ code: 'Accounting-Request', identifier: o.identifier ?? 1, secret: o.secret, attributes, add_message_authenticator: false });
  if (o.messageAuthenticator) signWithMessageAuthenticator(pkt, o.secret);
  return pkt;
}

/** RFC 3579/5080 as FreeRADIUS does it for accounting: HMAC with zero authenticator, then the MD5 request authenticator. */
export function signWithMessageAuthenticator(pkt: Buffer, secret: string): Buffer {
  let o = 20;
  let ma = -1;
  while (o < pkt.length) {
    if (pkt[o] === 80) ma = o + 2;
    o += pkt[o + 1] as number;
  }
  if (ma < 0) throw new Error('no Message-Authenticator attribute');
  pkt.fill(0, 4, 20);
  pkt.fill(0, ma, ma + 16);
  createHmac('md5', secret).update(pkt).digest().copy(pkt, ma);
  createHash('md5').update(pkt).update(secret).digest().copy(pkt, 4);
  return pkt;
}

export const RADCLIENT = ['/usr/bin/radclient', '/usr/local/bin/radclient'].find((p) => existsSync(p));

export const radclientSkip = RADCLIENT ? false : 'radclient (FreeRADIUS freeradius-utils) not installed';

export interface RadclientResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Got an Accounting-Response. */
  answered: boolean;
}

/**
 * Sends attribute lines (FreeRADIUS syntax, one packet; "\n\n" separates several) with
 * `radclient -x -r retries -t timeout host:port acct secret`.
 */
export function radclient(
  port: number,
  secret: string,
  attrs: string,
  opts: { retries?: number; timeout?: number; host?: string; extra?: string[] } = {},
): Promise<RadclientResult> {
  if (!RADCLIENT) throw new Error('radclient not installed');
  return new Promise((resolve, reject) => {
    const args = ['-x', '-r', String(opts.retries ?? 1), '-t', String(opts.timeout ?? 1), ...(opts.extra ?? []), `${opts.host ?? '127.0.0.1'}:${port}`, 'acct', secret];
    const p = spawn(RADCLIENT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr, answered: /Received Accounting-Response/.test(stdout) }));
    p.stdin.end(attrs);
  });
}
