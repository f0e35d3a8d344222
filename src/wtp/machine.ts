/**
 * The WTP responder transaction machine (WAP-224 §9 "Protocol operation", state tables of
 * Appendix B for the responder), as one table of rows plus a pure `step`.
 *
 * A row reads like the spec: in state `from`, on event `on`, when every guard in `when` holds,
 * do the operations in `do` (data, interpreted by `step`), and go to `to`. Guards only read the
 * transaction, the event and `now`; anything with an effect (the TID cache test, the
 * anti-amplification budget, the segment size allowed by the client) is computed by the caller
 * before the step and carried in the event. For each (state, event) exactly one row must match:
 * `step` throws ERR_WTP_NO_ROW / ERR_WTP_AMBIGUOUS_ROW otherwise (the table engine, src/core/table.ts), and test/wtp proves that every
 * pair has a row (or an explicit `ignore`) and that random inputs always match exactly one.
 *
 * States are the spec's LISTEN, TIDOK_WAIT, INVOKE_RESP_WAIT, RESULT_WAIT, RESULT_RESP_WAIT,
 * WAIT_TIMEOUT, plus INVOKE_SAR_WAIT: a segmented Invoke whose packets are still arriving (the
 * spec describes SAR (§9.4) beside the class machine; naming the wait keeps it in the table).
 * Timers are the spec's A (acknowledgement), R (retry), W (wait timeout), plus NACK (the delay
 * before a Negative Ack, WAP-224 §9.4.3). On every change of state all timers stop; a row starts
 * the ones its new state needs. Counters: AEC (A expiries), RCR (retransmissions), NACK count.
 */
import { indexRows, pairKey, rowError, rowGrid } from '../core/table';
import { OPTION_ID, PROVIDER_ABORT, responderTid, type AbortType, type Ack, type Invoke, type NegativeAck, type Abort, type SegmentedInvoke, type Tcl, type WtpPdu } from '../codec/wtp/types';
import type { Peer } from '../core/peer';
import { absorb, ackablePsn, assemble, contiguous, emptyInbound, groupEnd, isComplete, missing, segment, withoutPackets, type Inbound } from './sar';

// ---------------------------------------------------------------------------------------------
// vocabulary

export const STATES = ['LISTEN', 'TIDOK_WAIT', 'INVOKE_SAR_WAIT', 'INVOKE_RESP_WAIT', 'RESULT_WAIT', 'RESULT_RESP_WAIT', 'WAIT_TIMEOUT'] as const;
export type WtpState = (typeof STATES)[number];

export const EVENTS = [
  'RcvInvoke',
  'RcvSegInvoke',
  'RcvAck',
  'RcvNegativeAck',
  'RcvAbort',
  'RcvErrorPDU',
  'TR-Invoke.res',
  'TR-Result.req',
  'TR-Abort.req',
  'TimerTO_A',
  'TimerTO_R',
  'TimerTO_W',
  'TimerTO_NACK',
] as const;
export type WtpEventType = (typeof EVENTS)[number];

export const TIMERS = ['A', 'R', 'W', 'NACK'] as const;
export type TimerName = (typeof TIMERS)[number];

export type ProviderReason = keyof typeof PROVIDER_ABORT;

export type Outcome = 'completed' | 'aborted-peer' | 'aborted-user' | 'noresponse' | 'invalidtid' | 'protoerr' | 'toolarge' | 'version' | 'evicted';

export type WtpEvent =
  /** An Invoke for this (peer, TID). `tidOk`: the TID test passed (or was not needed). */
  | { type: 'RcvInvoke'; pdu: Invoke; tidOk: boolean }
  | { type: 'RcvSegInvoke'; pdu: SegmentedInvoke }
  | { type: 'RcvAck'; pdu: Ack }
  | { type: 'RcvNegativeAck'; pdu: NegativeAck }
  | { type: 'RcvAbort'; pdu: Abort }
  | { type: 'RcvErrorPDU' }
  | { type: 'TR-Invoke.res' }
  /**
   * `segmentSize`: data octets per packet the caller chose for this client, null when the
   * result cannot be carried at all. `verifyFirst`: the peer is not verified and the result is
   * larger than what it sent us, so verify the TID before sending it (anti-amplification).
   */
  | { type: 'TR-Result.req'; data: Buffer; segmentSize: number | null; verifyFirst: boolean }
  | { type: 'TR-Abort.req'; reason: number }
  | { type: 'TimerTO_A' }
  | { type: 'TimerTO_R' }
  | { type: 'TimerTO_W' }
  | { type: 'TimerTO_NACK' };

export interface Limits {
  ackIntervalMs: number;
  retryIntervalMs: number;
  waitTimeoutMs: number;
  maxRetransmissions: number;
  ackExpiryMax: number;
  nackDelayMs: number;
  groupSize: number;
  maxMessageSize: number;
}

export interface Outbound {
  readonly segs: readonly Buffer[];
  /** Packets per group for this Result (config, lowered by the client's Max Group option). */
  readonly groupSize: number;
  /** When each packet was last resent for a Negative Ack (ms). */
  readonly nackResentAt: readonly number[];
  readonly groupStart: number;
  /** Result held back until the initiator answers Ack(TIDve). */
  readonly verifying: boolean;
}

export interface Tx {
  readonly state: WtpState;
  /** The initiator's transport address (src/core/peer.ts). */
  readonly peer: Peer;
  /** The initiator's TID (direction bit clear); we answer with responderTid(tid). */
  readonly tid: number;
  readonly tcl: Tcl;
  /** U/P: the initiator asked for user acknowledgement. */
  readonly uack: boolean;
  /** The initiator does SAR (its Invoke was not GTR = TTR = 1). */
  readonly sar: boolean;
  /** Max Receive Unit the initiator announced in an Option TPI (octets per packet), if any. */
  readonly clientMru: number | undefined;
  /** Max Group the initiator announced in an Option TPI (octets per group), if any. */
  readonly clientMaxGroup: number | undefined;
  readonly limits: Limits;
  readonly aec: number;
  readonly rcr: number;
  readonly nackCount: number;
  readonly holdOnSent: boolean;
  /** This transaction's TID was verified: the initiator answered our Ack(TIDve) with Ack(TIDok). */
  readonly tidVerified: boolean;
  readonly inbound: Inbound;
  readonly outbound: Outbound | undefined;
  /**
   * Deadlines (ms) of running timers; a stopped timer is absent or undefined. The record's own
   * object, updated in place by `advance` (one per transaction, not one per step).
   */
  readonly timers: Readonly<Partial<Record<TimerName, number | undefined>>>;
  readonly lastSendAt: number;
  readonly outcome: Outcome | undefined;
}

