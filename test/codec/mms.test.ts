import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/codec/inspect';
import { hex } from '../../src/codec/bytes';
import { DecodeError, EncodeError } from '../../src/core/errors';
import {
  buildAcknowledgeInd,
  buildDeliveryInd,
  buildNotificationInd,
  buildNotifyRespInd,
  buildReadRecInd,
  buildRetrieveConf,
  buildSendConf,
  buildSendReq,
  checkMms,
  decodeMms,
  encodeMms,
  FIELDS,
  getField,
  getFields,
  MESSAGE_TYPES,
  summarizeMms,
  type MmsPdu,
} from '../../src/codec/mms';
import { FIELD_VECTORS, s, VECTORS } from '../fixtures/mms/vectors';
import { MMSD_NOTIFICATION, NUNTIUM_MMS_OFFSET, NUNTIUM_PUSH } from '../fixtures/mms/interop';

/** The decoded PDU without the WSP content-type `raw` octets (kept by the WSP codec for re-encoding). */
function plain(pdu: MmsPdu): MmsPdu {
  const strip = (ct: { raw?: Buffer }) => {
    const c = { ...ct };
    delete c.raw;
    return c;
  };
  const out: MmsPdu = {
    type: pdu.type,
    headers: pdu.headers.map((h) => (h.field === 'Content-Type' ? { ...h, value: strip(h.value) as typeof h.value } : h)),
  };
  if (pdu.body?.kind === 'multipart') {
    out.body = {
      kind: 'multipart',
      parts: pdu.body.parts.map((p) => ({
        ...p,
        contentType: strip(p.contentType) as typeof p.contentType,
        headers: p.headers.map((h) => strip(h) as typeof h),
      })),
    };
  } else if (pdu.body) out.body = pdu.body;
  return out;
}

/** A content-type value without the WSP codec's `raw`; other values unchanged. */
function noRaw(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || !('mediaType' in v)) return v;
  const c = { ...(v as { raw?: Buffer }) };
  delete c.raw;
  return c;
}

/** An MMS header kept as raw octets because its canonical encoding differs. */
const hasRaw = (pdu: MmsPdu): boolean => pdu.headers.some((h) => h.field !== 'unknown' && h.raw !== undefined);

t.test('golden vectors: decode and encode (every PDU type 0x80-0x97)', async (t) => {
  for (const v of VECTORS) {
    const d = decodeMms(v.bytes);
    t.strictSame(plain(d), v.pdu, `decode ${v.name}`);
    t.notOk(hasRaw(d), `${v.name}: canonical octets, no raw kept`);
    t.same(encodeMms(v.pdu), v.bytes, `encode ${v.name}`);
    t.same(encodeMms(d), v.bytes, `re-encode ${v.name}`);
  }
  const types = new Set(VECTORS.map((v) => v.pdu.type));
  for (const [, name] of MESSAGE_TYPES) t.ok(types.has(name), `a vector for ${name}`);
});

t.test('every header field 0x01-0x3F: decode and encode its value', async (t) => {
  const seen = new Set<number>();
  for (const [octet, value, valueBytes] of FIELD_VECTORS) {
    seen.add(octet & 0x7f);
    const bytes = Buffer.concat([hex`8c 80`, Buffer.from([octet]), valueBytes]);
    const d = decodeMms(bytes);
    t.equal(d.headers.length, 1, `0x${octet.toString(16)}: one header`);
    const h = d.headers[0]!;
    const row = FIELDS.find(([c]) => c === (octet & 0x7f))!;
    t.equal(h.field, row[1], `0x${octet.toString(16)} is ${row[1]}`);
    t.strictSame(noRaw((h as { value: unknown }).value), value, `decode ${row[1]}`);
    t.notOk(h.field !== 'unknown' && h.raw, `${row[1]}: canonical`);
    t.same(encodeMms({ type: 'm-send-req', headers: [{ field: row[1], value } as MmsPdu['headers'][number]] }), bytes, `encode ${row[1]}`);
  }
  for (let c = 1; c <= 0x3f; c++) t.ok(seen.has(c), `field 0x${c.toString(16)} has a vector`);
});

