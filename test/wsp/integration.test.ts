/**
 * The WSP gateway over real UDP on 127.0.0.1 (ephemeral ports), in process, with a test MMSC:
 * a TypeScript handset (test/helpers/wsp-handset.ts) drives sessions, methods, retransmissions,
 * aborts, suspend/resume, bad input and drain.
 */
import t from 'tap';
import type { Tap } from '../helpers/tap';
import dgram from 'node:dgram';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { WspGateway } from '../../src/edge/wsp-gateway';
import { decodeWsp } from '../../src/codec/wsp/pdu';
import { encodeHeaders } from '../../src/codec/wsp/headers';
import { MemorySubscribers } from '../helpers/memory-subscribers';
import { startOrigin, type OriginHandler, type TestOrigin } from '../helpers/origin';
import { Handset, connectPdu, getPdu, parseReply, postPdu, resumePdu, suspendPdu, disconnectPdu } from '../helpers/wsp-handset';

const handler: OriginHandler = (r, res) => {
  const u = new URL(r.url, 'http://x');
  if (u.pathname === '/stall') {
    res.on('close', () => closed.push(r.url));
    return;
  }
  if (u.pathname === '/slow') return void setTimeout(() => res.end('slow done'), 300);
  const n = Number(u.searchParams.get('size') ?? 20);
  res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message', 'content-length': n, 'x-origin': 'yes' });
  res.end(Buffer.alloc(n, 0x42));
};
const closed: string[] = [];

async function setup(t: Tap, over: ConfigInput = {}) {
  const origin: TestOrigin = await startOrigin(handler);
  t.teardown(() => origin.close());
  const config = configSchema.parse({
    ...over,
    mmsc: { url: `${origin.origin}/mms`, timeoutMs: 2000, ...(over.mmsc ?? {}) },
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, ...(over.wsp ?? {}) },
    proxy: { allowedNetworks: ['127.0.0.0/8'], requireSubscriber: true, ...(over.proxy ?? {}) },
    wtp: { ackIntervalMs: 200, retryIntervalMs: 300, ...(over.wtp ?? {}) },
  });
  const subscribers = new MemorySubscribers();
  subscribers.bind({ key: '127.0.0.1', msisdn: '+15550000001', imsi: '001010000000001', source: 'static', since: 0 });
  const metrics = new Metrics();
  const gw = new WspGateway({ config, logger: silentLogger(), metrics, subscribers });
  await gw.start();
  let closedGw = false;
  const close = async (deadline = Date.now() + 500) => {
    if (closedGw) return;
    closedGw = true;
    await gw.close(deadline);
  };
  t.teardown(() => close());
  const handset = async (local?: string) => {
    const h = new Handset({ port: gw.ports.connectionOriented });
    await h.open(local);
    t.teardown(() => h.close());
    return h;
  };
  return { origin, gw, metrics, handset, close, url: (p: string) => `${origin.origin}${p}` };
}

t.test('Connect: honest capability negotiation and Encoding-Version', async (t) => {
  const { handset, url } = await setup(t, { wsp: { maxMethodMor: 4, maxMessageSize: 500000 } });
  const h = await handset();
  // Protocol Options asks for push, confirmed push and resume; Method-MOR 10; Aliases
  const extra = [Buffer.from([0x02, 0x82, 0xe0]), Buffer.from([0x02, 0x83, 0x0a]), Buffer.from([0x02, 0x84, 0x03])];
  const hdrs = encodeHeaders([{ name: 'User-Agent', value: 'ts' }, { name: 'Encoding-Version', value: '1.4' }], '1.4');
  const r = await h.transact(connectPdu(300000, extra, hdrs));
  const reply = decodeWsp(r);
  if (reply.type !== 'ConnectReply') throw new Error('not a ConnectReply');
  const caps = Object.fromEntries(reply.capabilities.map((c) => [c.name, c.value]));
  t.equal(caps['Client-SDU-Size'], 300000, "the client's Client-SDU-Size accepted");
  t.equal(caps['Server-SDU-Size'], 500000, 'Server-SDU-Size = wsp.maxMessageSize');
  t.equal(caps['Method-MOR'], 4, 'Method-MOR = min(client, ours)');
  t.equal(caps['Protocol-Options'], 0x20, 'only Session Resume granted (no push)');
  t.notOk('Push-MOR' in caps, 'Push-MOR omitted: declined');
  t.equal(reply.headers.find((x) => x.name === 'Encoding-Version')?.value, '1.4', 'Encoding-Version min(ours, client)');
  const h2 = await handset();
  const r2 = decodeWsp(await h2.transact(connectPdu()));
  if (r2.type !== 'ConnectReply') throw new Error('not a ConnectReply');
  t.equal(r2.headers.find((x) => x.name === 'Encoding-Version'), undefined, 'absent -> 1.2, and the reply says nothing');
  t.same(r2.capabilities.map((c) => c.name), ['Client-SDU-Size', 'Server-SDU-Size'], 'only what the client raised');
  t.ok(r.length > 0 && (await h2.get(url('/mms?size=1'))).status === 200, 'the 1.2 session works');
});

