/**
 * SI (WAP-167) and SL (WAP-168) documents, XML -> WBXML. The XML is read with the project's
 * strict parser (no DTD processing, see src/codec/xml.ts) and checked against the DTDs
 * (WAP-167 §7, WAP-168 §8) before anything is encoded; every refusal is a ContentError with a
 * stable code (ERR_SI_INVALID / ERR_SL_INVALID) and one clear reason.
 *
 * Character data of `indication` and `item` is #PCDATA for display: white space runs are
 * folded to one space and the ends trimmed (XML 1.0 §2.10 leaves this to the application).
 */
import { WapgwError } from '../../core/errors';
import { parseXmlDocument, XmlError, type XmlElement } from '../xml';
import { encodeDatetime } from './datetime';
import { SI_TABLE, SL_TABLE, type WbxmlTable } from './tables';
import { encodeWbxml, type WbxmlAttr, type WbxmlElement, type WbxmlNode } from './wbxml';

export type ContentErrorCode = 'ERR_SI_INVALID' | 'ERR_SL_INVALID';

export class ContentError extends WapgwError {
  constructor(code: ContentErrorCode, message: string, cause?: unknown) {
    super(code, message, { status: 400, cause });
  }
}

const LIMITS = { maxBytes: 256 * 1024, maxDepth: 8, maxElements: 1000, maxAttributes: 16 };

const SI_ACTIONS = ['signal-none', 'signal-low', 'signal-medium', 'signal-high', 'delete'];
const SL_ACTIONS = ['execute-low', 'execute-high', 'cache'];

const fold = (s: string): string => s.replace(/[ \t\r\n]+/g, ' ').trim();

function parse(xml: string, table: WbxmlTable, code: ContentErrorCode): XmlElement {
  const kind = table.root.toUpperCase();
  let doc;
  try {
    doc = parseXmlDocument(xml, LIMITS);
  } catch (e) {
    if (e instanceof XmlError) throw new ContentError(code, `${kind}: ${e.message}`, e);
    throw e;
  }
  if (doc.root.name !== table.root) throw new ContentError(code, `${kind}: the root element is <${doc.root.name}>, not <${table.root}>`);
  if (doc.doctype?.publicId !== undefined && doc.doctype.publicId !== table.publicId) {
    throw new ContentError(code, `${kind}: the DOCTYPE names ${doc.doctype.publicId}, not ${table.publicId}`);
  }
  return doc.root;
}

/** Checks an element's attributes and returns them as WBXML attributes, in document order. */
function attrs(el: XmlElement, allowed: Record<string, (v: string) => string | Buffer>, code: ContentErrorCode, kind: string): WbxmlAttr[] {
  const out: WbxmlAttr[] = [];
  for (const [name, value] of Object.entries(el.attrs)) {
    const conv = Object.prototype.hasOwnProperty.call(allowed, name) ? allowed[name] : undefined;
    if (!conv) throw new ContentError(code, `${kind}: <${el.name}> has no attribute ${name}`);
    out.push({ name, value: [conv(value)] });
  }
  return out;
}

function noElements(el: XmlElement, code: ContentErrorCode, kind: string): void {
  if (el.children.length > 0) throw new ContentError(code, `${kind}: <${el.name}> holds text only, not <${el.children[0]?.name}>`);
}

function textOf(el: XmlElement): WbxmlNode[] {
  const t = fold(el.text);
  return t ? [t] : [];
}

/** The SI document as a WBXML tree (exported for tests and `decode`). */
export function siTree(xml: string): WbxmlElement {
  const code = 'ERR_SI_INVALID';
  const K = 'SI';
  const root = parse(xml, SI_TABLE, code);
  if (Object.keys(root.attrs).length > 0) throw new ContentError(code, 'SI: <si> has no attributes');
  if (fold(root.text) !== '') throw new ContentError(code, 'SI: text directly inside <si>');
  const [ind, info, ...extra] = root.children;
  if (!ind || ind.name !== 'indication') throw new ContentError(code, 'SI: <si> must start with one <indication>');
  if (info && info.name !== 'info') throw new ContentError(code, `SI: <${info.name}> where only <info> may follow <indication>`);
  if (extra.length > 0) throw new ContentError(code, `SI: <${extra[0]?.name}> after <info>`);

  const date = (name: string) => (v: string): Buffer => {
    const b = encodeDatetime(v);
    if (!b) throw new ContentError(code, `SI: ${name}="${v}" is not a date YYYY-MM-DDThh:mm:ssZ (WAP-167 §8.2.2)`);
    return b;
  };
  const indAttrs = attrs(
    ind,
    {
      href: (v) => v,
      'si-id': (v) => v,
      created: date('created'),
      'si-expires': date('si-expires'),
      action: (v) => {
        if (!SI_ACTIONS.includes(v)) throw new ContentError(code, `SI: action="${v}" is not one of ${SI_ACTIONS.join(', ')}`);
        return v;
      },
    },
    code,
    K,
  );
  if (ind.attrs['action'] === 'delete' && ind.attrs['si-id'] === undefined) {
    throw new ContentError(code, 'SI: action="delete" needs the si-id of the indication to delete');
  }
  noElements(ind, code, K);
  const children: WbxmlNode[] = [{ name: 'indication', attrs: indAttrs, children: textOf(ind) }];
  if (info) {
    if (Object.keys(info.attrs).length > 0) throw new ContentError(code, 'SI: <info> has no attributes');
    if (fold(info.text) !== '') throw new ContentError(code, 'SI: text directly inside <info>');
    if (info.children.length === 0) throw new ContentError(code, 'SI: <info> needs at least one <item>');
    const items: WbxmlNode[] = info.children.map((item) => {
      if (item.name !== 'item') throw new ContentError(code, `SI: <${item.name}> inside <info>, where only <item> may be`);
      if (item.attrs['class'] === undefined) throw new ContentError(code, 'SI: <item> needs a class attribute');
      noElements(item, code, K);
      return { name: 'item', attrs: attrs(item, { class: (v) => v }, code, K), children: textOf(item) };
    });
    children.push({ name: 'info', attrs: [], children: items });
  }
  return { name: 'si', attrs: [], children };
}

/** The SL document as a WBXML tree. */
export function slTree(xml: string): WbxmlElement {
  const code = 'ERR_SL_INVALID';
  const K = 'SL';
  const root = parse(xml, SL_TABLE, code);
  if (root.children.length > 0 || fold(root.text) !== '') throw new ContentError(code, 'SL: <sl> is an empty element');
  const href = root.attrs['href'];
  if (href === undefined || href.trim() === '') throw new ContentError(code, 'SL: <sl> needs an href attribute');
  const a = attrs(
    root,
    {
      href: (v) => v,
      action: (v) => {
        if (!SL_ACTIONS.includes(v)) throw new ContentError(code, `SL: action="${v}" is not one of ${SL_ACTIONS.join(', ')}`);
        return v;
      },
    },
    code,
    K,
  );
  return { name: 'sl', attrs: a, children: [] };
}

/** WAP-167 SI XML -> application/vnd.wap.sic (WBXML 1.2, UTF-8, public id 0x05). */
export function compileSi(xml: string): Buffer {
  return encodeWbxml(siTree(xml), SI_TABLE);
}

/** WAP-168 SL XML -> application/vnd.wap.slc (WBXML 1.2, UTF-8, public id 0x06). */
export function compileSl(xml: string): Buffer {
  return encodeWbxml(slTree(xml), SL_TABLE);
}
