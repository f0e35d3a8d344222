import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/core/errors';
import { closestKey, loadConfigFile, mistakeLine, parseConfig, parseConfigText } from '../../src/config/load';
import { preflight } from '../../src/preflight';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', timeout: 20000 });
const dir = mkdtempSync(join(tmpdir(), 'wapgw-preflight-'));
const write = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
/** A config whose listeners all take port 0 on loopback, so `start` may really run. */
const cfg = (extra: Record<string, Record<string, unknown>>) => {
  const base: Record<string, Record<string, unknown>> = {
    mmsc: { url: 'http://127.0.0.1:9/mms' },
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0 },
    proxy: { bind: '127.0.0.1', port: 0 },
    admin: { bind: '127.0.0.1', port: 0 },
    demoMmsc: { enabled: true, bind: '127.0.0.1', port: 0 },
  };
  for (const [k, v] of Object.entries(extra)) base[k] = { ...(base[k] ?? {}), ...v };
  return stringify(base);
};

t.test('check-config reads the static subscriber file that start will load', async (t) => {
  const missing = write('missing.yaml', cfg({ subscribers: { staticFile: join(dir, 'nope.yaml') } }));
  const r = cli('check-config', '-c', missing);
  t.equal(r.status, 1, 'a missing file is a problem');
  t.match(r.stderr, /^subscribers\.staticFile: cannot read .*nope\.yaml: ENOENT$/m);

  const subs = write('subs-bad.yaml', '- ip: 10.0.0.1\n  msisdn: "12"\n- ip: not-an-ip\n  msisdn: "+15550000001"\n');
  const invalid = write('invalid.yaml', cfg({ subscribers: { staticFile: subs } }));
  const r2 = cli('check-config', '-c', invalid);
  t.equal(r2.status, 1, 'an invalid file is a problem');
  const lines = r2.stderr.trim().split('\n');
  t.equal(lines.length, 2, r2.stderr);
  t.match(lines[0], /^subscribers\.staticFile: .*subs-bad\.yaml \[0\]\.msisdn: /);
  t.match(lines[1], /^subscribers\.staticFile: .*subs-bad\.yaml \[1\]\.ip: /);
});

t.test('start refuses before any listener opens', async (t) => {
  const missing = write('start-missing.yaml', cfg({ subscribers: { staticFile: join(dir, 'absent.yaml') } }));
  const r = spawnSync(process.execPath, ['dist/cli.js', 'start', '-c', missing], { encoding: 'utf8', timeout: 20000 });
  t.equal(r.status, 1);
  t.notMatch(r.stdout, /"msg":"listening"/, 'no listener logged listening');
  t.match(r.stderr, /^subscribers\.staticFile: cannot read /m);
});

t.test('listeners that would collide are a problem', async (t) => {
  const c = parseConfig({ proxy: { port: 9000 }, admin: { port: 9000, bind: '127.0.0.1' }, wsp: { connectionlessPort: 9201 } });
  const r = preflight(c);
  t.match(r.problems.join('\n'), /^admin\.port: TCP port 9000 is also proxy\.port/m);
  t.match(r.problems.join('\n'), /^wsp\.connectionOrientedPort: UDP port 9201 is also wsp\.connectionlessPort/m);
  const apart = preflight(parseConfig({ proxy: { bind: '127.0.0.1', port: 9000 }, admin: { bind: '127.0.0.2', port: 9000 } }));
  t.same(apart.problems, [], 'two distinct addresses may share a port number');
  t.same(preflight(parseConfig({ proxy: { port: 0 }, admin: { port: 0 }, demoMmsc: { enabled: true, port: 0 } })).problems, [], 'port 0 never collides');
});