/** What a step asks the responder to do; the responder adds the peer and the transaction key (TR-* primitives of WAP-224 §5.3). */
export type MachineAction =
  | { kind: 'send'; pdus: WtpPdu[] }
  | { kind: 'TR-Invoke.ind'; data: Buffer }
  | { kind: 'TR-Result.cnf' }
  | { kind: 'TR-Abort.ind'; abortType: AbortType; reason: number }
  | { kind: 'tidVerified' }
  | { kind: 'verification'; outcome: 'started' | 'ok' | 'failed' | 'timeout' }
  | { kind: 'duplicate' };

// ---------------------------------------------------------------------------------------------
// operations (data) and their constructors

type Counter = 'aec' | 'rcr' | 'nackCount';
type Op =
  | { op: 'store' }
  | { op: 'ackGroups' }
  | { op: 'nackTimer' }
  | { op: 'sendNack' }
  | { op: 'deliver' }
  | { op: 'ack' }
  | { op: 'ackTve'; rid: boolean }
  | { op: 'abort'; type: AbortType; reason: ProviderReason | 'event' }
  | { op: 'plan' }
  | { op: 'sendGroup'; rid: boolean }
  | { op: 'resendMissing' }
  | { op: 'nextGroup' }
  | { op: 'verified' }
  | { op: 'start'; timer: TimerName }
  | { op: 'inc'; counter: Counter }
  | { op: 'zero'; counter: Counter }
  | { op: 'holdOn' }
  | { op: 'cnf' }
  | { op: 'indicateAbort'; reason: ProviderReason | 'event' }
  | { op: 'dup' }
  | { op: 'verification'; outcome: 'started' | 'ok' | 'failed' | 'timeout' }
  | { op: 'outcome'; outcome: Outcome }
  | { op: 'release' };

/**
 * An operation with every field any operation has (the unused ones at a neutral value): one
 * shape of object through `apply`'s switch, where seven literal shapes made each read of `op.op`
 * a megamorphic load (bench/RESULTS.md, "WSP CPU per cycle: seventh pass, the cores").
 */
const mk = (o: Op): Op => ({ rid: false, type: 'provider', reason: 'event', timer: 'A', counter: 'aec', outcome: 'completed', ...o }) as unknown as Op;
const store: Op = mk({ op: 'store' });
const ackGroups: Op = mk({ op: 'ackGroups' });
const nackTimer: Op = mk({ op: 'nackTimer' });
const sendNack: Op = mk({ op: 'sendNack' });
/** TR-Invoke.ind with the whole (reassembled) message. */
const deliver: Op = mk({ op: 'deliver' });
/** Ack: provider acknowledgement, hold-on, or the Ack that ends class 1. */
const ack: Op = mk({ op: 'ack' });
const ackTve = (rid = false): Op => mk({ op: 'ackTve', rid });
const abort = (type: AbortType, reason: ProviderReason | 'event'): Op => mk({ op: 'abort', type, reason });
const plan: Op = mk({ op: 'plan' });
const sendGroup = (rid = false): Op => mk({ op: 'sendGroup', rid });
const resendMissing: Op = mk({ op: 'resendMissing' });
const nextGroup: Op = mk({ op: 'nextGroup' });
const verified: Op = mk({ op: 'verified' });
const start = (timer: TimerName): Op => mk({ op: 'start', timer });
const inc = (counter: Counter): Op => mk({ op: 'inc', counter });
const zero = (counter: Counter): Op => mk({ op: 'zero', counter });
const holdOn: Op = mk({ op: 'holdOn' });
/** TR-Result.cnf */
const cnf: Op = mk({ op: 'cnf' });
/** TR-Abort.ind */
const indicateAbort = (reason: ProviderReason | 'event'): Op => mk({ op: 'indicateAbort', reason });
const dup: Op = mk({ op: 'dup' });
const verification = (outcome: 'started' | 'ok' | 'failed' | 'timeout'): Op => mk({ op: 'verification', outcome });
const outcome = (o: Outcome): Op => mk({ op: 'outcome', outcome: o });
const release: Op = mk({ op: 'release' });

// ---------------------------------------------------------------------------------------------
// guards: named, read-only

/**
 * The reassembly state after absorbing the event's packet (the event is not applied yet). Several
 * guards of one step and the `store` that follows ask for it: the last answer is kept, keyed by
 * the event and the inbound record it was computed from (both are never modified, so the answer
 * cannot go stale).
 */
function inboundAfter(tx: Tx, ev: WtpEvent): Inbound {
  if (ev.type !== 'RcvInvoke' && ev.type !== 'RcvSegInvoke') return tx.inbound;
  if (ev === memoEvent && tx.inbound === memoFrom) return memoAfter;
  const after = ev.type === 'RcvInvoke' ? absorb(tx.inbound, 0, ev.pdu.data, ev.pdu.gtr, ev.pdu.ttr) : absorb(tx.inbound, ev.pdu.psn, ev.pdu.data, ev.pdu.gtr, ev.pdu.ttr);
  memoEvent = ev;
  memoFrom = tx.inbound;
  memoAfter = after;
  return after;
}
let memoEvent: WtpEvent | undefined;
let memoFrom: Inbound | undefined;
let memoAfter: Inbound = emptyInbound;

function optionValue(pdu: Invoke, option: number): number | undefined {
  for (const t of pdu.tpis) if (t.tpi === 'Option' && t.option === option && t.value.length <= 6) return t.value.length ? t.value.readUIntBE(0, t.value.length) : 0;
  return undefined;
}

function ackPsn(pdu: Ack): number | undefined {
  for (const t of pdu.tpis) if (t.tpi === 'PSN') return t.psn;
  return undefined;
}

type AckClass = 'verify' | 'final' | 'group' | 'stale';

