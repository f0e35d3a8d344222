// WtpResponder driven PDU by PDU with a manual clock (WAP-224 §9): classes, timers A/R/W, TID
// verification, duplicates, aborts, SAR both ways, limits, metrics. No sockets, no sleeping.
import t from 'tap';
import { wtpReporter } from '../../src/edge/wtp-report';
import { configSchema, type ConfigInput } from '../../src/config/schema';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { PROVIDER_ABORT, type Ack, type Invoke, type SegmentedInvoke, type WtpPdu, type Tpi } from '../../src/codec/wtp/types';
import { NO_TXN, WtpResponder, type WtpAction } from '../../src/wtp';
import { pduSize } from '../../src/wtp/wire-size';
import { v4 } from '../helpers/peer';

const PEER = v4('10.0.0.1:40000');

function mk(config: ConfigInput = {}) {
  const metrics = new Metrics();
  const cfg = configSchema.parse(config);
  const r = new WtpResponder({ config: cfg, report: wtpReporter(metrics, silentLogger()) });
  return { r, metrics, cfg };
}

const inv = (tid: number, o: Partial<Invoke> = {}): Invoke => ({
  type: 'Invoke', tid, tpis: [], gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2, data: Buffer.from('GET /x'), ...o,
});
const seg = (tid: number, psn: number, data: Buffer, o: Partial<SegmentedInvoke> = {}): SegmentedInvoke => ({
  type: 'SegmentedInvoke', tid, tpis: [], gtr: false, ttr: false, rid: false, psn, data, ...o,
});
const ack = (tid: number, o: Partial<Ack> = {}): Ack => ({ type: 'Ack', tid, tpis: [], tveTok: false, rid: false, ...o });
const tok = (tid: number): Ack => ack(tid, { tveTok: true });
const psnAck = (tid: number, psn: number): Ack => ack(tid, { tpis: [{ tpi: 'PSN', psn }] });

const sent = (as: WtpAction[]): WtpPdu[] => as.flatMap((a) => (a.kind === 'send' ? a.pdus : []));
const kinds = (as: WtpAction[]) => as.map((a) => a.kind);
const inds = (as: WtpAction[]) => as.filter((a) => a.kind === 'TR-Invoke.ind');
const psnOf = (p: WtpPdu) => (p.type === 'Result' ? 0 : p.type === 'SegmentedResult' ? p.psn : -1);
const ackPsn = (p: WtpPdu) => (p.type === 'Ack' ? (p.tpis.find((x) => x.tpi === 'PSN') as (Tpi & { psn: number }) | undefined)?.psn : undefined);

async function metric(m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const got = await m.registry.getSingleMetric(name)?.get();
  let sum = 0;
  for (const v of got?.values ?? []) if (Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x)) sum += v.value;
  return sum;
}

/** Verifies the peer once (first Invoke from an unknown initiator) so later TIDs are in-window. */
function verifiedPeer(r: WtpResponder, tid = 1, now = 0): WtpAction[] {
  const a1 = r.receive(inv(tid), PEER, now);
  const p = sent(a1);
  if (p.length !== 1 || p[0]?.type !== 'Ack' || !p[0].tveTok) throw new Error('expected Ack(TIDve)');
  const as = r.receive(tok(tid), PEER, now);
  r.abortReq(r.txnOf(PEER, tid), 0xe0, now); // out of the way: no timers left behind
  return as;
}

