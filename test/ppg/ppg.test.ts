/**
 * The PPG component over real HTTP and a real journal in a temp dir, with in-test bearers that
 * implement the agreed SmsBearer / IpBearer interfaces (the SMPP bearer against a real SMSC is
 * tested end to end in test/e2e/ppg-flow.test.ts).
 */
import { isIP } from 'node:net';
import t from 'tap';
import type { Tap } from '../helpers/tap';
import { Agent, createServer, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNotificationInd, buildSendReq, encodeMms } from '../../src/codec/mms';
import { decodeWsp } from '../../src/codec/wsp';
import { defaultConfig, parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import type { BearerOutcome, DeliveryReceipt, IpBearer, SmsBearer } from '../../src/ppg/bearer';
import { buildPapBody } from '../../src/ppg/multipart';
import { decodePap, encodePap, parsePapAddress, type PushResponse } from '../../src/ppg/pap';
import { Ppg } from '../../src/ppg/ppg';
import type { UsageRecord, UsageSink } from '../../src/ops/usage-records';

const NOTIFICATION = encodeMms(buildNotificationInd({ transactionId: 'TX-1', messageSize: 1234, expiry: 3600, contentLocation: 'http://mmsc.example/m/abc' }));

class TestSms implements SmsBearer {
  submits: Array<{ msisdn: string; wdp: Buffer; registeredDelivery: boolean }> = [];
  outcomes: BearerOutcome[] = [];
  private cbs: Array<(r: DeliveryReceipt) => void> = [];
  private n = 0;
  async submit(msisdn: string, wdp: Buffer, opts: { registeredDelivery: boolean }): Promise<BearerOutcome> {
    this.submits.push({ msisdn, wdp, registeredDelivery: opts.registeredDelivery });
    return this.outcomes.shift() ?? { ok: true, messageIds: [`msg-${++this.n}`] };
  }
  onReceipt(cb: (r: DeliveryReceipt) => void): void {
    this.cbs.push(cb);
  }
  receipt(r: DeliveryReceipt): void {
    for (const cb of this.cbs) cb(r);
  }
  status() {
    return { sessions: [] };
  }
  healthy() {
    return true;
  }
  async start() {}
  async close() {}
}

class TestIp implements IpBearer {
  sent: Array<{ address: string; wdp: Buffer }> = [];
  /** Families this bearer cannot reach at all (an IPv4-only socket): refused, not retried. */
  unreachable = new Set<number>();
  async send(address: string, wdp: Buffer): Promise<BearerOutcome> {
    if (this.unreachable.has(isIP(address))) return { ok: false, retry: false, code: 'ERR_IP_FAMILY', reason: 'IPv4-only socket' };
    this.sent.push({ address, wdp });
    return { ok: true, messageIds: [] };
  }
}

function ppgConfig(dir: string, over: Record<string, unknown> = {}): Config['ppg'] {
  return parseConfig({
    ppg: {
      enabled: true,
      bind: '127.0.0.1',
      port: 0,
      stateDir: dir,
      allowedNetworks: ['127.0.0.0/8'],
      users: [{ username: 'mmsc', password: 'secret-pass', allowedNetworks: ['127.0.0.1/32'] }, { username: 'far', password: 'far-away-pass', allowedNetworks: ['10.0.0.0/8'] }],
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      ...over,
    },
  }).ppg;
}

async function startPpg(t: Tap, opts: { dir?: string; over?: Record<string, unknown>; sms?: TestSms | null; ip?: TestIp; now?: () => number; usage?: UsageSink } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'wapgw-ppg-'));
  if (!opts.dir) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sms = opts.sms === null ? undefined : (opts.sms ?? new TestSms());
  const ip = opts.ip ?? new TestIp();
  const metrics = new Metrics();
  const ppg = new Ppg({ config: ppgConfig(dir, opts.over), logger: silentLogger(), metrics, sms, ip, ...(opts.now ? { now: opts.now } : {}), ...(opts.usage ? { usage: opts.usage } : {}) });
  const [l] = await ppg.start();
  let closed = false;
  const close = async () => {
    if (!closed) await ppg.close(Date.now() + 1000);
    closed = true;
  };
  t.teardown(close);
  const url = `http://127.0.0.1:${l!.port}/wappush`;
  return { ppg, sms, ip, metrics, url, dir, close };
}

