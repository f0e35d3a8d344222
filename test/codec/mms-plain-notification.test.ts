/**
 * isPlainNotificationInd (src/codec/mms/check.ts), the PPG's check of an m-notification-ind
 * without a decode, against the full path (decodeMms, then checkMms and the pushable type) on
 * generated notifications and their mutations: what it accepts the full path accepts; the plain
 * form (the one MMSCs write) it accepts; anything else it leaves to the full path.
 */
import t from 'tap';
import fc from 'fast-check';
import { checkMms, decodeMms, encodeMms, buildNotificationInd, isPlainNotificationInd } from '../../src/codec/mms';

/** The full path's verdict: a well-formed m-notification-ind with nothing wrong by checkMms. */
function fullyValid(b: Buffer): boolean {
  try {
    const pdu = decodeMms(b, { exact: false });
    return pdu.type === 'm-notification-ind' && checkMms(pdu).length === 0;
  } catch {
    return false;
  }
}

const text = (s: string, quote = false): Buffer => Buffer.concat([quote ? Buffer.from([0x7f]) : Buffer.alloc(0), Buffer.from(s, 'latin1'), Buffer.from([0])]);
const longInt = (v: number, len: number): Buffer => {
  const out = Buffer.alloc(len + 1);
  out[0] = len;
  for (let i = len, x = v; i >= 1; i--, x = Math.floor(x / 256)) out[i] = x % 256;
  return out;
};

/** A generated notification: its fields (each a [code, value] pair) and whether it is of the plain form. */
const field = {
  tid: fc.tuple(fc.string({ minLength: 0, maxLength: 12 }).map((s) => s.replace(/\0/g, '')), fc.boolean()).map(([s, q]) => ({ code: 0x98, v: text(s, q), plain: true })),
  version: fc.oneof(
    fc.integer({ min: 0x90, max: 0x93 }).map((o) => ({ code: 0x8d, v: Buffer.from([o]), plain: true })),
    fc.constantFrom(Buffer.from([0x94]), Buffer.from([0x9f]), Buffer.from([0xa0]), text('1.2')).map((v) => ({ code: 0x8d, v, plain: false })),
  ),
  class: fc.oneof(
    fc.integer({ min: 0x80, max: 0x83 }).map((o) => ({ code: 0x8a, v: Buffer.from([o]), plain: true })),
    fc.constantFrom(text('personal'), Buffer.from([0x84])).map((v) => ({ code: 0x8a, v, plain: v.length === 1 })),
  ),
  size: fc.oneof(
    fc.integer({ min: 0, max: 127 }).map((n) => ({ code: 0x8e, v: Buffer.from([0x80 | n]), plain: true })),
    fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 6 })).map(([n, len]) => ({ code: 0x8e, v: longInt(n % 256 ** len, len), plain: true })),
    fc.integer({ min: 7, max: 8 }).map((len) => ({ code: 0x8e, v: longInt(1, len), plain: false })),
  ),
  expiry: fc.oneof(
    fc.tuple(fc.constantFrom(0x80, 0x81), fc.integer({ min: 0, max: 127 })).map(([tok, n]) => ({ code: 0x88, v: Buffer.from([2, tok, 0x80 | n]), plain: true })),
    fc.tuple(fc.constantFrom(0x80, 0x81), fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.integer({ min: 4, max: 6 })).map(([tok, n, len]) => {
      const li = longInt(n, len);
      return { code: 0x88, v: Buffer.concat([Buffer.from([li.length + 1, tok]), li]), plain: true };
    }),
    fc.constantFrom(Buffer.from([2, 0x82, 0x81]), Buffer.from([3, 0x81, 0x81, 0x00]), Buffer.from([31, 2, 0x81, 0x81])).map((v) => ({ code: 0x88, v, plain: false })),
  ),
  location: fc.oneof(
    fc.webUrl().map((u) => ({ code: 0x83, v: text(u), plain: true })),
    fc.webUrl().map((u) => ({ code: 0x83, v: Buffer.concat([Buffer.from([u.length + 2, 0x81]), text(u)]), plain: false })),
  ),
  extra: fc.constantFrom(
    { code: 0x96, v: text('Subject'), plain: false }, // Subject
    { code: 0x89, v: Buffer.from([1, 0x81]), plain: false }, // From: insert-address
    { code: 0x86, v: Buffer.from([0x80]), plain: false }, // X-Mms-Delivery-Report
    { code: 0x84, v: Buffer.from([0xa3]), plain: false }, // Content-Type
  ),
};