t.test('GET and POST through a session; identity; session headers merged', async (t) => {
  const { handset, origin, url, metrics } = await setup(t);
  const h = await handset();
  await h.connect();
  const g = await h.get(url('/mms?size=3000'));
  t.equal(g.status, 200);
  t.equal(g.body.length, 3000);
  const rq = origin.requests[0]!;
  t.equal(rq.headers['user-agent'], 'ts-handset', 'session User-Agent carried into the request');
  t.equal(rq.headers['x-msisdn'], '+15550000001');
  t.equal(rq.headers['x-wap-network-client-ip'], '127.0.0.1');
  t.match(String(rq.headers['via']), /^WAP\/1\.2 /);
  const body = Buffer.alloc(20000, 7);
  const p = await h.post(url('/mms'), 'application/vnd.wap.mms-message', body);
  t.equal(p.status, 200);
  t.equal(origin.requests[1]!.body.length, 20000, 'segmented POST reassembled');
  t.same(origin.requests[1]!.body, body);
  t.match(await metrics.registry.metrics(), /wapgw_wsp_methods_total\{mode="co",method="POST",status="200"\} 1/);
});

t.test('a POST reaches the MMSC exactly once whatever the handset retransmits', async (t) => {
  const { handset, origin, url, metrics } = await setup(t);
  const h = await handset();
  await h.connect();
  const tid = h.nextTid();
  const pdu = postPdu(url('/slow'), 'application/vnd.wap.mms-message', Buffer.from('mms'));
  h.invoke(tid, pdu);
  // retransmissions (RID) and plain duplicates while the MMSC is slow
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 40));
    h.invoke(tid, pdu, 2, { rid: i % 2 === 0 });
  }
  const reply = parseReply(await h.collectResult(tid, false));
  t.equal(reply.status, 200);
  // and after the Result, before the Ack: the Result is replayed, no second request
  h.invoke(tid, pdu, 2, { rid: true });
  const again = parseReply(await h.collectResult(tid));
  t.equal(again.status, 200, 'Result replayed');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(origin.requests.filter((r) => r.method === 'POST').length, 1, 'exactly one POST upstream');
  t.match(await metrics.registry.metrics(), /wapgw_wtp_duplicate_invokes_total [1-9]/);
});

