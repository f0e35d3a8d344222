/**
 * What the WSP server needs from the layers below it, as small interfaces: the WTP responder
 * (WAP-224 service primitives TR-Invoke, TR-Result, TR-Abort) and the WSP PDU codec
 * (WAP-230 §8.2). The composition (src/edge/wsp-gateway.ts) adapts the real modules to
 * these, so the server and its tests do not depend on their internal shapes.
 */
import type { HeaderList } from '../bridge/headers';
import type { Peer } from '../core/peer';
import type { ResultOptions, TxId } from '../wtp';
import type { ProposedCapabilities } from './capabilities';

/** A transaction handle from the WTP layer (its TxId: opaque, unique while the transaction lives). */
export type { TxId } from '../wtp';

export type WtpIndication =
  | { ind: 'TR-Invoke.ind'; txn: TxId; peer: Peer; tcl: 0 | 1 | 2; data: Buffer; uack?: boolean }
  | { ind: 'TR-Result.cnf'; txn: TxId }
  | { ind: 'TR-Abort.ind'; txn: TxId; user: boolean; reason: number };

/** The WTP responder, pure: every call returns the datagrams to send and the indications to act on. */
export interface WtpPort {
  receive(buf: Buffer, peer: Peer, now: number): WtpOutput;
  tick(now: number): WtpOutput;
  nextDeadline(): number | undefined;
  /** TR-Result.req; `opts.maxSegmentSize` lowers the WTP segment size for this Result. */
  resultReq(txn: TxId, data: Buffer, now: number, opts?: ResultOptions): WtpOutput;
  /** A WSP (user) abort with a WSP reason code (0xE0..). */
  abortReq(txn: TxId, reason: number, now: number): WtpOutput;
  /** TR-Invoke.res: the user accepted the Invoke (U/P user acknowledgement). */
  invokeRes(txn: TxId, now: number): WtpOutput;
  /** Largest Result this transaction's client can receive (SAR limits). */
  maxResultSize(txn: TxId): number;
  /** Transactions held now. */
  readonly size: number;
}

export interface WtpOutput {
  send: Array<{ buf: Buffer; peer: Peer }>;
  indications: WtpIndication[];
  /** Datagrams that did not decode (for metrics). */
  decodeErrors?: number;
}

// ---- WSP PDUs as the server sees them ----

export type WspIn =
  | { pdu: 'Connect'; version: number; caps: ProposedCapabilities; headers: HeaderList; encodingVersion: number | undefined }
  | { pdu: 'Method'; method: string; uri: string; headers: HeaderList; contentType?: string; body?: Buffer }
  | { pdu: 'Disconnect'; sessionId: number }
  | { pdu: 'Suspend'; sessionId: number }
  | { pdu: 'Resume'; sessionId: number; caps: ProposedCapabilities | undefined; headers: HeaderList | undefined }
  | { pdu: 'Other'; type: number };

export interface ConnectReplyOut {
  sessionId: number;
  /** Protocol-Options and Method-MOR are left out when undefined (the client did not raise them). */
  caps: { clientSduSize: number; serverSduSize: number; protocolOptions?: number; methodMor?: number };
  headers: HeaderList;
}

export interface ReplyOut {
  /** HTTP status; the codec maps it to the WSP code. */
  status: number;
  contentType: string;
  headers: HeaderList;
  body: Buffer;
}

export interface WspCodecPort {
  /** Decodes one WSP PDU; `encodingVersion` is the session's (headers). Throws DecodeError. */
  decode(buf: Buffer, encodingVersion: number): WspIn;
  encodeConnectReply(r: ConnectReplyOut, encodingVersion: number): Buffer;
  encodeReply(r: ReplyOut, encodingVersion: number): Buffer;
  /** Describes an MMS body for the access log. */
  describeMms?(body: Buffer): { type?: string; transactionId?: string } | undefined;
}
