/**
 * WtpResponder: every WTP responder transaction of one bearer (WAP-224 §9), driven by PDUs,
 * user primitives and `now`. No sockets, no timers, no clock: the caller hands in decoded PDUs
 * and the time, and carries out the returned actions (see index.ts for the API contract).
 *
 * It owns four bounded tables (with their expiry measured on the `now` it is given):
 *   - transactions in progress, keyed by (peer, TID) (BoundedMap, src/core/bounded.ts); the least
 *     recently written (every step writes its transaction) goes first when full: it is aborted
 *     with CAPTEMPEXCEEDED and its user told;
 *   - finished transactions (WAIT_TIMEOUT), kept for timer W to absorb late duplicates (WAP-224
 *     §9.3.2), packed (finished.ts): what the WAIT_TIMEOUT rows read, with W as the deadline there
 *     instead of a heap entry; an event for one runs through the machine on a record rebuilt from
 *     that. The two together hold at most wtp.maxTransactions: a new transaction pushes out the
 *     oldest finished one first, so an active one is aborted only when no finished one is left;
 *   - the TID cache, last TID per peer, wtp.tidCacheSize / wtp.tidCacheTtlMs (tid-cache.ts);
 *   - the anti-amplification budget of unverified peers: octets received and sent. Toward a peer
 *     whose TID has not been verified we never send more than it sent us; a Result that would
 *     exceed that is preceded by Ack(TIDve) (the machine's `verifyFirst`).
 * Deadlines of the transactions in progress sit in one heap; `nextDeadline()` is what the timer
 * driver sleeps until and `tick(now)` fires what is due. Per transaction, `step` (machine.ts)
 * decides. Stale heap entries (restarted timers, forgotten transactions) are dropped when they
 * reach the top, and the heap is rebuilt from the table when they outnumber the live ones.
 */
import { BoundedMap } from '../core/bounded';
import { peerKey, type Peer } from '../core/peer';
import { isTableError } from '../core/table';
import type { Config } from '../config/schema';
import { PROVIDER_ABORT, responderTid, type AbortType, type Tcl, type WtpPdu, type WtpPduType } from '../codec/wtp/types';
import { advance, newTx, type Limits, type MachineAction, type Outcome, type TimerName, type Tx, type TxRecord, type WtpEvent, TIMERS } from './machine';
import { FinishedTable } from './finished';
import { chooseSegmentSize, maxMessageFor } from './sar';
import { TidCache, tidTest, type TidEntry } from './tid-cache';
import { NumericTimerHeap } from './timer-heap';
import { pduSize } from './wire-size';

/**
 * The one transaction key (WAP-224 §9.1: a transaction is (peer, TID)): a number, the
 * responder's number for the initiator times 2^15 plus its TID without the direction bit.
 * Opaque to callers. A peer keeps its number while it has transactions in the table and gets a
 * new one (numbers are never reused) after, so a key never names two transactions; tables keyed
 * by it (here and in WSP) hash a small integer instead of building and hashing a string per
 * datagram.
 */
export type TxId = number;

/** The key of no transaction (`txnOf` for a (peer, TID) the responder does not hold). */
export const NO_TXN: TxId = -1;

const TID_SPACE = 0x8000;

/** A peer's number and how many of its transactions the table holds. */
interface PeerNumber {
  readonly no: number;
  held: number;
}

/**
 * The indications and confirmations to the WTP user (WAP-224 §5.3 service primitives), named
 * as the specification names them; WSP consumes them as they are (src/wtp/port.ts).
 */
export type WtpIndication =
  /** TR-Invoke.ind: a whole (reassembled) message, exactly once per transaction. */
  | { kind: 'TR-Invoke.ind'; txn: TxId; peer: Peer; tid: number; tcl: Tcl; uack: boolean; data: Buffer }
  /** TR-Result.cnf: the initiator acknowledged the whole Result. */
  | { kind: 'TR-Result.cnf'; txn: TxId; peer: Peer }
  /** TR-Abort.ind: the transaction died (peer Abort, no response, protocol error, eviction); `user`: a user (WSP) abort from the peer. */
  | { kind: 'TR-Abort.ind'; txn: TxId; peer: Peer; user: boolean; abortType: AbortType; reason: number };

