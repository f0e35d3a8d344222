/**
 * The MMS proxy end to end: a test origin (MMSC) on 127.0.0.1, the proxy in-process on an
 * ephemeral port, `curl` as the phone (raw sockets for what curl will not send).
 */
import { execFile } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { parseConfig } from '../../src/config/load';
import type { ConfigInput } from '../../src/config/schema';
import { createLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { verifySignature } from '../../src/policy/identity';
import { MmsProxy } from '../../src/proxy/server';
import { MemorySubscribers } from '../helpers/memory-subscribers';
import { bufferHandler, resetHandler, stallHandler, startOrigin, summaryHandler, type TestOrigin } from '../helpers/origin';

const hasCurl = (() => {
  try {
    require('node:child_process').execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const curlSkip = hasCurl ? false : 'curl not installed';

const tmp = mkdtempSync(join(tmpdir(), 'wapgw-proxy-'));

interface Harness {
  proxy: MmsProxy;
  port: number;
  metrics: Metrics;
  subs: MemorySubscribers;
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function startProxy(origin: TestOrigin, over: ConfigInput = {}, bound = true): Promise<Harness> {
  const input: ConfigInput = {
    ...over,
    mmsc: { url: `${origin.origin}/mms`, ...(over.mmsc ?? {}) },
    proxy: { bind: '127.0.0.1', port: 0, allowedNetworks: ['127.0.0.0/8'], ...(over.proxy ?? {}) },
  };
  const config = parseConfig(input);
  const subs = new MemorySubscribers(bound ? [{ key: '127.0.0.1', msisdn: '31611111111', imsi: '204080000000001', ratType: 6 }] : []);
  const metrics = new Metrics();
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) logs.push(JSON.parse(l));
      cb();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const proxy = new MmsProxy({ config, subscribers: subs, metrics, logger });
  const [l] = await proxy.start();
  return { proxy, port: l!.port, metrics, subs, logs, close: () => proxy.close(Date.now() + 500) };
}

interface CurlResult {
  status: number;
  body: string;
  code: number;
}

function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-S', '--max-time', '10', '-w', '\n%{http_code}', ...args], { maxBuffer: 8 << 20 }, (err, stdout) => {
      const i = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i), code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
  });
}

/** Sends raw bytes, returns everything the proxy answered before closing (or after `waitMs`). */
function raw(port: number, data: string | Buffer, waitMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    const done = () => resolve(out);
    s.on('close', done);
    s.on('error', () => undefined);
    setTimeout(() => {
      s.destroy();
    }, waitMs).unref();
  });
}

const statusOf = (resp: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(resp)?.[1] ?? 0);

async function metricValue(m: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const j = await m.registry.getSingleMetric(name)!.get();
  const v = j.values.find((x) => Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val));
  return v?.value ?? 0;
}

t.test('unbound phone: 403 and nothing upstream', { skip: curlSkip }, async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin, {}, false);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const r = await curl(['-x', `http://127.0.0.1:${h.port}`, `${origin.origin}/mms`]);
  t.equal(r.status, 403);
  t.equal(origin.requests.length, 0, 'origin never contacted');
  t.equal(await metricValue(h.metrics, 'wapgw_access_denied_total', { layer: 'proxy', reason: 'no-subscriber' }), 1);
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_requests_total', { method: 'GET', status: '403' }), 1);
});

t.test('outside the APN networks: 403 and nothing upstream', { skip: curlSkip }, async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin, { proxy: { allowedNetworks: ['10.0.0.0/8', '::1/128'] } });
  t.teardown(async () => { await h.close(); await origin.close(); });
  const r = await curl(['-x', `http://127.0.0.1:${h.port}`, `${origin.origin}/mms`]);
  t.equal(r.status, 403);
  t.equal(origin.requests.length, 0);
  t.equal(await metricValue(h.metrics, 'wapgw_access_denied_total', { layer: 'proxy', reason: 'network' }), 1);
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'network' }), 1);
});

