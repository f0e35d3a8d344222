/**
 * The connection-oriented WSP server session (WAP-230 §7.1.4, "Server session" state
 * tables; names after the spec: NULL, CONNECTING_2, CONNECTED, SUSPENDED, RESUMING_2).
 * The table is data; `step(session, event, now)` is pure and returns the new session and
 * the actions the gateway carries out (send a ConnectReply/Reply on a WTP transaction,
 * deliver a method to the bridge, cancel an upstream request, abort a transaction, release).
 * Guards only read; counts such as "methods in flight" are in the session and checked here,
 * everything with an effect happens outside.
 *
 * We answer the Connect ourselves (no S-Connect.ind to an application), so the server
 * passes straight from NULL to CONNECTING_2 (ConnectReply sent, waiting for TR-Result.cnf).
 * Methods are served in CONNECTING_2 and RESUMING_2 as in CONNECTED (WAP-230 server session
 * table); only the Connect's (or Resume's) own TR-Result.cnf moves the session to CONNECTED.
 * A method stays outstanding, and counts against Method-MOR, from its TR-Invoke.ind until
 * its Result is acknowledged (TR-Result.cnf) or the transaction dies (TR-Abort.ind), so a
 * Disconnect, Suspend or Resume aborts Results still being retransmitted, not only requests
 * still upstream.
 *
 * Implicit acknowledgement on lossy links: a client may have at most Method-MOR methods
 * outstanding, and a method is outstanding for the client until it receives the Result
 * (WAP-230: the S-MethodResult primitive; the Method-MOR capability, §8.3 and Table 37). So when a new method arrives while
 * the session already counts Method-MOR methods, and some of them have their Result sent
 * (S-MethodResult.req done, the WTP transaction waiting for its Ack), the client has received
 * at least one of those Results and only the Ack was lost. The new method then takes the
 * answered methods as acknowledged for Method-MOR: they leave the session's count (their WTP
 * transactions go on unchanged, retransmitting the Result until the Ack or timer R gives up,
 * and absorbing retransmitted Invokes as duplicates, so no method runs twice). Only when the
 * methods still without a Result already fill Method-MOR is the new one refused (MOREXCEEDED).
 */
import type { HeaderList } from '../core/http';
import { indexRows, missingPairs, pairKey, rowError, rowGrid } from '../core/table';
import { NO_TXN, type TxId } from '../wtp';
import type { Peer } from '../core/peer';

export const STATES = ['NULL', 'CONNECTING_2', 'CONNECTED', 'SUSPENDED', 'RESUMING_2'] as const;
export type SessionState = (typeof STATES)[number];

/** WSP user abort reasons carried in WTP Abort (WAP-230 Table 35; type 1 in WTP). */
export const WSP_ABORT = {
  PROTOERR: 0xe0,
  DISCONNECT: 0xe1,
  SUSPEND: 0xe2,
  RESUME: 0xe3,
  CONGESTION: 0xe4,
  CONNECTERR: 0xe5,
  MRUEXCEEDED: 0xe6,
  MOREXCEEDED: 0xe7,
  PEERREQ: 0xe8,
  NETERR: 0xe9,
  USERREQ: 0xea,
  USERRFS: 0xeb,
  USERPND: 0xec,
  USERDCR: 0xed,
  USERDCU: 0xee,
} as const;
export type WspAbortReason = keyof typeof WSP_ABORT;

/** A WTP transaction as the session sees it: the WTP layer's own key (src/wtp, TxId), opaque here. */
export type { TxId } from '../wtp';

export interface NegotiatedCaps {
  clientSduSize: number;
  serverSduSize: number;
  methodMor: number;
  pushMor: number;
  protocolOptions: number;
  /** What the ConnectReply states beyond the SDU sizes: only what the client raised. */
  announce?: { protocolOptions: boolean; methodMor: boolean; encodingVersion: boolean };
}

export interface Session {
  readonly id: number;
  readonly state: SessionState;
  readonly peer: Peer;
  readonly caps: NegotiatedCaps;
  readonly headers: HeaderList;
  /** Negotiated encoding version as (major << 4) | minor, e.g. 0x12. */
  readonly encodingVersion: number;
  /** The Connect (or Resume) transaction awaiting its TR-Result.cnf. */
  readonly pendingTxn: TxId | undefined;
  /** Method transactions outstanding: delivered, Result not yet acknowledged (oldest first). */
  readonly methods: readonly TxId[];
  /** Those of `methods` whose Result has been handed to WTP (S-MethodResult.req). */
  readonly answered: readonly TxId[];
  readonly lastActivity: number;
  readonly idleTimeoutMs: number;
}

