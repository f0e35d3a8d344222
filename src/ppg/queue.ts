/**
 * The PPG's pending pushes: per push, per address, the state WAP-249-PPGService §6 and
 * WAP-247 §9.6 talk about (pending, delivered, undeliverable, expired, cancelled), with the
 * attempts and next-try time of each address, deliver-after and deliver-before.
 *
 * Pure core (docs/architecture.md rule 5): no file, no timer, no clock. Every method that changes something
 * takes `now` (wall-clock ms: deliver-before is an absolute time that outlives a restart) and
 * returns the journal records that make the change durable; the component writes them through
 * src/ppg/journal.ts and answers the initiator only once they are on disk. `replay(records)`
 * rebuilds the same state after a restart; `snapshot()` gives the records of a compacted journal.
 *
 * Bounded: at most `maxPending` pushes still have work to do (a push over it is refused with
 * PAP 3003 and a reason), and at most `maxFinished` finished pushes are kept for status queries,
 * each for `retainMs`.
 */
import { TimerHeap } from '../wtp/timer-heap';
import { PapError, type AddressType, type MessageState, type PapAddress, type PapVersion } from './pap';

/** Our per-address states. `accepted`: handed to the bearer (the SMSC answered submit_sm_resp OK). */
export const ADDRESS_STATES = ['pending', 'delivering', 'accepted', 'delivered', 'undeliverable', 'expired', 'cancelled'] as const;
export type AddressStateName = (typeof ADDRESS_STATES)[number];

const FINAL = new Set<AddressStateName>(['accepted', 'delivered', 'undeliverable', 'expired', 'cancelled']);
export const isFinal = (s: AddressStateName): boolean => FINAL.has(s);

/**
 * Our state -> the PAP message-state (WAP-247 §9.6). An unconfirmed push the bearer took is
 * "delivered" as far as PAP goes (the PPG has no further report unless a receipt arrives).
 */
export const PAP_STATE: Record<AddressStateName, MessageState> = {
  pending: 'pending',
  delivering: 'pending',
  accepted: 'delivered',
  delivered: 'delivered',
  undeliverable: 'undeliverable',
  expired: 'expired',
  cancelled: 'cancelled',
};

export type NotifyState = 'none' | 'due' | 'done' | 'failed';

export interface AddressEntry {
  value: string;
  type: AddressType;
  client: string;
  state: AddressStateName;
  attempts: number;
  /** Wall-clock ms of the next delivery attempt (pending only). */
  nextTryAt: number;
  bearer?: 'sms' | 'ip';
  messageIds?: string[];
  /** PAP code of the last outcome (1000 ok, 4000 service failure...) and why. */
  code?: number;
  reason?: string;
  eventTime?: number;
  /** Result notification to the initiator for this address. */
  notify: NotifyState;
}

export interface PushInput {
  initiator: string;
  pushId: string;
  version: PapVersion;
  deliverAfter?: number;
  deliverBefore?: number;
  notifyTo?: string;
  sourceReference?: string;
  /** The content as the phone gets it (after SI/SL compilation). */
  contentType: string;
  applicationId?: string | number;
  body: Buffer;
  addresses: PapAddress[];
}

export interface QueuedPush extends Omit<PushInput, 'addresses' | 'body'> {
  key: string;
  /**
   * The content in base64, the journal's form (pushBody() decodes it for an attempt): one
   * string per pending push, shared with its journal record, instead of a Buffer with an
   * ArrayBuffer of its own and a base64 copy made for the record. '' once the push is finished.
   */
  body: string;
  receivedAt: number;
  addresses: AddressEntry[];
  /** When every address reached a final state and every notification was done. */
  finishedAt?: number;
}

