/**
 * SMS codec (3GPP TS 23.040 §9.2.3.24 UDH, §9.2.2 TPDUs; WAP-259 WDP over SMS): golden vectors
 * both ways, split/reassembly properties, and random bytes that may only raise DecodeError.
 */
import t from 'tap';
import fc from 'fast-check';
import { hex } from '../../src/codec/bytes';
import {
  decodeTpdu,
  decodeTpduWithSca,
  decodeUserDataWithHeader,
  encodeUdh,
  partsNeeded,
  reassemble,
  SMS_UD_MAX,
  splitWdp,
  type UdhIe,
} from '../../src/codec/sms';
import { DecodeError } from '../../src/core/errors';

const PORTS: UdhIe = { iei: 0x05, type: 'ports16', dst: 2948, src: 9200 };

const UDH_VECTORS: { name: string; ies: UdhIe[]; bytes: Buffer }[] = [
  // UDHL 6 | IEI 05 len 4 | dst 0B84 = 2948 | src 23F0 = 9200
  { name: 'ports only (single SMS)', ies: [PORTS], bytes: hex`06 05 04 0b 84 23 f0` },
  // UDHL 11 | ports | IEI 00 len 3 | ref 0x2a | total 2 | seq 1
  { name: 'ports + 8-bit concatenation', ies: [PORTS, { iei: 0x00, type: 'concat8', ref: 0x2a, total: 2, seq: 1 }], bytes: hex`0b 05 04 0b 84 23 f0 00 03 2a 02 01` },
  // UDHL 12 | ports | IEI 08 len 4 | ref 0x1234 | total 3 | seq 3
  { name: 'ports + 16-bit concatenation', ies: [PORTS, { iei: 0x08, type: 'concat16', ref: 0x1234, total: 3, seq: 3 }], bytes: hex`0c 05 04 0b 84 23 f0 08 04 12 34 03 03` },
  // UDHL 4 | IEI 04 len 2 | dst 0x10 | src 0x20
  { name: '8-bit ports', ies: [{ iei: 0x04, type: 'ports8', dst: 0x10, src: 0x20 }], bytes: hex`04 04 02 10 20` },
  // UDHL 5 | IEI 24 (national language single shift) len 1 | 01 | IEI 0a (text formatting) len 0
  { name: 'other IEs kept', ies: [{ iei: 0x24, type: 'other', data: hex`01` }, { iei: 0x0a, type: 'other', data: hex`` }], bytes: hex`05 24 01 01 0a 00` },
];

t.test('UDH golden vectors both ways', async (t) => {
  for (const v of UDH_VECTORS) {
    t.equal(encodeUdh(v.ies).toString('hex'), v.bytes.toString('hex'), `${v.name}: encode`);
    const ud = decodeUserDataWithHeader(Buffer.concat([v.bytes, hex`aa bb`]));
    t.strictSame(ud.udh, v.ies, `${v.name}: decode`);
    t.equal(ud.data.toString('hex'), 'aabb', `${v.name}: data after the UDH`);
  }
});

t.test('UDH errors carry offsets', async (t) => {
  t.throws(() => decodeUserDataWithHeader(hex`07 05 04 0b 84 23 f0`), { code: 'ERR_SMS_DECODE' }, 'UDHL past the end');
  t.throws(() => decodeUserDataWithHeader(hex`06 05 05 0b 84 23 f0 00`), { code: 'ERR_SMS_DECODE', offset: 3 }, 'IE past the UDH');
  t.throws(() => decodeUserDataWithHeader(hex`05 00 03 01 02 00`), { code: 'ERR_SMS_DECODE', offset: 1 }, 'seq 0');
  t.throws(() => decodeUserDataWithHeader(hex`05 00 03 01 02 03`), { code: 'ERR_SMS_DECODE' }, 'seq > total');
  t.throws(() => decodeUserDataWithHeader(hex`05 05 03 0b 84 23`), { code: 'ERR_SMS_DECODE' }, 'port IE of the wrong length');
  t.throws(() => decodeUserDataWithHeader(hex`01 05`), { code: 'ERR_SMS_DECODE' }, 'IE without length');
  t.throws(() => encodeUdh([{ iei: 0x00, type: 'concat8', ref: 256, total: 1, seq: 1 }]), { code: 'ERR_SMS_ENCODE' });
  t.throws(() => encodeUdh([{ iei: 0x00, type: 'concat8', ref: 1, total: 2, seq: 3 }]), { code: 'ERR_SMS_ENCODE' });
});