t.test('Encoded-string-value charsets decode to JS strings and keep their charset', async (t) => {
  const subject = (b: Buffer) => getField(decodeMms(Buffer.concat([hex`8c 80 96`, b])), 'Subject');
  t.strictSame(subject(hex`${s('plain')}`), { text: 'plain' });
  t.strictSame(subject(hex`63 61 66 e9 00`), { text: 'café' }, 'a plain Text-string that is not UTF-8 reads as latin1');
  t.strictSame(subject(hex`08 ea ${s('héllo')}`), { text: 'héllo', charset: 106 });
  t.strictSame(subject(hex`05 84 63 61 66 e9`), { text: 'café', charset: 4 }, 'the Value-length bounds the text (no NUL)');
  t.strictSame(subject(hex`08 02 03 e8 00 48 00 69 00`), { text: 'Hi', charset: 1000 }, 'ucs-2 big-endian');
  t.strictSame(subject(hex`05 ea 7f ${s('é')}`), { text: 'é', charset: 106 }, 'quoted text inside the value');
  // A charset we can read but not write: the text decodes, the octets are kept to re-encode.
  const sjis = Buffer.concat([hex`8c 80 96 05 91 7f 82 a0 00`]);
  const d = decodeMms(sjis);
  const h = d.headers[0]!;
  t.equal(h.field === 'Subject' && h.value.charset, 17);
  t.ok(h.field === 'Subject' && h.raw, 'raw kept for shift_jis');
  t.same(encodeMms(d), sjis, 'shift_jis re-encodes byte-exact');
  // Builders choose UTF-8 for non-ASCII text.
  const p = buildSendReq({ transactionId: 'x', to: '+1', subject: 'Ünïcode', parts: [] });
  t.strictSame(getField(decodeMms(encodeMms(p)), 'Subject'), { text: 'Ünïcode', charset: 106 });
});

t.test('non-canonical but valid encodings are kept raw and re-encode byte-exact', async (t) => {
  const cases: [string, Buffer, string, unknown][] = [
    ['Date with a leading zero octet', hex`85 05 00 65 53 f1 00`, 'Date', 1_700_000_000],
    ['Transaction-Id with a needless Quote', hex`98 7f 41 00`, 'X-Mms-Transaction-Id', 'A'],
    ['Message-Size as Short-integer', hex`8e 85`, 'X-Mms-Message-Size', 5],
    ['Expiry delta as Short-integer', hex`88 02 81 85`, 'X-Mms-Expiry', { kind: 'relative', seconds: 5 }],
    ['Message-Class as text "Personal"', hex`8a ${s('Personal')}`, 'X-Mms-Message-Class', 'Personal'],
    ['Subject with an unquoted 8-bit first octet', hex`96 c3 a9 00`, 'Subject', { text: 'é' }],
    ['Value-length written with Length-quote', hex`89 1f 01 81`, 'From', { insert: true }],
    ['MMS-Version as text', hex`8d ${s('1.2.3')}`, 'X-Mms-MMS-Version', '1.2.3'],
    ['Content-Type as Extension-media text', hex`84 ${s('application/vnd.wap.mms-message')}`, 'Content-Type', { mediaType: 'application/vnd.wap.mms-message', params: {} }],
    ['Unknown Priority code', hex`8f 85`, 'X-Mms-Priority', 0x85],
    ['Unknown Yes/No code', hex`86 90`, 'X-Mms-Delivery-Report', 0x90],
  ];
  for (const [what, field, name, value] of cases) {
    const b = Buffer.concat([hex`8c 80`, field]);
    const d = decodeMms(b);
    const h = d.headers[0]!;
    t.equal(h.field, name, what);
    t.strictSame(noRaw((h as { value: unknown }).value), value, `${what}: value`);
    t.same(encodeMms(d), b, `${what}: byte-exact`);
  }
});

