import t from 'tap';
import fc from 'fast-check';
import { parseXml, parseXmlDocument, XmlError, childNamed } from '../../src/codec/xml';

const SI = `<?xml version="1.0"?>
<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">
<si>
  <indication href="http://www.xyz.com/email/123/abc.wml" created="1999-06-25T15:23:15Z" si-expires="1999-06-30T00:00:00Z">You have 4 new emails</indication>
</si>`;

t.test('SI document with a public-id DOCTYPE', async (t) => {
  const doc = parseXmlDocument(SI);
  t.same(doc.doctype, { name: 'si', publicId: '-//WAPFORUM//DTD SI 1.0//EN', systemId: 'http://www.wapforum.org/DTD/si.dtd' });
  t.equal(doc.root.name, 'si');
  const ind = childNamed(doc.root, 'indication');
  t.ok(ind);
  t.equal(ind?.attrs['href'], 'http://www.xyz.com/email/123/abc.wml');
  t.equal(ind?.attrs['si-expires'], '1999-06-30T00:00:00Z');
  t.equal(ind?.text, 'You have 4 new emails');
  t.same(parseXmlDocument('<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN"><pap/>').doctype, {
    name: 'pap',
    publicId: '-//WAPFORUM//DTD PAP 2.0//EN',
  });
});

t.test('PAP-like document: prefixes, CDATA, comments, PIs, references', async (t) => {
  const root = parseXml(
    `\ufeff<?xml version="1.0" encoding="UTF-8"?><!-- c --><pap product-name="a &amp; b &#x41;&#66;&lt;&gt;&quot;&apos;">` +
      `<push-message push-id="p1"><address address-value="WAPPUSH=+155/TYPE=PLMN@ppg"/></push-message>` +
      `<?pi x?><x:y a='1'>t<![CDATA[<not markup> & ]]>u</x:y></pap>\n<!-- end -->\n`,
  );
  t.equal(root.attrs['product-name'], 'a & b AB<>"\'');
  t.equal(root.children.length, 2);
  t.equal(root.children[0]?.children[0]?.attrs['address-value'], 'WAPPUSH=+155/TYPE=PLMN@ppg');
  t.equal(root.children[1]?.name, 'x:y');
  t.equal(root.children[1]?.text, 't<not markup> & u');
});

t.test('normalisation: CRLF in text, white space in attribute values', async (t) => {
  const root = parseXml('<a v="x\ty\r\nz">l1\r\nl2\rl3</a>');
  t.equal(root.attrs['v'], 'x y z');
  t.equal(root.text, 'l1\nl2\nl3');
});

const code = (xml: string, limits = {}): string => {
  try {
    parseXml(xml, limits);
    return 'ok';
  } catch (e) {
    if (!(e instanceof XmlError)) throw e;
    return e.code;
  }
};