function pushXml(pushId: string, addresses: string[], attrs = ''): string {
  return encodePap({
    kind: 'push-message',
    pushId,
    addresses: addresses.map(parsePapAddress),
  }).replace('<push-message ', `<push-message ${attrs} `);
}

async function post(url: string, xml: string, content?: { type: string; body: Buffer; appId?: string }, headers: Record<string, string> = {}) {
  const b = buildPapBody(xml, content && { contentType: content.type, body: content.body, ...(content.appId ? { applicationId: content.appId } : {}) });
  const res = await fetch(url, { method: 'POST', body: b.body, headers: { 'content-type': b.contentType, ...headers } });
  const text = await res.text();
  return { status: res.status, text, doc: text ? decodePap(text) : undefined };
}

const mms = (appId = 'x-wap-application:mms.ua') => ({ type: 'application/vnd.wap.mms-message', body: NOTIFICATION, appId });
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

t.test('config: stateDir is required when enabled; default deny needs someone allowed', async (t) => {
  t.throws(() => parseConfig({ ppg: { enabled: true, allowedNetworks: ['127.0.0.0/8'] } }), { name: 'ConfigError', problems: [/ppg.stateDir: required/] });
  t.throws(() => parseConfig({ ppg: { enabled: true, stateDir: '/tmp/x' } }), { name: 'ConfigError', problems: [/ppg.users: no push initiator/] });
  t.equal(defaultConfig().ppg.enabled, false);
  t.equal(defaultConfig().ppg.path, '/wappush');
});

t.test('an MMS notification to a PLMN address goes out as a WSP Push by SMS', async (t) => {
  const { sms, url, metrics, ppg } = await startPpg(t);
  const r = await post(url, pushXml('p1@mmsc', ['WAPPUSH=+4917012345/TYPE=PLMN@ppg']), mms(), { authorization: 'Bearer leak-me', 'x-secret': 'do-not-copy' });
  t.equal(r.status, 202);
  const res = r.doc?.message as PushResponse;
  t.equal(res.kind, 'push-response');
  t.equal(res.result.code, 1001);
  t.equal(res.pushId, 'p1@mmsc');
  t.equal(r.doc?.version, '2.0');
  await until(() => sms!.submits.length === 1);
  const s = sms!.submits[0]!;
  t.equal(s.msisdn, '+4917012345');
  t.equal(s.registeredDelivery, true);
  const pdu = decodeWsp(s.wdp, { connectionless: true }) as unknown as { type: string; contentType: unknown; headers: Array<{ name: string; value: string }>; data: Buffer };
  t.equal(pdu.type, 'Push');
  t.equal(pdu.headers.find((h) => h.name === 'X-Wap-Application-Id')?.value, 'x-wap-application:mms.ua');
  t.equal(Buffer.from(pdu.data).toString('hex'), NOTIFICATION.toString('hex'), 'the notification unchanged');
  t.notOk(s.wdp.includes(Buffer.from('leak-me')), 'no header of the initiator request in the push');
  t.notOk(s.wdp.includes(Buffer.from('do-not-copy')));
  await until(() => ppg.pushState('p1@mmsc') !== undefined && (ppg.pushState('p1@mmsc')!.pushes as Array<{ addresses: Array<{ state: string }> }>)[0]!.addresses[0]!.state === 'accepted');
  const st = ppg.pushState('p1@mmsc') as { pushes: Array<{ initiator: string; addresses: Array<Record<string, unknown>> }> };
  t.equal(st.pushes[0]?.initiator, 'net:127.0.0.1');
  t.same(st.pushes[0]?.addresses[0]?.messageIds, ['msg-1']);
  t.equal(ppg.pushState('nope'), undefined);
  const text = await metrics.registry.metrics();
  t.match(text, /wapgw_ppg_pushes_total\{outcome="accepted",bearer="none"\} 1/);
  t.match(text, /wapgw_ppg_pushes_total\{outcome="delivered",bearer="sms"\} 1/);
  t.match(text, /wapgw_ppg_requests_total\{operation="push",code="1001"\} 1/);
  t.match(text, /wapgw_ppg_sms_submits_total\{outcome="ok"\} 1/);
  // the queue gauges are computed when scraped (not set after every push): they show the state now
  t.match(text, /wapgw_ppg_queue_addresses\{state="accepted"\} 1/);
  t.match(text, /wapgw_ppg_queue_addresses\{state="pending"\} 0/);
  t.match(text, /wapgw_ppg_sms_bearer_up 1/);
  // the same push-id again from the same initiator
  const dup = await post(url, pushXml('p1@mmsc', ['WAPPUSH=+4917012345/TYPE=PLMN']), mms());
  t.equal(dup.doc?.message.kind, 'badmessage-response');
  t.equal((dup.doc?.message as { code: number }).code, 2007);
  t.equal(dup.status, 400);
  // ... but another initiator (Basic user) may use it
  const other = await post(url, pushXml('p1@mmsc', ['WAPPUSH=+4917012345/TYPE=PLMN']), mms(), { authorization: `Basic ${Buffer.from('mmsc:secret-pass').toString('base64')}` });
  t.equal(other.status, 202);
});

