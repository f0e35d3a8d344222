/**
 * Per-source rate limits of a running gateway (node dist/cli.js), configured with rateLimit.*:
 * WSP methods (connection-oriented and connectionless share the source's bucket) get a Reply
 * 503 once the bucket is empty, proxy requests get 429; both counted in
 * wapgw_rate_limited_total{layer}; nothing refused reaches the MMSC; another source is not
 * affected (127.0.0.2 has its own bucket).
 */
import dgram from 'node:dgram';
import http from 'node:http';
import t from 'tap';
import { startGateway, tempDir, writeTestConfig } from '../helpers/gateway-process';
import { startOrigin } from '../helpers/origin';
import { getPdu, Handset, parseReply } from '../helpers/wsp-handset';

function proxyGet(port: number, url: string, localAddress = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: url, agent: false, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(-1));
    req.end();
  });
}
const metrics = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
const value = (text: string, line: string) => Number(text.split('\n').find((l) => l.startsWith(line))?.split(' ').pop() ?? 0);

t.test('rateLimit.wsp: 503 Reply after the burst (CO and CL), Connects share the bucket; rateLimit.proxy: 429; counted', async (t) => {
  const origin = await startOrigin();
  const dir = tempDir();
  const cfg = writeTestConfig(dir, {
    mmsc: { url: `${origin.origin}/mms` },
    proxy: { requireSubscriber: false },
    rateLimit: { wsp: { perSourcePerSecond: 0.01, burst: 4 }, proxy: { perSourcePerSecond: 0.01, burst: 2 } },
    demoMmsc: { enabled: false },
  });
  const gw = startGateway(['-c', cfg]);
  t.teardown(async () => {
    gw.kill();
    await origin.close();
  });
  await gw.waitFor((l) => l.msg === 'started', 15000);
  const co = gw.lines.find((l) => l.listener === 'wsp-connection-oriented')?.port as number;
  const cl = gw.lines.find((l) => l.listener === 'wsp-connectionless')?.port as number;
  const proxy = gw.port('proxy') as number;
  const admin = gw.port('admin') as number;

  const h = new Handset({ port: co });
  await h.open();
  t.teardown(() => h.close());
  await h.connect();
  const wsp: number[] = [];
  for (let i = 0; i < 4; i++) wsp.push((await h.get(`${origin.origin}/mms?i=${i}`)).status);
  t.same(wsp, [200, 200, 200, 503], 'WSP (CO): the burst (the Connect took the first token), then 503');

  const s = dgram.createSocket('udp4');
  t.teardown(() => s.close());
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const clReply = await new Promise<Buffer>((resolve) => {
    s.once('message', resolve);
    s.send(Buffer.concat([Buffer.from([0x33]), getPdu(`${origin.origin}/mms?cl=1`)]), cl, '127.0.0.1');
  });
  t.equal(parseReply(clReply.subarray(1)).status, 503, 'WSP (CL) from the same source: 503');

  // a Connect flood cannot fill the session table: a Connect over the limit is aborted
  const h2 = new Handset({ port: co });
  await h2.open();
  t.teardown(() => h2.close());
  await t.rejects(h2.connect(), { message: /aborted/, reason: 0xe4 }, 'a Connect over the limit gets Abort CONGESTION');

  const px: number[] = [];
  for (let i = 0; i < 3; i++) px.push(await proxyGet(proxy, `${origin.origin}/mms?p=${i}`));
  t.same(px, [200, 200, 429], 'proxy: the burst, then 429');
  t.equal(await proxyGet(proxy, `${origin.origin}/mms?other=1`, '127.0.0.2'), 200, 'another source has its own bucket');

  const m = await metrics(admin);
  t.equal(value(m, 'wapgw_rate_limited_total{layer="wsp"}'), 3, 'WSP refusals counted (GET, CL GET, Connect)');
  t.equal(value(m, 'wapgw_rate_limited_total{layer="proxy"}'), 1, 'proxy refusals counted');
  t.equal(origin.requests.length, 3 + 2 + 1, 'nothing refused reached the MMSC');
});