/**
 * Journal records: absolute values, so replaying one twice does no harm.
 *
 * `sent` is the common outcome in one short record: address `i` was taken by bearer `b` at
 * `at` on attempt `n` (message ids `m`), i.e. the `addr` record of that state (accepted by the SMSC, or
 * delivered over IP; code 1000; a notification due when one was asked for) and, when that
 * finished the push, its `done` at the same time: what outcome() would otherwise write as
 * those two records, in a third of the octets and one JSON object instead of three. (A build
 * older than the `sent` record skips it on replay: after such a downgrade those addresses are
 * pending again and sent once more, at-least-once as after a crash.)
 */
export type JournalRecord =
  | { t: 'push'; p: StoredPush }
  | { t: 'addr'; k: string; i: number; a: StoredAddress }
  | { t: 'sent'; k: string; i: number; n: number; b: 'sms' | 'ip'; m: string[]; at: number }
  | { t: 'done'; k: string; at: number }
  | { t: 'drop'; k: string };

type StoredAddress = Omit<AddressEntry, 'value' | 'type' | 'client'> & Partial<Pick<AddressEntry, 'value' | 'type' | 'client'>>;
export type StoredPush = QueuedPush;

/** The content of a push (decoded from its base64 form). */
export const pushBody = (p: QueuedPush): Buffer => Buffer.from(p.body, 'base64');

export interface QueueLimits {
  maxPending: number;
  maxFinished: number;
  retainMs: number;
  /** A push with no deliver-before-timestamp expires this long after it was accepted. */
  defaultLifetimeMs: number;
  /**
   * Whether delivery receipts are asked for (ppg.registeredDelivery): only then are the
   * bearer's message ids indexed for receipt(); without, an SMSC sends none (SMPP 3.4 §5.2.17)
   * and the index would only grow with every push. Default true.
   */
  trackReceipts?: boolean;
}

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
}

/** The delay before attempt `attempts + 1` (capped exponential back-off). */
export function retryDelay(p: RetryPolicy, attempts: number): number {
  return Math.min(p.maxDelayMs, Math.round(p.initialDelayMs * p.multiplier ** Math.max(0, attempts - 1)));
}

export const pushKey = (initiator: string, pushId: string): string => `${initiator}\u0000${pushId}`;

interface Ref {
  push: QueuedPush;
  i: number;
}

/** What became due at `now`: attempts to make and addresses that expired. */
export interface DueWork {
  deliver: Ref[];
  expired: Ref[];
  records: JournalRecord[];
}

export class PushQueue {
  private readonly pushes = new Map<string, QueuedPush>();
  private readonly heap = new TimerHeap<Ref>();
  /** Pushes with at least one non-final address or a notification still due, oldest first. */
  private readonly activeKeys = new Set<string>();
  /** Finished pushes, oldest first (Map keeps insertion order). */
  private readonly finished = new Map<string, number>();
  /** messageId (from the bearer) -> address, for delivery receipts. */
  private readonly byMessageId = new Map<string, Ref>();
  private readonly trackReceipts: boolean;
  /** Addresses per state (a plain record: two updates per state change, on every push). */
  private readonly byState = Object.fromEntries(ADDRESS_STATES.map((s) => [s, 0])) as Record<AddressStateName, number>;
  /** Keys of pushes with at least one notification due (so finding them is not a scan of every push). */
  private readonly notifyDue = new Set<string>();
  /** One copy of each repeated string (initiators, content types): see loadPush. */
  private readonly interned = new Interner(1024);

  constructor(private readonly limits: QueueLimits) {
    this.trackReceipts = limits.trackReceipts ?? true;
  }

  get size(): number {
    return this.pushes.size;
  }
  get activeCount(): number {
    return this.activeKeys.size;
  }
  /** Addresses per state over every push held. */
  countsByState(): Record<AddressStateName, number> {
    return { ...this.byState };
  }

  get(initiator: string, pushId: string): QueuedPush | undefined {
    return this.pushes.get(pushKey(initiator, pushId));
  }
  /** For admin GET /pushes/PUSH-ID: every initiator's push with that id. */
  findByPushId(pushId: string): QueuedPush[] {
    const out: QueuedPush[] = [];
    for (const p of this.pushes.values()) if (p.pushId === pushId) out.push(p);
    return out;
  }

