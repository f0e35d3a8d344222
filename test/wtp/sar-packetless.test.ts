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
