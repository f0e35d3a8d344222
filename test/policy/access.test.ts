import t from 'tap';
import { sync } from '../helpers/sync';
import { parseConfig } from '../../src/config/load';
import { AccessPolicy, UpstreamPolicy, originKey } from '../../src/policy/access';
import { MemorySubscribers } from '../helpers/memory-subscribers';

const subs = new MemorySubscribers([
  { key: '10.1.2.3', msisdn: '31611111111', imsi: '204080000000001' },
  { key: '2001:db8:1:2::/64', msisdn: '31622222222' },
]);

t.test('source network and subscriber', async (t) => {
  const cfg = parseConfig({ proxy: { allowedNetworks: ['10.0.0.0/8', '2001:db8::/32'] } });
  const a = new AccessPolicy({ config: cfg, subscribers: subs });
  const ok = sync(a.check('10.1.2.3'));
  t.ok(ok.ok);
  t.equal(ok.ok && ok.subscriber?.msisdn, '31611111111');
  t.ok(sync(a.check('::ffff:10.1.2.3')).ok, 'IPv4-mapped IPv6 source');
  t.same(a.check('10.9.9.9'), { ok: false, reason: 'no-subscriber' });
  t.same(a.check('192.168.1.1'), { ok: false, reason: 'network' });
  t.same(a.check('127.0.0.1'), { ok: false, reason: 'network' });
  const v6 = sync(a.check('2001:db8:1:2:aaaa:bbbb:cccc:dddd'));
  t.equal(v6.ok && v6.subscriber?.msisdn, '31622222222', 'IPv6 by /64');
  t.same(a.check('2001:db8:1:3::1'), { ok: false, reason: 'no-subscriber' });
  t.same(a.check('garbage'), { ok: false, reason: 'network' });
});

t.test('a source checked again: the same network verdict, and its subscriber looked up live each time', async (t) => {
  const cfg = parseConfig({ proxy: { allowedNetworks: ['10.0.0.0/8'] } });
  const live = new MemorySubscribers([{ key: '10.1.2.3', msisdn: '31611111111' }]);
  const a = new AccessPolicy({ config: cfg, subscribers: live });
  for (let i = 0; i < 3; i++) {
    t.same(a.check('192.168.1.1'), { ok: false, reason: 'network' }, `outside, check ${i + 1}`);
    t.same(a.check('garbage'), { ok: false, reason: 'network' });
    const r = sync(a.check('::ffff:10.1.2.3'));
    t.equal(r.ok && r.subscriber?.msisdn, '31611111111', `mapped form, check ${i + 1}`);
  }
  live.unbind('10.1.2.3');
  t.same(a.check('::ffff:10.1.2.3'), { ok: false, reason: 'no-subscriber' }, 'a binding gone is seen at once');
});

t.test('requireSubscriber false lets unbound sources in the network through', async (t) => {
  const cfg = parseConfig({ proxy: { allowedNetworks: ['10.0.0.0/8'], requireSubscriber: false } });
  const a = new AccessPolicy({ config: cfg, subscribers: subs });
  t.same(a.check('10.9.9.9'), { ok: true });
  t.same(a.check('11.0.0.1'), { ok: false, reason: 'network' }, 'network still applies');
});

t.test('upstream allowlist: exact origins only', async (t) => {
  const cfg = parseConfig({
    mmsc: { url: 'http://MMSC.Example.com/mms', allowedOrigins: ['http://10.0.0.5:8002', 'https://[2001:DB8::5]', 'http://mms2.example:80'] },
  });
  const u = new UpstreamPolicy({ config: cfg });
  t.same(u.origins.sort(), ['http://10.0.0.5:8002', 'http://mmsc.example.com:80', 'http://mms2.example:80', 'https://[2001:db8::5]:443'].sort());
  const yes = (s: string) => t.ok(u.check(s).ok, `allowed: ${s}`);
  const no = (s: string, reason: string) => {
    const r = u.check(s);
    t.equal(r.ok ? 'ok' : r.reason, reason, `refused (${reason}): ${s}`);
  };
  yes('http://mmsc.example.com/mms');
  yes('http://MMSC.EXAMPLE.COM:80/mms?x=1');
  yes('HTTP://mmsc.example.com:80/x');
  yes('http://mms2.example/');
  yes('http://10.0.0.5:8002/a');
  yes('https://[2001:db8::5]/x');
  yes('https://[2001:db8:0:0:0:0:0:5]:443/x');
  yes('http://0x0a.0.0.5:8002/x'); // the same IPv4 literal written in hex
  no('http://mmsc.example.com:8080/mms', 'origin');
  no('https://mmsc.example.com/mms', 'origin');
  no('http://mmsc.example.com./mms', 'origin');
  no('http://evil.example/mms', 'origin');
  no('http://10.0.0.5/a', 'origin');
  no('http://10.0.0.6:8002/a', 'origin');
  no('http://[2001:db8::5]/x', 'origin');
  no('https://[2001:db8::6]/x', 'origin');
  no('http://user@mmsc.example.com/mms', 'userinfo');
  no('http://mmsc.example.com:80@evil.example/mms', 'userinfo');
  no('http://mmsc.example.com@evil.example/', 'userinfo');
  no('http://:pw@mmsc.example.com/', 'userinfo');
  no('http://evil.example\\@mmsc.example.com/', 'origin'); // WHATWG: the backslash ends the authority
  no('http://evil.example#@mmsc.example.com/', 'origin');
  no('ftp://mmsc.example.com/', 'scheme');
  no('http://[::1', 'bad-url');
  no('mmsc.example.com:80', 'scheme');
});

