// The README's operator guide stays in step with the code: every metric, every live-reload
// key, every admin path and the systemd install steps are written down.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Metrics } from '../../src/ops/metrics';
import { LIVE_KEYS } from '../../src/ops/reload';

const readme = readFileSync('README.md', 'utf8');

t.test('every metric in src/ops/metrics.ts is in the README metrics table', async (t) => {
  const m = new Metrics();
  const names = m.registry.getMetricsAsArray().map((x) => x.name);
  t.ok(names.length > 20);
  for (const n of names) t.match(readme, new RegExp(`^\\| \`${n}\` \\|`, 'm'), n);
});

t.test('operator sections, admin paths and reload keys are documented', async (t) => {
  const layout = readme.indexOf('## Project layout');
  for (const h of ['## Running with systemd', '## Admin endpoints', '## Metrics', '## Logs', '## Reload and shutdown', '## Headers the MMSC receives', '## Troubleshooting', '## The demo MMSC']) {
    const i = readme.indexOf(`\n${h}\n`);
    t.ok(i > 0 && i < layout, `${h} before Project layout`);
  }
  for (const p of ['/healthz', '/metrics', '/status', '/subscribers/IP']) t.ok(readme.includes(`\`GET ${p}\``), p);
  for (const k of LIVE_KEYS) t.ok(readme.includes(`\`${k}\``) || readme.includes(`\`${k}.*\``), `live key ${k}`);
  for (const s of ['systemctl enable --now wapgw', 'systemctl reload wapgw', 'DynamicUser', 'useradd', "tshark -i any -f 'udp port 9200 or udp port 9201' -O wtp,wsp,mmse", 'wapgw decode']) {
    t.ok(readme.includes(s), s);
  }
});
