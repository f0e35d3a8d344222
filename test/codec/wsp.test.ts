/**
 * WSP codec golden vectors (WAP-230 §8): every PDU kind, content types with parameters, every
 * well-known header field of encoding versions 1.1-1.5, code page shifts, multipart bodies and
 * the status table. Each vector is checked both ways: the annotated octets decode to the object,
 * and the object (without any raw octets) encodes to the same octets at the given version.
 * Vectors marked "Kannel" are frames of ../shared/interop/kannel (test/fixtures/wtp/kannel).
 */
import t, { type Test } from 'tap';
import { Reader, Writer, hex } from '../../src/codec/bytes';
import {
  type ContentType,
  type WspHeader,
  type WspPdu,
  decodeContentType,
  decodeHeaders,
  decodeMultipart,
  decodeWsp,
  encodeContentType,
  encodeHeaders,
  encodeMultipart,
  encodeWsp,
  formatContentType,
  httpToHeaderList,
  httpToWspStatus,
  parseContentType,
  wspToHttpStatus,
  STATUS_CODES,
  HEADER_FIELDS,
  CONTENT_TYPES,
  PARAMETERS,
  CHARSETS,
  charsetCode,
  existsIn,
  versionCode,
} from '../../src/codec/wsp';
import { DecodeError, EncodeError } from '../../src/core/errors';
import { toHttpRequestHeaders, type HeaderList } from '../../src/bridge/headers';
import { HEADER_VECTORS } from '../fixtures/wsp/vectors';
import { noRaw } from '../helpers/no-raw';

/** JSON-comparable view: Buffers as hex, raw octets dropped. */
function plain(x: unknown): unknown {
  if (Buffer.isBuffer(x)) return x.toString('hex');
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (k !== 'raw' && v !== undefined) out[k] = plain(v);
    return out;
  }
  return x;
}


const ct = (mediaType: string, params: ContentType['params'] = {}): ContentType => ({ mediaType, params });
const h = (name: string, value: string, extra: Partial<WspHeader> = {}): WspHeader => ({ name, value, ...extra });

interface VectorOpts {
  connectionless?: boolean;
  version?: string;
}

function pduVector(t: Test, name: string, pdu: WspPdu, bytes: Buffer, opts: VectorOpts = {}): void {
  t.test(name, async (t) => {
    const decoded = decodeWsp(bytes, { connectionless: opts.connectionless ?? false });
    t.same(plain(decoded), plain(pdu), 'decode');
    t.same(encodeWsp(pdu, { connectionless: opts.connectionless ?? false, encodingVersion: opts.version ?? '1.2' }).toString('hex'), bytes.toString('hex'), 'encode');
    t.same(encodeWsp(decoded, { connectionless: opts.connectionless ?? false, encodingVersion: opts.version ?? '1.2' }).toString('hex'), bytes.toString('hex'), 're-encode of the decoded PDU');
  });
}

const KANNEL_CAPS = [
  { name: 'Client-SDU-Size', value: 1048576 },
  { name: 'Server-SDU-Size', value: 1048576 },
];

