import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PapError, parsePapAddress } from '../../src/ppg/pap';
import { PushQueue, pushBody, retryDelay, type JournalRecord, type PushInput } from '../../src/ppg/queue';
import { Journal, parseJournal, JOURNAL_FILE } from '../../src/ppg/journal';

const LIMITS = { maxPending: 3, maxFinished: 2, retainMs: 60_000, defaultLifetimeMs: 3_600_000 };
const POLICY = { initialDelayMs: 1000, maxDelayMs: 8000, multiplier: 2 };
const T0 = Date.UTC(2026, 11, 7, 12);

const input = (pushId: string, extra: Partial<PushInput> = {}): PushInput => ({
  initiator: 'mmsc',
  pushId,
  version: '2.0',
  contentType: 'application/vnd.wap.mms-message',
  applicationId: 4,
  body: Buffer.from('8c82', 'hex'),
  addresses: [parsePapAddress('WAPPUSH=+4917012345/TYPE=PLMN'), parsePapAddress('WAPPUSH=10.0.0.1/TYPE=IPv4')],
  ...extra,
});

const code = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as PapError).papCode;
  }
  return undefined;
};

t.test('retry delay is capped exponential', async (t) => {
  t.same([1, 2, 3, 4, 5, 9].map((n) => retryDelay(POLICY, n)), [1000, 2000, 4000, 8000, 8000, 8000]);
});

t.test('fan-out, attempts, retry, success, receipts', async (t) => {
  const q = new PushQueue(LIMITS);
  const { push, records } = q.add(input('p1'), T0);
  t.equal(records[0]?.t, 'push');
  t.equal(q.nextDeadline(), T0);
  let due = q.due(T0);
  t.equal(due.deliver.length, 2, 'each address its own attempt');
  t.same(push.addresses.map((a) => a.state), ['delivering', 'delivering']);
  t.equal(q.due(T0).deliver.length, 0, 'not handed out twice');
  // SMS throttled -> retry in 1 s; IP sent
  const [sms, ip] = due.deliver;
  q.outcome(sms!, { ok: false, retry: true, code: 'ERR_SMPP_THROTTLED', reason: 'throttled', bearer: 'sms' }, T0 + 10, POLICY);
  q.outcome(ip!, { ok: true, bearer: 'ip', messageIds: [] }, T0 + 10, POLICY);
  t.same(push.addresses.map((a) => a.state), ['pending', 'delivered']);
  t.equal(push.addresses[0]?.nextTryAt, T0 + 1010);
  t.equal(q.nextDeadline(), T0 + 1010);
  t.equal(q.due(T0 + 1009).deliver.length, 0);
  due = q.due(T0 + 1010);
  t.equal(due.deliver.length, 1);
  t.equal(push.addresses[0]?.attempts, 2);
  const recs = q.outcome(due.deliver[0]!, { ok: true, bearer: 'sms', messageIds: ['m1', 'm2'] }, T0 + 1020, POLICY);
  t.equal(push.addresses[0]?.state, 'accepted');
  t.same(recs.map((r) => r.t), ['sent'], 'one `sent` record: the address state and, implied, the push\'s done');
  t.equal(push.finishedAt, T0 + 1020, 'finished: every address final, no notification asked');
  t.equal(q.activeCount, 0);
  // a receipt after the push finished still updates the state
  const r = q.receipt('m2', 'undeliverable', T0 + 5000);
  t.equal(r?.ref.push, push);
  t.equal(push.addresses[0]?.state, 'undeliverable');
  t.equal(q.receipt('m1', 'delivered', T0 + 5001), undefined, 'the other part id was forgotten with it');
  t.equal(q.receipt('nope', 'delivered', T0), undefined);
});

t.test('without receipts asked (trackReceipts false) message ids are kept but not indexed', async (t) => {
  const q = new PushQueue({ ...LIMITS, trackReceipts: false });
  const { push } = q.add(input('p1', { addresses: [parsePapAddress('WAPPUSH=+4917012345/TYPE=PLMN')] }), T0);
  const [ref] = q.due(T0).deliver;
  q.outcome(ref!, { ok: true, bearer: 'sms', messageIds: ['m1'] }, T0 + 10, POLICY);
  t.equal(push.addresses[0]?.state, 'accepted');
  t.same(push.addresses[0]?.messageIds, ['m1'], 'the id stays with the address (status, admin)');
  t.equal(q.receipt('m1', 'undeliverable', T0 + 20), undefined, 'no receipt is matched');
  t.equal(push.addresses[0]?.state, 'accepted');
});

