import t from 'tap';
import fc from 'fast-check';
import { ManualClock } from '../../src/core/clock';
import { EVENTS, STATES, TABLE, idleDeadline, missingRows, newSession, rowsFor, step, type Session, type SessionEvent } from '../../src/wsp/session-machine';

const peer = { address: '10.0.0.1', port: 5000, family: 4 as const };
const caps = { clientSduSize: 1400, serverSduSize: 1400, methodMor: 2, pushMor: 1, protocolOptions: 0 };

/** Transaction keys by name (the server's keys are numbers: peer number x 2^15 + TID). */
const T = { a: 1, b: 2, c: 3, c1: 4, c2: 5, d: 6, m: 7, m1: 8, m2: 9, m3: 10, p: 11, r: 12, r1: 13, r2: 14, x: 15, y: 16, z: 17, zz: 18, zzz: 19 } as const;

function run(s: Session, e: SessionEvent, now: number) {
  return step(s, e, now);
}

t.test('every (state, event) pair has a row or an explicit ignore', async (t) => {
  t.same(missingRows(), []);
  t.equal(STATES.length * EVENTS.length > 0, true);
  // rows for one (state, event) without a guard are unique (no first-match ambiguity)
  for (const st of STATES)
    for (const ev of EVENTS) {
      const rows = TABLE.filter((r) => r.from === st && r.on === ev);
      const unguarded = rows.filter((r) => !('when' in r) || r.when === undefined);
      t.ok(unguarded.length <= 1, `${st} x ${ev}: at most one unguarded row`);
      if (unguarded.length === 1) t.equal(rows.length, 1, `${st} x ${ev}: an unguarded row stands alone`);
    }
});

t.test('connect, confirm, methods, done, disconnect', async (t) => {
  const clock = new ManualClock(1000);
  let s = newSession(1, peer, caps, [], 0x12, clock.now(), 60_000);
  let r = run(s, { on: 'Connect', txn: T.c1 }, clock.now());
  t.equal(r.session.state, 'CONNECTING_2');
  t.same(r.actions[0], { do: 'connectReply', txn: T.c1 });
  s = r.session;
  r = run(s, { on: 'TR-Result.cnf', txn: T.c1 }, clock.advance(10));
  t.equal(r.session.state, 'CONNECTED');
  t.equal(r.session.pendingTxn, undefined);
  s = r.session;
  r = run(s, { on: 'Method', txn: T.m1 }, clock.advance(10));
  t.same(r.actions, [{ do: 'deliver', txn: T.m1 }]);
  s = r.session;
  s = run(s, { on: 'Method', txn: T.m2 }, clock.now()).session;
  r = run(s, { on: 'Method', txn: T.m3 }, clock.now());
  t.same(r.actions, [{ do: 'abortTxn', txn: T.m3, reason: 'MOREXCEEDED' }], 'Method-MOR enforced');
  // a method stays outstanding until its Result is acknowledged
  r = run(r.session, { on: 'TR-Result.cnf', txn: T.m1 }, clock.now());
  t.same(r.actions, [{ do: 'forget', txn: T.m1 }]);
  s = r.session;
  t.same(s.methods, [T.m2]);
  r = run(s, { on: 'Disconnect' }, clock.advance(5));
  t.equal(r.session.state, 'NULL');
  t.same(r.actions, [
    { do: 'cancelUpstream', txn: T.m2 },
    { do: 'abortTxn', txn: T.m2, reason: 'DISCONNECT' },
    { do: 'count', event: 'disconnect' },
    { do: 'release' },
  ]);
});