t.test('access: default deny, Basic users with networks, every refusal a PAP document', async (t) => {
  const { url, metrics } = await startPpg(t, { over: { allowedNetworks: [] } });
  const xml = pushXml('a1', ['WAPPUSH=+4917012345/TYPE=PLMN']);
  const none = await fetch(url, { method: 'POST', body: xml, headers: { 'content-type': 'application/xml' } });
  t.equal(none.status, 401);
  t.match(none.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  const doc = decodePap(await none.text());
  t.same([doc.message.kind, (doc.message as { code: number }).code], ['badmessage-response', 2001]);
  const wrong = await post(url, xml, mms(), { authorization: `Basic ${Buffer.from('mmsc:wrong-pass').toString('base64')}` });
  t.equal(wrong.status, 401);
  t.match((wrong.doc?.message as { desc: string }).desc, /wrong user name or password/);
  const far = await post(url, xml, mms(), { authorization: `Basic ${Buffer.from('far:far-away-pass').toString('base64')}` });
  t.equal(far.status, 403);
  t.match((far.doc?.message as { desc: string }).desc, /may not push from 127.0.0.1/);
  const ok = await post(url, xml, mms(), { authorization: `Basic ${Buffer.from('mmsc:secret-pass').toString('base64')}` });
  t.equal(ok.status, 202);
  const get = await fetch(url);
  t.equal(get.status, 405);
  t.equal(decodePap(await get.text()).message.kind, 'badmessage-response');
  const wrongPath = await fetch(url.replace('/wappush', '/other'), { method: 'POST', body: 'x' });
  t.equal(wrongPath.status, 404);
  const text = await metrics.registry.metrics();
  t.match(text, /wapgw_ppg_refusals_total\{reason="unauthenticated"\} 2/);
  t.match(text, /wapgw_ppg_refusals_total\{reason="network"\} 1/);
});

t.test('access: a reload applies to the next request of a connection kept alive', async (t) => {
  const { ppg, url, dir } = await startPpg(t);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const b = buildPapBody(pushXml('k1', ['WAPPUSH=+4917012345/TYPE=PLMN']), { contentType: mms().type, body: mms().body, applicationId: mms().appId });
  const send = (pushId: string) =>
    new Promise<{ status: number; port: number }>((resolve, reject) => {
      const body = Buffer.from(b.body.toString('latin1').replace('push-id="k1"', `push-id="${pushId}"`), 'latin1');
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': b.contentType, 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, port: res.socket?.localPort ?? -1 }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const first = await send('k1');
  t.equal(first.status, 202, 'allowed by ppg.allowedNetworks');
  // SIGHUP with 127.0.0.0/8 gone from allowedNetworks
  ppg.prepareReload({ ...defaultConfig(), ppg: ppgConfig(dir, { allowedNetworks: [] }) })();
  const second = await send('k2');
  t.equal(second.port, first.port, 'the same connection');
  t.equal(second.status, 401, 'refused under the new rules');
});

t.test('limits: body size, rate per initiator', async (t) => {
  const { url } = await startPpg(t, { over: { limits: { maxBodyBytes: 2000, perInitiatorPerSecond: 0.001, burst: 3 } } });
  const big = await post(url, pushXml('big', ['WAPPUSH=+4917012345/TYPE=PLMN']), { type: 'application/vnd.wap.mms-message', body: Buffer.alloc(5000, 1) });
  t.equal(big.status, 413);
  t.equal((big.doc?.message as { code: number }).code, 2000);
  t.match((big.doc?.message as { desc: string }).desc, /maxBodyBytes/);
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) codes.push((await post(url, pushXml(`r${i}`, ['WAPPUSH=+4917012345/TYPE=PLMN']), mms())).status);
  t.same(codes, [202, 202, 429, 429], 'burst of 3 (one already taken by the big request)');
});

t.test('content: wrong MMS type, SI compiled, unknown type refused', async (t) => {
  const { url, sms, ip } = await startPpg(t);
  const sendReq = encodeMms(buildSendReq({ transactionId: 'x', from: '+1234', to: ['+4917012345'], contentType: 'text/plain', parts: [] } as never));
  const r1 = await post(url, pushXml('c1', ['WAPPUSH=+4917012345/TYPE=PLMN']), { type: 'application/vnd.wap.mms-message', body: sendReq });
  t.equal((r1.doc?.message as { code: number }).code, 2000);
  t.match((r1.doc?.message as { desc: string }).desc, /m-send-req is not an MMS PDU a phone takes by push/);
  const r2 = await post(url, pushXml('c2', ['WAPPUSH=+4917012345/TYPE=PLMN']), { type: 'application/vnd.wap.mms-message', body: Buffer.from('garbage') });
  t.equal((r2.doc?.message as { code: number }).code, 2000);
  const si = '<?xml version="1.0"?><!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd"><si><indication href="http://a.example/" si-id="1">Hi</indication></si>';
  const r3 = await post(url, pushXml('c3', ['WAPPUSH=127.0.0.2/TYPE=IPv4']), { type: 'application/vnd.wap.si', body: Buffer.from(si), appId: 'x-wap-application:wml.ua' });
  t.equal(r3.status, 202);
  await until(() => ip.sent.length === 1);
  t.equal(ip.sent[0]?.address, '127.0.0.2');
  const pdu = decodeWsp(ip.sent[0]!.wdp, { connectionless: true }) as unknown as { contentType: unknown; data: Buffer };
  t.match(JSON.stringify(pdu.contentType), /application\/vnd\.wap\.sic/);
  t.equal(Buffer.from(pdu.data).subarray(0, 2).toString('hex'), '0205', 'WBXML, SI public id');
  const bad = await post(url, pushXml('c4', ['WAPPUSH=+4917012345/TYPE=PLMN']), { type: 'application/vnd.wap.si', body: Buffer.from('<si><indication href="http://a/">unterminated') });
  t.equal((bad.doc?.message as { code: number }).code, 3006);
  const gif = await post(url, pushXml('c5', ['WAPPUSH=+4917012345/TYPE=PLMN']), { type: 'image/gif', body: Buffer.from('GIF89a') });
  t.equal((gif.doc?.message as { code: number }).code, 3006);
  t.match((gif.doc?.message as { desc: string }).desc, /image\/gif/);
  const none = await post(url, pushXml('c6', ['WAPPUSH=+4917012345/TYPE=PLMN']));
  t.equal((none.doc?.message as { code: number }).code, 2000);
  const confirmed = await post(url, pushXml('c7', ['WAPPUSH=+4917012345/TYPE=PLMN']).replace('</push-message>', '<quality-of-service delivery-method="confirmed"/></push-message>'), mms());
  t.equal((confirmed.doc?.message as { code: number }).code, 3007);
  t.equal(sms!.submits.length, 0, 'nothing refused went out');
});

t.test('no SMS bearer: PLMN refused 3010', async (t) => {
  const { url } = await startPpg(t, { sms: null });
  const r = await post(url, pushXml('n1', ['WAPPUSH=+4917012345/TYPE=PLMN']), mms());
  t.equal((r.doc?.message as { code: number }).code, 3010);
});

t.test('fan-out, retry, status query, cancel, deliver-after, result notifications, receipts', async (t) => {
  const notes: string[] = [];
  const notifySrv = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      notes.push(body);
      const m = decodePap(body).message as { pushId: string; address: string };
      // the first notification is answered 500 to exercise the retry
      if (notes.length === 1) {
        res.statusCode = 500;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/xml');
      res.end(encodePap({ kind: 'resultnotification-response', pushId: m.pushId, address: m.address, result: { code: 1000 } }));
    });
  });
  await new Promise<void>((r) => notifySrv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => notifySrv.close());
  const notifyUrl = `http://127.0.0.1:${(notifySrv.address() as { port: number }).port}/notify`;
  const sms = new TestSms();
  sms.outcomes.push({ ok: false, retry: true, code: 'ERR_SMPP_THROTTLED', reason: 'throttled' });
  const { url, ip, ppg } = await startPpg(t, { sms });
  const r = await post(url, pushXml('f1', ['WAPPUSH=+4917012345/TYPE=PLMN', 'WAPPUSH=127.0.0.9/TYPE=IPv4'], `ppg-notify-requested-to="${notifyUrl}"`), mms());
  t.equal(r.status, 202);
  await until(() => sms.submits.length === 2, 5000);
  t.equal(ip.sent.length, 1, 'the IP address its own attempt');
  await until(() => notes.length >= 3, 8000);
  const parsed = notes.map((n) => decodePap(n).message as { kind: string; messageState: string; address: string; code: number });
  t.ok(parsed.every((p) => p.kind === 'resultnotification-message'));
  t.same(new Set(parsed.map((p) => p.address)), new Set(['WAPPUSH=+4917012345/TYPE=PLMN', 'WAPPUSH=127.0.0.9/TYPE=IPv4']));
  t.ok(parsed.every((p) => p.messageState === 'delivered' && p.code === 1000));
  // status query over PAP
  const sq = await post(url, encodePap({ kind: 'statusquery-message', pushId: 'f1', addresses: [] }));
  t.equal(sq.status, 200);
  const results = (sq.doc?.message as { results: Array<{ messageState: string; addresses: string[] }> }).results;
  t.same(results.map((x) => x.messageState), ['delivered', 'delivered']);
  // a failed receipt changes the state and notifies again
  const before = notes.length;
  sms.receipt({ messageId: 'msg-1', state: 'undeliverable', at: Date.now() });
  await until(() => notes.length > before, 5000);
  const last = decodePap(notes.at(-1)!).message as { messageState: string; code: number };
  t.same([last.messageState, last.code], ['undeliverable', 4000]);
  // deliver-after in the future, then cancel
  const future = new Date(Date.now() + 3600_000).toISOString().slice(0, 19) + 'Z';
  await post(url, pushXml('later', ['WAPPUSH=+4917012345/TYPE=PLMN'], `deliver-after-timestamp="${future}"`), mms());
  const sq2 = await post(url, encodePap({ kind: 'statusquery-message', pushId: 'later', addresses: [] }));
  t.equal((sq2.doc?.message as { results: Array<{ messageState: string }> }).results[0]?.messageState, 'pending');
  const c = await post(url, encodePap({ kind: 'cancel-message', pushId: 'later', addresses: [] }));
  t.same((c.doc?.message as { results: Array<{ code: number }> }).results.map((x) => x.code), [1000]);
  const c2 = await post(url, encodePap({ kind: 'cancel-message', pushId: 'f1', addresses: [] }));
  t.same((c2.doc?.message as { results: Array<{ code: number }> }).results.map((x) => x.code), [2008], 'delivered pushes cannot be cancelled');
  const c3 = await post(url, encodePap({ kind: 'cancel-message', pushId: 'unknown', addresses: [] }));
  t.equal((c3.doc?.message as { code: number }).code, 2004);
  const ccq = await post(url, encodePap({ kind: 'ccq-message', queryId: 'q', address: parsePapAddress('WAPPUSH=+4917012345/TYPE=PLMN') }));
  t.equal(ccq.doc?.message.kind, 'ccq-response');
  t.equal(sms.submits.length, 2, 'the cancelled push never went out');
  t.equal((ppg.status().addresses as Record<string, number>).cancelled, 1);
});

