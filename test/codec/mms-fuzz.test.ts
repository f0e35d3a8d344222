/**
 * Robustness of decodeMms: random bytes and mutations of the golden vectors. Only a DecodeError
 * may escape; whatever decodes re-encodes to the very same octets; claimed lengths never drive
 * an allocation (huge claims fail fast without memory growth); nothing hangs.
 */
import t from 'tap';
import fc from 'fast-check';
import { hex } from '../../src/codec/bytes';
import { DecodeError } from '../../src/core/errors';
import { decodeMms, encodeMms, summarizeMms } from '../../src/codec/mms';
import { VECTORS } from '../fixtures/mms/vectors';
import { MMSD_NOTIFICATION, NUNTIUM_MMS_OFFSET, NUNTIUM_PUSH } from '../fixtures/mms/interop';

let decoded = 0;
/** decode: DecodeError or a PDU that re-encodes byte-exact and summarizes. */
function check(b: Uint8Array): boolean {
  const buf = Buffer.from(b);
  let pdu;
  try {
    pdu = decodeMms(buf);
  } catch (e) {
    if (e instanceof DecodeError) return true;
    throw e;
  }
  const again = encodeMms(pdu);
  if (!again.equals(buf)) throw new Error(`re-encode differs: ${buf.toString('hex')} -> ${again.toString('hex')}`);
  JSON.stringify(summarizeMms(pdu));
  decoded++;
  return true;
}

const corpus = [...VECTORS.map((v) => v.bytes), MMSD_NOTIFICATION, NUNTIUM_PUSH.subarray(NUNTIUM_MMS_OFFSET)];

const mutation = fc
  .record({
    base: fc.constantFrom(...corpus),
    edits: fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ op: fc.constant('insert' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ op: fc.constant('delete' as const), at: fc.nat(), v: fc.constant(0) }),
        fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), v: fc.constant(0) }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ base, edits }) => {
    const a = [...base];
    for (const e of edits) {
      const at = a.length === 0 ? 0 : e.at % a.length;
      if (e.op === 'set' && a.length > 0) a[at] = e.v;
      else if (e.op === 'insert') a.splice(at, 0, e.v);
      else if (e.op === 'delete') a.splice(at, 1);
      else if (e.op === 'truncate') a.length = at;
    }
    return Uint8Array.from(a);
  });

t.test('random bytes: only DecodeError escapes, decodable input re-encodes byte-exact', async (t) => {
  const start = Date.now();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 3000 });
  // With a valid first header the decoder goes deeper into the field codecs.
  const headed = fc
    .tuple(fc.integer({ min: 0x80, max: 0x97 }), fc.uint8Array({ maxLength: 200 }))
    .map(([type, rest]) => Uint8Array.from([0x8c, type, ...rest]));
  fc.assert(fc.property(headed, check), { numRuns: 3000 });
  // Field octets followed by plausible values: a header soup.
  const soup = fc
    .array(fc.tuple(fc.integer({ min: 0x80, max: 0xff }), fc.uint8Array({ maxLength: 8 })), { maxLength: 12 })
    .map((hs) => Uint8Array.from([0x8c, 0x80, ...hs.flatMap(([f, v]) => [f, ...v])]));
  decoded = 0;
  fc.assert(fc.property(soup, check), { numRuns: 3000 });
  t.ok(decoded > 100, `${decoded} of 3000 header soups decoded and re-encoded byte-exact`);
  t.ok(Date.now() - start < 30_000, `9000 runs in ${Date.now() - start} ms`);
});

t.test('mutations of the golden vectors: only DecodeError escapes, exact re-encoding', async (t) => {
  decoded = 0;
  fc.assert(fc.property(mutation, check), { numRuns: 4000 });
  t.ok(decoded > 400, `${decoded} of 4000 mutated PDUs still decoded and re-encoded byte-exact`);
});

t.test('claimed lengths never drive allocation', async (t) => {
  const hostile = [
    hex`8c 80 84 a3 8f ff ff ff 7f`, // multipart nEntries 2^32-1
    hex`8c 80 84 a3 01 8f ff ff ff 7f 01 83`, // entry HeadersLen 2^32-1
    hex`8c 80 84 a3 01 01 8f ff ff ff 7f 83`, // entry DataLen 2^32-1
    hex`8c 80 96 1f 8f ff ff ff 7f ea 41 00`, // Subject Value-length 2^32-1
    hex`8c 80 84 1f 8f ff ff ff 7f b3`, // Content-Type Value-length 2^32-1
    hex`8c 80 c5 1f 8f ff ff ff 7f 00`, // unknown field Value-length 2^32-1
    hex`8c 80 85 1e 01 02 03`, // Long-integer claiming 30 octets
    hex`8c 80 a0 1f 8f ff ff ff 7f 81`, // Previously-Sent-By
  ];
  const before = process.memoryUsage();
  const start = Date.now();
  for (const b of hostile) t.throws(() => decodeMms(b), DecodeError, `hostile ${b.toString('hex')}`);
  let escaped = 0;
  for (let i = 0; i < 2000; i++) {
    for (const b of hostile) {
      try {
        decodeMms(b);
        escaped++;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }
  }
  t.equal(escaped, 0, 'every hostile PDU refused, 2000 times each');
  const after = process.memoryUsage();
  t.ok(after.arrayBuffers - before.arrayBuffers < 16 * 1024 * 1024, `arrayBuffers grew ${after.arrayBuffers - before.arrayBuffers} octets`);
  t.ok(Date.now() - start < 10_000, `16000 hostile decodes in ${Date.now() - start} ms`);
});