t.test('unknown fields and application headers are skipped, kept and re-encoded', async (t) => {
  const b = hex`
    8c 80 98 ${s('T')}                  # m-send-req, TID
    c5 85                               # unassigned 0x45, Short-integer value
    c6 03 01 02 03                      # unassigned 0x46, Value-length form
    c7 ${s('abc')}                      # unassigned 0x47, Text-string
    ff 1f 02 aa bb                      # unassigned 0x7F, Length-quote form
    ${s('X-Foo')} ${s('bar')}           # application header X-Foo: bar
    97 ${s('+1/TYPE=PLMN')}             # To still decodes after them
  `;
  const d = decodeMms(b);
  t.strictSame(
    d.headers.map((h) => h.field),
    ['X-Mms-Transaction-Id', 'unknown', 'unknown', 'unknown', 'unknown', 'application', 'To'],
  );
  t.strictSame(d.headers[1], { field: 'unknown', code: 0x45, raw: hex`85` });
  t.strictSame(d.headers[2], { field: 'unknown', code: 0x46, raw: hex`03 01 02 03` });
  t.strictSame(d.headers[4], { field: 'unknown', code: 0x7f, raw: hex`1f 02 aa bb` });
  t.strictSame(d.headers[5], { field: 'application', name: 'X-Foo', value: 'bar' });
  t.strictSame(getFields(d, 'To'), [{ text: '+1/TYPE=PLMN' }]);
  t.same(encodeMms(d), b, 'byte-exact');
  t.equal(summarizeMms(d).unknownHeaders, 4);
  t.strictSame(summarizeMms(d).applicationHeaders, ['X-Foo: bar']);
});

t.test('status values: names, and unknown codes mapped as ENC 1.3 §7.3.48/50/58 say', async (t) => {
  const conf = (status: number) => summarizeMms(decodeMms(Buffer.from([0x8c, 0x81, 0x92, status])));
  t.equal(conf(0x80).responseStatus, 'Ok');
  t.equal(conf(0xc4).responseStatus, 'Error-transient-partial-success');
  t.equal(conf(0xc7).responseStatus, 'Error-transient-failure (0xc7)');
  t.equal(conf(0xdf).responseStatus, 'Error-transient-failure (0xdf)');
  t.equal(conf(0xec).responseStatus, 'Error-permanent-failure (0xec)');
  t.equal(conf(0xff).responseStatus, 'Error-permanent-failure (0xff)');
  t.equal(conf(0x90).responseStatus, 'Error-permanent-failure (0x90)');
  const d = decodeMms(Buffer.from([0x8c, 0x81, 0x92, 0xc7]));
  t.equal(getField(d, 'X-Mms-Response-Status'), 0xc7, 'the code itself is kept');
  t.same(encodeMms(d), Buffer.from([0x8c, 0x81, 0x92, 0xc7]));
  const rs = (c: number) => summarizeMms(decodeMms(Buffer.from([0x8c, 0x84, 0x99, c]))).retrieveStatus;
  t.equal(rs(0xc3), 'Error-transient-failure (0xc3)');
  t.equal(rs(0xe4), 'Error-permanent-failure (0xe4)');
  const ss = (c: number) => summarizeMms(decodeMms(Buffer.from([0x8c, 0x8c, 0xa5, c]))).storeStatus;
  t.equal(ss(0xc2), 'Error-transient-failure (0xc2)');
  t.equal(ss(0xe5), 'Error-permanent-failure (0xe5)');
  const indexed = decodeMms(hex`8c 92 92 02 80 e4`);
  t.strictSame(getField(indexed, 'X-Mms-Response-Status'), { index: 0, value: 'Error-permanent-message-not-found' }, 'indexed status in m-mbox-delete-conf');
  t.same(encodeMms(indexed), hex`8c 92 92 02 80 e4`);
  const quoted = hex`8c 92 92 1f 02 80 e4`;
  t.same(encodeMms(decodeMms(quoted)), quoted, 'indexed status with a Length-quote re-encodes byte-exact');
});

