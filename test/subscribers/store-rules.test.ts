/**
 * The binding rules (src/subscribers/accounting.ts; RFC 2866 §5.1, RFC 2869 §5.3, TS 29.061 §16)
 * through the RADIUS server, against BOTH stores: the memory table and the Redis store (its Lua
 * scripts on a real redis-server this test starts). The cases are those of accounting.test.ts,
 * which keeps the memory-only ones (packet verification, decoding).
 */
import radius from 'radius';
import t from 'tap';
import type { Tap } from '../helpers/tap';
import { configSchema } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { RadiusAccountingServer } from '../../src/subscribers/radius-server';
import { RedisSubscriberStore } from '../../src/subscribers/store/redis';
import { SubscriberTable } from '../../src/subscribers/table';
import type { Subscriber } from '../../src/subscribers/types';
import { acct, type AcctOptions } from '../helpers/radius';
import { redisTestOptions, startRedis, type RedisServer } from '../helpers/redis';

const SECRET = 's3cret';
const GGSN = { address: '192.0.2.10', port: 40000 };

interface Harness {
  lookup(ip: string): Promise<Subscriber | undefined>;
  handle(pkt: Buffer, from: { address: string; port: number }): ReturnType<RadiusAccountingServer['handleAsync']>;
  hasEnded(nas: string, key: string, sid: string): Promise<boolean>;
  size(): Promise<number>;
  replaceStatic(subs: Subscriber[]): void;
}

let redisServer: Promise<RedisServer> | undefined;
let prefixes = 0;

