/**
 * WBXML (WAP-192, versions 1.1-1.3) reader and writer, table driven.
 *
 * Document (WAP-192 §5.3): version, publicid (mb_u_int32; 0 means "the string table holds it"
 * and an index follows), charset (mb_u_int32 MIBenum), string table (mb_u_int32 length + bytes),
 * body = *pi element *pi. mb_u_int32 (§5.1) is the same multi-byte integer as WSP's uintvar.
 * Global tokens (§7.1): SWITCH_PAGE 0x00, END 0x01, ENTITY 0x02, STR_I 0x03, LITERAL 0x04,
 * EXT_I_0..2 0x40-0x42, PI 0x43, LITERAL_C 0x44, EXT_T_0..2 0x80-0x82, STR_T 0x83, LITERAL_A 0x84,
 * EXT_0..2 0xC0-0xC2, OPAQUE 0xC3, LITERAL_AC 0xC4. A tag token carries "has attributes" in
 * bit 7 and "has content" in bit 6 (§5.8.2); in the attribute code space tokens below 128 start
 * an attribute, tokens from 128 are attribute values (§5.8.3).
 *
 * The reader is strict where a PPG must be (every length checked, nesting bounded, unknown
 * tokens and the extension tokens, which SI and SL never use, are a DecodeError with the
 * offset) and produces a neutral tree; tables.ts gives the names.
 */
import { Reader, Writer } from '../bytes';
import { DecodeError, EncodeError } from '../../core/errors';
import { type WbxmlTable } from './tables';

export const TOKEN = {
  SWITCH_PAGE: 0x00,
  END: 0x01,
  ENTITY: 0x02,
  STR_I: 0x03,
  LITERAL: 0x04,
  EXT_I_0: 0x40,
  EXT_I_2: 0x42,
  PI: 0x43,
  LITERAL_C: 0x44,
  EXT_T_0: 0x80,
  EXT_T_2: 0x82,
  STR_T: 0x83,
  LITERAL_A: 0x84,
  EXT_0: 0xc0,
  EXT_2: 0xc2,
  OPAQUE: 0xc3,
  LITERAL_AC: 0xc4,
} as const;

/** IANA MIBenum values of the charsets we read (WAP-192 §5.6); 0 is "unknown", read as UTF-8. */
export const CHARSET = { UNKNOWN: 0, US_ASCII: 3, ISO_8859_1: 4, UTF_8: 106 } as const;

/** Text is a string, OPAQUE data a Buffer. */
export type WbxmlValue = string | Buffer;
export type WbxmlNode = WbxmlElement | WbxmlValue;

export interface WbxmlAttr {
  name: string;
  /** Adjacent strings are merged; OPAQUE parts stay Buffers. */
  value: WbxmlValue[];
}

export interface WbxmlElement {
  name: string;
  attrs: WbxmlAttr[];
  children: WbxmlNode[];
}

export interface WbxmlDocument {
  /** WAP-192 §5.4: major - 1 in the high nibble, minor in the low (0x02 = 1.2). */
  version: number;
  /** The well-known code, or 0 when the id is a string. */
  publicIdCode: number;
  /** The formal public identifier when known (from the table or the string table). */
  publicId: string | undefined;
  charset: number;
  root: WbxmlElement;
}

const MAX_DEPTH = 32;
const MAX_NODES = 10_000;

function decodeText(buf: Buffer, charset: number, r: Reader, at: number): string {
  switch (charset) {
    case CHARSET.UTF_8:
    case CHARSET.UNKNOWN:
      return buf.toString('utf8');
    case CHARSET.US_ASCII:
    case CHARSET.ISO_8859_1:
      return buf.toString('latin1');
    default:
      return r.fail(`unsupported charset MIBenum ${charset}`, at);
  }
}

/** Reads the header and returns the public id without decoding the body (to pick a table). */
export function readWbxmlHeader(buf: Buffer): {
  version: number;
  publicIdCode: number;
  publicId: string | undefined;
  charset: number;
  strtbl: Buffer;
  bodyOffset: number;
} {
  const r: Reader = new Reader(buf, 'wbxml');
  const version = r.u8('version');
  if (version > 0x03) r.fail(`unsupported WBXML version 0x${version.toString(16)}`, 0);
  const publicIdCode = r.uintvar('publicid');
  let strIndex: number | undefined;
  // WBXML 1.0 had no string-table public ids; from 1.1 a 0 is followed by an index (§5.5).
  if (publicIdCode === 0 && version >= 0x01) strIndex = r.uintvar('publicid index');
  const csAt = r.pos;
  const charset = version >= 0x01 ? r.uintvar('charset') : CHARSET.UTF_8;
  if (!(Object.values(CHARSET) as number[]).includes(charset)) r.fail(`unsupported charset MIBenum ${charset}`, csAt);
  const tblLen = r.uintvar('string table length');
  const strtbl = r.bytes(tblLen, 'string table');
  const publicId = strIndex === undefined ? undefined : decodeText(tableString(r, strtbl, strIndex), charset, r, r.pos);
  return { version, publicIdCode, publicId, charset, strtbl, bodyOffset: r.pos };
}