export type SessionEvent =
  | { on: 'Connect'; txn: TxId }
  | { on: 'TR-Result.cnf'; txn: TxId }
  | { on: 'TR-Abort.ind'; txn: TxId }
  | { on: 'Method'; txn: TxId }
  /** S-MethodResult.req: the Result of a method went to WTP (TR-Result.req). */
  | { on: 'MethodResult'; txn: TxId }
  | { on: 'Disconnect' }
  | { on: 'Suspend' }
  | { on: 'Resume'; txn: TxId; peer: Peer; headers: HeaderList | undefined }
  | { on: 'IdleTimeout' }
  | { on: 'Evict' };
export type SessionEventName = SessionEvent['on'];
export const EVENTS: readonly SessionEventName[] = [
  'Connect',
  'TR-Result.cnf',
  'TR-Abort.ind',
  'Method',
  'MethodResult',
  'Disconnect',
  'Suspend',
  'Resume',
  'IdleTimeout',
  'Evict',
];

export type SessionAction =
  | { do: 'connectReply'; txn: TxId }
  | { do: 'resumeReply'; txn: TxId }
  | { do: 'deliver'; txn: TxId }
  | { do: 'cancelUpstream'; txn: TxId }
  | { do: 'abortTxn'; txn: TxId; reason: WspAbortReason }
  | { do: 'release' }
  /** A method transaction ended (its Result was acknowledged): drop its bookkeeping. */
  | { do: 'forget'; txn: TxId }
  | { do: 'count'; event: 'connect' | 'disconnect' | 'suspend' | 'resume' | 'expire' | 'evict' | 'refused' | 'implicit-ack' };

interface Ctx {
  s: Session;
  e: SessionEvent;
}
type Guard = (c: Ctx) => boolean;
/**
 * An effect updates the session record in place (the step's own copy, or the server's record:
 * see `advance`) and appends its actions. Arrays it changes (`methods`, `answered`) are changed
 * in place too, except where a whole list is given up (abortAll, ackAnswered), which assigns a
 * new one: a caller that kept the old list (the server's release) still reads what it held.
 */
type Effect = (s: MutableSession, e: SessionEvent, actions: SessionAction[]) => void;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A session record as its owner holds it: updated in place by `advance`. */
export type MutableSession = Mutable<Session> & { methods: TxId[]; answered: TxId[] };

interface Row {
  from: SessionState;
  on: SessionEventName;
  when?: Guard;
  to: SessionState;
  do: Effect[];
}
interface Ignore {
  from: SessionState;
  on: SessionEventName;
  when?: Guard;
  ignore: string;
}

// ---- guards (read only) ----
const isPending: Guard = ({ s, e }) => 'txn' in e && s.pendingTxn === e.txn;
const notPending: Guard = (c) => !isPending(c);
const isMethod: Guard = ({ s, e }) => 'txn' in e && s.methods.includes(e.txn);
const withinMor: Guard = ({ s }) => s.methods.length < s.caps.methodMor;
/** Methods without a Result yet (upstream or being answered): what the client surely still awaits. */
const unanswered = (s: Session): number => s.methods.length - s.answered.length;
/** Over Method-MOR only because of Results whose Ack has not arrived: the new method acknowledges them. */
const implicitAck: Guard = (c) => !withinMor(c) && unanswered(c.s) < c.s.caps.methodMor;
const overMor: Guard = (c) => !withinMor(c) && !implicitAck(c);

// ---- effects (in place on the record; see Effect) ----
const txnOf = (e: SessionEvent): TxId => ('txn' in e ? e.txn : NO_TXN);
/** Removes `txn` from `list` in place (a list holds a transaction at most once). */
const remove = (list: TxId[], txn: TxId): void => {
  const i = list.indexOf(txn);
  if (i >= 0) list.splice(i, 1);
};
/** The actions that carry no transaction, one object each (the server reads them, never changes them). */
type CountEvent = Extract<SessionAction, { do: 'count' }>['event'];
const COUNT: Readonly<Record<CountEvent, SessionAction>> = {
  connect: { do: 'count', event: 'connect' },
  disconnect: { do: 'count', event: 'disconnect' },
  suspend: { do: 'count', event: 'suspend' },
  resume: { do: 'count', event: 'resume' },
  expire: { do: 'count', event: 'expire' },
  evict: { do: 'count', event: 'evict' },
  refused: { do: 'count', event: 'refused' },
  'implicit-ack': { do: 'count', event: 'implicit-ack' },
};
const RELEASE: SessionAction = { do: 'release' };

