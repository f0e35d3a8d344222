// The packed table of finished transactions (src/wtp/finished.ts) and the WAIT_TIMEOUT behaviour
// of the responder over it (WAP-224 §9.3.2: a finished transaction absorbs late duplicates until
// timer W, then is forgotten). Manual clock, no sockets.
import t from 'tap';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import type { Ack, Invoke, SegmentedInvoke, WtpPdu } from '../../src/codec/wtp/types';
import type { Peer } from '../../src/core/peer';
import { FinishedTable } from '../../src/wtp/finished';
import { newTx, type Limits, type TxRecord } from '../../src/wtp/machine';
import { withoutPackets, emptyInbound } from '../../src/wtp/sar';
import { WtpResponder, type WtpAction } from '../../src/wtp';
import { v4 } from '../helpers/peer';

const PEER = v4('10.0.0.1:40000');
const LIMITS: Limits = { ackIntervalMs: 1, retryIntervalMs: 1, waitTimeoutMs: 100, maxRetransmissions: 1, ackExpiryMax: 1, nackDelayMs: 1, groupSize: 1, maxMessageSize: 1000 };

const inv = (tid: number, o: Partial<Invoke> = {}): Invoke => ({
  type: 'Invoke', tid, tpis: [], gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2, data: Buffer.from('GET /x'), ...o,
});
const seg = (tid: number, psn: number, data: Buffer, o: Partial<SegmentedInvoke> = {}): SegmentedInvoke => ({
  type: 'SegmentedInvoke', tid, tpis: [], gtr: false, ttr: false, rid: false, psn, data, ...o,
});
const ack = (tid: number, o: Partial<Ack> = {}): Ack => ({ type: 'Ack', tid, tpis: [], tveTok: false, rid: false, ...o });
const sent = (as: WtpAction[]): WtpPdu[] => as.flatMap((a) => (a.kind === 'send' ? a.pdus : []));
const inds = (as: WtpAction[]) => as.filter((a): a is Extract<WtpAction, { kind: 'TR-Invoke.ind' }> => a.kind === 'TR-Invoke.ind');

function record(tid: number, o: Partial<TxRecord> = {}, peer: Peer = PEER): TxRecord {
  return { ...(newTx(peer, inv(tid), LIMITS) as TxRecord), state: 'WAIT_TIMEOUT', outcome: 'completed', ...o };
}

function mk(config: ConfigInput = {}) {
  const cfg = configSchema.parse(config);
  return { r: new WtpResponder({ config: cfg }), cfg };
}

/** A verified class 2 transaction of `tid` from `peer`, driven to WAIT_TIMEOUT at about `now`. */
function finishClass2(r: WtpResponder, tid: number, now: number, peer: Peer = PEER): number {
  const ind = inds(r.receive(inv(tid), peer, now))[0];
  if (!ind) throw new Error(`no TR-Invoke.ind for TID ${tid}`);
  r.resultReq(ind.txn, Buffer.from('reply'), now);
  r.receive(ack(tid), peer, now);
  return ind.txn;
}

/** Makes `peer` verified (its first TID through Ack(TIDok)); that transaction is then aborted by the user. */
function verified(r: WtpResponder, tid: number, peer: Peer = PEER): void {
  r.receive(inv(tid), peer, 0);
  const ind = inds(r.receive(ack(tid, { tveTok: true }), peer, 0))[0];
  if (!ind) throw new Error('not verified');
  r.abortReq(ind.txn, 0xe1, 0);
}

