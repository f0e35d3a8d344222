import t from 'tap';
import fc from 'fast-check';
import {
  compileSi,
  compileSl,
  compilePushContent,
  compiledContentType,
  decodeDatetime,
  decodeWbxml,
  decompileWbxml,
  encodeDatetime,
  SI_TABLE,
  ContentError,
  encodeWbxml,
  type WbxmlTable,
} from '../../src/codec/wbxml';
import { parseXml } from '../../src/codec/xml';
import { DecodeError } from '../../src/core/errors';
import { VECTORS } from '../fixtures/wbxml/vectors';
import { meaningOf } from '../helpers/kannel-wbxml';

const meaning = (xml: string) => meaningOf(parseXml(xml));
const compile = (kind: 'si' | 'sl', xml: string) => (kind === 'si' ? compileSi(xml) : compileSl(xml));

t.test('golden vectors both ways', async (t) => {
  for (const v of VECTORS) {
    t.equal(compile(v.kind, v.xml).toString('hex'), v.ours, `compile: ${v.name}`);
    const d = decompileWbxml(Buffer.from(v.ours, 'hex'));
    t.equal(d.publicId, v.kind === 'si' ? '-//WAPFORUM//DTD SI 1.0//EN' : '-//WAPFORUM//DTD SL 1.0//EN');
    t.same(meaning(d.xml), meaning(v.xml), `decompile: ${v.name}`);
    if (v.kannel) {
      // Kannel's encoding of the same document (inline empty strings, other start tokens) reads back too.
      t.same(meaning(decompileWbxml(Buffer.from(v.kannel, 'hex')).xml), meaning(v.kannelMeaning ?? v.xml), `Kannel's bytes: ${v.name}`);
    }
  }
});

t.test('decompiled text is a document with the DOCTYPE', async (t) => {
  const d = decompileWbxml(compileSi(VECTORS[0]!.xml));
  t.match(d.xml, /^<\?xml version="1.0"\?>\n<!DOCTYPE si PUBLIC "-\/\/WAPFORUM\/\/DTD SI 1.0\/\/EN" "http:\/\/www.wapforum.org\/DTD\/si.dtd">\n<si>\n  <indication /);
  t.match(decompileWbxml(compileSl('<sl href="http://a.b/"/>')).xml, /<sl href="http:\/\/a.b\/"\/>\n$/);
});

t.test('%Datetime (WAP-167 §8.2.2)', async (t) => {
  const cases: Array<[string, string]> = [
    ['1999-06-25T15:23:15Z', '19990625152315'],
    ['1999-06-30T00:00:00Z', '19990630'],
    ['2000-01-01T00:00:00Z', '20000101'],
    ['2026-12-07T10:00:00Z', '2026120710'],
    ['2026-12-07T10:20:00Z', '202612071020'],
  ];
  for (const [text, octets] of cases) {
    t.equal(encodeDatetime(text)?.toString('hex'), octets, text);
    t.equal(decodeDatetime(Buffer.from(octets, 'hex')), text, octets);
  }
  for (const bad of ['1999-06-25 15:23:15Z', '1999-13-01T00:00:00Z', '1999-02-29T00:00:00Z', '1999-06-25T24:00:00Z', '1999-06-25T15:23:15+01:00', '']) {
    t.equal(encodeDatetime(bad), undefined, JSON.stringify(bad));
  }
  t.equal(encodeDatetime('2000-02-29T00:00:00Z')?.toString('hex'), '20000229', 'leap day');
  for (const bad of ['', '1a', '19991301', '0102030405060708']) t.equal(decodeDatetime(Buffer.from(bad, 'hex')), undefined, bad);
});

