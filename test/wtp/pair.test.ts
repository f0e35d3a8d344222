// The responder against the test handset over a simulated lossy link (test/helpers/lossy-link.ts):
// simulated time, seeded randomness. Every transaction completes at 5-30 % loss with duplication
// and reordering, every request is indicated exactly once, big Results and segmented POSTs go
// through, and a Negative Ack gets exactly the missing packets back.
import t from 'tap';
import { Pair, Rng, type HandsetTx } from '../helpers/lossy-link';
import type { TxId } from '../../src/wtp';

function countPerTx(p: Pair): Map<TxId, number> {
  const m = new Map<TxId, number>();
  for (const i of p.invokeInds) m.set(i.txn, (m.get(i.txn) ?? 0) + 1);
  return m;
}

for (const loss of [0.05, 0.15, 0.3]) {
  t.test(`${loss * 100} % loss, duplication, reordering: every transaction completes, once`, async (t) => {
    for (const seed of [1, 2, 3]) {
      const p = new Pair({
        seed,
        link: { loss, duplicate: 0.1, reorder: 0.1, delayMs: 30, jitterMs: 20 },
        config: { wtp: { sar: { segmentSize: 1000, groupSize: 4 } } },
        respond: (req) => Buffer.concat([Buffer.from('R:'), req.subarray(0, 2), Buffer.alloc(req[0] === 0x42 ? 12_000 : 50, req[1])]),
        userDelayMs: 40,
      });
      const rng = new Rng(seed * 7);
      const txs: Array<{ tx: HandsetTx; req: Buffer }> = [];
      for (let h = 0; h < 4; h++) {
        const hs = p.handset(undefined, { retryMs: 1200, maxRetries: 60 });
        for (let i = 0; i < 5; i++) {
          // small GETs, big GETs (segmented Result) and 5 KB POSTs (segmented Invoke)
          const kind = i % 3;
          const req = kind === 2 ? Buffer.concat([Buffer.from([0x50, i]), rng.bytes(5000)]) : Buffer.from([kind === 1 ? 0x42 : 0x47, i]);
          txs.push({ tx: hs.invoke(req, { segmentSize: 1200, groupSize: 3 }), req });
        }
      }
      const done = p.run(() => txs.every(({ tx }) => tx.finished), 3_600_000);
      t.ok(done, `seed ${seed}: all finished`);
      const bad = txs.filter(({ tx }) => tx.phase !== 'done');
      t.same(bad.map(({ tx }) => `${tx.tid}:${tx.phase}:${JSON.stringify(tx.abort)}`), [], `seed ${seed}: all done`);
      for (const { tx, req } of txs) {
        const want = Buffer.concat([Buffer.from('R:'), req.subarray(0, 2), Buffer.alloc(req[0] === 0x42 ? 12_000 : 50, req[1])]);
        if (!tx.result?.equals(want)) t.fail(`seed ${seed} tid ${tx.tid}: result differs`);
      }
      const per = countPerTx(p);
      t.equal(per.size, txs.length, `seed ${seed}: every request indicated`);
      t.ok([...per.values()].every((n) => n === 1), `seed ${seed}: exactly once each`);
      for (const i of p.invokeInds) {
        const match = txs.find(({ req }) => req.equals(i.data));
        if (!match) t.fail('an indicated request is not byte-identical to one sent');
      }
    }
  });
}

t.test('300 KB and 1 MB Results at 10 % loss', async (t) => {
  for (const size of [300_000, 1 << 20]) {
    const body = new Rng(size).bytes(size);
    const p = new Pair({ seed: 9, link: { loss: 0.1, duplicate: 0.05, reorder: 0.05, delayMs: 25, jitterMs: 10 }, respond: () => body });
    const tx = p.handset().invoke(Buffer.from('GET big'));
    t.ok(p.run(() => tx.finished && p.resultCnfs.length > 0, 3_600_000));
    t.equal(tx.phase, 'done', `${size}: done`);
    t.ok(tx.result?.equals(body), `${size}: byte-identical`);
    t.equal(p.invokeInds.length, 1);
    const segs = p.sent.filter((d) => d.dir === 'down' && (d.pdu.type === 'Result' || d.pdu.type === 'SegmentedResult') && !d.pdu.rid);
    t.ok(segs.length <= 256, `${size}: ${segs.length} packets first time (PSN is 8 bits)`);
    t.equal(p.resultCnfs.length, 1, 'TR-Result.cnf');
  }
});

