/**
 * The Push Proxy Gateway component (WAP-249-PPGService; PAP per WAP-247): the PAP endpoint
 * (src/ppg/server.ts) in, WAP Push out over SMS (SmsBearer) or UDP (IpBearer), with every
 * accepted push in the durable queue (src/ppg/queue.ts + journal.ts) until a bearer takes it or
 * its deliver-before-timestamp passes.
 *
 * - push-message: content checked/compiled (src/ppg/content.ts), one queue entry per address,
 *   journalled (fdatasync) before the 1001 answer. Fan-out: each address has its own state.
 * - Bearer choice per address: IPv4/IPv6 by UDP to 2948; PLMN by SMS, or by UDP to the bound
 *   address when `ppg.ipPushForBound` and the subscriber table binds the MSISDN (IPv4, or IPv6
 *   when RADIUS gave the phone's own address in its /64).
 * - Retry with capped exponential back-off on transient failures until accepted or expired;
 *   permanent failures make the address undeliverable.
 * - Result notifications (WAP-247 §9.5) to ppg-notify-requested-to when an address reaches a
 *   final state, retried a bounded number of times; the initiator's resultnotification-response
 *   is read and logged.
 * - Delivery receipts from the SMSC update the address (a failure is notified again).
 * - cancel-message, statusquery-message answered from the queue; ccq-message answered 3008
 *   (the PPG keeps no device capabilities).
 *
 * The only timer is the edge's TimerDriver; `now` (wall-clock ms) is injected for tests.
 */
import type { Config } from '../config/schema';
import type { Component, Listening } from '../core/component';
import { WapgwError } from '../core/errors';
import type { Logger } from '../core/logger';
import { TimerDriver, type TimerSource } from '../edge/timer-driver';
import { peekMmsHeaders, type MmsHeaderPeek } from '../codec/mms/peek';
import type { UsageSink } from '../ops/usage-records';
import type { Metrics, Tally } from '../ops/metrics';
import type { SubscriberStore } from '../subscribers/types';
import { TimerHeap } from '../wtp/timer-heap';
import type { BearerOutcome, IpBearer, SmsBearer } from './bearer';
import { preparePushContent } from './content';
import { Journal } from './journal';
import {
  PapError,
  decodePap,
  encodePap,
  papCodeName,
  type CancelResult,
  type PapDocument,
  type PapResponse,
  type PushMessage,
  type ResultNotificationMessage,
  type StatusQueryResult,
} from './pap';
import { PAP_STATE, PushQueue, pushBody, type AddressEntry, type JournalRecord, type PushInput, type QueuedPush } from './queue';
import { PapServer, type PapContext, type PapHandler } from './server';
import { encodeConnectionlessPush } from './wsp-push';

export interface PpgDeps {
  config: Config['ppg'];
  logger: Logger;
  metrics: Metrics;
  subscribers?: SubscriberStore;
  sms?: SmsBearer;
  ip?: IpBearer;
  /** Wall-clock ms (deliver-before is absolute time). */
  now?: () => number;
  /** Usage records (usageRecords.*): one record, bearer `push`, per MMS push a bearer accepted. */
  usage?: UsageSink;
}

interface Ref {
  push: QueuedPush;
  i: number;
}

/** Label sets of the per-push counters (kept as tallies, added to the counters at scrape time). */
const ACCEPTED = { outcome: 'accepted', bearer: 'none' } as const;
const DELIVERED_SMS = { outcome: 'delivered', bearer: 'sms' } as const;
const DELIVERED_IP = { outcome: 'delivered', bearer: 'ip' } as const;
const SMS_OK = { outcome: 'ok' } as const;

/** Attempts handed to bearers at once; more wait in the queue. */
const MAX_IN_FLIGHT = 2000;

