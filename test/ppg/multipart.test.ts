import t from 'tap';
import { papCode } from '../helpers/pap-code';
import { buildPapBody, parseContentType, splitMultipart, splitPapBody, undoTransferEncoding } from '../../src/ppg/multipart';

const LIM = { maxControlBytes: 65536, maxContentBytes: 30000 };

t.test('content type parameters', async (t) => {
  t.same(parseContentType('Multipart/Related; boundary="a b;c"; type=application/xml'), {
    mediaType: 'multipart/related',
    params: { boundary: 'a b;c', type: 'application/xml' },
  });
  t.same(parseContentType('application/xml').params, {});
});

t.test('a body as test_ppg sends it (CRLF, preamble, epilogue)', async (t) => {
  const body = Buffer.from(
    'preamble to ignore\r\n' +
      '--asdlfkjiurwgasf\r\n' +
      'Content-Type: application/xml\r\n\r\n' +
      '<?xml version="1.0"?><pap/>\r\n' +
      '--asdlfkjiurwgasf\r\n' +
      'Content-Type: application/vnd.wap.mms-message\r\n' +
      'X-WAP-Application-Id: x-wap-application:mms.ua\r\n' +
      'Content-Location: http://x/y\r\n\r\n' +
      '\x8c\x82\r\n--not-the-boundary\r\n\r\n' +
      '--asdlfkjiurwgasf--\r\n' +
      'epilogue',
    'latin1',
  );
  const r = splitPapBody('multipart/related; boundary=asdlfkjiurwgasf; type="application/xml"', body, LIM);
  t.equal(r.control, '<?xml version="1.0"?><pap/>');
  t.equal(r.content?.mediaType, 'application/vnd.wap.mms-message');
  t.equal(r.content?.applicationId, 'x-wap-application:mms.ua');
  t.equal(r.content?.contentLocation, 'http://x/y');
  t.equal(r.content?.body.toString('latin1'), '\x8c\x82\r\n--not-the-boundary\r\n', 'binary body kept whole, a look-alike line is data');
  t.equal(r.capabilities, undefined);
});

t.test('LF line ends, base64 content, capabilities entity', async (t) => {
  const body = Buffer.from(
    '--b\nContent-Type: application/xml\n\n<pap/>\n--b\nContent-Type: application/vnd.wap.sic\nContent-Transfer-Encoding: BASE64\n\nAgVqAEXG\nDAM=\n' +
      '--b\nContent-Type: application/xml\n\n<rdf/>\n--b--\n',
    'latin1',
  );
  const r = splitPapBody('multipart/related; boundary=b', body, LIM);
  t.equal(r.control, '<pap/>');
  t.equal(r.content?.body.toString('hex'), '02056a0045c60c03');
  t.equal(r.capabilities?.body.toString(), '<rdf/>');
});

t.test('a bare application/xml body (cancel, status query)', async (t) => {
  t.same(splitPapBody('application/xml; charset=utf-8', Buffer.from('<pap/>'), LIM), { control: '<pap/>' });
});

t.test('refusals', async (t) => {
  const mp = (s: string) => Buffer.from(s, 'latin1');
  t.equal(papCode(() => splitPapBody(undefined, mp('x'), LIM)), 2000, 'no content type');
  t.equal(papCode(() => splitPapBody('text/plain', mp('x'), LIM)), 2000, 'wrong type');
  t.equal(papCode(() => splitPapBody('multipart/related', mp('x'), LIM)), 2000, 'no boundary');
  t.equal(papCode(() => splitPapBody('multipart/related; boundary=b', mp('no delimiters'), LIM)), 2000, 'no delimiter');
  t.equal(papCode(() => splitPapBody('multipart/related; boundary=b', mp('--b\r\n\r\n<pap/>'), LIM)), 2000, 'no close delimiter');
  t.equal(papCode(() => splitPapBody('multipart/related; boundary=b', mp('--b\r\nContent-Type: image/gif\r\n\r\nGIF\r\n--b--'), LIM)), 2000, 'first entity not XML');
  t.equal(papCode(() => splitPapBody('multipart/related; boundary=b', mp('--b\r\n\r\n<pap/>\r\n--b\r\n\r\nno type\r\n--b--'), LIM)), 2000, 'content without a type');
  t.equal(papCode(() => splitPapBody('multipart/related; boundary=b', mp(`--b\r\n\r\n<pap/>\r\n--b\r\nContent-Type: a/b\r\n\r\n${'x'.repeat(30001)}\r\n--b--`), LIM)), 2000, 'content over the limit');
  t.equal(papCode(() => splitPapBody('multipart/related; boundary=b', mp('--b\r\n\r\n<pap/>\r\n--b\r\nContent-Type: a/b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx\r\n--b--'), LIM)), 2000, 'unknown transfer encoding');
  t.equal(papCode(() => splitMultipart(mp('--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b\r\n\r\n4\r\n--b--'), 'b', 3)), 2000, 'too many entities');
  t.equal(papCode(() => undoTransferEncoding('base64', mp('not*base64'))), 2000);
  try {
    splitPapBody('multipart/related; boundary=b', mp('--b\r\n\r\n<pap/>\r\n--b\r\nContent-Type: a/b\r\nContent-Transfer-Encoding: x-gzip\r\n\r\nx\r\n--b--'), LIM);
  } catch (e) {
    t.match((e as Error).message, /x-gzip/, 'the reason names the encoding');
  }
});

t.test('buildPapBody round-trips through splitPapBody', async (t) => {
  const content = Buffer.from([0x8c, 0x82, 0x98, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff]);
  for (const transferEncoding of ['binary', 'base64'] as const) {
    const b = buildPapBody('<pap>é</pap>', { contentType: 'application/vnd.wap.mms-message', body: content, applicationId: 'x-wap-application:mms.ua', transferEncoding }, 'bnd');
    t.equal(b.contentType, 'multipart/related; boundary="bnd"; type="application/xml"');
    const r = splitPapBody(b.contentType, b.body, LIM);
    t.equal(r.control, '<pap>é</pap>');
    t.equal(r.content?.body.toString('hex'), content.toString('hex'), transferEncoding);
    t.equal(r.content?.applicationId, 'x-wap-application:mms.ua');
  }
  const bare = buildPapBody('<pap/>', undefined);
  t.equal(splitPapBody(bare.contentType, bare.body, LIM).control, '<pap/>');
});

t.test('parseContentType: a value seen before is answered from the cache, frozen, and the same', async (t) => {
  const v = 'multipart/related; boundary="abc-1"; type="application/xml"';
  const a = parseContentType(v);
  const b = parseContentType(v);
  t.same(a, { mediaType: 'multipart/related', params: { boundary: 'abc-1', type: 'application/xml' } });
  t.equal(b, a, 'the cached result');
  t.ok(Object.isFrozen(a) && Object.isFrozen(a.params), 'shared results cannot be changed by a caller');
  // more distinct values than the cache holds: every answer still right
  for (let i = 0; i < 200; i++) t.equal(parseContentType(`multipart/related; boundary=b${i}`).params.boundary, `b${i}`);
  t.same(parseContentType(v), a);
});
