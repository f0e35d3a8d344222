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
 * The PDU codec is the npm `smpp` package (also the test SMSC's server; see the README's
 * dependency section). This file is an edge: it owns sockets and timers; the split and the
 * receipt parsing it uses are pure (src/codec/sms, ./smpp-receipt.ts).
 */
import type { Socket } from 'node:net';
import * as smpp from 'smpp';
import { partsNeeded, splitWdp, TooManyPartsError } from '../../codec/sms';
import { WapgwError } from '../../core/errors';
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

class Smsc {
  readonly o: ResolvedSmscOptions;
  readonly name: string;
  state: SmscState = 'idle';
  session: smpp.Session | undefined;
  inFlight = new Map<number, { part: PartJob; timer: NodeJS.Timeout }>();
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
    if (this.closed) return Promise.resolve(fail(true, 'ERR_SMPP_CLOSED', 'the SMS bearer is closed'));
    const dest = msisdn.replace(/^\+/, '');
    if (!/^[0-9]{1,20}$/.test(dest)) return Promise.resolve(fail(false, 'ERR_SMPP_BAD_ADDRESS', `not an MSISDN: ${msisdn}`));
    const primary = this.primary() ?? (this.smscs[0] as Smsc);
    const refBits = primary.o.concatRefBits;
    const n = partsNeeded(wdp.length, refBits);
    if (this.queue.length + n > this.maxQueued) {
      return Promise.resolve(fail(true, 'ERR_SMPP_QUEUE_FULL', `${this.queue.length} SMS already wait for an SMSC`));
    }
    if (!this.primary()) return Promise.resolve(fail(true, 'ERR_SMPP_NOT_BOUND', 'no SMSC is bound'));
    let parts: Buffer[];
    try {
      const ref = opts.ref ?? (this.ref = (this.ref + 1) & (refBits === 16 ? 0xffff : 0xff));
      parts = splitWdp(wdp, { dstPort: WAP_PUSH_PORT, srcPort: WSP_CL_PORT, ref, refBits, maxParts: primary.o.maxParts });
    } catch (e) {
      // too many parts, or a `ref` out of range for the reference size: retrying cannot help
      if (e instanceof TooManyPartsError || e instanceof WapgwError) return Promise.resolve(fail(false, e.code, e.message));
      throw e;
    }
    return new Promise<BearerOutcome>((resolve) => {
      const job: PushJob = { msisdn, registeredDelivery: opts.registeredDelivery, total: parts.length, ids: [], pending: parts.length, done: false, resolve };
      parts.forEach((ud, index) => this.queue.push({ job, index, ud, throttled: 0 }));
      this.pump();
    });
  }

  async close(deadline: number): Promise<void> {
    this.closed = true;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    for (const p of this.queue.splice(0)) this.finishPart(p, fail(true, 'ERR_SMPP_CLOSED', 'the SMS bearer closed before this SMS was sent'));
    const waitFor = async (s: Smsc): Promise<void> => {
      // let outstanding submits be answered until the deadline, then unbind
      while (s.inFlight.size > 0 && this.now() < deadline) await sleep(20);
      for (const { part, timer } of s.inFlight.values()) {
        clearTimeout(timer);
        this.finishPart(part, fail(true, 'ERR_SMPP_CLOSED', 'no submit_sm_resp before shutdown'));
      }
      s.inFlight.clear();
      for (const t of s.timers) clearTimeout(t);
      s.timers.clear();
      if (s.enquireTimer) clearInterval(s.enquireTimer);
      const session = s.session;
      s.session = undefined;
      this.setState(s, 'closed');
      if (!session) return;
      await new Promise<void>((resolve) => {
        const left = Math.max(0, deadline - this.now());
        const t = setTimeout(() => session.destroy(() => resolve()), Math.min(left, 2_000));
        session.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        const sent = (session as unknown as { unbind(cb: () => void): boolean }).unbind(() => session.close());
        if (!sent) session.destroy();
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
    const session = smpp.connect({ host: s.o.host, port: s.o.port });
    s.session = session;
    let lost = false;
    const onLost = (why: string) => {
      if (lost || s.session !== session) return;
      lost = true;
      this.sessionLost(s, why);
    };
    // the package stops reading a session after a PDU it cannot parse: drop it and reconnect
    session.on('error', (e: Error) => {
      onLost(e.message);
      session.destroy();
    });
    session.on('close', () => onLost('connection closed'));
    session.on('connect', () => {
      this.setState(s, 'binding');
      const cmd = s.o.bindMode === 'transmitter' ? 'bind_transmitter' : 'bind_transceiver';
      const pdu = new smpp.PDU(cmd, {
        system_id: s.o.systemId,
        password: s.o.password,
        system_type: s.o.systemType,
        interface_version: 0x34,
        addr_ton: 0,
        addr_npi: 0,
        address_range: '',
      });
      const t = setTimeout(() => {
        s.timers.delete(t);
        session.destroy();
        onLost('no bind response');
      }, s.o.responseTimeoutMs);
      s.timers.add(t);
      session.send(pdu, (resp) => {
        clearTimeout(t);
        s.timers.delete(t);
        if (s.session !== session) return; // closed or given up meanwhile
        if (resp.command_status !== 0) {
          s.lastError = `bind refused, status 0x${resp.command_status.toString(16)}`;
          session.destroy();
          onLost(s.lastError);
          return;
        }
        s.failures = 0;
        s.counts.binds++;
        this.setState(s, 'bound');
        s.enquireTimer = setInterval(() => this.enquire(s, session), s.o.enquireLinkMs);
        this.pump();
      });
    });
    session.on('pdu', (pdu: smpp.Pdu) => this.incoming(s, session, pdu));
  }

  private enquire(s: Smsc, session: smpp.Session): void {
    // no enquire_link_resp in time: the link is dead (SMPP 3.4 §4.11), drop it and reconnect
    const t = setTimeout(() => {
      s.timers.delete(t);
      session.destroy();
    }, s.o.responseTimeoutMs);
    s.timers.add(t);
    session.send(new smpp.PDU('enquire_link', {}), () => {
      clearTimeout(t);
      s.timers.delete(t);
    });
  }

  private incoming(s: Smsc, session: smpp.Session, pdu: smpp.Pdu): void {
    if (pdu.isResponse()) return; // answered through the send callbacks
    if (answerLinkControl(session, pdu)) return;
    switch (pdu.command) {
      case 'deliver_sm': {
        session.send(pdu.response());
        const sm = pdu.short_message as { message?: string | Buffer } | Buffer | undefined;
        const raw = Buffer.isBuffer(sm) ? sm : sm?.message;
        const text = raw === undefined ? undefined : Buffer.isBuffer(raw) ? raw.toString('latin1') : raw;
        const r = receiptFromDeliverSm(
          {
            esm_class: pdu.esm_class as number | undefined,
            receipted_message_id: pdu.receipted_message_id as string | undefined,
            message_state: pdu.message_state as number | undefined,
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
        session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number, command_status: 0x03 }));
    }
  }

  private sessionLost(s: Smsc, why: string): void {
    if (s.enquireTimer) clearInterval(s.enquireTimer);
    s.enquireTimer = undefined;
    s.session = undefined;
    for (const { part, timer } of s.inFlight.values()) {
      clearTimeout(timer);
      this.finishPart(part, fail(true, 'ERR_SMPP_CONNECTION_LOST', `${s.name}: ${why} before submit_sm_resp`));
    }
    s.inFlight.clear();
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

  private send(s: Smsc, session: smpp.Session, part: PartJob): void {
    const dest = part.job.msisdn.replace(/^\+/, '');
    const international = part.job.msisdn.startsWith('+');
    const pdu = new smpp.PDU('submit_sm', {
      service_type: s.o.serviceType,
      source_addr_ton: s.o.sourceAddrTon,
      source_addr_npi: s.o.sourceAddrNpi,
      source_addr: s.o.sourceAddr,
      dest_addr_ton: international ? 1 : 0, // international / unknown (§5.2.5)
      dest_addr_npi: 1, // ISDN E.164 (§5.2.6)
      destination_addr: dest,
      esm_class: 0x40, // UDHI (§5.2.12)
      protocol_id: 0,
      priority_flag: 0,
      registered_delivery: part.job.registeredDelivery ? 1 : 0,
      data_coding: 0x04, // 8-bit binary (§5.2.19)
      short_message: part.ud,
    });
    s.counts.submitted++;
    corkForThisTick(session);
    const sent = session.send(pdu, (resp) => {
      const entry = s.inFlight.get(pdu.sequence_number);
      if (!entry) return;
      clearTimeout(entry.timer);
      s.inFlight.delete(pdu.sequence_number);
      this.answered(s, part, resp);
      this.pump();
    });
    if (!sent) {
      // the socket is no longer writable: the SMS waits for the next bound session
      s.counts.submitted--;
      this.queue.unshift(part);
      session.destroy();
      this.sessionLost(s, 'socket not writable');
      return;
    }
    const timer = setTimeout(() => {
      // no answer in time: the session is unusable (§2.9: the ESME may drop it)
      if (s.session === session) session.destroy();
    }, s.o.responseTimeoutMs);
    s.inFlight.set(pdu.sequence_number, { part, timer });
  }

  private answered(s: Smsc, part: PartJob, resp: smpp.Pdu): void {
    const status = resp.command_status;
    const { job } = part;
    if (status === 0 && resp.command === 'submit_sm_resp') {
      const id = String(resp.message_id ?? '');
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
    this.finishPart(part, fail(TRANSIENT.has(status), code, `${s.name} answered ${resp.command} status 0x${status.toString(16)} to part ${part.index + 1}/${job.total}`));
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
function corkForThisTick(session: smpp.Session): void {
  const socket = (session as unknown as { socket?: Socket }).socket;
  if (!socket || socket.writableCorked > 0) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
}

function fail(retry: boolean, code: string, reason: string): BearerOutcome {
  return { ok: false, retry, code, reason };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
