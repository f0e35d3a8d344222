/**
 * SMPP 3.4 PDUs for an ESME that submits short messages (the PPG's SMS bearer): pure Buffer <->
 * values, no sockets.
 *
 * - Every PDU is a 16-octet header (SMPP 3.4 §3.2: command_length, command_id, command_status,
 *   sequence_number, each a 4-octet big-endian integer) and a body. `PduReader` cuts a byte stream
 *   into PDUs (a PDU may arrive in pieces or several in one read) and refuses a command_length
 *   below 16 or over `maxPduLength`; each PDU is handed on as its header values and a view of its
 *   body, and the body is decoded only by the decoder of the command that needs it.
 * - Encoders: bind_transmitter / bind_transceiver (§4.1.1, §4.1.5), submit_sm (§4.4.1),
 *   deliver_sm_resp (§4.6.2), and the header-only PDUs enquire_link(_resp), unbind(_resp) and
 *   generic_nack (§4.11, §4.2, §4.3). C-Octet Strings (§3.1) are written as ASCII with their
 *   NULL terminator, checked against the field's maximum size (Table 4-x "Size octets", which
 *   counts the NULL); a value that does not fit, or holds a NULL, is an EncodeError.
 * - Decoders: bind_*_resp (§4.1.2: system_id), submit_sm_resp (§4.4.2: message_id) and deliver_sm
 *   (§4.6.1: its mandatory fields and the TLVs of §5.3.2 a delivery receipt carries). A body cut
 *   short or a C-Octet String without its NULL is a DecodeError.
 */
import { DecodeError, EncodeError } from '../../core/errors';

const LAYER = 'smpp';

/** command_id values (SMPP 3.4 §5.1.2, Table 5-1). A response is its request's id with bit 31 set. */
export const COMMAND = {
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_receiver_resp: 0x80000001,
  bind_transmitter: 0x00000002,
  bind_transmitter_resp: 0x80000002,
  query_sm: 0x00000003,
  query_sm_resp: 0x80000003,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  replace_sm: 0x00000007,
  replace_sm_resp: 0x80000007,
  cancel_sm: 0x00000008,
  cancel_sm_resp: 0x80000008,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  outbind: 0x0000000b,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  submit_multi: 0x00000021,
  submit_multi_resp: 0x80000021,
  alert_notification: 0x00000102,
  data_sm: 0x00000103,
  data_sm_resp: 0x80000103,
} as const;

export type CommandName = keyof typeof COMMAND;
const NAME_OF = new Map<number, CommandName>(Object.entries(COMMAND).map(([k, v]) => [v, k as CommandName]));

/** The command's name, or `0x…` for an id SMPP 3.4 does not define. */
export const commandName = (id: number): string => NAME_OF.get(id) ?? `0x${id.toString(16).padStart(8, '0')}`;
export const isResponse = (id: number): boolean => (id & 0x80000000) !== 0;

/** TLV tags read from a deliver_sm (SMPP 3.4 §5.3.2, Table 5-x). */
export const TLV = {
  receipted_message_id: 0x001e, // §5.3.2.12, C-Octet String of at most 65 octets
  message_payload: 0x0424, // §5.3.2.32, the message when short_message is empty
  message_state: 0x0427, // §5.3.2.35, one octet (§5.2.28 values)
} as const;

export const HEADER_LENGTH = 16;

/** A PDU as the stream gave it: header values and a view of its body (not a copy). */
export interface SmppPdu {
  commandId: number;
  status: number;
  seq: number;
  body: Buffer;
}

/** command_length limits: the header alone is the least; a submit_sm with the longest fields and TLVs is well under 64 KB. */
export const MAX_PDU_LENGTH = 65536;

/**
 * Cuts a TCP byte stream into PDUs. `push(chunk, onPdu)` calls onPdu for each whole PDU in order;
 * the part of a PDU still missing waits for the next chunk (a copy is kept only of that part).
 * Throws DecodeError on a command_length that cannot be right (below 16, over the limit): the
 * stream cannot be resynchronised after that, so the caller drops the connection.
 */
export class PduReader {
  private rest: Buffer | undefined;
  constructor(private readonly maxPduLength = MAX_PDU_LENGTH) {}

  push(chunk: Buffer, onPdu: (pdu: SmppPdu) => void): void {
    let buf = chunk;
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readUInt32BE(at);
      if (len < HEADER_LENGTH || len > this.maxPduLength) throw new DecodeError(LAYER, at, `command_length ${len} out of range ${HEADER_LENGTH}..${this.maxPduLength}`);
      if (buf.length - at < len) break;
      onPdu({ commandId: buf.readUInt32BE(at + 4), status: buf.readUInt32BE(at + 8), seq: buf.readUInt32BE(at + 12), body: buf.subarray(at + HEADER_LENGTH, at + len) });
      at += len;
    }
    if (at < buf.length) this.rest = Buffer.from(buf.subarray(at));
  }

  /** Octets of an unfinished PDU held. */
  get pending(): number {
    return this.rest?.length ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Octets a C-Octet String of `s` takes (with its NULL), after checking it fits in `max` (NULL included). */
function cLength(field: string, s: string, max: number): number {
  const n = s.length + 1;
  if (n > max) throw new EncodeError(LAYER, `${field}: ${s.length} characters, at most ${max - 1}`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7e) throw new EncodeError(LAYER, `${field}: C-Octet Strings hold ASCII without NULL (SMPP 3.4 §3.1)`);
  }
  return n;
}

