/**
 * Issue 15 end to end over real sockets: the WSP gateway in process (UDP on 127.0.0.1), a test
 * MMSC that counts bodies, and Method-MOR-1 handsets of our own (test/helpers/mor1-client.ts
 * over udp-handset.ts) behind a lossy relay (test/helpers/lossy-relay.ts). The simulated-time
 * version with more seeds and the targeted cases is test/wsp/lossy.test.ts.
 */
import t from 'tap';
import type { Tap } from '../helpers/tap';
import { decodeWtp } from '../../src/codec/wtp';
import { configSchema } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { WspGateway } from '../../src/edge/wsp-gateway';
import { WSP_ABORT } from '../../src/wsp/session-machine';
import { MemorySubscribers } from '../helpers/memory-subscribers';
import { Mor1Client } from '../helpers/mor1-client';
import { startLossyRelay, type LossyRelayOptions } from '../helpers/lossy-relay';
import { startOrigin } from '../helpers/origin';
import { UdpHandsetHost } from '../helpers/udp-handset';

async function setup(t: Tap, relay: Omit<LossyRelayOptions, 'targetPort'>) {
  const origin = await startOrigin((_r, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message', 'content-length': 4 });
    res.end('done');
  });
  t.teardown(() => origin.close());
  const config = configSchema.parse({
    mmsc: { url: `${origin.origin}/mms`, timeoutMs: 5000 },
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0 },
    proxy: { allowedNetworks: ['127.0.0.0/8'], requireSubscriber: false },
    wtp: { ackIntervalMs: 200, retryIntervalMs: 300 },
  });
  const metrics = new Metrics();
  const gw = new WspGateway({ config, logger: silentLogger(), metrics, subscribers: new MemorySubscribers() });
  await gw.start();
  t.teardown(() => gw.close(Date.now() + 300));
  const r = await startLossyRelay({ targetPort: gw.ports.connectionOriented, ...relay });
  t.teardown(() => r.close());
  const handset = async () => {
    const h = await UdpHandsetHost.open(r.port, { retryMs: 300, maxRetries: 30 });
    t.teardown(() => h.close());
    return h;
  };
  return { origin, metrics, relay: r, handset, url: `${origin.origin}/mms` };
}

const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

t.test('5 MOR-1 handsets x 8 POSTs through 20 % loss and 10 % duplication: 40/40, each once', async (t) => {
  const { origin, relay, handset, url } = await setup(t, { loss: 0.2, duplicate: 0.1, seed: 7 });
  const clients: Mor1Client[] = [];
  for (let i = 0; i < 5; i++) clients.push(new Mor1Client((await handset()).handset, url, 8, { tag: `h${i}` }));
  for (const c of clients) c.start();
  t.ok(await until(() => clients.every((c) => c.finished), 60_000), 'every handset finished');
  const posts = clients.flatMap((c) => c.posts);
  t.equal(posts.filter((o) => o.abortReason === WSP_ABORT.MOREXCEEDED).length, 0, 'no MOREXCEEDED');
  t.equal(
    clients.reduce((n, c) => n + c.answered, 0),
    40,
    '40/40 POSTs answered 200',
  );
  const seen = new Map<string, number>();
  for (const r of origin.requests) seen.set(r.sha256, (seen.get(r.sha256) ?? 0) + 1);
  t.equal([...seen.values()].filter((n) => n > 1).length, 0, 'no POST at the MMSC twice');
  t.equal(origin.requests.length, 40, 'each POST reached the MMSC once');
  t.ok(relay.stats.lost > 0 && relay.stats.duplicated > 0, `the relay lost ${relay.stats.lost} and duplicated ${relay.stats.duplicated} datagrams`);
});

t.test('the race over UDP: the Ack of a Result dropped, the next POST at once', async (t) => {
  let dropped = 0;
  const { origin, handset, url } = await setup(t, {
    drop: (dir, d) => {
      if (dir !== 'up' || dropped > 0) return false;
      const p = decodeWtp(d);
      // the first Ack (not TIDok) of the first POST (TID 2)
      return p.type === 'Ack' && !p.tveTok && p.tid === 2 && ++dropped === 1;
    },
  });
  const c = new Mor1Client((await handset()).handset, url, 2);
  c.start();
  t.ok(await until(() => c.finished, 20_000));
  t.equal(dropped, 1, 'the Ack was dropped');
  t.same(
    c.posts.map((o) => o.status),
    [200, 200],
    'both POSTs answered',
  );
  t.equal(origin.requests.length, 2, 'each once');
});