t.test('deliver-after, deliver-before, expiry and notifications', async (t) => {
  const q = new PushQueue(LIMITS);
  const { push } = q.add(input('p1', { deliverAfter: T0 + 5000, deliverBefore: T0 + 10_000, notifyTo: 'http://pi/notify' }), T0);
  t.equal(q.due(T0 + 4999).deliver.length, 0, 'deliver-after honoured');
  const due = q.due(T0 + 5000);
  t.equal(due.deliver.length, 2);
  // both fail transiently; the next try (1 s later) is still before deliver-before
  for (const d of due.deliver) q.outcome(d, { ok: false, retry: true, code: 'ERR_X', reason: 'no SMSC', bearer: 'sms' }, T0 + 5000, POLICY);
  t.same(q.notificationsDue(), []);
  // SMSC down until after deliver-before: expired at deliver-before
  const later = q.due(T0 + 6000);
  for (const d of later.deliver) q.outcome(d, { ok: false, retry: true, code: 'ERR_X', reason: 'no SMSC', bearer: 'sms' }, T0 + 6000, POLICY);
  t.same(push.addresses.map((a) => a.state), ['pending', 'pending']);
  t.equal(q.nextDeadline(), T0 + 8000);
  const third = q.due(T0 + 8000);
  for (const d of third.deliver) q.outcome(d, { ok: false, retry: true, code: 'ERR_X', reason: 'no SMSC', bearer: 'sms' }, T0 + 8000, POLICY);
  t.same(push.addresses.map((a) => a.state), ['expired', 'expired'], 'no retry fits before deliver-before');
  t.equal(q.notificationsDue().length, 2, 'the initiator is told');
  t.equal(q.activeCount, 1, 'still active until notified');
  const n = q.notificationsDue();
  q.notified(n[0]!, true, T0 + 9000);
  const last = q.notified(n[1]!, false, T0 + 9000);
  t.ok(last.some((r) => r.t === 'done'));
  t.equal(q.activeCount, 0);
});

t.test('a pending address expires at deliver-before without an attempt', async (t) => {
  const q = new PushQueue(LIMITS);
  const { push } = q.add(input('p1', { deliverAfter: T0 + 20_000, deliverBefore: T0 + 10_000 + 1 }), T0);
  t.equal(q.nextDeadline(), T0 + 10_001, 'the deadline is the expiry');
  const due = q.due(T0 + 10_001);
  t.equal(due.deliver.length, 0);
  t.equal(due.expired.length, 2);
  t.same(push.addresses.map((a) => a.state), ['expired', 'expired']);
});

t.test('limits: duplicate push-id, max pending, past deliver-before, retention', async (t) => {
  const q = new PushQueue(LIMITS);
  q.add(input('a'), T0);
  t.equal(code(() => q.add(input('a'), T0)), 2007);
  t.doesNotThrow(() => q.add(input('a', { initiator: 'other' }), T0), 'push-ids are per initiator');
  q.add(input('b'), T0);
  t.equal(code(() => q.add(input('c'), T0)), 3003, 'queue full');
  t.equal(code(() => new PushQueue(LIMITS).add(input('x', { deliverBefore: T0 - 1 }), T0)), 2000);
  // finish everything; only maxFinished are kept, each for retainMs
  for (const d of q.due(T0).deliver) q.outcome(d, { ok: true, bearer: 'ip', messageIds: [] }, T0 + 1, POLICY);
  t.equal(q.size, 2, 'maxFinished = 2');
  t.equal(q.activeCount, 0);
  t.equal(q.nextDeadline(), T0 + 1 + 60_000);
  const d = q.due(T0 + 1 + 60_000);
  t.ok(d.records.every((r) => r.t === 'drop'));
  t.equal(q.size, 0);
});

t.test('cancel and status query', async (t) => {
  const q = new PushQueue(LIMITS);
  const { push } = q.add(input('p1'), T0);
  t.equal(code(() => q.cancel('mmsc', 'nope', [], T0)), 2004);
  t.equal(code(() => q.query('other', 'p1', [])), 2004, 'another initiator cannot see it');
  const [sms] = q.due(T0).deliver;
  // the SMS attempt is in flight; the IP one too; put IP back to pending by a transient failure
  q.outcome(q.due(T0).deliver[0] ?? sms!, { ok: false, retry: true, code: 'E', reason: 'r', bearer: 'sms' }, T0, POLICY);
  const states = q.query('mmsc', 'p1', []).map((a) => a.state);
  t.same(states, ['pending', 'delivering']);
  const c = q.cancel('mmsc', 'p1', [], T0 + 1);
  t.same(c.results.map((r) => r.code), [1000, 2008]);
  t.equal(push.addresses[0]?.state, 'cancelled');
  t.equal(code(() => q.query('mmsc', 'p1', [parsePapAddress('WAPPUSH=+999999/TYPE=PLMN')])), 2002);
  t.same(q.query('mmsc', 'p1', [parsePapAddress('WAPPUSH=10.0.0.1/TYPE=IPv4')]).map((a) => a.value), ['WAPPUSH=10.0.0.1/TYPE=IPv4']);
  // the attempt that was in flight answers after the cancel of the other address
  q.outcome({ push, i: 1 }, { ok: true, bearer: 'ip', messageIds: [] }, T0 + 2, POLICY);
  t.equal(q.activeCount, 0);
});