  /** Oldest receivedAt among pushes still at work (for the oldest-pending-age gauge). */
  oldestActive(): number | undefined {
    const first = this.activeKeys.values().next();
    return first.done ? undefined : this.pushes.get(first.value)?.receivedAt;
  }

  /** Adds an accepted push. Throws PapError 2007 (duplicate push-id) or 3003 (queue full). */
  add(input: PushInput, now: number): { push: QueuedPush; records: JournalRecord[] } {
    const key = pushKey(input.initiator, input.pushId);
    if (this.pushes.has(key)) throw new PapError(2007, `push-id "${input.pushId}" was already used by this initiator`);
    if (this.activeKeys.size >= this.limits.maxPending) throw new PapError(3003, `the PPG holds ${this.activeKeys.size} pending pushes, its limit (ppg.limits.maxPending); try again later`);
    const deliverBefore = input.deliverBefore ?? now + this.limits.defaultLifetimeMs;
    if (deliverBefore <= now) throw new PapError(2000, 'deliver-before-timestamp has already passed');
    const start = Math.max(now, input.deliverAfter ?? now);
    const push = queuedPush(
      input,
      { key, receivedAt: now, deliverBefore, finishedAt: undefined },
      input.body.toString('base64'),
      input.addresses.map((a) => addressEntry({ value: ownString(a.value), type: a.type, client: ownString(a.client), state: 'pending', attempts: 0, nextTryAt: start, notify: 'none' })),
    );
    push.pushId = ownString(input.pushId);
    if (input.notifyTo !== undefined) push.notifyTo = ownString(input.notifyTo);
    if (input.sourceReference !== undefined) push.sourceReference = ownString(input.sourceReference);
    // one copy of the initiator's name for all its pushes (each request spells it anew)
    push.initiator = this.interned.get(input.initiator);
    this.insert(push);
    return { push, records: [{ t: 'push', p: storePush(push) }] };
  }

  private insert(push: QueuedPush): void {
    this.pushes.set(push.key, push);
    if (push.addresses.some((a) => a.notify === 'due')) this.notifyDue.add(push.key);
    if (push.finishedAt !== undefined) this.finished.set(push.key, push.finishedAt);
    else this.activeKeys.add(push.key);
    push.addresses.forEach((a, i) => {
      this.count(a.state, +1);
      if (a.state === 'pending') this.heap.push(Math.min(a.nextTryAt, push.deliverBefore ?? Infinity), { push, i });
      if (this.trackReceipts && a.state === 'accepted') for (const id of a.messageIds ?? []) this.byMessageId.set(id, { push, i });
    });
  }

  private count(s: AddressStateName, d: number): void {
    this.byState[s] += d;
  }

  private setState(ref: Ref, patch: Partial<AddressEntry>): JournalRecord {
    const a = ref.push.addresses[ref.i] as AddressEntry;
    if (patch.state && patch.state !== a.state) {
      this.count(a.state, -1);
      this.count(patch.state, +1);
    }
    Object.assign(a, patch);
    if (a.notify === 'due') this.notifyDue.add(ref.push.key);
    return { t: 'addr', k: ref.push.key, i: ref.i, a: storedAddress(a) };
  }

  /** A state change made without a patch object or an `addr` record (the two every push makes: delivering, sent). */
  private moveTo(a: AddressEntry, state: AddressStateName): void {
    if (state === a.state) return;
    this.count(a.state, -1);
    this.count(state, +1);
    a.state = state;
  }

  /** Earliest time something is due (a try or an expiry), or undefined. */
  nextDeadline(): number | undefined {
    // stale entries (no longer pending) are dropped lazily
    for (;;) {
      const top = this.heap.peek();
      if (!top) return this.nextRetention();
      const a = top.item.push.addresses[top.item.i];
      if (a?.state === 'pending' && this.pushes.get(top.item.push.key) === top.item.push) {
        const r = this.nextRetention();
        return r === undefined ? top.at : Math.min(top.at, r);
      }
      this.heap.pop();
    }
  }

