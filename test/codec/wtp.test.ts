/**
 * WTP codec golden vectors (WAP-224): every PDU kind in both directions, each checked
 * both ways (decode the annotated bytes, encode the object), TPIs short and long, concatenation,
 * and strict failures with their offsets. Octet 1 annotations read CON|type(4)|three flag bits.
 */
import t, { type Test } from 'tap';
import { hex } from '../../src/codec/bytes';
import {
  type WtpPdu,
  decodeDatagram,
  decodeWtp,
  encodeDatagram,
  encodeWtp,
  responderTid,
  splitConcatenated,
} from '../../src/codec/wtp';
import { DecodeError, EncodeError } from '../../src/core/errors';

const GET = hex`40 0b 68 74 74 70 3a 2f 2f 78 2e 79 2f`; // WSP Get "http://x.y/"

function vector(t: Test, name: string, pdu: WtpPdu, bytes: Buffer): void {
  t.test(name, async (t) => {
    t.same(decodeWtp(bytes), pdu, 'decode');
    t.same(encodeWtp(pdu), bytes, 'encode');
    t.same(decodeDatagram(bytes), [pdu], 'as a datagram');
  });
}

t.test('Invoke', async (t) => {
  vector(t, 'class 2 WSP Get from the initiator (fakewap co-get frame 4)',
    { type: 'Invoke', tid: 2, gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2, tpis: [], data: GET },
    hex`0a        # CON 0 | Invoke 0001 | GTR 0 TTR 1 RID 0
        00 02     # TID 2, direction bit 0 (initiator)
        12        # version 00 | TIDnew 0 | U/P 1 | res 00 | TCL 10
        ${GET.toString('hex')}`);
  vector(t, 'class 0, TIDnew, retransmission, both trailer bits',
    { type: 'Invoke', tid: 0x7fff, gtr: true, ttr: true, rid: true, version: 0, tidNew: true, up: false, tcl: 0, tpis: [], data: hex`05 00` },
    hex`0f 7f ff  # GTR 1 TTR 1 RID 1, TID 0x7fff
        20        # TIDnew 1, U/P 0, TCL 0
        05 00     # WSP Disconnect, session 0`);
  vector(t, 'class 1, version 3 (undefined but carried), first of a group with Option TPI (co-post-sar-30k frame 4)',
    { type: 'Invoke', tid: 2, gtr: true, ttr: false, rid: false, version: 3, tidNew: false, up: false, tcl: 1,
      tpis: [{ tpi: 'Option', option: 4, value: hex`10 68` }], data: hex`60` },
    hex`8c 00 02  # CON 1 | Invoke | GTR 1 TTR 0
        c1        # version 11 | TCL 01
        13 04 10 68  # TPI CON 0 | Option 0010 | short | len 3: Max group = 0x1068
        60`);
  vector(t, 'every TPI, short and long form, in one chain',
    { type: 'Invoke', tid: 7, gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2,
      tpis: [
        { tpi: 'Error', badTpi: 0x13, data: hex`` },
        { tpi: 'Info', data: Buffer.from('hello'), long: true },
        { tpi: 'Info', data: hex`41` },
        { tpi: 'Option', option: 1, value: hex`05 78` },
        { tpi: 'Option', option: 2, value: hex`00 04 93 e0`, long: true },
        { tpi: 'Option', option: 6, value: hex`` },
        { tpi: 'PSN', psn: 0 },
        { tpi: 'PSN', psn: 9, long: true },
        { tpi: 'SDUBoundary' },
        { tpi: 'FrameBoundary' },
        { tpi: 'Unknown', id: 9, data: hex`aa` },
      ],
      data: GET },
    hex`8a 00 07 12
        81 13                # CON | Error 0000 | len 1: bad TPI octet 0x13
        8c 05 68 65 6c 6c 6f # CON | Info 0001 | long | length 5 "hello"
        89 41                # CON | Info | len 1
        93 01 05 78          # CON | Option | len 3: Max receive unit 1400
        94 05 02 00 04 93 e0 # CON | Option | long, 5: Total message size 300000
        91 06                # CON | Option | len 1: No cached TID (no value)
        99 00                # CON | PSN 0011 | len 1: 0
        9c 01 09             # CON | PSN | long, 1: 9
        a0                   # CON | SDU boundary 0100 | len 0
        a8                   # CON | Frame boundary 0101 | len 0
        49 aa                # last TPI (CON 0) | id 1001 unknown, kept | len 1
        ${GET.toString('hex')}`);
});

t.test('Result', async (t) => {
  vector(t, 'whole message from the responder (co-get frame 5 head)',
    { type: 'Result', tid: 0x8002, gtr: false, ttr: true, rid: false, tpis: [], data: hex`04 20 00` },
    hex`12        # CON 0 | Result 0010 | GTR 0 TTR 1 RID 0
        80 02     # TID 2 with the direction bit: responder
        04 20 00  # WSP Reply 200, no headers`);
  vector(t, 'first packet of a segmented message, retransmitted',
    { type: 'Result', tid: 0x8001, gtr: false, ttr: false, rid: true, tpis: [], data: hex`04` },
    hex`11 80 01 04`);
  t.equal(responderTid(2), 0x8002, 'SendTID = RcvTID XOR 0x8000');
  t.equal(responderTid(0x8002), 2);
});

