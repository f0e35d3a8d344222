// The gateway is launched the same way everywhere it is shipped or measured: the node flags in
// package.json config.gatewayNodeFlags are in `npm start`, the systemd unit and the benchmarks.
import t from 'tap';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; config: { gatewayNodeFlags: string } };
const flags = pkg.config.gatewayNodeFlags;

t.test('npm start, the systemd unit and the benchmarks use config.gatewayNodeFlags', async (t) => {
  t.match(flags, /--max-semi-space-size=\d+/, 'the young-generation cap');
  t.match(pkg.scripts.start, new RegExp(`^exec node ${flags} dist/cli\\.js start `), 'npm start (exec: a SIGTERM to npm reaches node)');
  const unit = readFileSync('systemd/wapgw.service', 'utf8');
  t.match(unit, new RegExp(`^ExecStart=/usr/bin/node ${flags} /opt/wapgw/dist/cli\\.js start `, 'm'), 'systemd ExecStart');
  t.match(readFileSync('bench/lib/common.js', 'utf8'), /const GATEWAY_NODE_FLAGS = .*config\.gatewayNodeFlags/, 'bench/lib/common.js reads them');
  const common = readFileSync('bench/lib/common.js', 'utf8');
  t.match(common, /function spawnGateway\(file, \{[^}]*nodeArgs = GATEWAY_NODE_FLAGS/, 'spawnGateway defaults to them');
  t.match(common, /spawn\(process\.execPath, \[\.\.\.nodeArgs, cli, 'start'/, 'and launches with them');
  // `cli` names another build only when a before/after comparison asks for it (bench/ppg/run.js --a)
  t.match(common, /function spawnGateway\(file, \{[^}]*cli = CLI \}/, 'whose CLI is by default the one below');
  t.match(common, /const \{ ROOT, CLI \} = require\('\.\/wapgw'\)/, 'the CLI is the one bench/lib/wapgw.js names');
  for (const f of ['bench/wsp/run.js', 'bench/robustness/lib.js']) {
    const src = readFileSync(f, 'utf8');
    t.match(src, /await spawnGateway\(/, `${f} launches through spawnGateway`);
    t.notMatch(src, /dist\/cli\.js'\)?, 'start'/, `${f} does not launch the gateway by itself`);
  }
});