export type WtpAction =
  /** Send each PDU as its own datagram to `peer`, in order. */
  | { kind: 'send'; peer: Peer; pdus: WtpPdu[] }
  | WtpIndication;

/**
 * What the responder reports, as data: counts for the metrics and lines for the log. The
 * responder keeps no metrics registry and no logger; the edge (src/edge/wtp-report.ts) turns
 * these into prom-client counters and pino lines.
 */
export type WtpNote =
  | { note: 'transaction'; tcl: Tcl; outcome: Outcome }
  | { note: 'active'; transactions: number }
  | { note: 'verification'; outcome: 'started' | 'ok' | 'failed' | 'timeout' }
  | { note: 'duplicate' }
  | { note: 'abort'; direction: 'sent' | 'received'; reason: string }
  | { note: 'nack'; direction: 'sent' | 'received' }
  | { note: 'retransmission'; pdu: WtpPduType }
  | { note: 'segment'; direction: 'in' | 'out' }
  | { note: 'log'; level: 'debug' | 'warn' | 'error'; msg: string; fields: Record<string, unknown> };

export interface WtpReporter {
  note(n: WtpNote): void;
  /** Whether debug lines are wanted (they are not built otherwise). */
  readonly debug: boolean;
}

/** Reports nothing (tests that do not look). */
export const silentReporter: WtpReporter = { note: () => undefined, debug: false };

export interface WtpResponderDeps {
  /** Only the WTP settings and the largest message (wsp.maxMessageSize), not the whole config. */
  config: { wtp: Config['wtp']; wsp: Pick<Config['wsp'], 'maxMessageSize'> };
  report?: WtpReporter;
}

export interface ResultOptions {
  /** Most WSP octets per packet this client takes (e.g. from WSP capabilities); lowers the segment size. */
  maxSegmentSize?: number;
}

/** No options (the usual call): one object, never changed. */
const NO_OPTIONS: ResultOptions = Object.freeze({});

const REASON_NAME = new Map<number, string>(Object.entries(PROVIDER_ABORT).map(([k, v]) => [v, k]));
const reasonLabel = (type: AbortType, reason: number): string =>
  type === 'provider' ? (REASON_NAME.get(reason) ?? `0x${reason.toString(16)}`) : `user-0x${reason.toString(16)}`;

interface Budget {
  rx: number;
  tx: number;
}

/** A record that leaves the table stops its timers: its heap entries are stale from then on (see `timers`). */
function stopTimers(tx: TxRecord): void {
  const t = tx.timers;
  t.A = t.R = t.W = t.NACK = undefined;
}

/**
 * An event for the machine, every field present whatever its type (unused ones undefined, false
 * or null): one shape of object through the machine's guards and operations, where five literal
 * shapes made every read of `ev.type` a megamorphic load (bench/RESULTS.md, "WSP CPU per cycle:
 * seventh pass, the cores").
 */
function event(type: WtpEvent['type'], pdu?: WtpPdu, tidOk = false, data?: Buffer, segmentSize: number | null = null, verifyFirst = false, reason = 0): WtpEvent {
  return { type, pdu, tidOk, data, segmentSize, verifyFirst, reason } as unknown as WtpEvent;
}

/** A timer heap entry's item: the transaction key x 4 plus the timer's index in TIMERS. */
const timerItem = (key: TxId, name: TimerName): number => key * 4 + TIMERS.indexOf(name);
/** The timer events by the timer's index in TIMERS (one object each, never changed). */
const TIMER_EVENTS: readonly WtpEvent[] = TIMERS.map((n) => event(`TimerTO_${n}` as WtpEvent['type']));

/** How often stale records (finished transactions, expired TID cache and budget entries) are purged. */
const PURGE_INTERVAL_MS = 10_000;

