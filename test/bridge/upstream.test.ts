/**
 * The WSP bridge's upstream client (src/bridge/upstream.ts) on the shared keep-alive pools:
 * what it sends (Host, body framing), the body collected whole whatever the response framing,
 * the cap on the body (declared or counted), the deadline, the caller's cancel, TLS verification,
 * and keep-alive reuse.
 */
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { UpstreamClient, UpstreamError } from '../../src/bridge/upstream';
import { MethodCancel } from '../../src/wsp/method';
import { startOrigin } from '../helpers/origin';

/** The test MMSC (test/helpers/origin.ts): `?size=N` octets of 'A', `/chunked` in 1000-octet chunks, `/stall` half a body. */
async function origin(t: { teardown(f: () => unknown): void }) {
  const o = await startOrigin((r, res) => {
    const u = new URL(r.url || '/', 'http://x');
    const n = Number(u.searchParams.get('size') ?? 10);
    if (u.pathname === '/stall') return void res.writeHead(200, { 'content-length': '10' }).write('12345');
    if (u.pathname.startsWith('/pattern')) {
      // octets that differ along the body and between requests (`seed`): any aliasing of read buffers shows
      const b = pattern(n, Number(u.searchParams.get('seed')));
      if (u.pathname === '/pattern/chunked') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < n; i += 7000) res.write(b.subarray(i, i + 7000));
        return void res.end();
      }
      return void res.writeHead(200, { 'content-length': String(n) }).end(b);
    }
    if (u.pathname === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-a': 'one' });
      for (let i = 0; i < n; i += 1000) res.write(Buffer.alloc(Math.min(1000, n - i), 0x42));
      return void res.end();
    }
    res.writeHead(200, [['Content-Type', 'application/vnd.wap.mms-message'], ['X-Twice', '1'], ['X-Twice', '2']]);
    res.end(Buffer.alloc(n, 0x41));
  });
  t.teardown(() => o.close());
  return { seen: o.requests, port: o.port, base: o.origin, connections: () => o.connections };
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return b;
}

function client(t: { teardown(f: () => unknown): void }, over: Partial<ConstructorParameters<typeof UpstreamClient>[0]> = {}) {
  const c = new UpstreamClient({ isAllowedOrigin: () => true, connections: 2, timeoutMs: 500, ...over });
  t.teardown(() => c.close());
  return c;
}

const code = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (!(e instanceof UpstreamError)) throw e;
    return e.code;
  }
};

t.test('a GET: Host of the target, fields sent as given, headers lower-cased with repeats kept, one kept-alive connection', async (t) => {
  const o = await origin(t);
  const c = client(t);
  const r = await c.request({ url: new URL(`${o.base}/mms?size=300`), method: 'GET', headers: { 'User-Agent': 'x', Accept: ['a/b', 'c/d'] }, maxBody: 1000 });
  t.equal(r.status, 200);
  t.equal(r.body.length, 300);
  t.equal(r.headers['content-type'], 'application/vnd.wap.mms-message');
  t.same(r.headers['x-twice'], ['1', '2']);
  t.ok(r.headersMs >= 0);
  const raw = o.seen[0]!.rawHeaders;
  t.equal(raw[raw.indexOf('Host') + 1], `127.0.0.1:${o.port}`);
  t.equal(raw.filter((x) => x === 'Accept').length, 2, 'a repeated field goes as two lines');
  t.notOk(raw.some((x) => /content-length|transfer-encoding/i.test(x)), 'a GET carries no body framing');
  t.equal(o.seen[0]!.url, '/mms?size=300');
  await c.request({ url: new URL(`${o.base}/mms`), method: 'GET', headers: {}, maxBody: 1000 });
  t.equal(o.connections(), 1, 'the second request reused the connection');
});

t.test('POST and PUT carry Content-Length, also for an empty body', async (t) => {
  const o = await origin(t);
  const c = client(t);
  const body = Buffer.from([0x8c, 0x80, 0x98, 0x41, 0x00]);
  t.equal((await c.request({ url: new URL(`${o.base}/mms`), method: 'POST', headers: {}, body, maxBody: 100 })).status, 200);
  t.same(o.seen[0]!.body, body);
  t.equal(o.seen[0]!.rawHeaders[o.seen[0]!.rawHeaders.indexOf('Content-Length') + 1], '5');
  t.equal((await c.request({ url: new URL(`${o.base}/mms`), method: 'PUT', headers: {}, maxBody: 100 })).status, 200);
  t.equal(o.seen[1]!.rawHeaders[o.seen[1]!.rawHeaders.indexOf('Content-Length') + 1], '0');
});