t.test('replay rebuilds the same state; delivering becomes pending', async (t) => {
  const q = new PushQueue(LIMITS);
  const log: JournalRecord[] = [];
  log.push(...q.add(input('p1', { notifyTo: 'http://pi/n' }), T0).records);
  log.push(...q.add(input('p2'), T0).records);
  const due = q.due(T0);
  log.push(...due.records);
  log.push(...q.outcome(due.deliver[0]!, { ok: true, bearer: 'sms', messageIds: ['id-1'] }, T0 + 5, POLICY));
  log.push(...q.outcome(due.deliver[1]!, { ok: false, retry: true, code: 'E', reason: 'r', bearer: 'ip' }, T0 + 5, POLICY));
  // due.deliver[2], [3] (p2) are in flight at the "crash"
  const r = new PushQueue(LIMITS);
  r.replay(JSON.parse(JSON.stringify(log)) as JournalRecord[]);
  t.same(r.get('mmsc', 'p1')?.addresses.map((a) => a.state), ['accepted', 'pending']);
  t.same(r.get('mmsc', 'p2')?.addresses.map((a) => a.state), ['pending', 'pending'], 'in-flight attempts are tried again');
  t.equal(pushBody(r.get('mmsc', 'p1')!).toString('hex'), '8c82');
  t.equal(r.notificationsDue().length, 1);
  t.ok(r.receipt('id-1', 'delivered', T0 + 10), 'receipt index rebuilt');
  t.equal(r.due(T0 + 1005).deliver.length, 3);
  // snapshot -> replay gives the same again
  const s = new PushQueue(LIMITS);
  s.replay([...r.snapshot()].map((x) => JSON.parse(JSON.stringify(x)) as JournalRecord));
  t.same(s.get('mmsc', 'p1')?.addresses.map((a) => a.state), r.get('mmsc', 'p1')?.addresses.map((a) => (a.state === 'delivering' ? 'pending' : a.state)));
  t.same(s.countsByState(), { pending: 3, delivering: 0, accepted: 0, delivered: 1, undeliverable: 0, expired: 0, cancelled: 0 });
});

t.test('a `sent` record replays to the same state as the live outcome (state, attempts, ids, reason, notify, finish, drops)', async (t) => {
  const live = new PushQueue({ ...LIMITS, maxFinished: 1 });
  const log: JournalRecord[] = [];
  const one = (a: string) => [parsePapAddress(a)];
  log.push(...live.add(input('n', { notifyTo: 'http://pi/n', addresses: one('WAPPUSH=+4917000001/TYPE=PLMN') }), T0).records);
  log.push(...live.add(input('a', { addresses: one('WAPPUSH=+4917000002/TYPE=PLMN') }), T0).records);
  log.push(...live.add(input('b', { addresses: one('WAPPUSH=10.0.0.9/TYPE=IPv4') }), T0).records);
  const due = live.due(T0);
  // `a` fails once first: its second attempt is the one that is sent
  log.push(...live.outcome(due.deliver[1]!, { ok: false, retry: true, code: 'E', reason: 'r', bearer: 'sms' }, T0 + 1, POLICY));
  log.push(...live.outcome(due.deliver[0]!, { ok: true, bearer: 'sms', messageIds: ['x1', 'x2'] }, T0 + 2, POLICY));
  log.push(...live.outcome(due.deliver[2]!, { ok: true, bearer: 'ip', messageIds: [] }, T0 + 3, POLICY));
  const again = live.due(T0 + 5000).deliver;
  const last = live.outcome(again[0]!, { ok: true, bearer: 'sms', messageIds: ['y'] }, T0 + 5001, POLICY);
  t.same(last.map((r) => r.t), ['sent', 'drop'], 'a push dropped to stay within maxFinished still gets its drop record');
  log.push(...last);
  t.ok(log.filter((r) => r.t === 'sent').every((r) => JSON.stringify(r).length < 120), 'short records');
  const replayed = new PushQueue({ ...LIMITS, maxFinished: 1 });
  replayed.replay(JSON.parse(JSON.stringify(log)) as JournalRecord[]);
  for (const id of ['n', 'a', 'b']) {
    const x = live.get('mmsc', id);
    const y = replayed.get('mmsc', id);
    t.same(y, x, `push ${id}`);
  }
  t.equal(live.get('mmsc', 'b'), undefined, 'b (finished first) was dropped');
  t.equal(replayed.get('mmsc', 'a')?.addresses[0]?.attempts, 2);
  t.equal(replayed.get('mmsc', 'a')?.finishedAt, T0 + 5001);
  t.equal(replayed.get('mmsc', 'n')?.finishedAt, undefined, 'a notification is due: not finished');
  t.equal(replayed.notificationsDue().length, 1);
  t.same(replayed.countsByState(), live.countsByState());
  t.equal(replayed.activeCount, live.activeCount);
  t.ok(replayed.receipt('x2', 'delivered', T0 + 6000), 'receipt index rebuilt from the sent record');
});

