/**
 * A small SMSC for demos and tests (demoSmsc.*, off unless configured; not for production): a
 * real SMPP 3.4 server (the npm `smpp` package's server mode) that
 *   - accepts bind_transmitter / bind_transceiver / bind_receiver (checking system_id and password
 *     when configured: ESME_RINVSYSID 0x0F / ESME_RINVPASWD 0x0E otherwise), enquire_link, unbind;
 *   - answers each submit_sm with a message_id (or the status `answer` picks: throttled, queue
 *     full, any failure), and records it;
 *   - sends an SMSC delivery receipt (deliver_sm, esm_class 0x04, receipted_message_id and
 *     message_state TLVs plus the SMPP 3.4 Appendix B text) for registered_delivery submits;
 *   - reassembles concatenated binary SMS per destination and logs each whole WAP push at info,
 *     decoded: UDH ports, the WSP Push, the MMS notification's fields (src/codec/inspect-sms.ts).
 * `capture` sees every octet of each TCP connection, in order and direction, for pcap checks.
 */
import type { AddressInfo, Socket } from 'node:net';
import * as smpp from 'smpp';
import type { Listening } from '../core/component';
import type { Logger } from '../core/logger';
import { decodeUserDataWithHeader, summarizeUdh } from '../codec/sms';
import { inspectSms } from '../codec/inspect-sms';
import { answerLinkControl } from '../ppg/bearers/smpp';

export interface SubmitRecord {
  connection: number;
  systemId: string;
  destination: string;
  destTon: number;
  destNpi: number;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** The short_message octets as sent (UDH included). */
  shortMessage: Buffer;
  /** The status answered, and the message_id when it was 0. */
  status: number;
  messageId?: string;
  at: number;
}

export interface DemoSmscOptions {
  bind?: string;
  /** 0 = any free port. */
  port?: number;
  logger?: Logger;
  systemId?: string;
  password?: string;
  /** Send delivery receipts for registered_delivery submits (default true). */
  receipts?: boolean;
  /** Delay before a receipt (default 50 ms). */
  receiptDelayMs?: number;
  /** Receipt stat: 'DELIVRD' by default. */
  receiptStat?: (s: SubmitRecord) => 'DELIVRD' | 'UNDELIV' | 'EXPIRED' | 'REJECTD' | 'DELETED';
  /** The command_status for a submit (0 = accept). Default: accept all. */
  answer?: (s: Omit<SubmitRecord, 'status' | 'messageId'>) => number;
  /** Delay before each submit_sm_resp (default 0), to let a client's window fill. */
  responseDelayMs?: number;
  /** Leave enquire_link unanswered (a test of the client's link check). */
  ignoreEnquireLink?: boolean;
  /** Submits kept in `submits` (oldest dropped first); default 1000. */
  maxRecorded?: number;
  capture?: (connection: number, direction: 'in' | 'out', bytes: Buffer) => void;
}

const RECEIPT_STATE: Record<string, number> = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, REJECTD: 8 };

export class DemoSmsc {
  readonly name = 'demo-smsc';
  readonly submits: SubmitRecord[] = [];
  /** Every bind received: its command and system_id. */
  readonly binds: { command: string; systemId: string; status: number }[] = [];
  /** Most submit_sm outstanding (received, not yet answered) at once on one connection. */
  maxOutstanding = 0;
  private readonly server: smpp.Server;
  private readonly o: DemoSmscOptions;
  private nextId = 1;
  private connections = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Parts waiting for the rest of their push, per destination (bounded). */
  private readonly partial = new Map<string, Buffer[]>();
  readonly sessions = new Set<smpp.Session>();

  constructor(o: DemoSmscOptions = {}) {
    this.o = o;
    this.server = smpp.createServer({}, (session) => this.session(session));
  }

