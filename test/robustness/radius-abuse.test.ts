/**
 * RADIUS accounting under abuse, against a running gateway (node dist/cli.js) with one NAS
 * client (127.0.0.1) and a small subscriber table (subscribers.maxEntries 50):
 * - a flood mixing good Starts (3 000 distinct addresses) with packets signed with a wrong
 *   secret, garbage, packets without any authenticator, an Accounting-On signed with a wrong
 *   secret, and everything (including a correctly signed Accounting-On) from an unknown NAS
 *   (127.0.0.2): the bad ones are dropped (no answer) and counted by outcome; every good Start
 *   is answered (the NAS retransmits what got lost, as a NAS does);
 * - the full table evicts the least recently used bindings: counted and logged;
 * - the Accounting-On from the non-client flushed nothing; the client's own Accounting-On does.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { startGateway, tempDir, writeTestConfig } from '../helpers/gateway-process';
import { acct } from '../helpers/radius';

const SECRET = 'flood-secret-1';

function adminGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
      })
      .on('error', reject);
  });
}
const metric = (text: string, name: string, label = '') =>
  text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(label))
    .reduce((a, l) => a + Number(l.split(' ').pop()), 0);

async function socketOn(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, r));
  return s;
}

const ip = (i: number) => `10.9.${(i >> 8) & 0xff}.${i & 0xff}`;

t.test('flood: bad packets dropped and counted, good ones answered; full table evicts and logs; no flush from a non-client', async (t) => {
  const dir = tempDir();
  const cfg = writeTestConfig(dir, {
    radius: { enabled: true, bind: '127.0.0.1', port: 0, clients: [{ address: '127.0.0.1/32', secret: SECRET, name: 'ggsn' }] },
    subscribers: { maxEntries: 50 },
    proxy: { enabled: false },
    demoMmsc: { enabled: false },
  });
  const gw = startGateway(['-c', cfg]);
  t.teardown(() => gw.kill());
  await gw.waitFor((l) => l.msg === 'started', 15000);
  const port = gw.port('radius') as number;
  const admin = gw.port('admin') as number;

  const nas = await socketOn('127.0.0.1');
  const stranger = await socketOn('127.0.0.2');
  t.teardown(() => {
    nas.close();
    stranger.close();
  });
  let strangerAnswers = 0;
  stranger.on('message', () => strangerAnswers++);
  const answered = new Set<number>(); // identifiers of good packets answered, per round
  let badAnswers = 0;
  nas.on('message', (m) => {
    if (m[0] === 5 && good.has(m[1] as number)) answered.add(m[1] as number);
    else if (m[0] === 5 && (m[1] as number) < 150) return; // a late answer to an earlier round's retransmitted good Start
    else badAnswers++;
  });
  const good = new Map<number, Buffer>();

  const GOOD = 3000;
  let sentBad = 0;
  for (let base = 0; base < GOOD; base += 50) {
    // one NAS round: 50 outstanding identifiers (and 200 abusive packets around them)
    good.clear();
    answered.clear();
    // identifiers rotate over three ranges (0-49, 50-99, 100-149): a late answer to the previous
    // round's retransmission must not count as the answer to this round's packet with the same id
    const idBase = ((base / 50) % 3) * 50;
    for (let k = 0; k < 50 && base + k < GOOD; k++) {
      const i = base + k;
      const pkt = acct({ secret: SECRET, identifier: idBase + k, status: 'Start', sessionId: `s${i}`, framedIp: ip(i), msisdn: `1555${String(i).padStart(7, '0')}`, nasIp: '127.0.0.1' });
      good.set(idBase + k, pkt);
      nas.send(pkt, port, '127.0.0.1');
      // the abuse, interleaved
      nas.send(acct({ secret: 'wrong-secret', identifier: 200 + (k % 50), status: 'Start', sessionId: `x${i}`, framedIp: ip(i + 5000) }), port, '127.0.0.1');
      nas.send(randomBytes(1 + (i % 90)), port, '127.0.0.1');
      const noAuth = acct({ secret: SECRET, identifier: 250, status: 'Start', sessionId: `n${i}`, framedIp: ip(i + 9000) });
      noAuth.fill(0, 4, 20); // authenticator missing (zeros)
      nas.send(noAuth, port, '127.0.0.1');
      stranger.send(acct({ secret: SECRET, identifier: k, status: 'Start', sessionId: `u${i}`, framedIp: ip(i + 13000) }), port, '127.0.0.1');
      sentBad += 3;
    }
    nas.send(acct({ secret: 'wrong-secret', identifier: 251, status: 'Accounting-On', nasIp: '127.0.0.1' }), port, '127.0.0.1');
    stranger.send(acct({ secret: SECRET, identifier: 252, status: 'Accounting-On', nasIp: '127.0.0.1' }), port, '127.0.0.1');
    // retransmit what is not answered yet (duplicates are answered from the cache)
    for (let tries = 0; tries < 20 && answered.size < good.size; tries++) {
      await new Promise((r) => setTimeout(r, 15));
      if (tries % 4 === 3) for (const [id, pkt] of good) if (!answered.has(id)) nas.send(pkt, port, '127.0.0.1');
    }
    if (answered.size < good.size) {
      t.fail(`round ${base}: ${good.size - answered.size} good Starts never answered`);
      break;
    }
  }
  await new Promise((r) => setTimeout(r, 200));
  t.equal(badAnswers, 0, `none of the ${sentBad} bad packets was answered`);
  t.equal(strangerAnswers, 0, 'the unknown NAS got no answer');

  const m = (await adminGet(admin, '/metrics')).body;
  t.equal(metric(m, 'wapgw_radius_packets_total', 'outcome="ok"'), GOOD, 'every good Start processed once');
  // loopback UDP may drop a few of the flood's datagrams before the gateway reads them (kernel
  // buffer): what arrives is counted, so at least 90 % of what was sent
  const badAuth = metric(m, 'wapgw_radius_packets_total', 'outcome="bad-authenticator"');
  const unknown = metric(m, 'wapgw_radius_packets_total', 'outcome="unknown-client"');
  const malformed = metric(m, 'wapgw_radius_packets_total', 'outcome="malformed"');
  t.ok(badAuth >= GOOD * 2 * 0.9, `wrong secret and missing authenticator counted (${badAuth})`);
  t.ok(unknown >= GOOD * 0.9, `unknown NAS counted (${unknown})`);
  t.ok(malformed >= GOOD * 0.5, `garbage counted as malformed (${malformed}; short random packets may look like other codes)`);
  t.equal(metric(m, 'wapgw_subscriber_evictions_total'), GOOD - 50, 'full table: evictions counted');
  t.ok(
    gw.lines.some((l) => /subscriber table full/.test(String(l.msg)) && typeof l.evicted === 'number'),
    'eviction logged (rate-limited)',
  );
  t.ok(gw.lines.filter((l) => /subscriber table full/.test(String(l.msg))).length <= 2, 'not once per eviction');

  // the non-client's and the bad-secret Accounting-On flushed nothing
  t.equal((await adminGet(admin, `/subscribers/${ip(GOOD - 1)}`)).status, 200, 'the newest binding is still there');
  t.equal((await adminGet(admin, `/subscribers/${ip(0)}`)).status, 404, 'the oldest was evicted');
  // the client's own Accounting-On flushes its bindings
  good.clear();
  answered.clear();
  const on = acct({ secret: SECRET, identifier: 170, status: 'Accounting-On', nasIp: '127.0.0.1' });
  good.set(170, on);
  nas.send(on, port, '127.0.0.1');
  for (let i = 0; i < 40 && !answered.has(170); i++) await new Promise((r) => setTimeout(r, 25));
  t.ok(answered.has(170), "the client's Accounting-On is answered");
  t.equal((await adminGet(admin, `/subscribers/${ip(GOOD - 1)}`)).status, 404, 'and flushes its bindings');
  t.equal(gw.child.exitCode, null, 'gateway alive');
});