t.test('Ack', async (t) => {
  vector(t, 'initiator acks the Result (co-get frame 6)',
    { type: 'Ack', tid: 2, tveTok: false, rid: false, tpis: [] },
    hex`18 00 02  # CON 0 | Ack 0011 | Tve/Tok 0 res 0 RID 0 | TID 2`);
  vector(t, 'responder asks for TID verification (Tve)',
    { type: 'Ack', tid: 0x8005, tveTok: true, rid: false, tpis: [] },
    hex`1c 80 05  # Ack | Tve 1`);
  vector(t, 'initiator confirms the TID (Tok), retransmitted',
    { type: 'Ack', tid: 5, tveTok: true, rid: true, tpis: [] },
    hex`1d 00 05  # Ack | Tok 1 | RID 1`);
  vector(t, 'group ack with PSN TPI (co-get-sar-20k frame 8)',
    { type: 'Ack', tid: 2, tveTok: false, rid: false, tpis: [{ tpi: 'PSN', psn: 2 }] },
    hex`98 00 02  # CON 1 | Ack
        19 02     # PSN TPI, len 1: last PSN of the group = 2`);
  vector(t, 'responder group ack (co-post-sar-30k frame 5)',
    { type: 'Ack', tid: 0x8002, tveTok: false, rid: false, tpis: [{ tpi: 'PSN', psn: 0 }] },
    hex`98 80 02 19 00`);
});

t.test('Abort', async (t) => {
  vector(t, 'provider abort INVALIDTID from the initiator',
    { type: 'Abort', tid: 5, abortType: 'provider', reason: 0x02, tpis: [] },
    hex`20 00 05  # CON 0 | Abort 0100 | abort type 000 provider
        02        # INVALIDTID`);
  vector(t, 'user (WSP) abort DISCONNECT from the responder',
    { type: 'Abort', tid: 0x8005, abortType: 'user', reason: 0xe1, tpis: [] },
    hex`21 80 05  # Abort | type 001 user
        e1        # WSP DISCONNECT`);
  vector(t, 'provider abort with an Info TPI',
    { type: 'Abort', tid: 0x8001, abortType: 'provider', reason: 0x09, tpis: [{ tpi: 'Info', data: hex`01 02` }] },
    hex`a0 80 01 09 0a 01 02`);
});

t.test('Segmented Invoke and Segmented Result', async (t) => {
  vector(t, 'segmented invoke, last of a group (initiator)',
    { type: 'SegmentedInvoke', tid: 2, gtr: true, ttr: false, rid: false, psn: 3, tpis: [], data: hex`97 58` },
    hex`2c 00 02  # CON 0 | Seg-Invoke 0101 | GTR 1 TTR 0 RID 0
        03        # PSN 3
        97 58`);
  vector(t, 'segmented invoke, last of the message, retransmitted',
    { type: 'SegmentedInvoke', tid: 2, gtr: false, ttr: true, rid: true, psn: 255, tpis: [], data: hex`00` },
    hex`2b 00 02 ff 00`);
  vector(t, 'segmented result, more packets follow (co-get-sar-20k frame 6)',
    { type: 'SegmentedResult', tid: 0x8002, gtr: false, ttr: false, rid: false, psn: 1, tpis: [], data: hex`25 26` },
    hex`30 80 02  # CON 0 | Seg-Result 0110 | GTR 0 TTR 0
        01        # PSN 1
        25 26`);
  vector(t, 'segmented result, end of group, with a Frame boundary TPI',
    { type: 'SegmentedResult', tid: 0x8002, gtr: true, ttr: false, rid: false, psn: 2, tpis: [{ tpi: 'FrameBoundary' }], data: hex`57` },
    hex`b4 80 02 02 28 57`);
});

t.test('Negative Ack', async (t) => {
  vector(t, 'responder asks for PSNs 3 and 5',
    { type: 'NegativeAck', tid: 0x8002, rid: false, missing: [3, 5], tpis: [] },
    hex`38 80 02  # CON 0 | NAck 0111 | res 00 RID 0
        02        # number of missing packets
        03 05     # their PSNs`);
  vector(t, 'whole group missing, retransmitted, with a TPI after the list',
    { type: 'NegativeAck', tid: 2, rid: true, missing: [], tpis: [{ tpi: 'PSN', psn: 4 }] },
    hex`b9 00 02 00 19 04`);
});