/** null most of the time, a value one time in eight. */
const rarely = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: a, weight: 1 });

const notification = fc
  .record({
    tid: field.tid,
    version: field.version,
    rest: fc.tuple(field.class, field.size, field.expiry, field.location),
    order: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
    extra: rarely(field.extra),
    drop: rarely(fc.integer({ min: 0, max: 5 })),
    twice: rarely(fc.integer({ min: 0, max: 5 })),
    tidLater: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  })
  .map((g) => {
    // the four trailing fields in a random order
    const rest = [...g.rest];
    for (let i = 0; i < 4; i++) {
      const j = g.order[i] as number;
      [rest[i], rest[j]] = [rest[j] as (typeof rest)[number], rest[i] as (typeof rest)[number]];
    }
    let fields = [g.tid, g.version, ...rest];
    let plain = fields.every((f) => f.plain);
    if (g.drop !== null) {
      fields = fields.filter((_, i) => i !== g.drop);
      plain = false;
    }
    if (g.twice !== null && fields[g.twice]) {
      fields = [...fields, fields[g.twice] as (typeof fields)[number]];
      plain = false;
    }
    if (g.extra !== null) {
      fields = [...fields.slice(0, 3), g.extra, ...fields.slice(3)];
      plain = false;
    }
    if (g.tidLater) {
      fields = [fields[1] as (typeof fields)[number], fields[0] as (typeof fields)[number], ...fields.slice(2)];
      plain = false;
    }
    const bytes = Buffer.concat([Buffer.from([0x8c, 0x82]), ...fields.flatMap((f) => [Buffer.from([f.code]), f.v])]);
    return { bytes, plain };
  });

t.test('what the plain check accepts, the full decode and checkMms accept; the plain form is accepted', async (t) => {
  let accepted = 0;
  let plainSeen = 0;
  fc.assert(
    fc.property(notification, ({ bytes, plain }) => {
      const quick = isPlainNotificationInd(bytes);
      const full = fullyValid(bytes);
      if (quick) accepted++;
      if (plain) plainSeen++;
      if (quick && !full) return false;
      if (plain && !quick) return false;
      return true;
    }),
    { numRuns: 4000, seed: 0x3e12 },
  );
  t.ok(accepted > 150 && plainSeen > 150, `plain notifications accepted: ${accepted} (plain generated: ${plainSeen})`);
});

t.test('mutated notifications: the plain check never accepts what the full path refuses', async (t) => {
  const base = encodeMms(
    buildNotificationInd({ transactionId: 'T1', messageClass: 'Personal', messageSize: 3000, expiry: { kind: 'relative', seconds: 604800 }, contentLocation: 'http://mmsc.example/m/1' }),
  );
  t.ok(isPlainNotificationInd(base), 'the builder\'s m-notification-ind is of the plain form');
  let refusedByFull = 0;
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'cut'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (edits) => {
      let b = Buffer.from(base);
      for (const [op, at0, v] of edits) {
        const at = at0 % (b.length + 1);
        if (op === 'set' && at < b.length) b[at] = v;
        else if (op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([v]), b.subarray(at)]);
        else if (op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else if (op === 'cut') b = b.subarray(0, at);
      }
      const full = fullyValid(b);
      if (!full) refusedByFull++;
      return !isPlainNotificationInd(b) || full;
    }),
    { numRuns: 6000, seed: 0x77 },
  );
  t.ok(refusedByFull > 1000, `mutations the full path refuses: ${refusedByFull}`);
});

t.test('the forms the plain check leaves to the full decode', async (t) => {
  const ok = Buffer.from('8c8298543100' + '8d92' + '8a80' + '8e020bb8' + '880581030 93a80'.replace(/ /g, '') + '83' + Buffer.from('http://a/\0', 'latin1').toString('hex'), 'hex');
  t.ok(isPlainNotificationInd(ok), 'plain');
  t.notOk(isPlainNotificationInd(Buffer.from(ok.toString('hex').replace('8c82', '8c86'), 'hex')), 'another message type (m-delivery-ind)');
  t.notOk(isPlainNotificationInd(ok.subarray(0, ok.length - 1)), 'a Content-Location without its NUL');
  t.notOk(isPlainNotificationInd(Buffer.concat([ok, Buffer.from([0x96, 0x41, 0])])), 'a Subject (any field beyond the mandatory ones)');
  t.notOk(isPlainNotificationInd(Buffer.from(ok.toString('hex').replace('8d92', '8d94'), 'hex')), 'an MMS version above 1.3');
});
