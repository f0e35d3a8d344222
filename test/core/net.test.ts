import t from 'tap';
import { NetworkList, normalizeAddress, parseCidr, sourceKey, subscriberKey } from '../../src/core/net';

t.test('CIDR membership, IPv4 and IPv6', async (t) => {
  const n = new NetworkList(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32']);
  t.ok(n.contains('10.1.2.3'));
  t.ok(n.contains('::ffff:10.1.2.3'), 'IPv4-mapped');
  t.notOk(n.contains('11.0.0.1'));
  t.ok(n.contains('192.168.1.7'));
  t.notOk(n.contains('192.168.1.8'));
  t.ok(n.contains('2001:db8:1::5'));
  t.notOk(n.contains('2001:db9::1'));
  t.notOk(n.contains('garbage'));
  t.ok(new NetworkList(['0.0.0.0/0']).contains('8.8.8.8'));
  t.notOk(new NetworkList(['0.0.0.0/0']).contains('::1'), 'families do not mix');
});

t.test('remembered answers stay right and the memo stays bounded', async (t) => {
  const n = new NetworkList(['10.0.0.0/8']);
  for (let round = 0; round < 2; round++) {
    t.ok(n.contains('10.9.9.9'), `inside, round ${round}`);
    t.notOk(n.contains('11.9.9.9'), `outside, round ${round}`);
  }
  let inside = 0;
  const many = NetworkList.MEMO_MAX * 2 + 10;
  for (let i = 0; i < many; i++) if (n.contains(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)) inside++;
  t.equal(inside, many, 'every one of many sources answered right');
  t.ok((n as unknown as { memo: Map<string, boolean> }).memo.size <= NetworkList.MEMO_MAX, 'bounded');
  t.notOk(n.contains('11.0.0.1'), 'still right after the memo was emptied');
});

t.test('bad CIDRs are reported', async (t) => {
  t.type(parseCidr('10.0.0.0/33'), 'string');
  t.type(parseCidr('10.0.0/8'), 'string');
  t.type(parseCidr('2001:db8::/129'), 'string');
  t.type(parseCidr('1.2.3.4/8/9'), 'string');
  t.throws(() => new NetworkList(['nope']));
});

t.test('subscriber keys', async (t) => {
  t.equal(subscriberKey('::ffff:10.0.0.1'), '10.0.0.1');
  t.equal(subscriberKey('2001:db8:aa:bb:1:2:3:4'), '2001:db8:aa:bb::/64');
  t.equal(subscriberKey('2001:db8:aa:bb::9'), '2001:db8:aa:bb::/64');
  t.equal(subscriberKey('x'), null);
  t.equal(subscriberKey('10.1.2.3'), '10.1.2.3');
  t.equal(subscriberKey('10.01.2.3'), null, 'leading zeros are not an address here (nor in the fast path)');
  t.equal(subscriberKey('256.1.2.3'), null);
  t.equal(normalizeAddress('[::1]'), '::1');
});

t.test('source keys: what per-source limits count under', async (t) => {
  t.equal(sourceKey('10.1.2.3'), '10.1.2.3');
  t.equal(sourceKey('2001:db8:aa:bb::1'), sourceKey('2001:db8:aa:bb:ffff::2'), 'one IPv6 /64 is one source');
  t.not(sourceKey('2001:db8:aa:bb::1'), sourceKey('2001:db8:aa:bc::1'));
  t.equal(sourceKey('not-an-address'), 'not-an-address', 'anything else counts as itself');
});
