/**
 * `wapgw decode` end to end (node dist/cli.js, built by `npm test`'s pretest): recorded
 * fakewap/Kannel datagrams and MMS PDUs of every common type print the values they carry;
 * truncated or garbage input exits 1 with one `malformed:` line and no stack trace. The MMS
 * fixtures are first judged by tshark (inside a connectionless WSP Reply).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { inspect } from '../../src/codec/inspect';
import { encodeWsp } from '../../src/codec/wsp';
import { hasTshark, tsharkUdp } from '../helpers/tshark';
import { needTool } from '../helpers/peer-tool';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const CAPTURES = join(__dirname, '../fixtures/captures');
const MMS_DIR = join(CAPTURES, 'mms');

const mms: Record<string, Buffer> = Object.fromEntries(
  readdirSync(MMS_DIR)
    .filter((f) => f.endsWith('.hex'))
    .map((f) => [f.replace('.hex', ''), Buffer.from(readFileSync(join(MMS_DIR, f), 'utf8').trim(), 'hex')]),
);

function payload(name: string, frame: number): string {
  const line = readFileSync(join(CAPTURES, `${name}.payloads.csv`), 'utf8').split('\n').find((l) => l.startsWith(`${frame},`));
  if (!line) throw new Error(`${name} frame ${frame} missing`);
  return line.split(',')[3] as string;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

/** Runs `node dist/cli.js decode ARGS` (stdin: input, or nothing). Runs are started together. */
function decode(args: string[], input?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, 'decode', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('error', reject);
    c.on('close', (status) => {
      clearTimeout(timer);
      const out: Run = { status, stdout, stderr };
      if (status === 0) out.json = JSON.parse(stdout) as Record<string, unknown>;
      resolve(out);
    });
    c.stdin.end(input ?? Buffer.alloc(0));
  });
}

t.test('tshark reads every MMS fixture cleanly, with our values', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const names = Object.keys(mms).sort();
  const frames = tsharkUdp(
    names.map((n, i) => ({
      srcPort: 9200,
      dstPort: 40000,
      payload: encodeWsp({ type: 'Reply', tid: i + 1, status: 0x20, contentType: 'application/vnd.wap.mms-message', headers: [], data: mms[n] as Buffer }, { connectionless: true }),
    })),
  );
  const want: Record<string, Record<string, string[]>> = {
    'm-send-req': { 'mmse.message_type': ['0x80'], 'mmse.transaction_id': ['send-0001'], 'mmse.to': ['+491701234567/TYPE=PLMN', 'alice@example.org'], 'mmse.cc': ['10.20.30.40/TYPE=IPv4'], 'mmse.priority': ['0x82'] },
    'm-send-conf': { 'mmse.message_type': ['0x81'], 'mmse.response_status': ['0x80'], 'mmse.message_id': ['mid-4711@mmsc.example.org'] },
    'm-send-conf-error': { 'mmse.response_status': ['0xe3'], 'mmse.response_text': ['unknown recipient'] },
    'm-notification-ind': { 'mmse.message_type': ['0x82'], 'mmse.message_size': ['307200'], 'mmse.content_location': ['http://mmsc.example.org/mms/get?id=mid-4712'], 'mmse.from': ['+491709876543/TYPE=PLMN'] },
    'm-notifyresp-ind': { 'mmse.message_type': ['0x83'], 'mmse.status': ['0x83'] },
    'm-retrieve-conf': { 'mmse.message_type': ['0x84'], 'mmse.subject': ['Party pictures'], 'wsp.header.content_type': ['application/vnd.wap.mms-message', 'application/vnd.wap.multipart.mixed', 'text/plain', 'image/jpeg'] },
    'm-acknowledge-ind': { 'mmse.message_type': ['0x85'], 'mmse.report_allowed': ['0x81'] },
    'm-delivery-ind': { 'mmse.message_type': ['0x86'], 'mmse.status': ['0x81'], 'mmse.to': ['+491701234567/TYPE=PLMN'] },
    'm-read-rec-ind': { 'mmse.message_type': ['0x87'], 'mmse.read_status': ['0x80'], 'mmse.from': ['<insert address>'] },
  };
  t.same(names, Object.keys(want).sort(), 'one fixture per common type');
  names.forEach((n, i) => {
    const f = frames[i];
    t.same(f?.errors, [], `${n}: no malformed packet or expert error`);
    for (const [field, v] of Object.entries(want[n] ?? {})) t.same(f?.all(field), v, `${n} ${field}`);
  });
});