t.test('PDUs, connection-oriented (WAP-230 §8.2)', async (t) => {
  pduVector(t, 'Connect (Kannel fakewap co-get frame 4 after the WTP header)',
    { type: 'Connect', version: '1.0', capabilities: KANNEL_CAPS, headers: [h('Accept', '*/*'), h('User-Agent', 'fakewap')] },
    hex`01              # Connect
        10              # Version 1.0
        0a              # CapabilitiesLen 10
        0b              # HeadersLen 11
        04 80 c0 80 00  # len 4 | Client-SDU-Size | uintvar 1048576
        04 81 c0 80 00  # len 4 | Server-SDU-Size | uintvar 1048576
        80 80           # Accept: */*
        a9 66 61 6b 65 77 61 70 00  # User-Agent: fakewap`);

  pduVector(t, 'ConnectReply (Kannel): Encoding-Version is 1.3, so at 1.2 it goes as an application header',
    { type: 'ConnectReply', sessionId: 1, capabilities: KANNEL_CAPS, headers: [h('Encoding-Version', '1.2')] },
    hex`02 01 0a 15     # ConnectReply | ServerSessionId 1 | CapabilitiesLen 10 | HeadersLen 21
        04 80 c0 80 00 04 81 c0 80 00
        45 6e 63 6f 64 69 6e 67 2d 56 65 72 73 69 6f 6e 00  # "Encoding-Version"
        31 2e 32 00                                          # "1.2"`);

  pduVector(t, 'Connect carrying every capability identifier, a Token-text one and an unknown one',
    {
      type: 'Connect',
      version: '1.0',
      capabilities: [
        { name: 'Client-SDU-Size', value: 760 },
        { name: 'Server-SDU-Size', value: 1400 },
        { name: 'Protocol-Options', value: 0xc0, flags: ['confirmed-push', 'push'] },
        { name: 'Method-MOR', value: 2 },
        { name: 'Push-MOR', value: 1 },
        { name: 'Extended-Methods', methods: [{ pduType: 0x50, name: 'PROPFIND' }] },
        { name: 'Header-Code-Pages', pages: [{ page: 2, name: 'nokia' }] },
        { name: 'Aliases', addresses: [{ bearerType: 0, port: 9201, address: '10.0.0.1' }] },
        { name: 'Client-Message-Size', value: 300000 },
        { name: 'Server-Message-Size', value: 300000 },
        { name: 'x-foo', data: hex`01 02` },
        { name: 'Capability-0x0a', data: hex`ff` },
      ],
      headers: [],
    },
    hex`01 10 46 00
        03 80 85 78     # Client-SDU-Size 760
        03 81 8a 78     # Server-SDU-Size 1400
        02 82 c0        # Protocol-Options: confirmed push, push
        02 83 02        # Method-MOR 2
        02 84 01        # Push-MOR 1
        0b 85 50 50 52 4f 50 46 49 4e 44 00  # Extended-Methods: 0x50 PROPFIND
        08 86 02 6e 6f 6b 69 61 00           # Header-Code-Pages: 2 nokia
        09 87 c4 00 23 f1 0a 00 00 01        # Aliases: bearer 0, port 9201, 10.0.0.1
        04 88 92 a7 60  # Client-Message-Size 300000
        04 89 92 a7 60  # Server-Message-Size 300000
        08 78 2d 66 6f 6f 00 01 02           # Token-text identifier "x-foo", value 01 02
        02 8a ff        # unassigned identifier 0x0a, value kept`);

  pduVector(t, 'ConnectReply: Extended-Methods and Header-Code-Pages carry codes only',
    {
      type: 'ConnectReply',
      sessionId: 300,
      capabilities: [
        { name: 'Extended-Methods', methods: [{ pduType: 0x50 }, { pduType: 0x70 }] },
        { name: 'Header-Code-Pages', pages: [{ page: 2 }] },
        { name: 'Protocol-Options', value: 0, flags: [] },
      ],
      headers: [h('Encoding-Version', '1.3')],
    },
    hex`02 82 2c 0a 02  # ConnectReply | SessionId 300 | CapabilitiesLen 10 | HeadersLen 2
        03 85 50 70     # Extended-Methods 0x50 0x70
        02 86 02        # Header-Code-Pages 2
        02 82 00        # Protocol-Options none
        c3 93           # Encoding-Version: 1.3 (well-known from 1.3)`,
    { version: '1.3' });

  pduVector(t, 'Redirect: permanent, two addresses',
    {
      type: 'Redirect',
      permanent: true,
      reuseSecuritySession: false,
      addresses: [{ bearerType: 0, port: 9201, address: '10.0.0.1' }, { address: '192.168.0.1' }],
    },
    hex`03 80                      # Redirect | Flags: permanent
        c4 00 23 f1 0a 00 00 01    # bearer+port, len 4 | bearer 0 | port 9201 | 10.0.0.1
        04 c0 a8 00 01             # len 4 | 192.168.0.1`);

  pduVector(t, 'Redirect to an IPv6 address (bearer type 0x01), reuse security session',
    {
      type: 'Redirect',
      permanent: false,
      reuseSecuritySession: true,
      addresses: [{ bearerType: 1, port: 9201, address: '2001:db8:0:0:0:0:0:1' }],
    },
    hex`03 40                      # Redirect | Flags: reuse security session
        d0 01 23 f1                # bearer+port, len 16 | bearer 1 | port 9201
        20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01`);

  pduVector(t, 'Reply 200 text/plain (Kannel co-get frame 5, body shortened)',
    {
      type: 'Reply',
      status: 0x20,
      contentType: ct('text/plain'),
      headers: [h('Content-Length', '40'), h('Date', 'Tue, 24 Nov 2026 14:21:18 GMT')],
      data: Buffer.from('hi'),
    },
    hex`04 20 09        # Reply | 200 OK | HeadersLen 9
        83              # Content-Type text/plain
        8d a8           # Content-Length 40
        92 04 6b 05 9d 5e  # Date 2026-11-24 14:21:18
        68 69           # body`);

  pduVector(t, 'Reply with application/vnd.wap.mms-message at 1.2: text (Kannel co-post-mms-1k frame 5)',
    {
      type: 'Reply',
      status: 0x20,
      contentType: ct('application/vnd.wap.mms-message'),
      headers: [h('Content-Length', '60')],
      data: hex`8c 81`,
    },
    hex`04 20 22
        61 70 70 6c 69 63 61 74 69 6f 6e 2f 76 6e 64 2e 77 61 70 2e 6d 6d 73 2d 6d 65 73 73 61 67 65 00
        8d bc
        8c 81`);

  pduVector(t, 'Disconnect', { type: 'Disconnect', sessionId: 200 }, hex`05 81 48  # Disconnect | uintvar 200`);

  pduVector(t, 'Push at 1.4: mms-message is well-known 0x3E (protocol-facts §4.1)',
    {
      type: 'Push',
      contentType: ct('application/vnd.wap.mms-message'),
      headers: [h('X-Wap-Application-Id', 'x-wap-application:mms.ua')],
      data: hex`8c 82 98 41 00`,
    },
    hex`06 03 be af 84 # Push | HeadersLen 3 | 0x3E | X-Wap-Application-Id mms.ua
        8c 82 98 41 00`,
    { version: '1.4' });

  pduVector(t, 'ConfirmedPush with Push-Flag',
    { type: 'ConfirmedPush', contentType: ct('text/plain'), headers: [h('Push-Flag', '4')], data: Buffer.from('hello') },
    hex`07 03 83 b4 84  # ConfirmedPush | HeadersLen 3 | text/plain | Push-Flag: last
        68 65 6c 6c 6f`);

  pduVector(t, 'Suspend', { type: 'Suspend', sessionId: 5 }, hex`08 05`);

  pduVector(t, 'Resume: capabilities then headers to the end',
    { type: 'Resume', sessionId: 5, capabilities: [{ name: 'Client-SDU-Size', value: 760 }], headers: [h('User-Agent', 'x')] },
    hex`09 05 04        # Resume | SessionId 5 | CapabilitiesLen 4
        03 80 85 78     # Client-SDU-Size 760
        a9 78 00        # User-Agent: x`);

  pduVector(t, 'Get (Kannel co-get frame 4)',
    { type: 'Get', uri: 'http://127.0.0.1:8942/hello?size=40', headers: [] },
    hex`40 23 687474703a2f2f3132372e302e302e313a383934322f68656c6c6f3f73697a653d3430`);

  for (const [code, type] of [[0x41, 'Options'], [0x42, 'Head'], [0x43, 'Delete'], [0x44, 'Trace']] as const) {
    pduVector(t, `${type} (0x${code.toString(16)})`, { type, uri: '*', headers: [h('Accept', '*/*')] },
      hex`${code.toString(16)} 01 2a 80 80`);
  }

  pduVector(t, 'extended Get-type method 0x50', { type: 'ExtendedGet', pduType: 0x50, uri: '/', headers: [] }, hex`50 01 2f`);
  pduVector(t, 'extended Get-type method 0x5F', { type: 'ExtendedGet', pduType: 0x5f, uri: '/', headers: [] }, hex`5f 01 2f`);

  pduVector(t, 'Post of an m-send-req at 1.2 (as fakewap sends it)',
    {
      type: 'Post',
      uri: 'http://mmsc/',
      contentType: ct('application/vnd.wap.mms-message'),
      headers: [h('User-Agent', 'fakewap')],
      data: hex`8c 80`,
    },
    hex`60 0c 29        # Post | UriLen 12 | HeadersLen 41
        68 74 74 70 3a 2f 2f 6d 6d 73 63 2f   # http://mmsc/
        61 70 70 6c 69 63 61 74 69 6f 6e 2f 76 6e 64 2e 77 61 70 2e 6d 6d 73 2d 6d 65 73 73 61 67 65 00
        a9 66 61 6b 65 77 61 70 00
        8c 80`);

  pduVector(t, 'Post of an m-send-req at 1.4: 0xBE',
    { type: 'Post', uri: '/', contentType: ct('application/vnd.wap.mms-message'), headers: [], data: hex`8c 80` },
    hex`60 01 01 2f be 8c 80`,
    { version: '1.4' });

  pduVector(t, 'Put', { type: 'Put', uri: '/', contentType: ct('text/plain'), headers: [], data: Buffer.from('x') },
    hex`61 01 01 2f 83 78`);
  pduVector(t, 'extended Post-type method 0x70', { type: 'ExtendedPost', pduType: 0x70, uri: '/', contentType: ct('text/plain'), headers: [], data: hex`` },
    hex`70 01 01 2f 83`);
  pduVector(t, 'extended Post-type method 0x7F', { type: 'ExtendedPost', pduType: 0x7f, uri: '/', contentType: ct('text/plain'), headers: [], data: hex`00` },
    hex`7f 01 01 2f 83 00`);

  pduVector(t, 'Data Fragment (0x80)', { type: 'DataFragment', headers: [h('Content-Length', '5')], data: Buffer.from('hello') },
    hex`80 02 8d 85     # Data Fragment | HeadersLen 2 | Content-Length 5
        68 65 6c 6c 6f`);
});