t.test('origin-form goes to mmsc.url and cannot become another host', async (t) => {
  const u = new UpstreamPolicy({ config: parseConfig({ mmsc: { url: 'http://127.0.0.1:8942/mms' } }) });
  t.equal(u.defaultOrigin, 'http://127.0.0.1:8942');
  t.equal(u.resolveOriginForm('/mms?a=b')?.href, 'http://127.0.0.1:8942/mms?a=b');
  const sneaky = u.resolveOriginForm('//evil.example/x');
  t.equal(sneaky?.host, '127.0.0.1:8942');
  t.equal(u.resolveOriginForm('/\\evil.example/x')?.host, '127.0.0.1:8942');
  t.equal(u.resolveOriginForm('@evil.example/x'), null);
  t.equal(u.resolveOriginForm('*'), null);
});

t.test('originKey', async (t) => {
  t.equal(originKey(new URL('http://a.b')), 'http://a.b:80');
  t.equal(originKey(new URL('https://a.b:8443/x')), 'https://a.b:8443');
  t.equal(originKey(new URL('ftp://a.b')), null);
});

t.test('property: no URL whose host is not exactly an allowed origin passes', async (t) => {
  const fc = await import('fast-check');
  const u = new UpstreamPolicy({ config: parseConfig({ mmsc: { url: 'http://mmsc.example:8002/mms' } }) });
  const piece = fc.constantFrom('mmsc.example', 'mmsc.example:8002', 'evil.example', '@', ':', '/', '\\', '#', '?', '%40', '.', '8002', '[::1]', '127.0.0.1', ' ');
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), fc.constantFrom('http://', 'HTTP://', 'https://'), (parts, scheme) => {
      const s = scheme + parts.join('');
      const r = u.check(s);
      if (!r.ok) return true;
      const p = new URL(s);
      return p.protocol === 'http:' && p.hostname === 'mmsc.example' && p.port === '8002' && p.username === '' && p.password === '';
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random authorities');
});

t.test('UpstreamPolicy.check: a target checked again gives the same verdict as the first time, kept and read-only', async (t) => {
  const u = new UpstreamPolicy({ config: parseConfig({ mmsc: { url: 'http://mmsc.example:8002/mms' } }) });
  const target = 'http://mmsc.example:8002/mms?id=1';
  const first = u.check(target);
  t.match(first, { ok: true, origin: 'http://mmsc.example:8002' });
  const again = u.check(target);
  t.equal(again, first, 'kept');
  t.ok(Object.isFrozen(first));
  t.equal(first.ok && first.url.href, target, 'its URL is the target');
  t.match(u.check('http://evil.example/mms'), { ok: false, reason: 'origin' });
  t.match(u.check('http://evil.example/mms'), { ok: false, reason: 'origin' }, 'a refusal kept is a refusal');
  t.match(u.check('not a url'), { ok: false, reason: 'bad-url' });
  t.match(u.check('http://user:pw@mmsc.example:8002/mms'), { ok: false, reason: 'userinfo' });
  const long = `http://mmsc.example:8002/${'x'.repeat(2000)}`;
  const l1 = u.check(long);
  t.match(l1, { ok: true });
  t.not(u.check(long), l1, 'a long target is checked each time, not kept');
  // more distinct targets than are kept: each still gets its own right verdict
  for (let i = 0; i < 600; i++) {
    const v = u.check(`http://mmsc.example:8002/m/${i}`);
    if (!v.ok || v.url.pathname !== `/m/${i}`) t.fail(`target ${i}`);
  }
  t.match(u.check(target), { ok: true, url: { search: '?id=1' } }, 'after the kept ones were forgotten');
});