t.test('methods are served before the Connect Result is acknowledged; Disconnect then aborts both', async (t) => {
  let s = newSession(2, peer, caps, [], 0x12, 0, 60_000);
  s = run(s, { on: 'Connect', txn: T.c }, 0).session;
  let r = run(s, { on: 'Method', txn: T.m }, 1);
  t.equal(r.session.state, 'CONNECTING_2', 'only the Connect Result.cnf confirms');
  t.equal(r.session.pendingTxn, T.c);
  t.same(r.actions, [{ do: 'deliver', txn: T.m }]);
  // the Reply went out but is never acknowledged (a handset acking with a wrong TID)
  r = run(r.session, { on: 'Disconnect' }, 2);
  t.same(r.actions, [
    { do: 'cancelUpstream', txn: T.m },
    { do: 'abortTxn', txn: T.m, reason: 'DISCONNECT' },
    { do: 'abortTxn', txn: T.c, reason: 'DISCONNECT' },
    { do: 'count', event: 'disconnect' },
    { do: 'release' },
  ], 'no Result is left retransmitting after the session is gone');
});

t.test('Connect Result aborted -> session released', async (t) => {
  let s = newSession(3, peer, caps, [], 0x12, 0, 60_000);
  s = run(s, { on: 'Connect', txn: T.c }, 0).session;
  const r = run(s, { on: 'TR-Abort.ind', txn: T.c }, 1);
  t.equal(r.session.state, 'NULL');
  t.ok(r.actions.some((a) => a.do === 'release'));
});

t.test('MethodAbort cancels the upstream request of that method only', async (t) => {
  let s = newSession(4, peer, caps, [], 0x12, 0, 60_000);
  s = run(s, { on: 'Connect', txn: T.c }, 0).session;
  s = run(s, { on: 'TR-Result.cnf', txn: T.c }, 0).session;
  s = run(s, { on: 'Method', txn: T.a }, 0).session;
  s = run(s, { on: 'Method', txn: T.b }, 0).session;
  const r = run(s, { on: 'TR-Abort.ind', txn: T.a }, 1);
  t.same(r.actions, [{ do: 'cancelUpstream', txn: T.a }, { do: 'forget', txn: T.a }]);
  t.same(r.session.methods, [T.b]);
  const r2 = run(r.session, { on: 'TR-Abort.ind', txn: T.zzz }, 1);
  t.same(r2.actions, [], 'abort of an unknown transaction does nothing');
});

t.test('suspend aborts methods; resume from a new address moves the session', async (t) => {
  let s = newSession(5, peer, caps, [['User-Agent', 'a']], 0x12, 0, 60_000);
  s = run(s, { on: 'Connect', txn: T.c }, 0).session;
  s = run(s, { on: 'TR-Result.cnf', txn: T.c }, 0).session;
  s = run(s, { on: 'Method', txn: T.m }, 0).session;
  let r = run(s, { on: 'Suspend' }, 1);
  t.equal(r.session.state, 'SUSPENDED');
  t.same(r.actions.slice(0, 2), [
    { do: 'cancelUpstream', txn: T.m },
    { do: 'abortTxn', txn: T.m, reason: 'SUSPEND' },
  ]);
  s = r.session;
  r = run(s, { on: 'Method', txn: T.x }, 2);
  t.same(r.actions, [{ do: 'abortTxn', txn: T.x, reason: 'SUSPEND' }], 'no methods while suspended');
  const moved = { address: '10.0.0.9', port: 6000, family: 4 as const };
  r = run(s, { on: 'Resume', txn: T.r, peer: moved, headers: [['User-Agent', 'b']] }, 3);
  t.equal(r.session.state, 'RESUMING_2');
  t.same(r.session.peer, moved);
  t.same(r.session.headers, [['User-Agent', 'b']]);
  t.same(r.actions, [{ do: 'resumeReply', txn: T.r }, { do: 'count', event: 'resume' }]);
  r = run(r.session, { on: 'TR-Result.cnf', txn: T.r }, 4);
  t.equal(r.session.state, 'CONNECTED');
  // a Resume Result that fails leaves the session suspended
  let s2 = run(r.session, { on: 'Suspend' }, 5).session;
  s2 = run(s2, { on: 'Resume', txn: T.r2, peer, headers: undefined }, 6).session;
  t.same(s2.headers, [['User-Agent', 'b']], 'headers kept when Resume carries none');
  t.equal(run(s2, { on: 'TR-Abort.ind', txn: T.r2 }, 7).session.state, 'SUSPENDED');
});

