/**
 * The WSP server (WAP-230): connection-oriented sessions over the WTP responder on the CO
 * bearer, and connectionless Get/Post on the CL bearer (WAP-230 §8.2.1: one TID octet before
 * every PDU; the Reply reuses the request's TID). No sockets or timers here: the edge feeds
 * datagrams with `receiveCo`/`receiveCl` and calls `tick(now)` at `nextDeadline()`; every
 * datagram to send goes out through the `send` callback.
 *
 * Sessions live in a least-recently-used table bounded by wsp.maxSessions (the least recently used is
 * evicted and aborted), keyed by session id, with a peer -> session index (a session is
 * addressed by its peer's address quadruplet, WAP-230 §7.1.2; a Resume moves it) and a
 * source -> sessions index: one source address (IPv6: its /64) holds at most
 * wsp.maxSessionsPerSource sessions, and a Connect past that ends the source's own least
 * recently active session, so one host cannot push every other phone's session out. Idle
 * sessions are swept in LRU order at each tick. A method runs as a bridge request with a
 * MethodCancel (src/wsp/method.ts), so a WTP user Abort (MethodAbort), a Disconnect, Suspend or the drain
 * deadline cancels the upstream request.
 */
import { LruMap } from '../core/bounded';
import type { Config } from '../config/schema';
import { isWapgwError } from '../core/errors';
import { MethodCancel, textReply, type MethodHandler, type MethodReply, type MethodRequest } from './method';
import type { HeaderList } from '../core/http';
import { peerKey, peerSource, type BearerRole, type Peer } from '../core/peer';
import { negotiate, negotiateEncodingVersion } from './capabilities';
import { versionCode, versionText } from '../codec/wsp/tables';
import type { ReplyOut, WspCodecPort, WspIn } from './ports';
import type { TxId, WtpIndication, WtpOutput, WtpPort } from '../wtp';
import { WSP_ABORT, advance, idleDeadline, newSession, type MutableSession, type Session, type SessionAction, type SessionEvent } from './session-machine';

/**
 * The session table: least recently used first out, bounded by wsp.maxSessions, keyed by
 * session id (LruMap, src/core/bounded.ts: every datagram of a session makes it the most
 * recently used; the idle sweep walks from the least recently used).
 */
class SessionTable {
  private readonly lru: LruMap<number, Session>;

  constructor(max: number, onEvict: (id: number, s: Session) => void) {
    this.lru = new LruMap<number, Session>(max, onEvict);
  }

  get size(): number {
    return this.lru.size;
  }
  has(id: number): boolean {
    return this.lru.has(id);
  }
  peek(id: number): Session | undefined {
    return this.lru.peek(id);
  }
  get(id: number): Session | undefined {
    return this.lru.get(id);
  }
  set(id: number, s: Session): void {
    this.lru.set(id, s);
  }
  delete(id: number): void {
    this.lru.delete(id);
  }
  /** Least recently used first. */
  oldestFirst(): Generator<Session> {
    return this.lru.oldestFirst();
  }
  oldest(): Session | undefined {
    return this.lru.oldest();
  }
}

export type { MethodHandler } from './method';

const isEncodingVersion = (name: string): boolean => name.length === 16 && name.toLowerCase() === 'encoding-version';

/**
 * What the server reports, as data: counts for the metrics and lines for the log. The server
 * keeps no metrics registry and no logger; the edge (src/edge/wsp-report.ts) turns these into
 * prom-client counters and pino lines.
 */
export type WspNote =
  | { note: 'decode-error'; layer: 'wtp' | 'wsp' | 'wsp-cl'; count: number }
  | { note: 'rate-limited' }
  | { note: 'session-event'; event: string }
  | { note: 'sessions'; count: number }
  | { note: 'access-denied'; reason: 'amplification' }
  | { note: 'log'; level: 'debug' | 'info' | 'warn'; msg: string; fields: Record<string, unknown> };

export interface WspReporter {
  note(n: WspNote): void;
}

