import t from 'tap';
import { scrubPersonal } from '../../src/core/logger';

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
