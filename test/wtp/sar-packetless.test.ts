// withoutPackets (src/wtp/sar.ts): what a transaction keeps of its reassembly state once the
// message is delivered or the transaction is finished: the two PSNs, no packets, one shared
// record per pair.
import t from 'tap';
import { absorb, emptyInbound, withoutPackets } from '../../src/wtp/sar';

t.test('keeps the PSNs, drops the packets, shares one record per pair', async (t) => {
  let inb = absorb(emptyInbound, 0, Buffer.from('ab'), false, false);
  inb = absorb(inb, 1, Buffer.from('cd'), true, true);
  t.equal(inb.bytes, 4);
  const kept = withoutPackets(inb);
  t.same({ segs: kept.segs, bytes: kept.bytes, groupEnds: kept.groupEnds, ttrPsn: kept.ttrPsn, ackedPsn: kept.ackedPsn }, { segs: [], bytes: 0, groupEnds: [], ttrPsn: inb.ttrPsn, ackedPsn: inb.ackedPsn });
  t.equal(kept.ttrPsn, 1, 'the TTR packet was PSN 1');
  t.equal(withoutPackets(inb), kept, 'the same record for the same pair');
  t.equal(withoutPackets(kept), kept, 'and for itself');
  const single = withoutPackets(absorb(emptyInbound, 0, Buffer.from('x'), true, true));
  t.not(single, kept, 'another pair, another record');
  t.equal(single.ttrPsn, 0);
  t.equal(single.ackedPsn, -1);
  t.equal(inb.segs.length, 2, 'the original state is untouched');
});

t.test('a single-packet message into nothing held: the packet, its octets, the PSNs kept (the short path of absorb)', async (t) => {
  const data = Buffer.from('hello');
  const one = absorb(emptyInbound, 0, data, true, true);
  t.same({ bytes: one.bytes, groupEnds: one.groupEnds, ttrPsn: one.ttrPsn, ackedPsn: one.ackedPsn }, { bytes: 5, groupEnds: [], ttrPsn: 0, ackedPsn: -1 });
  t.equal(one.segs.length, 1);
  t.equal(one.segs[0], data, 'the packet itself, no copy');
  t.equal(emptyInbound.segs.length, 0, 'the shared empty state is untouched');
  // into a packetless state (a finished transaction's): its acknowledged PSN stays
  const acked = withoutPackets({ ...emptyInbound, ttrPsn: 0, ackedPsn: 0 });
  const again = absorb(acked, 0, data, true, true);
  t.equal(again.ackedPsn, 0, 'the acknowledged PSN is kept');
  t.equal(again.bytes, 5);
  t.equal(acked.segs.length, 0, 'the shared packetless record is untouched');
  // a first packet that is not the last goes the general way and is not complete
  const first = absorb(emptyInbound, 0, data, true, false);
  t.equal(first.ttrPsn, -1);
  t.same(first.groupEnds, [0]);
});
