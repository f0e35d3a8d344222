/**
 * tshark (default preferences) judges the SMPP our bearer speaks: the octets of the TCP
 * connection the test SMSC received (both directions, in order) go into a pcap (port 2775) and
 * tshark must dissect submit_sm -> UDH ports 2948 <- 9200 -> WSP Push -> MMS m-notification-ind,
 * reassemble a concatenated push, read the deliver_sm receipt, and flag nothing malformed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildNotificationInd, encodeMms } from '../../src/codec/mms';
import { SmppBearer } from '../../src/ppg/bearers/smpp';
import { encodeConnectionlessPush } from '../../src/ppg/wsp-push';
import { buildTcpPcap } from '../helpers/pcap';
import { needTool } from '../helpers/peer-tool';
import { startSmsc } from '../helpers/smsc';
import { hasTshark, tsharkDecode } from '../helpers/tshark';

const SHORT = 'http://mmsc.example/m/1';
const LONG = `http://mmsc.example/m/${'z'.repeat(200)}`;
const push = (loc: string) =>
  encodeConnectionlessPush({
    tid: 1,
    contentType: 'application/vnd.wap.mms-message',
    applicationId: 4,
    body: encodeMms(buildNotificationInd({ transactionId: 'T1', messageSize: 100, expiry: 3600, contentLocation: loc })),
  });

t.test('tshark dissects the SMPP session down to the MMS notification', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const smsc = await startSmsc({ receiptDelayMs: 5 });
  const b = new SmppBearer({ smsc: [{ host: '127.0.0.1', port: smsc.port, systemId: 'wapgw' }] });
  await b.start();
  while (!b.healthy()) await new Promise((r) => setTimeout(r, 10));
  const receipts: string[] = [];
  b.onReceipt((r) => receipts.push(r.messageId));
  t.match(await b.submit('+4917012345', push(SHORT), { registeredDelivery: true }), { ok: true });
  t.match(await b.submit('+4917012345', push(LONG), { registeredDelivery: false }), { ok: true });
  while (receipts.length < 1) await new Promise((r) => setTimeout(r, 10));
  await b.close(Date.now() + 1000);
  await smsc.close();
  t.equal(smsc.submits.length, 4, 'one single SMS and a push in three parts');

  const dir = mkdtempSync(join(tmpdir(), 'wapgw-smpp-'));
  try {
    const file = join(dir, 'smpp.pcap');
    writeFileSync(file, buildTcpPcap(smsc.chunks.map((c) => ({ fromClient: c.direction === 'in', payload: c.bytes })), { serverPort: 2775 }));
    const frames = tsharkDecode(file);
    if (process.env.WAPGW_DUMP_TSHARK) writeFileSync(process.env.WAPGW_DUMP_TSHARK, JSON.stringify(frames.map((f) => ({ p: f.protocols, f: f.fields.map((x) => `${x.name}=${x.show}`) })), null, 1));
    t.strictSame(frames.flatMap((f) => f.errors), [], 'nothing malformed, no expert error');
    const commands = frames.flatMap((f) => f.all('smpp.command_id'));
    for (const c of ['0x00000009', '0x80000009', '0x00000004', '0x80000004', '0x00000005', '0x00000006']) {
      t.ok(commands.includes(c), `tshark saw command ${c}`);
    }
    const submits = frames.filter((f) => f.all('smpp.command_id').includes('0x00000004'));
    t.ok(submits.length >= 2, 'submit_sm frames');
    const all = (name: string) => frames.flatMap((f) => f.all(name));
    t.ok(all('smpp.esm.submit.features').length > 0 || all('smpp.esm_class').length > 0, 'esm_class dissected');
    t.ok(all('smpp.data_coding').length >= 3, 'data_coding dissected');
    t.strictSame(all('gsm_sms.destination_port'), ['2948', '2948', '2948', '2948'], 'UDH destination port 2948 in every SMS');
    t.strictSame(all('gsm_sms.originator_port'), ['9200', '9200', '9200', '9200'], 'UDH source port 9200 in every SMS');
    t.strictSame(all('gsm_sms.udh.mm.msg_part'), ['1', '2', '3'], 'concatenation parts 1..3');
    t.strictSame(all('gsm_sms.udh.mm.msg_parts'), ['3', '3', '3']);
    const pushes = frames.filter((f) => f.protocols.includes('wsp') && f.protocols.includes('mmse'));
    const locations = pushes.flatMap((f) => f.all('mmse.content_location'));
    t.ok(locations.includes(SHORT), 'the single-SMS push: WSP Push -> m-notification-ind');
    t.ok(locations.includes(LONG), 'the concatenated push reassembled: WSP Push -> m-notification-ind');
    t.ok(pushes.every((f) => f.get('wsp.pdu_type') === '0x06'), 'WSP PDU type Push');
    t.ok(all('mmse.message_type').every((m) => m === '0x82'), 'MMS message type m-notification-ind');
    t.ok(all('smpp.receipted_message_id').length + all('smpp.message_state').length > 0, 'the receipt TLVs dissected');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('tshark reassembles a push concatenated with 16-bit references (IEI 0x08)', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const smsc = await startSmsc();
  const b = new SmppBearer({ smsc: [{ host: '127.0.0.1', port: smsc.port, concatRefBits: 16 }] });
  await b.start();
  while (!b.healthy()) await new Promise((r) => setTimeout(r, 10));
  t.match(await b.submit('4917012345', push(LONG), { registeredDelivery: false, ref: 0xabcd }), { ok: true });
  await b.close(Date.now() + 1000);
  await smsc.close();
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-smpp-'));
  try {
    const file = join(dir, 'smpp16.pcap');
    writeFileSync(file, buildTcpPcap(smsc.chunks.map((c) => ({ fromClient: c.direction === 'in', payload: c.bytes })), { serverPort: 2775 }));
    const frames = tsharkDecode(file);
    t.strictSame(frames.flatMap((f) => f.errors), [], 'nothing malformed');
    const all = (name: string) => frames.flatMap((f) => f.all(name));
    t.strictSame(all('gsm_sms.udh.mm.msg_id'), ['43981', '43981', '43981'], '16-bit reference 0xabcd in every part');
    t.strictSame(all('gsm_sms.udh.mm.msg_part'), ['1', '2', '3']);
    t.ok(all('mmse.content_location').includes(LONG), 'reassembled: WSP Push -> m-notification-ind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
