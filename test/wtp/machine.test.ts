// The responder table (src/wtp/machine.ts): every (state, event) pair has a row or an explicit
// ignore; random transactions and events always match exactly one row and step never throws;
// rows do only what they say (spot checks that read like WAP-224 §9).
import t from 'tap';
import fc from 'fast-check';
import { EVENTS, ROWS, STATES, TIMERS, matchingRows, newTx, rowsFor, step, type Limits, type Tx, type WtpEvent, type WtpState } from '../../src/wtp/machine';
import { absorb, emptyInbound, type Inbound } from '../../src/wtp/sar';
import type { Invoke, Tpi } from '../../src/codec/wtp/types';
import { v4 } from '../helpers/peer';

const P = v4('10.0.0.1:40000');

const LIMITS: Limits = {
  ackIntervalMs: 1000,
  retryIntervalMs: 2000,
  waitTimeoutMs: 30000,
  maxRetransmissions: 4,
  ackExpiryMax: 3,
  nackDelayMs: 200,
  groupSize: 3,
  maxMessageSize: 5000,
};

const invoke = (o: Partial<Invoke> = {}): Invoke => ({
  type: 'Invoke', tid: 5, tpis: [], gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2, data: Buffer.from('x'), ...o,
});

t.test('every (state, event) pair has a row or an explicit ignore', async (t) => {
  for (const s of STATES) for (const e of EVENTS) t.ok(rowsFor(s, e).length > 0, `${s} x ${e}`);
  t.equal(new Set(ROWS.map((r) => `${r.from}|${r.on}|${r.when.join('&')}`)).size, ROWS.length, 'no two rows with the same guards');
  for (const r of ROWS) {
    if (r.ignore) {
      t.same(r.do, [], `ignore rows do nothing: ${r.from} ${r.on}`);
      t.equal(r.to, r.from);
    }
  }
});

const bufArb = fc.integer({ min: 0, max: 3000 }).map((n) => Buffer.alloc(n, 1));
const tpisArb: fc.Arbitrary<Tpi[]> = fc.oneof(
  fc.constant([] as Tpi[]),
  fc.integer({ min: 0, max: 255 }).map((psn) => [{ tpi: 'PSN' as const, psn }]),
  fc.integer({ min: 0, max: 20000 }).map((v) => [{ tpi: 'Option' as const, option: 2, value: Buffer.from([v >> 8, v & 0xff]) }]),
);

const inboundArb: fc.Arbitrary<Inbound> = fc
  .array(fc.record({ psn: fc.integer({ min: 0, max: 12 }), len: fc.integer({ min: 0, max: 1500 }), gtr: fc.boolean(), ttr: fc.boolean() }), { maxLength: 10 })
  .map((ps) => ps.reduce((inb, p) => absorb(inb, p.psn, Buffer.alloc(p.len), p.gtr, p.ttr), emptyInbound));

const txArb: fc.Arbitrary<Tx> = fc
  .record({
    state: fc.constantFrom(...STATES),
    tcl: fc.constantFrom(0 as const, 1 as const, 2 as const),
    uack: fc.boolean(),
    sar: fc.boolean(),
    holdOnSent: fc.boolean(),
    tidVerified: fc.boolean(),
    aec: fc.integer({ min: 0, max: 4 }),
    rcr: fc.integer({ min: 0, max: 5 }),
    nackCount: fc.integer({ min: 0, max: 5 }),
    inbound: inboundArb,
    out: fc.option(fc.record({ n: fc.integer({ min: 1, max: 12 }), g: fc.integer({ min: 0, max: 3 }), verifying: fc.boolean() })),
    lastSendAt: fc.integer({ min: -5000, max: 5000 }),
    timers: fc.dictionary(fc.constantFrom(...TIMERS), fc.integer({ min: 0, max: 10000 })),
  })
  .map((r) => {
    const base = newTx(P, invoke({ tcl: r.tcl, up: r.uack, gtr: !r.sar, ttr: true }), LIMITS);
    const outbound = r.out
      ? { segs: Array.from({ length: r.out.n }, () => Buffer.alloc(10)), groupSize: LIMITS.groupSize, nackResentAt: [], groupStart: Math.min(r.out.g * LIMITS.groupSize, Math.floor((r.out.n - 1) / LIMITS.groupSize) * LIMITS.groupSize), verifying: r.out.verifying }
      : undefined;
    return { ...base, state: r.state, holdOnSent: r.holdOnSent, tidVerified: r.tidVerified, aec: r.aec, rcr: r.rcr, nackCount: r.nackCount, inbound: r.inbound, outbound, lastSendAt: r.lastSendAt, timers: r.timers };
  });