t.test('PDUs, connectionless: a TID octet first (port 9200)', async (t) => {
  pduVector(t, 'Get (Kannel cl-get frame 1)',
    { type: 'Get', tid: 1, uri: 'http://127.0.0.1:8942/cl?size=40', headers: [h('Accept', '*/*')] },
    hex`01              # TID
        40 20           # Get | UriLen 32
        687474703a2f2f3132372e302e302e313a383934322f636c3f73697a653d3430
        80 80           # Accept: */*`,
    { connectionless: true });
  pduVector(t, 'Reply (Kannel cl-get frame 2, body shortened): names packed at 1.3, so Encoding-Version is 0xC3',
    {
      type: 'Reply',
      tid: 1,
      status: 0x20,
      contentType: ct('text/plain'),
      headers: [h('Content-Length', '40'), h('Date', 'Tue, 24 Nov 2026 14:21:32 GMT'), h('Encoding-Version', '1.3')],
      data: hex`20 21`,
    },
    hex`01 04 20 0b 83 8d a8 92 04 6b 05 9d 6c c3 93 20 21`,
    { connectionless: true, version: '1.3' });
  pduVector(t, 'Push with TID (protocol-facts §4.1, at 1.4)',
    { type: 'Push', tid: 1, contentType: ct('application/vnd.wap.mms-message'), headers: [h('X-Wap-Application-Id', 'x-wap-application:mms.ua')], data: hex`8c 82` },
    hex`01 06 03 be af 84 8c 82`,
    { connectionless: true, version: '1.4' });
  pduVector(t, 'Push with TID at 1.2: the content type as text',
    { type: 'Push', tid: 9, contentType: ct('application/vnd.wap.mms-message'), headers: [h('X-Wap-Application-Id', 'x-wap-application:mms.ua')], data: hex`8c 82` },
    hex`09 06 22 6170706c69636174696f6e2f766e642e7761702e6d6d732d6d65737361676500 af 84 8c 82`,
    { connectionless: true, version: '1.2' });
});

