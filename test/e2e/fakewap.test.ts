/**
 * Interop: Kannel's fakewap as the handset, `node dist/cli.js start` as the gateway, a test
 * MMSC on 127.0.0.1, all on ephemeral ports. tshark captures the UDP side and must find no
 * malformed packet. Skips with a message when fakewap, tshark or dist/ is missing.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, tempDir, writeTestConfig, type GatewayProcess } from '../helpers/gateway-process';
import { NO_FAKEWAP, frameCount, hasFakewap, hasTsharkBin, malformedFrames, runFakewap, startCapture } from '../helpers/fakewap';
import { startOrigin, type OriginHandler, type TestOrigin } from '../helpers/origin';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const pattern = (n: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
};

const uintvar = (n: number): Buffer => {
  const out = [n & 0x7f];
  for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) out.unshift((n & 0x7f) | 0x80);
  return Buffer.from(out);
};
const z = (s: string) => Buffer.from(`${s}\0`, 'latin1');

/** An MMS PDU of exactly `total` octets: headers, then a one-part multipart.mixed with an image/jpeg part. */
function mmsOfSize(total: number, kind: 'send-req' | 'retrieve-conf', tid: string): Buffer {
  const head =
    kind === 'send-req'
      ? Buffer.concat([Buffer.from([0x8c, 0x80, 0x98]), z(tid), Buffer.from([0x8d, 0x92, 0x89, 0x01, 0x81, 0x97]), z('+15550000009/TYPE=PLMN')])
      : Buffer.concat([Buffer.from([0x8c, 0x84, 0x98]), z(tid), Buffer.from([0x8d, 0x92, 0x85, 0x04, 0x65, 0x00, 0x00, 0x00])]);
  const ctAndCount = Buffer.from([0x84, 0xa3, 0x01]); // Content-Type multipart.mixed, 1 entry
  let dataLen = total - head.length - ctAndCount.length - 1 - 1;
  // uintvar of DataLen takes a few octets: solve for the exact total
  for (let k = 1; k <= 5; k++) {
    const n = total - head.length - ctAndCount.length - 1 /* HeadersLen */ - k - 1 /* part CT */;
    if (uintvar(n).length === k) {
      dataLen = n;
      break;
    }
  }
  const data = pattern(dataLen);
  const out = Buffer.concat([head, ctAndCount, Buffer.from([0x01]), uintvar(dataLen), Buffer.from([0x9e]), data]);
  if (out.length !== total) throw new Error(`mmsOfSize: ${out.length} != ${total}`);
  return out;
}

const BIG = mmsOfSize(300000, 'retrieve-conf', 'T-big');

const mmscHandler: OriginHandler = (r, res) => {
  const u = new URL(r.url, 'http://x');
  if (r.method === 'POST') {
    // m-send-conf, Response-Status Ok
    const conf = Buffer.from([0x8c, 0x81, 0x98, ...Buffer.from('T1\0'), 0x8d, 0x92, 0x92, 0x80]);
    res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message', 'content-length': conf.length });
    return void res.end(conf);
  }
  const n = Number(u.searchParams.get('size') ?? 40);
  const body = u.pathname === '/big' ? BIG : pattern(n);
  res.writeHead(200, { 'content-type': u.searchParams.get('type') ?? 'application/vnd.wap.mms-message', 'content-length': body.length });
  res.end(body);
};

const skip = !hasFakewap() ? NO_FAKEWAP : !existsSync('dist/cli.js') ? 'dist/cli.js not built (npm run build)' : false;

