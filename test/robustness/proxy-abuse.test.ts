/**
 * Abuse of the MMS proxy of a running gateway (node dist/cli.js), raw HTTP over TCP, with an
 * MMSC (the one allowed origin) and a decoy server on another port that must never be reached.
 * Complements test/proxy/server.test.ts (in-process) with the tricks it does not try:
 * IPv6 and alternative IPv4 spellings, userinfo/fragment/backslash confusions, Host vs
 * absolute-URI mismatches, default and other ports, other schemes, trailing-dot names;
 * identity spoofing with duplicates, case and underscore variants (the MMSC sees each identity
 * header once, ours); Transfer-Encoding/Content-Length variants; a slowloris body; many headers.
 */
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startGateway, tempDir, writeTestConfig } from '../helpers/gateway-process';
import { startOrigin } from '../helpers/origin';

function raw(port: number, data: string, waitMs = 1500): Promise<{ text: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => resolve({ text: out, ms: Date.now() - t0 }));
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), waitMs).unref();
  });
}
const statusOf = (resp: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(resp)?.[1] ?? 0);

t.test('proxy abuse against the running gateway', async (t) => {
  const mmsc = await startOrigin();
  const decoy = await startOrigin();
  const dir = tempDir();
  const subs = join(dir, 'subscribers.yaml');
  writeFileSync(subs, '- ip: 127.0.0.1\n  msisdn: "+15550000001"\n  imsi: "001010000000001"\n');
  const cfg = writeTestConfig(dir, {
    mmsc: { url: `${mmsc.origin}/mms`, timeoutMs: 2000 },
    proxy: { requireSubscriber: true, headersTimeoutMs: 1000, requestTimeoutMs: 1500, maxHeaderBytes: 16384 },
    subscribers: { staticFile: subs },
    demoMmsc: { enabled: false },
  });
  const gw = startGateway(['-c', cfg]);
  t.teardown(async () => {
    gw.kill();
    await mmsc.close();
    await decoy.close();
  });
  await gw.waitFor((l) => l.msg === 'started', 15000);
  const port = gw.port('proxy') as number;
  const M = mmsc.port;
  const D = decoy.port;
  const get = (target: string, extra = '') => raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`);

  await t.test('targets other than the MMSC origin are refused, nobody contacted', async (t) => {
    const refused: Array<[string, string]> = [
      [`http://[::1]:${M}/mms`, 'IPv6 loopback literal, MMSC port'],
      [`http://[::ffff:127.0.0.1]:${M}/mms`, 'IPv4-mapped IPv6 literal'],
      [`http://[::ffff:7f00:1]:${D}/`, 'IPv4-mapped literal, decoy port'],
      [`http://2130706434:${M}/mms`, '127.0.0.2 as one decimal number'],
      [`http://0x7f.0.0.2:${M}/mms`, '127.0.0.2 in hex/dotted'],
      [`http://0177.0.0.1:${D}/`, 'octal 127.0.0.1, decoy port'],
      [`http://127.1:${D}/`, 'short form, decoy port'],
      [`http://localhost.:${M}/mms`, 'trailing-dot name'],
      [`http://LOCALHOST:${M}/mms`, 'name in capitals'],
      [`http://127.0.0.1:${M}@127.0.0.1:${D}/`, 'userinfo that looks like the MMSC'],
      [`http://127.0.0.1:${D}#@127.0.0.1:${M}/mms`, 'fragment before @'],
      [`http://127.0.0.1:${D}/?@127.0.0.1:${M}/mms`, 'query with @'],
      [`http://127.0.0.1/mms`, 'default port 80'],
      [`http://127.0.0.1:${D}/mms`, 'decoy port'],
      [`ftp://127.0.0.1:${M}/mms`, 'ftp scheme'],
      [`file:///etc/passwd`, 'file scheme'],
      [`gopher://127.0.0.1:${M}/_GET`, 'gopher scheme'],
    ];
    for (const [target, what] of refused) {
      const r = await get(target);
      const s = statusOf(r.text);
      t.ok(s === 403 || s === 400, `${what} (${target}): ${s}`);
    }
    const bs = await get(`http://127.0.0.1:${D}\\@127.0.0.1:${M}/mms`);
    t.ok([400, 403].includes(statusOf(bs.text)), `backslash before @: ${statusOf(bs.text)}`);
    const connect = await raw(port, `CONNECT 127.0.0.1:${M} HTTP/1.1\r\nHost: 127.0.0.1:${M}\r\n\r\n`);
    t.equal(statusOf(connect.text), 405, 'CONNECT to the MMSC port itself');
    t.equal(decoy.requests.length, 0, 'the decoy saw nothing');
    t.equal(mmsc.requests.length, 0, 'nor did the MMSC');
    // `//host:port/` is origin-form (an absolute-path with an empty first segment, RFC 9112
    // §3.2.1), not a scheme-relative URL: it goes to the MMSC as a path, never to that host
    const sr = await get(`//127.0.0.1:${D}/`);
    t.equal(statusOf(sr.text), 200, 'scheme-relative-looking target: a path on the MMSC');
    t.match(mmsc.requests.at(-1)?.url, new RegExp(`^/+127\\.0\\.0\\.1:${D}/$`), 'the MMSC got it as its path');
    t.equal(decoy.requests.length, 0, 'the decoy still saw nothing');
  });

  await t.test('Host header vs absolute URI: the URI decides, the MMSC gets its own Host', async (t) => {
    const a = await get(`http://127.0.0.1:${M}/mms`, `Host: 127.0.0.1:${D}\r\n`);
    t.equal(statusOf(a.text), 400, 'two Host headers: 400 (RFC 9112 §3.2)');
    const b = await raw(port, `GET http://127.0.0.1:${M}/mms HTTP/1.1\r\nHost: 127.0.0.1:${D}\r\nConnection: close\r\n\r\n`);
    t.equal(statusOf(b.text), 200, 'absolute URI to the MMSC with a decoy Host: forwarded to the MMSC');
    t.equal(mmsc.requests.at(-1)?.headers.host, `127.0.0.1:${M}`, "the MMSC sees its own Host, not the client's");
    const c = await raw(port, `GET http://127.0.0.1:${D}/ HTTP/1.1\r\nHost: 127.0.0.1:${M}\r\nConnection: close\r\n\r\n`);
    t.equal(statusOf(c.text), 403, 'absolute URI to the decoy with the MMSC as Host: refused');
    const d = await raw(port, `GET /mms HTTP/1.1\r\nHost: 127.0.0.1:${D}\r\nConnection: close\r\n\r\n`);
    t.equal(statusOf(d.text), 200, 'origin-form with a decoy Host goes to the MMSC');
    t.equal(decoy.requests.length, 0, 'the decoy saw nothing');
  });

  await t.test('identity spoofing: each identity header reaches the MMSC once, with our value', async (t) => {
    const before = mmsc.requests.length;
    const spoof =
      'X-MSISDN: +19990000000\r\nx-msisdn: +19990000001\r\nX_MSISDN: +19990000002\r\nX-Msisdn: +19990000003\r\n' +
      'X-WAP-Network-Client-MSISDN: +19990000004\r\nx_wap_network_client_msisdn: +19990000005\r\n' +
      'X-WAP-Network-Client-IP: 6.6.6.6\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-IMSI: 999999999999999\r\n' +
      'X-Up-Calling-Line-ID: 19990000006\r\nX-Nokia-MSISDN: 19990000007\r\n';
    const r = await raw(port, `GET http://127.0.0.1:${M}/mms HTTP/1.1\r\nHost: x\r\n${spoof}Connection: close\r\n\r\n`);
    t.equal(statusOf(r.text), 200);
    const req = mmsc.requests[before];
    if (!req) return t.fail('nothing reached the MMSC');
    const names = req.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase().replace(/_/g, '-'));
    const values = (n: string) => req.rawHeaders.filter((_, i) => i % 2 === 1 && req.rawHeaders[i - 1]!.toLowerCase().replace(/_/g, '-') === n);
    t.same(values('x-msisdn'), ['+15550000001'], 'X-MSISDN once, ours');
    t.same(values('x-wap-network-client-msisdn'), ['+15550000001'], 'X-WAP-Network-Client-MSISDN once, ours');
    t.same(values('x-wap-network-client-ip'), ['127.0.0.1'], 'client IP once, ours');
    t.same(values('x-imsi'), ['001010000000001'], 'IMSI once, ours');
    for (const n of ['x-forwarded-for', 'forwarded', 'x-up-calling-line-id', 'x-nokia-msisdn']) t.notOk(names.includes(n), `${n} stripped`);
    t.notOk(JSON.stringify(req.rawHeaders).includes('+1999'), 'no spoofed value anywhere');
    t.notOk(JSON.stringify(req.rawHeaders).includes('6.6.6.6'), 'no spoofed address anywhere');
  });

  await t.test('framing tricks: 400, nothing forwarded', async (t) => {
    const before = mmsc.requests.length;
    const u = `http://127.0.0.1:${M}/mms`;
    const cases: Array<[string, string]> = [
      [`POST ${u} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'CL + TE'],
      [`POST ${u} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, 'TE list ending in identity'],
      [`POST ${u} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`, 'TE value on an obs-fold line'],
      [`POST ${u} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, 'space before the colon'],
      [`POST ${u} HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd`, 'CL list'],
      [`POST ${u} HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd`, 'CL with a sign'],
      [`POST ${u} HTTP/1.1\r\nHost: x\r\nX-MSISDN: 1\r\n\t+19990000009\r\nContent-Length: 0\r\n\r\n`, 'identity on an obs-fold line'],
      [`GET ${u} HTTP/1.1\nHost: x\n\n`, 'bare LF line ends'],
    ];
    for (const [req, what] of cases) {
      const r = await raw(port, req);
      t.equal(statusOf(r.text), 400, what);
    }
    t.equal(mmsc.requests.length, before, 'none of them reached the MMSC');
  });

  await t.test('slowloris body and headers, oversized header blocks', async (t) => {
    const before = mmsc.requests.length;
    const body = await raw(port, `POST http://127.0.0.1:${M}/mms HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789`, 6000);
    t.ok(body.ms < 4000, `a body that never completes is cut off after ${body.ms} ms (requestTimeoutMs 1500)`);
    t.ok([0, 400, 408].includes(statusOf(body.text)), `answered ${statusOf(body.text) || 'by closing'}`);
    const head = await raw(port, `GET http://127.0.0.1:${M}/mms HTTP/1.1\r\nHost: x\r\nX-Slow: a`, 6000);
    t.ok(head.ms < 4000, `unfinished headers cut off after ${head.ms} ms`);
    const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n');
    const m = await raw(port, `GET http://127.0.0.1:${M}/mms HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`);
    t.ok([400, 431].includes(statusOf(m.text)), `3000 small headers (${many.length} octets): ${statusOf(m.text)}`);
    const big = await raw(port, `GET http://127.0.0.1:${M}/mms HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    t.equal(statusOf(big.text), 431, '64 KB header');
    t.ok(mmsc.requests.slice(before).every((r) => r.body.length !== 100), 'the MMSC never got the slow body as complete');
  });

  t.equal(gw.child.exitCode, null, 'gateway alive');
});
