/**
 * The IP bearer: the WSP Push as one UDP datagram to the push port, from the handed CL socket
 * (its source port) or from an own socket; refusals for bad addresses and oversized datagrams.
 * Loopback only; the "phone" is a UDP socket on a free port (2948 needs no privilege but may be
 * taken by another test run, so the destination port is the test's).
 */
import dgram from 'node:dgram';
import t from 'tap';
import { silentLogger } from '../../src/core/logger';
import { UdpBearer } from '../../src/edge/udp-bearer';
import { Metrics } from '../../src/ops/metrics';
import { IpPushBearer } from '../../src/ppg/bearers/ip';
import { encodeConnectionlessPush } from '../../src/ppg/wsp-push';

function phone(type: 'udp4' | 'udp6', addr: string): Promise<{ sock: dgram.Socket; port: number; next: () => Promise<{ msg: Buffer; port: number }> }> {
  const sock = dgram.createSocket(type);
  const got: { msg: Buffer; port: number }[] = [];
  const waiters: ((v: { msg: Buffer; port: number }) => void)[] = [];
  sock.on('message', (msg, rinfo) => {
    const w = waiters.shift();
    if (w) w({ msg, port: rinfo.port });
    else got.push({ msg, port: rinfo.port });
  });
  return new Promise((resolve) =>
    sock.bind(0, addr, () =>
      resolve({
        sock,
        port: sock.address().port,
        next: () => new Promise((r) => (got.length > 0 ? r(got.shift()!) : waiters.push(r))),
      }),
    ),
  );
}

const wdp = encodeConnectionlessPush({ tid: 5, contentType: 'application/vnd.wap.mms-message', applicationId: 4, body: Buffer.from([0x8c, 0x82]) });

t.test('from the handed CL socket: its port is the source port', async (t) => {
  const p = await phone('udp4', '127.0.0.1');
  const cl = dgram.createSocket('udp4');
  await new Promise<void>((r) => cl.bind(0, '127.0.0.1', () => r()));
  const b = new IpPushBearer({ socket: cl, port: p.port });
  const out = await b.send('127.0.0.1', wdp);
  t.strictSame(out, { ok: true, messageIds: [] });
  const got = await p.next();
  t.ok(got.msg.equals(wdp), 'the datagram is the WSP Push');
  t.equal(got.port, cl.address().port, 'source port = the CL socket');
  t.match(b.status(), { source: /wsp-cl socket/, sent: 1 });
  t.match(await b.send('::1', wdp), { ok: false, retry: false, code: 'ERR_IP_FAMILY' });
  cl.close();
  p.sock.close();
});

t.test('own sockets (IPv4 and IPv6), refusals', async (t) => {
  const b = new IpPushBearer({ port: 0 });
  t.match(await b.send('not-an-ip', wdp), { ok: false, retry: false, code: 'ERR_IP_BAD_ADDRESS' });
  t.match(await b.send('127.0.0.1', Buffer.alloc(70_000)), { ok: false, retry: false, code: 'ERR_IP_TOO_LARGE' });
  const p4 = await phone('udp4', '127.0.0.1');
  const b4 = new IpPushBearer({ port: p4.port });
  t.match(await b4.send('127.0.0.1', wdp), { ok: true });
  t.ok((await p4.next()).msg.equals(wdp));
  t.match(b4.status(), { source: /own socket/ });
  let p6: Awaited<ReturnType<typeof phone>> | undefined;
  try {
    p6 = await phone('udp6', '::1');
  } catch {
    p6 = undefined;
  }
  if (p6) {
    const b6 = new IpPushBearer({ port: p6.port });
    t.match(await b6.send('::1', wdp), { ok: true });
    t.ok((await p6.next()).msg.equals(wdp), 'IPv6 push');
    await b6.close();
    p6.sock.close();
  }
  await b4.close();
  t.match(await b4.send('127.0.0.1', wdp), { ok: false, retry: true, code: 'ERR_IP_CLOSED' });
  p4.sock.close();
  await b.close();
});

t.test("through the edge's UdpBearer: from its CL socket", async (t) => {
  const p = await phone('udp4', '127.0.0.1');
  const edge = new UdpBearer({ bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, logger: silentLogger(), metrics: new Metrics() });
  const bound = await edge.start();
  const cl = bound.find((b) => b.role === 'cl')!;
  const b = new IpPushBearer({ edge, port: p.port });
  t.strictSame(await b.send('127.0.0.1', wdp), { ok: true, messageIds: [] });
  const got = await p.next();
  t.ok(got.msg.equals(wdp));
  t.equal(got.port, cl.port, 'source port = the WSP CL socket');
  t.match(b.status(), { source: 'wsp-cl socket (edge)', sent: 1 });
  // an IPv4-only bind cannot reach an IPv6 phone: refused at once, not reported as sent
  t.match(await b.send('2001:db8::42', wdp), { ok: false, retry: false, code: 'ERR_IP_FAMILY' });
  t.match(b.status(), { sent: 1 });
  await edge.close();
  p.sock.close();
});