t.test('idle timeout from the last activity, with a manual clock', async (t) => {
  const clock = new ManualClock(0);
  let s = newSession(6, peer, caps, [], 0x12, clock.now(), 1000);
  s = run(s, { on: 'Connect', txn: T.c }, clock.now()).session;
  clock.advance(600);
  s = run(s, { on: 'Method', txn: T.m }, clock.now()).session;
  t.equal(idleDeadline(s), 1600, 'activity moves the deadline');
  s = run(s, { on: 'TR-Result.cnf', txn: T.m }, clock.now()).session;
  clock.advance(1000);
  const r = run(s, { on: 'IdleTimeout' }, clock.now());
  t.equal(r.session.state, 'NULL');
  t.ok(r.actions.some((a) => a.do === 'count' && a.event === 'expire'));
});

t.test('events in NULL are ignored explicitly', async (t) => {
  const s = newSession(7, peer, caps, [], 0x12, 0, 1000);
  for (const on of ['Method', 'Disconnect', 'Suspend'] as const) {
    const r = on === 'Method' ? run(s, { on, txn: T.x }, 0) : run(s, { on }, 0);
    t.ok(r.ignored);
    t.same(r.actions, []);
  }
});

t.test('issue 15: a new method acknowledges the answered methods whose Ack was lost (Method-MOR 1)', async (t) => {
  const mor1 = { ...caps, methodMor: 1 };
  let s = newSession(9, peer, mor1, [], 0x12, 0, 60_000);
  s = run(s, { on: 'Connect', txn: T.c }, 0).session;
  s = run(s, { on: 'TR-Result.cnf', txn: T.c }, 1).session;
  s = run(s, { on: 'Method', txn: T.m1 }, 2).session;
  // m1 still upstream: a second method is over Method-MOR
  let r = run(s, { on: 'Method', txn: T.x }, 3);
  t.same(r.actions, [{ do: 'abortTxn', txn: T.x, reason: 'MOREXCEEDED' }], 'no Result yet: MOREXCEEDED');
  // S-MethodResult.req: m1 answered, its Ack then lost
  r = run(s, { on: 'MethodResult', txn: T.m1 }, 4);
  t.same(r.actions, []);
  t.same(r.session.answered, [T.m1]);
  t.same(r.session.methods, [T.m1], 'still outstanding until its Ack');
  s = r.session;
  // the handset, having received the Result, sends its next method at once
  r = run(s, { on: 'Method', txn: T.m2 }, 5);
  t.same(r.actions, [{ do: 'forget', txn: T.m1 }, { do: 'count', event: 'implicit-ack' }, { do: 'deliver', txn: T.m2 }], 'm1 acknowledged implicitly, m2 delivered');
  t.same(r.session.methods, [T.m2]);
  t.same(r.session.answered, []);
  s = r.session;
  // the late Ack (TR-Result.cnf) or the Abort of m1's transaction now changes nothing
  t.same(run(s, { on: 'TR-Result.cnf', txn: T.m1 }, 6).actions, []);
  t.same(run(s, { on: 'TR-Abort.ind', txn: T.m1 }, 6).actions, []);
  t.same(run(s, { on: 'TR-Result.cnf', txn: T.m1 }, 6).session.methods, [T.m2]);
  // m2 not answered: a third method is refused
  t.same(run(s, { on: 'Method', txn: T.m3 }, 7).actions, [{ do: 'abortTxn', txn: T.m3, reason: 'MOREXCEEDED' }]);
  // a Result for something that is not a method is ignored
  t.same(run(s, { on: 'MethodResult', txn: T.zz }, 8).actions, []);
});