export class Ppg implements Component, PapHandler {
  readonly name = 'ppg';
  private readonly config: Config['ppg'];
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly tally: Record<'accepted' | 'deliveredSms' | 'deliveredIp' | 'smsOk', Tally>;
  private readonly now: () => number;
  private readonly queue: PushQueue;
  private readonly server: PapServer;
  private readonly driver: TimerDriver;
  private journal: Journal | undefined;
  private inFlight = 0;
  /** close() waiting for the attempts in flight to end. */
  private idleWaiters: (() => void)[] = [];
  private tid = 0;
  private stopping = false;
  /** Result notifications: retries waiting (key "pushKey#i") and those being sent. */
  private readonly notifyRetry = new TimerHeap<Ref>();
  private readonly notifyTries = new Map<string, number>();
  private readonly notifying = new Set<string>();

  constructor(private readonly deps: PpgDeps) {
    this.config = deps.config;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    // the counters every push moves: plain numbers added to the registry when it is read
    // (Metrics.tally) instead of prom-client's label hashing on every push
    this.tally = {
      accepted: this.metrics.tally(this.metrics.ppgPushes, ACCEPTED),
      deliveredSms: this.metrics.tally(this.metrics.ppgPushes, DELIVERED_SMS),
      deliveredIp: this.metrics.tally(this.metrics.ppgPushes, DELIVERED_IP),
      smsOk: this.metrics.tally(this.metrics.ppgSms, SMS_OK),
    };
    this.now = deps.now ?? Date.now;
    const l = this.config.limits;
    this.queue = new PushQueue({ maxPending: l.maxPending, maxFinished: l.maxFinished, retainMs: l.retainMs, defaultLifetimeMs: this.config.retry.defaultLifetimeMs, trackReceipts: this.config.registeredDelivery });
    this.server = new PapServer({ config: this.config, logger: this.logger, metrics: this.metrics, handler: this });
    this.driver = new TimerDriver({ now: this.now }, (err) => this.logger.error({ err }, 'PPG timer work failed'));
    const deliveries: TimerSource = {
      nextDeadline: () => (this.inFlight >= MAX_IN_FLIGHT || this.stopping ? undefined : this.queue.nextDeadline()),
      tick: () => this.pump(),
    };
    const notifications: TimerSource = {
      nextDeadline: () => this.notifyRetry.peek()?.at,
      tick: (now) => {
        for (let e = this.notifyRetry.peek(); e && e.at <= now; e = this.notifyRetry.peek()) {
          this.notifyRetry.pop();
          this.sendNotification(e.item);
        }
      },
    };
    this.driver.add(deliveries);
    this.driver.add(notifications);
    // the queue gauges are read at scrape time, not set after every push
    this.metrics.ppgGauges = () => this.refreshGauges();
  }

  async start(): Promise<Listening[]> {
    const dir = this.config.stateDir;
    if (!dir) throw new WapgwError('ERR_CONFIG', 'ppg.stateDir: required when ppg.enabled is true');
    const t0 = performance.now();
    // records are replayed as they are read (the journal file is never held whole)
    const { journal, stats } = await Journal.open({ dir, fsync: this.config.fsync, compactMinBytes: 16 * 1024 * 1024 }, (r) => this.queue.replayOne(r));
    this.journal = journal;
    await journal.compactNow(() => this.queue.snapshot());
    this.logger.info(
      { stateDir: dir, records: stats.records, corrupt: stats.corrupt, torn: stats.torn, pushes: this.queue.size, active: this.queue.activeCount, ms: Math.round(performance.now() - t0) },
      'push queue loaded',
    );
    if (stats.corrupt > 0) this.logger.warn({ corrupt: stats.corrupt }, 'push journal had unreadable lines (skipped)');
    this.deps.sms?.onReceipt((r) => this.onReceipt(r.messageId, r.state));
    await this.deps.sms?.start();
    const a = await this.server.start();
    this.driver.rearm();
    for (const ref of this.queue.notificationsDue()) this.sendNotification(ref);
    return [{ name: 'ppg', protocol: 'tcp', address: a.address, port: a.port }];
  }