  async start(): Promise<Listening[]> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port ?? 0, this.o.bind ?? '127.0.0.1', () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    return [{ name: 'demo-smsc', protocol: 'tcp', address: a.address, port: a.port }];
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  status(): Record<string, unknown> {
    return { sessions: this.sessions.size, submits: this.submits.length };
  }

  /** Drops every connection (the client sees its session lost), without stopping the listener. */
  dropConnections(): void {
    for (const s of this.sessions) s.destroy();
  }

  async close(_deadline = Date.now()): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sessions) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private session(session: smpp.Session): void {
    const conn = ++this.connections;
    this.sessions.add(session);
    const socket: Socket = session.socket;
    if (this.o.capture) {
      const cap = this.o.capture;
      // the library reads with socket.read(n) (paused mode): record what it takes, and what goes out
      const read = socket.read.bind(socket);
      socket.read = ((n?: number) => {
        const b = read(n) as Buffer | null;
        if (b) cap(conn, 'in', Buffer.from(b));
        return b;
      }) as typeof socket.read;
      const write = socket.write.bind(socket) as (b: Buffer, cb?: () => void) => boolean;
      socket.write = ((b: Buffer, cb?: () => void) => {
        cap(conn, 'out', Buffer.from(b));
        return write(b, cb);
      }) as typeof socket.write;
    }
    let systemId = '';
    let bound = false;
    const outstanding = { n: 0 };
    session.on('error', () => session.destroy());
    session.on('close', () => this.sessions.delete(session));
    session.on('pdu', (pdu: smpp.Pdu) => {
      if (pdu.isResponse() || (this.o.ignoreEnquireLink && pdu.command === 'enquire_link')) return;
      if (answerLinkControl(session, pdu)) return;
      switch (pdu.command) {
        case 'bind_transceiver':
        case 'bind_transmitter':
        case 'bind_receiver': {
          const id = String(pdu.system_id ?? '');
          const pw = String(pdu.password ?? '');
          let status = 0;
          if (this.o.systemId !== undefined && id !== this.o.systemId) status = 0x0f;
          else if (this.o.password !== undefined && pw !== this.o.password) status = 0x0e;
          this.binds.push({ command: pdu.command, systemId: id, status });
          session.send(pdu.response({ command_status: status, system_id: 'wapgw-demo-smsc' }));
          if (status === 0) {
            systemId = id;
            bound = true;
          }
          return;
        }
        case 'submit_sm':
          if (!bound) {
            session.send(pdu.response({ command_status: 0x04 })); // ESME_RINVBNDSTS
            return;
          }
          this.submit(session, pdu, conn, systemId, outstanding);
          return;
        default:
          if (pdu.command !== 'deliver_sm_resp') session.send(pdu.response({ command_status: 0x03 }));
      }
    });
  }

  private submit(session: smpp.Session, pdu: smpp.Pdu, conn: number, systemId: string, outstanding: { n: number }): void {
    outstanding.n++;
    this.maxOutstanding = Math.max(this.maxOutstanding, outstanding.n);
    const delay = this.o.responseDelayMs ?? 0;
    if (delay <= 0) return this.answerSubmit(session, pdu, conn, systemId, outstanding);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.answerSubmit(session, pdu, conn, systemId, outstanding);
    }, delay);
    this.timers.add(t);
  }

  private answerSubmit(session: smpp.Session, pdu: smpp.Pdu, conn: number, systemId: string, outstanding: { n: number }): void {
    outstanding.n--;
    const sm = pdu.short_message as { udh?: Buffer[]; message?: Buffer | string } | Buffer;
    let shortMessage: Buffer;
    if (Buffer.isBuffer(sm)) shortMessage = sm;
    else {
      const udh = sm.udh ?? [];
      const msg = sm.message === undefined ? Buffer.alloc(0) : Buffer.isBuffer(sm.message) ? sm.message : Buffer.from(sm.message, 'latin1');
      const ies = Buffer.concat(udh);
      shortMessage = udh.length > 0 ? Buffer.concat([Buffer.from([ies.length]), ies, msg]) : msg;
    }
    const rec: SubmitRecord = {
      connection: conn,
      systemId,
      destination: String(pdu.destination_addr ?? ''),
      destTon: Number(pdu.dest_addr_ton ?? 0),
      destNpi: Number(pdu.dest_addr_npi ?? 0),
      esmClass: Number(pdu.esm_class ?? 0),
      dataCoding: Number(pdu.data_coding ?? 0),
      registeredDelivery: Number(pdu.registered_delivery ?? 0),
      shortMessage,
      status: 0,
      at: Date.now(),
    };
    rec.status = this.o.answer?.(rec) ?? 0;
    if (rec.status === 0) rec.messageId = (this.nextId++).toString(16).toUpperCase().padStart(8, '0');
    this.submits.push(rec);
    if (this.submits.length > (this.o.maxRecorded ?? 1000)) this.submits.shift();
    session.send(pdu.response(rec.status === 0 ? { message_id: rec.messageId } : { command_status: rec.status }));
    if (rec.status !== 0) return;
    this.logPush(rec);
    if ((rec.registeredDelivery & 0x03) !== 0 && this.o.receipts !== false) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.sendReceipt(session, rec);
      }, this.o.receiptDelayMs ?? 50);
      this.timers.add(t);
    }
  }

  private sendReceipt(session: smpp.Session, rec: SubmitRecord): void {
    const stat = this.o.receiptStat?.(rec) ?? 'DELIVRD';
    const d = new Date();
    const ts = `${String(d.getUTCFullYear() % 100).padStart(2, '0')}${[d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()].map((x) => String(x).padStart(2, '0')).join('')}`;
    const text = `id:${rec.messageId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${ts} done date:${ts} stat:${stat} err:000 text:`;
    session.send(
      new smpp.PDU('deliver_sm', {
        source_addr: rec.destination,
        destination_addr: '',
        esm_class: 0x04, // SMSC Delivery Receipt (SMPP 3.4 §5.2.12)
        data_coding: 0,
        short_message: Buffer.from(text, 'latin1'),
        receipted_message_id: rec.messageId,
        message_state: RECEIPT_STATE[stat],
      }),
    );
  }

  /** Logs a whole push (after its last part) decoded, at info. */
  private logPush(rec: SubmitRecord): void {
    const log = this.o.logger;
    if (!log || (rec.esmClass & 0x40) === 0) return;
    try {
      const s = summarizeUdh(decodeUserDataWithHeader(rec.shortMessage).udh);
      const key = `${rec.destination}|${s.concat?.ref ?? 'single'}`;
      let parts = [rec.shortMessage];
      if (s.concat) {
        parts = [...(this.partial.get(key) ?? []), rec.shortMessage];
        if (parts.length < s.concat.total) {
          this.partial.set(key, parts);
          if (this.partial.size > 1000) this.partial.delete(this.partial.keys().next().value as string);
          return;
        }
        this.partial.delete(key);
      }
      const decoded = inspectSms(parts) as { messages?: { ports?: unknown; wsp?: Record<string, unknown> }[] };
      const m = decoded.messages?.[0];
      const wsp = m?.wsp;
      const body = wsp?.body as { mms?: Record<string, unknown> } | undefined;
      const { from: _from, to: _to, ...mms } = body?.mms ?? {};
      log.info(
        {
          msisdn: rec.destination, // personal data: redacted by the logger unless turned off
          parts: parts.length,
          ports: m?.ports,
          wsp: wsp ? { pdu: wsp.pdu, tid: wsp.tid, contentType: wsp.contentType, headers: wsp.headers } : undefined,
          ...(body?.mms ? { mms } : {}),
        },
        'demo SMSC received a push',
      );
    } catch (err) {
      log.info({ msisdn: rec.destination, err: (err as Error).message }, 'demo SMSC received an SMS it cannot decode');
    }
  }
}
