/**
 * Robustness of the WTP decoder: random bytes and mutations of the captured corpus may only
 * ever produce PDUs or a DecodeError (layer 'wtp'); nothing the decoder returns is larger than
 * its input (no allocation driven by a claimed length); whatever decodes re-encodes to bytes
 * that decode to the same PDUs. Plus a generated-PDU property: decode(encode(pdu)) = pdu.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { pduSize } from '../../src/wtp/wire-size';
import { type Tpi, type WtpPdu, decodeDatagram, encodeDatagram, encodeWtp, decodeWtp, isConcatenated } from '../../src/codec/wtp';
import { DecodeError } from '../../src/core/errors';

const dir = join(__dirname, '../fixtures/wtp/kannel');
const corpus: Buffer[] = readdirSync(dir)
  .filter((f) => f.endsWith('.payloads.csv'))
  .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'))
  .map((l) => l.split(','))
  .filter((c) => c[1] !== '9200' && c[2] !== '9200')
  .map((c) => Buffer.from(c[3] as string, 'hex'));

/** Octets held by Buffers in a decoded value. */
function bufferOctets(v: unknown): number {
  if (Buffer.isBuffer(v)) return v.length;
  if (Array.isArray(v)) return v.reduce((a: number, x) => a + bufferOctets(x), 0);
  if (v && typeof v === 'object') return Object.values(v).reduce((a: number, x) => a + bufferOctets(x), 0);
  return 0;
}

/** Decodes; returns 'error' on DecodeError and rethrows anything else. */
function attempt(buf: Buffer): WtpPdu[] | 'error' {
  try {
    const pdus = decodeDatagram(buf);
    if (bufferOctets(pdus) > buf.length) throw new Error(`decoded ${bufferOctets(pdus)} octets from ${buf.length}`);
    const again = encodeDatagram(pdus, { concatenate: isConcatenated(buf) });
    const back = decodeDatagram(again);
    if (!isDeepStrictEqual(back, pdus)) throw new Error(`unstable re-encoding of ${buf.toString('hex')}`);
    return pdus;
  } catch (e) {
    if (e instanceof DecodeError && e.layer === 'wtp' && e.code === 'ERR_WTP_DECODE' && Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= buf.length) return 'error';
    throw e;
  }
}

t.test('random bytes: PDUs or DecodeError, nothing else', async (t) => {
  const started = Date.now();
  let ok = 0;
  let err = 0;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (a) => {
      if (attempt(Buffer.from(a)) === 'error') err++;
      else ok++;
    }),
    { numRuns: 3000, seed: 0x5eed },
  );
  // bias towards valid-looking headers: a real first octet then random bytes
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), (o, a) => {
      if (attempt(Buffer.from([o, ...a])) === 'error') err++;
      else ok++;
    }),
    { numRuns: 3000, seed: 42 },
  );
  t.ok(ok > 100 && err > 100, `${ok} decoded, ${err} rejected`);
  t.ok(Date.now() - started < 20_000, 'fast, no hang');
});

t.test('mutations of the Kannel corpus', async (t) => {
  t.ok(corpus.length > 50, `${corpus.length} seed datagrams`);
  let state = 12345;
  const rnd = (n: number) => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % n;
  };
  let ok = 0;
  let err = 0;
  for (let i = 0; i < 4000; i++) {
    const seed = corpus[rnd(corpus.length)] as Buffer;
    // keep mutations near the header where the structure is
    const b = Buffer.from(seed.subarray(0, Math.min(seed.length, 64)));
    let m: Buffer = b;
    switch (rnd(6)) {
      case 0: {
        const at = rnd(m.length);
        m[at] = (m[at] as number) ^ (1 << rnd(8));
        break;
      }
      case 1:
        m[rnd(m.length)] = rnd(256);
        break;
      case 2:
        m = m.subarray(0, rnd(m.length));
        break;
      case 3: {
        const at = rnd(m.length + 1);
        m = Buffer.concat([m.subarray(0, at), Buffer.from([rnd(256)]), m.subarray(at)]);
        break;
      }
      case 4: {
        const at = rnd(m.length);
        m = Buffer.concat([m.subarray(0, at), m.subarray(at + 1)]);
        break;
      }
      default:
        // wrap in a concatenation with a (possibly wrong) length
        m = Buffer.concat([Buffer.from([0, rnd(2) ? m.length : rnd(256)]), m]);
    }
    if (attempt(m) === 'error') err++;
    else ok++;
  }
  t.ok(ok > 100 && err > 100, `${ok} decoded, ${err} rejected`);
});

t.test('a huge claimed length does not allocate', async (t) => {
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 1000; i++) {
    t.equal(attempt(Buffer.from([0x00, 0xff, 0xff, 0x18, 0x00, 0x01])), 'error');
    t.equal(attempt(Buffer.from([0x98, 0x00, 0x01, 0x1c, 0xff, 0x00])), 'error');
    t.equal(attempt(Buffer.from([0x38, 0x00, 0x01, 0xff, 0x01])), 'error');
  }
  t.ok(process.memoryUsage().arrayBuffers - before < 8 * 1024 * 1024, 'no growth from claimed lengths');
});

