/**
 * The connectionless WSP Push PDU of the PPG (WAP-230 §8.2.4.1): golden vectors both ways
 * (encodeConnectionlessPush -> bytes, and the WSP decoder reading them back), and tshark, with
 * default preferences, dissecting them as WSP on UDP 9200 -> 2948 with nothing malformed.
 */
import t from 'tap';
import { hex } from '../../src/codec/bytes';
import { buildNotificationInd, encodeMms } from '../../src/codec/mms';
import { decodeWsp, encodeWsp } from '../../src/codec/wsp';
import { encodeConnectionlessPush } from '../../src/ppg/wsp-push';
import { needTool } from '../helpers/peer-tool';
import { hasTshark, tsharkUdp } from '../helpers/tshark';

const MMS_CT = Buffer.from('application/vnd.wap.mms-message\0', 'latin1');
const body = hex`8c 82 98 41 00 8d 92`; // a (short) m-notification-ind head: type, TID "A", version 1.2

// WBXML 1.2, SI 1.0 public id 05, UTF-8 (6a), no string table | si(content) indication(attrs+content)
// href="http://" STR_I "a" END END END (WAP-167 §8.3)
const SIC = hex`02 05 6a 00 45 c6 0c 03 61 00 01 01 01`;
// WBXML 1.2, SL 1.0 public id 06, UTF-8 | sl(attrs) href="http://" STR_I "a" END (WAP-168 §9.3)
const SLC = hex`02 06 6a 00 85 09 03 61 00 01`;

const VECTORS: { name: string; input: Parameters<typeof encodeConnectionlessPush>[0]; bytes: Buffer }[] = [
  {
    name: 'MMS notification, Encoding-Version 1.2: content type as text, mms.ua by number',
    input: { tid: 1, contentType: 'application/vnd.wap.mms-message', applicationId: 4, body },
    // TID 01 | Push 06 | HeadersLen 0x22 = 32 (type text + NUL) + 2 | text | X-Wap-Application-Id (0x2F|0x80) 4 (0x84) | body
    bytes: Buffer.concat([hex`01 06 22`, MMS_CT, hex`af 84`, body]),
  },
  {
    name: 'MMS notification, Encoding-Version 1.4: content type 0x3E well-known',
    input: { tid: 0x7f, contentType: 'application/vnd.wap.mms-message', applicationId: 'x-wap-application:mms.ua', body, encodingVersion: '1.4' },
    // TID 7f | 06 | HeadersLen 3 | 0xBE (0x3E|0x80) | af 84 | body
    bytes: Buffer.concat([hex`7f 06 03 be af 84`, body]),
  },
  {
    name: 'SI (sic 0x2E), wml.ua (2), a Content-Location header',
    input: { tid: 0, contentType: 'application/vnd.wap.sic', applicationId: 2, headers: [['Content-Location', 'http://a/b']], body: SIC },
    // 00 | 06 | HeadersLen 0x0f | 0xAE | af 82 | Content-Location (0x0E|0x80) "http://a/b\0" | body
    bytes: Buffer.concat([hex`00 06 0f ae af 82 8e`, Buffer.from('http://a/b\0'), SIC]),
  },
  {
    name: 'no application id, an application-specific id by URI',
    input: { tid: 9, contentType: 'application/vnd.wap.slc', applicationId: 'http://example.com/app', body: SLC },
    // 09 | 06 | HL 0x19 = 1 + 1 + 23 | 0xB0 | af "http://example.com/app\0" | body
    bytes: Buffer.concat([hex`09 06 19 b0 af`, Buffer.from('http://example.com/app\0'), SLC]),
  },
];

