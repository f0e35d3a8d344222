/**
 * The binding rules (protocol-facts §1.3) through RadiusAccountingServer.handle(), with
 * Accounting-Requests built by `radius.encode` and no sockets.
 */
import { createHash, createHmac } from 'node:crypto';
import radius from 'radius';
import t from 'tap';
import { configSchema } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { signRequest } from '../../src/subscribers/radius-packet';
import { RadiusAccountingServer } from '../../src/subscribers/radius-server';
import { endedSessionsMax, SubscriberTable } from '../../src/subscribers/table';
import { acct, type AcctOptions } from '../helpers/radius';

const SECRET = 's3cret';
const GGSN = { address: '192.0.2.10', port: 40000 };

function setup(maxEntries = 1000) {
  const config = configSchema.parse({
    radius: {
      enabled: true,
      clients: [
        { address: '192.0.2.0/24', secret: SECRET, name: 'ggsn-pool' },
        { address: '192.0.2.99', secret: 'more-specific', name: 'ggsn-99' },
        { address: '2001:db8:ffff::/48', secret: SECRET },
      ],
    },
  });
  const metrics = new Metrics();
  const table = new SubscriberTable({ maxEntries, metrics });
  let now = 1_000_000;
  const server = new RadiusAccountingServer({ config: config.radius, table, metrics, logger: silentLogger(), now: () => now });
  let id = 0;
  const send = (o: Partial<AcctOptions> & Pick<AcctOptions, 'status'>, from = GGSN) => {
    const pkt = acct({ secret: SECRET, identifier: id++ & 0xff, nasIp: '192.0.2.10', ...o });
    return { pkt, ...server.handle(pkt, from) };
  };
  return { server, table, metrics, send, tick: (ms: number) => (now += ms) };
}

const start = (ip: string, session: string, extra: Partial<AcctOptions> = {}): Partial<AcctOptions> & Pick<AcctOptions, 'status'> => ({
  status: 'Start',
  sessionId: session,
  framedIp: ip,
  msisdn: '15550001',
  imsi: '001010000000001',
  ...extra,
});

t.test('Start binds with every attribute we keep; the reply is a valid Accounting-Response', async (t) => {
  const { send, table } = setup();
  const r = send(start('10.1.0.1', 'S1', { imeisv: '3534900612345601', sgsn: '198.51.100.1', ratType: 6, apn: 'mms.example', attrs: [['Proxy-State', Buffer.from('ps1')]] }));
  t.equal(r.outcome, 'ok');
  t.equal(r.type, 'start');
  t.ok(r.reply, 'answered');
  t.ok(radius.verify_response({ request: r.pkt, response: r.reply as Buffer, secret: SECRET }), 'response authenticator verified by npm radius');
  const decoded = radius.decode({ packet: r.reply as Buffer, secret: SECRET });
  t.equal(decoded.code, 'Accounting-Response');
  t.equal(decoded.identifier, r.pkt[1]);
  t.same(decoded.attributes['Proxy-State'], Buffer.from('ps1'), 'Proxy-State echoed');
  t.match(table.lookup('10.1.0.1'), {
    key: '10.1.0.1',
    msisdn: '15550001',
    imsi: '001010000000001',
    imeisv: '3534900612345601',
    sgsnAddress: '198.51.100.1',
    ratType: 6,
    apn: 'mms.example',
    source: 'radius',
    nas: '192.0.2.10',
    acctSessionId: 'S1',
    since: 1_000_000,
  });
});