const connectReply: Effect = (s, e, actions) => {
  s.pendingTxn = txnOf(e);
  actions.push({ do: 'connectReply', txn: txnOf(e) }, COUNT.connect);
};
const confirm: Effect = (s) => {
  s.pendingTxn = undefined;
};
const deliver: Effect = (s, e, actions) => {
  s.methods.push(txnOf(e));
  actions.push({ do: 'deliver', txn: txnOf(e) });
};
const refuseMor: Effect = (_s, e, actions) => {
  actions.push({ do: 'abortTxn', txn: txnOf(e), reason: 'MOREXCEEDED' });
};
const refuseSuspended: Effect = (_s, e, actions) => {
  actions.push({ do: 'abortTxn', txn: txnOf(e), reason: 'SUSPEND' });
};
const methodDone: Effect = (s, e, actions) => {
  remove(s.methods, txnOf(e));
  remove(s.answered, txnOf(e));
  actions.push({ do: 'forget', txn: txnOf(e) });
};
const markAnswered: Effect = (s, e) => {
  if (!s.answered.includes(txnOf(e))) s.answered.push(txnOf(e));
};
/** The answered methods leave the count (see the file comment); WTP keeps their transactions. */
const ackAnswered: Effect = (s, _e, actions) => {
  const answered = s.answered;
  s.methods = s.methods.filter((t) => !answered.includes(t));
  s.answered = [];
  for (const txn of answered) actions.push({ do: 'forget', txn });
  actions.push(COUNT['implicit-ack']);
};
/** MethodAbort: the peer aborted a method transaction; stop the upstream request. */
const cancelOne: Effect = (s, e, actions) => {
  remove(s.methods, txnOf(e));
  remove(s.answered, txnOf(e));
  actions.push({ do: 'cancelUpstream', txn: txnOf(e) }, { do: 'forget', txn: txnOf(e) });
};
const abortAll =
  (reason: WspAbortReason): Effect =>
  (s, _e, actions) => {
    for (const txn of s.methods) actions.push({ do: 'cancelUpstream', txn }, { do: 'abortTxn', txn, reason });
    s.methods = [];
    s.answered = [];
  };
const abortPending =
  (reason: WspAbortReason): Effect =>
  (s, _e, actions) => {
    if (s.pendingTxn) actions.push({ do: 'abortTxn', txn: s.pendingTxn, reason });
    s.pendingTxn = undefined;
  };
const release =
  (event: 'disconnect' | 'expire' | 'evict' | 'refused'): Effect =>
  (_s, _e, actions) => {
    actions.push(COUNT[event], RELEASE);
  };
const suspend: Effect = (_s, _e, actions) => {
  actions.push(COUNT.suspend);
};
const resume: Effect = (s, e, actions) => {
  if (e.on !== 'Resume') return;
  s.peer = e.peer;
  s.pendingTxn = e.txn;
  if (e.headers) s.headers = e.headers;
  actions.push({ do: 'resumeReply', txn: e.txn }, COUNT.resume);
};

const ALL_LIVE: SessionState[] = ['CONNECTING_2', 'CONNECTED', 'SUSPENDED', 'RESUMING_2'];
const ACTIVE: SessionState[] = ['CONNECTING_2', 'CONNECTED', 'RESUMING_2'];

