import t from 'tap';
import { defaultConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { Gateway, type Component } from '../../src/main';
import { Metrics } from '../../src/ops/metrics';
import { changedKeys, isLiveKey, planReload } from '../../src/ops/reload';

t.test('changedKeys and planReload', async (t) => {
  const a = defaultConfig();
  const b = defaultConfig();
  t.same(changedKeys(a, b), []);
  b.log.level = 'debug';
  b.identity.msisdnHeaders = ['X-MSISDN'];
  b.proxy.allowedNetworks = ['10.0.0.0/8', '100.64.0.0/10'];
  b.wsp.connectionlessPort = 9300;
  b.wtp.sar.groupSize = 4;
  const plan = planReload(a, b);
  t.same(plan.applied.sort(), ['identity.msisdnHeaders', 'log.level', 'proxy.allowedNetworks']);
  t.same(plan.needsRestart.sort(), ['wsp.connectionlessPort', 'wtp.sar.groupSize']);
  t.equal(plan.effective.log.level, 'debug');
  t.same(plan.effective.proxy.allowedNetworks, ['10.0.0.0/8', '100.64.0.0/10']);
  t.equal(plan.effective.wsp.connectionlessPort, 9200, 'a restart key keeps its running value');
  t.equal(plan.effective.wtp.sar.groupSize, 8);
  t.equal(a.log.level, 'info', 'the current config is not modified');
  t.ok(isLiveKey('identity.signingSecret'));
  t.notOk(isLiveKey('identityX'));
  t.notOk(isLiveKey('log.redactPersonalData'));
});

function gatewayWith(components: Component[]) {
  const config = defaultConfig();
  config.admin.enabled = false;
  config.subscribers.staticFile = null;
  const gw = new Gateway({ config, logger: silentLogger(), metrics: new Metrics() });
  gw.components.length = 0;
  gw.components.push(...components);
  return gw;
}

const component = (name: string, prepare: Component['prepareReload']): Component => ({
  name,
  start: async () => [],
  close: async () => undefined,
  prepareReload: prepare,
});

t.test('Gateway.reload: all components prepare, then all apply; one refusal changes nothing', async (t) => {
  const applied: string[] = [];
  let refuse = true;
  const gw = gatewayWith([
    component('a', (next) => () => applied.push(`a:${next.log.level}`)),
    component('b', () => {
      if (refuse) throw new ConfigError(['subscribers.staticFile x [0].msisdn: bad', 'subscribers.staticFile x [1].ip: bad']);
      return () => applied.push('b');
    }),
  ]);
  await gw.start();
  const next = defaultConfig();
  next.log.level = 'debug';
  const r1 = await gw.reload(next);
  t.equal(r1.ok, false);
  t.equal(r1.problems.length, 2, 'every problem');
  t.same(applied, [], 'nothing applied');
  t.equal(gw.currentConfig.log.level, 'info', 'old config kept');
  t.match(await gw.metrics.registry.metrics(), /wapgw_config_reloads_total\{outcome="refused"\} 1/);

  refuse = false;
  const r2 = await gw.reload(next);
  t.equal(r2.ok, true);
  t.same(applied, ['a:debug', 'b']);
  t.equal(gw.currentConfig.log.level, 'debug');
  t.match(await gw.metrics.registry.metrics(), /wapgw_config_reloads_total\{outcome="applied"\} 1/);
  await gw.close(0);
});

t.test('Gateway.reload without a file refuses; healthy() follows state and components', async (t) => {
  let up = true;
  const gw = gatewayWith([{ name: 'x', start: async () => [], close: async () => undefined, healthy: () => up }]);
  t.equal(gw.healthy(), false, 'not healthy before start');
  const r = await gw.reload();
  t.equal(r.ok, false);
  t.match(r.problems[0], /no config file/);
  await gw.start();
  t.equal(gw.healthy(), true);
  up = false;
  t.equal(gw.healthy(), false, 'a component with a listener down');
  up = true;
  const s = await gw.status();
  t.equal(s.state, 'running');
  await gw.close(0);
  t.equal(gw.healthy(), false, 'not healthy once stopped');
});