t.test('RADIUS without clients and short secrets are warnings, not failures', async (t) => {
  const r = preflight(parseConfig({ radius: { enabled: true } }));
  t.same(r.problems, []);
  t.match(r.warnings.join('\n'), /^radius\.clients: RADIUS is enabled but no NAS is listed/m);
  const s = preflight(parseConfig({ radius: { enabled: true, clients: [{ address: '127.0.0.1', secret: 'short' }], forward: [{ host: '127.0.0.1', secret: 'x' }] } }));
  t.match(s.warnings.join('\n'), /^radius\.clients\[0\]\.secret: 5 octets; use at least 16/m);
  t.match(s.warnings.join('\n'), /^radius\.forward\[0\]\.secret: 1 octets/m);
  t.notMatch(s.warnings.join('\n'), /no NAS is listed/);
  const long = preflight(parseConfig({ radius: { enabled: true, clients: [{ address: '127.0.0.1', secret: 'a-secret-of-16-octets' }] } }));
  t.same(long.warnings, []);

  const f = write('radius-warn.yaml', cfg({ radius: { enabled: true, clients: [] } }));
  const c = cli('check-config', '-c', f);
  t.equal(c.status, 0, 'warnings alone pass');
  t.match(c.stderr, /^warning: radius\.clients: /m);
  t.match(c.stdout, /: ok \(1 warning\)/);
});

t.test('YAML mistakes name the file and the mistaken line', async (t) => {
  const problem = (text: string, file = 'conf/x.yaml'): string => {
    const err = t.throws(() => parseConfigText(text, file)) as ConfigError;
    t.type(err, ConfigError);
    return err.problems[0] as string;
  };
  // the parser blames the comment line before the over-indented key
  t.match(problem('mmsc:\n  url: http://127.0.0.1:8942/mms\n  # a comment\n   timeoutMs: 3000\nproxy:\n  port: 8080\n'), /^conf\/x\.yaml line 4 column \d+: /);
  // a key indented one space less than its siblings, after a comment at that indent
  const b = t.throws(() => parseConfigText('mmsc:\n  url: http://127.0.0.1:8942/mms\n # comment\n timeoutMs: 3000\n  connections: 3\n', 'b.yaml')) as ConfigError;
  t.match(b.problems[0], /^b\.yaml line 4 /);
  t.equal(b.problems.length, 1, 'one mistake, one line (the cascade is not repeated)');
  // the first item of a mapping too deep: the parser blames the correct line after it
  t.match(problem('mmsc:\n  url: http://127.0.0.1:8942/mms\nproxy:\n    port: 8080\n  bind: 0.0.0.0\n'), /line 4 /);
  // a sequence item's key misaligned
  t.match(problem('radius:\n  clients:\n    - address: 127.0.0.1\n     secret: abc\n'), /line 4 /);
  t.equal(mistakeLine('a:\n\n  # c\n\n  b: 1\n', 2, 'X'), 5, 'blank and comment lines are skipped');
});

t.test('an unknown key says the closest known key, with file and line', async (t) => {
  const f = write('typo.yaml', 'mmsc:\n  url: http://127.0.0.1:8942/mms\n  timeotMs: 3000\nradius:\n  clients:\n    - address: 127.0.0.1\n      secrt: abcdefghijklmnopq\n      secret: abcdefghijklmnopq\nfrobnicate: 1\n');
  const err = t.throws(() => loadConfigFile(f)) as ConfigError;
  const all = err.problems.join('\n');
  t.match(all, new RegExp(`^mmsc\\.timeotMs: unknown key; did you mean "mmsc\\.timeoutMs"\\? \\(${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 3\\)$`, 'm'));
  t.match(all, /^radius\.clients\[0\]\.secrt: unknown key; did you mean "radius\.clients\[0\]\.secret"\? \(.* line 7\)$/m);
  t.match(all, /^frobnicate: unknown key \(.* line 9\)$/m, 'nothing close: no guess');
  t.equal(closestKey(['proxy'], 'Port'), 'port', 'case does not matter');
  t.equal(closestKey([], 'foo'), undefined);
  const r = cli('check-config', '-c', f);
  t.equal(r.status, 1);
  t.match(r.stderr, /did you mean "mmsc\.timeoutMs"/);
});

t.test('usage records need a directory that exists and can be written', async (t) => {
  t.match(preflight(parseConfig({ usageRecords: { enabled: true, dir: join(dir, 'no-such-dir') } })).problems.join('\n'), /^usageRecords\.dir: .*no-such-dir does not exist$/m);
  t.same(preflight(parseConfig({ usageRecords: { enabled: true, dir } })).problems, []);
  const err = t.throws(() => parseConfig({ usageRecords: { enabled: true } })) as ConfigError;
  t.match(err.problems.join('\n'), /^usageRecords\.dir: usage records are enabled: give the directory/m);
});
