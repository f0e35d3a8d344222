/**
 * Per-MMS usage records for charging mediation (`usageRecords.*`). 3GPP TS 32.270 describes MMS
 * charging from the MMS Relay/Server's side; the gateway is where the access-side facts are known
 * (source IP, MSISDN and IMSI from RADIUS, NAS, bearer), so it writes one record per MMS
 * transaction that reached the MMSC, on every path: `wsp` (WSP/WTP), `proxy` (HTTP), `push` (the
 * PPG adds its own through `record`).
 *
 * Files: `wapgw-usage-<UTC start>-<host>-<pid>-<seq>.<jsonl|csv>` in `usageRecords.dir`. The file
 * being written carries the suffix `.open`; it is renamed without it when closed (rotation by
 * `rotateBytes` or `rotateSeconds`, or stop), so a mediation collector takes only files without
 * `.open`. A CSV file starts with a header line (RFC 4180 quoting).
 *
 * Durability: records are buffered in memory and written and fsync'ed every `flushIntervalMs`
 * (1 s). A clean stop (SIGTERM, SIGINT) writes every record: the writer is closed after the
 * proxy and WSP have drained. A crash (SIGKILL, power) loses at most the records of the last
 * `flushIntervalMs`, and the transactions in flight; at the next start any `.open` file left
 * behind is cut to its last whole line and closed. While the disk cannot be written the records
 * wait in memory up to `maxBufferedRecords`; more are dropped and counted.
 *
 * Counted in wapgw_usage_records_total{bearer, mms_type}, wapgw_usage_records_dropped_total and
 * wapgw_usage_record_write_errors_total. I/O only here; deciding what a record holds
 * (`usageFromExchange`) is pure.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { peekMmsHeaders } from '../codec/mms/peek';
import type { Config } from '../config/schema';
import type { Logger } from '../core/logger';
import type { Subscriber } from '../subscribers/types';
import type { Metrics } from './metrics';
import { processAlive } from '../core/process';

export type Bearer = 'wsp' | 'proxy' | 'push';

/** One record. Absent facts are null, so every record has every field (CSV columns). */
export interface UsageRecord {
  /** When the request arrived (ISO 8601, UTC). */
  time: string;
  traceId: string | null;
  bearer: Bearer;
  msisdn: string | null;
  imsi: string | null;
  sourceIp: string | null;
  nas: string | null;
  apn: string | null;
  /** Of the request's MMS PDU, else of the response's (a retrieval: m-retrieve-conf). */
  mmsType: string;
  /** Of the response's MMS PDU (m-send-conf...), when there is one. */
  mmsResponseType: string | null;
  transactionId: string | null;
  /** Message-ID of the response (m-send-conf, m-retrieve-conf), else of the request. */
  messageId: string | null;
  /** X-Mms-Response-Status of the response (m-send-conf), e.g. Ok. */
  mmsResponseStatus: string | null;
  /** Body octets from the handset and to it. */
  octetsUp: number;
  octetsDown: number;
  /** The MMSC's HTTP status, or `timeout` / `error` / `too-large`. */
  upstreamStatus: string;
  /** The status the handset got (HTTP code; WSP status as its HTTP code). */
  status: number;
  durationMs: number;
}

export const USAGE_FIELDS: ReadonlyArray<keyof UsageRecord> = [
  'time',
  'traceId',
  'bearer',
  'msisdn',
  'imsi',
  'sourceIp',
  'nas',
  'apn',
  'mmsType',
  'mmsResponseType',
  'transactionId',
  'messageId',
  'mmsResponseStatus',
  'octetsUp',
  'octetsDown',
  'upstreamStatus',
  'status',
  'durationMs',
];

/** What a path knows when a request has finished. */
export interface MmsExchange {
  bearer: Bearer;
  /** Wall-clock ms when the request arrived. */
  startedAt: number;
  durationMs: number;
  sourceIp: string;
  subscriber: Subscriber | undefined;
  traceId: string | undefined;
  /** The first octets of the request and response bodies when they are MMS (the header is enough). */
  requestHead: Uint8Array | undefined;
  responseHead: Uint8Array | undefined;
  octetsUp: number;
  octetsDown: number;
  /** Undefined when the request never went upstream (refused by the gateway). */
  upstreamStatus: number | 'timeout' | 'error' | 'too-large' | undefined;
  status: number;
}