t.test('class 2 from an unknown initiator: TID verification, invoke, result, ack, W', async (t) => {
  const { r, metrics, cfg } = mk();
  let as = r.receive(inv(7), PEER, 0);
  t.same(kinds(as), ['send'], 'only an Ack(TIDve), the Invoke is held');
  const ve = sent(as)[0] as Ack;
  t.equal(ve.type, 'Ack');
  t.equal(ve.tveTok, true);
  t.equal(ve.tid, 0x8007, 'responder TID has the direction bit');
  t.equal(r.stateOf(r.txnOf(PEER, 7)), 'TIDOK_WAIT');
  as = r.receive(tok(7), PEER, 5);
  t.equal(inds(as).length, 1, 'TR-Invoke.ind after Ack(TIDok)');
  const ind = inds(as)[0] as Extract<WtpAction, { kind: 'TR-Invoke.ind' }>;
  t.same(ind.data, Buffer.from('GET /x'));
  t.equal(ind.tcl, 2);
  t.equal(ind.uack, true);
  t.same(r.invokeRes(ind.txn, 6), [], 'TR-Invoke.res sends nothing yet');
  t.equal(r.stateOf(ind.txn), 'RESULT_WAIT');
  as = r.resultReq(ind.txn, Buffer.from('reply'), 10);
  const res = sent(as);
  t.equal(res.length, 1);
  t.match(res[0], { type: 'Result', tid: 0x8007, gtr: false, ttr: true, rid: false });
  as = r.receive(ack(7), PEER, 20);
  t.same(kinds(as), ['TR-Result.cnf']);
  t.equal(r.stateOf(ind.txn), 'WAIT_TIMEOUT');
  t.equal(r.nextDeadline(), 10_000, 'timer W is the record TTL, no heap entry: only the periodic purge is due');
  t.same(r.tick(20 + cfg.wtp.waitTimeoutMs), []);
  t.equal(r.stateOf(ind.txn), 'WAIT_TIMEOUT', 'kept for W');
  r.tick(21 + cfg.wtp.waitTimeoutMs);
  t.equal(r.stateOf(ind.txn), undefined, 'forgotten after W');
  t.equal(r.nextDeadline(), 20 + cfg.wtp.waitTimeoutMs + 10_000, 'the TID cache entry lives on: a purge ran at the tick at W, the next is 10 s after it');
  t.equal(await metric(metrics, 'wapgw_wtp_transactions_total', { class: '2', outcome: 'completed' }), 1);
  t.equal(await metric(metrics, 'wapgw_wtp_tid_verifications_total', { outcome: 'started' }), 1);
  t.equal(await metric(metrics, 'wapgw_wtp_tid_verifications_total', { outcome: 'ok' }), 1);
});

t.test('a verified initiator: next TIDs inside the window need no verification; outside do', async (t) => {
  const { r } = mk();
  verifiedPeer(r, 1);
  let as = r.receive(inv(2), PEER, 1);
  t.equal(inds(as).length, 1, 'TID 2 accepted at once');
  as = r.receive(inv(2 + 0x4000 + 5), PEER, 2);
  t.equal(inds(as).length, 0, 'far ahead: out of window');
  t.equal((sent(as)[0] as Ack).tveTok, true);
  as = r.receive(inv(9, { tidNew: true }), PEER, 3);
  t.equal((sent(as)[0] as Ack).tveTok, true, 'TIDnew is always verified');
  as = r.receive(inv(0x7fff), PEER, 3);
  t.equal((sent(as)[0] as Ack).tveTok, true, 'behind the cached TID: verified');
});

t.test('TID verification refused or unanswered: never indicated', async (t) => {
  const { r, metrics, cfg } = mk();
  let as = r.receive(inv(3), PEER, 0);
  as = r.receive({ type: 'Abort', tid: 3, tpis: [], abortType: 'provider', reason: PROVIDER_ABORT.INVALIDTID }, PEER, 1);
  t.same(as, [], 'Abort answers the verification: dropped silently');
  t.equal(r.size, 0);
  t.equal(await metric(metrics, 'wapgw_wtp_tid_verifications_total', { outcome: 'failed' }), 1);

  // An Invoke big enough that the amplification budget allows every retry (see below).
  as = r.receive(inv(4, { data: Buffer.alloc(100) }), PEER, 10);
  let now = 10;
  let resends = 0;
  for (let i = 0; i < cfg.wtp.maxRetransmissions; i++) {
    now = r.nextDeadline() as number;
    const p = sent(r.tick(now));
    t.equal(p.length, 1);
    if (p[0]?.type === 'Ack' && p[0].tveTok && p[0].rid) resends++;
  }
  t.equal(resends, cfg.wtp.maxRetransmissions, 'Ack(TIDve) resent on R with RID');
  now = r.nextDeadline() as number;
  const last = sent(r.tick(now));
  t.match(last, [{ type: 'Abort', abortType: 'provider', reason: PROVIDER_ABORT.INVALIDTID }]);
  t.equal(r.size, 0);
  t.equal(await metric(metrics, 'wapgw_wtp_tid_verifications_total', { outcome: 'timeout' }), 1);

  // A tiny Invoke from an unverified address: retries stop when they would exceed what it sent.
  const spoofed = v4('10.6.6.6:7');
  let out = 0;
  for (const a of r.receive(inv(5, { data: Buffer.alloc(2) }), spoofed, 0)) if (a.kind === 'send') out += a.pdus.length * 3;
  for (let i = 0; i < 20 && r.nextDeadline() !== undefined; i++) for (const a of r.tick(r.nextDeadline() as number)) if (a.kind === 'send') out += 3 * a.pdus.length;
  t.ok(out <= 6, `sent ${out} octets for a 6-octet Invoke`);
});