for (const kind of ['memory', 'redis'] as const) {
  const opts = kind === 'redis' ? redisTestOptions() : {};

  async function setup(tt: Tap, maxEntries = 1000) {
    const config = configSchema.parse({
      radius: {
        enabled: true,
        clients: [
          { address: '192.0.2.0/24', secret: SECRET, name: 'ggsn-pool' },
          { address: '192.0.2.99', secret: 'more-specific', name: 'ggsn-99' },
          { address: '2001:db8:ffff::/48', secret: SECRET },
        ],
      },
      subscribers: { maxEntries },
    });
    const metrics = new Metrics();
    const table = new SubscriberTable({ maxEntries, metrics });
    let now = 1_000_000;
    let h: Harness;
    let server: RadiusAccountingServer;
    if (kind === 'memory') {
      server = new RadiusAccountingServer({ config: config.radius, table, metrics, logger: silentLogger(), now: () => now });
      h = {
        lookup: async (ip) => table.lookup(ip),
        handle: (pkt, from) => server.handleAsync(pkt, from),
        hasEnded: async (nas, key, sid) => table.hasEnded(nas, key, sid),
        size: async () => table.size,
        replaceStatic: (subs) => void table.replaceStatic(subs),
      };
    } else {
      redisServer ??= startRedis(t);
      const r = await redisServer;
      const store = new RedisSubscriberStore({
        config: configSchema.parse({ subscribers: { maxEntries, store: 'redis', redis: { url: r.url, keyPrefix: `rules${prefixes++}:`, heartbeatMs: 20, livenessMs: 200 } } }).subscribers,
        metrics,
        now: () => now,
      });
      await store.start();
      tt.teardown(() => store.close());
      server = new RadiusAccountingServer({ config: config.radius, table, shared: store, metrics, logger: silentLogger(), now: () => now });
      h = {
        lookup: async (ip) => store.resolve(ip),
        handle: (pkt, from) => server.handleAsync(pkt, from),
        hasEnded: (nas, key, sid) => store.hasEnded(nas, key, sid),
        size: async () => (await store.list({}, 1000)).items.length,
        replaceStatic: (subs) => void store.replaceStatic(subs),
      };
    }
    let id = 0;
    const send = async (o: Partial<AcctOptions> & Pick<AcctOptions, 'status'>, from = GGSN) => {
      const pkt = acct({ secret: SECRET, identifier: id++ & 0xff, nasIp: '192.0.2.10', ...o });
      return { pkt, ...(await h.handle(pkt, from)) };
    };
    return { h, metrics, send, tick: (ms: number) => (now += ms) };
  }

  const start = (ip: string, session: string, extra: Partial<AcctOptions> = {}): Partial<AcctOptions> & Pick<AcctOptions, 'status'> => ({
    status: 'Start',
    sessionId: session,
    framedIp: ip,
    msisdn: '15550001',
    imsi: '001010000000001',
    ...extra,
  });

  t.test(`${kind}: Start binds with every attribute we keep; the reply is a valid Accounting-Response`, opts, async (t) => {
    const { send, h } = await setup(t, 1000);
    const r = await send(start('10.1.0.1', 'S1', { imeisv: '3534900612345601', sgsn: '198.51.100.1', ratType: 6, apn: 'mms.example', attrs: [['Proxy-State', Buffer.from('ps1')]] }));
    t.equal(r.outcome, 'ok');
    t.equal(r.type, 'start');
    t.ok(r.reply, 'answered');
    t.ok(radius.verify_response({ request: r.pkt, response: r.reply as Buffer, secret: SECRET }), 'response authenticator verified by npm radius');
    const decoded = radius.decode({ packet: r.reply as Buffer, secret: SECRET });
    t.equal(decoded.code, 'Accounting-Response');
    t.equal(decoded.identifier, r.pkt[1]);
    t.same(decoded.attributes['Proxy-State'], Buffer.from('ps1'), 'Proxy-State echoed');
    t.match((await h.lookup('10.1.0.1')), {
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

  t.test(`${kind}: Start replaces a binding of the same IP held by someone else (lost Stop, reused IP)`, opts, async (t) => {
    const { send, h } = await setup(t, 1000);
    await send(start('10.1.0.1', 'S1'));
    await send(start('10.1.0.1', 'S2', { msisdn: '15550002', imsi: '001010000000002' }));
    t.equal((await h.lookup('10.1.0.1'))?.msisdn, '15550002');
    t.equal((await h.lookup('10.1.0.1'))?.imsi, '001010000000002');
    t.equal((await h.lookup('10.1.0.1'))?.acctSessionId, 'S2');
    // the late Stop of the first session does not unbind the new holder
    await send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1', msisdn: '15550001', imsi: '001010000000001' });
    t.equal((await h.lookup('10.1.0.1'))?.msisdn, '15550002');
    // a Start from another NAS also replaces
    await send(start('10.1.0.1', 'S3', { msisdn: '15550003', imsi: '001010000000003', nasIp: '192.0.2.11' }), { address: '192.0.2.11', port: 1 });
    t.equal((await h.lookup('10.1.0.1'))?.nas, '192.0.2.11');
  });

  t.test(`${kind}: Interim-Update binds an unknown session and refreshes a known one`, opts, async (t) => {
    const { send, h, tick } = await setup(t, 1000);
    const r = await send({ status: 'Interim-Update', sessionId: 'S9', framedIp: '10.1.0.9', msisdn: '15550009', ratType: 1 });
    t.equal(r.outcome, 'ok');
    t.equal(r.type, 'interim');
    t.equal((await h.lookup('10.1.0.9'))?.msisdn, '15550009', 'acts as a Start');
    const since = (await h.lookup('10.1.0.9'))?.since;
    tick(5000);
    await send({ status: 'Interim-Update', sessionId: 'S9', framedIp: '10.1.0.9', ratType: 6, sgsn: '198.51.100.2' });
    const b = (await h.lookup('10.1.0.9'));
    t.equal(b?.ratType, 6, 'RAT type refreshed (handover)');
    t.equal(b?.sgsnAddress, '198.51.100.2');
    t.equal(b?.msisdn, '15550009', 'what the Interim did not carry is kept');
    t.equal(b?.since, since, 'bind time kept');
  });

  t.test(`${kind}: Stop removes only the matching session`, opts, async (t) => {
    const { send, h } = await setup(t, 1000);
    await send(start('10.1.0.1', 'S1'));
    await send({ status: 'Stop', sessionId: 'OTHER', framedIp: '10.1.0.1' });
    t.ok((await h.lookup('10.1.0.1')), 'another session id: kept');
    const r = await send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1' });
    t.equal(r.type, 'stop');
    t.ok(r.reply);
    t.equal((await h.lookup('10.1.0.1')), undefined, 'matching Stop unbinds');
    const again = await send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1' });
    t.ok(again.reply, 'a late duplicate Stop is still acknowledged');
    const none = await send({ status: 'Stop', sessionId: 'S1' });
    t.ok(none.reply, 'a Stop without an address is acknowledged');
  });

  t.test(`${kind}: per-context accounting: the binding stays until the last context or the Session-Stop-Indicator`, opts, async (t) => {
    const { send, h } = await setup(t, 1000);
    await send(start('10.1.0.1', 'primary'));
    await send(start('10.1.0.1', 'secondary', { ratType: 6 }));
    const b = (await h.lookup('10.1.0.1'));
    t.equal(b?.acctSessionId, 'primary', 'the first context stays the primary');
    t.equal(b?.ratType, 6);
    await send({ status: 'Stop', sessionId: 'primary', framedIp: '10.1.0.1' });
    t.ok((await h.lookup('10.1.0.1')), 'a context is left: kept');
    t.equal((await h.lookup('10.1.0.1'))?.acctSessionId, 'secondary');
    await send({ status: 'Stop', sessionId: 'secondary', framedIp: '10.1.0.1' });
    t.equal((await h.lookup('10.1.0.1')), undefined, 'last context gone: unbound');

    await send(start('10.1.0.2', 'p'));
    await send(start('10.1.0.2', 's'));
    await send({ status: 'Stop', sessionId: 's', framedIp: '10.1.0.2', stopIndicator: true });
    t.equal((await h.lookup('10.1.0.2')), undefined, 'Session-Stop-Indicator: the IP session is over at once');

    await send(start('10.1.0.3', 'p'));
    await send({ status: 'Stop', sessionId: 'unknown-ctx', framedIp: '10.1.0.3', imsi: '001010000000001', stopIndicator: true });
    t.equal((await h.lookup('10.1.0.3')), undefined, 'indicator for an unknown context of the same subscriber ends it');
    await send(start('10.1.0.4', 'p'));
    await send({ status: 'Stop', sessionId: 'x', framedIp: '10.1.0.4', imsi: '001010000000777', stopIndicator: true });
    t.ok((await h.lookup('10.1.0.4')), 'indicator for someone else does not');
  });

  t.test(`${kind}: Accounting-On/Off flush everything learned from that NAS`, opts, async (t) => {
    const { send, h } = await setup(t, 1000);
    await send(start('10.1.0.1', 'a1'));
    await send(start('10.1.0.2', 'a2'));
    await send(start('10.2.0.1', 'b1', { nasIp: undefined, nasId: 'pgw-b' }), { address: '192.0.2.20', port: 1 });
    await send(start('10.3.0.1', 'c1', { nasIp: undefined }), { address: '192.0.2.30', port: 1 });
    h.replaceStatic([{ key: '10.9.9.9', msisdn: '+1', source: 'static', since: 0 }]);
    t.equal((await h.size()), 5);

    const on = await send({ status: 'Accounting-On' });
    t.equal(on.type, 'accounting-on');
    t.ok(on.reply);
    t.equal((await h.lookup('10.1.0.1')), undefined);
    t.equal((await h.lookup('10.1.0.2')), undefined);
    t.ok((await h.lookup('10.2.0.1')), 'other NAS kept');
    const off = await send({ status: 'Accounting-Off', nasIp: undefined, nasId: 'pgw-b' }, { address: '192.0.2.20', port: 1 });
    t.equal(off.type, 'accounting-off');
    t.equal((await h.lookup('10.2.0.1')), undefined, 'by NAS-Identifier');
    await send({ status: 'Accounting-On', nasIp: undefined }, { address: '192.0.2.30', port: 1 });
    t.equal((await h.lookup('10.3.0.1')), undefined, 'by source address');
    t.ok((await h.lookup('10.9.9.9')), 'static entries stay');
  });

  t.test(`${kind}: retransmissions are answered from cache and change nothing again`, opts, async (t) => {
    const { h, send, metrics } = await setup(t, 1000);
    const first = await send(start('10.1.0.1', 'S1'));
    await send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1' });
    t.equal((await h.lookup('10.1.0.1')), undefined);
    const dup = (await h.handle(first.pkt, GGSN));
    t.equal(dup.outcome, 'duplicate');
    t.same(dup.reply, first.reply, 'same reply bytes');
    t.equal(dup.forward, undefined, 'not forwarded twice');
    t.equal((await h.lookup('10.1.0.1')), undefined, 'the old Start retransmitted does not rebind');
    const fromOtherPort = (await h.handle(first.pkt, { address: GGSN.address, port: GGSN.port + 1 }));
    t.equal(fromOtherPort.outcome, 'stale', 'another source port is a new request, but of a session already stopped');
    t.ok(fromOtherPort.reply, 'still answered');
    t.equal((await h.lookup('10.1.0.1')), undefined, 'and still not rebound');
    const got = await metrics.radiusPackets.get();
    t.equal(got.values.find((v) => v.labels.outcome === 'duplicate')?.value, 1);
  });

  t.test(`${kind}: late records: a Start or Interim of a stopped session, or older than the binding it would replace, is stale`, opts, async (t) => {
    const { send, h, tick, metrics } = await setup(t, 1000);
    const A = { msisdn: '15550001', imsi: '001010000000001' };
    const B = { msisdn: '15550002', imsi: '001010000000002' };

    // A's session ends; A's Interim, delayed in the network, arrives after the Stop
    await send(start('10.1.0.1', 'A1', A));
    await send({ status: 'Stop', sessionId: 'A1', framedIp: '10.1.0.1' });
    const lateInterim = await send({ status: 'Interim-Update', sessionId: 'A1', framedIp: '10.1.0.1', ...A });
    t.equal(lateInterim.outcome, 'stale');
    t.ok(lateInterim.reply, 'answered, so the NAS stops retrying');
    t.ok(lateInterim.forward, 'still copied downstream');
    t.equal((await h.lookup('10.1.0.1')), undefined, 'a stopped session does not come back');

    // the address goes to B; A's Start is retransmitted (new Identifier, Acct-Delay-Time 10 s)
    await send(start('10.1.0.1', 'B1', B));
    tick(1000);
    const lateStart = await send(start('10.1.0.1', 'A0', { ...A, attrs: [['Acct-Delay-Time', 10]] }));
    t.equal(lateStart.outcome, 'stale', 'happened 10 s ago, before B was bound');
    t.equal((await h.lookup('10.1.0.1'))?.msisdn, B.msisdn, 'B keeps the address');

    // Event-Timestamp (the NAS clock), when there is no Acct-Delay-Time; now is 1 001 000 ms
    const old = await send(start('10.1.0.1', 'A2', { ...A, attrs: [['Event-Timestamp', new Date(990_000)]] }));
    t.equal(old.outcome, 'stale', 'Event-Timestamp 11 s before B');
    t.equal((await h.lookup('10.1.0.1'))?.msisdn, B.msisdn);
    const close = await send(start('10.1.0.1', 'A3', { ...A, attrs: [['Event-Timestamp', new Date(999_000)]] }));
    t.equal(close.outcome, 'ok', 'within the tolerance of one-second timestamps: the newer arrival wins');
    t.equal((await h.lookup('10.1.0.1'))?.msisdn, A.msisdn);

    // a record with no timing attributes happened now: it replaces, as a Start always did
    await send(start('10.1.0.1', 'B2', B));
    t.equal((await h.lookup('10.1.0.1'))?.msisdn, B.msisdn);

    // the binding begins when its record happened, not when it arrived
    await send(start('10.1.0.7', 'C1', { attrs: [['Acct-Delay-Time', 3]] }));
    t.equal((await h.lookup('10.1.0.7'))?.since, 1_001_000 - 3000);
    const future = await send(start('10.1.0.8', 'C2', { attrs: [['Event-Timestamp', new Date(5_000_000)]] }));
    t.equal(future.outcome, 'ok');
    t.equal((await h.lookup('10.1.0.8'))?.since, 1_001_000, 'a NAS clock ahead of ours is clamped to now');

    const got = await metrics.radiusPackets.get();
    t.equal(got.values.filter((v) => v.labels.outcome === 'stale').reduce((n, v) => n + v.value, 0), 3, 'counted as stale');
  });

  t.test(`${kind}: ended sessions: forgotten on Accounting-On (a rebooted NAS reuses ids), per NAS, and bounded`, opts, async (t) => {
    const { send, h } = await setup(t, 10);
    await send(start('10.1.0.1', 'S1'));
    await send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1' });
    t.ok((await h.hasEnded('192.0.2.10', '10.1.0.1', 'S1')));
    t.notOk((await h.hasEnded('192.0.2.11', '10.1.0.1', 'S1')), 'session ids are per NAS');
    const other = await send(start('10.1.0.1', 'S1', { nasIp: '192.0.2.11' }), { address: '192.0.2.11', port: 1 });
    t.equal(other.outcome, 'ok', 'the same id from another NAS is another session');
    await send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1', nasIp: '192.0.2.11' }, { address: '192.0.2.11', port: 1 });

    await send({ status: 'Accounting-On' });
    t.notOk((await h.hasEnded('192.0.2.10', '10.1.0.1', 'S1')), 'flushed with the NAS');
    t.ok((await h.hasEnded('192.0.2.11', '10.1.0.1', 'S1')), 'another NAS keeps its records');
    const reused = await send(start('10.1.0.1', 'S1'));
    t.equal(reused.outcome, 'ok');
    t.ok((await h.lookup('10.1.0.1')), 'after the reboot, S1 is a new session');

    // a Stop with the indicator ends every context of the binding
    await send(start('10.1.0.2', 'p'));
    await send(start('10.1.0.2', 's'));
    await send({ status: 'Stop', sessionId: 's', framedIp: '10.1.0.2', stopIndicator: true });
    t.equal((await send({ status: 'Interim-Update', sessionId: 'p', framedIp: '10.1.0.2' })).outcome, 'stale', 'the other context ended with it');

    // bounded: the oldest ended sessions are forgotten first (endedSessionsMax(10) = 1024)
    for (let i = 0; i < 1100; i++) await send({ status: 'Stop', sessionId: `x${i}`, framedIp: '10.9.0.1' });
    t.ok(await h.hasEnded('192.0.2.10', '10.9.0.1', 'x1099'), 'the newest kept');
    t.notOk(await h.hasEnded('192.0.2.10', '10.9.0.1', 'x0'), 'the oldest forgotten');
  });

  t.test(`${kind}: IPv6: Framed-IPv6-Prefix binds its /64; IPv4v6 binds both`, opts, async (t) => {
    const { send, h } = await setup(t, 1000);
    await send(start('10.1.0.1', 'S1', { framedIpv6Prefix: '2001:db8:aa:bb::/64' }));
    t.equal((await h.lookup('2001:db8:aa:bb:1:2:3:4'))?.msisdn, '15550001', 'any address in the /64');
    t.equal((await h.lookup('10.1.0.1'))?.msisdn, '15550001');
    await send({ status: 'Start', sessionId: 'S2', framedIpv6Prefix: '2001:db8:cc:dd::/64', msisdn: '15550002' });
    t.equal((await h.lookup('2001:db8:cc:dd::99'))?.msisdn, '15550002', 'IPv6-only PDN');
    await send({ status: 'Stop', sessionId: 'S1', framedIp: '10.1.0.1', framedIpv6Prefix: '2001:db8:aa:bb::/64' });
    t.equal((await h.lookup('2001:db8:aa:bb::1')), undefined);
    t.equal((await h.lookup('10.1.0.1')), undefined);
  });

  t.test(`${kind}: IPv6: the phone's own address from Framed-Interface-Id or Framed-IPv6-Address, on its /64 binding only`, opts, async (t) => {
    const { send, h } = await setup(t, 1000);
    const v6 = (text: string) => {
      const b = Buffer.alloc(16);
      const [head = '', tail = ''] = text.split('::');
      const hw = head ? head.split(':') : [];
      const tw = tail ? tail.split(':') : [];
      hw.forEach((w, i) => b.writeUInt16BE(parseInt(w, 16), i * 2));
      tw.forEach((w, i) => b.writeUInt16BE(parseInt(w, 16), 16 - (tw.length - i) * 2));
      return b;
    };
    // RFC 3162 §2.1: the interface id completes the /64
    await send(start('10.1.0.1', 'S1', { framedIpv6Prefix: '2001:db8:aa:bb::/64', attrs: [['Framed-Interface-Id', Buffer.from('0011223344556677', 'hex')]] }));
    t.equal((await h.lookup('2001:db8:aa:bb::1'))?.ipv6Address, '2001:db8:aa:bb:11:2233:4455:6677');
    t.equal((await h.lookup('10.1.0.1'))?.ipv6Address, undefined, 'not on the IPv4 binding');
    // an Interim without it keeps what the Start said
    await send({ ...start('10.1.0.1', 'S1', { framedIpv6Prefix: '2001:db8:aa:bb::/64' }), status: 'Interim-Update' });
    t.equal((await h.lookup('2001:db8:aa:bb::1'))?.ipv6Address, '2001:db8:aa:bb:11:2233:4455:6677', 'kept by an Interim');
    // RFC 6911 §3.1: the address itself; alone, its /64 is bound
    await send({ status: 'Start', sessionId: 'S2', msisdn: '15550002', attrs: [['Framed-IPv6-Address', v6('2001:db8:cc:dd::42')]] });
    t.match(await h.lookup('2001:db8:cc:dd::7'), { msisdn: '15550002', ipv6Address: '2001:db8:cc:dd::42' });
    // outside the prefix the NAS gave: ignored, the prefix still bound
    await send({ status: 'Start', sessionId: 'S3', msisdn: '15550003', framedIpv6Prefix: '2001:db8:ee:ff::/64', attrs: [['Framed-IPv6-Address', v6('2001:db8:99:99::1')]] });
    const b3 = await h.lookup('2001:db8:ee:ff::1');
    t.equal(b3?.msisdn, '15550003');
    t.equal(b3?.ipv6Address, undefined, 'an address outside the prefix is not taken');
  });

  t.test(`${kind}: odd attributes: unusable values are ignored, the packet is still acknowledged`, opts, async (t) => {
    const { send, h } = await setup(t, 1000);
    const r = await send({ status: 'Start', sessionId: 'S1', framedIp: '255.255.255.254', msisdn: '15550001' });
    t.ok(r.reply, 'acknowledged');
    t.equal((await h.size()), 0, 'no subscriber address, nothing bound');
    await send({ status: 'Start', sessionId: 'S2', framedIp: '10.1.0.2', msisdn: 'not-a-number', imsi: '001010000000002' });
    t.equal((await h.lookup('10.1.0.2'))?.msisdn, undefined, 'bad MSISDN dropped');
    t.equal((await h.lookup('10.1.0.2'))?.imsi, '001010000000002', 'IMSI-only binding kept');
    const failed = await send({ status: 'Failed', sessionId: 'S3', framedIp: '10.1.0.3' });
    t.equal(failed.type, 'other');
    t.ok(failed.reply);
    t.equal((await h.lookup('10.1.0.3')), undefined, 'other status types change nothing');
  });
}