function putC(b: Buffer, at: number, s: string): number {
  b.write(s, at, 'latin1');
  b[at + s.length] = 0;
  return at + s.length + 1;
}

function header(b: Buffer, commandId: number, status: number, seq: number): void {
  b.writeUInt32BE(b.length, 0);
  b.writeUInt32BE(commandId >>> 0, 4);
  b.writeUInt32BE(status >>> 0, 8);
  b.writeUInt32BE(seq >>> 0, 12);
}

/** A PDU with no body: enquire_link(_resp), unbind(_resp), generic_nack (§4.11, §4.2, §4.3). */
export function encodeHeaderOnly(commandId: number, status: number, seq: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER_LENGTH);
  header(b, commandId, status, seq);
  return b;
}

export interface BindFields {
  systemId: string;
  password: string;
  systemType: string;
  /** 0x34 for SMPP 3.4 (§5.2.4). */
  interfaceVersion: number;
  addrTon: number;
  addrNpi: number;
  addressRange: string;
}

/** bind_transmitter / bind_receiver / bind_transceiver (§4.1.1, §4.1.3, §4.1.5: the same body). */
export function encodeBind(commandId: number, seq: number, f: BindFields): Buffer {
  const len = HEADER_LENGTH + cLength('system_id', f.systemId, 16) + cLength('password', f.password, 9) + cLength('system_type', f.systemType, 13) + 3 + cLength('address_range', f.addressRange, 41);
  const b = Buffer.allocUnsafe(len);
  header(b, commandId, 0, seq);
  let at = putC(b, HEADER_LENGTH, f.systemId);
  at = putC(b, at, f.password);
  at = putC(b, at, f.systemType);
  b[at++] = f.interfaceVersion;
  b[at++] = f.addrTon;
  b[at++] = f.addrNpi;
  putC(b, at, f.addressRange);
  return b;
}

/**
 * The mandatory fields submit_sm (§4.4.1) and deliver_sm (§4.6.1) share, in the same order on
 * the wire (their schedule_delivery_time and validity_period are not carried here).
 */
export interface ShortMessageFields {
  serviceType: string;
  sourceAddrTon: number;
  sourceAddrNpi: number;
  sourceAddr: string;
  destAddrTon: number;
  destAddrNpi: number;
  destinationAddr: string;
  esmClass: number;
  protocolId: number;
  priorityFlag: number;
  registeredDelivery: number;
  dataCoding: number;
  /** At most 254 octets (§4.4.1 sm_length); longer content goes in parts (src/codec/sms). */
  shortMessage: Buffer;
}

/** The submit_sm fields of one SMS (§4.4.1); schedule_delivery_time and validity_period are left empty (SMSC defaults). */
export interface SubmitSmFields extends ShortMessageFields {
  replaceIfPresent: number;
  smDefaultMsgId: number;
}

/** submit_sm (§4.4.1). */
export function encodeSubmitSm(seq: number, f: SubmitSmFields): Buffer {
  const sm = f.shortMessage;
  if (sm.length > 254) throw new EncodeError(LAYER, `short_message: ${sm.length} octets, at most 254 (SMPP 3.4 §4.4.1)`);
  const len =
    HEADER_LENGTH + cLength('service_type', f.serviceType, 6) + 2 + cLength('source_addr', f.sourceAddr, 21) + 2 + cLength('destination_addr', f.destinationAddr, 21) + 3 + 2 + 5 + sm.length;
  const b = Buffer.allocUnsafe(len);
  header(b, COMMAND.submit_sm, 0, seq);
  let at = putC(b, HEADER_LENGTH, f.serviceType);
  b[at++] = f.sourceAddrTon;
  b[at++] = f.sourceAddrNpi;
  at = putC(b, at, f.sourceAddr);
  b[at++] = f.destAddrTon;
  b[at++] = f.destAddrNpi;
  at = putC(b, at, f.destinationAddr);
  b[at++] = f.esmClass;
  b[at++] = f.protocolId;
  b[at++] = f.priorityFlag;
  b[at++] = 0; // schedule_delivery_time: immediate
  b[at++] = 0; // validity_period: the SMSC's default
  b[at++] = f.registeredDelivery;
  b[at++] = f.replaceIfPresent;
  b[at++] = f.dataCoding;
  b[at++] = f.smDefaultMsgId;
  b[at++] = sm.length;
  sm.copy(b, at);
  return b;
}