export class WtpResponder {
  private readonly wtp: Config['wtp'];
  private readonly limits: Limits;
  private readonly report: WtpReporter;
  private readonly table: BoundedMap<TxId, TxRecord>;
  /** Transactions in WAIT_TIMEOUT, packed (finished.ts). */
  private readonly finished: FinishedTable;
  private readonly maxTransactions: number;
  private readonly tids: TidCache;
  private readonly budgets: BoundedMap<string, Budget>;
  /**
   * Every pending deadline, as one number: the transaction's key x 4 plus the timer's index in
   * TIMERS (`timerItem`). An entry is live when the table still holds a record under that key
   * whose timer holds exactly that deadline. Entries hold no object: a stopped or restarted
   * timer's entry stays until its deadline, and one that held its record kept the record alive
   * that long (seconds, through young collections into the old generation) after the
   * transaction had finished. The entries themselves are numbers in typed arrays too (no object
   * per timer started).
   */
  private readonly timers = new NumericTimerHeap();
  /** The push number of the entry `nextDeadline` last found live (it asks on every datagram; `tick` checks again). */
  private liveTop = -1;
  /** The machine's actions of the step being run (`run`). */
  private readonly stepActions: MachineAction[] = [];
  /** Actions produced by evictions inside the table's callbacks, drained by the public call. */
  private pending: WtpAction[] = [];
  // Times start as -0, which equals 0 in every comparison and sum, but is a double: V8 gives the
  // fields a double representation from the start. With 0 (a small integer) the first time
  // stored in `lastPurge`, at the first purge 10 s after start, changed the responder's hidden
  // class and deoptimized every compiled function that used it, mid-load (bench/RESULTS.md, "WSP
  // CPU per cycle, steady state").
  private now = -0;
  private lastPurge = -0;
  /** Numbers of the peers with transactions in the table, by peer key (bounded by the table). */
  private readonly peerNos = new Map<string, PeerNumber>();
  private nextPeerNo = 1;

  constructor(deps: WtpResponderDeps) {
    const w = (this.wtp = deps.config.wtp);
    this.report = deps.report ?? silentReporter;
    this.limits = {
      ackIntervalMs: w.ackIntervalMs,
      retryIntervalMs: w.retryIntervalMs,
      waitTimeoutMs: w.waitTimeoutMs,
      maxRetransmissions: w.maxRetransmissions,
      ackExpiryMax: w.ackExpiryMax,
      nackDelayMs: w.sar.nackDelayMs,
      groupSize: w.sar.groupSize,
      maxMessageSize: deps.config.wsp.maxMessageSize,
    };
    const now = (): number => this.now;
    // Backstop only: every live transaction has a timer or waits on its user (WSP answers or
    // aborts within mmsc.timeoutMs); a record untouched this long is forgotten.
    const backstop = Math.max(w.waitTimeoutMs * 2, w.retryIntervalMs * (w.maxRetransmissions + 2), 300_000);
    this.maxTransactions = w.maxTransactions;
    this.table = new BoundedMap<TxId, TxRecord>({ max: w.maxTransactions, ttlMs: backstop, now, onDrop: (key, tx, why) => this.onEvict(tx, key, why) });
    this.finished = new FinishedTable(w.maxTransactions, (peer) => this.releasedPeer(peer));
    this.tids = new TidCache({ max: w.tidCacheSize, ttlMs: w.tidCacheTtlMs, now });
    this.budgets = new BoundedMap<string, Budget>({ max: w.tidCacheSize, ttlMs: w.tidCacheTtlMs, now });
  }

  /** Transactions held (in progress or in WAIT_TIMEOUT). */
  get size(): number {
    return this.table.size + this.finished.size;
  }

  /** Peers numbered now: never more than the transactions held (tests). */
  get peerNumbers(): number {
    return this.peerNos.size;
  }

  /** The key of (peer, TID) while the responder holds that transaction, NO_TXN otherwise (tests, tools). */
  txnOf(peer: Peer, tid: number): TxId {
    const n = this.peerNos.get(peerKey(peer));
    return n === undefined ? NO_TXN : n.no * TID_SPACE + (tid & 0x7fff);
  }

  /** The state of a transaction, for tests and /status. */
  stateOf(txn: TxId): Tx['state'] | undefined {
    return this.table.peek(txn)?.state ?? this.finished.restore(txn, this.now, this.limits)?.state;
  }

  /** The record of a transaction: in progress, or rebuilt from the finished table (undefined: neither). */
  private lookup(key: TxId): TxRecord | undefined {
    return this.table.get(key) ?? (this.finished.size > 0 ? this.finished.restore(key, this.now, this.limits) : undefined);
  }

