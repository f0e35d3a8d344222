/**
 * What an operator reads at info level about RADIUS: each binding created, replaced and removed,
 * dropped packets (unknown NAS, bad authenticator; throttled per source), RAT type by name.
 */
import t from 'tap';
import { configSchema } from '../../src/config/schema';
import { createLogger } from '../../src/core/logger';
import { ratTypeName, RAT_TYPES } from '../../src/codec/rat-type';
import { Metrics } from '../../src/ops/metrics';
import { RadiusAccountingServer } from '../../src/subscribers/radius-server';
import { SubscriberTable } from '../../src/subscribers/table';
import { acct, type AcctOptions } from '../helpers/radius';

const SECRET = 'a-long-enough-secret';
const GGSN = { address: '192.0.2.10', port: 40000 };

function setup() {
  const config = configSchema.parse({ radius: { enabled: true, clients: [{ address: '192.0.2.0/24', secret: SECRET, name: 'pgw1' }] } });
  const metrics = new Metrics();
  const table = new SubscriberTable({ maxEntries: 100, metrics });
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) } });
  let now = 1_000_000;
  const server = new RadiusAccountingServer({ config: config.radius, table, metrics, logger, now: () => now });
  let id = 0;
  const send = (o: Partial<AcctOptions> & Pick<AcctOptions, 'status'>, from = GGSN, secret = SECRET) =>
    server.handle(acct({ secret, identifier: id++ & 0xff, nasIp: '192.0.2.10', ...o }), from);
  return { send, lines, tick: (ms: number) => (now += ms), byMsg: (m: string) => lines.filter((l) => l.msg === m) };
}

t.test('binding created, replaced, removed: one info line each, RAT type by name', async (t) => {
  const { send, byMsg } = setup();
  send({ status: 'Start', sessionId: 'S1', framedIp: '10.1.0.1', msisdn: '15550001', imsi: '001010000000001', ratType: 6, apn: 'mms' });
  const [bound] = byMsg('subscriber bound');
  t.match(bound, { level: 30, ip: '10.1.0.1', client: 'pgw1', nas: '192.0.2.10', session: 'S1', ratType: 'EUTRAN', apn: 'mms', msisdn: '[redacted]', imsi: '[redacted]' });
  send({ status: 'Start', sessionId: 'S2', framedIp: '10.1.0.1', msisdn: '15550002', imsi: '001010000000002', ratType: 1 });
  t.match(byMsg('subscriber binding replaced')[0], { ip: '10.1.0.1', session: 'S2', ratType: 'UTRAN' });
  send({ status: 'Stop', sessionId: 'S2', framedIp: '10.1.0.1', msisdn: '15550002', imsi: '001010000000002' });
  t.match(byMsg('subscriber unbound')[0], { ip: '10.1.0.1', session: 'S2', status: 'stop' });
  t.equal(byMsg('subscriber bound').length, 1);
  // an interim refresh of a known session is not a change worth a line at info
  send({ status: 'Start', sessionId: 'S3', framedIp: '10.1.0.3', msisdn: '15550003' });
  send({ status: 'Interim-Update', sessionId: 'S3', framedIp: '10.1.0.3', msisdn: '15550003' });
  t.equal(byMsg('subscriber bound').length, 2);
  t.equal(byMsg('subscriber binding replaced').length, 1);
});

t.test('unknown NAS and bad authenticator are logged at info, once a minute per source', async (t) => {
  const { send, byMsg, tick } = setup();
  const stranger = { address: '203.0.113.5', port: 1 };
  for (let i = 0; i < 5; i++) send({ status: 'Start', sessionId: 'X', framedIp: '10.9.0.1' }, stranger);
  const unknown = byMsg('RADIUS packet from an unknown NAS dropped (not in radius.clients)');
  t.equal(unknown.length, 1, 'a flood makes one line');
  t.match(unknown[0], { level: 30, from: '203.0.113.5', outcome: 'unknown-client' });
  tick(61_000);
  send({ status: 'Start', sessionId: 'X', framedIp: '10.9.0.1' }, stranger);
  t.match(byMsg('RADIUS packet from an unknown NAS dropped (not in radius.clients)')[1], { droppedSinceLastLine: 4 }, 'the next line says how many were not logged');

  send({ status: 'Start', sessionId: 'Y', framedIp: '10.9.0.2' }, GGSN, 'the-wrong-secret');
  t.match(byMsg('RADIUS packet with a bad authenticator dropped (wrong secret?)')[0], { from: '192.0.2.10', client: 'pgw1', outcome: 'bad-authenticator' });
});

t.test('RAT type names (TS 29.274 §8.17)', async (t) => {
  t.equal(ratTypeName(6), 'EUTRAN');
  t.equal(ratTypeName(10), 'NR');
  t.equal(ratTypeName(2), 'GERAN');
  t.equal(ratTypeName(200), 'unknown-200');
  t.equal(ratTypeName(undefined), undefined);
  t.equal(new Set(RAT_TYPES.map(([c]) => c)).size, RAT_TYPES.length, 'each code once');
});
