import t from 'tap';
import { RateLimiter } from '../../src/policy/rate-limit';

t.test('token bucket per source, time as an argument', async (t) => {
  const r = new RateLimiter({ perSecond: 2, burst: 3, maxSources: 10 });
  t.ok(r.enabled);
  t.same([1, 2, 3, 4].map(() => r.take('a', 0)), [true, true, true, false], 'burst of 3');
  t.ok(r.take('b', 0), 'other sources have their own bucket');
  t.notOk(r.take('a', 400), '0.8 token after 400 ms');
  t.ok(r.take('a', 500), 'one token after 500 ms at 2/s');
  t.notOk(r.take('a', 500));
  t.ok(r.take('a', 10_000) && r.take('a', 10_000) && r.take('a', 10_000), 'refill capped at burst');
  t.notOk(r.take('a', 10_000));
});

t.test('an IPv6 phone has one bucket for its whole /64', async (t) => {
  const r = new RateLimiter({ perSecond: 1, burst: 2, maxSources: 10 });
  t.ok(r.take('2001:db8:1:2::1', 0));
  t.ok(r.take('2001:db8:1:2::abcd', 0));
  t.notOk(r.take('2001:db8:1:2:3:4:5:6', 0), 'a third address of the same /64 finds the bucket empty');
  t.ok(r.take('2001:db8:1:3::1', 0), 'the next /64 is another source');
  t.equal(r.size, 2);
});

t.test('bounded by maxSources; 0/s disables', async (t) => {
  const r = new RateLimiter({ perSecond: 1, burst: 1, maxSources: 100 });
  for (let i = 0; i < 1000; i++) r.take(`10.0.${i >> 8}.${i & 255}`, 0);
  t.equal(r.size, 100);
  const off = new RateLimiter({ perSecond: 0, burst: 1, maxSources: 100 });
  t.notOk(off.enabled);
  t.ok([1, 2, 3].every(() => off.take('a', 0)));
  t.equal(off.size, 0);
});
