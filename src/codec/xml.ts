/**
 * A small strict XML 1.0 parser for the documents the PPG reads (PAP, WAP-247; SI, WAP-167;
 * SL, WAP-168): text in, a plain element tree out. It is written for hostile input:
 *
 * - No DTD processing at all. A document type declaration carrying only an external id
 *   (`<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">`,
 *   XML 1.0 §2.8 production [28]) is read and ignored: the system literal is never fetched.
 *   An internal subset (`[ ... ]`) or any `<!ENTITY` declaration is refused (ERR_XML_FORBIDDEN),
 *   so neither external entities (XXE) nor entity expansion ("billion laughs") can happen.
 * - References: only the five predefined entities (XML 1.0 §4.6) and numeric character
 *   references (§4.1) are decoded; any other entity reference is refused (never expanded).
 * - Bounded: total size, nesting depth, element count and attributes per element are limited,
 *   and the parser uses an explicit stack (no recursion), so deep input cannot overflow the
 *   JS stack.
 *
 * Supported: XML declaration, processing instructions and comments (skipped), CDATA sections,
 * attribute value normalisation (§3.3.3 for CDATA-typed attributes: tab/CR/LF become spaces),
 * line-end normalisation (§2.11). Namespaces are not interpreted: a prefixed name stays as
 * written (`pap:push-message` keeps its prefix) and `xmlns` attributes are plain attributes.
 */
import { WapgwError } from '../core/errors';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA directly inside it), concatenated. */
  text: string;
}

export interface XmlDoctype {
  name: string;
  publicId?: string;
  systemId?: string;
}

export interface XmlDocument {
  root: XmlElement;
  doctype?: XmlDoctype;
}

export interface XmlLimits {
  /** Characters of input accepted (default 1 MiB). */
  maxBytes?: number;
  /** Nesting depth of elements, the root counting 1 (default 64). */
  maxDepth?: number;
  /** Elements in the whole document (default 10 000). */
  maxElements?: number;
  /** Attributes on one element (default 64). */
  maxAttributes?: number;
}

export const DEFAULT_XML_LIMITS: Required<XmlLimits> = {
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxElements: 10_000,
  maxAttributes: 64,
};

/**
 * Stable codes: ERR_XML_SYNTAX (not well-formed), ERR_XML_FORBIDDEN (DTD internal subset,
 * ENTITY declaration, an entity other than the five predefined), ERR_XML_LIMIT (a limit hit).
 * All map to HTTP 400.
 */
export type XmlErrorCode = 'ERR_XML_SYNTAX' | 'ERR_XML_FORBIDDEN' | 'ERR_XML_LIMIT';

export class XmlError extends WapgwError {
  readonly offset: number;
  readonly line: number;
  constructor(code: XmlErrorCode, message: string, offset: number, line: number) {
    super(code, `xml: ${message} at line ${line}`, { status: 400 });
    this.offset = offset;
    this.line = line;
  }
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/** XML 1.0 §2.2 Char: what a character reference may produce. */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** NameStartChar / NameChar (XML 1.0 §2.3), simplified for non-ASCII: any code unit >= 0x80 (letters, marks...). */
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c >= 0xc0;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0xb7;
}

/**
 * The attribute table of an element: an object whose prototype chain holds no property at all
 * (its prototype is an empty object with a null prototype), so no attribute name, `__proto__`
 * and `constructor` included, reaches Object.prototype. Unlike Object.create(null), whose
 * objects V8 keeps as hash tables from the start, these get fast properties: a few hundred
 * octets less per element, and attribute reads through inline caches.
 */
const Attrs = function Attrs(this: Record<string, string>) {} as unknown as new () => Record<string, string>;
Attrs.prototype = Object.create(null) as Record<string, string>;

class Parser {
  private pos = 0;
  private elements = 0;
  /** Set by startTag: the element it read was empty (`<a/>`). */
  private empty = false;
  constructor(
    private readonly s: string,
    private readonly lim: Required<XmlLimits>,
  ) {}

  private lineAt(offset: number): number {
    let line = 1;
    for (let i = 0; i < offset && i < this.s.length; i++) if (this.s.charCodeAt(i) === 0x0a) line++;
    return line;
  }
  fail(code: XmlErrorCode, message: string, at = this.pos): never {
    throw new XmlError(code, message, at, this.lineAt(at));
  }

