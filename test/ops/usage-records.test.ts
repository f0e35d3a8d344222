/**
 * Usage records (issue 14): one per MMS transaction on the WSP and proxy paths, parsed back
 * after a clean stop; the correlation id from the request to the MMSC, the access log and the
 * record; the writer's files (rotation, CSV, crash recovery, a full disk) on its own.
 */
import t from 'tap';
import { freePort } from '../helpers/free-port';
import type { Tap } from '../helpers/tap';
import { request } from 'node:http';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRetrieveConf, buildSendConf, encodeMms } from '../../src/codec/mms';
import { peekMmsHeaders } from '../../src/codec/mms/peek';
import { defaultConfig } from '../../src/config/load';
import { silentLogger } from '../../src/core/logger';
import { TraceIds } from '../../src/core/trace-id';
import { Metrics } from '../../src/ops/metrics';
import { csvField, USAGE_FIELDS, UsageRecords, usageFromExchange, type MmsExchange, type UsageRecord } from '../../src/ops/usage-records';
import { startGateway, tempDir, writeTestConfig } from '../helpers/gateway-process';
import { sendReq } from '../helpers/mms-samples';
import { Handset } from '../helpers/wsp-handset';

function viaProxy(port: number, method: string, url: string, body?: Buffer): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: url, headers: body ? { 'content-type': 'application/vnd.wap.mms-message', 'content-length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('peekMmsHeaders: the charging facts from the header only', async (t) => {
  const conf = encodeMms(buildSendConf({ transactionId: 'T-9', version: '1.2', status: 'Ok', messageId: 'msg-123' }));
  t.same(peekMmsHeaders(conf), { type: 'm-send-conf', transactionId: 'T-9', messageId: 'msg-123', responseStatus: 'Ok' });
  const rc = encodeMms(buildRetrieveConf({ transactionId: 'T-10', messageId: 'abc', date: 1, parts: [{ contentType: 'text/plain', data: 'x' }] }));
  t.match(peekMmsHeaders(rc), { type: 'm-retrieve-conf', messageId: 'abc' });
  t.match(peekMmsHeaders(sendReq('T-0001')), { type: 'm-send-req', transactionId: 'T-0001' });
  t.match(peekMmsHeaders(conf.subarray(0, 6)), { type: 'm-send-conf' }, 'truncated: what was read');
  t.equal(peekMmsHeaders(Buffer.from('hello')), null, 'not MMS');
  // an application header (token-text name, text value) before Message-ID is skipped
  const app = Buffer.concat([Buffer.from([0x8c, 0x80, 0x98]), Buffer.from('T\0X-Foo\0bar\0', 'latin1'), Buffer.from([0x8b]), Buffer.from('m1\0', 'latin1')]);
  t.same(peekMmsHeaders(app), { type: 'm-send-req', transactionId: 'T', messageId: 'm1' });
});

t.test('usageFromExchange: only MMS that reached the MMSC', async (t) => {
  const base: MmsExchange = {
    bearer: 'proxy',
    startedAt: Date.UTC(2026, 11, 7),
    durationMs: 12.34,
    sourceIp: '10.0.0.1',
    subscriber: { key: '10.0.0.1', msisdn: '15550001', imsi: '001010000000001', nas: 'pgw1', apn: 'mms', source: 'radius', since: 0 },
    traceId: 'abc-1',
    requestHead: sendReq('T-1'),
    responseHead: encodeMms(buildSendConf({ transactionId: 'T-1', version: '1.2', status: 'Ok', messageId: 'M-1' })),
    octetsUp: 100,
    octetsDown: 20,
    upstreamStatus: 200,
    status: 200,
  };
  t.same(usageFromExchange(base), {
    time: '2026-12-07T00:00:00.000Z',
    traceId: 'abc-1',
    bearer: 'proxy',
    msisdn: '15550001',
    imsi: '001010000000001',
    sourceIp: '10.0.0.1',
    nas: 'pgw1',
    apn: 'mms',
    mmsType: 'm-send-req',
    mmsResponseType: 'm-send-conf',
    transactionId: 'T-1',
    messageId: 'M-1',
    mmsResponseStatus: 'Ok',
    octetsUp: 100,
    octetsDown: 20,
    upstreamStatus: '200',
    status: 200,
    durationMs: 12.3,
  });
  t.equal(usageFromExchange({ ...base, upstreamStatus: undefined }), null, 'refused by the gateway: not a transaction');
  t.equal(usageFromExchange({ ...base, requestHead: undefined, responseHead: Buffer.from('bytes') }), null, 'not MMS');
  t.match(usageFromExchange({ ...base, responseHead: undefined, upstreamStatus: 'timeout', status: 504 }), { mmsType: 'm-send-req', upstreamStatus: 'timeout', messageId: null });
  t.equal(USAGE_FIELDS.length, Object.keys(usageFromExchange(base) as UsageRecord).length, 'every field is a CSV column');
  t.equal(csvField('a,"b"'), '"a,""b"""');
  t.equal(csvField(null), '');
});