export interface WspServerDeps {
  /** Only the WSP settings, not the whole config. */
  config: { wsp: Config['wsp'] };
  wtp: WtpPort;
  codec: WspCodecPort;
  bridge: MethodHandler;
  report: WspReporter;
  send: (role: BearerRole, buf: Buffer, peer: Peer) => void;
  /** Monotonic clock (the same one the edge passes as `now`). */
  now: () => number;
  /** Called after asynchronous work produced output, so the edge re-arms its timer. */
  onAsyncOutput?: () => void;
  /**
   * The per-source WSP rate limit (rateLimit.wsp), shared with the bridge's methods: a Connect
   * it refuses gets Abort CONGESTION, so a flood of Connects cannot fill the session table.
   */
  admitConnect?: (sourceIp: string) => boolean;
}

/** Largest connectionless Reply we send: one UDP datagram (IPv4, 65535 - 28). */
export const MAX_CL_DATAGRAM = 65507;

/**
 * One record per WTP transaction the sessions know: a Connect or Resume until its
 * TR-Result.cnf, a method from its TR-Invoke.ind until its Result is acknowledged (or it is
 * aborted). The method's request waits here until the session machine delivers it, and its
 * MethodCancel lives here while the request is upstream.
 */
interface TxnRecord {
  readonly sessionId: number;
  readonly kind: 'connect' | 'resume' | 'method';
  request: Extract<WspIn, { pdu: 'Method' }> | undefined;
  /** Set while the request is upstream (a bridge call in flight). */
  upstream: MethodCancel | undefined;
}

/** A transaction's record, every field present from the start (one shape for every kind). */
const txnRecord = (sessionId: number, kind: TxnRecord['kind'], request: TxnRecord['request']): TxnRecord => ({ sessionId, kind, request, upstream: undefined });

export class WspServer {
  private readonly d: WspServerDeps;
  private readonly sessions: SessionTable;
  private readonly byPeer = new Map<string, number>();
  /** Source key (IPv4 address, IPv6 /64) -> its sessions' ids; no empty sets. */
  private readonly bySource = new Map<string, Set<number>>();
  /** Every transaction of every session, by WTP transaction key. */
  private readonly txns = new Map<TxId, TxnRecord>();
  /** Derived counts of `txns`: method records, and those with a request upstream. */
  private methodCount = 0;
  private upstreamCount = 0;
  private readonly clInflight = new Set<MethodCancel>();
  private nextId = 1;
  private draining = false;
  private readonly ourVersion: number;
  private nextSweep: number | undefined;
  private idle = new Set<() => void>();

  constructor(deps: WspServerDeps) {
    this.d = deps;
    const ours = versionCode(deps.config.wsp.encodingVersion);
    this.ourVersion = Number.isFinite(ours) ? ours : 0x12;
    this.sessions = new SessionTable(deps.config.wsp.maxSessions, (id, s) => queueMicrotask(() => this.onEvicted(id, s)));
  }

  // ---------------------------------------------------------------- status
  status(): { sessions: number; transactions: number; methodsInFlight: number; methodsOutstanding: number; connectionlessInFlight: number } {
    return {
      sessions: this.sessions.size,
      transactions: this.d.wtp.size,
      methodsInFlight: this.upstreamCount,
      methodsOutstanding: this.methodCount,
      connectionlessInFlight: this.clInflight.size,
    };
  }

  // ---------------------------------------------------------------- timers
  nextDeadline(): number | undefined {
    const w = this.d.wtp.nextDeadline();
    const s = this.sessions.size > 0 ? this.sweepDeadline() : undefined;
    if (w === undefined) return s;
    if (s === undefined) return w;
    return Math.min(w, s);
  }

  /**
   * The idle deadline of the least recently used session. Activity only moves deadlines
   * later, so a stale value at worst causes one sweep that finds nothing and recomputes.
   */
  private sweepDeadline(): number | undefined {
    if (this.nextSweep === undefined) {
      const oldest = this.sessions.oldest();
      if (oldest) this.nextSweep = idleDeadline(oldest);
    }
    return this.nextSweep;
  }

  tick(now: number): void {
    const w = this.d.wtp.nextDeadline();
    if (w !== undefined && w <= now) this.apply(this.d.wtp.tick(now), now);
    if (this.nextSweep !== undefined && this.nextSweep <= now) {
      this.nextSweep = undefined;
      const expired: Session[] = [];
      for (const s of this.sessions.oldestFirst()) {
        if (idleDeadline(s) > now) break;
        expired.push(s);
      }
      for (const s of expired) this.event(s.id, { on: 'IdleTimeout' }, now);
    }
  }

