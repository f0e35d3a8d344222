// The one test that runs the real shipped conf/wapgw.yaml (what `npm start` runs), on its real
// ports. It skips, saying which, when any of those ports is busy on this machine.
import t from 'tap';
import { skip } from './helpers/requires-tool';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { request, type IncomingHttpHeaders } from 'node:http';
import { startGateway } from './helpers/gateway-process';
import { sendReq } from './helpers/mms-samples';

function viaProxy(method: string, url: string, body?: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: 8080, method, path: url, headers: body ? { 'content-type': 'application/vnd.wap.mms-message', 'content-length': body.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const UDP = [9200, 9201];
const TCP: Array<[string, number]> = [
  ['0.0.0.0', 8080],
  ['127.0.0.1', 8942],
  ['127.0.0.1', 9300],
  ['127.0.0.1', 8090], // the PPG
  ['127.0.0.1', 2775], // the demo SMSC
];

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

t.test('npm start (conf/wapgw.yaml) listens on 9200/udp, 9201/udp and 8080/tcp, with the demo MMSC and admin', async (t) => {
  const busy: string[] = [];
  for (const p of UDP) if (!(await udpFree(p))) busy.push(`${p}/udp`);
  for (const [h, p] of TCP) if (!(await tcpFree(h, p))) busy.push(`${p}/tcp`);
  if (busy.length > 0) {
    skip(t, `ports busy on this machine (${busy.join(', ')}); is a wapgw already running?`);
    return;
  }
  const gw = startGateway([]);
  t.teardown(() => gw.kill());
  await gw.waitFor((l) => l.msg === 'started', 15000);
  const listening = gw.lines.filter((l) => l.msg === 'listening').map((l) => `${String(l.port)}/${String(l.protocol)}`);
  for (const want of ['9200/udp', '9201/udp', '8080/tcp', '8942/tcp', '9300/tcp']) {
    t.ok(listening.includes(want), `listens on ${want} (listening: ${listening.join(' ')})`);
  }
  const h = await fetch('http://127.0.0.1:9300/healthz');
  t.equal(h.status, 200);
  t.equal((await h.text()).trim(), 'ok');
  const sub = await fetch('http://127.0.0.1:9300/subscribers/127.0.0.1');
  t.equal(sub.status, 200, 'the shipped static subscriber file binds 127.0.0.1');
  await sub.text();

  // The demo flow a phone would run through the MMS proxy (absolute-form, like Android):
  // send, then retrieve; the demo MMSC fills From with the MSISDN the proxy added.
  const send = await viaProxy('POST', 'http://127.0.0.1:8942/mms', sendReq('T-shipped'));
  t.equal(send.status, 200);
  t.equal(send.body.subarray(0, 2).toString('hex'), '8c81', 'm-send-conf through the proxy');
  t.ok(send.body.includes(Buffer.from([0x92, 0x80])), 'Response-Status Ok');
  const loc = String(send.headers['x-mms-content-location']);
  t.match(loc, /^http:\/\/127\.0\.0\.1:8942\/mms\/[A-Za-z0-9_-]{22}$/);
  const got = await viaProxy('GET', loc);
  t.equal(got.status, 200);
  t.equal(got.body.subarray(0, 2).toString('hex'), '8c84', 'm-retrieve-conf through the proxy');
  t.ok(got.body.includes(Buffer.from('+15550000001/TYPE=PLMN', 'latin1')), 'From = the static subscriber of 127.0.0.1');
  // ... and the demo MMSC announced it to the recipient through our PPG and the demo SMSC
  const push = await gw.waitFor((l) => l.msg === 'demo SMSC received a push' && JSON.stringify(l).includes(loc), 15000);
  t.equal((push.wsp as { pdu?: string } | undefined)?.pdu, 'Push', 'the decoded push carries the Content-Location');
  gw.child.kill('SIGTERM');
  t.same(await gw.exited(), { code: 0, signal: null });
});