/**
 * What an Ack means in RESULT_RESP_WAIT. The four Ack guards of one step all ask: the last
 * answer is kept, keyed by the event and the outbound record it was computed from (neither is
 * ever modified, so it cannot go stale), as `inboundAfter` does.
 */
function ackClass(tx: Tx, ev: WtpEvent): AckClass {
  if (ev === ackMemoEvent && tx.outbound === ackMemoFrom) return ackMemo;
  const c = classifyAck(tx, ev);
  ackMemoEvent = ev;
  ackMemoFrom = tx.outbound;
  ackMemo = c;
  return c;
}
let ackMemoEvent: WtpEvent | undefined;
let ackMemoFrom: Outbound | undefined;
let ackMemo: AckClass = 'stale';

function classifyAck(tx: Tx, ev: WtpEvent): AckClass {
  if (ev.type !== 'RcvAck' || !tx.outbound) return 'stale';
  const out = tx.outbound;
  if (out.verifying) return ev.pdu.tveTok ? 'verify' : 'stale';
  if (ev.pdu.tveTok) return 'stale'; // a late duplicate Ack(TIDok), CR-Nokia-WTP-20-March-2000/2
  const n = out.segs.length;
  const end = groupEnd(out.groupStart, out.groupSize, n);
  const psn = ackPsn(ev.pdu);
  // An Ack without PSN TPI acknowledges a one-packet message or the first group only.
  const matches = psn === undefined ? out.groupStart === 0 : psn === end;
  if (!matches) return 'stale';
  return end === n - 1 ? 'final' : 'group';
}

type Guard = (tx: Tx, ev: WtpEvent, now: number) => boolean;
const GUARDS = {
  tcl0: (tx) => tx.tcl === 0,
  tcl1: (tx) => tx.tcl === 1,
  tcl2: (tx) => tx.tcl === 2,
  uack: (tx) => tx.uack,
  versionOk: (_tx, ev) => ev.type === 'RcvInvoke' && ev.pdu.version === 0,
  tidOk: (_tx, ev) => ev.type === 'RcvInvoke' && ev.tidOk,
  tok: (_tx, ev) => ev.type === 'RcvAck' && ev.pdu.tveTok,
  complete: (tx, ev) => isComplete(inboundAfter(tx, ev)),
  tooLarge: (tx, ev) => {
    const declared = ev.type === 'RcvInvoke' ? optionValue(ev.pdu, OPTION_ID.TotalMessageSize) : undefined;
    return inboundAfter(tx, ev).bytes > tx.limits.maxMessageSize || (declared ?? 0) > tx.limits.maxMessageSize;
  },
  holdOnSent: (tx) => tx.holdOnSent,
  aecLeft: (tx) => tx.aec < tx.limits.ackExpiryMax,
  rcrLeft: (tx) => tx.rcr < tx.limits.maxRetransmissions,
  nackLeft: (tx) => tx.nackCount < tx.limits.maxRetransmissions,
  resultOk: (_tx, ev) => ev.type === 'TR-Result.req' && ev.segmentSize !== null,
  verifyFirst: (_tx, ev) => ev.type === 'TR-Result.req' && ev.verifyFirst,
  verifying: (tx) => tx.outbound?.verifying === true,
  canReplay: (tx, _ev, now) => now - tx.lastSendAt >= tx.limits.ackIntervalMs,
  ackVerify: (tx, ev) => ackClass(tx, ev) === 'verify',
  ackFinal: (tx, ev) => ackClass(tx, ev) === 'final',
  ackGroup: (tx, ev) => ackClass(tx, ev) === 'group',
  ackStale: (tx, ev) => ackClass(tx, ev) === 'stale',
  /**
   * Abort INVALIDTID after this transaction's TID was verified: the initiator's answer to a
   * duplicate of our Ack(TIDve) (a lossy link duplicates datagrams) that reached it after it had
   * finished the transaction. It answers a verification (WAP-224 §9.5), not this transaction,
   * like the late duplicate Ack(TIDok) of CR-Nokia-WTP-20-March-2000/2.
   */
  lateInvalidTid: (tx, ev) => ev.type === 'RcvAbort' && tx.tidVerified && ev.pdu.abortType === 'provider' && ev.pdu.reason === PROVIDER_ABORT.INVALIDTID,
} satisfies Record<string, Guard>;
export type GuardName = keyof typeof GUARDS;
type GuardRef = GuardName | `!${GuardName}`;

// ---------------------------------------------------------------------------------------------
// the table

export interface Row {
  from: WtpState;
  on: WtpEventType;
  when: readonly GuardRef[];
  do: readonly Op[];
  to: WtpState;
  /** Set on rows that deliberately do nothing, with the reason. */
  ignore?: string;
}

const row = (from: WtpState, on: WtpEventType, when: GuardRef[], ops: Op[], to: WtpState): Row => ({ from, on, when, do: ops, to });
const ignore = (from: WtpState, on: WtpEventType | readonly WtpEventType[], why: string, when: GuardRef[] = []): Row[] =>
  (typeof on === 'string' ? [on] : on).map((e) => ({ from, on: e, when, do: [], to: from, ignore: why }));
const INVOKES = ['RcvInvoke', 'RcvSegInvoke'] as const;
const each = (ons: readonly WtpEventType[], f: (on: WtpEventType) => Row[]): Row[] => ons.flatMap(f);
const USER = ['TR-Invoke.res', 'TR-Result.req', 'TR-Abort.req'] as const;

/** TR-Result.req rows shared by INVOKE_RESP_WAIT and RESULT_WAIT (class 2). */
const resultReq = (from: WtpState, extra: GuardRef[]): Row[] => [
  row(from, 'TR-Result.req', [...extra, '!resultOk'], [abort('provider', 'MESSAGETOOLARGE'), indicateAbort('MESSAGETOOLARGE'), outcome('toolarge')], 'LISTEN'),
  row(from, 'TR-Result.req', [...extra, 'resultOk', 'verifyFirst'], [plan, ackTve(), verification('started'), start('R')], 'RESULT_RESP_WAIT'),
  row(from, 'TR-Result.req', [...extra, 'resultOk', '!verifyFirst'], [plan, sendGroup(), start('R')], 'RESULT_RESP_WAIT'),
];