t.test('Start replaces a binding of the same IP held by someone else (lost Stop, reused IP)', async (t) => {
  const { send, table } = setup();
  send(start('10.1.0.1', 'S1'));
  send(start('10.1.0.1', 'S2', { msisdn: '15550002', imsi: '001010000000002' }));
  t.equal(table.lookup('10.1.0.1')?.msisdn, '15550002');
  t.equal(table.lookup('10.1.0.1')?.imsi, '001010000000002');
  t.equal(table.lookup('10.1.0.1')?.acctSessionId, 'S2');
  // the late Stop of the first session does not unbind the new holder
  send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1', msisdn: '15550001', imsi: '001010000000001' });
  t.equal(table.lookup('10.1.0.1')?.msisdn, '15550002');
  // a Start from another NAS also replaces
  send(start('10.1.0.1', 'S3', { msisdn: '15550003', imsi: '001010000000003', nasIp: '192.0.2.11' }), { address: '192.0.2.11', port: 1 });
  t.equal(table.lookup('10.1.0.1')?.nas, '192.0.2.11');
});

t.test('Interim-Update binds an unknown session and refreshes a known one', async (t) => {
  const { send, table, tick } = setup();
  const r = send({ status: 'Interim-Update', sessionId: 'S9', framedIp: '10.1.0.9', msisdn: '15550009', ratType: 1 });
  t.equal(r.outcome, 'ok');
  t.equal(r.type, 'interim');
  t.equal(table.lookup('10.1.0.9')?.msisdn, '15550009', 'acts as a Start');
  const since = table.lookup('10.1.0.9')?.since;
  tick(5000);
  send({ status: 'Interim-Update', sessionId: 'S9', framedIp: '10.1.0.9', ratType: 6, sgsn: '198.51.100.2' });
  const b = table.lookup('10.1.0.9');
  t.equal(b?.ratType, 6, 'RAT type refreshed (handover)');
  t.equal(b?.sgsnAddress, '198.51.100.2');
  t.equal(b?.msisdn, '15550009', 'what the Interim did not carry is kept');
  t.equal(b?.since, since, 'bind time kept');
});

t.test('Stop removes only the matching session', async (t) => {
  const { send, table } = setup();
  send(start('10.1.0.1', 'S1'));
  send({ status: 'Stop', sessionId: 'OTHER', framedIp: '10.1.0.1' });
  t.ok(table.lookup('10.1.0.1'), 'another session id: kept');
  const r = send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1' });
  t.equal(r.type, 'stop');
  t.ok(r.reply);
  t.equal(table.lookup('10.1.0.1'), undefined, 'matching Stop unbinds');
  const again = send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1' });
  t.ok(again.reply, 'a late duplicate Stop is still acknowledged');
  const none = send({ status: 'Stop', sessionId: 'S1' });
  t.ok(none.reply, 'a Stop without an address is acknowledged');
});

t.test('per-context accounting: the binding stays until the last context or the Session-Stop-Indicator', async (t) => {
  const { send, table } = setup();
  send(start('10.1.0.1', 'primary'));
  send(start('10.1.0.1', 'secondary', { ratType: 6 }));
  const b = table.lookup('10.1.0.1');
  t.equal(b?.acctSessionId, 'primary', 'the first context stays the primary');
  t.equal(b?.ratType, 6);
  send({ status: 'Stop', sessionId: 'primary', framedIp: '10.1.0.1' });
  t.ok(table.lookup('10.1.0.1'), 'a context is left: kept');
  t.equal(table.lookup('10.1.0.1')?.acctSessionId, 'secondary');
  send({ status: 'Stop', sessionId: 'secondary', framedIp: '10.1.0.1' });
  t.equal(table.lookup('10.1.0.1'), undefined, 'last context gone: unbound');

  send(start('10.1.0.2', 'p'));
  send(start('10.1.0.2', 's'));
  send({ status: 'Stop', sessionId: 's', framedIp: '10.1.0.2', stopIndicator: true });
  t.equal(table.lookup('10.1.0.2'), undefined, 'Session-Stop-Indicator: the IP session is over at once');

  send(start('10.1.0.3', 'p'));
  send({ status: 'Stop', sessionId: 'unknown-ctx', framedIp: '10.1.0.3', imsi: '001010000000001', stopIndicator: true });
  t.equal(table.lookup('10.1.0.3'), undefined, 'indicator for an unknown context of the same subscriber ends it');
  send(start('10.1.0.4', 'p'));
  send({ status: 'Stop', sessionId: 'x', framedIp: '10.1.0.4', imsi: '001010000000777', stopIndicator: true });
  t.ok(table.lookup('10.1.0.4'), 'indicator for someone else does not');
});

