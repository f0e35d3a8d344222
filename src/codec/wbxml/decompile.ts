/**
 * WBXML SI / SL -> XML text (the inverse of compile.ts), for `wapgw decode` and tests.
 * %Datetime OPAQUE values are shown in their text form (WAP-167 §8.2.2); strings are escaped
 * so that the output parses back with src/codec/xml.ts to the same document.
 */
import { DecodeError } from '../../core/errors';
import { decodeDatetime } from './datetime';
import { tableByPublicId, type WbxmlTable } from './tables';
import { decodeWbxml, readWbxmlHeader, type WbxmlElement, type WbxmlValue } from './wbxml';

const DATE_ATTRS = new Set(['created', 'si-expires']);

const escText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s: string): string => escText(s).replace(/"/g, '&quot;').replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The table for a WBXML document (by well-known code or string public id), or a DecodeError. */
export function wbxmlTableOf(buf: Buffer): WbxmlTable {
  const h = readWbxmlHeader(buf);
  const t = tableByPublicId(h.publicId ?? h.publicIdCode);
  if (!t) {
    throw new DecodeError('wbxml', 1, `unsupported public id ${h.publicId ?? `0x${h.publicIdCode.toString(16)}`} (SI 0x05 and SL 0x06 are known)`);
  }
  return t;
}

function attrText(el: WbxmlElement, name: string, value: WbxmlValue[]): string {
  let out = '';
  for (const part of value) {
    if (typeof part === 'string') out += part;
    else if (DATE_ATTRS.has(name) && value.length === 1) {
      const d = decodeDatetime(part);
      if (d === undefined) throw new DecodeError('wbxml', 0, `${name} holds ${part.toString('hex')}, not a %Datetime`);
      out += d;
    } else throw new DecodeError('wbxml', 0, `OPAQUE data in attribute ${name} of <${el.name}>`);
  }
  return out;
}

function render(el: WbxmlElement, indent: string, lines: string[]): void {
  const a = el.attrs.map((x) => ` ${x.name}="${escAttr(attrText(el, x.name, x.value))}"`).join('');
  if (el.children.length === 0) {
    lines.push(`${indent}<${el.name}${a}/>`);
    return;
  }
  const elems = el.children.filter((c): c is WbxmlElement => typeof c !== 'string' && !Buffer.isBuffer(c));
  const texts = el.children.filter((c) => typeof c === 'string' || Buffer.isBuffer(c));
  if (texts.some((c) => Buffer.isBuffer(c))) throw new DecodeError('wbxml', 0, `OPAQUE data inside <${el.name}>`);
  if (elems.length === 0) {
    lines.push(`${indent}<${el.name}${a}>${escText((texts as string[]).join(''))}</${el.name}>`);
    return;
  }
  lines.push(`${indent}<${el.name}${a}>`);
  for (const c of el.children) {
    if (typeof c === 'string') {
      if (c.trim() !== '') lines.push(`${indent}  ${escText(c)}`);
    } else if (!Buffer.isBuffer(c)) render(c, `${indent}  `, lines);
  }
  lines.push(`${indent}</${el.name}>`);
}

/** Decompiles an SI or SL document. Throws DecodeError (code ERR_WBXML_DECODE). */
export function decompileWbxml(buf: Buffer): { publicId: string; xml: string } {
  const table = wbxmlTableOf(buf);
  const doc = decodeWbxml(buf, table);
  const lines = [
    '<?xml version="1.0"?>',
    `<!DOCTYPE ${table.root} PUBLIC "${table.publicId}" "${table.systemId}">`,
  ];
  render(doc.root, '', lines);
  return { publicId: table.publicId, xml: lines.join('\n') + '\n' };
}
