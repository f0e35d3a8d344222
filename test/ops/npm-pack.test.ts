/**
 * `npm pack` gives a tarball that installs as a global `wapgw` command, offline (its runtime
 * dependencies are bundled: package.json bundleDependencies), and runs with its own shipped
 * config from any directory (issue 14).
 *
 * The start uses the shipped conf/wapgw.yaml itself when its ports are free on this machine;
 * otherwise (another gateway is running: seven people test here at once) a copy of it with free
 * ports, said in a comment.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway-process';

t.setTimeout(10 * 60 * 1000);

const tcpFree = (port: number): Promise<number | null> =>
  new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(null));
    s.listen(port, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
const udpFree = (port: number): Promise<number | null> =>
  new Promise((res) => {
    const s = createSocket('udp4');
    s.once('error', () => res(null));
    s.bind(port, '0.0.0.0', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

t.test('npm pack -> npm install -g --prefix DIR (offline) -> wapgw check-config, start, stop', async (t) => {
  const dir = tempDir();
  // dist/ is built by pretest; --ignore-scripts keeps `prepare` from rewriting it while other tests read it
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { encoding: 'utf8', timeout: 5 * 60 * 1000 });
  t.equal(pack.status, 0, pack.status === 0 ? 'npm pack' : `npm pack: ${pack.stderr.slice(-2000)}`);
  t.match(pack.stderr, /bundled deps: \d+/, 'runtime dependencies bundled');
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('no tarball');
  const prefix = join(dir, 'prefix');
  // an empty cache of its own: offline, everything must come from the tarball, and no other npm
  // running at the same time (other tests, a developer's) shares its cache or its locks
  const inst = spawnSync(
    'npm',
    ['install', '-g', '--prefix', prefix, '--offline', '--cache', join(dir, 'npm-cache'), '--no-update-notifier', '--no-audit', '--no-fund', join(dir, tarball)],
    { encoding: 'utf8', timeout: 5 * 60 * 1000 },
  );
  t.equal(inst.status, 0, inst.status === 0 ? 'npm install -g --offline' : `npm install -g --offline: ${inst.stderr.slice(-2000)}`);
  const bin = join(prefix, 'bin', 'wapgw');
  t.ok(existsSync(bin), 'the wapgw command is installed');
  const pkgDir = join(prefix, 'lib', 'node_modules', 'wapgw');
  for (const f of ['conf/wapgw.yaml', 'conf/subscribers.yaml', 'conf/grafana/wapgw-dashboard.json', 'conf/prometheus/wapgw-rules.yml', 'systemd/wapgw.service', 'dist/cli.js']) {
    t.ok(existsSync(join(pkgDir, f)), `ships ${f}`);
  }
  t.notOk(existsSync(join(pkgDir, 'src')), 'no sources');
  t.notOk(existsSync(join(pkgDir, 'node_modules', 'tap')), 'no test dependencies');

  const elsewhere = tempDir();
  const v = spawnSync(bin, ['version'], { cwd: elsewhere, encoding: 'utf8' });
  t.match(v.stdout, /^wapgw \d+\.\d+\.\d+/);
  const check = spawnSync(bin, ['check-config'], { cwd: elsewhere, encoding: 'utf8' });
  t.equal(check.status, 0, check.stderr);
  t.equal(check.stdout.trim(), `${join(pkgDir, 'conf', 'wapgw.yaml')}: ok`, 'from another directory: its own shipped config');

  // start: the shipped config as it is when its ports are free, else a copy with free ports
  const want: Array<[string, number, 'tcp' | 'udp']> = [['8080', 8080, 'tcp'], ['8942', 8942, 'tcp'], ['9300', 9300, 'tcp'], ['8090', 8090, 'tcp'], ['2775', 2775, 'tcp'], ['9200', 9200, 'udp'], ['9201', 9201, 'udp']];
  const busy: string[] = [];
  for (const [, p, proto] of want) if ((proto === 'tcp' ? await tcpFree(p) : await udpFree(p)) === null) busy.push(`${p}/${proto}`);
  const args = ['start'];
  const ports = new Map<string, number>(want.map(([k, p]) => [k, p]));
  if (busy.length > 0) {
    t.comment(`ports busy here (${busy.join(', ')}): starting with a copy of the shipped config on free ports`);
    for (const [k, , proto] of want) ports.set(k, (proto === 'tcp' ? await tcpFree(0) : await udpFree(0)) as number);
    const copy = join(elsewhere, 'wapgw.yaml');
    const text = readFileSync(join(pkgDir, 'conf', 'wapgw.yaml'), 'utf8')
      .replace(/\b(8080|8942|9300|8090|2775|9200|9201)\b/g, (p) => String(ports.get(p)))
      .replace(/bind: "0\.0\.0\.0"/g, 'bind: "127.0.0.1"')
      .replace('staticFile: conf/subscribers.yaml', `staticFile: ${join(pkgDir, 'conf', 'subscribers.yaml')}`);
    writeFileSync(copy, text);
    args.push('-c', copy);
  }
  const gw = spawn(bin, args, { cwd: elsewhere, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (gw.exitCode === null) gw.kill('SIGKILL');
  });
  let out = '';
  gw.stdout.on('data', (d: Buffer) => (out += d.toString()));
  gw.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 30000;
  while (!out.includes('"msg":"started"')) {
    if (gw.exitCode !== null || Date.now() > until) throw new Error(`no "started": ${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  t.match(out, /"msg":"static subscribers loaded"/, 'the shipped subscriber file was found');
  const health = await fetch(`http://127.0.0.1:${ports.get('9300')}/healthz`);
  t.equal(health.status, 200);
  const exited = new Promise<number | null>((r) => gw.once('exit', (c) => r(c)));
  gw.kill('SIGTERM');
  t.equal(await exited, 0, 'stops on SIGTERM with exit 0');
});
