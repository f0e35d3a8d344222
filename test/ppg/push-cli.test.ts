import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMms, getField } from '../../src/codec/mms';
import { defaultConfig, parseConfig } from '../../src/config/load';
import { splitPapBody } from '../../src/ppg/multipart';
import { addressFromArg, parsePushArgs, ppgUrlOf, sendPush } from '../../src/ppg/push-cli';
import { createServer } from 'node:http';
import { decodePap, encodePap } from '../../src/ppg/pap';

const cfg = defaultConfig();

t.test('--to forms', async (t) => {
  t.same([addressFromArg('+4917012345').type, addressFromArg('+4917012345').client], ['PLMN', '+4917012345']);
  t.equal(addressFromArg('4917012345').client, '+4917012345', 'a bare number is international');
  t.equal(addressFromArg('127.0.0.1').type, 'IPv4');
  t.equal(addressFromArg('2001:db8::1').type, 'IPv6');
  t.equal(addressFromArg('WAPPUSH=+123456/TYPE=PLMN@ppg').ppg, 'ppg');
  t.throws(() => addressFromArg('nobody'), { code: 'ERR_USAGE' });
});

t.test('options', async (t) => {
  t.equal(ppgUrlOf(cfg.ppg), 'http://127.0.0.1:8090/wappush');
  t.equal(ppgUrlOf(parseConfig({ ppg: { bind: '::', port: 1 } }).ppg), 'http://[::1]:1/wappush');
  const m = parsePushArgs(['--to', '+4917012345', '--mms-notification', 'http://m/x', '--size', '77', '--push-id', 'p'], cfg, {});
  t.equal(m.pushId, 'p');
  t.equal(m.url, 'http://127.0.0.1:8090/wappush');
  const ind = decodeMms(m.content.body);
  t.equal(ind.type, 'm-notification-ind');
  t.equal(getField(ind, 'X-Mms-Content-Location'), 'http://m/x');
  t.equal(Number(getField(ind, 'X-Mms-Message-Size')), 77);
  t.equal(m.content.applicationId, 'x-wap-application:mms.ua');
  const si = parsePushArgs(['--to', '127.0.0.1', '--si', 'http://a/?x=1&y=2', 'Hi <you>'], cfg, { WAPGW_PPG_USER: 'u:p' });
  t.equal(si.content.contentType, 'application/vnd.wap.si');
  t.match(si.content.body.toString(), 'href="http://a/?x=1&amp;y=2"');
  t.match(si.content.body.toString(), 'Hi &lt;you&gt;');
  t.equal(si.user, 'u:p');
  const dir = mkdtempSync(join(tmpdir(), 'wapgw-pushcli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'c.bin'), Buffer.from([1, 2, 3]));
  const f = parsePushArgs(['--to', '+123456', '--file', join(dir, 'c.bin'), '--type', 'application/vnd.wap.slc', '--deliver-within', '60', '--notify', 'http://n/'], cfg, {});
  t.same([...f.content.body], [1, 2, 3]);
  t.ok(f.deliverBeforeMs! > Date.now());
  t.equal(f.notifyTo, 'http://n/');
  for (const bad of [
    ['--mms-notification', 'http://m/'],
    ['--to', '+123456'],
    ['--to', '+123456', '--si', 'a', 'b', '--mms-notification', 'http://x/'],
    ['--to', '+123456', '--file', join(dir, 'c.bin')],
    ['--to', '+123456', '--file', join(dir, 'missing'), '--type', 'a/b'],
    ['--to', '+123456', '--mms-notification', 'ftp://x/'],
    ['--to', '+123456', '--si', 'a', 'b', '--bogus'],
  ]) t.throws(() => parsePushArgs(bad, cfg, {}), { code: 'ERR_USAGE' }, bad.join(' '));
});

t.test('sendPush posts a PAP push-message and reads the answer', async (t) => {
  let seen: { auth?: string; type?: string; body: Buffer } | undefined;
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen = { auth: req.headers.authorization, type: req.headers['content-type'], body: Buffer.concat(chunks) };
      const ok = !String(req.url).includes('refuse');
      res.statusCode = ok ? 202 : 400;
      res.end(encodePap(ok ? { kind: 'push-response', pushId: 'p', result: { code: 1001 } } : { kind: 'badmessage-response', code: 2002, desc: 'bad address' }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => srv.close());
  const base = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
  const o = parsePushArgs(['--to', '+4917012345', '--si', 'http://a/', 'x', '--url', `${base}/wappush`, '--user', 'mmsc:secret', '--push-id', 'p'], cfg, {});
  const r = await sendPush(o);
  t.same([r.ok, r.code, r.http], [true, 1001, 202]);
  t.equal(seen?.auth, `Basic ${Buffer.from('mmsc:secret').toString('base64')}`);
  const parts = splitPapBody(seen?.type, seen!.body, { maxControlBytes: 65536, maxContentBytes: 65536 });
  const msg = decodePap(parts.control).message as { kind: string; pushId: string; addresses: Array<{ client: string }> };
  t.same([msg.kind, msg.pushId, msg.addresses[0]?.client], ['push-message', 'p', '+4917012345']);
  t.equal(parts.content?.mediaType, 'application/vnd.wap.si');
  const refused = await sendPush({ ...o, url: `${base}/refuse` });
  t.same([refused.ok, refused.code, refused.reason], [false, 2002, 'Address Error: bad address']);
  await t.rejects(sendPush({ ...o, url: 'http://127.0.0.1:1/wappush' }), { code: 'ERR_PUSH_UNREACHABLE' });
});