export const ROWS: readonly Row[] = [
  // LISTEN: a new (peer, TID). Class 0 keeps no state (§9.2.1).
  row('LISTEN', 'RcvInvoke', ['tcl0', 'complete'], [store, deliver, outcome('completed')], 'LISTEN'),
  ...ignore('LISTEN', 'RcvInvoke', 'class 0 is never segmented (§9.4): dropped', ['tcl0', '!complete']),
  row('LISTEN', 'RcvInvoke', ['!tcl0', '!versionOk'], [abort('provider', 'WTPVERSIONONE'), outcome('version')], 'LISTEN'),
  row('LISTEN', 'RcvInvoke', ['!tcl0', 'versionOk', 'tooLarge'], [abort('provider', 'MESSAGETOOLARGE'), outcome('toolarge')], 'LISTEN'),
  row('LISTEN', 'RcvInvoke', ['!tcl0', 'versionOk', '!tooLarge', '!tidOk'], [store, ackTve(), verification('started'), start('R')], 'TIDOK_WAIT'),
  row('LISTEN', 'RcvInvoke', ['!tcl0', 'versionOk', '!tooLarge', 'tidOk', 'complete'], [store, deliver, start('A')], 'INVOKE_RESP_WAIT'),
  row('LISTEN', 'RcvInvoke', ['!tcl0', 'versionOk', '!tooLarge', 'tidOk', '!complete'], [store, ackGroups, nackTimer, start('W')], 'INVOKE_SAR_WAIT'),
  ...ignore('LISTEN', ['RcvSegInvoke', 'RcvAck', 'RcvNegativeAck', 'RcvAbort'], 'no such transaction'),
  row('LISTEN', 'RcvErrorPDU', [], [abort('provider', 'PROTOERR'), outcome('protoerr')], 'LISTEN'),
  ...ignore('LISTEN', USER, 'the user knows no such transaction'),
  ...ignore('LISTEN', ['TimerTO_A', 'TimerTO_R', 'TimerTO_W', 'TimerTO_NACK'], 'no timer runs in LISTEN'),

  // TIDOK_WAIT: Ack(TIDve) sent, the Invoke is held until Ack(TIDok) (§9.5).
  row('TIDOK_WAIT', 'RcvAck', ['tok', 'complete'], [verification('ok'), deliver, start('A')], 'INVOKE_RESP_WAIT'),
  row('TIDOK_WAIT', 'RcvAck', ['tok', '!complete'], [verification('ok'), ackGroups, nackTimer, start('W')], 'INVOKE_SAR_WAIT'),
  ...ignore('TIDOK_WAIT', 'RcvAck', 'only Ack(TIDok) answers a verification', ['!tok']),
  row('TIDOK_WAIT', 'RcvAbort', [], [verification('failed'), outcome('invalidtid')], 'LISTEN'),
  row('TIDOK_WAIT', 'RcvInvoke', [], [dup, ackTve(true)], 'TIDOK_WAIT'),
  row('TIDOK_WAIT', 'RcvSegInvoke', ['!tooLarge'], [store], 'TIDOK_WAIT'),
  row('TIDOK_WAIT', 'RcvSegInvoke', ['tooLarge'], [abort('provider', 'MESSAGETOOLARGE'), outcome('toolarge')], 'LISTEN'),
  ...ignore('TIDOK_WAIT', 'RcvNegativeAck', 'nothing sent yet to be missing'),
  row('TIDOK_WAIT', 'RcvErrorPDU', [], [abort('provider', 'PROTOERR'), outcome('protoerr')], 'LISTEN'),
  ...ignore('TIDOK_WAIT', USER, 'the user has not been indicated'),
  row('TIDOK_WAIT', 'TimerTO_R', ['rcrLeft'], [inc('rcr'), ackTve(true), start('R')], 'TIDOK_WAIT'),
  row('TIDOK_WAIT', 'TimerTO_R', ['!rcrLeft'], [abort('provider', 'INVALIDTID'), verification('timeout'), outcome('invalidtid')], 'LISTEN'),
  ...ignore('TIDOK_WAIT', ['TimerTO_A', 'TimerTO_W', 'TimerTO_NACK'], 'not running in TIDOK_WAIT'),

  // INVOKE_SAR_WAIT: segmented Invoke arriving; each complete group acked, gaps NAcked (§9.4).
  ...each(INVOKES, (on) => [
    row('INVOKE_SAR_WAIT', on, ['tooLarge'], [abort('provider', 'MESSAGETOOLARGE'), outcome('toolarge')], 'LISTEN'),
    row('INVOKE_SAR_WAIT', on, ['!tooLarge', 'complete'], [store, deliver, start('A')], 'INVOKE_RESP_WAIT'),
    row('INVOKE_SAR_WAIT', on, ['!tooLarge', '!complete'], [store, ackGroups, nackTimer, start('W')], 'INVOKE_SAR_WAIT'),
  ]),
  ...ignore('INVOKE_SAR_WAIT', ['RcvAck', 'RcvNegativeAck'], 'we have sent nothing to acknowledge'),
  row('INVOKE_SAR_WAIT', 'RcvAbort', ['!lateInvalidTid'], [outcome('aborted-peer')], 'LISTEN'),
  ...ignore('INVOKE_SAR_WAIT', 'RcvAbort', 'a late Abort INVALIDTID answering a duplicate Ack(TIDve)', ['lateInvalidTid']),
  row('INVOKE_SAR_WAIT', 'RcvErrorPDU', [], [abort('provider', 'PROTOERR'), outcome('protoerr')], 'LISTEN'),
  ...ignore('INVOKE_SAR_WAIT', USER, 'the user has not been indicated'),
  row('INVOKE_SAR_WAIT', 'TimerTO_NACK', ['nackLeft'], [sendNack, start('NACK')], 'INVOKE_SAR_WAIT'),
  row('INVOKE_SAR_WAIT', 'TimerTO_NACK', ['!nackLeft'], [abort('provider', 'NORESPONSE'), outcome('noresponse')], 'LISTEN'),
  row('INVOKE_SAR_WAIT', 'TimerTO_W', [], [abort('provider', 'NORESPONSE'), outcome('noresponse')], 'LISTEN'),
  ...ignore('INVOKE_SAR_WAIT', ['TimerTO_A', 'TimerTO_R'], 'not running in INVOKE_SAR_WAIT'),

  // INVOKE_RESP_WAIT: TR-Invoke.ind given, waiting for TR-Invoke.res or TR-Result.req.
  ...each(INVOKES, (on) => [row('INVOKE_RESP_WAIT', on, [], [dup], 'INVOKE_RESP_WAIT')]),
  row('INVOKE_RESP_WAIT', 'TR-Invoke.res', ['tcl2'], [zero('aec'), start('A')], 'RESULT_WAIT'),
  row('INVOKE_RESP_WAIT', 'TR-Invoke.res', ['!tcl2'], [ack, release, outcome('completed'), start('W')], 'WAIT_TIMEOUT'),
  ...resultReq('INVOKE_RESP_WAIT', ['tcl2']),
  ...ignore('INVOKE_RESP_WAIT', 'TR-Result.req', 'class 1 has no result', ['!tcl2']),
  row('INVOKE_RESP_WAIT', 'TR-Abort.req', [], [abort('user', 'event'), outcome('aborted-user')], 'LISTEN'),
  row('INVOKE_RESP_WAIT', 'RcvAbort', ['!lateInvalidTid'], [indicateAbort('event'), outcome('aborted-peer')], 'LISTEN'),
  ...ignore('INVOKE_RESP_WAIT', 'RcvAbort', 'a late Abort INVALIDTID answering a duplicate Ack(TIDve)', ['lateInvalidTid']),
  row('INVOKE_RESP_WAIT', 'RcvErrorPDU', [], [abort('provider', 'PROTOERR'), indicateAbort('PROTOERR'), outcome('protoerr')], 'LISTEN'),
  ...ignore('INVOKE_RESP_WAIT', ['RcvAck', 'RcvNegativeAck'], 'a late Ack(TIDok) or a stray PDU'),
  row('INVOKE_RESP_WAIT', 'TimerTO_A', ['uack', 'aecLeft'], [inc('aec'), start('A')], 'INVOKE_RESP_WAIT'),
  row('INVOKE_RESP_WAIT', 'TimerTO_A', ['uack', '!aecLeft'], [abort('provider', 'NORESPONSE'), indicateAbort('NORESPONSE'), outcome('noresponse')], 'LISTEN'),
  row('INVOKE_RESP_WAIT', 'TimerTO_A', ['!uack', 'tcl2'], [ack, holdOn], 'RESULT_WAIT'),
  row('INVOKE_RESP_WAIT', 'TimerTO_A', ['!uack', '!tcl2'], [ack, release, outcome('completed'), start('W')], 'WAIT_TIMEOUT'),
  ...ignore('INVOKE_RESP_WAIT', ['TimerTO_R', 'TimerTO_W', 'TimerTO_NACK'], 'not running in INVOKE_RESP_WAIT'),

  // RESULT_WAIT (class 2): the user accepted; a hold-on Ack stops the initiator's retries.
  ...resultReq('RESULT_WAIT', []),
  row('RESULT_WAIT', 'TimerTO_A', ['!holdOnSent'], [ack, holdOn], 'RESULT_WAIT'),
  ...ignore('RESULT_WAIT', 'TimerTO_A', 'hold-on already sent; A is not restarted', ['holdOnSent']),
  ...each(INVOKES, (on) => [
    row('RESULT_WAIT', on, ['holdOnSent'], [dup, ack], 'RESULT_WAIT'),
    row('RESULT_WAIT', on, ['!holdOnSent'], [dup], 'RESULT_WAIT'),
  ]),
  row('RESULT_WAIT', 'TR-Abort.req', [], [abort('user', 'event'), outcome('aborted-user')], 'LISTEN'),
  row('RESULT_WAIT', 'RcvAbort', ['!lateInvalidTid'], [indicateAbort('event'), outcome('aborted-peer')], 'LISTEN'),
  ...ignore('RESULT_WAIT', 'RcvAbort', 'a late Abort INVALIDTID answering a duplicate Ack(TIDve)', ['lateInvalidTid']),
  row('RESULT_WAIT', 'RcvErrorPDU', [], [abort('provider', 'PROTOERR'), indicateAbort('PROTOERR'), outcome('protoerr')], 'LISTEN'),
  ...ignore('RESULT_WAIT', ['RcvAck', 'RcvNegativeAck'], 'a late Ack(TIDok) or a stray PDU'),
  ...ignore('RESULT_WAIT', 'TR-Invoke.res', 'already acknowledged by the user'),
  ...ignore('RESULT_WAIT', ['TimerTO_R', 'TimerTO_W', 'TimerTO_NACK'], 'not running in RESULT_WAIT'),

  // RESULT_RESP_WAIT: Result (group by group when segmented) sent, waiting for its Ack.
  row('RESULT_RESP_WAIT', 'RcvAck', ['ackVerify'], [verification('ok'), verified, zero('rcr'), sendGroup(), start('R')], 'RESULT_RESP_WAIT'),
  row('RESULT_RESP_WAIT', 'RcvAck', ['ackGroup'], [nextGroup, zero('rcr'), sendGroup(), start('R')], 'RESULT_RESP_WAIT'),
  row('RESULT_RESP_WAIT', 'RcvAck', ['ackFinal'], [cnf, release, outcome('completed'), start('W')], 'WAIT_TIMEOUT'),
  ...ignore('RESULT_RESP_WAIT', 'RcvAck', 'an Ack for another group, or a duplicate', ['ackStale']),
  row('RESULT_RESP_WAIT', 'RcvNegativeAck', ['!verifying'], [resendMissing, start('R')], 'RESULT_RESP_WAIT'),
  ...ignore('RESULT_RESP_WAIT', 'RcvNegativeAck', 'nothing sent before verification', ['verifying']),
  row('RESULT_RESP_WAIT', 'TimerTO_R', ['rcrLeft', 'verifying'], [inc('rcr'), ackTve(true), start('R')], 'RESULT_RESP_WAIT'),
  row('RESULT_RESP_WAIT', 'TimerTO_R', ['rcrLeft', '!verifying'], [inc('rcr'), sendGroup(true), start('R')], 'RESULT_RESP_WAIT'),
  row('RESULT_RESP_WAIT', 'TimerTO_R', ['!rcrLeft'], [abort('provider', 'NORESPONSE'), indicateAbort('NORESPONSE'), outcome('noresponse')], 'LISTEN'),
  ...each(INVOKES, (on) => [
    row('RESULT_RESP_WAIT', on, ['canReplay', '!verifying'], [dup, sendGroup(true)], 'RESULT_RESP_WAIT'),
    row('RESULT_RESP_WAIT', on, ['canReplay', 'verifying'], [dup, ackTve(true)], 'RESULT_RESP_WAIT'),
    row('RESULT_RESP_WAIT', on, ['!canReplay'], [dup], 'RESULT_RESP_WAIT'),
  ]),
  row('RESULT_RESP_WAIT', 'TR-Abort.req', [], [abort('user', 'event'), outcome('aborted-user')], 'LISTEN'),
  row('RESULT_RESP_WAIT', 'RcvAbort', ['!lateInvalidTid'], [indicateAbort('event'), outcome('aborted-peer')], 'LISTEN'),
  ...ignore('RESULT_RESP_WAIT', 'RcvAbort', 'a late Abort INVALIDTID answering a duplicate Ack(TIDve)', ['lateInvalidTid']),
  row('RESULT_RESP_WAIT', 'RcvErrorPDU', [], [abort('provider', 'PROTOERR'), indicateAbort('PROTOERR'), outcome('protoerr')], 'LISTEN'),
  ...ignore('RESULT_RESP_WAIT', ['TR-Invoke.res', 'TR-Result.req'], 'the result is already on its way'),
  ...ignore('RESULT_RESP_WAIT', ['TimerTO_A', 'TimerTO_W', 'TimerTO_NACK'], 'not running in RESULT_RESP_WAIT'),

  // WAIT_TIMEOUT: finished; remembered for W to absorb late duplicates (§9.3.2).
  ...each(INVOKES, (on) => [
    row('WAIT_TIMEOUT', on, ['tcl2'], [dup], 'WAIT_TIMEOUT'),
    row('WAIT_TIMEOUT', on, ['!tcl2'], [dup, ack], 'WAIT_TIMEOUT'),
  ]),
  row('WAIT_TIMEOUT', 'TimerTO_W', [], [], 'LISTEN'),
  row('WAIT_TIMEOUT', 'RcvAbort', [], [], 'LISTEN'),
  ...ignore('WAIT_TIMEOUT', ['RcvAck', 'RcvNegativeAck', 'RcvErrorPDU'], 'the transaction is complete'),
  ...ignore('WAIT_TIMEOUT', USER, 'the transaction is complete'),
  ...ignore('WAIT_TIMEOUT', ['TimerTO_A', 'TimerTO_R', 'TimerTO_NACK'], 'not running in WAIT_TIMEOUT'),
];