t.test('Accounting-On/Off flush everything learned from that NAS', async (t) => {
  const { send, table } = setup();
  send(start('10.1.0.1', 'a1'));
  send(start('10.1.0.2', 'a2'));
  send(start('10.2.0.1', 'b1', { nasIp: undefined, nasId: 'pgw-b' }), { address: '192.0.2.20', port: 1 });
  send(start('10.3.0.1', 'c1', { nasIp: undefined }), { address: '192.0.2.30', port: 1 });
  table.replaceStatic([{ key: '10.9.9.9', msisdn: '+1', source: 'static', since: 0 }]);
  t.equal(table.size, 5);

  const on = send({ status: 'Accounting-On' });
  t.equal(on.type, 'accounting-on');
  t.ok(on.reply);
  t.equal(table.lookup('10.1.0.1'), undefined);
  t.equal(table.lookup('10.1.0.2'), undefined);
  t.ok(table.lookup('10.2.0.1'), 'other NAS kept');
  const off = send({ status: 'Accounting-Off', nasIp: undefined, nasId: 'pgw-b' }, { address: '192.0.2.20', port: 1 });
  t.equal(off.type, 'accounting-off');
  t.equal(table.lookup('10.2.0.1'), undefined, 'by NAS-Identifier');
  send({ status: 'Accounting-On', nasIp: undefined }, { address: '192.0.2.30', port: 1 });
  t.equal(table.lookup('10.3.0.1'), undefined, 'by source address');
  t.ok(table.lookup('10.9.9.9'), 'static entries stay');
});

t.test('retransmissions are answered from cache and change nothing again', async (t) => {
  const { server, send, table, metrics } = setup();
  const first = send(start('10.1.0.1', 'S1'));
  send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1' });
  t.equal(table.lookup('10.1.0.1'), undefined);
  const dup = server.handle(first.pkt, GGSN);
  t.equal(dup.outcome, 'duplicate');
  t.same(dup.reply, first.reply, 'same reply bytes');
  t.equal(dup.forward, undefined, 'not forwarded twice');
  t.equal(table.lookup('10.1.0.1'), undefined, 'the old Start retransmitted does not rebind');
  const fromOtherPort = server.handle(first.pkt, { address: GGSN.address, port: GGSN.port + 1 });
  t.equal(fromOtherPort.outcome, 'stale', 'another source port is a new request, but of a session already stopped');
  t.ok(fromOtherPort.reply, 'still answered');
  t.equal(table.lookup('10.1.0.1'), undefined, 'and still not rebound');
  const got = await metrics.radiusPackets.get();
  t.equal(got.values.find((v) => v.labels.outcome === 'duplicate')?.value, 1);
});