t.test('billion laughs is refused before any expansion', async (t) => {
  const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>`;
  t.equal(code(lol), 'ERR_XML_FORBIDDEN');
  t.throws(() => parseXml(lol), { code: 'ERR_XML_FORBIDDEN', status: 400 });
  // Without the declarations, a reference to an undeclared entity is still refused, never expanded.
  t.equal(code('<lolz>&lol3;</lolz>'), 'ERR_XML_FORBIDDEN');
  t.equal(code('<lolz a="&lol;"/>'), 'ERR_XML_FORBIDDEN');
});

t.test('XXE attempts are refused', async (t) => {
  t.equal(code('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>'), 'ERR_XML_FORBIDDEN');
  t.equal(code('<!DOCTYPE foo [<!ENTITY % p SYSTEM "http://127.0.0.1/evil.dtd"> %p;]><foo/>'), 'ERR_XML_FORBIDDEN');
  t.equal(code('<!DOCTYPE foo PUBLIC "x" "http://127.0.0.1/evil.dtd" [ ]><foo/>'), 'ERR_XML_FORBIDDEN');
  t.equal(code('<!ENTITY xxe SYSTEM "file:///etc/passwd"><foo/>'), 'ERR_XML_FORBIDDEN');
  t.equal(code('<foo><!ENTITY x "y"></foo>'), 'ERR_XML_FORBIDDEN');
  // An external id alone is ignored and never fetched: the document parses.
  t.equal(code('<!DOCTYPE foo SYSTEM "file:///etc/passwd"><foo>x</foo>'), 'ok');
});

t.test('not well-formed documents', async (t) => {
  const bad = [
    '',
    'text',
    '<a>',
    '<a></b>',
    '<a b="1" b="2"/>',
    '<a b=1/>',
    '<a b="<"/>',
    '<a>&amp</a>',
    '<a>& b</a>',
    '<a>&#0;</a>',
    '<a>&#xD800;</a>',
    '<a>&#xzz;</a>',
    '<a/><b/>',
    '<a/>text',
    '<a><!-- x -- y --></a>',
    '<a>]]></a>',
    '<a><![CDATA[x</a>',
    '<a/><?xml version="1.0"?>',
    '<!DOCTYPE a><!DOCTYPE a><a/>',
    '<a><!DOCTYPE a></a>',
    '<1a/>',
    '<a b="1"c="2"/>',
  ];
  for (const x of bad) t.equal(code(x), 'ERR_XML_SYNTAX', JSON.stringify(x));
});

t.test('limits', async (t) => {
  t.equal(code('<a>' + 'x'.repeat(100) + '</a>', { maxBytes: 50 }), 'ERR_XML_LIMIT');
  const deep = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
  t.equal(code(deep(64)), 'ok');
  t.equal(code(deep(65)), 'ERR_XML_LIMIT');
  t.equal(code(deep(100_000), { maxBytes: 10_000_000 }), 'ERR_XML_LIMIT', 'deep input fails on the limit, not the stack');
  t.equal(code('<a>' + '<b/>'.repeat(11) + '</a>', { maxElements: 10 }), 'ERR_XML_LIMIT');
  t.equal(code('<a ' + Array.from({ length: 65 }, (_, i) => `a${i}="1"`).join(' ') + '/>'), 'ERR_XML_LIMIT');
  t.equal(code(deep(3), { maxDepth: 3 }), 'ok');
  t.equal(code(deep(4), { maxDepth: 3 }), 'ERR_XML_LIMIT');
});

t.test('attribute names cannot reach the prototype', async (t) => {
  const root = parseXml('<a __proto__="x" constructor="y"/>');
  t.equal(root.attrs['__proto__'], 'x');
  t.equal(root.attrs['constructor'], 'y');
  t.equal(({} as Record<string, unknown>)['x'], undefined);
  // no inherited member at all (the attribute table's prototype chain is empty)
  const plain = parseXml('<a b="1"/>');
  for (const name of ['toString', 'hasOwnProperty', 'constructor', '__proto__', 'valueOf']) t.notOk(name in plain.attrs, `no inherited ${name}`);
  t.same(Object.keys(plain.attrs), ['b']);
});

t.test('fast-check: random text only ever raises XmlError', async (t) => {
  const frag = fc.constantFrom('<', '>', '/', '&', ';', '"', "'", '=', ' ', 'a', 'b', '<!--', '-->', '<![CDATA[', ']]>',
    '<!DOCTYPE', '[', ']', '<!ENTITY', '&amp;', '&#65;', '&#x', '<?', '?>', '\r\n', '<a>', '</a>', '<a/>');
  fc.assert(
    fc.property(fc.array(frag, { maxLength: 40 }), (parts) => {
      try {
        parseXml(parts.join(''));
      } catch (e) {
        if (!(e instanceof XmlError)) throw e;
      }
    }),
    { numRuns: 3000 },
  );
  t.pass('no other exception');
});

t.test('fast-check: escaped text and attribute values round-trip', async (t) => {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/>/g, '&gt;');
  const xmlText = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '<', '>', '&', '"', "'", 'é', '€', '\n') });
  fc.assert(
    fc.property(xmlText, xmlText, (txt, attr) => {
      const root = parseXml(`<r v="${esc(attr).replace(/\n/g, '&#10;')}">${esc(txt)}</r>`);
      return root.text === txt && root.attrs['v'] === attr;
    }),
  );
  t.pass();
});