t.test('ipPushForBound: a bound MSISDN is pushed over IP (IPv4, or IPv6 with the phone\'s own address), an unbound one by SMS', async (t) => {
  const sms = new TestSms();
  const ip = new TestIp();
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-ppg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bound: Record<string, { key: string; ipv6Address?: string }> = {
    '4917012345': { key: '10.1.2.3' },
    // an IPv6 /64 binding names the phone only with its own address (RADIUS Framed-IPv6-Address / Framed-Interface-Id)
    '4917055555': { key: '2001:db8:aa:bb::/64', ipv6Address: '2001:db8:aa:bb::42' },
    '4917066666': { key: '2001:db8:cc:dd::/64' },
  };
  const subscribers = {
    findByMsisdn: (m: string) => (bound[m] ? { ...bound[m], msisdn: m, source: 'radius' as const, since: 0 } : undefined),
  };
  const ppg = new Ppg({ config: ppgConfig(dir, { ipPushForBound: true }), logger: silentLogger(), metrics: new Metrics(), sms, ip, subscribers: subscribers as never });
  const [l] = await ppg.start();
  t.teardown(() => ppg.close(Date.now() + 1000));
  const url = `http://127.0.0.1:${l!.port}/wappush`;
  await post(url, pushXml('b1', ['WAPPUSH=+4917012345/TYPE=PLMN', 'WAPPUSH=+4917099999/TYPE=PLMN', 'WAPPUSH=+4917055555/TYPE=PLMN', 'WAPPUSH=+4917066666/TYPE=PLMN']), mms());
  await until(() => ip.sent.length === 2 && sms.submits.length === 2);
  t.same(ip.sent.map((x) => x.address).sort(), ['10.1.2.3', '2001:db8:aa:bb::42'], 'IPv4 binding, and IPv6 with the phone\'s own address');
  t.same(sms.submits.map((x) => x.msisdn).sort(), ['+4917066666', '+4917099999'], 'unbound, and a /64 without an address: SMS');
});

