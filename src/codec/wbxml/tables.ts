/**
 * Token tables of the WBXML document types the PPG compiles (code page 0 only; neither uses
 * another page):
 * - SI, WAP-167 §8.3 (public id 0x05, WAP-192 §7.2.1): tags §8.3.1, attribute start tokens
 *   §8.3.2, attribute value tokens §8.3.3.
 * - SL, WAP-168 §9.3 (public id 0x06): tags §9.3.1, attribute start tokens §9.3.2, attribute
 *   value tokens §9.3.3 (the same four URL suffixes as SI).
 */

export interface AttrStart {
  /** Attribute name. */
  name: string;
  /** The start of the value this token stands for ('' when it carries the name only). */
  prefix: string;
}

/**
 * A code in `tags`, `attrStarts` and `attrValues` is the token on code page 0, or
 * `page << 8 | token` on another page (WAP-192 §5.8.1); SI and SL use page 0 only.
 */
export interface WbxmlTable {
  /** The document type's name (its root element). */
  root: string;
  /** Well-known public identifier code (WAP-192 §7.2.1). */
  publicIdCode: number;
  /** Formal public identifier. */
  publicId: string;
  /** The DTD's system identifier, for the decompiled DOCTYPE only (never fetched). */
  systemId: string;
  /** Content type of the textual and the compiled form. */
  textType: string;
  compiledType: string;
  tags: ReadonlyMap<number, string>;
  attrStarts: ReadonlyMap<number, AttrStart>;
  attrValues: ReadonlyMap<number, string>;
}

/** Attribute value tokens shared by SI (WAP-167 §8.3.3) and SL (WAP-168 §9.3.3). */
const URL_SUFFIXES: Array<[number, string]> = [
  [0x85, '.com/'],
  [0x86, '.edu/'],
  [0x87, '.net/'],
  [0x88, '.org/'],
];

export const SI_TABLE: WbxmlTable = {
  root: 'si',
  publicIdCode: 0x05,
  publicId: '-//WAPFORUM//DTD SI 1.0//EN',
  systemId: 'http://www.wapforum.org/DTD/si.dtd',
  textType: 'text/vnd.wap.si',
  compiledType: 'application/vnd.wap.sic',
  tags: new Map([
    [0x05, 'si'],
    [0x06, 'indication'],
    [0x07, 'info'],
    [0x08, 'item'],
  ]),
  attrStarts: new Map<number, AttrStart>([
    [0x05, { name: 'action', prefix: 'signal-none' }],
    [0x06, { name: 'action', prefix: 'signal-low' }],
    [0x07, { name: 'action', prefix: 'signal-medium' }],
    [0x08, { name: 'action', prefix: 'signal-high' }],
    [0x09, { name: 'action', prefix: 'delete' }],
    [0x0a, { name: 'created', prefix: '' }],
    [0x0b, { name: 'href', prefix: '' }],
    [0x0c, { name: 'href', prefix: 'http://' }],
    [0x0d, { name: 'href', prefix: 'http://www.' }],
    [0x0e, { name: 'href', prefix: 'https://' }],
    [0x0f, { name: 'href', prefix: 'https://www.' }],
    [0x10, { name: 'si-expires', prefix: '' }],
    [0x11, { name: 'si-id', prefix: '' }],
    [0x12, { name: 'class', prefix: '' }],
  ]),
  attrValues: new Map(URL_SUFFIXES),
};

export const SL_TABLE: WbxmlTable = {
  root: 'sl',
  publicIdCode: 0x06,
  publicId: '-//WAPFORUM//DTD SL 1.0//EN',
  systemId: 'http://www.wapforum.org/DTD/sl.dtd',
  textType: 'text/vnd.wap.sl',
  compiledType: 'application/vnd.wap.slc',
  tags: new Map([[0x05, 'sl']]),
  attrStarts: new Map<number, AttrStart>([
    [0x05, { name: 'action', prefix: 'execute-low' }],
    [0x06, { name: 'action', prefix: 'execute-high' }],
    [0x07, { name: 'action', prefix: 'cache' }],
    [0x08, { name: 'href', prefix: '' }],
    [0x09, { name: 'href', prefix: 'http://' }],
    [0x0a, { name: 'href', prefix: 'http://www.' }],
    [0x0b, { name: 'href', prefix: 'https://' }],
    [0x0c, { name: 'href', prefix: 'https://www.' }],
  ]),
  attrValues: new Map(URL_SUFFIXES),
};

export const WBXML_TABLES: readonly WbxmlTable[] = [SI_TABLE, SL_TABLE];

export function tableByPublicId(id: number | string): WbxmlTable | undefined {
  return WBXML_TABLES.find((t) => (typeof id === 'number' ? t.publicIdCode === id : t.publicId === id));
}