const BY_PAIR = indexRows(ROWS);

export function rowsFor(state: WtpState, on: WtpEventType): readonly Row[] {
  return BY_PAIR.get(pairKey(state, on)) ?? [];
}

function holds(g: GuardRef, tx: Tx, ev: WtpEvent, now: number): boolean {
  if (g.startsWith('!')) return !GUARDS[g.slice(1) as GuardName](tx, ev, now);
  return GUARDS[g as GuardName](tx, ev, now);
}

/**
 * A row with its guards resolved once, at module load, into the guard functions and whether each
 * is negated (the same meaning as `holds` over `when`), so that selecting a row per event builds
 * no closure and no array.
 */
interface Candidate {
  from: WtpState;
  on: WtpEventType;
  row: Row;
  guards: readonly Guard[];
  /** Each guard's index in GUARD_LIST (its slot in the step's memo). */
  ids: readonly number[];
  negated: readonly boolean[];
}

const GUARD_LIST = Object.keys(GUARDS) as GuardName[];
const guardName = (g: GuardRef): GuardName => (g.startsWith('!') ? g.slice(1) : g) as GuardName;

const candidate = (row: Row): Candidate => ({
  from: row.from,
  on: row.on,
  row,
  guards: row.when.map((g) => GUARDS[guardName(g)]),
  ids: row.when.map((g) => GUARD_LIST.indexOf(guardName(g))),
  negated: row.when.map((g) => g.startsWith('!')),
});