t.test('ipPushForBound: a bound IPv6 phone the IP socket cannot reach (IPv4-only bind) gets its SMS instead', async (t) => {
  const sms = new TestSms();
  const ip = new TestIp();
  ip.unreachable.add(6);
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-ppg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const subscribers = {
    findByMsisdn: (m: string) => (m === '4917055555' ? { key: '2001:db8:aa:bb::/64', ipv6Address: '2001:db8:aa:bb::42', msisdn: m, source: 'radius' as const, since: 0 } : undefined),
  };
  const ppg = new Ppg({ config: ppgConfig(dir, { ipPushForBound: true }), logger: silentLogger(), metrics: new Metrics(), sms, ip, subscribers: subscribers as never });
  const [l] = await ppg.start();
  t.teardown(() => ppg.close(Date.now() + 1000));
  await post(`http://127.0.0.1:${l!.port}/wappush`, pushXml('v6', ['WAPPUSH=+4917055555/TYPE=PLMN']), mms());
  await until(() => sms.submits.length === 1);
  t.equal(sms.submits[0]?.msisdn, '+4917055555', 'delivered by SMS');
  t.equal(ip.sent.length, 0);
  t.match(ppg.pushState('v6'), { pushes: [{ addresses: [{ state: 'accepted', bearer: 'sms' }] }] }, 'accepted by the SMSC, recorded as SMS');
});