  private nextRetention(): number | undefined {
    const first = this.finished.values().next();
    return first.done ? undefined : first.value + this.limits.retainMs;
  }

  /**
   * Everything due at `now`: addresses to attempt (now marked `delivering`) and addresses whose
   * deliver-before passed (now `expired`, their notification due when one was requested).
   * `max` bounds how many deliveries one call hands out.
   */
  due(now: number, max = 1000): DueWork {
    const out: DueWork = { deliver: [], expired: [], records: [] };
    while (out.deliver.length < max) {
      const top = this.heap.peek();
      if (!top || top.at > now) break;
      this.heap.pop();
      const { push, i } = top.item;
      const a = push.addresses[i];
      if (!a || a.state !== 'pending' || this.pushes.get(push.key) !== push) continue;
      if (push.deliverBefore !== undefined && push.deliverBefore <= now) {
        out.records.push(this.setState(top.item, { state: 'expired', code: 4000, reason: 'deliver-before-timestamp passed before a bearer accepted the push', eventTime: now, notify: push.notifyTo ? 'due' : 'none' }));
        out.expired.push(top.item);
        out.records.push(...this.maybeFinish(push, now));
        continue;
      }
      if (a.nextTryAt > now) {
        // an entry keyed by deliver-before that is not due for a try: wait for the try
        this.heap.push(a.nextTryAt, top.item);
        continue;
      }
      // "delivering" is not journalled: after a crash it is pending again (at-least-once).
      this.moveTo(a, 'delivering');
      a.attempts++;
      out.deliver.push(top.item);
    }
    out.records.push(...this.expireRetained(now));
    return out;
  }

  /** The bearer's answer for one attempt. */
  outcome(
    ref: Ref,
    o: { ok: true; bearer: 'sms' | 'ip'; messageIds: string[] } | { ok: false; retry: boolean; code: string; reason: string; bearer: 'sms' | 'ip' },
    now: number,
    policy: RetryPolicy,
  ): JournalRecord[] {
    const { push } = ref;
    const a = push.addresses[ref.i] as AddressEntry;
    if (a.state !== 'delivering') return []; // cancelled meanwhile
    const notify: NotifyState = push.notifyTo ? 'due' : 'none';
    if (o.ok) {
      this.sent(ref, a.attempts, o.bearer, o.messageIds, now);
      const rec: JournalRecord = { t: 'sent', k: push.key, i: ref.i, n: a.attempts, b: o.bearer, m: o.messageIds, at: now };
      if (!this.finishable(push)) return [rec];
      // the push's `done` is implied by the `sent` record (replay finishes it the same way);
      // pushes dropped to stay within maxFinished still get their `drop` records
      const more = this.maybeFinish(push, now);
      more[0] = rec;
      return more;
    }
    const next = now + retryDelay(policy, a.attempts);
    if (o.retry && next < (push.deliverBefore ?? Infinity)) {
      const rec = this.setState(ref, { state: 'pending', bearer: o.bearer, nextTryAt: next, code: 4000, reason: `${o.code}: ${o.reason}` });
      this.heap.push(next, ref);
      return [rec];
    }
    const expired = o.retry;
    const rec = this.setState(ref, {
      state: expired ? 'expired' : 'undeliverable',
      bearer: o.bearer,
      code: 4000,
      reason: `${o.code}: ${o.reason}${expired ? ' (no retry left before deliver-before-timestamp)' : ''}`,
      eventTime: now,
      notify,
    });
    return [rec, ...this.maybeFinish(push, now)];
  }