  // ---------------------------------------------------------------- CO bearer
  receiveCo(buf: Buffer, peer: Peer, now: number): void {
    const out = this.d.wtp.receive(buf, peer, now);
    if (out.decodeErrors) this.d.report.note({ note: 'decode-error', layer: 'wtp', count: out.decodeErrors });
    this.apply(out, now);
  }

  private apply(out: WtpOutput, now: number): void {
    // indexed loops: for-of allocated an iterator result per element here (the outputs are
    // frozen shared empty lists or plain arrays, two kinds through one site)
    const send = out.send;
    for (let i = 0; i < send.length; i++) {
      const s = send[i] as WtpOutput['send'][number];
      this.d.send('co', s.buf, s.peer);
    }
    const inds = out.indications;
    for (let i = 0; i < inds.length; i++) this.indication(inds[i] as WtpIndication, now);
  }

  private indication(ind: WtpIndication, now: number): void {
    switch (ind.kind) {
      case 'TR-Invoke.ind':
        return this.invoke(ind.txn, ind.peer, ind.tcl, ind.data, now, ind.uack);
      case 'TR-Result.cnf':
      case 'TR-Abort.ind': {
        const rec = this.txns.get(ind.txn);
        if (rec === undefined) return;
        const sid = rec.sessionId;
        // a Connect or Resume transaction ends here; a method's record goes when the machine says
        if (rec.kind !== 'method') this.dropTxn(ind.txn);
        if (ind.kind === 'TR-Abort.ind') this.d.report.note({ note: 'session-event', event: ind.user ? 'method-abort' : 'transaction-abort' });
        this.event(sid, { on: ind.kind, txn: ind.txn }, now);
        return;
      }
    }
  }

  private invoke(txn: TxId, peer: Peer, tcl: 0 | 1 | 2, data: Buffer, now: number, uack: boolean): void {
    const existing = this.byPeer.get(peerKey(peer));
    const session = existing === undefined ? undefined : this.sessions.peek(existing);
    let pdu: WspIn;
    try {
      pdu = this.d.codec.decode(data, session?.encodingVersion ?? 0x12);
    } catch (err) {
      this.d.report.note({ note: 'decode-error', layer: 'wsp', count: 1 });
      this.d.report.note({ note: 'log', level: 'debug', msg: 'undecodable WSP PDU', fields: { err, peer: peerKey(peer) } });
      if (tcl === 2) this.apply(this.d.wtp.abortReq(txn, WSP_ABORT.PROTOERR, now), now);
      return;
    }
    if (this.draining && (pdu.pdu === 'Connect' || pdu.pdu === 'Method' || pdu.pdu === 'Resume')) {
      if (tcl === 2) this.apply(this.d.wtp.abortReq(txn, WSP_ABORT.DISCONNECT, now), now);
      return;
    }
    switch (pdu.pdu) {
      case 'Connect': {
        if (tcl !== 2) return;
        if (this.d.admitConnect && !this.d.admitConnect(peer.address)) {
          this.d.report.note({ note: 'rate-limited' });
          this.apply(this.d.wtp.abortReq(txn, WSP_ABORT.CONGESTION, now), now);
          return;
        }
        if (existing !== undefined) this.event(existing, { on: 'Disconnect' }, now);
        this.makeRoomForSource(peer, now);
        const caps = negotiate(pdu.caps, { maxMessageSize: this.d.config.wsp.maxMessageSize, maxMethodMor: this.d.config.wsp.maxMethodMor });
        const ver = negotiateEncodingVersion(pdu.encodingVersion, this.ourVersion);
        const id = this.allocId();
        const announce = {
          protocolOptions: pdu.caps.protocolOptions !== undefined,
          methodMor: pdu.caps.methodMor !== undefined || caps.methodMor !== 1,
          encodingVersion: pdu.encodingVersion !== undefined,
        };
        const negotiated = { clientSduSize: caps.clientSduSize, serverSduSize: caps.serverSduSize, methodMor: caps.methodMor, pushMor: 0, protocolOptions: caps.protocolOptions, announce };
        const s = newSession(id, peer, negotiated, this.sessionHeaders(pdu.headers), ver, now, this.d.config.wsp.sessionIdleTimeoutMs);
        this.sessions.set(id, s);
        this.byPeer.set(peerKey(peer), id);
        this.indexSource(s.peer, id);
        this.addTxn(txn, txnRecord(id, 'connect', undefined));
        this.d.report.note(this.sessionsNote());
        if (caps.declined.length) this.d.report.note({ note: 'log', level: 'debug', msg: 'capabilities declined', fields: { session: id, declined: caps.declined } });
        this.nextSweep = undefined;
        this.event(id, { on: 'Connect', txn }, now);
        return;
      }
      case 'Method': {
        if (tcl !== 2) return;
        if (session === undefined || existing === undefined) {
          // no session for this peer: WAP-230 says the method is refused with DISCONNECT
          this.apply(this.d.wtp.abortReq(txn, WSP_ABORT.DISCONNECT, now), now);
          return;
        }
        this.addTxn(txn, txnRecord(existing, 'method', pdu));
        this.event(existing, { on: 'Method', txn }, now);
        // accepted (delivered): TR-Invoke.res, so the handset stops retransmitting while the MMSC works
        if (uack && this.txns.get(txn)?.upstream) this.apply(this.d.wtp.invokeRes(txn, now), now);
        return;
      }
      case 'Disconnect':
      case 'Suspend': {
        const s = this.sessions.peek(pdu.sessionId);
        // only the peer that holds the session may end or suspend it
        if (!s || peerKey(s.peer) !== peerKey(peer)) return;
        this.event(pdu.sessionId, { on: pdu.pdu }, now);
        return;
      }
      case 'Resume': {
        if (tcl !== 2) return;
        const s = this.sessions.peek(pdu.sessionId);
        if (!s) {
          this.apply(this.d.wtp.abortReq(txn, WSP_ABORT.DISCONNECT, now), now);
          return;
        }
        if ((s.caps.protocolOptions & 0x20) === 0) {
          this.apply(this.d.wtp.abortReq(txn, WSP_ABORT.DISCONNECT, now), now);
          return;
        }
        this.byPeer.delete(peerKey(s.peer));
        const old = this.byPeer.get(peerKey(peer));
        if (old !== undefined && old !== s.id) this.event(old, { on: 'Disconnect' }, now);
        this.byPeer.set(peerKey(peer), s.id);
        this.addTxn(txn, txnRecord(s.id, 'resume', undefined));
        this.event(s.id, { on: 'Resume', txn, peer, headers: pdu.headers ? this.sessionHeaders(pdu.headers) : undefined }, now);
        return;
      }
      case 'Other':
        this.d.report.note({ note: 'decode-error', layer: 'wsp', count: 1 });
        if (tcl === 2) this.apply(this.d.wtp.abortReq(txn, WSP_ABORT.PROTOERR, now), now);
        return;
    }
  }

