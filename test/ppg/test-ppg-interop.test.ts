/**
 * Judge nobody here wrote: Kannel's PAP client `test_ppg` (Debian kannel-extras) pushes to our
 * PPG with its own sample PAP documents (smstestppg.txt, iptestppg.txt) and content (an MMS
 * notification in hex, si.txt, sl.txt), and parses our answer with Kannel's PAP compiler. The
 * pushes go out for real: SMS through the SMPP bearer to the demo SMSC (a real SMPP server),
 * IP as a UDP datagram to a local socket.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNotificationInd, encodeMms } from '../../src/codec/mms';
import { decodeUserDataWithHeader, reassemble } from '../../src/codec/sms';
import { decodeWsp } from '../../src/codec/wsp';
import { parseConfig } from '../../src/config/load';
import { silentLogger } from '../../src/core/logger';
import { DemoSmsc } from '../../src/demo/smsc';
import { Metrics } from '../../src/ops/metrics';
import { IpPushBearer } from '../../src/ppg/bearers/ip';
import { SmppBearer } from '../../src/ppg/bearers/smpp';
import { Ppg } from '../../src/ppg/ppg';
import { needTool } from '../helpers/peer-tool';

const TEST_PPG = '/usr/lib/kannel/test/test_ppg';
const SAMPLES = '/usr/lib/kannel/test';
const skip = needTool(existsSync(TEST_PPG), 'test_ppg', 'kannel-extras');

function run(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve) => execFile(TEST_PPG, args, { cwd, timeout: 20000 }, (_e, stdout, stderr) => resolve(`${stdout}${stderr}`)));
}

t.test('test_ppg pushes MMS, SI and SL over SMS and IP; Kannel parses our answers', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-testppg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const smsc = new DemoSmsc({ port: 0 });
  await smsc.start();
  t.teardown(() => smsc.close());
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => udp.close());
  const datagrams: Buffer[] = [];
  udp.on('message', (m) => datagrams.push(m));

  const config = parseConfig({ ppg: { enabled: true, port: 0, stateDir: join(dir, 'state'), allowedNetworks: ['127.0.0.0/8'], smsc: [{ host: '127.0.0.1', port: smsc.port }] } }).ppg;
  const sms = new SmppBearer({ smsc: config.smsc });
  const ppg = new Ppg({ config, logger: silentLogger(), metrics: new Metrics(), sms, ip: new IpPushBearer({ port: (udp.address() as { port: number }).port }) });
  const [l] = await ppg.start();
  t.teardown(() => ppg.close(Date.now() + 2000));
  const url = `http://127.0.0.1:${l!.port}/wappush`;

  const notification = encodeMms(buildNotificationInd({ transactionId: 'TX-K1', messageSize: 1234, expiry: 3600, contentLocation: 'http://127.0.0.1:8942/mms/abc' }));
  writeFileSync(join(dir, 'notification.hex'), notification.toString('hex'));
  // Kannel's samples, each with its own push-id; the IP sample's address made loopback
  const sample = (f: string, id: string) => readFileSync(join(SAMPLES, f), 'utf8').replace('9fjeo39jf084@pi.com', id).replace('213.243.140.102', '127.0.0.1');
  writeFileSync(join(dir, 'mms-sms.txt'), sample('smstestppg.txt', 'mms-sms@pi.com'));
  writeFileSync(join(dir, 'mms-ip.txt'), sample('iptestppg.txt', 'mms-ip@pi.com'));
  writeFileSync(join(dir, 'si.txt'), sample('smstestppg.txt', 'si@pi.com'));
  writeFileSync(join(dir, 'sl.txt'), sample('smstestppg.txt', 'sl@pi.com'));

  const runs: Array<[string, string[]]> = [
    ['MMS by SMS', ['-q', '-c', 'mms', '-a', 'mms', '-B', url, 'notification.hex', 'mms-sms.txt']],
    ['MMS by IP', ['-q', '-c', 'mms', '-a', 'mms', '-n', '-B', url, 'notification.hex', 'mms-ip.txt']],
    ['SI', ['-q', '-c', 'si', '-a', 'ua', url, join(SAMPLES, 'si.txt'), 'si.txt']],
    ['SL, base64', ['-q', '-c', 'sl', '-a', 'ua', '-e', 'base64', url, join(SAMPLES, 'sl.txt'), 'sl.txt']],
  ];
  for (const [name, args] of runs) {
    const out = await run(args, dir);
    t.match(out, /TEST_PPG: and type push response/, `${name}: Kannel reads a push response`);
    t.match(out, /1 succeeded, 0 failed/, name);
  }
  // the same push-id again: Kannel's compiler reads our badmessage-response too
  const dup = await run(runs[0]![1], dir);
  t.match(dup, /and type bad message response/);
  for (const id of ['mms-sms@pi.com', 'mms-ip@pi.com', 'si@pi.com', 'sl@pi.com']) t.ok(ppg.pushState(id), `${id} accepted`);

  // what went out: three SMS pushes at the SMSC (WSP Push inside, ports 2948 <- 9200), one UDP datagram
  const end = Date.now() + 10000;
  while ((smsc.submits.length < 3 || datagrams.length < 1) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const pushes = new Map<string, Buffer[]>();
  for (const s of smsc.submits) {
    t.equal(s.destination, '358408201681');
    t.equal(s.esmClass & 0x40, 0x40, 'UDHI');
    t.equal(s.dataCoding, 0x04, '8-bit data');
    const ud = decodeUserDataWithHeader(s.shortMessage);
    const ports = ud.udh.find((ie) => ie.type === 'ports16');
    t.same(ports && [ports.dst, ports.src], [2948, 9200]);
    const concat = ud.udh.find((ie) => ie.type === 'concat8');
    const key = concat && concat.type === 'concat8' ? String(concat.ref) : `single-${pushes.size}`;
    pushes.set(key, [...(pushes.get(key) ?? []), s.shortMessage]);
  }
  const types: string[] = [];
  for (const parts of pushes.values()) {
    const r = reassemble(parts.map((p) => decodeUserDataWithHeader(p)));
    t.equal(r.complete.length, 1, 'one whole push');
    const data = r.complete[0]!.data;
    const pdu = decodeWsp(data, { connectionless: true }) as unknown as { type: string; contentType: unknown };
    t.equal(pdu.type, 'Push');
    types.push(JSON.stringify(pdu.contentType));
  }
  t.equal(types.length, 3, 'MMS, SI, SL by SMS');
  t.ok(types.some((x) => x.includes('mms-message')));
  t.ok(types.some((x) => x.includes('sic')));
  t.ok(types.some((x) => x.includes('slc')));
  t.equal(datagrams.length, 1, 'MMS by IP: one datagram');
  const ipPdu = decodeWsp(datagrams[0]!, { connectionless: true }) as unknown as { type: string; data: Buffer };
  t.equal(Buffer.from(ipPdu.data).toString('hex'), notification.toString('hex'));
});