t.test('MethodAbort cancels the upstream request', async (t) => {
  const { handset, url, origin } = await setup(t);
  const h = await handset();
  await h.connect();
  const tid = h.nextTid();
  h.invoke(tid, getPdu(url('/stall?id=abort1')));
  for (let i = 0; i < 50 && !origin.requests.some((r) => r.url.includes('abort1')); i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(origin.requests.some((r) => r.url.includes('abort1')), 'request went upstream');
  h.abort(tid, 0xea);
  for (let i = 0; i < 50 && !closed.some((u) => u.includes('abort1')); i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(closed.some((u) => u.includes('abort1')), 'upstream connection closed by the abort');
  const g = await h.get(url('/mms?size=5'));
  t.equal(g.status, 200, 'session still usable');
});

t.test('no session, Disconnect, Suspend/Resume from a new address', async (t) => {
  const { handset, url, metrics } = await setup(t);
  const stranger = await handset();
  await t.rejects(stranger.get(url('/mms')), { message: /aborted/, reason: 0xe1 }, 'method without a session: Abort DISCONNECT');

  const h = await handset();
  // Protocol Options: Session Resume (0x20), so Resume is allowed on this session
  const cr = decodeWsp(await h.transact(connectPdu(1048576, [Buffer.from([0x02, 0x82, 0x20])])));
  if (cr.type !== 'ConnectReply') throw new Error('not a ConnectReply');
  const sessionId = cr.sessionId;
  h.sessionId = sessionId;
  t.equal((await h.get(url('/mms?size=1'))).status, 200);
  h.invoke(h.nextTid(), suspendPdu(sessionId), 0);
  await new Promise((r) => setTimeout(r, 50));
  await t.rejects(h.get(url('/mms')), { message: /aborted/, reason: 0xe2 }, 'suspended: Abort SUSPEND');
  const moved = await handset();
  const resume = parseReply(await moved.transact(resumePdu(sessionId)));
  t.equal(resume.status, 200, 'Resume answered with Reply 200');
  moved.sessionId = sessionId;
  t.equal((await moved.get(url('/mms?size=2'))).status, 200, 'the session moved to the new address');
  await t.rejects(h.get(url('/mms')), { message: /aborted/, reason: 0xe1 }, 'old address no longer has it');
  moved.invoke(moved.nextTid(), disconnectPdu(sessionId), 0);
  await new Promise((r) => setTimeout(r, 50));
  await t.rejects(moved.get(url('/mms')), { message: /aborted/, reason: 0xe1 }, 'after Disconnect: no session');
  const text = await metrics.registry.metrics();
  t.match(text, /wapgw_wsp_session_events_total\{event="suspend"\} 1/);
  t.match(text, /wapgw_wsp_session_events_total\{event="resume"\} 1/);
  t.match(text, /wapgw_wsp_session_events_total\{event="disconnect"\} 1/);
  t.match(text, /wapgw_wsp_sessions 0/, 'no session left');
  // a session that did not negotiate Session Resume cannot be resumed
  const plain = await handset();
  const { sessionId: sid2 } = await plain.connect();
  const other = await handset();
  await t.rejects(other.transact(resumePdu(sid2)), { message: /aborted/, reason: 0xe1 }, 'Resume refused without Session Resume');
});

t.test('idle timeout drops the session', async (t) => {
  const { handset, url, gw } = await setup(t, { wsp: { sessionIdleTimeoutMs: 200 } });
  const h = await handset();
  await h.connect();
  t.equal((gw.status() as { sessions: number }).sessions, 1);
  await new Promise((r) => setTimeout(r, 450));
  t.equal((gw.status() as { sessions: number }).sessions, 0, 'expired by the timer driver');
  await t.rejects(h.get(url('/mms')), { message: /aborted/, reason: 0xe1 });
});

t.test('limits: Client-SDU-Size and 413 with a reason', async (t) => {
  const { handset, url } = await setup(t);
  const h = await handset();
  await h.connect(2000);
  const r = await h.get(url('/mms?size=5000'));
  t.equal(r.status, 413);
  t.match(r.body.toString(), /2000/);
  t.equal((await h.get(url('/mms?size=1500'))).status, 200);
});

t.test('access: origin outside the allowlist and a refused network get 403', async (t) => {
  const { handset, origin } = await setup(t);
  const h = await handset();
  await h.connect();
  const r = await h.get(`http://localhost:${origin.port}/mms`);
  t.equal(r.status, 403);
  t.equal(origin.requests.length, 0, 'nothing upstream');
  const other = await setup(t, { proxy: { allowedNetworks: ['10.0.0.0/8'] } });
  const h2 = await other.handset();
  await h2.connect();
  t.equal((await h2.get(other.url('/mms'))).status, 403, 'WSP Reply 403, not silence');
  t.match(await other.metrics.registry.metrics(), /wapgw_access_denied_total\{layer="wsp",reason="network"\} 1/);
});

t.test('connectionless Get/Post with the TID byte; > 1 datagram -> 413', async (t) => {
  // an operator whose APN drops spoofed sources lifts the amplification bound
  const { gw, url, origin } = await setup(t, { wsp: { connectionlessMaxAmplification: 0 } });
  const s = dgram.createSocket('udp4');
  t.teardown(() => s.close());
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const ask = (b: Buffer) =>
    new Promise<Buffer>((resolve) => {
      s.once('message', resolve);
      s.send(b, gw.ports.connectionless, '127.0.0.1');
    });
  const r1 = await ask(Buffer.concat([Buffer.from([0x2a]), getPdu(url('/mms?size=100'))]));
  t.equal(r1[0], 0x2a, 'Reply reuses the TID');
  const rep = parseReply(r1.subarray(1));
  t.equal(rep.status, 200);
  t.equal(rep.body.length, 100);
  const r2 = await ask(Buffer.concat([Buffer.from([0x2b]), postPdu(url('/mms'), 'application/vnd.wap.mms-message', Buffer.from('hello'))]));
  t.equal(r2[0], 0x2b);
  t.equal(parseReply(r2.subarray(1)).status, 200);
  t.equal(origin.requests[1]?.body.toString(), 'hello');
  const r3 = await ask(Buffer.concat([Buffer.from([0x2c]), getPdu(url('/mms?size=70000'))]));
  const big = parseReply(r3.subarray(1));
  t.equal(big.status, 413, 'never a truncated datagram');
  t.ok(big.body.length > 0, 'with a reason');
});

t.test('connectionless replies never exceed the request by more than wsp.connectionlessMaxAmplification', async (t) => {
  const { gw, url, origin, metrics } = await setup(t, { wsp: { connectionlessMaxAmplification: 3 } });
  const s = dgram.createSocket('udp4');
  t.teardown(() => s.close());
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const replies: Buffer[] = [];
  s.on('message', (m) => replies.push(m));
  const sendAndWait = async (b: Buffer, ms = 400) => {
    const before = replies.length;
    s.send(b, gw.ports.connectionless, '127.0.0.1');
    const until = Date.now() + ms;
    while (replies.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return replies.length > before ? replies[replies.length - 1] : undefined;
  };
  const small = Buffer.concat([Buffer.from([0x31]), getPdu(url('/mms?size=1'))]);
  const r1 = await sendAndWait(small);
  t.ok(r1, 'a reply that fits the bound is sent');
  t.ok(r1 && r1.length <= 3 * small.length, `${r1?.length} <= 3 x ${small.length} octets`);
  t.equal(r1 && parseReply(r1.subarray(1)).status, 200);
  const big = Buffer.concat([Buffer.from([0x32]), getPdu(url('/mms?size=5000'))]);
  const r2 = await sendAndWait(big);
  t.ok(r2 && r2.length <= big.length, 'a reply over the bound is replaced by a bare 413 no larger than the request');
  t.equal(r2 && parseReply(r2.subarray(1)).status, 413);
  t.equal(origin.requests.length, 2, 'the MMSC was asked both times (the bound is about what goes back)');
  const denied = (await metrics.registry.getSingleMetric('wapgw_access_denied_total')?.get())?.values.find(
    (v) => v.labels.layer === 'wsp-cl' && v.labels.reason === 'amplification',
  );
  t.equal(denied?.value, 1, 'counted');
});

t.test('by default (factor 1) a connectionless reply is never larger than its request', async (t) => {
  const { gw, url } = await setup(t);
  const s = dgram.createSocket('udp4');
  t.teardown(() => s.close());
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  for (const size of [1, 100, 5000]) {
    const req = Buffer.concat([Buffer.from([0x40 + (size % 64)]), getPdu(url(`/mms?size=${size}`))]);
    const got = await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 400);
      s.once('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      s.send(req, gw.ports.connectionless, '127.0.0.1');
    });
    t.ok(got === undefined || got.length <= req.length, `size=${size}: ${got?.length ?? 'no'} reply octets for ${req.length} request octets`);
  }
});

t.test('bad input is counted and answered per spec, never a crash', async (t) => {
  const { gw, handset, url, metrics } = await setup(t);
  const s = dgram.createSocket('udp4');
  t.teardown(() => s.close());
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  for (const b of [Buffer.from([0xff]), Buffer.from([0x0a, 0x00]), Buffer.from('garbage garbage'), Buffer.alloc(0)]) {
    s.send(b, gw.ports.connectionOriented, '127.0.0.1');
    s.send(b, gw.ports.connectionless, '127.0.0.1');
  }
  const h = await handset();
  await h.connect();
  // a valid WTP Invoke carrying an undecodable WSP PDU: Abort PROTOERR on that transaction
  await t.rejects(h.transact(Buffer.from([0x40, 0x7f, 0x61])), { message: /aborted/, reason: 0xe0 });
  await t.rejects(h.transact(Buffer.from([0x33])), { message: /aborted/, reason: 0xe0 }, 'reserved PDU type');
  t.equal((await h.get(url('/mms?size=3'))).status, 200, 'still serving');
  const text = await metrics.registry.metrics();
  t.match(text, /wapgw_decode_errors_total\{layer="wtp"\} [1-9]/);
  t.match(text, /wapgw_decode_errors_total\{layer="wsp-cl"\} [1-9]/);
  t.match(text, /wapgw_decode_errors_total\{layer="wsp"\} [1-9]/);
});

t.test('drain: in-flight methods finish, new transactions refused', async (t) => {
  const { handset, url, close } = await setup(t);
  const h = await handset();
  await h.connect();
  const late = await handset();
  await late.connect();
  const tid = h.nextTid();
  h.invoke(tid, getPdu(url('/slow')));
  await new Promise((r) => setTimeout(r, 50));
  const closing = close(Date.now() + 2000);
  await new Promise((r) => setTimeout(r, 20));
  await t.rejects(late.get(url('/mms')), { message: /aborted/, reason: 0xe1 }, 'new method during drain: Abort DISCONNECT');
  const reply = parseReply(await h.collectResult(tid));
  t.equal(reply.status, 200, 'the in-flight method finished');
  t.equal(reply.body.toString(), 'slow done');
  await closing;
});

t.test('sessions bounded by wsp.maxSessions: the least recently used is evicted', async (t) => {
  const { handset, url, metrics, gw } = await setup(t, { wsp: { maxSessions: 2 } });
  const a = await handset();
  await a.connect();
  const b = await handset();
  await b.connect();
  const c = await handset();
  await c.connect();
  await new Promise((r) => setTimeout(r, 20));
  t.equal((gw.status() as { sessions: number }).sessions, 2);
  await t.rejects(a.get(url('/mms')), { message: /aborted/, reason: 0xe1 }, 'the evicted session is gone');
  t.equal((await c.get(url('/mms?size=1'))).status, 200);
  t.match(await metrics.registry.metrics(), /wapgw_wsp_session_events_total\{event="evict"\} 1/);
});

t.test('wsp.maxSessionsPerSource: a new session ends that source\'s least recently active one, never another phone\'s', async (t) => {
  const { handset, url, metrics, gw } = await setup(t, { wsp: { maxSessions: 10, maxSessionsPerSource: 2 } });
  const other = await handset('127.0.0.2');
  await other.connect();
  const a = await handset();
  await a.connect();
  const b = await handset();
  await b.connect();
  await new Promise((r) => setTimeout(r, 5));
  t.equal((await a.get(url('/mms?size=1'))).status, 200, 'a is used again: b is now the least recently active');
  const c = await handset();
  await c.connect();
  await new Promise((r) => setTimeout(r, 20));
  t.equal((gw.status() as { sessions: number }).sessions, 3, '127.0.0.1 holds 2, 127.0.0.2 holds 1');
  await t.rejects(b.get(url('/mms')), { message: /aborted/, reason: 0xe1 }, "b's session is gone");
  t.equal((await a.get(url('/mms?size=1'))).status, 200, 'a kept');
  t.equal((await c.get(url('/mms?size=1'))).status, 200, 'c served');
  const d = await handset();
  await d.connect();
  await new Promise((r) => setTimeout(r, 20));
  t.equal((gw.status() as { sessions: number }).sessions, 3, 'still 2 + 1');
  await t.rejects(a.get(url('/mms')), { message: /aborted/, reason: 0xe1 }, 'now a was the least recently active of 127.0.0.1');
  t.equal((await other.get(url('/mms?size=1'))).status, 403, "the other phone's session survived every Connect from 127.0.0.1 (a Reply in its session; 403: nobody is bound to 127.0.0.2)");
  const text = await metrics.registry.metrics();
  t.match(text, /wapgw_wsp_session_events_total\{event="source-limit"\} 2/);
});

t.test('SIGHUP: new access rules apply to WSP methods', async (t) => {
  const { handset, url, gw } = await setup(t);
  const h = await handset();
  await h.connect();
  t.equal((await h.get(url('/mms?size=1'))).status, 200);
  const next = configSchema.parse({ mmsc: { url: url('/mms') }, proxy: { allowedNetworks: ['10.0.0.0/8'] } });
  const apply = gw.prepareReload(next);
  apply();
  t.equal((await h.get(url('/mms?size=1'))).status, 403, 'refused after the reload');
});
