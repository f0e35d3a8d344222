import t from 'tap';
import { WspBridge, type MethodRequest } from '../../src/bridge/bridge';
import { UpstreamClient } from '../../src/bridge/upstream';
import { httpToWspStatus, normalizeHttpStatus, wspToHttpStatus } from '../../src/codec/wsp/tables';
import { mergeSessionHeaders, toHttpRequestHeaders } from '../../src/bridge/headers';
import { configSchema } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { Policy } from '../../src/policy/admit';
import { MemorySubscribers } from '../helpers/memory-subscribers';
import { startOrigin } from '../helpers/origin';
import { TraceIds } from '../../src/core/trace-id';
import { ClientHeaders, HeadBlocks, toWspReplyHeaders, type ClientPart, type RequestHeaderOptions } from '../../src/bridge/headers';

/** The test MMSC (test/helpers/origin.ts): `/slow` answers after 2 s, `/status?code=N` that status, else `?size=N` octets. */
async function origin(t: { teardown(f: () => unknown): void }) {
  const o = await startOrigin((r, res) => {
    const u = new URL(r.url || '/', 'http://x');
    if (u.pathname === '/slow') return void setTimeout(() => res.end('late'), 2000);
    if (u.pathname === '/status') {
      res.writeHead(Number(u.searchParams.get('code')), { 'content-type': 'text/plain' });
      return void res.end('x');
    }
    const n = Number(u.searchParams.get('size') ?? 10);
    res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message', connection: 'keep-alive', 'x-extra': 'yes' });
    res.end(Buffer.alloc(n, 0x41));
  });
  t.teardown(() => o.close());
  return { seen: o.requests, port: o.port, base: o.origin, connections: () => o.connections };
}

function setup(t: { teardown(f: () => unknown): void }, base: string, over: Record<string, unknown> = {}, traces?: TraceIds) {
  const config = configSchema.parse({
    mmsc: { url: `${base}/mms`, timeoutMs: 500 },
    proxy: { allowedNetworks: ['10.0.0.0/8', '127.0.0.0/8'], requireSubscriber: true },
    ...over,
  });
  const store = new MemorySubscribers();
  store.bind({ key: '10.1.2.3', msisdn: '4915112345678', imsi: '262011234567890', source: 'static', since: 0 });
  const metrics = new Metrics();
  const policy = new Policy({ bearer: 'wsp', config, subscribers: store });
  const upstream = new UpstreamClient({ isAllowedOrigin: (o) => policy.upstream.check(o + '/').ok, connections: 4, timeoutMs: config.mmsc.timeoutMs });
  t.teardown(() => upstream.close());
  const bridge = new WspBridge({
    upstream,
    policy,
    metrics,
    logger: silentLogger(),
    maxResponseSize: config.wsp.maxResponseSize,
    accessLog: true,
    now: () => performance.now(),
    traces,
  });
  return { bridge, metrics, store, policy };
}

/** A WSP policy for 10.0.0.0/8 that needs no subscriber, with an empty store (the header mapping tests). */
const openPolicy = (): Policy =>
  new Policy({ bearer: 'wsp', config: configSchema.parse({ proxy: { allowedNetworks: ['10.0.0.0/8'], requireSubscriber: false } }), subscribers: new MemorySubscribers() });

const req = (over: Partial<MethodRequest>): MethodRequest => ({
  mode: 'co',
  method: 'GET',
  uri: 'http://127.0.0.1/',
  headers: [],
  sourceIp: '10.1.2.3',
  clientSduSize: 0,
  encodingVersion: '1.2',
  ...over,
});

t.test('status table both ways', async (t) => {
  t.equal(httpToWspStatus(200), 0x20);
  t.equal(httpToWspStatus(413), 0x4d);
  t.equal(httpToWspStatus(504), 0x64);
  t.equal(httpToWspStatus(299), 0x20, 'unknown 2xx -> 200');
  t.equal(httpToWspStatus(599), 0x60, 'unknown 5xx -> 500');
  t.equal(wspToHttpStatus(0x51), 417);
  // the one fallback (RFC 9110 §15: an unknown code is the x00 of its class; not a status -> 500)
  t.equal(normalizeHttpStatus(308), 300, 'unknown 3xx reaches the handset as 300');
  t.equal(normalizeHttpStatus(451), 400, 'unknown 4xx reaches the handset as 400');
  t.equal(normalizeHttpStatus(103), 100, 'unknown 1xx as 100 (same rule as every class)');
  t.equal(normalizeHttpStatus(511), 500);
  t.equal(normalizeHttpStatus(600), 500, 'not an HTTP status -> 500');
  t.equal(normalizeHttpStatus(404), 404, 'a code with a row is kept');
});