t.test('journal: group commit, reopen, torn tail, compaction, lock', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const q = new PushQueue({ ...LIMITS, maxPending: 1000 });
  const { journal, records } = await Journal.open({ dir, fsync: true, compactMinBytes: 4096 });
  t.same(records, []);
  // 20 concurrent appends: fewer writes than appends (group commit)
  await Promise.all(Array.from({ length: 20 }, (_, i) => journal.append(q.add(input(`p${i}`), T0).records)));
  t.equal(journal.syncs, journal.writes, 'one fdatasync per write');
  t.ok(journal.writes < 20, `group commit: ${journal.writes} writes for 20 appends`);
  await journal.close();
  // a torn last line (crash mid-write) is ignored
  appendFileSync(join(dir, JOURNAL_FILE), '{"t":"push","p":{"key":"broken');
  const again = await Journal.open({ dir, fsync: true, compactMinBytes: 4096 });
  const parsed = parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'utf8'));
  t.equal(parsed.stats.torn, true);
  t.equal(again.records.length, 20);
  const r = new PushQueue({ ...LIMITS, maxPending: 1000 });
  r.replay(again.records);
  t.equal(r.size, 20);
  // lock: a second opener in another live process is refused
  writeFileSync(join(dir, 'lock'), `${process.ppid}\n`);
  await t.rejects(Journal.open({ dir, fsync: true, compactMinBytes: 4096 }), { code: 'ERR_PPG_STATE_LOCKED' });
  writeFileSync(join(dir, 'lock'), `${process.pid}\n`);
  // compaction: finish every push, the file shrinks to the live state
  for (const d of r.due(T0).deliver) await again.journal.append(r.outcome(d, { ok: true, bearer: 'ip', messageIds: [] }, T0 + 1, POLICY));
  const before = again.journal.bytes;
  await again.journal.compactNow(() => r.snapshot());
  t.ok(again.journal.bytes < before, `compacted ${before} -> ${again.journal.bytes}`);
  await again.journal.close();
  const third = await Journal.open({ dir, fsync: true, compactMinBytes: 4096 });
  const z = new PushQueue({ ...LIMITS, maxPending: 1000 });
  z.replay(third.records);
  t.equal(z.size, r.size, 'same pushes after compaction + reopen');
  t.equal(z.activeCount, 0);
  await third.journal.close();
});

t.test('journal: a restart reads the file in chunks and replays record by record, each body intact', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const q = new PushQueue({ ...LIMITS, maxPending: 10_000 });
  const { journal } = await Journal.open({ dir, fsync: false, compactMinBytes: 1 << 30 });
  // ~2.5 MB of records (several 1 MB read chunks; lines cross the chunk ends), multi-octet UTF-8
  // in a push-id so that a chunk end can fall inside a character, and a body of every octet value
  const body = Buffer.from(Array.from({ length: 1500 }, (_, i) => i & 0xff));
  for (let i = 0; i < 1000; i++) await journal.append(q.add(input(`p${i}-\u00e9\u20ac\u{1f4e8}`, { body, initiator: 'user:mmsc' }), T0).records);
  await journal.close();
  appendFileSync(join(dir, JOURNAL_FILE), 'not json\n{"t":"push","p":{"key":"torn');
  const whole = parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'utf8'));
  t.ok(whole.stats.bytes > 2 << 20, `${whole.stats.bytes} octets of journal`);
  const r = new PushQueue({ ...LIMITS, maxPending: 10_000 });
  let seen = 0;
  const again = await Journal.open({ dir, fsync: false, compactMinBytes: 1 << 30 }, (rec) => {
    seen++;
    r.replayOne(rec);
  });
  t.same(again.records, [], 'records went to the callback, not into an array');
  t.equal(seen, 1000);
  t.same(again.stats, whole.stats, 'same records, corrupt count, torn tail and size as reading the whole file');
  t.equal(r.size, 1000);
  for (const i of [0, 1, 499, 999]) {
    const p = r.get('user:mmsc', `p${i}-\u00e9\u20ac\u{1f4e8}`);
    t.ok(p, `push ${i} replayed with its push-id intact`);
    t.ok(p && pushBody(p).equals(body), `push ${i}: body intact`);
    // kept in its base64 form: a string of its own, no view into a read buffer or a pool slab
    t.equal(p?.body, body.toString('base64'), `push ${i}: body in its base64 form`);
  }
  await again.journal.close();
});
