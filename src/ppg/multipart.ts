/**
 * The body of a PAP request (WAP-247 §8): `multipart/related` (RFC 2387; the multipart syntax
 * of RFC 2046 §5.1.1) whose first entity is the PAP control document (application/xml), the
 * second the content to push, and, in PAP 2.0, an optional third: the capabilities entity.
 * Messages with no content (cancel, statusquery, ccq, resultnotification-response) come as a
 * bare `application/xml` body.
 *
 * `splitPapBody(contentType, body, limits)` reads both forms; `buildPapBody(...)` writes the
 * multipart form for initiators (`wapgw push`, the demo MMSC, tests). Pure, Buffer in and out.
 * The content entity keeps only what the push needs: its Content-Type, X-Wap-Application-Id
 * and Content-Location, with the Content-Transfer-Encoding (base64, binary, 7bit, 8bit)
 * undone. Every refusal is a PapError 2000 with the reason.
 */
import { PapError } from './pap';
import { Memo } from '../core/bounded';

export interface EntityHeaders {
  /** Lower-cased header name -> value (the first occurrence; continuation lines unfolded). */
  [name: string]: string;
}

export interface Entity {
  headers: EntityHeaders;
  body: Buffer;
}

export interface ContentEntity {
  /** The Content-Type value as sent (parameters included). */
  contentType: string;
  /** type/subtype, lower case, no parameters. */
  mediaType: string;
  /** X-Wap-Application-Id of the content entity (WAP-247 §8.2), as written: a URN or a number. */
  applicationId?: string;
  contentLocation?: string;
  /** The content, transfer encoding undone. */
  body: Buffer;
}

export interface PapBody {
  /** The PAP control document. */
  control: string;
  content?: ContentEntity;
  /** PAP 2.0 capabilities entity, when sent (kept for the record; capability matching is not done). */
  capabilities?: Entity;
}

export interface MultipartLimits {
  /** Largest control entity (octets). */
  maxControlBytes: number;
  /** Largest content entity after its transfer encoding is undone (octets). */
  maxContentBytes: number;
}

const bad = (why: string): never => {
  throw new PapError(2000, why);
};

/**
 * Content-Type values seen lately and what they parse to (frozen: shared by every caller). An
 * initiator sends the same few values (its request's multipart/related with its boundary, the
 * control and content entities' types) on every push. Bounded; cleared when full.
 */
const contentTypes = new Memo<string, { mediaType: string; params: Record<string, string> }>(64);

/** `type/subtype; a=b; c="d"` -> media type (lower case) and parameters (names lower case). */
export function parseContentType(value: string): { mediaType: string; params: Record<string, string> } {
  const hit = contentTypes.get(value);
  if (hit !== undefined) return hit;
  const parsed = parseContentTypeText(value);
  if (value.length <= 256) {
    Object.freeze(parsed.params);
    contentTypes.set(value, Object.freeze(parsed));
  }
  return parsed;
}

function parseContentTypeText(value: string): { mediaType: string; params: Record<string, string> } {
  const semi = value.indexOf(';');
  const mediaType = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params: Record<string, string> = {};
  const re = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  const rest = semi < 0 ? '' : value.slice(semi);
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) {
    const name = (m[1] as string).toLowerCase();
    if (!(name in params)) params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { mediaType, params };
}

/**
 * Entity header blocks seen lately and what they parse to (frozen), like contentTypes: an
 * initiator writes the same header lines on every push. Bounded; cleared when full.
 */
const headerBlocks = new Memo<string, EntityHeaders>(64);

/** The delimiter (`--` boundary) of each boundary seen lately, checked once (RFC 2046 §5.1.1). */
const delimiters = new Memo<string, Buffer>(64);

/**
 * The header blocks of the last few entities as octets, with what they parse to: an initiator's
 * control and content entities carry the same header lines on every push, found here by a
 * compare of the octets (no string made of them); another block goes through parseHeaders.
 */
const recentBlocks: Array<{ octets: Buffer; headers: EntityHeaders }> = [];
const RECENT_BLOCKS = 4;

function headersAt(body: Buffer, from: number, to: number): EntityHeaders {
  const n = to - from;
  for (const r of recentBlocks) if (r.octets.length === n && body.compare(r.octets, 0, n, from, to) === 0) return r.headers;
  const headers = parseHeaders(body.toString('latin1', from, to));
  if (n <= 1024) {
    if (recentBlocks.length === RECENT_BLOCKS) recentBlocks.shift();
    recentBlocks.push({ octets: Buffer.from(body.subarray(from, to)), headers });
  }
  return headers;
}