  /**
   * One PDU received from `peer` (call once per PDU of a concatenated datagram). `size`: its
   * octets on the wire, for the amplification budget (computed when omitted).
   */
  receive(pdu: WtpPdu, peer: Peer, now: number, size = pduSize(pdu)): WtpAction[] {
    this.now = now;
    const out: WtpAction[] = [];
    if (pdu.tid & 0x8000) {
      // Direction bit set: a PDU sent by a responder, not for us (WAP-224 §10.4.3).
      if (this.report.debug) this.debug('WTP PDU with the responder direction bit ignored', { peer, tid: pdu.tid, pdu: pdu.type });
      return out;
    }
    const pk = peerKey(peer);
    // the peer's TID cache entry, read once for the budget here and the TID test of an Invoke
    const tidEntry = this.tids.get(pk);
    this.countRx(pk, size, tidEntry);
    this.countReceived(pdu);
    let pn = this.peerNos.get(pk);
    if (pdu.type === 'Invoke') {
      // a peer about to have a transaction gets its number now; released below if none is kept
      if (pn === undefined) this.peerNos.set(pk, (pn = { no: this.nextPeerNo++, held: 0 }));
      const key = pn.no * TID_SPACE + (pdu.tid & 0x7fff);
      // held for the call, so that forgetting an old record on the way keeps the number
      pn.held++;
      const done = this.invoke(pdu, peer, pk, key, now, out, tidEntry);
      if (--pn.held <= 0) this.peerNos.delete(pk);
      return done;
    }
    const key = pn === undefined ? NO_TXN : pn.no * TID_SPACE + (pdu.tid & 0x7fff);
    const tx = pn === undefined ? undefined : this.lookup(key);
    if (!tx) {
      if (this.report.debug) this.debug('WTP PDU for no transaction ignored', { peer, tid: pdu.tid, pdu: pdu.type });
      return this.drain(out);
    }
    let ev: WtpEvent;
    switch (pdu.type) {
      case 'SegmentedInvoke':
        ev = event('RcvSegInvoke', pdu);
        break;
      case 'Ack':
        ev = event('RcvAck', pdu);
        break;
      case 'NegativeAck':
        ev = event('RcvNegativeAck', pdu);
        break;
      case 'Abort':
        ev = event('RcvAbort', pdu);
        break;
      default:
        // A Result or Segmented Result sent to a responder: a protocol error.
        ev = event('RcvErrorPDU');
    }
    return this.run(key, tx, ev, now, out);
  }

  /** An Invoke (WAP-224 §9.3.1): a new transaction, a duplicate of a held one, or class 0. */
  private invoke(pdu: Extract<WtpPdu, { type: 'Invoke' }>, peer: Peer, pk: string, key: TxId, now: number, out: WtpAction[], entry: TidEntry | undefined): WtpAction[] {
    // Class 0 keeps no state and is never a duplicate of anything: a WSP Disconnect reuses
    // the TID of the method before it (Kannel fakewap, co-post-sar-30k frame 38).
    if (pdu.tcl === 0) return this.run(key, newTx(peer, pdu, this.limits) as TxRecord, event('RcvInvoke', pdu, true), now, out);
    let tx = this.table.get(key);
    if (tx === undefined && this.finished.size > 0) {
      // A first transmission reusing the TID of a finished transaction: the initiator has
      // wrapped its TIDs within W (fakewap under load does). Not a retransmission (RID = 0),
      // so forget the old record (no record is rebuilt for that); the TID test below verifies
      // it if the TID is not ahead. A retransmission meets the finished one's WAIT_TIMEOUT rows.
      if (!pdu.rid || pdu.tidNew) this.finished.remove(key);
      else tx = this.finished.restore(key, now, this.limits);
    }
    if (tx) return this.run(key, tx, event('RcvInvoke', pdu, true), now, out);
    const fresh = newTx(peer, pdu, this.limits) as TxRecord;
    const verdict = tidTest(entry, fresh.tid, pdu.tidNew, this.wtp.tidVerification);
    if (verdict === 'ok') this.tids.accept(pk, entry, fresh.tid);
    return this.run(key, fresh, event('RcvInvoke', pdu, verdict === 'ok'), now, out);
  }

