/**
 * inspect() (what `wapgw decode` prints): every captured datagram (shared Kannel corpus and our
 * own recordings) is described without error, with the values an operator looks for: TIDs and
 * direction, header bits, PSNs, URLs, user agents, MMS addresses, subjects, sizes and texts.
 * Malformed input raises a DecodeError whose offset points into the whole input.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { hex } from '../../src/codec/bytes';
import { holdsWholeMessage, inspect } from '../../src/codec/inspect';
import { type WtpPdu, encodeDatagram, encodeWtp } from '../../src/codec/wtp';
import { DecodeError } from '../../src/core/errors';

const CAPTURES = join(__dirname, '../fixtures/captures');
const KANNEL = join(__dirname, '../fixtures/wtp/kannel');

type Obj = Record<string, unknown>;

/** frame number -> payload of a capture csv */
const cache = new Map<string, Map<number, { buf: Buffer; as: string }>>();
function capture(dir: string, name: string): Map<number, { buf: Buffer; as: string }> {
  const key = join(dir, name);
  const hit = cache.get(key);
  if (hit) return hit;
  const out = new Map<number, { buf: Buffer; as: string }>();
  for (const l of readFileSync(join(dir, `${name}.payloads.csv`), 'utf8').trim().split('\n')) {
    const [n, sp, dp, h] = l.split(',');
    out.set(Number(n), { buf: Buffer.from(h as string, 'hex'), as: sp === '9200' || dp === '9200' ? 'wsp-cl' : 'wtp' });
  }
  cache.set(key, out);
  return out;
}

function frame(dir: string, name: string, n: number): Obj {
  const f = capture(dir, name).get(n);
  if (!f) throw new Error(`${name} has no frame ${n}`);
  return JSON.parse(JSON.stringify(inspect(f.buf, f.as))) as Obj;
}

t.test('every captured datagram is described, and the output is plain JSON', async (t) => {
  let n = 0;
  for (const dir of [CAPTURES, KANNEL]) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.payloads.csv'))) {
      for (const [num, f] of capture(dir, file.replace('.payloads.csv', ''))) {
        const out = inspect(f.buf, f.as);
        const json = JSON.stringify(out);
        if (JSON.stringify(JSON.parse(json)) !== json || json.includes('"type":"Buffer"')) t.fail(`${file} frame ${num}: not plain JSON`);
        n++;
      }
    }
  }
  t.ok(n > 400, `${n} datagrams described`);
});

t.test('WTP header, TID verification, WSP Connect with an odd user agent', async (t) => {
  const connect = frame(CAPTURES, 'tid-new', 1);
  t.match(connect, { layer: 'wtp', pdu: 'Invoke', tid: 1, direction: 'initiator', tidNew: true, tcl: 2, ttr: true });
  t.match(connect.wsp, { pdu: 'Connect', headers: { 'User-Agent': 'fakewap' } });
  t.match(frame(CAPTURES, 'tid-new', 2), { pdu: 'Ack', tid: 1, direction: 'responder', tve: true });
  t.match(frame(CAPTURES, 'tid-new', 3), { pdu: 'Ack', tid: 1, direction: 'initiator', tok: true });
  t.match(frame(CAPTURES, 'ua-long', 1), { wsp: { headers: { 'User-Agent': /^Nokia6600\/1\.0 .*UP\.Link\/6\.3\.0\.0\.0$/ } } });
  t.match(frame(CAPTURES, 'ua-highbit', 1), { wsp: { headers: { 'User-Agent': 'été-phone/1.0 ü' } } }, 'unquoted high-bit agent');
  t.match(frame(CAPTURES, 'tid-jump', 4), { pdu: 'Invoke', tid: 0x1c40, version: 1, wsp: { pdu: 'Get', uri: 'http://127.0.0.1:18942/jump?size=30' } });
  t.match(frame(CAPTURES, 'tid-jump', 5), { pdu: 'Abort', abortType: 'provider', reason: 'WTPVERSIONONE', direction: 'responder' });
  const nack = frame(CAPTURES, 'tid-jump', 6);
  t.match(nack, { pdu: 'NegativeAck' });
  t.equal((nack.missing as number[]).length, 116);
});