  /** The state a `sent` record stands for (see JournalRecord), live or replayed. */
  private sent(ref: Ref, attempts: number, bearer: 'sms' | 'ip', messageIds: string[], at: number): void {
    const state: AddressStateName = bearer === 'ip' ? 'delivered' : 'accepted';
    const a = ref.push.addresses[ref.i] as AddressEntry;
    this.moveTo(a, state);
    a.attempts = attempts;
    a.bearer = bearer;
    a.messageIds = messageIds;
    a.code = 1000;
    a.reason = bearer === 'ip' ? 'sent over IP' : 'accepted by the SMSC';
    a.eventTime = at;
    a.notify = ref.push.notifyTo ? 'due' : 'none';
    if (a.notify === 'due') this.notifyDue.add(ref.push.key);
    if (state === 'accepted' && this.trackReceipts) for (const id of messageIds) this.byMessageId.set(id, ref);
  }

  /** Not finished yet, every address final and no notification due: the push can finish (see maybeFinish). */
  private finishable(push: QueuedPush): boolean {
    return push.finishedAt === undefined && push.addresses.every((a) => isFinal(a.state) && a.notify !== 'due');
  }

  /** A delivery receipt (SMPP deliver_sm) for a message id we were given; undefined when unknown. */
  receipt(messageId: string, state: 'delivered' | 'undeliverable' | 'expired' | 'rejected' | 'deleted' | 'unknown', now: number): { ref: Ref; records: JournalRecord[] } | undefined {
    const ref = this.byMessageId.get(messageId);
    if (!ref) return undefined;
    this.byMessageId.delete(messageId);
    const a = ref.push.addresses[ref.i] as AddressEntry;
    if (a.state !== 'accepted' || state === 'unknown') return { ref, records: [] };
    const failed = state !== 'delivered';
    // A success after "accepted" changes nothing the initiator was told; a failure is news.
    const rec = this.setState(ref, {
      state: failed ? (state === 'expired' ? 'expired' : 'undeliverable') : 'delivered',
      code: failed ? 4000 : 1000,
      reason: failed ? `the SMSC reported the SMS ${state}` : 'the SMSC reported the SMS delivered',
      eventTime: now,
      notify: failed && ref.push.notifyTo ? 'due' : a.notify,
    });
    if (failed && ref.push.finishedAt !== undefined && ref.push.notifyTo) {
      // back to work: a notification is due again
      this.finished.delete(ref.push.key);
      ref.push.finishedAt = undefined;
      this.activeKeys.add(ref.push.key);
    }
    for (const id of a.messageIds ?? []) this.byMessageId.delete(id);
    return { ref, records: [rec, ...this.maybeFinish(ref.push, now)] };
  }

  /** Addresses whose result notification is due (each push's notifications go out together). */
  notificationsDue(): Ref[] {
    const out: Ref[] = [];
    for (const k of this.notifyDue) {
      const p = this.pushes.get(k);
      const before = out.length;
      p?.addresses.forEach((a, i) => {
        if (a.notify === 'due') out.push({ push: p, i });
      });
      if (out.length === before) this.notifyDue.delete(k);
    }
    return out;
  }

  notified(ref: Ref, ok: boolean, now: number): JournalRecord[] {
    const rec = this.setState(ref, { notify: ok ? 'done' : 'failed' });
    return [rec, ...this.maybeFinish(ref.push, now)];
  }

  private maybeFinish(push: QueuedPush, now: number): JournalRecord[] {
    if (!this.finishable(push)) return [];
    this.finish(push, now);
    const out: JournalRecord[] = [{ t: 'done', k: push.key, at: now }];
    while (this.finished.size > this.limits.maxFinished) {
      const oldest = this.finished.keys().next().value as string;
      out.push(...this.drop(oldest));
    }
    return out;
  }

  private finish(push: QueuedPush, at: number): void {
    push.finishedAt = at;
    this.activeKeys.delete(push.key);
    this.finished.set(push.key, at);
    // the content is no longer needed; status queries need only the states
    push.body = '';
  }