  /**
   * A record has left the table: its timers stop (its heap entries are stale from then on, see
   * `timers`) and its peer holds one transaction less (the peer's number goes with its last).
   */
  private released(tx: TxRecord): void {
    stopTimers(tx);
    this.releasedPeer(tx.peer);
  }

  private releasedPeer(peer: Peer): void {
    const pk = peerKey(peer);
    const pn = this.peerNos.get(pk);
    if (pn !== undefined && --pn.held <= 0) this.peerNos.delete(pk);
  }

  /**
   * A record leaves whichever table holds it, `finished` or the table of those in progress (the
   * finished table tells `releasedPeer` itself).
   */
  private forget(key: TxId, tx: TxRecord, finished: boolean): void {
    if (finished) {
      stopTimers(tx);
      this.finished.remove(key);
    } else {
      this.table.delete(key);
      this.released(tx);
    }
  }

  /** A record has entered the table: its peer holds one transaction more. */
  private admitted(tx: TxRecord): void {
    const pn = this.peerNos.get(peerKey(tx.peer));
    if (pn !== undefined) pn.held++;
    // the two tables together hold at most wtp.maxTransactions: the oldest finished one goes first
    if (this.finished.size > 0 && this.table.size + this.finished.size >= this.maxTransactions) this.finished.dropOldest();
  }

  /**
   * A datagram that did not decode. When its TID could be read (`tid`), the transaction (if any)
   * is aborted with PROTOERR, or an Abort PROTOERR answers it; otherwise it is only dropped.
   */
  receiveMalformed(peer: Peer, tid: number | undefined, now: number, size: number): WtpAction[] {
    this.now = now;
    const out: WtpAction[] = [];
    const pk = peerKey(peer);
    this.countRx(pk, size, this.tids.get(pk));
    if (tid === undefined || tid & 0x8000) return out;
    const key = this.txnOf(peer, tid);
    const tx = key === NO_TXN ? undefined : this.lookup(key);
    if (tx) return this.run(key, tx, event('RcvErrorPDU'), now, out);
    this.emitSend(peer, [{ type: 'Abort', tid: responderTid(tid), tpis: [], abortType: 'provider', reason: PROVIDER_ABORT.PROTOERR }], out);
    return this.drain(out);
  }

  /** TR-Invoke.res: the user accepted the Invoke (user acknowledgement, U/P). */
  invokeRes(txn: TxId, now: number): WtpAction[] {
    return this.user(txn, now, event('TR-Invoke.res'));
  }

  /** TR-Result.req: the reply, a whole WSP PDU; segmented as the client allows. */
  resultReq(txn: TxId, data: Buffer, now: number, opts: ResultOptions = NO_OPTIONS): WtpAction[] {
    this.now = now;
    const tx = this.table.get(txn);
    if (!tx) return this.user(txn, now, event('TR-Result.req', undefined, false, data, null, false));
    const limit = this.clientLimit(tx, opts);
    const segmentSize = chooseSegmentSize(data.length, this.wtp.sar.segmentSize, tx.sar, limit);
    let verifyFirst = false;
    const pk = peerKey(tx.peer);
    if (segmentSize !== null && !this.tids.isVerified(pk)) {
      const packets = Math.max(1, Math.ceil(data.length / segmentSize));
      const bytes = data.length + 4 * packets;
      const b = this.budgets.get(pk) ?? { rx: 0, tx: 0 };
      verifyFirst = bytes > b.rx - b.tx;
    }
    return this.run(txn, tx, event('TR-Result.req', undefined, false, data, segmentSize, verifyFirst), now, []);
  }

  /** TR-Abort.req: the user aborts (a WSP reason, sent as a user Abort). */
  abortReq(txn: TxId, reason: number, now: number): WtpAction[] {
    return this.user(txn, now, event('TR-Abort.req', undefined, false, undefined, null, false, reason));
  }

