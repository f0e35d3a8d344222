/**
 * Random bytes and mutations of the captured corpus (fast-check): the WSP decoders may only
 * ever throw DecodeError (never a TypeError/RangeError, never hang, never allocate by a claimed
 * length), and whatever they accept re-encodes to exactly the same octets (every decoded part
 * keeps its raw octets).
 */
import fc from 'fast-check';
import t from 'tap';
import { Reader } from '../../src/codec/bytes';
import {
  decodeContentType,
  decodeHeaders,
  decodeMultipart,
  decodeWsp,
  encodeHeaders,
  encodeMultipart,
  encodeWsp,
  httpToHeaderList,
} from '../../src/codec/wsp';
import { DecodeError } from '../../src/core/errors';
import { toHttpRequestHeaders } from '../../src/bridge/headers';
import { corpus } from '../fixtures/wsp/corpus';

const samples = corpus().filter((s) => s.pdu.length < 40000);

/** Runs f; a DecodeError is an accepted outcome, anything else thrown fails the property. */
function onlyDecodeError<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => Buffer.from(a));

/** Bytes biased towards WSP structure: PDU type octets, lengths, quotes, NULs, shifts. */
const wspish = fc
  .array(fc.oneof(fc.constantFrom(0x00, 0x01, 0x04, 0x06, 0x1f, 0x22, 0x40, 0x60, 0x7f, 0x80, 0x91, 0xff), fc.integer({ min: 0, max: 255 })), { maxLength: 200 })
  .map((a) => Buffer.from(a));

/** The decoded values without raw octets, for comparing two decodes. */
const view = (x: unknown): string => JSON.stringify(x, (k, v) => (k === 'raw' ? undefined : v));

/**
 * What decodes re-encodes to the same octets, except where the input used a longer uintvar
 * than needed (80 80 05 for 5): lengths are written minimal, so then the re-encoded octets must
 * decode to the same values.
 */
function roundTrips(buf: Buffer, connectionless: boolean): void {
  const pdu = onlyDecodeError(() => decodeWsp(buf, { connectionless }));
  if (pdu === undefined) return;
  const again = encodeWsp(pdu, { connectionless, encodingVersion: '1.2' });
  if (again.equals(buf)) return;
  if (view(decodeWsp(again, { connectionless })) !== view(pdu)) {
    throw new Error(`re-encode differs: ${buf.toString('hex')} -> ${again.toString('hex')}`);
  }
}

t.test('random bytes: only DecodeError, and what decodes re-encodes the same', async (t) => {
  for (const gen of [bytes, wspish]) {
    fc.assert(
      fc.property(gen, (b) => {
        roundTrips(b, false);
        roundTrips(b, true);
        const hs = onlyDecodeError(() => decodeHeaders(b));
        if (hs) {
          const again = encodeHeaders(hs, '1.2');
          if (!again.equals(b) && view(decodeHeaders(again)) !== view(hs)) {
            throw new Error(`headers re-encode differs: ${b.toString('hex')} -> ${again.toString('hex')}`);
          }
          toHttpRequestHeaders(hs.filter((h) => !h.opaque).map((h) => [h.name, h.value]), { encodingVersion: '1.2', viaHost: 'gw' });
        }
        onlyDecodeError(() => decodeContentType(new Reader(b, 'wsp')));
        const parts = onlyDecodeError(() => decodeMultipart(b));
        if (parts && !encodeMultipart(parts).equals(b) && view(decodeMultipart(encodeMultipart(parts))) !== view(parts)) {
          throw new Error(`multipart re-encode differs: ${b.toString('hex')}`);
        }
      }),
      { numRuns: 2000 },
    );
  }
  t.pass('2000 random and 2000 WSP-biased inputs');
});

t.test('mutations of the corpus: only DecodeError, and what decodes re-encodes the same', async (t) => {
  t.ok(samples.length > 10, `${samples.length} captured PDUs to mutate`);
  const mutation = fc.record({
    i: fc.nat({ max: samples.length - 1 }),
    kind: fc.constantFrom('flip', 'set', 'truncate', 'insert', 'delete'),
    pos: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
    count: fc.integer({ min: 1, max: 4 }),
  });
  fc.assert(
    fc.property(mutation, ({ i, kind, pos, value, count }) => {
      const s = samples[i];
      if (!s) return;
      // Mutate within the first 200 octets (headers live there; bodies are opaque).
      const src = s.pdu;
      const at = pos % Math.min(src.length, 200);
      let b: Buffer;
      switch (kind) {
        case 'flip':
          b = Buffer.from(src);
          for (let k = 0; k < count && at + k < b.length; k++) b[at + k] = (b[at + k] as number) ^ (1 << (value % 8));
          break;
        case 'set':
          b = Buffer.from(src);
          b[at] = value;
          break;
        case 'truncate':
          b = src.subarray(0, at);
          break;
        case 'insert':
          b = Buffer.concat([src.subarray(0, at), Buffer.alloc(count, value), src.subarray(at)]);
          break;
        default:
          b = Buffer.concat([src.subarray(0, at), src.subarray(at + count)]);
      }
      roundTrips(b, s.connectionless);
    }),
    { numRuns: 4000 },
  );
  t.pass('4000 mutations');
});

t.test('a claimed length is never allocated before it is checked', async (t) => {
  // uintvar 0xFFFFFFFF as the URI length, the headers length and the multipart count.
  t.throws(() => decodeWsp(Buffer.from('408fffffff7f', 'hex')), DecodeError);
  t.throws(() => decodeWsp(Buffer.from('608fffffff7f8fffffff7f', 'hex')), DecodeError);
  t.throws(() => decodeWsp(Buffer.from('04208fffffff7f', 'hex')), DecodeError);
  t.throws(() => decodeMultipart(Buffer.from('8fffffff7f', 'hex')), DecodeError);
  t.throws(() => decodeHeaders(Buffer.from('911f8fffffff7f', 'hex')), DecodeError);
});

t.test('HTTP text headers never make the encoder throw anything but EncodeError', async (t) => {
  const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
  const names = fc.oneof(token, fc.constantFrom('Accept', 'Accept-Charset', 'Accept-Language', 'Cache-Control', 'Content-Type', 'Date',
    'Authorization', 'Range', 'Retry-After', 'Warning', 'Content-Disposition', 'X-Wap-Application-Id', 'Encoding-Version',
    'Set-Cookie', 'Cookie', 'Expect', 'TE', 'Content-ID', 'Profile-Warning', 'If-Range', 'Content-Range', 'Pragma', 'Push-Flag'));
  const value = fc.string({ maxLength: 40 }).map((s) => s.replace(/[\0\r\n]/g, ''));
  fc.assert(
    fc.property(fc.dictionary(names, value, { maxKeys: 6 }), fc.constantFrom('1.1', '1.2', '1.3', '1.4', '1.5'), (h, v) => {
      try {
        const b = encodeHeaders(httpToHeaderList(h), v);
        decodeHeaders(b);
      } catch (e) {
        if (!(e instanceof Error) || !('code' in e) || !/^ERR_WSP_(ENCODE|DECODE)$/.test(String(e.code))) throw e;
        if (String((e as { code: string }).code) === 'ERR_WSP_DECODE') throw new Error(`we produced octets we cannot decode: ${JSON.stringify(h)}`);
      }
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 header sets');
});