t.test('accepted pushes survive a restart (journal) and are delivered after it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-ppg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const failing = new TestSms();
  for (let i = 0; i < 100; i++) failing.outcomes.push({ ok: false, retry: true, code: 'ERR_SMPP_NOT_BOUND', reason: 'down' });
  const first = await startPpg(t, { dir, sms: failing, over: { retry: { initialDelayMs: 60_000 } } });
  for (let i = 0; i < 5; i++) t.equal((await post(first.url, pushXml(`s${i}`, ['WAPPUSH=+4917012345/TYPE=PLMN']), mms())).status, 202);
  await until(() => failing.submits.length === 5);
  await first.close();
  const sms = new TestSms();
  // two minutes later: the retry time stored in the journal (60 s after the failed attempt) has come
  const second = await startPpg(t, { dir, sms, now: () => Date.now() + 120_000 });
  await until(() => sms.submits.length === 5, 5000);
  t.equal(sms.submits.length, 5, 'every accepted push delivered after the restart');
  const dup = await post(second.url, pushXml('s0', ['WAPPUSH=+4917012345/TYPE=PLMN']), mms());
  t.equal((dup.doc?.message as { code: number }).code, 2007, 'push-ids remembered across the restart');
  const st = second.ppg.pushState('s3') as { pushes: Array<{ addresses: Array<{ attempts: number }> }> };
  t.equal(st.pushes[0]?.addresses[0]?.attempts, 2, 'attempts carried over');
});

