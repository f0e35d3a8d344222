/**
 * Issue 15, lossy radio links, through the whole WSP stack in simulated time (test/helpers/
 * wsp-sim.ts: WspServer + WTP responder + codecs, a seeded lossy link, Method-MOR-1 handsets).
 * First the race itself, deterministically (the Ack of a Result lost, the next method at once),
 * then the other places where loss could fail a handset, then random loss with duplication.
 */
import t from 'tap';
import { PROVIDER_ABORT } from '../../src/codec/wtp/types';
import { WSP_ABORT } from '../../src/wsp/session-machine';
import { Mor1Client } from '../helpers/mor1-client';
import { WspSim, type SimDelivery } from '../helpers/wsp-sim';

const URL = 'http://mmsc.test/mms';
const isFinalAck = (d: SimDelivery, tid: number) => d.dir === 'up' && d.pdu.type === 'Ack' && !d.pdu.tveTok && d.pdu.tid === tid;

async function metric(sim: WspSim, name: string, match: string): Promise<number> {
  const text = await sim.metrics.registry.metrics();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(match)) n += Number(line.split(' ').pop());
  return n;
}

t.test('the race: the Ack of a POST Result is lost, the next POST comes at once; neither runs twice', async (t) => {
  const sim = new WspSim();
  const h = sim.handset('10.0.0.1:40000');
  const c = new Mor1Client(h, URL, 2, { disconnect: false });
  // drop the handset's first Ack of the first POST's Result (TID 2: Connect is 1)
  let dropped = 0;
  sim.filter = (d) => !(isFinalAck(d, 2) && dropped++ === 0);
  c.start();
  t.ok(await sim.run(() => c.finished, 60_000), 'the handset finished');
  t.equal(dropped, 1, 'the Ack was lost');
  t.same(
    c.posts.map((o) => o.status),
    [200, 200],
    'both POSTs answered 200',
  );
  t.equal(sim.abortsSent(WSP_ABORT.MOREXCEEDED).length, 0, 'no Abort MOREXCEEDED');
  t.equal(await metric(sim, 'wapgw_wsp_session_events_total', 'implicit-ack'), 1, 'the second POST acknowledged the first Result');
  t.same(
    c.bodies.map((b) => sim.timesSeen(b)),
    [1, 1],
    'each POST reached the MMSC once',
  );

  // the gateway still retransmits the first Result; the handset acknowledges it again
  await sim.run(() => false, 10_000);
  t.ok(sim.sent.filter((d) => d.dir === 'down' && d.pdu.type === 'Result' && (d.pdu.tid & 0x7fff) === 2).length >= 2, 'the first Result was retransmitted');

  // a retransmission of the first POST's Invoke (RID) while the transaction is remembered: replayed, not re-run
  const firstPost = h.txs.get(2)!;
  const post1 = { type: 'Invoke' as const, tid: 2, tpis: [], gtr: false, ttr: true, rid: true, version: 0, tidNew: false, up: true, tcl: 2 as const, data: firstPost.data };
  sim.transmit('up', h.peer, post1);
  await sim.run(() => false, 5_000);
  t.equal(sim.timesSeen(c.bodies[0]!), 1, 'a retransmitted old Invoke is not sent upstream again (WAIT_TIMEOUT)');

  // and after the gateway has forgotten the transaction (timer W), the TID test asks the handset,
  // which has no such transaction open any more and answers Abort INVALIDTID
  await sim.run(() => false, 40_000);
  sim.transmit('up', h.peer, post1);
  await sim.run(() => false, 5_000);
  t.equal(sim.timesSeen(c.bodies[0]!), 1, 'nor after W: the TID verification refuses it');
  t.ok(
    sim.sent.some((d) => d.dir === 'up' && d.pdu.type === 'Abort' && d.pdu.tid === 2 && d.pdu.reason === PROVIDER_ABORT.INVALIDTID),
    'the handset answered the verification with Abort INVALIDTID',
  );
  t.equal(sim.mmsc.length, 2, 'two requests in all');
});

t.test('Method-MOR still holds for methods that have no Result yet', async (t) => {
  const sim = new WspSim({ mmscDelayMs: 5_000 });
  const h = sim.handset('10.0.0.2:40000');
  const c = new Mor1Client(h, URL, 1, { disconnect: false });
  c.start();
  await sim.run(() => c.current !== undefined && c.outcomes.length === 1, 10_000);
  await sim.run(() => sim.mmsc.length === 1, 10_000);
  // a second method while the first is still upstream: over Method-MOR 1, refused
  const second = h.invoke(Buffer.from([0x40, 0x03, 0x61, 0x62, 0x63]));
  await sim.run(() => second.finished, 10_000);
  t.equal(second.abort?.reason, WSP_ABORT.MOREXCEEDED, 'refused with MOREXCEEDED');
  await sim.run(() => c.finished, 30_000);
  t.equal(c.posts[0]?.status, 200, 'the first method is unaffected');
  t.equal(sim.mmsc.length, 1);
});

