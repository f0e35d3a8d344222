import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { defaultConfig, loadConfigFile, parseConfig, parseConfigText } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';

function leafPaths(o: unknown, prefix: string[] = []): string[][] {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return [prefix];
  return Object.entries(o as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

t.test('defaults follow the contract', async (t) => {
  const c = defaultConfig();
  t.equal(c.mmsc.url, 'http://127.0.0.1:8942/mms');
  t.same(c.mmsc.allowedOrigins, []);
  t.equal(c.mmsc.timeoutMs, 30000);
  t.equal(c.wsp.bind, '0.0.0.0');
  t.equal(c.wsp.connectionlessPort, 9200);
  t.equal(c.wsp.connectionOrientedPort, 9201);
  t.equal(c.proxy.port, 8080);
  t.same(c.proxy.allowedNetworks, ['10.0.0.0/8']);
  t.equal(c.proxy.requireSubscriber, true);
  t.equal(c.subscribers.staticFile, null);
  t.equal(c.subscribers.maxEntries, 1000000);
  t.equal(c.radius.enabled, false);
  t.equal(c.radius.port, 1813);
  t.equal(c.admin.bind, '127.0.0.1');
  t.equal(c.admin.port, 9300);
  t.equal(c.log.level, 'info');
  t.equal(c.demoMmsc.enabled, false);
});

t.test('every bad key is named, all at once', async (t) => {
  const err = t.throws(() =>
    parseConfig({
      mmsc: { url: 'ftp://x', timeoutMs: -1, bogus: 1 },
      wsp: { connectionlessPort: 70000 },
      proxy: { allowedNetworks: ['10.0.0.0/40', 'x'] },
      radius: { clients: [{ address: '10.1.1.1' }] },
      nonsense: true,
    }),
  ) as ConfigError;
  t.type(err, ConfigError);
  t.equal(err.code, 'ERR_CONFIG');
  const keys = err.problems.map((p) => p.split(':')[0]);
  for (const k of [
    'mmsc.url',
    'mmsc.timeoutMs',
    'mmsc.bogus',
    'wsp.connectionlessPort',
    'proxy.allowedNetworks[0]',
    'proxy.allowedNetworks[1]',
    'radius.clients[0].secret',
    'nonsense',
  ]) {
    t.ok(keys.includes(k), `names ${k}`);
  }
  t.ok(err.problems.every((p) => /^[^:]+: \S/.test(p)), 'each line is "key.path: reason"');
});

t.test('YAML syntax errors are reported with a position', async (t) => {
  const err = t.throws(() => parseConfigText('mmsc:\n  url: [unclosed\n')) as ConfigError;
  t.equal(err.code, 'ERR_CONFIG');
  t.match(err.problems[0], /^line \d+ column \d+: /);
  const err2 = t.throws(() => loadConfigFile('/nonexistent/wapgw.yaml')) as ConfigError;
  t.match(err2.problems[0], /ENOENT/);
});

t.test('the shipped config validates and documents every key', async (t) => {
  const c = loadConfigFile('conf/wapgw.yaml');
  t.equal(c.demoMmsc.enabled, true, 'the demo runs out of the box');
  const text = readFileSync('conf/wapgw.yaml', 'utf8');
  const doc = parseDocument(text);
  for (const p of leafPaths(defaultConfig())) {
    t.ok(doc.hasIn(p), `conf/wapgw.yaml has ${p.join('.')}`);
  }
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*([A-Za-z]+):\s*(.*)$/.exec(line);
    if (!m || m[2] === '') return; // section headers need no comment
    const prev = lines[i - 1] ?? '';
    t.ok(/^\s*#/.test(prev) || line.includes(' #'), `line ${i + 1} (${m[1]}) has a comment`);
  });
});

t.test('the README configuration table is the one the schema generates', async (t) => {
  const { configTable, configKeys } = await import('../../src/config/docs');
  const readme = readFileSync('README.md', 'utf8');
  const m = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme);
  t.ok(m, 'README has the config table markers');
  t.equal(m?.[1], configTable(), 'regenerate with: node dist/config/docs.js');
  const keys = configKeys().map((k) => k.key);
  t.ok(keys.includes('mmsc.url') && keys.includes('wtp.sar.segmentSize') && keys.includes('radius.clients'), 'leaf keys, nested ones too');
  t.equal(keys.length, leafPaths(defaultConfig()).length, 'one row per leaf key');
});
