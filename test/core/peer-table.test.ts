// src/core/peer.ts: a bearer's peers carry their key, computed once, and are reused per address.
import t from 'tap';
import { PeerTable, makePeer, peerKey, peerSource } from '../../src/core/peer';
import { sourceKey } from '../../src/core/net';

t.test('makePeer: the same key as peerKey, not enumerable', async (t) => {
  const p = makePeer('10.1.2.3', 49152, 4);
  t.equal(peerKey(p), '10.1.2.3:49152');
  t.equal(peerKey(makePeer('2001:db8::1', 9201, 6)), '[2001:db8::1]:9201');
  t.equal(peerKey(p), peerKey({ address: '10.1.2.3', port: 49152, family: 4 }));
  t.same(Object.keys(p).sort(), ['address', 'family', 'port'], 'the key is not a visible field');
  t.same(JSON.parse(JSON.stringify(p)), { address: '10.1.2.3', port: 49152, family: 4 });
});

t.test('PeerTable: one object per address and port, bounded', async (t) => {
  const table = new PeerTable(3);
  const a = table.get('10.0.0.1', 1000, 4);
  t.equal(table.get('10.0.0.1', 1000, 4), a, 'the same object for the same address and port');
  const b = table.get('10.0.0.1', 1001, 4);
  t.not(b, a, 'another port is another peer');
  t.equal(peerKey(b), '10.0.0.1:1001');
  table.get('10.0.0.2', 1000, 4);
  // full: the next new address starts over; a peer made again is equal to the old one
  table.get('10.0.0.3', 1000, 4);
  const again = table.get('10.0.0.1', 1000, 4);
  t.not(again, a, 'forgotten when the table was full');
  t.same(again, a);
  t.equal(peerKey(again), peerKey(a));
});

t.test('a peer made once carries its source key: the address (IPv4) or its /64 (IPv6), not enumerable', async (t) => {
  const v4 = makePeer('10.1.2.3', 9201, 4);
  t.equal(v4.source, '10.1.2.3');
  t.equal(peerSource(v4), sourceKey('10.1.2.3'));
  const v6 = makePeer('2001:db8:1:2:3:4:5:6', 9201, 6);
  t.equal(v6.source, '2001:db8:1:2::/64', 'the /64 a phone cannot escape a per-source limit by moving in');
  t.equal(peerSource(v6), sourceKey('2001:db8:1:2:3:4:5:6'));
  t.same(Object.keys(v6), ['address', 'port', 'family'], 'reads as its address, port and family');
  t.equal(peerSource({ address: '2001:db8:1:2::9', port: 1, family: 6 }), '2001:db8:1:2::/64', 'a peer made elsewhere: computed');
});