t.test('PDU decode failures are DecodeErrors with the offset', async (t) => {
  const bad: [string, Buffer, number][] = [
    ['empty', hex``, 0],
    ['unknown type 0x0a', hex`0a`, 0],
    ['reserved Get-type 0x45', hex`45 00`, 0],
    ['reserved Post-type 0x62', hex`62 00 00`, 0],
    ['URI longer than the PDU', hex`40 05 61`, 2],
    ['Connect capabilities longer than the PDU', hex`01 10 09 00 01`, 4],
    ['Reply headers length beyond the PDU', hex`04 20 05 83`, 3],
    ['Disconnect with trailing octets', hex`05 00 00`, 2],
    ['uintvar over 5 octets', hex`05 ff ff ff ff ff 00`, 1],
  ];
  for (const [name, b, offset] of bad) {
    t.throws(() => decodeWsp(b), { code: 'ERR_WSP_DECODE', offset }, name);
  }
  t.throws(() => decodeWsp(hex``, { connectionless: true }), DecodeError, 'connectionless without TID');
  t.throws(() => encodeWsp({ type: 'Disconnect', sessionId: 1 }, { connectionless: true }), EncodeError, 'connectionless needs a tid');
  t.throws(() => encodeWsp({ type: 'ExtendedGet', pduType: 0x40, uri: '/', headers: [] }), EncodeError, 'extended code out of range');
});