t.test('split: sizes per WAP-259 (133 single, 128 / 127 per concatenated part)', async (t) => {
  const pl = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff));
  t.equal(splitWdp(pl(133), { dstPort: 2948, srcPort: 9200, ref: 1 }).length, 1);
  // the one-part split is written in place: the same octets as encodeUdh + payload
  for (const n of [0, 1, 75, 133]) {
    const [one] = splitWdp(pl(n), { dstPort: 2948, srcPort: 9200, ref: 1 });
    t.same(one, Buffer.concat([encodeUdh([{ iei: 0x05, type: 'ports16', dst: 2948, src: 9200 }]), pl(n)]), `one part of ${n} octets`);
  }
  t.throws(() => splitWdp(pl(10), { dstPort: 0x10000, srcPort: 9200, ref: 1 }), { code: 'ERR_SMS_ENCODE' }, 'a port out of range: EncodeError, as encodeUdh');
  const two = splitWdp(pl(134), { dstPort: 2948, srcPort: 9200, ref: 7 });
  t.equal(two.length, 2);
  t.equal(two[0]!.length, SMS_UD_MAX, 'first part full: 12 UDH + 128');
  t.equal(two[0]!.subarray(0, 12).toString('hex'), '0b05040b8423f00003070201');
  t.equal(two[1]!.subarray(0, 12).toString('hex'), '0b05040b8423f00003070202');
  t.equal(two[1]!.length, 12 + 6);
  const three16 = splitWdp(pl(300), { dstPort: 2948, srcPort: 9200, ref: 0xbeef, refBits: 16 });
  t.strictSame(three16.map((b) => b.length), [140, 140, 13 + 46]);
  t.equal(three16[2]!.subarray(0, 13).toString('hex'), '0c05040b8423f00804beef0303');
  t.equal(partsNeeded(128 * 3, 8), 3);
  t.equal(partsNeeded(128 * 3 + 1, 8), 4);
  t.throws(() => splitWdp(pl(600), { dstPort: 2948, srcPort: 9200, ref: 1, maxParts: 4 }), { code: 'ERR_SMS_TOO_MANY_PARTS' });
  t.equal(splitWdp(pl(512), { dstPort: 2948, srcPort: 9200, ref: 1, maxParts: 4 }).length, 4, '4 x 128 fits 4 parts');
});

t.test('reassembly: any order, duplicates, missing parts, two messages interleaved', async (t) => {
  const a = Buffer.alloc(300, 0xa1);
  const b = Buffer.alloc(200, 0xb2);
  const pa = splitWdp(a, { dstPort: 2948, srcPort: 9200, ref: 5 }).map((x) => decodeUserDataWithHeader(x));
  const pb = splitWdp(b, { dstPort: 2948, srcPort: 9200, ref: 6 }).map((x) => decodeUserDataWithHeader(x));
  const single = decodeUserDataWithHeader(splitWdp(hex`01 02`, { dstPort: 2948, srcPort: 9200, ref: 9 })[0]!);
  const r = reassemble([pa[2]!, pb[1]!, single, pa[0]!, pa[0]!, pb[0]!, pa[1]!]);
  t.equal(r.complete.length, 3);
  const byLen = new Map(r.complete.map((m) => [m.data.length, m]));
  t.ok(byLen.get(300)?.data.equals(a), 'message a');
  t.strictSame(byLen.get(300)?.inputs, [3, 6, 0], 'a in part order');
  t.ok(byLen.get(200)?.data.equals(b), 'message b');
  t.equal(byLen.get(2)?.concat, undefined, 'the single SMS');
  t.strictSame(byLen.get(2)?.ports, { dst: 2948, src: 9200 });
  t.strictSame(r.duplicates, [4]);
  const partial = reassemble([pa[0]!, pa[2]!]);
  t.equal(partial.complete.length, 0);
  t.strictSame(partial.incomplete, [{ ref: 5, total: 3, bits: 8, have: [1, 3], inputs: [0, 1] }]);
});

t.test('property: split then reassemble gives the payload back, every part <= 140 octets', async () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 1500 }),
      fc.constantFrom<8 | 16>(8, 16),
      fc.integer({ min: 0, max: 255 }),
      (payload, refBits, ref) => {
        const parts = splitWdp(Buffer.from(payload), { dstPort: 2948, srcPort: 9200, ref, refBits });
        if (parts.some((p) => p.length > SMS_UD_MAX)) return false;
        const shuffled = [...parts].reverse().map((p) => decodeUserDataWithHeader(p));
        const r = reassemble(shuffled);
        return r.complete.length === 1 && r.complete[0]!.data.equals(Buffer.from(payload)) && r.incomplete.length === 0;
      },
    ),
    { numRuns: 300 },
  );
});