t.test('builders produce the golden vectors', async (t) => {
  const v = (name: string) => VECTORS.find((x) => x.pdu.type === name)!.bytes;
  t.same(
    encodeMms(
      buildSendReq({
        transactionId: 'T-0001',
        date: 1_700_000_000,
        to: ['+4917012345', 'user@example.com'],
        subject: 'Grüße',
        messageClass: 'Personal',
        expiry: 604800,
        priority: 'Normal',
        deliveryReport: false,
        readReport: true,
        parts: [
          { contentType: 'application/smil', data: Buffer.from('<smil/>'), contentId: '<0000>', contentLocation: 's.smil' },
          { contentType: 'text/plain', data: 'héllo', contentId: 't1', contentLocation: 't.txt' },
        ],
      }),
    ),
    v('m-send-req'),
    'm-send-req',
  );
  t.same(encodeMms(buildSendConf({ transactionId: 'T-0001', status: 'Ok', responseText: 'accepted', messageId: 'msg-0001' })), v('m-send-conf'));
  t.same(
    encodeMms(
      buildNotificationInd({
        transactionId: 'T-0002',
        from: '+4917012345',
        subject: 'photo',
        messageSize: 100000,
        expiry: 172800,
        contentLocation: 'http://mmsc.example/m/abc',
      }),
    ),
    v('m-notification-ind'),
  );
  t.same(encodeMms(buildNotifyRespInd({ transactionId: 'T-0002', reportAllowed: true })), v('m-notifyresp-ind'));
  t.same(
    encodeMms(
      buildRetrieveConf({
        transactionId: 'T-0003',
        messageId: 'msg-0001',
        date: 1_700_000_000,
        from: '+4917012345',
        to: '+4917099999',
        subject: 'hi',
        messageClass: 'Personal',
        priority: 'High',
        retrieveStatus: 'Ok',
        parts: [{ contentType: 'text/plain', data: Buffer.from('hello') }],
      }),
    ),
    v('m-retrieve-conf'),
  );
  t.same(encodeMms(buildAcknowledgeInd({ transactionId: 'T-0003', reportAllowed: false })), v('m-acknowledge-ind'));
  t.same(encodeMms(buildDeliveryInd({ messageId: 'msg-0001', to: '+4917099999', date: 1_700_000_000, status: 'Retrieved' })), v('m-delivery-ind'));
  t.same(encodeMms(buildReadRecInd({ messageId: 'msg-0001', to: '+4917012345', date: 1_700_000_000 })), v('m-read-rec-ind'));
  const ip = buildSendReq({ transactionId: 'a', from: '10.1.2.3', to: '+1', parts: [] });
  t.strictSame(getField(ip, 'From'), { insert: false, address: { text: '10.1.2.3/TYPE=IPv4' } });
});

t.test('summarizeMms shows the values wapgw decode prints', async (t) => {
  const sum = (name: string) => summarizeMms(decodeMms(VECTORS.find((x) => x.pdu.type === name)!.bytes));
  t.strictSame(sum('m-send-req'), {
    type: 'm-send-req',
    transactionId: 'T-0001',
    version: '1.2',
    date: '2023-11-14T22:13:20.000Z',
    from: '<insert-address-token>',
    to: ['+4917012345/TYPE=PLMN', 'user@example.com'],
    subject: 'Grüße',
    messageClass: 'Personal',
    expiry: '+604800s',
    priority: 'Normal',
    deliveryReport: false,
    readReport: true,
    contentType: 'application/vnd.wap.multipart.related; type="application/smil"; start="<0000>"',
    parts: [
      { contentType: 'application/smil', length: 7, contentId: '<0000>', contentLocation: 's.smil' },
      { contentType: 'text/plain; charset=utf-8', length: 6, contentId: '<t1>', contentLocation: 't.txt' },
    ],
  });
  t.strictSame(sum('m-notification-ind'), {
    type: 'm-notification-ind',
    transactionId: 'T-0002',
    version: '1.2',
    from: '+4917012345/TYPE=PLMN',
    subject: 'photo',
    messageClass: 'Personal',
    messageSize: 100000,
    expiry: '+172800s',
    contentLocation: 'http://mmsc.example/m/abc',
  });
  t.match(sum('m-send-conf'), { responseStatus: 'Ok', messageId: 'msg-0001', responseText: 'accepted' });
  t.match(sum('m-notifyresp-ind'), { status: 'Retrieved', reportAllowed: true });
  t.match(sum('m-mbox-upload-req'), { contentType: 'application/vnd.wap.mms-message', bodyLength: 7 });
  t.equal(JSON.parse(JSON.stringify(sum('m-retrieve-conf'))).parts[0].length, 5, 'JSON-friendly');
});

