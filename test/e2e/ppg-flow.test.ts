/**
 * The seed's flow end to end, in process, through src/main.ts exactly as `npm start` wires it
 * (issue 12 item 9): handset A posts an m-send-req over WSP; the demo MMSC stores it and sends a
 * PAP push for the recipient to our PPG; the PPG submits the SMS over SMPP to the demo SMSC (a
 * real SMPP server); the test decodes the SMS (UDH ports, concatenation), the WSP Push and the
 * m-notification-ind inside, takes its Content-Location, retrieves the message over WSP and over
 * the HTTP proxy, and posts the m-notifyresp-ind.
 */
import t from 'tap';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMms, getField } from '../../src/codec/mms';
import { decodeUserDataWithHeader, reassemble } from '../../src/codec/sms';
import { decodeWsp } from '../../src/codec/wsp';
import { configSchema } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Gateway } from '../../src/main';
import { Metrics } from '../../src/ops/metrics';
import type { DemoSmsc } from '../../src/demo/smsc';
import { freePorts } from '../helpers/free-port';
import { notifyRespInd, sendReq } from '../helpers/mms-samples';
import { Handset } from '../helpers/wsp-handset';

const MMS = 'application/vnd.wap.mms-message';

function proxyGet(proxyPort: number, url: string): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, method: 'GET', path: url, headers: { host: new URL(url).host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('m-send-req over WSP -> demo MMSC -> PAP -> PPG -> SMPP -> decode -> retrieve (WSP, proxy) -> m-notifyresp-ind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-e2e-ppg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [mmscPort, ppgPort, smscPort] = await freePorts(3);
  const config = configSchema.parse({
    mmsc: { url: `http://127.0.0.1:${mmscPort}/mms`, timeoutMs: 5000 },
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, connectionlessMaxAmplification: 0 },
    wtp: { ackIntervalMs: 200, retryIntervalMs: 300 },
    proxy: { bind: '127.0.0.1', port: 0, allowedNetworks: ['127.0.0.0/8'], requireSubscriber: false },
    admin: { enabled: false },
    demoMmsc: { enabled: true, bind: '127.0.0.1', port: mmscPort, ppgUrl: `http://127.0.0.1:${ppgPort}/wappush` },
    demoSmsc: { enabled: true, bind: '127.0.0.1', port: smscPort, systemId: 'wapgw', password: 'demo' },
    ppg: {
      enabled: true,
      bind: '127.0.0.1',
      port: ppgPort,
      stateDir: join(dir, 'ppg'),
      allowedNetworks: ['127.0.0.0/8'],
      smsc: [{ host: '127.0.0.1', port: smscPort, systemId: 'wapgw', password: 'demo', reconnectMinMs: 100 }],
    },
    log: { level: 'silent' },
  });
  const gw = new Gateway({ config, logger: silentLogger(), metrics: new Metrics() });
  gw.subscribers.bind({ key: '127.0.0.1', msisdn: '+15550000001', source: 'static', since: Date.now() });
  const listening = await gw.start();
  t.teardown(() => gw.close(500));
  const port = (name: string) => listening.find((l) => l.name === name)?.port ?? 0;
  const smsc = gw.components.find((c) => c.name === 'demo-smsc') as unknown as DemoSmsc;

  // 1. handset A sends the MMS over WSP (connection-oriented)
  const a = new Handset({ port: port('wsp-connection-oriented') });
  await a.open();
  t.teardown(() => a.close());
  await a.connect();
  const sent = await a.post(config.mmsc.url, MMS, sendReq('E2E-1', 'hello over push'));
  t.equal(sent.status, 200, 'm-send-conf');
  t.equal(sent.body.subarray(0, 2).toString('hex'), '8c81');

  // 2.-3. the demo MMSC pushes, the PPG submits to the SMSC: wait for the recipient's SMS
  const end = Date.now() + 15000;
  const partsFor = () => smsc.submits.filter((s) => s.destination === '15550000009');
  while (reassemble(partsFor().map((p) => decodeUserDataWithHeader(p.shortMessage))).complete.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  const parts = partsFor();
  t.ok(parts.length >= 1, `the recipient's push reached the SMSC in ${parts.length} SMS`);
  for (const p of parts) {
    t.equal(p.esmClass & 0x40, 0x40, 'UDHI');
    t.equal(p.dataCoding, 0x04, '8-bit');
    t.equal(p.destTon, 1, 'international number');
  }
  const r = reassemble(parts.map((p) => decodeUserDataWithHeader(p.shortMessage)));
  t.equal(r.complete.length, 1);
  t.same(r.complete[0]?.ports, { dst: 2948, src: 9200 });
  const push = decodeWsp(r.complete[0]!.data, { connectionless: true }) as unknown as { type: string; headers: Array<{ name: string; value: string }>; data: Buffer };
  t.equal(push.type, 'Push');
  t.equal(push.headers.find((h) => h.name === 'X-Wap-Application-Id')?.value, 'x-wap-application:mms.ua');
  const ind = decodeMms(Buffer.from(push.data));
  t.equal(ind.type, 'm-notification-ind');
  const location = String(getField(ind, 'X-Mms-Content-Location'));
  t.match(location, new RegExp(`^http://127\\.0\\.0\\.1:${mmscPort}/mms/[A-Za-z0-9_-]{16,}$`));
  t.ok(Number(getField(ind, 'X-Mms-Message-Size')) > 0, 'size of the stored message');
  const tid = String(getField(ind, 'X-Mms-Transaction-Id'));

  // 4. the recipient retrieves over WSP ...
  const b = new Handset({ port: port('wsp-connection-oriented') });
  await b.open();
  t.teardown(() => b.close());
  await b.connect();
  const viaWsp = await b.get(location);
  t.equal(viaWsp.status, 200);
  t.equal(decodeMms(viaWsp.body).type, 'm-retrieve-conf');
  t.ok(viaWsp.body.includes(Buffer.from('hello over push')), 'the message text');
  // ... and over the HTTP proxy
  const viaProxy = await proxyGet(port('proxy'), location);
  t.equal(viaProxy.status, 200);
  t.equal(viaProxy.type, MMS);
  t.equal(viaProxy.body.toString('hex'), viaWsp.body.toString('hex'), 'the same m-retrieve-conf both ways');

  // 5. and acknowledges the notification
  const resp = await b.post(config.mmsc.url, MMS, notifyRespInd(tid));
  t.equal(resp.status, 204);
  const status = (await gw.status()) as { components: Record<string, Record<string, unknown>> };
  t.equal(status.components['demo-mmsc']?.notifyResp, 1);
  t.ok(Number(status.components['demo-mmsc']?.pushes) >= 1, 'the demo MMSC counted its accepted pushes');
  const ppg = status.components.ppg as { addresses: Record<string, number> };
  t.ok((ppg.addresses.accepted ?? 0) + (ppg.addresses.delivered ?? 0) >= 1, 'the PPG holds the push as taken by the SMSC');
});