t.test('trace ids: unique, client copies removed', async (t) => {
  const ids = new TraceIds('X-Wapgw-Trace-Id');
  const list: Array<[string, string]> = [['x-wapgw-trace-id', 'forged'], ['X_Wapgw_Trace_Id', 'forged'], ['Accept', '*/*']];
  const id = ids.applyToList(list);
  t.same(list, [['Accept', '*/*'], ['X-Wapgw-Trace-Id', id]]);
  const obj: Record<string, string> = { 'x-wapgw-trace-id': 'forged', accept: '*/*' };
  const id2 = ids.applyToObject(obj);
  t.same(obj, { accept: '*/*', 'X-Wapgw-Trace-Id': id2 });
  t.not(id, id2);
  t.match(id, /^[0-9a-f]{12}-[0-9a-z]+$/);
});

function writer(t: Tap, over: Partial<ReturnType<typeof defaultConfig>['usageRecords']> = {}) {
  const dir = tempDir();
  let now = Date.UTC(2026, 11, 7, 12, 0, 0);
  const metrics = new Metrics();
  const w = new UsageRecords({ config: { ...defaultConfig().usageRecords, enabled: true, dir, flushIntervalMs: 60000, ...over }, metrics, logger: silentLogger(), now: () => now });
  t.teardown(() => w.close());
  return { w, dir, metrics, tick: (ms: number) => (now += ms) };
}

const rec = (i: number, extra: Partial<UsageRecord> = {}): UsageRecord => ({
  ...(usageFromExchange({
    bearer: 'push',
    startedAt: Date.UTC(2026, 11, 7),
    durationMs: 1,
    sourceIp: '10.0.0.1',
    subscriber: undefined,
    traceId: undefined,
    requestHead: sendReq(`T-${i}`),
    responseHead: undefined,
    octetsUp: 1,
    octetsDown: 0,
    upstreamStatus: 200,
    status: 200,
  }) as UsageRecord),
  ...extra,
});

t.test('the writer: rotation by size and time, .open while written, CSV header and quoting', async (t) => {
  const { w, dir, tick, metrics } = writer(t, { rotateBytes: 1000, rotateSeconds: 60 });
  await w.start();
  for (let i = 0; i < 10; i++) w.record(rec(i));
  w.flush();
  const open = readdirSync(dir).filter((f) => f.endsWith('.open'));
  t.equal(open.length, 1, 'one file being written');
  const done = readdirSync(dir).filter((f) => !f.endsWith('.open'));
  t.ok(done.length >= 2, `rotated by size into ${done.length} closed files`);
  for (const f of done) t.ok(readFileSync(join(dir, f)).length <= 1000 + 400, 'about rotateBytes each');
  tick(61_000);
  w.record(rec(99));
  w.flush();
  t.equal(readdirSync(dir).filter((f) => f.endsWith('.open')).length, 1);
  await w.close();
  const files = readdirSync(dir);
  t.notOk(files.some((f) => f.endsWith('.open')), 'closed on stop');
  const all = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l) as UsageRecord);
  t.same(all.map((r) => r.transactionId).sort(), [...Array.from({ length: 10 }, (_, i) => `T-${i}`), 'T-99'].sort(), 'every record once');
  t.match(await metrics.registry.metrics(), /wapgw_usage_records_total\{bearer="push",mms_type="m-send-req"\} 11/);

  const c = writer(t, { format: 'csv' });
  await c.w.start();
  c.w.record(rec(1, { msisdn: '+1,555' }));
  await c.w.close();
  const [csv] = readdirSync(c.dir);
  t.match(csv, /^wapgw-usage-20261207T120000Z-.*-\d+-1\.csv$/);
  const lines = readFileSync(join(c.dir, csv!), 'utf8').split('\r\n');
  t.equal(lines[0], USAGE_FIELDS.join(','), 'a header line');
  t.match(lines[1], /^2026-12-07T00:00:00\.000Z,,push,"\+1,555",/);
});