t.test('session headers merged, method headers win', async (t) => {
  const m = mergeSessionHeaders([['User-Agent', 'S'], ['Accept', '*/*']], [['user-agent', 'M']]);
  t.same(m, [['Accept', '*/*'], ['user-agent', 'M']]);
});

t.test('GET and POST reach the origin with identity headers; spoofed copies removed', async (t) => {
  const o = await origin(t);
  const { bridge, metrics } = setup(t, o.base);
  const r = await bridge.request(
    req({
      uri: `${o.base}/mms?size=300`,
      headers: [['X-MSISDN', '999'], ['x_msisdn', '998'], ['Profile', 'http://uaprof.example/p.xml'], ['Connection', 'close'], ['Encoding-Version', '1.2']],
      sessionHeaders: [['User-Agent', 'fakewap']],
      sessionId: 7,
    }),
  );
  t.equal(r.status, 200);
  t.equal(r.body.length, 300);
  t.equal(r.contentType, 'application/vnd.wap.mms-message');
  t.ok(r.headers.some(([n]) => n === 'x-extra'));
  t.notOk(r.headers.some(([n]) => n === 'connection' || n === 'content-length'), 'hop-by-hop removed');
  const h = o.seen[0]!.headers;
  t.equal(h['x-msisdn'], '4915112345678');
  t.equal(h['x-wap-network-client-msisdn'], '4915112345678');
  t.equal(h['x-wap-network-client-ip'], '10.1.2.3');
  t.equal(h['x-imsi'], '262011234567890');
  t.notOk(o.seen[0]!.rawHeaders.some((x) => x === '999' || x === '998'), 'client copies stripped');
  t.equal(h['x-wap-profile'], '"http://uaprof.example/p.xml"');
  t.equal(h['user-agent'], 'fakewap', 'session header carried');
  t.notOk(h['encoding-version']);
  t.match(h['via'], /^WAP\/1\.2 /);
  t.equal(h['x-wap-session-id'], '7');

  const body = Buffer.from([0x8c, 0x80, 0x98, 0x41, 0x00]);
  const p = await bridge.request(req({ method: 'POST', uri: `${o.base}/mms`, contentType: 'application/vnd.wap.mms-message', body }));
  t.equal(p.status, 200);
  t.same(o.seen[1]!.body, body, 'POST body byte-identical');
  t.equal(o.seen[1]!.headers['content-type'], 'application/vnd.wap.mms-message');
  const text = await metrics.registry.metrics();
  t.match(text, /wapgw_wsp_methods_total\{mode="co",method="GET",status="200"\} 1/);
  // both exchanges timed, in seconds (a loopback origin answers well within 1 s)
  t.match(text, /wapgw_upstream_latency_seconds_count\{source="wsp"\} 2\n/);
  t.match(text, /wapgw_upstream_latency_seconds_bucket\{le="1",source="wsp"\} 2\n/);
});

t.test('refusals: network, subscriber, origin (no connection), method', async (t) => {
  const o = await origin(t);
  const { bridge, metrics } = setup(t, o.base);
  t.equal((await bridge.request(req({ sourceIp: '192.0.2.1', uri: `${o.base}/mms` }))).status, 403);
  t.equal((await bridge.request(req({ sourceIp: '10.9.9.9', uri: `${o.base}/mms` }))).status, 403);
  const other = `http://localhost:${o.port}/mms`;
  const r = await bridge.request(req({ uri: other }));
  t.equal(r.status, 403);
  t.match(r.body.toString(), /not allowed/);
  t.equal(o.connections(), 0, 'no connection made for a refused origin');
  t.equal((await bridge.request(req({ method: 'PROPFIND', uri: `${o.base}/mms` }))).status, 501);
  t.match(await metrics.registry.metrics(), /wapgw_access_denied_total\{layer="wsp",reason="network"\} 1/);
});