t.test('bound phone: 200, the origin sees the real identity and never the spoofed one', { skip: curlSkip }, async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const spoof = [
    'X-MSISDN: 31666666666', 'x-msisdn: 31666666667', 'X_MSISDN: 31666666668', 'X-WAP-Network-Client-MSISDN: 31666666669',
    'X-WAP-Network-Client-IP: 6.6.6.6', 'x_wap_network_client_ip: 6.6.6.7', 'X-IMSI: 999', 'X-Up-Calling-Line-ID: 3166',
    'X-Forwarded-For: 6.6.6.6', 'X-WAPGW-Signature: v1;t=1;sig=forged', 'X-Real-IP: 6.6.6.8', 'True-Client-IP: 6.6.6.9',
  ].flatMap((x) => ['-H', x]);
  const r = await curl(['-x', `http://127.0.0.1:${h.port}`, ...spoof, `${origin.origin}/mms?x=1`]);
  t.equal(r.status, 200);
  t.equal(origin.requests.length, 1);
  const got = origin.requests[0]!;
  t.equal(got.url, '/mms?x=1');
  t.same(origin.headerValues('X-WAP-Network-Client-IP'), ['127.0.0.1']);
  t.same(origin.headerValues('X-WAP-Network-Client-MSISDN'), ['31611111111']);
  t.same(origin.headerValues('X-MSISDN'), ['31611111111']);
  t.same(origin.headerValues('X-IMSI'), ['204080000000001']);
  t.same(origin.headerValues('X-WAP-3GPP-RAT-TYPE'), ['6']);
  const names = got.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  for (const bad of ['x_msisdn', 'x_wap_network_client_ip', 'x-up-calling-line-id', 'x-forwarded-for', 'x-real-ip', 'true-client-ip', 'x-wapgw-signature', 'proxy-connection']) {
    t.notOk(names.includes(bad), `${bad} not forwarded`);
  }
  t.notOk(JSON.stringify(got.rawHeaders).includes('3166666'), 'no spoofed value anywhere');
  t.notOk(JSON.stringify(got.rawHeaders).includes('6.6.6.'), 'no spoofed IP anywhere');
  t.equal(got.headers.host, `127.0.0.1:${origin.port}`);
  t.match(got.headers.via, /1\.1 wapgw/);
  // access log: one line, MSISDN redacted by the logger
  const lines = h.logs.filter((l) => l.msg === 'proxy request');
  t.equal(lines.length, 1);
  t.match(lines[0], { src: '127.0.0.1', method: 'GET', status: 200, msisdn: '[redacted]', url: `${origin.origin}/mms?x=1` });
  t.type(lines[0]!.ms, 'number');
  t.ok((lines[0]!.bytesOut as number) > 0);
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_requests_total', { method: 'GET', status: '200' }), 1);
  const lat = await h.metrics.registry.getSingleMetric('wapgw_upstream_latency_seconds')!.get();
  t.ok(lat.values.some((v) => v.labels.source === 'proxy' && (v as { metricName?: string }).metricName?.endsWith('_count') && v.value === 1));
});

t.test('origin-form requests go to mmsc.url origin, Host rewritten', { skip: curlSkip }, async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const r = await curl(['-H', 'Host: evil.example', `http://127.0.0.1:${h.port}/mms/retrieve?id=42`]);
  t.equal(r.status, 200);
  t.equal(origin.requests[0]?.url, '/mms/retrieve?id=42');
  t.equal(origin.requests[0]?.headers.host, `127.0.0.1:${origin.port}`);
  // absolute-form with a lying Host: the absolute URI wins
  const resp = await raw(h.port, `GET ${origin.origin}/x HTTP/1.1\r\nHost: evil.example:81\r\nConnection: close\r\n\r\n`);
  t.equal(statusOf(resp), 200);
  t.equal(origin.requests[1]?.headers.host, `127.0.0.1:${origin.port}`);
});

t.test('a 300 KB POST arrives byte-identical; a 300 KB GET comes back identical', { skip: curlSkip }, async (t) => {
  const big = randomBytes(300 * 1024);
  const file = join(tmp, 'm-send-req.bin');
  writeFileSync(file, big);
  const origin = await startOrigin();
  const h = await startProxy(origin);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const r = await curl(['-x', `http://127.0.0.1:${h.port}`, '-H', 'Content-Type: application/vnd.wap.mms-message', '--data-binary', `@${file}`, `${origin.origin}/mms`]);
  t.equal(r.status, 200);
  t.equal(origin.requests[0]!.body.length, big.length);
  t.equal(origin.requests[0]!.sha256, createHash('sha256').update(big).digest('hex'));
  // chunked upload (no Content-Length) streams through too
  const c = await curl(['-x', `http://127.0.0.1:${h.port}`, '-H', 'Transfer-Encoding: chunked', '--data-binary', `@${file}`, `${origin.origin}/mms`]);
  t.equal(c.status, 200);
  t.equal(origin.requests[1]!.sha256, createHash('sha256').update(big).digest('hex'));
  t.notOk(origin.requests[1]!.headers['transfer-encoding'] === undefined && origin.requests[1]!.headers['content-length'] === undefined);
  origin.handler = bufferHandler(big, 'application/vnd.wap.mms-message');
  const out = join(tmp, 'retrieved.bin');
  const g = await curl(['-x', `http://127.0.0.1:${h.port}`, '-o', out, `${origin.origin}/mms/msg1`]);
  t.equal(g.status, 200);
  t.equal(createHash('sha256').update(require('node:fs').readFileSync(out)).digest('hex'), createHash('sha256').update(big).digest('hex'));
  const line = h.logs.filter((l) => l.msg === 'proxy request').at(-1)!;
  t.equal(line.bytesOut, big.length);
  t.equal(h.logs.filter((l) => l.msg === 'proxy request')[0]!.bytesIn, big.length);
});

