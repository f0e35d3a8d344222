/**
 * tshark's WBXML dissector (its SI and SL token tables, %DateTime decoding) reads our SIC/SLC
 * inside a connectionless WSP Push (UDP 9200 -> 2948) with nothing malformed, and the document
 * it shows, rebuilt from its fields, means what the source XML means: the golden vectors,
 * Kannel's si.txt/sl.txt, and a batch of generated documents.
 */
import t from 'tap';
import fc from 'fast-check';
import { compileSi, compileSl } from '../../src/codec/wbxml';
import { parseXml } from '../../src/codec/xml';
import { needTool } from '../helpers/peer-tool';
import { hasTshark, tsharkUdp, type TsharkFrame } from '../helpers/tshark';
import { VECTORS, KANNEL_SI_TXT, KANNEL_SL_TXT } from '../fixtures/wbxml/vectors';
import { meaningOf } from '../helpers/kannel-wbxml';

interface El {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: El[];
}

/** The document tshark shows, from its wbxml.* fields in order. */
function rebuild(f: TsharkFrame): El | undefined {
  let root: El | undefined;
  const stack: El[] = [];
  let pending: { el: El; content: boolean } | undefined;
  let attr: string | undefined;
  for (const x of f.fields) {
    const showname = (x as { showname?: string }).showname ?? '';
    switch (x.name) {
      case 'wbxml.known_tag': {
        const flags = /\((A|\.)(C|\.)\)/.exec(showname);
        const el: El = { name: x.show, attrs: {}, text: '', children: [] };
        if (stack.length) stack[stack.length - 1]!.children.push(el);
        else root = el;
        const content = flags?.[2] === 'C';
        if (flags?.[1] === 'A') pending = { el, content };
        else if (content) stack.push(el);
        break;
      }
      case 'wbxml.known_attrstart': {
        const m = /^([^=]+)=(?:'(.*)')?$/.exec(x.show);
        if (!m || !pending) return undefined;
        attr = m[1]!;
        pending.el.attrs[attr] = m[2] ?? '';
        break;
      }
      case 'wbxml.str_i':
        if (pending && attr) pending.el.attrs[attr] = (pending.el.attrs[attr] ?? '') + x.show;
        else if (stack.length) stack[stack.length - 1]!.text += x.show;
        break;
      case 'wbxml.known_attrvalue':
        if (pending && attr) pending.el.attrs[attr] = (pending.el.attrs[attr] ?? '') + x.show.replace(/^'|'$/g, '');
        break;
      case 'wbxml.opaque_data': {
        const d = /%DateTime: (\S+)/.exec(showname);
        if (pending && attr && d) pending.el.attrs[attr] = (pending.el.attrs[attr] ?? '') + d[1];
        break;
      }
      case 'wbxml.end_attribute_list':
        if (pending?.content) stack.push(pending.el);
        pending = undefined;
        attr = undefined;
        break;
      case 'wbxml.end_known_tag.uint':
        if (pending) {
          pending = undefined;
          attr = undefined;
        } else stack.pop();
        break;
      case 'wbxml.end_known_tag':
        stack.pop();
        break;
    }
  }
  return root;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const word = fc.string({ unit: fc.constantFrom('a', 'b', 'z', '0', '9'), minLength: 1, maxLength: 8 });
const genSi = fc
  .tuple(
    fc.constantFrom('http://', 'https://', 'http://www.', 'https://www.', ''),
    word,
    fc.constantFrom('.com/', '.org/', '.net/', '.edu/', '/'),
    word,
    fc.constantFrom('signal-none', 'signal-low', 'signal-medium', 'signal-high'),
    fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-01-01T00:00:00Z'), noInvalidDate: true }),
    fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '&', '<', '1') }),
  )
  .map(([p, h, s, tail, action, d, text]) => `<si><indication href="${p}${h}${s}${tail}" si-id="${h}" action="${action}" created="${d.toISOString().replace(/\.\d{3}Z$/, 'Z')}">${esc(text)}</indication></si>`);

t.test("tshark's WBXML dissector reads our SI and SL", { skip: needTool(hasTshark(), 'tshark', 'tshark') }, async (t) => {
  const docs: Array<{ name: string; kind: 'si' | 'sl'; xml: string }> = [
    ...VECTORS.map((v) => ({ name: v.name, kind: v.kind, xml: v.xml })),
    { name: 'si.txt', kind: 'si', xml: KANNEL_SI_TXT },
    { name: 'sl.txt', kind: 'sl', xml: KANNEL_SL_TXT },
    ...fc.sample(genSi, { numRuns: 40, seed: 12 }).map((xml, i) => ({ name: `generated SI ${i}`, kind: 'si' as const, xml })),
  ];
  const bodies = docs.map((d) => (d.kind === 'si' ? compileSi(d.xml) : compileSl(d.xml)));
  // WSP Push (WAP-230 §8.2.4.1): TID, 0x06, headers length 1, Content-Type 0xAE sic / 0xB0 slc
  const push = (b: Buffer, kind: 'si' | 'sl') => Buffer.concat([Buffer.from([0x01, 0x06, 0x01, kind === 'si' ? 0xae : 0xb0]), b]);
  const control = bodies[0]!.subarray(0, bodies[0]!.length - 5);
  const frames = tsharkUdp([...bodies.map((b, i) => ({ srcPort: 9200, dstPort: 2948, payload: push(b, docs[i]!.kind) })), { srcPort: 9200, dstPort: 2948, payload: push(control, 'si') }]);
  t.equal(frames.length, docs.length + 1);
  const last = frames.pop()!;
  t.ok(last.malformed || last.errors.length > 0, 'control: tshark flags a truncated SIC');
  docs.forEach((d, i) => {
    const f = frames[i]!;
    t.ok(f.protocols.includes('wbxml'), `${d.name}: dissected as WBXML`);
    t.strictSame(f.errors, [], `${d.name}: nothing malformed`);
    t.equal(f.get('wbxml.public_id.known'), d.kind === 'si' ? '0x00000005' : '0x00000006', `${d.name}: public id`);
    const shown = rebuild(f);
    t.ok(shown, `${d.name}: rebuilt`);
    if (shown) t.same(meaningOf(shown), meaningOf(parseXml(d.xml)), `${d.name}: tshark shows the same document`);
  });
});
