import t from 'tap';
import { Reader, Writer, hex, uintvarLength } from '../../src/codec/bytes';
import { DecodeError } from '../../src/core/errors';

const r = (b: Buffer) => new Reader(b, 'test');

t.test('uintvar golden vectors (WAP-230 §8.1.2)', async (t) => {
  const vectors: [number, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, '81 00'],
    [0x3fff, 'ff 7f'],
    [0x4000, '81 80 00'],
    [0xffffffff, '8f ff ff ff 7f'],
  ];
  for (const [v, h] of vectors) {
    t.equal(r(hex(h)).uintvar(), v, `decode ${h}`);
    t.same(new Writer().uintvar(v).toBuffer(), hex(h), `encode ${v}`);
    t.equal(uintvarLength(v), hex(h).length, `length of ${v}`);
  }
  t.throws(() => r(hex('80 80 80 80 80 00')).uintvar(), { code: 'ERR_TEST_DECODE', offset: 0 });
  t.throws(() => r(hex('90 80 80 80 00')).uintvar(), DecodeError, 'over 32 bits');
  t.throws(() => r(hex('81')).uintvar(), { code: 'ERR_TEST_DECODE', offset: 1 });
});

t.test('integers', async (t) => {
  t.equal(r(hex('8d')).shortInteger(), 13);
  t.throws(() => r(hex('0d')).shortInteger(), { code: 'ERR_TEST_DECODE' });
  t.equal(r(hex('04 5e 20 21 22')).longInteger(), 0x5e202122);
  t.same(new Writer().longInteger(0x5e202122).toBuffer(), hex('04 5e 20 21 22'));
  t.same(new Writer().integerValue(5).toBuffer(), hex('85'));
  t.same(new Writer().integerValue(300).toBuffer(), hex('02 01 2c'));
  t.equal(r(hex('02 01 2c')).integerValue(), 300);
  t.throws(() => r(hex('00')).longInteger(), { code: 'ERR_TEST_DECODE' }, 'zero length');
  t.throws(() => r(hex('05 01 02')).longInteger(), { code: 'ERR_TEST_DECODE' }, 'short buffer');
});

t.test('value-length never exceeds what remains', async (t) => {
  t.equal(r(hex('03 aa bb cc')).valueLength(), 3);
  t.equal(r(Buffer.concat([hex('1f 81 00'), Buffer.alloc(128)])).valueLength(), 128);
  t.throws(() => r(hex('1f 8f ff ff ff 7f')).valueLength(), { code: 'ERR_TEST_DECODE', offset: 0 });
  t.throws(() => r(hex('05 aa')).valueLength(), { code: 'ERR_TEST_DECODE' });
  t.same(new Writer().valueLength(31).toBuffer(), hex('1f 1f'));
  t.same(new Writer().valueLength(30).toBuffer(), hex('1e'));
});

t.test('strings', async (t) => {
  t.equal(r(hex('61 62 00')).textString(), 'ab');
  t.equal(r(hex('7f e9 00')).textString(), '\u00e9', 'quote removed');
  t.same(new Writer().textString('\u00e9').toBuffer(), hex('7f e9 00'), 'quote added for >= 0x80');
  t.equal(r(hex('22 61 00')).quotedString(), 'a');
  t.throws(() => r(hex('61 00')).quotedString(), { code: 'ERR_TEST_DECODE' });
  t.throws(() => r(hex('61 62')).textString(), { code: 'ERR_TEST_DECODE' }, 'no NUL');
  t.throws(() => new Writer('x').textString('a\0b'), { code: 'ERR_X_ENCODE' });
  const sub = r(hex('61 00 62 00'));
  const s = new Reader(sub.buf, 'test', 0, 2);
  t.equal(s.textString(), 'a');
  t.throws(() => new Reader(hex('61 62 00'), 'test', 0, 2).textString(), { code: 'ERR_TEST_DECODE' }, 'NUL beyond the end is not seen');
});

t.test('writer grows and bounds-checks', async (t) => {
  const w = new Writer('test', 1);
  for (let i = 0; i < 1000; i++) w.u8(i & 0xff);
  t.equal(w.length, 1000);
  t.throws(() => w.u8(256), { code: 'ERR_TEST_ENCODE' });
  t.throws(() => w.shortInteger(128), { code: 'ERR_TEST_ENCODE' });
  t.same(new Writer().withValueLength((x) => x.u8(1).u8(2)).toBuffer(), hex('02 01 02'));
});

t.test('Writer.toBuffer: exact-size output without a copy, never changed by later writes', async (t) => {
  const w = new Writer('test', 3);
  w.u8(1).u16(0x0203);
  const a = w.toBuffer();
  t.same([...a], [1, 2, 3]);
  w.u8(4);
  t.same([...a], [1, 2, 3], 'a later write moves to a new buffer');
  t.same([...w.toBuffer()], [1, 2, 3, 4]);
  const roomy = new Writer('test', 64);
  roomy.u8(9);
  const b = roomy.toBuffer();
  roomy.u8(10);
  t.same([...b], [9], 'a roomy writer copies out');
});