function parseHeaders(block: string): EntityHeaders {
  const hit = headerBlocks.get(block);
  if (hit !== undefined) return hit;
  const parsed = parseHeaderLines(block);
  return block.length <= 1024 ? headerBlocks.set(block, Object.freeze(parsed)) : parsed;
}

function parseHeaderLines(block: string): EntityHeaders {
  const out: EntityHeaders = {};
  const lines = block.split(/\r?\n/);
  let last: string | undefined;
  for (const line of lines) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      out[last] = `${out[last] ?? ''} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) bad(`malformed entity header line "${line.slice(0, 60)}"`);
    const name = line.slice(0, colon).trim().toLowerCase();
    last = name;
    if (!(name in out)) out[name] = line.slice(colon + 1).trim();
    else last = undefined;
  }
  return out;
}

/** Splits a multipart body into its entities (RFC 2046 §5.1.1: preamble and epilogue dropped; CRLF or bare LF line ends). */
export function splitMultipart(body: Buffer, boundary: string, maxParts = 3): Entity[] {
  let dash = delimiters.get(boundary);
  if (dash === undefined) {
    if (!/^[0-9A-Za-z'()+_,./:=? -]{1,70}$/.test(boundary) || boundary.endsWith(' ')) bad(`boundary "${boundary.slice(0, 80)}" is not a valid RFC 2046 boundary`);
    dash = delimiters.set(boundary, Buffer.from(`--${boundary}`, 'latin1'));
  }
  const delimiter = dash;
  // The first delimiter may start the body; later ones follow a line end.
  const findDelimiter = (from: number): { start: number; after: number } | undefined => {
    let at = from;
    for (;;) {
      const i = body.indexOf(delimiter, at);
      if (i < 0) return undefined;
      if (i === 0) return { start: 0, after: i + delimiter.length };
      if (body[i - 1] === 0x0a) return { start: body[i - 2] === 0x0d ? i - 2 : i - 1, after: i + delimiter.length };
      at = i + 1;
    }
  };
  let d = findDelimiter(0);
  if (!d) return bad('no multipart boundary delimiter in the body');
  const parts: Entity[] = [];
  for (;;) {
    let p = d.after;
    if (body[p] === 0x2d && body[p + 1] === 0x2d) break; // close-delimiter
    // transport-padding, then the line end
    while (body[p] === 0x20 || body[p] === 0x09) p++;
    if (body[p] === 0x0d) p++;
    if (body[p] !== 0x0a) bad('a boundary delimiter is not followed by a line end');
    p++;
    const next = findDelimiter(p);
    if (!next) return bad('the multipart body has no close-delimiter');
    if (parts.length === maxParts) bad(`more than ${maxParts} entities in the multipart body`);
    // the entity is body[p, end): read in place (no Buffer view but the entity body's own)
    const end = next.start;
    // Headers end at the first empty line; an entity with no headers starts with one.
    let hdrEnd: number;
    let bodyStart: number;
    if (body[p] === 0x0a) [hdrEnd, bodyStart] = [p, p + 1];
    else if (body[p] === 0x0d && body[p + 1] === 0x0a) [hdrEnd, bodyStart] = [p, p + 2];
    else {
      const crlf = within(body.indexOf('\r\n\r\n', p, 'latin1'), end - 4);
      const lf = within(body.indexOf('\n\n', p, 'latin1'), end - 2);
      if (crlf >= 0 && (lf < 0 || crlf < lf)) [hdrEnd, bodyStart] = [crlf, crlf + 4];
      else if (lf >= 0) [hdrEnd, bodyStart] = [lf, lf + 2];
      else [hdrEnd, bodyStart] = [end, end];
    }
    parts.push({ headers: headersAt(body, p, hdrEnd), body: body.subarray(bodyStart, end) });
    d = next;
  }
  return parts;
}

/** `i` when it is a match that starts at or before `last`, else -1. */
const within = (i: number, last: number): number => (i >= 0 && i <= last ? i : -1);

/** Undoes a Content-Transfer-Encoding (RFC 2045 §6): base64 strictly, identity for binary/7bit/8bit. */
export function undoTransferEncoding(cte: string | undefined, body: Buffer): Buffer {
  const enc = (cte ?? 'binary').trim().toLowerCase();
  if (enc === 'binary' || enc === '7bit' || enc === '8bit') return body;
  if (enc === 'base64') {
    const text = body.toString('latin1').replace(/[\r\n\t ]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) bad('the content entity is not valid base64');
    return Buffer.from(text, 'base64');
  }
  return bad(`Content-Transfer-Encoding "${enc}" is not supported (base64, binary, 7bit, 8bit are)`);
}

const XML_TYPES = new Set(['application/xml', 'text/xml']);

/** The entities of a PAP request body, checked and size-limited. Throws PapError 2000. */
export function splitPapBody(contentType: string | undefined, body: Buffer, limits: MultipartLimits): PapBody {
  if (!contentType) return bad('the request has no Content-Type');
  const { mediaType, params } = parseContentType(contentType);
  if (XML_TYPES.has(mediaType)) {
    if (body.length > limits.maxControlBytes) bad(`the PAP control entity is over ${limits.maxControlBytes} octets`);
    return { control: body.toString('utf8') };
  }
  if (mediaType !== 'multipart/related') bad(`Content-Type ${mediaType} is not multipart/related or application/xml`);
  const boundary = params.boundary ?? bad('multipart/related without a boundary parameter');
  const parts = splitMultipart(body, boundary, 3);
  const [control, content, capabilities] = parts;
  if (!control) return bad('the multipart body holds no entity');
  const controlType = parseContentType(control.headers['content-type'] ?? 'application/xml').mediaType;
  if (!XML_TYPES.has(controlType)) bad(`the first entity is ${controlType}, not the PAP control entity (application/xml)`);
  if (control.body.length > limits.maxControlBytes) bad(`the PAP control entity is over ${limits.maxControlBytes} octets`);
  const out: PapBody = { control: undoTransferEncoding(control.headers['content-transfer-encoding'], control.body).toString('utf8') };
  if (content) {
    const ct = content.headers['content-type'] ?? bad('the content entity has no Content-Type');
    if (content.body.length > limits.maxContentBytes * 1.4 + 1024) bad(`the content entity is over ${limits.maxContentBytes} octets`);
    const decoded = undoTransferEncoding(content.headers['content-transfer-encoding'], content.body);
    if (decoded.length > limits.maxContentBytes) bad(`the content entity is over ${limits.maxContentBytes} octets`);
    const c: ContentEntity = { contentType: ct, mediaType: parseContentType(ct).mediaType, body: decoded };
    const appId = content.headers['x-wap-application-id'];
    if (appId) c.applicationId = appId;
    const loc = content.headers['content-location'];
    if (loc) c.contentLocation = loc;
    out.content = c;
  }
  if (capabilities) out.capabilities = capabilities;
  return out;
}

export interface ContentInput {
  contentType: string;
  body: Buffer;
  applicationId?: string;
  /** base64 for 7-bit-only paths; binary by default. */
  transferEncoding?: 'binary' | 'base64';
  contentLocation?: string;
}

/** A PAP request body: multipart/related with the control entity and the content (WAP-247 §8.2). */
export function buildPapBody(controlXml: string, content: ContentInput | undefined, boundary = `wapgw-${Date.now().toString(36)}-pap`): { contentType: string; body: Buffer } {
  if (!content) return { contentType: 'application/xml; charset=utf-8', body: Buffer.from(controlXml, 'utf8') };
  const crlf = '\r\n';
  const head = (lines: string[]) => Buffer.from(lines.join(crlf) + crlf + crlf, 'latin1');
  const b64 = content.transferEncoding === 'base64';
  const contentHeaders = [`Content-Type: ${content.contentType}`];
  if (content.applicationId) contentHeaders.push(`X-Wap-Application-Id: ${content.applicationId}`);
  if (content.contentLocation) contentHeaders.push(`Content-Location: ${content.contentLocation}`);
  contentHeaders.push(`Content-Transfer-Encoding: ${b64 ? 'base64' : 'binary'}`);
  const payload = b64 ? Buffer.from((content.body.toString('base64').match(/.{1,76}/g) ?? []).join(crlf), 'latin1') : content.body;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}${crlf}`, 'latin1'),
    head(['Content-Type: application/xml; charset=utf-8']),
    Buffer.from(controlXml, 'utf8'),
    Buffer.from(`${crlf}--${boundary}${crlf}`, 'latin1'),
    head(contentHeaders),
    payload,
    Buffer.from(`${crlf}--${boundary}--${crlf}`, 'latin1'),
  ]);
  return { contentType: `multipart/related; boundary="${boundary}"; type="application/xml"`, body };
}