t.test('late records: a Start or Interim of a stopped session, or older than the binding it would replace, is stale', async (t) => {
  const { send, table, tick, metrics } = setup();
  const A = { msisdn: '15550001', imsi: '001010000000001' };
  const B = { msisdn: '15550002', imsi: '001010000000002' };

  // A's session ends; A's Interim, delayed in the network, arrives after the Stop
  send(start('10.1.0.1', 'A1', A));
  send({ status: 'Stop', sessionId: 'A1', framedIp: '10.1.0.1' });
  const lateInterim = send({ status: 'Interim-Update', sessionId: 'A1', framedIp: '10.1.0.1', ...A });
  t.equal(lateInterim.outcome, 'stale');
  t.ok(lateInterim.reply, 'answered, so the NAS stops retrying');
  t.ok(lateInterim.forward, 'still copied downstream');
  t.equal(table.lookup('10.1.0.1'), undefined, 'a stopped session does not come back');

  // the address goes to B; A's Start is retransmitted (new Identifier, Acct-Delay-Time 10 s)
  send(start('10.1.0.1', 'B1', B));
  tick(1000);
  const lateStart = send(start('10.1.0.1', 'A0', { ...A, attrs: [['Acct-Delay-Time', 10]] }));
  t.equal(lateStart.outcome, 'stale', 'happened 10 s ago, before B was bound');
  t.equal(table.lookup('10.1.0.1')?.msisdn, B.msisdn, 'B keeps the address');

  // Event-Timestamp (the NAS clock), when there is no Acct-Delay-Time; now is 1 001 000 ms
  const old = send(start('10.1.0.1', 'A2', { ...A, attrs: [['Event-Timestamp', new Date(990_000)]] }));
  t.equal(old.outcome, 'stale', 'Event-Timestamp 11 s before B');
  t.equal(table.lookup('10.1.0.1')?.msisdn, B.msisdn);
  const close = send(start('10.1.0.1', 'A3', { ...A, attrs: [['Event-Timestamp', new Date(999_000)]] }));
  t.equal(close.outcome, 'ok', 'within the tolerance of one-second timestamps: the newer arrival wins');
  t.equal(table.lookup('10.1.0.1')?.msisdn, A.msisdn);

  // a record with no timing attributes happened now: it replaces, as a Start always did
  send(start('10.1.0.1', 'B2', B));
  t.equal(table.lookup('10.1.0.1')?.msisdn, B.msisdn);

  // the binding begins when its record happened, not when it arrived
  send(start('10.1.0.7', 'C1', { attrs: [['Acct-Delay-Time', 3]] }));
  t.equal(table.lookup('10.1.0.7')?.since, 1_001_000 - 3000);
  const future = send(start('10.1.0.8', 'C2', { attrs: [['Event-Timestamp', new Date(5_000_000)]] }));
  t.equal(future.outcome, 'ok');
  t.equal(table.lookup('10.1.0.8')?.since, 1_001_000, 'a NAS clock ahead of ours is clamped to now');

  const got = await metrics.radiusPackets.get();
  t.equal(got.values.filter((v) => v.labels.outcome === 'stale').reduce((n, v) => n + v.value, 0), 3, 'counted as stale');
});

t.test('ended sessions: forgotten on Accounting-On (a rebooted NAS reuses ids), per NAS, and bounded', async (t) => {
  const { send, table } = setup(10);
  send(start('10.1.0.1', 'S1'));
  send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1' });
  t.ok(table.hasEnded('192.0.2.10', '10.1.0.1', 'S1'));
  t.notOk(table.hasEnded('192.0.2.11', '10.1.0.1', 'S1'), 'session ids are per NAS');
  const other = send(start('10.1.0.1', 'S1', { nasIp: '192.0.2.11' }), { address: '192.0.2.11', port: 1 });
  t.equal(other.outcome, 'ok', 'the same id from another NAS is another session');
  send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1', nasIp: '192.0.2.11' }, { address: '192.0.2.11', port: 1 });

  send({ status: 'Accounting-On' });
  t.notOk(table.hasEnded('192.0.2.10', '10.1.0.1', 'S1'), 'flushed with the NAS');
  t.ok(table.hasEnded('192.0.2.11', '10.1.0.1', 'S1'), 'another NAS keeps its records');
  const reused = send(start('10.1.0.1', 'S1'));
  t.equal(reused.outcome, 'ok');
  t.ok(table.lookup('10.1.0.1'), 'after the reboot, S1 is a new session');

  // a Stop with the indicator ends every context of the binding
  send(start('10.1.0.2', 'p'));
  send(start('10.1.0.2', 's'));
  send({ status: 'Stop', sessionId: 's', framedIp: '10.1.0.2', stopIndicator: true });
  t.equal(send({ status: 'Interim-Update', sessionId: 'p', framedIp: '10.1.0.2' }).outcome, 'stale', 'the other context ended with it');

  for (let i = 0; i < 3000; i++) table.markEnded('192.0.2.10', '10.9.0.1', `x${i}`);
  t.equal(table.endedSessions, endedSessionsMax(10), 'bounded');
  t.equal(endedSessionsMax(10), 1024);
  t.equal(endedSessionsMax(5_000_000), 100_000);
  t.ok(table.hasEnded('192.0.2.10', '10.9.0.1', 'x2999'), 'the newest kept');
  t.notOk(table.hasEnded('192.0.2.10', '10.9.0.1', 'x0'), 'the oldest forgotten');
});

