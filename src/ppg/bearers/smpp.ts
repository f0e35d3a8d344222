/**
 * The SMS bearer: an SMPP 3.4 client (ESME) toward the operator's SMSCs, in failover order.
 *
 * - Sessions (SMPP 3.4 §2.2, §4.1): TCP connect, bind_transceiver or bind_transmitter with
 *   interface_version 0x34, enquire_link every `enquireLinkMs` while bound (§4.11), reconnect after
 *   any loss with exponential back-off (reconnectMinMs doubling up to reconnectMaxMs), unbind on close.
 * - Failover: every submit goes to the first SMSC in the list that is bound right now; while it is
 *   down, the next bound one takes over, and the first takes back when it binds again.
 * - Submits: the WDP datagram is split by src/codec/sms (16-bit ports 2948 <- 9200; concatenation
 *   with an 8-bit or 16-bit reference, `maxParts` at most), one submit_sm per part (§4.4):
 *   esm_class 0x40 (UDHI), data_coding 0x04 (8-bit binary), registered_delivery 1 when asked.
 *   Parts wait in one bounded FIFO; the pump sends while the chosen SMSC has a free window slot
 *   (`windowSize` outstanding submit_sm) and a token of its rate limit (`maxPerSecond`). When the
 *   last bound session is lost, what is queued answers retry:true at once (ERR_SMPP_NOT_BOUND).
 * - Answers (§5.1.3): ESME_RTHROTTLED (0x58) and ESME_RMSGQFUL (0x14) put the part back at the
 *   head of the queue and pause that SMSC (1 s, then 2 s, 4 s), at most THROTTLE_RETRIES times per
 *   part; then the push answers retry:true. Other statuses answer at once: transient ones
 *   (system error, submit failed, temporary app error) retry:true, the rest retry:false.
 * - Receipts: deliver_sm with esm_class "SMSC Delivery Receipt" are acknowledged and parsed
 *   (receipted_message_id / message_state TLVs, else the Appendix B text) and given to onReceipt.
 *   An id that matches no recent submit is tried in its other spellings (decimal <-> hexadecimal,
 *   case), which SMSCs mix between submit_sm_resp and the receipt text.
 *
 * - Response deadlines: each outstanding request carries its send time; one timer per session,
 *   armed for the oldest outstanding submit_sm, drops the session when an answer is later than
 *   `responseTimeoutMs` (no timer per submit).
 *
 * The PDU codec is our own (src/codec/smpp: the few PDUs an ESME sends and reads); the npm `smpp`
 * package is the test SMSC's and the demo SMSC's server (see the README's dependency section).
 * This file is an edge: it owns sockets and timers; the codec, the split and the receipt parsing
 * it uses are pure (src/codec/smpp, src/codec/sms, ./smpp-receipt.ts).
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import type * as smpp from 'smpp';
import {
  COMMAND,
  commandName,
  decodeDeliverSm,
  decodeSubmitSmResp,
  encodeBind,
  encodeDeliverSmResp,
  encodeHeaderOnly,
  encodeSubmitSm,
  isResponse,
  PduReader,
  TLV,
  type SmppPdu,
} from '../../codec/smpp';
import { partsNeeded, splitWdp, TooManyPartsError } from '../../codec/sms';
import { DecodeError, EncodeError, WapgwError } from '../../core/errors';
import {
  type BearerOutcome,
  type DeliveryReceipt,
  type ResolvedSmscOptions,
  type SmsBearer,
  type SmscOptions,
  type SmsSubmitOptions,
  resolveSmscOptions,
  WAP_PUSH_PORT,
  WSP_CL_PORT,
} from '../bearer';
import { LRUCache } from 'lru-cache';
import { messageIdVariants, receiptFromDeliverSm } from './smpp-receipt';

/** Command status values used here (SMPP 3.4 §5.1.3 Table 5-2). */
export const SMPP_STATUS = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDID: 0x03,
  ESME_RSYSERR: 0x08,
  ESME_RINVDSTADR: 0x0b,
  ESME_RBINDFAIL: 0x0d,
  ESME_RMSGQFUL: 0x14,
  ESME_RSUBMITFAIL: 0x45,
  ESME_RTHROTTLED: 0x58,
  ESME_RX_T_APPN: 0x64,
} as const;