/**
 * The guards' values in the step being selected: several rows of one (state, event) ask the same
 * guard (all seven LISTEN Invoke rows ask `tcl0`), and a guard only reads, so each is evaluated
 * once per step. `memoStep[i]` is the step that `memoValue[i]` belongs to.
 */
const memoValue: boolean[] = GUARD_LIST.map(() => false);
const memoStep: number[] = GUARD_LIST.map(() => 0);
let stepNo = 0;

/** What `advance` looks up: the candidate rows by state and event number (`rowGrid`, which checks `stateNo` and `eventNo` below against STATES and EVENTS). */
const CANDIDATES = rowGrid('WTP', ROWS.map(candidate), STATES, EVENTS, stateNo, eventNo);
const NO_CANDIDATES: readonly Candidate[] = [];

function stateNo(s: WtpState): number {
  switch (s) {
    case 'LISTEN':
      return 0;
    case 'TIDOK_WAIT':
      return 1;
    case 'INVOKE_SAR_WAIT':
      return 2;
    case 'INVOKE_RESP_WAIT':
      return 3;
    case 'RESULT_WAIT':
      return 4;
    case 'RESULT_RESP_WAIT':
      return 5;
    case 'WAIT_TIMEOUT':
      return 6;
  }
}

function eventNo(e: WtpEventType): number {
  switch (e) {
    case 'RcvInvoke':
      return 0;
    case 'RcvSegInvoke':
      return 1;
    case 'RcvAck':
      return 2;
    case 'RcvNegativeAck':
      return 3;
    case 'RcvAbort':
      return 4;
    case 'RcvErrorPDU':
      return 5;
    case 'TR-Invoke.res':
      return 6;
    case 'TR-Result.req':
      return 7;
    case 'TR-Abort.req':
      return 8;
    case 'TimerTO_A':
      return 9;
    case 'TimerTO_R':
      return 10;
    case 'TimerTO_W':
      return 11;
    case 'TimerTO_NACK':
      return 12;
  }
}