t.test('too large, timeout, failure, status mapping', async (t) => {
  const o = await origin(t);
  const { bridge } = setup(t, o.base);
  const big = await bridge.request(req({ uri: `${o.base}/mms?size=5000`, clientSduSize: 4000 }));
  t.equal(big.status, 413);
  t.match(big.body.toString(), /4000/);
  t.ok(big.body.length > 0, 'reason body, not empty');
  const ok = await bridge.request(req({ uri: `${o.base}/mms?size=3000`, clientSduSize: 4000 }));
  t.equal(ok.status, 200);
  t.equal((await bridge.request(req({ uri: `${o.base}/slow` }))).status, 504);
  t.equal((await bridge.request(req({ uri: `${o.base}/status?code=404` }))).status, 404);
  t.equal((await bridge.request(req({ uri: `${o.base}/status?code=418` }))).status, 400, 'unknown 4xx -> 400');
  const dead = setup(t, 'http://127.0.0.1:1');
  t.equal((await dead.bridge.request(req({ uri: 'http://127.0.0.1:1/mms' }))).status, 502);
});

t.test('MethodAbort cancels the upstream request', async (t) => {
  const o = await origin(t);
  const { bridge } = setup(t, o.base);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const t0 = Date.now();
  const r = await bridge.request(req({ uri: `${o.base}/slow`, signal: ac.signal }));
  t.ok(r.cancelled);
  t.ok(Date.now() - t0 < 400, 'returned at once');
});

t.test('rate limit per source', async (t) => {
  const o = await origin(t);
  const { bridge } = setup(t, o.base, { rateLimit: { wsp: { perSourcePerSecond: 1, burst: 2 } } });
  const codes: number[] = [];
  for (let i = 0; i < 3; i++) codes.push((await bridge.request(req({ uri: `${o.base}/mms` }))).status);
  t.same(codes, [200, 200, 503]);
});

t.test('request headers: Connection tokens and hop-by-hop dropped, client Via kept first, Profile renamed and quoted, bad fields left out', async (t) => {
  const out = toHttpRequestHeaders(
    [
      ['Via', 'WAP/1.1 phone-gw'],
      ['CONNECTION', 'X-Drop-Me, keep-alive'],
      ['x-drop-me', '1'],
      ['Keep-Alive', '5'],
      ['Host', 'evil.example'],
      ['Content-Length', '9'],
      ['Encoding-Version', '1.3'],
      ['Accept', 'a/b'],
      ['accept', 'c/d'],
      ['Profile', 'http://u.example/p.xml'],
      ['Profile-Diff', '<x/>'],
      ['X-Bad', 'a\r\nInjected: 1'],
      ['Bad Name', 'v'],
      ['via', 'WAP/1.2 other'],
    ],
    { encodingVersion: '1.2', viaHost: 'gw1' },
  );
  t.same(out, {
    Accept: 'a/b',
    accept: 'c/d',
    'X-Wap-Profile': '"http://u.example/p.xml"',
    'X-Wap-Profile-Diff': '<x/>',
    Via: 'WAP/1.1 phone-gw, WAP/1.2 other, WAP/1.2 gw1 (wapgw)',
  });
  t.same(Object.keys(out), ['Accept', 'accept', 'X-Wap-Profile', 'X-Wap-Profile-Diff', 'Via'], 'in the order received, Via last');
  const repeated = toHttpRequestHeaders([['X-A', '1'], ['X-A', '2'], ['X-A', '3']], { encodingVersion: '1.2', viaHost: 'gw1' });
  t.same(repeated['X-A'], ['1', '2', '3'], 'a repeated name keeps every value in order');
});