t.test('Content-type-value and parameters (§8.4.2.24, Table 38)', async (t) => {
  const vectors: [string, ContentType, string, string][] = [
    ['well-known short form', ct('text/plain'), '1.1', '83'],
    ['mms-message at 1.2 is text', ct('application/vnd.wap.mms-message'), '1.2', '6170706c69636174696f6e2f766e642e7761702e6d6d732d6d65737361676500'],
    ['mms-message at 1.4 is 0x3E', ct('application/vnd.wap.mms-message'), '1.4', 'be'],
    ['multipart.related with type and start at 1.2 (protocol-facts §5.8)',
      ct('application/vnd.wap.multipart.related', { type: 'application/smil', start: '<0000>' }), '1.2',
      '1b b3 89 6170706c69636174696f6e2f736d696c00 8a 3c303030303e00'],
    ['multipart.related at 1.1: no code, type/start untyped as Quoted-strings',
      ct('application/vnd.wap.multipart.related', { type: 'application/smil', start: '<0000>' }), '1.1',
      '1f 4b 6170706c69636174696f6e2f766e642e7761702e6d756c7469706172742e72656c6174656400 7479706500 22 6170706c69636174696f6e2f736d696c00 737461727400 22 3c303030303e00'],
    ['charset utf-8 (MIBenum 106 = 0xEA)', ct('text/plain', { charset: 'utf-8' }), '1.2', '03 83 81 ea'],
    ['charset iso-10646-ucs-2 (1000, Long-integer)', ct('text/plain', { charset: 'iso-10646-ucs-2' }), '1.2', '05 83 81 02 03 e8'],
    ['charset us-ascii', ct('text/plain', { charset: 'us-ascii' }), '1.2', '03 83 81 83'],
    ['charset big5 (2026)', ct('text/plain', { charset: 'big5' }), '1.2', '05 83 81 02 07 ea'],
    ['charset shift_jis (17)', ct('text/plain', { charset: 'shift_jis' }), '1.2', '03 83 81 91'],
    ['charset any', ct('text/plain', { charset: '*' }), '1.2', '03 83 81 80'],
    ['unknown charset name goes untyped', ct('text/plain', { charset: 'gsm-default-alphabet' }), '1.2',
      '1e 83 6368617273657400 67736d2d64656661756c742d616c706861626574 00'],
    ['extension media with a name (Text-string, 1.1 code)', ct('audio/amr', { name: 'a.amr' }), '1.4', '11 617564696f2f616d7200 85 612e616d7200'],
    ['q, level, type (Integer), padding', ct('text/vnd.wap.wml', { q: '0.5', level: '1.3', type: 5, padding: 3 }), '1.1', '09 88 80 33 82 93 83 85 88 83'],
    ['1.3 parameters: comment, domain, max-age, path, secure', ct('text/plain', { comment: 'c', domain: 'd', 'max-age': 60, path: '/', secure: '' }), '1.3',
      '0e 83 8c 6300 8d 6400 8e bc 8f 2f00 90 00'],
    ['1.4 parameters: sec, mac, dates, size', ct('application/vnd.wap.connectivity-wbxml', { sec: 1, mac: 'ab', 'creation-date': 0x6b059d6c, size: 1000 }), '1.4',
      '11 b6 91 81 92 616200 93 04 6b059d6c 96 02 03e8'],
    ['unknown parameters stay untyped: token and quoted values, integer', ct('image/jpeg', { 'x-a': 'tok', 'x-b': 'two words' }), '1.2',
      '18 9e 782d6100 746f6b00 782d6200 22 74776f20776f72647300'],
    ['a long media code (OMNA 0x0201) decodes; re-encoded from raw only', { mediaType: 'application/vnd.uplanet.cacheop-wbxml', params: {} }, 'OMNA', '03 02 02 01'],
  ];
  for (const [name, value, version, bytesHex] of vectors) {
    const bytes = hex(bytesHex);
    const d = decodeContentType(new Reader(bytes, 'wsp'));
    t.same(plain(d), plain(value), `decode: ${name}`);
    if (version !== 'OMNA') {
      const w = new Writer('wsp');
      encodeContentType(w, value, version);
      t.equal(w.toBuffer().toString('hex'), bytes.toString('hex'), `encode: ${name}`);
    }
    const w2 = new Writer('wsp');
    encodeContentType(w2, d, '1.2');
    t.equal(w2.toBuffer().toString('hex'), bytes.toString('hex'), `raw re-encode: ${name}`);
  }

  t.test('an unknown well-known media code keeps its number', async (t) => {
    const d = decodeContentType(new Reader(hex`e0`, 'wsp'));
    t.equal(d.code, 0x60);
    const w = new Writer('wsp');
    encodeContentType(w, noRaw(d));
    t.same(w.toBuffer(), hex`e0`);
  });
  t.test('changing a decoded value drops the raw octets', async (t) => {
    const d = decodeContentType(new Reader(hex`03 83 81 ea`, 'wsp'));
    d.params.charset = 'us-ascii';
    const w = new Writer('wsp');
    encodeContentType(w, d);
    t.same(w.toBuffer(), hex`03 83 81 83`);
  });
  t.test('HTTP text form', async (t) => {
    t.same(parseContentType('Application/Vnd.Wap.Multipart.Related; type="application/smil"; start=<0000>'), {
      mediaType: 'application/vnd.wap.multipart.related',
      params: { type: 'application/smil', start: '<0000>' },
    });
    t.equal(formatContentType(ct('text/plain', { charset: 'utf-8', name: 'a b.txt', secure: '' })), 'text/plain; charset=utf-8; name="a b.txt"; secure');
    const w = new Writer('wsp');
    encodeContentType(w, 'text/plain; charset=UTF-8', '1.1');
    t.same(w.toBuffer(), hex`03 83 81 ea`, 'charset names are case-insensitive');
  });
  t.throws(() => decodeContentType(new Reader(hex`05 83 81`, 'wsp')), DecodeError, 'general form longer than the data');
  t.throws(() => decodeContentType(new Reader(hex`00`, 'wsp')), DecodeError, 'empty general form');
  t.throws(() => decodeContentType(new Reader(hex`03 83 80 ff ff`, 'wsp')), DecodeError, 'Q-value beyond 1099 (uintvar runs past the value)');
});