t.test('FinishedTable: a record comes back with what the WAIT_TIMEOUT rows read', async (t) => {
  const left: Peer[] = [];
  const f = new FinishedTable(10, (p) => left.push(p));
  const inbound = withoutPackets({ ...emptyInbound, ttrPsn: 4, ackedPsn: 3 });
  f.add(7, record(0x1234, { tcl: 1, uack: false, holdOnSent: true, tidVerified: true, sar: true, inbound }), 500);
  f.add(8, record(0x0001, { tcl: 2, uack: true, holdOnSent: false, tidVerified: false, sar: false }), 600);
  const a = f.restore(7, 100, LIMITS);
  t.match(a, { state: 'WAIT_TIMEOUT', peer: PEER, tid: 0x1234, tcl: 1, uack: false, holdOnSent: true, tidVerified: true, sar: true, outcome: 'completed', outbound: undefined });
  t.equal(a?.inbound, inbound, 'the shared packet-less reassembly record of its two PSNs');
  t.equal(a?.timers.W, 500, 'timer W is its deadline');
  t.equal(a?.limits, LIMITS);
  t.match(f.restore(8, 100, LIMITS), { tid: 1, tcl: 2, uack: true, holdOnSent: false, tidVerified: false, sar: false });
  t.equal(f.restore(8, 100, LIMITS)?.inbound.ttrPsn, -1);
  t.equal(f.restore(9, 100, LIMITS), undefined, 'never held');
  t.equal(f.restore(7, 500, LIMITS)?.tid, 0x1234, 'live through its deadline');
  t.equal(f.restore(7, 501, LIMITS), undefined, 'gone after it');
  t.equal(f.size, 2);
  t.equal(f.remove(7), true);
  t.equal(f.remove(7), false);
  t.equal(f.size, 1);
  t.same(left, [PEER], 'told once of the one that left');
});

t.test('FinishedTable: purged in deadline order, bounded, and its ring grows and compacts', async (t) => {
  const left: number[] = [];
  const peers = Array.from({ length: 5000 }, (_, i) => v4(`10.1.${i >> 8}.${i & 0xff}:1`));
  const f = new FinishedTable(3000, (p) => left.push(peers.indexOf(p)));
  for (let i = 0; i < 3000; i++) f.add(i, record(i & 0x7fff, {}, peers[i]), 1000 + i);
  t.equal(f.size, 3000, 'grown past its first ring');
  // forget every third from the middle, then refill: the freed slots are reclaimed, nothing lost
  for (let i = 1000; i < 2000; i += 3) f.remove(i);
  const removed = left.length;
  for (let i = 3000; i < 3000 + removed; i++) f.add(i, record(i & 0x7fff, {}, peers[i]), 1000 + i);
  t.equal(f.size, 3000);
  t.equal(left.length, removed, 'nothing pushed out while the bound had room');
  for (let i = 0; i < 3000 + removed; i++) {
    const held = !(i >= 1000 && i < 2000 && (i - 1000) % 3 === 0);
    if ((f.restore(i, 0, LIMITS) !== undefined) !== held) t.fail(`key ${i}: held ${!held}`);
    else if (held && f.restore(i, 0, LIMITS)?.peer !== peers[i]) t.fail(`key ${i}: wrong peer`);
  }
  // at the bound, the oldest goes first
  f.add(9000, record(1, {}, peers[4999]), 9000);
  t.equal(f.size, 3000);
  t.equal(left[left.length - 1], 0, 'the oldest (key 0) was pushed out');
  t.equal(f.restore(0, 0, LIMITS), undefined);
  // purge: everything whose deadline has passed, oldest first, told one by one
  const before = left.length;
  f.purge(1000 + 1500);
  t.equal(f.restore(1499, 0, LIMITS), undefined);
  t.ok(f.restore(1502, 0, LIMITS), 'a later deadline stays');
  const purged = left.slice(before);
  t.ok(purged.every((k, i) => i === 0 || k > (purged[i - 1] as number)), 'oldest first');
  t.ok(purged.every((k) => k >= 1 && k <= 1500), 'only the expired');
  f.purge(1e9);
  t.equal(f.size, 0);
  t.equal(left.length, 3000 + removed + 1, 'every transaction that entered left exactly once');
});

t.test('class 2 in WAIT_TIMEOUT: a retransmitted Invoke is absorbed, nothing sent, nothing indicated', async (t) => {
  const { r } = mk();
  verified(r, 1);
  const txn = finishClass2(r, 2, 10);
  t.equal(r.stateOf(txn), 'WAIT_TIMEOUT');
  const as = r.receive(inv(2, { rid: true }), PEER, 11);
  t.same(as, [], 'duplicate absorbed');
  t.equal(r.stateOf(txn), 'WAIT_TIMEOUT', 'and still remembered');
  t.same(r.receive(ack(2), PEER, 12), [], 'a late Ack: ignored');
  t.same(r.resultReq(txn, Buffer.from('again'), 13), [], 'a user primitive on a finished transaction: ignored');
  t.equal(r.stateOf(txn), 'WAIT_TIMEOUT');
});