t.test("a method's request headers: the handset's part mapped once per pair of shared lists, the same fields as mapping them whole", async (t) => {
  const policy = openPolicy();
  const ch = new ClientHeaders();
  const session = Object.freeze([Object.freeze(['Accept', '*/*']), Object.freeze(['User-Agent', 'fakewap']), Object.freeze(['Via', 'WAP/1.1 phone-gw'])]) as unknown as Array<[string, string]>;
  const method = Object.freeze([Object.freeze(['X-MSISDN', 'spoofed']), Object.freeze(['Accept', 'a/b']), Object.freeze(['Profile', 'http://u.example/p.xml'])]) as unknown as Array<[string, string]>;
  const opts = { encodingVersion: '1.2', viaHost: 'gw1' };
  const whole = (ip: string) => toHttpRequestHeaders(policy.identify(mergeSessionHeaders(session, method), ip, undefined, 0), opts);
  const a = ch.part(policy.identityRules, session, method);
  t.equal(ch.part(policy.identityRules, session, method), a, 'the same lists: the same part, kept');
  for (const ip of ['10.1.2.3', '10.4.5.6']) {
    const got = ch.request(a, policy.identityHeaders(ip, undefined, 0), opts);
    t.same(got, whole(ip), `${ip}: the fields of the whole mapping`);
    t.same(Object.keys(got), Object.keys(whole(ip)), 'in the same order (identity headers, then Via, last)');
  }
  const copy = ch.request(a, [], opts);
  (copy as Record<string, string>)['X-Added'] = '1';
  t.notOk('X-Added' in ch.request(a, [], opts), 'a request changing its headers does not change the kept part');
  const unfrozen: Array<[string, string]> = [['Accept', 'x/y']];
  t.not(ch.part(policy.identityRules, session, unfrozen), ch.part(policy.identityRules, session, unfrozen), 'lists that may change are mapped each time');
  // a reload with other identity rules is another key
  const reloaded = configSchema.parse({ proxy: { allowedNetworks: ['10.0.0.0/8'], requireSubscriber: false }, identity: { msisdnHeaders: ['X-Other-Msisdn'] } });
  policy.prepareReload(reloaded)();
  t.not(ch.part(policy.identityRules, session, method), a, 'new identity rules: mapped again');
});

t.test("the client's Connection header cannot have our identity headers dropped", async (t) => {
  const policy = openPolicy();
  const ch = new ClientHeaders();
  const sub = { key: '10.1.2.3', msisdn: '4915112345678', source: 'static' as const, since: 0 };
  const method: Array<[string, string]> = [['Connection', 'X-MSISDN, X-WAP-Network-Client-IP, X-Drop'], ['X-Drop', '1'], ['Accept', '*/*']];
  const h = ch.request(ch.part(policy.identityRules, undefined, method), policy.identityHeaders('10.1.2.3', sub, 0), { encodingVersion: '1.2', viaHost: 'gw1' });
  t.equal(h['X-MSISDN'], '4915112345678', 'ours stays');
  t.equal(h['X-WAP-Network-Client-IP'], '10.1.2.3');
  t.notOk('X-Drop' in h, "the client's own listed field is dropped");
  t.equal(h['Accept'], '*/*');
});

t.test("the request head: the handset's copies of the fields each request sets are left out in any case; what cannot be sent never reaches the MMSC", async (t) => {
  const o = await origin(t);
  const { bridge } = setup(t, o.base, {}, new TraceIds('X-Wapgw-Trace-Id'));
  const spoofs: Array<[string, string]> = [
    ['x_wap_session_id', '99'],
    ['X-WAP-Client-SDU-Size', '1'],
    ['x-wapgw-trace-id', 'spoofed'],
    ['Via', 'WAP/1.1 a\r\nInjected: 1'],
    ['Via', 'WAP/1.1 phone-gw'],
    ['Content-Type', 'text/evil'],
    ['Accept', '*/*'],
  ];
  t.equal((await bridge.request(req({ uri: `${o.base}/mms`, headers: spoofs, sessionId: 7 }))).status, 200);
  const raw = o.seen[0]!.rawHeaders;
  const values = (name: string) => raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase().replace(/_/g, '-') === name);
  t.same(values('x-wap-session-id'), ['7'], 'our session id only');
  t.same(values('x-wap-client-sdu-size'), [], 'none of ours without an SDU size, and not the handset\'s');
  t.equal(values('x-wapgw-trace-id').length, 1);
  t.match(values('x-wapgw-trace-id')[0], /^[0-9a-f]{12}-[0-9a-z]+$/, 'our correlation id');
  t.match(values('via')[0], /^WAP\/1\.1 phone-gw, WAP\/1\.2 /, 'a client Via that cannot be sent is left out, the others kept first');
  t.notOk(raw.some((x) => /Injected/.test(x)));
  t.same(values('content-type'), ['text/evil'], "a GET's own Content-Type goes on");
  t.same(values('accept'), ['*/*']);

  t.equal((await bridge.request(req({ mode: 'cl', uri: `${o.base}/mms`, headers: spoofs }))).status, 200);
  t.same(o.seen[1]!.rawHeaders.filter((x) => /^x[-_]wap[-_]session[-_]id$/i.test(x)), [], 'connectionless: no session id, and not the handset\'s');

  const body = Buffer.from([0x8c, 0x80]);
  const post = await bridge.request(req({ method: 'POST', uri: `${o.base}/mms`, headers: spoofs, contentType: 'application/vnd.wap.mms-message', body, clientSduSize: 3000 }));
  t.equal(post.status, 200);
  const p = o.seen[2]!.rawHeaders;
  t.same(p.filter((_, i) => i % 2 === 1 && p[i - 1]!.toLowerCase() === 'content-type'), ['application/vnd.wap.mms-message'], "a POST's Content-Type is the method's, once");
  t.same(p.filter((_, i) => i % 2 === 1 && p[i - 1] === 'X-WAP-Client-SDU-Size'), ['3000']);

  const bad = await bridge.request(req({ method: 'POST', uri: `${o.base}/mms`, contentType: 'a/b\r\nX-Injected: 1', body }));
  t.equal(bad.status, 502, 'a Content-Type the head cannot carry: 502, as the HTTP client answers');
  t.equal(o.seen.length, 3, 'and nothing reached the MMSC');
});

