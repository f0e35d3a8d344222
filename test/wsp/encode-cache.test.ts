// What the WSP server sends, encoded from kept parts (src/wsp/adapters.ts: the ConnectReply after
// its session id per negotiated capabilities, a Reply's header block per Content-Type): the same
// octets as encoding the whole PDU (WAP-230 §8.2.2.2 ConnectReply, §8.2.3.3 Reply), whether the
// part was just made or kept from before.
import t from 'tap';
import { createWspCodec } from '../../src/wsp/adapters';
import { connectReplyTail, decodeWsp, encodeConnectReplyWith, encodeReplyWith, encodeWsp, replyHeaderBlock } from '../../src/codec/wsp/pdu';
import { httpToWspStatus } from '../../src/codec/wsp/tables';

const VERSIONS: Array<[number, string]> = [
  [0x10, '1.0'],
  [0x12, '1.2'],
  [0x13, '1.3'],
  [0x14, '1.4'],
];

t.test('Reply: a kept header block gives the octets of the whole PDU encoded at once', async (t) => {
  const codec = createWspCodec();
  const types = ['text/plain', 'application/vnd.wap.mms-message', 'text/plain; charset=utf-8', 'application/x-unknown-to-wsp', 'image/jpeg'];
  const statuses = [200, 204, 404, 413, 502, 504];
  const bodies = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(300, 0x41), Buffer.alloc(20000, 0x42)];
  let n = 0;
  for (const [ver, text] of VERSIONS)
    for (const contentType of types)
      for (const status of statuses)
        for (const body of bodies)
          for (let round = 0; round < 2; round++) {
            const got = codec.encodeReply({ status, contentType, headers: [], body }, ver);
            const want = encodeWsp({ type: 'Reply', status: httpToWspStatus(status), contentType, headers: [], data: body }, { encodingVersion: text });
            if (!got.equals(want)) t.fail(`${text} ${contentType} ${status} ${body.length} (round ${round})`);
            n++;
          }
  t.pass(`${n} Replies identical`);
  const withHeaders = codec.encodeReply({ status: 200, contentType: 'text/plain', headers: [['X-Custom', 'a']], body: Buffer.from('x') }, 0x12);
  t.match(decodeWsp(withHeaders), { type: 'Reply', headers: [{ name: 'X-Custom', value: 'a' }] }, 'a Reply with other headers is encoded whole');
});

t.test('Reply: a content type WSP cannot carry still falls back as before', async (t) => {
  const dropped: string[] = [];
  const codec = createWspCodec({ onEncodeFallback: (_err, what) => dropped.push(what) });
  for (let round = 0; round < 2; round++) {
    const buf = codec.encodeReply({ status: 200, contentType: 'text/plain; x=\u0001bad', headers: [], body: Buffer.from('b') }, 0x12);
    t.match(decodeWsp(buf), { type: 'Reply', data: Buffer.from('b') }, 'still a Reply with the body');
  }
  t.ok(dropped.length === 0 || dropped.every((d) => d === 'content-type'), `fallbacks: ${dropped.join(',')}`);
});

t.test('ConnectReply: a kept tail gives the octets of the whole PDU encoded at once', async (t) => {
  const codec = createWspCodec();
  const sessionIds = [1, 127, 128, 0x3fff, 0x4000, 0x7fffffff];
  const capsSets = [
    { clientSduSize: 1400, serverSduSize: 1400 },
    { clientSduSize: 30000, serverSduSize: 1400, protocolOptions: 0 },
    { clientSduSize: 30000, serverSduSize: 1400, methodMor: 1 },
    { clientSduSize: 0, serverSduSize: 65536, protocolOptions: 0x20, methodMor: 4 },
  ];
  const headerSets: Array<Array<[string, string]>> = [[], [['Encoding-Version', '1.3']]];
  let n = 0;
  for (const [ver, text] of VERSIONS)
    for (const caps of capsSets)
      for (const headers of headerSets)
        for (const sessionId of sessionIds) {
          const got = codec.encodeConnectReply({ sessionId, caps, headers }, ver);
          const capabilities = [
            { name: 'Client-SDU-Size', value: caps.clientSduSize },
            { name: 'Server-SDU-Size', value: caps.serverSduSize },
            ...(caps.protocolOptions !== undefined ? [{ name: 'Protocol-Options', value: caps.protocolOptions }] : []),
            ...(caps.methodMor !== undefined ? [{ name: 'Method-MOR', value: caps.methodMor }] : []),
          ];
          const want = encodeWsp({ type: 'ConnectReply', sessionId, capabilities, headers: headers.map(([name, value]) => ({ name, value })) }, { encodingVersion: text });
          if (!got.equals(want)) t.fail(`${text} ${JSON.stringify(caps)} ${headers.length} ${sessionId}`);
          n++;
        }
  t.pass(`${n} ConnectReplies identical`);
});

t.test('the codec parts alone: Reply and ConnectReply assembled from them equal the whole encoding', async (t) => {
  const block = replyHeaderBlock('application/vnd.wap.mms-message', [{ name: 'X-Mms-Message-Type', value: 'm-retrieve-conf' }], '1.3');
  const data = Buffer.from('mms');
  t.same(encodeReplyWith(0x20, block, data), encodeWsp({ type: 'Reply', status: 0x20, contentType: 'application/vnd.wap.mms-message', headers: [{ name: 'X-Mms-Message-Type', value: 'm-retrieve-conf' }], data }, { encodingVersion: '1.3' }));
  const tail = connectReplyTail([{ name: 'Client-SDU-Size', value: 3000 }], [], '1.2');
  t.same(encodeConnectReplyWith(300, tail), encodeWsp({ type: 'ConnectReply', sessionId: 300, capabilities: [{ name: 'Client-SDU-Size', value: 3000 }], headers: [] }));
});