  /**
   * The two notes of every cycle, one object each, rewritten per note: the reporter reads a note
   * at once and keeps nothing (as the WTP responder's 'active' note).
   */
  private readonly countNote = { note: 'sessions' as const, count: 0 };
  private readonly sessionEventNote = { note: 'session-event' as const, event: '' };
  private sessionsNote(): WspNote {
    this.countNote.count = this.sessions.size;
    return this.countNote;
  }
  private eventNote(event: string): WspNote {
    this.sessionEventNote.event = event;
    return this.sessionEventNote;
  }

  private addTxn(txn: TxId, rec: TxnRecord): void {
    this.dropTxn(txn);
    this.txns.set(txn, rec);
    if (rec.kind === 'method') this.methodCount++;
  }

  /** Forgets a transaction's record (its upstream request, if any, is left to finish or be cancelled by the caller). */
  private dropTxn(txn: TxId): TxnRecord | undefined {
    const rec = this.txns.get(txn);
    if (!rec) return undefined;
    this.txns.delete(txn);
    if (rec.kind === 'method') this.methodCount--;
    if (rec.upstream) this.upstreamCount--;
    return rec;
  }

  /** The request is back (or cancelled): no longer upstream. */
  private endUpstream(rec: TxnRecord): MethodCancel | undefined {
    const ac = rec.upstream;
    if (ac) {
      rec.upstream = undefined;
      this.upstreamCount--;
    }
    rec.request = undefined;
    return ac;
  }

  /** Session headers: Encoding-Version is negotiation, not a header for every request. */
  private sessionHeaders(h: HeaderList): HeaderList {
    let i = 0;
    while (i < h.length && !isEncodingVersion((h[i] as HeaderList[number])[0])) i++;
    return i === h.length ? h : h.filter(([n]) => !isEncodingVersion(n));
  }

