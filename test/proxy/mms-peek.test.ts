import t from 'tap';
import { peekMms } from '../../src/proxy/mms-peek';

t.test('message type and transaction id from the first bytes', async (t) => {
  // m-send-req, Transaction-Id "T1", MMS-Version 1.2 (ENC 1.3 §6.1.1 order)
  t.same(peekMms(Buffer.from([0x8c, 0x80, 0x98, 0x54, 0x31, 0x00, 0x8d, 0x92])), { type: 'm-send-req', transactionId: 'T1' });
  t.same(peekMms(Buffer.from([0x8c, 0x84, 0x98, 0x7f, 0x41, 0x00])), { type: 'm-retrieve-conf', transactionId: 'A' }, 'quoted text');
  t.same(peekMms(Buffer.from([0x8c, 0x86, 0x8d, 0x92])), { type: 'm-delivery-ind' }, 'no transaction id');
  t.same(peekMms(Buffer.from([0x8c, 0xf0])), { type: '0xf0' }, 'unknown type shown as hex');
  t.same(peekMms(Buffer.from([0x8c, 0x80, 0x98, 0x41, 0x0a, 0x42])), { type: 'm-send-req', transactionId: 'A?B' }, 'unterminated, control chars masked');
  t.equal(peekMms(Buffer.from('<html>')), null);
  t.equal(peekMms(Buffer.from([0x8c])), null);
  const long = peekMms(Buffer.concat([Buffer.from([0x8c, 0x80, 0x98]), Buffer.alloc(500, 0x41)]));
  t.equal(long?.transactionId?.length, 64, 'bounded');
});
