import t from 'tap';
import type { Tap } from '../helpers/tap';
import { decodeMms, getField } from '../../src/codec/mms';
import { defaultConfig } from '../../src/config/load';
import { silentLogger } from '../../src/core/logger';
import { DemoMmsc } from '../../src/demo/mmsc';
import { acknowledgeInd, notifyRespInd, sendReq } from '../helpers/mms-samples';

const MMS = 'application/vnd.wap.mms-message';
const FIXED_NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

async function startMmsc(t: Tap, maxMessages = 1000) {
  const mmsc = new DemoMmsc({
    config: { ...defaultConfig().demoMmsc, enabled: true, port: 0, maxMessages },
    logger: silentLogger(),
    now: () => FIXED_NOW,
  });
  const [l] = await mmsc.start();
  t.teardown(() => mmsc.close(Date.now()));
  const base = `http://127.0.0.1:${l!.port}`;
  const post = (body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${base}/mms`, { method: 'POST', body, headers: { 'content-type': MMS, ...headers } });
  return { mmsc, base, post };
}

t.test('send -> retrieve -> notifyresp -> acknowledge', async (t) => {
  const { mmsc, post } = await startMmsc(t);
  const req = sendReq('T-0001', 'hello');
  const r = await post(req, { 'x-wap-network-client-msisdn': '+15550000001', 'x-wap-network-client-ip': '10.0.0.7' });
  t.equal(r.status, 200);
  t.equal(r.headers.get('content-type'), MMS);
  const conf = Buffer.from(await r.arrayBuffer());
  const loc = r.headers.get('x-mms-content-location') ?? '';
  const id = /\/mms\/([A-Za-z0-9_-]+)$/.exec(loc)?.[1] ?? '';
  t.ok(id.length >= 22, 'an unguessable id (128 random bits)');
  // m-send-conf: 8C 81 | 98 "T-0001\0" | 8D 92 | 92 80 (Ok) | 8B "<id>\0"
  const expected = Buffer.concat([
    Buffer.from([0x8c, 0x81, 0x98]),
    Buffer.from('T-0001\0', 'latin1'),
    Buffer.from([0x8d, 0x92, 0x92, 0x80, 0x8b]),
    Buffer.from(`${id}\0`, 'latin1'),
  ]);
  t.equal(conf.toString('hex'), expected.toString('hex'), 'm-send-conf bytes');

  const g = await fetch(loc);
  t.equal(g.status, 200);
  t.equal(g.headers.get('content-type'), MMS);
  t.equal(g.headers.get('cache-control'), 'no-store');
  const rc = Buffer.from(await g.arrayBuffer());
  t.equal(rc.subarray(0, 2).toString('hex'), '8c84', 'm-retrieve-conf');
  const date = Buffer.from([0x85, 0x04, ...Buffer.from((FIXED_NOW / 1000).toString(16), 'hex')]);
  t.ok(rc.includes(date), 'Date added (Long-integer seconds)');
  t.ok(rc.includes(Buffer.from(`\x8b${id}\0`, 'latin1')), 'Message-ID');
  t.ok(rc.includes(Buffer.from('\x89\x18\x80+15550000001/TYPE=PLMN\0', 'latin1')), 'From filled in from the MSISDN header');
  t.notOk(rc.includes(Buffer.from('+15550000010', 'latin1')), 'Bcc dropped');
  t.ok(rc.includes(Buffer.from('\x97+15550000009/TYPE=PLMN\0', 'latin1')), 'To kept');
  const tail = req.subarray(req.indexOf(0x84, 20));
  t.equal(rc.subarray(rc.length - tail.length).toString('hex'), tail.toString('hex'), 'same Content-Type and parts');

  const decoded = decodeMms(rc);
  t.equal(decoded.type, 'm-retrieve-conf', 'the MMS codec reads it back');
  t.equal(getField(decoded, 'Message-ID'), id);
  t.equal(getField(decoded, 'Date'), FIXED_NOW / 1000);
  t.equal(getField(decoded, 'X-Mms-Transaction-Id'), 'T-0001');

  const n = await post(notifyRespInd());
  t.equal(n.status, 204);
  const a = await post(acknowledgeInd());
  t.equal(a.status, 204);
  t.match(mmsc.status(), { received: 1, retrieved: 1, notifyResp: 1, acknowledge: 1, stored: 1 });
});

t.test('errors: malformed PDU, not MMS, unknown id, oversize', async (t) => {
  const { base, post, mmsc } = await startMmsc(t);
  const bad = await post(Buffer.from([0x8c, 0x80, 0x98, 0x41, 0x42])); // TID without NUL
  t.equal(bad.status, 200, 'MMSCs answer a corrupt PDU with HTTP 200');
  const body = Buffer.from(await bad.arrayBuffer());
  t.equal(body.subarray(0, 2).toString('hex'), '8c81', 'm-send-conf');
  t.ok(body.includes(Buffer.from([0x92, 0xe2])), 'Response-Status 0xE2 format corrupt');

  const noBody = await post(Buffer.concat([sendReq().subarray(0, 11)]));
  t.equal(noBody.status, 200);
  t.ok(Buffer.from(await noBody.arrayBuffer()).includes(Buffer.from([0x92, 0xe2])), 'm-send-req without Content-Type');

  const html = await post(Buffer.from('<html>hi</html>'), { 'content-type': 'text/html' });
  t.equal(html.status, 400, 'not MMS');
  await html.arrayBuffer();

  const miss = await fetch(`${base}/mms/AAAAAAAAAAAAAAAAAAAAAA`);
  t.equal(miss.status, 404);
  await miss.arrayBuffer();
  const big = await post(Buffer.alloc(2 * 1024 * 1024 + 1, 0x8c));
  t.equal(big.status, 413);
  await big.arrayBuffer();
  t.match(mmsc.status(), { received: 0, rejected: 3 });
});

t.test('GET /bytes?size=N', async (t) => {
  const { base } = await startMmsc(t);
  const r = await fetch(`${base}/bytes?size=300000`);
  t.equal(r.status, 200);
  const b = Buffer.from(await r.arrayBuffer());
  t.equal(b.length, 300000);
  t.equal(b[257], 1, 'a known pattern (i & 0xff)');
  const zero = await fetch(`${base}/bytes?size=0`);
  t.equal(Buffer.from(await zero.arrayBuffer()).length, 0);
  for (const s of ['2097153', '-1', 'abc', '']) {
    const x = await fetch(`${base}/bytes?size=${s}`);
    t.equal(x.status, 400, `size=${s}`);
    await x.arrayBuffer();
  }
});

t.test('bounded by maxMessages (least recently used go first)', async (t) => {
  const { post } = await startMmsc(t, 2);
  const locs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await post(sendReq(`T-${i}`));
    await r.arrayBuffer();
    locs.push(r.headers.get('x-mms-content-location') ?? '');
  }
  t.equal((await fetch(locs[0]!)).status, 404, 'the oldest is gone');
  t.equal((await fetch(locs[2]!)).status, 200);
});

t.test('the retrieval Date is the submission time; GET /mms lists what is stored, with the identity seen', async (t) => {
  let now = Date.UTC(2026, 10, 24, 12, 0, 0);
  const lines: string[] = [];
  const { createLogger } = await import('../../src/core/logger');
  // the real logger with redaction on, as shipped: the demo's identity headers still show
  const logger = createLogger({ level: 'info', redactPersonalData: true, destination: { write: (s: string) => lines.push(s) } });
  const mmsc = new DemoMmsc({ config: { ...defaultConfig().demoMmsc, enabled: true, port: 0 }, logger, now: () => now });
  const [l] = await mmsc.start();
  t.teardown(() => mmsc.close(Date.now()));
  const base = `http://127.0.0.1:${l!.port}`;
  const empty = await fetch(`${base}/mms`);
  t.equal(empty.status, 200, 'GET /mms answers (fakewap and the README use it)');
  t.match(await empty.text(), /^demo MMSC: 0 message\(s\) stored\n$/);
  const r = await fetch(`${base}/mms`, {
    method: 'POST',
    body: sendReq('T-0002', 'hi'),
    headers: { 'content-type': MMS, 'x-wap-network-client-msisdn': '+15550000001', 'x-wap-network-client-ip': '127.0.0.1', 'x-imsi': '001010000000001' },
  });
  const loc = r.headers.get('x-mms-content-location') ?? '';
  const id = loc.split('/').pop() as string;
  const submitted = now;
  now += 3_600_000; // retrieved an hour later
  const rc = decodeMms(Buffer.from(await (await fetch(loc)).arrayBuffer()));
  t.equal(getField(rc, 'Date'), submitted / 1000, 'Date is when it was submitted, not when retrieved');
  const list = await (await fetch(`${base}/`)).text();
  t.match(list, /^demo MMSC: 1 message\(s\) stored\n/);
  t.match(list, new RegExp(`^${id} submitted=2026-11-24T12:00:00.000Z octets=\\d+ from=\\+15550000001/TYPE=PLMN x-wap-network-client-ip=127.0.0.1 x-wap-network-client-msisdn=\\+15550000001 x-imsi=001010000000001$`, 'm'));
  const stored = lines.map((s) => JSON.parse(s) as Record<string, unknown>).find((o) => o.msg === 'demo MMSC: message stored');
  t.match(stored, { from: '+15550000001/TYPE=PLMN', headers: { 'x-wap-network-client-msisdn': '+15550000001', 'x-imsi': '001010000000001' } }, 'the MSISDN the demo saw is logged, not [redacted]');
});