function tableString(r: Reader, strtbl: Buffer, index: number): Buffer {
  if (index >= strtbl.length) r.fail(`string table index ${index} beyond its ${strtbl.length} octets`);
  const end = strtbl.indexOf(0, index);
  if (end < 0) r.fail(`string table entry at ${index} has no terminator`);
  return strtbl.subarray(index, end);
}

/**
 * Decodes a whole WBXML document with the given table (code page 0 of the table; a
 * SWITCH_PAGE to another page makes every following token unknown, hence a DecodeError).
 */
export function decodeWbxml(buf: Buffer, table: WbxmlTable): WbxmlDocument {
  const h = readWbxmlHeader(buf);
  const r: Reader = new Reader(buf, 'wbxml', h.bodyOffset);
  let tagPage = 0;
  let attrPage = 0;
  let nodes = 0;

  const str = (): string => {
    const at = r.pos;
    return decodeText(r.cstring('inline string'), h.charset, r, at);
  };
  const strT = (): string => {
    const at = r.pos;
    return decodeText(tableString(r, h.strtbl, r.uintvar('string table reference')), h.charset, r, at);
  };
  const entity = (): string => {
    const at = r.pos;
    const cp = r.uintvar('entity');
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0) r.fail(`entity ${cp} is not a character`, at);
    return String.fromCodePoint(cp);
  };
  const opaque = (): Buffer => r.bytes(r.uintvar('opaque length'), 'opaque data');
  const switchPage = (): number => r.u8('code page');

  const skipPi = (): void => {
    // PI = PI attrStart *attrValue END (§5.8.4): read and dropped.
    readAttrs(true);
  };

  /** Reads attributes up to END. With `single`, exactly one attribute (a PI's target + value). */
  const readAttrs = (single = false): WbxmlAttr[] => {
    const attrs: WbxmlAttr[] = [];
    let cur: WbxmlAttr | undefined;
    const push = (v: WbxmlValue): void => {
      if (!cur) return r.fail('attribute value before any attribute start', r.pos - 1);
      const last = cur.value[cur.value.length - 1];
      if (typeof v === 'string' && typeof last === 'string') cur.value[cur.value.length - 1] = last + v;
      else if (v.length > 0) cur.value.push(v);
    };
    for (;;) {
      const at = r.pos;
      const t = r.u8('attribute token');
      if (t === TOKEN.END) {
        if (!cur) r.fail(single ? 'processing instruction without a target' : 'attribute list without attributes', at);
        return attrs;
      }
      if (t === TOKEN.SWITCH_PAGE) attrPage = switchPage();
      else if (t === TOKEN.STR_I) push(str());
      else if (t === TOKEN.STR_T) push(strT());
      else if (t === TOKEN.ENTITY) push(entity());
      else if (t === TOKEN.OPAQUE) push(opaque());
      else if (t === TOKEN.LITERAL || t < 0x80) {
        if (single && cur) r.fail('a second attribute in a processing instruction', at);
        if (++nodes > MAX_NODES) r.fail(`more than ${MAX_NODES} nodes`, at);
        let name: string;
        let prefix = '';
        if (t === TOKEN.LITERAL) name = strT();
        else {
          const s = table.attrStarts.get((attrPage << 8) | t);
          if (!s) r.fail(`unknown attribute start token 0x${t.toString(16)} on page ${attrPage}`, at);
          name = s.name;
          prefix = s.prefix;
        }
        cur = { name, value: prefix ? [prefix] : [] };
        attrs.push(cur);
      } else if ((t >= TOKEN.EXT_I_0 && t <= TOKEN.EXT_I_2) || (t >= TOKEN.EXT_T_0 && t <= TOKEN.EXT_T_2) || (t >= TOKEN.EXT_0 && t <= TOKEN.EXT_2)) {
        r.fail(`extension token 0x${t.toString(16)} is not used by ${table.root.toUpperCase()}`, at);
      } else {
        const v = table.attrValues.get((attrPage << 8) | t);
        if (v === undefined) r.fail(`unknown attribute value token 0x${t.toString(16)} on page ${attrPage}`, at);
        push(v);
      }
    }
  };

  const readTag = (): { el: WbxmlElement; content: boolean } => {
    for (;;) {
      const at = r.pos;
      const t = r.u8('tag');
      if (t === TOKEN.SWITCH_PAGE) {
        tagPage = switchPage();
        continue;
      }
      if (t === TOKEN.PI) {
        skipPi();
        continue;
      }
      const id = t & 0x3f;
      if (id <= 0x04) {
        if (id !== TOKEN.LITERAL) r.fail(`expected a tag, got global token 0x${t.toString(16)}`, at);
      }
      if (++nodes > MAX_NODES) r.fail(`more than ${MAX_NODES} nodes`, at);
      let name: string;
      if (id === TOKEN.LITERAL) name = strT();
      else {
        const n = table.tags.get((tagPage << 8) | id);
        if (n === undefined) r.fail(`unknown tag token 0x${t.toString(16)} on page ${tagPage}`, at);
        name = n;
      }
      const el: WbxmlElement = { name, attrs: [], children: [] };
      if (t & 0x80) el.attrs = readAttrs();
      return { el, content: (t & 0x40) !== 0 };
    }
  };

  // body = *pi element *pi
  const first = readTag();
  const root = first.el;
  const stack: WbxmlElement[] = first.content ? [root] : [];
  while (stack.length > 0) {
    const cur = stack[stack.length - 1] as WbxmlElement;
    const at = r.pos;
    const t = r.peek();
    const pushText = (v: WbxmlValue): void => {
      const last = cur.children[cur.children.length - 1];
      if (typeof v === 'string' && typeof last === 'string') cur.children[cur.children.length - 1] = last + v;
      else cur.children.push(v);
    };
    if (t === TOKEN.END) {
      r.pos++;
      stack.pop();
    } else if (t === TOKEN.STR_I) {
      r.pos++;
      pushText(str());
    } else if (t === TOKEN.STR_T) {
      r.pos++;
      pushText(strT());
    } else if (t === TOKEN.ENTITY) {
      r.pos++;
      pushText(entity());
    } else if (t === TOKEN.OPAQUE) {
      r.pos++;
      pushText(opaque());
    } else if (t === TOKEN.PI) {
      r.pos++;
      skipPi();
    } else if ((t >= TOKEN.EXT_I_0 && t <= TOKEN.EXT_I_2) || (t >= TOKEN.EXT_T_0 && t <= TOKEN.EXT_T_2) || (t >= TOKEN.EXT_0 && t <= TOKEN.EXT_2)) {
      r.fail(`extension token 0x${t.toString(16)} is not used by ${table.root.toUpperCase()}`, at);
    } else {
      const child = readTag();
      cur.children.push(child.el);
      if (child.content) {
        if (stack.length >= MAX_DEPTH) r.fail(`nesting deeper than ${MAX_DEPTH}`, at);
        stack.push(child.el);
      }
    }
  }
  while (!r.atEnd) {
    const at = r.pos;
    if (r.u8('pi') !== TOKEN.PI) r.fail('content after the root element', at);
    skipPi();
  }
  return { version: h.version, publicIdCode: h.publicIdCode, publicId: h.publicId ?? (h.publicIdCode === table.publicIdCode ? table.publicId : undefined), charset: h.charset, root };
}