export const TABLE: readonly (Row | Ignore)[] = [
  // NULL: only a Connect creates a session (the gateway answers anything else itself)
  { from: 'NULL', on: 'Connect', to: 'CONNECTING_2', do: [connectReply] },
  ...EVENTS.filter((ev) => ev !== 'Connect').map((on): Ignore => ({ from: 'NULL', on, ignore: 'no session: the gateway answers Abort DISCONNECT for methods' })),

  // the Connect / Resume transaction completes; a method's Result is acknowledged
  { from: 'CONNECTING_2', on: 'TR-Result.cnf', when: isPending, to: 'CONNECTED', do: [confirm] },
  { from: 'RESUMING_2', on: 'TR-Result.cnf', when: isPending, to: 'CONNECTED', do: [confirm] },
  ...ALL_LIVE.flatMap((from): Row[] => [
    { from, on: 'TR-Result.cnf', when: isMethod, to: from, do: [methodDone] },
    { from, on: 'TR-Result.cnf', when: (c) => notPending(c) && !isMethod(c), to: from, do: [] },
  ]),
  { from: 'CONNECTING_2', on: 'TR-Abort.ind', when: isPending, to: 'NULL', do: [abortAll('CONNECTERR'), confirm, release('refused')] },
  { from: 'RESUMING_2', on: 'TR-Abort.ind', when: isPending, to: 'SUSPENDED', do: [abortAll('RESUME'), confirm, suspend] },
  // MethodAbort (a WTP user Abort of a method transaction, or its provider abort) cancels the upstream request
  ...ALL_LIVE.flatMap((from): Row[] => [
    { from, on: 'TR-Abort.ind', when: isMethod, to: from, do: [cancelOne] },
    { from, on: 'TR-Abort.ind', when: (c) => notPending(c) && !isMethod(c), to: from, do: [] },
  ]),

  // methods: served in CONNECTING_2 / RESUMING_2 too, within Method-MOR (a new method
  // acknowledges answered methods whose Ack was lost; see the file comment)
  ...ACTIVE.flatMap((from): Row[] => [
    { from, on: 'Method', when: withinMor, to: from, do: [deliver] },
    { from, on: 'Method', when: implicitAck, to: from, do: [ackAnswered, deliver] },
    { from, on: 'Method', when: overMor, to: from, do: [refuseMor] },
  ]),
  { from: 'SUSPENDED', on: 'Method', to: 'SUSPENDED', do: [refuseSuspended] },
  // S-MethodResult.req: the method stays outstanding, now answered
  ...ALL_LIVE.flatMap((from): Row[] => [
    { from, on: 'MethodResult', when: isMethod, to: from, do: [markAnswered] },
    { from, on: 'MethodResult', when: (c) => !isMethod(c), to: from, do: [] },
  ]),

  // Disconnect, idle timeout, eviction: everything in flight is aborted, the session goes
  ...ALL_LIVE.flatMap((from): Row[] => [
    { from, on: 'Disconnect', to: 'NULL', do: [abortAll('DISCONNECT'), abortPending('DISCONNECT'), release('disconnect')] },
    { from, on: 'IdleTimeout', to: 'NULL', do: [abortAll('DISCONNECT'), abortPending('DISCONNECT'), release('expire')] },
    { from, on: 'Evict', to: 'NULL', do: [abortAll('CONGESTION'), abortPending('CONGESTION'), release('evict')] },
  ]),
  // a second Connect from the same peer replaces the session: the gateway sends Disconnect first
  ...ALL_LIVE.map((from): Ignore => ({ from, on: 'Connect', ignore: 'the gateway disconnects the old session of that peer before a new Connect' })),

  // Suspend (class 0): in-flight methods aborted with SUSPEND
  ...(['CONNECTING_2', 'CONNECTED', 'RESUMING_2'] as SessionState[]).map((from): Row => ({ from, on: 'Suspend', to: 'SUSPENDED', do: [abortAll('SUSPEND'), abortPending('SUSPEND'), suspend] })),
  { from: 'SUSPENDED', on: 'Suspend', ignore: 'already suspended' } as Ignore,

  // Resume (class 2, maybe from a new address): methods aborted with RESUME, Reply sent on the Resume transaction
  ...ALL_LIVE.map((from): Row => ({ from, on: 'Resume', to: 'RESUMING_2', do: [abortAll('RESUME'), abortPending('RESUME'), resume] })),
];

const isIgnore = (r: Row | Ignore): r is Ignore => 'ignore' in r;

export function newSession(id: number, peer: Peer, caps: NegotiatedCaps, headers: HeaderList, encodingVersion: number, now: number, idleTimeoutMs: number): Session {
  return { id, state: 'NULL', peer, caps, headers, encodingVersion, pendingTxn: undefined, methods: [], answered: [], lastActivity: now, idleTimeoutMs };
}

export interface StepResult {
  session: Session;
  actions: SessionAction[];
  /** True when the row taken is an explicit ignore. */
  ignored: boolean;
}

/** Rows by (state, event), in table order: derived from TABLE, never edited by hand. */
const ROWS_BY_PAIR = indexRows(TABLE);
/** What `step` looks up: the rows by state, then event. */
/**
 * A row as `advance` reads it: one shape for rows and ignores alike (the table's literals have
 * four: with and without a guard, rows and ignores), so that selecting and applying a row reads
 * monomorphic objects.
 */
