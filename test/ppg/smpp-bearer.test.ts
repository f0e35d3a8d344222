/**
 * The SMPP 3.4 client bearer against a real SMPP server (test/helpers/smsc.ts: the npm `smpp`
 * package's server mode): bind modes, submit_sm fields (esm_class 0x40, data_coding 0x04, UDH
 * ports 2948 <- 9200, registered_delivery), concatenation with 8- and 16-bit references and the
 * part limit, receipts, throttling retries, permanent refusals, the window, the rate limit,
 * failover and reconnection, close.
 */
import t from 'tap';
import { decodeUserDataWithHeader, reassemble, summarizeUdh } from '../../src/codec/sms';
import type { DeliveryReceipt, SmscOptions } from '../../src/ppg/bearer';
import { SmppBearer, type SmppEvent } from '../../src/ppg/bearers/smpp';
import { startSmsc, type TestSmsc } from '../helpers/smsc';

const wdp = (n: number, fill = 0x5a) => Buffer.concat([Buffer.from([0x01, 0x06]), Buffer.alloc(n - 2, fill)]);

function smscOpts(s: TestSmsc, extra: Partial<SmscOptions> = {}): SmscOptions {
  return { host: '127.0.0.1', port: s.port, systemId: 'wapgw', password: 'pw', reconnectMinMs: 30, reconnectMaxMs: 200, enquireLinkMs: 60_000, ...extra };
}

async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function bound(b: SmppBearer): Promise<void> {
  await until(() => b.healthy(), 5000, 'bind');
}

t.test('one SMS: submit_sm fields, message id, delivery receipt, status', async (t) => {
  const smsc = await startSmsc({ systemId: 'wapgw', password: 'pw', receiptDelayMs: 10 });
  const events: SmppEvent[] = [];
  const b = new SmppBearer({ smsc: [smscOpts(smsc)], onEvent: (e) => events.push(e) });
  const receipts: DeliveryReceipt[] = [];
  b.onReceipt((r) => receipts.push(r));
  await b.start();
  await bound(b);
  t.strictSame(smsc.server.binds.map((x) => x.command), ['bind_transceiver'], 'transceiver by default');
  const payload = wdp(100);
  const out = await b.submit('+4917012345', payload, { registeredDelivery: true });
  t.equal(out.ok, true);
  if (!out.ok) return;
  t.equal(out.messageIds.length, 1);
  const s = smsc.submits[0]!;
  t.equal(s.destination, '4917012345');
  t.equal(s.destTon, 1, 'international');
  t.equal(s.destNpi, 1, 'E.164');
  t.equal(s.esmClass, 0x40, 'UDHI');
  t.equal(s.dataCoding, 0x04, '8-bit');
  t.equal(s.registeredDelivery, 1);
  t.equal(s.shortMessage.subarray(0, 7).toString('hex'), '0605040b8423f0', 'UDH: ports 2948 <- 9200');
  t.ok(s.shortMessage.subarray(7).equals(payload), 'the WDP payload after the UDH');
  t.equal(out.messageIds[0], s.messageId);
  await until(() => receipts.length === 1, 5000, 'receipt');
  t.equal(receipts[0]!.messageId, s.messageId);
  t.equal(receipts[0]!.state, 'delivered');
  t.match(receipts[0]!.raw, /stat:DELIVRD/);
  const st = b.status() as { smsc: { state: string; window: { inUse: number; size: number }; accepted: number }[]; queued: number };
  t.equal(st.smsc[0]!.state, 'bound');
  t.strictSame(st.smsc[0]!.window, { inUse: 0, size: 10 });
  t.equal(st.smsc[0]!.accepted, 1);
  t.ok(events.some((e) => e.type === 'submitted'));
  await b.close(Date.now() + 1000);
  t.equal((b.status() as { smsc: { state: string }[] }).smsc[0]!.state, 'closed');
  const after = await b.submit('+4917012345', payload, { registeredDelivery: false });
  t.match(after, { ok: false, retry: true, code: 'ERR_SMPP_CLOSED' });
  await smsc.close();
});

