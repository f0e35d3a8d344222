// Start, status and SIGHUP reload of a spawned gateway (node dist/cli.js start, every port 0).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminGet, STATIC_ONE, startedGateway as started, tempDir, writeTestConfig, type LogLine } from './helpers/gateway-process';

const STATIC_TWO = `${STATIC_ONE}- ip: 127.0.0.2\n  msisdn: "+15550000002"\n  imsi: "001010000000002"\n`;

t.test('start: listening lines carry real ports; admin answers', async (t) => {
  const dir = tempDir();
  const gw = await started(t, writeTestConfig(dir));
  const listening = gw.lines.filter((l) => l.msg === 'listening');
  t.ok(listening.length >= 2, 'admin and demo MMSC at least');
  for (const l of listening) {
    t.type(l.port, 'number');
    t.not(l.port, 0, `${String(l.component)} ${String(l.protocol)} has its real port`);
  }
  const h = await adminGet(gw, '/healthz');
  t.equal(h.status, 200);
  t.equal(h.body.trim(), 'ok');
  const s = JSON.parse((await adminGet(gw, '/status')).body) as Record<string, unknown>;
  t.equal(s.state, 'running');
  t.match(s.version, /^\d+\.\d+\.\d+/);
  t.equal((s.listeners as unknown[]).length, listening.length, 'every listener in /status');
  t.match(s.components, { 'demo-mmsc': { received: 0 } });
  t.type(s.wspSessions, 'number');
  t.type(s.wtpTransactions, 'number');
  t.type(s.subscribers, 'number');
  t.type(s.uptimeSeconds, 'number');
  const m = await adminGet(gw, '/metrics');
  t.match(m.body, /^# TYPE wapgw_wtp_transactions_total counter$/m);
  // `wapgw status` reads admin.bind/port from the config it is given.
  const statusConf = writeTestConfig(tempDir(), { admin: { bind: '127.0.0.1', port: gw.port('admin') } });
  const st = spawnSync(process.execPath, ['dist/cli.js', 'status', '-c', statusConf], { encoding: 'utf8' });
  t.equal(st.status, 0, st.stderr);
  t.match(st.stdout, /^wapgw \d+\.\d+\.\d+ {2}running {2}healthy/);
  t.match(st.stdout, new RegExp(`admin +tcp +127\\.0\\.0\\.1:${String(gw.port('admin'))}`));
  gw.child.kill('SIGTERM');
  t.same(await gw.exited(), { code: 0, signal: null });
  const down = spawnSync(process.execPath, ['dist/cli.js', 'status', '-c', statusConf], { encoding: 'utf8' });
  t.equal(down.status, 1, 'wapgw status with nothing running exits 1');
  t.match(down.stderr, /^cannot reach http:\/\/127\.0\.0\.1:\d+\/status/);
});

t.test('SIGHUP: a broken config keeps the running one and logs one line per problem', async (t) => {
  const dir = tempDir();
  const file = writeTestConfig(dir);
  const gw = await started(t, file);
  writeFileSync(file, 'mmsc:\n  url: nope\n  bogus: 1\nwsp:\n  connectionlessPort: -1\n');
  const mark = gw.lines.length;
  gw.child.kill('SIGHUP');
  await gw.waitFor((l) => l.msg === 'reload refused; keeping the running configuration', 5000, mark);
  const problems = gw.lines.slice(mark).filter((l) => l.msg === 'reload refused').map((l) => String(l.problem));
  t.equal(problems.length, 3, 'one line per problem');
  t.ok(problems.some((p) => p.startsWith('mmsc.url: ')));
  t.ok(problems.some((p) => /^mmsc\.bogus: unknown key \(.*wapgw\.yaml line \d+\)$/.test(p)), 'names the file and line');
  t.ok(problems.some((p) => p.startsWith('wsp.connectionlessPort: ')));
  t.equal((await adminGet(gw, '/healthz')).status, 200, 'still running');
  t.equal(gw.child.exitCode, null);

  // A valid file again: a live key is applied, a restart key is reported.
  writeTestConfig(dir, { log: { level: 'debug' }, wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, maxSessions: 5 } });
  const mark2 = gw.lines.length;
  gw.child.kill('SIGHUP');
  const done = await gw.waitFor((l) => l.msg === 'reloaded', 5000, mark2);
  t.same(done.applied, ['log.level']);
  t.same(done.needsRestart, ['wsp.maxSessions']);
  t.ok(gw.lines.slice(mark2).some((l) => l.msg === 'config key changed; it takes effect after a restart' && l.key === 'wsp.maxSessions'));
  gw.child.kill('SIGTERM');
  t.equal((await gw.exited()).code, 0);
});

