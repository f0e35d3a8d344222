/**
 * Delivery receipts (SMPP 3.4 Appendix B text; receipted_message_id / message_state TLVs).
 */
import fc from 'fast-check';
import t from 'tap';
import { isDeliveryReceipt, parseReceiptText, receiptFromDeliverSm } from '../../src/ppg/bearers/smpp-receipt';

const TEXT = 'id:0A1B2C3D sub:001 dlvrd:001 submit date:2612071345 done date:2612071346 stat:DELIVRD err:000 text:hello world';

t.test('Appendix B text', async (t) => {
  t.strictSame(parseReceiptText(TEXT), {
    text: 'hello world',
    id: '0A1B2C3D',
    sub: '001',
    dlvrd: '001',
    submitDate: '2612071345',
    doneDate: '2612071346',
    stat: 'DELIVRD',
    err: '000',
  });
  t.strictSame(parseReceiptText('ID:7 STAT:UNDELIV'), { id: '7', stat: 'UNDELIV' }, 'case-insensitive keys, no text');
});

t.test('receipt from deliver_sm', async (t) => {
  t.equal(isDeliveryReceipt(0x04), true);
  t.equal(isDeliveryReceipt(0x44), true, 'UDHI does not matter');
  t.equal(isDeliveryReceipt(0x00), false);
  t.equal(isDeliveryReceipt(0x08), false, 'SME delivery acknowledgement is not an SMSC receipt');
  t.strictSame(receiptFromDeliverSm({ esm_class: 0x04, text: TEXT }, 5), { messageId: '0A1B2C3D', state: 'delivered', at: 5, raw: TEXT });
  t.match(receiptFromDeliverSm({ esm_class: 0x04, text: TEXT.replace('DELIVRD', 'EXPIRED') }, 5), { state: 'expired' });
  t.match(receiptFromDeliverSm({ esm_class: 0x04, text: TEXT.replace('DELIVRD', 'REJECTD') }, 5), { state: 'rejected' });
  t.match(receiptFromDeliverSm({ esm_class: 0x04, text: TEXT.replace('DELIVRD', 'WHATEVER') }, 5), { state: 'unknown' });
  // TLVs win over the text
  t.match(receiptFromDeliverSm({ esm_class: 0x04, receipted_message_id: 'X9', message_state: 5, text: TEXT }, 1), { messageId: 'X9', state: 'undeliverable' });
  t.strictSame(receiptFromDeliverSm({ esm_class: 0x04, receipted_message_id: 'X9', message_state: 4 }, 1), { messageId: 'X9', state: 'deleted', at: 1 });
  t.equal(receiptFromDeliverSm({ esm_class: 0x00, text: TEXT }, 1), undefined, 'an MO SMS is not a receipt');
  t.equal(receiptFromDeliverSm({ esm_class: 0x04, text: 'stat:DELIVRD' }, 1), undefined, 'no id, nothing to match');
});

t.test('any text: a receipt or undefined, never a throw', async () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 0, max: 255 }), fc.option(fc.integer({ min: 0, max: 255 })), (text, esm, state) => {
      const r = receiptFromDeliverSm({ esm_class: esm, text, ...(state === null ? {} : { message_state: state }) }, 1);
      return r === undefined || (typeof r.messageId === 'string' && r.messageId.length > 0);
    }),
    { numRuns: 2000 },
  );
});