t.test('unknown clients, wrong secrets and bad Message-Authenticators are dropped and counted', async (t) => {
  const { server, table, send, metrics } = setup();
  const unknown = server.handle(acct({ secret: SECRET, ...start('10.1.0.1', 'S1') } as never), { address: '203.0.113.5', port: 1 });
  t.same(unknown, { outcome: 'unknown-client', type: 'unknown' });
  const wrong = server.handle(acct({ secret: 'wrong', ...start('10.1.0.1', 'S1') } as never), GGSN);
  t.same(wrong, { outcome: 'bad-authenticator', type: 'unknown' });
  const moreSpecific = server.handle(acct({ secret: SECRET, ...start('10.1.0.1', 'S1') } as never), { address: '192.0.2.99', port: 1 });
  t.equal(moreSpecific.outcome, 'bad-authenticator', 'the most specific client entry (its own secret) applies');
  t.equal(table.size, 0, 'nothing bound');

  const ma = send(start('10.1.0.2', 'S2', { messageAuthenticator: true }));
  t.equal(ma.outcome, 'ok', 'valid Message-Authenticator accepted');
  const decoded = radius.decode({ packet: ma.reply as Buffer, secret: SECRET });
  t.ok(decoded.attributes['Message-Authenticator'], 'reply carries one too');
  // (npm radius's verify_response cannot be used here: it signs accounting Message-Authenticators its own way)
  const resp = Buffer.from(ma.reply as Buffer);
  const gotAuth = Buffer.from(resp.subarray(4, 20));
  ma.pkt.copy(resp, 4, 4, 20);
  t.same(createHash('md5').update(resp).update(SECRET).digest(), gotAuth, 'response authenticator');
  const maAt = resp.length - 16;
  const gotMa = Buffer.from(resp.subarray(maAt));
  resp.fill(0, maAt);
  resp.fill(0, 4, 20);
  t.same(createHmac('md5', SECRET).update(resp).digest(), gotMa, 'response Message-Authenticator, zero authenticator field (FreeRADIUS; radclient accepts it)');

  const bad = acct({ secret: SECRET, identifier: 77, ...start('10.1.0.3', 'S3'), messageAuthenticator: true } as never);
  // corrupt the Message-Authenticator, then fix the request authenticator so only the MA is wrong
  bad[bad.length - 1] ^= 1;
  const copy = Buffer.from(bad);
  signRequest(copy, SECRET);
  const ma2 = copy.subarray(copy.length - 16);
  ma2[0] = (ma2[0] as number) ^ 0xff;
  // recompute only the request authenticator over the corrupted MA
  copy.fill(0, 4, 20);
  createHash('md5').update(copy).update(SECRET).digest().copy(copy, 4);
  t.equal(server.handle(copy, GGSN).outcome, 'bad-message-authenticator');
  t.equal(table.lookup('10.1.0.3'), undefined);

  const v6 = server.handle(acct({ secret: SECRET, ...start('10.1.0.4', 'S4') } as never), { address: '2001:db8:ffff:1::1', port: 1 });
  t.equal(v6.outcome, 'ok', 'IPv6 NAS address matched by prefix');
  const mapped = server.handle(acct({ secret: SECRET, identifier: 200, ...start('10.1.0.5', 'S5') } as never), { address: '::ffff:192.0.2.10', port: 1 });
  t.equal(mapped.outcome, 'ok', 'IPv4-mapped source (dual-stack socket)');

  const counts = await metrics.radiusPackets.get();
  const c = (outcome: string, type?: string) =>
    counts.values.filter((v) => v.labels.outcome === outcome && (type === undefined || v.labels.type === type)).reduce((s, v) => s + v.value, 0);
  t.equal(c('unknown-client', 'unknown'), 1);
  t.equal(c('bad-authenticator'), 2);
  t.equal(c('bad-message-authenticator', 'start'), 1);
  t.equal(c('ok', 'start'), 3);
});

