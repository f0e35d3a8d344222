/**
 * The PPG benchmark's pieces (bench/ppg/lib.js), nothing timed: the initiator's PAP requests
 * are what a PPG accepts (our PAP parser, multipart splitter and content check read them), the
 * m-notification-ind is well formed, and the test SMSC finds the push number in a submit_sm
 * sent by a real SMPP client (the npm smpp package).
 */
import t from 'tap';
import { decodeMms, checkMms, getField } from '../../src/codec/mms';
import { decodePap } from '../../src/ppg/pap';
import { splitPapBody } from '../../src/ppg/multipart';
import { preparePushContent } from '../../src/ppg/content';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const P = require('../../bench/ppg/lib.js') as {
  pushBody(n: number, o?: { deliverAfter?: string; kind?: 'mms' | 'si' }): Buffer;
  CONTENT_TYPE: string;
  notification(n: number): Buffer;
  startSmsc(o?: { status?: number }): Promise<{ port: number; submits: Map<number, number>; stats: { submits: number; binds: unknown[] }; close(): Promise<void> }>;
  until(pred: () => boolean, ms: number): Promise<boolean>;
};

t.test('the initiator sends a PAP push-message our PPG reads', async (t) => {
  const body = P.pushBody(42, { deliverAfter: '2030-01-01T00:00:00Z' });
  const split = splitPapBody(P.CONTENT_TYPE, body, { maxControlBytes: 65536, maxContentBytes: 16384 });
  const doc = decodePap(split.control) as unknown as { message: { kind: string; pushId: string; addresses: Array<{ value?: string; client?: string }>; deliverAfter?: number } };
  t.equal(doc.message.kind, 'push-message');
  t.equal(doc.message.pushId, 'push-42@bench.example');
  t.match(JSON.stringify(doc.message.addresses), /\+4917/);
  const content = preparePushContent(split.content);
  t.equal(content.contentType, 'application/vnd.wap.mms-message');
  t.equal(content.applicationId, 4, 'mms.ua');
  const pdu = decodeMms(P.notification(42));
  t.equal(pdu.type, 'm-notification-ind');
  t.same(checkMms(pdu), []);
  t.equal(getField(pdu, 'X-Mms-Content-Location'), 'http://mmsc.example/m/42xb');
  t.same(getField(pdu, 'X-Mms-Expiry'), { kind: 'relative', seconds: 604800 });
  // --content si: an SI document our PPG compiles to SIC, the marker still in the href
  const si = preparePushContent(splitPapBody(P.CONTENT_TYPE, P.pushBody(9, { kind: 'si' }), { maxControlBytes: 65536, maxContentBytes: 16384 }).content);
  t.equal(si.contentType, 'application/vnd.wap.sic');
  t.match(si.body.toString('latin1'), /\/m\/9xb/);
});

t.test('the test SMSC timestamps a submit by its push number', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const smpp = require('smpp') as { connect(o: { url: string }): { on(e: string, f: (x: unknown) => void): void; bind_transceiver(p: object, cb: (pdu: { command_status: number }) => void): void; submit_sm(p: object, cb: (pdu: { command_status: number; message_id: string }) => void): void; close(): void } };
  const smsc = await P.startSmsc();
  t.teardown(() => smsc.close());
  const session = smpp.connect({ url: `smpp://127.0.0.1:${smsc.port}` });
  session.on('error', () => {});
  const bound = await new Promise<number>((r) => session.bind_transceiver({ system_id: 'test', password: 'x' }, (pdu) => r(pdu.command_status)));
  t.equal(bound, 0);
  const udh = Buffer.from('0605040b8423f0', 'hex');
  const wsp = Buffer.concat([Buffer.from([0x01, 0x06, 0x01, 0xbe]), P.notification(7)]);
  const resp = await new Promise<{ command_status: number; message_id: string }>((r) =>
    session.submit_sm({ destination_addr: '4917000007', esm_class: 0x40, data_coding: 4, short_message: { udh, message: wsp } }, r),
  );
  t.equal(resp.command_status, 0);
  t.ok(resp.message_id);
  t.ok(await P.until(() => smsc.submits.has(7), 5000), 'push 7 seen');
  t.equal(smsc.stats.submits, 1);
  session.close();
});
