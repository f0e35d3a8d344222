import t from 'tap';
import { buildDeliveryInd, buildNotificationInd, encodeMms } from '../../src/codec/mms';
import { applicationIdOf, preparePushContent } from '../../src/ppg/content';
import type { ContentEntity } from '../../src/ppg/multipart';
import { PapError } from '../../src/ppg/pap';

const entity = (mediaType: string, body: Buffer, applicationId?: string): ContentEntity => ({ contentType: mediaType, mediaType, body, ...(applicationId ? { applicationId } : {}) });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as PapError).papCode;
  }
  return undefined;
};

t.test('X-Wap-Application-Id: registered names by number, numbers, URIs', async (t) => {
  t.equal(applicationIdOf('x-wap-application:mms.ua'), 4);
  t.equal(applicationIdOf('X-WAP-Application:WML.UA'), 2);
  t.equal(applicationIdOf('mms.ua'), 4);
  t.equal(applicationIdOf('4'), 4);
  t.equal(applicationIdOf('http://example.com/app'), 'http://example.com/app');
  t.equal(applicationIdOf(undefined), undefined);
  t.equal(code(() => applicationIdOf('two words')), 2000);
});

t.test('MMS: the PDUs a phone takes by push pass unchanged; mms.ua by default', async (t) => {
  const ind = encodeMms(buildNotificationInd({ transactionId: 'T', messageSize: 1, expiry: 60, contentLocation: 'http://x/y' }));
  const c = preparePushContent(entity('application/vnd.wap.mms-message', ind));
  t.equal(c.body, ind);
  t.equal(c.applicationId, 4);
  const dr = encodeMms(buildDeliveryInd({ messageId: 'm', to: '+1234567', date: 1_700_000_000, status: 'Retrieved' }));
  t.equal(preparePushContent(entity('application/vnd.wap.mms-message', dr, '4')).contentType, 'application/vnd.wap.mms-message');
  // a notification missing its Content-Location is refused with the reason
  const bad = encodeMms({ type: 'm-notification-ind', headers: [{ field: 'X-Mms-Transaction-Id', value: 'T' }, { field: 'X-Mms-MMS-Version', value: '1.2' }] } as never);
  try {
    preparePushContent(entity('application/vnd.wap.mms-message', bad));
    t.fail('accepted');
  } catch (e) {
    t.equal((e as PapError).papCode, 2000);
    t.match((e as Error).message, /X-Mms-Content-Location/);
  }
});

t.test('SI/SL compiled, compiled types passed, others refused', async (t) => {
  const sl = preparePushContent(entity('application/vnd.wap.sl', Buffer.from('<sl href="http://a.example/"/>'), 'x-wap-application:wml.ua'));
  t.equal(sl.contentType, 'application/vnd.wap.slc');
  t.equal(sl.body[1], 0x06, 'SL public id');
  t.equal(sl.applicationId, 2);
  const sic = Buffer.from('02056a0045c60c036100010101', 'hex');
  t.same(preparePushContent(entity('application/vnd.wap.sic', sic)), { contentType: 'application/vnd.wap.sic', body: sic });
  t.equal(code(() => preparePushContent(entity('text/html', Buffer.from('<p>')))), 3006);
  t.equal(code(() => preparePushContent(undefined)), 2000);
  t.equal(code(() => preparePushContent(entity('application/vnd.wap.sic', Buffer.alloc(0)))), 2000);
});