  private expireRetained(now: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const [k, at] of this.finished) {
      if (at + this.limits.retainMs > now) break;
      out.push(...this.drop(k));
    }
    return out;
  }

  /** Forgets a push whose journal write failed (the initiator was told 3000, not 1001). */
  abandon(key: string): void {
    this.drop(key);
  }

  private drop(key: string): JournalRecord[] {
    const p = this.pushes.get(key);
    if (!p) return [];
    this.pushes.delete(key);
    this.notifyDue.delete(key);
    this.finished.delete(key);
    this.activeKeys.delete(key);
    for (const a of p.addresses) {
      this.count(a.state, -1);
      for (const id of a.messageIds ?? []) this.byMessageId.delete(id);
    }
    return [{ t: 'drop', k: key }];
  }

  /**
   * cancel-message (WAP-247 §9.7): each named address (all when none is named) that is still
   * pending becomes cancelled (1000); others answer 2008; an unknown push-id throws 2004.
   */
  cancel(initiator: string, pushId: string, only: PapAddress[], now: number): { results: Array<{ code: number; desc: string; address: string }>; records: JournalRecord[] } {
    const push = this.get(initiator, pushId);
    if (!push) throw new PapError(2004, `no push "${pushId}" from this initiator`);
    const records: JournalRecord[] = [];
    const results: Array<{ code: number; desc: string; address: string }> = [];
    for (const ref of this.select(push, only)) {
      const a = push.addresses[ref.i] as AddressEntry;
      if (a.state === 'pending') {
        records.push(this.setState(ref, { state: 'cancelled', code: 1000, reason: 'cancelled by the initiator', eventTime: now, notify: 'none' }));
        results.push({ code: 1000, desc: 'cancelled', address: a.value });
      } else {
        results.push({ code: 2008, desc: `cannot cancel: the push is ${a.state}`, address: a.value });
      }
    }
    records.push(...this.maybeFinish(push, now));
    return { results, records };
  }

  /** statusquery-message (WAP-247 §9.9): the named (or all) addresses' states; 2004 if unknown. */
  query(initiator: string, pushId: string, only: PapAddress[]): AddressEntry[] {
    const push = this.get(initiator, pushId);
    if (!push) throw new PapError(2004, `no push "${pushId}" from this initiator`);
    return this.select(push, only).map((r) => push.addresses[r.i] as AddressEntry);
  }

  private select(push: QueuedPush, only: PapAddress[]): Ref[] {
    if (only.length === 0) return push.addresses.map((_, i) => ({ push, i }));
    return only.map((o) => {
      const i = push.addresses.findIndex((a) => a.type === o.type && a.client === o.client);
      if (i < 0) throw new PapError(2002, `address ${o.value} is not an address of push "${push.pushId}"`, o.value);
      return { push, i };
    });
  }

  /** Rebuilds the state from journal records (in order). Returns how many were applied. */
  replay(records: Iterable<JournalRecord>): number {
    let n = 0;
    for (const r of records) {
      n++;
      this.replayOne(r);
    }
    return n;
  }

  /** Applies one journal record (records come in journal order; see replay). */
  replayOne(r: JournalRecord): void {
    if (r.t === 'push') {
      const old = this.pushes.get(r.p.key);
      if (old) this.drop(old.key);
      const p = loadPush(r.p, this.interned);
      // an attempt in flight at the crash is tried again (at-least-once)
      for (const a of p.addresses) if (a.state === 'delivering') a.state = 'pending';
      this.insert(p);
    } else if (r.t === 'addr') {
      const p = this.pushes.get(r.k);
      const a = p?.addresses[r.i];
      if (!p || !a) return;
      const next: StoredAddress = { ...r.a };
      if (next.state === 'delivering') next.state = 'pending';
      this.setState({ push: p, i: r.i }, next);
      // a stale heap entry for the same address is skipped when it comes up (state checked there)
      if (a.state === 'pending') this.heap.push(Math.min(a.nextTryAt, p.deliverBefore ?? Infinity), { push: p, i: r.i });
      if (this.trackReceipts && a.state === 'accepted') for (const id of a.messageIds ?? []) this.byMessageId.set(id, { push: p, i: r.i });
    } else if (r.t === 'sent') {
      const p = this.pushes.get(r.k);
      if (!p || !p.addresses[r.i]) return;
      this.sent({ push: p, i: r.i }, r.n, r.b, r.m, r.at);
      if (this.finishable(p)) this.finish(p, r.at);
    } else if (r.t === 'done') {
      const p = this.pushes.get(r.k);
      if (!p || p.finishedAt !== undefined) return;
      this.finish(p, r.at);
    } else if (r.t === 'drop') {
      this.drop(r.k);
    }
  }

  /** The records of a compacted journal: one `push` per push held, with its current states. */
  *snapshot(): Generator<JournalRecord> {
    for (const p of this.pushes.values()) yield { t: 'push', p: storePush(p) };
  }
}