  healthy(): boolean {
    return this.server.listening;
  }

  prepareReload(next: Config): () => void {
    return () => this.server.applyAccess(next.ppg);
  }

  async close(deadline: number): Promise<void> {
    this.stopping = true;
    await this.server.close(deadline);
    this.driver.stop();
    // attempts in flight finish (their outcome is journalled) or are cut at the deadline: an
    // attempt without a journalled outcome is simply made again after the restart
    const wait = new Promise<void>((resolve) => (this.inFlight === 0 ? resolve() : this.idleWaiters.push(resolve)));
    await Promise.race([wait, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
    await this.deps.sms?.close(deadline);
    // the IP bearer may own sockets (when it was not handed the WSP one); IpBearer has no close in the seam
    await (this.deps.ip as { close?: () => Promise<void> } | undefined)?.close?.();
    await this.journal?.close();
  }

  status(): Record<string, unknown> {
    const oldest = this.queue.oldestActive();
    return {
      endpoint: `${this.config.path}`,
      requests: this.server.requests,
      pushes: this.queue.size,
      active: this.queue.activeCount,
      addresses: this.queue.countsByState(),
      oldestPendingSeconds: oldest === undefined ? 0 : Math.round((this.now() - oldest) / 1000),
      inFlight: this.inFlight,
      journal: this.journal ? { bytes: this.journal.bytes, writes: this.journal.writes, syncs: this.journal.syncs, compactions: this.journal.compactions, fsync: this.config.fsync } : null,
      sms: this.deps.sms ? { healthy: this.deps.sms.healthy(), ...this.deps.sms.status() } : null,
      ipPushForBound: this.config.ipPushForBound,
    };
  }

  /** admin GET /pushes/PUSH-ID: the push(es) with this id, per address; undefined when none. */
  pushState(pushId: string): Record<string, unknown> | undefined {
    const found = this.queue.findByPushId(pushId);
    if (found.length === 0) return undefined;
    const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
    return {
      pushId,
      pushes: found.map((p) => ({
        initiator: p.initiator,
        receivedAt: iso(p.receivedAt),
        deliverAfter: iso(p.deliverAfter),
        deliverBefore: iso(p.deliverBefore),
        finishedAt: iso(p.finishedAt),
        contentType: p.contentType,
        notifyTo: p.notifyTo,
        addresses: p.addresses.map((a) => ({
          address: a.value,
          type: a.type,
          state: a.state,
          papState: PAP_STATE[a.state],
          attempts: a.attempts,
          nextTryAt: a.state === 'pending' ? iso(a.nextTryAt) : undefined,
          bearer: a.bearer,
          messageIds: a.messageIds,
          code: a.code,
          reason: a.reason,
          eventTime: iso(a.eventTime),
          notification: a.notify,
        })),
      })),
    };
  }

  // ---------------------------------------------------------------------------------------
  // PAP requests

  handle(doc: PapDocument, ctx: PapContext, answer: (out: PapResponse) => void, fail: (err: unknown) => void): void {
    const m = doc.message;
    if (m.kind !== 'push-message') {
      this.handleOther(doc, ctx).then(answer, fail);
      return;
    }
    // the push-message, nearly every request: no promise from here to the answer (the journal calls back)
    try {
      this.push(m, ctx, this.now(), answer, fail);
    } catch (err) {
      fail(err);
    }
  }

  private async handleOther(doc: PapDocument, ctx: PapContext): Promise<PapResponse> {
    const m = doc.message;
    const now = this.now();
    switch (m.kind) {
      case 'cancel-message': {
        const r = this.queue.cancel(ctx.initiator, m.pushId, m.addresses, now);
        await this.write(r.records);
        for (const x of r.results) if (x.code === 1000) this.metrics.ppgPushes.inc({ outcome: 'cancelled', bearer: 'none' });
        this.logger.info({ initiator: ctx.initiator, pushId: m.pushId, results: r.results.map((x) => x.code) }, 'PAP cancel');
        const byCode = new Map<number, CancelResult>();
        for (const x of r.results) {
          const c = byCode.get(x.code) ?? { code: x.code, desc: x.code === 1000 ? 'cancelled' : x.desc, addresses: [] };
          c.addresses.push(x.address);
          byCode.set(x.code, c);
        }
        return { kind: 'cancel-response', pushId: m.pushId, results: [...byCode.values()] };
      }
      case 'statusquery-message': {
        const states = this.queue.query(ctx.initiator, m.pushId, m.addresses);
        const results: StatusQueryResult[] = states.map((a) => {
          const r: StatusQueryResult = { code: 1000, desc: a.reason ?? a.state, messageState: PAP_STATE[a.state], addresses: [a.value] };
          if (a.eventTime !== undefined) r.eventTime = a.eventTime;
          return r;
        });
        return { kind: 'statusquery-response', pushId: m.pushId, results };
      }
      case 'ccq-message':
        return { kind: 'ccq-response', queryId: m.queryId, code: 3008, desc: 'this PPG keeps no client capabilities', address: m.address.value };
      default:
        throw new PapError(2000, `${m.kind} is not a request a PPG takes (it answers a request or a notification)`);
    }
  }

  /** Throws PapError (synchronously) for a push refused before it is journalled; else answers (or fails) once it is durable. */
  private push(m: PushMessage, ctx: PapContext, now: number, answer: (out: PapResponse) => void, fail: (err: unknown) => void): void {
    const q = m.qos;
    if (q?.deliveryMethod === 'confirmed') throw new PapError(3007, 'confirmed delivery needs a WSP session push; this PPG sends unconfirmed connectionless push (use unconfirmed or preferconfirmed)');
    for (const a of m.addresses) {
      if (a.type === 'PLMN' && !this.deps.sms && !(this.config.ipPushForBound && this.deps.ip)) throw new PapError(3010, `no SMS bearer (ppg.smsc is empty) for ${a.value}`);
      if (a.type !== 'PLMN' && !this.deps.ip) throw new PapError(3010, `no IP bearer for ${a.value}`);
    }
    const content = preparePushContent(ctx.content);
    const input: PushInput = {
      initiator: ctx.initiator,
      pushId: m.pushId,
      version: ctx.version,
      contentType: content.contentType,
      body: content.body,
      addresses: m.addresses,
      applicationId: content.applicationId,
      deliverAfter: m.deliverAfter,
      deliverBefore: m.deliverBefore,
      notifyTo: m.ppgNotifyRequestedTo,
      sourceReference: m.sourceReference,
    };
    // add first: a refusal (duplicate push-id, queue full) must leave the replaced push alone
    const added = this.queue.add(input, now);
    let records = added.records;
    if (m.replacePushId !== undefined && m.replacePushId !== m.pushId && this.queue.get(ctx.initiator, m.replacePushId)) {
      // PAP 2.0 §9.2 replace: what of the old push is still pending is cancelled
      records = [...records, ...this.queue.cancel(ctx.initiator, m.replacePushId, [], now).records];
    }
    const journal = this.journal;
    if (!journal) throw new WapgwError('ERR_PPG_NOT_STARTED', 'the PPG is not started');
    journal.appendWith(records, (err) => {
      if (err !== undefined) {
        this.queue.abandon(added.push.key);
        this.logger.error({ err, pushId: m.pushId }, 'push journal write failed; push refused');
        fail(new PapError(3000, 'the push could not be stored durably; try again'));
        return;
      }
      let out: PapResponse;
      try {
        out = this.accepted(m, ctx, content, added.push, now);
      } catch (e) {
        fail(e);
        return;
      }
      answer(out);
    });
    journal.maybeCompact(this.snapshot);
  }

  /** A push is durable: counted, logged, its delivery scheduled, and the 1001 answer. */
  private accepted(m: PushMessage, ctx: PapContext, content: { contentType: string; body: Buffer }, push: QueuedPush, now: number): PapResponse {
    this.tally.accepted.n += m.addresses.length;
    // built only when it is written: at log.level warn a push costs no log object
    if (this.logger.isLevelEnabled('info')) this.logger.info(
      {
        initiator: ctx.initiator,
        pushId: m.pushId,
        addresses: m.addresses.length,
        contentType: content.contentType,
        octets: content.body.length,
        deliverAfter: m.deliverAfter === undefined ? undefined : new Date(m.deliverAfter).toISOString(),
        deliverBefore: new Date(push.deliverBefore ?? 0).toISOString(),
        notify: m.ppgNotifyRequestedTo !== undefined,
      },
      'push accepted',
    );
    this.driver.rearm();
    return { kind: 'push-response', pushId: m.pushId, senderName: this.config.senderName, replyTime: now, result: { code: 1001, desc: papCodeName(1001) } };
  }

  private write(records: JournalRecord[], sync = true): Promise<void> {
    if (!this.journal) return Promise.reject(new WapgwError('ERR_PPG_NOT_STARTED', 'the PPG is not started'));
    const p = this.journal.append(records, { sync });
    this.journal.maybeCompact(this.snapshot);
    return p;
  }

  /**
   * Writes records in the background (state changes after the answer); a failure is logged.
   * They are not fdatasync'd on their own: the next accepted push's fdatasync covers them. A
   * power loss before that can only make an attempt count as not made (the push is sent again:
   * at-least-once), never lose a push.
   */
  private persist(records: JournalRecord[]): void {
    if (records.length === 0) return;
    if (!this.journal) return this.persistFailed(new WapgwError('ERR_PPG_NOT_STARTED', 'the PPG is not started'));
    this.journal.appendLater(records, this.persistFailed);
    this.journal.maybeCompact(this.snapshot);
  }

  private readonly persistFailed = (err: unknown): void => this.logger.error({ err }, 'push journal write failed');
  private readonly snapshot = (): Iterable<JournalRecord> => this.queue.snapshot();

  // ---------------------------------------------------------------------------------------
  // Delivery

  private pump(): void {
    if (this.stopping) return;
    const due = this.queue.due(this.now(), MAX_IN_FLIGHT - this.inFlight);
    this.persist(due.records);
    for (const ref of due.expired) this.expiredOne(ref);
    for (const ref of due.deliver) this.startAttempt(ref);
    if (due.expired.length > 0) this.notifyDue();
  }

  private expiredOne(ref: Ref): void {
    const a = ref.push.addresses[ref.i] as AddressEntry;
    this.metrics.ppgPushes.inc({ outcome: 'expired', bearer: a.bearer ?? 'none' });
    this.logger.info({ initiator: ref.push.initiator, pushId: ref.push.pushId, address: redactAddress(a), attempts: a.attempts }, 'push expired');
  }

  private startAttempt(ref: Ref): void {
    this.inFlight++;
    const { sms } = this.deps;
    const a = ref.push.addresses[ref.i] as AddressEntry;
    if (a.type === 'PLMN' && sms?.submitWith && !(this.config.ipPushForBound && this.deps.ip)) {
      // The common case, an SMS push: straight to the bearer with a callback, no promise
      // between the queue and the SMSC (the general path below is for IP and bound MSISDNs).
      const wdp = this.wdpOf(ref.push);
      const mmsHead = this.deps.usage ? peekMmsHeaders(pushBody(ref.push)) : null;
      let answered = false;
      const done = (out: BearerOutcome): void => {
        if (answered) return;
        answered = true;
        try {
          this.settle(ref, wdp, mmsHead, 'sms', a.client, out);
        } catch (err) {
          this.logger.error({ err, pushId: ref.push.pushId }, 'push attempt failed');
        } finally {
          this.attemptEnded();
        }
      };
      try {
        sms.submitWith(a.client, wdp, { registeredDelivery: this.config.registeredDelivery }, done);
      } catch (err) {
        done({ ok: false, retry: true, code: (err as WapgwError).code ?? 'ERR_PPG_BEARER', reason: (err as Error).message });
      }
      return;
    }
    this.attempt(ref)
      .catch((err: unknown) => this.logger.error({ err, pushId: ref.push.pushId }, 'push attempt failed'))
      .finally(() => this.attemptEnded());
  }

  private attemptEnded(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
    this.driver.rearm();
  }

  /** The WSP connectionless Push PDU of the push (WAP-230 §8.2.4.1), the WDP datagram a bearer carries. */
  private wdpOf(push: QueuedPush): Buffer {
    return encodeConnectionlessPush({
      tid: this.tid++ & 0xff,
      contentType: push.contentType,
      body: pushBody(push),
      ...(push.applicationId !== undefined ? { applicationId: push.applicationId } : {}),
    });
  }

  /**
   * A usage record for an MMS push (an m-notification-ind, m-delivery-ind...): the push leg of the
   * MMS transaction, so charging mediation sees MO, push and MT of one message with its
   * transaction id. SI/SL pushes are not MMS transactions and make no record.
   */
  private recordUsage(push: QueuedPush, mms: MmsHeaderPeek | null, a: AddressEntry, bearer: 'sms' | 'ip', target: string, octets: number, now: number): void {
    if (!mms || !this.deps.usage) return;
    this.deps.usage.record({
      time: new Date(now).toISOString(),
      traceId: null,
      bearer: 'push',
      msisdn: a.type === 'PLMN' ? a.client : null,
      imsi: null,
      sourceIp: bearer === 'ip' ? target : null,
      nas: null,
      apn: null,
      mmsType: mms.type,
      mmsResponseType: null,
      transactionId: mms.transactionId ?? null,
      messageId: mms.messageId ?? null,
      mmsResponseStatus: null,
      octetsUp: 0,
      octetsDown: octets,
      upstreamStatus: bearer,
      status: 200,
      durationMs: Math.max(0, now - push.receivedAt),
    });
  }

  /** The MSISDN's bound IPv4 address (IPv6 bindings are /64 prefixes, not a host to send to). */
  private async boundIp(msisdn: string): Promise<string | undefined> {
    const store = this.deps.subscribers;
    if (!store) return undefined;
    const digits = msisdn.replace(/^\+/, '');
    const sub = (await store.findByMsisdn(msisdn)) ?? (await store.findByMsisdn(digits));
    if (!sub) return undefined;
    // an IPv4 binding is the phone's address; an IPv6 binding is a /64 and names the phone only
    // when RADIUS also gave its own address in it
    return sub.key.includes(':') ? sub.ipv6Address : sub.key;
  }

  private async attempt(ref: Ref): Promise<void> {
    const { push } = ref;
    const a = push.addresses[ref.i] as AddressEntry;
    const wdp = this.wdpOf(push);
    // read before the outcome: the queue lets go of the body once every address is done
    const mmsHead = this.deps.usage ? peekMmsHeaders(pushBody(push)) : null;
    const { sms, ip } = this.deps;
    let bearer: 'sms' | 'ip' = a.type === 'PLMN' ? 'sms' : 'ip';
    let target = a.client;
    let out: BearerOutcome;
    try {
      if (a.type === 'PLMN' && this.config.ipPushForBound && ip) {
        const bound = await this.boundIp(a.client);
        if (bound) {
          bearer = 'ip';
          target = bound;
        }
      }
      if (bearer === 'ip') {
        out = ip ? await ip.send(target, wdp) : { ok: false, retry: false, code: 'ERR_PPG_NO_IP_BEARER', reason: 'no IP bearer' };
        // a PLMN address tried over IP only because it is bound: where IP cannot carry it at all
        // (an IPv6 phone, an IPv4-only socket), the SMS it would have had
        if (!out.ok && !out.retry && a.type === 'PLMN' && sms) {
          bearer = 'sms';
          target = a.client;
          out = await sms.submit(a.client, wdp, { registeredDelivery: this.config.registeredDelivery });
        }
      } else {
        out = sms
          ? await sms.submit(a.client, wdp, { registeredDelivery: this.config.registeredDelivery })
          : { ok: false, retry: true, code: 'ERR_PPG_NOT_BOUND', reason: 'no SMSC configured and the MSISDN is not bound to an address' };
      }
    } catch (err) {
      out = { ok: false, retry: true, code: (err as WapgwError).code ?? 'ERR_PPG_BEARER', reason: (err as Error).message };
    }
    this.settle(ref, wdp, mmsHead, bearer, target, out);
  }

  /** An attempt's outcome: the queue's state (journalled), counters, usage record, log, notifications. */
  private settle(ref: Ref, wdp: Buffer, mmsHead: MmsHeaderPeek | null, bearer: 'sms' | 'ip', target: string, out: BearerOutcome): void {
    const { push } = ref;
    const a = push.addresses[ref.i] as AddressEntry;
    const now = this.now();
    const records = this.queue.outcome(ref, out.ok ? { ok: true, bearer, messageIds: out.messageIds } : { ok: false, retry: out.retry, code: out.code, reason: out.reason, bearer }, now, this.config.retry);
    this.persist(records);
    if (bearer === 'sms') {
      if (out.ok) this.tally.smsOk.n++;
      else this.metrics.ppgSms.inc({ outcome: out.retry ? 'retry' : 'failed' });
    }
    if (out.ok) {
      (bearer === 'sms' ? this.tally.deliveredSms : this.tally.deliveredIp).n++;
      if (this.deps.usage) this.recordUsage(push, mmsHead, a, bearer, target, wdp.length, now);
      if (this.logger.isLevelEnabled('info')) this.logger.info({ ...attemptLog(push, a, bearer, wdp), messageIds: out.messageIds, state: a.state }, bearer === 'sms' ? 'push SMS accepted by the SMSC' : 'push sent over IP');
    } else if (a.state === 'pending') {
      this.logger.warn({ ...attemptLog(push, a, bearer, wdp), code: out.code, reason: out.reason, nextTryAt: new Date(a.nextTryAt).toISOString() }, 'push attempt failed; will retry');
    } else {
      this.metrics.ppgPushes.inc({ outcome: a.state === 'expired' ? 'expired' : 'failed', bearer });
      this.logger.warn({ ...attemptLog(push, a, bearer, wdp), code: out.code, reason: out.reason, state: a.state }, 'push failed');
    }
    this.notifyDue();
  }

  private onReceipt(messageId: string, state: Parameters<PushQueue['receipt']>[1]): void {
    const r = this.queue.receipt(messageId, state, this.now());
    if (!r) {
      this.logger.debug({ messageId, state }, 'delivery receipt for no push held');
      return;
    }
    this.persist(r.records);
    const a = r.ref.push.addresses[r.ref.i] as AddressEntry;
    this.logger.info({ pushId: r.ref.push.pushId, address: redactAddress(a), messageId, receipt: state, state: a.state }, 'push delivery receipt');
    this.notifyDue();
  }

  // ---------------------------------------------------------------------------------------
  // Result notifications (WAP-247 §9.5)

  private notifyDue(): void {
    for (const ref of this.queue.notificationsDue()) this.sendNotification(ref);
  }

  private sendNotification(ref: Ref): void {
    const key = `${ref.push.key}#${ref.i}`;
    if (this.notifying.has(key) || this.stopping) return;
    const a = ref.push.addresses[ref.i] as AddressEntry;
    if (a.notify !== 'due' || !ref.push.notifyTo) return;
    this.notifying.add(key);
    const msg: ResultNotificationMessage = {
      kind: 'resultnotification-message',
      pushId: ref.push.pushId,
      senderName: this.config.senderName,
      receivedTime: ref.push.receivedAt,
      messageState: PAP_STATE[a.state],
      code: a.code ?? (a.state === 'expired' || a.state === 'undeliverable' ? 4000 : 1000),
      address: a.value,
    };
    if (a.eventTime !== undefined) msg.eventTime = a.eventTime;
    if (a.reason !== undefined) msg.desc = a.reason;
    const url = ref.push.notifyTo;
    this.postNotification(url, encodePap(msg, ref.push.version))
      .then(
        (ok) => ok,
        (err: unknown) => {
          this.logger.warn({ pushId: ref.push.pushId, url, err: (err as Error).message }, 'result notification not delivered');
          return false;
        },
      )
      .then((ok) => {
        this.notifying.delete(key);
        const tries = (this.notifyTries.get(key) ?? 0) + 1;
        if (ok || tries >= this.config.notify.maxAttempts) {
          this.notifyTries.delete(key);
          this.metrics.ppgNotifications.inc({ outcome: ok ? 'ok' : 'failed' });
          if (!ok) this.logger.warn({ pushId: ref.push.pushId, url, tries }, 'result notification given up');
          this.persist(this.queue.notified(ref, ok, this.now()));
        } else {
          this.notifyTries.set(key, tries);
          this.metrics.ppgNotifications.inc({ outcome: 'retry' });
          this.notifyRetry.push(this.now() + Math.min(60_000, 1000 * 2 ** (tries - 1)), ref);
          this.driver.rearm();
        }
      })
      .catch((err: unknown) => this.logger.error({ err }, 'result notification bookkeeping failed'));
  }

  /** POSTs one resultnotification-message; true when the initiator answered 2xx (and, if it sent one, a resultnotification-response). */
  private async postNotification(url: string, body: string): Promise<boolean> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/xml; charset=utf-8' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.config.notify.timeoutMs),
    });
    const text = (await res.text()).slice(0, 65536);
    if (res.status < 200 || res.status > 299) {
      this.logger.warn({ url, status: res.status }, 'result notification answered with an HTTP error');
      return false;
    }
    if (text.trim() === '') return true;
    try {
      const doc = decodePap(text);
      if (doc.message.kind === 'resultnotification-response') {
        this.logger.debug({ url, code: doc.message.result.code }, 'resultnotification-response');
        return true;
      }
      this.logger.warn({ url, kind: doc.message.kind }, 'the initiator answered a result notification with something else');
      return true;
    } catch (err) {
      this.logger.warn({ url, err: (err as Error).message }, 'unreadable resultnotification-response (taken as received: HTTP 2xx)');
      return true;
    }
  }

  private refreshGauges(): void {
    const counts = this.queue.countsByState();
    for (const [state, n] of Object.entries(counts)) this.metrics.ppgQueue.set({ state }, n);
    const oldest = this.queue.oldestActive();
    this.metrics.ppgOldestPendingSeconds.set(oldest === undefined ? 0 : Math.max(0, (this.now() - oldest) / 1000));
    if (this.deps.sms) this.metrics.ppgSmsBearerUp.set(this.deps.sms.healthy() ? 1 : 0);
    if (this.journal) this.metrics.ppgJournalBytes.set(this.journal.bytes);
  }
}

/** An attempt's log fields (built only when a line is written). */
function attemptLog(push: QueuedPush, a: AddressEntry, bearer: 'sms' | 'ip', wdp: Buffer): Record<string, unknown> {
  return { initiator: push.initiator, pushId: push.pushId, address: redactAddress(a), bearer, attempt: a.attempts, octets: wdp.length };
}

/** For logs: the address with an MSISDN under the `msisdn` key (redacted by the logger at info). */
function redactAddress(a: AddressEntry): Record<string, string> {
  return a.type === 'PLMN' ? { type: a.type, msisdn: a.client } : { type: a.type, ip: a.client };
}
