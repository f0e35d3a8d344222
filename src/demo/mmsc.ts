/**
 * A small built-in store-and-forward MMSC for demos and tests (demoMmsc.*, off unless
 * configured; not for production). MM1 over HTTP (OMA-MMS-CTR, protocol-facts §3.1):
 *   POST /mms  m-send-req        -> stored under an unguessable id; 200 m-send-conf (Ok, Message-ID)
 *                                   and the retrieval URL in `X-Mms-Content-Location`
 *   GET  /mms/<Message-ID>       -> 200 m-retrieve-conf (type changed, Date added, same parts)
 *   POST /mms  m-notifyresp-ind, m-acknowledge-ind, m-read-rec-ind -> 204
 *   a malformed MMS PDU          -> 200 m-send-conf with Response-Status 0xE2 (format corrupt)
 *   a body that is not MMS       -> 400
 *   GET  /bytes?size=N           -> N octets (at most 2 MB), to test large retrievals
 * Messages live in an LRU bounded by demoMmsc.maxMessages. An insert-address-token From is
 * filled in from the identity headers the gateway adds (X-WAP-Network-Client-MSISDN, -IP).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema';
import { isWapgwError } from '../core/errors';
import type { Logger } from '../core/logger';
import { drainHttpServer } from '../ops/http-drain';
import {
  M_ACKNOWLEDGE_IND,
  M_NOTIFYRESP_IND,
  M_SEND_REQ,
  MESSAGE_TYPE,
  encodeSendConf,
  sendReqToRetrieveConf,
  walkPdu,
} from './mms-pdu';

export const MMS_CONTENT_TYPE = 'application/vnd.wap.mms-message';
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const M_READ_REC_IND = 0x87;
const STATUS_OK = 0x80;
const STATUS_FORMAT_CORRUPT = 0xe2;

export interface DemoMmscDeps {
  config: Config['demoMmsc'];
  logger: Logger;
  /** Wall clock (ms since epoch) for the Date header; a test may fix it. */
  now?: () => number;
}

interface StoredMessage {
  pdu: Buffer;
  from: string | undefined;
  receivedAt: number;
}

export class DemoMmsc {
  readonly name = 'demo-mmsc';
  private readonly server: Server;
  private readonly store: LRUCache<string, StoredMessage>;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly counts = { received: 0, rejected: 0, retrieved: 0, notifyResp: 0, acknowledge: 0, readReport: 0 };

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

  async start(): Promise<Array<{ name: string; protocol: 'tcp'; address: string; port: number }>> {
    const { bind, port } = this.deps.config;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, bind, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
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
    if (body.length < 2 || body[0] !== MESSAGE_TYPE) {
      this.counts.rejected++;
      text(res, 400, `not an MMS PDU (expected ${MMS_CONTENT_TYPE})\n`);
      return;
    }
    let pdu;
    try {
      pdu = walkPdu(body);
    } catch (err) {
      this.counts.rejected++;
      const reason = isWapgwError(err) ? err.message : String(err);
      this.logger.info({ reason, bytes: body.length }, 'demo MMSC: malformed MMS PDU');
      // What MMSCs do: HTTP 200 with an m-send-conf carrying the error.
      mms(res, 200, encodeSendConf({ transactionId: '', version: 0x92, status: STATUS_FORMAT_CORRUPT, text: 'message format corrupt' }));
      return;
    }
    const version = pdu.version ?? 0x92;
    switch (pdu.messageType) {
      case M_SEND_REQ: {
        if (pdu.transactionId === undefined || pdu.bodyOffset >= body.length) {
          this.counts.rejected++;
          mms(res, 200, encodeSendConf({ transactionId: pdu.transactionId ?? '', version, status: STATUS_FORMAT_CORRUPT, text: 'message format corrupt' }));
          return;
        }
        const id = randomBytes(16).toString('base64url');
        const msisdn = header(req, 'x-wap-network-client-msisdn');
        const ip = header(req, 'x-wap-network-client-ip');
        const from = msisdn ? `${msisdn}/TYPE=PLMN` : ip ? `${ip}/TYPE=${ip.includes(':') ? 'IPv6' : 'IPv4'}` : undefined;
        this.store.set(id, { pdu: body, from, receivedAt: this.now() });
        this.counts.received++;
        const location = `http://${hostOf(req, this.server)}/mms/${id}`;
        this.logger.info({ messageId: id, transactionId: pdu.transactionId, bytes: body.length, msisdn, clientIp: ip }, 'demo MMSC: message stored');
        res.setHeader('X-Mms-Content-Location', location);
        mms(res, 200, encodeSendConf({ transactionId: pdu.transactionId, version, status: STATUS_OK, messageId: id }));
        return;
      }
      case M_NOTIFYRESP_IND:
        this.counts.notifyResp++;
        break;
      case M_ACKNOWLEDGE_IND:
        this.counts.acknowledge++;
        break;
      case M_READ_REC_IND:
        this.counts.readReport++;
        break;
      default:
        this.counts.rejected++;
        text(res, 400, `MMS message type 0x${(pdu.messageType ?? 0).toString(16)} is not accepted here\n`);
        return;
    }
    this.logger.info({ messageType: pdu.messageType, transactionId: pdu.transactionId }, 'demo MMSC: report received');
    res.statusCode = 204;
    res.end();
  }

  private retrieve(id: string, res: ServerResponse): void {
    const m = this.store.get(id);
    if (!m) {
      text(res, 404, 'no such message\n');
      return;
    }
    const from = m.from;
    const conf = sendReqToRetrieveConf(m.pdu, { messageId: id, date: Math.floor(this.now() / 1000), ...(from ? { from } : {}) });
    this.counts.retrieved++;
    mms(res, 200, conf);
  }
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
