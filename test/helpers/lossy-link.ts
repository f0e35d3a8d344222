/**
 * A quinn-style test Pair for the WTP responder: a TypeScript test handset (a minimal WTP
 * initiator, WAP-224 §9) and a WtpResponder, joined by a simulated link with configurable loss,
 * duplication, reordering and delay, all driven by simulated time (no sleeping, no real timers).
 * PDUs cross the link as bytes (src/codec/wtp encode/decode), so what the responder sees is what
 * a socket would give it. Every random choice comes from a seeded generator: runs are repeatable.
 *
 * The handset: class 0/1/2 Invokes, SAR Invokes in groups (waits for each group's Ack(PSN),
 * resends the group with RID on its timer, resends what a Negative Ack lists), answers
 * Ack(TIDve) with Ack(TIDok) for its own transactions and Abort INVALIDTID for others,
 * reassembles segmented Results, acks each group, NAcks gaps at a group end, and acks the whole
 * message.
 *
 * The user (stand-in for WSP): on TR-Invoke.ind it calls invokeRes at once and resultReq after
 * `userDelayMs` with `respond(request)`.
 */
import { decodeWtp, encodeWtp } from '../../src/codec/wtp';
import { wtpReporter } from '../../src/edge/wtp-report';
import type { Tcl, WtpPdu, Tpi } from '../../src/codec/wtp/types';
import { PROVIDER_ABORT } from '../../src/codec/wtp/types';
import { peerKey } from '../../src/core/peer';
import { v4 } from './peer';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import { silentLogger, type Logger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { WtpResponder, type ResultOptions, type TxId, type WtpAction } from '../../src/wtp';
import { TimerHeap } from '../../src/wtp/timer-heap';

export { Rng } from './rng';
import { Rng } from './rng';

export interface LinkConfig {
  /** Probability that a datagram is lost. */
  loss: number;
  /** Probability that a datagram is delivered twice. */
  duplicate: number;
  /** Probability that a datagram is held back (delivered after later ones). */
  reorder: number;
  /** One-way delay, ms. */
  delayMs: number;
  /** Extra random delay up to this, ms. */
  jitterMs: number;
}

export const PERFECT: LinkConfig = { loss: 0, duplicate: 0, reorder: 0, delayMs: 20, jitterMs: 0 };

export interface PairOptions {
  seed?: number;
  link?: Partial<LinkConfig>;
  config?: ConfigInput;
  userDelayMs?: number;
  /** The reply for a request; default: a 100-octet echo-ish body. */
  respond?: (request: Buffer) => Buffer;
  /** Call invokeRes on every invokeInd (default true). */
  autoInvokeRes?: boolean;
  /** Passed to resultReq (e.g. a client segment limit). */
  resultOptions?: ResultOptions;
  logger?: Logger;
}

type Dir = 'up' | 'down';

export interface Delivery {
  dir: Dir;
  peer: string;
  pdu: WtpPdu;
  at: number;
}

export class Pair {
  now = 0;
  readonly rng: Rng;
  readonly metrics = new Metrics();
  readonly responder: WtpResponder;
  readonly config;
  link: LinkConfig;
  /** Return false to drop this datagram (deterministic loss for targeted tests). */
  filter: (d: Delivery) => boolean = () => true;
  readonly invokeInds: Array<Extract<WtpAction, { kind: 'TR-Invoke.ind' }>> = [];
  readonly resultCnfs: TxId[] = [];
  readonly abortInds: Array<Extract<WtpAction, { kind: 'TR-Abort.ind' }>> = [];
  /** Every datagram put on the link, by direction, with its octets. */
  readonly sent: Delivery[] = [];
  readonly octets = { up: 0, down: 0 };
  private readonly q = new TimerHeap<() => void>();
  private readonly handsets = new Map<string, Handset>();
  private armedAt: number | undefined;
  private readonly opts: PairOptions;

  constructor(opts: PairOptions = {}) {
    this.opts = opts;
    this.rng = new Rng(opts.seed ?? 1);
    this.link = { ...PERFECT, ...opts.link };
    this.config = configSchema.parse(opts.config ?? {});
    this.responder = new WtpResponder({ config: this.config, report: wtpReporter(this.metrics, opts.logger ?? silentLogger()) });
  }

  handset(peer = `10.0.0.${this.handsets.size + 1}:${40000 + this.handsets.size}`, opts: HandsetOptions = {}): Handset {
    const h = new Handset(this, peer, opts);
    this.handsets.set(peer, h);
    return h;
  }

  schedule(at: number, fn: () => void): void {
    this.q.push(Math.max(at, this.now), fn);
  }

  /** Puts a PDU on the link in direction `dir`. */
  transmit(dir: Dir, peer: string, pdu: WtpPdu): void {
    const bytes = encodeWtp(pdu);
    const d: Delivery = { dir, peer, pdu, at: this.now };
    this.sent.push(d);
    this.octets[dir] += bytes.length;
    if (!this.filter(d) || this.rng.chance(this.link.loss)) return;
    const copies = this.rng.chance(this.link.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.link.delayMs + this.rng.next() * this.link.jitterMs;
      if (i > 0 || this.rng.chance(this.link.reorder)) delay += this.link.delayMs * (1 + 3 * this.rng.next());
      this.schedule(this.now + delay, () => this.arrive(dir, peer, bytes));
    }
  }

  private arrive(dir: Dir, peer: string, bytes: Buffer): void {
    const pdu = decodeWtp(bytes);
    if (dir === 'up') this.handle(this.responder.receive(pdu, v4(peer), this.now, bytes.length));
    else this.handsets.get(peer)?.onPdu(pdu);
  }

  /** Carries out responder actions: sends go on the link, indications go to the user. */
  handle(actions: WtpAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'send':
          for (const p of a.pdus) this.transmit('down', peerKey(a.peer), p);
          break;
        case 'TR-Invoke.ind': {
          this.invokeInds.push(a);
          if (a.tcl === 0) break;
          if (this.opts.autoInvokeRes ?? true) this.handle(this.responder.invokeRes(a.txn, this.now));
          if (a.tcl === 2) {
            const reply = (this.opts.respond ?? defaultRespond)(a.data);
            this.schedule(this.now + (this.opts.userDelayMs ?? 5), () =>
              this.handle(this.responder.resultReq(a.txn, reply, this.now, this.opts.resultOptions)),
            );
          }
          break;
        }
        case 'TR-Result.cnf':
          this.resultCnfs.push(a.txn);
          break;
        case 'TR-Abort.ind':
          this.abortInds.push(a);
          break;
      }
    }
    this.arm();
  }

  private arm(): void {
    const d = this.responder.nextDeadline();
    if (d === undefined || (this.armedAt !== undefined && this.armedAt <= d)) return;
    this.armedAt = d;
    this.schedule(d, () => {
      this.armedAt = undefined;
      this.handle(this.responder.tick(this.now));
    });
  }

  /** Runs simulated time until `done()` or `maxMs` passes or nothing is left to do. */
  run(done: () => boolean, maxMs = 600_000): boolean {
    const end = this.now + maxMs;
    for (;;) {
      if (done()) return true;
      const top = this.q.peek();
      if (!top || top.at > end) {
        if (end < Infinity) this.now = end; // simulated time passes even when nothing happens
        return done();
      }
      this.q.pop();
      this.now = top.at;
      top.item();
    }
  }
}