t.test('a field the head cannot carry fails the request unsent (ERR_UPSTREAM_FAILED); a prepared request goes as written', async (t) => {
  const o = await origin(t);
  const c = client(t);
  t.equal(await code(c.request({ url: new URL(`${o.base}/mms`), method: 'GET', headers: { 'X-Bad': 'a\r\nInjected: 1' }, maxBody: 100 })), 'ERR_UPSTREAM_FAILED', 'CR LF in a value');
  t.equal(await code(c.request({ url: new URL(`${o.base}/mms`), method: 'GET', headers: { 'Bad Name': 'v' }, maxBody: 100 })), 'ERR_UPSTREAM_FAILED', 'a name that is no token');
  t.equal(o.seen.length, 0, 'nothing reached the MMSC');
  const url = new URL(`${o.base}/mms?size=4#fragment`);
  const got = await new Promise<{ err?: UpstreamError; status?: number }>((resolve) =>
    c.sendPrepared(
      { target: { url, origin: url.origin, host: url.host, path: url.pathname + url.search }, method: 'POST', fields: 'X-One: 1\r\nAccept: a/b\r\n', body: Buffer.from('abc'), signal: undefined, maxBody: 100 },
      { upstreamDone: (err, res) => resolve({ err, status: res?.status }) },
    ),
  );
  t.equal(got.status, 200);
  const seen = o.seen[0]!;
  t.equal(seen.url, '/mms?size=4', 'the path and query, never the fragment');
  t.same(seen.rawHeaders, ['Host', `127.0.0.1:${o.port}`, 'X-One', '1', 'Accept', 'a/b', 'Content-Length', '3'], 'Host first, the fields as written, then the framing');
  t.equal(seen.body.toString(), 'abc');
});

t.test('a chunked body is collected whole; past the cap it fails, declared or counted', async (t) => {
  const o = await origin(t);
  const c = client(t);
  const r = await c.request({ url: new URL(`${o.base}/chunked?size=4500`), method: 'GET', headers: {}, maxBody: 4500 });
  t.equal(r.body.length, 4500);
  t.ok(r.body.every((b) => b === 0x42));
  t.same(r.headers['x-a'], 'one');
  t.equal(await code(c.request({ url: new URL(`${o.base}/chunked?size=4501`), method: 'GET', headers: {}, maxBody: 4500 })), 'ERR_UPSTREAM_TOO_LARGE', 'counted');
  t.equal(await code(c.request({ url: new URL(`${o.base}/mms?size=4501`), method: 'GET', headers: {}, maxBody: 4500 })), 'ERR_UPSTREAM_TOO_LARGE', 'declared');
  // the connections of the refused bodies were dropped; the pool still serves
  t.equal((await c.request({ url: new URL(`${o.base}/mms?size=10`), method: 'GET', headers: {}, maxBody: 4500 })).body.length, 10);
});