t.test('refusals carry stable codes and a reason', async (t) => {
  const si: Array<[string, RegExp]> = [
    ['<si/>', /must start with one <indication>/],
    ['<si><info><item class="a"/></info></si>', /must start with one <indication>/],
    ['<sl href="x"/>', /root element is <sl>/],
    ['<si><indication action="loud">x</indication></si>', /action="loud"/],
    ['<si><indication created="yesterday">x</indication></si>', /created="yesterday"/],
    ['<si><indication si-expires="2026-02-30T00:00:00Z">x</indication></si>', /si-expires/],
    ['<si><indication action="delete"/></si>', /si-id/],
    ['<si><indication colour="red">x</indication></si>', /no attribute colour/],
    ['<si><indication>x<b>y</b></indication></si>', /text only/],
    ['<si><indication>x</indication><info/></si>', /at least one <item>/],
    ['<si><indication>x</indication><info><item>y</item></info></si>', /needs a class/],
    ['<si><indication>x</indication><info><item class="a"/></info><info/></si>', /after <info>/],
    ['<si>hello<indication>x</indication></si>', /text directly inside <si>/],
    ['<si><indication>x</si>', /xml: end tag/],
    ['<!DOCTYPE si [<!ENTITY x "y">]><si><indication>&x;</indication></si>', /internal subset/],
    ['<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SL 1.0//EN"><si><indication>x</indication></si>', /DOCTYPE names/],
  ];
  for (const [xml, reason] of si) {
    t.throws(() => compileSi(xml), { code: 'ERR_SI_INVALID', status: 400, message: reason }, xml);
  }
  const sl: Array<[string, RegExp]> = [
    ['<sl/>', /needs an href/],
    ['<sl href="  "/>', /needs an href/],
    ['<sl href="x" action="run"/>', /action="run"/],
    ['<sl href="x">text</sl>', /empty element/],
    ['<sl href="x"><a/></sl>', /empty element/],
    ['<sl href="x" id="1"/>', /no attribute id/],
    ['<si><indication>x</indication></si>', /root element is <si>/],
  ];
  for (const [xml, reason] of sl) {
    t.throws(() => compileSl(xml), { code: 'ERR_SL_INVALID', message: reason }, xml);
  }
  t.ok(new ContentError('ERR_SI_INVALID', 'x') instanceof Error);
});

t.test('push content: types and charsets', async (t) => {
  t.equal(compiledContentType('application/vnd.wap.si'), 'application/vnd.wap.sic');
  t.equal(compiledContentType('text/vnd.wap.sl; charset=utf-8'), 'application/vnd.wap.slc');
  t.equal(compiledContentType('application/vnd.wap.mms-message'), undefined);
  t.equal(compilePushContent('application/vnd.wap.mms-message', Buffer.from('x')), undefined);
  const r = compilePushContent('application/vnd.wap.sl', Buffer.from('<sl href="http://a/"/>'));
  t.same(r, { contentType: 'application/vnd.wap.slc', body: Buffer.from('02066a00850903612f0001', 'hex') });
  const latin = compilePushContent('text/vnd.wap.si; charset=ISO-8859-1', Buffer.from('<si><indication>caf\xe9</indication></si>', 'latin1'));
  t.equal(latin?.contentType, 'application/vnd.wap.sic');
  t.match(decompileWbxml(latin!.body).xml, /café/);
});

t.test('string table, LITERAL, PI, ENTITY, SWITCH_PAGE and a string public id are read', async (t) => {
  // version 1.3, publicid 0 + index 0 into the string table holding the SI FPI, UTF-8,
  // then: PI (LITERAL target "t" from the table) END, si(content) indication(attrs,content)
  // href via STR_T, END, text "a" ENTITY 0x20AC STR_T, END END.
  const fpi = Buffer.from('-//WAPFORUM//DTD SI 1.0//EN\u0000', 'latin1');
  const strtbl = Buffer.concat([fpi, Buffer.from('t\u0000http://q/\u0000z\u0000')]);
  const iT = fpi.length;
  const iHref = iT + 2;
  const iZ = iHref + 10;
  const doc = Buffer.concat([
    Buffer.from([0x03, 0x00, 0x00, 0x6a, strtbl.length]),
    strtbl,
    Buffer.from([0x43, 0x04, iT, 0x01]),
    Buffer.from([0x00, 0x00, 0x45, 0xc6, 0x0b, 0x83, iHref, 0x01]),
    Buffer.from([0x03, 0x61, 0x00, 0x02, 0xc1, 0x2c, 0x83, iZ, 0x01, 0x01]),
  ]);
  const d = decompileWbxml(doc);
  t.equal(d.publicId, '-//WAPFORUM//DTD SI 1.0//EN');
  t.same(meaning(d.xml), meaning('<si><indication href="http://q/">a€z</indication></si>'));
  const tree = decodeWbxml(doc, SI_TABLE);
  t.equal(tree.version, 3);
});

