import t from 'tap';
import { createLogger, scrubPersonal } from '../../src/core/logger';

t.test('scrubPersonal copies only what it censors', async (t) => {
  const clean = { src: '10.0.0.1', status: 200, nested: { a: 1 } };
  t.equal(scrubPersonal(clean), clean, 'a line without personal keys is passed on as is');
  const dirty = { src: '10.0.0.1', sub: { msisdn: '+1555', deep: { imsi: '001', deeper: { imeisv: '35' } } } };
  const out = scrubPersonal(dirty) as typeof dirty;
  t.not(out, dirty);
  t.equal(out.sub.msisdn, '[redacted]');
  t.equal(out.sub.deep.imsi, '[redacted]');
  t.equal(out.sub.deep.deeper.imeisv, '35', 'beyond two objects deep is not walked (documented bound)');
  t.equal(dirty.sub.msisdn, '+1555', 'the caller object is untouched');
  t.equal(scrubPersonal({ msisdn: undefined }).msisdn, undefined, 'absent stays absent');
});

t.test('a child that rebinds a key replaces it: one "component" per line', async (t) => {
  const out: string[] = [];
  const root = createLogger({ level: 'debug', destination: { write: (s: string) => out.push(s) } });
  const wsp = root.child({ component: 'wsp' });
  const wtp = wsp.child({ component: 'wtp', peer: '127.0.0.1:5000' });
  wtp.child({ tid: 7 }).debug({ msisdn: '15550000001' }, 'segment');
  wsp.info('session');
  const [a, b] = out;
  t.equal((a!.match(/"component":/g) ?? []).length, 1, a!);
  t.equal((a!.match(/"name":/g) ?? []).length, 1, 'the root bindings are not repeated either');
  t.match(JSON.parse(a!), { component: 'wtp', peer: '127.0.0.1:5000', tid: 7, msisdn: '[redacted]', level: 20 });
  t.match(JSON.parse(b!), { component: 'wsp', msg: 'session' }, 'the parent keeps its own value');
  const quiet = root.child({ component: 'x' });
  quiet.level = 'warn';
  t.equal(quiet.child({ component: 'y' }).level, 'warn', 'the level carries over');
});