const defaultRespond = (request: Buffer): Buffer => Buffer.concat([Buffer.from('reply:'), request.subarray(0, 94)]);

// ---------------------------------------------------------------------------------------------
// the test handset (WTP initiator)

export interface HandsetOptions {
  firstTid?: number;
  /** Initiator retry timer R, ms. */
  retryMs?: number;
  /** Give up after this many retransmissions of one group. */
  maxRetries?: number;
}

export interface InvokeOptions {
  tcl?: Tcl;
  uack?: boolean;
  /** The handset does SAR (default): single packets carry TTR only; false: GTR = TTR = 1. */
  sar?: boolean;
  segmentSize?: number;
  groupSize?: number;
  tidNew?: boolean;
  tid?: number;
  /** Max Receive Unit Option TPI in the Invoke. */
  mru?: number;
  extraTpis?: Tpi[];
}

export type Phase = 'sending' | 'waitResult' | 'holdOn' | 'receiving' | 'done' | 'aborted' | 'gaveUp';

export class HandsetTx {
  phase: Phase = 'sending';
  readonly segs: Buffer[];
  groupStart = 0;
  retries = 0;
  timerGen = 0;
  readonly res = new Map<number, Buffer>();
  readonly resGroupEnds = new Set<number>();
  resTtr = -1;
  result: Buffer | undefined;
  abort: { abortType: string; reason: number } | undefined;
  nacksSent = 0;
  finalAcks = 0;
  constructor(
    readonly tid: number,
    readonly data: Buffer,
    readonly opts: Required<Pick<InvokeOptions, 'tcl' | 'uack' | 'sar' | 'segmentSize' | 'groupSize' | 'tidNew'>> & InvokeOptions,
  ) {
    const size = opts.sar ? opts.segmentSize : Math.max(1, data.length);
    this.segs = [];
    for (let off = 0; off < data.length; off += size) this.segs.push(data.subarray(off, off + size));
    if (this.segs.length === 0) this.segs.push(Buffer.alloc(0));
    if (this.segs.length > 256) throw new Error('message needs more than 256 packets');
  }
  get finished(): boolean {
    return this.phase === 'done' || this.phase === 'aborted' || this.phase === 'gaveUp';
  }
  groupEnd(): number {
    return Math.min(this.groupStart + this.opts.groupSize, this.segs.length) - 1;
  }
}