t.test('duplicates and RID retransmissions: one invokeInd, hold-on Ack re-sent, Result replayed', async (t) => {
  const { r, metrics, cfg } = mk();
  const A = cfg.wtp.ackIntervalMs;
  verifiedPeer(r, 1);
  let n = 0;
  let as = r.receive(inv(2), PEER, 0);
  n += inds(as).length;
  const txId = r.txnOf(PEER, 2);
  as = r.receive(inv(2, { rid: true }), PEER, 1);
  n += inds(as).length;
  t.same(sent(as), [], 'INVOKE_RESP_WAIT: duplicate ignored');
  r.invokeRes(txId, 2);
  as = r.tick(2 + A);
  t.match(sent(as), [{ type: 'Ack', tveTok: false, tid: 0x8002 }], 'hold-on Ack after A');
  as = r.receive(inv(2, { rid: true }), PEER, 3 + A);
  n += inds(as).length;
  t.match(sent(as), [{ type: 'Ack', rid: true }], 'hold-on Ack re-sent for a retransmitted Invoke');
  as = r.resultReq(txId, Buffer.from('R'), 100 + A);
  t.match(sent(as), [{ type: 'Result', rid: false }]);
  as = r.receive(inv(2, { rid: true }), PEER, 101 + A);
  n += inds(as).length;
  t.same(sent(as), [], 'too soon after sending: not replayed');
  as = r.receive(inv(2, { rid: true }), PEER, 100 + 2 * A);
  n += inds(as).length;
  t.match(sent(as), [{ type: 'Result', rid: true, data: Buffer.from('R') }], 'cached Result replayed');
  r.receive(ack(2), PEER, 200 + 2 * A);
  as = r.receive(inv(2, { rid: true }), PEER, 300 + 2 * A);
  n += inds(as).length;
  t.same(sent(as), [], 'WAIT_TIMEOUT: ignored');
  // After W the TID cache takes over: verification, and the handset says no.
  r.tick(1e9);
  as = r.receive(inv(2, { rid: true }), PEER, 1e9 + 1);
  t.match(sent(as), [{ type: 'Ack', tveTok: true }]);
  as = r.receive({ type: 'Abort', tid: 2, tpis: [], abortType: 'provider', reason: PROVIDER_ABORT.INVALIDTID }, PEER, 1e9 + 2);
  n += inds(as).length;
  t.equal(n, 1, 'exactly one TR-Invoke.ind');
  t.equal(await metric(metrics, 'wapgw_wtp_duplicate_invokes_total'), 5);
});

t.test('timer R: Result retransmitted with RID up to maxRetransmissions, then Abort NORESPONSE', async (t) => {
  const { r, metrics, cfg } = mk({ wtp: { maxRetransmissions: 3 } });
  verifiedPeer(r, 1);
  const txId = inds(r.receive(inv(2), PEER, 0))[0]!.txn;
  r.resultReq(txId, Buffer.from('R'), 0);
  const rids: boolean[] = [];
  let as: WtpAction[] = [];
  for (let i = 0; i < 4; i++) {
    as = r.tick(r.nextDeadline() as number);
    for (const p of sent(as)) if (p.type === 'Result') rids.push(p.rid);
  }
  t.same(rids, [true, true, true], 'three retransmissions, all with RID');
  t.match(sent(as), [{ type: 'Abort', abortType: 'provider', reason: PROVIDER_ABORT.NORESPONSE }]);
  t.match(as.filter((a) => a.kind === 'TR-Abort.ind'), [{ kind: 'TR-Abort.ind', txn: txId, reason: PROVIDER_ABORT.NORESPONSE }]);
  t.equal(r.size, 0);
  t.equal(await metric(metrics, 'wapgw_wtp_retransmissions_total', { pdu: 'Result' }), 3);
  t.equal(await metric(metrics, 'wapgw_wtp_aborts_total', { direction: 'sent', reason: 'NORESPONSE' }), 1);
  t.equal(await metric(metrics, 'wapgw_wtp_transactions_total', { outcome: 'noresponse' }), 1);
  t.equal(cfg.wtp.retryIntervalMs, 2000);
});