t.test('never an open proxy: other hosts, ports, CONNECT, userinfo refused; nobody contacted', { skip: curlSkip }, async (t) => {
  const origin = await startOrigin();
  const other = await startOrigin();
  const h = await startProxy(origin);
  t.teardown(async () => { await h.close(); await origin.close(); await other.close(); });
  const px = ['-x', `http://127.0.0.1:${h.port}`];
  t.equal((await curl([...px, `${other.origin}/mms`])).status, 403, 'other port on the same IP');
  t.equal((await curl([...px, `http://localhost:${origin.port}/mms`])).status, 403, 'same machine by another name');
  t.equal((await curl([...px, `http://127.0.0.2:${origin.port}/mms`])).status, 403, 'another IP literal');
  t.not((await curl([...px, `https://127.0.0.1:${origin.port}/mms`, '-k'])).code, 0, 'https via the proxy means CONNECT: refused');
  t.equal((await curl([...px, '--proxytunnel', `${origin.origin}/mms`])).code !== 0, true, 'curl CONNECT tunnel fails');
  const connect = await raw(h.port, `CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n\r\n`);
  t.equal(statusOf(connect), 405);
  t.match(connect, /Allow: GET, POST, HEAD/);
  const ui = await raw(h.port, `GET http://evil@127.0.0.1:${origin.port}/mms HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  t.equal(statusOf(ui), 403, 'userinfo');
  const star = await raw(h.port, `OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  t.equal(statusOf(star), 405);
  const put = await curl([...px, '-X', 'PUT', '-d', 'x', `${origin.origin}/mms`]);
  t.equal(put.status, 405, 'method outside allowedMethods');
  t.equal(origin.requests.length, 0, 'the MMSC saw none of these');
  t.equal(other.requests.length, 0, 'the other server saw none of these');
  t.ok((await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'target' })) >= 4);
  t.ok((await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'connect' })) >= 2);
});

t.test('413 for bodies over proxy.maxBodyBytes, declared or chunked', { skip: curlSkip }, async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin, { proxy: { maxBodyBytes: 100_000 } });
  t.teardown(async () => { await h.close(); await origin.close(); });
  const file = join(tmp, 'big.bin');
  writeFileSync(file, randomBytes(300 * 1024));
  const px = ['-x', `http://127.0.0.1:${h.port}`];
  const declared = await curl([...px, '--data-binary', `@${file}`, `${origin.origin}/mms`]);
  t.equal(declared.status, 413);
  t.equal(origin.requests.length, 0, 'refused before contacting the origin');
  const chunked = await raw(
    h.port,
    `POST ${origin.origin}/mms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${(60_000).toString(16)}\r\n${'a'.repeat(60_000)}\r\n${(60_000).toString(16)}\r\n${'b'.repeat(60_000)}\r\n0\r\n\r\n`,
  );
  t.equal(statusOf(chunked), 413);
  t.equal(origin.requests.filter((r) => r.body.length > 100_000).length, 0, 'the origin never got a whole over-size body');
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'body-too-large' }), 2);
});

t.test('upstream timeout 504, upstream reset or down 502', { skip: curlSkip }, async (t) => {
  const origin = await startOrigin(stallHandler);
  const h = await startProxy(origin, { mmsc: { timeoutMs: 300 } });
  t.teardown(async () => { await h.close(); await origin.close(); });
  const px = ['-x', `http://127.0.0.1:${h.port}`];
  const t0 = Date.now();
  t.equal((await curl([...px, `${origin.origin}/mms`])).status, 504);
  t.ok(Date.now() - t0 < 3000, 'promptly');
  origin.handler = resetHandler;
  t.equal((await curl([...px, `${origin.origin}/mms`])).status, 502);
  origin.handler = summaryHandler;
  t.equal((await curl([...px, `${origin.origin}/mms`])).status, 200, 'recovers');
  await origin.close();
  t.equal((await curl([...px, `${origin.origin}/mms`])).status, 502, 'origin down');
  t.equal(await metricValue(h.metrics, 'wapgw_upstream_responses_total', { source: 'proxy', status: 'timeout' }), 1);
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_requests_total', { method: 'GET', status: '502' }), 2);
});