t.test('malformed input: a DecodeError with the offset', async (t) => {
  const bad: [string, Buffer, number][] = [
    ['empty', hex``, 0],
    ['message type value missing', hex`8c`, 1],
    ['Message-Type not first', hex`98 ${s('T')} 8c 80`, 0],
    ['message type not a token', hex`8c 05`, 1],
    ['Transaction-Id without NUL', hex`8c 80 98 41 42`, 3],
    ['From Value-length beyond the end', hex`8c 80 89 05 80`, 3],
    ['From with an unknown token', hex`8c 80 89 01 85`, 4],
    ['header name octet 0x00', hex`8c 80 00`, 2],
    ['Expiry token unknown', hex`8c 80 88 02 83 85`, 4],
    ['Long-integer length 0', hex`8c 80 85 00`, 3],
    ['multipart claiming 4G entries', hex`8c 80 84 a3 8f ff ff ff 7f`, 9],
    ['multipart entry longer than the data', hex`8c 80 84 a3 01 10 05 83 41`, 7],
    ['bytes after the last multipart entry', hex`8c 80 84 a3 01 01 01 83 41 42`, 9],
    ['Value-length with a 6-octet uintvar', hex`8c 80 89 1f 81 81 81 81 81 01`, 4],
  ];
  for (const [what, b, offset] of bad) {
    t.throws(() => decodeMms(b), { name: 'DecodeError', code: 'ERR_MMS_DECODE', offset }, what);
  }
  try {
    decodeMms(hex`8c 80 98 41`);
    t.fail('should throw');
  } catch (e) {
    t.type(e, DecodeError);
    t.match((e as Error).message, /offset 3/);
  }
});

t.test('encoding errors are EncodeErrors', async (t) => {
  const ct = { field: 'Content-Type', value: { mediaType: 'text/plain', params: {} } } as const;
  t.throws(() => encodeMms({ type: 'm-send-req', headers: [ct, { field: 'X-Mms-Transaction-Id', value: 'x' }] }), EncodeError, 'Content-Type not last');
  t.throws(() => encodeMms({ type: 'm-send-req', headers: [], body: { kind: 'data', data: Buffer.from('x') } }), { code: 'ERR_MMS_ENCODE' }, 'body without Content-Type');
  t.throws(() => encodeMms({ type: 'm-send-conf', headers: [{ field: 'X-Mms-Response-Status', value: 'Fine' }] }), { code: 'ERR_MMS_ENCODE' }, 'unknown status name');
  t.throws(() => encodeMms({ type: 'm-nothing' as 'm-send-req', headers: [] }), { code: 'ERR_MMS_ENCODE' }, 'unknown type');
  t.throws(() => encodeMms({ type: 'm-send-req', headers: [{ field: 'Subject', value: { text: 'x', charset: 17 } }] }), { code: 'ERR_MMS_ENCODE' }, 'unwritable charset');
  t.throws(() => encodeMms({ type: 'm-send-req', headers: [{ field: 'Date', value: -1 }] }), { code: 'ERR_MMS_ENCODE' }, 'negative date');
});

t.test('unknown message type values decode as numbers and re-encode', async (t) => {
  const b = hex`8c a0 98 ${s('x')}`;
  const d = decodeMms(b);
  t.equal(d.type, 0xa0);
  t.same(encodeMms(d), b);
  t.equal(summarizeMms(d).type, '0xa0');
});

t.test('PDUs from other implementations (mmsd, nuntium) decode and re-encode byte-exact', async (t) => {
  const a = decodeMms(MMSD_NOTIFICATION);
  t.match(summarizeMms(a), {
    type: 'm-notification-ind',
    transactionId: 'OgQKKB',
    version: '1.0',
    from: 'Erotik',
    subject: 'Pin-Ups',
    messageClass: 'Personal',
    messageSize: 16384,
    expiry: '+259200s',
    contentLocation: 'http://eps3.de/O/Z9IZO',
  });
  t.same(encodeMms(a), MMSD_NOTIFICATION);
  const mms = NUNTIUM_PUSH.subarray(NUNTIUM_MMS_OFFSET);
  const b = decodeMms(mms);
  t.match(summarizeMms(b), {
    type: 'm-notification-ind',
    transactionId: 'm04BKksim05@mms.personal.com.ar',
    version: '1.0',
    from: '+543515924906/TYPE=PLMN',
    messageSize: 29696,
    expiry: '+172799s',
    contentLocation: 'http://localhost:9191/mms',
  });
  t.same(encodeMms(b), mms);
});

