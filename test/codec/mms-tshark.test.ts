/**
 * tshark cross-check of the MMS codec: every golden PDU, every single-field PDU and the
 * builders' PDUs are encoded, carried in a connectionless WSP Push from UDP 9200
 * (`01 06 <hdrlen> <Content-Type> <mms>`) and handed to tshark's mmse dissector, which must show
 * no malformed packet or expert error and the same field values. Content-Type of the Push
 * alternates between the well-known 0xBE (WSP 1.4) and the text form a 1.2 peer (Kannel) sends.
 */
import t from 'tap';
import { hex } from '../../src/codec/bytes';
import { buildSendReq, decodeMms, encodeMms, getField, type MmsPdu } from '../../src/codec/mms';
import { hasTshark, tsharkUdp } from '../helpers/tshark';
import { needTool } from '../helpers/peer-tool';
import { FIELD_VECTORS, s, VECTORS } from '../fixtures/mms/vectors';
import { MMSD_NOTIFICATION, NUNTIUM_MMS_OFFSET, NUNTIUM_PUSH } from '../fixtures/mms/interop';

function push(mms: Buffer, textContentType: boolean): Buffer {
  const ct = textContentType ? hex`${s('application/vnd.wap.mms-message')}` : hex`be`;
  return Buffer.concat([Buffer.from([0x01, 0x06, ct.length]), ct, mms]);
}

t.test('tshark decodes our MMS PDUs inside a WSP Push', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const pdus: { name: string; bytes: Buffer; expect?: Record<string, string | string[]>; pdu?: MmsPdu }[] = [];
  for (const v of VECTORS) pdus.push({ name: v.name, bytes: encodeMms(v.pdu), expect: v.tshark, pdu: v.pdu });
  for (const [octet, , valueBytes] of FIELD_VECTORS) {
    pdus.push({ name: `field 0x${octet.toString(16)}`, bytes: Buffer.concat([hex`8c 80 98 ${s('F')} 8d 93`, Buffer.from([octet]), valueBytes]) });
  }
  const big = buildSendReq({
    transactionId: 'BIG',
    to: ['+4917012345', '+4917099999'],
    cc: 'cc@example.com',
    subject: 'large',
    parts: [
      { contentType: 'application/smil', data: '<smil><body><par><img src="p.jpg"/></par></body></smil>', contentId: 'smil', contentLocation: 'smil.xml' },
      { contentType: 'image/jpeg', data: Buffer.alloc(3000, 0xab), contentId: 'img', contentLocation: 'p.jpg' },
      { contentType: 'text/plain', data: 'caption', contentId: 'txt', contentLocation: 'c.txt' },
    ],
  });
  pdus.push({ name: 'builder m-send-req with a 3000-octet image', bytes: encodeMms(big), pdu: big });

  // Third-party PDUs, re-encoded by us: tshark must read them as it reads the originals.
  for (const [name, b] of [['mmsd notification', MMSD_NOTIFICATION], ['nuntium notification', NUNTIUM_PUSH.subarray(NUNTIUM_MMS_OFFSET)]] as const) {
    pdus.push({ name, bytes: encodeMms(decodeMms(b)), expect: { 'mmse.content_location': getField(decodeMms(b), 'X-Mms-Content-Location') as string } });
  }
  // Control: a truncated PDU must be flagged, or the checks below could not fail.
  const truncated = VECTORS[0]!.bytes.subarray(0, VECTORS[0]!.bytes.length - 20);
  const all = [...pdus.map((p) => p.bytes), truncated];
  const frames = tsharkUdp(
    all.map((b, i) => ({ srcPort: 9200, dstPort: 40000 + i, src: '10.0.0.2', dst: '10.0.0.1', payload: push(b, i % 2 === 1) })),
  );
  t.equal(frames.length, all.length, 'one frame per PDU');
  t.ok(frames[all.length - 1]!.malformed, 'control: tshark flags a truncated m-send-req');
  frames.pop();
  pdus.forEach((p, i) => {
    const f = frames[i]!;
    t.ok(f.protocols.includes('mmse'), `${p.name}: dissected as MMSE`);
    t.strictSame(f.errors, [], `${p.name}: no malformed packet or expert error`);
    t.equal(f.get('mmse.message_type'), `0x${(p.bytes[1] as number).toString(16)}`, `${p.name}: message type`);
    for (const [field, want] of Object.entries(p.expect ?? {})) {
      if (Array.isArray(want)) t.strictSame(f.all(field), want, `${p.name}: ${field}`);
      else t.equal(f.get(field), want, `${p.name}: ${field}`);
    }
    // The multipart body: tshark finds the same parts with the same content types and locations.
    const body = decodeMms(p.bytes).body;
    if (body?.kind === 'multipart') {
      t.equal(f.all('wsp.multipart').length, body.parts.length, `${p.name}: multipart entries`);
      const locs = body.parts.flatMap((x) => x.headers.filter((h) => h.name === 'Content-Location').map((h) => h.value));
      t.strictSame(f.all('wsp.header.content_location'), locs, `${p.name}: part Content-Locations`);
    }
  });
  // The big builder PDU: the addresses and the image length as tshark sees them.
  const last = frames[pdus.findIndex((p) => p.pdu === big)]!;
  t.strictSame(last.all('mmse.to'), ['+4917012345/TYPE=PLMN', '+4917099999/TYPE=PLMN']);
  t.equal(last.get('mmse.cc'), 'cc@example.com');
  t.equal(last.get('mmse.subject'), getField(big, 'Subject')?.text);
  t.equal(last.get('mmse.from'), '<insert address>');
});
