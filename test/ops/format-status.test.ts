import t from 'tap';
import { formatDuration, formatStatus } from '../../src/ops/format-status';

t.test('formatDuration', async (t) => {
  t.equal(formatDuration(0), '0s');
  t.equal(formatDuration(59), '59s');
  t.equal(formatDuration(3723), '1h 2m 3s');
  t.equal(formatDuration(90061), '1d 1h 1m 1s');
});

t.test('a full status reads as a summary, a listener table, counts and components', async (t) => {
  const out = formatStatus({
    version: '0.1.0',
    state: 'running',
    healthy: true,
    pid: 42,
    uptimeSeconds: 3723,
    listeners: [
      { name: 'demo-mmsc', protocol: 'tcp', address: '127.0.0.1', port: 8942 },
      { name: 'wsp-co', protocol: 'udp', address: '::', port: 9201 },
    ],
    wspSessions: 3,
    wtpTransactions: 1,
    subscribers: 2,
    upstream: { url: 'http://127.0.0.1:8942/mms', responses: { 'wsp:200': 5 } },
    components: { 'demo-mmsc': { received: 1, stored: 1 }, odd: { nested: { a: 1 } } },
    extraKey: 'shown',
  });
  const lines = out.split('\n');
  t.equal(lines[0], 'wapgw 0.1.0  running  healthy  pid 42  up 1h 2m 3s');
  t.match(out, /^listeners \(2\):$/m);
  t.match(out, /^ {2}demo-mmsc {2}tcp {2}127\.0\.0\.1:8942$/m);
  t.match(out, /^ {2}wsp-co {5}udp {2}\[::\]:9201$/m, 'IPv6 in brackets, columns aligned');
  t.match(out, /^WSP sessions 3 {3}WTP transactions 1 {3}subscribers 2$/m);
  t.match(out, /^upstream http:\/\/127\.0\.0\.1:8942\/mms$/m);
  t.match(out, /^ {2}wsp:200 {2}5$/m);
  t.match(out, /^ {2}demo-mmsc: received 1, stored 1$/m);
  t.match(out, /^ {4}nested:$/m, 'nested component status in the generic form');
  t.match(out, /^extraKey: shown$/m, 'unknown keys are not hidden');
});

t.test('degenerate inputs', async (t) => {
  t.match(formatStatus({ state: 'stopping', healthy: false, listeners: [] }), /UNHEALTHY[\s\S]*\(none\)/);
  t.equal(formatStatus('x'), 'x\n');
  t.equal(formatStatus(null), '-\n');
});
