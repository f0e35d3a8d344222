/**
 * The RADIUS accounting server over real sockets, with FreeRADIUS `radclient` as the GGSN/P-GW
 * and a second local listener as the downstream AAA server that receives forwarded copies.
 */
import { createSocket, type Socket } from 'node:dgram';
import radius from 'radius';
import t from 'tap';
import { skip } from '../helpers/requires-tool';
import type { Tap } from '../helpers/tap';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { verifyRequestAuthenticator } from '../../src/subscribers/radius-packet';
import { RadiusAccountingServer } from '../../src/subscribers/radius-server';
import { SubscriberTable } from '../../src/subscribers/table';
import { acct, radclient, radclientSkip } from '../helpers/radius';

const SECRET = 'testing123';
const DOWNSTREAM_SECRET = 'downstream-secret';

interface Downstream {
  port: number;
  received: Buffer[];
  socket: Socket;
  waitFor(n: number, ms?: number): Promise<void>;
}

async function downstream(t: Tap, answer = true): Promise<Downstream> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (msg, rinfo) => {
    received.push(msg);
    for (const w of waiters.splice(0)) w();
    if (!answer) return;
    // (decode without the secret: npm radius checks accounting Message-Authenticators its own, non-FreeRADIUS way)
    const req = radius.decode_without_secret({ packet: msg });
    socket.send(radius.encode_response({ packet: req, code: 'Accounting-Response', secret: DOWNSTREAM_SECRET }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  t.teardown(() => socket.close());
  const waitFor = async (n: number, ms = 3000): Promise<void> => {
    const until = Date.now() + ms;
    while (received.length < n) {
      if (Date.now() > until) throw new Error(`downstream got ${received.length} packets, expected ${n}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  return { port: socket.address().port, received, socket, waitFor };
}

async function server(t: Tap, radiusConfig: NonNullable<ConfigInput['radius']>, opts: { forwardTimeoutMs?: number } = {}) {
  const config = configSchema.parse({ radius: { enabled: true, bind: '127.0.0.1', port: 0, ...radiusConfig } });
  const metrics = new Metrics();
  const table = new SubscriberTable({ maxEntries: 1000, metrics });
  const s = new RadiusAccountingServer({ config: config.radius, table, metrics, logger: silentLogger(), forwardTimeoutMs: opts.forwardTimeoutMs ?? 200, forwardRetries: 1 });
  const [l] = await s.start();
  t.teardown(() => s.close());
  const count = async (labels: Record<string, string>, metric: 'radiusPackets' | 'radiusForwarded' = 'radiusPackets') =>
    (await metrics[metric].get()).values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, string | number | undefined>)[k] === x)).reduce((a, v) => a + v.value, 0);
  return { s, table, metrics, port: (l as { port: number }).port, count };
}

/** One UDP request/response exchange from node (for exact retransmissions and IPv6). */
async function exchange(host: string, port: number, pkt: Buffer, family: 'udp4' | 'udp6' = 'udp4', sends = 1): Promise<Buffer[]> {
  const sock = createSocket(family);
  const replies: Buffer[] = [];
  sock.on('message', (m) => replies.push(m));
  await new Promise<void>((r) => sock.bind(0, family === 'udp6' ? '::1' : '127.0.0.1', r));
  for (let i = 0; i < sends; i++) sock.send(pkt, port, host);
  const until = Date.now() + 1500;
  while (replies.length < sends && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50));
  sock.close();
  return replies;
}

const startAttrs = (ip: string, session: string, extra = '') =>
  [
    'Acct-Status-Type = Start',
    `Acct-Session-Id = "${session}"`,
    'NAS-IP-Address = 127.0.0.1',
    `Framed-IP-Address = ${ip}`,
    'Calling-Station-Id = "15551230001"',
    'Called-Station-Id = "mms.operator.example"',
    '3GPP-IMSI = "001010123456789"',
    '3GPP-IMEISV = "3534900612345601"',
    '3GPP-SGSN-Address = 198.51.100.7',
    '3GPP-RAT-Type = EUTRAN',
    extra,
  ].join('\n');

t.test('radclient as the GGSN/P-GW', { skip: radclientSkip }, async (t) => {
  const ds = await downstream(t);
  const { table, port, count } = await server(t, {
    clients: [{ address: '127.0.0.0/8', secret: SECRET, name: 'pgw-test' }],
    forward: [{ host: '127.0.0.1', port: ds.port, secret: DOWNSTREAM_SECRET }],
  });

  await t.test('Start binds, with Message-Authenticator, IPv6 prefix and 3GPP attributes', async (t) => {
    const r = await radclient(port, SECRET, startAttrs('10.20.0.1', 'sess-1', 'Framed-IPv6-Prefix = 2001:db8:20:1::/64\nFramed-IPv6-Address = 2001:db8:20:1::99\nMessage-Authenticator = 0x00'));
    t.ok(r.answered, `answered\n${r.stdout}${r.stderr}`);
    t.equal(r.code, 0);
    t.match(table.lookup('10.20.0.1'), {
      msisdn: '15551230001',
      imsi: '001010123456789',
      imeisv: '3534900612345601',
      sgsnAddress: '198.51.100.7',
      ratType: 6,
      apn: 'mms.operator.example',
      nas: '127.0.0.1',
      acctSessionId: 'sess-1',
    });
    t.equal(table.lookup('2001:db8:20:1:dead:beef:0:1')?.msisdn, '15551230001');
    t.equal(table.lookup('2001:db8:20:1::5')?.ipv6Address, '2001:db8:20:1::99', "the phone's own address (RFC 6911), as radclient encodes it");
  });

  await t.test('Interim binds an unknown session', async (t) => {
    const r = await radclient(port, SECRET, startAttrs('10.20.0.2', 'sess-2').replace('= Start', '= Interim-Update'));
    t.ok(r.answered);
    t.equal(table.lookup('10.20.0.2')?.acctSessionId, 'sess-2');
  });

  await t.test('a wrong secret gets no answer and binds nothing; an unknown NAS is dropped', async (t) => {
    const other = await server(t, { clients: [{ address: '10.9.9.9', secret: SECRET }] });
    const [wrong, unknown] = await Promise.all([
      radclient(port, 'not-the-secret', startAttrs('10.20.0.3', 'sess-3')),
      radclient(other.port, SECRET, startAttrs('10.20.0.4', 'sess-4')),
    ]);
    t.notOk(wrong.answered, 'wrong secret: no answer');
    t.not(wrong.code, 0);
    t.equal(table.lookup('10.20.0.3'), undefined, 'nothing bound');
    t.notOk(unknown.answered, 'unknown NAS: no answer');
    t.equal(other.table.size, 0);
    t.ok((await count({ outcome: 'bad-authenticator' })) >= 1, 'counted');
    t.ok((await other.count({ outcome: 'unknown-client' })) >= 1, 'counted');
  });

  await t.test('Stop and Accounting-On unbind', async (t) => {
    const stopWrong = await radclient(port, SECRET, 'Acct-Status-Type = Stop\nAcct-Session-Id = "other"\nNAS-IP-Address = 127.0.0.1\nFramed-IP-Address = 10.20.0.1');
    t.ok(stopWrong.answered, 'a Stop for another session is acknowledged');
    t.ok(table.lookup('10.20.0.1'), 'and changes nothing');
    const stop = await radclient(port, SECRET, 'Acct-Status-Type = Stop\nAcct-Session-Id = "sess-1"\nNAS-IP-Address = 127.0.0.1\nFramed-IP-Address = 10.20.0.1\nFramed-IPv6-Prefix = 2001:db8:20:1::/64\nAcct-Session-Time = 60\nAcct-Terminate-Cause = User-Request');
    t.ok(stop.answered);
    t.equal(table.lookup('10.20.0.1'), undefined, 'Stop unbinds');
    t.equal(table.lookup('2001:db8:20:1::1'), undefined);
    const late = await radclient(port, SECRET, startAttrs('10.20.0.1', 'sess-1', 'Acct-Delay-Time = 4').replace('= Start', '= Interim-Update'));
    t.ok(late.answered, 'a late Interim of the stopped session is acknowledged');
    t.equal(table.lookup('10.20.0.1'), undefined, 'and does not bind the address again');
    t.equal(await count({ outcome: 'stale', type: 'interim' }), 1, 'counted as stale');
    t.ok(table.lookup('10.20.0.2'));
    const on = await radclient(port, SECRET, 'Acct-Status-Type = Accounting-On\nNAS-IP-Address = 127.0.0.1');
    t.ok(on.answered);
    t.equal(table.lookup('10.20.0.2'), undefined, 'Accounting-On flushed the NAS');
    t.equal(table.size, 0);
  });

  await t.test('retransmissions are idempotent', async (t) => {
    const pkt = acct({ secret: SECRET, identifier: 42, status: 'Start', sessionId: 'dup', framedIp: '10.20.0.9', msisdn: '15550009', nasIp: '127.0.0.1' });
    const before = ds.received.length;
    const replies = await exchange('127.0.0.1', port, pkt, 'udp4', 2);
    t.equal(replies.length, 2, 'both copies answered');
    t.same(replies[0], replies[1], 'with the same bytes');
    t.equal(await count({ outcome: 'duplicate', type: 'start' }), 1);
    t.equal(table.lookup('10.20.0.9')?.msisdn, '15550009');
    await ds.waitFor(before + 1);
    await new Promise((r) => setTimeout(r, 100));
    t.equal(ds.received.length, before + 1, 'forwarded once');
  });

  await t.test('every accounting packet is forwarded, re-signed with the downstream secret', async (t) => {
    // accepted so far: Start, Interim, Stop (other session), Stop, late Interim (stale), Accounting-On, Start (then its duplicate) = 7
    await ds.waitFor(7);
    const types = ds.received.map((p) => radius.decode_without_secret({ packet: p }).attributes['Acct-Status-Type'] as string);
    t.same([...new Set(types)].sort(), ['Accounting-On', 'Interim-Update', 'Start', 'Stop'], 'all status types');
    for (const p of ds.received) {
      t.ok(verifyRequestAuthenticator(p, DOWNSTREAM_SECRET), 're-signed with the downstream secret');
      if (!p.includes(Buffer.from([80, 18]))) t.doesNotThrow(() => radius.decode({ packet: p, secret: DOWNSTREAM_SECRET }), 'npm radius agrees');
      t.notOk(verifyRequestAuthenticator(p, SECRET), 'not with ours');
    }
    const withMa = ds.received.find((p) => p.includes(Buffer.from([80, 18])));
    t.ok(withMa, 'the Message-Authenticator copy is kept (and re-signed)');
    t.ok(ds.received.every((p) => !p.includes(Buffer.from('not-the-secret'))));
    const until = Date.now() + 2000;
    while ((await count({ outcome: 'acked' }, 'radiusForwarded')) < ds.received.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    t.equal(await count({ outcome: 'acked' }, 'radiusForwarded'), ds.received.length, 'downstream answers matched and verified');
    t.equal((await count({ outcome: 'ok' })) + (await count({ outcome: 'stale' })), ds.received.length, 'one copy per accepted request (stale ones too)');
  });
});

t.test('a silent downstream never delays our reply; retries are bounded and counted', async (t) => {
  const ds = await downstream(t, false);
  const { table, port, count } = await server(t, { clients: [{ address: '127.0.0.1', secret: SECRET }], forward: [{ host: '127.0.0.1', port: ds.port, secret: DOWNSTREAM_SECRET }] }, { forwardTimeoutMs: 100 });
  const t0 = Date.now();
  const replies = await exchange('127.0.0.1', port, acct({ secret: SECRET, status: 'Start', sessionId: 'x', framedIp: '10.30.0.1', msisdn: '15550001', nasIp: '127.0.0.1' }));
  t.equal(replies.length, 1, 'answered');
  t.ok(Date.now() - t0 < 1000, 'promptly');
  t.ok(table.lookup('10.30.0.1'));
  await ds.waitFor(2);
  const until = Date.now() + 2000;
  while ((await count({ outcome: 'timeout' }, 'radiusForwarded')) < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.equal(await count({ outcome: 'sent' }, 'radiusForwarded'), 1);
  t.equal(await count({ outcome: 'retry' }, 'radiusForwarded'), 1);
  t.equal(await count({ outcome: 'timeout' }, 'radiusForwarded'), 1);
  await new Promise((r) => setTimeout(r, 250));
  t.equal(ds.received.length, 2, 'no more than 1 + retries copies');
});

t.test('IPv6 socket', async (t) => {
  const probe = createSocket('udp6');
  const v6 = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.bind(0, '::1', () => resolve(true));
  });
  probe.close();
  if (!v6) return skip(t, 'no IPv6 loopback (::1) here');
  const config = configSchema.parse({ radius: { enabled: true, bind: '::1', port: 0, clients: [{ address: '::1', secret: SECRET }] } });
  const table = new SubscriberTable({ maxEntries: 10 });
  const s = new RadiusAccountingServer({ config: config.radius, table, metrics: new Metrics(), logger: silentLogger() });
  const [l] = await s.start();
  t.teardown(() => s.close());
  t.match(l, { name: 'radius', protocol: 'udp', address: '::1' });
  const pkt = acct({ secret: SECRET, status: 'Start', sessionId: 'v6', framedIpv6Prefix: '2001:db8:66::/64', msisdn: '15550066', nasId: 'pgw6' });
  const replies = await exchange('::1', (l as { port: number }).port, pkt, 'udp6');
  t.equal(replies.length, 1);
  t.equal(replies[0]?.[0], 5, 'Accounting-Response');
  t.equal(table.lookup('2001:db8:66:0:1::2')?.nas, 'pgw6');
});