t.test('concatenation: 8-bit and 16-bit references, the part limit', async (t) => {
  const smsc = await startSmsc();
  const b8 = new SmppBearer({ smsc: [smscOpts(smsc, { maxParts: 3 })] });
  await b8.start();
  await bound(b8);
  const payload = wdp(300);
  const r = await b8.submit('4917000001', payload, { registeredDelivery: false, ref: 0x77 });
  t.match(r, { ok: true });
  if (r.ok) t.equal(r.messageIds.length, 3);
  t.equal(smsc.submits.length, 3);
  t.equal(smsc.submits[0]!.destTon, 0, 'no + : unknown TON');
  const uds = smsc.submits.map((s) => decodeUserDataWithHeader(s.shortMessage));
  t.strictSame(uds.map((u) => summarizeUdh(u.udh).concat), [1, 2, 3].map((seq) => ({ ref: 0x77, total: 3, seq, bits: 8 })));
  t.ok(smsc.submits.every((s) => s.shortMessage.length <= 140));
  t.ok(reassemble(uds).complete[0]!.data.equals(payload), 'reassembles to the datagram');
  const tooBig = await b8.submit('4917000001', wdp(128 * 3 + 1), { registeredDelivery: false });
  t.match(tooBig, { ok: false, retry: false, code: 'ERR_SMS_TOO_MANY_PARTS' });
  t.equal(smsc.submits.length, 3, 'nothing sent for a push over the limit');
  t.match(await b8.submit('4917000001', payload, { registeredDelivery: false, ref: 300 }), { ok: false, retry: false, code: 'ERR_SMS_ENCODE' }, 'an 8-bit reference over 255');
  await b8.close(Date.now() + 1000);

  const b16 = new SmppBearer({ smsc: [smscOpts(smsc, { concatRefBits: 16 })] });
  await b16.start();
  await bound(b16);
  const r16 = await b16.submit('4917000001', payload, { registeredDelivery: false, ref: 0x1234 });
  t.match(r16, { ok: true });
  const c16 = smsc.submits.slice(3).map((s) => summarizeUdh(decodeUserDataWithHeader(s.shortMessage).udh).concat);
  t.strictSame(c16, [1, 2, 3].map((seq) => ({ ref: 0x1234, total: 3, seq, bits: 16 })));
  // refs from the counter differ from push to push
  await b16.submit('4917000001', payload, { registeredDelivery: false });
  await b16.submit('4917000001', payload, { registeredDelivery: false });
  const refs = new Set(smsc.submits.slice(6).map((s) => summarizeUdh(decodeUserDataWithHeader(s.shortMessage).udh).concat?.ref));
  t.equal(refs.size, 2, 'a new reference per push');
  await b16.close(Date.now() + 1000);
  await smsc.close();
});

t.test('throttling: ESME_RTHROTTLED and ESME_RMSGQFUL retried within a bound; other refusals', async (t) => {
  const smsc = await startSmsc({ answer: (_s, n) => (n === 1 ? 0x58 : n === 2 ? 0x14 : 0) });
  const b = new SmppBearer({ smsc: [smscOpts(smsc)], throttlePauseMs: 20 });
  await b.start();
  await bound(b);
  const r = await b.submit('4917000002', wdp(50), { registeredDelivery: false });
  t.match(r, { ok: true }, 'accepted on the third try');
  t.strictSame(smsc.submits.map((s) => s.status), [0x58, 0x14, 0]);
  t.equal((b.status() as { smsc: { throttled: number }[] }).smsc[0]!.throttled, 2);
  await b.close(Date.now() + 1000);
  await smsc.close();

  const always = await startSmsc({ answer: () => 0x58 });
  const b2 = new SmppBearer({ smsc: [smscOpts(always)], throttlePauseMs: 5 });
  await b2.start();
  await bound(b2);
  t.match(await b2.submit('4917000002', wdp(50), { registeredDelivery: false }), { ok: false, retry: true, code: 'ERR_SMPP_THROTTLED' });
  t.equal(always.submits.length, 4, 'the first try and three retries');
  await b2.close(Date.now() + 1000);
  await always.close();

  const refuse = await startSmsc({ answer: (s) => (s.destination === '1' ? 0x0b : 0x08) });
  const b3 = new SmppBearer({ smsc: [smscOpts(refuse)] });
  await b3.start();
  await bound(b3);
  t.match(await b3.submit('1', wdp(50), { registeredDelivery: false }), { ok: false, retry: false, code: 'ERR_SMPP_STATUS_0x0b' });
  t.match(await b3.submit('2', wdp(50), { registeredDelivery: false }), { ok: false, retry: true, code: 'ERR_SMPP_STATUS_0x08' });
  t.match(await b3.submit('not-a-number', wdp(50), { registeredDelivery: false }), { ok: false, retry: false, code: 'ERR_SMPP_BAD_ADDRESS' });
  // a concatenated push whose second part is refused fails as a whole
  await b3.close(Date.now() + 1000);
  await refuse.close();
});