export interface EncodeOptions {
  /** WBXML version octet (default 0x02, WBXML 1.2, as Kannel and most SI/SL compilers send). */
  version?: number;
  /**
   * Put strings that occur more than once (3 octets or longer) in the string table and refer
   * to them with STR_T (WAP-192 §5.7); default false: every string inline (STR_I), as SI/SL
   * compilers do.
   */
  stringTable?: boolean;
}

/**
 * Encodes a tree with a table: UTF-8, the table's well-known public id. Attribute values use
 * the longest attribute start token whose prefix begins the value, then the value tokens
 * wherever they occur in the rest. A token on another code page (table code >> 8) is preceded
 * by SWITCH_PAGE; tags and attributes keep separate current pages (WAP-192 §5.8.1).
 */
/** Per-table lookups the encoder needs, built once. */
interface EncodeTables {
  tagToken: Map<string, number>;
  /** attribute name -> its start tokens, longest prefix first */
  starts: Map<string, Array<[number, string]>>;
  /** value tokens, longest first */
  values: Array<[number, string]>;
}
const ENCODE_TABLES = new WeakMap<WbxmlTable, EncodeTables>();

function encodeTables(table: WbxmlTable): EncodeTables {
  let t = ENCODE_TABLES.get(table);
  if (!t) {
    const tagToken = new Map<string, number>();
    for (const [k, v] of table.tags) tagToken.set(v, k);
    const starts = new Map<string, Array<[number, string]>>();
    for (const [code, a] of table.attrStarts) {
      const list = starts.get(a.name) ?? [];
      list.push([code, a.prefix]);
      starts.set(a.name, list);
    }
    for (const list of starts.values()) list.sort((x, y) => y[1].length - x[1].length);
    t = { tagToken, starts, values: [...table.attrValues].sort((a, b) => b[1].length - a[1].length) };
    ENCODE_TABLES.set(table, t);
  }
  return t;
}