t.test('every MMS fixture decodes with its values (in process, as wapgw decode prints them)', async (t) => {
  const d = (n: string) => JSON.parse(JSON.stringify(inspect(mms[n] as Buffer, 'mms'))) as Record<string, unknown>;
  t.match(d('m-notification-ind'), { messageType: 'm-notification-ind', messageSize: 307200, contentLocation: 'http://mmsc.example.org/mms/get?id=mid-4712', expiry: '+604800s', from: '+491709876543/TYPE=PLMN' });
  t.match(d('m-retrieve-conf'), { messageType: 'm-retrieve-conf', date: '2026-11-18T11:06:40.000Z', parts: [{ text: 'See you tonight!' }, { contentType: 'image/jpeg', length: 2000 }] });
  t.match(d('m-send-conf'), { messageType: 'm-send-conf', responseStatus: 'Ok', messageId: 'mid-4711@mmsc.example.org' });
  t.match(d('m-send-conf-error'), { responseStatus: 'Error-permanent-sending-address-unresolved', responseText: 'unknown recipient' });
  t.match(d('m-notifyresp-ind'), { messageType: 'm-notifyresp-ind', transactionId: 'notif-0001', status: 'Deferred' });
  t.match(d('m-acknowledge-ind'), { messageType: 'm-acknowledge-ind', reportAllowed: false });
  t.match(d('m-delivery-ind'), { messageType: 'm-delivery-ind', status: 'Retrieved', messageId: 'mid-4711@mmsc.example.org', to: ['+491701234567/TYPE=PLMN'] });
  t.match(d('m-read-rec-ind'), { messageType: 'm-read-rec-ind', readStatus: 'Read', from: '<insert-address-token>' });
});

t.test('wapgw decode shows the values', async (t) => {
  if (!existsSync(CLI)) return t.fail('dist/cli.js missing: run npm run build');
  const [sendReq, connect, get, segment, post, clReply, abort] = await Promise.all([
    decode(['--as', 'mms', mms['m-send-req']?.toString('hex') as string]),
    decode([payload('ua-long', 1)]),
    decode([payload('co-get-sar-300k', 4)]),
    decode([payload('co-get-sar-300k', 7)]),
    decode([payload('co-post-send-req', 4)]),
    decode(['--as', 'wsp-cl', payload('cl-post-mms', 2)]),
    decode(['-'], Buffer.from(payload('tid-jump', 5), 'hex')),
  ]);
  t.match(sendReq.json, {
    layer: 'mms',
    messageType: 'm-send-req',
    transactionId: 'send-0001',
    from: '<insert-address-token>',
    to: ['+491701234567/TYPE=PLMN', 'alice@example.org'],
    cc: ['10.20.30.40/TYPE=IPv4'],
    subject: 'Grüße aus Köln ☀',
    priority: 'High',
    parts: [
      { contentType: 'application/smil', text: /<smil>/ },
      { contentType: 'image/gif', length: 43 },
      { contentType: 'text/plain; charset=utf-8', text: 'Hello from the handset, ünïcödé included' },
    ],
  });
  t.match(connect.json, { pdu: 'Invoke', tid: 1, wsp: { pdu: 'Connect', headers: { 'User-Agent': /^Nokia6600/ } } });
  t.match(get.json, { wsp: { pdu: 'Get', uri: 'http://127.0.0.1:18942/retrieve?size=300000' } });
  t.match(segment.json, { pdu: 'SegmentedResult', psn: 2, gtr: true, payloadLength: 1400 });
  t.match(post.json, { wsp: { pdu: 'Post', body: { mms: { messageType: 'm-send-req', subject: 'hello from fakewap' } } } });
  t.match(clReply.json, { layer: 'wsp-cl', pdu: 'Reply', status: 200, body: { mms: { messageType: 'm-send-conf', messageId: 'msg-0001@mmsc' } } });
  t.match(abort.json, { pdu: 'Abort', reason: 'WTPVERSIONONE' }, 'raw bytes on stdin');
});

t.test('truncated or garbage input: exit 1, one line, no stack trace', async (t) => {
  if (!existsSync(CLI)) return t.fail('dist/cli.js missing: run npm run build');
  const connect = payload('ua-long', 1);
  const cases: [string, string[], Buffer | undefined][] = [
    ['WTP header cut', ['0a00'], undefined],
    ['Connect cut inside its headers', [connect.slice(0, 60)], undefined],
    ['m-send-req cut inside a header', ['--as', 'mms', (mms['m-send-req'] as Buffer).subarray(0, 12).toString('hex')], undefined],
    ['m-retrieve-conf cut inside its multipart body', ['--as', 'mms', (mms['m-retrieve-conf'] as Buffer).subarray(0, 160).toString('hex')], undefined],
    ['not MMS at all', ['--as', 'mms', 'deadbeef'], undefined],
    ['connectionless garbage', ['--as', 'wsp-cl', '01ff'], undefined],
    ['garbage on stdin', ['-'], Buffer.from([0x78, 0x00, 0x01, 0x02])],
    ['empty stdin', ['-'], Buffer.alloc(0)],
    ['not hex', ['zz'], undefined],
    ['unknown --as', ['--as', 'xml', '00'], undefined],
  ];
  const runs = await Promise.all(cases.map(([, args, input]) => decode(args, input)));
  for (const [i, [what]] of cases.entries()) {
    const r = runs[i] as Run;
    t.equal(r.status, 1, `${what}: exit 1`);
    t.equal(r.stdout, '', `${what}: nothing on stdout`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    t.equal(lines.length, 1, `${what}: one line (${r.stderr.trim()})`);
    t.notMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
    if (!['not hex', 'unknown --as'].includes(what)) t.match(r.stderr, /^malformed: (wtp|wsp|mms): .* at offset \d+\n$/, `${what}: says malformed, the layer and the offset`);
  }
});