t.test('user acknowledgement: no TR-Invoke.res within AEC_MAX x A aborts; U/P=0 gets a provider hold-on Ack', async (t) => {
  const { r, cfg } = mk();
  verifiedPeer(r, 1);
  r.receive(inv(2), PEER, 0);
  let as: WtpAction[] = [];
  let ticks = 0;
  while (r.nextDeadline() !== undefined && ticks < 50) {
    as = r.tick(r.nextDeadline() as number);
    ticks++;
    if (as.length) break;
  }
  t.equal(ticks, cfg.wtp.ackExpiryMax + 1);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.NORESPONSE }]);
  t.match(as.filter((a) => a.kind === 'TR-Abort.ind'), [{ reason: PROVIDER_ABORT.NORESPONSE }]);

  r.receive(inv(3, { up: false }), PEER, 100);
  as = r.tick(100 + cfg.wtp.ackIntervalMs);
  t.match(sent(as), [{ type: 'Ack', tveTok: false }], 'provider ack (hold-on) for U/P = 0');
  t.equal(r.stateOf(r.txnOf(PEER, 3)), 'RESULT_WAIT');
  t.equal(r.nextDeadline(), 10_000, 'then waits for the user without a protocol timer (only the periodic purge)');
  as = r.resultReq(r.txnOf(PEER, 3), Buffer.from('late'), 60_000);
  t.match(sent(as), [{ type: 'Result' }]);
});

t.test('an idle responder releases finished transactions without any other traffic', async (t) => {
  const { r, cfg } = mk();
  // 50 class 2 transactions from 50 peers run to completion (verified, result acknowledged),
  // so each sits in WAIT_TIMEOUT with no protocol timer of its own; then silence
  for (let i = 0; i < 50; i++) {
    const peer = v4(`10.0.0.${i}:4000`);
    r.receive(inv(1), peer, 0);
    const ind = inds(r.receive(tok(1), peer, 1))[0] as Extract<WtpAction, { kind: 'TR-Invoke.ind' }>;
    r.invokeRes(ind.txn, 2);
    r.resultReq(ind.txn, Buffer.from('reply'), 3);
    r.receive(ack(1), peer, 4);
    if (r.stateOf(ind.txn) !== 'WAIT_TIMEOUT') t.fail(`transaction ${i} is ${r.stateOf(ind.txn)}`);
  }
  const held = r.size;
  t.equal(held, 50, 'all 50 held for timer W');
  // drive only by the deadline the responder itself reports, as the edge's timer driver does
  let now = 0;
  for (let i = 0; i < 1000 && r.size > 0; i++) {
    const d = r.nextDeadline();
    if (d === undefined) break;
    now = Math.max(now, d);
    r.tick(now);
  }
  t.equal(r.size, 0, 'every record released');
  t.ok(now <= cfg.wtp.tidCacheTtlMs * 2 + 600_000, `within a bounded time (${now} ms of simulated idleness)`);
});

t.test('class 1 and class 0', async (t) => {
  const { r, metrics, cfg } = mk();
  verifiedPeer(r, 1);
  let as = r.receive(inv(2, { tcl: 1 }), PEER, 0);
  t.equal(inds(as).length, 1);
  as = r.invokeRes(r.txnOf(PEER, 2), 1);
  t.match(sent(as), [{ type: 'Ack', tid: 0x8002 }], 'class 1: Ack on TR-Invoke.res');
  as = r.receive(inv(2, { tcl: 1, rid: true }), PEER, 2);
  t.match(sent(as), [{ type: 'Ack' }], 'WAIT_TIMEOUT: lost Ack re-sent');
  t.equal(inds(as).length, 0);
  r.tick(2 + cfg.wtp.waitTimeoutMs);
  t.equal(r.size, 0);

  r.receive(inv(3, { tcl: 1, up: false }), PEER, 10);
  as = r.tick(10 + cfg.wtp.ackIntervalMs);
  t.match(sent(as), [{ type: 'Ack' }], 'class 1 provider ack on A');

  const other = v4('10.9.9.9:1');
  for (let i = 0; i < 2; i++) {
    as = r.receive(inv(5, { tcl: 0 }), other, 20);
    t.same(kinds(as), ['TR-Invoke.ind'], 'class 0: delivered, nothing sent, never verified');
  }
  t.equal(r.stateOf(r.txnOf(other, 5)), undefined);
  // A class 0 Disconnect reusing the TID of a finished method is still delivered.
  r.receive(inv(9), PEER, 30);
  r.resultReq(r.txnOf(PEER, 9), Buffer.from('r'), 31);
  r.receive(ack(9), PEER, 32);
  t.equal(r.stateOf(r.txnOf(PEER, 9)), 'WAIT_TIMEOUT');
  as = r.receive(inv(9, { tcl: 0, data: Buffer.from([0x05, 0x03]) }), PEER, 33);
  t.same(kinds(as), ['TR-Invoke.ind'], 'Disconnect (class 0, same TID) delivered');
  t.equal(await metric(metrics, 'wapgw_wtp_transactions_total', { class: '0' }), 3);
});

