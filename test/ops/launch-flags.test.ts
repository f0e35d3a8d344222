// The gateway is launched the same way everywhere it is shipped or measured: the node flags in
// package.json config.gatewayNodeFlags are in `npm start`, the systemd unit and the benchmarks.
import t from 'tap';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; config: { gatewayNodeFlags: string } };
const flags = pkg.config.gatewayNodeFlags;

t.test('npm start, the systemd unit and the benchmarks use config.gatewayNodeFlags', async (t) => {
  t.match(flags, /--max-semi-space-size=\d+/, 'the young-generation cap');
  t.match(pkg.scripts.start, new RegExp(`^node ${flags} dist/cli\\.js start `), 'npm start');
  const unit = readFileSync('systemd/wapgw.service', 'utf8');
  t.match(unit, new RegExp(`^ExecStart=/usr/bin/node ${flags} /opt/wapgw/dist/cli\\.js start `, 'm'), 'systemd ExecStart');
  t.match(readFileSync('bench/lib/common.js', 'utf8'), /const GATEWAY_NODE_FLAGS = .*config\.gatewayNodeFlags/, 'bench/lib/common.js reads them');
  for (const f of ['bench/lib/common.js', 'bench/wsp/run.js', 'bench/robustness/lib.js']) {
    t.match(readFileSync(f, 'utf8'), /spawn\(process\.execPath, \[\.\.\.(GATEWAY_NODE_FLAGS|nodeArgs)/, `${f} launches with them`);
  }
});