  private startsWith(lit: string): boolean {
    return this.s.startsWith(lit, this.pos);
  }
  private expect(lit: string, what: string): void {
    if (!this.startsWith(lit)) this.fail('ERR_XML_SYNTAX', `expected ${what}`);
    this.pos += lit.length;
  }
  private skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.s.length && isSpace(this.s.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }

  private name(what: string): string {
    const start = this.pos;
    if (this.pos >= this.s.length || !isNameStart(this.s.charCodeAt(this.pos))) {
      this.fail('ERR_XML_SYNTAX', `expected ${what}`);
    }
    this.pos++;
    while (this.pos < this.s.length && isNameChar(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }

  private quoted(what: string): string {
    const q = this.s[this.pos];
    if (q !== '"' && q !== "'") this.fail('ERR_XML_SYNTAX', `expected a quoted ${what}`);
    const end = this.s.indexOf(q, this.pos + 1);
    if (end < 0) this.fail('ERR_XML_SYNTAX', `unterminated ${what}`);
    const v = this.s.slice(this.pos + 1, end);
    this.pos = end + 1;
    return v;
  }

  /** Decodes one reference starting at '&'; returns the replacement text. */
  private reference(): string {
    const start = this.pos;
    const semi = this.s.indexOf(';', this.pos);
    if (semi < 0 || semi - start > 64) this.fail('ERR_XML_SYNTAX', "'&' not starting a reference (write &amp;)");
    const body = this.s.slice(start + 1, semi);
    this.pos = semi + 1;
    if (body.startsWith('#')) {
      const hexForm = body[1] === 'x';
      const digits = hexForm ? body.slice(2) : body.slice(1);
      if (!(hexForm ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) {
        this.fail('ERR_XML_SYNTAX', `bad character reference &${body};`, start);
      }
      const cp = parseInt(digits, hexForm ? 16 : 10);
      if (!isXmlChar(cp)) this.fail('ERR_XML_SYNTAX', `character reference &${body}; is not an XML character`, start);
      return String.fromCodePoint(cp);
    }
    const v = PREDEFINED[body];
    if (v === undefined) {
      if (/^[^\s<>&;]+$/.test(body)) {
        this.fail('ERR_XML_FORBIDDEN', `entity reference &${body}; refused (only the five predefined entities are decoded)`, start);
      }
      this.fail('ERR_XML_SYNTAX', "'&' not starting a reference (write &amp;)", start);
    }
    return v;
  }

  private attrValue(): string {
    const q = this.s[this.pos];
    if (q !== '"' && q !== "'") this.fail('ERR_XML_SYNTAX', 'expected a quoted attribute value');
    // The common value has no reference, no '<' and no white space to normalise: one slice.
    // (A slice may share the document's memory: a caller keeping a value for long copies it.)
    const end = this.s.indexOf(q, this.pos + 1);
    if (end > 0) {
      let i = this.pos + 1;
      for (; i < end; i++) {
        const c = this.s.charCodeAt(i);
        if (c === 0x26 || c === 0x3c || c === 0x09 || c === 0x0a || c === 0x0d) break;
      }
      if (i === end) {
        const v = this.s.slice(this.pos + 1, end);
        this.pos = end + 1;
        return v;
      }
    }
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.s.length) this.fail('ERR_XML_SYNTAX', 'unterminated attribute value');
      const c = this.s.charCodeAt(this.pos);
      if (c === q.charCodeAt(0)) {
        this.pos++;
        return out;
      }
      if (c === 0x3c) this.fail('ERR_XML_SYNTAX', "'<' inside an attribute value");
      if (c === 0x26) {
        out += this.reference();
        continue;
      }
      // §3.3.3: literal white space characters become a space (after §2.11 CRLF -> LF).
      if (c === 0x0d && this.s.charCodeAt(this.pos + 1) === 0x0a) this.pos++;
      out += c === 0x09 || c === 0x0a || c === 0x0d ? ' ' : this.s[this.pos];
      this.pos++;
    }
  }

  private comment(): void {
    const end = this.s.indexOf('-->', this.pos + 4);
    if (end < 0) this.fail('ERR_XML_SYNTAX', 'unterminated comment');
    if (this.s.slice(this.pos + 4, end).includes('--')) this.fail('ERR_XML_SYNTAX', "'--' inside a comment");
    this.pos = end + 3;
  }

  private pi(): void {
    const start = this.pos;
    this.pos += 2;
    const target = this.name('a processing instruction target');
    // The XML declaration comes first (§2.8); a BOM or leading white space before it is tolerated.
    if (target.toLowerCase() === 'xml' && this.s.slice(0, start).replace(/^\ufeff/, '').trim() !== '') {
      this.fail('ERR_XML_SYNTAX', 'XML declaration not at the start of the document', start);
    }
    const end = this.s.indexOf('?>', this.pos);
    if (end < 0) this.fail('ERR_XML_SYNTAX', 'unterminated processing instruction');
    this.pos = end + 2;
  }

  /** XML 1.0 §2.8 [28] doctypedecl, external id only. */
  private doctype(): XmlDoctype {
    this.pos += '<!DOCTYPE'.length;
    if (!this.skipSpace()) this.fail('ERR_XML_SYNTAX', 'expected space after <!DOCTYPE');
    const dt: XmlDoctype = { name: this.name('the document type name') };
    this.skipSpace();
    if (this.startsWith('PUBLIC')) {
      this.pos += 6;
      this.skipSpace();
      dt.publicId = this.quoted('public id');
      if (this.skipSpace() && (this.s[this.pos] === '"' || this.s[this.pos] === "'")) {
        dt.systemId = this.quoted('system id');
      }
    } else if (this.startsWith('SYSTEM')) {
      this.pos += 6;
      this.skipSpace();
      dt.systemId = this.quoted('system id');
    }
    this.skipSpace();
    if (this.s[this.pos] === '[') {
      this.fail('ERR_XML_FORBIDDEN', 'a DOCTYPE with an internal subset is refused (no DTD processing)');
    }
    this.expect('>', "'>' closing the DOCTYPE");
    return dt;
  }

  /** Misc* (comments, PIs, white space) between prolog/epilogue items; false at anything else. */
  private misc(): boolean {
    if (this.skipSpace()) return true;
    if (this.startsWith('<!--')) {
      this.comment();
      return true;
    }
    if (this.startsWith('<?')) {
      this.pi();
      return true;
    }
    return false;
  }

  private checkForbidden(): void {
    if (this.startsWith('<!ENTITY') || this.startsWith('<!ELEMENT') || this.startsWith('<!ATTLIST')) {
      this.fail('ERR_XML_FORBIDDEN', 'markup declarations are refused (no DTD processing)');
    }
  }

  document(): XmlDocument {
    if (this.s.length > this.lim.maxBytes) {
      this.fail('ERR_XML_LIMIT', `document of ${this.s.length} characters exceeds ${this.lim.maxBytes}`, 0);
    }
    if (this.s.charCodeAt(0) === 0xfeff) this.pos = 1;
    let doctype: XmlDoctype | undefined;
    for (;;) {
      if (this.misc()) continue;
      if (this.startsWith('<!DOCTYPE')) {
        if (doctype) this.fail('ERR_XML_SYNTAX', 'a second DOCTYPE');
        doctype = this.doctype();
        continue;
      }
      this.checkForbidden();
      break;
    }
    if (!this.startsWith('<') || this.startsWith('<!') || this.startsWith('</')) {
      this.fail('ERR_XML_SYNTAX', this.pos >= this.s.length ? 'no root element' : 'expected the root element');
    }
    const root = this.elementTree();
    while (this.misc()) {
      /* epilogue */
    }
    if (this.pos < this.s.length) this.fail('ERR_XML_SYNTAX', 'content after the root element');
    return doctype ? { root, doctype } : { root };
  }

  /** Reads '<name attrs...' up to and including '>' or '/>'; `this.empty` says which. */
  private startTag(): XmlElement {
    this.pos++; // '<'
    const name = this.name('an element name');
    if (++this.elements > this.lim.maxElements) {
      this.fail('ERR_XML_LIMIT', `more than ${this.lim.maxElements} elements`);
    }
    const attrs = new Attrs();
    let count = 0;
    for (;;) {
      const spaced = this.skipSpace();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2f && this.s.charCodeAt(this.pos + 1) === 0x3e) {
        this.pos += 2;
        this.empty = true;
        return { name, attrs, children: [], text: '' };
      }
      if (c === 0x3e) {
        this.pos++;
        this.empty = false;
        return { name, attrs, children: [], text: '' };
      }
      if (!spaced) this.fail('ERR_XML_SYNTAX', `expected space, '>' or '/>' in <${name}>`);
      const at = this.pos;
      const an = this.name('an attribute name');
      this.skipSpace();
      this.expect('=', `'=' after attribute ${an}`);
      this.skipSpace();
      const v = this.attrValue();
      if (Object.prototype.hasOwnProperty.call(attrs, an)) this.fail('ERR_XML_SYNTAX', `duplicate attribute ${an}`, at);
      if (++count > this.lim.maxAttributes) this.fail('ERR_XML_LIMIT', `more than ${this.lim.maxAttributes} attributes on <${name}>`, at);
      attrs[an] = v;
    }
  }