t.test('the window bounds outstanding submit_sm; the rate limit spaces them', async (t) => {
  const smsc = await startSmsc({ responseDelayMs: 40 });
  const b = new SmppBearer({ smsc: [smscOpts(smsc, { windowSize: 2 })] });
  await b.start();
  await bound(b);
  let sawFull = false;
  const all = Promise.all(Array.from({ length: 8 }, (_, i) => b.submit(`49170000${i}`, wdp(60), { registeredDelivery: false })));
  await until(() => {
    const s = b.status() as { smsc: { window: { inUse: number } }[]; queued: number };
    if (s.smsc[0]!.window.inUse === 2 && s.queued > 0) sawFull = true;
    return sawFull;
  }, 5000, 'a full window');
  const res = await all;
  t.ok(res.every((r) => r.ok), 'all accepted');
  t.equal(smsc.server.maxOutstanding, 2, 'never more than the window outstanding at the SMSC');
  t.ok(sawFull, 'status showed the window full with submits queued');
  await b.close(Date.now() + 1000);
  await smsc.close();

  const paced = await startSmsc();
  const b2 = new SmppBearer({ smsc: [smscOpts(paced, { maxPerSecond: 10 })] });
  await b2.start();
  await bound(b2);
  await Promise.all(Array.from({ length: 14 }, (_, i) => b2.submit(`4917${i}`, wdp(40), { registeredDelivery: false })));
  const first = paced.submits[0]!.at;
  const last = paced.submits[13]!.at;
  // a bucket of 10 then one every 100 ms: the 14th cannot come before ~400 ms (a lower bound only)
  t.ok(last - first >= 300, `14 submits at 10/s spread over ${last - first} ms`);
  await b2.close(Date.now() + 1000);
  await paced.close();
});

t.test('failover in list order, reconnect with back-off, bind refused, transmitter mode', async (t) => {
  const a = await startSmsc();
  const bb = await startSmsc();
  const events: SmppEvent[] = [];
  const b = new SmppBearer({ smsc: [smscOpts(a), smscOpts(bb, { bindMode: 'transmitter' })], onEvent: (e) => events.push(e) });
  await b.start();
  await until(() => (b.status() as { smsc: { state: string }[] }).smsc.every((s) => s.state === 'bound'), 5000, 'both bound');
  t.strictSame(bb.server.binds.map((x) => x.command), ['bind_transmitter']);
  await b.submit('4917', wdp(30), { registeredDelivery: false });
  t.equal(a.submits.length, 1, 'the first SMSC takes the submit');
  a.server.dropConnections();
  await until(() => (b.status() as { smsc: { state: string }[] }).smsc[0]!.state !== 'bound', 5000, 'first SMSC lost');
  await b.submit('4917', wdp(30), { registeredDelivery: false });
  t.equal(bb.submits.length, 1, 'the second takes over while the first is down');
  await until(() => (b.status() as { smsc: { state: string }[] }).smsc[0]!.state === 'bound', 5000, 'first SMSC rebound');
  t.ok(a.server.binds.length >= 2, 'reconnected and bound again');
  await b.submit('4917', wdp(30), { registeredDelivery: false });
  t.equal(a.submits.length, 2, 'and takes back the submits');
  t.ok(events.some((e) => e.type === 'state' && e.state === 'backoff'));
  await b.close(Date.now() + 1000);
  await a.close();
  await bb.close();

  const locked = await startSmsc({ systemId: 'other' });
  const b2 = new SmppBearer({ smsc: [smscOpts(locked)] });
  await b2.start();
  await until(() => locked.server.binds.length >= 2, 5000, 'two bind attempts');
  t.notOk(b2.healthy());
  const st = (b2.status() as { smsc: { lastError?: string; failures: number }[] }).smsc[0]!;
  t.match(st.lastError, /bind refused, status 0xf/);
  t.ok(st.failures >= 1);
  t.match(await b2.submit('4917', wdp(30), { registeredDelivery: false }), { ok: false, retry: true, code: 'ERR_SMPP_NOT_BOUND' });
  await b2.close(Date.now() + 1000);
  await locked.close();
});

t.test('connection lost with submits outstanding and queued: they answer retry', async (t) => {
  const smsc = await startSmsc({ responseDelayMs: 2000 });
  const b = new SmppBearer({ smsc: [smscOpts(smsc, { windowSize: 1 })] });
  await b.start();
  await bound(b);
  const p = b.submit('4917', wdp(30), { registeredDelivery: false });
  const queued = b.submit('4918', wdp(30), { registeredDelivery: false });
  await until(() => smsc.server.maxOutstanding === 1, 5000, 'submit at the SMSC');
  t.equal((b.status() as { queued: number }).queued, 1, 'the second waits for the window');
  smsc.server.dropConnections();
  t.match(await p, { ok: false, retry: true, code: 'ERR_SMPP_CONNECTION_LOST' });
  t.match(await queued, { ok: false, retry: true, code: 'ERR_SMPP_NOT_BOUND' }, 'queued SMS do not wait for a rebind');
  await b.close(Date.now() + 500);
  await smsc.close();
});