t.test('headers: one vector per well-known field (Table 39), both ways', async (t) => {
  const seen = new Set<number>();
  for (const v of HEADER_VECTORS) {
    const bytes = hex(v.hex);
    const version = v.version ?? '1.2';
    const label = `${v.name}: ${v.value} @${version}`;
    const d = decodeHeaders(bytes);
    t.same(d.map((x) => [x.name, x.value, x.opaque ?? false]), [[v.name, v.decodesAs ?? v.value, false]], `decode ${label}`);
    t.equal(encodeHeaders([{ name: v.name, value: v.value }], version).toString('hex'), bytes.toString('hex'), `encode ${label}`);
    t.equal(encodeHeaders(d, '1.1').toString('hex'), bytes.toString('hex'), `raw re-encode ${label}`);
    if ((bytes[0] as number) & 0x80) seen.add((bytes[0] as number) & 0x7f);
  }
  // Every field of Table 39 up to 1.5 is covered, except Profile-Diff (0x36, WBXML, decode-only)
  // and the two location headers (0x49/0x4A, opaque), which have their own tests.
  const missing = HEADER_FIELDS.filter((r) => !seen.has(r[0]) && ![0x36, 0x49, 0x4a].includes(r[0])).map((r) => `${r[1]} 0x${r[0].toString(16)}`);
  t.same(missing, [], 'every well-known field has a vector');
});

t.test('headers: version choice when encoding', async (t) => {
  const enc = (name: string, value: string, v: string) => encodeHeaders([{ name, value }], v).toString('hex');
  t.equal(enc('Accept-Charset', 'utf-8', '1.2'), '81ea', 'old code before 1.3');
  t.equal(enc('Accept-Charset', 'utf-8', '1.3'), 'bbea', 'new code from 1.3');
  t.equal(enc('Cache-Control', 'no-cache', '1.2'), '8880');
  t.equal(enc('Cache-Control', 'no-cache', '1.3'), 'bd80');
  t.equal(enc('Cache-Control', 'no-cache', '1.5'), 'c780');
  t.equal(enc('Expect', '100-continue', '1.2'), Buffer.from('Expect\x00100-continue\x00', 'latin1').toString('hex'), 'no Expect before 1.3: text');
  t.equal(enc('Expect', '100-continue', '1.4'), 'b880', 'Expect 0x38 in 1.3/1.4');
  t.equal(enc('Expect', '100-continue', '1.5'), 'c880', 'Expect is 0x48 in 1.5');
  t.equal(enc('Content-ID', '<a>', '1.2'), Buffer.from('Content-ID\x00<a>\x00', 'latin1').toString('hex'), 'Content-ID is 1.3: text at 1.2');
  t.equal(enc('X-Wap-Application-Id', 'x-wap-application:mms.ua', '1.1'), Buffer.from('X-Wap-Application-Id\x00x-wap-application:mms.ua\x00', 'latin1').toString('hex'));
  t.equal(enc('Date', 'not a date', '1.2'), Buffer.from('Date\x00not a date\x00', 'latin1').toString('hex'), 'an unparsable value goes as text');
  t.equal(enc('Content-Length', 'many', '1.2'), Buffer.from('Content-Length\x00many\x00', 'latin1').toString('hex'));
  t.equal(enc('User-Agent', '\u00e9t\u00e9', '1.2'), 'a9 7f e974e900'.replace(/ /g, ''), 'a text starting at 0x80 or above is quoted with 0x7F');
  t.throws(() => encodeHeaders([{ name: 'bad name', value: 'x' }]), EncodeError, 'a name that is no token');
});

t.test('headers: old and new duplicate codes all decode', async (t) => {
  const pairs: [string, string, string][] = [
    ['81 ea', 'bb ea', 'Accept-Charset'],
    ['82 80', 'bc 80', 'Accept-Encoding'],
    ['88 80', 'bd 80', 'Cache-Control'],
    ['bd 80', 'c7 80', 'Cache-Control'],
    ['90 02 00 80', 'be 02 00 80', 'Content-Range'],
    ['ae 01 81', 'c5 01 81', 'Content-Disposition'],
    ['b7 90', 'c4 90', 'Profile-Warning'],
    ['b8 80', 'c8 80', 'Expect'],
  ];
  for (const [a, b, name] of pairs) {
    const da = decodeHeaders(hex(a))[0];
    const db = decodeHeaders(hex(b))[0];
    t.equal(da?.name, name, `${a} is ${name}`);
    t.equal(db?.name, name, `${b} is ${name}`);
    t.equal(da?.value, db?.value, `${name}: same value`);
  }
});

t.test('headers: what cannot be typed is kept raw, never fatal', async (t) => {
  const bytes = hex`cb 03 01 02 03        # 0x4B: not assigned in 1.1-1.5
                    92 61 62 63 00        # Date with a text value (a Date-value is a Long-integer)
                    c9 02 aa bb           # X-Wap-Loc-Invocation (1.5): not typed
                    ca 85                 # X-Wap-Loc-Delivery, short form
                    b6 03 01 02 03        # Profile-Diff: WBXML
                    8d a8`;
  const d = decodeHeaders(bytes);
  t.same(d.map((x) => [x.name, x.value, x.opaque ?? false]), [
    ['X-Wsp-Header-0x4b', '03010203', true],
    ['Date', 'abc', true],
    ['X-Wap-Loc-Invocation', '02aabb', true],
    ['X-Wap-Loc-Delivery', '5', true],
    ['Profile-Diff', 'AQID', true],
    ['Content-Length', '40', false],
  ]);
  t.equal(encodeHeaders(d).toString('hex'), bytes.toString('hex'), 'byte-exact re-encode');
  t.same(toHttp(d), { Via: 'WAP/1.2 gw (wapgw)' }, 'opaque values (and the WBXML Profile-Diff) are not passed to HTTP; the bridge sets its own length');
  t.throws(() => decodeHeaders(hex`92 05 04`), DecodeError, 'a value length beyond the data is fatal (the rest cannot be framed)');
  t.throws(() => decodeHeaders(hex`a9 61 62`), DecodeError, 'a text without NUL is fatal');
  t.throws(() => decodeHeaders(hex`00`), DecodeError, '0x00 cannot start a field');
});