function passes(c: Candidate, tx: Tx, ev: WtpEvent, now: number): boolean {
  const { guards, ids, negated } = c;
  for (let i = 0; i < guards.length; i++) {
    const id = ids[i] as number;
    let v: boolean;
    if (memoStep[id] === stepNo) v = memoValue[id] as boolean;
    else {
      v = (guards[i] as Guard)(tx, ev, now);
      memoValue[id] = v;
      memoStep[id] = stepNo;
    }
    if (v === negated[i]) return false;
  }
  return true;
}

/** The one row whose guards hold (the table engine's rule, src/core/table.ts: none or several is a bug in the table). */
function selectCandidate(tx: Tx, ev: WtpEvent, now: number): Row {
  const cands = CANDIDATES[stateNo(tx.state) * EVENTS.length + eventNo(ev.type)] ?? NO_CANDIDATES;
  // a small integer always; past its range the memo starts over
  if (++stepNo === 0x3fffffff) {
    stepNo = 1;
    memoStep.fill(0);
  }
  let found: Row | undefined;
  let n = 0;
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i] as Candidate;
    if (!passes(c, tx, ev, now)) continue;
    n++;
    found = c.row;
  }
  if (n === 1) return found as Row;
  throw rowError('WTP', tx.state, ev.type, n);
}

/** The rows whose guards all hold; `step` requires exactly one. */
export function matchingRows(tx: Tx, ev: WtpEvent, now: number): Row[] {
  return rowsFor(tx.state, ev.type).filter((r) => r.when.every((g) => holds(g, tx, ev, now)));
}

// ---------------------------------------------------------------------------------------------
// step

export interface StepResult {
  tx: Tx;
  actions: MachineAction[];
  row: Row;
}

/** A fresh LISTEN record for the first Invoke of (peer, tid). */
export function newTx(peer: Peer, invoke: Invoke, limits: Limits): Tx {
  const { tcl, up: uack } = invoke;
  const sar = !(invoke.gtr && invoke.ttr);
  const clientMru = optionValue(invoke, OPTION_ID.MaxReceiveUnit);
  const clientMaxGroup = optionValue(invoke, OPTION_ID.MaxGroup);
  const tid = invoke.tid & 0x7fff;
  return {
    clientMru,
    clientMaxGroup,
    state: 'LISTEN',
    peer,
    tid,
    tcl,
    uack,
    sar,
    limits,
    aec: 0,
    rcr: 0,
    nackCount: 0,
    holdOnSent: false,
    tidVerified: false,
    inbound: emptyInbound,
    outbound: undefined,
    timers: { A: undefined, R: undefined, W: undefined, NACK: undefined },
    lastSendAt: -Infinity,
    outcome: undefined,
  };
}

/** Pure: the next transaction record and the actions, for one event at time `now` (`tx` is left as it was). */
export function step(tx: Tx, ev: WtpEvent, now: number): StepResult {
  const d: TxRecord = { ...tx, timers: { A: tx.timers.A, R: tx.timers.R, W: tx.timers.W, NACK: tx.timers.NACK } };
  const actions: MachineAction[] = [];
  const row = advance(d, ev, now, actions);
  return { tx: d, actions, row };
}

/** A transaction record as its owner (the responder) holds it: updated in place by `advance`. */
export type TxRecord = { -readonly [K in keyof Tx]: Tx[K] } & { timers: Partial<Record<TimerName, number | undefined>> };

/**
 * The same step on the owner's record, in place: the row is selected (exactly one, or a table
 * error is thrown with `d` untouched), its operations update `d` and append to `actions`, and
 * `d.state` becomes the row's target. On a change of state every timer stops (the file comment).
 */
export function advance(d: TxRecord, ev: WtpEvent, now: number, actions: MachineAction[]): Row {
  const r = selectCandidate(d, ev, now);
  if (r.to !== d.state) {
    const t = d.timers;
    t.A = t.R = t.W = t.NACK = undefined;
  }
  const ops = r.do;
  for (let i = 0; i < ops.length; i++) apply(ops[i] as Op, d, ev, now, actions);
  d.state = r.to;
  return r;
}

type Draft = TxRecord;

function rtid(d: Draft): number {
  return responderTid(d.tid);
}

function send(d: Draft, now: number, actions: MachineAction[], pdus: WtpPdu[]): void {
  if (pdus.length === 0) return;
  d.lastSendAt = now;
  actions.push({ kind: 'send', pdus });
}

/**
 * The packets of the current group (or those in `only`). For a Negative Ack (`forNack`), a
 * packet already resent for one less than nackDelayMs ago is skipped: an initiator that NAcks
 * again on every packet that arrives (fakewap does) does not get each hole filled twice.
 */
/** No packet resent yet: one list for every plan (groupPdus copies before it writes one). */
const NO_RESENDS: readonly number[] = [];

function groupPdus(d: Draft, now: number, rid: boolean, only?: ReadonlySet<number>, forNack = false): WtpPdu[] {
  const out = d.outbound;
  if (!out) return [];
  const n = out.segs.length;
  const first = out.groupStart;
  const last = groupEnd(first, out.groupSize, n);
  const pdus: WtpPdu[] = [];
  const resentAt = forNack ? out.nackResentAt.slice() : out.nackResentAt;
  for (let p = first; p <= last; p++) {
    if (only && !only.has(p)) continue;
    if (forNack) {
      if (now - (resentAt[p] ?? -Infinity) < d.limits.nackDelayMs) continue;
      (resentAt as number[])[p] = now;
    }
    const data = out.segs[p] as Buffer;
    const ttr = p === n - 1;
    const gtr = p === last && !ttr;
    pdus.push(
      p === 0
        ? { type: 'Result', tid: rtid(d), tpis: [], gtr, ttr, rid, data }
        : { type: 'SegmentedResult', tid: rtid(d), tpis: [], gtr, ttr, rid, psn: p, data },
    );
  }
  if (forNack) d.outbound = { ...out, nackResentAt: resentAt };
  return pdus;
}