t.test('NAck: only the missing segments are sent again', async (t) => {
  const body = new Rng(5).bytes(20_000);
  const p = new Pair({ seed: 3, respond: () => body, config: { wtp: { sar: { segmentSize: 1000, groupSize: 8 } } } });
  const dropped = new Set([3, 5]);
  p.filter = (d) => {
    if (d.dir !== 'down' || d.pdu.type !== 'SegmentedResult' || d.pdu.rid) return true;
    return !dropped.has(d.pdu.psn);
  };
  const tx = p.handset().invoke(Buffer.from('GET'));
  t.ok(p.run(() => tx.finished));
  t.equal(tx.phase, 'done');
  t.ok(tx.result?.equals(body));
  t.equal(tx.nacksSent, 1, 'one Negative Ack');
  const resent = p.sent.filter((d) => d.dir === 'down' && d.pdu.type === 'SegmentedResult' && d.pdu.rid).map((d) => (d.pdu as { psn: number }).psn);
  t.same(resent, [3, 5], 'exactly PSN 3 and 5, with RID');
});

t.test('a segmented 30 KB POST at 20 % loss with duplicates reaches the user once, byte-identical', async (t) => {
  for (const seed of [11, 12, 13, 14]) {
    const post = new Rng(seed).bytes(30_000);
    const p = new Pair({ seed, link: { loss: 0.2, duplicate: 0.2, reorder: 0.1, delayMs: 30, jitterMs: 30 } });
    const tx = p.handset(undefined, { retryMs: 1000, maxRetries: 80 }).invoke(post, { segmentSize: 1200, groupSize: 4 });
    t.ok(p.run(() => tx.finished, 3_600_000));
    t.equal(tx.phase, 'done', `seed ${seed}`);
    t.equal(p.invokeInds.length, 1, `seed ${seed}: once`);
    t.ok(p.invokeInds[0]?.data.equals(post), `seed ${seed}: byte-identical`);
  }
});

t.test('TID verification paths over the link', async (t) => {
  const p = new Pair({ seed: 4 });
  const hs = p.handset('10.1.1.1:5000', { firstTid: 100 });
  const tves = () => p.sent.filter((d) => d.dir === 'down' && d.pdu.type === 'Ack' && d.pdu.tveTok).length;
  const a = hs.invoke(Buffer.from('first'));
  t.ok(p.run(() => a.finished));
  t.equal(a.phase, 'done', 'an unknown initiator is verified, then served');
  t.equal(tves(), 1, 'one Ack(TIDve)');
  const b = hs.invoke(Buffer.from('second'));
  t.ok(p.run(() => b.finished));
  t.equal(tves(), 1, 'next TID in window: no verification');
  // A stale duplicate of a finished transaction after W: verified, refused by the handset, never indicated.
  p.run(() => false, 120_000);
  const before = p.invokeInds.length;
  p.transmit('up', hs.peer, { type: 'Invoke', tid: 100, tpis: [], gtr: false, ttr: true, rid: true, version: 0, tidNew: false, up: true, tcl: 2, data: Buffer.from('first') });
  p.run(() => false, 60_000);
  t.equal(p.invokeInds.length, before, 'no second indication');
  t.equal(tves(), 2, 'the stale TID was questioned');
  t.ok(p.sent.some((d) => d.dir === 'up' && d.pdu.type === 'Abort' && d.pdu.reason === 2), 'handset answered Abort INVALIDTID');
  // A TIDnew Invoke (the handset rebooted) is verified again and served.
  const c = hs.invoke(Buffer.from('after reboot'), { tidNew: true, tid: 3 });
  t.ok(p.run(() => c.finished));
  t.equal(c.phase, 'done');
  t.equal(tves(), 3);
});

t.test('timers with the simulated clock: a silent handset gets R retries then Abort; slow user gets hold-on', async (t) => {
  const p = new Pair({ seed: 5, userDelayMs: 10_000 });
  const hs = p.handset();
  const tx = hs.invoke(Buffer.from('slow'));
  t.ok(p.run(() => tx.finished, 120_000));
  t.equal(tx.phase, 'done');
  const holdOn = p.sent.filter((d) => d.dir === 'down' && d.pdu.type === 'Ack' && !d.pdu.tveTok);
  t.ok(holdOn.length >= 1, 'hold-on Ack while the user is slow');
  const invokes = p.sent.filter((d) => d.dir === 'up' && d.pdu.type === 'Invoke').length;
  t.ok(invokes <= 2, `handset stopped retransmitting after the hold-on (${invokes} Invokes)`);

  const q = new Pair({ seed: 6, config: { wtp: { maxRetransmissions: 3 } } });
  q.filter = (d) => !(d.dir === 'up' && d.pdu.type === 'Ack' && !d.pdu.tveTok); // the handset's Acks never arrive
  const lost = q.handset().invoke(Buffer.from('x'));
  q.run(() => q.abortInds.length > 0, 600_000);
  t.equal(q.abortInds[0]?.reason, 8, 'NORESPONSE after R x 3');
  const results = q.sent.filter((d) => d.dir === 'down' && d.pdu.type === 'Result').length;
  t.equal(results, 4, 'first Result + 3 retransmissions');
  t.ok(lost.result, 'the handset had the data; only its Acks were lost');
});