t.test('aborts both ways with reasons; protocol errors; version; responder-direction PDUs', async (t) => {
  const { r, metrics } = mk();
  verifiedPeer(r, 1);
  r.receive(inv(2), PEER, 0);
  let as = r.receive({ type: 'Abort', tid: 2, tpis: [], abortType: 'user', reason: 0xea }, PEER, 1);
  t.match(as, [{ kind: 'TR-Abort.ind', abortType: 'user', reason: 0xea }]);
  t.equal(await metric(metrics, 'wapgw_wtp_aborts_total', { direction: 'received', reason: 'user-0xea' }), 1);

  r.receive(inv(3), PEER, 2);
  as = r.abortReq(r.txnOf(PEER, 3), 0xe1, 3);
  t.match(sent(as), [{ type: 'Abort', abortType: 'user', reason: 0xe1, tid: 0x8003 }]);
  t.equal(r.size, 0);

  r.receive(inv(4), PEER, 4);
  as = r.receive({ type: 'Result', tid: 4, tpis: [], gtr: false, ttr: true, rid: false, data: Buffer.alloc(0) }, PEER, 5);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.PROTOERR }]);
  t.match(as.filter((a) => a.kind === 'TR-Abort.ind'), [{ reason: PROVIDER_ABORT.PROTOERR }]);

  r.receive(inv(5), PEER, 6);
  as = r.receiveMalformed(PEER, 5, 7, 10);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.PROTOERR, tid: 0x8005 }]);
  as = r.receiveMalformed(PEER, 99, 7, 10);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.PROTOERR, tid: 0x8063 }], 'no transaction: an Abort answers');
  t.same(r.receiveMalformed(PEER, undefined, 7, 2), [], 'no TID: dropped');

  as = r.receive(inv(6, { version: 1 }), PEER, 8);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.WTPVERSIONONE }]);
  t.same(r.receive(inv(0x8007), PEER, 9), [], 'an Invoke with the direction bit set is not for a responder');
  t.same(r.receive(ack(77), PEER, 9), [], 'an Ack for no transaction is ignored');
});

t.test('SAR Invoke: groups acked, NAck after nackDelay for the gaps, delivered once and whole', async (t) => {
  const { r, metrics, cfg } = mk();
  verifiedPeer(r, 1);
  const parts = [0, 1, 2, 3, 4, 5, 6].map((i) => Buffer.alloc(100, 0x41 + i));
  let as = r.receive(inv(2, { gtr: true, ttr: false, data: parts[0] }), PEER, 0);
  t.same(sent(as).map(ackPsn), [0], 'group 0 (the Invoke alone) acked with PSN 0');
  as = r.receive(seg(2, 1, parts[1]!), PEER, 1);
  t.same(sent(as), []);
  // PSN 2 lost; PSN 3 ends the group.
  as = r.receive(seg(2, 3, parts[3]!, { gtr: true }), PEER, 2);
  t.same(sent(as), [], 'gap: no Ack');
  t.equal(r.nextDeadline(), 2 + cfg.wtp.sar.nackDelayMs, 'NACK timer');
  as = r.tick(2 + cfg.wtp.sar.nackDelayMs);
  t.match(sent(as), [{ type: 'NegativeAck', missing: [2], tid: 0x8002 }]);
  as = r.receive(seg(2, 2, parts[2]!, { rid: true }), PEER, 300);
  t.same(sent(as).map(ackPsn), [3], 'gap filled: group acked');
  as = r.receive(seg(2, 3, parts[3]!, { gtr: true, rid: true }), PEER, 301);
  t.same(sent(as).map(ackPsn), [3], 'a repeated group end is acked again');
  // last group: 4, 6 (TTR) arrive, 5 missing: never delivered truncated
  r.receive(seg(2, 4, parts[4]!), PEER, 400);
  as = r.receive(seg(2, 6, parts[6]!, { ttr: true }), PEER, 401);
  t.equal(inds(as).length, 0, 'TTR with a hole: not delivered');
  as = r.tick(r.nextDeadline() as number);
  t.match(sent(as), [{ type: 'NegativeAck', missing: [5] }]);
  as = r.receive(seg(2, 5, parts[5]!), PEER, 700);
  const got = inds(as);
  t.equal(got.length, 1);
  t.same(got[0]!.data, Buffer.concat(parts), 'byte-identical');
  as = r.receive(seg(2, 6, parts[6]!, { ttr: true, rid: true }), PEER, 701);
  t.equal(inds(as).length, 0, 'no second delivery');
  t.equal(await metric(metrics, 'wapgw_wtp_negative_acks_total', { direction: 'sent' }), 2);
  t.equal(await metric(metrics, 'wapgw_wtp_sar_segments_total', { direction: 'in' }), 9);
});

