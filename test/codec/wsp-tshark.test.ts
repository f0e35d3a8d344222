/**
 * tshark judges our octets: every WSP PDU kind, every header vector and a multipart body are
 * encoded, wrapped in UDP to port 9200 (connectionless WSP, so no WTP is needed: a CO-only PDU
 * simply gets a TID octet) and decoded by tshark in one run. No frame may be malformed or carry
 * an expert error, and the fields tshark shows must be the values we encoded.
 *
 * Known Wireshark misreadings of valid encodings are listed with the vectors (`tsharkBug`) and
 * asserted as such, so a fixed Wireshark shows up here.
 */
import t, { type Test } from 'tap';
import { Writer, hex } from '../../src/codec/bytes';
import {
  type WspPduInput,
  HEADER_BY_NAME,
  decodeWsp,
  encodeContentType,
  encodeMultipart,
  encodeWsp,
  pickRow,
} from '../../src/codec/wsp';
import { type TsharkFrame, hasTshark, tsharkUdp } from '../helpers/tshark';
import { requireTool } from '../helpers/requires-tool';
import { HEADER_VECTORS } from '../fixtures/wsp/vectors';
import { corpus, wspSections } from '../fixtures/wsp/corpus';

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

interface Case {
  label: string;
  payload: Buffer;
  check: (f: TsharkFrame, t: Test) => void;
  /** errors tshark is known to report (a Wireshark bug), else none allowed */
  knownErrors?: boolean;
  /** the body is not a valid MMS PDU (fakewap's random payload): only the MMS dissector may fail */
  badMmsBody?: boolean;
}

