/**
 * A small built-in store-and-forward MMSC for demos and tests (demoMmsc.*, off unless
 * configured; not for production). MM1 over HTTP (OMA-TS-MMS_CTR transactions, OMA-MMS-ENC 1.3 PDUs):
 *   POST /mms  m-send-req        -> stored under an unguessable id; 200 m-send-conf (Ok, Message-ID)
 *                                   and the retrieval URL in `X-Mms-Content-Location`
 *   GET  /mms/<Message-ID>       -> 200 m-retrieve-conf (type changed, Date = when it was submitted, same parts)
 *   GET  /mms (or /)             -> text/plain list of the stored messages, newest first: id, when
 *                                   submitted, size, the sender and the identity headers it saw
 *   POST /mms  m-notifyresp-ind, m-acknowledge-ind, m-read-rec-ind -> 204
 *   a malformed MMS PDU          -> 200 m-send-conf with Response-Status 0xE2 (format corrupt)
 *   a body that is not MMS       -> 400
 *   GET  /bytes?size=N           -> N octets (at most 2 MB), to test large retrievals
 * Messages live in an LRU bounded by demoMmsc.maxMessages. An insert-address-token From is
 * filled in from the identity headers the gateway adds (X-WAP-Network-Client-MSISDN, -IP).
 * The identity headers it received are logged and listed as they came (not redacted): the data
 * in a demo are fake, and seeing them is how a user checks the gateway's identity injection.
 * PDUs are read and written with the MMS codec (src/codec/mms).
 * With demoMmsc.ppgUrl set, each stored message is announced to each recipient (PLMN or IPv4
 * address) by an m-notification-ind sent as a PAP push-message (WAP-247) to that PPG, the way an
 * operator MMSC does (OMA MMS CTR §7.1: notification by WAP Push).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema';
import type { Component, Listening } from '../core/component';
import { isWapgwError } from '../core/errors';
import type { Logger } from '../core/logger';
import { drainHttpServer, listenHttp } from '../ops/http-server';
import { buildNotificationInd, buildSendConf, decodeMms, encodeMms, getField, getFields, toEncodedString, type MmsHeader, type MmsPdu } from '../codec/mms';
import { buildPapBody } from '../ppg/multipart';
import { decodePap, encodePap, parsePapAddress, type PapAddress } from '../ppg/pap';

export const MMS_CONTENT_TYPE = 'application/vnd.wap.mms-message';
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const MESSAGE_TYPE_OCTET = 0x8c;
const FORMAT_CORRUPT = 'Error-permanent-message-format-corrupt';
/** Headers of an m-send-req that have no place in an m-retrieve-conf (OMA-MMS-ENC §6.1.1 vs §6.3). */
const NOT_IN_RETRIEVE = new Set<string>(['Bcc', 'X-Mms-Expiry', 'X-Mms-Delivery-Time', 'X-Mms-Sender-Visibility', 'Date', 'Message-ID', 'X-Mms-Transaction-Id', 'X-Mms-MMS-Version']);

export interface DemoMmscDeps {
  config: Config['demoMmsc'];
  logger: Logger;
  /** Wall clock (ms since epoch) for the Date header; a test may fix it. */
  now?: () => number;
}

interface StoredMessage {
  pdu: MmsPdu;
  from: string | undefined;
  receivedAt: number;
  size: number;
  /** The identity headers of the submission, as received. */
  seen: Record<string, string>;
}

/** Identity headers the demo shows as it received them (the gateway's defaults, identity.*). */
const SHOWN_HEADERS = ['x-wap-network-client-ip', 'x-wap-network-client-msisdn', 'x-msisdn', 'x-imsi', 'x-wap-3gpp-rat-type', 'x-wapgw-trace-id'] as const;
/** Messages shown by GET /mms (newest first): a listing fits a WSP connectionless reply. */
const LIST_LIMIT = 20;

export class DemoMmsc implements Component<Config> {
  readonly name = 'demo-mmsc';
  private readonly server: Server;
  private readonly store: LRUCache<string, StoredMessage>;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly counts = { received: 0, rejected: 0, retrieved: 0, notifyResp: 0, acknowledge: 0, readReport: 0, pushes: 0, pushFailures: 0 };
  private pushSeq = 0;