t.test('request smuggling and malformed framing: 400, nothing upstream', async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const u = `${origin.origin}/mms`;
  const clte = await raw(h.port, `POST ${u} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n`);
  t.equal(statusOf(clte), 400, 'Content-Length with Transfer-Encoding');
  const tecl = await raw(h.port, `POST ${u} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`);
  t.equal(statusOf(tecl), 400, 'Transfer-Encoding with Content-Length');
  const fold = await raw(h.port, `GET ${u} HTTP/1.1\r\nHost: x\r\nX-MSISDN: 1\r\n 31699999999\r\n\r\n`);
  t.equal(statusOf(fold), 400, 'obs-fold');
  const dup = await raw(h.port, `POST ${u} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`);
  t.equal(statusOf(dup), 400, 'two Content-Lengths');
  const gzip = await raw(h.port, `POST ${u} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\nabcd`);
  t.equal(statusOf(gzip), 400, 'Transfer-Encoding other than chunked');
  const huge = await raw(h.port, `GET ${u} HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`);
  t.equal(statusOf(huge), 431, 'headers over maxHeaderBytes');
  t.equal(origin.requests.length, 0);
  t.ok((await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'framing' })) >= 3);
});

t.test('unreadable framing is refused before the policy; the policy decides before the body size', async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin);
  t.teardown(async () => { await h.close(); await origin.close(); });
  // RFC 9112 §6.3: a body whose length cannot be known is a 400 whatever the request says
  const r = await raw(h.port, `POST http://evil.example/mms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\nabcd`);
  t.equal(statusOf(r), 400, 'framing (HTTP layer) before the target (policy)');
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'framing' }), 1);
  // a readable request over proxy.maxBodyBytes aimed elsewhere: the policy's 403 comes first
  const big = await raw(h.port, `POST http://evil.example/mms HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\nabcd`);
  t.equal(statusOf(big), 403, 'target (policy) before body size (proxy only)');
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'target' }), 1);
  t.equal(origin.requests.length, 0);
});

t.test('hop-by-hop headers are not forwarded either way', async (t) => {
  const origin = await startOrigin((r, res) => {
    res.writeHead(200, { Connection: 'X-Up-Hop, keep-alive', 'X-Up-Hop': '1', 'Keep-Alive': 'timeout=5', 'X-End': 'e', 'Content-Length': 2 });
    res.end('ok');
  });
  const h = await startProxy(origin);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const resp = await raw(
    h.port,
    `GET ${origin.origin}/mms HTTP/1.1\r\nHost: x\r\nConnection: X-Hop, close\r\nX-Hop: 1\r\nKeep-Alive: 300\r\nProxy-Connection: keep-alive\r\n` +
      `TE: trailers\r\nUpgrade: websocket\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nTrailer: X-T\r\nX-Keep: k\r\n\r\n`,
  );
  t.equal(statusOf(resp), 200);
  const names = origin.requests[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  for (const n of ['x-hop', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'proxy-authorization', 'trailer']) t.notOk(names.includes(n), `${n} dropped`);
  t.ok(names.includes('x-keep'), 'end-to-end headers kept');
  t.notOk(/x-up-hop/i.test(resp), 'response: Connection-listed header dropped');
  t.notOk(/keep-alive: timeout=5/i.test(resp), 'response: Keep-Alive dropped');
  t.match(resp, /X-End: e/i);
});

t.test('per-source rate limit: 429, counted', async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin, { rateLimit: { proxy: { perSourcePerSecond: 0.001, burst: 2 } } });
  t.teardown(async () => { await h.close(); await origin.close(); });
  const req = `GET ${origin.origin}/mms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  const codes = [];
  for (let i = 0; i < 3; i++) codes.push(statusOf(await raw(h.port, req)));
  t.same(codes, [200, 200, 429]);
  t.equal(await metricValue(h.metrics, 'wapgw_rate_limited_total', { layer: 'proxy' }), 1);
});

/** Opens a connection from `localAddress`; resolves with the socket once connected, and whether it was closed on us. */
function openConn(port: number, localAddress = '127.0.0.1'): Promise<{ s: net.Socket; closed: Promise<boolean> }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve({ s, closed }));
    const closed = new Promise<boolean>((r) => {
      s.on('close', () => r(true));
      setTimeout(() => r(false), 300).unref();
    });
    s.on('error', (e) => (s.connecting ? reject(e) : undefined));
  });
}

const get = (s: net.Socket, url: string): Promise<string> =>
  new Promise((resolve) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*ok/.test(out) || /Content-Length: 0\r\n\r\n/i.test(out)) {
        s.off('data', onData);
        resolve(out);
      }
    };
    s.on('data', onData);
    s.write(`GET ${url} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });

t.test('connection limits: per source (an IPv4 address) and in all; one over is closed on accept', async (t) => {
  const origin = await startOrigin((_r, res) => {
    res.writeHead(200, { 'Content-Length': 2 });
    res.end('ok');
  });
  const h = await startProxy(origin, { proxy: { maxConnectionsPerSource: 2, maxConnections: 3 } });
  h.subs.bind({ key: '127.0.0.2', msisdn: '31622222222', source: 'static', since: 0 });
  const open: net.Socket[] = [];
  t.teardown(async () => {
    for (const s of open) s.destroy();
    await h.close();
    await origin.close();
  });
  const a1 = await openConn(h.port);
  const a2 = await openConn(h.port);
  open.push(a1.s, a2.s);
  t.match(await get(a1.s, `${origin.origin}/mms`), /^HTTP\/1\.1 200/, 'first connection served');
  const a3 = await openConn(h.port);
  open.push(a3.s);
  t.equal(await a3.closed, true, 'the third from 127.0.0.1 is closed');
  t.equal(await a2.closed, false, 'the second stays open');
  t.match(await get(a2.s, `${origin.origin}/mms`), /^HTTP\/1\.1 200/, 'and is served');
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'source-connection-limit' }), 1);
  t.equal((h.proxy.status() as { connections: number }).connections, 2);

  // another source has its own allowance, within the global cap of 3
  const b1 = await openConn(h.port, '127.0.0.2');
  open.push(b1.s);
  t.match(await get(b1.s, `${origin.origin}/mms`), /^HTTP\/1\.1 200/, '127.0.0.2 served');
  const b2 = await openConn(h.port, '127.0.0.2');
  open.push(b2.s);
  t.equal(await b2.closed, true, 'the fourth connection in all is dropped');
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_refusals_total', { reason: 'connection-limit' }), 1);

  // closing one frees its place
  a1.s.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const a4 = await openConn(h.port);
  open.push(a4.s);
  t.equal(await a4.closed, false, 'a place freed by a close is taken again');
  t.match(await get(a4.s, `${origin.origin}/mms`), /^HTTP\/1\.1 200/);
  t.equal((h.proxy.status() as { connections: number }).connections, 3);
});

t.test('slowloris: a client that never finishes its headers is cut off', async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin, { proxy: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
  t.teardown(async () => { await h.close(); await origin.close(); });
  const t0 = Date.now();
  const resp = await raw(h.port, `GET ${origin.origin}/mms HTTP/1.1\r\nHost: x\r\nX-Slow: `, 5000);
  t.ok(Date.now() - t0 < 4000, `closed after ${Date.now() - t0} ms`);
  t.equal(statusOf(resp), 408);
  t.equal(origin.requests.length, 0);
});

t.test('signed identity verifies at the MMSC', async (t) => {
  const secret = 'mmsc-and-gateway-share-this';
  const origin = await startOrigin();
  const h = await startProxy(origin, { identity: { signingSecret: secret } });
  t.teardown(async () => { await h.close(); await origin.close(); });
  t.equal(statusOf(await raw(h.port, `GET ${origin.origin}/mms HTTP/1.1\r\nHost: x\r\nX-WAPGW-Signature: forged\r\nConnection: close\r\n\r\n`)), 200);
  const got = origin.requests[0]!.headers;
  const sig = origin.headerValues('X-WAPGW-Signature');
  t.equal(sig.length, 1);
  const fields = {
    ip: got['x-wap-network-client-ip'] as string,
    msisdn: got['x-msisdn'] as string,
    imsi: got['x-imsi'] as string,
    rat: got['x-wap-3gpp-rat-type'] as string,
  };
  t.ok(verifySignature(secret, sig[0]!, fields), 'verifies with the values received');
  t.notOk(verifySignature(secret, sig[0]!, { ...fields, msisdn: '31699999999' }));
});