  /**
   * The largest Result (a whole WSP PDU, octets) this transaction can carry: 256 segments of the
   * largest size the client allows when it does SAR, one datagram when it does not. WSP checks
   * this before resultReq and answers a clear error status instead of a bigger body. 0 for an
   * unknown transaction.
   */
  maxResultSize(txn: TxId, opts: ResultOptions = NO_OPTIONS): number {
    const tx = this.table.peek(txn);
    if (!tx) return 0;
    return maxMessageFor(tx.sar, this.clientLimit(tx, opts));
  }

  /** Fires every timer due at `now`. */
  tick(now: number): WtpAction[] {
    this.now = now;
    const out: WtpAction[] = [];
    for (let at = this.timers.peekAt(); at !== undefined && at <= now; at = this.timers.peekAt()) {
      const item = this.timers.peekItem();
      this.timers.pop();
      const key = Math.floor(item / 4);
      const name = TIMERS[item & 3] as TimerName;
      const tx = this.table.peek(key);
      if (tx === undefined || tx.timers[name] !== at) continue;
      this.run(key, tx, TIMER_EVENTS[item & 3] as WtpEvent, now, out);
    }
    if (now - this.lastPurge >= PURGE_INTERVAL_MS) {
      this.lastPurge = now;
      this.table.purgeStale();
      this.finished.purge(now);
      this.tids.purgeStale();
      this.budgets.purgeStale();
      this.report.note({ note: 'active', transactions: this.size });
    }
    return this.drain(out);
  }

  /**
   * The earliest pending deadline (ms, same clock as `now`), or undefined when nothing is held.
   * With no protocol timer pending but records held, it is the next purge, so that finished
   * transactions (kept for timer W) and expired TID cache entries are released on an idle
   * gateway too, not only when some other timer happens to fire.
   */
  nextDeadline(): number | undefined {
    for (let at = this.timers.peekAt(); at !== undefined; at = this.timers.peekAt()) {
      // any tick also purges when PURGE_INTERVAL_MS has passed. An entry found live before is
      // not looked up again: should it have gone stale since, the driver wakes a little early
      // and `tick` drops it.
      const seq = this.timers.peekSeq();
      if (seq === this.liveTop) return at;
      const item = this.timers.peekItem();
      const tx = this.table.peek(Math.floor(item / 4));
      if (tx !== undefined && tx.timers[TIMERS[item & 3] as TimerName] === at) {
        this.liveTop = seq;
        return at;
      }
      this.timers.pop();
    }
    const holding = this.table.size > 0 || this.finished.size > 0 || this.tids.size > 0 || this.budgets.size > 0;
    return holding ? Math.max(this.lastPurge + PURGE_INTERVAL_MS, this.now) : undefined;
  }

  // -------------------------------------------------------------------------------------------

  /**
   * The most WSP octets per packet this client takes: its Max Receive Unit less the WTP header,
   * and the caller's `maxSegmentSize`, whichever are set (undefined: neither). Called for every
   * Result (and its size check): no list built for the two numbers.
   */
  private clientLimit(tx: Tx, opts: ResultOptions): number | undefined {
    const mru = tx.clientMru !== undefined && tx.clientMru > 4 ? tx.clientMru - 4 : undefined;
    const max = opts.maxSegmentSize !== undefined && opts.maxSegmentSize > 0 ? opts.maxSegmentSize : undefined;
    if (mru === undefined) return max;
    return max === undefined ? mru : Math.min(mru, max);
  }

  private user(txn: TxId, now: number, ev: WtpEvent): WtpAction[] {
    this.now = now;
    const out: WtpAction[] = [];
    const tx = this.lookup(txn);
    if (!tx) {
      if (this.report.debug) this.debug('WTP user primitive for no transaction ignored', { txn, primitive: ev.type });
      return this.drain(out);
    }
    return this.run(txn, tx, ev, now, out);
  }