/** What a handset needs from the simulation that carries its PDUs (Pair, or a WSP simulation). */
export interface HandsetHost {
  readonly now: number;
  schedule(at: number, fn: () => void): void;
  transmit(dir: 'up', peer: string, pdu: WtpPdu): void;
}

export class Handset {
  private nextTid: number;
  readonly txs = new Map<number, HandsetTx>();
  private readonly retryMs: number;
  private readonly maxRetries: number;
  /** Called once when a transaction finishes (done, aborted or given up). */
  onFinish: ((tx: HandsetTx) => void) | undefined;

  constructor(
    private readonly pair: HandsetHost,
    readonly peer: string,
    opts: HandsetOptions = {},
  ) {
    this.nextTid = opts.firstTid ?? 1;
    this.retryMs = opts.retryMs ?? 1500;
    this.maxRetries = opts.maxRetries ?? 40;
  }

  invoke(data: Buffer, o: InvokeOptions = {}): HandsetTx {
    const tid = o.tid ?? this.nextTid;
    this.nextTid = (tid + 1) & 0x7fff;
    const tx = new HandsetTx(tid, data, { tcl: 2, uack: true, sar: true, segmentSize: 1200, groupSize: 4, tidNew: false, ...o });
    this.txs.set(tid, tx);
    this.sendGroup(tx, false);
    if (tx.opts.tcl === 0) tx.phase = 'done';
    return tx;
  }

  private send(pdu: WtpPdu): void {
    this.pair.transmit('up', this.peer, pdu);
  }

  private packet(tx: HandsetTx, p: number, rid: boolean): WtpPdu {
    const n = tx.segs.length;
    const last = tx.groupEnd();
    const ttr = p === n - 1 || !tx.opts.sar;
    const gtr = tx.opts.sar ? p === last && p !== n - 1 : true;
    const data = tx.segs[p] as Buffer;
    if (p === 0) {
      const tpis: Tpi[] = [...(tx.opts.extraTpis ?? [])];
      if (tx.opts.mru !== undefined) tpis.push({ tpi: 'Option', option: 1, value: u16(tx.opts.mru) });
      return { type: 'Invoke', tid: tx.tid, tpis, gtr, ttr, rid, version: 0, tidNew: tx.opts.tidNew, up: tx.opts.uack, tcl: tx.opts.tcl, data };
    }
    return { type: 'SegmentedInvoke', tid: tx.tid, tpis: [], gtr, ttr, rid, psn: p, data };
  }

  private sendGroup(tx: HandsetTx, rid: boolean, only?: number[]): void {
    const [a, b] = [tx.groupStart, tx.groupEnd()];
    for (let p = a; p <= b; p++) if (!only || only.includes(p)) this.send(this.packet(tx, p, rid));
    if (tx.opts.tcl !== 0) this.armRetry(tx);
  }

  private armRetry(tx: HandsetTx, ms = this.retryMs): void {
    const gen = ++tx.timerGen;
    this.pair.schedule(this.pair.now + ms, () => {
      if (gen !== tx.timerGen || tx.finished) return;
      if (tx.phase === 'holdOn' || tx.phase === 'receiving') {
        // The responder drives from here (it retransmits); only give up eventually.
        if (++tx.retries > this.maxRetries) this.finish(tx, 'gaveUp');
        else this.armRetry(tx, this.retryMs * 4);
        return;
      }
      if (++tx.retries > this.maxRetries) {
        this.finish(tx, 'gaveUp');
        return;
      }
      this.sendGroup(tx, true);
    });
  }