const decodeErrors: Array<[string, string]> = [
  ['', 'empty'],
  ['02', 'no public id'],
  ['02 04 6a 00 45 01', 'WML public id: not SI/SL'],
  ['02 05 6a 00', 'no body'],
  ['02 05 6a 00 45', 'unclosed'],
  ['02 05 6a 00 45 c6 0d 03 61', 'unterminated inline string'],
  ['02 05 6a 05 61', 'string table longer than the data'],
  ['02 05 6a 00 45 86 0b 83 05 01 01', 'string table reference beyond the table'],
  ['02 05 6a 00 45 3f 01', 'unknown tag'],
  ['02 05 6a 00 45 86 7e 01 01', 'unknown attribute start'],
  ['02 05 6a 00 45 86 0b 90 01 01', 'unknown attribute value token'],
  ['02 05 6a 00 45 c6 0a c3 02 ab cd 01 01 01', 'created not BCD'],
  ['02 05 6a 00 45 46 c3 01 00 01 01', 'opaque text'],
  ['02 05 6a 00 45 46 40 01 01', 'extension token'],
  ['02 05 6a 00 45 01 01', 'content after the root'],
  ['02 05 07 00 05', 'unsupported charset (ISO-8859-4)'],
  ['09 05 6a 00 05', 'WBXML version 10'],
  ['02 05 6a 00 45 46 02 84 80 80 00 01 01', 'entity beyond Unicode'],
  ['02 05 6a 00 45 00 01 46 01 01', 'tag on page 1'],
  ['02 05 6a 00 c5 03 61 00 01', 'attribute value before a start'],
];

t.test('malformed WBXML is a DecodeError', async (t) => {
  for (const [h, why] of decodeErrors) {
    t.throws(() => decompileWbxml(Buffer.from(h.replace(/ /g, ''), 'hex')), { code: 'ERR_WBXML_DECODE' }, why);
  }
  const deep = Buffer.concat([Buffer.from('02056a00', 'hex'), Buffer.alloc(100, 0x45), Buffer.alloc(100, 0x01)]);
  t.throws(() => decompileWbxml(deep), { code: 'ERR_WBXML_DECODE', message: /nesting/ });
});

// ---- property tests ----

const safeText = fc.string({ unit: fc.constantFrom('a', 'B', '0', ' ', '\n', '&', '<', '>', '"', "'", 'é', '€', '.', '/', ':', 'w') });
const urlPart = fc.array(fc.constantFrom('http://', 'https://', 'www.', '.com/', '.edu/', '.net/', '.org/', 'a', 'b.', '/', '?x=1&y=2', 'é'), { maxLength: 8 }).map((a) => a.join(''));
const date = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');

const siDoc = fc
  .record(
    {
      href: urlPart,
      siId: safeText,
      created: date,
      expires: date,
      action: fc.constantFrom('signal-none', 'signal-low', 'signal-medium', 'signal-high'),
      text: safeText,
      items: fc.array(fc.tuple(safeText, safeText), { maxLength: 3 }),
    },
    { requiredKeys: ['text', 'items'] },
  )
  .map((r) => {
    const a = [
      r.href !== undefined ? ` href="${esc(r.href)}"` : '',
      r.siId !== undefined ? ` si-id="${esc(r.siId)}"` : '',
      r.created !== undefined ? ` created="${r.created}"` : '',
      r.expires !== undefined ? ` si-expires="${r.expires}"` : '',
      r.action !== undefined ? ` action="${r.action}"` : '',
    ].join('');
    const info = r.items.length ? `<info>${r.items.map(([c, x]) => `<item class="${esc(c)}">${esc(x)}</item>`).join('')}</info>` : '';
    return `<?xml version="1.0"?>\n<si>\n  <indication${a}>${esc(r.text)}</indication>${info}</si>`;
  });

const slDoc = fc
  .tuple(urlPart.filter((u) => u.trim() !== ''), fc.option(fc.constantFrom('execute-low', 'execute-high', 'cache'), { nil: undefined }))
  .map(([href, action]) => `<sl href="${esc(href)}"${action ? ` action="${action}"` : ''}/>`);

/** White space inside attribute values is kept; text is display text (folded). */
const siMeaning = (xml: string) => meaning(xml);