t.test('a lost ConnectReply Ack, then the first method at once', async (t) => {
  const sim = new WspSim();
  const h = sim.handset('10.0.0.3:40000');
  const c = new Mor1Client(h, URL, 2, { disconnect: false });
  let dropped = 0;
  const drop = (yes: boolean) => (yes && dropped < 2 ? (dropped++, false) : true);
  sim.filter = (d) => drop(isFinalAck(d, 1));
  c.start();
  t.ok(await sim.run(() => c.finished, 60_000));
  t.same(
    c.posts.map((o) => o.status),
    [200, 200],
    'the POSTs are served while the ConnectReply waits for its Ack',
  );
  await sim.run(() => false, 10_000);
  t.equal(dropped, 2, 'two Acks of the ConnectReply lost');
  t.ok(h.txs.get(1)!.finalAcks >= 3, 'the retransmitted ConnectReply was acknowledged again');
  t.equal(sim.server.status().sessions, 1, 'the session lives');
  t.equal(sim.mmsc.length, 2, 'each POST once');
});

t.test('Disconnect racing an unacknowledged Result', async (t) => {
  const sim = new WspSim();
  const h = sim.handset('10.0.0.4:40000');
  const c = new Mor1Client(h, URL, 1);
  sim.filter = (d) => !isFinalAck(d, 2); // every Ack of the POST's Result is lost
  c.start();
  t.ok(await sim.run(() => c.finished, 60_000));
  await sim.run(() => false, 10_000);
  t.equal(c.posts[0]?.status, 200, 'the handset has its answer');
  t.equal(sim.server.status().sessions, 0, 'the Disconnect ended the session');
  t.equal(sim.mmsc.length, 1, 'the POST ran once');
  const aborted = sim.abortsSent(WSP_ABORT.DISCONNECT);
  t.equal(aborted.length, 1, 'the unacknowledged Result is aborted (WAP-230: Disconnect aborts every method)');
  t.equal(h.txs.get(2)?.phase, 'done', 'which the handset, done with it, ignores');
});

t.test('a duplicate Connect after the session exists does not replace the session', async (t) => {
  const sim = new WspSim({ link: { duplicate: 0 } });
  const h = sim.handset('10.0.0.5:40000');
  const c = new Mor1Client(h, URL, 3);
  let connectInvoke: SimDelivery | undefined;
  c.onStep = (o) => {
    // a copy of the Connect Invoke (RID = 0) arrives late, after the first POST
    if (o.what === 'post' && connectInvoke) sim.transmit('up', h.peer, connectInvoke.pdu);
  };
  sim.filter = (d) => {
    if (d.dir === 'up' && d.pdu.type === 'Invoke' && d.pdu.tid === 1 && !connectInvoke) connectInvoke = d;
    return true;
  };
  c.start();
  t.ok(await sim.run(() => c.finished, 60_000));
  t.same(
    c.posts.map((o) => o.status),
    [200, 200, 200],
    'every POST answered',
  );
  t.equal(await metric(sim, 'wapgw_wsp_session_events_total', 'event="connect"'), 1, 'one session only');

  // the same after timer W: the gateway has forgotten the Connect, the TID test asks, the handset refuses
  const sim2 = new WspSim();
  const h2 = sim2.handset('10.0.0.6:40000');
  const c2 = new Mor1Client(h2, URL, 1, { disconnect: false });
  c2.start();
  await sim2.run(() => c2.finished, 60_000);
  await sim2.run(() => false, 40_000);
  const conn = h2.txs.get(1)!;
  sim2.transmit('up', h2.peer, { type: 'Invoke', tid: 1, tpis: [], gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2, data: conn.data });
  await sim2.run(() => false, 10_000);
  t.equal(await metric(sim2, 'wapgw_wsp_session_events_total', 'event="connect"'), 1, 'no second session after W either');
  t.equal(sim2.server.status().sessions, 1, 'the session lives on');
});

