/**
 * `wapgw push`: one push through the running gateway's PPG, as a push initiator would send it
 * (WAP-247 §8: POST of multipart/related, the PAP push-message then the content entity).
 *
 *   wapgw push --to ADDR (--mms-notification URL | --si URL TEXT | --file F --type T) [-c FILE]
 *
 * ADDR: +4917012345 (PLMN), 10.1.2.3 (IPv4), 2001:db8::1 (IPv6) or a full WAPPUSH=... address.
 * The PPG URL comes from the config (ppg.bind, ppg.port, ppg.path) unless --url is given;
 * --user NAME:PASSWORD (or WAPGW_PPG_USER) sends HTTP Basic credentials. Prints the PAP
 * response document; exit 0 when accepted (1xxx), 1 with "refused: CODE NAME: reason" otherwise.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { buildNotificationInd, encodeMms } from '../codec/mms';
import type { Config } from '../config/schema';
import { WapgwError } from '../core/errors';
import { buildPapBody, type ContentInput } from './multipart';
import { decodePap, encodePap, isPapSuccess, papCodeName, parsePapAddress, type PapAddress } from './pap';

export interface PushOptions {
  to: PapAddress;
  content: ContentInput;
  url: string;
  user?: string;
  pushId: string;
  notifyTo?: string;
  deliverBeforeMs?: number;
}

const usage = (msg: string): never => {
  throw new WapgwError('ERR_USAGE', `push: ${msg}\nusage: wapgw push --to ADDR (--mms-notification URL [--size N] | --si URL TEXT | --file F --type T [--app-id ID]) [--url URL] [--user NAME:PASSWORD] [--push-id ID] [--notify URL] [--deliver-within SECONDS] [-c FILE]`);
};

/** `+4917012345` / `10.1.2.3` / `2001:db8::1` / `WAPPUSH=...` -> a PAP address (throws a usage error with the PAP reason). */
export function addressFromArg(a: string): PapAddress {
  const ip = isIP(a);
  const value = a.startsWith('WAPPUSH=')
    ? a
    : ip === 4
      ? `WAPPUSH=${a}/TYPE=IPv4`
      : ip === 6
        ? `WAPPUSH=${a}/TYPE=IPv6`
        : `WAPPUSH=${a.startsWith('+') ? a : `+${a}`}/TYPE=PLMN`;
  try {
    return parsePapAddress(value);
  } catch (err) {
    return usage(`--to ${a}: ${(err as Error).message}`);
  }
}

/** Where the running PPG listens, from the config (a wildcard bind is reached on loopback). */
export function ppgUrlOf(c: Config['ppg']): string {
  const host = c.bind === '0.0.0.0' ? '127.0.0.1' : c.bind === '::' ? '::1' : c.bind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${c.port}${c.path}`;
}

export function parsePushArgs(rest: string[], config: Config, env: NodeJS.ProcessEnv = process.env): PushOptions {
  let to: PapAddress | undefined;
  let content: ContentInput | undefined;
  let url: string | undefined;
  let user = env.WAPGW_PPG_USER;
  let pushId: string | undefined;
  let notifyTo: string | undefined;
  let within: number | undefined;
  let size = 0;
  let appId: string | undefined;
  let file: string | undefined;
  let type: string | undefined;
  let mmsUrl: string | undefined;
  let si: [string, string] | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const next = (): string => rest[++i] ?? usage(`${a} needs a value`);
    if (a === '--to') to = addressFromArg(next());
    else if (a === '--mms-notification') mmsUrl = next();
    else if (a === '--size') size = Number(next());
    else if (a === '--si') si = [next(), next()];
    else if (a === '--file') file = next();
    else if (a === '--type') type = next();
    else if (a === '--app-id') appId = next();
    else if (a === '--url') url = next();
    else if (a === '--user') user = next();
    else if (a === '--push-id') pushId = next();
    else if (a === '--notify') notifyTo = next();
    else if (a === '--deliver-within') within = Number(next());
    else usage(`unknown option ${a}`);
  }
  if (!to) return usage('--to ADDR is required');
  const kinds = [mmsUrl, si, file].filter((x) => x !== undefined).length;
  if (kinds !== 1) usage('give exactly one of --mms-notification URL, --si URL TEXT, --file F --type T');
  if (!Number.isInteger(size) || size < 0) usage('--size must be a whole number of octets');
  if (mmsUrl !== undefined) {
    if (!/^https?:\/\//.test(mmsUrl)) usage('--mms-notification needs the http(s) URL the phone retrieves the message from');
    const tid = randomBytes(6).toString('hex');
    content = {
      contentType: 'application/vnd.wap.mms-message',
      applicationId: appId ?? 'x-wap-application:mms.ua',
      body: encodeMms(buildNotificationInd({ transactionId: tid, messageSize: size, expiry: 7 * 24 * 3600, contentLocation: mmsUrl })),
    };
  } else if (si !== undefined) {
    const [href, text] = si;
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">\n<si><indication href="${esc(href)}" action="signal-medium">${esc(text)}</indication></si>\n`;
    content = { contentType: 'application/vnd.wap.si', applicationId: appId ?? 'x-wap-application:wml.ua', body: Buffer.from(xml, 'utf8') };
  } else {
    if (!type) usage('--file needs --type CONTENT-TYPE');
    let body: Buffer;
    try {
      body = readFileSync(file as string);
    } catch (err) {
      return usage(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    content = { contentType: type as string, body, ...(appId ? { applicationId: appId } : {}) };
  }
  if (within !== undefined && (!Number.isFinite(within) || within <= 0)) usage('--deliver-within needs a positive number of seconds');
  const out: PushOptions = { to, content, url: url ?? ppgUrlOf(config.ppg), pushId: pushId ?? `wapgw-push-${randomBytes(8).toString('hex')}` };
  if (user) out.user = user;
  if (notifyTo) out.notifyTo = notifyTo;
  if (within !== undefined) out.deliverBeforeMs = Date.now() + within * 1000;
  return out;
}

export interface PushResult {
  ok: boolean;
  code: number;
  reason: string;
  http: number;
  xml: string;
}

/** Sends the push and reads the PAP answer. */
export async function sendPush(o: PushOptions): Promise<PushResult> {
  const xml = encodePap({
    kind: 'push-message',
    pushId: o.pushId,
    addresses: [o.to],
    ...(o.notifyTo ? { ppgNotifyRequestedTo: o.notifyTo } : {}),
    ...(o.deliverBeforeMs !== undefined ? { deliverBefore: o.deliverBeforeMs } : {}),
  });
  const b = buildPapBody(xml, o.content);
  const headers: Record<string, string> = { 'content-type': b.contentType };
  if (o.user) headers.authorization = `Basic ${Buffer.from(o.user, 'utf8').toString('base64')}`;
  let res: Response;
  try {
    res = await fetch(o.url, { method: 'POST', headers, body: b.body, signal: AbortSignal.timeout(15000) });
  } catch (err) {
    throw new WapgwError('ERR_PUSH_UNREACHABLE', `cannot reach the PPG at ${o.url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  const text = await res.text();
  let code = 0;
  let reason = `HTTP ${res.status}`;
  try {
    const m = decodePap(text).message;
    if (m.kind === 'push-response') [code, reason] = [m.result.code, m.result.desc ?? papCodeName(m.result.code)];
    else if (m.kind === 'badmessage-response') [code, reason] = [m.code, `${papCodeName(m.code)}: ${m.desc ?? ""}`];
  } catch {
    reason = `HTTP ${res.status}, not a PAP response`;
  }
  return { ok: isPapSuccess(code), code, reason, http: res.status, xml: text };
}