t.test('fakewap through the gateway', { skip, timeout: 90000 }, async (t) => {
  const dir = tempDir();
  const origin: TestOrigin = await startOrigin(mmscHandler);
  t.teardown(() => origin.close());
  const subs = join(dir, 'subscribers.yaml');
  writeFileSync(subs, '- ip: 127.0.0.1\n  msisdn: "+15550000001"\n  imsi: "001010000000001"\n');
  const cfg = writeTestConfig(dir, {
    mmsc: { url: `${origin.origin}/mms`, timeoutMs: 5000 },
    proxy: { enabled: false, allowedNetworks: ['127.0.0.0/8'], requireSubscriber: true },
    subscribers: { staticFile: subs },
    demoMmsc: { enabled: false },
    log: { level: 'info' },
  });
  const gw: GatewayProcess = startGateway(['-c', cfg]);
  t.teardown(() => gw.kill());
  await gw.waitFor((l) => l.msg === 'started', 15000);
  const wsp = gw.lines.filter((l) => l.msg === 'listening' && l.component === 'wsp');
  t.equal(wsp.length, 2, 'two WSP listeners logged');
  const cl = wsp[0]!.port as number;
  const co = wsp[1]!.port as number;

  const pcap = join(dir, 'run.pcap');
  const canCapture = hasTsharkBin() && process.getuid?.() === 0;
  const cap = canCapture ? await startCapture(`udp port ${cl} or udp port ${co}`, pcap) : undefined;

  const base = ['-g', '127.0.0.1', '-i', '0'];
  // connection-oriented GETs
  const coGet = await runFakewap([...base, '-M', '1', '-p', String(co), '-m', '3', `${origin.origin}/hello?size=40&type=text/plain`]);
  t.equal(coGet.code, 0, 'fakewap -M 1 exit 0');
  t.equal(coGet.ok200, 3, 'three connection-oriented GETs, all 200');

  // connectionless GET
  const clGet = await runFakewap([...base, '-M', '0', '-p', String(cl), '-m', '2', `${origin.origin}/cl?size=40&type=text/plain`]);
  t.equal(clGet.code, 0, 'fakewap -M 0 exit 0');
  t.equal(clGet.ok200, 2, 'two connectionless GETs, all 200');

  // 30 KB MMS POST, segmented: arrives once and byte-identical
  const post = mmsOfSize(30000, 'send-req', 'T-post');
  const postFile = join(dir, 'p30k.bin');
  writeFileSync(postFile, post);
  const before = origin.requests.filter((r) => r.method === 'POST').length;
  const p = await runFakewap([...base, '-M', '1', '-p', String(co), '-C', 'mms', '-P', postFile, `${origin.origin}/mms`]);
  t.equal(p.ok200, 1, 'POST answered 200');
  const posts = origin.requests.filter((r) => r.method === 'POST').slice(before);
  t.equal(posts.length, 1, 'the MMSC got the POST exactly once');
  t.equal(posts[0]?.sha256, sha(post), 'byte-identical');
  t.equal(posts[0]?.headers['content-type'], 'application/vnd.wap.mms-message');

  // 300 KB retrieval arrives whole
  const out = join(dir, 'out.bin');
  const big = await runFakewap([...base, '-M', '1', '-p', String(co), '-w', out, `${origin.origin}/big`]);
  t.equal(big.ok200, 1, '300 KB retrieval 200');
  t.ok(existsSync(out), 'fakewap wrote the body');
  if (existsSync(out)) t.equal(sha(readFileSync(out)), sha(BIG), '300 000 octets, byte-identical');
  t.comment(`300 KB retrieval took ${big.ms.toFixed(0)} ms (process included)`);

  // identity headers at the MMSC
  const last = origin.requests[origin.requests.length - 1]!;
  t.equal(last.headers['x-wap-network-client-ip'], '127.0.0.1');
  t.equal(last.headers['x-msisdn'], '+15550000001');
  t.equal(last.headers['x-wap-network-client-msisdn'], '+15550000001');
  t.equal(last.headers['x-imsi'], '001010000000001');

  // an origin outside the allowlist: 403, nothing upstream
  const n = origin.requests.length;
  const denied = await runFakewap([...base, '-M', '1', '-p', String(co), `http://localhost:${origin.port}/mms`]);
  t.same(denied.statuses, [403], 'outside the allowlist -> 403');
  t.equal(origin.requests.length, n, 'no request reached any origin');

  if (cap) {
    await cap.stop();
    const decode = [`udp.port==${co},wtp`, `udp.port==${cl},wsp`];
    t.ok(frameCount(pcap, decode) > 20, 'capture holds the run');
    t.same(malformedFrames(pcap, decode), [], 'tshark: no malformed packet');
  } else {
    t.comment('tshark capture skipped: needs tshark and root');
  }

  gw.child.kill('SIGTERM');
  const ex = await gw.exited();
  t.equal(ex.code, 0, 'gateway drains and exits 0');
  const access = gw.lines.filter((l) => l.access === 'wsp');
  t.equal(access.length, 8, 'one access-log line per WSP method');
  const postLine = access.find((l) => l.method === 'POST');
  t.match(postLine, { mode: 'co', status: 200, mmsIn: { type: 'm-send-req', transactionId: 'T-post' } }, 'access log names the MMS type and transaction id');
  t.equal(postLine?.msisdn, '[redacted]', 'MSISDN redacted at info level');
});