t.test('the writer: a file left open by a crash is cut to whole records and closed at the next start', async (t) => {
  const { w, dir } = writer(t);
  const left = join(dir, 'wapgw-usage-20261207T110000Z-otherhost-1-1.jsonl.open');
  writeFileSync(left, '{"a":1}\n{"a":2}\n{"a":');
  await w.start();
  // another host's file is left alone (a shared directory); ours from a dead process is recovered
  t.ok(existsSync(left), 'another host: untouched');
  await w.close();
  const { w: w2, dir: dir2 } = writer(t);
  const host = (await import('node:os')).hostname().replace(/[^A-Za-z0-9.]/g, '_');
  const crashed = join(dir2, `wapgw-usage-20261207T110000Z-${host}-999999-1.jsonl.open`);
  writeFileSync(crashed, '{"a":1}\n{"a":2}\n{"a":');
  await w2.start();
  t.notOk(existsSync(crashed));
  t.equal(readFileSync(crashed.slice(0, -5), 'utf8'), '{"a":1}\n{"a":2}\n', 'the half-written last line is cut');
});

t.test('the writer: records wait while the disk cannot be written, bounded', async (t) => {
  const { w, dir, metrics } = writer(t, { maxBufferedRecords: 3 });
  await w.start();
  chmodSync(dir, 0o500);
  t.teardown(() => chmodSync(dir, 0o700));
  const root = process.getuid?.() === 0;
  for (let i = 0; i < 5; i++) w.record(rec(i));
  w.flush();
  if (!root) {
    t.match(await metrics.registry.metrics(), /wapgw_usage_record_write_errors_total 1/);
    t.equal(w.healthy(), false);
  }
  t.match(await metrics.registry.metrics(), /wapgw_usage_records_dropped_total 2/, 'two dropped beyond maxBufferedRecords');
  chmodSync(dir, 0o700);
  w.flush();
  t.equal(w.healthy(), true);
  await w.close();
  const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'));
  t.equal(lines.length, 3, 'the three kept are written once the disk is back');
});

