/**
 * `wapgw decode` shows WBXML SI/SL: `--as wbxml HEX`, and a connectionless WSP Push whose body
 * is application/vnd.wap.sic / slc (as the PPG sends them) shows the decompiled document.
 * Malformed WBXML exits 1 with one `malformed: wbxml:` line and the offset in the whole input.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { inspect } from '../../src/codec/inspect';
import { compileSi, compileSl } from '../../src/codec/wbxml';
import { parseXml } from '../../src/codec/xml';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const decode = (args: string[]) => spawnSync(process.execPath, [CLI, 'decode', ...args], { cwd: ROOT, encoding: 'utf8' });

const SI = '<si><indication href="http://mms.example.com/m/1" si-id="m1" created="2026-12-07T10:00:00Z">New MMS &amp; more</indication></si>';

t.test('inspect --as wbxml', async (t) => {
  const out = inspect(compileSi(SI), 'wbxml') as { layer: string; version: string; publicId: string; charset: number; xml: string };
  t.equal(out.layer, 'wbxml');
  t.equal(out.version, '1.2');
  t.equal(out.publicId, '-//WAPFORUM//DTD SI 1.0//EN');
  t.equal(out.charset, 106);
  const ind = parseXml(out.xml).children[0];
  t.equal(ind?.attrs['href'], 'http://mms.example.com/m/1');
  t.equal(ind?.attrs['created'], '2026-12-07T10:00:00Z');
  t.equal(ind?.text, 'New MMS & more');
});

t.test('a WSP Push with an SLC body shows the SL', async (t) => {
  const slc = compileSl('<sl href="https://www.example.org/x" action="execute-high"/>');
  // connectionless Push (WAP-230 §8.2.4.1): TID, 0x06, headers length, Content-Type 0xB0 (slc), body
  const push = Buffer.concat([Buffer.from([0x2a, 0x06, 0x01, 0xb0]), slc]);
  const out = inspect(push, 'wsp-cl') as { body: { wbxml: { publicId: string; xml: string } } };
  t.equal(out.body.wbxml.publicId, '-//WAPFORUM//DTD SL 1.0//EN');
  t.same(parseXml(out.body.wbxml.xml).attrs, { href: 'https://www.example.org/x', action: 'execute-high' });
  // a broken body is malformed input, the offset counted in the whole datagram
  const broken = push.subarray(0, push.length - 3); // ends inside the inline string "x" (its last octet)
  t.throws(() => inspect(broken, 'wsp-cl'), { code: 'ERR_WBXML_DECODE', offset: broken.length - 1 });
});

t.test('wapgw decode --as wbxml (the built CLI)', async (t) => {
  const ok = decode(['--as', 'wbxml', compileSi(SI).toString('hex')]);
  t.equal(ok.status, 0, ok.stderr);
  const j = JSON.parse(ok.stdout) as { xml: string };
  t.match(j.xml, /^<\?xml version="1.0"\?>\n<!DOCTYPE si PUBLIC "-\/\/WAPFORUM\/\/DTD SI 1.0\/\/EN"/);
  t.match(j.xml, /New MMS &amp; more/);
  const bad = decode(['--as', 'wbxml', '02056a0045c6']);
  t.equal(bad.status, 1);
  t.equal(bad.stdout, '');
  t.match(bad.stderr, /^malformed: wbxml: .* at offset \d+\n$/);
});