const THROTTLING = new Set<number>([SMPP_STATUS.ESME_RTHROTTLED, SMPP_STATUS.ESME_RMSGQFUL]);
/** Statuses after which the same submit may succeed later (SMSC-side, not the message's fault). */
const TRANSIENT = new Set<number>([SMPP_STATUS.ESME_RSYSERR, SMPP_STATUS.ESME_RSUBMITFAIL, SMPP_STATUS.ESME_RX_T_APPN, ...THROTTLING]);
const THROTTLE_RETRIES = 3;
/** A destination_addr (§5.2.9: up to 20 digits here; the leading + of an international number removed). */
const MSISDN = /^[0-9]{1,20}$/;
const THROTTLE_PAUSE_MS = 1_000;

export type SmscState = 'idle' | 'connecting' | 'binding' | 'bound' | 'backoff' | 'closed';

export interface SmppBearerOptions {
  smsc: readonly SmscOptions[];
  /** Most SMS parts waiting for a window slot; more answer retry:true (ERR_SMPP_QUEUE_FULL). */
  maxQueued?: number;
  /** ms since the epoch; injectable for receipts' `at`. */
  now?: () => number;
  /** Called on session state changes and per SMS (the caller logs and counts). */
  onEvent?: (e: SmppEvent) => void;
  /** For tests: override the back-off pause after throttling. */
  throttlePauseMs?: number;
}

export type SmppEvent =
  | { type: 'state'; smsc: string; state: SmscState; reason?: string }
  | { type: 'submitted'; smsc: string; msisdn: string; part: number; total: number; messageId: string }
  | { type: 'refused'; smsc: string; msisdn: string; part: number; total: number; status: number }
  | { type: 'receipt'; smsc: string; receipt: DeliveryReceipt };

interface PushJob {
  msisdn: string;
  registeredDelivery: boolean;
  total: number;
  ids: (string | undefined)[];
  pending: number;
  done: boolean;
  resolve: (o: BearerOutcome) => void;
}

interface PartJob {
  job: PushJob;
  index: number;
  ud: Buffer;
  throttled: number;
}

/**
 * One TCP connection to an SMSC: sequence numbers (§3.2: 1..0x7FFFFFFF, then round again), the
 * callbacks waiting for responses by sequence number, and the reader of incoming PDUs.
 */
class Link {
  private seq = 0;
  readonly waiting = new Map<number, (pdu: SmppPdu) => void>();
  readonly reader = new PduReader();
  constructor(readonly socket: Socket) {}

  nextSeq(): number {
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  get writable(): boolean {
    return this.socket.writable;
  }

  /** Sends a request made by `encode(seq)`; `onResponse` gets its response. False when the socket cannot be written. */
  request(encode: (seq: number) => Buffer, onResponse?: (pdu: SmppPdu) => void): number | undefined {
    if (!this.socket.writable) return undefined;
    const seq = this.nextSeq();
    const buf = encode(seq);
    if (onResponse) this.waiting.set(seq, onResponse);
    this.socket.write(buf);
    return seq;
  }

  write(buf: Buffer): void {
    if (this.socket.writable) this.socket.write(buf);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

interface Outstanding {
  part: PartJob;
  /** performance.now() when it was sent (response deadline). */
  at: number;
}

class Smsc {
  readonly o: ResolvedSmscOptions;
  readonly name: string;
  state: SmscState = 'idle';
  session: Link | undefined;
  /** Outstanding submit_sm by sequence number, in the order sent (the first is the oldest). */
  inFlight = new Map<number, Outstanding>();
  /** The response-deadline timer (for the oldest outstanding submit_sm). */
  deadlineTimer: NodeJS.Timeout | undefined;
  failures = 0;
  lastError: string | undefined;
  pausedUntil = 0;
  tokens: number;
  tokenAt = 0;
  timers = new Set<NodeJS.Timeout>();
  enquireTimer: NodeJS.Timeout | undefined;
  counts = { submitted: 0, accepted: 0, refused: 0, throttled: 0, receipts: 0, binds: 0 };

  constructor(o: SmscOptions) {
    this.o = resolveSmscOptions(o);
    this.name = `${this.o.host}:${this.o.port}`;
    this.tokens = this.o.maxPerSecond;
  }

  /** Token bucket (capacity maxPerSecond, refilled continuously): ms until a token, 0 = now. */
  tokenWait(now: number): number {
    const rate = this.o.maxPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokenAt) * rate) / 1000);
    this.tokenAt = now;
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / rate);
  }
}