  /**
   * One event through the machine on the transaction's own record (updated in place by
   * `advance`), then the table and timer bookkeeping from what changed.
   */
  private run(key: TxId, tx: TxRecord, ev: WtpEvent, now: number, out: WtpAction[]): WtpAction[] {
    const from = tx.state;
    const hadOutcome = tx.outcome !== undefined;
    const t = tx.timers;
    const wasA = t.A;
    const wasR = t.R;
    const wasW = t.W;
    const wasNack = t.NACK;
    // one list for every step: a step's actions are carried out before the next step starts
    // (nothing below calls `run` again), and `emit` copies what it passes on
    const actions = this.stepActions;
    actions.length = 0;
    try {
      advance(tx, ev, now, actions);
    } catch (err) {
      // only the table engine's verdict (a gap in the table, thrown before the record is
      // touched) is reported and survived; any other exception is a bug in an operation and
      // surfaces
      if (!isTableError(err)) throw err;
      this.report.note({ note: 'log', level: 'error', msg: 'WTP machine has no single row', fields: { err, txn: key, state: tx.state, event: ev.type } });
      return this.drain(out);
    }
    const to = tx.state;
    if (to !== from && this.report.debug) {
      this.debug('WTP transition', { peer: peerKey(tx.peer), tid: tx.tid, from, event: ev.type, to });
    }
    for (let i = 0; i < actions.length; i++) this.emit(key, tx, actions[i] as MachineAction, out);
    if (tx.outcome !== undefined && !hadOutcome) {
      this.report.note({ note: 'transaction', tcl: tx.tcl, outcome: tx.outcome });
    }
    if (to === 'LISTEN') {
      if (from !== 'LISTEN') this.forget(key, tx, from === 'WAIT_TIMEOUT');
    } else {
      // records in the tables are never in LISTEN: leaving it is entering the table
      if (from === 'LISTEN') this.admitted(tx);
    }
    if (to === 'LISTEN') {
      // forgotten above (or never kept)
    } else if (to === 'WAIT_TIMEOUT') {
      // Timer W here only forgets the record: it moves to the finished table (its deadline
      // there, no heap entry), where a record rebuilt for an event changes nothing it keeps
      if (from !== 'WAIT_TIMEOUT') {
        const w = t.W ?? now + this.wtp.waitTimeoutMs;
        if (from !== 'LISTEN') this.table.delete(key);
        stopTimers(tx);
        this.finished.add(key, tx, w);
      }
    } else {
      this.table.set(key, tx);
      if (t.A !== undefined && t.A !== wasA) this.schedule(t.A, key, 'A');
      if (t.R !== undefined && t.R !== wasR) this.schedule(t.R, key, 'R');
      if (t.W !== undefined && t.W !== wasW) this.schedule(t.W, key, 'W');
      if (t.NACK !== undefined && t.NACK !== wasNack) this.schedule(t.NACK, key, 'NACK');
    }
    this.report.note(this.activeNote(this.size));
    return this.drain(out);
  }

  /** The 'active' note, one object reused (the reporter reads it at once and keeps nothing). */
  private activeNote(transactions: number): WtpNote {
    const n = this.active;
    n.transactions = transactions;
    return n;
  }
  private readonly active = { note: 'active' as const, transactions: 0 };

  private debug(msg: string, fields: Record<string, unknown>): void {
    this.report.note({ note: 'log', level: 'debug', msg, fields });
  }

  private schedule(at: number, key: TxId, name: TimerName): void {
    this.timers.push(at, timerItem(key, name));
    if (this.timers.size > 4 * this.table.size + 4096) {
      // Mostly stale entries: rebuild from the live timers.
      this.timers.clear();
      for (const [k, tx] of this.table.entries()) {
        if (tx.state === 'WAIT_TIMEOUT') continue;
        for (const n of TIMERS) {
          const d = tx.timers[n];
          if (d !== undefined) this.timers.push(d, timerItem(k, n));
        }
      }
    }
  }

  private emit(key: TxId, tx: Tx, a: MachineAction, out: WtpAction[]): void {
    switch (a.kind) {
      case 'send':
        this.emitSend(tx.peer, a.pdus, out);
        return;
      case 'TR-Invoke.ind':
        out.push({ kind: 'TR-Invoke.ind', txn: key, peer: tx.peer, tid: tx.tid, tcl: tx.tcl, uack: tx.uack, data: a.data });
        return;
      case 'TR-Result.cnf':
        out.push({ kind: 'TR-Result.cnf', txn: key, peer: tx.peer });
        return;
      case 'TR-Abort.ind':
        out.push({ kind: 'TR-Abort.ind', txn: key, peer: tx.peer, user: a.abortType === 'user', abortType: a.abortType, reason: a.reason });
        return;
      case 'tidVerified': {
        const pk = peerKey(tx.peer);
        this.tids.set(pk, tx.tid, true);
        this.budgets.delete(pk);
        return;
      }
      case 'verification':
        this.report.note({ note: 'verification', outcome: a.outcome });
        return;
      case 'duplicate':
        this.report.note({ note: 'duplicate' });
        return;
    }
  }