t.test('concatenated datagrams (WAP-224 concatenation of PDUs)', async (t) => {
  const ack: WtpPdu = { type: 'Ack', tid: 0x8002, tveTok: false, rid: false, tpis: [] };
  const big: WtpPdu = { type: 'Result', tid: 0x8003, gtr: false, ttr: true, rid: false, tpis: [], data: Buffer.alloc(197, 0x41) };
  const bytes = Buffer.concat([
    hex`00        # concatenation marker
        03        # length 3 (one octet, < 128)
        18 80 02  # Ack
        80 c8     # length 200 (two octets, MSB set, 15 bits)
        12 80 03`,
    Buffer.alloc(197, 0x41),
  ]);
  t.same(decodeDatagram(bytes), [ack, big]);
  t.same(encodeDatagram([ack, big]), bytes);
  t.same(splitConcatenated(bytes), [[2, 3], [7, 200]]);
  t.same(encodeDatagram([ack]), hex`18 80 02`, 'one PDU is sent plain');
  t.same(encodeDatagram([ack], { concatenate: true }), hex`00 03 18 80 02`);
  t.same(decodeDatagram(hex`00 03 18 80 02`), [ack]);
  t.throws(() => decodeWtp(hex`00 03 18 80 02`), { code: 'ERR_WTP_DECODE', offset: 0 }, 'decodeWtp refuses a concatenation');
  t.throws(() => encodeDatagram([]), EncodeError);
});

t.test('malformed input: DecodeError with the offset', async (t) => {
  const bad: [string, string, number][] = [
    ['', 'empty', 0],
    ['0a 00', 'TID cut short', 1],
    ['0a 00 02', 'Invoke without its flags octet', 3],
    ['0a 00 02 13', 'TCL 3', 3],
    ['42 00 02 12', 'PDU type 8', 0],
    ['7a 00 02', 'PDU type 15', 0],
    ['22 00 02 01', 'abort type 2', 0],
    ['20 00 02', 'abort without reason', 3],
    ['18 00 02 00', 'octet after an Ack', 3],
    ['98 00 02', 'CON set but no TPI', 3],
    ['98 00 02 99 02', 'last TPI still has CON', 5],
    ['98 00 02 1a 02', 'PSN TPI of length 2', 3],
    ['98 00 02 1b 02', 'TPI longer than the PDU', 3],
    ['98 00 02 1c 09 02', 'long TPI longer than the PDU', 3],
    ['98 00 02 18', 'PSN TPI of length 0', 3],
    ['98 00 02 00', 'Error TPI without the bad TPI octet', 3],
    ['98 00 02 10', 'Option TPI without option id', 3],
    ['98 00 02 21 00', 'SDU boundary with data', 3],
    ['38 80 02 03 01 02', 'NAck list cut short', 4],
    ['30 80 02', 'segment without PSN', 3],
    ['00', 'concatenation without PDU', 1],
    ['00 05 18 80 02', 'concatenated length past the end', 2],
    ['00 00 18 80 02', 'concatenated length 0', 1],
    ['00 81', 'two-octet length cut short', 2],
    ['00 03 00 03 18', 'nested concatenation marker', 2],
  ];
  for (const [h, what, offset] of bad) {
    t.throws(() => decodeDatagram(hex(h)), { code: 'ERR_WTP_DECODE', offset }, what);
    try {
      decodeDatagram(hex(h));
    } catch (e) {
      t.ok(e instanceof DecodeError && e.layer === 'wtp', `${what}: a DecodeError of layer wtp`);
    }
  }
});

t.test('encode refuses values that do not fit', async (t) => {
  const inv: WtpPdu = { type: 'Invoke', tid: 1, gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: false, tcl: 2, tpis: [], data: hex`` };
  t.throws(() => encodeWtp({ ...inv, tid: 0x10000 }), { code: 'ERR_WTP_ENCODE' });
  t.throws(() => encodeWtp({ ...inv, tcl: 3 as 2 }), { code: 'ERR_WTP_ENCODE' });
  t.throws(() => encodeWtp({ ...inv, version: 4 }), { code: 'ERR_WTP_ENCODE' });
  t.throws(() => encodeWtp({ ...inv, tpis: [{ tpi: 'PSN', psn: 256 }] }), { code: 'ERR_WTP_ENCODE' });
  t.throws(() => encodeWtp({ ...inv, tpis: [{ tpi: 'Info', data: Buffer.alloc(256) }] }), { code: 'ERR_WTP_ENCODE' });
  t.throws(() => encodeWtp({ ...inv, tpis: [{ tpi: 'Unknown', id: 3, data: hex`` }] }), { code: 'ERR_WTP_ENCODE' });
  t.throws(() => encodeWtp({ type: 'NegativeAck', tid: 1, rid: false, missing: new Array(256).fill(1), tpis: [] }), { code: 'ERR_WTP_ENCODE' });
  t.throws(() => encodeWtp({ type: 'Abort', tid: 1, abortType: 'other' as 'user', reason: 1, tpis: [] }), { code: 'ERR_WTP_ENCODE' });
  t.throws(() => encodeDatagram([inv, { ...inv, data: Buffer.alloc(0x8000) }]), { code: 'ERR_WTP_ENCODE' });
  t.same(encodeWtp({ ...inv, tpis: [{ tpi: 'Info', data: Buffer.alloc(4) }] }).subarray(4, 6), hex`0c 04`, 'data over 3 octets forces the long form');
});
