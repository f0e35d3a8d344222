/**
 * `wapgw decode --as sms`: SMS TPDUs and SMPP short_messages with UDH, concatenation reassembled
 * across inputs, the WSP Push and the MMS m-notification-ind inside; the CLI end to end
 * (node dist/cli.js, built by `npm test`'s pretest) with several HEX arguments and a malformed one.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { hex } from '../../src/codec/bytes';
import { inspectSms } from '../../src/codec/inspect-sms';
import { buildNotificationInd, encodeMms } from '../../src/codec/mms';
import { splitWdp } from '../../src/codec/sms';
import { encodeConnectionlessPush } from '../../src/ppg/wsp-push';

const CLI = join(__dirname, '../../dist/cli.js');
const LOCATION = `http://mmsc.example/m/${'q'.repeat(150)}`;
const wdp = encodeConnectionlessPush({
  tid: 7,
  contentType: 'application/vnd.wap.mms-message',
  applicationId: 4,
  body: encodeMms(buildNotificationInd({ transactionId: 'TX-9', messageSize: 4321, expiry: 600, contentLocation: LOCATION })),
});
const parts = splitWdp(wdp, { dstPort: 2948, srcPort: 9200, ref: 0x42 });

/** The SMS-DELIVER a phone would show for a user data (8-bit, UDHI, from +4670...). */
function deliver(ud: Buffer): Buffer {
  return Buffer.concat([hex`44 0b 91 64 07 28 15 53 f8 00 04 62 21 70 31 54 00 40`, Buffer.from([ud.length]), ud]);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON output, read loosely
type J = Record<string, any>;

t.test('short_messages, out of order: reassembled, WSP Push and MMS inside', async (t) => {
  t.equal(parts.length, 2, 'the push needs two SMS');
  const out = inspectSms([parts[1]!, parts[0]!]) as J;
  t.equal(out.sms.length, 2);
  t.equal(out.sms[0].udh[1].seq, 2);
  t.equal(out.messages.length, 1);
  const m = out.messages[0];
  t.strictSame(m.inputs, [2, 1], 'part order: input 2 then input 1');
  t.strictSame(m.ports, { dst: 2948, src: 9200 });
  t.strictSame(m.concatenation, { ref: 0x42, total: 2, refBits: 8 });
  t.equal(m.length, wdp.length);
  t.equal(m.wsp.pdu, 'Push');
  t.equal(m.wsp.tid, 7);
  t.equal(m.wsp.headers['X-Wap-Application-Id'], 'x-wap-application:mms.ua');
  t.equal(m.wsp.body.mms.messageType, 'm-notification-ind');
  t.equal(m.wsp.body.mms.contentLocation, LOCATION);
});

t.test('SMS-DELIVER TPDUs and a missing part', async (t) => {
  const out = inspectSms(parts.map(deliver)) as J;
  t.equal(out.sms[0].form, 'SMS-DELIVER');
  t.equal(out.sms[0].originator, '+46708251358');
  t.equal(out.messages[0].wsp.body.mms.transactionId, 'TX-9');
  const partial = inspectSms([deliver(parts[0]!)]) as J;
  t.strictSame(partial.messages, []);
  t.strictSame(partial.incomplete, [{ ref: 0x42, total: 2, refBits: 8, have: [1], inputs: [1] }]);
});

t.test('a single SMS push, and a plain text SMS without UDH', async (t) => {
  const small = encodeConnectionlessPush({ tid: 1, contentType: 'application/vnd.wap.sic', applicationId: 1, body: hex`02 05 6a 00 45 c6 0c 03 61 00 01 01 01` });
  const out = inspectSms([splitWdp(small, { dstPort: 2948, srcPort: 9200, ref: 0 })[0]!, hex`04 04 81 21 43 00 00 62 21 70 31 54 00 40 02 e8 34`]) as J;
  t.equal(out.messages.length, 1);
  t.equal(out.messages[0].concatenation, undefined);
  t.equal(out.messages[0].wsp.contentType, 'application/vnd.wap.sic');
  t.match(out.messages[0].wsp.body.wbxml.xml, /<indication href="http:\/\/a"\/>/, 'the SI shown as XML');
  t.equal(out.sms[1].form, 'SMS-DELIVER');
  t.equal(out.sms[1].alphabet, 'gsm7');
});

t.test('malformed input names the input and the offset', async (t) => {
  t.throws(() => inspectSms([parts[0]!, hex`44 0b 91`]), { code: 'ERR_SMS_DECODE', message: /input 2/ });
  const bad = splitWdp(hex`01 06 7f`, { dstPort: 2948, srcPort: 9200, ref: 1 })[0]!; // HeadersLen 127 past the end
  t.throws(() => inspectSms([bad]), { code: 'ERR_WSP_DECODE', message: /datagram of input\(s\) 1/ });
});

t.test('wapgw decode --as sms HEX HEX (CLI)', async (t) => {
  const ok = spawnSync(process.execPath, [CLI, 'decode', '--as', 'sms', ...parts.map((p) => p.toString('hex'))], { encoding: 'utf8' });
  t.equal(ok.status, 0, ok.stderr);
  const j = JSON.parse(ok.stdout) as J;
  t.equal(j.messages[0].wsp.body.mms.contentLocation, LOCATION);
  const stdin = spawnSync(process.execPath, [CLI, 'decode', '--as', 'sms', '-'], { encoding: 'utf8', input: parts.map((p) => p.toString('hex')).join('\n') + '\n' });
  t.equal(stdin.status, 0, stdin.stderr);
  t.equal((JSON.parse(stdin.stdout) as J).messages[0].length, wdp.length, 'hex lines on stdin');
  const rawIn = spawnSync(process.execPath, [CLI, 'decode', '--as', 'sms', '-'], { input: parts[0]! });
  t.equal(rawIn.status, 0, 'raw bytes of one SMS on stdin');
  t.equal((JSON.parse(rawIn.stdout.toString()) as J).sms[0].dataLength, 128, 'the first part: 128 octets of push');
  const bad = spawnSync(process.execPath, [CLI, 'decode', '--as', 'sms', parts[0]!.toString('hex'), '0c05'], { encoding: 'utf8' });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /^malformed: sms: input 2: .* at offset \d+\n$/);
  t.notMatch(bad.stderr, /at .*\.js:/, 'no stack trace');
});

t.test('random SMS inputs: only DecodeError escapes', async () => {
  const { DecodeError } = await import('../../src/core/errors');
  const fc = (await import('fast-check')).default;
  const udhFirst = fc.uint8Array({ maxLength: 140 }).map((b) => Buffer.concat([hex`06 05 04 0b 84 23 f0`, Buffer.from(b)]));
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 160 }).map((b) => Buffer.from(b)), udhFirst), { minLength: 1, maxLength: 4 }), (inputs) => {
      try {
        inspectSms(inputs);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
});