/*
 * Every push and address is built by the two functions below, with all fields in one order
 * (absent ones undefined, which JSON.stringify leaves out of the journal), so all pushes share
 * one V8 hidden class. An object made by spreading another (`{ ...input, key }`) gets a hidden
 * class of its own each time in V8: with 100 000 pending pushes that was ~40 MB of classes.
 */
function queuedPush<B>(
  p: Omit<PushInput, 'body' | 'addresses'>,
  q: Pick<QueuedPush, 'key' | 'receivedAt' | 'deliverBefore' | 'finishedAt'>,
  body: B,
  addresses: AddressEntry[],
): Omit<QueuedPush, 'body'> & { body: B } {
  return {
    key: q.key,
    initiator: p.initiator,
    pushId: p.pushId,
    version: p.version,
    deliverAfter: p.deliverAfter,
    deliverBefore: q.deliverBefore,
    notifyTo: p.notifyTo,
    sourceReference: p.sourceReference,
    contentType: p.contentType,
    applicationId: p.applicationId,
    body,
    receivedAt: q.receivedAt,
    addresses,
    finishedAt: q.finishedAt,
  };
}

function addressEntry(a: AddressEntry): AddressEntry {
  return {
    value: a.value,
    type: a.type,
    client: a.client,
    state: a.state,
    attempts: a.attempts,
    nextTryAt: a.nextTryAt,
    bearer: a.bearer,
    messageIds: a.messageIds,
    code: a.code,
    reason: a.reason,
    eventTime: a.eventTime,
    notify: a.notify,
  };
}

/** An address's state for an `addr` record (the address itself is in the `push` record). */
function storedAddress(a: AddressEntry): StoredAddress {
  return { state: a.state, attempts: a.attempts, nextTryAt: a.nextTryAt, bearer: a.bearer, messageIds: a.messageIds, code: a.code, reason: a.reason, eventTime: a.eventTime, notify: a.notify };
}

/**
 * A string of its own for a value kept as long as the push waits. Strings cut out of a request
 * (the PAP document's attribute values) may be V8 slices that keep the whole document alive;
 * concatenating and cutting again makes a new flat string and drops the link.
 */
function ownString(s: string): string {
  return ` ${s}`.slice(1);
}

function storePush(p: QueuedPush): StoredPush {
  return queuedPush(p, p, p.body, p.addresses.map(addressEntry));
}

/**
 * A push from its journal record. JSON.parse gives every record its own copy of each string;
 * the few that repeat over every push (the initiator, the content type, the application id as
 * a URI) share one copy here, as the pushes taken in over PAP share them, so a replayed queue
 * is no bigger than the one that was written.
 */
function loadPush(s: StoredPush, interned: Interner): QueuedPush {
  // the body stays in its base64 form (a flat string of its own: JSON.parse makes one per value)
  const p = queuedPush(s, s, s.body, s.addresses.map(addressEntry));
  p.initiator = interned.get(s.initiator);
  p.contentType = interned.get(s.contentType);
  if (typeof s.applicationId === 'string') p.applicationId = interned.get(s.applicationId);
  return p;
}

/** A bounded string pool: the first `max` distinct strings are kept and handed out again. */
class Interner {
  private readonly pool = new Map<string, string>();
  constructor(private readonly max: number) {}
  get(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (this.pool.size < this.max) this.pool.set(s, s);
    return s;
  }
}

