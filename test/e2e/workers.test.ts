/**
 * `wapgw start --workers 2` (src/cluster.ts), the real process with a real redis-server: the
 * proxy in two workers, RADIUS in the primary, bindings through the shared store, /metrics
 * aggregated, SIGHUP to every worker, a killed worker restarted and counted, SIGTERM ends all.
 */
import t from 'tap';
import { adminGet, startGateway, tempDir, writeTestConfig } from '../helpers/gateway-process';
import { startOrigin } from '../helpers/origin';
import { redisTestOptions, startRedis } from '../helpers/redis';
import { proxyGet, radiusSend, sharedStoreConfig } from '../helpers/shared-store';

const metricValue = (text: string, name: string): number =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('--workers 2: proxy in two processes, one shared table, aggregated metrics, restarts, signals', redisTestOptions(), async (t) => {
  const redis = await startRedis(t);
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  const dir = tempDir();
  const file = sharedStoreConfig(dir, redis.url, `${origin.origin}/mms`);
  const gw = startGateway(['-c', file, '--workers', '2']);
  t.teardown(() => gw.kill());
  await gw.waitFor((l) => l.msg === 'started' && l.worker === undefined, 20000);
  const proxyPort = gw.port('workers', 'tcp');
  const radiusPort = gw.port('radius', 'udp');
  t.type(proxyPort, 'number', 'the primary logs the workers\' proxy listener');
  t.type(radiusPort, 'number');
  t.equal(gw.lines.filter((l) => l.msg === 'listening' && l.component === 'proxy').length, 2, 'each worker listens');
  t.notOk(gw.lines.some((l) => l.msg === 'listening' && l.component === 'wsp' && typeof l.worker === 'number'), 'WSP stays in the primary');

  const url = `${origin.origin}/mms`;
  t.equal(await proxyGet(proxyPort as number, url), 403, 'unbound: refused');
  t.ok(await radiusSend(radiusPort as number, { status: 'Start', sessionId: 'W1', framedIp: '127.0.0.1', msisdn: '15550000042' }), 'Start answered by the primary');
  for (let i = 0; i < 12; i++) t.equal(await proxyGet(proxyPort as number, url), 200, `request ${i} bound`);
  t.ok(origin.headerValues('X-MSISDN').every((v) => v === '15550000042'), 'the MSISDN from RADIUS, not the client\'s');
  const served = new Set(gw.lines.filter((l) => l.msg === 'proxy request' && l.status === 200).map((l) => l.worker));
  t.equal(served.size, 2, `both workers served requests (${[...served].join(', ')})`);

  const m = await adminGet(gw, '/metrics');
  t.equal(m.status, 200);
  t.equal(metricValue(m.body, 'wapgw_proxy_requests_total'), 13, '/metrics sums the workers');
  t.equal(metricValue(m.body, 'wapgw_workers'), 2);
  t.equal(m.body.split('\n').filter((l) => l.startsWith('# TYPE wapgw_proxy_requests_total ')).length, 1, 'one family, not one per worker');

  const status = JSON.parse((await adminGet(gw, '/status')).body) as { components?: Record<string, { pids?: number[] }> } & Record<string, unknown>;
  const text = JSON.stringify(status);
  const pids = (/"pids":\[(\d+),(\d+)\]/.exec(text) ?? []).slice(1).map(Number);
  t.equal(pids.length, 2, '/status lists the worker pids');

  // SIGHUP reaches the primary and both workers
  const mark = gw.lines.length;
  gw.child.kill('SIGHUP');
  await gw.waitFor((l) => l.msg === 'reloaded' && l.worker === 0, 10000, mark);
  await gw.waitFor((l) => l.msg === 'reloaded' && l.worker === 1, 10000, mark);
  await gw.waitFor((l) => l.msg === 'reloaded' && l.worker === undefined, 10000, mark);

  // a worker that dies is replaced and counted
  process.kill(pids[0] as number, 'SIGKILL');
  await gw.waitFor((l) => l.msg === 'proxy worker died: starting another', 10000, mark);
  let after = '';
  for (let i = 0; i < 100; i++) {
    after = (await adminGet(gw, '/metrics')).body;
    if (metricValue(after, 'wapgw_workers') === 2) break;
    await sleep(100);
  }
  t.equal(metricValue(after, 'wapgw_workers'), 2, 'back to two workers');
  t.equal(metricValue(after, 'wapgw_worker_restarts_total'), 1, 'restart counted');
  t.equal(await proxyGet(proxyPort as number, url), 200, 'still serving');

  gw.child.kill('SIGTERM');
  t.same(await gw.exited(), { code: 0, signal: null }, 'SIGTERM: clean exit');
  await sleep(200);
  for (const pid of pids.slice(1)) t.throws(() => process.kill(pid, 0), 'worker gone');
});

t.test('--workers 2 with the memory store: a clear start error', async (t) => {
  const dir = tempDir();
  const file = writeTestConfig(dir, {});
  const gw = startGateway(['-c', file, '--workers', '2']);
  t.teardown(() => gw.kill());
  const r = await gw.exited();
  t.equal(r.code, 1);
  t.match(gw.stderr(), /process\.workers: 2 proxy workers need subscribers\.store: redis/);
  const bad = startGateway(['-c', file, '--workers', 'lots']);
  t.teardown(() => bad.kill());
  t.equal((await bad.exited()).code, 1);
  t.match(bad.stderr(), /process\.workers: "lots" is not auto or a number/);
});