const tpiArb: fc.Arbitrary<Tpi> = fc.oneof(
  fc.record({ tpi: fc.constant('Error' as const), badTpi: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 4 }).map(Buffer.from) }),
  fc.record({ tpi: fc.constant('Info' as const), data: fc.uint8Array({ maxLength: 8 }).map(Buffer.from) }),
  fc.record({ tpi: fc.constant('Option' as const), option: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 6 }).map(Buffer.from) }),
  fc.record({ tpi: fc.constant('PSN' as const), psn: fc.integer({ min: 0, max: 255 }) }),
  fc.constant({ tpi: 'SDUBoundary' as const }),
  fc.constant({ tpi: 'FrameBoundary' as const }),
  fc.record({ tpi: fc.constant('Unknown' as const), id: fc.integer({ min: 6, max: 15 }), data: fc.uint8Array({ maxLength: 3 }).map(Buffer.from) }),
);
const bool = fc.boolean();
const tid = fc.integer({ min: 0, max: 0xffff });
const tpis = fc.array(tpiArb, { maxLength: 4 });
const data = fc.uint8Array({ maxLength: 64 }).map(Buffer.from);
const pduArb: fc.Arbitrary<WtpPdu> = fc.oneof(
  fc.record({ type: fc.constant('Invoke' as const), tid, gtr: bool, ttr: bool, rid: bool, version: fc.integer({ min: 0, max: 3 }), tidNew: bool, up: bool, tcl: fc.constantFrom(0 as const, 1 as const, 2 as const), tpis, data }),
  fc.record({ type: fc.constant('Result' as const), tid, gtr: bool, ttr: bool, rid: bool, tpis, data }),
  fc.record({ type: fc.constant('Ack' as const), tid, tveTok: bool, rid: bool, tpis }),
  fc.record({ type: fc.constant('Abort' as const), tid, abortType: fc.constantFrom('provider' as const, 'user' as const), reason: fc.integer({ min: 0, max: 255 }), tpis }),
  fc.record({ type: fc.constantFrom('SegmentedInvoke' as const, 'SegmentedResult' as const), tid, gtr: bool, ttr: bool, rid: bool, psn: fc.integer({ min: 0, max: 255 }), tpis, data }),
  fc.record({ type: fc.constant('NegativeAck' as const), tid, rid: bool, missing: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }), tpis }),
);

/** What decode gives back: `long` appears exactly where the encoder had to use the long form. */
function normalise(p: WtpPdu): WtpPdu {
  const tpis = p.tpis.map((x) => {
    const { long: _l, ...rest } = x;
    const len = encodeWtp({ type: 'Ack', tid: 0, tveTok: false, rid: false, tpis: [x] }).length - 3;
    return (len > 1 + 3 || x.long ? { ...rest, long: true } : rest) as Tpi;
  });
  return { ...p, tpis };
}

t.test('generated PDUs: decode(encode(pdu)) equals pdu, alone and concatenated', async (t) => {
  let n = 0;
  fc.assert(
    fc.property(pduArb, (p) => {
      const want = normalise(p);
      if (!isDeepStrictEqual(decodeWtp(encodeWtp(p)), want)) return false;
      n++;
      return true;
    }),
    { numRuns: 2000, seed: 7 },
  );
  fc.assert(
    fc.property(fc.array(pduArb, { minLength: 1, maxLength: 4 }), (ps) => {
      return isDeepStrictEqual(decodeDatagram(encodeDatagram(ps, { concatenate: true })), ps.map(normalise));
    }),
    { numRuns: 500, seed: 8 },
  );
  t.equal(n, 2000);
});

t.test('pduSize (src/wtp/wire-size.ts, the amplification budget) equals the encoded length', async (t) => {
  // some TPIs in the long form on request, and data past the short-form limits
  const longTpis = fc.array(fc.tuple(tpiArb, bool), { maxLength: 4 }).map((xs) => xs.map(([x, long]) => (long ? { ...x, long: true } : x)));
  const withLong = fc.tuple(pduArb, longTpis, fc.integer({ min: 0, max: 1500 })).map(([p, extra, big]) => {
    const q = { ...p, tpis: [...p.tpis, ...extra] } as WtpPdu;
    return 'data' in q && big > 1400 ? ({ ...q, data: Buffer.alloc(big) } as WtpPdu) : q;
  });
  let n = 0;
  fc.assert(
    fc.property(withLong, (p) => {
      const size = pduSize(p);
      const len = encodeWtp(p).length;
      if (size !== len) throw new Error(`pduSize ${size} != encoded ${len} for ${JSON.stringify({ ...p, data: undefined })}`);
      n++;
    }),
    { numRuns: 3000, seed: 11 },
  );
  t.equal(n, 3000);
});
