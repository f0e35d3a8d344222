/**
 * "Nothing lost" with the real program: `wapgw start` runs with the SMSC down, `wapgw push`
 * pushes an MMS notification (answered 1001 after the journal's fdatasync), the gateway is
 * SIGKILLed, started again with the SMSC up, and the push reaches the SMSC. Also: admin
 * /pushes/PUSH-ID and /status show the push, `wapgw push` exits 1 with the code and reason
 * for a refused push.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DemoSmsc } from '../../src/demo/smsc';
import { adminGet, startedGateway, tempDir, writeTestConfig, type GatewayProcess } from '../helpers/gateway-process';
import type { Tap } from '../helpers/tap';
import { freePorts } from '../helpers/free-port';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['dist/cli.js', ...args], { timeout: 20000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0, stdout, stderr }),
    ),
  );
}

/** A config with the PPG on free ports, its SMSC (not started here) at `smscPort`, fast retries. */
async function ppgConfig(dir: string, ppg: Record<string, unknown> = {}): Promise<{ file: string; smscPort: number }> {
  const [ppgPort, smscPort] = (await freePorts(2)) as [number, number];
  const file = writeTestConfig(dir, {
    demoMmsc: { enabled: false },
    ppg: {
      enabled: true,
      bind: '127.0.0.1',
      port: ppgPort,
      stateDir: join(dir, 'ppg'),
      allowedNetworks: ['127.0.0.0/8'],
      smsc: [{ host: '127.0.0.1', port: smscPort, reconnectMinMs: 100, reconnectMaxMs: 300 }],
      retry: { initialDelayMs: 200, maxDelayMs: 500 },
      ...ppg,
    },
  });
  return { file, smscPort };
}

/**
 * SIGKILLs `first`, starts the SMSC (down until now, so nothing was delivered before the kill),
 * restarts the gateway on the same config and waits until it has loaded `active` pushes from
 * its journal; then waits (up to 15 s) until `delivered` says the SMSC has what it should.
 */
async function killAndRestart(t: Tap, first: GatewayProcess, file: string, smscPort: number, active: number, delivered: (smsc: DemoSmsc) => boolean): Promise<{ smsc: DemoSmsc; second: GatewayProcess }> {
  first.kill();
  await first.exited();
  const smsc = new DemoSmsc({ port: smscPort });
  await smsc.start();
  t.teardown(() => smsc.close());
  const second = await startedGateway(t, file);
  await second.waitFor((l) => l.msg === 'push queue loaded' && l.active === active);
  const end = Date.now() + 15000;
  while (!delivered(smsc) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return { smsc, second };
}

t.test('a push answered 1001 survives SIGKILL and is delivered after the restart', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { file, smscPort } = await ppgConfig(dir);
  const first = await startedGateway(t, file);
  const pushed = await cli(['push', '-c', file, '--to', '+4917012345', '--mms-notification', 'http://127.0.0.1:8942/mms/abc', '--size', '1000', '--push-id', 'kill-1@test']);
  t.equal(pushed.code, 0, `wapgw push exit 0 (${pushed.stderr})`);
  t.match(pushed.stdout, /<push-response push-id="kill-1@test"/);
  t.match(pushed.stdout, /code="1001"/);
  const st = await adminGet(first, '/pushes/kill-1@test');
  t.equal(st.status, 200);
  const state = JSON.parse(st.body) as { pushes: Array<{ addresses: Array<{ state: string; address: string }> }> };
  t.equal(state.pushes[0]?.addresses[0]?.address, 'WAPPUSH=+4917012345/TYPE=PLMN');
  t.match(state.pushes[0]?.addresses[0]?.state, /^(pending|delivering)$/, 'no SMSC: still pending');
  t.equal((await adminGet(first, '/pushes/unknown')).status, 404);
  const status = JSON.parse((await adminGet(first, '/status')).body) as { components: { ppg: { active: number; journal: { fsync: boolean } } } };
  t.equal(status.components.ppg.active, 1);
  t.equal(status.components.ppg.journal.fsync, true);
  t.match((await adminGet(first, '/metrics')).body, /wapgw_ppg_queue_addresses\{state="pending"\} 1/);
  // a refused push: exit 1, code and reason on stderr
  const refused = await cli(['push', '-c', file, '--to', '+4917012345', '--mms-notification', 'http://127.0.0.1:8942/mms/abc', '--push-id', 'kill-1@test']);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /^refused: 2007 Duplicate Push ID: push-id "kill-1@test" was already used/);
  const usage = await cli(['push', '-c', file, '--to', 'nobody', '--si', 'http://a/', 'x']);
  t.equal(usage.code, 1);
  t.match(usage.stderr, /--to nobody/);

  const reached = (smsc: DemoSmsc) => smsc.submits.some((s) => s.destination === '4917012345');
  const { smsc, second } = await killAndRestart(t, first, file, smscPort, 1, reached);
  t.ok(reached(smsc), 'the push reached the SMSC after SIGKILL and restart');
  await second.waitFor((l) => l.msg === 'push SMS accepted by the SMSC' && l.pushId === 'kill-1@test');
  await second.waitFor((l) => l.msg === 'SMS submitted');
});

t.test('with ppg.fsync false (the journal written, not fdatasync\'d, before 1001) a push still survives SIGKILL', async (t) => {
  // the durability Kannel's bearerbox store file gives, against which bench/ppg/run.js --fsync=false
  // compares: the process may die at any instant, the machine does not
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { file, smscPort } = await ppgConfig(dir, { fsync: false });
  const first = await startedGateway(t, file);
  const status = JSON.parse((await adminGet(first, '/status')).body) as { components: { ppg: { journal: { fsync: boolean } } } };
  t.equal(status.components.ppg.journal.fsync, false);
  for (let i = 0; i < 5; i++) {
    const pushed = await cli(['push', '-c', file, '--to', `+49170123450${i}`, '--mms-notification', `http://127.0.0.1:8942/mms/n${i}`, '--push-id', `nofsync-${i}@test`]);
    t.match(pushed.stdout, /code="1001"/, `push ${i} answered 1001`);
  }
  // SIGKILL right after the last answer: nothing after the write(2) may be needed
  const got = (smsc: DemoSmsc) => new Set(smsc.submits.map((s) => s.destination).filter((d) => d.startsWith('49170123450')));
  const { smsc } = await killAndRestart(t, first, file, smscPort, 5, (x) => got(x).size >= 5);
  t.equal(got(smsc).size, 5, 'all five pushes reached the SMSC after SIGKILL and restart');
});