export function encodeWbxml(root: WbxmlElement, table: WbxmlTable, options: number | EncodeOptions = {}): Buffer {
  const o: EncodeOptions = typeof options === 'number' ? { version: options } : options;
  let counts: Map<string, number> | undefined;
  let offsets: Map<string, number> | undefined;
  let strtbl = Buffer.alloc(0);
  if (o.stringTable) {
    // pass 1 counts the strings; the table holds those seen twice or more
    counts = new Map();
    encodeBody(root, table, new Writer('wbxml'), (s) => counts!.set(s, (counts!.get(s) ?? 0) + 1));
    offsets = new Map();
    const parts: Buffer[] = [];
    let at = 0;
    for (const [str, n] of counts) {
      const b = Buffer.from(str, 'utf8');
      if (n < 2 || b.length < 3) continue;
      offsets.set(str, at);
      parts.push(b, Buffer.from([0]));
      at += b.length + 1;
    }
    strtbl = Buffer.concat(parts);
  }
  const w = new Writer('wbxml');
  w.u8(o.version ?? 0x02).uintvar(table.publicIdCode).uintvar(CHARSET.UTF_8).uintvar(strtbl.length).bytes(strtbl);
  encodeBody(root, table, w, (s) => {
    const ref = offsets?.get(s);
    if (ref !== undefined) w.u8(TOKEN.STR_T).uintvar(ref);
    else w.u8(TOKEN.STR_I).bytes(Buffer.from(s, 'utf8')).u8(0);
  });
  return w.toBuffer();
}

function encodeBody(root: WbxmlElement, table: WbxmlTable, w: Writer, str: (s: string) => void): void {
  const { tagToken, starts, values: valueTokens } = encodeTables(table);
  let tagPage = 0;
  let attrPage = 0;
  /** Writes a table code's token, switching the page first when it is on another one. */
  const token = (code: number, space: 'tag' | 'attr', flags = 0): void => {
    const page = code >> 8;
    if (space === 'tag' && page !== tagPage) {
      w.u8(TOKEN.SWITCH_PAGE).u8(page);
      tagPage = page;
    } else if (space === 'attr' && page !== attrPage) {
      w.u8(TOKEN.SWITCH_PAGE).u8(page);
      attrPage = page;
    }
    w.u8((code & 0xff) | flags);
  };
  const inline = (s: string): void => {
    if (s.includes('\u0000')) throw new EncodeError('wbxml', 'a string contains NUL');
    str(s);
  };
  const tokenizedString = (s: string): void => {
    let start = 0;
    for (;;) {
      // the earliest occurrence of any value token (the longest one at a tie)
      let at = -1;
      let hit: [number, string] | undefined;
      for (const tv of valueTokens) {
        const i = s.indexOf(tv[1], start);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          hit = tv;
        }
      }
      if (!hit) break;
      if (at > start) inline(s.slice(start, at));
      token(hit[0], 'attr');
      start = at + hit[1].length;
    }
    if (start < s.length) inline(s.slice(start));
  };
  const attr = (a: WbxmlAttr): void => {
    const first = a.value[0];
    const best = starts.get(a.name)?.find(([, prefix]) => prefix === '' || (typeof first === 'string' && first.startsWith(prefix)));
    if (!best) throw new EncodeError('wbxml', `attribute ${a.name} has no token in ${table.root.toUpperCase()}`);
    token(best[0], 'attr');
    a.value.forEach((part, i) => {
      if (typeof part === 'string') {
        const rest = i === 0 ? part.slice(best[1].length) : part;
        tokenizedString(rest);
      } else w.u8(TOKEN.OPAQUE).uintvar(part.length).bytes(part);
    });
  };
  const element = (el: WbxmlElement, depth: number): void => {
    if (depth > MAX_DEPTH) throw new EncodeError('wbxml', `nesting deeper than ${MAX_DEPTH}`);
    const tok = tagToken.get(el.name);
    if (tok === undefined) throw new EncodeError('wbxml', `element ${el.name} has no token in ${table.root.toUpperCase()}`);
    const children = el.children.filter((c) => !(typeof c === 'string' && c === ''));
    token(tok, 'tag', (el.attrs.length > 0 ? 0x80 : 0) | (children.length > 0 ? 0x40 : 0));
    if (el.attrs.length > 0) {
      el.attrs.forEach(attr);
      w.u8(TOKEN.END);
    }
    if (children.length > 0) {
      for (const c of children) {
        if (typeof c === 'string') inline(c);
        else if (Buffer.isBuffer(c)) w.u8(TOKEN.OPAQUE).uintvar(c.length).bytes(c);
        else element(c, depth + 1);
      }
      w.u8(TOKEN.END);
    }
  };
  element(root, 1);
}

export { DecodeError };