t.test('hex fixtures for wapgw decode match the vectors and decode with --as mms', async (t) => {
  const dir = join(__dirname, '../fixtures/mms/hex');
  const want = new Map<string, Buffer>(VECTORS.map((v) => [`${String(v.pdu.type)}.hex`, v.bytes]));
  want.set('mmsd-notification.hex', MMSD_NOTIFICATION);
  want.set('nuntium-notification.hex', NUNTIUM_PUSH.subarray(NUNTIUM_MMS_OFFSET));
  want.set('nuntium-push.wsp-cl.hex', NUNTIUM_PUSH);
  const files = readdirSync(dir).filter((f) => f.endsWith('.hex'));
  t.strictSame(files.sort(), [...want.keys()].sort(), 'one file per vector');
  for (const f of files) {
    const b = Buffer.from(readFileSync(join(dir, f), 'utf8').trim(), 'hex');
    t.same(b, want.get(f), f);
    if (!f.includes('wsp-cl')) t.match(JSON.stringify(inspect(b, 'mms')), String(decodeMms(b).type), `${f}: wapgw decode --as mms`);
  }
});

t.test('checkMms: mandatory fields, header order and version per ENC §6/§7', async (t) => {
  for (const v of VECTORS) t.strictSame(checkMms(decodeMms(v.bytes)), [], `${v.name}: no problem`);
  t.strictSame(checkMms(decodeMms(MMSD_NOTIFICATION)), []);
  t.strictSame(checkMms(buildSendConf({ transactionId: 'a' })), []);
  t.strictSame(checkMms(decodeMms(hex`8c 80 98 ${s('T')} 8d 92 89 01 81 84 a3`)), ['m-send-req needs one of To, Cc, Bcc']);
  t.strictSame(checkMms(decodeMms(hex`8c 82 98 ${s('T')} 8d 92`)), [
    'm-notification-ind lacks X-Mms-Message-Class',
    'm-notification-ind lacks X-Mms-Message-Size',
    'm-notification-ind lacks X-Mms-Expiry',
    'm-notification-ind lacks X-Mms-Content-Location',
  ]);
  t.strictSame(checkMms(decodeMms(hex`8c 85 8d 92 98 ${s('T')}`)), ['X-Mms-Transaction-Id must directly follow X-Mms-Message-Type']);
  t.strictSame(checkMms(decodeMms(hex`8c 85 98 ${s('T')} 91 80 8d 92`)), ['X-Mms-MMS-Version must follow X-Mms-Message-Type and X-Mms-Transaction-Id']);
  t.strictSame(checkMms(decodeMms(hex`8c 97 98 ${s('C')} 8d 90 bf 80`)), [
    'm-cancel-conf needs MMS 1.3, the PDU says 1.0',
    'X-Mms-Cancel-Status needs MMS 1.3, the PDU says 1.0',
  ]);
  t.strictSame(checkMms(decodeMms(hex`8c a5 98 ${s('x')} 8d 92`)), ['unknown X-Mms-Message-Type 0xa5']);
});

t.test('decodeMms exact: false reads the same header values, without the raw octets it would keep', async (t) => {
  // a non-canonical Message-Size (a 4-octet Long-integer for 3000) is kept as raw only in exact mode
  const pdu = Buffer.concat([
    Buffer.from([0x8c, 0x82, 0x98]), Buffer.from('T1\0', 'latin1'), Buffer.from([0x8d, 0x92, 0x8a, 0x80]),
    Buffer.from([0x8e, 0x04, 0x00, 0x00, 0x0b, 0xb8]),
    Buffer.from([0x88, 0x05, 0x81, 0x03, 0x09, 0x3a, 0x80, 0x83]), Buffer.from('http://mmsc/m/1\0', 'latin1'),
  ]);
  const exact = decodeMms(pdu);
  const quick = decodeMms(pdu, { exact: false });
  const size = (p: typeof exact) => p.headers.find((h) => h.field === 'X-Mms-Message-Size') as { value: unknown; raw?: Buffer } | undefined;
  t.ok(size(exact)?.raw, 'exact: the non-canonical encoding is kept');
  t.equal(size(quick)?.raw, undefined, 'exact false: no raw');
  t.same(quick.headers.map((h) => [h.field, (h as { value?: unknown }).value]), exact.headers.map((h) => [h.field, (h as { value?: unknown }).value]));
  t.same(checkMms(quick), checkMms(exact));
  t.ok(encodeMms(exact).equals(pdu), 'the exact decode still re-encodes byte for byte');
});