t.test('issue 15: with Method-MOR 2, only answered methods are taken as acknowledged', async (t) => {
  let s = newSession(10, peer, caps, [], 0x12, 0, 60_000); // methodMor 2
  s = run(s, { on: 'Connect', txn: T.c }, 0).session;
  s = run(s, { on: 'Method', txn: T.a }, 1).session;
  s = run(s, { on: 'Method', txn: T.b }, 2).session;
  s = run(s, { on: 'MethodResult', txn: T.a }, 3).session;
  const r = run(s, { on: 'Method', txn: T.c2 }, 4);
  t.same(r.session.methods, [T.b, T.c2], 'a acknowledged, b (upstream) still counts');
  t.same(run(r.session, { on: 'Method', txn: T.d }, 5).actions, [{ do: 'abortTxn', txn: T.d, reason: 'MOREXCEEDED' }]);
  // Disconnect aborts what is outstanding, answered or not
  const s2 = run(run(r.session, { on: 'MethodResult', txn: T.b }, 6).session, { on: 'Disconnect' }, 7);
  t.same(
    s2.actions.filter((a) => a.do === 'abortTxn').map((a) => ('txn' in a ? a.txn : -1)),
    [T.b, T.c2, T.c],
    'both methods and the unconfirmed Connect',
  );
});

t.test('random sessions and events match exactly one row (the table engine rule, as for WTP); step is pure', async (t) => {
  const txns = [T.a, T.b, T.c];
  const sessionArb = fc
    .record({
      state: fc.constantFrom(...STATES),
      methods: fc.subarray(txns),
      answeredMask: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      pending: fc.boolean(),
      mor: fc.integer({ min: 1, max: 3 }),
    })
    .map((r): Session => ({
      ...newSession(1, peer, { ...caps, methodMor: r.mor }, [], 0x12, 0, 60_000),
      state: r.state,
      methods: r.methods,
      answered: r.methods.filter((_, i) => r.answeredMask[i]),
      // only the Connect (CONNECTING_2) or the Resume (RESUMING_2) transaction waits for its TR-Result.cnf
      pendingTxn: r.pending && (r.state === 'CONNECTING_2' || r.state === 'RESUMING_2') ? T.p : undefined,
    }));
  const txn = fc.constantFrom(T.a, T.b, T.c, T.p, T.z);
  const eventArb: fc.Arbitrary<SessionEvent> = fc.oneof(
    txn.map((x) => ({ on: 'Connect' as const, txn: x })),
    txn.map((x) => ({ on: 'TR-Result.cnf' as const, txn: x })),
    txn.map((x) => ({ on: 'TR-Abort.ind' as const, txn: x })),
    fc.constantFrom(T.z, T.y).map((x) => ({ on: 'Method' as const, txn: x })),
    txn.map((x) => ({ on: 'MethodResult' as const, txn: x })),
    fc.constantFrom({ on: 'Disconnect' as const }, { on: 'Suspend' as const }, { on: 'IdleTimeout' as const }, { on: 'Evict' as const }),
    fc.constantFrom(T.r1, T.p).map((x) => ({ on: 'Resume' as const, txn: x, peer, headers: undefined })),
  );
  let n = 0;
  fc.assert(
    fc.property(sessionArb, eventArb, (s, e) => {
      const matching = rowsFor(s.state, e.on).filter((r) => !r.when || r.when({ s, e }));
      if (matching.length !== 1) throw new Error(`${matching.length} rows for ${s.state} x ${e.on}`);
      const frozen = JSON.stringify(s);
      const r = step(s, e, 5);
      if (JSON.stringify(s) !== frozen) throw new Error('step mutated its input');
      if (JSON.stringify(step(s, e, 5)) !== JSON.stringify(r)) throw new Error('step is not deterministic');
      if (!r.session.answered.every((x) => r.session.methods.includes(x))) throw new Error('answered is not a subset of methods');
      n++;
    }),
    { numRuns: 5000, seed: 15 },
  );
  t.equal(n, 5000);
  // the engine throws a typed error when the table has no row (never a silent "ignored")
  t.throws(() => step({ ...newSession(1, peer, caps, [], 0x12, 0, 1), state: 'CONNECTED', pendingTxn: T.p }, { on: 'TR-Result.cnf', txn: T.p }, 0), { code: 'ERR_WSP_NO_ROW' });
});