t.test('SAR Invoke: over wsp.maxMessageSize, declared or received, is MESSAGETOOLARGE; stalls end on W', async (t) => {
  const { r, cfg } = mk({ wsp: { maxMessageSize: 250 } });
  verifiedPeer(r, 1);
  r.receive(inv(2, { gtr: false, ttr: false, data: Buffer.alloc(100) }), PEER, 0);
  r.receive(seg(2, 1, Buffer.alloc(100)), PEER, 1);
  let as = r.receive(seg(2, 2, Buffer.alloc(100), { gtr: true }), PEER, 2);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.MESSAGETOOLARGE }]);
  t.equal(inds(as).length, 0);
  const total: Tpi = { tpi: 'Option', option: 2, value: Buffer.from([0x00, 0x10, 0x00, 0x00]) };
  as = r.receive(inv(3, { gtr: true, ttr: false, tpis: [total] }), PEER, 3);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.MESSAGETOOLARGE }], 'Total message size TPI too big');
  r.receive(inv(4, { gtr: true, ttr: false }), PEER, 4);
  as = r.tick(4 + cfg.wtp.waitTimeoutMs);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.NORESPONSE }], 'no more segments within W');
  t.equal(r.size, 0);
});

t.test('SAR Result: segment size, groups with GTR/TTR, group Acks, selective NAck, whole group on R', async (t) => {
  const { r, metrics } = mk({ wtp: { sar: { segmentSize: 100, groupSize: 3 } } });
  verifiedPeer(r, 1);
  const txId = inds(r.receive(inv(2), PEER, 0))[0]!.txn;
  const body = Buffer.from(Array.from({ length: 750 }, (_, i) => i & 0xff));
  let as = r.resultReq(txId, body, 1);
  let p = sent(as);
  t.same(p.map(psnOf), [0, 1, 2]);
  t.match(p, [{ type: 'Result', gtr: false, ttr: false }, { type: 'SegmentedResult', gtr: false }, { type: 'SegmentedResult', gtr: true, ttr: false }]);
  t.same(sent(r.receive(psnAck(2, 1), PEER, 2)), [], 'an Ack for another PSN is stale');
  as = r.receive(psnAck(2, 2), PEER, 3);
  p = sent(as);
  t.same(p.map(psnOf), [3, 4, 5], 'next group after the group Ack');
  as = r.receive({ type: 'NegativeAck', tid: 2, tpis: [], rid: false, missing: [4] }, PEER, 4);
  p = sent(as);
  t.same(p.map(psnOf), [4], 'only the missing packet');
  t.equal((p[0] as { rid: boolean }).rid, true);
  as = r.receive({ type: 'NegativeAck', tid: 2, tpis: [], rid: false, missing: [4] }, PEER, 50);
  t.same(sent(as), [], 'a repeated NAck right after does not resend it again');
  as = r.tick(r.nextDeadline() as number);
  t.same(sent(as).map(psnOf), [3, 4, 5], 'R expiry: the whole group again');
  as = r.receive(psnAck(2, 5), PEER, 5000);
  p = sent(as);
  t.same(p.map(psnOf), [6, 7]);
  t.match(p[1], { ttr: true, gtr: false });
  as = r.receive(psnAck(2, 7), PEER, 5001);
  t.same(kinds(as), ['TR-Result.cnf']);
  t.equal(await metric(metrics, 'wapgw_wtp_sar_segments_total', { direction: 'out' }), 12);
  t.equal(await metric(metrics, 'wapgw_wtp_negative_acks_total', { direction: 'received' }), 2);
});