t.test('both paths write a record per MMS transaction; the trace id goes to the MMSC, the access log and the record', async (t) => {
  const dir = tempDir();
  const usageDir = join(dir, 'usage');
  mkdirSync(usageDir);
  const subs = join(dir, 'subscribers.yaml');
  writeFileSync(subs, '- ip: 127.0.0.1\n  msisdn: "+15550000001"\n  imsi: "001010000000001"\n');
  const mmscPort = await freePort();
  const file = writeTestConfig(dir, {
    mmsc: { url: `http://127.0.0.1:${mmscPort}/mms` },
    demoMmsc: { enabled: true, bind: '127.0.0.1', port: mmscPort },
    subscribers: { staticFile: subs },
    usageRecords: { enabled: true, dir: usageDir },
  });
  const gw = startGateway(['-c', file]);
  t.teardown(() => gw.kill());
  await gw.waitFor((l) => l.msg === 'started', 15000);
  const proxyPort = gw.port('proxy') as number;
  const mmsc = `http://127.0.0.1:${mmscPort}`;

  // proxy: m-send-req, then the retrieval, then something that is not MMS
  const body = sendReq('T-PROXY', 'hello over http');
  const sent = await viaProxy(proxyPort, 'POST', `${mmsc}/mms`, body);
  t.equal(sent.status, 200);
  const location = String(sent.headers['x-mms-content-location']);
  const messageId = location.split('/').pop() as string;
  const got = await viaProxy(proxyPort, 'GET', location);
  t.equal(got.status, 200);
  t.equal((await viaProxy(proxyPort, 'GET', `${mmsc}/bytes?size=10`)).status, 200);

  // WSP: m-send-req over WTP
  const h = new Handset({ port: gw.lines.find((l) => l.listener === 'wsp-connection-oriented')?.port as number });
  await h.open();
  t.teardown(() => h.close());
  await h.connect();
  const wspBody = sendReq('T-WSP', 'hello over wsp');
  const reply = await h.post(`${mmsc}/mms`, 'application/vnd.wap.mms-message', wspBody);
  t.equal(reply.status, 200, 'WSP 200 OK');

  const admin = gw.port('admin') as number;
  const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  t.match(metrics, /^wapgw_usage_records_total\{bearer="proxy",mms_type="m-send-req"\} 1$/m);
  t.match(metrics, /^wapgw_usage_records_total\{bearer="proxy",mms_type="m-retrieve-conf"\} 1$/m);
  t.match(metrics, /^wapgw_usage_records_total\{bearer="wsp",mms_type="m-send-req"\} 1$/m);
  const listing = await (await fetch(`${mmsc}/mms`)).text();

  gw.child.kill('SIGTERM');
  t.equal((await gw.exited()).code, 0);
  const files = readdirSync(usageDir);
  t.equal(files.length, 1, files.join());
  t.match(files[0], /\.jsonl$/, 'closed (no .open) on SIGTERM');
  const records = readFileSync(join(usageDir, files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as UsageRecord);
  t.equal(records.length, 3, 'the non-MMS GET has no record');
  const identity = { msisdn: '+15550000001', imsi: '001010000000001', sourceIp: '127.0.0.1', upstreamStatus: '200', status: 200 };
  const send = records.find((r) => r.bearer === 'proxy' && r.mmsType === 'm-send-req');
  t.match(send, { ...identity, mmsResponseType: 'm-send-conf', transactionId: 'T-PROXY', messageId, mmsResponseStatus: 'Ok', octetsUp: body.length, octetsDown: sent.body.length });
  const retrieve = records.find((r) => r.bearer === 'proxy' && r.mmsType === 'm-retrieve-conf');
  t.match(retrieve, { ...identity, messageId, octetsUp: 0, octetsDown: got.body.length });
  const wsp = records.find((r) => r.bearer === 'wsp');
  t.match(wsp, { ...identity, mmsType: 'm-send-req', mmsResponseType: 'm-send-conf', transactionId: 'T-WSP', mmsResponseStatus: 'Ok', octetsUp: wspBody.length });
  t.ok(typeof wsp?.messageId === 'string' && wsp.messageId.length > 10, 'the message id from the m-send-conf');
  for (const r of records) {
    t.match(r.traceId, /^[0-9a-f]{12}-[0-9a-z]+$/);
    t.ok(r.durationMs >= 0);
    t.ok(Date.parse(r.time) > Date.now() - 120000);
  }
  // the same id in the MMSC's view and in the access log
  t.match(listing, new RegExp(`x-wapgw-trace-id=${send!.traceId}`), 'the MMSC received the proxy request\'s id');
  t.match(listing, new RegExp(`x-wapgw-trace-id=${wsp!.traceId}`), 'and the WSP request\'s');
  t.ok(gw.lines.some((l) => l.msg === 'proxy request' && l.traceId === send!.traceId), 'proxy access line');
  t.ok(gw.lines.some((l) => l.msg === 'wsp method' && l.traceId === wsp!.traceId), 'wsp access line');
});