t.test('headers: code page shifts (§8.4.1)', async (t) => {
  const bytes = hex`80 80               # Accept */*, page 1
                    7f 02 99 31 00      # Shift-delimiter to page 2, field 0x19 "1"
                    01 81 ea            # short-cut shift back to page 1, Accept-Charset utf-8
                    05 88 33 00         # short-cut shift to page 5, field 0x08 "3"
                    58 2d 41 00 62 00   # application header X-A: b (text names need no page)`;
  const d = decodeHeaders(bytes);
  t.same(plain(d), [
    { name: 'Accept', value: '*/*' },
    { name: 'X-Wsp-Page-2-0x19', value: '1', opaque: true, page: 2, shift: '7f02' },
    { name: 'Accept-Charset', value: 'utf-8', shift: '01' },
    { name: 'X-Wsp-Page-5-0x08', value: '3', opaque: true, page: 5, shift: '05' },
    { name: 'X-A', value: 'b', page: 5 },
  ]);
  t.equal(encodeHeaders(d).toString('hex'), bytes.toString('hex'), 'shifts reproduced');
  t.equal(encodeHeaders([d[1] as WspHeader, { name: 'Accept', value: '*/*' }]).toString('hex'), '7f02993100' + '01' + '8080',
    'a text header after a page-2 field shifts back to page 1');
  t.throws(() => decodeHeaders(hex`7f`), DecodeError, 'a shift delimiter without a page');
});

/** What the bridge forwards of decoded WSP headers (its one WSP -> HTTP mapping; opaque values have no text form). */
function toHttp(list: readonly WspHeader[], encodingVersion = '1.2') {
  const text: HeaderList = list.filter((h) => !h.opaque).map((h) => [h.name, h.value]);
  return toHttpRequestHeaders(text, { encodingVersion, viaHost: 'gw' });
}

t.test('HTTP <-> WSP header helpers', async (t) => {
  const wsp = encodeHeaders(httpToHeaderList({
    accept: 'text/html, */*;q=0.5',
    'user-agent': 'Nokia',
    'x-wap-profile': '"http://x/y.xml"',
    'set-cookie': ['a=1', 'b=2'],
    'x-foo': 'bar, baz',
    'content-length': 12,
    skipped: undefined,
  }), '1.3');
  t.equal(wsp.toString('hex'),
    '8082' + '8003808033' + 'a94e6f6b696100' + 'b5687474703a2f2f782f792e786d6c00' + 'c1059f610031 00'.replace(/ /g, '') + 'c1059f620032 00'.replace(/ /g, '')
    + '782d666f6f00 6261722c2062617a00'.replace(/ /g, '') + '8d8c',
    'list fields split at commas, x-wap-profile becomes Profile, Set-Cookie stays one per cookie');
  t.same(toHttp(decodeHeaders(wsp), '1.3'), {
    Accept: ['text/html', '*/*; q=0.5'],
    'User-Agent': 'Nokia',
    'X-Wap-Profile': '"http://x/y.xml"',
    'Set-Cookie': ['a=1', 'b=2'],
    'x-foo': 'bar, baz',
    Via: 'WAP/1.3 gw (wapgw)',
  }, 'and back through the bridge: Profile renamed, length left to the HTTP leg, Via added');
});

t.test('no header injection into HTTP', async (t) => {
  const bytes = Buffer.concat([
    hex`a9`, Buffer.from('Nokia\r\nX-MSISDN: 123\0', 'latin1'),       // CR LF inside a User-Agent
    Buffer.from('X-Bad Name\0v\0', 'latin1'),                          // a name that is no token
    Buffer.from('X-Ok\0fine\ttab\0', 'latin1'),
  ]);
  const d = decodeHeaders(bytes);
  t.equal(d.length, 3, 'all three decode (and keep their octets)');
  t.equal(encodeHeaders(d).toString('hex'), bytes.toString('hex'));
  t.same(toHttp(d), { 'X-Ok': 'fine\ttab', Via: 'WAP/1.2 gw (wapgw)' }, 'only the clean one reaches HTTP');
});