  private emitSend(peer: Peer, pdus: WtpPdu[], out: WtpAction[]): void {
    const pk = peerKey(peer);
    if (!this.tids.isVerified(pk)) {
      const b = this.budgets.get(pk) ?? { rx: 0, tx: 0 };
      const size = pdus.reduce((n, p) => n + pduSize(p), 0);
      if (b.tx + size > b.rx) {
        if (this.report.debug) this.debug('WTP send toward an unverified peer dropped (amplification budget)', { peer: pk, size, budget: b.rx - b.tx });
        return;
      }
      this.budgets.set(pk, { rx: b.rx, tx: b.tx + size });
    }
    for (const p of pdus) {
      if (p.type === 'Abort') this.report.note({ note: 'abort', direction: 'sent', reason: reasonLabel(p.abortType, p.reason) });
      else if (p.type === 'NegativeAck') this.report.note({ note: 'nack', direction: 'sent' });
      if ('rid' in p && p.rid) this.report.note({ note: 'retransmission', pdu: p.type });
      if (p.type === 'SegmentedResult' || (p.type === 'Result' && !p.ttr)) this.report.note({ note: 'segment', direction: 'out' });
    }
    out.push({ kind: 'send', peer, pdus });
  }

  /** Octets received from an unverified peer (the caller has checked that it is not verified). */
  /** Octets received from a peer not yet verified (its TID cache `entry`), for the amplification budget. */
  private countRx(pk: string, size: number, entry: TidEntry | undefined): void {
    if (entry?.verified === true) return;
    const b = this.budgets.get(pk) ?? { rx: 0, tx: 0 };
    this.budgets.set(pk, { rx: b.rx + size, tx: b.tx });
  }

  private countReceived(pdu: WtpPdu): void {
    if (pdu.type === 'Abort') this.report.note({ note: 'abort', direction: 'received', reason: reasonLabel(pdu.abortType, pdu.reason) });
    else if (pdu.type === 'NegativeAck') this.report.note({ note: 'nack', direction: 'received' });
    else if (pdu.type === 'SegmentedInvoke' || (pdu.type === 'Invoke' && !pdu.ttr)) this.report.note({ note: 'segment', direction: 'in' });
  }

  /** A live transaction pushed out of the full table (CAPTEMPEXCEEDED) or past the backstop TTL (NORESPONSE). */
  private onEvict(tx: TxRecord, key: TxId, why: 'evict' | 'expire'): void {
    this.released(tx);
    if (tx.state === 'WAIT_TIMEOUT') return;
    this.report.note({ note: 'log', level: 'warn', msg: 'WTP transaction dropped (table full or stale)', fields: { peer: peerKey(tx.peer), tid: tx.tid, state: tx.state, why } });
    this.report.note({ note: 'transaction', tcl: tx.tcl, outcome: 'evicted' });
    const reason = why === 'evict' ? PROVIDER_ABORT.CAPTEMPEXCEEDED : PROVIDER_ABORT.NORESPONSE;
    const out: WtpAction[] = [];
    this.emitSend(tx.peer, [{ type: 'Abort', tid: responderTid(tx.tid), tpis: [], abortType: 'provider', reason }], out);
    if (tx.state === 'INVOKE_RESP_WAIT' || tx.state === 'RESULT_WAIT' || tx.state === 'RESULT_RESP_WAIT') {
      out.push({ kind: 'TR-Abort.ind', txn: key, peer: tx.peer, user: false, abortType: 'provider', reason });
    }
    this.pending.push(...out);
  }

  private drain(out: WtpAction[]): WtpAction[] {
    if (this.pending.length) {
      out.push(...this.pending);
      this.pending = [];
    }
    return out;
  }
}
