/**
 * The memory table's side of the RADIUS server (RadiusAccountingServer.handle(), Accounting-Requests
 * built by `radius.encode`, no sockets): packet verification, decoding, the ended-session bound.
 * The binding rules themselves run against both stores in store-rules.test.ts.
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
  bad[bad.length - 1]! ^= 1;
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