// SMS-DELIVER, 8-bit, UDHI: first 0x44 (MTI 00, TP-MMS 1 = no more, UDHI) | OA 11 digits international
// +46708251358 (0b 91 64 07 28 15 53 f8) | PID 00 | DCS 04 | SCTS 26-12-07 13:45:00 +01:00 | UDL 9 | UD
const DELIVER = hex`44 0b 91 64 07 28 15 53 f8 00 04 62 21 70 31 54 00 40 09 06 05 04 0b 84 23 f0 01 06`;
// SMS-SUBMIT, 8-bit, UDHI, VPF relative: first 0x51 (MTI 01, VPF 10, UDHI) | MR 0x2a | DA 4 digits
// national 1234 (04 81 21 43) | PID 00 | DCS F5 (class 1, 8-bit) | VP 0xAA | UDL 7 | UD
const SUBMIT = hex`51 2a 04 81 21 43 00 f5 aa 07 06 05 04 0b 84 23 f0`;
// SMS-DELIVER, GSM 7-bit, no UDH: "hi" packed = e8 34, UDL 2 septets; SCTS -02:00 (8 quarter hours: units 8 high nibble, sign bit 3 of the low nibble: 0x88)
const DELIVER7 = hex`04 04 81 21 43 00 00 62 21 70 31 54 00 88 02 e8 34`;

t.test('TPDU golden vectors', async (t) => {
  const d = decodeTpdu(DELIVER);
  t.equal(d.type, 'SMS-DELIVER');
  if (d.type !== 'SMS-DELIVER') return;
  t.strictSame(d.originator, { number: '+46708251358', toa: 0x91 });
  t.equal(d.alphabet, '8bit');
  t.equal(d.serviceCentreTimeStamp, '26-12-07 13:45:00 +01:00');
  t.equal(d.moreMessagesToSend, false);
  t.equal(d.udl, 9);
  t.equal(d.udOffset, 19);
  t.strictSame(d.userData?.udh, [PORTS]);
  t.equal(d.userData?.data.toString('hex'), '0106');

  const s = decodeTpdu(SUBMIT);
  t.equal(s.type, 'SMS-SUBMIT');
  if (s.type !== 'SMS-SUBMIT') return;
  t.equal(s.messageReference, 0x2a);
  t.strictSame(s.destination, { number: '1234', toa: 0x81 });
  t.strictSame(s.validityPeriod, { format: 'relative', value: 0xaa });
  t.equal(s.alphabet, '8bit');
  t.equal(s.userData?.data.length, 0);

  const d7 = decodeTpdu(DELIVER7);
  t.equal(d7.alphabet, 'gsm7');
  t.equal(d7.ud.toString('hex'), 'e834');
  t.equal(d7.userData, undefined);
  if (d7.type === 'SMS-DELIVER') t.equal(d7.serviceCentreTimeStamp, '26-12-07 13:45:00 -02:00');
});

t.test('TPDU after an SMSC address (PDU mode)', async (t) => {
  const d = decodeTpduWithSca(Buffer.concat([hex`07 91 44 77 58 10 06 50`, DELIVER]));
  t.strictSame(d.smsc, { number: '+447785016005', toa: 0x91 });
  t.equal(d.tpdu.type, 'SMS-DELIVER');
  const none = decodeTpduWithSca(Buffer.concat([hex`00`, SUBMIT]));
  t.equal(none.smsc, undefined, 'length 0: the modem uses its default SMSC');
  t.equal(none.tpdu.type, 'SMS-SUBMIT');
  t.throws(() => decodeTpduWithSca(Buffer.concat([hex`07 91 44 77 58 10 06 50`, hex`02`])), { code: 'ERR_SMS_DECODE', offset: 8 }, 'offset in the whole line');
  t.throws(() => decodeTpduWithSca(hex`0c 91`), { code: 'ERR_SMS_DECODE', offset: 0 });
});

t.test('TPDU errors', async (t) => {
  t.throws(() => decodeTpdu(DELIVER.subarray(0, DELIVER.length - 1)), { code: 'ERR_SMS_DECODE' }, 'truncated UD');
  t.throws(() => decodeTpdu(Buffer.concat([DELIVER, hex`00`])), { code: 'ERR_SMS_DECODE' }, 'trailing octets');
  t.throws(() => decodeTpdu(hex`02 00`), { code: 'ERR_SMS_DECODE', offset: 0 }, 'status report MTI');
  t.throws(() => decodeTpdu(hex`44 0b 91 64 07 28 15 53 f8 00 04 62 21 70 31 54 00 40 00`), { code: 'ERR_SMS_DECODE', offset: 19 }, 'UDHI without UD');
});

t.test('random bytes: only DecodeError escapes', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const b = Buffer.from(bytes);
      for (const f of [() => decodeTpdu(b), () => decodeUserDataWithHeader(b), () => decodeTpduWithSca(b)]) {
        try {
          f();
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }
      return true;
    }),
    { numRuns: 3000 },
  );
});