function reasonCode(r: ProviderReason | 'event', ev: WtpEvent): number {
  if (r !== 'event') return PROVIDER_ABORT[r];
  if (ev.type === 'TR-Abort.req') return ev.reason;
  if (ev.type === 'RcvAbort') return ev.pdu.reason;
  return PROVIDER_ABORT.UNKNOWN;
}

/** The actions that carry nothing of the transaction, one object each (read, never changed, by the responder). */
const CNF: MachineAction = { kind: 'TR-Result.cnf' };
const DUPLICATE: MachineAction = { kind: 'duplicate' };
const TID_VERIFIED: MachineAction = { kind: 'tidVerified' };
const VERIFICATION: Readonly<Record<'started' | 'ok' | 'failed' | 'timeout', MachineAction>> = {
  started: { kind: 'verification', outcome: 'started' },
  ok: { kind: 'verification', outcome: 'ok' },
  failed: { kind: 'verification', outcome: 'failed' },
  timeout: { kind: 'verification', outcome: 'timeout' },
};

function apply(op: Op, d: Draft, ev: WtpEvent, now: number, actions: MachineAction[]): void {
  const L = d.limits;
  switch (op.op) {
    case 'store':
      d.inbound = inboundAfter(d, ev);
      return;
    case 'ackGroups': {
      const inb = d.inbound;
      const h = ackablePsn(inb);
      if (h < 0) return;
      const pkt = ev.type === 'RcvInvoke' ? { psn: 0, gtr: ev.pdu.gtr } : ev.type === 'RcvSegInvoke' ? { psn: ev.pdu.psn, gtr: ev.pdu.gtr } : undefined;
      const repeat = pkt !== undefined && pkt.gtr && pkt.psn <= contiguous(inb);
      if (h > inb.ackedPsn || repeat) {
        send(d, now, actions, [{ type: 'Ack', tid: rtid(d), tpis: [{ tpi: 'PSN', psn: h }], tveTok: false, rid: h <= inb.ackedPsn }]);
        d.inbound = { ...inb, ackedPsn: Math.max(h, inb.ackedPsn) };
      }
      return;
    }
    case 'nackTimer':
      if (missing(d.inbound).length === 0) {
        d.timers.NACK = undefined;
        d.nackCount = 0;
      } else if (d.timers.NACK === undefined) {
        d.timers.NACK = now + L.nackDelayMs;
      }
      return;
    case 'sendNack': {
      const m = missing(d.inbound).slice(0, 255);
      if (m.length === 0) return;
      d.nackCount += 1;
      send(d, now, actions, [{ type: 'NegativeAck', tid: rtid(d), tpis: [], rid: d.nackCount > 1, missing: m }]);
      return;
    }
    case 'deliver': {
      const data = assemble(d.inbound);
      actions.push({ kind: 'TR-Invoke.ind', data });
      // Keep only what later Acks need; the data now belongs to the user.
      d.inbound = withoutPackets(d.inbound);
      return;
    }
    case 'ack': {
      const last = d.inbound.ttrPsn;
      const tpis = last > 0 ? [{ tpi: 'PSN' as const, psn: last }] : [];
      send(d, now, actions, [{ type: 'Ack', tid: rtid(d), tpis, tveTok: false, rid: d.holdOnSent }]);
      return;
    }
    case 'ackTve':
      send(d, now, actions, [{ type: 'Ack', tid: rtid(d), tpis: [], tveTok: true, rid: op.rid }]);
      return;
    case 'abort':
      send(d, now, actions, [{ type: 'Abort', tid: rtid(d), tpis: [], abortType: op.type, reason: reasonCode(op.reason, ev) }]);
      return;
    case 'plan':
      if (ev.type !== 'TR-Result.req' || ev.segmentSize === null) return;
    {
      // WAP-224 Option "Max group": the most octets the initiator takes in one group.
      const byClient = d.clientMaxGroup ? Math.max(1, Math.floor(d.clientMaxGroup / ev.segmentSize)) : Infinity;
      const groupSize = Math.min(L.groupSize, byClient);
      d.outbound = { segs: segment(ev.data, ev.segmentSize), groupSize, nackResentAt: NO_RESENDS, groupStart: 0, verifying: ev.verifyFirst };
    }
      d.rcr = 0;
      return;
    case 'sendGroup':
      send(d, now, actions, groupPdus(d, now, op.rid));
      return;
    case 'resendMissing': {
      if (ev.type !== 'RcvNegativeAck') return;
      const only = ev.pdu.missing.length ? new Set(ev.pdu.missing) : undefined;
      send(d, now, actions, groupPdus(d, now, true, only, true));
      return;
    }
    case 'nextGroup':
      if (d.outbound) {
        const last = groupEnd(d.outbound.groupStart, d.outbound.groupSize, d.outbound.segs.length);
        d.outbound = { ...d.outbound, groupStart: last + 1 };
      }
      return;
    case 'verified':
      if (d.outbound) d.outbound = { ...d.outbound, verifying: false };
      return;
    case 'start': {
      const ms = op.timer === 'A' ? L.ackIntervalMs : op.timer === 'R' ? L.retryIntervalMs : op.timer === 'W' ? L.waitTimeoutMs : d.nackCount > 0 ? L.retryIntervalMs : L.nackDelayMs;
      d.timers[op.timer] = now + ms;
      return;
    }
    case 'inc':
      d[op.counter] += 1;
      return;
    case 'zero':
      d[op.counter] = 0;
      return;
    case 'holdOn':
      d.holdOnSent = true;
      return;
    case 'cnf':
      actions.push(CNF);
      return;
    case 'indicateAbort':
      actions.push({ kind: 'TR-Abort.ind', abortType: op.reason === 'event' && ev.type === 'RcvAbort' ? ev.pdu.abortType : 'provider', reason: reasonCode(op.reason, ev) });
      return;
    case 'dup':
      actions.push(DUPLICATE);
      return;
    case 'verification':
      actions.push(VERIFICATION[op.outcome]);
      if (op.outcome === 'ok') {
        d.tidVerified = true;
        actions.push(TID_VERIFIED);
      }
      return;
    case 'outcome':
      d.outcome = op.outcome;
      return;
    case 'release':
      d.inbound = withoutPackets(d.inbound);
      d.outbound = undefined;
      return;
  }
}