  private elementTree(): XmlElement {
    const root = this.startTag();
    if (this.empty) return root;
    const stack: XmlElement[] = [root];
    // each open element's character data so far (most documents have only white space there)
    const texts: string[] = [''];
    if (stack.length > this.lim.maxDepth) this.fail('ERR_XML_LIMIT', `nesting deeper than ${this.lim.maxDepth}`);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const cur = stack[top] as XmlElement;
      if (this.pos >= this.s.length) this.fail('ERR_XML_SYNTAX', `unclosed element <${cur.name}>`);
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x3c) {
        const c1 = this.s.charCodeAt(this.pos + 1);
        if (c1 === 0x2f) {
          // '</'
          const at = this.pos;
          this.pos += 2;
          const n = this.name('an end tag name');
          this.skipSpace();
          this.expect('>', `'>' closing </${n}`);
          if (n !== cur.name) this.fail('ERR_XML_SYNTAX', `end tag </${n}> does not match <${cur.name}>`, at);
          cur.text = texts[top] as string;
          stack.pop();
          texts.pop();
        } else if (c1 === 0x21 && this.startsWith('<!--')) {
          this.comment();
        } else if (c1 === 0x21 && this.startsWith('<![CDATA[')) {
          const end = this.s.indexOf(']]>', this.pos + 9);
          if (end < 0) this.fail('ERR_XML_SYNTAX', 'unterminated CDATA section');
          texts[top] += this.s.slice(this.pos + 9, end).replace(/\r\n?/g, '\n');
          this.pos = end + 3;
        } else if (c1 === 0x3f) {
          // '<?'
          this.pi();
        } else if (c1 === 0x21) {
          this.checkForbidden();
          this.fail('ERR_XML_SYNTAX', this.startsWith('<!DOCTYPE') ? 'DOCTYPE inside the root element' : "unexpected '<!'");
        } else {
          const child = this.startTag();
          cur.children.push(child);
          if (!this.empty) {
            if (stack.length + 1 > this.lim.maxDepth) this.fail('ERR_XML_LIMIT', `nesting deeper than ${this.lim.maxDepth}`);
            stack.push(child);
            texts.push('');
          }
        }
      } else if (c === 0x26) {
        texts[top] += this.reference();
      } else {
        let end = this.pos;
        while (end < this.s.length) {
          const d = this.s.charCodeAt(end);
          if (d === 0x3c || d === 0x26) break;
          end++;
        }
        const chunk = this.s.slice(this.pos, end);
        if (chunk.includes(']]>')) this.fail('ERR_XML_SYNTAX', "']]>' in character data");
        texts[top] += chunk.includes('\r') ? chunk.replace(/\r\n?/g, '\n') : chunk;
        this.pos = end;
      }
    }
    return root;
  }
}

/** Parses a whole document; returns the root element and the (ignored) DOCTYPE's ids. */
export function parseXmlDocument(text: string, limits: XmlLimits = {}): XmlDocument {
  return new Parser(text, { ...DEFAULT_XML_LIMITS, ...limits }).document();
}

/** Parses a whole document and returns its root element. Throws XmlError (see XmlErrorCode). */
export function parseXml(text: string, limits: XmlLimits = {}): XmlElement {
  return parseXmlDocument(text, limits).root;
}

/** The child elements named `name` (exact match, prefix included). */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The first child element named `name`, or undefined. */
export function childNamed(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}