function pduCases(version: string): Case[] {
  const caps = [
    { name: 'Client-SDU-Size', value: 3000 },
    { name: 'Server-SDU-Size', value: 1400 },
    { name: 'Protocol-Options', value: 0xc0 },
    { name: 'Method-MOR', value: 2 },
    { name: 'Push-MOR', value: 1 },
    { name: 'Extended-Methods', methods: [{ pduType: 0x50, name: 'PROPFIND' }] },
    { name: 'Header-Code-Pages', pages: [{ page: 2, name: 'nokia' }] },
    { name: 'Aliases', addresses: [{ bearerType: 0, port: 9201, address: '10.0.0.1' }] },
    { name: 'Client-Message-Size', value: 300000 },
    { name: 'Server-Message-Size', value: 300000 },
  ];
  const multipart = encodeMultipart([
    { contentType: 'text/plain', headers: { 'Content-Location': 'a.txt' }, data: 'hi' },
    { contentType: 'image/gif', data: 'GIF' },
  ], version);
  const pdus: [WspPduInput, (f: TsharkFrame, t: Test) => void][] = [
    [{ type: 'Connect', version: '1.0', capabilities: caps, headers: [{ name: 'User-Agent', value: 'Nokia' }] }, (f, t) => {
      t.equal(f.get('wsp.version.major'), '1');
      t.equal(f.get('wsp.version.minor'), '0');
      t.equal(f.get('wsp.capability.client_sdu_size'), '3000');
      t.equal(f.get('wsp.capability.server_sdu_size'), '1400');
      t.equal(f.get('wsp.capability.protocol_opt'), '0xc0');
      t.equal(f.get('wsp.capability.protocol_option.confirmed_push'), '1');
      t.equal(f.get('wsp.capability.protocol_option.push'), '1');
      t.equal(f.get('wsp.capability.method_mor'), '2');
      t.equal(f.get('wsp.capability.push_mor'), '1');
      t.equal(f.get('wsp.capability.extended_method'), '0x50');
      t.equal(f.get('wsp.capability.code_page'), '0x02');
      t.equal(f.get('wsp.capability.client_message_size'), '300000');
      t.equal(f.get('wsp.capability.server_message_size'), '300000');
      t.equal(f.get('wsp.header.user_agent'), 'Nokia');
    }],
    [{ type: 'ConnectReply', sessionId: 300, capabilities: [{ name: 'Client-SDU-Size', value: 3000 }, { name: 'Extended-Methods', methods: [{ pduType: 0x50 }] }], headers: [] }, (f, t) => {
      t.equal(f.get('wsp.server.session_id'), '300');
      t.equal(f.get('wsp.capability.client_sdu_size'), '3000');
      t.equal(f.get('wsp.capability.extended_method'), '0x50');
    }],
    [{ type: 'Redirect', permanent: true, reuseSecuritySession: true, addresses: [{ bearerType: 0, port: 9201, address: '10.0.0.1' }] }, (f, t) => {
      t.equal(f.get('wsp.redirect.flags.permanent'), '1');
      t.equal(f.get('wsp.redirect.flags.reuse_security_session'), '1');
      t.equal(f.get('wsp.address.port'), '9201');
      t.equal(f.get('wsp.address.ipv4'), '10.0.0.1');
    }],
    [{ type: 'Redirect', permanent: false, reuseSecuritySession: false, addresses: [{ bearerType: 1, port: 9201, address: '2001:db8:0:0:0:0:0:1' }] }, (f, t) => {
      t.equal(f.get('wsp.redirect.flags.permanent'), '0');
      t.equal(f.get('wsp.address.ipv6'), '2001:db8::1');
    }],
    [{ type: 'Reply', status: 0x44, contentType: 'text/plain; charset=utf-8', headers: [{ name: 'Content-Length', value: '4' }], data: 'nope' }, (f, t) => {
      t.equal(f.get('wsp.reply.status'), '0x44');
      t.equal(f.get('wsp.header.content_type'), 'text/plain');
      t.equal(f.get('wsp.parameter.charset'), 'UTF-8');
      t.equal(f.get('wsp.header.content_length'), '4');
    }],
    [{ type: 'Disconnect', sessionId: 300 }, (f, t) => t.equal(f.get('wsp.server.session_id'), '300')],
    [{ type: 'Push', contentType: 'application/vnd.wap.mms-message', headers: [{ name: 'X-Wap-Application-Id', value: 'x-wap-application:mms.ua' }], data: hex`8c 82 98 54 00 8d 92` }, (f, t) => {
      t.equal(f.get('wsp.header.content_type'), 'application/vnd.wap.mms-message');
      t.equal(f.get('wsp.header.x_wap_application_id'), 'x-wap-application:mms.ua');
      t.equal(f.get('mmse.message_type'), '0x82', 'the body goes on to the MMS dissector');
    }],
    [{ type: 'ConfirmedPush', contentType: 'text/plain', headers: [{ name: 'Push-Flag', value: '4' }], data: 'hi' }, (f, t) => {
      t.equal(f.get('wsp.header.push_flag.last'), '1');
    }],
    [{ type: 'Suspend', sessionId: 7 }, (f, t) => t.equal(f.get('wsp.server.session_id'), '7')],
    [{ type: 'Resume', sessionId: 7, capabilities: [{ name: 'Client-SDU-Size', value: 3000 }], headers: [{ name: 'User-Agent', value: 'x' }] }, (f, t) => {
      t.equal(f.get('wsp.server.session_id'), '7');
      t.equal(f.get('wsp.capability.client_sdu_size'), '3000');
      t.equal(f.get('wsp.header.user_agent'), 'x');
    }],
    [{ type: 'Get', uri: 'http://x/a?b=c', headers: [{ name: 'Accept', value: '*/*' }] }, (f, t) => {
      t.equal(f.get('wsp.uri'), 'http://x/a?b=c');
      t.equal(f.get('wsp.header.accept'), '*/*');
    }],
    [{ type: 'Options', uri: '*', headers: [] }, (f, t) => t.equal(f.get('wsp.uri'), '*')],
    [{ type: 'Head', uri: 'http://x/', headers: [] }, (f, t) => t.equal(f.get('wsp.uri'), 'http://x/')],
    [{ type: 'Delete', uri: 'http://x/', headers: [] }, (f, t) => t.equal(f.get('wsp.uri'), 'http://x/')],
    [{ type: 'Trace', uri: 'http://x/', headers: [] }, (f, t) => t.equal(f.get('wsp.uri'), 'http://x/')],
    [{ type: 'ExtendedGet', pduType: 0x5a, uri: 'http://x/', headers: [] }, (f, t) => t.equal(f.get('wsp.uri'), 'http://x/')],
    [{ type: 'Post', uri: 'http://mmsc/', contentType: 'application/vnd.wap.mms-message', headers: [{ name: 'User-Agent', value: 'Nokia' }], data: hex`8c 80 98 54 00 8d 92` }, (f, t) => {
      t.equal(f.get('wsp.uri'), 'http://mmsc/');
      t.equal(f.get('wsp.header.content_type'), 'application/vnd.wap.mms-message');
      t.equal(f.get('mmse.message_type'), '0x80');
    }],
    [{ type: 'Post', uri: 'http://x/', contentType: 'application/vnd.wap.multipart.mixed', headers: [], data: multipart }, (f, t) => {
      t.equal(f.get('wsp.header.content_type'), 'application/vnd.wap.multipart.mixed');
    }],
    [{ type: 'Put', uri: 'http://x/', contentType: 'text/plain', headers: [], data: 'x' }, (f, t) => t.equal(f.get('wsp.header.content_type'), 'text/plain')],
    [{ type: 'ExtendedPost', pduType: 0x7f, uri: 'http://x/', contentType: 'text/plain', headers: [], data: 'x' }, (f, t) => t.equal(f.get('wsp.uri'), 'http://x/')],
    [{ type: 'DataFragment', headers: [{ name: 'Content-Length', value: '5' }], data: 'hello' }, () => undefined],
  ];
  return pdus.map(([pdu, check], i) => {
    const tid = (i + 1) & 0xff;
    const payload = encodeWsp({ ...pdu, tid } as WspPduInput, { connectionless: true, encodingVersion: version });
    const code = payload[1] as number;
    return {
      label: `${pdu.type} @${version}`,
      payload,
      check: (f, t) => {
        t.equal(f.get('wsp.TID'), hex2(tid), 'TID');
        t.equal(f.get('wsp.pdu_type'), hex2(code), 'PDU type');
        check(f, t);
      },
    };
  });
}