interface Candidate {
  when: Guard | undefined;
  ignore: boolean;
  to: SessionState;
  do: readonly Effect[];
}
const NO_EFFECTS: readonly Effect[] = [];
const candidate = (r: Row | Ignore): Candidate & { from: SessionState; on: SessionEventName } => ({
  from: r.from,
  on: r.on,
  when: r.when,
  ignore: isIgnore(r),
  to: isIgnore(r) ? r.from : r.to,
  do: isIgnore(r) ? NO_EFFECTS : r.do,
});
/** The candidates by state and event number (`rowGrid`, which checks `stateNo` and `eventNo` below against STATES and EVENTS). */
const CANDIDATES = rowGrid('WSP', TABLE.map(candidate), STATES, EVENTS, stateNo, eventNo);
const NO_ROWS: readonly Candidate[] = [];

function stateNo(s: SessionState): number {
  switch (s) {
    case 'NULL':
      return 0;
    case 'CONNECTING_2':
      return 1;
    case 'CONNECTED':
      return 2;
    case 'SUSPENDED':
      return 3;
    case 'RESUMING_2':
      return 4;
  }
}

function eventNo(e: SessionEventName): number {
  switch (e) {
    case 'Connect':
      return 0;
    case 'TR-Result.cnf':
      return 1;
    case 'TR-Abort.ind':
      return 2;
    case 'Method':
      return 3;
    case 'MethodResult':
      return 4;
    case 'Disconnect':
      return 5;
    case 'Suspend':
      return 6;
    case 'Resume':
      return 7;
    case 'IdleTimeout':
      return 8;
    case 'Evict':
      return 9;
  }
}


export function rowsFor(state: SessionState, on: SessionEventName): readonly (Row | Ignore)[] {
  return ROWS_BY_PAIR.get(pairKey(state, on)) ?? [];
}

/**
 * The pure step: the one row whose guard holds (the table engine, src/core/table.ts, throws
 * ERR_WSP_NO_ROW / ERR_WSP_AMBIGUOUS_ROW when none or several do: a bug in the table). `s` is
 * left as it was: the step works on a copy.
 */
export function step(s: Session, e: SessionEvent, now: number): StepResult {
  const copy: MutableSession = { ...s, methods: s.methods.slice(), answered: s.answered.slice() };
  const actions: SessionAction[] = [];
  const ignored = advance(copy, e, now, actions);
  return { session: ignored ? s : copy, actions, ignored };
}

/**
 * The same step on the owner's record, in place: the one row is selected first (a table error
 * leaves `s` untouched), then its effects update `s` and append to `actions`. Returns true when
 * the row taken is an explicit ignore (nothing changed).
 */
export function advance(s: MutableSession, e: SessionEvent, now: number, actions: SessionAction[]): boolean {
  const r = selectSessionRow(s, e);
  if (r.ignore) return true;
  s.state = r.to;
  if (e.on !== 'IdleTimeout' && e.on !== 'Evict') s.lastActivity = now;
  const effects = r.do;
  for (let i = 0; i < effects.length; i++) (effects[i] as Effect)(s, e, actions);
  return false;
}

/** The exactly-one-row rule (src/core/table.ts) over the candidates of (state, event), without a closure per event. */
const CTX: Ctx = { s: undefined as unknown as Session, e: undefined as unknown as SessionEvent };

function selectSessionRow(s: Session, e: SessionEvent): Candidate {
  const cands = CANDIDATES[stateNo(s.state) * EVENTS.length + eventNo(e.on)] ?? NO_ROWS;
  if (cands.length === 1 && (cands[0] as Candidate).when === undefined) return cands[0] as Candidate;
  // one context for every selection (guards only read it, and call nothing that selects again)
  const ctx = CTX;
  ctx.s = s;
  ctx.e = e;
  let found: Candidate | undefined;
  let n = 0;
  for (let i = 0; i < cands.length; i++) {
    const r = cands[i] as Candidate;
    if (r.when !== undefined && !r.when(ctx)) continue;
    n++;
    found = r;
  }
  if (n === 1) return found as Candidate;
  throw rowError('WSP', s.state, e.on, n);
}

/** When the idle timer of a session fires. */
export const idleDeadline = (s: Session): number => s.lastActivity + s.idleTimeoutMs;

/** Completeness: every (state, event) pair has at least one row or an explicit ignore. */
export function missingRows(): Array<[SessionState, SessionEventName]> {
  return missingPairs(STATES, EVENTS, ROWS_BY_PAIR);
}