const eventArb: fc.Arbitrary<WtpEvent> = fc.oneof(
  fc.record({
    tid: fc.constant(5), tpis: tpisArb, gtr: fc.boolean(), ttr: fc.boolean(), rid: fc.boolean(), version: fc.integer({ min: 0, max: 3 }), tidNew: fc.boolean(), up: fc.boolean(),
    tcl: fc.constantFrom(0 as const, 1 as const, 2 as const), data: bufArb, tidOk: fc.boolean(),
  }).map(({ tidOk, ...p }) => ({ type: 'RcvInvoke' as const, pdu: { type: 'Invoke' as const, ...p }, tidOk })),
  fc.record({ psn: fc.integer({ min: 1, max: 12 }), gtr: fc.boolean(), ttr: fc.boolean(), rid: fc.boolean(), data: bufArb })
    .map((p) => ({ type: 'RcvSegInvoke' as const, pdu: { type: 'SegmentedInvoke' as const, tid: 5, tpis: [], ...p } })),
  fc.record({ tveTok: fc.boolean(), rid: fc.boolean(), tpis: tpisArb }).map((p) => ({ type: 'RcvAck' as const, pdu: { type: 'Ack' as const, tid: 5, ...p } })),
  fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 5 }).map((missing) => ({ type: 'RcvNegativeAck' as const, pdu: { type: 'NegativeAck' as const, tid: 5, tpis: [], rid: false, missing } })),
  fc.record({ abortType: fc.constantFrom('provider' as const, 'user' as const), reason: fc.integer({ min: 0, max: 255 }) })
    .map((p) => ({ type: 'RcvAbort' as const, pdu: { type: 'Abort' as const, tid: 5, tpis: [], ...p } })),
  fc.constant({ type: 'RcvErrorPDU' as const }),
  fc.constant({ type: 'TR-Invoke.res' as const }),
  fc.record({ data: bufArb, segmentSize: fc.option(fc.integer({ min: 1, max: 2000 })), verifyFirst: fc.boolean() }).map((p) => ({ type: 'TR-Result.req' as const, ...p })),
  fc.integer({ min: 0xe0, max: 0xee }).map((reason) => ({ type: 'TR-Abort.req' as const, reason })),
  fc.constantFrom(...TIMERS).map((n) => ({ type: `TimerTO_${n}` }) as WtpEvent),
);

t.test('random transactions and events match exactly one row; step is total and pure', async (t) => {
  let steps = 0;
  fc.assert(
    fc.property(txArb, eventArb, fc.integer({ min: 0, max: 100000 }), (tx, ev, now) => {
      const frozen = JSON.stringify(tx);
      const m = matchingRows(tx, ev, now);
      if (m.length !== 1) throw new Error(`${m.length} rows for ${tx.state} ${ev.type}`);
      const r = step(tx, ev, now);
      steps++;
      if (JSON.stringify(tx) !== frozen) throw new Error('step mutated its input');
      if (r.tx.state !== r.row.to) throw new Error('state is not the row target');
      const again = step(tx, ev, now);
      if (JSON.stringify(again) !== JSON.stringify(r)) throw new Error('step is not deterministic');
    }),
    { numRuns: 4000, seed: 42 },
  );
  t.equal(steps, 4000);
});