export class SmppBearer implements SmsBearer {
  private readonly smscs: Smsc[];
  private readonly queue: PartJob[] = [];
  private readonly receiptCbs: ((r: DeliveryReceipt) => void)[] = [];
  private readonly maxQueued: number;
  private readonly now: () => number;
  private readonly onEvent: (e: SmppEvent) => void;
  private readonly throttlePauseMs: number;
  private ref = 0;
  private closed = false;
  /** message_ids of recent submits with registered_delivery (bounded), to match receipts that spell them otherwise. */
  private readonly submittedIds = new LRUCache<string, true>({ max: 200_000 });
  private pumpTimer: NodeJS.Timeout | undefined;

  constructor(opts: SmppBearerOptions) {
    if (opts.smsc.length === 0) throw new Error('SmppBearer needs at least one SMSC');
    this.smscs = opts.smsc.map((o) => new Smsc(o));
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.onEvent = opts.onEvent ?? (() => undefined);
    this.throttlePauseMs = opts.throttlePauseMs ?? THROTTLE_PAUSE_MS;
  }

  async start(): Promise<void> {
    this.closed = false;
    for (const s of this.smscs) this.connect(s);
  }

  onReceipt(cb: (r: DeliveryReceipt) => void): void {
    this.receiptCbs.push(cb);
  }

  healthy(): boolean {
    return this.smscs.some((s) => s.state === 'bound');
  }

  status(): Record<string, unknown> {
    return {
      queued: this.queue.length,
      smsc: this.smscs.map((s) => ({
        smsc: s.name,
        systemId: s.o.systemId,
        bindMode: s.o.bindMode,
        state: s.state,
        window: { inUse: s.inFlight.size, size: s.o.windowSize },
        maxPerSecond: s.o.maxPerSecond,
        failures: s.failures,
        ...(s.lastError ? { lastError: s.lastError } : {}),
        ...s.counts,
      })),
    };
  }

  submit(msisdn: string, wdp: Buffer, opts: SmsSubmitOptions): Promise<BearerOutcome> {
    return new Promise<BearerOutcome>((resolve) => this.submitWith(msisdn, wdp, opts, resolve));
  }

  submitWith(msisdn: string, wdp: Buffer, opts: SmsSubmitOptions, done: (o: BearerOutcome) => void): void {
    if (this.closed) return done(fail(true, 'ERR_SMPP_CLOSED', 'the SMS bearer is closed'));
    const dest = msisdn.charCodeAt(0) === 0x2b ? msisdn.slice(1) : msisdn;
    if (!MSISDN.test(dest)) return done(fail(false, 'ERR_SMPP_BAD_ADDRESS', `not an MSISDN: ${msisdn}`));
    const primary = this.primary() ?? (this.smscs[0] as Smsc);
    const refBits = primary.o.concatRefBits;
    const n = partsNeeded(wdp.length, refBits);
    if (this.queue.length + n > this.maxQueued) {
      return done(fail(true, 'ERR_SMPP_QUEUE_FULL', `${this.queue.length} SMS already wait for an SMSC`));
    }
    if (!this.primary()) return done(fail(true, 'ERR_SMPP_NOT_BOUND', 'no SMSC is bound'));
    let parts: Buffer[];
    try {
      const ref = opts.ref ?? (this.ref = (this.ref + 1) & (refBits === 16 ? 0xffff : 0xff));
      parts = splitWdp(wdp, { dstPort: WAP_PUSH_PORT, srcPort: WSP_CL_PORT, ref, refBits, maxParts: primary.o.maxParts });
    } catch (e) {
      // too many parts, or a `ref` out of range for the reference size: retrying cannot help
      if (e instanceof TooManyPartsError || e instanceof WapgwError) return done(fail(false, e.code, e.message));
      throw e;
    }
    const job: PushJob = { msisdn, registeredDelivery: opts.registeredDelivery, total: parts.length, ids: [], pending: parts.length, done: false, resolve: done };
    for (let index = 0; index < parts.length; index++) this.queue.push({ job, index, ud: parts[index] as Buffer, throttled: 0 });
    this.pump();
  }

