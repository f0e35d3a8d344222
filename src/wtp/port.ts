/**
 * The WTP layer's service boundary toward its user, WSP (WAP-224 §5 service primitives:
 * TR-Invoke, TR-Result, TR-Abort), owned here so that WSP takes WTP's vocabulary as it is:
 * datagrams in with the sender's `Peer` and `now`, datagrams out and TR-* indications back, one
 * transaction key (`TxId`). Pure, like the responder it wraps: the edge carries out the sends.
 */
import { decodeDatagram, decodeWtp, encodeWtp, isConcatenated } from '../codec/wtp/codec';
import type { WtpPdu } from '../codec/wtp/types';
import { DecodeError } from '../core/errors';
import type { Peer } from '../core/peer';
import { WtpResponder, type ResultOptions, type TxId, type WtpAction, type WtpIndication, type WtpResponderDeps } from './responder';

export type { WtpIndication } from './responder';

export interface WtpOutput {
  readonly send: ReadonlyArray<{ buf: Buffer; peer: Peer }>;
  readonly indications: readonly WtpIndication[];
  /** Datagrams that did not decode (for metrics). */
  decodeErrors?: number;
}

/** The WTP responder as its user sees it: every call returns the datagrams to send and the indications to act on. */
export interface WtpPort {
  receive(buf: Buffer, peer: Peer, now: number): WtpOutput;
  tick(now: number): WtpOutput;
  nextDeadline(): number | undefined;
  /** TR-Result.req; `opts.maxSegmentSize` lowers the WTP segment size for this Result. */
  resultReq(txn: TxId, data: Buffer, now: number, opts?: ResultOptions): WtpOutput;
  /** TR-Abort.req: a user abort with the user's reason code (WSP: 0xE0..). */
  abortReq(txn: TxId, reason: number, now: number): WtpOutput;
  /** TR-Invoke.res: the user accepted the Invoke (U/P user acknowledgement). */
  invokeRes(txn: TxId, now: number): WtpOutput;
  /** Largest Result this transaction's client can receive (SAR limits). */
  maxResultSize(txn: TxId): number;
  /** Transactions held now. */
  readonly size: number;
}

export function createWtpPort(deps: WtpResponderDeps): WtpPort {
  return new WtpDatagramPort(new WtpResponder(deps));
}

export class WtpDatagramPort implements WtpPort {
  constructor(readonly responder: WtpResponder) {}

  get size(): number {
    return this.responder.size;
  }

  receive(buf: Buffer, peer: Peer, now: number): WtpOutput {
    // one PDU (the usual datagram) decoded without a list around it
    let pdu: WtpPdu | undefined;
    let pdus: WtpPdu[] | undefined;
    try {
      if (isConcatenated(buf)) pdus = decodeDatagram(buf);
      else pdu = decodeWtp(buf);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      const tid = buf.length >= 3 ? buf.readUInt16BE(1) : undefined;
      return { ...convert(this.responder.receiveMalformed(peer, tid, now, buf.length)), decodeErrors: 1 };
    }
    if (pdu !== undefined) return convert(this.responder.receive(pdu, peer, now));
    const list = pdus as WtpPdu[];
    if (list.length === 1) return convert(this.responder.receive(list[0] as WtpPdu, peer, now));
    const acts: WtpAction[] = [];
    for (const p of list) acts.push(...this.responder.receive(p, peer, now));
    return convert(acts);
  }

  tick(now: number): WtpOutput {
    return convert(this.responder.tick(now));
  }
  nextDeadline(): number | undefined {
    return this.responder.nextDeadline();
  }
  resultReq(txn: TxId, data: Buffer, now: number, opts?: ResultOptions): WtpOutput {
    return convert(this.responder.resultReq(txn, data, now, opts));
  }
  abortReq(txn: TxId, reason: number, now: number): WtpOutput {
    return convert(this.responder.abortReq(txn, reason, now));
  }
  invokeRes(txn: TxId, now: number): WtpOutput {
    return convert(this.responder.invokeRes(txn, now));
  }
  maxResultSize(txn: TxId): number {
    return this.responder.maxResultSize(txn);
  }
}

const NO_SENDS: WtpOutput['send'] = Object.freeze([]);
const NO_INDICATIONS: WtpOutput['indications'] = Object.freeze([]);
const NOTHING: WtpOutput = Object.freeze({ send: NO_SENDS, indications: NO_INDICATIONS });

/**
 * The responder's actions as the user takes them: sends encoded (WAP-224 §8), indications as
 * they are. A list with nothing in it is one shared empty list (most calls have no send or no
 * indication), and a call with neither gives one shared output.
 */
function convert(actions: WtpAction[]): WtpOutput {
  if (actions.length === 0) return NOTHING;
  let send: Array<{ buf: Buffer; peer: Peer }> | undefined;
  let indications: WtpIndication[] | undefined;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as WtpAction;
    if (a.kind === 'send') {
      const pdus = a.pdus;
      for (let j = 0; j < pdus.length; j++) (send ??= []).push({ buf: encodeWtp(pdus[j] as WtpPdu), peer: a.peer });
    }
    else (indications ??= []).push(a);
  }
  return { send: send ?? NO_SENDS, indications: indications ?? NO_INDICATIONS };
}