t.test('segmented 300 KB result: segments show header, PSN and payload length only', async (t) => {
  const cap = capture(CAPTURES, 'co-get-sar-300k');
  const get = frame(CAPTURES, 'co-get-sar-300k', 4);
  t.match(get, { wsp: { pdu: 'Get', uri: 'http://127.0.0.1:18942/retrieve?size=300000' } });
  const first = frame(CAPTURES, 'co-get-sar-300k', 5);
  t.match(first, { pdu: 'Result', gtr: false, ttr: false, payloadLength: 1400 });
  t.notOk('wsp' in first, 'the first packet of a segmented message is not decoded as WSP');
  const segs = [...cap.keys()].map((n) => frame(CAPTURES, 'co-get-sar-300k', n)).filter((f) => f.pdu === 'SegmentedResult');
  t.equal(segs.length, 214);
  t.same(segs.map((s) => s.psn), Array.from({ length: 214 }, (_, i) => i + 1), 'PSNs 1..214 in order');
  t.match(segs[1], { psn: 2, gtr: true, ttr: false, payloadLength: 1400 });
  t.match(segs[213], { psn: 214, ttr: true });
  const total = 1400 + segs.reduce((a, s) => a + (s.payloadLength as number), 0);
  t.ok(total > 300_000 && total < 301_000, `${total} octets in all`);
  const acks = [...cap.keys()].map((n) => frame(CAPTURES, 'co-get-sar-300k', n)).filter((f) => f.pdu === 'Ack' && Array.isArray(f.tpis));
  t.match(acks[0], { tpis: [{ tpi: 'PSN', psn: 2 }] });
});

t.test('loss: negative acks and retransmissions', async (t) => {
  const all = [...capture(CAPTURES, 'co-get-sar-loss').keys()].map((n) => frame(CAPTURES, 'co-get-sar-loss', n));
  const nacks = all.filter((f) => f.pdu === 'NegativeAck');
  t.ok(nacks.length >= 1, `${nacks.length} negative acks`);
  t.ok(nacks.every((f) => Array.isArray(f.missing) && (f.missing as number[]).length > 0));
  t.ok(all.some((f) => f.pdu === 'SegmentedResult' && f.rid === true), 'a retransmitted segment has RID set');
});

t.test('MMS inside WSP, connection-oriented and connectionless', async (t) => {
  const expectSendReq = { mms: { messageType: 'm-send-req', transactionId: 'T-0001', from: '<insert-address-token>', to: ['+15552223333/TYPE=PLMN'], subject: 'hello from fakewap', parts: [{ contentType: 'text/plain', text: 'hello world' }] } };
  t.match(frame(CAPTURES, 'co-post-send-req', 4), { pdu: 'Invoke', wsp: { pdu: 'Post', uri: 'http://127.0.0.1:18942/mms', contentType: 'application/vnd.wap.mms-message', body: expectSendReq } });
  t.match(frame(CAPTURES, 'co-post-send-req', 5), { pdu: 'Result', wsp: { pdu: 'Reply', status: 200, body: { mms: { messageType: 'm-send-conf', responseStatus: 'Ok', messageId: 'msg-0001@mmsc' } } } });
  t.match(frame(CAPTURES, 'co-post-send-req', 6), { rid: true }, 'the Result was retransmitted');
  t.match(frame(CAPTURES, 'cl-post-mms', 1), { layer: 'wsp-cl', pdu: 'Post', body: expectSendReq });
  t.match(frame(CAPTURES, 'cl-post-mms', 2), { layer: 'wsp-cl', pdu: 'Reply', body: { mms: { messageType: 'm-send-conf' } } });
  t.match(frame(CAPTURES, 'cl-post-text', 1), { pdu: 'Post', body: { length: 313, text: /^name=value&x=a+$/ } });
  const random = frame(KANNEL, 'co-post-mms-1k', 4);
  t.match(random, { wsp: { pdu: 'Post', body: { mms: { note: /not an MMS PDU/ } } } }, 'random bytes labelled MMS are shown as data');
});

t.test('concatenated datagrams show each PDU', async (t) => {
  const ack: WtpPdu = { type: 'Ack', tid: 5, tveTok: false, rid: false, tpis: [] };
  const reply = hex`04 20 01 83 68 69`; // Reply 200 text/plain "hi"
  const res: WtpPdu = { type: 'Result', tid: 0x8006, gtr: false, ttr: true, rid: false, tpis: [], data: reply };
  const out = JSON.parse(JSON.stringify(inspect(encodeDatagram([ack, res])))) as Obj;
  t.match(out, { layer: 'wtp', concatenated: true, count: 2, pdus: [{ pdu: 'Ack', tid: 5 }, { pdu: 'Result', tid: 6, wsp: { pdu: 'Reply', status: 200, body: { text: 'hi' } } }] });
});

t.test('whole message or segment', async (t) => {
  const base = { tid: 1, gtr: false, rid: false, data: hex`40` };
  t.ok(holdsWholeMessage({ type: 'Result', ...base, ttr: true, tpis: [] }));
  t.ok(holdsWholeMessage({ type: 'Result', ...base, gtr: true, ttr: true, tpis: [] }), 'GTR+TTR: no SAR');
  t.notOk(holdsWholeMessage({ type: 'Result', ...base, ttr: false, tpis: [] }));
  t.notOk(holdsWholeMessage({ type: 'Result', ...base, ttr: true, tpis: [{ tpi: 'PSN', psn: 3 }] }));
  t.notOk(holdsWholeMessage({ type: 'SegmentedResult', ...base, ttr: true, psn: 1, tpis: [] }));
});