t.test('rows read like the spec', async (t) => {
  const fresh = newTx(P, invoke(), LIMITS);
  let r = step(fresh, { type: 'RcvInvoke', pdu: invoke(), tidOk: true }, 0);
  t.equal(r.tx.state, 'INVOKE_RESP_WAIT');
  t.match(r.actions, [{ kind: 'TR-Invoke.ind', data: Buffer.from('x') }]);
  t.same(r.tx.timers, { A: 1000 }, 'timer A started');

  r = step(fresh, { type: 'RcvInvoke', pdu: invoke(), tidOk: false }, 0);
  t.equal(r.tx.state, 'TIDOK_WAIT');
  t.match(r.actions, [{ kind: 'send', pdus: [{ type: 'Ack', tveTok: true, tid: 0x8005 }] }, { kind: 'verification', outcome: 'started' }]);
  const held = r.tx;
  r = step(held, { type: 'RcvAck', pdu: { type: 'Ack', tid: 5, tpis: [], tveTok: true, rid: false } }, 10);
  t.equal(r.tx.state, 'INVOKE_RESP_WAIT');
  t.match(r.actions.map((a) => a.kind), ['verification', 'tidVerified', 'TR-Invoke.ind']);

  const waiting: Tx = { ...r.tx, state: 'RESULT_WAIT', timers: {} };
  r = step(waiting, { type: 'TR-Result.req', data: Buffer.alloc(25), segmentSize: 10, verifyFirst: false }, 20);
  t.equal(r.tx.state, 'RESULT_RESP_WAIT');
  t.match(r.actions, [{ kind: 'send', pdus: [{ type: 'Result', gtr: false, ttr: false }, { type: 'SegmentedResult', psn: 1, gtr: false }, { type: 'SegmentedResult', psn: 2, ttr: true }] }]);
  t.same(r.tx.timers, { R: 2020 });

  const states = new Set<WtpState>(ROWS.map((x) => x.to));
  for (const s of STATES) t.ok(states.has(s) || s === 'LISTEN', `${s} is reachable`);
});

t.test('a transaction can never be indicated twice: invokeInd only leaves LISTEN, TIDOK_WAIT, INVOKE_SAR_WAIT', async (t) => {
  const delivering = ROWS.filter((r) => r.do.some((o) => o.op === 'deliver'));
  t.ok(delivering.length > 0);
  for (const r of delivering) {
    t.ok(['LISTEN', 'TIDOK_WAIT', 'INVOKE_SAR_WAIT'].includes(r.from), `${r.from} ${r.on}`);
    t.ok(['LISTEN', 'INVOKE_RESP_WAIT'].includes(r.to));
  }
});

t.test('issue 15: a late Abort INVALIDTID (answer to a duplicated Ack(TIDve)) does not kill a verified transaction', async (t) => {
  const abortInvalid: WtpEvent = { type: 'RcvAbort', pdu: { type: 'Abort', tid: 5, tpis: [], abortType: 'provider', reason: 0x02 } };
  let r = step(newTx(P, invoke(), LIMITS), { type: 'RcvInvoke', pdu: invoke(), tidOk: false }, 0);
  t.equal(r.tx.state, 'TIDOK_WAIT');
  // the initiator's TIDok arrives; a duplicate of our Ack(TIDve) reaches it after it finished
  r = step(r.tx, { type: 'RcvAck', pdu: { type: 'Ack', tid: 5, tpis: [], tveTok: true, rid: false } }, 10);
  t.equal(r.tx.tidVerified, true);
  r = step(r.tx, { type: 'TR-Result.req', data: Buffer.from('reply'), segmentSize: 1000, verifyFirst: false }, 20);
  t.equal(r.tx.state, 'RESULT_RESP_WAIT');
  const late = step(r.tx, abortInvalid, 30);
  t.equal(late.tx.state, 'RESULT_RESP_WAIT', 'ignored: the Result keeps waiting for its Ack');
  t.same(late.actions, []);
  // any other Abort still ends it, and INVALIDTID does too when the TID was never verified
  t.equal(step(r.tx, { type: 'RcvAbort', pdu: { type: 'Abort', tid: 5, tpis: [], abortType: 'user', reason: 0xea } }, 30).tx.state, 'LISTEN');
  const unverified = step(newTx(P, invoke(), LIMITS), { type: 'RcvInvoke', pdu: invoke(), tidOk: true }, 0).tx;
  t.equal(step(unverified, abortInvalid, 1).tx.state, 'LISTEN');
  // while verifying, Abort INVALIDTID is the answer: the transaction ends
  const verifying = step(newTx(P, invoke(), LIMITS), { type: 'RcvInvoke', pdu: invoke(), tidOk: false }, 0).tx;
  t.equal(step(verifying, abortInvalid, 1).tx.state, 'LISTEN');
});