  onPdu(pdu: WtpPdu): void {
    if (!(pdu.tid & 0x8000)) return; // not a responder PDU
    const tid = pdu.tid & 0x7fff;
    const tx = this.txs.get(tid);
    if (!tx) {
      if (pdu.type === 'Ack' && pdu.tveTok) this.send({ type: 'Abort', tid, tpis: [], abortType: 'provider', reason: PROVIDER_ABORT.INVALIDTID });
      return;
    }
    switch (pdu.type) {
      case 'Ack':
        return this.onAck(tx, pdu.tveTok, psnOf(pdu.tpis));
      case 'NegativeAck':
        if (tx.phase === 'sending') this.sendGroup(tx, true, pdu.missing.length ? pdu.missing : undefined);
        return;
      case 'Result':
        return this.onResult(tx, 0, pdu.gtr, pdu.ttr, pdu.data);
      case 'SegmentedResult':
        return this.onResult(tx, pdu.psn, pdu.gtr, pdu.ttr, pdu.data);
      case 'Abort':
        if (!tx.finished) {
          tx.abort = { abortType: pdu.abortType, reason: pdu.reason };
          this.finish(tx, 'aborted');
        }
        return;
      default:
        return;
    }
  }

  private onAck(tx: HandsetTx, tve: boolean, psn: number | undefined): void {
    if (tve) {
      // Ack(TIDve): Ack(TIDok) only while the transaction is outstanding; a finished one is not.
      if (!tx.finished) this.send({ type: 'Ack', tid: tx.tid, tpis: [], tveTok: true, rid: false });
      else this.send({ type: 'Abort', tid: tx.tid, tpis: [], abortType: 'provider', reason: PROVIDER_ABORT.INVALIDTID });
      return;
    }
    if (tx.phase === 'sending') {
      const end = tx.groupEnd();
      if ((psn ?? 0) !== end && !(psn === undefined && tx.groupStart === 0)) return;
      tx.retries = 0;
      if (end === tx.segs.length - 1) {
        if (tx.opts.tcl === 1) {
          tx.timerGen++;
          this.finish(tx, 'done');
        } else {
          tx.phase = 'holdOn';
          this.armRetry(tx, this.retryMs * 4);
        }
        return;
      }
      tx.groupStart = end + 1;
      this.sendGroup(tx, false);
      return;
    }
    if (tx.phase === 'waitResult') {
      tx.phase = 'holdOn';
      this.armRetry(tx, this.retryMs * 4);
    }
  }

  private onResult(tx: HandsetTx, psn: number, gtr: boolean, ttr: boolean, data: Buffer): void {
    if (tx.opts.tcl !== 2 || tx.phase === 'aborted' || tx.phase === 'gaveUp') return;
    if (tx.phase === 'done') {
      // Our final Ack was lost: the responder resends; ack again.
      if (ttr || gtr) this.finalAck(tx);
      return;
    }
    if (tx.phase !== 'receiving') {
      tx.phase = 'receiving';
      tx.retries = 0;
      this.armRetry(tx, this.retryMs * 4);
    }
    if (!tx.res.has(psn)) tx.res.set(psn, data);
    if (gtr && !ttr) tx.resGroupEnds.add(psn);
    if (ttr) tx.resTtr = psn;
    const top = Math.max(tx.resTtr, ...tx.resGroupEnds);
    if (!(gtr || ttr || psn < top)) return;
    const missing: number[] = [];
    for (let p = 0; p <= top; p++) if (!tx.res.has(p)) missing.push(p);
    if (missing.length) {
      // NAck at a group end only; a resent packet that leaves a hole waits for the others.
      if (!(gtr || ttr)) return;
      tx.nacksSent++;
      this.send({ type: 'NegativeAck', tid: tx.tid, tpis: [], rid: false, missing });
      return;
    }
    if (tx.resTtr >= 0) {
      const parts: Buffer[] = [];
      for (let p = 0; p <= tx.resTtr; p++) parts.push(tx.res.get(p) as Buffer);
      tx.result = Buffer.concat(parts);
      tx.timerGen++;
      this.finalAck(tx);
      this.finish(tx, 'done');
      return;
    }
    // A complete group: ack it (PSN TPI, or a plain Ack for the first group, as fakewap does).
    this.send({ type: 'Ack', tid: tx.tid, tpis: top > 0 ? [{ tpi: 'PSN', psn: top }] : [], tveTok: false, rid: false });
  }

  private finish(tx: HandsetTx, phase: 'done' | 'aborted' | 'gaveUp'): void {
    tx.phase = phase;
    this.onFinish?.(tx);
  }

  private finalAck(tx: HandsetTx): void {
    tx.finalAcks++;
    this.send({ type: 'Ack', tid: tx.tid, tpis: tx.resTtr > 0 ? [{ tpi: 'PSN', psn: tx.resTtr }] : [], tveTok: false, rid: tx.finalAcks > 1 });
  }
}

function psnOf(tpis: Tpi[]): number | undefined {
  for (const t of tpis) if (t.tpi === 'PSN') return t.psn;
  return undefined;
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}