t.test('segment size and result limits: 1 MB, client MRU, no-SAR clients', async (t) => {
  const { r } = mk();
  verifiedPeer(r, 1);
  const sarTx = inds(r.receive(inv(2), PEER, 0))[0]!.txn;
  t.equal(r.maxResultSize(sarTx), (65507 - 4) * 256);
  t.equal(r.maxResultSize(sarTx, { maxSegmentSize: 1500 }), 1500 * 256, 'fakewap-like limit');
  const mb = Buffer.alloc(1 << 20, 7);
  const p = sent(r.resultReq(sarTx, mb, 1));
  t.equal(p.length, 8, 'first group');
  t.equal((p[0] as { data: Buffer }).data.length, 4096, '1 MB in 256 x 4096');

  const mruTx = inds(r.receive(inv(3, { tpis: [{ tpi: 'Option', option: 1, value: Buffer.from([0x05, 0xdc]) }] }), PEER, 2))[0]!.txn;
  t.equal(r.maxResultSize(mruTx), (1500 - 4) * 256, 'MRU Option TPI caps the segment');
  const as = r.resultReq(mruTx, mb, 3);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.MESSAGETOOLARGE }]);
  t.match(as.filter((a) => a.kind === 'TR-Abort.ind'), [{ reason: PROVIDER_ABORT.MESSAGETOOLARGE }]);

  const noSar = inds(r.receive(inv(4, { gtr: true, ttr: true }), PEER, 4))[0]!.txn;
  t.equal(r.maxResultSize(noSar), 65504, 'GTR=TTR=1: one datagram at most');
  const one = sent(r.resultReq(noSar, Buffer.alloc(5000), 5));
  t.equal(one.length, 1, 'no SAR: one Result');
  t.equal(r.maxResultSize(NO_TXN), 0);
});

t.test('anti-amplification: an unverified peer gets no more than it sent; a big Result waits for TIDok', async (t) => {
  const { r } = mk({ wtp: { tidVerification: false } });
  let as = r.receive(inv(1), PEER, 0);
  const small = inds(as)[0]!.txn;
  as = r.resultReq(small, Buffer.from('ok'), 1);
  t.match(sent(as), [{ type: 'Result' }], 'small result: sent at once');
  as = r.receive(inv(2), PEER, 2);
  const big = inds(as)[0]!.txn;
  as = r.resultReq(big, Buffer.alloc(20_000, 1), 3);
  t.match(sent(as), [{ type: 'Ack', tveTok: true }], 'verify first');
  t.same(sent(r.receive({ type: 'NegativeAck', tid: 2, tpis: [], rid: false, missing: [] }, PEER, 4)), [], 'NAck before verification ignored');
  as = r.receive(tok(2), PEER, 5);
  t.equal(sent(as).length, 8, 'after TIDok the first group goes');
  // a spoofed flood of Invokes toward an unverified address never earns more than it sent
  const victim = v4('10.6.6.6:9');
  let rx = 0;
  let tx = 0;
  const { r: r2 } = mk();
  for (let i = 1; i < 50; i++) {
    const pdu = inv(i, { rid: true });
    rx += pduSize(pdu);
    for (const a of r2.receive(pdu, victim, i)) if (a.kind === 'send') tx += a.pdus.reduce((n, p) => n + pduSize(p), 0);
    for (const a of r2.tick(i * 3000)) if (a.kind === 'send') tx += a.pdus.reduce((n, p) => n + pduSize(p), 0);
  }
  t.ok(tx <= rx, `sent ${tx} <= received ${rx}`);
});

t.test('bounded: the transaction table evicts the least recently used, aborting it', async (t) => {
  const { r, metrics } = mk({ wtp: { maxTransactions: 2 } });
  verifiedPeer(r, 1);
  r.receive(inv(2), PEER, 1);
  r.receive(inv(3), PEER, 2);
  const as = r.receive(inv(4), PEER, 3);
  t.equal(r.size, 2);
  t.equal(r.stateOf(r.txnOf(PEER, 2)), undefined, 'the oldest went');
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.CAPTEMPEXCEEDED }]);
  t.equal(as.filter((a) => a.kind === 'TR-Abort.ind').length, 1, 'its user is told');
  t.equal(await metric(metrics, 'wapgw_wtp_transactions_total', { outcome: 'evicted' }), 1);
  t.equal(await metric(metrics, 'wapgw_wtp_transactions_active'), 2);
});

