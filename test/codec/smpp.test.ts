/**
 * SMPP 3.4 PDU codec (src/codec/smpp): golden vectors annotated field by field (SMPP 3.4 §4.1.1,
 * §4.4.1, §4.4.2, §4.6.1, §4.6.2), each checked against the npm `smpp` package's decoder or
 * encoder as a second, independent reading; framing of a byte stream cut anywhere; random bytes
 * that may only raise DecodeError.
 */
import t from 'tap';
import fc from 'fast-check';
import * as smpp from 'smpp';
import { hex } from '../../src/codec/bytes';
import {
  COMMAND,
  commandName,
  decodeBindResp,
  decodeDeliverSm,
  decodeSubmitSmResp,
  encodeBind,
  encodeDeliverSmResp,
  encodeHeaderOnly,
  encodeSubmitSm,
  PduReader,
  type SmppPdu,
  type SubmitSmFields,
} from '../../src/codec/smpp';
import { DecodeError, EncodeError } from '../../src/core/errors';

const pduOf = (buf: Buffer): SmppPdu => {
  const out: SmppPdu[] = [];
  new PduReader().push(buf, (p) => out.push(p));
  if (out.length !== 1) throw new Error(`${out.length} PDUs`);
  return out[0] as SmppPdu;
};

const PKG = smpp as unknown as { PDU: { fromBuffer(b: Buffer): smpp.Pdu; new (command: string, fields: Record<string, unknown>): smpp.Pdu } };

const SUBMIT: SubmitSmFields = {
  serviceType: 'WAP',
  sourceAddrTon: 5,
  sourceAddrNpi: 0,
  sourceAddr: 'PPG',
  destAddrTon: 1,
  destAddrNpi: 1,
  destinationAddr: '31611',
  esmClass: 0x40,
  protocolId: 0,
  priorityFlag: 0,
  registeredDelivery: 1,
  replaceIfPresent: 0,
  dataCoding: 0x04,
  smDefaultMsgId: 0,
  shortMessage: hex`06 05 04 0b 84 23 f0 01 06`,
};

// command_length 0x35 = 53 | submit_sm | status 0 | seq 7
// service_type "WAP\0" | src ton 5 npi 0 | "PPG\0" | dst ton 1 npi 1 | "31611\0"
// esm_class 40 | protocol_id 0 | priority 0 | schedule "" | validity "" | registered 1 | replace 0
// data_coding 04 | default msg id 0 | sm_length 9 | UDH ports 2948 <- 9200 | 01 06
const SUBMIT_BYTES = hex`00 00 00 35 00 00 00 04 00 00 00 00 00 00 00 07
  57 41 50 00 05 00 50 50 47 00 01 01 33 31 36 31 31 00
  40 00 00 00 00 01 00 04 00 09 06 05 04 0b 84 23 f0 01 06`;

t.test('submit_sm: golden vector, and the smpp package reads the same fields', async (t) => {
  const b = encodeSubmitSm(7, SUBMIT);
  t.same(b, SUBMIT_BYTES);
  const p = PKG.PDU.fromBuffer(b);
  t.equal(p.command, 'submit_sm');
  t.equal(p.sequence_number, 7);
  t.match(p, { service_type: 'WAP', source_addr_ton: 5, source_addr: 'PPG', dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '31611', esm_class: 0x40, registered_delivery: 1, data_coding: 4 });
  // the package splits the UDH off when esm_class has UDHI
  const sm = p.short_message as { udh?: Buffer[] | Buffer; message?: Buffer | string };
  t.ok(sm, 'short_message read');
  // and the package's own encoding of the same fields is octet for octet ours
  const theirs = new PKG.PDU('submit_sm', {
    sequence_number: 7,
    service_type: 'WAP',
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: 'PPG',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '31611',
    esm_class: 0x40,
    protocol_id: 0,
    priority_flag: 0,
    registered_delivery: 1,
    data_coding: 4,
    short_message: SUBMIT.shortMessage,
  }).toBuffer();
  t.same(theirs, SUBMIT_BYTES);
});

