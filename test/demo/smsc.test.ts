/**
 * The demo SMSC: binds checked against system_id/password, every push logged decoded at info
 * (ports, WSP Push, the m-notification-ind's fields; the MSISDN redacted), concatenated pushes
 * logged once when the last part is in; the gateway starts it from demoSmsc.* config.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import { buildNotificationInd, encodeMms } from '../../src/codec/mms';
import { createLogger } from '../../src/core/logger';
import { DemoSmsc } from '../../src/demo/smsc';
import { SmppBearer } from '../../src/ppg/bearers/smpp';
import { encodeConnectionlessPush } from '../../src/ppg/wsp-push';

function capture(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

const push = (loc: string) =>
  encodeConnectionlessPush({
    tid: 3,
    contentType: 'application/vnd.wap.mms-message',
    applicationId: 4,
    body: encodeMms(buildNotificationInd({ transactionId: 'DEMO-1', messageSize: 2048, expiry: 3600, contentLocation: loc })),
  });

t.test('logs each decoded push; checks credentials', async (t) => {
  const { logger, lines } = capture();
  const smsc = new DemoSmsc({ logger, systemId: 'wapgw', password: 'secret', receipts: false });
  await smsc.start();
  const wrong = new SmppBearer({ smsc: [{ host: '127.0.0.1', port: smsc.port, systemId: 'wapgw', password: 'nope', reconnectMinMs: 10_000 }] });
  await wrong.start();
  while (smsc.binds.length < 1) await new Promise((r) => setTimeout(r, 10));
  t.equal(smsc.binds[0]!.status, 0x0e, 'ESME_RINVPASWD for a wrong password');
  await wrong.close(Date.now() + 500);

  const b = new SmppBearer({ smsc: [{ host: '127.0.0.1', port: smsc.port, systemId: 'wapgw', password: 'secret' }] });
  await b.start();
  while (!b.healthy()) await new Promise((r) => setTimeout(r, 10));
  const long = `http://127.0.0.1:8942/mms/${'L'.repeat(180)}`;
  t.match(await b.submit('+15550000009', push('http://127.0.0.1:8942/mms/abc'), { registeredDelivery: false }), { ok: true });
  t.match(await b.submit('+15550000009', push(long), { registeredDelivery: false }), { ok: true });
  await b.close(Date.now() + 500);
  await smsc.close();
  const pushes = lines.filter((l) => l.msg === 'demo SMSC received a push');
  t.equal(pushes.length, 2, 'one line per push, not per SMS');
  t.match(pushes[0], { msisdn: '[redacted]', parts: 1, ports: { dst: 2948, src: 9200 }, wsp: { pdu: 'Push', tid: 3 }, mms: { messageType: 'm-notification-ind', contentLocation: 'http://127.0.0.1:8942/mms/abc', messageSize: 2048 } });
  t.match(pushes[1], { parts: 3, mms: { contentLocation: long } });
  t.notMatch(JSON.stringify(lines), /15550000009/, 'the MSISDN never appears in the log');
});
