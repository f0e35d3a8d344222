/**
 * The README's quick start, its two command lines run as written in a fresh clone (issue 14
 * item 11): `npm ci && npm start` installs, builds and runs the gateway on the shipped config;
 * `npm ci && npm test` installs and passes the tests.
 *
 * The clone is of the committed HEAD. Its conf/wapgw.yaml gets free ports on 127.0.0.1 (seven
 * people test on this machine at once); npm may use its cache (`npm_config_prefer_offline`).
 * The second line is what CI itself does (.ci/run in a fresh clone of main): this test checks that
 * .ci/run runs the README's test line's commands rather than running the whole suite twice.
 */
import t from 'tap';
import { freePort } from './helpers/free-port';
import { skip } from './helpers/requires-tool';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './helpers/gateway-process';

t.setTimeout(30 * 60 * 1000);

const ROOT = resolve('.');
const INNER = 'WAPGW_QUICKSTART_INNER';

function quickstartLines(readme: string): string[] {
  const m = /<!-- readme-test: quickstart -->\s*\n```sh\n([\s\S]*?)\n```/.exec(readme);
  if (!m) throw new Error('README has no quick start block');
  return (m[1] as string).split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

// below the ephemeral range: `npm ci` runs between choosing these and the gateway binding them
const free = (kind: 'tcp' | 'udp'): Promise<number> => freePort(kind);

t.test('the two quick start lines, from a fresh clone', async (t) => {
  if (process.env[INNER]) {
    t.pass('inside the quick start run itself: not again');
    return;
  }
  if (!existsSync(join(ROOT, '.git'))) {
    skip(t, 'not a git checkout: nothing to clone');
    return;
  }
  const lines = quickstartLines(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  t.equal(lines.length, 2, 'two command lines');
  const [startLine, testLine] = lines as [string, string];
  t.match(startLine, /^npm ci && npm start\b/);
  t.match(testLine, /^npm ci && npm test\b/);

  const dir = join(tempDir(), 'wapgw');
  const clone = spawnSync('git', ['clone', '--quiet', ROOT, dir], { encoding: 'utf8' });
  t.equal(clone.status, 0, `git clone ${clone.stderr}`);

  const ports: Record<string, number> = {};
  for (const p of ['8080', '8942', '9300', '8090', '2775']) ports[p] = await free('tcp');
  for (const p of ['9200', '9201', '1813']) ports[p] = await free('udp');
  const conf = join(dir, 'conf/wapgw.yaml');
  writeFileSync(
    conf,
    readFileSync(conf, 'utf8')
      .replace(/\b(8080|8942|9300|8090|2775|9200|9201|1813)\b/g, (p) => String(ports[p]))
      .replace(/bind: "0\.0\.0\.0"/g, 'bind: "127.0.0.1"'),
  );
  const env = { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };

  // line 1: install, build, start; then Ctrl-C (SIGINT to the foreground process group)
  const child = spawn('bash', ['-c', startLine], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // gone
    }
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 10 * 60 * 1000;
  while (!out.includes('"msg":"started"')) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`no "started" line: ${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const listening = out
    .split('\n')
    .filter((l) => l.includes('"msg":"listening"'))
    .map((l) => JSON.parse(l) as { port: number; protocol: string });
  const got = listening.map((l) => `${l.port}/${l.protocol}`);
  for (const w of [`${ports['9200']}/udp`, `${ports['9201']}/udp`, `${ports['8080']}/tcp`, `${ports['8942']}/tcp`, `${ports['9300']}/tcp`]) t.ok(got.includes(w), `listening on ${w}`);
  t.ok(listening.every((l) => Object.values(ports).includes(l.port)), `every listener on a port of the config (${got.join(', ')})`);
  const health = await fetch(`http://127.0.0.1:${ports['9300']}/healthz`);
  t.equal(health.status, 200, 'admin /healthz answers ok');
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  process.kill(-(child.pid as number), 'SIGINT');
  t.equal(await exited, 0, 'Ctrl-C: it drains and exits 0');
  t.match(out, /"msg":"stopped"/);

  // line 2 is what CI does: .ci/run runs in a fresh clone of main and runs exactly the README's
  // test line; running the whole suite a second time inside this test would double CI for no
  // new evidence, so check that the two stay the same commands instead.
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  for (const cmd of testLine.replace(/\s+#.*$/, '').split('&&').map((c) => c.trim())) {
    t.match(ci, new RegExp(`^${cmd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'm'), `.ci/run (a fresh clone in CI) runs \`${cmd}\` as the README's test line says`);
  }
});
