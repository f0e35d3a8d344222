/**
 * `wapgw mms TYPE [options]` (src/codec/mms/compose.ts + src/cli.ts): each type's options
 * become the PDU that `wapgw decode --as mms` shows back; bad options exit 1 with one line
 * each; tshark's MMSE dissector reads every PDU the command makes with nothing malformed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { decodeMms, encodeMms, getField, getFields, checkMms } from '../../src/codec/mms';
import { composeMms, MmsArgsError, smilFor } from '../../src/codec/mms/compose';
import { needTool } from '../helpers/peer-tool';
import { hasTshark, tsharkUdp } from '../helpers/tshark';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'wapgw-mms-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const JPEG = Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), Buffer.alloc(2000, 0x5a), Buffer.from('ffd9', 'hex')]);
writeFileSync(join(dir, 'photo.jpg'), JPEG);
writeFileSync(join(dir, 'note.txt'), 'Grüße aus Berlin');
writeFileSync(join(dir, 'clip.amr'), Buffer.from('#!AMR\n'));
writeFileSync(join(dir, 'blob.xyz'), Buffer.from([1, 2, 3]));

const io = { readFile: (f: string) => require('node:fs').readFileSync(join(dir, f)) as Buffer, now: () => 1_765_000_000_000 };
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir });

t.test('send-req: recipients, subject, attachments typed by extension, SMIL', async (t) => {
  const { pdu, hex } = composeMms(
    ['send-req', '--to', '+4917012345', '--to', 'bob@example.com', '--cc', '10.1.2.3', '--subject', 'Grüße', '--attach', 'photo.jpg', '--attach', 'note.txt', '--attach', 'clip.amr', '--text', 'hi', '--smil', '--tid', 'T-1', '--priority', 'HIGH', '--expiry', '3600', '--delivery-report', '--class', 'advertisement'],
    io,
  );
  t.equal(hex, false);
  const back = decodeMms(encodeMms(pdu));
  t.equal(back.type, 'm-send-req');
  t.equal(getField(back, 'X-Mms-Transaction-Id'), 'T-1');
  t.same(getFields(back, 'To').map((v) => (v as { text: string }).text), ['+4917012345/TYPE=PLMN', 'bob@example.com']);
  t.equal((getField(back, 'Cc') as { text: string }).text, '10.1.2.3/TYPE=IPv4');
  t.equal((getField(back, 'Subject') as { text: string }).text, 'Grüße');
  t.same(getField(back, 'From'), { insert: true });
  t.equal(getField(back, 'X-Mms-Priority'), 'High');
  t.equal(getField(back, 'X-Mms-Message-Class'), 'Advertisement');
  t.same(getField(back, 'X-Mms-Expiry'), { kind: 'relative', seconds: 3600 });
  t.equal(getField(back, 'X-Mms-Delivery-Report'), true);
  t.same(checkMms(back), [], 'no missing mandatory field');
  const body = back.body;
  if (body?.kind !== 'multipart') throw new Error('multipart expected');
  t.same(body.parts.map((p) => p.contentType.mediaType), ['application/smil', 'text/plain', 'image/jpeg', 'text/plain', 'audio/amr']);
  t.equal((getField(back, 'Content-Type') as { mediaType: string }).mediaType, 'application/vnd.wap.multipart.related');
  t.same(body.parts[2]?.data, JPEG, 'the file bytes unchanged');
  t.equal(body.parts[3]?.data.toString('utf8'), 'Grüße aus Berlin');
  t.equal(body.parts[3]?.contentType.params['charset'], 'utf-8');
  const smil = body.parts[0]!.data.toString('utf8');
  for (const loc of ['text1.txt', 'photo.jpg', 'note.txt', 'clip.amr']) t.match(smil, `src="${loc}"`, `SMIL refers to ${loc}`);
  t.equal(smil, smilFor([{ contentType: 'text/plain', location: 'text1.txt' }, { contentType: 'image/jpeg', location: 'photo.jpg' }, { contentType: 'text/plain', location: 'note.txt' }, { contentType: 'audio/amr', location: 'clip.amr' }]));
  // without --smil: multipart.mixed; an explicit type for an unknown extension
  const mixed = composeMms(['send-req', '--to', '+1', '--attach', 'blob.xyz;type=application/x-thing', '--attach', 'blob.xyz', '--hex'], io);
  t.equal(mixed.hex, true);
  const mixedBody = mixed.pdu.body;
  t.same(mixedBody?.kind === 'multipart' ? mixedBody.parts.map((p) => p.contentType.mediaType) : [], ['application/x-thing', 'application/octet-stream'], 'named type; unknown extension as octet-stream');
  t.equal((getField(mixed.pdu, 'Content-Type') as { mediaType: string }).mediaType, 'application/vnd.wap.multipart.mixed');
});

t.test('notification-ind, notifyresp-ind, acknowledge-ind, retrieve-conf, send-conf', async (t) => {
  const n = decodeMms(encodeMms(composeMms(['notification-ind', '--location', 'http://mmsc.example/m/42', '--size', '12345', '--tid', 'N42', '--from', '+4930123', '--class', 'Personal', '--expiry', '86400'], io).pdu));
  t.equal(n.type, 'm-notification-ind');
  t.equal(getField(n, 'X-Mms-Content-Location'), 'http://mmsc.example/m/42');
  t.equal(getField(n, 'X-Mms-Message-Size'), 12345);
  t.equal(getField(n, 'X-Mms-Transaction-Id'), 'N42');
  t.same(getField(n, 'X-Mms-Expiry'), { kind: 'relative', seconds: 86400 });
  t.same(checkMms(n), []);
  const defaults = decodeMms(encodeMms(composeMms(['notification-ind', '--location', 'https://m/1', '--size', '1'], io).pdu));
  t.same(getField(defaults, 'X-Mms-Expiry'), { kind: 'relative', seconds: 604800 }, 'seven days by default');
  t.equal(getField(defaults, 'X-Mms-Transaction-Id'), `wapgw-${(1_765_000_000_000).toString(36)}`, 'a transaction id is made up');
  const r = decodeMms(encodeMms(composeMms(['notifyresp-ind', '--tid', 'N42', '--status', 'deferred', '--report-allowed', 'no'], io).pdu));
  t.equal(r.type, 'm-notifyresp-ind');
  t.equal(getField(r, 'X-Mms-Status'), 'Deferred');
  t.equal(getField(r, 'X-Mms-Report-Allowed'), false);
  const a = decodeMms(encodeMms(composeMms(['acknowledge-ind', '--tid', 'R7', '--mms-version', '1.0'], io).pdu));
  t.equal(a.type, 'm-acknowledge-ind');
  t.equal(getField(a, 'X-Mms-MMS-Version'), '1.0');
  const rc = decodeMms(encodeMms(composeMms(['retrieve-conf', '--from', '+4930123', '--to', '+4917012345', '--text', 'hello', '--message-id', 'M1'], io).pdu));
  t.equal(rc.type, 'm-retrieve-conf');
  t.equal(getField(rc, 'Date'), 1_765_000_000, 'Date defaults to now');
  t.equal(getField(rc, 'Message-ID'), 'M1');
  const sc = decodeMms(encodeMms(composeMms(['send-conf', '--tid', 'T1', '--status', 'Error-permanent-content-not-accepted'], io).pdu));
  t.equal(getField(sc, 'X-Mms-Response-Status'), 'Error-permanent-content-not-accepted');
});

t.test('bad options: every problem, one line each', async (t) => {
  const problems = (argv: string[]): readonly string[] => {
    try {
      composeMms(argv, io);
    } catch (e) {
      if (e instanceof MmsArgsError) return e.problems;
      throw e;
    }
    return [];
  };
  t.same(problems(['send-req']), ['--to: send-req needs at least one recipient (--to, --cc or --bcc)']);
  t.equal(problems(['send-req', '--to', 'x y', '--bogus', '1', '--attach', 'missing.jpg', '--priority', 'urgent', '--expiry', '-1', '--subject']).length, 6);
  t.same(problems(['notification-ind']), ['--location: notification-ind needs the URL the phone retrieves the message from', '--size: notification-ind needs the message size in octets']);
  t.match(problems(['notification-ind', '--location', 'ftp://x', '--size', 'big'])[0], /--location ftp:\/\/x/);
  t.match(problems(['notifyresp-ind', '--status', 'Happy']).join('\n'), /--status Happy: one of Expired, Retrieved/);
  t.match(problems(['notifyresp-ind']).join('\n'), /--tid: notifyresp-ind needs/);
  t.match(problems(['acknowledge-ind', '--tid', 'a', '--tid', 'b'])[0], /given more than once/);
  t.match(problems(['acknowledge-ind', '--tid', 'a', '--hex=1'])[0], /takes no value/);
  t.match(problems(['acknowledge-ind', '--tid', 'a', '--mms-version', '2.0'])[0], /--mms-version 2.0/);
  t.match(problems(['m-send-req'])[0], /not an MMS type: one of send-req/);
  t.match(problems(['send-req', '--to', '+1', '--attach', 'photo.jpg', '--attach', 'x.smil;type=application/smil', '--smil']).join('\n'), /cannot read|already the presentation/);
});

t.test('the built CLI: raw bytes and --hex round-trip through decode --as mms', async (t) => {
  const raw = cli(['mms', 'send-req', '--to', '+4917012345', '--subject', 'hello', '--attach', 'photo.jpg', '--tid', 'CLI1']);
  t.equal(raw.status, 0, raw.stderr.toString());
  const hexRun = cli(['mms', 'send-req', '--to', '+4917012345', '--subject', 'hello', '--attach', 'photo.jpg', '--tid', 'CLI1', '--hex']);
  t.equal(hexRun.stdout.toString().trim(), raw.stdout.toString('hex'), '--hex prints the same octets');
  const dec = spawnSync(process.execPath, [CLI, 'decode', '--as', 'mms', '-'], { input: raw.stdout });
  t.equal(dec.status, 0, dec.stderr.toString());
  const j = JSON.parse(dec.stdout.toString()) as { messageType: string; transactionId: string; subject: string; to: string[]; parts: Array<{ contentType: string; length: number }> };
  t.equal(j.messageType, 'm-send-req');
  t.equal(j.transactionId, 'CLI1');
  t.equal(j.subject, 'hello');
  t.same(j.to, ['+4917012345/TYPE=PLMN']);
  t.same(j.parts.map((p) => [p.contentType, p.length]), [['image/jpeg', JPEG.length]]);
  const n = cli(['mms', 'notification-ind', '--location', 'http://127.0.0.1:8942/mms/1', '--size', '2048', '--tid', 'N1', '--hex']);
  const nd = JSON.parse(cli(['decode', '--as', 'mms', n.stdout.toString().trim()]).stdout.toString()) as Record<string, unknown>;
  t.equal(nd['messageType'], 'm-notification-ind');
  t.equal(nd['contentLocation'], 'http://127.0.0.1:8942/mms/1');
  const bad = cli(['mms', 'notification-ind', '--size', 'x', '--nope']);
  t.equal(bad.status, 1);
  t.equal(bad.stdout.length, 0);
  const lines = bad.stderr.toString().trim().split('\n');
  t.same(lines, ['--nope: not an option of notification-ind', '--location: notification-ind needs the URL the phone retrieves the message from', '--size x: not a non-negative whole number']);
  const help = cli(['mms', 'help']);
  t.equal(help.status, 0);
  t.match(help.stdout.toString(), /send-req --to ADDR/);
});

t.test("tshark's MMSE dissector reads what wapgw mms makes", { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const runs: Array<[string, string[]]> = [
    ['send-req', ['send-req', '--to', '+4917012345', '--cc', 'a@b.example', '--subject', 'Grüße', '--attach', 'photo.jpg', '--attach', 'note.txt', '--smil', '--tid', 'TS1', '--priority', 'low', '--expiry', '60', '--read-report']],
    ['notification-ind', ['notification-ind', '--location', 'http://mmsc.example/m/42', '--size', '12345', '--tid', 'TS2', '--from', '+4930123', '--subject', 'pic']],
    ['notifyresp-ind', ['notifyresp-ind', '--tid', 'TS2', '--status', 'Retrieved', '--report-allowed', 'yes']],
    ['acknowledge-ind', ['acknowledge-ind', '--tid', 'TS3']],
    ['retrieve-conf', ['retrieve-conf', '--tid', 'TS4', '--from', '+4930123', '--to', '+4917012345', '--attach', 'photo.jpg', '--text', 'hi', '--date', '1765000000']],
    ['send-conf', ['send-conf', '--tid', 'TS1', '--message-id', 'M-1']],
  ];
  const pdus = runs.map(([name, args]) => {
    const r = cli(['mms', ...args]);
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr.toString()}`);
    return r.stdout;
  });
  const truncated = pdus[0]!.subarray(0, pdus[0]!.length - 40);
  const ct = Buffer.from('application/vnd.wap.mms-message\u0000', 'latin1');
  const push = (mms: Buffer) => Buffer.concat([Buffer.from([0x01, 0x06, ct.length]), ct, mms]);
  const frames = tsharkUdp([...pdus, truncated].map((b, i) => ({ srcPort: 9200, dstPort: 2948, src: '10.0.0.2', dst: '10.0.0.1', payload: push(b), time: 1_700_000_000 + i })));
  t.equal(frames.length, pdus.length + 1);
  t.ok(frames[pdus.length]!.malformed || frames[pdus.length]!.errors.length > 0, 'control: a truncated PDU is flagged');
  runs.forEach(([name], i) => {
    const f = frames[i]!;
    t.ok(f.protocols.includes('mmse'), `${name}: dissected as MMSE`);
    t.strictSame(f.errors, [], `${name}: nothing malformed`);
    t.equal(f.get('mmse.message_type'), `0x${pdus[i]![1]!.toString(16)}`, `${name}: message type`);
  });
  // tshark 4.0 shows Encoded-string-value text as ASCII whatever its charset: check the octets
  // (Value-length 9, Charset 0xEA = UTF-8 (MIBenum 106), the text, NUL) instead of the display.
  const subj = frames[0]!.fields.find((x) => x.name === 'mmse.subject');
  t.equal(subj?.value, `96${'09ea'}${Buffer.from('Grüße\u0000', 'utf8').toString('hex')}`);
  t.equal(frames[0]!.get('mmse.transaction_id'), 'TS1');
  t.equal(frames[0]!.all('wsp.multipart').length, 3, 'SMIL + two attachments');
  t.equal(frames[1]!.get('mmse.content_location'), 'http://mmsc.example/m/42');
  t.equal(frames[1]!.get('mmse.message_size'), '12345');
});