t.test('SIGHUP picks up a new static subscriber; a broken subscriber file keeps the old bindings', async (t) => {
  const dir = tempDir();
  const subs = join(dir, 'subscribers.yaml');
  writeFileSync(subs, STATIC_ONE);
  const gw = await started(t, writeTestConfig(dir, { subscribers: { staticFile: subs } }));
  const status = JSON.parse((await adminGet(gw, '/status')).body) as { components: Record<string, unknown> };
  t.ok('static-subscribers' in status.components, 'the static subscriber file is one of the components');
  t.equal((await adminGet(gw, '/subscribers/127.0.0.1')).status, 200);
  t.equal((await adminGet(gw, '/subscribers/127.0.0.2')).status, 404, 'not bound yet');

  writeFileSync(subs, STATIC_TWO);
  let mark = gw.lines.length;
  gw.child.kill('SIGHUP');
  await gw.waitFor((l) => l.msg === 'reloaded', 5000, mark);
  const two = await adminGet(gw, '/subscribers/127.0.0.2');
  t.equal(two.status, 200, 'bound after SIGHUP');
  t.match(JSON.parse(two.body), { msisdn: '+15550000002', imsi: '001010000000002', source: 'static' });

  writeFileSync(subs, `${STATIC_ONE}- ip: 127.0.0.3\n  msisdn: "not a number"\n`);
  mark = gw.lines.length;
  gw.child.kill('SIGHUP');
  const refused = await gw.waitFor((l: LogLine) => l.msg === 'reload refused', 5000, mark);
  t.match(String(refused.problem), /msisdn/);
  t.equal((await adminGet(gw, '/subscribers/127.0.0.2')).status, 200, 'old bindings kept');
  t.equal((await adminGet(gw, '/subscribers/127.0.0.3')).status, 404);
  t.equal((await adminGet(gw, '/healthz')).status, 200);
  gw.child.kill('SIGTERM');
  t.equal((await gw.exited()).code, 0);
});

t.test('SIGHUP applies proxy.allowedNetworks and identity headers live', async (t) => {
  const { createServer, request } = await import('node:http');
  let lastHeaders: Record<string, unknown> = {};
  const mmsc = createServer((req, res) => {
    lastHeaders = req.headers;
    res.end('ok');
  });
  await new Promise<void>((r) => mmsc.listen(0, '127.0.0.1', r));
  t.teardown(() => mmsc.close());
  const origin = `http://127.0.0.1:${(mmsc.address() as { port: number }).port}`;
  const dir = tempDir();
  const subs = join(dir, 'subscribers.yaml');
  writeFileSync(subs, STATIC_ONE);
  const conf = (nets: string[], msisdnHeaders: string[]) =>
    writeTestConfig(dir, {
      mmsc: { url: `${origin}/mms` },
      proxy: { bind: '127.0.0.1', port: 0, allowedNetworks: nets },
      identity: { msisdnHeaders },
      subscribers: { staticFile: subs },
      demoMmsc: { enabled: false },
    });
  const gw = await started(t, conf(['10.0.0.0/8'], ['X-MSISDN']));
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gw.port('proxy'), path: `${origin}/mms/x` }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  t.equal(await get(), 403, 'loopback is outside the allowed networks');
  conf(['10.0.0.0/8', '127.0.0.0/8'], ['X-Operator-MSISDN']);
  const mark = gw.lines.length;
  gw.child.kill('SIGHUP');
  const done = await gw.waitFor((l) => l.msg === 'reloaded', 5000, mark);
  t.same([...(done.applied as string[])].sort(), ['identity.msisdnHeaders', 'proxy.allowedNetworks']);
  t.equal(await get(), 200, 'allowed after SIGHUP');
  t.equal(lastHeaders['x-operator-msisdn'], '+15550000001', 'the new MSISDN header name is used');
  t.equal(lastHeaders['x-msisdn'], undefined, 'the old one is not');
  gw.child.kill('SIGTERM');
  t.equal((await gw.exited()).code, 0);
});