t.test('class 1 in WAIT_TIMEOUT: a retransmitted segmented Invoke gets its Ack again, with the last PSN', async (t) => {
  const { r } = mk();
  verified(r, 1);
  r.receive(inv(3, { tcl: 1, ttr: false, gtr: false, data: Buffer.from('part one ') }), PEER, 1);
  const as0 = r.receive(seg(3, 1, Buffer.from('part two'), { ttr: true }), PEER, 2);
  const ind = inds(as0)[0];
  t.ok(ind, 'reassembled and indicated');
  const first = sent(r.invokeRes(ind!.txn, 3));
  t.match(first, [{ type: 'Ack', tid: 0x8003, tpis: [{ tpi: 'PSN', psn: 1 }], rid: false }], 'the Ack that ends class 1');
  t.equal(r.stateOf(ind!.txn), 'WAIT_TIMEOUT');
  const again = sent(r.receive(inv(3, { tcl: 1, ttr: false, rid: true, data: Buffer.from('part one ') }), PEER, 4));
  t.same(again, first, 'the same Ack again, PSN TPI included');
  t.equal(inds(r.receive(seg(3, 1, Buffer.from('part two'), { ttr: true, rid: true }), PEER, 5)).length, 0, 'never indicated twice');
});

t.test('WAIT_TIMEOUT ends on an Abort from the peer, on timer W, and on a new Invoke reusing the TID', async (t) => {
  const { r, cfg } = mk();
  verified(r, 1);
  const a = finishClass2(r, 2, 10);
  r.receive({ type: 'Abort', tid: 2, tpis: [], abortType: 'user', reason: 0xe1 }, PEER, 11);
  t.equal(r.stateOf(a), undefined, 'Abort: forgotten');
  const b = finishClass2(r, 3, 20);
  r.tick(20 + cfg.wtp.waitTimeoutMs);
  t.equal(r.stateOf(b), 'WAIT_TIMEOUT', 'kept through W');
  r.tick(21 + cfg.wtp.waitTimeoutMs + 10_000);
  t.equal(r.stateOf(b), undefined, 'forgotten after W');
  const c = finishClass2(r, 4, 30_000 + 40_000);
  const as = r.receive(inv(4, { data: Buffer.from('GET /new') }), PEER, 70_001);
  t.not(r.stateOf(c), 'WAIT_TIMEOUT', 'a first transmission (RID = 0) of the TID is a new transaction');
  t.ok(sent(as).length > 0 || inds(as).length > 0, 'and handled as one');
});

t.test('finished transactions release their peer number with the last of them', async (t) => {
  const { r, cfg } = mk();
  const other = v4('10.0.0.2:40000');
  verified(r, 1);
  verified(r, 1, other);
  finishClass2(r, 2, 5);
  finishClass2(r, 2, 5, other);
  t.equal(r.peerNumbers, 2);
  t.equal(r.size, 2);
  r.tick(6 + cfg.wtp.waitTimeoutMs + 10_000);
  t.equal(r.size, 0, 'every finished transaction forgotten');
  t.equal(r.peerNumbers, 0, 'and no peer numbered');
});

t.test('the bound covers both tables: the oldest finished transaction goes before any active one', async (t) => {
  const { r } = mk({ wtp: { maxTransactions: 4 } });
  verified(r, 1);
  const done = [finishClass2(r, 2, 1), finishClass2(r, 3, 2)];
  t.equal(r.size, 2, 'two finished');
  const active: number[] = [];
  for (const tid of [4, 5, 6]) {
    // the third pushes out the older finished one
    const as = r.receive(inv(tid), PEER, 3);
    t.same(sent(as).filter((p) => p.type === 'Abort'), [], `TID ${tid}: nothing aborted`);
    active.push(inds(as)[0]!.txn);
  }
  t.equal(r.size, 4, 'at the bound');
  t.equal(r.stateOf(done[0]!), undefined, 'an older finished one went');
  for (const txn of active) t.equal(r.stateOf(txn), 'INVOKE_RESP_WAIT', 'the active ones stay');
});