t.test('Android MMS client replay: absolute-URI POST then GET on one keep-alive connection', async (t) => {
  // m-send-req header start: X-Mms-Message-Type m-send-req, Transaction-Id "T1", MMS-Version 1.2
  const pdu = Buffer.concat([Buffer.from([0x8c, 0x80, 0x98]), Buffer.from('T1\0'), Buffer.from([0x8d, 0x92]), randomBytes(2000)]);
  const origin = await startOrigin((r, res) => {
    const body = r.method === 'POST' ? Buffer.from([0x8c, 0x81, 0x98, 0x54, 0x31, 0x00, 0x8d, 0x92, 0x92, 0x80]) : pdu;
    res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message', 'content-length': body.length });
    res.end(body);
  });
  const h = await startProxy(origin);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const common =
    'Accept: */*, application/vnd.wap.mms-message, application/vnd.wap.sic\r\n' +
    'x-wap-profile: http://www.google.com/oha/rdf/ua-profile-kila.xml\r\n' +
    'Accept-Language: en-US, en-US\r\n' +
    'User-Agent: Android-Mms/2.0\r\n' +
    // carrier httpParams can make the phone self-assert its number: untrusted, must go
    'X-MSISDN: 31600000000\r\n' +
    `Host: 127.0.0.1:${origin.port}\r\n` +
    'Connection: Keep-Alive\r\n' +
    'Accept-Encoding: gzip\r\n';
  const post =
    `POST ${origin.origin}/mms HTTP/1.1\r\n${common}Content-Type: application/vnd.wap.mms-message\r\nContent-Length: ${pdu.length}\r\n\r\n`;
  const get = `GET ${origin.origin}/mms/retrieve/abc123 HTTP/1.1\r\n${common}\r\n`;
  const resp = await new Promise<string>((resolve) => {
    const s = net.connect(h.port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from(post, 'latin1'), pdu])));
    let out = '';
    let sentGet = false;
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (!sentGet && out.includes('\x8d\x92\x92\x80')) {
        sentGet = true;
        s.write(get);
      }
      if (sentGet && out.split('HTTP/1.1 200').length === 3 && out.length > pdu.length) {
        s.end();
        resolve(out);
      }
    });
    s.on('error', () => resolve(out));
    setTimeout(() => resolve(out), 3000).unref();
  });
  t.equal(resp.split('HTTP/1.1 200 OK').length - 1, 2, 'two 200s on one connection');
  t.notMatch(resp.slice(0, resp.indexOf('\r\n\r\n')), /connection: close/i, 'kept alive');
  t.equal(origin.requests.length, 2);
  const [p, g] = origin.requests as [typeof origin.requests[0], typeof origin.requests[0]];
  t.equal(p.method, 'POST');
  t.equal(p.url, '/mms');
  t.equal(p.sha256, createHash('sha256').update(pdu).digest('hex'), 'PDU byte-identical');
  t.equal(p.headers['content-type'], 'application/vnd.wap.mms-message');
  t.equal(g.method, 'GET');
  t.equal(g.url, '/mms/retrieve/abc123');
  for (const r of [p, g]) {
    t.equal(r.headers['user-agent'], 'Android-Mms/2.0');
    t.equal(r.headers['x-wap-profile'], 'http://www.google.com/oha/rdf/ua-profile-kila.xml');
    t.equal(r.headers.accept, '*/*, application/vnd.wap.mms-message, application/vnd.wap.sic');
    t.equal(r.headers['accept-encoding'], 'gzip');
    t.equal(r.headers['x-msisdn'], '31611111111', 'the bound MSISDN, not the self-asserted one');
    t.equal(r.headers['x-wap-network-client-ip'], '127.0.0.1');
    t.equal(r.headers.host, `127.0.0.1:${origin.port}`);
  }
  const lines = h.logs.filter((l) => l.msg === 'proxy request');
  t.match(lines[0], { method: 'POST', status: 200, mmsIn: { type: 'm-send-req', transactionId: 'T1' }, mmsOut: { type: 'm-send-conf', transactionId: 'T1' } });
  t.match(lines[1], { method: 'GET', status: 200, mmsOut: { type: 'm-send-req', transactionId: 'T1' } });
});

t.test('close(deadline) stops listening', async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin);
  await h.close();
  await origin.close();
  const err = await new Promise<string>((resolve) => {
    const s = net.connect(h.port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve('connected'); });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  t.equal(err, 'ECONNREFUSED');
});

t.test('reload: requireSubscriber and allowedNetworks apply live', async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin, {}, false);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const req = `GET ${origin.origin}/mms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  t.equal(statusOf(await raw(h.port, req)), 403);
  const base = { mmsc: { url: `${origin.origin}/mms` }, proxy: { bind: '127.0.0.1', port: 0 } };
  h.proxy.prepareReload(parseConfig({ ...base, proxy: { ...base.proxy, allowedNetworks: ['127.0.0.0/8'], requireSubscriber: false } }))();
  t.equal(statusOf(await raw(h.port, req)), 200, 'unbound but allowed now');
  t.same(origin.headerValues('X-WAP-Network-Client-IP'), ['127.0.0.1']);
  t.equal(origin.headerValues('X-MSISDN').length, 0, 'no MSISDN for an unbound source');
  h.proxy.prepareReload(parseConfig({ ...base, proxy: { ...base.proxy, allowedNetworks: ['10.0.0.0/8'], requireSubscriber: false } }))();
  t.equal(statusOf(await raw(h.port, req)), 403, 'network removed');
  t.match(h.proxy.status(), { listening: true, upstreams: [`http://127.0.0.1:${origin.port}`] });
  // one request went upstream, on one keep-alive connection, now idle
  t.same((h.proxy.status() as { upstreamConnections: unknown }).upstreamConnections, { [`http://127.0.0.1:${origin.port}`]: { open: 1, idle: 1, waiting: 0 } });
  t.ok(h.proxy.healthy());
});