t.test('multipart (§8.5)', async (t) => {
  const bytes = hex`02                  # nEntries
    0a 02               # HeadersLen 10, DataLen 2
    03 83 81 ea         # text/plain; charset=utf-8
    c0 22 3c 30 3e 00   # Content-ID: <0>
    68 69               # "hi"
    08 03               # HeadersLen 8, DataLen 3
    9d                  # image/gif
    8e 61 2e 67 69 66 00  # Content-Location: a.gif
    47 49 46`;
  const parts = decodeMultipart(bytes);
  t.same(plain(parts), [
    { contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } }, headers: [{ name: 'Content-ID', value: '<0>' }], data: '6869' },
    { contentType: { mediaType: 'image/gif', params: {} }, headers: [{ name: 'Content-Location', value: 'a.gif' }], data: '474946' },
  ]);
  t.equal(encodeMultipart(noRaw(parts), '1.3').toString('hex'), bytes.toString('hex'), 'encode from values');
  t.equal(encodeMultipart([
    { contentType: 'text/plain; charset=utf-8', headers: { 'Content-ID': '<0>' }, data: 'hi' },
    { contentType: 'image/gif', headers: [{ name: 'Content-Location', value: 'a.gif' }], data: Buffer.from('GIF') },
  ], '1.3').toString('hex'), bytes.toString('hex'), 'encode from HTTP-style input');
  t.same(decodeMultipart(hex`00`), [], 'no entries');
  t.throws(() => decodeMultipart(hex`8f ff ff ff 7f`), { code: 'ERR_WSP_DECODE' }, 'a count the data cannot hold fails at once');
  t.throws(() => decodeMultipart(hex`01 02 05 83 00 61`), DecodeError, 'data longer than the body');
  t.throws(() => decodeMultipart(hex`01 01 00 83 ff`), DecodeError, 'octets after the last entry');
});

t.test('status codes (Table 36)', async (t) => {
  for (const [wsp, http] of STATUS_CODES) {
    t.equal(httpToWspStatus(http), wsp, `${http} -> 0x${wsp.toString(16)}`);
    t.equal(wspToHttpStatus(wsp), http, `0x${wsp.toString(16)} -> ${http}`);
  }
  t.equal(httpToWspStatus(200), 0x20);
  t.equal(httpToWspStatus(416), 0x50);
  t.equal(httpToWspStatus(417), 0x51);
  t.equal(httpToWspStatus(500), 0x60);
  t.equal(httpToWspStatus(599), 0x60, 'unknown 5xx -> 500');
  t.equal(httpToWspStatus(299), 0x20, 'unknown 2xx -> 200');
  t.equal(httpToWspStatus(451), 0x40, 'unknown 4xx -> 400');
  t.equal(httpToWspStatus(42), 0x60, 'nonsense -> 500');
  t.equal(httpToWspStatus(103), 0x10, 'unknown 1xx -> 100 (RFC 9110 §15 class rule)');
  t.equal(httpToWspStatus(308), 0x30, 'unknown 3xx -> 300');
  t.equal(httpToWspStatus(600), 0x60, 'beyond 599 -> 500');
  t.equal(httpToWspStatus(200.5), 0x60, 'not an integer -> 500');
  t.equal(wspToHttpStatus(0x36), 306, 'nibble rule for 3x');
  t.equal(wspToHttpStatus(0x00), 500);
});

t.test('tables', async (t) => {
  t.equal(versionCode('1.4'), 0x14);
  t.ok(existsIn('1.2', '1.4'));
  t.notOk(existsIn('1.4', '1.2'));
  t.notOk(existsIn('OMNA', '1.5'), 'OMNA rows are never produced');
  const find = (rows: readonly (readonly [number, string, string, ...unknown[]])[], code: number) => rows.find((r) => r[0] === code);
  t.same(find(CONTENT_TYPES, 0x3e)?.slice(0, 3), [0x3e, 'application/vnd.wap.mms-message', '1.4']);
  t.same(find(CONTENT_TYPES, 0x33)?.slice(0, 3), [0x33, 'application/vnd.wap.multipart.related', '1.2']);
  t.same(find(HEADER_FIELDS, 0x48)?.slice(0, 3), [0x48, 'Expect', '1.5']);
  t.same(find(PARAMETERS, 0x09)?.slice(0, 3), [0x09, 'type', '1.2']);
  t.same(find(CHARSETS, 106)?.slice(0, 2), [106, 'utf-8']);
  t.same(find(CHARSETS, 1000)?.slice(0, 2), [1000, 'iso-10646-ucs-2']);
  t.equal(charsetCode('UCS-2'), 1000, 'aliases');
  for (const [name, rows] of [['content types', CONTENT_TYPES], ['header fields', HEADER_FIELDS], ['charsets', CHARSETS]] as const) {
    const codes = rows.map((r) => r[0]);
    t.equal(new Set(codes).size, codes.length, `${name}: codes are unique`);
  }
});