t.test('a first transmission (RID = 0) reusing the TID of a finished transaction is a new one, verified', async (t) => {
  const { r } = mk();
  verifiedPeer(r, 1);
  const txId = inds(r.receive(inv(5), PEER, 0))[0]!.txn;
  r.resultReq(txId, Buffer.from('a'), 1);
  r.receive(ack(5), PEER, 2);
  t.equal(r.stateOf(txId), 'WAIT_TIMEOUT');
  let as = r.receive(inv(5, { rid: true }), PEER, 3);
  t.same(as, [], 'a retransmission (RID = 1) is absorbed');
  as = r.receive(inv(5, { data: Buffer.from('GET /other') }), PEER, 4);
  t.match(sent(as), [{ type: 'Ack', tveTok: true }], 'TID not ahead of the cache: verified first');
  as = r.receive(tok(5), PEER, 5);
  t.match(inds(as), [{ data: Buffer.from('GET /other') }], 'then indicated as a new transaction');
});

t.test("the client's Max Group option (fakewap sends 4200 octets) caps the packets per group", async (t) => {
  const { r } = mk();
  verifiedPeer(r, 1);
  const maxGroup: Tpi = { tpi: 'Option', option: 4, value: Buffer.from([0x10, 0x68]) }; // 4200, as fakewap's Invoke
  const txId = inds(r.receive(inv(2, { tpis: [maxGroup] }), PEER, 0))[0]!.txn;
  const p = sent(r.resultReq(txId, Buffer.alloc(20_000), 1));
  t.same(p.map(psnOf), [0, 1, 2], '3 x 1400 octets per group');
  t.match(p[2], { gtr: true });
});

t.test('a transaction left waiting on its user past the backstop TTL is aborted NORESPONSE', async (t) => {
  const { r } = mk();
  verifiedPeer(r, 1);
  const txId = inds(r.receive(inv(2), PEER, 0))[0]!.txn;
  r.invokeRes(txId, 0);
  r.tick(1000); // hold-on Ack; now RESULT_WAIT without a timer
  t.equal(r.stateOf(txId), 'RESULT_WAIT');
  const as = r.tick(400_000);
  t.match(sent(as), [{ type: 'Abort', reason: PROVIDER_ABORT.NORESPONSE }]);
  t.match(as.filter((a) => a.kind === 'TR-Abort.ind'), [{ txn: txId, reason: PROVIDER_ABORT.NORESPONSE }]);
  t.equal(r.size, 0);
});

t.test('transaction keys: one number per (peer, TID) while held, never reused, the peer numbers bounded by the table', async (t) => {
  const { r, cfg } = mk();
  verifiedPeer(r, 1);
  const other = v4('10.0.0.2:40000');
  const a = inds(r.receive(inv(2), PEER, 1))[0]!.txn;
  const b = inds(r.receive(inv(3), PEER, 1))[0]!.txn;
  t.not(a, b);
  t.equal(r.txnOf(PEER, 2), a, 'txnOf names the held transaction');
  t.equal(r.txnOf(PEER, 3), b);
  t.equal(r.txnOf(other, 2), NO_TXN, 'no such transaction for another peer');
  // a finished transaction keeps its key for W; a first transmission reusing its TID is a new one
  r.resultReq(a, Buffer.from('r'), 2);
  t.same(kinds(r.receive(ack(2), PEER, 3)), ['TR-Result.cnf']);
  t.equal(r.stateOf(a), 'WAIT_TIMEOUT');
  r.abortReq(b, 0xe0, 3); // the peer's only other transaction goes
  // the TID is behind the last one (3): verified first (Ack(TIDve), then Ack(TIDok))
  t.match(sent(r.receive(inv(2), PEER, 4)), [{ type: 'Ack', tveTok: true }], 'a new transaction on the reused TID');
  t.equal(r.stateOf(r.txnOf(PEER, 2)), 'TIDOK_WAIT');
  const again = inds(r.receive(tok(2), PEER, 4));
  t.equal(again.length, 1);
  const c = again[0]!.txn;
  t.equal(r.stateOf(c), 'INVOKE_RESP_WAIT');
  t.equal(r.txnOf(PEER, 2), c, 'forgetting the old record on the way kept the peer its number');
  r.resultReq(c, Buffer.from('r2'), 5);
  t.same(kinds(r.receive(ack(2), PEER, 6)), ['TR-Result.cnf'], "the new transaction's Ack finds it");
  // once nothing of the peer is held, its number goes; the next transaction gets a new key
  r.tick(7 + cfg.wtp.waitTimeoutMs);
  t.equal(r.size, 0);
  t.equal(r.txnOf(PEER, 2), NO_TXN);
  const d = inds(r.receive(inv(4), PEER, 8 + cfg.wtp.waitTimeoutMs))[0]!.txn;
  t.ok(d !== a && d !== b && d !== c, 'keys are never reused');
});
