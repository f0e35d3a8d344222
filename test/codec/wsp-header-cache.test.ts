/**
 * The decoder's header block cache (HeaderBlockCache, src/codec/wsp/headers.ts): a PDU decoded
 * through it equals the PDU decoded without it; a repeated block gives the same frozen list; a
 * remembered block holds a copy of its octets, not the datagram; a malformed block fails exactly
 * as without the cache; the cache stays within its bounds.
 */
import t from 'tap';
import { DecodeError } from '../../src/core/errors';
import { HeaderBlockCache, decodeHeaders, decodeWsp, encodeWsp } from '../../src/codec/wsp';

const headers = [
  { name: 'Accept', value: 'application/vnd.wap.mms-message' },
  { name: 'Accept', value: 'text/plain' },
  { name: 'Accept-Charset', value: 'utf-8' },
  { name: 'User-Agent', value: 'wapgw-test/1.0' },
  { name: 'X-Custom', value: 'yes' },
];

const pdus = {
  get: encodeWsp({ type: 'Get', uri: 'http://mmsc.example/m/1', headers }),
  get2: encodeWsp({ type: 'Get', uri: 'http://mmsc.example/m/2', headers }),
  post: encodeWsp({ type: 'Post', uri: 'http://mmsc.example/', contentType: 'application/vnd.wap.mms-message', headers, data: Buffer.from([0x8c, 0x80]) }),
  connect: encodeWsp({ type: 'Connect', version: '1.0', capabilities: [{ name: 'Client-SDU-Size', value: 30000 }], headers }),
  resume: encodeWsp({ type: 'Resume', sessionId: 7, capabilities: [], headers }),
};

t.test('a PDU decodes to the same through the cache, and a repeated block to the same frozen list', async (t) => {
  const cache = new HeaderBlockCache();
  for (const [name, buf] of Object.entries(pdus)) {
    const plain = decodeWsp(buf);
    const first = decodeWsp(buf, { headerCache: cache });
    const again = decodeWsp(Buffer.from(buf), { headerCache: cache });
    t.same(first, plain, `${name}: equal to the uncached decode`);
    t.same(again, plain, `${name}: again`);
    const h1 = (first as { headers: unknown }).headers;
    const h2 = (again as { headers: unknown }).headers;
    t.equal(h1, h2, `${name}: the same list the second time`);
    t.ok(Object.isFrozen(h1) && (h1 as object[]).every((x) => Object.isFrozen(x)), `${name}: frozen, with its entries`);
  }
  // two Gets with different URIs and the same headers share the decoded block
  t.equal((decodeWsp(pdus.get, { headerCache: cache }) as { headers: unknown }).headers, (decodeWsp(pdus.get2, { headerCache: cache }) as { headers: unknown }).headers, 'one block for both URIs');
});

t.test('a remembered block keeps a copy of its octets, not the datagram', async (t) => {
  const cache = new HeaderBlockCache();
  const buf = Buffer.from(pdus.get);
  const pdu = decodeWsp(buf, { headerCache: cache }) as { headers: Array<{ raw?: Buffer }> };
  for (const h of pdu.headers) t.not(h.raw?.buffer, buf.buffer, 'raw is not a view of the datagram');
  buf.fill(0); // the datagram's memory reused for something else
  t.same(decodeWsp(pdus.get, { headerCache: cache }), decodeWsp(pdus.get), 'what was remembered is unchanged');
});

t.test('a malformed block fails as it does without the cache, and is not remembered', async (t) => {
  const cache = new HeaderBlockCache();
  const bad = Buffer.from([0x80]); // a well-known field (Accept) with no value
  const withOffset = Buffer.concat([Buffer.from([0x40, 0x01, 0x2f]), bad]); // Get "/" + the bad block
  let e1: unknown;
  let e2: unknown;
  try {
    decodeWsp(withOffset);
  } catch (e) {
    e1 = e;
  }
  try {
    decodeWsp(withOffset, { headerCache: cache });
  } catch (e) {
    e2 = e;
  }
  t.ok(e1 instanceof DecodeError, 'uncached: DecodeError');
  t.ok(e2 instanceof DecodeError, 'cached: DecodeError');
  t.equal((e2 as Error).message, (e1 as Error).message, 'the same error, at the same offset');
  t.equal(cache.size, 0, 'nothing remembered');
});

t.test('bounded: at most `max` blocks, and blocks past maxOctets are decoded but not remembered', async (t) => {
  const cache = new HeaderBlockCache(4, 64);
  for (let i = 0; i < 20; i++) decodeWsp(encodeWsp({ type: 'Get', uri: '/', headers: [{ name: 'X-N', value: String(i) }] }), { headerCache: cache });
  t.ok(cache.size <= 4, `at most 4 (${cache.size})`);
  const big = encodeWsp({ type: 'Get', uri: '/', headers: [{ name: 'X-Big', value: 'x'.repeat(100) }] });
  const before = cache.size;
  const a = decodeWsp(big, { headerCache: cache }) as { headers: unknown };
  t.equal(cache.size, before, 'a long block is not remembered');
  t.notOk(Object.isFrozen(a.headers), 'and its list is the caller\'s own');
  t.same(a, decodeWsp(big), 'decoded as without the cache');
});

t.test('an empty header block is one shared frozen list too', async (t) => {
  const cache = new HeaderBlockCache();
  const a = decodeWsp(encodeWsp({ type: 'Get', uri: 'http://a/1', headers: [] }), { headerCache: cache });
  const b = decodeWsp(encodeWsp({ type: 'Get', uri: 'http://a/2', headers: [] }), { headerCache: cache });
  t.same(a.type === 'Get' && a.headers, []);
  t.ok(a.type === 'Get' && b.type === 'Get' && a.headers === b.headers && Object.isFrozen(a.headers), 'shared, frozen');
  t.equal(cache.size, 0, 'nothing to remember');
});