t.test('Expect: 100-continue only after every check passed', async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin, { proxy: { maxBodyBytes: 1000 } });
  t.teardown(async () => { await h.close(); await origin.close(); });
  const head = (n: number) => `POST ${origin.origin}/mms HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${n}\r\n\r\n`;
  const tooBig = await raw(h.port, head(5000), 800);
  t.equal(statusOf(tooBig), 413, 'refused without a 100 Continue');
  t.notMatch(tooBig, /100 Continue/);
  const ok = await new Promise<string>((resolve) => {
    const s = net.connect(h.port, '127.0.0.1', () => s.write(head(5)));
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (out.startsWith('HTTP/1.1 100') && !out.includes('200 OK')) s.write('hello');
      if (out.includes('200 OK')) s.end();
    });
    s.on('close', () => resolve(out));
    setTimeout(() => s.destroy(), 2000).unref();
  });
  t.match(ok, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  t.equal(origin.requests.length, 1);
  t.equal(origin.requests[0]!.body.toString(), 'hello');
  t.equal(origin.requests[0]!.headers.expect, undefined, 'Expect is not forwarded');
});

t.test('IPv6 phone: bound by its /64, identity carries the IPv6 address', { skip: curlSkip }, async (t) => {
  const origin = await startOrigin();
  const config = parseConfig({
    mmsc: { url: `${origin.origin}/mms` },
    proxy: { bind: '::1', port: 0, allowedNetworks: ['::1/128'] },
  });
  const subs = new MemorySubscribers([{ key: '::/64', msisdn: '31677777777' }]);
  const proxy = new MmsProxy({ config, subscribers: subs, metrics: new Metrics(), logger: createLogger({ level: 'silent' }) });
  const [l] = await proxy.start();
  t.teardown(async () => { await proxy.close(Date.now() + 500); await origin.close(); });
  const r = await curl(['-x', `http://[::1]:${l!.port}`, `${origin.origin}/mms`]);
  t.equal(r.status, 200);
  t.same(origin.headerValues('X-WAP-Network-Client-IP'), ['::1']);
  t.same(origin.headerValues('X-MSISDN'), ['31677777777']);
  const v4only = parseConfig({ mmsc: { url: `${origin.origin}/mms` }, proxy: { bind: '::1', port: 0, allowedNetworks: ['127.0.0.0/8'] } });
  const p2 = new MmsProxy({ config: v4only, subscribers: subs, metrics: new Metrics(), logger: createLogger({ level: 'silent' }) });
  const [l2] = await p2.start();
  t.teardown(() => p2.close(Date.now() + 500));
  t.equal((await curl(['-x', `http://[::1]:${l2!.port}`, `${origin.origin}/mms`])).status, 403, 'IPv6 source outside IPv4-only networks');
  t.equal(origin.requests.length, 1);
});

t.test('a refused POST is answered at once and its body is not read to the end', async (t) => {
  const origin = await startOrigin();
  const h = await startProxy(origin, {}, false);
  t.teardown(async () => { await h.close(); await origin.close(); });
  const t0 = Date.now();
  // announces 900 KB but sends only the headers and a little: the 403 must not wait for the rest
  const resp = await raw(h.port, `POST ${origin.origin}/mms HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n${'x'.repeat(1000)}`, 3000);
  t.equal(statusOf(resp), 403);
  t.match(resp, /Connection: close/i);
  t.ok(Date.now() - t0 < 2000, 'closed promptly');
  t.equal(origin.requests.length, 0);
});