t.test('submit_sm: fields SMPP cannot carry are EncodeErrors', async (t) => {
  t.throws(() => encodeSubmitSm(1, { ...SUBMIT, sourceAddr: '1'.repeat(21) }), EncodeError, 'source_addr over 20 characters (§4.4.1: 21 with NULL)');
  t.throws(() => encodeSubmitSm(1, { ...SUBMIT, serviceType: 'ab\u0000c' }), EncodeError, 'a NULL inside a C-Octet String');
  t.throws(() => encodeSubmitSm(1, { ...SUBMIT, shortMessage: Buffer.alloc(255) }), EncodeError, 'short_message over 254 octets');
  t.doesNotThrow(() => encodeSubmitSm(1, { ...SUBMIT, sourceAddr: '1'.repeat(20), shortMessage: Buffer.alloc(254) }));
});

t.test('bind_transceiver: golden vector, read by the smpp package', async (t) => {
  const b = encodeBind(COMMAND.bind_transceiver, 1, { systemId: 'wapgw', password: 'secret', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' });
  // length 0x22 = 34 | bind_transceiver | 0 | seq 1 | "wapgw\0" | "secret\0" | "" | 34 | 00 | 00 | ""
  t.same(b, hex`00 00 00 22 00 00 00 09 00 00 00 00 00 00 00 01 77 61 70 67 77 00 73 65 63 72 65 74 00 00 34 00 00 00`);
  t.match(PKG.PDU.fromBuffer(b), { command: 'bind_transceiver', system_id: 'wapgw', password: 'secret', interface_version: 0x34 });
  t.throws(() => encodeBind(COMMAND.bind_transmitter, 1, { systemId: 'x'.repeat(16), password: '', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' }), EncodeError);
});

t.test('header-only PDUs and deliver_sm_resp', async (t) => {
  t.same(encodeHeaderOnly(COMMAND.enquire_link, 0, 0x7fffffff), hex`00 00 00 10 00 00 00 15 00 00 00 00 7f ff ff ff`);
  t.same(encodeHeaderOnly(COMMAND.generic_nack, 3, 9), hex`00 00 00 10 80 00 00 00 00 00 00 03 00 00 00 09`);
  // deliver_sm_resp: message_id unused, one NULL (§4.6.2)
  t.same(encodeDeliverSmResp(5), hex`00 00 00 11 80 00 00 05 00 00 00 00 00 00 00 05 00`);
  t.match(PKG.PDU.fromBuffer(encodeDeliverSmResp(5)), { command: 'deliver_sm_resp', sequence_number: 5 });
  t.equal(commandName(0x80000004), 'submit_sm_resp');
  t.equal(commandName(0x12345), '0x00012345');
});

t.test('submit_sm_resp and bind_transceiver_resp: golden vectors, bodies left out on errors', async (t) => {
  // length 0x15 | submit_sm_resp | 0 | seq 7 | "a1b2\0"
  const ok = pduOf(hex`00 00 00 15 80 00 00 04 00 00 00 00 00 00 00 07 61 31 62 32 00`);
  t.match(ok, { commandId: COMMAND.submit_sm_resp, status: 0, seq: 7 });
  t.same(decodeSubmitSmResp(ok), { messageId: 'a1b2' });
  // ESME_RTHROTTLED with no body (§3.2)
  const refused = pduOf(hex`00 00 00 10 80 00 00 04 00 00 00 58 00 00 00 08`);
  t.match(refused, { status: 0x58, seq: 8 });
  t.same(decodeSubmitSmResp(refused), { messageId: '' });
  // message_id without its NULL
  t.throws(() => decodeSubmitSmResp(pduOf(hex`00 00 00 12 80 00 00 04 00 00 00 00 00 00 00 07 61 31`)), DecodeError);
  const theirs = new PKG.PDU('submit_sm_resp', { sequence_number: 3, message_id: 'XYZ-1' }).toBuffer();
  t.same(decodeSubmitSmResp(pduOf(theirs)), { messageId: 'XYZ-1' });
  const bindResp = new PKG.PDU('bind_transceiver_resp', { sequence_number: 1, system_id: 'SMSC' }).toBuffer();
  t.same(decodeBindResp(pduOf(bindResp)), { systemId: 'SMSC' });
});

t.test('deliver_sm: a delivery receipt with TLVs, golden vector and the package encoding', async (t) => {
  // length 0x48 = 72 | deliver_sm | 0 | seq 2
  // service "" | src 1 1 "31611\0" | dst 0 0 "\0" | esm_class 04 (receipt) | pid 0 | prio 0 | "" | "" | reg 0 | repl 0 | dcs 0 | def 0
  // sm_length 0x14 "id:a1b2 stat:DELIVRD"
  // TLV 001e len 5 "a1b2\0" | TLV 0427 len 1 02 (DELIVERED)
  const bytes = hex`00 00 00 48 00 00 00 05 00 00 00 00 00 00 00 02
    00 01 01 33 31 36 31 31 00 00 00 00 04 00 00 00 00 00 00 00 00 14
    69 64 3a 61 31 62 32 20 73 74 61 74 3a 44 45 4c 49 56 52 44
    00 1e 00 05 61 31 62 32 00 04 27 00 01 02`;
  t.equal(bytes.length, 0x48);
  const d = decodeDeliverSm(pduOf(bytes));
  t.match(d, { sourceAddrTon: 1, sourceAddrNpi: 1, sourceAddr: '31611', esmClass: 0x04, receiptedMessageId: 'a1b2', messageState: 2 });
  t.equal(d.shortMessage.toString('latin1'), 'id:a1b2 stat:DELIVRD');
  const theirs = new PKG.PDU('deliver_sm', {
    sequence_number: 2,
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '31611',
    esm_class: 4,
    short_message: Buffer.from('id:a1b2 stat:DELIVRD', 'latin1'),
    receipted_message_id: 'a1b2',
    message_state: 2,
  }).toBuffer();
  const d2 = decodeDeliverSm(pduOf(theirs));
  t.match(d2, { sourceAddr: '31611', esmClass: 4, receiptedMessageId: 'a1b2', messageState: 2 });
  t.equal(d2.shortMessage.toString('latin1'), 'id:a1b2 stat:DELIVRD');
  // cut inside a TLV, or sm_length past the end
  t.throws(() => decodeDeliverSm(pduOf(Buffer.concat([hex`00 00 00 46`, bytes.subarray(4, 0x46)]))), DecodeError);
  const bad = Buffer.from(bytes);
  bad[37] = 0x40; // sm_length 64: more than the body holds
  t.throws(() => decodeDeliverSm(pduOf(bad)), DecodeError);
});

t.test('PduReader: a stream cut at every offset gives the same PDUs; bad lengths refused', async (t) => {
  const stream = Buffer.concat([SUBMIT_BYTES, encodeHeaderOnly(COMMAND.enquire_link, 0, 2), encodeDeliverSmResp(3)]);
  for (let cut = 0; cut <= stream.length; cut++) {
    for (const second of [cut, Math.min(stream.length, cut + 5)]) {
      const r = new PduReader();
      const got: number[] = [];
      r.push(stream.subarray(0, cut), (p) => got.push(p.seq));
      r.push(stream.subarray(cut, second), (p) => got.push(p.seq));
      r.push(stream.subarray(second), (p) => got.push(p.seq));
      if (got.join() !== '7,2,3' || r.pending !== 0) {
        t.fail(`cut at ${cut}/${second}: ${got.join()}`);
        return;
      }
    }
  }
  t.pass('every cut');
  t.throws(() => new PduReader().push(hex`00 00 00 0f 00 00 00 15 00 00 00 00 00 00 00`, () => undefined), DecodeError, 'command_length 15');
  t.throws(() => new PduReader(1024).push(hex`00 00 04 01`, () => undefined), DecodeError, 'command_length over the limit');
});

t.test('random bytes: the reader and the decoders raise only DecodeError', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 120 }), (arr) => {
      const b = Buffer.from(arr);
      // a plausible header in front, so the body decoders see random bodies
      const framed = Buffer.concat([Buffer.from([0, 0, 0, 16 + b.length, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]), b]);
      for (const input of [b, framed]) {
        try {
          new PduReader().push(input, (p) => {
            decodeDeliverSm(p);
            decodeSubmitSmResp(p);
            decodeBindResp(p);
          });
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }
    }),
    { numRuns: 2000 },
  );
  t.pass('no other exception');
});