t.test('Resume from a new address with a Result still pending', async (t) => {
  const sim = new WspSim({ config: { wsp: {} }, mmscDelayMs: 3_000 });
  const h = sim.handset('10.0.0.7:40000');
  // Protocol Options: Session Resume (0x20)
  const c = new Mor1Client(h, URL, 1, { connectCaps: [Buffer.from([0x02, 0x82, 0x20])], disconnect: false });
  c.start();
  await sim.run(() => sim.mmsc.length === 1, 10_000);
  const sid = c.sessionId!;
  t.ok(sid > 0);
  // the phone moves: Resume from another address while the POST is upstream
  const moved = sim.handset('10.0.9.9:41000');
  const resume = moved.invoke(Buffer.from([0x09, sid, 0x00]));
  await sim.run(() => resume.finished, 30_000);
  t.equal(resume.phase, 'done', 'the Resume is answered');
  t.equal(resume.result?.[0], 0x04, 'with a Reply');
  t.equal(resume.result?.[1], 0x20, '200 OK');
  await sim.run(() => c.finished, 30_000);
  t.equal(c.posts[0]?.abortReason, WSP_ABORT.RESUME, 'the pending method is aborted with RESUME (WAP-230 server session table), at the old address');
  // and methods work from the new address
  const get = moved.invoke(Buffer.from([0x40, 0x03, 0x61, 0x62, 0x63]));
  await sim.run(() => get.finished, 30_000);
  t.equal(get.result?.[1], 0x20, 'a method from the new address gets 200');
  t.equal(sim.timesSeen(c.bodies[0]!), 1, 'the POST reached the MMSC once');
});

t.test('a duplicate of the Ack(TIDve) reaches the handset after the Connect: its Abort INVALIDTID is stale', async (t) => {
  const sim = new WspSim();
  const h = sim.handset('10.0.0.9:40000');
  const c = new Mor1Client(h, URL, 3);
  // the ConnectReply's Ack is lost, and a late copy of the verification reaches the handset
  let dropped = 0;
  sim.filter = (d) => (isFinalAck(d, 1) && dropped < 1 ? (dropped++, false) : true);
  c.onStep = (o) => {
    if (o.what === 'connect') sim.transmit('down', h.peer, { type: 'Ack', tid: 0x8001, tpis: [], tveTok: true, rid: false });
  };
  c.start();
  t.ok(await sim.run(() => c.finished, 60_000));
  t.ok(
    sim.sent.some((d) => d.dir === 'up' && d.pdu.type === 'Abort' && d.pdu.tid === 1 && d.pdu.reason === PROVIDER_ABORT.INVALIDTID),
    'the handset answered Abort INVALIDTID',
  );
  t.same(
    c.posts.map((o) => o.status),
    [200, 200, 200],
    'the session survives: every POST answered',
  );
  t.equal(sim.abortsSent(WSP_ABORT.CONNECTERR).length, 0, 'no CONNECTERR');
});

t.test('TID verification when the TIDok is lost', async (t) => {
  const sim = new WspSim();
  const h = sim.handset('10.0.0.8:40000');
  const c = new Mor1Client(h, URL, 2);
  let dropped = 0;
  // the gateway verifies an initiator it has never seen: drop the handset's first two TIDoks
  sim.filter = (d) => (d.dir === 'up' && d.pdu.type === 'Ack' && d.pdu.tveTok && dropped < 2 ? (dropped++, false) : true);
  c.start();
  t.ok(await sim.run(() => c.finished, 60_000));
  t.equal(dropped, 2, 'two TIDoks lost');
  t.equal(c.outcomes[0]?.phase, 'done', 'the Connect completed');
  t.same(
    c.posts.map((o) => o.status),
    [200, 200],
  );
  t.equal(sim.mmsc.length, 2);
});

for (const [loss, dup] of [
  [0.1, 0.05],
  [0.2, 0.1],
  [0.3, 0.2],
] as const) {
  t.test(`random loss ${loss * 100} % and duplication ${dup * 100} %, 5 MOR-1 handsets x 8 POSTs`, async (t) => {
    for (const seed of [1, 2, 3]) {
      const sim = new WspSim({ seed, link: { loss, duplicate: dup, delayMs: 20, jitterMs: 10 } });
      const clients = Array.from({ length: 5 }, (_, i) => new Mor1Client(sim.handset(`10.0.1.${i + 1}:40000`), URL, 8));
      for (const c of clients) c.start();
      await sim.run(() => clients.every((c) => c.finished), 1_800_000);
      const posts = clients.flatMap((c) => c.posts);
      const answered = clients.reduce((n, c) => n + c.answered, 0);
      const bodies = clients.flatMap((c) => c.bodies);
      const counts = bodies.map((b) => sim.timesSeen(b));
      t.equal(counts.filter((n) => n > 1).length, 0, `seed ${seed}: no POST at the MMSC twice`);
      t.equal(sim.abortsSent(WSP_ABORT.MOREXCEEDED).length, 0, `seed ${seed}: no MOREXCEEDED`);
      for (const [i, o] of posts.entries()) if (o.status === 200) t.equal(counts[i], 1, `seed ${seed}: answered POST ${i} reached the MMSC once`);
      if (loss <= 0.2) t.equal(answered, 40, `seed ${seed}: 40/40 answered`);
      else t.ok(answered >= 36, `seed ${seed}: ${answered}/40 answered at 30 %`);
    }
  });
}