t.test('no submit_sm_resp within responseTimeoutMs: the session is dropped, the push retries, the client rebinds', async (t) => {
  const smsc = await startSmsc({ responseDelayMs: 3000 });
  const b = new SmppBearer({ smsc: [smscOpts(smsc, { responseTimeoutMs: 400 })] });
  await b.start();
  await bound(b);
  t.match(await b.submit('4917', wdp(30), { registeredDelivery: false }), { ok: false, retry: true, code: 'ERR_SMPP_CONNECTION_LOST' });
  await until(() => smsc.server.binds.length >= 2 && b.healthy(), 5000, 'rebind');
  t.pass('bound again after the drop');
  await b.close(Date.now() + 300);
  await smsc.close();
});

/** The command_ids the client sent on the SMSC's connections, in order (from the captured octets). */
function commandsFromClient(smsc: TestSmsc): number[] {
  const byConn = new Map<number, Buffer[]>();
  for (const c of smsc.chunks) if (c.direction === 'in') byConn.set(c.connection, [...(byConn.get(c.connection) ?? []), c.bytes]);
  const out: number[] = [];
  for (const chunks of byConn.values()) {
    const all = Buffer.concat(chunks);
    for (let i = 0; i + 16 <= all.length; i += all.readUInt32BE(i)) out.push(all.readUInt32BE(i + 4));
  }
  return out;
}

t.test('enquire_link while bound; unbind on close', async (t) => {
  const smsc = await startSmsc();
  const b = new SmppBearer({ smsc: [smscOpts(smsc, { enquireLinkMs: 30 })] });
  await b.start();
  await bound(b);
  await until(() => commandsFromClient(smsc).filter((c) => c === 0x15).length >= 2, 5000, 'two enquire_link');
  t.ok(b.healthy(), 'still bound: every enquire_link answered');
  await b.close(Date.now() + 1000);
  const cmds = commandsFromClient(smsc);
  t.equal(cmds[0], 0x09, 'bind_transceiver first');
  t.equal(cmds[cmds.length - 1], 0x06, 'unbind last');
  await smsc.close();
});

t.test('an unanswered enquire_link drops the session; the client reconnects', async (t) => {
  const smsc = await startSmsc({ ignoreEnquireLink: true });
  const events: SmppEvent[] = [];
  const b = new SmppBearer({ smsc: [smscOpts(smsc, { enquireLinkMs: 30, responseTimeoutMs: 200 })], onEvent: (e) => events.push(e) });
  await b.start();
  await until(() => smsc.server.binds.length >= 2, 5000, 'a second bind');
  t.ok(events.some((e) => e.type === 'state' && e.state === 'backoff'), 'the session was given up');
  await b.close(Date.now() + 500);
  await smsc.close();
});

t.test('a receipt naming the message in decimal (text only) is matched to the hex message_id', async (t) => {
  const smsc = await startSmsc({ receiptId: 'decimal-text-only', receiptDelayMs: 5 });
  const b = new SmppBearer({ smsc: [smscOpts(smsc)] });
  const receipts: DeliveryReceipt[] = [];
  b.onReceipt((r) => receipts.push(r));
  await b.start();
  await bound(b);
  for (let i = 0; i < 11; i++) await b.submit('4917', wdp(30), { registeredDelivery: true }); // ids 00000001..0000000B
  await until(() => receipts.length === 11, 5000, 'receipts');
  const last = receipts.find((r) => r.raw?.startsWith('id:11 '));
  t.ok(last, 'the SMSC said id:11');
  t.equal(last?.messageId, '0000000B', 'given to the PPG as the submit_sm_resp id');
  t.equal(last?.state, 'delivered', 'state from the text');
  await b.close(Date.now() + 500);
  await smsc.close();
});

t.test('a configured field SMPP cannot carry (source_addr over 20 characters): the push fails for good, nothing is sent, the session stays', async (t) => {
  const smsc = await startSmsc();
  const b = new SmppBearer({ smsc: [smscOpts(smsc, { sourceAddr: '1'.repeat(21) })] });
  await b.start();
  await bound(b);
  t.match(await b.submit('4917', wdp(30), { registeredDelivery: false }), { ok: false, retry: false, code: 'ERR_SMPP_ENCODE' });
  t.equal(smsc.submits.length, 0, 'no submit_sm reached the SMSC');
  t.ok(b.healthy(), 'still bound');
  await b.close(Date.now() + 500);
  await smsc.close();
});