t.test('PAP 2.0 replace-push-id cancels what is pending of the old push; a refused push replaces nothing', async (t) => {
  const { url, ppg } = await startPpg(t);
  const future = new Date(Date.now() + 3600_000).toISOString().slice(0, 19) + 'Z';
  t.equal((await post(url, pushXml('old', ['WAPPUSH=+4917012345/TYPE=PLMN'], `deliver-after-timestamp="${future}"`), mms())).status, 202);
  t.equal((await post(url, pushXml('other', ['WAPPUSH=+4917012345/TYPE=PLMN'], `deliver-after-timestamp="${future}"`), mms())).status, 202);
  const state = (id: string) => (ppg.pushState(id) as { pushes: Array<{ addresses: Array<{ state: string }> }> }).pushes[0]?.addresses[0]?.state;
  // a duplicate push-id that names a replace target is refused and cancels nothing
  const dup = await post(url, pushXml('other', ['WAPPUSH=+4917012345/TYPE=PLMN'], 'replace-push-id="old"'), mms());
  t.equal((dup.doc?.message as { code: number }).code, 2007);
  t.equal(state('old'), 'pending');
  const r = await post(url, pushXml('new', ['WAPPUSH=+4917012345/TYPE=PLMN'], `replace-push-id="old" replace-method="pending-only" deliver-after-timestamp="${future}"`), mms());
  t.equal(r.status, 202);
  t.equal(state('old'), 'cancelled');
  t.equal(state('new'), 'pending');
});

t.test('usage records: one record, bearer push, per MMS push a bearer accepted; none for SI', async (t) => {
  const records: UsageRecord[] = [];
  const usage: UsageSink = { record: (r) => records.push(r), exchange: () => undefined };
  const { sms, ip, url } = await startPpg(t, { usage });
  const auth = { authorization: `Basic ${Buffer.from('mmsc:secret-pass').toString('base64')}` };
  const r = await post(url, pushXml('usage-1', ['WAPPUSH=+15550001/TYPE=PLMN@ppg.example', 'WAPPUSH=127.0.0.9/TYPE=IPv4@ppg.example']), mms(), auth);
  t.equal(r.status, 202);
  await until(() => sms!.submits.length + ip.sent.length === 2).catch(() => undefined);
  await new Promise((res) => setTimeout(res, 100));
  t.equal(records.length, 2, `records: ${JSON.stringify(records)} submits ${sms!.submits.length} ip ${ip.sent.length}`);
  const bySms = records.find((x) => x.msisdn === '+15550001');
  const byIp = records.find((x) => x.sourceIp === '127.0.0.9');
  t.ok(bySms && byIp, 'one record per address');
  for (const x of [bySms!, byIp!]) {
    t.equal(x.bearer, 'push');
    t.equal(x.mmsType, 'm-notification-ind');
    t.equal(x.transactionId, 'TX-1');
    t.ok(x.octetsDown > NOTIFICATION.length, 'the WSP Push octets sent');
  }
  t.equal(bySms!.upstreamStatus, 'sms');
  t.equal(byIp!.upstreamStatus, 'ip');
  t.equal(sms!.submits.length, 1);
  t.equal(ip.sent.length, 1);
  const si = await post(url, pushXml('usage-si', ['WAPPUSH=127.0.0.9/TYPE=IPv4@ppg.example']), { type: 'application/vnd.wap.si', body: Buffer.from('<?xml version="1.0"?><si><indication href="http://a.example/x">hi</indication></si>') }, auth);
  t.equal(si.status, 202);
  await until(() => ip.sent.length === 2);
  await new Promise((res) => setTimeout(res, 50));
  t.equal(records.length, 2, 'an SI push is no MMS transaction: no record');
});