  constructor(private readonly deps: DemoMmscDeps) {
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.store = new LRUCache({ max: deps.config.maxMessages });
    this.server = createServer({ requestTimeout: 30000, headersTimeout: 10000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'demo MMSC request failed');
        if (!res.headersSent) text(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
  }

  async start(): Promise<Listening[]> {
    const { bind, port } = this.deps.config;
    const a = await listenHttp(this.server, port, bind);
    return [{ name: 'demo-mmsc', protocol: 'tcp', address: a.address, port: a.port }];
  }

  healthy(): boolean {
    return this.server.listening;
  }

  status(): Record<string, unknown> {
    return { ...this.counts, stored: this.store.size, maxMessages: this.deps.config.maxMessages };
  }

  async close(deadline: number): Promise<void> {
    await drainHttpServer(this.server, deadline);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const path = url.pathname;
    if (req.method === 'POST' && (path === '/mms' || path === '/')) return this.post(req, res);
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/mms' || path === '/') return this.list(res);
      const m = /^\/mms\/([A-Za-z0-9_-]{16,64})$/.exec(path);
      if (m?.[1] !== undefined) return this.retrieve(m[1], res);
      if (path === '/bytes') return bytes(url.searchParams.get('size'), res);
    }
    req.resume();
    text(res, 404, 'not found\n');
  }

  private async post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === null) {
      text(res, 413, `larger than ${MAX_BODY_BYTES} octets\n`);
      return;
    }
    if (body.length < 2 || body[0] !== MESSAGE_TYPE_OCTET) {
      this.counts.rejected++;
      text(res, 400, `not an MMS PDU (expected ${MMS_CONTENT_TYPE})\n`);
      return;
    }
    let pdu: MmsPdu;
    try {
      pdu = decodeMms(body);
    } catch (err) {
      this.counts.rejected++;
      const reason = isWapgwError(err) ? err.message : String(err);
      this.logger.info({ reason, bytes: body.length }, 'demo MMSC: malformed MMS PDU');
      // What MMSCs do: HTTP 200 with an m-send-conf carrying the error.
      mms(res, 200, corrupt('', '1.2'));
      return;
    }
    const transactionId = getField(pdu, 'X-Mms-Transaction-Id');
    const version = getField(pdu, 'X-Mms-MMS-Version') ?? '1.2';
    switch (pdu.type) {
      case 'm-send-req': {
        if (transactionId === undefined || getField(pdu, 'Content-Type') === undefined) {
          this.counts.rejected++;
          mms(res, 200, corrupt(transactionId ?? '', version));
          return;
        }
        const id = randomBytes(16).toString('base64url');
        const msisdn = header(req, 'x-wap-network-client-msisdn');
        const ip = header(req, 'x-wap-network-client-ip');
        const from = msisdn ? `${msisdn}/TYPE=PLMN` : ip ? `${ip}/TYPE=${ip.includes(':') ? 'IPv6' : 'IPv4'}` : undefined;
        const seen: Record<string, string> = {};
        for (const h of SHOWN_HEADERS) {
          const v = header(req, h);
          if (v !== undefined) seen[h] = v;
        }
        this.store.set(id, { pdu, from, receivedAt: this.now(), size: body.length, seen });
        this.counts.received++;
        const location = `http://${hostOf(req, this.server)}/mms/${id}`;
        // `headers` keeps the header names as keys, so the demo's fake MSISDN shows in the log.
        this.logger.info({ messageId: id, transactionId, bytes: body.length, from: from ?? null, headers: seen }, 'demo MMSC: message stored');
        res.setHeader('X-Mms-Content-Location', location);
        mms(res, 200, encodeMms(buildSendConf({ transactionId, version, status: 'Ok', messageId: id })));
        if (this.deps.config.ppgUrl) this.notifyRecipients(pdu, id, location, body.length, from);
        return;
      }
      case 'm-notifyresp-ind':
        this.counts.notifyResp++;
        break;
      case 'm-acknowledge-ind':
        this.counts.acknowledge++;
        break;
      case 'm-read-rec-ind':
        this.counts.readReport++;
        break;
      default:
        this.counts.rejected++;
        text(res, 400, `MMS message type ${String(pdu.type)} is not accepted here\n`);
        return;
    }
    this.logger.info({ messageType: pdu.type, transactionId }, 'demo MMSC: report received');
    res.statusCode = 204;
    res.end();
  }

  /** One PAP push per recipient with an m-notification-ind (OMA MMS ENC §6.2) for the stored message. */
  private notifyRecipients(pdu: MmsPdu, id: string, location: string, size: number, from: string | undefined): void {
    const url = this.deps.config.ppgUrl as string;
    for (const field of ['To', 'Cc', 'Bcc'] as const) {
      for (const v of getFields(pdu, field)) {
        const text = typeof v === 'object' && v !== null && 'text' in v ? (v as { text: string }).text : String(v);
        const m = /^(\+?[0-9]{3,20})\/TYPE=PLMN$/i.exec(text) ?? /^(\d{1,3}(?:\.\d{1,3}){3})\/TYPE=IPv4$/i.exec(text);
        if (!m?.[1]) {
          this.logger.info({ messageId: id, recipient: text }, 'demo MMSC: recipient not pushable (PLMN or IPv4 only)');
          continue;
        }
        let address: PapAddress;
        try {
          address = parsePapAddress(`WAPPUSH=${m[1]}/TYPE=${text.toUpperCase().endsWith('PLMN') ? 'PLMN' : 'IPv4'}`);
        } catch {
          continue;
        }
        const notification = encodeMms(
          buildNotificationInd({
            transactionId: `${id.slice(0, 12)}-${++this.pushSeq}`,
            ...(from ? { from } : {}),
            messageSize: size,
            expiry: 7 * 24 * 3600,
            contentLocation: location,
          }),
        );
        const pushId = `${id}-${this.pushSeq}@demo-mmsc`;
        this.push(url, pushId, address, notification).then(
          (code) => {
            if (code === 1001) this.counts.pushes++;
            else this.counts.pushFailures++;
            this.logger.info({ messageId: id, pushId, papCode: code, address: address.type }, 'demo MMSC: notification pushed to the PPG');
          },
          (err: unknown) => {
            this.counts.pushFailures++;
            this.logger.warn({ messageId: id, pushId, err: (err as Error).message }, 'demo MMSC: PPG push failed');
          },
        );
      }
    }
  }

  /** POSTs one push-message; resolves with the PAP code of the answer. */
  private async push(ppgUrl: string, pushId: string, address: PapAddress, notification: Buffer): Promise<number> {
    const u = new URL(ppgUrl);
    const headers: Record<string, string> = {};
    if (u.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
    const xml = encodePap({ kind: 'push-message', pushId, addresses: [address], deliverBefore: this.now() + 7 * 24 * 3600 * 1000 });
    const b = buildPapBody(xml, { contentType: MMS_CONTENT_TYPE, applicationId: 'x-wap-application:mms.ua', body: notification });
    const res = await fetch(u, { method: 'POST', headers: { ...headers, 'content-type': b.contentType }, body: b.body, signal: AbortSignal.timeout(10000) });
    const doc = decodePap(await res.text());
    const msg = doc.message;
    return msg.kind === 'push-response' ? msg.result.code : 'code' in msg ? msg.code : 0;
  }

  private retrieve(id: string, res: ServerResponse): void {
    const m = this.store.get(id);
    if (!m) {
      text(res, 404, 'no such message\n');
      return;
    }
    // Date: when the message was submitted (OMA-MMS-ENC §6.3: the arrival time at the MMSC), not now.
    const conf = encodeMms(toRetrieveConf(m.pdu, id, Math.floor(m.receivedAt / 1000), m.from));
    this.counts.retrieved++;
    mms(res, 200, conf);
  }

  /** The stored messages, newest first: one line each, with the retrieval URL and what the MMSC saw. */
  private list(res: ServerResponse): void {
    const lines = [`demo MMSC: ${this.store.size} message(s) stored${this.store.size > LIST_LIMIT ? `, newest ${LIST_LIMIT} shown` : ''}`];
    const all = [...this.store.entries()].sort((a, b) => b[1].receivedAt - a[1].receivedAt).slice(0, LIST_LIMIT);
    for (const [id, m] of all) {
      const seen = Object.entries(m.seen).map(([k, v]) => `${k}=${v}`).join(' ');
      lines.push(`${id} submitted=${new Date(m.receivedAt).toISOString()} octets=${m.size} from=${m.from ?? '-'}${seen ? ` ${seen}` : ''}`);
    }
    text(res, 200, `${lines.join('\n')}\n`);
  }
}