t.test('HeadBlocks: the lines of ClientHeaders.request, checked, kept per identity list while what they were written from stays the same', async (t) => {
  const policy = openPolicy();
  let writes = 0;
  class Counting extends ClientHeaders {
    override request(part: ClientPart, identity: Array<[string, string]>, opts: RequestHeaderOptions) {
      writes++;
      return super.request(part, identity, opts);
    }
  }
  const ch = new Counting();
  const blocks = new HeadBlocks(ch);
  const method = Object.freeze([Object.freeze(['Accept', 'a/b']), Object.freeze(['accept', 'c/d']), Object.freeze(['X-Trace', 'client']), Object.freeze(['User-Agent', 'fakewap'])]) as unknown as Array<[string, string]>;
  const part = ch.part(policy.identityRules, undefined, method);
  const id1 = policy.identityHeaders('10.1.2.3', undefined, 0);
  const own = new Set(['x-trace']);
  const text = blocks.block(part, id1, '1.2', 'gw1', own);
  t.equal(text, 'Accept: a/b\r\naccept: c/d\r\nUser-Agent: fakewap\r\nX-WAP-Network-Client-IP: 10.1.2.3\r\nVia: WAP/1.2 gw1 (wapgw)\r\n', 'every field a line, in order, the own name left out');
  t.equal(writes, 1);
  t.equal(blocks.block(part, id1, '1.2', 'gw1', own), text, 'the same again');
  t.equal(writes, 1, '... kept, not written again');
  t.match(blocks.block(part, id1, '1.3', 'gw1', own), /Via: WAP\/1\.3 gw1/, 'another encoding version: another Via');
  t.equal(writes, 2);
  t.match(blocks.block(part, id1, '1.2', 'gw1', new Set()), /X-Trace: client/, 'other names left out: written again');
  t.equal(writes, 3);
  const id2 = policy.identityHeaders('10.4.5.6', undefined, 0);
  t.match(blocks.block(part, id2, '1.2', 'gw1', own), /X-WAP-Network-Client-IP: 10\.4\.5\.6\r\n/, "another handset's identity: its own block");
  t.equal(writes, 4);
  const other = ch.part(policy.identityRules, undefined, Object.freeze([Object.freeze(['Accept', 'x/y'])]) as unknown as Array<[string, string]>);
  t.match(blocks.block(other, id1, '1.2', 'gw1', own), /^Accept: x\/y\r\n/, 'another part with the same identity: written again');
  t.equal(writes, 5);
});

t.test('reply headers from the fields as received: Content-Type apart, hop-by-hop, Connection-listed, Date, Server and Via left out, names lower-cased, values in order', async (t) => {
  const got = toWspReplyHeaders([
    'Server', 'nginx',
    'Date', 'Tue, 08 Dec 2026 04:00:00 GMT',
    'Content-Type', 'application/vnd.wap.mms-message',
    'Content-Length', '40',
    'X-Twice', '1',
    'ETag', '"abc"',
    'x-twice', '2',
    'X-Private', 'p',
    'CONNECTION', 'keep-alive, X-Private',
    'Content-Type', 'text/plain',
    'Transfer-Encoding', 'chunked',
    'Via', '1.1 other',
  ]);
  t.equal(got.contentType, 'application/vnd.wap.mms-message', 'the first Content-Type');
  t.same(got.headers, [['x-twice', '1'], ['etag', '"abc"'], ['x-twice', '2']]);
  t.equal(toWspReplyHeaders([]).contentType, 'application/octet-stream', 'none: octets');
});