t.test('golden vectors both ways', async (t) => {
  for (const v of VECTORS) {
    const got = encodeConnectionlessPush(v.input);
    t.equal(got.toString('hex'), v.bytes.toString('hex'), `${v.name}: encode`);
    const pdu = decodeWsp(v.bytes, { connectionless: true });
    t.equal(pdu.type, 'Push', `${v.name}: decodes as Push`);
    if (pdu.type !== 'Push') continue;
    t.equal(pdu.tid, v.input.tid, `${v.name}: tid`);
    t.equal(pdu.contentType.mediaType, v.input.contentType, `${v.name}: content type`);
    t.equal(pdu.data.toString('hex'), v.input.body.toString('hex'), `${v.name}: body`);
    const app = pdu.headers.find((h) => h.name === 'X-Wap-Application-Id')?.value;
    const want = v.input.applicationId === 4 || v.input.applicationId === 'x-wap-application:mms.ua' ? 'x-wap-application:mms.ua'
      : v.input.applicationId === 2 ? 'x-wap-application:wml.ua' : v.input.applicationId;
    t.equal(app, want, `${v.name}: application id`);
  }
});

t.test('refuses what it cannot encode', async (t) => {
  t.throws(() => encodeConnectionlessPush({ tid: 256, contentType: 'text/plain', body: Buffer.alloc(0) }), { code: 'ERR_WSP_ENCODE' });
  t.throws(() => encodeConnectionlessPush({ tid: -1, contentType: 'text/plain', body: Buffer.alloc(0) }), { code: 'ERR_WSP_ENCODE' });
  t.throws(() => encodeConnectionlessPush({ tid: 1, contentType: 'text/plain', applicationId: 1.5, body: Buffer.alloc(0) }), { code: 'ERR_WSP_ENCODE' });
  t.throws(
    () => encodeConnectionlessPush({ tid: 1, contentType: 'text/plain', headers: [['x-wap-application-id', '4']], body: Buffer.alloc(0) }),
    { code: 'ERR_WSP_ENCODE' },
  );
});

t.test('tshark dissects our pushes on UDP 9200 -> 2948', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const notification = encodeMms(
    buildNotificationInd({ transactionId: 'TX-1', messageSize: 1234, expiry: 3600, contentLocation: 'http://mmsc.example/m/abc' }),
  );
  const pushes = [
    ...VECTORS.map((v) => v.bytes),
    encodeConnectionlessPush({ tid: 3, contentType: 'application/vnd.wap.mms-message', applicationId: 4, body: notification }),
  ];
  const frames = tsharkUdp(pushes.map((payload) => ({ srcPort: 9200, dstPort: 2948, src: '10.0.0.2', dst: '10.0.0.1', payload })));
  t.equal(frames.length, pushes.length);
  frames.forEach((f, i) => {
    t.ok(f.protocols.includes('wsp'), `frame ${i}: WSP`);
    t.equal(f.get('wsp.pdu_type'), '0x06', `frame ${i}: Push`);
    t.strictSame(f.errors, [], `frame ${i}: nothing malformed`);
  });
  const last = frames[frames.length - 1]!;
  t.ok(last.protocols.includes('mmse'), 'the m-notification-ind inside is dissected as MMSE');
  t.equal(last.get('mmse.message_type'), '0x82');
  t.equal(last.get('mmse.content_location'), 'http://mmsc.example/m/abc');
  t.match(last.get('wsp.header.x_wap_application_id') ?? '', /mms\.ua/, 'X-Wap-Application-Id read as mms.ua');
});

t.test('pushes built from a cached prefix are the PDUs the WSP codec encodes, for every TID and body', async (t) => {
  const bodies = [Buffer.alloc(0), Buffer.from('8c82980054310000', 'hex'), Buffer.alloc(300, 0xab)];
  for (const [contentType, applicationId] of [
    ['application/vnd.wap.mms-message', 4],
    ['application/vnd.wap.sic', 'x-wap-application:wml.ua'],
    ['application/vnd.wap.slc', undefined],
  ] as const) {
    for (const tid of [0, 1, 200, 255]) {
      for (const body of bodies) {
        const got = encodeConnectionlessPush({ tid, contentType, ...(applicationId !== undefined ? { applicationId } : {}), body });
        const want = encodeWsp(
          { type: 'Push', tid, contentType, headers: applicationId === undefined ? [] : [{ name: 'X-Wap-Application-Id', value: String(applicationId) }], data: body },
          { connectionless: true, encodingVersion: '1.2' },
        );
        t.ok(got.equals(want), `${contentType} app ${String(applicationId)} tid ${tid} body ${body.length}`);
      }
    }
  }
});