function corrupt(transactionId: string, version: string): Buffer {
  return encodeMms(buildSendConf({ transactionId, version, status: FORMAT_CORRUPT, responseText: 'message format corrupt' }));
}

/**
 * m-retrieve-conf from a stored m-send-req: type changed, Message-ID and Date added after the
 * version, Bcc/Expiry/Delivery-Time/Sender-Visibility dropped, an insert-address-token From
 * filled in with the sender the gateway identified, the same Content-Type and parts.
 */
export function toRetrieveConf(req: MmsPdu, messageId: string, date: number, from?: string): MmsPdu {
  const headers: MmsHeader[] = [];
  const tid = getField(req, 'X-Mms-Transaction-Id');
  if (tid !== undefined) headers.push({ field: 'X-Mms-Transaction-Id', value: tid });
  headers.push({ field: 'X-Mms-MMS-Version', value: getField(req, 'X-Mms-MMS-Version') ?? '1.2' });
  headers.push({ field: 'Message-ID', value: messageId });
  headers.push({ field: 'Date', value: date });
  for (const h of req.headers) {
    if (h.field !== 'unknown' && h.field !== 'application' && NOT_IN_RETRIEVE.has(h.field)) continue;
    if (h.field === 'From' && h.value.insert && from !== undefined) {
      headers.push({ field: 'From', value: { insert: false, address: toEncodedString(from) } });
      continue;
    }
    headers.push(h);
  }
  return { type: 'm-retrieve-conf', headers, ...(req.body ? { body: req.body } : {}) };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && /^[\x20-\x7e]{1,64}$/.test(s) ? s : undefined;
}

function hostOf(req: IncomingMessage, server: Server): string {
  const h = req.headers.host;
  if (h && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(h)) return h;
  const a = server.address() as AddressInfo;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function bytes(sizeText: string | null, res: ServerResponse): void {
  const n = sizeText !== null && /^\d{1,8}$/.test(sizeText) ? Number(sizeText) : NaN;
  if (!Number.isInteger(n) || n > MAX_BODY_BYTES) {
    text(res, 400, `size must be 0..${MAX_BODY_BYTES}\n`);
    return;
  }
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = i & 0xff;
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', n);
  res.setHeader('Cache-Control', 'no-store');
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function mms(res: ServerResponse, status: number, body: Buffer): void {
  res.statusCode = status;
  res.setHeader('Content-Type', MMS_CONTENT_TYPE);
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