function headerCases(): Case[] {
  return HEADER_VECTORS.map((v, i) => {
    const bytes = hex(v.hex);
    // A Get with this one header: TID, 0x40, UriLen 1, "/", header.
    const payload = Buffer.concat([Buffer.from([i & 0xff, 0x40, 0x01, 0x2f]), bytes]);
    const code = (bytes[0] as number) & 0x80 ? (bytes[0] as number) & 0x7f : undefined;
    return {
      label: `${v.name}: ${v.value}${v.version ? ` @${v.version}` : ''}`,
      payload,
      knownErrors: v.tsharkBug !== undefined && /Invalid header value/.test(v.tsharkBug),
      check: (f, t) => {
        if (code !== undefined) t.equal(f.get('wsp.header.name_value'), String(code), `field code ${hex2(code)}`);
        else t.equal(f.get('wsp.header.name_string'), v.name, 'application header name');
        if (v.tshark) t.equal(f.get(v.tshark[0]), v.tshark[1], `${v.tshark[0]} shows ${v.tshark[1]}`);
        if (v.tsharkBug) t.ok(true, `known Wireshark misreading: ${v.tsharkBug}`);
        const row = pickRow(HEADER_BY_NAME, v.name, v.version ?? '1.2', 'newest');
        if (row && code !== undefined) t.equal(code, row[0], 'the code is the one for that version');
      },
    };
  });
}

function multipartCase(): Case {
  const body = encodeMultipart([
    { contentType: 'application/smil; charset=utf-8; name=a.smil', headers: [{ name: 'Content-ID', value: '<0000>' }, { name: 'Content-Location', value: 'a.smil' }], data: '<smil/>' },
    { contentType: 'text/plain; charset=utf-8', headers: { 'Content-Location': 'b.txt', 'Content-Disposition': 'attachment; filename="b.txt"' }, data: 'hello' },
    { contentType: 'image/gif', headers: {}, data: 'GIF89a' },
  ], '1.4');
  // A minimal m-retrieve-conf: tshark's MMS dissector hands its multipart body to the WSP one.
  const w = new Writer('wsp');
  w.bytes(hex`8c 84 8d 92 84`);
  encodeContentType(w, 'application/vnd.wap.multipart.related; type=application/smil; start=<0000>', '1.4');
  w.bytes(body);
  const payload = encodeWsp({ type: 'Reply', tid: 1, status: 0x20, contentType: 'application/vnd.wap.mms-message', headers: [], data: w.toBuffer() },
    { connectionless: true, encodingVersion: '1.4' });
  return {
    label: 'multipart.related body of an m-retrieve-conf (§8.5)',
    payload,
    check: (f, t) => {
      t.same(f.all('wsp.multipart'), ['1', '2', '3'], 'three parts');
      t.same(f.all('wsp.header.content_type'), [
        'application/vnd.wap.mms-message',
        'application/vnd.wap.multipart.related',
        'application/smil',
        'text/plain',
        'image/gif',
      ]);
      t.equal(f.get('wsp.parameter.upart.type'), 'application/smil');
      t.equal(f.get('wsp.parameter.start'), '<0000>');
      t.same(f.all('wsp.header.content_location'), ['a.smil', 'b.txt']);
      t.equal(f.get('wsp.header.content_id'), '"<0000>"');
      t.equal(f.get('wsp.parameter.filename'), 'b.txt');
      t.same(f.all('wsp.parameter.charset'), ['UTF-8', 'UTF-8']);
    },
  };
}