t.test('fast-check: decompile(compileSi(x)) means x', async (t) => {
  fc.assert(
    fc.property(siDoc, (xml) => {
      t.same(siMeaning(decompileWbxml(compileSi(xml)).xml), siMeaning(xml));
    }),
    { numRuns: 300 },
  );
});

t.test('fast-check: decompile(compileSl(x)) means x', async (t) => {
  fc.assert(
    fc.property(slDoc, (xml) => {
      t.same(meaning(decompileWbxml(compileSl(xml)).xml), meaning(xml));
    }),
    { numRuns: 300 },
  );
});

t.test('fast-check: random and mutated bytes only raise DecodeError', async (t) => {
  const check = (b: Uint8Array) => {
    try {
      decompileWbxml(Buffer.from(b));
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), check), { numRuns: 3000 });
  fc.assert(fc.property(fc.constantFrom(0x05, 0x06).chain((id) => fc.tuple(fc.constant(id), fc.uint8Array({ maxLength: 48 }))), ([id, b]) => check(Buffer.concat([Buffer.from([0x02, id, 0x6a, 0x00]), b]))), { numRuns: 3000 });
  const seeds = VECTORS.map((v) => Buffer.from(v.ours, 'hex'));
  fc.assert(
    fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (seed, edits, cut) => {
      const b = Buffer.from(seed);
      for (const [i, v] of edits) b[i % b.length] = v;
      check(b.subarray(0, b.length - (cut % 4)));
    }),
    { numRuns: 3000 },
  );
  t.pass('only DecodeError escaped');
});

t.test('writer: string table and code pages (WAP-192 §5.7, §5.8.1)', async (t) => {
  // SI with a string used three times: with stringTable it goes once into the table
  const tree = {
    name: 'si',
    attrs: [],
    children: [
      { name: 'indication', attrs: [{ name: 'si-id', value: ['repeat'] }], children: ['repeat'] },
      { name: 'info', attrs: [], children: [{ name: 'item', attrs: [{ name: 'class', value: ['repeat'] }], children: ['x'] }] },
    ],
  };
  const plain = encodeWbxml(tree, SI_TABLE);
  const tabled = encodeWbxml(tree, SI_TABLE, { stringTable: true });
  t.equal(
    tabled.toString('hex'),
    // 02 05 6a, strtbl 7 "repeat\0", si(C) indication(AC) si-id STR_T 0 END STR_T 0 END
    // info(C) item(AC) class STR_T 0 END STR_I "x" END END END
    '02056a07' + '72657065617400' + '45' + 'c6' + '11' + '8300' + '01' + '8300' + '01' + '47' + 'c8' + '12' + '8300' + '01' + '037800' + '01' + '01' + '01',
  );
  t.ok(tabled.length < plain.length);
  t.same(meaning(decompileWbxml(tabled).xml), meaning(decompileWbxml(plain).xml), 'same document either way');
  t.same(encodeWbxml(tree, SI_TABLE, 0x03)[0], 0x03, 'the version octet as asked');

  // a two-page vocabulary: <a> on page 0, <b> and attribute x="..." on page 1
  const twoPage: WbxmlTable = {
    ...SI_TABLE,
    root: 'a',
    publicIdCode: 0x05,
    tags: new Map([[0x05, 'a'], [(1 << 8) | 0x06, 'b']]),
    attrStarts: new Map([[(1 << 8) | 0x05, { name: 'x', prefix: 'http://' }]]),
    attrValues: new Map([[(1 << 8) | 0x85, '.com/']]),
  };
  const doc = { name: 'a', attrs: [], children: [{ name: 'b', attrs: [{ name: 'x', value: ['http://q.com/r'] }], children: [] }, { name: 'b', attrs: [], children: [] }] };
  const bytes = encodeWbxml(doc, twoPage);
  // a(C); SWITCH_PAGE 1 (tag space) b(A): SWITCH_PAGE 1 (attribute space) x=http:// "q" .com/ "r" END; b; END
  t.equal(bytes.toString('hex'), '02056a00' + '45' + '0001' + '86' + '0001' + '05' + '037100' + '85' + '037200' + '01' + '06' + '01');
  const back = decodeWbxml(bytes, twoPage).root;
  t.same(back, doc, 'read back through the page switches');
});
