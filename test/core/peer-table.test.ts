// src/core/peer.ts: a bearer's peers carry their key, computed once, and are reused per address.
import t from 'tap';
import { PeerTable, makePeer, peerKey } from '../../src/core/peer';

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