/**
 * The captured PDUs, re-encoded from their values alone at 1.4 (our choice for a 1.4 peer).
 * PDUs too large for one UDP datagram (the 300 KB SAR reply) are left out: as connectionless
 * WSP they could not be sent at all.
 */
function corpusCases(): Case[] {
  return corpus().filter((s) => s.pdu.length < 60000).map((s, i) => {
    const pdu = decodeWsp(s.pdu, { connectionless: s.connectionless });
    const stripped = JSON.parse(JSON.stringify(pdu, (k, v) => (k === 'raw' ? undefined : v)), (_k, v) =>
      v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data) : v);
    const payload = encodeWsp({ ...stripped, tid: i & 0xff }, { connectionless: true, encodingVersion: '1.4' });
    const original = wspSections(s.file).get(s.frame) ?? [];
    return {
      label: `${s.scenario} frame ${s.frame} ${pdu.type} re-encoded at 1.4`,
      payload,
      badMmsBody: original.includes('[Malformed Packet: MMSE]'),
      check: (f, t) => {
        t.equal(f.get('wsp.pdu_type'), hex2(payload[1] as number));
        if ('uri' in pdu) t.equal(f.get('wsp.uri'), pdu.uri);
        if ('contentType' in pdu) {
          t.equal(f.get('wsp.header.content_type'), pdu.contentType.mediaType);
          if (pdu.contentType.mediaType === 'application/vnd.wap.mms-message') {
            t.ok(payload.includes(0xbe), 'mms-message is 0xBE at 1.4 where Kannel sent text');
          }
        }
        for (const h of 'headers' in pdu ? pdu.headers : []) {
          if (h.name === 'User-Agent' && /[\x80-\xff]/.test(h.value)) {
            // Our form is the quoted Text-string (7F e9 ...), which tshark reads without error
            // but shows with the quote octet kept.
            t.match(f.get('wsp.header.user_agent'), /^\\x7f/, 'tshark reads the quoted high-bit User-Agent');
          } else if (h.name === 'User-Agent') t.equal(f.get('wsp.header.user_agent'), h.value);
          if (h.name === 'Content-Length') t.equal(f.get('wsp.header.content_length'), h.value);
          if (h.name === 'Encoding-Version') t.equal(f.get('wsp.header.encoding_version'), h.value, 'Encoding-Version well-known at 1.4');
        }
      },
    };
  });
}

function run(): void {
  const cases = [...pduCases('1.2'), ...pduCases('1.4'), ...pduCases('1.5'), ...headerCases(), multipartCase(), ...corpusCases()];
  const frames = tsharkUdp(cases.map((c, i) => ({ srcPort: 40000 + (i % 20000), dstPort: 9200, payload: c.payload })));
  t.equal(frames.length, cases.length, 'one frame per case');
  cases.forEach((c, i) => {
    const f = frames[i];
    t.test(c.label, async (t) => {
      if (!f) return t.fail('no frame');
      t.ok(f.protocols.includes('wsp'), 'dissected as WSP');
      if (c.knownErrors) t.same(f.errors.map((e) => /Invalid header value/.test(e)), f.errors.map(() => true), 'only the known misreading');
      else if (c.badMmsBody && f.protocols.includes('mmse')) t.ok(true, 'random MMS body: tshark may fail in the MMS dissector, as it did on the capture');
      else t.same(f.errors, [], 'no malformed packet, no expert error');
      c.check(f, t);
    });
  });
}

if (requireTool(t, 'tshark', 'tshark (Debian tshark)')) run();
