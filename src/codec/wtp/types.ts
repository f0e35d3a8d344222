/**
 * WTP PDU model (WAP-224 §8/§9). Spec names verbatim. `tid` is the full 16-bit field as on
 * the wire, direction bit (MSB) included: the initiator sends MSB 0 and the responder answers
 * with tid ^ 0x8000 (WAP-224 §10.4.3). `con` is not stored: it is set on the wire exactly
 * when `tpis` is non-empty.
 */

// The wire codes (PDU types, TPI identities, abort types) are defined once, as data rows, in
// codec.ts (PDU_TYPES, TPI_IDS, ABORT_TYPES); this file holds the decoded model.

export type Tcl = 0 | 1 | 2;

export type AbortType = 'provider' | 'user';

/** Provider abort reasons (WAP-224 Table 4); WSP user reasons live in the WSP tables. */
export const PROVIDER_ABORT = {
  UNKNOWN: 0x00,
  PROTOERR: 0x01,
  INVALIDTID: 0x02,
  NOTIMPLEMENTEDCL2: 0x03,
  NOTIMPLEMENTEDSAR: 0x04,
  NOTIMPLEMENTEDUACK: 0x05,
  WTPVERSIONONE: 0x06,
  CAPTEMPEXCEEDED: 0x07,
  NORESPONSE: 0x08,
  MESSAGETOOLARGE: 0x09,
  NOTIMPLEMENTEDESAR: 0x0a,
} as const;

/** Option TPI parameter identities (WAP-224, the Option TPI). */
export const OPTION_ID = {
  MaxReceiveUnit: 1,
  TotalMessageSize: 2,
  DelayTransmissionTimer: 3,
  MaxGroup: 4,
  CurrentTID: 5,
  NoCachedTID: 6,
} as const;

/** Transport Information Items. `long` records the long form on the wire so it round-trips. */
export type Tpi = (
  | { tpi: 'Error'; badTpi: number; data: Buffer }
  | { tpi: 'Info'; data: Buffer }
  | { tpi: 'Option'; option: number; value: Buffer }
  | { tpi: 'PSN'; psn: number }
  | { tpi: 'SDUBoundary' }
  | { tpi: 'FrameBoundary' }
  | { tpi: 'Unknown'; id: number; data: Buffer }
) & { long?: boolean };

interface Common {
  tid: number;
  tpis: Tpi[];
}

export interface Invoke extends Common {
  type: 'Invoke';
  gtr: boolean;
  ttr: boolean;
  rid: boolean;
  /** WTP version, 0 for WTP 1.x. */
  version: number;
  tidNew: boolean;
  /** U/P: user acknowledgement requested. */
  up: boolean;
  tcl: Tcl;
  data: Buffer;
}

export interface Result extends Common {
  type: 'Result';
  gtr: boolean;
  ttr: boolean;
  rid: boolean;
  data: Buffer;
}

export interface Ack extends Common {
  type: 'Ack';
  /** TIDve when sent by the responder, TIDok when sent by the initiator. */
  tveTok: boolean;
  rid: boolean;
}

export interface Abort extends Common {
  type: 'Abort';
  abortType: AbortType;
  reason: number;
}

export interface SegmentedInvoke extends Common {
  type: 'SegmentedInvoke';
  gtr: boolean;
  ttr: boolean;
  rid: boolean;
  psn: number;
  data: Buffer;
}

export interface SegmentedResult extends Common {
  type: 'SegmentedResult';
  gtr: boolean;
  ttr: boolean;
  rid: boolean;
  psn: number;
  data: Buffer;
}

export interface NegativeAck extends Common {
  type: 'NegativeAck';
  rid: boolean;
  /** PSNs of the missing packets; empty means "the whole group". */
  missing: number[];
}

export type WtpPdu = Invoke | Result | Ack | Abort | SegmentedInvoke | SegmentedResult | NegativeAck;
export type WtpPduType = WtpPdu['type'];

/** The responder's TID for an initiator TID: the direction bit flipped. */
export const responderTid = (tid: number): number => (tid ^ 0x8000) & 0xffff;