  private indexSource(peer: Peer, id: number): void {
    const k = peerSource(peer);
    let set = this.bySource.get(k);
    if (!set) this.bySource.set(k, (set = new Set()));
    set.add(id);
  }

  private unindexSource(peer: Peer, id: number): void {
    const k = peerSource(peer);
    const set = this.bySource.get(k);
    if (!set) return;
    set.delete(id);
    if (set.size === 0) this.bySource.delete(k);
  }

  /** Before a new session of `peer`: at the per-source maximum, end that source's least recently active session. */
  private makeRoomForSource(peer: Peer, now: number): void {
    const set = this.bySource.get(peerSource(peer));
    while (set && set.size >= this.d.config.wsp.maxSessionsPerSource) {
      let oldest: Session | undefined;
      for (const id of set) {
        const s = this.sessions.peek(id);
        if (s && (!oldest || s.lastActivity < oldest.lastActivity)) oldest = s;
      }
      if (!oldest) break;
      this.d.report.note({ note: 'session-event', event: 'source-limit' });
      this.event(oldest.id, { on: 'Evict' }, now);
      // the release action unindexes it; should a machine ever keep it, stop rather than spin
      if (set.has(oldest.id)) break;
    }
  }

  private allocId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
      if (!this.sessions.has(id)) return id;
    }
  }

  private onEvicted(id: number, s: Session): void {
    // the cache already dropped it; run the machine for its actions
    const rec = s as MutableSession;
    const heldTxn = rec.pendingTxn;
    const heldMethods = rec.methods;
    const actions: SessionAction[] = [];
    advance(rec, { on: 'Evict' }, this.d.now(), actions);
    this.runActions(rec, actions, this.d.now(), heldTxn, heldMethods);
    this.d.onAsyncOutput?.();
  }

  /**
   * Runs one event through the session machine on the session's own record (updated in place,
   * session-machine.ts `advance`) and carries out its actions. The table's `get` has already
   * made it the most recently used.
   */
  private event(id: number, e: SessionEvent, now: number): void {
    const s = this.sessions.get(id) as MutableSession | undefined;
    if (!s) return;
    const peer = s.peer;
    // what the session held before the step (the effects give these lists up rather than empty them)
    const heldTxn = s.pendingTxn;
    const heldMethods = s.methods;
    const actions: SessionAction[] = [];
    if (advance(s, e, now, actions)) return;
    if (s.state !== 'NULL' && s.peer !== peer && peerKey(s.peer) !== peerKey(peer)) {
      this.nextSweep = undefined;
      this.unindexSource(peer, id);
      this.indexSource(s.peer, id);
    }
    this.runActions(s, actions, now, heldTxn, heldMethods);
  }

  /** Carries out the machine's actions; `prevTxn`, `prevMethods`: the pending transaction and the methods the session held before the step. */
  private runActions(s: Session, actions: SessionAction[], now: number, prevTxn: TxId | undefined, prevMethods: readonly TxId[]): void {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] as SessionAction;
      switch (a.do) {
        case 'connectReply': {
          // the SDU sizes always; the rest only when the client raised it (an absent
          // capability keeps its default, an absent Encoding-Version means 1.2): the reply
          // stays no larger than needed, which also keeps it within the anti-amplification
          // budget of an unverified handset
          const ann = s.caps.announce ?? { protocolOptions: true, methodMor: true, encodingVersion: true };
          const buf = this.d.codec.encodeConnectReply(
            {
              sessionId: s.id,
              caps: {
                clientSduSize: s.caps.clientSduSize,
                serverSduSize: s.caps.serverSduSize,
                ...(ann.protocolOptions ? { protocolOptions: s.caps.protocolOptions } : {}),
                ...(ann.methodMor ? { methodMor: s.caps.methodMor } : {}),
              },
              headers: ann.encodingVersion ? [['Encoding-Version', versionText(s.encodingVersion)]] : [],
            },
            s.encodingVersion,
          );
          this.apply(this.d.wtp.resultReq(a.txn, buf, now), now);
          break;
        }
        case 'resumeReply': {
          const buf = this.d.codec.encodeReply({ status: 200, contentType: 'application/octet-stream', headers: [], body: Buffer.alloc(0) }, s.encodingVersion);
          this.apply(this.d.wtp.resultReq(a.txn, buf, now), now);
          break;
        }
        case 'deliver':
          this.startMethod(s, a.txn);
          break;
        case 'cancelUpstream': {
          const rec = this.txns.get(a.txn);
          if (rec) this.endUpstream(rec)?.abort();
          this.checkIdle();
          break;
        }
        case 'forget':
          this.dropTxn(a.txn);
          break;
        case 'abortTxn':
          this.dropTxn(a.txn);
          this.apply(this.d.wtp.abortReq(a.txn, WSP_ABORT[a.reason], now), now);
          break;
        case 'release':
          this.sessions.delete(s.id);
          if (this.byPeer.get(peerKey(s.peer)) === s.id) this.byPeer.delete(peerKey(s.peer));
          this.unindexSource(s.peer, s.id);
          // what the session still held (the aborts above normally dropped it already): no scan
          if (prevTxn !== undefined && this.txns.get(prevTxn)?.sessionId === s.id) this.dropTxn(prevTxn);
          for (let i = 0; i < prevMethods.length; i++) {
            const t = prevMethods[i] as TxId;
            if (this.txns.get(t)?.sessionId === s.id) this.dropTxn(t);
          }
          this.d.report.note(this.sessionsNote());
          break;
        case 'count':
          this.d.report.note(this.eventNote(a.event));
          break;
      }
    }
  }

  private startMethod(s: Session, txn: TxId): void {
    const rec = this.txns.get(txn);
    const pdu = rec?.request;
    if (!rec || !pdu || rec.upstream) return;
    rec.request = undefined;
    const ac = new MethodCancel();
    rec.upstream = ac;
    this.upstreamCount++;
    const req: MethodRequest = {
      mode: 'co',
      method: pdu.method,
      uri: pdu.uri,
      headers: pdu.headers,
      sessionHeaders: s.headers,
      // one shape for every method (absent fields undefined, not left out)
      contentType: pdu.contentType,
      body: pdu.body,
      sourceIp: s.peer.address,
      clientSduSize: s.caps.clientSduSize,
      encodingVersion: versionText(s.encodingVersion),
      sessionId: s.id,
      signal: ac,
    };
    this.callHandler(req, (reply) => this.finishMethod(txn, ac, reply));
  }

  /**
   * Hands a method to the method handler. A reply given before `handle` returns (a refusal) is
   * carried out in a microtask, after the session step that delivered the method has finished; a
   * handler that throws is answered 500; a second reply is ignored.
   */
  private callHandler(req: MethodRequest, onReply: (reply: MethodReply) => void): void {
    let inCall = true;
    let replied = false;
    const done = (reply: MethodReply): void => {
      if (replied) return;
      replied = true;
      if (inCall) queueMicrotask(() => onReply(reply));
      else onReply(reply);
    };
    try {
      this.d.bridge.handle(req, done);
    } catch (err) {
      done(textReply(500, isWapgwError(err) ? err.code : 'internal error'));
    }
    inCall = false;
  }

  private finishMethod(txn: TxId, ac: MethodCancel, reply: MethodReply): void {
    const rec = this.txns.get(txn);
    // MethodAbort, Disconnect or the drain already handled it
    if (!rec || rec.upstream !== ac || ac.aborted || reply.cancelled) return;
    this.endUpstream(rec);
    const now = this.d.now();
    const s = this.sessions.peek(rec.sessionId);
    if (!s) {
      this.checkIdle();
      return;
    }
    // the negotiated Client-SDU-Size bounds the Reply, and so does what WTP SAR can carry to this client
    const sdu = s.caps.clientSduSize > 0 ? s.caps.clientSduSize : Infinity;
    const buf = this.encodeBounded(reply, s.encodingVersion, Math.min(sdu, this.d.wtp.maxResultSize(txn)));
    // S-MethodResult.req: the session notes the method as answered (implicit acknowledgement, session-machine.ts)
    this.event(rec.sessionId, { on: 'MethodResult', txn }, now);
    this.apply(this.d.wtp.resultReq(txn, buf, now), now);
    this.checkIdle();
    this.d.onAsyncOutput?.();
  }

  /** Encodes a Reply; one larger than `limit` (0 = none) becomes a 413 with a reason. */
  private encodeBounded(reply: ReplyOut, version: number, limit: number): Buffer {
    let buf: Buffer;
    try {
      buf = this.d.codec.encodeReply(reply, version);
    } catch (err) {
      this.d.report.note({ note: 'log', level: 'warn', msg: 'reply not encodable', fields: { err } });
      buf = this.d.codec.encodeReply(textReply(502, 'reply from the MMSC could not be encoded for WSP'), version);
    }
    if (limit > 0 && buf.length > limit) {
      this.d.report.note({ note: 'log', level: 'info', msg: 'reply too large for the handset: 413', fields: { bytes: buf.length, limit } });
      buf = this.d.codec.encodeReply(textReply(413, `reply of ${buf.length} octets exceeds the ${limit} octets this handset can receive`), version);
    }
    return buf;
  }

  // ---------------------------------------------------------------- CL bearer
  receiveCl(buf: Buffer, peer: Peer, _now: number): void {
    if (this.draining) return;
    if (buf.length < 2) {
      this.d.report.note({ note: 'decode-error', layer: 'wsp-cl', count: 1 });
      return;
    }
    const tid = buf[0] as number;
    let pdu: WspIn;
    try {
      pdu = this.d.codec.decode(buf.subarray(1), 0x12);
    } catch {
      this.d.report.note({ note: 'decode-error', layer: 'wsp-cl', count: 1 });
      return; // connectionless: no transaction to abort, drop (WAP-230 §8.2.1)
    }
    if (pdu.pdu !== 'Method') {
      // Connect, Disconnect... have no meaning without a session: dropped (and counted)
      this.d.report.note({ note: 'decode-error', layer: 'wsp-cl', count: 1 });
      return;
    }
    const ac = new MethodCancel();
    this.clInflight.add(ac);
    const req: MethodRequest = {
      mode: 'cl',
      method: pdu.method,
      uri: pdu.uri,
      headers: pdu.headers,
      ...(pdu.contentType !== undefined ? { contentType: pdu.contentType } : {}),
      ...(pdu.body !== undefined ? { body: pdu.body } : {}),
      sourceIp: peer.address,
      clientSduSize: MAX_CL_DATAGRAM - 1,
      encodingVersion: '1.2',
      signal: ac,
    };
    // No TID verification exists on this bearer, so the source address is unproven: a reply may
    // not exceed the request by more than wsp.connectionlessMaxAmplification (never a reflector).
    const factor = this.d.config.wsp.connectionlessMaxAmplification;
    const budget = factor > 0 ? Math.floor(buf.length * factor) : Infinity;
    const done = (reply: MethodReply) => {
      this.clInflight.delete(ac);
      this.checkIdle();
      if (reply.cancelled) return;
      // a Reply larger than one datagram gets 413 with a reason, never a truncated datagram
      let body = this.encodeBounded(reply, 0x12, MAX_CL_DATAGRAM - 1);
      if (1 + body.length > budget) {
        this.d.report.note({ note: 'access-denied', reason: 'amplification' });
        this.d.report.note({ note: 'log', level: 'info', msg: 'connectionless reply over the amplification bound: 413', fields: { src: peer.address, bytes: 1 + body.length, received: buf.length, factor } });
        body = this.d.codec.encodeReply({ status: 413, contentType: 'text/plain', headers: [], body: Buffer.alloc(0) }, 0x12);
        if (1 + body.length > budget) return;
      }
      this.d.send('cl', Buffer.concat([Buffer.from([tid]), body]), peer);
    };
    this.callHandler(req, done);
  }

  // ---------------------------------------------------------------- drain
  /** Drain, step 1: no new transactions (Connect, methods, Resume get Abort DISCONNECT; CL is dropped). */
  stopAccepting(): void {
    this.draining = true;
  }

  /** Resolves when no method is in flight (the edge races it against the drain deadline). */
  whenIdle(): Promise<void> {
    if (this.upstreamCount === 0 && this.clInflight.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.idle.delete(done);
        resolve();
      };
      this.idle.add(done);
    });
  }

  /** Drain, last step: cancels whatever is still in flight. */
  cancelAll(): void {
    for (const rec of this.txns.values()) this.endUpstream(rec)?.abort();
    for (const ac of this.clInflight) ac.abort();
    this.clInflight.clear();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.upstreamCount === 0 && this.clInflight.size === 0) for (const f of [...this.idle]) f();
  }
}