t.test('the deadline covers the body; a cancel ends the request at once; refused origins never connect', async (t) => {
  const o = await origin(t);
  const c = client(t, { timeoutMs: 150, isAllowedOrigin: (x) => x === o.base });
  const t0 = Date.now();
  t.equal(await code(c.request({ url: new URL(`${o.base}/stall`), method: 'GET', headers: {}, maxBody: 100 })), 'ERR_UPSTREAM_TIMEOUT', 'half a body, then silence');
  t.ok(Date.now() - t0 < 1000);
  const ac = new AbortController();
  const p = c.request({ url: new URL(`${o.base}/stall`), method: 'GET', headers: {}, maxBody: 100, signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  t.equal(await code(p), 'ERR_UPSTREAM_ABORTED');
  t.equal(await code(c.request({ url: new URL(`${o.base}/mms`), method: 'GET', headers: {}, maxBody: 100, signal: ac.signal })), 'ERR_UPSTREAM_ABORTED', 'already cancelled');
  const before = o.connections();
  t.equal(await code(c.request({ url: new URL(`http://localhost:${o.port}/mms`), method: 'GET', headers: {}, maxBody: 100 })), 'ERR_UPSTREAM_FORBIDDEN');
  t.equal(o.connections(), before, 'no connection for a refused origin');
  t.equal(await code(client(t).request({ url: new URL('http://127.0.0.1:1/mms'), method: 'GET', headers: {}, maxBody: 100 })), 'ERR_UPSTREAM_FAILED', 'refused connection');
});

t.test('with more requests than connections, the rest wait their turn', async (t) => {
  const o = await origin(t);
  const c = client(t, { connections: 2 });
  const rs = await Promise.all(Array.from({ length: 7 }, (_, i) => c.request({ url: new URL(`${o.base}/mms?size=${i + 1}`), method: 'GET', headers: {}, maxBody: 100 })));
  t.same(rs.map((r) => r.body.length), [1, 2, 3, 4, 5, 6, 7]);
  t.equal(o.connections(), 2);
});

t.test('https: the MMSC certificate is verified unless its CA is given', async (t) => {
  const dir = path.join(__dirname, '..', 'fixtures', 'tls');
  const key = fs.readFileSync(path.join(dir, 'mmsc.key'));
  const cert = fs.readFileSync(path.join(dir, 'mmsc.crt'));
  const srv = https.createServer({ key, cert }, (_req, res) => res.end('secure'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    srv.closeAllConnections();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  const url = new URL(`https://127.0.0.1:${(srv.address() as net.AddressInfo).port}/mms`);
  t.equal(await code(client(t).request({ url, method: 'GET', headers: {}, maxBody: 100 })), 'ERR_UPSTREAM_FAILED', 'self-signed: refused');
  const r = await client(t, { tls: { ca: cert } }).request({ url, method: 'GET', headers: {}, maxBody: 100 });
  t.equal(r.body.toString(), 'secure');
});

t.test('a closed client refuses new requests', async (t) => {
  const c = client(t);
  await c.close();
  t.equal(await code(c.request({ url: new URL('http://127.0.0.1:1/'), method: 'GET', headers: {}, maxBody: 1 })), 'ERR_UPSTREAM_FAILED');
});

t.test("the WSP server's MethodCancel cancels like an AbortSignal; its listeners are told once and can leave", async (t) => {
  const o = await origin(t);
  const c = client(t);
  const cancel = new MethodCancel();
  const p = c.request({ url: new URL(`${o.base}/stall`), method: 'GET', headers: {}, maxBody: 100, signal: cancel });
  setTimeout(() => cancel.abort(), 20);
  t.equal(await code(p), 'ERR_UPSTREAM_ABORTED');
  const told: string[] = [];
  const m = new MethodCancel();
  const a = { handleEvent: () => told.push('a') };
  const b = { handleEvent: () => told.push('b') };
  m.addEventListener('abort', a);
  m.addEventListener('abort', b);
  m.removeEventListener('abort', a);
  m.abort();
  m.abort();
  t.same(told, ['b']);
  t.ok(m.aborted);
  m.addEventListener('abort', a);
  t.same(told, ['b'], 'no listener after the cancel');
  // a finished request leaves no listener behind
  const n = new MethodCancel();
  await c.request({ url: new URL(`${o.base}/mms`), method: 'GET', headers: {}, maxBody: 100, signal: n });
  t.same((n as unknown as { listeners: unknown[] }).listeners, [], 'the request removed its listener when it ended');
});

t.test('large replies are whole and exact: the read buffers the body arrived in are used again, so the bridge copies (Content-Length and chunked, back to back on one connection)', async (t) => {
  const o = await origin(t);
  const c = client(t, { connections: 1 });
  const n = 300 * 1024 + 17;
  const got = await Promise.all(
    [1, 2, 3, 4].map((seed) => c.request({ url: new URL(`${o.base}/pattern${seed % 2 === 0 ? '/chunked' : ''}?size=${n}&seed=${seed}`), method: 'GET', headers: {}, maxBody: 1 << 20 })),
  );
  got.forEach((r, i) => {
    t.equal(r.status, 200);
    t.ok(r.body.equals(pattern(n, i + 1)), `reply ${i + 1} exact (${i % 2 === 1 ? 'chunked' : 'Content-Length'})`);
  });
  t.equal(o.connections(), 1, 'one connection for all four');
});

t.test('one deadline list: staggered stalled requests each time out at their own deadline, answered ones never do', async (t) => {
  const o = await origin(t);
  const c = client(t, { timeoutMs: 200, connections: 8 });
  const started: number[] = [];
  const ended: number[] = [];
  const runs: Array<Promise<string | undefined>> = [];
  for (let i = 0; i < 4; i++) {
    started.push(performance.now());
    const stalled = c.request({ url: new URL(`${o.base}/stall`), method: 'GET', headers: {}, maxBody: 100 });
    runs.push(
      code(stalled).then((r) => {
        ended[i] = performance.now();
        return r;
      }),
    );
    // an answered request between them leaves the list without disturbing the deadlines after it
    const ok = await c.request({ url: new URL(`${o.base}/mms?size=3`), method: 'GET', headers: {}, maxBody: 100 });
    t.equal(ok.status, 200);
    await new Promise((r) => setTimeout(r, 60));
  }
  t.same(await Promise.all(runs), ['ERR_UPSTREAM_TIMEOUT', 'ERR_UPSTREAM_TIMEOUT', 'ERR_UPSTREAM_TIMEOUT', 'ERR_UPSTREAM_TIMEOUT']);
  for (let i = 0; i < 4; i++) {
    const took = (ended[i] as number) - (started[i] as number);
    t.ok(took >= 195 && took < 600, `request ${i} ended after ${Math.round(took)} ms (deadline 200)`);
  }
  const late = await c.request({ url: new URL(`${o.base}/mms?size=5`), method: 'GET', headers: {}, maxBody: 100 });
  t.equal(late.body.length, 5, 'after the list emptied, a new request arms the deadline again and is answered');
  t.equal(await code(c.request({ url: new URL(`${o.base}/stall`), method: 'GET', headers: {}, maxBody: 100 })), 'ERR_UPSTREAM_TIMEOUT', 'and times out when stalled');
});
