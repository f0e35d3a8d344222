/**
 * An HA pair on one machine (README "High availability"): gateways A and B, separate ports,
 * sharing one redis-server this test starts. RADIUS to either instance binds for both; a Stop on
 * one is obeyed by the other at once; one dies, the other serves; the store goes away and comes
 * back, both refuse meanwhile and recover by themselves.
 */
import t from 'tap';
import { adminGet, startGateway, tempDir, type GatewayProcess } from '../helpers/gateway-process';
import { startOrigin } from '../helpers/origin';
import { redisTestOptions, startRedis } from '../helpers/redis';
import { proxyGet, radiusSend, sharedStoreConfig } from '../helpers/shared-store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => Promise<boolean>, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

t.test('HA pair: RADIUS on A serves B, Stop on B refuses A, A dies B serves, the store restarts and both recover', redisTestOptions(), async (t) => {
  const redis = await startRedis(t);
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  const url = `${origin.origin}/mms`;
  const files = [tempDir(), tempDir()].map((d) => sharedStoreConfig(d, redis.url, url));
  const launch = async (file: string): Promise<GatewayProcess> => {
    const gw = startGateway(['-c', file]);
    t.teardown(() => gw.kill());
    await gw.waitFor((l) => l.msg === 'started', 20000);
    return gw;
  };
  let a = await launch(files[0] as string);
  const b = await launch(files[1] as string);
  const ports = (gw: GatewayProcess) => ({ proxy: gw.port('proxy', 'tcp') as number, radius: gw.port('radius', 'udp') as number });
  let A = ports(a);
  const B = ports(b);
  t.not(A.proxy, B.proxy, 'separate ports');

  t.equal(await proxyGet(B.proxy, url), 403, 'nobody bound yet');
  t.ok(await radiusSend(A.radius, { status: 'Start', sessionId: 'HA1', framedIp: '127.0.0.1', msisdn: '15550000100', imsi: '001010000000100' }), 'Start answered by A');
  t.equal(await proxyGet(B.proxy, url), 200, 'B serves the phone A learned about');
  t.equal(origin.requests.at(-1)?.headers['x-msisdn'], '15550000100', 'with the MSISDN from RADIUS');
  t.equal(origin.requests.at(-1)?.headers['x-imsi'], '001010000000100');
  t.equal(await proxyGet(A.proxy, url), 200, 'A too (now cached on A)');
  t.equal(await proxyGet(A.proxy, url), 200);

  t.ok(await radiusSend(B.radius, { status: 'Stop', sessionId: 'HA1', framedIp: '127.0.0.1' }), 'Stop answered by B');
  t.equal(await proxyGet(A.proxy, url), 403, 'A refuses the next request (its cache was invalidated)');
  t.equal(await proxyGet(B.proxy, url), 403);

  // A dies; B keeps serving
  t.ok(await radiusSend(B.radius, { status: 'Start', sessionId: 'HA2', framedIp: '127.0.0.1', msisdn: '15550000200' }));
  a.child.kill('SIGKILL');
  await a.exited();
  t.equal(await proxyGet(B.proxy, url), 200, 'B serves with A gone');
  t.equal(origin.requests.at(-1)?.headers['x-msisdn'], '15550000200');
  a = await launch(files[0] as string);
  A = ports(a);
  t.equal(await proxyGet(A.proxy, url), 200, 'a restarted A knows the binding at once (shared store)');

  // the store goes away: both refuse (nobody gets in unchecked), RADIUS is not answered, /healthz says so
  await redis.stop(true);
  await until('A and B unhealthy', async () => (await adminGet(a, '/healthz')).status === 503 && (await adminGet(b, '/healthz')).status === 503);
  t.match((await adminGet(b, '/healthz')).body, /unavailable: subscriber-store/);
  t.equal(await proxyGet(A.proxy, url), 503, 'A: store unavailable');
  t.equal(await proxyGet(B.proxy, url), 503, 'B: store unavailable');
  t.notOk(await radiusSend(B.radius, { status: 'Start', sessionId: 'HA3', framedIp: '127.0.0.1', msisdn: '15550000300' }, 800), 'RADIUS not answered: the NAS retransmits');
  const metrics = (await adminGet(b, '/metrics')).body;
  t.match(metrics, /wapgw_subscriber_store_unavailable_total\{op="lookup"\} [1-9]/, 'refusals counted');
  t.match(metrics, /wapgw_subscriber_store_up 0/);
  t.match(metrics, /wapgw_radius_packets_total\{type="start",outcome="store-unavailable"\} 1/);

  // it comes back (empty: this test runs it without persistence); both recover by themselves
  await redis.restart();
  await until('A and B healthy again', async () => (await adminGet(a, '/healthz')).status === 200 && (await adminGet(b, '/healthz')).status === 200);
  t.ok(await radiusSend(B.radius, { status: 'Start', sessionId: 'HA3', framedIp: '127.0.0.1', msisdn: '15550000300' }), 'the NAS retransmission is answered');
  t.equal(await proxyGet(A.proxy, url), 200, 'A serves again');
  t.equal(origin.requests.at(-1)?.headers['x-msisdn'], '15550000300');
  t.equal(await proxyGet(B.proxy, url), 200, 'B serves again');

  for (const gw of [a, b]) gw.child.kill('SIGTERM');
  t.same(await a.exited(), { code: 0, signal: null });
  t.same(await b.exited(), { code: 0, signal: null });
});