/** deliver_sm_resp (§4.6.2): message_id is unused and set to NULL. */
export function encodeDeliverSmResp(seq: number, status = 0): Buffer {
  const b = Buffer.allocUnsafe(HEADER_LENGTH + 1);
  header(b, COMMAND.deliver_sm_resp, status, seq);
  b[HEADER_LENGTH] = 0;
  return b;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A C-Octet String at `at` of at most `max` octets with its NULL; returns the string and the offset after the NULL. */
function readC(body: Buffer, at: number, max: number, field: string): [string, number] {
  const end = Math.min(body.length, at + max);
  for (let i = at; i < end; i++) if (body[i] === 0) return [body.toString('latin1', at, i), i + 1];
  throw new DecodeError(LAYER, HEADER_LENGTH + at, `${field}: no NULL within ${max} octets`);
}

function octet(body: Buffer, at: number, field: string): number {
  const v = body[at];
  if (v === undefined) throw new DecodeError(LAYER, HEADER_LENGTH + at, `${field}: the body ends`);
  return v;
}

/**
 * submit_sm_resp's message_id (§4.4.2). An SMSC may leave the body out when command_status is
 * not 0 (§3.2: "the body ... may be omitted"): then ''.
 */
export function decodeSubmitSmResp(pdu: SmppPdu): { messageId: string } {
  if (pdu.body.length === 0) return { messageId: '' };
  return { messageId: readC(pdu.body, 0, 65, 'message_id')[0] };
}

/** bind_*_resp's system_id (§4.1.2; optional sc_interface_version TLV not read); '' when the body is left out. */
export function decodeBindResp(pdu: SmppPdu): { systemId: string } {
  if (pdu.body.length === 0) return { systemId: '' };
  return { systemId: readC(pdu.body, 0, 16, 'system_id')[0] };
}

export interface DeliverSm extends ShortMessageFields {
  /** TLVs (§3.3 / §5.3): tag -> value view; the last of a repeated tag. */
  tlvs: Map<number, Buffer>;
  receiptedMessageId?: string;
  messageState?: number;
}

/** deliver_sm (§4.6.1): the mandatory fields and the optional parameters (TLVs) after them. */
export function decodeDeliverSm(pdu: SmppPdu): DeliverSm {
  const b = pdu.body;
  let at = 0;
  let serviceType: string;
  let sourceAddr: string;
  let destinationAddr: string;
  [serviceType, at] = readC(b, at, 6, 'service_type');
  const sourceAddrTon = octet(b, at++, 'source_addr_ton');
  const sourceAddrNpi = octet(b, at++, 'source_addr_npi');
  [sourceAddr, at] = readC(b, at, 21, 'source_addr');
  const destAddrTon = octet(b, at++, 'dest_addr_ton');
  const destAddrNpi = octet(b, at++, 'dest_addr_npi');
  [destinationAddr, at] = readC(b, at, 21, 'destination_addr');
  const esmClass = octet(b, at++, 'esm_class');
  const protocolId = octet(b, at++, 'protocol_id');
  const priorityFlag = octet(b, at++, 'priority_flag');
  [, at] = readC(b, at, 17, 'schedule_delivery_time');
  [, at] = readC(b, at, 17, 'validity_period');
  const registeredDelivery = octet(b, at++, 'registered_delivery');
  octet(b, at++, 'replace_if_present_flag');
  const dataCoding = octet(b, at++, 'data_coding');
  octet(b, at++, 'sm_default_msg_id');
  const smLength = octet(b, at++, 'sm_length');
  if (at + smLength > b.length) throw new DecodeError(LAYER, HEADER_LENGTH + at, `short_message: sm_length ${smLength}, ${b.length - at} octets left`);
  const shortMessage = b.subarray(at, at + smLength);
  at += smLength;
  const tlvs = new Map<number, Buffer>();
  while (at < b.length) {
    if (b.length - at < 4) throw new DecodeError(LAYER, HEADER_LENGTH + at, 'a TLV cut short');
    const tag = b.readUInt16BE(at);
    const len = b.readUInt16BE(at + 2);
    if (at + 4 + len > b.length) throw new DecodeError(LAYER, HEADER_LENGTH + at, `TLV 0x${tag.toString(16)}: length ${len}, ${b.length - at - 4} octets left`);
    tlvs.set(tag, b.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  const out: DeliverSm = { serviceType, sourceAddrTon, sourceAddrNpi, sourceAddr, destAddrTon, destAddrNpi, destinationAddr, esmClass, protocolId, priorityFlag, registeredDelivery, dataCoding, shortMessage, tlvs };
  const rid = tlvs.get(TLV.receipted_message_id);
  if (rid !== undefined) {
    const nul = rid.indexOf(0);
    out.receiptedMessageId = rid.toString('latin1', 0, nul < 0 ? rid.length : nul);
  }
  const ms = tlvs.get(TLV.message_state);
  if (ms !== undefined && ms.length === 1) out.messageState = ms[0] as number;
  return out;
}