t.test('--as wsp and --as mms', async (t) => {
  t.match(inspect(hex`40 05 68 74 74 70 3a`, 'wsp'), { layer: 'wsp', pdu: 'Get', uri: 'http:' });
  t.match(inspect(hex`8c 81 98 41 00 8d 90 92 80`, 'mms'), { layer: 'mms', messageType: 'm-send-conf', transactionId: 'A', version: '1.0', responseStatus: 'Ok' });
  t.throws(() => inspect(hex`00`, 'xml'), { code: 'ERR_DECODE_AS' });
});

t.test('malformed input: DecodeError, offsets in the whole input', async (t) => {
  t.throws(() => inspect(hex`0a 00`), { code: 'ERR_WTP_DECODE', offset: 1 });
  t.throws(() => inspect(hex``), { code: 'ERR_WTP_DECODE' });
  // an Invoke whose WSP Get claims a 16-octet URI but carries 3: the error sits in the WSP layer,
  // at offset 5 of the datagram (4 octets of WTP header + the UriLen octet)
  const inv = encodeWtp({ type: 'Invoke', tid: 1, gtr: false, ttr: true, rid: false, version: 0, tidNew: false, up: true, tcl: 2, tpis: [], data: hex`40 10 61 62 63` });
  try {
    inspect(inv);
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof DecodeError);
    t.equal((e as DecodeError).layer, 'wsp');
    t.ok((e as DecodeError).offset >= 4, `offset ${(e as DecodeError).offset} is past the WTP header`);
  }
  // a Reply whose MMS body is cut: mms layer error
  const cut = hex`04 20 01 be 8c 80 98 41`; // Reply 200, mms-message, "8c 80 98 'A'" without the NUL
  const res = encodeWtp({ type: 'Result', tid: 0x8001, gtr: false, ttr: true, rid: false, tpis: [], data: cut });
  t.throws(() => inspect(res), { code: 'ERR_MMS_DECODE' });
  t.throws(() => inspect(hex`8c 80 98`, 'mms'), { code: 'ERR_MMS_DECODE' });
  t.throws(() => inspect(hex`01`, 'wsp-cl'), { code: 'ERR_WSP_DECODE' });
});

t.test('random bytes and mutated captures through every --as: only DecodeError escapes', async (t) => {
  const seeds: { buf: Buffer; as: string }[] = [];
  for (const dir of [CAPTURES, KANNEL]) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.payloads.csv'))) {
      for (const f of capture(dir, file.replace('.payloads.csv', '')).values()) if (f.buf.length < 2000) seeds.push(f);
    }
  }
  for (const f of readdirSync(join(CAPTURES, 'mms')).filter((x) => x.endsWith('.hex'))) {
    seeds.push({ buf: Buffer.from(readFileSync(join(CAPTURES, 'mms', f), 'utf8').trim(), 'hex'), as: 'mms' });
  }
  let state = 99;
  const rnd = (n: number) => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % n;
  };
  const modes = ['wtp', 'wsp', 'wsp-cl', 'mms'];
  let ok = 0;
  let rejected = 0;
  const badOffsets: string[] = [];
  for (let i = 0; i < 3000; i++) {
    let buf: Buffer;
    let as: string;
    if (i % 3 === 0) {
      buf = Buffer.from(Array.from({ length: rnd(80) }, () => rnd(256)));
      as = modes[rnd(4)] as string;
    } else {
      const s = seeds[rnd(seeds.length)] as { buf: Buffer; as: string };
      buf = Buffer.from(s.buf);
      as = s.as;
      const k = rnd(3);
      if (k === 0) buf = buf.subarray(0, rnd(buf.length));
      else if (k === 1) for (let j = 0; j < 1 + rnd(3); j++) buf[rnd(buf.length)] = rnd(256);
      else buf = Buffer.concat([buf.subarray(0, rnd(buf.length)), Buffer.from([rnd(256)]), buf.subarray(rnd(buf.length))]);
    }
    try {
      JSON.stringify(inspect(buf, as));
      ok++;
    } catch (e) {
      if (!(e instanceof DecodeError)) {
        t.fail(`${as} ${buf.toString('hex')}: ${(e as Error).stack}`);
        return;
      }
      if (!(e.offset >= 0 && e.offset <= buf.length)) badOffsets.push(`${as} ${buf.toString('hex')}: ${e.message}`);
      rejected++;
    }
  }
  t.same(badOffsets, [], 'every error offset lies inside the input');
  t.ok(ok > 100 && rejected > 100, `${ok} described, ${rejected} rejected`);
});
