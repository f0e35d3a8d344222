// A Connect decoded once per distinct octets (src/wsp/adapters.ts, WAP-230 §8.2.2.1): the kept
// result is what decoding the PDU gives, shared and read-only, and a Connect that does not decode
// is never kept.
import t from 'tap';
import { createWspCodec, toWspIn } from '../../src/wsp/adapters';
import { decodeWsp, encodeWsp, type Capability } from '../../src/codec/wsp/pdu';

const connect = (caps: Capability[], headers: Array<{ name: string; value: string }>) =>
  encodeWsp({ type: 'Connect', version: '1.0', capabilities: caps, headers });

t.test('a kept Connect is what decoding it gives, the same object each time, read-only', async (t) => {
  const codec = createWspCodec();
  const a = connect([{ name: 'Client-SDU-Size', value: 3000 }, { name: 'Method-MOR', value: 2 }], [{ name: 'Encoding-Version', value: '1.3' }, { name: 'User-Agent', value: 'phone/1' }]);
  const b = connect([{ name: 'Server-SDU-Size', value: 1400 }], []);
  const first = codec.decode(a, 0x12);
  t.same(first, toWspIn(decodeWsp(a)), 'as decoded');
  t.match(first, { pdu: 'Connect', version: 0x10, caps: { clientSduSize: 3000, methodMor: 2 }, encodingVersion: 0x13 });
  t.equal(codec.decode(Buffer.from(a), 0x12), first, 'the same octets in another buffer: the kept result');
  t.ok(Object.isFrozen(first), 'frozen');
  if (first.pdu !== 'Connect') throw new Error('not a Connect');
  t.ok(Object.isFrozen(first.caps) && Object.isFrozen(first.headers), 'its parts frozen');
  t.throws(() => {
    (first.caps as { clientSduSize?: number }).clientSduSize = 1;
  }, 'a change throws instead of reaching the next session');
  const other = codec.decode(b, 0x12);
  t.not(other, first, 'other octets, another result');
  t.match(other, { pdu: 'Connect', caps: { serverSduSize: 1400 }, encodingVersion: undefined });
});

t.test('a Connect that does not decode throws every time and is not kept', async (t) => {
  const codec = createWspCodec();
  const good = connect([{ name: 'Client-SDU-Size', value: 3000 }], []);
  const bad = good.subarray(0, 3);
  t.throws(() => codec.decode(bad, 0x12));
  t.throws(() => codec.decode(bad, 0x12), 'again');
});

t.test('methods are decoded each time (only Connects are kept)', async (t) => {
  const codec = createWspCodec();
  const get = encodeWsp({ type: 'Get', uri: 'http://mmsc.example/x', headers: [] });
  const one = codec.decode(get, 0x12);
  t.match(one, { pdu: 'Method', method: 'GET', uri: 'http://mmsc.example/x' });
  t.not(codec.decode(get, 0x12), one);
  t.notOk(Object.isFrozen(one));
});
