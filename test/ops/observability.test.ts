/**
 * The shipped Grafana dashboard (conf/grafana/wapgw-dashboard.json) and Prometheus alert rules
 * (conf/prometheus/wapgw-rules.yml): every wapgw metric they name is exported by a running
 * gateway's /metrics, and promtool accepts the rules and passes their unit tests
 * (conf/prometheus/wapgw-rules.test.yml). PPG metrics are checked once the PPG exists, with it
 * enabled.
 */
import t from 'tap';
import type { Tap } from '../helpers/tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultConfig, parseConfig } from '../../src/config/load';
import { silentLogger } from '../../src/core/logger';
import { Gateway } from '../../src/main';
import { tempDir } from '../helpers/gateway-process';
import { requireTool } from '../helpers/requires-tool';

const DASHBOARD = 'conf/grafana/wapgw-dashboard.json';
const RULES = 'conf/prometheus/wapgw-rules.yml';
const RULE_TESTS = 'conf/prometheus/wapgw-rules.test.yml';

interface Panel {
  id: number;
  type: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };
const rules = parseYaml(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };

const namesIn = (expr: string): string[] => [...expr.matchAll(/\bwapgw_[a-z0-9_]+/g)].map((m) => m[0]);
const exprs = [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((x) => x.expr)), ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr))];

/** `# TYPE` names of a gateway's /metrics, started with `extra` config. */
async function exported(t: Tap, extra: Record<string, unknown> = {}): Promise<{ names: Set<string>; text: string }> {
  const config = parseConfig({
    mmsc: { url: 'http://127.0.0.1:9/mms' },
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0 },
    proxy: { bind: '127.0.0.1', port: 0 },
    admin: { bind: '127.0.0.1', port: 0 },
    radius: { enabled: true, bind: '127.0.0.1', port: 0, clients: [{ address: '127.0.0.1', secret: 'a-secret-of-16-octets' }] },
    ...extra,
  });
  const gw = new Gateway({ config, logger: silentLogger() });
  const listening = await gw.start();
  t.teardown(() => gw.close(0));
  const admin = listening.find((l) => l.name === 'admin') as { port: number };
  const text = await (await fetch(`http://127.0.0.1:${admin.port}/metrics`)).text();
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1] as string);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m[1]}${s}`);
  }
  return { names, text };
}

t.test('the dashboard is a Grafana dashboard on one Prometheus data source', async (t) => {
  t.equal(dashboard.uid, 'wapgw');
  const ids = dashboard.panels.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids unique');
  const graphs = dashboard.panels.filter((p) => p.type !== 'row');
  t.ok(graphs.length >= 15, `${graphs.length} panels`);
  for (const p of graphs) {
    t.equal(p.datasource?.uid, '${datasource}', `panel ${p.id} uses the data source variable`);
    t.ok((p.targets ?? []).length > 0 && p.targets!.every((x) => namesIn(x.expr).length > 0), `panel ${p.id} queries wapgw metrics`);
  }
  const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
  for (const a of ['WapgwListenerDown', 'WapgwMmscErrors', 'WapgwSubscriberMisses', 'WapgwRadiusBadAuthenticator', 'WapgwPushQueueOld']) t.ok(alerts.includes(a), a);
});

t.test('every metric the dashboard and the rules name is in /metrics', async (t) => {
  const { names, text } = await exported(t);
  const named = new Set(exprs.flatMap(namesIn));
  t.ok(named.size > 25, `${named.size} metrics named`);
  const ppg = [...named].filter((n) => n.startsWith('wapgw_ppg_'));
  for (const n of named) if (!n.startsWith('wapgw_ppg_')) t.ok(names.has(n), `${n} exported`);
  t.match(text, /^wapgw_component_up\{component="proxy"\} 1$/m, 'components up while running');
  t.match(text, /^wapgw_component_up\{component="radius"\} 1$/m);
  t.ok(ppg.includes('wapgw_ppg_oldest_pending_seconds'), 'the push queue age is in the rules');
  if (!('ppg' in defaultConfig())) {
    t.comment(`PPG metrics (${ppg.join(', ')}) are checked once the PPG exists (ppg.enabled)`);
    return;
  }
  const stateDir = join(tempDir(), 'ppg');
  mkdirSync(stateDir);
  const withPpg = await exported(t, { ppg: { enabled: true, bind: '127.0.0.1', port: 0, stateDir, allowedNetworks: ['127.0.0.0/8'] } });
  for (const n of ppg) t.ok(withPpg.names.has(n), `${n} exported with the PPG enabled`);
});

t.test('promtool accepts the rules and their unit tests pass', async (t) => {
  if (!requireTool(t, 'promtool', 'promtool (Debian prometheus)')) return;
  const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  t.equal(check.status, 0, check.stdout + check.stderr);
  t.match(check.stdout, /SUCCESS: \d+ rules found/);
  const unit = spawnSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
  t.equal(unit.status, 0, unit.stdout + unit.stderr);
});