/** The record for a finished exchange, or null when it is not an MMS transaction that reached the MMSC. */
export function usageFromExchange(e: MmsExchange): UsageRecord | null {
  if (e.upstreamStatus === undefined) return null;
  const req = e.requestHead ? peekMmsHeaders(e.requestHead) : null;
  const res = e.responseHead ? peekMmsHeaders(e.responseHead) : null;
  const main = req ?? res;
  if (!main) return null;
  const s = e.subscriber;
  return {
    time: new Date(e.startedAt).toISOString(),
    traceId: e.traceId ?? null,
    bearer: e.bearer,
    msisdn: s?.msisdn ?? null,
    imsi: s?.imsi ?? null,
    sourceIp: e.sourceIp,
    nas: s?.nas ?? null,
    apn: s?.apn ?? null,
    mmsType: main.type,
    mmsResponseType: req && res ? res.type : null,
    transactionId: req?.transactionId ?? res?.transactionId ?? null,
    messageId: res?.messageId ?? req?.messageId ?? null,
    mmsResponseStatus: res?.responseStatus ?? null,
    octetsUp: e.octetsUp,
    octetsDown: e.octetsDown,
    upstreamStatus: String(e.upstreamStatus),
    status: e.status,
    durationMs: Math.round(e.durationMs * 10) / 10,
  };
}

/** RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled. Null is empty. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatRecord(r: UsageRecord, format: 'jsonl' | 'csv'): string {
  if (format === 'jsonl') return `${JSON.stringify(r)}\n`;
  return `${USAGE_FIELDS.map((f) => csvField(r[f])).join(',')}\r\n`;
}

/** Where records go: `record` for a ready record (the PPG), `exchange` for a finished request. */
export interface UsageSink {
  record(r: UsageRecord): void;
  exchange(e: MmsExchange): void;
}

export interface UsageRecordsDeps {
  config: Config['usageRecords'];
  metrics: Metrics;
  logger: Logger;
  /** Wall clock (ms), for file names and time rotation. */
  now?: () => number;
}

const OPEN = '.open';

/** The component that writes the record files (see the file header). */
export class UsageRecords implements UsageSink {
  readonly name = 'usage-records';
  private readonly cfg: Config['usageRecords'];
  private readonly dir: string;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
  private buffer: string[] = [];
  private fd: number | undefined;
  private path: string | undefined;
  private size = 0;
  private openedAt = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private written = 0;
  private dropped = 0;
  private files = 0;
  private lastError: string | undefined;

