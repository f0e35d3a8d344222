import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['dist/cli.js', ...args], {
    encoding: 'utf8',
  });

t.test('check-config', async (t) => {
  const ok = cli('check-config', '-c', 'conf/wapgw.yaml');
  t.equal(ok.status, 0, ok.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'mmsc:\n  url: nope\n  extra: 1\nwsp:\n  connectionOrientedPort: -5\n');
  const r = cli('check-config', '-c', bad);
  t.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 3, r.stderr);
  t.match(r.stderr, /^mmsc\.url: /m);
  t.match(r.stderr, /^mmsc\.extra: unknown key \(.*bad\.yaml line 3\)$/m);
  t.match(r.stderr, /^wsp\.connectionOrientedPort: /m);
  t.notMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
});

t.test('version and unknown commands', async (t) => {
  const v = cli('version');
  t.equal(v.status, 0);
  t.match(v.stdout, /^wapgw \d+\.\d+\.\d+/);
  const u = cli('frobnicate');
  t.equal(u.status, 1);
  t.match(u.stderr, /unknown command "frobnicate"/);
});
