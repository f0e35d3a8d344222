/**
 * The proxy inside the real gateway (`node dist/cli.js start`): static subscriber file, curl as
 * the phone from two loopback source addresses (127.0.0.1 bound, 127.0.0.2 not until SIGHUP).
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startGateway, tempDir, writeTestConfig } from '../helpers/gateway-process';
import { startOrigin } from '../helpers/origin';

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function curl(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-o', '/dev/null', '--max-time', '10', '-w', '%{http_code}', ...args], (_err, stdout) => resolve(Number(stdout)));
  });
}

t.test('gateway: unbound 403, bound 200 with identity, SIGHUP binds a new phone', { skip: hasCurl ? false : 'curl not installed' }, async (t) => {
  const origin = await startOrigin();
  t.teardown(() => origin.close());
  const dir = tempDir();
  const subs = join(dir, 'subscribers.yaml');
  writeFileSync(subs, '- ip: 127.0.0.1\n  msisdn: "15550000001"\n  imsi: "001010000000001"\n');
  const file = writeTestConfig(dir, {
    mmsc: { url: `${origin.origin}/mms` },
    subscribers: { staticFile: subs },
    demoMmsc: { enabled: false },
  });
  const gw = startGateway(['-c', file]);
  t.teardown(() => gw.kill());
  await gw.waitFor((l) => l.msg === 'started');
  const port = gw.port('proxy', 'tcp');
  t.type(port, 'number', 'the proxy logs its listening line');
  const px = ['-x', `http://127.0.0.1:${port}`];

  t.equal(await curl([...px, '--interface', '127.0.0.2', '-H', 'X-MSISDN: 15559999999', `${origin.origin}/mms`]), 403, 'unbound source');
  t.equal(origin.requests.length, 0, 'nothing upstream');

  t.equal(await curl([...px, '-H', 'X-MSISDN: 15559999999', `${origin.origin}/mms`]), 200, 'bound source');
  t.same(origin.headerValues('X-MSISDN'), ['15550000001']);
  t.same(origin.headerValues('X-IMSI'), ['001010000000001']);
  t.same(origin.headerValues('X-WAP-Network-Client-IP'), ['127.0.0.1']);

  t.equal(await curl([...px, '-p', `${origin.origin}/mms`]), 0, 'CONNECT tunnel refused (curl gives up)');
  t.equal(origin.requests.length, 1, 'CONNECT reached nobody');

  writeFileSync(subs, '- ip: 127.0.0.1\n  msisdn: "15550000001"\n- ip: 127.0.0.2\n  msisdn: "15550000002"\n  imsi: "001010000000002"\n');
  const mark = gw.lines.length;
  gw.child.kill('SIGHUP');
  await gw.waitFor((l) => l.msg === 'reloaded', 10000, mark);
  t.equal(await curl([...px, '--interface', '127.0.0.2', `${origin.origin}/mms`]), 200, 'bound after SIGHUP');
  t.equal(origin.requests.at(-1)?.headers['x-msisdn'], '15550000002');
  t.equal(origin.requests.at(-1)?.headers['x-wap-network-client-ip'], '127.0.0.2');

  const access = gw.lines.filter((l) => l.msg === 'proxy request');
  t.ok(access.some((l) => l.status === 403 && l.src === '127.0.0.2' && l.refusal === 'no-subscriber'), 'access line for the refusal');
  t.ok(access.every((l) => l.msisdn === undefined || l.msisdn === '[redacted]'), 'MSISDN redacted in logs');
  gw.child.kill('SIGTERM');
  t.same(await gw.exited(), { code: 0, signal: null });
});