  async close(deadline: number): Promise<void> {
    this.closed = true;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    for (const p of this.queue.splice(0)) this.finishPart(p, fail(true, 'ERR_SMPP_CLOSED', 'the SMS bearer closed before this SMS was sent'));
    const waitFor = async (s: Smsc): Promise<void> => {
      // let outstanding submits be answered until the deadline, then unbind
      while (s.inFlight.size > 0 && this.now() < deadline) await sleep(20);
      for (const { part } of s.inFlight.values()) this.finishPart(part, fail(true, 'ERR_SMPP_CLOSED', 'no submit_sm_resp before shutdown'));
      s.inFlight.clear();
      this.clearDeadline(s);
      for (const t of s.timers) clearTimeout(t);
      s.timers.clear();
      if (s.enquireTimer) clearInterval(s.enquireTimer);
      const session = s.session;
      s.session = undefined;
      this.setState(s, 'closed');
      if (!session) return;
      await new Promise<void>((resolve) => {
        const socket = session.socket;
        if (socket.destroyed) return resolve();
        const left = Math.max(0, deadline - this.now());
        const t = setTimeout(() => socket.destroy(), Math.min(left, 2_000));
        socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        // unbind (§4.2), then close once the SMSC answered unbind_resp
        const sent = session.request((seq) => encodeHeaderOnly(COMMAND.unbind, 0, seq), () => socket.end());
        if (sent === undefined) socket.destroy();
      });
    };
    await Promise.all(this.smscs.map(waitFor));
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  private primary(): Smsc | undefined {
    return this.smscs.find((s) => s.state === 'bound');
  }

  private setState(s: Smsc, state: SmscState, reason?: string): void {
    if (s.state === state) return;
    s.state = state;
    if (reason) s.lastError = reason;
    this.onEvent({ type: 'state', smsc: s.name, state, ...(reason ? { reason } : {}) });
  }

  private later(s: Smsc, ms: number, f: () => void): void {
    const t = setTimeout(() => {
      s.timers.delete(t);
      f();
    }, ms);
    s.timers.add(t);
  }

  private connect(s: Smsc): void {
    if (this.closed) return;
    this.setState(s, 'connecting');
    const socket = tcpConnect({ host: s.o.host, port: s.o.port, noDelay: true });
    const session = new Link(socket);
    s.session = session;
    let lost = false;
    const onLost = (why: string) => {
      if (lost || s.session !== session) return;
      lost = true;
      this.sessionLost(s, why);
    };
    socket.on('error', (e: Error) => {
      onLost(e.message);
      socket.destroy();
    });
    socket.on('close', () => onLost('connection closed'));
    socket.on('data', (chunk: Buffer) => {
      try {
        session.reader.push(chunk, (pdu) => this.incoming(s, session, pdu));
      } catch (e) {
        // a PDU that cannot be framed or decoded: the stream cannot be trusted any more (§2.9)
        if (!(e instanceof DecodeError)) throw e;
        onLost(e.message);
        socket.destroy();
      }
    });
    socket.on('connect', () => {
      this.setState(s, 'binding');
      const cmd = s.o.bindMode === 'transmitter' ? COMMAND.bind_transmitter : COMMAND.bind_transceiver;
      const t = setTimeout(() => {
        s.timers.delete(t);
        socket.destroy();
        onLost('no bind response');
      }, s.o.responseTimeoutMs);
      s.timers.add(t);
      const bind = (seq: number) =>
        encodeBind(cmd, seq, { systemId: s.o.systemId, password: s.o.password, systemType: s.o.systemType, interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' });
      try {
        session.request(bind, (resp) => {
          clearTimeout(t);
          s.timers.delete(t);
          if (s.session !== session) return; // closed or given up meanwhile
          if (resp.status !== 0) {
            s.lastError = `bind refused, status 0x${resp.status.toString(16)}`;
            socket.destroy();
            onLost(s.lastError);
            return;
          }
          s.failures = 0;
          s.counts.binds++;
          this.setState(s, 'bound');
          s.enquireTimer = setInterval(() => this.enquire(s, session), s.o.enquireLinkMs);
          this.pump();
        });
      } catch (e) {
        // a bind field that SMPP cannot carry (EncodeError): reported, retried with back-off
        clearTimeout(t);
        s.timers.delete(t);
        socket.destroy();
        onLost(`bind not sent: ${(e as Error).message}`);
      }
    });
  }

  private enquire(s: Smsc, session: Link): void {
    // no enquire_link_resp in time: the link is dead (SMPP 3.4 §4.11), drop it and reconnect
    const t = setTimeout(() => {
      s.timers.delete(t);
      session.destroy();
    }, s.o.responseTimeoutMs);
    s.timers.add(t);
    session.request(
      (seq) => encodeHeaderOnly(COMMAND.enquire_link, 0, seq),
      () => {
        clearTimeout(t);
        s.timers.delete(t);
      },
    );
  }

  private incoming(s: Smsc, session: Link, pdu: SmppPdu): void {
    if (isResponse(pdu.commandId)) {
      // a response (generic_nack included) goes to the request it answers
      const cb = session.waiting.get(pdu.seq);
      if (cb) {
        session.waiting.delete(pdu.seq);
        cb(pdu);
      }
      return;
    }
    switch (pdu.commandId) {
      case COMMAND.enquire_link:
        session.write(encodeHeaderOnly(COMMAND.enquire_link_resp, 0, pdu.seq));
        return;
      case COMMAND.unbind:
        session.write(encodeHeaderOnly(COMMAND.unbind_resp, 0, pdu.seq));
        session.socket.end();
        return;
      case COMMAND.deliver_sm: {
        const d = decodeDeliverSm(pdu); // a DecodeError drops the session (see the data handler)
        session.write(encodeDeliverSmResp(pdu.seq));
        const raw = d.shortMessage.length > 0 ? d.shortMessage : d.tlvs.get(TLV.message_payload);
        const text = raw === undefined ? undefined : raw.toString('latin1');
        const r = receiptFromDeliverSm(
          {
            esm_class: d.esmClass,
            receipted_message_id: d.receiptedMessageId,
            message_state: d.messageState,
            ...(text !== undefined ? { text } : {}),
          },
          this.now(),
        );
        if (r) {
          // match the id as the submit_sm_resp gave it, when the receipt spells it differently
          if (!this.submittedIds.has(r.messageId)) {
            const alt = messageIdVariants(r.messageId).find((v) => this.submittedIds.has(v));
            if (alt !== undefined) r.messageId = alt;
          }
          s.counts.receipts++;
          this.onEvent({ type: 'receipt', smsc: s.name, receipt: r });
          for (const cb of this.receiptCbs) cb(r);
        }
        return;
      }
      default:
        // anything else an ESME does not expect: generic_nack, invalid command id (§5.1.3)
        session.write(encodeHeaderOnly(COMMAND.generic_nack, SMPP_STATUS.ESME_RINVCMDID, pdu.seq));
    }
  }

  private sessionLost(s: Smsc, why: string): void {
    if (s.enquireTimer) clearInterval(s.enquireTimer);
    s.enquireTimer = undefined;
    s.session = undefined;
    for (const { part } of s.inFlight.values()) this.finishPart(part, fail(true, 'ERR_SMPP_CONNECTION_LOST', `${s.name}: ${why} before submit_sm_resp`));
    s.inFlight.clear();
    this.clearDeadline(s);
    if (this.closed) return;
    s.failures++;
    const delay = Math.min(s.o.reconnectMaxMs, s.o.reconnectMinMs * 2 ** Math.min(s.failures - 1, 20));
    this.setState(s, 'backoff', why);
    this.later(s, delay, () => this.connect(s));
    if (!this.primary()) {
      // no SMSC left bound: what waits would wait for an unknown time; the PPG retries it later
      for (const p of this.queue.splice(0)) this.finishPart(p, fail(true, 'ERR_SMPP_NOT_BOUND', 'no SMSC is bound'));
    }
    this.pump();
  }

  // -------------------------------------------------------------------------------------------
  // The pump: the queue head goes to the primary SMSC when it has a window slot and a token.

  private pump(): void {
    if (this.pumpTimer) {
      clearTimeout(this.pumpTimer);
      this.pumpTimer = undefined;
    }
    while (this.queue.length > 0 && !this.closed) {
      const s = this.primary();
      if (!s || !s.session) return; // (nothing queued stays without a bound SMSC: sessionLost fails it)
      if (s.inFlight.size >= s.o.windowSize) return; // a response calls pump
      const now = this.now();
      const wait = Math.max(s.pausedUntil - now, s.tokenWait(now));
      if (wait > 0) {
        this.pumpTimer = setTimeout(() => this.pump(), wait);
        return;
      }
      const part = this.queue.shift() as PartJob;
      if (part.job.done) continue; // an earlier part of this push already failed
      s.tokens -= 1;
      this.send(s, s.session, part);
    }
  }

  private send(s: Smsc, session: Link, part: PartJob): void {
    const { job } = part;
    const international = job.msisdn.startsWith('+');
    let seq: number | undefined;
    corkForThisTick(session.socket);
    try {
      seq = session.request(
        (n) =>
          encodeSubmitSm(n, {
            serviceType: s.o.serviceType,
            sourceAddrTon: s.o.sourceAddrTon,
            sourceAddrNpi: s.o.sourceAddrNpi,
            sourceAddr: s.o.sourceAddr,
            destAddrTon: international ? 1 : 0, // international / unknown (§5.2.5)
            destAddrNpi: 1, // ISDN E.164 (§5.2.6)
            destinationAddr: international ? job.msisdn.slice(1) : job.msisdn,
            esmClass: 0x40, // UDHI (§5.2.12)
            protocolId: 0,
            priorityFlag: 0,
            registeredDelivery: job.registeredDelivery ? 1 : 0,
            replaceIfPresent: 0,
            dataCoding: 0x04, // 8-bit binary (§5.2.19)
            smDefaultMsgId: 0,
            shortMessage: part.ud,
          }),
        (resp) => {
          if (!s.inFlight.delete(resp.seq)) return;
          this.answered(s, part, resp);
          this.pump();
        },
      );
    } catch (e) {
      // a configured field SMPP cannot carry (source_addr, service_type too long): no SMSC would take it
      if (!(e instanceof EncodeError)) throw e;
      this.finishPart(part, fail(false, e.code, e.message));
      return;
    }
    if (seq === undefined) {
      // the socket is no longer writable: the SMS waits for the next bound session
      this.queue.unshift(part);
      session.destroy();
      this.sessionLost(s, 'socket not writable');
      return;
    }
    s.counts.submitted++;
    s.inFlight.set(seq, { part, at: performance.now() });
    if (s.deadlineTimer === undefined) this.armDeadline(s, session, s.o.responseTimeoutMs);
  }

  /**
   * The response deadline (§2.9: an ESME may drop a session whose SMSC stopped answering): one
   * timer for the oldest outstanding submit_sm; when it fires, a later one re-arms it for itself.
   */
  private armDeadline(s: Smsc, session: Link, ms: number): void {
    s.deadlineTimer = setTimeout(() => {
      s.deadlineTimer = undefined;
      if (s.session !== session) return;
      const oldest = s.inFlight.values().next();
      if (oldest.done) return;
      const late = performance.now() - oldest.value.at;
      if (late >= s.o.responseTimeoutMs) session.destroy();
      else this.armDeadline(s, session, s.o.responseTimeoutMs - late);
    }, Math.max(1, Math.ceil(ms)));
  }

  private clearDeadline(s: Smsc): void {
    if (s.deadlineTimer !== undefined) clearTimeout(s.deadlineTimer);
    s.deadlineTimer = undefined;
  }

  private answered(s: Smsc, part: PartJob, resp: SmppPdu): void {
    const status = resp.status;
    const { job } = part;
    if (status === 0 && resp.commandId === COMMAND.submit_sm_resp) {
      let id: string;
      try {
        id = decodeSubmitSmResp(resp).messageId;
      } catch {
        id = ''; // accepted, but the id is unreadable: no receipt can be matched to it
      }
      s.counts.accepted++;
      this.onEvent({ type: 'submitted', smsc: s.name, msisdn: job.msisdn, part: part.index + 1, total: job.total, messageId: id });
      job.ids[part.index] = id;
      if (job.registeredDelivery) this.submittedIds.set(id, true);
      this.finishPart(part, undefined);
      return;
    }
    if (THROTTLING.has(status) && part.throttled < THROTTLE_RETRIES && !this.closed) {
      s.counts.throttled++;
      s.pausedUntil = this.now() + this.throttlePauseMs * 2 ** part.throttled;
      part.throttled++;
      this.queue.unshift(part);
      return;
    }
    s.counts.refused++;
    this.onEvent({ type: 'refused', smsc: s.name, msisdn: job.msisdn, part: part.index + 1, total: job.total, status });
    const code = status === SMPP_STATUS.ESME_RTHROTTLED ? 'ERR_SMPP_THROTTLED' : status === SMPP_STATUS.ESME_RMSGQFUL ? 'ERR_SMPP_MSGQFUL' : `ERR_SMPP_STATUS_0x${status.toString(16).padStart(2, '0')}`;
    this.finishPart(part, fail(TRANSIENT.has(status), code, `${s.name} answered ${commandName(resp.commandId)} status 0x${status.toString(16)} to part ${part.index + 1}/${job.total}`));
  }

  /** A part is done: `failure` ends the whole push (its other parts are dropped); else the last part resolves it. */
  private finishPart(part: PartJob, failure: BearerOutcome | undefined): void {
    const { job } = part;
    if (job.done) return;
    if (failure) {
      job.done = true;
      job.resolve(failure);
      return;
    }
    job.pending--;
    if (job.pending === 0) {
      job.done = true;
      job.resolve({ ok: true, messageIds: job.ids as string[] });
    }
  }
}

/**
 * Either side's answer to the session-control requests of SMPP 3.4 §4.11 / §4.2: enquire_link gets
 * enquire_link_resp; unbind gets unbind_resp, then the connection is closed. True when handled.
 */
export function answerLinkControl(session: smpp.Session, pdu: smpp.Pdu): boolean {
  if (pdu.command === 'enquire_link') session.send(pdu.response());
  else if (pdu.command === 'unbind') session.send(pdu.response(), undefined, () => session.close());
  else return false;
  return true;
}

/**
 * Holds the session's socket writes until the end of this tick, so that the submit_sm PDUs a
 * pump sends together (a window refilled by a burst of submit_sm_resp) leave in one writev
 * instead of one write(2) each.
 */
function corkForThisTick(socket: Socket): void {
  if (socket.writableCorked > 0) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
}

function fail(retry: boolean, code: string, reason: string): BearerOutcome {
  return { ok: false, retry, code, reason };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