  constructor(deps: UsageRecordsDeps) {
    this.cfg = deps.config;
    if (deps.config.dir === null) throw new Error('usageRecords.dir is required');
    this.dir = deps.config.dir;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<[]> {
    this.recoverOpenFiles();
    this.timer = setInterval(() => this.flush(), this.cfg.flushIntervalMs);
    this.timer.unref();
    return [];
  }

  /** After the request paths have drained (components close in reverse order): write everything, close the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    this.flush();
    this.closeFile();
    this.closed = true;
    this.logger.info({ written: this.written, dropped: this.dropped, files: this.files }, 'usage records closed');
  }

  healthy(): boolean {
    return this.lastError === undefined;
  }

  status(): Record<string, unknown> {
    return { dir: this.dir, format: this.cfg.format, file: this.path ?? null, written: this.written, buffered: this.buffer.length, dropped: this.dropped, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  exchange(e: MmsExchange): void {
    const r = usageFromExchange(e);
    if (r) this.record(r);
  }

  record(r: UsageRecord): void {
    this.metrics.usageRecords.inc({ bearer: r.bearer, mms_type: r.mmsType });
    if (this.closed) {
      // a record after the stop (a straggler): written at once rather than lost
      this.buffer.push(formatRecord(r, this.cfg.format));
      this.flush();
      this.closeFile();
      return;
    }
    if (this.buffer.length >= this.cfg.maxBufferedRecords) {
      this.buffer.shift();
      this.dropped++;
      this.metrics.usageRecordsDropped.inc();
    }
    this.buffer.push(formatRecord(r, this.cfg.format));
  }

  /** Writes and syncs what is buffered; rotates first when the file is full or old. */
  flush(): void {
    const now = this.now();
    if (this.fd !== undefined && this.cfg.rotateSeconds > 0 && now - this.openedAt >= this.cfg.rotateSeconds * 1000) this.closeFile();
    if (this.buffer.length === 0) return;
    try {
      let i = 0;
      while (i < this.buffer.length) {
        if (this.fd === undefined || this.size >= this.cfg.rotateBytes) {
          this.closeFile();
          this.openFile(now);
        }
        // one write per file-full of records
        let chunk = '';
        let j = i;
        while (j < this.buffer.length && this.size + Buffer.byteLength(chunk) < this.cfg.rotateBytes) chunk += this.buffer[j++];
        const bytes = Buffer.from(chunk, 'utf8');
        writeSync(this.fd as number, bytes);
        this.size += bytes.length;
        this.written += j - i;
        i = j;
      }
      fsyncSync(this.fd as number);
      this.buffer = [];
      if (this.lastError !== undefined) this.logger.info({ dir: this.dir }, 'usage records: writing again');
      this.lastError = undefined;
    } catch (err) {
      // keep the records (bounded) and try again at the next flush
      this.metrics.usageRecordWriteErrors.inc();
      const msg = (err as NodeJS.ErrnoException).code ?? String(err);
      if (this.lastError !== msg) this.logger.error({ err, dir: this.dir, buffered: this.buffer.length }, 'usage records: cannot write');
      this.lastError = msg;
      this.closeFile();
    }
  }

  private openFile(now: number): void {
    const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    this.seq++;
    const base = `wapgw-usage-${stamp}-${this.host}-${process.pid}-${this.seq}.${this.cfg.format}`;
    this.path = join(this.dir, base + OPEN);
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = 0;
    this.openedAt = now;
    if (this.cfg.format === 'csv') {
      const head = Buffer.from(`${USAGE_FIELDS.join(',')}\r\n`);
      writeSync(this.fd, head);
      this.size += head.length;
    }
  }

  /** Syncs, closes and renames the current file without `.open`. */
  private closeFile(): void {
    const fd = this.fd;
    const path = this.path;
    this.fd = undefined;
    this.path = undefined;
    if (fd === undefined || path === undefined) return;
    try {
      fsyncSync(fd);
    } catch {
      // reported by the write that failed
    }
    closeSync(fd);
    try {
      renameSync(path, path.slice(0, -OPEN.length));
      this.files++;
    } catch (err) {
      this.logger.error({ err, file: path }, 'usage records: cannot close the file');
    }
  }

  /** `.open` files left by a crash: cut to the last whole record, then closed like any other. */
  private recoverOpenFiles(): void {
    for (const f of readdirSync(this.dir)) {
      if (!f.startsWith('wapgw-usage-') || !f.endsWith(OPEN)) continue;
      // another live process of this host (a worker) is still writing it
      const m = /-([^-]+)-(\d+)-\d+\.(?:jsonl|csv)\.open$/.exec(f);
      if (m && (m[1] !== this.host || (Number(m[2]) !== process.pid && processAlive(Number(m[2]))))) continue;
      const path = join(this.dir, f);
      try {
        const text = readFileSync(path);
        const end = text.lastIndexOf(0x0a) + 1;
        if (end < statSync(path).size) truncateSync(path, end);
        renameSync(path, path.slice(0, -OPEN.length));
        this.logger.warn({ file: path.slice(0, -OPEN.length), octets: end }, 'usage records: closed a file left open by a crash');
      } catch (err) {
        this.logger.error({ err, file: path }, 'usage records: cannot recover a file left open');
      }
    }
  }
}

const MMS_CONTENT_TYPE = 'application/vnd.wap.mms-message';
const isMmsType = (ct: string | undefined): boolean => (ct ?? '').split(';')[0]?.trim().toLowerCase() === MMS_CONTENT_TYPE;
/** The header of an MMS PDU fits in this many octets; the rest of a body is not looked at. */
export const MMS_HEAD_OCTETS = 4096;

/** The WSP bridge's view of a finished method (structurally its MethodRequest / MethodReply). */
export interface WspMethodView {
  sourceIp: string;
  contentType?: string | undefined;
  body?: Buffer | undefined;
}
export interface WspReplyView {
  status: number;
  contentType: string;
  body: Buffer;
  /** Set when the gateway answered itself (src/bridge/bridge.ts textReply). */
  reason?: string | undefined;
}

/** A WSP method as an exchange: what the bridge hands to `UsageSink.exchange`. */
export function usageOfMethod(req: WspMethodView, reply: WspReplyView, subscriber: Subscriber | undefined, traceId: string | undefined, startedAt: number, durationMs: number): MmsExchange {
  let upstreamStatus: MmsExchange['upstreamStatus'];
  if (reply.reason === undefined) upstreamStatus = reply.status;
  else if (reply.status === 504) upstreamStatus = 'timeout';
  else if (reply.status === 502) upstreamStatus = 'error';
  else if (reply.status === 413 && reply.reason.startsWith('response larger')) upstreamStatus = 'too-large';
  return {
    bearer: 'wsp',
    startedAt,
    durationMs,
    sourceIp: req.sourceIp,
    subscriber,
    traceId,
    requestHead: req.body && isMmsType(req.contentType) ? req.body.subarray(0, MMS_HEAD_OCTETS) : undefined,
    responseHead: reply.reason === undefined && isMmsType(reply.contentType) ? reply.body.subarray(0, MMS_HEAD_OCTETS) : undefined,
    octetsUp: req.body?.length ?? 0,
    octetsDown: reply.body.length,
    upstreamStatus,
    status: reply.status,
  };
}