t.test('a broken or smuggling MMSC: unframeable responses are 502, octets after a response never reach the next request', async (t) => {
  const origin = await startOrigin(summaryHandler);
  const h = await startProxy(origin);
  t.teardown(async () => {
    await h.close();
    await origin.close();
  });
  const get = (path: string) => raw(h.port, `GET ${origin.origin}${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  // Transfer-Encoding with Content-Length (RFC 9112 §6.3): not relayed
  origin.handler = (_r, res) => {
    res.socket!.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
  };
  const bad = await get('/mms');
  t.equal(statusOf(bad), 502, 'TE with CL: 502');
  t.notMatch(bad, /abc/, 'nothing of it relayed');
  // a second response hidden behind the first one's Content-Length
  origin.handler = (_r, res) => {
    res.socket!.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!');
  };
  const first = await get('/mms');
  t.equal(statusOf(first), 200);
  t.match(first, /\r\n\r\nok$/, 'the first response, exactly');
  origin.handler = summaryHandler;
  const next = await get('/mms?next');
  t.equal(statusOf(next), 200);
  t.notMatch(next, /EVIL/, 'the hidden response never answers the next request');
  t.match(next, /next/, "the next request got the origin's own answer");
  t.equal(await metricValue(h.metrics, 'wapgw_proxy_requests_total', { method: 'GET', status: '502' }), 1);
});

t.test('subscriber data that would split the request head (CR LF in an MSISDN) is never sent', async (t) => {
  const origin = await startOrigin(summaryHandler);
  const h = await startProxy(origin, {}, false);
  t.teardown(async () => {
    await h.close();
    await origin.close();
  });
  h.subs.bind({ key: '127.0.0.1', msisdn: '316\r\nX-Evil: 1', source: 'radius', since: 0 });
  const resp = await raw(h.port, `GET ${origin.origin}/mms HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  t.equal(statusOf(resp), 200);
  t.equal(origin.requests.length, 1);
  t.same(origin.headerValues('X-Evil'), [], 'no field smuggled into the request head');
  t.same(origin.headerValues('X-MSISDN'), [], 'the unsafe MSISDN is left out, not sent');
  t.same(origin.headerValues('X-WAP-Network-Client-IP'), ['127.0.0.1']);
});

t.test('lent read buffers under load: concurrent 300 KB and 8 MB replies, stalled and vanishing phones, every reply byte-exact and its own', async (t) => {
  // every reply is its path repeated (a different pattern per request), so octets from another
  // phone's reply or from a reused read buffer show at once
  // the stalled phones' replies are larger than the kernel's socket buffers on loopback can take
  // (up to 4 MB for the proxy's send side by default), so part of them waits in the proxy
  const body = (url: string): Buffer => Buffer.alloc((url.includes('stalled') ? 8 << 20 : 300 * 1024) - (url.length % 7), `${url}|`);
  const origin = await startOrigin((r, res) => {
    const b = body(r.url);
    res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message', 'content-length': b.length });
    res.end(b);
  });
  const h = await startProxy(origin, { mmsc: { connections: 4 } });
  t.teardown(async () => {
    await h.close();
    await origin.close();
  });

  /** `paths` one after another on one keep-alive connection; `slow`: pauses while reading; `quitAt`: goes away halfway through that reply. */
  const phone = (paths: string[], slow: boolean, quitAt = -1) =>
    new Promise<Array<{ path: string; status: number; body: Buffer }>>((resolve, reject) => {
      const s = net.connect(h.port, '127.0.0.1');
      const out: Array<{ path: string; status: number; body: Buffer }> = [];
      let buf = Buffer.alloc(0);
      let i = 0;
      let want = -1;
      let status = 0;
      let stalled = false;
      const ask = () => s.write(`GET ${origin.origin}${paths[i]} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n\r\n`);
      s.on('connect', ask);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (want < 0) {
          const k = buf.indexOf('\r\n\r\n');
          if (k < 0) return;
          const head = buf.subarray(0, k).toString('latin1');
          status = Number(head.slice(9, 12));
          want = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          buf = buf.subarray(k + 4);
        }
        if (i === quitAt && buf.length > want / 2) {
          s.destroy();
          resolve(out);
          return;
        }
        if (slow && !stalled && paths[i]!.includes('stalled')) {
          // the phone stops reading for a while: the kernel's buffers fill and the proxy has to
          // keep the rest of the reply queued in user space, the case where a reused read buffer
          // would be read over before it was written
          stalled = true;
          s.pause();
          setTimeout(() => s.resume(), 150);
        }
        if (buf.length < want) return;
        out.push({ path: paths[i]!, status, body: Buffer.from(buf.subarray(0, want)) });
        buf = buf.subarray(want);
        want = -1;
        stalled = false;
        if (++i === paths.length) {
          s.end();
          resolve(out);
        } else ask();
      });
      s.on('error', reject);
    });

  const phones: Array<Promise<Array<{ path: string; status: number; body: Buffer }>>> = [];
  for (let p = 0; p < 16; p++) {
    const paths = [0, 1, 2].map((k) => `/mms/phone-${p}${p % 4 === 1 && k === 0 ? '-stalled' : ''}/message-${k}`);
    phones.push(phone(paths, p % 4 === 1, p % 5 === 4 ? 1 : -1));
  }
  const results = (await Promise.all(phones)).flat();
  t.equal(results.length, 16 * 3 - 3 * 2, 'every reply but those of the phones that went away');
  let exact = 0;
  for (const r of results) if (r.status === 200 && r.body.equals(body(r.path))) exact++;
  t.equal(exact, results.length, 'every reply byte-exact, no octet of another');
});
