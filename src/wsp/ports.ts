/**
 * What the WSP server needs from the WSP PDU codec (WAP-230 §8.2), as a small interface that
 * adapters.ts fills from src/codec. The WTP boundary (TR-Invoke, TR-Result, TR-Abort with a
 * Peer and WTP's TxId) is WTP's own: src/wtp/port.ts.
 */
import type { HeaderList } from '../core/http';
import type { ProposedCapabilities } from './capabilities';


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