t.test('malformed datagrams are dropped; padding past Length is ignored', async (t) => {
  const { server, table, metrics } = setup();
  const good = acct({ secret: SECRET, ...start('10.1.0.1', 'S1') } as never);
  t.equal(server.handle(good.subarray(0, 10), GGSN).outcome, 'malformed', 'shorter than a header');
  t.equal(server.handle(good.subarray(0, good.length - 1), GGSN).outcome, 'malformed', 'Length beyond the datagram');
  const badAttr = Buffer.from(good);
  badAttr[21] = 1; // first attribute length 1
  t.equal(server.handle(badAttr, GGSN).outcome, 'malformed');
  const accessReq = Buffer.from(good);
  accessReq[0] = 1;
  t.equal(server.handle(accessReq, GGSN).outcome, 'unsupported-code');
  const padded = Buffer.concat([good, Buffer.alloc(7, 0xee)]);
  t.equal(server.handle(padded, GGSN).outcome, 'ok', 'padding ignored');
  t.equal(table.lookup('10.1.0.1')?.acctSessionId, 'S1');
  const errs = await metrics.decodeErrors.get();
  t.equal(errs.values.find((v) => v.labels.layer === 'radius')?.value, 3);
});

t.test('IPv6: Framed-IPv6-Prefix binds its /64; IPv4v6 binds both', async (t) => {
  const { send, table } = setup();
  send(start('10.1.0.1', 'S1', { framedIpv6Prefix: '2001:db8:aa:bb::/64' }));
  t.equal(table.lookup('2001:db8:aa:bb:1:2:3:4')?.msisdn, '15550001', 'any address in the /64');
  t.equal(table.lookup('10.1.0.1')?.msisdn, '15550001');
  send({ status: 'Start', sessionId: 'S2', framedIpv6Prefix: '2001:db8:cc:dd::/64', msisdn: '15550002' });
  t.equal(table.lookup('2001:db8:cc:dd::99')?.msisdn, '15550002', 'IPv6-only PDN');
  send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1', framedIpv6Prefix: '2001:db8:aa:bb::/64' });
  t.equal(table.lookup('2001:db8:aa:bb::1'), undefined);
  t.equal(table.lookup('10.1.0.1'), undefined);
});

t.test('odd attributes: unusable values are ignored, the packet is still acknowledged', async (t) => {
  const { send, table } = setup();
  const r = send({ status: 'Start', sessionId: 'S1', framedIp: '255.255.255.254', msisdn: '15550001' });
  t.ok(r.reply, 'acknowledged');
  t.equal(table.size, 0, 'no subscriber address, nothing bound');
  send({ status: 'Start', sessionId: 'S2', framedIp: '10.1.0.2', msisdn: 'not-a-number', imsi: '001010000000002' });
  t.equal(table.lookup('10.1.0.2')?.msisdn, undefined, 'bad MSISDN dropped');
  t.equal(table.lookup('10.1.0.2')?.imsi, '001010000000002', 'IMSI-only binding kept');
  const failed = send({ status: 'Failed', sessionId: 'S3', framedIp: '10.1.0.3' });
  t.equal(failed.type, 'other');
  t.ok(failed.reply);
  t.equal(table.lookup('10.1.0.3'), undefined, 'other status types change nothing');
});
